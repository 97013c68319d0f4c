//! The invariants' verdicts: whether the scenario promises each one, and what measurement found.
//!
//! The read-by-read invariants were judged as reads completed (`measure::checks`), the lost-write
//! and convergence invariants on the final state through the index (`measure::end`); the hint
//! and membership invariants read the nodes' final state directly. Each checker's cost: O(1) per
//! read (siblings are few) or O(holders) per key at the end; memory O(1) per checker.
//!
//! The protocol invariants (`acknowledged_writes_held`, `quorum_intersection`,
//! `handoff_delivers`, `read_repair_repairs`) are stated over what happened and judged as it
//! happened (`measure::protocol`): they apply whatever the faults and configuration. A read
//! whose clocks reached the truncation threshold is excused from `quorum_intersection` and
//! `context_dominates` one by one, never the whole run.

use super::Invariant;
use crate::assemble::Assembly;
use crate::history::OpRecord;
use crate::measure::checks::ReadChecks;
use crate::measure::end::FinalState;
use crate::measure::protocol::ProtocolChecks;
use crate::spec::dynamo::VersioningMode;
use crate::spec::{Admin, Scenario};
use dynamo_model::counters::Counter;
use dynamo_model::membership::{MembershipList, Status};
use reports::{Verdict, Violation};
use sim_core::SimTime;
use sim_core::fault::Fault;
use std::collections::BTreeMap;

/// What the verdicts are built from.
pub struct Findings<'a> {
    /// The read-by-read checks.
    pub reads: &'a ReadChecks,
    /// The final state through the index.
    pub end: &'a FinalState,
    /// The protocol invariants, judged as they happened.
    pub protocol: &'a ProtocolChecks,
}

/// Every checker's verdict, in [`Invariant::ALL`] order.
pub fn check_all(s: &Scenario, asm: &Assembly, f: &Findings<'_>) -> Vec<Verdict> {
    vec![
        lost_acked_writes(s, f),
        f.reads.dominated.verdict(Invariant::NoDominatedVersion.name()),
        context_dominates(s, f),
        strict_quorum_fresh(s, asm, f),
        replicas_converge(s, asm, f),
        dvv_sibling_bound(s, asm, f),
        hints_delivered(s, asm),
        membership_settles(s, asm),
        f.protocol.acknowledged.verdict(Invariant::AcknowledgedWritesHeld.name()),
        f.protocol.quorum.verdict(Invariant::QuorumIntersection.name()),
        f.protocol.handoff.verdict(Invariant::HandoffDelivers.name()),
        f.protocol.repair.verdict(Invariant::ReadRepairRepairs.name()),
        replication_degree(s, asm, f),
    ]
}

/// How long anti-entropy needs to repair any replica, in seconds: long enough for every node to
/// visit each range it replicates three times at its configured interval (one exchange per
/// interval, ranges round-robin). `None` with anti-entropy off: nothing then repairs a replica
/// that missed a write without a hint.
pub fn repair_time_s(s: &Scenario, asm: &Assembly) -> Option<f64> {
    let ae = &s.dynamo.anti_entropy;
    if !ae.enabled {
        return None;
    }
    let ring = asm.ring_now();
    let ranges = (0..asm.nodes as u32).map(|n| ring.ranges_of(sim_core::ProcId(n), s.dynamo.n).len()).max();
    Some(3.0 * ranges.unwrap_or(0) as f64 * ae.interval_ms / 1000.0)
}

/// After the last fault ends plus the repair time, every surviving acknowledged write is on N
/// distinct nodes of its key's preference list (judged at the end for writes acknowledged at
/// least the repair time before it; `measure::end`).
fn replication_degree(s: &Scenario, asm: &Assembly, f: &Findings<'_>) -> Verdict {
    let inv = Invariant::ReplicationDegree.name();
    if is_lww(s) {
        return Verdict::not_applicable(inv, "last-write-wins overwrites instead of covering");
    }
    let Some(repair_s) = repair_time_s(s, asm) else {
        return Verdict::not_applicable(
            inv,
            "anti-entropy is off, so a replica that missed a write without a hint is never repaired",
        );
    };
    if let Some(why) = quiet_end_not_known(s, asm) {
        return Verdict::not_applicable(inv, why);
    }
    let quiet_s = s.duration_s + s.settle_s - s.faults.iter().map(fault_end_s).fold(0.0, f64::max);
    if quiet_s < repair_s {
        let why =
            format!("anti-entropy needs {repair_s:.1} s to repair every range; the run is quiet for {quiet_s:.1} s");
        return Verdict::not_applicable(inv, why);
    }
    f.end.under_replicated.verdict(inv)
}

/// Why the run's end is not known to be quiet (every node up, the network whole, no chaos), if
/// it is not.
fn quiet_end_not_known(s: &Scenario, asm: &Assembly) -> Option<String> {
    let nodes = (0..asm.nodes as u32).map(sim_core::ProcId);
    if let Some(down) = nodes.clone().find(|n| !asm.world.is_up(*n) || asm.world.is_paused(*n)) {
        return Some(format!("node {} is down or paused at the end", down.0));
    }
    if asm.world.net().active_faults() > 0 {
        return Some("a partition, clog or slow link is still in force at the end".into());
    }
    let c = &s.chaos;
    (c.crashes.is_some() || c.pauses.is_some() || c.partitions.is_some())
        .then(|| "chaos generators leave no known quiet period".into())
}

/// An operation, described for a violation.
pub fn describe(r: &OpRecord) -> String {
    let what = match (&r.read, r.write) {
        (Some(read), _) => format!("returned {:?}", read.writes.iter().map(|w| w.0).collect::<Vec<_>>()),
        (None, Some(w)) => format!("wrote {} (context {:?})", w.0, r.context.iter().map(|c| c.0).collect::<Vec<_>>()),
        _ => String::new(),
    };
    format!(
        "client {} {} key {} invoked {:.6}s completed {:.6}s {:?} {what}",
        r.client,
        r.kind.name(),
        r.key,
        r.invoked.as_secs_f64(),
        r.completed.as_secs_f64(),
        r.outcome
    )
}

fn violation(key: u64, at: SimTime, detail: String) -> Violation {
    Violation { key, ops: vec![], at_s: at.as_secs_f64(), detail }
}

fn is_lww(s: &Scenario) -> bool {
    s.dynamo.versioning == VersioningMode::Lww
}

/// No faults of any kind: no timeline, no chaos, no disk faults, no loss.
pub fn faults_free(s: &Scenario) -> Option<String> {
    if !s.faults.is_empty() {
        return Some("the scenario has a fault timeline".into());
    }
    let c = &s.chaos;
    if c.crashes.is_some() || c.pauses.is_some() || c.partitions.is_some() {
        return Some("the scenario has chaos generators".into());
    }
    let f = &s.disk.faults;
    if f.read_corruption > 0.0 || f.torn_write > 0.0 || f.misdirected_write > 0.0 || f.write_error > 0.0 {
        return Some("the scenario has disk faults".into());
    }
    None
}

/// No acknowledged write is lost while a replica of it survived.
fn lost_acked_writes(s: &Scenario, f: &Findings<'_>) -> Verdict {
    let inv = Invariant::NoLostAckedWrite.name();
    if is_lww(s) {
        return Verdict::not_applicable(inv, "last-write-wins drops concurrent writes by design");
    }
    let destroying = crate::metrics::durability::data_destroying_faults(s);
    if !destroying.is_empty() {
        let why =
            format!("the scenario can destroy stored data ({}), so a replica may not survive", destroying.join(", "));
        return Verdict::not_applicable(inv, why);
    }
    f.end.lost_violations().verdict(inv)
}

/// A write with a context dominates every version in it.
fn context_dominates(s: &Scenario, f: &Findings<'_>) -> Verdict {
    let inv = Invariant::ContextDominates.name();
    if is_lww(s) {
        return Verdict::not_applicable(inv, "last-write-wins keeps no causal context");
    }
    f.reads.context.verdict(inv)
}

/// Strict quorums with no failures never return a stale read.
fn strict_quorum_fresh(s: &Scenario, asm: &Assembly, f: &Findings<'_>) -> Verdict {
    let inv = Invariant::StrictQuorumFresh.name();
    let d = &s.dynamo;
    if d.r + d.w <= d.n {
        return Verdict::not_applicable(inv, format!("R + W = {} does not exceed N = {}", d.r + d.w, d.n));
    }
    if is_lww(s) {
        return Verdict::not_applicable(inv, "last-write-wins can order a newer write below an older one");
    }
    if let Some(why) = faults_free(s) {
        return Verdict::not_applicable(inv, why);
    }
    let substituted = total(asm, &[Counter::HintedWrites, Counter::SubstituteReads], true);
    if d.sloppy_quorum.enabled && substituted > 0 {
        return Verdict::not_applicable(inv, format!("the sloppy quorum substituted replicas {substituted} times"));
    }
    f.reads.stale.verdict(inv)
}

/// Counters `cs` summed over the storage nodes (and the clients' libraries with `clients`).
fn total(asm: &Assembly, cs: &[Counter], clients: bool) -> u64 {
    let procs = if clients { asm.world.len() } else { asm.nodes };
    (0..procs as u32)
        .map(|p| asm.world.counters(sim_core::ProcId(p)))
        .map(|c| cs.iter().map(|k| k.get(c)).sum::<u64>())
        .sum()
}

/// After quiescence every key's live replicas hold the same versions.
///
/// Promised when nothing could have made a replica miss a write (no faults, no loss, writes sent
/// to all N replicas), or when
/// anti-entropy runs and the run ends with every node up, the network whole, and a settle period
/// long enough for each node to exchange every range it replicates three times.
fn replicas_converge(s: &Scenario, asm: &Assembly, f: &Findings<'_>) -> Verdict {
    let inv = Invariant::ReplicasConverge.name();
    if let Some(why) = convergence_not_promised(s, asm) {
        return Verdict::not_applicable(inv, why);
    }
    let end = asm.world.now();
    let v = f
        .end
        .unconverged
        .iter()
        .map(|&k| violation(k, end, "live replicas still disagree after the settle period".into()))
        .collect();
    Verdict::from_violations(inv, v)
}

/// Why convergence is not promised at the end of this run, if it is not.
pub fn convergence_not_promised(s: &Scenario, asm: &Assembly) -> Option<String> {
    let static_writes = || {
        (s.dynamo.quorum_shape == crate::spec::dynamo::QuorumShape::Static)
            .then(|| "static quorums send each write to only W of the N replicas".to_string())
    };
    let without_ae = faults_free(s)
        .or_else(|| (s.network.loss > 0.0).then(|| "messages are lost".to_string()))
        .or_else(static_writes);
    let why = without_ae?;
    let ae = &s.dynamo.anti_entropy;
    if !ae.enabled {
        return Some(format!("{why}, and anti-entropy (which repairs replicas that missed writes) is off"));
    }
    let nodes: Vec<sim_core::ProcId> = (0..asm.nodes as u32).map(sim_core::ProcId).collect();
    if nodes.iter().any(|n| !asm.world.is_up(*n) || asm.world.is_paused(*n)) || asm.world.net().active_faults() > 0 {
        return Some("a node is down or the network is cut at the end".into());
    }
    if s.chaos.crashes.is_some() || s.chaos.pauses.is_some() || s.chaos.partitions.is_some() {
        return Some("chaos generators leave no known quiet period".into());
    }
    let needed_s = repair_time_s(s, asm).unwrap_or(f64::INFINITY);
    let quiet_s = s.duration_s + s.settle_s - s.faults.iter().map(fault_end_s).fold(s.duration_s, f64::max);
    (quiet_s < needed_s).then(|| {
        format!(
            "anti-entropy needs {needed_s:.1} s to visit every range three times; the run is quiet for {quiet_s:.1} s"
        )
    })
}

/// In DVV mode a read's siblings are bounded by the writes that could be concurrent with it.
///
/// Count each returned write that no write acknowledged before the read began supersedes, plus
/// every extra copy of a write (the sibling explosion of restamping clocks, which DVV must never
/// show; when the run had re-forwarded puts, which are stamped twice, extra copies are excused).
/// That count must not exceed the concurrent writers: the maximal writes acknowledged before
/// the read began, plus the writes begun before it ended that were not acknowledged before it
/// began.
fn dvv_sibling_bound(s: &Scenario, asm: &Assembly, f: &Findings<'_>) -> Verdict {
    let inv = Invariant::DvvSiblingBound.name();
    if s.dynamo.versioning != VersioningMode::Dvv {
        return Verdict::not_applicable(inv, "only dotted version vectors promise this bound");
    }
    let reforwards = total(asm, &[Counter::Reforwarded], false);
    if reforwards > 0 { f.reads.dvv_without_copies.verdict(inv) } else { f.reads.dvv_with_copies.verdict(inv) }
}

/// Once every node is up and the network is whole, hint stores drain within the settle time.
pub fn hints_delivered(s: &Scenario, asm: &Assembly) -> Verdict {
    let inv = Invariant::HintsDelivered.name();
    let nodes: Vec<sim_core::ProcId> = (0..asm.nodes as u32).map(sim_core::ProcId).collect();
    if let Some(down) = nodes.iter().find(|n| !asm.world.is_up(**n) || asm.world.is_paused(**n)) {
        return Verdict::not_applicable(inv, format!("node {} is down or paused at the end", down.0));
    }
    if asm.world.net().active_faults() > 0 {
        return Verdict::not_applicable(inv, "a partition, clog or slow link is still in force at the end");
    }
    let c = &s.chaos;
    if c.crashes.is_some() || c.pauses.is_some() || c.partitions.is_some() {
        return Verdict::not_applicable(inv, "chaos generators leave no known quiet period to check drainage in");
    }
    // A handoff that met a down node needs a scan to notice, a probe to clear the suspicion and
    // another scan to deliver: give it three scans and two probes after the last fault ends,
    // plus, under message loss, enough retries of each that all fail with odds below 1e-9.
    let sq = &s.dynamo.sloppy_quorum;
    let retries = lost_round_trip_retries(s.network.loss);
    let needed_s = ((3.0 + retries) * sq.scan_interval_ms
        + (2.0 + retries) * s.dynamo.failure_detection.retry_interval_ms)
        / 1000.0;
    let quiet_from = s.faults.iter().map(fault_end_s).fold(0.0, f64::max);
    let end_s = s.duration_s + s.settle_s;
    if end_s - quiet_from < needed_s {
        return Verdict::not_applicable(
            inv,
            format!(
                "the run is quiet for {:.1} s after its last fault; handoff needs {needed_s:.1} s",
                end_s - quiet_from
            ),
        );
    }
    let end = asm.world.now();
    let mut v = Vec::new();
    for n in nodes {
        let Some(node) = asm.world.process(n).and_then(|a| a.as_node()) else { continue };
        for (intended, key) in node.storage().hints().take(3) {
            v.push(violation(
                key,
                end,
                format!("node {} still holds a hint for node {} after the settle period", n.0, intended.0),
            ));
        }
    }
    Verdict::from_violations(inv, v)
}

/// Extra attempts a round trip (request and reply) needs under message loss `loss` so that all
/// of them fail with odds below 1e-9: each fails with odds 1 − (1 − loss)², so
/// ⌈9 / −log10 of that⌉ (0 without loss; 4 at 0.001).
fn lost_round_trip_retries(loss: f64) -> f64 {
    if loss <= 0.0 {
        return 0.0;
    }
    let fail = 1.0 - (1.0 - loss).powi(2);
    (9.0 / -fail.log10()).ceil()
}

/// Once every node is up and the network whole, membership views agree and every commanded join
/// and leave has finished (joined nodes are members, leavers have left).
pub fn membership_settles(s: &Scenario, asm: &Assembly) -> Verdict {
    let inv = Invariant::MembershipSettles.name();
    if let Some(why) = membership_not_promised(s, asm) {
        return Verdict::not_applicable(inv, why);
    }
    let end = asm.world.now();
    let views: Vec<(u32, &MembershipList)> = (0..asm.nodes as u32)
        .filter_map(|i| asm.world.process(sim_core::ProcId(i)).and_then(|a| a.as_node()))
        .map(|n| (n.id().0, n.view().membership().list()))
        .collect();
    let mut merged = MembershipList::new();
    for (_, list) in &views {
        merged.merge(list);
    }
    let mut v: Vec<Violation> = views
        .iter()
        .filter(|(_, list)| **list != merged)
        .take(3)
        .map(|(i, _)| violation(0, end, format!("node {i}'s membership view differs from the others'")))
        .collect();
    let mut expected: BTreeMap<u32, Status> = BTreeMap::new();
    for a in &s.faults {
        match a.admin {
            Some(Admin::Join { node }) => expected.insert(node, Status::Member),
            Some(Admin::Leave { node }) => expected.insert(node, Status::Left),
            _ => None,
        };
    }
    for (node, want) in expected {
        let got = merged.get(dynamo_model::NodeId(node)).map(|e| e.status);
        if got != Some(want) {
            v.push(violation(0, end, format!("node {node} was commanded to become {want:?} but is {got:?}")));
        }
    }
    Verdict::from_violations(inv, v)
}

/// Why membership need not have settled by the end of this run, if it need not.
fn membership_not_promised(s: &Scenario, asm: &Assembly) -> Option<String> {
    if !s.dynamo.membership.enabled {
        return Some("membership gossip is off".into());
    }
    let nodes = (0..asm.nodes as u32).map(sim_core::ProcId);
    if let Some(down) = nodes.clone().find(|n| !asm.world.is_up(*n) || asm.world.is_paused(*n)) {
        return Some(format!("node {} is down or paused at the end", down.0));
    }
    if asm.world.net().active_faults() > 0 {
        return Some("a partition, clog or slow link is still in force at the end".into());
    }
    let c = &s.chaos;
    if c.crashes.is_some() || c.pauses.is_some() || c.partitions.is_some() {
        return Some("chaos generators leave no known quiet period".into());
    }
    // Gossip spreads a change in about log2(S) rounds; a join or leave also waits for its
    // ranges. Allow 2 log2(S) + 6 rounds, and two transfer timeouts when the timeline commands
    // a join or leave; under message loss, twice that when a round (up to four messages) fails
    // with odds above 1%, else the rounds a loss that rare costs on average (1 / (1 − loss)⁴).
    let m = &s.dynamo.membership;
    let rounds = 2.0 * (asm.nodes.max(2) as f64).log2() + 6.0;
    let round_fails = 1.0 - (1.0 - s.network.loss).powi(4);
    let lossy = if round_fails > 0.01 { 2.0 } else { 1.0 / (1.0 - round_fails) };
    let commanded = s.faults.iter().any(|a| a.admin.is_some());
    let transfers = if commanded { 2.0 * m.transfer_timeout_ms } else { 0.0 };
    let needed_s = lossy * (rounds * m.gossip.interval_ms + transfers) / 1000.0;
    let quiet_from = s.faults.iter().map(fault_end_s).fold(0.0, f64::max);
    let quiet_s = s.duration_s + s.settle_s - quiet_from;
    (quiet_s < needed_s)
        .then(|| format!("membership needs {needed_s:.1} s of quiet to settle; the run is quiet for {quiet_s:.1} s"))
}

/// When a timeline entry's effect ends, in seconds (a crash ends at its restart).
pub fn fault_end_s(a: &crate::spec::TimedAction) -> f64 {
    let after_ms = match (&a.fault, &a.admin) {
        (Some(Fault::Crash { restart_after_ms: Some(ms), .. } | Fault::Wipe { restart_after_ms: Some(ms), .. }), _) => {
            *ms
        }
        (Some(Fault::Pause { resume_after_ms: Some(ms), .. }), _) => *ms,
        (_, Some(Admin::Replace { after_ms, .. })) => *after_ms,
        _ => 0.0,
    };
    a.at_s + after_ms / 1000.0
}
