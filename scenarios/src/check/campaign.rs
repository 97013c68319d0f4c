//! `dynsim check`: many seeds of one scenario, in parallel across cores (one run per task; a run
//! itself stays single-threaded), each checked against every invariant and its event budget.
//!
//! The budget ([`event_budget`]) is derived from the scenario's cost estimate: a run that
//! handles [`BUDGET_FACTOR`] times the estimated events (a livelock, a message storm, a sibling
//! explosion) is stopped there and fails [`WITHIN_BUDGET`], with its replay command like any
//! failure, instead of hanging the campaign. Simulated time needs no budget of its own: no run
//! goes past its scenario's end, so events are the only thing that can run away.

use crate::checked::CheckedScenario;
use crate::run::{RunOptions, run};
use rayon::prelude::*;
use reports::{Status, Verdict};
use std::collections::BTreeMap;

/// The checked outcome of one seed.
#[derive(Clone, Debug)]
pub struct SeedResult {
    /// The seed.
    pub seed: u64,
    /// Its trace hash.
    pub trace_hash: String,
    /// Every checker's verdict.
    pub verdicts: Vec<Verdict>,
}

impl SeedResult {
    /// The broken invariants' verdicts.
    pub fn failures(&self) -> impl Iterator<Item = &Verdict> {
        self.verdicts.iter().filter(|v| v.failed())
    }
}

/// How often each check did not apply over many seeds, and why: the reasons a summary lists.
/// O(distinct reasons) memory, whatever the number of seeds.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct NotApplicable {
    /// Seeds per (invariant, reason), in invariant-name then reason order.
    pub seeds: BTreeMap<(String, String), u64>,
}

impl NotApplicable {
    /// Counts one seed's verdicts.
    pub fn add(&mut self, r: &SeedResult) {
        for v in &r.verdicts {
            if let Status::NotApplicable { reason } = &v.status {
                *self.seeds.entry((v.invariant.clone(), reason.clone())).or_default() += 1;
            }
        }
    }

    /// One line per (invariant, reason): `not applicable: INV on K of N seeds: REASON`.
    pub fn lines(&self, checked: u64) -> Vec<String> {
        self.seeds
            .iter()
            .map(|((inv, why), k)| format!("not applicable: {inv} on {k} of {checked} seeds: {why}"))
            .collect()
    }
}

/// The check a run that blows its event budget fails (every seed has its verdict, after the
/// invariants').
pub const WITHIN_BUDGET: &str = "within_budget";

/// How many times its estimated events a run may handle under `dynsim check`. The estimate is
/// meant to be within a small factor of the truth (`checked::cost`); ten times it is a run
/// that went wrong.
pub const BUDGET_FACTOR: f64 = 10.0;

/// Events every run may handle whatever its estimate, so tiny scenarios are not cut short.
pub const BUDGET_FLOOR: f64 = 1e6;

/// The event budget of each run of `s` under `dynsim check`.
pub fn event_budget(s: &CheckedScenario) -> u64 {
    (BUDGET_FACTOR * s.estimate().total_events()).max(BUDGET_FLOOR) as u64
}

/// Runs and checks one seed.
pub fn check_seed(s: &CheckedScenario, seed: u64) -> Result<SeedResult, crate::error::SpecError> {
    let budget = event_budget(s);
    let out = run(s, RunOptions { seed: Some(seed), event_budget: Some(budget), ..RunOptions::default() })?;
    let mut verdicts = out.measured().checks.clone();
    match out.budget_blown {
        None => verdicts.push(Verdict { invariant: WITHIN_BUDGET.into(), status: Status::Pass }),
        Some(at) => {
            let why = format!("the run was stopped at its event budget at {:.6} s", at.as_secs_f64());
            for v in &mut verdicts {
                *v = Verdict::not_applicable(&v.invariant, why.clone());
            }
            let detail = format!(
                "the run handled {budget} events ({BUDGET_FACTOR} times the {:.0} estimated) by {:.6} s of {:.1} s",
                s.estimate().total_events(),
                at.as_secs_f64(),
                s.scenario().duration_s + s.scenario().settle_s
            );
            let v = reports::Violation { key: 0, ops: vec![], at_s: at.as_secs_f64(), detail };
            verdicts.push(Verdict::from_violations(WITHIN_BUDGET, vec![v]));
        }
    }
    Ok(SeedResult { seed, trace_hash: out.trace_hash, verdicts })
}

/// Runs and checks `seeds` in parallel; results come back in seed order. `tick` is called once
/// per finished seed (from worker threads), e.g. to move a progress bar.
pub fn check_seeds(
    s: &CheckedScenario,
    seeds: &[u64],
    tick: &(dyn Fn() + Sync),
) -> Result<Vec<SeedResult>, crate::error::SpecError> {
    seeds
        .par_iter()
        .map(|&seed| {
            let r = check_seed(s, seed);
            tick();
            r
        })
        .collect()
}
