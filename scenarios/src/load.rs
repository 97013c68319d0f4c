//! Loading a scenario file: read it (at most [`MAX_SCENARIO_BYTES`], UTF-8 only), parse it
//! strictly (unknown fields, duplicate keys and arrays in place of objects rejected), check it
//! ([`crate::checked`]), and locate every problem by file, line, column and JSON path.

use crate::checked::{self, Budget, CheckedScenario};
use crate::error::{JsonPath, ScenarioError, Segment, SpecError, serde_path};
use crate::locate::{locate, locate_key};
use crate::spec::Scenario;
use crate::strict;
use serde_json::error::Category;
use std::io::Read;
use std::path::Path;

/// The largest scenario dynsim reads, in bytes: 4 MiB. The shipped scenarios are a few
/// kilobytes, so a bigger file is the wrong file (or a device such as `/dev/zero`); it is
/// refused before parsing, after reading at most one byte more than this.
pub const MAX_SCENARIO_BYTES: usize = 4 * 1024 * 1024;

/// Reads the scenario file at `path` as text: at most [`MAX_SCENARIO_BYTES`] (plus the one byte
/// that shows a file is too large), which must be UTF-8 (a byte order mark is kept; parsing
/// skips it). A UTF-16 or UTF-32 file, invalid UTF-8 and NUL bytes are refused with where they
/// are (see [`strict::decode`]).
pub fn read_source(path: &Path) -> Result<String, ScenarioError> {
    let unreadable = |e: std::io::Error| {
        whole_file_error(
            path,
            format!("cannot read the file: {e}"),
            "give a scenario file path, or a shipped name from `dynsim list`",
        )
    };
    let file = std::fs::File::open(path).map_err(unreadable)?;
    let mut bytes = Vec::new();
    file.take(MAX_SCENARIO_BYTES as u64 + 1).read_to_end(&mut bytes).map_err(unreadable)?;
    if bytes.len() > MAX_SCENARIO_BYTES {
        return Err(too_large(path));
    }
    strict::decode(bytes).map_err(|p| strict_error(path, p))
}

/// Reads, parses and checks the scenario at `path` under the default budget.
pub fn load_path(path: &Path) -> Result<CheckedScenario, ScenarioError> {
    let text = read_source(path)?;
    load_str(&text, path)
}

/// Parses and checks scenario text under the default budget; `file` names it in errors.
pub fn load_str(text: &str, file: &Path) -> Result<CheckedScenario, ScenarioError> {
    load_str_with(text, file, &Budget::default())
}

/// Parses and checks scenario text under `budget`; `file` names it in errors.
pub fn load_str_with(text: &str, file: &Path, budget: &Budget) -> Result<CheckedScenario, ScenarioError> {
    let s = parse(text, file)?;
    checked::check(s, budget).map_err(|problem| locate_problem(text, file, problem))
}

/// Parses scenario text without semantic checks.
///
/// Beyond what `serde_json` checks, the text must hold at most [`MAX_SCENARIO_BYTES`], no
/// object may repeat a key, nesting is capped at [`strict::MAX_DEPTH`], and no array may stand
/// where an object belongs (see [`strict`]).
pub fn parse(text: &str, file: &Path) -> Result<Scenario, ScenarioError> {
    // A UTF-8 byte order mark (some editors write one) is not JSON; `locate` skips it too, so
    // positions agree.
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    if text.len() > MAX_SCENARIO_BYTES {
        return Err(too_large(file));
    }
    strict::check_keys(text).map_err(|p| strict_error(file, p))?;
    let mut de = serde_json::Deserializer::from_str(text);
    let parsed: Result<Scenario, _> = serde_path_to_error::deserialize(&mut de);
    let s = parsed.map_err(|e| {
        let path = serde_path(e.path());
        let e = e.into_inner();
        let array = (e.classify() == Category::Data).then(|| strict::array_for_object::<Scenario>(text, &path));
        match array.flatten() {
            Some(problem) => strict_error(file, problem),
            None => parse_error(text, file, path, e),
        }
    })?;
    de.end().map_err(|e| parse_error(text, file, JsonPath::root(), e))?;
    strict::check_objects(text, &s).map_err(|p| strict_error(file, p))?;
    Ok(s)
}

/// A problem with the file as a whole (no line or column).
fn whole_file_error(file: &Path, message: String, fix: &str) -> ScenarioError {
    ScenarioError {
        file: file.to_path_buf(),
        line: None,
        column: None,
        problem: Box::new(SpecError::new("", message, fix)),
    }
}

/// The error for a file over [`MAX_SCENARIO_BYTES`].
fn too_large(file: &Path) -> ScenarioError {
    whole_file_error(
        file,
        format!(
            "the file is larger than {} MiB ({MAX_SCENARIO_BYTES} bytes), the most a scenario may hold",
            MAX_SCENARIO_BYTES / (1024 * 1024)
        ),
        "a scenario is a few kilobytes of JSON: check that this is the right file",
    )
}

/// A [`strict::Problem`] placed in `file`.
fn strict_error(file: &Path, p: strict::Problem) -> ScenarioError {
    ScenarioError {
        file: file.to_path_buf(),
        line: p.at.map(|at| at.0),
        column: p.at.map(|at| at.1),
        problem: Box::new(p.error),
    }
}

/// Places a semantic problem in the file.
pub fn locate_problem(text: &str, file: &Path, problem: SpecError) -> ScenarioError {
    let pos = locate(text, &problem.path);
    ScenarioError {
        file: file.to_path_buf(),
        line: pos.map(|p| p.0),
        column: pos.map(|p| p.1),
        problem: Box::new(problem),
    }
}

fn parse_error(text: &str, file: &Path, path: JsonPath, e: serde_json::Error) -> ScenarioError {
    let full = e.to_string();
    let message = full.rsplit_once(" at line ").map_or(full.as_str(), |(m, _)| m).to_string();
    let fix = match e.classify() {
        Category::Syntax if message.starts_with("number out of range") => {
            "use a smaller number: this one does not fit the field's type"
        }
        Category::Syntax => "fix the JSON syntax: look for a missing comma, quote, colon or bracket here",
        Category::Eof => "the file ends too early: close every open { and [",
        Category::Io => "check that the file is readable UTF-8",
        Category::Data if message.starts_with("unknown field") => {
            "remove this field or fix its spelling; `dynsim schema` lists every field"
        }
        Category::Data if message.starts_with("missing field") => "add the missing field; `dynsim schema` documents it",
        Category::Data if message.starts_with("unknown variant") => "use one of the variants the message lists",
        Category::Data => "give this field a value of the type the message names",
    };
    let unknown_key = message.strip_prefix("unknown field `").and_then(|rest| rest.split('`').next());
    let (path, (line, column)) = match unknown_key {
        Some(key) => {
            // The path usually ends with the unknown key already; point at the key itself.
            let key_path = match path.segments().last() {
                Some(Segment::Field(last)) if last == key => path,
                _ => path.field(key),
            };
            let pos = locate_key(text, &key_path).unwrap_or((e.line(), e.column()));
            (key_path, pos)
        }
        // serde_json stops at the end of a bad value, or just before a `{` or `[` it refuses:
        // point at the start of the value instead (when the path leads to one before that).
        None if ["invalid type", "invalid value", "invalid length", "number out of range"]
            .iter()
            .any(|m| message.starts_with(m)) =>
        {
            let start = locate(text, &path).filter(|&p| p <= (e.line(), e.column() + 1));
            (path, start.unwrap_or((e.line(), e.column())))
        }
        None => (path, (e.line(), e.column())),
    };
    // serde_json reports column 0 when the error is at the very start of a line (an empty file).
    let column = column.max(1);
    let known = line > 0;
    ScenarioError {
        file: file.to_path_buf(),
        line: known.then_some(line),
        column: known.then_some(column),
        problem: Box::new(SpecError::new(path, message, fix)),
    }
}
