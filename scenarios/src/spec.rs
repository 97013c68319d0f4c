//! The scenario file format: every field a researcher can set, with its default.
//!
//! A scenario is JSON. Unknown fields are rejected. Doc comments here become the JSON Schema
//! (`dynsim schema`) and are mirrored in `docs/scenario-reference.md`. Times are in the unit
//! their name says (`_s` seconds, `_ms` milliseconds). Nodes are numbered `0..cluster.nodes`.
//!
//! The sections that configure the model have their own modules: [`dynamo`] (`dynamo`),
//! [`client`] (`client`), [`partitioning`] (`cluster.partitioning`) and [`wars`] (`wars`). Their types mirror the
//! model's and convert to them with `to_model`; the model itself knows nothing of this format.

pub mod client;
pub mod dynamo;
pub mod partitioning;
pub mod wars;

use crate::workload::arrival::ArrivalSpec;
use crate::workload::keys::KeysSpec;
use crate::workload::mix::OpMix;
use client::ClientConfig;
use dynamo::DynamoConfig;
use partitioning::PartitionStrategy;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use sim_core::disk::DiskConfig;
use sim_core::dist::DistSpec;
use sim_core::fault::{ChaosConfig, Fault};
use sim_core::net::NetConfig;
use sim_core::world::CpuConfig;
use std::collections::BTreeMap;

/// A whole experiment: cluster, settings, workloads, faults and outputs.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Scenario {
    /// A short name, used in reports. Default: empty.
    #[serde(default)]
    pub name: String,
    /// What the scenario shows. Default: empty.
    #[serde(default)]
    pub description: String,
    /// The run's one seed (`--seed` overrides it). Default 1.
    #[serde(default = "one_u64")]
    pub seed: u64,
    /// How long the workloads run, in seconds of simulated time.
    pub duration_s: f64,
    /// Extra simulated time after the workloads stop, for repairs to finish before the final
    /// state is inspected, in seconds. Default 10.
    #[serde(default = "ten")]
    pub settle_s: f64,
    /// The storage nodes.
    pub cluster: Cluster,
    /// Dynamo's settings: N, R, W, versioning, coordination, read repair, sloppy quorum,
    /// failure detection, storage. Default: the paper's (3,2,2) with vector clocks.
    #[serde(default)]
    pub dynamo: DynamoConfig,
    /// Client library settings (routing, timeout).
    #[serde(default)]
    pub client: ClientConfig,
    /// The network: latency by link class, message kind and link; loss; duplication; FIFO.
    #[serde(default)]
    pub network: NetConfig,
    /// Every node's disk: latencies, capacity, fault probabilities.
    #[serde(default)]
    pub disk: DiskConfig,
    /// CPU cost of handling messages and timers.
    #[serde(default)]
    pub cpu: CpuConfig,
    /// Initial clock offset and drift per node, keyed by node number. Default: perfect clocks.
    #[serde(default)]
    pub clocks: BTreeMap<u32, sim_core::clock::ClockConfig>,
    /// Client groups. At least one.
    pub workloads: Vec<Workload>,
    /// Staleness probes: a write, then a read by a different client after a delay. Default off.
    #[serde(default)]
    pub probes: Option<Probes>,
    /// The fault timeline.
    #[serde(default)]
    pub faults: Vec<TimedAction>,
    /// Seeded fault generators (crash/restart churn, pauses, partitions). Default: off.
    #[serde(default)]
    pub chaos: ChaosConfig,
    /// The WARS predictor's trials and a PBS Table 3 preset for the replica legs. Default: no
    /// preset, 200,000 trials (the predictor runs whenever there are probes).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub wars: Option<wars::WarsSpec>,
    /// What the run writes.
    #[serde(default)]
    pub outputs: Outputs,
    /// A parameter sweep for `dynsim sweep` (`dynsim run` ignores it); `--grid` and `--seeds`
    /// on the command line override it. Default: none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sweep: Option<SweepSpec>,
}

/// The grid and seeds of `dynsim sweep SCENARIO` when the command line gives none.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SweepSpec {
    /// The axes, `NAME=VALUES` separated by `;`, e.g. `N=3; R=1..3; W=1..3`. `N`, `R`, `W` are
    /// `dynamo.n`, `dynamo.r`, `dynamo.w`; any other name is a JSON path into the scenario
    /// (`chaos.crashes.mttf_s.exponential.mean`, `workloads[0].clients`). Values: an inclusive
    /// range `A..B`, a stepped range `A..B:STEP`, or a comma list (numbers, `true`/`false`,
    /// strings).
    pub grid: String,
    /// The seeds every combination runs: an inclusive range `A..B`, a comma list, or one
    /// number. Default `1..10`.
    #[serde(default = "default_sweep_seeds")]
    pub seeds: String,
}

fn default_sweep_seeds() -> String {
    "1..10".into()
}

fn one_u64() -> u64 {
    1
}
fn ten() -> f64 {
    10.0
}
fn one_f64() -> f64 {
    1.0
}
fn one_usize() -> usize {
    1
}

/// The storage nodes and how keys are spread over them.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Cluster {
    /// Number of storage nodes on the starting ring, numbered 0.. in order.
    pub nodes: usize,
    /// Spare storage nodes, numbered `nodes..nodes + spares`: they run from the start but are
    /// not on the ring until an `admin.join` command adds one. Default 0.
    #[serde(default)]
    pub spares: usize,
    /// Number of datacenters; node `i` is in datacenter `i mod datacenters`. Default 1.
    #[serde(default = "one_usize")]
    pub datacenters: usize,
    /// Racks per datacenter; nodes of a datacenter are dealt round-robin over its racks.
    /// Default 1.
    #[serde(default = "one_usize")]
    pub racks_per_datacenter: usize,
    /// Partitioning strategy (§6.2) and its token or partition counts.
    /// Default: 64 random tokens per node (strategy 1).
    #[serde(default = "default_partitioning")]
    pub partitioning: PartitionStrategy,
    /// Capacity weight per node number (tokens are proportional to it). Default 1 each.
    #[serde(default)]
    pub capacities: BTreeMap<u32, f64>,
}

impl Cluster {
    /// Every storage process: the starting ring's nodes and the spares.
    /// Saturates: validation refuses a total over the node limit, so a huge `spares` is an
    /// error, not an overflow.
    pub fn storage_nodes(&self) -> usize {
        self.nodes.saturating_add(self.spares)
    }
}

fn default_partitioning() -> PartitionStrategy {
    PartitionStrategy::RandomTokens { tokens_per_node: 64 }
}

/// How a client merges the siblings a get returns before writing back.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum MergePolicy {
    /// The shopping cart: the union of the siblings' items. Items deleted on one branch can
    /// come back; each resurrection is counted.
    #[default]
    Union,
    /// Keep the sibling with the highest write id (a client-side last writer wins).
    LastWriterWins,
    /// Never reconcile: a read-modify-write writes back blind (no context), so every version
    /// stays a sibling (the application keeps all of them); measures sibling growth.
    KeepAll,
}

/// A group of identical clients.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Workload {
    /// Name used in reports. Default: `workload<i>`.
    #[serde(default)]
    pub name: String,
    /// Number of client processes in the group. Default 1. Clients are numbered after every
    /// storage node and spare, group by group in the order of `workloads` (see Process numbers).
    #[serde(default = "one_usize")]
    pub clients: usize,
    /// The datacenter the clients sit in. Default 0.
    #[serde(default)]
    pub datacenter: u32,
    /// When operations start: the arrival process of the whole group (split evenly over its
    /// clients).
    pub arrival: ArrivalSpec,
    /// Which keys operations touch.
    pub keys: KeysSpec,
    /// Value sizes in bytes. Default: constant 1024. Each draw is clamped to
    /// `[0, 4 GiB - 1]` (a value's size is a `u32` on the wire).
    #[serde(default = "default_value_bytes")]
    pub value_bytes: DistSpec,
    /// The operation mix (weights). Default: half gets, half puts.
    #[serde(default)]
    pub mix: OpMix,
    /// Clients carry each key's context from one operation to the next (and the fastest
    /// responder as the next write's coordinator); read-your-writes is tracked. Default true.
    #[serde(default = "yes")]
    pub sessions: bool,
    /// How siblings are merged before a write. Default: union.
    #[serde(default)]
    pub merge: MergePolicy,
    /// The group starts at this time, in seconds. Default 0.
    #[serde(default)]
    pub start_s: f64,
    /// The group stops issuing operations at this time, in seconds. Default: `duration_s`.
    #[serde(default)]
    pub stop_s: Option<f64>,
    /// At most this many operations outstanding per client; arrivals beyond it are shed and
    /// counted. Default 64.
    #[serde(default = "default_outstanding")]
    pub max_outstanding: usize,
}

fn yes() -> bool {
    true
}
fn default_outstanding() -> usize {
    64
}
fn default_value_bytes() -> DistSpec {
    DistSpec::Constant { value: 1024.0 }
}

/// Staleness probes measure t-visibility directly: a blind write to a fresh probe key, then,
/// after a delay from the write's acknowledgement, a read by a client with no session.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Probes {
    /// Probes started per second (Poisson). Default 10.
    #[serde(default = "ten")]
    pub rate_per_s: f64,
    /// Delay from the write's acknowledgement to the read, in milliseconds.
    pub delay_ms: DistSpec,
    /// The datacenter of the probe clients. Default 0.
    #[serde(default)]
    pub datacenter: u32,
    /// Value size of probe writes in bytes. Default 1; at most `4 GiB - 1`.
    #[serde(default = "one_f64")]
    pub value_bytes: f64,
}

/// One entry of the fault timeline: exactly one of `fault` or `admin`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct TimedAction {
    /// When, in seconds of simulated time.
    pub at_s: f64,
    /// A fault for the simulator to apply (crash, partition, clock jump, ...).
    #[serde(default)]
    pub fault: Option<Fault>,
    /// An operator command to the Dynamo cluster (membership changes).
    #[serde(default)]
    pub admin: Option<Admin>,
}

/// Operator commands (§4.8–4.9).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum Admin {
    /// The node (a spare, or a node that left) joins the ring: it persists the command, gossip
    /// spreads it, the current holders of its future ranges offer them, and once it has
    /// received them all it becomes a ring member (§4.9).
    Join {
        /// The node number.
        node: u32,
    },
    /// The node leaves the ring: it stays on the ring while it hands each of its ranges to the
    /// nodes that will replicate it next, then marks itself left (§4.9). An outage is not a
    /// leave: a `crash` fault triggers no rebalancing.
    Leave {
        /// The node number.
        node: u32,
    },
    /// A node's disk is lost and the node comes back empty, to be rebuilt by repair.
    Replace {
        /// The node number.
        node: u32,
        /// Downtime before the empty replacement starts, in milliseconds. Default 0.
        #[serde(default)]
        after_ms: f64,
    },
}

/// What a run writes besides its summary.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, default)]
pub struct Outputs {
    /// Directory for report.json and friends (`--out` overrides it). Default `out`.
    pub dir: Option<String>,
    /// How the run is measured: report time windows, the SLA latency, replica sampling.
    pub metrics: crate::metrics::MetricsSpec,
    /// The message diagram: which key and time window it shows, and how many messages at most.
    pub diagram: crate::diagram::DiagramSpec,
    /// The charts: size, base font size, and which files are written (SVG, PNG, PDF).
    pub charts: crate::look::ChartsSpec,
}
