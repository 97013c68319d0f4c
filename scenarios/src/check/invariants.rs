//! The invariants, each as a function from a finished run to a verdict.

use super::Invariant;
use crate::analysis::causal::Causality;
use crate::analysis::inspect;
use crate::history::OpRecord;
use crate::run::RunOutcome;
use crate::spec::{Admin, Scenario};
use dynamo_model::counters::Counter;
use dynamo_model::membership::{MembershipList, Status};
use dynamo_model::version::{VersioningMode, WriteId};
use reports::{Verdict, Violation};
use sim_core::SimTime;
use sim_core::fault::Fault;
use std::collections::BTreeMap;

/// Runs every checker.
pub fn check_all(s: &Scenario, out: &RunOutcome) -> Vec<Verdict> {
    let causality = Causality::new(&out.history);
    vec![
        lost_acked_writes(s, out, &causality),
        dominated_versions(s, out, &causality),
        context_dominates(s, out),
        strict_quorum_fresh(s, out, &causality),
        replicas_converge(s, out, &causality),
        dvv_sibling_bound(s, out, &causality),
        hints_delivered(s, out),
        membership_settles(s, out),
    ]
}

fn describe(r: &OpRecord) -> String {
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

fn violation(key: u64, at: SimTime, ops: &[&OpRecord], detail: String) -> Violation {
    Violation { key, ops: ops.iter().map(|r| describe(r)).collect(), at_s: at.as_secs_f64(), detail }
}

fn successful_reads(out: &RunOutcome) -> impl Iterator<Item = (&OpRecord, &[WriteId])> {
    out.history.iter().filter(|r| r.ok()).filter_map(|r| r.read.as_ref().map(|x| (r, x.writes.as_slice())))
}

fn is_lww(s: &Scenario) -> bool {
    s.dynamo.versioning == VersioningMode::Lww
}

/// No faults of any kind: no timeline, no chaos, no disk faults, no loss.
fn faults_free(s: &Scenario) -> Option<String> {
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
fn lost_acked_writes(s: &Scenario, out: &RunOutcome, c: &Causality) -> Verdict {
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
    let by_write: BTreeMap<WriteId, &OpRecord> = out.history.iter().filter_map(|r| r.write.map(|w| (w, r))).collect();
    let mut v = Vec::new();
    for key in c.keys() {
        let survivors = inspect::surviving(&out.assembly, key).write_ids();
        for w in c.writes_of(key).iter().filter(|w| w.acked) {
            if !survivors.iter().any(|&s| c.covers(s, w.id)) {
                let ops: Vec<&OpRecord> = by_write.get(&w.id).into_iter().copied().collect();
                let detail = format!(
                    "acknowledged write {} is in no replica and superseded by none of {:?}",
                    w.id.0,
                    survivors.iter().map(|x| x.0).collect::<Vec<_>>()
                );
                v.push(violation(key, w.completed, &ops, detail));
            }
        }
    }
    Verdict::from_violations(inv, v)
}

/// No get returns a version dominated by another it returns: never a pair whose metadata says
/// so, and in DVV mode never a write together with one it causally supersedes. A write stamped
/// more than once (a retried or re-forwarded put reaching two coordinators) is two concurrent
/// versions of one value, so it is left out of the causal comparison.
fn dominated_versions(s: &Scenario, out: &RunOutcome, c: &Causality) -> Verdict {
    let dvv = s.dynamo.versioning == VersioningMode::Dvv;
    let multi = multiply_stamped(out);
    let mut v = Vec::new();
    for (r, writes) in successful_reads(out) {
        let single: Vec<WriteId> = writes.iter().copied().filter(|w| !multi.contains(w)).collect();
        if r.read.as_ref().is_some_and(|x| x.dominated_pair) {
            v.push(violation(
                r.key,
                r.completed,
                &[r],
                "a returned sibling's metadata supersedes another returned sibling".into(),
            ));
        } else if dvv && let Some((a, b)) = ancestor_pair(c, &single) {
            v.push(violation(
                r.key,
                r.completed,
                &[r],
                format!("write {} supersedes write {} yet both were returned", a.0, b.0),
            ));
        }
    }
    Verdict::from_violations(Invariant::NoDominatedVersion.name(), v)
}

/// Writes seen with more than one causal stamp anywhere in the history.
fn multiply_stamped(out: &RunOutcome) -> std::collections::BTreeSet<WriteId> {
    let mut stamps: BTreeMap<WriteId, u64> = BTreeMap::new();
    let mut multi = std::collections::BTreeSet::new();
    let seen =
        out.history.iter().flat_map(|r| r.context_versions.iter().chain(r.read.iter().flat_map(|x| x.versions.iter())));
    for &(w, digest) in seen {
        if *stamps.entry(w).or_insert(digest) != digest {
            multi.insert(w);
        }
    }
    multi
}

fn ancestor_pair(c: &Causality, writes: &[WriteId]) -> Option<(WriteId, WriteId)> {
    writes.iter().flat_map(|&a| writes.iter().map(move |&b| (a, b))).find(|&(a, b)| a != b && c.descends(a, b))
}

/// A write with a context dominates every version in it: no read returns the new write
/// together with one of the exact versions (write and causal metadata) its context covered.
fn context_dominates(s: &Scenario, out: &RunOutcome) -> Verdict {
    let inv = Invariant::ContextDominates.name();
    match s.dynamo.versioning {
        VersioningMode::Lww => return Verdict::not_applicable(inv, "last-write-wins keeps no causal context"),
        VersioningMode::VectorClock { truncation_threshold } => {
            let longest = out.history.iter().filter_map(|r| r.read.as_ref()).map(|r| r.max_clock_len as usize).max();
            if longest.is_some_and(|l| l >= truncation_threshold) {
                let why = format!(
                    "clocks reached the truncation threshold ({truncation_threshold} entries), and truncation can make a dominated version look concurrent"
                );
                return Verdict::not_applicable(inv, why);
            }
        }
        _ => {}
    }
    let writes: BTreeMap<WriteId, &OpRecord> = out.history.iter().filter_map(|r| r.write.map(|w| (w, r))).collect();
    let mut v = Vec::new();
    for r in out.history.iter().filter(|r| r.ok()) {
        let Some(read) = &r.read else { continue };
        for (w, _) in &read.versions {
            let Some(wr) = writes.get(w) else { continue };
            if let Some(old) = wr.context_versions.iter().find(|cv| read.versions.contains(cv)) {
                let detail = format!(
                    "write {} was put with a context covering version {:?}, yet a read returned both",
                    w.0, old
                );
                v.push(violation(r.key, r.completed, &[wr, r], detail));
            }
        }
    }
    Verdict::from_violations(inv, v)
}

/// Strict quorums with no failures never return a stale read.
fn strict_quorum_fresh(s: &Scenario, out: &RunOutcome, c: &Causality) -> Verdict {
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
    let substituted = substitutions(out);
    if d.sloppy_quorum.enabled && substituted > 0 {
        return Verdict::not_applicable(inv, format!("the sloppy quorum substituted replicas {substituted} times"));
    }
    let mut v = Vec::new();
    for (r, writes) in successful_reads(out) {
        if !c.is_fresh(r.key, r.invoked, writes) {
            let p = c.latest_acked_before(r.key, r.invoked).map(|p| p.id.0).unwrap_or_default();
            v.push(violation(
                r.key,
                r.completed,
                &[r],
                format!("missed write {p}, acknowledged before the read began"),
            ));
        }
    }
    Verdict::from_violations(inv, v)
}

/// How many reads and writes went to sloppy-quorum substitutes, over nodes and client libraries.
fn substitutions(out: &RunOutcome) -> u64 {
    let w = &out.assembly.world;
    (0..w.len() as u32)
        .map(|p| w.counters(sim_core::ProcId(p)))
        .map(|c| Counter::HintedWrites.get(c) + Counter::SubstituteReads.get(c))
        .sum()
}

/// After quiescence every key's live replicas hold the same versions.
///
/// Promised when nothing could have made a replica miss a write (no faults, no loss), or when
/// anti-entropy runs and the run ends with every node up, the network whole, and a settle period
/// long enough for each node to exchange every range it replicates three times.
fn replicas_converge(s: &Scenario, out: &RunOutcome, c: &Causality) -> Verdict {
    let inv = Invariant::ReplicasConverge.name();
    if let Some(why) = convergence_not_promised(s, out) {
        return Verdict::not_applicable(inv, why);
    }
    let end = out.assembly.world.now();
    let v = c
        .keys()
        .filter(|&k| !inspect::replicas_agree(&out.assembly, k, s.dynamo.n))
        .map(|k| violation(k, end, &[], "live replicas still disagree after the settle period".into()))
        .collect();
    Verdict::from_violations(inv, v)
}

fn convergence_not_promised(s: &Scenario, out: &RunOutcome) -> Option<String> {
    let without_ae = faults_free(s).or_else(|| (s.network.loss > 0.0).then(|| "messages are lost".to_string()));
    let why = without_ae?;
    let ae = &s.dynamo.anti_entropy;
    if !ae.enabled {
        return Some(format!("{why}, and anti-entropy (which repairs replicas that missed writes) is off"));
    }
    let asm = &out.assembly;
    let nodes: Vec<sim_core::ProcId> = (0..asm.nodes as u32).map(sim_core::ProcId).collect();
    if nodes.iter().any(|n| !asm.world.is_up(*n) || asm.world.is_paused(*n)) || asm.world.net().active_faults() > 0 {
        return Some("a node is down or the network is cut at the end".into());
    }
    if s.chaos.crashes.is_some() || s.chaos.pauses.is_some() || s.chaos.partitions.is_some() {
        return Some("chaos generators leave no known quiet period".into());
    }
    let ranges = nodes.iter().map(|n| asm.ring_now().ranges_of(*n, s.dynamo.n).len()).max().unwrap_or(0);
    let needed_s = 3.0 * ranges as f64 * ae.interval_ms / 1000.0;
    let quiet_s = s.duration_s + s.settle_s - s.faults.iter().map(fault_end_s).fold(s.duration_s, f64::max);
    (quiet_s < needed_s).then(|| {
        format!(
            "anti-entropy needs {needed_s:.1} s to visit every range three times; the run is quiet for {quiet_s:.1} s"
        )
    })
}

/// In DVV mode a read's siblings are bounded by the writes that could be concurrent with it.
///
/// Count each returned sibling that no write acknowledged before the read began supersedes
/// (a stale read may return older siblings; those are the staleness checker's business), plus
/// every extra copy of a write — the sibling explosion of restamping clocks, which DVV must
/// never show. (A put re-forwarded to a second coordinator is stamped twice; when the run had
/// re-forwards, extra copies are excused.) That count must not exceed the concurrent writers:
/// the writes acknowledged before the read began that no other such write supersedes, plus the
/// writes begun before it ended that were not acknowledged before it began.
fn dvv_sibling_bound(s: &Scenario, out: &RunOutcome, c: &Causality) -> Verdict {
    let inv = Invariant::DvvSiblingBound.name();
    if s.dynamo.versioning != VersioningMode::Dvv {
        return Verdict::not_applicable(inv, "only dotted version vectors promise this bound");
    }
    let reforwards: u64 = (0..out.assembly.nodes as u32)
        .map(|i| Counter::Reforwarded.get(out.assembly.world.counters(sim_core::ProcId(i))))
        .sum();
    let mut v = Vec::new();
    for (r, writes) in successful_reads(out) {
        let raw = r.read.as_ref().map_or(0, |x| x.siblings as usize);
        let acked = acked_before(c, r);
        let live = writes.iter().filter(|&&w| !acked.iter().any(|&a| a != w && c.descends(a, w))).count();
        let copies = if reforwards > 0 { 0 } else { raw.saturating_sub(writes.len()) };
        let bound = concurrent_writers(c, r, &acked);
        if live + copies > bound {
            let detail =
                format!("{} siblings ({copies} extra copies) but at most {bound} concurrent writers", live + copies);
            v.push(violation(r.key, r.completed, &[r], detail));
        }
    }
    Verdict::from_violations(inv, v)
}

/// Writes to the read's key acknowledged before the read began.
fn acked_before(c: &Causality, r: &OpRecord) -> Vec<WriteId> {
    c.writes_of(r.key).iter().filter(|w| w.acked && w.completed < r.invoked).map(|w| w.id).collect()
}

/// The writes that can be concurrent with a read (see [`dvv_sibling_bound`]).
fn concurrent_writers(c: &Causality, r: &OpRecord, acked: &[WriteId]) -> usize {
    let maximal = acked.iter().filter(|&&a| !acked.iter().any(|&b| b != a && c.descends(b, a))).count();
    let others = c.writes_of(r.key).iter().filter(|w| w.invoked < r.completed && !acked.contains(&w.id)).count();
    maximal + others
}

/// Once every node is up and the network is whole, hint stores drain within the settle time.
fn hints_delivered(s: &Scenario, out: &RunOutcome) -> Verdict {
    let inv = Invariant::HintsDelivered.name();
    let asm = &out.assembly;
    let nodes: Vec<sim_core::ProcId> = (0..asm.nodes as u32).map(sim_core::ProcId).collect();
    if let Some(down) = nodes.iter().find(|n| !asm.world.is_up(**n) || asm.world.is_paused(**n)) {
        return Verdict::not_applicable(inv, format!("node {} is down or paused at the end", down.0));
    }
    if asm.world.net().active_faults() > 0 {
        return Verdict::not_applicable(inv, "a partition, clog or slow link is still in force at the end");
    }
    if s.network.loss > 0.0 {
        return Verdict::not_applicable(inv, "messages are lost, so a handoff may need any number of retries");
    }
    let c = &s.chaos;
    if c.crashes.is_some() || c.pauses.is_some() || c.partitions.is_some() {
        return Verdict::not_applicable(inv, "chaos generators leave no known quiet period to check drainage in");
    }
    // A handoff that met a down node needs a scan to notice, a probe to clear the suspicion and
    // another scan to deliver: give it three scans and two probes after the last fault ends.
    let sq = &s.dynamo.sloppy_quorum;
    let needed_s = (3.0 * sq.scan_interval_ms + 2.0 * s.dynamo.failure_detection.retry_interval_ms) / 1000.0;
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
                &[],
                format!("node {} still holds a hint for node {} after the settle period", n.0, intended.0),
            ));
        }
    }
    Verdict::from_violations(inv, v)
}

/// Once every node is up and the network whole, membership views agree and every commanded join
/// and leave has finished (joined nodes are members, leavers have left).
fn membership_settles(s: &Scenario, out: &RunOutcome) -> Verdict {
    let inv = Invariant::MembershipSettles.name();
    if let Some(why) = membership_not_promised(s, out) {
        return Verdict::not_applicable(inv, why);
    }
    let asm = &out.assembly;
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
        .map(|(i, _)| violation(0, end, &[], format!("node {i}'s membership view differs from the others'")))
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
            v.push(violation(0, end, &[], format!("node {node} was commanded to become {want:?} but is {got:?}")));
        }
    }
    Verdict::from_violations(inv, v)
}

/// Why membership need not have settled by the end of this run, if it need not.
fn membership_not_promised(s: &Scenario, out: &RunOutcome) -> Option<String> {
    if !s.dynamo.membership.enabled {
        return Some("membership gossip is off".into());
    }
    let asm = &out.assembly;
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
    // Gossip spreads a change in about log2(S) rounds; a join also waits for its ranges. Allow
    // 2 log2(S) + 6 rounds and two transfer timeouts (twice that under message loss).
    let m = &s.dynamo.membership;
    let rounds = 2.0 * (asm.nodes.max(2) as f64).log2() + 6.0;
    let lossy = if s.network.loss > 0.0 { 2.0 } else { 1.0 };
    let needed_s = lossy * (rounds * m.gossip.interval_ms + 2.0 * m.transfer_timeout_ms) / 1000.0;
    let quiet_from = s.faults.iter().map(fault_end_s).fold(0.0, f64::max);
    let quiet_s = s.duration_s + s.settle_s - quiet_from;
    (quiet_s < needed_s)
        .then(|| format!("membership needs {needed_s:.1} s of quiet to settle; the run is quiet for {quiet_s:.1} s"))
}

/// When a timeline entry's effect ends, in seconds (a crash ends at its restart).
fn fault_end_s(a: &crate::spec::TimedAction) -> f64 {
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
