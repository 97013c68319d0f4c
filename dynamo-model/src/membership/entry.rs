//! One node's membership entry, its version, and the record a command persists.
//!
//! A version is `(counter, issued_at, issuer)`, compared in that order. The counter is a Lamport
//! counter kept by the issuing node: a command for node X gets `max(own counter, counter of the
//! entry for X it currently holds) + 1`, so a command issued after seeing an entry always wins
//! over it; `issued_at` (the issuer's local time, §4.8 "time of issue") and then the issuer id
//! break ties between concurrent commands deterministically.

use super::NodeId;
use crate::ring::RingMember;
use sim_core::SimTime;
use std::cmp::Ordering;

/// Where a node is in its lifecycle (§4.9). `Member` and `Leaving` nodes are on the ring.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Status {
    /// Joined by a command; bootstrapping, not yet on the ring.
    Joining,
    /// A full ring member.
    Member,
    /// Asked to leave; still on the ring while it hands its ranges off.
    Leaving,
    /// Gone; kept as a tombstone so an older `Member` entry cannot resurrect it.
    Left,
}

impl Status {
    /// Whether a node with this status owns tokens on the ring.
    pub const fn on_ring(self) -> bool {
        matches!(self, Status::Member | Status::Leaving)
    }
}

/// The version of one entry. Ordered by `counter`, then `issued_at`, then `issuer`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Version {
    /// Lamport counter of the issuing node.
    pub counter: u64,
    /// The issuer's local time when the command was issued.
    pub issued_at: SimTime,
    /// The node that received the command.
    pub issuer: NodeId,
}

impl Version {
    /// The version of the statically configured initial members: identical at every node.
    pub const fn genesis(node: NodeId) -> Version {
        Version { counter: 0, issued_at: SimTime::ZERO, issuer: node }
    }
}

/// One node as a membership view records it.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct MemberEntry {
    /// Placement information (node id, capacity, datacenter, rack): with the ring strategy and
    /// ring seed it is all that is needed to rebuild the node's tokens.
    pub member: RingMember,
    /// Lifecycle status.
    pub status: Status,
    /// When and by whom this entry was issued.
    pub version: Version,
}

impl MemberEntry {
    /// The node this entry describes.
    pub const fn node(&self) -> NodeId {
        self.member.node
    }

    /// Total order used by reconciliation: the higher version wins; equal versions (which only
    /// a lost counter could produce) are ordered by status and then the member record, so the
    /// choice never depends on which side an entry came from.
    pub fn precedence(&self, other: &MemberEntry) -> Ordering {
        let key = |e: &MemberEntry| {
            (e.version, e.status, e.member.node, e.member.capacity.to_bits(), e.member.datacenter, e.member.rack)
        };
        key(self).cmp(&key(other))
    }
}

/// What a node must write to its disk when it serves a membership command (§4.8: the change is
/// persisted with its time of issue). Replaying the records restores the view's own history
/// and the Lamport counter, so the node never reissues a version.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Persisted {
    /// The issuer's Lamport counter after the command.
    pub counter: u64,
    /// The entry the command created.
    pub entry: MemberEntry,
}
