//! Dotted version vectors (Preguiça, Almeida et al.; Riak 2.0's DVVSet semantics): each sibling
//! carries the one event that created it (its dot) and the causal past its writer had read.
//!
//! A sibling is superseded exactly when another sibling's past, or a put's context, covers its
//! dot. Siblings that share a coordinator no longer share a fate: a put discards the siblings its
//! writer read and keeps only the ones written concurrently. The sibling count is therefore bounded
//! by the number of truly concurrent writers (riak_cs#1006: 7 siblings for 7 writers, against 21
//! with vnode vector clocks).
//!
//! A context is a plain version vector, the join of every returned sibling's past and dot. It is
//! exact only if every set a replica holds accounts for every event at or below its join (as a
//! sibling, or inside some sibling's past). Sets therefore always travel whole: a coordinator
//! replicates its whole new set, never the new version alone.

use super::versions::Replicate;
use super::{CausalMeta, ClockEntry, Context, Sibling, Value, VectorClock};
use crate::NodeId;

/// One write event: the `counter`-th write `node` coordinated for the key.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Dot {
    /// The coordinator of the write.
    pub node: NodeId,
    /// Its per-key sequence number at `node`, from 1.
    pub counter: u64,
}

/// A sibling's DVV metadata: its dot and the causal past (the writer's context).
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct DottedVersion {
    /// The event that created this version.
    pub dot: Dot,
    /// Everything the writer had seen when it wrote: the context of its put.
    pub past: VectorClock,
}

impl DottedVersion {
    /// Whether this version's past includes `dot`: a version with `dot` is superseded by it.
    pub fn has_seen(&self, dot: Dot) -> bool {
        self.past.counter(dot.node) >= dot.counter
    }

    /// The highest counter of `node` in this version's history (past and dot).
    pub fn history_counter(&self, node: NodeId) -> u64 {
        let own = if self.dot.node == node { self.dot.counter } else { 0 };
        own.max(self.past.counter(node))
    }

    /// Adds this version's history (past and dot) to a version vector.
    pub fn add_history_to(&self, clock: &mut VectorClock) {
        clock.merge(&self.past);
        clock.merge_entry(ClockEntry { node: self.dot.node, counter: self.dot.counter, timestamp_ns: 0 });
    }
}

/// DVV coordination of a put, applied to the coordinator's stored `siblings`.
///
/// The new dot's counter is one above any counter of `coordinator` in the stored set or the
/// context, so dots are unique per key as long as the coordinator keeps the key's versions.
/// Stored siblings whose dot the context covers are discarded. The whole new set must be
/// replicated (see the module documentation).
pub(super) fn coordinate(siblings: &mut Vec<Sibling>, ctx: &Context, coordinator: NodeId, value: Value) -> Replicate {
    let stored = siblings.iter().filter_map(Sibling::dotted).map(|d| d.history_counter(coordinator));
    let counter = stored.chain([ctx.clock().counter(coordinator)]).max().unwrap_or(0) + 1;
    siblings.retain(|s| !ctx.dominates(s));
    let dot = Dot { node: coordinator, counter };
    let version = DottedVersion { dot, past: ctx.clock().clone() };
    siblings.push(Sibling::new(value, CausalMeta::Dotted(version)));
    Replicate::WholeSet
}

#[cfg(test)]
mod tests {
    use super::super::testkit::{Cluster, arb_steps};
    use super::super::{VersioningMode, Versions, WriteId};
    use super::*;
    use proptest::prelude::*;

    const VNODE: NodeId = NodeId(0);

    fn value(id: u64) -> Value {
        Value::plain(WriteId(id), 10, false)
    }

    fn ids(versions: &Versions) -> Vec<u64> {
        versions.write_ids().into_iter().map(|w| w.0).collect()
    }

    fn put(store: &mut Versions, mode: VersioningMode, ctx: &Context, id: u64) {
        store.coordinate_put(mode, ctx, VNODE, id * 1_000, value(id));
    }

    /// Riak's trace (RIAK blog part 2), one coordinating vnode. Bob writes blind; Rita reads
    /// Bob; Sue writes blind; Rita writes with the context of her read; Michelle writes blind.
    /// Rita saw Bob and replaces him; Sue, Rita and Michelle are truly concurrent.
    fn bob_sue_rita_michelle(mode: VersioningMode) -> Versions {
        let (bob, sue, rita, michelle) = (1, 2, 3, 4);
        let mut vnode = Versions::new();
        put(&mut vnode, mode, &Context::empty(), bob);
        let ritas_read = vnode.context();
        put(&mut vnode, mode, &Context::empty(), sue);
        put(&mut vnode, mode, &ritas_read, rita);
        put(&mut vnode, mode, &Context::empty(), michelle);
        vnode
    }

    #[test]
    fn riak_trace_dvv_replaces_bob_with_rita() {
        let vnode = bob_sue_rita_michelle(VersioningMode::Dvv);
        assert_eq!(ids(&vnode), [2, 3, 4]);
        let dots: Vec<u64> = vnode.siblings().iter().filter_map(|s| s.dotted()).map(|d| d.dot.counter).collect();
        assert_eq!(dots, [2, 3, 4]);
    }

    #[test]
    fn riak_trace_vnode_clocks_keep_bob_falsely_concurrent() {
        let vnode = bob_sue_rita_michelle(VersioningMode::default());
        assert_eq!(ids(&vnode), [1, 2, 3, 4]);
        let clocks: Vec<String> = vnode.siblings().iter().filter_map(|s| s.clock()).map(|c| c.to_string()).collect();
        assert_eq!(clocks, ["[(p0,4)]"; 4]);
    }

    /// riak_cs#1006 in miniature: two writers loop read-modify-write on one vnode, each write
    /// landing just after the other writer's. Vnode clocks never discard anything; DVV keeps one
    /// sibling per writer.
    fn ping_pong(mode: VersioningMode, rounds: u64) -> Versions {
        let mut vnode = Versions::new();
        let mut contexts = [Context::empty(), Context::empty()];
        for write in 0..2 * rounds {
            let writer = (write % 2) as usize;
            contexts[1 - writer] = vnode.context();
            put(&mut vnode, mode, &contexts[writer], write + 1);
        }
        vnode
    }

    #[test]
    fn sibling_explosion_under_vnode_clocks_but_not_dvv() {
        assert_eq!(ping_pong(VersioningMode::Dvv, 20).len(), 2);
        assert_eq!(ping_pong(VersioningMode::default(), 20).len(), 40);
    }

    #[test]
    fn dots_are_fresh_per_coordinator() {
        let mode = VersioningMode::Dvv;
        let mut a = Versions::new();
        a.coordinate_put(mode, &Context::empty(), NodeId(1), 0, value(1));
        a.coordinate_put(mode, &Context::empty(), NodeId(1), 0, value(2));
        let ctx = a.context();
        a.coordinate_put(mode, &ctx, NodeId(2), 0, value(3));
        assert_eq!(ids(&a), [3]);
        let version = a.siblings()[0].dotted().cloned();
        assert_eq!(
            version.map(|v| (v.dot, v.past.to_string())),
            Some((Dot { node: NodeId(2), counter: 1 }, "[(p1,2)]".into()))
        );
    }

    proptest! {
        /// k clients, each writing with the context of its own last read (read-modify-write),
        /// through its home replica, with replication delivered late, out of order or never, and
        /// random anti-entropy. No replica, message or read ever holds more than k siblings.
        #[test]
        fn dvv_never_exceeds_the_number_of_writers(
            k in 1usize..6, steps in arb_steps(120),
        ) {
            let mut cluster = Cluster::new(VersioningMode::Dvv, 3, k, true);
            for step in steps {
                cluster.apply(step);
                prop_assert!(cluster.max_siblings() <= k, "{} siblings with {} writers", cluster.max_siblings(), k);
            }
        }

        /// Once everything is merged, DVV keeps exactly the writes no other write saw: the maximal
        /// elements of the true causal order. Nothing lost, nothing falsely concurrent.
        #[test]
        fn dvv_siblings_are_exactly_the_concurrent_writes(
            clients in 1usize..5, rmw in any::<bool>(), steps in arb_steps(120),
        ) {
            let mut cluster = Cluster::new(VersioningMode::Dvv, 3, clients, rmw);
            for step in steps {
                cluster.apply(step);
            }
            prop_assert_eq!(cluster.everything_merged().write_ids(), cluster.true_frontier());
        }
    }
}
