//! The wire: every message, timer and disk record of the Dynamo model, and the `Host` bound
//! that lets a node or client run inside any sim-core process type built on them.
//!
//! One message enum and one timer enum (an exhaustive `match` makes a new kind a compile error
//! wherever it matters). Sizes are estimates of an encoded form, for byte counters.

use crate::NodeId;
use crate::counters::Counter;
use crate::membership::{Delta, Digest, ENTRY_BYTES, Persisted, Request};
use crate::merkle;
use crate::ring::{KeyRange, RingMember};
use crate::version::{Context, Value, Versions};
use sim_core::{Message, Process};

/// An application key.
pub type Key = u64;

/// A client's request number, unique per client.
pub type ReqId = u64;

/// A coordinator's operation number, unique per coordinator incarnation.
pub type OpId = u64;

/// Why an operation failed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OpError {
    /// Too few replicas answered before the deadline.
    Timeout {
        /// Replies (or acks, the local write included) received.
        got: u8,
        /// Replies needed.
        needed: u8,
    },
    /// No replica could even be asked (every candidate is believed down).
    Unavailable,
    /// The client gave up waiting for its coordinator.
    ClientTimeout,
}

/// A successful get: every causally unrelated version, the context to write back with, and the
/// replica that answered first (the write coordinator for a follow-up put, §5).
#[derive(Clone, Debug, PartialEq)]
pub struct GetOk {
    /// The siblings.
    pub versions: Versions,
    /// The causal context summarising them.
    pub context: Context,
    /// The fastest responder to this read.
    pub fastest: Option<NodeId>,
}

/// A client operation as sent to (or forwarded between) coordinators.
#[derive(Clone, Debug, PartialEq)]
pub enum ClientOp {
    /// Read a key.
    Get {
        /// The key.
        key: Key,
    },
    /// Write a key with the context of an earlier read (empty for a blind write).
    Put {
        /// The key.
        key: Key,
        /// The causal context.
        context: Context,
        /// The new value (or tombstone).
        value: Value,
    },
}

impl ClientOp {
    /// The key the operation concerns.
    pub fn key(&self) -> Key {
        match self {
            ClientOp::Get { key } | ClientOp::Put { key, .. } => *key,
        }
    }
}

/// Every message of the Dynamo model.
#[derive(Clone, Debug, PartialEq)]
pub enum Msg {
    /// Client → coordinator (or node → node when forwarded): run this operation and answer
    /// `client`.
    Request {
        /// Who gets the answer.
        client: NodeId,
        /// The client's request number.
        req: ReqId,
        /// The operation.
        op: ClientOp,
        /// Hops so far (a forwarded request is not forwarded again).
        hops: u8,
    },
    /// Coordinator → client: a get's answer.
    GetReply {
        /// The client's request number.
        req: ReqId,
        /// The outcome.
        result: Result<GetOk, OpError>,
    },
    /// Coordinator → client: a put's answer.
    PutReply {
        /// The client's request number.
        req: ReqId,
        /// The outcome.
        result: Result<(), OpError>,
    },
    /// Coordinator → replica: send me your versions of `key`.
    ReplicaRead {
        /// The coordinator's operation number.
        op: OpId,
        /// The key.
        key: Key,
    },
    /// Replica → coordinator: my versions of `key` (empty if I have none or mine were corrupt).
    ReplicaReadReply {
        /// The operation number.
        op: OpId,
        /// The key.
        key: Key,
        /// The replica's siblings.
        versions: Versions,
    },
    /// Coordinator → replica: merge these versions of `key`.
    ReplicaWrite {
        /// The operation number (0 for read repair and handoff, which need no quorum).
        op: OpId,
        /// The key.
        key: Key,
        /// What to merge.
        versions: Versions,
        /// Set when the receiver stands in for this node (a hinted replica, §4.6).
        hint: Option<NodeId>,
        /// Write durably even under buffered writes (the §6.1 durable writer).
        durable: bool,
    },
    /// Replica → coordinator: the write was (or was not) stored.
    ReplicaWriteAck {
        /// The operation number.
        op: OpId,
        /// The key.
        key: Key,
        /// False when the disk refused it (EIO, full) or the hint store is full.
        ok: bool,
    },
    /// Failure detector probe of a peer believed down.
    Ping,
    /// Answer to a probe.
    Pong,
    /// Hint holder → intended node: the replica you missed.
    Handoff {
        /// The key.
        key: Key,
        /// The hinted versions.
        versions: Versions,
    },
    /// Intended node → hint holder: stored; you may delete the hint.
    HandoffAck {
        /// The key.
        key: Key,
        /// Whether it was stored.
        ok: bool,
    },
    /// Client-driven client → node: send me your membership view.
    MembershipPoll,
    /// Node → client-driven client: the ring members of this node's view, in node order.
    MembershipSnapshot {
        /// The nodes with status `Member` or `Leaving`.
        members: Vec<RingMember>,
    },
    /// Operator → node: a membership command about this node (§4.8: issued to one node, which
    /// persists it; gossip spreads it).
    Admin(AdminCommand),
    /// Gossip round opener → peer: a hash of the opener's whole membership list. A peer whose
    /// list hashes alike is done (a converged round costs this one message); otherwise it
    /// starts the digest exchange with a `GossipDigest`.
    GossipHash(u64),
    /// Gossip initiator → peer: the version of every entry the initiator's view holds.
    GossipDigest(Digest),
    /// Gossip peer → initiator: the entries the initiator lacks or holds older, and the nodes
    /// whose entries the peer wants.
    GossipReply {
        /// Entries for the initiator.
        delta: Delta,
        /// Entries the peer wants.
        request: Request,
    },
    /// Gossip initiator → peer: the entries the peer asked for.
    GossipDelta(Delta),
    /// Holder → receiver: I can send you my keys of `range` (§4.9; a join's current holders,
    /// or a leaving node, offer; the receiver confirms one sender per range).
    TransferOffer {
        /// The key range.
        range: KeyRange,
    },
    /// Receiver → holder: the confirmation round's answer to an offer.
    TransferAnswer {
        /// The key range.
        range: KeyRange,
        /// Accept, or why not.
        answer: TransferAnswer,
    },
    /// Holder → receiver: one batch of the range's keys (one batch in flight per transfer).
    TransferBatch {
        /// The key range.
        range: KeyRange,
        /// The batch number, from 0.
        seq: u32,
        /// The holder's versions, per key.
        items: Vec<(Key, Versions)>,
        /// Whether this is the range's last batch.
        last: bool,
    },
    /// Receiver → holder: the batch is stored.
    TransferAck {
        /// The key range.
        range: KeyRange,
        /// The batch number.
        seq: u32,
    },
    /// Anti-entropy initiator → another replica of `range`: answer this step of a Merkle
    /// exchange (§4.7) from your tree of the range.
    MerkleRequest {
        /// The initiator's exchange number.
        session: u64,
        /// The key range, identified by its bounds (both sides derive it from the ring).
        range: KeyRange,
        /// Node hashes or leaf buckets wanted.
        request: merkle::Request,
    },
    /// Replica → anti-entropy initiator: the answer to a `MerkleRequest`.
    MerkleReply {
        /// The exchange number.
        session: u64,
        /// The key range.
        range: KeyRange,
        /// The hashes or buckets; `None` when this node keeps no tree for the range or the
        /// request does not fit its tree.
        reply: Option<merkle::Reply>,
    },
    /// Initiator → replica: the keys the exchange found to differ. Merge `push` (the
    /// initiator's versions of the differing keys it holds) and send back your versions of the
    /// `want` keys that the push does not already cover.
    KeyExchange {
        /// The exchange number.
        session: u64,
        /// The key range.
        range: KeyRange,
        /// The initiator's versions, per key.
        push: Vec<(Key, Versions)>,
        /// Keys the replica holds and the initiator may lack or hold stale.
        want: Vec<Key>,
    },
    /// Replica → initiator: its versions of the wanted keys that the initiator lacks.
    KeyExchangeReply {
        /// The exchange number.
        session: u64,
        /// The key range.
        range: KeyRange,
        /// The replica's versions, per key (possibly none: then this is the exchange's ack).
        versions: Vec<(Key, Versions)>,
    },
}

impl Msg {
    const HEADER: u32 = 32;
}

/// A membership command for the node that receives it.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum AdminCommand {
    /// Join the ring with this placement record.
    Join(RingMember),
    /// Leave the ring, handing the node's ranges off first.
    Leave,
}

/// A receiver's answer to a transfer offer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TransferAnswer {
    /// Send it: this holder is the range's one confirmed sender.
    Accept,
    /// Another holder is sending it; offer again later if that one goes quiet.
    Busy,
    /// Already received (or no longer wanted): nothing to send.
    Done,
}

fn versions_bytes(v: &Versions) -> u32 {
    let clocks: usize = v.siblings().iter().map(|s| s.clock_len() * 24).sum();
    (v.payload_bytes() as usize + clocks + 8 * v.len()).min(u32::MAX as usize) as u32
}

fn context_bytes(c: &Context) -> u32 {
    (c.clock().len() * 24).min(u32::MAX as usize) as u32
}

/// A range's two bounds plus an exchange number.
const RANGE_SESSION_BYTES: u64 = 32 + 8;

fn keyed_versions_bytes(kv: &[(Key, Versions)]) -> u64 {
    kv.iter().map(|(_, v)| 8 + u64::from(versions_bytes(v))).sum()
}

fn merkle_request_bytes(r: &merkle::Request) -> u64 {
    match r {
        merkle::Request::Hashes { indices, .. } => 2 + merkle::INDEX_BYTES * indices.len() as u64,
        merkle::Request::Buckets { leaves, .. } => 1 + merkle::INDEX_BYTES * leaves.len() as u64,
    }
}

fn merkle_reply_bytes(r: &Option<merkle::Reply>) -> u64 {
    match r {
        None => 1,
        Some(merkle::Reply::Hashes(h)) => merkle::HASH_BYTES * h.len() as u64,
        Some(merkle::Reply::Buckets(b)) => {
            b.iter().map(|b| merkle::INDEX_BYTES + merkle::ENTRY_BYTES * b.entries.len() as u64).sum()
        }
    }
}

impl Message for Msg {
    const KINDS: &'static [&'static str] = &[
        "request",
        "get_reply",
        "put_reply",
        "replica_read",
        "replica_read_reply",
        "replica_write",
        "replica_write_ack",
        "ping",
        "pong",
        "handoff",
        "handoff_ack",
        "membership_poll",
        "membership_snapshot",
        "merkle_request",
        "merkle_reply",
        "key_exchange",
        "key_exchange_reply",
        "admin",
        "gossip_digest",
        "gossip_reply",
        "gossip_delta",
        "transfer_offer",
        "transfer_answer",
        "transfer_batch",
        "transfer_ack",
        "gossip_hash",
    ];

    fn kind(&self) -> usize {
        match self {
            Msg::Request { .. } => 0,
            Msg::GetReply { .. } => 1,
            Msg::PutReply { .. } => 2,
            Msg::ReplicaRead { .. } => 3,
            Msg::ReplicaReadReply { .. } => 4,
            Msg::ReplicaWrite { .. } => 5,
            Msg::ReplicaWriteAck { .. } => 6,
            Msg::Ping => 7,
            Msg::Pong => 8,
            Msg::Handoff { .. } => 9,
            Msg::HandoffAck { .. } => 10,
            Msg::MembershipPoll => 11,
            Msg::MembershipSnapshot { .. } => 12,
            Msg::MerkleRequest { .. } => 13,
            Msg::MerkleReply { .. } => 14,
            Msg::KeyExchange { .. } => 15,
            Msg::KeyExchangeReply { .. } => 16,
            Msg::Admin(_) => 17,
            Msg::GossipDigest(_) => 18,
            Msg::GossipReply { .. } => 19,
            Msg::GossipDelta(_) => 20,
            Msg::TransferOffer { .. } => 21,
            Msg::TransferAnswer { .. } => 22,
            Msg::TransferBatch { .. } => 23,
            Msg::TransferAck { .. } => 24,
            Msg::GossipHash(_) => 25,
        }
    }

    fn size_bytes(&self) -> u32 {
        Msg::HEADER
            + match self {
                Msg::Request { op: ClientOp::Put { context, value, .. }, .. } => {
                    clamp(u64::from(context_bytes(context)) + u64::from(value.size_bytes))
                }
                Msg::GetReply { result: Ok(ok), .. } => {
                    clamp(u64::from(versions_bytes(&ok.versions)) + u64::from(context_bytes(&ok.context)))
                }
                Msg::ReplicaReadReply { versions, .. }
                | Msg::ReplicaWrite { versions, .. }
                | Msg::Handoff { versions, .. } => clamp(u64::from(versions_bytes(versions))),
                Msg::MerkleRequest { request, .. } => clamp(RANGE_SESSION_BYTES + merkle_request_bytes(request)),
                Msg::MerkleReply { reply, .. } => clamp(RANGE_SESSION_BYTES + merkle_reply_bytes(reply)),
                Msg::KeyExchange { push, want, .. } => {
                    clamp(RANGE_SESSION_BYTES + keyed_versions_bytes(push) + 8 * want.len() as u64)
                }
                Msg::KeyExchangeReply { versions, .. } => clamp(RANGE_SESSION_BYTES + keyed_versions_bytes(versions)),
                Msg::MembershipSnapshot { members } => clamp(ENTRY_BYTES * members.len() as u64),
                Msg::GossipHash(_) => 8,
                Msg::GossipDigest(d) => clamp(d.size_bytes()),
                Msg::GossipReply { delta, request } => clamp(delta.size_bytes() + request.size_bytes()),
                Msg::GossipDelta(d) => clamp(d.size_bytes()),
                Msg::TransferBatch { items, .. } => clamp(RANGE_SESSION_BYTES + keyed_versions_bytes(items)),
                Msg::TransferOffer { .. } | Msg::TransferAnswer { .. } | Msg::TransferAck { .. } => {
                    clamp(RANGE_SESSION_BYTES)
                }
                _ => 0,
            }
    }

    fn trace_key(&self) -> Option<u64> {
        match self {
            Msg::Request { op, .. } => Some(op.key()),
            Msg::ReplicaRead { key, .. }
            | Msg::ReplicaReadReply { key, .. }
            | Msg::ReplicaWrite { key, .. }
            | Msg::ReplicaWriteAck { key, .. }
            | Msg::Handoff { key, .. }
            | Msg::HandoffAck { key, .. } => Some(*key),
            _ => None,
        }
    }
}

/// Every timer of the Dynamo model, plus an opaque one for the application driving a client.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Timer {
    /// A coordinator's deadline for an operation.
    OpDeadline(OpId),
    /// Async read repair: late replies have had their chance; repair now.
    ReadRepair(OpId),
    /// A forwarded request's coordinator has not confirmed: suspect it and route again.
    PeerCheck {
        /// The forward's number.
        op: OpId,
        /// The peer.
        peer: NodeId,
    },
    /// Probe the peers believed down.
    Probe,
    /// Scan the hint store.
    HintScan,
    /// Flush the object buffer.
    Flush,
    /// A client's deadline for a request.
    ClientDeadline(ReqId),
    /// A client-driven client refreshes its membership snapshot.
    MembershipPoll,
    /// A node's membership round: gossip with one peer, then drive key transfers.
    Gossip,
    /// Start the next anti-entropy exchange (or ask admission control again).
    AntiEntropy,
    /// An anti-entropy exchange step went unanswered: send it again or give up.
    AntiEntropyRetry {
        /// The exchange number.
        session: u64,
    },
    /// The application's own timer (workload arrivals, probes...).
    App(u64),
}

/// A record's key on a node's disk.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum StoreKey {
    /// A key's versions in the main store.
    Data(Key),
    /// A hinted replica held for another node (the separate hint store of §4.6).
    Hint {
        /// The key.
        key: Key,
        /// The node it belongs to.
        intended: NodeId,
    },
    /// The node's version-stamping epochs (see `stamp.rs`).
    Epochs,
    /// The node's own actors for one key, where they differ from the defaults (see `stamp.rs`).
    KeyActors(Key),
    /// The node's membership entry for one node (see `view.rs`).
    Member(NodeId),
}

/// A record on a node's disk.
#[derive(Clone, Debug, PartialEq)]
pub enum StoreRecord {
    /// A key's versions (main store or hint store).
    Versions(Versions),
    /// The node's stamping epochs: its primary epoch and the next substitute epoch.
    Epochs {
        /// The epoch of the actor the node stamps with as a top-N replica.
        primary: u32,
        /// The epoch the next fresh substitute actor will use.
        next_substitute: u32,
    },
    /// A key's own actors (see `stamp.rs`).
    KeyActors(crate::stamp::KeyActors),
    /// A membership entry and the node's Lamport counter when it was written (boxed: a disk
    /// holds a record per key, and the common one, `Versions`, is a pointer).
    Member(Box<Persisted>),
}

/// What a node or client library tells an observer (measurement) about state the world cannot
/// see. Notes never change the run.
#[derive(Clone, Debug, PartialEq)]
pub enum ModelNote {
    /// The object buffer's entry for `key` changed: stored, replaced, or flushed away (read
    /// the node's [`crate::storage::Storage::buffered`] for what it holds now).
    Buffered {
        /// The key.
        key: Key,
    },
    /// A coordinator stamped a client's put of `key`: `value` is the new version's value. A
    /// put re-forwarded to a second coordinator is stamped twice. Told after the stamp, so
    /// `stamp` is the new version's LWW stamp in LWW mode.
    Stamped {
        /// The key.
        key: Key,
        /// The value stamped.
        value: Value,
        /// The new version's stamp (LWW mode only).
        stamp: Option<crate::version::LwwStamp>,
    },
    /// A coordinator acknowledged a put of `key` to its client: it counted W acks for `write`.
    PutAnswered {
        /// The key.
        key: Key,
        /// The write acknowledged.
        write: crate::version::WriteId,
    },
    /// One responder of the get the next [`ModelNote::GetAnswered`] of this event answers:
    /// `node` replied with `versions`. Told once per responder, just before the answer.
    Responder {
        /// The key.
        key: Key,
        /// The responder.
        node: NodeId,
        /// What it replied.
        versions: Versions,
    },
    /// A coordinator answered a get of `key` with `versions`, reconciled from the
    /// [`ModelNote::Responder`]s told just before.
    GetAnswered {
        /// The key.
        key: Key,
        /// The reconciled versions returned.
        versions: Versions,
    },
    /// Read repair of get `op` pushed `key`'s reconciled `versions` to `target`: by a replica
    /// write, or in place when `in_place` (the coordinator's own stale copy, told only once
    /// stored).
    Repair {
        /// The key.
        key: Key,
        /// The replica repaired.
        target: NodeId,
        /// The coordinator repaired its own store directly (no replica write follows).
        in_place: bool,
        /// The get, numbered by its coordinator.
        op: OpId,
        /// The reconciled versions the repair must leave at `target`.
        versions: Versions,
    },
    /// A replica stored the replica write `op` of `coordinator` for `key` (a put's or a read
    /// repair's), in its main store or, with `hint`, as a hint for that node.
    ReplicaStored {
        /// The key.
        key: Key,
        /// The node that sent the write.
        coordinator: NodeId,
        /// The operation, numbered by `coordinator`.
        op: OpId,
        /// The intended node, when stored as a hint for another node.
        hint: Option<NodeId>,
    },
    /// A coordinator answered a get of `key` for request `req` of client process `client`:
    /// `replies` are the replicas that had answered by then, in the order they answered, with
    /// the versions each returned (copy-on-write: no deep copy).
    ReadAnswered {
        /// The key.
        key: Key,
        /// The client process whose request it was (the coordinator itself for a client
        /// library that coordinates).
        client: crate::NodeId,
        /// The client's request number.
        req: ReqId,
        /// Each replica that answered, with what it held.
        replies: Vec<(crate::NodeId, Versions)>,
    },
}

/// The process types a Dynamo node or client can run inside: any whose messages, timers, disk
/// records and counters are this crate's, and whose notes can carry a [`ModelNote`].
pub trait Host:
    Process<Msg = Msg, Timer = Timer, DiskKey = StoreKey, DiskValue = StoreRecord, Counter = Counter, Note: From<ModelNote>>
{
}

impl<P> Host for P where
    P: Process<
            Msg = Msg,
            Timer = Timer,
            DiskKey = StoreKey,
            DiskValue = StoreRecord,
            Counter = Counter,
            Note: From<ModelNote>,
        >
{
}

/// Tells the observer `note` (costs nothing when no observer is installed).
#[inline]
pub fn note<P: Host>(ctx: &mut sim_core::Ctx<'_, P>, note: ModelNote) {
    if ctx.observed() {
        ctx.note(note.into());
    }
}

/// A byte count as a message size, saturating.
fn clamp(bytes: u64) -> u32 {
    bytes.min(u64::from(u32::MAX - Msg::HEADER)) as u32
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::version::WriteId;

    #[test]
    fn a_put_of_the_largest_value_costs_the_most_a_message_can_not_an_overflow() {
        let value = Value::plain(WriteId(1), u32::MAX, false);
        let op = ClientOp::Put { key: 1, context: Context::empty(), value };
        let put = Msg::Request { client: NodeId(0), req: 0, op, hops: 0 };
        assert_eq!(put.size_bytes(), u32::MAX);
    }
}
