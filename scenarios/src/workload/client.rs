//! A workload client: an application driving one Dynamo client library with an open-loop
//! arrival process, a key chooser, an operation mix, sessions and a sibling merge policy.
//!
//! Operations start at the arrival process's times whether or not earlier ones finished (up to
//! `max_outstanding`; beyond it arrivals are shed and counted). A read-modify-write reads,
//! merges the siblings by the group's policy, adds an item (or removes one), and writes back
//! with the read's context to the read's fastest responder. With sessions, a client keeps each
//! key's context and content between operations and records which of its own writes a later
//! read should show (read-your-writes).

use super::arrival::Arrivals;
use super::keys::KeyChooser;
use super::mix::{MixSampler, OpKind as MixKind};
use super::provenance::{self, Covered, KeySeqs, Provenance, union_items};
use crate::history::{Invocation, OpDone, OpEvent, OpKind, Outcome, ReadResult};
use crate::spec::{MergePolicy, Workload};
use dynamo_model::NodeId;
use dynamo_model::actor::ClientApi;
use dynamo_model::coordinator::Completion;
use dynamo_model::msg::{GetOk, Host, Key, ReqId};
use dynamo_model::version::{Context, Versions, WriteId};
use sim_core::dist::Dist;
use sim_core::{SimDuration, SimTime};
use std::cell::RefCell;
use std::collections::BTreeMap;
use std::rc::Rc;
use std::sync::Arc;

/// Timer id of the next arrival.
const ARRIVAL: u64 = 0;

/// The API a workload client acts through.
type Api<'a, 'c, 'x, P> = &'a mut ClientApi<'c, 'x, P, OpEvent>;

/// A key's session state at one client.
#[derive(Clone, Debug, Default)]
struct Session {
    context: Context,
    preferred: Option<NodeId>,
    items: Vec<u64>,
    /// What the context covers (what the last read returned).
    covered: Covered,
    own_write: Option<WriteId>,
}

#[derive(Clone, Debug)]
struct Inflight {
    kind: OpKind,
    key: Key,
    invoked: SimTime,
    write: Option<Arc<Provenance>>,
    own_write: Option<WriteId>,
}

/// Counters a client keeps besides its history.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ClientCounters {
    /// Arrivals dropped because `max_outstanding` operations were in flight.
    pub shed: u64,
    /// Items that a union merge brought back after a concurrent branch removed them.
    pub resurrected_items: u64,
}

/// The fixed settings of a client group, shared by its clients.
#[derive(Clone, Debug)]
pub struct GroupPlan {
    /// Index of the group.
    pub group: u16,
    /// The group's spec.
    pub spec: Workload,
    /// Value sizes.
    pub value_bytes: Dist,
    /// First arrival no earlier than this (true time).
    pub start: SimTime,
    /// No arrival after this (true time).
    pub stop: SimTime,
}

/// One workload client.
#[derive(Clone, Debug)]
pub struct WorkloadClient {
    plan: Rc<GroupPlan>,
    me: u32,
    arrivals: Arrivals,
    keys: KeyChooser,
    mix: MixSampler,
    sessions: BTreeMap<Key, Session>,
    inflight: BTreeMap<ReqId, Inflight>,
    seqs: Rc<RefCell<KeySeqs>>,
    next_write: u64,
    next_item: u64,
    counters: ClientCounters,
}

/// What a new write is: its kind, the session's context and preferred coordinator, its content,
/// and what its context covers.
struct NewWrite {
    kind: OpKind,
    context: Context,
    preferred: Option<NodeId>,
    items: Vec<u64>,
    removed: Vec<u64>,
    covered: Covered,
}

impl WorkloadClient {
    /// A client of `plan`'s group running as process `me`; `seqs` numbers every key's writes.
    pub fn new(
        plan: Rc<GroupPlan>,
        me: u32,
        arrivals: Arrivals,
        keys: KeyChooser,
        mix: MixSampler,
        seqs: Rc<RefCell<KeySeqs>>,
    ) -> Self {
        WorkloadClient {
            plan,
            me,
            arrivals,
            keys,
            mix,
            sessions: BTreeMap::new(),
            inflight: BTreeMap::new(),
            seqs,
            next_write: 0,
            next_item: 0,
            counters: ClientCounters::default(),
        }
    }

    /// Counters.
    pub fn counters(&self) -> ClientCounters {
        self.counters
    }

    /// The client started: schedule the first arrival.
    pub fn start<P: Host>(&mut self, api: Api<'_, '_, '_, P>) {
        let now = api.observe_time();
        let gap = self.arrivals.next_gap(self.plan.start.as_secs_f64(), api.rng());
        let first = self.plan.start.max(now) + gap;
        api.set_timer(first - now, ARRIVAL);
    }

    /// An application timer fired (only arrivals).
    pub fn on_timer<P: Host>(&mut self, api: Api<'_, '_, '_, P>, _id: u64) {
        let now = api.observe_time();
        if now > self.plan.stop {
            return;
        }
        let gap = self.arrivals.next_gap(now.as_secs_f64(), api.rng());
        api.set_timer(gap, ARRIVAL);
        if self.inflight.len() >= self.plan.spec.max_outstanding {
            self.counters.shed += 1;
            return;
        }
        let kind = self.mix.pick(api.rng());
        let key = self.keys.next(api.rng());
        match kind {
            MixKind::Get => self.get(api, key, OpKind::Get),
            MixKind::ReadModifyWrite => self.get(api, key, OpKind::RmwRead),
            MixKind::Put => self.write(api, key, OpKind::Put),
            MixKind::Delete => self.write(api, key, OpKind::Delete),
        }
    }

    fn get<P: Host>(&mut self, api: Api<'_, '_, '_, P>, key: Key, kind: OpKind) {
        let own_write = self.session(key).and_then(|s| s.own_write);
        let invoked = api.observe_time();
        let req = api.get(key);
        self.invoked(api, req, kind, key, None);
        self.inflight.insert(req, Inflight { kind, key, invoked, write: None, own_write });
    }

    fn session(&self, key: Key) -> Option<&Session> {
        if self.plan.spec.sessions { self.sessions.get(&key) } else { None }
    }

    /// A plain put (one new item on top of what the session knows) or a delete.
    fn write<P: Host>(&mut self, api: Api<'_, '_, '_, P>, key: Key, kind: OpKind) {
        let s = self.session(key).cloned().unwrap_or_default();
        let items = if kind == OpKind::Delete {
            vec![]
        } else {
            let mut items = s.items;
            items.push(self.fresh_item());
            items.sort_unstable();
            items
        };
        let w =
            NewWrite { kind, context: s.context, preferred: s.preferred, items, removed: vec![], covered: s.covered };
        self.send_write(api, key, w);
    }

    fn send_write<P: Host>(&mut self, api: Api<'_, '_, '_, P>, key: Key, w: NewWrite) {
        self.next_write += 1;
        let write = WriteId(((self.me as u64) << 40) | self.next_write);
        let size = self.plan.value_bytes.sample(api.rng()).clamp(0.0, u32::MAX as f64) as u32;
        let invoked = api.observe_time();
        let prov = Arc::new(Provenance {
            write,
            key,
            seq: self.seqs.borrow_mut().next(key),
            client: self.me,
            kind: w.kind,
            invoked,
            past: w.covered.past,
            context_versions: w.covered.versions,
            items: w.items,
            removed: w.removed,
        });
        let value = prov.into_value(size, w.kind == OpKind::Delete);
        self.keys.note_write(key);
        let req = api.put(key, w.context, value, w.preferred);
        self.invoked(api, req, w.kind, key, Some(prov.clone()));
        self.inflight.insert(req, Inflight { kind: w.kind, key, invoked, write: Some(prov), own_write: None });
    }

    /// Tells the observer an operation started.
    fn invoked<P: Host>(
        &self,
        api: Api<'_, '_, '_, P>,
        req: ReqId,
        kind: OpKind,
        key: Key,
        write: Option<Arc<Provenance>>,
    ) {
        if api.observed() {
            let at = api.observe_time();
            api.record(OpEvent::Invoked(Invocation { client: self.me, req, kind, key, at, write }));
        }
    }

    fn fresh_item(&mut self) -> u64 {
        self.next_item += 1;
        ((self.me as u64) << 40) | self.next_item
    }

    /// A get or put finished.
    pub fn on_completion<P: Host>(&mut self, api: Api<'_, '_, '_, P>, done: Completion) {
        let now = api.observe_time();
        match done {
            Completion::Get { req, result } => {
                let Some(op) = self.inflight.remove(&req) else { return };
                let outcome = Outcome::of(result.as_ref().map(|_| ()).map_err(|e| *e));
                let fastest = result.as_ref().ok().and_then(|g| g.fastest);
                let read = match result {
                    Ok(ok) => Some(self.after_read(api, &op, ok)),
                    Err(_) => None,
                };
                self.done(api, req, &op, now, outcome, read, fastest);
            }
            Completion::Put { req, result } => {
                let Some(op) = self.inflight.remove(&req) else { return };
                if result.is_ok() && self.plan.spec.sessions {
                    let s = self.sessions.entry(op.key).or_default();
                    s.own_write = op.write.as_ref().map(|p| p.write);
                }
                self.done(api, req, &op, now, Outcome::of(result), None, None);
            }
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn done<P: Host>(
        &self,
        api: Api<'_, '_, '_, P>,
        req: ReqId,
        op: &Inflight,
        now: SimTime,
        outcome: Outcome,
        read: Option<Versions>,
        fastest: Option<NodeId>,
    ) {
        if !api.observed() {
            return;
        }
        api.record(OpEvent::Done(Box::new(OpDone {
            client: self.me,
            group: self.plan.group,
            req,
            kind: op.kind,
            key: op.key,
            invoked: op.invoked,
            completed: now,
            outcome,
            write: op.write.clone(),
            read,
            own_write: op.own_write,
            probe_of: None,
            fastest,
        })));
    }

    /// Updates the session from a read and, for a read-modify-write, writes back; returns the
    /// versions read.
    fn after_read<P: Host>(&mut self, api: Api<'_, '_, '_, P>, op: &Inflight, ok: GetOk) -> Versions {
        let (items, resurrected) = self.merge(&ok.versions);
        if !self.plan.spec.sessions && op.kind != OpKind::RmwRead {
            return ok.versions;
        }
        let covered = Covered::of(&ok.versions);
        {
            let s = self.sessions.entry(op.key).or_default();
            s.context = ok.context.clone();
            s.preferred = ok.fastest;
            s.items = items.clone();
            s.covered = covered.clone();
        }
        if op.kind != OpKind::RmwRead {
            return ok.versions;
        }
        self.counters.resurrected_items += resurrected;
        let (mut items, mut removed) = (items, vec![]);
        if !items.is_empty() && api.rng().chance(0.25) {
            let i = api.rng().index(items.len());
            removed.push(items.remove(i));
        } else {
            items.push(self.fresh_item());
            items.sort_unstable();
        }
        let (context, covered) = match self.plan.spec.merge {
            MergePolicy::KeepAll => (Context::empty(), Covered::default()),
            _ => (ok.context, covered),
        };
        if !self.plan.spec.sessions {
            self.sessions.remove(&op.key);
        }
        let w = NewWrite { kind: OpKind::RmwWrite, context, preferred: ok.fastest, items, removed, covered };
        self.send_write(api, op.key, w);
        ok.versions
    }

    /// The content a merge of these siblings gives, and resurrected items.
    fn merge(&self, versions: &Versions) -> (Vec<u64>, u64) {
        let live = live_provenances(versions);
        match self.plan.spec.merge {
            MergePolicy::Union => union_items(&live),
            MergePolicy::LastWriterWins | MergePolicy::KeepAll => {
                let newest = live.iter().max_by_key(|p| p.write);
                (newest.map(|p| p.items.clone()).unwrap_or_default(), 0)
            }
        }
    }
}

/// The provenances of the non-tombstone siblings, one per write, by ascending write id.
fn live_provenances(v: &Versions) -> Vec<&Provenance> {
    let mut live: Vec<&Provenance> = v
        .siblings()
        .iter()
        .filter(|s| !s.value().tombstone)
        .filter_map(|s| provenance::of(s.value()).map(|p| &**p))
        .collect();
    live.sort_unstable_by_key(|p| p.write);
    live.dedup_by_key(|p| p.write);
    live
}

/// Summarises what a read returned.
pub fn read_result(v: &Versions) -> ReadResult {
    ReadResult {
        writes: v.write_ids(),
        siblings: v.len() as u32,
        max_clock_len: v.max_clock_len() as u32,
        deleted: v.siblings().iter().all(|s| s.value().tombstone),
        versions: v.siblings().iter().map(|s| (s.write_id(), sibling_digest(s))).collect(),
        dominated_pair: v.siblings().iter().any(|a| v.siblings().iter().any(|b| a.supersedes(b))),
    }
}

/// A stable 64-bit digest of a sibling (value and causal metadata), FNV-1a over its `Hash`.
pub fn sibling_digest(s: &dynamo_model::version::Sibling) -> u64 {
    use std::hash::{Hash, Hasher};
    struct Fnv(u64);
    impl Hasher for Fnv {
        fn write(&mut self, bytes: &[u8]) {
            for b in bytes {
                self.0 = (self.0 ^ u64::from(*b)).wrapping_mul(0x0000_0100_0000_01b3);
            }
        }
        fn finish(&self) -> u64 {
            self.0
        }
    }
    let mut h = Fnv(0xcbf2_9ce4_8422_2325);
    s.hash(&mut h);
    h.finish()
}

/// Converts seconds to a duration.
pub fn secs(s: f64) -> SimDuration {
    SimDuration::from_secs_f64(s)
}
