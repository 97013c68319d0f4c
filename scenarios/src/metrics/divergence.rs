//! Divergence: how many versions, siblings and clock entries successful reads returned (the
//! paper's §6.3 buckets 1, 2, 3, 4+), and the fraction of keys whose live replicas disagreed
//! over time (from the run's samples).

use super::bucketize;
use super::sampler::Samples;
use crate::history::{OpKind, OpRecord, ReadResult};
use reports::metrics::{DivergenceSample, DivergenceSection, ReadShapes, round6};
use std::collections::BTreeMap;

/// The shapes of a set of reads' answers.
pub fn shapes(reads: &[&ReadResult]) -> ReadShapes {
    let mut clock_len = BTreeMap::new();
    for r in reads {
        *clock_len.entry(r.max_clock_len).or_insert(0) += 1;
    }
    ReadShapes {
        versions: bucketize(reads.iter().map(|r| r.writes.len() as u64)),
        siblings: bucketize(reads.iter().map(|r| u64::from(r.siblings))),
        clock_len,
    }
}

/// The divergence section.
pub fn section(history: &[OpRecord], samples: Option<&Samples>) -> DivergenceSection {
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::metrics::testkit::returned as rr;

    #[test]
    fn versions_siblings_and_clocks_are_bucketed() {
        let rs = [rr(&[1], 1, 1), rr(&[1, 2], 3, 2), rr(&[], 0, 0), rr(&[1, 2, 3, 4, 5], 5, 2), rr(&[9], 1, 1)];
        let refs: Vec<&ReadResult> = rs.iter().collect();
        let s = shapes(&refs);
        let counts: Vec<(&str, u64)> = s.versions.counts.iter().map(|(k, v)| (k.as_str(), *v)).collect();
        assert_eq!(counts, vec![("0", 1), ("1", 2), ("2", 1), ("3", 0), ("4+", 1)]);
        assert_eq!(s.versions.shares["1"], 0.4);
        assert_eq!(s.versions.max, 5);
        assert_eq!(s.siblings.counts["3"], 1, "siblings counted apart from distinct writes");
        assert_eq!(s.clock_len, BTreeMap::from([(0, 1), (1, 2), (2, 2)]));
    }
}
