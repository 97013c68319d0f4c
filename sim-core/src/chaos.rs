//! Seeded chaos generators: crash/restart churn (MTTF/MTTR), pauses and random partitions.
//!
//! Each generator draws from its own stream (`chaos/crash`, `chaos/pause`, `chaos/partition`)
//! and turns its draws into ordinary [`Fault`]s, which the world applies exactly like timeline
//! faults. No generator starts a new fault after `stop_s`; repairs, resumes and heals of faults
//! already started still happen, so the run can converge.
//! A configuration the generators cannot use is a [`ChaosError`] naming the setting at fault.

use crate::dist::{Dist, DistError, DistSpec};
use crate::fault::{ChaosConfig, Fault, ShapeKind};
use crate::id::ProcId;
use crate::json_path::JsonPath;
use crate::partition::PartitionShape;
use crate::rng::SimRng;
use crate::time::{SimDuration, SimTime};

/// A generator's scheduled step.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum ChaosEvent {
    Fail(ProcId),
    Repair(ProcId),
    PauseStart(ProcId),
    PauseEnd(ProcId),
    PartitionStart,
    PartitionEnd(u32),
}

struct Churn {
    mttf: Dist,
    mttr: Dist,
    wipe: f64,
    rng: SimRng,
}

struct Pauses {
    interval: Dist,
    duration: Dist,
    rng: SimRng,
}

struct Partitions {
    nodes: Vec<ProcId>,
    interval: Dist,
    duration: Dist,
    shapes: Vec<ShapeKind>,
    rng: SimRng,
    count: u32,
}

/// The generators' state inside a world.
pub(crate) struct ChaosState {
    stop: SimTime,
    churn: Option<Churn>,
    pauses: Option<Pauses>,
    partitions: Option<Partitions>,
}

type Scheduled = Vec<(SimTime, ChaosEvent)>;

/// Why a [`ChaosConfig`] is invalid.
#[derive(Clone, Debug, thiserror::Error)]
pub enum ChaosError {
    /// `start_s` is negative or not finite.
    #[error("start_s must be >= 0, got {0}")]
    StartBeforeZero(f64),
    /// `stop_s` is before `start_s` or not finite.
    #[error("stop_s must be >= start_s, got {0}")]
    StopBeforeStart(f64),
    /// `crashes.wipe_probability` is not a probability.
    #[error("crashes.wipe_probability must be in [0, 1], got {0}")]
    WipeProbability(f64),
    /// Partition chaos without the nodes or shapes it needs.
    #[error("partitions needs at least 3 nodes and at least one shape")]
    TooFewForPartitions,
    /// A generator lists a process that does not exist.
    #[error("{}: {}", self.path(), self.message())]
    UnknownProc {
        /// The list, e.g. `crashes.nodes`.
        field: JsonPath,
        /// The first process that does not exist.
        proc: ProcId,
        /// How many processes exist.
        procs: usize,
    },
    /// A generator's distribution is invalid.
    #[error("{field}.{source}")]
    Dist {
        /// The distribution's field, e.g. `crashes.mttf_s`.
        field: JsonPath,
        /// What is wrong with it.
        source: DistError,
    },
}

impl ChaosError {
    /// Where the problem is, relative to the [`ChaosConfig`]: the list or distribution at fault,
    /// or the top level when the message names the field itself.
    pub fn path(&self) -> JsonPath {
        match self {
            ChaosError::UnknownProc { field, .. } => field.clone(),
            ChaosError::Dist { field, source } => field.join(&source.path),
            _ => JsonPath::root(),
        }
    }

    /// What is wrong, without the path.
    pub fn message(&self) -> String {
        match self {
            ChaosError::UnknownProc { proc, procs, .. } => format!("process {proc} does not exist (there are {procs})"),
            ChaosError::Dist { source, .. } => source.problem.to_string(),
            _ => self.to_string(),
        }
    }
}

/// The distribution at `generator.field`.
fn dist(generator: &str, field: &str, spec: &DistSpec) -> Result<Dist, ChaosError> {
    let field = JsonPath::root().field(generator).field(field);
    Dist::new(spec).map_err(|source| ChaosError::Dist { field, source })
}

/// Refuses a process in `generator.nodes` that does not exist.
fn check_nodes(generator: &str, nodes: &[ProcId], procs: usize) -> Result<(), ChaosError> {
    match nodes.iter().find(|n| n.index() >= procs) {
        Some(&proc) => {
            Err(ChaosError::UnknownProc { field: JsonPath::root().field(generator).field("nodes"), proc, procs })
        }
        None => Ok(()),
    }
}

fn secs(s: f64) -> SimDuration {
    SimDuration::from_secs_f64(s)
}

impl ChaosState {
    /// Validates the configuration and returns the generators with their first events.
    pub(crate) fn new(cfg: &ChaosConfig, seed: u64, procs: usize) -> Result<(ChaosState, Scheduled), ChaosError> {
        if !(cfg.start_s.is_finite() && cfg.start_s >= 0.0) {
            return Err(ChaosError::StartBeforeZero(cfg.start_s));
        }
        let stop = match cfg.stop_s {
            Some(s) if !(s.is_finite() && s >= cfg.start_s) => return Err(ChaosError::StopBeforeStart(s)),
            Some(s) => SimTime::ZERO + secs(s),
            None => SimTime::MAX,
        };
        let start = SimTime::ZERO + secs(cfg.start_s);
        let mut state = ChaosState { stop, churn: None, pauses: None, partitions: None };
        let mut first = Vec::new();
        if let Some(c) = &cfg.crashes {
            check_nodes("crashes", &c.nodes, procs)?;
            if !(0.0..=1.0).contains(&c.wipe_probability) {
                return Err(ChaosError::WipeProbability(c.wipe_probability));
            }
            let mut churn = Churn {
                mttf: dist("crashes", "mttf_s", &c.mttf_s)?,
                mttr: dist("crashes", "mttr_s", &c.mttr_s)?,
                wipe: c.wipe_probability,
                rng: SimRng::stream(seed, "chaos/crash"),
            };
            for &n in &c.nodes {
                let at = start + secs(churn.mttf.sample(&mut churn.rng));
                first.push((at, ChaosEvent::Fail(n)));
            }
            state.churn = Some(churn);
        }
        if let Some(p) = &cfg.pauses {
            check_nodes("pauses", &p.nodes, procs)?;
            let mut pauses = Pauses {
                interval: dist("pauses", "interval_s", &p.interval_s)?,
                duration: dist("pauses", "duration_s", &p.duration_s)?,
                rng: SimRng::stream(seed, "chaos/pause"),
            };
            for &n in &p.nodes {
                let at = start + secs(pauses.interval.sample(&mut pauses.rng));
                first.push((at, ChaosEvent::PauseStart(n)));
            }
            state.pauses = Some(pauses);
        }
        if let Some(p) = &cfg.partitions {
            check_nodes("partitions", &p.nodes, procs)?;
            if p.nodes.len() < 3 || p.shapes.is_empty() {
                return Err(ChaosError::TooFewForPartitions);
            }
            let mut parts = Partitions {
                nodes: p.nodes.clone(),
                interval: dist("partitions", "interval_s", &p.interval_s)?,
                duration: dist("partitions", "duration_s", &p.duration_s)?,
                shapes: p.shapes.clone(),
                rng: SimRng::stream(seed, "chaos/partition"),
                count: 0,
            };
            let at = start + secs(parts.interval.sample(&mut parts.rng));
            first.push((at, ChaosEvent::PartitionStart));
            state.partitions = Some(parts);
        }
        first.retain(|(at, _)| *at <= state.stop);
        Ok((state, first))
    }

    /// Turns one step into faults to apply now and the steps that follow.
    pub(crate) fn fire(&mut self, ev: ChaosEvent, now: SimTime, _procs: usize) -> (Vec<Fault>, Scheduled) {
        let mut next = Vec::new();
        let faults = match ev {
            ChaosEvent::Fail(node) => self.fail(node, now, &mut next),
            ChaosEvent::Repair(node) => self.repair(node, now, &mut next),
            ChaosEvent::PauseStart(node) => self.pause(node, now, &mut next),
            ChaosEvent::PauseEnd(node) => self.unpause(node, now, &mut next),
            ChaosEvent::PartitionStart => self.partition(now, &mut next),
            ChaosEvent::PartitionEnd(k) => self.heal(k, now, &mut next),
        };
        let stop = self.stop;
        next.retain(|(at, ev)| *at <= stop || is_recovery(ev));
        (faults, next)
    }

    fn fail(&mut self, node: ProcId, now: SimTime, next: &mut Scheduled) -> Vec<Fault> {
        let Some(c) = self.churn.as_mut() else { return vec![] };
        let wipe = c.rng.chance(c.wipe);
        next.push((now + secs(c.mttr.sample(&mut c.rng)), ChaosEvent::Repair(node)));
        if wipe {
            vec![Fault::Wipe { node, restart_after_ms: None }]
        } else {
            vec![Fault::Crash { node, restart_after_ms: None }]
        }
    }

    fn repair(&mut self, node: ProcId, now: SimTime, next: &mut Scheduled) -> Vec<Fault> {
        let Some(c) = self.churn.as_mut() else { return vec![] };
        next.push((now + secs(c.mttf.sample(&mut c.rng)), ChaosEvent::Fail(node)));
        vec![Fault::Restart { node }]
    }

    fn pause(&mut self, node: ProcId, now: SimTime, next: &mut Scheduled) -> Vec<Fault> {
        let Some(p) = self.pauses.as_mut() else { return vec![] };
        next.push((now + secs(p.duration.sample(&mut p.rng)), ChaosEvent::PauseEnd(node)));
        vec![Fault::Pause { node, resume_after_ms: None }]
    }

    fn unpause(&mut self, node: ProcId, now: SimTime, next: &mut Scheduled) -> Vec<Fault> {
        let Some(p) = self.pauses.as_mut() else { return vec![] };
        next.push((now + secs(p.interval.sample(&mut p.rng)), ChaosEvent::PauseStart(node)));
        vec![Fault::Resume { node }]
    }

    fn partition(&mut self, now: SimTime, next: &mut Scheduled) -> Vec<Fault> {
        let Some(p) = self.partitions.as_mut() else { return vec![] };
        p.count += 1;
        let kind = p.shapes[p.rng.index(p.shapes.len())];
        let mut order = p.nodes.clone();
        p.rng.shuffle(&mut order);
        let shape = match kind {
            ShapeKind::Halves => {
                let cut = 1 + p.rng.index(order.len() - 1);
                let (a, b) = order.split_at(cut);
                PartitionShape::Groups { groups: vec![a.to_vec(), b.to_vec()] }
            }
            ShapeKind::IsolateOne => PartitionShape::IsolateOne { node: order[0] },
            ShapeKind::Bridge => PartitionShape::Bridge { nodes: order },
            ShapeKind::MajoritiesRing => PartitionShape::MajoritiesRing { nodes: order },
        };
        let k = p.count;
        next.push((now + secs(p.duration.sample(&mut p.rng)), ChaosEvent::PartitionEnd(k)));
        vec![Fault::Partition { name: format!("chaos-{k}"), shape }]
    }

    fn heal(&mut self, k: u32, now: SimTime, next: &mut Scheduled) -> Vec<Fault> {
        let Some(p) = self.partitions.as_mut() else { return vec![] };
        next.push((now + secs(p.interval.sample(&mut p.rng)), ChaosEvent::PartitionStart));
        vec![Fault::Heal { name: Some(format!("chaos-{k}")) }]
    }
}

/// Repairs, resumes and heals are always delivered, even after the chaos window closes.
fn is_recovery(ev: &ChaosEvent) -> bool {
    matches!(ev, ChaosEvent::Repair(_) | ChaosEvent::PauseEnd(_) | ChaosEvent::PartitionEnd(_))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fault::CrashChaos;

    fn refusal(cfg: &ChaosConfig) -> (String, String, String) {
        let e = ChaosState::new(cfg, 1, 3).err().expect("refused");
        (e.path().to_string(), e.message(), e.to_string())
    }

    #[test]
    fn refusals_name_the_setting_at_fault() {
        let exp = |mean| DistSpec::Exponential { mean };
        let crashes = |nodes, mttf_s| CrashChaos { nodes, mttf_s, mttr_s: exp(1.0), wipe_probability: 0.0 };
        let start = ChaosConfig { start_s: -1.0, ..ChaosConfig::default() };
        let start_msg = "start_s must be >= 0, got -1";
        assert_eq!(refusal(&start), (String::new(), start_msg.into(), start_msg.into()));
        let nodes = ChaosConfig { crashes: Some(crashes(vec![ProcId(7)], exp(1.0))), ..ChaosConfig::default() };
        let nodes_msg = "process p7 does not exist (there are 3)";
        assert_eq!(refusal(&nodes), ("crashes.nodes".into(), nodes_msg.into(), format!("crashes.nodes: {nodes_msg}")));
        let mttf = ChaosConfig { crashes: Some(crashes(vec![ProcId(0)], exp(-1.0))), ..ChaosConfig::default() };
        let mttf_msg = "mean must be a finite number >= 0, got -1";
        let at = "crashes.mttf_s.exponential.mean";
        assert_eq!(refusal(&mttf), (at.into(), mttf_msg.into(), format!("{at}: {mttf_msg}")));
    }
}
