//! Test support: reads back the PDFs [`super::pdf`] writes, strictly enough that a broken file
//! fails a test. It checks the header, the cross-reference table (every offset points at its
//! object), the trailer and `%%EOF`; it finds the page, the media box, the embedded font, and
//! extracts the text of the content stream by decoding the CIDs of its `TJ` arrays through the
//! font's ToUnicode map.

use std::collections::BTreeMap;
use std::io::Read;

/// A parsed PDF: its bytes and the offset of every object the xref table lists.
pub(crate) struct Doc<'a> {
    bytes: &'a [u8],
    objects: BTreeMap<u32, usize>,
}

fn find(hay: &[u8], needle: &[u8], from: usize) -> Option<usize> {
    hay.get(from..)?.windows(needle.len()).position(|w| w == needle).map(|i| i + from)
}

fn text(b: &[u8]) -> &str {
    std::str::from_utf8(b).expect("ASCII PDF syntax")
}

impl<'a> Doc<'a> {
    /// Parses `bytes`, panicking with the reason when it is not a well-formed PDF.
    pub(crate) fn parse(bytes: &'a [u8]) -> Self {
        assert!(bytes.starts_with(b"%PDF-1."), "a PDF header");
        assert!(bytes.ends_with(b"%%EOF"), "ends with %%EOF");
        let at = find(bytes, b"startxref\n", bytes.len().saturating_sub(64)).expect("startxref");
        let end = bytes.len() - b"\n%%EOF".len();
        let xref: usize = text(&bytes[at + 10..end]).trim().parse().expect("an xref offset");
        assert!(bytes[xref..].starts_with(b"xref\n0 "), "startxref points at the xref table");
        let line_end = find(bytes, b"\n", xref + 7).expect("xref header");
        let count: u32 = text(&bytes[xref + 7..line_end]).parse().expect("an object count");
        let mut objects = BTreeMap::new();
        for i in 0..count {
            let entry = &bytes[line_end + 1 + 20 * i as usize..][..20];
            let (offset, kind) = (text(&entry[..10]).parse::<usize>().expect("an offset"), entry[17]);
            if kind == b'n' {
                let head = format!("{i} 0 obj\n");
                assert!(bytes[offset..].starts_with(head.as_bytes()), "xref entry {i} points at its object");
                objects.insert(i, offset);
            }
        }
        let trailer = find(bytes, b"trailer\n", xref).expect("a trailer");
        assert!(text(&bytes[trailer..at]).contains(&format!("/Size {count}")), "the trailer's /Size");
        Doc { bytes, objects }
    }

    /// Object `n`'s text up to `endobj` (its dictionary, and its stream's raw bytes).
    pub(crate) fn object(&self, n: u32) -> &'a [u8] {
        let at = self.objects[&n];
        let end = find(self.bytes, b"endobj", at).expect("endobj");
        &self.bytes[at..end]
    }

    /// Object `n`'s dictionary as text.
    pub(crate) fn dict(&self, n: u32) -> &'a str {
        let o = self.object(n);
        let end = find(o, b"stream\n", 0).unwrap_or(o.len());
        text(&o[..end])
    }

    /// The numbers of the objects whose dictionary contains `key`.
    pub(crate) fn with(&self, key: &str) -> Vec<u32> {
        self.objects.keys().copied().filter(|&n| self.dict(n).contains(key)).collect()
    }

    /// Object `n`'s stream, inflated when it is FlateDecode; checks its /Length.
    pub(crate) fn stream(&self, n: u32) -> Vec<u8> {
        let o = self.object(n);
        let start = find(o, b"stream\n", 0).expect("a stream") + 7;
        let end = find(o, b"\nendstream", start).expect("endstream");
        let raw = &o[start..end];
        assert_eq!(self.number(n, "/Length "), raw.len() as f64, "object {n}'s /Length");
        if !self.dict(n).contains("/FlateDecode") {
            return raw.to_vec();
        }
        let mut out = Vec::new();
        flate2::read::ZlibDecoder::new(raw).read_to_end(&mut out).expect("a zlib stream");
        out
    }

    /// The first number after `key` in object `n`'s dictionary.
    pub(crate) fn number(&self, n: u32, key: &str) -> f64 {
        let d = self.dict(n);
        let at = d.find(key).unwrap_or_else(|| panic!("{key} in object {n}")) + key.len();
        d[at..].split_whitespace().next().and_then(|v| v.parse().ok()).expect("a number")
    }

    /// The one object referenced as `key N 0 R` in object `n`.
    pub(crate) fn reference(&self, n: u32, key: &str) -> u32 {
        self.number(n, key) as u32
    }

    /// The page's media box (width, height) in points; there must be exactly one page.
    pub(crate) fn page_size(&self) -> (f64, f64) {
        let pages = self.with("/Type /Page\n");
        assert_eq!(pages.len(), 1, "one page");
        let d = self.dict(pages[0]);
        let at = d.find("/MediaBox [").expect("a media box") + 11;
        let v: Vec<f64> =
            d[at..].split(']').next().unwrap_or("").split_whitespace().map(|x| x.parse().expect("number")).collect();
        (v[2] - v[0], v[3] - v[1])
    }

    /// The text shown on the page, one string per `TJ` (a line of a chart), decoded through
    /// the ToUnicode map of the page's font.
    pub(crate) fn lines(&self) -> Vec<String> {
        let pages = self.with("/Type /Page\n");
        let content = self.stream(self.reference(pages[0], "/Contents"));
        let Some(&font) = self.with("/Subtype /Type0").first() else { return Vec::new() };
        let cmap = to_unicode(&self.stream(self.reference(font, "/ToUnicode")));
        let content = text(&content);
        let mut out = Vec::new();
        let mut rest = content;
        while let Some(end) = rest.find("] TJ") {
            let start = rest[..end].rfind('[').expect("a TJ array");
            let bytes = strings(&rest[start + 1..end]);
            let line = bytes
                .chunks(2)
                .map(|c| cmap.get(&u16::from_be_bytes([c[0], c[1]])).copied().unwrap_or('\u{fffd}'))
                .collect();
            out.push(line);
            rest = &rest[end + 4..];
        }
        out
    }
}

/// The ToUnicode map's `<cid> <utf16>` pairs (one code unit each: the charts' characters are
/// all in the Basic Multilingual Plane).
fn to_unicode(cmap: &[u8]) -> BTreeMap<u16, char> {
    let t = text(cmap);
    let mut out = BTreeMap::new();
    for line in t.lines().filter(|l| l.starts_with('<') && l.matches('<').count() == 2) {
        let hex: Vec<&str> = line.split(['<', '>', ' ']).filter(|s| !s.is_empty()).collect();
        let (cid, u) = (u16::from_str_radix(hex[0], 16).expect("hex"), u32::from_str_radix(hex[1], 16).expect("hex"));
        out.insert(cid, char::from_u32(u).expect("a character"));
    }
    out
}

/// The bytes of the literal `(…)` and hex `<…>` strings of a `TJ` array, concatenated
/// (numbers between them are kerning).
fn strings(array: &str) -> Vec<u8> {
    let b = array.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'(' => {
                // pdf-writer leaves balanced parentheses unescaped.
                let mut depth = 0;
                i += 1;
                while depth > 0 || b[i] != b')' {
                    if b[i] != b'\\' {
                        depth += i32::from(b[i] == b'(') - i32::from(b[i] == b')');
                        out.push(b[i]);
                        i += 1;
                        continue;
                    }
                    i += 1;
                    let (byte, used) = match b[i] {
                        b'n' => (b'\n', 1),
                        b'r' => (b'\r', 1),
                        b't' => (b'\t', 1),
                        b'b' => (8, 1),
                        b'f' => (12, 1),
                        b'0'..=b'7' => {
                            let n = b[i..].iter().take(3).take_while(|c| (b'0'..=b'7').contains(c)).count();
                            (u8::from_str_radix(text(&b[i..i + n]), 8).expect("octal"), n)
                        }
                        c => (c, 1),
                    };
                    out.push(byte);
                    i += used;
                }
                i += 1;
            }
            b'<' => {
                let end = i + array[i..].find('>').expect("a hex string");
                let hex = &array[i + 1..end];
                out.extend((0..hex.len()).step_by(2).map(|k| u8::from_str_radix(&hex[k..k + 2], 16).expect("hex")));
                i = end + 1;
            }
            _ => i += 1,
        }
    }
    out
}
