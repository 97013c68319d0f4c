//! Why a ring could not be built or changed; every variant names the offending field or node.

use super::NodeId;

/// A rejected ring construction, join or leave. The ring is left unchanged on error.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
pub enum RingError {
    /// `members` was empty: a ring needs at least one node.
    #[error("members: a ring needs at least one node")]
    NoMembers,
    /// The same node appears twice, or a joining node is already a member.
    #[error("members: node {node} appears more than once")]
    DuplicateNode {
        /// The repeated node.
        node: NodeId,
    },
    /// A capacity that is zero, negative, NaN or infinite.
    #[error("members[{node}].capacity: must be finite and > 0, got {capacity}")]
    InvalidCapacity {
        /// The node with the bad capacity.
        node: NodeId,
        /// The rejected value.
        capacity: f64,
    },
    /// `tokens_per_node` outside `1..=MAX_TOKENS_PER_NODE`.
    #[error("strategy.tokens_per_node: must be in 1..={max}, got {value}")]
    InvalidTokensPerNode {
        /// The rejected value.
        value: u32,
        /// The largest accepted value.
        max: u32,
    },
    /// `partitions` outside `1..=MAX_PARTITIONS`.
    #[error("strategy.partitions: must be in 1..={max}, got {value}")]
    InvalidPartitions {
        /// The rejected value.
        value: u32,
        /// The largest accepted value.
        max: u32,
    },
    /// Strategy 3 needs at least one partition (token) per node: Q >= S.
    #[error("strategy.partitions: {partitions} partitions cannot give each of {nodes} nodes a token")]
    TooFewPartitions {
        /// Q.
        partitions: u32,
        /// S after the change.
        nodes: usize,
    },
    /// A node's capacity asks for more tokens than the per-node limit.
    #[error("members[{node}]: capacity asks for {tokens} tokens, above the limit {max}")]
    TooManyTokens {
        /// The node.
        node: NodeId,
        /// The requested token count.
        tokens: f64,
        /// The per-node limit.
        max: u32,
    },
    /// `leave` named a node that is not on the ring.
    #[error("leave: node {node} is not a ring member")]
    NotAMember {
        /// The unknown node.
        node: NodeId,
    },
    /// `leave` would remove the last node.
    #[error("leave: node {node} is the last member; a ring needs at least one node")]
    LastMember {
        /// The last node.
        node: NodeId,
    },
}
