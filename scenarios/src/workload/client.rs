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
use super::registry::{Content, Registry};
use crate::history::{OpKind, OpRecord, Outcome, ReadResult};
use crate::spec::{MergePolicy, Workload};
use dynamo_model::NodeId;
use dynamo_model::actor::ClientApi;
use dynamo_model::coordinator::Completion;
use dynamo_model::msg::{GetOk, Host, Key, OpError, ReqId};
use dynamo_model::version::{Context, Value, Versions, WriteId};
use sim_core::dist::Dist;
use sim_core::{SimDuration, SimTime};
use std::cell::RefCell;
use std::collections::BTreeMap;
use std::rc::Rc;

/// Timer id of the next arrival.
const ARRIVAL: u64 = 0;

/// A key's session state at one client.
#[derive(Clone, Debug, Default)]
struct Session {
    context: Context,
    preferred: Option<NodeId>,
    items: Vec<u64>,
    /// The writes the context covers (what the last read returned).
    context_writes: Vec<WriteId>,
    /// The exact versions the context covers.
    context_versions: Vec<(WriteId, u64)>,
    own_write: Option<WriteId>,
}

#[derive(Clone, Debug)]
struct Inflight {
    kind: OpKind,
    key: Key,
    invoked: SimTime,
    write: Option<WriteId>,
    context: Vec<WriteId>,
    context_versions: Vec<(WriteId, u64)>,
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
    registry: Rc<RefCell<Registry>>,
    next_write: u64,
    next_item: u64,
    history: Vec<OpRecord>,
    counters: ClientCounters,
}

impl WorkloadClient {
    /// A client of `plan`'s group running as process `me`.
    pub fn new(
        plan: Rc<GroupPlan>,
        me: u32,
        arrivals: Arrivals,
        keys: KeyChooser,
        mix: MixSampler,
        registry: Rc<RefCell<Registry>>,
    ) -> Self {
        WorkloadClient {
            plan,
            me,
            arrivals,
            keys,
            mix,
            sessions: BTreeMap::new(),
            inflight: BTreeMap::new(),
            registry,
            next_write: 0,
            next_item: 0,
            history: Vec::new(),
            counters: ClientCounters::default(),
        }
    }

    /// The operations this client finished.
    pub fn history(&self) -> &[OpRecord] {
        &self.history
    }

    /// Counters.
    pub fn counters(&self) -> ClientCounters {
        self.counters
    }

    /// The client started: schedule the first arrival.
    pub fn start<P: Host>(&mut self, api: &mut ClientApi<'_, '_, P, OpRecord>) {
        let now = api.observe_time();
        let gap = self.arrivals.next_gap(self.plan.start.as_secs_f64(), api.rng());
        let first = self.plan.start.max(now) + gap;
        api.set_timer(first - now, ARRIVAL);
    }

    /// An application timer fired (only arrivals).
    pub fn on_timer<P: Host>(&mut self, api: &mut ClientApi<'_, '_, P, OpRecord>, _id: u64) {
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

    fn get<P: Host>(&mut self, api: &mut ClientApi<'_, '_, P, OpRecord>, key: Key, kind: OpKind) {
        let own_write = self.session(key).and_then(|s| s.own_write);
        let invoked = api.observe_time();
        let req = api.get(key);
        self.inflight.insert(
            req,
            Inflight { kind, key, invoked, write: None, context: vec![], context_versions: vec![], own_write },
        );
    }

    fn session(&self, key: Key) -> Option<&Session> {
        if self.plan.spec.sessions { self.sessions.get(&key) } else { None }
    }

    /// A plain put (one new item on top of what the session knows) or a delete.
    fn write<P: Host>(&mut self, api: &mut ClientApi<'_, '_, P, OpRecord>, key: Key, kind: OpKind) {
        let s = self.session(key).cloned().unwrap_or_default();
        let content = if kind == OpKind::Delete {
            Content::default()
        } else {
            let mut items = s.items.clone();
            items.push(self.fresh_item());
            items.sort_unstable();
            Content { items, removed: vec![] }
        };
        let covered = (s.context_writes.clone(), s.context_versions.clone());
        self.send_write(api, key, kind, s.context, s.preferred, content, covered);
    }

    #[allow(clippy::too_many_arguments)]
    fn send_write<P: Host>(
        &mut self,
        api: &mut ClientApi<'_, '_, P, OpRecord>,
        key: Key,
        kind: OpKind,
        context: Context,
        preferred: Option<NodeId>,
        content: Content,
        covered: (Vec<WriteId>, Vec<(WriteId, u64)>),
    ) {
        self.next_write += 1;
        let write = WriteId(((self.me as u64) << 40) | self.next_write);
        let size = self.plan.value_bytes.sample(api.rng()).clamp(0.0, u32::MAX as f64) as u32;
        let value = Value::plain(write, size, kind == OpKind::Delete);
        self.registry.borrow_mut().record(write, content);
        self.keys.note_write(key);
        let invoked = api.observe_time();
        let req = api.put(key, context, value, preferred);
        let (context, context_versions) = covered;
        let inflight = Inflight { kind, key, invoked, write: Some(write), context, context_versions, own_write: None };
        self.inflight.insert(req, inflight);
    }

    fn fresh_item(&mut self) -> u64 {
        self.next_item += 1;
        ((self.me as u64) << 40) | self.next_item
    }

    /// A get or put finished.
    pub fn on_completion<P: Host>(&mut self, api: &mut ClientApi<'_, '_, P, OpRecord>, done: Completion) {
        let now = api.observe_time();
        match done {
            Completion::Get { req, result } => {
                let Some(op) = self.inflight.remove(&req) else { return };
                let ok = result.as_ref().ok().cloned();
                self.record(&op, now, result.as_ref().map(|_| ()).map_err(|e| *e), ok.as_ref());
                if let Some(ok) = ok {
                    self.after_read(api, &op, ok);
                }
            }
            Completion::Put { req, result } => {
                let Some(op) = self.inflight.remove(&req) else { return };
                self.record(&op, now, result, None);
                if result.is_ok() && self.plan.spec.sessions {
                    let s = self.sessions.entry(op.key).or_default();
                    s.own_write = op.write;
                }
            }
        }
    }

    fn record(&mut self, op: &Inflight, now: SimTime, result: Result<(), OpError>, ok: Option<&GetOk>) {
        let outcome = Outcome::of(result);
        self.history.push(OpRecord {
            client: self.me,
            group: self.plan.group,
            kind: op.kind,
            key: op.key,
            invoked: op.invoked,
            completed: now,
            outcome,
            write: op.write,
            context: op.context.clone(),
            context_versions: op.context_versions.clone(),
            read: ok.map(|g| read_result(&g.versions)),
            own_write: op.own_write,
            probe_of: None,
            fastest: ok.and_then(|g| g.fastest),
        });
    }

    /// Updates the session from a read and, for a read-modify-write, writes back.
    fn after_read<P: Host>(&mut self, api: &mut ClientApi<'_, '_, P, OpRecord>, op: &Inflight, ok: GetOk) {
        let writes: Vec<WriteId> = live_writes(&ok.versions);
        let (items, resurrected) = self.merge(&writes);
        if self.plan.spec.sessions || op.kind == OpKind::RmwRead {
            let s = self.sessions.entry(op.key).or_default();
            s.context = ok.context.clone();
            s.preferred = ok.fastest;
            s.items = items.clone();
            s.context_writes = ok.versions.write_ids();
            s.context_versions = read_result(&ok.versions).versions;
        }
        if op.kind != OpKind::RmwRead {
            return;
        }
        self.counters.resurrected_items += resurrected;
        let mut content = Content { items, removed: vec![] };
        if !content.items.is_empty() && api.rng().chance(0.25) {
            let i = api.rng().index(content.items.len());
            content.removed.push(content.items.remove(i));
        } else {
            content.items.push(self.fresh_item());
            content.items.sort_unstable();
        }
        let (context, covered) = match self.plan.spec.merge {
            MergePolicy::KeepAll => (Context::empty(), (vec![], vec![])),
            _ => (ok.context, (ok.versions.write_ids(), read_result(&ok.versions).versions)),
        };
        if !self.plan.spec.sessions {
            self.sessions.remove(&op.key);
        }
        self.send_write(api, op.key, OpKind::RmwWrite, context, ok.fastest, content, covered);
    }

    /// The content a merge of these siblings gives, and resurrected items.
    fn merge(&self, writes: &[WriteId]) -> (Vec<u64>, u64) {
        let reg = self.registry.borrow();
        match self.plan.spec.merge {
            MergePolicy::Union => reg.union(writes),
            MergePolicy::LastWriterWins | MergePolicy::KeepAll => {
                let newest = writes.iter().max().and_then(|w| reg.content(*w));
                (newest.map(|c| c.items.clone()).unwrap_or_default(), 0)
            }
        }
    }
}

/// The non-tombstone writes among the siblings.
pub fn live_writes(v: &Versions) -> Vec<WriteId> {
    let mut w: Vec<WriteId> = v.siblings().iter().filter(|s| !s.value().tombstone).map(|s| s.write_id()).collect();
    w.sort_unstable();
    w.dedup();
    w
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
