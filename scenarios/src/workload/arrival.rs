//! Arrival processes: when each client of a group starts its next operation.
//!
//! An [`ArrivalSpec`] (plain data from the scenario file) gives the TOTAL rate of a client group;
//! [`Arrivals::new`] splits it evenly over the group's clients and builds one client's process.
//! Each client's process is independent of the others (its own phase, its own ON/OFF periods),
//! so the group's arrivals are the superposition of the clients'.
//!
//! - `poisson`: exponential gaps (one `exp` draw per arrival).
//! - `constant`: gaps of exactly `clients / rate_per_s` seconds. The first gap is a uniformly
//!   random fraction of that (one draw), so the clients of a group do not fire in lockstep.
//! - `on_off`: bursty. Poisson at `rate_per_s` during ON periods, nothing during OFF periods;
//!   period lengths are drawn from `on_s` / `off_s`. The long-run rate is
//!   `rate_per_s * E[on] / (E[on] + E[off])`. A client starts ON with that probability (one
//!   `chance` draw) and with a fresh period.
//! - `diurnal`: non-homogeneous Poisson with `rate(t) = mean * (1 + amplitude * sin(2πt/period))`,
//!   `t` the simulated time since the run started, sampled exactly by thinning (Lewis and
//!   Shedler 1979): candidates at the peak rate, each kept with probability `rate(t) / peak`.
//!
//! Gaps are returned as whole nanoseconds; the fraction that truncation drops is carried into
//! the next gap, so long-run rates are exact.

use crate::error::{JsonPath, SpecError};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use sim_core::SimRng;
use sim_core::dist::{Dist, DistSpec};
use sim_core::time::SimDuration;
use std::f64::consts::TAU;

/// The highest rate a group may ask for, per second: one arrival per nanosecond, the clock's
/// resolution. Faster processes would put many arrivals at the same instant.
pub const MAX_RATE_PER_S: f64 = 1e9;

/// The most ON/OFF periods a client may expect to pass between two of its arrivals
/// (`1 / (per-client rate * E[on])`). Beyond it the spec is rejected: the simulation would spend
/// its time walking periods (and the process is essentially silent anyway).
pub const MAX_PERIODS_PER_ARRIVAL: f64 = 1e5;

/// Hard bound on the periods (ON/OFF) or thinning candidates one [`Arrivals::next_gap`] call
/// examines. An ON/OFF spec that passes [`MAX_PERIODS_PER_ARRIVAL`] with well-behaved periods
/// needs at most 2e5 steps on average, and the cap is 84 times that (exceeded with probability
/// about e^-84); a diurnal client needs about `2 * rate * gap` candidates, far fewer unless one
/// client's peak rate is near 1e9/s with the amplitude near 1. The cap exists so that a
/// degenerate spec (e.g. ON periods that are almost always 0 s long) cannot hang the run: when
/// reached, the arrival is placed where the scan stopped.
const MAX_STEPS_PER_GAP: usize = 1 << 24;

/// An arrival process, as written in a scenario. JSON: `{"poisson": {"rate_per_s": 100}}`.
///
/// Every rate is the TOTAL for the client group, in operations per second; each client gets an
/// equal share.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum ArrivalSpec {
    /// Poisson arrivals (exponential gaps): open-loop, memoryless.
    Poisson {
        /// Total arrival rate of the group, in operations per second. Required; finite, > 0 and
        /// at most 1e9.
        rate_per_s: f64,
    },
    /// Evenly spaced arrivals: each client fires every `clients / rate_per_s` seconds, starting
    /// at a random phase.
    Constant {
        /// Total arrival rate of the group, in operations per second. Required; finite, > 0 and
        /// at most 1e9.
        rate_per_s: f64,
    },
    /// Bursty arrivals: Poisson at `rate_per_s` during ON periods, none during OFF periods,
    /// alternating, with period lengths drawn from `on_s` and `off_s` (per client).
    OnOff {
        /// Total arrival rate of the group while ON, in operations per second (the long-run rate
        /// is this times the ON duty cycle). Required; finite, > 0 and at most 1e9.
        rate_per_s: f64,
        /// Length of each ON period, in seconds, as a distribution (e.g.
        /// `{"exponential": {"mean": 2}}`). Required; never negative (no `shift` by a negative
        /// amount), with a finite mean > 0.
        on_s: DistSpec,
        /// Length of each OFF period, in seconds, as a distribution (e.g.
        /// `{"constant": {"value": 8}}`). Required; never negative (no `shift` by a negative
        /// amount); 0 means always ON.
        off_s: DistSpec,
    },
    /// Daily-cycle arrivals: Poisson with rate `mean_rate_per_s * (1 + amplitude * sin(2π t /
    /// period_s))` at simulated time `t` seconds.
    Diurnal {
        /// Total arrival rate of the group averaged over a period, in operations per second.
        /// Required; finite, > 0, and `mean_rate_per_s * (1 + amplitude)` at most 1e9.
        mean_rate_per_s: f64,
        /// Relative swing of the rate around its mean (dimensionless): the rate ranges from
        /// `mean * (1 - amplitude)` to `mean * (1 + amplitude)`. Required; in [0, 1).
        amplitude: f64,
        /// Length of one cycle, in seconds (86400 for a day). Required; finite and > 0.
        period_s: f64,
    },
}

impl ArrivalSpec {
    /// The variant's snake_case name, as in JSON and error paths.
    pub fn name(&self) -> &'static str {
        match self {
            ArrivalSpec::Poisson { .. } => "poisson",
            ArrivalSpec::Constant { .. } => "constant",
            ArrivalSpec::OnOff { .. } => "on_off",
            ArrivalSpec::Diurnal { .. } => "diurnal",
        }
    }

    /// Checks every parameter. Paths are relative to the spec (e.g. `poisson.rate_per_s`,
    /// `on_off.on_s.exponential.mean`).
    pub fn validate(&self) -> Result<(), SpecError> {
        match self {
            ArrivalSpec::Poisson { rate_per_s } | ArrivalSpec::Constant { rate_per_s } => {
                check_rate(self.name(), "rate_per_s", *rate_per_s)
            }
            ArrivalSpec::OnOff { rate_per_s, on_s, off_s } => {
                check_rate("on_off", "rate_per_s", *rate_per_s)?;
                compile_period("on_s", on_s)?;
                compile_period("off_s", off_s)?;
                Ok(())
            }
            ArrivalSpec::Diurnal { mean_rate_per_s, amplitude, period_s } => {
                check_diurnal(*mean_rate_per_s, *amplitude, *period_s)
            }
        }
    }
}

fn check_rate(variant: &str, field: &str, rate: f64) -> Result<(), SpecError> {
    if rate.is_finite() && rate > 0.0 && rate <= MAX_RATE_PER_S {
        return Ok(());
    }
    let fix = if rate > MAX_RATE_PER_S {
        "use at most 1e9 operations per second (one per nanosecond, the clock's resolution)"
    } else {
        "give the group's total operations per second, e.g. 100; to issue nothing, drop the workload"
    };
    Err(SpecError::new(
        format!("{variant}.{field}"),
        format!("{field} must be a finite number > 0 and at most 1e9, got {rate}"),
        fix,
    ))
}

fn check_diurnal(mean: f64, amplitude: f64, period: f64) -> Result<(), SpecError> {
    check_rate("diurnal", "mean_rate_per_s", mean)?;
    if !(0.0..1.0).contains(&amplitude) {
        return Err(SpecError::new(
            "diurnal.amplitude",
            format!("amplitude must be in [0, 1), got {amplitude}"),
            "use a relative swing below 1, e.g. 0.5 for a rate between half and 1.5 times the mean",
        ));
    }
    if !(period.is_finite() && period > 0.0) {
        return Err(SpecError::new(
            "diurnal.period_s",
            format!("period_s must be a finite number > 0, got {period}"),
            "give the cycle length in seconds, e.g. 86400 for a day or 60 for a compressed day",
        ));
    }
    if mean * (1.0 + amplitude) > MAX_RATE_PER_S {
        return Err(SpecError::new(
            "diurnal.mean_rate_per_s",
            format!(
                "the peak rate mean_rate_per_s * (1 + amplitude) = {} exceeds 1e9 per second",
                mean * (1.0 + amplitude)
            ),
            "lower mean_rate_per_s or amplitude so that the peak is at most 1e9 operations per second",
        ));
    }
    Ok(())
}

/// Compiles an ON or OFF period distribution; the ON one must have a positive mean.
fn compile_period(field: &str, spec: &DistSpec) -> Result<Dist, SpecError> {
    let path = JsonPath::root().field("on_off").field(field);
    let dist = Dist::new(spec).map_err(|e| {
        SpecError::new(
            path.join(&e.path),
            e.problem.to_string(),
            format!(
                "give {field} as a distribution of period lengths in seconds, e.g. {{\"exponential\": {{\"mean\": 2}}}}"
            ),
        )
    })?;
    if let Some(inner) = negative_shift(spec) {
        return Err(SpecError::new(
            path.join(&inner),
            format!("{field} could yield negative period lengths (a shift by a negative amount)"),
            "shift by a non-negative amount, or describe the period lengths directly, e.g. {\"uniform\": {\"low\": 1, \"high\": 3}}",
        ));
    }
    if field == "on_s" && !dist.mean().is_some_and(|m| m > 0.0) {
        let got = dist.mean().map_or("infinite or undefined".to_string(), |m| m.to_string());
        return Err(SpecError::new(
            path,
            format!("ON periods must have a finite mean length > 0 seconds, got {got}"),
            "give on_s a positive finite mean, e.g. {\"exponential\": {\"mean\": 2}} (a pareto needs shape > 1); for no traffic, drop the workload",
        ));
    }
    Ok(dist)
}

/// The path (relative to `spec`) of a `shift` by a negative amount inside it, if any: the only
/// way a valid distribution yields negative samples.
fn negative_shift(spec: &DistSpec) -> Option<JsonPath> {
    let at = |kind: &str| JsonPath::root().field(kind);
    match spec {
        DistSpec::Shift { by, .. } if *by < 0.0 => Some(at("shift").field("by")),
        DistSpec::Shift { dist, .. } => negative_shift(dist).map(|p| at("shift").field("dist").join(&p)),
        DistSpec::Scale { dist, .. } => negative_shift(dist).map(|p| at("scale").field("dist").join(&p)),
        DistSpec::Mixture { components } => components.iter().enumerate().find_map(|(i, c)| {
            negative_shift(&c.dist).map(|p| at("mixture").field("components").index(i).field("dist").join(&p))
        }),
        _ => None,
    }
}

/// One client's arrival process. Build it with [`Arrivals::new`].
#[derive(Clone, Debug, PartialEq)]
pub struct Arrivals {
    kind: Kind,
    /// Fraction of a nanosecond that truncating earlier gaps dropped, added to the next gap.
    carry_ns: f64,
}

/// Per-client parameters and state.
#[derive(Clone, Debug, PartialEq)]
enum Kind {
    Poisson { mean_gap_s: f64 },
    Constant { gap_s: f64, started: bool },
    OnOff(OnOff),
    Diurnal { mean: f64, amplitude: f64, period_s: f64 },
}

/// An ON/OFF client: Poisson with mean gap `mean_gap_s` (seconds of ON time) while ON.
#[derive(Clone, Debug, PartialEq)]
struct OnOff {
    mean_gap_s: f64,
    on: Dist,
    off: Dist,
    /// The duty cycle `E[on] / (E[on] + E[off])`: the probability of starting ON.
    start_on: f64,
    /// `None` until the first call; then the phase as of simulated time `at_s`.
    phase: Option<Phase>,
}

/// Where an ON/OFF client is in its alternation. Lengths are kept relative (what is left of the
/// current period) so that a long period never swallows short ones in floating-point rounding.
#[derive(Clone, Copy, Debug, PartialEq)]
struct Phase {
    on: bool,
    /// Seconds left in the current period.
    left_s: f64,
    /// The simulated time (s) this phase describes.
    at_s: f64,
}

impl Arrivals {
    /// Validates `spec` and builds the process of one of `clients` clients sharing it (each gets
    /// `1 / clients` of the rate). Errors have paths relative to the spec; a zero `clients` is
    /// reported at the empty path.
    pub fn new(spec: &ArrivalSpec, clients: usize) -> Result<Arrivals, SpecError> {
        spec.validate()?;
        if clients == 0 {
            return Err(SpecError::new(
                "",
                "the arrival process is shared by 0 clients",
                "give the client group at least 1 client",
            ));
        }
        let n = clients as f64;
        let kind = match spec {
            ArrivalSpec::Poisson { rate_per_s } => Kind::Poisson { mean_gap_s: n / rate_per_s },
            ArrivalSpec::Constant { rate_per_s } => Kind::Constant { gap_s: n / rate_per_s, started: false },
            ArrivalSpec::OnOff { rate_per_s, on_s, off_s } => Kind::OnOff(OnOff::new(*rate_per_s / n, on_s, off_s)?),
            ArrivalSpec::Diurnal { mean_rate_per_s, amplitude, period_s } => {
                Kind::Diurnal { mean: mean_rate_per_s / n, amplitude: *amplitude, period_s: *period_s }
            }
        };
        Ok(Arrivals { kind, carry_ns: 0.0 })
    }

    /// The time from `now_s` (simulated seconds since the run started) to this client's next
    /// arrival. Call it at the start and then at each arrival. Never panics; saturates at the end
    /// of time. `on_off` and `diurnal` depend on `now_s`; a `now_s` later than the previous
    /// arrival (e.g. the caller paused) is fine.
    ///
    /// Draws: `poisson` one `exp`; `constant` one `u01` on the first call, none after;
    /// `on_off` one `exp` for the ON time needed, plus the period samples it passes (and one
    /// `chance` on the first call); `diurnal` one `exp` and one `u01` per thinning candidate.
    pub fn next_gap(&mut self, now_s: f64, rng: &mut SimRng) -> SimDuration {
        let gap_s = match &mut self.kind {
            Kind::Poisson { mean_gap_s } => rng.exp(*mean_gap_s),
            Kind::Constant { gap_s, started } => constant_gap(*gap_s, started, rng),
            Kind::OnOff(p) => p.next_gap(now_s, rng),
            Kind::Diurnal { mean, amplitude, period_s } => diurnal_gap(*mean, *amplitude, *period_s, now_s, rng),
        };
        self.whole_nanos(gap_s)
    }

    /// The long-run mean rate of this client, in arrivals per second (for ON/OFF, the ON rate
    /// times the duty cycle `E[on] / (E[on] + E[off])`, 0 when OFF periods have an infinite
    /// mean).
    pub fn mean_rate_per_s(&self) -> f64 {
        match &self.kind {
            Kind::Poisson { mean_gap_s } => 1.0 / mean_gap_s,
            Kind::Constant { gap_s, .. } => 1.0 / gap_s,
            Kind::OnOff(p) => p.start_on / p.mean_gap_s,
            Kind::Diurnal { mean, .. } => *mean,
        }
    }

    /// Whole nanoseconds of `gap_s` plus the carried fraction; the new fraction is carried.
    fn whole_nanos(&mut self, gap_s: f64) -> SimDuration {
        let ns = gap_s * 1e9 + self.carry_ns;
        if !(ns.is_finite() && ns < u64::MAX as f64) {
            self.carry_ns = 0.0;
            return SimDuration::from_nanos(u64::MAX);
        }
        let whole = ns.max(0.0).floor();
        self.carry_ns = (ns - whole).clamp(0.0, 1.0);
        SimDuration::from_nanos_f64(whole)
    }
}

fn constant_gap(gap_s: f64, started: &mut bool, rng: &mut SimRng) -> f64 {
    if *started {
        gap_s
    } else {
        *started = true;
        rng.u01() * gap_s
    }
}

/// The end of simulated time, in seconds (`u64::MAX` nanoseconds): a gap this long saturates.
const END_OF_TIME_S: f64 = u64::MAX as f64 / 1e9;

/// Thinning: candidates at the peak rate, each kept with probability `rate(t) / peak`.
fn diurnal_gap(mean: f64, amplitude: f64, period_s: f64, now_s: f64, rng: &mut SimRng) -> f64 {
    let peak = mean * (1.0 + amplitude);
    let mut gap = 0.0;
    for _ in 0..MAX_STEPS_PER_GAP {
        gap += rng.exp(1.0 / peak);
        if gap >= END_OF_TIME_S {
            break;
        }
        let phase = TAU * ((now_s + gap).rem_euclid(period_s) / period_s);
        let keep = (1.0 + amplitude * phase.sin()) / (1.0 + amplitude);
        if rng.u01() < keep {
            break;
        }
    }
    gap
}

impl OnOff {
    fn new(rate: f64, on_s: &DistSpec, off_s: &DistSpec) -> Result<OnOff, SpecError> {
        if !(rate.is_finite() && rate > 0.0) {
            return Err(SpecError::new(
                "on_off.rate_per_s",
                format!("the rate per client ({rate} per second) is not a positive number"),
                "raise rate_per_s or use fewer clients",
            ));
        }
        let on = compile_period("on_s", on_s)?;
        let off = compile_period("off_s", off_s)?;
        let m = on.mean().unwrap_or(f64::MAX);
        if 1.0 / (rate * m) > MAX_PERIODS_PER_ARRIVAL {
            return Err(SpecError::new(
                "on_off",
                format!(
                    "each client would pass about {:.3e} ON periods between two arrivals (per-client rate {rate} per second, mean ON {m} s); at most 1e5 are allowed",
                    1.0 / (rate * m)
                ),
                "raise rate_per_s, lengthen the ON periods (on_s) or use fewer clients",
            ));
        }
        // An OFF mean that is infinite makes the long-run duty cycle 0.
        let start_on = off.mean().map_or(0.0, |b| m / (m + b));
        Ok(OnOff { mean_gap_s: 1.0 / rate, on, off, start_on, phase: None })
    }

    /// A fresh period's length in seconds.
    fn period(&self, on: bool, rng: &mut SimRng) -> f64 {
        let d = if on { &self.on } else { &self.off };
        d.sample(rng).max(0.0)
    }

    /// The phase at `now_s`: a fresh one on the first call, else the stored one moved forward
    /// through the periods that passed since (if the caller was late).
    fn phase_at(&mut self, now_s: f64, rng: &mut SimRng) -> Phase {
        let Some(mut p) = self.phase else {
            let on = rng.chance(self.start_on);
            return Phase { on, left_s: self.period(on, rng), at_s: now_s };
        };
        let mut behind = now_s - p.at_s;
        let mut steps = 0;
        while behind > p.left_s && steps < MAX_STEPS_PER_GAP {
            steps += 1;
            behind -= p.left_s;
            p.on = !p.on;
            p.left_s = self.period(p.on, rng);
        }
        p.left_s -= behind.clamp(0.0, p.left_s);
        p.at_s = now_s;
        p
    }

    /// Poisson within ON periods: the ON time needed until the next arrival is exponential
    /// (memorylessness), so walk the periods from `now_s` until that much ON time has passed.
    fn next_gap(&mut self, now_s: f64, rng: &mut SimRng) -> f64 {
        let mut p = self.phase_at(now_s, rng);
        let mut need = rng.exp(self.mean_gap_s);
        let mut gap = 0.0;
        for _ in 0..MAX_STEPS_PER_GAP {
            if p.on && need <= p.left_s {
                gap += need;
                p.left_s -= need;
                break;
            }
            if p.on {
                need -= p.left_s;
            }
            gap += p.left_s;
            if gap >= END_OF_TIME_S {
                break;
            }
            p.on = !p.on;
            p.left_s = self.period(p.on, rng);
        }
        p.at_s = now_s + gap;
        self.phase = Some(p);
        gap
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use sim_core::time::SimTime;

    fn exp(mean: f64) -> DistSpec {
        DistSpec::Exponential { mean }
    }

    fn constant(value: f64) -> DistSpec {
        DistSpec::Constant { value }
    }

    /// Runs one client from 0 to `horizon_s` the way the simulator does (integer nanoseconds)
    /// and returns its arrival times in seconds.
    fn arrivals(spec: &ArrivalSpec, clients: usize, horizon_s: f64, seed: u64) -> Vec<f64> {
        let mut a = Arrivals::new(spec, clients).unwrap();
        let mut rng = SimRng::stream(seed, "arrivals");
        let end = SimTime::ZERO + SimDuration::from_secs_f64(horizon_s);
        let mut now = SimTime::ZERO;
        let mut out = Vec::new();
        loop {
            now += a.next_gap(now.as_secs_f64(), &mut rng);
            if now > end {
                return out;
            }
            out.push(now.as_secs_f64());
        }
    }

    /// `|observed - expected| <= 5 * sd`. Fixed seeds make the tests deterministic; 5 standard
    /// deviations means a correct process fails with probability below 1e-6 if the seed changes.
    fn assert_close(observed: f64, expected: f64, sd: f64, what: &str) {
        assert!((observed - expected).abs() <= 5.0 * sd, "{what}: {observed} vs {expected} (sd {sd})");
    }

    #[test]
    fn arrival_poisson_rate_and_gaps() {
        // 1000/s over 10 clients: 100/s per client, 1e5 expected in 1000 s. A Poisson count has
        // sd sqrt(1e5) ~ 316.
        let spec = ArrivalSpec::Poisson { rate_per_s: 1000.0 };
        let times = arrivals(&spec, 10, 1000.0, 1);
        let n = times.len() as f64;
        assert_close(n, 1e5, 1e5f64.sqrt(), "count");
        // Exponential gaps have coefficient of variation 1. By the delta method on (mean, var)
        // with the exponential's moments (var 1, third central moment 2, fourth 9, unit mean),
        // the sample CV's standard error is exactly 1/sqrt(n).
        let gaps: Vec<f64> = times.windows(2).map(|w| w[1] - w[0]).collect();
        let mean = gaps.iter().sum::<f64>() / gaps.len() as f64;
        let var = gaps.iter().map(|g| (g - mean).powi(2)).sum::<f64>() / gaps.len() as f64;
        assert_close(var.sqrt() / mean, 1.0, 1.0 / n.sqrt(), "coefficient of variation");
        assert_eq!(Arrivals::new(&spec, 10).unwrap().mean_rate_per_s(), 100.0);
    }

    #[test]
    fn arrival_constant_is_exact() {
        // 100/s over 4 clients: one arrival every 40 ms per client after a random first phase.
        let spec = ArrivalSpec::Constant { rate_per_s: 100.0 };
        let times = arrivals(&spec, 4, 1000.0, 2);
        assert!(times[0] < 0.04);
        assert!((times.len() as i64 - 25_000).abs() <= 1, "{}", times.len());
        for w in times.windows(2) {
            // Gaps are whole nanoseconds with the dropped fraction carried: within 1 ns.
            assert!(((w[1] - w[0]) - 0.04).abs() < 2e-9, "gap {}", w[1] - w[0]);
        }
        // Over a long run, the carried fractions make the rate exact: 3 per second never
        // truncates to fewer arrivals.
        let spec = ArrivalSpec::Constant { rate_per_s: 3.0 };
        let mut a = Arrivals::new(&spec, 1).unwrap();
        let mut rng = SimRng::stream(3, "c");
        let first = a.next_gap(0.0, &mut rng);
        let total: u64 = (0..3_000_000).map(|_| a.next_gap(0.0, &mut rng).as_nanos()).sum();
        assert!(first.as_nanos() < 333_333_334);
        assert!((total as i128 - 1_000_000_000_000_000).abs() <= 1, "{total}");
    }

    #[test]
    fn arrival_on_off_duty_cycle_with_constant_periods() {
        // ON 0.2 s, OFF 0.8 s: duty 0.2, so 100/s while ON gives 20/s; over 10000 s the ON time
        // is 2000 s give or take one period, so the count is Poisson(2e5) (sd ~447) plus at
        // most 0.2 s * 100/s = 20 from the edge period.
        let spec = ArrivalSpec::OnOff { rate_per_s: 100.0, on_s: constant(0.2), off_s: constant(0.8) };
        let times = arrivals(&spec, 1, 10_000.0, 4);
        assert_close(times.len() as f64, 2e5, 2e5f64.sqrt() + 4.0, "count");
        // Every arrival falls in an ON window: the gaps longer than 0.2 s are all at least the
        // OFF length (0.8 s), and there are about as many as there are cycles.
        let long: Vec<f64> = times.windows(2).map(|w| w[1] - w[0]).filter(|&g| g > 0.2).collect();
        assert!(long.iter().all(|&g| g >= 0.8 - 1e-6), "an arrival fell in an OFF period");
        assert!((9_900..=10_000).contains(&long.len()), "{} bursts", long.len());
        assert!((Arrivals::new(&spec, 1).unwrap().mean_rate_per_s() - 20.0).abs() < 1e-9);
    }

    #[test]
    fn arrival_on_off_duty_cycle_with_exponential_periods() {
        // ON ~ Exp(0.2 s), OFF ~ Exp(0.8 s), 100/s while ON, 10000 s. By renewal-reward, the ON
        // time over T has variance (T / E[C]) * Var(0.8 on - 0.2 off) = 1e4 * 0.0512 = 512 s^2,
        // so the count's sd is sqrt(2e5 + 100^2 * 512) ~ 2307 around 2e5.
        let spec = ArrivalSpec::OnOff { rate_per_s: 300.0, on_s: exp(0.2), off_s: exp(0.8) };
        let times = arrivals(&spec, 3, 10_000.0, 5);
        assert_close(times.len() as f64, 2e5, (2e5 + 1e4 * 512.0f64).sqrt(), "count");
    }

    #[test]
    fn arrival_on_off_catches_up_after_a_pause() {
        // Calling late (now jumps ahead) must neither panic nor leave arrivals in the past.
        let spec = ArrivalSpec::OnOff { rate_per_s: 50.0, on_s: exp(1.0), off_s: exp(1.0) };
        let mut a = Arrivals::new(&spec, 1).unwrap();
        let mut rng = SimRng::stream(6, "pause");
        let mut now = 0.0;
        for i in 0..1000 {
            now += a.next_gap(now, &mut rng).as_secs_f64() + if i % 10 == 0 { 30.0 } else { 0.0 };
        }
        assert!(now.is_finite() && now > 300.0);
    }

    /// Expected diurnal arrivals in `[a, b)`: the integral of `mean (1 + amp sin(2πt/P))`.
    fn diurnal_integral(mean: f64, amp: f64, period: f64, a: f64, b: f64) -> f64 {
        let w = TAU / period;
        mean * ((b - a) + amp / w * ((w * a).cos() - (w * b).cos()))
    }

    #[test]
    fn arrival_diurnal_thinning_matches_the_rate_integral() {
        // 100/s mean, amplitude 0.8, period 100 s, 100 periods, counted in 10 phase bins.
        // Each bin's count is Poisson with mean 100 * the integral of rate(t) over the bin
        // (between ~24000 and ~176000), so each gets a 5 sqrt(mean) tolerance; a
        // whole-histogram chi-square (9 degrees of freedom, mean 9, sd ~4.2) must be below 40.
        let (mean, amp, period) = (100.0, 0.8, 100.0);
        let spec = ArrivalSpec::Diurnal { mean_rate_per_s: mean, amplitude: amp, period_s: period };
        let times = arrivals(&spec, 1, 100.0 * period, 7);
        let mut bins = [0u64; 10];
        for t in &times {
            bins[((t.rem_euclid(period) / period * 10.0) as usize).min(9)] += 1;
        }
        let mut chi2 = 0.0;
        for (i, &got) in bins.iter().enumerate() {
            let (a, b) = (i as f64 * period / 10.0, (i + 1) as f64 * period / 10.0);
            let want = 100.0 * diurnal_integral(mean, amp, period, a, b);
            assert_close(got as f64, want, want.sqrt(), &format!("bin {i}"));
            chi2 += (got as f64 - want).powi(2) / want;
        }
        assert!(chi2 < 40.0, "chi2 {chi2}, bins {bins:?}");
        assert_close(times.len() as f64, 1e6, 1e3, "total");
    }

    #[test]
    fn arrival_diurnal_splits_the_rate_over_clients() {
        // Same process over 4 clients: one client sees a quarter of the arrivals.
        let spec = ArrivalSpec::Diurnal { mean_rate_per_s: 400.0, amplitude: 0.5, period_s: 10.0 };
        let n = arrivals(&spec, 4, 1000.0, 8).len() as f64;
        assert_close(n, 1e5, 1e5f64.sqrt(), "per-client count");
    }

    #[test]
    fn arrival_same_seed_same_gaps() {
        let spec = ArrivalSpec::OnOff { rate_per_s: 10.0, on_s: exp(1.0), off_s: constant(1.0) };
        assert_eq!(arrivals(&spec, 2, 100.0, 9), arrivals(&spec, 2, 100.0, 9));
    }

    #[test]
    fn arrival_bad_specs_name_the_field_and_a_fix() {
        let cases: Vec<(ArrivalSpec, usize, &str)> = vec![
            (ArrivalSpec::Poisson { rate_per_s: 0.0 }, 1, "poisson.rate_per_s"),
            (ArrivalSpec::Poisson { rate_per_s: f64::NAN }, 1, "poisson.rate_per_s"),
            (ArrivalSpec::Constant { rate_per_s: -5.0 }, 1, "constant.rate_per_s"),
            (ArrivalSpec::Constant { rate_per_s: 2e9 }, 1, "constant.rate_per_s"),
            (ArrivalSpec::Poisson { rate_per_s: 10.0 }, 0, ""),
            (
                ArrivalSpec::OnOff { rate_per_s: 1.0, on_s: exp(-1.0), off_s: exp(1.0) },
                1,
                "on_off.on_s.exponential.mean",
            ),
            (
                ArrivalSpec::OnOff { rate_per_s: 1.0, on_s: exp(1.0), off_s: constant(f64::INFINITY) },
                1,
                "on_off.off_s.constant.value",
            ),
            (ArrivalSpec::OnOff { rate_per_s: 1.0, on_s: constant(0.0), off_s: exp(1.0) }, 1, "on_off.on_s"),
            (
                ArrivalSpec::OnOff {
                    rate_per_s: 1.0,
                    on_s: DistSpec::Pareto { scale: 1.0, shape: 0.5 },
                    off_s: exp(1.0),
                },
                1,
                "on_off.on_s",
            ),
            (
                ArrivalSpec::OnOff {
                    rate_per_s: 1.0,
                    on_s: exp(1.0),
                    off_s: DistSpec::Scale {
                        factor: 2.0,
                        dist: Box::new(DistSpec::Shift { by: -1.0, dist: Box::new(exp(3.0)) }),
                    },
                },
                1,
                "on_off.off_s.scale.dist.shift.by",
            ),
            (ArrivalSpec::OnOff { rate_per_s: 1.0, on_s: constant(1e-3), off_s: exp(1.0) }, 1000, "on_off"),
            (ArrivalSpec::Diurnal { mean_rate_per_s: 1.0, amplitude: 1.0, period_s: 1.0 }, 1, "diurnal.amplitude"),
            (ArrivalSpec::Diurnal { mean_rate_per_s: 1.0, amplitude: -0.1, period_s: 1.0 }, 1, "diurnal.amplitude"),
            (ArrivalSpec::Diurnal { mean_rate_per_s: 1.0, amplitude: 0.5, period_s: 0.0 }, 1, "diurnal.period_s"),
            (
                ArrivalSpec::Diurnal { mean_rate_per_s: 9e8, amplitude: 0.5, period_s: 1.0 },
                1,
                "diurnal.mean_rate_per_s",
            ),
            (
                ArrivalSpec::Diurnal { mean_rate_per_s: f64::INFINITY, amplitude: 0.5, period_s: 1.0 },
                1,
                "diurnal.mean_rate_per_s",
            ),
        ];
        for (spec, clients, path) in cases {
            let e = Arrivals::new(&spec, clients).unwrap_err();
            assert_eq!(e.path, path, "{spec:?}: {e}");
            assert!(!e.message.is_empty() && !e.fix.is_empty());
        }
    }

    #[test]
    fn arrival_serde_forms_and_schema() {
        let s: ArrivalSpec = serde_json::from_str(r#"{"poisson": {"rate_per_s": 100}}"#).unwrap();
        assert_eq!(s, ArrivalSpec::Poisson { rate_per_s: 100.0 });
        let s: ArrivalSpec = serde_json::from_str(
            r#"{"on_off": {"rate_per_s": 5, "on_s": {"exponential": {"mean": 2}}, "off_s": {"constant": {"value": 8}}}}"#,
        )
        .unwrap();
        let back: ArrivalSpec = serde_json::from_str(&serde_json::to_string(&s).unwrap()).unwrap();
        assert_eq!(back, s);
        for bad in [
            r#"{"poisson": {"rate_per_s": 1, "burst": 2}}"#,
            r#"{"poisson": {}}"#,
            r#"{"uniform": {"rate_per_s": 1}}"#,
            r#"{"diurnal": {"mean_rate_per_s": 1, "amplitude": 0.5}}"#,
        ] {
            assert!(serde_json::from_str::<ArrivalSpec>(bad).is_err(), "accepted {bad}");
        }
        let schema = serde_json::to_string(&schemars::schema_for!(ArrivalSpec)).unwrap();
        assert!(schema.contains("operations per second") && schema.contains("additionalProperties"));
    }

    fn any_number() -> impl Strategy<Value = f64> {
        prop_oneof![
            8 => 0.0..100.0f64,
            1 => Just(f64::NAN),
            1 => Just(f64::INFINITY),
            1 => Just(-1.0),
            1 => Just(0.0),
            1 => Just(f64::MAX),
            1 => Just(1e-300),
            1 => any::<f64>(),
        ]
    }

    fn any_dist() -> impl Strategy<Value = DistSpec> {
        prop_oneof![
            any_number().prop_map(constant),
            any_number().prop_map(exp),
            (any_number(), any_number()).prop_map(|(scale, shape)| DistSpec::Pareto { scale, shape }),
            (any_number(), any_number()).prop_map(|(by, m)| DistSpec::Shift { by: -by, dist: Box::new(exp(m)) }),
        ]
    }

    fn any_spec() -> impl Strategy<Value = ArrivalSpec> {
        let n = any_number;
        prop_oneof![
            n().prop_map(|rate_per_s| ArrivalSpec::Poisson { rate_per_s }),
            n().prop_map(|rate_per_s| ArrivalSpec::Constant { rate_per_s }),
            (n(), any_dist(), any_dist()).prop_map(|(rate_per_s, on_s, off_s)| ArrivalSpec::OnOff {
                rate_per_s,
                on_s,
                off_s
            }),
            (n(), 0.0..1.2f64, n()).prop_map(|(mean_rate_per_s, amplitude, period_s)| ArrivalSpec::Diurnal {
                mean_rate_per_s,
                amplitude,
                period_s
            }),
        ]
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(512))]
        #[test]
        fn arrival_fuzz_never_panics(
            spec in any_spec(),
            clients in prop_oneof![Just(0usize), 1..20usize, Just(usize::MAX)],
            seed in any::<u64>(),
            start in prop_oneof![Just(0.0), 0.0..1e6f64, Just(1e18)],
        ) {
            let Ok(mut a) = Arrivals::new(&spec, clients) else { return Ok(()) };
            let mut rng = SimRng::stream(seed, "fuzz");
            let mut now = SimTime::ZERO + SimDuration::from_secs_f64(start);
            for _ in 0..20 {
                now += a.next_gap(now.as_secs_f64(), &mut rng);
            }
            let r = a.mean_rate_per_s();
            prop_assert!(r.is_finite() && r >= 0.0, "mean rate {r}");
        }
    }
}
