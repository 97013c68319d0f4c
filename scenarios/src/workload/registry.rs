//! The contents of values: which cart items each write holds and which it removed.
//!
//! A real system carries this inside the object's bytes; the model's values are opaque, so the
//! workload keeps it here, shared by the clients of one run (single-threaded, deterministic).
//! It lets the union merge policy compute a cart and count items that a concurrent branch had
//! deleted but the merge brings back.

use dynamo_model::version::WriteId;
use std::collections::BTreeMap;

/// One write's content.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Content {
    /// The items in the value, ascending.
    pub items: Vec<u64>,
    /// Items this write removed relative to what its writer had read, ascending.
    pub removed: Vec<u64>,
}

/// Contents of every write of a run.
#[derive(Clone, Debug, Default)]
pub struct Registry {
    writes: BTreeMap<WriteId, Content>,
}

impl Registry {
    /// Records what a new write holds.
    pub fn record(&mut self, id: WriteId, content: Content) {
        debug_assert!(content.items.windows(2).all(|w| w[0] < w[1]), "items must be sorted and unique");
        self.writes.insert(id, content);
    }

    /// What a write holds (empty for an unknown write, e.g. a tombstone).
    pub fn content(&self, id: WriteId) -> Option<&Content> {
        self.writes.get(&id)
    }

    /// The union of the given writes' items, and how many of them some other sibling had
    /// removed (resurrected deletions).
    pub fn union(&self, siblings: &[WriteId]) -> (Vec<u64>, u64) {
        let mut items: Vec<u64> =
            siblings.iter().filter_map(|w| self.content(*w)).flat_map(|c| c.items.iter().copied()).collect();
        items.sort_unstable();
        items.dedup();
        let resurrected = items
            .iter()
            .filter(|x| siblings.iter().filter_map(|w| self.content(*w)).any(|c| c.removed.binary_search(x).is_ok()))
            .count() as u64;
        (items, resurrected)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn union_counts_items_a_concurrent_branch_removed() {
        let mut r = Registry::default();
        // Branch A kept items 1 and 2; branch B removed 2 and added 3.
        r.record(WriteId(1), Content { items: vec![1, 2], removed: vec![] });
        r.record(WriteId(2), Content { items: vec![1, 3], removed: vec![2] });
        let (items, resurrected) = r.union(&[WriteId(1), WriteId(2)]);
        assert_eq!(items, vec![1, 2, 3]);
        assert_eq!(resurrected, 1, "item 2 comes back");
        assert_eq!(r.union(&[WriteId(2)]), (vec![1, 3], 0));
    }
}
