//! The oracle's report sections: every measurement computed the way dynsim computed it before
//! measurement became streaming, from the whole history of operations and by scanning replica
//! state. Kept (behind the `oracle` feature) only so tests can check that the streaming
//! measurement gives the same figures.

use super::causal::{Causality, WriteInfo};
use super::inspect;
use super::sampler::live_replicas_agree;
use crate::assemble::Assembly;
use crate::history::{OpKind, OpRecord, ReadResult};
use crate::metrics::VisibilityGridSpec;
use crate::metrics::divergence::shapes;
use crate::metrics::durability::data_destroying_faults;
use crate::metrics::phases::{PhaseCounter, Span};
use crate::metrics::samples::Samples;
use crate::metrics::staleness::{Verdict, is_ordinary_read, stats};
use crate::metrics::visibility::{GridCounter, curve, grid_section};
use crate::metrics::windows::{Done, WindowCounter};
use crate::metrics::{Sections, activity, convergence, cost, load};
use crate::spec::Scenario;
use crate::spec::dynamo::VersioningMode;
use dynamo_model::version::WriteId;
use reports::metrics::{
    DivergenceSample, DivergenceSection, DurabilitySection, LostWrite, StalenessSection, VisibilitySection,
    WindowsSection, round6,
};
use reports::{LatencyCdf, LatencyHistogram, OpSummary};
use sim_core::{ProcId, SimDuration, SimTime};
use std::collections::{BTreeMap, BTreeSet};

/// How many lost writes the report lists.
const EXAMPLES: usize = 10;

/// Every section of a finished run of `s`, from its whole `history` (sorted by invocation), its
/// final state and the oracle sampler's `samples`.
pub fn compute(s: &Scenario, asm: &Assembly, history: &[OpRecord], samples: Option<&Samples>) -> Sections {
    compute_capped(s, asm, history, samples, u32::MAX)
}

/// [`compute`], with every read's k-staleness counted among the `k_window` writes acknowledged
/// last before it began (as the streaming measurement counts it).
pub fn compute_capped(
    s: &Scenario,
    asm: &Assembly,
    history: &[OpRecord],
    samples: Option<&Samples>,
    k_window: u32,
) -> Sections {
    let spec = &s.outputs.metrics;
    let causality = Causality::new(history);
    let verdicts = verdicts_within(history, &causality, k_window as usize);
    let keys = known_keys(asm, &causality);
    let divergent = keys.iter().filter(|k| !inspect::replicas_agree(asm, **k, s.dynamo.n)).count() as u64;
    let divergence = divergence(history, samples);
    let phases = crate::metrics::phases::plan(&crate::report::fault_intervals(s, asm.end.as_secs_f64()), asm.end);
    let (windows, phases) = series(history, &verdicts, (spec.window(), phases), asm.end, spec.sla_ms);
    Sections {
        windows,
        phases: phases.finish(&divergence.over_time),
        divergence,
        staleness: staleness(history, &verdicts),
        visibility: visibility(history, &causality, &verdicts, s.outputs.metrics.visibility_grid().as_ref()),
        durability: durability(s, asm, &causality),
        convergence: convergence::section(s, asm, samples, (divergent, keys.len() as u64)),
        cost: cost::section(asm, history.len() as u64, s.dynamo.anti_entropy.enabled),
        load: load::section(asm, samples, spec.window()),
        activity: activity::section(samples, spec.window(), asm.end, activity::features(s)),
    }
}

/// Every key known at the end: written by a completed operation or held by some replica.
pub fn known_keys(asm: &Assembly, c: &Causality) -> BTreeSet<u64> {
    let mut keys: BTreeSet<u64> = c.keys().collect();
    for i in 0..asm.nodes as u32 {
        keys.extend(asm.world.disk(ProcId(i)).keys().filter_map(|k| match k {
            dynamo_model::msg::StoreKey::Data(key) => Some(*key),
            _ => None,
        }));
    }
    keys
}

/// Whether the sampler's agreement check and [`inspect::replicas_agree`] give the same answer
/// for every known key at the end.
pub fn sampler_matches_inspection(s: &Scenario, asm: &Assembly, c: &Causality) -> bool {
    known_keys(asm, c).into_iter().all(|k| {
        let replicas = inspect::replicas_of(asm, k, s.dynamo.n);
        live_replicas_agree(asm, k, &replicas) == inspect::replicas_agree(asm, k, s.dynamo.n)
    })
}

/// `ops` of the report from the whole history.
pub fn op_summaries(history: &[OpRecord], sla_ms: f64) -> BTreeMap<String, OpSummary> {
    let mut out = BTreeMap::new();
    for kind in OpKind::ALL {
        let ops: Vec<&OpRecord> = history.iter().filter(|r| r.kind == kind).collect();
        if !ops.is_empty() {
            out.insert(kind.name().to_string(), summarize(&ops, sla_ms));
        }
    }
    let reads: Vec<&OpRecord> = history.iter().filter(|r| r.kind.is_read()).collect();
    let writes: Vec<&OpRecord> = history.iter().filter(|r| !r.kind.is_read()).collect();
    out.insert("all_reads".to_string(), summarize(&reads, sla_ms));
    out.insert("all_writes".to_string(), summarize(&writes, sla_ms));
    out
}

/// Outcome counts and latency of a set of operations, against an SLA of `sla_ms`.
fn summarize(ops: &[&OpRecord], sla_ms: f64) -> OpSummary {
    let mut h = LatencyHistogram::new();
    let mut within = 0u64;
    for r in ops.iter().filter(|r| r.ok()) {
        h.record(r.latency().0);
        within += u64::from(r.latency().as_millis_f64() <= sla_ms);
    }
    let completed = ops.len() as u64;
    let ok = h.len();
    let ratio = |x: u64| if completed == 0 { 1.0 } else { x as f64 / completed as f64 };
    OpSummary {
        completed,
        ok,
        failed: completed - ok,
        success_ratio: ratio(ok),
        within_sla: ratio(within),
        latency_ms: h.summary(),
    }
}

/// `latency_cdf` of the report from the whole history.
pub fn latency_cdf(history: &[OpRecord]) -> LatencyCdf {
    let quantiles = LatencyCdf::standard_quantiles();
    let mut ms = BTreeMap::new();
    for kind in OpKind::ALL {
        let mut h = LatencyHistogram::new();
        history.iter().filter(|r| r.kind == kind && r.ok()).for_each(|r| h.record(r.latency().0));
        if !h.is_empty() {
            let points = quantiles.iter().map(|&q| reports::latency::round3(h.quantile_ms(q))).collect();
            ms.insert(kind.name().to_string(), points);
        }
    }
    LatencyCdf { quantiles, ms }
}

/// An acknowledged write, for the sweep.
#[derive(Clone, Copy, Debug)]
struct Acked {
    completed: SimTime,
    id: WriteId,
}

/// The verdict on every ordinary successful read, by index into `history`; `None` for every
/// other record.
pub fn verdicts(history: &[OpRecord], c: &Causality) -> Vec<Option<Verdict>> {
    verdicts_within(history, c, usize::MAX)
}

/// [`verdicts`], counting k among the `k_window` writes acknowledged last before each read.
pub fn verdicts_within(history: &[OpRecord], c: &Causality, k_window: usize) -> Vec<Option<Verdict>> {
    let mut acked: BTreeMap<u64, Vec<Acked>> = BTreeMap::new();
    for key in c.keys() {
        let mut list: Vec<Acked> =
            c.writes_of(key).iter().filter(|w| w.acked).map(|w| Acked { completed: w.completed, id: w.id }).collect();
        list.sort_by_key(|a| (a.completed, a.id));
        acked.insert(key, list);
    }
    history
        .iter()
        .map(|r| {
            let read = r.read.as_ref().filter(|_| r.ok() && is_ordinary_read(r.kind))?;
            let list = acked.get(&r.key).map_or(&[][..], Vec::as_slice);
            Some(judge(r.invoked, &read.writes, list, c, k_window))
        })
        .collect()
}

fn judge(invoked: SimTime, returned: &[WriteId], acked: &[Acked], c: &Causality, k_window: usize) -> Verdict {
    let hi = acked.partition_point(|a| a.completed < invoked);
    if hi == 0 {
        return Verdict { stale: false, k: 0, behind: 0, since_prior: None, via_newer: false };
    }
    let prior = acked[hi - 1];
    // Writes acknowledged before the latest invocation among the returned ones are covered by
    // the in-flight rule.
    let newest_invoked = returned.iter().filter_map(|w| c.write(*w)).map(|i| i.invoked).max().unwrap_or(SimTime::ZERO);
    let descends = |x: WriteId| returned.iter().any(|w| c.covers(*w, x));
    let lo = acked.partition_point(|a| a.completed < newest_invoked).min(hi).max(hi.saturating_sub(k_window));
    let k = acked[lo..hi].iter().filter(|a| !descends(a.id)).count() as u32;
    let by_descent = descends(prior.id);
    let by_newer = prior.completed < newest_invoked;
    let window = hi.min(k_window);
    let seen = |a: &Acked| descends(a.id) || a.completed < newest_invoked;
    let behind = acked[..hi].iter().rev().take(window).position(seen).unwrap_or(window) as u32;
    Verdict {
        stale: !(by_descent || by_newer),
        k,
        behind,
        since_prior: Some(invoked - prior.completed),
        via_newer: by_newer && !by_descent,
    }
}

/// The staleness section: per ordinary read kind and `all`.
pub fn staleness(history: &[OpRecord], verdicts: &[Option<Verdict>]) -> StalenessSection {
    let mut by_kind = BTreeMap::new();
    let judged: Vec<(OpKind, &Verdict)> =
        history.iter().zip(verdicts).filter_map(|(r, v)| v.as_ref().map(|v| (r.kind, v))).collect();
    for kind in [OpKind::Get, OpKind::RmwRead] {
        let of_kind: Vec<&Verdict> = judged.iter().filter(|(k, _)| *k == kind).map(|(_, v)| *v).collect();
        if !of_kind.is_empty() {
            by_kind.insert(kind.name().to_string(), stats(&of_kind));
        }
    }
    let all: Vec<&Verdict> = judged.iter().map(|(_, v)| *v).collect();
    by_kind.insert("all".to_string(), stats(&all));
    StalenessSection { headline: reports::metrics::STALE_HEADLINE.to_string(), by_kind }
}

/// Successful probe reads: (t since the probe write completed, returned it).
pub fn probe_points(history: &[OpRecord], c: &Causality) -> Vec<(SimDuration, bool)> {
    history
        .iter()
        .filter(|r| r.kind == OpKind::ProbeRead && r.ok())
        .filter_map(|r| {
            let (read, target) = (r.read.as_ref()?, r.probe_of?);
            let w = c.write(target)?;
            Some((r.invoked - w.completed, read.writes.iter().any(|x| c.covers(*x, target))))
        })
        .collect()
}

/// Ordinary reads with a P*: (t since P* completed, fresh).
pub fn read_points(verdicts: &[Option<Verdict>]) -> Vec<(SimDuration, bool)> {
    verdicts.iter().flatten().filter_map(|v| v.since_prior.map(|t| (t, !v.stale))).collect()
}

/// The visibility section.
pub fn visibility(
    history: &[OpRecord],
    c: &Causality,
    verdicts: &[Option<Verdict>],
    grid: Option<&VisibilityGridSpec>,
) -> VisibilitySection {
    let (probes, reads) = (probe_points(history, c), read_points(verdicts));
    let on_grid = |g: &VisibilityGridSpec, points: &[(SimDuration, bool)]| {
        let mut counter = GridCounter::new(g.grid);
        points.iter().for_each(|&(t, ok)| counter.add(t, ok));
        counter
    };
    let grid = grid.map(|g| grid_section(g, &on_grid(g, &probes), &on_grid(g, &reads)));
    VisibilitySection { confidence: 0.95, probes: curve(&probes), reads: curve(&reads), grid }
}

/// The durability section, from the final state of `asm`.
pub fn durability(s: &Scenario, asm: &Assembly, c: &Causality) -> DurabilitySection {
    let mut lost: Vec<&WriteInfo> = Vec::new();
    let (mut acked, mut failed, mut failed_surviving) = (0u64, 0u64, 0u64);
    for key in c.keys() {
        let held = inspect::surviving(asm, key).write_ids();
        for w in c.writes_of(key) {
            let survives = held.iter().any(|h| c.covers(*h, w.id));
            if w.acked {
                acked += 1;
                if !survives {
                    lost.push(w);
                }
            } else {
                failed += 1;
                failed_surviving += u64::from(survives);
            }
        }
    }
    lost.sort_by_key(|w| (w.completed, w.id));
    let lww = matches!(s.dynamo.versioning, VersioningMode::Lww);
    let why = data_destroying_faults(s);
    let n_lost = lost.len() as u64;
    let lost_acked = if lww { 0 } else { n_lost };
    DurabilitySection {
        versioning: s.dynamo.versioning.to_model().name().to_string(),
        acked_writes: acked,
        lost_acked_writes: lost_acked,
        lww_overwritten: if lww { n_lost } else { 0 },
        lost_acked_writes_unexcused: if why.is_empty() { lost_acked } else { 0 },
        data_destroying_faults: why,
        failed_writes: failed,
        failed_writes_surviving: failed_surviving,
        lost_examples: lost
            .iter()
            .take(EXAMPLES)
            .map(|w| LostWrite {
                key: w.key,
                write: w.id.0,
                client: w.client,
                completed_s: round6(w.completed.as_secs_f64()),
            })
            .collect(),
    }
}

/// The divergence section.
pub fn divergence(history: &[OpRecord], samples: Option<&Samples>) -> DivergenceSection {
    let answered = |keep: &dyn Fn(OpKind) -> bool| -> Vec<&ReadResult> {
        history.iter().filter(|r| r.ok() && keep(r.kind)).filter_map(|r| r.read.as_ref()).collect()
    };
    let mut reads = BTreeMap::new();
    for kind in OpKind::ALL.into_iter().filter(|k| k.is_read()) {
        let of_kind = answered(&|k| k == kind);
        if !of_kind.is_empty() {
            reads.insert(kind.name().to_string(), shapes(&of_kind));
        }
    }
    reads.insert("all_reads".to_string(), shapes(&answered(&|k| k.is_read())));
    let over_time: Vec<DivergenceSample> = samples
        .map(|s| {
            s.points
                .iter()
                .map(|p| DivergenceSample {
                    t_s: round6(p.t.as_secs_f64()),
                    keys: p.keys,
                    divergent: p.divergent,
                    fraction: if p.keys == 0 { 0.0 } else { round6(p.divergent as f64 / p.keys as f64) },
                })
                .collect()
        })
        .unwrap_or_default();
    let fractions: Vec<f64> = over_time.iter().map(|p| p.fraction).collect();
    DivergenceSection {
        reads,
        sample_interval_s: samples.map(|s| round6(s.interval.as_secs_f64())),
        max_divergent_fraction: fractions.iter().copied().reduce(f64::max),
        mean_divergent_fraction: (!fractions.is_empty())
            .then(|| round6(fractions.iter().sum::<f64>() / fractions.len() as f64)),
        over_time,
    }
}

/// The windows of width `width` and the phases `spans` from 0 to `end`. `verdicts` is indexed
/// like `history`.
pub fn series(
    history: &[OpRecord],
    verdicts: &[Option<Verdict>],
    (width, spans): (SimDuration, Vec<Span>),
    end: SimTime,
    sla_ms: f64,
) -> (WindowsSection, PhaseCounter) {
    let mut order: Vec<usize> = (0..history.len()).collect();
    order.sort_by_key(|&i| (history[i].completed, i));
    let mut c = WindowCounter::new(width, end, sla_ms);
    let mut p = PhaseCounter::new(spans, end, sla_ms);
    for i in order {
        let r = &history[i];
        let stale = verdicts.get(i).and_then(Option::as_ref).map(|v| v.stale);
        let prior = verdicts.get(i).and_then(Option::as_ref).is_some_and(|v| v.since_prior.is_some());
        let done = Done { kind: r.kind, completed: r.completed, latency: r.latency(), ok: r.ok(), stale, prior };
        c.add(&done);
        p.add(&done);
    }
    (c.finish(), p)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::history::Outcome;
    use crate::metrics::staleness::Verdict;
    use crate::metrics::testkit::{record, returned};

    fn write(id: u64, invoked: u64, completed: u64, context: &[u64]) -> OpRecord {
        let mut r = record(OpKind::RmwWrite, 7, invoked, completed);
        r.write = Some(WriteId(id));
        r.context = context.iter().map(|c| WriteId(*c)).collect();
        r
    }

    fn read(invoked: u64, writes: &[u64]) -> OpRecord {
        let mut r = record(OpKind::Get, 7, invoked, invoked + 1);
        r.read = Some(returned(writes, writes.len() as u32, 1));
        r
    }

    /// The verdict on the last record of `h` (a read).
    fn verdict(h: &[OpRecord]) -> Verdict {
        let c = Causality::new(h);
        verdicts(h, &c).last().copied().flatten().expect("the last record is a successful get")
    }

    #[test]
    fn a_read_of_a_never_written_key_is_fresh() {
        let v = verdict(&[read(5, &[])]);
        assert_eq!(v, Verdict { stale: false, k: 0, behind: 0, since_prior: None, via_newer: false });
    }

    #[test]
    fn returning_the_latest_acknowledged_write_is_fresh() {
        let v = verdict(&[write(1, 0, 10, &[]), write(2, 20, 30, &[1]), read(40, &[2])]);
        assert!(!v.stale);
        assert_eq!(v.k, 0, "write 2 descends from write 1");
        assert_eq!(v.since_prior, Some(SimDuration::from_millis(10)));
    }

    #[test]
    fn missing_the_latest_acknowledged_write_is_stale_and_counts_k() {
        // 1 <- 2 <- 3, all acknowledged before the read, which returns 1: two versions behind.
        let h = [write(1, 0, 10, &[]), write(2, 20, 30, &[1]), write(3, 40, 50, &[2]), read(60, &[1])];
        let v = verdict(&h);
        assert!(v.stale);
        assert_eq!(v.k, 2);
        // Returning nothing at all misses all three.
        let mut h2 = h.to_vec();
        h2[3] = read(60, &[]);
        assert_eq!(verdict(&h2).k, 3);
    }

    #[test]
    fn a_superseding_write_makes_a_read_fresh() {
        // 3 descends from 2 (P*; its writer read 2 from a replica before 2 was acknowledged), and
        // was invoked before 2 completed, so only descent makes the read fresh.
        let v = verdict(&[write(1, 0, 10, &[]), write(2, 20, 30, &[1]), write(3, 25, 100, &[2]), read(40, &[3])]);
        assert!(!v.stale);
        assert!(!v.via_newer);
        assert_eq!(v.k, 0);
    }

    #[test]
    fn an_in_flight_newer_write_counts_as_fresh() {
        // 3 is concurrent with P* = 2 (blind) but was invoked after 2 completed.
        let v = verdict(&[write(1, 0, 10, &[]), write(2, 20, 30, &[1]), write(3, 35, 100, &[]), read(40, &[3])]);
        assert!(!v.stale);
        assert!(v.via_newer);
        assert_eq!(v.k, 0, "1 and 2 completed before 3 was invoked");
        // A concurrent write invoked before P* completed does not count.
        let v = verdict(&[write(1, 0, 10, &[]), write(2, 20, 30, &[1]), write(3, 25, 100, &[]), read(40, &[3])]);
        assert!(v.stale);
        assert_eq!(v.k, 1, "1 completed before 3 was invoked; 2 did not");
    }

    #[test]
    fn a_write_acknowledged_after_the_read_began_is_not_required() {
        let v = verdict(&[write(1, 0, 10, &[]), write(2, 20, 45, &[1]), read(40, &[1])]);
        assert!(!v.stale);
        assert_eq!(v.k, 0);
    }

    #[test]
    fn failed_writes_are_never_required_and_concurrent_siblings_count_separately() {
        let mut failed = write(2, 20, 30, &[1]);
        failed.outcome = Outcome::Timeout;
        let v = verdict(&[write(1, 0, 10, &[]), failed, read(40, &[1])]);
        assert!(!v.stale, "only acknowledged writes are required");
        // Two concurrent acknowledged writes; the read returns only the later one: fresh, k=1.
        let v = verdict(&[write(1, 0, 10, &[]), write(2, 1, 20, &[]), read(40, &[2])]);
        assert!(!v.stale);
        assert_eq!(v.k, 1);
    }

    #[test]
    fn stats_count_ratio_and_buckets() {
        let v = |stale: bool, k: u32| Verdict {
            stale,
            k,
            behind: k,
            since_prior: Some(SimDuration::ZERO),
            via_newer: false,
        };
        let vs = [v(false, 0), v(true, 1), v(true, 5), v(false, 0)];
        let refs: Vec<&Verdict> = vs.iter().collect();
        let s = stats(&refs);
        assert_eq!((s.reads, s.stale, s.stale_ratio), (4, 2, Some(0.5)));
        assert_eq!(s.k.counts["0"], 2);
        assert_eq!(s.k.counts["1"], 1);
        assert_eq!(s.k.counts["4+"], 1);
        assert_eq!(s.k.mean, Some(1.5));
        assert_eq!(s.k.max, 5);
        assert_eq!(stats(&[]).stale_ratio, None);
    }
}
