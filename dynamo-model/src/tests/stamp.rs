//! A node never issues the same (actor, counter) twice for a key, even after it lost what it
//! stored: a corrupt record, a write the disk refused, or unsynced writes a crash took. Each
//! test has a coordinator stamp blind puts around the loss and requires the version stamped
//! after it to be concurrent with the one lost (before the fix it carried the same clock, and
//! the next put's clock then dominated both although it had seen only one).

use super::*;
use crate::config::StorageConfig;
use crate::version::Sibling;
use sim_core::disk::DiskFaults;

/// What coordinator `node` sends its replicas for a blind put of write `id` (its first replica
/// write's versions), after the client asks it.
fn stamped(c: &mut Cluster, node: NodeId, req: u64, id: u64) -> Versions {
    let sent = c.at(node).recv(CLIENT, put_req(req, KEY, id));
    match sent.iter().find_map(|(_, m)| match m {
        Msg::ReplicaWrite { versions, .. } => Some(versions.clone()),
        _ => None,
    }) {
        Some(v) => v,
        None => panic!("no replica write in {sent:?}"),
    }
}

/// The sibling of write `id` in `v`.
fn only(v: &Versions, id: u64) -> Sibling {
    v.siblings().iter().find(|s| s.write_id() == WriteId(id)).expect("the write is there").clone()
}

/// Neither clock descends from the other. Equal clocks descend from each other: that is the
/// reused counter, which lets the next put's clock dominate both versions although it saw one.
fn assert_concurrent(a: &Sibling, b: &Sibling) {
    let (ca, cb) = (a.clock().expect("a vector clock"), b.clock().expect("a vector clock"));
    assert!(!ca.descends(cb) && !cb.descends(ca), "expected concurrent clocks, got {ca:?} and {cb:?}");
}

#[test]
fn a_corrupt_record_makes_the_coordinator_stamp_the_key_with_a_fresh_actor() {
    let mut c = Cluster::new(DynamoConfig::default(), 5);
    let pl = c.pref(KEY);
    let first = only(&stamped(&mut c, pl[0], 1, 1), 1);
    c.at(pl[0]).h.disk_mut().set_faults(DiskFaults { read_corruption: 1.0, ..DiskFaults::default() }).unwrap();
    let second = only(&stamped(&mut c, pl[0], 2, 2), 2);
    assert_concurrent(&first, &second);
    // The key keeps its new actor: the next put (disk healthy again) extends the second
    // version, not the first, and still does not claim to have seen the first.
    c.at(pl[0]).h.disk_mut().set_faults(DiskFaults::default()).unwrap();
    let third = only(&stamped(&mut c, pl[0], 3, 3), 3);
    assert!(third.supersedes(&second), "the third put saw the second (it is stored)");
    assert_concurrent(&first, &third);
}

#[test]
fn a_refused_local_write_makes_the_coordinator_stamp_the_key_with_a_fresh_actor() {
    let mut c = Cluster::new(DynamoConfig::default(), 5);
    let pl = c.pref(KEY);
    stamped(&mut c, pl[0], 1, 1);
    c.at(pl[0]).h.disk_mut().set_faults(DiskFaults { write_error: 1.0, ..DiskFaults::default() }).unwrap();
    let second = only(&stamped(&mut c, pl[0], 2, 2), 2);
    c.at(pl[0]).h.disk_mut().set_faults(DiskFaults::default()).unwrap();
    let third = only(&stamped(&mut c, pl[0], 3, 3), 3);
    assert_concurrent(&second, &third);
}

#[test]
fn a_crash_that_loses_unsynced_stamps_moves_the_node_to_a_new_primary_epoch() {
    let storage = StorageConfig { fsync_writes: false, buffer: None };
    let mut c = Cluster::new(DynamoConfig { storage, ..DynamoConfig::default() }, 5);
    let pl = c.pref(KEY);
    let first = only(&stamped(&mut c, pl[0], 1, 1), 1);
    c.at(pl[0]).crash_and_reboot();
    assert!(c.at(pl[0]).on_disk(KEY).is_none(), "the unsynced write died with the crash");
    let second = only(&stamped(&mut c, pl[0], 2, 2), 2);
    assert_concurrent(&first, &second);
}

#[test]
fn a_synced_node_keeps_its_primary_actor_across_a_restart() {
    let mut c = Cluster::new(DynamoConfig::default(), 5);
    let pl = c.pref(KEY);
    let first = only(&stamped(&mut c, pl[0], 1, 1), 1);
    c.at(pl[0]).crash_and_reboot();
    let second = only(&stamped(&mut c, pl[0], 2, 2), 2);
    assert!(second.supersedes(&first), "the synced first write is read back and extended");
    assert_eq!(second.clock().map(|c| c.entries().len()), Some(1), "one actor: the same primary");
}
