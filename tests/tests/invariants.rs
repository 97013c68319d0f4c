//! Property tests over random scenarios: random topology, N/R/W, Dynamo options, workloads,
//! faults the configuration tolerates (crashes with synced disks, partitions, pauses, clock
//! jumps, message loss) and membership changes (a spare joins, a node leaves). Every run must
//! keep every applicable invariant, must be deterministic (run twice, compare trace hashes,
//! once with the scanning oracle beside measurement), and its streamed measurement must equal
//! the oracle's. `PROPTEST_CASES` scales the campaign.

use proptest::prelude::*;
use scenarios::check::campaign::check_seed;
use scenarios::load::load_str;
use scenarios::measure::HistorySink;
use scenarios::oracle::compare::compare;
use scenarios::run::{RunOptions, run};
use serde_json::{Value, json};
use std::path::Path;

/// A fault the configuration tolerates, at second `t`.
fn fault(kind: u8, t: f64, node: u32, other: u32) -> Value {
    match kind {
        0 => json!({ "at_s": t, "fault": { "crash": { "node": node, "restart_after_ms": 700 } } }),
        1 => {
            json!({ "at_s": t, "fault": { "partition": { "name": "p", "shape": { "groups": { "groups": [[node], [other]] } } } } })
        }
        2 => json!({ "at_s": t, "fault": { "pause": { "node": node, "resume_after_ms": 300 } } }),
        3 => json!({ "at_s": t, "fault": { "clock_jump": { "node": node, "delta_ms": 250 } } }),
        _ => json!({ "at_s": t, "fault": { "heal": {} } }),
    }
}

/// Drops the entries of a sorted timeline that contradict the ones before them (a crash of a node
/// that is down, a pause of a node not running, a heal with nothing in force, a leave of a node
/// that is down), which the scenario check refuses.
fn consistent(timeline: Vec<(f64, Value)>) -> Vec<(f64, Value)> {
    let mut busy_until: std::collections::BTreeMap<u64, f64> = Default::default();
    let mut partitioned = false;
    let node_of = |v: &Value, kind: &str| v.pointer(&format!("/fault/{kind}/node")).and_then(Value::as_u64);
    let free = |busy: &std::collections::BTreeMap<u64, f64>, n: u64, t: f64| busy.get(&n).is_none_or(|&u| u <= t);
    let occupy = |busy: &mut std::collections::BTreeMap<u64, f64>, n: u64, t: f64, for_s: f64| {
        let ok = free(busy, n, t);
        if ok {
            busy.insert(n, t + for_s);
        }
        ok
    };
    timeline
        .into_iter()
        .filter(|(_, v)| {
            let t = v["at_s"].as_f64().expect("every entry has a time");
            if let Some(n) = node_of(v, "crash") {
                occupy(&mut busy_until, n, t, 0.7)
            } else if let Some(n) = node_of(v, "pause") {
                occupy(&mut busy_until, n, t, 0.3)
            } else if let Some(n) = v.pointer("/admin/leave/node").and_then(Value::as_u64) {
                free(&busy_until, n, t)
            } else if v.pointer("/fault/partition").is_some() {
                partitioned = true;
                true
            } else if v.pointer("/fault/heal").is_some() {
                std::mem::replace(&mut partitioned, false)
            } else {
                true
            }
        })
        .collect()
}

prop_compose! {
    fn scenario()(
        nodes in 3usize..8,
        n_frac in 0.0f64..1.0, r_frac in 0.0f64..1.0, w_frac in 0.0f64..1.0,
        dvv in any::<bool>(),
        coordinator in prop::sample::select(vec!["replica", "proxy", "client_driven"]),
        repair in prop::sample::select(vec![json!("off"), json!("blocking"), json!({ "async": { "wait_ms": 5.0 } })]),
        sloppy in any::<bool>(),
        loss in prop::sample::select(vec![0.0, 0.0, 0.01, 0.05]),
        clients in 1usize..4,
        rate in 30.0f64..250.0,
        keys in 3u64..60,
        rmw in 0.0f64..1.0,
        merge in prop::sample::select(vec!["union", "last_writer_wins", "keep_all"]),
        faults in prop::collection::vec((0u8..5, 0.2f64..2.5, 0u32..8, 0u32..8), 0..4),
        change in (0u8..3, 0.2f64..2.5, 0u32..8),
        seed in 1u64..1_000_000,
    ) -> (Value, u64) {
        let n = 1 + (n_frac * nodes.min(5) as f64) as usize % nodes.min(5);
        let r = 1 + (r_frac * n as f64) as usize % n;
        let w = 1 + (w_frac * n as f64) as usize % n;
        let mut timeline: Vec<(f64, Value)> = faults
            .iter()
            .map(|&(k, t, a, b)| {
                let (a, b) = (a % nodes as u32, b % nodes as u32);
                let b = if a == b { (b + 1) % nodes as u32 } else { b };
                (t, fault(k, (t * 100.0).round() / 100.0, a, b))
            })
            .collect();
        // 0: none; 1: the spare (node `nodes`) joins; 2: a node leaves if N nodes remain.
        let (kind, t, who) = change;
        let at = (t * 100.0).round() / 100.0;
        match kind {
            1 => timeline.push((at, json!({ "at_s": at, "admin": { "join": { "node": nodes } } }))),
            2 if nodes > n => timeline.push((at, json!({ "at_s": at, "admin": { "leave": { "node": who % nodes as u32 } } }))),
            _ => {}
        }
        timeline.sort_by(|x, y| x.0.total_cmp(&y.0));
        let timeline = consistent(timeline);
        let s = json!({
            "seed": seed, "duration_s": 3, "settle_s": 3,
            "cluster": { "nodes": nodes, "spares": 1, "partitioning": { "kind": "random_tokens", "tokens_per_node": 8 } },
            "dynamo": {
                "n": n, "r": r, "w": w,
                "versioning": if dvv { json!("dvv") } else { json!({ "vector_clock": {} }) },
                "coordinator": coordinator,
                "read_repair": repair,
                "sloppy_quorum": { "enabled": sloppy }
            },
            "network": { "loss": loss },
            "workloads": [{
                "clients": clients,
                "arrival": { "poisson": { "rate_per_s": rate } },
                "keys": { "count": keys, "popularity": { "zipf": { "exponent": 0.9 } } },
                "mix": { "get": 1.0 - rmw, "read_modify_write": rmw, "put": 0.1, "delete": 0.02 },
                "merge": merge
            }],
            "faults": timeline.into_iter().map(|(_, f)| f).collect::<Vec<_>>()
        });
        (s, seed)
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, ..ProptestConfig::default() })]

    #[test]
    fn random_scenarios_keep_every_invariant_and_replay_identically((json, seed) in scenario()) {
        let s = load_str(&json.to_string(), Path::new("<random scenario>"))
            .map_err(|e| TestCaseError::fail(format!("generated an invalid scenario: {e}\n{json:#}")))?;
        let first = check_seed(&s, seed).map_err(|e| TestCaseError::fail(e.to_string()))?;
        let failures: Vec<String> = first.failures().map(|v| format!("{v:?}")).collect();
        prop_assert!(failures.is_empty(), "invariants broken with seed {seed}:\n{}\nscenario:\n{json:#}", failures.join("\n"));
        let opts = RunOptions { seed: Some(seed), history: Some(HistorySink::Memory(vec![])), oracle: true, ..RunOptions::default() };
        let second = run(&s, opts).map_err(|e| TestCaseError::fail(e.to_string()))?;
        prop_assert_eq!(&first.trace_hash, &second.trace_hash, "seed {} did not replay", seed);
        if let Err(e) = compare(&s, &second) {
            prop_assert!(false, "seed {seed}: {e}\nscenario:\n{json:#}");
        }
    }
}

/// With anti-entropy on and a long enough quiet period, convergence is promised and kept even
/// under message loss; with it off the same run makes no such promise.
#[test]
fn anti_entropy_makes_convergence_a_checked_promise() {
    let mut s = json!({
        "duration_s": 3, "settle_s": 12,
        "cluster": { "nodes": 5, "partitioning": { "kind": "random_tokens", "tokens_per_node": 4 } },
        "dynamo": { "read_repair": "off", "sloppy_quorum": { "enabled": false },
                    "anti_entropy": { "enabled": true, "interval_ms": 100 } },
        "network": { "loss": 0.05 },
        "workloads": [{ "clients": 2, "arrival": { "poisson": { "rate_per_s": 150 } }, "keys": { "count": 60 } }]
    });
    let verdict = |s: &Value| {
        let sc = load_str(&s.to_string(), Path::new("<ae>")).expect("valid");
        let r = check_seed(&sc, 4).expect("runs");
        r.verdicts.into_iter().find(|v| v.invariant == "replicas_converge").expect("checked")
    };
    let on = verdict(&s);
    assert_eq!(on.status, reports::Status::Pass, "{on:?}");
    s["dynamo"]["anti_entropy"]["enabled"] = json!(false);
    let off = verdict(&s);
    assert!(matches!(off.status, reports::Status::NotApplicable { .. }), "{off:?}");
}
