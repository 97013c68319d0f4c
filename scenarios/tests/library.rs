//! Every shipped scenario loads, runs to its end, and keeps every invariant it promises.

use scenarios::check::invariants::check_all;
use scenarios::library::EXAMPLES;
use scenarios::load::load_str;
use scenarios::run::{RunOptions, run};
use std::path::Path;

#[test]
fn every_shipped_scenario_runs_and_keeps_its_invariants() {
    assert!(EXAMPLES.len() >= 20, "the library lost scenarios: {}", EXAMPLES.len());
    for (name, text) in EXAMPLES {
        let s = load_str(text, Path::new(name)).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(s.name, *name, "a shipped scenario's name is its file stem");
        let out = run(&s, RunOptions::default()).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert!(!out.history.is_empty(), "{name}: no operation completed");
        let broken: Vec<_> = check_all(&s, &out).into_iter().filter(|v| v.failed()).collect();
        assert!(broken.is_empty(), "{name}: {broken:?}");
    }
}
