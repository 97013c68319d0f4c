//! Data-configured probability distributions for latencies and sizes.
//!
//! This file has one job: turn a [`DistSpec`] (plain data, read from a scenario file) into a
//! validated [`Dist`] that samples from a [`SimRng`] stream deterministically, and that can state
//! its own mean and quantiles where a closed form exists.
//!
//! Units are the caller's: a distribution held by a latency field is in milliseconds, one held by
//! a size field is in bytes, and so on. Nothing here knows which.
//!
//! # Sign of samples
//!
//! Every family except `shift` is non-negative: constant, uniform, exponential, normal
//! (truncated at 0), lognormal, pareto and empirical reject parameters that would allow negative
//! values, and `scale` rejects negative factors. Only a `shift` with a negative `by` can yield
//! negative samples; callers that need a non-negative quantity clamp
//! ([`Dist::sample_duration_ms`] does, through [`SimDuration::from_millis_f64`]).
//!
//! Every sample is a finite `f64` (never NaN): values that would overflow are clamped to
//! `±f64::MAX`.
//!
//! # Draws
//!
//! The number of draws each variant takes from the stream is part of its contract (changing it
//! changes every run that uses it) and is documented on each [`DistSpec`] variant.

use crate::json_path::JsonPath;
use crate::rng::SimRng;
use crate::time::SimDuration;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// How deeply `mixture`, `shift` and `scale` may nest. Deeper specs are rejected, so that
/// compiling and sampling never exhaust the stack.
pub const MAX_NESTING: usize = 32;

/// Attempts the truncated normal makes before falling back to 0. With `mean >= 0` each attempt
/// succeeds with probability at least 1/2, so the fallback happens with probability <= 2^-64.
const NORMAL_MAX_TRIES: usize = 64;

/// The standard normal quantile at 0.99, used by `lognormal_median`.
const Z99: f64 = 2.326_347_874_040_840_8;

/// A distribution as written in configuration: plain data, validated by [`Dist::new`].
///
/// JSON form is externally tagged with snake_case names, e.g. `{"constant": {"value": 2.0}}` or
/// `{"exponential": {"mean": 1.0}}`. Every number is in the unit of the field that holds this
/// distribution (e.g. milliseconds for latencies, bytes for sizes) unless said otherwise.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum DistSpec {
    /// Always the same value. Draws nothing from the random stream.
    Constant {
        /// The value every sample takes, in the unit of the field that holds this distribution
        /// (e.g. milliseconds for latencies). Finite and >= 0.
        value: f64,
    },
    /// Uniform on `[low, high)`. One draw per sample.
    Uniform {
        /// Smallest value, in the unit of the field that holds this distribution (e.g.
        /// milliseconds for latencies). Finite and >= 0.
        low: f64,
        /// Upper bound (exclusive when `high > low`), in the unit of the field that holds this
        /// distribution (e.g. milliseconds for latencies). Finite and >= `low`.
        high: f64,
    },
    /// Exponential with the given mean, sampled exactly as `SimRng::exp(mean)`. One draw per
    /// sample.
    Exponential {
        /// Mean of the distribution, in the unit of the field that holds this distribution (e.g.
        /// milliseconds for latencies). Finite and >= 0 (0 makes every sample 0).
        mean: f64,
    },
    /// Normal truncated at 0: negative outcomes are rejected and redrawn (up to 64 attempts, then
    /// the sample is 0; with `mean >= 0` that fallback has probability <= 2^-64). Two draws per
    /// attempt; attempts succeed with probability >= 1/2, so 2 to 128 draws per sample.
    Normal {
        /// Mean of the underlying (untruncated) normal, in the unit of the field that holds this
        /// distribution (e.g. milliseconds for latencies). Finite and >= 0.
        mean: f64,
        /// Standard deviation of the underlying (untruncated) normal, in the unit of the field
        /// that holds this distribution (e.g. milliseconds for latencies). Finite and >= 0.
        std_dev: f64,
    },
    /// Lognormal: `exp(mu + sigma * Z)` with `Z` standard normal. Two draws per sample.
    Lognormal {
        /// Mean of the underlying normal, i.e. the natural log of the median, where the median is
        /// in the unit of the field that holds this distribution (e.g. milliseconds for
        /// latencies). Any finite number.
        mu: f64,
        /// Standard deviation of the underlying normal (dimensionless). Finite and >= 0.
        sigma: f64,
    },
    /// Lognormal given by its median and 99th percentile instead of `mu` and `sigma`. Two draws
    /// per sample.
    LognormalMedian {
        /// The median (50th percentile), in the unit of the field that holds this distribution
        /// (e.g. milliseconds for latencies). Finite and > 0.
        median: f64,
        /// The 99th percentile, in the unit of the field that holds this distribution (e.g.
        /// milliseconds for latencies). Finite and >= `median` (equal means constant).
        p99: f64,
    },
    /// Pareto (type I): `scale * (1 - U)^(-1 / shape)`. Mean is `shape * scale / (shape - 1)`
    /// for `shape > 1` and infinite otherwise. One draw per sample.
    Pareto {
        /// The minimum value `x_m`, in the unit of the field that holds this distribution (e.g.
        /// milliseconds for latencies). Finite and > 0.
        scale: f64,
        /// The tail index `alpha` (dimensionless); smaller is heavier-tailed. Finite and > 0.
        shape: f64,
    },
    /// Weighted mixture: pick a component with probability proportional to its weight, then
    /// sample it. One draw to pick, plus the picked component's draws.
    Mixture {
        /// The components; at least one, with weights not all zero.
        components: Vec<MixtureComponent>,
    },
    /// Inverse-CDF sampling from `(p, value)` points with linear interpolation between them. The
    /// first point must have `p = 0` (the minimum) and the last `p = 1` (the maximum); `p`
    /// strictly increases and `value` never decreases. One draw per sample.
    Empirical {
        /// The quantile points, at least two, ordered by `p`.
        points: Vec<EmpiricalPoint>,
    },
    /// Another distribution plus a constant. Draws what `dist` draws. A negative `by` can make
    /// samples negative; callers clamp.
    Shift {
        /// The constant added to every sample, in the unit of the field that holds this
        /// distribution (e.g. milliseconds for latencies). Any finite number.
        by: f64,
        /// The distribution being shifted.
        dist: Box<DistSpec>,
    },
    /// Another distribution times a constant. Draws what `dist` draws.
    Scale {
        /// The factor every sample is multiplied by (dimensionless). Finite and >= 0.
        factor: f64,
        /// The distribution being scaled.
        dist: Box<DistSpec>,
    },
}

/// One component of a [`DistSpec::Mixture`].
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct MixtureComponent {
    /// Relative weight (dimensionless); probabilities are weights divided by their sum. Finite
    /// and >= 0.
    pub weight: f64,
    /// The component distribution, in the same unit as the mixture.
    pub dist: DistSpec,
}

/// One point of a [`DistSpec::Empirical`] inverse CDF.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct EmpiricalPoint {
    /// Cumulative probability (dimensionless), in `[0, 1]`.
    pub p: f64,
    /// The quantile at `p`, in the unit of the field that holds this distribution (e.g.
    /// milliseconds for latencies). Finite and >= 0.
    pub value: f64,
}

impl DistSpec {
    /// The variant's snake_case name, as it appears in JSON and in error paths.
    pub fn name(&self) -> &'static str {
        match self {
            DistSpec::Constant { .. } => "constant",
            DistSpec::Uniform { .. } => "uniform",
            DistSpec::Exponential { .. } => "exponential",
            DistSpec::Normal { .. } => "normal",
            DistSpec::Lognormal { .. } => "lognormal",
            DistSpec::LognormalMedian { .. } => "lognormal_median",
            DistSpec::Pareto { .. } => "pareto",
            DistSpec::Mixture { .. } => "mixture",
            DistSpec::Empirical { .. } => "empirical",
            DistSpec::Shift { .. } => "shift",
            DistSpec::Scale { .. } => "scale",
        }
    }
}

/// Why a [`DistSpec`] is invalid, and where inside it.
///
/// Displays as `path: problem`, e.g.
/// `mixture.components[2].weight: weight must be a finite number >= 0, got -1`.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
#[error("{path}: {problem}")]
pub struct DistError {
    /// Where the problem is, as a path from the spec's root
    /// (e.g. `shift.dist.mixture.components[0].weight`).
    pub path: JsonPath,
    /// What is wrong.
    pub problem: DistProblem,
}

/// What is wrong with a [`DistSpec`]; see [`DistError`] for where.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
pub enum DistProblem {
    /// A number that may take any finite value is NaN or infinite.
    #[error("{field} must be a finite number, got {got}")]
    NotFinite {
        /// The offending field's name.
        field: &'static str,
        /// Its value.
        got: f64,
    },
    /// A number that must be finite and >= 0 is not.
    #[error("{field} must be a finite number >= 0, got {got}")]
    Negative {
        /// The offending field's name.
        field: &'static str,
        /// Its value.
        got: f64,
    },
    /// A number that must be finite and > 0 is not.
    #[error("{field} must be a finite number > 0, got {got}")]
    NotPositive {
        /// The offending field's name.
        field: &'static str,
        /// Its value.
        got: f64,
    },
    /// A uniform's `high` is below its `low`.
    #[error("high must be >= low ({low}), got {high}")]
    HighBelowLow {
        /// The `low` field.
        low: f64,
        /// The `high` field.
        high: f64,
    },
    /// A lognormal_median's `p99` is below its `median`.
    #[error("p99 must be >= median ({median}), got {p99}")]
    P99BelowMedian {
        /// The `median` field.
        median: f64,
        /// The `p99` field.
        p99: f64,
    },
    /// A mixture without components.
    #[error("a mixture needs at least one component")]
    EmptyMixture,
    /// A mixture whose weights are all zero.
    #[error("weights must not all be zero")]
    ZeroWeights,
    /// A mixture whose weights overflow when summed.
    #[error("weights must sum to a finite number, got {total}")]
    WeightSumNotFinite {
        /// The sum.
        total: f64,
    },
    /// An empirical distribution with fewer than two points.
    #[error("an empirical distribution needs at least 2 points, got {got}")]
    TooFewPoints {
        /// How many points there are.
        got: usize,
    },
    /// An empirical point whose `p` is NaN or outside `[0, 1]`.
    #[error("p must be in [0, 1], got {got}")]
    ProbabilityOutOfRange {
        /// The `p` field.
        got: f64,
    },
    /// The first empirical point's `p` is not 0.
    #[error("first p must be 0, got {got}")]
    FirstPNotZero {
        /// The `p` field.
        got: f64,
    },
    /// The last empirical point's `p` is not 1.
    #[error("last p must be 1, got {got}")]
    LastPNotOne {
        /// The `p` field.
        got: f64,
    },
    /// An empirical point's `p` does not exceed the previous point's.
    #[error("p must be strictly increasing, got {got} after {prev}")]
    PNotIncreasing {
        /// The previous point's `p`.
        prev: f64,
        /// This point's `p`.
        got: f64,
    },
    /// An empirical point's `value` is below the previous point's.
    #[error("value must be >= the previous value ({prev}), got {got}")]
    ValueDecreasing {
        /// The previous point's value.
        prev: f64,
        /// This point's value.
        got: f64,
    },
    /// `mixture`, `shift` and `scale` nest deeper than [`MAX_NESTING`].
    #[error("distributions nested deeper than {max} levels")]
    TooDeep {
        /// The limit, [`MAX_NESTING`].
        max: usize,
    },
}

/// A validated, compiled distribution, ready to sample. Build it with [`Dist::new`].
#[derive(Clone, Debug, PartialEq)]
pub struct Dist {
    node: Node,
}

/// The compiled tree. Parameters are validated; mixture weights are normalised and accumulated.
#[derive(Clone, Debug, PartialEq)]
enum Node {
    Constant(f64),
    Uniform { low: f64, high: f64 },
    Exponential { mean: f64 },
    Normal { mean: f64, std_dev: f64 },
    Lognormal { mu: f64, sigma: f64 },
    Pareto { scale: f64, shape: f64 },
    Mixture(Mixture),
    Empirical { ps: Box<[f64]>, values: Box<[f64]> },
    Shift { by: f64, inner: Box<Node> },
    Scale { factor: f64, inner: Box<Node> },
}

/// A compiled mixture: `cum[i]` is the probability of picking a component `<= i`; the last is 1.
#[derive(Clone, Debug, PartialEq)]
struct Mixture {
    weights: Box<[f64]>,
    cum: Box<[f64]>,
    parts: Box<[Node]>,
}

impl Dist {
    /// Validates and compiles `spec`. Never panics; every invalid input (including nesting
    /// deeper than [`MAX_NESTING`]) is a [`DistError`].
    pub fn new(spec: &DistSpec) -> Result<Dist, DistError> {
        Ok(Dist { node: compile(spec, &JsonPath::root(), 0)? })
    }

    /// Always `value` (finite, >= 0).
    pub fn constant(value: f64) -> Result<Dist, DistError> {
        Dist::new(&DistSpec::Constant { value })
    }

    /// Uniform on `[low, high)`.
    pub fn uniform(low: f64, high: f64) -> Result<Dist, DistError> {
        Dist::new(&DistSpec::Uniform { low, high })
    }

    /// Exponential with the given mean.
    pub fn exponential(mean: f64) -> Result<Dist, DistError> {
        Dist::new(&DistSpec::Exponential { mean })
    }

    /// Normal with the given mean and standard deviation, truncated at 0.
    pub fn normal(mean: f64, std_dev: f64) -> Result<Dist, DistError> {
        Dist::new(&DistSpec::Normal { mean, std_dev })
    }

    /// Lognormal with underlying-normal parameters `mu` and `sigma`.
    pub fn lognormal(mu: f64, sigma: f64) -> Result<Dist, DistError> {
        Dist::new(&DistSpec::Lognormal { mu, sigma })
    }

    /// Lognormal with the given median and 99th percentile.
    pub fn lognormal_median(median: f64, p99: f64) -> Result<Dist, DistError> {
        Dist::new(&DistSpec::LognormalMedian { median, p99 })
    }

    /// Pareto with minimum `scale` and tail index `shape`.
    pub fn pareto(scale: f64, shape: f64) -> Result<Dist, DistError> {
        Dist::new(&DistSpec::Pareto { scale, shape })
    }

    /// Empirical inverse CDF from `(p, value)` points.
    pub fn empirical(points: &[(f64, f64)]) -> Result<Dist, DistError> {
        let points = points.iter().map(|&(p, value)| EmpiricalPoint { p, value }).collect();
        Dist::new(&DistSpec::Empirical { points })
    }

    /// One sample. Draws from `rng` as documented on each [`DistSpec`] variant; allocates
    /// nothing. Always finite; negative only under a `shift` with a negative `by`.
    #[inline]
    pub fn sample(&self, rng: &mut SimRng) -> f64 {
        // The two hot cases inline; everything else goes through the tree.
        match &self.node {
            Node::Constant(v) => *v,
            Node::Exponential { mean } => clamp_finite(rng.exp(*mean)),
            node => node.sample(rng),
        }
    }

    /// One sample read as milliseconds: [`SimDuration::from_millis_f64`] of [`Dist::sample`]
    /// (so negative samples become zero).
    #[inline]
    pub fn sample_duration_ms(&self, rng: &mut SimRng) -> SimDuration {
        SimDuration::from_millis_f64(self.sample(rng))
    }

    /// The mean, or `None` when it is infinite or undefined (pareto with `shape <= 1`, overflow,
    /// or a mixture with such a component).
    pub fn mean(&self) -> Option<f64> {
        self.node.mean().filter(|m| m.is_finite())
    }

    /// The `p`-quantile for `p` in `[0, 1]`, where a closed form exists: every family except
    /// `mixture` (and anything wrapping one). `None` for `p` outside `[0, 1]` or NaN. At `p = 1`
    /// an unbounded distribution returns `+inf`. Lognormal and normal use a normal-quantile
    /// approximation accurate to about 1e-12 relative or better.
    pub fn quantile(&self, p: f64) -> Option<f64> {
        if (0.0..=1.0).contains(&p) { self.node.quantile(p) } else { None }
    }
}

impl TryFrom<&DistSpec> for Dist {
    type Error = DistError;
    fn try_from(spec: &DistSpec) -> Result<Dist, DistError> {
        Dist::new(spec)
    }
}

impl TryFrom<DistSpec> for Dist {
    type Error = DistError;
    fn try_from(spec: DistSpec) -> Result<Dist, DistError> {
        Dist::new(&spec)
    }
}

// ---------------------------------------------------------------------------------------------
// Validation and compilation.

/// `parent.child`, or `child` at the root.
fn join(parent: &JsonPath, child: &str) -> JsonPath {
    parent.clone().field(child)
}

fn fail<T>(path: JsonPath, problem: DistProblem) -> Result<T, DistError> {
    Err(DistError { path, problem })
}

/// `x` if finite.
fn finite(at: &JsonPath, field: &'static str, x: f64) -> Result<f64, DistError> {
    if x.is_finite() { Ok(x) } else { fail(join(at, field), DistProblem::NotFinite { field, got: x }) }
}

/// `x` if finite and >= 0.
fn non_negative(at: &JsonPath, field: &'static str, x: f64) -> Result<f64, DistError> {
    if x.is_finite() && x >= 0.0 { Ok(x) } else { fail(join(at, field), DistProblem::Negative { field, got: x }) }
}

/// `x` if finite and > 0.
fn positive(at: &JsonPath, field: &'static str, x: f64) -> Result<f64, DistError> {
    if x.is_finite() && x > 0.0 { Ok(x) } else { fail(join(at, field), DistProblem::NotPositive { field, got: x }) }
}

/// Compiles the spec found at path `at` (empty at the root), `depth` levels down.
fn compile(spec: &DistSpec, at: &JsonPath, depth: usize) -> Result<Node, DistError> {
    if depth > MAX_NESTING {
        return fail(at.clone(), DistProblem::TooDeep { max: MAX_NESTING });
    }
    let here = join(at, spec.name());
    let h = &here;
    match spec {
        DistSpec::Constant { value } => Ok(Node::Constant(non_negative(h, "value", *value)?)),
        DistSpec::Uniform { low, high } => compile_uniform(h, *low, *high),
        DistSpec::Exponential { mean } => Ok(Node::Exponential { mean: non_negative(h, "mean", *mean)? }),
        DistSpec::Normal { mean, std_dev } => {
            Ok(Node::Normal { mean: non_negative(h, "mean", *mean)?, std_dev: non_negative(h, "std_dev", *std_dev)? })
        }
        DistSpec::Lognormal { mu, sigma } => {
            Ok(Node::Lognormal { mu: finite(h, "mu", *mu)?, sigma: non_negative(h, "sigma", *sigma)? })
        }
        DistSpec::LognormalMedian { median, p99 } => compile_lognormal_median(h, *median, *p99),
        DistSpec::Pareto { scale, shape } => {
            Ok(Node::Pareto { scale: positive(h, "scale", *scale)?, shape: positive(h, "shape", *shape)? })
        }
        DistSpec::Mixture { components } => compile_mixture(h, components, depth),
        DistSpec::Empirical { points } => compile_empirical(h, points),
        DistSpec::Shift { by, dist } => {
            Ok(Node::Shift { by: finite(h, "by", *by)?, inner: Box::new(compile(dist, &join(h, "dist"), depth + 1)?) })
        }
        DistSpec::Scale { factor, dist } => Ok(Node::Scale {
            factor: non_negative(h, "factor", *factor)?,
            inner: Box::new(compile(dist, &join(h, "dist"), depth + 1)?),
        }),
    }
}

fn compile_uniform(h: &JsonPath, low: f64, high: f64) -> Result<Node, DistError> {
    let low = non_negative(h, "low", low)?;
    let high = finite(h, "high", high)?;
    if high < low {
        return fail(join(h, "high"), DistProblem::HighBelowLow { low, high });
    }
    Ok(Node::Uniform { low, high })
}

fn compile_lognormal_median(h: &JsonPath, median: f64, p99: f64) -> Result<Node, DistError> {
    let median = positive(h, "median", median)?;
    let p99 = finite(h, "p99", p99)?;
    if p99 < median {
        return fail(join(h, "p99"), DistProblem::P99BelowMedian { median, p99 });
    }
    let mu = median.ln();
    Ok(Node::Lognormal { mu, sigma: (p99.ln() - mu) / Z99 })
}

fn compile_mixture(h: &JsonPath, components: &[MixtureComponent], depth: usize) -> Result<Node, DistError> {
    let at = join(h, "components");
    if components.is_empty() {
        return fail(at, DistProblem::EmptyMixture);
    }
    let mut raw = Vec::with_capacity(components.len());
    let mut parts = Vec::with_capacity(components.len());
    for (i, c) in components.iter().enumerate() {
        let ci = at.clone().index(i);
        raw.push(non_negative(&ci, "weight", c.weight)?);
        parts.push(compile(&c.dist, &join(&ci, "dist"), depth + 1)?);
    }
    let total: f64 = raw.iter().sum();
    if total == 0.0 {
        return fail(at, DistProblem::ZeroWeights);
    }
    if !total.is_finite() {
        return fail(at, DistProblem::WeightSumNotFinite { total });
    }
    // The running sum ends at exactly `total`, so the last cumulative probability is exactly 1.
    let mut running = 0.0;
    let cum = raw.iter().map(|w| {
        running += w;
        running / total
    });
    let cum: Box<[f64]> = cum.collect();
    let weights = raw.iter().map(|w| w / total).collect();
    Ok(Node::Mixture(Mixture { weights, cum, parts: parts.into() }))
}

fn compile_empirical(h: &JsonPath, points: &[EmpiricalPoint]) -> Result<Node, DistError> {
    let at = join(h, "points");
    if points.len() < 2 {
        return fail(at, DistProblem::TooFewPoints { got: points.len() });
    }
    for (i, pt) in points.iter().enumerate() {
        check_empirical_point(&at.clone().index(i), pt, i.checked_sub(1).map(|j| &points[j]))?;
    }
    let last = points.len() - 1;
    if points[last].p != 1.0 {
        return fail(at.clone().index(last).field("p"), DistProblem::LastPNotOne { got: points[last].p });
    }
    Ok(Node::Empirical {
        ps: points.iter().map(|pt| pt.p).collect(),
        values: points.iter().map(|pt| pt.value).collect(),
    })
}

/// Checks one point at path `at` against its predecessor (`None` for the first point).
fn check_empirical_point(at: &JsonPath, pt: &EmpiricalPoint, prev: Option<&EmpiricalPoint>) -> Result<(), DistError> {
    if !(0.0..=1.0).contains(&pt.p) {
        return fail(join(at, "p"), DistProblem::ProbabilityOutOfRange { got: pt.p });
    }
    non_negative(at, "value", pt.value)?;
    match prev {
        None if pt.p != 0.0 => fail(join(at, "p"), DistProblem::FirstPNotZero { got: pt.p }),
        Some(q) if pt.p <= q.p => fail(join(at, "p"), DistProblem::PNotIncreasing { prev: q.p, got: pt.p }),
        Some(q) if pt.value < q.value => {
            fail(join(at, "value"), DistProblem::ValueDecreasing { prev: q.value, got: pt.value })
        }
        _ => Ok(()),
    }
}

// ---------------------------------------------------------------------------------------------
// Sampling and analytic helpers.

/// Clamps overflow to `±f64::MAX` so that samples stay finite (NaN cannot arise: every operand is
/// finite, so products and sums are finite or infinite, never NaN).
fn clamp_finite(x: f64) -> f64 {
    x.clamp(-f64::MAX, f64::MAX)
}

/// Linear interpolation of the inverse CDF through `(ps, values)` at `u` in `[0, 1]`.
fn interpolate(ps: &[f64], values: &[f64], u: f64) -> f64 {
    let n = ps.len();
    let i = ps.partition_point(|&p| p <= u).clamp(1, n - 1);
    let t = (u - ps[i - 1]) / (ps[i] - ps[i - 1]);
    let (a, b) = (values[i - 1], values[i]);
    (a + t * (b - a)).min(b)
}

impl Node {
    fn sample(&self, rng: &mut SimRng) -> f64 {
        match self {
            Node::Constant(v) => *v,
            Node::Uniform { low, high } => low + (high - low) * rng.u01(),
            Node::Exponential { mean } => clamp_finite(rng.exp(*mean)),
            Node::Normal { mean, std_dev } => sample_truncated_normal(*mean, *std_dev, rng),
            Node::Lognormal { mu, sigma } => clamp_finite((mu + sigma * rng.std_normal()).exp()),
            Node::Pareto { scale, shape } => clamp_finite(scale * (1.0 - rng.u01()).powf(-1.0 / shape)),
            Node::Mixture(m) => m.parts[m.pick(rng.u01())].sample(rng),
            Node::Empirical { ps, values } => interpolate(ps, values, rng.u01()),
            Node::Shift { by, inner } => clamp_finite(inner.sample(rng) + by),
            Node::Scale { factor, inner } => clamp_finite(inner.sample(rng) * factor),
        }
    }

    fn mean(&self) -> Option<f64> {
        match self {
            Node::Constant(v) => Some(*v),
            Node::Uniform { low, high } => Some(low + (high - low) / 2.0),
            Node::Exponential { mean } => Some(*mean),
            Node::Normal { mean, std_dev } => Some(truncated_normal_mean(*mean, *std_dev)),
            Node::Lognormal { mu, sigma } => Some((mu + sigma * sigma / 2.0).exp()),
            Node::Pareto { scale, shape } => (*shape > 1.0).then(|| shape * scale / (shape - 1.0)),
            Node::Mixture(m) => m.mean(),
            Node::Empirical { ps, values } => Some(empirical_mean(ps, values)),
            Node::Shift { by, inner } => inner.mean().map(|m| m + by),
            Node::Scale { factor, .. } if *factor == 0.0 => Some(0.0),
            Node::Scale { factor, inner } => inner.mean().map(|m| m * factor),
        }
        .filter(|m| m.is_finite())
    }

    /// The quantile at `p`, which the caller has checked lies in `[0, 1]`.
    fn quantile(&self, p: f64) -> Option<f64> {
        match self {
            Node::Constant(v) => Some(*v),
            Node::Uniform { low, high } => Some(low + (high - low) * p),
            Node::Exponential { mean } if *mean == 0.0 => Some(0.0),
            Node::Exponential { mean } => Some(-(1.0 - p).ln() * mean),
            Node::Normal { mean, std_dev } => Some(truncated_normal_quantile(*mean, *std_dev, p)),
            Node::Lognormal { mu, sigma } if *sigma == 0.0 => Some(mu.exp()),
            Node::Lognormal { mu, sigma } => Some((mu + sigma * inv_normal_cdf(p)).exp()),
            Node::Pareto { scale, shape } => Some(scale * (1.0 - p).powf(-1.0 / shape)),
            Node::Mixture(_) => None,
            Node::Empirical { ps, values } => Some(interpolate(ps, values, p)),
            Node::Shift { by, inner } => inner.quantile(p).map(|q| q + by),
            Node::Scale { factor, .. } if *factor == 0.0 => Some(0.0),
            Node::Scale { factor, inner } => inner.quantile(p).map(|q| q * factor),
        }
    }
}

impl Mixture {
    /// The index of the component that uniform `u` in `[0, 1)` selects.
    fn pick(&self, u: f64) -> usize {
        self.cum.partition_point(|&c| c <= u).min(self.cum.len() - 1)
    }

    /// The weighted mean over components with non-zero weight.
    fn mean(&self) -> Option<f64> {
        let mut total = 0.0;
        for (w, part) in self.weights.iter().zip(self.parts.iter()) {
            if *w > 0.0 {
                total += w * part.mean()?;
            }
        }
        Some(total)
    }
}

/// Rejection sampling of a normal truncated at 0; see [`DistSpec::Normal`].
fn sample_truncated_normal(mean: f64, std_dev: f64, rng: &mut SimRng) -> f64 {
    for _ in 0..NORMAL_MAX_TRIES {
        let x = mean + std_dev * rng.std_normal();
        if x >= 0.0 {
            return clamp_finite(x);
        }
    }
    0.0
}

/// Mean of N(mean, std_dev) conditioned on being >= 0: `mean + std_dev * pdf(a) / (1 - cdf(a))`
/// with `a = -mean / std_dev`.
fn truncated_normal_mean(mean: f64, std_dev: f64) -> f64 {
    if std_dev == 0.0 {
        return mean;
    }
    let a = -mean / std_dev;
    mean + std_dev * normal_pdf(a) / normal_sf(a)
}

/// Quantile of N(mean, std_dev) conditioned on being >= 0, computed from the upper tail
/// (`1 - p` of the surviving mass) for accuracy at high `p`.
fn truncated_normal_quantile(mean: f64, std_dev: f64, p: f64) -> f64 {
    if std_dev == 0.0 {
        return mean;
    }
    if p == 0.0 {
        return 0.0;
    }
    let tail = (1.0 - p) * normal_sf(-mean / std_dev);
    (mean - std_dev * inv_normal_cdf(tail)).max(0.0)
}

/// Mean of the piecewise-linear inverse CDF: the trapezoid rule is exact for it.
fn empirical_mean(ps: &[f64], values: &[f64]) -> f64 {
    let seg = |i: usize| (ps[i + 1] - ps[i]) * (values[i] / 2.0 + values[i + 1] / 2.0);
    (0..ps.len() - 1).map(seg).sum()
}

// ---------------------------------------------------------------------------------------------
// Normal-distribution special functions (no external crate).

/// Chebyshev coefficients for `erfc` on `[0, inf)`, Numerical Recipes 3rd ed. §6.2.2
/// (relative error about 1.2e-16).
const ERFC_COF: [f64; 28] = [
    -1.302_653_719_781_709_4,
    6.419_697_923_564_902e-1,
    1.947_647_320_418_583_6e-2,
    -9.561_514_786_808_63e-3,
    -9.465_953_444_820_36e-4,
    3.668_394_978_527_61e-4,
    4.252_332_480_690_7e-5,
    -2.027_857_811_253_4e-5,
    -1.624_290_004_647e-6,
    1.303_655_835_580e-6,
    1.562_644_172_2e-8,
    -8.523_809_591_5e-8,
    6.529_054_439e-9,
    5.059_343_495e-9,
    -9.913_641_56e-10,
    -2.273_651_22e-10,
    9.646_791_1e-11,
    2.394_038e-12,
    -6.886_027e-12,
    8.944_87e-13,
    3.130_92e-13,
    -1.127_08e-13,
    3.81e-16,
    7.106e-15,
    -1.523e-15,
    -9.4e-17,
    1.21e-16,
    -2.8e-17,
];

/// The complementary error function for `z >= 0`.
fn erfc_nonneg(z: f64) -> f64 {
    let t = 2.0 / (2.0 + z);
    let ty = 4.0 * t - 2.0;
    let (mut d, mut dd) = (0.0, 0.0);
    for &c in ERFC_COF[1..].iter().rev() {
        let tmp = d;
        d = ty * d - dd + c;
        dd = tmp;
    }
    t * (-z * z + 0.5 * (ERFC_COF[0] + ty * d) - dd).exp()
}

/// The complementary error function.
fn erfc(x: f64) -> f64 {
    if x >= 0.0 { erfc_nonneg(x) } else { 2.0 - erfc_nonneg(-x) }
}

/// The standard normal density.
fn normal_pdf(x: f64) -> f64 {
    (-0.5 * x * x).exp() / (2.0 * std::f64::consts::PI).sqrt()
}

/// The standard normal CDF.
fn normal_cdf(x: f64) -> f64 {
    0.5 * erfc(-x / std::f64::consts::SQRT_2)
}

/// The standard normal survival function `1 - cdf(x)`, accurate in the upper tail.
fn normal_sf(x: f64) -> f64 {
    0.5 * erfc(x / std::f64::consts::SQRT_2)
}

/// The standard normal quantile: Acklam's rational approximation (relative error 1.15e-9) and
/// one Halley step against [`normal_cdf`], computed in the lower tail and mirrored for
/// `p > 0.5`. `-inf` at 0, `+inf` at 1.
fn inv_normal_cdf(p: f64) -> f64 {
    if p <= 0.0 {
        return f64::NEG_INFINITY;
    }
    if p >= 1.0 {
        return f64::INFINITY;
    }
    if p > 0.5 {
        // 1 - p is exact here, and the lower tail is where `erfc` is accurate to the last bit.
        return -inv_normal_cdf(1.0 - p);
    }
    let x = acklam(p);
    let e = normal_cdf(x) - p;
    let u = e * (2.0 * std::f64::consts::PI).sqrt() * (0.5 * x * x).exp();
    let refined = x - u / (1.0 + 0.5 * x * u);
    // Far in the tails the step can overflow; Acklam's value is then the better answer.
    if refined.is_finite() { refined } else { x }
}

/// Acklam's approximation of the standard normal quantile, for `p` in `(0, 1)`.
fn acklam(p: f64) -> f64 {
    const A: [f64; 6] = [
        -3.969_683_028_665_376e1,
        2.209_460_984_245_205e2,
        -2.759_285_104_469_687e2,
        1.383_577_518_672_69e2,
        -3.066_479_806_614_716e1,
        2.506_628_277_459_239,
    ];
    const B: [f64; 5] = [
        -5.447_609_879_822_406e1,
        1.615_858_368_580_409e2,
        -1.556_989_798_598_866e2,
        6.680_131_188_771_972e1,
        -1.328_068_155_288_572e1,
    ];
    const C: [f64; 6] = [
        -7.784_894_002_430_293e-3,
        -3.223_964_580_411_365e-1,
        -2.400_758_277_161_838,
        -2.549_732_539_343_734,
        4.374_664_141_464_968,
        2.938_163_982_698_783,
    ];
    const D: [f64; 4] =
        [7.784_695_709_041_462e-3, 3.224_671_290_700_398e-1, 2.445_134_137_142_996, 3.754_408_661_907_416];
    const P_LOW: f64 = 0.024_25;
    let tail = |q: f64| {
        let q = (-2.0 * q.ln()).sqrt();
        (((((C[0] * q + C[1]) * q + C[2]) * q + C[3]) * q + C[4]) * q + C[5])
            / ((((D[0] * q + D[1]) * q + D[2]) * q + D[3]) * q + 1.0)
    };
    if p < P_LOW {
        tail(p)
    } else if p > 1.0 - P_LOW {
        -tail(1.0 - p)
    } else {
        let q = p - 0.5;
        let r = q * q;
        (((((A[0] * r + A[1]) * r + A[2]) * r + A[3]) * r + A[4]) * r + A[5]) * q
            / (((((B[0] * r + B[1]) * r + B[2]) * r + B[3]) * r + B[4]) * r + 1.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// Samples per family: enough for a standard error of about 0.2% of the standard deviation.
    const N: usize = 200_000;

    /// Tolerances are 5 standard errors. The streams are fixed, so a test either always passes
    /// or always fails; 5 SE is wide enough that a correct sampler passes for almost every seed
    /// (two-sided tail about 6e-7 per check) and tight enough to catch a wrong parameter by a
    /// percent or two.
    const Z: f64 = 5.0;

    fn spec(json: &str) -> DistSpec {
        serde_json::from_str(json).unwrap()
    }

    fn draw(d: &Dist, label: &str) -> Vec<f64> {
        let mut rng = SimRng::stream(42, label);
        (0..N).map(|_| d.sample(&mut rng)).collect()
    }

    /// Compares the sample mean and the sample p50/p90/p99 of `N` draws with the analytic
    /// `mean` (standard deviation `sd`) and quantile function `q`.
    ///
    /// Mean: |sample mean - mean| <= Z * sd / sqrt(N) (central limit theorem).
    /// Quantiles: the sample p-quantile is the ceil(pN)-th order statistic; the count of samples
    /// below the true quantile q(x) is Binomial(N, x), so the order statistic lies in
    /// [q(p - d), q(p + d)] with d = Z * sqrt(p(1-p)/N), whatever the distribution. A tiny
    /// relative slack absorbs floating-point rounding at atoms.
    fn check_family(label: &str, d: &Dist, mean: f64, sd: f64, q: impl Fn(f64) -> f64) {
        let mut xs = draw(d, label);
        assert!(xs.iter().all(|x| x.is_finite() && *x >= 0.0), "{label}: negative or non-finite sample");
        let got = xs.iter().sum::<f64>() / N as f64;
        let tol = Z * sd / (N as f64).sqrt() + 1e-12 * (1.0 + mean.abs());
        assert!((got - mean).abs() <= tol, "{label}: sample mean {got}, analytic {mean} +- {tol}");
        xs.sort_by(f64::total_cmp);
        for p in [0.5, 0.9, 0.99] {
            let k = (p * N as f64).ceil() as usize - 1;
            let dp = Z * (p * (1.0 - p) / N as f64).sqrt();
            let slack = 1e-9 * (1.0 + q(p).abs());
            let (lo, hi) = (q(p - dp) - slack, q(p + dp) + slack);
            assert!(lo <= xs[k] && xs[k] <= hi, "{label}: sample p{p} = {}, expected in [{lo}, {hi}]", xs[k]);
        }
    }

    fn quantile_of(d: &Dist) -> impl Fn(f64) -> f64 + '_ {
        |p| d.quantile(p).unwrap()
    }

    /// How many u64 draws one sample took.
    fn draws_per_sample(d: &Dist, seed: u64) -> usize {
        let mut used = SimRng::stream(seed, "draws");
        d.sample(&mut used);
        let after = used.next_u64();
        let mut fresh = SimRng::stream(seed, "draws");
        (0..200).find(|_| fresh.next_u64() == after).expect("draw count not found")
    }

    // -----------------------------------------------------------------------------------------
    // Special functions against reference values (Python math.erfc / statistics.NormalDist).

    #[test]
    fn dist_erfc_matches_reference_values() {
        let cases = [
            (0.5, 0.479_500_122_186_953_5),
            (1.0, 0.157_299_207_050_285_13),
            (2.0, 0.004_677_734_981_047_265),
            (5.0, 1.537_459_794_428_035_1e-12),
            (10.0, 2.088_487_583_762_545e-45),
            (-1.0, 1.842_700_792_949_715),
        ];
        for (x, want) in cases {
            let got = erfc(x);
            assert!(((got - want) / want).abs() < 1e-13, "erfc({x}) = {got}, want {want}");
        }
    }

    #[test]
    fn dist_inverse_normal_matches_reference_values() {
        let cases = [
            (0.5, 0.0),
            (0.9, 1.281_551_565_544_600_8),
            (0.975, 1.959_963_984_540_053_6),
            (0.99, 2.326_347_874_040_840_8),
            (0.02, -2.053_748_910_631_822_5),
            (1e-10, -6.361_340_902_404_056),
            (0.999_999, 4.753_424_308_817_089),
        ];
        for (p, want) in cases {
            let got = inv_normal_cdf(p);
            assert!((got - want).abs() < 1e-12 * (1.0 + want.abs()), "z({p}) = {got}, want {want}");
        }
        assert_eq!(inv_normal_cdf(0.0), f64::NEG_INFINITY);
        assert_eq!(inv_normal_cdf(1.0), f64::INFINITY);
        assert!(inv_normal_cdf(f64::MIN_POSITIVE / 1e10).is_finite());
    }

    // -----------------------------------------------------------------------------------------
    // Analytic helpers against independent closed forms.

    #[test]
    fn dist_quantiles_match_closed_forms() {
        let close = |a: f64, b: f64| (a - b).abs() <= 1e-12 * (1.0 + b.abs());
        let u = Dist::uniform(2.0, 5.0).unwrap();
        let e = Dist::exponential(3.0).unwrap();
        let pa = Dist::pareto(2.0, 4.0).unwrap();
        let ln = Dist::lognormal(1.0, 0.5).unwrap();
        for p in [0.0, 0.1, 0.5, 0.9, 0.99] {
            assert!(close(u.quantile(p).unwrap(), 2.0 + 3.0 * p));
            assert!(close(e.quantile(p).unwrap(), -3.0 * (1.0 - p).ln()));
            assert!(close(pa.quantile(p).unwrap(), 2.0 / (1.0 - p).powf(0.25)));
        }
        assert!(close(ln.quantile(0.5).unwrap(), 1f64.exp()));
        assert!(close(ln.quantile(0.99).unwrap(), (1.0 + 0.5 * Z99).exp()));
        assert_eq!(e.quantile(1.0), Some(f64::INFINITY));
        assert_eq!(pa.quantile(0.0), Some(2.0));
        assert_eq!(e.quantile(1.5), None);
        assert_eq!(e.quantile(f64::NAN), None);
        assert_eq!(Dist::constant(4.0).unwrap().quantile(0.3), Some(4.0));
    }

    #[test]
    fn dist_means_match_closed_forms() {
        assert_eq!(Dist::constant(4.0).unwrap().mean(), Some(4.0));
        assert_eq!(Dist::uniform(2.0, 5.0).unwrap().mean(), Some(3.5));
        assert_eq!(Dist::exponential(3.0).unwrap().mean(), Some(3.0));
        assert_eq!(Dist::pareto(2.0, 4.0).unwrap().mean(), Some(8.0 / 3.0));
        assert_eq!(Dist::pareto(2.0, 1.0).unwrap().mean(), None);
        assert_eq!(Dist::pareto(2.0, 0.5).unwrap().mean(), None);
        assert_eq!(Dist::lognormal(1.0, 0.5).unwrap().mean(), Some(1.125f64.exp()));
        assert_eq!(Dist::lognormal(708.0, 2.0).unwrap().mean(), None, "overflow is None");
        assert_eq!(Dist::normal(7.0, 0.0).unwrap().mean(), Some(7.0));
    }

    // -----------------------------------------------------------------------------------------
    // Sampling, one family at a time.

    #[test]
    fn dist_constant_samples_and_draws_nothing() {
        let d = Dist::constant(2.5).unwrap();
        let mut a = SimRng::stream(1, "c");
        let mut b = SimRng::stream(1, "c");
        for _ in 0..10 {
            assert_eq!(d.sample(&mut a), 2.5);
        }
        assert_eq!(a.next_u64(), b.next_u64(), "constant must not draw");
        check_family("constant", &d, 2.5, 0.0, quantile_of(&d));
    }

    #[test]
    fn dist_uniform_matches_analytic() {
        let d = Dist::uniform(2.0, 5.0).unwrap();
        check_family("uniform", &d, 3.5, 3.0 / 12f64.sqrt(), |p| 2.0 + 3.0 * p);
    }

    #[test]
    fn dist_exponential_matches_analytic() {
        let d = Dist::exponential(3.0).unwrap();
        check_family("exponential", &d, 3.0, 3.0, |p| -3.0 * (1.0 - p).ln());
    }

    #[test]
    fn dist_exponential_is_bitwise_rng_exp() {
        let d = Dist::exponential(2.5).unwrap();
        let mut a = SimRng::stream(5, "exp");
        let mut b = SimRng::stream(5, "exp");
        for _ in 0..1000 {
            assert_eq!(d.sample(&mut a).to_bits(), b.exp(2.5).to_bits());
        }
    }

    /// Mean and standard deviation of N(mean, sd) truncated to [0, inf): with a = -mean/sd and
    /// l = pdf(a)/(1-cdf(a)), mean' = mean + sd*l and var' = sd^2 (1 + a*l - l^2).
    fn truncated_normal_moments(mean: f64, sd: f64) -> (f64, f64) {
        let a = -mean / sd;
        let l = normal_pdf(a) / (1.0 - normal_cdf(a));
        (mean + sd * l, sd * (1.0 + a * l - l * l).sqrt())
    }

    #[test]
    fn dist_truncated_normal_matches_analytic() {
        // mean 1, sd 2: about 31% of the underlying mass is negative and must be rejected.
        for (mean, sd) in [(1.0, 2.0), (10.0, 2.0), (0.0, 1.0)] {
            let d = Dist::normal(mean, sd).unwrap();
            let (m, s) = truncated_normal_moments(mean, sd);
            assert!((d.mean().unwrap() - m).abs() < 1e-12);
            check_family(&format!("normal({mean},{sd})"), &d, m, s, quantile_of(&d));
        }
        // Half-normal closed form: mean sd*sqrt(2/pi), median sd*z(0.75).
        let h = Dist::normal(0.0, 1.0).unwrap();
        assert!((h.mean().unwrap() - (2.0 / std::f64::consts::PI).sqrt()).abs() < 1e-12);
        assert!((h.quantile(0.5).unwrap() - 0.674_489_750_196_081_7).abs() < 1e-12);
        assert_eq!(h.quantile(0.0), Some(0.0));
    }

    #[test]
    fn dist_lognormal_matches_analytic() {
        let d = Dist::lognormal(1.0, 0.5).unwrap();
        let sd = ((0.25f64.exp() - 1.0) * 2.25f64.exp()).sqrt();
        check_family("lognormal", &d, 1.125f64.exp(), sd, quantile_of(&d));
    }

    #[test]
    fn dist_lognormal_median_hits_its_median_and_p99() {
        let d = Dist::lognormal_median(5.0, 20.0).unwrap();
        assert!((d.quantile(0.5).unwrap() - 5.0).abs() < 1e-12);
        assert!((d.quantile(0.99).unwrap() - 20.0).abs() < 1e-9);
        let sigma = (4f64).ln() / Z99;
        let mean = (5f64.ln() + sigma * sigma / 2.0).exp();
        let sd = mean * ((sigma * sigma).exp() - 1.0).sqrt();
        check_family("lognormal_median", &d, mean, sd, quantile_of(&d));
        let flat = Dist::lognormal_median(3.0, 3.0).unwrap();
        assert!((flat.quantile(0.99).unwrap() - 3.0).abs() < 1e-12);
    }

    #[test]
    fn dist_pareto_matches_analytic() {
        // shape 4: finite variance scale^2 * a / ((a-1)^2 (a-2)) = 4 * 4 / 18.
        let d = Dist::pareto(2.0, 4.0).unwrap();
        check_family("pareto", &d, 8.0 / 3.0, (16.0f64 / 18.0).sqrt(), |p| 2.0 / (1.0 - p).powf(0.25));
    }

    #[test]
    fn dist_empirical_matches_its_points() {
        let pts = [(0.0, 1.0), (0.5, 2.0), (0.9, 10.0), (1.0, 50.0)];
        let d = Dist::empirical(&pts).unwrap();
        for (p, v) in pts {
            assert_eq!(d.quantile(p), Some(v));
        }
        assert!((d.quantile(0.7).unwrap() - 6.0).abs() < 1e-12);
        // Piecewise-uniform segments: E[X] = sum dp (a+b)/2, E[X^2] = sum dp (a^2+ab+b^2)/3.
        let seg = |dp: f64, a: f64, b: f64| (dp * (a + b) / 2.0, dp * (a * a + a * b + b * b) / 3.0);
        let parts = [seg(0.5, 1.0, 2.0), seg(0.4, 2.0, 10.0), seg(0.1, 10.0, 50.0)];
        let mean: f64 = parts.iter().map(|s| s.0).sum();
        let m2: f64 = parts.iter().map(|s| s.1).sum();
        assert!((d.mean().unwrap() - 6.15).abs() < 1e-12);
        check_family("empirical", &d, mean, (m2 - mean * mean).sqrt(), quantile_of(&d));
    }

    #[test]
    fn dist_mixture_matches_analytic() {
        // 25% exactly 0, 75% uniform [10, 20): an atom then a flat segment.
        let d = Dist::new(&spec(
            r#"{"mixture": {"components": [
                {"weight": 1, "dist": {"constant": {"value": 0}}},
                {"weight": 0, "dist": {"constant": {"value": 1000}}},
                {"weight": 3, "dist": {"uniform": {"low": 10, "high": 20}}}]}}"#,
        ))
        .unwrap();
        let mean = 0.75 * 15.0;
        let m2 = 0.75 * (100.0 + 200.0 + 400.0) / 3.0;
        assert_eq!(d.mean(), Some(mean));
        assert_eq!(d.quantile(0.5), None);
        let q = |p: f64| {
            if p <= 0.25 { 0.0 } else { 10.0 + 10.0 * (p - 0.25) / 0.75 }
        };
        check_family("mixture", &d, mean, (m2 - mean * mean).sqrt(), q);
        assert!(draw(&d, "mixture").iter().all(|x| *x < 1000.0), "zero weight was picked");
    }

    #[test]
    fn dist_mixture_mean_is_weighted_mean() {
        let d = Dist::new(&spec(
            r#"{"mixture": {"components": [
                {"weight": 2, "dist": {"exponential": {"mean": 3}}},
                {"weight": 6, "dist": {"lognormal": {"mu": 0, "sigma": 1}}}]}}"#,
        ))
        .unwrap();
        let want = 0.25 * 3.0 + 0.75 * 0.5f64.exp();
        assert!((d.mean().unwrap() - want).abs() < 1e-12);
        let heavy = spec(
            r#"{"mixture": {"components": [
                {"weight": 1, "dist": {"pareto": {"scale": 1, "shape": 0.9}}},
                {"weight": 1, "dist": {"constant": {"value": 1}}}]}}"#,
        );
        assert_eq!(Dist::new(&heavy).unwrap().mean(), None);
    }

    #[test]
    fn dist_shift_and_scale_compose() {
        let d = Dist::new(&spec(
            r#"{"shift": {"by": 5, "dist": {"scale": {"factor": 2, "dist": {"exponential": {"mean": 3}}}}}}"#,
        ))
        .unwrap();
        assert_eq!(d.mean(), Some(11.0));
        let q = |p: f64| 5.0 - 6.0 * (1.0 - p).ln();
        assert!((d.quantile(0.9).unwrap() - q(0.9)).abs() < 1e-12);
        check_family("shift-scale", &d, 11.0, 6.0, q);
        // Sample by sample: the same draws, transformed.
        let (mut a, mut b) = (SimRng::stream(3, "ss"), SimRng::stream(3, "ss"));
        for _ in 0..100 {
            assert_eq!(d.sample(&mut a), 5.0 + 2.0 * b.exp(3.0));
        }
        let neg = Dist::new(&spec(r#"{"shift": {"by": -10, "dist": {"constant": {"value": 1}}}}"#)).unwrap();
        assert_eq!(neg.sample(&mut a), -9.0);
        assert_eq!(neg.sample_duration_ms(&mut a), SimDuration::ZERO);
    }

    #[test]
    fn dist_sample_duration_is_milliseconds() {
        let d = Dist::constant(1.5).unwrap();
        let mut r = SimRng::stream(1, "ms");
        assert_eq!(d.sample_duration_ms(&mut r), SimDuration::from_micros(1500));
    }

    #[test]
    fn dist_draw_counts_are_as_documented() {
        let cases = [
            (r#"{"constant": {"value": 1}}"#, 0),
            (r#"{"uniform": {"low": 1, "high": 2}}"#, 1),
            (r#"{"exponential": {"mean": 1}}"#, 1),
            (r#"{"lognormal": {"mu": 0, "sigma": 1}}"#, 2),
            (r#"{"normal": {"mean": 100, "std_dev": 1}}"#, 2),
            (r#"{"pareto": {"scale": 1, "shape": 2}}"#, 1),
            (r#"{"empirical": {"points": [{"p": 0, "value": 1}, {"p": 1, "value": 2}]}}"#, 1),
            (r#"{"mixture": {"components": [{"weight": 1, "dist": {"uniform": {"low": 1, "high": 2}}}]}}"#, 2),
            (r#"{"scale": {"factor": 2, "dist": {"shift": {"by": 1, "dist": {"constant": {"value": 1}}}}}}"#, 0),
        ];
        for (json, want) in cases {
            let d = Dist::new(&spec(json)).unwrap();
            for seed in 0..5 {
                assert_eq!(draws_per_sample(&d, seed), want, "{json}");
            }
        }
    }

    #[test]
    fn dist_same_seed_same_samples() {
        let d = Dist::new(&spec(
            r#"{"mixture": {"components": [
                {"weight": 1, "dist": {"normal": {"mean": 1, "std_dev": 3}}},
                {"weight": 1, "dist": {"pareto": {"scale": 1, "shape": 1.5}}}]}}"#,
        ))
        .unwrap();
        let run = || {
            let mut r = SimRng::stream(99, "det");
            (0..100).map(|_| d.sample(&mut r).to_bits()).collect::<Vec<_>>()
        };
        let first = run();
        assert_eq!(first, run());
        let mut other = SimRng::stream(100, "det");
        assert_ne!(first[0], d.sample(&mut other).to_bits());
    }

    // -----------------------------------------------------------------------------------------
    // Validation.

    fn c(value: f64) -> DistSpec {
        DistSpec::Constant { value }
    }

    fn mix(weights: &[f64]) -> DistSpec {
        let components = weights.iter().map(|&weight| MixtureComponent { weight, dist: c(1.0) }).collect();
        DistSpec::Mixture { components }
    }

    fn emp(points: &[(f64, f64)]) -> DistSpec {
        DistSpec::Empirical { points: points.iter().map(|&(p, value)| EmpiricalPoint { p, value }).collect() }
    }

    fn bad_specs() -> Vec<(DistSpec, &'static str)> {
        let exp_neg = DistSpec::Exponential { mean: -1.0 };
        let nested = DistSpec::Mixture {
            components: vec![
                MixtureComponent { weight: 1.0, dist: c(1.0) },
                MixtureComponent { weight: 1.0, dist: exp_neg },
            ],
        };
        vec![
            (c(-1.0), "constant.value: value must be a finite number >= 0, got -1"),
            (c(f64::NAN), "constant.value: value must be a finite number >= 0, got NaN"),
            (DistSpec::Uniform { low: 3.0, high: 2.0 }, "uniform.high: high must be >= low (3), got 2"),
            (
                DistSpec::Uniform { low: f64::INFINITY, high: 2.0 },
                "uniform.low: low must be a finite number >= 0, got inf",
            ),
            (
                DistSpec::Uniform { low: 1.0, high: f64::INFINITY },
                "uniform.high: high must be a finite number, got inf",
            ),
            (DistSpec::Exponential { mean: -0.5 }, "exponential.mean: mean must be a finite number >= 0, got -0.5"),
            (DistSpec::Exponential { mean: f64::NAN }, "exponential.mean: mean must be a finite number >= 0, got NaN"),
            (
                DistSpec::Normal { mean: 1.0, std_dev: -1.0 },
                "normal.std_dev: std_dev must be a finite number >= 0, got -1",
            ),
            (DistSpec::Normal { mean: -1.0, std_dev: 1.0 }, "normal.mean: mean must be a finite number >= 0, got -1"),
            (DistSpec::Lognormal { mu: f64::NAN, sigma: 1.0 }, "lognormal.mu: mu must be a finite number, got NaN"),
            (
                DistSpec::Lognormal { mu: 0.0, sigma: -1.0 },
                "lognormal.sigma: sigma must be a finite number >= 0, got -1",
            ),
            (
                DistSpec::LognormalMedian { median: 0.0, p99: 1.0 },
                "lognormal_median.median: median must be a finite number > 0, got 0",
            ),
            (
                DistSpec::LognormalMedian { median: 5.0, p99: 4.0 },
                "lognormal_median.p99: p99 must be >= median (5), got 4",
            ),
            (DistSpec::Pareto { scale: 0.0, shape: 1.0 }, "pareto.scale: scale must be a finite number > 0, got 0"),
            (DistSpec::Pareto { scale: 1.0, shape: 0.0 }, "pareto.shape: shape must be a finite number > 0, got 0"),
            (DistSpec::Pareto { scale: 1.0, shape: -2.0 }, "pareto.shape: shape must be a finite number > 0, got -2"),
            (mix(&[]), "mixture.components: a mixture needs at least one component"),
            (mix(&[0.0, 0.0]), "mixture.components: weights must not all be zero"),
            (mix(&[1.0, 1.0, -1.0]), "mixture.components[2].weight: weight must be a finite number >= 0, got -1"),
            (mix(&[f64::MAX, f64::MAX]), "mixture.components: weights must sum to a finite number, got inf"),
            (nested, "mixture.components[1].dist.exponential.mean: mean must be a finite number >= 0, got -1"),
            (emp(&[(0.0, 1.0)]), "empirical.points: an empirical distribution needs at least 2 points, got 1"),
            (emp(&[(0.1, 1.0), (1.0, 2.0)]), "empirical.points[0].p: first p must be 0, got 0.1"),
            (emp(&[(0.0, 1.0), (0.5, 2.0), (0.9, 3.0)]), "empirical.points[2].p: last p must be 1, got 0.9"),
            (emp(&[(0.0, 1.0), (1.5, 2.0), (1.0, 3.0)]), "empirical.points[1].p: p must be in [0, 1], got 1.5"),
            (emp(&[(0.0, 1.0), (f64::NAN, 2.0), (1.0, 3.0)]), "empirical.points[1].p: p must be in [0, 1], got NaN"),
            (
                emp(&[(0.0, 1.0), (0.5, 2.0), (0.5, 3.0), (1.0, 4.0)]),
                "empirical.points[2].p: p must be strictly increasing, got 0.5 after 0.5",
            ),
            (
                emp(&[(0.0, 1.0), (0.5, 3.0), (0.7, 2.0), (1.0, 4.0)]),
                "empirical.points[2].value: value must be >= the previous value (3), got 2",
            ),
            (emp(&[(0.0, -1.0), (1.0, 2.0)]), "empirical.points[0].value: value must be a finite number >= 0, got -1"),
            (DistSpec::Shift { by: f64::NAN, dist: Box::new(c(1.0)) }, "shift.by: by must be a finite number, got NaN"),
            (
                DistSpec::Scale { factor: -2.0, dist: Box::new(c(1.0)) },
                "scale.factor: factor must be a finite number >= 0, got -2",
            ),
            (
                DistSpec::Shift { by: 1.0, dist: Box::new(DistSpec::Pareto { scale: 1.0, shape: f64::NEG_INFINITY }) },
                "shift.dist.pareto.shape: shape must be a finite number > 0, got -inf",
            ),
        ]
    }

    #[test]
    fn dist_bad_specs_name_what_and_where() {
        for (bad, want) in bad_specs() {
            let got = std::panic::catch_unwind(|| Dist::new(&bad)).expect("constructor panicked");
            let err = got.expect_err(want);
            assert_eq!(err.to_string(), want);
            let again = Dist::try_from(&bad).expect_err(want);
            assert_eq!(again.to_string(), err.to_string());
        }
    }

    #[test]
    fn dist_rejects_too_deep_nesting() {
        let mut s = c(1.0);
        for _ in 0..=MAX_NESTING {
            s = DistSpec::Scale { factor: 1.0, dist: Box::new(s) };
        }
        let err = Dist::new(&s).unwrap_err();
        assert_eq!(err.problem, DistProblem::TooDeep { max: MAX_NESTING });
        assert!(err.path.as_str().ends_with("scale.dist"), "{}", err.path);
        if let DistSpec::Scale { dist, .. } = s {
            assert!(Dist::new(&dist).is_ok(), "exactly MAX_NESTING levels are allowed");
        }
    }

    // -----------------------------------------------------------------------------------------
    // Serde and schema.

    #[test]
    fn dist_serde_round_trips() {
        let json = r#"{"mixture": {"components": [
            {"weight": 0.5, "dist": {"shift": {"by": 1.5, "dist": {"lognormal_median": {"median": 2, "p99": 9}}}}},
            {"weight": 0.5, "dist": {"empirical": {"points": [{"p": 0, "value": 1}, {"p": 1, "value": 4}]}}}]}}"#;
        let s = spec(json);
        let back: DistSpec = serde_json::from_str(&serde_json::to_string(&s).unwrap()).unwrap();
        assert_eq!(back, s);
        assert_eq!(spec(r#"{"constant": {"value": 2.0}}"#), c(2.0));
        assert_eq!(serde_json::to_string(&c(2.0)).unwrap(), r#"{"constant":{"value":2.0}}"#);
    }

    #[test]
    fn dist_serde_denies_unknown_fields() {
        let bad = [
            r#"{"exponential": {"mean": 1, "extra": 2}}"#,
            r#"{"exponential": {"mean": 1}, "constant": {"value": 1}}"#,
            r#"{"gamma": {"shape": 1}}"#,
            r#"{"mixture": {"components": [{"weight": 1, "dist": {"constant": {"value": 1}}, "x": 1}]}}"#,
            r#"{"empirical": {"points": [{"p": 0, "value": 1, "q": 0}, {"p": 1, "value": 2}]}}"#,
        ];
        for json in bad {
            assert!(serde_json::from_str::<DistSpec>(json).is_err(), "accepted {json}");
        }
    }

    #[test]
    fn dist_schema_carries_field_docs() {
        let schema = serde_json::to_string(&schemars::schema_for!(DistSpec)).unwrap();
        for needle in ["lognormal_median", "milliseconds for latencies", "tail index", "additionalProperties"] {
            assert!(schema.contains(needle), "schema lacks {needle}");
        }
    }

    // -----------------------------------------------------------------------------------------
    // Fuzz: no input makes construction, sampling or the helpers panic or yield NaN.

    /// Mostly ordinary numbers, so that many specs are valid and get sampled, plus every kind of
    /// edge value.
    fn any_number() -> impl Strategy<Value = f64> {
        prop_oneof![
            24 => 0.0..10.0f64,
            1 => Just(f64::NAN),
            1 => Just(f64::INFINITY),
            1 => Just(f64::NEG_INFINITY),
            1 => Just(f64::MAX),
            1 => Just(0.0),
            1 => Just(1e-320),
            2 => -2.0..10.0f64,
            2 => any::<f64>(),
        ]
    }

    fn leaf() -> impl Strategy<Value = DistSpec> {
        let n = any_number;
        prop_oneof![
            n().prop_map(|value| DistSpec::Constant { value }),
            (n(), n()).prop_map(|(low, high)| DistSpec::Uniform { low, high }),
            n().prop_map(|mean| DistSpec::Exponential { mean }),
            (n(), n()).prop_map(|(mean, std_dev)| DistSpec::Normal { mean, std_dev }),
            (n(), n()).prop_map(|(mu, sigma)| DistSpec::Lognormal { mu, sigma }),
            (n(), n()).prop_map(|(median, p99)| DistSpec::LognormalMedian { median, p99 }),
            (n(), n()).prop_map(|(scale, shape)| DistSpec::Pareto { scale, shape }),
            prop::collection::vec((n(), n()), 0..5).prop_map(|v| emp(&v)),
            prop::collection::vec((0.0..1.0f64, 0.0..1e3f64), 0..6).prop_map(|mut v| {
                v.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.total_cmp(&b.1)));
                v.insert(0, (0.0, 0.0));
                v.push((1.0, 1e3));
                emp(&v)
            }),
        ]
    }

    fn any_spec() -> impl Strategy<Value = DistSpec> {
        leaf().prop_recursive(4, 24, 4, |inner| {
            prop_oneof![
                prop::collection::vec((any_number(), inner.clone()), 0..4).prop_map(|v| {
                    DistSpec::Mixture {
                        components: v.into_iter().map(|(weight, dist)| MixtureComponent { weight, dist }).collect(),
                    }
                }),
                (any_number(), inner.clone()).prop_map(|(by, d)| DistSpec::Shift { by, dist: Box::new(d) }),
                (any_number(), inner).prop_map(|(factor, d)| DistSpec::Scale { factor, dist: Box::new(d) }),
            ]
        })
    }

    fn has_negative_shift(s: &DistSpec) -> bool {
        match s {
            DistSpec::Shift { by, dist } => *by < 0.0 || has_negative_shift(dist),
            DistSpec::Scale { dist, .. } => has_negative_shift(dist),
            DistSpec::Mixture { components } => components.iter().any(|c| has_negative_shift(&c.dist)),
            _ => false,
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(1024))]
        #[test]
        fn dist_fuzz_never_panics_nor_yields_nan(s in any_spec(), seed in any::<u64>()) {
            let Ok(d) = Dist::new(&s) else { return Ok(()) };
            let mut rng = SimRng::stream(seed, "fuzz");
            for _ in 0..20 {
                let x = d.sample(&mut rng);
                prop_assert!(x.is_finite(), "sample {x} from {s:?}");
                prop_assert!(x >= 0.0 || has_negative_shift(&s), "negative sample {x} from {s:?}");
            }
            if let Some(m) = d.mean() {
                prop_assert!(m.is_finite());
            }
            let mut last = f64::NEG_INFINITY;
            for p in [0.0, 0.25, 0.5, 0.9, 0.999, 1.0] {
                if let Some(q) = d.quantile(p) {
                    prop_assert!(!q.is_nan() && q >= last, "quantile({p}) = {q} after {last} for {s:?}");
                    last = q;
                }
            }
        }
    }
}
