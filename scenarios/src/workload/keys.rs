//! Key popularity: which key each operation touches.
//!
//! A [`KeysSpec`] (plain data from the scenario file) names how many keys there are and how
//! popular each is; a [`KeyChooser`] draws key ids in `[0, count)` from it.
//!
//! - `uniform`: every key equally likely (one `below` draw).
//! - `zipf`: key `r - 1` has probability `r^-s / H(count, s)`, so hot keys are the low ids (the
//!   MD5 ring spreads them over the nodes anyway). Sampled by rejection-inversion (Hörmann and
//!   Derflinger 1996, as in Apache Commons RNG's `RejectionInversionZipfSampler`): O(1) memory
//!   and expected O(1) time for any `count` up to `u64::MAX`.
//! - `hotspot` (YCSB): a fraction `hot_probability` of accesses go uniformly to the first
//!   `hot_fraction` of the keys, the rest uniformly to the others.
//! - `latest` (YCSB): reads favour the keys this client wrote most recently: a Zipf rank over
//!   the last [`LATEST_WINDOW`] writes reported by [`KeyChooser::note_write`] (rank 1 = the most
//!   recent), uniform over all keys until the first write.

use crate::error::SpecError;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use sim_core::SimRng;

/// How many recent writes the `latest` popularity remembers per client.
pub const LATEST_WINDOW: usize = 1024;

/// Rejection rounds a Zipf draw may take before settling for its last candidate. Each round is
/// accepted with probability well above 1/2 for every exponent, so this is never reached in
/// practice (probability below 2^-64); it only guarantees termination on degenerate inputs.
const ZIPF_MAX_TRIES: usize = 64;

/// The keys a workload touches and how popular each is.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub struct KeysSpec {
    /// Number of distinct keys; operations touch key ids `0 .. count`. Required; >= 1 (up to
    /// 2^64 - 1: no popularity needs memory proportional to it).
    pub count: u64,
    /// How accesses spread over the keys. Default `"uniform"`.
    #[serde(default)]
    pub popularity: Popularity,
}

/// How accesses spread over the keys. JSON: `"uniform"`, `{"zipf": {"exponent": 0.99}}`,
/// `{"hotspot": {"hot_fraction": 0.2, "hot_probability": 0.8}}`, `{"latest": {"exponent": 1}}`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum Popularity {
    /// Every key equally likely.
    #[default]
    Uniform,
    /// Zipf: the key with rank `r` (key id `r - 1`) has probability proportional to `r^-exponent`.
    Zipf {
        /// The skew `s` (dimensionless); 0.99 is YCSB's default, larger is more skewed. Required;
        /// finite and > 0 (1 is fine).
        exponent: f64,
    },
    /// YCSB hotspot: the first `hot_fraction` of the key ids form the hot set.
    Hotspot {
        /// Fraction of the keys that are hot (dimensionless): the hot set is the first
        /// `ceil(hot_fraction * count)` key ids. Required; in (0, 1].
        hot_fraction: f64,
        /// Probability that an access goes to the hot set (dimensionless); the rest go to the
        /// other keys, each set uniformly. Required; in [0, 1].
        hot_probability: f64,
    },
    /// YCSB latest: skewed toward the keys this client wrote most recently (Zipf over the last
    /// 1024 writes, most recent = rank 1); uniform over all keys before the first write.
    Latest {
        /// The skew `s` of the Zipf over recency ranks (dimensionless). Required; finite and > 0.
        exponent: f64,
    },
}

impl Popularity {
    /// The variant's snake_case name, as in JSON and error paths.
    pub fn name(&self) -> &'static str {
        match self {
            Popularity::Uniform => "uniform",
            Popularity::Zipf { .. } => "zipf",
            Popularity::Hotspot { .. } => "hotspot",
            Popularity::Latest { .. } => "latest",
        }
    }

    /// Checks the parameters. Paths are relative to the popularity (e.g. `zipf.exponent`).
    pub fn validate(&self) -> Result<(), SpecError> {
        match *self {
            Popularity::Uniform => Ok(()),
            Popularity::Zipf { exponent } => check_exponent("zipf", exponent),
            Popularity::Latest { exponent } => check_exponent("latest", exponent),
            Popularity::Hotspot { hot_fraction, hot_probability } => check_hotspot(hot_fraction, hot_probability),
        }
    }
}

fn check_exponent(variant: &str, s: f64) -> Result<(), SpecError> {
    if s.is_finite() && s > 0.0 {
        return Ok(());
    }
    Err(SpecError::new(
        format!("{variant}.exponent"),
        format!("exponent must be a finite number > 0, got {s}"),
        "use a skew such as 0.99 (YCSB's default); for no skew use \"uniform\" instead",
    ))
}

fn check_hotspot(hot_fraction: f64, hot_probability: f64) -> Result<(), SpecError> {
    if !(hot_fraction > 0.0 && hot_fraction <= 1.0) {
        return Err(SpecError::new(
            "hotspot.hot_fraction",
            format!("hot_fraction must be in (0, 1], got {hot_fraction}"),
            "give the hot share of the keys as a fraction, e.g. 0.2 for the first 20% of the keys",
        ));
    }
    if !(0.0..=1.0).contains(&hot_probability) {
        return Err(SpecError::new(
            "hotspot.hot_probability",
            format!("hot_probability must be in [0, 1], got {hot_probability}"),
            "give the share of accesses that go to the hot keys as a probability, e.g. 0.8",
        ));
    }
    Ok(())
}

impl KeysSpec {
    /// Checks `count` and the popularity. Paths are relative to the spec (e.g. `count`,
    /// `popularity.zipf.exponent`).
    pub fn validate(&self) -> Result<(), SpecError> {
        if self.count == 0 {
            return Err(SpecError::new(
                "count",
                "count must be at least 1: there must be a key to operate on",
                "set count to the number of distinct keys, e.g. 1000",
            ));
        }
        self.popularity.validate().map_err(|e| e.under("popularity"))
    }
}

/// Zipf ranks `1..=n` by rejection-inversion: O(1) memory, expected O(1) time.
///
/// `h(x) = x^-s` is the (unnormalised) density of a continuous envelope and `H` its integral;
/// a uniform `u` between `H(1.5) - 1` and `H(n + 0.5)` maps through `H^-1` to a real `x`, rounded
/// to the rank `k`, which is accepted if `u` falls under the part of the envelope that belongs to
/// `k` (exactly probability `k^-s`).
#[derive(Clone, Debug, PartialEq)]
pub struct Zipf {
    n: f64,
    s: f64,
    h_x1: f64,
    h_n: f64,
    threshold: f64,
}

impl Zipf {
    /// Ranks `1..=n` with exponent `s`. `n` is clamped to at least 1 and `s` should be finite
    /// and > 0 ([`Popularity::validate`] checks); other values give some rank in range, never
    /// a panic.
    pub fn new(n: u64, s: f64) -> Zipf {
        let n = n.max(1) as f64;
        let h_x1 = h_integral(1.5, s) - 1.0;
        let h_n = h_integral(n + 0.5, s);
        let threshold = 2.0 - h_integral_inverse(h_integral(2.5, s) - h(2.0, s), s);
        Zipf { n, s, h_x1, h_n, threshold }
    }

    /// The number of ranks.
    pub fn len(&self) -> u64 {
        self.n as u64
    }

    /// Always false: there is at least one rank.
    pub fn is_empty(&self) -> bool {
        false
    }

    /// One rank in `1..=n`. One `u01` draw per rejection round (usually one round).
    pub fn sample(&self, rng: &mut SimRng) -> u64 {
        let mut k = 1.0;
        for _ in 0..ZIPF_MAX_TRIES {
            // u01 is in [0, 1), so u is in (h_x1, h_n].
            let u = self.h_n + rng.u01() * (self.h_x1 - self.h_n);
            let x = h_integral_inverse(u, self.s);
            // NaN (degenerate inputs only) fails both comparisons and becomes rank 1.
            k = (x + 0.5).floor().clamp(1.0, self.n);
            if k.is_nan() {
                k = 1.0;
            }
            if k - x <= self.threshold || u >= h_integral(k + 0.5, self.s) - h(k, self.s) {
                break;
            }
        }
        (k as u64).clamp(1, self.n as u64)
    }
}

/// `h(x) = x^-s`.
fn h(x: f64, s: f64) -> f64 {
    (-s * x.ln()).exp()
}

/// `H(x) = (x^(1-s) - 1) / (1 - s)`, and `ln x` at `s = 1`, computed stably near `s = 1`.
fn h_integral(x: f64, s: f64) -> f64 {
    let log_x = x.ln();
    expm1_over_x((1.0 - s) * log_x) * log_x
}

/// The inverse of [`h_integral`].
fn h_integral_inverse(x: f64, s: f64) -> f64 {
    // (1 - s) * x >= -1 on the domain; clamp so rounding cannot push the logarithm's argument
    // below 0.
    let t = (x * (1.0 - s)).max(-1.0);
    (log1p_over_x(t) * x).exp()
}

/// `ln(1 + x) / x`, continuous at 0.
fn log1p_over_x(x: f64) -> f64 {
    if x.abs() > 1e-8 { x.ln_1p() / x } else { 1.0 - x * (0.5 - x * (1.0 / 3.0 - 0.25 * x)) }
}

/// `(e^x - 1) / x`, continuous at 0.
fn expm1_over_x(x: f64) -> f64 {
    if x.abs() > 1e-8 { x.exp_m1() / x } else { 1.0 + x * 0.5 * (1.0 + x / 3.0 * (1.0 + 0.25 * x)) }
}

/// The last writes of one client, most recent last, at most [`LATEST_WINDOW`] of them.
#[derive(Clone, Debug, PartialEq)]
struct Recent {
    keys: Vec<u64>,
    /// Where the next write goes once the window is full (the oldest entry).
    next: usize,
    /// Zipf over `1..=keys.len()`, rebuilt when the length changes (only while filling).
    zipf: Zipf,
    s: f64,
}

impl Recent {
    fn new(s: f64) -> Recent {
        Recent { keys: Vec::new(), next: 0, zipf: Zipf::new(1, s), s }
    }

    fn push(&mut self, key: u64) {
        if self.keys.len() < LATEST_WINDOW {
            self.keys.push(key);
            self.zipf = Zipf::new(self.keys.len() as u64, self.s);
        } else {
            self.keys[self.next] = key;
            self.next = (self.next + 1) % LATEST_WINDOW;
        }
    }

    /// The key written `rank - 1` writes ago (`rank` in `1..=len`).
    fn by_recency(&self, rank: u64) -> u64 {
        let len = self.keys.len();
        let newest = if len < LATEST_WINDOW { len - 1 } else { (self.next + len - 1) % len };
        let back = (rank as usize - 1).min(len - 1);
        self.keys[(newest + len - back) % len]
    }
}

/// The compiled popularity.
#[derive(Clone, Debug, PartialEq)]
enum Chooser {
    Uniform,
    Zipf(Zipf),
    Hotspot { hot: u64, p: f64 },
    Latest(Recent),
}

/// Draws key ids in `[0, count)` from a validated [`KeysSpec`]. One per client: `latest` keeps
/// that client's own recent writes.
#[derive(Clone, Debug, PartialEq)]
pub struct KeyChooser {
    count: u64,
    how: Chooser,
}

impl KeyChooser {
    /// Validates `spec` and prepares the chooser. O(1) memory for every popularity except
    /// `latest`, which grows to [`LATEST_WINDOW`] keys.
    pub fn new(spec: &KeysSpec) -> Result<KeyChooser, SpecError> {
        spec.validate()?;
        let count = spec.count;
        let how = match spec.popularity {
            Popularity::Uniform => Chooser::Uniform,
            Popularity::Zipf { exponent } => Chooser::Zipf(Zipf::new(count, exponent)),
            Popularity::Hotspot { hot_fraction, hot_probability } => {
                Chooser::Hotspot { hot: hot_count(count, hot_fraction), p: hot_probability }
            }
            Popularity::Latest { exponent } => Chooser::Latest(Recent::new(exponent)),
        };
        Ok(KeyChooser { count, how })
    }

    /// The number of keys.
    pub fn count(&self) -> u64 {
        self.count
    }

    /// The next key id, in `[0, count)`.
    ///
    /// Draws: `uniform` one `below`; `zipf` one `u01` per rejection round (usually one);
    /// `hotspot` one `u01` (none when `hot_probability` is 0 or 1) then one `below`; `latest` like
    /// `zipf` once something was written, like `uniform` before.
    pub fn next(&mut self, rng: &mut SimRng) -> u64 {
        let key = match &self.how {
            Chooser::Uniform => rng.below(self.count),
            Chooser::Zipf(z) => z.sample(rng) - 1,
            Chooser::Hotspot { hot, p } => hotspot(self.count, *hot, *p, rng),
            Chooser::Latest(r) if r.keys.is_empty() => rng.below(self.count),
            Chooser::Latest(r) => r.by_recency(r.zipf.sample(rng)),
        };
        key.min(self.count - 1)
    }

    /// Tells the chooser this client wrote `key`; only `latest` uses it. Keys outside
    /// `[0, count)` are ignored, so [`KeyChooser::next`] stays in range.
    pub fn note_write(&mut self, key: u64) {
        if let Chooser::Latest(r) = &mut self.how
            && key < self.count
        {
            r.push(key);
        }
    }
}

/// `ceil(fraction * count)`, within `[1, count]`.
fn hot_count(count: u64, fraction: f64) -> u64 {
    ((fraction * count as f64).ceil() as u64).clamp(1, count)
}

fn hotspot(count: u64, hot: u64, p: f64, rng: &mut SimRng) -> u64 {
    let cold = count - hot;
    if cold == 0 || rng.chance(p) { rng.below(hot) } else { hot + rng.below(cold) }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn chooser(count: u64, popularity: Popularity) -> KeyChooser {
        KeyChooser::new(&KeysSpec { count, popularity }).unwrap()
    }

    /// `H(n, s) = sum_{k=1}^{n} k^-s`: exact up to 10^6 terms, Euler–Maclaurin for the tail
    /// (error of order M^(-s-3) with M = 10^6, far below what the tests resolve).
    fn harmonic(n: u64, s: f64) -> f64 {
        let m = n.min(1_000_000);
        let head: f64 = (1..=m).map(|k| (k as f64).powf(-s)).sum();
        if n == m {
            return head;
        }
        let (a, b) = (m as f64, n as f64);
        let integral =
            if (s - 1.0).abs() < 1e-12 { (b / a).ln() } else { (b.powf(1.0 - s) - a.powf(1.0 - s)) / (1.0 - s) };
        head + integral + (b.powf(-s) - a.powf(-s)) / 2.0 + s / 12.0 * (a.powf(-s - 1.0) - b.powf(-s - 1.0))
    }

    /// |observed - expected| within 5 binomial standard deviations: with fixed seeds the tests
    /// are deterministic, and 5 sigma means a correct sampler fails a check with probability
    /// below 1e-6 when the seed is changed.
    fn assert_share(hits: u64, n: u64, p: f64, what: &str) {
        let sd = (n as f64 * p * (1.0 - p)).sqrt();
        let dev = (hits as f64 - n as f64 * p).abs();
        assert!(dev <= 5.0 * sd.max(1.0), "{what}: {hits} of {n}, expected {}", n as f64 * p);
    }

    #[test]
    fn keys_zipf_matches_the_pmf_for_small_n() {
        for s in [0.5, 0.99, 1.0, 1.5] {
            let n_keys = 1000u64;
            let mut c = chooser(n_keys, Popularity::Zipf { exponent: s });
            let mut rng = SimRng::stream(11, "zipf");
            let draws = 400_000u64;
            let mut hist = vec![0u64; n_keys as usize];
            for _ in 0..draws {
                hist[c.next(&mut rng) as usize] += 1;
            }
            let h = harmonic(n_keys, s);
            for r in 1..=10u64 {
                let p = (r as f64).powf(-s) / h;
                assert_share(hist[r as usize - 1], draws, p, &format!("s={s} rank {r}"));
            }
            // Chi-square over all 1000 ranks: 999 degrees of freedom, mean 999 and standard
            // deviation sqrt(2 * 999) ~ 44.7; 5 sigma above the mean is ~1223.
            let chi2: f64 = (1..=n_keys)
                .map(|r| {
                    let e = draws as f64 * (r as f64).powf(-s) / h;
                    (hist[r as usize - 1] as f64 - e).powi(2) / e
                })
                .sum();
            assert!(chi2 < 999.0 + 5.0 * (2.0f64 * 999.0).sqrt(), "s={s}: chi2 {chi2}");
        }
    }

    #[test]
    fn keys_zipf_works_for_a_billion_keys() {
        let n_keys = 1_000_000_000u64;
        for s in [0.99, 1.0, 1.2] {
            let mut c = chooser(n_keys, Popularity::Zipf { exponent: s });
            let mut rng = SimRng::stream(12, "zipf-big");
            let draws = 300_000u64;
            let (mut first, mut second, mut beyond_million) = (0u64, 0u64, 0u64);
            for _ in 0..draws {
                let k = c.next(&mut rng);
                assert!(k < n_keys);
                first += u64::from(k == 0);
                second += u64::from(k == 1);
                beyond_million += u64::from(k >= 1_000_000);
            }
            let h = harmonic(n_keys, s);
            assert_share(first, draws, 1.0 / h, &format!("s={s} rank 1"));
            assert_share(second, draws, 2f64.powf(-s) / h, &format!("s={s} rank 2"));
            let tail = 1.0 - harmonic(1_000_000, s) / h;
            assert_share(beyond_million, draws, tail, &format!("s={s} ranks > 1e6"));
        }
    }

    #[test]
    fn keys_zipf_extremes_stay_in_range() {
        let mut rng = SimRng::stream(13, "zipf-x");
        for &n in &[1u64, 2, 3, u64::MAX] {
            for &s in &[1e-300, 1e-9, 0.999_999_999, 1.0, 1.000_000_001, 50.0, 1e6, f64::MAX] {
                let mut c = chooser(n, Popularity::Zipf { exponent: s });
                for _ in 0..200 {
                    assert!(c.next(&mut rng) < n, "n={n} s={s}");
                }
            }
        }
        // A huge exponent puts (nearly) everything on rank 1.
        let mut c = chooser(1000, Popularity::Zipf { exponent: 60.0 });
        assert!((0..1000).all(|_| c.next(&mut rng) == 0));
    }

    #[test]
    fn keys_uniform_passes_chi_square() {
        let n_keys = 100u64;
        let mut c = chooser(n_keys, Popularity::Uniform);
        let mut rng = SimRng::stream(14, "uniform");
        let draws = 100_000u64;
        let mut hist = vec![0u64; n_keys as usize];
        for _ in 0..draws {
            hist[c.next(&mut rng) as usize] += 1;
        }
        let e = draws as f64 / n_keys as f64;
        let chi2: f64 = hist.iter().map(|&o| (o as f64 - e).powi(2) / e).sum();
        // 99 degrees of freedom: mean 99, standard deviation sqrt(198) ~ 14; allow 5 sigma.
        assert!(chi2 < 99.0 + 5.0 * 198f64.sqrt(), "chi2 {chi2}");
    }

    #[test]
    fn keys_hotspot_shares() {
        let mut rng = SimRng::stream(15, "hot");
        let draws = 100_000u64;
        let mut c = chooser(1000, Popularity::Hotspot { hot_fraction: 0.2, hot_probability: 0.8 });
        let mut hot = 0u64;
        let mut top_half_of_hot = 0u64;
        for _ in 0..draws {
            let k = c.next(&mut rng);
            assert!(k < 1000);
            hot += u64::from(k < 200);
            top_half_of_hot += u64::from(k < 100);
        }
        assert_share(hot, draws, 0.8, "hot share");
        assert_share(top_half_of_hot, draws, 0.4, "uniform inside the hot set");
        let mut all_hot = chooser(10, Popularity::Hotspot { hot_fraction: 1.0, hot_probability: 0.0 });
        assert!((0..1000).all(|_| all_hot.next(&mut rng) < 10));
        let mut cold = chooser(10, Popularity::Hotspot { hot_fraction: 0.01, hot_probability: 0.0 });
        assert!((0..1000).all(|_| (1..10).contains(&cold.next(&mut rng))), "hot set is key 0");
    }

    #[test]
    fn keys_latest_prefers_recent_writes() {
        let mut rng = SimRng::stream(16, "latest");
        let mut c = chooser(10_000, Popularity::Latest { exponent: 1.0 });
        // Before any write: uniform over all keys.
        let spread = (0..2000).map(|_| c.next(&mut rng)).filter(|&k| k >= 5000).count();
        assert!((800..1200).contains(&spread), "{spread}");
        for k in 500..600 {
            c.note_write(k);
        }
        c.note_write(10_000); // out of range: ignored
        let draws = 100_000u64;
        let mut hist = [0u64; 100];
        for _ in 0..draws {
            let k = c.next(&mut rng);
            assert!((500..600).contains(&k), "picked unwritten key {k}");
            hist[(k - 500) as usize] += 1;
        }
        let h = harmonic(100, 1.0);
        assert_share(hist[99], draws, 1.0 / h, "most recent write");
        assert_share(hist[98], draws, 0.5 / h, "second most recent write");
        assert!(hist[99] > 10 * hist[0], "newest {} vs oldest {}", hist[99], hist[0]);
    }

    #[test]
    fn keys_latest_window_is_bounded_and_wraps() {
        let mut rng = SimRng::stream(17, "latest-wrap");
        let mut c = chooser(1_000_000, Popularity::Latest { exponent: 1.0 });
        for k in 0..(3 * LATEST_WINDOW as u64 + 7) {
            c.note_write(k);
        }
        if let Chooser::Latest(r) = &c.how {
            assert_eq!(r.keys.len(), LATEST_WINDOW);
            assert_eq!(r.by_recency(1), 3 * LATEST_WINDOW as u64 + 6);
            assert_eq!(r.by_recency(LATEST_WINDOW as u64), 2 * LATEST_WINDOW as u64 + 7);
        }
        let oldest = 2 * LATEST_WINDOW as u64 + 7;
        for _ in 0..10_000 {
            let k = c.next(&mut rng);
            assert!((oldest..oldest + LATEST_WINDOW as u64).contains(&k));
        }
    }

    #[test]
    fn keys_same_seed_same_keys() {
        let spec = KeysSpec { count: 1 << 40, popularity: Popularity::Zipf { exponent: 0.99 } };
        let run = || {
            let mut c = KeyChooser::new(&spec).unwrap();
            let mut rng = SimRng::stream(18, "det");
            (0..1000).map(|_| c.next(&mut rng)).collect::<Vec<_>>()
        };
        assert_eq!(run(), run());
    }

    #[test]
    fn keys_bad_specs_name_the_field_and_a_fix() {
        let cases = [
            (KeysSpec { count: 0, popularity: Popularity::Uniform }, "count"),
            (KeysSpec { count: 5, popularity: Popularity::Zipf { exponent: 0.0 } }, "popularity.zipf.exponent"),
            (KeysSpec { count: 5, popularity: Popularity::Zipf { exponent: f64::NAN } }, "popularity.zipf.exponent"),
            (
                KeysSpec { count: 5, popularity: Popularity::Latest { exponent: f64::INFINITY } },
                "popularity.latest.exponent",
            ),
            (
                KeysSpec { count: 5, popularity: Popularity::Hotspot { hot_fraction: 0.0, hot_probability: 0.5 } },
                "popularity.hotspot.hot_fraction",
            ),
            (
                KeysSpec { count: 5, popularity: Popularity::Hotspot { hot_fraction: 0.5, hot_probability: 1.5 } },
                "popularity.hotspot.hot_probability",
            ),
            (
                KeysSpec { count: 5, popularity: Popularity::Hotspot { hot_fraction: f64::NAN, hot_probability: 0.5 } },
                "popularity.hotspot.hot_fraction",
            ),
        ];
        for (spec, path) in cases {
            let e = KeyChooser::new(&spec).unwrap_err();
            assert_eq!(e.path, path);
            assert!(!e.message.is_empty() && !e.fix.is_empty());
        }
    }

    #[test]
    fn keys_serde_forms_and_schema() {
        let k: KeysSpec = serde_json::from_str(r#"{"count": 10}"#).unwrap();
        assert_eq!(k.popularity, Popularity::Uniform);
        let k: KeysSpec = serde_json::from_str(r#"{"count": 10, "popularity": {"zipf": {"exponent": 0.99}}}"#).unwrap();
        assert_eq!(k.popularity, Popularity::Zipf { exponent: 0.99 });
        let k: KeysSpec = serde_json::from_str(r#"{"count": 10, "popularity": "uniform"}"#).unwrap();
        assert_eq!(k.popularity, Popularity::Uniform);
        for bad in [
            r#"{"count": 10, "extra": 1}"#,
            r#"{"count": 10, "popularity": {"zipf": {"exponent": 1, "theta": 2}}}"#,
            r#"{"count": -1}"#,
            r#"{"count": 10, "popularity": "pareto"}"#,
        ] {
            assert!(serde_json::from_str::<KeysSpec>(bad).is_err(), "accepted {bad}");
        }
        let spec = KeysSpec { count: 7, popularity: Popularity::Hotspot { hot_fraction: 0.5, hot_probability: 0.25 } };
        let back: KeysSpec = serde_json::from_str(&serde_json::to_string(&spec).unwrap()).unwrap();
        assert_eq!(back, spec);
        let schema = serde_json::to_string(&schemars::schema_for!(KeysSpec)).unwrap();
        assert!(schema.contains("YCSB") && schema.contains("additionalProperties"));
    }

    fn any_number() -> impl Strategy<Value = f64> {
        prop_oneof![
            8 => 0.0..3.0f64,
            1 => Just(f64::NAN),
            1 => Just(f64::INFINITY),
            1 => Just(-1.0),
            1 => Just(0.0),
            1 => Just(1.0),
            1 => Just(f64::MAX),
            1 => Just(1e-320),
            1 => any::<f64>(),
        ]
    }

    fn any_popularity() -> impl Strategy<Value = Popularity> {
        prop_oneof![
            Just(Popularity::Uniform),
            any_number().prop_map(|exponent| Popularity::Zipf { exponent }),
            any_number().prop_map(|exponent| Popularity::Latest { exponent }),
            (any_number(), any_number())
                .prop_map(|(hot_fraction, hot_probability)| Popularity::Hotspot { hot_fraction, hot_probability }),
        ]
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(512))]
        #[test]
        fn keys_fuzz_never_panics_and_stays_in_range(
            count in prop_oneof![Just(0u64), Just(1), 1..100u64, any::<u64>()],
            popularity in any_popularity(),
            writes in prop::collection::vec(any::<u64>(), 0..20),
            seed in any::<u64>(),
        ) {
            let spec = KeysSpec { count, popularity };
            let Ok(mut c) = KeyChooser::new(&spec) else { return Ok(()) };
            let mut rng = SimRng::stream(seed, "fuzz");
            for w in writes {
                c.note_write(w % count.saturating_add(1));
                let k = c.next(&mut rng);
                prop_assert!(k < count, "{k} out of range for {spec:?}");
            }
        }
    }
}
