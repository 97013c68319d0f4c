//! [`MerkleTree`]: one key range's `(key, digest)` entries hashed into a fixed-depth binary tree,
//! kept up to date in O(depth) hash work per change, and stored sparsely.
//!
//! Leaf placement: a key's leaf is chosen by mixing its `u64` key id (see `hash::leaf_of`), not
//! from its ring position. The caller decides which keys belong to the range; inside it, keys
//! spread evenly over the leaves and both replicas place a key alike without knowing the range's
//! bounds. A leaf is therefore not a contiguous slice of the ring, which costs nothing here since
//! the exchange ends with exact keys, never with a sub-range to stream.
//!
//! Leaf hash: the wrapping sum of `entry_hash(key, digest)` over the leaf's keys (0 when empty),
//! so an update adjusts the sum without rescanning the bucket. Interior node: `node_hash(left,
//! right)`. Two trees holding the same entries have identical nodes, however they were built.
//!
//! Sparse storage: only nodes whose subtree holds a key are stored (at most `depth + 1` per key,
//! none for an empty tree); every other node is an all-empty subtree whose hash is the constant
//! `hash::EMPTY_SUBTREE[height]`. Every hash is therefore the one a dense array of all
//! `2^(depth + 1)` nodes would hold, while memory follows the keys, not `2^depth`.

use super::config::{MerkleConfig, MerkleError};
use super::hash::{EMPTY_SUBTREE, entry_hash, leaf_of, node_hash};
use super::nodes::SparseNodes;
use std::collections::BTreeMap;
use std::fmt;
use std::ops::{Add, Range};

/// The Merkle tree of one key range.
#[derive(Clone, PartialEq, Eq)]
pub struct MerkleTree {
    depth: u8,
    /// The stored node hashes, by heap index (1 is the root, node `n` has children `2n` and
    /// `2n + 1`, level `l` starts at `2^l`). Invariant: node `n` is stored exactly when a leaf
    /// bucket under it holds an entry, i.e. the stored nodes are the ancestors (leaves included)
    /// of the non-empty buckets, so the representation is canonical and `PartialEq` compares
    /// entries and hashes alike. An unstored node's hash is `EMPTY_SUBTREE[its height]`.
    nodes: SparseNodes,
    /// Every key's digest, ordered by `(leaf, key)` so each bucket is one contiguous range.
    entries: BTreeMap<(u32, u64), u64>,
}

/// What a tree (or a set of trees) holds in memory, counted in stored items.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Footprint {
    /// Node hashes stored: only nodes over at least one key, so at most `entries × (depth + 1)`.
    pub node_slots: usize,
    /// `(key, digest)` entries held.
    pub entries: usize,
}

impl Footprint {
    /// Bytes of node data per slot: 8 for the hash and 4 for its heap index.
    pub const SLOT_PAYLOAD_BYTES: usize = 12;
    /// Bytes of entry data per entry: leaf (4, padded to 8), key (8) and digest (8).
    pub const ENTRY_PAYLOAD_BYTES: usize = 24;

    /// Payload bytes held, at [`SLOT_PAYLOAD_BYTES`](Self::SLOT_PAYLOAD_BYTES) and
    /// [`ENTRY_PAYLOAD_BYTES`](Self::ENTRY_PAYLOAD_BYTES) apiece; allocator slack, spare vector
    /// capacity and B-tree node overhead are not counted.
    pub fn payload_bytes(&self) -> usize {
        self.node_slots * Self::SLOT_PAYLOAD_BYTES + self.entries * Self::ENTRY_PAYLOAD_BYTES
    }
}

impl Add for Footprint {
    type Output = Footprint;

    fn add(self, other: Footprint) -> Footprint {
        Footprint { node_slots: self.node_slots + other.node_slots, entries: self.entries + other.entries }
    }
}

impl fmt::Debug for MerkleTree {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MerkleTree")
            .field("depth", &self.depth)
            .field("keys", &self.entries.len())
            .field("root", &format_args!("{:#018x}", self.root()))
            .finish()
    }
}

impl MerkleTree {
    /// An empty tree (no node stored, nothing allocated), or an error if `config` is invalid.
    pub fn new(config: MerkleConfig) -> Result<Self, MerkleError> {
        config.validate()?;
        Ok(MerkleTree { depth: config.depth, nodes: SparseNodes::default(), entries: BTreeMap::new() })
    }

    /// A tree holding `entries`, hashed once bottom-up. A key given twice keeps its last digest,
    /// exactly as repeated [`insert_or_update`](Self::insert_or_update) calls would.
    pub fn build(config: MerkleConfig, entries: impl IntoIterator<Item = (u64, u64)>) -> Result<Self, MerkleError> {
        let mut tree = MerkleTree::new(config)?;
        for (key, digest) in entries {
            tree.entries.insert((leaf_of(key, tree.depth), key), digest);
        }
        let mut nodes = tree.leaf_sums_descending();
        let mut level = 0..nodes.len();
        for height in 0..usize::from(tree.depth) {
            hash_parents(&mut nodes, level.clone(), height);
            level = level.end..nodes.len();
        }
        tree.nodes = SparseNodes::from_descending(nodes);
        tree.debug_check_size();
        Ok(tree)
    }

    /// The configuration this tree was built with.
    pub fn config(&self) -> MerkleConfig {
        MerkleConfig { depth: self.depth }
    }

    /// Levels below the root; leaves are at level `depth`.
    pub fn depth(&self) -> u8 {
        self.depth
    }

    /// Number of leaf buckets, `2^depth`.
    pub fn leaf_count(&self) -> u32 {
        1 << self.depth
    }

    /// Number of keys held.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether the tree holds no key.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// The digest held for `key`, if any.
    pub fn get(&self, key: u64) -> Option<u64> {
        self.entries.get(&(self.leaf_of(key), key)).copied()
    }

    /// The root hash: equal roots mean (up to a 2^-64 collision) equal entries.
    pub fn root(&self) -> u64 {
        self.node(1)
    }

    /// What this tree holds: its stored node slots (none when empty) and its entries.
    pub fn footprint(&self) -> Footprint {
        Footprint { node_slots: self.nodes.len(), entries: self.entries.len() }
    }

    /// The leaf bucket `key` falls in.
    pub fn leaf_of(&self, key: u64) -> u32 {
        leaf_of(key, self.depth)
    }

    /// Sets `key`'s digest; returns the previous one. O(depth) hash work and node lookups; the
    /// node store allocates only when a new leaf bucket outgrows its capacity.
    pub fn insert_or_update(&mut self, key: u64, digest: u64) -> Option<u64> {
        let leaf = self.leaf_of(key);
        let old = self.entries.insert((leaf, key), digest);
        if old != Some(digest) {
            let removed = old.map_or(0, |d| entry_hash(key, d));
            self.adjust_leaf(leaf, entry_hash(key, digest), removed);
        }
        old
    }

    /// Forgets `key`; returns its digest if it was held. O(depth) hash work.
    pub fn remove(&mut self, key: u64) -> Option<u64> {
        let leaf = self.leaf_of(key);
        let old = self.entries.remove(&(leaf, key));
        if let Some(digest) = old {
            self.adjust_leaf(leaf, 0, entry_hash(key, digest));
        }
        old
    }

    /// The hash of node `index` on `level` (level 0 is the root, level `depth` the leaves).
    pub fn hash_at(&self, level: u8, index: u32) -> Result<u64, MerkleError> {
        Ok(self.node(self.heap_index(level, index)?))
    }

    /// The hashes of several nodes on one level, in the order asked.
    pub fn level_hashes(&self, level: u8, indices: &[u32]) -> Result<Vec<u64>, MerkleError> {
        indices.iter().map(|&i| self.hash_at(level, i)).collect()
    }

    /// The hashes of the two children of node `index` on `level`; a leaf has none.
    pub fn children_hashes(&self, level: u8, index: u32) -> Result<[u64; 2], MerkleError> {
        let n = self.heap_index(level, index)?;
        if level == self.depth {
            return Err(self.out_of_range(level + 1, index.saturating_mul(2)));
        }
        Ok([self.node(2 * n), self.node(2 * n + 1)])
    }

    /// The `(key, digest)` entries of one leaf bucket, sorted by key.
    pub fn bucket(&self, leaf: u32) -> Result<Vec<(u64, u64)>, MerkleError> {
        self.heap_index(self.depth, leaf)?;
        Ok(self.bucket_iter(leaf).collect())
    }

    /// The entries of one in-range leaf bucket, sorted by key.
    pub(crate) fn bucket_iter(&self, leaf: u32) -> impl Iterator<Item = (u64, u64)> + '_ {
        self.entries.range((leaf, 0)..=(leaf, u64::MAX)).map(|(&(_, key), &digest)| (key, digest))
    }

    /// The heap index of node (`level`, `index`), checked.
    fn heap_index(&self, level: u8, index: u32) -> Result<u32, MerkleError> {
        if level > self.depth || u64::from(index) >= 1u64 << level {
            return Err(self.out_of_range(level, index));
        }
        Ok((1u32 << level) + index)
    }

    /// The hash of heap node `n`: stored, or that of an empty subtree of its height.
    fn node(&self, n: u32) -> u64 {
        self.nodes.get(n).unwrap_or(EMPTY_SUBTREE[self.height_of(n)])
    }

    /// Levels below heap node `n` (0 for a leaf).
    fn height_of(&self, n: u32) -> usize {
        usize::from(self.depth) - n.ilog2() as usize
    }

    fn out_of_range(&self, level: u8, index: u32) -> MerkleError {
        MerkleError::NodeOutOfRange { level, index, depth: self.depth }
    }

    /// The heap index of leaf 0.
    fn leaf_base(&self) -> u32 {
        1u32 << self.depth
    }

    /// Adds `added` and subtracts `removed` from a leaf's sum, then rehashes its ancestors,
    /// storing the nodes that now cover a key and forgetting those that no longer do.
    fn adjust_leaf(&mut self, leaf: u32, added: u64, removed: u64) {
        let mut n = self.leaf_base() + leaf;
        let sum = self.node(n).wrapping_add(added).wrapping_sub(removed);
        let occupied = self.bucket_iter(leaf).next().is_some();
        self.nodes.set(n, occupied.then_some(sum));
        let mut height = 0;
        while n > 1 {
            n /= 2;
            let empty = EMPTY_SUBTREE[height];
            height += 1;
            let hash = match self.nodes.pair(2 * n) {
                [None, None] => None,
                [l, r] => Some(node_hash(l.unwrap_or(empty), r.unwrap_or(empty))),
            };
            self.nodes.set(n, hash);
        }
        self.debug_check_size();
    }

    /// Each non-empty leaf's `(heap index, sum)`, in descending order.
    fn leaf_sums_descending(&self) -> Vec<(u32, u64)> {
        let base = self.leaf_base();
        let mut out: Vec<(u32, u64)> = Vec::new();
        for (&(leaf, key), &digest) in self.entries.iter().rev() {
            let (n, h) = (base + leaf, entry_hash(key, digest));
            match out.last_mut() {
                Some((m, sum)) if *m == n => *sum = sum.wrapping_add(h),
                _ => out.push((n, h)),
            }
        }
        out
    }

    /// The cheap half of the storage invariant: a root exactly when there are keys, and no more
    /// than `depth + 1` stored nodes per key.
    fn debug_check_size(&self) {
        debug_assert_eq!(self.nodes.get(1).is_some(), !self.entries.is_empty(), "root stored iff keys held");
        debug_assert!(self.nodes.len() <= self.entries.len() * (usize::from(self.depth) + 1), "too many nodes");
    }
}

/// Appends to `nodes` the parents of the nodes in `nodes[level]` (one level, descending heap
/// order, of subtrees of `height`), themselves in descending order.
fn hash_parents(nodes: &mut Vec<(u32, u64)>, level: Range<usize>, height: usize) {
    let empty = EMPTY_SUBTREE[height];
    let mut i = level.start;
    while i < level.end {
        let (n, h) = nodes[i];
        let (left, right, taken) = if n.is_multiple_of(2) {
            (h, empty, 1)
        } else {
            match nodes[i + 1..level.end].first() {
                Some(&(m, l)) if m == n - 1 => (l, h, 2),
                _ => (empty, h, 1),
            }
        };
        nodes.push((n / 2, node_hash(left, right)));
        i += taken;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tree(depth: u8) -> MerkleTree {
        MerkleTree::new(MerkleConfig { depth }).unwrap()
    }

    #[test]
    fn bad_depth_is_rejected_not_panicking() {
        for depth in [0, 21, 64, 255] {
            let err = MerkleTree::new(MerkleConfig { depth }).unwrap_err();
            assert_eq!(err, MerkleError::DepthOutOfRange { depth });
            let err = MerkleTree::build(MerkleConfig { depth }, [(1, 2)]).unwrap_err();
            assert_eq!(err, MerkleError::DepthOutOfRange { depth });
        }
        assert_eq!(tree(20).leaf_count(), 1 << 20);
    }

    #[test]
    fn root_is_pinned() {
        let t = MerkleTree::build(MerkleConfig { depth: 4 }, [(1, 2), (3, 4), (5, 6)]).unwrap();
        assert_eq!(t.root(), PINNED_ROOT, "{:#018x}", t.root());
    }

    #[test]
    fn parents_hash_their_children() {
        let t = MerkleTree::build(MerkleConfig { depth: 3 }, (0..50).map(|k| (k, k * 7))).unwrap();
        for level in 0..3 {
            for index in 0..1u32 << level {
                let [l, r] = t.children_hashes(level, index).unwrap();
                assert_eq!(t.hash_at(level, index).unwrap(), node_hash(l, r));
            }
        }
        let leaf = t.leaf_of(7);
        let sum = t.bucket(leaf).unwrap().iter().fold(0u64, |s, &(k, d)| s.wrapping_add(entry_hash(k, d)));
        assert_eq!(t.hash_at(3, leaf).unwrap(), sum);
    }

    #[test]
    fn update_and_remove_restore_the_root() {
        let mut t = MerkleTree::build(MerkleConfig { depth: 5 }, (0..100).map(|k| (k, k))).unwrap();
        let before = t.root();
        assert_eq!(t.insert_or_update(7, 99), Some(7));
        assert_ne!(t.root(), before);
        assert_eq!(t.insert_or_update(7, 7), Some(99));
        assert_eq!(t.root(), before);
        assert_eq!(t.insert_or_update(1000, 1), None);
        assert_eq!(t.remove(1000), Some(1));
        assert_eq!(t.remove(1000), None);
        assert_eq!(t.root(), before);
        assert_eq!((t.len(), t.get(7), t.get(1000)), (100, Some(7), None));
    }

    #[test]
    fn empty_trees_agree_and_buckets_are_sorted() {
        assert_eq!(tree(6), MerkleTree::build(MerkleConfig { depth: 6 }, []).unwrap());
        let t = MerkleTree::build(MerkleConfig { depth: 1 }, (0..40).rev().map(|k| (k, 0))).unwrap();
        let bucket = t.bucket(0).unwrap();
        assert!(bucket.windows(2).all(|w| w[0].0 < w[1].0));
        assert_eq!(bucket.len() + t.bucket(1).unwrap().len(), 40);
    }

    #[test]
    fn positions_outside_the_tree_are_errors() {
        let t = tree(3);
        let oor = |level, index| MerkleError::NodeOutOfRange { level, index, depth: 3 };
        assert_eq!(t.hash_at(4, 0), Err(oor(4, 0)));
        assert_eq!(t.hash_at(2, 4), Err(oor(2, 4)));
        assert_eq!(t.children_hashes(3, 1), Err(oor(4, 2)));
        assert_eq!(t.bucket(8), Err(oor(3, 8)));
        assert_eq!(t.level_hashes(1, &[0, 1, 2]), Err(oor(1, 2)));
    }

    const PINNED_ROOT: u64 = 0x8E41_5205_74B8_8686;
}
