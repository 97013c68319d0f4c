//! Stale reads and k-staleness of ordinary reads (gets and the read half of read-modify-writes).
//!
//! For a successful read R of key k, P* is the latest write of k acknowledged before R was
//! invoked (by completion time). A write w returned by R *covers* an earlier write x when w is
//! x or descends from it by the clients' contexts, or when w was invoked after x completed (the
//! PBS rule: a newer write in flight counts as fresh). R is fresh when there is no P* or some
//! returned write covers P*; stale otherwise. Its k-staleness is the number of writes of k
//! acknowledged before R began that no returned write covers.
//!
//! A returned write the history does not know (one still in flight when the run ended) covers
//! only itself, as in `Causality::is_fresh`.

use super::BucketCounter;
use crate::history::OpKind;
use crate::measure::writes::RECENT;
use reports::metrics::{StaleStats, round6};
use sim_core::SimDuration;

/// The largest k whose P(within k) is reported; `versions_behind` has one more entry (k or
/// more). Kept windows are longer ([`RECENT`]), so every count below it is exact.
pub const MAX_K: usize = 16;
const _: () = assert!(MAX_K <= RECENT);

/// The verdict on one ordinary successful read.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Verdict {
    /// It missed P* (and nothing it returned covers P*).
    pub stale: bool,
    /// Writes acknowledged before it began that nothing it returned covers.
    pub k: u32,
    /// How many acknowledged versions behind it was: 0 when fresh; for a stale read, the
    /// acknowledged writes from P* back to (not including) the newest it returned or covered.
    /// It returned one of the last `k` versions iff `behind < k` (PBS k-staleness).
    pub behind: u32,
    /// Time from P*'s completion to the read's invocation; `None` without a P*.
    pub since_prior: Option<SimDuration>,
    /// Fresh only because a returned write was invoked after P* completed (no returned write
    /// descends from P*).
    pub via_newer: bool,
}

/// True for the reads staleness is measured on: gets and read-modify-write reads (probes have
/// their own t-visibility curve).
pub fn is_ordinary_read(kind: OpKind) -> bool {
    matches!(kind, OpKind::Get | OpKind::RmwRead)
}

/// Staleness figures of a set of verdicts.
pub fn stats(vs: &[&Verdict]) -> StaleStats {
    let mut c = StaleCounter::default();
    vs.iter().for_each(|v| c.add(v));
    c.finish()
}

/// Counts verdicts into staleness figures as they come: O(1) memory.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct StaleCounter {
    reads: u64,
    with_prior_write: u64,
    stale: u64,
    via_newer: u64,
    k: BucketCounter,
    /// Reads with a P* by versions behind: 0..MAX_K−1, then MAX_K or more.
    behind: [u64; MAX_K + 1],
}

impl StaleCounter {
    /// Counts one read's verdict.
    pub fn add(&mut self, v: &Verdict) {
        self.reads += 1;
        self.with_prior_write += u64::from(v.since_prior.is_some());
        self.stale += u64::from(v.stale);
        self.via_newer += u64::from(v.via_newer);
        self.k.add(u64::from(v.k));
        if v.since_prior.is_some() {
            self.behind[(v.behind as usize).min(MAX_K)] += 1;
        }
    }

    /// Whether any read was counted.
    pub fn is_empty(&self) -> bool {
        self.reads == 0
    }

    /// The figures.
    pub fn finish(&self) -> StaleStats {
        let reads = self.reads;
        StaleStats {
            reads,
            with_prior_write: self.with_prior_write,
            without_prior_write: reads - self.with_prior_write,
            stale: self.stale,
            stale_ratio_with_prior_write: (self.with_prior_write > 0)
                .then(|| round6(self.stale as f64 / self.with_prior_write as f64)),
            stale_ratio: (reads > 0).then(|| round6(self.stale as f64 / reads as f64)),
            fresh_via_newer_write: self.via_newer,
            k: self.k.finish(),
            versions_behind: self.behind.to_vec(),
            p_within_k: self.p_within_k(),
        }
    }

    /// P(fewer than k versions behind) among reads with a P*, for k = 1..=MAX_K.
    fn p_within_k(&self) -> Vec<f64> {
        let n = self.with_prior_write;
        debug_assert_eq!(self.behind.iter().sum::<u64>(), n, "every read with a P* is counted once");
        if n == 0 {
            return Vec::new();
        }
        let mut within = 0;
        self.behind[..MAX_K]
            .iter()
            .map(|c| {
                within += c;
                round6(within as f64 / n as f64)
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(behind: u32, prior: bool) -> Verdict {
        let since_prior = prior.then_some(SimDuration::ZERO);
        Verdict { stale: behind > 0, k: behind, behind, since_prior, via_newer: false }
    }

    #[test]
    fn p_within_k_is_the_cumulative_share_of_reads_with_a_prior_write() {
        let mut c = StaleCounter::default();
        for v in [read(0, true), read(0, true), read(1, true), read(3, true), read(40, true), read(0, false)] {
            c.add(&v);
        }
        let s = c.finish();
        assert_eq!(s.versions_behind.len(), MAX_K + 1);
        assert_eq!((s.versions_behind[0], s.versions_behind[1], s.versions_behind[3]), (2, 1, 1));
        assert_eq!(s.versions_behind[MAX_K], 1, "40 behind counts as 16 or more");
        assert_eq!(s.p_within_k.len(), MAX_K);
        assert_eq!(&s.p_within_k[..4], &[0.4, 0.6, 0.6, 0.8], "the read without a P* is not counted");
        assert_eq!(s.p_within_k[MAX_K - 1], 0.8);
        assert!(StaleCounter::default().finish().p_within_k.is_empty(), "nothing to divide by");
    }
}
