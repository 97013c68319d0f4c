//! The sweep grid and seed list: parsing `N=3; R=1..3; W=1..3` and `1..20`, resolving each
//! axis to a JSON path into the scenario, and enumerating the combinations in canonical order
//! (first axis outermost).
//!
//! Grammar: axes separated by `;`, each `NAME=VALUES`. `N`, `R` and `W` (or `n`, `r`, `w`) are
//! aliases for `dynamo.n`, `dynamo.r` and `dynamo.w`; any other name is a JSON path into the
//! effective scenario (`chaos.crashes.mttf_s.exponential.mean`, `workloads[0].clients`).
//! VALUES is an inclusive range `A..B`, a stepped range `A..B:STEP` (integers or decimals), or
//! a comma list whose items are JSON (`1`, `0.5`, `true`, `"x"`) or bare strings (`lww`).
//! Seeds are an inclusive range `A..B` (or `A..=B`), a comma list, or one number, parsed by
//! [`crate::seeds`] as for `dynsim check`.

use crate::error::{JsonPath, Segment};
use serde_json::Value;

/// The most values one axis may have: a guard against typos like `1..1e9` (seeds have their own
/// limit, [`crate::seeds::MAX_SEEDS`]).
pub const MAX_VALUES: usize = 100_000;

/// A grid or seed list that cannot be used, naming the axis, what is wrong and how to fix it.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("axis `{axis}`: {message}")]
pub struct GridError {
    /// The axis as written (`R`, `chaos.crashes.mttf_s`), or `seeds`, or `grid` for the whole.
    pub axis: String,
    /// What is wrong.
    pub message: String,
    /// How to fix it.
    pub fix: String,
}

impl GridError {
    fn new(axis: &str, message: impl Into<String>, fix: impl Into<String>) -> Self {
        GridError { axis: axis.to_string(), message: message.into(), fix: fix.into() }
    }
}

/// One parameter the sweep varies.
#[derive(Clone, Debug, PartialEq)]
pub struct Axis {
    /// The name as written (`R`), used in file headers and labels.
    pub name: String,
    /// The JSON path it sets (`dynamo.r`).
    pub path: String,
    /// Its values, in the order given.
    pub values: Vec<Value>,
}

/// The axes of a sweep.
#[derive(Clone, Debug, PartialEq)]
pub struct Grid {
    /// The axes, in the order given (the first is outermost in the enumeration).
    pub axes: Vec<Axis>,
}

impl Grid {
    /// Parses a grid such as `N=3; R=1..3; W=1..3`.
    pub fn parse(text: &str) -> Result<Grid, GridError> {
        let mut axes: Vec<Axis> = Vec::new();
        for part in text.split(';').map(str::trim).filter(|p| !p.is_empty()) {
            let axis = parse_axis(part)?;
            if let Some(prev) = axes.iter().find(|a| a.path == axis.path) {
                let msg = format!("sets `{}`, which axis `{}` already sets", axis.path, prev.name);
                return Err(GridError::new(&axis.name, msg, "give each parameter one axis"));
            }
            axes.push(axis);
        }
        if axes.is_empty() {
            return Err(GridError::new(
                "grid",
                "the grid has no axes",
                "write axes as NAME=VALUES separated by `;`, e.g. 'N=3; R=1..3; W=1..3'",
            ));
        }
        Ok(Grid { axes })
    }

    /// The number of combinations.
    pub fn combinations(&self) -> usize {
        self.axes.iter().fold(1usize, |n, a| n.saturating_mul(a.values.len()))
    }

    /// The values of combination `i` (first axis outermost), one per axis.
    pub fn combination(&self, mut i: usize) -> Vec<Value> {
        let mut out = vec![Value::Null; self.axes.len()];
        for (slot, axis) in out.iter_mut().zip(&self.axes).rev() {
            *slot = axis.values[i % axis.values.len()].clone();
            i /= axis.values.len();
        }
        out
    }

    /// A canonical text of the grid (names, paths and values), for fingerprints.
    pub fn canonical(&self) -> String {
        let axes: Vec<String> =
            self.axes.iter().map(|a| format!("{}={}={}", a.name, a.path, Value::Array(a.values.clone()))).collect();
        axes.join(";")
    }
}

fn parse_axis(part: &str) -> Result<Axis, GridError> {
    let Some((name, values)) = part.split_once('=') else {
        return Err(GridError::new(part, "has no `=`", "write the axis as NAME=VALUES, e.g. R=1..3"));
    };
    let (name, values) = (name.trim(), values.trim());
    if name.is_empty() {
        return Err(GridError::new(
            part,
            "has no name before `=`",
            "name a parameter: N, R, W or a JSON path such as dynamo.request_timeout_ms",
        ));
    }
    let path = match name {
        "N" | "n" => "dynamo.n".to_string(),
        "R" | "r" => "dynamo.r".to_string(),
        "W" | "w" => "dynamo.w".to_string(),
        _ => name.to_string(),
    };
    let values = parse_values(name, values)?;
    Ok(Axis { name: name.to_string(), path, values })
}

/// Parses an axis's values: a range, a stepped range or a comma list.
fn parse_values(axis: &str, text: &str) -> Result<Vec<Value>, GridError> {
    if text.is_empty() {
        return Err(GridError::new(
            axis,
            "has no values",
            "give values after `=`: a range 1..3, a stepped range 0..100:25, or a list 1,2,5",
        ));
    }
    let values = match text.split_once("..") {
        Some((a, rest)) if !text.contains(',') => {
            let (b, step) = rest.split_once(':').map_or((rest, None), |(b, s)| (b, Some(s)));
            range(axis, a.trim(), b.trim(), step.map(str::trim))?
        }
        _ => text.split(',').map(|item| item_value(axis, item.trim())).collect::<Result<_, _>>()?,
    };
    if values.len() > MAX_VALUES {
        return Err(GridError::new(
            axis,
            format!("has {} values, more than {MAX_VALUES}", values.len()),
            "use a coarser step",
        ));
    }
    Ok(values)
}

fn item_value(axis: &str, item: &str) -> Result<Value, GridError> {
    if item.is_empty() {
        return Err(GridError::new(axis, "has an empty item in its list", "remove the doubled or trailing comma"));
    }
    Ok(serde_json::from_str::<Value>(item).unwrap_or_else(|_| Value::String(item.to_string())))
}

/// An inclusive range: integers when every bound is an integer, else decimals rounded to the
/// bounds' and step's precision (so `0.1..0.3:0.1` is exactly 0.1, 0.2, 0.3).
fn range(axis: &str, a: &str, b: &str, step: Option<&str>) -> Result<Vec<Value>, GridError> {
    let fix = "write an inclusive range A..B or A..B:STEP with numbers A <= B and STEP > 0, e.g. 1..3 or 0.5..2:0.5";
    let num = |s: &str| s.parse::<f64>().ok().filter(|x| x.is_finite());
    let (Some(lo), Some(hi)) = (num(a), num(b)) else {
        return Err(GridError::new(axis, format!("`{a}..{b}` is not a range of numbers"), fix));
    };
    let step_text = step.unwrap_or("1");
    let Some(dx) = num(step_text).filter(|d| *d > 0.0) else {
        return Err(GridError::new(axis, format!("the step `{step_text}` is not a number > 0"), fix));
    };
    if lo > hi {
        return Err(GridError::new(axis, format!("the range {a}..{b} is empty (its start is above its end)"), fix));
    }
    let count = ((hi - lo) / dx + 1e-9).floor() as usize + 1;
    if count > MAX_VALUES {
        return Err(GridError::new(
            axis,
            format!("the range has {count} values, more than {MAX_VALUES}"),
            "use a coarser step",
        ));
    }
    let decimals = [a, b, step_text].iter().map(|s| s.split_once('.').map_or(0, |(_, f)| f.len())).max().unwrap_or(0);
    let integral = [a, b, step_text].iter().all(|s| s.parse::<i64>().is_ok());
    Ok((0..count)
        .map(|i| {
            let x = lo + i as f64 * dx;
            if integral { Value::from(x.round() as i64) } else { Value::from(round_to(x, decimals as i32)) }
        })
        .collect())
}

fn round_to(x: f64, decimals: i32) -> f64 {
    let p = 10f64.powi(decimals.min(12));
    (x * p).round() / p
}

/// Parses a seed list with the shared syntax of [`crate::seeds`] (`A..B` and `A..=B` both
/// inclusive, `a,b,c`, or one number; at most [`crate::seeds::MAX_SEEDS`]) and lists the seeds.
pub fn parse_seeds(text: &str) -> Result<Vec<u64>, GridError> {
    let set = crate::seeds::SeedSet::parse(text).map_err(|e| GridError::new("seeds", e.message, e.fix))?;
    Ok(set.iter().collect())
}

/// Checks that `path` leads to an existing field of the effective scenario `base`.
pub fn check_path(axis: &Axis, base: &Value) -> Result<(), GridError> {
    let mut here = base;
    let mut walked = JsonPath::root();
    for seg in JsonPath::parse(&axis.path).segments() {
        here = step(axis, here, seg, &walked)?;
        walked.push(seg.clone());
    }
    Ok(())
}

fn step<'a>(axis: &Axis, here: &'a Value, seg: &Segment, walked: &JsonPath) -> Result<&'a Value, GridError> {
    let at = if walked.is_empty() { "the scenario".to_string() } else { format!("`{walked}`") };
    match (here, seg) {
        (Value::Object(m), Segment::Field(k)) => m.get(k).ok_or_else(|| {
            let keys: Vec<&str> = m.keys().map(String::as_str).collect();
            GridError::new(
                &axis.name,
                format!("`{}`: {at} has no field `{k}`", axis.path),
                format!("use one of its fields: {}; `dynsim schema` documents them", keys.join(", ")),
            )
        }),
        (Value::Array(v), Segment::Index(i)) => v.get(*i).ok_or_else(|| {
            GridError::new(
                &axis.name,
                format!("`{}`: {at} has {} entries, so [{i}] does not exist", axis.path, v.len()),
                "use an index below the number of entries",
            )
        }),
        (Value::Null, _) => Err(GridError::new(
            &axis.name,
            format!("`{}`: {at} is not set in this scenario, so nothing under it can vary", axis.path),
            format!("add {at} to the scenario file first, with any value the sweep will then replace"),
        )),
        _ => Err(GridError::new(
            &axis.name,
            format!("`{}`: {at} is {}, not an object or a list", axis.path, kind(here)),
            "stop the path at this field, or fix its spelling",
        )),
    }
}

fn kind(v: &Value) -> &'static str {
    match v {
        Value::Object(_) => "an object",
        Value::Array(_) => "a list",
        Value::String(_) => "a string",
        Value::Number(_) => "a number",
        Value::Bool(_) => "a boolean",
        Value::Null => "null",
    }
}

/// Sets the value at `path` (which [`check_path`] accepted) inside `v`.
pub fn set_path(v: &mut Value, path: &str, value: Value) {
    let mut here = v;
    for seg in JsonPath::parse(path).segments() {
        here = match seg {
            Segment::Field(k) => &mut here[k.as_str()],
            Segment::Index(i) => &mut here[*i],
        };
    }
    *here = value;
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn aliases_ranges_steps_and_lists_parse_in_order() {
        let g =
            Grid::parse("N=3; R=1..3; W = 1,2 ; chaos.start_s=0..10:5; x=0.1..0.3:0.1; v=lww,\"a b\",true").unwrap();
        let paths: Vec<&str> = g.axes.iter().map(|a| a.path.as_str()).collect();
        assert_eq!(paths, ["dynamo.n", "dynamo.r", "dynamo.w", "chaos.start_s", "x", "v"]);
        assert_eq!(g.axes[1].values, [json!(1), json!(2), json!(3)]);
        assert_eq!(g.axes[3].values, [json!(0), json!(5), json!(10)]);
        assert_eq!(g.axes[4].values, [json!(0.1), json!(0.2), json!(0.3)], "decimal steps do not drift");
        assert_eq!(g.axes[5].values, [json!("lww"), json!("a b"), json!(true)]);
    }

    #[test]
    fn combinations_enumerate_first_axis_outermost() {
        let g = Grid::parse("R=1..2; W=1..3").unwrap();
        assert_eq!(g.combinations(), 6);
        assert_eq!(g.combination(0), [json!(1), json!(1)]);
        assert_eq!(g.combination(2), [json!(1), json!(3)]);
        assert_eq!(g.combination(3), [json!(2), json!(1)]);
    }

    #[test]
    fn bad_grids_name_the_axis_and_the_problem() {
        let cases = [
            ("R=3..1", "R", "is empty"),
            ("R=1..x", "R", "not a range of numbers"),
            ("R=1..5:0", "R", "not a number > 0"),
            ("R", "R", "has no `=`"),
            ("=3", "=3", "has no name"),
            ("W=", "W", "has no values"),
            ("W=1,,2", "W", "empty item"),
            ("R=1; dynamo.r=2", "dynamo.r", "already sets"),
            (" ; ", "grid", "no axes"),
            ("R=1..1000000", "R", "more than 100000"),
        ];
        for (text, axis, says) in cases {
            let e = Grid::parse(text).expect_err(text);
            assert_eq!(e.axis, axis, "{text}");
            assert!(e.message.contains(says), "{text}: {}", e.message);
            assert!(!e.fix.is_empty(), "{text}: a fix is given");
        }
    }

    #[test]
    fn seeds_are_inclusive_ranges_or_lists_without_repeats() {
        assert_eq!(parse_seeds("1..3").unwrap(), [1, 2, 3]);
        assert_eq!(parse_seeds("1..=3").unwrap(), [1, 2, 3]);
        assert_eq!(parse_seeds("7,2").unwrap(), [7, 2]);
        assert_eq!(parse_seeds("5").unwrap(), [5]);
        assert!(parse_seeds("3..1").unwrap_err().message.contains("empty"));
        assert!(parse_seeds("1,1").unwrap_err().message.contains("twice"));
        assert!(parse_seeds("0..1000000").unwrap_err().message.contains("more than the 1000000"));
        assert!(parse_seeds("a").unwrap_err().message.contains("not a seed"));
    }

    #[test]
    fn paths_are_checked_against_the_scenario_with_a_useful_message() {
        let base = json!({"dynamo": {"n": 3}, "chaos": {"crashes": null}, "workloads": [{"clients": 1}]});
        let axis = |p: &str| Axis { name: p.into(), path: p.into(), values: vec![] };
        assert!(check_path(&axis("dynamo.n"), &base).is_ok());
        assert!(check_path(&axis("workloads[0].clients"), &base).is_ok());
        let e = check_path(&axis("dynamo.q"), &base).unwrap_err();
        assert!(e.message.contains("`dynamo` has no field `q`") && e.fix.contains("n"), "{e:?}");
        let e = check_path(&axis("chaos.crashes.mttf_s"), &base).unwrap_err();
        assert!(e.message.contains("`chaos.crashes` is not set"), "{e:?}");
        let e = check_path(&axis("workloads[3].clients"), &base).unwrap_err();
        assert!(e.message.contains("has 1 entries"), "{e:?}");
        let e = check_path(&axis("dynamo.n.x"), &base).unwrap_err();
        assert!(e.message.contains("is a number"), "{e:?}");
    }

    #[test]
    fn set_path_replaces_exactly_one_value() {
        let mut v = json!({"a": [{"b": 1}, {"b": 2}]});
        set_path(&mut v, "a[1].b", json!(5));
        assert_eq!(v, json!({"a": [{"b": 1}, {"b": 5}]}));
    }
}
