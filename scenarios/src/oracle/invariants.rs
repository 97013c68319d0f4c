//! The oracle's checkers: every invariant judged the way dynsim judged it before checking became
//! streaming, from the whole history and by scanning replica state. Kept (behind the `oracle`
//! feature) only so tests can check the streaming checkers against it.

use super::causal::Causality;
use super::inspect;
use crate::assemble::Assembly;
use crate::check::Invariant;
use crate::check::invariants::{convergence_not_promised, describe, faults_free, hints_delivered, membership_settles};
use crate::history::OpRecord;
use crate::spec::Scenario;
use crate::spec::dynamo::VersioningMode;
use dynamo_model::counters::Counter;
use dynamo_model::version::WriteId;
use reports::{Verdict, Violation};
use sim_core::SimTime;
use std::collections::BTreeMap;

/// What the oracle's checkers read: the final state and the whole history.
pub struct RunOutcome<'a> {
    /// The world at the end.
    pub assembly: &'a Assembly,
    /// Every operation, sorted by invocation.
    pub history: &'a [OpRecord],
}

/// Runs every checker.
pub fn check_all(s: &Scenario, asm: &Assembly, history: &[OpRecord]) -> Vec<Verdict> {
    let out = &RunOutcome { assembly: asm, history };
    let causality = Causality::new(history);
    vec![
        lost_acked_writes(s, out, &causality),
        dominated_versions(s, out, &causality),
        context_dominates(s, out),
        strict_quorum_fresh(s, out, &causality),
        replicas_converge(s, out, &causality),
        dvv_sibling_bound(s, out, &causality),
        hints_delivered(s, asm),
        membership_settles(s, asm),
    ]
}

fn violation(key: u64, at: SimTime, ops: &[&OpRecord], detail: String) -> Violation {
    Violation { key, ops: ops.iter().map(|r| describe(r)).collect(), at_s: at.as_secs_f64(), detail }
}

fn successful_reads<'a>(out: &'a RunOutcome<'_>) -> impl Iterator<Item = (&'a OpRecord, &'a [WriteId])> {
    out.history.iter().filter(|r| r.ok()).filter_map(|r| r.read.as_ref().map(|x| (r, x.writes.as_slice())))
}

fn is_lww(s: &Scenario) -> bool {
    s.dynamo.versioning == VersioningMode::Lww
}

/// No acknowledged write is lost while a replica of it survived.
fn lost_acked_writes(s: &Scenario, out: &RunOutcome<'_>, c: &Causality) -> Verdict {
    let inv = Invariant::NoLostAckedWrite.name();
    if is_lww(s) {
        return Verdict::not_applicable(inv, "last-write-wins drops concurrent writes by design");
    }
    let destroying = crate::metrics::durability::data_destroying_faults(s);
    if !destroying.is_empty() {
        let why =
            format!("the scenario can destroy stored data ({}), so a replica may not survive", destroying.join(", "));
        return Verdict::not_applicable(inv, why);
    }
    let by_write: BTreeMap<WriteId, &OpRecord> = out.history.iter().filter_map(|r| r.write.map(|w| (w, r))).collect();
    let mut v = Vec::new();
    for key in c.keys() {
        let survivors = inspect::surviving(out.assembly, key).write_ids();
        for w in c.writes_of(key).iter().filter(|w| w.acked) {
            if !survivors.iter().any(|&s| c.covers(s, w.id)) {
                let ops: Vec<&OpRecord> = by_write.get(&w.id).into_iter().copied().collect();
                let detail = format!(
                    "acknowledged write {} is in no replica and superseded by none of {:?}",
                    w.id.0,
                    survivors.iter().map(|x| x.0).collect::<Vec<_>>()
                );
                v.push(violation(key, w.completed, &ops, detail));
            }
        }
    }
    Verdict::from_violations(inv, v)
}

/// No get returns a version dominated by another it returns: never a pair whose metadata says
/// so, and in DVV mode never a write together with one it causally supersedes. A write stamped
/// more than once (a retried or re-forwarded put reaching two coordinators) is two concurrent
/// versions of one value, so it is left out of the causal comparison.
fn dominated_versions(s: &Scenario, out: &RunOutcome<'_>, c: &Causality) -> Verdict {
    let dvv = s.dynamo.versioning == VersioningMode::Dvv;
    let multi = multiply_stamped(out);
    let mut v = Vec::new();
    for (r, writes) in successful_reads(out) {
        let single: Vec<WriteId> = writes.iter().copied().filter(|w| !multi.contains(w)).collect();
        if r.read.as_ref().is_some_and(|x| x.dominated_pair) {
            v.push(violation(
                r.key,
                r.completed,
                &[r],
                "a returned sibling's metadata supersedes another returned sibling".into(),
            ));
        } else if dvv && let Some((a, b)) = ancestor_pair(c, &single) {
            v.push(violation(
                r.key,
                r.completed,
                &[r],
                format!("write {} supersedes write {} yet both were returned", a.0, b.0),
            ));
        }
    }
    Verdict::from_violations(Invariant::NoDominatedVersion.name(), v)
}

/// Writes seen with more than one causal stamp anywhere in the history.
fn multiply_stamped(out: &RunOutcome<'_>) -> std::collections::BTreeSet<WriteId> {
    let mut stamps: BTreeMap<WriteId, u64> = BTreeMap::new();
    let mut multi = std::collections::BTreeSet::new();
    let seen =
        out.history.iter().flat_map(|r| r.context_versions.iter().chain(r.read.iter().flat_map(|x| x.versions.iter())));
    for &(w, digest) in seen {
        if *stamps.entry(w).or_insert(digest) != digest {
            multi.insert(w);
        }
    }
    multi
}

fn ancestor_pair(c: &Causality, writes: &[WriteId]) -> Option<(WriteId, WriteId)> {
    writes.iter().flat_map(|&a| writes.iter().map(move |&b| (a, b))).find(|&(a, b)| a != b && c.descends(a, b))
}

/// A write with a context dominates every version in it: no read returns the new write
/// together with one of the exact versions (write and causal metadata) its context covered.
fn context_dominates(s: &Scenario, out: &RunOutcome<'_>) -> Verdict {
    let inv = Invariant::ContextDominates.name();
    let truncation = match s.dynamo.versioning {
        VersioningMode::Lww => return Verdict::not_applicable(inv, "last-write-wins keeps no causal context"),
        VersioningMode::VectorClock { truncation_threshold } => truncation_threshold,
        VersioningMode::Dvv => usize::MAX,
    };
    let writes: BTreeMap<WriteId, &OpRecord> = out.history.iter().filter_map(|r| r.write.map(|w| (w, r))).collect();
    let mut v = Vec::new();
    for r in out.history.iter().filter(|r| r.ok()) {
        let Some(read) = &r.read else { continue };
        // A read that returned a truncated clock is excused (see `measure::checks`).
        if read.max_clock_len as usize >= truncation {
            continue;
        }
        for (w, _) in &read.versions {
            let Some(wr) = writes.get(w) else { continue };
            if let Some(old) = wr.context_versions.iter().find(|cv| read.versions.contains(cv)) {
                let detail = format!(
                    "write {} was put with a context covering version {:?}, yet a read returned both",
                    w.0, old
                );
                v.push(violation(r.key, r.completed, &[wr, r], detail));
            }
        }
    }
    Verdict::from_violations(inv, v)
}

/// Strict quorums with no failures never return a stale read.
fn strict_quorum_fresh(s: &Scenario, out: &RunOutcome<'_>, c: &Causality) -> Verdict {
    let inv = Invariant::StrictQuorumFresh.name();
    let d = &s.dynamo;
    if d.r + d.w <= d.n {
        return Verdict::not_applicable(inv, format!("R + W = {} does not exceed N = {}", d.r + d.w, d.n));
    }
    if is_lww(s) {
        return Verdict::not_applicable(inv, "last-write-wins can order a newer write below an older one");
    }
    if let Some(why) = faults_free(s) {
        return Verdict::not_applicable(inv, why);
    }
    let substituted = substitutions(out);
    if d.sloppy_quorum.enabled && substituted > 0 {
        return Verdict::not_applicable(inv, format!("the sloppy quorum substituted replicas {substituted} times"));
    }
    let mut v = Vec::new();
    for (r, writes) in successful_reads(out) {
        if !c.is_fresh(r.key, r.invoked, writes) {
            let p = c.latest_acked_before(r.key, r.invoked).map(|p| p.id.0).unwrap_or_default();
            v.push(violation(
                r.key,
                r.completed,
                &[r],
                format!("missed write {p}, acknowledged before the read began"),
            ));
        }
    }
    Verdict::from_violations(inv, v)
}

/// How many reads and writes went to sloppy-quorum substitutes, over nodes and client libraries.
fn substitutions(out: &RunOutcome<'_>) -> u64 {
    let w = &out.assembly.world;
    (0..w.len() as u32)
        .map(|p| w.counters(sim_core::ProcId(p)))
        .map(|c| Counter::HintedWrites.get(c) + Counter::SubstituteReads.get(c))
        .sum()
}

/// After quiescence every key's live replicas hold the same versions.
///
/// Promised when nothing could have made a replica miss a write (no faults, no loss), or when
/// anti-entropy runs and the run ends with every node up, the network whole, and a settle period
/// long enough for each node to exchange every range it replicates three times.
fn replicas_converge(s: &Scenario, out: &RunOutcome<'_>, c: &Causality) -> Verdict {
    let inv = Invariant::ReplicasConverge.name();
    if let Some(why) = convergence_not_promised(s, out.assembly) {
        return Verdict::not_applicable(inv, why);
    }
    let end = out.assembly.world.now();
    let v = c
        .keys()
        .filter(|&k| !inspect::replicas_agree(out.assembly, k, s.dynamo.n))
        .map(|k| violation(k, end, &[], "live replicas still disagree after the settle period".into()))
        .collect();
    Verdict::from_violations(inv, v)
}

/// In DVV mode a read's siblings are bounded by the writes that could be concurrent with it.
///
/// Count each returned sibling that no write acknowledged before the read began supersedes
/// (a stale read may return older siblings; those are the staleness checker's business), plus
/// every extra copy of a write — the sibling explosion of restamping clocks, which DVV must
/// never show. (A put re-forwarded to a second coordinator is stamped twice; when the run had
/// re-forwards, extra copies are excused.) That count must not exceed the concurrent writers:
/// the writes acknowledged before the read began that no other such write supersedes, plus the
/// writes begun before it ended that were not acknowledged before it began.
fn dvv_sibling_bound(s: &Scenario, out: &RunOutcome<'_>, c: &Causality) -> Verdict {
    let inv = Invariant::DvvSiblingBound.name();
    if s.dynamo.versioning != VersioningMode::Dvv {
        return Verdict::not_applicable(inv, "only dotted version vectors promise this bound");
    }
    let reforwards: u64 = (0..out.assembly.nodes as u32)
        .map(|i| Counter::Reforwarded.get(out.assembly.world.counters(sim_core::ProcId(i))))
        .sum();
    let mut v = Vec::new();
    for (r, writes) in successful_reads(out) {
        let raw = r.read.as_ref().map_or(0, |x| x.siblings as usize);
        let acked = acked_before(c, r);
        let live = writes.iter().filter(|&&w| !acked.iter().any(|&a| a != w && c.descends(a, w))).count();
        let copies = if reforwards > 0 { 0 } else { raw.saturating_sub(writes.len()) };
        let bound = concurrent_writers(c, r, &acked);
        if live + copies > bound {
            let detail =
                format!("{} siblings ({copies} extra copies) but at most {bound} concurrent writers", live + copies);
            v.push(violation(r.key, r.completed, &[r], detail));
        }
    }
    Verdict::from_violations(inv, v)
}

/// Writes to the read's key acknowledged before the read began.
fn acked_before(c: &Causality, r: &OpRecord) -> Vec<WriteId> {
    c.writes_of(r.key).iter().filter(|w| w.acked && w.completed < r.invoked).map(|w| w.id).collect()
}

/// The writes that can be concurrent with a read (see [`dvv_sibling_bound`]).
fn concurrent_writers(c: &Causality, r: &OpRecord, acked: &[WriteId]) -> usize {
    let maximal = acked.iter().filter(|&&a| !acked.iter().any(|&b| b != a && c.descends(b, a))).count();
    let others = c.writes_of(r.key).iter().filter(|w| w.invoked < r.completed && !acked.contains(&w.id)).count();
    maximal + others
}
