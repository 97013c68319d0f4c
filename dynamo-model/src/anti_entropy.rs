//! Anti-entropy with Merkle trees (§4.7), integrated into the node.
//!
//! [`RangeTrees`]: one [`MerkleTree`] per key range the node replicates (the ranges of
//! `Ring::ranges_of(node, N)`: a virtual node's arc for strategy 1, a partition for strategies
//! 2 and 3), keyed by the range's bounds, which both replicas derive from the ring alike. A key's
//! leaf digest is `Versions::digest()` of what the main store serves for it. The storage engine
//! updates the trees on every store, buffer flush and detected corruption; a booting node
//! rebuilds them from the disk scan it does anyway, so a wiped node starts with empty trees.
//! Trees are allocated when their range receives its first key; an empty range answers from one
//! shared empty tree. Trees are sparse (only subtrees holding a key are stored), so a node's tree
//! memory follows its keys, not its ranges × 2^depth ([`RangeTrees::footprint`]).
//!
//! [`AntiEntropy`]: the exchange driver. Every `interval` (after asking admission control)
//! the node takes its next range, round-robin, and one other replica of it that its failure
//! detector does not suspect, chosen at random, and runs a [`merkle::Exchange`] over messages:
//!
//! 1. `MerkleRequest`/`MerkleReply` round trips compare the roots, then the children of the
//!    differing nodes only, down to the differing leaf buckets, whose `(key, digest)` entries
//!    give exactly the differing keys. Equal roots end the exchange after one round trip.
//! 2. If keys differ, one `KeyExchange` carries the initiator's versions of the differing keys
//!    it holds (at most `max_keys_per_exchange` keys) and lists those the peer holds; the peer
//!    merges the push (syntactic reconciliation) and its `KeyExchangeReply` returns its versions
//!    of the listed keys that the push did not already cover; the initiator merges those.
//!
//! Each step is resent after `reply_timeout` without an answer, twice at most, then the
//! exchange is abandoned. One exchange runs at a time per node. Every key read to build a
//! transfer and every merge is a charged disk operation; merges that change nothing write
//! nothing.

use crate::NodeId;
use crate::config::AntiEntropyConfig;
use crate::counters::Counter;
use crate::detector::Detector;
use crate::merkle::{self, Exchange, Footprint, KeyDelta, MerkleConfig, MerkleTree, Step};
use crate::msg::{Host, Key, Msg, Timer};
use crate::ring::{KeyRange, Ring, RingPos, key_position};
use crate::storage::Storage;
use crate::version::Versions;
use sim_core::{Ctx, SimDuration, TimerId};
use std::collections::BTreeMap;
use std::ops::Add;

/// How many times one exchange step is resent before the exchange is abandoned.
const MAX_RESENDS: u8 = 2;

/// The Merkle trees of the key ranges one node replicates.
#[derive(Clone, Debug)]
pub struct RangeTrees {
    /// The ranges, sorted by `end_inclusive` (disjoint arcs of the ring).
    ranges: Vec<KeyRange>,
    /// Each range's tree, allocated on its first key.
    trees: Vec<Option<MerkleTree>>,
    /// What an empty range answers from.
    empty: MerkleTree,
}

impl RangeTrees {
    /// Empty trees of depth `config.depth` for `ranges`.
    pub fn new(mut ranges: Vec<KeyRange>, config: MerkleConfig) -> Result<Self, merkle::MerkleError> {
        ranges.sort_unstable_by_key(|r| r.end_inclusive);
        ranges.dedup();
        let empty = MerkleTree::new(config)?;
        Ok(RangeTrees { trees: vec![None; ranges.len()], ranges, empty })
    }

    /// Trees holding `entries` (a disk scan's data records), each built in one pass. Keys outside
    /// every range and empty version sets are left out.
    pub fn build<'a>(
        ranges: Vec<KeyRange>,
        config: MerkleConfig,
        entries: impl IntoIterator<Item = (Key, &'a Versions)>,
    ) -> Result<Self, merkle::MerkleError> {
        let mut t = RangeTrees::new(ranges, config)?;
        let mut per_slot: Vec<Vec<(u64, u64)>> = vec![Vec::new(); t.ranges.len()];
        for (key, v) in entries {
            if let Some(slot) = t.slot_of_key(key)
                && !v.is_empty()
            {
                per_slot[slot].push((key, v.digest()));
            }
        }
        for (slot, entries) in per_slot.into_iter().enumerate() {
            if !entries.is_empty() {
                t.trees[slot] = Some(MerkleTree::build(config, entries)?);
            }
        }
        Ok(t)
    }

    /// The ranges, sorted by their end position.
    pub fn ranges(&self) -> &[KeyRange] {
        &self.ranges
    }

    /// The index of the range holding `key`, if this node replicates it.
    pub fn slot_of_key(&self, key: Key) -> Option<usize> {
        self.slot_of_position(key_position(key))
    }

    /// The index of the range holding ring position `pos`, if this node replicates it.
    pub fn slot_of_position(&self, pos: RingPos) -> Option<usize> {
        if self.ranges.is_empty() {
            return None;
        }
        // The arc holding `pos` has the smallest end at or after it, or wraps (smallest end).
        let i = self.ranges.partition_point(|r| r.end_inclusive < pos);
        let i = if i == self.ranges.len() { 0 } else { i };
        self.ranges[i].contains(pos).then_some(i)
    }

    /// The index of `range`, if it is one of this node's.
    pub fn slot_of_range(&self, range: &KeyRange) -> Option<usize> {
        let i = self.ranges.partition_point(|r| r.end_inclusive < range.end_inclusive);
        (self.ranges.get(i) == Some(range)).then_some(i)
    }

    /// Range `slot`'s tree (the shared empty tree if the range holds nothing yet).
    pub fn tree(&self, slot: usize) -> &MerkleTree {
        self.trees[slot].as_ref().unwrap_or(&self.empty)
    }

    /// Records that the main store now serves `versions` for `key` (nothing: forget it).
    /// O(depth) hash work; a no-op for keys outside this node's ranges.
    pub fn update(&mut self, key: Key, versions: &Versions) {
        self.update_at(key, key_position(key), versions);
    }

    /// [`update`](Self::update) for a caller that already knows `key`'s ring position `pos`.
    pub fn update_at(&mut self, key: Key, pos: RingPos, versions: &Versions) {
        debug_assert_eq!(pos, key_position(key));
        let Some(slot) = self.slot_of_position(pos) else { return };
        if versions.is_empty() {
            if let Some(t) = &mut self.trees[slot] {
                t.remove(key);
            }
            return;
        }
        let digest = versions.digest();
        let empty = &self.empty;
        self.trees[slot].get_or_insert_with(|| empty.clone()).insert_or_update(key, digest);
    }

    /// Keys held over all ranges.
    pub fn key_count(&self) -> usize {
        self.trees.iter().flatten().map(MerkleTree::len).sum()
    }

    /// Node slots and entries held over all ranges' trees and the shared empty one (which holds
    /// none); the per-range `Option<MerkleTree>` headers are not counted.
    pub fn footprint(&self) -> Footprint {
        self.trees.iter().flatten().chain([&self.empty]).map(MerkleTree::footprint).fold(Footprint::default(), Add::add)
    }

    /// Checks that these trees equal trees rebuilt from scratch out of `store` (every key the
    /// main store serves, with its versions): same keys, same digests, same roots. The error
    /// names the first range that differs.
    pub fn check(&self, store: impl IntoIterator<Item = (Key, Versions)>) -> Result<(), String> {
        let store: Vec<(Key, Versions)> = store.into_iter().collect();
        let fresh = RangeTrees::build(self.ranges.clone(), self.empty.config(), store.iter().map(|(k, v)| (*k, v)))
            .map_err(|e| e.to_string())?;
        for slot in 0..self.ranges.len() {
            let (mine, want) = (self.tree(slot), fresh.tree(slot));
            if mine.root() != want.root() || mine.len() != want.len() {
                let diff = merkle::diff(mine, want).map_err(|e| e.to_string())?;
                return Err(format!(
                    "range {:?}: incremental tree holds {} keys, rebuilt {}; differing keys {:?}",
                    self.ranges[slot],
                    mine.len(),
                    want.len(),
                    diff.keys
                ));
            }
        }
        Ok(())
    }
}

/// What the exchange in flight waits for.
#[derive(Clone, Debug)]
enum Phase {
    /// A `MerkleReply` to the exchange's current request.
    Tree(Exchange),
    /// The `KeyExchangeReply`.
    Keys,
}

/// The exchange this node initiated and has not finished.
#[derive(Clone, Debug)]
struct Session {
    /// The current step's number: each step (not each resend) gets a fresh one, which the
    /// reply echoes, so late and duplicated replies never match.
    id: u64,
    peer: NodeId,
    range: KeyRange,
    phase: Phase,
    /// The last message sent, resent on a timeout.
    last: Msg,
    resends: u8,
    timer: TimerId,
}

/// What the exchange driver may touch besides the context.
pub struct AeEnv<'a> {
    /// The store (and its trees).
    pub storage: &'a mut Storage,
    /// The local failure detector (suspected peers are not picked).
    pub detector: &'a Detector,
    /// The ring.
    pub ring: &'a Ring,
    /// Replicas per key.
    pub n: usize,
}

/// One node's anti-entropy exchange driver.
#[derive(Clone, Debug)]
pub struct AntiEntropy {
    cfg: AntiEntropyConfig,
    next_range: usize,
    next_session: u64,
    session: Option<Session>,
    list: Vec<NodeId>,
    peers: Vec<NodeId>,
}

impl AntiEntropy {
    /// A driver with nothing in flight; arms the first tick after between one and two intervals
    /// (spreading the nodes' exchanges apart).
    pub fn boot<P: Host>(ctx: &mut Ctx<'_, P>, cfg: &AntiEntropyConfig) -> Self {
        // Scaled in milliseconds, not nanoseconds: the same rounding as every recorded trace.
        let first = cfg.interval.as_millis_f64() * (1.0 + ctx.rng().u01());
        ctx.set_timer(SimDuration::from_millis_f64(first), Timer::AntiEntropy);
        // Step numbers start at the boot time, so an earlier incarnation's late replies never
        // match a new exchange.
        let next_session = ctx.now().as_nanos().max(1);
        AntiEntropy {
            cfg: cfg.clone(),
            next_range: 0,
            next_session,
            session: None,
            list: Vec::new(),
            peers: Vec::new(),
        }
    }

    /// The tick: the next exchange's time has come (admission control already said yes).
    /// Starts an exchange unless one is still in flight, and arms the next tick.
    pub fn on_tick<P: Host>(&mut self, ctx: &mut Ctx<'_, P>, env: &mut AeEnv<'_>) {
        ctx.set_timer(self.cfg.interval, Timer::AntiEntropy);
        if self.session.is_none() {
            self.start(ctx, env);
        }
    }

    /// Whether an exchange is in flight.
    pub fn in_flight(&self) -> bool {
        self.session.is_some()
    }

    fn start<P: Host>(&mut self, ctx: &mut Ctx<'_, P>, env: &mut AeEnv<'_>) {
        let Some(trees) = env.storage.trees() else { return };
        if trees.ranges().is_empty() {
            return;
        }
        let slot = self.next_range % trees.ranges().len();
        self.next_range = slot + 1;
        let range = trees.ranges()[slot];
        env.ring.preference_list(range.end_inclusive, env.n, &mut self.list);
        let me = ctx.me();
        self.peers.clear();
        self.peers.extend(self.list.iter().copied().filter(|&p| p != me && !env.detector.is_suspected(p)));
        let Some(&peer) = ctx.rng().choose(&self.peers) else { return };
        let (exchange, request) = Exchange::start(trees.tree(slot));
        let id = self.fresh_step();
        let msg = Msg::MerkleRequest { session: id, range, request };
        let timer = self.send(ctx, peer, id, msg.clone());
        self.session = Some(Session { id, peer, range, phase: Phase::Tree(exchange), last: msg, resends: 0, timer });
    }

    fn send<P: Host>(&self, ctx: &mut Ctx<'_, P>, peer: NodeId, session: u64, msg: Msg) -> TimerId {
        ctx.send(peer, msg);
        ctx.set_timer(self.cfg.reply_timeout, Timer::AntiEntropyRetry { session })
    }

    /// Takes the exchange in flight if a reply from `from` for step `session` of `range` answers
    /// its current step, cancelling the step's timeout; `None` (and the exchange left alone) for
    /// a late, duplicated or foreign reply.
    fn take_session<P: Host>(
        &mut self,
        ctx: &mut Ctx<'_, P>,
        from: NodeId,
        session: u64,
        range: KeyRange,
    ) -> Option<Session> {
        let s = self.session.take_if(|s| s.id == session && s.peer == from && s.range == range)?;
        ctx.cancel(s.timer);
        Some(s)
    }

    fn fresh_step(&mut self) -> u64 {
        let id = self.next_session;
        self.next_session += 1;
        id
    }

    /// Continues the exchange with `msg` (numbered `s.id`, fresh) as its next step.
    fn next_step<P: Host>(&mut self, ctx: &mut Ctx<'_, P>, mut s: Session, phase: Phase, msg: Msg) {
        s.timer = self.send(ctx, s.peer, s.id, msg.clone());
        s.phase = phase;
        s.last = msg;
        s.resends = 0;
        self.session = Some(s);
    }

    /// The peer answered a tree step.
    pub fn on_merkle_reply<P: Host>(
        &mut self,
        ctx: &mut Ctx<'_, P>,
        env: &mut AeEnv<'_>,
        from: NodeId,
        session: u64,
        range: KeyRange,
        reply: Option<merkle::Reply>,
    ) {
        let Some(mut s) = self.take_session(ctx, from, session, range) else { return };
        let Phase::Tree(mut exchange) = std::mem::replace(&mut s.phase, Phase::Keys) else {
            // Step numbers are never reused, so a tree reply matches only a tree step.
            ctx.count(Counter::AeAbandoned);
            return;
        };
        let step = match (reply, env.storage.trees()) {
            (Some(reply), Some(trees)) => match trees.slot_of_range(&range) {
                Some(slot) => exchange.on_reply(trees.tree(slot), &reply).ok(),
                None => None,
            },
            _ => None,
        };
        match step {
            None => ctx.count(Counter::AeAbandoned),
            Some(Step::Send(request)) => {
                s.id = self.fresh_step();
                let msg = Msg::MerkleRequest { session: s.id, range, request };
                self.next_step(ctx, s, Phase::Tree(exchange), msg);
            }
            Some(Step::Done(result)) if result.keys.is_empty() => ctx.count(Counter::AeExchanges),
            Some(Step::Done(result)) => {
                let keys = &result.keys[..result.keys.len().min(self.cfg.max_keys_per_exchange)];
                s.id = self.fresh_step();
                let msg = self.key_exchange(ctx, env, s.id, range, keys);
                self.next_step(ctx, s, Phase::Keys, msg);
            }
        }
    }

    /// The `KeyExchange` for the differing `keys`: our versions of those we hold (each read from
    /// the store, a charged disk read), and the keys the peer holds.
    fn key_exchange<P: Host>(
        &mut self,
        ctx: &mut Ctx<'_, P>,
        env: &mut AeEnv<'_>,
        session: u64,
        range: KeyRange,
        keys: &[KeyDelta],
    ) -> Msg {
        let mut push = Vec::with_capacity(keys.len());
        for d in keys.iter().filter(|d| d.local.is_some()) {
            let v = env.storage.read(ctx, d.key);
            if !v.is_empty() {
                push.push((d.key, v));
            }
        }
        let want: Vec<Key> = keys.iter().filter(|d| d.remote.is_some()).map(|d| d.key).collect();
        ctx.count_by(Counter::AeKeysSent, push.len() as u64);
        Msg::KeyExchange { session, range, push, want }
    }

    /// The peer's versions of the wanted keys arrived: merge them; the exchange is over.
    pub fn on_key_exchange_reply<P: Host>(
        &mut self,
        ctx: &mut Ctx<'_, P>,
        env: &mut AeEnv<'_>,
        from: NodeId,
        session: u64,
        range: KeyRange,
        versions: Vec<(Key, Versions)>,
    ) {
        let Some(s) = self.take_session(ctx, from, session, range) else { return };
        if !matches!(s.phase, Phase::Keys) {
            ctx.count(Counter::AeAbandoned);
            return;
        }
        for (key, v) in &versions {
            repair(ctx, env, *key, v);
        }
        ctx.count(Counter::AeExchanges);
    }

    /// A step's timeout: resend it, or abandon the exchange after [`MAX_RESENDS`].
    pub fn on_retry<P: Host>(&mut self, ctx: &mut Ctx<'_, P>, session: u64) {
        let Some(mut s) = self.session.take_if(|s| s.id == session) else { return };
        if s.resends >= MAX_RESENDS {
            ctx.count(Counter::AeAbandoned);
            return;
        }
        s.resends += 1;
        s.timer = self.send(ctx, s.peer, s.id, s.last.clone());
        self.session = Some(s);
    }
}

/// The peer's side of a tree step: answer from our tree of `range`, if we keep one.
pub fn answer_merkle<P: Host>(
    ctx: &mut Ctx<'_, P>,
    storage: &Storage,
    from: NodeId,
    session: u64,
    range: KeyRange,
    request: &merkle::Request,
) {
    let reply = storage
        .trees()
        .and_then(|t| t.slot_of_range(&range).map(|slot| t.tree(slot)))
        .and_then(|tree| tree.answer(request).ok());
    ctx.send(from, Msg::MerkleReply { session, range, reply });
}

/// The peer's side of a key exchange: merge the initiator's versions, then return ours of the
/// wanted keys that its push does not cover.
pub fn answer_key_exchange<P: Host>(
    ctx: &mut Ctx<'_, P>,
    env: &mut AeEnv<'_>,
    from: NodeId,
    session: u64,
    range: KeyRange,
    push: Vec<(Key, Versions)>,
    want: Vec<Key>,
) {
    for (key, v) in &push {
        repair(ctx, env, *key, v);
    }
    let pushed: BTreeMap<Key, &Versions> = push.iter().map(|(k, v)| (*k, v)).collect();
    let mut versions = Vec::new();
    for key in want {
        let ours = env.storage.read(ctx, key);
        if !ours.is_empty() && pushed.get(&key).is_none_or(|theirs| !theirs.covers(&ours)) {
            versions.push((key, ours));
        }
    }
    ctx.count_by(Counter::AeKeysSent, versions.len() as u64);
    ctx.send(from, Msg::KeyExchangeReply { session, range, versions });
}

/// Merges `incoming` into `key`'s stored versions; counts a repair when that changed them.
fn repair<P: Host>(ctx: &mut Ctx<'_, P>, env: &mut AeEnv<'_>, key: Key, incoming: &Versions) {
    if let Ok(true) = env.storage.repair(ctx, key, incoming) {
        ctx.count(Counter::AeKeysRepaired);
    }
}
