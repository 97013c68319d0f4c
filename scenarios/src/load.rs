//! Loading a scenario file: parse it (unknown fields rejected), check it ([`crate::checked`]), and locate every
//! problem by file, line, column and JSON path.

use crate::checked::{self, Budget, CheckedScenario};
use crate::error::{ScenarioError, SpecError};
use crate::locate::{locate, locate_key};
use crate::spec::Scenario;
use serde_json::error::Category;
use std::path::Path;

/// Reads, parses and checks the scenario at `path` under the default budget.
pub fn load_path(path: &Path) -> Result<CheckedScenario, ScenarioError> {
    let text = std::fs::read_to_string(path).map_err(|e| ScenarioError {
        file: path.to_path_buf(),
        line: None,
        column: None,
        problem: Box::new(SpecError::new(
            "",
            format!("cannot read the file: {e}"),
            "check the path; `dynsim list` shows the shipped scenarios",
        )),
    })?;
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
pub fn parse(text: &str, file: &Path) -> Result<Scenario, ScenarioError> {
    // A UTF-8 byte order mark (some editors write one) is not JSON; `locate` skips it too, so
    // positions agree.
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut de = serde_json::Deserializer::from_str(text);
    let parsed: Result<Scenario, _> = serde_path_to_error::deserialize(&mut de);
    let s = parsed.map_err(|e| {
        let path = e.path().to_string();
        let path = if path == "." { String::new() } else { path };
        parse_error(text, file, path, e.into_inner())
    })?;
    de.end().map_err(|e| parse_error(text, file, String::new(), e))?;
    Ok(s)
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

fn parse_error(text: &str, file: &Path, path: String, e: serde_json::Error) -> ScenarioError {
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
    // `serde_path_to_error` names a segment it cannot know (between keys, say) `?`: keep the
    // known part of the path.
    let path = path.split('.').take_while(|seg| *seg != "?").collect::<Vec<_>>().join(".");
    let unknown_key = message.strip_prefix("unknown field `").and_then(|rest| rest.split('`').next());
    let (path, (line, column)) = match unknown_key {
        Some(key) => {
            // The path usually ends with the unknown key already; point at the key itself.
            let key_path = if path == key || path.ends_with(&format!(".{key}")) {
                path
            } else {
                crate::error::join_path(&path, key)
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
