//! Divergence: how many versions, siblings and clock entries successful reads returned (the
//! paper's §6.3 buckets 1, 2, 3, 4+), and the fraction of keys whose live replicas disagreed
//! over time (from the run's samples).

use super::BucketCounter;
use super::samples::Samples;
use crate::history::ReadResult;
use reports::metrics::{DivergenceSample, DivergenceSection, ReadShapes, round6};
use std::collections::BTreeMap;

/// The shapes of a set of reads' answers.
pub fn shapes(reads: &[&ReadResult]) -> ReadShapes {
    let mut c = ShapeCounter::default();
    reads.iter().for_each(|r| c.add(r.writes.len() as u64, u64::from(r.siblings), r.max_clock_len));
    c.finish()
}

/// Counts the shapes of reads' answers as they come: O(distinct clock lengths) memory.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ShapeCounter {
    versions: BucketCounter,
    siblings: BucketCounter,
    clock_len: BTreeMap<u32, u64>,
}

impl ShapeCounter {
    /// Counts one answer: distinct writes, siblings, and its longest clock.
    pub fn add(&mut self, versions: u64, siblings: u64, max_clock_len: u32) {
        self.versions.add(versions);
        self.siblings.add(siblings);
        *self.clock_len.entry(max_clock_len).or_insert(0) += 1;
    }

    /// Whether any answer was counted.
    pub fn is_empty(&self) -> bool {
        self.clock_len.is_empty()
    }

    /// The shapes.
    pub fn finish(&self) -> ReadShapes {
        ReadShapes {
            versions: self.versions.finish(),
            siblings: self.siblings.finish(),
            clock_len: self.clock_len.clone(),
        }
    }
}

/// The divergence section: the shapes of reads' answers per read kind, and the samples.
pub fn section(reads: BTreeMap<String, ReadShapes>, samples: Option<&Samples>) -> DivergenceSection {
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
