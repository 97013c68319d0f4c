//! A storage node: forwarding to the coordinator, the failure detector's probes, sloppy quorum
//! with hinted handoff, and versioning modes through real puts.

use super::*;
use crate::config::SloppyQuorum;
use crate::counters::Counter;

fn cluster() -> Cluster {
    Cluster::new(DynamoConfig::default(), 5)
}

/// `msg` (a client request) as forwarded: one hop more.
fn hopped(msg: Msg) -> Msg {
    match msg {
        Msg::Request { client, req, op, hops } => Msg::Request { client, req, op, hops: hops + 1 },
        other => panic!("not a request: {other:?}"),
    }
}

fn suspects(n: &TestNode) -> Vec<NodeId> {
    n.node().detector().suspected().collect()
}

#[test]
fn a_request_outside_the_top_n_is_forwarded_once_to_the_first_top_n_node() {
    let mut c = cluster();
    let pl = c.pref(KEY);
    let (fwd, coord) = (pl[3], pl[0]);
    let sent = c.at(fwd).recv(CLIENT, put_req(1, KEY, 1));
    assert_eq!(sent, vec![(coord, hopped(put_req(1, KEY, 1)))]);
    assert!(c.at(fwd).on_disk(KEY).is_none(), "the forwarder stores nothing");
    assert_eq!(c.at(fwd).count(Counter::Forwarded), 1);
    // The coordinator tells the forwarder it is alive, then coordinates as usual.
    let out = c.deliver(fwd, sent[0].clone());
    assert_eq!(out[0], (fwd, Msg::Pong));
    assert_eq!(receivers(&out[1..]), vec![pl[1], pl[2]]);
    assert!(c.at(coord).on_disk(KEY).is_some());
    // The Pong settles the forward: its check then finds nothing to do.
    assert!(c.at(fwd).recv(coord, Msg::Pong).is_empty());
    assert!(c.at(fwd).fire_expect(Timer::PeerCheck { op: 1, peer: coord }).is_empty());
    assert!(c.at(fwd).node().detector().is_empty());
}

#[test]
fn a_get_outside_the_top_n_is_forwarded_too() {
    let mut c = cluster();
    let pl = c.pref(KEY);
    let sent = c.at(pl[4]).recv(CLIENT, get_req(3, KEY));
    assert_eq!(sent, vec![(pl[0], hopped(get_req(3, KEY)))]);
}

#[test]
fn an_unconfirmed_forward_suspects_the_coordinator_and_routes_again() {
    let mut c = cluster();
    let pl = c.pref(KEY);
    let fwd = pl[4];
    let sent = c.at(fwd).recv(CLIENT, put_req(1, KEY, 1));
    assert_eq!(receivers(&sent), vec![pl[0]]);
    // No Pong within suspect_after.
    let again = c.at(fwd).fire_expect(Timer::PeerCheck { op: 1, peer: pl[0] });
    assert_eq!(c.at(fwd).h.now(), SimTime(100_000_000));
    assert_eq!(suspects(c.at(fwd)), vec![pl[0]]);
    // Without pl[0] the first healthy top-N node is pl[1].
    assert_eq!(again, vec![(pl[1], hopped(put_req(1, KEY, 1)))]);
    // pl[1] confirms this time.
    let out = c.deliver(fwd, again[0].clone());
    assert_eq!(out[0], (fwd, Msg::Pong));
    assert!(c.at(fwd).recv(pl[1], Msg::Pong).is_empty());
    assert!(c.at(fwd).fire_expect(Timer::PeerCheck { op: 2, peer: pl[1] }).is_empty());
    assert_eq!(suspects(c.at(fwd)), vec![pl[0]]);
}

#[test]
fn an_unconfirmed_forward_from_the_would_be_substitute_is_coordinated_there_with_a_hint() {
    let mut c = cluster();
    let pl = c.pref(KEY);
    let fwd = pl[3];
    assert_eq!(receivers(&c.at(fwd).recv(CLIENT, put_req(1, KEY, 1))), vec![pl[0]]);
    // pl[0] is now down for pl[3], which is then among the first N healthy nodes itself.
    let sent = c.at(fwd).fire_expect(Timer::PeerCheck { op: 1, peer: pl[0] });
    assert_eq!(receivers(&sent), vec![pl[1], pl[2]]);
    assert!(c.at(fwd).on_disk(KEY).is_none(), "not in its main store");
    assert_eq!(ids(&c.at(fwd).hint_on_disk(KEY, pl[0]).unwrap()), vec![1], "a hint for pl[0]");
    let ack = c.deliver(fwd, sent[0].clone());
    assert_eq!(c.deliver(pl[1], ack[0].clone()), vec![(CLIENT, Msg::PutReply { req: 1, result: Ok(()) })]);
}

#[test]
fn a_forwarded_request_is_not_forwarded_again() {
    let mut c = cluster();
    let pl = c.pref(KEY);
    // A forward reaches pl[3] (the forwarder believed the top N down); pl[3] coordinates it
    // without being a replica: all N asked, W remote acks needed. It keeps what it stamped in
    // its own store (the memory its counters come from), but that copy is not an ack.
    let sent = c.at(pl[3]).recv(pl[4], hopped(put_req(1, KEY, 1)));
    assert_eq!(sent[0], (pl[4], Msg::Pong));
    assert_eq!(receivers(&sent[1..]), vec![pl[0], pl[1], pl[2]]);
    assert_eq!(c.at(pl[3]).on_disk(KEY).map(|v| ids(&v)), Some(vec![1]));
    let acks: Vec<Sent> = sent[1..].iter().map(|m| c.deliver(pl[3], m.clone())).collect();
    assert!(c.deliver(pl[0], acks[0][0].clone()).is_empty(), "one ack is short of W=2");
    assert_eq!(c.deliver(pl[1], acks[1][0].clone()), vec![(CLIENT, Msg::PutReply { req: 1, result: Ok(()) })]);
}

#[test]
fn suspected_peers_are_probed_and_any_answer_clears_suspicion() {
    let mut c = cluster();
    let pl = c.pref(KEY);
    assert_eq!(c.at(pl[0]).recv(CLIENT, put_req(1, KEY, 1)).len(), 2);
    assert_eq!(c.at(pl[0]).fire_expect(Timer::OpDeadline(1)).len(), 1, "the failed reply");
    assert_eq!(suspects(c.at(pl[0])).len(), 2);
    assert!(c.at(pl[0]).fire_expect(Timer::HintScan).is_empty());
    let pings = c.at(pl[0]).fire_expect(Timer::Probe);
    assert_eq!(c.at(pl[0]).h.now(), SimTime(1_300_000_000), "retry_interval after the suspicion");
    let mut want: Vec<(NodeId, Msg)> = vec![(pl[1], Msg::Ping), (pl[2], Msg::Ping)];
    want.sort_by_key(|(n, _)| *n);
    assert_eq!(pings, want);
    let ping1 = pings.into_iter().find(|(n, _)| *n == pl[1]).unwrap();
    let pong = c.deliver(pl[0], ping1);
    assert_eq!(pong, vec![(pl[0], Msg::Pong)]);
    assert!(c.deliver(pl[1], pong[0].clone()).is_empty());
    assert_eq!(suspects(c.at(pl[0])), vec![pl[2]], "pl[1] answered");
    assert!(c.at(pl[0]).fire_expect(Timer::HintScan).is_empty());
    assert_eq!(c.at(pl[0]).fire_expect(Timer::Probe), vec![(pl[2], Msg::Ping)]);
}

/// pl[0] comes to suspect pl[1]: a put whose write to pl[1] is lost (pl[2] acks). Returns v1.
fn suspect_second(c: &mut Cluster, pl: &[NodeId]) -> Versions {
    let sent = c.at(pl[0]).recv(CLIENT, put_req(1, KEY, 1));
    let ack = c.deliver(pl[0], sent[1].clone());
    assert_eq!(sent[1].0, pl[2]);
    assert_eq!(c.deliver(pl[2], ack[0].clone()).len(), 1, "the put succeeded");
    assert!(c.at(pl[0]).fire_expect(Timer::OpDeadline(1)).is_empty());
    assert_eq!(suspects(c.at(pl[0])), vec![pl[1]]);
    c.at(pl[0]).on_disk(KEY).unwrap()
}

#[test]
fn sloppy_quorum_sends_a_suspected_nodes_replica_to_the_next_node_with_a_hint() {
    let mut c = cluster();
    let pl = c.pref(KEY);
    let v1 = suspect_second(&mut c, &pl);
    let sent = c.at(pl[0]).recv(CLIENT, put_req_ctx(2, KEY, v1.context(), 2));
    let v2 = c.at(pl[0]).on_disk(KEY).unwrap();
    assert_eq!(ids(&v2), vec![2]);
    let write = |hint| Msg::ReplicaWrite { op: 2, key: KEY, versions: v2.clone(), hint, durable: false };
    assert_eq!(sent, vec![(pl[2], write(None)), (pl[3], write(Some(pl[1])))]);
    assert_eq!(c.at(pl[0]).count(Counter::HintedWrites), 1);
    // The substitute keeps it in its hint store, not its main store, and acks.
    let ack = c.deliver(pl[0], sent[1].clone());
    assert_eq!(ack, vec![(pl[0], Msg::ReplicaWriteAck { op: 2, key: KEY, ok: true })]);
    let sub = c.at(pl[3]);
    assert!(sub.on_disk(KEY).is_none());
    assert_eq!(sub.hint_on_disk(KEY, pl[1]), Some(v2.clone()));
    assert_eq!(sub.node().storage().hints().collect::<Vec<_>>(), vec![(pl[1], KEY)]);
    assert_eq!(sub.count(Counter::HintsStored), 1);
    assert_eq!(sub.replica_read(KEY), v2, "a substitute serves what it holds for others");
    // The substitute's ack counts toward W.
    assert_eq!(c.deliver(pl[3], ack[0].clone()), vec![(CLIENT, Msg::PutReply { req: 2, result: Ok(()) })]);
}

#[test]
fn strict_quorum_asks_only_the_healthy_top_n() {
    let cfg = DynamoConfig {
        sloppy_quorum: SloppyQuorum { enabled: false, ..SloppyQuorum::default() },
        ..DynamoConfig::default()
    };
    let mut c = Cluster::new(cfg, 5);
    let pl = c.pref(KEY);
    let v1 = suspect_second(&mut c, &pl);
    let sent = c.at(pl[0]).recv(CLIENT, put_req_ctx(2, KEY, v1.context(), 2));
    assert_eq!(receivers(&sent), vec![pl[2]], "no substitute for pl[1]");
}

#[test]
fn hint_scan_hands_off_to_the_intended_node_which_stores_and_acks_then_the_hint_is_deleted() {
    let mut c = cluster();
    let pl = c.pref(KEY);
    let v1 = suspect_second(&mut c, &pl);
    let sent = c.at(pl[0]).recv(CLIENT, put_req_ctx(2, KEY, v1.context(), 2));
    let v2 = c.at(pl[0]).on_disk(KEY).unwrap();
    c.deliver(pl[0], sent[1].clone());
    assert_eq!(c.at(pl[3]).node().storage().hint_count(), 1);
    // The holder's periodic scan: pl[3] has no reason to think pl[1] down.
    let handoff = c.at(pl[3]).fire_expect(Timer::HintScan);
    assert_eq!(handoff, vec![(pl[1], Msg::Handoff { key: KEY, versions: v2.clone() })]);
    let ack = c.deliver(pl[3], handoff[0].clone());
    assert_eq!(ack, vec![(pl[3], Msg::HandoffAck { key: KEY, ok: true })]);
    assert_eq!(c.at(pl[1]).on_disk(KEY), Some(v2.clone()), "in the intended node's main store");
    assert_eq!(c.at(pl[1]).count(Counter::HandoffsReceived), 1);
    assert!(c.deliver(pl[1], ack[0].clone()).is_empty());
    let holder = c.at(pl[3]);
    assert_eq!(holder.node().storage().hint_count(), 0);
    assert_eq!(holder.hint_on_disk(KEY, pl[1]), None, "the disk record is gone");
    assert_eq!(holder.count(Counter::HandoffsCompleted), 1);
    // Nothing is left to hand off.
    assert!(holder.fire_expect(Timer::HintScan).is_empty());
    assert!(holder.node().detector().is_empty());
}

#[test]
fn an_unanswered_handoff_suspects_the_intended_node_and_pauses_its_handoffs() {
    let mut c = cluster();
    let pl = c.pref(KEY);
    let (holder, intended) = (pl[3], pl[1]);
    let v1 = next_version(&Versions::new(), pl[0], 1);
    let write = Msg::ReplicaWrite { op: 5, key: KEY, versions: v1.clone(), hint: Some(intended), durable: false };
    c.at(holder).recv(pl[0], write);
    assert_eq!(receivers(&c.at(holder).fire_expect(Timer::HintScan)), vec![intended], "lost");
    // The next scan finds the handoff unanswered: suspect, probe, and hand nothing off.
    assert!(c.at(holder).fire_expect(Timer::HintScan).is_empty());
    assert_eq!(suspects(c.at(holder)), vec![intended]);
    assert_eq!(c.at(holder).node().storage().hint_count(), 1, "the hint is kept");
    // The probe's answer clears the suspicion; the next scan hands off again.
    let (t, pings) = c.at(holder).fire();
    assert_eq!((t, pings.clone()), (Timer::Probe, vec![(intended, Msg::Ping)]));
    let pong = c.deliver(holder, pings[0].clone());
    c.deliver(intended, pong[0].clone());
    assert!(c.at(holder).node().detector().is_empty());
    let again = c.at(holder).fire_expect(Timer::HintScan);
    assert_eq!(again, vec![(intended, Msg::Handoff { key: KEY, versions: v1 })]);
}

#[test]
fn a_full_hint_store_refuses_hinted_writes_with_ok_false() {
    let cfg = DynamoConfig {
        sloppy_quorum: SloppyQuorum { max_hints: 1, ..SloppyQuorum::default() },
        ..DynamoConfig::default()
    };
    let mut c = Cluster::new(cfg, 5);
    let pl = c.pref(KEY);
    let (holder, intended) = (pl[3], pl[1]);
    let v = |id| next_version(&Versions::new(), pl[0], id);
    let write = |key, versions| Msg::ReplicaWrite { op: 7, key, versions, hint: Some(intended), durable: false };
    let ack = |key, ok| vec![(pl[0], Msg::ReplicaWriteAck { op: 7, key, ok })];
    assert_eq!(c.at(holder).recv(pl[0], write(KEY, v(1))), ack(KEY, true));
    assert_eq!(c.at(holder).recv(pl[0], write(KEY + 1, v(2))), ack(KEY + 1, false), "store full");
    let h = c.at(holder);
    assert_eq!(h.node().storage().hint_count(), 1);
    assert_eq!(h.hint_on_disk(KEY + 1, intended), None);
    assert_eq!(h.count(Counter::HintsRefused), 1);
    // A hint already held is merged, not refused.
    assert_eq!(h.recv(pl[0], write(KEY, v(3))), ack(KEY, true));
    assert_eq!(ids(&h.hint_on_disk(KEY, intended).unwrap()), vec![1, 3]);
}

#[test]
fn a_hinted_write_naming_the_receiver_itself_goes_to_its_main_store() {
    let mut c = cluster();
    let pl = c.pref(KEY);
    let v1 = next_version(&Versions::new(), pl[0], 1);
    let write = Msg::ReplicaWrite { op: 3, key: KEY, versions: v1.clone(), hint: Some(pl[1]), durable: false };
    c.at(pl[1]).recv(pl[0], write);
    assert_eq!(c.at(pl[1]).on_disk(KEY), Some(v1));
    assert_eq!(c.at(pl[1]).node().storage().hint_count(), 0);
}

/// W1 is coordinated by pl[0] at its 10 s; a client reads it and writes W2 with that context
/// through pl[1], whose clock reads 8.5 s (each harness keeps its own time). Returns the write
/// ids every top-N replica ends with.
fn follow_up_write(versioning: VersioningMode) -> Vec<Vec<u64>> {
    let mut c = Cluster::new(DynamoConfig { versioning, ..DynamoConfig::default() }, 5);
    let pl = c.pref(KEY);
    c.at(pl[0]).h.advance(SimDuration::from_secs(10));
    c.at(pl[1]).h.advance(SimDuration::from_millis(8_500));
    for m in c.at(pl[0]).recv(CLIENT, put_req(1, KEY, 1)) {
        c.deliver(pl[0], m);
    }
    let read = c.at(pl[1]).replica_read(KEY);
    assert_eq!(ids(&read), vec![1]);
    let sent = c.at(pl[1]).recv(CLIENT, put_req_ctx(2, KEY, read.context(), 2));
    assert_eq!(receivers(&sent), vec![pl[0], pl[2]]);
    for m in sent {
        let ack = c.deliver(pl[1], m);
        assert!(matches!(ack[..], [(_, Msg::ReplicaWriteAck { ok: true, .. })]));
    }
    pl[..3].iter().map(|n| ids(&c.at(*n).on_disk(KEY).unwrap())).collect()
}

#[test]
fn lww_loses_a_follow_up_write_coordinated_by_a_lagging_clock_while_causal_modes_keep_it() {
    assert_eq!(follow_up_write(VersioningMode::Lww), vec![vec![1]; 3], "W1's later stamp wins");
    assert_eq!(follow_up_write(VersioningMode::default()), vec![vec![2]; 3]);
    assert_eq!(follow_up_write(VersioningMode::Dvv), vec![vec![2]; 3]);
}

#[test]
fn blind_concurrent_puts_through_two_coordinators_become_siblings() {
    for mode in [VersioningMode::default(), VersioningMode::Dvv] {
        let mut c = Cluster::new(DynamoConfig { versioning: mode, ..DynamoConfig::default() }, 5);
        let pl = c.pref(KEY);
        let a = c.at(pl[0]).recv(CLIENT, put_req(1, KEY, 1));
        let b = c.at(pl[1]).recv(CLIENT, put_req(2, KEY, 2));
        let to_p2: Vec<(NodeId, Msg)> = a.into_iter().chain(b).filter(|(t, _)| *t == pl[2]).collect();
        assert_eq!(to_p2.len(), 2);
        c.at(pl[2]).recv(pl[0], to_p2[0].1.clone());
        c.at(pl[2]).recv(pl[1], to_p2[1].1.clone());
        assert_eq!(ids(&c.at(pl[2]).on_disk(KEY).unwrap()), vec![1, 2], "{mode:?}");
    }
}

#[test]
fn a_hint_updated_while_its_handoff_is_in_flight_is_not_deleted_by_the_ack() {
    let mut c = cluster();
    let pl = c.pref(KEY);
    let (holder, intended) = (pl[3], pl[1]);
    let v1 = next_version(&Versions::new(), pl[0], 1);
    let v2 = next_version(&v1, pl[0], 2);
    let write = |versions| Msg::ReplicaWrite { op: 5, key: KEY, versions, hint: Some(intended), durable: false };
    c.at(holder).recv(pl[0], write(v1.clone()));
    let handoff = c.at(holder).fire_expect(Timer::HintScan);
    assert_eq!(handoff, vec![(intended, Msg::Handoff { key: KEY, versions: v1.clone() })]);
    // A newer hinted write for the same node and key lands before the handoff is acked.
    c.at(holder).recv(pl[0], write(v2.clone()));
    let ack = c.deliver(holder, handoff[0].clone());
    assert_eq!(c.at(intended).on_disk(KEY), Some(v1));
    c.deliver(intended, ack[0].clone());
    // The ack covers v1 only: v2 must stay until it too is handed off.
    assert_eq!(c.at(holder).hint_on_disk(KEY, intended), Some(v2.clone()), "v2 was never delivered");
    let again = c.at(holder).fire_expect(Timer::HintScan);
    assert_eq!(again, vec![(intended, Msg::Handoff { key: KEY, versions: v2.clone() })]);
    let ack = c.deliver(holder, again[0].clone());
    c.deliver(intended, ack[0].clone());
    assert_eq!(c.at(intended).on_disk(KEY), Some(v2));
    assert_eq!(c.at(holder).node().storage().hint_count(), 0);
}

/// Two blind puts of `KEY` coordinated in turn by `coord`, whose first write to `lagging` is
/// lost; returns the write ids `lagging` holds after receiving only the second put's write.
fn second_put_at(c: &mut Cluster, coord: NodeId, lagging: NodeId) -> Vec<u64> {
    let first = c.at(coord).recv(CLIENT, put_req(1, KEY, 1));
    assert!(first.iter().any(|(t, _)| *t == lagging));
    let second = c.at(coord).recv(CLIENT, put_req(2, KEY, 2));
    let to_lagging = second.into_iter().find(|(t, _)| *t == lagging).unwrap();
    c.deliver(coord, to_lagging);
    ids(&c.at(lagging).on_disk(KEY).unwrap())
}

#[test]
fn a_substitute_coordinator_stamps_from_its_hint_store_like_a_replica_from_its_store() {
    // A replica coordinator's second put carries the first too (the whole reconciled set).
    let mut c = cluster();
    let pl = c.pref(KEY);
    assert_eq!(second_put_at(&mut c, pl[0], pl[1]), vec![1, 2]);
    // So must a substitute's: pl[3] stands in for pl[0], which it believes down.
    let mut c = cluster();
    let pl = c.pref(KEY);
    let sub = pl[3];
    // (A get forwarded to pl[0] and never confirmed; pl[3] then coordinates it itself.)
    assert_eq!(receivers(&c.at(sub).recv(CLIENT, get_req(9, KEY))), vec![pl[0]]);
    let reads = c.at(sub).fire_expect(Timer::PeerCheck { op: 1, peer: pl[0] });
    assert_eq!(receivers(&reads), vec![pl[1], pl[2]]);
    assert_eq!(suspects(c.at(sub)), vec![pl[0]]);
    assert_eq!(second_put_at(&mut c, sub, pl[1]), vec![1, 2], "no counter reused for the second put");
    assert_eq!(ids(&c.at(sub).hint_on_disk(KEY, pl[0]).unwrap()), vec![1, 2]);
}
