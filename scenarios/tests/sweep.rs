//! `dynsim sweep` and `dynsim merge` end to end: the outputs, skip reasons, determinism across
//! thread counts, shards merged into byte-identical outputs, resuming after an interruption
//! (torn last line), refusing foreign results, and bad grids (exit 2, nothing written).
//!
//! Sweeps here use the small test scenario (3 simulated seconds) and a handful of seeds, so
//! the whole file runs in seconds.

use assert_cmd::Command;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use tests::{SMALL, TempDir};

const GRID: &str = "N=2,3; R=1..3; W=2";

fn dynsim(dir: &TempDir) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_dynsim"));
    cmd.current_dir(dir.path());
    cmd
}

/// Runs `dynsim sweep small.json --grid GRID --seeds 1..2` with `extra` arguments; returns
/// (exit code, stdout, stderr).
fn sweep(dir: &TempDir, extra: &[&str]) -> (i32, String, String) {
    let out =
        dynsim(dir).args(["sweep", "small.json", "--grid", GRID, "--seeds", "1..2"]).args(extra).output().unwrap();
    let text = |b: &[u8]| String::from_utf8_lossy(b).into_owned();
    (out.status.code().unwrap_or(-1), text(&out.stdout), text(&out.stderr))
}

/// Every file under `dir` except the results files, by relative path, with its bytes.
fn outputs(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    let mut files = BTreeMap::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            let rel = p.strip_prefix(dir).unwrap().to_string_lossy().into_owned();
            if p.is_dir() {
                stack.push(p);
            } else if !rel.starts_with("runs") {
                files.insert(rel, std::fs::read(&p).unwrap());
            }
        }
    }
    files
}

fn with_small(label: &str) -> TempDir {
    let dir = TempDir::new(label);
    dir.write("small.json", SMALL);
    dir
}

#[test]
fn a_sweep_writes_rows_summary_skip_reasons_charts_and_a_page() {
    let dir = with_small("sweep-outputs");
    let (code, stdout, stderr) = sweep(&dir, &["--out", "o"]);
    assert_eq!(code, 0, "{stderr}");
    assert!(stdout.contains("6 combinations (1 skipped) × 2 seeds = 12 runs"), "{stdout}");
    assert!(stdout.contains("skipped N=2 R=3 W=2: dynamo.r: must be between 1 and 2, got 3"), "{stdout}");
    let o = dir.path().join("o");
    let rows = std::fs::read_to_string(o.join("runs.jsonl")).unwrap();
    assert_eq!(rows.lines().count(), 1 + 10, "a header and one row per run of the 5 valid combinations");
    let csv = std::fs::read_to_string(o.join("summary.csv")).unwrap();
    assert!(csv.starts_with("N,R,W,metric,n,mean,sd,ci95_low,ci95_high\n"));
    assert_eq!(csv.lines().count(), 1 + 5 * reports::sweep::METRICS.len());
    assert!(csv.contains("\n3,2,2,availability,2,"), "{csv}");
    let skipped = std::fs::read_to_string(o.join("skipped.csv")).unwrap();
    assert_eq!(skipped, "N,R,W,reason\n2,3,2,\"dynamo.r: must be between 1 and 2, got 3\"\n");
    let html = std::fs::read_to_string(o.join("sweep.html")).unwrap();
    assert!(html.contains("<svg") && !html.contains("<script") && !html.contains("src=\"http"));
    for chart in ["heatmap-availability-0", "heatmap-availability-1", "tradeoff-latency-staleness"] {
        let svg = std::fs::read_to_string(o.join(format!("charts/{chart}.svg"))).unwrap();
        assert!(
            svg.contains("R (read quorum") || svg.contains("stale reads (share of reads with a prior write)"),
            "{chart} has axis labels"
        );
    }
    for chart in ["tradeoff-latency-staleness", "by-combination-availability", "by-combination-multi_version_reads"] {
        let svg = std::fs::read_to_string(o.join(format!("charts/{chart}.svg"))).unwrap();
        assert!(!svg.contains("no data"), "{chart} is drawn: the data are there");
    }
}

#[test]
fn a_row_carries_the_trace_hash_of_the_same_run_done_alone() {
    let dir = with_small("sweep-hash");
    assert_eq!(sweep(&dir, &["--out", "o"]).0, 0);
    let rows = std::fs::read_to_string(dir.path().join("o/runs.jsonl")).unwrap();
    let row: serde_json::Value = rows
        .lines()
        .skip(1)
        .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap())
        .find(|r| r["params"] == serde_json::json!({"N": 3, "R": 1, "W": 2}) && r["seed"] == 2)
        .expect("the run N=3 R=1 W=2 seed 2");
    let text = SMALL.replace(r#""dynamo": { "n": 3, "r": 2, "w": 2 }"#, r#""dynamo": { "n": 3, "r": 1, "w": 2 }"#);
    let s = scenarios::load::load_str(&text, Path::new("x.json")).unwrap();
    let alone = scenarios::run::run(&s, scenarios::run::RunOptions { seed: Some(2), ..Default::default() }).unwrap();
    assert_eq!(row["trace_hash"], alone.trace_hash.as_str());
}

#[test]
fn outputs_are_byte_identical_with_one_thread_and_with_two() {
    let dir = with_small("sweep-threads");
    assert_eq!(sweep(&dir, &["--out", "one", "--jobs", "1"]).0, 0);
    assert_eq!(sweep(&dir, &["--out", "two", "--jobs", "2"]).0, 0);
    let (one, two) = (outputs(&dir.path().join("one")), outputs(&dir.path().join("two")));
    assert!(one.len() > 10, "summary, skipped, charts and page: {:?}", one.keys());
    assert_eq!(one, two);
}

#[test]
fn merged_shards_give_the_unsharded_outputs_byte_for_byte() {
    let dir = with_small("sweep-shards");
    assert_eq!(sweep(&dir, &["--out", "whole"]).0, 0);
    for k in 1..=3 {
        let (code, stdout, stderr) = sweep(&dir, &["--out", "shards", "--shard", &format!("{k}/3")]);
        assert_eq!(code, 0, "{stderr}");
        assert!(stdout.contains("a shard writes only its results file"), "{stdout}");
    }
    let listing: Vec<String> = std::fs::read_dir(dir.path().join("shards"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(listing.len(), 3, "only the three results files: {listing:?}");
    let out = dynsim(&dir).args(["merge", "merged", "shards"]).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(String::from_utf8_lossy(&out.stdout).contains("merged 10 runs from 3 files"));
    assert_eq!(outputs(&dir.path().join("merged")), outputs(&dir.path().join("whole")));
}

#[test]
fn a_sweep_writes_png_and_pdf_charts_and_merge_takes_the_same_chart_flags() {
    let dir = with_small("sweep-formats");
    let flags = ["--formats", "png,pdf", "--chart-width", "600", "--font-size", "15"];
    let (code, _, stderr) = sweep(&dir, &[&["--out", "whole"][..], &flags].concat());
    assert_eq!(code, 0, "{stderr}");
    let whole = outputs(&dir.path().join("whole"));
    let charts: Vec<&String> = whole.keys().filter(|k| k.starts_with("charts/")).collect();
    let count = |ext: &str| charts.iter().filter(|k| k.ends_with(ext)).count();
    assert!(count(".png") > 10 && count(".png") == count(".pdf") && count(".svg") == 0, "{charts:?}");
    for (name, bytes) in whole.iter().filter(|(k, _)| k.ends_with(".pdf")) {
        let text = String::from_utf8_lossy(bytes);
        assert!(text.starts_with("%PDF-1.") && text.ends_with("%%EOF"), "{name}");
        assert!(text.contains("/MediaBox [0 0 450 360]"), "{name}: 600 x 480 px at 0.75 pt per pixel");
    }
    let html = String::from_utf8_lossy(&whole["sweep.html"]).into_owned();
    assert!(html.contains("<a href=\"charts/tradeoff-latency-staleness.pdf\">PDF</a>"), "the page links the PDFs");
    assert_eq!(sweep(&dir, &["--out", "shards", "--shard", "1/1"]).0, 0);
    let out = dynsim(&dir).args(["merge", "merged", "shards"]).args(flags).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(outputs(&dir.path().join("merged")), whole, "merge draws with the same flags, byte for byte");
}

#[test]
fn merge_refuses_missing_shards_and_shards_of_another_sweep() {
    let dir = with_small("sweep-merge-bad");
    assert_eq!(sweep(&dir, &["--out", "a", "--shard", "1/2"]).0, 0);
    let out = dynsim(&dir).args(["merge", "m", "a"]).output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2));
    assert!(err.contains("run(s) of the sweep are in none of the files") && err.contains("fix:"), "{err}");
    let other = dynsim(&dir)
        .args(["sweep", "small.json", "--grid", "R=1", "--seeds", "1", "--out", "b", "--shard", "2/2"])
        .output()
        .unwrap();
    assert!(other.status.success());
    let out =
        dynsim(&dir).args(["merge", "m", "a/runs-shard-1-of-2.jsonl", "b/runs-shard-2-of-2.jsonl"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("holds results of a different sweep"));
    assert!(!dir.path().join("m").exists(), "nothing written");
}

#[test]
fn an_interrupted_sweep_resumes_without_redoing_finished_runs() {
    let dir = with_small("sweep-resume");
    assert_eq!(sweep(&dir, &["--out", "full"]).0, 0);
    assert_eq!(sweep(&dir, &["--out", "cut"]).0, 0);
    // Interrupt: keep the header and the first 7 rows, then half of the 8th (a torn write).
    let path = dir.path().join("cut/runs.jsonl");
    let text = std::fs::read_to_string(&path).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    let torn = format!("{}\n{}", lines[..8].join("\n"), &lines[8][..lines[8].len() / 2]);
    std::fs::write(&path, torn).unwrap();
    let (code, stdout, stderr) = sweep(&dir, &["--out", "cut"]);
    assert_eq!(code, 0, "{stderr}");
    assert!(stdout.contains("ran 3 runs (7 were already in the results file"), "{stdout}");
    let rows = std::fs::read_to_string(&path).unwrap();
    assert_eq!(rows.lines().count(), 11, "the torn line was replaced, no duplicates");
    assert!(rows.lines().all(|l| serde_json::from_str::<serde_json::Value>(l).is_ok()));
    assert_eq!(outputs(&dir.path().join("cut")), outputs(&dir.path().join("full")));
    let (_, again, _) = sweep(&dir, &["--out", "cut"]);
    assert!(again.contains("ran 0 runs (10 were already"), "{again}");
}

#[test]
fn bad_grids_seeds_and_shards_exit_2_name_the_problem_and_write_nothing() {
    let dir = with_small("sweep-bad");
    let cases: [(&[&str], &str); 8] = [
        (&["--grid", "R=3..1"], "--grid: axis `R`: the range 3..1 is empty"),
        (&["--grid", "R 2"], "axis `R 2`: has no `=`"),
        (&["--grid", "dynamo.quorum=1,2"], "axis `dynamo.quorum`: `dynamo.quorum`: `dynamo` has no field `quorum`"),
        (&["--grid", "chaos.crashes.mttf_s=1"], "`chaos.crashes` is not set in this scenario"),
        (&["--grid", "W=x,y"], "does not fit the scenario at `dynamo.w`"),
        (&["--grid", "R=1", "--seeds", "5..1"], "--seeds: axis `seeds`: the range `5..1` is empty"),
        (&["--grid", "R=1", "--shard", "4/3"], "--shard: axis `shard`: shard 4 of 3 does not exist"),
        (&["--grid", " "], "the grid has no axes"),
    ];
    for (args, says) in cases {
        let out = dynsim(&dir).args(["sweep", "small.json", "--out", "o"]).args(args).output().unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {err}");
        assert!(err.contains(says), "{args:?}: {err}");
        assert!(err.contains("fix:"), "{args:?}: {err}");
        assert!(!dir.path().join("o").exists(), "{args:?}: nothing written");
    }
}

#[test]
fn a_sweep_block_in_the_scenario_is_used_and_its_errors_are_located() {
    let dir = TempDir::new("sweep-block");
    let with_block = |grid: &str| {
        SMALL.replacen(
            "  \"seed\": 3,\n",
            &format!("  \"seed\": 3,\n  \"sweep\": {{ \"grid\": \"{grid}\", \"seeds\": \"1\" }},\n"),
            1,
        )
    };
    dir.write("good.json", &with_block("R=1,2"));
    let out = dynsim(&dir).args(["sweep", "good.json", "--out", "g"]).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(String::from_utf8_lossy(&out.stdout).contains("2 combinations (0 skipped) × 1 seeds = 2 runs"));
    dir.write("bad.json", &with_block("R=0..x"));
    let out = dynsim(&dir).args(["sweep", "bad.json", "--out", "b"]).output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2));
    assert!(err.contains("bad.json:4:22: error at sweep.grid: axis `R`: `0..x` is not a range of numbers"), "{err}");
    assert!(!dir.path().join("b").exists());
}

#[test]
fn a_numeric_axis_other_than_nrw_gets_intensity_charts() {
    let dir = with_small("sweep-intensity");
    let out = dynsim(&dir)
        .args(["sweep", "small.json", "--grid", "R=1,2; network.loss=0,0.05", "--seeds", "1", "--out", "o"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let svg: PathBuf = dir.path().join("o/charts/by-intensity-availability.svg");
    let text = std::fs::read_to_string(&svg).unwrap();
    assert!(
        text.contains("network.loss") && text.contains("R=1") && text.contains("R=2"),
        "x label and one line per R"
    );
}

#[test]
fn merge_accepts_a_run_twice_with_the_same_hash_and_refuses_it_with_another() {
    let dir = with_small("sweep-dup");
    assert_eq!(sweep(&dir, &["--out", "a"]).0, 0);
    let text = std::fs::read_to_string(dir.path().join("a/runs.jsonl")).unwrap();
    dir.write("copy.jsonl", &text);
    let same = dynsim(&dir).args(["merge", "m1", "a/runs.jsonl", "copy.jsonl"]).output().unwrap();
    assert!(same.status.success(), "{}", String::from_utf8_lossy(&same.stderr));
    assert_eq!(outputs(&dir.path().join("m1")), outputs(&dir.path().join("a")), "duplicates counted once");
    let first_row: serde_json::Value = serde_json::from_str(text.lines().nth(1).unwrap()).unwrap();
    let hash = first_row["trace_hash"].as_str().unwrap();
    let flipped = if hash.starts_with('0') { "1" } else { "0" };
    dir.write("forged.jsonl", &text.replacen(&format!("\"{hash}\""), &format!("\"{flipped}{}\"", &hash[1..]), 1));
    let out = dynsim(&dir).args(["merge", "m2", "a/runs.jsonl", "forged.jsonl"]).output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(err.contains("appears twice with different trace hashes") && err.contains("forged.jsonl:2"), "{err}");
    assert!(!dir.path().join("m2").exists(), "nothing written");
}
