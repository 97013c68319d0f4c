//! The request state machines of §5: one per get or put, run by whoever coordinates (a storage
//! node, or a client library in client-driven mode).
//!
//! A get asks its targets for their versions, waits for R replies, reconciles them
//! syntactically and answers with every causally unrelated version plus a context; read repair
//! then pushes the reconciled set to replicas that answered stale (off, after a short wait, or
//! before answering). A put stamps the new version (locally when the coordinator is a replica),
//! sends it to its targets and succeeds at W acks, the local write counting as one. An
//! operation still short of its quorum at its deadline fails; every target that never answered
//! is then suspected by the coordinator's local failure detector.

use crate::NodeId;
use crate::config::{DynamoConfig, ReadRepair};
use crate::counters::Counter;
use crate::detector::Detector;
use crate::msg::{ClientOp, GetOk, Host, Key, ModelNote, Msg, OpError, OpId, ReqId, Timer};
use crate::quorum::Target;
use crate::stamp::Stamper;
use crate::storage::Storage;
use crate::version::{Context, Value, Versions, WriteId};
use sim_core::Ctx;
use std::collections::BTreeMap;

/// Who asked for an operation.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Origin {
    /// A client process, answered by message.
    Remote {
        /// The client.
        client: NodeId,
        /// Its request number.
        req: ReqId,
    },
    /// The client library running this coordinator, answered by a returned [`Completion`].
    Local {
        /// The request number.
        req: ReqId,
    },
}

/// A finished operation for a local origin.
#[derive(Clone, Debug, PartialEq)]
pub enum Completion {
    /// A get finished.
    Get {
        /// The request number.
        req: ReqId,
        /// The outcome.
        result: Result<GetOk, OpError>,
    },
    /// A put finished.
    Put {
        /// The request number.
        req: ReqId,
        /// The outcome.
        result: Result<(), OpError>,
    },
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Phase {
    /// Waiting for the quorum.
    Collecting,
    /// Blocking read repair: waiting for this many repair acks before answering.
    Repairing(u8),
    /// Answered (or failed); kept until the deadline to notice silent peers.
    Answered,
}

#[derive(Clone, Debug)]
struct Pending {
    origin: Origin,
    key: Key,
    is_get: bool,
    /// A put's write (`None` for a get).
    write: Option<WriteId>,
    needed: u8,
    got: u8,
    targets: Vec<Target>,
    /// Nodes that answered (deduplicated), with their versions for gets.
    replies: Vec<(NodeId, Versions)>,
    merged: Versions,
    fastest: Option<NodeId>,
    phase: Phase,
    repaired: bool,
}

impl Pending {
    fn answered_by(&self, node: NodeId) -> bool {
        self.replies.iter().any(|(n, _)| *n == node)
    }

    /// What a finished operation tells its origin, taking the reconciled versions.
    fn into_answer(self) -> Answer {
        Answer { origin: self.origin, is_get: self.is_get, merged: self.merged, fastest: self.fastest }
    }
}

/// What [`Coordinator::finish`] needs of an operation: its origin, and for a get the reconciled
/// versions and the fastest responder.
struct Answer {
    origin: Origin,
    is_get: bool,
    merged: Versions,
    fastest: Option<NodeId>,
}

/// The coordinator's operations in flight.
#[derive(Clone, Debug, Default)]
pub struct Coordinator {
    next_op: OpId,
    ops: BTreeMap<OpId, Pending>,
    /// A non-replica coordinator's record of the versions it stamped, per key, so its counters
    /// stay fresh (a replica coordinator uses its store instead).
    stamped: BTreeMap<Key, Versions>,
}

/// What a coordinator needs from its host besides the context.
pub struct Env<'a> {
    /// The settings.
    pub cfg: &'a DynamoConfig,
    /// The local store, when the coordinator is itself a replica that may read/write locally.
    pub local: Option<&'a mut Storage>,
    /// The local failure detector.
    pub detector: &'a mut Detector,
    /// The node's stamping epochs (`None` for a client library, which never stamps).
    pub stamper: Option<&'a mut Stamper>,
}

impl Coordinator {
    /// No operation in flight.
    pub fn new() -> Self {
        Coordinator { next_op: 1, ..Coordinator::default() }
    }

    /// Operations still tracked.
    pub fn in_flight(&self) -> usize {
        self.ops.len()
    }

    /// Starts a get or put for `origin` against `targets`. Returns a completion at once if the
    /// operation finishes immediately (a local quorum, or no target at all).
    pub fn start<P: Host>(
        &mut self,
        ctx: &mut Ctx<'_, P>,
        env: &mut Env<'_>,
        origin: Origin,
        op: ClientOp,
        targets: &[Target],
    ) -> Option<Completion> {
        let id = self.next_op;
        self.next_op += 1;
        let (is_get, key) = (matches!(op, ClientOp::Get { .. }), op.key());
        let write = match &op {
            ClientOp::Put { value, .. } => Some(value.write_id),
            ClientOp::Get { .. } => None,
        };
        let mut needed = if is_get { env.cfg.r } else { env.cfg.w } as u8;
        if is_get && crate::mutation::active(crate::mutation::Mutation::ReadQuorumMinusOne) {
            needed = needed.saturating_sub(1).max(1);
        }
        let pending = Pending {
            origin,
            key,
            is_get,
            write,
            needed,
            got: 0,
            targets: targets.to_vec(),
            replies: Vec::with_capacity(targets.len()),
            merged: Versions::new(),
            fastest: None,
            phase: Phase::Collecting,
            repaired: false,
        };
        if targets.len() < needed as usize {
            return self.finish(ctx, pending.into_answer(), Err(OpError::Unavailable));
        }
        ctx.set_timer(env.cfg.request_timeout, Timer::OpDeadline(id));
        self.ops.insert(id, pending);
        match op {
            ClientOp::Get { .. } => self.send_reads(ctx, env, id, key, targets),
            ClientOp::Put { context, value, .. } => self.send_writes(ctx, env, id, (key, targets), &context, value),
        }
    }

    fn local_target(env: &Env<'_>, me: NodeId, targets: &[Target]) -> Option<Target> {
        env.local.as_ref()?;
        targets.iter().copied().find(|t| t.node == me)
    }

    /// Sends operation `id`'s reads of `key` to `targets` (the operation's targets).
    fn send_reads<P: Host>(
        &mut self,
        ctx: &mut Ctx<'_, P>,
        env: &mut Env<'_>,
        id: OpId,
        key: Key,
        targets: &[Target],
    ) -> Option<Completion> {
        let local = Self::local_target(env, ctx.me(), targets);
        ctx.count_by(Counter::SubstituteReads, targets.iter().filter(|t| t.hint.is_some()).count() as u64);
        for t in targets.iter().filter(|t| Some(**t) != local) {
            ctx.send(t.node, Msg::ReplicaRead { op: id, key });
        }
        let me = ctx.me();
        let storage = env.local.as_deref_mut()?;
        local?;
        let mut versions = storage.read(ctx, key);
        versions.merge(&storage.hinted_versions(ctx, key));
        self.on_read_reply(ctx, env, me, id, versions)
    }

    /// Stamps operation `id`'s put of `key` and sends it to `targets` (the operation's targets).
    fn send_writes<P: Host>(
        &mut self,
        ctx: &mut Ctx<'_, P>,
        env: &mut Env<'_>,
        id: OpId,
        (key, targets): (Key, &[Target]),
        context: &Context,
        value: Value,
    ) -> Option<Completion> {
        let me = ctx.me();
        let local = Self::local_target(env, me, targets);
        let durable_writer = targets[id as usize % targets.len()].node;
        let buffered = env.cfg.storage.buffer.is_some();
        let now = ctx.now().0;
        let mode = env.cfg.versioning;
        if env.cfg.quorum_shape.narrows_writes()
            && let Some(storage) = env.local.as_deref_mut()
        {
            let mut basis = stamp_basis(ctx, storage, env.stamper.as_deref_mut(), key);
            let actor = env.stamper.as_deref().map_or(me, |st| st.main(key));
            let stamp_with = Stamp { mode, context, actor, now };
            let durable = buffered && durable_writer == me;
            let (update, local_ok) =
                self.stamp_apart(ctx, storage, (key, local), &mut basis, stamp_with, value, durable);
            return self.send_replica_writes(ctx, env, id, (key, targets, local), update, local_ok);
        }
        let (update, local_ok) = match (local, env.local.as_deref_mut()) {
            (Some(t), Some(storage)) => {
                // Stamp from everything this node holds for the key (main store and hints).
                let mut stored = stamp_basis(ctx, storage, env.stamper.as_deref_mut(), key);
                let actor = match (t.hint, env.stamper.as_deref_mut()) {
                    (Some(_), Some(st)) => st.substitute(ctx, key),
                    (None, Some(st)) => st.main(key),
                    (_, None) => me,
                };
                let update = stamp(ctx, key, &mut stored, Stamp { mode, context, actor, now }, value);
                let durable = buffered && durable_writer == me;
                let ok = match t.hint {
                    Some(intended) => {
                        ctx.count(Counter::HintedWrites);
                        storage.store_hint(ctx, intended, key, &update).is_ok()
                    }
                    None => storage.store(ctx, key, &stored, durable).is_ok(),
                };
                (update, ok)
            }
            (None, Some(storage)) => {
                // A replica-mode coordinator outside the key's targets (a forward reached it
                // while its view and the forwarder's disagree about the ring). Its counters come
                // from its own store, so what it stamps is kept there too (not as a replica).
                let mut stored = stamp_basis(ctx, storage, env.stamper.as_deref_mut(), key);
                let actor = env.stamper.as_deref().map_or(me, |st| st.main(key));
                let update = stamp(ctx, key, &mut stored, Stamp { mode, context, actor, now }, value);
                let _ = storage.store(ctx, key, &stored, false);
                (update, false)
            }
            (_, None) => {
                let actor = env.stamper.as_deref().map_or(me, |st| st.main(key));
                let stamped = self.stamped.entry(key).or_default();
                (stamp(ctx, key, stamped, Stamp { mode, context, actor, now }, value), false)
            }
        };
        self.send_replica_writes(ctx, env, id, (key, targets, local), update, local_ok)
    }

    /// Sends the stamped `update` of operation `id` to every target but the local one, and
    /// counts the local write (`local_ok`) as its first ack.
    fn send_replica_writes<P: Host>(
        &mut self,
        ctx: &mut Ctx<'_, P>,
        env: &mut Env<'_>,
        id: OpId,
        (key, targets, local): (Key, &[Target], Option<Target>),
        update: Versions,
        local_ok: bool,
    ) -> Option<Completion> {
        let buffered = env.cfg.storage.buffer.is_some();
        let durable_writer = targets[id as usize % targets.len()].node;
        for t in targets.iter().filter(|t| Some(**t) != local) {
            if t.hint.is_some() {
                ctx.count(Counter::HintedWrites);
            }
            let durable = buffered && t.node == durable_writer;
            let msg = Msg::ReplicaWrite { op: id, key, versions: update.clone(), hint: t.hint, durable };
            ctx.send(t.node, msg);
        }
        if let Some(p) = self.ops.get_mut(&id) {
            p.merged = update;
        }
        let me = ctx.me();
        if local_ok { self.on_write_ack(ctx, env, me, id, true) } else { None }
    }

    /// Static quorums at a replica coordinator: the put's W replicas were chosen without regard
    /// to the coordinator, so it stamps over everything it holds for the key (`basis`) *and*
    /// everything it stamped before (kept in `stamped`, as a proxy does), which keeps its
    /// counters fresh whether or not it was chosen, and stores the new version locally only
    /// when it is one of the chosen (`local`; `durable` when it is the put's durable writer).
    /// Returns the update and whether the local write succeeded.
    #[allow(clippy::too_many_arguments)]
    fn stamp_apart<P: Host>(
        &mut self,
        ctx: &mut Ctx<'_, P>,
        storage: &mut Storage,
        (key, local): (Key, Option<Target>),
        basis: &mut Versions,
        how: Stamp<'_>,
        value: Value,
        durable: bool,
    ) -> (Versions, bool) {
        let stamped = self.stamped.entry(key).or_default();
        basis.merge(stamped);
        let update = stamp(ctx, key, basis, how, value);
        *stamped = std::mem::take(basis);
        let Some(t) = local else { return (update, false) };
        let ok = match t.hint {
            Some(intended) => {
                ctx.count(Counter::HintedWrites);
                storage.store_hint(ctx, intended, key, &update).is_ok()
            }
            None => storage.apply(ctx, key, &update, durable).is_ok(),
        };
        (update, ok)
    }

    /// A replica's versions arrived.
    pub fn on_read_reply<P: Host>(
        &mut self,
        ctx: &mut Ctx<'_, P>,
        env: &mut Env<'_>,
        from: NodeId,
        id: OpId,
        versions: Versions,
    ) -> Option<Completion> {
        let p = self.ops.get_mut(&id)?;
        if !p.is_get || p.answered_by(from) {
            return None;
        }
        p.merged.merge(&versions);
        p.replies.push((from, versions));
        p.fastest.get_or_insert(from);
        if p.phase != Phase::Collecting {
            return None;
        }
        p.got += 1;
        if p.got < p.needed {
            return None;
        }
        match env.cfg.read_repair {
            ReadRepair::Off => self.answer(ctx, id),
            ReadRepair::Async { wait } => {
                ctx.set_timer(wait, Timer::ReadRepair(id));
                self.answer(ctx, id)
            }
            ReadRepair::Blocking => {
                let sent = self.repair(ctx, env, id);
                match self.ops.get_mut(&id) {
                    Some(p) if sent > 0 => {
                        p.phase = Phase::Repairing(sent);
                        None
                    }
                    _ => self.answer(ctx, id),
                }
            }
        }
    }

    /// A replica acknowledged (or refused) a write.
    pub fn on_write_ack<P: Host>(
        &mut self,
        ctx: &mut Ctx<'_, P>,
        _env: &mut Env<'_>,
        from: NodeId,
        id: OpId,
        ok: bool,
    ) -> Option<Completion> {
        let p = self.ops.get_mut(&id)?;
        if p.is_get {
            // An ack of a blocking read repair.
            if let Phase::Repairing(left) = p.phase {
                p.phase = Phase::Repairing(left.saturating_sub(1));
                if left <= 1 {
                    return self.answer(ctx, id);
                }
            }
            return None;
        }
        if p.answered_by(from) {
            return None;
        }
        p.replies.push((from, Versions::new()));
        let refused_counts = crate::mutation::active(crate::mutation::Mutation::RefusedWriteCountsAsAck);
        if (!ok && !refused_counts) || p.phase != Phase::Collecting {
            return None;
        }
        let twice = from == ctx.me() && crate::mutation::active(crate::mutation::Mutation::PutCountsOwnWriteTwice);
        p.got += 1 + u8::from(twice);
        if p.got >= p.needed { self.answer(ctx, id) } else { None }
    }

    /// The operation's deadline: fail it if it is still short of its quorum (a blocking repair
    /// that is still waiting answers with what it has), finish any pending async repair, and
    /// suspect every target that never answered.
    pub fn on_deadline<P: Host>(&mut self, ctx: &mut Ctx<'_, P>, env: &mut Env<'_>, id: OpId) -> Option<Completion> {
        let p = self.ops.get(&id)?;
        let now = ctx.now();
        for t in &p.targets {
            if !p.answered_by(t.node) && t.node != ctx.me() {
                env.detector.suspect(t.node, now);
            }
        }
        let done = match p.phase {
            Phase::Collecting => {
                let err = OpError::Timeout { got: p.got, needed: p.needed };
                let p = self.ops.remove(&id)?;
                return self.finish(ctx, p.into_answer(), Err(err));
            }
            Phase::Repairing(_) => self.answer(ctx, id),
            Phase::Answered => None,
        };
        if matches!(env.cfg.read_repair, ReadRepair::Async { .. }) {
            self.on_repair_timer(ctx, env, id);
        }
        self.ops.remove(&id);
        done
    }

    /// Async read repair: late replies have had their chance.
    pub fn on_repair_timer<P: Host>(&mut self, ctx: &mut Ctx<'_, P>, env: &mut Env<'_>, id: OpId) {
        if self.ops.get(&id).is_some_and(|p| !p.repaired) {
            self.repair(ctx, env, id);
        }
    }

    /// Pushes the reconciled set to every responder whose reply it covers strictly; returns how
    /// many repair writes were sent to other nodes.
    fn repair<P: Host>(&mut self, ctx: &mut Ctx<'_, P>, env: &mut Env<'_>, id: OpId) -> u8 {
        let Some(p) = self.ops.get_mut(&id) else { return 0 };
        p.repaired = true;
        let mut sent = 0;
        for (node, theirs) in &p.replies {
            if theirs.covers(&p.merged) {
                continue;
            }
            let hint = p.targets.iter().find(|t| t.node == *node).and_then(|t| t.hint);
            ctx.count(Counter::ReadRepairs);
            let pushed = if crate::mutation::active(crate::mutation::Mutation::ReadRepairPushesStale) {
                &p.replies[0].1
            } else {
                &p.merged
            };
            // (told, in place): whether to tell the observer, and whether it was stored here.
            let (told, in_place) = if *node == ctx.me()
                && let Some(storage) = env.local.as_deref_mut()
            {
                // The coordinator itself was stale: repair its own copy now.
                let stored = match hint {
                    Some(intended) => storage.store_hint(ctx, intended, p.key, pushed),
                    None => storage.apply(ctx, p.key, pushed, false).map(|_| ()),
                };
                (stored.is_ok(), true)
            } else {
                let msg = Msg::ReplicaWrite { op: id, key: p.key, versions: pushed.clone(), hint, durable: false };
                ctx.send(*node, msg);
                sent += 1;
                (true, false)
            };
            if told {
                let (key, target, versions) = (p.key, *node, p.merged.clone());
                crate::msg::note(ctx, ModelNote::Repair { key, target, in_place, op: id, versions });
            }
        }
        sent
    }

    /// Answers the operation's origin with success; the operation stays tracked until its
    /// deadline so silent peers are still noticed.
    fn answer<P: Host>(&mut self, ctx: &mut Ctx<'_, P>, id: OpId) -> Option<Completion> {
        let p = self.ops.get_mut(&id)?;
        p.phase = Phase::Answered;
        tell_answer(ctx, p);
        // The operation stays tracked: copy out only what the answer carries (a put's answer
        // carries no versions).
        let merged = if p.is_get { p.merged.clone() } else { Versions::new() };
        let answer = Answer { origin: p.origin, is_get: p.is_get, merged, fastest: p.fastest };
        if p.is_get && ctx.observed() {
            let (client, req) = match p.origin {
                Origin::Remote { client, req } => (client, req),
                Origin::Local { req } => (ctx.me(), req),
            };
            let replies = p.replies.clone();
            ctx.note(ModelNote::ReadAnswered { key: p.key, client, req, replies }.into());
        }
        self.finish(ctx, answer, Ok(()))
    }

    /// Counts the outcome and delivers it: by message to a remote client, or returned.
    fn finish<P: Host>(&mut self, ctx: &mut Ctx<'_, P>, p: Answer, outcome: Result<(), OpError>) -> Option<Completion> {
        ctx.count(match (p.is_get, outcome.is_ok()) {
            (true, true) => Counter::GetsOk,
            (true, false) => Counter::GetsFailed,
            (false, true) => Counter::PutsOk,
            (false, false) => Counter::PutsFailed,
        });
        let (req, client) = match p.origin {
            Origin::Remote { client, req } => (req, Some(client)),
            Origin::Local { req } => (req, None),
        };
        let completion = if p.is_get {
            let result = outcome.map(|()| {
                let context = p.merged.context();
                GetOk { versions: p.merged, context, fastest: p.fastest }
            });
            Completion::Get { req, result }
        } else {
            Completion::Put { req, result: outcome }
        };
        match client {
            Some(client) => {
                ctx.send(client, completion.into_msg());
                None
            }
            None => Some(completion),
        }
    }
}

/// Everything a replica coordinator holds for `key` (main store and hints), the basis a put
/// is stamped over. If reading it found a record lost, the key's actors are replaced first
/// (`stamp.rs`): the node's memory of what it stamped has a hole.
fn stamp_basis<P: Host>(
    ctx: &mut Ctx<'_, P>,
    storage: &mut Storage,
    stamper: Option<&mut Stamper>,
    key: Key,
) -> Versions {
    let mut held = storage.read(ctx, key);
    held.merge(&storage.hinted_versions(ctx, key));
    if let Some(st) = stamper {
        st.absorb_losses(ctx, storage);
    }
    held
}

/// Tells the observer what a successful answer rests on: a put's acknowledged write, or a get's
/// responders and what it returns.
fn tell_answer<P: Host>(ctx: &mut Ctx<'_, P>, p: &Pending) {
    if !ctx.observed() {
        return;
    }
    if let Some(write) = p.write {
        crate::msg::note(ctx, ModelNote::PutAnswered { key: p.key, write });
        return;
    }
    for (node, versions) in &p.replies {
        crate::msg::note(ctx, ModelNote::Responder { key: p.key, node: *node, versions: versions.clone() });
    }
    crate::msg::note(ctx, ModelNote::GetAnswered { key: p.key, versions: p.merged.clone() });
}

/// Creates the new version of a put, or — when the same write was already stamped here (a
/// retried or re-forwarded request) — re-sends what is held instead of stamping it twice.
/// Stamps `value` as the new version of `key` over `stored` (see
/// [`Versions::coordinate_put`]) and tells the observer, unless `stored` already holds the
/// write (a re-forwarded put), which is re-sent as it is.
fn stamp<P: Host>(ctx: &mut Ctx<'_, P>, key: Key, stored: &mut Versions, how: Stamp<'_>, value: Value) -> Versions {
    if stored.siblings().iter().any(|s| s.write_id() == value.write_id) {
        return stored.clone();
    }
    let (write, told) = (value.write_id, ctx.observed().then(|| value.clone()));
    let update = stored.coordinate_put(how.mode, how.context, how.actor, how.now, value);
    if let Some(value) = told {
        let stamp = update.siblings().iter().find(|s| s.write_id() == write).and_then(|s| s.stamp());
        crate::msg::note(ctx, ModelNote::Stamped { key, value, stamp });
    }
    update
}

/// How a put is stamped: the versioning mode, the client's context, the stamping actor and
/// its local time.
#[derive(Clone, Copy)]
struct Stamp<'a> {
    mode: crate::version::VersioningMode,
    context: &'a Context,
    actor: NodeId,
    now: u64,
}

impl Completion {
    /// A failed get (`is_get`) or put.
    pub fn failed(req: ReqId, is_get: bool, err: OpError) -> Completion {
        if is_get { Completion::Get { req, result: Err(err) } } else { Completion::Put { req, result: Err(err) } }
    }

    /// The reply message carrying this completion.
    pub fn into_msg(self) -> Msg {
        match self {
            Completion::Get { req, result } => Msg::GetReply { req, result },
            Completion::Put { req, result } => Msg::PutReply { req, result },
        }
    }
}
