//! Which actor a node stamps new versions with, so that no actor ever issues the same counter
//! twice for a key.
//!
//! A vector-clock entry (or DVV dot) `(actor, c)` claims "this version has seen the actor's
//! first c events on this key". A coordinator derives c from the versions it holds, so a node
//! that forgot versions it once stamped would reuse a counter, and its new version would carry
//! the clock of (or silently dominate) one it never saw. Like Riak's per-key actor epochs
//! (kv679), the fix is a fresh actor whenever the node may have forgotten:
//!
//! - a top-N replica stamps a key with its *main actor* for the key: the node's *primary* actor
//!   `(node, primary epoch)`, until the node loses what it stored for the key (a record found
//!   corrupt, a write or buffer flush the disk refused), after which the key gets a brand-new
//!   actor of its own, persisted before use ([`KeyActors`]);
//! - a substitute (a hinted coordinator) stamps a key with the key's *substitute actor*, drawn
//!   fresh on first use; once a hint of the key is handed off and deleted, or a hint record is
//!   lost, the substitute actor is dropped and the next hinted put draws a new one;
//! - a node whose disk holds no epoch record (first boot, or a wipe) draws a random primary
//!   epoch; a node that can lose versions it stamped in a crash (unsynced or buffered writes,
//!   or stamps kept only in memory: a proxy, a static quorum) moves to the next primary epoch at
//!   every restart, which also ends every per-key main actor drawn before.
//!
//! Fresh actors come from a per-node counter of substitute epochs persisted (and fsynced) before
//! use, so a fresh actor was never issued before. An actor id packs the node into the low
//! [`NODE_BITS`] bits and the epoch above them; primary epochs use the lower half of the epoch
//! range and fresh ones the upper half.

use crate::NodeId;
use crate::msg::{Host, Key, StoreKey, StoreRecord};
use crate::storage::Storage;
use sim_core::Ctx;
use std::collections::BTreeMap;

/// Bits of an actor id that hold the node number; clusters are limited to `2^NODE_BITS` nodes.
pub const NODE_BITS: u32 = 12;
/// The largest cluster whose actor ids are unambiguous.
pub const MAX_NODES: usize = 1 << NODE_BITS;
const EPOCH_RANGE: u64 = 1 << (32 - NODE_BITS);
/// Primary epochs are `1..HALF`, fresh (per-key) epochs `HALF..EPOCH_RANGE`.
const HALF: u32 = (EPOCH_RANGE / 2) as u32;

/// The actor id of `node` in `epoch`.
pub fn actor(node: NodeId, epoch: u32) -> NodeId {
    debug_assert!((node.0 as usize) < MAX_NODES, "node id does not fit an actor id");
    NodeId(node.0 | (epoch << NODE_BITS))
}

/// The node an actor id belongs to.
pub fn node_of(actor: NodeId) -> NodeId {
    NodeId(actor.0 & ((1 << NODE_BITS) - 1))
}

/// A key's own actors on one node where they differ from the defaults, persisted as
/// [`StoreRecord::KeyActors`] (a node keeps one only for keys it lost or holds hints of).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct KeyActors {
    /// The actor that replaces the primary for this key since the node lost what it stored for
    /// it, with the primary epoch it was drawn under (it ends when that epoch does).
    pub main: Option<(NodeId, u32)>,
    /// The actor the node stamps this key with as a substitute (a hinted coordinator).
    pub substitute: Option<NodeId>,
}

/// A node's stamping epochs and its per-key actors.
#[derive(Clone, Debug)]
pub struct Stamper {
    node: NodeId,
    primary: u32,
    next_fresh: u32,
    /// The keys whose actors differ from the defaults (read from disk at boot).
    keys: BTreeMap<Key, KeyActors>,
}

impl Stamper {
    /// Reads the node's epochs from its disk, or draws fresh ones (first boot, after a wipe).
    /// `volatile`: the node may have lost versions it stamped in the crash it restarts from
    /// (unsynced or buffered writes, or stamps kept only in memory), so it moves on to the next
    /// primary epoch. `keys` are the per-key actor records the boot scan found.
    pub fn boot<P: Host>(
        ctx: &mut Ctx<'_, P>,
        volatile: bool,
        keys: impl IntoIterator<Item = (Key, KeyActors)>,
    ) -> Stamper {
        let node = ctx.me();
        let keys = keys.into_iter().collect();
        if let Ok(Some(StoreRecord::Epochs { primary, next_substitute })) = ctx.disk_read(&StoreKey::Epochs) {
            let s = Stamper { node, primary, next_fresh: next_substitute, keys };
            if !volatile {
                return s;
            }
            let s = Stamper { primary: if primary + 1 >= HALF { 1 } else { primary + 1 }, ..s };
            s.persist(ctx);
            return s;
        }
        let primary = 1 + ctx.rng().below(u64::from(HALF) - 1) as u32;
        let next_fresh = (u64::from(HALF) + ctx.rng().below(u64::from(HALF) / 2)) as u32;
        let s = Stamper { node, primary, next_fresh, keys };
        s.persist(ctx);
        s
    }

    /// The node's primary actor (the main actor of every key it has not lost).
    pub fn primary(&self) -> NodeId {
        actor(self.node, self.primary)
    }

    /// The actor a top-N replica (or any coordinator storing in its main store) stamps `key`
    /// with: the key's own actor if the node lost the key in this primary epoch, else the
    /// primary.
    pub fn main(&self, key: Key) -> NodeId {
        match self.keys.get(&key).and_then(|k| k.main) {
            Some((a, under)) if under == self.primary => a,
            _ => self.primary(),
        }
    }

    /// The actor a substitute stamps `key` with: the key's substitute actor, drawn fresh (and
    /// persisted) on first use.
    pub fn substitute<P: Host>(&mut self, ctx: &mut Ctx<'_, P>, key: Key) -> NodeId {
        if let Some(a) = self.keys.get(&key).and_then(|k| k.substitute) {
            return a;
        }
        let a = self.fresh(ctx);
        self.update(ctx, key, |k| k.substitute = Some(a));
        a
    }

    /// A hint of `key` was handed off and deleted: the node forgets versions its substitute
    /// actor stamped, so the next hinted put of `key` draws a new one.
    pub fn handed_off<P: Host>(&mut self, ctx: &mut Ctx<'_, P>, key: Key) {
        if self.keys.get(&key).is_some_and(|k| k.substitute.is_some()) {
            self.update(ctx, key, |k| k.substitute = None);
        }
    }

    /// The node lost what it stored for `key` (main store or hints): both of the key's actors
    /// are replaced, the main one at once (persisted before use).
    pub fn lost<P: Host>(&mut self, ctx: &mut Ctx<'_, P>, key: Key) {
        let a = self.fresh(ctx);
        let primary = self.primary;
        self.update(ctx, key, |k| *k = KeyActors { main: Some((a, primary)), substitute: None });
    }

    /// Takes every key the storage engine lost since the last call and replaces its actors.
    pub fn absorb_losses<P: Host>(&mut self, ctx: &mut Ctx<'_, P>, storage: &mut Storage) {
        for key in storage.take_lost() {
            self.lost(ctx, key);
        }
    }

    /// Applies `change` to `key`'s actors and persists them (deleting the record once they are
    /// the defaults again).
    fn update<P: Host>(&mut self, ctx: &mut Ctx<'_, P>, key: Key, change: impl FnOnce(&mut KeyActors)) {
        let entry = self.keys.entry(key).or_default();
        change(entry);
        let actors = *entry;
        if actors == KeyActors::default() {
            self.keys.remove(&key);
            ctx.disk_delete(StoreKey::KeyActors(key));
            ctx.disk_fsync();
        } else if ctx.disk_write(StoreKey::KeyActors(key), StoreRecord::KeyActors(actors), 24).is_ok() {
            ctx.disk_fsync();
        }
    }

    /// A brand-new actor (its epoch persisted before use).
    fn fresh<P: Host>(&mut self, ctx: &mut Ctx<'_, P>) -> NodeId {
        let e = self.next_fresh;
        self.next_fresh = if (e as u64) + 1 >= EPOCH_RANGE { HALF } else { e + 1 };
        self.persist(ctx);
        actor(self.node, e)
    }

    fn persist<P: Host>(&self, ctx: &mut Ctx<'_, P>) {
        let rec = StoreRecord::Epochs { primary: self.primary, next_substitute: self.next_fresh };
        if ctx.disk_write(StoreKey::Epochs, rec, 16).is_ok() {
            ctx.disk_fsync();
        }
    }
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
