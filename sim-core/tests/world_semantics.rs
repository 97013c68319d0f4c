//! Whole-world semantics of sim-core: each test runs a world of small test processes and checks a
//! behaviour through what the processes actually handled, the disks they found at boot, the
//! network counters and the engine counters.

mod common;

use common::*;
use sim_core::clock::ClockConfig;
use sim_core::disk::{DiskError, DiskFaults};
use sim_core::dist::DistSpec;
use sim_core::fault::{ChaosConfig, CrashChaos, Fault};
use sim_core::net::{KindCounters, NetConfig};
use sim_core::partition::PartitionShape;
use sim_core::world::CpuConfig;
use sim_core::{ProcId, SimTime, WorldConfig};
use std::collections::{BTreeMap, BTreeSet};

fn p(i: u32) -> ProcId {
    ProcId(i)
}

fn ids(v: &[u32]) -> Vec<ProcId> {
    v.iter().copied().map(ProcId).collect()
}

/// Every directed link between distinct processes among `n`.
fn all_links(n: u32) -> BTreeSet<(u32, u32)> {
    (0..n).flat_map(|a| (0..n).filter(move |&b| b != a).map(move |b| (a, b))).collect()
}

fn both_ways(a: &[u32], b: &[u32]) -> BTreeSet<(u32, u32)> {
    a.iter().flat_map(|&x| b.iter().flat_map(move |&y| [(x, y), (y, x)])).collect()
}

/// Binomial check: `k` successes in `n` trials at probability `p`, within 5 standard deviations.
fn assert_rate(what: &str, k: u64, n: u64, p: f64) {
    let sd = (n as f64 * p * (1.0 - p)).sqrt();
    let dev = (k as f64 - n as f64 * p).abs();
    assert!(dev <= 5.0 * sd, "{what}: {k} of {n}, expected {} ± {:.0}", n as f64 * p, 5.0 * sd);
}

fn diff(a: KindCounters, b: KindCounters) -> KindCounters {
    KindCounters {
        sent: a.sent - b.sent,
        bytes_sent: a.bytes_sent - b.bytes_sent,
        delivered: a.delivered - b.delivered,
        bytes_delivered: a.bytes_delivered - b.bytes_delivered,
        duplicated: a.duplicated - b.duplicated,
        dropped_loss: a.dropped_loss - b.dropped_loss,
        dropped_partition: a.dropped_partition - b.dropped_partition,
        dropped_crash: a.dropped_crash - b.dropped_crash,
        held: a.held - b.held,
    }
}

// ------------------------------------------------------------------------------------- loss

#[test]
fn loss_rate_matches_its_setting_over_a_whole_run_and_set_loss_changes_it() {
    let cfg = WorldConfig { seed: 7, net: NetConfig { loss: 0.1, ..NetConfig::default() }, ..WorldConfig::default() };
    let mut h = Harness::new(&cfg, Setup::echo(2));
    for i in 0..20 {
        h.cmd(ms(i), 0, Cmd::Ping { to: p(1), first: i * 1000, n: 1000 });
    }
    h.fault(ms(500), Fault::SetLoss { loss: 0.3 });
    for i in 0..20 {
        h.cmd(ms(1000 + i), 0, Cmd::Ping { to: p(1), first: 100_000 + i * 1000, n: 1000 });
    }
    h.world.run_until(ms(400));
    let c1 = h.world.net().counters().to_vec();
    h.world.run();
    let c = h.world.net().counters().to_vec();

    let (ping1, pong1) = (c1[PING], c1[PONG]);
    assert_eq!(ping1.sent, 20_000);
    assert_rate("pings lost at 0.1", ping1.dropped_loss, ping1.sent, 0.1);
    assert_eq!(pong1.sent, ping1.delivered, "every delivered ping is answered");
    assert_rate("pongs lost at 0.1", pong1.dropped_loss, pong1.sent, 0.1);

    let (ping2, pong2) = (diff(c[PING], ping1), diff(c[PONG], pong1));
    assert_eq!(ping2.sent, 20_000);
    assert_rate("pings lost at 0.3", ping2.dropped_loss, ping2.sent, 0.3);
    assert_rate("pongs lost at 0.3", pong2.dropped_loss, pong2.sent, 0.3);

    // Nothing else drops messages here: every message is delivered or lost, and every delivered
    // one is handled.
    for k in [PING, PONG] {
        assert_eq!(c[k].delivered + c[k].dropped_loss, c[k].sent, "kind {k}");
        assert_eq!(c[k].dropped_partition + c[k].dropped_crash + c[k].duplicated + c[k].held, 0);
    }
    assert_eq!(h.handled(1, PING).len() as u64, c[PING].delivered);
    assert_eq!(h.handled(0, PONG).len() as u64, c[PONG].delivered);
    assert_eq!(c[PING].bytes_sent, 64 * c[PING].sent);
    assert_eq!(c[PONG].bytes_delivered, 32 * c[PONG].delivered);
}

// ------------------------------------------------------------------------------- partitions

/// Pings over every link at `ms(10)` under `shape`, and again after the heal at `ms(50)`.
/// Returns the links that carried the first round, the second, and the partition drops.
/// Directed links `(from, to)`.
type Links = BTreeSet<(u32, u32)>;

fn links_under(shape: PartitionShape, n: u32) -> (Links, Links, u64) {
    let mut h = Harness::new(&fixed_cfg(1.0), Setup::mute(n as usize));
    h.fault(ms(1), Fault::Partition { name: "p".into(), shape });
    for i in 0..n {
        h.cmd(ms(10), i, Cmd::PingAll { seq: 1 });
        h.cmd(ms(60), i, Cmd::PingAll { seq: 2 });
    }
    h.fault(ms(50), Fault::Heal { name: Some("p".into()) });
    h.world.run();
    let mut rounds = [BTreeSet::new(), BTreeSet::new()];
    for to in 0..n {
        for (_, _, from, msg) in h.handled(to, PING) {
            let Msg::Ping { seq } = msg else { unreachable!() };
            assert!(rounds[seq as usize - 1].insert((from.0, to)), "link {from}->{to} carried seq {seq} twice");
        }
    }
    let [first, second] = rounds;
    (first, second, h.world.net().counters()[PING].dropped_partition)
}

#[test]
fn partition_blocks_exactly_the_cut_links_in_the_right_direction_and_heal_restores_them() {
    let n = 5;
    let cases: Vec<(&str, PartitionShape, Links)> = vec![
        (
            "one-way 0->{1,2}",
            PartitionShape::OneWay { from: ids(&[0]), to: ids(&[1, 2]) },
            [(0, 1), (0, 2)].into_iter().collect(),
        ),
        (
            "one-way {3,4}->{0}",
            PartitionShape::OneWay { from: ids(&[3, 4]), to: ids(&[0]) },
            [(3, 0), (4, 0)].into_iter().collect(),
        ),
        ("groups {0,1}|{2,3,4}", PartitionShape::Groups { groups: vec![ids(&[0, 1]), ids(&[2, 3, 4])] }, {
            both_ways(&[0, 1], &[2, 3, 4])
        }),
        (
            "groups {0}|{1}|{2,3} (4 unlisted)",
            PartitionShape::Groups { groups: vec![ids(&[0]), ids(&[1]), ids(&[2, 3])] },
            {
                let mut s = both_ways(&[0], &[1, 2, 3]);
                s.extend(both_ways(&[1], &[2, 3]));
                s
            },
        ),
        ("isolate 3", PartitionShape::IsolateOne { node: p(3) }, both_ways(&[3], &[0, 1, 2, 4])),
        // Ring order 0 1 2 3 4: the middle (2) bridges {0,1} and {3,4}.
        ("bridge 0..4", PartitionShape::Bridge { nodes: ids(&[0, 1, 2, 3, 4]) }, both_ways(&[0, 1], &[3, 4])),
        // Ring order 3 0 4 1 2: the middle (4) bridges {3,0} and {1,2}.
        ("bridge 3 0 4 1 2", PartitionShape::Bridge { nodes: ids(&[3, 0, 4, 1, 2]) }, both_ways(&[3, 0], &[1, 2])),
        // Five nodes: each keeps its two ring neighbours, so the links between nodes two apart on
        // the ring are cut.
        ("majorities ring 0..4", PartitionShape::MajoritiesRing { nodes: ids(&[0, 1, 2, 3, 4]) }, {
            let mut s = BTreeSet::new();
            for (a, b) in [(0, 2), (0, 3), (1, 3), (1, 4), (2, 4)] {
                s.extend(both_ways(&[a], &[b]));
            }
            s
        }),
        ("majorities ring 4 2 0 3 1", PartitionShape::MajoritiesRing { nodes: ids(&[4, 2, 0, 3, 1]) }, {
            let mut s = BTreeSet::new();
            for (a, b) in [(4, 0), (4, 3), (2, 3), (2, 1), (0, 1)] {
                s.extend(both_ways(&[a], &[b]));
            }
            s
        }),
    ];
    for (name, shape, cut) in cases {
        let (during, after, dropped) = links_under(shape, n);
        let expect: BTreeSet<_> = all_links(n).difference(&cut).copied().collect();
        assert_eq!(during, expect, "{name}: links that carried messages during the partition");
        assert_eq!(dropped, cut.len() as u64, "{name}: partition drops");
        assert_eq!(after, all_links(n), "{name}: heal restores every link");
    }
}

#[test]
fn partitions_heal_by_name_independently() {
    let mut h = Harness::new(&fixed_cfg(1.0), Setup::mute(4));
    h.fault(ms(1), Fault::Partition { name: "a".into(), shape: PartitionShape::IsolateOne { node: p(0) } });
    h.fault(
        ms(1),
        Fault::Partition { name: "b".into(), shape: PartitionShape::OneWay { from: ids(&[2]), to: ids(&[3]) } },
    );
    h.fault(ms(20), Fault::Heal { name: Some("a".into()) });
    h.fault(ms(40), Fault::Heal { name: None });
    for (round, t) in [(1, 10), (2, 30), (3, 50)] {
        for i in 0..4 {
            h.cmd(ms(t), i, Cmd::PingAll { seq: round });
        }
    }
    h.world.run();
    let carried = |round: u64| -> BTreeSet<(u32, u32)> {
        (0..4)
            .flat_map(|to| h.handled(to, PING).into_iter().map(move |(_, _, f, m)| (f.0, to, m)))
            .filter(|(_, _, m)| *m == Msg::Ping { seq: round })
            .map(|(f, t, _)| (f, t))
            .collect()
    };
    let mut cut_both: BTreeSet<_> = both_ways(&[0], &[1, 2, 3]);
    cut_both.insert((2, 3));
    assert_eq!(carried(1), all_links(4).difference(&cut_both).copied().collect());
    let only_b: BTreeSet<_> = [(2, 3)].into_iter().collect();
    assert_eq!(carried(2), all_links(4).difference(&only_b).copied().collect(), "b outlives a's heal");
    assert_eq!(carried(3), all_links(4), "heal-all ends b");
}

// ------------------------------------------------------------------------------- crashes

#[test]
fn crash_loses_unsynced_writes_keeps_synced_ones_and_drops_messages_in_flight() {
    let mut h = Harness::new(&fixed_cfg(10.0), Setup::echo(2));
    h.cmd(ms(1), 1, Cmd::Write { key: 1, value: 10, sync: true });
    h.cmd(ms(2), 1, Cmd::Write { key: 2, value: 20, sync: false });
    h.cmd(ms(2), 1, Cmd::Write { key: 1, value: 11, sync: false });
    h.cmd(ms(3), 1, Cmd::Timer { after_ms: 50, tag: 7 });
    // Three pings leave at 4 ms and would arrive at 14 ms; node 1 crashes at 5 ms and is back at
    // 10 ms, before they arrive: they were addressed to the dead incarnation.
    h.cmd(ms(4), 0, Cmd::Ping { to: p(1), first: 0, n: 3 });
    h.fault(ms(5), Fault::Crash { node: p(1), restart_after_ms: Some(5.0) });
    // A ping sent after the restart reaches the new incarnation.
    h.cmd(ms(20), 0, Cmd::Ping { to: p(1), first: 100, n: 1 });
    // The new incarnation sets its own timer, which fires.
    h.cmd(ms(21), 1, Cmd::Timer { after_ms: 5, tag: 8 });

    h.world.run_until(ms(7));
    assert!(!h.world.is_up(p(1)) && h.world.process(p(1)).is_none(), "down between crash and restart");
    h.world.run_until(ms(11));
    assert!(h.world.is_up(p(1)));
    h.world.run();

    let boots: Vec<_> = h
        .of(1)
        .into_iter()
        .filter_map(|e| match e.what {
            What::Boot { disk } => Some((e.inc, disk)),
            _ => None,
        })
        .collect();
    assert_eq!(boots, vec![(0, vec![]), (1, vec![(1, Ok(10))])], "only the synced write survives");
    assert_eq!(h.world.disk(p(1)).peek(&2), Ok(None));
    assert_eq!(h.world.disk(p(1)).stats().lost_unsynced, 2);

    assert_eq!(h.seqs(1, PING), vec![100], "pings in flight at the crash are never handled");
    assert!(h.handled(1, PING).iter().all(|(inc, ..)| *inc == 1));
    assert_eq!(h.seqs(0, PONG), vec![100]);
    let c = h.world.net().counters()[PING];
    assert_eq!((c.sent, c.delivered, c.dropped_crash), (4, 1, 3));

    let timers: Vec<_> = h.of(1).into_iter().filter(|e| matches!(e.what, What::Timer(_))).map(|e| e.what).collect();
    assert_eq!(timers, vec![What::Timer(Timer::Tag(8))], "the old incarnation's timer never fires");
    let s = h.world.stats();
    assert_eq!((s.crashes, s.restarts, s.timers_dropped, s.timers_handled), (1, 1, 1, 1));
}

#[test]
fn commands_injected_in_advance_reach_the_incarnation_up_when_they_arrive() {
    let mut h = Harness::new(&fixed_cfg(1.0), Setup::mute(1));
    h.fault(ms(2), Fault::Crash { node: p(0), restart_after_ms: Some(3.0) });
    h.cmd(ms(1), 0, Cmd::Note);
    h.cmd(ms(3), 0, Cmd::Note); // node 0 is down at 3 ms
    h.cmd(ms(10), 0, Cmd::Note); // and back at 5 ms
    h.world.run();
    let notes: Vec<_> = h
        .of(0)
        .into_iter()
        .filter(|e| matches!(e.what, What::Msg { msg: Msg::Cmd(Cmd::Note), .. }))
        .map(|e| (e.inc, e.local))
        .collect();
    assert_eq!(notes, vec![(0, ms(1)), (1, ms(10))]);
    let c = h.world.net().counters()[CMD];
    assert_eq!((c.delivered, c.dropped_crash), (2, 1));
}

#[test]
fn crash_drops_the_inbox_and_replies_that_had_not_left_and_counts_each_message_once() {
    // Pings cost 10 ms of CPU. Three arrive at 1 ms; the first is being handled (its pong would
    // leave at 11 ms) and two wait in the inbox when node 1 crashes at 5 ms.
    let cfg = WorldConfig {
        cpu: CpuConfig { by_kind_ms: [("ping".to_string(), constant(10.0))].into(), ..CpuConfig::default() },
        ..fixed_cfg(1.0)
    };
    let mut h = Harness::new(&cfg, Setup::echo(2));
    h.cmd(ms(0), 0, Cmd::Ping { to: p(1), first: 0, n: 3 });
    h.fault(ms(5), Fault::Crash { node: p(1), restart_after_ms: Some(1.0) });
    h.world.run();

    assert_eq!(h.seqs(1, PING), vec![0], "queued pings die with the process");
    assert!(h.seqs(0, PONG).is_empty(), "a reply that had not left when its sender died is dropped");
    let c = h.world.net().counters();
    assert_eq!(c[PONG].sent, 1);
    assert_eq!(c[PONG].dropped_crash, 1);
    assert_eq!(c[PONG].delivered, 0);
    // Each ping is accounted for exactly once: one delivered and handled, two lost to the crash.
    assert_eq!(c[PING].sent, 3);
    assert_eq!(c[PING].dropped_crash, 2);
    assert_eq!(c[PING].delivered, 1, "a ping lost from the inbox is not also counted as delivered");
    assert_eq!(c[PING].bytes_delivered, 64);
}

#[test]
fn crash_while_paused_loses_the_queue_and_counts_queued_timers_as_dropped() {
    let mut h = Harness::new(&fixed_cfg(1.0), Setup::echo(2));
    h.cmd(ms(0), 1, Cmd::Timer { after_ms: 10, tag: 1 });
    h.fault(ms(1), Fault::Pause { node: p(1), resume_after_ms: None });
    h.cmd(ms(2), 0, Cmd::Ping { to: p(1), first: 0, n: 2 });
    h.fault(ms(20), Fault::Crash { node: p(1), restart_after_ms: Some(1.0) });
    h.world.run_until(ms(19));
    assert!(h.world.is_paused(p(1)));
    h.world.run();
    assert!(h.world.is_up(p(1)) && !h.world.is_paused(p(1)), "a restarted process is not paused");
    assert!(h.of(1).iter().all(|e| !matches!(e.what, What::Timer(_) | What::Msg { msg: Msg::Ping { .. }, .. })));
    let s = h.world.stats();
    assert_eq!(s.timers_handled, 0);
    assert_eq!(s.timers_dropped, 1, "the timer queued in the paused inbox was dropped by the crash");
    let c = h.world.net().counters()[PING];
    assert_eq!((c.sent, c.delivered, c.dropped_crash), (2, 0, 2));
}

#[test]
fn wipe_loses_synced_data_too() {
    let mut h = Harness::new(&fixed_cfg(1.0), Setup::echo(2));
    for (proc, t) in [(0, 1), (1, 1)] {
        h.cmd(ms(t), proc, Cmd::Write { key: 1, value: 10, sync: true });
        h.cmd(ms(t + 1), proc, Cmd::Write { key: 2, value: 20, sync: false });
    }
    h.fault(ms(10), Fault::Crash { node: p(0), restart_after_ms: Some(5.0) });
    h.fault(ms(10), Fault::Wipe { node: p(1), restart_after_ms: Some(5.0) });
    h.world.run();
    let boot_disks = |proc| -> Vec<_> {
        h.of(proc)
            .into_iter()
            .filter_map(|e| match e.what {
                What::Boot { disk } => Some(disk),
                _ => None,
            })
            .collect()
    };
    assert_eq!(boot_disks(0), vec![vec![], vec![(1, Ok(10))]], "a crash keeps synced data");
    assert_eq!(boot_disks(1), vec![vec![], vec![]], "a wipe loses synced data too");
    assert!(h.world.disk(p(1)).is_empty());
    assert_eq!(h.world.stats().restarts, 2);
}

// ----------------------------------------------------------------------------------- pauses

#[test]
fn pause_delays_events_but_loses_none_and_keeps_fifo_order() {
    // FIFO links with random latency: pings arrive in the order sent, and the paused inbox must
    // keep that order.
    let cfg = WorldConfig {
        seed: 3,
        net: NetConfig { fifo: true, ..NetConfig::default() },
        disk: instant_disk(),
        ..WorldConfig::default()
    };
    let mut h = Harness::new(&cfg, Setup::echo(2));
    h.cmd(us(500), 1, Cmd::Timer { after_ms: 20, tag: 5 });
    h.fault(ms(1), Fault::Pause { node: p(1), resume_after_ms: Some(100.0) });
    for i in 0..50 {
        h.cmd(ms(10 + i), 0, Cmd::Ping { to: p(1), first: i * 3, n: 3 });
    }
    // Second pause, ended by an explicit resume.
    h.fault(ms(200), Fault::Pause { node: p(1), resume_after_ms: None });
    for i in 0..50 {
        h.cmd(ms(210 + i), 0, Cmd::Ping { to: p(1), first: 1000 + i, n: 1 });
    }
    h.fault(ms(300), Fault::Resume { node: p(1) });

    h.world.run_until(ms(100));
    assert!(h.world.is_paused(p(1)));
    assert!(h.handled(1, PING).is_empty(), "nothing is handled while paused");
    h.world.run_until(ms(299));
    assert!(h.world.is_paused(p(1)));
    h.world.run();

    let pings = h.handled(1, PING);
    let seqs = h.seqs(1, PING);
    let expect: Vec<u64> = (0..150).chain(1000..1050).collect();
    assert_eq!(seqs, expect, "every ping handled once, in the order sent");
    for (_, t, _, m) in &pings {
        let Msg::Ping { seq } = m else { unreachable!() };
        let resumed = if *seq < 1000 { ms(101) } else { ms(300) };
        assert!(*t >= resumed, "ping {seq} handled at {t}, before the resume");
    }
    let timer = h.of(1).into_iter().find(|e| e.what == What::Timer(Timer::Tag(5))).expect("timer fired");
    assert_eq!(timer.local, ms(101), "a timer due during the pause runs at the resume");
    assert_eq!(h.seqs(0, PONG).len(), 200, "every ping answered");
    let c = h.world.net().counters()[PING];
    assert_eq!((c.sent, c.delivered, c.dropped_crash), (200, 200, 0));
}

#[test]
fn a_timed_resume_ends_only_its_own_pause() {
    let mut h = Harness::new(&fixed_cfg(1.0), Setup::mute(1));
    // Paused for 100 ms, resumed early by hand, then paused with no end: the first pause's
    // timed resume (due at 100 ms) must not end the second pause.
    h.fault(ms(0), Fault::Pause { node: p(0), resume_after_ms: Some(100.0) });
    h.fault(ms(10), Fault::Resume { node: p(0) });
    h.fault(ms(50), Fault::Pause { node: p(0), resume_after_ms: None });
    // Overlapping timed pauses: the later one decides when the node runs again.
    h.fault(ms(200), Fault::Resume { node: p(0) });
    h.fault(ms(300), Fault::Pause { node: p(0), resume_after_ms: Some(10.0) });
    h.fault(ms(305), Fault::Pause { node: p(0), resume_after_ms: Some(50.0) });
    h.cmd(ms(60), 0, Cmd::Note);
    h.cmd(ms(301), 0, Cmd::Note);
    h.world.run_until(ms(150));
    assert!(h.world.is_paused(p(0)), "still in the open-ended pause");
    h.world.run();
    assert_eq!(note_times(&h, 0), vec![ms(200), ms(355)]);
    assert!(!h.world.is_paused(p(0)));
}

// ----------------------------------------------------------------------------------- clocks

fn note_times(h: &Harness, proc: u32) -> Vec<SimTime> {
    h.of(proc)
        .into_iter()
        .filter(|e| matches!(e.what, What::Msg { msg: Msg::Cmd(Cmd::Note), .. }))
        .map(|e| e.local)
        .collect()
}

#[test]
fn clock_drift_from_config_and_fault_shows_in_the_processes_local_time() {
    let cfg = WorldConfig { clocks: [(1, ClockConfig { offset_ms: 0.0, drift_ppm: 1000.0 })].into(), ..fixed_cfg(1.0) };
    let mut h = Harness::new(&cfg, Setup::mute(2));
    for t in [1000, 2000, 4500] {
        h.cmd(ms(t), 0, Cmd::Note);
        h.cmd(ms(t), 1, Cmd::Note);
    }
    h.fault(ms(2500), Fault::ClockDrift { node: p(0), ppm: -500.0 });
    // Node 1 (1000 ppm fast) sets a 1 s timer at true 3 s: it fires after 1 s of *local* time,
    // which is 999.000999 ms of true time.
    h.cmd(ms(3000), 1, Cmd::Timer { after_ms: 1000, tag: 1 });
    h.world.run_until(SimTime(3_999_100_000));
    let fired = h.of(1).into_iter().find(|e| e.what == What::Timer(Timer::Tag(1)));
    let fired = fired.expect("a fast clock's timer fires early in true time");
    let set_at = SimTime(3_003_000_000);
    assert!((fired.local.0 as i64 - (set_at.0 + 1_000_000_000) as i64).abs() <= 2, "fired at local {}", fired.local);
    h.world.run();

    assert_eq!(note_times(&h, 1), vec![SimTime(1_001_000_000), SimTime(2_002_000_000), SimTime(4_504_500_000)]);
    // Node 0 is perfect until 2.5 s, then 500 ppm slow: 2.5 s + 2 s * (1 - 0.0005).
    assert_eq!(note_times(&h, 0), vec![ms(1000), ms(2000), SimTime(4_499_000_000)]);
    assert_eq!(h.world.local_time(p(0)), SimTime(4_499_000_000));
}

#[test]
fn clock_offset_and_jump_show_in_the_processes_local_time() {
    let mut h = Harness::new(&fixed_cfg(1.0), Setup::mute(2));
    h.fault(ms(1000), Fault::ClockOffset { node: p(0), offset_ms: 250.0 });
    h.fault(ms(2000), Fault::ClockJump { node: p(0), delta_ms: -100.0 });
    h.fault(ms(3000), Fault::ClockJump { node: p(0), delta_ms: 1000.0 });
    h.fault(ms(4000), Fault::ClockOffset { node: p(0), offset_ms: -5000.0 });
    for t in [500, 1500, 2500, 3500, 4500] {
        h.cmd(ms(t), 0, Cmd::Note);
        h.cmd(ms(t), 1, Cmd::Note);
    }
    h.world.run();
    assert_eq!(note_times(&h, 0), vec![ms(500), ms(1750), ms(2650), ms(4650), SimTime(0)]);
    assert_eq!(note_times(&h, 1), vec![ms(500), ms(1500), ms(2500), ms(3500), ms(4500)], "other clocks untouched");
}

// ----------------------------------------------------------------------------- service time

#[test]
fn cpu_cost_per_kind_delays_replies_by_exactly_that_cost_and_queued_messages_wait_fifo() {
    let cfg = WorldConfig {
        cpu: CpuConfig { by_kind_ms: [("ping".to_string(), constant(5.0))].into(), ..CpuConfig::default() },
        ..fixed_cfg(1.0)
    };
    let mut h = Harness::new(&cfg, Setup::echo(2));
    h.cmd(ms(0), 0, Cmd::Ping { to: p(1), first: 0, n: 3 });
    h.world.run();
    // All three arrive at 1 ms; each takes 5 ms; each pong leaves when its ping's service ends.
    let pings: Vec<_> = h.handled(1, PING).into_iter().map(|(_, t, _, m)| (t, m)).collect();
    let expect: Vec<_> = [(1, 0), (6, 1), (11, 2)].map(|(t, seq)| (ms(t), Msg::Ping { seq })).into();
    assert_eq!(pings, expect);
    let pongs: Vec<_> = h.handled(0, PONG).into_iter().map(|(_, t, _, m)| (t, m)).collect();
    let expect: Vec<_> = [(7, 0), (12, 1), (17, 2)].map(|(t, seq)| (ms(t), Msg::Pong { seq })).into();
    assert_eq!(pongs, expect, "pongs cost nothing: only the ping kind is charged");
}

#[test]
fn default_message_and_timer_costs_and_disk_latency_add_to_service_time() {
    let cfg = WorldConfig {
        cpu: CpuConfig { by_kind_ms: BTreeMap::new(), message_ms: Some(constant(2.0)), timer_ms: Some(constant(3.0)) },
        disk: sim_core::disk::DiskConfig { write_ms: constant(0.5), fsync_ms: constant(4.0), ..instant_disk() },
        ..fixed_cfg(1.0)
    };
    let mut h = Harness::new(&cfg, Setup::mute(1));
    h.cmd(ms(0), 0, Cmd::Timer { after_ms: 10, tag: 1 }); // busy 0..2
    h.cmd(ms(1), 0, Cmd::Note); // waits: 2..4
    h.cmd(ms(11), 0, Cmd::Note); // the timer (10..13) is in service: 13..15
    h.cmd(ms(20), 0, Cmd::Write { key: 1, value: 1, sync: true }); // 2 + 0.5 + 4: 20..26.5
    h.cmd(ms(21), 0, Cmd::Note); // 26.5..
    h.world.run();
    let times: Vec<_> = h
        .of(0)
        .into_iter()
        .filter(|e| !matches!(e.what, What::Boot { .. } | What::Write { .. }))
        .map(|e| e.local)
        .collect();
    assert_eq!(times, vec![ms(0), ms(2), ms(10), ms(13), ms(20), us(26_500)]);
}

// --------------------------------------------------------------------- network impairments

#[test]
fn duplication_delivers_copies_and_set_duplicate_stops_it() {
    let cfg = WorldConfig { net: NetConfig { duplicate: 1.0, ..fixed_net(1.0) }, ..fixed_cfg(1.0) };
    let mut h = Harness::new(&cfg, Setup::mute(2));
    h.cmd(ms(0), 0, Cmd::Ping { to: p(1), first: 0, n: 50 });
    h.fault(ms(100), Fault::SetDuplicate { duplicate: 0.0 });
    h.cmd(ms(200), 0, Cmd::Ping { to: p(1), first: 1000, n: 50 });
    h.world.run();
    let mut count: BTreeMap<u64, u32> = BTreeMap::new();
    for s in h.seqs(1, PING) {
        *count.entry(s).or_default() += 1;
    }
    assert_eq!(count.len(), 100);
    assert!(count.iter().all(|(&s, &k)| k == if s < 1000 { 2 } else { 1 }), "{count:?}");
    let c = h.world.net().counters()[PING];
    assert_eq!((c.sent, c.duplicated, c.delivered), (100, 50, 150));
}

fn arrival_order(fifo: bool) -> Vec<u64> {
    let cfg = WorldConfig {
        seed: 11,
        net: NetConfig { fifo, ..NetConfig::default() },
        disk: instant_disk(),
        ..WorldConfig::default()
    };
    let mut h = Harness::new(&cfg, Setup::mute(2));
    for i in 0..20 {
        h.cmd(us(100 * i), 0, Cmd::Ping { to: p(1), first: i * 100, n: 100 });
    }
    h.world.run();
    h.seqs(1, PING)
}

#[test]
fn fifo_links_never_reorder_while_plain_links_do() {
    let in_order: Vec<u64> = (0..2000).collect();
    assert_eq!(arrival_order(true), in_order);
    let plain = arrival_order(false);
    assert_eq!(plain.len(), 2000);
    assert_ne!(plain, in_order, "control: without fifo, random latencies reorder");
}

#[test]
fn clog_holds_messages_and_heal_releases_them() {
    let mut h = Harness::new(&fixed_cfg(1.0), Setup::echo(2));
    let link = PartitionShape::OneWay { from: ids(&[0]), to: ids(&[1]) };
    h.fault(ms(0), Fault::Clog { name: "c".into(), shape: link });
    h.cmd(ms(1), 0, Cmd::Ping { to: p(1), first: 0, n: 5 });
    h.cmd(ms(2), 1, Cmd::Ping { to: p(0), first: 100, n: 1 });
    h.fault(ms(20), Fault::Heal { name: Some("other".into()) });
    h.fault(ms(50), Fault::Heal { name: Some("c".into()) });
    h.world.run_until(ms(49));
    assert!(h.handled(1, PING).is_empty(), "nothing crosses the clogged link, even after an unrelated heal");
    assert_eq!(h.seqs(0, PING), vec![100], "the other direction flows");
    assert!(h.world.net().is_clogged(p(0), p(1)) && !h.world.net().is_clogged(p(1), p(0)));
    h.world.run();
    let got: Vec<_> = h.handled(1, PING).into_iter().map(|(_, t, _, m)| (t, m)).collect();
    let expect: Vec<_> = (0..5).map(|seq| (ms(51), Msg::Ping { seq })).collect();
    assert_eq!(got, expect, "released at the heal, then the usual latency");
    assert_eq!(h.seqs(0, PONG), vec![0, 1, 2, 3, 4]);
    let c = h.world.net().counters()[PING];
    assert_eq!((c.sent, c.held, c.delivered), (6, 5, 6));
}

#[test]
fn a_message_held_by_a_clog_survives_its_senders_later_crash_but_not_its_receivers() {
    let mut h = Harness::new(&fixed_cfg(1.0), Setup::mute(3));
    let shape = PartitionShape::OneWay { from: ids(&[0, 2]), to: ids(&[1]) };
    h.fault(ms(0), Fault::Clog { name: "c".into(), shape });
    let shape = PartitionShape::OneWay { from: ids(&[1]), to: ids(&[2]) };
    h.fault(ms(0), Fault::Clog { name: "d".into(), shape });
    h.cmd(ms(1), 0, Cmd::Ping { to: p(1), first: 0, n: 1 });
    h.cmd(ms(1), 2, Cmd::Ping { to: p(1), first: 1, n: 1 });
    h.cmd(ms(1), 1, Cmd::Ping { to: p(2), first: 2, n: 1 });
    // The pings left their senders at 1 ms and wait in the network. Sender 0 dies later; that
    // does not unsend its ping. Receiver 2 dies while ping 2 waits: that one is lost.
    h.fault(ms(10), Fault::Crash { node: p(0), restart_after_ms: Some(5.0) });
    h.fault(ms(10), Fault::Crash { node: p(2), restart_after_ms: Some(5.0) });
    h.fault(ms(50), Fault::Heal { name: None });
    h.world.run();
    assert_eq!(h.seqs(1, PING), vec![0, 1], "held messages are delivered at the heal");
    assert!(h.seqs(2, PING).is_empty(), "a message held for a receiver that crashed is lost");
    let c = h.world.net().counters()[PING];
    assert_eq!((c.sent, c.held, c.delivered, c.dropped_crash), (3, 3, 2, 1));
}

#[test]
fn slow_link_stretches_latency_in_its_direction_until_healed() {
    let mut h = Harness::new(&fixed_cfg(2.0), Setup::echo(2));
    let link = PartitionShape::OneWay { from: ids(&[0]), to: ids(&[1]) };
    h.fault(ms(0), Fault::Slow { name: "s".into(), shape: link, factor: 3.0, extra_ms: 5.0 });
    h.cmd(ms(1), 0, Cmd::Ping { to: p(1), first: 0, n: 1 });
    h.fault(ms(20), Fault::Heal { name: Some("s".into()) });
    h.cmd(ms(30), 0, Cmd::Ping { to: p(1), first: 1, n: 1 });
    h.world.run();
    let pings: Vec<_> = h.handled(1, PING).into_iter().map(|(_, t, ..)| t).collect();
    assert_eq!(pings, vec![ms(1 + 6 + 5), ms(32)], "2 ms x 3 + 5 ms while slow, 2 ms after");
    let pongs: Vec<_> = h.handled(0, PONG).into_iter().map(|(_, t, ..)| t).collect();
    assert_eq!(pongs, vec![ms(14), ms(34)], "the reverse direction is not slowed");
}

// -------------------------------------------------------------------------------- disk faults

#[test]
fn disk_faults_surface_to_the_process_and_switch_off() {
    let mut h = Harness::new(&fixed_cfg(1.0), Setup::mute(2));
    let f = |write_error, read_corruption| DiskFaults { write_error, read_corruption, ..DiskFaults::default() };
    h.cmd(ms(1), 1, Cmd::Write { key: 1, value: 10, sync: true });
    h.fault(ms(5), Fault::DiskFaults { node: p(1), faults: f(1.0, 0.0) });
    h.cmd(ms(10), 1, Cmd::Write { key: 2, value: 20, sync: true });
    h.cmd(ms(10), 0, Cmd::Write { key: 2, value: 20, sync: true });
    h.fault(ms(15), Fault::DiskFaults { node: p(1), faults: f(0.0, 1.0) });
    h.cmd(ms(20), 1, Cmd::Read { key: 1 });
    h.fault(ms(25), Fault::DiskFaults { node: p(1), faults: DiskFaults::default() });
    h.cmd(ms(30), 1, Cmd::Read { key: 1 });
    h.cmd(ms(35), 1, Cmd::Write { key: 1, value: 12, sync: true });
    h.cmd(ms(40), 1, Cmd::Read { key: 1 });
    h.cmd(ms(40), 1, Cmd::Read { key: 2 });
    h.world.run();
    let io: Vec<_> = h
        .of(1)
        .into_iter()
        .filter(|e| matches!(e.what, What::Read { .. } | What::Write { .. }))
        .map(|e| e.what)
        .collect();
    assert_eq!(
        io,
        vec![
            What::Write { key: 1, result: Ok(()) },
            What::Write { key: 2, result: Err(DiskError::Io) },
            What::Read { key: 1, result: Err(DiskError::Corrupt) },
            What::Read { key: 1, result: Err(DiskError::Corrupt) },
            What::Write { key: 1, result: Ok(()) },
            What::Read { key: 1, result: Ok(Some(12)) },
            What::Read { key: 2, result: Ok(None) },
        ]
    );
    assert_eq!(
        h.of(0).iter().filter(|e| e.what == What::Write { key: 2, result: Ok(()) }).count(),
        1,
        "other disks unaffected"
    );
    let s = h.world.disk(p(1)).stats();
    assert_eq!((s.write_errors, s.corrupt_reads), (1, 2));
}

// ------------------------------------------------------------------------------------- chaos

#[test]
fn chaos_crash_churn_matches_mttf_and_mttr_over_a_long_run() {
    let nodes = 4u32;
    let (mttf, mttr, horizon) = (10.0, 2.0, 3000u64);
    let chaos = ChaosConfig {
        stop_s: Some(horizon as f64),
        crashes: Some(CrashChaos {
            nodes: ids(&[0, 1, 2, 3]),
            mttf_s: DistSpec::Exponential { mean: mttf },
            mttr_s: DistSpec::Exponential { mean: mttr },
            wipe_probability: 0.0,
        }),
        ..ChaosConfig::default()
    };
    let mut h = Harness::new(&WorldConfig { seed: 5, ..WorldConfig::default() }, Setup::mute(nodes as usize));
    h.world.set_chaos(&chaos).unwrap();
    // Sample who is up every 100 ms.
    let (mut up, mut down) = (0u64, 0u64);
    for step in 1..=horizon * 10 {
        h.world.run_until(ms(step * 100));
        for i in 0..nodes {
            if h.world.is_up(p(i)) { up += 1 } else { down += 1 }
        }
    }
    let s = h.world.stats();
    // Alternating renewal: about horizon / (mttf + mttr) failures per node (sd ≈ 27 in total).
    let expect = nodes as f64 * horizon as f64 / (mttf + mttr);
    assert!((s.crashes as f64 - expect).abs() < 0.1 * expect, "{} crashes, expected about {expect}", s.crashes);
    assert!(s.restarts <= s.crashes && s.restarts + nodes as u64 >= s.crashes);
    let down_share = down as f64 / (up + down) as f64;
    assert!((down_share - mttr / (mttf + mttr)).abs() < 0.03, "down {down_share}");
    let (mean_up, mean_down) = (up as f64 / 10.0 / s.crashes as f64, down as f64 / 10.0 / s.crashes as f64);
    assert!((mean_up - mttf).abs() < 1.3, "mean time to failure {mean_up}");
    assert!((mean_down - mttr).abs() < 0.3, "mean time to repair {mean_down}");
    let boots = h.entries().iter().filter(|e| matches!(e.what, What::Boot { .. })).count() as u64;
    assert_eq!(boots, nodes as u64 + s.restarts);
    // No failure starts after stop_s, and every node is repaired.
    h.world.run_until(ms((horizon + 100) * 1000));
    assert_eq!(h.world.stats().crashes, s.crashes);
    assert!((0..nodes).all(|i| h.world.is_up(p(i))), "repairs still happen after stop_s");
}

#[test]
fn counters_survive_crashes_and_restarts_exactly() {
    let mut h = Harness::new(&fixed_cfg(1.0), Setup::echo(2));
    // Node 1 handles 5 pings and a timer, crashes at 20 ms (back at 30 ms), then handles 3 more
    // pings and 2 timers: its counters add up across both incarnations.
    h.cmd(ms(1), 0, Cmd::Ping { to: p(1), first: 0, n: 5 });
    h.cmd(ms(2), 1, Cmd::Timer { after_ms: 3, tag: 1 });
    h.fault(ms(20), Fault::Crash { node: p(1), restart_after_ms: Some(10.0) });
    h.cmd(ms(40), 0, Cmd::Ping { to: p(1), first: 10, n: 3 });
    h.cmd(ms(41), 1, Cmd::Timer { after_ms: 3, tag: 2 });
    h.cmd(ms(42), 1, Cmd::Timer { after_ms: 4, tag: 3 });
    h.world.run_until(ms(25));
    assert!(!h.world.is_up(p(1)));
    assert_eq!(h.world.counters(p(1)), &[6, 1], "5 pings and 1 command, 1 timer, before the crash");
    h.world.run();
    // Messages: 5 + 3 pings and 3 injected commands; timers: 1 + 2.
    assert_eq!(h.world.counters(p(1)), &[11, 3]);
    let journal_msgs = h.of(1).iter().filter(|e| matches!(e.what, What::Msg { .. })).count() as u64;
    let journal_timers = h.of(1).iter().filter(|e| matches!(e.what, What::Timer(_))).count() as u64;
    assert_eq!(h.world.counters(p(1)), &[journal_msgs, journal_timers], "the journal agrees");
    // Node 0 handled 8 pongs and 2 commands.
    assert_eq!(h.world.counters(p(0))[Counter::Messages as usize], 10);
}

/// One observation: process, lifecycle, notes, disk keys touched.
type Told1 = (u32, Option<sim_core::observe::Lifecycle>, Vec<usize>, Vec<u64>);

/// What an observer was told, in order.
#[derive(Clone, Debug, Default, PartialEq)]
struct Told {
    /// Every observation.
    events: Vec<Told1>,
    /// Per process, what the observer believes each disk key holds (from peeks after changes).
    disks: BTreeMap<(u32, u64), Result<Option<u64>, DiskError>>,
}

struct Recorder(std::rc::Rc<std::cell::RefCell<Told>>);

impl sim_core::observe::Observer<Node> for Recorder {
    fn observe(&mut self, ev: &sim_core::observe::Observation<'_, Node>) {
        let mut t = self.0.borrow_mut();
        t.events.push((ev.proc.0, ev.lifecycle, ev.notes.to_vec(), ev.disk_keys.to_vec()));
        for k in ev.disk_keys {
            t.disks.insert((ev.proc.0, *k), ev.disk.peek(k).map(|v| v.copied()));
        }
    }
}

#[test]
fn an_observer_follows_every_disk_change_and_never_changes_the_run() {
    let cfg = WorldConfig {
        disk: sim_core::disk::DiskConfig {
            faults: DiskFaults { torn_write: 0.5, ..DiskFaults::default() },
            ..instant_disk()
        },
        ..fixed_cfg(1.0)
    };
    let run = |observe: bool| {
        let mut h = Harness::new(&cfg, Setup { chatty: Some(5.0), ..Setup::echo(3) });
        let told = std::rc::Rc::new(std::cell::RefCell::new(Told::default()));
        if observe {
            h.world.set_observer(Box::new(Recorder(told.clone())));
        }
        h.cmd(us(39_990), 1, Cmd::Write { key: 100, value: 1, sync: false });
        h.fault(ms(40), Fault::Crash { node: p(1), restart_after_ms: Some(5.0) });
        h.fault(ms(60), Fault::Wipe { node: p(2), restart_after_ms: Some(5.0) });
        h.fault(
            ms(80),
            Fault::DiskFaults { node: p(0), faults: DiskFaults { read_corruption: 0.3, ..DiskFaults::default() } },
        );
        h.world.run_until(ms(120));
        h.stop.set(true);
        h.world.run();
        (h, told)
    };
    let (plain, _) = run(false);
    let (observed, told) = run(true);
    assert_eq!(plain.world.trace_hash(), observed.world.trace_hash(), "observing changed the run");
    let t = told.borrow();
    // Every disk record the observer was told about is what the disk holds at the end.
    for (&(proc, key), seen) in &t.disks {
        assert_eq!(observed.world.disk(p(proc)).peek(&key).map(|v| v.copied()), *seen, "p{proc} key {key}");
    }
    // And it was told about every record on every disk.
    for proc in 0..3 {
        for key in observed.world.disk(p(proc)).keys() {
            assert!(t.disks.contains_key(&(proc, *key)), "p{proc} key {key} was never reported");
        }
    }
    use sim_core::observe::Lifecycle::{Booted, Crashed};
    let lives: Vec<(u32, _)> = t.events.iter().filter_map(|(p, l, ..)| l.map(|l| (*p, l))).collect();
    assert_eq!(lives[..3], [(0, Booted), (1, Booted), (2, Booted)], "installing reports every process up");
    assert!(lives.contains(&(1, Crashed)) && lives.contains(&(2, Crashed)));
    assert_eq!(lives.iter().filter(|(_, l)| *l == Booted).count(), 5, "two restarts");
    // The crash lost (or tore) node 1's unsynced writes: the crash's observation named them.
    let d = observed.world.disk(p(1)).stats();
    assert!(d.lost_unsynced + d.torn > 0, "the crash found unsynced writes: {d:?}");
    assert!(t.events.iter().any(|(p, l, _, keys)| *p == 1 && *l == Some(Crashed) && !keys.is_empty()));
    // Notes: one per injected command, carrying its journal position.
    let notes: Vec<usize> = t.events.iter().flat_map(|(_, _, n, _)| n.clone()).collect();
    assert_eq!(notes.len(), 1, "one command was injected");
    let corrupt = t.disks.values().filter(|v| v.is_err()).count();
    assert!(corrupt > 0, "torn writes and read corruption were reported as corrupt records");
}
