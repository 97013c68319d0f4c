//! The invariants stated over what happened, which hold under any faults: [`ProtocolChecks`].
//!
//! Each is judged from observations as they arrive (the storage changes the disk journal and the
//! buffer notes tell, and the coordinator's and replicas' notes: a put stamped and answered, a
//! get's responders and answer, a read repair sent and stored), so none needs a fault-free run,
//! a strict quorum or a quiet period:
//! - `acknowledged_writes_held`: when a coordinator acknowledges a put to a client still
//!   waiting for it, at least W distinct physical nodes have stored the version (or a version
//!   that covers it), the coordinator counted once. A node counts once it stored it, in its main
//!   store, buffer or a hint, even if a crash later loses it. A put re-forwarded to a second
//!   coordinator is stamped twice; its holders are counted across both, from its first stamp
//!   until the client has its answer (a stamp or answer after that reaches no one).
//! - `quorum_intersection`: a get returns every write its responders held: whatever a responder
//!   replied that covers a write, the answer covers it too (in LWW mode: the answer's stamp is
//!   at least every reply's). A get whose replies or answer carry a clock at the truncation
//!   threshold is excused: a truncated clock can look superseded when it is not, and every
//!   descendant of a truncated clock is at the threshold too.
//! - `handoff_delivers`: a hint is removed by its holder only after the intended node stored
//!   what the hint held (a hint lost to a crash or wipe is not a removal).
//! - `read_repair_repairs`: when a replica stores a read repair's write (or the coordinator
//!   repairs its own copy), it then serves the reconciled versions the repair was for.
//!
//! "Covers" is ground truth, not the model's metadata: a version covers a write when its
//! provenance is that write or descends from it; in LWW mode, when its stamp ranks at least as
//! high.
//!
//! Cost: O(log keys + siblings × runs) per observation (runs: the sequence-number runs of a
//! provenance's past, few); a node's crash costs O(repairs pending). Memory: O(puts in flight +
//! keys × N): a put is tracked from its first stamp to its completion, a read repair from its sending to
//! its target's store (one per target and key), a hint while it exists.

use super::violations::Violations;
use crate::workload::provenance;
use crate::workload::seqset::SeqSet;
use dynamo_model::NodeId;
use dynamo_model::msg::{ModelNote, OpId};
use dynamo_model::version::{Sibling, VersioningMode, Versions, WriteId};
use reports::Violation;
use sim_core::SimTime;
use std::collections::BTreeMap;

/// An LWW version's rank: timestamp, coordinator, write (the highest wins).
type LwwRank = (u64, NodeId, WriteId);

/// What it takes to hold one write.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Wanted {
    /// A version whose provenance covers this sequence number of the key.
    Seq(u32),
    /// In LWW mode: a version ranked at least this high.
    Rank(LwwRank),
    /// A value without provenance: this very write.
    Exact(WriteId),
}

/// A put between its first stamp and the client's completion.
#[derive(Clone, Debug)]
struct PutTrack {
    wanted: Wanted,
    /// Distinct nodes that stored it (or a version covering it), in the order they did.
    holders: Vec<u32>,
}

/// A read repair sent to another node, waiting for that node to store it.
#[derive(Clone, Debug)]
struct RepairTrack {
    coordinator: u32,
    op: OpId,
    reconciled: Versions,
}

/// A hint record that exists.
#[derive(Clone, Debug)]
struct HintTrack {
    content: Versions,
    /// The intended node stored a version covering `content` since `content` last grew.
    delivered: bool,
}

/// Where a storage change happened and what the node now serves there.
pub struct Stored<'a> {
    /// True time.
    pub at: SimTime,
    /// The node.
    pub node: u32,
    /// The key.
    pub key: u64,
    /// What the node now serves from its main store (buffer over disk), if intact.
    pub served: Option<&'a Versions>,
}

/// The protocol invariants' findings so far, and what they track.
#[derive(Clone, Debug)]
pub struct ProtocolChecks {
    w: usize,
    lww: bool,
    /// Vector-clock mode: the clock size at which entries are dropped.
    truncation: Option<usize>,
    puts: BTreeMap<(u64, WriteId), PutTrack>,
    responders: Vec<(NodeId, Versions)>,
    repairs: BTreeMap<(u32, u64), RepairTrack>,
    hints: BTreeMap<(u64, u32, u32), HintTrack>,
    /// `acknowledged_writes_held`.
    pub acknowledged: Violations,
    /// `quorum_intersection`.
    pub quorum: Violations,
    /// `handoff_delivers`.
    pub handoff: Violations,
    /// `read_repair_repairs`.
    pub repair: Violations,
}

impl ProtocolChecks {
    /// No findings yet, for a cluster that acknowledges a put at `w` acks and versions with
    /// `mode`.
    pub fn new(w: usize, mode: VersioningMode) -> Self {
        let truncation = match mode {
            VersioningMode::VectorClock { truncation_threshold } => Some(truncation_threshold),
            _ => None,
        };
        ProtocolChecks {
            w,
            lww: mode == VersioningMode::Lww,
            truncation,
            puts: BTreeMap::new(),
            responders: Vec::new(),
            repairs: BTreeMap::new(),
            hints: BTreeMap::new(),
            acknowledged: Violations::default(),
            quorum: Violations::default(),
            handoff: Violations::default(),
            repair: Violations::default(),
        }
    }

    /// A node's main store for a key changed (disk record or buffer).
    pub fn on_data(&mut self, s: &Stored<'_>) {
        let Some(served) = s.served else { return };
        self.note_holder(s.key, s.node, served);
        let lww = self.lww;
        for ((_, _, intended), h) in self.hints.range_mut((s.key, 0, 0)..=(s.key, u32::MAX, u32::MAX)) {
            if *intended == s.node && !h.delivered && missing(served, &h.content, lww).is_none() {
                h.delivered = true;
            }
        }
    }

    /// A hint record of `s.node` for (`s.key`, `intended`) changed: `content` is what it holds
    /// now (`None`: gone). `by_handler`: the node's own handler deleted it (not a crash, wipe or
    /// corruption).
    pub fn on_hint(&mut self, s: &Stored<'_>, intended: u32, content: Option<&Versions>, by_handler: bool) {
        let id = (s.key, s.node, intended);
        let Some(content) = content else {
            if let Some(h) = self.hints.remove(&id)
                && by_handler
                && !h.delivered
            {
                let detail = format!(
                    "node {} deleted its hint for node {intended} holding writes {:?} before node {intended} stored them",
                    s.node,
                    ids(&h.content)
                );
                self.handoff.push(violation(s.key, s.at, detail));
            }
            return;
        };
        self.note_holder(s.key, s.node, content);
        let lww = self.lww;
        let h = self.hints.entry(id).or_insert_with(|| HintTrack { content: Versions::new(), delivered: false });
        if missing(&h.content, content, lww).is_some() {
            h.delivered = false;
        }
        h.content = content.clone();
    }

    /// What `node` holds for `key` besides its main store: its hints, merged.
    fn hinted(&self, key: u64, node: u32) -> Versions {
        let mut all = Versions::new();
        for ((_, holder, _), h) in self.hints.range((key, 0, 0)..=(key, u32::MAX, u32::MAX)) {
            if *holder == node {
                all.merge(&h.content);
            }
        }
        all
    }

    fn note_holder(&mut self, key: u64, node: u32, held: &Versions) {
        for (_, t) in self.puts.range_mut((key, WriteId(0))..=(key, WriteId(u64::MAX))) {
            if !t.holders.contains(&node) && holds(held, t.wanted) {
                t.holders.push(node);
            }
        }
    }

    /// A model note of node or client `s.node` (`s.served`: what that node serves for the
    /// note's key now, when it stores data). A [`ModelNote::Stamped`] of a write whose client
    /// already completed must not be passed (see the module doc).
    pub fn on_note(&mut self, s: &Stored<'_>, note: &ModelNote) {
        match note {
            ModelNote::Buffered { .. } | ModelNote::ReadAnswered { .. } => {}
            ModelNote::Stamped { key, value, stamp } => {
                let wanted = match (stamp, provenance::of(value)) {
                    (Some(st), _) if self.lww => Wanted::Rank(st.rank(value.write_id)),
                    (_, Some(p)) => Wanted::Seq(p.seq),
                    _ => Wanted::Exact(value.write_id),
                };
                self.puts.entry((*key, value.write_id)).or_insert(PutTrack { wanted, holders: Vec::new() });
                let mut held = self.hinted(*key, s.node);
                if let Some(served) = s.served {
                    held.merge(served);
                }
                self.note_holder(*key, s.node, &held);
            }
            ModelNote::PutAnswered { key, write } => self.put_answered(s, *key, *write),
            ModelNote::Responder { node, versions, .. } => self.responders.push((*node, versions.clone())),
            ModelNote::GetAnswered { key, versions } => self.get_answered(s.at, *key, versions),
            ModelNote::Repair { key, in_place: true, versions, .. } => {
                let mut held = self.hinted(*key, s.node);
                if let Some(served) = s.served {
                    held.merge(served);
                }
                self.check_repair(s.at, (*key, s.node, s.node), &held, versions);
            }
            ModelNote::Repair { key, target, op, versions, .. } => {
                let track = RepairTrack { coordinator: s.node, op: *op, reconciled: versions.clone() };
                self.repairs.insert((target.0, *key), track);
            }
            ModelNote::ReplicaStored { key, coordinator, op, hint } => {
                let Some(t) = self.repairs.get(&(s.node, *key)) else { return };
                if t.coordinator != coordinator.0 || t.op != *op {
                    return;
                }
                let t = self.repairs.remove(&(s.node, *key)).expect("just found");
                let held = match hint {
                    Some(intended) => self.hints.get(&(*key, s.node, intended.0)).map(|h| h.content.clone()),
                    None => s.served.cloned(),
                };
                self.check_repair(s.at, (*key, t.coordinator, s.node), &held.unwrap_or_default(), &t.reconciled);
            }
        }
    }

    fn put_answered(&mut self, s: &Stored<'_>, key: u64, write: WriteId) {
        let Some(t) = self.puts.get(&(key, write)) else { return };
        if t.holders.len() < self.w {
            let detail = format!(
                "node {} acknowledged write {} when {} distinct nodes held it ({:?}); W = {}",
                s.node,
                write.0,
                t.holders.len(),
                t.holders,
                self.w
            );
            self.acknowledged.push(violation(key, s.at, detail));
        }
    }

    fn get_answered(&mut self, at: SimTime, key: u64, returned: &Versions) {
        // Taken and given back, so the buffer keeps its room: no allocation per get.
        let mut responders = std::mem::take(&mut self.responders);
        let truncated = self.truncation.is_some_and(|t| {
            std::iter::once(returned).chain(responders.iter().map(|(_, v)| v)).any(|v| v.max_clock_len() >= t)
        });
        if !truncated {
            for (node, replied) in &responders {
                if let Some(what) = missing(returned, replied, self.lww) {
                    let detail =
                        format!("responder {} held {what}, but the get returned writes {:?}", node.0, ids(returned));
                    self.quorum.push(violation(key, at, detail));
                }
            }
        }
        responders.clear();
        self.responders = responders;
    }

    fn check_repair(
        &mut self,
        at: SimTime,
        (key, coordinator, target): (u64, u32, u32),
        held: &Versions,
        want: &Versions,
    ) {
        if let Some(what) = missing(held, want, self.lww) {
            let detail = format!(
                "node {target} stored node {coordinator}'s read repair yet lacks {what} of the reconciled writes {:?}; it holds {:?}",
                ids(want),
                ids(held)
            );
            self.repair.push(violation(key, at, detail));
        }
    }

    /// A client's write completed (either way): it is no longer tracked.
    pub fn on_write_done(&mut self, key: u64, write: WriteId) {
        self.puts.remove(&(key, write));
    }

    /// Node `node` crashed: the read repairs it coordinated will never be matched (its
    /// operation numbers start again). O(repairs pending).
    pub fn on_crash(&mut self, node: u32) {
        self.repairs.retain(|_, t| t.coordinator != node);
    }
}

/// Whether `held` holds what `wanted` asks for.
fn holds(held: &Versions, wanted: Wanted) -> bool {
    held.siblings().iter().any(|s| match wanted {
        Wanted::Seq(seq) => provenance::of(s.value()).is_some_and(|p| p.covers(seq)),
        Wanted::Rank(r) => s.stamp().is_some_and(|st| st.rank(s.write_id()) >= r),
        Wanted::Exact(w) => s.write_id() == w,
    })
}

/// What of `want` `held` does not cover, described; `None` when it covers all of it. In LWW
/// mode `held` must rank as high as `want`'s winner; otherwise every write `want` covers (its
/// siblings' provenance and their pasts) must be covered by one of `held`'s siblings.
fn missing(held: &Versions, want: &Versions, lww: bool) -> Option<String> {
    if lww {
        let top = |v: &Versions| v.siblings().iter().filter_map(|s| s.stamp().map(|st| st.rank(s.write_id()))).max();
        let (have, need) = (top(held), top(want)?);
        return (have < Some(need)).then(|| format!("write {} (stamp {} ns)", need.2.0, need.0));
    }
    let mut covered = SeqSet::new();
    for s in held.siblings() {
        if let Some(p) = provenance::of(s.value()) {
            covered.union(&p.past);
            covered.insert(p.seq);
        }
    }
    want.siblings().iter().find_map(|s| missing_one(held, &covered, s))
}

fn missing_one(held: &Versions, covered: &SeqSet, s: &Sibling) -> Option<String> {
    match provenance::of(s.value()) {
        Some(p) if !covered.contains(p.seq) => Some(format!("write {} (key sequence {})", p.write.0, p.seq)),
        Some(p) => {
            p.past.difference(covered).next().map(|seq| format!("key sequence {seq}, in write {}'s past", p.write.0))
        }
        None => {
            let kept = held.siblings().iter().any(|h| h == s || h.supersedes(s));
            (!kept).then(|| format!("write {}", s.write_id().0))
        }
    }
}

fn ids(v: &Versions) -> Vec<u64> {
    v.write_ids().iter().map(|w| w.0).collect()
}

fn violation(key: u64, at: SimTime, detail: String) -> Violation {
    Violation { key, ops: vec![], at_s: at.as_secs_f64(), detail }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::history::OpKind;
    use crate::workload::provenance::Provenance;
    use dynamo_model::version::Context;
    use std::sync::Arc;

    const VC: VersioningMode = VersioningMode::VectorClock { truncation_threshold: 10 };

    /// Write `seq` of key 1 (write id 100 + seq), descending from `past`.
    fn value(seq: u32, past: &[u32]) -> dynamo_model::version::Value {
        let mut set = SeqSet::new();
        past.iter().for_each(|s| set.insert(*s));
        let p = Provenance {
            write: WriteId(100 + u64::from(seq)),
            key: 1,
            seq,
            kind: OpKind::Put,
            past: set,
            ..Provenance::default()
        };
        Arc::new(p).into_value(10, false)
    }

    fn put(on: &mut Versions, ctx: &Context, seq: u32, past: &[u32]) -> Versions {
        on.coordinate_put(VC, ctx, NodeId(1), u64::from(seq), value(seq, past))
    }

    fn at(node: u32, served: Option<&Versions>) -> Stored<'_> {
        Stored { at: SimTime::ZERO, node, key: 1, served }
    }

    #[test]
    fn a_put_answered_before_w_nodes_stored_it_is_caught_and_one_after_is_not() {
        let mut c = ProtocolChecks::new(2, VC);
        let mut v = Versions::new();
        put(&mut v, &Context::empty(), 1, &[]);
        let stamped = ModelNote::Stamped { key: 1, value: value(1, &[]), stamp: None };
        c.on_note(&at(0, Some(&v)), &stamped);
        // The coordinator's own store counts once, however often it is seen.
        c.on_data(&at(0, Some(&v)));
        c.on_note(&at(0, Some(&v)), &ModelNote::PutAnswered { key: 1, write: WriteId(101) });
        assert_eq!(c.acknowledged.count(), 1);
        c.on_note(&at(0, Some(&v)), &stamped);
        c.on_data(&at(3, Some(&v)));
        c.on_note(&at(0, Some(&v)), &ModelNote::PutAnswered { key: 1, write: WriteId(101) });
        assert_eq!(c.acknowledged.count(), 1, "two distinct holders are enough for W = 2");
    }

    #[test]
    fn a_put_stamped_again_by_a_second_coordinator_keeps_the_holders_it_had() {
        let mut c = ProtocolChecks::new(2, VC);
        let mut v = Versions::new();
        put(&mut v, &Context::empty(), 1, &[]);
        let stamped = ModelNote::Stamped { key: 1, value: value(1, &[]), stamp: None };
        let answered = ModelNote::PutAnswered { key: 1, write: WriteId(101) };
        c.on_note(&at(0, Some(&v)), &stamped);
        c.on_data(&at(2, Some(&v)));
        c.on_note(&at(0, Some(&v)), &answered);
        // Re-forwarded: node 4 stamps it too, then node 0 answers its re-sent copy.
        c.on_note(&at(4, Some(&v)), &stamped);
        c.on_note(&at(0, Some(&v)), &answered);
        assert_eq!(c.acknowledged.count(), 0);
        c.on_write_done(1, WriteId(101));
        c.on_note(&at(0, Some(&v)), &answered);
        assert_eq!(c.acknowledged.count(), 0, "an answer after completion is not judged");
    }

    #[test]
    fn a_get_that_drops_a_responders_write_breaks_quorum_intersection() {
        let mut c = ProtocolChecks::new(2, VC);
        let (mut a, mut b) = (Versions::new(), Versions::new());
        put(&mut a, &Context::empty(), 1, &[]);
        put(&mut b, &Context::empty(), 2, &[]);
        let mut both = a.clone();
        both.merge(&b);
        for (returned, broken) in [(both.clone(), 0), (a.clone(), 1)] {
            c.on_note(&at(0, None), &ModelNote::Responder { key: 1, node: NodeId(1), versions: a.clone() });
            c.on_note(&at(0, None), &ModelNote::Responder { key: 1, node: NodeId(2), versions: b.clone() });
            c.on_note(&at(0, None), &ModelNote::GetAnswered { key: 1, versions: returned });
            assert_eq!(c.quorum.count(), broken);
        }
        // A successor covers what it descends from.
        let mut later = both.clone();
        put(&mut later, &both.context(), 3, &[1, 2]);
        c.on_note(&at(0, None), &ModelNote::Responder { key: 1, node: NodeId(1), versions: both });
        c.on_note(&at(0, None), &ModelNote::GetAnswered { key: 1, versions: later });
        assert_eq!(c.quorum.count(), 1);
    }

    #[test]
    fn a_hint_deleted_before_its_intended_node_stored_it_breaks_handoff() {
        let mut c = ProtocolChecks::new(2, VC);
        let mut h = Versions::new();
        put(&mut h, &Context::empty(), 1, &[]);
        c.on_hint(&at(4, None), 2, Some(&h), true);
        c.on_hint(&at(4, None), 2, None, true);
        assert_eq!(c.handoff.count(), 1);
        c.on_hint(&at(4, None), 2, Some(&h), true);
        c.on_data(&at(2, Some(&h)));
        c.on_hint(&at(4, None), 2, None, true);
        assert_eq!(c.handoff.count(), 1, "delivered first, then deleted: fine");
        c.on_hint(&at(4, None), 2, Some(&h), true);
        c.on_hint(&at(4, None), 2, None, false);
        assert_eq!(c.handoff.count(), 1, "a hint lost to a crash is no removal");
    }

    #[test]
    fn a_repair_stored_without_the_reconciled_versions_is_caught() {
        let mut c = ProtocolChecks::new(2, VC);
        let (mut stale, mut fresh) = (Versions::new(), Versions::new());
        put(&mut stale, &Context::empty(), 1, &[]);
        put(&mut fresh, &Context::empty(), 2, &[]);
        let repair = ModelNote::Repair { key: 1, target: NodeId(5), in_place: false, op: 7, versions: fresh.clone() };
        let stored = |op| ModelNote::ReplicaStored { key: 1, coordinator: NodeId(0), op, hint: None };
        c.on_note(&at(0, None), &repair);
        c.on_note(&at(5, Some(&stale)), &stored(8));
        assert_eq!(c.repair.count(), 0, "another operation's write is not the repair");
        c.on_note(&at(5, Some(&stale)), &stored(7));
        assert_eq!(c.repair.count(), 1);
        c.on_note(&at(0, None), &repair);
        c.on_note(&at(5, Some(&fresh)), &stored(7));
        assert_eq!(c.repair.count(), 1);
        c.on_note(&at(0, None), &repair);
        c.on_crash(0);
        c.on_note(&at(5, Some(&stale)), &stored(7));
        assert_eq!(c.repair.count(), 1, "a crashed coordinator's repairs are forgotten");
    }
}
