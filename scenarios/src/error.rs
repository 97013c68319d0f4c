//! Errors a scenario can have, each naming where it is and how to fix it.
//!
//! A [`SpecError`] is what validation finds: a JSON path (`workloads[0].arrival.rate_per_s`),
//! what is wrong, and how to fix it. [`ScenarioError`] adds the file and the line and column the
//! path points at, and renders as one readable block for the CLI.
//!
//! Paths are [`JsonPath`]s (field and index segments, shared with the libraries' errors), so an
//! error from deeper down is placed under its prefix without taking rendered text apart.

pub use sim_core::json_path::{JsonPath, Segment};
use std::fmt;
use std::path::PathBuf;

/// A problem at a JSON path inside a scenario.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{path}: {message}")]
pub struct SpecError {
    /// Where: a JSON path such as `dynamo.r` or `workloads[2].keys.count`.
    pub path: JsonPath,
    /// What is wrong.
    pub message: String,
    /// How to fix it.
    pub fix: String,
}

impl SpecError {
    /// A problem at `path`: a [`JsonPath`], or a path written in code such as
    /// `"cluster.nodes"` (parsed, see [`JsonPath::parse`]).
    pub fn new(path: impl Into<JsonPath>, message: impl Into<String>, fix: impl Into<String>) -> Self {
        SpecError { path: path.into(), message: message.into(), fix: fix.into() }
    }

    /// The same problem one level deeper: `prefix` is prepended to the path.
    pub fn under(mut self, prefix: impl Into<JsonPath>) -> Self {
        self.path = prefix.into().join(&self.path);
        self
    }
}

/// A `serde_path_to_error` path as a [`JsonPath`]: its segments up to the first one it cannot
/// know (a map key that is not a string).
pub fn serde_path(path: &serde_path_to_error::Path) -> JsonPath {
    use serde_path_to_error::Segment as S;
    JsonPath::from_segments(path.iter().map_while(|seg| match seg {
        S::Seq { index } => Some(Segment::Index(*index)),
        S::Map { key } | S::Enum { variant: key } => Some(Segment::Field(key.clone())),
        S::Unknown => None,
    }))
}

/// A scenario that cannot be loaded or run, located in its file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ScenarioError {
    /// The file (or `<embedded default>`).
    pub file: PathBuf,
    /// 1-based line, when known.
    pub line: Option<usize>,
    /// 1-based column, when known.
    pub column: Option<usize>,
    /// The problem (boxed: errors are rare, and a small `Result` keeps the happy path lean).
    pub problem: Box<SpecError>,
}

impl fmt::Display for ScenarioError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.file.display())?;
        if let Some(l) = self.line {
            write!(f, ":{l}")?;
            if let Some(c) = self.column {
                write!(f, ":{c}")?;
            }
        }
        let p = &self.problem;
        let path = if p.path.is_empty() { "(top level)" } else { p.path.as_str() };
        write!(f, ": error at {path}: {}", p.message)?;
        if !p.fix.is_empty() {
            write!(f, "\n  fix: {}", p.fix)?;
        }
        Ok(())
    }
}

impl std::error::Error for ScenarioError {}
