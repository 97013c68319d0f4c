//! Anti-entropy through nodes driven by hand: the per-range Merkle trees follow the store, an
//! exchange moves exactly the differing keys (and only roots when replicas agree), steps are
//! resent and then abandoned, a wiped node is rebuilt, and admission control defers background
//! work while foreground disk latency is high. One ignored test measures the trees' memory for a
//! node of a large cluster.

use super::*;
use crate::config::{AdmissionConfig, AntiEntropyConfig, BufferConfig, SloppyQuorum, StorageConfig};
use crate::counters::Counter;
use sim_core::Message;
use sim_core::disk::DiskFaults;
use std::collections::{BTreeMap, BTreeSet, VecDeque};

/// Anti-entropy on (trees of depth 6, a tick a second, steps resent after 300 ms), N = `n` of `n` nodes so every node
/// replicates every range, and the hint scan out of the way.
fn ae_cfg(n: usize) -> DynamoConfig {
    DynamoConfig {
        n,
        r: 1,
        w: 1,
        anti_entropy: AntiEntropyConfig {
            enabled: true,
            interval: SimDuration::from_millis(1000),
            depth: 6,
            reply_timeout: SimDuration::from_millis(300),
            ..AntiEntropyConfig::default()
        },
        sloppy_quorum: SloppyQuorum {
            scan_interval: SimDuration::from_millis(1_000_000_000),
            ..SloppyQuorum::default()
        },
        ..DynamoConfig::default()
    }
}

/// Every intact data record on the node's disk.
fn disk_data(n: &TestNode) -> BTreeMap<Key, Versions> {
    let keys: BTreeSet<Key> =
        n.h.disk().keys().filter_map(|k| if let StoreKey::Data(key) = k { Some(*key) } else { None }).collect();
    keys.into_iter()
        .filter_map(|key| match n.h.disk().peek(&StoreKey::Data(key)) {
            Ok(Some(StoreRecord::Versions(v))) => Some((key, v.clone())),
            _ => None,
        })
        .collect()
}

/// Panics unless the node's trees equal trees rebuilt from what it serves.
fn assert_trees_consistent(n: &TestNode) {
    let check = n.node().storage().check_trees(disk_data(n));
    assert_eq!(check, Ok(()), "node {:?}", n.node().id());
}

fn tree_keys(n: &TestNode) -> usize {
    n.node().storage().trees().expect("anti-entropy is on").key_count()
}

/// Every message moved between nodes: (from, to, message).
type Log = Vec<(NodeId, NodeId, Msg)>;

/// Delivers `sent` (from `from`) and everything it provokes, until nothing is in flight.
fn pump(c: &mut Cluster, from: NodeId, sent: Sent, log: &mut Log) {
    let mut queue: VecDeque<(NodeId, (NodeId, Msg))> = sent.into_iter().map(|m| (from, m)).collect();
    while let Some((f, (to, msg))) = queue.pop_front() {
        log.push((f, to, msg.clone()));
        let out = c.deliver(f, (to, msg));
        queue.extend(out.into_iter().map(|m| (to, m)));
    }
}

/// Fires `at`'s timers until its anti-entropy tick has run; returns what the tick sent.
fn tick(c: &mut Cluster, at: NodeId) -> Sent {
    loop {
        let (timer, sent) = c.at(at).fire();
        if timer == Timer::AntiEntropy {
            return sent;
        }
        assert!(sent.is_empty(), "{timer:?} sent {sent:?}");
    }
}

/// Runs one exchange per range of `at` (a full round-robin lap), delivering everything.
fn full_lap(c: &mut Cluster, at: NodeId) -> Log {
    let ranges = c.at(at).node().storage().trees().unwrap().ranges().len();
    let mut log = Log::new();
    for _ in 0..ranges {
        let sent = tick(c, at);
        assert_eq!(sent.len(), 1, "one MerkleRequest per tick: {sent:?}");
        pump(c, at, sent, &mut log);
        assert!(!c.at(at).node().anti_entropy_in_flight(), "the exchange finished");
    }
    log
}

fn count(log: &Log, kind: &str) -> usize {
    log.iter().filter(|(_, _, m)| <Msg as Message>::KINDS[m.kind()] == kind).count()
}

#[test]
fn trees_maintained_incrementally_equal_a_rebuild_after_random_applies() {
    let cfg = DynamoConfig {
        anti_entropy: AntiEntropyConfig { enabled: true, depth: 5, ..AntiEntropyConfig::default() },
        ..DynamoConfig::default()
    };
    // Node 0 of five replicates about 3/5 of the keys; the others land in its store untracked.
    let mut n = TestNode::boot(NodeId(0), Arc::new(cfg), ring(5));
    let mut rng = SimRng::stream(11, "ae-test");
    let mut held: BTreeMap<Key, Versions> = BTreeMap::new();
    for step in 1..=600u64 {
        let key = rng.below(150);
        let prev = held.get(&key).cloned().unwrap_or_default();
        // Mostly successors of what is held, sometimes concurrent siblings from a fresh actor.
        let v = if rng.chance(0.7) {
            next_version(&prev, NodeId(1 + rng.below(3) as u32), step)
        } else {
            next_version(&Versions::new(), NodeId(10 + step as u32), step)
        };
        assert!(n.plant(key, &v, false));
        let mut merged = prev;
        merged.merge(&v);
        held.insert(key, merged);
        if step % 50 == 0 {
            assert_trees_consistent(&n);
        }
    }
    // A client put coordinated here stores through the coordinator's own path.
    let first_of = |key| {
        let mut out = Vec::new();
        ring(5).preference_list(key_position(key), 3, &mut out);
        out[0]
    };
    let mine = (0..150).find(|k| first_of(*k) == NodeId(0)).unwrap();
    n.recv(CLIENT, put_req(1, mine, 10_000));
    assert_trees_consistent(&n);
    let tracked = tree_keys(&n);
    assert!(tracked > 40 && tracked < 150, "only keys of its ranges are tracked: {tracked}");
    // A reboot rebuilds the same trees from the disk scan.
    let before = n.node().storage().trees().unwrap().clone();
    n.crash_and_reboot();
    assert_trees_consistent(&n);
    let after = n.node().storage().trees().unwrap();
    for slot in 0..before.ranges().len() {
        assert_eq!(before.tree(slot), after.tree(slot));
    }
}

#[test]
fn buffered_writes_flushes_crashes_and_corruption_keep_the_trees_equal_to_what_is_served() {
    let cfg = DynamoConfig {
        storage: StorageConfig {
            fsync_writes: false,
            buffer: Some(BufferConfig { flush_interval: SimDuration::from_millis(500), max_objects: 1000 }),
        },
        ..ae_cfg(1)
    };
    let mut n = TestNode::boot(NodeId(0), Arc::new(cfg), ring(1));
    for key in 0..20 {
        assert!(n.plant(key, &next_version(&Versions::new(), NodeId(1), key + 1), false));
    }
    assert_eq!(tree_keys(&n), 20, "buffered versions are served, so they are in the trees");
    assert_trees_consistent(&n);
    assert_eq!(n.fire().0, Timer::Flush);
    assert_trees_consistent(&n);
    for key in 20..30 {
        assert!(n.plant(key, &next_version(&Versions::new(), NodeId(1), key + 1), false));
    }
    // The flush was synced; the buffer is volatile: a crash loses keys 20..30 only.
    n.crash_and_reboot();
    assert_eq!(tree_keys(&n), 20);
    assert_trees_consistent(&n);
    for key in 30..35 {
        assert!(n.plant(key, &next_version(&Versions::new(), NodeId(1), key + 1), true));
    }
    assert_eq!(tree_keys(&n), 25, "durable writes bypass the buffer");
    assert_trees_consistent(&n);
    // A read that finds a record corrupt serves it as missing: the tree forgets it too.
    n.h.disk_mut().set_faults(DiskFaults { read_corruption: 1.0, ..DiskFaults::default() }).unwrap();
    assert!(n.replica_read(3).is_empty());
    n.h.disk_mut().set_faults(DiskFaults::default()).unwrap();
    assert_eq!(tree_keys(&n), 24);
    assert_trees_consistent(&n);
}

/// Two nodes, N = 2: both replicate every range and each is the other's only peer.
fn pair() -> Cluster {
    Cluster::new(ae_cfg(2), 2)
}

const A: NodeId = NodeId(0);
const B: NodeId = NodeId(1);

fn plant_both(c: &mut Cluster, key: Key, v: &Versions) {
    assert!(c.at(A).plant(key, v, false));
    assert!(c.at(B).plant(key, v, false));
}

#[test]
fn replicas_that_agree_exchange_only_their_roots() {
    let mut c = pair();
    for key in 0..60 {
        plant_both(&mut c, key, &next_version(&Versions::new(), NodeId(5), key + 1));
    }
    let log = full_lap(&mut c, A);
    let ranges = c.at(A).node().storage().trees().unwrap().ranges().len();
    assert_eq!(count(&log, "merkle_request"), ranges, "one root comparison per range");
    assert_eq!(count(&log, "merkle_reply"), ranges);
    assert_eq!(count(&log, "key_exchange") + count(&log, "key_exchange_reply"), 0, "no key moves");
    let a = c.at(A);
    let got = (a.count(Counter::AeExchanges), a.count(Counter::AeKeysRepaired), a.count(Counter::AeKeysSent));
    assert_eq!(got, (ranges as u64, 0, 0));
}

#[test]
fn an_exchange_transfers_exactly_the_differing_keys_both_ways() {
    let mut c = pair();
    for key in 0..60 {
        plant_both(&mut c, key, &next_version(&Versions::new(), NodeId(5), key + 1));
    }
    let (a_only, b_only, a_newer, b_newer, concurrent) = (100, 101, 10, 11, 102);
    let fresh = |by: u32, id| next_version(&Versions::new(), NodeId(by), id);
    assert!(c.at(A).plant(a_only, &fresh(5, 1000), false));
    assert!(c.at(B).plant(b_only, &fresh(5, 1001), false));
    let old = |c: &mut Cluster, k| c.at(A).on_disk(k).unwrap();
    let v = next_version(&old(&mut c, a_newer), NodeId(5), 1002);
    assert!(c.at(A).plant(a_newer, &v, false));
    let v = next_version(&old(&mut c, b_newer), NodeId(5), 1003);
    assert!(c.at(B).plant(b_newer, &v, false));
    assert!(c.at(A).plant(concurrent, &fresh(6, 1004), false));
    assert!(c.at(B).plant(concurrent, &fresh(7, 1005), false));

    let log = full_lap(&mut c, A);
    let mut pushed = BTreeSet::new();
    let mut wanted = BTreeSet::new();
    let mut returned = BTreeSet::new();
    for (_, _, m) in &log {
        match m {
            Msg::KeyExchange { push, want, .. } => {
                pushed.extend(push.iter().map(|(k, _)| *k));
                wanted.extend(want.iter().copied());
            }
            Msg::KeyExchangeReply { versions, .. } => returned.extend(versions.iter().map(|(k, _)| *k)),
            _ => {}
        }
    }
    let set = |k: &[Key]| k.iter().copied().collect::<BTreeSet<_>>();
    assert_eq!(pushed, set(&[a_only, a_newer, b_newer, concurrent]), "A pushes the differing keys it holds");
    assert_eq!(wanted, set(&[b_only, a_newer, b_newer, concurrent]), "and asks for those B holds");
    assert_eq!(returned, set(&[b_only, b_newer, concurrent]), "B returns only what A's push did not cover");
    assert_eq!(c.at(B).count(Counter::AeKeysRepaired), 3, "a_only, a_newer and concurrent changed on B");
    assert_eq!(c.at(A).count(Counter::AeKeysRepaired), 3, "b_only, b_newer and concurrent changed on A");
    assert_eq!((c.at(A).count(Counter::AeKeysSent), c.at(B).count(Counter::AeKeysSent)), (4, 3));
    // Converged: same stores, same trees.
    assert_eq!(disk_data(c.at(A)), disk_data(c.at(B)));
    assert_eq!(ids(&c.at(B).on_disk(concurrent).unwrap()), vec![1004, 1005]);
    assert_trees_consistent(c.at(A));
    assert_trees_consistent(c.at(B));
    // The next lap finds nothing to move.
    let again = full_lap(&mut c, A);
    assert_eq!(count(&again, "key_exchange"), 0);
}

#[test]
fn an_unanswered_step_is_resent_twice_then_abandoned() {
    let mut c = pair();
    plant_both(&mut c, 1, &next_version(&Versions::new(), NodeId(5), 1));
    let first = tick(&mut c, A);
    assert!(matches!(&first[..], [(B, Msg::MerkleRequest { .. })]), "{first:?}");
    // Every copy is lost: the step is resent after reply_timeout, twice.
    for _ in 0..2 {
        let again = c.at(A).fire_expect(Timer::AntiEntropyRetry { session: session_of(&first[0].1) });
        assert_eq!(again, first, "the same step, resent");
    }
    assert!(c.at(A).fire_expect(Timer::AntiEntropyRetry { session: session_of(&first[0].1) }).is_empty());
    assert!(!c.at(A).node().anti_entropy_in_flight());
    assert_eq!(c.at(A).count(Counter::AeAbandoned), 1);
    // B's late answer to the abandoned step is ignored.
    let late = c.deliver(A, first[0].clone());
    assert!(c.deliver(B, late[0].clone()).is_empty());
    // The next tick starts a fresh exchange of the next range.
    let next = tick(&mut c, A);
    assert!(matches!(&next[..], [(B, Msg::MerkleRequest { session, .. })] if *session != session_of(&first[0].1)));
}

fn session_of(m: &Msg) -> u64 {
    match m {
        Msg::MerkleRequest { session, .. } | Msg::KeyExchange { session, .. } => *session,
        other => panic!("not an exchange step: {other:?}"),
    }
}

#[test]
fn a_wiped_node_is_rebuilt_by_anti_entropy() {
    let mut c = Cluster::new(ae_cfg(3), 3);
    let (wiped, keys) = (NodeId(2), 100u64);
    for key in 0..keys {
        let v = next_version(&Versions::new(), NodeId(5), key + 1);
        for id in 0..3 {
            assert!(c.at(NodeId(id)).plant(key, &v, false));
        }
    }
    c.at(wiped).h.disk_mut().wipe();
    c.at(wiped).crash_and_reboot();
    assert_eq!(tree_keys(c.at(wiped)), 0, "a replacement starts with empty trees");
    assert!(c.at(wiped).on_disk(7).is_none());
    let log = full_lap(&mut c, wiped);
    assert!(count(&log, "key_exchange_reply") > 0);
    let want = disk_data(c.at(NodeId(0)));
    assert_eq!(want.len(), keys as usize);
    assert_eq!(disk_data(c.at(wiped)), want, "every key pulled back from its peers");
    assert_eq!(c.at(wiped).count(Counter::AeKeysRepaired), keys);
    assert_eq!(tree_keys(c.at(wiped)), keys as usize);
    assert_trees_consistent(c.at(wiped));
}

#[test]
fn max_keys_per_exchange_bounds_one_exchange() {
    let mut cfg = ae_cfg(2);
    cfg.anti_entropy.max_keys_per_exchange = 3;
    let mut c = Cluster::new(cfg, 2);
    for key in 0..200 {
        assert!(c.at(A).plant(key, &next_version(&Versions::new(), NodeId(5), key + 1), false));
    }
    let log = full_lap(&mut c, A);
    for (_, _, m) in &log {
        if let Msg::KeyExchange { push, want, .. } = m {
            assert!(push.len() + want.len() <= 3, "{m:?}");
        }
    }
    let moved = c.at(B).count(Counter::AeKeysRepaired);
    let ranges = c.at(A).node().storage().trees().unwrap().ranges().len() as u64;
    assert!(moved <= 3 * ranges && moved > 0, "{moved}");
    assert!(disk_data(c.at(B)).len() < 200, "the rest waits for later laps");
}

#[test]
fn slow_foreground_disk_defers_background_work() {
    // Every default-disk write with its fsync (about 1 ms) exceeds a 0.5 ms threshold.
    let cfg = DynamoConfig {
        admission: AdmissionConfig {
            enabled: true,
            window: SimDuration::from_millis(60_000),
            p99_threshold: SimDuration::from_micros(500),
            min_backoff: SimDuration::from_millis(250),
            max_backoff: SimDuration::from_millis(1000),
        },
        ..ae_cfg(2)
    };
    let mut c = Cluster::new(cfg.clone(), 2);
    assert!(c.at(A).plant(1, &next_version(&Versions::new(), NodeId(5), 1), false));
    let t0 = c.at(A).h.now();
    let (timer, sent) = c.at(A).fire();
    assert_eq!((timer, sent), (Timer::AntiEntropy, vec![]), "deferred: nothing sent");
    assert_eq!(c.at(A).count(Counter::BackgroundDeferred), 1);
    let deferred_at = c.at(A).h.now();
    assert_eq!(c.at(A).fire().0, Timer::AntiEntropy);
    assert_eq!(c.at(A).h.now().since(deferred_at), SimDuration::from_millis(250), "asks again after min_backoff");
    assert_eq!(c.at(A).fire().0, Timer::AntiEntropy);
    assert_eq!(c.at(A).count(Counter::BackgroundDeferred), 3);
    assert!(c.at(A).h.now() > t0);
    // With a generous threshold the same node is admitted at once.
    let cfg = DynamoConfig {
        admission: AdmissionConfig { p99_threshold: SimDuration::from_millis(50), ..cfg.admission },
        ..cfg
    };
    let mut c = Cluster::new(cfg, 2);
    assert!(c.at(A).plant(1, &next_version(&Versions::new(), NodeId(5), 1), false));
    let sent = tick(&mut c, A);
    assert!(matches!(&sent[..], [(B, Msg::MerkleRequest { .. })]));
    assert_eq!(c.at(A).count(Counter::BackgroundDeferred), 0);
}

#[test]
fn a_key_is_tracked_exactly_when_its_node_replicates_it_under_every_strategy() {
    use crate::merkle::MerkleConfig;
    use crate::ring::testutil;
    for strategy in testutil::strategies() {
        let ring = testutil::ring(6, strategy, 3);
        let trees: Vec<crate::anti_entropy::RangeTrees> = (0..6)
            .map(|i| {
                let ranges = ring.ranges_of(NodeId(i), 3);
                crate::anti_entropy::RangeTrees::new(ranges, MerkleConfig { depth: 4 }).unwrap()
            })
            .collect();
        let mut list = Vec::new();
        for key in 0..2000u64 {
            let pos = key_position(key);
            ring.preference_list(pos, 3, &mut list);
            for (i, t) in trees.iter().enumerate() {
                let slot = t.slot_of_key(key);
                assert_eq!(slot.is_some(), list.contains(&NodeId(i as u32)), "{strategy:?} key {key} node {i}");
                if let Some(slot) = slot {
                    let range = t.ranges()[slot];
                    assert!(range.contains(pos));
                    assert_eq!(t.slot_of_range(&range), Some(slot), "range identity round-trips");
                    // Every replica of the key agrees on the range's identity.
                    for &other in &list {
                        let o = &trees[other.index()];
                        assert_eq!(o.slot_of_key(key).map(|s| o.ranges()[s]), Some(range));
                    }
                }
            }
        }
    }
}

/// What a node of a 1,000-node cluster (64 tokens each, N = 3) keeps in Merkle trees: 192 ranges
/// and 3,000 keys at the default depth 10. A measurement: run it with
/// `cargo test --release -p dynamo-model -- --ignored --nocapture tree_memory`.
#[test]
#[ignore = "a measurement; prints the figures"]
fn tree_memory_of_a_node_with_192_ranges_and_3000_keys() {
    use crate::merkle::{DEFAULT_DEPTH, MerkleConfig};
    use crate::ring::KeyRange;
    let step = u128::MAX / 192;
    let ranges: Vec<KeyRange> =
        (0..192u128).map(|i| KeyRange::new(i * step, ((i + 1) * step) % (192 * step))).collect();
    let data: Vec<(Key, Versions)> =
        (0..3_000u64).map(|k| (k, next_version(&Versions::new(), NodeId(1), k + 1))).collect();
    let config = MerkleConfig { depth: DEFAULT_DEPTH };
    let trees = crate::anti_entropy::RangeTrees::build(ranges, config, data.iter().map(|(k, v)| (*k, v))).unwrap();
    assert_eq!(trees.key_count(), 3_000);
    let allocated: BTreeSet<usize> = data.iter().filter_map(|(k, _)| trees.slot_of_key(*k)).collect();
    let fp = trees.footprint();
    let dense_slots = (allocated.len() + 1) << (DEFAULT_DEPTH + 1);
    println!("ranges 192, trees allocated {}, keys {}, depth {DEFAULT_DEPTH}", allocated.len(), fp.entries);
    println!(
        "sparse: {} node slots = {} B as 8-byte hashes; payload {} B",
        fp.node_slots,
        fp.node_slots * 8,
        fp.payload_bytes()
    );
    println!("dense (the same trees before): {dense_slots} node slots = {} B", dense_slots * 8);
    assert!(fp.node_slots <= 3_000 * (usize::from(DEFAULT_DEPTH) + 1));
}
