//! Measurement that scales: the engine tells, nothing scans.
//!
//! [`Measure`] is the world's observer. It is told, as they happen, about every operation
//! (clients' [`OpEvent`]s), every change to what a node stores (the disk journal and the
//! storage engine's buffer notes), every stamp a coordinator makes, and every boot and crash.
//! From that alone it keeps:
//! - per operation kind and time window: outcomes and latency ([`ops`]), judged staleness and
//!   t-visibility ([`judge`]), the shapes of reads' answers, the read-by-read invariants
//!   ([`checks`]);
//! - per key ([`KeyState`]): what its writes look like ([`writes`]) and which node serves what
//!   ([`replicas`]), with whether its live replicas disagree, so divergence is a running count;
//! - at each sampling instant, the divergence count and the world's counters.
//!
//! When the run ends, durability, convergence and the final-state invariants read the index
//! for each key's holders and peek only those ([`end`]). Memory is O(keys + operations in
//! flight): nothing is kept per finished operation, except in the opt-in history.
//!
//! Cost: O(log keys) per observation, plus O(keys × N) once after each boot, crash or ring
//! change (the divergence of every key is recomputed at the next sample).
//!
//! Measurement never changes the run: it only reads what it is shown (tested: same trace hash
//! with and without it).

pub mod checks;
pub mod end;
pub mod judge;
pub mod key_table;
pub mod measured;
pub mod ops;
pub mod probes;
pub mod protocol;
pub mod replicas;
pub mod violations;
pub mod writes;

use crate::app::ClientApp;
use crate::assemble::Assembly;
use crate::history::{Invocation, OpDone, OpEvent, OpKind, OpRecord};
use crate::metrics::reach_counter::ReachCounter;
use crate::metrics::reachability::Quorums;
use crate::metrics::samples::{NodeCounters, Sample, Samples};
use crate::metrics::staleness::Verdict;
use crate::workload::provenance::{self, Provenance};
use checks::{ReadChecks, ReadSeen};
use dynamo_model::actor::{Actor, Note};
use dynamo_model::msg::{ModelNote, StoreKey, StoreRecord};
use dynamo_model::ring::{Ring, key_position};
use dynamo_model::version::VersioningMode;
use ops::{Judged, OpCounters};
use protocol::{ProtocolChecks, Stored};
use replicas::{KeyReplicas, Served};
use sim_core::observe::{Lifecycle, Observation, Observer};
use sim_core::{ProcId, SimDuration, SimTime};
use std::cell::RefCell;
use std::collections::BTreeSet;
use std::io::Write;
use std::rc::Rc;
use std::sync::Arc;
use writes::KeyWrites;

/// The process type measured.
type Proc = Actor<ClientApp>;

/// Everything measurement keeps about one key.
#[derive(Clone, Debug, Default)]
pub struct KeyState {
    /// Its writes and reads in flight.
    pub w: KeyWrites,
    /// Who serves what.
    pub r: KeyReplicas,
    /// Known to the divergence figures: a completed operation touched it, or a data record of
    /// it was on some disk at a sampling instant.
    pub known: bool,
    /// Operations on it that completed.
    pub ops: u64,
    /// Writes on it that completed and overlap the diagram's window (all of them without one).
    pub writes_in_window: u64,
    /// Its reads in flight, by (client, request): few at a time, so a short list.
    pub reads: Vec<((u32, u64), writes::ReadInFlight)>,
}

impl KeyState {
    /// Takes the read in flight of `client`'s request `req`, if it is one.
    fn take_read(&mut self, client: u32, req: u64) -> Option<writes::ReadInFlight> {
        let i = self.reads.iter().position(|(id, _)| *id == (client, req))?;
        let read = self.reads.swap_remove(i).1;
        if self.reads.is_empty() {
            // Most keys are idle most of the time: hold no capacity for them.
            self.reads = Vec::new();
        }
        Some(read)
    }

    /// Lets the kept writes go that no read in flight needs.
    fn trim(&mut self) {
        self.w.trim(self.reads.iter().map(|(_, r)| r.invoked));
    }
}

/// Where the opt-in per-operation history goes.
pub enum HistorySink {
    /// Kept in memory, in completion order (the test oracle).
    Memory(Vec<OpRecord>),
    /// Written as JSON lines.
    File(Box<dyn Write>),
}

/// What the runner tells measurement about the run.
#[derive(Clone, Debug)]
pub struct MeasureConfig {
    /// Replicas per key.
    pub n: usize,
    /// Acks a put needs.
    pub w: usize,
    /// Replies a get needs.
    pub r: usize,
    /// How clients reach replicas, for the reachability oracle.
    pub routing: crate::metrics::reachability::Routing,
    /// When the workloads stop.
    pub workload_end: SimTime,
    /// The versioning mode.
    pub versioning: VersioningMode,
    /// Storage processes (`0..nodes`).
    pub nodes: usize,
    /// Width of the report's windows.
    pub window: SimDuration,
    /// When the run ends.
    pub end: SimTime,
    /// The SLA latency.
    pub sla_ms: f64,
    /// The sampling interval.
    pub sample_interval: SimDuration,
    /// The message diagram's window, when the scenario gives one: the diagram's key is chosen
    /// among operations overlapping it.
    pub diagram_window: Option<(SimTime, SimTime)>,
    /// `replication_degree`: writes acknowledged by this instant must be on N distinct nodes of
    /// their preference list at the end (`None`: the scenario names no repair time).
    pub repair_cutoff: Option<SimTime>,
    /// The message diagram's key, when the scenario gives one.
    pub diagram_key: Option<u64>,
    /// The t-visibility grid and targets, when the scenario gives them.
    pub visibility_grid: Option<crate::metrics::VisibilityGridSpec>,
    /// The phases of the fault timeline (`metrics::phases::plan`).
    pub phases: Vec<crate::metrics::phases::Span>,
}

/// The first stale ordinary read, for choosing the message diagram.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct StaleRead {
    /// The key.
    pub key: u64,
    /// The reading client.
    pub client: u32,
    /// When it was invoked.
    pub invoked: SimTime,
    /// When it completed.
    pub completed: SimTime,
}

/// The observer that measures a run.
pub struct Measure {
    cfg: MeasureConfig,
    dvv: bool,
    keys: key_table::KeyTable,
    /// Whether each storage node is up.
    up: Vec<bool>,
    /// The ring the keys' replica lists were computed with.
    ring: Option<Arc<Ring>>,
    /// A boot, crash or ring change happened since divergence was last recomputed.
    dirty: bool,
    /// Known keys whose live replicas disagree (exact unless `dirty`).
    divergent: u64,
    known: u64,
    /// Keys that got a data record while not yet known: checked at the next sample.
    pending_known: BTreeSet<u64>,
    /// Per node: the keys it holds a buffered version of.
    buffered: Vec<BTreeSet<u64>>,
    /// Hint records present, as (key, holder, intended).
    hints: BTreeSet<(u64, u32, u32)>,
    ops: OpCounters,
    checks: ReadChecks,
    protocol: ProtocolChecks,
    history: Option<HistorySink>,
    /// The first error writing the history file.
    history_error: Option<String>,
    /// Where probe rows go (`--probes FILE`), if anywhere.
    probes: Option<Box<dyn Write>>,
    /// The first error writing the probes file.
    probes_error: Option<String>,
    first_stale: Option<StaleRead>,
    samples: Samples,
    fault_marks: (u64, u64),
    reach: ReachCounter,
}

impl Measure {
    /// Measurement of a run; `history` receives every operation's record when given.
    pub fn new(cfg: MeasureConfig, history: Option<HistorySink>) -> Self {
        Measure {
            dvv: cfg.versioning == VersioningMode::Dvv,
            keys: key_table::KeyTable::default(),
            up: vec![false; cfg.nodes],
            ring: None,
            dirty: true,
            divergent: 0,
            known: 0,
            pending_known: BTreeSet::new(),
            buffered: vec![BTreeSet::new(); cfg.nodes],
            hints: BTreeSet::new(),
            ops: OpCounters::new(cfg.window, cfg.phases.clone(), cfg.end, cfg.sla_ms, cfg.visibility_grid.clone()),
            checks: ReadChecks {
                truncation: match cfg.versioning {
                    VersioningMode::VectorClock { truncation_threshold } => Some(truncation_threshold as u32),
                    _ => None,
                },
                ..ReadChecks::default()
            },
            protocol: ProtocolChecks::new(cfg.w, cfg.versioning),
            history,
            history_error: None,
            probes: None,
            probes_error: None,
            first_stale: None,
            samples: Samples { interval: cfg.sample_interval, ..Samples::default() },
            fault_marks: (0, 0),
            reach: ReachCounter::new(
                cfg.n,
                Quorums { r: cfg.r, w: cfg.w, routing: cfg.routing },
                cfg.window,
                cfg.workload_end,
            ),
            cfg,
        }
    }

    /// Installs measurement in `asm`'s world; the returned handle reads it during and after
    /// the run.
    pub fn install(asm: &mut Assembly, cfg: MeasureConfig, history: Option<HistorySink>) -> Rc<RefCell<Measure>> {
        let mut m = Measure::new(cfg, history);
        m.ring = Some(asm.ring_now());
        let shared = Rc::new(RefCell::new(m));
        asm.world.set_observer(Box::new(Shared(shared.clone())));
        shared
    }

    fn key(&mut self, key: u64) -> &mut KeyState {
        let (ring, n, dvv) = (&self.ring, self.cfg.n, self.dvv);
        self.keys.get_or_insert_with(key, || {
            let mut st = KeyState { w: KeyWrites::new(dvv), ..KeyState::default() };
            if let Some(ring) = ring {
                let mut list = Vec::new();
                ring.preference_list(key_position(key), n, &mut list);
                st.r.replicas = list.into_boxed_slice();
            }
            st
        })
    }

    /// Recomputes whether `key`'s live replicas disagree, keeping the running count.
    fn refresh(&mut self, key: u64) {
        if self.dirty {
            return;
        }
        let up = &self.up;
        let Some(st) = self.keys.get_mut(key) else { return };
        let now = !st.r.live_replicas_agree(up);
        if now != st.r.divergent && st.known {
            if now { self.divergent += 1 } else { self.divergent -= 1 }
        }
        st.r.divergent = now;
    }

    fn mark_known(&mut self, key: u64) {
        let Some(st) = self.keys.get_mut(key) else { return };
        if !st.known {
            st.known = true;
            self.known += 1;
            self.divergent += u64::from(st.r.divergent && !self.dirty);
        }
    }

    fn on_lifecycle(&mut self, p: ProcId, l: Lifecycle) {
        if p.index() >= self.cfg.nodes {
            if l == Lifecycle::Crashed {
                self.client_crashed(p.0);
            }
            return;
        }
        self.up[p.index()] = l == Lifecycle::Booted;
        self.dirty = true;
        if l == Lifecycle::Crashed {
            self.protocol.on_crash(p.0);
            for key in std::mem::take(&mut self.buffered[p.index()]) {
                self.key(key).r.set_buffer(p.0, None);
            }
        }
    }

    /// A crashed client's reads never complete: forget them.
    /// O(keys), but clients crash rarely.
    fn client_crashed(&mut self, client: u32) {
        for (_, st) in self.keys.iter_mut() {
            let before = st.reads.len();
            st.reads.retain(|((c, _), _)| *c != client);
            if st.reads.len() != before {
                st.trim();
            }
        }
    }

    fn on_disk_key(&mut self, ev: &Observation<'_, Proc>, k: &StoreKey) {
        let (p, disk) = (ev.proc, ev.disk);
        match *k {
            StoreKey::Data(key) => {
                let record = disk.peek(k);
                let now = served_over(buffered(ev.process, key), &record);
                self.protocol.on_data(&Stored { at: ev.time, node: p.0, key, served: now.as_ref() });
                let served = match record {
                    Ok(Some(StoreRecord::Versions(v))) => Some(Served::Digest(v.digest())),
                    Ok(Some(_)) => Some(Served::Digest(replicas::empty_digest())),
                    Ok(None) => None,
                    Err(_) => Some(Served::Corrupt),
                };
                let st = self.key(key);
                st.r.set_disk(p.0, served);
                if served.is_some() && !st.known {
                    self.pending_known.insert(key);
                }
                self.refresh(key);
            }
            StoreKey::Hint { key, intended } => {
                self.key(key);
                let record = disk.peek(k);
                let content = match &record {
                    Ok(Some(StoreRecord::Versions(v))) => Some(v),
                    _ => None,
                };
                // Only a live handler's delete is a removal; a crash, wipe or corruption loses it.
                let by_handler = matches!(record, Ok(None)) && ev.process.is_some() && ev.lifecycle.is_none();
                let at = Stored { at: ev.time, node: p.0, key, served: None };
                self.protocol.on_hint(&at, intended.0, content, by_handler);
                if content.is_some() {
                    self.hints.insert((key, p.0, intended.0));
                } else {
                    self.hints.remove(&(key, p.0, intended.0));
                }
            }
            StoreKey::Epochs | StoreKey::KeyActors(_) | StoreKey::Member(_) => {}
        }
    }

    fn on_model_note(&mut self, ev: &Observation<'_, Proc>, note: &ModelNote) {
        let (p, process) = (ev.proc, ev.process);
        let stores = p.index() < self.cfg.nodes;
        let now = match note {
            ModelNote::Buffered { key }
            | ModelNote::Stamped { key, .. }
            | ModelNote::Repair { key, .. }
            | ModelNote::ReplicaStored { key, .. }
                if stores =>
            {
                served(process, ev.disk, *key)
            }
            _ => None,
        };
        let key = match note {
            ModelNote::Buffered { key } | ModelNote::Stamped { key, .. } => *key,
            _ => 0,
        };
        let at = Stored { at: ev.time, node: p.0, key, served: now.as_ref() };
        match note {
            ModelNote::Buffered { .. } => self.protocol.on_data(&at),
            ModelNote::Stamped { value, .. } if self.completed(key, value) => {}
            _ => self.protocol.on_note(&at, note),
        }
        match note {
            ModelNote::Buffered { key } => {
                let held = process.and_then(Actor::as_node).and_then(|n| n.storage().buffered(*key));
                let digest = held.map(dynamo_model::version::Versions::digest);
                if p.index() < self.cfg.nodes {
                    if digest.is_some() {
                        self.buffered[p.index()].insert(*key);
                    } else {
                        self.buffered[p.index()].remove(key);
                    }
                }
                self.key(*key).r.set_buffer(p.0, digest);
                self.refresh(*key);
            }
            ModelNote::Stamped { key, value, .. } => {
                if self.dvv
                    && let Some(prov) = provenance::of(value)
                {
                    self.key(*key).w.stamped(prov.seq);
                }
            }
            ModelNote::ReadAnswered { key, client, req, replies } => {
                if self.probes.is_some()
                    && let Some(st) = self.keys.get_mut(*key)
                    && let Some((_, read)) = st.reads.iter_mut().find(|(id, _)| *id == (client.0, *req))
                    && read.replies.is_none()
                {
                    read.replies = Some(replies.clone());
                }
            }
            ModelNote::PutAnswered { .. }
            | ModelNote::Responder { .. }
            | ModelNote::GetAnswered { .. }
            | ModelNote::Repair { .. }
            | ModelNote::ReplicaStored { .. } => {}
        }
    }

    /// Streams probe rows to `sink` from now on (`dynsim run --probes FILE`).
    pub fn set_probe_sink(&mut self, sink: Box<dyn Write>) {
        self.probes = Some(sink);
    }

    /// Writes the row of a probe read that just completed (`verdict`: its staleness verdict,
    /// for a successful read).
    fn probe_row(&mut self, d: &OpDone, read: &writes::ReadInFlight, verdict: Option<Verdict>) {
        let Some(sink) = self.probes.as_mut() else { return };
        let write = d.probe_of.map_or(0, |w| w.0);
        let committed = self
            .keys
            .get(d.key)
            .and_then(|st| st.w.recent().iter().find(|a| Some(a.write) == d.probe_of).map(|a| a.completed));
        let replicas = match (&read.replies, d.ok()) {
            (Some(r), true) => r.iter().map(|(n, v)| probes::ReplicaHeld::of(*n, v)).collect(),
            _ => Vec::new(),
        };
        let row = probes::ProbeRow {
            key: d.key,
            write,
            client: d.client,
            write_committed_ms: committed.map(probes::ms),
            read_invoked_ms: probes::ms(d.invoked),
            read_completed_ms: probes::ms(d.completed),
            t_ms: committed.map(|c| probes::span_ms(d.invoked - c)),
            ok: d.ok(),
            fresh: verdict.map(|v| !v.stale),
            k: verdict.map(|v| v.behind),
            replicas,
        };
        let line = serde_json::to_string(&row).expect("a probe row always serializes");
        if let Err(e) = writeln!(sink, "{line}") {
            self.probes_error.get_or_insert(e.to_string());
        }
    }

    /// Whether the client of the write `value` of `key` already has its answer (a coordinator
    /// that stamps it now was re-forwarded the put too late to matter).
    fn completed(&self, key: u64, value: &dynamo_model::version::Value) -> bool {
        let (Some(p), Some(st)) = (provenance::of(value), self.keys.get(key)) else { return false };
        st.w.acked.contains(p.seq) || st.w.failed.contains(p.seq)
    }

    fn on_invoked(&mut self, i: &Invocation) {
        let st = self.key(i.key);
        if i.write.is_some() {
            st.w.write_invoked(i.at);
        } else {
            let read = st.w.read_invoked(i.at);
            st.reads.push(((i.client, i.req), read));
        }
    }

    fn on_done(&mut self, d: &OpDone) {
        let in_window = self.cfg.diagram_window.is_none_or(|(a, b)| d.completed >= a && d.invoked <= b);
        let st = self.key(d.key);
        st.ops += 1;
        st.writes_in_window += u64::from(in_window && !d.kind.is_read());
        let mut judged = Judged::default();
        if let Some(p) = &d.write {
            self.protocol.on_write_done(d.key, p.write);
            let st = self.key(d.key);
            st.w.write_done(p, d.kind, d.completed, d.ok());
            st.trim();
        } else if let Some(read) = self.key(d.key).take_read(d.client, d.req) {
            let mut verdict = None;
            if let Some(versions) = &d.read {
                (judged, verdict) = self.judge_read(d, versions, &read, in_window);
            }
            if d.kind == OpKind::ProbeRead {
                self.probe_row(d, &read, verdict);
            }
            self.key(d.key).trim();
        }
        self.ops.add(d.kind, d.invoked, d.completed, d.ok(), &judged);
        self.mark_known(d.key);
        if let Some(h) = &mut self.history
            && let Err(e) = record(h, d)
        {
            self.history_error.get_or_insert(e.to_string());
        }
    }

    fn judge_read(
        &mut self,
        d: &OpDone,
        versions: &dynamo_model::version::Versions,
        read: &writes::ReadInFlight,
        in_window: bool,
    ) -> (Judged, Option<Verdict>) {
        let mut returned: Vec<&Provenance> =
            versions.siblings().iter().filter_map(|s| provenance::of(s.value()).map(|p| &**p)).collect();
        returned.sort_unstable_by_key(|p| p.write);
        returned.dedup_by_key(|p| p.write);
        let st = self.keys.get(d.key).expect("the key of an operation is tracked");
        let verdict = judge::staleness(&st.w, d.invoked, &returned);
        let stale_missed = verdict.stale.then(|| judge::prior_write(&st.w, d.invoked)).flatten();
        let bound =
            read.before.as_ref().map(|b| judge::sibling_bound(&st.w, b, d.completed, versions.len(), &returned));
        // Only `context_dominates` reads the exact versions, and only for a returned write put
        // with a context: blind puts need no digests.
        let exact: Vec<(dynamo_model::version::WriteId, u64)> =
            if returned.iter().any(|p| !p.context_versions.is_empty()) {
                versions.siblings().iter().map(|s| (s.write_id(), crate::workload::client::sibling_digest(s))).collect()
            } else {
                Vec::new()
            };
        let seen = ReadSeen { op: d, versions, exact: &exact, returned: &returned };
        self.checks.on_read(&seen, stale_missed, bound, st.w.restamped());
        let mut j = Judged {
            shape: Some((versions.write_ids().len() as u64, versions.len() as u64, versions.max_clock_len() as u32)),
            ..Judged::default()
        };
        if ops::judged_for_staleness(d.kind) {
            j.verdict = Some(verdict);
            let this = StaleRead { key: d.key, client: d.client, invoked: d.invoked, completed: d.completed };
            let earlier =
                |f: &StaleRead| (this.invoked, this.client, this.completed) < (f.invoked, f.client, f.completed);
            if verdict.stale && in_window && self.first_stale.as_ref().is_none_or(earlier) {
                self.first_stale = Some(this);
            }
        }
        if d.kind == OpKind::ProbeRead
            && let Some(target) = d.probe_of
            && let Some(w) = st.w.recent().iter().find(|a| a.write == target)
        {
            j.probe = Some((d.invoked - w.completed, returned.iter().any(|p| p.covers(w.seq))));
        }
        (j, Some(verdict))
    }

    /// Takes one sample: the divergence count, the keys known and the world's counters.
    pub fn sample(&mut self, asm: &Assembly) {
        self.settle(asm);
        for key in std::mem::take(&mut self.pending_known) {
            let has_record = self.keys.get(key).is_some_and(|st| st.r.holders().any(|n| st.r.has_disk_record(n)));
            if has_record {
                self.mark_known(key);
            }
        }
        let t = asm.world.now();
        if let Some(ring) = &self.ring {
            let clients = asm.clients.iter().filter(|(p, _)| asm.world.is_up(*p)).map(|(p, _)| p.0);
            let blocked = asm.world.net().blocked_links().map(|(a, b)| (a.0, b.0));
            self.reach.sample(t, &self.up, clients, blocked, ring);
        }
        let counters: Vec<NodeCounters> =
            (0..asm.nodes as u32).map(|i| NodeCounters::of(asm.world.counters(ProcId(i)))).collect();
        let stats = asm.world.stats();
        let marks = (stats.faults_applied, stats.restarts);
        if marks != self.fault_marks {
            self.fault_marks = marks;
            self.samples.last_fault_seen = Some(t);
        }
        self.samples.points.push(Sample {
            t,
            keys: self.known,
            divergent: self.divergent,
            requests: counters.iter().map(NodeCounters::requests).collect(),
            totals: counters.iter().fold(NodeCounters::default(), |mut sum, c| {
                sum.add(c);
                sum
            }),
        });
    }

    /// Brings the replica lists up to the ring the cluster uses now and, after a boot, crash or
    /// ring change, recomputes every key's divergence.
    pub(crate) fn settle(&mut self, asm: &Assembly) {
        let ring = asm.ring_now();
        if !self.ring.as_ref().is_some_and(|r| Arc::ptr_eq(r, &ring)) {
            let mut list = Vec::new();
            for (key, st) in self.keys.iter_mut() {
                ring.preference_list(key_position(key), self.cfg.n, &mut list);
                st.r.replicas = list.as_slice().into();
            }
            self.ring = Some(ring);
            self.dirty = true;
        }
        if self.dirty {
            self.divergent = 0;
            for (_, st) in self.keys.iter_mut() {
                st.r.divergent = !st.r.live_replicas_agree(&self.up);
                self.divergent += u64::from(st.r.divergent && st.known);
            }
            self.dirty = false;
        }
    }

    /// The operations recorded so far, in completion order, when the history is kept in memory.
    pub fn history_so_far(&self) -> Option<&[OpRecord]> {
        match &self.history {
            Some(HistorySink::Memory(h)) => Some(h),
            _ => None,
        }
    }

    /// The sampling interval.
    pub fn sample_interval(&self) -> SimDuration {
        self.cfg.sample_interval
    }

    /// Records held (for the memory test): acknowledged writes kept over every key plus reads
    /// in flight; and the number of keys.
    pub fn held_records(&self) -> (usize, usize) {
        (self.keys.values().map(|k| k.w.held_records() + k.reads.len()).sum::<usize>(), self.keys.len())
    }
}

/// What a storage node serves for `key` now from its main store (its buffer over its disk
/// record; nothing is the empty set), or `None` when the record is corrupt.
fn served(
    process: Option<&Proc>,
    disk: &sim_core::disk::Disk<StoreKey, StoreRecord>,
    key: u64,
) -> Option<dynamo_model::version::Versions> {
    match buffered(process, key) {
        Some(v) => Some(v.clone()),
        None => served_over(None, &disk.peek(&StoreKey::Data(key))),
    }
}

/// What storage node `process` holds buffered for `key`, if anything.
fn buffered(process: Option<&Proc>, key: u64) -> Option<&dynamo_model::version::Versions> {
    process.and_then(Actor::as_node).and_then(|n| n.storage().buffered(key))
}

/// [`served`], given the buffered versions and the disk record (so a caller that already read
/// the record does not read it twice).
fn served_over(
    buffered: Option<&dynamo_model::version::Versions>,
    record: &Result<Option<&StoreRecord>, sim_core::disk::DiskError>,
) -> Option<dynamo_model::version::Versions> {
    if let Some(v) = buffered {
        return Some(v.clone());
    }
    match record {
        Ok(Some(StoreRecord::Versions(v))) => Some(v.clone()),
        Ok(_) => Some(dynamo_model::version::Versions::new()),
        Err(_) => None,
    }
}

/// Hands one operation's record to the history sink.
fn record(h: &mut HistorySink, d: &OpDone) -> std::io::Result<()> {
    match h {
        HistorySink::Memory(v) => v.push(d.to_record()),
        HistorySink::File(w) => {
            let line = serde_json::to_string(&d.to_record()).expect("a record always serializes");
            writeln!(w, "{line}")?;
        }
    }
    Ok(())
}

/// The world holds measurement through this handle; the runner keeps another.
struct Shared(Rc<RefCell<Measure>>);

impl Observer<Proc> for Shared {
    fn observe(&mut self, ev: &Observation<'_, Proc>) {
        let mut m = self.0.borrow_mut();
        if let Some(l) = ev.lifecycle
            && l == Lifecycle::Crashed
        {
            m.on_lifecycle(ev.proc, l);
        }
        for k in ev.disk_keys {
            m.on_disk_key(ev, k);
        }
        for note in ev.notes {
            match note {
                Note::Model(n) => m.on_model_note(ev, n),
                Note::App(OpEvent::Invoked(i)) => m.on_invoked(i),
                Note::App(OpEvent::Done(d)) => m.on_done(d),
            }
        }
        if ev.lifecycle == Some(Lifecycle::Booted) {
            m.on_lifecycle(ev.proc, Lifecycle::Booted);
        }
    }
}
