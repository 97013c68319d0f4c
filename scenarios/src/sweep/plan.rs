//! A sweep's plan: every combination of the grid applied to the scenario (or refused by the
//! validator, with the reason), the seeds, the canonical run numbering, shards, and the
//! fingerprint that ties a results file to exactly this scenario, grid, seeds and version.
//!
//! Run `i` is combination `i / seeds` with seed `seeds[i % seeds]`; shard `k/m` owns the runs
//! with `i mod m = k − 1`, so shards interleave over combinations and stay balanced.

use super::grid::{Grid, GridError, check_path, set_path};
use crate::checked::{self, Budget, CheckedScenario};
use crate::spec::Scenario;
use reports::sweep::{Combo, SweepLayout};
use serde_json::Value;

/// Most runs (combinations × seeds) one sweep may plan: each combination is checked and kept in
/// memory before the first run starts.
pub const MAX_SWEEP_RUNS: usize = 1_000_000;

/// Which part of the runs this process does: shard `k` of `m` (1-based).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Shard {
    /// This shard, 1..=m.
    pub k: u64,
    /// The number of shards.
    pub m: u64,
}

impl Shard {
    /// The whole sweep.
    pub const ALL: Shard = Shard { k: 1, m: 1 };

    /// Parses `k/m` with 1 <= k <= m.
    pub fn parse(text: &str) -> Result<Shard, GridError> {
        let bad = |message: String| GridError {
            axis: "shard".into(),
            message,
            fix:
                "write --shard k/m with 1 <= k <= m, e.g. 3/8 (Slurm: $((SLURM_ARRAY_TASK_ID+1))/m for --array=0..m-1)"
                    .into(),
        };
        let (k, m) = text.split_once('/').ok_or_else(|| bad(format!("`{text}` is not of the form k/m")))?;
        let num = |s: &str| s.trim().parse::<u64>().map_err(|_| bad(format!("`{}` is not a whole number", s.trim())));
        let (k, m) = (num(k)?, num(m)?);
        if !(1..=m).contains(&k) {
            return Err(bad(format!("shard {k} of {m} does not exist")));
        }
        Ok(Shard { k, m })
    }

    /// Whether run `i` belongs to this shard.
    pub fn owns(&self, i: u64) -> bool {
        i % self.m == self.k - 1
    }
}

/// Everything needed to run a sweep.
#[derive(Clone, Debug)]
pub struct Plan {
    /// The axes, combinations (with skip reasons) and seeds.
    pub layout: SweepLayout,
    /// The scenario of each combination; `None` for a skipped one.
    pub scenarios: Vec<Option<CheckedScenario>>,
    /// 16 hex digits identifying scenario, grid, seeds and dynsim version.
    pub fingerprint: String,
}

impl Plan {
    /// Applies every combination of `grid` to `base` and checks each ([`checked::check`], under
    /// `budget`); refuses a sweep of more than [`MAX_SWEEP_RUNS`] runs before building any.
    pub fn new(base: &Scenario, grid: &Grid, seeds: Vec<u64>, budget: &Budget) -> Result<Plan, GridError> {
        let runs = grid.combinations().saturating_mul(seeds.len());
        if runs > MAX_SWEEP_RUNS {
            return Err(GridError {
                axis: "grid".into(),
                message: format!(
                    "{} combinations × {} seeds = {runs} runs; at most {MAX_SWEEP_RUNS}",
                    grid.combinations(),
                    seeds.len()
                ),
                fix: "use fewer values per axis or fewer seeds, or split the sweep into several".into(),
            });
        }
        let mut base_value = serde_json::to_value(base).unwrap_or_default();
        if let Value::Object(m) = &mut base_value {
            m.remove("sweep");
            m.insert("seed".into(), Value::from(0));
        }
        for axis in &grid.axes {
            check_path(axis, &base_value)?;
        }
        let mut combos = Vec::with_capacity(grid.combinations());
        let mut scenarios = Vec::with_capacity(grid.combinations());
        for c in 0..grid.combinations() {
            let values = grid.combination(c);
            let s = apply(&base_value, grid, &values)?;
            let checked = checked::check(s, budget);
            let skipped = checked.as_ref().err().map(|e| e.to_string());
            scenarios.push(checked.ok());
            combos.push(Combo { values, skipped });
        }
        let fingerprint = fingerprint(&base_value, grid, &seeds);
        let axes = grid.axes.iter().map(|a| a.name.clone()).collect();
        let layout = SweepLayout { scenario: base.name.clone(), axes, combos, seeds };
        Ok(Plan { layout, scenarios, fingerprint })
    }

    /// The number of runs: combinations × seeds.
    pub fn runs(&self) -> u64 {
        (self.layout.combos.len() * self.layout.seeds.len()) as u64
    }

    /// The combination and seed of run `i`.
    pub fn run(&self, i: u64) -> (usize, u64) {
        let n = self.layout.seeds.len() as u64;
        ((i / n) as usize, self.layout.seeds[(i % n) as usize])
    }
}

/// `base` with one combination's values set, as a scenario; a value of the wrong type is a
/// grid error naming its axis.
fn apply(base: &Value, grid: &Grid, values: &[Value]) -> Result<Scenario, GridError> {
    let mut v = base.clone();
    for (axis, value) in grid.axes.iter().zip(values) {
        set_path(&mut v, &axis.path, value.clone());
    }
    serde_path_to_error::deserialize::<_, Scenario>(v).map_err(|e| {
        let at = e.path().to_string();
        let axis = grid.axes.iter().find(|a| at.starts_with(&a.path)).unwrap_or(&grid.axes[0]);
        let shown: Vec<String> = values.iter().map(Value::to_string).collect();
        GridError {
            axis: axis.name.clone(),
            message: format!(
                "the combination ({}) does not fit the scenario at `{at}`: {}",
                shown.join(", "),
                e.inner()
            ),
            fix: format!("give `{}` values of the type `dynsim schema` documents for it", axis.path),
        }
    })
}

/// FNV-1a (64 bits) over the version, the base scenario, the grid and the seeds.
fn fingerprint(base: &Value, grid: &Grid, seeds: &[u64]) -> String {
    let text = format!("dynsim-sweep/1\n{}\n{}\n{}\n{:?}\n", env!("CARGO_PKG_VERSION"), base, grid.canonical(), seeds);
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in text.bytes() {
        h = (h ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3);
    }
    format!("{h:016x}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shards_partition_the_runs_exactly_once() {
        let m = 4;
        let shards: Vec<Shard> = (1..=m).map(|k| Shard { k, m }).collect();
        for i in 0..103 {
            assert_eq!(shards.iter().filter(|s| s.owns(i)).count(), 1, "run {i}");
        }
        assert!(Shard::ALL.owns(7));
    }

    fn scenario() -> Scenario {
        let text = crate::library::find("quorum-322").expect("a shipped scenario");
        crate::load::load_str(text, std::path::Path::new("quorum-322")).expect("valid").into_inner()
    }

    fn plan(s: &Scenario, grid: &str, seeds: Vec<u64>) -> Plan {
        Plan::new(s, &Grid::parse(grid).unwrap(), seeds, &Budget::default()).unwrap()
    }

    #[test]
    fn runs_are_numbered_combination_major_and_refused_combinations_keep_their_reason() {
        let p = plan(&scenario(), "N=2,3; R=3", vec![7, 9]);
        assert_eq!(p.runs(), 4);
        assert_eq!((p.run(0), p.run(1), p.run(2)), ((0, 7), (0, 9), (1, 7)));
        assert_eq!(p.layout.combos[0].skipped.as_deref(), Some("dynamo.r: must be between 1 and 2, got 3"));
        assert!(
            p.scenarios[0].is_none() && p.scenarios[1].as_ref().is_some_and(|s| s.dynamo.n == 3 && s.dynamo.r == 3)
        );
    }

    #[test]
    fn the_fingerprint_tells_apart_scenarios_grids_and_seed_lists() {
        let s = scenario();
        let base = plan(&s, "R=1,2", vec![1, 2]).fingerprint;
        assert_eq!(base, plan(&s, "R=1,2", vec![1, 2]).fingerprint, "stable");
        assert_ne!(base, plan(&s, "R=1,3", vec![1, 2]).fingerprint);
        assert_ne!(base, plan(&s, "R=1,2", vec![1, 3]).fingerprint);
        let other = Scenario { duration_s: s.duration_s + 1.0, ..s.clone() };
        assert_ne!(base, plan(&other, "R=1,2", vec![1, 2]).fingerprint);
        let reseeded = Scenario { seed: 99, ..s };
        assert_eq!(base, plan(&reseeded, "R=1,2", vec![1, 2]).fingerprint, "the file's own seed is not used");
    }

    #[test]
    fn bad_shards_are_refused_with_a_fix() {
        for bad in ["0/3", "4/3", "3", "a/b", "1/0"] {
            let e = Shard::parse(bad).unwrap_err();
            assert_eq!(e.axis, "shard");
            assert!(e.fix.contains("k/m"), "{bad}");
        }
        assert_eq!(Shard::parse("2/5"), Ok(Shard { k: 2, m: 5 }));
    }
}
