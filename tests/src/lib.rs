//! Test-only crate: see tests/tests/ for the cross-crate suites.
//!
//! This library holds what the suites share: a small, fast scenario ([`SMALL`]), a way to edit
//! one line of it ([`with_line`]), and a temporary directory that cleans up after itself
//! ([`TempDir`]).
//!
//! The `dynsim` command line is tested end to end in `scenarios/tests/cli.rs`: only the
//! package that owns the binary gets `CARGO_BIN_EXE_dynsim`, so only there is the binary
//! guaranteed to be built, and fresh, whichever `cargo test` invocation runs the tests.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

/// A valid scenario that runs in a fraction of a second: five nodes, (3,2,2), two clients at 50
/// operations per second for 3 simulated seconds (plus 1 s settle), 1% message loss, a crash
/// and a partition.
///
/// The bad-input tables edit it one line at a time and state line and column numbers against
/// this layout, so keep it byte for byte (line numbers on the right, not part of the text):
///
/// ```text
///  1 {
///  2   "name": "small",
///  3   "seed": 3,
///  4   "duration_s": 3,
///  5   "settle_s": 1,
///  6   "cluster": { "nodes": 5 },
///  7   "dynamo": { "n": 3, "r": 2, "w": 2 },
///  8   "network": { "loss": 0.01 },
///  9   "disk": { "faults": { "torn_write": 0 } },
/// 10   "workloads": [
/// 11     { "clients": 2, "arrival": { "poisson": { "rate_per_s": 50 } }, "keys": { "count": 50 } }
/// 12   ],
/// 13   "faults": [
/// 14     { "at_s": 1, "fault": { "crash": { "node": 2, "restart_after_ms": 500 } } },
/// 15     { "at_s": 2, "fault": { "partition": { "shape": { "isolate_one": { "node": 1 } } } } }
/// 16   ]
/// 17 }
/// ```
pub const SMALL: &str = r#"{
  "name": "small",
  "seed": 3,
  "duration_s": 3,
  "settle_s": 1,
  "cluster": { "nodes": 5 },
  "dynamo": { "n": 3, "r": 2, "w": 2 },
  "network": { "loss": 0.01 },
  "disk": { "faults": { "torn_write": 0 } },
  "workloads": [
    { "clients": 2, "arrival": { "poisson": { "rate_per_s": 50 } }, "keys": { "count": 50 } }
  ],
  "faults": [
    { "at_s": 1, "fault": { "crash": { "node": 2, "restart_after_ms": 500 } } },
    { "at_s": 2, "fault": { "partition": { "shape": { "isolate_one": { "node": 1 } } } } }
  ]
}
"#;

/// `text` with its 1-based line `line` replaced by `new` (which may span several lines, or be
/// empty to blank the line).
///
/// # Panics
///
/// When `text` has fewer than `line` lines: the test's fixture is wrong.
pub fn with_line(text: &str, line: usize, new: &str) -> String {
    let mut lines: Vec<&str> = text.lines().collect();
    assert!((1..=lines.len()).contains(&line), "the text has {} lines, not {line}", lines.len());
    lines[line - 1] = new;
    let mut out = lines.join("\n");
    out.push('\n');
    out
}

/// A fresh directory under the system temporary directory, removed (with everything in it) when
/// dropped.
#[derive(Debug)]
pub struct TempDir {
    path: PathBuf,
}

impl TempDir {
    /// Creates a directory whose name holds `label`, the process id and a per-process counter, so
    /// tests running in parallel (in one process or several) never share one.
    ///
    /// # Panics
    ///
    /// When the directory cannot be created.
    pub fn new(label: &str) -> TempDir {
        static NEXT: AtomicU64 = AtomicU64::new(0);
        let n = NEXT.fetch_add(1, Ordering::Relaxed);
        let path = std::env::temp_dir().join(format!("dynsim-test-{label}-{}-{n}", std::process::id()));
        let _ = std::fs::remove_dir_all(&path);
        std::fs::create_dir_all(&path).unwrap_or_else(|e| panic!("creating {}: {e}", path.display()));
        TempDir { path }
    }

    /// The directory.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Writes `text` to `name` inside the directory and returns the file's path.
    ///
    /// # Panics
    ///
    /// When the file cannot be written.
    pub fn write(&self, name: &str, text: &str) -> PathBuf {
        let file = self.path.join(name);
        std::fs::write(&file, text).unwrap_or_else(|e| panic!("writing {}: {e}", file.display()));
        file
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.path);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn with_line_replaces_exactly_one_line() {
        let edited = with_line(SMALL, 3, "  \"seed\": 4,");
        assert_eq!(edited.lines().count(), SMALL.lines().count());
        let changed: Vec<usize> =
            (0..SMALL.lines().count()).filter(|&i| SMALL.lines().nth(i) != edited.lines().nth(i)).collect();
        assert_eq!(changed, vec![2]);
        assert_eq!(with_line(SMALL, 3, "  \"seed\": 3,"), SMALL);
    }

    #[test]
    fn small_fixture_has_the_documented_layout() {
        assert_eq!(SMALL.lines().count(), 17);
        assert_eq!(SMALL.lines().nth(6), Some(r#"  "dynamo": { "n": 3, "r": 2, "w": 2 },"#));
        assert_eq!(SMALL.lines().nth(14).map(|l| l.trim_start().starts_with("{ \"at_s\": 2")), Some(true));
    }

    #[test]
    fn temp_dirs_are_distinct_and_removed_on_drop() {
        let a = TempDir::new("lib");
        let b = TempDir::new("lib");
        assert_ne!(a.path(), b.path());
        let kept = a.path().to_path_buf();
        a.write("x.json", "{}");
        assert!(kept.join("x.json").is_file());
        drop(a);
        assert!(!kept.exists());
        assert!(b.path().is_dir());
    }
}
