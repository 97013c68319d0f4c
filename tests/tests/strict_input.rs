//! Strict input (issue 13): scenario files that `serde_json` alone would read (or read forever)
//! are refused, located, and never with a panic: files over the size limit, text that is not
//! UTF-8, duplicate keys (in structs and in the maps keyed by node number), nesting beyond the
//! depth limit, and arrays where an object belongs. Every shipped scenario still loads.
//!
//! Cases edit one line of [`tests::SMALL`] (its layout is in the constant's docs); expected
//! lines and columns were counted by hand on the edited lines. Each refused case has a control:
//! the same edit without the mistake loads, so a case fails only for the reason it names.

use scenarios::error::ScenarioError;
use scenarios::load::{self, MAX_SCENARIO_BYTES};
use scenarios::strict::MAX_DEPTH;
use std::panic::catch_unwind;
use std::path::Path;
mod table;

use table::{Case, FILE, check_scenario, edit, run_table};
use tests::{SMALL, TempDir, with_line};

/// Loads `text` as `dynsim validate` does.
fn load(text: &str) -> Result<(), ScenarioError> {
    check_scenario(text)
}

/// Asserts every text loads: the controls of the refused cases.
fn assert_loads(texts: &[(&str, String)]) {
    for (name, text) in texts {
        load(text).unwrap_or_else(|e| panic!("control {name:?} must load: {e}"));
    }
}

// ---------------------------------------------------------------------------------------------
// size

/// A scenario file of exactly `len` bytes: [`SMALL`] padded with trailing spaces (valid JSON).
fn padded_small(len: usize) -> String {
    format!("{SMALL}{}", " ".repeat(len - SMALL.len()))
}

#[test]
fn a_file_over_the_size_limit_is_refused_naming_the_limit_and_the_file() {
    let dir = TempDir::new("strict-size");
    let at_limit = dir.write("at-limit.json", &padded_small(MAX_SCENARIO_BYTES));
    let text = load::read_source(&at_limit).unwrap_or_else(|e| panic!("a file of exactly the limit is read: {e}"));
    load(&text).unwrap_or_else(|e| panic!("and loads: {e}"));

    let over = dir.write("over.json", &padded_small(MAX_SCENARIO_BYTES + 1));
    let e = load::read_source(&over).expect_err("one byte over the limit");
    assert_eq!(e.file, over);
    assert_eq!((e.line, e.column), (None, None), "{e}");
    assert!(e.problem.message.contains("larger than 4 MiB (4194304 bytes)"), "{e}");
    assert!(e.to_string().starts_with(&format!("{}: error at (top level): the file is larger", over.display())), "{e}");
    assert!(!e.problem.fix.is_empty());
    let e = load::load_path(&over).expect_err("load_path reads the same way");
    assert!(e.problem.message.contains("larger than 4 MiB"), "{e}");
    let e = load::load_str(&padded_small(MAX_SCENARIO_BYTES + 1), Path::new(FILE)).expect_err("text over the limit");
    assert!(e.problem.message.contains("larger than 4 MiB"), "{e}");
}

#[cfg(target_os = "linux")]
#[test]
fn reading_an_endless_device_stops_at_the_limit() {
    let started = std::time::Instant::now();
    let e = load::read_source(Path::new("/dev/zero")).expect_err("/dev/zero is no scenario");
    assert!(e.problem.message.contains("larger than 4 MiB"), "{e}");
    // Reading 4 MiB takes milliseconds; reading on would never end.
    assert!(started.elapsed() < std::time::Duration::from_secs(20), "took {:?}", started.elapsed());
}

#[test]
fn a_missing_file_is_a_read_error_naming_it() {
    let e = load::read_source(Path::new("no/such/scenario.json")).expect_err("missing");
    assert!(e.to_string().starts_with("no/such/scenario.json: error at (top level): cannot read the file"), "{e}");
}

// ---------------------------------------------------------------------------------------------
// encoding

/// Writes `bytes` to a temporary file and reads it as a scenario.
fn read_bytes(label: &str, bytes: &[u8]) -> (TempDir, std::path::PathBuf, Result<String, ScenarioError>) {
    let dir = TempDir::new(label);
    let file = dir.path().join(FILE);
    std::fs::write(&file, bytes).expect("written");
    let read = load::read_source(&file);
    (dir, file, read)
}

/// `text` (which holds one `X`) as bytes, with byte `bad` in place of the `X`.
fn with_bad_byte(text: &str, bad: u8) -> Vec<u8> {
    assert_eq!(text.matches('X').count(), 1, "one X marks the spot");
    text.bytes().map(|b| if b == b'X' { bad } else { b }).collect()
}

#[test]
fn invalid_utf8_is_reported_at_its_first_bad_byte() {
    // Line 2 becomes `  "name": "sm\xffall",`: the bad byte is the 14th character.
    let bytes = with_bad_byte(&with_line(SMALL, 2, r#"  "name": "smXall","#), 0xFF);
    let (_dir, file, read) = read_bytes("strict-utf8", &bytes);
    let e = read.expect_err("invalid UTF-8");
    assert_eq!((e.line, e.column, e.problem.path.as_str()), (Some(2), Some(14), "name"), "{e}");
    let head = format!("{}:2:14: error at name: the file is not valid UTF-8 (byte 0xff)", file.display());
    assert!(e.to_string().starts_with(&head), "{e}");
    assert!(e.problem.fix.contains("UTF-8"), "{e}");

    // A Latin-1 `é` (0xE9) on line 11, after a multi-byte UTF-8 character on the same line:
    // columns count characters.
    let text = with_line(
        SMALL,
        11,
        r#"    { "name": "ü-X", "clients": 2, "arrival": { "poisson": { "rate_per_s": 50 } }, "keys": { "count": 50 } }"#,
    );
    let bytes = with_bad_byte(&text, 0xE9);
    let (_dir, _file, read) = read_bytes("strict-latin1", &bytes);
    let e = read.expect_err("Latin-1");
    assert_eq!((e.line, e.column, e.problem.path.as_str()), (Some(11), Some(18), "workloads[0].name"), "{e}");
    assert!(e.problem.message.contains("(byte 0xe9)"), "{e}");
}

#[test]
fn utf16_and_utf32_files_are_named_with_how_to_save_as_utf8() {
    let le: Vec<u8> = SMALL.encode_utf16().flat_map(u16::to_le_bytes).collect();
    let be: Vec<u8> = SMALL.encode_utf16().flat_map(u16::to_be_bytes).collect();
    let utf32: Vec<u8> = SMALL.chars().flat_map(|c| u32::from(c).to_le_bytes()).collect();
    let cases = [
        ("UTF-16 LE with BOM", [&[0xFF, 0xFE][..], &le].concat(), "UTF-16 (little-endian, byte order mark FF FE)"),
        ("UTF-16 BE with BOM", [&[0xFE, 0xFF][..], &be].concat(), "UTF-16 (big-endian, byte order mark FE FF)"),
        ("UTF-16 LE without BOM", le, "UTF-16 (little-endian"),
        ("UTF-16 BE without BOM", be, "UTF-16 (big-endian"),
        ("UTF-32 LE with BOM", [&[0xFF, 0xFE, 0, 0][..], &utf32].concat(), "UTF-32 (little-endian"),
    ];
    for (name, bytes, encoding) in cases {
        let (_dir, _file, read) = read_bytes("strict-utf16", &bytes);
        let e = read.expect_err(name);
        assert!(e.problem.message.starts_with(&format!("the file is {encoding}")), "{name}: {e}");
        assert!(e.problem.message.ends_with("not UTF-8"), "{name}: {e}");
        assert!(e.problem.fix.contains("save the file as UTF-8"), "{name}: {e}");
        assert_eq!((e.line, e.column), (Some(1), Some(1)), "{name}: {e}");
    }
}

#[test]
fn a_nul_byte_is_refused_where_it_is() {
    let text = with_line(SMALL, 3, "  \"seed\": 3,\0");
    let (_dir, _file, read) = read_bytes("strict-nul", text.as_bytes());
    let e = read.expect_err("NUL");
    assert_eq!((e.line, e.column), (Some(3), Some(13)), "{e}");
    assert!(e.problem.message.contains("NUL byte"), "{e}");
}

#[test]
fn a_utf8_byte_order_mark_is_still_accepted_from_a_file() {
    let (_dir, _file, read) = read_bytes("strict-bom", format!("\u{feff}{SMALL}").as_bytes());
    let text = read.unwrap_or_else(|e| panic!("a UTF-8 BOM is fine: {e}"));
    load(&text).unwrap_or_else(|e| panic!("and the text loads: {e}"));
}

// ---------------------------------------------------------------------------------------------
// duplicate keys

#[test]
fn duplicate_keys_are_refused_at_the_second_occurrence() {
    let capacities =
        "  \"cluster\": { \"nodes\": 5, \"capacities\": {\n    \"2\": 1.5,\n    \"0\": 1,\n    \"2\": 3 } },";
    let clocks =
        "  \"settle_s\": 1,\n  \"clocks\": {\n    \"1\": { \"offset_ms\": 5 },\n    \"1\": { \"drift_ppm\": 10 }\n  },";
    let poisson = r#"    { "clients": 2, "arrival": { "poisson": { "rate_per_s": 50 }, "poisson": { "rate_per_s": 5 } }, "keys": { "count": 50 } }"#;
    run_table(&[
        edit(
            "top level",
            5,
            r#"  "settle_s": 1, "seed": 4,"#,
            (5, 18),
            "seed",
            r#"duplicate key "seed" (first at line 3, column 3)"#,
        ),
        edit(
            "a struct field",
            7,
            r#"  "dynamo": { "n": 3, "r": 2, "w": 2, "r": 1 },"#,
            (7, 39),
            "dynamo.r",
            r#"duplicate key "r" (first at line 7, column 23)"#,
        ),
        edit(
            "a field of an array element",
            11,
            r#"    { "clients": 2, "clients": 3, "arrival": { "poisson": { "rate_per_s": 50 } }, "keys": { "count": 50 } }"#,
            (11, 21),
            "workloads[0].clients",
            r#"duplicate key "clients" (first at line 11, column 7)"#,
        ),
        edit(
            "an enum variant",
            11,
            poisson,
            (11, 67),
            "workloads[0].arrival.poisson",
            r#"duplicate key "poisson" (first at line 11, column 34)"#,
        ),
        // serde_json would let the last capacity win, silently.
        edit(
            "cluster.capacities",
            6,
            capacities,
            (9, 5),
            "cluster.capacities.2",
            r#"duplicate key "2" (first at line 7, column 5)"#,
        ),
        edit(
            "cluster.capacities, spelt with an escape",
            6,
            r#"  "cluster": { "nodes": 5, "capacities": { "2": 1.5, "\u0032": 3 } },"#,
            (6, 54),
            "cluster.capacities.2",
            r#"duplicate key "2" (first at line 6, column 44)"#,
        ),
        edit("clocks", 5, clocks, (8, 5), "clocks.1", r#"duplicate key "1" (first at line 7, column 5)"#),
    ]);
    assert_loads(&[
        ("distinct capacities", with_line(SMALL, 6, &capacities.replacen("\"2\": 3", "\"3\": 3", 1))),
        ("distinct clocks", with_line(SMALL, 5, &clocks.replacen("\"1\": { \"drift", "\"3\": { \"drift", 1))),
        ("dynamo without the repeat", with_line(SMALL, 7, r#"  "dynamo": { "n": 3, "r": 1, "w": 2 },"#)),
        ("two workloads with the same keys", with_line(SMALL, 11, &format!("{},\n{}", SMALL_WORKLOAD, SMALL_WORKLOAD))),
    ]);
}

/// Line 11 of [`SMALL`]: its one workload.
const SMALL_WORKLOAD: &str =
    r#"    { "clients": 2, "arrival": { "poisson": { "rate_per_s": 50 } }, "keys": { "count": 50 } }"#;

#[test]
fn nesting_beyond_the_depth_limit_is_refused_where_it_goes_too_deep() {
    // Line 8 becomes `  "network": { "loss": [[[...]]] },`: the top-level object and `network`
    // are two levels, so the array opened at level MAX_DEPTH + 1 is the (MAX_DEPTH - 1)th `[`,
    // the first being at column 24.
    let levels = 200; // deeper than serde_json's own limit of 128
    let line = format!("  \"network\": {{ \"loss\": {}0{} }},", "[".repeat(levels), "]".repeat(levels));
    let path = format!("network.loss{}", "[0]".repeat(MAX_DEPTH - 2));
    run_table(&[Case {
        name: "200 nested arrays",
        text: with_line(SMALL, 8, &line),
        at: (8, 24 + MAX_DEPTH - 2),
        path,
        message: "nested too deeply: more than 64 levels",
    }]);
}

// ---------------------------------------------------------------------------------------------
// objects must be objects

#[test]
fn arrays_where_an_object_belongs_are_refused_at_the_array() {
    const ARRAY: &str = "expected an object, got an array";
    let positional_workload = r#"    ["w", 2, 0, { "poisson": { "rate_per_s": 50 } }, { "count": 50 }]"#;
    run_table(&[
        // serde reads this as { "nodes": 5, "spares": 0 }.
        edit("cluster as its fields in order", 6, r#"  "cluster": [5, 0],"#, (6, 14), "cluster", ARRAY),
        // ... and this as { "n": 3, "r": 2, "w": 2 }.
        edit("dynamo as (N, R, W)", 7, r#"  "dynamo": [3, 2, 2],"#, (7, 13), "dynamo", ARRAY),
        edit("a workload as its fields in order", 11, positional_workload, (11, 5), "workloads[0]", ARRAY),
        edit(
            "a struct variant as its fields",
            14,
            r#"    { "at_s": 1, "fault": { "crash": [2, 500] } },"#,
            (14, 38),
            "faults[0].fault.crash",
            ARRAY,
        ),
        // These fail to parse (too short, a wrong type inside): still the array is the problem.
        edit("an empty cluster array", 6, r#"  "cluster": [],"#, (6, 14), "cluster", ARRAY),
        edit("a cluster array holding a string", 6, r#"  "cluster": ["a"],"#, (6, 14), "cluster", ARRAY),
        edit("a workload array too short", 11, "    [2]", (11, 5), "workloads[0]", ARRAY),
        edit(
            "capacities (a map) as a list",
            6,
            r#"  "cluster": { "nodes": 5, "capacities": [1, 2] },"#,
            (6, 42),
            "cluster.capacities",
            ARRAY,
        ),
        Case { name: "the whole scenario", text: "[]\n".to_string(), at: (1, 1), path: String::new(), message: ARRAY },
    ]);
    // Arrays where something other than an object belongs (a string, a variant name) keep the
    // parser's own message, at the array.
    for (line, new, at, path) in [
        (2, r#"  "name": ["small"],"#, (2, 11), "name"),
        (
            11,
            r#"    { "merge": ["union"], "clients": 2, "arrival": { "poisson": { "rate_per_s": 50 } }, "keys": { "count": 50 } }"#,
            (11, 16),
            "workloads[0].merge",
        ),
    ] {
        let e = load(&with_line(SMALL, line, new)).expect_err(path);
        assert_eq!((e.line, e.column, e.problem.path.as_str()), (Some(at.0), Some(at.1), path), "{e}");
        assert!(!e.problem.message.contains(ARRAY), "{path}: no object belongs here: {e}");
    }
    assert_loads(&[
        ("cluster as an object", with_line(SMALL, 6, r#"  "cluster": { "nodes": 5, "spares": 0 },"#)),
        (
            "capacities as an object",
            with_line(SMALL, 6, r#"  "cluster": { "nodes": 5, "capacities": { "0": 1, "1": 2 } },"#),
        ),
        (
            "arrays where arrays belong",
            with_line(
                SMALL,
                15,
                r#"    { "at_s": 2, "fault": { "partition": { "shape": { "groups": { "groups": [[0, 1], [2, 3, 4]] } } } } }"#,
            ),
        ),
    ]);
}

// ---------------------------------------------------------------------------------------------
// nothing valid is refused

#[test]
fn every_shipped_scenario_still_loads_from_the_library_and_from_its_file() {
    let examples = Path::new(env!("CARGO_MANIFEST_DIR")).join("../scenarios/examples");
    for (name, text) in scenarios::library::EXAMPLES {
        load::load_str(text, Path::new(name)).unwrap_or_else(|e| panic!("{name}: {e}"));
        let file = examples.join(format!("{name}.json"));
        let read = load::read_source(&file).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(&read, text, "{name}: the file on disk is the embedded text");
        load::load_path(&file).unwrap_or_else(|e| panic!("{name}: {e}"));
    }
}

#[test]
fn the_strict_checks_never_panic_on_edited_lines() {
    // Every line of the fixture replaced by pieces of JSON that the checks look at.
    let pieces = ["[", "{", "]", "}", "[[[[", "\"k\": 1, \"k\": 2", "\"\\ud800\"", "\u{0}", "[1, {}]"];
    for line in 1..=SMALL.lines().count() {
        for piece in pieces {
            let text = with_line(SMALL, line, piece);
            let outcome = catch_unwind(|| load(&text));
            assert!(outcome.is_ok(), "line {line} = {piece:?}: panicked");
        }
    }
}
