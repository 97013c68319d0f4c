//! The checkers can fail: each deliberately broken model variant (dynamo-model's
//! `mutation-testing` feature) is caught by the checker that guards against it, while the same
//! scenario and seed pass with the model intact.

use dynamo_model::mutation::{self, Mutation};
use scenarios::check::campaign::check_seed;
use scenarios::checked::{Budget, CheckedScenario, check};
use scenarios::load::load_str;
use std::path::Path;

fn scenario(json: serde_json::Value) -> CheckedScenario {
    load_str(&json.to_string(), Path::new("<mutant test>")).expect("test scenario is valid")
}

/// The verdict statuses of one run, as (invariant, failed).
fn failed_invariants(s: &CheckedScenario, seed: u64, m: Option<Mutation>) -> Vec<String> {
    mutation::set(m);
    let r = check_seed(s, seed).expect("the scenario runs");
    mutation::set(None);
    r.failures().map(|v| v.invariant.clone()).collect()
}

fn assert_caught(s: &CheckedScenario, m: Mutation, invariant: &str) {
    let seeds = 1..=3u64;
    for seed in seeds.clone() {
        assert_eq!(failed_invariants(s, seed, None), Vec::<String>::new(), "the intact model fails seed {seed}");
    }
    let caught = seeds.clone().any(|seed| failed_invariants(s, seed, Some(m)).iter().any(|i| i == invariant));
    assert!(caught, "{m:?} was not caught by {invariant} in seeds {seeds:?}");
}

#[test]
fn a_read_quorum_of_r_minus_one_is_caught_by_the_strict_quorum_checker() {
    let s = scenario(serde_json::json!({
        "duration_s": 4, "settle_s": 1,
        "cluster": { "nodes": 5 },
        "dynamo": { "n": 3, "r": 2, "w": 2, "read_repair": "off", "sloppy_quorum": { "enabled": false } },
        "network": { "latency_ms": { "same_rack": { "exponential": { "mean": 2.0 } } } },
        "workloads": [{ "clients": 4, "arrival": { "poisson": { "rate_per_s": 400 } },
                        "keys": { "count": 5 }, "mix": { "get": 0.5, "put": 0.5 } }]
    }));
    assert_caught(&s, Mutation::ReadQuorumMinusOne, "strict_quorum_fresh");
}

#[test]
fn gossip_that_drops_deltas_is_caught_by_the_membership_checker() {
    let s = scenario(serde_json::json!({
        "duration_s": 4, "settle_s": 16,
        "cluster": { "nodes": 5, "spares": 1 },
        "workloads": [{ "clients": 2, "arrival": { "poisson": { "rate_per_s": 100 } }, "keys": { "count": 50 } }],
        "faults": [{ "at_s": 1, "admin": { "join": { "node": 5 } } }]
    }));
    assert_caught(&s, Mutation::GossipDropsDeltas, "membership_settles");
}

#[test]
fn a_handoff_that_never_delivers_is_caught_by_the_hints_checker() {
    let s = scenario(serde_json::json!({
        "duration_s": 4, "settle_s": 5,
        "cluster": { "nodes": 5 },
        "workloads": [{ "clients": 2, "arrival": { "poisson": { "rate_per_s": 200 } }, "keys": { "count": 20 } }],
        "faults": [{ "at_s": 1, "fault": { "crash": { "node": 1, "restart_after_ms": 2000 } } }]
    }));
    assert_caught(&s, Mutation::HandoffNeverDelivers, "hints_delivered");
}

#[test]
fn a_merge_that_drops_a_clock_entry_is_caught() {
    let s = scenario(serde_json::json!({
        "duration_s": 1, "settle_s": 1,
        "cluster": { "nodes": 5 },
        "workloads": [{ "clients": 3, "arrival": { "poisson": { "rate_per_s": 150 } },
                        "keys": { "count": 4 }, "mix": { "get": 0.3, "read_modify_write": 0.7 } }]
    }));
    let caught_by = ["context_dominates", "no_dominated_version", "no_lost_acked_write"];
    for seed in 1..=3 {
        assert_eq!(failed_invariants(&s, seed, None), Vec::<String>::new(), "the intact model fails seed {seed}");
    }
    let failures: Vec<String> =
        (1..=3).flat_map(|seed| failed_invariants(&s, seed, Some(Mutation::MergeDropsEntry))).collect();
    assert!(failures.iter().any(|f| caught_by.contains(&f.as_str())), "merge mutation not caught: {failures:?}");
}

#[test]
fn shrinking_keeps_the_failure_and_drops_what_does_not_cause_it() {
    // The crash is what leaves hints behind; the clock jumps, the probes and the second
    // workload are noise the shrinker should remove.
    let s = scenario(serde_json::json!({
        "duration_s": 3, "settle_s": 5,
        "cluster": { "nodes": 5 },
        "workloads": [
            { "clients": 2, "arrival": { "poisson": { "rate_per_s": 60 } }, "keys": { "count": 20 } },
            { "clients": 2, "arrival": { "poisson": { "rate_per_s": 20 } }, "keys": { "count": 20 } }
        ],
        "probes": { "delay_ms": { "constant": { "value": 5 } } },
        "faults": [
            { "at_s": 0.5, "fault": { "clock_jump": { "node": 3, "delta_ms": 10 } } },
            { "at_s": 1, "fault": { "crash": { "node": 1, "restart_after_ms": 2000 } } },
            { "at_s": 1.5, "fault": { "clock_jump": { "node": 2, "delta_ms": 10 } } }
        ]
    }));
    mutation::set(Some(Mutation::HandoffNeverDelivers));
    let seed =
        (1..=3).find(|&seed| check_seed(&s, seed).expect("runs").failures().any(|v| v.invariant == "hints_delivered"));
    let seed = seed.expect("the mutant fails some seed");
    let (small, runs) = scenarios::check::shrink::shrink(&s, seed, "hints_delivered");
    let small = check(small, &Budget::default()).expect("the shrunk scenario passes the check");
    let still = check_seed(&small, seed).expect("runs").failures().any(|v| v.invariant == "hints_delivered");
    mutation::set(None);
    assert!(still, "the shrunk scenario no longer fails");
    assert!(runs > 1);
    assert_eq!(small.faults.len(), 1, "only the crash should remain: {:?}", small.faults);
    assert!(matches!(small.faults[0].fault, Some(sim_core::fault::Fault::Crash { .. })));
    assert!(small.probes.is_none(), "probes are noise");
    assert_eq!(small.workloads.len(), 1, "one workload is enough");
}

// The bug classes of issue 15, each planted on its own, must be caught by `dynsim check`'s
// invariants on the shipped `default` scenario within its first 20 seeds (LWW's, which
// `default` cannot show, on the shipped `lww-clock-skew`; a refusal, which `default` never
// makes, on a scenario with failing disk writes), while the intact model passes those seeds.

/// Seeds `dynsim check default --seeds 1..20` runs.
const CHECK_SEEDS: std::ops::RangeInclusive<u64> = 1..=20;

fn shipped(name: &str) -> CheckedScenario {
    let text = scenarios::library::find(name).expect("a shipped scenario");
    load_str(text, Path::new(name)).expect("shipped scenarios are valid")
}

/// The first seed of [`CHECK_SEEDS`] on which `m` breaks `invariant`.
fn first_catch(s: &CheckedScenario, m: Mutation, invariant: &str) -> Option<u64> {
    CHECK_SEEDS.clone().find(|&seed| failed_invariants(s, seed, Some(m)).iter().any(|i| i == invariant))
}

#[test]
fn the_intact_model_passes_every_invariant_on_default_and_churn_and_each_applies() {
    for name in ["default", "churn"] {
        let s = shipped(name);
        let seeds: Vec<u64> = CHECK_SEEDS.collect();
        let results = scenarios::check::campaign::check_seeds(&s, &seeds, &|| ()).expect("runs");
        for r in &results {
            let failed: Vec<&str> = r.failures().map(|v| v.invariant.as_str()).collect();
            assert!(failed.is_empty(), "{name} seed {} fails {failed:?}", r.seed);
            let protocol =
                ["acknowledged_writes_held", "quorum_intersection", "handoff_delivers", "read_repair_repairs"];
            let always = ["no_lost_acked_write", "no_dominated_version", "context_dominates"];
            // What the shipped default (anti-entropy on, quiet long enough) also promises.
            let quiet: &[&str] = if name == "default" {
                &["replication_degree", "replicas_converge", "hints_delivered", "membership_settles"]
            } else {
                &[]
            };
            for inv in protocol.iter().chain(&always).chain(quiet) {
                let v = r.verdicts.iter().find(|v| v.invariant == *inv).expect("every invariant has a verdict");
                assert_eq!(v.status, reports::Status::Pass, "{name} seed {}: {inv} must apply", r.seed);
            }
        }
    }
}

#[test]
fn a_put_that_counts_its_own_write_twice_is_caught_on_default() {
    let s = shipped("default");
    let seed = first_catch(&s, Mutation::PutCountsOwnWriteTwice, "acknowledged_writes_held");
    assert!(seed.is_some(), "not caught in seeds {CHECK_SEEDS:?}");
}

#[test]
fn a_hint_deleted_before_its_handoff_is_acked_is_caught_on_default() {
    let s = shipped("default");
    let seed = first_catch(&s, Mutation::HintDeletedBeforeAck, "handoff_delivers");
    assert!(seed.is_some(), "not caught in seeds {CHECK_SEEDS:?}");
}

#[test]
fn read_repair_that_pushes_a_stale_version_is_caught_on_default() {
    let s = shipped("default");
    let seed = first_catch(&s, Mutation::ReadRepairPushesStale, "read_repair_repairs");
    assert!(seed.is_some(), "not caught in seeds {CHECK_SEEDS:?}");
}

#[test]
fn lww_that_keeps_the_older_stamp_is_caught_on_lww_clock_skew() {
    let s = shipped("lww-clock-skew");
    for seed in 1..=3 {
        assert_eq!(failed_invariants(&s, seed, None), Vec::<String>::new(), "the intact model fails seed {seed}");
    }
    let seed = first_catch(&s, Mutation::LwwKeepsOlderStamp, "quorum_intersection");
    assert!(seed.is_some(), "not caught in seeds {CHECK_SEEDS:?}");
}

#[test]
fn a_refused_write_counted_as_an_ack_is_caught_where_writes_are_refused() {
    // W = N: while node 1 is down every put of its keys needs a substitute's hint, and a
    // substitute holding one hint already refuses the next.
    let s = scenario(serde_json::json!({
        "duration_s": 4, "settle_s": 1,
        "cluster": { "nodes": 5 },
        "dynamo": { "n": 3, "r": 1, "w": 3, "sloppy_quorum": { "max_hints": 1 } },
        "workloads": [{ "clients": 4, "arrival": { "poisson": { "rate_per_s": 300 } },
                        "keys": { "count": 50 }, "mix": { "get": 0.5, "put": 0.5 } }],
        "faults": [{ "at_s": 1, "fault": { "crash": { "node": 1, "restart_after_ms": 2000 } } }]
    }));
    assert_caught(&s, Mutation::RefusedWriteCountsAsAck, "acknowledged_writes_held");
}

#[test]
fn a_message_storm_is_stopped_at_the_event_budget_and_fails_with_its_seed() {
    // The crash makes the others suspect node 1 and ping it; the mutant answers every ping
    // with two more, so events double every round trip and would never let the run end.
    let s = scenario(serde_json::json!({
        "duration_s": 4, "settle_s": 1,
        "cluster": { "nodes": 5 },
        "workloads": [{ "clients": 2, "arrival": { "poisson": { "rate_per_s": 100 } }, "keys": { "count": 20 } }],
        "faults": [{ "at_s": 1, "fault": { "crash": { "node": 1, "restart_after_ms": 1000 } } }]
    }));
    let budget = scenarios::check::campaign::event_budget(&s);
    let intact = check_seed(&s, 1).expect("runs");
    let within = |r: &scenarios::check::campaign::SeedResult| {
        r.verdicts
            .iter()
            .find(|v| v.invariant == scenarios::check::campaign::WITHIN_BUDGET)
            .cloned()
            .expect("a verdict")
    };
    assert_eq!(within(&intact).status, reports::Status::Pass);
    mutation::set(Some(Mutation::PingStorm));
    let stormy = check_seed(&s, 1).expect("runs");
    mutation::set(None);
    let v = within(&stormy);
    assert!(v.failed(), "the storm was not stopped: {v:?}");
    let reports::Status::Fail { examples, .. } = &v.status else { unreachable!() };
    assert!(examples[0].detail.contains(&format!("handled {budget} events")), "{}", examples[0].detail);
    assert!(examples[0].at_s < 5.0, "stopped before the end: {}", examples[0].at_s);
    assert!(
        stormy
            .verdicts
            .iter()
            .filter(|v| v.invariant != scenarios::check::campaign::WITHIN_BUDGET)
            .all(|v| matches!(v.status, reports::Status::NotApplicable { .. })),
        "a stopped run's invariants do not apply"
    );
}

#[test]
fn a_preference_list_that_repeats_a_node_is_caught_on_default() {
    let s = shipped("default");
    let seed = first_catch(&s, Mutation::PreferenceListRepeatsNode, "replication_degree");
    assert!(seed.is_some(), "not caught in seeds {CHECK_SEEDS:?}");
}
