//! Test fixtures: an empty report and a small hand-made one with every section filled.

use crate::checks::{Verdict, Violation};
use crate::latency::LatencySummary;
use crate::metrics::*;
use crate::run_report::{CounterSummary, FaultInterval, LatencyCdf, NodeSummary, OpSummary, RunReport, SCHEMA_VERSION};
use std::collections::BTreeMap;

/// A report with nothing in it.
pub fn empty() -> RunReport {
    RunReport {
        schema_version: SCHEMA_VERSION,
        dynsim_version: "0.0.0".into(),
        scenario_name: String::new(),
        seed: 0,
        trace_hash: "0000000000000000".into(),
        replay: "dynsim run x --seed 0".into(),
        sim_end_s: 0.0,
        events: 0,
        sla_ms: 300.0,
        ops: BTreeMap::new(),
        workload: BTreeMap::new(),
        counters: Vec::new(),
        network: BTreeMap::new(),
        nodes: Vec::new(),
        windows: WindowsSection::default(),
        phases: PhasesSection::default(),
        divergence: DivergenceSection::default(),
        staleness: StalenessSection::default(),
        visibility: VisibilitySection::default(),
        durability: DurabilitySection::default(),
        convergence: ConvergenceSection::default(),
        reachability: Default::default(),
        cost: CostSection::default(),
        load: LoadSection::default(),
        activity: ActivitySection::default(),
        latency_cdf: LatencyCdf::default(),
        faults: Vec::new(),
        wars: None,
        diagram: None,
        checks: Vec::new(),
        scenario: serde_json::Value::Null,
    }
}

/// The phases of [`sample`]'s timeline: before, during and after the partition, during the
/// crash (nothing completed in the third).
fn phases() -> PhasesSection {
    let ops = |completed: u64, ok: u64, p99: f64| PhaseOps {
        completed,
        ok,
        success_ratio: (completed > 0).then(|| round6(ok as f64 / completed as f64)),
        within_sla: (completed > 0).then(|| round6(ok as f64 / completed as f64)),
        p50_ms: (ok > 0).then_some(3.5),
        p99_ms: (ok > 0).then_some(p99),
        p999_ms: (ok > 0).then_some(p99 * 2.0),
    };
    let stale = |with: u64, stale: u64| PhaseStale {
        with_prior_write: with,
        without_prior_write: 2,
        stale,
        stale_ratio_with_prior_write: (with > 0).then(|| round6(stale as f64 / with as f64)),
    };
    let phase = |label: &str, from_s: f64, until_s: f64, n: u64, st: PhaseStale| Phase {
        label: label.into(),
        from_s,
        until_s,
        reads: ops(n, n.saturating_sub(1), 12.5),
        writes: ops(n / 2, n / 2, 20.0),
        stale: st,
        divergent_fraction_mean: (n > 0).then_some(0.1),
    };
    PhasesSection {
        phases: vec![
            phase("before faults", 0.0, 0.5, 10, stale(8, 0)),
            phase("during partition split", 0.5, 1.5, 20, stale(16, 4)),
            phase("after partition split", 1.5, 2.0, 0, stale(0, 0)),
            phase("during crash n2", 2.0, 3.0, 10, stale(8, 1)),
        ],
    }
}

fn buckets(counts: [u64; 5]) -> Buckets {
    let total: u64 = counts.iter().sum();
    let names = ["0", "1", "2", "3", "4+"];
    Buckets {
        total,
        counts: names.iter().zip(counts).map(|(n, c)| (n.to_string(), c)).collect(),
        shares: names.iter().zip(counts).map(|(n, c)| (n.to_string(), round6(c as f64 / total as f64))).collect(),
        mean: Some(1.1),
        max: 5,
    }
}

/// A small report: 2 op kinds, 3 windows, 2 divergence samples, 2 load windows, 3 nodes, a
/// partition and a crash, 3 activity windows, a message diagram, one passing, one failing and one not-applicable check.
pub fn sample() -> RunReport {
    let mut r = empty();
    r.scenario_name = "sample, with \"quotes\"".into();
    r.seed = 7;
    r.trace_hash = "0123456789abcdef".into();
    r.replay = "dynsim run sample --seed 7".into();
    r.sim_end_s = 3.0;
    r.events = 1234;
    let lat = LatencySummary { count: 90, mean: 5.5, p50: 4.0, p90: 9.0, p99: 20.0, p999: 40.0, max: 50.0 };
    for k in ["get", "put"] {
        let o = OpSummary { completed: 100, ok: 90, failed: 10, success_ratio: 0.9, within_sla: 0.9, latency_ms: lat };
        r.ops.insert(k.into(), o);
    }
    r.workload.insert("shed_arrivals".into(), 0);
    r.network.insert("get".into(), BTreeMap::from([("sent".to_string(), 10), ("delivered".to_string(), 9)]));
    r.nodes = (0..3)
        .map(|n| NodeSummary {
            node: n,
            up: n != 2,
            counters: BTreeMap::from([("read_repairs".to_string(), 1)]),
            state: BTreeMap::new(),
        })
        .collect();
    r.counters = vec![CounterSummary {
        name: "read_repairs".into(),
        kind: "repair".into(),
        doc: "Read-repair writes a coordinator sent to stale replicas.".into(),
        nodes: 3,
        clients: 0,
    }];
    r.windows.window_s = 1.0;
    r.windows.windows = (0..3)
        .map(|i| {
            let mut ops = BTreeMap::new();
            if i != 1 {
                for k in ["all_reads", "all_writes"] {
                    let w = WindowOps {
                        completed: 10,
                        ok: 9 - i,
                        success_ratio: (9 - i) as f64 / 10.0,
                        within_sla: 0.8,
                        p50_ms: 3.5,
                        p99_ms: 12.25,
                        p999_ms: 30.0,
                        stale_reads: (k == "all_reads").then_some(1),
                        reads_with_prior_write: (k == "all_reads").then_some(6),
                    };
                    ops.insert(k.to_string(), w);
                }
            }
            Window { start_s: i as f64, ops }
        })
        .collect();
    r.reachability = sample_reachability();
    let shapes = ReadShapes {
        versions: buckets([1, 80, 8, 1, 0]),
        siblings: buckets([1, 79, 9, 1, 0]),
        clock_len: BTreeMap::new(),
    };
    r.divergence.reads.insert("all_reads".into(), shapes.clone());
    r.divergence.reads.insert("get".into(), shapes);
    r.divergence.sample_interval_s = Some(1.5);
    r.divergence.over_time = vec![
        DivergenceSample { t_s: 1.5, keys: 10, divergent: 2, fraction: 0.2 },
        DivergenceSample { t_s: 3.0, keys: 10, divergent: 0, fraction: 0.0 },
    ];
    r.divergence.max_divergent_fraction = Some(0.2);
    r.divergence.mean_divergent_fraction = Some(0.1);
    let stale = StaleStats {
        reads: 90,
        with_prior_write: 60,
        without_prior_write: 30,
        stale: 9,
        stale_ratio_with_prior_write: Some(0.15),
        stale_ratio: Some(0.1),
        fresh_via_newer_write: 2,
        k: buckets([81, 8, 1, 0, 0]),
        ..Default::default()
    };
    r.staleness.headline = STALE_HEADLINE.into();
    r.staleness.by_kind.insert("all".into(), stale.clone());
    let mut behind = vec![0; 17];
    (behind[0], behind[1], behind[2]) = (51, 8, 1);
    let p_within_k = (1..=16).map(|k| [0.85, 0.983333, 1.0][(k - 1).min(2)]).collect();
    r.staleness.by_kind.insert("get".into(), StaleStats { versions_behind: behind, p_within_k, ..stale });
    r.visibility.confidence = 0.95;
    let bin = |from_ms: f64, to_ms: Option<f64>, p: f64| VisibilityBin {
        from_ms,
        to_ms,
        reads: 100,
        consistent: (p * 100.0) as u64,
        p,
        ci_low: p - 0.05,
        ci_high: (p + 0.05).min(1.0),
    };
    r.visibility.reads = VisibilityCurve {
        reads: 300,
        consistent: 270,
        p_consistent: Some(0.9),
        bins: vec![bin(0.0, Some(1.0), 0.8), bin(1.0, Some(10.0), 0.9), bin(10.0, None, 1.0)],
    };
    r.durability = DurabilitySection { versioning: "vector_clock".into(), acked_writes: 90, ..Default::default() };
    r.convergence = ConvergenceSection {
        sampled: true,
        last_heal_s: Some(2.0),
        workload_end_s: 2.5,
        converged_at_s: Some(3.0),
        convergence_s: Some(1.0),
        after_workload_end_s: Some(0.5),
        divergent_keys_at_end: 0,
        keys_at_end: 10,
    };
    r.cost = CostSection {
        client_ops: 200,
        messages: 2000,
        bytes: 200_000,
        messages_per_op: Some(10.0),
        bytes_per_op: Some(1000.0),
        by_kind: BTreeMap::new(),
        hinted_writes: 5,
        hints_stored: 5,
        hinted_handoffs: 4,
        read_repairs: 3,
        anti_entropy_keys_repaired: None,
        node_counters: "cumulative".into(),
    };
    r.load.nodes = (0..3)
        .map(|n| NodeLoad {
            node: n,
            requests: 30 + u64::from(n),
            replica_reads: 10,
            replica_writes: 10,
            coordinated: 10 + u64::from(n),
            keys: 5,
        })
        .collect();
    r.load.over_time = vec![
        LoadWindow { start_s: 0.0, requests: 40, efficiency: Some(0.9), out_of_balance_share: Some(0.0) },
        LoadWindow { start_s: 2.0, requests: 40, efficiency: None, out_of_balance_share: None },
    ];
    r.activity = ActivitySection {
        window_s: 1.0,
        sampled: true,
        anti_entropy: false,
        membership_changes: false,
        windows: (0..3)
            .map(|i| ActivityWindow {
                start_s: i as f64,
                hinted_writes: [3, 2, 0][i],
                hints_stored: [3, 2, 0][i],
                hints_delivered: [0, 1, 3][i],
                read_repairs: [1, 0, 2][i],
                ae_exchanges: None,
                ae_keys_transferred: None,
                transfer_keys: None,
            })
            .collect(),
    };
    r.latency_cdf = LatencyCdf {
        quantiles: LatencyCdf::standard_quantiles(),
        ms: BTreeMap::from([("get".to_string(), (1..=102).map(|i| f64::from(i) * 0.5).collect())]),
    };
    r.faults = vec![
        FaultInterval { at_s: 0.5, until_s: Some(1.5), label: "partition split".into() },
        FaultInterval { at_s: 2.0, until_s: None, label: "crash n2".into() },
    ];
    r.phases = phases();
    r.scenario = serde_json::json!({"name": r.scenario_name, "dynamo": {"n": 3, "r": 2, "w": 2}});
    r.diagram = Some(diagram());
    r.checks = vec![
        Verdict::from_violations("linearizable_reads", Vec::new()),
        Verdict::from_violations(
            "no_lost_writes",
            vec![Violation { key: 42, ops: vec!["put w1".into()], at_s: 1.25, detail: "write <w1> lost".into() }],
        ),
        Verdict::not_applicable("read_your_writes", "sloppy quorum"),
    ];
    r
}

/// A message diagram of key 42 over [0.9, 1.1] s: a put through a coordinator, one replica
/// write lost to the partition, 5 arrows of 9 messages drawn.
fn diagram() -> crate::diagram::MessageDiagram {
    use crate::diagram::{Arrow, Lifeline, MessageDiagram};
    let line = |proc: u32, name: &str, role: &str| Lifeline { proc, name: name.into(), role: role.into() };
    let arrow = |from: usize, to: usize, kind: &str, sent_s: f64, at_s: f64, lost: Option<&str>| Arrow {
        from,
        to,
        kind: kind.into(),
        sent_s,
        at_s,
        lost: lost.map(str::to_string),
        carried: None,
    };
    MessageDiagram {
        key: 42,
        from_s: 0.9,
        until_s: 1.1,
        chosen_by: "the first stale read (key 42 at 1.0 s)".into(),
        lifelines: vec![
            line(3, "client 0", "client"),
            line(0, "n0", "coordinator"),
            line(1, "n1", "replica"),
            line(2, "n2", "replica"),
        ],
        arrows: vec![
            arrow(0, 1, "request", 0.91, 0.92, None),
            arrow(1, 2, "replica_write", 0.93, 0.95, None),
            arrow(1, 3, "replica_write", 0.93, 0.93, Some("partition")),
            arrow(2, 1, "replica_write_ack", 0.96, 0.98, None),
            arrow(1, 0, "put_reply", 0.99, 1.0, None),
        ],
        messages: 9,
        max_arrows: 5,
        focus: Some(crate::diagram::Focus {
            client: 0,
            kind: "put".into(),
            invoked_s: 0.91,
            completed_s: 1.0,
            note: "wrote w7".into(),
        }),
    }
}

/// [`sample`] with per-kind read windows: in windows 0 and 2, 9 and 7 successful gets (6 and
/// 4 with a prior write, 1 stale each) and 5 successful rmw reads (all with a prior write, 2
/// stale).
pub(crate) fn sample_with_read_kinds() -> RunReport {
    let mut r = sample();
    for (i, w) in r.windows.windows.iter_mut().enumerate().filter(|(i, _)| *i != 1) {
        let (ok, prior) = (9 - i as u64, Some(6 - i as u64));
        let get =
            WindowOps { completed: 10, ok, stale_reads: Some(1), reads_with_prior_write: prior, ..Default::default() };
        let rmw = WindowOps {
            completed: 5,
            ok: 5,
            stale_reads: Some(2),
            reads_with_prior_write: Some(5),
            ..Default::default()
        };
        w.ops.insert("get".into(), get);
        w.ops.insert("rmw_read".into(), rmw);
    }
    r
}

/// A t-visibility grid 0..5 ms by 2.5 ms: probes at every point, ordinary reads at two.
pub fn visibility_grid() -> crate::metrics::VisibilityGrid {
    use crate::metrics::{GridCurve, GridPoint, TargetT, VisibilityGrid};
    let pt = |t_ms: f64, p: f64, ci_low: f64| GridPoint {
        t_ms,
        reads: 100,
        consistent: (p * 100.0) as u64,
        p,
        ci_low,
        ci_high: (p + 0.02).min(1.0),
    };
    let target = |t_ms: Option<f64>, t_ms_low: Option<f64>, t_ms_high: Option<f64>| TargetT {
        target: 0.99,
        t_ms,
        t_ms_low,
        t_ms_high,
    };
    VisibilityGrid {
        from_ms: 0.0,
        to_ms: 5.0,
        step_ms: 2.5,
        targets: vec![0.99],
        probes: GridCurve {
            points: vec![pt(0.0, 0.7, 0.6), pt(2.5, 0.95, 0.9), pt(5.0, 1.0, 0.99)],
            before: 0,
            after: 3,
            first_t: vec![target(Some(5.0), Some(2.5), Some(5.0))],
        },
        reads: GridCurve {
            points: vec![pt(0.0, 0.8, 0.7), pt(5.0, 0.99, 0.95)],
            before: 1,
            after: 0,
            first_t: vec![target(Some(5.0), Some(5.0), None)],
        },
    }
}

/// A WARS section with a two-point prediction and one broken assumption.
pub(crate) fn wars() -> crate::wars::WarsSection {
    use crate::wars::*;
    WarsSection {
        applies: false,
        label: "1 of 1 WARS assumptions broken (no_read_repair)".into(),
        assumptions: vec![Assumption {
            name: "no_read_repair".into(),
            assumes: "nothing but the write carries it".into(),
            holds: false,
            broken_by: "read repair is on".into(),
        }],
        predicted: WarsPrediction {
            grid: vec![PredictedPoint { t_ms: 0.0, p: 0.5 }, PredictedPoint { t_ms: 5.0, p: 0.9 }],
            p_at_0: 0.45,
            ..Default::default()
        },
        comparison: WarsComparison {
            chi2: Some(ChiSquared { statistic: 3.5, df: 2, p_value: 0.17, points: 2 }),
            ..Default::default()
        },
        ..Default::default()
    }
}

/// The reachability oracle over the sample's three windows: a partition in the second leaves
/// three quarters of the (client, key) pairs a strict read quorum and half a write quorum.
fn sample_reachability() -> crate::reachability::ReachabilitySection {
    use crate::reachability::{ReachWindow, ReachabilitySection, ReadWrite};
    let all = ReadWrite { read: 1.0, write: 1.0 };
    let cut = ReadWrite { read: 0.75, write: 0.5 };
    ReachabilitySection {
        computed: true,
        definition: "test".into(),
        routing: "through_coordinator".into(),
        r: 2,
        w: 2,
        n: 3,
        samples: 12,
        strict: ReadWrite { read: 0.916667, write: 0.833333 },
        measured: ReadWrite { read: 0.9, write: 0.9 },
        windows: [all, cut, all]
            .into_iter()
            .enumerate()
            .map(|(i, strict)| ReachWindow { start_s: i as f64, samples: 4, strict })
            .collect(),
    }
}
