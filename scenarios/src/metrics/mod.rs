//! The report's measurement sections: availability and latency per time window, divergence,
//! staleness, t-visibility, durability, convergence, cost, load and repair activity over time,
//! built when the run ends from what streaming measurement (`crate::measure`) kept.
//!
//! - [`samples`]: what is recorded at each sampling instant (divergent keys, node counters).
//! - [`staleness`]: stale reads and k-staleness; [`visibility`]: t-visibility curves.
//! - [`divergence`], [`durability`], [`convergence`], [`cost`], [`load`], [`windows`],
//!   [`phases`], [`activity`]: one report section each.
//!
//! Measurement never changes the simulation: it only reads what the engine tells it (no draws,
//! no counters, no events), so a run with measurement off gives the same trace hash (tested).

pub mod activity;
pub mod convergence;
pub mod cost;
pub mod divergence;
pub mod durability;
pub mod load;
pub mod phases;
pub mod reach_counter;
pub mod reachability;
pub mod samples;
pub mod staleness;
pub mod visibility;
pub mod windows;

use crate::error::{JsonPath, SpecError};
use reports::metrics::{
    ActivitySection, Buckets, ConvergenceSection, CostSection, DivergenceSection, DurabilitySection, LoadSection,
    PhasesSection, StalenessSection, VisibilitySection, WindowsSection, round6,
};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use sim_core::{SimDuration, SimTime};
use std::collections::BTreeMap;

pub use samples::Samples;

/// How a run is measured (`outputs.metrics`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, default)]
pub struct MetricsSpec {
    /// Width of the report's time windows (`windows`, `load.over_time`), in seconds. Default 1.
    pub window_s: f64,
    /// The SLA latency, in milliseconds: `within_sla` is the share of operations that succeeded
    /// at most this slowly. Default 300 (the paper's).
    pub sla_ms: f64,
    /// How often replica state is sampled during the run (divergence over time, convergence,
    /// node counters across restarts), in seconds of simulated time. Default: a quarter of
    /// `window_s`, widened so that a run takes at most 2000 samples.
    pub sample_interval_s: Option<f64>,
    /// t-visibility on a grid of t you choose (PBS's sweep), with the first t that reaches each
    /// target probability. Default: off (only the fixed logarithmic bins).
    pub t_visibility: Option<TVisibilitySpec>,
}

impl Default for MetricsSpec {
    fn default() -> Self {
        MetricsSpec { window_s: 1.0, sla_ms: crate::report::SLA_MS, sample_interval_s: None, t_visibility: None }
    }
}

/// t-visibility on a grid (`outputs.metrics.t_visibility`): probe reads and ordinary reads
/// counted per grid point with a Wilson score interval, and for each target probability the
/// first t from which the curve stays at or above it (with the t the interval's bounds give).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct TVisibilitySpec {
    /// The grid of t since the write committed, in milliseconds, as `"FROM..TO:STEP"`: points
    /// FROM, FROM+STEP, … up to TO, each counting the reads up to the next. E.g. `"0..200:1"`.
    pub grid_ms: String,
    /// Target probabilities in (0, 1), at most 16. Default [0.99, 0.999].
    #[serde(default = "default_targets")]
    pub targets: Vec<f64>,
}

fn default_targets() -> Vec<f64> {
    vec![0.99, 0.999]
}

/// Most target probabilities in `outputs.metrics.t_visibility.targets`.
pub const MAX_TARGETS: usize = 16;

/// A checked t-visibility grid and its targets, as measurement uses them.
#[derive(Clone, Debug, PartialEq)]
pub struct VisibilityGridSpec {
    /// The grid.
    pub grid: visibility::Grid,
    /// The target probabilities.
    pub targets: Vec<f64>,
}

impl TVisibilitySpec {
    /// Checks the grid and the targets (paths relative to `outputs.metrics.t_visibility`);
    /// the grid's size is bounded by `checked::bounds`.
    pub fn checked(&self) -> Result<VisibilityGridSpec, SpecError> {
        let grid = visibility::Grid::parse(&self.grid_ms).map_err(|msg| {
            SpecError::new("grid_ms", msg, "write the grid as \"FROM..TO:STEP\" in ms, e.g. \"0..200:1\"")
        })?;
        if self.targets.is_empty() || self.targets.len() > MAX_TARGETS {
            let msg = format!("between 1 and {MAX_TARGETS} target probabilities, got {}", self.targets.len());
            return Err(SpecError::new("targets", msg, "list targets such as [0.99, 0.999], or leave them out"));
        }
        if let Some(i) = self.targets.iter().position(|p| !(p.is_finite() && *p > 0.0 && *p < 1.0)) {
            let msg = format!("a target probability must lie strictly between 0 and 1, got {}", self.targets[i]);
            return Err(SpecError::new(JsonPath::root().field("targets").index(i), msg, "use e.g. 0.99"));
        }
        Ok(VisibilityGridSpec { grid, targets: self.targets.clone() })
    }
}

/// Most samples a run takes when the interval is left to its default.
const MAX_DEFAULT_SAMPLES: u64 = 2000;

impl MetricsSpec {
    /// Checks the settings (paths relative to the scenario root).
    pub fn check(&self) -> Result<(), SpecError> {
        let positive = |field: &str, x: f64, fix: &str| {
            if x.is_finite() && x > 0.0 {
                Ok(())
            } else {
                Err(SpecError::new(
                    format!("outputs.metrics.{field}"),
                    format!("must be a positive number, got {x}"),
                    fix,
                ))
            }
        };
        positive("window_s", self.window_s, "give the window width in seconds, e.g. 1")?;
        positive("sla_ms", self.sla_ms, "give the SLA latency in milliseconds, e.g. 300")?;
        if let Some(i) = self.sample_interval_s {
            positive("sample_interval_s", i, "give the interval in seconds, e.g. 0.25, or leave it out")?;
        }
        if let Some(t) = &self.t_visibility {
            t.checked().map_err(|e| e.under("outputs.metrics.t_visibility"))?;
        }
        Ok(())
    }

    /// The t-visibility grid and targets, when the scenario asks for them and they are valid
    /// (they always are in a checked scenario).
    pub fn visibility_grid(&self) -> Option<VisibilityGridSpec> {
        self.t_visibility.as_ref().and_then(|t| t.checked().ok())
    }

    /// The window width.
    pub fn window(&self) -> SimDuration {
        SimDuration::from_secs_f64(self.window_s).max(SimDuration::from_nanos(1))
    }

    /// The sampling interval for a run ending at `end`.
    pub fn sample_interval(&self, end: SimTime) -> SimDuration {
        let interval = match self.sample_interval_s {
            Some(s) => SimDuration::from_secs_f64(s),
            None => {
                let quarter = SimDuration::from_nanos(self.window().as_nanos() / 4);
                quarter.max(SimDuration::from_nanos(end.as_nanos().div_ceil(MAX_DEFAULT_SAMPLES)))
            }
        };
        interval.max(SimDuration::from_nanos(1))
    }
}

/// Puts small counts in the buckets `0`, `1`, `2`, `3`, `4+`, with shares, mean and max.
pub fn bucketize(values: impl Iterator<Item = u64>) -> Buckets {
    let mut b = BucketCounter::default();
    values.for_each(|v| b.add(v));
    b.finish()
}

/// Counts small values into the buckets `0`, `1`, `2`, `3`, `4+` as they come, keeping their
/// exact sum and maximum: O(1) memory.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct BucketCounter {
    counts: [u64; 5],
    total: u64,
    sum: u64,
    max: u64,
}

impl BucketCounter {
    /// Counts one value.
    pub fn add(&mut self, v: u64) {
        self.counts[v.min(4) as usize] += 1;
        self.total += 1;
        self.sum += v;
        self.max = self.max.max(v);
    }

    /// The buckets, shares, mean and max.
    pub fn finish(&self) -> Buckets {
        const LABELS: [&str; 5] = ["0", "1", "2", "3", "4+"];
        let total = self.total;
        let share = |c: u64| if total == 0 { 0.0 } else { round6(c as f64 / total as f64) };
        Buckets {
            total,
            counts: LABELS.iter().zip(self.counts).map(|(l, c)| (l.to_string(), c)).collect::<BTreeMap<_, _>>(),
            shares: LABELS.iter().zip(self.counts).map(|(l, c)| (l.to_string(), share(c))).collect::<BTreeMap<_, _>>(),
            mean: (total > 0).then(|| round6(self.sum as f64 / total as f64)),
            max: self.max,
        }
    }
}

/// Every measurement section of a run.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Sections {
    /// Per time window.
    pub windows: WindowsSection,
    /// Per phase of the fault timeline.
    pub phases: PhasesSection,
    /// Divergence.
    pub divergence: DivergenceSection,
    /// Staleness.
    pub staleness: StalenessSection,
    /// t-visibility.
    pub visibility: VisibilitySection,
    /// Durability.
    pub durability: DurabilitySection,
    /// Convergence.
    pub convergence: ConvergenceSection,
    /// Cost.
    pub cost: CostSection,
    /// Load.
    pub load: LoadSection,
    /// Repair activity per window.
    pub activity: ActivitySection,
}

/// Hand-built history records for the unit tests.
#[cfg(test)]
pub(crate) mod testkit {
    use crate::history::{OpKind, OpRecord, Outcome, ReadResult};
    use dynamo_model::version::WriteId;
    use sim_core::SimTime;
    use std::sync::OnceLock;

    /// One record of a tiny real run, so hand-built records need not name every field (the
    /// history grows fields; tests only set the ones they are about).
    fn template() -> OpRecord {
        static TEMPLATE: OnceLock<OpRecord> = OnceLock::new();
        TEMPLATE
            .get_or_init(|| {
                let text = r#"{"duration_s": 0.2, "settle_s": 0.1, "cluster": {"nodes": 1},
                    "dynamo": {"n": 1, "r": 1, "w": 1},
                    "workloads": [{"arrival": {"constant": {"rate_per_s": 100}}, "keys": {"count": 1}}]}"#;
                let s = crate::load::load_str(text, std::path::Path::new("template.json")).expect("valid");
                let history = Some(crate::measure::HistorySink::Memory(vec![]));
                let out = crate::run::run(&s, crate::run::RunOptions { history, ..Default::default() }).expect("runs");
                let h = out.measured.and_then(|m| m.history).unwrap_or_default();
                h.into_iter().next().expect("the tiny run completes an operation")
            })
            .clone()
    }

    /// A successful operation of `kind` on `key`, invoked and completed at these milliseconds,
    /// writing nothing, reading nothing.
    pub fn record(kind: OpKind, key: u64, invoked_ms: u64, completed_ms: u64) -> OpRecord {
        let mut r = template();
        r.client = 1;
        r.group = 0;
        r.kind = kind;
        r.key = key;
        r.invoked = SimTime(invoked_ms * 1_000_000);
        r.completed = SimTime(completed_ms * 1_000_000);
        r.outcome = Outcome::Ok;
        r.write = None;
        r.context.clear();
        r.read = None;
        r.own_write = None;
        r.probe_of = None;
        r.fastest = None;
        r
    }

    /// What a read returned: these writes, as many siblings, clocks this long.
    pub fn returned(writes: &[u64], siblings: u32, max_clock_len: u32) -> ReadResult {
        ReadResult {
            writes: writes.iter().map(|w| WriteId(*w)).collect(),
            siblings,
            max_clock_len,
            ..ReadResult::default()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn buckets_cap_at_four_and_keep_exact_mean_and_max() {
        let b = bucketize([0, 1, 1, 2, 3, 4, 9].into_iter());
        let counts: Vec<u64> = b.counts.values().copied().collect();
        assert_eq!(counts, vec![1, 2, 1, 1, 2]);
        assert_eq!(b.counts.keys().map(String::as_str).collect::<Vec<_>>(), vec!["0", "1", "2", "3", "4+"]);
        assert_eq!((b.total, b.max, b.mean), (7, 9, Some(round6(20.0 / 7.0))));
        assert_eq!(b.shares["4+"], round6(2.0 / 7.0));
        let empty = bucketize(std::iter::empty());
        assert_eq!((empty.total, empty.mean, empty.shares["1"]), (0, None, 0.0));
    }

    #[test]
    fn the_default_sample_interval_is_a_quarter_window_capped_at_2000_samples() {
        let m = MetricsSpec::default();
        assert_eq!(m.sample_interval(SimTime::ZERO + SimDuration::from_secs(70)), SimDuration::from_millis(250));
        assert_eq!(m.sample_interval(SimTime::ZERO + SimDuration::from_secs(3600)), SimDuration::from_millis(1800));
        let fixed = MetricsSpec { sample_interval_s: Some(0.1), ..m.clone() };
        assert_eq!(fixed.sample_interval(SimTime::ZERO + SimDuration::from_secs(3600)), SimDuration::from_millis(100));
        assert!(m.check().is_ok());
        let bad = MetricsSpec { window_s: 0.0, ..m };
        assert_eq!(bad.check().unwrap_err().path, "outputs.metrics.window_s");
    }
}
