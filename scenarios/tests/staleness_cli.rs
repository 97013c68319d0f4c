//! Staleness at any k and t through the command line: P(within k) in report.json and
//! metrics.csv, t-visibility on the scenario's grid (report, visibility.csv, metrics.csv,
//! summary; bad grids refused with exit code 2), and `dynsim run --probes FILE`.

use assert_cmd::Command;
use scenarios::library;
use serde_json::Value;
use std::path::Path;
use tests::TempDir;

fn dynsim(dir: &TempDir) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_dynsim"));
    cmd.current_dir(dir.path());
    cmd
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("reading {}: {e}", path.display()))
}

/// The shipped `name`, shortened to `duration_s`, with `edit` applied, written into `dir`.
fn shipped(dir: &TempDir, name: &str, duration_s: u64, edit: impl FnOnce(&mut Value)) -> std::path::PathBuf {
    let mut v: Value = serde_json::from_str(library::find(name).expect("shipped")).expect("JSON");
    v["duration_s"] = duration_s.into();
    edit(&mut v);
    dir.write(&format!("{name}.json"), &serde_json::to_string_pretty(&v).expect("serializes"))
}

fn run_ok(dir: &TempDir, args: &[&str]) -> String {
    let out = dynsim(dir).arg("run").args(args).output().expect("runs");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).expect("UTF-8")
}

#[test]
fn p_within_k_reaches_report_json_and_metrics_csv() {
    let dir = TempDir::new("cli-within-k");
    let file = shipped(&dir, "pbs-static-quorum", 10, |_| {});
    run_ok(&dir, &[file.to_str().unwrap(), "--out", "o"]);
    let r: Value = serde_json::from_str(&read(&dir.path().join("o/report.json"))).expect("JSON");
    let get = &r["staleness"]["by_kind"]["get"];
    let within: Vec<f64> =
        get["p_within_k"].as_array().expect("an array").iter().map(|x| x.as_f64().unwrap()).collect();
    assert_eq!(within.len(), 16);
    assert!(within.windows(2).all(|w| w[0] <= w[1]), "cumulative: {within:?}");
    // R=W=1 of N=3, static: about two reads in three miss the last write, and almost none miss
    // the last 16 (the closed form itself is checked at t = 0 in quorum_shapes.rs; here writes
    // overlap reads, so it holds only roughly).
    assert!(within[0] > 0.25 && within[0] < 0.45 && within[15] > 0.98, "{within:?}");
    let behind = get["versions_behind"].as_array().expect("an array");
    assert_eq!(behind.len(), 17);
    let counted: u64 = behind.iter().map(|x| x.as_u64().unwrap()).sum();
    assert_eq!(counted, get["with_prior_write"].as_u64().unwrap());
    let csv = read(&dir.path().join("o/metrics.csv"));
    assert!(csv.contains(&format!(",staleness,get,p_within_k16,{},\n", within[15])), "{csv}");
}

#[test]
fn the_t_visibility_grid_reaches_every_output() {
    let dir = TempDir::new("cli-grid");
    let file = shipped(&dir, "pbs-read-fan-out", 8, |_| {});
    let summary = run_ok(&dir, &[file.to_str().unwrap(), "--out", "o"]);
    assert!(summary.contains("t-visibility (probes), first t staying above: p≥0.99: "), "{summary}");
    let r: Value = serde_json::from_str(&read(&dir.path().join("o/report.json"))).expect("JSON");
    let g = &r["visibility"]["grid"];
    assert_eq!(
        (g["from_ms"].as_f64(), g["to_ms"].as_f64(), g["step_ms"].as_f64()),
        (Some(0.0), Some(200.0), Some(10.0))
    );
    let probes = &g["probes"];
    let points = probes["points"].as_array().expect("points");
    assert!(points.len() >= 19, "delays run 0..200 ms: {}", points.len());
    let on_grid: u64 = points.iter().map(|p| p["reads"].as_u64().unwrap()).sum::<u64>()
        + probes["before"].as_u64().unwrap()
        + probes["after"].as_u64().unwrap();
    assert_eq!(on_grid, r["visibility"]["probes"]["reads"].as_u64().unwrap(), "every probe read is counted once");
    for p in points {
        let (lo, p_, hi) = (p["ci_low"].as_f64().unwrap(), p["p"].as_f64().unwrap(), p["ci_high"].as_f64().unwrap());
        assert!(lo <= p_ && p_ <= hi, "{p}");
    }
    let targets = probes["first_t"].as_array().expect("first_t");
    assert_eq!(targets.iter().map(|t| t["target"].as_f64().unwrap()).collect::<Vec<_>>(), vec![0.99, 0.999]);
    let t99 = &targets[0];
    let (t, low) = (t99["t_ms"].as_f64().expect("reached"), t99["t_ms_low"].as_f64().expect("reached"));
    assert!(low <= t, "the upper band reaches the target no later: {t99}");
    if let Some(high) = t99["t_ms_high"].as_f64() {
        assert!(t <= high, "{t99}");
    }
    let vis = read(&dir.path().join("o/visibility.csv"));
    let header = format!("{}\n", reports::csv::VISIBILITY_HEADER);
    assert!(vis.starts_with(&header) && vis[header.len()..].starts_with("pbs-read-fan-out,"), "{vis}");
    assert!(vis.lines().nth(1).unwrap().contains(",0,probes,reads,"), "{vis}");
    let measured = vis.lines().skip(1).filter(|l| !l.contains(",predicted,")).count();
    assert_eq!(measured, 5 * (points.len() + g["reads"]["points"].as_array().unwrap().len()));
    let predicted = r["wars"]["predicted"]["grid"].as_array().expect("probes bring the WARS prediction").len();
    assert_eq!(
        vis.lines().filter(|l| l.contains(",predicted,p,")).count(),
        predicted,
        "one predicted row a grid point"
    );
    let csv = read(&dir.path().join("o/metrics.csv"));
    assert!(csv.contains(&format!(",visibility,probes,first_t_ms_p0.99,{t},\n")), "{csv}");
    // A scenario without a grid writes no visibility.csv and no grid.
    let plain = shipped(&dir, "pbs-static-quorum", 3, |v| {
        v["outputs"].as_object_mut().unwrap().remove("metrics");
    });
    run_ok(&dir, &[plain.to_str().unwrap(), "--out", "p"]);
    assert!(!dir.path().join("p/visibility.csv").exists());
    assert!(!read(&dir.path().join("p/report.json")).contains("\"grid\""));
}

#[test]
fn bad_grids_and_targets_are_refused_with_their_path_and_nothing_written() {
    let dir = TempDir::new("cli-grid-bad");
    let cases: [(&str, Value, &str); 4] = [
        ("text", serde_json::json!({"grid_ms": "0-200:1"}), "outputs.metrics.t_visibility.grid_ms"),
        ("size", serde_json::json!({"grid_ms": "0..1000000:0.001"}), "outputs.metrics.t_visibility.grid_ms"),
        (
            "target",
            serde_json::json!({"grid_ms": "0..200:1", "targets": [0.99, 1.0]}),
            "outputs.metrics.t_visibility.targets[1]",
        ),
        ("none", serde_json::json!({"grid_ms": "0..200:1", "targets": []}), "outputs.metrics.t_visibility.targets"),
    ];
    for (label, spec, path) in cases {
        let file = shipped(&dir, "pbs-read-fan-out", 2, |v| v["outputs"]["metrics"]["t_visibility"] = spec);
        let out_dir = format!("o-{label}");
        let out =
            dynsim(&dir).arg("run").arg(&file).args(["--out", &out_dir, "--probes", "p.jsonl"]).output().expect("runs");
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{label}: {err}");
        assert!(err.contains(path), "{label}: the path {path} is named: {err}");
        assert!(err.contains("fix") || err.contains("help") || err.contains("e.g."), "{label}: a fix is given: {err}");
        assert!(
            !dir.path().join(&out_dir).exists() && !dir.path().join("p.jsonl").exists(),
            "{label}: nothing written"
        );
    }
}

#[test]
fn probes_jsonl_has_a_row_per_probe_read_that_agrees_with_the_report() {
    let dir = TempDir::new("cli-probes");
    let file = shipped(&dir, "pbs-read-fan-out", 6, |_| {});
    run_ok(&dir, &[file.to_str().unwrap(), "--out", "o", "--probes", "probes.jsonl"]);
    let r: Value = serde_json::from_str(&read(&dir.path().join("o/report.json"))).expect("JSON");
    let text = read(&dir.path().join("probes.jsonl"));
    let rows: Vec<Value> = text.lines().map(|l| serde_json::from_str(l).expect("a JSON line")).collect();
    assert_eq!(rows.len() as u64, r["ops"]["probe_read"]["completed"].as_u64().unwrap());
    let fresh = rows.iter().filter(|x| x["fresh"] == Value::Bool(true)).count() as u64;
    assert_eq!(fresh, r["visibility"]["probes"]["consistent"].as_u64().unwrap());
    let mut stale = 0;
    for row in rows.iter().filter(|x| x["ok"] == Value::Bool(true)) {
        let (committed, invoked, t) = (
            row["write_committed_ms"].as_f64().unwrap(),
            row["read_invoked_ms"].as_f64().unwrap(),
            row["t_ms"].as_f64().unwrap(),
        );
        assert!((invoked - committed - t).abs() < 1e-6 && t >= 0.0, "{row}");
        let replicas = row["replicas"].as_array().expect("replicas");
        // Read fan-out, R=1: exactly one replica answered each read.
        assert_eq!(replicas.len(), 1, "{row}");
        let held = replicas.iter().any(|x| x["writes"].as_array().unwrap().contains(&row["write"]));
        assert_eq!(held, row["fresh"] == Value::Bool(true), "fresh iff a replica held the write: {row}");
        assert_eq!(row["k"].as_u64(), Some(u64::from(!held)), "{row}");
        assert_eq!(replicas[0]["digest"].as_str().map(str::len), Some(16), "{row}");
        stale += u64::from(!held);
    }
    assert!(stale > 0, "the long replication tail leaves some probe reads stale");
    // Same scenario and seed: the same bytes.
    run_ok(&dir, &[file.to_str().unwrap(), "--out", "o2", "--probes", "probes2.jsonl"]);
    assert_eq!(text, read(&dir.path().join("probes2.jsonl")));
    assert_eq!(read(&dir.path().join("o/report.json")), read(&dir.path().join("o2/report.json")));
    // A probes file in a directory that does not exist is refused before anything runs.
    let out = dynsim(&dir).arg("run").arg(&file).args(["--out", "o3", "--probes", "no/such/dir/p.jsonl"]).output();
    let out = out.expect("runs");
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(err.contains("--probes"), "{err}");
    assert!(!dir.path().join("o3").exists());
}
