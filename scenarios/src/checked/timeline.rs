//! Contradictions in the fault timeline: actions on a process in a state where they mean nothing.
//!
//! The timeline is replayed in order, tracking each storage node as up, down (until a scheduled
//! restart, or for good) or paused (until a scheduled resume, or a `resume`), and the named
//! partitions, clogs and slowdowns in force. Refused: a crash of a node already down, a restart of
//! a node that is running, a pause of a node not running, a resume of a node not paused, a join
//! or leave of a node that is down, a heal of a name that is not in force (or of everything when
//! nothing is). Nodes that chaos crashes or pauses are not tracked for that kind of state, and
//! with partition chaos on a heal of everything is always allowed: the generators' faults are
//! only known once the run draws them.

use crate::error::{JsonPath, SpecError};
use crate::spec::{Admin, Scenario};
use sim_core::fault::Fault;
use std::collections::{BTreeMap, BTreeSet};

/// Where a node is, as the timeline leaves it.
#[derive(Clone, Copy, Debug, PartialEq)]
enum State {
    Up,
    /// Down until the time (seconds), or for good.
    Down(Option<f64>),
    /// Paused until the time (seconds), or until a `resume`.
    Paused(Option<f64>),
}

impl State {
    /// The state at `t`, once scheduled restarts and resumes up to `t` have happened.
    fn at(self, t: f64) -> State {
        match self {
            State::Down(Some(u)) | State::Paused(Some(u)) if u <= t => State::Up,
            s => s,
        }
    }

    fn describe(self) -> &'static str {
        match self {
            State::Up => "running",
            State::Down(_) => "down",
            State::Paused(_) => "paused",
        }
    }
}

/// The timeline's replayed state.
struct Replay {
    nodes: Vec<State>,
    crash_chaos: BTreeSet<u32>,
    pause_chaos: BTreeSet<u32>,
    partition_chaos: bool,
    /// Names of partitions, clogs and slowdowns in force, with the entry that started each.
    named: BTreeMap<String, usize>,
}

/// Checks the timeline of `s` for contradictions; errors name the entry (`faults[i]...`).
pub fn check(s: &Scenario) -> Result<(), SpecError> {
    let procs = |c: Option<&Vec<sim_core::ProcId>>| c.into_iter().flatten().map(|p| p.0).collect();
    let mut r = Replay {
        nodes: vec![State::Up; s.cluster.storage_nodes()],
        crash_chaos: procs(s.chaos.crashes.as_ref().map(|c| &c.nodes)),
        pause_chaos: procs(s.chaos.pauses.as_ref().map(|c| &c.nodes)),
        partition_chaos: s.chaos.partitions.is_some(),
        named: BTreeMap::new(),
    };
    for (i, a) in s.faults.iter().enumerate() {
        let step = match (&a.fault, &a.admin) {
            (Some(f), None) => r.fault(f, a.at_s, i),
            (None, Some(adm)) => r.admin(adm, a.at_s),
            _ => Ok(()), // validation refuses these
        };
        step.map_err(|e| e.under(JsonPath::root().field("faults").index(i)))?;
    }
    Ok(())
}

impl Replay {
    fn fault(&mut self, f: &Fault, t: f64, entry: usize) -> Result<(), SpecError> {
        let later = |ms: &Option<f64>| ms.map(|ms| t + ms / 1000.0);
        match f {
            Fault::Crash { node, restart_after_ms } => {
                self.expect(node.0, t, "crash", |s| !matches!(s, State::Down(_)))?;
                self.set(node.0, State::Down(later(restart_after_ms)));
            }
            Fault::Wipe { node, restart_after_ms } => self.set(node.0, State::Down(later(restart_after_ms))),
            Fault::Restart { node } => {
                self.expect(node.0, t, "restart", |s| matches!(s, State::Down(_)))?;
                self.set(node.0, State::Up);
            }
            Fault::Pause { node, resume_after_ms } => {
                self.expect(node.0, t, "pause", |s| s == State::Up)?;
                self.set(node.0, State::Paused(later(resume_after_ms)));
            }
            Fault::Resume { node } => {
                self.expect(node.0, t, "resume", |s| matches!(s, State::Paused(_)))?;
                self.set(node.0, State::Up);
            }
            Fault::Partition { name, .. } | Fault::Clog { name, .. } | Fault::Slow { name, .. } => {
                self.named.insert(name.clone(), entry);
            }
            Fault::Heal { name } => self.heal(name.as_deref())?,
            _ => {}
        }
        Ok(())
    }

    fn admin(&mut self, a: &Admin, t: f64) -> Result<(), SpecError> {
        match a {
            Admin::Join { node } => self.expect(*node, t, "join", |s| !matches!(s, State::Down(_))),
            Admin::Leave { node } => self.expect(*node, t, "leave", |s| !matches!(s, State::Down(_))),
            Admin::Replace { node, after_ms } => {
                self.set(*node, State::Down(Some(t + after_ms / 1000.0)));
                Ok(())
            }
        }
    }

    fn heal(&mut self, name: Option<&str>) -> Result<(), SpecError> {
        match name {
            Some(n) if self.named.remove(n).is_none() && !self.partition_chaos => {
                let known: Vec<&str> = self.named.keys().map(String::as_str).collect();
                let msg = format!("no partition, clog or slowdown named {n:?} is in force at this time");
                let fix = if known.is_empty() {
                    "remove the heal, or start the partition before it".to_string()
                } else {
                    format!("heal one of the names in force: {}", known.join(", "))
                };
                Err(SpecError::new("fault.heal.name", msg, fix))
            }
            None if self.named.is_empty() && !self.partition_chaos => Err(SpecError::new(
                "fault.heal",
                "nothing to heal: no partition, clog or slowdown is in force at this time",
                "remove the heal, or start a partition before it",
            )),
            None => {
                self.named.clear();
                Ok(())
            }
            Some(_) => Ok(()),
        }
    }

    /// Refuses `action` on `node` at `t` unless its state passes `ok`. Nodes whose state chaos
    /// also changes are not tracked for that state.
    fn expect(&self, node: u32, t: f64, action: &str, ok: impl Fn(State) -> bool) -> Result<(), SpecError> {
        let Some(&state) = self.nodes.get(node as usize) else { return Ok(()) };
        let state = state.at(t);
        let untracked = match state {
            State::Down(_) | State::Up if self.crash_chaos.contains(&node) => true,
            State::Paused(_) | State::Up if self.pause_chaos.contains(&node) => true,
            _ => false,
        };
        if ok(state) || untracked {
            return Ok(());
        }
        let kind = if matches!(action, "join" | "leave") { "admin" } else { "fault" };
        let msg = format!("node {node} is {} at {t} s, so it cannot {action}", state.describe());
        let fix = match (action, state) {
            ("restart", _) => "restart a node only after a crash or wipe without restart_after_ms",
            ("resume", _) => "resume a node only after a pause without resume_after_ms",
            ("crash", _) => "the node is already down: remove this crash, or restart it first",
            ("pause", _) => "pause a running node",
            _ => "restart the node first",
        };
        Err(SpecError::new(format!("{kind}.{action}.node"), msg, fix))
    }

    fn set(&mut self, node: u32, state: State) {
        if let Some(s) = self.nodes.get_mut(node as usize) {
            *s = state;
        }
    }
}
