//! [`Violations`]: a checker's violations as they are found: how many, and the earliest few.
//!
//! O(1) memory per checker: the count, and the [`EXAMPLES`] earliest violations by
//! [`Violation::order`] (time, key, operations, detail: a total order, so the examples do not
//! depend on the order violations were found in), as `Verdict::from_violations` reports them.

use reports::{Verdict, Violation};
use std::cmp::Ordering;

/// How many examples a verdict keeps.
pub const EXAMPLES: usize = 5;

/// The violations of one invariant found so far.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Violations {
    count: u64,
    earliest: Vec<Violation>,
}

impl Violations {
    /// Records one violation.
    pub fn push(&mut self, v: Violation) {
        self.count += 1;
        let at = self.earliest.partition_point(|x| Violation::order(x, &v) != Ordering::Greater);
        if at < EXAMPLES {
            self.earliest.insert(at, v);
            self.earliest.truncate(EXAMPLES);
        }
    }

    /// Counts `n` more violations that have no description (they add to the count only).
    pub fn add_uncounted(&mut self, n: u64) {
        self.count += n;
    }

    /// How many were found.
    pub fn count(&self) -> u64 {
        self.count
    }

    /// The verdict: pass when none, else the count and the earliest examples.
    pub fn verdict(&self, invariant: &str) -> Verdict {
        if self.count == 0 {
            return Verdict { invariant: invariant.to_string(), status: reports::Status::Pass };
        }
        let status = reports::Status::Fail { violations: self.count, examples: self.earliest.clone() };
        Verdict { invariant: invariant.to_string(), status }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(at_s: f64, key: u64) -> Violation {
        Violation { key, ops: vec![], at_s, detail: String::new() }
    }

    #[test]
    fn keeps_the_count_and_the_earliest_examples_whatever_the_order_found() {
        let mut a = Violations::default();
        let mut b = Violations::default();
        let all: Vec<Violation> = (0..20).map(|i| v(f64::from(20 - i), i as u64)).collect();
        all.iter().cloned().for_each(|x| a.push(x));
        all.iter().rev().cloned().for_each(|x| b.push(x));
        assert_eq!(a, b);
        assert_eq!(a.count(), 20);
        let reports::Status::Fail { violations, examples } = a.verdict("x").status else { panic!("fails") };
        assert_eq!(violations, 20);
        assert_eq!(examples.iter().map(|e| e.at_s).collect::<Vec<_>>(), vec![1.0, 2.0, 3.0, 4.0, 5.0]);
        assert_eq!(Violations::default().verdict("x").status, reports::Status::Pass);
    }
}
