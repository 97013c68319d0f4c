//! Why a membership command or a ring view was rejected; every variant names the node at fault.

use super::{NodeId, Status};
use crate::ring::RingError;

/// A rejected membership command, configuration or ring view. The view is unchanged on error.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
pub enum MembershipError {
    /// `join` named a node whose current entry is not `Left`.
    #[error("join: node {node} is already in the membership ({status:?})")]
    AlreadyJoined {
        /// The node.
        node: NodeId,
        /// Its current status.
        status: Status,
    },
    /// A command named a node this view has no entry for.
    #[error("membership: node {node} is unknown to this view")]
    UnknownNode {
        /// The node.
        node: NodeId,
    },
    /// A command asked for a status change the lifecycle does not allow.
    #[error("membership: node {node} cannot go from {from:?} to {to:?}")]
    BadTransition {
        /// The node.
        node: NodeId,
        /// Its current status.
        from: Status,
        /// The requested status.
        to: Status,
    },
    /// The member record of a join is invalid (capacity).
    #[error("join: {0}")]
    InvalidMember(RingError),
    /// The view holds no node with status `Member` or `Leaving`, so it implies no ring.
    #[error("ring view: no node is a Member or Leaving")]
    NoRingMembers,
    /// The ring could not be built from the view (strategy limits, too few partitions...).
    #[error("ring view: {0}")]
    Ring(RingError),
    /// `gossip.seed_chance` is outside `[0, 1]`.
    #[error("gossip.{field}: {reason}")]
    InvalidConfig {
        /// The offending field.
        field: &'static str,
        /// What is wrong with it.
        reason: String,
    },
    /// Membership is turned off (`membership.enabled = false`): the ring is static.
    #[error("membership is off: join and leave need `membership.enabled`")]
    Disabled,
    /// A command was sent to a node about another node (a node serves commands about itself).
    #[error("membership: a command about node {about} reached node {at}")]
    WrongNode {
        /// The node the command names.
        about: NodeId,
        /// The node that received it.
        at: NodeId,
    },
}
