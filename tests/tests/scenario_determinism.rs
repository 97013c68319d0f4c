//! A scenario plus a seed replays bit for bit: the same report bytes and trace hash every time,
//! and a different seed gives a different run.
//!
//! These run in process (`scenarios::run::run` + `scenarios::report::build`); that the
//! `dynsim` binary writes the same bytes is checked in `scenarios/tests/cli.rs`.

use reports::RunReport;
use scenarios::checked::CheckedScenario as Scenario;
use scenarios::run::{RunOptions, run};
use scenarios::{load, report};
use std::path::Path;
use tests::{SMALL, with_line};

/// How the reports name the scenario's source (it appears in the `replay` command).
const SOURCE: &str = "small.json";

fn small() -> Scenario {
    load::load_str(SMALL, Path::new(SOURCE)).unwrap_or_else(|e| panic!("the fixture must load: {e}"))
}

/// Runs `s` (with `seed` overriding its own) and builds its report.
fn report_of(s: &Scenario, seed: Option<u64>) -> RunReport {
    let outcome = run(s, RunOptions { seed, ..Default::default() }).unwrap_or_else(|e| panic!("run failed: {e}"));
    report::build(s, SOURCE, &outcome)
}

#[test]
fn same_scenario_and_seed_give_byte_identical_reports() {
    let s = small();
    let first = report_of(&s, None);
    let second = report_of(&s, None);
    assert_eq!(first.trace_hash, second.trace_hash);
    assert_eq!(first.to_json(), second.to_json(), "two runs of one scenario and seed wrote different reports");
    // The run did something worth comparing: operations completed, a fault hit a node.
    let done =
        first.ops.get("all_reads").map_or(0, |o| o.completed) + first.ops.get("all_writes").map_or(0, |o| o.completed);
    assert!(done > 50, "only {done} operations completed");
    assert!(first.events > 1000, "only {} events", first.events);
}

#[test]
fn a_reloaded_scenario_runs_identically() {
    // Parsing is part of the pipeline: a second parse of the same text must not change the run.
    let a = report_of(&small(), Some(11));
    let b = report_of(&small(), Some(11));
    assert_eq!(a.to_json(), b.to_json());
}

#[test]
fn the_report_records_the_seed_and_a_16_digit_trace_hash() {
    let r = report_of(&small(), None);
    assert_eq!(r.seed, 3, "the fixture's own seed");
    assert_eq!(r.trace_hash.len(), 16, "{}", r.trace_hash);
    assert!(r.trace_hash.bytes().all(|b| b.is_ascii_hexdigit()), "{}", r.trace_hash);
    assert_eq!(r.replay, format!("dynsim run {SOURCE} --seed 3"));
    let json: serde_json::Value = serde_json::from_str(&r.to_json()).expect("the report is JSON");
    assert_eq!(json["seed"], 3);
    assert_eq!(json["trace_hash"], r.trace_hash.as_str());
    assert_eq!(json["scenario"]["seed"], 3);
}

#[test]
fn a_different_seed_gives_a_different_trace_hash() {
    let s = small();
    let three = report_of(&s, None);
    let four = report_of(&s, Some(4));
    assert_eq!(four.seed, 4);
    assert_ne!(three.trace_hash, four.trace_hash, "seeds 3 and 4 ran identically");
    let hashes: std::collections::BTreeSet<String> =
        (10..14).map(|seed| report_of(&s, Some(seed)).trace_hash).collect();
    assert_eq!(hashes.len(), 4, "four seeds gave only {} distinct hashes", hashes.len());
}

#[test]
fn a_seed_override_equals_writing_the_seed_into_the_scenario() {
    let overridden = report_of(&small(), Some(7));
    let written = load::load_str(&with_line(SMALL, 3, r#"  "seed": 7,"#), Path::new(SOURCE)).expect("valid");
    let direct = report_of(&written, None);
    assert_eq!(overridden.to_json(), direct.to_json());
}

#[test]
fn the_report_does_not_depend_on_the_source_name_except_for_the_replay_command() {
    let s = small();
    let outcome_a = run(&s, RunOptions::default()).expect("runs");
    let outcome_b = run(&s, RunOptions::default()).expect("runs");
    let a = report::build(&s, "a.json", &outcome_a);
    let mut b = report::build(&s, "elsewhere/b.json", &outcome_b);
    assert_eq!(b.replay, "dynsim run elsewhere/b.json --seed 3");
    b.replay = a.replay.clone();
    assert_eq!(a.to_json(), b.to_json());
}

#[test]
fn the_small_scenario_runs_to_the_end_for_every_seed() {
    let s = small();
    let failed: Vec<u64> = (1..=40)
        .filter(|&seed| {
            std::panic::catch_unwind(|| run(&s, RunOptions { seed: Some(seed), ..Default::default() })).is_err()
        })
        .collect();
    assert!(failed.is_empty(), "runs panicked for seeds {failed:?}");
}
