//! [`KeyTable`]: measurement's per-key state, dense and found by hash.
//!
//! Every observation looks its key up, so the lookup is the hottest thing measurement does. The
//! states sit in first-seen order in fixed-size chunks (so growing never copies them and wastes
//! at most one chunk), found through a seedless Fx hash index: a lookup is one hash probe instead
//! of a B-tree descent. First-seen order is itself deterministic (the
//! run is), but reports want key order, so everything that reaches output iterates
//! [`KeyTable::sorted`], which sorts once per call (end of run only).
//!
//! Invariant: `index[keys[i]] == i`, state `i` is `chunks[i / CHUNK][i % CHUNK]`, and every
//! chunk but the last is full.

use super::KeyState;
use sim_core::fxhash::FxHashMap;

/// States per chunk.
const CHUNK: usize = 4096;

/// Per-key measurement state, by key.
#[derive(Default)]
pub struct KeyTable {
    index: FxHashMap<u64, u32>,
    keys: Vec<u64>,
    chunks: Vec<Vec<KeyState>>,
}

impl KeyTable {
    /// The state of `key`, if it was ever seen.
    #[inline]
    pub fn get(&self, key: u64) -> Option<&KeyState> {
        self.index.get(&key).map(|&i| self.at(i as usize))
    }

    /// The state of `key`, mutably, if it was ever seen.
    #[inline]
    pub fn get_mut(&mut self, key: u64) -> Option<&mut KeyState> {
        let i = *self.index.get(&key)? as usize;
        Some(&mut self.chunks[i / CHUNK][i % CHUNK])
    }

    fn at(&self, i: usize) -> &KeyState {
        &self.chunks[i / CHUNK][i % CHUNK]
    }

    /// The state of `key`, made by `new` the first time `key` is seen.
    #[inline]
    pub fn get_or_insert_with(&mut self, key: u64, new: impl FnOnce() -> KeyState) -> &mut KeyState {
        let next = self.keys.len() as u32;
        let i = *self.index.entry(key).or_insert(next) as usize;
        if i == self.keys.len() {
            if i.is_multiple_of(CHUNK) {
                self.chunks.push(Vec::with_capacity(CHUNK));
            }
            self.keys.push(key);
            self.chunks[i / CHUNK].push(new());
        }
        debug_assert_eq!(self.keys[i], key);
        &mut self.chunks[i / CHUNK][i % CHUNK]
    }

    /// Keys seen.
    pub fn len(&self) -> usize {
        self.keys.len()
    }

    /// Whether no key was seen.
    pub fn is_empty(&self) -> bool {
        self.keys.is_empty()
    }

    /// Every key's state in first-seen order: for updates and sums whose result does not
    /// depend on order.
    pub fn iter_mut(&mut self) -> impl Iterator<Item = (u64, &mut KeyState)> {
        self.keys.iter().copied().zip(self.chunks.iter_mut().flatten())
    }

    /// Every key's state in first-seen order: for sums whose result does not depend on order.
    pub fn values(&self) -> impl Iterator<Item = &KeyState> {
        self.chunks.iter().flatten()
    }

    /// Every key with its state, in ascending key order (what output iterates).
    pub fn sorted(&self) -> Vec<(u64, &KeyState)> {
        let mut all: Vec<(u64, &KeyState)> = self.keys.iter().copied().zip(self.values()).collect();
        all.sort_unstable_by_key(|(k, _)| *k);
        all
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lookups_find_what_was_inserted_and_sorted_iterates_in_key_order() {
        let mut t = KeyTable::default();
        for key in [30u64, 10, 20, 10] {
            t.get_or_insert_with(key, KeyState::default).ops += 1;
        }
        assert_eq!(t.len(), 3);
        assert_eq!(t.get(10).map(|s| s.ops), Some(2));
        assert_eq!(t.get(30).map(|s| s.ops), Some(1));
        assert!(t.get(40).is_none());
        let order: Vec<u64> = t.sorted().iter().map(|(k, _)| *k).collect();
        assert_eq!(order, vec![10, 20, 30]);
        let seen: Vec<u64> = t.iter_mut().map(|(k, _)| k).collect();
        assert_eq!(seen, vec![30, 10, 20], "first-seen order");
    }

    #[test]
    fn states_past_the_first_chunk_are_found() {
        let mut t = KeyTable::default();
        let n = 2 * CHUNK as u64 + 5;
        for key in 0..n {
            t.get_or_insert_with(key * 7, KeyState::default).ops = key;
        }
        assert!((0..n).all(|key| t.get(key * 7).map(|s| s.ops) == Some(key)));
        assert_eq!(t.values().count() as u64, n);
        assert_eq!(t.sorted().len() as u64, n);
    }
}
