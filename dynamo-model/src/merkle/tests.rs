//! Laws of the `merkle` module: exact diffs, order-independent hashing, cost proportional to the
//! difference, typed errors for bad configs and malformed peer messages, and sparse storage that
//! hashes exactly as a dense tree and holds memory in proportion to its keys.

use super::hash::{EMPTY_SUBTREE, entry_hash, leaf_of, node_hash};
use super::*;
use proptest::prelude::*;
use std::collections::BTreeMap;

type State = BTreeMap<u64, u64>;

fn config(depth: u8) -> MerkleConfig {
    MerkleConfig::with_depth(depth).unwrap()
}

fn tree_of(depth: u8, state: &State) -> MerkleTree {
    MerkleTree::build(config(depth), state.iter().map(|(&k, &d)| (k, d))).unwrap()
}

/// The expected answer, computed naively over both whole maps.
fn naive_diff(a: &State, b: &State) -> Vec<KeyDelta> {
    let keys: std::collections::BTreeSet<u64> = a.keys().chain(b.keys()).copied().collect();
    let delta = |key| KeyDelta { key, local: a.get(&key).copied(), remote: b.get(&key).copied() };
    keys.into_iter().map(delta).filter(|d| d.local != d.remote).collect()
}

/// An edit: `Some(digest)` writes, `None` deletes.
fn apply(state: &mut State, edits: &[(u64, Option<u64>)]) {
    for &(key, edit) in edits {
        match edit {
            Some(digest) => state.insert(key, digest),
            None => state.remove(&key),
        };
    }
}

fn edits(keys: u64) -> impl Strategy<Value = Vec<(u64, Option<u64>)>> {
    // Small digests make independent writes often agree, so equal digests are exercised too.
    prop::collection::vec((0..keys, prop::option::of(0u64..4)), 0..60)
}

/// Two replicas that share a base state and then diverge by random writes and deletes.
fn replicas() -> impl Strategy<Value = (u8, State, State)> {
    let base = prop::collection::btree_map(0u64..600, 0u64..4, 0..300);
    (1u8..=12, base, edits(700), edits(700)).prop_map(|(depth, base, ea, eb)| {
        let (mut a, mut b) = (base.clone(), base);
        apply(&mut a, &ea);
        apply(&mut b, &eb);
        (depth, a, b)
    })
}

proptest! {
    #[test]
    fn diff_finds_exactly_the_differing_keys((depth, a, b) in replicas()) {
        let (ta, tb) = (tree_of(depth, &a), tree_of(depth, &b));
        let result = diff(&ta, &tb).unwrap();
        prop_assert_eq!(&result.keys, &naive_diff(&a, &b));
        let mirrored = diff(&tb, &ta).unwrap();
        let swapped: Vec<_> = result.keys.iter()
            .map(|d| KeyDelta { key: d.key, local: d.remote, remote: d.local }).collect();
        prop_assert_eq!(mirrored.keys, swapped);
        let cost = result.cost;
        prop_assert!(cost.buckets_sent <= result.keys.len() as u64);
        prop_assert!(cost.hashes_sent <= 1 + 2 * u64::from(depth) * result.keys.len() as u64);
        prop_assert_eq!(cost.round_trips == 1, ta.root() == tb.root());
    }

    #[test]
    fn incremental_matches_rebuild_in_any_order(
        depth in 1u8..=10,
        ops in edits(300),
        seed_order in Just((0u64..300).collect::<Vec<_>>()).prop_shuffle(),
    ) {
        let mut incremental = MerkleTree::new(config(depth)).unwrap();
        let mut state = State::new();
        for &(key, edit) in &ops {
            match edit {
                Some(digest) => prop_assert_eq!(incremental.insert_or_update(key, digest), state.insert(key, digest)),
                None => prop_assert_eq!(incremental.remove(key), state.remove(&key)),
            }
        }
        let rebuilt = tree_of(depth, &state);
        prop_assert_eq!(incremental.root(), rebuilt.root());
        prop_assert_eq!(&incremental, &rebuilt);
        // The final state inserted in a shuffled order, through noise that is later removed.
        let mut shuffled = MerkleTree::new(config(depth)).unwrap();
        for &key in &seed_order {
            shuffled.insert_or_update(key + 1000, key);
            if let Some(&digest) = state.get(&key) {
                shuffled.insert_or_update(key, digest ^ 1);
                shuffled.insert_or_update(key, digest);
            }
        }
        for &key in seed_order.iter().rev() {
            shuffled.remove(key + 1000);
        }
        prop_assert_eq!(&shuffled, &rebuilt);
        prop_assert!(diff(&incremental, &rebuilt).unwrap().keys.is_empty());
    }
}

#[test]
fn equal_replicas_cost_one_round_trip() {
    let state: State = (0..100_000u64).map(|k| (k, k.wrapping_mul(31))).collect();
    let (a, b) = (tree_of(10, &state), tree_of(10, &state));
    let result = diff(&a, &b).unwrap();
    assert!(result.keys.is_empty());
    let expected = DiffCost { round_trips: 1, indices_sent: 1, hashes_sent: 1, ..DiffCost::default() };
    assert_eq!(result.cost, expected);
    assert_eq!(result.cost.bytes(), INDEX_BYTES + HASH_BYTES);
    let empty = MerkleTree::new(config(10)).unwrap();
    assert_eq!(diff(&empty, &empty.clone()).unwrap().cost, expected);
}

/// One changed digest, with `keys` keys per replica.
fn one_change(depth: u8, keys: u64) -> (DiffResult, usize) {
    let a: State = (0..keys).map(|k| (k, k)).collect();
    let mut b = a.clone();
    b.insert(keys / 2, u64::MAX);
    let tb = tree_of(depth, &b);
    let bucket = tb.bucket(tb.leaf_of(keys / 2)).unwrap().len();
    (diff(&tree_of(depth, &a), &tb).unwrap(), bucket)
}

#[test]
fn cost_follows_the_difference_not_the_tree_size() {
    let depth = 10u8;
    let (big, bucket_len) = one_change(depth, 100_000);
    let changed = KeyDelta { key: 50_000, local: Some(50_000), remote: Some(u64::MAX) };
    assert_eq!(big.keys, vec![changed]);
    let d = u64::from(depth);
    assert_eq!(big.cost.round_trips, u32::from(depth) + 2);
    assert_eq!(big.cost.levels_descended, depth);
    assert_eq!(big.cost.hashes_sent, 1 + 2 * d);
    assert_eq!(big.cost.buckets_sent, 1);
    assert_eq!(big.cost.bucket_entries_sent, bucket_len as u64);
    assert!(bucket_len < 200, "one bucket of ~98 keys, got {bucket_len}");
    let (small, _) = one_change(depth, 1_000);
    let (hashes, rts) = (small.cost.hashes_sent, small.cost.round_trips);
    assert_eq!((hashes, rts), (big.cost.hashes_sent, big.cost.round_trips));
}

#[test]
fn cost_grows_with_the_number_of_differing_keys() {
    let a: State = (0..100_000).map(|k| (k, k)).collect();
    let ta = tree_of(12, &a);
    let mut previous = 0;
    for changes in [1u64, 10, 100] {
        let mut tb = ta.clone();
        for i in 0..changes {
            tb.insert_or_update(i * 997, 0xdead);
        }
        let result = diff(&ta, &tb).unwrap();
        assert_eq!(result.keys.len() as u64, changes);
        assert!(result.cost.hashes_sent <= 1 + 2 * 12 * changes);
        assert!(result.cost.buckets_sent <= changes);
        assert!(result.cost.bytes() > previous);
        previous = result.cost.bytes();
    }
    assert!(previous < 100_000 * ENTRY_BYTES / 10, "far below a full transfer: {previous}");
}

#[test]
fn exchange_driven_by_messages_matches_diff() {
    let a: State = (0..5_000).map(|k| (k, k)).collect();
    let mut b = a.clone();
    apply(&mut b, &[(3, None), (9_999, Some(1)), (42, Some(7))]);
    let (ta, tb) = (tree_of(8, &a), tree_of(8, &b));
    let (mut exchange, mut request) = Exchange::start(&ta);
    let mut sent = Vec::new();
    let result = loop {
        let reply = tb.answer(&request).unwrap();
        sent.push(request.clone());
        match exchange.on_reply(&ta, &reply).unwrap() {
            Step::Send(next) => request = next,
            Step::Done(result) => break result,
        }
    };
    assert!(exchange.is_done());
    assert_eq!(result, diff(&ta, &tb).unwrap());
    assert_eq!(sent.len(), 10);
    assert!(matches!(sent.last(), Some(Request::Buckets { leaves, .. }) if leaves.len() <= 3));
    assert_eq!(result.keys.iter().map(|d| d.key).collect::<Vec<_>>(), vec![3, 42, 9_999]);
}

#[test]
fn depth_mismatch_is_an_error() {
    let a = MerkleTree::build(config(4), [(1, 1)]).unwrap();
    let b = MerkleTree::build(config(5), [(1, 1)]).unwrap();
    assert_eq!(diff(&a, &b).unwrap_err(), MerkleError::DepthMismatch { local: 5, remote: 4 });
}

#[test]
fn malformed_replies_are_errors_not_panics() {
    let t = MerkleTree::build(config(2), (0..40).map(|k| (k, k))).unwrap();
    let (mut ex, _) = Exchange::start(&t);
    let err = ex.on_reply(&t, &Reply::Hashes(vec![1, 2])).unwrap_err();
    assert!(matches!(err, MerkleError::LengthMismatch { expected: 1, got: 2, .. }));
    assert!(ex.is_done());
    let err = ex.on_reply(&t, &Reply::Hashes(vec![1])).unwrap_err();
    assert_eq!(err, MerkleError::UnexpectedReply { state: "done" });
    let (mut ex, _) = Exchange::start(&t);
    let err = ex.on_reply(&t, &Reply::Buckets(vec![])).unwrap_err();
    assert_eq!(err, MerkleError::UnexpectedReply { state: "awaiting hashes" });
    let bad_request = Request::Hashes { depth: 2, level: 3, indices: vec![0] };
    assert!(matches!(t.answer(&bad_request), Err(MerkleError::NodeOutOfRange { .. })));
}

#[test]
fn malformed_buckets_are_rejected() {
    let t = MerkleTree::build(config(2), (0..40).map(|k| (k, k))).unwrap();
    let leaf = t.leaf_of(0);
    let foreign = (1..40).find(|&k| t.leaf_of(k) != leaf).unwrap();
    let bucket = |entries: Vec<(u64, u64)>| Bucket { leaf, entries };
    let problem = |buckets: &[Bucket]| match t.key_diff(buckets) {
        Err(MerkleError::MalformedBucket { problem, .. }) => problem,
        other => panic!("expected a malformed bucket, got {other:?}"),
    };
    assert_eq!(problem(&[bucket(vec![(foreign, 0)])]), "key belongs to another leaf");
    let same = t.bucket(leaf).unwrap();
    let mut reversed = same.clone();
    reversed.reverse();
    assert_eq!(problem(&[bucket(reversed)]), "keys not strictly ascending");
    assert_eq!(problem(&[bucket(same.clone()), bucket(same)]), "leaves not strictly ascending");
    let oor = Bucket { leaf: 4, entries: vec![] };
    assert!(matches!(t.key_diff(&[oor]), Err(MerkleError::NodeOutOfRange { .. })));
}

/// The dense reference: every node hash of a tree of `depth` over `state`, as an array in heap
/// order (index 1 is the root, index 0 unused), summed and hashed from scratch.
fn dense_reference(depth: u8, state: &State) -> Vec<u64> {
    let base = 1usize << depth;
    let mut nodes = vec![0u64; 2 * base];
    for (&key, &digest) in state {
        let leaf = &mut nodes[base + leaf_of(key, depth) as usize];
        *leaf = leaf.wrapping_add(entry_hash(key, digest));
    }
    for n in (1..base).rev() {
        nodes[n] = node_hash(nodes[2 * n], nodes[2 * n + 1]);
    }
    nodes
}

/// Nodes whose subtree holds a key in `state`: what a sparse tree should store.
fn occupied_nodes(depth: u8, state: &State) -> usize {
    let mut nodes = std::collections::BTreeSet::new();
    for &key in state.keys() {
        let mut n = (1u32 << depth) + leaf_of(key, depth);
        while n >= 1 && nodes.insert(n) {
            n /= 2;
        }
    }
    nodes.len()
}

/// Fails the case unless every node of `tree` hashes as in the dense reference.
fn assert_matches_dense(tree: &MerkleTree, state: &State) -> Result<(), TestCaseError> {
    let depth = tree.depth();
    let dense = dense_reference(depth, state);
    for level in 0..=depth {
        let indices: Vec<u32> = (0..1u32 << level).collect();
        let base = 1usize << level;
        prop_assert_eq!(&tree.level_hashes(level, &indices).unwrap()[..], &dense[base..2 * base], "level {}", level);
    }
    prop_assert_eq!(tree.root(), dense[1]);
    prop_assert_eq!(tree.footprint(), Footprint { node_slots: occupied_nodes(depth, state), entries: state.len() });
    Ok(())
}

/// Depths over the whole valid range, the deep (expensive to compare densely) ones less often.
fn any_depth() -> impl Strategy<Value = u8> {
    prop_oneof![4 => MIN_DEPTH..=12, 1 => 13..=MAX_DEPTH]
}

/// A tree built from `base`, then changed by `ops` one at a time, checked against `state`.
fn edited_tree(depth: u8, base: &State, ops: &[(u64, Option<u64>)]) -> Result<(MerkleTree, State), TestCaseError> {
    let mut tree = tree_of(depth, base);
    let mut state = base.clone();
    for &(key, edit) in ops {
        match edit {
            Some(digest) => prop_assert_eq!(tree.insert_or_update(key, digest), state.insert(key, digest)),
            None => prop_assert_eq!(tree.remove(key), state.remove(&key)),
        }
    }
    Ok((tree, state))
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn sparse_tree_hashes_every_node_like_a_dense_one(
        depth in any_depth(),
        base in prop::collection::btree_map(0u64..400, 0u64..4, 0..200),
        ops_a in edits(500),
        ops_b in edits(500),
    ) {
        let (a, state_a) = edited_tree(depth, &base, &ops_a)?;
        assert_matches_dense(&a, &state_a)?;
        prop_assert_eq!(&a, &tree_of(depth, &state_a));
        let (b, state_b) = edited_tree(depth, &base, &ops_b)?;
        let result = diff(&a, &b).unwrap();
        prop_assert_eq!(result.keys, naive_diff(&state_a, &state_b));
    }
}

#[test]
fn sparse_tree_stores_at_most_depth_plus_one_slots_per_key() {
    let depth = DEFAULT_DEPTH;
    let empty = MerkleTree::new(config(depth)).unwrap();
    assert_eq!(empty.footprint(), Footprint::default());
    assert_eq!(empty.root(), EMPTY_SUBTREE[usize::from(depth)]);
    assert_eq!(empty.root(), dense_reference(depth, &State::new())[1]);
    let bound = |k: usize| k * (usize::from(depth) + 1);
    for k in [1u64, 2, 10, 100, 1_000, 3_000, 20_000] {
        let state: State = (0..k).map(|key| (key * 7919, key)).collect();
        let built = tree_of(depth, &state);
        let mut grown = empty.clone();
        for (&key, &digest) in &state {
            grown.insert_or_update(key, digest);
            assert!(grown.footprint().node_slots <= bound(grown.len()));
        }
        assert_eq!(grown, built);
        let slots = built.footprint().node_slots;
        assert!(slots <= bound(k as usize) && slots < 2 << depth, "{k} keys: {slots} slots");
        for &key in state.keys() {
            grown.remove(key);
        }
        assert_eq!((grown.footprint(), grown.root()), (Footprint::default(), empty.root()));
    }
}
