//! The get/put state machines (replica mode, N=3 R=2 W=2 unless stated), driven through nodes,
//! and the coordinator alone (no local store) through its own API.

use super::*;
use crate::config::ReadRepair;
use crate::coordinator::{Coordinator, Env, Origin};
use crate::counters::Counter;
use crate::detector::Detector;
use crate::msg::{GetOk, OpError};
use crate::quorum::Target;
use sim_core::disk::DiskFaults;

fn cluster() -> Cluster {
    Cluster::new(DynamoConfig::default(), 5)
}

fn ok_put(req: u64) -> Msg {
    Msg::PutReply { req, result: Ok(()) }
}

#[test]
fn put_writes_locally_and_sends_replica_writes_to_the_other_n_minus_1() {
    let mut c = cluster();
    let pl = c.pref(KEY);
    let sent = c.at(pl[0]).recv(CLIENT, put_req(1, KEY, 1));
    assert_eq!(receivers(&sent), vec![pl[1], pl[2]], "only the other top-N nodes, no reply yet");
    let stored = c.at(pl[0]).on_disk(KEY).expect("the coordinator wrote locally");
    assert_eq!(ids(&stored), vec![1]);
    for (_, m) in &sent {
        let want = Msg::ReplicaWrite { op: 1, key: KEY, versions: stored.clone(), hint: None, durable: false };
        assert_eq!(m, &want);
    }
    for other in &pl[1..] {
        assert!(c.at(*other).on_disk(KEY).is_none(), "nothing reaches {other} until delivered");
    }
}

#[test]
fn put_succeeds_at_the_first_remote_ack_and_not_before() {
    let mut c = cluster();
    let pl = c.pref(KEY);
    let sent = c.at(pl[0]).recv(CLIENT, put_req(1, KEY, 1));
    assert!(to(&sent, CLIENT).is_empty(), "the local write alone is short of W=2");
    let [w1, w2]: [(NodeId, Msg); 2] = sent.try_into().unwrap();
    let ack1 = c.deliver(pl[0], w1);
    assert_eq!(ack1, vec![(pl[0], Msg::ReplicaWriteAck { op: 1, key: KEY, ok: true })]);
    let ack2 = c.deliver(pl[0], w2);
    assert_eq!(c.at(pl[1]).on_disk(KEY), c.at(pl[0]).on_disk(KEY), "the replica stored the version");
    // local + W-1 = 2: the first remote ack completes the put.
    assert_eq!(c.deliver(pl[1], ack1[0].clone()), vec![(CLIENT, ok_put(1))]);
    // The second ack changes nothing: one reply per request.
    assert!(c.deliver(pl[2], ack2[0].clone()).is_empty());
    assert_eq!(c.at(pl[0]).count(Counter::PutsOk), 1);
    // Its deadline, later, neither replies again nor suspects anyone: everyone answered.
    assert!(c.at(pl[0]).fire_expect(Timer::OpDeadline(1)).is_empty());
    assert!(c.at(pl[0]).node().detector().is_empty());
}

#[test]
fn get_reads_locally_and_succeeds_at_the_first_remote_reply() {
    let mut c = cluster();
    let pl = c.pref(KEY);
    let v1 = next_version(&Versions::new(), pl[0], 1);
    for n in &pl[..3] {
        assert!(c.at(*n).plant(KEY, &v1, false));
    }
    let sent = c.at(pl[0]).recv(CLIENT, get_req(1, KEY));
    assert_eq!(
        sent,
        vec![(pl[1], Msg::ReplicaRead { op: 1, key: KEY }), (pl[2], Msg::ReplicaRead { op: 1, key: KEY }),]
    );
    let replies: Vec<Sent> = sent.into_iter().map(|m| c.deliver(pl[0], m)).collect();
    assert_eq!(replies[0], vec![(pl[0], Msg::ReplicaReadReply { op: 1, key: KEY, versions: v1.clone() })]);
    // The local read is one of R=2; the first remote reply completes the get.
    let got = c.deliver(pl[1], replies[0][0].clone());
    let ok = GetOk { versions: v1.clone(), context: v1.context(), fastest: Some(pl[0]) };
    assert_eq!(got, vec![(CLIENT, Msg::GetReply { req: 1, result: Ok(ok) })]);
    assert!(c.deliver(pl[2], replies[1][0].clone()).is_empty(), "a late reply sends nothing");
    assert_eq!(c.at(pl[0]).count(Counter::GetsOk), 1);
}

#[test]
fn put_short_of_w_at_the_deadline_fails_with_timeout_and_suspects_the_silent_targets() {
    let mut c = cluster();
    let pl = c.pref(KEY);
    let sent = c.at(pl[0]).recv(CLIENT, put_req(1, KEY, 1));
    assert_eq!(sent.len(), 2, "both replica writes are lost");
    let n0 = c.at(pl[0]);
    assert!(n0.node().detector().is_empty());
    let failed = n0.fire_expect(Timer::OpDeadline(1));
    assert_eq!(n0.h.now(), SimTime(300_000_000), "request_timeout after the put");
    let err = OpError::Timeout { got: 1, needed: 2 };
    assert_eq!(failed, vec![(CLIENT, Msg::PutReply { req: 1, result: Err(err) })]);
    let suspected: Vec<NodeId> = n0.node().detector().suspected().collect();
    let mut silent = vec![pl[1], pl[2]];
    silent.sort();
    assert_eq!(suspected, silent, "exactly the silent targets, never the coordinator itself");
    assert_eq!(n0.count(Counter::PutsFailed), 1);
    // A late ack finds no operation: no second reply.
    assert!(n0.recv(pl[1], Msg::ReplicaWriteAck { op: 1, key: KEY, ok: true }).is_empty());
}

#[test]
fn get_short_of_r_at_the_deadline_fails_with_timeout() {
    let mut c = cluster();
    let pl = c.pref(KEY);
    let sent = c.at(pl[0]).recv(CLIENT, get_req(1, KEY));
    assert_eq!(sent.len(), 2);
    let err = OpError::Timeout { got: 1, needed: 2 };
    let failed = c.at(pl[0]).fire_expect(Timer::OpDeadline(1));
    assert_eq!(failed, vec![(CLIENT, Msg::GetReply { req: 1, result: Err(err) })]);
    assert!(c.at(pl[0]).node().detector().is_suspected(pl[1]));
    assert!(c.at(pl[0]).node().detector().is_suspected(pl[2]));
}

#[test]
fn an_answered_put_still_suspects_the_target_that_never_acked() {
    let mut c = cluster();
    let pl = c.pref(KEY);
    let sent = c.at(pl[0]).recv(CLIENT, put_req(1, KEY, 1));
    let ack = c.deliver(pl[0], sent[0].clone());
    assert_eq!(c.deliver(pl[1], ack[0].clone()), vec![(CLIENT, ok_put(1))]);
    assert!(c.at(pl[0]).fire_expect(Timer::OpDeadline(1)).is_empty(), "already answered");
    let suspected: Vec<NodeId> = c.at(pl[0]).node().detector().suspected().collect();
    assert_eq!(suspected, vec![pl[2]]);
}

#[test]
fn a_refused_write_does_not_count_toward_w_and_its_replica_is_not_suspected() {
    let mut c = cluster();
    let pl = c.pref(KEY);
    c.at(pl[1]).h.disk_mut().set_faults(DiskFaults { write_error: 1.0, ..DiskFaults::default() }).unwrap();
    let sent = c.at(pl[0]).recv(CLIENT, put_req(1, KEY, 1));
    let nack = c.deliver(pl[0], sent[0].clone());
    assert_eq!(nack, vec![(pl[0], Msg::ReplicaWriteAck { op: 1, key: KEY, ok: false })]);
    assert!(c.deliver(pl[1], nack[0].clone()).is_empty(), "a refusal is no ack");
    let failed = c.at(pl[0]).fire_expect(Timer::OpDeadline(1));
    let err = OpError::Timeout { got: 1, needed: 2 };
    assert_eq!(failed, vec![(CLIENT, Msg::PutReply { req: 1, result: Err(err) })]);
    let suspected: Vec<NodeId> = c.at(pl[0]).node().detector().suspected().collect();
    assert_eq!(suspected, vec![pl[2]], "the refusing replica answered: it is up");
}

/// A cluster where the coordinator pl[0] holds v2 and pl[1], pl[2] hold the older v1.
fn stale(read_repair: ReadRepair) -> (Cluster, Vec<NodeId>, Versions) {
    let mut c = Cluster::new(DynamoConfig { read_repair, ..DynamoConfig::default() }, 5);
    let pl = c.pref(KEY);
    let v1 = next_version(&Versions::new(), pl[0], 1);
    let v2 = next_version(&v1, pl[0], 2);
    assert!(c.at(pl[0]).plant(KEY, &v2, false));
    assert!(c.at(pl[1]).plant(KEY, &v1, false));
    assert!(c.at(pl[2]).plant(KEY, &v1, false));
    (c, pl, v2)
}

/// Starts a get at pl[0] and returns its two replicas' (stale) replies, undelivered.
fn stale_replies(c: &mut Cluster, pl: &[NodeId]) -> [(NodeId, Msg); 2] {
    let reads = c.at(pl[0]).recv(CLIENT, get_req(1, KEY));
    assert_eq!(receivers(&reads), vec![pl[1], pl[2]]);
    let replies: Vec<(NodeId, Msg)> = reads.into_iter().map(|m| c.deliver(pl[0], m).remove(0)).collect();
    replies.try_into().unwrap()
}

fn get_ok(req: u64, v: &Versions, fastest: NodeId) -> Msg {
    let ok = GetOk { versions: v.clone(), context: v.context(), fastest: Some(fastest) };
    Msg::GetReply { req, result: Ok(ok) }
}

#[test]
fn read_repair_off_sends_no_repair_write() {
    let (mut c, pl, v2) = stale(ReadRepair::Off);
    let [r1, r2] = stale_replies(&mut c, &pl);
    assert_eq!(c.deliver(pl[1], r1), vec![(CLIENT, get_ok(1, &v2, pl[0]))]);
    assert!(c.deliver(pl[2], r2).is_empty());
    assert!(c.at(pl[0]).fire_expect(Timer::OpDeadline(1)).is_empty());
    assert_eq!(c.at(pl[0]).count(Counter::ReadRepairs), 0);
    assert_eq!(ids(&c.at(pl[1]).on_disk(KEY).unwrap()), vec![1], "still stale");
}

#[test]
fn blocking_read_repair_repairs_a_stale_responder_before_replying() {
    let (mut c, pl, v2) = stale(ReadRepair::Blocking);
    let [r1, r2] = stale_replies(&mut c, &pl);
    // R is reached, but pl[1] answered stale: the repair goes out first, and no reply yet.
    let repair = c.deliver(pl[1], r1);
    let want = Msg::ReplicaWrite { op: 1, key: KEY, versions: v2.clone(), hint: None, durable: false };
    assert_eq!(repair, vec![(pl[1], want)]);
    // pl[2]'s reply is not among the first R: no repair for it, and still no reply.
    assert!(c.deliver(pl[2], r2).is_empty());
    let ack = c.deliver(pl[0], repair[0].clone());
    assert_eq!(c.at(pl[1]).on_disk(KEY), Some(v2.clone()), "repaired");
    // The repair ack releases the reply.
    assert_eq!(c.deliver(pl[1], ack[0].clone()), vec![(CLIENT, get_ok(1, &v2, pl[0]))]);
    assert_eq!(c.at(pl[0]).count(Counter::ReadRepairs), 1);
    assert!(c.at(pl[0]).fire_expect(Timer::OpDeadline(1)).is_empty());
}

#[test]
fn blocking_read_repair_answers_at_the_deadline_when_the_repair_ack_never_comes() {
    let (mut c, pl, v2) = stale(ReadRepair::Blocking);
    let [r1, _] = stale_replies(&mut c, &pl);
    assert_eq!(c.deliver(pl[1], r1).len(), 1, "the repair write, lost");
    // The get had its quorum: it answers with what it has rather than failing.
    assert_eq!(c.at(pl[0]).fire_expect(Timer::OpDeadline(1)), vec![(CLIENT, get_ok(1, &v2, pl[0]))]);
}

#[test]
fn async_read_repair_replies_at_r_then_repairs_every_stale_responder_including_late_ones() {
    let (mut c, pl, v2) = stale(ReadRepair::Async { wait: SimDuration::from_millis(50) });
    let [r1, r2] = stale_replies(&mut c, &pl);
    assert_eq!(c.deliver(pl[1], r1), vec![(CLIENT, get_ok(1, &v2, pl[0]))], "replies at R at once");
    assert!(c.deliver(pl[2], r2).is_empty(), "the late reply is only recorded");
    let repairs = c.at(pl[0]).fire_expect(Timer::ReadRepair(1));
    assert_eq!(c.at(pl[0]).h.now(), SimTime(50_000_000));
    let want = |n| (n, Msg::ReplicaWrite { op: 1, key: KEY, versions: v2.clone(), hint: None, durable: false });
    assert_eq!(repairs, vec![want(pl[1]), want(pl[2])]);
    for r in repairs {
        let replica = r.0;
        let ack = c.deliver(pl[0], r);
        assert!(c.deliver(replica, ack[0].clone()).is_empty(), "repair acks need no answer");
    }
    assert_eq!(c.at(pl[1]).on_disk(KEY), Some(v2.clone()));
    assert_eq!(c.at(pl[2]).on_disk(KEY), Some(v2.clone()));
    // The deadline repairs nothing twice.
    assert!(c.at(pl[0]).fire_expect(Timer::OpDeadline(1)).is_empty());
    assert_eq!(c.at(pl[0]).count(Counter::ReadRepairs), 2);
}

#[test]
fn a_stale_coordinator_repairs_its_own_copy() {
    // The coordinator is the stale one: pl[1] holds the newer version.
    let mut c = Cluster::new(DynamoConfig { read_repair: ReadRepair::Blocking, ..DynamoConfig::default() }, 5);
    let pl = c.pref(KEY);
    let v1 = next_version(&Versions::new(), pl[0], 1);
    let v2 = next_version(&v1, pl[1], 2);
    assert!(c.at(pl[0]).plant(KEY, &v1, false));
    assert!(c.at(pl[1]).plant(KEY, &v2, false));
    let reads = c.at(pl[0]).recv(CLIENT, get_req(1, KEY));
    let reply = c.deliver(pl[0], reads[0].clone());
    // No remote repair is needed, so the reply goes out at once; the local copy is fixed in place.
    assert_eq!(c.deliver(pl[1], reply[0].clone()), vec![(CLIENT, get_ok(1, &v2, pl[0]))]);
    assert_eq!(c.at(pl[0]).on_disk(KEY), Some(v2));
}

// The coordinator alone, as a proxy or a client library runs it: no local store.

fn targets(nodes: &[u32]) -> Vec<Target> {
    nodes.iter().map(|&n| Target { node: NodeId(n), hint: None }).collect()
}

#[test]
fn coordinator_without_a_local_store_needs_w_distinct_remote_acks() {
    let cfg = DynamoConfig::default();
    let mut h: Harness<Proc> = Harness::new(NodeId(50), 1);
    let (mut coord, mut det) = (Coordinator::new(), Detector::new());
    let op = ClientOp::Put { key: KEY, context: Context::empty(), value: value(1) };
    let done = h.with_ctx(|ctx| {
        let mut env = Env { cfg: &cfg, local: None, detector: &mut det, stamper: None };
        coord.start(ctx, &mut env, Origin::Local { req: 9 }, op, &targets(&[1, 2, 3]))
    });
    assert!(done.is_none());
    let sent = h.take_sent();
    assert_eq!(receivers(&sent), vec![NodeId(1), NodeId(2), NodeId(3)], "all N, none local");
    let mut ack = |from: u32| {
        h.with_ctx(|ctx| {
            let mut env = Env { cfg: &cfg, local: None, detector: &mut det, stamper: None };
            coord.on_write_ack(ctx, &mut env, NodeId(from), 1, true)
        })
    };
    assert_eq!(ack(1), None);
    assert_eq!(ack(1), None, "a duplicate ack counts once");
    assert_eq!(ack(2), Some(Completion::Put { req: 9, result: Ok(()) }));
    assert_eq!(ack(3), None);
    assert!(h.take_sent().is_empty(), "a local origin is answered by return, not by message");
}

#[test]
fn coordinator_with_fewer_targets_than_the_quorum_fails_at_once_as_unavailable() {
    let cfg = DynamoConfig::default();
    let mut h: Harness<Proc> = Harness::new(NodeId(50), 1);
    let (mut coord, mut det) = (Coordinator::new(), Detector::new());
    let done = h.with_ctx(|ctx| {
        let mut env = Env { cfg: &cfg, local: None, detector: &mut det, stamper: None };
        coord.start(ctx, &mut env, Origin::Local { req: 4 }, ClientOp::Get { key: KEY }, &targets(&[1]))
    });
    assert_eq!(done, Some(Completion::Get { req: 4, result: Err(OpError::Unavailable) }));
    assert!(h.take_sent().is_empty());
    assert_eq!(h.pending_timers(), 0, "no deadline for an operation that never started");
    assert_eq!(coord.in_flight(), 0);
}
