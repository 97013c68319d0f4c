//! The oracle's sampler: replica state sampled by scanning, as dynsim measured it before
//! measurement became observation. At each sample it learns the keys completed operations and
//! disks hold, and visits every live replica of every known key (buffer over disk) to count
//! the keys whose replicas disagree: O(keys × N) disk lookups per sample. Kept only to check
//! the index (`measure`), which must give the same counts.
//!
//! The sampler only reads the world: no random draws, no counters, no events.

use crate::assemble::Assembly;
use crate::history::OpRecord;
use crate::metrics::samples::{NodeCounters, Sample, Samples};
use dynamo_model::NodeId;
use dynamo_model::msg::{StoreKey, StoreRecord};
use dynamo_model::ring::{Ring, key_position};
use dynamo_model::version::Versions;
use sim_core::{ProcId, SimDuration};
use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

/// A missing record reads as an empty set of versions.
static EMPTY: Versions = Versions::new();

/// Samples a running world's replica state at fixed intervals.
pub struct Sampler {
    n: usize,
    /// Top-N replicas of every key known, by `ring`.
    replicas: BTreeMap<u64, Vec<NodeId>>,
    /// The ring `replicas` was computed with (recomputed when a join or leave changes it).
    ring: Option<Arc<Ring>>,
    /// How much of the history was already read.
    cursor: usize,
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
            cursor: 0,
            fault_marks: (0, 0),
            out: Samples { interval, ..Samples::default() },
        }
    }

    /// The sampling interval.
    pub fn interval(&self) -> SimDuration {
        self.out.interval
    }

    /// Takes one sample of the world as it is now.
    pub fn sample(&mut self, asm: &Assembly, history: &[OpRecord]) {
        let t = asm.world.now();
        let ring = asm.ring_now();
        if !self.ring.as_ref().is_some_and(|r| Arc::ptr_eq(r, &ring)) {
            for (key, list) in self.replicas.iter_mut() {
                ring.preference_list(key_position(*key), self.n, list);
            }
            self.ring = Some(ring);
        }
        self.learn_keys(asm, history);
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

    /// Adds the keys completed operations touched (`history`: every operation completed so
    /// far, in completion order) and the keys replicas hold.
    fn learn_keys(&mut self, asm: &Assembly, history: &[OpRecord]) {
        let mut new: BTreeSet<u64> = history[self.cursor.min(history.len())..].iter().map(|r| r.key).collect();
        self.cursor = history.len();
        for i in 0..asm.nodes as u32 {
            for k in asm.world.disk(ProcId(i)).keys() {
                if let StoreKey::Data(key) = k {
                    new.insert(*key);
                }
            }
        }
        for key in new {
            if !self.replicas.contains_key(&key) {
                self.replicas.insert(key, super::inspect::replicas_of(asm, key, self.n));
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
/// [`super::inspect::replicas_agree`], without cloning or hashing.
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
