//! Strict input: the checks a scenario's text gets beyond what `serde_json` and the derived
//! `Deserialize` impls do, each reporting a located [`Problem`].
//!
//! - [`decode`]: the bytes must be UTF-8 text. A UTF-16 or UTF-32 file (byte order mark, or the
//!   NUL bytes that ASCII in those encodings has) is named as such; invalid UTF-8 is reported
//!   at the line and column of its first bad byte; a NUL byte is refused where it is. A UTF-8
//!   byte order mark is accepted.
//! - [`check_keys`]: no object holds a key twice. `serde_json` lets the last one win for maps
//!   (`cluster.capacities`, `clocks`), so a duplicate would silently drop a value; the derived
//!   struct code does refuse a duplicate field, but only after reading its value. Also, values
//!   nest at most [`MAX_DEPTH`] objects and arrays deep (`serde_json` stops at 128, with a less
//!   helpful message).
//! - [`check_objects`]: no array stands where the schema wants an object. The derived struct
//!   visitors accept a sequence of the fields in declaration order, so `"cluster": [4, 1]` would
//!   read as `{ "nodes": 4, "spares": 1 }`. The check needs no per-type code: it serializes the
//!   parsed scenario back to a JSON value and walks the text beside it; wherever the text holds
//!   an array and the round trip an object, a struct was given as a sequence. This relies on
//!   every spec type serializing the shape it reads, which derived impls without `alias`,
//!   `untagged`, `flatten` or custom (de)serializers do: the spec types use none of these, and a
//!   test loads every shipped scenario through this check.
//! - [`array_for_object`]: the same mistake when parsing failed inside or at such an array
//!   (`"cluster": []` is "invalid length 0", `"cluster": ["a"]` a wrong type at `cluster[0]`).
//!   For each array on the error's path it asks the parser whether an empty object would be
//!   read there; if so, the array stood for an object.
//!
//! The scans are one pass over the text with an explicit stack (no recursion, so no depth can
//! overflow it); memory is the stack plus the keys of the objects open at a time. A scan that
//! meets malformed JSON stops quietly there: reporting syntax errors is `serde_json`'s job.

use crate::error::{JsonPath, Segment, SpecError, serde_path};
use crate::locate::{line_column, value_span};
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;
use std::collections::BTreeMap;
use std::collections::btree_map::Entry;

/// The deepest nesting of objects and arrays a scenario may have. The schema needs fewer than
/// ten levels; 64 leaves room and stays well under `serde_json`'s own limit of 128.
pub const MAX_DEPTH: usize = 64;

/// A problem found in the text, with where it is.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Problem {
    /// The 1-based line and column, when the problem has one place.
    pub at: Option<(usize, usize)>,
    /// What is wrong, at which JSON path, and how to fix it.
    pub error: SpecError,
}

/// The message for an array where an object belongs.
const ARRAY_FOR_OBJECT: &str = "expected an object, got an array";

/// The fix for an array where an object belongs.
const ARRAY_FOR_OBJECT_FIX: &str = "write the fields by name, as { \"field\": value, ... }, not as a list of values; \
                                    `dynsim schema` lists them";

/// How to re-save a file as UTF-8, for the encoding errors.
const SAVE_AS_UTF8: &str = "save the file as UTF-8 (in most editors: Save As, or Save with Encoding, then UTF-8; \
                            in PowerShell: Set-Content -Encoding utf8)";

/// The bytes of a scenario file as text: UTF-8 (a leading byte order mark is kept; the parser
/// skips it), with no NUL byte.
pub fn decode(bytes: Vec<u8>) -> Result<String, Problem> {
    if let Some(encoding) = wide_encoding(&bytes) {
        return Err(Problem {
            at: Some((1, 1)),
            error: SpecError::new("", format!("the file is {encoding}, not UTF-8"), SAVE_AS_UTF8),
        });
    }
    let text = match String::from_utf8(bytes) {
        Ok(text) => text,
        Err(e) => {
            let valid = e.utf8_error().valid_up_to();
            let bytes = e.as_bytes();
            // The prefix is valid by definition of `valid_up_to`.
            let prefix = std::str::from_utf8(&bytes[..valid]).unwrap_or_default();
            let byte = bytes.get(valid).copied().unwrap_or_default();
            let message = format!("the file is not valid UTF-8 (byte {byte:#04x})");
            return Err(problem_at(prefix, valid, path_at_end(prefix), message, SAVE_AS_UTF8));
        }
    };
    if let Some(nul) = text.find('\0') {
        let prefix = &text[..nul];
        return Err(problem_at(
            prefix,
            nul,
            path_at_end(prefix),
            "the file holds a NUL byte (0x00), which JSON text never does",
            "check that this is the scenario file, saved as UTF-8 text (NUL bytes come from binary files \
             and from UTF-16 or UTF-32)",
        ));
    }
    Ok(text)
}

/// Names the encoding when the first bytes are a UTF-16 or UTF-32 byte order mark, or the NUL
/// pattern a JSON text (which starts with ASCII) has in those encodings (RFC 4627, section 3).
fn wide_encoding(bytes: &[u8]) -> Option<&'static str> {
    let found = match bytes {
        [0xFF, 0xFE, 0, 0, ..] => "UTF-32 (little-endian, byte order mark FF FE 00 00)",
        [0, 0, 0xFE, 0xFF, ..] => "UTF-32 (big-endian, byte order mark 00 00 FE FF)",
        [0xFF, 0xFE, ..] => "UTF-16 (little-endian, byte order mark FF FE)",
        [0xFE, 0xFF, ..] => "UTF-16 (big-endian, byte order mark FE FF)",
        [0, 0, 0, b, ..] if *b != 0 => "UTF-32 (big-endian: its first bytes are 00 00 00 xx)",
        [b, 0, 0, 0, ..] if *b != 0 => "UTF-32 (little-endian: its first bytes are xx 00 00 00)",
        [0, b, ..] if *b != 0 => "UTF-16 (big-endian: every other byte is 00)",
        [b, 0, ..] if *b != 0 => "UTF-16 (little-endian: every other byte is 00)",
        _ => return None,
    };
    Some(found)
}

/// Refuses a key that appears twice in one object, and nesting deeper than [`MAX_DEPTH`].
///
/// `text` is the scenario without its byte order mark. Stops quietly at malformed JSON.
pub fn check_keys(text: &str) -> Result<(), Problem> {
    Scanner::new(text).run(None)
}

/// Refuses an array in `text` where `parsed` (the scenario `text` was parsed into) serializes
/// an object: a struct given as a sequence of its fields. Also does what [`check_keys`] does.
///
/// `text` is the scenario without its byte order mark. When `parsed` cannot be serialized (no
/// spec type fails to), there is nothing to compare with and the check passes.
pub fn check_objects<T: Serialize>(text: &str, parsed: &T) -> Result<(), Problem> {
    match serde_json::to_value(parsed) {
        Ok(shape) => Scanner::new(text).run(Some(&shape)),
        Err(_) => Ok(()),
    }
}

/// When `T` failed to parse from `text` with an error at `error_path`, and that path runs through
/// (or ends at) an array where `T` wants an object, that problem, located at the outermost such
/// array; `None` otherwise.
///
/// Each array on the path is replaced by `{}` and the text parsed again: an object is wanted
/// there when that parse succeeds, fails outside that value, or fails in it only for a missing
/// field; it is not when the parser refuses the map itself (a list, a string, a number, a
/// variant name is wanted).
/// Costs one parse per array on the path, and runs only when parsing has already failed.
pub fn array_for_object<T: DeserializeOwned>(text: &str, error_path: &JsonPath) -> Option<Problem> {
    // Every prefix of the path, the top level first.
    for path in error_path.prefixes() {
        let Some(span) = value_span(text, &path) else { continue };
        if text.as_bytes().get(span.start) != Some(&b'[') || !wants_object::<T>(text, span.clone(), &path) {
            continue;
        }
        return Some(problem_at(text, span.start, path, ARRAY_FOR_OBJECT, ARRAY_FOR_OBJECT_FIX));
    }
    None
}

/// Whether `T` reads an empty object in place of the value at `span` (JSON path `path`).
fn wants_object<T: DeserializeOwned>(text: &str, span: std::ops::Range<usize>, path: &JsonPath) -> bool {
    let probe = format!("{}{{}}{}", &text[..span.start], &text[span.end..]);
    let mut de = serde_json::Deserializer::from_str(&probe);
    match serde_path_to_error::deserialize::<_, T>(&mut de) {
        Ok(_) => true,
        Err(e) => {
            let within = serde_path(e.path()).strip_prefix(path).is_some();
            !within || e.inner().to_string().starts_with("missing field")
        }
    }
}

/// The JSON path of the value the end of `prefix` lies in (empty at the top level), as far as
/// `prefix` can be read; used to say where an encoding error sits.
fn path_at_end(prefix: &str) -> JsonPath {
    let mut scanner = Scanner::new(prefix.strip_prefix('\u{feff}').unwrap_or(prefix));
    match scanner.run(None) {
        Ok(()) => scanner.path(),
        // A problem before the bad byte: its path is still the best guess of where we are.
        Err(p) => p.error.path,
    }
}

/// A problem at byte `offset` of `text`.
fn problem_at(text: &str, offset: usize, path: JsonPath, message: impl Into<String>, fix: &str) -> Problem {
    Problem { at: Some(line_column(text, offset)), error: SpecError::new(path, message, fix) }
}

/// One open object or array, with the member or element being read.
enum Frame {
    /// An object: the keys seen so far (with the byte offset of their first occurrence) and
    /// the key whose value is being read.
    Object { keys: BTreeMap<String, usize>, current: Option<String> },
    /// An array: the index of the element being read.
    Array { current: Option<usize> },
}

/// What the scanner expects next.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Expect {
    /// A value.
    Value,
    /// A key or `}` (just after `{`).
    FirstKey,
    /// A key (after a `,` in an object).
    Key,
    /// The `:` after a key.
    Colon,
    /// A value or `]` (just after `[`).
    FirstElement,
    /// A `,` or the closing bracket of the innermost container (after a value).
    CommaOrClose,
}

/// A one-pass JSON scanner that tracks the path to where it is.
struct Scanner<'a> {
    text: &'a str,
    pos: usize,
    frames: Vec<Frame>,
}

impl<'a> Scanner<'a> {
    fn new(text: &'a str) -> Self {
        Scanner { text, pos: 0, frames: Vec::new() }
    }

    /// Scans the first JSON value of the text; with `shape`, also refuses an array where
    /// `shape` holds an object. `Ok` when the value ends, or at malformed JSON (or the end of
    /// the text) before that.
    fn run(&mut self, shape: Option<&Value>) -> Result<(), Problem> {
        let bytes = self.text.as_bytes();
        let mut expect = Expect::Value;
        loop {
            self.skip_ws();
            let Some(&b) = bytes.get(self.pos) else { return Ok(()) };
            expect = match (expect, b) {
                (Expect::FirstKey, b'}') | (Expect::FirstElement, b']') => {
                    self.pos += 1;
                    self.frames.pop();
                    if self.frames.is_empty() {
                        return Ok(());
                    }
                    Expect::CommaOrClose
                }
                (Expect::FirstKey | Expect::Key, b'"') => {
                    let Some(()) = self.read_key()? else { return Ok(()) };
                    Expect::Colon
                }
                (Expect::Colon, b':') => {
                    self.pos += 1;
                    Expect::Value
                }
                (Expect::FirstElement, _) => {
                    if let Some(Frame::Array { current }) = self.frames.last_mut() {
                        *current = Some(0);
                    }
                    Expect::Value
                }
                (Expect::Value, b'{' | b'[') => {
                    self.open(b, shape)?;
                    if b == b'{' { Expect::FirstKey } else { Expect::FirstElement }
                }
                (Expect::Value, _) => {
                    let end = if b == b'"' { self.skip_string() } else { self.skip_scalar() };
                    let Some(end) = end else { return Ok(()) };
                    self.pos = end;
                    if self.frames.is_empty() {
                        return Ok(());
                    }
                    Expect::CommaOrClose
                }
                (Expect::CommaOrClose, b',') => {
                    self.pos += 1;
                    match self.frames.last_mut() {
                        Some(Frame::Object { current, .. }) => {
                            *current = None;
                            Expect::Key
                        }
                        Some(Frame::Array { current }) => {
                            *current = current.map(|i| i + 1);
                            Expect::Value
                        }
                        None => return Ok(()),
                    }
                }
                (Expect::CommaOrClose, b'}' | b']') => {
                    let matches = match self.frames.last() {
                        Some(Frame::Object { .. }) => b == b'}',
                        Some(Frame::Array { .. }) => b == b']',
                        None => false,
                    };
                    if !matches {
                        return Ok(());
                    }
                    self.pos += 1;
                    self.frames.pop();
                    if self.frames.is_empty() {
                        return Ok(());
                    }
                    Expect::CommaOrClose
                }
                _ => return Ok(()),
            };
        }
    }

    /// Enters the object or array at `self.pos`, refusing it when too deep, or when it is an
    /// array and `shape` holds an object at this path.
    fn open(&mut self, bracket: u8, shape: Option<&Value>) -> Result<(), Problem> {
        if self.frames.len() >= MAX_DEPTH {
            return Err(self.problem_here(
                self.path(),
                format!("nested too deeply: more than {MAX_DEPTH} levels of objects and arrays"),
                "a scenario nests only a few levels deep: look for a run of stray `[` or `{` here",
            ));
        }
        if bracket == b'[' && shape.and_then(|s| self.parsed_at(s)).is_some_and(Value::is_object) {
            return Err(self.problem_here(self.path(), ARRAY_FOR_OBJECT, ARRAY_FOR_OBJECT_FIX));
        }
        self.frames.push(if bracket == b'{' {
            Frame::Object { keys: BTreeMap::new(), current: None }
        } else {
            Frame::Array { current: None }
        });
        self.pos += 1;
        Ok(())
    }

    /// Reads the key at `self.pos` into the innermost object, refusing a duplicate.
    /// `Ok(None)` when the key is malformed.
    fn read_key(&mut self) -> Result<Option<()>, Problem> {
        let at = self.pos;
        let Some((key, end)) = read_string(self.text, at) else { return Ok(None) };
        let object_path = self.path();
        let Some(Frame::Object { keys, current }) = self.frames.last_mut() else { return Ok(None) };
        match keys.entry(key) {
            Entry::Occupied(first) => {
                let (line, column) = line_column(self.text, *first.get());
                let key = first.key();
                let path = object_path.field(key.as_str());
                return Err(problem_at(
                    self.text,
                    at,
                    path,
                    format!("duplicate key {key:?} (first at line {line}, column {column})"),
                    "remove one of the two: a key may appear once in an object (otherwise the last one \
                     would silently win)",
                ));
            }
            Entry::Vacant(slot) => {
                *current = Some(slot.key().clone());
                slot.insert(at);
            }
        }
        self.pos = end;
        Ok(Some(()))
    }

    /// The value in `shape` at the path the scanner is at, if `shape` has one there.
    fn parsed_at<'v>(&self, shape: &'v Value) -> Option<&'v Value> {
        self.frames.iter().try_fold(shape, |v, frame| match frame {
            Frame::Object { current: Some(key), .. } => v.as_object()?.get(key),
            Frame::Array { current: Some(i) } => v.as_array()?.get(*i),
            _ => None,
        })
    }

    /// The JSON path of where the scanner is (`workloads[0].keys`, empty at the top level).
    fn path(&self) -> JsonPath {
        JsonPath::from_segments(self.frames.iter().filter_map(|frame| match frame {
            Frame::Object { current: Some(key), .. } => Some(Segment::Field(key.clone())),
            Frame::Array { current: Some(i) } => Some(Segment::Index(*i)),
            _ => None,
        }))
    }

    /// A problem at the scanner's position.
    fn problem_here(&self, path: JsonPath, message: impl Into<String>, fix: &str) -> Problem {
        problem_at(self.text, self.pos, path, message, fix)
    }

    fn skip_ws(&mut self) {
        let rest = &self.text.as_bytes()[self.pos..];
        self.pos += rest.iter().take_while(|b| matches!(b, b' ' | b'\t' | b'\n' | b'\r')).count();
    }

    /// The offset just past the string at `self.pos`, if it is well formed.
    fn skip_string(&self) -> Option<usize> {
        read_string(self.text, self.pos).map(|(_, end)| end)
    }

    /// The offset just past the number or literal at `self.pos`, if there is one.
    fn skip_scalar(&self) -> Option<usize> {
        let rest = &self.text.as_bytes()[self.pos..];
        let len = rest.iter().take_while(|b| b.is_ascii_alphanumeric() || matches!(b, b'+' | b'-' | b'.')).count();
        (len > 0).then_some(self.pos + len)
    }
}

/// Decodes the JSON string starting at `pos` (a `"`): its value and the offset just past it.
/// `None` when it is malformed as `serde_json` sees it: unterminated, a raw control character,
/// a bad escape or an unpaired surrogate.
fn read_string(text: &str, pos: usize) -> Option<(String, usize)> {
    let start = pos + 1;
    let mut chars = text.get(start..)?.char_indices();
    let mut out = String::new();
    while let Some((i, c)) = chars.next() {
        match c {
            '"' => return Some((out, start + i + 1)),
            '\\' => out.push(read_escape(&mut chars)?),
            c if c < ' ' => return None,
            c => out.push(c),
        }
    }
    None
}

/// Decodes the escape after a `\`.
fn read_escape(chars: &mut std::str::CharIndices<'_>) -> Option<char> {
    let c = match chars.next()?.1 {
        '"' => '"',
        '\\' => '\\',
        '/' => '/',
        'b' => '\u{8}',
        'f' => '\u{c}',
        'n' => '\n',
        'r' => '\r',
        't' => '\t',
        'u' => {
            let high = read_hex4(chars)?;
            if !(0xD800..0xDC00).contains(&high) {
                return char::from_u32(high);
            }
            if chars.next()?.1 != '\\' || chars.next()?.1 != 'u' {
                return None;
            }
            let low = read_hex4(chars)?;
            if !(0xDC00..0xE000).contains(&low) {
                return None;
            }
            return char::from_u32(0x10000 + ((high - 0xD800) << 10) + (low - 0xDC00));
        }
        _ => return None,
    };
    Some(c)
}

/// Reads exactly four hex digits.
fn read_hex4(chars: &mut std::str::CharIndices<'_>) -> Option<u32> {
    (0..4).try_fold(0u32, |acc, _| Some(acc * 16 + chars.next()?.1.to_digit(16)?))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// Where `check_keys` refuses `text`, its path and message.
    type Refusal = (Option<(usize, usize)>, String, String);

    fn key_problem(text: &str) -> Option<Refusal> {
        check_keys(text).err().map(|p| (p.at, p.error.path.to_string(), p.error.message))
    }

    #[test]
    fn duplicate_keys_are_found_at_the_second_occurrence_with_their_path() {
        let text = "{\"a\": {\"x\": 1,\n  \"x\": 2}}";
        let (at, path, message) = key_problem(text).expect("refused");
        assert_eq!((at, path.as_str()), (Some((2, 3)), "a.x"));
        assert_eq!(message, "duplicate key \"x\" (first at line 1, column 8)");
        let in_array = "{\"w\": [{\"k\": 1}, {\"k\": 1, \"k\": 2}]}";
        assert_eq!(key_problem(in_array).map(|p| p.1), Some("w[1].k".to_string()));
    }

    #[test]
    fn keys_are_compared_after_unescaping() {
        assert_eq!(key_problem(r#"{"2": 1, "\u0032": 2}"#).map(|p| p.1), Some("2".to_string()));
        assert_eq!(key_problem(r#"{"a": {"2": 1}, "b": {"2": 1}}"#), None);
    }

    #[test]
    fn keys_of_sibling_objects_do_not_clash() {
        assert_eq!(key_problem(r#"[{"a": 1}, {"a": 2}, {"b": {"a": 3}, "a": 4}]"#), None);
    }

    #[test]
    fn depth_is_capped_and_located() {
        let ok = format!("{}{}", "[".repeat(MAX_DEPTH), "]".repeat(MAX_DEPTH));
        assert_eq!(key_problem(&ok), None);
        let deep = format!("{{\"a\": {}", "[".repeat(100_000));
        let (at, path, message) = key_problem(&deep).expect("refused");
        assert_eq!(at, Some((1, 7 + MAX_DEPTH - 1)));
        assert_eq!(path, format!("a{}", "[0]".repeat(MAX_DEPTH - 1)));
        assert!(message.contains("more than 64 levels"), "{message}");
    }

    #[test]
    fn malformed_json_stops_the_scan_quietly() {
        for text in ["", "{", "{\"a\" 1, \"a\": 2}", "[1,,{\"a\":1,\"a\":2}]", "{\"\\ud800\": 1, \"\\ud800\": 2}"] {
            assert_eq!(key_problem(text), None, "{text}");
        }
    }

    #[test]
    fn arrays_are_refused_where_the_parse_has_objects() {
        let shape = serde_json::json!({ "c": { "n": 4 }, "l": [[1], { "x": 1 }] });
        let refused = |text: &str| Scanner::new(text).run(Some(&shape)).err().map(|p| (p.at, p.error.path));
        assert_eq!(refused(r#"{"c": [4], "l": [[1], {"x": 1}]}"#), Some((Some((1, 7)), "c".into())));
        assert_eq!(refused(r#"{"c": {"n": 4}, "l": [[1], [1]]}"#), Some((Some((1, 28)), "l[1]".into())));
        assert_eq!(refused(r#"{"c": {"n": 4}, "l": [[1], {"x": 1}]}"#), None);
    }

    #[test]
    fn encodings_other_than_utf8_are_named() {
        let utf16le: Vec<u8> = "{}".encode_utf16().flat_map(u16::to_le_bytes).collect();
        let utf16be: Vec<u8> = "{}".encode_utf16().flat_map(u16::to_be_bytes).collect();
        for (bytes, name) in [
            ([&[0xFF, 0xFE][..], &utf16le].concat(), "UTF-16 (little-endian, byte order mark FF FE)"),
            ([&[0xFE, 0xFF][..], &utf16be].concat(), "UTF-16 (big-endian, byte order mark FE FF)"),
            (utf16le, "UTF-16 (little-endian"),
            (utf16be, "UTF-16 (big-endian"),
            (vec![0xFF, 0xFE, 0, 0, b'{', 0, 0, 0], "UTF-32 (little-endian"),
            (vec![0, 0, 0, b'{'], "UTF-32 (big-endian"),
        ] {
            let p = decode(bytes).expect_err(name);
            assert!(p.error.message.starts_with(&format!("the file is {name}")), "{name}: {}", p.error.message);
        }
        assert_eq!(decode(b"\xEF\xBB\xBF{}".to_vec()).as_deref(), Ok("\u{feff}{}"));
    }

    #[test]
    fn invalid_utf8_and_nul_bytes_are_located() {
        let p = decode(b"{\n  \"name\": \"caf\xe9\"\n}".to_vec()).expect_err("latin-1");
        assert_eq!((p.at, p.error.path.as_str()), (Some((2, 15)), "name"));
        assert_eq!(p.error.message, "the file is not valid UTF-8 (byte 0xe9)");
        let p = decode(b"\xEF\xBB\xBF{\"\xc3\xa9\": [1, \xff]}".to_vec()).expect_err("after a BOM");
        assert_eq!((p.at, p.error.path.as_str()), (Some((1, 11)), "é[1]"));
        let p = decode(b"{\"a\": 1,\n\0}".to_vec()).expect_err("NUL");
        assert_eq!(p.at, Some((2, 1)));
    }

    proptest! {
        #[test]
        fn scans_never_panic(text in r#"[\[\]{}":,\\ \ta0-9u.\n\u{feff}é-]{0,64}"#) {
            let _ = check_keys(&text);
            let _ = check_objects(&text, &serde_json::json!({"a": {"b": [1, {}]}}));
            let _ = decode(text.into_bytes());
        }

        #[test]
        fn decode_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..64)) {
            let _ = decode(bytes);
        }
    }
}
