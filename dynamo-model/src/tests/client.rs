//! The client library: routing (load balancer, partition-aware, preferred coordinator), the
//! client's deadline and failure detector, and client-driven coordination with membership polls.

use super::*;
use crate::client::{Client, ClientConfig, Routing};
use crate::config::CoordinatorMode;
use crate::counters::Counter;
use crate::msg::{GetOk, OpError, ReqId};
use std::collections::BTreeSet;

/// A client library in its own harness, as process [`CLIENT`].
struct TestClient {
    h: Harness<Proc>,
    lib: Client,
}

impl TestClient {
    fn new(cfg: &Arc<DynamoConfig>, routing: Routing, ring: &Arc<Ring>) -> Self {
        let mut h = Harness::new(CLIENT, 11);
        let ccfg = ClientConfig { routing, ..ClientConfig::default() };
        let lib = h.with_ctx(|ctx| Client::new(ctx, cfg.clone(), ccfg, ring.clone(), super::RECIPE));
        assert!(h.take_sent().is_empty());
        TestClient { h, lib }
    }

    fn get(&mut self, key: Key) -> (ReqId, Option<Completion>, Sent) {
        let lib = &mut self.lib;
        let (req, done) = self.h.with_ctx(|ctx| lib.get(ctx, key));
        (req, done, self.h.take_sent())
    }

    fn put(&mut self, key: Key, id: u64, preferred: Option<NodeId>) -> (ReqId, Option<Completion>, Sent) {
        let lib = &mut self.lib;
        let (req, done) = self.h.with_ctx(|ctx| lib.put(ctx, key, Context::empty(), value(id), preferred));
        (req, done, self.h.take_sent())
    }

    /// The node a fresh get of `key` is sent to.
    fn route_get(&mut self, key: Key) -> NodeId {
        let (_, done, sent) = self.get(key);
        assert!(done.is_none());
        assert_eq!(sent.len(), 1);
        sent[0].0
    }

    fn recv(&mut self, from: NodeId, msg: Msg) -> (Option<Completion>, Sent) {
        let lib = &mut self.lib;
        let done = self.h.with_ctx(|ctx| lib.on_message(ctx, from, msg));
        (done, self.h.take_sent())
    }

    fn fire(&mut self) -> (Timer, Option<Completion>, Sent) {
        let timer = self.h.pop_timer().expect("a pending timer");
        let lib = &mut self.lib;
        let done = self.h.with_ctx(|ctx| lib.on_timer(ctx, timer));
        (timer, done, self.h.take_sent())
    }
}

fn server_driven(routing: Routing) -> (Cluster, TestClient) {
    let c = Cluster::new(DynamoConfig::default(), 5);
    let client = TestClient::new(&c.cfg, routing, &c.ring);
    (c, client)
}

#[test]
fn a_server_driven_client_sets_no_timer_until_it_sends() {
    let (_, mut cl) = server_driven(Routing::LoadBalancer);
    assert_eq!(cl.h.pending_timers(), 0, "no membership polling outside client-driven mode");
    let (req, done, sent) = cl.get(KEY);
    assert_eq!((req, done), (1, None));
    let Msg::Request { client, req: r, op, hops } = &sent[0].1 else { panic!("{sent:?}") };
    assert_eq!((*client, *r, op, *hops), (CLIENT, 1, &ClientOp::Get { key: KEY }, 0));
    assert_eq!(cl.h.pending_timers(), 1, "its deadline");
}

#[test]
fn the_load_balancer_spreads_over_all_nodes_then_avoids_suspected_ones() {
    let (_, mut cl) = server_driven(Routing::LoadBalancer);
    let keep = NodeId(4);
    let mut seen = BTreeSet::new();
    for _ in 0..100 {
        let (req, _, sent) = cl.get(KEY);
        let node = sent[0].0;
        seen.insert(node);
        if node == keep {
            // Answered: its deadline is cancelled and the node stays trusted.
            let reply = Msg::GetReply { req, result: Err(OpError::Unavailable) };
            assert!(cl.recv(node, reply).0.is_some());
        }
    }
    assert_eq!(seen.len(), 5, "a uniformly random node, whatever the key");
    // Every other request times out, and its node becomes suspected.
    while cl.h.pending_timers() > 0 {
        let (t, done, sent) = cl.fire();
        assert!(matches!(t, Timer::ClientDeadline(_)) && sent.is_empty());
        assert!(matches!(done, Some(Completion::Get { result: Err(OpError::ClientTimeout), .. })));
    }
    for _ in 0..50 {
        assert_eq!(cl.route_get(KEY), keep, "only the node not suspected");
    }
}

#[test]
fn partition_aware_routing_goes_to_the_first_healthy_top_n_node() {
    let (c, mut cl) = server_driven(Routing::PartitionAware);
    let pl = c.pref(KEY);
    for _ in 0..10 {
        assert_eq!(cl.route_get(KEY), pl[0]);
    }
}

#[test]
fn a_put_with_a_preferred_top_n_node_goes_to_that_node() {
    let (c, mut cl) = server_driven(Routing::LoadBalancer);
    let pl = c.pref(KEY);
    for (i, preferred) in [pl[1], pl[2], pl[1], pl[2]].into_iter().cycle().take(40).enumerate() {
        let (_, _, sent) = cl.put(KEY, i as u64 + 1, Some(preferred));
        assert_eq!(receivers(&sent), vec![preferred]);
    }
}

#[test]
fn a_preferred_node_outside_the_top_n_is_ignored() {
    let (c, mut cl) = server_driven(Routing::PartitionAware);
    let pl = c.pref(KEY);
    let (_, _, sent) = cl.put(KEY, 1, Some(pl[3]));
    assert_eq!(receivers(&sent), vec![pl[0]], "routed as if there were no preference");
}

#[test]
fn the_client_deadline_fails_the_request_and_suspects_its_node() {
    let (c, mut cl) = server_driven(Routing::PartitionAware);
    let pl = c.pref(KEY);
    assert_eq!(cl.route_get(KEY), pl[0]);
    let (t, done, sent) = cl.fire();
    assert_eq!(t, Timer::ClientDeadline(1));
    assert_eq!(cl.h.now(), SimTime(1_000_000_000), "ClientConfig::timeout");
    assert_eq!(done, Some(Completion::Get { req: 1, result: Err(OpError::ClientTimeout) }));
    assert!(sent.is_empty());
    assert_eq!(Counter::ClientTimeouts.get(cl.h.counters()), 1);
    assert_eq!(cl.lib.in_flight(), 0);
    // pl[0] is down for this client: the next request goes to pl[1].
    assert_eq!(cl.route_get(KEY), pl[1]);
    // A late answer from pl[0] is not a completion, but proves pl[0] up again.
    let late = Msg::GetReply { req: 1, result: Err(OpError::Unavailable) };
    assert_eq!(cl.recv(pl[0], late).0, None);
    assert_eq!(cl.route_get(KEY), pl[0]);
}

#[test]
fn a_reply_completes_the_request_and_cancels_its_deadline() {
    let (c, mut cl) = server_driven(Routing::PartitionAware);
    let pl = c.pref(KEY);
    let (req, _, _) = cl.put(KEY, 1, None);
    let (done, sent) = cl.recv(pl[0], Msg::PutReply { req, result: Ok(()) });
    assert_eq!(done, Some(Completion::Put { req, result: Ok(()) }));
    assert!(sent.is_empty());
    assert_eq!(cl.h.pending_timers(), 0);
    assert_eq!(cl.recv(pl[0], Msg::PutReply { req, result: Ok(()) }).0, None, "answered once");
}

fn client_driven() -> (Cluster, TestClient) {
    let cfg = DynamoConfig { coordinator: CoordinatorMode::ClientDriven, ..DynamoConfig::default() };
    let c = Cluster::new(cfg, 5);
    let client = TestClient::new(&c.cfg, Routing::LoadBalancer, &c.ring);
    (c, client)
}

#[test]
fn a_client_driven_get_is_coordinated_by_the_client_and_completes_at_r() {
    let (mut c, mut cl) = client_driven();
    let pl = c.pref(KEY);
    let v1 = next_version(&Versions::new(), pl[0], 1);
    for n in &pl[..3] {
        assert!(c.at(*n).plant(KEY, &v1, false));
    }
    let (req, done, sent) = cl.get(KEY);
    assert!(done.is_none());
    let read = Msg::ReplicaRead { op: 1, key: KEY };
    assert_eq!(sent, vec![(pl[0], read.clone()), (pl[1], read.clone()), (pl[2], read)], "no request hop");
    let replies: Vec<Sent> = sent.into_iter().map(|m| c.deliver(CLIENT, m)).collect();
    assert_eq!(replies[0], vec![(CLIENT, Msg::ReplicaReadReply { op: 1, key: KEY, versions: v1.clone() })]);
    assert_eq!(cl.recv(pl[0], replies[0][0].1.clone()).0, None, "one of R=2");
    let (done, sent) = cl.recv(pl[1], replies[1][0].1.clone());
    let ok = GetOk { versions: v1.clone(), context: v1.context(), fastest: Some(pl[0]) };
    assert_eq!(done, Some(Completion::Get { req, result: Ok(ok) }));
    assert!(sent.is_empty());
    assert_eq!(cl.recv(pl[2], replies[2][0].1.clone()).0, None);
    // The deadline finds the get answered and every target heard from.
    let (t, done, sent) = cl.fire();
    assert_eq!((t, done, sent), (Timer::OpDeadline(1), None, vec![]));
}

#[test]
fn a_client_driven_get_short_of_r_fails_at_its_deadline() {
    let (_, mut cl) = client_driven();
    let (req, _, sent) = cl.get(KEY);
    assert_eq!(sent.len(), 3);
    let (t, done, _) = cl.fire();
    assert_eq!(t, Timer::OpDeadline(1));
    let err = OpError::Timeout { got: 0, needed: 2 };
    assert_eq!(done, Some(Completion::Get { req, result: Err(err) }));
}

#[test]
fn a_client_driven_put_goes_straight_to_a_top_n_node() {
    let (c, mut cl) = client_driven();
    let pl = c.pref(KEY);
    let (_, done, sent) = cl.put(KEY, 1, None);
    assert!(done.is_none());
    assert_eq!(sent, vec![(pl[0], put_req(1, KEY, 1))]);
}

#[test]
fn a_client_driven_client_polls_membership_every_poll_interval() {
    let (mut c, mut cl) = client_driven();
    assert_eq!(cl.h.pending_timers(), 1);
    let mut polled = BTreeSet::new();
    for round in 1..=10u64 {
        let (t, done, sent) = cl.fire();
        assert_eq!((t, done), (Timer::MembershipPoll, None));
        assert_eq!(cl.h.now(), SimTime(round * 10_000_000_000), "membership_poll apart");
        let [(node, Msg::MembershipPoll)] = sent[..] else { panic!("{sent:?}") };
        polled.insert(node);
        let snapshot = c.deliver(CLIENT, (node, Msg::MembershipPoll));
        let mut members = c.ring.members().to_vec();
        members.sort_by_key(|m| m.node);
        assert_eq!(snapshot, vec![(CLIENT, Msg::MembershipSnapshot { members })], "the node's ring members");
        assert_eq!(cl.recv(node, snapshot[0].1.clone()).0, None);
        assert_eq!(Counter::MembershipRefreshes.get(cl.h.counters()), round);
    }
    assert!(polled.len() > 1, "a random node each time: {polled:?}");
}

#[test]
fn a_client_driven_client_routes_by_the_ring_members_of_a_snapshot() {
    let (c, mut cl) = client_driven();
    let first = c.pref(KEY)[0];
    // A snapshot from a node whose view has the key's first replica gone (it left).
    let mut members: Vec<RingMember> = c.ring.members().iter().copied().filter(|m| m.node != first).collect();
    members.sort_by_key(|m| m.node);
    let after = super::RECIPE.build(&members).unwrap();
    let mut expected = Vec::new();
    after.preference_list(key_position(KEY), 3, &mut expected);
    assert!(!expected.contains(&first));
    assert_eq!(cl.recv(NodeId(1), Msg::MembershipSnapshot { members }).0, None);
    let (_, _, sent) = cl.get(KEY);
    let read = Msg::ReplicaRead { op: 1, key: KEY };
    let want: Vec<(NodeId, Msg)> = expected.iter().map(|&n| (n, read.clone())).collect();
    assert_eq!(sent, want, "reads go to the new ring's top N, not to the node that left");
}
