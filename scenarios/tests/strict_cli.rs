//! Strict input on the command line: `dynsim validate` refuses a duplicate key and an endless
//! file with exit code 2, a located message on stderr and nothing on stdout. The in-process
//! cases are `tests/tests/strict_input.rs`; this file lives in the `scenarios` package because
//! only it gets `CARGO_BIN_EXE_dynsim` (see `cli.rs`).

use assert_cmd::Command;
use tests::{SMALL, TempDir, with_line};

/// `dynsim validate ARG`, run inside `dir`: exit code, stdout, stderr.
fn validate(dir: &TempDir, arg: &std::path::Path) -> (Option<i32>, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_dynsim"))
        .current_dir(dir.path())
        .arg("validate")
        .arg(arg)
        .output()
        .expect("dynsim runs");
    let text = |b: &[u8]| String::from_utf8_lossy(b).into_owned();
    (out.status.code(), text(&out.stdout), text(&out.stderr))
}

#[test]
fn validate_exits_2_on_a_duplicate_capacity_naming_both_places() {
    let dir = TempDir::new("strict-cli-dup");
    let line6 = r#"  "cluster": { "nodes": 5, "capacities": { "2": 1.5, "2": 3 } },"#;
    let bad = dir.write("bad.json", &with_line(SMALL, 6, line6));
    let (code, stdout, stderr) = validate(&dir, &bad);
    assert_eq!(code, Some(2), "{stderr}");
    assert!(stdout.is_empty(), "stdout: {stdout}");
    let expected = format!(
        "error: {}:6:54: error at cluster.capacities.2: duplicate key \"2\" (first at line 6, column 44)",
        bad.display()
    );
    assert!(stderr.starts_with(&expected), "{stderr}");
    assert!(stderr.contains("\n  fix: "), "{stderr}");
    // The same file without the repeat is valid.
    let good = dir.write("good.json", &with_line(SMALL, 6, &line6.replace(r#""2": 3"#, r#""3": 3"#)));
    let (code, _, stderr) = validate(&dir, &good);
    assert_eq!(code, Some(0), "{stderr}");
}

#[cfg(target_os = "linux")]
#[test]
fn validate_of_dev_zero_stops_at_the_size_limit_with_exit_2() {
    let dir = TempDir::new("strict-cli-zero");
    let (code, stdout, stderr) = validate(&dir, std::path::Path::new("/dev/zero"));
    assert_eq!(code, Some(2), "{stderr}");
    assert!(stdout.is_empty(), "stdout: {stdout}");
    assert!(stderr.starts_with("error: /dev/zero: error at (top level): the file is larger than 4 MiB"), "{stderr}");
}
