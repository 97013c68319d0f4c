//! The client-visible history: what each operation was, in true simulated time.
//!
//! Clients tell the observer about every operation twice, as [`OpEvent`]s: when it starts
//! ([`Invocation`]) and when it ends ([`OpDone`]). Measurement consumes these as they happen
//! and keeps no list of operations; an [`OpRecord`] per operation (serializable) is built only
//! for the opt-in history file and for the test oracle.
//!
//! Every put carries a unique write id and its value carries the write's [`Provenance`], so
//! each read can be attributed to the writes it returned and judged from what came back.

use crate::workload::provenance::Provenance;
use dynamo_model::NodeId;
use dynamo_model::msg::OpError;
use dynamo_model::version::{Versions, WriteId};
use serde::Serialize;
use sim_core::SimTime;
use std::sync::Arc;

/// What a client application tells the observer about one operation.
#[derive(Clone, Debug)]
pub enum OpEvent {
    /// It started.
    Invoked(Invocation),
    /// It finished.
    Done(Box<OpDone>),
}

/// An operation starting.
#[derive(Clone, Debug)]
pub struct Invocation {
    /// The client process.
    pub client: u32,
    /// The client library's request number (with `client`, names the operation).
    pub req: u64,
    /// What it is.
    pub kind: OpKind,
    /// The key.
    pub key: u64,
    /// True time.
    pub at: SimTime,
    /// For writes: the new value's provenance.
    pub write: Option<Arc<Provenance>>,
}

/// An operation that finished.
#[derive(Clone, Debug)]
pub struct OpDone {
    /// The client process.
    pub client: u32,
    /// The client group (index into `workloads`; probes use the group after the last).
    pub group: u16,
    /// The request number it was invoked with.
    pub req: u64,
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
    /// For writes: the new value's provenance.
    pub write: Option<Arc<Provenance>>,
    /// For successful reads: the siblings that came back (each value carries its provenance).
    pub read: Option<Versions>,
    /// For reads in a session: the client's own last acknowledged write of this key.
    pub own_write: Option<WriteId>,
    /// For probe reads: the probe write this read looks for.
    pub probe_of: Option<WriteId>,
    /// For successful gets: the fastest responder.
    pub fastest: Option<NodeId>,
}

impl OpDone {
    /// Whether it succeeded.
    pub fn ok(&self) -> bool {
        self.outcome == Outcome::Ok
    }

    /// The serializable record of this operation.
    pub fn to_record(&self) -> OpRecord {
        let w = self.write.as_deref();
        OpRecord {
            client: self.client,
            group: self.group,
            kind: self.kind,
            key: self.key,
            invoked: self.invoked,
            completed: self.completed,
            outcome: self.outcome,
            write: w.map(|p| p.write),
            context: w.map(Provenance::parents).unwrap_or_default(),
            context_versions: w.map(|p| p.context_versions.clone()).unwrap_or_default(),
            read: self.read.as_ref().map(crate::workload::client::read_result),
            own_write: self.own_write,
            probe_of: self.probe_of,
            fastest: self.fastest,
        }
    }
}

/// What an operation was.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum OpKind {
    /// A get.
    #[default]
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
