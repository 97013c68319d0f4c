//! Binomial confidence intervals: the Wilson score interval, for a share of successes (a
//! success ratio per window, P(consistent) at a time since commit).

/// The Wilson score interval of `successes` out of `n` at normal quantile `z` (1.96 for 95%);
/// `(0, 1)` when `n` is 0. Unlike the normal approximation it stays inside [0, 1] and is honest
/// for small `n` and shares near 0 or 1.
pub fn wilson(successes: u64, n: u64, z: f64) -> (f64, f64) {
    if n == 0 {
        return (0.0, 1.0);
    }
    let (n, p) = (n as f64, successes as f64 / n as f64);
    let z2 = z * z;
    let denom = 1.0 + z2 / n;
    let centre = (p + z2 / (2.0 * n)) / denom;
    let half = z / denom * (p * (1.0 - p) / n + z2 / (4.0 * n * n)).sqrt();
    ((centre - half).max(0.0), (centre + half).min(1.0))
}

/// The normal quantile of a two-sided 95% interval.
pub const Z95: f64 = 1.959_963_984_540_054;
