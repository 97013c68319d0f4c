//! Quorum shapes (`dynamo.quorum_shape`): static quorums reproduce PBS §3's closed form for
//! k-staleness, R+W>N is never stale under any shape, and each shape sends an operation to the
//! replicas it should (every coordinator mode).

use reports::RunReport;
use scenarios::load::load_str;
use scenarios::report;
use scenarios::run::{RunOptions, run};
use std::path::Path;

/// Three nodes, so the N = 3 replicas of every key are the whole cluster; zero latency
/// everywhere (acks arrive at once, and a read starting after a write's ack sees t = 0); no
/// read repair, anti-entropy or failures; blind puts on 20 uniform keys, three puts per get so
/// consecutive reads of a key rarely share the same last writes.
fn scenario(dynamo: &str, seed: u64, duration_s: u32) -> String {
    format!(
        r#"{{
        "seed": {seed}, "duration_s": {duration_s}, "settle_s": 1,
        "cluster": {{"nodes": 3}},
        "dynamo": {dynamo},
        "network": {{"latency_ms": {{
            "loopback": {{"constant": {{"value": 0}}}},
            "same_rack": {{"constant": {{"value": 0}}}},
            "same_datacenter": {{"constant": {{"value": 0}}}},
            "cross_datacenter": {{"constant": {{"value": 0}}}}
        }}}},
        "disk": {{
            "read_ms": {{"constant": {{"value": 0}}}},
            "write_ms": {{"constant": {{"value": 0}}}},
            "fsync_ms": {{"constant": {{"value": 0}}}}
        }},
        "workloads": [{{
            "clients": 1,
            "arrival": {{"poisson": {{"rate_per_s": 2000}}}},
            "keys": {{"count": 20}},
            "value_bytes": {{"constant": {{"value": 10}}}},
            "mix": {{"get": 0.25, "put": 0.75}},
            "sessions": false
        }}]
    }}"#
    )
}

/// LWW keeps one version per replica, PBS's model of a replica; under vector clocks blind puts
/// from three coordinators would pile up siblings that no read-modify-write ever collapses.
fn dynamo(shape: &str, coordinator: &str, r: usize, w: usize) -> String {
    format!(
        r#"{{"n": 3, "r": {r}, "w": {w}, "quorum_shape": "{shape}", "coordinator": "{coordinator}", "versioning": "lww",
            "read_repair": "off", "membership": {{"enabled": false}}}}"#
    )
}

fn report_of(text: &str) -> RunReport {
    let s = load_str(text, Path::new("quorum-shapes-test.json")).expect("the test scenario is valid");
    let out = run(&s, RunOptions::default()).expect("the test scenario runs");
    report::build(&s, "quorum-shapes-test.json", &out)
}

fn choose(n: u64, k: u64) -> f64 {
    if k > n { 0.0 } else { (0..k).map(|i| (n - i) as f64 / (k - i) as f64).product() }
}

/// PBS §3: the probability that a read of R replicas misses all of the last k writes, each to W
/// replicas chosen independently and uniformly out of N.
fn closed_form(n: u64, r: u64, w: u64, k: i32) -> f64 {
    (choose(n - w, r) / choose(n, r)).powi(k)
}

/// Measured P(more than k − 1 versions behind) among gets with a prior write, against the
/// closed form, to 3 standard errors; returns the number of reads judged.
fn assert_matches_closed_form(rep: &RunReport, (r, w): (u64, u64), label: &str) -> u64 {
    let get = &rep.staleness.by_kind["get"];
    let n = get.with_prior_write;
    assert!(n > 3000, "{label}: enough reads to mean something: {n}");
    for k in [1, 2, 3, 5] {
        let expected = closed_form(3, r, w, k);
        let measured = 1.0 - get.p_within_k[k as usize - 1];
        let se = (expected * (1.0 - expected) / n as f64).sqrt();
        assert!(
            (measured - expected).abs() <= 3.0 * se,
            "{label}: (R,W)=({r},{w}) k={k}: measured {measured:.4}, closed form {expected:.4} ± 3×{se:.4}"
        );
    }
    n
}

#[test]
fn static_quorums_match_the_pbs_closed_form_at_t_zero() {
    for (r, w) in [(1, 1), (1, 2), (2, 1)] {
        let rep = report_of(&scenario(&dynamo("static", "proxy", r as usize, w as usize), 1, 8));
        assert_matches_closed_form(&rep, (r, w), "proxy");
    }
}

#[test]
fn static_quorums_match_the_closed_form_with_a_replica_or_client_coordinator() {
    // A replica coordinator stores a put only when it is among the W chosen; a client-driven
    // client chooses its own R replicas for a read.
    for coordinator in ["replica", "client_driven"] {
        let rep = report_of(&scenario(&dynamo("static", coordinator, 1, 1), 2, 8));
        assert_matches_closed_form(&rep, (1, 1), coordinator);
    }
}

#[test]
fn expanding_quorums_at_zero_latency_are_never_stale() {
    // The same workload with Dynamo's quorums: every replica gets every write at once, so the
    // closed form's staleness comes from the static shape, not from the workload.
    let rep = report_of(&scenario(&dynamo("expanding", "proxy", 1, 1), 1, 4));
    let get = &rep.staleness.by_kind["get"];
    assert!(get.with_prior_write > 500, "{get:?}");
    assert_eq!((get.stale, get.p_within_k[0]), (0, 1.0), "{get:?}");
}

#[test]
fn overlapping_quorums_are_never_stale_under_any_shape() {
    for shape in ["static", "read_fan_out", "expanding"] {
        for coordinator in ["proxy", "replica", "client_driven"] {
            for (r, w) in [(2, 2), (1, 3), (3, 1)] {
                let rep = report_of(&scenario(&dynamo(shape, coordinator, r, w), 3, 2));
                let get = &rep.staleness.by_kind["get"];
                assert!(get.with_prior_write > 200, "{shape} {coordinator} ({r},{w}): {get:?}");
                assert_eq!(get.stale, 0, "{shape} {coordinator} (R,W)=({r},{w}): {get:?}");
            }
        }
    }
}

/// Replica reads and writes sent per get and per put, in proxy mode (no local replica).
fn fan_out(shape: &str) -> (f64, f64) {
    let rep = report_of(&scenario(&dynamo(shape, "proxy", 1, 2), 4, 2));
    let sent = |kind: &str| rep.cost.by_kind.get(kind).map_or(0, |c| c.messages) as f64;
    (sent("replica_read") / rep.ops["get"].completed as f64, sent("replica_write") / rep.ops["put"].completed as f64)
}

#[test]
fn each_shape_sends_to_the_replicas_it_should() {
    assert_eq!(fan_out("expanding"), (3.0, 3.0), "Dynamo: all N");
    assert_eq!(fan_out("static"), (1.0, 2.0), "PBS: exactly R and W");
    assert_eq!(fan_out("read_fan_out"), (1.0, 3.0), "Voldemort: reads to R, writes to all N");
}

#[test]
fn every_shape_composes_with_every_coordinator_mode_under_faults_and_keeps_its_invariants() {
    // The default scenario: (3,2,2), sloppy quorum with hinted handoff, blocking read repair, a
    // partition and a crash. Whatever the shape and the coordinator, every invariant the
    // configuration promises holds, and most operations succeed.
    let base: serde_json::Value = serde_json::from_str(scenarios::library::find("default").unwrap()).unwrap();
    for shape in ["static", "read_fan_out"] {
        for coordinator in ["replica", "proxy", "client_driven"] {
            let mut v = base.clone();
            v["dynamo"]["quorum_shape"] = shape.into();
            v["dynamo"]["coordinator"] = coordinator.into();
            let rep = report_of(&v.to_string());
            let failed: Vec<&str> = rep
                .checks
                .iter()
                .filter(|c| matches!(c.status, reports::Status::Fail { .. }))
                .map(|c| c.invariant.as_str())
                .collect();
            assert!(failed.is_empty(), "{shape} {coordinator}: {failed:?}");
            let reads = &rep.ops["all_reads"];
            assert!(reads.success_ratio > 0.9, "{shape} {coordinator}: {reads:?}");
            assert!(rep.cost.hinted_writes > 0, "{shape} {coordinator}: sloppy quorum still substitutes");
        }
    }
}
