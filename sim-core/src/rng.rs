//! Seeded randomness: one ChaCha8 stream per consumer, derived from `(seed, label)`.
//!
//! A run has exactly one `u64` seed. Every consumer (the workload, the network, each disk, each
//! process, the fault generators) draws from its own stream, keyed by the seed and numbered by a
//! 64-bit hash of the consumer's label. Adding a consumer therefore never shifts another's draws.
//!
//! The draw primitives are fixed by the quorum-core benchmark spec (canonical mode):
//! `u01 = (next_u64 >> 11) * 2^-53`, `exp(mean) = -ln(1 - u01) * mean`,
//! `below(n) = (next_u64 * n) >> 64`. A test pins the first values of a named stream so that a
//! dependency upgrade that changes the output fails loudly.

use rand_chacha::ChaCha8Rng;
use rand_chacha::rand_core::{Rng, SeedableRng};

/// A deterministic random stream (ChaCha8) with the sampling helpers the simulator uses.
#[derive(Clone, Debug)]
pub struct SimRng {
    inner: ChaCha8Rng,
}

/// The stream number of a label: 64-bit FNV-1a over its UTF-8 bytes.
///
/// Stable across platforms and versions; changing it changes every run's output.
pub const fn stream_id(label: &str) -> u64 {
    let bytes = label.as_bytes();
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    let mut i = 0;
    while i < bytes.len() {
        h ^= bytes[i] as u64;
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
        i += 1;
    }
    h
}

impl SimRng {
    /// The stream for consumer `label` in the run with this `seed`.
    pub fn stream(seed: u64, label: &str) -> Self {
        Self::with_stream_number(seed, stream_id(label))
    }

    /// The stream with an explicit stream number (the quorum-core canonical mode uses 0 and 1).
    pub fn with_stream_number(seed: u64, stream: u64) -> Self {
        let mut inner = ChaCha8Rng::seed_from_u64(seed);
        inner.set_stream(stream);
        SimRng { inner }
    }

    /// The next raw 64 bits.
    #[inline]
    pub fn next_u64(&mut self) -> u64 {
        self.inner.next_u64()
    }

    /// A uniform float in `[0, 1)` with 53 bits of precision.
    #[inline]
    pub fn u01(&mut self) -> f64 {
        (self.inner.next_u64() >> 11) as f64 * (1.0 / 9_007_199_254_740_992.0)
    }

    /// A uniform integer in `[0, n)`; returns 0 for `n == 0` without drawing.
    #[inline]
    pub fn below(&mut self, n: u64) -> u64 {
        if n == 0 {
            return 0;
        }
        ((self.inner.next_u64() as u128 * n as u128) >> 64) as u64
    }

    /// A uniform index into a slice of length `len` (`len` must be non-zero to be meaningful).
    #[inline]
    pub fn index(&mut self, len: usize) -> usize {
        self.below(len as u64) as usize
    }

    /// True with probability `p`. Draws nothing when `p <= 0` or `p >= 1`, so a fault that is
    /// switched off consumes no randomness.
    #[inline]
    pub fn chance(&mut self, p: f64) -> bool {
        if p <= 0.0 {
            false
        } else if p >= 1.0 {
            true
        } else {
            self.u01() < p
        }
    }

    /// An exponential sample with the given mean: `-ln(1 - u01) * mean`.
    #[inline]
    pub fn exp(&mut self, mean: f64) -> f64 {
        -(1.0 - self.u01()).ln() * mean
    }

    /// A standard normal sample (Box–Muller, one value per two uniforms).
    pub fn std_normal(&mut self) -> f64 {
        // 1 - u01 lies in (0, 1], so the logarithm is finite.
        let u1 = 1.0 - self.u01();
        let u2 = self.u01();
        (-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos()
    }

    /// Shuffles a slice in place (Fisher–Yates, from the back).
    pub fn shuffle<T>(&mut self, items: &mut [T]) {
        for i in (1..items.len()).rev() {
            let j = self.index(i + 1);
            items.swap(i, j);
        }
    }

    /// A uniformly chosen element, or `None` for an empty slice (no draw then).
    pub fn choose<'a, T>(&mut self, items: &'a [T]) -> Option<&'a T> {
        if items.is_empty() { None } else { Some(&items[self.index(items.len())]) }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Pins the first draws of one named stream. If a dependency upgrade changes ChaCha8,
    /// seed expansion or the stream derivation, every run's output changes: this test says so.
    #[test]
    fn named_stream_first_values_are_pinned() {
        let mut r = SimRng::stream(1, "net");
        let got: Vec<u64> = (0..4).map(|_| r.next_u64()).collect();
        assert_eq!(got, PINNED_NET_SEED1, "ChaCha8 stream output changed: runs no longer replay");
    }

    const PINNED_NET_SEED1: [u64; 4] =
        [18_320_951_900_853_440_672, 2_743_486_745_862_093_512, 15_107_987_209_571_461_915, 4_561_211_782_066_404_210];

    #[test]
    fn canonical_streams_match_the_benchmark_spec() {
        // quorum-core canonical mode: workload = stream 0, network = stream 1.
        let mut wk = SimRng::with_stream_number(1, 0);
        let mut direct = ChaCha8Rng::seed_from_u64(1);
        assert_eq!(wk.next_u64(), direct.next_u64());
    }

    #[test]
    fn labels_give_independent_streams() {
        let a: Vec<u64> = {
            let mut r = SimRng::stream(7, "node/0");
            (0..8).map(|_| r.next_u64()).collect()
        };
        let b: Vec<u64> = {
            let mut r = SimRng::stream(7, "node/1");
            (0..8).map(|_| r.next_u64()).collect()
        };
        assert_ne!(a, b);
        assert_ne!(stream_id("node/0"), stream_id("node/1"));
    }

    #[test]
    fn chance_draws_nothing_at_the_extremes() {
        let mut a = SimRng::stream(3, "x");
        let mut b = SimRng::stream(3, "x");
        assert!(!a.chance(0.0));
        assert!(a.chance(1.0));
        assert_eq!(a.next_u64(), b.next_u64());
    }

    #[test]
    fn below_stays_in_range() {
        let mut r = SimRng::stream(9, "below");
        for n in [1u64, 2, 3, 10, 1 << 40] {
            for _ in 0..1000 {
                assert!(r.below(n) < n);
            }
        }
        assert_eq!(r.below(0), 0);
    }
}
