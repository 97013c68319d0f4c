//! Merkle trees per key range for anti-entropy (DYN §4.7): one [`MerkleTree`] per key range,
//! updated incrementally as writes land, and a sans-IO [`Exchange`] that descends only where two
//! replicas' hashes differ and ends with exactly the keys that differ.
//!
//! - `config`: [`MerkleConfig`] (the tree depth) and [`MerkleError`].
//! - `hash`: the fixed mixing functions (placement, leaf and node hashes) and the hashes of
//!   all-empty subtrees.
//! - `tree`: the tree, its incremental maintenance, node access and [`Footprint`].
//! - `nodes`: the sparse store of a tree's node hashes (only subtrees holding a key).
//! - `exchange`: the request/reply steps, the exact key diff and its [`DiffCost`].

mod config;
mod exchange;
mod hash;
mod nodes;
mod tree;

pub use config::{DEFAULT_DEPTH, MAX_DEPTH, MIN_DEPTH, MerkleConfig, MerkleError};
pub use exchange::{
    Bucket, DiffCost, DiffResult, ENTRY_BYTES, Exchange, HASH_BYTES, INDEX_BYTES, KeyDelta, Reply, Request, Step,
    children_of, diff,
};
pub use tree::{Footprint, MerkleTree};

#[cfg(test)]
mod tests;
