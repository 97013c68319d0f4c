//! Every shipped scenario loads, runs to its end, keeps every invariant it promises (but for the
//! known model anomalies listed below), and its
//! streamed measurement equals the scanning oracle's (except where the definition changed,
//! see `scenarios::oracle::compare`); and the cost estimate of each is within 3x of the events its
//! run handled.

use scenarios::library::EXAMPLES;
use scenarios::load::load_str;
use scenarios::measure::HistorySink;
use scenarios::oracle::compare::compare;
use scenarios::run::{RunOptions, run};
use std::path::Path;

#[test]
fn every_shipped_scenario_runs_keeps_its_invariants_and_matches_the_oracle() {
    assert!(EXAMPLES.len() >= 20, "the library lost scenarios: {}", EXAMPLES.len());
    let mut estimates = Vec::new();
    for (name, text) in EXAMPLES {
        let s = load_str(text, Path::new(name)).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(s.name, *name, "a shipped scenario's name is its file stem");
        let opts = RunOptions { history: Some(HistorySink::Memory(vec![])), oracle: true, ..RunOptions::default() };
        let out = run(&s, opts).unwrap_or_else(|e| panic!("{name}: {e}"));
        let m = out.measured();
        assert!(m.ops["all_reads"].completed + m.ops["all_writes"].completed > 0, "{name}: nothing completed");
        let broken: Vec<_> = m.checks.iter().filter(|v| v.failed()).collect();
        assert!(broken.is_empty(), "{name}: {broken:?}");
        compare(&s, &out).unwrap_or_else(|e| panic!("{name}: {e}"));
        estimates.push((name, s.estimate().total_events(), out.assembly.world.stats().popped as f64));
    }
    // The cost estimate that budgets refuse runs by is within a small factor of the truth.
    let off: Vec<_> = estimates.iter().filter(|(_, est, got)| !(got / 3.0..=got * 3.0).contains(est)).collect();
    assert!(off.is_empty(), "estimated vs handled events beyond 3x: {off:?}");
}
