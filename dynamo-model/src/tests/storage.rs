//! The storage engine: the object buffer and its flush, durability across crashes, corrupt
//! records, and the hint store's recovery; through the engine's API and through a node.

use super::*;
use crate::config::{BufferConfig, SloppyQuorum, StorageConfig};
use crate::counters::Counter;
use crate::storage::Storage;
use sim_core::disk::DiskFaults;

const OTHER: Key = 7;

fn buffered(max_objects: usize) -> DynamoConfig {
    DynamoConfig {
        storage: StorageConfig {
            fsync_writes: false,
            buffer: Some(BufferConfig { flush_interval: SimDuration::from_millis(500), max_objects }),
        },
        // Keep the hint scan out of the way of the flush timer.
        sloppy_quorum: SloppyQuorum { scan_interval: SimDuration::from_millis(5_000), ..SloppyQuorum::default() },
        ..DynamoConfig::default()
    }
}

fn node(cfg: DynamoConfig) -> TestNode {
    TestNode::boot(NodeId(0), Arc::new(cfg), ring(5))
}

fn v(id: u64) -> Versions {
    next_version(&Versions::new(), NodeId(1), id)
}

#[test]
fn apply_reconciles_incoming_versions_with_the_stored_ones() {
    let mut h: Harness<Proc> = Harness::new(NodeId(0), 3);
    let mut s = Storage::new(StorageConfig::default());
    let (a, b) = (v(1), next_version(&Versions::new(), NodeId(2), 2));
    let both = h.with_ctx(|ctx| {
        s.apply(ctx, KEY, &a, false).unwrap();
        s.apply(ctx, KEY, &b, false).unwrap()
    });
    assert_eq!(ids(&both), vec![1, 2], "concurrent versions are kept as siblings");
    let c = next_version(&both, NodeId(1), 3);
    let after = h.with_ctx(|ctx| {
        s.apply(ctx, KEY, &c, false).unwrap();
        s.apply(ctx, KEY, &a, false).unwrap()
    });
    assert_eq!(ids(&after), vec![3], "a superseded version, even replayed, is dropped");
    assert_eq!(h.with_ctx(|ctx| s.read(ctx, KEY)), after);
    assert_eq!(h.disk().stats().fsyncs, 4, "fsync_writes syncs every write");
}

#[test]
fn buffered_writes_stay_in_memory_until_the_flush_timer() {
    let mut n = node(buffered(1000));
    assert!(n.plant(KEY, &v(1), false));
    assert!(n.on_disk(KEY).is_none(), "not on disk yet");
    assert_eq!(n.node().storage().buffered(KEY), Some(&v(1)));
    assert_eq!(n.replica_read(KEY), v(1), "reads check the buffer first");
    assert!(n.fire_expect(Timer::Flush).is_empty());
    assert_eq!(n.h.now(), SimTime(500_000_000));
    assert_eq!(n.on_disk(KEY), Some(v(1)));
    assert_eq!(n.node().storage().buffered_len(), 0);
    assert_eq!(n.count(Counter::Flushes), 1);
    // The flush fsynced: the write now survives a crash.
    n.crash_and_reboot();
    assert_eq!(n.replica_read(KEY), v(1));
}

#[test]
fn the_flush_timer_rearms_itself() {
    let mut n = node(buffered(1000));
    n.fire_expect(Timer::Flush);
    assert!(n.plant(KEY, &v(1), false));
    n.fire_expect(Timer::Flush);
    assert_eq!(n.h.now(), SimTime(1_000_000_000));
    assert_eq!(n.on_disk(KEY), Some(v(1)));
}

#[test]
fn a_full_buffer_flushes_early() {
    let mut n = node(buffered(2));
    assert!(n.plant(KEY, &v(1), false));
    assert!(n.on_disk(KEY).is_none());
    assert!(n.plant(OTHER, &v(2), false));
    assert_eq!(n.on_disk(KEY), Some(v(1)), "the second object filled the buffer");
    assert_eq!(n.on_disk(OTHER), Some(v(2)));
    assert_eq!(n.node().storage().buffered_len(), 0);
}

#[test]
fn a_crash_loses_buffered_only_writes_but_keeps_a_durable_one() {
    let mut n = node(buffered(1000));
    assert!(n.plant(KEY, &v(1), false));
    assert!(n.plant(OTHER, &v(2), true));
    assert!(n.node().storage().buffered(OTHER).is_none(), "a durable write bypasses the buffer");
    assert_eq!(n.on_disk(OTHER), Some(v(2)));
    n.crash_and_reboot();
    assert!(n.replica_read(KEY).is_empty(), "the buffered write died with the node");
    assert_eq!(n.replica_read(OTHER), v(2));
}

#[test]
fn a_buffered_put_asks_exactly_one_of_the_n_replicas_to_write_durably() {
    let mut c = Cluster::new(buffered(1000), 5);
    let pl = c.pref(KEY);
    let sent = c.at(pl[0]).recv(CLIENT, put_req(1, KEY, 1));
    let local_durable = c.at(pl[0]).on_disk(KEY).is_some();
    assert_eq!(local_durable, c.at(pl[0]).node().storage().buffered(KEY).is_none());
    let remote: Vec<(NodeId, bool)> = sent
        .iter()
        .map(|(t, m)| match m {
            Msg::ReplicaWrite { durable, .. } => (*t, *durable),
            other => panic!("{other:?}"),
        })
        .collect();
    let durable = remote.iter().filter(|(_, d)| *d).count() + usize::from(local_durable);
    assert_eq!(durable, 1, "local {local_durable}, remote {remote:?}");
    // The durable writer puts it on disk at once; the other keeps it in its buffer.
    for ((t, d), m) in remote.into_iter().zip(sent) {
        c.deliver(pl[0], m);
        assert_eq!(c.at(t).on_disk(KEY).is_some(), d, "{t}");
    }
}

#[test]
fn a_corrupt_record_reads_as_missing_and_is_rewritten_by_the_next_apply() {
    let mut n = node(DynamoConfig::default());
    assert!(n.plant(KEY, &v(1), false));
    n.h.disk_mut().set_faults(DiskFaults { read_corruption: 1.0, ..DiskFaults::default() }).unwrap();
    assert!(n.replica_read(KEY).is_empty(), "a record failing its checksum counts as missing");
    assert_eq!(n.count(Counter::CorruptReads), 1);
    n.h.disk_mut().set_faults(DiskFaults::default()).unwrap();
    assert!(n.replica_read(KEY).is_empty(), "it stays corrupt until rewritten");
    let v2 = next_version(&Versions::new(), NodeId(2), 2);
    assert!(n.plant(KEY, &v2, false), "a write over a corrupt record succeeds");
    assert_eq!(n.on_disk(KEY), Some(v2.clone()), "rewritten intact");
    assert_eq!(n.replica_read(KEY), v2);
}

#[test]
fn fsync_writes_makes_an_acked_write_survive_a_crash() {
    let mut n = node(DynamoConfig::default());
    assert!(n.plant(KEY, &v(1), false));
    n.crash_and_reboot();
    assert_eq!(n.replica_read(KEY), v(1));
}

#[test]
fn without_fsync_an_acked_write_can_die_in_the_disk_cache() {
    let cfg = DynamoConfig { storage: StorageConfig { fsync_writes: false, buffer: None }, ..DynamoConfig::default() };
    let mut n = node(cfg);
    assert!(n.plant(KEY, &v(1), false), "acked");
    assert_eq!(n.on_disk(KEY), Some(v(1)), "written, but unsynced");
    n.crash_and_reboot();
    assert!(n.replica_read(KEY).is_empty());
}

#[test]
fn the_hint_index_is_rebuilt_from_disk_after_a_restart() {
    let mut n = node(DynamoConfig::default());
    let intended = NodeId(3);
    let write = Msg::ReplicaWrite { op: 1, key: KEY, versions: v(1), hint: Some(intended), durable: false };
    n.recv(PLANTER, write);
    n.crash_and_reboot();
    assert_eq!(n.node().storage().hints().collect::<Vec<_>>(), vec![(intended, KEY)]);
    assert_eq!(n.fire_expect(Timer::HintScan), vec![(intended, Msg::Handoff { key: KEY, versions: v(1) })]);
}

proptest::proptest! {
    /// The by-key hint index answers like a scan of every hint: after any sequence of hinted
    /// stores and deletions, `hinted_versions(key)` merges exactly the hints `hints()` lists for
    /// `key` (in intended-node order), `has_hint` and `hints_for` agree, and `hints()` stays in (intended
    /// node, key) order, the handoff scan's order.
    #[test]
    fn hinted_versions_match_a_scan_of_all_hints(
        ops in proptest::collection::vec((proptest::bool::weighted(0.7), 1u32..6, 0u64..5, 1u64..1000), 1..60),
    ) {
        let mut h: Harness<Proc> = Harness::new(NodeId(0), 3);
        let mut s = Storage::new(StorageConfig::default());
        for (store, intended, key, id) in ops {
            let intended = NodeId(intended);
            h.with_ctx(|ctx| {
                if store {
                    let incoming = next_version(&Versions::new(), NodeId(id as u32 % 4 + 1), id);
                    s.store_hint(ctx, intended, key, &incoming).unwrap();
                } else {
                    s.delete_hint(ctx, intended, key);
                }
            });
            let listed: Vec<(NodeId, Key)> = s.hints().collect();
            proptest::prop_assert!(listed.windows(2).all(|w| w[0] < w[1]));
            for k in 0..5 {
                let (fast, scan) = h.with_ctx(|ctx| {
                    let fast = s.hinted_versions(ctx, k);
                    let mut scan = Versions::new();
                    for &(n, _) in listed.iter().filter(|(_, hk)| *hk == k) {
                        scan.merge(&s.read_hint(ctx, n, k));
                    }
                    (fast, scan)
                });
                proptest::prop_assert_eq!(fast, scan, "key {}", k);
                for n in 1..6 {
                    proptest::prop_assert_eq!(s.has_hint(NodeId(n), k), listed.contains(&(NodeId(n), k)));
                }
                let for_key: Vec<NodeId> = listed.iter().filter(|(_, hk)| *hk == k).map(|&(n, _)| n).collect();
                proptest::prop_assert_eq!(s.hints_for(k).collect::<Vec<_>>(), for_key);
            }
        }
    }
}

#[test]
fn position_is_key_position_whatever_the_order_of_keys() {
    let mut s = Storage::new(StorageConfig::default());
    for key in [3, 3, 9, 3, 0, 0, u64::MAX, 9] {
        assert_eq!(s.position(key), crate::ring::key_position(key), "key {key}");
    }
}
