//! Unit tests of the node, coordinator, storage engine and client library, each driven through
//! `sim_core::testkit::Harness` with no event queue running: the proof of the sans-IO boundary.
//!
//! Every storage node lives in its own harness. A test hands a node a message or fires its next
//! timer, looks at what it sent, and moves those messages to their receivers itself, so each
//! test states exactly which messages flow and which are dropped.

mod anti_entropy;
mod client;
mod coordinator;
mod node;
mod stamp;
mod storage;

use crate::NodeId;
use crate::actor::{Actor, App, ClientApi};
use crate::config::DynamoConfig;
use crate::coordinator::Completion;
use crate::counters::Counter;
use crate::membership::RingRecipe;
use crate::msg::{ClientOp, Host, Key, Msg, StoreKey, StoreRecord, Timer};
use crate::node::{Node, extended_len};
use crate::ring::{PartitionStrategy, PlacementPolicy, Ring, RingMember, key_position};
use crate::version::{Context, Value, VersioningMode, Versions, WriteId};
use sim_core::testkit::Harness;
use sim_core::{Process, SimDuration, SimRng, SimTime};
use std::sync::Arc;

/// An application that does nothing: the client processes of these tests drive the library
/// directly, so `Actor<NoApp>` is only the process type the harnesses run.
#[derive(Clone, Debug)]
pub(crate) struct NoApp;

impl App for NoApp {
    type Record = ();
    fn start<P: Host>(&mut self, _: &mut ClientApi<'_, '_, P, ()>) {}
    fn on_completion<P: Host>(&mut self, _: &mut ClientApi<'_, '_, P, ()>, _: Completion) {}
    fn on_timer<P: Host>(&mut self, _: &mut ClientApi<'_, '_, P, ()>, _: u64) {}
}

/// The process type every harness runs.
pub(crate) type Proc = Actor<NoApp>;

/// What a handler sent: (receiver, message), in order.
pub(crate) type Sent = Vec<(NodeId, Msg)>;

/// The client process that issues requests to nodes.
pub(crate) const CLIENT: NodeId = NodeId(100);

/// A peer outside the ring used to plant replicas directly (op 0, as read repair does).
pub(crate) const PLANTER: NodeId = NodeId(99);

/// The key most tests use.
pub(crate) const KEY: Key = 42;

const SEED: u64 = 7;

/// A ring of `nodes` storage nodes `0..nodes`, 8 random tokens each.
pub(crate) fn ring(nodes: u32) -> Arc<Ring> {
    let members: Vec<RingMember> = (0..nodes).map(|i| RingMember::new(NodeId(i))).collect();
    Arc::new(RECIPE.build(&members).unwrap())
}

/// How test nodes build rings from membership views (and [`ring`] builds the starting ring).
pub(crate) const RECIPE: RingRecipe = RingRecipe {
    strategy: PartitionStrategy::RandomTokens { tokens_per_node: 8 },
    seed: SEED,
    placement: PlacementPolicy::Clockwise,
    list_cache: 6,
};

/// The value of write `id`.
pub(crate) fn value(id: u64) -> Value {
    Value::plain(WriteId(id), 100, false)
}

/// The version a coordinator `by` creates for write `id` on top of `prev` (vector clocks).
pub(crate) fn next_version(prev: &Versions, by: NodeId, id: u64) -> Versions {
    let mut stored = prev.clone();
    stored.coordinate_put(VersioningMode::default(), &prev.context(), by, id, value(id))
}

/// A client's blind put of write `id`.
pub(crate) fn put_req(req: u64, key: Key, id: u64) -> Msg {
    put_req_ctx(req, key, Context::empty(), id)
}

/// A client's put of write `id` with the context of an earlier read.
pub(crate) fn put_req_ctx(req: u64, key: Key, context: Context, id: u64) -> Msg {
    Msg::Request { client: CLIENT, req, op: ClientOp::Put { key, context, value: value(id) }, hops: 0 }
}

/// A client's get.
pub(crate) fn get_req(req: u64, key: Key) -> Msg {
    Msg::Request { client: CLIENT, req, op: ClientOp::Get { key }, hops: 0 }
}

/// The write ids of a set, as plain numbers.
pub(crate) fn ids(v: &Versions) -> Vec<u64> {
    v.write_ids().into_iter().map(|w| w.0).collect()
}

/// The messages of `sent` addressed to `to`.
pub(crate) fn to(sent: &[(NodeId, Msg)], to: NodeId) -> Vec<Msg> {
    sent.iter().filter(|(t, _)| *t == to).map(|(_, m)| m.clone()).collect()
}

/// The receivers of `sent`, in order.
pub(crate) fn receivers(sent: &[(NodeId, Msg)]) -> Vec<NodeId> {
    sent.iter().map(|(t, _)| *t).collect()
}

/// One storage node in its own harness.
pub(crate) struct TestNode {
    pub h: Harness<Proc>,
    pub p: Proc,
    cfg: Arc<DynamoConfig>,
    ring: Arc<Ring>,
}

impl TestNode {
    /// Boots node `id` at time zero with membership gossip off (its round timer would
    /// interleave with the timers these tests fire one by one); see [`Self::boot_gossiping`].
    pub fn boot(id: NodeId, cfg: Arc<DynamoConfig>, ring: Arc<Ring>) -> Self {
        let mut cfg = (*cfg).clone();
        cfg.membership.enabled = false;
        Self::boot_gossiping(id, Arc::new(cfg), ring)
    }

    /// Boots node `id` at time zero with `cfg` as given.
    pub fn boot_gossiping(id: NodeId, cfg: Arc<DynamoConfig>, ring: Arc<Ring>) -> Self {
        let mut h = Harness::new(id, SEED);
        let node = h.with_ctx(|ctx| Node::boot(ctx, cfg.clone(), ring.clone(), RECIPE));
        assert!(h.take_sent().is_empty(), "a booting node sends nothing");
        TestNode { h, p: Actor::Node(Box::new(node)), cfg, ring }
    }

    /// The node's counter `c` so far.
    pub fn count(&self, c: Counter) -> u64 {
        c.get(self.h.counters())
    }

    /// The node's state.
    pub fn node(&self) -> &Node {
        self.p.as_node().unwrap()
    }

    /// Delivers `msg` from `from`; returns what the node sent in response.
    pub fn recv(&mut self, from: NodeId, msg: Msg) -> Sent {
        let p = &mut self.p;
        self.h.with_ctx(|ctx| p.on_message(ctx, from, msg));
        self.h.take_sent()
    }

    /// Fires the node's next timer (moving its time there); returns it and what was sent.
    pub fn fire(&mut self) -> (Timer, Sent) {
        let timer = self.h.pop_timer().expect("a pending timer");
        let p = &mut self.p;
        self.h.with_ctx(|ctx| p.on_timer(ctx, timer));
        (timer, self.h.take_sent())
    }

    /// Fires the next timer, which must be `expected`; returns what was sent.
    pub fn fire_expect(&mut self, expected: Timer) -> Sent {
        let (timer, sent) = self.fire();
        assert_eq!(timer, expected, "the next timer");
        sent
    }

    /// A crash: unsynced disk writes and every timer are lost; the node is rebuilt from its disk.
    pub fn crash_and_reboot(&mut self) {
        self.h.disk_mut().crash();
        self.h.drop_timers();
        let (cfg, ring) = (self.cfg.clone(), self.ring.clone());
        let node = self.h.with_ctx(|ctx| Node::boot(ctx, cfg, ring, RECIPE));
        self.p = Actor::Node(Box::new(node));
    }

    /// What the disk holds for `key` in the main store (without faults or latency).
    pub fn on_disk(&self, key: Key) -> Option<Versions> {
        self.peek(StoreKey::Data(key))
    }

    /// What the disk holds in the hint store for (`intended`, `key`).
    pub fn hint_on_disk(&self, key: Key, intended: NodeId) -> Option<Versions> {
        self.peek(StoreKey::Hint { key, intended })
    }

    fn peek(&self, k: StoreKey) -> Option<Versions> {
        let rec = self.h.disk().peek(&k).expect("record intact");
        match rec {
            Some(StoreRecord::Versions(v)) => Some(v.clone()),
            _ => None,
        }
    }

    /// The versions this node serves for `key`, asked as a replica by [`PLANTER`].
    pub fn replica_read(&mut self, key: Key) -> Versions {
        let sent = self.recv(PLANTER, Msg::ReplicaRead { op: 0, key });
        match &sent[..] {
            [(t, Msg::ReplicaReadReply { versions, .. })] if *t == PLANTER => versions.clone(),
            other => panic!("expected one read reply, got {other:?}"),
        }
    }

    /// Plants `versions` of `key` as a replica write (op 0, no hint); returns the ack's `ok`.
    pub fn plant(&mut self, key: Key, versions: &Versions, durable: bool) -> bool {
        let msg = Msg::ReplicaWrite { op: 0, key, versions: versions.clone(), hint: None, durable };
        match &self.recv(PLANTER, msg)[..] {
            [(t, Msg::ReplicaWriteAck { ok, .. })] if *t == PLANTER => *ok,
            other => panic!("expected one ack, got {other:?}"),
        }
    }
}

/// Storage nodes `0..n`, each in its own harness, and nothing moving between them unless a test
/// moves it.
pub(crate) struct Cluster {
    pub cfg: Arc<DynamoConfig>,
    pub ring: Arc<Ring>,
    pub nodes: Vec<TestNode>,
}

impl Cluster {
    /// Boots `n` nodes with `cfg`.
    pub fn new(cfg: DynamoConfig, n: u32) -> Self {
        let cfg = Arc::new(cfg);
        let ring = ring(n);
        let nodes = (0..n).map(|i| TestNode::boot(NodeId(i), cfg.clone(), ring.clone())).collect();
        Cluster { cfg, ring, nodes }
    }

    /// The key's extended preference list (2N, capped at the cluster size), as nodes see it.
    pub fn pref(&self, key: Key) -> Vec<NodeId> {
        let mut out = Vec::new();
        let len = extended_len(&self.cfg, self.ring.node_count());
        self.ring.preference_list(key_position(key), len, &mut out);
        out
    }

    /// Node `id`.
    pub fn at(&mut self, id: NodeId) -> &mut TestNode {
        &mut self.nodes[id.index()]
    }

    /// Delivers one sent message `(to, msg)` from `from`; returns what `to` sent in response.
    pub fn deliver(&mut self, from: NodeId, (to, msg): (NodeId, Msg)) -> Sent {
        self.at(to).recv(from, msg)
    }
}
