//! Q equal-size partitions of the ring (strategies 2 and 3 of §6.2): boundaries and lookup.
//!
//! Boundary `i` is `b(i) = floor(i · 2^128 / Q)` for `i` in `0..Q`, and `b(Q) = 2^128 ≡ 0`.
//! Partition `p` is the arc `(b(p), b(p+1)]`, so partition `Q-1` ends at position `0`.
//! Every partition holds `floor(2^128 / Q)` or one more positions.

use super::hash::RingPos;
use super::range::KeyRange;

/// The fixed grid of `Q` equal partitions; pure arithmetic, no table.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PartitionGrid {
    count: u32,
    /// `2^128 = count · step + rem`, with `rem < count`.
    step: u128,
    rem: u128,
}

impl PartitionGrid {
    /// The grid of `count` partitions. `count` must be at least 1 (the ring validates it).
    pub fn new(count: u32) -> Self {
        assert!(count >= 1, "a partition grid needs at least one partition");
        let q = count as u128;
        // u128::MAX = 2^128 - 1 = q·a + r1, so 2^128 = q·a + (r1 + 1).
        let (a, r1) = (u128::MAX / q, u128::MAX % q);
        let (step, rem) = match q {
            // 2^128 itself does not fit; with one partition only b(0) = 0 is ever computed.
            1 => (0, 0),
            _ if r1 + 1 == q => (a + 1, 0),
            _ => (a, r1 + 1),
        };
        PartitionGrid { count, step, rem }
    }

    /// The number of partitions, Q.
    pub const fn count(&self) -> u32 {
        self.count
    }

    /// Boundary `b(i)` for `i < Q`; `i == Q` wraps to 0.
    fn boundary(&self, i: u32) -> RingPos {
        if i >= self.count {
            return 0;
        }
        let i = i as u128;
        // i·step < 2^128 because i < Q; i·rem < 2^64 because both are below 2^32.
        i * self.step + i * self.rem / self.count as u128
    }

    /// The last position of partition `p`, where its replicas are looked up (§6.2).
    pub fn end(&self, p: u32) -> RingPos {
        debug_assert!(p < self.count);
        self.boundary(p + 1)
    }

    /// The arc `(b(p), b(p+1)]` of partition `p`.
    pub fn range(&self, p: u32) -> KeyRange {
        debug_assert!(p < self.count);
        KeyRange::new(self.boundary(p), self.end(p))
    }

    /// The partition holding `pos`: the largest `p` with `b(p) < pos`, or `Q-1` for `pos == 0`.
    pub fn partition_of(&self, pos: RingPos) -> u32 {
        if pos == 0 {
            return self.count - 1;
        }
        // With x = pos·Q/2^128 the answer is ceil(x) - 1. The estimate e = floor(hi·Q/2^64),
        // hi the top 64 bits of pos, satisfies floor(x) - 1 <= e <= floor(x) <= Q - 1, so the
        // answer is e - 1, e or e + 1 and each loop below runs at most twice.
        let mut p = (((pos >> 64) * self.count as u128) >> 64) as u32;
        while p + 1 < self.count && self.boundary(p + 1) < pos {
            p += 1;
        }
        // b(0) = 0 < pos, so this stops at 0 at the latest.
        while self.boundary(p) >= pos {
            p -= 1;
        }
        debug_assert!(self.range(p).contains(pos));
        p
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn partitions_tile_the_ring_with_equal_sizes() {
        for q in [1u32, 2, 3, 7, 64, 1000, 4096] {
            let g = PartitionGrid::new(q);
            let mut widths: Vec<Option<u128>> = (0..q).map(|p| g.range(p).width()).collect();
            if q == 1 {
                assert_eq!(widths, vec![None], "one partition is the whole ring");
                continue;
            }
            widths.sort();
            let (min, max) = (widths[0].unwrap(), widths[widths.len() - 1].unwrap());
            assert!(max - min <= 1, "q={q}: widths {min}..={max}");
            for p in 0..q {
                let end = g.range(p).end_inclusive;
                assert_eq!(end, g.range((p + 1) % q).start_exclusive);
                assert_eq!(g.partition_of(end), p, "q={q}: the end belongs to its partition");
                assert_eq!(g.partition_of(end.wrapping_add(1)), (p + 1) % q, "q={q}");
            }
        }
    }

    #[test]
    fn power_of_two_grid_is_exact() {
        let g = PartitionGrid::new(4);
        assert_eq!(g.end(0), 1u128 << 126);
        assert_eq!(g.end(3), 0);
        assert_eq!(g.partition_of(1u128 << 126), 0);
        assert_eq!(g.partition_of((1u128 << 126) + 1), 1);
        assert_eq!(g.partition_of(0), 3);
        assert_eq!(g.partition_of(1), 0);
        assert_eq!(g.partition_of(u128::MAX), 3);
    }

    proptest! {
        #[test]
        fn partition_of_agrees_with_ranges(q in prop_oneof![1u32..8, 8u32..5000], pos in any::<u128>()) {
            let g = PartitionGrid::new(q);
            let p = g.partition_of(pos);
            prop_assert!(p < q);
            prop_assert!(g.range(p).contains(pos));
            if q > 1 {
                prop_assert!(!g.range((p + 1) % q).contains(pos));
            }
        }
    }
}
