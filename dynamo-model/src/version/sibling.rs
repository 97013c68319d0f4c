//! One sibling: a version of a key's value with its causal metadata, and the relation that
//! syntactic reconciliation uses to drop it ("supersedes").

use super::digest::Fnv1a;
use super::{Dot, DottedVersion, LwwStamp, Value, VectorClock, WriteId};

/// The causal metadata of a sibling; its variant is fixed by the run's [`super::VersioningMode`].
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum CausalMeta {
    /// Vector-clock mode: the version's (possibly truncated) vector clock.
    Clock(VectorClock),
    /// DVV mode: the version's dot and causal past.
    Dotted(DottedVersion),
    /// LWW mode: the coordinator's timestamp.
    Stamp(LwwStamp),
}

/// One version of a key's value, concurrent with the other siblings of its [`super::Versions`].
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Sibling {
    pub(super) value: Value,
    pub(super) meta: CausalMeta,
}

impl Sibling {
    pub(super) fn new(value: Value, meta: CausalMeta) -> Self {
        Sibling { value, meta }
    }

    /// The object this version holds.
    pub fn value(&self) -> &Value {
        &self.value
    }

    /// The ground-truth identity of the put that wrote this version.
    pub fn write_id(&self) -> WriteId {
        self.value.write_id
    }

    /// The causal metadata.
    pub fn meta(&self) -> &CausalMeta {
        &self.meta
    }

    /// The vector clock, in vector-clock mode.
    pub fn clock(&self) -> Option<&VectorClock> {
        match &self.meta {
            CausalMeta::Clock(clock) => Some(clock),
            _ => None,
        }
    }

    /// The dot and causal past, in DVV mode.
    pub fn dotted(&self) -> Option<&DottedVersion> {
        match &self.meta {
            CausalMeta::Dotted(dotted) => Some(dotted),
            _ => None,
        }
    }

    /// The timestamp, in LWW mode.
    pub fn stamp(&self) -> Option<LwwStamp> {
        match &self.meta {
            CausalMeta::Stamp(stamp) => Some(*stamp),
            _ => None,
        }
    }

    /// The number of `(node, counter)` entries of metadata this version carries: the clock's
    /// length; the past's length plus one for the dot; 0 for LWW.
    pub fn clock_len(&self) -> usize {
        match &self.meta {
            CausalMeta::Clock(clock) => clock.len(),
            CausalMeta::Dotted(dotted) => dotted.past.len() + 1,
            CausalMeta::Stamp(_) => 0,
        }
    }

    /// Whether syntactic reconciliation drops `other` in favour of `self`: `self`'s clock strictly
    /// dominates; `self`'s past covers `other`'s dot; or `self` has the higher LWW rank. A strict
    /// partial order (on DVVs, for the sets real executions produce). False across modes.
    pub fn supersedes(&self, other: &Sibling) -> bool {
        match (&self.meta, &other.meta) {
            (CausalMeta::Clock(mine), CausalMeta::Clock(theirs)) => mine.dominates(theirs),
            (CausalMeta::Dotted(mine), CausalMeta::Dotted(theirs)) => {
                mine.dot != theirs.dot && mine.has_seen(theirs.dot)
            }
            (CausalMeta::Stamp(mine), CausalMeta::Stamp(theirs)) => {
                let (a, b) = (mine.rank(self.write_id()), theirs.rank(other.write_id()));
                if crate::mutation::active(crate::mutation::Mutation::LwwKeepsOlderStamp) { a < b } else { a > b }
            }
            _ => {
                debug_assert!(false, "siblings of different versioning modes in one key");
                false
            }
        }
    }

    /// The dot, in DVV mode.
    pub(super) fn dot(&self) -> Option<Dot> {
        self.dotted().map(|d| d.dot)
    }

    /// Feeds the value and the causal metadata to a digest, in a fixed order.
    pub(super) fn hash_into(&self, h: &mut Fnv1a) {
        let v = &self.value;
        h.write_u64(v.write_id.0);
        h.write_u64(u64::from(v.size_bytes));
        h.write_u64(u64::from(v.tombstone));
        match &self.meta {
            CausalMeta::Clock(clock) => hash_clock(h, 1, clock),
            CausalMeta::Dotted(dotted) => {
                h.write_u64(2);
                h.write_u64(u64::from(dotted.dot.node.0));
                h.write_u64(dotted.dot.counter);
                hash_clock(h, 2, &dotted.past);
            }
            CausalMeta::Stamp(stamp) => {
                h.write_u64(3);
                h.write_u64(stamp.timestamp_ns);
                h.write_u64(u64::from(stamp.coordinator.0));
            }
        }
    }
}

fn hash_clock(h: &mut Fnv1a, tag: u64, clock: &VectorClock) {
    h.write_u64(tag);
    h.write_u64(clock.len() as u64);
    for e in clock.entries() {
        h.write_u64(u64::from(e.node.0));
        h.write_u64(e.counter);
        h.write_u64(e.timestamp_ns);
    }
}
