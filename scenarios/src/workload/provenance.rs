//! What a workload's value holds: the ground truth of the write that made it.
//!
//! A real system keeps a value's contents in its bytes; the model's values are opaque, so each
//! workload write puts a [`Provenance`] in its value's [`AppData`]. It says which write this is
//! (id, key, per-key sequence number, client, invocation time), what the writer had read (its
//! causal past, as a [`SeqSet`] of the key's sequence numbers, and the exact versions its
//! context covered), and what the value holds (a cart's items, and the items it removed).
//!
//! Because every version carries its own ground truth, a read's answer can be judged by looking
//! at what came back, and nothing is remembered per write anywhere else: the contents live as
//! long as some replica, hint, message or client still holds the value.
//!
//! Sequence numbers come from [`KeySeqs`], shared by a run's clients: a key's writes are
//! numbered in invocation order, so a write's past holds only smaller numbers.

use super::seqset::SeqSet;
use crate::history::OpKind;
use dynamo_model::version::{AppData, Value, Versions, WriteId};
use sim_core::SimTime;
use std::collections::BTreeMap;
use std::sync::Arc;

/// The ground truth of one write, carried inside its value.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Provenance {
    /// The write.
    pub write: WriteId,
    /// The key.
    pub key: u64,
    /// Its number among the key's writes, in invocation order.
    pub seq: u32,
    /// The writing client process.
    pub client: u32,
    /// What kind of write.
    pub kind: OpKind,
    /// True time it was invoked.
    pub invoked: SimTime,
    /// The sequence numbers of the writes it descends from (not itself): its context's writes
    /// and, transitively, their pasts.
    pub past: SeqSet,
    /// The exact versions its context covered (what the client had read), as (write, digest of
    /// causal metadata).
    pub context_versions: Vec<(WriteId, u64)>,
    /// The cart items the value holds, ascending.
    pub items: Vec<u64>,
    /// Items this write removed relative to what its writer had read, ascending.
    pub removed: Vec<u64>,
}

impl Provenance {
    /// The writes its context covered, ascending, distinct.
    pub fn parents(&self) -> Vec<WriteId> {
        let mut ids: Vec<WriteId> = self.context_versions.iter().map(|(w, _)| *w).collect();
        ids.sort_unstable();
        ids.dedup();
        ids
    }

    /// Whether this write is `seq` or descends from it.
    pub fn covers(&self, seq: u32) -> bool {
        self.seq == seq || self.past.contains(seq)
    }

    /// Whether this write descends from `seq` (is not it, and has it in its past).
    pub fn descends(&self, seq: u32) -> bool {
        self.seq != seq && self.past.contains(seq)
    }

    /// The value carrying this provenance.
    pub fn into_value(self: &Arc<Self>, size_bytes: u32, tombstone: bool) -> Value {
        Value { write_id: self.write, size_bytes, tombstone, app: AppData::new(self.clone()) }
    }
}

/// The provenance a value carries, if a workload wrote it.
pub fn of(v: &Value) -> Option<&Arc<Provenance>> {
    v.app.get::<Arc<Provenance>>()
}

/// What a read's siblings tell a writer that writes back with the read's context: the causal
/// past they imply, and the exact versions.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Covered {
    /// The siblings' sequence numbers and their pasts.
    pub past: SeqSet,
    /// Each sibling as (write, digest of its causal metadata).
    pub versions: Vec<(WriteId, u64)>,
}

impl Covered {
    /// What `versions` (a read's answer) covers.
    pub fn of(versions: &Versions) -> Covered {
        let mut past = SeqSet::new();
        for s in versions.siblings() {
            if let Some(p) = of(s.value()) {
                past.union(&p.past);
                past.insert(p.seq);
            }
        }
        let versions_seen =
            versions.siblings().iter().map(|s| (s.write_id(), super::client::sibling_digest(s))).collect();
        Covered { past, versions: versions_seen }
    }
}

/// Per-key write counters shared by a run's clients (single-threaded, deterministic): the next
/// sequence number of every key written so far. O(keys) memory.
#[derive(Clone, Debug, Default)]
pub struct KeySeqs {
    next: BTreeMap<u64, u32>,
}

impl KeySeqs {
    /// The sequence number of a new write of `key`.
    pub fn next(&mut self, key: u64) -> u32 {
        let n = self.next.entry(key).or_insert(0);
        let seq = *n;
        *n = n.checked_add(1).expect("fewer than 2^32 writes per key");
        seq
    }
}

/// The union of the siblings' items, and how many of them some sibling had removed
/// (resurrected deletions). `siblings` are the provenances of the live (non-tombstone) writes.
pub fn union_items(siblings: &[&Provenance]) -> (Vec<u64>, u64) {
    let mut items: Vec<u64> = siblings.iter().flat_map(|c| c.items.iter().copied()).collect();
    items.sort_unstable();
    items.dedup();
    let resurrected =
        items.iter().filter(|x| siblings.iter().any(|c| c.removed.binary_search(x).is_ok())).count() as u64;
    (items, resurrected)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn content(items: &[u64], removed: &[u64]) -> Provenance {
        Provenance { items: items.to_vec(), removed: removed.to_vec(), ..Provenance::default() }
    }

    #[test]
    fn union_counts_items_a_concurrent_branch_removed() {
        // Branch A kept items 1 and 2; branch B removed 2 and added 3.
        let (a, b) = (content(&[1, 2], &[]), content(&[1, 3], &[2]));
        let (items, resurrected) = union_items(&[&a, &b]);
        assert_eq!(items, vec![1, 2, 3]);
        assert_eq!(resurrected, 1, "item 2 comes back");
        assert_eq!(union_items(&[&b]), (vec![1, 3], 0));
    }

    #[test]
    fn key_sequence_numbers_count_per_key_from_zero() {
        let mut s = KeySeqs::default();
        assert_eq!((s.next(7), s.next(7), s.next(9), s.next(7)), (0, 1, 0, 2));
    }

    #[test]
    fn a_value_carries_its_provenance_and_compares_by_identity() {
        let p = Arc::new(Provenance {
            write: WriteId(5),
            seq: 2,
            past: [0, 1].into_iter().collect(),
            ..Provenance::default()
        });
        let v = p.into_value(10, false);
        assert_eq!(of(&v).map(|p| p.seq), Some(2));
        assert!(of(&v).is_some_and(|p| p.covers(0) && p.covers(2) && !p.descends(2) && !p.covers(3)));
        assert_eq!(v, Value::plain(WriteId(5), 10, false), "contents take no part in equality");
    }
}
