//! Whole-cluster tests of quorum coordination, driven through sim-core.
mod common;

use common::{Step, done, world};
use dynamo_model::client::{ClientConfig, Routing};
use dynamo_model::config::{DynamoConfig, ReadRepair};
use dynamo_model::msg::OpError;
use sim_core::fault::Fault;
use sim_core::{ProcId, SimDuration, SimTime, WorldConfig};

fn wcfg(seed: u64) -> WorldConfig {
    WorldConfig { seed, ..WorldConfig::default() }
}

#[test]
fn a_put_is_read_back() {
    let script = vec![(10, Step::BlindPut(7)), (100, Step::Get(7))];
    let mut w = world(DynamoConfig::default(), ClientConfig::default(), wcfg(1), 5, vec![script]);
    w.run_until(SimTime(2_000_000_000));
    let d = done(&w, 5);
    assert_eq!(d.len(), 2, "{d:?}");
    assert_eq!(d[0].put, Some(Ok(())));
    let versions = d[1].get.clone().unwrap().unwrap();
    assert_eq!(versions.write_ids(), vec![d[0].write.unwrap()]);
}

#[test]
fn put_needs_w_acks_and_fails_without_them() {
    // N=3, W=3 with one top-N node down and sloppy quorum off: the put cannot reach W.
    let cfg = DynamoConfig {
        w: 3,
        sloppy_quorum: dynamo_model::config::SloppyQuorum { enabled: false, ..Default::default() },
        ..DynamoConfig::default()
    };
    let ccfg = ClientConfig { routing: Routing::PartitionAware, ..ClientConfig::default() };
    let script: Vec<_> = (0..20).map(|i| (100 + 10 * i, Step::BlindPut(i))).collect();
    let mut w = world(cfg.clone(), ccfg.clone(), wcfg(2), 3, vec![script.clone()]);
    w.schedule_fault(SimTime(1), Fault::Crash { node: ProcId(2), restart_after_ms: None }).unwrap();
    w.run_until(SimTime(5_000_000_000));
    let d = done(&w, 3);
    assert_eq!(d.len(), 20);
    assert!(d.iter().all(|x| x.put != Some(Ok(()))), "no put can succeed with W=3 and a node down");
    // With W=2 the same puts succeed (local write + 1 ack), except those sent to the dead node.
    let cfg2 = DynamoConfig { w: 2, ..cfg };
    let mut w = world(cfg2, ccfg, wcfg(2), 3, vec![script]);
    w.schedule_fault(SimTime(1), Fault::Crash { node: ProcId(2), restart_after_ms: None }).unwrap();
    w.run_until(SimTime(5_000_000_000));
    let ok = done(&w, 3).iter().filter(|x| x.put == Some(Ok(()))).count();
    assert!(ok >= 15, "only {ok} of 20 puts succeeded with W=2");
}

#[test]
fn w1_put_fails_only_when_every_node_is_unreachable() {
    let cfg = DynamoConfig { n: 3, r: 1, w: 1, ..DynamoConfig::default() };
    // The client gives up on a node after 500 ms, before its next put 600 ms later.
    let ccfg = ClientConfig { timeout: SimDuration::from_millis(500), ..ClientConfig::default() };
    // Five of six nodes down: every put must still succeed through the last one, once the
    // client has stopped picking dead nodes.
    let script: Vec<_> = (0..30).map(|i| (100 + 600 * i, Step::BlindPut(i % 5))).collect();
    let mut w = world(cfg.clone(), ccfg.clone(), wcfg(3), 6, vec![script.clone()]);
    for n in 0..5 {
        w.schedule_fault(SimTime(1), Fault::Crash { node: ProcId(n), restart_after_ms: None }).unwrap();
    }
    w.run_until(SimTime(30_000_000_000));
    let d = done(&w, 6);
    let failures: Vec<_> = d.iter().filter(|x| x.put != Some(Ok(()))).collect();
    assert!(failures.iter().all(|f| f.put == Some(Err(OpError::ClientTimeout))), "{failures:?}");
    assert!(failures.len() <= 5, "the client learns the dead nodes: at most one timeout each");
    assert!(d.len() == 30);
    // All six down: nothing succeeds.
    let mut w = world(cfg, ccfg, wcfg(3), 6, vec![script]);
    for n in 0..6 {
        w.schedule_fault(SimTime(1), Fault::Crash { node: ProcId(n), restart_after_ms: None }).unwrap();
    }
    w.run_until(SimTime(30_000_000_000));
    assert!(done(&w, 6).iter().all(|x| x.put != Some(Ok(()))));
}

/// Runs two blind writers and two readers over three keys; returns (stale reads, reads).
fn stale_reads(cfg: DynamoConfig, seed: u64) -> (usize, usize) {
    let writer = |off: u64| (0..200).map(move |i| (off + 7 * i, Step::BlindPut(i % 3))).collect::<Vec<_>>();
    let reader = |off: u64| (0..200).map(move |i| (off + 5 * i, Step::Get(i % 3))).collect::<Vec<_>>();
    let mut w = world(cfg, ClientConfig::default(), wcfg(seed), 5, vec![writer(1), writer(4), reader(2), reader(3)]);
    w.run_until(SimTime(10_000_000_000));
    let all: Vec<_> = (5..9).flat_map(|c| done(&w, c)).collect();
    let (mut stale, mut reads) = (0, 0);
    for get in all.iter().filter(|d| matches!(d.get, Some(Ok(_)))) {
        let Step::Get(key) = get.step else { unreachable!() };
        let returned = get.get.clone().unwrap().unwrap().write_ids();
        reads += 1;
        // Blind puts are concurrent siblings, never superseded: every put acked before the
        // read began must be among the returned versions, or the read is stale.
        let missed = all.iter().any(|put| {
            matches!(put.step, Step::BlindPut(k) if k == key)
                && put.put == Some(Ok(()))
                && put.completed < get.invoked
                && !returned.contains(&put.write.unwrap())
        });
        stale += usize::from(missed);
    }
    (stale, reads)
}

fn no_repair_strict() -> DynamoConfig {
    DynamoConfig {
        read_repair: ReadRepair::Off,
        sloppy_quorum: dynamo_model::config::SloppyQuorum { enabled: false, ..Default::default() },
        ..DynamoConfig::default()
    }
}

#[test]
fn strict_quorums_never_return_a_stale_read() {
    for seed in 1..=5 {
        let (stale, reads) = stale_reads(no_repair_strict(), seed);
        assert!(reads > 390, "seed {seed}: only {reads} reads");
        assert_eq!(stale, 0, "seed {seed}: {stale} stale reads with R+W>N");
    }
}

#[test]
fn partial_quorums_do_return_stale_reads() {
    // The same check must be able to fail: with R = W = 1 and slow cross-rack links stale
    // reads appear.
    let cfg = DynamoConfig { r: 1, w: 1, ..no_repair_strict() };
    let stale: usize = (1..=5).map(|seed| stale_reads(cfg.clone(), seed).0).sum();
    assert!(stale > 0, "R=W=1 produced no stale read at all");
}
