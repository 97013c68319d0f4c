//! The storage engine: a key's versions on the node's simulated disk, the §6.1 object buffer,
//! and the separate hint store of §4.6.
//!
//! Reads check the object buffer first, then the disk. A record that fails its checksum counts
//! as missing (the protocol repairs it: read repair, handoff or anti-entropy rewrites it). A
//! write merges the incoming versions with what is stored (syntactic reconciliation) and
//! writes the result: straight to disk (fsynced when `fsync_writes`), or into the volatile
//! buffer, flushed periodically or when full, unless the coordinator asked for a durable write.
//! A crash loses the buffer. Hints live under their own disk keys and an in-memory index that
//! is rebuilt from a disk scan when the node restarts. The engine remembers every key whose
//! versions it lost (a corrupt record, a refused write or flush) until the node's stamper takes
//! it ([`Storage::take_lost`]), so the node never stamps that key from a memory with holes.
//!
//! With anti-entropy on, the engine also keeps the node's Merkle trees ([`RangeTrees`]) equal to
//! what it serves: every store, buffer flush and detected corruption updates the key's leaf.

use crate::NodeId;
use crate::anti_entropy::RangeTrees;
use crate::config::StorageConfig;
use crate::counters::Counter;
use crate::membership::Persisted;
use crate::msg::{Host, Key, ModelNote, StoreKey, StoreRecord};
use crate::ring::{KeyRange, RingPos, key_position};
use crate::stamp::KeyActors;
use crate::version::Versions;
use sim_core::Ctx;
use sim_core::disk::DiskError;
use std::collections::{BTreeMap, BTreeSet};

/// One node's storage engine.
#[derive(Clone, Debug)]
pub struct Storage {
    cfg: StorageConfig,
    buffer: BTreeMap<Key, Versions>,
    /// The hints held, by intended node then key: the handoff scan's order.
    hints: BTreeSet<(NodeId, Key)>,
    /// The same hints by key then intended node, so a key's hints are found without a scan.
    /// Invariant: `hints_by_key` holds `(k, n)` exactly when `hints` holds `(n, k)`.
    hints_by_key: BTreeSet<(Key, NodeId)>,
    /// The anti-entropy Merkle trees of the main store, when anti-entropy is on.
    trees: Option<RangeTrees>,
    /// The last key whose ring position [`Storage::position`] computed, with that position.
    /// One entry: a request's routing and its local store (tree update) ask for the same key
    /// within one handler, so one MD5 serves both; nothing older is worth keeping.
    last_position: Option<(Key, RingPos)>,
    /// Keys whose stored versions (main store or hints) this engine lost since the node last
    /// took them ([`Storage::take_lost`]): a record found corrupt, a write or flush the disk
    /// refused. The node's stamper gives each a fresh actor (`stamp.rs`).
    lost: BTreeSet<Key>,
}

/// What a node finds on its disk at boot.
#[derive(Clone, Debug, Default)]
pub struct Recovered {
    /// The intact data records.
    pub data: Vec<(Key, Versions)>,
    /// The persisted membership entries.
    pub members: Vec<Persisted>,
    /// The per-key actor records of the node's stamper.
    pub key_actors: Vec<(Key, KeyActors)>,
}

/// Bytes a record of these versions takes on disk.
pub fn record_bytes(v: &Versions) -> u64 {
    v.payload_bytes() + v.siblings().iter().map(|s| 24 * s.clock_len() as u64 + 8).sum::<u64>() + 16
}

impl Storage {
    /// An engine with an empty buffer and hint index.
    pub fn new(cfg: StorageConfig) -> Self {
        Storage {
            cfg,
            buffer: BTreeMap::new(),
            hints: BTreeSet::new(),
            hints_by_key: BTreeSet::new(),
            trees: None,
            last_position: None,
            lost: BTreeSet::new(),
        }
    }

    /// Keeps `trees` (built from what the disk holds) up to date from now on.
    pub fn attach_trees(&mut self, trees: RangeTrees) {
        self.trees = Some(trees);
    }

    /// The anti-entropy Merkle trees, when anti-entropy is on.
    pub fn trees(&self) -> Option<&RangeTrees> {
        self.trees.as_ref()
    }

    /// Debug and test aid: checks that the Merkle trees equal trees rebuilt from scratch out of
    /// what this engine serves, `disk`'s intact data records overlaid by the object buffer.
    /// Always `Ok` when anti-entropy is off.
    pub fn check_trees(&self, disk: impl IntoIterator<Item = (Key, Versions)>) -> Result<(), String> {
        let Some(trees) = &self.trees else { return Ok(()) };
        let mut served: BTreeMap<Key, Versions> = disk.into_iter().collect();
        served.extend(self.buffer.iter().map(|(k, v)| (*k, v.clone())));
        trees.check(served)
    }

    /// `key`'s ring position ([`key_position`], MD5), remembered for the last key asked.
    pub fn position(&mut self, key: Key) -> RingPos {
        match self.last_position {
            Some((k, pos)) if k == key => pos,
            _ => {
                let pos = key_position(key);
                self.last_position = Some((key, pos));
                pos
            }
        }
    }

    /// Records in the trees that `key` is now served as `versions`.
    fn track(&mut self, key: Key, versions: &Versions) {
        if self.trees.is_some() {
            let pos = self.position(key);
            if let Some(t) = &mut self.trees {
                t.update_at(key, pos, versions);
            }
        }
    }

    /// Rebuilds the in-memory hint index from the disk after a restart; returns the data keys
    /// found (for anti-entropy indexes) and the persisted membership entries.
    pub fn recover<P: Host>(&mut self, ctx: &mut Ctx<'_, P>) -> Recovered {
        let mut out = Recovered::default();
        for (k, rec) in ctx.disk_scan() {
            match (k, rec) {
                (StoreKey::Hint { key, intended }, Ok(_)) => self.index_hint(intended, key),
                (StoreKey::Data(key), Ok(StoreRecord::Versions(v))) => out.data.push((key, v)),
                (StoreKey::Member(_), Ok(StoreRecord::Member(p))) => out.members.push(*p),
                (StoreKey::KeyActors(key), Ok(StoreRecord::KeyActors(a))) => out.key_actors.push((key, a)),
                (StoreKey::Data(_) | StoreKey::Epochs | StoreKey::KeyActors(_) | StoreKey::Member(_), Ok(_)) => {}
                (k, Err(_)) => {
                    ctx.count(Counter::CorruptReads);
                    self.note_lost(k);
                }
            }
        }
        out
    }

    /// Every data key this engine serves with its versions: the disk's intact data records
    /// (one sequential scan) overlaid by the object buffer, in key order.
    pub fn all_data<P: Host>(&mut self, ctx: &mut Ctx<'_, P>) -> Vec<(Key, Versions)> {
        let mut all: BTreeMap<Key, Versions> = BTreeMap::new();
        for (k, rec) in ctx.disk_scan() {
            if let (StoreKey::Data(key), Ok(StoreRecord::Versions(v))) = (k, rec) {
                all.insert(key, v);
            }
        }
        all.extend(self.buffer.iter().map(|(k, v)| (*k, v.clone())));
        all.into_iter().collect()
    }

    /// The data keys stored in `range` (disk and object buffer; one sequential scan), sorted.
    pub fn keys_in<P: Host>(&mut self, ctx: &mut Ctx<'_, P>, range: KeyRange) -> Vec<Key> {
        let mut keys: BTreeSet<Key> = BTreeSet::new();
        for (k, _) in ctx.disk_scan() {
            if let StoreKey::Data(key) = k {
                keys.insert(key);
            }
        }
        keys.extend(self.buffer.keys().copied());
        keys.into_iter().filter(|k| range.contains(key_position(*k))).collect()
    }

    /// The versions stored for `key` (empty when absent or corrupt).
    pub fn read<P: Host>(&mut self, ctx: &mut Ctx<'_, P>, key: Key) -> Versions {
        if let Some(v) = self.buffer.get(&key) {
            return v.clone();
        }
        self.read_disk(ctx, StoreKey::Data(key))
    }

    fn read_disk<P: Host>(&mut self, ctx: &mut Ctx<'_, P>, k: StoreKey) -> Versions {
        match ctx.disk_read(&k) {
            Ok(Some(StoreRecord::Versions(v))) => v,
            Ok(None | Some(StoreRecord::Epochs { .. } | StoreRecord::KeyActors(_) | StoreRecord::Member(_))) => {
                Versions::new()
            }
            Err(_) => {
                ctx.count(Counter::CorruptReads);
                self.note_lost(k);
                if let StoreKey::Data(key) = k {
                    // Served as missing from now on: anti-entropy will fetch it back.
                    self.track(key, &Versions::new());
                }
                Versions::new()
            }
        }
    }

    /// Merges `incoming` into `key`'s stored versions and stores the result; returns it.
    /// `durable` forces a synced disk write even under buffered writes.
    pub fn apply<P: Host>(
        &mut self,
        ctx: &mut Ctx<'_, P>,
        key: Key,
        incoming: &Versions,
        durable: bool,
    ) -> Result<Versions, DiskError> {
        let mut merged = self.read(ctx, key);
        merged.merge(incoming);
        self.store(ctx, key, &merged, durable)?;
        Ok(merged)
    }

    /// Anti-entropy's merge: like [`apply`](Self::apply) (not durable), but writes nothing when
    /// the stored versions already cover `incoming`. Returns whether the stored set changed.
    pub fn repair<P: Host>(&mut self, ctx: &mut Ctx<'_, P>, key: Key, incoming: &Versions) -> Result<bool, DiskError> {
        let mut merged = self.read(ctx, key);
        if merged.covers(incoming) {
            return Ok(false);
        }
        merged.merge(incoming);
        self.store(ctx, key, &merged, false)?;
        Ok(true)
    }

    /// Stores an already reconciled set for `key`.
    pub fn store<P: Host>(
        &mut self,
        ctx: &mut Ctx<'_, P>,
        key: Key,
        versions: &Versions,
        durable: bool,
    ) -> Result<(), DiskError> {
        let buffered = self.cfg.buffer.clone();
        match buffered {
            Some(b) if !durable => {
                self.buffer.insert(key, versions.clone());
                crate::msg::note(ctx, ModelNote::Buffered { key });
                self.track(key, versions);
                if self.buffer.len() >= b.max_objects {
                    self.flush(ctx);
                }
                Ok(())
            }
            _ => {
                let in_buffer = if let Some(v) = self.buffer.get_mut(&key) {
                    *v = versions.clone();
                    crate::msg::note(ctx, ModelNote::Buffered { key });
                    true
                } else {
                    false
                };
                let r = self.write_disk(ctx, StoreKey::Data(key), versions, durable || self.cfg.fsync_writes);
                if r.is_ok() || in_buffer {
                    self.track(key, versions);
                }
                r
            }
        }
    }

    fn write_disk<P: Host>(
        &mut self,
        ctx: &mut Ctx<'_, P>,
        k: StoreKey,
        v: &Versions,
        sync: bool,
    ) -> Result<(), DiskError> {
        let bytes = record_bytes(v);
        let r = ctx.disk_write(k, StoreRecord::Versions(v.clone()), bytes);
        if r.is_err() {
            ctx.count(Counter::FailedWrites);
            self.note_lost(k);
        } else if sync {
            ctx.disk_fsync();
        }
        r
    }

    /// Writes the whole object buffer to disk with one fsync and empties it.
    pub fn flush<P: Host>(&mut self, ctx: &mut Ctx<'_, P>) {
        if self.buffer.is_empty() {
            return;
        }
        ctx.count(Counter::Flushes);
        for (key, v) in std::mem::take(&mut self.buffer) {
            crate::msg::note(ctx, ModelNote::Buffered { key });
            let bytes = record_bytes(&v);
            if ctx.disk_write(StoreKey::Data(key), StoreRecord::Versions(v), bytes).is_err() {
                ctx.count(Counter::LostInFlush);
                self.lost.insert(key);
                if self.trees.is_some() {
                    // The disk still serves what it held before: the tree must say so.
                    let kept = self.read_disk(ctx, StoreKey::Data(key));
                    self.track(key, &kept);
                }
            }
        }
        ctx.disk_fsync();
    }

    /// Remembers that the versions of a data or hint record were lost.
    fn note_lost(&mut self, k: StoreKey) {
        if let StoreKey::Data(key) | StoreKey::Hint { key, .. } = k {
            self.lost.insert(key);
        }
    }

    /// The keys whose stored versions were lost since the last call, in key order.
    pub fn take_lost(&mut self) -> Vec<Key> {
        if self.lost.is_empty() {
            return Vec::new();
        }
        std::mem::take(&mut self.lost).into_iter().collect()
    }

    /// The buffered (not yet flushed) versions of `key`, for world inspection.
    pub fn buffered(&self, key: Key) -> Option<&Versions> {
        self.buffer.get(&key)
    }

    /// Objects waiting in the buffer.
    pub fn buffered_len(&self) -> usize {
        self.buffer.len()
    }

    /// Number of hints held.
    pub fn hint_count(&self) -> usize {
        self.hints.len()
    }

    /// The hints held, as (intended node, key), in order.
    pub fn hints(&self) -> impl Iterator<Item = (NodeId, Key)> + '_ {
        self.hints.iter().copied()
    }

    /// Stores a hinted replica for `intended` (merged with any hint already held), synced.
    pub fn store_hint<P: Host>(
        &mut self,
        ctx: &mut Ctx<'_, P>,
        intended: NodeId,
        key: Key,
        incoming: &Versions,
    ) -> Result<(), DiskError> {
        let k = StoreKey::Hint { key, intended };
        let mut merged = self.read_disk(ctx, k);
        merged.merge(incoming);
        self.write_disk(ctx, k, &merged, true)?;
        self.index_hint(intended, key);
        Ok(())
    }

    /// Adds a hint to both indexes.
    fn index_hint(&mut self, intended: NodeId, key: Key) {
        self.hints.insert((intended, key));
        self.hints_by_key.insert((key, intended));
        debug_assert_eq!(self.hints.len(), self.hints_by_key.len());
    }

    /// The intended nodes of the hints held for `key`, in node order (O(log hints) to find).
    pub fn hints_for(&self, key: Key) -> impl Iterator<Item = NodeId> + '_ {
        self.hints_by_key.range((key, NodeId(0))..=(key, NodeId(u32::MAX))).map(|&(_, n)| n)
    }

    /// Whether a hint for (`intended`, `key`) is held.
    pub fn has_hint(&self, intended: NodeId, key: Key) -> bool {
        self.hints.contains(&(intended, key))
    }

    /// The hinted versions held for (`intended`, `key`), if any.
    pub fn read_hint<P: Host>(&mut self, ctx: &mut Ctx<'_, P>, intended: NodeId, key: Key) -> Versions {
        if !self.hints.contains(&(intended, key)) {
            return Versions::new();
        }
        self.read_disk(ctx, StoreKey::Hint { key, intended })
    }

    /// Every hinted version held for `key`, whichever node it is meant for, merged (hints read
    /// in intended-node order). O(log hints) plus one disk read per hint for `key`.
    pub fn hinted_versions<P: Host>(&mut self, ctx: &mut Ctx<'_, P>, key: Key) -> Versions {
        // Empty (no allocation) unless `key` has hints.
        let holders: Vec<NodeId> = self.hints_for(key).collect();
        let mut all = Versions::new();
        for intended in holders {
            all.merge(&self.read_hint(ctx, intended, key));
        }
        all
    }

    /// Deletes a delivered hint.
    pub fn delete_hint<P: Host>(&mut self, ctx: &mut Ctx<'_, P>, intended: NodeId, key: Key) {
        if self.hints.remove(&(intended, key)) {
            let indexed = self.hints_by_key.remove(&(key, intended));
            debug_assert!(indexed, "both hint indexes hold the same hints");
            ctx.disk_delete(StoreKey::Hint { key, intended });
            ctx.disk_fsync();
        }
    }
}
