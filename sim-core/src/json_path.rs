//! JSON paths: where a value sits inside a configuration, as field and index segments.
//!
//! Errors about configuration name the value at fault with a [`JsonPath`] instead of a
//! rendered string, so a caller can place the error under its own prefix
//! ([`JsonPath::join`]) or walk to the value in the file without parsing text. A path renders
//! as `workloads[2].keys.count` (the empty path, the top level, renders as nothing). Map keys
//! such as `clocks.1` are field segments.

use serde::{Serialize, Serializer};
use std::fmt::{self, Write as _};

/// One step of a [`JsonPath`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Segment {
    /// An object member (a struct field or a map key), by name.
    Field(String),
    /// An array element, by 0-based index.
    Index(usize),
}

/// A path from the root of a JSON value to a value inside it.
///
/// Build one from segments ([`JsonPath::root`], [`field`](JsonPath::field),
/// [`index`](JsonPath::index)); `From<&str>` parses a path written in code, such as
/// `"cluster.nodes"`. The rendering is kept beside the segments, so [`as_str`](JsonPath::as_str)
/// costs nothing. Both sit behind one pointer (none for the top level), so errors that hold a
/// path stay small.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct JsonPath {
    /// `None` exactly when the path is empty.
    inner: Option<Box<Inner>>,
}

/// The segments of a non-empty [`JsonPath`] and their rendering.
#[derive(Clone, Default, PartialEq, Eq)]
struct Inner {
    segments: Vec<Segment>,
    rendered: String,
}

impl JsonPath {
    /// The empty path: the top level.
    pub fn root() -> Self {
        JsonPath::default()
    }

    /// A path of these segments.
    pub fn from_segments(segments: impl IntoIterator<Item = Segment>) -> Self {
        let mut path = JsonPath::root();
        segments.into_iter().for_each(|s| path.push(s));
        path
    }

    /// Parses a path such as `workloads[2].keys.count`.
    ///
    /// Fields are separated by `.` and may hold any character except `.` and `[`; `[i]` is an
    /// index. The empty path and `.` (how `serde_path_to_error` writes the root) are the top
    /// level. A bracket that does not hold a valid index is kept as a literal field.
    pub fn parse(text: &str) -> Self {
        JsonPath::from_segments(parse_segments(text))
    }

    /// This path with the field `name` appended.
    pub fn field(mut self, name: impl Into<String>) -> Self {
        self.push(Segment::Field(name.into()));
        self
    }

    /// This path with the array index `index` appended.
    pub fn index(mut self, index: usize) -> Self {
        self.push(Segment::Index(index));
        self
    }

    /// Appends one segment.
    pub fn push(&mut self, segment: Segment) {
        let inner = self.inner.get_or_insert_with(Box::default);
        match &segment {
            Segment::Field(name) => {
                if !inner.rendered.is_empty() {
                    inner.rendered.push('.');
                }
                inner.rendered.push_str(name);
            }
            Segment::Index(i) => {
                let _ = write!(inner.rendered, "[{i}]");
            }
        }
        inner.segments.push(segment);
    }

    /// `rest` placed under this path (`a.b` joined with `c[0]` is `a.b.c[0]`).
    pub fn join(&self, rest: &JsonPath) -> JsonPath {
        let mut out = self.clone();
        rest.segments().iter().cloned().for_each(|s| out.push(s));
        out
    }

    /// What is left of this path after `prefix`, when it starts with `prefix`.
    pub fn strip_prefix(&self, prefix: &JsonPath) -> Option<JsonPath> {
        let rest = self.segments().strip_prefix(prefix.segments())?;
        Some(JsonPath::from_segments(rest.iter().cloned()))
    }

    /// Every prefix of this path, the top level first and the path itself last.
    pub fn prefixes(&self) -> impl Iterator<Item = JsonPath> + '_ {
        let all = self.segments();
        (0..=all.len()).map(|n| JsonPath::from_segments(all[..n].iter().cloned()))
    }

    /// The segments, from the root.
    pub fn segments(&self) -> &[Segment] {
        self.inner.as_ref().map_or(&[], |i| &i.segments)
    }

    /// Whether this is the top level.
    pub fn is_empty(&self) -> bool {
        self.inner.is_none()
    }

    /// The rendering, e.g. `workloads[2].keys.count` (empty for the top level).
    pub fn as_str(&self) -> &str {
        self.inner.as_ref().map_or("", |i| &i.rendered)
    }
}

/// Splits a written path into segments (see [`JsonPath::parse`]).
fn parse_segments(text: &str) -> Vec<Segment> {
    let rest = text.strip_prefix('.').unwrap_or(text);
    let mut out = Vec::new();
    let mut key = String::new();
    let mut key_due = false;
    let mut chars = rest.chars();
    while let Some(c) = chars.next() {
        match c {
            '.' => {
                flush_key(&mut out, &mut key, key_due);
                key_due = true;
            }
            '[' => {
                flush_key(&mut out, &mut key, key_due);
                key_due = false;
                out.push(read_index(&mut chars));
            }
            _ => key.push(c),
        }
    }
    flush_key(&mut out, &mut key, key_due);
    out
}

/// Pushes the field read so far; an empty one only when a `.` announced it.
fn flush_key(out: &mut Vec<Segment>, key: &mut String, key_due: bool) {
    if key_due || !key.is_empty() {
        out.push(Segment::Field(std::mem::take(key)));
    }
}

/// Reads `i]` after a `[`; anything else becomes a literal field.
fn read_index(chars: &mut std::str::Chars<'_>) -> Segment {
    let mut inner = String::new();
    for c in chars.by_ref() {
        if c == ']' {
            return match inner.parse() {
                Ok(i) if inner.bytes().all(|b| b.is_ascii_digit()) => Segment::Index(i),
                _ => Segment::Field(format!("[{inner}]")),
            };
        }
        inner.push(c);
    }
    Segment::Field(format!("[{inner}"))
}

impl fmt::Display for JsonPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl fmt::Debug for JsonPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "JsonPath({:?})", self.as_str())
    }
}

/// Serializes as its rendering.
impl Serialize for JsonPath {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl From<&str> for JsonPath {
    fn from(text: &str) -> Self {
        JsonPath::parse(text)
    }
}

impl From<String> for JsonPath {
    fn from(text: String) -> Self {
        JsonPath::parse(&text)
    }
}

impl From<&JsonPath> for JsonPath {
    fn from(path: &JsonPath) -> Self {
        path.clone()
    }
}

impl PartialEq<&str> for JsonPath {
    fn eq(&self, other: &&str) -> bool {
        self.as_str() == *other
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use Segment::{Field, Index};

    fn f(s: &str) -> Segment {
        Field(s.to_string())
    }

    #[test]
    fn parse_splits_fields_and_indices() {
        let segs = |p: &str| JsonPath::parse(p).segments().to_vec();
        assert_eq!(segs("workloads[2].keys.count"), vec![f("workloads"), Index(2), f("keys"), f("count")]);
        assert_eq!(segs("a[0][1]"), vec![f("a"), Index(0), Index(1)]);
        assert_eq!(segs("[3].x"), vec![Index(3), f("x")]);
        assert_eq!(segs("a]b.c-d e"), vec![f("a]b"), f("c-d e")]);
        assert_eq!(segs("a[x]"), vec![f("a"), f("[x]")]);
        assert_eq!(segs("a[1"), vec![f("a"), f("[1")]);
        assert_eq!(segs("clocks.1.drift_ppm"), vec![f("clocks"), f("1"), f("drift_ppm")]);
        assert!(segs("").is_empty());
        assert!(segs(".").is_empty());
    }

    #[test]
    fn renders_as_written() {
        for p in ["", "a", "a.b[0].c", "[3].x", "a[0][1]", "clocks.1.drift_ppm", "workloads[2].keys.count"] {
            assert_eq!(JsonPath::parse(p).as_str(), p);
            assert_eq!(JsonPath::parse(p).to_string(), p);
        }
        let built = JsonPath::root().field("workloads").index(2).field("keys").field("count");
        assert_eq!(built, "workloads[2].keys.count");
        assert_eq!(built, JsonPath::from("workloads[2].keys.count"));
    }

    #[test]
    fn join_and_strip_prefix_are_inverse() {
        let a = JsonPath::from("faults[1]");
        let b = JsonPath::from("fault.crash.node");
        let joined = a.join(&b);
        assert_eq!(joined, "faults[1].fault.crash.node");
        assert_eq!(joined.strip_prefix(&a), Some(b));
        assert_eq!(JsonPath::root().join(&a), a);
        assert_eq!(a.join(&JsonPath::root().index(0)), "faults[1][0]");
        assert_eq!(a.strip_prefix(&JsonPath::from("fault")), None);
    }

    #[test]
    fn prefixes_run_from_the_root() {
        let all: Vec<String> = JsonPath::from("a[0].b").prefixes().map(|p| p.to_string()).collect();
        assert_eq!(all, ["", "a", "a[0]", "a[0].b"]);
    }

    #[test]
    fn the_top_level_is_one_value() {
        assert_eq!(JsonPath::from("a").strip_prefix(&JsonPath::from("a")), Some(JsonPath::root()));
        assert_eq!(JsonPath::parse("."), JsonPath::root());
        assert!(JsonPath::root().is_empty() && JsonPath::root().segments().is_empty());
        assert_eq!(std::mem::size_of::<JsonPath>(), std::mem::size_of::<usize>());
    }

    #[test]
    fn serializes_as_its_rendering() {
        assert_eq!(serde_json::to_string(&JsonPath::from("a[1].b")).unwrap(), "\"a[1].b\"");
    }
}
