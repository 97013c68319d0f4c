//! Whole-cluster tests of membership (§4.8, §4.9): gossip spreads commands in O(log S) rounds,
//! joining nodes receive their ranges once each and then serve them, leaving nodes hand their
//! ranges off, an outage is not a leave, and a restarted node keeps its view.
mod common;

use common::{DynWorld, Step, done, world_with_spares};
use dynamo_model::NodeId;
use dynamo_model::client::ClientConfig;
use dynamo_model::config::{DynamoConfig, ReadRepair};
use dynamo_model::counters::Counter;
use dynamo_model::membership::Status;
use dynamo_model::msg::{AdminCommand, Key, Msg, StoreKey, StoreRecord};
use dynamo_model::node::Node;
use dynamo_model::ring::{RingMember, key_position};
use dynamo_model::version::WriteId;
use sim_core::fault::Fault;
use sim_core::{ProcId, SimDuration, SimTime, WorldConfig};

fn secs(s: f64) -> SimTime {
    SimTime::ZERO + SimDuration::from_secs_f64(s)
}

fn node(w: &DynWorld, i: u32) -> &Node {
    w.process(ProcId(i)).and_then(|a| a.as_node()).expect("a running storage node")
}

/// Node `i`'s counter `c` (over its incarnations).
fn count(w: &DynWorld, i: u32, c: Counter) -> u64 {
    c.get(w.counters(ProcId(i)))
}

/// Repairs off, so that only key transfers can place data on a new replica.
fn no_repair() -> DynamoConfig {
    DynamoConfig { read_repair: ReadRepair::Off, ..DynamoConfig::default() }
}

/// One blind write per key, 10 ms apart, from time 10 ms.
fn writes(keys: u64) -> Vec<(u64, Step)> {
    (0..keys).map(|k| (10 + 10 * k, Step::BlindPut(k))).collect()
}

/// Every acknowledged write: (key, write id).
fn acked(w: &DynWorld, client: usize) -> Vec<(Key, WriteId)> {
    done(w, client)
        .iter()
        .filter(|d| d.put == Some(Ok(())))
        .map(|d| match d.step {
            Step::BlindPut(k) | Step::Put(k) | Step::Get(k) => (k, d.write.unwrap()),
        })
        .collect()
}

/// Whether `id`'s store (buffer over disk) holds write `write` of `key`.
fn holds(w: &DynWorld, id: NodeId, key: Key, write: WriteId) -> bool {
    if let Some(v) = node(w, id.0).storage().buffered(key) {
        return v.write_ids().contains(&write);
    }
    matches!(w.disk(id).peek(&StoreKey::Data(key)), Ok(Some(StoreRecord::Versions(v))) if v.write_ids().contains(&write))
}

/// Time (s after `from`) until every node's view records `who`, polled every 50 ms.
fn spread_time(w: &mut DynWorld, nodes: u32, who: NodeId, from: f64, limit_s: f64) -> Option<f64> {
    let mut t = from;
    while t <= from + limit_s {
        w.run_until(secs(t));
        if (0..nodes).all(|i| node(w, i).view().status(who).is_some()) {
            return Some(t - from);
        }
        t += 0.05;
    }
    None
}

#[test]
fn gossip_spreads_a_join_in_logarithmically_many_rounds() {
    let mut means = Vec::new();
    for s in [8u32, 16, 32, 64] {
        let mut total = 0.0;
        let seeds = 1..=6u64;
        for seed in seeds.clone() {
            let wcfg = WorldConfig { seed, ..WorldConfig::default() };
            let mut w = world_with_spares(no_repair(), ClientConfig::default(), wcfg, (s as usize, 1), vec![]);
            let spare = NodeId(s);
            w.inject(secs(0.5), spare, Msg::Admin(AdminCommand::Join(RingMember::new(spare)))).unwrap();
            let took = spread_time(&mut w, s + 1, spare, 0.5, 60.0).expect("the join reaches every view");
            total += took;
        }
        let rounds = total / seeds.count() as f64; // the gossip interval is 1 s
        println!("S = {s}: a join reaches every view in {rounds:.2} rounds on average");
        means.push((s, rounds));
    }
    for &(s, rounds) in &means {
        assert!(rounds <= 1.5 * f64::from(s).log2() + 2.0, "S = {s}: {rounds:.2} rounds is more than O(log S)");
    }
    // Eight times the nodes: three more doublings, so a few more rounds, not eight times as many.
    let (first, last) = (means[0].1, means[3].1);
    assert!(last < 2.5 * first, "S = 64 took {last:.2} rounds, S = 8 took {first:.2}");
    assert!(last > first, "more nodes take more rounds ({first:.2} vs {last:.2})");
}

/// Five ring nodes and one spare; 300 keys written, then the spare joins at 5 s.
fn joined_world(seed: u64) -> DynWorld {
    let wcfg = WorldConfig { seed, ..WorldConfig::default() };
    let mut w = world_with_spares(no_repair(), ClientConfig::default(), wcfg, (5, 1), vec![writes(300)]);
    let spare = NodeId(5);
    w.inject(secs(5.0), spare, Msg::Admin(AdminCommand::Join(RingMember::new(spare)))).unwrap();
    w.run_until(secs(30.0));
    w
}

#[test]
fn a_joining_node_receives_each_of_its_ranges_once_then_joins_the_ring() {
    for seed in 1..=3 {
        let w = joined_world(seed);
        let spare = NodeId(5);
        for i in 0..6 {
            let v = node(&w, i).view();
            assert_eq!(v.status(spare), Some(Status::Member), "seed {seed}: node {i}'s view of the spare");
            assert_eq!(v.ring().node_count(), 6, "seed {seed}: node {i} routes by the six-node ring");
        }
        let ring = node(&w, 0).view().ring().clone();
        let ranges = ring.ranges_of(spare, 3).len() as u64;
        let received = count(&w, 5, Counter::TransferRangesReceived);
        let sent: u64 = (0..5).map(|i| count(&w, i, Counter::TransferRangesSent)).sum();
        let offers = count(&w, 5, Counter::TransferOffersReceived);
        println!("seed {seed}: {ranges} ranges, {offers} offers, {received} received, {sent} sent");
        assert_eq!(received, ranges, "seed {seed}: every range arrives exactly once");
        assert!(offers >= 2 * ranges, "seed {seed}: {offers} offers: each range's holders offer it");
        assert_eq!(sent, ranges, "seed {seed}: the confirmation round lets one holder send each range");
        // Every acknowledged write the spare now replicates is on the spare.
        let mut list = Vec::new();
        let mut checked = 0;
        for (key, write) in acked(&w, 6) {
            ring.preference_list(key_position(key), 3, &mut list);
            if list.contains(&spare) {
                assert!(holds(&w, spare, key, write), "seed {seed}: key {key} did not reach the joined node");
                checked += 1;
            }
        }
        assert!(checked > 30, "seed {seed}: only {checked} keys moved to the joined node");
    }
}

#[test]
fn a_leaving_node_hands_its_ranges_to_the_nodes_that_take_them_over() {
    for seed in 1..=3 {
        let wcfg = WorldConfig { seed, ..WorldConfig::default() };
        let mut w = world_with_spares(no_repair(), ClientConfig::default(), wcfg, (6, 0), vec![writes(300)]);
        let leaver = NodeId(2);
        w.inject(secs(5.0), leaver, Msg::Admin(AdminCommand::Leave)).unwrap();
        w.run_until(secs(30.0));
        for i in 0..6 {
            assert_eq!(node(&w, i).view().status(leaver), Some(Status::Left), "seed {seed}: node {i}'s view");
        }
        let ring = node(&w, 0).view().ring().clone();
        assert!(!ring.contains(leaver) && ring.node_count() == 5, "seed {seed}: the leaver is off the ring");
        let mut list = Vec::new();
        let writes = acked(&w, 6);
        assert!(writes.len() > 250, "seed {seed}: {} writes acknowledged", writes.len());
        for (key, write) in writes {
            ring.preference_list(key_position(key), 3, &mut list);
            for &r in &list {
                assert!(holds(&w, r, key, write), "seed {seed}: key {key}'s new replica {r} lacks write {write:?}");
            }
        }
    }
}

#[test]
fn an_outage_is_not_a_leave() {
    let wcfg = WorldConfig { seed: 4, ..WorldConfig::default() };
    let mut w = world_with_spares(no_repair(), ClientConfig::default(), wcfg, (6, 0), vec![writes(100)]);
    w.schedule_fault(secs(2.0), Fault::Crash { node: NodeId(3), restart_after_ms: Some(20_000.0) }).unwrap();
    w.run_until(secs(15.0));
    for i in [0, 1, 2, 4, 5] {
        let n = node(&w, i);
        assert_eq!(n.view().status(NodeId(3)), Some(Status::Member), "node {i} keeps the dead node a member");
        assert_eq!(count(&w, i, Counter::RingChanges), 0, "node {i}: no rebalancing for an outage");
        assert_eq!(count(&w, i, Counter::TransferOffersSent), 0, "node {i}: no key transfer for an outage");
    }
}

#[test]
fn a_restarted_node_keeps_its_membership_view() {
    let mut w = joined_world(5);
    let spare = NodeId(5);
    let counter = node(&w, 5).view().membership().counter();
    assert!(counter >= 2, "join and activate were issued");
    w.schedule_fault(secs(30.0), Fault::Crash { node: spare, restart_after_ms: Some(100.0) }).unwrap();
    // Back up before its first gossip round after the restart.
    w.run_until(secs(30.2));
    let n = node(&w, 5);
    assert_eq!(n.view().status(spare), Some(Status::Member), "the persisted entries restore its own status");
    assert_eq!(n.view().ring().node_count(), 6, "and the ring it routes by");
    assert_eq!(n.view().membership().counter(), counter, "and its Lamport counter");
}

#[test]
fn a_thousand_node_cluster_gossips_hashes_when_converged_and_deltas_when_not() {
    const S: u32 = 1_000;
    let wcfg = WorldConfig { seed: 9, ..WorldConfig::default() };
    let mut w = world_with_spares(no_repair(), ClientConfig::default(), wcfg, (S as usize, 1), vec![]);
    let traffic = |w: &DynWorld| {
        (0..=S).fold((0, 0, 0), |(d, e, m), i| {
            let n = node(w, i);
            let t = n.view().membership().traffic();
            (d + t.digest_entries, e + t.delta_entries, m + count(w, i, Counter::GossipHashesMatched))
        })
    };
    w.run_until(secs(5.5));
    let (digests, deltas, matched) = traffic(&w);
    println!("converged, 5 rounds: {digests} digest entries, {deltas} delta entries, {matched} matching hashes");
    assert_eq!((digests, deltas), (0, 0), "converged views exchange no entries");
    assert!(matched >= 5 * u64::from(S) * 9 / 10, "each node opens a round per second with a hash: {matched}");
    // A join: the one new entry spreads as deltas of one entry.
    let spare = NodeId(S);
    w.inject(secs(6.0), spare, Msg::Admin(AdminCommand::Join(RingMember::new(spare)))).unwrap();
    let took = spread_time(&mut w, S + 1, spare, 6.0, 60.0).expect("the join reaches every view");
    let (digests2, deltas2, _) = traffic(&w);
    let per_node = (deltas2 - deltas) as f64 / f64::from(S);
    println!(
        "join reached {S} views in {took:.2} s; {} delta entries ({per_node:.2} per node), {} digest entries",
        deltas2 - deltas,
        digests2 - digests
    );
    assert!(took <= 1.5 * f64::from(S).log2() + 2.0, "{took} s for S = {S}");
    assert!(per_node < 4.0, "a node receives the new entry a few times at most, not S times: {per_node}");
    // While the change spreads, a pair whose hashes differ swaps one full digest (S entries):
    // about one digest per node per change, not one per round.
    let digests_per_node = (digests2 - digests) as f64 / f64::from(S) / f64::from(S + 1);
    assert!(digests_per_node < 2.0, "{digests_per_node:.2} full digests per node for one join");
}

#[test]
fn after_a_join_anti_entropy_trees_cover_the_new_ranges_and_match_the_store() {
    let cfg = DynamoConfig {
        anti_entropy: dynamo_model::config::AntiEntropyConfig { enabled: true, ..Default::default() },
        ..no_repair()
    };
    let wcfg = WorldConfig { seed: 6, ..WorldConfig::default() };
    let mut w = world_with_spares(cfg, ClientConfig::default(), wcfg, (5, 1), vec![writes(300)]);
    let spare = NodeId(5);
    w.inject(secs(5.0), spare, Msg::Admin(AdminCommand::Join(RingMember::new(spare)))).unwrap();
    w.run_until(secs(30.0));
    for i in 0..6 {
        let n = node(&w, i);
        let ring = n.view().ring();
        assert_eq!(ring.node_count(), 6, "node {i}");
        let trees = n.storage().trees().expect("anti-entropy is on");
        let mut expected = ring.ranges_of(NodeId(i), 3);
        expected.sort_unstable_by_key(|r| r.end_inclusive);
        assert_eq!(trees.ranges(), &expected[..], "node {i}'s trees follow its ranges on the new ring");
        let disk = w.disk(NodeId(i));
        let data: Vec<_> = disk
            .keys()
            .filter_map(|k| match (k, disk.peek(k)) {
                (StoreKey::Data(key), Ok(Some(StoreRecord::Versions(v)))) => Some((*key, v.clone())),
                _ => None,
            })
            .collect();
        assert_eq!(n.storage().check_trees(data), Ok(()), "node {i}'s trees equal its store");
    }
}

#[test]
fn key_transfer_asks_admission_control_and_finishes_once_the_foreground_calms() {
    let cfg = DynamoConfig {
        admission: dynamo_model::config::AdmissionConfig {
            enabled: true,
            window: SimDuration::from_millis(2_000),
            p99_threshold: SimDuration::from_nanos(1), // any foreground disk work defers background work
            min_backoff: SimDuration::from_millis(500),
            max_backoff: SimDuration::from_millis(2_000),
        },
        ..no_repair()
    };
    let wcfg = WorldConfig { seed: 7, ..WorldConfig::default() };
    // Writes run from 0 to 12 s; the spare joins at 2 s.
    let mut w = world_with_spares(cfg, ClientConfig::default(), wcfg, (5, 1), vec![writes(1_200)]);
    let spare = NodeId(5);
    w.inject(secs(2.0), spare, Msg::Admin(AdminCommand::Join(RingMember::new(spare)))).unwrap();
    w.run_until(secs(11.0));
    let deferred: u64 = (0..5).map(|i| count(&w, i, Counter::TransferBatchesDeferred)).sum();
    assert!(deferred > 0, "batches wait while the foreground keeps the disk busy");
    assert_eq!(node(&w, 0).view().status(spare), Some(Status::Joining), "the join waits for its ranges");
    w.run_until(secs(40.0));
    assert_eq!(node(&w, 0).view().status(spare), Some(Status::Member), "and completes once writes stop");
}

#[test]
fn a_node_that_left_can_join_again_and_receives_what_was_written_meanwhile() {
    let wcfg = WorldConfig { seed: 8, ..WorldConfig::default() };
    let mut script = writes(200);
    script.extend((0..200).map(|k| (16_000 + 10 * k, Step::BlindPut(k)))); // while it is away
    let mut w = world_with_spares(no_repair(), ClientConfig::default(), wcfg, (5, 1), vec![script]);
    let spare = NodeId(5);
    let join = Msg::Admin(AdminCommand::Join(RingMember::new(spare)));
    w.inject(secs(3.0), spare, join.clone()).unwrap();
    w.inject(secs(10.0), spare, Msg::Admin(AdminCommand::Leave)).unwrap();
    w.run_until(secs(19.5));
    assert_eq!(node(&w, 0).view().status(spare), Some(Status::Left), "it joined and left");
    w.inject(secs(20.0), spare, join).unwrap();
    w.run_until(secs(50.0));
    for i in 0..6 {
        assert_eq!(node(&w, i).view().status(spare), Some(Status::Member), "node {i}'s view");
    }
    let ring = node(&w, 0).view().ring().clone();
    let mut list = Vec::new();
    let latest: std::collections::BTreeMap<Key, WriteId> = acked(&w, 6).into_iter().collect();
    let mut checked = 0;
    for (key, write) in latest {
        ring.preference_list(key_position(key), 3, &mut list);
        if list.contains(&spare) {
            assert!(holds(&w, spare, key, write), "key {key}: the rejoined node lacks write {write:?}");
            checked += 1;
        }
    }
    assert!(checked > 20, "only {checked} keys checked");
}
