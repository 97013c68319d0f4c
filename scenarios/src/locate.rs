//! Finds the line and column a JSON path points at inside a scenario file's text.
//!
//! Validation reports problems by JSON path (`workloads[2].keys.count`, see
//! [`SpecError`](crate::error::SpecError)); this module turns such a path back into a 1-based
//! `(line, column)` in the raw text, so errors can name where in the file to look. It walks the
//! text segment by segment ([`JsonPath::segments`]) with a small hand-written tokenizer that
//! skips every value it does not need.
//!
//! Columns count Unicode scalar values (a tab counts as one); a leading UTF-8 byte order mark is
//! ignored. When a path's key is missing the enclosing object's `{` is reported, and when an
//! index is out of range the enclosing array's `[`. Duplicate keys resolve to the last one, as
//! `serde_json` does (loading refuses them first, see [`strict`](crate::strict)).

use crate::error::{JsonPath, Segment};

/// The 1-based `(line, column)` of the JSON value at `path` in `text`.
///
/// When a key on the path is missing, this is the enclosing object's `{`; when an index is out
/// of range, the enclosing array's `[`; when a step needs an object or array but finds another
/// value, that value. `None` only when the text is too malformed to walk. Never panics.
pub fn locate(text: &str, path: &JsonPath) -> Option<(usize, usize)> {
    let text = strip_bom(text);
    let hit = walk(text, path.segments())?;
    Some(position(text, hit.value))
}

/// The 1-based `(line, column)` of the key string of the path's last member, for errors about
/// the key itself (an unknown field).
///
/// When the last segment is an index, or the root, this is the value's position; when the key is
/// missing, it falls back to what [`locate`] reports. `None` only when the text is too malformed
/// to walk. Never panics.
pub fn locate_key(text: &str, path: &JsonPath) -> Option<(usize, usize)> {
    let text = strip_bom(text);
    let hit = walk(text, path.segments())?;
    Some(position(text, hit.key.unwrap_or(hit.value)))
}

/// The 1-based `(line, column)` of byte offset `offset` of `text`, counted as [`locate`] counts:
/// columns in Unicode scalar values, a leading byte order mark not counted. An offset past the
/// end is the position just after the text. Never panics.
pub fn line_column(text: &str, offset: usize) -> (usize, usize) {
    match text.strip_prefix('\u{feff}') {
        Some(rest) => position(rest, offset.saturating_sub(text.len() - rest.len())),
        None => position(text, offset),
    }
}

/// The byte range in `text` of the JSON value at `path`, only when every step of the path
/// exists (unlike [`locate`], no fallback to an enclosing value). `None` otherwise, or when the
/// value is malformed or truncated. Never panics.
pub fn value_span(text: &str, path: &JsonPath) -> Option<std::ops::Range<usize>> {
    let body = strip_bom(text);
    let bom = text.len() - body.len();
    let bytes = body.as_bytes();
    let mut at = skip_ws(bytes, 0);
    bytes.get(at)?;
    for segment in path.segments() {
        let step = match segment {
            Segment::Field(key) => find_member(body, at, key)?,
            Segment::Index(index) => find_element(bytes, at, *index)?,
        };
        match step {
            Step::Found(hit) => at = hit.value,
            Step::Missing(_) => return None,
        }
    }
    let end = skip_value(bytes, at)?;
    Some(bom + at..bom + end)
}

/// The text without a leading UTF-8 byte order mark.
fn strip_bom(text: &str) -> &str {
    text.strip_prefix('\u{feff}').unwrap_or(text)
}

/// The 1-based line and column (in chars) of byte offset `offset`.
fn position(text: &str, offset: usize) -> (usize, usize) {
    let bytes = text.as_bytes();
    let before = &bytes[..offset.min(bytes.len())];
    let line = 1 + before.iter().filter(|&&b| b == b'\n').count();
    let line_start = before.iter().rposition(|&b| b == b'\n').map_or(0, |i| i + 1);
    let column = 1 + before[line_start..].iter().filter(|&&b| !is_continuation(b)).count();
    (line, column)
}

/// Whether `b` continues a multi-byte UTF-8 sequence (and so starts no char).
fn is_continuation(b: u8) -> bool {
    b & 0xC0 == 0x80
}

/// Where the walk ended: byte offsets of the value and, for a member, of its key.
#[derive(Clone, Copy, Debug)]
struct Hit {
    value: usize,
    key: Option<usize>,
}

/// The outcome of one path step.
enum Step {
    /// The member or element exists.
    Found(Hit),
    /// It does not; the offset of the enclosing `{`, `[` or non-container value.
    Missing(usize),
}

/// Follows `segments` from the root value.
fn walk(text: &str, segments: &[Segment]) -> Option<Hit> {
    let root = skip_ws(text.as_bytes(), 0);
    text.as_bytes().get(root)?;
    let mut hit = Hit { value: root, key: None };
    for segment in segments {
        let step = match segment {
            Segment::Field(key) => find_member(text, hit.value, key)?,
            Segment::Index(index) => find_element(text.as_bytes(), hit.value, *index)?,
        };
        match step {
            Step::Found(next) => hit = next,
            Step::Missing(at) => return Some(Hit { value: at, key: None }),
        }
    }
    Some(hit)
}

/// A parsed object member: where its key and value start, its decoded key, and where it ends
/// (`None` when the value is malformed or truncated).
struct Member {
    key_at: usize,
    key: String,
    value_at: usize,
    end: Option<usize>,
}

/// Finds member `key` of the object starting at `open`; the last duplicate wins.
fn find_member(text: &str, open: usize, key: &str) -> Option<Step> {
    let bytes = text.as_bytes();
    if bytes.get(open) != Some(&b'{') {
        return Some(Step::Missing(open));
    }
    let mut pos = skip_ws(bytes, open + 1);
    if bytes.get(pos) == Some(&b'}') {
        return Some(Step::Missing(open));
    }
    let mut found = None;
    loop {
        let Some(member) = read_member(text, pos) else {
            return found.map(Step::Found);
        };
        if member.key == key {
            found = Some(Hit { value: member.value_at, key: Some(member.key_at) });
        }
        let Some(end) = member.end else {
            return found.map(Step::Found);
        };
        pos = skip_ws(bytes, end);
        match bytes.get(pos) {
            Some(b',') => pos = skip_ws(bytes, pos + 1),
            Some(b'}') => return Some(found.map_or(Step::Missing(open), Step::Found)),
            _ => return found.map(Step::Found),
        }
    }
}

/// Reads `"key": value` starting at `pos`.
fn read_member(text: &str, pos: usize) -> Option<Member> {
    let bytes = text.as_bytes();
    let (key, after_key) = read_string(text, pos)?;
    let colon = skip_ws(bytes, after_key);
    if bytes.get(colon) != Some(&b':') {
        return None;
    }
    let value_at = skip_ws(bytes, colon + 1);
    if !starts_value(bytes, value_at) {
        return None;
    }
    let end = skip_value(bytes, value_at);
    Some(Member { key_at: pos, key, value_at, end })
}

/// Finds element `index` of the array starting at `open`.
fn find_element(bytes: &[u8], open: usize, index: usize) -> Option<Step> {
    if bytes.get(open) != Some(&b'[') {
        return Some(Step::Missing(open));
    }
    let mut pos = skip_ws(bytes, open + 1);
    if bytes.get(pos) == Some(&b']') {
        return Some(Step::Missing(open));
    }
    for _ in 0..index {
        pos = skip_ws(bytes, skip_value(bytes, pos)?);
        match bytes.get(pos) {
            Some(b',') => pos = skip_ws(bytes, pos + 1),
            Some(b']') => return Some(Step::Missing(open)),
            _ => return None,
        }
    }
    starts_value(bytes, pos).then_some(Step::Found(Hit { value: pos, key: None }))
}

/// Whether a value can start at `pos`.
fn starts_value(bytes: &[u8], pos: usize) -> bool {
    matches!(bytes.get(pos), Some(b) if !matches!(b, b',' | b':' | b']' | b'}'))
}

/// The offset of the first non-whitespace byte at or after `pos`.
fn skip_ws(bytes: &[u8], pos: usize) -> usize {
    let rest = bytes.get(pos..).unwrap_or_default();
    pos + rest.iter().take_while(|b| matches!(b, b' ' | b'\t' | b'\n' | b'\r')).count()
}

/// The offset just past the value starting at `pos`.
fn skip_value(bytes: &[u8], pos: usize) -> Option<usize> {
    match bytes.get(pos)? {
        b'{' | b'[' => skip_container(bytes, pos),
        b'"' => skip_string(bytes, pos),
        _ => skip_scalar(bytes, pos),
    }
}

/// The offset just past the object or array starting at `pos`, matching brackets without
/// recursion (so deep nesting cannot overflow the stack).
fn skip_container(bytes: &[u8], pos: usize) -> Option<usize> {
    let mut closers = Vec::new();
    let mut i = pos;
    loop {
        match *bytes.get(i)? {
            b'{' => closers.push(b'}'),
            b'[' => closers.push(b']'),
            c @ (b'}' | b']') => {
                if closers.pop()? != c {
                    return None;
                }
                if closers.is_empty() {
                    return Some(i + 1);
                }
            }
            b'"' => {
                i = skip_string(bytes, i)?;
                continue;
            }
            _ => {}
        }
        i += 1;
    }
}

/// The offset just past the string starting at `pos` (a `"`).
fn skip_string(bytes: &[u8], pos: usize) -> Option<usize> {
    let mut i = pos + 1;
    loop {
        match bytes.get(i)? {
            b'"' => return Some(i + 1),
            b'\\' => i += 2,
            _ => i += 1,
        }
    }
}

/// The offset just past a number or `true`/`false`/`null` starting at `pos`.
fn skip_scalar(bytes: &[u8], pos: usize) -> Option<usize> {
    let rest = bytes.get(pos..)?;
    let len = rest.iter().take_while(|b| b.is_ascii_alphanumeric() || matches!(b, b'+' | b'-' | b'.')).count();
    (len > 0).then_some(pos + len)
}

/// Decodes the string starting at `pos` (a `"`); returns it and the offset just past it.
fn read_string(text: &str, pos: usize) -> Option<(String, usize)> {
    if text.as_bytes().get(pos) != Some(&b'"') {
        return None;
    }
    let start = pos + 1;
    let mut chars = text.get(start..)?.char_indices();
    let mut out = String::new();
    while let Some((i, c)) = chars.next() {
        match c {
            '"' => return Some((out, start + i + 1)),
            '\\' => out.push(read_escape(&mut chars)?),
            _ => out.push(c),
        }
    }
    None
}

/// Decodes the escape after a `\`, joining a `\uD8xx\uDCxx` surrogate pair; a lone surrogate
/// becomes U+FFFD.
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
        'u' => return read_unicode(chars),
        _ => return None,
    };
    Some(c)
}

/// Decodes the hex digits of a `\u` escape (and a following low surrogate, if any).
fn read_unicode(chars: &mut std::str::CharIndices<'_>) -> Option<char> {
    let high = read_hex4(chars)?;
    if !(0xD800..0xDC00).contains(&high) {
        return Some(char::from_u32(high).unwrap_or(char::REPLACEMENT_CHARACTER));
    }
    let mut ahead = chars.clone();
    let is_pair = ahead.next().map(|p| p.1) == Some('\\') && ahead.next().map(|p| p.1) == Some('u');
    let low = if is_pair { read_hex4(&mut ahead) } else { None };
    match low {
        Some(low) if (0xDC00..0xE000).contains(&low) => {
            *chars = ahead;
            let code = 0x10000 + ((high - 0xD800) << 10) + (low - 0xDC00);
            Some(char::from_u32(code).unwrap_or(char::REPLACEMENT_CHARACTER))
        }
        _ => Some(char::REPLACEMENT_CHARACTER),
    }
}

/// Reads exactly four hex digits.
fn read_hex4(chars: &mut std::str::CharIndices<'_>) -> Option<u32> {
    (0..4).try_fold(0u32, |acc, _| Some(acc * 16 + chars.next()?.1.to_digit(16)?))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const DOC: &str = r#"{
  "name": "demo",
  "dynamo": { "n": 3, "r": 2, "w": 2 },
  "workloads": [
    { "kind": "get", "keys": { "count": 10 } },
    {
      "kind": "put",
      "keys": { "count": 20, "dist": "zipf" }
    }
  ]
}"#;

    // The tests write paths as text; `JsonPath::parse` turns them into segments.
    fn locate(text: &str, path: &str) -> Option<(usize, usize)> {
        super::locate(text, &JsonPath::parse(path))
    }

    fn locate_key(text: &str, path: &str) -> Option<(usize, usize)> {
        super::locate_key(text, &JsonPath::parse(path))
    }

    fn value_span(text: &str, path: &str) -> Option<std::ops::Range<usize>> {
        super::value_span(text, &JsonPath::parse(path))
    }

    #[test]
    fn a_key_holding_dots_or_brackets_is_one_segment() {
        let text = r#"{"a.b": {"[0]": 7}, "a": {"b": 8}}"#;
        let odd = JsonPath::root().field("a.b").field("[0]");
        assert_eq!(super::locate(text, &odd), Some((1, 17)));
        assert_eq!(locate(text, "a.b"), Some((1, 32)));
    }

    #[test]
    fn root_path_is_first_value() {
        assert_eq!(locate(DOC, ""), Some((1, 1)));
        assert_eq!(locate(DOC, "."), Some((1, 1)));
        assert_eq!(locate("\n\n   [1]", ""), Some((3, 4)));
        assert_eq!(locate_key(DOC, ""), Some((1, 1)));
    }

    #[test]
    fn nested_objects_and_arrays_multi_line() {
        assert_eq!(locate(DOC, "name"), Some((2, 11)));
        assert_eq!(locate(DOC, "dynamo"), Some((3, 13)));
        assert_eq!(locate(DOC, "dynamo.r"), Some((3, 28)));
        assert_eq!(locate(DOC, "workloads"), Some((4, 16)));
        assert_eq!(locate(DOC, "workloads[0]"), Some((5, 5)));
        assert_eq!(locate(DOC, "workloads[0].keys.count"), Some((5, 41)));
        assert_eq!(locate(DOC, "workloads[1]"), Some((6, 5)));
        assert_eq!(locate(DOC, "workloads[1].keys.dist"), Some((8, 38)));
    }

    #[test]
    fn serde_path_to_error_paths_work() {
        // serde_path_to_error prints `a.b[0].c`, and `.` for the root.
        assert_eq!(locate(DOC, "workloads[1].kind"), Some((7, 15)));
        assert_eq!(locate("[[1, {\"a\": 5}]]", "[0][1].a"), Some((1, 12)));
    }

    #[test]
    fn missing_key_points_at_enclosing_brace() {
        assert_eq!(locate(DOC, "dynamo.x"), Some((3, 13)));
        assert_eq!(locate(DOC, "workloads[1].keys.seed"), Some((8, 15)));
        assert_eq!(locate(DOC, "nope"), Some((1, 1)));
        assert_eq!(locate(DOC, "nope.deeper[3]"), Some((1, 1)));
        assert_eq!(locate("{\"a\": {}}", "a.b"), Some((1, 7)));
    }

    #[test]
    fn index_out_of_range_points_at_enclosing_bracket() {
        assert_eq!(locate(DOC, "workloads[2]"), Some((4, 16)));
        assert_eq!(locate(DOC, "workloads[7].keys"), Some((4, 16)));
        assert_eq!(locate("{\"a\": []}", "a[0]"), Some((1, 7)));
    }

    #[test]
    fn step_into_scalar_points_at_scalar() {
        assert_eq!(locate(DOC, "name.first"), Some((2, 11)));
        assert_eq!(locate(DOC, "dynamo.n[0]"), Some((3, 20)));
    }

    #[test]
    fn keys_with_escapes_are_decoded() {
        let text = r#"{"a\"b": 1, "c\\d": 2, "\u00e9t\u00E9": 3, "\ud83d\ude00": 4, "x\/y": 5}"#;
        assert_eq!(locate(text, "a\"b"), Some((1, 10)));
        assert_eq!(locate(text, "c\\d"), Some((1, 21)));
        assert_eq!(locate(text, "été"), Some((1, 41)));
        assert_eq!(locate(text, "😀"), Some((1, 60)));
        assert_eq!(locate(text, "x/y"), Some((1, 71)));
        assert_eq!(locate(text, "c"), Some((1, 1)));
    }

    #[test]
    fn strings_with_structural_characters_are_skipped() {
        let text = r#"{"s": "{[\"]}", "t": ["]", "\\", {"u": "}"}], "v": 9}"#;
        assert_eq!(locate(text, "v"), Some((1, 52)));
        assert_eq!(locate(text, "t[2].u"), Some((1, 40)));
        assert_eq!(locate(text, "t[1]"), Some((1, 28)));
    }

    #[test]
    fn all_scalar_kinds_are_skipped() {
        let text = "{\"a\": [true, false, null, -1.5e+3, 0, \"x\"], \"b\": 2}";
        assert_eq!(locate(text, "a[4]"), Some((1, 36)));
        assert_eq!(locate(text, "a[5]"), Some((1, 39)));
        assert_eq!(locate(text, "b"), Some((1, 50)));
    }

    #[test]
    fn duplicate_keys_last_wins() {
        let text = "{\"a\": 1,\n \"a\": {\"b\": 2}}";
        assert_eq!(locate(text, "a"), Some((2, 7)));
        assert_eq!(locate(text, "a.b"), Some((2, 13)));
        assert_eq!(locate_key(text, "a"), Some((2, 2)));
    }

    #[test]
    fn line_column_counts_like_locate() {
        assert_eq!(line_column(DOC, 0), (1, 1));
        assert_eq!(line_column(DOC, DOC.find("\"r\"").unwrap()), locate_key(DOC, "dynamo.r").unwrap());
        assert_eq!(line_column("\u{feff}{\n \"é\": 1}", 10), (2, 5));
        assert_eq!(line_column("ab", 99), (1, 3));
    }

    #[test]
    fn value_span_covers_exactly_the_value_and_only_when_present() {
        let span = |path: &str| value_span(DOC, path).map(|r| &DOC[r]);
        assert_eq!(span("dynamo"), Some(r#"{ "n": 3, "r": 2, "w": 2 }"#));
        assert_eq!(span("workloads[0].keys.count"), Some("10"));
        assert_eq!(span("name"), Some("\"demo\""));
        assert_eq!(span(""), Some(DOC));
        for missing in ["dynamo.x", "workloads[2]", "name.first", "nope"] {
            assert_eq!(span(missing), None, "{missing}");
        }
        let bom = "\u{feff}{\"a\": [1]}";
        assert_eq!(value_span(bom, "a").map(|r| &bom[r]), Some("[1]"));
    }

    #[test]
    fn columns_count_chars_not_bytes() {
        let text = "{\"naïve\": \"日本語\", \"k\": 1}";
        assert_eq!(locate(text, "k"), Some((1, 23)));
        assert_eq!(locate_key(text, "k"), Some((1, 18)));
        let tabbed = "{\n\t\"k\":\t7}";
        assert_eq!(locate(tabbed, "k"), Some((2, 7)));
    }

    #[test]
    fn bom_is_ignored() {
        let text = "\u{feff}{\"k\": 1}";
        assert_eq!(locate(text, ""), Some((1, 1)));
        assert_eq!(locate(text, "k"), Some((1, 7)));
    }

    #[test]
    fn crlf_line_endings() {
        let text = "{\r\n  \"k\": 1\r\n}";
        assert_eq!(locate(text, "k"), Some((2, 8)));
    }

    #[test]
    fn locate_key_points_at_key_token() {
        assert_eq!(locate_key(DOC, "dynamo.r"), Some((3, 23)));
        assert_eq!(locate_key(DOC, "workloads[1].keys.dist"), Some((8, 30)));
        assert_eq!(locate_key(DOC, "workloads[1]"), Some((6, 5)));
        // Missing key: falls back to the enclosing brace.
        assert_eq!(locate_key(DOC, "dynamo.zz"), Some((3, 13)));
    }

    #[test]
    fn malformed_text_returns_none() {
        assert_eq!(locate("", ""), None);
        assert_eq!(locate("   \n ", "a"), None);
        assert_eq!(locate("{\"a\": ", "a"), None);
        assert_eq!(locate("{\"a\" 1}", "a"), None);
        assert_eq!(locate("{\"a\": [1, 2}", "b"), None);
        assert_eq!(locate("{\"a\": \"unterminated}", "b"), None);
        assert_eq!(locate("{\"\\q\": 1, \"b\": 2}", "b"), None);
        assert_eq!(locate("[1,,2]", "[2]"), None);
        assert_eq!(locate("[1,]", "[1]"), None);
        assert_eq!(locate("{\"x", "x"), None);
    }

    #[test]
    fn truncated_text_after_a_match_still_locates() {
        assert_eq!(locate("{\"a\": 1, \"b\": [", "a"), Some((1, 7)));
        assert_eq!(locate("[1, 2, 3", "[1]"), Some((1, 5)));
        assert_eq!(locate("{\"a\": \"unterminated}", "a"), Some((1, 7)));
        assert_eq!(locate("{\"a\": {\"b\": 1", "a.b"), Some((1, 13)));
    }

    #[test]
    fn deep_nesting_does_not_overflow() {
        let deep = format!("{{\"a\": {}{}, \"b\": 1}}", "[".repeat(100_000), "]".repeat(100_000));
        assert_eq!(locate(&deep, "b"), Some((1, 200_014)));
        assert_eq!(locate(&"[".repeat(100_000), "a"), Some((1, 1)));
        assert_eq!(locate(&"[".repeat(100_000), "[0][0]"), Some((1, 3)));
    }

    proptest! {
        #[test]
        fn never_panics_on_random_text(text in any::<String>(), path in any::<String>()) {
            let _ = locate(&text, &path);
            let _ = locate_key(&text, &path);
            let _ = value_span(&text, &path).map(|r| &text[r]);
            let _ = line_column(&text, path.len());
        }

        #[test]
        fn never_panics_on_json_like_text(
            text in r#"[\[\]{}":,\\ \ta0-9u.\n\u{feff}é-]{0,64}"#,
            path in r#"[a-c.\[\]0-9]{0,12}"#,
        ) {
            let _ = locate(&text, &path);
            let _ = locate_key(&text, &path);
            let _ = value_span(&text, &path).map(|r| &text[r]);
            let _ = line_column(&text, path.len());
        }

        #[test]
        fn located_value_starts_where_expected(n in 0usize..8, pad in "[ \n\t]{0,4}") {
            let items: Vec<String> = (0..n).map(|i| format!("{pad}{i}")).collect();
            let text = format!("{{\"xs\":{pad}[{}]}}", items.join(","));
            for i in 0..n {
                let (line, col) = locate(&text, &format!("xs[{i}]")).unwrap();
                let line_text = text.lines().nth(line - 1).unwrap();
                let found: String = line_text.chars().skip(col - 1).take_while(char::is_ascii_digit).collect();
                prop_assert_eq!(found, i.to_string());
            }
        }
    }
}
