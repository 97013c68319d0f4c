//! What a scenario will cost, estimated before anything runs: events and memory.
//!
//! The estimate is arithmetic on the scenario's numbers (rates × times, nodes ÷ intervals), never
//! a simulation, so it takes microseconds whatever the input. It aims to be within a small factor
//! of the truth for the shipped scenarios (a test compares it with real runs); its job is to
//! refuse runs that are orders of magnitude beyond a [`Budget`], with a readable breakdown and
//! the flag that lifts the budget.
//!
//! Events counted: operation arrivals and probes (each operation costs about `4 + 4N` events:
//! the request, N replica requests and replies, disk completions, timers and the response);
//! every node's periodic timers (gossip, hint scans, anti-entropy, detector retries, membership
//! polls, buffer flushes, admission windows) over the whole run; measurement samples; chaos
//! cycles. Memory counted: processes, ring positions and preference lists, the keys a run can
//! touch (at most its operations) with their replicas and measurement records, and report
//! windows.

use crate::spec::Scenario;
use crate::workload::arrival::Arrivals;
use sim_core::dist::{Dist, DistSpec};
use std::fmt;

/// Events a run may handle by default (`--budget-events` lifts it): about 25 minutes of a
/// 1,000-node run on one core.
pub const DEFAULT_BUDGET_EVENTS: f64 = 1e9;

/// Memory a run may take by default, in bytes (`--budget-memory-mb` lifts it): 8 GiB.
pub const DEFAULT_BUDGET_MEMORY_BYTES: f64 = 8.0 * 1024.0 * 1024.0 * 1024.0;

/// Bytes per process (node or client) before it holds any data.
const PROCESS_BYTES: f64 = 16.0 * 1024.0;
/// Bytes per ring position, with its share of the preference-list table (per replica).
const RING_POSITION_BYTES: f64 = 16.0;
/// Bytes per replica of a stored key (record, version, clock).
const REPLICA_BYTES: f64 = 600.0;
/// Bytes of measurement state per key.
const KEY_MEASURE_BYTES: f64 = 400.0;
/// Bytes per report window and series.
const WINDOW_BYTES: f64 = 2048.0;

/// Limits on what one run may cost.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Budget {
    /// Most events (estimated).
    pub events: f64,
    /// Most memory, in bytes (estimated).
    pub memory_bytes: f64,
}

impl Default for Budget {
    fn default() -> Self {
        Budget { events: DEFAULT_BUDGET_EVENTS, memory_bytes: DEFAULT_BUDGET_MEMORY_BYTES }
    }
}

/// One line of an estimate: what, where in the scenario, and how much.
#[derive(Clone, Debug, PartialEq)]
pub struct Part {
    /// What it is, e.g. `gossip rounds`.
    pub what: &'static str,
    /// The JSON path of the setting that drives it.
    pub path: String,
    /// Its estimated events or bytes.
    pub amount: f64,
}

/// The estimated cost of one run.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Estimate {
    /// Event sources, largest first.
    pub events: Vec<Part>,
    /// Memory holders, largest first.
    pub memory: Vec<Part>,
}

impl Estimate {
    /// Total events.
    pub fn total_events(&self) -> f64 {
        self.events.iter().map(|p| p.amount).sum()
    }

    /// Total bytes.
    pub fn total_memory(&self) -> f64 {
        self.memory.iter().map(|p| p.amount).sum()
    }

    /// The largest contributor of events (what to lower first).
    pub fn main_event_source(&self) -> Option<&Part> {
        self.events.first()
    }

    /// The largest holder of memory.
    pub fn main_memory_holder(&self) -> Option<&Part> {
        self.memory.first()
    }
}

impl fmt::Display for Part {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} ({}): {:.3e}", self.what, self.path, self.amount)
    }
}

/// Estimates the events and memory of a run of `s`. Call it on a validated scenario: settings
/// that validation refuses contribute nothing here.
pub fn estimate(s: &Scenario) -> Estimate {
    let mut e = Estimate::default();
    let span_s = s.duration_s + s.settle_s;
    let nodes = s.cluster.storage_nodes() as f64;
    let ops = operations(s, &mut e);
    periodic(s, span_s, nodes, &mut e);
    chaos(s, span_s, &mut e);
    samples(s, span_s, nodes, &mut e);
    memory(s, span_s, nodes, ops, &mut e);
    e.events.retain(|p| p.amount > 0.0);
    e.memory.retain(|p| p.amount > 0.0);
    e.events.sort_by(|a, b| b.amount.total_cmp(&a.amount));
    e.memory.sort_by(|a, b| b.amount.total_cmp(&a.amount));
    e
}

/// Adds the events of workload operations and probes; returns the operations (the most keys a
/// run can write).
fn operations(s: &Scenario, e: &mut Estimate) -> f64 {
    let per_op = 4.0 + 4.0 * s.dynamo.n as f64;
    let mut total_ops = 0.0;
    for (i, w) in s.workloads.iter().enumerate() {
        let Ok(one) = Arrivals::new(&w.arrival, w.clients) else { continue };
        let active_s = (w.stop_s.unwrap_or(s.duration_s) - w.start_s).max(0.0);
        let m = &w.mix;
        let weights = m.get + m.put + m.delete + m.read_modify_write;
        let rmw_share = if weights > 0.0 { m.read_modify_write / weights } else { 0.0 };
        let ops = one.mean_rate_per_s() * w.clients as f64 * active_s * (1.0 + rmw_share);
        total_ops += ops;
        e.events.push(Part { what: "operations", path: format!("workloads[{i}].arrival"), amount: ops * per_op });
    }
    if let Some(p) = &s.probes {
        let ops = 2.0 * p.rate_per_s * s.duration_s;
        total_ops += ops;
        e.events.push(Part { what: "staleness probes", path: "probes.rate_per_s".into(), amount: ops * per_op });
    }
    total_ops
}

/// Adds every node's periodic timers over the run (with the messages each round sends).
fn periodic(s: &Scenario, span_s: f64, nodes: f64, e: &mut Estimate) {
    let d = &s.dynamo;
    let mut every = |what, path: &str, on: bool, interval_ms: f64, events_per_round: f64| {
        if on && interval_ms > 0.0 {
            let amount = nodes * span_s * 1000.0 / interval_ms * events_per_round;
            e.events.push(Part { what, path: format!("dynamo.{path}"), amount });
        }
    };
    let m = &d.membership;
    every("gossip rounds", "membership.gossip.interval_ms", m.enabled, m.gossip.interval_ms, 5.0);
    every("membership polls", "membership_poll_ms", m.enabled, d.membership_poll_ms, 1.0);
    let sq = &d.sloppy_quorum;
    every("hint scans", "sloppy_quorum.scan_interval_ms", sq.enabled, sq.scan_interval_ms, 1.0);
    let ae = &d.anti_entropy;
    every("anti-entropy exchanges", "anti_entropy.interval_ms", ae.enabled, ae.interval_ms, 8.0);
    let fd = &d.failure_detection;
    every("failure-detector retries", "failure_detection.retry_interval_ms", true, fd.retry_interval_ms, 1.0);
    if let Some(b) = &d.storage.buffer {
        every("buffer flushes", "storage.buffer.flush_interval_ms", true, b.flush_interval_ms, 1.0);
    }
    let adm = &d.admission;
    every("admission windows", "admission.window_ms", adm.enabled, adm.window_ms, 1.0);
}

/// Adds the faults chaos generators start (a cycle is a fault and its repair).
fn chaos(s: &Scenario, span_s: f64, e: &mut Estimate) {
    let c = &s.chaos;
    let active_s = (c.stop_s.unwrap_or(span_s).min(span_s) - c.start_s).max(0.0);
    let mut cycles = |what, path: &str, nodes: usize, a: &DistSpec, b: &DistSpec| {
        if let Some(cycle_s) = mean_sum(a, b).filter(|m| *m > 0.0) {
            let amount = nodes as f64 * active_s / cycle_s * 4.0;
            e.events.push(Part { what, path: format!("chaos.{path}"), amount });
        }
    };
    if let Some(x) = &c.crashes {
        cycles("crash cycles", "crashes", x.nodes.len(), &x.mttf_s, &x.mttr_s);
    }
    if let Some(x) = &c.pauses {
        cycles("pause cycles", "pauses", x.nodes.len(), &x.interval_s, &x.duration_s);
    }
    if let Some(x) = &c.partitions {
        cycles("partition cycles", "partitions", 1, &x.interval_s, &x.duration_s);
    }
}

/// The mean of `a + b`, when both are valid distributions with finite means.
pub(crate) fn mean_sum(a: &DistSpec, b: &DistSpec) -> Option<f64> {
    let mean = |d: &DistSpec| Dist::new(d).ok().and_then(|d| d.mean()).map(|m| m.max(0.0));
    Some(mean(a)? + mean(b)?)
}

/// Adds measurement samples (each visits every node once).
fn samples(s: &Scenario, span_s: f64, nodes: f64, e: &mut Estimate) {
    let end = sim_core::SimTime::ZERO + sim_core::SimDuration::from_secs_f64(span_s);
    let interval_s = s.outputs.metrics.sample_interval(end).as_secs_f64();
    let amount = span_s / interval_s * nodes;
    e.events.push(Part { what: "measurement samples", path: "outputs.metrics.sample_interval_s".into(), amount });
}

/// Adds memory: processes, the ring, keys (at most one per operation) and report windows.
fn memory(s: &Scenario, span_s: f64, nodes: f64, ops: f64, e: &mut Estimate) {
    let clients: f64 = s.workloads.iter().map(|w| w.clients as f64).sum::<f64>() + 2.0;
    let mem = &mut e.memory;
    mem.push(Part { what: "client processes", path: "workloads".into(), amount: clients * PROCESS_BYTES });
    mem.push(Part { what: "node processes", path: "cluster.nodes".into(), amount: nodes * PROCESS_BYTES });
    let ring = super::bounds::ring_positions(s) * RING_POSITION_BYTES * (1.0 + s.dynamo.n as f64);
    mem.push(Part { what: "ring and preference lists", path: "cluster.partitioning".into(), amount: ring });
    let key_space: f64 = s.workloads.iter().map(|w| w.keys.count as f64).sum();
    let probe_keys = s.probes.as_ref().map_or(0.0, |p| p.rate_per_s * s.duration_s);
    let keys = ops.min(key_space + probe_keys);
    let per_key = s.dynamo.n as f64 * REPLICA_BYTES + KEY_MEASURE_BYTES;
    mem.push(Part { what: "keys written", path: "workloads".into(), amount: keys * per_key });
    let windows = span_s / s.outputs.metrics.window_s.max(f64::MIN_POSITIVE);
    mem.push(Part { what: "report windows", path: "outputs.metrics.window_s".into(), amount: windows * WINDOW_BYTES });
}
