//! `RunReport`: what one run writes to `report.json`. The schema is versioned; a field is
//! never renamed or repurposed without bumping [`SCHEMA_VERSION`].
//!
//! Everything in a report is a function of scenario + seed + dynsim version: no wall-clock
//! time, no host names. Maps are `BTreeMap`, so the bytes are stable.

use crate::latency::LatencySummary;
use crate::metrics::{
    ActivitySection, ConvergenceSection, CostSection, DivergenceSection, DurabilitySection, LoadSection, PhasesSection,
    StalenessSection, VisibilitySection, WindowsSection,
};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Version of the `report.json` schema.
pub const SCHEMA_VERSION: u32 = 1;

/// Outcomes and latency of one kind of operation.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct OpSummary {
    /// Operations that completed (successfully or not).
    pub completed: u64,
    /// Successful operations.
    pub ok: u64,
    /// Failed operations (quorum timeout, unavailable, client timeout).
    pub failed: u64,
    /// `ok / completed` (1 when nothing completed).
    pub success_ratio: f64,
    /// Share of completed operations that succeeded within the SLA latency.
    pub within_sla: f64,
    /// Latency of successful operations, in milliseconds.
    pub latency_ms: LatencySummary,
}

/// One storage node at the end of the run.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct NodeSummary {
    /// The node number.
    pub node: u32,
    /// Whether it was up at the end.
    pub up: bool,
    /// Every counter the model declares (see [`RunReport::counters`]), summed over the node's
    /// incarnations.
    pub counters: BTreeMap<String, u64>,
    /// Its state at the end, when it was up: hints held, whether it is on the ring in its own
    /// view, and the ring members its view holds.
    #[serde(default)]
    pub state: BTreeMap<String, u64>,
}

/// One counter the model declares, with its totals.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct CounterSummary {
    /// Its name (the key in [`NodeSummary::counters`]).
    pub name: String,
    /// Its kind (`request`, `replica`, `repair`, `membership`, `storage`, `admission`,
    /// `client`).
    pub kind: String,
    /// What it counts.
    pub doc: String,
    /// Summed over the storage nodes.
    pub nodes: u64,
    /// Summed over the client processes (their client libraries).
    pub clients: u64,
}

/// Latency at fixed quantiles, per operation kind (`latency_cdf` in `report.json`).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct LatencyCdf {
    /// The quantiles, ascending (0.01 to 0.99 by 0.01, then 0.999, 0.9999 and 1).
    pub quantiles: Vec<f64>,
    /// Per operation kind with successful operations: latency in ms at each quantile.
    pub ms: BTreeMap<String, Vec<f64>>,
}

impl LatencyCdf {
    /// The quantiles the report carries: 0.01 to 0.99 by 0.01, then 0.999, 0.9999 and 1.
    pub fn standard_quantiles() -> Vec<f64> {
        (1..100).map(|i| f64::from(i) / 100.0).chain([0.999, 0.9999, 1.0]).collect()
    }
}

/// One fault of the timeline, as an interval of simulated time.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct FaultInterval {
    /// When it began, seconds.
    pub at_s: f64,
    /// When it ended (restart, resume, heal), seconds; `null` when it lasted to the end of the
    /// run. Equal to `at_s` for instantaneous actions (clock jumps, loss settings, ...).
    pub until_s: Option<f64>,
    /// What it was, e.g. `crash n2`, `partition split`.
    pub label: String,
}

/// The report of one run.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RunReport {
    /// The schema version of this document.
    pub schema_version: u32,
    /// The dynsim version that produced it.
    pub dynsim_version: String,
    /// The scenario's name.
    pub scenario_name: String,
    /// The seed.
    pub seed: u64,
    /// The trace hash: equal runs have equal hashes.
    pub trace_hash: String,
    /// The command that replays this run.
    pub replay: String,
    /// Simulated time at the end, in seconds.
    pub sim_end_s: f64,
    /// Events the engine handled.
    pub events: u64,
    /// The SLA latency used for `within_sla`, in milliseconds (`outputs.metrics.sla_ms`).
    pub sla_ms: f64,
    /// Per operation kind, plus `all_reads` and `all_writes`.
    pub ops: BTreeMap<String, OpSummary>,
    /// Workload counters (shed arrivals, resurrected items, ...).
    pub workload: BTreeMap<String, u64>,
    /// Network counters per message kind.
    pub network: BTreeMap<String, BTreeMap<String, u64>>,
    /// Every counter the model declares, with what it counts and its totals.
    #[serde(default)]
    pub counters: Vec<CounterSummary>,
    /// Per-node counters (summed over each node's incarnations) and end state.
    pub nodes: Vec<NodeSummary>,
    /// Availability, latency and stale reads per time window and operation kind.
    #[serde(default)]
    pub windows: WindowsSection,
    /// The reachability oracle: the availability an ideal strict-quorum system could have had,
    /// per window and overall, beside the measured availability.
    #[serde(default)]
    pub reachability: crate::reachability::ReachabilitySection,
    /// The headline figures before, during and after each fault interval of the timeline.
    #[serde(default)]
    pub phases: PhasesSection,
    /// Versions, siblings and clock sizes reads returned; replica disagreement over time.
    #[serde(default)]
    pub divergence: DivergenceSection,
    /// Stale-read ratio and k-staleness of ordinary reads.
    #[serde(default)]
    pub staleness: StalenessSection,
    /// t-visibility curves from probes and from ordinary reads.
    #[serde(default)]
    pub visibility: VisibilitySection,
    /// Acknowledged writes lost, and writes lost to LWW overwrites.
    #[serde(default)]
    pub durability: DurabilitySection,
    /// Time from the last heal until all replicas agree.
    #[serde(default)]
    pub convergence: ConvergenceSection,
    /// Messages and bytes per operation, hinted handoffs, read repairs, anti-entropy.
    #[serde(default)]
    pub cost: CostSection,
    /// Requests and keys per node, load-balance efficiency, out-of-balance nodes.
    #[serde(default)]
    pub load: LoadSection,
    /// Hinted handoff, read repair and anti-entropy work per time window.
    #[serde(default)]
    pub activity: ActivitySection,
    /// Latency CDF points per operation kind (successful operations), for the CDF chart.
    #[serde(default)]
    pub latency_cdf: LatencyCdf,
    /// The fault timeline as intervals (a crash until its restart, a partition until its heal,
    /// ...), for shading charts.
    #[serde(default)]
    pub faults: Vec<FaultInterval>,
    /// The WARS model's prediction beside the measurement, with the assumptions the scenario
    /// breaks; absent when the scenario has no staleness probes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub wars: Option<crate::wars::WarsSection>,
    /// The message diagram of one key over a short window (`null` when it was turned off).
    #[serde(default)]
    pub diagram: Option<crate::diagram::MessageDiagram>,
    /// Every checker's verdict.
    pub checks: Vec<crate::checks::Verdict>,
    /// The effective scenario, defaults filled in.
    pub scenario: serde_json::Value,
}

impl RunReport {
    /// The report as pretty JSON with a trailing newline (the exact bytes of `report.json`).
    pub fn to_json(&self) -> String {
        let mut s = serde_json::to_string_pretty(self).expect("a report always serializes");
        s.push('\n');
        s
    }
}
