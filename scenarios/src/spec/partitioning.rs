//! `cluster.partitioning`: the partitioning strategy as the file spells it, and its conversion
//! to the model's [`dynamo_model::ring::PartitionStrategy`].

use dynamo_model::ring;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// How the ring is cut into ranges and how ranges map to nodes: the three schemes of §6.2.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum PartitionStrategy {
    /// Strategy 1: each node draws T random tokens; each token owns the arc back to its
    /// predecessor token, so ranges are defined by token values and change on every join.
    RandomTokens {
        /// T, scaled by each node's capacity.
        tokens_per_node: u32,
    },
    /// Strategy 2: T random tokens per node, but the ring is cut into Q fixed equal partitions.
    /// A partition lives on the first N distinct nodes clockwise from the partition's end.
    RandomTokensEqualPartitions {
        /// T, scaled by each node's capacity.
        tokens_per_node: u32,
        /// Q; the paper wants Q ≫ N and Q ≫ S·T.
        partitions: u32,
    },
    /// Strategy 3: Q equal partitions whose ends are the tokens, Q/S per node (proportional to
    /// capacity). A leaving node's tokens go to random remaining nodes; a joiner steals tokens.
    EqualPartitions {
        /// Q; must be at least the number of nodes.
        partitions: u32,
    },
}

impl PartitionStrategy {
    /// The model's strategy (its `validate` checks the counts against the ring's limits).
    pub fn to_model(self) -> ring::PartitionStrategy {
        match self {
            PartitionStrategy::RandomTokens { tokens_per_node } => {
                ring::PartitionStrategy::RandomTokens { tokens_per_node }
            }
            PartitionStrategy::RandomTokensEqualPartitions { tokens_per_node, partitions } => {
                ring::PartitionStrategy::RandomTokensEqualPartitions { tokens_per_node, partitions }
            }
            PartitionStrategy::EqualPartitions { partitions } => {
                ring::PartitionStrategy::EqualPartitions { partitions }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_strategy_keeps_its_counts() {
        let s = PartitionStrategy::RandomTokensEqualPartitions { tokens_per_node: 8, partitions: 1024 };
        assert_eq!(
            s.to_model(),
            ring::PartitionStrategy::RandomTokensEqualPartitions { tokens_per_node: 8, partitions: 1024 }
        );
        let s = PartitionStrategy::RandomTokens { tokens_per_node: 64 };
        assert_eq!(s.to_model().tokens_per_node(), Some(64));
        let s = PartitionStrategy::EqualPartitions { partitions: 960 };
        assert_eq!(s.to_model().partitions(), Some(960));
    }
}
