//! The measurement sections of `report.json` on small scenarios whose answers are known: strict
//! quorums are never stale and lose nothing; partial quorums with slow replication are stale,
//! less so the longer a read waits; a partition without sloppy quorum leaves replicas
//! disagreeing while it lasts; and measurement never changes the run.

use scenarios::checked::CheckedScenario as Scenario;
use scenarios::load::{self, load_str};
use scenarios::measure::HistorySink;
use scenarios::oracle::causal::Causality;
use scenarios::oracle::sections::sampler_matches_inspection;
use scenarios::report;
use scenarios::run::{Measurement, RunOptions, RunOutcome, run, run_with};
use std::path::Path;

fn scenario(text: &str) -> Scenario {
    load_str(text, Path::new("metrics-test.json")).expect("the test scenario is valid")
}

fn go(s: &Scenario) -> RunOutcome {
    run(s, RunOptions { history: Some(HistorySink::Memory(vec![])), ..RunOptions::default() })
        .expect("the test scenario runs")
}

/// The scanning oracle agrees with the index on every key at the end of `out`.
fn index_matches_inspection(s: &Scenario, out: &RunOutcome) -> bool {
    let history = out.measured().history.as_ref().expect("kept");
    sampler_matches_inspection(s, &out.assembly, &Causality::new(history))
}

/// A small cluster with a read-modify-write workload; `dynamo`, `network` and `extra` fill in.
fn text(dynamo: &str, network: &str, extra: &str) -> String {
    format!(
        r#"{{
        "duration_s": 6, "settle_s": 4,
        "cluster": {{"nodes": 5, "partitioning": {{"kind": "random_tokens", "tokens_per_node": 16}}}},
        "dynamo": {dynamo},
        "network": {network},
        "workloads": [{{
            "clients": 4,
            "arrival": {{"poisson": {{"rate_per_s": 300}}}},
            "keys": {{"count": 60, "popularity": {{"zipf": {{"exponent": 0.9}}}}}},
            "value_bytes": {{"constant": {{"value": 100}}}},
            "mix": {{"get": 0.5, "read_modify_write": 0.3, "put": 0.15, "delete": 0.05}}
        }}]{extra}
    }}"#
    )
}

const LAN: &str =
    r#"{"latency_ms": {"same_datacenter": {"shift": {"by": 0.2, "dist": {"exponential": {"mean": 0.3}}}}}}"#;

#[test]
fn strict_quorums_without_faults_are_never_stale_and_lose_nothing() {
    let s = scenario(&text(r#"{"n": 3, "r": 3, "w": 3}"#, LAN, ""));
    let out = go(&s);
    let r = report::build(&s, "strict.json", &out);
    let all = &r.staleness.by_kind["all"];
    assert!(all.reads > 500, "enough reads to mean something: {}", all.reads);
    assert!(all.with_prior_write > 300, "{all:?}");
    assert_eq!(all.stale, 0, "{all:?}");
    assert_eq!(all.stale_ratio, Some(0.0));
    assert_eq!(all.k.counts["0"], all.reads, "every read is 0 versions behind");
    assert!(r.durability.acked_writes > 300, "{:?}", r.durability);
    assert_eq!(r.durability.lost_acked_writes, 0, "{:?}", r.durability.lost_examples);
    assert_eq!(r.durability.lost_acked_writes_unexcused, 0);
    assert!(r.durability.data_destroying_faults.is_empty());
    // Every acknowledged write reached all three replicas, and the run settled: they agree.
    assert_eq!(r.convergence.divergent_keys_at_end, 0);
    assert!(r.convergence.converged_at_s.is_some(), "{:?}", r.convergence);
    assert_eq!(r.convergence.last_heal_s, None);
    assert!(index_matches_inspection(&s, &out));
    // Windows cover the run; the load section sees every node.
    assert_eq!(r.windows.windows.len(), 10);
    assert_eq!(r.load.nodes.len(), 5);
    assert!(r.load.requests.efficiency.is_some_and(|e| e > 0.0 && e <= 1.0));
    assert!(r.cost.messages_per_op.is_some_and(|m| m > 3.0), "{:?}", r.cost.messages_per_op);
    assert_eq!(r.cost.anti_entropy_keys_repaired, None);
}

#[test]
fn partial_quorums_with_slow_replication_are_stale_and_visibility_grows_with_t() {
    // Proxy coordination with R = W = 1: a write is acknowledged by the fastest replica while
    // replica writes to the others take ~30 ms; a read takes the first answer of three.
    let network = r#"{
        "latency_ms": {"same_datacenter": {"shift": {"by": 0.2, "dist": {"exponential": {"mean": 0.3}}}}},
        "by_kind": [{"kind": "replica_write", "latency_ms": {"exponential": {"mean": 30}}}]
    }"#;
    let dynamo = r#"{"n": 3, "r": 1, "w": 1, "coordinator": "proxy", "read_repair": "off"}"#;
    let probes = r#", "probes": {"rate_per_s": 200, "delay_ms": {"uniform": {"low": 0, "high": 150}}}"#;
    let s = scenario(&text(dynamo, network, probes));
    let out = go(&s);
    let r = report::build(&s, "partial.json", &out);
    let all = &r.staleness.by_kind["all"];
    assert!(all.stale > 0 && all.stale_ratio.is_some_and(|x| x > 0.0), "{all:?}");
    assert!(all.k.max >= 1);
    // Probes: consistent more often long after the write than right after it.
    let curve = &r.visibility.probes;
    assert!(curve.reads > 500, "{curve:?}");
    let pooled = |from: f64, to: f64| {
        let bins = curve.bins.iter().filter(|b| b.from_ms >= from && b.to_ms.is_some_and(|t| t <= to));
        let (n, ok) = bins.fold((0u64, 0u64), |(n, ok), b| (n + b.reads, ok + b.consistent));
        ok as f64 / n.max(1) as f64
    };
    let (early, late) = (pooled(0.0, 10.0), pooled(50.0, 200.0));
    assert!(early < late, "t-visibility must grow with t: P(consistent | t<10ms) = {early}, t in [50,200) ms: {late}");
    assert!(late > 0.8, "{late}");
    for b in &curve.bins {
        assert!(b.ci_low <= b.p && b.p <= b.ci_high, "{b:?}");
    }
    // The ordinary-read curve exists too.
    assert!(r.visibility.reads.reads > 0);
}

#[test]
fn a_partition_without_sloppy_quorum_leaves_replicas_disagreeing_while_it_lasts() {
    let dynamo = r#"{"n": 3, "r": 1, "w": 1, "sloppy_quorum": {"enabled": false}, "read_repair": "off"}"#;
    let faults = r#", "faults": [
        {"at_s": 2, "fault": {"partition": {"name": "p", "shape": {"groups": {"groups": [[0, 1], [2, 3, 4]]}}}}},
        {"at_s": 4, "fault": {"heal": {"name": "p"}}}
    ]"#;
    let s = scenario(&text(dynamo, LAN, faults));
    let out = go(&s);
    let r = report::build(&s, "partition.json", &out);
    let during: Vec<_> = r.divergence.over_time.iter().filter(|p| p.t_s > 2.5 && p.t_s <= 4.0).collect();
    assert!(!during.is_empty());
    assert!(during.iter().all(|p| p.divergent > 0), "{during:?}");
    assert!(r.divergence.max_divergent_fraction.is_some_and(|f| f > 0.0));
    let before: Vec<_> = r.divergence.over_time.iter().filter(|p| p.t_s <= 1.0).collect();
    let worst_before = before.iter().map(|p| p.fraction).fold(0.0, f64::max);
    let worst_during = during.iter().map(|p| p.fraction).fold(0.0, f64::max);
    assert!(worst_during > worst_before, "{worst_during} vs {worst_before}");
    assert_eq!(r.convergence.last_heal_s, Some(4.0));
    assert!(index_matches_inspection(&s, &out));
}

#[test]
fn measurement_never_changes_the_run() {
    // Faults, chaos churn and a fine sampling interval: the sampler sees many states.
    let extra = r#", "faults": [
        {"at_s": 1, "fault": {"partition": {"name": "p", "shape": {"isolate_one": {"node": 1}}}}},
        {"at_s": 2.5, "fault": {"heal": {"name": "p"}}},
        {"at_s": 3, "fault": {"crash": {"node": 2, "restart_after_ms": 1500}}}
    ],
    "chaos": {"stop_s": 5, "pauses": {"nodes": [0, 3], "interval_s": {"constant": {"value": 1.3}},
                                      "duration_s": {"constant": {"value": 0.2}}}},
    "outputs": {"metrics": {"sample_interval_s": 0.01}}"#;
    let s = scenario(&text(r#"{"n": 3, "r": 2, "w": 2}"#, LAN, extra));
    let on = go(&s);
    let off = run_with(&s, RunOptions::default(), Measurement::Off).expect("runs");
    assert_eq!(on.trace_hash, off.trace_hash, "measurement changed the run");
    assert!(off.measured.is_none());
    let samples = &on.measured().sections.divergence.over_time;
    assert_eq!(samples.len(), 1000, "10 s at 10 ms");
    // Reports are byte-stable.
    let a = report::build(&s, "x.json", &on).to_json();
    assert_eq!(a, report::build(&s, "x.json", &on).to_json());
    // The world keeps node counters across the crash of node 2.
    let r = report::build(&s, "x.json", &on);
    assert_eq!(r.cost.node_counters, "cumulative");
    assert!(r.convergence.last_heal_s.is_some_and(|t| t >= 4.5), "{:?}", r.convergence);
}

#[test]
fn a_bad_metrics_setting_is_refused_with_its_path() {
    let text = text(r#"{"n": 3, "r": 2, "w": 2}"#, LAN, r#", "outputs": {"metrics": {"window_s": 0}}"#);
    let err = load::load_str(&text, Path::new("x.json")).expect_err("refused");
    assert_eq!(err.problem.path, "outputs.metrics.window_s");
}

#[test]
fn measurement_holds_records_per_key_not_per_operation() {
    // Ten hot keys: four times the operations must not hold more records. What is kept per
    // key is bounded (the last RECENT acknowledged writes, plus what reads in flight need).
    let held = |duration_s: u32| {
        let text = format!(
            r#"{{"duration_s": {duration_s}, "settle_s": 1, "cluster": {{"nodes": 4}},
                "workloads": [{{"clients": 4, "arrival": {{"poisson": {{"rate_per_s": 400}}}},
                               "keys": {{"count": 10}}, "mix": {{"get": 0.5, "read_modify_write": 0.5}}}}]}}"#
        );
        let out = run(&scenario(&text), RunOptions::default()).expect("runs");
        let m = out.measured();
        (m.ops["all_reads"].completed + m.ops["all_writes"].completed, m.held_records)
    };
    let (ops_short, (held_short, keys_short)) = held(5);
    let (ops_long, (held_long, keys_long)) = held(20);
    assert!(ops_long > 3 * ops_short, "{ops_long} vs {ops_short}");
    assert_eq!((keys_short, keys_long), (10, 10));
    let bound = keys_long * (scenarios::measure::writes::RECENT + 8);
    assert!(held_long <= bound, "{held_long} records held for {keys_long} keys (bound {bound})");
    assert!(held_long <= held_short + keys_long * 8, "{held_long} vs {held_short}: grew with operations");
}

#[test]
fn the_history_file_is_opt_in_and_streams_every_operation() {
    let s = scenario(&text(r#"{"n": 3, "r": 2, "w": 2}"#, LAN, ""));
    let path = std::env::temp_dir().join(format!("dynsim-history-{}.jsonl", std::process::id()));
    let file = std::fs::File::create(&path).expect("temp file");
    let sink = HistorySink::File(Box::new(std::io::BufWriter::new(file)));
    let out = run(&s, RunOptions { history: Some(sink), ..RunOptions::default() }).expect("runs");
    let m = out.measured();
    assert!(m.history.is_none() && m.history_error.is_none());
    let text = std::fs::read_to_string(&path).expect("written");
    let _ = std::fs::remove_file(&path);
    let lines: Vec<serde_json::Value> = text.lines().map(|l| serde_json::from_str(l).expect("JSON")).collect();
    assert_eq!(lines.len() as u64, m.ops["all_reads"].completed + m.ops["all_writes"].completed);
    let completed: Vec<f64> = lines.iter().map(|l| l["completed"].as_f64().expect("time")).collect();
    assert!(completed.windows(2).all(|w| w[0] <= w[1]), "in completion order");
    assert!(lines.iter().any(|l| l["kind"] == "rmw_write" && l["context"].as_array().is_some_and(|c| !c.is_empty())));
}
