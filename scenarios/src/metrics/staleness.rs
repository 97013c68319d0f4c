//! Stale reads and k-staleness of ordinary reads (gets and the read half of read-modify-writes).
//!
//! For a successful read R of key k, P* is the latest write of k acknowledged before R was
//! invoked (by completion time). A write w returned by R *covers* an earlier write x when w is
//! x or descends from it by the clients' contexts, or when w was invoked after x completed (the
//! PBS rule: a newer write in flight counts as fresh). R is fresh when there is no P* or some
//! returned write covers P*; stale otherwise. Its k-staleness is the number of writes of k
//! acknowledged before R began that no returned write covers.
//!
//! A returned write the history does not know (one still in flight when the run ended) covers
//! only itself, as in `Causality::is_fresh`.

use super::bucketize;
use crate::analysis::causal::Causality;
use crate::history::{OpKind, OpRecord};
use dynamo_model::version::WriteId;
use reports::metrics::{StaleStats, StalenessSection, round6};
use sim_core::{SimDuration, SimTime};
use std::collections::BTreeMap;

/// The verdict on one ordinary successful read.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Verdict {
    /// It missed P* (and nothing it returned covers P*).
    pub stale: bool,
    /// Writes acknowledged before it began that nothing it returned covers.
    pub k: u32,
    /// Time from P*'s completion to the read's invocation; `None` without a P*.
    pub since_prior: Option<SimDuration>,
    /// Fresh only because a returned write was invoked after P* completed (no returned write
    /// descends from P*).
    pub via_newer: bool,
}

/// True for the reads staleness is measured on: gets and read-modify-write reads (probes have
/// their own t-visibility curve).
pub fn is_ordinary_read(kind: OpKind) -> bool {
    matches!(kind, OpKind::Get | OpKind::RmwRead)
}

/// An acknowledged write, for the sweep.
#[derive(Clone, Copy, Debug)]
struct Acked {
    completed: SimTime,
    id: WriteId,
}

/// The verdict on every ordinary successful read, by index into `history`; `None` for every
/// other record.
pub fn verdicts(history: &[OpRecord], c: &Causality) -> Vec<Option<Verdict>> {
    let mut acked: BTreeMap<u64, Vec<Acked>> = BTreeMap::new();
    for key in c.keys() {
        let mut list: Vec<Acked> =
            c.writes_of(key).iter().filter(|w| w.acked).map(|w| Acked { completed: w.completed, id: w.id }).collect();
        list.sort_by_key(|a| (a.completed, a.id));
        acked.insert(key, list);
    }
    history
        .iter()
        .map(|r| {
            let read = r.read.as_ref().filter(|_| r.ok() && is_ordinary_read(r.kind))?;
            let list = acked.get(&r.key).map_or(&[][..], Vec::as_slice);
            Some(judge(r.invoked, &read.writes, list, c))
        })
        .collect()
}

fn judge(invoked: SimTime, returned: &[WriteId], acked: &[Acked], c: &Causality) -> Verdict {
    let hi = acked.partition_point(|a| a.completed < invoked);
    if hi == 0 {
        return Verdict { stale: false, k: 0, since_prior: None, via_newer: false };
    }
    let prior = acked[hi - 1];
    // Writes acknowledged before the latest invocation among the returned ones are covered by
    // the in-flight rule.
    let newest_invoked = returned.iter().filter_map(|w| c.write(*w)).map(|i| i.invoked).max().unwrap_or(SimTime::ZERO);
    let descends = |x: WriteId| returned.iter().any(|w| c.covers(*w, x));
    let lo = acked.partition_point(|a| a.completed < newest_invoked).min(hi);
    let k = acked[lo..hi].iter().filter(|a| !descends(a.id)).count() as u32;
    let by_descent = descends(prior.id);
    let by_newer = prior.completed < newest_invoked;
    Verdict {
        stale: !(by_descent || by_newer),
        k,
        since_prior: Some(invoked - prior.completed),
        via_newer: by_newer && !by_descent,
    }
}

/// The staleness section: per ordinary read kind and `all`.
pub fn section(history: &[OpRecord], verdicts: &[Option<Verdict>]) -> StalenessSection {
    let mut by_kind = BTreeMap::new();
    let judged: Vec<(OpKind, &Verdict)> =
        history.iter().zip(verdicts).filter_map(|(r, v)| v.as_ref().map(|v| (r.kind, v))).collect();
    for kind in [OpKind::Get, OpKind::RmwRead] {
        let of_kind: Vec<&Verdict> = judged.iter().filter(|(k, _)| *k == kind).map(|(_, v)| *v).collect();
        if !of_kind.is_empty() {
            by_kind.insert(kind.name().to_string(), stats(&of_kind));
        }
    }
    let all: Vec<&Verdict> = judged.iter().map(|(_, v)| *v).collect();
    by_kind.insert("all".to_string(), stats(&all));
    StalenessSection { by_kind }
}

/// Staleness figures of a set of verdicts.
pub fn stats(vs: &[&Verdict]) -> StaleStats {
    let reads = vs.len() as u64;
    let stale = vs.iter().filter(|v| v.stale).count() as u64;
    StaleStats {
        reads,
        with_prior_write: vs.iter().filter(|v| v.since_prior.is_some()).count() as u64,
        stale,
        stale_ratio: (reads > 0).then(|| round6(stale as f64 / reads as f64)),
        fresh_via_newer_write: vs.iter().filter(|v| v.via_newer).count() as u64,
        k: bucketize(vs.iter().map(|v| u64::from(v.k))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::history::Outcome;
    use crate::metrics::testkit::{record, returned};

    fn write(id: u64, invoked: u64, completed: u64, context: &[u64]) -> OpRecord {
        let mut r = record(OpKind::RmwWrite, 7, invoked, completed);
        r.write = Some(WriteId(id));
        r.context = context.iter().map(|c| WriteId(*c)).collect();
        r
    }

    fn read(invoked: u64, writes: &[u64]) -> OpRecord {
        let mut r = record(OpKind::Get, 7, invoked, invoked + 1);
        r.read = Some(returned(writes, writes.len() as u32, 1));
        r
    }

    /// The verdict on the last record of `h` (a read).
    fn verdict(h: &[OpRecord]) -> Verdict {
        let c = Causality::new(h);
        verdicts(h, &c).last().copied().flatten().expect("the last record is a successful get")
    }

    #[test]
    fn a_read_of_a_never_written_key_is_fresh() {
        let v = verdict(&[read(5, &[])]);
        assert_eq!(v, Verdict { stale: false, k: 0, since_prior: None, via_newer: false });
    }

    #[test]
    fn returning_the_latest_acknowledged_write_is_fresh() {
        let v = verdict(&[write(1, 0, 10, &[]), write(2, 20, 30, &[1]), read(40, &[2])]);
        assert!(!v.stale);
        assert_eq!(v.k, 0, "write 2 descends from write 1");
        assert_eq!(v.since_prior, Some(SimDuration::from_millis(10)));
    }

    #[test]
    fn missing_the_latest_acknowledged_write_is_stale_and_counts_k() {
        // 1 <- 2 <- 3, all acknowledged before the read, which returns 1: two versions behind.
        let h = [write(1, 0, 10, &[]), write(2, 20, 30, &[1]), write(3, 40, 50, &[2]), read(60, &[1])];
        let v = verdict(&h);
        assert!(v.stale);
        assert_eq!(v.k, 2);
        // Returning nothing at all misses all three.
        let mut h2 = h.to_vec();
        h2[3] = read(60, &[]);
        assert_eq!(verdict(&h2).k, 3);
    }

    #[test]
    fn a_superseding_write_makes_a_read_fresh() {
        // 3 descends from 2 (P*; its writer read 2 from a replica before 2 was acknowledged), and
        // was invoked before 2 completed, so only descent makes the read fresh.
        let v = verdict(&[write(1, 0, 10, &[]), write(2, 20, 30, &[1]), write(3, 25, 100, &[2]), read(40, &[3])]);
        assert!(!v.stale);
        assert!(!v.via_newer);
        assert_eq!(v.k, 0);
    }

    #[test]
    fn an_in_flight_newer_write_counts_as_fresh() {
        // 3 is concurrent with P* = 2 (blind) but was invoked after 2 completed.
        let v = verdict(&[write(1, 0, 10, &[]), write(2, 20, 30, &[1]), write(3, 35, 100, &[]), read(40, &[3])]);
        assert!(!v.stale);
        assert!(v.via_newer);
        assert_eq!(v.k, 0, "1 and 2 completed before 3 was invoked");
        // A concurrent write invoked before P* completed does not count.
        let v = verdict(&[write(1, 0, 10, &[]), write(2, 20, 30, &[1]), write(3, 25, 100, &[]), read(40, &[3])]);
        assert!(v.stale);
        assert_eq!(v.k, 1, "1 completed before 3 was invoked; 2 did not");
    }

    #[test]
    fn a_write_acknowledged_after_the_read_began_is_not_required() {
        let v = verdict(&[write(1, 0, 10, &[]), write(2, 20, 45, &[1]), read(40, &[1])]);
        assert!(!v.stale);
        assert_eq!(v.k, 0);
    }

    #[test]
    fn failed_writes_are_never_required_and_concurrent_siblings_count_separately() {
        let mut failed = write(2, 20, 30, &[1]);
        failed.outcome = Outcome::Timeout;
        let v = verdict(&[write(1, 0, 10, &[]), failed, read(40, &[1])]);
        assert!(!v.stale, "only acknowledged writes are required");
        // Two concurrent acknowledged writes; the read returns only the later one: fresh, k=1.
        let v = verdict(&[write(1, 0, 10, &[]), write(2, 1, 20, &[]), read(40, &[2])]);
        assert!(!v.stale);
        assert_eq!(v.k, 1);
    }

    #[test]
    fn stats_count_ratio_and_buckets() {
        let v = |stale: bool, k: u32| Verdict { stale, k, since_prior: Some(SimDuration::ZERO), via_newer: false };
        let vs = [v(false, 0), v(true, 1), v(true, 5), v(false, 0)];
        let refs: Vec<&Verdict> = vs.iter().collect();
        let s = stats(&refs);
        assert_eq!((s.reads, s.stale, s.stale_ratio), (4, 2, Some(0.5)));
        assert_eq!(s.k.counts["0"], 2);
        assert_eq!(s.k.counts["1"], 1);
        assert_eq!(s.k.counts["4+"], 1);
        assert_eq!(s.k.mean, Some(1.5));
        assert_eq!(s.k.max, 5);
        assert_eq!(stats(&[]).stale_ratio, None);
    }
}
