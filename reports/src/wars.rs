//! The WARS predictor beside the measurement (`wars` in `report.json`): what the WARS model of
//! PBS (Bailis et al., VLDB 2012, §4–5) predicts for the run's N, R, W, quorum shape and replica
//! legs, how far the measurement is from it, and which of the model's assumptions the scenario
//! breaks.
//!
//! Plain data; `scenarios::wars` computes it. Probabilities are rounded to 6 decimals and
//! milliseconds to 3, like the rest of the report.

use crate::latency::LatencySummary;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// The WARS section of a run report.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct WarsSection {
    /// True when every assumption in `assumptions` holds: prediction and measurement should
    /// then agree within sampling noise.
    pub applies: bool,
    /// One line saying how to read the comparison (the assumptions met, or how many broken).
    pub label: String,
    /// Every WARS assumption, whether the scenario (or, for those only a run shows, the run)
    /// keeps it, and why not.
    pub assumptions: Vec<Assumption>,
    /// What was modelled.
    pub model: WarsModelSummary,
    /// The Monte Carlo prediction.
    pub predicted: WarsPrediction,
    /// The closed forms of PBS §3 for a static quorum; `null` for other shapes.
    pub closed_form: Option<ClosedForm>,
    /// Measured against predicted.
    pub comparison: WarsComparison,
}

/// One WARS assumption.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Assumption {
    /// Its short name, e.g. `coordinator_not_a_replica`.
    pub name: String,
    /// What WARS assumes.
    pub assumes: String,
    /// Whether the scenario keeps it.
    pub holds: bool,
    /// Why it is broken (empty when it holds).
    pub broken_by: String,
}

/// What the predictor modelled.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct WarsModelSummary {
    /// Replicas per key.
    pub n: usize,
    /// Read quorum.
    pub r: usize,
    /// Write quorum.
    pub w: usize,
    /// `expanding`, `static` or `read_fan_out`.
    pub quorum_shape: String,
    /// The legs: `W` (`replica_write`), `A` (`replica_write_ack`), `R` (`replica_read`),
    /// `S` (`replica_read_reply`), each as the distribution used on every link class or, when
    /// they differ by class, per class.
    pub legs: Vec<Leg>,
    /// True when some leg differs by link class: each trial then places the coordinators and
    /// the N replicas on the cluster's nodes (see `scenarios::wars`).
    pub per_class: bool,
    /// Monte Carlo trials (`wars.trials`).
    pub trials: u64,
    /// The random stream the trials draw from (derived by name from the run's seed).
    pub stream: String,
}

/// One WARS leg.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Leg {
    /// `W`, `A`, `R` or `S`.
    pub leg: String,
    /// The message kind that carries it.
    pub kind: String,
    /// Mean latency in ms on each link class that joins storage nodes (`loopback`,
    /// `same_rack`, `same_datacenter`, `cross_datacenter`); `null` where the mean is infinite.
    pub mean_ms: BTreeMap<String, Option<f64>>,
}

/// The Monte Carlo prediction.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct WarsPrediction {
    /// P(consistent) at each point of the report's t-visibility grid (every point, with or
    /// without measured reads): the mean of p(t) over the point's step, t uniform in it, as
    /// the measured point counts probes whose t fell in the step. Absent without a grid.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub grid: Vec<PredictedPoint>,
    /// Per target probability of the grid, the first t from which the predicted curve stays
    /// at or above it.
    pub first_t: Vec<PredictedT>,
    /// P(consistent) at t = 0 (a read that starts as the write commits).
    pub p_at_0: f64,
    /// Read latency: the R-th fastest read round trip (R + S), or the slowest of the R asked.
    pub read_ms: LatencySummary,
    /// Write latency: the W-th fastest write round trip (W + A), or the slowest of the W sent.
    pub write_ms: LatencySummary,
}

/// The first t from which the predicted curve stays at or above a target.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct PredictedT {
    /// The target probability.
    pub target: f64,
    /// ms; `null` when the curve never stays at or above it on the grid.
    pub t_ms: Option<f64>,
}

/// The prediction at one grid point.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct PredictedPoint {
    /// t, ms (the point's lower edge).
    pub t_ms: f64,
    /// Predicted P(consistent) over the point's step.
    pub p: f64,
}

/// PBS §3's closed forms for a static (probabilistic) quorum: a read misses a write when its R
/// replicas avoid the write's W, with probability `p_stale = C(N−W,R)/C(N,R)`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct ClosedForm {
    /// `C(N−W,R)/C(N,R)`.
    pub p_stale: f64,
    /// k-staleness: P(a read returns one of the last k versions) = 1 − p_stale^k, k = 1..16.
    pub p_within_k: Vec<f64>,
    /// t-visibility: 1 − p_stale at every t (a static write never reaches the replicas it was
    /// not sent to, and those it was sent to all acknowledged before it committed).
    pub t_visibility: f64,
}

/// The measurement against the prediction.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct WarsComparison {
    /// Root mean square of measured − predicted P(consistent) over the grid points with probe
    /// reads; `null` without them.
    pub p_rmse: Option<f64>,
    /// The χ² test of the probe counts against the prediction; `null` with the reason in
    /// `chi2_unavailable`.
    pub chi2: Option<ChiSquared>,
    /// Why there is no χ² test (no grid, no probes, too few expected stale reads), else empty.
    pub chi2_unavailable: String,
    /// Normalised RMSE of the probe-read latency quantiles (q = 0.01..0.99 and 0.999) against
    /// the predicted read latency: RMSE / (measured q0.999 − measured q0.01); `null` without
    /// probe reads.
    pub read_latency_nrmse: Option<f64>,
    /// The same for probe writes against the predicted write latency.
    pub write_latency_nrmse: Option<f64>,
}

/// A χ² goodness-of-fit test of measured binomial counts against predicted probabilities.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct ChiSquared {
    /// Σ over cells (observed − expected consistent reads)² / variance.
    pub statistic: f64,
    /// Degrees of freedom: the number of cells (nothing is fitted to the data).
    pub df: u64,
    /// P(χ²_df ≥ statistic): small means the measurement does not follow the prediction.
    pub p_value: f64,
    /// Grid points with probe reads that went into the cells.
    pub points: u64,
}
