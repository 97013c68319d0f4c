//! The end of the run: durability, convergence and the invariants on the final state, read from
//! the index.
//!
//! For each key written, the index names every node that holds a data record or a buffered
//! version, and every hint record; only those are read (peeked, without side effects), so the
//! cost is O(holders) per key, never O(nodes) or O(hints). What survives is merged, and each
//! surviving value's provenance tells which writes it covers: an acknowledged write is lost
//! when no survivor covers it.

use super::violations::Violations;
use super::writes::AckedWrite;
use super::{KeyState, Measure};
use crate::assemble::Assembly;
use crate::workload::provenance;
use crate::workload::seqset::SeqSet;
use dynamo_model::msg::{StoreKey, StoreRecord};
use dynamo_model::version::Versions;
use reports::Violation;
use reports::metrics::{DurabilitySection, LostWrite, round6};
use sim_core::{ProcId, SimTime};

/// How many lost writes the durability section lists.
const LOST_EXAMPLES: usize = 10;

/// What the final state says about durability and agreement.
#[derive(Clone, Debug, Default)]
pub struct FinalState {
    /// Acknowledged writes.
    pub acked: u64,
    /// Failed writes.
    pub failed: u64,
    /// Failed writes some survivor covers.
    pub failed_surviving: u64,
    /// Acknowledged writes no survivor covers.
    pub lost: u64,
    /// The lost writes among each key's kept acknowledged writes, earliest first.
    pub lost_kept: Vec<(u64, AckedWrite, Vec<u64>)>,
    /// Keys written, or held in a data record, at the end.
    pub keys: u64,
    /// Of those, keys whose live top-N replicas disagree.
    pub divergent: u64,
    /// Keys written whose live replicas disagree (the `replicas_converge` violations).
    pub unconverged: Vec<u64>,
    /// Surviving writes acknowledged before the repair cutoff that fewer than N distinct nodes
    /// of their key's preference list hold (the `replication_degree` violations).
    pub under_replicated: Violations,
}

impl Measure {
    /// Reads the final state of `asm` through the index.
    pub fn final_state(&mut self, asm: &Assembly) -> FinalState {
        self.settle(asm);
        let mut out = FinalState::default();
        for (key, st) in self.keys.sorted() {
            let written = st.w.completed > 0;
            if written || st.r.holders().any(|n| st.r.has_disk_record(n)) {
                out.keys += 1;
                out.divergent += u64::from(st.r.divergent);
            }
            if !written {
                continue;
            }
            if st.r.divergent {
                out.unconverged.push(key);
            }
            let hints = self.hints.range((key, 0, 0)..=(key, u32::MAX, u32::MAX)).map(|&(_, h, i)| (h, i));
            let covered = durability(asm, key, st, hints, &mut out);
            if let Some(cutoff) = self.cfg.repair_cutoff
                && let Some(v) = under_replicated(asm, (key, st), &covered, cutoff, self.cfg.n)
            {
                out.under_replicated.push(v);
            }
        }
        out.lost_kept.sort_by_key(|(key, w, _)| (w.completed, w.write, *key));
        out
    }
}

/// Adds one written key's durability figures; returns the writes its survivors cover.
fn durability(
    asm: &Assembly,
    key: u64,
    st: &KeyState,
    hints: impl Iterator<Item = (u32, u32)>,
    out: &mut FinalState,
) -> SeqSet {
    let survivors = surviving(asm, key, st, hints);
    let mut covered = SeqSet::new();
    for s in survivors.siblings() {
        if let Some(p) = provenance::of(s.value()) {
            covered.union(&p.past);
            covered.insert(p.seq);
        }
    }
    out.acked += st.w.acked.len();
    out.failed += st.w.failed.len();
    out.failed_surviving += st.w.failed.count_common(&covered);
    let lost = st.w.acked.len() - st.w.acked.count_common(&covered);
    out.lost += lost;
    if lost > 0 {
        let ids: Vec<u64> = survivors.write_ids().iter().map(|w| w.0).collect();
        for w in st.w.recent().iter().filter(|w| !covered.contains(w.seq)) {
            out.lost_kept.push((key, *w, ids.clone()));
        }
    }
    covered
}

/// `replication_degree` for one key: every surviving write acknowledged by `cutoff` must be
/// covered by what each of N distinct nodes of the key's preference list (the ring at the end)
/// serves. Writes older than the key's kept acknowledged writes count as acknowledged by the
/// cutoff only when the oldest kept one was. O(acknowledged writes × N).
fn under_replicated(
    asm: &Assembly,
    (key, st): (u64, &KeyState),
    covered: &SeqSet,
    cutoff: SimTime,
    n: usize,
) -> Option<Violation> {
    let recent = st.w.recent();
    let mut late = SeqSet::new();
    recent.iter().filter(|w| w.completed > cutoff).for_each(|w| late.insert(w.seq));
    let older_known = recent.front().is_none_or(|w| w.completed <= cutoff);
    let kept: SeqSet = {
        let mut k = SeqSet::new();
        recent.iter().for_each(|w| k.insert(w.seq));
        k
    };
    let needed = |seq: u32| covered.contains(seq) && !late.contains(seq) && (older_known || kept.contains(seq));
    let mut list = Vec::with_capacity(n);
    asm.ring_now().preference_list(dynamo_model::ring::key_position(key), n, &mut list);
    let mut holders: Vec<u32> = Vec::with_capacity(n);
    let mut missing = None;
    for node in &list {
        let cov = node_covers(asm, key, *node);
        match st.w.acked.difference(&cov).find(|&seq| needed(seq)) {
            None if !holders.contains(&node.0) => holders.push(node.0),
            None => {}
            Some(seq) => missing = missing.or(Some((node.0, seq))),
        }
    }
    if holders.len() >= n {
        return None;
    }
    let detail = match missing {
        Some((node, seq)) => format!(
            "{} of N = {n} distinct nodes of preference list {:?} hold every acknowledged write; node {node} lacks write sequence {seq}",
            holders.len(),
            list.iter().map(|p| p.0).collect::<Vec<_>>()
        ),
        None => format!(
            "preference list {:?} names {} distinct nodes, not N = {n}",
            list.iter().map(|p| p.0).collect::<Vec<_>>(),
            holders.len()
        ),
    };
    Some(Violation { key, ops: vec![], at_s: asm.world.now().as_secs_f64(), detail })
}

/// The writes what `node` serves for `key` covers (its buffer while it is up, else its disk
/// record; nothing while it is down).
fn node_covers(asm: &Assembly, key: u64, node: ProcId) -> SeqSet {
    let mut cov = SeqSet::new();
    let Some(n) = asm.world.process(node).and_then(|a| a.as_node()) else { return cov };
    let disk = asm.world.disk(node).peek(&StoreKey::Data(key));
    let served = match (n.storage().buffered(key), disk) {
        (Some(v), _) => Some(v),
        (None, Ok(Some(StoreRecord::Versions(v)))) => Some(v),
        _ => None,
    };
    for s in served.iter().flat_map(|v| v.siblings()) {
        if let Some(p) = provenance::of(s.value()) {
            cov.union(&p.past);
            cov.insert(p.seq);
        }
    }
    cov
}

/// Everything the cluster still holds for `key`: every holder's data (its buffer while it is
/// up, else its disk record) and every hint on a node that is up, merged.
fn surviving(asm: &Assembly, key: u64, st: &KeyState, hints: impl Iterator<Item = (u32, u32)>) -> Versions {
    let mut all = Versions::new();
    for node in st.r.holders() {
        let buffered = asm.world.process(node).and_then(|a| a.as_node()).and_then(|n| n.storage().buffered(key));
        match buffered {
            Some(v) => all.merge(v),
            None => {
                if let Ok(Some(StoreRecord::Versions(v))) = asm.world.disk(node).peek(&StoreKey::Data(key)) {
                    all.merge(v);
                }
            }
        }
    }
    for (holder, intended) in hints {
        let holder = ProcId(holder);
        if asm.world.process(holder).is_none() {
            continue;
        }
        let k = StoreKey::Hint { key, intended: ProcId(intended) };
        if let Ok(Some(StoreRecord::Versions(v))) = asm.world.disk(holder).peek(&k) {
            all.merge(v);
        }
    }
    all
}

impl FinalState {
    /// The durability section.
    pub fn durability(&self, versioning: &str, lww: bool, excuses: Vec<String>) -> DurabilitySection {
        let lost_acked = if lww { 0 } else { self.lost };
        DurabilitySection {
            versioning: versioning.to_string(),
            acked_writes: self.acked,
            lost_acked_writes: lost_acked,
            lww_overwritten: if lww { self.lost } else { 0 },
            lost_acked_writes_unexcused: if excuses.is_empty() { lost_acked } else { 0 },
            data_destroying_faults: excuses,
            failed_writes: self.failed,
            failed_writes_surviving: self.failed_surviving,
            lost_examples: self
                .lost_kept
                .iter()
                .take(LOST_EXAMPLES)
                .map(|(key, w, _)| LostWrite {
                    key: *key,
                    write: w.write.0,
                    client: w.client,
                    completed_s: round6(w.completed.as_secs_f64()),
                })
                .collect(),
        }
    }

    /// The `no_lost_acked_write` violations: every lost write counted, the kept ones described.
    pub fn lost_violations(&self) -> Violations {
        let mut v = Violations::default();
        for (key, w, survivors) in &self.lost_kept {
            let op = format!(
                "client {} {} key {key} invoked {:.6}s completed {:.6}s Ok wrote {}",
                w.client,
                w.kind.name(),
                w.invoked.as_secs_f64(),
                w.completed.as_secs_f64(),
                w.write.0
            );
            let detail =
                format!("acknowledged write {} is in no replica and superseded by none of {survivors:?}", w.write.0);
            v.push(Violation { key: *key, ops: vec![op], at_s: w.completed.as_secs_f64(), detail });
        }
        v.add_uncounted(self.lost - self.lost_kept.len() as u64);
        v
    }
}
