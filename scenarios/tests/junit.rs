//! `dynsim check --junit FILE`, end to end: the file is well-formed XML of the shape CI systems
//! read (testsuites > testsuite > testcase, with failure or skipped), its counts round-trip, a
//! failure's message holds its replay command, and the exit codes are 0 (all pass), 1 (a check
//! failed) and 2 (bad input, with no file written).

use assert_cmd::Command;
use std::path::Path;
use tests::{SMALL, TempDir, with_line};

/// Checks per seed: every invariant, and the event budget.
const CHECKS: usize = scenarios::check::Invariant::ALL.len() + 1;

fn dynsim(dir: &TempDir) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_dynsim"));
    cmd.current_dir(dir.path());
    cmd
}

fn stderr_of(out: &std::process::Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// An attribute as a number.
fn count(node: roxmltree::Node<'_, '_>, attr: &str) -> usize {
    let text = node.attribute(attr).unwrap_or_else(|| panic!("<{}> lacks {attr}", node.tag_name().name()));
    text.parse().unwrap_or_else(|e| panic!("{attr}={text:?}: {e}"))
}

/// The counts a `<testsuites>` or `<testsuite>` states, as (tests, failures, errors, skipped).
fn stated(node: roxmltree::Node<'_, '_>) -> (usize, usize, usize, usize) {
    (count(node, "tests"), count(node, "failures"), count(node, "errors"), count(node, "skipped"))
}

/// What the test cases under `node` actually are, in the same shape.
fn counted(node: roxmltree::Node<'_, '_>) -> (usize, usize, usize, usize) {
    let cases: Vec<_> = node.descendants().filter(|n| n.has_tag_name("testcase")).collect();
    let with = |tag: &str| cases.iter().filter(|c| c.children().any(|n| n.has_tag_name(tag))).count();
    (cases.len(), with("failure"), with("error"), with("skipped"))
}

/// Parses `path` and checks the JUnit shape and that every count round-trips; returns the
/// totals and each failure's message.
fn read_junit(path: &Path) -> ((usize, usize, usize, usize), Vec<String>) {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("reading {}: {e}", path.display()));
    let doc = roxmltree::Document::parse(&text).unwrap_or_else(|e| panic!("not well-formed XML: {e}\n{text}"));
    let root = doc.root_element();
    assert!(root.has_tag_name("testsuites"), "root is <{}>", root.tag_name().name());
    for suite in root.children().filter(roxmltree::Node::is_element) {
        assert!(suite.has_tag_name("testsuite"), "<{}> under <testsuites>", suite.tag_name().name());
        assert!(suite.attribute("name").is_some());
        assert_eq!(stated(suite), counted(suite), "suite {:?}", suite.attribute("name"));
        for case in suite.children().filter(roxmltree::Node::is_element) {
            assert!(case.has_tag_name("testcase"));
            assert!(case.attribute("classname").is_some() && case.attribute("name").is_some());
            let inner: Vec<_> = case.children().filter(roxmltree::Node::is_element).collect();
            assert!(inner.len() <= 1 && inner.iter().all(|n| n.has_tag_name("failure") || n.has_tag_name("skipped")));
            assert!(inner.iter().all(|n| n.attribute("message").is_some()), "failure/skipped carry a message");
        }
    }
    assert_eq!(stated(root), counted(root), "the totals");
    let messages = root
        .descendants()
        .filter(|n| n.has_tag_name("failure"))
        .map(|n| n.attribute("message").expect("checked").to_string())
        .collect();
    (stated(root), messages)
}

/// No file of `dir` is left over from writing (no `.partial`).
fn no_partials(dir: &Path) {
    for e in std::fs::read_dir(dir).expect("listable") {
        let name = e.expect("entry").file_name().to_string_lossy().into_owned();
        assert!(!name.contains(".partial"), "{name} left behind");
    }
}

#[test]
fn a_passing_check_writes_one_case_per_seed_and_invariant_and_exits_0() {
    let dir = TempDir::new("junit-pass");
    let file = dir.write("small.json", SMALL);
    std::fs::create_dir(dir.path().join("ci")).expect("mkdir");
    let out = dynsim(&dir).arg("check").arg(&file).args(["--seeds", "1..=3", "--junit", "ci/junit.xml"]).output();
    let out = out.expect("runs");
    assert_eq!(out.status.code(), Some(0), "{}", stderr_of(&out));
    let ((tests, failures, errors, skipped), _) = read_junit(&dir.path().join("ci/junit.xml"));
    assert_eq!((tests, failures, errors), (3 * CHECKS, 0, 0));
    // Every not-applicable verdict is a skipped case, and the summary counts the same.
    let stdout = String::from_utf8_lossy(&out.stdout);
    let summary_skipped: usize = stdout
        .lines()
        .filter_map(|l| l.strip_prefix("not applicable: "))
        .map(|l| l.split(" on ").nth(1).and_then(|r| r.split(' ').next()).expect("K of N").parse::<usize>().expect("K"))
        .sum();
    assert_eq!(skipped, summary_skipped, "{stdout}");
    no_partials(&dir.path().join("ci"));
}

#[test]
fn a_failing_check_exits_1_and_each_failure_carries_its_replay_command() {
    // Vector clocks truncated to one entry (Dynamo §4.4's truncation, set as low as it goes):
    // with several coordinators, truncated clocks order versions differently on different
    // replicas, so replicas keep disagreeing after the settle period and replicas_converge
    // fails. A real consequence of the configuration, not a model bug.
    let dir = TempDir::new("junit-fail");
    let failing = r#"{ "duration_s": 4, "settle_s": 1, "cluster": { "nodes": 5 },
        "dynamo": { "versioning": { "vector_clock": { "truncation_threshold": 1 } } },
        "workloads": [{ "clients": 4, "arrival": { "poisson": { "rate_per_s": 300 } },
                        "keys": { "count": 20 }, "mix": { "get": 0.3, "read_modify_write": 0.7 } }] }"#;
    let file = dir.write("fails.json", failing);
    let out = dynsim(&dir).arg("check").arg(&file).args(["--seeds", "1..=2", "--junit", "j.xml"]).output();
    let out = out.expect("runs");
    assert_eq!(out.status.code(), Some(1), "{}", stderr_of(&out));
    let ((tests, failures, _, _), messages) = read_junit(&dir.path().join("j.xml"));
    assert_eq!(tests, 2 * CHECKS);
    assert!(failures > 0 && messages.len() == failures);
    for m in &messages {
        let seed = m.rsplit("--seed ").next().expect("a seed");
        assert!(m.ends_with(&format!("replay: dynsim run {} --seed {seed}", file.display())), "{m}");
    }
    no_partials(dir.path());
}

#[test]
fn bad_input_exits_2_and_writes_no_junit_file() {
    let dir = TempDir::new("junit-bad");
    let bad = dir.write("bad.json", &with_line(SMALL, 4, r#"  "duration_s": -3,"#));
    let out = dynsim(&dir).arg("check").arg(&bad).args(["--seeds", "1..=2", "--junit", "j.xml"]).output();
    let out = out.expect("runs");
    assert_eq!(out.status.code(), Some(2), "{}", stderr_of(&out));
    assert!(!dir.path().join("j.xml").exists());
    no_partials(dir.path());
    // A --junit path that is a directory is refused before anything runs.
    let good = dir.write("small.json", SMALL);
    std::fs::create_dir(dir.path().join("adir")).expect("mkdir");
    let out = dynsim(&dir).arg("check").arg(&good).args(["--junit", "adir"]).output().expect("runs");
    assert_eq!(out.status.code(), Some(2), "{}", stderr_of(&out));
    assert!(stderr_of(&out).contains("--junit"), "{}", stderr_of(&out));
    assert_eq!(std::fs::read_dir(dir.path().join("adir")).expect("listable").count(), 0);
    no_partials(dir.path());
}
