//! Tests of the membership layer: reconciliation laws (proptest), commands and persistence,
//! seeds against logical partitions, convergence in O(log S) gossip rounds, delta economy,
//! and the ring a view implies.

use super::*;
use crate::ring::PartitionStrategy;
use proptest::prelude::*;

fn t(ms: u64) -> SimTime {
    SimTime(ms * 1_000_000)
}

fn cfg(seeds: &[u32]) -> GossipConfig {
    GossipConfig { seeds: seeds.iter().map(|&s| NodeId(s)).collect(), ..GossipConfig::default() }
}

fn members(nodes: std::ops::Range<u32>) -> Vec<RingMember> {
    nodes.map(|i| RingMember::new(NodeId(i))).collect()
}

// ---------------------------------------------------------------- reconciliation laws

fn arb_entry() -> impl Strategy<Value = MemberEntry> {
    let status = prop_oneof![Just(Status::Joining), Just(Status::Member), Just(Status::Leaving), Just(Status::Left)];
    (0u32..6, status, 0u64..4, 0u64..3, 0u32..3, prop_oneof![Just(1.0), Just(2.0)], 0u32..2).prop_map(
        |(node, status, counter, ms, issuer, capacity, dc)| MemberEntry {
            member: RingMember::new(NodeId(node)).with_capacity(capacity).in_datacenter(dc, 0),
            status,
            version: Version { counter, issued_at: t(ms), issuer: NodeId(issuer) },
        },
    )
}

fn arb_list() -> impl Strategy<Value = MembershipList> {
    proptest::collection::vec(arb_entry(), 0..10).prop_map(|v| v.into_iter().collect())
}

proptest! {
    #[test]
    fn merge_is_commutative(a in arb_list(), b in arb_list()) {
        prop_assert_eq!(a.merged(&b), b.merged(&a));
    }

    #[test]
    fn merge_is_associative(a in arb_list(), b in arb_list(), c in arb_list()) {
        prop_assert_eq!(a.merged(&b).merged(&c), a.merged(&b.merged(&c)));
    }

    #[test]
    fn merge_is_idempotent(a in arb_list(), b in arb_list()) {
        prop_assert_eq!(a.merged(&a), a.clone());
        let ab = a.merged(&b);
        prop_assert_eq!(ab.merged(&b), ab.clone());
        let mut again = ab.clone();
        prop_assert!(!again.merge(&a), "merging a subsumed list reports no change");
    }

    /// Merge keeps, per node, the maximal entry of either side, and nothing else.
    #[test]
    fn merge_keeps_the_highest_entry_per_node(a in arb_list(), b in arb_list()) {
        let m = a.merged(&b);
        for e in a.iter().chain(b.iter()) {
            let kept = m.get(e.node()).expect("no node is lost");
            prop_assert!(kept.precedence(e) != std::cmp::Ordering::Less);
        }
        prop_assert!(m.iter().all(|e| a.get(e.node()) == Some(e) || b.get(e.node()) == Some(e)));
    }

    /// One digest/delta/request exchange leaves both sides equal to the full merge, when
    /// versions identify entries (as the persisted Lamport counter guarantees).
    #[test]
    fn digest_exchange_equals_merge(a in arb_list(), b in arb_list()) {
        // Make versions identify entries: give each (node, version) one content, that of `a`
        // where both have it.
        let b: MembershipList = b.iter().map(|e| match a.get(e.node()) {
            Some(x) if x.version == e.version => *x,
            _ => *e,
        }).collect();
        let mut na = Membership::with_list(NodeId(100), cfg(&[]), a.clone());
        let mut nb = Membership::with_list(NodeId(101), cfg(&[]), b.clone());
        let (delta_a, request) = nb.on_digest(NodeId(100), na.list().digest());
        let delta_b = na.on_request(&request);
        na.on_delta(delta_a);
        nb.on_delta(delta_b);
        let want = a.merged(&b);
        prop_assert_eq!(na.list(), &want);
        prop_assert_eq!(nb.list(), &want);
    }
}

// ---------------------------------------------------------------- commands, persistence

#[test]
fn commands_follow_the_lifecycle_and_persist_their_time_of_issue() {
    let mut m = Membership::new(NodeId(0), cfg(&[]), &members(0..3)).unwrap();
    let x = RingMember::new(NodeId(7)).with_capacity(2.0);
    let p = m.join(x, t(5)).unwrap();
    assert_eq!(p.entry.status, Status::Joining);
    assert_eq!(p.entry.version, Version { counter: 1, issued_at: t(5), issuer: NodeId(0) });
    assert_eq!(p.counter, 1);
    assert_eq!(m.join(x, t(6)), Err(MembershipError::AlreadyJoined { node: NodeId(7), status: Status::Joining }));
    assert_eq!(
        m.remove(NodeId(7), t(6)),
        Err(MembershipError::BadTransition { node: NodeId(7), from: Status::Joining, to: Status::Left })
    );
    assert_eq!(m.leave(NodeId(9), t(6)), Err(MembershipError::UnknownNode { node: NodeId(9) }));
    let bad = RingMember::new(NodeId(8)).with_capacity(0.0);
    assert!(matches!(m.join(bad, t(6)), Err(MembershipError::InvalidMember(_))));
    let records = vec![p, m.activate(NodeId(7), t(7)).unwrap(), m.leave(NodeId(1), t(8)).unwrap()];
    let r = m.remove(NodeId(1), t(9)).unwrap();
    assert_eq!((r.entry.status, r.counter), (Status::Left, 4));
    // Rejoin after Left is allowed and gets a higher version.
    let again = m.join(RingMember::new(NodeId(1)), t(10)).unwrap();
    assert!(again.entry.version > r.entry.version);

    // A restart replays the persisted records: same entries for them, same counter.
    let restored = Membership::restore(NodeId(0), cfg(&[]), &members(0..3), &records).unwrap();
    assert_eq!(restored.counter(), 3);
    assert_eq!(restored.entry(NodeId(7)).unwrap().status, Status::Member);
    assert_eq!(restored.entry(NodeId(1)).unwrap().status, Status::Leaving);
}

#[test]
fn a_later_command_at_another_node_wins_even_with_an_earlier_clock() {
    let mut a = Membership::new(NodeId(0), cfg(&[]), &members(0..2)).unwrap();
    let mut b = Membership::new(NodeId(1), cfg(&[]), &members(0..2)).unwrap();
    // A issues three unrelated commands, so its counter runs ahead.
    for n in 10..13 {
        a.join(RingMember::new(NodeId(n)), t(1000)).unwrap();
    }
    a.join(RingMember::new(NodeId(5)), t(1000)).unwrap();
    b.merge(a.list());
    // B's clock is behind, but B has seen the join, so its activate is causally later.
    let act = b.activate(NodeId(5), t(1)).unwrap();
    assert!(act.entry.version > a.entry(NodeId(5)).unwrap().version);
    a.merge(b.list());
    assert_eq!(a.entry(NodeId(5)).unwrap().status, Status::Member);
}

#[test]
fn gossip_config_defaults_and_validation() {
    let c = GossipConfig::default();
    assert_eq!((c.interval, c.seed_chance, c.seeds.len()), (SimDuration::from_secs(1), 0.1, 0));
    assert_eq!(c.validate(), Ok(()));
    let bad = GossipConfig { seed_chance: 1.5, ..GossipConfig::default() };
    assert!(matches!(bad.validate(), Err(MembershipError::InvalidConfig { field: "seed_chance", .. })));
    assert!(matches!(Membership::new(NodeId(0), bad, &[]), Err(MembershipError::InvalidConfig { .. })));
}

// ---------------------------------------------------------------- in-process gossip driver

/// Gossip traffic and view state of a simulated cluster.
struct Cluster {
    nodes: Vec<Membership>,
    rngs: Vec<SimRng>,
}

impl Cluster {
    fn new(nodes: Vec<Membership>, seed: u64) -> Self {
        let rngs = nodes.iter().map(|n| SimRng::stream(seed, &format!("gossip/{}", n.me().0))).collect();
        Cluster { nodes, rngs }
    }

    fn index(&self, node: NodeId) -> Option<usize> {
        self.nodes.iter().position(|n| n.me() == node)
    }

    /// One synchronous round: every node starts an exchange with a peer chosen from its view as
    /// it stood at the round's start; all replies are computed from those start-of-round views
    /// and applied at the end (so information moves at most one exchange per round). Returns
    /// the traffic of the round.
    fn round(&mut self) -> Traffic {
        let before = self.traffic();
        let mut arrivals: Vec<(usize, Delta)> = Vec::new();
        for i in 0..self.nodes.len() {
            let Some((peer, digest)) = self.nodes[i].start_round(&mut self.rngs[i]) else { continue };
            let Some(j) = self.index(peer) else { continue };
            let me = self.nodes[i].me();
            let (to_i, request) = self.nodes[j].on_digest(me, digest);
            let to_j = self.nodes[i].on_request(&request);
            arrivals.push((i, to_i));
            arrivals.push((j, to_j));
        }
        for (k, delta) in arrivals {
            self.nodes[k].on_delta(delta);
        }
        self.traffic().since(before)
    }

    fn traffic(&self) -> Traffic {
        self.nodes.iter().fold(Traffic::default(), |acc, n| acc.plus(n.traffic()))
    }

    fn converged(&self) -> bool {
        self.nodes.iter().all(|n| n.list() == self.nodes[0].list())
    }

    /// Rounds until every view is equal (panics after `limit`).
    fn rounds_to_converge(&mut self, limit: usize) -> usize {
        for r in 1..=limit {
            self.round();
            if self.converged() {
                return r;
            }
        }
        panic!("no convergence within {limit} rounds");
    }
}

/// S converged nodes (seed node 0), then one join command served by node S-1: rounds until the
/// new entry has reached every view.
fn rumor_rounds(s: u32, seed: u64) -> usize {
    let initial = members(0..s);
    let nodes = (0..s).map(|i| Membership::new(NodeId(i), cfg(&[0]), &initial).unwrap()).collect();
    let mut c = Cluster::new(nodes, seed);
    assert!(c.converged());
    let last = (s - 1) as usize;
    c.nodes[last].join(RingMember::new(NodeId(s)), t(1)).unwrap();
    c.rounds_to_converge(200)
}

/// Cold start: each of S nodes knows only itself and the seed (node 0): rounds until every view
/// holds all S nodes.
fn cold_start_rounds(s: u32, seed: u64) -> usize {
    let nodes = (0..s).map(|i| Membership::new(NodeId(i), cfg(&[0]), &members(i..i + 1)).unwrap()).collect();
    let mut c = Cluster::new(nodes, seed);
    let r = c.rounds_to_converge(200);
    assert_eq!(c.nodes[0].list().len(), s as usize);
    r
}

const SIZES: [u32; 4] = [8, 32, 128, 512];
const SEEDS: u64 = 8;

fn mean_rounds(f: fn(u32, u64) -> usize) -> Vec<(u32, f64, usize)> {
    SIZES
        .iter()
        .map(|&s| {
            let runs: Vec<usize> = (1..=SEEDS).map(|seed| f(s, seed)).collect();
            let mean = runs.iter().sum::<usize>() as f64 / runs.len() as f64;
            eprintln!("S={s}: rounds {runs:?} mean {mean:.2}");
            (s, mean, *runs.iter().max().unwrap())
        })
        .collect()
}

/// Asserts logarithmic growth: the worst run stays under `a + c·log2(S)`, and each 4x step in S
/// adds at most `step` rounds to the mean (linear growth would multiply the rounds by 4 per step).
fn assert_logarithmic(table: &[(u32, f64, usize)], a: f64, c: f64, step: f64) {
    for &(s, _, max) in table {
        let bound = a + c * f64::from(s).log2();
        assert!((max as f64) <= bound, "S={s}: {max} rounds > {a} + {c}·log2(S) = {bound}: {table:?}");
    }
    for w in table.windows(2) {
        let grew = w[1].1 - w[0].1;
        assert!(grew <= step, "S {}→{}: mean grew by {grew} > {step}: {table:?}", w[0].0, w[1].0);
    }
}

/// Push-pull rumor spreading reaches everyone in about log3(S) + O(log log S) rounds (Karp et
/// al. 2000). Measured (8 seeds each), mean / worst: S=8 3.38 / 5, S=32 5.00 / 6, S=128 6.38 / 7,
/// S=512 7.25 / 8: about +1.3 rounds per 4x step in S (≈ +0.65 per doubling), shrinking.
/// Bounds: worst ≤ 3 + 1·log2(S) (6, 8, 10, 12; one to four rounds of slack over the worst seen)
/// and also worst(512) ≤ 1.5·log2(512) = 13.5; the mean grows by ≤ 2 rounds per 4x step, which
/// linear growth (≥ 3x the rounds per step, i.e. +10 from S=8 already) would break at once.
#[test]
fn a_join_spreads_in_logarithmic_rounds() {
    let table = mean_rounds(rumor_rounds);
    assert_logarithmic(&table, 3.0, 1.0, 2.0);
    assert_logarithmic(&table[3..], 0.0, 1.5, 0.0);
}

/// Cold start through one seed: in round 1 every node (knowing nobody else) calls the seed,
/// which thereby learns everybody; in round 2 every node calls the seed again (still the only
/// peer it knows) and gets the full list. Measured: 2 rounds for every S in {8, 32, 128, 512}
/// and every seed, so far below the logarithmic bound; the price is a hub: the seed answers S
/// exchanges per round while the cluster bootstraps.
#[test]
fn cold_start_through_a_seed_converges_in_logarithmic_rounds() {
    let table = mean_rounds(cold_start_rounds);
    assert_logarithmic(&table, 0.0, 1.0, 1.0);
    assert!(table.iter().all(|&(_, _, max)| max <= 3), "{table:?}");
}

// ---------------------------------------------------------------- seeds and partitions

/// Two nodes joined by separate commands (each served by the node itself, each knowing only
/// itself): without seeds they never meet (a logical partition); with a seed they and the
/// existing cluster all learn of both.
#[test]
fn seeds_prevent_logical_partitions() {
    for with_seed in [false, true] {
        let seeds: &[u32] = if with_seed { &[0] } else { &[] };
        let cluster = members(0..4);
        let mut nodes: Vec<Membership> =
            (0..4).map(|i| Membership::new(NodeId(i), cfg(seeds), &cluster).unwrap()).collect();
        for a in [10, 11] {
            let mut m = Membership::new(NodeId(a), cfg(seeds), &[]).unwrap();
            m.join(RingMember::new(NodeId(a)), t(1)).unwrap();
            m.activate(NodeId(a), t(2)).unwrap();
            nodes.push(m);
        }
        let mut c = Cluster::new(nodes, 3);
        for _ in 0..30 {
            c.round();
        }
        let knows_both = |m: &Membership| m.entry(NodeId(10)).is_some() && m.entry(NodeId(11)).is_some();
        if with_seed {
            assert!(c.converged() && c.nodes.iter().all(knows_both), "seeded cluster converges");
            let ring = c.nodes[0].ring_view(PartitionStrategy::RandomTokens { tokens_per_node: 8 }, 1).unwrap();
            assert_eq!(ring.node_count(), 6);
        } else {
            assert!(!c.nodes.iter().any(knows_both), "without seeds nobody learns of both");
            assert_eq!(c.nodes[4].list().len(), 1, "node 10 only knows itself");
        }
    }
}

#[test]
fn pick_peer_uses_seeds_when_alone_and_sometimes_otherwise() {
    let mut rng = SimRng::stream(1, "pick");
    let alone = Membership::new(NodeId(5), cfg(&[0, 1]), &[]).unwrap();
    for _ in 0..20 {
        assert!(matches!(alone.pick_peer(&mut rng), Some(NodeId(0 | 1))));
    }
    let isolated = Membership::new(NodeId(5), cfg(&[5]), &members(5..6)).unwrap();
    assert_eq!(isolated.start_round(&mut rng), None, "a lone seed has nobody to call");
    let big = Membership::new(NodeId(5), cfg(&[0]), &members(0..100)).unwrap();
    let picks: Vec<NodeId> = (0..2000).map(|_| big.pick_peer(&mut rng).unwrap()).collect();
    assert!(picks.iter().all(|&p| p != NodeId(5)));
    let seed_share = picks.iter().filter(|&&p| p == NodeId(0)).count() as f64 / 2000.0;
    // P(seed) = 0.1 + 0.9/99 ≈ 0.109; σ over 2000 draws ≈ 0.007.
    assert!((0.08..0.14).contains(&seed_share), "{seed_share}");
}

// ---------------------------------------------------------------- delta economy

/// Once views are equal, an exchange carries the digest and an empty delta only: zero entries
/// and no request. Full-list gossip would ship 2·S entries per exchange. Also measures a
/// 1,000-node round (printed; run with --nocapture).
#[test]
fn converged_rounds_send_no_entries_beyond_the_digest() {
    for s in [16u32, 1000] {
        let initial = members(0..s);
        let nodes = (0..s).map(|i| Membership::new(NodeId(i), cfg(&[0]), &initial).unwrap()).collect();
        let mut c = Cluster::new(nodes, 9);
        let quiet = c.round();
        assert_eq!((quiet.delta_entries, quiet.request_entries), (0, 0), "S={s}: {quiet:?}");
        assert_eq!(quiet.digest_entries, u64::from(s) * u64::from(s), "S={s}: one digest of S items per node");
        assert_eq!(quiet.messages, 2 * u64::from(s), "digest + empty delta per exchange");
        let full_list = 2 * u64::from(s) * u64::from(s) * ENTRY_BYTES;
        assert!(quiet.bytes * 2 < full_list, "S={s}: {} bytes vs full-list {full_list}", quiet.bytes);

        // One change: the round that carries it ships a handful of entries, not S per exchange.
        let last = c.nodes.len() - 1;
        c.nodes[last].join(RingMember::new(NodeId(s)), t(1)).unwrap();
        let mut carried = 0;
        while !c.converged() {
            carried += c.round().delta_entries;
        }
        assert!(carried <= 2 * u64::from(s), "S={s}: the new entry is shipped at most ~once per node: {carried}");
        assert_eq!(c.round().delta_entries, 0);
        eprintln!(
            "S={s}: converged round {} msgs, {} digest items, {} bytes ({:.1} KB/node); full-list gossip {} bytes; \
             spreading one join cost {carried} entries",
            quiet.messages,
            quiet.digest_entries,
            quiet.bytes,
            quiet.bytes as f64 / f64::from(s) / 1000.0,
            full_list
        );
    }
}

// ---------------------------------------------------------------- ring view

#[test]
fn ring_view_holds_members_and_leavers_and_is_deterministic() {
    let s1 = PartitionStrategy::RandomTokens { tokens_per_node: 8 };
    let mut a = Membership::new(NodeId(0), cfg(&[]), &members(0..5)).unwrap();
    a.join(RingMember::new(NodeId(7)), t(1)).unwrap();
    a.leave(NodeId(2), t(1)).unwrap();
    a.leave(NodeId(3), t(1)).unwrap();
    a.remove(NodeId(3), t(2)).unwrap();
    let ring = a.ring_view(s1, 4).unwrap();
    let nodes: Vec<NodeId> = ring.members().iter().map(|m| m.node).collect();
    assert_eq!(nodes, vec![NodeId(0), NodeId(1), NodeId(2), NodeId(4)], "Joining and Left are off the ring");

    // Another node with the same view (reached by gossip, in another order) builds the same ring.
    let mut b = Membership::new(NodeId(4), cfg(&[]), &[]).unwrap();
    b.merge(a.list());
    assert_eq!(b.ring_view(s1, 4).unwrap(), ring);
    assert_ne!(b.ring_view(s1, 5).unwrap(), ring, "the ring seed matters");

    // Strategy 1: activating node 7 adds its tokens and moves nobody else's.
    a.activate(NodeId(7), t(3)).unwrap();
    let after = a.ring_view(s1, 4).unwrap();
    for n in [0, 1, 2, 4] {
        assert_eq!(after.tokens_of(NodeId(n)), ring.tokens_of(NodeId(n)), "node {n}");
    }
    assert_eq!(after.tokens_of(NodeId(7)).len(), 8);

    // Strategy 3 works too, and a view with no ring member is an error.
    let s3 = PartitionStrategy::EqualPartitions { partitions: 64 };
    assert_eq!(after.node_count(), a.ring_view(s3, 4).unwrap().node_count());
    let empty = Membership::new(NodeId(0), cfg(&[]), &[]).unwrap();
    assert_eq!(empty.ring_view(s1, 4), Err(MembershipError::NoRingMembers));
    let tiny = PartitionStrategy::EqualPartitions { partitions: 2 };
    assert!(matches!(a.ring_view(tiny, 4), Err(MembershipError::Ring(_))));
}

#[test]
fn a_round_never_picks_a_node_that_left_whichever_way_the_view_learned_it() {
    let mut rng = SimRng::stream(2, "pick-left");
    let mut m = Membership::new(NodeId(0), cfg(&[]), &members(0..4)).unwrap();
    m.leave(NodeId(1), t(1)).unwrap();
    m.remove(NodeId(1), t(2)).unwrap();
    let picks: Vec<NodeId> = (0..300).filter_map(|_| m.pick_peer(&mut rng)).collect();
    assert!(picks.iter().all(|p| ![NodeId(0), NodeId(1)].contains(p)), "a command this node issued");
    // Another view learns the departure by a delta, a third by a full merge.
    let mut b = Membership::new(NodeId(2), cfg(&[]), &members(0..4)).unwrap();
    let (_, request) = b.on_digest(NodeId(0), m.list().digest());
    assert!(b.on_delta(m.on_request(&request)));
    let mut c = Membership::new(NodeId(3), cfg(&[]), &members(0..4)).unwrap();
    assert!(c.merge(m.list()));
    for v in [&b, &c] {
        let picks: Vec<NodeId> = (0..300).filter_map(|_| v.pick_peer(&mut rng)).collect();
        assert!(!picks.contains(&NodeId(1)) && !picks.contains(&v.me()), "{picks:?}");
        assert_eq!(picks.iter().collect::<std::collections::BTreeSet<_>>().len(), 2, "both other peers picked");
    }
}

#[test]
fn the_joining_nodes_follow_the_list() {
    let mut m = Membership::new(NodeId(0), cfg(&[]), &members(0..3)).unwrap();
    assert!(m.joining().is_empty());
    m.join(RingMember::new(NodeId(7)), t(1)).unwrap();
    m.join(RingMember::new(NodeId(5)), t(2)).unwrap();
    assert_eq!(m.joining(), &[NodeId(5), NodeId(7)]);
    m.activate(NodeId(7), t(3)).unwrap();
    assert_eq!(m.joining(), &[NodeId(5)]);
    let mut other = Membership::new(NodeId(1), cfg(&[]), &members(0..3)).unwrap();
    assert!(other.merge(m.list()));
    assert_eq!(other.joining(), &[NodeId(5)], "learned by gossip");
}
