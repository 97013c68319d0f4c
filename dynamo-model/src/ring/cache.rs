//! Preference lists cached per ring and start token.
//!
//! A position's preference list depends only on the token its walk starts from: the first token
//! at or after the position's origin (the position itself for strategy 1, its partition's end
//! for strategies 2 and 3). Every position whose walk starts at token `i` lies on the arc
//! `(token i-1, token i]` (or on a partition whose end lies there), so one list per token serves
//! the whole ring. The table holds, per token, the first `len` nodes of that list, where `len`
//! is the ring's cached length capped at S (the extended list, 2N, when a [`RingRecipe`] builds
//! the ring). A shorter list is a prefix of a longer one under both placement policies (see
//! [`Ring::preference_list`]), so one table serves every length up to `len`.
//!
//! The table is built on the ring's first cached lookup, by one walk per token; a lookup is then
//! a binary search over the token positions plus a copy of at most `len` node ids, with no
//! allocation. Memory: O(tokens × len) per ring, 4 bytes per node id (a 1,000-node ring with 64
//! tokens each and N = 3 holds 64,000 lists of 6 ids: 1.5 MB). Building it takes about 1.4 ms
//! for that ring, against about 39 ms to build the ring itself (measured on the release
//! binary); it is built lazily rather than with the ring because rings are also built that
//! never route a key (a view's future rings, used only for `ranges_of`).
//!
//! Rings are immutable values shared as `Arc<Ring>`; a membership or placement change makes a
//! new ring with an empty table, so a table never outlives the ring it describes. `OnceLock`
//! keeps a shared ring `Send + Sync`.
//!
//! [`RingRecipe`]: crate::membership::RingRecipe
//! [`Ring::preference_list`]: super::Ring::preference_list

use super::{KeyRange, NodeId};
use std::fmt;
use std::sync::OnceLock;

/// Every member's key ranges for one list length `n`, indexed by member index: what
/// [`super::Ring::ranges_of`] answers, computed for all members in one walk per arc.
pub(super) type RangesByMember = (usize, Vec<Vec<KeyRange>>);

/// The per-token preference-list table of one ring (see the module docs), and the ring's key
/// ranges per member for the first list length asked (every node of a cluster asks for its own
/// ranges at boot, on the same shared ring: one pass over the arcs serves them all).
#[derive(Clone, Default)]
pub(super) struct ListCache {
    /// The length asked for (kept across join and leave, which change S).
    wanted: usize,
    /// The cached list length: `wanted` capped at S; 0 disables the cache.
    len: usize,
    /// Token `i`'s list is `table[i * len..(i + 1) * len]`; built on the first lookup.
    table: OnceLock<Box<[NodeId]>>,
    /// Every member's ranges for one `n`, computed on the first `ranges_of`.
    ranges: OnceLock<RangesByMember>,
}

impl ListCache {
    /// An empty cache of lists `wanted` long, capped at the ring's node count `nodes`.
    pub(super) fn new(wanted: usize, nodes: usize) -> Self {
        ListCache { wanted, len: wanted.min(nodes), table: OnceLock::new(), ranges: OnceLock::new() }
    }

    /// The same request for a ring of `nodes` nodes, with an empty table.
    pub(super) fn renewed(&self, nodes: usize) -> Self {
        ListCache::new(self.wanted, nodes)
    }

    /// The cached list length (0: no cache).
    pub(super) const fn len(&self) -> usize {
        self.len
    }

    /// Token `start`'s cached list (`len` nodes). The first call builds the whole table with
    /// `build`, which must return every token's list of `len` nodes, token after token.
    pub(super) fn list(&self, start: usize, build: impl FnOnce(usize) -> Vec<NodeId>) -> &[NodeId] {
        let len = self.len;
        let table = self.table.get_or_init(|| {
            let table = build(len);
            debug_assert!(len > 0 && table.len().is_multiple_of(len), "whole lists, one per token");
            table.into_boxed_slice()
        });
        &table[start * len..(start + 1) * len]
    }

    /// Every member's ranges for list length `n`: computed with `all` on the first call;
    /// `None` when an earlier call asked for another length (the caller then walks itself).
    pub(super) fn ranges(&self, n: usize, all: impl FnOnce() -> Vec<Vec<KeyRange>>) -> Option<&[Vec<KeyRange>]> {
        let (memo_n, per_member) = self.ranges.get_or_init(|| (n, all()));
        (*memo_n == n).then_some(per_member.as_slice())
    }

    /// Whether the table has been built (tests).
    #[cfg(test)]
    pub(super) fn is_built(&self) -> bool {
        self.table.get().is_some()
    }
}

/// A cache never makes two rings differ: lists are a function of the tokens and placement.
impl PartialEq for ListCache {
    fn eq(&self, _: &Self) -> bool {
        true
    }
}

impl fmt::Debug for ListCache {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ListCache").field("len", &self.len).field("built", &self.table.get().is_some()).finish()
    }
}
