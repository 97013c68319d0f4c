//! PBS §3's closed forms for a static (probabilistic) quorum of W writes and R reads out of N,
//! chosen uniformly: a read misses a write with `p_stale = C(N−W,R)/C(N,R)`; it misses each of
//! the last k independently, so it returns one of them with 1 − p_stale^k; and since a static
//! write never spreads beyond its W, which all acknowledged before it committed, t-visibility
//! is 1 − p_stale at every t ≥ 0.

use reports::wars::ClosedForm;

/// C(n, k) as a float (exact for the small n of a replica set).
pub fn binomial(n: usize, k: usize) -> f64 {
    if k > n {
        return 0.0;
    }
    (0..k.min(n - k)).fold(1.0, |acc, i| acc * (n - i) as f64 / (i + 1) as f64)
}

/// `C(N−W,R)/C(N,R)`: the chance that R replicas chosen uniformly avoid W chosen uniformly.
pub fn p_stale(n: usize, r: usize, w: usize) -> f64 {
    binomial(n.saturating_sub(w), r) / binomial(n, r)
}

/// The closed forms for (N, R, W), k = 1..16.
pub fn static_quorum(n: usize, r: usize, w: usize) -> ClosedForm {
    let ps = p_stale(n, r, w);
    ClosedForm {
        p_stale: reports::metrics::round6(ps),
        p_within_k: (1..=16).map(|k| reports::metrics::round6(1.0 - ps.powi(k))).collect(),
        t_visibility: reports::metrics::round6(1.0 - ps),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pbs_examples() {
        // PBS §2: N=3, R=W=1 → 2/3; N=100, R=W=30 → 1.88e-6.
        assert!((p_stale(3, 1, 1) - 2.0 / 3.0).abs() < 1e-15);
        assert!((p_stale(100, 30, 30) / 1.88e-6 - 1.0).abs() < 0.01, "{}", p_stale(100, 30, 30));
        assert_eq!(p_stale(3, 2, 2), 0.0, "R+W>N always intersects");
        assert_eq!(binomial(5, 2), 10.0);
        let c = static_quorum(3, 1, 2);
        assert_eq!((c.p_stale, c.t_visibility), (0.333333, 0.666667));
        assert_eq!(c.p_within_k[1], reports::metrics::round6(1.0 - 1.0 / 9.0));
        assert_eq!(c.p_within_k.len(), 16);
    }
}
