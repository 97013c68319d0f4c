//! `dynsim check`: many seeds of one scenario, in parallel across cores (one run per task; a run
//! itself stays single-threaded), each checked against every invariant.

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

/// Runs and checks one seed.
pub fn check_seed(s: &CheckedScenario, seed: u64) -> Result<SeedResult, crate::error::SpecError> {
    let out = run(s, RunOptions { seed: Some(seed), ..RunOptions::default() })?;
    let verdicts = out.measured().checks.clone();
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
