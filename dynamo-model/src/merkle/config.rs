//! Merkle tree options ([`MerkleConfig`]) and the typed errors of the `merkle` module.

/// The shallowest accepted tree: a root over two leaf buckets.
pub const MIN_DEPTH: u8 = 1;
/// The deepest accepted tree: 2^20 leaf buckets per key range. Trees are sparse, so memory
/// grows with the keys held (at most `depth + 1` node hashes each), not with 2^depth.
/// Cassandra's repair trees stop at depth 15 (32K leaves).
pub const MAX_DEPTH: u8 = 20;
/// The default depth: 1024 leaf buckets per key range.
pub const DEFAULT_DEPTH: u8 = 10;

/// Shape of the Merkle tree kept for each key range.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MerkleConfig {
    /// Levels below the root, in `1..=20`; the tree has `2^depth` leaf buckets. Deeper trees cost
    /// more round trips and memory but send fewer bucket entries per differing key.
    pub depth: u8,
}

impl Default for MerkleConfig {
    fn default() -> Self {
        MerkleConfig { depth: DEFAULT_DEPTH }
    }
}

impl MerkleConfig {
    /// A configuration with this depth, checked.
    pub fn with_depth(depth: u8) -> Result<Self, MerkleError> {
        let config = MerkleConfig { depth };
        config.validate()?;
        Ok(config)
    }

    /// Checks that the depth lies in [`MIN_DEPTH`]`..=`[`MAX_DEPTH`].
    pub fn validate(&self) -> Result<(), MerkleError> {
        if (MIN_DEPTH..=MAX_DEPTH).contains(&self.depth) {
            Ok(())
        } else {
            Err(MerkleError::DepthOutOfRange { depth: self.depth })
        }
    }
}

/// Everything that can go wrong building a tree or running an exchange. Never a panic: a peer's
/// malformed message is reported here.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum MerkleError {
    /// `depth` lies outside [`MIN_DEPTH`]`..=`[`MAX_DEPTH`].
    #[error("merkle.depth = {depth}: must be in {MIN_DEPTH}..={MAX_DEPTH}")]
    DepthOutOfRange {
        /// The rejected depth.
        depth: u8,
    },
    /// The two sides of an exchange use trees of different depths.
    #[error("merkle trees of depth {local} and {remote} cannot be compared")]
    DepthMismatch {
        /// Depth of this side's tree.
        local: u8,
        /// Depth the peer announced.
        remote: u8,
    },
    /// A node position lies outside the tree (or a leaf was asked for its children).
    #[error("merkle node (level {level}, index {index}) is outside a tree of depth {depth}")]
    NodeOutOfRange {
        /// Level asked for (0 is the root).
        level: u8,
        /// Index within the level.
        index: u32,
        /// Depth of the tree asked.
        depth: u8,
    },
    /// A list did not have as many items as the request it answers.
    #[error("merkle {what}: expected {expected} items, got {got}")]
    LengthMismatch {
        /// What the list holds.
        what: &'static str,
        /// Items requested.
        expected: usize,
        /// Items received.
        got: usize,
    },
    /// A peer's bucket is not a sorted, duplicate-free list of keys that belong to its leaf.
    #[error("merkle bucket for leaf {leaf}: {problem}")]
    MalformedBucket {
        /// The leaf the bucket claims to be.
        leaf: u32,
        /// What is wrong with it.
        problem: &'static str,
    },
    /// A reply arrived that does not answer the request in flight (or none is in flight).
    #[error("merkle exchange: unexpected reply while {state}")]
    UnexpectedReply {
        /// What the exchange was waiting for.
        state: &'static str,
    },
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn depth_limits_are_typed_errors() {
        for depth in [0, MAX_DEPTH + 1, u8::MAX] {
            assert_eq!(MerkleConfig::with_depth(depth), Err(MerkleError::DepthOutOfRange { depth }));
        }
        for depth in [MIN_DEPTH, DEFAULT_DEPTH, MAX_DEPTH] {
            assert_eq!(MerkleConfig::with_depth(depth).map(|c| c.depth), Ok(depth));
        }
        assert_eq!(MerkleConfig::default().depth, DEFAULT_DEPTH);
    }

    #[test]
    fn error_names_the_field() {
        let err = MerkleConfig { depth: 0 }.validate().unwrap_err();
        assert!(err.to_string().contains("merkle.depth = 0"), "{err}");
    }
}
