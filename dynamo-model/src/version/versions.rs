//! A key's set of siblings, the unit a replica stores, sends and a get returns, and the two
//! operations on it: a coordinator creating a version, and syntactic reconciliation.

use std::sync::{Arc, OnceLock};

use super::digest::Fnv1a;
use super::{Context, Sibling, Value, VersioningMode, WriteId, dvv, lww, vclock};
use crate::NodeId;

/// What a coordinator must replicate after a put.
pub(super) enum Replicate {
    /// The coordinator's whole new set (vector clocks and DVV).
    WholeSet,
    /// The new version alone (LWW).
    NewVersion(Sibling),
}

/// A key's siblings: mutually concurrent versions, none superseded by another, kept in a
/// canonical order (by write id, then metadata) so equal sets compare and hash equal.
///
/// Copy-on-write: a clone shares the siblings (a disk read, a reply and a replication message
/// copy a pointer, not the clocks), and a mutation copies them only while shared. The digest is
/// computed once per distinct set and kept beside the siblings it describes.
#[derive(Clone, Default)]
pub struct Versions {
    /// `None` is the empty set, so [`Versions::new`] allocates nothing.
    shared: Option<Arc<Shared>>,
}

/// The siblings behind a [`Versions`] and their digest, once computed.
#[derive(Clone, Default)]
struct Shared {
    siblings: Vec<Sibling>,
    /// [`Versions::digest`] of `siblings`; reset by every mutation (see `siblings_mut`).
    digest: OnceLock<u64>,
}

impl Versions {
    /// The empty set: a key never written (or not yet replicated here).
    pub const fn new() -> Self {
        Versions { shared: None }
    }

    fn from_siblings(siblings: Vec<Sibling>) -> Self {
        Versions { shared: Some(Arc::new(Shared { siblings, digest: OnceLock::new() })) }
    }

    /// The siblings, in canonical order.
    pub fn siblings(&self) -> &[Sibling] {
        self.shared.as_ref().map_or(&[], |s| &s.siblings)
    }

    /// The siblings to mutate: copied first if another set shares them, with the cached digest
    /// dropped (the caller changes what it described).
    fn siblings_mut(&mut self) -> &mut Vec<Sibling> {
        let shared = Arc::make_mut(self.shared.get_or_insert_with(Arc::default));
        shared.digest.take();
        &mut shared.siblings
    }

    /// The number of siblings. Under vector clocks the same write may appear twice with
    /// concurrent stamps, so count [`Versions::write_ids`] for distinct values.
    pub fn len(&self) -> usize {
        self.siblings().len()
    }

    /// Whether the set holds no version.
    pub fn is_empty(&self) -> bool {
        self.siblings().is_empty()
    }

    /// The distinct writes the set holds, ascending.
    pub fn write_ids(&self) -> Vec<WriteId> {
        let mut ids: Vec<WriteId> = self.siblings().iter().map(Sibling::write_id).collect();
        ids.dedup();
        ids
    }

    /// The bytes of value the set carries (a reply's or a replication message's payload).
    pub fn payload_bytes(&self) -> u64 {
        self.siblings().iter().map(|s| u64::from(s.value.size_bytes)).sum()
    }

    /// The longest sibling metadata, in `(node, counter)` entries (see [`Sibling::clock_len`]).
    pub fn max_clock_len(&self) -> usize {
        self.siblings().iter().map(Sibling::clock_len).max().unwrap_or(0)
    }

    /// The context a get returns with these siblings: a version vector that subsumes all of them.
    pub fn context(&self) -> Context {
        let mut ctx = Context::empty();
        for sibling in self.siblings() {
            ctx.add_sibling(sibling);
        }
        ctx
    }

    /// The coordinator's half of a put (Dynamo §4.4–4.5): creates the new version of `value`
    /// from the client's context, stores it here, and returns what the other replicas must merge.
    ///
    /// - Vector clocks: the context merged with the stored clocks, incremented at `coordinator`
    ///   with timestamp `local_now_ns`, truncated by dropping the oldest-timestamp entries (never
    ///   the coordinator's). Stored siblings the context has not seen are restamped and kept.
    ///   Returns the whole new set.
    /// - DVV: a new dot at `coordinator`; stored siblings whose dot the context covers are
    ///   discarded. Returns the whole new set.
    /// - LWW: stamped `(local_now_ns, coordinator)`; the context is ignored; the higher stamp
    ///   stays here. Returns the new version alone.
    ///
    /// `self` must be the coordinator's stored set for the key: its counter is made fresh from
    /// it, so a node that dropped a key's versions (after handing off a hint, say) and then
    /// coordinates a put for it may reuse a counter, as a Riak vnode that lost its data would.
    pub fn coordinate_put(
        &mut self,
        mode: VersioningMode,
        ctx: &Context,
        coordinator: NodeId,
        local_now_ns: u64,
        value: Value,
    ) -> Versions {
        debug_assert!(self.siblings().iter().all(|s| s.write_id() != value.write_id), "write id reused");
        let update = match mode {
            VersioningMode::VectorClock { truncation_threshold } => {
                vclock::coordinate(self.siblings_mut(), ctx, coordinator, local_now_ns, value, truncation_threshold)
            }
            VersioningMode::Dvv => dvv::coordinate(self.siblings_mut(), ctx, coordinator, value),
            VersioningMode::Lww => lww::coordinate(self.siblings_mut(), coordinator, local_now_ns, value),
        };
        self.reconcile();
        match update {
            Replicate::WholeSet => self.clone(),
            Replicate::NewVersion(version) => Versions::from_siblings(vec![version]),
        }
    }

    /// Syntactic reconciliation (Dynamo §4.4): adds `other`'s siblings, then drops every
    /// superseded one. Used by a replica receiving a write, a get coordinator combining replies,
    /// read repair, hinted handoff and anti-entropy. Commutative, associative and idempotent, so
    /// the result does not depend on the order sets arrive in.
    pub fn merge(&mut self, other: &Versions) {
        if other.is_empty() || self == other {
            return;
        }
        #[cfg(debug_assertions)]
        let expected = {
            let mut slow = self.clone();
            slow.merge_by_reconciling(other);
            slow
        };
        // Fast paths (the usual replica write: the incoming set supersedes what was stored):
        // when one set already covers the other, the union reconciles to that set, so share it
        // instead of copying both and reconciling.
        if self.is_empty() || other.covers(self) {
            *self = other.clone();
        } else if !self.covers(other) {
            self.merge_by_reconciling(other);
        }
        #[cfg(debug_assertions)]
        debug_assert!(*self == expected, "a fast path of merge differs from reconciling the union");
    }

    /// [`Versions::merge`] by definition: the union of both sets, reconciled.
    fn merge_by_reconciling(&mut self, other: &Versions) {
        self.siblings_mut().extend(other.siblings().iter().cloned());
        self.reconcile();
    }

    /// Whether this set already reflects everything in `other`: each of `other`'s siblings is
    /// here or superseded by one here, so merging `other` would change nothing. A replica whose
    /// reply is not covered by the reconciled set is stale (read repair).
    pub fn covers(&self, other: &Versions) -> bool {
        let mine = self.siblings();
        other
            .siblings()
            .iter()
            .all(|theirs| mine.binary_search(theirs).is_ok() || mine.iter().any(|m| m.supersedes(theirs)))
    }

    /// A deterministic hash of the siblings' values and causal metadata, for Merkle leaves.
    /// Equal sets have equal digests, whatever order their siblings arrived in.
    pub fn digest(&self) -> u64 {
        match &self.shared {
            Some(shared) => *shared.digest.get_or_init(|| digest_of(&shared.siblings)),
            None => digest_of(&[]),
        }
    }

    /// Restores the invariants: canonical order, no duplicate, no superseded sibling.
    fn reconcile(&mut self) {
        let siblings = self.siblings_mut();
        siblings.sort_unstable();
        siblings.dedup();
        drop_superseded(siblings);
        // A stored set lives as long as its key, and usually holds one sibling: keep no spare
        // room (a push leaves room for four).
        siblings.shrink_to_fit();
        self.debug_check();
    }

    fn debug_check(&self) {
        let siblings = self.siblings();
        debug_assert!(siblings.is_sorted());
        debug_assert!(siblings.iter().all(|s| !siblings.iter().any(|o| o.supersedes(s))));
        debug_assert!(siblings.iter().filter(|s| s.stamp().is_some()).count() <= 1);
        debug_assert!(
            siblings.windows(2).all(|w| w[0].dot().is_none() || w[0].dot() != w[1].dot() || w[0] == w[1]),
            "one dot, two versions: a coordinator reused a counter"
        );
    }
}

fn digest_of(siblings: &[Sibling]) -> u64 {
    let mut h = Fnv1a::new();
    h.write_u64(siblings.len() as u64);
    for sibling in siblings {
        sibling.hash_into(&mut h);
    }
    h.finish()
}

/// Drops every sibling another one supersedes (supersession is irreflexive, so comparing a
/// sibling with itself is harmless). No allocation for sets of up to 64 siblings.
fn drop_superseded(siblings: &mut Vec<Sibling>) {
    let superseded = |s: &Sibling| siblings.iter().any(|other| other.supersedes(s));
    if siblings.len() < 2 {
        return;
    }
    if siblings.len() <= 64 {
        let mask = siblings.iter().enumerate().fold(0u64, |m, (i, s)| m | (u64::from(superseded(s)) << i));
        let mut i = 0;
        siblings.retain(|_| {
            i += 1;
            mask & (1 << (i - 1)) == 0
        });
    } else {
        let flags: Vec<bool> = siblings.iter().map(superseded).collect();
        let mut flags = flags.into_iter();
        siblings.retain(|_| !flags.next().unwrap_or(false));
    }
}

impl PartialEq for Versions {
    fn eq(&self, other: &Versions) -> bool {
        let same_allocation = match (&self.shared, &other.shared) {
            (Some(a), Some(b)) => Arc::ptr_eq(a, b),
            _ => false,
        };
        same_allocation || self.siblings() == other.siblings()
    }
}

impl Eq for Versions {}

/// Hashes as the sibling list alone (as the derived hash of `{ siblings: Vec<Sibling> }` did).
impl std::hash::Hash for Versions {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.siblings().hash(state);
    }
}

impl std::fmt::Debug for Versions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Versions").field("siblings", &self.siblings()).finish()
    }
}

#[cfg(test)]
mod tests {
    use super::super::testkit::{Cluster, arb_steps};
    use super::super::{CausalMeta, ClockEntry, VectorClock};
    use super::*;
    use proptest::prelude::*;

    const SX: NodeId = NodeId(1);
    const SY: NodeId = NodeId(2);
    const SZ: NodeId = NodeId(3);
    const VC: VersioningMode = VersioningMode::VectorClock { truncation_threshold: 10 };

    fn value(id: u64) -> Value {
        Value::plain(WriteId(id), 100, false)
    }

    fn clocks(versions: &Versions) -> Vec<String> {
        versions.siblings().iter().filter_map(|s| s.clock()).map(|c| c.to_string()).collect()
    }

    fn ids(versions: &Versions) -> Vec<u64> {
        versions.write_ids().into_iter().map(|w| w.0).collect()
    }

    /// Dynamo's Figure 3, replica by replica. D1 and D2 are written through Sx; D2 reaches Sy
    /// and Sz; D3 is written through Sy and D4 through Sz, each from a read of D2; Sx receives
    /// both; a client reads D3 and D4 from Sx and writes D5 through Sx.
    #[test]
    fn figure_3_trace() {
        let (mut sx, mut sy, mut sz) = (Versions::new(), Versions::new(), Versions::new());
        sx.coordinate_put(VC, &Context::empty(), SX, 1, value(1));
        assert_eq!(clocks(&sx), ["[(p1,1)]"]);
        let d2 = sx.coordinate_put(VC, &sx.context(), SX, 2, value(2));
        assert_eq!((ids(&sx), clocks(&sx)), (vec![2], vec!["[(p1,2)]".to_string()]));
        sy.merge(&d2);
        sz.merge(&d2);
        let d3 = sy.coordinate_put(VC, &sy.context(), SY, 3, value(3));
        let d4 = sz.coordinate_put(VC, &sz.context(), SZ, 4, value(4));
        assert_eq!(clocks(&d3), ["[(p1,2),(p2,1)]"]);
        assert_eq!(clocks(&d4), ["[(p1,2),(p3,1)]"]);
        sx.merge(&d3);
        sx.merge(&d4);
        assert_eq!(ids(&sx), [3, 4], "D3 and D4 are siblings; D2 is gone");
        let read = sx.context();
        assert_eq!(read.clock().to_string(), "[(p1,2),(p2,1),(p3,1)]");
        let d5 = sx.coordinate_put(VC, &read, SX, 5, value(5));
        assert_eq!((ids(&sx), clocks(&sx)), (vec![5], vec!["[(p1,3),(p2,1),(p3,1)]".to_string()]));
        sy.merge(&d5);
        sz.merge(&d5);
        assert_eq!((&sy, &sz), (&sx, &sx), "D5 replaces D3 and D4 everywhere");
    }

    #[test]
    fn a_clone_shares_until_one_side_changes_and_digests_follow_the_change() {
        let mut stored = Versions::new();
        stored.coordinate_put(VC, &Context::empty(), SX, 1, value(1));
        let before = stored.digest();
        let mut read = stored.clone();
        assert_eq!(read.digest(), before, "a clone shares the siblings and their digest");
        let update = Versions::new().coordinate_put(VC, &Context::empty(), SY, 2, value(2));
        read.merge(&update);
        assert_eq!(ids(&stored), [1], "merging into a clone leaves the original alone");
        assert_eq!(stored.digest(), before);
        assert_eq!(ids(&read), [1, 2]);
        assert_eq!(read.digest(), from_unsorted(read.siblings().to_vec()).digest(), "the digest was recomputed");
        assert_ne!(read.digest(), before);
    }

    #[test]
    fn covers_detects_a_stale_replica() {
        let mut fresh = Versions::new();
        let stale = fresh.coordinate_put(VC, &Context::empty(), SX, 1, value(1));
        fresh.coordinate_put(VC, &fresh.context(), SX, 2, value(2));
        assert!(fresh.covers(&stale) && !stale.covers(&fresh));
        assert!(fresh.covers(&Versions::new()) && fresh.covers(&fresh));
    }

    #[test]
    fn truncation_leaves_a_spurious_sibling_but_loses_nothing() {
        let mode = VersioningMode::VectorClock { truncation_threshold: 2 };
        let (mut a, mut b) = (Versions::new(), Versions::new());
        for (i, node) in [SX, SY, SZ].into_iter().enumerate() {
            let update = a.coordinate_put(mode, &a.context(), node, i as u64, value(i as u64 + 1));
            b.merge(&update);
        }
        // Each write read the one before. The third clock dropped Sx's entry (the oldest), so it
        // no longer dominates the second's [(p1,1),(p2,1)]: at b, which received the second
        // before the third, the second survives as a false conflict.
        assert_eq!(clocks(&a), ["[(p2,1),(p3,1)]"]);
        assert_eq!(ids(&a), [3]);
        assert_eq!(ids(&b), [2, 3]);
        assert_eq!(clocks(&b), ["[(p1,1),(p2,1)]", "[(p2,1),(p3,1)]"]);
    }

    #[test]
    fn digest_depends_on_content_not_arrival() {
        let mut a = Versions::new();
        let mut b = Versions::new();
        let x = a.coordinate_put(VersioningMode::Dvv, &Context::empty(), SX, 0, value(1));
        let y = b.coordinate_put(VersioningMode::Dvv, &Context::empty(), SY, 0, value(2));
        let (mut xy, mut yx) = (x.clone(), y.clone());
        xy.merge(&y);
        yx.merge(&x);
        assert_eq!(xy.digest(), yx.digest());
        assert_ne!(xy.digest(), x.digest());
        assert_ne!(Versions::new().digest(), x.digest());
    }

    fn arb_clock_sibling() -> impl Strategy<Value = Sibling> {
        let entries = prop::collection::vec((1u32..5, 1u64..4, 0u64..3), 0..4);
        (0u64..12, entries).prop_map(|(id, entries)| {
            let entries =
                entries.into_iter().map(|(n, c, t)| ClockEntry { node: NodeId(n), counter: c, timestamp_ns: t });
            Sibling::new(value(id), CausalMeta::Clock(VectorClock::from_entries(entries)))
        })
    }

    fn arb_clock_set() -> impl Strategy<Value = Versions> {
        prop::collection::vec(arb_clock_sibling(), 0..6).prop_map(from_unsorted)
    }

    fn merge_all<'a>(sets: impl IntoIterator<Item = &'a Versions>) -> Versions {
        let mut all = Versions::new();
        for set in sets {
            all.merge(set);
        }
        all
    }

    fn from_unsorted(siblings: Vec<Sibling>) -> Versions {
        let mut versions = Versions::from_siblings(siblings);
        versions.reconcile();
        versions
    }

    fn is_reconciled(v: &Versions) -> bool {
        v.siblings().is_sorted() && v.siblings().iter().all(|s| !v.siblings().iter().any(|o| o.supersedes(s)))
    }

    /// A cluster's replica sets and in-flight messages after a random run.
    fn arb_run_sets() -> impl Strategy<Value = Vec<Versions>> {
        let mode = prop_oneof![
            Just(VC),
            Just(VersioningMode::VectorClock { truncation_threshold: 2 }),
            Just(VersioningMode::Dvv),
            Just(VersioningMode::Lww)
        ];
        (mode, 1usize..4, arb_steps(60)).prop_map(|(mode, clients, steps)| {
            let mut cluster = Cluster::new(mode, 3, clients, false);
            steps.into_iter().for_each(|step| cluster.apply(step));
            cluster.all_sets()
        })
    }

    proptest! {
        #[test]
        fn merge_laws_on_clock_sets(a in arb_clock_set(), b in arb_clock_set(), c in arb_clock_set()) {
            let ab = merge_all([&a, &b]);
            prop_assert!(is_reconciled(&ab));
            prop_assert_eq!(&ab, &merge_all([&b, &a]));
            prop_assert_eq!(merge_all([&ab, &c]), merge_all([&a, &merge_all([&b, &c])]));
            prop_assert_eq!(merge_all([&a, &a]), a.clone());
            prop_assert!(ab.covers(&a) && ab.covers(&b));
        }

        /// Replicas' sets from real runs of every mode, merged in two arbitrary orders, give the
        /// same set and digest; merging never keeps a superseded sibling.
        #[test]
        fn merge_is_order_independent(
            (sets, shuffled) in arb_run_sets().prop_flat_map(|s| (Just(s.clone()), Just(s).prop_shuffle())),
        ) {
            let forward = merge_all(&sets);
            let other = merge_all(&shuffled);
            prop_assert!(is_reconciled(&forward));
            prop_assert_eq!(forward.digest(), other.digest());
            prop_assert_eq!(&forward, &other);
            prop_assert!(sets.iter().all(|s| forward.covers(s)));
            let pairwise = merge_all(sets.chunks(2).map(merge_all).collect::<Vec<_>>().iter());
            prop_assert_eq!(pairwise, forward);
        }

        /// Vector clocks, with or without truncation and under skewed node clocks, never lose a
        /// write no other write saw; they may keep extra (falsely concurrent) ones.
        #[test]
        fn vector_clocks_lose_no_concurrent_write(
            threshold in 1usize..5, clients in 1usize..5, rmw in any::<bool>(), steps in arb_steps(120),
        ) {
            let mode = VersioningMode::VectorClock { truncation_threshold: threshold };
            let mut cluster = Cluster::new(mode, 4, clients, rmw);
            steps.into_iter().for_each(|step| cluster.apply(step));
            let kept = cluster.everything_merged().write_ids();
            let frontier = cluster.true_frontier();
            prop_assert!(frontier.iter().all(|w| kept.contains(w)), "lost: frontier {:?}, kept {:?}", frontier, kept);
        }
    }
}
