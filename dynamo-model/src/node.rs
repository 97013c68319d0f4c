//! A Dynamo storage node: routes client requests, coordinates them, serves as a replica, and
//! keeps its hints, object buffer and local failure detector.
//!
//! Routing (§4.5): in `replica` mode a request that reaches a node outside the key's first N
//! healthy nodes is forwarded once to the first of them; the coordinator writes (or reads)
//! locally and asks the others. In `proxy` mode the receiving node coordinates without storing
//! locally. In `client_driven` mode clients coordinate reads themselves and send writes to a
//! top-N node.
//!
//! Background work: hinted handoff scans, Merkle anti-entropy exchanges when enabled
//! (`anti_entropy.rs`) and key transfers on join and leave (`rebalance.rs`), all gated by
//! admission control (`admission.rs`) when that is enabled; foreground handlers report the disk
//! service time they charged to the controller.
//!
//! Membership (`view.rs`): the node gossips its membership view every interval, serves the
//! operator's join and leave commands about itself, and routes by the ring its view implies;
//! when that ring changes, its anti-entropy trees are rebuilt for its new ranges.

use crate::NodeId;
use crate::admission::{Admission, AdmissionController};
use crate::anti_entropy::{self, AeEnv, AntiEntropy, RangeTrees};
use crate::config::{CoordinatorMode, DynamoConfig};
use crate::coordinator::{Completion, Coordinator, Env, Origin};
use crate::counters::Counter;
use crate::detector::Detector;
use crate::membership::RingRecipe;
use crate::msg::{AdminCommand, ClientOp, Host, Key, ModelNote, Msg, OpError, Timer};
use crate::quorum::{QuorumChooser, Target, choose_targets};
use crate::rebalance::{Rebalance, RebalanceEnv};
use crate::ring::Ring;
use crate::stamp::Stamper;
use crate::storage::Storage;
use crate::version::Versions;
use crate::view::View;
use sim_core::{Ctx, SimDuration};
use std::collections::BTreeMap;
use std::sync::Arc;

/// Whether a crash can make this node forget versions it stamped: unsynced or buffered writes
/// die with it, and a proxy or a static-quorum coordinator keeps its stamps only in memory. Its
/// stamper then moves to a new primary epoch at every restart (`stamp.rs`).
fn stamps_are_volatile(cfg: &DynamoConfig) -> bool {
    cfg.coordinator == CoordinatorMode::Proxy
        || !cfg.storage.fsync_writes
        || cfg.storage.buffer.is_some()
        || cfg.quorum_shape.narrows_writes()
}

/// How many hints one scan hands off at most (bounds background work per scan).
const HANDOFFS_PER_SCAN: usize = 64;

/// A forwarded request awaiting its coordinator's confirmation.
#[derive(Clone, Debug)]
struct Forward {
    to: NodeId,
    client: NodeId,
    req: u64,
    op: ClientOp,
    hops: u8,
}

/// One storage node.
#[derive(Clone, Debug)]
pub struct Node {
    id: NodeId,
    cfg: Arc<DynamoConfig>,
    view: View,
    rebalance: Rebalance,
    storage: Storage,
    coord: Coordinator,
    detector: Detector,
    stamper: Stamper,
    probing: bool,
    /// Requests forwarded to a coordinator that has not yet confirmed it is alive.
    forwards: BTreeMap<u64, Forward>,
    next_forward: u64,
    /// Handoffs sent in the last scan and not yet acknowledged, with the versions sent.
    handoffs_unacked: BTreeMap<(NodeId, Key), Versions>,
    list: Vec<NodeId>,
    targets: Vec<Target>,
    /// Narrows a coordinated operation's targets under a non-expanding quorum shape.
    chooser: QuorumChooser,
    /// The anti-entropy driver, when enabled.
    ae: Option<Box<AntiEntropy>>,
    /// The admission controller of background tasks, when enabled.
    admission: Option<Box<AdmissionController>>,
}

impl Node {
    /// Boots (or, after a crash, rebuilds) node `id` from what its disk holds. `ring` is the
    /// starting ring, `recipe.build` of its members.
    pub fn boot<P: Host>(ctx: &mut Ctx<'_, P>, cfg: Arc<DynamoConfig>, ring: Arc<Ring>, recipe: RingRecipe) -> Node {
        let mut storage = Storage::new(cfg.storage.clone());
        let recovered = storage.recover(ctx);
        let view = View::boot(ctx, &cfg.membership, recipe, ring, &recovered.members);
        let ring = view.ring().clone();
        let stamper = Stamper::boot(ctx, stamps_are_volatile(&cfg), recovered.key_actors.iter().copied());
        ctx.set_timer(cfg.sloppy_quorum.scan_interval, Timer::HintScan);
        if let Some(b) = &cfg.storage.buffer {
            ctx.set_timer(b.flush_interval, Timer::Flush);
        }
        let ae = cfg.anti_entropy.enabled.then(|| {
            let ranges = ring.ranges_of(ctx.me(), cfg.n);
            let depth = crate::merkle::MerkleConfig { depth: cfg.anti_entropy.depth };
            let trees = RangeTrees::build(ranges, depth, recovered.data.iter().map(|(k, v)| (*k, v)))
                .expect("anti_entropy.depth is validated with the config");
            storage.attach_trees(trees);
            Box::new(AntiEntropy::boot(ctx, &cfg.anti_entropy))
        });
        let admission = cfg.admission.enabled.then(|| Box::new(AdmissionController::new(&cfg.admission)));
        let chooser = QuorumChooser::new(cfg.quorum_shape, recipe.seed, ctx.me(), ctx.incarnation());
        Node {
            id: ctx.me(),
            cfg,
            view,
            rebalance: Rebalance::default(),
            storage,
            coord: Coordinator::new(),
            detector: Detector::new(),
            stamper,
            probing: false,
            forwards: BTreeMap::new(),
            next_forward: 1,
            handoffs_unacked: BTreeMap::new(),
            list: Vec::new(),
            targets: Vec::new(),
            chooser,
            ae,
            admission,
        }
    }

    /// This node's id.
    pub fn id(&self) -> NodeId {
        self.id
    }

    /// The storage engine (world inspection: buffered versions, hints).
    pub fn storage(&self) -> &Storage {
        &self.storage
    }

    /// The local failure detector's view.
    pub fn detector(&self) -> &Detector {
        &self.detector
    }

    /// The membership view (its list, and the ring this node routes by).
    pub fn view(&self) -> &View {
        &self.view
    }

    /// Whether an anti-entropy exchange this node started is still in flight.
    pub fn anti_entropy_in_flight(&self) -> bool {
        self.ae.as_ref().is_some_and(|ae| ae.in_flight())
    }

    /// Handles a message.
    pub fn on_message<P: Host>(&mut self, ctx: &mut Ctx<'_, P>, from: NodeId, msg: Msg) {
        if from != self.id {
            self.detector.heard_from(from);
        }
        let foreground = self.admission.is_some()
            && matches!(msg, Msg::Request { .. } | Msg::ReplicaRead { .. } | Msg::ReplicaWrite { .. });
        let disk_before = ctx.service_time();
        match msg {
            Msg::Request { client, req, op, hops } => {
                if hops > 0 {
                    // Tell the forwarder this coordinator is alive.
                    ctx.send(from, Msg::Pong);
                }
                self.on_request(ctx, client, req, op, hops)
            }
            Msg::ReplicaRead { op, key } => {
                ctx.count(Counter::ReplicaReads);
                let mut versions = self.storage.read(ctx, key);
                versions.merge(&self.storage.hinted_versions(ctx, key));
                ctx.send(from, Msg::ReplicaReadReply { op, key, versions });
            }
            Msg::ReplicaReadReply { op, versions, .. } => {
                let (coord, mut env) = self.coord_env();
                coord.on_read_reply(ctx, &mut env, from, op, versions);
            }
            Msg::ReplicaWrite { op, key, versions, hint, durable } => {
                let ok = self.store_replica(ctx, key, &versions, hint, durable);
                if ok {
                    let hint = hint.filter(|h| *h != self.id);
                    crate::msg::note(ctx, ModelNote::ReplicaStored { key, coordinator: from, op, hint });
                }
                ctx.send(from, Msg::ReplicaWriteAck { op, key, ok });
            }
            Msg::ReplicaWriteAck { op, ok, .. } => {
                let (coord, mut env) = self.coord_env();
                coord.on_write_ack(ctx, &mut env, from, op, ok);
            }
            Msg::Ping => {
                ctx.send(from, Msg::Pong);
                if crate::mutation::active(crate::mutation::Mutation::PingStorm) {
                    ctx.send(from, Msg::Ping);
                    ctx.send(from, Msg::Ping);
                }
            }
            Msg::Pong => self.forwards.retain(|_, f| f.to != from),
            Msg::Handoff { key, versions } => {
                let ok = self.storage.apply(ctx, key, &versions, true).is_ok();
                ctx.count_by(Counter::HandoffsReceived, u64::from(ok));
                ctx.send(from, Msg::HandoffAck { key, ok });
            }
            Msg::HandoffAck { key, ok } => {
                // Only what was handed off may go: a hinted write that reached the hint while
                // the handoff was in flight waits for the next scan.
                let sent = self.handoffs_unacked.remove(&(from, key));
                if ok
                    && let Some(sent) = sent
                    && sent.covers(&self.storage.read_hint(ctx, from, key))
                {
                    self.stamper.handed_off(ctx, key);
                    self.storage.delete_hint(ctx, from, key);
                    ctx.count(Counter::HandoffsCompleted);
                }
            }
            Msg::MembershipPoll => {
                ctx.send(from, Msg::MembershipSnapshot { members: self.view.membership().ring_members() })
            }
            Msg::GetReply { .. } | Msg::PutReply { .. } | Msg::MembershipSnapshot { .. } => {}
            Msg::Admin(cmd) => self.on_admin(ctx, cmd),
            Msg::GossipHash(hash) => self.view.on_hash(ctx, from, hash),
            Msg::GossipDigest(digest) => self.view.on_digest(ctx, from, digest),
            Msg::GossipReply { delta, request } => {
                let changed = self.view.on_reply(ctx, from, delta, &request);
                self.after_view_change(ctx, changed);
            }
            Msg::GossipDelta(delta) => {
                let changed = self.view.on_delta(ctx, delta);
                self.after_view_change(ctx, changed);
            }
            Msg::TransferOffer { range } => {
                let (rb, mut env) = self.rebalance_env();
                rb.on_offer(ctx, &mut env, from, range);
            }
            Msg::TransferAnswer { range, answer } => {
                let (rb, mut env) = self.rebalance_env();
                rb.on_answer(ctx, &mut env, from, range, answer);
            }
            Msg::TransferBatch { range, seq, items, last } => {
                let (rb, mut env) = self.rebalance_env();
                rb.on_batch(ctx, &mut env, from, (range, seq, items, last));
            }
            Msg::TransferAck { range, seq } => {
                let (rb, mut env) = self.rebalance_env();
                rb.on_ack(ctx, &mut env, from, range, seq);
            }
            Msg::MerkleRequest { session, range, request } => {
                anti_entropy::answer_merkle(ctx, &self.storage, from, session, range, &request)
            }
            Msg::MerkleReply { session, range, reply } => {
                let (ae, mut env) = self.ae_env();
                if let Some(ae) = ae {
                    ae.on_merkle_reply(ctx, &mut env, from, session, range, reply);
                }
            }
            Msg::KeyExchange { session, range, push, want } => {
                let (_, mut env) = self.ae_env();
                anti_entropy::answer_key_exchange(ctx, &mut env, from, session, range, push, want);
            }
            Msg::KeyExchangeReply { session, range, versions } => {
                let (ae, mut env) = self.ae_env();
                if let Some(ae) = ae {
                    ae.on_key_exchange_reply(ctx, &mut env, from, session, range, versions);
                }
            }
        }
        self.stamper.absorb_losses(ctx, &mut self.storage);
        if foreground && let Some(adm) = &mut self.admission {
            // The disk service time this foreground operation charged (a handler that touched
            // no disk, e.g. a forward, is not a disk operation).
            let disk = SimDuration::from_nanos(ctx.service_time().as_nanos() - disk_before.as_nanos());
            if disk > SimDuration::ZERO {
                adm.record(ctx.now(), disk);
                ctx.count(Counter::AdmissionSamples);
            }
        }
    }

    /// Handles a timer.
    pub fn on_timer<P: Host>(&mut self, ctx: &mut Ctx<'_, P>, timer: Timer) {
        match timer {
            Timer::OpDeadline(op) => {
                let before = self.detector.len();
                let (coord, mut env) = self.coord_env();
                coord.on_deadline(ctx, &mut env, op);
                if self.detector.len() > before {
                    self.arm_probe(ctx);
                }
            }
            Timer::ReadRepair(op) => {
                let (coord, mut env) = self.coord_env();
                coord.on_repair_timer(ctx, &mut env, op);
            }
            Timer::Probe => self.probe(ctx),
            Timer::HintScan => {
                // A scan with hints to hand off is background work: ask admission control.
                let deferral = if self.storage.hint_count() > 0 { self.background_deferral(ctx) } else { None };
                match deferral {
                    Some(delay) => {
                        ctx.set_timer(delay, Timer::HintScan);
                    }
                    None => self.scan_hints(ctx),
                }
            }
            Timer::AntiEntropy => match self.background_deferral(ctx) {
                Some(delay) => {
                    ctx.set_timer(delay, Timer::AntiEntropy);
                }
                None => {
                    let (ae, mut env) = self.ae_env();
                    if let Some(ae) = ae {
                        ae.on_tick(ctx, &mut env);
                    }
                }
            },
            Timer::AntiEntropyRetry { session } => {
                if let Some(ae) = &mut self.ae {
                    ae.on_retry(ctx, session);
                }
            }
            Timer::Flush => {
                self.storage.flush(ctx);
                if let Some(b) = &self.cfg.storage.buffer {
                    ctx.set_timer(b.flush_interval, Timer::Flush);
                }
            }
            Timer::PeerCheck { op, peer } => {
                // A coordinator this node forwarded to never confirmed: suspect it, route again.
                if let Some(f) = self.forwards.remove(&op) {
                    ctx.count(Counter::Reforwarded);
                    self.detector.suspect(peer, ctx.now());
                    self.arm_probe(ctx);
                    self.on_request(ctx, f.client, f.req, f.op, f.hops);
                }
            }
            Timer::Gossip => {
                self.view.on_tick(ctx);
                let (rb, mut env) = self.rebalance_env();
                if let Some(step) = rb.on_tick(ctx, &mut env) {
                    let changed = self.view.step(ctx, step).unwrap_or(false);
                    self.after_view_change(ctx, changed);
                }
            }
            Timer::ClientDeadline(_) | Timer::MembershipPoll | Timer::App(_) => {}
        }
        self.stamper.absorb_losses(ctx, &mut self.storage);
    }

    /// An operator command about this node (refused commands are counted in the view's stats).
    fn on_admin<P: Host>(&mut self, ctx: &mut Ctx<'_, P>, cmd: AdminCommand) {
        let changed = self.view.command(ctx, cmd).unwrap_or(false);
        self.after_view_change(ctx, changed);
    }

    /// After the view changed the ring: rebuild the anti-entropy trees for the new ranges.
    fn after_view_change<P: Host>(&mut self, ctx: &mut Ctx<'_, P>, ring_changed: bool) {
        if !ring_changed || self.ae.is_none() {
            return;
        }
        let ranges = self.view.ring().ranges_of(self.id, self.cfg.n);
        let depth = crate::merkle::MerkleConfig { depth: self.cfg.anti_entropy.depth };
        let data = self.storage.all_data(ctx);
        let trees = RangeTrees::build(ranges, depth, data.iter().map(|(k, v)| (*k, v)))
            .expect("anti_entropy.depth is validated with the config");
        self.storage.attach_trees(trees);
    }

    /// The transfer driver and what it may touch, borrowed apart.
    fn rebalance_env(&mut self) -> (&mut Rebalance, RebalanceEnv<'_>) {
        let env = RebalanceEnv {
            view: &mut self.view,
            storage: &mut self.storage,
            n: self.cfg.n,
            cfg: &self.cfg.membership,
            admission: self.admission.as_deref_mut(),
        };
        (&mut self.rebalance, env)
    }

    /// Asks admission control for a background runtime slice: `None` to go ahead now (always,
    /// when admission control is off), else how long to wait before asking again.
    fn background_deferral<P: Host>(&mut self, ctx: &mut Ctx<'_, P>) -> Option<SimDuration> {
        let verdict = self.admission.as_mut()?.admit(ctx.now());
        count_admission(ctx, verdict);
        match verdict {
            Admission::Admit => None,
            Admission::Defer(delay) => Some(delay),
        }
    }

    /// The anti-entropy driver and what it may touch, borrowed apart.
    fn ae_env(&mut self) -> (Option<&mut AntiEntropy>, AeEnv<'_>) {
        let env = AeEnv { storage: &mut self.storage, detector: &self.detector, ring: self.view.ring(), n: self.cfg.n };
        (self.ae.as_deref_mut(), env)
    }

    /// The coordinator and what it may touch, borrowed apart.
    fn coord_env(&mut self) -> (&mut Coordinator, Env<'_>) {
        let local = self.cfg.coordinator != CoordinatorMode::Proxy;
        let env = Env {
            cfg: &self.cfg,
            local: local.then_some(&mut self.storage),
            detector: &mut self.detector,
            stamper: Some(&mut self.stamper),
        };
        (&mut self.coord, env)
    }

    fn on_request<P: Host>(&mut self, ctx: &mut Ctx<'_, P>, client: NodeId, req: u64, op: ClientOp, hops: u8) {
        self.fill_targets(ctx, op.key());
        let coordinates_here = self.cfg.coordinator == CoordinatorMode::Proxy
            || hops > 0
            || self.targets.iter().any(|t| t.node == self.id);
        if !coordinates_here && let Some(first) = self.targets.first() {
            self.forward(ctx, first.node, Forward { to: first.node, client, req, op, hops });
            return;
        }
        if self.targets.is_empty() {
            let is_get = matches!(op, ClientOp::Get { .. });
            ctx.send(client, Completion::failed(req, is_get, OpError::Unavailable).into_msg());
            return;
        }
        let mut targets = std::mem::take(&mut self.targets);
        let is_get = matches!(op, ClientOp::Get { .. });
        self.chooser.choose(&mut targets, is_get, self.cfg.r, self.cfg.w);
        let (coord, mut env) = self.coord_env();
        coord.start(ctx, &mut env, Origin::Remote { client, req }, op, &targets);
        self.targets = targets;
    }

    /// Forwards a request to its coordinator and checks that the coordinator confirms.
    fn forward<P: Host>(&mut self, ctx: &mut Ctx<'_, P>, to: NodeId, f: Forward) {
        ctx.count(Counter::Forwarded);
        let id = self.next_forward;
        self.next_forward += 1;
        let msg = Msg::Request { client: f.client, req: f.req, op: f.op.clone(), hops: f.hops + 1 };
        ctx.send(to, msg);
        ctx.set_timer(self.cfg.failure_detection.suspect_after, Timer::PeerCheck { op: id, peer: to });
        self.forwards.insert(id, f);
    }

    /// The first N healthy nodes of `key`'s extended preference list, by this node's view.
    /// The key's position comes from the storage engine, which keeps it for the local store.
    fn fill_targets<P: Host>(&mut self, ctx: &mut Ctx<'_, P>, key: Key) {
        let pos = self.storage.position(key);
        let ring = self.view.ring();
        let len = extended_len(&self.cfg, ring.node_count());
        ring.preference_list(pos, len, &mut self.list);
        let now = ctx.now();
        choose_targets(&self.list, self.cfg.n, &self.cfg.sloppy_quorum, &self.detector, now, &mut self.targets);
    }

    fn store_replica<P: Host>(
        &mut self,
        ctx: &mut Ctx<'_, P>,
        key: Key,
        versions: &Versions,
        hint: Option<NodeId>,
        durable: bool,
    ) -> bool {
        match hint {
            Some(intended) if intended != self.id => {
                let has = self.storage.has_hint(intended, key);
                if !has && self.storage.hint_count() >= self.cfg.sloppy_quorum.max_hints {
                    ctx.count(Counter::HintsRefused);
                    return false;
                }
                let ok = self.storage.store_hint(ctx, intended, key, versions).is_ok();
                ctx.count_by(Counter::HintsStored, u64::from(ok));
                ok
            }
            _ => {
                let ok = self.storage.apply(ctx, key, versions, durable).is_ok();
                ctx.count_by(Counter::ReplicaWrites, u64::from(ok));
                ok
            }
        }
    }

    fn arm_probe<P: Host>(&mut self, ctx: &mut Ctx<'_, P>) {
        if !self.probing && !self.detector.is_empty() {
            self.probing = true;
            ctx.set_timer(self.cfg.failure_detection.retry_interval, Timer::Probe);
        }
    }

    /// Pings every suspected peer; any answer clears the suspicion.
    fn probe<P: Host>(&mut self, ctx: &mut Ctx<'_, P>) {
        self.probing = false;
        let suspects: Vec<NodeId> = self.detector.suspected().collect();
        for peer in suspects {
            ctx.send(peer, Msg::Ping);
        }
        self.arm_probe(ctx);
    }

    /// Hands off hints whose intended node this node does not believe down. An intended node
    /// that left the previous scan's handoffs unanswered is suspected (and then probed).
    fn scan_hints<P: Host>(&mut self, ctx: &mut Ctx<'_, P>) {
        let now = ctx.now();
        for ((silent, _), _) in std::mem::take(&mut self.handoffs_unacked) {
            self.detector.suspect(silent, now);
        }
        self.arm_probe(ctx);
        let ready: Vec<(NodeId, Key)> = self
            .storage
            .hints()
            .filter(|(intended, _)| !self.detector.is_suspected(*intended))
            .take(HANDOFFS_PER_SCAN)
            .collect();
        let ready =
            if crate::mutation::active(crate::mutation::Mutation::HandoffNeverDelivers) { vec![] } else { ready };
        for (intended, key) in ready {
            let versions = self.storage.read_hint(ctx, intended, key);
            ctx.send(intended, Msg::Handoff { key, versions: versions.clone() });
            self.handoffs_unacked.insert((intended, key), versions);
            if crate::mutation::active(crate::mutation::Mutation::HintDeletedBeforeAck) {
                self.storage.delete_hint(ctx, intended, key);
            }
        }
        ctx.set_timer(self.cfg.sloppy_quorum.scan_interval, Timer::HintScan);
    }
}

/// Counts admission control's answer to a background task.
pub(crate) fn count_admission<P: Host>(ctx: &mut Ctx<'_, P>, verdict: Admission) {
    ctx.count(match verdict {
        Admission::Admit => Counter::BackgroundAdmitted,
        Admission::Defer(_) => Counter::BackgroundDeferred,
    });
}

/// Length of the extended preference list: 2N, capped at the cluster size.
pub fn extended_len(cfg: &DynamoConfig, nodes: usize) -> usize {
    (2 * cfg.n).min(nodes)
}
