//! The invariants that are judged read by read, as reads complete: [`ReadChecks`].
//!
//! - `no_dominated_version`: no read returns a sibling whose metadata supersedes another's, and
//!   in DVV mode no read returns a write together with one it causally supersedes (a write a
//!   coordinator stamped more than once is two concurrent versions and is left out).
//! - `context_dominates`: no read returns a write together with one of the exact versions its
//!   context covered. A read that returned a clock at the truncation threshold is excused: a
//!   truncated clock can fail to dominate what it descends from, and the write whose clock was
//!   truncated (or any descendant of it) is then among the returned siblings.
//! - `strict_quorum_fresh`: every successful read is fresh (whether the configuration promises
//!   it is decided when the run ends).
//! - `dvv_sibling_bound`: in DVV mode, siblings never exceed the writes that could be
//!   concurrent with the read (whether re-forwarded puts excuse extra copies is decided when
//!   the run ends, from the counters, so both counts are kept).
//!
//! Each check costs O(siblings²) per read (siblings are few) and keeps O(1) memory: a count and
//! the earliest examples. The rest of the verdicts are judged on the final state.

use super::judge::SiblingBound;
use super::violations::Violations;
use crate::history::OpDone;
use crate::workload::provenance::Provenance;
use crate::workload::seqset::SeqSet;
use dynamo_model::version::Versions;
use reports::Violation;

/// The read-by-read checks' findings so far.
#[derive(Clone, Debug, Default)]
pub struct ReadChecks {
    /// `no_dominated_version`.
    pub dominated: Violations,
    /// `context_dominates`.
    pub context: Violations,
    /// `strict_quorum_fresh`: successful reads that were stale.
    pub stale: Violations,
    /// `dvv_sibling_bound`, counting extra copies of a write.
    pub dvv_with_copies: Violations,
    /// `dvv_sibling_bound`, not counting extra copies (runs with re-forwarded puts).
    pub dvv_without_copies: Violations,
    /// Vector-clock mode: the clock size at which entries are dropped.
    pub truncation: Option<u32>,
}

/// What one successful read returned, as the checks need it.
pub struct ReadSeen<'a> {
    /// The operation.
    pub op: &'a OpDone,
    /// Its siblings.
    pub versions: &'a Versions,
    /// The exact versions returned, as (write, digest of causal metadata), per sibling.
    pub exact: &'a [(dynamo_model::version::WriteId, u64)],
    /// One provenance per distinct returned write.
    pub returned: &'a [&'a Provenance],
}

impl ReadChecks {
    /// Judges one successful read. `stale_missed`: the write it missed when it was stale;
    /// `bound`: its DVV sibling bound (DVV mode); `restamped`: the key's writes a coordinator
    /// stamped more than once.
    pub fn on_read(
        &mut self,
        r: &ReadSeen<'_>,
        stale_missed: Option<u64>,
        bound: Option<SiblingBound>,
        restamped: &SeqSet,
    ) {
        self.dominated_versions(r, bound.is_some(), restamped);
        self.context_dominates(r);
        if let Some(p) = stale_missed {
            let detail = format!("missed write {p}, acknowledged before the read began");
            self.stale.push(violation(r.op, vec![describe_read(r.op)], detail));
        }
        if let Some(b) = bound {
            let (with, without) = (b.live + b.copies, b.live);
            let detail = |n: usize, copies: usize| {
                format!("{n} siblings ({copies} extra copies) but at most {} concurrent writers", b.bound)
            };
            if with > b.bound {
                self.dvv_with_copies.push(violation(r.op, vec![describe_read(r.op)], detail(with, b.copies)));
            }
            if without > b.bound {
                self.dvv_without_copies.push(violation(r.op, vec![describe_read(r.op)], detail(without, 0)));
            }
        }
    }

    fn dominated_versions(&mut self, r: &ReadSeen<'_>, dvv: bool, restamped: &SeqSet) {
        let sibs = r.versions.siblings();
        if sibs.iter().any(|a| sibs.iter().any(|b| a.supersedes(b))) {
            let detail = "a returned sibling's metadata supersedes another returned sibling".to_string();
            self.dominated.push(violation(r.op, vec![describe_read(r.op)], detail));
            return;
        }
        if !dvv {
            return;
        }
        let single: Vec<&Provenance> = r.returned.iter().copied().filter(|p| !restamped.contains(p.seq)).collect();
        let pair = single.iter().flat_map(|a| single.iter().map(move |b| (a, b))).find(|(a, b)| a.descends(b.seq));
        if let Some((a, b)) = pair {
            let detail = format!("write {} supersedes write {} yet both were returned", a.write.0, b.write.0);
            self.dominated.push(violation(r.op, vec![describe_read(r.op)], detail));
        }
    }

    fn context_dominates(&mut self, r: &ReadSeen<'_>) {
        if self.truncation.is_some_and(|t| r.versions.max_clock_len() as u32 >= t) {
            return;
        }
        for w in r.returned {
            if let Some(old) = w.context_versions.iter().find(|cv| r.exact.contains(cv)) {
                let detail = format!(
                    "write {} was put with a context covering version {:?}, yet a read returned both",
                    w.write.0, old
                );
                self.context.push(violation(r.op, vec![describe_write(w), describe_read(r.op)], detail));
            }
        }
    }
}

fn violation(op: &OpDone, ops: Vec<String>, detail: String) -> Violation {
    Violation { key: op.key, ops, at_s: op.completed.as_secs_f64(), detail }
}

/// An operation, described for a violation.
pub fn describe_read(op: &OpDone) -> String {
    crate::check::invariants::describe(&op.to_record())
}

/// A write known by its provenance (it may still be in flight), described for a violation.
pub fn describe_write(p: &Provenance) -> String {
    format!(
        "client {} {} key {} invoked {:.6}s wrote {} (context {:?})",
        p.client,
        p.kind.name(),
        p.key,
        p.invoked.as_secs_f64(),
        p.write.0,
        p.parents().iter().map(|c| c.0).collect::<Vec<_>>()
    )
}
