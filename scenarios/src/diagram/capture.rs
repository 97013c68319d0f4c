//! Capturing the messages about one key from the simulator's structured trace: a
//! [`TraceSink`] that pairs each send with the delivery (or crash drop) of the same message;
//! [`Capture::flights`] then keeps those whose flight overlaps a window.
//!
//! A sink only observes: the world calls it after it has decided everything, and the trace hash
//! does not depend on whether one is installed (tested in `scenarios/tests/diagram.rs`).
//!
//! Replies to clients (`get_reply`, `put_reply`) name no key in the trace; one is kept when a
//! client that sent a request for the key handles it at the very time an operation of the key
//! by that client completed (the client completes an operation when it handles its reply):
//! which operations completed when is given to [`Capture::flights`] after the run.
//!
//! Pairing: the trace names a message by sender, receiver, kind and contents; a delivery is
//! paired with the earliest pending send with the same contents (else the earliest of the same
//! sender, receiver and kind), and a crash drop, which carries no contents, with the earliest of
//! the same sender, receiver and kind. Identical messages on one link may so be paired out of
//! order when the network reorders them; that changes nothing but which arrow is which.

use sim_core::ProcId;
use sim_core::trace::{TraceRecord, TraceSink, TraceWhat};
use std::cell::RefCell;
use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::rc::Rc;

/// One captured message, in seconds of simulated time.
#[derive(Clone, Debug, PartialEq)]
pub struct Flight {
    /// Sender.
    pub from: ProcId,
    /// Receiver.
    pub to: ProcId,
    /// Message kind.
    pub kind: &'static str,
    /// When it left the sender (equal to `at_s` for a message the network dropped as it left).
    pub sent_s: f64,
    /// When the receiver handled it, or when it was lost.
    pub at_s: f64,
    /// `None` when delivered, else why it was lost (`loss`, `partition`, `crash`).
    pub lost: Option<&'static str>,
    /// For a delivered reply carrying versions (`replica_read_reply`, a successful
    /// `get_reply`): what it carried.
    pub carried: Option<Carried>,
}

/// The versions a reply carried: each sibling's write id and whether it is a delete, and the
/// longest vector clock (entries).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Carried {
    /// (write id, tombstone) per sibling, in the message's order.
    pub versions: Vec<(u64, bool)>,
    /// Entries of the longest clock among them.
    pub clock: usize,
}

/// The replies whose versions the diagram marks.
const CARRIES_VERSIONS: [&str; 2] = ["replica_read_reply", "get_reply"];

/// What a delivered message of `kind` carried, from its trace JSON (`versions`: each with
/// `write`, `tombstone`, `clock`); `None` for other kinds and failed replies.
fn carried(kind: &str, msg: &dyn sim_core::trace::Traced) -> Option<Carried> {
    if !CARRIES_VERSIONS.contains(&kind) {
        return None;
    }
    let json = msg.trace_json();
    let list = json.get("versions")?.as_array()?;
    let versions =
        list.iter().map(|v| (v["write"].as_u64().unwrap_or(0), v["tombstone"].as_bool().unwrap_or(false))).collect();
    let clock = list.iter().filter_map(|v| v["clock"].as_array().map(Vec::len)).max().unwrap_or(0);
    Some(Carried { versions, clock })
}

/// The replies to clients, which name no key.
const REPLIES: [&str; 2] = ["get_reply", "put_reply"];

/// A link and a message kind.
type Link = (ProcId, ProcId, &'static str);

/// Collects the flights of one key's messages. Clones share what was collected, so a caller
/// keeps one and gives the world another.
#[derive(Clone, Debug)]
pub struct Capture(Rc<RefCell<State>>);

#[derive(Debug)]
struct State {
    key: u64,
    /// Processes that sent a request for the key (clients, and nodes forwarding one).
    requesters: BTreeSet<ProcId>,
    /// Sends not yet delivered or dropped: (send time, contents), oldest first.
    pending: BTreeMap<Link, VecDeque<(f64, String)>>,
    /// The flights, each reply with the (client, handling time in ns) an operation of the key
    /// must have completed at for it to be kept.
    flights: Vec<(Flight, Option<(u32, u64)>)>,
}

impl Capture {
    /// A capture of `key`'s messages.
    pub fn new(key: u64) -> Self {
        Capture(Rc::new(RefCell::new(State {
            key,
            requesters: BTreeSet::new(),
            pending: BTreeMap::new(),
            flights: Vec::new(),
        })))
    }

    /// The flights captured so far that were in flight at some time in `[from_s, until_s]`,
    /// with the replies that completed one of the key's operations (`completions`: client
    /// process and completion time in ns), ordered by send time (then handling time, sender,
    /// receiver, kind).
    pub fn flights(&self, from_s: f64, until_s: f64, completions: &BTreeSet<(u32, u64)>) -> Vec<Flight> {
        let st = self.0.borrow();
        let mut f: Vec<Flight> = st
            .flights
            .iter()
            .filter(|(f, _)| f.at_s >= from_s && f.sent_s <= until_s)
            .filter(|(_, done)| done.is_none_or(|d| completions.contains(&d)))
            .map(|(f, _)| f.clone())
            .collect();
        f.sort_by(|a, b| {
            a.sent_s
                .total_cmp(&b.sent_s)
                .then(a.at_s.total_cmp(&b.at_s))
                .then((a.from, a.to, a.kind).cmp(&(b.from, b.to, b.kind)))
        });
        f
    }
}

impl State {
    fn keep(&mut self, f: Flight) {
        self.flights.push((f, None));
    }

    /// A record naming no key: a reply to a process that requested the key is tracked, and
    /// kept when it completes one of the key's operations.
    fn reply(&mut self, proc: ProcId, r: &TraceRecord<'_>) {
        match r.what {
            TraceWhat::Send { to, kind, msg, depart } if REPLIES.contains(&kind) && self.requesters.contains(&to) => {
                self.pending.entry((proc, to, kind)).or_default().push_back((depart.as_secs_f64(), format!("{msg:?}")));
            }
            TraceWhat::Deliver { from, kind, msg } if REPLIES.contains(&kind) && self.requesters.contains(&proc) => {
                let sent = self.pair((from, proc, kind), Some(&format!("{msg:?}")));
                if let Some(sent_s) = sent {
                    let at_s = r.time.as_secs_f64();
                    let carried = carried(kind, msg);
                    let f = Flight { from, to: proc, kind, sent_s, at_s, lost: None, carried };
                    self.flights.push((f, Some((proc.0, r.time.0))));
                }
            }
            _ => {}
        }
    }

    /// The send paired with a delivery of `contents` on `link`, if any was seen.
    fn pair(&mut self, link: Link, contents: Option<&str>) -> Option<f64> {
        let queue = self.pending.get_mut(&link)?;
        let i = contents.and_then(|c| queue.iter().position(|(_, m)| m == c)).unwrap_or(0);
        queue.remove(i).map(|(t, _)| t)
    }
}

impl TraceSink for Capture {
    fn record(&mut self, r: &TraceRecord<'_>) {
        let mut st = self.0.borrow_mut();
        let Some(proc) = r.proc else { return };
        if r.key.is_none() {
            st.reply(proc, r);
            return;
        }
        if r.key != Some(st.key) {
            return;
        }
        let t = r.time.as_secs_f64();
        match r.what {
            TraceWhat::Send { to, kind, msg, depart } => {
                if kind == "request" {
                    st.requesters.insert(proc);
                }
                st.pending.entry((proc, to, kind)).or_default().push_back((depart.as_secs_f64(), format!("{msg:?}")));
            }
            TraceWhat::Deliver { from, kind, msg } => {
                let sent = st.pair((from, proc, kind), Some(&format!("{msg:?}")));
                // A delivery with no recorded send cannot happen; keep it as instantaneous.
                let sent_s = sent.unwrap_or(t);
                st.keep(Flight { from, to: proc, kind, sent_s, at_s: t, lost: None, carried: carried(kind, msg) });
            }
            TraceWhat::Drop { from, kind, reason } => {
                // Loss and partitions drop a message as it leaves (no send was recorded); a crash
                // drops one that was in flight or queued.
                let sent_s = if reason == "crash" { st.pair((from, proc, kind), None).unwrap_or(t) } else { t };
                st.keep(Flight { from, to: proc, kind, sent_s, at_s: t, lost: Some(reason), carried: None });
            }
            TraceWhat::Timer { .. } | TraceWhat::Fault { .. } => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use sim_core::SimTime;

    fn rec<'a>(t_ms: u64, proc: u32, key: u64, what: TraceWhat<'a>) -> TraceRecord<'a> {
        TraceRecord { time: SimTime(t_ms * 1_000_000), proc: Some(ProcId(proc)), key: Some(key), what }
    }

    #[test]
    fn pairs_sends_with_deliveries_and_drops_and_keeps_the_window() {
        let mut c = Capture::new(7);
        let (a, b) = ("write a", "write b");
        // Handled at t_ms, leaving 1 ms later (service time).
        let send = |msg: &'static &'static str, to, t_ms: u64| TraceWhat::Send {
            to: ProcId(to),
            kind: "replica_write",
            msg,
            depart: SimTime((t_ms + 1) * 1_000_000),
        };
        let deliver = |msg: &'static &'static str| TraceWhat::Deliver { from: ProcId(0), kind: "replica_write", msg };
        let a: &'static &'static str = Box::leak(Box::new(a));
        let b: &'static &'static str = Box::leak(Box::new(b));
        c.record(&rec(0, 0, 7, send(a, 1, 0)));
        c.record(&rec(11, 0, 7, send(b, 1, 11)));
        c.record(&rec(11, 0, 7, send(a, 2, 11)));
        c.record(&rec(12, 0, 8, send(a, 1, 12))); // another key
        c.record(&rec(14, 1, 7, deliver(b))); // b overtook a on the link 0 → 1
        c.record(&rec(15, 1, 7, deliver(a))); // in flight from 1 ms to 15 ms: overlaps the window
        c.record(&rec(16, 2, 7, TraceWhat::Drop { from: ProcId(0), kind: "replica_write", reason: "crash" }));
        c.record(&rec(18, 3, 7, TraceWhat::Drop { from: ProcId(0), kind: "replica_write", reason: "partition" }));
        c.record(&rec(30, 3, 7, TraceWhat::Drop { from: ProcId(0), kind: "replica_write", reason: "loss" }));
        let got: Vec<(u32, f64, f64, Option<&str>)> =
            c.flights(0.010, 0.020, &BTreeSet::new()).iter().map(|f| (f.to.0, f.sent_s, f.at_s, f.lost)).collect();
        assert_eq!(
            got,
            vec![
                (1, 0.001, 0.015, None),
                (1, 0.012, 0.014, None),
                (2, 0.012, 0.016, Some("crash")),
                (3, 0.018, 0.018, Some("partition")),
            ]
        );
    }

    #[test]
    fn keeps_the_replies_that_complete_the_keys_operations() {
        let mut c = Capture::new(7);
        let (req, r1, r2): (&str, &str, &str) = ("get 7", "GetReply { req: 1 }", "GetReply { req: 2 }");
        let depart = SimTime(1_000_000);
        c.record(&rec(1, 9, 7, TraceWhat::Send { to: ProcId(0), kind: "request", msg: &req, depart }));
        c.record(&rec(2, 0, 7, TraceWhat::Deliver { from: ProcId(9), kind: "request", msg: &req }));
        let send = |to: u32, msg| TraceRecord {
            time: SimTime(14_000_000),
            proc: Some(ProcId(0)),
            key: None,
            what: TraceWhat::Send { to: ProcId(to), kind: "get_reply", msg, depart: SimTime(15_000_000) },
        };
        let deliver = |t_ms: u64, proc: u32, msg| TraceRecord {
            time: SimTime(t_ms * 1_000_000),
            proc: Some(ProcId(proc)),
            key: None,
            what: TraceWhat::Deliver { from: ProcId(0), kind: "get_reply", msg },
        };
        c.record(&send(9, &r1));
        c.record(&send(9, &r2));
        c.record(&send(8, &r1)); // another client, which sent no request for key 7
        c.record(&deliver(20, 9, &r2)); // completes client 9's operation on key 7
        c.record(&deliver(21, 9, &r1)); // another key's reply on the same link
        c.record(&deliver(20, 8, &r1));
        let done = BTreeSet::from([(9, 20_000_000)]);
        let got: Vec<(&str, u32, f64, f64)> =
            c.flights(0.0, 1.0, &done).iter().map(|f| (f.kind, f.to.0, f.sent_s, f.at_s)).collect();
        assert_eq!(got, vec![("request", 0, 0.001, 0.002), ("get_reply", 9, 0.015, 0.02)]);
    }

    /// A reply with versions, as the model traces one.
    #[derive(Debug)]
    struct Reply(serde_json::Value);

    impl sim_core::trace::Traced for Reply {
        fn trace_json(&self) -> serde_json::Value {
            self.0.clone()
        }
    }

    #[test]
    fn a_reply_keeps_the_versions_it_carried_and_the_longest_clock() {
        let entry = serde_json::json!({"actor": "n1#3", "counter": 1, "timestamp_ns": 0});
        let reply = Reply(serde_json::json!({"op": 1, "key": 7, "versions": [
            {"write": 5, "tombstone": false, "clock": [entry, entry]},
            {"write": 9, "tombstone": true, "clock": [entry]}
        ]}));
        let got = carried("replica_read_reply", &reply).expect("a read reply carries versions");
        assert_eq!(got, Carried { versions: vec![(5, false), (9, true)], clock: 2 });
        assert_eq!(carried("replica_write", &reply), None, "only replies are marked");
        let failed = Reply(serde_json::json!({"req": 3, "ok": false, "error": "timeout"}));
        assert_eq!(carried("get_reply", &failed), None, "a failed reply carried nothing");
    }
}
