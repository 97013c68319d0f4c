//! Preference lists (§4.3): the clockwise walk that collects distinct physical nodes.
//!
//! The walk starts at the first token at or after the key's *origin*: the key's own position
//! for strategy 1, the end of the key's partition for strategies 2 and 3 (§6.2). It visits each
//! token at most once around the ring, skipping tokens of nodes already chosen. A ring with a
//! list cache (`cache.rs`) walks every token once and then serves lists from its table.

use super::hash::RingPos;
use super::range::KeyRange;
use super::{NodeId, PlacementPolicy, Ring};

/// Lists up to this long check for repeats by scanning the output; longer ones use a bitset.
const SCAN_LIMIT: usize = 32;

impl Ring {
    /// Writes into `out` (cleared first) the first `min(len, S)` distinct physical nodes for
    /// `pos`, walking clockwise from its origin and ordered by the ring's placement policy.
    ///
    /// `len` = N gives the replicas; a larger `len` gives the extended list whose tail holds the
    /// sloppy-quorum fallbacks. The list for a shorter `len` is a prefix of the list for a longer
    /// one: under `Clockwise` placement both are the first distinct nodes of the same walk; under
    /// `DatacenterAware` placement a datacenter's r-th node is the r-th of its nodes met on the
    /// walk and datacenters are ranked by their first node met, whatever `len` is, and a longer
    /// list only adds nodes of higher rank, which sort after every node the shorter one holds.
    /// This is what lets one cached list per start token serve every `len` up to
    /// [`Ring::cached_list_len`]: such calls are a binary search plus a copy once the ring's
    /// table is built (on the first of them), allocation-free once `out` has grown. Longer calls
    /// and rings without a cache walk the ring:
    /// allocation-free for `len <= 32` under `Clockwise` placement; `DatacenterAware` placement
    /// allocates small per-datacenter counters.
    pub fn preference_list(&self, pos: RingPos, len: usize, out: &mut Vec<NodeId>) {
        out.clear();
        let len = len.min(self.members.len());
        if len == 0 {
            return;
        }
        let start = self.start_token(pos);
        if len <= self.lists.len() {
            out.extend_from_slice(&self.lists.list(start, |cached| self.walk_every_token(cached))[..len]);
        } else {
            self.walk(start, len, out);
        }
        debug_assert_eq!(out.len(), len, "every member holds a token, so the walk finds S nodes");
    }

    /// The preference list of `len` (at most S) nodes walked from token `start`, without the
    /// cache: the definition the cache must agree with.
    fn walk(&self, start: usize, len: usize, out: &mut Vec<NodeId>) {
        out.clear();
        match self.placement {
            PlacementPolicy::Clockwise => self.walk_distinct(start, len, out, |_| true),
            PlacementPolicy::DatacenterAware => self.walk_datacenters(start, len, out),
        }
    }

    /// Every token's list of `len` (at most S) nodes, token after token: the cache's table.
    fn walk_every_token(&self, len: usize) -> Vec<NodeId> {
        let mut table = Vec::with_capacity(self.positions.len() * len);
        let mut list = Vec::with_capacity(len);
        for start in 0..self.positions.len() {
            self.walk(start, len, &mut list);
            debug_assert_eq!(list.len(), len);
            table.extend_from_slice(&list);
        }
        table
    }

    /// [`Ring::preference_list`] computed by walking the ring, never from the cache (tests and
    /// one-pass scans such as [`Ring::ranges_of`], where caching would only cost memory).
    pub fn preference_list_uncached(&self, pos: RingPos, len: usize, out: &mut Vec<NodeId>) {
        out.clear();
        let len = len.min(self.members.len());
        if len > 0 {
            self.walk(self.start_token(pos), len, out);
        }
    }

    /// The coordinator-to-be: the first node of the preference list for `pos`.
    pub fn owner(&self, pos: RingPos) -> NodeId {
        let start = self.start_token(pos);
        self.members[self.owners[start] as usize].node
    }

    /// The key ranges for which `node` is among the first `n` entries of the preference list.
    ///
    /// One range per token arc `(previous token, token]` for strategy 1, in increasing token
    /// order; one per partition for strategies 2 and 3, in partition order. Adjacent ranges are
    /// not merged, so strategy 2/3 ranges line up with partitions (Merkle trees, key transfer).
    ///
    /// The ring computes every member's ranges for the first `n` asked in one pass over its
    /// arcs and keeps them (O(arcs × n) memory): a cluster's nodes all asking for their ranges
    /// costs one pass, not one per node. Another `n` walks the arcs again.
    pub fn ranges_of(&self, node: NodeId, n: usize) -> Vec<KeyRange> {
        let Some(m) = self.member_index(node).filter(|_| n > 0) else { return Vec::new() };
        match self.lists.ranges(n, || self.all_ranges(n)) {
            Some(per_member) => per_member[m].clone(),
            None => self.walk_ranges_of(node, n),
        }
    }

    /// Every arc (or partition) with the members among the first `n` of its preference list.
    fn all_ranges(&self, n: usize) -> Vec<Vec<KeyRange>> {
        let mut out = vec![Vec::new(); self.members.len()];
        let mut list = Vec::with_capacity(n.min(self.members.len()));
        let mut add = |range: KeyRange| {
            self.preference_list_uncached(range.end_inclusive, n, &mut list);
            for node in &list {
                if let Some(m) = self.member_index(*node) {
                    out[m].push(range);
                }
            }
        };
        match self.grid {
            Some(grid) => (0..grid.count()).for_each(|p| add(grid.range(p))),
            None => self.token_arcs().for_each(&mut add),
        }
        out
    }

    /// [`Ring::ranges_of`] by walking every arc for `node` alone.
    fn walk_ranges_of(&self, node: NodeId, n: usize) -> Vec<KeyRange> {
        let mut list = Vec::with_capacity(n.min(self.members.len()));
        let mut holds = |range: KeyRange| {
            self.preference_list_uncached(range.end_inclusive, n, &mut list);
            list.contains(&node)
        };
        match self.grid {
            Some(grid) => (0..grid.count()).map(|p| grid.range(p)).filter(|&r| holds(r)).collect(),
            None => self.token_arcs().filter(|&r| holds(r)).collect(),
        }
    }

    /// Every arc `(previous token, token]` in increasing token order (the whole ring if one).
    fn token_arcs(&self) -> impl Iterator<Item = KeyRange> + '_ {
        let last = self.positions[self.positions.len() - 1];
        let previous = std::iter::once(last).chain(self.positions.iter().copied());
        previous.zip(self.positions.iter().copied()).map(|(start, end)| KeyRange::new(start, end))
    }

    /// The index of the first token at or after `pos`'s origin, wrapping to token 0.
    fn start_token(&self, pos: RingPos) -> usize {
        let origin = match self.grid {
            Some(grid) => grid.end(grid.partition_of(pos)),
            None => pos,
        };
        let i = self.positions.partition_point(|&t| t < origin);
        if i == self.positions.len() { 0 } else { i }
    }

    /// Walks one lap from token `start`, appending each accepted node the first time it is met,
    /// until `out` holds `len` nodes. `accept` sees the member index and may skip a node.
    fn walk_distinct(&self, start: usize, len: usize, out: &mut Vec<NodeId>, mut accept: impl FnMut(usize) -> bool) {
        let mut seen = Seen::new(len, self.members.len());
        let tokens = self.positions.len();
        for step in 0..tokens {
            let i = if start + step < tokens { start + step } else { start + step - tokens };
            let m = self.owners[i] as usize;
            let node = self.members[m].node;
            let chosen = if crate::mutation::active(crate::mutation::Mutation::PreferenceListRepeatsNode) {
                out.last() == Some(&node)
            } else {
                seen.contains(m, node, out)
            };
            if !chosen && accept(m) {
                seen.insert(m);
                out.push(node);
                if out.len() == len {
                    return;
                }
            }
        }
    }

    /// `DatacenterAware` placement: collect, walking clockwise, just the nodes each datacenter
    /// contributes to the first `len` round-robin entries, then order them round by round.
    fn walk_datacenters(&self, start: usize, len: usize, out: &mut Vec<NodeId>) {
        let need = self.datacenter_needs(len);
        let target: usize = need.iter().map(|&n| n as usize).sum();
        let mut taken = vec![0u32; need.len()];
        self.walk_distinct(start, target, out, |m| {
            let dc = self.member_dc[m] as usize;
            let room = taken[dc] < need[dc];
            taken[dc] += room as u32;
            room
        });
        self.order_round_robin(out);
        out.truncate(len);
    }

    /// Per datacenter, how many of its nodes the first `len` round-robin entries use:
    /// `min(r, size)` for the smallest round count `r` with `Σ min(r, size) >= len`.
    fn datacenter_needs(&self, len: usize) -> Vec<u32> {
        let used = |r: u32| self.dc_sizes.iter().map(|&size| size.min(r) as usize).sum::<usize>();
        let mut rounds = 1;
        while used(rounds) < len {
            rounds += 1;
        }
        self.dc_sizes.iter().map(|&size| size.min(rounds)).collect()
    }

    /// Reorders walk-ordered nodes round-robin: rank within datacenter, then datacenter by
    /// first appearance in the walk.
    fn order_round_robin(&self, out: &mut [NodeId]) {
        let dcs = self.dc_sizes.len();
        let (mut appearance, mut next) = (vec![u32::MAX; dcs], 0u32);
        let mut rank = vec![0u32; dcs];
        let mut keyed: Vec<(u32, u32, NodeId)> = Vec::with_capacity(out.len());
        for &node in out.iter() {
            let m = self.members.binary_search_by_key(&node, |x| x.node).expect("walked nodes are members");
            let dc = self.member_dc[m] as usize;
            if appearance[dc] == u32::MAX {
                appearance[dc] = next;
                next += 1;
            }
            keyed.push((rank[dc], appearance[dc], node));
            rank[dc] += 1;
        }
        // Keys are unique (one node per rank and datacenter), so an unstable sort is deterministic.
        keyed.sort_unstable();
        for (slot, (_, _, node)) in out.iter_mut().zip(keyed) {
            *slot = node;
        }
    }
}

/// The nodes already chosen during one walk: a scan of the output for short lists, else a bitset.
enum Seen {
    Scan,
    Bits(Vec<u64>),
}

impl Seen {
    fn new(len: usize, members: usize) -> Self {
        if len <= SCAN_LIMIT { Seen::Scan } else { Seen::Bits(vec![0; members.div_ceil(64)]) }
    }

    fn contains(&self, member: usize, node: NodeId, out: &[NodeId]) -> bool {
        match self {
            Seen::Scan => out.contains(&node),
            Seen::Bits(bits) => bits[member / 64] & (1 << (member % 64)) != 0,
        }
    }

    fn insert(&mut self, member: usize) {
        if let Seen::Bits(bits) = self {
            bits[member / 64] |= 1 << (member % 64);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::hash::key_position;
    use super::super::testutil::*;
    use super::super::{PartitionStrategy, RingMember};
    use super::*;
    use proptest::prelude::*;
    use sim_core::SimRng;
    use std::collections::BTreeSet;

    fn strategy_strategy() -> impl Strategy<Value = PartitionStrategy> {
        prop_oneof![
            (1u32..40).prop_map(|t| PartitionStrategy::RandomTokens { tokens_per_node: t }),
            (1u32..20, 1u32..600).prop_map(|(t, q)| {
                PartitionStrategy::RandomTokensEqualPartitions { tokens_per_node: t, partitions: q }
            }),
            (40u32..600).prop_map(|q| PartitionStrategy::EqualPartitions { partitions: q }),
        ]
    }

    fn policy_strategy() -> impl Strategy<Value = PlacementPolicy> {
        prop_oneof![Just(PlacementPolicy::Clockwise), Just(PlacementPolicy::DatacenterAware)]
    }

    proptest! {
        /// `min(len, S)` distinct nodes, and the first is the owner of the walk's origin.
        #[test]
        fn lists_are_distinct_and_start_at_the_owner(
            strategy in strategy_strategy(),
            policy in policy_strategy(),
            s in 1u32..40,
            dcs in 1u32..5,
            seed in any::<u64>(),
            keys in proptest::collection::vec(any::<u64>(), 1..20),
            len in 0usize..50,
        ) {
            let mut rng = SimRng::stream(seed, "ring");
            let ring = Ring::new(&members(s, dcs), strategy, &mut rng).unwrap().with_placement(policy);
            let mut out = Vec::new();
            for key in keys {
                let pos = key_position(key);
                ring.preference_list(pos, len, &mut out);
                prop_assert_eq!(out.len(), len.min(s as usize));
                let distinct: BTreeSet<NodeId> = out.iter().copied().collect();
                prop_assert_eq!(distinct.len(), out.len());
                prop_assert!(out.iter().all(|&n| ring.contains(n)));
                let owner = brute_owner(&ring, walk_origin(&ring, pos));
                prop_assert_eq!(ring.owner(pos), owner);
                if len > 0 {
                    prop_assert_eq!(out[0], owner);
                }
            }
        }

        /// The cache changes no list: for random rings (every strategy, both placements, up to
        /// four datacenters), cache lengths, positions (random, on tokens, next to tokens, the
        /// ends of the ring) and lengths, cached lookups (first walk and later copies, shorter
        /// and longer lengths in any order) equal the uncached walk, and shorter lists are
        /// prefixes of longer ones.
        #[test]
        fn cached_lists_equal_uncached_walks(
            strategy in strategy_strategy(),
            policy in policy_strategy(),
            s in 1u32..30,
            dcs in 1u32..5,
            cache in 0usize..12,
            seed in any::<u64>(),
            picks in proptest::collection::vec((any::<u128>(), 0u8..4, 0usize..34), 1..40),
        ) {
            let mut rng = SimRng::stream(seed, "ring");
            let plain = Ring::new(&members(s, dcs), strategy, &mut rng).unwrap().with_placement(policy);
            let cached = plain.clone().with_list_cache(cache);
            prop_assert_eq!(cached.cached_list_len(), cache.min(s as usize));
            let tokens: Vec<RingPos> = plain.tokens().map(|t| t.0).collect();
            let (mut want, mut got, mut longest) = (Vec::new(), Vec::new(), Vec::new());
            for (i, &(r, how, len)) in picks.iter().enumerate() {
                let token = tokens[r as usize % tokens.len()];
                let pos = match how {
                    0 => r,
                    1 => token,
                    2 => token.wrapping_add(1),
                    _ => [0, u128::MAX, token.wrapping_sub(1)][i % 3],
                };
                plain.preference_list_uncached(pos, len, &mut want);
                for _ in 0..2 {
                    cached.preference_list(pos, len, &mut got);
                    prop_assert_eq!(&got, &want, "pos {:#x} len {}", pos, len);
                }
                plain.preference_list(pos, len, &mut got);
                prop_assert_eq!(&got, &want, "a ring without a cache walks");
                plain.preference_list_uncached(pos, s as usize, &mut longest);
                prop_assert_eq!(&longest[..want.len()], &want[..], "prefix of the full list");
            }
        }

        /// A key's range list agrees with its preference list.
        #[test]
        fn ranges_of_matches_preference_lists(
            strategy in strategy_strategy(),
            s in 1u32..10,
            n in 1usize..4,
            seed in any::<u64>(),
            key in any::<u64>(),
        ) {
            let ring = Ring::new(&members(s, 1), strategy, &mut SimRng::stream(seed, "ring")).unwrap();
            let pos = key_position(key);
            let mut list = Vec::new();
            ring.preference_list(pos, n, &mut list);
            for m in ring.members() {
                let in_ranges = ring.ranges_of(m.node, n).iter().any(|r| r.contains(pos));
                prop_assert_eq!(in_ranges, list.contains(&m.node), "node {}", m.node);
            }
        }

        /// The ranges every member gets from the ring's one-pass memo are those a walk for that
        /// member alone finds, for the memo's `n` and for any other.
        #[test]
        fn memoised_ranges_equal_walked_ranges(
            strategy in strategy_strategy(),
            s in 1u32..10,
            n in 1usize..4,
            other in 1usize..5,
            seed in any::<u64>(),
        ) {
            let ring = Ring::new(&members(s, 1), strategy, &mut SimRng::stream(seed, "ring")).unwrap();
            for k in [n, other, n] {
                for m in ring.members() {
                    prop_assert_eq!(ring.ranges_of(m.node, k), ring.walk_ranges_of(m.node, k), "node {} n {}", m.node, k);
                }
            }
            prop_assert!(ring.ranges_of(NodeId(999), n).is_empty() && ring.ranges_of(ring.members()[0].node, 0).is_empty());
        }
    }

    /// The table is built on the first cached lookup and reused; clones keep it; placement
    /// changes, joins and leaves start with an empty one that describes the new ring.
    #[test]
    fn cache_is_built_once_and_reset_with_the_ring() {
        let ring = ring(10, PartitionStrategy::RandomTokens { tokens_per_node: 4 }, 3).with_list_cache(6);
        assert!(!ring.lists.is_built());
        let mut out = Vec::new();
        ring.preference_list(key_position(0), 7, &mut out);
        assert!(!ring.lists.is_built(), "longer than the cached length: walked");
        ring.preference_list(key_position(0), 3, &mut out);
        assert!(ring.lists.is_built());
        assert!(ring.clone().lists.is_built(), "a clone is the same ring");
        let aware = ring.clone().with_placement(PlacementPolicy::DatacenterAware);
        assert_eq!((aware.lists.is_built(), aware.cached_list_len()), (false, 6));
        let mut grown = ring.clone();
        grown.join(RingMember::new(NodeId(10)), &mut SimRng::stream(1, "join")).unwrap();
        assert_eq!((grown.lists.is_built(), grown.cached_list_len()), (false, 6));
        let mut tiny = ring.clone();
        for n in 2..10 {
            tiny.leave(NodeId(n), &mut SimRng::stream(1, "leave")).unwrap();
        }
        assert_eq!(tiny.cached_list_len(), 2, "capped at S");
        tiny.join(RingMember::new(NodeId(5)), &mut SimRng::stream(1, "join")).unwrap();
        assert_eq!(tiny.cached_list_len(), 3, "the asked length survives membership changes");
        let (mut a, mut b) = (Vec::new(), Vec::new());
        for key in 0..500 {
            grown.preference_list(key_position(key), 6, &mut a);
            grown.preference_list_uncached(key_position(key), 6, &mut b);
            assert_eq!(a, b);
        }
    }

    /// Rings are shared between threads (sweeps); the cache must keep them `Send + Sync`.
    #[test]
    fn rings_stay_send_and_sync() {
        fn shareable<T: Send + Sync>() {}
        shareable::<Ring>();
    }

    #[test]
    fn clockwise_list_follows_token_order() {
        let ring = ring(6, PartitionStrategy::RandomTokens { tokens_per_node: 3 }, 1);
        let pos = key_position(7);
        let mut expected = Vec::new();
        let tokens: Vec<(RingPos, NodeId)> = ring.tokens().collect();
        let start = tokens.iter().position(|t| t.0 >= pos).unwrap_or(0);
        for i in 0..tokens.len() {
            let node = tokens[(start + i) % tokens.len()].1;
            if !expected.contains(&node) {
                expected.push(node);
            }
        }
        let mut out = Vec::new();
        ring.preference_list(pos, 100, &mut out);
        assert_eq!(out, expected, "extended list is capped at S, in walk order");
    }

    #[test]
    fn long_lists_use_the_bitset_and_agree_with_short_ones() {
        let ring = ring(80, PartitionStrategy::RandomTokens { tokens_per_node: 4 }, 2);
        let (mut short, mut long) = (Vec::new(), Vec::new());
        for key in 0..200 {
            ring.preference_list(key_position(key), SCAN_LIMIT, &mut short);
            ring.preference_list(key_position(key), 80, &mut long);
            assert_eq!(short[..], long[..SCAN_LIMIT]);
            assert_eq!(long.iter().collect::<BTreeSet<_>>().len(), 80);
        }
    }

    /// 3 datacenters, N = 3: every list's first three nodes lie in three datacenters, under
    /// every strategy, even with unequal datacenter sizes (2, 3 and 4 nodes).
    #[test]
    fn datacenter_aware_top_three_spans_three_datacenters() {
        let members: Vec<RingMember> = (0..9u32)
            .map(|i| RingMember::new(NodeId(i)).in_datacenter([0, 0, 1, 1, 1, 2, 2, 2, 2][i as usize], i))
            .collect();
        for strategy in strategies() {
            let ring = Ring::new(&members, strategy, &mut SimRng::stream(3, "dc")).unwrap();
            let aware = ring.clone().with_placement(PlacementPolicy::DatacenterAware);
            let (mut out, mut plain) = (Vec::new(), Vec::new());
            let mut clockwise_misses = 0;
            for key in 0..3000 {
                aware.preference_list(key_position(key), 3, &mut out);
                let dcs: BTreeSet<u32> = out.iter().map(|&n| aware.member(n).unwrap().datacenter).collect();
                assert_eq!(dcs.len(), 3, "{strategy:?} key {key}: {out:?}");
                ring.preference_list(key_position(key), 3, &mut plain);
                assert_eq!(out[0], plain[0], "the owner stays first");
                let plain_dcs: BTreeSet<u32> = plain.iter().map(|&n| ring.member(n).unwrap().datacenter).collect();
                clockwise_misses += (plain_dcs.len() < 3) as u32;
            }
            assert!(clockwise_misses > 0, "{strategy:?}: the test must exercise the reordering");
        }
    }

    #[test]
    fn datacenter_aware_extended_list_is_round_robin() {
        // DC sizes 1, 2, 3: rounds emit 3, then 2, then 1 nodes.
        let members: Vec<RingMember> =
            (0..6u32).map(|i| RingMember::new(NodeId(i)).in_datacenter([5, 7, 7, 9, 9, 9][i as usize], 0)).collect();
        let strategy = PartitionStrategy::RandomTokens { tokens_per_node: 8 };
        let ring = Ring::new(&members, strategy, &mut SimRng::stream(8, "dc")).unwrap();
        let ring = ring.with_placement(PlacementPolicy::DatacenterAware);
        let mut out = Vec::new();
        for key in 0..500 {
            ring.preference_list(key_position(key), 6, &mut out);
            let dc = |i: usize| ring.member(out[i]).unwrap().datacenter;
            let first_round: BTreeSet<u32> = (0..3).map(dc).collect();
            assert_eq!(first_round.len(), 3);
            assert_ne!(dc(3), dc(4));
            assert!(dc(3) != 5 && dc(4) != 5 && dc(5) == 9);
        }
    }
}
