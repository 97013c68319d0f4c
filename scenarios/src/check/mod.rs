//! Consistency checkers: invariants every run must keep, checked at its end.
//!
//! Each checker says whether it applies to the scenario (an invariant that the configuration
//! does not promise is reported as not applicable, with the reason), and reports every
//! violation with its key, the operations involved and the first moment it shows. The runner
//! adds the replay command.

pub mod campaign;
pub mod invariants;
pub mod junit;
pub mod shrink;

pub use reports::{Status, Verdict, Violation};
use serde::Serialize;

/// The invariants checked.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Invariant {
    /// No acknowledged write is lost while a replica of it survived.
    NoLostAckedWrite,
    /// Every get returns only mutually concurrent versions: none dominated.
    NoDominatedVersion,
    /// A put with a context dominates every version in that context.
    ContextDominates,
    /// Strict quorums (R+W>N, no sloppy substitution, no failures) give no stale reads.
    StrictQuorumFresh,
    /// All replicas converge after quiescence.
    ReplicasConverge,
    /// In DVV mode, siblings never exceed the number of concurrent writers.
    DvvSiblingBound,
    /// Hinted handoff completes: once every node is up and the network whole, hints drain.
    HintsDelivered,
    /// Membership settles: once every node is up and the network whole, every view agrees and
    /// every commanded join and leave has finished.
    MembershipSettles,
    /// An acknowledged put was stored by at least W distinct nodes, the coordinator counted once.
    AcknowledgedWritesHeld,
    /// A get returns (or supersedes) every write its responders held.
    QuorumIntersection,
    /// A hint is removed only after its intended node stored what it held.
    HandoffDelivers,
    /// A replica that stored a read repair holds the reconciled versions.
    ReadRepairRepairs,
    /// After the last heal and the repair time, every surviving acknowledged write is on N
    /// distinct nodes of its preference list.
    ReplicationDegree,
}

impl Invariant {
    /// Every invariant.
    pub const ALL: [Invariant; 13] = [
        Invariant::NoLostAckedWrite,
        Invariant::NoDominatedVersion,
        Invariant::ContextDominates,
        Invariant::StrictQuorumFresh,
        Invariant::ReplicasConverge,
        Invariant::DvvSiblingBound,
        Invariant::HintsDelivered,
        Invariant::MembershipSettles,
        Invariant::AcknowledgedWritesHeld,
        Invariant::QuorumIntersection,
        Invariant::HandoffDelivers,
        Invariant::ReadRepairRepairs,
        Invariant::ReplicationDegree,
    ];

    /// The name used in reports and on the command line.
    pub fn name(self) -> &'static str {
        match self {
            Invariant::NoLostAckedWrite => "no_lost_acked_write",
            Invariant::NoDominatedVersion => "no_dominated_version",
            Invariant::ContextDominates => "context_dominates",
            Invariant::StrictQuorumFresh => "strict_quorum_fresh",
            Invariant::ReplicasConverge => "replicas_converge",
            Invariant::DvvSiblingBound => "dvv_sibling_bound",
            Invariant::HintsDelivered => "hints_delivered",
            Invariant::MembershipSettles => "membership_settles",
            Invariant::AcknowledgedWritesHeld => "acknowledged_writes_held",
            Invariant::QuorumIntersection => "quorum_intersection",
            Invariant::HandoffDelivers => "handoff_delivers",
            Invariant::ReadRepairRepairs => "read_repair_repairs",
            Invariant::ReplicationDegree => "replication_degree",
        }
    }
}
