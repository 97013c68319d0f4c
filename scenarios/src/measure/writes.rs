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
//!   of the acknowledged frontier, and the writes stamped more than once.
//!
//! The reads in flight (with what the key looked like when each began) are kept by
//! `Measure`, which hands their invocation times to [`KeyWrites::trim`].
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

/// A read in flight: when it began and, in DVV mode, the key's acknowledged writes then
/// (acknowledgements strictly before its invocation).
#[derive(Clone, Debug)]
pub struct ReadInFlight {
    /// When it began.
    pub invoked: SimTime,
    /// The acknowledged writes before it began (DVV mode only).
    pub before: Option<AckedState>,
    /// The replicas that answered it and what each held, once its coordinator answered (kept
    /// only for probe reads while a probes file is written).
    pub replies: Option<Vec<(dynamo_model::NodeId, dynamo_model::version::Versions)>>,
}

/// What DVV mode also keeps per key.
#[derive(Clone, Debug, Default)]
struct DvvState {
    /// The acknowledged writes now, and just before the latest acknowledgement instant.
    now: AckedState,
    before_now: (SimTime, AckedState),
    /// Writes a coordinator stamped, and those it stamped more than once.
    stamped: SeqSet,
    restamped: SeqSet,
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
    /// DVV mode's state (`None` in other modes).
    dvv: Option<Box<DvvState>>,
}

/// The writes no coordinator stamped twice: what [`KeyWrites::restamped`] gives outside DVV mode.
static NONE_RESTAMPED: SeqSet = SeqSet::new();

impl KeyWrites {
    /// A key's writes; `dvv` keeps DVV mode's state too.
    pub fn new(dvv: bool) -> Self {
        KeyWrites { dvv: dvv.then(Box::default), ..KeyWrites::default() }
    }

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

    /// A write finished: acknowledged (`ok`) or failed.
    pub fn write_done(&mut self, p: &Provenance, kind: OpKind, completed: SimTime, ok: bool) {
        self.completed += 1;
        if !ok {
            self.failed.insert(p.seq);
            return;
        }
        if let Some(d) = &mut self.dvv
            && d.before_now.0 != completed
        {
            d.before_now = (completed, d.now.clone());
        }
        self.acked.insert(p.seq);
        if let Some(d) = &mut self.dvv {
            let now = &mut d.now;
            if !p.past.is_empty() {
                Arc::make_mut(&mut now.superseded).union(&p.past);
            }
            now.acked += 1;
            now.frontier = self.acked.len() - self.acked.count_common(&now.superseded);
        }
        if self.recent.capacity() == 0 {
            self.recent.reserve_exact(1);
        }
        let w = AckedWrite { seq: p.seq, write: p.write, client: p.client, kind, invoked: p.invoked, completed };
        self.recent.push_back(w);
    }

    /// A read beginning at `at`, with what DVV mode needs to judge it (acknowledgements strictly
    /// before `at`).
    pub fn read_invoked(&self, at: SimTime) -> ReadInFlight {
        let before =
            self.dvv.as_ref().map(|d| if d.before_now.0 == at { d.before_now.1.clone() } else { d.now.clone() });
        ReadInFlight { invoked: at, before, replies: None }
    }

    /// The acknowledged writes kept, in completion order.
    pub fn recent(&self) -> &VecDeque<AckedWrite> {
        &self.recent
    }

    /// A coordinator stamped write `seq` (kept in DVV mode only).
    pub fn stamped(&mut self, seq: u32) {
        if let Some(d) = &mut self.dvv {
            if d.stamped.contains(seq) {
                d.restamped.insert(seq);
            } else {
                d.stamped.insert(seq);
            }
        }
    }

    /// The writes a coordinator stamped more than once (always empty outside DVV mode).
    pub fn restamped(&self) -> &SeqSet {
        self.dvv.as_ref().map_or(&NONE_RESTAMPED, |d| &d.restamped)
    }

    /// Keeps the last [`RECENT`] acknowledged writes, and for every read in flight (`reads`:
    /// their invocation times) the last [`RECENT`] acknowledged before it began: drops the
    /// oldest kept write while no read in flight needs it. Call it after an acknowledgement
    /// and after judging a read.
    pub fn trim(&mut self, reads: impl Iterator<Item = SimTime> + Clone) {
        while self.recent.len() > RECENT {
            let front = self.recent[0].completed;
            let needed = reads.clone().any(|t| front < t && self.recent.partition_point(|a| a.completed < t) <= RECENT);
            if needed {
                break;
            }
            self.recent.pop_front();
        }
    }

    /// Acknowledged writes kept (for the memory test).
    pub fn held_records(&self) -> usize {
        self.recent.len()
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
        let mut k = KeyWrites::new(false);
        let early = [t(5)];
        for i in 0..200u32 {
            k.write_done(&prov(i, &[]), OpKind::Put, t(10 + u64::from(i)), true);
            k.trim(early.iter().copied());
        }
        // Nothing was acknowledged before the read began: the window is just the last RECENT.
        assert_eq!(k.recent().len(), RECENT);
        let mut k = KeyWrites::new(false);
        for i in 0..100u32 {
            k.write_done(&prov(i, &[]), OpKind::Put, t(u64::from(i)), true);
            k.trim(std::iter::empty());
        }
        let read = [t(100)];
        for i in 100..300u32 {
            k.write_done(&prov(i, &[]), OpKind::Put, t(u64::from(i) + 1), true);
            k.trim(read.iter().copied());
        }
        let before = k.recent().iter().filter(|a| a.completed < t(100)).count();
        assert_eq!(before, RECENT, "the read in flight keeps RECENT writes acknowledged before it");
        assert_eq!(k.recent().len(), RECENT + 200);
        k.trim(std::iter::empty());
        assert_eq!(k.recent().len(), RECENT, "and lets them go once it is judged");
        assert_eq!(k.acked.len(), 300);
    }

    #[test]
    fn the_dvv_frontier_counts_acknowledged_writes_nothing_acknowledged_supersedes() {
        let mut k = KeyWrites::new(true);
        k.write_done(&prov(0, &[]), OpKind::Put, t(1), true);
        k.write_done(&prov(1, &[]), OpKind::Put, t(2), true);
        k.write_done(&prov(2, &[0]), OpKind::RmwWrite, t(3), true);
        let now = |k: &KeyWrites| k.read_invoked(t(1000)).before.unwrap();
        assert_eq!((now(&k).acked, now(&k).frontier), (3, 2), "1 and 2 are maximal");
        // A read invoked at the instant of an acknowledgement does not see it.
        k.write_done(&prov(3, &[1, 2, 0]), OpKind::RmwWrite, t(4), true);
        let r = k.read_invoked(t(4)).before.unwrap();
        assert_eq!((r.acked, r.frontier), (3, 2));
        let r = k.read_invoked(t(5)).before.unwrap();
        assert_eq!((r.acked, r.frontier), (4, 1));
        assert!(r.superseded.contains(2) && !r.superseded.contains(3));
        assert!(KeyWrites::new(false).read_invoked(t(5)).before.is_none(), "kept in DVV mode only");
    }

    #[test]
    fn writes_invoked_before_an_instant_exclude_that_instant() {
        let mut k = KeyWrites::default();
        k.write_invoked(t(1));
        k.write_invoked(t(2));
        k.write_invoked(t(2));
        assert_eq!((k.invoked_before(t(2)), k.invoked_before(t(3))), (1, 3));
    }

    #[test]
    fn stamps_are_kept_in_dvv_mode_only() {
        let mut k = KeyWrites::new(true);
        k.stamped(3);
        k.stamped(3);
        k.stamped(4);
        assert!(k.restamped().contains(3) && !k.restamped().contains(4));
        let mut plain = KeyWrites::new(false);
        plain.stamped(3);
        plain.stamped(3);
        assert!(plain.restamped().is_empty());
    }
}
