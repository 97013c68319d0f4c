//! The cost budget from the command line: every command that checks a scenario refuses one
//! whose estimate is over the budget (exit 2, located, naming the flag that lifts it), and
//! `--budget-events` / `--budget-memory-mb` move the budget either way.

use assert_cmd::Command;
use std::path::Path;
use tests::{SMALL, TempDir, with_line};

fn dynsim(dir: &TempDir) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_dynsim"));
    cmd.current_dir(dir.path());
    cmd
}

fn stderr_of(out: &std::process::Output) -> String {
    String::from_utf8(out.stderr.clone()).expect("stderr is UTF-8")
}

/// Every file under `dir`, relative, sorted.
fn files_under(dir: &Path) -> Vec<String> {
    let mut out: Vec<String> = std::fs::read_dir(dir)
        .expect("readable")
        .map(|e| e.expect("entry").file_name().to_string_lossy().to_string())
        .collect();
    out.sort();
    out
}

/// SMALL with two clients at a hundred million operations per second each: about 5e9 events,
/// five times the default budget, and cheap to check (nothing runs).
fn heavy() -> String {
    with_line(
        SMALL,
        11,
        r#"    { "clients": 2, "arrival": { "poisson": { "rate_per_s": 1e8 } }, "keys": { "count": 50 } }"#,
    )
}

#[test]
fn every_command_refuses_a_scenario_over_the_budget_with_the_flag_that_lifts_it() {
    let dir = TempDir::new("budget-refused");
    dir.write("small.json", SMALL);
    let commands: [&[&str]; 5] = [
        &["validate", "small.json"],
        &["run", "small.json", "--out", "o"],
        &["replay", "small.json", "--seed", "1", "--trace", "t.jsonl"],
        &["check", "small.json", "--seeds", "1..=2"],
        &["sweep", "small.json", "--grid", "N=3", "--seeds", "1", "--out", "o"],
    ];
    for args in commands {
        let out = dynsim(&dir).args(args).args(["--budget-events", "1000"]).output().expect("runs");
        let err = stderr_of(&out);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {err}");
        assert!(out.stdout.is_empty(), "{args:?} printed to stdout");
        assert!(
            err.starts_with("error: small.json:11:32: error at workloads[0].arrival: the run would handle about"),
            "{args:?}: {err}"
        );
        assert!(err.contains("over the budget of 1.00e3"), "{args:?}: {err}");
        assert!(err.contains("--budget-events 3e3"), "{args:?}: the fix names the flag and a value: {err}");
    }
    assert_eq!(files_under(dir.path()), ["small.json"], "a refused command wrote files");
}

#[test]
fn the_default_budget_refuses_a_heavy_scenario_and_the_flag_lifts_it_on_purpose() {
    let dir = TempDir::new("budget-lifted");
    dir.write("heavy.json", &heavy());
    let refused = dynsim(&dir).args(["validate", "heavy.json"]).output().expect("runs");
    let err = stderr_of(&refused);
    assert_eq!(refused.status.code(), Some(2), "{err}");
    assert!(err.contains("over the budget of 1.00e9"), "{err}");
    assert!(err.contains("about 4.80e9 events") && err.contains("e.g. --budget-events 5e9"), "{err}");
    let readme = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../README.md")).expect("README");
    let quoted = err.replace("heavy.json", "big.json").replace("error: big.json", "\nerror: big.json");
    assert!(readme.contains(quoted.trim_end()), "README quotes this refusal word for word:\n{quoted}");
    let lifted = dynsim(&dir).args(["validate", "heavy.json", "--budget-events", "5e9"]).output().expect("runs");
    assert!(lifted.status.success(), "{}", stderr_of(&lifted));
}

#[test]
fn a_run_under_a_lifted_event_budget_runs() {
    let dir = TempDir::new("budget-run");
    dir.write("small.json", SMALL);
    let out = dynsim(&dir).args(["run", "small.json", "--out", "o", "--budget-events", "3e3"]).output().expect("runs");
    assert!(out.status.success(), "{}", stderr_of(&out));
    assert!(dir.path().join("o/report.json").exists());
}

#[test]
fn the_memory_budget_refuses_and_names_its_flag() {
    let dir = TempDir::new("budget-memory");
    dir.write("small.json", SMALL);
    let out = dynsim(&dir).args(["validate", "small.json", "--budget-memory-mb", "0.01"]).output().expect("runs");
    let err = stderr_of(&out);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(err.contains("MiB, over the budget of 0 MiB"), "{err}");
    assert!(err.contains("--budget-memory-mb"), "{err}");
}

#[test]
fn budget_flags_refuse_values_that_are_not_positive_numbers() {
    let dir = TempDir::new("budget-bad");
    dir.write("small.json", SMALL);
    for flag in ["--budget-events", "--budget-memory-mb"] {
        for value in ["0", "-5", "abc", "inf", "NaN"] {
            let out = dynsim(&dir).args(["validate", "small.json", &format!("{flag}={value}")]).output().expect("runs");
            let err = stderr_of(&out);
            assert_eq!(out.status.code(), Some(2), "{flag} {value}: {err}");
            assert!(err.contains(&format!("invalid value '{value}' for '{flag}")), "{flag} {value}: {err}");
            assert!(err.contains("fix: give a number of"), "{flag} {value}: {err}");
        }
    }
}
