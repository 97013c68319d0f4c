//! Membership (§4.8, §4.9): a versioned membership list per node, explicit join/leave commands,
//! and anti-entropy gossip of the list, as pure sans-IO steps.
//!
//! - [`MembershipList`] holds one [`MemberEntry`] per node (status, placement record,
//!   [`Version`]); two lists reconcile per node by the higher version (`list`).
//! - A [`Membership`] is one node's view: commands ([`Membership::join`], [`Membership::activate`],
//!   [`Membership::leave`], [`Membership::remove`]) issue a new version and return the
//!   [`Persisted`] record the node must write; gossip steps ([`Membership::start_round`],
//!   [`Membership::on_digest`], [`Membership::on_request`], [`Membership::on_delta`]) exchange a
//!   [`Digest`] and then only [`Delta`]s; [`Membership::ring_view`] builds the implied [`Ring`].
//! - Seeds ([`GossipConfig::seeds`]) are contacted with probability `seed_chance` each round, and
//!   always while a node knows no other peer, so separately joined nodes meet (no logical
//!   partition).
//!
//! Nothing here touches a clock, a network or a disk: the caller passes the local time, the
//! random stream and the peer's payloads, and writes [`Persisted`] records itself.

mod entry;
mod error;
mod gossip;
mod list;
#[cfg(test)]
mod tests;

pub use crate::NodeId;
pub use entry::{MemberEntry, Persisted, Status, Version};
pub use error::MembershipError;
pub use gossip::{DIGEST_ENTRY_BYTES, Delta, Digest, ENTRY_BYTES, HEADER_BYTES, REQUEST_ENTRY_BYTES, Request, Traffic};
pub use list::MembershipList;

use crate::ring::{PartitionStrategy, PlacementPolicy, Ring, RingMember};
use sim_core::{SimDuration, SimRng, SimTime};

/// Gossip settings.
#[derive(Clone, Debug, PartialEq)]
pub struct GossipConfig {
    /// How often a node starts a gossip round. Default 1 s (§4.8: "every second").
    pub interval: SimDuration,
    /// Seed nodes, known from static configuration; every node also gossips with them.
    pub seeds: Vec<NodeId>,
    /// Probability that a round contacts a random seed instead of a random peer of the view.
    /// A node whose view holds no other peer always contacts a seed. Default 0.1.
    pub seed_chance: f64,
}

impl Default for GossipConfig {
    fn default() -> Self {
        GossipConfig { interval: SimDuration::from_millis(1000), seeds: Vec::new(), seed_chance: 0.1 }
    }
}

impl GossipConfig {
    /// Checks the seed probability (any interval is one the model can run with).
    pub fn validate(&self) -> Result<(), MembershipError> {
        if !(0.0..=1.0).contains(&self.seed_chance) {
            let reason = format!("must be in [0, 1], got {}", self.seed_chance);
            return Err(MembershipError::InvalidConfig { field: "seed_chance", reason });
        }
        Ok(())
    }
}

/// One node's membership view and its gossip state.
#[derive(Clone, Debug, PartialEq)]
pub struct Membership {
    me: NodeId,
    config: GossipConfig,
    list: MembershipList,
    /// Lamport counter for versions this node issues (persisted with every command).
    counter: u64,
    traffic: Traffic,
    /// Derived from `list`, refreshed whenever it changes, so the per-round work is O(1)
    /// instead of a walk of the whole list: the peers a gossip round may pick, and the nodes
    /// joining, in node order.
    peers: Vec<NodeId>,
    joining: Vec<NodeId>,
}

impl Membership {
    /// The view of node `me` at first start: the statically configured `initial` members, all
    /// `Member` at their [`Version::genesis`] (so every node starts with the same entries).
    pub fn new(me: NodeId, config: GossipConfig, initial: &[RingMember]) -> Result<Self, MembershipError> {
        config.validate()?;
        let mut list = MembershipList::new();
        for m in initial {
            m.validate().map_err(MembershipError::InvalidMember)?;
            list.merge_entry(MemberEntry { member: *m, status: Status::Member, version: Version::genesis(m.node) });
        }
        Ok(Membership::with_list(me, config, list))
    }

    /// A view holding `list`, with its counter at 0.
    fn with_list(me: NodeId, config: GossipConfig, list: MembershipList) -> Self {
        let mut m =
            Membership { me, config, list, counter: 0, traffic: Traffic::default(), peers: vec![], joining: vec![] };
        m.refresh_derived();
        m
    }

    /// Recomputes what is derived from the list after it changed.
    fn refresh_derived(&mut self) {
        let me = self.me;
        self.peers.clear();
        self.peers
            .extend(self.list.iter().filter(|e| e.status != Status::Left && e.node() != me).map(MemberEntry::node));
        self.joining.clear();
        self.joining.extend(self.list.iter().filter(|e| e.status == Status::Joining).map(MemberEntry::node));
    }

    /// The nodes whose status is `Joining`, in node order.
    pub fn joining(&self) -> &[NodeId] {
        &self.joining
    }

    /// The view after a restart: the initial members plus the records this node persisted.
    pub fn restore(
        me: NodeId,
        config: GossipConfig,
        initial: &[RingMember],
        records: &[Persisted],
    ) -> Result<Self, MembershipError> {
        let mut m = Membership::new(me, config, initial)?;
        for r in records {
            m.counter = m.counter.max(r.counter);
            m.list.merge_entry(r.entry);
        }
        m.refresh_derived();
        Ok(m)
    }

    /// This node.
    pub const fn me(&self) -> NodeId {
        self.me
    }

    /// The gossip settings.
    pub const fn config(&self) -> &GossipConfig {
        &self.config
    }

    /// The membership list.
    pub const fn list(&self) -> &MembershipList {
        &self.list
    }

    /// The entry of `node`, if known.
    pub fn entry(&self, node: NodeId) -> Option<&MemberEntry> {
        self.list.get(node)
    }

    /// The Lamport counter (the highest counter this node has issued or restored).
    pub const fn counter(&self) -> u64 {
        self.counter
    }

    /// The gossip traffic this node has handled (see [`Traffic`] for who counts what).
    pub const fn traffic(&self) -> Traffic {
        self.traffic
    }

    /// Command: `member` joins (status `Joining`). Allowed for unknown and `Left` nodes.
    pub fn join(&mut self, member: RingMember, now: SimTime) -> Result<Persisted, MembershipError> {
        member.validate().map_err(MembershipError::InvalidMember)?;
        if let Some(e) = self.list.get(member.node).filter(|e| e.status != Status::Left) {
            return Err(MembershipError::AlreadyJoined { node: member.node, status: e.status });
        }
        Ok(self.issue(member, Status::Joining, now))
    }

    /// Command: a `Joining` node has bootstrapped and becomes a ring `Member`.
    pub fn activate(&mut self, node: NodeId, now: SimTime) -> Result<Persisted, MembershipError> {
        self.transition(node, &[Status::Joining], Status::Member, now)
    }

    /// Command: a `Joining` or `Member` node starts leaving (`Leaving` stays on the ring while
    /// it hands off).
    pub fn leave(&mut self, node: NodeId, now: SimTime) -> Result<Persisted, MembershipError> {
        self.transition(node, &[Status::Joining, Status::Member], Status::Leaving, now)
    }

    /// Command: a `Leaving` node has handed off and is gone (`Left`, a tombstone).
    pub fn remove(&mut self, node: NodeId, now: SimTime) -> Result<Persisted, MembershipError> {
        self.transition(node, &[Status::Leaving], Status::Left, now)
    }

    fn transition(
        &mut self,
        node: NodeId,
        from: &[Status],
        to: Status,
        now: SimTime,
    ) -> Result<Persisted, MembershipError> {
        let e = *self.list.get(node).ok_or(MembershipError::UnknownNode { node })?;
        if !from.contains(&e.status) {
            return Err(MembershipError::BadTransition { node, from: e.status, to });
        }
        Ok(self.issue(e.member, to, now))
    }

    fn issue(&mut self, member: RingMember, status: Status, now: SimTime) -> Persisted {
        let seen = self.list.get(member.node).map_or(0, |e| e.version.counter);
        self.counter = self.counter.max(seen) + 1;
        let entry =
            MemberEntry { member, status, version: Version { counter: self.counter, issued_at: now, issuer: self.me } };
        let changed = self.list.merge_entry(entry);
        self.refresh_derived();
        debug_assert!(changed, "a freshly issued version is the highest");
        Persisted { counter: self.counter, entry }
    }

    /// The gossip target of this round, or `None` if this node knows nobody to talk to.
    ///
    /// Draws: with no seed other than itself, one draw to pick a view peer; otherwise, if the
    /// view has a peer, one `chance(seed_chance)` draw, then one draw to pick the target.
    pub fn pick_peer(&self, rng: &mut SimRng) -> Option<NodeId> {
        let peers = &self.peers;
        debug_assert!(peers.iter().all(|p| *p != self.me), "a node never gossips with itself");
        let mut seeds: Vec<NodeId> = self.config.seeds.iter().copied().filter(|&s| s != self.me).collect();
        seeds.sort_unstable();
        seeds.dedup();
        if seeds.is_empty() {
            return rng.choose(peers).copied();
        }
        if peers.is_empty() || rng.chance(self.config.seed_chance) {
            return rng.choose(&seeds).copied();
        }
        rng.choose(peers).copied()
    }

    /// Starts a gossip round: the peer to contact and the digest to send it.
    pub fn start_round(&self, rng: &mut SimRng) -> Option<(NodeId, Digest)> {
        self.pick_peer(rng).map(|peer| (peer, self.list.digest()))
    }

    /// Answers a peer's digest: the [`Delta`] of entries it lacks or holds older, and a
    /// [`Request`] for the entries this node lacks or holds older. Changes only the traffic
    /// counters: this view is updated when the requested entries arrive in a delta.
    pub fn on_digest(&mut self, from: NodeId, digest: Digest) -> (Delta, Request) {
        let _ = from;
        let (delta, request) = self.list.compare(&digest);
        self.traffic.digest(&digest);
        self.traffic.delta(&delta);
        self.traffic.request(&request);
        (delta, request)
    }

    /// Answers a peer's request with the entries it asked for.
    pub fn on_request(&mut self, request: &Request) -> Delta {
        let delta = self.list.entries_for(request);
        if !request.is_empty() {
            self.traffic.delta(&delta);
        }
        delta
    }

    /// Merges a peer's delta; returns whether the view changed.
    pub fn on_delta(&mut self, delta: Delta) -> bool {
        let changed = self.list.apply(&delta);
        if changed {
            self.refresh_derived();
        }
        changed
    }

    /// Reconciles directly with another list (full-state merge); returns whether it changed.
    pub fn merge(&mut self, other: &MembershipList) -> bool {
        let changed = self.list.merge(other);
        if changed {
            self.refresh_derived();
        }
        changed
    }

    /// The nodes on the ring by this view (status `Member` or `Leaving`), in node order.
    pub fn ring_members(&self) -> Vec<RingMember> {
        self.list.iter().filter(|e| e.status.on_ring()).map(|e| e.member).collect()
    }

    /// The ring this view implies: the nodes with status `Member` or `Leaving`, built as
    /// [`tokens_for`] describes (clockwise placement).
    pub fn ring_view(&self, strategy: PartitionStrategy, ring_seed: u64) -> Result<Ring, MembershipError> {
        tokens_for(&self.ring_members(), strategy, ring_seed)
    }
}

/// How every node turns a set of ring members into a ring: equal recipes and equal member sets
/// give equal rings, which is what lets views that agree route alike.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct RingRecipe {
    /// The partitioning strategy (§6.2).
    pub strategy: PartitionStrategy,
    /// The seed of the token streams.
    pub seed: u64,
    /// How preference lists are drawn from the ring.
    pub placement: PlacementPolicy,
    /// Preference lists up to this long are cached per start token in every ring built
    /// ([`Ring::with_list_cache`]); the model asks for at most the extended list, 2N
    /// ([`extended_len`](crate::node::extended_len)). 0 turns caching off. Never changes a list.
    pub list_cache: usize,
}

impl RingRecipe {
    /// The ring of `members` (any order; they are sorted by node id first).
    pub fn build(&self, members: &[RingMember]) -> Result<Ring, MembershipError> {
        let mut sorted = members.to_vec();
        sorted.sort_by_key(|m| m.node);
        sorted.dedup_by_key(|m| m.node);
        let ring = tokens_for(&sorted, self.strategy, self.seed)?.with_placement(self.placement);
        Ok(ring.with_list_cache(self.list_cache))
    }
}

/// The ring of `members` (in node order): deterministic in (members, `strategy`, `ring_seed`).
/// The lowest node id builds the ring from the stream `ring/<id>`, then the others join in
/// increasing id order, each drawing from its own stream `ring/<id>`. Under strategies 1 and 2
/// a node's tokens therefore depend only on the seed and its own id and capacity (a node picks
/// its tokens once, §4.8); under strategy 3 the deal is a function of the member set.
fn tokens_for(members: &[RingMember], strategy: PartitionStrategy, ring_seed: u64) -> Result<Ring, MembershipError> {
    if members.is_empty() {
        return Err(MembershipError::NoRingMembers);
    }
    let stream = |m: &RingMember| SimRng::stream(ring_seed, &format!("ring/{}", m.node.0));
    Ring::from_streams(members, strategy, stream).map_err(MembershipError::Ring)
}
