//! The documented floors and ceilings that keep every run finite, whatever the file says.
//!
//! Each constant bounds one kind of input that drives cost. Rates are bounded in the workload
//! specs (`workload::arrival::MAX_RATE_PER_S`), token and partition counts in the ring
//! (`dynamo_model::ring`), nodes by the actor-id packing. What only the whole scenario can bound
//! lives here: simulated time, background periods, windows, samples, clients, ring positions,
//! chaos cycles and queue sizes. The cost budget (`cost.rs`) then bounds their products.

use super::cost::mean_sum;
use crate::error::{JsonPath, SpecError};
use crate::spec::Scenario;
use crate::spec::partitioning::PartitionStrategy;
use crate::workload::arrival::MAX_RATE_PER_S;

/// Most simulated seconds in a run (`duration_s + settle_s`): about 11.6 days.
pub const MAX_SIM_SECONDS: f64 = 1e6;
/// Shortest period of a node's background task (gossip, hint scan, anti-entropy, detector
/// retry, membership poll, buffer flush, admission window), in milliseconds.
pub const MIN_PERIOD_MS: f64 = 1.0;
/// Most report windows in a run (`(duration_s + settle_s) / outputs.metrics.window_s`).
pub const MAX_WINDOWS: f64 = 100_000.0;
/// Most measurement samples in a run (`(duration_s + settle_s) / sample_interval_s`).
pub const MAX_SAMPLES: f64 = 100_000.0;
/// Most points of the t-visibility grid (`outputs.metrics.t_visibility.grid_ms`): two
/// counters per point per curve, and a row per point in the report.
pub const MAX_VISIBILITY_POINTS: usize = 100_000;
/// Most client processes over all workloads.
pub const MAX_CLIENTS: usize = 100_000;
/// Most ring positions (tokens, or partitions for strategy 3) over all storage nodes.
pub const MAX_RING_POSITIONS: f64 = (1u64 << 21) as f64;
/// Shortest mean cycle of a chaos generator (mean time to the fault plus mean time to its
/// repair), in seconds: a zero-length cycle would stop simulated time.
pub const MIN_CHAOS_CYCLE_S: f64 = 0.001;
/// Largest queue, batch or table size a setting may ask for (`max_hints`,
/// `max_keys_per_exchange`, `transfer_batch_keys`, `storage.buffer.max_objects`,
/// `max_outstanding`).
pub const MAX_SIZE: usize = 1 << 24;

/// Most keys a workload may name when the scenario has probes: probe keys are numbered from
/// one past the largest workload key, and need room below `u64::MAX` (2^62 leaves room for
/// more probes than any bounded run can start).
pub const MAX_KEYS_WITH_PROBES: u64 = 1 << 62;

/// Checks every bound above; the first one broken is returned.
pub fn check(s: &Scenario) -> Result<(), SpecError> {
    sim_time(s)?;
    periods(s)?;
    measurement(s)?;
    counts(s)?;
    chaos(s)
}

fn sim_time(s: &Scenario) -> Result<(), SpecError> {
    let span = s.duration_s + s.settle_s;
    if span > MAX_SIM_SECONDS {
        let path = if s.settle_s > s.duration_s { "settle_s" } else { "duration_s" };
        let msg =
            format!("the run would last {span} simulated seconds (duration_s + settle_s); at most {MAX_SIM_SECONDS:e}");
        return Err(SpecError::new(path, msg, "shorten duration_s or settle_s"));
    }
    Ok(())
}

fn periods(s: &Scenario) -> Result<(), SpecError> {
    let d = &s.dynamo;
    let mut list = vec![
        ("membership.gossip.interval_ms", d.membership.gossip.interval_ms),
        ("membership_poll_ms", d.membership_poll_ms),
        ("sloppy_quorum.scan_interval_ms", d.sloppy_quorum.scan_interval_ms),
        ("anti_entropy.interval_ms", d.anti_entropy.interval_ms),
        ("failure_detection.retry_interval_ms", d.failure_detection.retry_interval_ms),
        ("admission.window_ms", d.admission.window_ms),
    ];
    if let Some(b) = &d.storage.buffer {
        list.push(("storage.buffer.flush_interval_ms", b.flush_interval_ms));
    }
    for (field, ms) in list {
        if ms < MIN_PERIOD_MS {
            return Err(SpecError::new(
                format!("dynamo.{field}"),
                format!("a background period must be at least {MIN_PERIOD_MS} ms, got {ms}"),
                "use a period of 1 ms or more (the defaults are the paper's: about a second)",
            ));
        }
    }
    Ok(())
}

fn measurement(s: &Scenario) -> Result<(), SpecError> {
    let span = s.duration_s + s.settle_s;
    let m = &s.outputs.metrics;
    if span / m.window_s > MAX_WINDOWS {
        let msg =
            format!("{:.0} windows of {} s over a {span} s run; at most {MAX_WINDOWS}", span / m.window_s, m.window_s);
        let fix = format!("widen window_s to at least {} s", span / MAX_WINDOWS);
        return Err(SpecError::new("outputs.metrics.window_s", msg, fix));
    }
    if let Some(i) = m.sample_interval_s.filter(|i| span / i > MAX_SAMPLES) {
        let msg = format!("{:.0} samples of {i} s over a {span} s run; at most {MAX_SAMPLES}", span / i);
        let fix = format!("widen sample_interval_s to at least {} s, or leave it out", span / MAX_SAMPLES);
        return Err(SpecError::new("outputs.metrics.sample_interval_s", msg, fix));
    }
    if let Some(g) = m.visibility_grid().filter(|g| g.grid.points > MAX_VISIBILITY_POINTS) {
        let msg = format!("the grid has {} points; at most {MAX_VISIBILITY_POINTS}", g.grid.points);
        let fix = "use a coarser step or a shorter range, e.g. \"0..200:1\" (201 points)";
        return Err(SpecError::new("outputs.metrics.t_visibility.grid_ms", msg, fix));
    }
    Ok(())
}

fn counts(s: &Scenario) -> Result<(), SpecError> {
    let clients: usize = s.workloads.iter().fold(0usize, |a, w| a.saturating_add(w.clients));
    if clients > MAX_CLIENTS {
        let msg = format!("{clients} client processes over all workloads; at most {MAX_CLIENTS}");
        let fix = "use fewer clients with a higher rate each (rates are per group, not per client)";
        let i = s.workloads.iter().enumerate().max_by_key(|(_, w)| w.clients).map_or(0, |(i, _)| i);
        return Err(SpecError::new(JsonPath::root().field("workloads").index(i).field("clients"), msg, fix));
    }
    if let Some(p) = s.probes.as_ref().filter(|p| p.rate_per_s > MAX_RATE_PER_S) {
        let msg = format!("at most {MAX_RATE_PER_S:e} probes per second (as workload rates), got {}", p.rate_per_s);
        return Err(SpecError::new("probes.rate_per_s", msg, "probes per second, e.g. 10"));
    }
    if s.probes.is_some() {
        keys_below_probes(s)?;
    }
    let positions = ring_positions(s);
    if positions > MAX_RING_POSITIONS {
        let msg = format!(
            "the ring would hold {positions} positions (nodes × tokens, scaled by capacities); at most {MAX_RING_POSITIONS}"
        );
        return Err(SpecError::new("cluster.partitioning", msg, "use fewer tokens per node or fewer partitions"));
    }
    let d = &s.dynamo;
    let mut sizes = vec![
        (JsonPath::from("dynamo.sloppy_quorum.max_hints"), d.sloppy_quorum.max_hints),
        ("dynamo.anti_entropy.max_keys_per_exchange".into(), d.anti_entropy.max_keys_per_exchange),
        ("dynamo.membership.transfer_batch_keys".into(), d.membership.transfer_batch_keys),
    ];
    if let Some(b) = &d.storage.buffer {
        sizes.push(("dynamo.storage.buffer.max_objects".into(), b.max_objects));
    }
    for (i, w) in s.workloads.iter().enumerate() {
        sizes.push((JsonPath::root().field("workloads").index(i).field("max_outstanding"), w.max_outstanding));
    }
    if let Some((path, got)) = sizes.into_iter().find(|(_, v)| *v > MAX_SIZE) {
        return Err(SpecError::new(path, format!("at most {MAX_SIZE}, got {got}"), "use a smaller size"));
    }
    Ok(())
}

fn keys_below_probes(s: &Scenario) -> Result<(), SpecError> {
    match s.workloads.iter().position(|w| w.keys.count > MAX_KEYS_WITH_PROBES) {
        Some(i) => Err(SpecError::new(
            JsonPath::root().field("workloads").index(i).field("keys").field("count"),
            format!("with probes, a workload may name at most 2^62 keys, got {}", s.workloads[i].keys.count),
            "use fewer keys (probe keys are numbered above the workloads' keys)",
        )),
        None => Ok(()),
    }
}

/// Ring positions the starting cluster needs: every storage node's `round(T · capacity)` tokens
/// (spares included, as they may join), or Q partitions.
pub fn ring_positions(s: &Scenario) -> f64 {
    let c = &s.cluster;
    match c.partitioning {
        PartitionStrategy::EqualPartitions { partitions } => partitions as f64,
        PartitionStrategy::RandomTokens { tokens_per_node }
        | PartitionStrategy::RandomTokensEqualPartitions { tokens_per_node, .. } => (0..c.storage_nodes() as u32)
            .map(|i| (tokens_per_node as f64 * c.capacities.get(&i).copied().unwrap_or(1.0)).round().max(1.0))
            .sum(),
    }
}

fn chaos(s: &Scenario) -> Result<(), SpecError> {
    let c = &s.chaos;
    let gens = [
        ("chaos.crashes", c.crashes.as_ref().map(|x| (&x.mttf_s, &x.mttr_s))),
        ("chaos.pauses", c.pauses.as_ref().map(|x| (&x.interval_s, &x.duration_s))),
        ("chaos.partitions", c.partitions.as_ref().map(|x| (&x.interval_s, &x.duration_s))),
    ];
    for (path, dists) in gens {
        let Some((a, b)) = dists else { continue };
        if let Some(cycle) = mean_sum(a, b).filter(|m| *m < MIN_CHAOS_CYCLE_S) {
            let msg = format!(
                "a fault and its repair take {cycle} s on average; at least {MIN_CHAOS_CYCLE_S} s (shorter cycles stop simulated time)"
            );
            return Err(SpecError::new(path, msg, "lengthen the time between faults or the faults themselves"));
        }
    }
    Ok(())
}
