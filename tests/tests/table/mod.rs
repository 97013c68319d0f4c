//! The bad-input tables' shared machinery (`mod table;` in `bad_input.rs` and `strict_input.rs`): a case (a scenario text and where and how it must be
//! refused), a way to make one by editing a line of [`tests::SMALL`], and a runner that checks
//! every case through `load::load_str` (what every command does) and fails with every mismatch
//! at once.

use scenarios::error::ScenarioError;
use scenarios::load;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::Path;
use tests::{SMALL, with_line};

/// The file name the tables' errors name.
pub const FILE: &str = "bad.json";

/// One malformed scenario and where and how it must be reported.
pub struct Case {
    /// What is wrong, for failure messages.
    pub name: &'static str,
    /// The whole scenario text.
    pub text: String,
    /// Expected 1-based line and column.
    pub at: (usize, usize),
    /// Expected JSON path ("" for the top level).
    pub path: String,
    /// A fragment the message must contain.
    pub message: &'static str,
}

/// A case made by replacing line `line` of [`SMALL`] with `new`.
pub fn edit(name: &'static str, line: usize, new: &str, at: (usize, usize), path: &str, message: &'static str) -> Case {
    Case { name, text: with_line(SMALL, line, new), at, path: path.to_string(), message }
}

/// Loads and checks `text` as `dynsim validate` does (`load_str` ends in `checked::check`).
pub fn check_scenario(text: &str) -> Result<(), ScenarioError> {
    load::load_str(text, Path::new(FILE)).map(drop)
}

/// Runs every case (each under `catch_unwind`, so one panic does not hide the others) and fails
/// with every mismatch at once.
///
/// # Panics
///
/// When any case is accepted, panics, or is refused elsewhere or otherwise than it states.
pub fn run_table(cases: &[Case]) {
    let mut failures = Vec::new();
    for case in cases {
        let problem = match catch_unwind(AssertUnwindSafe(|| check_scenario(&case.text))) {
            Err(_) => Some("panicked".to_string()),
            Ok(Ok(())) => Some("was accepted".to_string()),
            Ok(Err(e)) => mismatch(case, &e),
        };
        if let Some(p) = problem {
            failures.push(format!("{}: {p}", case.name));
        }
    }
    assert!(failures.is_empty(), "{} of {} cases failed:\n{}", failures.len(), cases.len(), failures.join("\n"));
}

/// What is wrong with how `e` reports `case`, if anything.
fn mismatch(case: &Case, e: &ScenarioError) -> Option<String> {
    let got = (e.line, e.column, e.problem.path.as_str());
    let want = (Some(case.at.0), Some(case.at.1), case.path.as_str());
    if got != want {
        return Some(format!("expected {want:?}, got {got:?}: {e}"));
    }
    if !e.problem.message.contains(case.message) {
        return Some(format!("message {:?} lacks {:?}", e.problem.message, case.message));
    }
    if e.problem.fix.trim().is_empty() {
        return Some(format!("no fix is suggested: {e}"));
    }
    let shown = if case.path.is_empty() { "(top level)" } else { case.path.as_str() };
    let head = format!("{FILE}:{}:{}: error at {shown}: ", case.at.0, case.at.1);
    let rendered = e.to_string();
    if !rendered.starts_with(&head) || !rendered.contains("\n  fix: ") {
        return Some(format!("renders as {rendered:?}, expected it to start with {head:?} and hold a fix line"));
    }
    None
}
