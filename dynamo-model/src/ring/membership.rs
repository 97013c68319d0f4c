//! Building the ring and changing its membership (§4.9), token movement per strategy (§6.2).
//!
//! Strategies 1 and 2: a joiner draws fresh random tokens and nobody else's tokens move; a
//! leaver's tokens simply disappear. Strategy 3: the Q partition-end tokens are re-dealt so every
//! node holds its capacity-proportional share (Q/S ± 1 when capacities are equal). Only surplus
//! tokens move: a joiner steals random tokens from nodes above their new share, a leaver's tokens
//! go to random nodes below theirs.

use super::hash::{RingPos, random_token};
use super::quota::{Claim, apportion, random_token_count};
use super::{NodeId, PartitionGrid, PartitionStrategy, PlacementPolicy, Ring, RingError, RingMember};
use sim_core::SimRng;
use std::collections::{BTreeMap, BTreeSet};

impl Ring {
    /// Builds a ring of `members` (any order) under `strategy`, drawing tokens from `rng`.
    ///
    /// Members are processed in node-id order, so the result depends only on the member set,
    /// the strategy and the rng state. Placement starts as [`PlacementPolicy::Clockwise`].
    pub fn new(members: &[RingMember], strategy: PartitionStrategy, rng: &mut SimRng) -> Result<Ring, RingError> {
        strategy.validate()?;
        let members = sorted_members(members)?;
        let tokens = match strategy {
            PartitionStrategy::EqualPartitions { partitions } => deal_partitions(partitions, &members, &[], rng)?,
            _ => draw_random_tokens(strategy, &members, &BTreeSet::new(), rng)?,
        };
        Ok(Ring::assemble(strategy, PlacementPolicy::Clockwise, members, tokens))
    }

    /// The ring of `members` (any order) where each member draws its tokens from its own
    /// stream: the same ring as building from the lowest node id's stream and then
    /// [`join`](Self::join)ing the others in id order with theirs, built in one pass under
    /// strategies 1 and 2 (a member's tokens then depend only on its stream and the tokens of
    /// lower ids). Strategy 3 re-deals on every join, so it is built by joins.
    pub fn from_streams(
        members: &[RingMember],
        strategy: PartitionStrategy,
        mut stream: impl FnMut(&RingMember) -> SimRng,
    ) -> Result<Ring, RingError> {
        strategy.validate()?;
        let members = sorted_members(members)?;
        if let PartitionStrategy::EqualPartitions { .. } = strategy {
            let mut ring = Ring::new(&members[..1], strategy, &mut stream(&members[0]))?;
            for m in &members[1..] {
                ring.join(*m, &mut stream(m))?;
            }
            return Ok(ring);
        }
        let per_node = strategy.tokens_per_node().expect("random-token strategy");
        let mut taken = BTreeSet::new();
        let mut tokens = Vec::new();
        for m in &members {
            let mut rng = stream(m);
            for _ in 0..random_token_count(per_node, m)? {
                tokens.push((fresh_token(&mut taken, &mut rng), m.node));
            }
        }
        Ok(Ring::assemble(strategy, PlacementPolicy::Clockwise, members, tokens))
    }

    /// Adds `member` to the ring, moving tokens as its strategy prescribes. On error the ring is
    /// unchanged.
    pub fn join(&mut self, member: RingMember, rng: &mut SimRng) -> Result<(), RingError> {
        member.validate()?;
        if self.contains(member.node) {
            return Err(RingError::DuplicateNode { node: member.node });
        }
        let mut members = self.members.clone();
        members.push(member);
        members.sort_by_key(|m| m.node);
        let current: Vec<(RingPos, NodeId)> = self.tokens().collect();
        let tokens = if self.is_equal_partitions() {
            deal_partitions(self.partition_count().unwrap_or(0), &members, &current, rng)?
        } else {
            let taken: BTreeSet<RingPos> = self.positions.iter().copied().collect();
            let mut tokens = draw_random_tokens(self.strategy, &[member], &taken, rng)?;
            tokens.extend(current);
            tokens
        };
        let lists = self.lists.renewed(members.len());
        *self = Ring { lists, ..Ring::assemble(self.strategy, self.placement, members, tokens) };
        Ok(())
    }

    /// Removes `node` from the ring. Its keys fall to the next nodes clockwise (strategies 1
    /// and 2) or its partitions are dealt to random remaining nodes (strategy 3).
    pub fn leave(&mut self, node: NodeId, rng: &mut SimRng) -> Result<(), RingError> {
        if !self.contains(node) {
            return Err(RingError::NotAMember { node });
        }
        if self.members.len() == 1 {
            return Err(RingError::LastMember { node });
        }
        let members: Vec<RingMember> = self.members.iter().copied().filter(|m| m.node != node).collect();
        let current: Vec<(RingPos, NodeId)> = self.tokens().collect();
        let tokens = if self.is_equal_partitions() {
            deal_partitions(self.partition_count().unwrap_or(0), &members, &current, rng)?
        } else {
            current.into_iter().filter(|t| t.1 != node).collect()
        };
        let lists = self.lists.renewed(members.len());
        *self = Ring { lists, ..Ring::assemble(self.strategy, self.placement, members, tokens) };
        Ok(())
    }
}

/// Validates members and sorts them by node id.
fn sorted_members(members: &[RingMember]) -> Result<Vec<RingMember>, RingError> {
    if members.is_empty() {
        return Err(RingError::NoMembers);
    }
    let mut sorted = members.to_vec();
    sorted.sort_by_key(|m| m.node);
    if let Some(w) = sorted.windows(2).find(|w| w[0].node == w[1].node) {
        return Err(RingError::DuplicateNode { node: w[0].node });
    }
    sorted.iter().try_for_each(RingMember::validate)?;
    Ok(sorted)
}

/// Strategies 1 and 2: `round(T · capacity)` fresh tokens per member, avoiding `taken`.
fn draw_random_tokens(
    strategy: PartitionStrategy,
    members: &[RingMember],
    taken: &BTreeSet<RingPos>,
    rng: &mut SimRng,
) -> Result<Vec<(RingPos, NodeId)>, RingError> {
    let t = strategy.tokens_per_node().expect("random-token strategy");
    let counts: Vec<u32> = members.iter().map(|m| random_token_count(t, m)).collect::<Result<_, _>>()?;
    let mut taken = taken.clone();
    let mut tokens = Vec::with_capacity(counts.iter().map(|&c| c as usize).sum());
    for (member, count) in members.iter().zip(counts) {
        for _ in 0..count {
            tokens.push((fresh_token(&mut taken, rng), member.node));
        }
    }
    Ok(tokens)
}

/// A random position not yet in `taken` (collisions are astronomically rare but handled).
fn fresh_token(taken: &mut BTreeSet<RingPos>, rng: &mut SimRng) -> RingPos {
    loop {
        let pos = random_token(rng);
        if taken.insert(pos) {
            return pos;
        }
    }
}

/// Strategy 3: assigns the Q partition-end tokens so each member holds its share.
///
/// `current` is the assignment before the change (empty when building). Tokens of non-members
/// and tokens above a member's share are freed (the surplus ones chosen at random); the freed
/// tokens are dealt at random into the free slots of members below their share.
fn deal_partitions(
    q: u32,
    members: &[RingMember],
    current: &[(RingPos, NodeId)],
    rng: &mut SimRng,
) -> Result<Vec<(RingPos, NodeId)>, RingError> {
    if (q as usize) < members.len() {
        return Err(RingError::TooFewPartitions { partitions: q, nodes: members.len() });
    }
    let grid = PartitionGrid::new(q);
    let mut held: BTreeMap<NodeId, Vec<RingPos>> = BTreeMap::new();
    for &(pos, node) in current {
        held.entry(node).or_default().push(pos);
    }
    let quota = shares(q, members, &held);
    let freed =
        if current.is_empty() { (0..q).map(|p| grid.end(p)).collect() } else { free_surplus(&mut held, &quota, rng) };
    let mut slots = open_slots(&held, &quota);
    assert_eq!(freed.len(), slots.len(), "freed tokens must exactly fill the open slots");
    rng.shuffle(&mut slots);
    let kept = held.into_iter().flat_map(|(node, ps)| ps.into_iter().map(move |p| (p, node)));
    Ok(kept.chain(freed.into_iter().zip(slots)).collect())
}

/// Each member's token share under strategy 3, keyed by node.
fn shares(q: u32, members: &[RingMember], held: &BTreeMap<NodeId, Vec<RingPos>>) -> BTreeMap<NodeId, u32> {
    let claims: Vec<Claim> = members
        .iter()
        .map(|m| Claim { node: m.node, capacity: m.capacity, current: held.get(&m.node).map_or(0, |v| v.len() as u32) })
        .collect();
    members.iter().map(|m| m.node).zip(apportion(q, &claims)).collect()
}

/// Removes every token above its holder's share (all of a non-member's), chosen at random.
fn free_surplus(
    held: &mut BTreeMap<NodeId, Vec<RingPos>>,
    quota: &BTreeMap<NodeId, u32>,
    rng: &mut SimRng,
) -> Vec<RingPos> {
    let mut freed = Vec::new();
    for (node, tokens) in held.iter_mut() {
        let keep = quota.get(node).copied().unwrap_or(0) as usize;
        if tokens.len() > keep {
            rng.shuffle(tokens);
            freed.extend(tokens.drain(keep..));
            tokens.sort_unstable();
        }
    }
    held.retain(|_, tokens| !tokens.is_empty());
    freed.sort_unstable();
    freed
}

/// One entry per missing token: each member below its share, repeated by its deficit.
fn open_slots(held: &BTreeMap<NodeId, Vec<RingPos>>, quota: &BTreeMap<NodeId, u32>) -> Vec<NodeId> {
    let mut slots = Vec::new();
    for (&node, &want) in quota {
        let have = held.get(&node).map_or(0, Vec::len) as u32;
        slots.extend(std::iter::repeat_n(node, want.saturating_sub(have) as usize));
    }
    slots
}

#[cfg(test)]
mod tests {
    use super::super::hash::key_position;
    use super::super::testutil::*;
    use super::*;

    const K: u64 = 20_000;

    #[test]
    fn from_streams_equals_joining_member_by_member_with_each_stream() {
        let stream = |m: &RingMember| SimRng::stream(7, &format!("ring/{}", m.node.0));
        for strategy in strategies() {
            let mut members = members(12, 2);
            members.reverse(); // any order
            let mut sorted = members.clone();
            sorted.sort_by_key(|m| m.node);
            let mut joined = Ring::new(&sorted[..1], strategy, &mut stream(&sorted[0])).unwrap();
            for m in &sorted[1..] {
                joined.join(*m, &mut stream(m)).unwrap();
            }
            assert_eq!(Ring::from_streams(&members, strategy, stream).unwrap(), joined, "{strategy:?}");
        }
    }

    fn primaries(ring: &Ring) -> Vec<NodeId> {
        let mut out = Vec::new();
        (0..K)
            .map(|k| {
                ring.preference_list(key_position(k), 1, &mut out);
                out[0]
            })
            .collect()
    }

    fn top_n(ring: &Ring, key: u64, n: usize) -> Vec<NodeId> {
        let mut out = Vec::new();
        ring.preference_list(key_position(key), n, &mut out);
        out
    }

    /// Join strategies for the movement test: T = 128 tokens, Q large next to S·T.
    fn movement_strategies() -> [PartitionStrategy; 3] {
        [
            PartitionStrategy::RandomTokens { tokens_per_node: 128 },
            PartitionStrategy::RandomTokensEqualPartitions { tokens_per_node: 128, partitions: 16_384 },
            PartitionStrategy::EqualPartitions { partitions: 1024 },
        ]
    }

    /// Adding one node to S moves about 1/(S+1) of the keys' primaries, all of them to the new
    /// node. Tolerance, 4σ: with T = 128 the new node's arc share p = 1/(S+1) is a sum of T gaps
    /// among (S+1)·T, standard deviation ≈ sqrt(p(1-p)/((S+1)·T)) (0.0084 for S = 9), plus key
    /// sampling noise sqrt(p(1-p)/K) (0.0021), added rather than combined in quadrature to err
    /// wide. A joiner given twice its share (2/(S+2) = 0.18 at S = 9) would fail. Strategy 3
    /// moves exactly floor or ceil(Q/(S+1)) partitions, so only sampling noise applies there.
    /// Seeds are fixed, so the test is deterministic.
    #[test]
    fn join_moves_one_in_s_plus_one_primaries_to_the_new_node_only() {
        for strategy in movement_strategies() {
            for (s, seed) in [(4u32, 1u64), (9, 2), (9, 3), (19, 4)] {
                let mut ring = ring(s, strategy, seed);
                let before = primaries(&ring);
                ring.join(RingMember::new(NodeId(s)), &mut SimRng::stream(seed, "join")).unwrap();
                let after = primaries(&ring);
                let moved: Vec<usize> = (0..K as usize).filter(|&i| before[i] != after[i]).collect();
                assert!(moved.iter().all(|&i| after[i] == NodeId(s)), "{strategy:?}: a key moved between old nodes");
                let fraction = moved.len() as f64 / K as f64;
                let p = 1.0 / (s as f64 + 1.0);
                let arc_sd = (p * (1.0 - p) / ((s as f64 + 1.0) * 128.0)).sqrt();
                let tolerance = 4.0 * (arc_sd + (p * (1.0 - p) / K as f64).sqrt());
                let ok = (fraction - p).abs() < tolerance;
                assert!(ok, "{strategy:?} S={s}: moved {fraction}, expected {p} ± {tolerance}");
            }
        }
    }

    /// Strategy 1: a key's new top-N set is its old set with the new node possibly swapped in.
    #[test]
    fn join_only_adds_the_new_node_to_top_n_sets() {
        let strategy = PartitionStrategy::RandomTokens { tokens_per_node: 64 };
        let mut ring = ring(8, strategy, 9);
        let old: Vec<Vec<NodeId>> = (0..2000).map(|k| top_n(&ring, k, 3)).collect();
        ring.join(RingMember::new(NodeId(8)), &mut SimRng::stream(9, "join")).unwrap();
        for (k, old_set) in old.iter().enumerate() {
            let new_set = top_n(&ring, k as u64, 3);
            let survivors: Vec<NodeId> = new_set.iter().copied().filter(|&n| n != NodeId(8)).collect();
            assert_eq!(survivors[..], old_set[..survivors.len()], "key {k}: old nodes reshuffled");
        }
    }

    /// Only keys the leaver served change: primaries move off it alone, and keys whose top-N
    /// did not include it keep the very same list.
    #[test]
    fn leave_moves_only_the_leavers_keys() {
        for strategy in movement_strategies() {
            let mut ring = ring(10, strategy, 21);
            let leaver = NodeId(3);
            let before: Vec<Vec<NodeId>> = (0..5000).map(|k| top_n(&ring, k, 3)).collect();
            ring.leave(leaver, &mut SimRng::stream(21, "leave")).unwrap();
            let mut moved = 0;
            for (k, old) in before.iter().enumerate() {
                let new = top_n(&ring, k as u64, 3);
                assert!(!new.contains(&leaver));
                if old[0] != new[0] {
                    assert_eq!(old[0], leaver, "{strategy:?}: key {k} changed primary without reason");
                    moved += 1;
                }
                if !old.contains(&leaver) {
                    assert_eq!(old, &new, "{strategy:?}: key {k} moved though the leaver did not hold it");
                }
            }
            assert!(moved > 0, "{strategy:?}: the leaver owned something");
        }
    }

    fn counts_within_one_of_q_over_s(ring: &Ring, q: u32) {
        let s = ring.node_count() as u32;
        for m in ring.members() {
            let c = ring.tokens_of(m.node).len() as u32;
            assert!(c == q / s || c == q.div_ceil(s), "S={s}: {} holds {c}, Q/S={}", m.node, q as f64 / s as f64);
        }
        assert_eq!(ring.token_count(), q as usize);
    }

    #[test]
    fn strategy_3_keeps_q_over_s_through_joins_and_leaves() {
        let q = 360;
        let strategy = PartitionStrategy::EqualPartitions { partitions: q };
        let mut ring = ring(4, strategy, 5);
        let mut rng = SimRng::stream(5, "churn");
        counts_within_one_of_q_over_s(&ring, q);
        for n in 4..15 {
            ring.join(RingMember::new(NodeId(n)), &mut rng).unwrap();
            counts_within_one_of_q_over_s(&ring, q);
        }
        for n in [0, 7, 14, 2, 9] {
            ring.leave(NodeId(n), &mut rng).unwrap();
            counts_within_one_of_q_over_s(&ring, q);
        }
        let widths: BTreeSet<Option<u128>> = (0..q).map(|p| ring.partition_range(p).unwrap().width()).collect();
        assert!(widths.len() <= 2, "partitions stay equal: {widths:?}");
    }

    /// Tokens whose owner changed, as `(old owner, new owner)`.
    fn token_moves(before: &Ring, after: &Ring) -> Vec<(NodeId, NodeId)> {
        let old: BTreeMap<RingPos, NodeId> = before.tokens().collect();
        let moved = after.tokens().filter(|(pos, node)| old[pos] != *node);
        moved.map(|(pos, node)| (old[&pos], node)).collect()
    }

    /// Strategy 3 with few tokens per node, where rounding Q/S matters most: a join only
    /// steals tokens for the joiner and a leave only hands out the leaver's tokens.
    #[test]
    fn strategy_3_moves_only_tokens_of_the_changing_node() {
        for q in [5u32, 10, 13, 24, 100] {
            let strategy = PartitionStrategy::EqualPartitions { partitions: q };
            let mut rng = SimRng::stream(q as u64, "churn");
            let mut ids: Vec<u32> = (0..q.min(12)).collect();
            rng.shuffle(&mut ids);
            let first = [RingMember::new(NodeId(ids[0])), RingMember::new(NodeId(ids[1]))];
            let mut ring = Ring::new(&first, strategy, &mut rng).unwrap();
            for &n in &ids[2..] {
                let before = ring.clone();
                ring.join(RingMember::new(NodeId(n)), &mut rng).unwrap();
                let moves = token_moves(&before, &ring);
                assert!(moves.iter().all(|&(_, to)| to == NodeId(n)), "Q={q} join {n}: {moves:?}");
                assert_eq!(moves.len(), ring.tokens_of(NodeId(n)).len());
            }
            while ring.node_count() > 1 {
                let leaver = ring.members()[rng.index(ring.node_count())].node;
                let before = ring.clone();
                ring.leave(leaver, &mut rng).unwrap();
                let moves = token_moves(&before, &ring);
                assert!(moves.iter().all(|&(from, _)| from == leaver), "Q={q} leave {leaver}: {moves:?}");
                assert_eq!(moves.len(), before.tokens_of(leaver).len());
            }
        }
    }

    #[test]
    fn strategy_2_partitions_do_not_depend_on_membership() {
        let strategy = PartitionStrategy::RandomTokensEqualPartitions { tokens_per_node: 8, partitions: 500 };
        let mut ring = ring(5, strategy, 8);
        let ranges = |r: &Ring| (0..500).map(|p| r.partition_range(p).unwrap()).collect::<Vec<_>>();
        let parts = |r: &Ring| (0..3000).map(|k| r.partition_of(key_position(k)).unwrap()).collect::<Vec<_>>();
        let (ranges0, parts0) = (ranges(&ring), parts(&ring));
        let mut rng = SimRng::stream(8, "churn");
        ring.join(RingMember::new(NodeId(5)), &mut rng).unwrap();
        ring.join(RingMember::new(NodeId(6)), &mut rng).unwrap();
        ring.leave(NodeId(0), &mut rng).unwrap();
        assert_eq!(ranges(&ring), ranges0);
        assert_eq!(parts(&ring), parts0);
        let widths: BTreeSet<Option<u128>> = ranges0.iter().map(|r| r.width()).collect();
        assert!(widths.len() <= 2, "equal sizes ±1: {widths:?}");
    }

    /// A capacity-2 node among five capacity-1 nodes: twice the tokens, and about twice the keys.
    /// Strategy 1 (T = 512): the heavy node's key share p = 2/7 has standard deviation about
    /// sqrt(p(1-p)/(7·512)) ≈ 0.0076 (2.7% relative); with key sampling noise (≈1.3%) and the
    /// other nodes' mean, the ratio's σ is about 4%, so the band 1.7..2.3 (±15%) is ~4σ wide yet
    /// far from the ratio 1 a capacity-blind ring would give. Strategy 3 partitions are equal,
    /// so its ratio is exact up to one partition plus key sampling noise.
    #[test]
    fn capacity_two_gets_twice_the_tokens_and_keys() {
        let strategies = [
            PartitionStrategy::RandomTokens { tokens_per_node: 512 },
            PartitionStrategy::EqualPartitions { partitions: 1400 },
        ];
        for strategy in strategies {
            let mut members = members(6, 1);
            members[2].capacity = 2.0;
            let ring = Ring::new(&members, strategy, &mut SimRng::stream(4, "cap")).unwrap();
            let tokens = |n: u32| ring.tokens_of(NodeId(n)).len() as f64;
            let others_tokens = (tokens(0) + tokens(1) + tokens(3) + tokens(4) + tokens(5)) / 5.0;
            let token_ratio = tokens(2) / others_tokens;
            assert!((token_ratio - 2.0).abs() < 0.01, "{strategy:?}: token ratio {token_ratio}");
            let mut keys = [0u64; 6];
            for p in primaries(&ring) {
                keys[p.index()] += 1;
            }
            let others_keys = (keys.iter().sum::<u64>() - keys[2]) as f64 / 5.0;
            let key_ratio = keys[2] as f64 / others_keys;
            assert!((key_ratio - 2.0).abs() < 0.3, "{strategy:?}: key ratio {key_ratio}, keys {keys:?}");
        }
    }

    #[test]
    fn bad_input_returns_the_right_error() {
        let mut rng = SimRng::stream(1, "errors");
        let s1 = PartitionStrategy::RandomTokens { tokens_per_node: 4 };
        let s3 = PartitionStrategy::EqualPartitions { partitions: 3 };
        assert_eq!(Ring::new(&[], s1, &mut rng), Err(RingError::NoMembers));
        let dup = [RingMember::new(NodeId(1)), RingMember::new(NodeId(1))];
        assert_eq!(Ring::new(&dup, s1, &mut rng), Err(RingError::DuplicateNode { node: NodeId(1) }));
        assert_eq!(
            Ring::new(&members(4, 1), s3, &mut rng),
            Err(RingError::TooFewPartitions { partitions: 3, nodes: 4 })
        );
        let nan = [RingMember::new(NodeId(0)).with_capacity(f64::NAN)];
        assert!(matches!(Ring::new(&nan, s1, &mut rng), Err(RingError::InvalidCapacity { node: NodeId(0), .. })));
        let zero_t = PartitionStrategy::RandomTokens { tokens_per_node: 0 };
        assert!(matches!(Ring::new(&members(2, 1), zero_t, &mut rng), Err(RingError::InvalidTokensPerNode { .. })));

        let mut ring = Ring::new(&members(3, 1), s3, &mut rng).unwrap();
        let before = ring.clone();
        assert_eq!(
            ring.join(RingMember::new(NodeId(5)), &mut rng),
            Err(RingError::TooFewPartitions { partitions: 3, nodes: 4 })
        );
        assert_eq!(ring.join(RingMember::new(NodeId(2)), &mut rng), Err(RingError::DuplicateNode { node: NodeId(2) }));
        let neg = RingMember::new(NodeId(9)).with_capacity(-1.0);
        assert!(matches!(ring.join(neg, &mut rng), Err(RingError::InvalidCapacity { .. })));
        assert_eq!(ring.leave(NodeId(7), &mut rng), Err(RingError::NotAMember { node: NodeId(7) }));
        assert_eq!(ring, before, "failed changes leave the ring untouched");

        let mut single = Ring::new(&members(1, 1), s1, &mut rng).unwrap();
        assert_eq!(single.leave(NodeId(0), &mut rng), Err(RingError::LastMember { node: NodeId(0) }));
        let greedy = RingMember::new(NodeId(4)).with_capacity(1e12);
        assert!(matches!(single.join(greedy, &mut rng), Err(RingError::TooManyTokens { node: NodeId(4), .. })));
    }
}
