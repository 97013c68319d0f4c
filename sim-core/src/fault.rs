//! Faults: the things the fault timeline and the chaos generators do to a world.
//!
//! A [`Fault`] is one action at one instant (crash a node, start a partition, skew a clock...).
//! A timeline is a list of [`TimedFault`]s. [`ChaosConfig`] describes seeded generators that
//! produce faults at random: crash/restart churn with MTTF/MTTR distributions, pauses, and
//! partitions of random shapes. The world applies both (see `world.rs` and `chaos.rs`).

use crate::disk::DiskFaults;
use crate::dist::DistSpec;
use crate::id::ProcId;
use crate::partition::PartitionShape;
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
