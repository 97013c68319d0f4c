//! Judging one successful read the moment it completes, from what it returned and what its key
//! looked like: staleness (the [`Verdict`] of `metrics::staleness`, same definitions) and the
//! DVV sibling bound.
//!
//! Each returned sibling's value carries its write's provenance, so "returned write w covers
//! acknowledged write x" is `x` in `w`'s past (or `w` is `x`), and "w was invoked after x
//! completed" reads `w`'s invocation time: no history is consulted. The acknowledged writes a
//! read is judged against are the key's kept window ([`KeyWrites::recent`]), which holds the
//! latest [`RECENT`] acknowledged before the read began: k-staleness counts the missed writes
//! among those (so it is at most [`RECENT`], and exact whenever a read is fewer than
//! [`RECENT`] versions behind).
//!
//! Cost per read: O(log RECENT + returned × missed) comparisons, no allocation.

use super::writes::{AckedState, KeyWrites, RECENT};
use crate::metrics::staleness::Verdict;
use crate::workload::provenance::Provenance;
use sim_core::SimTime;

/// The staleness verdict on a read of the key invoked at `invoked` that returned `returned`
/// (the provenance of every sibling, in any order, repeats allowed).
pub fn staleness(key: &KeyWrites, invoked: SimTime, returned: &[&Provenance]) -> Verdict {
    let recent = key.recent();
    let hi = recent.partition_point(|a| a.completed < invoked);
    if hi == 0 {
        return Verdict { stale: false, k: 0, since_prior: None, via_newer: false };
    }
    let prior = recent[hi - 1];
    let newest_invoked = returned.iter().map(|p| p.invoked).max().unwrap_or(SimTime::ZERO);
    let covered = |seq: u32| returned.iter().any(|p| p.covers(seq));
    let lo = recent.partition_point(|a| a.completed < newest_invoked).min(hi);
    let lo = lo.max(hi.saturating_sub(RECENT));
    let k = recent.range(lo..hi).filter(|a| !covered(a.seq)).count() as u32;
    let by_descent = covered(prior.seq);
    let by_newer = prior.completed < newest_invoked;
    Verdict {
        stale: !(by_descent || by_newer),
        k,
        since_prior: Some(invoked - prior.completed),
        via_newer: by_newer && !by_descent,
    }
}

/// The write a stale read missed: the latest acknowledged before it began, as (write id).
pub fn prior_write(key: &KeyWrites, invoked: SimTime) -> Option<u64> {
    let recent = key.recent();
    let hi = recent.partition_point(|a| a.completed < invoked);
    hi.checked_sub(1).map(|i| recent[i].write.0)
}

/// The DVV sibling bound's terms for a read (see `dvv_sibling_bound` in the checks): the
/// returned writes no write acknowledged before the read began supersedes, the extra copies
/// of a write among the siblings, and the writes that could be concurrent with the read.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SiblingBound {
    /// Distinct returned writes not superseded by a write acknowledged before the read began.
    pub live: usize,
    /// Siblings beyond one per distinct write.
    pub copies: usize,
    /// Maximal writes acknowledged before the read began, plus writes invoked before it ended
    /// and not acknowledged before it began.
    pub bound: usize,
}

/// The sibling bound of a read that began when the key's acknowledged writes were `before` and
/// completed at `completed`, having returned `siblings` siblings of the writes `returned` (one
/// provenance per distinct write).
pub fn sibling_bound(
    key: &KeyWrites,
    before: &AckedState,
    completed: SimTime,
    siblings: usize,
    returned: &[&Provenance],
) -> SiblingBound {
    let live = returned.iter().filter(|p| !before.superseded.contains(p.seq)).count();
    let others = key.invoked_before(completed).saturating_sub(before.acked);
    SiblingBound { live, copies: siblings.saturating_sub(returned.len()), bound: (before.frontier + others) as usize }
}
