//! What sampling records during a run: at each sampling instant, the known keys and how many
//! of them had live replicas in disagreement, and every node's counters (which the world keeps
//! across restarts). The load, activity, divergence and convergence sections are computed from
//! these.

use dynamo_model::counters::Counter;
use sim_core::{SimDuration, SimTime};

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
