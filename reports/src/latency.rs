//! Latency histograms (HDR, 3 significant digits, 1 µs to 1 hour) and their summaries.

use hdrhistogram::Histogram;
use serde::{Deserialize, Serialize};

/// Lowest latency the histogram distinguishes, in nanoseconds (1 µs).
const LOWEST_NS: u64 = 1_000;
/// Highest latency recorded, in nanoseconds (1 hour); longer ones are clamped.
const HIGHEST_NS: u64 = 3_600_000_000_000;

/// An HDR histogram of latencies in nanoseconds.
#[derive(Clone, Debug)]
pub struct LatencyHistogram {
    h: Histogram<u64>,
}

impl Default for LatencyHistogram {
    fn default() -> Self {
        Self::new()
    }
}

impl LatencyHistogram {
    /// An empty histogram.
    pub fn new() -> Self {
        let h = Histogram::new_with_bounds(LOWEST_NS, HIGHEST_NS, 3).expect("constant bounds are valid");
        LatencyHistogram { h }
    }

    /// Records one latency in nanoseconds (clamped into the histogram's range).
    pub fn record(&mut self, ns: u64) {
        self.h.saturating_record(ns.clamp(LOWEST_NS, HIGHEST_NS));
    }

    /// Forgets every recorded latency (keeps the allocation, for reuse window after window).
    pub fn clear(&mut self) {
        self.h.reset();
    }

    /// Adds another histogram's counts.
    pub fn add(&mut self, other: &LatencyHistogram) {
        self.h.add(&other.h).expect("histograms with equal bounds always add");
    }

    /// Number of recorded latencies.
    pub fn len(&self) -> u64 {
        self.h.len()
    }

    /// True when nothing was recorded.
    pub fn is_empty(&self) -> bool {
        self.h.is_empty()
    }

    /// The latency at quantile `q` in milliseconds (0 when empty).
    pub fn quantile_ms(&self, q: f64) -> f64 {
        if self.h.is_empty() { 0.0 } else { self.h.value_at_quantile(q) as f64 / 1e6 }
    }

    /// The summary reported in `report.json`.
    pub fn summary(&self) -> LatencySummary {
        let ms = |v: u64| round3(v as f64 / 1e6);
        if self.h.is_empty() {
            return LatencySummary::default();
        }
        LatencySummary {
            count: self.h.len(),
            mean: round3(self.h.mean() / 1e6),
            p50: ms(self.h.value_at_quantile(0.5)),
            p90: ms(self.h.value_at_quantile(0.9)),
            p99: ms(self.h.value_at_quantile(0.99)),
            p999: ms(self.h.value_at_quantile(0.999)),
            max: ms(self.h.max()),
        }
    }
}

/// Rounds to 3 decimals (µs resolution for milliseconds), so reports stay readable.
pub fn round3(x: f64) -> f64 {
    (x * 1000.0).round() / 1000.0
}

/// Latency percentiles in milliseconds.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct LatencySummary {
    /// Number of latencies.
    pub count: u64,
    /// Mean.
    pub mean: f64,
    /// Median.
    pub p50: f64,
    /// 90th percentile.
    pub p90: f64,
    /// 99th percentile.
    pub p99: f64,
    /// 99.9th percentile.
    pub p999: f64,
    /// Maximum.
    pub max: f64,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_of_a_known_sample() {
        let mut h = LatencyHistogram::new();
        for ms in 1..=1000u64 {
            h.record(ms * 1_000_000);
        }
        let s = h.summary();
        assert_eq!(s.count, 1000);
        // 3 significant digits: within 0.1% of the exact nearest-rank value.
        assert!((s.p50 - 500.0).abs() <= 0.5, "{s:?}");
        assert!((s.p99 - 990.0).abs() <= 1.0, "{s:?}");
        assert!((s.p999 - 999.0).abs() <= 1.0, "{s:?}");
        assert!((s.mean - 500.5).abs() <= 0.5, "{s:?}");
        assert_eq!(LatencyHistogram::new().summary(), LatencySummary::default());
    }
}
