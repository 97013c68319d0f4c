//! Convergence: time from the last heal until every key's live replicas agree and keep
//! agreeing to the end of the run, from the run's samples.

use super::samples::Samples;
use crate::assemble::Assembly;
use crate::spec::{Admin, Scenario};
use reports::metrics::{ConvergenceSection, round6};
use sim_core::SimTime;
use sim_core::fault::Fault;

/// The last heal of the timeline that happened by `end`, in seconds: the latest heal, restart
/// or resume entry, or the delayed restart of a crash, wipe or replacement, or the delayed
/// resume of a pause.
pub fn last_timeline_heal_s(s: &Scenario, end: SimTime) -> Option<f64> {
    let end_s = end.as_secs_f64();
    s.faults
        .iter()
        .filter_map(|a| match (&a.fault, &a.admin) {
            (Some(Fault::Heal { .. } | Fault::Restart { .. } | Fault::Resume { .. }), _) => Some(a.at_s),
            (Some(Fault::Crash { restart_after_ms, .. } | Fault::Wipe { restart_after_ms, .. }), _) => {
                restart_after_ms.map(|d| a.at_s + d / 1e3)
            }
            (Some(Fault::Pause { resume_after_ms, .. }), _) => resume_after_ms.map(|d| a.at_s + d / 1e3),
            (None, Some(Admin::Replace { after_ms, .. })) => Some(a.at_s + after_ms / 1e3),
            _ => None,
        })
        .filter(|t| *t <= end_s)
        .reduce(f64::max)
}

/// The convergence section, from the samples and what the final state says: `divergent` of
/// the `keys` known at the end (written by a completed operation or held in a data record)
/// have live replicas in disagreement.
pub fn section(
    s: &Scenario,
    asm: &Assembly,
    samples: Option<&Samples>,
    (divergent, keys): (u64, u64),
) -> ConvergenceSection {
    let chaos = s.chaos.crashes.is_some() || s.chaos.pauses.is_some() || s.chaos.partitions.is_some();
    let seen = samples.and_then(|x| x.last_fault_seen).filter(|_| chaos).map(|t| t.as_secs_f64());
    let last_heal_s = match (last_timeline_heal_s(s, asm.end), seen) {
        (Some(a), Some(b)) => Some(a.max(b)),
        (a, b) => a.or(b),
    };
    let converged_at_s = samples.and_then(|x| {
        let tail = x.points.iter().rev().take_while(|p| p.divergent == 0).last()?;
        Some(tail.t.as_secs_f64())
    });
    let since = |from: Option<f64>| match (converged_at_s, from) {
        (Some(c), Some(f)) => Some(round6((c - f).max(0.0))),
        _ => None,
    };
    let workload_end_s = asm.workload_end.as_secs_f64();
    ConvergenceSection {
        sampled: samples.is_some(),
        last_heal_s: last_heal_s.map(round6),
        workload_end_s: round6(workload_end_s),
        converged_at_s: converged_at_s.map(round6),
        convergence_s: since(last_heal_s),
        after_workload_end_s: since(Some(workload_end_s)),
        divergent_keys_at_end: divergent,
        keys_at_end: keys,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::load::parse;
    use std::path::Path;

    #[test]
    fn the_last_heal_includes_delayed_restarts_that_happen_in_the_run() {
        let text = r#"{"duration_s": 60, "settle_s": 10, "cluster": {"nodes": 3},
            "workloads": [{"arrival": {"poisson": {"rate_per_s": 10}}, "keys": {"count": 10}}],
            "faults": [
              {"at_s": 15, "fault": {"partition": {"shape": {"isolate_one": {"node": 0}}}}},
              {"at_s": 30, "fault": {"heal": {}}},
              {"at_s": 40, "fault": {"crash": {"node": 1, "restart_after_ms": 10000}}},
              {"at_s": 45, "fault": {"pause": {"node": 2, "resume_after_ms": 100000}}},
              {"at_s": 55, "fault": {"crash": {"node": 0}}},
              {"at_s": 56, "fault": {"clock_jump": {"node": 0, "delta_ms": 5}}}
            ]}"#;
        let s = parse(text, Path::new("t.json")).expect("valid");
        let end = SimTime::ZERO + sim_core::SimDuration::from_secs(70);
        // The restart at 50 s counts; the resume at 145 s falls after the end; a crash that is
        // never repaired and a clock jump heal nothing.
        assert_eq!(last_timeline_heal_s(&s, end), Some(50.0));
        let quiet = Scenario { faults: s.faults[..1].to_vec(), ..s };
        assert_eq!(last_timeline_heal_s(&quiet, end), None, "a partition that never heals");
    }
}
