//! The trace: an always-on hash over every delivered event, and an opt-in structured sink.
//!
//! The hash mixes, for every event a process handles and every fault applied, the time, the
//! process, what happened and the message kind and size. Same scenario + seed + version ⇒ same
//! hash; a difference means the runs diverged. The JSONL sink writes one object per event,
//! filterable by process, key and time window.

use crate::id::ProcId;
use crate::time::SimTime;
use std::fmt::Debug;
use std::io::Write;

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
        msg: &'a dyn Debug,
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
        msg: &'a dyn Debug,
    },
    /// A process handled a timer.
    Timer {
        /// The timer.
        timer: &'a dyn Debug,
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
        fault: &'a dyn Debug,
    },
}

/// One trace record.
#[derive(Debug)]
pub struct TraceRecord<'a> {
    /// True time.
    pub time: SimTime,
    /// The process concerned (the receiver for messages; `None` for network-wide faults).
    pub proc: Option<ProcId>,
    /// The application key, when the message names one.
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
    fn keeps(&self, r: &TraceRecord<'_>) -> bool {
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
        let key_ok = is_fault || self.key.is_none_or(|k| r.key == Some(k));
        in_window && proc_ok && key_ok
    }
}

/// Writes trace records as JSON lines.
pub struct JsonlTrace<W: Write> {
    out: W,
    filter: TraceFilter,
    written: u64,
    error: Option<std::io::Error>,
}

impl<W: Write> JsonlTrace<W> {
    /// A sink writing to `out`, keeping what `filter` keeps.
    pub fn new(out: W, filter: TraceFilter) -> Self {
        JsonlTrace { out, filter, written: 0, error: None }
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

impl<W: Write> TraceSink for JsonlTrace<W> {
    fn record(&mut self, r: &TraceRecord<'_>) {
        if self.error.is_some() || !self.filter.keeps(r) {
            return;
        }
        let mut obj = serde_json::Map::new();
        obj.insert("t_ns".into(), r.time.0.into());
        if let Some(p) = r.proc {
            obj.insert("proc".into(), p.0.into());
        }
        if let Some(k) = r.key {
            obj.insert("key".into(), k.into());
        }
        match &r.what {
            TraceWhat::Send { to, kind, msg, depart } => {
                obj.insert("event".into(), "send".into());
                obj.insert("to".into(), to.0.into());
                obj.insert("depart_ns".into(), depart.0.into());
                obj.insert("kind".into(), (*kind).into());
                obj.insert("msg".into(), format!("{msg:?}").into());
            }
            TraceWhat::Deliver { from, kind, msg } => {
                obj.insert("event".into(), "deliver".into());
                obj.insert("from".into(), from.0.into());
                obj.insert("kind".into(), (*kind).into());
                obj.insert("msg".into(), format!("{msg:?}").into());
            }
            TraceWhat::Timer { timer } => {
                obj.insert("event".into(), "timer".into());
                obj.insert("timer".into(), format!("{timer:?}").into());
            }
            TraceWhat::Drop { from, kind, reason } => {
                obj.insert("event".into(), "drop".into());
                obj.insert("from".into(), from.0.into());
                obj.insert("kind".into(), (*kind).into());
                obj.insert("reason".into(), (*reason).into());
            }
            TraceWhat::Fault { fault } => {
                obj.insert("event".into(), "fault".into());
                obj.insert("fault".into(), format!("{fault:?}").into());
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
}
