//! A node's membership view at work (§4.8): the [`Membership`] list it gossips with one random
//! peer every interval, the entries it persists, the operator commands it serves, and the ring
//! the view implies, rebuilt only when the set of ring members changes.
//!
//! A round opens with an 8-byte hash of the whole list. A peer whose list hashes alike answers
//! nothing, so a converged cluster of any size ships one small message per node per round; a
//! peer whose list differs starts the digest → delta/request exchange of `membership::gossip`,
//! which ships only the entries that differ.
//!
//! Persistence: every entry the view adopts (issued here or learned by gossip) is written as a
//! `StoreKey::Member(node)` record with the node's Lamport counter, so a restarted node resumes
//! with its view and never reissues a version. A wiped node starts from the static initial
//! members and learns the rest by gossip.
//!
//! An outage is not a leave: nothing here reacts to a node being unreachable. Only a `leave`
//! command changes the ring.

use crate::NodeId;
use crate::config::MembershipConfig;
use crate::counters::Counter;
use crate::membership::{Delta, Digest, ENTRY_BYTES, Membership, MembershipError, Persisted, Request, RingRecipe};
use crate::membership::{MembershipList, Status, Version};
use crate::msg::{AdminCommand, Host, Msg, StoreKey, StoreRecord, Timer};
use crate::ring::{KeyRange, Ring, RingMember};
use sim_core::{Ctx, SimDuration};
use std::collections::BTreeMap;
use std::sync::Arc;

/// A membership step this node takes for itself once its key transfers are done.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SelfStep {
    /// A joining node has received its ranges and becomes a ring member.
    Activate,
    /// A leaving node has handed its ranges off and is gone.
    Remove,
}

/// One node's membership view, its gossip and the ring it implies.
#[derive(Clone, Debug)]
pub struct View {
    enabled: bool,
    interval: SimDuration,
    membership: Membership,
    recipe: RingRecipe,
    ring: Arc<Ring>,
    /// The members `ring` was built from, in node order.
    ring_members: Vec<RingMember>,
    /// Per node, the version last written to disk.
    persisted: BTreeMap<NodeId, Version>,
    /// [`list_hash`] of the membership list, kept current.
    hash: u64,
    /// Rings with one more (joining) or one fewer (leaving) node, built on demand; cleared
    /// whenever `ring` changes.
    futures: BTreeMap<NodeId, Arc<Ring>>,
    /// Per node, its ranges on its future ring (with the `n` they were computed for); cleared
    /// with `futures`.
    future_ranges: BTreeMap<NodeId, (usize, Arc<[KeyRange]>)>,
}

impl View {
    /// The view at boot: the initial ring's members plus the entries this node persisted.
    ///
    /// `initial` must be `recipe.build(members)` of its own members, as the scenario assembler
    /// builds it; the gossip settings are validated with the Dynamo configuration.
    pub fn boot<P: Host>(
        ctx: &mut Ctx<'_, P>,
        cfg: &MembershipConfig,
        recipe: RingRecipe,
        initial: Arc<Ring>,
        records: &[Persisted],
    ) -> View {
        let mut members = initial.members().to_vec();
        members.sort_by_key(|m| m.node);
        let membership = Membership::restore(ctx.me(), cfg.gossip.clone(), &members, records)
            .expect("the gossip settings are validated with the configuration and the ring's members are valid");
        let interval = cfg.gossip.interval;
        if cfg.enabled {
            ctx.set_timer(interval, Timer::Gossip);
        }
        let persisted = records.iter().map(|r| (r.entry.node(), r.entry.version)).collect();
        let mut view = View {
            enabled: cfg.enabled,
            interval,
            membership,
            recipe,
            ring: initial,
            ring_members: members,
            persisted,
            hash: 0,
            futures: BTreeMap::new(),
            future_ranges: BTreeMap::new(),
        };
        view.hash = list_hash(view.membership.list());
        view.refresh_ring(ctx);
        view
    }

    /// The ring this node routes by.
    pub fn ring(&self) -> &Arc<Ring> {
        &self.ring
    }

    /// The membership list and gossip state.
    pub fn membership(&self) -> &Membership {
        &self.membership
    }

    /// The status this view records for `node`.
    pub fn status(&self, node: NodeId) -> Option<Status> {
        self.membership.entry(node).map(|e| e.status)
    }

    /// The 64-bit hash of this view's membership list (equal lists hash alike).
    pub fn list_hash(&self) -> u64 {
        self.hash
    }

    /// A gossip round: send this view's hash to one peer, and arm the next round.
    pub fn on_tick<P: Host>(&mut self, ctx: &mut Ctx<'_, P>) {
        ctx.count(Counter::GossipRounds);
        if let Some(peer) = self.membership.pick_peer(ctx.rng()) {
            ctx.send(peer, Msg::GossipHash(self.hash));
        }
        ctx.set_timer(self.interval, Timer::Gossip);
    }

    /// A peer opened a round with its list's hash: if the lists differ, start the digest
    /// exchange (this node sends its digest; the peer answers with what each side lacks).
    pub fn on_hash<P: Host>(&mut self, ctx: &mut Ctx<'_, P>, from: NodeId, hash: u64) {
        if hash == self.hash {
            ctx.count(Counter::GossipHashesMatched);
            return;
        }
        ctx.count(Counter::GossipHashesDiffered);
        ctx.send(from, Msg::GossipDigest(self.membership.list().digest()));
    }

    /// A peer's digest: answer with what it lacks and ask for what this view lacks.
    pub fn on_digest<P: Host>(&mut self, ctx: &mut Ctx<'_, P>, from: NodeId, digest: Digest) {
        let (delta, request) = self.membership.on_digest(from, digest);
        ctx.send(from, Msg::GossipReply { delta, request });
    }

    /// The answer to this node's digest; returns whether the ring changed.
    pub fn on_reply<P: Host>(&mut self, ctx: &mut Ctx<'_, P>, from: NodeId, delta: Delta, request: &Request) -> bool {
        if !request.is_empty() {
            let wanted = self.membership.on_request(request);
            ctx.send(from, Msg::GossipDelta(wanted));
        }
        self.on_delta(ctx, delta)
    }

    /// Entries from a peer; returns whether the ring changed.
    pub fn on_delta<P: Host>(&mut self, ctx: &mut Ctx<'_, P>, delta: Delta) -> bool {
        if crate::mutation::active(crate::mutation::Mutation::GossipDropsDeltas) {
            return false;
        }
        if !self.membership.on_delta(delta) {
            return false;
        }
        self.persist(ctx);
        self.refresh_ring(ctx)
    }

    /// Serves an operator command about this node; returns whether the ring changed.
    pub fn command<P: Host>(&mut self, ctx: &mut Ctx<'_, P>, cmd: AdminCommand) -> Result<bool, MembershipError> {
        let me = ctx.me();
        let now = ctx.now();
        let issued = match cmd {
            _ if !self.enabled => Err(MembershipError::Disabled),
            AdminCommand::Join(member) if member.node != me => {
                Err(MembershipError::WrongNode { about: member.node, at: me })
            }
            AdminCommand::Join(member) => {
                let mut members = self.ring_members.clone();
                members.push(member);
                self.recipe.build(&members)?;
                self.membership.join(member, now)
            }
            AdminCommand::Leave => {
                self.future_ring(me)?;
                self.membership.leave(me, now)
            }
        };
        self.served(ctx, issued)
    }

    /// Takes a step this node decided for itself; returns whether the ring changed.
    pub fn step<P: Host>(&mut self, ctx: &mut Ctx<'_, P>, step: SelfStep) -> Result<bool, MembershipError> {
        let (me, now) = (ctx.me(), ctx.now());
        let issued = match step {
            SelfStep::Activate => self.membership.activate(me, now),
            SelfStep::Remove => self.membership.remove(me, now),
        };
        self.served(ctx, issued)
    }

    fn served<P: Host>(
        &mut self,
        ctx: &mut Ctx<'_, P>,
        issued: Result<Persisted, MembershipError>,
    ) -> Result<bool, MembershipError> {
        match issued {
            Ok(_) => {
                ctx.count(Counter::MembershipCommands);
                self.persist(ctx);
                Ok(self.refresh_ring(ctx))
            }
            Err(e) => {
                ctx.count(Counter::MembershipCommandsRefused);
                Err(e)
            }
        }
    }

    /// The ring as it will be once `node` has finished joining (if it is not on the ring) or
    /// leaving (if it is). Built once per ring and node.
    pub fn future_ring(&mut self, node: NodeId) -> Result<Arc<Ring>, MembershipError> {
        if let Some(r) = self.futures.get(&node) {
            return Ok(r.clone());
        }
        let mut members = self.ring_members.clone();
        match members.iter().position(|m| m.node == node) {
            Some(i) => {
                members.remove(i);
            }
            None => {
                let e = self.membership.entry(node).ok_or(MembershipError::UnknownNode { node })?;
                members.push(e.member);
            }
        }
        let ring = Arc::new(self.recipe.build(&members)?);
        self.futures.insert(node, ring.clone());
        Ok(ring)
    }

    /// The key ranges `node` replicates (top `n`) on its [`future_ring`](Self::future_ring).
    /// Computed once per ring and node: a ring walk over every token is costly on big rings.
    pub fn future_ranges(&mut self, node: NodeId, n: usize) -> Result<Arc<[KeyRange]>, MembershipError> {
        if let Some((at, r)) = self.future_ranges.get(&node)
            && *at == n
        {
            return Ok(r.clone());
        }
        let ranges: Arc<[KeyRange]> = self.future_ring(node)?.ranges_of(node, n).into();
        self.future_ranges.insert(node, (n, ranges.clone()));
        Ok(ranges)
    }

    /// After the list changed: rehash it, and write every entry whose version changed since it
    /// was last written, then one fsync.
    fn persist<P: Host>(&mut self, ctx: &mut Ctx<'_, P>) {
        self.hash = list_hash(self.membership.list());
        let counter = self.membership.counter();
        let mut wrote = false;
        for e in self.membership.list().iter() {
            if self.persisted.get(&e.node()) == Some(&e.version) {
                continue;
            }
            let rec = StoreRecord::Member(Box::new(Persisted { counter, entry: *e }));
            if ctx.disk_write(StoreKey::Member(e.node()), rec, ENTRY_BYTES + 8).is_ok() {
                self.persisted.insert(e.node(), e.version);
                ctx.count(Counter::MembershipEntriesPersisted);
                wrote = true;
            }
        }
        if wrote {
            ctx.disk_fsync();
        }
    }

    /// Rebuilds the ring if the view's ring members changed; returns whether it did. A member
    /// set no ring can be built from (refused before a command is issued, so only reachable
    /// through a corrupt peer) keeps the current ring.
    fn refresh_ring<P: Host>(&mut self, ctx: &mut Ctx<'_, P>) -> bool {
        let members = self.membership.ring_members();
        if members == self.ring_members {
            return false;
        }
        let Ok(ring) = self.recipe.build(&members) else { return false };
        self.ring = Arc::new(ring);
        self.ring_members = members;
        self.futures.clear();
        self.future_ranges.clear();
        ctx.count(Counter::RingChanges);
        true
    }
}

/// A 64-bit hash of a membership list: every entry's node, version and status, folded with
/// a SplitMix64 finaliser (equal lists hash alike; different ones collide with probability
/// about 2^-64).
fn list_hash(list: &MembershipList) -> u64 {
    let mix = |mut z: u64| {
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    };
    let mut h = 0x9e37_79b9_7f4a_7c15_u64;
    for e in list.iter() {
        let v = e.version;
        for word in [u64::from(e.node().0), v.counter, v.issued_at.as_nanos(), u64::from(v.issuer.0), e.status as u64] {
            h = mix(h ^ word).wrapping_add(0x9e37_79b9_7f4a_7c15);
        }
    }
    h
}
