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
