//! The world: the single-threaded event loop that drives processes over the simulated network,
//! disks and clocks, applies faults, and keeps the trace hash.
//!
//! Invariants kept here:
//! - events run in `(time, seq)` order and time never goes backwards;
//! - a process handles one event at a time; while it is busy (its service time has not ended)
//!   or paused, arriving events wait in its FIFO inbox, and a `Drain` event is pending whenever
//!   a live, unpaused process has a non-empty inbox;
//! - a crash bumps the process's incarnation; timers and in-flight messages addressed to an
//!   older incarnation are dropped, and so are messages whose sender died before they left.

use crate::chaos::{ChaosError, ChaosEvent, ChaosState};
use crate::clock::{Clock, ClockConfig, ClockError};
use crate::counter::CounterSet;
use crate::disk::{Disk, DiskConfig, DiskConfigError, DiskModel};
use crate::dist::{Dist, DistError, DistSpec};
use crate::fault::{ChaosConfig, Fault, FaultError};
use crate::id::ProcId;
use crate::json_path::JsonPath;
use crate::net::{DropReason, NetConfig, NetError, Network, Route};
use crate::observe::{Lifecycle, Observation, Observer};
use crate::process::{Boot, Ctx, Message, Process};
use crate::queue::EventQueue;
use crate::rng::SimRng;
use crate::time::{SimDuration, SimTime};
use crate::topology::{Placement, Topology};
use crate::trace::{TraceHash, TraceRecord, TraceSink, TraceWhat};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, VecDeque};

/// CPU cost of handling events, in milliseconds.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, default)]
pub struct CpuConfig {
    /// Cost of handling a message of each named kind. Kinds not listed use `message_ms`.
    pub by_kind_ms: BTreeMap<String, DistSpec>,
    /// Cost of handling any other message. Default: free.
    pub message_ms: Option<DistSpec>,
    /// Cost of handling a timer. Default: free.
    pub timer_ms: Option<DistSpec>,
}

/// Everything the engine needs besides the processes themselves.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, default)]
pub struct WorldConfig {
    /// The run's one seed.
    pub seed: u64,
    /// The network.
    pub net: NetConfig,
    /// Every process's disk.
    pub disk: DiskConfig,
    /// CPU costs.
    pub cpu: CpuConfig,
    /// Initial clock state per process id; processes not listed have perfect clocks.
    pub clocks: BTreeMap<u32, ClockConfig>,
}

/// Why a world could not be built or a fault could not be scheduled.
#[derive(Debug, thiserror::Error)]
pub enum WorldError {
    /// Bad network settings.
    #[error("net.{0}")]
    Net(#[from] NetError),
    /// Bad disk settings.
    #[error("disk.{0}")]
    Disk(#[from] DiskConfigError),
    /// Bad clock settings.
    #[error("clocks.{proc}.{}: {source}", source.field())]
    Clock {
        /// The process.
        proc: u32,
        /// What is wrong.
        source: ClockError,
    },
    /// Bad CPU cost settings.
    #[error("cpu.{field}.{source}")]
    Cpu {
        /// The field, relative to the [`CpuConfig`].
        field: JsonPath,
        /// What is wrong.
        source: DistError,
    },
    /// A setting names a message kind the process type does not have.
    #[error("{}: {}", self.path(), self.message())]
    UnknownKind {
        /// The name given.
        name: String,
        /// Known kinds.
        known: String,
    },
    /// A setting or fault names a process that does not exist.
    #[error("process {proc} does not exist (there are {procs})")]
    UnknownProc {
        /// The bad id.
        proc: ProcId,
        /// How many exist.
        procs: usize,
    },
    /// A fault's parameters are invalid.
    #[error(transparent)]
    Fault(#[from] FaultError),
    /// The chaos generators' settings are invalid.
    #[error("chaos.{0}")]
    Chaos(#[from] ChaosError),
}

impl WorldError {
    /// Where the problem is: a path into the [`WorldConfig`] for [`World::new`] (`net.loss`,
    /// `clocks.3.drift_ppm`), under `chaos` for [`World::set_chaos`], into the fault's own
    /// parameters for [`World::schedule_fault`]; the top level for a process that does not
    /// exist.
    pub fn path(&self) -> JsonPath {
        let root = JsonPath::root;
        match self {
            WorldError::Net(e) => root().field("net").join(&e.path()),
            WorldError::Disk(e) => root().field("disk").join(&e.path()),
            WorldError::Clock { proc, source } => root().field("clocks").field(proc.to_string()).field(source.field()),
            WorldError::Cpu { field, source } => root().field("cpu").join(field).join(&source.path),
            WorldError::UnknownKind { .. } => root().field("cpu").field("by_kind_ms"),
            WorldError::UnknownProc { .. } => root(),
            WorldError::Fault(e) => e.path(),
            WorldError::Chaos(e) => root().field("chaos").join(&e.path()),
        }
    }

    /// What is wrong, without the path.
    pub fn message(&self) -> String {
        match self {
            WorldError::Net(e) => e.message(),
            WorldError::Disk(e) => e.message(),
            WorldError::Clock { source, .. } => source.to_string(),
            WorldError::Cpu { source, .. } => source.problem.to_string(),
            WorldError::UnknownKind { name, known } => format!("unknown message kind {name:?}; known kinds: {known}"),
            WorldError::UnknownProc { .. } => self.to_string(),
            WorldError::Fault(e) => e.message(),
            WorldError::Chaos(e) => e.message(),
        }
    }
}

/// Counters of what the engine did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct WorldStats {
    /// Events popped from the queue.
    pub popped: u64,
    /// Messages handled by processes.
    pub messages_handled: u64,
    /// Timers handled by processes.
    pub timers_handled: u64,
    /// Timers discarded because their process crashed.
    pub timers_dropped: u64,
    /// Faults applied (timeline and chaos).
    pub faults_applied: u64,
    /// Crashes.
    pub crashes: u64,
    /// Restarts.
    pub restarts: u64,
}

/// A queued event.
pub(crate) enum Event<P: Process> {
    Deliver { from: ProcId, to: ProcId, from_inc: u32, to_inc: u32, depart: SimTime, msg: P::Msg },
    Inject { to: ProcId, msg: P::Msg },
    Timer { proc: ProcId, inc: u32, timer: P::Timer },
    Drain { proc: ProcId, inc: u32 },
    Restart { proc: ProcId, inc: u32 },
    Resume { proc: ProcId, inc: u32, pause: u32 },
    Fault(u32),
    Chaos(ChaosEvent),
}

enum Input<P: Process> {
    Msg { from: ProcId, msg: P::Msg },
    Timer(P::Timer),
}

struct Held<P: Process> {
    from: ProcId,
    to: ProcId,
    from_inc: u32,
    to_inc: u32,
    depart: SimTime,
    msg: P::Msg,
}

#[derive(Clone, Debug, Default)]
struct ProcState {
    up: bool,
    paused: bool,
    /// Pauses so far; a timed resume only ends the pause that scheduled it.
    pauses: u32,
    inc: u32,
    busy_until: SimTime,
    died_at: Vec<SimTime>,
}

/// A simulated world of processes of type `P`.
pub struct World<P: Process> {
    now: SimTime,
    queue: EventQueue<Event<P>>,
    procs: Vec<Option<P>>,
    states: Vec<ProcState>,
    inboxes: Vec<VecDeque<Input<P>>>,
    disks: Vec<Disk<P::DiskKey, P::DiskValue>>,
    clocks: Vec<Clock>,
    rngs: Vec<SimRng>,
    cpu_rngs: Vec<SimRng>,
    cpu_msg: Vec<Option<Dist>>,
    cpu_timer: Option<Dist>,
    /// True when no CPU cost is configured at all, so handlers skip the per-event lookup.
    cpu_free: bool,
    net: Network,
    outbox: Vec<(ProcId, P::Msg)>,
    held: Vec<Held<P>>,
    boot: Box<dyn Boot<P>>,
    faults: Vec<Fault>,
    chaos: Option<ChaosState>,
    seed: u64,
    hash: TraceHash,
    sink: Option<Box<dyn TraceSink>>,
    stats: WorldStats,
    /// Every process's counters, `P::Counter::DEFS.len()` slots per process, kept across
    /// incarnations.
    counters: Vec<u64>,
    /// The observer, when one is installed, and the notes of the event being handled.
    observer: Option<Box<dyn Observer<P>>>,
    notes: Vec<P::Note>,
}

const TAG_MSG: u64 = 1;
const TAG_TIMER: u64 = 2;
const TAG_FAULT: u64 = 3;

impl<P: Process + 'static> World<P> {
    /// Builds a world with one process per placement and boots every process at time zero.
    pub fn new(cfg: &WorldConfig, places: Vec<Placement>, boot: impl Boot<P> + 'static) -> Result<Self, WorldError> {
        let n = places.len();
        let kinds = <P::Msg as Message>::KINDS;
        let net = Network::new(&cfg.net, Topology::new(places), kinds, SimRng::stream(cfg.seed, "net"))?;
        let disk_model = DiskModel::new(&cfg.disk)?;
        let clocks = build_clocks(cfg, n)?;
        let (cpu_msg, cpu_timer) = build_cpu(&cfg.cpu, kinds)?;
        let cpu_free = cpu_msg.iter().all(Option::is_none) && cpu_timer.is_none();
        let per_proc = |label: &str| -> Vec<SimRng> {
            (0..n).map(|i| SimRng::stream(cfg.seed, &format!("{label}/{i}"))).collect()
        };
        let disks = per_proc("disk").into_iter().map(|r| Disk::new(disk_model.clone(), r)).collect();
        let mut world = World {
            now: SimTime::ZERO,
            queue: EventQueue::with_capacity(4096),
            procs: (0..n).map(|_| None).collect(),
            states: vec![ProcState::default(); n],
            inboxes: (0..n).map(|_| VecDeque::new()).collect(),
            disks,
            clocks,
            rngs: per_proc("proc"),
            cpu_rngs: per_proc("cpu"),
            cpu_msg,
            cpu_free,
            cpu_timer,
            net,
            outbox: Vec::with_capacity(64),
            held: Vec::new(),
            boot: Box::new(boot),
            faults: Vec::new(),
            chaos: None,
            seed: cfg.seed,
            hash: TraceHash::default(),
            sink: None,
            stats: WorldStats::default(),
            counters: vec![0; n * <P::Counter as CounterSet>::DEFS.len()],
            observer: None,
            notes: Vec::new(),
        };
        for i in 0..n {
            world.start_proc(ProcId(i as u32));
        }
        Ok(world)
    }

    /// The run's seed.
    pub fn seed(&self) -> u64 {
        self.seed
    }

    /// True time now.
    pub fn now(&self) -> SimTime {
        self.now
    }

    /// Number of processes.
    pub fn len(&self) -> usize {
        self.procs.len()
    }

    /// True when the world has no process.
    pub fn is_empty(&self) -> bool {
        self.procs.is_empty()
    }

    /// The running process `id`, or `None` while it is down.
    pub fn process(&self, id: ProcId) -> Option<&P> {
        self.procs.get(id.index())?.as_ref()
    }

    /// Process `id`'s disk (world inspection: checkers read replica state through it).
    pub fn disk(&self, id: ProcId) -> &Disk<P::DiskKey, P::DiskValue> {
        &self.disks[id.index()]
    }

    /// True while process `id` is up (possibly paused).
    pub fn is_up(&self, id: ProcId) -> bool {
        self.states[id.index()].up
    }

    /// True while process `id` is paused.
    pub fn is_paused(&self, id: ProcId) -> bool {
        self.states[id.index()].paused
    }

    /// Process `id`'s local clock reading now.
    pub fn local_time(&self, id: ProcId) -> SimTime {
        self.clocks[id.index()].local(self.now)
    }

    /// The network (counters, topology, partition state).
    pub fn net(&self) -> &Network {
        &self.net
    }

    /// The trace hash so far.
    pub fn trace_hash(&self) -> TraceHash {
        self.hash
    }

    /// Engine counters.
    pub fn stats(&self) -> WorldStats {
        self.stats
    }

    /// Process `id`'s counters, summed over its incarnations, in `P::Counter::DEFS` order.
    pub fn counters(&self, id: ProcId) -> &[u64] {
        let n = <P::Counter as CounterSet>::DEFS.len();
        &self.counters[id.index() * n..(id.index() + 1) * n]
    }

    /// Installs an observer (see [`crate::observe`]) and turns on every disk's change journal.
    /// Install it before the run starts: it is told about changes from then on, and first
    /// with a [`Lifecycle::Booted`] observation of every process that is up.
    pub fn set_observer(&mut self, observer: Box<dyn Observer<P>>) {
        self.observer = Some(observer);
        for i in 0..self.procs.len() {
            self.disks[i].set_journal(true);
            if self.states[i].up {
                self.observe(ProcId(i as u32), Some(Lifecycle::Booted));
            }
        }
    }

    /// Removes and returns the observer (and turns the disk journals off).
    pub fn take_observer(&mut self) -> Option<Box<dyn Observer<P>>> {
        for d in &mut self.disks {
            d.set_journal(false);
        }
        self.observer.take()
    }

    /// Tells the observer what the last event changed at `p`: its notes, the disk keys it
    /// touched, and a boot or crash. Nothing is called when nothing changed.
    fn observe(&mut self, p: ProcId, lifecycle: Option<Lifecycle>) {
        let Some(observer) = self.observer.as_mut() else { return };
        let i = p.index();
        if lifecycle.is_none() && self.notes.is_empty() && self.disks[i].journal_is_empty() {
            return;
        }
        let keys = self.disks[i].take_journal();
        let ev = Observation {
            time: self.now,
            proc: p,
            process: self.procs[i].as_ref(),
            disk: &self.disks[i],
            notes: &self.notes,
            disk_keys: &keys,
            lifecycle,
        };
        observer.observe(&ev);
        self.notes.clear();
        self.disks[i].return_journal(keys);
    }

    /// Events still pending.
    pub fn pending(&self) -> usize {
        self.queue.len()
    }

    /// Installs a structured trace sink (see [`crate::trace::JsonlTrace`]).
    pub fn set_trace_sink(&mut self, sink: Box<dyn TraceSink>) {
        self.sink = Some(sink);
    }

    /// Removes and returns the trace sink.
    pub fn take_trace_sink(&mut self) -> Option<Box<dyn TraceSink>> {
        self.sink.take()
    }

    /// Delivers `msg` to process `to` at time `at`, as if `to` had sent it to itself (an
    /// operator command or an external request). It travels no network. It reaches whichever
    /// incarnation of `to` is up at `at`, and is dropped (as a crash drop) if `to` is down then.
    pub fn inject(&mut self, at: SimTime, to: ProcId, msg: P::Msg) -> Result<(), WorldError> {
        self.check_proc(to)?;
        self.queue.push(at.max(self.now), Event::Inject { to, msg });
        Ok(())
    }

    /// Schedules a fault at time `at`, checking its parameters now.
    pub fn schedule_fault(&mut self, at: SimTime, fault: Fault) -> Result<(), WorldError> {
        self.validate_fault(&fault)?;
        self.faults.push(fault);
        let idx = (self.faults.len() - 1) as u32;
        self.queue.push(at.max(self.now), Event::Fault(idx));
        Ok(())
    }

    /// Starts the seeded chaos generators.
    pub fn set_chaos(&mut self, cfg: &ChaosConfig) -> Result<(), WorldError> {
        let (state, first) = ChaosState::new(cfg, self.seed, self.procs.len())?;
        self.chaos = Some(state);
        for (at, ev) in first {
            self.queue.push(at, Event::Chaos(ev));
        }
        Ok(())
    }

    /// Runs one event; returns false when none is left.
    pub fn step(&mut self) -> bool {
        let Some((t, ev)) = self.queue.pop() else { return false };
        debug_assert!(t >= self.now, "time went backwards");
        self.now = t;
        self.stats.popped += 1;
        self.dispatch(ev);
        true
    }

    /// Runs every event up to and including time `until`; then sets the clock to `until`.
    pub fn run_until(&mut self, until: SimTime) {
        while self.queue.peek_time().is_some_and(|t| t <= until) {
            self.step();
        }
        self.now = self.now.max(until);
    }

    /// Like [`World::run_until`], but stops before handling an event once `max_popped` events
    /// have been handled in the whole run; returns whether it reached `until` (a run stopped
    /// early keeps its clock at the last event handled).
    pub fn run_until_capped(&mut self, until: SimTime, max_popped: u64) -> bool {
        while self.queue.peek_time().is_some_and(|t| t <= until) {
            if self.stats.popped >= max_popped {
                return false;
            }
            self.step();
        }
        self.now = self.now.max(until);
        true
    }

    /// Runs until no event is left.
    pub fn run(&mut self) {
        while self.step() {}
    }

    #[inline]
    fn dispatch(&mut self, ev: Event<P>) {
        match ev {
            Event::Deliver { from, to, from_inc, to_inc, depart, msg } => {
                self.on_deliver(from, to, from_inc, to_inc, depart, msg)
            }
            Event::Inject { to, msg } => {
                let inc = self.states[to.index()].inc;
                self.on_deliver(to, to, inc, inc, self.now, msg)
            }
            Event::Timer { proc, inc, timer } => self.on_timer(proc, inc, timer),
            Event::Drain { proc, inc } => {
                if self.states[proc.index()].inc == inc {
                    self.drain(proc);
                }
            }
            Event::Restart { proc, inc } => {
                if self.states[proc.index()].inc == inc {
                    self.restart(proc);
                }
            }
            Event::Resume { proc, inc, pause } => {
                let st = &self.states[proc.index()];
                if st.inc == inc && st.pauses == pause {
                    self.resume(proc);
                }
            }
            Event::Fault(idx) => {
                let fault = self.faults[idx as usize].clone();
                self.apply_fault(&fault);
            }
            Event::Chaos(ev) => self.on_chaos(ev),
        }
    }

    #[inline(always)]
    fn on_deliver(&mut self, from: ProcId, to: ProcId, from_inc: u32, to_inc: u32, depart: SimTime, msg: P::Msg) {
        let kind = msg.kind();
        let sender = &self.states[from.index()];
        let sender_died_first = sender.inc != from_inc && sender.died_at[from_inc as usize] < depart;
        let st = &self.states[to.index()];
        if sender_died_first || !st.up || st.inc != to_inc {
            self.net.count_crash_drop(kind);
            self.trace_drop(from, to, &msg, DropReason::Crash);
            return;
        }
        self.net.count_delivered(kind, msg.size_bytes());
        self.accept(to, Input::Msg { from, msg });
    }

    fn on_timer(&mut self, proc: ProcId, inc: u32, timer: P::Timer) {
        let st = &self.states[proc.index()];
        if !st.up || st.inc != inc {
            self.stats.timers_dropped += 1;
            return;
        }
        self.accept(proc, Input::Timer(timer));
    }

    /// Handles the input now if the process is idle, or queues it in its inbox.
    #[inline]
    fn accept(&mut self, p: ProcId, input: Input<P>) {
        let st = &self.states[p.index()];
        let inbox = &mut self.inboxes[p.index()];
        if st.paused || st.busy_until > self.now || !inbox.is_empty() {
            inbox.push_back(input);
        } else {
            self.handle(p, input);
        }
    }

    /// Works through the inbox until it is empty, the process is busy, or it is paused.
    fn drain(&mut self, p: ProcId) {
        loop {
            let st = &self.states[p.index()];
            if !st.up || st.paused || st.busy_until > self.now {
                return;
            }
            let Some(input) = self.inboxes[p.index()].pop_front() else { return };
            self.handle(p, input);
        }
    }

    /// Runs one handler and charges its service time.
    #[inline]
    fn handle(&mut self, p: ProcId, input: Input<P>) {
        let i = p.index();
        let cost = self.cpu_cost(i, &input);
        self.trace_input(p, &input);
        let Some(proc) = self.procs[i].as_mut() else {
            debug_assert!(false, "handling an event for a down process");
            return;
        };
        let clock = &self.clocks[i];
        let mut ctx = Ctx {
            me: p,
            true_now: self.now,
            local: clock.local(self.now),
            incarnation: self.states[i].inc,
            rate: clock,
            rng: &mut self.rngs[i],
            disk: &mut self.disks[i],
            queue: &mut self.queue,
            outbox: &mut self.outbox,
            service: cost,
            counters: counters_of::<P>(&mut self.counters, i),
            notes: self.observer.is_some().then_some(&mut self.notes),
        };
        match input {
            Input::Msg { from, msg } => {
                self.stats.messages_handled += 1;
                proc.on_message(&mut ctx, from, msg)
            }
            Input::Timer(t) => {
                self.stats.timers_handled += 1;
                proc.on_timer(&mut ctx, t)
            }
        }
        let service = ctx.service;
        self.finish_handler(p, service);
        if self.observer.is_some() {
            self.observe(p, None);
        }
    }

    #[inline]
    fn cpu_cost(&mut self, i: usize, input: &Input<P>) -> SimDuration {
        if self.cpu_free {
            return SimDuration::ZERO;
        }
        let dist = match input {
            Input::Msg { msg, .. } => self.cpu_msg[msg.kind()].as_ref(),
            Input::Timer(_) => self.cpu_timer.as_ref(),
        };
        dist.map_or(SimDuration::ZERO, |d| d.sample_duration_ms(&mut self.cpu_rngs[i]))
    }

    /// Sends the handler's messages when its service time ends and marks the process busy.
    #[inline]
    fn finish_handler(&mut self, p: ProcId, service: SimDuration) {
        let depart = self.now + service;
        let from_inc = self.states[p.index()].inc;
        if !self.outbox.is_empty() {
            let mut out = std::mem::take(&mut self.outbox);
            for (to, msg) in out.drain(..) {
                self.send(p, from_inc, to, msg, depart);
            }
            self.outbox = out;
        }
        if service > SimDuration::ZERO {
            self.states[p.index()].busy_until = depart;
            self.queue.push(depart, Event::Drain { proc: p, inc: from_inc });
        }
    }

    #[inline]
    fn send(&mut self, from: ProcId, from_inc: u32, to: ProcId, msg: P::Msg, depart: SimTime) {
        if to.index() >= self.procs.len() {
            debug_assert!(false, "{from} sent to nonexistent {to}");
            return;
        }
        let kind = msg.kind();
        let to_inc = self.states[to.index()].inc;
        let route = self.net.route(from, to, kind, msg.size_bytes(), depart);
        if self.sink.is_some() {
            self.trace_send(from, to, &msg, depart, &route);
        }
        match route {
            Route::Deliver(t) => {
                let ev = Event::Deliver { from, to, from_inc, to_inc, depart, msg };
                self.queue.push(t, ev);
            }
            Route::Duplicate(t1, t2) => {
                let copy = msg.clone();
                self.queue.push(t1, Event::Deliver { from, to, from_inc, to_inc, depart, msg });
                let ev = Event::Deliver { from, to, from_inc, to_inc, depart, msg: copy };
                self.queue.push(t2, ev);
            }
            Route::Dropped(reason) => self.trace_drop(from, to, &msg, reason),
            Route::Held => self.held.push(Held { from, to, from_inc, to_inc, depart, msg }),
        }
    }

    /// Records a send in the structured trace: one record per copy the network will deliver
    /// or hold (none for a message it drops at once). Not part of the trace hash.
    #[cold]
    fn trace_send(&mut self, from: ProcId, to: ProcId, msg: &P::Msg, depart: SimTime, route: &Route) {
        let copies = match route {
            Route::Deliver(_) | Route::Held => 1,
            Route::Duplicate(..) => 2,
            Route::Dropped(_) => 0,
        };
        if let Some(sink) = self.sink.as_mut() {
            let kind = <P::Msg as Message>::KINDS[msg.kind()];
            for _ in 0..copies {
                let what = TraceWhat::Send { to, kind, msg, depart };
                sink.record(&TraceRecord { time: self.now, proc: Some(from), key: msg.trace_key(), what });
            }
        }
    }

    /// Re-sends messages held on links that are no longer clogged.
    fn release_held(&mut self) {
        let held = std::mem::take(&mut self.held);
        for h in held {
            match self.net.release(h.from, h.to, h.msg.kind(), self.now) {
                Some(t) => {
                    let ev = Event::Deliver {
                        from: h.from,
                        to: h.to,
                        from_inc: h.from_inc,
                        to_inc: h.to_inc,
                        depart: h.depart,
                        msg: h.msg,
                    };
                    self.queue.push(t, ev);
                }
                None => self.held.push(h),
            }
        }
    }

    #[inline]
    fn trace_input(&mut self, p: ProcId, input: &Input<P>) {
        let (tag, a, b) = match input {
            Input::Msg { from, msg } => (TAG_MSG, from.0 as u64, ((msg.kind() as u64) << 32) | msg.size_bytes() as u64),
            Input::Timer(_) => (TAG_TIMER, 0, 0),
        };
        self.hash.event([self.now.0, (p.0 as u64) << 8 | tag, a, b]);
        if let Some(sink) = self.sink.as_mut() {
            let (key, what) = match input {
                Input::Msg { from, msg } => (
                    msg.trace_key(),
                    TraceWhat::Deliver { from: *from, kind: <P::Msg as Message>::KINDS[msg.kind()], msg },
                ),
                Input::Timer(t) => (None, TraceWhat::Timer { timer: t }),
            };
            sink.record(&TraceRecord { time: self.now, proc: Some(p), key, what });
        }
    }

    fn trace_drop(&mut self, from: ProcId, to: ProcId, msg: &P::Msg, reason: DropReason) {
        if let Some(sink) = self.sink.as_mut() {
            let reason = match reason {
                DropReason::Loss => "loss",
                DropReason::Partition => "partition",
                DropReason::Crash => "crash",
            };
            let kind = <P::Msg as Message>::KINDS[msg.kind()];
            let what = TraceWhat::Drop { from, kind, reason };
            sink.record(&TraceRecord { time: self.now, proc: Some(to), key: msg.trace_key(), what });
        }
    }

    fn check_proc(&self, p: ProcId) -> Result<(), WorldError> {
        if p.index() < self.procs.len() {
            Ok(())
        } else {
            Err(WorldError::UnknownProc { proc: p, procs: self.procs.len() })
        }
    }
}

// ------------------------------------------------------------------------------- lifecycle
impl<P: Process + 'static> World<P> {
    /// Boots process `p` from whatever its disk holds.
    fn start_proc(&mut self, p: ProcId) {
        let i = p.index();
        let st = &mut self.states[i];
        st.up = true;
        st.paused = false;
        st.busy_until = self.now;
        let clock = &self.clocks[i];
        let mut ctx = Ctx {
            me: p,
            true_now: self.now,
            local: clock.local(self.now),
            incarnation: st.inc,
            rate: clock,
            rng: &mut self.rngs[i],
            disk: &mut self.disks[i],
            queue: &mut self.queue,
            outbox: &mut self.outbox,
            service: SimDuration::ZERO,
            counters: counters_of::<P>(&mut self.counters, i),
            notes: self.observer.is_some().then_some(&mut self.notes),
        };
        let proc = self.boot.boot(p, &mut ctx);
        let service = ctx.service;
        self.procs[i] = Some(proc);
        self.finish_handler(p, service);
        self.observe(p, Some(Lifecycle::Booted));
    }

    /// Crash: volatile state, inbox, unsynced writes and in-flight messages are lost.
    pub(crate) fn crash(&mut self, p: ProcId) {
        let i = p.index();
        if !self.states[i].up {
            return;
        }
        self.stats.crashes += 1;
        let st = &mut self.states[i];
        st.up = false;
        st.paused = false;
        st.died_at.push(self.now);
        st.inc += 1;
        st.busy_until = self.now;
        debug_assert_eq!(st.died_at.len(), st.inc as usize);
        self.procs[i] = None;
        for input in std::mem::take(&mut self.inboxes[i]) {
            match input {
                Input::Msg { from, msg } => {
                    self.net.count_inbox_crash_drop(msg.kind(), msg.size_bytes());
                    self.trace_drop(from, p, &msg, DropReason::Crash);
                }
                Input::Timer(_) => self.stats.timers_dropped += 1,
            }
        }
        self.disks[i].crash();
        self.observe(p, Some(Lifecycle::Crashed));
    }

    fn restart(&mut self, p: ProcId) {
        if self.states[p.index()].up {
            return;
        }
        self.stats.restarts += 1;
        self.start_proc(p);
    }

    fn pause(&mut self, p: ProcId, resume_after: Option<SimDuration>) {
        let st = &mut self.states[p.index()];
        if !st.up {
            return;
        }
        st.paused = true;
        st.pauses += 1;
        if let Some(d) = resume_after {
            let (inc, pause) = (st.inc, st.pauses);
            self.queue.push(self.now + d, Event::Resume { proc: p, inc, pause });
        }
    }

    fn resume(&mut self, p: ProcId) {
        let st = &mut self.states[p.index()];
        if !st.up || !st.paused {
            return;
        }
        st.paused = false;
        if st.busy_until <= self.now {
            self.drain(p);
        }
        // Otherwise the pending Drain at busy_until picks the inbox up.
    }

    fn schedule_restart(&mut self, p: ProcId, after_ms: Option<f64>) {
        if let Some(ms) = after_ms {
            let inc = self.states[p.index()].inc;
            let at = self.now + SimDuration::from_millis_f64(ms);
            self.queue.push(at, Event::Restart { proc: p, inc });
        }
    }

    /// Applies one fault now. Parameters were validated when it was scheduled.
    pub(crate) fn apply_fault(&mut self, fault: &Fault) {
        self.stats.faults_applied += 1;
        let node_word = fault.node().map_or(u64::MAX, |n| n.0 as u64);
        let label = crate::rng::stream_id(fault.label());
        self.hash.event([self.now.0, TAG_FAULT, node_word, label]);
        if let Some(sink) = self.sink.as_mut() {
            let rec = TraceRecord { time: self.now, proc: fault.node(), key: None, what: TraceWhat::Fault { fault } };
            sink.record(&rec);
        }
        let result = self.apply_fault_inner(fault);
        debug_assert!(result.is_ok(), "validated fault failed to apply: {result:?}");
    }

    fn apply_fault_inner(&mut self, fault: &Fault) -> Result<(), WorldError> {
        let now = self.now;
        match fault {
            Fault::Crash { node, restart_after_ms } => {
                let was_up = self.states[node.index()].up;
                self.crash(*node);
                if was_up {
                    self.schedule_restart(*node, *restart_after_ms);
                }
            }
            Fault::Restart { node } => self.restart(*node),
            Fault::Pause { node, resume_after_ms } => {
                self.pause(*node, resume_after_ms.map(SimDuration::from_millis_f64))
            }
            Fault::Resume { node } => self.resume(*node),
            Fault::Wipe { node, restart_after_ms } => {
                self.crash(*node);
                self.disks[node.index()].wipe();
                self.observe(*node, None);
                self.schedule_restart(*node, *restart_after_ms);
            }
            Fault::Partition { name, shape } => self.net.partition(name, shape)?,
            Fault::Heal { name } => {
                if self.net.heal(name.as_deref()) {
                    self.release_held();
                }
            }
            Fault::Clog { name, shape } => self.net.clog(name, shape)?,
            Fault::Slow { name, shape, factor, extra_ms } => {
                self.net.slow(name, shape, *factor, SimDuration::from_millis_f64(*extra_ms))?
            }
            Fault::DiskFaults { node, faults } => self.disks[node.index()].set_faults(faults.clone())?,
            Fault::ClockOffset { node, offset_ms } => {
                self.clock(*node).set_offset(now, *offset_ms).map_err(FaultError::Clock)?
            }
            Fault::ClockJump { node, delta_ms } => self.clock(*node).jump(now, *delta_ms).map_err(FaultError::Clock)?,
            Fault::ClockDrift { node, ppm } => self.clock(*node).set_drift(now, *ppm).map_err(FaultError::Clock)?,
            Fault::SetLoss { loss } => self.net.set_loss(*loss)?,
            Fault::SetDuplicate { duplicate } => self.net.set_duplicate(*duplicate)?,
        }
        Ok(())
    }

    fn clock(&mut self, p: ProcId) -> &mut Clock {
        &mut self.clocks[p.index()]
    }

    /// Checks a fault against this world without applying it.
    fn validate_fault(&self, fault: &Fault) -> Result<(), WorldError> {
        if let Some(n) = fault.node() {
            self.check_proc(n)?;
        }
        Ok(fault.check(self.procs.len())?)
    }

    fn on_chaos(&mut self, ev: ChaosEvent) {
        let Some(mut chaos) = self.chaos.take() else { return };
        let (faults, next) = chaos.fire(ev, self.now, self.net.topology().len());
        self.chaos = Some(chaos);
        for f in faults {
            self.apply_fault(&f);
        }
        for (at, ev) in next {
            self.queue.push(at, Event::Chaos(ev));
        }
    }
}

/// Process `i`'s counter slots.
#[inline]
fn counters_of<P: Process>(all: &mut [u64], i: usize) -> &mut [u64] {
    let n = <P::Counter as CounterSet>::DEFS.len();
    &mut all[i * n..(i + 1) * n]
}

fn build_clocks(cfg: &WorldConfig, n: usize) -> Result<Vec<Clock>, WorldError> {
    let mut clocks = vec![Clock::perfect(); n];
    for (&proc, c) in &cfg.clocks {
        if proc as usize >= n {
            return Err(WorldError::UnknownProc { proc: ProcId(proc), procs: n });
        }
        clocks[proc as usize] = Clock::new(c).map_err(|source| WorldError::Clock { proc, source })?;
    }
    Ok(clocks)
}

type CpuDists = (Vec<Option<Dist>>, Option<Dist>);

fn build_cpu(cfg: &CpuConfig, kinds: &[&str]) -> Result<CpuDists, WorldError> {
    let dist = |field: JsonPath, spec: &DistSpec| Dist::new(spec).map_err(|source| WorldError::Cpu { field, source });
    let default = cfg.message_ms.as_ref().map(|s| dist(JsonPath::root().field("message_ms"), s)).transpose()?;
    let mut per_kind = vec![default; kinds.len().max(1)];
    for (name, spec) in &cfg.by_kind_ms {
        let k = kinds
            .iter()
            .position(|k| k == name)
            .ok_or_else(|| WorldError::UnknownKind { name: name.clone(), known: kinds.join(", ") })?;
        per_kind[k] = Some(dist(JsonPath::root().field("by_kind_ms").field(name), spec)?);
    }
    let timer = cfg.timer_ms.as_ref().map(|s| dist(JsonPath::root().field("timer_ms"), s)).transpose()?;
    Ok((per_kind, timer))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::chaos::ChaosError;

    #[test]
    fn errors_are_placed_in_the_world_config() {
        let cpu_dist = DistError {
            path: JsonPath::from("constant.value"),
            problem: crate::dist::DistProblem::Negative { field: "value", got: -1.0 },
        };
        let cases = [
            (WorldError::Net(NetError::Probability { field: "loss", value: 2.0 }), "net.loss"),
            (
                WorldError::Disk(DiskConfigError::Probability { field: "torn_write", value: 2.0 }),
                "disk.faults.torn_write",
            ),
            (WorldError::Clock { proc: 3, source: ClockError::BadDrift(2e6) }, "clocks.3.drift_ppm"),
            (
                WorldError::Cpu { field: JsonPath::from("by_kind_ms.ping"), source: cpu_dist },
                "cpu.by_kind_ms.ping.constant.value",
            ),
            (WorldError::UnknownKind { name: "x".into(), known: "ping".into() }, "cpu.by_kind_ms"),
            (WorldError::UnknownProc { proc: ProcId(9), procs: 3 }, ""),
            (WorldError::Fault(FaultError::Probability { field: "loss", got: 2.0 }), "loss"),
            (WorldError::Chaos(ChaosError::StartBeforeZero(-1.0)), "chaos"),
        ];
        for (e, path) in cases {
            assert_eq!(e.path().as_str(), path, "{e}");
            assert!(e.to_string().ends_with(&e.message()), "{e}");
        }
        assert_eq!(
            WorldError::Chaos(ChaosError::StartBeforeZero(-1.0)).to_string(),
            "chaos.start_s must be >= 0, got -1"
        );
    }
}
