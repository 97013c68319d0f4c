//! Why a ring could not be built or changed; every variant names the offending field or node.

use super::NodeId;
use sim_core::JsonPath;

/// A rejected ring construction, join or leave. The ring is left unchanged on error.
///
/// Displays as `path: message` ([`RingError::path`], [`RingError::message`]).
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
pub enum RingError {
    /// `members` was empty: a ring needs at least one node.
    #[error("{}: {}", self.path(), self.message())]
    NoMembers,
    /// The same node appears twice, or a joining node is already a member.
    #[error("{}: {}", self.path(), self.message())]
    DuplicateNode {
        /// The repeated node.
        node: NodeId,
    },
    /// A capacity that is zero, negative, NaN or infinite.
    #[error("{}: {}", self.path(), self.message())]
    InvalidCapacity {
        /// The node with the bad capacity.
        node: NodeId,
        /// The rejected value.
        capacity: f64,
    },
    /// `tokens_per_node` outside `1..=MAX_TOKENS_PER_NODE`.
    #[error("{}: {}", self.path(), self.message())]
    InvalidTokensPerNode {
        /// The rejected value.
        value: u32,
        /// The largest accepted value.
        max: u32,
    },
    /// `partitions` outside `1..=MAX_PARTITIONS`.
    #[error("{}: {}", self.path(), self.message())]
    InvalidPartitions {
        /// The rejected value.
        value: u32,
        /// The largest accepted value.
        max: u32,
    },
    /// Strategy 3 needs at least one partition (token) per node: Q >= S.
    #[error("{}: {}", self.path(), self.message())]
    TooFewPartitions {
        /// Q.
        partitions: u32,
        /// S after the change.
        nodes: usize,
    },
    /// A node's capacity asks for more tokens than the per-node limit.
    #[error("{}: {}", self.path(), self.message())]
    TooManyTokens {
        /// The node.
        node: NodeId,
        /// The requested token count.
        tokens: f64,
        /// The per-node limit.
        max: u32,
    },
    /// `leave` named a node that is not on the ring.
    #[error("{}: {}", self.path(), self.message())]
    NotAMember {
        /// The unknown node.
        node: NodeId,
    },
    /// `leave` would remove the last node.
    #[error("{}: {}", self.path(), self.message())]
    LastMember {
        /// The last node.
        node: NodeId,
    },
}

impl RingError {
    /// Where the problem is, relative to what the ring was built from: `members` (one member
    /// is named by its node, `members[p3]`), `strategy.<field>`, or `leave`.
    pub fn path(&self) -> JsonPath {
        let root = JsonPath::root();
        match self {
            RingError::NoMembers | RingError::DuplicateNode { .. } => root.field("members"),
            RingError::InvalidCapacity { node, .. } => root.field(format!("members[{node}]")).field("capacity"),
            RingError::TooManyTokens { node, .. } => root.field(format!("members[{node}]")),
            RingError::InvalidTokensPerNode { .. } => root.field("strategy").field("tokens_per_node"),
            RingError::InvalidPartitions { .. } | RingError::TooFewPartitions { .. } => {
                root.field("strategy").field("partitions")
            }
            RingError::NotAMember { .. } | RingError::LastMember { .. } => root.field("leave"),
        }
    }

    /// What is wrong, without the path.
    pub fn message(&self) -> String {
        match self {
            RingError::NoMembers => "a ring needs at least one node".to_string(),
            RingError::DuplicateNode { node } => format!("node {node} appears more than once"),
            RingError::InvalidCapacity { capacity, .. } => format!("must be finite and > 0, got {capacity}"),
            RingError::InvalidTokensPerNode { value, max } | RingError::InvalidPartitions { value, max } => {
                format!("must be in 1..={max}, got {value}")
            }
            RingError::TooFewPartitions { partitions, nodes } => {
                format!("{partitions} partitions cannot give each of {nodes} nodes a token")
            }
            RingError::TooManyTokens { tokens, max, .. } => {
                format!("capacity asks for {tokens} tokens, above the limit {max}")
            }
            RingError::NotAMember { node } => format!("node {node} is not a ring member"),
            RingError::LastMember { node } => format!("node {node} is the last member; a ring needs at least one node"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_each_variant_as_path_and_message() {
        let node = NodeId(3);
        let all = [
            (RingError::NoMembers, "members: a ring needs at least one node"),
            (RingError::DuplicateNode { node }, "members: node p3 appears more than once"),
            (
                RingError::InvalidCapacity { node, capacity: -1.0 },
                "members[p3].capacity: must be finite and > 0, got -1",
            ),
            (RingError::InvalidTokensPerNode { value: 0, max: 9 }, "strategy.tokens_per_node: must be in 1..=9, got 0"),
            (RingError::InvalidPartitions { value: 0, max: 9 }, "strategy.partitions: must be in 1..=9, got 0"),
            (
                RingError::TooFewPartitions { partitions: 2, nodes: 3 },
                "strategy.partitions: 2 partitions cannot give each of 3 nodes a token",
            ),
            (
                RingError::TooManyTokens { node, tokens: 1e6, max: 9 },
                "members[p3]: capacity asks for 1000000 tokens, above the limit 9",
            ),
            (RingError::NotAMember { node }, "leave: node p3 is not a ring member"),
            (RingError::LastMember { node }, "leave: node p3 is the last member; a ring needs at least one node"),
        ];
        for (e, shown) in all {
            assert_eq!(e.to_string(), shown);
        }
    }
}
