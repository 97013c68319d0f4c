//! Faults: the things the fault timeline and the chaos generators do to a world.
//!
//! A [`Fault`] is one action at one instant (crash a node, start a partition, skew a clock...).
//! A timeline is a list of [`TimedFault`]s. [`ChaosConfig`] describes seeded generators that
//! produce faults at random: crash/restart churn with MTTF/MTTR distributions, pauses, and
//! partitions of random shapes. The world applies both (see `world.rs` and `chaos.rs`), after
//! [`Fault::check`] has accepted a fault's parameters.

use crate::clock::{Clock, ClockError};
use crate::disk::{DiskConfigError, DiskFaults, check_faults};
use crate::dist::DistSpec;
use crate::id::ProcId;
use crate::json_path::JsonPath;
use crate::partition::{PartitionError, PartitionShape};
use crate::time::SimTime;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// One fault action.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum Fault {
    /// The node crashes: volatile state, unsynced writes and in-flight messages to it are lost.
    Crash {
        /// The node.
        node: ProcId,
        /// Restart it after this many milliseconds; stays down when absent.
        #[serde(default)]
        restart_after_ms: Option<f64>,
    },
    /// A crashed node starts again from what its disk holds.
    Restart {
        /// The node.
        node: ProcId,
    },
    /// The node stalls (a GC pause): events queue up, none are lost.
    Pause {
        /// The node.
        node: ProcId,
        /// Resume after this many milliseconds; stays paused until `resume` when absent.
        #[serde(default)]
        resume_after_ms: Option<f64>,
    },
    /// A paused node runs again and works through its queue.
    Resume {
        /// The node.
        node: ProcId,
    },
    /// The node crashes and its disk is erased (permanent loss).
    Wipe {
        /// The node.
        node: ProcId,
        /// Restart it, empty, after this many milliseconds (a replacement); stays down when absent.
        #[serde(default)]
        restart_after_ms: Option<f64>,
    },
    /// Cuts links according to a shape until healed.
    Partition {
        /// Name used to heal this partition alone. Default "partition".
        #[serde(default = "default_partition_name")]
        name: String,
        /// Which links to cut.
        shape: PartitionShape,
    },
    /// Ends the partitions, clogs and slow links with this name, or all of them.
    Heal {
        /// The name to heal; every one when absent.
        #[serde(default)]
        name: Option<String>,
    },
    /// Holds every message on the shape's links until healed (then they are delivered).
    Clog {
        /// Name used to heal this clog.
        #[serde(default = "default_clog_name")]
        name: String,
        /// Which links to clog.
        shape: PartitionShape,
    },
    /// Slows the shape's links (gray failure): latency × factor + extra.
    Slow {
        /// Name used to heal this slowdown.
        #[serde(default = "default_slow_name")]
        name: String,
        /// Which links to slow.
        shape: PartitionShape,
        /// Latency multiplier. Default 1.
        #[serde(default = "one")]
        factor: f64,
        /// Extra latency in milliseconds. Default 0.
        #[serde(default)]
        extra_ms: f64,
    },
    /// Sets a node's disk fault probabilities (all zero switches them off).
    DiskFaults {
        /// The node.
        node: ProcId,
        /// The new probabilities.
        faults: DiskFaults,
    },
    /// Sets a node's clock offset from true time.
    ClockOffset {
        /// The node.
        node: ProcId,
        /// Offset in milliseconds (positive: ahead).
        offset_ms: f64,
    },
    /// Jumps a node's clock.
    ClockJump {
        /// The node.
        node: ProcId,
        /// Jump in milliseconds (negative: backwards).
        delta_ms: f64,
    },
    /// Sets a node's clock drift.
    ClockDrift {
        /// The node.
        node: ProcId,
        /// Drift in parts per million.
        ppm: f64,
    },
    /// Sets the network's loss probability.
    SetLoss {
        /// Probability in [0, 1].
        loss: f64,
    },
    /// Sets the network's duplication probability.
    SetDuplicate {
        /// Probability in [0, 1].
        duplicate: f64,
    },
}

fn default_partition_name() -> String {
    "partition".into()
}
fn default_clog_name() -> String {
    "clog".into()
}
fn default_slow_name() -> String {
    "slow".into()
}
fn one() -> f64 {
    1.0
}

/// A fault in the trace is written as in a scenario file: `{"crash": {"node": 4, ...}}`.
impl crate::trace::Traced for Fault {
    fn trace_json(&self) -> serde_json::Value {
        // A fault holds only numbers, strings, lists and records with string keys, which
        // serde_json always represents.
        serde_json::to_value(self).expect("a fault is representable as JSON")
    }
}

impl Fault {
    /// The node this fault acts on, if it acts on one node.
    pub fn node(&self) -> Option<ProcId> {
        match self {
            Fault::Crash { node, .. }
            | Fault::Restart { node }
            | Fault::Pause { node, .. }
            | Fault::Resume { node }
            | Fault::Wipe { node, .. }
            | Fault::DiskFaults { node, .. }
            | Fault::ClockOffset { node, .. }
            | Fault::ClockJump { node, .. }
            | Fault::ClockDrift { node, .. } => Some(*node),
            _ => None,
        }
    }

    /// A short name of the action, for traces and reports.
    pub fn label(&self) -> &'static str {
        match self {
            Fault::Crash { .. } => "crash",
            Fault::Restart { .. } => "restart",
            Fault::Pause { .. } => "pause",
            Fault::Resume { .. } => "resume",
            Fault::Wipe { .. } => "wipe",
            Fault::Partition { .. } => "partition",
            Fault::Heal { .. } => "heal",
            Fault::Clog { .. } => "clog",
            Fault::Slow { .. } => "slow",
            Fault::DiskFaults { .. } => "disk_faults",
            Fault::ClockOffset { .. } => "clock_offset",
            Fault::ClockJump { .. } => "clock_jump",
            Fault::ClockDrift { .. } => "clock_drift",
            Fault::SetLoss { .. } => "set_loss",
            Fault::SetDuplicate { .. } => "set_duplicate",
        }
    }

    /// Checks the parameters for a world of `procs` processes (whether the node exists is the
    /// world's own check).
    pub fn check(&self, procs: usize) -> Result<(), FaultError> {
        let shape_ok = |s: &PartitionShape| s.cut_links(procs).map(drop).map_err(FaultError::Shape);
        match self {
            Fault::Crash { restart_after_ms, .. } | Fault::Wipe { restart_after_ms, .. } => {
                non_negative("restart_after_ms", *restart_after_ms)
            }
            Fault::Pause { resume_after_ms, .. } => non_negative("resume_after_ms", *resume_after_ms),
            Fault::Partition { shape, .. } | Fault::Clog { shape, .. } => shape_ok(shape),
            Fault::Slow { shape, factor, extra_ms, .. } => {
                shape_ok(shape)?;
                non_negative("factor", Some(*factor))?;
                non_negative("extra_ms", Some(*extra_ms))
            }
            Fault::DiskFaults { faults, .. } => check_faults(faults).map_err(FaultError::Disk),
            Fault::ClockOffset { offset_ms, .. } => finite("offset_ms", *offset_ms),
            Fault::ClockJump { delta_ms, .. } => finite("delta_ms", *delta_ms),
            Fault::ClockDrift { ppm, .. } => Clock::perfect().set_drift(SimTime::ZERO, *ppm).map_err(FaultError::Clock),
            Fault::SetLoss { loss } => probability("loss", *loss),
            Fault::SetDuplicate { duplicate } => probability("duplicate", *duplicate),
            Fault::Restart { .. } | Fault::Resume { .. } | Fault::Heal { .. } => Ok(()),
        }
    }
}

/// `Ok` when `got` is finite.
fn finite(field: &'static str, got: f64) -> Result<(), FaultError> {
    if got.is_finite() { Ok(()) } else { Err(FaultError::NotFinite { field, got }) }
}

/// `Ok` when `v` is absent, or finite and >= 0.
fn non_negative(field: &'static str, v: Option<f64>) -> Result<(), FaultError> {
    match v {
        Some(got) if !(got.is_finite() && got >= 0.0) => Err(FaultError::Negative { field, got }),
        _ => Ok(()),
    }
}

/// `Ok` when `got` is a probability.
fn probability(field: &'static str, got: f64) -> Result<(), FaultError> {
    if (0.0..=1.0).contains(&got) { Ok(()) } else { Err(FaultError::Probability { field, got }) }
}

/// Why a fault's parameters are invalid (see [`Fault::check`]).
#[derive(Clone, Debug, thiserror::Error)]
pub enum FaultError {
    /// A number that must be finite is not.
    #[error("{field} must be finite, got {got}")]
    NotFinite {
        /// The fault's field.
        field: &'static str,
        /// Its value.
        got: f64,
    },
    /// A duration or factor that must be a finite number >= 0 is not.
    #[error("{field} must be a finite number >= 0, got {got}")]
    Negative {
        /// The fault's field.
        field: &'static str,
        /// Its value.
        got: f64,
    },
    /// A probability outside `[0, 1]`.
    #[error("{}: {}", self.path(), self.message())]
    Probability {
        /// The fault's field.
        field: &'static str,
        /// Its value.
        got: f64,
    },
    /// The shape names a process that does not exist, or one twice, or too few.
    #[error("{}: {}", self.path(), self.message())]
    Shape(PartitionError),
    /// The new disk fault probabilities.
    #[error(transparent)]
    Disk(DiskConfigError),
    /// A clock change out of range.
    #[error(transparent)]
    Clock(ClockError),
}

impl FaultError {
    /// Where the problem is, relative to the fault's parameters: the field, or the top level
    /// for a clock change (the clock's limits apply to the fault as a whole).
    pub fn path(&self) -> JsonPath {
        match self {
            FaultError::NotFinite { field, .. }
            | FaultError::Negative { field, .. }
            | FaultError::Probability { field, .. } => JsonPath::root().field(*field),
            FaultError::Shape(_) => JsonPath::root().field("shape"),
            FaultError::Disk(e) => e.path(),
            FaultError::Clock(_) => JsonPath::root(),
        }
    }

    /// What is wrong, without the path. A number's message names its field as well
    /// (`restart_after_ms must be a finite number >= 0, got -1`).
    pub fn message(&self) -> String {
        match self {
            FaultError::Probability { got, .. } => format!("probability must be in [0, 1], got {got}"),
            FaultError::Shape(e) => e.to_string(),
            FaultError::Disk(e) => e.message(),
            FaultError::NotFinite { .. } | FaultError::Negative { .. } | FaultError::Clock(_) => self.to_string(),
        }
    }
}

/// A fault at a simulated instant.
#[derive(Clone, Debug, PartialEq)]
pub struct TimedFault {
    /// When it happens.
    pub at: SimTime,
    /// What happens.
    pub fault: Fault,
}

/// Random shapes the partition generator may pick.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum ShapeKind {
    /// Split the nodes into two random halves.
    Halves,
    /// Cut one random node off.
    IsolateOne,
    /// Jepsen's bridge over a random ring order.
    Bridge,
    /// Jepsen's majorities ring over a random ring order.
    MajoritiesRing,
}

/// Crash/restart churn: each node fails after an MTTF draw and is repaired after an MTTR draw.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CrashChaos {
    /// Nodes that churn.
    pub nodes: Vec<ProcId>,
    /// Time to failure, in seconds.
    pub mttf_s: DistSpec,
    /// Time to repair (restart), in seconds.
    pub mttr_s: DistSpec,
    /// Probability that a failure also wipes the disk (a permanent loss). Default 0.
    #[serde(default)]
    pub wipe_probability: f64,
}

/// Random pauses (GC stalls).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PauseChaos {
    /// Nodes that pause.
    pub nodes: Vec<ProcId>,
    /// Time between the end of one pause and the start of the next, per node, in seconds.
    pub interval_s: DistSpec,
    /// Pause length, in seconds.
    pub duration_s: DistSpec,
}

/// Random partitions, one at a time.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PartitionChaos {
    /// Nodes the partitions are drawn over.
    pub nodes: Vec<ProcId>,
    /// Time from one heal to the next partition, in seconds.
    pub interval_s: DistSpec,
    /// How long each partition lasts, in seconds.
    pub duration_s: DistSpec,
    /// Shapes to choose from, uniformly. Default: halves.
    #[serde(default = "default_shapes")]
    pub shapes: Vec<ShapeKind>,
}

fn default_shapes() -> Vec<ShapeKind> {
    vec![ShapeKind::Halves]
}

/// Seeded fault generators, active inside a time window.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, default)]
pub struct ChaosConfig {
    /// Generators start at this time, in seconds. Default 0.
    pub start_s: f64,
    /// No new fault starts after this time, in seconds (repairs and heals still happen).
    /// Default: never stop.
    pub stop_s: Option<f64>,
    /// Crash/restart churn. Default: off.
    pub crashes: Option<CrashChaos>,
    /// Pauses. Default: off.
    pub pauses: Option<PauseChaos>,
    /// Partitions. Default: off.
    pub partitions: Option<PartitionChaos>,
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The path, message and rendering of the error `f` gets among three processes.
    fn refusal(f: Fault) -> (String, String, String) {
        let e = f.check(3).unwrap_err();
        (e.path().to_string(), e.message(), e.to_string())
    }

    #[test]
    fn refusals_name_the_parameter_at_fault() {
        let node = ProcId(0);
        let negative = "restart_after_ms must be a finite number >= 0, got -1";
        let shape = PartitionShape::IsolateOne { node: ProcId(9) };
        let shape_msg = "process p9 does not exist (there are 3 processes)";
        let drift = "must be greater than -1e6 and at most 1e6 parts per million, got 1e18";
        let disk = DiskFaults { torn_write: 2.0, ..DiskFaults::default() };
        let cases = [
            (Fault::Crash { node, restart_after_ms: Some(-1.0) }, ("restart_after_ms", negative, negative)),
            (
                Fault::ClockJump { node, delta_ms: f64::NAN },
                ("delta_ms", "delta_ms must be finite, got NaN", "delta_ms must be finite, got NaN"),
            ),
            (Fault::SetLoss { loss: 1.5 }, ("loss", "probability must be in [0, 1], got 1.5", "")),
            (Fault::Partition { name: "p".into(), shape }, ("shape", shape_msg, "")),
            (
                Fault::DiskFaults { node, faults: disk },
                ("faults.torn_write", "probability must be in [0, 1], got 2", ""),
            ),
            (Fault::ClockDrift { node, ppm: 1e18 }, ("", drift, drift)),
        ];
        for (fault, (path, message, shown)) in cases {
            let (p, m, s) = refusal(fault);
            assert_eq!((p.as_str(), m.as_str()), (path, message));
            let shown = if shown.is_empty() { format!("{path}: {message}") } else { shown.to_string() };
            assert_eq!(s, shown);
        }
    }
}
