//! The client-visible history: one record per operation, in true simulated time.
//!
//! Every put carries a unique write id, so each read can be attributed to the writes it
//! returned; a write records the write ids its context covered (its causal past as the client
//! saw it). Checkers and metrics consume this plus world inspection of replica state.

use dynamo_model::NodeId;
use dynamo_model::msg::OpError;
use dynamo_model::version::WriteId;
use serde::Serialize;
use sim_core::SimTime;

/// What an operation was.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum OpKind {
    /// A get.
    Get,
    /// A put of a new value.
    Put,
    /// A delete (a put of a tombstone).
    Delete,
    /// The read half of a read-modify-write.
    RmwRead,
    /// The write half of a read-modify-write.
    RmwWrite,
    /// A staleness probe's write.
    ProbeWrite,
    /// A staleness probe's read.
    ProbeRead,
}

impl OpKind {
    /// Every kind, in order.
    pub const ALL: [OpKind; 7] = [
        OpKind::Get,
        OpKind::Put,
        OpKind::Delete,
        OpKind::RmwRead,
        OpKind::RmwWrite,
        OpKind::ProbeWrite,
        OpKind::ProbeRead,
    ];

    /// True for the kinds that read.
    pub fn is_read(self) -> bool {
        matches!(self, OpKind::Get | OpKind::RmwRead | OpKind::ProbeRead)
    }

    /// The kind's name in reports.
    pub fn name(self) -> &'static str {
        match self {
            OpKind::Get => "get",
            OpKind::Put => "put",
            OpKind::Delete => "delete",
            OpKind::RmwRead => "rmw_read",
            OpKind::RmwWrite => "rmw_write",
            OpKind::ProbeWrite => "probe_write",
            OpKind::ProbeRead => "probe_read",
        }
    }
}

/// How an operation ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// It succeeded.
    Ok,
    /// The coordinator's quorum was not reached in time.
    Timeout,
    /// No replica could be asked.
    Unavailable,
    /// The client gave up on its coordinator.
    ClientTimeout,
}

impl Outcome {
    /// The outcome of a client library result.
    pub fn of(result: Result<(), OpError>) -> Outcome {
        match result {
            Ok(()) => Outcome::Ok,
            Err(OpError::Timeout { .. }) => Outcome::Timeout,
            Err(OpError::Unavailable) => Outcome::Unavailable,
            Err(OpError::ClientTimeout) => Outcome::ClientTimeout,
        }
    }
}

/// What a successful read returned.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct ReadResult {
    /// The distinct writes among the returned siblings, ascending.
    pub writes: Vec<WriteId>,
    /// Number of siblings returned.
    pub siblings: u32,
    /// The longest sibling clock, in entries.
    pub max_clock_len: u32,
    /// Whether every returned sibling is a tombstone (or none was returned).
    pub deleted: bool,
    /// Each returned sibling as (write, digest of its causal metadata): the exact versions, so a
    /// write restamped by a vector-clock coordinator counts as a different version.
    pub versions: Vec<(WriteId, u64)>,
    /// Whether one returned sibling's causal metadata supersedes another's: syntactic
    /// reconciliation must never let that happen.
    pub dominated_pair: bool,
}

/// One operation.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct OpRecord {
    /// The client process.
    pub client: u32,
    /// The client group (index into `workloads`; probes use the group after the last).
    pub group: u16,
    /// What it was.
    pub kind: OpKind,
    /// The key.
    pub key: u64,
    /// True time it was invoked.
    pub invoked: SimTime,
    /// True time it completed.
    pub completed: SimTime,
    /// How it ended.
    pub outcome: Outcome,
    /// For writes: the new write's id.
    pub write: Option<WriteId>,
    /// For writes: the writes the context covered (what the client had read).
    pub context: Vec<WriteId>,
    /// For writes: the exact versions the context covered, as in [`ReadResult::versions`].
    pub context_versions: Vec<(WriteId, u64)>,
    /// For successful reads: what came back.
    pub read: Option<ReadResult>,
    /// For reads in a session: the client's own last acknowledged write of this key, which
    /// read-your-writes expects to see (or something newer).
    pub own_write: Option<WriteId>,
    /// For probe reads: the probe write this read looks for.
    pub probe_of: Option<WriteId>,
    /// For successful gets: the fastest responder.
    pub fastest: Option<NodeId>,
}

impl OpRecord {
    /// Latency from invocation to completion.
    pub fn latency(&self) -> sim_core::SimDuration {
        self.completed - self.invoked
    }

    /// Whether it succeeded.
    pub fn ok(&self) -> bool {
        self.outcome == Outcome::Ok
    }
}
