//! The client library: routes a client's gets and puts to coordinators, or coordinates reads
//! itself in client-driven mode, and turns replies and timeouts into completions.
//!
//! Routing: a put that follows a read goes to the read's fastest responder when that node is
//! among the key's top N (§5); otherwise a request goes to a random node (a load balancer) or,
//! for a partition-aware client, to the first top-N node it does not believe down. In
//! client-driven mode (§6.4) reads run the coordinator state machine in the client, and the
//! client refreshes its membership snapshot by polling a random node every `membership_poll`.
//! A request unanswered within the client timeout fails, and its node is suspected by the
//! client's own failure detector.

use crate::NodeId;
use crate::config::{CoordinatorMode, DynamoConfig};
use crate::coordinator::{Completion, Coordinator, Env, Origin};
use crate::counters::Counter;
use crate::detector::Detector;
use crate::membership::RingRecipe;
use crate::msg::{ClientOp, Host, Key, Msg, OpError, ReqId, Timer};
use crate::node::extended_len;
use crate::quorum::{QuorumChooser, Target, choose_targets};
use crate::ring::{Ring, RingMember, key_position};
use crate::version::{Context, Value};
use sim_core::{Ctx, SimDuration, TimerId};
use std::collections::BTreeMap;
use std::sync::Arc;

/// How a server-driven client picks the node it sends a request to.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Routing {
    /// A generic load balancer: a uniformly random node.
    #[default]
    LoadBalancer,
    /// A partition-aware library: the first top-N node not believed down.
    PartitionAware,
}

/// Client library settings.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ClientConfig {
    /// Request routing in server-driven modes. Default: load balancer.
    pub routing: Routing,
    /// Give up on a request after this span. Default 1 s.
    pub timeout: SimDuration,
}

impl Default for ClientConfig {
    fn default() -> Self {
        ClientConfig { routing: Routing::LoadBalancer, timeout: SimDuration::from_millis(1000) }
    }
}

#[derive(Clone, Copy, Debug)]
struct Outstanding {
    node: NodeId,
    is_get: bool,
    deadline: TimerId,
}

/// One client's library state.
#[derive(Clone, Debug)]
pub struct Client {
    cfg: Arc<DynamoConfig>,
    ccfg: ClientConfig,
    ring: Arc<Ring>,
    recipe: RingRecipe,
    nodes: Vec<NodeId>,
    next_req: ReqId,
    outstanding: BTreeMap<ReqId, Outstanding>,
    coord: Coordinator,
    detector: Detector,
    list: Vec<NodeId>,
    targets: Vec<Target>,
    /// Narrows the targets of a read it coordinates under a non-expanding quorum shape.
    chooser: QuorumChooser,
}

impl Client {
    /// A client of the cluster whose storage nodes are `ring`'s members.
    pub fn new<P: Host>(
        ctx: &mut Ctx<'_, P>,
        cfg: Arc<DynamoConfig>,
        ccfg: ClientConfig,
        ring: Arc<Ring>,
        recipe: RingRecipe,
    ) -> Self {
        let nodes = ring.members().iter().map(|m| m.node).collect();
        if cfg.coordinator == CoordinatorMode::ClientDriven {
            ctx.set_timer(cfg.membership_poll, Timer::MembershipPoll);
        }
        let chooser = QuorumChooser::new(cfg.quorum_shape, recipe.seed, ctx.me(), ctx.incarnation());
        Client {
            cfg,
            ccfg,
            ring,
            recipe,
            nodes,
            next_req: 1,
            outstanding: BTreeMap::new(),
            coord: Coordinator::new(),
            detector: Detector::new(),
            list: Vec::new(),
            targets: Vec::new(),
            chooser,
        }
    }

    /// Routes by a node's snapshot of the ring members from now on, if it differs (a snapshot
    /// no ring can be built from is ignored).
    fn adopt(&mut self, members: &[RingMember]) {
        let same = members.len() == self.ring.node_count() && members.iter().all(|m| self.ring.contains(m.node));
        if same || members.is_empty() {
            return;
        }
        if let Ok(ring) = self.recipe.build(members) {
            self.nodes = members.iter().map(|m| m.node).collect();
            self.ring = Arc::new(ring);
        }
    }

    /// Requests still waiting for an answer.
    pub fn in_flight(&self) -> usize {
        self.outstanding.len() + self.coord.in_flight()
    }

    /// Starts a get; its completion comes back from `on_message` or `on_timer`.
    pub fn get<P: Host>(&mut self, ctx: &mut Ctx<'_, P>, key: Key) -> (ReqId, Option<Completion>) {
        let req = self.fresh_req();
        if self.cfg.coordinator == CoordinatorMode::ClientDriven {
            self.fill_targets(ctx, key);
            let mut targets = std::mem::take(&mut self.targets);
            self.chooser.choose(&mut targets, true, self.cfg.r, self.cfg.w);
            let mut env = Env { cfg: &self.cfg, local: None, detector: &mut self.detector, stamper: None };
            let done = self.coord.start(ctx, &mut env, Origin::Local { req }, ClientOp::Get { key }, &targets);
            self.targets = targets;
            return (req, done);
        }
        let node = self.route(ctx, key, None);
        (req, self.send(ctx, node, req, ClientOp::Get { key }))
    }

    /// Starts a put with the context of an earlier get (empty for a blind write) and that
    /// get's fastest responder as the preferred coordinator.
    pub fn put<P: Host>(
        &mut self,
        ctx: &mut Ctx<'_, P>,
        key: Key,
        context: Context,
        value: Value,
        preferred: Option<NodeId>,
    ) -> (ReqId, Option<Completion>) {
        let req = self.fresh_req();
        let node = self.route(ctx, key, preferred);
        (req, self.send(ctx, node, req, ClientOp::Put { key, context, value }))
    }

    /// Handles a message addressed to the client library.
    pub fn on_message<P: Host>(&mut self, ctx: &mut Ctx<'_, P>, from: NodeId, msg: Msg) -> Option<Completion> {
        self.detector.heard_from(from);
        match msg {
            Msg::GetReply { req, result } => self.answered(ctx, req, Completion::Get { req, result }),
            Msg::PutReply { req, result } => self.answered(ctx, req, Completion::Put { req, result }),
            Msg::ReplicaReadReply { op, versions, .. } => {
                let mut env = Env { cfg: &self.cfg, local: None, detector: &mut self.detector, stamper: None };
                self.coord.on_read_reply(ctx, &mut env, from, op, versions)
            }
            Msg::ReplicaWriteAck { op, ok, .. } => {
                let mut env = Env { cfg: &self.cfg, local: None, detector: &mut self.detector, stamper: None };
                self.coord.on_write_ack(ctx, &mut env, from, op, ok)
            }
            Msg::MembershipSnapshot { members } => {
                ctx.count(Counter::MembershipRefreshes);
                self.adopt(&members);
                None
            }
            _ => None,
        }
    }

    /// Handles one of the library's timers (the application handles `Timer::App`).
    pub fn on_timer<P: Host>(&mut self, ctx: &mut Ctx<'_, P>, timer: Timer) -> Option<Completion> {
        match timer {
            Timer::ClientDeadline(req) => {
                let o = self.outstanding.remove(&req)?;
                ctx.count(Counter::ClientTimeouts);
                self.detector.suspect(o.node, ctx.now());
                Some(Completion::failed(req, o.is_get, OpError::ClientTimeout))
            }
            Timer::OpDeadline(op) => {
                let mut env = Env { cfg: &self.cfg, local: None, detector: &mut self.detector, stamper: None };
                self.coord.on_deadline(ctx, &mut env, op)
            }
            Timer::ReadRepair(op) => {
                let mut env = Env { cfg: &self.cfg, local: None, detector: &mut self.detector, stamper: None };
                self.coord.on_repair_timer(ctx, &mut env, op);
                None
            }
            Timer::MembershipPoll => {
                if let Some(&node) = ctx.rng().choose(&self.nodes) {
                    ctx.send(node, Msg::MembershipPoll);
                }
                ctx.set_timer(self.cfg.membership_poll, Timer::MembershipPoll);
                None
            }
            _ => None,
        }
    }

    fn fresh_req(&mut self) -> ReqId {
        let req = self.next_req;
        self.next_req += 1;
        req
    }

    fn answered<P: Host>(&mut self, ctx: &mut Ctx<'_, P>, req: ReqId, c: Completion) -> Option<Completion> {
        let o = self.outstanding.remove(&req)?;
        ctx.cancel(o.deadline);
        Some(c)
    }

    fn send<P: Host>(
        &mut self,
        ctx: &mut Ctx<'_, P>,
        node: Option<NodeId>,
        req: ReqId,
        op: ClientOp,
    ) -> Option<Completion> {
        let is_get = matches!(op, ClientOp::Get { .. });
        let Some(node) = node else {
            return Some(Completion::failed(req, is_get, OpError::Unavailable));
        };
        ctx.send(node, Msg::Request { client: ctx.me(), req, op, hops: 0 });
        let deadline = ctx.set_timer(self.ccfg.timeout, Timer::ClientDeadline(req));
        self.outstanding.insert(req, Outstanding { node, is_get, deadline });
        None
    }

    /// Picks the node to send a request to.
    fn route<P: Host>(&mut self, ctx: &mut Ctx<'_, P>, key: Key, preferred: Option<NodeId>) -> Option<NodeId> {
        let top_n = self.cfg.n;
        let partition_aware =
            self.ccfg.routing == Routing::PartitionAware || self.cfg.coordinator == CoordinatorMode::ClientDriven;
        if preferred.is_some() || partition_aware {
            self.fill_targets(ctx, key);
        }
        if let Some(p) = preferred
            && !self.detector.is_suspected(p)
            && self.list.iter().take(top_n).any(|n| *n == p)
        {
            return Some(p);
        }
        if partition_aware {
            return self.targets.first().map(|t| t.node);
        }
        if self.detector.is_empty() {
            // Every node is healthy: the pool is `nodes` itself (no copy per request).
            return ctx.rng().choose(&self.nodes).copied();
        }
        let healthy: Vec<NodeId> = self.nodes.iter().copied().filter(|n| !self.detector.is_suspected(*n)).collect();
        let pool = if healthy.is_empty() { &self.nodes } else { &healthy };
        ctx.rng().choose(pool).copied()
    }

    fn fill_targets<P: Host>(&mut self, ctx: &mut Ctx<'_, P>, key: Key) {
        let len = extended_len(&self.cfg, self.ring.node_count());
        self.ring.preference_list(key_position(key), len, &mut self.list);
        let now = ctx.now();
        choose_targets(&self.list, self.cfg.n, &self.cfg.sloppy_quorum, &self.detector, now, &mut self.targets);
    }
}
