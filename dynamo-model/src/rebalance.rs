//! Moving data when the ring changes (§4.9): key-range transfers with a confirmation round.
//!
//! - **Join.** Every current top-N holder of a range the joining node will replicate offers
//!   it. The joining node accepts one holder per range (the confirmation round: no range is
//!   received twice) and answers the others `Busy`, or `Done` once the range has arrived. When
//!   every range it will replicate has arrived, it activates itself and gossip puts it on the
//!   ring.
//! - **Leave.** A leaving node (still on the ring) offers each of its ranges to the nodes that
//!   will newly replicate the range once it is gone; when every such transfer is acknowledged it
//!   removes itself.
//!
//! A transfer sends the range's keys in batches, one in flight, each acknowledged; a batch or
//! offer unanswered for `transfer_timeout` is sent again, and a receiver gives up on a
//! sender silent that long (another holder then gets its turn). State is volatile: a node that
//! restarts mid-transfer starts its transfers again (applying a batch twice is harmless: it is
//! a merge). Writes that reach the old holders after their batch left are repaired later by
//! read repair and anti-entropy, as in Dynamo.

use crate::NodeId;
use crate::admission::{Admission, AdmissionController};
use crate::config::MembershipConfig;
use crate::counters::Counter;
use crate::membership::Status;
use crate::msg::{Host, Key, Msg, TransferAnswer};
use crate::ring::{KeyRange, Ring};
use crate::storage::Storage;
use crate::version::Versions;
use crate::view::{SelfStep, View};
use sim_core::{Ctx, SimTime};
use std::collections::{BTreeMap, BTreeSet};

/// A transfer this node is sending.
#[derive(Clone, Debug)]
struct Outgoing {
    /// The range's keys, sorted, as found when the transfer was accepted.
    keys: Vec<Key>,
    /// The index of the first key of the batch in flight.
    next: usize,
    /// The batch in flight.
    seq: u32,
    /// When it was sent; `None` while admission control holds it back.
    sent_at: Option<SimTime>,
}

/// A transfer this node is receiving.
#[derive(Clone, Copy, Debug)]
struct Incoming {
    from: NodeId,
    next_seq: u32,
    heard: SimTime,
}

/// One node's transfers, as holder and as receiver.
#[derive(Clone, Debug, Default)]
pub struct Rebalance {
    /// Offers awaiting an answer (or answered `Busy`), with when they were last sent.
    offers: BTreeMap<(NodeId, KeyRange), SimTime>,
    outgoing: BTreeMap<(NodeId, KeyRange), Outgoing>,
    /// Transfers this node finished sending (acknowledged, or answered `Done`).
    sent: BTreeSet<(NodeId, KeyRange)>,
    incoming: BTreeMap<KeyRange, Incoming>,
    /// Ranges this node finished receiving.
    received: BTreeSet<KeyRange>,
}

/// What the transfer steps may touch besides their own state.
pub struct RebalanceEnv<'a> {
    /// The node's membership view.
    pub view: &'a mut View,
    /// The node's store.
    pub storage: &'a mut Storage,
    /// Replicas per key.
    pub n: usize,
    /// Batch size and timeouts.
    pub cfg: &'a MembershipConfig,
    /// Admission control of background work, when enabled (asked before each batch).
    pub admission: Option<&'a mut AdmissionController>,
}

impl Rebalance {
    /// The periodic step: offer what this node should send, resend what went unanswered, and
    /// return the step this node may now take for itself (activate or remove).
    pub fn on_tick<P: Host>(&mut self, ctx: &mut Ctx<'_, P>, env: &mut RebalanceEnv<'_>) -> Option<SelfStep> {
        let now = ctx.now();
        let timeout = env.cfg.transfer_timeout;
        let wanted = to_send(ctx.me(), env);
        self.forget_finished(ctx.me(), env, &wanted);
        for key in &wanted {
            let due = self.offers.get(key).is_none_or(|at| now.since(*at) >= timeout);
            if !self.outgoing.contains_key(key) && !self.sent.contains(key) && due {
                ctx.send(key.0, Msg::TransferOffer { range: key.1 });
                self.offers.insert(*key, now);
                ctx.count(Counter::TransferOffersSent);
            }
        }
        self.incoming.retain(|_, inc| now.since(inc.heard) < timeout);
        let stalled: Vec<(NodeId, KeyRange)> = self
            .outgoing
            .iter()
            .filter(|(_, o)| o.sent_at.is_none_or(|at| now.since(at) >= timeout))
            .map(|(k, _)| *k)
            .collect();
        for key in stalled {
            self.send_batch(ctx, env, key);
        }
        self.self_step(ctx.me(), env, &wanted)
    }

    /// Drops what no transfer needs any more, so a node that leaves and joins again (or a
    /// holder it left) starts its transfers afresh: offers and sent transfers no longer wanted,
    /// and, once this node is not joining and no node is leaving, the ranges it received.
    fn forget_finished(&mut self, me: NodeId, env: &RebalanceEnv<'_>, wanted: &[(NodeId, KeyRange)]) {
        let wanted: BTreeSet<&(NodeId, KeyRange)> = wanted.iter().collect();
        self.offers.retain(|k, _| wanted.contains(k));
        self.sent.retain(|k| wanted.contains(k));
        let list = env.view.membership().list();
        let settled = env.view.status(me) != Some(Status::Joining) && list.iter().all(|e| e.status != Status::Leaving);
        if settled && self.incoming.is_empty() {
            self.received.clear();
        }
    }

    fn self_step(&self, me: NodeId, env: &mut RebalanceEnv<'_>, wanted: &[(NodeId, KeyRange)]) -> Option<SelfStep> {
        match env.view.status(me)? {
            Status::Leaving if wanted.iter().all(|k| self.sent.contains(k)) => Some(SelfStep::Remove),
            Status::Joining => {
                let needed = env.view.future_ranges(me, env.n).ok()?;
                needed.iter().all(|r| self.received.contains(r)).then_some(SelfStep::Activate)
            }
            _ => None,
        }
    }

    /// A holder offers `range`: accept it unless another holder is confirmed or it has arrived.
    pub fn on_offer<P: Host>(
        &mut self,
        ctx: &mut Ctx<'_, P>,
        env: &mut RebalanceEnv<'_>,
        from: NodeId,
        range: KeyRange,
    ) {
        let me = ctx.me();
        ctx.count(Counter::TransferOffersReceived);
        let wanted_here = env.view.status(me) != Some(Status::Joining)
            || env.view.future_ranges(me, env.n).is_ok_and(|f| f.contains(&range));
        let answer = match self.incoming.get(&range) {
            _ if self.received.contains(&range) || !wanted_here => TransferAnswer::Done,
            Some(inc) if inc.from != from => TransferAnswer::Busy,
            _ => TransferAnswer::Accept,
        };
        match answer {
            TransferAnswer::Accept => {
                self.incoming.insert(range, Incoming { from, next_seq: 0, heard: ctx.now() });
                ctx.count(Counter::TransferOffersAccepted);
            }
            TransferAnswer::Busy => ctx.count(Counter::TransferOffersBusy),
            TransferAnswer::Done => {}
        }
        ctx.send(from, Msg::TransferAnswer { range, answer });
    }

    /// The receiver answered an offer.
    pub fn on_answer<P: Host>(
        &mut self,
        ctx: &mut Ctx<'_, P>,
        env: &mut RebalanceEnv<'_>,
        from: NodeId,
        range: KeyRange,
        answer: TransferAnswer,
    ) {
        let key = (from, range);
        match answer {
            TransferAnswer::Accept if self.offers.remove(&key).is_some() => {
                let keys = env.storage.keys_in(ctx, range);
                self.outgoing.insert(key, Outgoing { keys, next: 0, seq: 0, sent_at: None });
                self.send_batch(ctx, env, key);
            }
            TransferAnswer::Done => {
                self.offers.remove(&key);
                self.outgoing.remove(&key);
                self.sent.insert(key);
            }
            // Busy for a transfer under way: the receiver gave it up (it went quiet too long, or
            // the receiver restarted); offer it again after the timeout and start over.
            TransferAnswer::Busy if self.outgoing.remove(&key).is_some() => {
                self.offers.insert(key, ctx.now());
            }
            // Busy for an offer: it stays and is repeated after the timeout. A late Accept of an
            // offer already withdrawn is ignored (the receiver times it out).
            TransferAnswer::Accept | TransferAnswer::Busy => {}
        }
    }

    /// Sends (or resends) the batch in flight of an outgoing transfer, if admission allows.
    fn send_batch<P: Host>(&mut self, ctx: &mut Ctx<'_, P>, env: &mut RebalanceEnv<'_>, key: (NodeId, KeyRange)) {
        let Some(out) = self.outgoing.get_mut(&key) else { return };
        if let Some(verdict) = env.admission.as_mut().map(|a| a.admit(ctx.now())) {
            crate::node::count_admission(ctx, verdict);
            if verdict != Admission::Admit {
                out.sent_at = None;
                ctx.count(Counter::TransferBatchesDeferred);
                return;
            }
        }
        let end = (out.next + env.cfg.transfer_batch_keys).min(out.keys.len());
        let mut items: Vec<(Key, Versions)> = Vec::with_capacity(end - out.next);
        for &k in &out.keys[out.next..end] {
            let v = env.storage.read(ctx, k);
            if !v.is_empty() {
                items.push((k, v));
            }
        }
        ctx.count(Counter::TransferBatchesSent);
        ctx.count_by(Counter::TransferKeysSent, items.len() as u64);
        out.sent_at = Some(ctx.now());
        let last = end == out.keys.len();
        ctx.send(key.0, Msg::TransferBatch { range: key.1, seq: out.seq, items, last });
    }

    /// A batch arrived: merge it (once) and acknowledge it (always, so a lost ack is repaired).
    pub fn on_batch<P: Host>(
        &mut self,
        ctx: &mut Ctx<'_, P>,
        env: &mut RebalanceEnv<'_>,
        from: NodeId,
        batch: (KeyRange, u32, Vec<(Key, Versions)>, bool),
    ) {
        let (range, seq, items, last) = batch;
        match self.incoming.get_mut(&range) {
            Some(inc) if inc.from == from && seq == inc.next_seq => {
                inc.next_seq += 1;
                inc.heard = ctx.now();
                for (k, v) in &items {
                    if env.storage.repair(ctx, *k, v).unwrap_or(false) {
                        ctx.count(Counter::TransferKeysReceived);
                    }
                }
                if last {
                    self.incoming.remove(&range);
                    self.received.insert(range);
                    ctx.count(Counter::TransferRangesReceived);
                }
            }
            Some(inc) if inc.from == from && seq < inc.next_seq => {}
            // A batch of a transfer this node finished (its ack was lost) is acknowledged again.
            None if self.received.contains(&range) => {}
            // A batch of a transfer this node gave up or never accepted: tell the sender, who
            // offers the range again.
            _ => {
                ctx.send(from, Msg::TransferAnswer { range, answer: TransferAnswer::Busy });
                return;
            }
        }
        ctx.send(from, Msg::TransferAck { range, seq });
    }

    /// The receiver stored a batch: send the next, or finish.
    pub fn on_ack<P: Host>(
        &mut self,
        ctx: &mut Ctx<'_, P>,
        env: &mut RebalanceEnv<'_>,
        from: NodeId,
        range: KeyRange,
        seq: u32,
    ) {
        let key = (from, range);
        let Some(out) = self.outgoing.get_mut(&key) else { return };
        if seq != out.seq {
            return;
        }
        out.next = (out.next + env.cfg.transfer_batch_keys).min(out.keys.len());
        out.seq += 1;
        let finished = out.next == out.keys.len();
        if finished {
            self.outgoing.remove(&key);
            self.sent.insert(key);
            ctx.count(Counter::TransferRangesSent);
        } else {
            self.send_batch(ctx, env, key);
        }
    }
}

/// The transfers this node should send now: `(receiver, range)` in a deterministic order.
fn to_send(me: NodeId, env: &mut RebalanceEnv<'_>) -> Vec<(NodeId, KeyRange)> {
    let ring = env.view.ring().clone();
    let joining: Vec<NodeId> = env.view.membership().joining().iter().copied().filter(|&x| x != me).collect();
    let mut out = Vec::new();
    let mut list = Vec::new();
    for x in joining {
        let Ok(future) = env.view.future_ranges(x, env.n) else { continue };
        for &r in future.iter() {
            ring.preference_list(r.end_inclusive, env.n, &mut list);
            if list.contains(&me) {
                out.push((x, r));
            }
        }
    }
    if env.view.status(me) == Some(Status::Leaving)
        && let Ok(future) = env.view.future_ring(me)
    {
        out.extend(gainers(&ring, &future, me, env.n));
    }
    out
}

/// For each range `me` replicates on `ring`, the nodes that replicate it on `future` but not
/// on `ring`: who must receive it when `me` leaves.
fn gainers(ring: &Ring, future: &Ring, me: NodeId, n: usize) -> Vec<(NodeId, KeyRange)> {
    let (mut now, mut then) = (Vec::new(), Vec::new());
    let mut out = Vec::new();
    for r in ring.ranges_of(me, n) {
        ring.preference_list(r.end_inclusive, n, &mut now);
        future.preference_list(r.end_inclusive, n, &mut then);
        out.extend(then.iter().filter(|g| !now.contains(g)).map(|&g| (g, r)));
    }
    out
}
