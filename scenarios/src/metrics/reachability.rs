//! The reachability oracle: how available an ideal strict-quorum system could have been.
//!
//! At each sampling instant, the links cut (by partitions and clogs) and the nodes down decide,
//! for every (client, key) pair, whether the client can reach a strict read quorum (R of the
//! key's top N) and a strict write quorum (W of the top N):
//! - **client-driven** (`coordinator: client_driven`): a read is coordinated by the client, so
//!   it must reach R of the top N itself; a write goes to a top-N node that it reaches, which
//!   must reach W of the top N (itself included);
//! - **otherwise**: through a coordinator: some up node the client reaches, which reaches R (W)
//!   of the top N, itself included. Any node may coordinate here, so the figure is the best any
//!   strict-quorum routing could do.
//!
//! "Reaches" means one hop with both directions open (a request and its reply); a node down
//! reaches nothing. Keys are weighted by the share of the hash space whose preference list is
//! the one judged (uniform over keys); clients count equally. The share of (client, key) pairs
//! with a reachable quorum is the availability an ideal strict-quorum system could have; the
//! report puts it beside what the run's actual (sloppy) configuration achieved.
//!
//! Cost: never per pair. Processes whose sets of blocked peers are equal behave alike, so the
//! oracle groups nodes and clients into classes by that set (a partition into groups gives one
//! class per group), judges each preference list by the classes of its members, and memoises
//! that verdict. One instant costs O(blocked links + processes + lists × N) plus, per distinct
//! list shape, O(client classes × node classes × N); an instant whose ring, nodes up and faults
//! are unchanged reuses the previous verdict. [`brute_force`] states the definition pair by pair
//! (tests compare the two).

use dynamo_model::NodeId;
use dynamo_model::ring::Ring;
use sim_core::fxhash::FxHashMap;
use std::collections::BTreeMap;

/// The shares of (client, key) pairs that can reach a strict quorum.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Shares {
    /// Of reads: R of the top N.
    pub read: f64,
    /// Of writes: W of the top N.
    pub write: f64,
}

/// How requests reach replicas.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Routing {
    /// The client coordinates reads and sends writes to a top-N node.
    ClientDriven,
    /// A node the client reaches coordinates.
    ThroughCoordinator,
}

/// The quorum sizes and routing judged.
#[derive(Clone, Copy, Debug)]
pub struct Quorums {
    /// Replies a read needs.
    pub r: usize,
    /// Acks a write needs.
    pub w: usize,
    /// How requests reach replicas.
    pub routing: Routing,
}

/// The cluster at one instant, as the oracle needs it.
#[derive(Clone, Debug)]
pub struct Snapshot<'a> {
    /// Whether each storage node (`0..nodes`) is up.
    pub up: &'a [bool],
    /// The client process ids (all above the storage nodes).
    pub clients: &'a [u32],
    /// Every blocked directed link `(from, to)` (repeats allowed).
    pub blocked: &'a [(u32, u32)],
    /// Each distinct preference list (top N) with the share of keys it serves.
    pub lists: &'a [(f64, Vec<NodeId>)],
}

/// The distinct top-N preference lists of `ring`, each with the share of the hash space (so of
/// uniformly hashed keys) it serves, in list order.
pub fn weighted_lists(ring: &Ring, n: usize) -> Vec<(f64, Vec<NodeId>)> {
    let mut lists: BTreeMap<Vec<NodeId>, f64> = BTreeMap::new();
    let mut list = Vec::new();
    let mut add = |pos, weight: f64, list: &mut Vec<NodeId>| {
        ring.preference_list(pos, n, list);
        *lists.entry(list.clone()).or_insert(0.0) += weight;
    };
    match ring.partition_count() {
        Some(q) => {
            for p in 0..q {
                let range = ring.partition_range(p).expect("p < Q");
                add(range.end_inclusive, 1.0 / f64::from(q), &mut list);
            }
        }
        None => {
            let tokens: Vec<u128> = ring.tokens().map(|(pos, _)| pos).collect();
            for (i, &pos) in tokens.iter().enumerate() {
                let prev = tokens[(i + tokens.len() - 1) % tokens.len()];
                let arc = if tokens.len() == 1 { u128::MAX } else { pos.wrapping_sub(prev) };
                add(pos, arc as f64 / 2f64.powi(128), &mut list);
            }
        }
    }
    lists.into_iter().map(|(l, w)| (w, l)).collect()
}

/// Each process's blocked peers (either direction), sorted: `rows[p]`.
fn blocked_rows(s: &Snapshot<'_>) -> Vec<Vec<u32>> {
    let procs = s.clients.iter().map(|&c| c as usize + 1).max().unwrap_or(0).max(s.up.len());
    let mut rows = vec![Vec::new(); procs];
    for &(a, b) in s.blocked {
        if (a as usize) < procs && (b as usize) < procs && a != b {
            rows[a as usize].push(b);
            rows[b as usize].push(a);
        }
    }
    for r in &mut rows {
        r.sort_unstable();
        r.dedup();
    }
    rows
}

/// Whether `a` and `b` can exchange a request and its reply.
fn linked(rows: &[Vec<u32>], a: u32, b: u32) -> bool {
    a == b || rows[a as usize].binary_search(&b).is_err()
}

/// Members of `list` that `x` reaches (itself included) and that are up.
fn reached(rows: &[Vec<u32>], up: &[bool], x: u32, list: &[NodeId]) -> usize {
    list.iter().filter(|u| up[u.index()] && linked(rows, x, u.0)).count()
}

/// Whether client `c` can reach a read quorum (`write` false) or a write quorum of `list`.
fn judge(rows: &[Vec<u32>], s: &Snapshot<'_>, q: &Quorums, c: u32, list: &[NodeId], write: bool) -> bool {
    let need = if write { q.w } else { q.r };
    let coordinates = |x: u32| s.up[x as usize] && linked(rows, c, x) && reached(rows, s.up, x, list) >= need;
    match (q.routing, write) {
        (Routing::ClientDriven, false) => {
            list.iter().filter(|u| s.up[u.index()] && linked(rows, c, u.0)).count() >= need
        }
        (Routing::ClientDriven, true) => list.iter().any(|u| coordinates(u.0)),
        (Routing::ThroughCoordinator, _) => (0..s.up.len() as u32).any(coordinates),
    }
}

/// The definition, pair by pair: O(clients × lists × nodes × N). The test oracle of [`shares`].
pub fn brute_force(s: &Snapshot<'_>, q: &Quorums) -> Shares {
    let rows = blocked_rows(s);
    let mut out = Shares::default();
    for &c in s.clients {
        for (weight, list) in s.lists {
            out.read += weight * f64::from(u8::from(judge(&rows, s, q, c, list, false)));
            out.write += weight * f64::from(u8::from(judge(&rows, s, q, c, list, true)));
        }
    }
    normalise(out, s)
}

fn normalise(sum: Shares, s: &Snapshot<'_>) -> Shares {
    let total: f64 = s.lists.iter().map(|(w, _)| w).sum::<f64>() * s.clients.len() as f64;
    if total == 0.0 {
        return Shares::default();
    }
    Shares { read: sum.read / total, write: sum.write / total }
}

/// Processes grouped by their blocked peers: `class[p]`, and one representative per class.
struct Classes {
    class: Vec<u32>,
    reps: Vec<u32>,
}

impl Classes {
    /// Groups `members` by (up, blocked peers); a down node gets class `u32::MAX`.
    fn of(rows: &[Vec<u32>], members: impl Iterator<Item = u32>, up: impl Fn(u32) -> bool) -> Classes {
        let mut class = vec![u32::MAX; rows.len()];
        let mut reps = Vec::new();
        let mut ids: BTreeMap<&[u32], u32> = BTreeMap::new();
        for p in members.filter(|&p| up(p)) {
            let next = reps.len() as u32;
            let id = *ids.entry(&rows[p as usize]).or_insert(next);
            if id == next {
                reps.push(p);
            }
            class[p as usize] = id;
        }
        Classes { class, reps }
    }
}

/// The shares, computed by classes (see the module doc); equal to [`brute_force`].
pub fn shares(s: &Snapshot<'_>, q: &Quorums) -> Shares {
    let rows = blocked_rows(s);
    let nodes = Classes::of(&rows, 0..s.up.len() as u32, |p| s.up[p as usize]);
    let clients = Classes::of(&rows, s.clients.iter().copied(), |_| true);
    let mut weight_of_client_class = vec![0.0; clients.reps.len()];
    for &c in s.clients {
        weight_of_client_class[clients.class[c as usize] as usize] += 1.0;
    }
    // A list's verdicts depend only on the classes of its members (in order).
    let mut memo: FxHashMap<Vec<u32>, Shares> = FxHashMap::default();
    let mut shape = Vec::new();
    let mut out = Shares::default();
    for (weight, list) in s.lists {
        shape.clear();
        shape.extend(list.iter().map(|u| nodes.class[u.index()]));
        let per_pair = *memo.entry(shape.clone()).or_insert_with(|| {
            let mut sum = Shares::default();
            for (k, &c) in clients.reps.iter().enumerate() {
                let n = weight_of_client_class[k];
                sum.read += n * f64::from(u8::from(judge_by_class(&rows, s, q, &nodes, c, list, false)));
                sum.write += n * f64::from(u8::from(judge_by_class(&rows, s, q, &nodes, c, list, true)));
            }
            sum
        });
        out.read += weight * per_pair.read;
        out.write += weight * per_pair.write;
    }
    normalise(out, s)
}

/// [`judge`], with "some up node coordinates" asked of one representative per node class
/// instead of every node: nodes of a class reach the same peers and are reached by the same
/// clients, so one stands for all. A class member in `list` counts itself; another member of
/// its class it reaches too (their blocked sets are equal, so neither blocks the other).
fn judge_by_class(
    rows: &[Vec<u32>],
    s: &Snapshot<'_>,
    q: &Quorums,
    nodes: &Classes,
    c: u32,
    list: &[NodeId],
    write: bool,
) -> bool {
    match (q.routing, write) {
        (Routing::ThroughCoordinator, _) => {
            let need = if write { q.w } else { q.r };
            nodes.reps.iter().any(|&x| linked(rows, c, x) && reached(rows, s.up, x, list) >= need)
        }
        _ => judge(rows, s, q, c, list, write),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn list(ids: &[u32]) -> Vec<NodeId> {
        ids.iter().map(|&i| NodeId(i)).collect()
    }

    const THROUGH: Quorums = Quorums { r: 2, w: 2, routing: Routing::ThroughCoordinator };

    #[test]
    fn no_cuts_and_every_node_up_reach_every_quorum() {
        let lists = vec![(0.5, list(&[0, 1, 2])), (0.5, list(&[1, 2, 3]))];
        let s = Snapshot { up: &[true; 4], clients: &[4, 5], blocked: &[], lists: &lists };
        assert_eq!(shares(&s, &THROUGH), Shares { read: 1.0, write: 1.0 });
    }

    #[test]
    fn a_partition_that_leaves_one_replica_with_the_clients_halves_the_quorum_keys() {
        // Nodes 0 and 1 with client 4 | nodes 2 and 3. List A = {0,1,2}: the client's side holds
        // 2 of 3, a quorum. List B = {1,2,3}: its side holds 1 of 3, no quorum of 2.
        let lists = vec![(0.5, list(&[0, 1, 2])), (0.5, list(&[1, 2, 3]))];
        let mut blocked = Vec::new();
        for a in [0, 1, 4] {
            for b in [2, 3] {
                blocked.extend([(a, b), (b, a)]);
            }
        }
        let s = Snapshot { up: &[true; 4], clients: &[4], blocked: &blocked, lists: &lists };
        assert_eq!(shares(&s, &THROUGH), Shares { read: 0.5, write: 0.5 });
        let cd = Quorums { routing: Routing::ClientDriven, ..THROUGH };
        assert_eq!(shares(&s, &cd), Shares { read: 0.5, write: 0.5 });
    }

    #[test]
    fn an_unlisted_client_reaches_the_side_that_holds_a_quorum_through_a_coordinator_there() {
        // Client 4 is in no group: it reaches both sides. List B's quorum {2,3} is on the far
        // side, reachable through node 2 or 3 as coordinator, not from node 0 or 1.
        let lists = vec![(1.0, list(&[1, 2, 3]))];
        let blocked: Vec<(u32, u32)> =
            [(0, 2), (0, 3), (1, 2), (1, 3)].into_iter().flat_map(|(a, b)| [(a, b), (b, a)]).collect();
        let s = Snapshot { up: &[true; 4], clients: &[4], blocked: &blocked, lists: &lists };
        assert_eq!(shares(&s, &THROUGH), Shares { read: 1.0, write: 1.0 });
    }

    #[test]
    fn down_nodes_neither_count_nor_coordinate() {
        let lists = vec![(1.0, list(&[0, 1, 2]))];
        let s = Snapshot { up: &[true, false, false, true], clients: &[4], blocked: &[], lists: &lists };
        assert_eq!(shares(&s, &THROUGH), Shares { read: 0.0, write: 0.0 });
        let q = Quorums { r: 1, w: 1, routing: Routing::ThroughCoordinator };
        assert_eq!(shares(&s, &q), Shares { read: 1.0, write: 1.0 });
    }

    #[test]
    fn one_way_cuts_block_a_pair_because_a_request_needs_its_reply() {
        let lists = vec![(1.0, list(&[0, 1, 2]))];
        let s = Snapshot { up: &[true; 3], clients: &[3], blocked: &[(1, 3), (2, 3)], lists: &lists };
        let cd = Quorums { r: 2, w: 2, routing: Routing::ClientDriven };
        assert_eq!(shares(&s, &cd).read, 0.0, "the client hears back from node 0 only");
        assert_eq!(shares(&s, &THROUGH).read, 1.0, "node 0 coordinates and reaches 1 and 2");
    }

    #[test]
    fn weighted_lists_cover_the_whole_hash_space() {
        use dynamo_model::ring::{PartitionStrategy, RingMember};
        let members: Vec<RingMember> = (0..6).map(|i| RingMember::new(NodeId(i)).in_datacenter(0, 0)).collect();
        let strategies = [
            PartitionStrategy::RandomTokens { tokens_per_node: 16 },
            PartitionStrategy::RandomTokensEqualPartitions { tokens_per_node: 16, partitions: 1024 },
            PartitionStrategy::EqualPartitions { partitions: 256 },
        ];
        for strategy in strategies {
            let ring = Ring::new(&members, strategy, &mut sim_core::SimRng::stream(7, "ring")).expect("valid ring");
            let lists = weighted_lists(&ring, 3);
            let total: f64 = lists.iter().map(|(w, _)| w).sum();
            assert!((total - 1.0).abs() < 1e-9, "{strategy:?}: shares sum to {total}");
            assert!(lists.iter().all(|(_, l)| l.len() == 3), "{strategy:?}: every list has N nodes");
            assert!(lists.len() > 1, "{strategy:?}: several distinct lists");
        }
    }

    /// Nodes up, blocked links, preference lists, R, W, and whether routing is client-driven.
    type Parts = (Vec<bool>, Vec<(u32, u32)>, Vec<Vec<u32>>, usize, usize, bool);

    fn snapshot_parts() -> impl Strategy<Value = Parts> {
        (3usize..7).prop_flat_map(|nodes| {
            let procs = nodes as u32 + 3;
            (
                proptest::collection::vec(proptest::bool::weighted(0.85), nodes),
                proptest::collection::vec((0..procs, 0..procs), 0..24),
                proptest::collection::vec(
                    proptest::sample::subsequence((0..nodes as u32).collect::<Vec<_>>(), 3),
                    1..5,
                ),
                1usize..4,
                1usize..4,
                any::<bool>(),
            )
        })
    }

    proptest! {
        #[test]
        fn classes_agree_with_the_pair_by_pair_definition((up, blocked, lists, r, w, client_driven) in snapshot_parts()) {
            let nodes = up.len() as u32;
            let clients: Vec<u32> = (nodes..nodes + 3).collect();
            let lists: Vec<(f64, Vec<NodeId>)> =
                lists.iter().enumerate().map(|(i, l)| (1.0 + i as f64, list(l))).collect();
            let routing = if client_driven { Routing::ClientDriven } else { Routing::ThroughCoordinator };
            let q = Quorums { r, w, routing };
            let s = Snapshot { up: &up, clients: &clients, blocked: &blocked, lists: &lists };
            let (fast, slow) = (shares(&s, &q), brute_force(&s, &q));
            prop_assert!((fast.read - slow.read).abs() < 1e-12 && (fast.write - slow.write).abs() < 1e-12,
                "classes {fast:?} vs definition {slow:?}");
        }
    }
}
