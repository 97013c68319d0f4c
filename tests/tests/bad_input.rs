//! Bad scenario files are refused with the right line, column, JSON path and message, and never
//! with a panic.
//!
//! Every case edits one line of [`tests::SMALL`] (its layout is in the constant's docs); the
//! expected line and column were counted by hand on the edited line. A case goes through what
//! every command does: `load::load_str`, which parses and then runs `checked::check` (rules,
//! bounds, timeline, cost budget, and a trial assembly for what needs a world: fault shapes),
//! located with `load::locate_problem`. The command line's exit code and message are spot-checked in
//! `scenarios/tests/cli.rs`.

mod table;

use scenarios::error::ScenarioError;
use std::panic::catch_unwind;
use table::{Case, check_scenario, edit, run_table};
use tests::{SMALL, with_line};

#[test]
fn the_unedited_fixture_is_valid() {
    check_scenario(SMALL).unwrap_or_else(|e| panic!("the base fixture must be valid: {e}"));
}

#[test]
fn broken_json_points_at_where_parsing_stopped() {
    let cut_after_line_11 = &SMALL[..SMALL.find("  ],").expect("line 12 of the fixture")];
    let cut_mid_value = &SMALL[..SMALL.find("50 } }").expect("the rate on line 11") + 1];
    run_table(&[
        // Line 4 loses its comma; the parser notices at the next key.
        edit("missing comma", 4, r#"  "duration_s": 3"#, (5, 3), "", "expected `,` or `}`"),
        // A colon replaced by a space.
        edit("missing colon", 6, r#"  "cluster" { "nodes": 5 },"#, (6, 13), "", "expected `:`"),
        // A trailing comma before the closing bracket of `faults` (line 15 gains one).
        edit(
            "trailing comma",
            15,
            r#"    { "at_s": 2, "fault": { "partition": { "shape": { "isolate_one": { "node": 1 } } } } },"#,
            (16, 3),
            "faults",
            "trailing comma",
        ),
        Case {
            name: "truncated after a line",
            text: cut_after_line_11.to_string(),
            at: (12, 1),
            path: "workloads".into(),
            message: "EOF while parsing a list",
        },
        Case {
            name: "truncated inside a value",
            text: cut_mid_value.to_string(),
            at: (11, 61),
            path: "workloads[0].arrival.poisson".into(),
            message: "EOF while parsing an object",
        },
        Case {
            name: "empty file",
            text: String::new(),
            at: (1, 1),
            path: "".into(),
            message: "EOF while parsing a value",
        },
        Case {
            name: "text after the object",
            text: format!("{SMALL}{{}}\n"),
            at: (18, 1),
            path: "".into(),
            message: "trailing characters",
        },
    ]);
}

#[test]
fn wrong_types_point_at_the_start_of_the_value() {
    run_table(&[
        // `"3"` starts at column 17 (serde_json itself stops at its closing quote, column 19).
        edit("string for duration_s", 4, r#"  "duration_s": "3","#, (4, 17), "duration_s", "expected f64"),
        edit(
            "float for a node count",
            6,
            r#"  "cluster": { "nodes": 5.5 },"#,
            (6, 25),
            "cluster.nodes",
            "expected usize",
        ),
        // serde_json refuses the `{` before reading it, so it names the space before (column 15).
        edit("object for workloads", 10, r#"  "workloads": {"#, (10, 16), "workloads", "expected a sequence"),
        edit("number too large", 4, r#"  "duration_s": 1e999,"#, (4, 17), "duration_s", "number out of range"),
        edit("negative node count", 6, r#"  "cluster": { "nodes": -5 },"#, (6, 25), "cluster.nodes", "expected usize"),
    ]);
}

#[test]
fn unknown_fields_point_at_the_key() {
    run_table(&[
        // `"colour"` starts at column 18, its value at 28: the key is reported.
        edit(
            "unknown top-level field",
            5,
            r#"  "settle_s": 1, "colour": 1,"#,
            (5, 18),
            "colour",
            "unknown field `colour`",
        ),
        edit(
            "misspelt dynamo.n",
            7,
            r#"  "dynamo": { "n": 3, "nn": 2, "w": 2 },"#,
            (7, 23),
            "dynamo.nn",
            "unknown field `nn`",
        ),
        edit(
            "unknown field inside an enum variant",
            11,
            r#"    { "clients": 2, "arrival": { "poisson": { "rate": 50 } }, "keys": { "count": 50 } }"#,
            (11, 47),
            "workloads[0].arrival.poisson.rate",
            "unknown field `rate`, expected `rate_per_s`",
        ),
        edit(
            "unknown field in a fault",
            14,
            r#"    { "at_s": 1, "fault": { "crash": { "node": 2, "restart_ms": 500 } } },"#,
            (14, 51),
            "faults[0].fault.crash.restart_ms",
            "unknown field `restart_ms`",
        ),
        edit(
            "unknown fault kind",
            15,
            r#"    { "at_s": 2, "fault": { "explode": { "node": 1 } } }"#,
            (15, 37),
            "faults[1].fault",
            "unknown variant `explode`",
        ),
    ]);
}

#[test]
fn quorum_settings_beyond_n_or_the_cluster_are_refused() {
    run_table(&[
        edit(
            "R > N",
            7,
            r#"  "dynamo": { "n": 3, "r": 4, "w": 2 },"#,
            (7, 28),
            "dynamo.r",
            "must be between 1 and 3, got 4",
        ),
        edit(
            "W > N",
            7,
            r#"  "dynamo": { "n": 3, "r": 2, "w": 4 },"#,
            (7, 36),
            "dynamo.w",
            "must be between 1 and 3, got 4",
        ),
        edit(
            "N > nodes",
            7,
            r#"  "dynamo": { "n": 6, "r": 2, "w": 2 },"#,
            (7, 20),
            "dynamo.n",
            "must be between 1 and 5, got 6",
        ),
        edit("R = 0", 7, r#"  "dynamo": { "n": 3, "r": 0, "w": 2 },"#, (7, 28), "dynamo.r", "got 0"),
        edit("no nodes", 6, r#"  "cluster": { "nodes": 0 },"#, (6, 25), "cluster.nodes", "at least one node"),
    ]);
}

#[test]
fn negative_rates_and_out_of_range_probabilities_are_refused() {
    run_table(&[
        edit(
            "negative arrival rate",
            11,
            r#"    { "clients": 2, "arrival": { "poisson": { "rate_per_s": -5 } }, "keys": { "count": 50 } }"#,
            (11, 61),
            "workloads[0].arrival.poisson.rate_per_s",
            "got -5",
        ),
        edit(
            "network loss above 1",
            8,
            r#"  "network": { "loss": 1.5 },"#,
            (8, 24),
            "network.loss",
            "probability must be in [0, 1], got 1.5",
        ),
        edit(
            "negative torn-write probability",
            9,
            r#"  "disk": { "faults": { "torn_write": -0.1 } },"#,
            (9, 39),
            "disk.faults.torn_write",
            "probability must be in [0, 1], got -0.1",
        ),
        edit(
            "negative duration",
            4,
            r#"  "duration_s": -3,"#,
            (4, 17),
            "duration_s",
            "must be a finite number > 0, got -3",
        ),
    ]);
}

#[test]
fn timeline_errors_name_the_entry_and_field() {
    run_table(&[
        edit(
            "times out of order",
            15,
            r#"    { "at_s": 0.5, "fault": { "partition": { "shape": { "isolate_one": { "node": 1 } } } } }"#,
            (15, 15),
            "faults[1].at_s",
            "times out of order: 0.5 comes after an action at 1",
        ),
        edit(
            "fault after the run ends",
            15,
            r#"    { "at_s": 200, "fault": { "heal": {} } }"#,
            (15, 15),
            "faults[1].at_s",
            "must be between 0 and duration_s + settle_s (4), got 200",
        ),
        edit(
            "crash of node 99 of 5",
            14,
            r#"    { "at_s": 1, "fault": { "crash": { "node": 99, "restart_after_ms": 500 } } },"#,
            (14, 48),
            "faults[0].fault.crash.node",
            "node 99 does not exist (nodes are 0..=4)",
        ),
        edit(
            "negative restart delay",
            14,
            r#"    { "at_s": 1, "fault": { "crash": { "node": 2, "restart_after_ms": -500 } } },"#,
            (14, 71),
            "faults[0].fault.crash.restart_after_ms",
            "restart_after_ms must be a finite number >= 0, got -500",
        ),
        // Shapes are checked when the world is assembled; the shape object is at column 53.
        edit(
            "isolating a nonexistent node",
            15,
            r#"    { "at_s": 2, "fault": { "partition": { "shape": { "isolate_one": { "node": 99 } } } } }"#,
            (15, 53),
            "faults[1].fault.partition.shape",
            "process p99 does not exist",
        ),
        edit(
            "a partition group naming a nonexistent node",
            15,
            r#"    { "at_s": 2, "fault": { "partition": { "shape": { "groups": { "groups": [[0, 1], [2, 99]] } } } } }"#,
            (15, 53),
            "faults[1].fault.partition.shape",
            "process p99 does not exist",
        ),
        edit(
            "an entry with neither fault nor admin",
            15,
            r#"    { "at_s": 2 }"#,
            (15, 5),
            "faults[1]",
            "exactly one of `fault` or `admin`",
        ),
        edit(
            "replacing node 99",
            15,
            r#"    { "at_s": 2, "admin": { "replace": { "node": 99 } } }"#,
            (15, 50),
            "faults[1].admin.replace.node",
            "node 99 does not exist",
        ),
    ]);
}

#[test]
fn membership_commands_that_cannot_happen_are_refused() {
    let twice =
        r#"    { "at_s": 2, "admin": { "leave": { "node": 1 } } }, { "at_s": 3, "admin": { "leave": { "node": 1 } } }"#;
    let three = r#"    { "at_s": 2, "admin": { "leave": { "node": 1 } } }, { "at_s": 3, "admin": { "leave": { "node": 2 } } }, { "at_s": 4, "admin": { "leave": { "node": 3 } } }"#;
    run_table(&[
        edit(
            "join of a node that does not exist",
            15,
            r#"    { "at_s": 2, "admin": { "join": { "node": 5 } } }"#,
            (15, 47),
            "faults[1].admin.join.node",
            "node 5 does not exist",
        ),
        edit(
            "join of a node on the ring",
            15,
            r#"    { "at_s": 2, "admin": { "join": { "node": 0 } } }"#,
            (15, 47),
            "faults[1].admin.join.node",
            "node 0 is already on the ring at this time",
        ),
        edit("a node leaves twice", 15, twice, (15, 100), "faults[2].admin.leave.node", "node 1 is not on the ring"),
        edit(
            "leaves below N nodes",
            15,
            three,
            (15, 152),
            "faults[3].admin.leave.node",
            "after node 3 leaves, 2 nodes remain, fewer than N = 3",
        ),
    ]);
}

#[test]
fn missing_required_fields_are_named() {
    run_table(&[
        // serde notices at the object's closing brace.
        edit("no cluster", 6, "", (17, 1), "", "missing field `cluster`"),
        edit("no duration", 4, "", (17, 1), "", "missing field `duration_s`"),
        edit(
            "a workload without keys",
            11,
            r#"    { "clients": 2, "arrival": { "poisson": { "rate_per_s": 50 } } }"#,
            (11, 68),
            "workloads[0]",
            "missing field `keys`",
        ),
    ]);
}

#[test]
fn a_byte_order_mark_is_ignored() {
    check_scenario(&format!("\u{feff}{SMALL}")).unwrap_or_else(|e| panic!("a BOM must not make the file invalid: {e}"));
    // Columns after a BOM count from the first character after it.
    let bad = format!("\u{feff}{}", with_line(SMALL, 7, r#"  "dynamo": { "n": 3, "r": 4, "w": 2 },"#));
    let e = check_scenario(&bad).expect_err("R > N");
    assert_eq!((e.line, e.column), (Some(7), Some(28)), "{e}");
}

/// Every line number and column an error names lies inside the text (or just past its end).
fn assert_in_text(text: &str, e: &ScenarioError, what: &str) {
    let (Some(line), Some(column)) = (e.line, e.column) else {
        panic!("{what}: the error has no position: {e}");
    };
    let lines: Vec<&str> = text.split('\n').collect();
    assert!((1..=lines.len()).contains(&line), "{what}: line {line} of {}: {e}", lines.len());
    let width = lines[line - 1].chars().count();
    assert!((1..=width + 1).contains(&column), "{what}: column {column} of a {width}-char line: {e}");
}

#[test]
fn every_truncation_of_a_valid_file_is_refused_and_located() {
    for (cut, _) in SMALL.char_indices().skip(1) {
        let text = &SMALL[..cut];
        // What follows the last `}` is only the final newline: that prefix is whole.
        if text.trim_end() == SMALL.trim_end() {
            continue;
        }
        let what = format!("cut at byte {cut}");
        let outcome = catch_unwind(|| check_scenario(text)).unwrap_or_else(|_| panic!("{what}: panicked"));
        let e = outcome.expect_err(&what);
        assert_in_text(text, &e, &what);
    }
}

#[test]
fn deleting_any_line_never_panics_and_errors_are_located() {
    for line in 1..=SMALL.lines().count() {
        let text = with_line(SMALL, line, "");
        let what = format!("line {line} deleted");
        let outcome = catch_unwind(|| check_scenario(&text)).unwrap_or_else(|_| panic!("{what}: panicked"));
        // Deleting `name` or `seed` (defaults) or `network`/`disk` leaves a valid scenario.
        if let Err(e) = outcome {
            assert_in_text(&text, &e, &what);
        }
    }
}

#[test]
fn settings_that_would_make_a_run_unbounded_are_refused_before_it_starts() {
    run_table(&[
        edit("a trillion seconds", 4, r#"  "duration_s": 1e12,"#, (4, 17), "duration_s", "at most 1e6"),
        edit("the largest double", 4, r#"  "duration_s": 1e308,"#, (4, 17), "duration_s", "at most 1e6"),
        edit("a trillion seconds to settle", 5, r#"  "settle_s": 1e12,"#, (5, 15), "settle_s", "at most 1e6"),
        edit(
            "nanosecond report windows",
            16,
            r#"  ], "outputs": { "metrics": { "window_s": 1e-9 } }"#,
            (16, 44),
            "outputs.metrics.window_s",
            "4000000000 windows of 0.000000001 s over a 4 s run; at most 100000",
        ),
        edit(
            "nanosecond samples",
            16,
            r#"  ], "outputs": { "metrics": { "sample_interval_s": 1e-9 } }"#,
            (16, 53),
            "outputs.metrics.sample_interval_s",
            "at most 100000",
        ),
        edit(
            "gossip every picosecond",
            7,
            r#"  "dynamo": { "n": 3, "r": 2, "w": 2, "membership": { "gossip": { "interval_ms": 1e-9 } } },"#,
            (7, 82),
            "dynamo.membership.gossip.interval_ms",
            "a background period must be at least 1 ms, got 0.000000001",
        ),
        edit(
            "hint scans every picosecond",
            7,
            r#"  "dynamo": { "n": 3, "r": 2, "w": 2, "sloppy_quorum": { "scan_interval_ms": 1e-9 } },"#,
            (7, 78),
            "dynamo.sloppy_quorum.scan_interval_ms",
            "at least 1 ms",
        ),
        edit(
            "a trillion probes per second",
            16,
            r#"  ], "probes": { "rate_per_s": 1e12, "delay_ms": { "constant": { "value": 1 } } }"#,
            (16, 32),
            "probes.rate_per_s",
            "at most 1e9 probes per second",
        ),
        edit(
            "a billion clients",
            11,
            r#"    { "clients": 1000000000, "arrival": { "poisson": { "rate_per_s": 50 } }, "keys": { "count": 50 } }"#,
            (11, 18),
            "workloads[0].clients",
            "1000000000 client processes over all workloads; at most 100000",
        ),
        edit(
            "4096 nodes of 65536 tokens",
            6,
            r#"  "cluster": { "nodes": 4096, "partitioning": { "kind": "random_tokens", "tokens_per_node": 65536 } },"#,
            (6, 47),
            "cluster.partitioning",
            "the ring would hold 268435456 positions",
        ),
        edit(
            "pauses of no length every no time",
            16,
            r#"  ], "chaos": { "pauses": { "nodes": [1], "interval_s": { "constant": { "value": 0 } }, "duration_s": { "constant": { "value": 0 } } } }"#,
            (16, 27),
            "chaos.pauses",
            "a fault and its repair take 0 s on average",
        ),
        edit(
            "the most spares a u64 holds",
            6,
            r#"  "cluster": { "nodes": 5, "spares": 18446744073709551615 },"#,
            (6, 38),
            "cluster.spares",
            "got 5 nodes and 18446744073709551615 spares",
        ),
        Case {
            name: "the most keys a u64 holds, with probes numbered above them",
            text: with_line(
                &with_line(
                    SMALL,
                    9,
                    r#"  "disk": { "faults": { "torn_write": 0 } }, "probes": { "rate_per_s": 10, "delay_ms": { "constant": { "value": 1 } } },"#,
                ),
                11,
                r#"    { "clients": 2, "arrival": { "poisson": { "rate_per_s": 50 } }, "keys": { "count": 18446744073709551615 } }"#,
            ),
            at: (11, 88),
            path: "workloads[0].keys.count".into(),
            message: "with probes, a workload may name at most 2^62 keys",
        },
        edit(
            "a clock drifting a trillion times too fast",
            7,
            r#"  "dynamo": { "n": 3, "r": 2, "w": 2 }, "clocks": { "1": { "drift_ppm": 1e18 } },"#,
            (7, 73),
            "clocks.1.drift_ppm",
            "must be greater than -1e6 and at most 1e6 parts per million, got 1e18",
        ),
        edit(
            "a clock set the largest double ahead",
            7,
            r#"  "dynamo": { "n": 3, "r": 2, "w": 2 }, "clocks": { "1": { "offset_ms": 1e308 } },"#,
            (7, 73),
            "clocks.1.offset_ms",
            "must be a number of milliseconds from -1e12 to 1e12, got 1e308",
        ),
        edit(
            "a workload over the event budget",
            11,
            r#"    { "clients": 2, "arrival": { "poisson": { "rate_per_s": 1e9 } }, "keys": { "count": 50 } }"#,
            (11, 32),
            "workloads[0].arrival",
            "events, over the budget of 1.00e9; most come from operations",
        ),
    ]);
}

#[test]
fn output_settings_that_a_run_would_refuse_are_refused_by_validate() {
    run_table(&[
        edit(
            "zero-width windows",
            16,
            r#"  ], "outputs": { "metrics": { "window_s": 0 } }"#,
            (16, 44),
            "outputs.metrics.window_s",
            "must be a positive number, got 0",
        ),
        edit(
            "a negative SLA",
            16,
            r#"  ], "outputs": { "metrics": { "sla_ms": -300 } }"#,
            (16, 42),
            "outputs.metrics.sla_ms",
            "must be a positive number, got -300",
        ),
        edit(
            "a diagram window with one end",
            16,
            r#"  ], "outputs": { "diagram": { "from_s": 1 } }"#,
            (16, 30),
            "outputs.diagram.until_s",
            "the window needs both ends",
        ),
        edit(
            "a diagram window running backwards",
            16,
            r#"  ], "outputs": { "diagram": { "from_s": 2, "until_s": 1 } }"#,
            (16, 56),
            "outputs.diagram.until_s",
            "must be after from_s (2); got 1",
        ),
        edit(
            "a quintillion arrows",
            16,
            r#"  ], "outputs": { "diagram": { "max_arrows": 1000000000000000000 } }"#,
            (16, 46),
            "outputs.diagram.max_arrows",
            "must be between 1 and 2000",
        ),
        edit(
            "a chart too narrow",
            16,
            r#"  ], "outputs": { "charts": { "width": 100 } }"#,
            (16, 40),
            "outputs.charts.width",
            "must be from 200 to 4000 pixels, got 100",
        ),
        edit(
            "a font too small to read",
            16,
            r#"  ], "outputs": { "charts": { "font_size": 0.5 } }"#,
            (16, 44),
            "outputs.charts.font_size",
            "must be from 6 to 32 pixels, got 0.5",
        ),
        edit(
            "a chart format twice",
            16,
            r#"  ], "outputs": { "charts": { "formats": ["pdf", "pdf"] } }"#,
            (16, 42),
            "outputs.charts.formats",
            "lists pdf twice",
        ),
    ]);
}

#[test]
fn timeline_entries_that_contradict_the_ones_before_are_refused() {
    let spare = |rest: &str| with_line(&with_line(SMALL, 6, r#"  "cluster": { "nodes": 5, "spares": 1 },"#), 15, rest);
    let mut cases = vec![
        edit(
            "a crash of a node already down",
            15,
            r#"    { "at_s": 1.2, "fault": { "crash": { "node": 2 } } }"#,
            (15, 50),
            "faults[1].fault.crash.node",
            "node 2 is down at 1.2 s, so it cannot crash",
        ),
        edit(
            "a restart of a running node",
            15,
            r#"    { "at_s": 2, "fault": { "restart": { "node": 3 } } }"#,
            (15, 50),
            "faults[1].fault.restart.node",
            "node 3 is running at 2 s, so it cannot restart",
        ),
        edit(
            "a restart after the scheduled one",
            15,
            r#"    { "at_s": 1.5, "fault": { "restart": { "node": 2 } } }"#,
            (15, 52),
            "faults[1].fault.restart.node",
            "node 2 is running at 1.5 s, so it cannot restart",
        ),
        edit(
            "a heal of a partition that does not exist",
            15,
            r#"    { "at_s": 2, "fault": { "heal": { "name": "nope" } } }"#,
            (15, 47),
            "faults[1].fault.heal.name",
            "no partition, clog or slowdown named \"nope\" is in force at this time",
        ),
        edit(
            "a heal of everything with nothing in force",
            15,
            r#"    { "at_s": 2, "fault": { "heal": {} } }"#,
            (15, 37),
            "faults[1].fault.heal",
            "nothing to heal",
        ),
        edit(
            "a resume of a node that is not paused",
            15,
            r#"    { "at_s": 2, "fault": { "resume": { "node": 3 } } }"#,
            (15, 49),
            "faults[1].fault.resume.node",
            "node 3 is running at 2 s, so it cannot resume",
        ),
    ];
    cases.push(Case {
        name: "a crash of a spare, then its join",
        text: spare(r#"    { "at_s": 1.2, "fault": { "crash": { "node": 5 } } }, { "at_s": 2, "admin": { "join": { "node": 5 } } }"#),
        at: (15, 101),
        path: "faults[2].admin.join.node".into(),
        message: "node 5 is down at 2 s, so it cannot join",
    });
    run_table(&cases);
}

#[test]
fn consistent_timelines_pass_the_contradiction_check() {
    let ok = [
        // Node 2 restarts at 1.5 s (restart_after_ms), so it may crash again at 1.6 s.
        r#"    { "at_s": 1.6, "fault": { "crash": { "node": 2, "restart_after_ms": 100 } } },"#,
        // A crash without a restart, then an explicit restart.
        r#"    { "at_s": 1.2, "fault": { "pause": { "node": 3 } } }, { "at_s": 1.4, "fault": { "resume": { "node": 3 } } },"#,
    ];
    for line in ok {
        let text = with_line(SMALL, 15, &format!("{line}\n{}", SMALL.lines().nth(14).expect("line 15")));
        check_scenario(&text).unwrap_or_else(|e| panic!("{line} must be accepted: {e}"));
    }
}
