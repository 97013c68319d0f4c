//! Whole-cluster tests of Merkle anti-entropy (§4.7) and admission control (§6.5), driven
//! through sim-core: replicas that message loss left divergent converge within a measured time
//! with anti-entropy (and stay divergent without it), a wiped node gets its data back, and
//! admission control throttles background exchanges under a slow foreground disk.
mod common;

use common::{DynWorld, Step, done, world};
use dynamo_model::NodeId;
use dynamo_model::client::ClientConfig;
use dynamo_model::config::{AdmissionConfig, AntiEntropyConfig, DynamoConfig, ReadRepair, SloppyQuorum};
use dynamo_model::counters::Counter;
use dynamo_model::msg::{Key, StoreKey, StoreRecord};
use dynamo_model::ring::{Ring, RingMember, key_position};
use dynamo_model::version::Versions;
use sim_core::dist::DistSpec;
use sim_core::fault::Fault;
use sim_core::{ProcId, SimDuration, SimTime, WorldConfig};

const NODES: usize = 5;
const KEYS: u64 = 100;
/// Writes stop here (ms).
const WRITES_END_MS: u64 = 10_000;

fn secs(s: f64) -> SimTime {
    SimTime((s * 1e9) as u64)
}

/// 5 % message loss.
fn lossy(seed: u64) -> WorldConfig {
    let mut w = WorldConfig { seed, ..WorldConfig::default() };
    w.net.loss = 0.05;
    w
}

/// (3,2,2), no read repair and a strict quorum (no hinted handoff): nothing but anti-entropy
/// repairs a replica that missed a write.
fn no_repair(ae: bool) -> DynamoConfig {
    DynamoConfig {
        read_repair: ReadRepair::Off,
        sloppy_quorum: SloppyQuorum { enabled: false, ..SloppyQuorum::default() },
        anti_entropy: AntiEntropyConfig {
            enabled: ae,
            interval: SimDuration::from_millis(100),
            ..AntiEntropyConfig::default()
        },
        ..DynamoConfig::default()
    }
}

/// Two writers putting blind versions round-robin over `KEYS` keys until `WRITES_END_MS`.
fn writers() -> Vec<Vec<(u64, Step)>> {
    let writer = |off: u64| (0..WRITES_END_MS / 20).map(move |i| (off + 20 * i, Step::BlindPut(i % KEYS))).collect();
    vec![writer(1), writer(11)]
}

/// The ring `common::world` builds for `seed`.
fn ring(seed: u64) -> Ring {
    let members: Vec<RingMember> = (0..NODES as u32).map(|i| RingMember::new(NodeId(i))).collect();
    common::recipe(seed).build(&members).unwrap()
}

fn replicas(ring: &Ring, key: Key) -> Vec<NodeId> {
    let mut out = Vec::new();
    ring.preference_list(key_position(key), 3, &mut out);
    out
}

/// What node `id` serves for `key`: its object buffer over its disk (a corrupt record is none).
fn served(w: &DynWorld, id: NodeId, key: Key) -> Versions {
    let node = w.process(id).and_then(|a| a.as_node());
    if let Some(v) = node.and_then(|n| n.storage().buffered(key)) {
        return v.clone();
    }
    match w.disk(id).peek(&StoreKey::Data(key)) {
        Ok(Some(StoreRecord::Versions(v))) => v.clone(),
        _ => Versions::new(),
    }
}

/// Keys whose live replicas do not all serve the same versions.
fn divergent(w: &DynWorld, ring: &Ring) -> Vec<Key> {
    (0..KEYS)
        .filter(|&key| {
            let live: Vec<NodeId> = replicas(ring, key).into_iter().filter(|&r| w.is_up(r)).collect();
            live.windows(2).any(|p| served(w, p[0], key) != served(w, p[1], key))
        })
        .collect()
}

/// Sums a node counter over the storage nodes.
fn node_sum(w: &DynWorld, c: Counter) -> u64 {
    (0..NODES as u32).map(|i| c.get(w.counters(ProcId(i)))).sum()
}

/// Runs until every key's live replicas agree (checking every 100 ms) or `limit_s`; returns the
/// seconds from the end of the writes to convergence, or `None`.
fn time_to_converge(w: &mut DynWorld, ring: &Ring, limit_s: f64) -> Option<f64> {
    let start = WRITES_END_MS as f64 / 1000.0;
    let mut t = start;
    while t <= limit_s {
        w.run_until(secs(t));
        if divergent(w, ring).is_empty() {
            return Some(t - start);
        }
        t += 0.1;
    }
    None
}

#[test]
fn without_anti_entropy_message_loss_leaves_replicas_divergent() {
    for seed in 1..=3 {
        let mut w = world(no_repair(false), ClientConfig::default(), lossy(seed), NODES, writers());
        w.run_until(secs(40.0));
        let bad = divergent(&w, &ring(seed));
        println!("seed {seed}: {} of {KEYS} keys divergent 30 s after the writes stopped", bad.len());
        assert!(bad.len() >= 3, "seed {seed}: only {} divergent keys", bad.len());
        assert_eq!(node_sum(&w, Counter::AeExchanges), 0);
    }
}

#[test]
fn with_anti_entropy_live_replicas_converge_in_bounded_time_after_writes_stop() {
    for seed in 1..=3 {
        let mut w = world(no_repair(true), ClientConfig::default(), lossy(seed), NODES, writers());
        w.run_until(secs(WRITES_END_MS as f64 / 1000.0));
        let ring = ring(seed);
        let at_end = divergent(&w, &ring).len();
        let took = time_to_converge(&mut w, &ring, 60.0);
        let (exchanges, repaired) = (node_sum(&w, Counter::AeExchanges), node_sum(&w, Counter::AeKeysRepaired));
        println!(
            "seed {seed}: {at_end} keys divergent when writes stopped; converged {} later; \
             {exchanges} exchanges, {repaired} keys repaired",
            took.map_or("never".to_string(), |t| format!("{t:.1} s"))
        );
        let took = took.unwrap_or_else(|| panic!("seed {seed}: still divergent: {:?}", divergent(&w, &ring)));
        assert!(took <= 30.0, "seed {seed}: {took} s");
        assert!(repaired > 0);
        // Every node's trees still equal what it serves.
        for i in 0..NODES as u32 {
            let id = ProcId(i);
            let node = w.process(id).unwrap().as_node().unwrap();
            let disk = w.disk(id);
            let data = disk.keys().filter_map(|k| match (k, disk.peek(k)) {
                (StoreKey::Data(key), Ok(Some(StoreRecord::Versions(v)))) => Some((*key, v.clone())),
                _ => None,
            });
            assert_eq!(node.storage().check_trees(data.collect::<Vec<_>>()), Ok(()), "node {i}");
        }
    }
}

#[test]
fn a_node_wiped_mid_run_gets_its_data_back() {
    let wiped = NodeId(0);
    let run = |ae: bool, seed: u64| {
        let mut w = world(no_repair(ae), ClientConfig::default(), lossy(seed), NODES, writers());
        let wipe = Fault::Wipe { node: wiped, restart_after_ms: Some(500.0) };
        w.schedule_fault(secs(5.0), wipe).unwrap();
        w.run_until(secs(WRITES_END_MS as f64 / 1000.0));
        let ring = ring(seed);
        let took = time_to_converge(&mut w, &ring, 60.0);
        let theirs: Vec<Key> = (0..KEYS).filter(|&k| replicas(&ring, k).contains(&wiped)).collect();
        let missing = theirs
            .iter()
            .filter(|&&k| {
                let peer = replicas(&ring, k).into_iter().find(|&r| r != wiped).unwrap();
                served(&w, wiped, k) != served(&w, peer, k)
            })
            .count();
        (took, missing, theirs.len(), w)
    };
    for seed in 1..=2 {
        let (took, missing, theirs, _) = run(false, seed);
        assert!(took.is_none() && missing > 0, "seed {seed}: without anti-entropy the replacement stays behind");
        let (took, missing, _, w) = run(true, seed);
        let took_s = took.map_or("never".to_string(), |t| format!("{t:.1} s"));
        println!("seed {seed}: wiped node (replica of {theirs} keys) converged {took_s} after writes stopped");
        assert_eq!(missing, 0, "seed {seed}");
        assert!(took.is_some_and(|t| t <= 30.0), "seed {seed}: {took:?}");
        assert!(Counter::AeKeysRepaired.get(w.counters(wiped)) > 0);
    }
}

/// A slow disk (reads exponential with mean 8 ms: a replica write's read-merge-write-fsync has a
/// p99 near 38 ms, over the 20 ms threshold), lossy network, two writers and two readers at 20
/// operations a second each, anti-entropy every 100 ms, and heavy background work: node 0 is
/// wiped at 3 s and replaced at 3.5 s, so its peers' exchanges stream its keys back. Admission
/// control on or off. Returns (exchanges, keys sent by exchanges, deferrals, client p99 latency
/// in ms).
fn admission_run(admission: bool, seed: u64) -> (u64, u64, u64, f64) {
    let cfg = DynamoConfig {
        admission: AdmissionConfig {
            enabled: admission,
            window: SimDuration::from_millis(5_000),
            p99_threshold: SimDuration::from_millis(20),
            min_backoff: SimDuration::from_millis(1_000),
            max_backoff: SimDuration::from_millis(16_000),
        },
        ..no_repair(true)
    };
    let mut wcfg = lossy(seed);
    wcfg.disk.read_ms = DistSpec::Exponential { mean: 8.0 };
    let every = |off: u64, f: fn(u64) -> Step| (0..WRITES_END_MS / 50).map(move |i| (off + 50 * i, f(i % KEYS)));
    let scripts = vec![
        every(1, Step::BlindPut).collect(),
        every(26, Step::BlindPut).collect(),
        every(13, Step::Get).collect(),
        every(38, Step::Get).collect(),
    ];
    let mut w = world(cfg, ClientConfig::default(), wcfg, NODES, scripts);
    w.schedule_fault(secs(3.0), Fault::Wipe { node: NodeId(0), restart_after_ms: Some(500.0) }).unwrap();
    w.run_until(secs(WRITES_END_MS as f64 / 1000.0 + 2.0));
    let mut lat: Vec<u64> = (NODES..NODES + 4)
        .flat_map(|c| done(&w, c))
        .filter(|d| d.put == Some(Ok(())) || matches!(d.get, Some(Ok(_))))
        .map(|d| d.completed.since(d.invoked).as_nanos())
        .collect();
    lat.sort_unstable();
    let p99 = SimDuration::from_nanos(lat[(lat.len() * 99).div_ceil(100) - 1]).as_millis_f64();
    let sum = |c: Counter| node_sum(&w, c);
    (sum(Counter::AeExchanges), sum(Counter::AeKeysSent), sum(Counter::BackgroundDeferred), p99)
}

#[test]
fn admission_control_throttles_exchanges_under_a_slow_foreground_disk() {
    for seed in 1..=2 {
        let (ex_off, keys_off, deferred_off, p99_off) = admission_run(false, seed);
        let (ex_on, keys_on, deferred_on, p99_on) = admission_run(true, seed);
        let ratio = ex_on as f64 / ex_off as f64;
        println!(
            "seed {seed}: exchanges off {ex_off}, on {ex_on} (ratio {ratio:.3}, {deferred_on} deferrals); \
             keys sent off {keys_off}, on {keys_on}; foreground p99 off {p99_off:.1} ms, on {p99_on:.1} ms"
        );
        assert_eq!(deferred_off, 0);
        assert!(ex_off > 100, "seed {seed}: {ex_off}");
        assert!(ratio < 0.25, "seed {seed}: {ex_on} exchanges with admission control vs {ex_off} without");
        // Background work yields: the keys anti-entropy reads and ships drop with the exchanges.
        // (The clients' end-to-end p99 is printed, not asserted: here it moves by ±10% with the
        // seed and the ring either way, because the throttled exchanges also leave the wiped
        // node empty for longer, which costs foreground reads; the controller's own p99 is
        // tested in admission.rs.)
        assert!(keys_on * 4 < keys_off, "seed {seed}: {keys_on} keys sent with admission control vs {keys_off}");
    }
}
