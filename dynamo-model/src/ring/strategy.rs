//! The configuration a ring is built from: partitioning strategy (§6.2), placement, members.

use super::NodeId;
use super::error::RingError;
use super::partition::PartitionGrid;

/// Upper bound on tokens per node (after capacity scaling): keeps ring metadata bounded.
pub const MAX_TOKENS_PER_NODE: u32 = 1 << 16;
/// Upper bound on Q, the number of equal partitions.
pub const MAX_PARTITIONS: u32 = 1 << 20;

/// How the ring is cut into ranges and how ranges map to nodes: the three schemes of §6.2.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
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
    /// Checks the numeric fields against their limits.
    pub fn validate(&self) -> Result<(), RingError> {
        if let Some(t) = self.tokens_per_node()
            && !(1..=MAX_TOKENS_PER_NODE).contains(&t)
        {
            return Err(RingError::InvalidTokensPerNode { value: t, max: MAX_TOKENS_PER_NODE });
        }
        if let Some(q) = self.partitions()
            && !(1..=MAX_PARTITIONS).contains(&q)
        {
            return Err(RingError::InvalidPartitions { value: q, max: MAX_PARTITIONS });
        }
        Ok(())
    }

    /// T, for the strategies that draw random tokens.
    pub const fn tokens_per_node(&self) -> Option<u32> {
        match *self {
            Self::RandomTokens { tokens_per_node } | Self::RandomTokensEqualPartitions { tokens_per_node, .. } => {
                Some(tokens_per_node)
            }
            Self::EqualPartitions { .. } => None,
        }
    }

    /// Q, for the strategies with fixed equal partitions.
    pub const fn partitions(&self) -> Option<u32> {
        match *self {
            Self::RandomTokens { .. } => None,
            Self::RandomTokensEqualPartitions { partitions, .. } | Self::EqualPartitions { partitions } => {
                Some(partitions)
            }
        }
    }

    /// The partition grid of strategies 2 and 3 (call after `validate`).
    pub(crate) fn grid(&self) -> Option<PartitionGrid> {
        self.partitions().map(PartitionGrid::new)
    }
}

/// How a preference list is ordered once the ring walk has found distinct nodes (§4.3, §4.6).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum PlacementPolicy {
    /// Distinct physical nodes in the order the clockwise walk meets them.
    #[default]
    Clockwise,
    /// Round-robin over datacenters. Walk clockwise as for `Clockwise`; order the datacenters
    /// by where the walk first meets them; then emit, round after round, the next not-yet-emitted
    /// node of each datacenter in that order, skipping datacenters with no nodes left. Any prefix
    /// of length k therefore spans `min(k, D)` datacenters, the first entry is still the owner,
    /// and within a datacenter nodes keep their clockwise order.
    DatacenterAware,
}

/// A physical node on the ring and what placement needs to know about it.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct RingMember {
    /// The node.
    pub node: NodeId,
    /// Relative weight; token counts are proportional to it. Finite and > 0; default 1.0.
    pub capacity: f64,
    /// The datacenter, used by `PlacementPolicy::DatacenterAware`. Default 0.
    pub datacenter: u32,
    /// The rack inside the datacenter; recorded for reports, not used for placement. Default 0.
    pub rack: u32,
}

impl RingMember {
    /// A node of capacity 1.0 in datacenter 0, rack 0.
    pub const fn new(node: NodeId) -> Self {
        RingMember { node, capacity: 1.0, datacenter: 0, rack: 0 }
    }

    /// This member with another capacity.
    pub const fn with_capacity(mut self, capacity: f64) -> Self {
        self.capacity = capacity;
        self
    }

    /// This member placed in `datacenter`, `rack`.
    pub const fn in_datacenter(mut self, datacenter: u32, rack: u32) -> Self {
        self.datacenter = datacenter;
        self.rack = rack;
        self
    }

    /// Checks the capacity: finite and strictly positive.
    pub fn validate(&self) -> Result<(), RingError> {
        if self.capacity.is_finite() && self.capacity > 0.0 {
            Ok(())
        } else {
            Err(RingError::InvalidCapacity { node: self.node, capacity: self.capacity })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn member_builders_and_defaults() {
        let m = RingMember::new(NodeId(3)).with_capacity(2.0).in_datacenter(1, 4);
        assert_eq!((m.capacity, m.datacenter, m.rack), (2.0, 1, 4));
        assert_eq!(RingMember::new(NodeId(0)).capacity, 1.0);
    }

    #[test]
    fn limits_are_checked() {
        let zero_t = PartitionStrategy::RandomTokens { tokens_per_node: 0 };
        assert!(matches!(zero_t.validate(), Err(RingError::InvalidTokensPerNode { value: 0, .. })));
        let zero_q = PartitionStrategy::EqualPartitions { partitions: 0 };
        assert!(matches!(zero_q.validate(), Err(RingError::InvalidPartitions { value: 0, .. })));
        let huge_q = PartitionStrategy::RandomTokensEqualPartitions { tokens_per_node: 1, partitions: u32::MAX };
        assert!(matches!(huge_q.validate(), Err(RingError::InvalidPartitions { .. })));
        for bad in [0.0, -1.0, f64::NAN, f64::INFINITY] {
            let err = RingMember::new(NodeId(1)).with_capacity(bad).validate();
            assert!(matches!(err, Err(RingError::InvalidCapacity { node: NodeId(1), .. })), "{bad}");
        }
    }
}
