//! Bad command-line arguments, end to end: each is refused with exit code 2 before anything
//! runs, stderr names the flag and its value and gives a fix, and nothing is written. Also: seed
//! ranges mean the same (inclusive) in `check` and `sweep`, and a stdout the reader closes ends
//! the program quietly with exit code 0.
//!
//! The scenario-file errors are in `cli.rs`; this file is about the arguments.

use assert_cmd::Command;
use std::io::Read as _;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use tests::{SMALL, TempDir, with_line};

/// `dynsim`, run inside `dir`.
fn dynsim(dir: &Path) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_dynsim"));
    cmd.current_dir(dir);
    cmd
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// Every file and directory below `dir`, relative to it, sorted.
fn listing(dir: &Path) -> Vec<String> {
    let mut out = Vec::new();
    let mut todo = vec![dir.to_path_buf()];
    while let Some(d) = todo.pop() {
        for entry in std::fs::read_dir(&d).into_iter().flatten().flatten() {
            let p = entry.path();
            out.push(p.strip_prefix(dir).unwrap_or(&p).display().to_string());
            if p.is_dir() {
                todo.push(p);
            }
        }
    }
    out.sort();
    out
}

/// A directory that exists and cannot be written, even by root: a read-only directory, else
/// `/sys` (Linux), else none (those cases are then skipped, saying so).
fn unwritable_dir(dir: &TempDir) -> Option<PathBuf> {
    use std::os::unix::fs::PermissionsExt as _;
    let ro = dir.path().join("ro");
    std::fs::create_dir_all(&ro).ok()?;
    std::fs::set_permissions(&ro, std::fs::Permissions::from_mode(0o555)).ok()?;
    let cannot_write = |d: &Path| {
        let probe = d.join("probe");
        let refused = std::fs::write(&probe, "").is_err();
        let _ = std::fs::remove_file(&probe);
        refused
    };
    if cannot_write(&ro) {
        return Some(ro);
    }
    let _ = std::fs::remove_dir(&ro);
    let sys = PathBuf::from("/sys");
    (sys.is_dir() && cannot_write(&sys)).then_some(sys)
}

/// One bad command line: its arguments, and what stderr must hold (the flag and its value
/// among them).
struct Case {
    what: &'static str,
    args: Vec<String>,
    says: Vec<String>,
}

fn case(what: &'static str, args: &[&str], says: &[&str]) -> Case {
    Case {
        what,
        args: args.iter().map(|a| a.to_string()).collect(),
        says: says.iter().map(|s| s.to_string()).collect(),
    }
}

/// The fixture directory: `small.json`, `afile` (a file), `emptydir/` (a directory),
/// `outdir.json` (the small scenario with `outputs.dir` naming `afile`).
fn fixture(label: &str) -> TempDir {
    let dir = TempDir::new(label);
    dir.write("small.json", SMALL);
    dir.write("outdir.json", &with_line(SMALL, 2, r#"  "name": "small", "outputs": { "dir": "afile" },"#));
    dir.write("afile", "not a directory\n");
    std::fs::create_dir_all(dir.path().join("emptydir")).expect("mkdir");
    dir
}

fn cases(ro: Option<&Path>) -> Vec<Case> {
    let run = |extra: &[&'static str]| [&["run", "small.json", "--out", "o"], extra].concat();
    let replay =
        |extra: &[&'static str]| [&["replay", "small.json", "--seed", "1", "--trace", "t.jsonl"], extra].concat();
    let mut v = vec![
        // 1. Output paths, checked before the run.
        case(
            "--out is a file",
            &["run", "small.json", "--out", "afile"],
            &["error: --out afile: is a file, not a directory\n  fix: "],
        ),
        case(
            "--out under a file",
            &["run", "small.json", "--out", "afile/x"],
            &["error: --out afile/x: cannot be created: afile is a file, not a directory\n  fix: "],
        ),
        case(
            "outputs.dir is a file",
            &["run", "outdir.json"],
            &["error: --out afile (the scenario's outputs.dir): is a file, not a directory\n  fix: "],
        ),
        case(
            "--history is a directory",
            &run(&["--history", "emptydir"]),
            &["error: --history emptydir: is a directory, not a file\n  fix: "],
        ),
        case(
            "--history under a file",
            &run(&["--history", "afile/h.jsonl"]),
            &["error: --history afile/h.jsonl: afile is a file, not a directory\n  fix: "],
        ),
        case(
            "--history in a missing directory",
            &run(&["--history", "nodir/h.jsonl"]),
            &["error: --history nodir/h.jsonl: the directory nodir does not exist\n  fix: create it first"],
        ),
        case(
            "--shrink-out is a directory",
            &["check", "small.json", "--seeds", "1", "--shrink", "--shrink-out", "emptydir"],
            &["error: --shrink-out emptydir: is a directory, not a file\n  fix: "],
        ),
        case(
            "--shrink-out under a file",
            &["check", "small.json", "--shrink", "--shrink-out", "afile/s.json"],
            &["error: --shrink-out afile/s.json: afile is a file"],
        ),
        case(
            "--trace is a directory",
            &["replay", "small.json", "--seed", "1", "--trace", "emptydir"],
            &["error: --trace emptydir: is a directory, not a file\n  fix: "],
        ),
        case(
            "--trace in a missing directory",
            &["replay", "small.json", "--seed", "1", "--trace", "nodir/t.jsonl"],
            &["error: --trace nodir/t.jsonl: the directory nodir does not exist\n  fix: "],
        ),
        case(
            "merge OUT is a file",
            &["merge", "afile", "emptydir"],
            &["error: OUT afile: is a file, not a directory\n  fix: "],
        ),
        case(
            "merge of a directory without results",
            &["merge", "m", "emptydir"],
            &["error: emptydir: the directory holds no results files (runs*.jsonl)\n  fix: "],
        ),
        case(
            "sweep --out is a file",
            &["sweep", "small.json", "--grid", "R=1", "--seeds", "1", "--out", "afile"],
            &["error: --out afile: is a file, not a directory\n  fix: "],
        ),
        // 2. Bad values and combinations once accepted silently.
        case(
            "--no-diagram with --diagram-key",
            &run(&["--no-diagram", "--diagram-key", "3"]),
            &["'--no-diagram' cannot be used with '--diagram-key"],
        ),
        case(
            "--jobs 0",
            &["sweep", "small.json", "--grid", "R=1", "--seeds", "1", "--out", "sw", "--jobs", "0"],
            &["invalid value '0' for '--jobs <JOBS>': must be from 1 to 1024\n  fix: "],
        ),
        case(
            "a replay window that ends before it starts",
            &replay(&["--from-s", "5", "--until-s", "1"]),
            &["error: --until-s 1: is before --from-s 5, so the window is empty\n  fix: "],
        ),
        case(
            "a negative time",
            &replay(&["--from-s=-5"]),
            &["invalid value '-5' for '--from-s <FROM_S>': negative", "fix: "],
        ),
        case(
            "a time that is not a number",
            &replay(&["--until-s", "NaN"]),
            &["invalid value 'NaN' for '--until-s <UNTIL_S>': not a finite number of seconds"],
        ),
        case("an infinite time", &replay(&["--from-s", "inf"]), &["invalid value 'inf' for '--from-s <FROM_S>'"]),
        case(
            "a time after the run",
            &replay(&["--from-s", "100"]),
            &["error: --from-s 100: is after the run's end at 4 s (duration_s + settle_s)"],
        ),
        case(
            "a process that does not exist",
            &replay(&["--node", "1", "--node", "999"]),
            &["error: --node 999: there is no process 999: small.json has 7 processes, 0..=6 (storage nodes 0..=4, \
             clients 5..=6)\n  fix: give process numbers in 0..=6"],
        ),
        case(
            "--shrink-out without --shrink",
            &["check", "small.json", "--shrink-out", "s.json"],
            &["required arguments were not provided:\n  --shrink"],
        ),
        // 3. Diagram flags are the flags' problem, not the file's.
        case(
            "--diagram-from-s alone",
            &run(&["--diagram-from-s", "1"]),
            &["error: --diagram-from-s 1: the diagram's window needs both ends\n  fix: give --diagram-until-s too"],
        ),
        case(
            "--diagram-until-s alone",
            &run(&["--diagram-until-s", "2"]),
            &["error: --diagram-until-s 2: the diagram's window needs both ends\n  fix: give --diagram-from-s too"],
        ),
        case(
            "a diagram window that ends before it starts",
            &run(&["--diagram-from-s", "2", "--diagram-until-s", "1"]),
            &["error: --diagram-until-s 1: is at or before --diagram-from-s 2, so the window is empty\n  fix: "],
        ),
        case(
            "a diagram window after the run",
            &run(&["--diagram-from-s", "10", "--diagram-until-s", "11"]),
            &["error: --diagram-from-s 10: is not before the run's end at 4 s"],
        ),
        case(
            "a negative diagram time",
            &run(&["--diagram-from-s=-1", "--diagram-until-s", "1"]),
            &["invalid value '-1' for '--diagram-from-s <DIAGRAM_FROM_S>': negative"],
        ),
        case(
            "a diagram time that is not a number",
            &run(&["--diagram-from-s", "0", "--diagram-until-s", "NaN"]),
            &["invalid value 'NaN' for '--diagram-until-s <DIAGRAM_UNTIL_S>'"],
        ),
        // Found only after the run (nobody knows the keys before), still before anything is written.
        case(
            "a diagram key never operated on",
            &run(&["--diagram-key", "999999"]),
            &["error: --diagram-key 999999: key 999999 was never read or written in this run"],
        ),
        // 4. Seed sets are bounded and never materialised.
        case(
            "check --seeds over the whole u64 range",
            &["check", "small.json", "--seeds", "0..18446744073709551615"],
            &["invalid value '0..18446744073709551615' for '--seeds <SEEDS>': `0..18446744073709551615` is \
             18446744073709551616 seeds, more than the 1000000 one command runs\n  fix: "],
        ),
        case(
            "check --seeds one over the limit",
            &["check", "small.json", "--seeds", "0..1000000"],
            &["for '--seeds <SEEDS>': `0..1000000` is 1000001 seeds, more than the 1000000"],
        ),
        case(
            "check --seeds empty range",
            &["check", "small.json", "--seeds", "5..3"],
            &["invalid value '5..3' for '--seeds <SEEDS>': the range `5..3` is empty"],
        ),
        case(
            "sweep --seeds over the whole u64 range",
            &["sweep", "small.json", "--grid", "R=1", "--out", "sw", "--seeds", "0..=18446744073709551615"],
            &["error: --seeds: axis `seeds`: `0..=18446744073709551615` is 18446744073709551616 seeds, more than the \
             1000000"],
        ),
        // 5. Chart size, font and formats: bounded, refused before the run, blamed on the flag.
        case(
            "a chart too narrow",
            &run(&["--chart-width", "100"]),
            &["error: --chart-width 100: must be from 200 to 4000 pixels, got 100\n  fix: "],
        ),
        case(
            "a sweep chart too tall",
            &["sweep", "small.json", "--grid", "R=1", "--seeds", "1", "--out", "sw", "--chart-height", "5000"],
            &["error: --chart-height 5000: must be from 200 to 4000 pixels, got 5000\n  fix: "],
        ),
        case(
            "a font too large for the label areas",
            &run(&["--font-size", "40"]),
            &["error: --font-size 40: must be from 6 to 32 pixels, got 40\n  fix: "],
        ),
        case("a font size that is not a number", &run(&["--font-size", "NaN"]), &["error: --font-size NaN: "]),
        case(
            "a negative chart width",
            &run(&["--chart-width=-800"]),
            &["invalid value '-800' for '--chart-width <PX>'"],
        ),
        case(
            "an unknown format",
            &run(&["--formats", "svg,jpg"]),
            &["invalid value 'jpg' for '--formats <FORMATS>'", "[possible values: svg, png, pdf]"],
        ),
        case(
            "a format twice",
            &run(&["--formats", "pdf,pdf"]),
            &["error: --formats [pdf, pdf]: lists pdf twice\n  fix: list each format once"],
        ),
        case(
            "merge with a bad font size",
            &["merge", "m", "emptydir", "--font-size", "2"],
            &["error: --font-size 2: must be from 6 to 32 pixels"],
        ),
        // 7. clap's own usage errors.
        case("an unknown flag", &run(&["--frobnicate"]), &["unexpected argument '--frobnicate'"]),
        case("a missing required flag", &["replay", "small.json", "--seed", "1"], &["--trace <TRACE>"]),
        case("a flag without its value", &["check", "small.json", "--seeds"], &["'--seeds <SEEDS>'"]),
        case(
            "a seed that is not a number",
            &["run", "small.json", "--seed", "x"],
            &["invalid value 'x' for '--seed <SEED>'"],
        ),
    ];
    if let Some(ro) = ro {
        let ro = ro.display().to_string();
        let at = |name: &str| format!("{ro}/{name}");
        let mk = |what, args: Vec<String>, says: String| Case { what, args, says: vec![says] };
        v.push(mk(
            "--out under a read-only directory",
            ["run", "small.json", "--out", &at("x")].map(String::from).into(),
            format!("error: --out {}: cannot be created: cannot write into {ro}: ", at("x")),
        ));
        v.push(mk(
            "--history in a read-only directory",
            ["run", "small.json", "--out", "o", "--history", &at("h.jsonl")].map(String::from).into(),
            format!("error: --history {}: cannot write into {ro}: ", at("h.jsonl")),
        ));
        v.push(mk(
            "--trace in a read-only directory",
            ["replay", "small.json", "--seed", "1", "--trace", &at("t.jsonl")].map(String::from).into(),
            format!("error: --trace {}: cannot write into {ro}: ", at("t.jsonl")),
        ));
        v.push(mk(
            "--out is a read-only directory",
            ["run", "small.json", "--out", &ro].map(String::from).into(),
            format!("error: --out {ro}: cannot write into this directory: "),
        ));
    }
    v
}

#[test]
fn every_bad_argument_exits_2_names_the_flag_and_its_value_and_writes_nothing() {
    let dir = fixture("bad-args");
    let ro = unwritable_dir(&dir);
    if ro.is_none() {
        eprintln!("no unwritable directory here: the read-only cases are skipped");
    }
    let before = listing(dir.path());
    for c in cases(ro.as_deref()) {
        let out = dynsim(dir.path()).args(&c.args).output().expect("dynsim runs");
        let err = text(&out.stderr);
        let what = format!("{}: dynsim {}", c.what, c.args.join(" "));
        assert_eq!(out.status.code(), Some(2), "{what}: exit code; stderr: {err}");
        for says in &c.says {
            assert!(err.contains(says.as_str()), "{what}: stderr lacks {says:?}:\n{err}");
        }
        assert!(!err.contains("panicked"), "{what}: {err}");
        assert!(out.stdout.is_empty(), "{what}: stdout: {}", text(&out.stdout));
        // A read-only directory inside `dir` is covered too; `/sys` cannot be written at all.
        assert_eq!(listing(dir.path()), before, "{what}: a refused command wrote something");
    }
}

#[test]
fn diagram_flag_errors_are_blamed_on_the_flag_not_on_the_scenario_file() {
    let dir = fixture("bad-args-diagram");
    for flags in [
        &["--diagram-from-s", "1"][..],
        &["--diagram-key", "999999"],
        &["--diagram-from-s", "9", "--diagram-until-s", "10"],
    ] {
        let out = dynsim(dir.path()).args(["run", "small.json", "--out", "o"]).args(flags).output().expect("runs");
        let err = text(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{flags:?}: {err}");
        assert!(err.starts_with(&format!("error: {} ", flags[0])), "{flags:?}: {err}");
        assert!(!err.contains("small.json:"), "{flags:?}: blamed on the file: {err}");
    }
}

// ---------------------------------------------------------------------------------------------
// Seed ranges: inclusive, the same in check and sweep

#[test]
fn seed_ranges_include_their_last_seed_in_check_and_in_sweep_alike() {
    let dir = fixture("bad-args-seeds");
    for (seeds, n) in [("1..3", 3), ("1..=3", 3), ("4", 1), ("2,9", 2)] {
        let out = dynsim(dir.path()).args(["check", "small.json", "--seeds", seeds]).output().expect("runs");
        let stdout = text(&out.stdout);
        assert!(out.status.success(), "check --seeds {seeds}: {}", text(&out.stderr));
        assert!(stdout.starts_with(&format!("checked {n} seeds of small.json: {n} passed")), "check {seeds}: {stdout}");
    }
    let out = dynsim(dir.path())
        .args(["sweep", "small.json", "--grid", "R=2", "--out", "sw", "--seeds", "1..3"])
        .output()
        .expect("runs");
    let stdout = text(&out.stdout);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(stdout.contains("1 combinations (0 skipped) × 3 seeds = 3 runs"), "sweep --seeds 1..3: {stdout}");
}

// ---------------------------------------------------------------------------------------------
// A stdout the reader closes

/// Runs `dynsim args` with stdout on a pipe the test closes after reading `keep` bytes (0:
/// at once); returns the exit code and stderr.
fn with_closed_stdout(dir: &Path, args: &[&str], keep: usize) -> (Option<i32>, String) {
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_dynsim"))
        .current_dir(dir)
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("dynsim starts");
    let mut stdout = child.stdout.take().expect("piped");
    if keep > 0 {
        let mut first = vec![0u8; keep];
        stdout.read_exact(&mut first).expect("the first bytes arrive");
    }
    drop(stdout);
    let mut err = String::new();
    child.stderr.take().expect("piped").read_to_string(&mut err).expect("stderr");
    let status = child.wait().expect("dynsim ends");
    (status.code(), err)
}

#[test]
fn a_closed_stdout_ends_every_printing_command_quietly_with_exit_0() {
    let dir = fixture("bad-args-pipe");
    let commands: [&[&str]; 7] = [
        &["schema"],
        &["schema", "--markdown"],
        &["list"],
        &["validate", "small.json"],
        &["run", "small.json", "--out", "o1"],
        &["run", "small.json", "--out", "o2", "--json"],
        &["check", "small.json", "--seeds", "1..2"],
    ];
    for args in commands {
        for keep in [0, 1] {
            if keep == 1 && args[0] != "schema" && args[0] != "list" {
                continue; // reading first would just let the short output through
            }
            let (code, err) = with_closed_stdout(dir.path(), args, keep);
            assert_eq!(code, Some(0), "dynsim {args:?} (closed after {keep} bytes): {err}");
            assert!(!err.contains("panicked") && !err.contains("error"), "dynsim {args:?}: {err}");
        }
    }
    assert!(dir.path().join("o2/report.json").is_file(), "the run finished its outputs before printing");
}

#[test]
fn a_stdout_that_cannot_be_written_for_another_reason_is_an_error_with_exit_1() {
    let full = Path::new("/dev/full");
    if !full.exists() {
        eprintln!("no /dev/full here: skipped");
        return;
    }
    let dir = TempDir::new("bad-args-full");
    let sink = std::fs::OpenOptions::new().write(true).open(full).expect("/dev/full opens");
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_dynsim"))
        .current_dir(dir.path())
        .arg("list")
        .stdout(sink)
        .output()
        .expect("runs");
    let err = text(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(err.starts_with("error: writing to standard output: "), "{err}");
    assert!(!err.contains("panicked"), "{err}");
}
