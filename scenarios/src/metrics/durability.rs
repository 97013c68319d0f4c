//! Durability: what in a scenario can destroy acknowledged data.
//!
//! An acknowledged write w of key k is lost when nothing the cluster holds for k at the end of
//! the run (every node's replica and buffer, and every hint, merged: the state repairs would
//! converge to) is w or causally descends from it (measured in `measure::end`). Under LWW such
//! losses are by design (LWW keeps one of concurrent writes) and are counted as
//! `lww_overwritten` instead. Losses are excused when the scenario can destroy data.

use crate::spec::{Admin, Scenario};
use sim_core::disk::DiskFaults;
use sim_core::fault::Fault;
use std::collections::BTreeSet;

/// What in the scenario can destroy acknowledged data, by name (empty when nothing can).
pub fn data_destroying_faults(s: &Scenario) -> Vec<String> {
    let mut why = BTreeSet::new();
    let disk = |f: &DiskFaults, why: &mut BTreeSet<&str>| {
        if f.read_corruption > 0.0 {
            why.insert("disk_corruption");
        }
        if f.torn_write > 0.0 {
            why.insert("torn_writes");
        }
        if f.misdirected_write > 0.0 {
            why.insert("misdirected_writes");
        }
    };
    disk(&s.disk.faults, &mut why);
    let mut crashes = s.chaos.crashes.is_some();
    if s.chaos.crashes.as_ref().is_some_and(|c| c.wipe_probability > 0.0) {
        why.insert("chaos_wipe");
    }
    for a in &s.faults {
        match (&a.fault, &a.admin) {
            (Some(Fault::Wipe { .. }), _) => {
                why.insert("wipe");
                crashes = true;
            }
            (Some(Fault::Crash { .. }), _) => crashes = true,
            (Some(Fault::DiskFaults { faults, .. }), _) => disk(faults, &mut why),
            (None, Some(Admin::Replace { .. })) => {
                why.insert("replace");
                crashes = true;
            }
            _ => {}
        }
    }
    if crashes && s.dynamo.storage.buffer.is_some() {
        why.insert("buffered_writes_with_crashes");
    }
    if crashes && !s.dynamo.storage.fsync_writes {
        why.insert("unsynced_writes_with_crashes");
    }
    why.into_iter().map(String::from).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::load::parse;
    use std::path::Path;

    fn scenario(extra: &str) -> Scenario {
        let text = format!(
            r#"{{"duration_s": 10, "cluster": {{"nodes": 3}},
                "workloads": [{{"arrival": {{"poisson": {{"rate_per_s": 10}}}}, "keys": {{"count": 10}}}}]{extra}}}"#
        );
        parse(&text, Path::new("t.json")).expect("valid scenario")
    }

    #[test]
    fn names_what_destroys_data() {
        assert!(data_destroying_faults(&scenario("")).is_empty());
        let crash = r#", "faults": [{"at_s": 1, "fault": {"crash": {"node": 0}}}]"#;
        assert!(data_destroying_faults(&scenario(crash)).is_empty(), "a crash with synced writes loses nothing");
        let buffered = format!(r#"{crash}, "dynamo": {{"storage": {{"buffer": {{}}}}}}"#);
        assert_eq!(data_destroying_faults(&scenario(&buffered)), vec!["buffered_writes_with_crashes"]);
        let wipe = r#", "faults": [{"at_s": 1, "fault": {"wipe": {"node": 0}}},
            {"at_s": 2, "fault": {"disk_faults": {"node": 1, "faults": {"torn_write": 0.1}}}}]"#;
        assert_eq!(data_destroying_faults(&scenario(wipe)), vec!["torn_writes", "wipe"]);
        let replace = r#", "faults": [{"at_s": 1, "admin": {"replace": {"node": 0}}}]"#;
        assert_eq!(data_destroying_faults(&scenario(replace)), vec!["replace"]);
        let corrupt = r#", "disk": {"faults": {"read_corruption": 0.01}}"#;
        assert_eq!(data_destroying_faults(&scenario(corrupt)), vec!["disk_corruption"]);
        let write_errors = r#", "disk": {"faults": {"write_error": 0.5}}"#;
        assert!(data_destroying_faults(&scenario(write_errors)).is_empty(), "a refused write is never acknowledged");
    }
}
