//! The simulated network: latency by link class, message kind and link; loss, duplication,
//! optional FIFO per link; partitions, clogs and slow links; counters by message kind.
//!
//! The network decides each message's fate when it is sent ([`Network::route`]); the world
//! schedules the delivery and drops it if the receiver crashed meanwhile. Draw order per message
//! (from the network's own stream): loss (skipped when the loss rate is 0), latency, duplication
//! (skipped when 0), the duplicate's latency. A partitioned message draws nothing.

use crate::dist::{Dist, DistError, DistSpec};
use crate::fxhash::FxHashMap;
use crate::id::ProcId;
use crate::json_path::JsonPath;
use crate::partition::{PartitionError, PartitionShape};
use crate::rng::SimRng;
use crate::time::{SimDuration, SimTime};
use crate::topology::{LinkClass, Topology};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// Latency distribution per link class, in milliseconds.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, default)]
pub struct ClassLatency {
    /// A process sending to itself. Default: constant 0.
    pub loopback: DistSpec,
    /// Same rack. Default: exponential, mean 0.2 ms.
    pub same_rack: DistSpec,
    /// Same datacenter, different rack. Default: exponential, mean 0.5 ms.
    pub same_datacenter: DistSpec,
    /// Different datacenters. Default: exponential, mean 40 ms.
    pub cross_datacenter: DistSpec,
}

impl Default for ClassLatency {
    fn default() -> Self {
        ClassLatency {
            loopback: DistSpec::Constant { value: 0.0 },
            same_rack: DistSpec::Exponential { mean: 0.2 },
            same_datacenter: DistSpec::Exponential { mean: 0.5 },
            cross_datacenter: DistSpec::Exponential { mean: 40.0 },
        }
    }
}

/// A latency override for one message kind, optionally on one link class only.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct KindLatency {
    /// The message kind's name, as the process's message type names it.
    pub kind: String,
    /// Restrict the override to this link class; all classes when absent.
    #[serde(default)]
    pub class: Option<LinkClass>,
    /// The latency in milliseconds.
    pub latency_ms: DistSpec,
}

/// A latency override for one link; it wins over class and kind settings.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct LinkLatency {
    /// Sender.
    pub from: ProcId,
    /// Receiver.
    pub to: ProcId,
    /// Apply the same override from `to` to `from`. Default true.
    #[serde(default = "yes")]
    pub both_ways: bool,
    /// The latency in milliseconds.
    pub latency_ms: DistSpec,
}

fn yes() -> bool {
    true
}

/// Network configuration.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, default)]
pub struct NetConfig {
    /// Latency per link class.
    pub latency_ms: ClassLatency,
    /// Latency overrides per message kind. Default: none.
    pub by_kind: Vec<KindLatency>,
    /// Latency overrides per link. Default: none.
    pub by_link: Vec<LinkLatency>,
    /// Probability that a message is lost, independently. Default 0.
    pub loss: f64,
    /// Probability that a message is delivered twice, independently. Default 0.
    pub duplicate: f64,
    /// Deliver messages on each directed link in the order they were sent. Default false.
    pub fifo: bool,
}

/// Bad network parameters or fault requests.
#[derive(Clone, Debug, thiserror::Error)]
pub enum NetError {
    /// A latency distribution is invalid.
    #[error("{field}.{source}")]
    Latency {
        /// The path of the field.
        field: JsonPath,
        /// What is wrong.
        source: DistError,
    },
    /// A probability is outside `[0, 1]` or not a number.
    #[error("{}: {}", self.path(), self.message())]
    Probability {
        /// Which field.
        field: &'static str,
        /// The value.
        value: f64,
    },
    /// An override names a message kind the process does not have.
    #[error("{}: {}", self.path(), self.message())]
    UnknownKind {
        /// Index of the override.
        index: usize,
        /// The name given.
        name: String,
        /// The known names, comma-separated.
        known: String,
    },
    /// An override names a process that does not exist.
    #[error("{}: {}", self.path(), self.message())]
    UnknownProc {
        /// Index of the override.
        index: usize,
        /// The bad id.
        proc: ProcId,
        /// How many processes exist.
        procs: usize,
    },
    /// A slow-link factor is not a finite number >= 0.
    #[error("slow link factor must be a finite number >= 0, got {0}")]
    BadFactor(f64),
    /// A partition or impairment shape is invalid.
    #[error(transparent)]
    Shape(#[from] PartitionError),
}

impl NetError {
    /// Where the problem is, relative to the [`NetConfig`] (the top level for the errors of a
    /// fault request, which name no field).
    pub fn path(&self) -> JsonPath {
        match self {
            NetError::Latency { field, source } => field.join(&source.path),
            NetError::Probability { field, .. } => JsonPath::root().field(*field),
            NetError::UnknownKind { index, .. } => JsonPath::root().field("by_kind").index(*index).field("kind"),
            NetError::UnknownProc { index, .. } => JsonPath::root().field("by_link").index(*index),
            NetError::BadFactor(_) | NetError::Shape(_) => JsonPath::root(),
        }
    }

    /// What is wrong, without the path.
    pub fn message(&self) -> String {
        match self {
            NetError::Latency { source, .. } => source.problem.to_string(),
            NetError::Probability { value, .. } => format!("probability must be in [0, 1], got {value}"),
            NetError::UnknownKind { name, known, .. } => format!("unknown message kind {name:?}; known kinds: {known}"),
            NetError::UnknownProc { proc, procs, .. } => format!("process {proc} does not exist (there are {procs})"),
            NetError::BadFactor(_) | NetError::Shape(_) => self.to_string(),
        }
    }
}

/// Why a message was not delivered.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum DropReason {
    /// Random loss.
    Loss,
    /// A partition cut the link.
    Partition,
    /// The receiver crashed (or the sender crashed before the message left).
    Crash,
}

/// What the network decided for one message.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Route {
    /// Deliver at this time.
    Deliver(SimTime),
    /// Deliver twice.
    Duplicate(SimTime, SimTime),
    /// Dropped.
    Dropped(DropReason),
    /// Held on a clogged link until it is unclogged.
    Held,
}

/// Counters for one message kind.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct KindCounters {
    /// Messages sent.
    pub sent: u64,
    /// Bytes sent.
    pub bytes_sent: u64,
    /// Messages delivered to a live process (duplicates count twice), less those its crash
    /// then discarded from its inbox unhandled (those count in `dropped_crash` instead).
    pub delivered: u64,
    /// Bytes delivered.
    pub bytes_delivered: u64,
    /// Extra copies created by duplication.
    pub duplicated: u64,
    /// Lost at random.
    pub dropped_loss: u64,
    /// Cut by a partition.
    pub dropped_partition: u64,
    /// Dropped because the receiver crashed (in flight or waiting in its inbox), or the sender
    /// crashed before it left.
    pub dropped_crash: u64,
    /// Held on a clogged link at some point.
    pub held: u64,
}

#[derive(Clone, Copy, Debug, Default)]
struct Impair {
    clogs: u32,
    factor: f64,
    extra: u64,
}

#[derive(Clone, Debug)]
enum Effect {
    Cut,
    Clog,
    Slow { factor: f64, extra: SimDuration },
}

#[derive(Clone, Debug)]
struct Active {
    name: String,
    effect: Effect,
    links: Vec<(ProcId, ProcId)>,
}

/// The network's runtime state.
pub struct Network {
    topo: Topology,
    dists: Vec<Dist>,
    /// `[class * kinds + kind]` → index into `dists`.
    table: Vec<u16>,
    kinds: usize,
    by_link: FxHashMap<(u32, u32), u16>,
    loss: f64,
    duplicate: f64,
    fifo: bool,
    last_arrival: FxHashMap<(u32, u32), u64>,
    active: Vec<Active>,
    cut: FxHashMap<(u32, u32), u32>,
    impaired: FxHashMap<(u32, u32), Impair>,
    counters: Vec<KindCounters>,
    rng: SimRng,
}

impl Network {
    /// Builds the network for `topo` and a message type with these kind names.
    pub fn new(cfg: &NetConfig, topo: Topology, kind_names: &[&str], rng: SimRng) -> Result<Network, NetError> {
        check_probability("loss", cfg.loss)?;
        check_probability("duplicate", cfg.duplicate)?;
        let kinds = kind_names.len().max(1);
        let mut dists = Vec::new();
        let mut add = |field: JsonPath, spec: &DistSpec| -> Result<u16, NetError> {
            dists.push(Dist::new(spec).map_err(|source| NetError::Latency { field, source })?);
            Ok((dists.len() - 1) as u16)
        };
        let l = &cfg.latency_ms;
        let latency = |class: &str| JsonPath::root().field("latency_ms").field(class);
        let class_dist = [
            add(latency("loopback"), &l.loopback)?,
            add(latency("same_rack"), &l.same_rack)?,
            add(latency("same_datacenter"), &l.same_datacenter)?,
            add(latency("cross_datacenter"), &l.cross_datacenter)?,
        ];
        let mut table: Vec<u16> = class_dist.iter().flat_map(|&d| std::iter::repeat_n(d, kinds)).collect();
        for (index, o) in cfg.by_kind.iter().enumerate() {
            let kind = kind_names.iter().position(|k| *k == o.kind).ok_or_else(|| NetError::UnknownKind {
                index,
                name: o.kind.clone(),
                known: kind_names.join(", "),
            })?;
            let d = add(JsonPath::root().field("by_kind").index(index).field("latency_ms"), &o.latency_ms)?;
            for class in LinkClass::ALL {
                if o.class.is_none_or(|c| c == class) {
                    table[class as usize * kinds + kind] = d;
                }
            }
        }
        let mut by_link = FxHashMap::default();
        for (index, o) in cfg.by_link.iter().enumerate() {
            for p in [o.from, o.to] {
                if p.index() >= topo.len() {
                    return Err(NetError::UnknownProc { index, proc: p, procs: topo.len() });
                }
            }
            let d = add(JsonPath::root().field("by_link").index(index).field("latency_ms"), &o.latency_ms)?;
            by_link.insert((o.from.0, o.to.0), d);
            if o.both_ways {
                by_link.insert((o.to.0, o.from.0), d);
            }
        }
        Ok(Network {
            topo,
            dists,
            table,
            kinds,
            by_link,
            loss: cfg.loss,
            duplicate: cfg.duplicate,
            fifo: cfg.fifo,
            last_arrival: FxHashMap::default(),
            active: Vec::new(),
            cut: FxHashMap::default(),
            impaired: FxHashMap::default(),
            counters: vec![KindCounters::default(); kinds],
            rng,
        })
    }

    /// The topology.
    pub fn topology(&self) -> &Topology {
        &self.topo
    }

    /// Counters per message kind (indexed like the kind names).
    pub fn counters(&self) -> &[KindCounters] {
        &self.counters
    }

    /// Changes the loss probability from now on.
    pub fn set_loss(&mut self, p: f64) -> Result<(), NetError> {
        check_probability("loss", p)?;
        self.loss = p;
        Ok(())
    }

    /// Changes the duplication probability from now on.
    pub fn set_duplicate(&mut self, p: f64) -> Result<(), NetError> {
        check_probability("duplicate", p)?;
        self.duplicate = p;
        Ok(())
    }

    /// True when `from` cannot currently send to `to` because of a partition.
    pub fn is_cut(&self, from: ProcId, to: ProcId) -> bool {
        !self.cut.is_empty() && self.cut.contains_key(&(from.0, to.0))
    }

    /// Decides the fate of a message leaving `from` for `to` at `depart`.
    #[inline]
    pub fn route(&mut self, from: ProcId, to: ProcId, kind: usize, bytes: u32, depart: SimTime) -> Route {
        debug_assert!(kind < self.kinds, "message kind {kind} out of range");
        let cut = self.is_cut(from, to);
        let c = &mut self.counters[kind];
        c.sent += 1;
        c.bytes_sent += bytes as u64;
        if cut {
            c.dropped_partition += 1;
            return Route::Dropped(DropReason::Partition);
        }
        if self.rng.chance(self.loss) {
            self.counters[kind].dropped_loss += 1;
            return Route::Dropped(DropReason::Loss);
        }
        let first = self.arrival(from, to, kind, depart);
        let impair = self.impairment(from, to);
        if impair.clogs > 0 {
            self.counters[kind].held += 1;
            return Route::Held;
        }
        if self.rng.chance(self.duplicate) {
            self.counters[kind].duplicated += 1;
            let second = self.arrival(from, to, kind, depart);
            return Route::Duplicate(first, second);
        }
        Route::Deliver(first)
    }

    /// Samples an arrival time, applying slow links and FIFO order.
    #[inline(always)]
    fn arrival(&mut self, from: ProcId, to: ProcId, kind: usize, depart: SimTime) -> SimTime {
        let d = self.latency_dist(from, to, kind);
        let mut lat = self.dists[d as usize].sample_duration_ms(&mut self.rng);
        if !self.impaired.is_empty()
            && let Some(i) = self.impaired.get(&(from.0, to.0))
        {
            lat = SimDuration::from_nanos_f64(lat.0 as f64 * i.factor) + SimDuration(i.extra);
        }
        let mut t = depart + lat;
        if self.fifo {
            let last = self.last_arrival.entry((from.0, to.0)).or_insert(0);
            t = t.max(SimTime(*last));
            *last = t.0;
        }
        t
    }

    #[inline(always)]
    fn latency_dist(&self, from: ProcId, to: ProcId, kind: usize) -> u16 {
        if !self.by_link.is_empty()
            && let Some(&d) = self.by_link.get(&(from.0, to.0))
        {
            return d;
        }
        let class = self.topo.class(from, to);
        self.table[class as usize * self.kinds + kind]
    }

    #[inline]
    fn impairment(&self, from: ProcId, to: ProcId) -> Impair {
        if self.impaired.is_empty() {
            return Impair::default();
        }
        self.impaired.get(&(from.0, to.0)).copied().unwrap_or_default()
    }

    /// The arrival time of a message released from a clog at `now`, or `None` while its link
    /// is still clogged. Released messages are not counted as sent again.
    pub fn release(&mut self, from: ProcId, to: ProcId, kind: usize, now: SimTime) -> Option<SimTime> {
        if self.impairment(from, to).clogs > 0 {
            return None;
        }
        Some(self.arrival(from, to, kind, now))
    }

    /// Records a delivery to a live process.
    #[inline]
    pub fn count_delivered(&mut self, kind: usize, bytes: u32) {
        let c = &mut self.counters[kind];
        c.delivered += 1;
        c.bytes_delivered += bytes as u64;
    }

    /// Records a message dropped because of a crash.
    pub fn count_crash_drop(&mut self, kind: usize) {
        self.counters[kind].dropped_crash += 1;
    }

    /// Records a delivered message that its receiver's crash discarded from the inbox before it
    /// was handled: it moves from `delivered` to `dropped_crash`, so it counts once.
    pub fn count_inbox_crash_drop(&mut self, kind: usize, bytes: u32) {
        let c = &mut self.counters[kind];
        c.delivered -= 1;
        c.bytes_delivered -= bytes as u64;
        c.dropped_crash += 1;
    }

    /// Starts a partition named `name` with this shape.
    pub fn partition(&mut self, name: &str, shape: &PartitionShape) -> Result<(), NetError> {
        self.activate(name, Effect::Cut, shape)
    }

    /// Clogs the links of `shape`: their messages are held until `unclog`.
    pub fn clog(&mut self, name: &str, shape: &PartitionShape) -> Result<(), NetError> {
        self.activate(name, Effect::Clog, shape)
    }

    /// Slows the links of `shape`: latency × `factor` + `extra`.
    pub fn slow(
        &mut self,
        name: &str,
        shape: &PartitionShape,
        factor: f64,
        extra: SimDuration,
    ) -> Result<(), NetError> {
        if !factor.is_finite() || factor < 0.0 {
            return Err(NetError::BadFactor(factor));
        }
        self.activate(name, Effect::Slow { factor, extra }, shape)
    }

    /// Ends every partition, clog or slow link called `name` (all of them when `None`).
    /// Returns true if a clog ended, so the caller re-sends held messages.
    pub fn heal(&mut self, name: Option<&str>) -> bool {
        let before = self.active.len();
        let clog_ended =
            self.active.iter().any(|a| matches!(a.effect, Effect::Clog) && name.is_none_or(|n| n == a.name));
        self.active.retain(|a| name.is_some_and(|n| n != a.name));
        if self.active.len() != before {
            self.rebuild();
        }
        clog_ended
    }

    /// Every directed link a partition or clog blocks now, as `(from, to)`, in the order those
    /// faults began (a link blocked by two faults appears twice). Slowed links are not blocked.
    pub fn blocked_links(&self) -> impl Iterator<Item = (ProcId, ProcId)> + '_ {
        self.active
            .iter()
            .filter(|a| matches!(a.effect, Effect::Cut | Effect::Clog))
            .flat_map(|a| a.links.iter().copied())
    }

    /// How many partitions, clogs and slow links are in force.
    pub fn active_faults(&self) -> usize {
        self.active.len()
    }

    /// True while `from → to` is clogged.
    pub fn is_clogged(&self, from: ProcId, to: ProcId) -> bool {
        self.impairment(from, to).clogs > 0
    }

    fn activate(&mut self, name: &str, effect: Effect, shape: &PartitionShape) -> Result<(), NetError> {
        let links = shape.cut_links(self.topo.len())?;
        self.active.push(Active { name: name.to_string(), effect, links });
        self.rebuild();
        Ok(())
    }

    /// Recomputes the lookup maps from the active list (faults change rarely).
    fn rebuild(&mut self) {
        self.cut.clear();
        self.impaired.clear();
        for a in &self.active {
            for &(f, t) in &a.links {
                let key = (f.0, t.0);
                match a.effect {
                    Effect::Cut => *self.cut.entry(key).or_insert(0) += 1,
                    Effect::Clog => {
                        self.impaired.entry(key).or_insert(Impair { clogs: 0, factor: 1.0, extra: 0 }).clogs += 1
                    }
                    Effect::Slow { factor, extra } => {
                        let i = self.impaired.entry(key).or_insert(Impair { clogs: 0, factor: 1.0, extra: 0 });
                        i.factor *= factor;
                        i.extra += extra.0;
                    }
                }
            }
        }
    }
}

fn check_probability(field: &'static str, value: f64) -> Result<(), NetError> {
    if (0.0..=1.0).contains(&value) { Ok(()) } else { Err(NetError::Probability { field, value }) }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::topology::Placement;

    const KINDS: [&str; 2] = ["ping", "pong"];

    fn net(cfg: NetConfig, procs: usize) -> Network {
        let topo = Topology::new(vec![Placement::default(); procs]);
        Network::new(&cfg, topo, &KINDS, SimRng::stream(1, "net-test")).unwrap()
    }

    #[test]
    fn loss_rate_matches_its_setting() {
        let mut n = net(NetConfig { loss: 0.05, ..NetConfig::default() }, 2);
        let trials = 100_000;
        let lost = (0..trials)
            .filter(|_| n.route(ProcId(0), ProcId(1), 0, 10, SimTime(0)) == Route::Dropped(DropReason::Loss))
            .count();
        // Binomial sd = sqrt(1e5 * .05 * .95) ≈ 69; allow 5 sd.
        assert!((lost as i64 - 5_000).abs() < 345, "lost {lost}");
        assert_eq!(n.counters()[0].dropped_loss, lost as u64);
        assert_eq!(n.counters()[0].sent, trials);
    }

    #[test]
    fn duplication_rate_matches_its_setting() {
        let mut n = net(NetConfig { duplicate: 0.2, ..NetConfig::default() }, 2);
        let dups = (0..50_000)
            .filter(|_| matches!(n.route(ProcId(0), ProcId(1), 1, 1, SimTime(0)), Route::Duplicate(..)))
            .count();
        // sd ≈ 89; allow 5 sd.
        assert!((dups as i64 - 10_000).abs() < 450, "dups {dups}");
    }

    #[test]
    fn one_way_partition_blocks_exactly_the_cut_direction() {
        let mut n = net(NetConfig::default(), 3);
        let shape = PartitionShape::OneWay { from: vec![ProcId(0)], to: vec![ProcId(1)] };
        n.partition("p", &shape).unwrap();
        for a in 0..3u32 {
            for b in 0..3u32 {
                let r = n.route(ProcId(a), ProcId(b), 0, 1, SimTime(0));
                let blocked = r == Route::Dropped(DropReason::Partition);
                assert_eq!(blocked, (a, b) == (0, 1), "link {a}->{b}");
            }
        }
        n.heal(Some("p"));
        assert!(!n.is_cut(ProcId(0), ProcId(1)));
    }

    #[test]
    fn overlapping_partitions_heal_independently() {
        let mut n = net(NetConfig::default(), 3);
        n.partition("a", &PartitionShape::IsolateOne { node: ProcId(0) }).unwrap();
        n.partition("b", &PartitionShape::Groups { groups: vec![vec![ProcId(0)], vec![ProcId(1)]] }).unwrap();
        n.heal(Some("a"));
        assert!(n.is_cut(ProcId(0), ProcId(1)), "b still cuts 0-1");
        assert!(!n.is_cut(ProcId(0), ProcId(2)));
        n.heal(None);
        assert!(!n.is_cut(ProcId(0), ProcId(1)));
    }

    #[test]
    fn kind_and_link_overrides_pick_the_right_latency() {
        let cfg = NetConfig {
            latency_ms: ClassLatency { same_rack: DistSpec::Constant { value: 1.0 }, ..ClassLatency::default() },
            by_kind: vec![KindLatency {
                kind: "pong".into(),
                class: None,
                latency_ms: DistSpec::Constant { value: 2.0 },
            }],
            by_link: vec![LinkLatency {
                from: ProcId(0),
                to: ProcId(2),
                both_ways: false,
                latency_ms: DistSpec::Constant { value: 3.0 },
            }],
            ..NetConfig::default()
        };
        let mut n = net(cfg, 3);
        let ms = |r: Route| match r {
            Route::Deliver(t) => t.0 / 1_000_000,
            other => panic!("{other:?}"),
        };
        assert_eq!(ms(n.route(ProcId(0), ProcId(1), 0, 1, SimTime(0))), 1);
        assert_eq!(ms(n.route(ProcId(0), ProcId(1), 1, 1, SimTime(0))), 2);
        assert_eq!(ms(n.route(ProcId(0), ProcId(2), 1, 1, SimTime(0))), 3);
        assert_eq!(ms(n.route(ProcId(2), ProcId(0), 0, 1, SimTime(0))), 1, "override is one-way");
    }

    #[test]
    fn fifo_links_never_reorder() {
        let mut n = net(NetConfig { fifo: true, ..NetConfig::default() }, 2);
        let mut last = SimTime(0);
        for i in 0..10_000u64 {
            let Route::Deliver(t) = n.route(ProcId(0), ProcId(1), 0, 1, SimTime(i * 1000)) else { panic!() };
            assert!(t >= last);
            last = t;
        }
    }

    #[test]
    fn clogs_hold_and_slow_links_stretch() {
        let mut n = net(
            NetConfig {
                latency_ms: ClassLatency { same_rack: DistSpec::Constant { value: 1.0 }, ..ClassLatency::default() },
                ..NetConfig::default()
            },
            2,
        );
        let link = PartitionShape::OneWay { from: vec![ProcId(0)], to: vec![ProcId(1)] };
        n.clog("c", &link).unwrap();
        assert_eq!(n.route(ProcId(0), ProcId(1), 0, 1, SimTime(0)), Route::Held);
        assert!(n.heal(Some("c")), "ending a clog is reported");
        n.slow("s", &link, 3.0, SimDuration::from_millis(2)).unwrap();
        assert_eq!(n.route(ProcId(0), ProcId(1), 0, 1, SimTime(0)), Route::Deliver(SimTime(5_000_000)));
        assert!(n.slow("t", &link, f64::NAN, SimDuration::ZERO).is_err());
    }

    #[test]
    fn bad_parameters_are_typed_errors() {
        let topo = || Topology::new(vec![Placement::default(); 2]);
        let rng = || SimRng::stream(1, "n");
        let e = Network::new(&NetConfig { loss: 1.5, ..NetConfig::default() }, topo(), &KINDS, rng()).err().unwrap();
        assert_eq!(e.to_string(), "loss: probability must be in [0, 1], got 1.5");
        assert_eq!((e.path().as_str(), e.message().as_str()), ("loss", "probability must be in [0, 1], got 1.5"));
        let cfg = NetConfig {
            by_kind: vec![KindLatency {
                kind: "nope".into(),
                class: None,
                latency_ms: DistSpec::Constant { value: 1.0 },
            }],
            ..NetConfig::default()
        };
        let e = Network::new(&cfg, topo(), &KINDS, rng()).err().unwrap();
        assert!(e.to_string().contains("unknown message kind \"nope\"; known kinds: ping, pong"), "{e}");
        assert_eq!(e.path().as_str(), "by_kind[0].kind");
        let cfg = NetConfig {
            by_link: vec![LinkLatency {
                from: ProcId(0),
                to: ProcId(1),
                both_ways: true,
                latency_ms: DistSpec::Uniform { low: 2.0, high: 1.0 },
            }],
            ..NetConfig::default()
        };
        let e = Network::new(&cfg, topo(), &KINDS, rng()).err().unwrap();
        assert_eq!(e.path().as_str(), "by_link[0].latency_ms.uniform.high");
        assert_eq!(e.to_string(), format!("{}: {}", e.path(), e.message()));
    }
}
