//! The versioned membership list and its reconciliation: per node, the entry with the higher
//! version (ties broken by [`MemberEntry::precedence`]). Merging is a join of a semilattice:
//! commutative, associative and idempotent, so views converge whatever the gossip order.

use super::gossip::{Delta, Digest, Request};
use super::{MemberEntry, NodeId};
use std::cmp::Ordering;
use std::collections::BTreeMap;

/// A membership list: at most one entry per node, keyed and iterated in node order.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct MembershipList {
    entries: BTreeMap<NodeId, MemberEntry>,
}

impl MembershipList {
    /// An empty list.
    pub fn new() -> Self {
        Self::default()
    }

    /// The entry of `node`, if any.
    pub fn get(&self, node: NodeId) -> Option<&MemberEntry> {
        self.entries.get(&node)
    }

    /// All entries in node order.
    pub fn iter(&self) -> impl Iterator<Item = &MemberEntry> + '_ {
        self.entries.values()
    }

    /// The number of entries (tombstones included).
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether the list has no entry.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Merges one entry; returns whether the list changed.
    pub fn merge_entry(&mut self, entry: MemberEntry) -> bool {
        match self.entries.get_mut(&entry.node()) {
            Some(held) if entry.precedence(held) == Ordering::Greater => {
                *held = entry;
                true
            }
            Some(_) => false,
            None => {
                self.entries.insert(entry.node(), entry);
                true
            }
        }
    }

    /// Reconciles with `other` in place (per node, the higher entry); returns whether it changed.
    pub fn merge(&mut self, other: &MembershipList) -> bool {
        let mut changed = false;
        for e in other.iter() {
            changed |= self.merge_entry(*e);
        }
        changed
    }

    /// The reconciliation of two lists, as a new list.
    pub fn merged(&self, other: &MembershipList) -> MembershipList {
        let mut out = self.clone();
        out.merge(other);
        out
    }

    /// Per node, the version held.
    pub fn digest(&self) -> Digest {
        Digest { versions: self.iter().map(|e| (e.node(), e.version)).collect() }
    }

    /// Compares with a peer's digest: the entries the peer lacks or holds older (a [`Delta`] for
    /// it), and the nodes whose entries the peer holds newer or this list lacks (a [`Request`]).
    ///
    /// Versions are compared alone; two different entries with one version (only possible after
    /// a lost counter) are not repaired by digests, which is why the counter is persisted.
    pub fn compare(&self, digest: &Digest) -> (Delta, Request) {
        let theirs: BTreeMap<NodeId, _> = digest.versions.iter().copied().collect();
        let delta = self.iter().filter(|e| theirs.get(&e.node()).is_none_or(|v| *v < e.version)).copied().collect();
        let wanted = theirs.iter().filter(|&(n, v)| self.get(*n).is_none_or(|e| e.version < *v)).map(|(n, _)| *n);
        (Delta { entries: delta }, Request { nodes: wanted.collect() })
    }

    /// The entries a [`Request`] asks for that this list holds.
    pub fn entries_for(&self, request: &Request) -> Delta {
        Delta { entries: request.nodes.iter().filter_map(|n| self.get(*n)).copied().collect() }
    }

    /// Merges every entry of a delta; returns whether the list changed.
    pub fn apply(&mut self, delta: &Delta) -> bool {
        let mut changed = false;
        for e in &delta.entries {
            changed |= self.merge_entry(*e);
        }
        changed
    }
}

impl FromIterator<MemberEntry> for MembershipList {
    fn from_iter<I: IntoIterator<Item = MemberEntry>>(iter: I) -> Self {
        let mut list = MembershipList::new();
        for e in iter {
            list.merge_entry(e);
        }
        list
    }
}
