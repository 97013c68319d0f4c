//! One checked scenario: every rule a scenario must meet, applied by one function that every
//! command goes through.
//!
//! [`check`] turns a parsed [`Scenario`] into a [`CheckedScenario`]: the semantic rules
//! (`validate.rs`), the output settings (metrics, diagram), the documented bounds
//! ([`bounds`]), the timeline's contradictions ([`timeline`]), the cost budget ([`cost`]), and
//! last the checks that need a built world (fault shapes, network kinds, chaos), by assembling
//! it once. `dynsim validate`, `run`, `check`, `sweep` (per combination) and `replay` all call
//! it, and [`crate::run::run`] only takes a [`CheckedScenario`], so they cannot disagree. The
//! order matters: the bounds and the budget come before assembly, so that no scenario can make
//! checking itself slow or large.

pub mod bounds;
pub mod cost;
pub mod timeline;

use crate::error::SpecError;
use crate::spec::Scenario;
pub use cost::{Budget, Estimate};
use std::ops::Deref;

/// A scenario that passed every check under a budget. Only [`check`] makes one; it reads as the
/// [`Scenario`] it wraps.
#[derive(Clone, Debug, PartialEq)]
pub struct CheckedScenario {
    scenario: Scenario,
    estimate: Estimate,
    budget: Budget,
}

impl CheckedScenario {
    /// The scenario.
    pub fn scenario(&self) -> &Scenario {
        &self.scenario
    }

    /// What a run of it was estimated to cost.
    pub fn estimate(&self) -> &Estimate {
        &self.estimate
    }

    /// The budget it was checked under: check a changed copy under the same one.
    pub fn budget(&self) -> &Budget {
        &self.budget
    }

    /// The scenario, to change it (check the result again before running it).
    pub fn into_inner(self) -> Scenario {
        self.scenario
    }
}

impl Deref for CheckedScenario {
    type Target = Scenario;
    fn deref(&self) -> &Scenario {
        &self.scenario
    }
}

/// Checks `s` against every rule and the `budget`; the first problem found is returned with its
/// JSON path.
pub fn check(s: Scenario, budget: &Budget) -> Result<CheckedScenario, SpecError> {
    crate::validate::validate(&s)?;
    s.outputs.metrics.check()?;
    s.outputs.diagram.check(s.duration_s + s.settle_s)?;
    s.outputs.charts.check()?;
    bounds::check(&s)?;
    timeline::check(&s)?;
    let estimate = cost::estimate(&s);
    within(&estimate, budget)?;
    crate::assemble::assemble(&s, s.seed)?;
    Ok(CheckedScenario { scenario: s, estimate, budget: *budget })
}

/// Refuses an estimate over the budget, naming the largest contributor and the flag.
fn within(e: &Estimate, budget: &Budget) -> Result<(), SpecError> {
    let events = e.total_events();
    if events > budget.events {
        let main = e.main_event_source().expect("a positive total has a part");
        let msg = format!(
            "the run would handle about {events:.2e} events, over the budget of {:.2e}; most come from {} ({:.2e})",
            budget.events, main.what, main.amount
        );
        let fix = format!(
            "shorten the run or lower that setting, or lift the budget on purpose, e.g. --budget-events {:e}",
            round_up(events)
        );
        return Err(SpecError::new(main.path.clone(), msg, fix));
    }
    let bytes = e.total_memory();
    if bytes > budget.memory_bytes {
        let main = e.main_memory_holder().expect("a positive total has a part");
        let mb = |b: f64| b / (1024.0 * 1024.0);
        let msg = format!(
            "the run would need about {:.0} MiB, over the budget of {:.0} MiB; most is {} ({:.0} MiB)",
            mb(bytes),
            mb(budget.memory_bytes),
            main.what,
            mb(main.amount)
        );
        let fix = format!(
            "lower that setting, or lift the budget on purpose, e.g. --budget-memory-mb {:e}",
            round_up(mb(bytes))
        );
        return Err(SpecError::new(main.path.clone(), msg, fix));
    }
    Ok(())
}

/// The next number at or above `x` with one significant digit (`3.4e10` → `4e10`): a budget
/// to suggest.
fn round_up(x: f64) -> f64 {
    let scale = 10f64.powi(x.log10().floor() as i32);
    (x / scale).ceil() * scale
}
