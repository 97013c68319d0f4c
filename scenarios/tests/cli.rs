//! The `dynsim` command line, end to end: run, validate, schema, list and replay, and bad input
//! (exit code 2, a located message, nothing written).
//!
//! These live in the `scenarios` package because only the package that owns a binary gets
//! `CARGO_BIN_EXE_<name>`, which makes cargo build the binary (fresh) before these tests run.
//! The fixture and the temporary directories come from the test-only `tests` crate.

use assert_cmd::Command;
use scenarios::run::{RunOptions, run};
use scenarios::{load, report};
use serde_json::Value;
use std::path::{Path, PathBuf};
use tests::{SMALL, TempDir, with_line};

/// `dynsim`, run inside `dir` (so a stray default `out/` could never land in the source tree).
fn dynsim(dir: &TempDir) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_dynsim"));
    cmd.current_dir(dir.path());
    cmd
}

/// A temporary directory holding the small scenario as `small.json`.
fn with_small(label: &str) -> (TempDir, PathBuf) {
    let dir = TempDir::new(label);
    let file = dir.write("small.json", SMALL);
    (dir, file)
}

fn stdout_of(out: &std::process::Output) -> String {
    String::from_utf8(out.stdout.clone()).expect("stdout is UTF-8")
}

fn stderr_of(out: &std::process::Output) -> String {
    String::from_utf8(out.stderr.clone()).expect("stderr is UTF-8")
}

fn read_json(path: &Path) -> Value {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("reading {}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{} is not JSON: {e}", path.display()))
}

/// The files `dynsim run` writes into its output directory, sorted.
fn run_outputs() -> Vec<String> {
    let mut v: Vec<String> = ["metrics.csv", "report.html", "report.json", "timeseries.csv"].map(String::from).into();
    for c in [
        "availability",
        "divergence_over_time",
        "latency_cdf",
        "latency_over_time",
        "load_per_node",
        "message_diagram",
        "repair_activity",
        "stale_reads_over_time",
        "strict_quorum_reachability",
        "t_visibility",
        "versions_per_read",
    ] {
        v.push(format!("charts/{c}.svg"));
        v.push(format!("charts/{c}.png"));
    }
    v.sort();
    v
}

/// Every file below `dir`, relative to it, sorted.
fn files_under(dir: &Path) -> Vec<String> {
    let mut out = Vec::new();
    let mut todo = vec![dir.to_path_buf()];
    while let Some(d) = todo.pop() {
        for entry in std::fs::read_dir(&d).into_iter().flatten().flatten() {
            let p = entry.path();
            if p.is_dir() {
                todo.push(p);
            } else {
                out.push(p.strip_prefix(dir).unwrap_or(&p).display().to_string());
            }
        }
    }
    out.sort();
    out
}

// ---------------------------------------------------------------------------------------------
// run

#[test]
fn run_writes_report_json_and_prints_a_summary_with_the_trace_hash() {
    let (dir, file) = with_small("cli-run");
    let out_dir = dir.path().join("results");
    let out = dynsim(&dir).arg("run").arg(&file).arg("--out").arg(&out_dir).output().expect("dynsim runs");
    assert!(out.status.success(), "exit {:?}: {}", out.status, stderr_of(&out));

    let report = read_json(&out_dir.join("report.json"));
    assert_eq!(report["seed"], 3, "the scenario's own seed");
    let hash = report["trace_hash"].as_str().expect("a trace hash");
    assert!(hash.len() == 16 && hash.bytes().all(|b| b.is_ascii_hexdigit()), "{hash}");
    assert_eq!(report["scenario_name"], "small");
    assert_eq!(files_under(&out_dir), run_outputs(), "the report and its derived files, no partial files");
    let html = std::fs::read_to_string(out_dir.join("report.html")).expect("report.html written");
    assert!(html.contains(hash) && html.matches("<svg").count() == 11, "the page names the run and inlines the charts");
    let csv = std::fs::read_to_string(out_dir.join("metrics.csv")).expect("metrics.csv written");
    assert!(csv.contains(&format!(",run,,trace_hash,,{hash}\n")), "the hash is text, in its own column: {csv}");

    let summary = stdout_of(&out);
    assert!(summary.contains(&format!("trace hash {hash}")), "{summary}");
    assert!(summary.contains("seed 3"), "{summary}");
    assert!(summary.contains(&out_dir.join("report.json").display().to_string()), "{summary}");
    assert!(summary.contains(&format!("replay: dynsim run {} --seed 3", file.display())), "{summary}");
}

#[test]
fn run_json_prints_exactly_the_report_it_writes() {
    let (dir, file) = with_small("cli-json");
    let out_dir = dir.path().join("o");
    let out = dynsim(&dir).arg("run").arg(&file).arg("--json").arg("--out").arg(&out_dir).output().expect("runs");
    assert!(out.status.success(), "{}", stderr_of(&out));
    let written = std::fs::read(out_dir.join("report.json")).expect("report.json written");
    assert_eq!(out.stdout, written, "--json must print the bytes of report.json");
    let parsed: Value = serde_json::from_slice(&out.stdout).expect("--json prints JSON");
    assert!(parsed["ops"].is_object() && parsed["nodes"].is_array(), "{parsed}");
}

#[test]
fn run_writes_pdf_charts_at_the_size_and_font_asked_for() {
    let (dir, file) = with_small("cli-pdf");
    let flags = ["--formats", "png,pdf", "--chart-width", "640", "--chart-height", "360", "--font-size", "16"];
    let out = dynsim(&dir).args(["run"]).arg(&file).args(["--out", "o"]).args(flags).output().unwrap();
    assert!(out.status.success(), "{}", stderr_of(&out));
    assert!(stdout_of(&out).contains("(charts as PNG and PDF in "), "the summary names the formats");
    let charts = dir.path().join("o/charts");
    let files = files_under(&charts);
    assert!(files.iter().all(|f| !f.ends_with(".svg")), "no SVG files when not asked for: {files:?}");
    let pdfs: Vec<&String> = files.iter().filter(|f| f.ends_with(".pdf")).collect();
    assert_eq!(pdfs.len(), files.len() / 2, "a PDF beside every PNG: {files:?}");
    for f in pdfs {
        let pdf = std::fs::read(charts.join(f)).expect("written");
        assert!(pdf.starts_with(b"%PDF-1.") && pdf.ends_with(b"%%EOF"), "{f}");
        let text = String::from_utf8_lossy(&pdf);
        if f != "message_diagram.pdf" {
            assert!(text.contains("/MediaBox [0 0 480 270]"), "{f}: 640 x 360 px at 0.75 pt per pixel");
        }
        assert!(text.contains("/FontFile2") && text.contains("+DejaVuSans"), "{f}: the font embedded");
    }
    let png = std::fs::read(charts.join("latency_cdf.png")).expect("written");
    assert_eq!((&png[16..20], &png[20..24]), (&640u32.to_be_bytes()[..], &360u32.to_be_bytes()[..]), "PNG size");
    let page = std::fs::read_to_string(dir.path().join("o/report.html")).expect("written");
    assert!(page.contains("<a href=\"charts/latency_cdf.pdf\">PDF</a>"), "the page links the PDFs");
    let report = read_json(&dir.path().join("o/report.json"));
    let charts_spec = &report["scenario"]["outputs"]["charts"];
    assert_eq!(charts_spec["formats"], serde_json::json!(["png", "pdf"]), "the effective scenario shows the flags");
    assert_eq!(charts_spec["font_size"], 16.0);
    let again = dynsim(&dir).args(["run"]).arg(&file).args(["--out", "o2"]).args(flags).output().unwrap();
    assert!(again.status.success());
    for f in files_under(&charts) {
        let (a, b) =
            (std::fs::read(charts.join(&f)).unwrap(), std::fs::read(dir.path().join("o2/charts").join(&f)).unwrap());
        assert!(a == b, "{f}: the same run gives the same bytes");
    }
}

#[test]
fn seed_flag_overrides_the_scenario_seed() {
    let (dir, file) = with_small("cli-seed");
    let run_with = |seed: Option<&str>, sub: &str| {
        let mut cmd = dynsim(&dir);
        cmd.arg("run").arg(&file).arg("--json").arg("--out").arg(dir.path().join(sub));
        if let Some(s) = seed {
            cmd.args(["--seed", s]);
        }
        let out = cmd.output().expect("runs");
        assert!(out.status.success(), "{}", stderr_of(&out));
        serde_json::from_slice::<Value>(&out.stdout).expect("JSON")
    };
    let own = run_with(None, "a");
    let five = run_with(Some("5"), "b");
    assert_eq!(five["seed"], 5);
    assert_eq!(five["scenario"]["seed"], 5, "the effective scenario carries the seed used");
    assert!(five["replay"].as_str().is_some_and(|r| r.ends_with("--seed 5")), "{}", five["replay"]);
    assert_ne!(own["trace_hash"], five["trace_hash"], "seed 5 ran like seed 3");
}

#[test]
fn cli_reports_are_byte_identical_across_runs_and_to_an_in_process_run() {
    let (dir, file) = with_small("cli-determinism");
    let mut reports = Vec::new();
    for sub in ["first", "second"] {
        let out_dir = dir.path().join(sub);
        let out =
            dynsim(&dir).arg("run").arg(&file).args(["--seed", "21", "--out"]).arg(&out_dir).output().expect("runs");
        assert!(out.status.success(), "{}", stderr_of(&out));
        reports.push(std::fs::read(out_dir.join("report.json")).expect("report written"));
    }
    assert!(reports[0] == reports[1], "two CLI runs of one scenario and seed wrote different reports");
    for f in run_outputs() {
        let read = |sub: &str| std::fs::read(dir.path().join(sub).join(&f)).expect("written");
        assert!(read("first") == read("second"), "two CLI runs wrote different {f}");
    }

    // The binary names its source as given on the command line; so does the in-process build.
    let source = file.display().to_string();
    let s = load::load_str(SMALL, &file).expect("valid");
    let outcome = run(&s, RunOptions { seed: Some(21), ..Default::default() }).expect("runs");
    let in_process = report::build_with_diagram(&s, &source, &outcome).expect("a diagram").to_json();
    assert!(in_process.as_bytes() == reports[0].as_slice(), "the CLI's report differs from the in-process one");
}

#[test]
fn a_shipped_scenario_name_resolves() {
    // `validate` is enough to show the name resolves; running the default takes longer.
    let dir = TempDir::new("cli-name");
    let out = dynsim(&dir).args(["validate", "default"]).output().expect("runs");
    assert!(out.status.success(), "{}", stderr_of(&out));
    assert!(stdout_of(&out).contains("ok"), "{}", stdout_of(&out));
}

// ---------------------------------------------------------------------------------------------
// validate, schema, list

#[test]
fn validate_accepts_the_shipped_default_file() {
    let dir = TempDir::new("cli-validate-ok");
    let shipped = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/default.json");
    let out = dynsim(&dir).arg("validate").arg(&shipped).output().expect("runs");
    assert!(out.status.success(), "{}", stderr_of(&out));
    assert_eq!(stdout_of(&out), format!("{}: ok\n", shipped.display()));
    assert!(out.stderr.is_empty(), "{}", stderr_of(&out));
}

#[test]
fn validate_refuses_a_bad_file_with_exit_2_and_a_located_message() {
    let dir = TempDir::new("cli-validate-bad");
    let bad = dir.write("bad.json", &with_line(SMALL, 7, r#"  "dynamo": { "n": 3, "r": 4, "w": 2 },"#));
    let out = dynsim(&dir).arg("validate").arg(&bad).output().expect("runs");
    assert_eq!(out.status.code(), Some(2), "{}", stderr_of(&out));
    assert!(out.stdout.is_empty(), "nothing on stdout: {}", stdout_of(&out));
    let err = stderr_of(&out);
    let head = format!("error: {}:7:28: error at dynamo.r: must be between 1 and 3, got 4\n  fix: ", bad.display());
    assert!(err.starts_with(&head), "{err}");
}

#[test]
fn schema_prints_a_json_schema_with_every_field_documented() {
    let dir = TempDir::new("cli-schema");
    let out = dynsim(&dir).arg("schema").output().expect("runs");
    assert!(out.status.success(), "{}", stderr_of(&out));
    let schema: Value = serde_json::from_slice(&out.stdout).expect("the schema is JSON");
    assert!(schema["$schema"].as_str().is_some_and(|s| s.contains("json-schema.org")), "{}", schema["$schema"]);
    assert!(schema["properties"]["duration_s"].is_object(), "duration_s is a property");
    let required = schema["required"].as_array().expect("required fields");
    for field in ["duration_s", "cluster", "workloads"] {
        assert!(required.iter().any(|r| r == field), "{field} is required: {required:?}");
    }
    // `dynamo` refers to a definition; its `n` carries the doc comment of `DynamoConfig::n`.
    let reference = schema["properties"]["dynamo"]["$ref"].as_str().expect("dynamo is a $ref");
    let name = reference.rsplit('/').next().expect("a definition name");
    assert_eq!(schema["$defs"][name]["properties"]["n"]["description"], "Replicas per key. Default 3.");
}

#[test]
fn list_names_the_shipped_default() {
    let dir = TempDir::new("cli-list");
    let out = dynsim(&dir).arg("list").output().expect("runs");
    assert!(out.status.success(), "{}", stderr_of(&out));
    let text = stdout_of(&out);
    let line =
        text.lines().find(|l| l.split_whitespace().next() == Some("default")).unwrap_or_else(|| panic!("{text}"));
    assert!(line.contains("(3,2,2)"), "the description is shown: {line}");
}

// ---------------------------------------------------------------------------------------------
// replay

/// Runs `dynsim replay small.json --seed 3 --trace <name> <extra>` and returns its trace lines
/// (parsed) and stdout.
fn replay(dir: &TempDir, file: &Path, name: &str, extra: &[&str]) -> (Vec<Value>, String) {
    let trace = dir.path().join(name);
    let out = dynsim(dir)
        .arg("replay")
        .arg(file)
        .args(["--seed", "3", "--trace"])
        .arg(&trace)
        .args(extra)
        .output()
        .expect("runs");
    assert!(out.status.success(), "{}", stderr_of(&out));
    let text = std::fs::read_to_string(&trace).expect("the trace is written");
    let lines = text
        .lines()
        .enumerate()
        .map(|(i, l)| serde_json::from_str(l).unwrap_or_else(|e| panic!("{name} line {}: {e}: {l}", i + 1)))
        .collect();
    (lines, stdout_of(&out))
}

fn is_fault(v: &Value) -> bool {
    v["event"] == "fault"
}

#[test]
fn replay_writes_the_run_as_json_lines_with_the_same_trace_hash() {
    let (dir, file) = with_small("cli-replay");
    let (lines, stdout) = replay(&dir, &file, "trace.jsonl", &[]);
    assert!(lines.len() > 1000, "only {} records", lines.len());
    assert!(lines.iter().all(|l| l["t_ns"].is_u64() && l["event"].is_string()), "every record has t_ns and event");
    assert!(lines.windows(2).all(|w| w[0]["t_ns"].as_u64() <= w[1]["t_ns"].as_u64()), "records are in time order");
    assert!(lines.iter().filter(|l| is_fault(l)).count() >= 2, "the crash and the partition are traced");
    assert!(lines.iter().any(|l| l["event"] == "deliver" && l["key"].is_u64()), "messages name their keys");
    assert!(
        lines.iter().any(|l| l["event"] == "send" && l["depart_ns"].as_u64() >= l["t_ns"].as_u64()),
        "sends are traced, leaving when the handler's service time ends"
    );
    assert!(!dir.path().join("trace.jsonl.partial").exists(), "no partial file is left");

    let run =
        dynsim(&dir).arg("run").arg(&file).args(["--seed", "3", "--json", "--out"]).arg(dir.path().join("r")).output();
    let report: Value = serde_json::from_slice(&run.expect("runs").stdout).expect("JSON");
    let hash = report["trace_hash"].as_str().expect("hash");
    assert!(stdout.contains(&format!("trace hash {hash}")), "replay must reproduce the run: {stdout}");
}

#[test]
fn replay_key_filter_keeps_exactly_that_key_and_the_faults() {
    let (dir, file) = with_small("cli-replay-key");
    let (all, _) = replay(&dir, &file, "all.jsonl", &[]);
    let key = all.iter().find_map(|l| l["key"].as_u64()).expect("some record names a key");
    let (only, _) = replay(&dir, &file, "key.jsonl", &["--key", &key.to_string()]);
    let expected: Vec<&Value> = all.iter().filter(|l| l["key"].as_u64() == Some(key) || is_fault(l)).collect();
    assert!(only.iter().any(|l| l["key"].as_u64() == Some(key)), "key {key} has records");
    assert!(only.len() < all.len());
    assert_eq!(only.iter().collect::<Vec<_>>(), expected, "--key {key} must keep exactly its records and the faults");
}

/// Every record's message, timer or fault, and every value inside them, with its path.
fn leaves<'a>(v: &'a Value, path: String, out: &mut Vec<(String, &'a Value)>) {
    match v {
        Value::Object(m) => m.iter().for_each(|(k, x)| leaves(x, format!("{path}.{k}"), out)),
        Value::Array(a) => a.iter().enumerate().for_each(|(i, x)| leaves(x, format!("{path}[{i}]"), out)),
        _ => out.push((path, v)),
    }
}

#[test]
fn replay_writes_messages_timers_and_faults_as_typed_json() {
    let (dir, file) = with_small("cli-replay-json");
    let (all, _) = replay(&dir, &file, "all.jsonl", &[]);
    for l in &all {
        let body = match l["event"].as_str() {
            Some("send" | "deliver") => &l["msg"],
            Some("timer") => &l["timer"],
            Some("fault") => &l["fault"],
            _ => continue,
        };
        assert!(body.is_object(), "a message, timer or fault is a JSON object, not a string: {l}");
    }
    let delivered = |kind: &'static str| all.iter().filter(move |l| l["event"] == "deliver" && l["kind"] == kind);
    let request = delivered("request").next().expect("a request is traced");
    let msg = &request["msg"];
    assert!(msg["client"].as_u64().is_some_and(|c| c >= 5), "a request names its client process: {request}");
    assert!(msg["req"].is_u64() && msg["hops"].is_u64(), "{request}");
    assert!(msg["op"] == "get" || msg["op"] == "put", "{request}");
    assert_eq!(msg["key"], request["key"], "the key in the message is the record's");
    let write = delivered("replica_write").next().expect("a replica write is traced");
    let sibling = &write["msg"]["versions"][0];
    assert!(sibling["write"].is_u64() && sibling["bytes"].is_u64() && sibling["tombstone"].is_boolean(), "{write}");
    assert!(sibling["clock"].is_array(), "vector clocks (the default versioning) are written: {write}");
    assert!(all.iter().any(|l| l["event"] == "timer" && l["timer"]["kind"].is_string()), "timers name their kind");
    let crash = all.iter().find(|l| is_fault(l) && l["fault"].get("crash").is_some()).expect("the crash is traced");
    assert_eq!(crash["fault"]["crash"]["node"], 2, "the fault is written as in the scenario file: {crash}");
}

#[test]
fn replay_writes_stamping_actors_as_node_and_epoch() {
    let (dir, file) = with_small("cli-replay-actors");
    let (all, _) = replay(&dir, &file, "all.jsonl", &[]);
    let mut values = Vec::new();
    for l in &all {
        leaves(l, String::new(), &mut values);
    }
    let actors: Vec<&str> =
        values.iter().filter(|(p, _)| p.ends_with(".actor")).filter_map(|(_, v)| v.as_str()).collect();
    assert!(actors.len() > 100, "vector clocks name their actors: {} found", actors.len());
    for a in &actors {
        let (node, epoch) = a.strip_prefix('n').and_then(|r| r.split_once('#')).unwrap_or_else(|| panic!("actor {a}"));
        let node: u32 = node.parse().unwrap_or_else(|_| panic!("actor {a}: node"));
        assert!(node < 5, "actor {a} names one of small.json's five storage nodes");
        assert!(epoch.parse::<u32>().is_ok(), "actor {a}: epoch");
    }
    let debug = values.iter().find(|(_, v)| v.as_str().is_some_and(|s| s.contains("ProcId(") || s.contains(" { ")));
    assert!(debug.is_none(), "no Rust Debug text in the trace: {debug:?}");
}

#[test]
fn replay_key_filter_keeps_the_replies_that_complete_the_keys_operations() {
    let (dir, file) = with_small("cli-replay-replies");
    let history = dir.path().join("ops.jsonl");
    let out =
        dynsim(&dir).arg("run").arg(&file).args(["--seed", "3", "--out", "o", "--history"]).arg(&history).output();
    assert!(out.expect("runs").status.success());
    let ops: Vec<Value> = std::fs::read_to_string(&history)
        .expect("the history is written")
        .lines()
        .map(|l| serde_json::from_str(l).expect("JSON"))
        .collect();
    // The busiest key, so that gets and puts, successes and failures are all likely.
    let mut per_key = std::collections::BTreeMap::<u64, usize>::new();
    ops.iter().for_each(|o| *per_key.entry(o["key"].as_u64().expect("key")).or_default() += 1);
    let key = per_key.iter().max_by_key(|(k, n)| (**n, std::cmp::Reverse(**k))).map(|(k, _)| *k).expect("ops");
    let (trace, _) = replay(&dir, &file, "key.jsonl", &["--key", &key.to_string()]);
    // Every operation on the key that a reply completed (all but the client's own timeouts)
    // has that reply in the trace: delivered to its client when the operation completed.
    let answered: Vec<&Value> = ops.iter().filter(|o| o["key"] == key && o["outcome"] != "client_timeout").collect();
    assert!(answered.len() >= 5, "key {key} has only {} answered operations", answered.len());
    for o in &answered {
        let reply = trace.iter().find(|l| {
            l["event"] == "deliver"
                && (l["kind"] == "get_reply" || l["kind"] == "put_reply")
                && l["proc"] == o["client"]
                && l["t_ns"] == o["completed"]
        });
        let reply = reply.unwrap_or_else(|| panic!("no reply completing {o} in the --key {key} trace"));
        assert_eq!(reply["key"], key, "the reply is attributed to the key");
        assert_eq!(reply["msg"]["ok"], o["outcome"] == "ok", "{reply} vs {o}");
    }
    let replies = trace.iter().filter(|l| l["kind"] == "get_reply" || l["kind"] == "put_reply");
    assert!(replies.clone().all(|l| l["key"] == key), "only the key's replies are kept");
    assert!(replies.filter(|l| l["event"] == "send").count() >= answered.len(), "and their sends");
}

#[test]
fn replay_node_filter_keeps_exactly_the_records_about_those_nodes() {
    let (dir, file) = with_small("cli-replay-node");
    let (all, _) = replay(&dir, &file, "all.jsonl", &[]);
    let about = |l: &Value, nodes: &[u64]| {
        let proc = l["proc"].as_u64();
        proc.is_none()
            || proc.is_some_and(|p| nodes.contains(&p))
            || l["from"].as_u64().is_some_and(|f| nodes.contains(&f))
            || l["to"].as_u64().is_some_and(|t| nodes.contains(&t))
    };
    for nodes in [vec![1u64], vec![0, 4]] {
        let mut args = Vec::new();
        for n in &nodes {
            args.extend(["--node".to_string(), n.to_string()]);
        }
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let (only, _) = replay(&dir, &file, "node.jsonl", &args);
        let expected: Vec<&Value> = all.iter().filter(|l| about(l, &nodes)).collect();
        assert!(!only.is_empty() && only.len() < all.len(), "{} of {} records for {nodes:?}", only.len(), all.len());
        assert_eq!(only.iter().collect::<Vec<_>>(), expected, "--node {nodes:?}");
    }
}

#[test]
fn replay_time_window_keeps_only_records_inside_it() {
    let (dir, file) = with_small("cli-replay-window");
    let (all, _) = replay(&dir, &file, "all.jsonl", &[]);
    let (window, _) = replay(&dir, &file, "window.jsonl", &["--from-s", "1", "--until-s", "1.5"]);
    let inside = |l: &&Value| l["t_ns"].as_u64().is_some_and(|t| (1_000_000_000..=1_500_000_000).contains(&t));
    let expected: Vec<&Value> = all.iter().filter(inside).collect();
    assert!(!window.is_empty());
    assert_eq!(window.iter().collect::<Vec<_>>(), expected);
}

// ---------------------------------------------------------------------------------------------
// bad input: exit code 2, a located message on stderr, nothing written

/// Bad scenarios, each with what stderr must say (after `error: <file>:`). The in-process
/// table with every case is `tests/tests/bad_input.rs`.
fn bad_cases() -> Vec<(&'static str, String, &'static str)> {
    vec![
        ("syntax", with_line(SMALL, 4, r#"  "duration_s": 3"#), "5:3: error at (top level): expected `,` or `}`"),
        (
            "unknown key",
            with_line(SMALL, 7, r#"  "dynamo": { "n": 3, "nn": 2, "w": 2 },"#),
            "7:23: error at dynamo.nn: unknown field `nn`",
        ),
        (
            "node 99 of 5",
            with_line(SMALL, 14, r#"    { "at_s": 1, "fault": { "crash": { "node": 99 } } },"#),
            "14:48: error at faults[0].fault.crash.node: node 99 does not exist",
        ),
        // Only assembling the world finds this one.
        (
            "shape naming node 99",
            with_line(
                SMALL,
                15,
                r#"    { "at_s": 2, "fault": { "partition": { "shape": { "isolate_one": { "node": 99 } } } } }"#,
            ),
            "15:53: error at faults[1].fault.partition.shape: process p99 does not exist",
        ),
        (
            "join of a node that does not exist",
            with_line(SMALL, 15, r#"    { "at_s": 2, "admin": { "join": { "node": 5 } } }"#),
            "15:47: error at faults[1].admin.join.node: node 5 does not exist",
        ),
        (
            "join of a node already on the ring",
            with_line(SMALL, 15, r#"    { "at_s": 2, "admin": { "join": { "node": 2 } } }"#),
            "15:47: error at faults[1].admin.join.node: node 2 is already on the ring at this time",
        ),
        ("missing cluster", with_line(SMALL, 6, ""), "17:1: error at (top level): missing field `cluster`"),
    ]
}

#[test]
fn bad_scenarios_exit_2_with_a_located_message_from_validate_run_and_replay() {
    for (name, text, expected) in bad_cases() {
        let dir = TempDir::new("cli-bad");
        let bad = dir.write("bad.json", &text);
        let out_dir = dir.path().join("out");
        let trace = dir.path().join("trace.jsonl");
        let commands: [Vec<std::ffi::OsString>; 3] = [
            vec!["validate".into(), bad.clone().into()],
            vec!["run".into(), bad.clone().into(), "--out".into(), out_dir.clone().into()],
            vec![
                "replay".into(),
                bad.clone().into(),
                "--seed".into(),
                "1".into(),
                "--trace".into(),
                trace.clone().into(),
            ],
        ];
        for args in commands {
            let out = dynsim(&dir).args(&args).output().expect("runs");
            let what = format!("{name}: dynsim {args:?}");
            assert_eq!(out.status.code(), Some(2), "{what}: {}", stderr_of(&out));
            assert!(out.stdout.is_empty(), "{what}: stdout {}", stdout_of(&out));
            let err = stderr_of(&out);
            assert!(err.starts_with(&format!("error: {}:{expected}", bad.display())), "{what}: {err}");
            assert!(err.contains("\n  fix: "), "{what}: no fix: {err}");
            assert!(!err.contains("panicked"), "{what}: {err}");
        }
        assert_eq!(files_under(dir.path()), vec!["bad.json".to_string()], "{name}: a failed command wrote files");
    }
}

#[test]
fn a_failed_run_leaves_an_existing_report_alone() {
    let (dir, file) = with_small("cli-keep");
    let out_dir = dir.path().join("out");
    let ok = dynsim(&dir).arg("run").arg(&file).arg("--out").arg(&out_dir).output().expect("runs");
    assert!(ok.status.success(), "{}", stderr_of(&ok));
    let before = std::fs::read(out_dir.join("report.json")).expect("written");
    let bad = dir.write("bad.json", &with_line(SMALL, 8, r#"  "network": { "loss": 1.5 },"#));
    let failed = dynsim(&dir).arg("run").arg(&bad).arg("--out").arg(&out_dir).output().expect("runs");
    assert_eq!(failed.status.code(), Some(2), "{}", stderr_of(&failed));
    assert!(stderr_of(&failed).contains("8:24: error at network.loss: probability must be in [0, 1], got 1.5"));
    assert_eq!(std::fs::read(out_dir.join("report.json")).expect("still there"), before);
    assert_eq!(files_under(&out_dir), run_outputs());
}

#[test]
fn a_missing_file_or_unknown_name_exits_2() {
    let dir = TempDir::new("cli-missing");
    for name in ["nonexistent.json", "no-such-shipped-scenario"] {
        let out = dynsim(&dir).args(["run", name, "--out", "o"]).output().expect("runs");
        assert_eq!(out.status.code(), Some(2), "{name}: {}", stderr_of(&out));
        let err = stderr_of(&out);
        assert!(err.starts_with(&format!("error: {name}: error at (top level): cannot read the file")), "{err}");
        assert!(!dir.path().join("o").exists(), "{name}: an output directory was created");
    }
}

#[test]
fn bad_arguments_exit_2() {
    let (dir, file) = with_small("cli-args");
    for args in [vec!["run", "small.json", "--seed", "minus-one"], vec!["frobnicate"], vec!["validate"]] {
        let out = dynsim(&dir).args(&args).output().expect("runs");
        assert_eq!(out.status.code(), Some(2), "{args:?}: {}", stderr_of(&out));
        assert!(out.stdout.is_empty(), "{args:?}");
    }
    assert_eq!(files_under(dir.path()), vec![file.file_name().unwrap().to_string_lossy().to_string()]);
}

#[test]
fn check_runs_every_seed_and_passes_a_healthy_scenario() {
    let (dir, file) = with_small("check-ok");
    let out = dynsim(&dir).args(["check"]).arg(&file).args(["--seeds", "1..=4"]).output().expect("runs");
    assert!(out.status.success(), "stderr: {}", stderr_of(&out));
    assert!(stdout_of(&out).contains("checked 4 seeds of"), "{}", stdout_of(&out));
    assert!(stdout_of(&out).contains("4 passed, 0 failed"), "{}", stdout_of(&out));
}

#[test]
fn check_rejects_an_empty_seed_range_with_exit_2() {
    let (dir, file) = with_small("check-bad-seeds");
    let out = dynsim(&dir).args(["check"]).arg(&file).args(["--seeds", "5..3"]).output().expect("runs");
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr_of(&out).contains("the range `5..3` is empty"), "{}", stderr_of(&out));
}

#[test]
fn run_history_writes_every_operation_as_a_json_line_and_nothing_on_failure() {
    let (dir, file) = with_small("cli-history");
    let out = dynsim(&dir).arg("run").arg(&file).args(["--out", "o", "--history", "ops.jsonl"]).output().expect("runs");
    assert!(out.status.success(), "{}", stderr_of(&out));
    let r = read_json(&dir.path().join("o/report.json"));
    let ops =
        r["ops"]["all_reads"]["completed"].as_u64().unwrap() + r["ops"]["all_writes"]["completed"].as_u64().unwrap();
    let text = std::fs::read_to_string(dir.path().join("ops.jsonl")).expect("written");
    assert_eq!(text.lines().count() as u64, ops);
    let first: Value = serde_json::from_str(text.lines().next().expect("a line")).expect("JSON");
    for field in ["client", "kind", "key", "invoked", "completed", "outcome"] {
        assert!(first.get(field).is_some(), "{field} missing from {first}");
    }
    assert!(!dir.path().join("ops.jsonl.partial").exists());
    // A run that fails leaves no history behind.
    let bad = dir.write("bad.json", &with_line(SMALL, 4, r#"  "duration_s": -3,"#));
    let failed =
        dynsim(&dir).arg("run").arg(&bad).args(["--out", "o2", "--history", "bad.jsonl"]).output().expect("runs");
    assert_eq!(failed.status.code(), Some(2), "{}", stderr_of(&failed));
    assert!(!dir.path().join("bad.jsonl").exists() && !dir.path().join("bad.jsonl.partial").exists());
}
