//! Consistent hashing (§4.2), the three partitioning strategies (§6.2) and preference lists (§4.3).
//!
//! A [`Ring`] maps every [`RingPos`] (MD5 of a key, see [`key_position`]) to an ordered list of
//! distinct physical nodes. Files: `hash` (positions), `partition` (Q equal partitions), `range`
//! (arcs), `strategy` (configuration), `quota` (token counts), `membership` (build, join, leave),
//! `preference` (the ring walk), `cache` (preference lists cached per start token), `balance`
//! (§6.2 load-balancing efficiency).
//!
//! Invariants, asserted whenever a ring is assembled: token positions are distinct and sorted; every
//! member holds at least one token; for strategy 3 the tokens are exactly the Q partition ends.
//! Everything is deterministic: members are sorted by node id, randomness comes only from the
//! caller's `SimRng`, and no hash-map iteration order is ever observed.
//!
//! A ring is a value: join, leave and a placement change make a new ring whose list cache starts
//! empty, so a cached list always describes the tokens and placement of the ring holding it.

mod balance;
mod cache;
mod error;
mod hash;
mod membership;
mod partition;
mod preference;
mod quota;
mod range;
mod strategy;

pub use crate::NodeId;
pub use balance::{load_balance_efficiency, out_of_balance_fraction};
use cache::ListCache;
pub use error::RingError;
pub use hash::{RingPos, key_position, random_token};
pub use partition::PartitionGrid;
pub use range::KeyRange;
pub use strategy::{MAX_PARTITIONS, MAX_TOKENS_PER_NODE, PartitionStrategy, PlacementPolicy, RingMember};

/// The ring: members, their tokens, and the rules that turn a position into a preference list.
#[derive(Clone, Debug, PartialEq)]
pub struct Ring {
    strategy: PartitionStrategy,
    placement: PlacementPolicy,
    grid: Option<PartitionGrid>,
    /// Sorted by node id; a member's index here is its "member index".
    members: Vec<RingMember>,
    /// Token positions, strictly increasing.
    positions: Vec<RingPos>,
    /// The member index owning each token, parallel to `positions`.
    owners: Vec<u32>,
    /// Each member's datacenter as a dense index (datacenters sorted by id).
    member_dc: Vec<u32>,
    /// The number of members in each dense datacenter.
    dc_sizes: Vec<u32>,
    /// Preference lists per start token, walked on first use ([`Ring::with_list_cache`]).
    lists: ListCache,
}

impl Ring {
    /// Builds the complete ring from already-validated members (sorted by node) and tokens.
    fn assemble(
        strategy: PartitionStrategy,
        placement: PlacementPolicy,
        members: Vec<RingMember>,
        mut tokens: Vec<(RingPos, NodeId)>,
    ) -> Ring {
        tokens.sort_unstable();
        assert!(tokens.windows(2).all(|w| w[0].0 < w[1].0), "token positions must be distinct");
        debug_assert!(members.windows(2).all(|w| w[0].node < w[1].node));
        let positions = tokens.iter().map(|t| t.0).collect();
        let owners: Vec<u32> = tokens.iter().map(|t| member_slot(&members, t.1)).collect();
        let (member_dc, dc_sizes) = index_datacenters(&members);
        let lists = ListCache::default();
        let grid = strategy.grid();
        let ring = Ring { strategy, placement, grid, members, positions, owners, member_dc, dc_sizes, lists };
        ring.assert_every_member_has_a_token();
        ring
    }

    fn assert_every_member_has_a_token(&self) {
        let mut held = vec![false; self.members.len()];
        for &m in &self.owners {
            held[m as usize] = true;
        }
        assert!(held.iter().all(|&h| h), "every ring member must hold a token");
        if let Some(grid) = self.grid.filter(|_| self.is_equal_partitions()) {
            assert_eq!(self.positions.len(), grid.count() as usize, "strategy 3: one token per partition");
        }
    }

    /// This ring with another placement policy (tokens are unchanged; cached lists are dropped).
    pub fn with_placement(mut self, placement: PlacementPolicy) -> Ring {
        self.placement = placement;
        self.lists = self.lists.renewed(self.members.len());
        self
    }

    /// This ring caching, per start token, preference lists up to `len` long (capped at S), so
    /// [`Ring::preference_list`] with `len` or less is a binary search plus a copy once the
    /// token's list has been walked. `len` = 0 turns caching off (the default). Lists are the
    /// same with and without the cache; memory is O(tokens × len), allocated on the first
    /// lookup (see `cache.rs`).
    pub fn with_list_cache(mut self, len: usize) -> Ring {
        self.lists = ListCache::new(len, self.members.len());
        self
    }

    /// The longest preference list served from the cache (0: none), at most S.
    pub fn cached_list_len(&self) -> usize {
        self.lists.len()
    }

    /// The partitioning strategy.
    pub const fn strategy(&self) -> PartitionStrategy {
        self.strategy
    }

    /// The placement policy used by [`Ring::preference_list`].
    pub const fn placement(&self) -> PlacementPolicy {
        self.placement
    }

    /// The members, sorted by node id.
    pub fn members(&self) -> &[RingMember] {
        &self.members
    }

    /// The number of physical nodes, S.
    pub fn node_count(&self) -> usize {
        self.members.len()
    }

    /// The total number of tokens on the ring.
    pub fn token_count(&self) -> usize {
        self.positions.len()
    }

    /// The member record of `node`, if it is on the ring.
    pub fn member(&self, node: NodeId) -> Option<&RingMember> {
        self.member_index(node).map(|m| &self.members[m])
    }

    /// Whether `node` is on the ring.
    pub fn contains(&self, node: NodeId) -> bool {
        self.member_index(node).is_some()
    }

    /// The token positions of `node`, increasing; empty if it is not a member.
    pub fn tokens_of(&self, node: NodeId) -> Vec<RingPos> {
        let Some(m) = self.member_index(node) else {
            return Vec::new();
        };
        let owned = self.positions.iter().zip(&self.owners).filter(|&(_, &o)| o as usize == m);
        owned.map(|(&pos, _)| pos).collect()
    }

    /// Every token as `(position, node)`, in clockwise order from position 0.
    pub fn tokens(&self) -> impl Iterator<Item = (RingPos, NodeId)> + '_ {
        self.positions.iter().zip(&self.owners).map(|(&pos, &m)| (pos, self.members[m as usize].node))
    }

    /// The partition holding `pos` for strategies 2 and 3; `None` for strategy 1.
    pub fn partition_of(&self, pos: RingPos) -> Option<u32> {
        self.grid.map(|g| g.partition_of(pos))
    }

    /// The arc of partition `p` for strategies 2 and 3; `None` for strategy 1 or `p >= Q`.
    pub fn partition_range(&self, p: u32) -> Option<KeyRange> {
        self.grid.filter(|g| p < g.count()).map(|g| g.range(p))
    }

    /// The number of partitions Q for strategies 2 and 3.
    pub fn partition_count(&self) -> Option<u32> {
        self.grid.map(|g| g.count())
    }

    fn member_index(&self, node: NodeId) -> Option<usize> {
        self.members.binary_search_by_key(&node, |m| m.node).ok()
    }

    const fn is_equal_partitions(&self) -> bool {
        matches!(self.strategy, PartitionStrategy::EqualPartitions { .. })
    }
}

/// The member index of `node` in `members` (sorted); the node must be present.
fn member_slot(members: &[RingMember], node: NodeId) -> u32 {
    let i = members.binary_search_by_key(&node, |m| m.node);
    i.expect("every token belongs to a ring member") as u32
}

/// Dense datacenter indices (ids sorted ascending) per member, and member counts per datacenter.
fn index_datacenters(members: &[RingMember]) -> (Vec<u32>, Vec<u32>) {
    let mut ids: Vec<u32> = members.iter().map(|m| m.datacenter).collect();
    ids.sort_unstable();
    ids.dedup();
    let member_dc: Vec<u32> = members.iter().map(|m| ids.binary_search(&m.datacenter).unwrap_or(0) as u32).collect();
    let mut sizes = vec![0u32; ids.len()];
    for &d in &member_dc {
        sizes[d as usize] += 1;
    }
    (member_dc, sizes)
}

#[cfg(test)]
pub(crate) mod testutil {
    //! Shared fixtures for the ring's tests.
    use super::*;
    use sim_core::SimRng;

    /// `s` members `0..s` of capacity 1, datacenter `i % dcs`.
    pub fn members(s: u32, dcs: u32) -> Vec<RingMember> {
        (0..s).map(|i| RingMember::new(NodeId(i)).in_datacenter(i % dcs.max(1), 0)).collect()
    }

    /// One instance of each strategy, sized for tests.
    pub fn strategies() -> [PartitionStrategy; 3] {
        [
            PartitionStrategy::RandomTokens { tokens_per_node: 16 },
            PartitionStrategy::RandomTokensEqualPartitions { tokens_per_node: 16, partitions: 1024 },
            PartitionStrategy::EqualPartitions { partitions: 256 },
        ]
    }

    /// A ring of `s` nodes built from `seed`.
    pub fn ring(s: u32, strategy: PartitionStrategy, seed: u64) -> Ring {
        Ring::new(&members(s, 1), strategy, &mut SimRng::stream(seed, "ring")).expect("valid test ring")
    }

    /// The owner by brute force: the first token at or after `origin`, wrapping to the lowest.
    pub fn brute_owner(ring: &Ring, origin: RingPos) -> NodeId {
        let all: Vec<(RingPos, NodeId)> = ring.tokens().collect();
        let after = all.iter().filter(|t| t.0 >= origin).min();
        after.or_else(|| all.iter().min()).expect("ring has tokens").1
    }

    /// Where the walk for `pos` starts: the position itself, or its partition's end.
    pub fn walk_origin(ring: &Ring, pos: RingPos) -> RingPos {
        match ring.partition_of(pos) {
            Some(p) => ring.partition_range(p).expect("p < Q").end_inclusive,
            None => pos,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::testutil::*;
    use super::*;
    use sim_core::SimRng;

    #[test]
    fn same_inputs_same_ring_and_member_order_does_not_matter() {
        for strategy in strategies() {
            let a = ring(7, strategy, 11);
            let b = ring(7, strategy, 11);
            assert_eq!(a, b, "{strategy:?}");
            let mut shuffled = members(7, 1);
            shuffled.reverse();
            let c = Ring::new(&shuffled, strategy, &mut SimRng::stream(11, "ring")).unwrap();
            assert_eq!(a, c, "{strategy:?}");
            assert_ne!(a, ring(7, strategy, 12), "{strategy:?}: another seed gives another ring");
        }
    }

    #[test]
    fn accessors_agree_with_tokens() {
        for strategy in strategies() {
            let r = ring(5, strategy, 3);
            let total: usize = r.members().iter().map(|m| r.tokens_of(m.node).len()).sum();
            assert_eq!(total, r.token_count());
            assert!(r.tokens_of(NodeId(99)).is_empty());
            assert!(r.contains(NodeId(4)) && !r.contains(NodeId(5)));
            assert_eq!(r.member(NodeId(2)).map(|m| m.node), Some(NodeId(2)));
            assert_eq!(r.partition_count(), strategy.partitions());
            assert_eq!(r.partition_of(key_position(1)).is_some(), strategy.partitions().is_some());
        }
    }

    #[test]
    fn strategy_3_tokens_are_the_partition_ends() {
        let r = ring(6, PartitionStrategy::EqualPartitions { partitions: 64 }, 5);
        let mut ends: Vec<RingPos> = (0..64).map(|p| r.partition_range(p).unwrap().end_inclusive).collect();
        ends.sort_unstable();
        let tokens: Vec<RingPos> = r.tokens().map(|t| t.0).collect();
        assert_eq!(tokens, ends);
        assert_eq!(r.partition_range(64), None);
    }

    #[test]
    fn one_partition_and_one_node_own_the_whole_ring() {
        let one = [RingMember::new(NodeId(4))];
        for strategy in [
            PartitionStrategy::RandomTokensEqualPartitions { tokens_per_node: 1, partitions: 1 },
            PartitionStrategy::EqualPartitions { partitions: 1 },
            PartitionStrategy::RandomTokens { tokens_per_node: 1 },
        ] {
            let r = Ring::new(&one, strategy, &mut SimRng::stream(1, "one")).unwrap();
            for pos in [0, 1, key_position(5), u128::MAX] {
                assert_eq!(r.owner(pos), NodeId(4));
            }
            let ranges = r.ranges_of(NodeId(4), 3);
            assert_eq!(ranges.len(), 1);
            assert!(ranges[0].is_full(), "{strategy:?}: {ranges:?}");
        }
    }
}
