//! Periodic sampling of replica state during a run, for what cannot be seen afterwards: how many
//! keys' replicas disagreed at each moment, when the world last applied a fault, and the node
//! counters (which the world keeps across restarts) at each moment.
//!
//! The sampler only reads the world: no random draws, no counters, no events. The runner calls
//! it between slices of `World::run_until`, which handles exactly the events it would have
//! handled in one go, so a run with sampling gives the same trace hash as one without.

use crate::assemble::Assembly;
use crate::history::OpRecord;
use dynamo_model::NodeId;
use dynamo_model::counters::Counter;
use dynamo_model::msg::{StoreKey, StoreRecord};
use dynamo_model::ring::{Ring, key_position};
use dynamo_model::version::Versions;
use sim_core::{ProcId, SimDuration, SimTime};
use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

/// A missing record reads as an empty set of versions.
static EMPTY: Versions = Versions::new();

/// Counters of one node, summed over its incarnations.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct NodeCounters {
    /// Replica reads served.
    pub replica_reads: u64,
    /// Replica writes served.
    pub replica_writes: u64,
    /// Gets and puts coordinated (successful or not).
    pub coordinated: u64,
    /// Hints stored.
    pub hints_stored: u64,
    /// Hinted replicas handed off.
    pub handoffs_completed: u64,
    /// Read-repair writes sent.
    pub read_repairs: u64,
    /// Writes sent to substitutes with a hint.
    pub hinted_writes: u64,
    /// Keys repaired by anti-entropy exchanges.
    pub ae_keys_repaired: u64,
    /// Anti-entropy exchanges completed.
    pub ae_exchanges: u64,
    /// Keys a join or leave transfer changed at this node (as receiver).
    pub transfer_keys: u64,
}

impl NodeCounters {
    /// The counters of a node, from the world's counters of its process (summed over its
    /// incarnations).
    pub fn of(c: &[u64]) -> Self {
        NodeCounters {
            replica_reads: Counter::ReplicaReads.get(c),
            replica_writes: Counter::ReplicaWrites.get(c),
            coordinated: [Counter::GetsOk, Counter::GetsFailed, Counter::PutsOk, Counter::PutsFailed]
                .iter()
                .map(|k| k.get(c))
                .sum(),
            hints_stored: Counter::HintsStored.get(c),
            handoffs_completed: Counter::HandoffsCompleted.get(c),
            read_repairs: Counter::ReadRepairs.get(c),
            hinted_writes: Counter::HintedWrites.get(c),
            ae_keys_repaired: Counter::AeKeysRepaired.get(c),
            ae_exchanges: Counter::AeExchanges.get(c),
            transfer_keys: Counter::TransferKeysReceived.get(c),
        }
    }

    /// Requests handled: replica reads and writes plus operations coordinated.
    pub fn requests(&self) -> u64 {
        self.replica_reads + self.replica_writes + self.coordinated
    }

    /// Adds another node's (or incarnation's) counters.
    pub fn add(&mut self, o: &NodeCounters) {
        self.replica_reads += o.replica_reads;
        self.replica_writes += o.replica_writes;
        self.coordinated += o.coordinated;
        self.hints_stored += o.hints_stored;
        self.handoffs_completed += o.handoffs_completed;
        self.read_repairs += o.read_repairs;
        self.hinted_writes += o.hinted_writes;
        self.ae_keys_repaired += o.ae_keys_repaired;
        self.ae_exchanges += o.ae_exchanges;
        self.transfer_keys += o.transfer_keys;
    }
}

/// One sample.
#[derive(Clone, Debug, PartialEq)]
pub struct Sample {
    /// When it was taken.
    pub t: SimTime,
    /// Keys known so far.
    pub keys: u64,
    /// Keys whose live top-N replicas disagree.
    pub divergent: u64,
    /// Requests each node handled so far (summed over its incarnations).
    pub requests: Vec<u64>,
    /// Every node's counters so far, summed over nodes and incarnations.
    pub totals: NodeCounters,
}

/// What sampling saw.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Samples {
    /// The sampling interval.
    pub interval: SimDuration,
    /// The samples, in time order.
    pub points: Vec<Sample>,
    /// The first sample after the world last applied a fault (timeline or chaos) or restarted a
    /// process; `None` if it never did.
    pub last_fault_seen: Option<SimTime>,
}

/// Samples a running world's replica state at fixed intervals.
pub struct Sampler {
    n: usize,
    /// Top-N replicas of every key known, by `ring`.
    replicas: BTreeMap<u64, Vec<NodeId>>,
    /// The ring `replicas` was computed with (recomputed when a join or leave changes it).
    ring: Option<Arc<Ring>>,
    /// Per client process: how much of its history was already read.
    cursors: Vec<usize>,
    fault_marks: (u64, u64),
    out: Samples,
}

impl Sampler {
    /// A sampler for keys with `n` replicas, sampling every `interval`.
    pub fn new(n: usize, interval: SimDuration) -> Self {
        Sampler {
            n,
            replicas: BTreeMap::new(),
            ring: None,
            cursors: Vec::new(),
            fault_marks: (0, 0),
            out: Samples { interval, ..Samples::default() },
        }
    }

    /// The sampling interval.
    pub fn interval(&self) -> SimDuration {
        self.out.interval
    }

    /// Takes one sample of the world as it is now.
    pub fn sample(&mut self, asm: &Assembly) {
        let t = asm.world.now();
        let ring = asm.ring_now();
        if !self.ring.as_ref().is_some_and(|r| Arc::ptr_eq(r, &ring)) {
            for (key, list) in self.replicas.iter_mut() {
                ring.preference_list(key_position(*key), self.n, list);
            }
            self.ring = Some(ring);
        }
        self.learn_keys(asm);
        let divergent = self.replicas.iter().filter(|(key, list)| !live_replicas_agree(asm, **key, list)).count();
        let counters: Vec<NodeCounters> =
            (0..asm.nodes as u32).map(|i| NodeCounters::of(asm.world.counters(ProcId(i)))).collect();
        let stats = asm.world.stats();
        let marks = (stats.faults_applied, stats.restarts);
        if marks != self.fault_marks {
            self.fault_marks = marks;
            self.out.last_fault_seen = Some(t);
        }
        self.out.points.push(Sample {
            t,
            keys: self.replicas.len() as u64,
            divergent: divergent as u64,
            requests: counters.iter().map(NodeCounters::requests).collect(),
            totals: counters.iter().fold(NodeCounters::default(), |mut sum, c| {
                sum.add(c);
                sum
            }),
        });
    }

    /// What was sampled.
    pub fn finish(self) -> Samples {
        self.out
    }

    /// Adds the keys completed operations touched and the keys replicas hold.
    fn learn_keys(&mut self, asm: &Assembly) {
        let mut new: BTreeSet<u64> = BTreeSet::new();
        if self.cursors.len() < asm.clients.len() {
            self.cursors.resize(asm.clients.len(), 0);
        }
        for (cursor, &(id, _)) in self.cursors.iter_mut().zip(&asm.clients) {
            let Some(c) = asm.world.process(id).and_then(|a| a.as_client()) else { continue };
            let h: &[OpRecord] = c.app().history();
            new.extend(h.iter().skip(*cursor).map(|r| r.key));
            *cursor = h.len();
        }
        for i in 0..asm.nodes as u32 {
            for k in asm.world.disk(ProcId(i)).keys() {
                if let StoreKey::Data(key) = k {
                    new.insert(*key);
                }
            }
        }
        for key in new {
            if !self.replicas.contains_key(&key) {
                self.replicas.insert(key, crate::analysis::inspect::replicas_of(asm, key, self.n));
            }
        }
    }
}

/// What node `node` holds for `key` (buffer over disk), by reference; `None` when corrupt.
fn held(asm: &Assembly, node: NodeId, key: u64) -> Option<&Versions> {
    if let Some(v) = asm.world.process(node).and_then(|a| a.as_node()).and_then(|n| n.storage().buffered(key)) {
        return Some(v);
    }
    match asm.world.disk(node).peek(&StoreKey::Data(key)) {
        Ok(Some(StoreRecord::Versions(v))) => Some(v),
        Ok(_) => Some(&EMPTY),
        Err(_) => None,
    }
}

/// Whether the live nodes of `replicas` all hold the same versions of `key`: the same answer as
/// [`crate::analysis::inspect::replicas_agree`], without cloning or hashing.
pub fn live_replicas_agree(asm: &Assembly, key: u64, replicas: &[NodeId]) -> bool {
    let mut first: Option<Option<&Versions>> = None;
    for &r in replicas {
        if !asm.world.is_up(r) {
            continue;
        }
        let v = held(asm, r, key);
        match first {
            None => first = Some(v),
            Some(f) if f != v => return false,
            Some(_) => {}
        }
    }
    true
}
