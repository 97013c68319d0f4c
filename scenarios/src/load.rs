//! Loading a scenario file: parse it (unknown fields rejected), validate it, and locate every
//! problem by file, line, column and JSON path.

use crate::error::{ScenarioError, SpecError};
use crate::locate::{locate, locate_key};
use crate::spec::Scenario;
use crate::validate::validate;
use serde_json::error::Category;
use std::path::Path;

/// Reads, parses and validates the scenario at `path`.
pub fn load_path(path: &Path) -> Result<Scenario, ScenarioError> {
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

/// Parses and validates scenario text; `file` names it in errors.
pub fn load_str(text: &str, file: &Path) -> Result<Scenario, ScenarioError> {
    let s = parse(text, file)?;
    validate(&s).map_err(|problem| locate_problem(text, file, problem))?;
    Ok(s)
}

/// Parses scenario text without semantic checks.
pub fn parse(text: &str, file: &Path) -> Result<Scenario, ScenarioError> {
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
    ScenarioError { file: file.to_path_buf(), line: pos.map(|p| p.0), column: pos.map(|p| p.1), problem: Box::new(problem) }
}

fn parse_error(text: &str, file: &Path, path: String, e: serde_json::Error) -> ScenarioError {
    let full = e.to_string();
    let message = full.rsplit_once(" at line ").map_or(full.as_str(), |(m, _)| m).to_string();
    let fix = match e.classify() {
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
    let (line, column) = if message.starts_with("unknown field") {
        let key = message.split('`').nth(1).unwrap_or_default();
        let key_path = crate::error::join_path(&path, key);
        locate_key(text, &key_path).map_or((e.line(), e.column()), |p| p)
    } else {
        (e.line(), e.column())
    };
    let path = if message.starts_with("unknown field") {
        crate::error::join_path(&path, message.split('`').nth(1).unwrap_or_default())
    } else {
        path
    };
    let known = line > 0;
    ScenarioError {
        file: file.to_path_buf(),
        line: known.then_some(line),
        column: known.then_some(column),
        problem: Box::new(SpecError::new(path, message, fix)),
    }
}
