//! A small test-only process for whole-world tests of sim-core, and a harness around it.
//!
//! `Node` answers pings with pongs (when `echo` is on), obeys injected commands (send pings,
//! write / read its disk, set timers), and, when `chatty`, drives a random workload of its own
//! from its random stream. Everything it sees goes to a shared journal that survives crashes, so
//! tests can check what each incarnation of each process actually handled. It counts the
//! messages and timers it handles ([`Counter`]) and notes every command it obeys (its note is
//! the command's position in the journal).
#![allow(dead_code)]

use sim_core::disk::{DiskConfig, DiskError};
use sim_core::dist::DistSpec;
use sim_core::fault::Fault;
use sim_core::net::{ClassLatency, NetConfig};
use sim_core::trace::Traced;
use sim_core::{
    CounterDef, CounterKind, CounterSet, Ctx, Message, Placement, ProcId, Process, SimDuration, SimTime, TimerId,
    World, WorldConfig,
};
use std::cell::{Cell, RefCell};
use std::rc::Rc;

/// Kind index of [`Msg::Ping`].
pub const PING: usize = 0;
/// Kind index of [`Msg::Pong`].
pub const PONG: usize = 1;
/// Kind index of [`Msg::Cmd`].
pub const CMD: usize = 2;

/// The test protocol.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Msg {
    /// A request; answered with a pong of the same `seq` when echo is on.
    Ping {
        /// Sequence number.
        seq: u64,
    },
    /// The answer to a ping.
    Pong {
        /// Sequence number of the ping.
        seq: u64,
    },
    /// An injected command.
    Cmd(Cmd),
}

/// Commands a test injects into a process.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Cmd {
    /// Send `n` pings to `to`, numbered from `first`, all from this one handler.
    Ping {
        /// Receiver.
        to: ProcId,
        /// First sequence number.
        first: u64,
        /// How many.
        n: u64,
    },
    /// Ping every other process once, with this sequence number.
    PingAll {
        /// Sequence number.
        seq: u64,
    },
    /// Write a record, then fsync if `sync` (and the write succeeded).
    Write {
        /// Key.
        key: u64,
        /// Value.
        value: u64,
        /// Fsync after the write.
        sync: bool,
    },
    /// Read a record.
    Read {
        /// Key.
        key: u64,
    },
    /// Set a timer.
    Timer {
        /// Local delay in milliseconds.
        after_ms: u64,
        /// Tag the timer carries.
        tag: u64,
    },
    /// Do nothing (the journal records the local time it was handled at).
    Note,
}

impl Traced for Msg {
    fn trace_json(&self) -> serde_json::Value {
        serde_json::to_value(self).expect("a test message is JSON")
    }
}

impl Traced for Timer {
    fn trace_json(&self) -> serde_json::Value {
        serde_json::to_value(self).expect("a test timer is JSON")
    }
}

impl Message for Msg {
    const KINDS: &'static [&'static str] = &["ping", "pong", "cmd"];

    fn kind(&self) -> usize {
        match self {
            Msg::Ping { .. } => PING,
            Msg::Pong { .. } => PONG,
            Msg::Cmd(_) => CMD,
        }
    }

    fn size_bytes(&self) -> u32 {
        match self {
            Msg::Ping { .. } => 64,
            Msg::Pong { .. } => 32,
            Msg::Cmd(_) => 16,
        }
    }

    fn trace_key(&self) -> Option<u64> {
        match self {
            Msg::Ping { seq } | Msg::Pong { seq } => Some(seq % 16),
            Msg::Cmd(_) => None,
        }
    }
}

/// The test process's counters.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Counter {
    /// Messages handled.
    Messages,
    /// Timers handled.
    Timers,
}

impl CounterSet for Counter {
    const DEFS: &'static [CounterDef] = &[
        CounterDef { name: "messages", doc: "Messages handled.", kind: CounterKind::Request },
        CounterDef { name: "timers", doc: "Timers handled.", kind: CounterKind::Request },
    ];
    fn index(self) -> usize {
        self as usize
    }
}

/// The test process's timers.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Timer {
    /// A timer set by [`Cmd::Timer`].
    Tag(u64),
    /// The chatty workload's tick.
    Tick,
    /// A timer the chatty workload may cancel.
    Spare,
}

/// What a process did or saw, as recorded in the journal.
#[derive(Clone, Debug, PartialEq)]
pub enum What {
    /// The process booted and found this on its disk.
    Boot {
        /// The disk scan at boot.
        disk: Vec<(u64, Result<u64, DiskError>)>,
    },
    /// It handled a message.
    Msg {
        /// Sender.
        from: ProcId,
        /// The message.
        msg: Msg,
    },
    /// It handled a timer.
    Timer(Timer),
    /// It wrote a record.
    Write {
        /// Key.
        key: u64,
        /// What the disk answered.
        result: Result<(), DiskError>,
    },
    /// It read a record.
    Read {
        /// Key.
        key: u64,
        /// What the disk answered.
        result: Result<Option<u64>, DiskError>,
    },
}

/// One journal entry.
#[derive(Clone, Debug, PartialEq)]
pub struct Entry {
    /// The process.
    pub proc: ProcId,
    /// Its incarnation (0 for the first boot, +1 per restart).
    pub inc: u32,
    /// Its local clock when the event started (`ctx.now()`).
    pub local: SimTime,
    /// What happened.
    pub what: What,
}

/// The shared journal.
pub type Journal = Rc<RefCell<Vec<Entry>>>;

/// The test process.
pub struct Node {
    me: ProcId,
    inc: u32,
    n: u32,
    echo: bool,
    chatty: Option<f64>,
    stop: Rc<Cell<bool>>,
    journal: Journal,
    seq: u64,
    spare: Option<TimerId>,
}

impl Node {
    fn log(&self, ctx: &Ctx<'_, Self>, what: What) {
        self.journal.borrow_mut().push(Entry { proc: self.me, inc: self.inc, local: ctx.now(), what });
    }

    fn run(&mut self, ctx: &mut Ctx<'_, Self>, cmd: Cmd) {
        match cmd {
            Cmd::Ping { to, first, n } => {
                for seq in first..first + n {
                    ctx.send(to, Msg::Ping { seq });
                }
            }
            Cmd::PingAll { seq } => {
                for p in (0..self.n).map(ProcId).filter(|&p| p != self.me) {
                    ctx.send(p, Msg::Ping { seq });
                }
            }
            Cmd::Write { key, value, sync } => {
                let result = ctx.disk_write(key, value, 8);
                self.log(ctx, What::Write { key, result });
                if sync && result.is_ok() {
                    ctx.disk_fsync();
                }
            }
            Cmd::Read { key } => {
                let result = ctx.disk_read(&key);
                self.log(ctx, What::Read { key, result });
            }
            Cmd::Timer { after_ms, tag } => {
                ctx.set_timer(SimDuration::from_millis(after_ms), Timer::Tag(tag));
            }
            Cmd::Note => {}
        }
    }

    /// One step of the random workload: ping a random process, maybe touch the disk, maybe set
    /// or cancel a spare timer, and schedule the next tick.
    fn tick(&mut self, ctx: &mut Ctx<'_, Self>, mean_ms: f64) {
        let peer = ProcId(ctx.rng().below(self.n as u64) as u32);
        self.seq += 1;
        ctx.send(peer, Msg::Ping { seq: ((self.me.0 as u64) << 32) | self.seq });
        let r = ctx.rng().u01();
        let key = ctx.rng().below(8);
        if r < 0.3 {
            let result = ctx.disk_write(key, self.seq, 16);
            self.log(ctx, What::Write { key, result });
            if ctx.rng().chance(0.5) {
                ctx.disk_fsync();
            }
        } else if r < 0.5 {
            let result = ctx.disk_read(&key);
            self.log(ctx, What::Read { key, result });
        }
        match self.spare.take() {
            Some(id) if ctx.rng().chance(0.5) => {
                ctx.cancel(id);
            }
            Some(id) => self.spare = Some(id),
            None if ctx.rng().chance(0.2) => {
                self.spare = Some(ctx.set_timer(SimDuration::from_millis(3), Timer::Spare));
            }
            None => {}
        }
        let next = ctx.rng().exp(mean_ms);
        ctx.set_timer(SimDuration::from_millis_f64(next), Timer::Tick);
    }
}

impl Process for Node {
    type Msg = Msg;
    type Timer = Timer;
    type DiskKey = u64;
    type DiskValue = u64;
    type Counter = Counter;
    type Note = usize;

    fn on_message(&mut self, ctx: &mut Ctx<'_, Self>, from: ProcId, msg: Msg) {
        ctx.count(Counter::Messages);
        if matches!(msg, Msg::Cmd(_)) {
            ctx.note(self.journal.borrow().len());
        }
        self.log(ctx, What::Msg { from, msg: msg.clone() });
        match msg {
            Msg::Ping { seq } => {
                if self.echo {
                    ctx.send(from, Msg::Pong { seq });
                }
            }
            Msg::Pong { .. } => {}
            Msg::Cmd(cmd) => self.run(ctx, cmd),
        }
    }

    fn on_timer(&mut self, ctx: &mut Ctx<'_, Self>, timer: Timer) {
        ctx.count(Counter::Timers);
        self.log(ctx, What::Timer(timer.clone()));
        match timer {
            Timer::Tick => {
                if let Some(mean) = self.chatty
                    && !self.stop.get()
                {
                    self.tick(ctx, mean);
                }
            }
            Timer::Spare => self.spare = None,
            Timer::Tag(_) => {}
        }
    }
}

/// How to build a world of [`Node`]s.
#[derive(Clone, Debug)]
pub struct Setup {
    /// Number of processes.
    pub n: usize,
    /// Answer pings with pongs.
    pub echo: bool,
    /// Run the random workload with this mean tick interval in milliseconds.
    pub chatty: Option<f64>,
    /// Placements; all in one rack when `None`.
    pub places: Option<Vec<Placement>>,
}

impl Setup {
    /// `n` quiet processes in one rack that answer pings.
    pub fn echo(n: usize) -> Setup {
        Setup { n, echo: true, chatty: None, places: None }
    }

    /// `n` quiet processes in one rack that do not answer pings.
    pub fn mute(n: usize) -> Setup {
        Setup { n, echo: false, chatty: None, places: None }
    }
}

/// A world of [`Node`]s with its journal.
pub struct Harness {
    /// The world.
    pub world: World<Node>,
    /// Everything every process did.
    pub journal: Journal,
    /// Set to stop the chatty workload (ticks stop rescheduling).
    pub stop: Rc<Cell<bool>>,
}

impl Harness {
    /// Builds and boots the world.
    pub fn new(cfg: &WorldConfig, setup: Setup) -> Harness {
        let journal: Journal = Rc::default();
        let stop = Rc::new(Cell::new(false));
        let boots = Rc::new(RefCell::new(vec![0u32; setup.n]));
        let (j, s, n, echo, chatty) = (journal.clone(), stop.clone(), setup.n as u32, setup.echo, setup.chatty);
        let boot = move |me: ProcId, ctx: &mut Ctx<'_, Node>| {
            let disk = ctx.disk_scan();
            let inc = {
                let mut b = boots.borrow_mut();
                b[me.index()] += 1;
                b[me.index()] - 1
            };
            let node = Node { me, inc, n, echo, chatty, stop: s.clone(), journal: j.clone(), seq: 0, spare: None };
            node.log(ctx, What::Boot { disk });
            if let Some(mean) = chatty {
                let first = ctx.rng().exp(mean);
                ctx.set_timer(SimDuration::from_millis_f64(first), Timer::Tick);
            }
            node
        };
        let places = setup.places.unwrap_or_else(|| vec![Placement::default(); setup.n]);
        let world = World::new(cfg, places, boot).expect("valid world");
        Harness { world, journal, stop }
    }

    /// Injects a command into process `to` at `at`.
    pub fn cmd(&mut self, at: SimTime, to: u32, cmd: Cmd) {
        self.world.inject(at, ProcId(to), Msg::Cmd(cmd)).expect("valid process");
    }

    /// Schedules a fault at `at`.
    pub fn fault(&mut self, at: SimTime, fault: Fault) {
        self.world.schedule_fault(at, fault).expect("valid fault");
    }

    /// A copy of the journal.
    pub fn entries(&self) -> Vec<Entry> {
        self.journal.borrow().clone()
    }

    /// Messages of one kind handled by `proc`, as `(incarnation, local time, sender, message)`.
    pub fn handled(&self, proc: u32, kind: usize) -> Vec<(u32, SimTime, ProcId, Msg)> {
        self.journal
            .borrow()
            .iter()
            .filter(|e| e.proc == ProcId(proc))
            .filter_map(|e| match &e.what {
                What::Msg { from, msg } if msg.kind() == kind => Some((e.inc, e.local, *from, msg.clone())),
                _ => None,
            })
            .collect()
    }

    /// Sequence numbers of pings (or pongs) handled by `proc`, in the order handled.
    pub fn seqs(&self, proc: u32, kind: usize) -> Vec<u64> {
        self.handled(proc, kind)
            .into_iter()
            .map(|(_, _, _, m)| match m {
                Msg::Ping { seq } | Msg::Pong { seq } => seq,
                Msg::Cmd(_) => unreachable!(),
            })
            .collect()
    }

    /// Entries of process `proc`.
    pub fn of(&self, proc: u32) -> Vec<Entry> {
        self.journal.borrow().iter().filter(|e| e.proc == ProcId(proc)).cloned().collect()
    }
}

/// `x` milliseconds after the start.
pub fn ms(x: u64) -> SimTime {
    SimTime(x * 1_000_000)
}

/// `x` microseconds after the start.
pub fn us(x: u64) -> SimTime {
    SimTime(x * 1_000)
}

/// A constant distribution.
pub fn constant(value: f64) -> DistSpec {
    DistSpec::Constant { value }
}

/// A network where every non-loopback link takes exactly `latency_ms`.
pub fn fixed_net(latency_ms: f64) -> NetConfig {
    NetConfig {
        latency_ms: ClassLatency {
            loopback: constant(0.0),
            same_rack: constant(latency_ms),
            same_datacenter: constant(latency_ms),
            cross_datacenter: constant(latency_ms),
        },
        ..NetConfig::default()
    }
}

/// A disk whose operations take no time.
pub fn instant_disk() -> DiskConfig {
    DiskConfig { read_ms: constant(0.0), write_ms: constant(0.0), fsync_ms: constant(0.0), ..DiskConfig::default() }
}

/// A world configuration with a fixed-latency network and an instant disk.
pub fn fixed_cfg(latency_ms: f64) -> WorldConfig {
    WorldConfig { seed: 1, net: fixed_net(latency_ms), disk: instant_disk(), ..WorldConfig::default() }
}
