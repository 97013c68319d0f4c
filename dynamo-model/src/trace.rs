//! The model's messages and timers as the structured trace writes them (`dynsim replay`): JSON
//! with typed fields, never a Debug string.
//!
//! A message is an object of its own fields (its kind is written beside it); a timer is
//! `{"kind": name, ...its fields}`. Process numbers (a client, a hinted node, a coordinator)
//! are numbers. Version-stamping actors (vector-clock entries, DVV dots, LWW coordinators) are
//! written `n<node>#<epoch>`, e.g. `n3#2`: an actor id packs its node and epoch
//! ([`crate::stamp`]), and its raw number (2817609728) means nothing to a reader. Ring
//! positions are 128-bit, so they are written as 32 hex digits (JSON numbers lose precision
//! beyond 2^53). Application contents of a value ([`crate::version::AppData`]) are opaque to
//! the model and not written; its write id, size and tombstone flag are.
//!
//! The model's types carry no serde: this module is their only JSON form, and it is written,
//! not derived, so the trace's shape is stated here in one place.

use crate::NodeId;
use crate::membership::{Delta, Digest, MemberEntry, Request as Wanted, Status, Version};
use crate::merkle;
use crate::msg::{AdminCommand, ClientOp, Key, Msg, OpError, Timer, TransferAnswer};
use crate::ring::{KeyRange, RingMember, RingPos};
use crate::stamp::{NODE_BITS, node_of};
use crate::version::{CausalMeta, Context, Sibling, Value as Stored, VectorClock, Versions};
use serde_json::{Map, Value, json};
use sim_core::ProcId;
use sim_core::trace::Traced;

/// A version-stamping actor as `n<node>#<epoch>`.
pub fn actor_name(actor: NodeId) -> String {
    format!("n{}#{}", node_of(actor).0, actor.0 >> NODE_BITS)
}

impl Traced for Msg {
    fn trace_json(&self) -> Value {
        match self {
            Msg::Request { client, req, op, hops } => request(*client, *req, op, *hops),
            Msg::GetReply { req, result } => match result {
                Ok(ok) => json!({"req": req, "ok": true, "versions": versions(&ok.versions),
                    "context": context(&ok.context), "fastest": ok.fastest.map(|n| n.0)}),
                Err(e) => failure(*req, e),
            },
            Msg::PutReply { req, result } => match result {
                Ok(()) => json!({"req": req, "ok": true}),
                Err(e) => failure(*req, e),
            },
            Msg::ReplicaRead { op, key } => json!({"op": op, "key": key}),
            Msg::ReplicaReadReply { op, key, versions: v } => json!({"op": op, "key": key, "versions": versions(v)}),
            Msg::ReplicaWrite { op, key, versions: v, hint, durable } => json!({"op": op, "key": key,
                "versions": versions(v), "hint_for": hint.map(|n| n.0), "durable": durable}),
            Msg::ReplicaWriteAck { op, key, ok } => json!({"op": op, "key": key, "ok": ok}),
            Msg::Ping | Msg::Pong | Msg::MembershipPoll => json!({}),
            Msg::Handoff { key, versions: v } => json!({"key": key, "versions": versions(v)}),
            Msg::HandoffAck { key, ok } => json!({"key": key, "ok": ok}),
            Msg::MembershipSnapshot { members } => json!({"members": members.iter().map(member).collect::<Vec<_>>()}),
            Msg::Admin(AdminCommand::Join(m)) => json!({"command": "join", "member": member(m)}),
            Msg::Admin(AdminCommand::Leave) => json!({"command": "leave"}),
            Msg::GossipHash(h) => json!({"hash": format!("{h:016x}")}),
            Msg::GossipDigest(d) => digest(d),
            Msg::GossipReply { delta: d, request } => json!({"delta": delta(d), "wanted": wanted(request)}),
            Msg::GossipDelta(d) => delta(d),
            Msg::TransferOffer { range: r } => json!({"range": range(r)}),
            Msg::TransferAnswer { range: r, answer } => json!({"range": range(r), "answer": answer_name(*answer)}),
            Msg::TransferBatch { range: r, seq, items, last } => {
                json!({"range": range(r), "seq": seq, "items": keyed(items), "last": last})
            }
            Msg::TransferAck { range: r, seq } => json!({"range": range(r), "seq": seq}),
            Msg::MerkleRequest { session, range: r, request } => {
                json!({"session": session, "range": range(r), "request": merkle_request(request)})
            }
            Msg::MerkleReply { session, range: r, reply } => {
                json!({"session": session, "range": range(r), "reply": reply.as_ref().map(merkle_reply)})
            }
            Msg::KeyExchange { session, range: r, push, want } => {
                json!({"session": session, "range": range(r), "push": keyed(push), "want": want})
            }
            Msg::KeyExchangeReply { session, range: r, versions: v } => {
                json!({"session": session, "range": range(r), "versions": keyed(v)})
            }
        }
    }

    fn trace_request(&self) -> Option<(ProcId, u64)> {
        match self {
            Msg::Request { client, req, .. } => Some((*client, *req)),
            _ => None,
        }
    }

    fn trace_reply(&self) -> Option<u64> {
        match self {
            Msg::GetReply { req, .. } | Msg::PutReply { req, .. } => Some(*req),
            _ => None,
        }
    }
}

impl Traced for Timer {
    fn trace_json(&self) -> Value {
        match self {
            Timer::OpDeadline(op) => json!({"kind": "op_deadline", "op": op}),
            Timer::ReadRepair(op) => json!({"kind": "read_repair", "op": op}),
            Timer::PeerCheck { op, peer } => json!({"kind": "peer_check", "op": op, "peer": peer.0}),
            Timer::Probe => json!({"kind": "probe"}),
            Timer::HintScan => json!({"kind": "hint_scan"}),
            Timer::Flush => json!({"kind": "flush"}),
            Timer::ClientDeadline(req) => json!({"kind": "client_deadline", "req": req}),
            Timer::MembershipPoll => json!({"kind": "membership_poll"}),
            Timer::Gossip => json!({"kind": "gossip"}),
            Timer::AntiEntropy => json!({"kind": "anti_entropy"}),
            Timer::AntiEntropyRetry { session } => json!({"kind": "anti_entropy_retry", "session": session}),
            Timer::App(n) => json!({"kind": "app", "app": n}),
        }
    }
}

fn request(client: NodeId, req: u64, op: &ClientOp, hops: u8) -> Value {
    let mut m = Map::new();
    m.insert("client".into(), client.0.into());
    m.insert("req".into(), req.into());
    m.insert("hops".into(), hops.into());
    match op {
        ClientOp::Get { key } => {
            m.insert("op".into(), "get".into());
            m.insert("key".into(), (*key).into());
        }
        ClientOp::Put { key, context: c, value } => {
            m.insert("op".into(), "put".into());
            m.insert("key".into(), (*key).into());
            m.insert("context".into(), context(c));
            m.insert("value".into(), stored(value));
        }
    }
    Value::Object(m)
}

fn failure(req: u64, e: &OpError) -> Value {
    match e {
        OpError::Timeout { got, needed } => {
            json!({"req": req, "ok": false, "error": "timeout", "got": got, "needed": needed})
        }
        OpError::Unavailable => json!({"req": req, "ok": false, "error": "unavailable"}),
        OpError::ClientTimeout => json!({"req": req, "ok": false, "error": "client_timeout"}),
    }
}

/// A key's siblings, each with its value and causal metadata.
fn versions(v: &Versions) -> Value {
    Value::Array(v.siblings().iter().map(sibling).collect())
}

fn sibling(s: &Sibling) -> Value {
    let mut m = stored_fields(s.value());
    match s.meta() {
        CausalMeta::Clock(c) => {
            m.insert("clock".into(), clock(c));
        }
        CausalMeta::Dotted(d) => {
            m.insert("dot".into(), json!({"actor": actor_name(d.dot.node), "counter": d.dot.counter}));
            m.insert("past".into(), clock(&d.past));
        }
        CausalMeta::Stamp(st) => {
            m.insert("lww".into(), json!({"timestamp_ns": st.timestamp_ns, "coordinator": actor_name(st.coordinator)}));
        }
    }
    Value::Object(m)
}

fn stored(v: &Stored) -> Value {
    Value::Object(stored_fields(v))
}

/// A value's write id, size and tombstone flag (its application contents are opaque).
fn stored_fields(v: &Stored) -> Map<String, Value> {
    let mut m = Map::new();
    m.insert("write".into(), v.write_id.0.into());
    m.insert("bytes".into(), v.size_bytes.into());
    m.insert("tombstone".into(), v.tombstone.into());
    m
}

fn context(c: &Context) -> Value {
    clock(c.clock())
}

/// A vector clock: one `{actor, counter, timestamp_ns}` per entry, in the clock's order.
fn clock(c: &VectorClock) -> Value {
    let entries = c.entries().iter();
    Value::Array(
        entries
            .map(|e| json!({"actor": actor_name(e.node), "counter": e.counter, "timestamp_ns": e.timestamp_ns}))
            .collect(),
    )
}

fn keyed(items: &[(Key, Versions)]) -> Value {
    Value::Array(items.iter().map(|(k, v)| json!({"key": k, "versions": versions(v)})).collect())
}

fn pos(p: RingPos) -> String {
    format!("{p:032x}")
}

fn range(r: &KeyRange) -> Value {
    json!({"start_exclusive": pos(r.start_exclusive), "end_inclusive": pos(r.end_inclusive)})
}

fn member(m: &RingMember) -> Value {
    json!({"node": m.node.0, "capacity": m.capacity, "datacenter": m.datacenter, "rack": m.rack})
}

fn version(v: &Version) -> Value {
    json!({"counter": v.counter, "issued_at_ns": v.issued_at.0, "issuer": v.issuer.0})
}

fn status_name(s: Status) -> &'static str {
    match s {
        Status::Joining => "joining",
        Status::Member => "member",
        Status::Leaving => "leaving",
        Status::Left => "left",
    }
}

fn entry(e: &MemberEntry) -> Value {
    json!({"member": member(&e.member), "status": status_name(e.status), "version": version(&e.version)})
}

fn digest(d: &Digest) -> Value {
    json!({"versions": d.versions.iter().map(|(n, v)| json!({"node": n.0, "version": version(v)})).collect::<Vec<_>>()})
}

fn delta(d: &Delta) -> Value {
    json!({"entries": d.entries.iter().map(entry).collect::<Vec<_>>()})
}

fn wanted(r: &Wanted) -> Value {
    Value::Array(r.nodes.iter().map(|n| n.0.into()).collect())
}

fn answer_name(a: TransferAnswer) -> &'static str {
    match a {
        TransferAnswer::Accept => "accept",
        TransferAnswer::Busy => "busy",
        TransferAnswer::Done => "done",
    }
}

fn merkle_request(r: &merkle::Request) -> Value {
    match r {
        merkle::Request::Hashes { depth, level, indices } => {
            json!({"hashes": {"depth": depth, "level": level, "indices": indices}})
        }
        merkle::Request::Buckets { depth, leaves } => json!({"buckets": {"depth": depth, "leaves": leaves}}),
    }
}

fn merkle_reply(r: &merkle::Reply) -> Value {
    match r {
        merkle::Reply::Hashes(h) => json!({"hashes": h.iter().map(|x| format!("{x:016x}")).collect::<Vec<_>>()}),
        merkle::Reply::Buckets(b) => json!({"buckets": b.iter().map(|b| json!({"leaf": b.leaf,
            "entries": b.entries.iter().map(|(k, d)| json!({"key": k, "digest": format!("{d:016x}")})).collect::<Vec<_>>()}))
            .collect::<Vec<_>>()}),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::stamp::actor;
    use crate::version::WriteId;

    #[test]
    fn actors_are_written_as_node_and_epoch() {
        assert_eq!(actor_name(actor(NodeId(3), 2)), "n3#2");
        assert_eq!(actor_name(actor(NodeId(0), 687_893)), "n0#687893");
        assert_eq!(actor_name(NodeId(5)), "n5#0");
    }

    #[test]
    fn a_put_request_is_an_object_of_typed_fields() {
        let value = Stored::plain(WriteId(42), 1024, false);
        let op = ClientOp::Put { key: 7, context: Context::empty(), value };
        let msg = Msg::Request { client: NodeId(9), req: 5, op, hops: 1 };
        let want = json!({"client": 9, "req": 5, "hops": 1, "op": "put", "key": 7, "context": [],
            "value": {"write": 42, "bytes": 1024, "tombstone": false}});
        assert_eq!(msg.trace_json(), want);
        assert_eq!(msg.trace_request(), Some((NodeId(9), 5)));
        assert_eq!(msg.trace_reply(), None);
    }

    #[test]
    fn replies_name_the_request_they_answer() {
        let failed = Msg::GetReply { req: 3, result: Err(OpError::Timeout { got: 1, needed: 2 }) };
        assert_eq!(failed.trace_reply(), Some(3));
        assert_eq!(failed.trace_json(), json!({"req": 3, "ok": false, "error": "timeout", "got": 1, "needed": 2}));
        assert_eq!(Msg::PutReply { req: 4, result: Ok(()) }.trace_json(), json!({"req": 4, "ok": true}));
        assert_eq!(
            Timer::PeerCheck { op: 1, peer: NodeId(2) }.trace_json(),
            json!({"kind": "peer_check", "op": 1, "peer": 2})
        );
    }
}
