//! Last write wins (Cassandra; Riak's `last_write_wins`): a version is stamped with its
//! coordinator's local clock, and the highest stamp wins.
//!
//! A set holds at most one sibling, and contexts are ignored. Nothing tracks causality, so a write
//! coordinated by a node whose clock runs behind loses to an older write: a lost update. Jepsen
//! measured 30–70% of writes lost this way in Riak.

use super::versions::Replicate;
use super::{CausalMeta, Sibling, Value, WriteId};
use crate::NodeId;

/// A sibling's LWW metadata: when, by its coordinator's local clock, and where it was written.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct LwwStamp {
    /// The coordinator's local clock at the put, in nanoseconds (skewed clocks included).
    pub timestamp_ns: u64,
    /// The coordinator, which breaks timestamp ties (the higher id wins).
    pub coordinator: NodeId,
}

impl LwwStamp {
    /// The order in which versions win: timestamp, then coordinator id, then write id.
    pub fn rank(self, write_id: WriteId) -> (u64, NodeId, WriteId) {
        (self.timestamp_ns, self.coordinator, write_id)
    }
}

/// LWW coordination of a put: stamps the value with `now_ns` and `coordinator` and adds it to the
/// stored siblings (the caller's reconciliation keeps the winner, which may be the stored
/// version). Only the new version is replicated.
pub(super) fn coordinate(siblings: &mut Vec<Sibling>, coordinator: NodeId, now_ns: u64, value: Value) -> Replicate {
    let stamp = LwwStamp { timestamp_ns: now_ns, coordinator };
    let version = Sibling::new(value, CausalMeta::Stamp(stamp));
    siblings.push(version.clone());
    Replicate::NewVersion(version)
}

#[cfg(test)]
mod tests {
    use super::super::testkit::{Cluster, arb_steps};
    use super::super::{Context, VersioningMode, Versions};
    use super::*;
    use proptest::prelude::*;

    const MODE: VersioningMode = VersioningMode::Lww;
    const A: NodeId = NodeId(1);
    const B: NodeId = NodeId(2);

    fn value(id: u64) -> Value {
        Value::plain(WriteId(id), 10, false)
    }

    fn ids(versions: &Versions) -> Vec<u64> {
        versions.write_ids().into_iter().map(|w| w.0).collect()
    }

    /// A writes W1 at its local 10 s. A client reads W1 and writes W2 through B, whose clock is
    /// 2 s behind (8.5 s on B while 10.5 s on A). W2 causally follows W1, yet W1 wins everywhere.
    #[test]
    fn a_write_through_a_lagging_clock_is_lost() {
        let (mut a, mut b) = (Versions::new(), Versions::new());
        let to_b = a.coordinate_put(MODE, &Context::empty(), A, 10_000_000_000, value(1));
        let ctx = a.context();
        assert!(ctx.is_empty());
        let to_a = b.coordinate_put(MODE, &ctx, B, 8_500_000_000, value(2));
        assert_eq!(ids(&b), [2]);
        b.merge(&to_b);
        a.merge(&to_a);
        assert_eq!((ids(&a), ids(&b)), (vec![1], vec![1]));
        assert_eq!(a, b);
    }

    #[test]
    fn the_stored_winner_stays_when_the_new_write_is_older() {
        let mut a = Versions::new();
        a.coordinate_put(MODE, &Context::empty(), A, 500, value(1));
        let update = a.coordinate_put(MODE, &Context::empty(), A, 400, value(2));
        assert_eq!(ids(&a), [1]);
        assert_eq!(ids(&update), [2], "the losing write still ships: replicas may adopt it until repair");
    }

    #[test]
    fn ties_go_to_the_higher_coordinator_then_the_higher_write() {
        let mut by_node = Versions::new();
        by_node.coordinate_put(MODE, &Context::empty(), B, 100, value(1));
        by_node.coordinate_put(MODE, &Context::empty(), A, 100, value(2));
        assert_eq!(ids(&by_node), [1]);
        let mut by_write = Versions::new();
        by_write.coordinate_put(MODE, &Context::empty(), A, 100, value(4));
        by_write.coordinate_put(MODE, &Context::empty(), A, 100, value(3));
        assert_eq!(ids(&by_write), [4]);
    }

    proptest! {
        /// Whatever the interleaving, every set holds at most one version, and once everything is
        /// merged the survivor is the write with the highest stamp, not the causally last one.
        #[test]
        fn one_version_and_the_highest_stamp_wins(clients in 1usize..5, steps in arb_steps(100)) {
            let mut cluster = Cluster::new(MODE, 3, clients, false);
            for step in steps {
                cluster.apply(step);
                prop_assert!(cluster.max_siblings() <= 1);
            }
            let rank = |s: &Sibling| s.stamp().map(|t| t.rank(s.write_id()));
            let highest = cluster.all_writes().iter().max_by_key(|s| rank(s));
            let merged = cluster.everything_merged();
            prop_assert_eq!(merged.siblings().first(), highest);
        }
    }
}
