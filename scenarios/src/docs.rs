//! The scenario reference page (`docs/scenario-reference.md`), generated from the JSON Schema
//! so it can never drift from the types, with how processes are numbered
//! ([`crate::assemble::PROCESS_NUMBERS`]) after the top level and the limits table
//! ([`crate::limits`]) at the end:
//! `dynsim schema --markdown` prints it, and a test checks the committed page equals the output.

use crate::spec::Scenario;
use serde_json::{Map, Value};
use std::fmt::Write;

/// The reference page in Markdown.
pub fn reference_markdown() -> String {
    let schema = serde_json::to_value(schemars::schema_for!(Scenario)).unwrap_or_default();
    let mut out = String::new();
    out.push_str("# Scenario reference\n\n");
    out.push_str("Generated from the JSON Schema (`dynsim schema --markdown`); do not edit by hand.\n");
    out.push_str("Every field, its type, its default and what it means. Unknown fields are rejected.\n\n");
    section(&mut out, "Scenario (top level)", &schema);
    let _ = writeln!(out, "## Process numbers\n\n{}\n", crate::assemble::PROCESS_NUMBERS);
    if let Some(defs) = schema.get("$defs").and_then(Value::as_object) {
        for (name, def) in defs {
            section(&mut out, name, def);
        }
    }
    out.push_str(&crate::limits::limits_markdown());
    out
}

fn section(out: &mut String, name: &str, def: &Value) {
    let _ = writeln!(out, "## {name}\n");
    if let Some(d) = def.get("description").and_then(Value::as_str) {
        let _ = writeln!(out, "{}\n", one_paragraph(d));
    }
    if let Some(props) = def.get("properties").and_then(Value::as_object) {
        fields_table(out, props, required(def));
    }
    if let Some(variants) = def.get("oneOf").and_then(Value::as_array) {
        let _ = writeln!(out, "One of:\n");
        for v in variants {
            variant(out, v);
        }
        out.push('\n');
    }
    if let Some(values) = def.get("enum").and_then(Value::as_array) {
        let names: Vec<String> = values.iter().map(|v| format!("`{v}`")).collect();
        let _ = writeln!(out, "One of: {}\n", names.join(", "));
    }
}

fn required(def: &Value) -> Vec<String> {
    def.get("required")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
        .map(String::from)
        .collect()
}

fn fields_table(out: &mut String, props: &Map<String, Value>, required: Vec<String>) {
    out.push_str("| field | type | default | meaning |\n|---|---|---|---|\n");
    for (field, p) in props {
        let default = match p.get("default") {
            Some(d) => format!("`{d}`"),
            None if required.contains(field) => "required".to_string(),
            None => "—".to_string(),
        };
        let desc = p.get("description").and_then(Value::as_str).map(one_paragraph).unwrap_or_default();
        let _ = writeln!(out, "| `{field}` | {} | {} | {} |", type_of(p), cell(&default), cell(&desc));
    }
    out.push('\n');
}

fn variant(out: &mut String, v: &Value) {
    let desc = v.get("description").and_then(Value::as_str).map(one_paragraph).unwrap_or_default();
    if let Some(c) = v.get("const").or_else(|| v.get("enum").and_then(|e| e.get(0))) {
        let _ = writeln!(out, "- `{c}`: {desc}");
        return;
    }
    let Some(props) = v.get("properties").and_then(Value::as_object) else {
        let _ = writeln!(out, "- {desc}");
        return;
    };
    if let Some((tag, name)) = internal_tag(props) {
        // `#[serde(tag = "...")]`: the tag is a field beside the variant's own fields.
        let _ = writeln!(out, "- `\"{tag}\": \"{name}\"`: {desc}");
        variant_fields(out, props.iter().filter(|(f, _)| *f != tag), &required(v));
        return;
    }
    for (tag, body) in props {
        let _ = writeln!(out, "- `{tag}`: {desc}");
        if let Some(inner) = body.get("properties").and_then(Value::as_object) {
            variant_fields(out, inner.iter(), &required(body));
        }
    }
}

/// The internally tagged variant's tag field and its value: the one property that is a
/// constant string (schemars writes `"kind": {"const": "random_tokens"}`).
fn internal_tag(props: &Map<String, Value>) -> Option<(&str, &str)> {
    props.iter().find_map(|(field, p)| {
        let name =
            p.get("const").or_else(|| p.get("enum").filter(|e| e.as_array().is_some_and(|a| a.len() == 1))?.get(0));
        Some((field.as_str(), name?.as_str()?))
    })
}

/// A variant's fields as sub-items: name, type, whether required, meaning.
fn variant_fields<'a>(out: &mut String, fields: impl Iterator<Item = (&'a String, &'a Value)>, req: &[String]) {
    for (field, p) in fields {
        let d = p.get("description").and_then(Value::as_str).map(one_paragraph).unwrap_or_default();
        let flag = if req.contains(field) { "required" } else { "optional" };
        let _ = writeln!(out, "  - `{field}` ({}, {flag}): {d}", type_of(p));
    }
}

fn type_of(p: &Value) -> String {
    if let Some(r) = p.get("$ref").and_then(Value::as_str) {
        let name = r.rsplit('/').next().unwrap_or(r);
        return format!("[{name}](#{})", name.to_lowercase());
    }
    if let Some(items) = p.get("items") {
        return format!("list of {}", type_of(items));
    }
    if let Some(add) = p.get("additionalProperties").filter(|a| a.is_object()) {
        return format!("map of {}", type_of(add));
    }
    match p.get("type") {
        Some(Value::String(t)) => t.clone(),
        Some(Value::Array(ts)) => ts.iter().filter_map(Value::as_str).collect::<Vec<_>>().join(" or "),
        _ => p
            .get("anyOf")
            .or_else(|| p.get("oneOf"))
            .and_then(Value::as_array)
            .map_or("value".into(), |alts| alts.iter().map(type_of).collect::<Vec<_>>().join(" or ")),
    }
}

fn one_paragraph(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn cell(s: &str) -> String {
    s.replace('|', "\\|")
}

#[cfg(test)]
mod tests {
    /// An internally tagged enum (`PartitionStrategy`, `#[serde(tag = "kind")]`) lists each
    /// variant once, by its tag value, with its own fields under it (not the tag and every
    /// field as if each were a variant).
    #[test]
    fn an_internally_tagged_variant_is_listed_once_with_its_fields() {
        let page = super::reference_markdown();
        let at = page.find("## PartitionStrategy").expect("the section");
        let sec = &page[at..at + page[at..].find("\n## ").expect("a next section")];
        let variants: Vec<&str> = sec.lines().filter(|l| l.starts_with("- ")).collect();
        assert_eq!(variants.len(), 3, "{sec}");
        assert!(variants[0].starts_with("- `\"kind\": \"random_tokens\"`: Strategy 1"), "{sec}");
        assert!(sec.contains("  - `tokens_per_node` (integer, required): T, scaled by each node's capacity."), "{sec}");
        assert!(sec.contains("- `\"kind\": \"equal_partitions\"`: Strategy 3"), "{sec}");
        assert!(!sec.contains("  - `kind`"), "the tag is not a field of its own: {sec}");
    }

    /// The committed reference page must equal what the types generate. To refresh it after
    /// changing a field: `cargo run --release -- schema --markdown > docs/scenario-reference.md`.
    #[test]
    fn committed_reference_page_matches_the_schema() {
        let committed = include_str!("../../docs/scenario-reference.md");
        let generated = super::reference_markdown();
        assert!(
            committed == generated,
            "docs/scenario-reference.md is stale: run `cargo run --release -- schema --markdown > docs/scenario-reference.md`"
        );
    }
}
