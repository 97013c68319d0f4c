//! The message diagram end to end: capturing it never changes a run, `dynsim run` draws the key
//! and window asked for (or chosen), caps the arrows and says so, and refuses a bad key or
//! window with exit code 2 and nothing written.

use assert_cmd::Command;
use scenarios::diagram::capture::Capture;
use scenarios::load;
use scenarios::measure::HistorySink;
use scenarios::run::{Measurement, RunOptions, run_with};
use serde_json::Value;
use std::collections::BTreeSet;
use std::path::Path;
use tests::{SMALL, TempDir};

fn dynsim(dir: &TempDir) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_dynsim"));
    cmd.current_dir(dir.path());
    cmd
}

/// Runs `dynsim run small.json --out o <args>` in a fresh directory; returns the directory, the
/// exit code, stderr and the report (`Null` when none was written).
fn run_small(label: &str, scenario: &str, args: &[&str]) -> (TempDir, Option<i32>, String, Value) {
    let dir = TempDir::new(label);
    let file = dir.write("small.json", scenario);
    let out = dynsim(&dir).arg("run").arg(&file).args(["--out", "o"]).args(args).output().expect("dynsim runs");
    let stderr = String::from_utf8_lossy(&out.stderr).to_string();
    let report = std::fs::read_to_string(dir.path().join("o/report.json"))
        .map(|t| serde_json::from_str(&t).expect("report.json is JSON"))
        .unwrap_or(Value::Null);
    (dir, out.status.code(), stderr, report)
}

#[test]
fn capturing_the_diagram_does_not_change_the_run() {
    let s = load::load_str(SMALL, Path::new("small.json")).expect("valid");
    let with_history = || RunOptions { history: Some(HistorySink::Memory(vec![])), ..RunOptions::default() };
    let plain = run_with(&s, with_history(), Measurement::On).expect("runs");
    let history = plain.measured().history.clone().expect("kept");
    let key = history[history.len() / 2].key;
    let completions: BTreeSet<(u32, u64)> =
        history.iter().filter(|r| r.key == key).map(|r| (r.client, r.completed.0)).collect();
    let capture = Capture::new(key);
    let opts = RunOptions { trace: Some(Box::new(capture.clone())), ..with_history() };
    let traced = run_with(&s, opts, Measurement::On).expect("runs");
    assert_eq!(plain.trace_hash, traced.trace_hash, "a trace sink changed the run");
    assert_eq!(Some(history.clone()), traced.measured().history);
    let unmeasured = run_with(&s, RunOptions::default(), Measurement::Off).expect("runs");
    assert_eq!(plain.trace_hash, unmeasured.trace_hash, "measurement changed the run");
    let flights = capture.flights(0.0, 4.0, &completions);
    let ops = history.iter().filter(|r| r.key == key).count();
    assert!(flights.len() >= 2 * ops, "{} messages for {ops} operations on key {key}", flights.len());
    let replies = flights.iter().filter(|f| f.kind.ends_with("_reply") && f.kind != "replica_read_reply").count();
    assert!(replies > 0, "the replies to the clients are captured");
    assert!(flights.iter().all(|f| f.sent_s <= f.at_s), "a message is handled after it leaves");
}

#[test]
fn the_default_run_draws_a_chosen_key_with_its_messages() {
    let (dir, code, stderr, r) = run_small("diagram-default", SMALL, &[]);
    assert_eq!(code, Some(0), "{stderr}");
    let d = &r["diagram"];
    let summary = String::from_utf8(
        dynsim(&dir).args(["run", "small.json", "--out", "o2"]).output().expect("dynsim runs").stdout,
    )
    .expect("UTF-8");
    let key = d["key"].as_u64().expect("key");
    assert!(summary.contains(&format!("message diagram: key {key}, ")), "{summary}");
    let arrows = d["arrows"].as_array().expect("arrows");
    assert!(arrows.len() >= 3, "{d}");
    assert!(d["chosen_by"].as_str().is_some_and(|c| c.starts_with("key ")), "{d}");
    let lifelines = d["lifelines"].as_array().expect("lifelines");
    assert!(lifelines.iter().any(|l| l["role"] == "client"), "{d}");
    assert!(lifelines.iter().any(|l| l["role"].as_str().is_some_and(|r| r.contains("coordinator"))), "{d}");
    // The operation the window was chosen around is marked, on a client's lifeline, within the
    // window, with what it did.
    let f = &d["focus"];
    let client = f["client"].as_u64().expect("focus client") as usize;
    assert_eq!(lifelines[client]["role"], "client", "{f}");
    let (inv, done) = (f["invoked_s"].as_f64().expect("invoked"), f["completed_s"].as_f64().expect("completed"));
    let (from, until) = (d["from_s"].as_f64().expect("from"), d["until_s"].as_f64().expect("until"));
    assert!(from <= inv && inv <= done && done <= until, "{f} within [{from}, {until}]");
    let note = f["note"].as_str().expect("note");
    let chosen = d["chosen_by"].as_str().expect("chosen_by");
    if chosen.contains("the first stale read") {
        assert!(note.starts_with("stale: returned "), "{note}");
    }
    assert!(["returned ", "stale: ", "wrote ", "failed: "].iter().any(|p| note.starts_with(p)), "{note}");
    let html = std::fs::read_to_string(dir.path().join("o/report.html")).expect("written");
    assert!(html.contains("<h2>Message diagram</h2>") && html.contains("<figure id=\"message_diagram\">"));
    let png = std::fs::read(dir.path().join("o/charts/message_diagram.png")).expect("written");
    assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n");
}

#[test]
fn the_flags_choose_the_key_and_window_and_the_replay_repeats_them() {
    let (_dir, code, stderr, r) = run_small(
        "diagram-flags",
        SMALL,
        &["--diagram-key", "7", "--diagram-from-s", "0.5", "--diagram-until-s", "1.5"],
    );
    assert_eq!(code, Some(0), "{stderr}");
    let d = &r["diagram"];
    assert_eq!((d["key"].as_u64(), d["from_s"].as_f64(), d["until_s"].as_f64()), (Some(7), Some(0.5), Some(1.5)));
    assert_eq!(d["chosen_by"], "key given, window given");
    assert!(d.get("focus").is_none(), "a window the user gave marks no operation: {d}");
    for a in d["arrows"].as_array().expect("arrows") {
        let (sent, at) = (a["sent_s"].as_f64().expect("sent"), a["at_s"].as_f64().expect("at"));
        assert!(at >= 0.5 && sent <= 1.5, "in flight within the window: {a}");
    }
    let replay = r["replay"].as_str().expect("replay");
    assert!(replay.ends_with("--diagram-key 7 --diagram-from-s 0.5 --diagram-until-s 1.5"), "{replay}");
}

#[test]
fn arrows_are_capped_and_the_diagram_says_so() {
    let capped =
        SMALL.replacen("\"faults\": [", "\"outputs\": { \"diagram\": { \"max_arrows\": 3 } },\n  \"faults\": [", 1);
    let (dir, code, stderr, r) = run_small("diagram-cap", &capped, &[]);
    assert_eq!(code, Some(0), "{stderr}");
    let d = &r["diagram"];
    let messages = d["messages"].as_u64().expect("messages");
    assert_eq!(d["arrows"].as_array().map(Vec::len), Some(3), "{d}");
    assert!(messages > 3, "{d}");
    let svg = std::fs::read_to_string(dir.path().join("o/charts/message_diagram.svg")).expect("written");
    assert!(svg.contains(&format!("showing the first 3 of {messages} messages (cap 3)")));
}

#[test]
fn no_diagram_flag_turns_it_off() {
    let (dir, code, stderr, r) = run_small("diagram-off", SMALL, &["--no-diagram"]);
    assert_eq!(code, Some(0), "{stderr}");
    assert!(r["diagram"].is_null());
    assert!(!dir.path().join("o/charts/message_diagram.svg").exists());
}

#[test]
fn a_bad_key_or_window_exits_2_naming_the_flag_and_writes_nothing() {
    // The flags are blamed, not `outputs.diagram` in the file; `tests/bad_args.rs` has more.
    let cases: [(&[&str], &str); 5] = [
        (&["--diagram-from-s", "1"], "--diagram-from-s 1: the diagram's window needs both ends"),
        (
            &["--diagram-from-s", "2", "--diagram-until-s", "1"],
            "--diagram-until-s 1: is at or before --diagram-from-s 2",
        ),
        (&["--diagram-from-s", "9", "--diagram-until-s", "10"], "--diagram-from-s 9: is not before the run's end"),
        (&["--diagram-key", "999999"], "--diagram-key 999999: key 999999 was never read or written in this run"),
        (&["--diagram-from-s", "NaN", "--diagram-until-s", "1"], "invalid value 'NaN' for '--diagram-from-s"),
    ];
    for (args, says) in cases {
        let (dir, code, stderr, _) = run_small("diagram-bad", SMALL, args);
        assert_eq!(code, Some(2), "{args:?}: {stderr}");
        assert!(stderr.starts_with(&format!("error: {says}")), "{args:?}: {stderr}");
        assert!(stderr.contains("fix: "), "{args:?}: {stderr}");
        assert!(!stderr.contains("panicked"), "{stderr}");
        assert!(!dir.path().join("o").exists(), "{args:?}: nothing written");
    }
}
