//! [`SeqSet`]: a set of a key's write sequence numbers, kept as sorted disjoint runs.
//!
//! A key's writes are numbered 0, 1, 2, ... in invocation order. A write's causal past (the
//! writes it descends from) is a set of such numbers; so are a key's acknowledged writes. Both
//! are mostly long runs (a chain of read-modify-writes descends from every earlier write), so a
//! run-length set stays small: a chain's past is one run, whatever its length.
//!
//! Invariant: runs are sorted, disjoint and non-adjacent (`a.end + 1 < b.start`), each with
//! `start <= end`. Checked by `debug_assert!` after every change.

/// A set of `u32` as sorted, disjoint, non-adjacent inclusive runs.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct SeqSet {
    runs: Vec<(u32, u32)>,
}

impl SeqSet {
    /// The empty set.
    pub const fn new() -> Self {
        SeqSet { runs: Vec::new() }
    }

    /// Whether `x` is in the set. O(log runs).
    pub fn contains(&self, x: u32) -> bool {
        let i = self.runs.partition_point(|&(_, end)| end < x);
        self.runs.get(i).is_some_and(|&(start, _)| start <= x)
    }

    /// Adds `x`. O(runs) at worst, O(1) when appending after the last run.
    pub fn insert(&mut self, x: u32) {
        self.insert_run(x, x);
    }

    /// Adds every number of `other`.
    pub fn union(&mut self, other: &SeqSet) {
        if other.runs.is_empty() {
            return;
        }
        if self.runs.is_empty() {
            self.runs.clone_from(&other.runs);
            return;
        }
        for &(a, b) in &other.runs {
            self.insert_run(a, b);
        }
    }

    /// How many numbers the set holds.
    pub fn len(&self) -> u64 {
        self.runs.iter().map(|&(a, b)| u64::from(b - a) + 1).sum()
    }

    /// Whether the set is empty.
    pub fn is_empty(&self) -> bool {
        self.runs.is_empty()
    }

    /// How many numbers of `self` are also in `other`. O(runs of both).
    pub fn count_common(&self, other: &SeqSet) -> u64 {
        let (mut i, mut j, mut n) = (0, 0, 0u64);
        while i < self.runs.len() && j < other.runs.len() {
            let (a, b) = self.runs[i];
            let (c, d) = other.runs[j];
            let (lo, hi) = (a.max(c), b.min(d));
            if lo <= hi {
                n += u64::from(hi - lo) + 1;
            }
            if b < d { i += 1 } else { j += 1 }
        }
        n
    }

    /// The numbers of `self` not in `other`, ascending.
    pub fn difference<'a>(&'a self, other: &'a SeqSet) -> impl Iterator<Item = u32> + 'a {
        self.runs.iter().flat_map(|&(a, b)| a..=b).filter(|x| !other.contains(*x))
    }

    /// The runs, for tests and memory accounting.
    pub fn runs(&self) -> &[(u32, u32)] {
        &self.runs
    }

    fn insert_run(&mut self, a: u32, b: u32) {
        debug_assert!(a <= b);
        // Fast path: after (or touching) the last run.
        if let Some(last) = self.runs.last_mut() {
            if a > last.1.saturating_add(1) {
                self.runs.push((a, b));
                return;
            }
            if a >= last.0 {
                last.1 = last.1.max(b);
                return;
            }
        } else {
            self.runs.push((a, b));
            return;
        }
        // First run that ends at or after a - 1 (may merge), last run that starts at or before b + 1.
        let lo = self.runs.partition_point(|&(_, end)| end.saturating_add(1) < a);
        let hi = self.runs.partition_point(|&(start, _)| start <= b.saturating_add(1));
        if lo == hi {
            self.runs.insert(lo, (a, b));
        } else {
            let start = a.min(self.runs[lo].0);
            let end = b.max(self.runs[hi - 1].1);
            self.runs.splice(lo..hi, [(start, end)]);
        }
        debug_assert!(self.well_formed(), "{:?}", self.runs);
    }

    fn well_formed(&self) -> bool {
        self.runs.iter().all(|&(a, b)| a <= b) && self.runs.windows(2).all(|w| w[0].1.saturating_add(1) < w[1].0)
    }
}

impl FromIterator<u32> for SeqSet {
    fn from_iter<I: IntoIterator<Item = u32>>(iter: I) -> Self {
        let mut s = SeqSet::new();
        for x in iter {
            s.insert(x);
        }
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use std::collections::BTreeSet;

    #[test]
    fn a_chain_is_one_run() {
        let s: SeqSet = (0..1000).collect();
        assert_eq!(s.runs(), &[(0, 999)]);
        assert_eq!(s.len(), 1000);
        assert!(s.contains(0) && s.contains(999) && !s.contains(1000));
    }

    proptest! {
        #[test]
        fn behaves_like_a_btreeset(xs in proptest::collection::vec(0u32..200, 0..120),
                                   ys in proptest::collection::vec(0u32..200, 0..120)) {
            let a: SeqSet = xs.iter().copied().collect();
            let b: SeqSet = ys.iter().copied().collect();
            let sa: BTreeSet<u32> = xs.iter().copied().collect();
            let sb: BTreeSet<u32> = ys.iter().copied().collect();
            prop_assert!(a.well_formed());
            prop_assert_eq!(a.len(), sa.len() as u64);
            for x in 0..201 {
                prop_assert_eq!(a.contains(x), sa.contains(&x));
            }
            prop_assert_eq!(a.count_common(&b), sa.intersection(&sb).count() as u64);
            let diff: Vec<u32> = a.difference(&b).collect();
            prop_assert_eq!(diff, sa.difference(&sb).copied().collect::<Vec<_>>());
            let mut u = a.clone();
            u.union(&b);
            prop_assert!(u.well_formed());
            let su: BTreeSet<u32> = sa.union(&sb).copied().collect();
            prop_assert_eq!(u.len(), su.len() as u64);
            prop_assert!(su.iter().all(|x| u.contains(*x)));
        }
    }
}
