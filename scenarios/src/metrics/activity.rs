//! Repair activity over time: hints written, stored and delivered, read repairs, anti-entropy
//! exchanges and keys transferred, and join/leave key transfers, per time window, from the node
//! counters recorded at each sample (cluster totals; the work between two samples counts in the
//! window holding the later sample, less one nanosecond, as for load windows).

use super::samples::{NodeCounters, Samples};
use crate::spec::Admin;
use reports::metrics::{ActivitySection, ActivityWindow, round6};
use sim_core::{SimDuration, SimTime};

/// The activity section of a run ending at `end`, with windows of `width`.
/// `features` says whether anti-entropy was on and whether the scenario commands joins or leaves.
pub fn section(samples: Option<&Samples>, width: SimDuration, end: SimTime, features: Features) -> ActivitySection {
    let Features { anti_entropy, membership_changes } = features;
    let width_ns = width.as_nanos().max(1);
    let window_s = round6(width_ns as f64 / 1e9);
    let Some(samples) = samples else {
        return ActivitySection { window_s, sampled: false, anti_entropy, membership_changes, windows: Vec::new() };
    };
    let count = end.as_nanos().div_ceil(width_ns).max(1);
    let mut sums = vec![NodeCounters::default(); count as usize];
    let mut prev = NodeCounters::default();
    for p in &samples.points {
        let idx = (p.t.as_nanos().saturating_sub(1) / width_ns).min(count - 1) as usize;
        sums[idx].add(&delta(&p.totals, &prev));
        prev = p.totals;
    }
    let windows = sums
        .iter()
        .enumerate()
        .map(|(i, c)| ActivityWindow {
            start_s: round6((i as u64 * width_ns) as f64 / 1e9),
            hinted_writes: c.hinted_writes,
            hints_stored: c.hints_stored,
            hints_delivered: c.handoffs_completed,
            read_repairs: c.read_repairs,
            ae_exchanges: anti_entropy.then_some(c.ae_exchanges),
            ae_keys_transferred: anti_entropy.then_some(c.ae_keys_repaired),
            transfer_keys: membership_changes.then_some(c.transfer_keys),
        })
        .collect();
    ActivitySection { window_s, sampled: true, anti_entropy, membership_changes, windows }
}

/// The optional kinds of background work scenario `s` can do.
pub fn features(s: &crate::spec::Scenario) -> Features {
    let changes = s.faults.iter().any(|a| matches!(a.admin, Some(Admin::Join { .. } | Admin::Leave { .. })));
    Features { anti_entropy: s.dynamo.anti_entropy.enabled, membership_changes: changes }
}

/// Which optional kinds of background work a run can do.
#[derive(Clone, Copy, Debug, Default)]
pub struct Features {
    /// Anti-entropy is on.
    pub anti_entropy: bool,
    /// The scenario commands joins or leaves.
    pub membership_changes: bool,
}

/// What was counted between two samples (banked totals never go backwards).
fn delta(now: &NodeCounters, before: &NodeCounters) -> NodeCounters {
    NodeCounters {
        replica_reads: now.replica_reads.saturating_sub(before.replica_reads),
        replica_writes: now.replica_writes.saturating_sub(before.replica_writes),
        coordinated: now.coordinated.saturating_sub(before.coordinated),
        hints_stored: now.hints_stored.saturating_sub(before.hints_stored),
        handoffs_completed: now.handoffs_completed.saturating_sub(before.handoffs_completed),
        read_repairs: now.read_repairs.saturating_sub(before.read_repairs),
        hinted_writes: now.hinted_writes.saturating_sub(before.hinted_writes),
        ae_keys_repaired: now.ae_keys_repaired.saturating_sub(before.ae_keys_repaired),
        ae_exchanges: now.ae_exchanges.saturating_sub(before.ae_exchanges),
        transfer_keys: now.transfer_keys.saturating_sub(before.transfer_keys),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::metrics::samples::Sample;

    fn ae(anti_entropy: bool) -> Features {
        Features { anti_entropy, membership_changes: false }
    }

    fn at(ms: u64, handoffs: u64, repairs: u64, ae: u64) -> Sample {
        let totals = NodeCounters {
            handoffs_completed: handoffs,
            read_repairs: repairs,
            ae_exchanges: ae,
            ..NodeCounters::default()
        };
        Sample { t: SimTime(ms * 1_000_000), keys: 0, divergent: 0, requests: Vec::new(), totals }
    }

    #[test]
    fn windows_count_the_work_between_samples_and_keep_idle_windows() {
        let s = Samples {
            points: vec![at(500, 2, 1, 0), at(1000, 3, 1, 1), at(1500, 3, 1, 1), at(2000, 3, 1, 1), at(3000, 7, 4, 1)],
            ..Samples::default()
        };
        let a = section(Some(&s), SimDuration::from_secs(1), SimTime(3_000_000_000), ae(true));
        assert!(a.sampled && a.anti_entropy);
        let got: Vec<(f64, u64, u64, Option<u64>)> =
            a.windows.iter().map(|w| (w.start_s, w.hints_delivered, w.read_repairs, w.ae_exchanges)).collect();
        assert_eq!(got, vec![(0.0, 3, 1, Some(1)), (1.0, 0, 0, Some(0)), (2.0, 4, 3, Some(0))]);
    }

    #[test]
    fn without_samples_or_anti_entropy_it_says_so() {
        let none = section(None, SimDuration::from_secs(1), SimTime(5_000_000_000), ae(false));
        assert!(!none.sampled && none.windows.is_empty());
        let s = Samples { points: vec![at(1000, 1, 0, 0)], ..Samples::default() };
        let a = section(Some(&s), SimDuration::from_secs(1), SimTime(1_000_000_000), ae(false));
        assert_eq!(a.windows.len(), 1);
        assert_eq!((a.windows[0].hints_delivered, a.windows[0].ae_exchanges), (1, None));
    }
}
