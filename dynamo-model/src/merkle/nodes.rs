//! [`SparseNodes`]: the node hashes a sparse [`MerkleTree`](super::MerkleTree) stores, keyed by
//! heap index, in two parallel vectors sorted by that index.
//!
//! Heap order puts the root first and each level after the one above it, so the vectors list the
//! stored nodes level by level, left to right. Lookups are binary searches; an update that keeps
//! the set of stored nodes overwrites in place, and one that changes it shifts the tail of the
//! vectors within their capacity, so steady-state updates allocate nothing.

/// Stored node hashes by heap index: index 1 is the root, node `n` has children `2n` and `2n + 1`.
/// Invariant: `heap` is strictly ascending and `hash[i]` is the hash of node `heap[i]`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct SparseNodes {
    /// Heap indices of the stored nodes, strictly ascending.
    heap: Vec<u32>,
    /// Their hashes, in the same order.
    hash: Vec<u64>,
}

impl SparseNodes {
    /// The nodes of `descending`, a list of `(heap index, hash)` in strictly descending order.
    pub(crate) fn from_descending(descending: Vec<(u32, u64)>) -> Self {
        debug_assert!(descending.windows(2).all(|w| w[0].0 > w[1].0), "not strictly descending");
        let (mut heap, mut hash): (Vec<u32>, Vec<u64>) = descending.into_iter().unzip();
        heap.reverse();
        hash.reverse();
        SparseNodes { heap, hash }
    }

    /// Number of stored nodes.
    pub(crate) fn len(&self) -> usize {
        self.heap.len()
    }

    /// The stored hash of node `n`, if `n` is stored.
    pub(crate) fn get(&self, n: u32) -> Option<u64> {
        self.heap.binary_search(&n).ok().map(|i| self.hash[i])
    }

    /// The stored hashes of the sibling pair `left` (even) and `left + 1`, with one search.
    pub(crate) fn pair(&self, left: u32) -> [Option<u64>; 2] {
        debug_assert!(left.is_multiple_of(2), "{left} is a right child");
        let i = self.heap.partition_point(|&m| m < left);
        let at = |j: usize, n: u32| (self.heap.get(j) == Some(&n)).then(|| self.hash[j]);
        match at(i, left) {
            Some(l) => [Some(l), at(i + 1, left + 1)],
            None => [None, at(i, left + 1)],
        }
    }

    /// Stores `value` as node `n`'s hash, or forgets `n` when `value` is `None`.
    pub(crate) fn set(&mut self, n: u32, value: Option<u64>) {
        match (self.heap.binary_search(&n), value) {
            (Ok(i), Some(v)) => self.hash[i] = v,
            (Err(i), Some(v)) => {
                self.heap.insert(i, n);
                self.hash.insert(i, v);
            }
            (Ok(i), None) => {
                self.heap.remove(i);
                self.hash.remove(i);
            }
            (Err(_), None) => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn set_get_and_pair_keep_the_order() {
        let mut nodes = SparseNodes::from_descending(vec![(5, 50), (2, 20), (1, 10)]);
        assert_eq!((nodes.len(), nodes.get(5), nodes.get(4)), (3, Some(50), None));
        assert_eq!(nodes.pair(4), [None, Some(50)]);
        nodes.set(4, Some(40));
        nodes.set(3, Some(30));
        assert_eq!(nodes.pair(4), [Some(40), Some(50)]);
        assert_eq!(nodes.pair(2), [Some(20), Some(30)]);
        nodes.set(2, None);
        nodes.set(6, None);
        assert_eq!(nodes.heap, vec![1, 3, 4, 5]);
        assert_eq!(nodes.hash, vec![10, 30, 40, 50]);
        assert_eq!(nodes.pair(6), [None, None]);
    }
}
