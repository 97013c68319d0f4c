//! Vector clocks (Dynamo §4.4) and how a coordinator stamps a new version with one.
//!
//! A clock is a list of `(node, counter, timestamp)` entries sorted by node. The timestamp is the
//! node's local clock at its last increment of that entry, and only truncation reads it: when a
//! clock grows past the threshold ("say 10"), the entry with the oldest timestamp is dropped.
//!
//! What the paper leaves open, two writes coordinated concurrently by the same node, follows
//! Riak 1.0's vnode version vectors. The coordinator folds its own stored clocks into the new
//! clock, so its counter is always fresh. The local siblings the client's context did not cover are
//! restamped with the new clock and kept, so no write is lost. They stay siblings even when the
//! client read some of them: this is the false concurrency that dotted version vectors remove.

use std::fmt;

use super::versions::Replicate;
use super::{CausalMeta, Context, Sibling, Value};
use crate::NodeId;

/// One `(node, counter, timestamp)` pair of a vector clock.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ClockEntry {
    /// The node whose coordinated writes this entry counts.
    pub node: NodeId,
    /// How many writes `node` has coordinated in this clock's history. Never zero.
    pub counter: u64,
    /// `node`'s local clock, in nanoseconds, when it last incremented this entry.
    pub timestamp_ns: u64,
}

/// A vector clock: entries sorted by node, one per node, counters above zero.
#[derive(Clone, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct VectorClock {
    entries: Vec<ClockEntry>,
}

impl VectorClock {
    /// The empty clock, which every clock descends.
    pub const fn new() -> Self {
        VectorClock { entries: Vec::new() }
    }

    /// A clock holding these entries. Entries for the same node are merged (the highest counter
    /// wins) and zero counters are dropped, so any input gives a well-formed clock.
    pub fn from_entries(entries: impl IntoIterator<Item = ClockEntry>) -> Self {
        let mut clock = VectorClock::new();
        for entry in entries.into_iter().filter(|e| e.counter > 0) {
            clock.merge_entry(entry);
        }
        clock
    }

    /// The entries, sorted by node.
    pub fn entries(&self) -> &[ClockEntry] {
        &self.entries
    }

    /// The number of entries (the clock's size, which truncation bounds).
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether the clock has no entry.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// The counter of `node`, 0 if the clock has no entry for it.
    pub fn counter(&self, node: NodeId) -> u64 {
        self.find(node).map_or(0, |i| self.entries[i].counter)
    }

    /// Counts one more write coordinated by `node`, at `node`'s local time `now_ns`.
    pub fn increment(&mut self, node: NodeId, now_ns: u64) {
        match self.find(node) {
            Ok(i) => {
                let entry = &mut self.entries[i];
                entry.counter += 1;
                entry.timestamp_ns = now_ns;
            }
            Err(i) => self.entries.insert(i, ClockEntry { node, counter: 1, timestamp_ns: now_ns }),
        }
    }

    /// Whether this clock has seen everything `other` has: every counter of `other` is at most
    /// its counterpart here. Reflexive; timestamps are ignored.
    pub fn descends(&self, other: &VectorClock) -> bool {
        let mut mine = self.entries.iter().peekable();
        other.entries.iter().all(|theirs| {
            while mine.next_if(|e| e.node < theirs.node).is_some() {}
            mine.peek().is_some_and(|e| e.node == theirs.node && e.counter >= theirs.counter)
        })
    }

    /// Whether this clock strictly descends `other`: a version with this clock supersedes one
    /// with `other` under syntactic reconciliation.
    pub fn dominates(&self, other: &VectorClock) -> bool {
        self.descends(other) && !other.descends(self)
    }

    /// Whether neither clock descends the other: the versions conflict.
    pub fn concurrent(&self, other: &VectorClock) -> bool {
        !self.descends(other) && !other.descends(self)
    }

    /// Whether both clocks have the same counters (timestamps may differ).
    pub fn same_counters(&self, other: &VectorClock) -> bool {
        self.len() == other.len()
            && self.entries.iter().zip(&other.entries).all(|(a, b)| a.node == b.node && a.counter == b.counter)
    }

    /// Pointwise maximum of the counters. Each timestamp follows its maximum counter (the later
    /// timestamp on a tie), so merge is commutative, associative and idempotent.
    pub fn merge(&mut self, other: &VectorClock) {
        if other.entries.is_empty() {
            return;
        }
        let mut merged = Vec::with_capacity(self.entries.len() + other.entries.len());
        let mut theirs = other.entries.iter().peekable();
        for mine in &self.entries {
            while let Some(&t) = theirs.next_if(|t| t.node < mine.node) {
                merged.push(t);
            }
            match theirs.next_if(|t| t.node == mine.node) {
                Some(t) => merged.push(later(*mine, *t)),
                None => merged.push(*mine),
            }
        }
        merged.extend(theirs);
        if crate::mutation::active(crate::mutation::Mutation::MergeDropsEntry) && merged.len() > 1 {
            merged.remove(0);
        }
        self.entries = merged;
    }

    /// Drops the oldest-timestamp entries (ties: the lower node id first) until at most
    /// `threshold` remain. Returns how many were dropped.
    pub fn truncate(&mut self, threshold: usize) -> usize {
        self.prune(threshold, None)
    }

    /// Like [`VectorClock::truncate`], but never drops `keep`'s entry. A coordinator keeps the
    /// entry it just incremented, so under clock skew a new version is never born older than one
    /// it did not see. With `threshold == 0` the kept entry stays alone.
    pub fn truncate_keeping(&mut self, threshold: usize, keep: NodeId) -> usize {
        self.prune(threshold, Some(keep))
    }

    fn prune(&mut self, threshold: usize, keep: Option<NodeId>) -> usize {
        let mut dropped = 0;
        while self.entries.len() > threshold {
            let oldest = self
                .entries
                .iter()
                .enumerate()
                .filter(|(_, e)| Some(e.node) != keep)
                .min_by_key(|(_, e)| (e.timestamp_ns, e.node))
                .map(|(i, _)| i);
            let Some(i) = oldest else { break };
            self.entries.remove(i);
            dropped += 1;
        }
        dropped
    }

    fn find(&self, node: NodeId) -> Result<usize, usize> {
        self.entries.binary_search_by_key(&node, |e| e.node)
    }

    /// Merges one entry: the clock's counter for `entry.node` becomes at least `entry.counter`.
    pub fn merge_entry(&mut self, entry: ClockEntry) {
        match self.find(entry.node) {
            Ok(i) => self.entries[i] = later(self.entries[i], entry),
            Err(i) => self.entries.insert(i, entry),
        }
    }
}

/// Of two entries for the same node, the one with the higher counter (then later timestamp).
fn later(a: ClockEntry, b: ClockEntry) -> ClockEntry {
    debug_assert_eq!(a.node, b.node);
    if (b.counter, b.timestamp_ns) > (a.counter, a.timestamp_ns) { b } else { a }
}

impl fmt::Display for VectorClock {
    /// The paper's notation: `[(p1,2),(p2,1)]`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[")?;
        for (i, e) in self.entries.iter().enumerate() {
            let sep = if i == 0 { "" } else { "," };
            write!(f, "{sep}({},{})", e.node, e.counter)?;
        }
        f.write_str("]")
    }
}

/// Vector-clock coordination of a put, applied to the coordinator's stored `siblings`.
///
/// The new clock is the context merged with every stored clock, incremented at `coordinator`
/// with timestamp `now_ns`, then truncated to `threshold` entries (never dropping the
/// coordinator's). Stored siblings the context covers are replaced; the others are restamped with
/// the new clock and kept. The whole new set must be replicated: the restamped siblings travel
/// with the new version, or replicas holding their old stamps would drop them.
pub(super) fn coordinate(
    siblings: &mut Vec<Sibling>,
    ctx: &Context,
    coordinator: NodeId,
    now_ns: u64,
    value: Value,
    threshold: usize,
) -> Replicate {
    let clock = new_clock(siblings, ctx, coordinator, now_ns, threshold);
    siblings.retain(|s| !ctx.dominates(s));
    for sibling in siblings.iter_mut() {
        sibling.meta = CausalMeta::Clock(clock.clone());
    }
    siblings.push(Sibling::new(value, CausalMeta::Clock(clock)));
    Replicate::WholeSet
}

fn new_clock(siblings: &[Sibling], ctx: &Context, coordinator: NodeId, now_ns: u64, threshold: usize) -> VectorClock {
    let mut clock = ctx.clock().clone();
    for stored in siblings.iter().filter_map(Sibling::clock) {
        clock.merge(stored);
    }
    clock.increment(coordinator, now_ns);
    clock.truncate_keeping(threshold, coordinator);
    // The clock is stored with the version for as long as the key lives: no spare room.
    clock.entries.shrink_to_fit();
    clock
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const SX: NodeId = NodeId(1);
    const SY: NodeId = NodeId(2);
    const SZ: NodeId = NodeId(3);

    fn counters(clock: &VectorClock) -> Vec<(NodeId, u64)> {
        clock.entries().iter().map(|e| (e.node, e.counter)).collect()
    }

    fn entry(node: u32, counter: u64, timestamp_ns: u64) -> ClockEntry {
        ClockEntry { node: NodeId(node), counter, timestamp_ns }
    }

    #[test]
    fn figure_3_clocks() {
        let mut d1 = VectorClock::new();
        d1.increment(SX, 10);
        assert_eq!(counters(&d1), [(SX, 1)]);
        let mut d2 = d1.clone();
        d2.increment(SX, 20);
        assert_eq!(counters(&d2), [(SX, 2)]);
        let mut d3 = d2.clone();
        d3.increment(SY, 30);
        let mut d4 = d2.clone();
        d4.increment(SZ, 31);
        assert_eq!(counters(&d3), [(SX, 2), (SY, 1)]);
        assert_eq!(counters(&d4), [(SX, 2), (SZ, 1)]);
        assert!(d3.dominates(&d2) && d4.dominates(&d1));
        assert!(d3.concurrent(&d4));
        let mut d5 = d3.clone();
        d5.merge(&d4);
        d5.increment(SX, 40);
        assert_eq!(counters(&d5), [(SX, 3), (SY, 1), (SZ, 1)]);
        assert!(d5.dominates(&d3) && d5.dominates(&d4));
        assert_eq!(d5.to_string(), "[(p1,3),(p2,1),(p3,1)]");
    }

    #[test]
    fn increment_records_the_nodes_time() {
        let mut c = VectorClock::new();
        c.increment(SY, 5);
        c.increment(SX, 7);
        c.increment(SY, 9);
        assert_eq!(c.entries(), [entry(1, 1, 7), entry(2, 2, 9)]);
    }

    #[test]
    fn from_entries_sorts_and_merges() {
        let c = VectorClock::from_entries([entry(3, 1, 5), entry(1, 2, 1), entry(3, 4, 2), entry(2, 0, 9)]);
        assert_eq!(c.entries(), [entry(1, 2, 1), entry(3, 4, 2)]);
    }

    #[test]
    fn truncation_drops_the_oldest_timestamp_then_lowest_node() {
        let mut c = VectorClock::from_entries([entry(1, 5, 300), entry(2, 1, 100), entry(3, 1, 100), entry(4, 2, 200)]);
        assert_eq!(c.truncate(2), 2);
        assert_eq!(c.entries(), [entry(1, 5, 300), entry(4, 2, 200)]);
        assert_eq!(c.truncate_keeping(0, NodeId(4)), 1);
        assert_eq!(c.entries(), [entry(4, 2, 200)]);
    }

    #[test]
    fn truncation_can_create_a_spurious_conflict() {
        // b truly descends a, but the entry that proves it is b's oldest.
        let a = VectorClock::from_entries([entry(1, 1, 10)]);
        let mut b = VectorClock::from_entries([entry(1, 1, 10), entry(2, 1, 20), entry(3, 1, 30)]);
        assert!(b.dominates(&a));
        b.truncate(2);
        assert!(b.concurrent(&a), "a spurious conflict: {b} vs {a}");
    }

    fn arb_entry(nodes: u32) -> impl Strategy<Value = ClockEntry> {
        (0..nodes, 1u64..6, 0u64..40).prop_map(|(n, c, t)| entry(n, c, t))
    }

    fn arb_clock() -> impl Strategy<Value = VectorClock> {
        prop::collection::vec(arb_entry(6), 0..7).prop_map(VectorClock::from_entries)
    }

    fn merged(a: &VectorClock, b: &VectorClock) -> VectorClock {
        let mut m = a.clone();
        m.merge(b);
        m
    }

    proptest! {
        #[test]
        fn merge_is_commutative_associative_idempotent(a in arb_clock(), b in arb_clock(), c in arb_clock()) {
            prop_assert_eq!(merged(&a, &b), merged(&b, &a));
            prop_assert_eq!(merged(&merged(&a, &b), &c), merged(&a, &merged(&b, &c)));
            prop_assert_eq!(merged(&a, &a), a.clone());
        }

        #[test]
        fn merge_descends_both_and_is_the_least_such(a in arb_clock(), b in arb_clock(), c in arb_clock()) {
            let m = merged(&a, &b);
            prop_assert!(m.descends(&a) && m.descends(&b));
            if c.descends(&a) && c.descends(&b) {
                prop_assert!(c.descends(&m));
            }
        }

        #[test]
        fn descends_is_a_partial_order(a in arb_clock(), b in arb_clock(), c in arb_clock()) {
            prop_assert!(a.descends(&a));
            if a.descends(&b) && b.descends(&a) {
                prop_assert!(a.same_counters(&b));
            }
            if a.descends(&b) && b.descends(&c) {
                prop_assert!(a.descends(&c));
            }
            prop_assert!(!(a.dominates(&b) && b.dominates(&a)));
            prop_assert_eq!(a.concurrent(&b), !a.descends(&b) && !b.descends(&a));
        }

        #[test]
        fn descends_matches_pointwise_definition(a in arb_clock(), b in arb_clock()) {
            let pointwise = b.entries().iter().all(|e| a.counter(e.node) >= e.counter);
            prop_assert_eq!(a.descends(&b), pointwise);
        }

        /// Truncation only lowers counters, so the truncated clock `t` is an ancestor of the full
        /// clock `c`. Hence `t` never claims history `c` lacked: if `t` descends `x` then `c` did.
        /// A real conflict is therefore never turned into "t is newer than x". The other
        /// direction is not free: `x` may come to descend `t` (the spurious conflict's mirror,
        /// which could silently drop `t`), unless `t` keeps an entry `x` is behind on.
        #[test]
        fn truncation_bounds_length_and_only_forgets(c in arb_clock(), x in arb_clock(), k in 0usize..6) {
            let mut t = c.clone();
            let dropped = t.truncate(k);
            prop_assert!(t.len() <= k);
            prop_assert_eq!(dropped, c.len() - t.len());
            prop_assert!(c.descends(&t));
            if t.descends(&x) {
                prop_assert!(c.descends(&x));
            }
            if x.descends(&c) {
                prop_assert!(x.descends(&t));
            }
        }

        /// The coordinator's use: the new clock's own entry is fresh (ahead of every other
        /// clock's entry for the coordinator) and is kept. Then no other clock can descend the
        /// truncated clock, so a real conflict stays a conflict in both directions.
        #[test]
        fn truncation_keeping_a_fresh_entry_never_hides_a_conflict(
            base in arb_clock(), x in arb_clock(), k in 0usize..6, now in 0u64..40,
        ) {
            let coordinator = NodeId(7);
            let mut c = base.clone();
            c.increment(coordinator, now);
            prop_assume!(c.counter(coordinator) > x.counter(coordinator));
            let mut t = c.clone();
            t.truncate_keeping(k, coordinator);
            prop_assert!(t.len() <= k.max(1));
            prop_assert_eq!(t.counter(coordinator), c.counter(coordinator));
            prop_assert!(!x.descends(&t));
            if c.concurrent(&x) {
                prop_assert!(t.concurrent(&x));
            }
        }

        #[test]
        fn truncation_is_deterministic(entries in prop::collection::vec(arb_entry(8), 0..9), k in 0usize..5) {
            let mut forward = VectorClock::from_entries(entries.iter().copied());
            let mut backward = VectorClock::from_entries(entries.iter().rev().copied());
            forward.truncate(k);
            backward.truncate(k);
            prop_assert_eq!(forward, backward);
        }
    }
}
