//! Key ranges: half-open arcs of the ring, `(start, end]`, that may wrap past zero.

use super::hash::RingPos;

/// The arc of the ring after `start_exclusive` up to and including `end_inclusive`, clockwise.
///
/// When `start_exclusive >= end_inclusive` the arc wraps past `u128::MAX` to `0`. When the two
/// are equal the arc is the whole ring (a ring with a single token owns everything).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct KeyRange {
    /// The position just before the arc (a predecessor token or a partition boundary).
    pub start_exclusive: RingPos,
    /// The last position of the arc (the owning token or the partition's end).
    pub end_inclusive: RingPos,
}

impl KeyRange {
    /// The arc `(start_exclusive, end_inclusive]`.
    pub const fn new(start_exclusive: RingPos, end_inclusive: RingPos) -> Self {
        KeyRange { start_exclusive, end_inclusive }
    }

    /// Whether this arc is the whole ring (`start_exclusive == end_inclusive`).
    pub const fn is_full(&self) -> bool {
        self.start_exclusive == self.end_inclusive
    }

    /// Whether `pos` lies on this arc, wrap-around included.
    pub const fn contains(&self, pos: RingPos) -> bool {
        let (start, end) = (self.start_exclusive, self.end_inclusive);
        if start < end {
            start < pos && pos <= end
        } else {
            // Wrapping arc (start > end) or the full ring (start == end).
            pos > start || pos <= end
        }
    }

    /// The number of positions on the arc, or `None` for the full ring (2^128 does not fit).
    pub const fn width(&self) -> Option<u128> {
        if self.is_full() { None } else { Some(self.end_inclusive.wrapping_sub(self.start_exclusive)) }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_arc_excludes_start_includes_end() {
        let r = KeyRange::new(10, 20);
        assert!(!r.contains(10));
        assert!(r.contains(11));
        assert!(r.contains(20));
        assert!(!r.contains(21));
        assert!(!r.contains(0));
        assert_eq!(r.width(), Some(10));
    }

    #[test]
    fn wrapping_arc_covers_both_ends() {
        let r = KeyRange::new(u128::MAX - 1, 5);
        assert!(r.contains(u128::MAX));
        assert!(r.contains(0));
        assert!(r.contains(5));
        assert!(!r.contains(6));
        assert!(!r.contains(u128::MAX - 1));
        assert_eq!(r.width(), Some(7));
    }

    #[test]
    fn equal_bounds_mean_the_whole_ring() {
        let r = KeyRange::new(7, 7);
        assert!(r.is_full());
        assert!(r.contains(7) && r.contains(0) && r.contains(u128::MAX));
        assert_eq!(r.width(), None);
    }
}
