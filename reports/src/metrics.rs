//! The measurement sections of a run report: availability and latency per time window,
//! divergence, staleness, t-visibility, durability, convergence, cost and load.
//!
//! Every type here is plain data; `scenarios::metrics` computes them from a finished run. Ratios
//! are rounded to 6 decimals and milliseconds to 3 (see [`round6`] and [`crate::latency::round3`]),
//! so report bytes are stable. Maps are `BTreeMap`. A figure that cannot be computed (nothing to
//! divide by, sampling off, a mechanism not built) is `null`, never a made-up 0 or 1.

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Rounds to 6 decimals (ratios, shares, probabilities).
pub fn round6(x: f64) -> f64 {
    (x * 1e6).round() / 1e6
}

/// A small integer distribution in labelled buckets (`"0"`, `"1"`, `"2"`, `"3"`, `"4+"`).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Buckets {
    /// Number of observations.
    pub total: u64,
    /// Observations per bucket (every bucket present, possibly 0).
    pub counts: BTreeMap<String, u64>,
    /// `counts / total` per bucket (all 0 when `total` is 0).
    pub shares: BTreeMap<String, f64>,
    /// Mean of the exact (unbucketed) values; `null` when `total` is 0.
    pub mean: Option<f64>,
    /// Largest exact value (0 when `total` is 0).
    pub max: u64,
}

// ---------------------------------------------------------------------------------------------
// windows

/// Availability and latency per time window (`windows` in `report.json`).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct WindowsSection {
    /// Window width in seconds (`outputs.metrics.window_s`).
    pub window_s: f64,
    /// The windows from time 0 to the end of the run, in order; windows in which no operation
    /// completed are included with an empty `ops`.
    pub windows: Vec<Window>,
}

/// One time window. An operation belongs to the window its completion time falls in.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Window {
    /// Start of the window, in seconds of simulated time (the window is `[start_s, start_s + window_s)`).
    pub start_s: f64,
    /// Per operation kind that completed in the window (`get`, `put`, ...), plus `all_reads`
    /// and `all_writes` whenever any read or write did.
    pub ops: BTreeMap<String, WindowOps>,
}

/// Outcomes and latency of one kind of operation within one window.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct WindowOps {
    /// Operations that completed in the window.
    pub completed: u64,
    /// Of those, the successful ones.
    pub ok: u64,
    /// `ok / completed`.
    pub success_ratio: f64,
    /// Share of completed operations that succeeded within the SLA latency.
    pub within_sla: f64,
    /// Median latency of the successful ones, ms (HDR, 3 significant digits; 0 when none).
    pub p50_ms: f64,
    /// 99th percentile, ms.
    pub p99_ms: f64,
    /// 99.9th percentile, ms.
    pub p999_ms: f64,
    /// Ordinary reads (`get`, `rmw_read`, `all_reads` without probes) only: successful reads
    /// that were stale (see [`StaleStats`]). Absent for other kinds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stale_reads: Option<u64>,
    /// Ordinary reads only: successful reads with an acknowledged prior write, the denominator
    /// of the headline stale share ([`STALE_HEADLINE`]). Absent for other kinds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reads_with_prior_write: Option<u64>,
}

// ---------------------------------------------------------------------------------------------
// phases

/// The headline figures before, during and after each fault interval of the scenario's
/// timeline (`phases` in `report.json`).
///
/// The run is cut at every start and end of a fault interval of `faults` (instants such as a
/// clock jump cut too); an operation belongs to the phase its completion time falls in, as it
/// belongs to a window. Faults that chaos generators inject are not on the timeline and cut
/// nothing.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct PhasesSection {
    /// The phases from time 0 to the end of the run, in order.
    pub phases: Vec<Phase>,
}

/// One phase of the run.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Phase {
    /// What was going on: `before faults`, `during partition split`, `during crash n4,
    /// partition split` (overlapping faults), `after crash n4` (the fault that ended last), or
    /// `no faults` when the timeline is empty.
    pub label: String,
    /// Start, seconds.
    pub from_s: f64,
    /// End, seconds (the phase is `[from_s, until_s)`; the last one ends with the run).
    pub until_s: f64,
    /// Every client read (gets, rmw reads, probe reads) that completed in the phase.
    pub reads: PhaseOps,
    /// Every client write (puts, deletes, rmw writes, probe writes).
    pub writes: PhaseOps,
    /// Ordinary reads (gets, rmw reads) judged for staleness.
    pub stale: PhaseStale,
    /// Mean share of known keys whose live replicas disagree, over the divergence samples taken
    /// in the phase; `null` without samples in it.
    pub divergent_fraction_mean: Option<f64>,
}

/// Outcomes and latency of one side (reads or writes) within a phase.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct PhaseOps {
    /// Operations that completed.
    pub completed: u64,
    /// Of those, the successful ones.
    pub ok: u64,
    /// `ok / completed` (availability); `null` when nothing completed.
    pub success_ratio: Option<f64>,
    /// Share of completed operations that succeeded within the SLA; `null` when nothing
    /// completed.
    pub within_sla: Option<f64>,
    /// Latency of the successful ones, ms (HDR over the whole phase); `null` without any.
    pub p50_ms: Option<f64>,
    /// 99th percentile, ms.
    pub p99_ms: Option<f64>,
    /// 99.9th percentile, ms (the maximum when fewer than 1000 succeeded).
    pub p999_ms: Option<f64>,
}

/// The stale-read headline ([`STALE_HEADLINE`]) within a phase.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct PhaseStale {
    /// Successful ordinary reads with an acknowledged prior write.
    pub with_prior_write: u64,
    /// Successful ordinary reads without one (never stale, not in the headline).
    pub without_prior_write: u64,
    /// Stale reads.
    pub stale: u64,
    /// `stale / with_prior_write`; `null` when no read had a prior write.
    pub stale_ratio_with_prior_write: Option<f64>,
}

// ---------------------------------------------------------------------------------------------
// divergence

/// What successful reads returned, and how many keys' replicas disagreed over time
/// (`divergence` in `report.json`).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct DivergenceSection {
    /// Per read kind (`get`, `rmw_read`, `probe_read`) and `all_reads`.
    pub reads: BTreeMap<String, ReadShapes>,
    /// How often replica state was sampled, in seconds; `null` when sampling was off.
    pub sample_interval_s: Option<f64>,
    /// One point per sample: the keys written so far whose live top-N replicas disagree.
    pub over_time: Vec<DivergenceSample>,
    /// Largest `fraction` over the samples; `null` without samples.
    pub max_divergent_fraction: Option<f64>,
    /// Mean `fraction` over the samples; `null` without samples.
    pub mean_divergent_fraction: Option<f64>,
}

/// The shape of successful reads' answers.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct ReadShapes {
    /// Distinct versions (writes) returned per read, bucketed `0` (not found), `1`, `2`, `3`,
    /// `4+`, as in the paper's §6.3.
    pub versions: Buckets,
    /// Siblings returned per read (under vector clocks one write can come back twice with
    /// concurrent stamps, so this can exceed `versions`), bucketed the same way.
    pub siblings: Buckets,
    /// The longest returned clock, in entries: number of reads per length.
    pub clock_len: BTreeMap<u32, u64>,
}

/// One sample of replica agreement.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct DivergenceSample {
    /// Sample time, in seconds.
    pub t_s: f64,
    /// Keys known so far (written by a completed operation or held by some replica).
    pub keys: u64,
    /// Of those, keys whose live top-N replicas do not all hold the same versions.
    pub divergent: u64,
    /// `divergent / keys` (0 when no key is known yet).
    pub fraction: f64,
}

// ---------------------------------------------------------------------------------------------
// staleness

/// The one stale-read headline of a run, as the summary, `report.json`
/// (`staleness.headline`, [`StaleStats::stale_ratio_with_prior_write`]), the phases, the page
/// and the stale-reads chart label it: stale reads among successful ordinary reads (gets and
/// read-modify-write reads) of a key with an acknowledged prior write. Reads of keys no write
/// was acknowledged for before they began cannot be stale and are counted apart
/// ([`StaleStats::without_prior_write`]); the ordinary-read t-visibility's P(consistent) is one
/// minus this share over the same reads.
pub const STALE_HEADLINE: &str = "stale reads (of successful gets and rmw reads with an acknowledged prior write)";

/// Stale reads and k-staleness of ordinary reads (`staleness` in `report.json`).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct StalenessSection {
    /// What the headline figure, `by_kind.all.stale_ratio_with_prior_write`, counts
    /// ([`STALE_HEADLINE`]).
    #[serde(default)]
    pub headline: String,
    /// Per ordinary read kind (`get`, `rmw_read`) and `all` (both). Probe reads are measured
    /// by `visibility.probes` instead.
    pub by_kind: BTreeMap<String, StaleStats>,
}

/// Staleness of a set of successful reads.
///
/// For a read R of key k, P* is the latest write of k acknowledged before R was invoked. A
/// returned write w *covers* an earlier write x when w is x or causally descends from it (by
/// the clients' contexts), or when w was invoked after x completed (PBS: a newer write in
/// flight counts as fresh). R is fresh when there is no P* or some returned write covers P*,
/// and stale otherwise.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct StaleStats {
    /// Successful reads.
    pub reads: u64,
    /// Of those, reads with a P* (some write of the key was acknowledged before they began).
    pub with_prior_write: u64,
    /// Of those, reads without a P* (the key had no acknowledged write before they began):
    /// never stale, and not part of the headline.
    #[serde(default)]
    pub without_prior_write: u64,
    /// Stale reads (always among the reads with a P*).
    pub stale: u64,
    /// The headline ([`STALE_HEADLINE`]): `stale / with_prior_write`; `null` when no read had a
    /// P*. Equal to 1 − P(consistent) of the ordinary reads' t-visibility.
    #[serde(default)]
    pub stale_ratio_with_prior_write: Option<f64>,
    /// `stale / reads`, over every successful read including reads of never-written keys (kept
    /// for comparison with earlier reports; the headline is `stale_ratio_with_prior_write`);
    /// `null` when there were no reads.
    pub stale_ratio: Option<f64>,
    /// Fresh reads whose only covering write was invoked after P* completed without
    /// descending from it (fresh only because of an in-flight newer write).
    pub fresh_via_newer_write: u64,
    /// k-staleness: per read, the number of writes of the key acknowledged before it began that
    /// no returned write covers, bucketed `0`..`3`, `4+`.
    pub k: Buckets,
    /// Versions behind, per read with a P*: entry i counts the reads i acknowledged versions
    /// behind (0 = fresh; a stale read counts back from P* to the newest write it returned or
    /// covered), for i = 0..15; the last entry counts 16 or more.
    #[serde(default)]
    pub versions_behind: Vec<u64>,
    /// PBS k-staleness as P(within k) for k = 1..=16 (entry k − 1): the share of reads with a
    /// P* that returned one of the last k acknowledged versions, i.e. fewer than k versions
    /// behind. Empty when no read had a P*.
    #[serde(default)]
    pub p_within_k: Vec<f64>,
}

// ---------------------------------------------------------------------------------------------
// visibility

/// t-visibility: P(consistent | t since the write committed), with Wilson score intervals
/// (`visibility` in `report.json`).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct VisibilitySection {
    /// Confidence level of the intervals (0.95).
    pub confidence: f64,
    /// From staleness probes: t = probe read invoked − probe write completed; consistent iff
    /// the read returned the probe's write.
    pub probes: VisibilityCurve,
    /// From ordinary reads with a P*: t = read invoked − P* completed; consistent iff fresh.
    pub reads: VisibilityCurve,
    /// Both curves again on the grid of t the scenario chose (`outputs.metrics.t_visibility`),
    /// with the first t that reaches each target probability; absent when it chose none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub grid: Option<VisibilityGrid>,
}

/// t-visibility on a grid of t: point i stands for the reads with t in
/// `[from_ms + i·step_ms, from_ms + (i+1)·step_ms)`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct VisibilityGrid {
    /// The first point's t, ms.
    pub from_ms: f64,
    /// The last point's t, ms.
    pub to_ms: f64,
    /// The spacing of the points, ms.
    pub step_ms: f64,
    /// The target probabilities of `first_t`.
    pub targets: Vec<f64>,
    /// Probe reads on the grid.
    pub probes: GridCurve,
    /// Ordinary reads with a P* on the grid.
    pub reads: GridCurve,
}

/// One curve on the grid.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct GridCurve {
    /// The points holding at least one read, in order of t.
    pub points: Vec<GridPoint>,
    /// Reads with t before the grid's first point.
    pub before: u64,
    /// Reads with t past the grid's last point (and its step).
    pub after: u64,
    /// Per target probability: from which t on the curve stays at or above it.
    pub first_t: Vec<TargetT>,
}

/// One point of a grid curve, with its Wilson score interval.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct GridPoint {
    /// t, ms (the point's lower edge).
    pub t_ms: f64,
    /// Reads with t in the point's step.
    pub reads: u64,
    /// Of those, consistent ones.
    pub consistent: u64,
    /// `consistent / reads`.
    pub p: f64,
    /// Lower end of the Wilson score interval.
    pub ci_low: f64,
    /// Upper end of the Wilson score interval.
    pub ci_high: f64,
}

/// The first t from which a curve stays at or above a target probability: the first point
/// such that every later point with reads is at or above it. `null` when the last point is
/// below (the grid never reaches the target).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct TargetT {
    /// The target probability.
    pub target: f64,
    /// From the measured p, ms.
    pub t_ms: Option<f64>,
    /// From the Wilson upper bounds (the earliest t the data allow), ms.
    pub t_ms_low: Option<f64>,
    /// From the Wilson lower bounds (the latest t the data allow; `null` when even the last
    /// points are too few to rule out missing the target), ms.
    pub t_ms_high: Option<f64>,
}

/// A t-visibility curve.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct VisibilityCurve {
    /// Reads measured.
    pub reads: u64,
    /// Of those, consistent ones.
    pub consistent: u64,
    /// `consistent / reads`; `null` when there were none.
    pub p_consistent: Option<f64>,
    /// The non-empty bins of t, in order.
    pub bins: Vec<VisibilityBin>,
}

/// One bin of t.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct VisibilityBin {
    /// Lower edge of t, ms (inclusive).
    pub from_ms: f64,
    /// Upper edge of t, ms (exclusive); `null` for the last, open bin.
    pub to_ms: Option<f64>,
    /// Reads in the bin.
    pub reads: u64,
    /// Of those, consistent ones.
    pub consistent: u64,
    /// `consistent / reads`.
    pub p: f64,
    /// Lower end of the Wilson score interval.
    pub ci_low: f64,
    /// Upper end of the Wilson score interval.
    pub ci_high: f64,
}

// ---------------------------------------------------------------------------------------------
// durability

/// Acknowledged writes the cluster no longer holds (`durability` in `report.json`).
///
/// An acknowledged write w of key k is lost when nothing the cluster holds for k at the end (every
/// node's replica, buffer and hints, merged) is w or causally descends from it.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct DurabilitySection {
    /// The versioning mode (`vector_clock`, `dvv`, `lww`).
    pub versioning: String,
    /// Acknowledged writes (puts, deletes, read-modify-writes and probe writes).
    pub acked_writes: u64,
    /// Lost acknowledged writes (vector clocks and DVV; 0 under LWW, see `lww_overwritten`).
    pub lost_acked_writes: u64,
    /// Under LWW: acknowledged writes that a write with a higher timestamp replaced without
    /// descending from them (lost by design: LWW keeps one of concurrent writes).
    pub lww_overwritten: u64,
    /// `lost_acked_writes` when the run had none of the faults in `data_destroying_faults`,
    /// else 0: losses nothing in the scenario excuses.
    pub lost_acked_writes_unexcused: u64,
    /// Why losses are excused, if they are: `wipe`, `replace`, `chaos_wipe`,
    /// `disk_corruption`, `torn_writes`, `misdirected_writes`, `buffered_writes_with_crashes`,
    /// `unsynced_writes_with_crashes`. Empty when nothing in the scenario destroys data.
    pub data_destroying_faults: Vec<String>,
    /// Writes that failed (not acknowledged).
    pub failed_writes: u64,
    /// Of those, writes that still survive (a failed write may have reached replicas).
    pub failed_writes_surviving: u64,
    /// The first (by completion time) lost writes, at most 10, for a look with `dynsim replay`.
    pub lost_examples: Vec<LostWrite>,
}

/// One lost write.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct LostWrite {
    /// The key.
    pub key: u64,
    /// The write id.
    pub write: u64,
    /// The writing client process.
    pub client: u32,
    /// When it was acknowledged, seconds.
    pub completed_s: f64,
}

// ---------------------------------------------------------------------------------------------
// convergence

/// How long replicas took to agree after the last heal (`convergence` in `report.json`).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct ConvergenceSection {
    /// Whether replica state was sampled during the run (otherwise only the end is known).
    pub sampled: bool,
    /// The last heal: the latest heal, restart or resume of the fault timeline that happened in
    /// the run (including the delayed restart of a crash, wipe or replacement and the delayed
    /// resume of a pause), or, with chaos generators, the first sample after the world last
    /// applied a fault or restarted a process (within one sample interval after it). `null`
    /// when nothing healed.
    pub last_heal_s: Option<f64>,
    /// When the workloads stopped, seconds.
    pub workload_end_s: f64,
    /// The first sample from which every later sample found every key's live replicas in
    /// agreement; `null` if they disagreed at the end (or sampling was off).
    pub converged_at_s: Option<f64>,
    /// `converged_at_s − last_heal_s` (0 when agreement already held through the last heal);
    /// `null` when either is `null`. Resolution: one sample interval. While workloads run,
    /// fresh writes keep some replicas briefly apart, so this is at least the time to the
    /// end of the workloads when they outlast the heal.
    pub convergence_s: Option<f64>,
    /// `converged_at_s − workload_end_s` (0 when agreement held before); `null` when not converged.
    pub after_workload_end_s: Option<f64>,
    /// Keys whose live top-N replicas disagree at the end of the run (from the final state).
    pub divergent_keys_at_end: u64,
    /// Keys known at the end: written by a completed operation or held by some replica.
    pub keys_at_end: u64,
}

// ---------------------------------------------------------------------------------------------
// cost

/// What the operations cost (`cost` in `report.json`).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct CostSection {
    /// Client operations completed (every kind, successful or not): the divisor of `*_per_op`.
    pub client_ops: u64,
    /// Messages sent, every kind.
    pub messages: u64,
    /// Bytes sent, every kind.
    pub bytes: u64,
    /// `messages / client_ops`; `null` without operations.
    pub messages_per_op: Option<f64>,
    /// `bytes / client_ops`; `null` without operations.
    pub bytes_per_op: Option<f64>,
    /// Per message kind that was sent.
    pub by_kind: BTreeMap<String, KindCost>,
    /// Writes coordinators sent to substitutes with a hint.
    pub hinted_writes: u64,
    /// Hints substitutes stored.
    pub hints_stored: u64,
    /// Hinted replicas handed off to their intended node (and deleted).
    pub hinted_handoffs: u64,
    /// Read-repair writes coordinators sent to stale replicas.
    pub read_repairs: u64,
    /// Keys repaired by anti-entropy exchanges; `null` when anti-entropy is off.
    pub anti_entropy_keys_repaired: Option<u64>,
    /// Always `cumulative`: the world keeps each node's counters across its restarts. (Reports
    /// of earlier versions could say `since_last_restart`.)
    pub node_counters: String,
}

/// The cost of one message kind.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct KindCost {
    /// Messages sent.
    pub messages: u64,
    /// Bytes sent.
    pub bytes: u64,
    /// `messages / client_ops`; `null` without operations.
    pub messages_per_op: Option<f64>,
    /// `bytes / client_ops`; `null` without operations.
    pub bytes_per_op: Option<f64>,
}

// ---------------------------------------------------------------------------------------------
// load

/// Requests and keys per node and how evenly they spread (`load` in `report.json`).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct LoadSection {
    /// Per storage node.
    pub nodes: Vec<NodeLoad>,
    /// Balance of `requests` over the nodes.
    pub requests: Balance,
    /// Balance of `keys` over the nodes.
    pub keys: Balance,
    /// Balance of the requests handled within each time window (from samples; empty when
    /// sampling was off). Windows with no request are left out.
    pub over_time: Vec<LoadWindow>,
    /// `cumulative` or `since_last_restart`, as in `cost.node_counters`.
    pub node_counters: String,
}

/// One node's load.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct NodeLoad {
    /// The node number.
    pub node: u32,
    /// `replica_reads + replica_writes + coordinated`.
    pub requests: u64,
    /// Replica reads served.
    pub replica_reads: u64,
    /// Replica writes served.
    pub replica_writes: u64,
    /// Gets and puts coordinated (successful or not).
    pub coordinated: u64,
    /// Data records on its disk at the end (hints not included).
    pub keys: u64,
}

/// How evenly a quantity spreads over the nodes (§6.2).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Balance {
    /// Mean over the nodes.
    pub mean: f64,
    /// Largest.
    pub max: u64,
    /// Smallest.
    pub min: u64,
    /// Load-balance efficiency, `mean / max`; `null` when every node has 0.
    pub efficiency: Option<f64>,
    /// Share of nodes more than 15% off the mean; `null` when every node has 0.
    pub out_of_balance_share: Option<f64>,
    /// Those nodes.
    pub out_of_balance_nodes: Vec<u32>,
}

/// Request balance within one time window.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct LoadWindow {
    /// Start of the window, seconds.
    pub start_s: f64,
    /// Requests handled by all nodes in the window.
    pub requests: u64,
    /// `mean / max` over the nodes.
    pub efficiency: Option<f64>,
    /// Share of nodes more than 15% off the mean.
    pub out_of_balance_share: Option<f64>,
}

// ---------------------------------------------------------------------------------------------
// activity

/// Background repair work per time window: hinted handoff, read repair and anti-entropy
/// (`activity` in `report.json`). Counted from node counters sampled during the run, so the
/// resolution is one sample interval: the work done between two samples counts in the window
/// holding the later sample (less one nanosecond).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct ActivitySection {
    /// Window width in seconds (`outputs.metrics.window_s`).
    pub window_s: f64,
    /// Whether node counters were sampled; without samples `windows` is empty.
    pub sampled: bool,
    /// Whether anti-entropy was on (the `ae_*` counts are `null` when it was off).
    pub anti_entropy: bool,
    /// Whether the scenario commands joins or leaves (`transfer_keys` is `null` otherwise).
    #[serde(default)]
    pub membership_changes: bool,
    /// Every window from time 0 to the end of the run, in order, idle ones included (all 0).
    pub windows: Vec<ActivityWindow>,
}

/// Repair work done within one window, summed over the nodes.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct ActivityWindow {
    /// Start of the window, seconds.
    pub start_s: f64,
    /// Writes coordinators sent to substitutes with a hint.
    pub hinted_writes: u64,
    /// Hints substitutes stored.
    pub hints_stored: u64,
    /// Hinted replicas delivered to their intended node and deleted (hinted handoffs).
    pub hints_delivered: u64,
    /// Read-repair writes coordinators sent to stale replicas.
    pub read_repairs: u64,
    /// Anti-entropy exchanges completed; `null` when anti-entropy is off.
    pub ae_exchanges: Option<u64>,
    /// Keys anti-entropy exchanges transferred and merged; `null` when anti-entropy is off.
    pub ae_keys_transferred: Option<u64>,
    /// Keys whose versions a join or leave key transfer changed at the receiver; `null` when the
    /// scenario commands no join or leave.
    #[serde(default)]
    pub transfer_keys: Option<u64>,
}
