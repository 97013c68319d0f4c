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
use reports::metrics::{StaleStats, round6};
use sim_core::SimDuration;

/// The verdict on one ordinary successful read.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Verdict {
    /// It missed P* (and nothing it returned covers P*).
    pub stale: bool,
    /// Writes acknowledged before it began that nothing it returned covers.
    pub k: u32,
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
}

impl StaleCounter {
    /// Counts one read's verdict.
    pub fn add(&mut self, v: &Verdict) {
        self.reads += 1;
        self.with_prior_write += u64::from(v.since_prior.is_some());
        self.stale += u64::from(v.stale);
        self.via_newer += u64::from(v.via_newer);
        self.k.add(u64::from(v.k));
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
            stale: self.stale,
            stale_ratio: (reads > 0).then(|| round6(self.stale as f64 / reads as f64)),
            fresh_via_newer_write: self.via_newer,
            k: self.k.finish(),
        }
    }
}
