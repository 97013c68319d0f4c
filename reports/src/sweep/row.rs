//! One run of a sweep reduced to a compact row: which run, its trace hash, and the handful of
//! metrics a sweep compares (availability, tail latency, staleness, divergence, t-visibility,
//! durability, cost). A row is a line of the sweep's JSONL results file.

use crate::metrics::{VisibilityCurve, round6};
use crate::run_report::{OpSummary, RunReport};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// The metrics a sweep keeps per run, in the order of `summary.csv`. Every one is `None` in a
/// run where it cannot be measured (no reads, no probes, ...): it is then left out of the mean.
pub const METRICS: [&str; 11] = [
    "availability",
    "read_availability",
    "write_availability",
    "read_p999_ms",
    "write_p999_ms",
    "stale_read_ratio",
    "multi_version_reads",
    "divergent_fraction_mean",
    "p_consistent",
    "t_visibility_999_ms",
    "lost_acked_writes",
];

/// The consistency target of the t-visibility reduction: P(consistent) ≥ 0.999.
pub const VISIBILITY_TARGET: f64 = 0.999;

/// One finished run of a sweep.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RunRow {
    /// The run's index in the sweep's canonical enumeration (combination-major, then seed).
    pub run: u64,
    /// The combination's index.
    pub combo: usize,
    /// The combination's values by axis name (for reading the file; the index is authoritative).
    pub params: BTreeMap<String, serde_json::Value>,
    /// The seed.
    pub seed: u64,
    /// The run's trace hash.
    pub trace_hash: String,
    /// Every metric of [`METRICS`] by name; `null` where it could not be measured.
    pub metrics: BTreeMap<String, Option<f64>>,
}

/// The values of [`METRICS`] for one run's report, in order.
pub fn run_metrics(r: &RunReport) -> Vec<Option<f64>> {
    let reads = r.ops.get("all_reads");
    let writes = r.ops.get("all_writes");
    let vis = if r.visibility.probes.reads > 0 { &r.visibility.probes } else { &r.visibility.reads };
    vec![
        availability(&[reads, writes]),
        availability(&[reads]),
        availability(&[writes]),
        p999(reads),
        p999(writes),
        r.staleness.by_kind.get("all").and_then(|s| s.stale_ratio_with_prior_write),
        multi_version_reads(r),
        r.divergence.mean_divergent_fraction,
        vis.p_consistent,
        time_to_visibility(vis, VISIBILITY_TARGET),
        Some(r.durability.lost_acked_writes as f64),
    ]
}

/// Successful / completed over the given operation summaries; `None` when none completed.
fn availability(ops: &[Option<&OpSummary>]) -> Option<f64> {
    let (ok, done) = ops.iter().flatten().fold((0, 0), |(ok, done), s| (ok + s.ok, done + s.completed));
    (done > 0).then(|| round6(ok as f64 / done as f64))
}

/// The 99.9th percentile latency of the successful operations, ms; `None` when none succeeded.
fn p999(ops: Option<&OpSummary>) -> Option<f64> {
    ops.filter(|s| s.latency_ms.count > 0).map(|s| s.latency_ms.p999)
}

/// The share of successful reads that returned more than one version (§6.3).
fn multi_version_reads(r: &RunReport) -> Option<f64> {
    let v = &r.divergence.reads.get("all_reads")?.versions;
    let single: u64 = ["0", "1"].iter().filter_map(|b| v.counts.get(*b)).sum();
    (v.total > 0).then(|| round6((v.total - single) as f64 / v.total as f64))
}

/// The time since commit from which reads are consistent with probability at least `target`:
/// the lower edge of the first bin of t from which every later bin's estimated P(consistent)
/// is at least `target`. `None` when the curve is empty or its last bin stays below `target`.
pub fn time_to_visibility(c: &VisibilityCurve, target: f64) -> Option<f64> {
    let mut from = None;
    for b in c.bins.iter().rev() {
        if b.p < target {
            break;
        }
        from = Some(b.from_ms);
    }
    from
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::metrics::VisibilityBin;

    fn bin(from_ms: f64, p: f64) -> VisibilityBin {
        VisibilityBin { from_ms, to_ms: None, reads: 100, consistent: 0, p, ci_low: 0.0, ci_high: 1.0 }
    }

    #[test]
    fn time_to_visibility_is_where_the_curve_stays_above_the_target() {
        let c = VisibilityCurve {
            bins: vec![bin(0.0, 0.9), bin(5.0, 0.9995), bin(10.0, 0.99), bin(20.0, 1.0)],
            ..Default::default()
        };
        assert_eq!(time_to_visibility(&c, 0.999), Some(20.0), "a dip at 10 ms restarts the search");
        let always = VisibilityCurve { bins: vec![bin(0.0, 1.0), bin(5.0, 1.0)], ..Default::default() };
        assert_eq!(time_to_visibility(&always, 0.999), Some(0.0));
        let never = VisibilityCurve { bins: vec![bin(0.0, 1.0), bin(5.0, 0.5)], ..Default::default() };
        assert_eq!(time_to_visibility(&never, 0.999), None);
        assert_eq!(time_to_visibility(&VisibilityCurve::default(), 0.999), None);
    }

    fn ops(ok: u64, completed: u64, p999: f64) -> OpSummary {
        let latency_ms = crate::latency::LatencySummary { count: ok, p999, ..Default::default() };
        OpSummary { completed, ok, failed: completed - ok, latency_ms, ..Default::default() }
    }

    #[test]
    fn metrics_of_a_report_follow_its_sections() {
        let mut r = crate::testdata::empty();
        r.ops.insert("all_reads".into(), ops(90, 100, 12.5));
        r.ops.insert("all_writes".into(), ops(0, 0, 0.0));
        r.staleness.by_kind.insert(
            "all".into(),
            crate::metrics::StaleStats {
                stale_ratio: Some(0.2),
                stale_ratio_with_prior_write: Some(0.25),
                ..Default::default()
            },
        );
        let versions = crate::metrics::Buckets {
            total: 10,
            counts: [("1", 8), ("2", 1), ("4+", 1)].map(|(k, v)| (k.to_string(), v)).into(),
            ..Default::default()
        };
        let shapes = crate::metrics::ReadShapes { versions, ..Default::default() };
        r.divergence.reads.insert("all_reads".into(), shapes);
        r.visibility.reads = VisibilityCurve {
            reads: 5,
            p_consistent: Some(0.8),
            bins: vec![bin(0.0, 0.5), bin(7.0, 1.0)],
            ..Default::default()
        };
        r.durability.lost_acked_writes = 2;
        let m: BTreeMap<&str, Option<f64>> = METRICS.into_iter().zip(run_metrics(&r)).collect();
        assert_eq!(m["availability"], Some(0.9), "reads and writes together");
        assert_eq!(m["read_availability"], Some(0.9));
        assert_eq!(m["write_availability"], None, "no write completed: not measured, not 0 or 1");
        assert_eq!((m["read_p999_ms"], m["write_p999_ms"]), (Some(12.5), None));
        assert_eq!(m["stale_read_ratio"], Some(0.25), "the headline: over reads with a prior write");
        assert_eq!(m["multi_version_reads"], Some(0.2), "2 of 10 reads returned more than one version");
        assert_eq!(m["divergent_fraction_mean"], None, "no samples");
        assert_eq!(
            (m["p_consistent"], m["t_visibility_999_ms"]),
            (Some(0.8), Some(7.0)),
            "ordinary reads without probes"
        );
        assert_eq!(m["lost_acked_writes"], Some(2.0));
    }
}
