//! Which actor a coordinator stamps new versions with, so that no actor ever issues the same
//! counter twice for a key.
//!
//! A vector-clock entry (or DVV dot) `(actor, c)` claims "this version has seen the actor's
//! first c events on this key". A coordinator derives c from the versions it holds, so a node
//! that forgot versions it once stamped would reuse a counter, and its new version would
//! silently dominate (and erase) one it never saw. Nodes forget in three ways: a substitute
//! deletes its hint after handoff, a wipe loses everything, and a proxy's stamping memory is
//! volatile. Like Riak's vnode epochs, the fix is a fresh actor whenever forgetting is possible:
//!
//! - a top-N replica stamps with its *primary* actor `(node, primary epoch)`;
//! - a substitute (a hinted coordinator) stamps with a substitute actor of its own that its
//!   hints for the key still show, or a brand-new one; once a hint is handed off and deleted,
//!   every own actor it held is *retired for that key* and never stamps it again (other keys,
//!   whose versions the node still holds, keep using it);
//! - a node whose disk holds no epoch record (first boot, or a wipe) draws a random primary
//!   epoch, and a proxy draws one at every boot.
//!
//! An actor id packs the node into the low [`NODE_BITS`] bits and the epoch above them.

use crate::NodeId;
use crate::msg::{Host, Key, StoreKey, StoreRecord};
use crate::version::Versions;
use sim_core::Ctx;
use std::collections::{BTreeMap, BTreeSet};

/// Bits of an actor id that hold the node number; clusters are limited to `2^NODE_BITS` nodes.
pub const NODE_BITS: u32 = 12;
/// The largest cluster whose actor ids are unambiguous.
pub const MAX_NODES: usize = 1 << NODE_BITS;
const EPOCH_RANGE: u64 = 1 << (32 - NODE_BITS);

/// The actor id of `node` in `epoch`.
pub fn actor(node: NodeId, epoch: u32) -> NodeId {
    debug_assert!((node.0 as usize) < MAX_NODES, "node id does not fit an actor id");
    NodeId(node.0 | (epoch << NODE_BITS))
}

/// The node an actor id belongs to.
pub fn node_of(actor: NodeId) -> NodeId {
    NodeId(actor.0 & ((1 << NODE_BITS) - 1))
}

/// A node's stamping epochs.
#[derive(Clone, Debug)]
pub struct Stamper {
    node: NodeId,
    primary: u32,
    next_substitute: u32,
    /// Retired substitute actors per key, as read from disk so far (a cache).
    retired: BTreeMap<Key, BTreeSet<NodeId>>,
}

impl Stamper {
    /// Reads the node's epochs from its disk, or draws fresh ones (first boot, after a wipe, or
    /// always when `volatile` — a proxy that keeps its stamping memory only in RAM).
    pub fn boot<P: Host>(ctx: &mut Ctx<'_, P>, volatile: bool) -> Stamper {
        let node = ctx.me();
        if !volatile
            && let Ok(Some(StoreRecord::Epochs { primary, next_substitute })) = ctx.disk_read(&StoreKey::Epochs)
        {
            return Stamper { node, primary, next_substitute, retired: BTreeMap::new() };
        }
        // Primary epochs in the lower half of the range, substitute epochs in the upper half.
        let half = EPOCH_RANGE / 2;
        let primary = 1 + ctx.rng().below(half - 1) as u32;
        let next_substitute = (half + ctx.rng().below(half / 2)) as u32;
        let s = Stamper { node, primary, next_substitute, retired: BTreeMap::new() };
        s.persist(ctx);
        s
    }

    /// The actor a top-N replica stamps with.
    pub fn primary(&self) -> NodeId {
        actor(self.node, self.primary)
    }

    /// The actor a substitute stamps `key` with, given everything it holds for the key: the
    /// latest own substitute actor those versions show that is not retired for the key, or a
    /// fresh one.
    pub fn substitute<P: Host>(&mut self, ctx: &mut Ctx<'_, P>, key: Key, held: &Versions) -> NodeId {
        let retired = self.retired_for(ctx, key).clone();
        let primary = self.primary();
        let reusable = actors_in(held)
            .into_iter()
            .filter(|a| node_of(*a) == self.node && *a != primary && !retired.contains(a))
            .max();
        match reusable {
            Some(a) => a,
            None => self.fresh(ctx),
        }
    }

    /// Retires, for `key`, every own substitute actor in versions this node is about to forget.
    pub fn retire<P: Host>(&mut self, ctx: &mut Ctx<'_, P>, key: Key, forgotten: &Versions) {
        let (node, primary) = (self.node, self.primary());
        let mine: Vec<NodeId> =
            actors_in(forgotten).into_iter().filter(|a| node_of(*a) == node && *a != primary).collect();
        let set = self.retired_for(ctx, key);
        let before = set.len();
        set.extend(mine);
        if set.len() != before {
            let rec = StoreRecord::Retired(set.iter().copied().collect());
            let bytes = 8 + 4 * set.len() as u64;
            if ctx.disk_write(StoreKey::Retired(key), rec, bytes).is_ok() {
                ctx.disk_fsync();
            }
        }
    }

    /// The actors retired for `key`, read from disk on first use.
    fn retired_for<P: Host>(&mut self, ctx: &mut Ctx<'_, P>, key: Key) -> &mut BTreeSet<NodeId> {
        self.retired.entry(key).or_insert_with(|| match ctx.disk_read(&StoreKey::Retired(key)) {
            Ok(Some(StoreRecord::Retired(v))) => v.iter().copied().collect(),
            _ => BTreeSet::new(),
        })
    }

    /// A brand-new substitute actor (persisted before use).
    fn fresh<P: Host>(&mut self, ctx: &mut Ctx<'_, P>) -> NodeId {
        let e = self.next_substitute;
        let half = (EPOCH_RANGE / 2) as u32;
        self.next_substitute = if (e as u64) + 1 >= EPOCH_RANGE { half } else { e + 1 };
        self.persist(ctx);
        actor(self.node, e)
    }

    fn persist<P: Host>(&self, ctx: &mut Ctx<'_, P>) {
        let rec = StoreRecord::Epochs { primary: self.primary, next_substitute: self.next_substitute };
        if ctx.disk_write(StoreKey::Epochs, rec, 16).is_ok() {
            ctx.disk_fsync();
        }
    }
}

/// Every actor named in the versions' causal metadata.
pub fn actors_in(v: &Versions) -> Vec<NodeId> {
    let mut out = Vec::new();
    for s in v.siblings() {
        if let Some(c) = s.clock() {
            out.extend(c.entries().iter().map(|e| e.node));
        }
        if let Some(d) = s.dotted() {
            out.push(d.dot.node);
            out.extend(d.past.entries().iter().map(|e| e.node));
        }
    }
    out.sort_unstable();
    out.dedup();
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn actor_ids_round_trip_to_their_node() {
        let a = actor(NodeId(37), 12345);
        assert_eq!(node_of(a), NodeId(37));
        assert_ne!(a, actor(NodeId(37), 12346));
        assert_ne!(a, actor(NodeId(38), 12345));
    }
}
