//! [`KeyWrites`]: what measurement keeps about one key's writes, as they start and finish.
//!
//! Per key, and bounded whatever the number of operations:
//! - the acknowledged and the failed writes, as [`SeqSet`]s of the key's sequence numbers (one
//!   run for a key whose writes all succeeded; a run per gap otherwise);
//! - the last [`RECENT`] acknowledged writes in completion order ([`AckedWrite`]), which is what
//!   a read can still be judged against (the latest write acknowledged before it began, and the
//!   ones it may have missed); while reads are in flight, the window keeps [`RECENT`] writes
//!   acknowledged before the oldest one began, so every read is judged exactly up to
//!   k = [`RECENT`] versions behind;
//! - in DVV mode, what the acknowledged writes supersede (the union of their pasts), the size
//!   of the acknowledged frontier, and the writes stamped more than once;
//! - the reads in flight, with what the key looked like when each began.
//!
//! A write's causal past itself travels in its value ([`Provenance`]), not here.

use crate::history::OpKind;
use crate::workload::provenance::Provenance;
use crate::workload::seqset::SeqSet;
use dynamo_model::version::WriteId;
use sim_core::SimTime;
use std::collections::VecDeque;
use std::sync::Arc;

/// How many acknowledged writes a key keeps for judging reads: k-staleness is exact up to this.
pub const RECENT: usize = 64;

/// One acknowledged write, as a read is judged against it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AckedWrite {
    /// Its sequence number among the key's writes.
    pub seq: u32,
    /// Its id.
    pub write: WriteId,
    /// The writing client.
    pub client: u32,
    /// What kind of write.
    pub kind: OpKind,
    /// When it was invoked.
    pub invoked: SimTime,
    /// When it was acknowledged.
    pub completed: SimTime,
}

/// What the key's acknowledged writes looked like at one moment (DVV mode's sibling bound).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct AckedState {
    /// Writes acknowledged.
    pub acked: u64,
    /// Acknowledged writes no other acknowledged write supersedes.
    pub frontier: u64,
    /// The writes some acknowledged write supersedes (the union of their pasts).
    pub superseded: Arc<SeqSet>,
}

/// A read in flight and the key as it was when the read began (acknowledgements strictly
/// before its invocation).
#[derive(Clone, Debug)]
pub struct ReadInFlight {
    /// The client.
    pub client: u32,
    /// Its request number.
    pub req: u64,
    /// When it began.
    pub invoked: SimTime,
    /// The acknowledged writes before it began (DVV mode only; default otherwise).
    pub before: AckedState,
}

/// One key's writes, as measurement follows them.
#[derive(Clone, Debug, Default)]
pub struct KeyWrites {
    /// Writes invoked so far.
    invoked: u64,
    /// The latest invocation instant and how many writes were invoked at it.
    invoked_at: (SimTime, u64),
    /// Writes that completed (acknowledged or not).
    pub completed: u64,
    /// Sequence numbers of acknowledged writes.
    pub acked: SeqSet,
    /// Sequence numbers of writes that failed.
    pub failed: SeqSet,
    /// The last acknowledged writes, in completion order.
    recent: VecDeque<AckedWrite>,
    /// The acknowledged writes now, and just before the latest acknowledgement instant.
    now: AckedState,
    before_now: (SimTime, AckedState),
    /// Reads in flight.
    reads: Vec<ReadInFlight>,
    /// Writes stamped by a coordinator, and those stamped more than once.
    stamped: SeqSet,
    /// Writes a coordinator stamped more than once (a re-forwarded put).
    pub restamped: SeqSet,
}

impl KeyWrites {
    /// A write began.
    pub fn write_invoked(&mut self, at: SimTime) {
        self.invoked += 1;
        if self.invoked_at.0 == at {
            self.invoked_at.1 += 1;
        } else {
            self.invoked_at = (at, 1);
        }
    }

    /// Writes invoked strictly before `t` (`t` no earlier than the latest invocation).
    pub fn invoked_before(&self, t: SimTime) -> u64 {
        debug_assert!(t >= self.invoked_at.0);
        if self.invoked_at.0 == t { self.invoked - self.invoked_at.1 } else { self.invoked }
    }

    /// A write finished: acknowledged (`ok`) or failed. `dvv` keeps the frontier.
    pub fn write_done(&mut self, p: &Provenance, kind: OpKind, completed: SimTime, ok: bool, dvv: bool) {
        self.completed += 1;
        if !ok {
            self.failed.insert(p.seq);
            return;
        }
        if dvv && self.before_now.0 != completed {
            self.before_now = (completed, self.now.clone());
        }
        self.acked.insert(p.seq);
        if dvv {
            self.track_supersession(p);
        }
        let w = AckedWrite { seq: p.seq, write: p.write, client: p.client, kind, invoked: p.invoked, completed };
        self.recent.push_back(w);
        self.trim();
    }

    /// Adds acknowledged write `p` (already in `acked`) to the DVV state.
    fn track_supersession(&mut self, p: &Provenance) {
        let now = &mut self.now;
        if !p.past.is_empty() {
            Arc::make_mut(&mut now.superseded).union(&p.past);
        }
        now.acked += 1;
        now.frontier = self.acked.len() - self.acked.count_common(&now.superseded);
    }

    /// The acknowledged writes strictly before `t` (DVV mode).
    fn acked_before(&self, t: SimTime) -> AckedState {
        if self.before_now.0 == t { self.before_now.1.clone() } else { self.now.clone() }
    }

    /// A read began at `at`.
    pub fn read_invoked(&mut self, client: u32, req: u64, at: SimTime, dvv: bool) {
        let before = if dvv { self.acked_before(at) } else { AckedState::default() };
        self.reads.push(ReadInFlight { client, req, invoked: at, before });
    }

    /// A read finished (or its client crashed): forget it; returns what it began with. Judge
    /// it before calling [`KeyWrites::trim`], which may drop writes only it needed.
    pub fn read_done(&mut self, client: u32, req: u64) -> Option<ReadInFlight> {
        let i = self.reads.iter().position(|r| r.client == client && r.req == req)?;
        Some(self.reads.swap_remove(i))
    }

    /// The acknowledged writes kept, in completion order.
    pub fn recent(&self) -> &VecDeque<AckedWrite> {
        &self.recent
    }

    /// A coordinator stamped write `seq`.
    pub fn stamped(&mut self, seq: u32) {
        if self.stamped.contains(seq) {
            self.restamped.insert(seq);
        } else {
            self.stamped.insert(seq);
        }
    }

    /// Keeps the last [`RECENT`] acknowledged writes, and for every read in flight the last
    /// [`RECENT`] acknowledged before it began: drops the oldest kept write while no read in
    /// flight needs it.
    pub fn trim(&mut self) {
        while self.recent.len() > RECENT {
            let front = self.recent[0].completed;
            let needed = self
                .reads
                .iter()
                .any(|r| front < r.invoked && self.recent.partition_point(|a| a.completed < r.invoked) <= RECENT);
            if needed {
                break;
            }
            self.recent.pop_front();
        }
    }

    /// Records held (for the memory test): kept acknowledged writes plus reads in flight.
    pub fn held_records(&self) -> usize {
        self.recent.len() + self.reads.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn prov(seq: u32, past: &[u32]) -> Provenance {
        Provenance {
            seq,
            write: WriteId(100 + u64::from(seq)),
            past: past.iter().copied().collect(),
            ..Provenance::default()
        }
    }

    fn t(ms: u64) -> SimTime {
        SimTime(ms * 1_000_000)
    }

    #[test]
    fn the_window_keeps_recent_writes_and_those_a_read_in_flight_needs() {
        let mut k = KeyWrites::default();
        k.read_invoked(1, 1, t(5), false);
        for i in 0..200u32 {
            k.write_done(&prov(i, &[]), OpKind::Put, t(10 + u64::from(i)), true, false);
        }
        // Nothing was acknowledged before the read began: the window is just the last RECENT.
        assert_eq!(k.recent().len(), RECENT);
        let mut k = KeyWrites::default();
        for i in 0..100u32 {
            k.write_done(&prov(i, &[]), OpKind::Put, t(u64::from(i)), true, false);
        }
        k.read_invoked(1, 7, t(100), false);
        for i in 100..300u32 {
            k.write_done(&prov(i, &[]), OpKind::Put, t(u64::from(i) + 1), true, false);
        }
        let before = k.recent().iter().filter(|a| a.completed < t(100)).count();
        assert_eq!(before, RECENT, "the read in flight keeps RECENT writes acknowledged before it");
        assert_eq!(k.recent().len(), RECENT + 200);
        assert!(k.read_done(1, 7).is_some());
        assert_eq!(k.recent().len(), RECENT + 200, "kept until the read is judged");
        k.trim();
        assert_eq!(k.recent().len(), RECENT, "and let go after");
        assert_eq!(k.acked.len(), 300);
    }

    #[test]
    fn the_dvv_frontier_counts_acknowledged_writes_nothing_acknowledged_supersedes() {
        let mut k = KeyWrites::default();
        k.write_done(&prov(0, &[]), OpKind::Put, t(1), true, true);
        k.write_done(&prov(1, &[]), OpKind::Put, t(2), true, true);
        k.write_done(&prov(2, &[0]), OpKind::RmwWrite, t(3), true, true);
        assert_eq!((k.now.acked, k.now.frontier), (3, 2), "1 and 2 are maximal");
        // A read invoked at the instant of an acknowledgement does not see it.
        k.write_done(&prov(3, &[1, 2, 0]), OpKind::RmwWrite, t(4), true, true);
        k.read_invoked(9, 1, t(4), true);
        let r = k.read_done(9, 1).unwrap();
        assert_eq!((r.before.acked, r.before.frontier), (3, 2));
        k.read_invoked(9, 2, t(5), true);
        let r = k.read_done(9, 2).unwrap();
        assert_eq!((r.before.acked, r.before.frontier), (4, 1));
        assert!(r.before.superseded.contains(2) && !r.before.superseded.contains(3));
    }

    #[test]
    fn writes_invoked_before_an_instant_exclude_that_instant() {
        let mut k = KeyWrites::default();
        k.write_invoked(t(1));
        k.write_invoked(t(2));
        k.write_invoked(t(2));
        assert_eq!((k.invoked_before(t(2)), k.invoked_before(t(3))), (1, 3));
    }
}
