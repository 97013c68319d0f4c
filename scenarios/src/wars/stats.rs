//! The statistics of the comparison: the χ² distribution's upper tail (through the regularized
//! incomplete gamma function), a χ² test of binomial counts against predicted probabilities,
//! RMSE and normalised RMSE.
//!
//! The χ² test. Grid point i has n_i probe reads, O_i of them consistent; the prediction is
//! p_i from M trials. Under the model O_i is binomial(n_i, p_i), and p_i itself carries Monte
//! Carlo noise of variance p_i(1−p_i)/M, so O_i − n_i·p_i has variance
//! n_i·p_i(1−p_i)·(1 + n_i/M). Points are pooled in order of t into cells until a cell expects
//! at least 5 consistent and 5 stale reads (Σ n_i·p_i ≥ 5 and Σ n_i·(1−p_i) ≥ 5); a last
//! cell short of that joins the one before it. The statistic is Σ over cells of
//! (Σ O_i − Σ n_i·p_i)² / Σ variance_i, with one degree of freedom per cell (no parameter is
//! fitted to the data), and the p-value is P(χ²_df ≥ statistic). In the variance a p_i of
//! exactly 0 or 1 is taken as 0.5/M from the edge, what M trials cannot tell from it. Treating
//! the points' Monte Carlo errors as independent (they share trials) is an approximation that
//! is small while n_i ≪ M.

/// Expected counts a cell needs, of each outcome.
pub const MIN_EXPECTED: f64 = 5.0;

/// ln Γ(x) for x > 0 (Lanczos, g = 7, 9 terms; relative error below 1e-13).
pub fn ln_gamma(x: f64) -> f64 {
    const G: f64 = 7.0;
    const C: [f64; 9] = [
        0.999_999_999_999_809_9,
        676.520_368_121_885_1,
        -1_259.139_216_722_402_8,
        771.323_428_777_653_1,
        -176.615_029_162_140_6,
        12.507_343_278_686_905,
        -0.138_571_095_265_720_12,
        9.984_369_578_019_572e-6,
        1.505_632_735_149_311_6e-7,
    ];
    if x < 0.5 {
        // Reflection: Γ(x)Γ(1−x) = π / sin(πx).
        return (std::f64::consts::PI / (std::f64::consts::PI * x).sin()).ln() - ln_gamma(1.0 - x);
    }
    let x = x - 1.0;
    let t = x + G + 0.5;
    let sum = C[1..].iter().enumerate().fold(C[0], |acc, (i, c)| acc + c / (x + i as f64 + 1.0));
    0.5 * (2.0 * std::f64::consts::PI).ln() + (x + 0.5) * t.ln() - t + sum.ln()
}

/// The regularized upper incomplete gamma function Q(a, x) = Γ(a, x)/Γ(a), a > 0, x ≥ 0: a
/// series for x < a + 1, else Lentz's continued fraction (Numerical Recipes §6.2), each to
/// 1e-15 relative or 1000 terms.
pub fn gamma_q(a: f64, x: f64) -> f64 {
    debug_assert!(a > 0.0 && x >= 0.0);
    if x == 0.0 {
        return 1.0;
    }
    let log_front = a * x.ln() - x - ln_gamma(a);
    if x < a + 1.0 {
        let (mut term, mut sum, mut ap) = (1.0 / a, 1.0 / a, a);
        for _ in 0..1000 {
            ap += 1.0;
            term *= x / ap;
            sum += term;
            if term.abs() < sum.abs() * 1e-15 {
                break;
            }
        }
        (1.0 - sum * log_front.exp()).clamp(0.0, 1.0)
    } else {
        let tiny = 1e-300;
        let mut b = x + 1.0 - a;
        let (mut c, mut d) = (1.0 / tiny, 1.0 / b);
        let mut h = d;
        for i in 1..1000 {
            let an = -(i as f64) * (i as f64 - a);
            b += 2.0;
            d = an * d + b;
            d = if d.abs() < tiny { tiny } else { d };
            c = b + an / c;
            c = if c.abs() < tiny { tiny } else { c };
            d = 1.0 / d;
            let delta = d * c;
            h *= delta;
            if (delta - 1.0).abs() < 1e-15 {
                break;
            }
        }
        (log_front.exp() * h).clamp(0.0, 1.0)
    }
}

/// P(χ²_df ≥ x).
pub fn chi2_upper_tail(x: f64, df: u64) -> f64 {
    if df == 0 {
        return 1.0;
    }
    gamma_q(df as f64 / 2.0, x.max(0.0) / 2.0)
}

/// One grid point of the comparison: probe reads, consistent ones, predicted probability.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Observed {
    /// Probe reads.
    pub n: u64,
    /// Of those, consistent.
    pub consistent: u64,
    /// Predicted P(consistent).
    pub p: f64,
}

/// The χ² test: (statistic, degrees of freedom), or `None` when not one cell expects
/// [`MIN_EXPECTED`] reads of each outcome. `trials` is the prediction's trial count.
pub fn chi2(points: &[Observed], trials: u64) -> Option<(f64, u64)> {
    let m = trials.max(1) as f64;
    let edge = 0.5 / m;
    // Per cell: observed consistent, expected consistent, expected stale, variance.
    let mut cells: Vec<[f64; 4]> = Vec::new();
    let mut open = [0.0; 4];
    for o in points.iter().filter(|o| o.n > 0) {
        let n = o.n as f64;
        let pv = o.p.clamp(edge, 1.0 - edge);
        open[0] += o.consistent as f64;
        open[1] += n * o.p;
        open[2] += n * (1.0 - o.p);
        open[3] += n * pv * (1.0 - pv) * (1.0 + n / m);
        if open[1] >= MIN_EXPECTED && open[2] >= MIN_EXPECTED {
            cells.push(std::mem::take(&mut open));
        }
    }
    if open[3] > 0.0 {
        let last = cells.last_mut()?;
        (0..4).for_each(|i| last[i] += open[i]);
    }
    if cells.is_empty() {
        return None;
    }
    let statistic = cells.iter().map(|c| (c[0] - c[1]).powi(2) / c[3]).sum();
    Some((statistic, cells.len() as u64))
}

/// Root mean square of `a − b` over pairs; `None` when there are none.
pub fn rmse(pairs: impl Iterator<Item = (f64, f64)>) -> Option<f64> {
    let (n, sum) = pairs.fold((0u64, 0.0), |(n, s), (a, b)| (n + 1, s + (a - b).powi(2)));
    (n > 0).then(|| (sum / n as f64).sqrt())
}

/// [`rmse`] of `predicted` against `measured`, divided by the range of `measured`; `None`
/// when there are no pairs or the measured values are all equal.
pub fn nrmse(measured: &[f64], predicted: &[f64]) -> Option<f64> {
    let lo = measured.iter().copied().fold(f64::INFINITY, f64::min);
    let hi = measured.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    let e = rmse(measured.iter().copied().zip(predicted.iter().copied()))?;
    (hi > lo).then(|| e / (hi - lo))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ln_gamma_matches_factorials_and_sqrt_pi() {
        for (n, fact) in [(1.0, 1.0), (2.0, 1.0), (5.0, 24.0), (11.0, 3_628_800.0_f64)] {
            assert!((ln_gamma(n) - fact.ln()).abs() < 1e-12, "{n}");
        }
        assert!((ln_gamma(0.5) - std::f64::consts::PI.sqrt().ln()).abs() < 1e-12);
        assert!((ln_gamma(0.1) - 2.252_712_651_734_206).abs() < 1e-11);
    }

    #[test]
    fn chi2_tail_matches_published_critical_values() {
        // 95th percentiles of χ² (Abramowitz & Stegun Table 26.8): p = 0.05.
        for (x, df) in [(3.841_459, 1), (5.991_465, 2), (18.307_04, 10), (124.342_1, 100)] {
            let p = chi2_upper_tail(x, df);
            assert!((p - 0.05).abs() < 1e-5, "df {df}: {p}");
        }
        // 99.9th: df 1 at 10.828, df 30 at 59.703.
        assert!((chi2_upper_tail(10.827_57, 1) - 0.001).abs() < 1e-6);
        assert!((chi2_upper_tail(59.702_8, 30) - 0.001).abs() < 1e-6);
        // df 2 has the closed form e^(−x/2); both branches of gamma_q.
        for x in [0.5, 2.0, 3.5, 40.0] {
            assert!((chi2_upper_tail(x, 2) - (-x / 2.0_f64).exp()).abs() < 1e-13, "{x}");
        }
        assert_eq!(chi2_upper_tail(0.0, 5), 1.0);
        assert!(chi2_upper_tail(1e4, 3) < 1e-300);
    }

    #[test]
    fn counts_that_follow_the_prediction_pass_and_others_fail() {
        let pts = |shift: f64| -> Vec<Observed> {
            (0..20)
                .map(|i| {
                    let p = 0.5 + 0.02 * f64::from(i);
                    let n = 1000;
                    let consistent = ((p + shift).min(1.0) * n as f64).round() as u64;
                    Observed { n, consistent, p }
                })
                .collect()
        };
        let (stat, df) = chi2(&pts(0.0), 1_000_000).unwrap();
        assert!(df == 20 && stat < 1.0, "{stat} {df}");
        let (stat, df) = chi2(&pts(0.05), 1_000_000).unwrap();
        assert!(chi2_upper_tail(stat, df) < 1e-6, "{stat} {df}");
    }

    #[test]
    fn sparse_points_pool_until_each_outcome_is_expected_five_times() {
        // p = 0.99 with 100 reads a point: 1 stale expected per point, so 5 points a cell.
        let pts: Vec<Observed> = (0..12).map(|_| Observed { n: 100, consistent: 99, p: 0.99 }).collect();
        let (stat, df) = chi2(&pts, 1_000_000).unwrap();
        assert_eq!(df, 2, "two cells of 5, the last 2 points join the second");
        assert!(stat < 1e-9);
        assert_eq!(chi2(&pts[..3], 1_000_000), None, "not one full cell");
        assert_eq!(chi2(&[], 10), None);
    }

    #[test]
    fn rmse_and_nrmse() {
        assert_eq!(rmse([(1.0, 1.0), (3.0, 1.0)].into_iter()), Some(2.0_f64.sqrt()));
        assert_eq!(rmse(std::iter::empty()), None);
        assert_eq!(nrmse(&[1.0, 3.0], &[1.0, 1.0]), Some(2.0_f64.sqrt() / 2.0));
        assert_eq!(nrmse(&[2.0, 2.0], &[1.0, 1.0]), None);
    }
}
