//! Golden tests of the CSVs `dynsim run` writes, read the way a researcher loads them: with a
//! typed reader (serde over the `csv` crate, as pandas with dtypes), every column must parse
//! as its type in every row, the run's parameters (scenario, seed, N, R, W) must be in every
//! row, and the per-phase and per-window rows must be there, empty windows included.

use assert_cmd::Command;
use serde::Deserialize;
use std::path::Path;
use tests::{SMALL, TempDir};

/// The parameter columns and the typed value of a `metrics.csv` row.
#[derive(Debug, Deserialize)]
struct MetricRow {
    scenario: String,
    seed: u64,
    n: u32,
    r: u32,
    w: u32,
    section: String,
    op: String,
    metric: String,
    value: Option<f64>,
    text: String,
}

/// A `timeseries.csv` row.
#[derive(Debug, Deserialize)]
struct SeriesRow {
    scenario: String,
    seed: u64,
    n: u32,
    r: u32,
    w: u32,
    t_s: f64,
    op: String,
    metric: String,
    value: Option<f64>,
}

fn typed<T: for<'de> Deserialize<'de>>(path: &Path) -> Vec<T> {
    let mut rd = csv::Reader::from_path(path).expect("the file exists");
    rd.deserialize().map(|row| row.unwrap_or_else(|e| panic!("{}: {e}", path.display()))).collect()
}

/// The small scenario with a longer run and a five-second quiet spell between its faults, run
/// at seed 11 into `dir/o`.
fn run_small(dir: &TempDir) {
    let mut v: serde_json::Value = serde_json::from_str(SMALL).expect("JSON");
    v["duration_s"] = 8.into();
    v["faults"][1]["at_s"] = 6.into();
    v["workloads"][0]["arrival"]["poisson"]["rate_per_s"] = 20.into();
    let file = dir.write("small.json", &v.to_string());
    let out = Command::new(env!("CARGO_BIN_EXE_dynsim"))
        .current_dir(dir.path())
        .args(["run", file.to_str().unwrap(), "--seed", "11", "--out", "o", "--no-diagram"])
        .output()
        .expect("runs");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
}

#[test]
fn every_csv_row_parses_typed_and_carries_the_run_parameters() {
    let dir = TempDir::new("csv-types");
    run_small(&dir);
    let metrics: Vec<MetricRow> = typed(&dir.path().join("o/metrics.csv"));
    let series: Vec<SeriesRow> = typed(&dir.path().join("o/timeseries.csv"));
    assert!(metrics.len() > 100 && series.len() > 100, "{} {}", metrics.len(), series.len());
    for p in metrics.iter().map(|m| (m.scenario.as_str(), m.seed, m.n, m.r, m.w)) {
        assert_eq!(p, ("small", 11, 3, 2, 2));
    }
    for p in series.iter().map(|m| (m.scenario.as_str(), m.seed, m.n, m.r, m.w)) {
        assert_eq!(p, ("small", 11, 3, 2, 2));
    }
    let words: Vec<&str> = metrics.iter().filter(|m| !m.text.is_empty()).map(|m| m.metric.as_str()).collect();
    assert!(words.iter().all(|w| ["trace_hash", "versioning", "status"].contains(w)), "{words:?}");
    assert!(metrics.iter().all(|m| m.text.is_empty() || m.value.is_none()));
    let phase = |op: &str| metrics.iter().filter(|m| m.section == "phases" && m.op == op).count();
    let ops: std::collections::BTreeSet<&str> =
        metrics.iter().filter(|m| m.section == "phases").map(|m| m.op.as_str()).collect();
    // The unnamed partition is called `partition`.
    for op in ["p0 before faults", "p1 during crash n2", "p2 after crash n2", "p3 during partition partition"] {
        assert_eq!(phase(op), 21, "{op}: {ops:?}");
    }
    assert_eq!(ops.len(), 4, "{ops:?}");
}

#[test]
fn every_window_has_rows_for_every_kind_with_empty_ones_as_zero_counts() {
    let dir = TempDir::new("csv-windows");
    run_small(&dir);
    let series: Vec<SeriesRow> = typed(&dir.path().join("o/timeseries.csv"));
    let report: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.path().join("o/report.json")).unwrap()).unwrap();
    let windows = report["windows"]["windows"].as_array().expect("windows");
    let completed: Vec<(f64, f64)> = series
        .iter()
        .filter(|s| s.op == "all_reads" && s.metric == "completed")
        .map(|s| (s.t_s, s.value.expect("a count is never empty")))
        .collect();
    assert_eq!(completed.len(), windows.len(), "one all_reads row per window, empty ones included");
    let idle: Vec<f64> = completed.iter().filter(|(_, v)| *v == 0.0).map(|(t, _)| *t).collect();
    assert!(!idle.is_empty(), "the settle period has windows without reads: {completed:?}");
    for t in idle {
        let at = |m: &str| series.iter().find(|s| s.t_s == t && s.op == "all_reads" && s.metric == m).map(|s| s.value);
        assert_eq!(at("ok"), Some(Some(0.0)));
        assert_eq!(at("stale_reads"), Some(Some(0.0)));
        assert_eq!(at("success_ratio"), Some(None), "no ratio of nothing");
    }
}
