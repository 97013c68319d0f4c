//! The trace: an always-on hash over every delivered event, and an opt-in structured sink.
//!
//! The hash mixes, for every event a process handles and every fault applied, the time, the
//! process, what happened and the message kind and size. Same scenario + seed + version ⇒ same
//! hash; a difference means the runs diverged. The JSONL sink writes one object per event,
//! filterable by process, key and time window: messages, timers and faults as JSON values
//! ([`Traced`]), and replies attributed to the key of the request they answer.

use crate::id::ProcId;
use crate::time::SimTime;
use std::collections::BTreeMap;
use std::fmt::Debug;
use std::io::Write;

/// What the structured trace writes of a message, timer or fault: a JSON value with typed
/// fields (never a Debug string), and, for messages, how a reply pairs with the request it
/// answers (a reply names no key, so this is how a trace filtered by key keeps it).
pub trait Traced: Debug {
    /// This value as JSON.
    fn trace_json(&self) -> serde_json::Value;

    /// For a request that asks for an answer: the process that gets the answer, and the
    /// request number the answer will carry.
    fn trace_request(&self) -> Option<(ProcId, u64)> {
        None
    }

    /// For an answer: the request number it answers (its receiver is the process that asked).
    fn trace_reply(&self) -> Option<u64> {
        None
    }
}

/// Text, written as a JSON string (test messages and labels).
impl Traced for &str {
    fn trace_json(&self) -> serde_json::Value {
        serde_json::Value::String((*self).to_string())
    }
}

/// A 64-bit running hash over the event stream (Fx-style mixing; fast, not cryptographic).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TraceHash {
    hash: u64,
    events: u64,
}

impl Default for TraceHash {
    fn default() -> Self {
        TraceHash { hash: 0xcbf2_9ce4_8422_2325, events: 0 }
    }
}

impl TraceHash {
    /// Mixes one event, given as words.
    #[inline(always)]
    pub fn event(&mut self, words: [u64; 4]) {
        for w in words {
            self.hash = (self.hash.rotate_left(5) ^ w).wrapping_mul(0x51_7c_c1_b7_27_22_0a_95);
        }
        self.events += 1;
    }

    /// The hash so far, with a final avalanche so that nearby states print far apart.
    pub fn value(&self) -> u64 {
        let mut x = self.hash ^ self.events;
        x ^= x >> 33;
        x = x.wrapping_mul(0xff51_afd7_ed55_8ccd);
        x ^= x >> 33;
        x
    }

    /// The hash as 16 hex digits.
    pub fn hex(&self) -> String {
        format!("{:016x}", self.value())
    }

    /// How many events have been mixed in.
    pub fn events(&self) -> u64 {
        self.events
    }
}

/// What happened, for the structured trace.
#[derive(Debug)]
pub enum TraceWhat<'a> {
    /// A handler sent a message that will reach `to` (one record per copy the network will
    /// deliver or hold; a message the network drops at once gets only a [`TraceWhat::Drop`]).
    /// The record's time is the handler's and its process is the sender; the message leaves
    /// at `depart`, when the sender's service time ends.
    Send {
        /// Receiver.
        to: ProcId,
        /// Message kind name.
        kind: &'static str,
        /// The message.
        msg: &'a dyn Traced,
        /// When it leaves the sender.
        depart: SimTime,
    },
    /// A process handled a message.
    Deliver {
        /// Sender.
        from: ProcId,
        /// Message kind name.
        kind: &'static str,
        /// The message.
        msg: &'a dyn Traced,
    },
    /// A process handled a timer.
    Timer {
        /// The timer.
        timer: &'a dyn Traced,
    },
    /// A message was dropped.
    Drop {
        /// Sender.
        from: ProcId,
        /// Message kind name.
        kind: &'static str,
        /// Why.
        reason: &'static str,
    },
    /// A fault was applied.
    Fault {
        /// The fault.
        fault: &'a dyn Traced,
    },
}

/// One trace record.
#[derive(Debug)]
pub struct TraceRecord<'a> {
    /// True time.
    pub time: SimTime,
    /// The process concerned (the receiver for messages; `None` for network-wide faults).
    pub proc: Option<ProcId>,
    /// The application key, when the message names one (replies name none: the JSONL sink
    /// attributes them to their request's key).
    pub key: Option<u64>,
    /// What happened.
    pub what: TraceWhat<'a>,
}

/// Receives trace records. Only called when a sink is installed, so tracing costs nothing
/// otherwise.
pub trait TraceSink {
    /// Records one event.
    fn record(&mut self, rec: &TraceRecord<'_>);

    /// Flushes buffered output and reports the first I/O error met, if any.
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Which records a [`JsonlTrace`] keeps.
#[derive(Clone, Debug, Default)]
pub struct TraceFilter {
    /// Keep only records about these processes (receiver or sender).
    pub procs: Option<Vec<ProcId>>,
    /// Keep only records about this key (faults are always kept).
    pub key: Option<u64>,
    /// Keep only records at or after this time.
    pub from: Option<SimTime>,
    /// Keep only records at or before this time.
    pub until: Option<SimTime>,
}

impl TraceFilter {
    /// Whether the record, about `key` (its own, or the key its reply answers), is kept.
    fn keeps(&self, r: &TraceRecord<'_>, key: Option<u64>) -> bool {
        let in_window = self.from.is_none_or(|t| r.time >= t) && self.until.is_none_or(|t| r.time <= t);
        let is_fault = matches!(r.what, TraceWhat::Fault { .. });
        let sender = match r.what {
            TraceWhat::Deliver { from, .. } | TraceWhat::Drop { from, .. } => Some(from),
            TraceWhat::Send { to, .. } => Some(to),
            _ => None,
        };
        let proc_ok = self.procs.as_ref().is_none_or(|ps| {
            r.proc.is_some_and(|p| ps.contains(&p)) || sender.is_some_and(|s| ps.contains(&s)) || r.proc.is_none()
        });
        let key_ok = is_fault || self.key.is_none_or(|k| key == Some(k));
        in_window && proc_ok && key_ok
    }
}

/// Writes trace records as JSON lines.
///
/// A reply (a message whose [`Traced::trace_reply`] names a request number) names no key; the
/// sink attributes it to the key of the request it answers, remembered from the request's
/// send (`(client, request number) → key`, [`Traced::trace_request`]) until the reply is
/// delivered to its client. So a reply carries `key` in the output, and `--key` keeps it.
/// Memory: one entry per request not yet answered (a request whose answer never comes stays).
pub struct JsonlTrace<W: Write> {
    out: W,
    filter: TraceFilter,
    written: u64,
    error: Option<std::io::Error>,
    /// The key of every request awaiting its reply, by (client, request number).
    awaiting: BTreeMap<(ProcId, u64), u64>,
}

impl<W: Write> JsonlTrace<W> {
    /// A sink writing to `out`, keeping what `filter` keeps.
    pub fn new(out: W, filter: TraceFilter) -> Self {
        JsonlTrace { out, filter, written: 0, error: None, awaiting: BTreeMap::new() }
    }

    /// Records written so far.
    pub fn written(&self) -> u64 {
        self.written
    }

    /// Flushes and returns the writer, or the first I/O error met while writing.
    pub fn finish(mut self) -> std::io::Result<W> {
        if let Some(e) = self.error.take() {
            return Err(e);
        }
        self.out.flush()?;
        Ok(self.out)
    }
}

impl<W: Write> JsonlTrace<W> {
    /// The key a record is about: its own, or for a reply the key of the request it answers.
    fn key_of(&mut self, r: &TraceRecord<'_>) -> Option<u64> {
        match r.what {
            TraceWhat::Send { to, msg, .. } => {
                if let (Some(key), Some(asked)) = (r.key, msg.trace_request()) {
                    self.awaiting.insert(asked, key);
                }
                r.key.or_else(|| msg.trace_reply().and_then(|req| self.awaiting.get(&(to, req)).copied()))
            }
            TraceWhat::Deliver { msg, .. } => {
                let client = r.proc?;
                r.key.or_else(|| msg.trace_reply().and_then(|req| self.awaiting.remove(&(client, req))))
            }
            _ => r.key,
        }
    }
}

impl<W: Write> TraceSink for JsonlTrace<W> {
    fn record(&mut self, r: &TraceRecord<'_>) {
        let key = self.key_of(r);
        if self.error.is_some() || !self.filter.keeps(r, key) {
            return;
        }
        let mut obj = serde_json::Map::new();
        obj.insert("t_ns".into(), r.time.0.into());
        if let Some(p) = r.proc {
            obj.insert("proc".into(), p.0.into());
        }
        if let Some(k) = key {
            obj.insert("key".into(), k.into());
        }
        match &r.what {
            TraceWhat::Send { to, kind, msg, depart } => {
                obj.insert("event".into(), "send".into());
                obj.insert("to".into(), to.0.into());
                obj.insert("depart_ns".into(), depart.0.into());
                obj.insert("kind".into(), (*kind).into());
                obj.insert("msg".into(), msg.trace_json());
            }
            TraceWhat::Deliver { from, kind, msg } => {
                obj.insert("event".into(), "deliver".into());
                obj.insert("from".into(), from.0.into());
                obj.insert("kind".into(), (*kind).into());
                obj.insert("msg".into(), msg.trace_json());
            }
            TraceWhat::Timer { timer } => {
                obj.insert("event".into(), "timer".into());
                obj.insert("timer".into(), timer.trace_json());
            }
            TraceWhat::Drop { from, kind, reason } => {
                obj.insert("event".into(), "drop".into());
                obj.insert("from".into(), from.0.into());
                obj.insert("kind".into(), (*kind).into());
                obj.insert("reason".into(), (*reason).into());
            }
            TraceWhat::Fault { fault } => {
                obj.insert("event".into(), "fault".into());
                obj.insert("fault".into(), fault.trace_json());
            }
        }
        let line = serde_json::Value::Object(obj).to_string();
        if let Err(e) = writeln!(self.out, "{line}") {
            self.error = Some(e);
        } else {
            self.written += 1;
        }
    }

    fn flush(&mut self) -> std::io::Result<()> {
        if let Some(e) = self.error.take() {
            return Err(e);
        }
        self.out.flush()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hash_depends_on_every_word_and_on_order() {
        let mut a = TraceHash::default();
        a.event([1, 2, 3, 4]);
        a.event([5, 6, 7, 8]);
        let mut b = TraceHash::default();
        b.event([5, 6, 7, 8]);
        b.event([1, 2, 3, 4]);
        assert_ne!(a.value(), b.value());
        let mut c = TraceHash::default();
        c.event([1, 2, 3, 4]);
        c.event([5, 6, 7, 9]);
        assert_ne!(a.value(), c.value());
        assert_eq!(a.hex().len(), 16);
    }

    #[test]
    fn jsonl_filter_keeps_only_matching_records() {
        let mut sink = JsonlTrace::new(
            Vec::new(),
            TraceFilter { procs: Some(vec![ProcId(1)]), key: Some(7), from: Some(SimTime(10)), until: None },
        );
        let msg = "m";
        let rec = |t, proc, key| TraceRecord {
            time: SimTime(t),
            proc: Some(ProcId(proc)),
            key,
            what: TraceWhat::Deliver { from: ProcId(0), kind: "k", msg: &msg },
        };
        sink.record(&rec(5, 1, Some(7)));
        sink.record(&rec(15, 1, Some(7)));
        sink.record(&rec(15, 2, Some(7)));
        sink.record(&rec(15, 1, Some(8)));
        let out = String::from_utf8(sink.finish().unwrap()).unwrap();
        assert_eq!(out.lines().count(), 1, "{out}");
        assert!(out.contains("\"t_ns\":15") && out.contains("\"key\":7"));
    }

    /// A request for key 7 by client 9 (request number 1), and replies to it and to another.
    #[derive(Debug)]
    enum Rpc {
        Ask,
        Answer(u64),
    }

    impl Traced for Rpc {
        fn trace_json(&self) -> serde_json::Value {
            match self {
                Rpc::Ask => serde_json::json!({"req": 1}),
                Rpc::Answer(r) => serde_json::json!({"answers": r}),
            }
        }
        fn trace_request(&self) -> Option<(ProcId, u64)> {
            matches!(self, Rpc::Ask).then_some((ProcId(9), 1))
        }
        fn trace_reply(&self) -> Option<u64> {
            match self {
                Rpc::Answer(r) => Some(*r),
                Rpc::Ask => None,
            }
        }
    }

    #[test]
    fn a_reply_is_attributed_to_the_key_of_the_request_it_answers() {
        let filter = TraceFilter { key: Some(7), ..TraceFilter::default() };
        let mut sink = JsonlTrace::new(Vec::new(), filter);
        let (ask, ours, other) = (Rpc::Ask, Rpc::Answer(1), Rpc::Answer(2));
        let at = |t, proc, key, what| TraceRecord { time: SimTime(t), proc: Some(ProcId(proc)), key, what };
        let send = |msg| TraceWhat::Send { to: ProcId(9), kind: "reply", msg, depart: SimTime(3) };
        let deliver = |msg| TraceWhat::Deliver { from: ProcId(0), kind: "reply", msg };
        sink.record(&at(1, 9, Some(7), TraceWhat::Send { to: ProcId(0), kind: "ask", msg: &ask, depart: SimTime(1) }));
        sink.record(&at(2, 0, None, send(&ours)));
        sink.record(&at(2, 0, None, send(&other)));
        sink.record(&at(4, 9, None, deliver(&ours)));
        sink.record(&at(5, 9, None, deliver(&other)));
        sink.record(&at(6, 9, None, deliver(&ours))); // a duplicate, after the answer was taken
        let out = String::from_utf8(sink.finish().unwrap()).unwrap();
        let lines: Vec<serde_json::Value> = out.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
        let got: Vec<(u64, &str)> =
            lines.iter().map(|l| (l["t_ns"].as_u64().unwrap(), l["event"].as_str().unwrap())).collect();
        assert_eq!(got, vec![(1, "send"), (2, "send"), (4, "deliver")], "{out}");
        assert!(lines.iter().all(|l| l["key"] == 7), "{out}");
        assert_eq!(lines[1]["msg"], serde_json::json!({"answers": 1}), "messages are JSON values");
    }
}
