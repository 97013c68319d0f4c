//! Durability: acknowledged writes the cluster no longer holds.
//!
//! An acknowledged write w of key k is lost when nothing the cluster holds for k at the end of
//! the run (every node's replica and buffer, and every hint, merged: the state repairs would
//! converge to) is w or causally descends from it. Under LWW such losses are by design (LWW
//! keeps one of concurrent writes) and are counted as `lww_overwritten` instead.

use crate::analysis::causal::{Causality, WriteInfo};
use crate::analysis::inspect;
use crate::assemble::Assembly;
use crate::spec::{Admin, Scenario};
use dynamo_model::version::VersioningMode;
use reports::metrics::{DurabilitySection, LostWrite, round6};
use sim_core::disk::DiskFaults;
use sim_core::fault::Fault;
use std::collections::BTreeSet;

/// How many lost writes the report lists.
const EXAMPLES: usize = 10;

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

/// The durability section, from the final state of `asm`.
pub fn section(s: &Scenario, asm: &Assembly, c: &Causality) -> DurabilitySection {
    let mut lost: Vec<&WriteInfo> = Vec::new();
    let (mut acked, mut failed, mut failed_surviving) = (0u64, 0u64, 0u64);
    for key in c.keys() {
        let held = inspect::surviving(asm, key).write_ids();
        for w in c.writes_of(key) {
            let survives = held.iter().any(|h| c.covers(*h, w.id));
            if w.acked {
                acked += 1;
                if !survives {
                    lost.push(w);
                }
            } else {
                failed += 1;
                failed_surviving += u64::from(survives);
            }
        }
    }
    lost.sort_by_key(|w| (w.completed, w.id));
    let lww = matches!(s.dynamo.versioning, VersioningMode::Lww);
    let why = data_destroying_faults(s);
    let n_lost = lost.len() as u64;
    let lost_acked = if lww { 0 } else { n_lost };
    DurabilitySection {
        versioning: s.dynamo.versioning.name().to_string(),
        acked_writes: acked,
        lost_acked_writes: lost_acked,
        lww_overwritten: if lww { n_lost } else { 0 },
        lost_acked_writes_unexcused: if why.is_empty() { lost_acked } else { 0 },
        data_destroying_faults: why,
        failed_writes: failed,
        failed_writes_surviving: failed_surviving,
        lost_examples: lost
            .iter()
            .take(EXAMPLES)
            .map(|w| LostWrite {
                key: w.key,
                write: w.id.0,
                client: w.client,
                completed_s: round6(w.completed.as_secs_f64()),
            })
            .collect(),
    }
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
