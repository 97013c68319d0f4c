//! `dynsim check`: many seeds of one scenario, in parallel across cores (one run per task; a run
//! itself stays single-threaded), each checked against every invariant.

use crate::checked::CheckedScenario;
use crate::run::{RunOptions, run};
use rayon::prelude::*;
use reports::Verdict;

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
