//! Determinism of whole-world runs under random fault timelines, message accounting once a
//! faulty run has gone quiet, and the JSONL trace.
//!
//! Each case builds a small world of chatty test processes (random pings, disk writes and reads,
//! timers set and cancelled) over two datacenters, applies a random timeline of faults (crashes
//! with and without restarts, wipes, partitions of every shape and heals, clogs, slow links,
//! pauses and resumes, clock offsets, jumps and drifts, loss and duplication changes, disk
//! faults), optionally with the chaos generators on top, and runs it for 1.5 s of simulated time.
//!
//! Cases default to 64 per property; `PROPTEST_CASES` overrides that.

mod common;

use common::*;
use proptest::prelude::*;
use sim_core::clock::ClockConfig;
use sim_core::disk::{DiskFaults, DiskStats};
use sim_core::dist::DistSpec;
use sim_core::fault::{ChaosConfig, CrashChaos, Fault, PartitionChaos, PauseChaos, ShapeKind};
use sim_core::net::{KindCounters, NetConfig};
use sim_core::partition::PartitionShape;
use sim_core::trace::{JsonlTrace, TraceFilter, TraceSink};
use sim_core::world::{CpuConfig, WorldStats};
use sim_core::{Placement, ProcId, SimTime, WorldConfig};
use std::cell::RefCell;
use std::io::Write;
use std::rc::Rc;

const N: u32 = 5;
const END_MS: u64 = 1500;
const LAST_FAULT_MS: u64 = 1200;

fn places() -> Vec<Placement> {
    let at = |datacenter, rack| Placement { datacenter, rack };
    vec![at(0, 0), at(0, 0), at(0, 1), at(1, 0), at(1, 0)]
}

fn world_cfg(seed: u64) -> WorldConfig {
    WorldConfig {
        seed,
        net: NetConfig { loss: 0.01, ..NetConfig::default() },
        cpu: CpuConfig {
            by_kind_ms: [("ping".to_string(), DistSpec::Exponential { mean: 0.05 })].into(),
            message_ms: None,
            timer_ms: Some(constant(0.01)),
        },
        clocks: [(2, ClockConfig { offset_ms: 3.0, drift_ppm: 300.0 })].into(),
        ..WorldConfig::default()
    }
}

/// A seed, a fault timeline and optional chaos generators.
#[derive(Clone, Debug)]
struct Scenario {
    seed: u64,
    timeline: Vec<(u64, Fault)>,
    chaos: Option<ChaosConfig>,
}

/// Everything observable about a finished run.
#[derive(Debug, PartialEq)]
struct Outcome {
    hash: u64,
    events: u64,
    stats: WorldStats,
    counters: Vec<KindCounters>,
    disks: Vec<DiskStats>,
    up: Vec<bool>,
    local: Vec<SimTime>,
    journal: Vec<Entry>,
}

fn start(s: &Scenario) -> Harness {
    let setup = Setup { n: N as usize, echo: true, chatty: Some(4.0), places: Some(places()) };
    let mut h = Harness::new(&world_cfg(s.seed), setup);
    for (at, f) in &s.timeline {
        h.fault(ms(*at), f.clone());
    }
    if let Some(c) = &s.chaos {
        h.world.set_chaos(c).expect("valid chaos");
    }
    h
}

fn outcome(h: &Harness) -> Outcome {
    let w = &h.world;
    let procs = || (0..N).map(ProcId);
    Outcome {
        hash: w.trace_hash().value(),
        events: w.trace_hash().events(),
        stats: w.stats(),
        counters: w.net().counters().to_vec(),
        disks: procs().map(|p| w.disk(p).stats()).collect(),
        up: procs().map(|p| w.is_up(p)).collect(),
        local: procs().map(|p| w.local_time(p)).collect(),
        journal: h.entries(),
    }
}

fn run(s: &Scenario, sink: Option<Box<dyn TraceSink>>) -> Outcome {
    let mut h = start(s);
    if let Some(sink) = sink {
        h.world.set_trace_sink(sink);
    }
    h.world.run_until(ms(END_MS));
    outcome(&h)
}

// ------------------------------------------------------------------------------ strategies

fn node() -> impl Strategy<Value = ProcId> {
    (0..N).prop_map(ProcId)
}

fn order() -> impl Strategy<Value = Vec<ProcId>> {
    Just((0..N).map(ProcId).collect::<Vec<_>>()).prop_shuffle()
}

fn shape() -> impl Strategy<Value = PartitionShape> {
    let n = N as usize;
    prop_oneof![
        (order(), 1..n).prop_map(|(o, k)| PartitionShape::Groups { groups: vec![o[..k].to_vec(), o[k..].to_vec()] }),
        (order(), 1..n, 1..=n)
            .prop_map(move |(o, a, b)| PartitionShape::OneWay { from: o[..a].to_vec(), to: o[n - b..].to_vec() }),
        node().prop_map(|node| PartitionShape::IsolateOne { node }),
        order().prop_map(|nodes| PartitionShape::Bridge { nodes }),
        order().prop_map(|nodes| PartitionShape::MajoritiesRing { nodes }),
    ]
}

const NAMES: [&str; 3] = ["a", "b", "c"];

fn name() -> impl Strategy<Value = String> {
    prop::sample::select(&NAMES[..]).prop_map(str::to_string)
}

fn millis(max: f64) -> impl Strategy<Value = Option<f64>> {
    prop::option::of(0.0..max)
}

fn fault() -> impl Strategy<Value = Fault> {
    prop_oneof![
        3 => (node(), millis(300.0)).prop_map(|(node, restart_after_ms)| Fault::Crash { node, restart_after_ms }),
        1 => node().prop_map(|node| Fault::Restart { node }),
        1 => (node(), millis(300.0)).prop_map(|(node, restart_after_ms)| Fault::Wipe { node, restart_after_ms }),
        2 => (node(), millis(200.0)).prop_map(|(node, resume_after_ms)| Fault::Pause { node, resume_after_ms }),
        1 => node().prop_map(|node| Fault::Resume { node }),
        3 => (name(), shape()).prop_map(|(name, shape)| Fault::Partition { name, shape }),
        3 => prop::option::of(name()).prop_map(|name| Fault::Heal { name }),
        1 => (name(), shape()).prop_map(|(name, shape)| Fault::Clog { name, shape }),
        1 => (name(), shape(), 0.0..5.0, 0.0..20.0)
            .prop_map(|(name, shape, factor, extra_ms)| Fault::Slow { name, shape, factor, extra_ms }),
        1 => (node(), 0.0..0.5, 0.0..0.2, 0.0..1.0, 0.0..0.2).prop_map(|(node, w, r, t, m)| Fault::DiskFaults {
            node,
            faults: DiskFaults { write_error: w, read_corruption: r, torn_write: t, misdirected_write: m },
        }),
        1 => (node(), -2000.0..2000.0).prop_map(|(node, offset_ms)| Fault::ClockOffset { node, offset_ms }),
        2 => (node(), -500.0..500.0).prop_map(|(node, delta_ms)| Fault::ClockJump { node, delta_ms }),
        1 => (node(), -1000.0..1000.0).prop_map(|(node, ppm)| Fault::ClockDrift { node, ppm }),
        2 => (0.0..0.5).prop_map(|loss| Fault::SetLoss { loss }),
        1 => (0.0..0.3).prop_map(|duplicate| Fault::SetDuplicate { duplicate }),
    ]
}

fn timeline() -> impl Strategy<Value = Vec<(u64, Fault)>> {
    prop::collection::vec((0..=LAST_FAULT_MS, fault()), 0..16)
}

fn chaos() -> impl Strategy<Value = ChaosConfig> {
    let all: Vec<ProcId> = (0..N).map(ProcId).collect();
    let exp = |mean: f64| DistSpec::Exponential { mean };
    (
        prop::sample::subsequence(all.clone(), 1..=N as usize),
        prop::sample::subsequence(all.clone(), 1..=N as usize),
        0.0..0.5,
        prop::sample::subsequence(
            vec![ShapeKind::Halves, ShapeKind::IsolateOne, ShapeKind::Bridge, ShapeKind::MajoritiesRing],
            1..=4,
        ),
    )
        .prop_map(move |(crash_nodes, pause_nodes, wipe_probability, shapes)| ChaosConfig {
            start_s: 0.05,
            stop_s: Some(1.2),
            crashes: Some(CrashChaos { nodes: crash_nodes, mttf_s: exp(0.4), mttr_s: exp(0.1), wipe_probability }),
            pauses: Some(PauseChaos { nodes: pause_nodes, interval_s: exp(0.3), duration_s: exp(0.05) }),
            partitions: Some(PartitionChaos {
                nodes: all.clone(),
                interval_s: exp(0.2),
                duration_s: exp(0.15),
                shapes,
            }),
        })
}

fn scenario() -> impl Strategy<Value = Scenario> {
    (any::<u64>(), timeline(), prop::option::weighted(0.3, chaos())).prop_map(|(seed, timeline, chaos)| Scenario {
        seed,
        timeline,
        chaos,
    })
}

fn config() -> ProptestConfig {
    let cases = std::env::var("PROPTEST_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(64);
    ProptestConfig { cases, ..ProptestConfig::default() }
}

// ------------------------------------------------------------------------------ properties

proptest! {
    #![proptest_config(config())]

    #[test]
    fn same_seed_and_fault_timeline_replay_identically(s in scenario()) {
        let a = run(&s, None);
        let b = run(&s, None);
        prop_assert!(a.events > 100, "the workload ran: {} events", a.events);
        prop_assert_eq!(a, b);
    }

    #[test]
    fn different_seeds_give_different_trace_hashes(s in scenario(), other in any::<u64>()) {
        prop_assume!(other != s.seed);
        let a = run(&s, None);
        let b = run(&Scenario { seed: other, ..s.clone() }, None);
        prop_assert_ne!(a.hash, b.hash);
    }

    /// A sink changes nothing in the run, and the unfiltered trace has one line per handled
    /// message, handled timer, applied fault and dropped message.
    #[test]
    fn installing_a_trace_sink_does_not_change_the_run_and_it_sees_every_event(s in scenario()) {
        let plain = run(&s, None);
        let buf = Shared::default();
        let traced = run(&s, Some(Box::new(JsonlTrace::new(buf.clone(), TraceFilter::default()))));
        let lines = buf.lines();
        let count = |event: &str| lines.iter().filter(|v| v["event"] == event).count() as u64;
        let st = traced.stats;
        prop_assert_eq!(count("deliver"), st.messages_handled);
        prop_assert_eq!(count("timer"), st.timers_handled);
        prop_assert_eq!(count("fault"), st.faults_applied);
        let drops: u64 =
            traced.counters.iter().map(|c| c.dropped_loss + c.dropped_partition + c.dropped_crash).sum();
        prop_assert_eq!(count("drop"), drops);
        prop_assert_eq!(plain, traced);
    }

    /// Once every fault is over (partitions and clogs healed, paused nodes resumed, the workload
    /// stopped) and no event is left, every ping and pong sent (plus every duplicate) was
    /// delivered or dropped for exactly one reason, and every delivered one was handled.
    #[test]
    fn every_message_is_accounted_for_exactly_once_when_the_run_goes_quiet(
        seed in any::<u64>(),
        timeline in timeline(),
    ) {
        let mut h = start(&Scenario { seed, timeline, chaos: None });
        h.world.run_until(ms(END_MS));
        h.stop.set(true);
        h.fault(ms(END_MS), Fault::Heal { name: None });
        for p in 0..N {
            h.fault(ms(END_MS), Fault::Resume { node: ProcId(p) });
        }
        h.world.run();
        prop_assert_eq!(h.world.pending(), 0);
        let c = h.world.net().counters();
        for kind in [PING, PONG] {
            let k = c[kind];
            prop_assert_eq!(
                k.sent + k.duplicated,
                k.delivered + k.dropped_loss + k.dropped_partition + k.dropped_crash,
                "kind {}: {:?}", kind, k
            );
            let handled: usize = (0..N).map(|p| h.handled(p, kind).len()).sum();
            prop_assert_eq!(handled as u64, k.delivered, "kind {}: {:?}", kind, k);
        }
    }
}

// ----------------------------------------------------------------------------- JSONL trace

/// A writer the test keeps a handle on after the world takes the sink.
#[derive(Clone, Default)]
struct Shared(Rc<RefCell<Vec<u8>>>);

impl Write for Shared {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.borrow_mut().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Shared {
    fn lines(&self) -> Vec<serde_json::Value> {
        let text = String::from_utf8(self.0.borrow().clone()).unwrap();
        text.lines().map(|l| serde_json::from_str(l).expect("every line is one JSON object")).collect()
    }
}

fn traced(s: &Scenario, filter: TraceFilter) -> (Vec<serde_json::Value>, u64) {
    let buf = Shared::default();
    let out = run(s, Some(Box::new(JsonlTrace::new(buf.clone(), filter))));
    (buf.lines(), out.hash)
}

#[test]
fn jsonl_trace_writes_only_the_lines_its_filter_keeps_and_leaves_the_hash_alone() {
    let s = Scenario {
        seed: 42,
        timeline: vec![
            (100, Fault::SetLoss { loss: 0.2 }),
            (200, Fault::Crash { node: ProcId(1), restart_after_ms: Some(50.0) }),
            (300, Fault::Partition { name: "a".into(), shape: PartitionShape::IsolateOne { node: ProcId(0) } }),
            (450, Fault::Heal { name: None }),
        ],
        chaos: None,
    };
    let hash = run(&s, None).hash;
    let (all, h_all) = traced(&s, TraceFilter::default());
    assert_eq!(h_all, hash, "an unfiltered sink leaves the hash alone");
    let field = |v: &serde_json::Value, k: &str| v.get(k).and_then(|x| x.as_u64());
    let event = |v: &serde_json::Value| v["event"].as_str().unwrap().to_string();
    for kind in ["send", "deliver", "timer", "drop", "fault"] {
        assert!(all.iter().any(|v| event(v) == kind), "the full trace has {kind} lines");
    }
    assert!(all.iter().any(|v| v["event"] == "drop" && v["reason"] == "loss"));
    assert!(all.iter().any(|v| v["event"] == "drop" && v["reason"] == "partition"));
    assert!(all.iter().any(|v| v["event"] == "drop" && v["reason"] == "crash"));
    let sends = all.iter().filter(|v| event(v) == "send");
    assert!(
        sends.clone().all(|v| field(v, "depart_ns") >= field(v, "t_ns")),
        "a message leaves after its handler starts"
    );

    // By process and time window: records about process 1 (as receiver or sender) and
    // network-wide faults, between 150 ms and 400 ms.
    let (from, until) = (ms(150), ms(400));
    let filter = TraceFilter { procs: Some(vec![ProcId(1)]), key: None, from: Some(from), until: Some(until) };
    let (some, h_some) = traced(&s, filter);
    assert_eq!(h_some, hash, "a filtered sink leaves the hash alone");
    let keep = |v: &serde_json::Value| {
        let t = field(v, "t_ns").unwrap();
        let about_1 = field(v, "proc") == Some(1)
            || field(v, "from") == Some(1)
            || field(v, "to") == Some(1)
            || v.get("proc").is_none();
        (from.0..=until.0).contains(&t) && about_1
    };
    let expect: Vec<_> = all.iter().filter(|v| keep(v)).cloned().collect();
    assert!(!expect.is_empty() && expect.len() < all.len() / 4, "{} of {}", expect.len(), all.len());
    assert_eq!(some, expect);

    // By key: records about key 5, and every fault.
    let (keyed, h_keyed) = traced(&s, TraceFilter { key: Some(5), ..TraceFilter::default() });
    assert_eq!(h_keyed, hash);
    let expect: Vec<_> = all.iter().filter(|v| field(v, "key") == Some(5) || event(v) == "fault").cloned().collect();
    assert!(expect.iter().any(|v| event(v) == "deliver"));
    assert_eq!(keyed, expect);
}
