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
        return Verdict { stale: false, k: 0, behind: 0, since_prior: None, via_newer: false };
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
        behind: versions_behind(key, hi, newest_invoked, &covered),
        since_prior: Some(invoked - prior.completed),
        via_newer: by_newer && !by_descent,
    }
}

/// How many acknowledged versions behind a read is: counting back from P* (`recent[hi − 1]`,
/// the latest acknowledged before the read began), the writes passed before the first one the
/// read returned or covered (`covered`, or completed before the newest returned write was
/// invoked). 0 for a fresh read; exact up to [`RECENT`], which it is when the read covered
/// none of the last [`RECENT`] (or of all `hi`, if fewer). Cost: O(behind) cover checks.
fn versions_behind(key: &KeyWrites, hi: usize, newest_invoked: SimTime, covered: &impl Fn(u32) -> bool) -> u32 {
    let recent = key.recent();
    let seen = |i: usize| covered(recent[i].seq) || recent[i].completed < newest_invoked;
    let window = hi.min(RECENT);
    (0..hi).rev().take(window).position(seen).unwrap_or(window) as u32
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::history::OpKind;
    use dynamo_model::version::WriteId;

    fn t(ms: u64) -> SimTime {
        SimTime(ms * 1_000_000)
    }

    /// Blind write `seq`, invoked at 10·seq ms and acknowledged 5 ms later, with `past`.
    fn write(seq: u32, past: &[u32]) -> Provenance {
        let write = WriteId(100 + u64::from(seq));
        Provenance {
            seq,
            write,
            invoked: t(10 * u64::from(seq)),
            past: past.iter().copied().collect(),
            ..Default::default()
        }
    }

    fn key_of(writes: &[Provenance]) -> KeyWrites {
        let mut k = KeyWrites::new(false);
        for p in writes {
            k.write_done(p, OpKind::Put, p.invoked + sim_core::SimDuration::from_millis(5), true);
        }
        k
    }

    #[test]
    fn versions_behind_counts_back_from_the_prior_write_to_the_newest_returned() {
        let writes: Vec<Provenance> = (0..6).map(|i| write(i, &[])).collect();
        let key = key_of(&writes);
        let verdict = |returned: &[&Provenance]| staleness(&key, t(100), returned);
        assert_eq!(verdict(&[&writes[5]]).behind, 0, "returned P*: fresh");
        let v = verdict(&[&writes[2]]);
        assert!(v.stale);
        assert_eq!(v.behind, 3, "writes 5, 4, 3 passed before 2");
        assert_eq!(verdict(&[&writes[2], &writes[4]]).behind, 1, "the newest returned counts");
        assert_eq!(verdict(&[]).behind, 6, "nothing returned: every acknowledged write missed");
        // A write that descends from 4 covers it: one behind, though 4 itself was not returned.
        let descendant = Provenance { invoked: t(1), ..write(7, &[4]) };
        assert_eq!(verdict(&[&descendant]).behind, 1);
        // Acknowledged after the read began: not counted.
        assert_eq!(staleness(&key, t(36), &[&writes[0]]).behind, 3, "P* is write 2 (acked at 25 ms)");
    }
}
