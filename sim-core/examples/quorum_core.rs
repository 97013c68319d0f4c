//! The quorum-core engine benchmark (`../shared/bench/quorum-core/SPEC.md`, version 1) run
//! through sim-core's public API with a trivial, non-Dynamo process.
//!
//! ```text
//! cargo run --release -p sim-core --example quorum_core -- [--seed S] [--ops N] [--r R] [--w W]
//! ```
//!
//! Prints one JSON line with the SPEC §3 fields plus the engine's own counters.
//!
//! # Mapping of the SPEC §2 model onto sim-core
//!
//! - **Nodes.** Processes 0..7 are the 8 nodes. Each holds its replica counters `store[k]`, and,
//!   as a coordinator, `acked_max[k]` and a ring of pending ops. A coordinator sends its three
//!   requests with [`Ctx::send`] to `pref(k)`, itself included, so its request to itself crosses
//!   the network like the others (class `loopback`). Replicas reply to the sender.
//! - **Network.** Every link class (loopback included) is exponential with mean 1 ms, loss is
//!   0.01, no duplication, no FIFO. sim-core draws loss first and then the delay, and draws
//!   nothing else, which is the SPEC §5 per-message draw order.
//! - **Client.** The client is *not* a process: sim-core's loss rate is global, so any message a
//!   client process sent would be lost 1% of the time, but the SPEC's client hop is free. The
//!   driver loop below plays the client instead: it draws op `i` from its own workload stream
//!   (`SimRng::with_stream_number(seed, 0)`: gap = exp(1e5 ns), is_put = u01() < 0.5,
//!   key = below(10000), in that order) and hands it to the coordinator with
//!   [`World::inject`], which delivers it at `t_i` with no network, no delay and no loss. It keeps
//!   exactly one arrival pending: op `i+1` is injected as soon as simulated time reaches `t_i`
//!   (right after the step that popped arrival `i`), as canonical mode schedules `Arrival(i+1)`
//!   from inside `Arrival(i)`. The injected op is one queue event, so the canonical event count
//!   holds: `OPS` arrivals + coordinator↔replica deliveries + `OPS` timers = `world.stats().popped`.
//! - **Timeouts.** Each op arms a 50 ms timer with [`Ctx::set_timer`]; it is never cancelled, and
//!   fires (doing nothing) even after the op succeeded, as in canonical mode.
//!
//! # Differences from canonical mode (SPEC §5)
//!
//! The output is statistically equivalent (SPEC §4), not bit-exact, because:
//! - the network draws from sim-core's stream `SimRng::stream(seed, "net")` (stream number
//!   FNV-1a("net")), not ChaCha8 stream 1. The workload stream and every draw order are canonical;
//!   the ChaCha8 primitives and the `exp` truncation are the same (`-ln(1-u) * 1.0 ms` → ns).
//! - ties at the same nanosecond are broken by sim-core's own `seq`, which differs in two places:
//!   `Arrival(i+1)` gets its seq after op `i`'s requests and timer instead of before them; and the
//!   timer is queued when `set_timer` is called, while sends leave at the end of the handler, so
//!   the timer's seq comes before the three requests' instead of after. Either only matters when
//!   a request lands on the very nanosecond of the next arrival (or of its own timeout): about
//!   once in 370,000 ops.

use sim_core::dist::DistSpec;
use sim_core::net::{ClassLatency, NetConfig};
use sim_core::trace::Traced;
use sim_core::{Ctx, Message, Placement, ProcId, Process, SimDuration, SimRng, SimTime, World, WorldConfig};
use std::process::ExitCode;
use std::time::Instant;

const NODES: u32 = 8;
const KEYS: u32 = 10_000;
const N: u32 = 3;
const P_PUT: f64 = 0.5;
const GAP_MEAN_NS: f64 = 100_000.0;
const DELAY_MEAN_MS: f64 = 1.0;
const LOSS: f64 = 0.01;
const TIMEOUT: SimDuration = SimDuration::from_millis(50);
/// Pending-op ring per coordinator. A slot is reused only after 1024 more ops reached the same
/// coordinator (about 0.8 simulated seconds), long after its 50 ms timeout.
const RING: usize = 1024;

/// The messages. `tag` names an op at its coordinator: the coordinator's own op counter, whose
/// low bits are the op's ring slot.
#[derive(Clone, Debug, serde::Serialize)]
#[serde(rename_all = "snake_case")]
enum Msg {
    /// Client → coordinator, injected (no network): a put.
    OpPut { key: u32 },
    /// Client → coordinator, injected (no network): a get.
    OpGet { key: u32 },
    /// Coordinator → replica: write version `v`.
    ReqPut { tag: u32, key: u32, v: u32 },
    /// Coordinator → replica: read.
    ReqGet { tag: u32, key: u32 },
    /// Replica → coordinator: the version written or read.
    Reply { tag: u32, v: u32 },
}

const OP: usize = 0;

impl Traced for Msg {
    fn trace_json(&self) -> serde_json::Value {
        serde_json::to_value(self).expect("a message is JSON")
    }
}

impl Traced for Timeout {
    fn trace_json(&self) -> serde_json::Value {
        serde_json::to_value(self).expect("a timer is JSON")
    }
}

impl Message for Msg {
    const KINDS: &'static [&'static str] = &["op", "req_put", "req_get", "reply"];
    #[inline]
    fn kind(&self) -> usize {
        match self {
            Msg::OpPut { .. } | Msg::OpGet { .. } => OP,
            Msg::ReqPut { .. } => 1,
            Msg::ReqGet { .. } => 2,
            Msg::Reply { .. } => 3,
        }
    }
    #[inline]
    fn size_bytes(&self) -> u32 {
        16
    }
}

/// The op timer.
#[derive(Debug, serde::Serialize)]
struct Timeout {
    tag: u32,
}

#[derive(Clone, Copy, Default)]
struct Slot {
    start: SimTime,
    /// The op's tag (see [`Msg`]), so a reply or timer for an older op in this slot is ignored.
    tag: u32,
    key: u32,
    /// Put: the version written. Get: the snapshot `s = acked_max[key]`.
    ver: u32,
    /// Get: the highest version among the replies so far.
    maxv: u32,
    replies: u8,
    is_put: bool,
    pending: bool,
}

#[derive(Clone, Copy, Default)]
struct Counts {
    succeeded: u64,
    failed: u64,
    puts_ok: u64,
    gets_ok: u64,
    stale: u64,
    late: u64,
}

/// One storage node: replica and coordinator.
struct Node {
    r: u8,
    w: u8,
    /// Replica counters, by key.
    store: Vec<u32>,
    /// `acked_max` of the keys this node coordinates (`key % NODES == me`), by `key / NODES`.
    acked: Vec<u32>,
    ring: Vec<Slot>,
    /// Ops this node has coordinated so far; the next op's tag.
    next_tag: u32,
    lat: Vec<u64>,
    counts: Counts,
}

impl Node {
    fn new(r: u8, w: u8, ops: u64) -> Node {
        Node {
            r,
            w,
            store: vec![0; KEYS as usize],
            acked: vec![0; KEYS.div_ceil(NODES) as usize],
            ring: vec![Slot::default(); RING],
            next_tag: 0,
            lat: Vec::with_capacity((ops / NODES as u64 + ops / 50 + 64) as usize),
            counts: Counts::default(),
        }
    }

    fn start(&mut self, ctx: &mut Ctx<'_, Self>, key: u32, is_put: bool) {
        let me = ctx.me().0;
        let ver = if is_put { self.store[key as usize] + 1 } else { self.acked[(key / NODES) as usize] };
        let tag = self.next_tag;
        self.next_tag = self.next_tag.wrapping_add(1);
        let s = &mut self.ring[tag as usize & (RING - 1)];
        assert!(!s.pending, "op ring too small");
        *s = Slot { start: ctx.now(), tag, key, ver, maxv: 0, replies: 0, is_put, pending: true };
        for j in 0..N {
            let to = ProcId((me + j) % NODES);
            let msg = if is_put { Msg::ReqPut { tag, key, v: ver } } else { Msg::ReqGet { tag, key } };
            ctx.send(to, msg);
        }
        ctx.set_timer(TIMEOUT, Timeout { tag });
    }

    fn reply(&mut self, now: SimTime, tag: u32, v: u32) {
        let s = &mut self.ring[tag as usize & (RING - 1)];
        if s.tag != tag || !s.pending {
            self.counts.late += 1;
            return;
        }
        s.replies += 1;
        s.maxv = s.maxv.max(v);
        let need = if s.is_put { self.w } else { self.r };
        if s.replies == need {
            s.pending = false;
            let c = &mut self.counts;
            c.succeeded += 1;
            self.lat.push((now - s.start).as_nanos());
            if s.is_put {
                c.puts_ok += 1;
                let a = &mut self.acked[(s.key / NODES) as usize];
                *a = (*a).max(s.ver);
            } else {
                c.gets_ok += 1;
                if s.maxv < s.ver {
                    c.stale += 1;
                }
            }
        }
    }
}

impl Process for Node {
    type Msg = Msg;
    type Timer = Timeout;
    type DiskKey = ();
    type DiskValue = ();
    type Counter = sim_core::NoCounters;
    type Note = ();

    #[inline]
    fn on_message(&mut self, ctx: &mut Ctx<'_, Self>, from: ProcId, msg: Msg) {
        match msg {
            Msg::OpPut { key } => self.start(ctx, key, true),
            Msg::OpGet { key } => self.start(ctx, key, false),
            Msg::ReqPut { tag, key, v } => {
                let cur = &mut self.store[key as usize];
                *cur = (*cur).max(v);
                ctx.send(from, Msg::Reply { tag, v });
            }
            Msg::ReqGet { tag, key } => {
                let v = self.store[key as usize];
                ctx.send(from, Msg::Reply { tag, v });
            }
            Msg::Reply { tag, v } => self.reply(ctx.now(), tag, v),
        }
    }

    #[inline]
    fn on_timer(&mut self, _ctx: &mut Ctx<'_, Self>, t: Timeout) {
        let s = &mut self.ring[t.tag as usize & (RING - 1)];
        if s.tag == t.tag && s.pending {
            s.pending = false;
            self.counts.failed += 1;
        }
    }
}

/// The client's workload stream, drawn in the SPEC order: gap, is_put, key.
struct Workload {
    rng: SimRng,
}

impl Workload {
    #[inline]
    fn next(&mut self) -> (u64, bool, u32) {
        let gap = self.rng.exp(GAP_MEAN_NS) as u64;
        let is_put = self.rng.u01() < P_PUT;
        let key = self.rng.below(KEYS as u64) as u32;
        (gap, is_put, key)
    }
}

struct Args {
    seed: u64,
    ops: u64,
    r: u8,
    w: u8,
}

const USAGE: &str = "usage: quorum_core [--seed S] [--ops N] [--r R] [--w W]\n  \
    --seed S  run seed (u64, default 1)\n  \
    --ops N   client operations (0..=4294967295, default 100000)\n  \
    --r R     read quorum, 1..=3 (default 2)\n  \
    --w W     write quorum, 1..=3 (default 2)";

fn parse_args() -> Result<Option<Args>, String> {
    let mut a = Args { seed: 1, ops: 100_000, r: 2, w: 2 };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        if flag == "-h" || flag == "--help" {
            return Ok(None);
        }
        let val = it.next().ok_or_else(|| format!("missing value for {flag}"))?;
        let bad = |e: std::num::ParseIntError| format!("bad value {val:?} for {flag}: {e}");
        match flag.as_str() {
            "--seed" => a.seed = val.parse().map_err(bad)?,
            "--ops" => a.ops = val.parse::<u32>().map_err(bad)? as u64,
            "--r" | "--w" => {
                let q: u8 = val.parse().map_err(bad)?;
                if !(1..=N as u8).contains(&q) {
                    return Err(format!("{flag} must be in 1..={N}, got {q}"));
                }
                if flag == "--r" { a.r = q } else { a.w = q }
            }
            _ => return Err(format!("unknown argument {flag:?}")),
        }
    }
    Ok(Some(a))
}

/// Nearest rank with integer rank `ceil(n * num / den)`, in ms; `None` when there is no sample.
fn pct(v: &mut [u64], num: u64, den: u64) -> Option<f64> {
    if v.is_empty() {
        return None;
    }
    let rank = (v.len() as u64 * num).div_ceil(den).max(1);
    let (_, x, _) = v.select_nth_unstable((rank - 1) as usize);
    Some(*x as f64 / 1e6)
}

fn json_ms(x: Option<f64>) -> String {
    x.map_or_else(|| "null".to_string(), |v| format!("{v:.6}"))
}

fn main() -> ExitCode {
    let args = match parse_args() {
        Ok(Some(a)) => a,
        Ok(None) => {
            println!("{USAGE}");
            return ExitCode::SUCCESS;
        }
        Err(e) => {
            eprintln!("quorum_core: {e}\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    let exp1 = DistSpec::Exponential { mean: DELAY_MEAN_MS };
    let cfg = WorldConfig {
        seed: args.seed,
        net: NetConfig {
            latency_ms: ClassLatency {
                loopback: exp1.clone(),
                same_rack: exp1.clone(),
                same_datacenter: exp1.clone(),
                cross_datacenter: exp1,
            },
            loss: LOSS,
            ..NetConfig::default()
        },
        ..WorldConfig::default()
    };
    let (r, w, ops) = (args.r, args.w, args.ops);

    let t_setup = Instant::now();
    let places = vec![Placement::default(); NODES as usize];
    let mut world = match World::new(&cfg, places, move |_id: ProcId, _ctx: &mut Ctx<'_, Node>| Node::new(r, w, ops)) {
        Ok(w) => w,
        Err(e) => {
            eprintln!("quorum_core: {e}");
            return ExitCode::FAILURE;
        }
    };
    let mut wl = Workload { rng: SimRng::with_stream_number(args.seed, 0) };
    let setup_s = t_setup.elapsed().as_secs_f64();

    // ---- the measured loop: the client draws and injects; the world runs every event.
    let t_loop = Instant::now();
    let mut injected: u64 = 0;
    let mut t_last = 0u64; // arrival time of the last injected op
    let mut inject = |world: &mut World<Node>, t_last: &mut u64, injected: &mut u64| {
        let (gap, is_put, key) = wl.next();
        *t_last += gap;
        let op = if is_put { Msg::OpPut { key } } else { Msg::OpGet { key } };
        let ok = world.inject(SimTime(*t_last), ProcId(key % NODES), op).is_ok();
        debug_assert!(ok, "coordinator exists");
        *injected += 1;
    };
    if ops > 0 {
        inject(&mut world, &mut t_last, &mut injected);
    }
    while world.step() {
        if injected < ops && world.now().0 >= t_last {
            inject(&mut world, &mut t_last, &mut injected);
        }
    }
    let loop_s = t_loop.elapsed().as_secs_f64();

    // ---- results
    let mut c = Counts::default();
    let mut lat = Vec::with_capacity(ops as usize);
    for i in 0..NODES {
        let Some(n) = world.process(ProcId(i)) else { continue };
        let k = &n.counts;
        c.succeeded += k.succeeded;
        c.failed += k.failed;
        c.puts_ok += k.puts_ok;
        c.gets_ok += k.gets_ok;
        c.stale += k.stale;
        c.late += k.late;
        lat.extend_from_slice(&n.lat);
    }
    let (p50, p99, p999) = (pct(&mut lat, 1, 2), pct(&mut lat, 99, 100), pct(&mut lat, 999, 1000));
    let (mut sent, mut dropped, mut delivered) = (0u64, 0u64, 0u64);
    for (kind, k) in world.net().counters().iter().enumerate() {
        if kind != OP {
            sent += k.sent;
            dropped += k.dropped_loss + k.dropped_partition + k.dropped_crash;
            delivered += k.delivered;
        }
    }
    let events = ops + delivered + ops;
    let popped = world.stats().popped;
    let per_s = |n: u64| if loop_s > 0.0 { n as f64 / loop_s } else { 0.0 };
    println!(
        "{{\"impl\":\"sim-core\",\"seed\":{},\"ops\":{},\"r\":{},\"w\":{},\"succeeded\":{},\"failed\":{},\
         \"puts_ok\":{},\"gets_ok\":{},\"stale\":{},\"p50_ms\":{},\"p99_ms\":{},\"p999_ms\":{},\
         \"msgs_sent\":{},\"msgs_dropped\":{},\"msgs_delivered\":{},\"late_replies\":{},\"events\":{},\
         \"popped\":{},\"sim_end_s\":{:.9},\"setup_s\":{:.6},\"loop_s\":{:.6},\"loop_events_per_s\":{:.0},\
         \"popped_events_per_s\":{:.0},\"trace_hash\":\"{}\"}}",
        args.seed,
        ops,
        r,
        w,
        c.succeeded,
        c.failed,
        c.puts_ok,
        c.gets_ok,
        c.stale,
        json_ms(p50),
        json_ms(p99),
        json_ms(p999),
        sent,
        dropped,
        delivered,
        c.late,
        events,
        popped,
        world.now().as_secs_f64(),
        setup_s,
        loop_s,
        per_s(events),
        per_s(popped),
        world.trace_hash().hex(),
    );
    ExitCode::SUCCESS
}
