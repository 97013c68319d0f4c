//! The causal order of writes, from the history alone.
//!
//! A write's parents are the writes its context covered (what the client had read before
//! writing). Writes of one key form a DAG; `descends(a, b)` holds when `b` is an ancestor of
//! `a`. Parents are always invoked before their children (a context comes from a read that
//! finished before the write began), so invocation order is a topological order and ancestor
//! sets are built in one pass as bitsets per key.

use crate::history::{OpRecord, Outcome};
use dynamo_model::version::WriteId;
use sim_core::SimTime;
use std::collections::BTreeMap;

/// One write as the history recorded it.
#[derive(Clone, Debug)]
pub struct WriteInfo {
    /// Its id.
    pub id: WriteId,
    /// The key.
    pub key: u64,
    /// The writing client.
    pub client: u32,
    /// When it was invoked.
    pub invoked: SimTime,
    /// When it completed.
    pub completed: SimTime,
    /// Whether it was acknowledged.
    pub acked: bool,
    /// Whether it was a delete.
    pub tombstone: bool,
}

/// A fixed-size bitset over one key's writes.
#[derive(Clone, Debug, Default)]
struct Bits(Vec<u64>);

impl Bits {
    fn with_len(n: usize) -> Self {
        Bits(vec![0; n.div_ceil(64)])
    }
    fn set(&mut self, i: usize) {
        self.0[i / 64] |= 1 << (i % 64);
    }
    fn get(&self, i: usize) -> bool {
        self.0.get(i / 64).is_some_and(|w| w & (1 << (i % 64)) != 0)
    }
    fn union(&mut self, other: &Bits) {
        for (a, b) in self.0.iter_mut().zip(&other.0) {
            *a |= b;
        }
    }
}

/// Per key: the writes in invocation order and each one's ancestor set.
#[derive(Clone, Debug, Default)]
struct KeyWrites {
    writes: Vec<WriteInfo>,
    ancestors: Vec<Bits>,
}

/// The causal order of every write of a run.
#[derive(Clone, Debug, Default)]
pub struct Causality {
    keys: BTreeMap<u64, KeyWrites>,
    /// Write id → (key, index within the key).
    index: BTreeMap<WriteId, (u64, usize)>,
}

impl Causality {
    /// Builds the order from a history (any order of records).
    pub fn new(history: &[OpRecord]) -> Self {
        let mut writes: Vec<&OpRecord> = history.iter().filter(|r| r.write.is_some()).collect();
        writes.sort_by_key(|r| (r.invoked, r.client, r.write));
        let mut c = Causality::default();
        for r in &writes {
            let k = c.keys.entry(r.key).or_default();
            let id = r.write.unwrap_or_default();
            c.index.insert(id, (r.key, k.writes.len()));
            k.writes.push(WriteInfo {
                id,
                key: r.key,
                client: r.client,
                invoked: r.invoked,
                completed: r.completed,
                acked: r.outcome == Outcome::Ok,
                tombstone: r.kind == crate::history::OpKind::Delete,
            });
        }
        for r in &writes {
            c.link(r);
        }
        c
    }

    /// Sets the ancestors of `r`'s write: its parents and their ancestors.
    fn link(&mut self, r: &OpRecord) {
        let Some(&(key, i)) = r.write.and_then(|w| self.index.get(&w)) else { return };
        let parents: Vec<usize> =
            r.context.iter().filter_map(|p| self.index.get(p)).filter(|(k, _)| *k == key).map(|(_, j)| *j).collect();
        let k = self.keys.get_mut(&key).expect("indexed key exists");
        if k.ancestors.len() < k.writes.len() {
            k.ancestors = (0..k.writes.len()).map(|_| Bits::with_len(k.writes.len())).collect();
        }
        let mut mine = Bits::with_len(k.writes.len());
        for j in parents {
            debug_assert!(j < i, "a parent is invoked before its child");
            mine.set(j);
            mine.union(&k.ancestors[j]);
        }
        k.ancestors[i] = mine;
    }

    /// The write with this id.
    pub fn write(&self, id: WriteId) -> Option<&WriteInfo> {
        let &(key, i) = self.index.get(&id)?;
        self.keys.get(&key).map(|k| &k.writes[i])
    }

    /// Every write of `key`, in invocation order.
    pub fn writes_of(&self, key: u64) -> &[WriteInfo] {
        self.keys.get(&key).map_or(&[], |k| &k.writes)
    }

    /// The keys written.
    pub fn keys(&self) -> impl Iterator<Item = u64> + '_ {
        self.keys.keys().copied()
    }

    /// True when `b` is a (transitive) ancestor of `a`: `a` causally supersedes `b`.
    pub fn descends(&self, a: WriteId, b: WriteId) -> bool {
        match (self.index.get(&a), self.index.get(&b)) {
            (Some(&(ka, ia)), Some(&(kb, ib))) if ka == kb => {
                self.keys.get(&ka).is_some_and(|k| k.ancestors.get(ia).is_some_and(|bits| bits.get(ib)))
            }
            _ => false,
        }
    }

    /// True when `w` is the write `target` or supersedes it.
    pub fn covers(&self, w: WriteId, target: WriteId) -> bool {
        w == target || self.descends(w, target)
    }
}

impl Causality {
    /// P*: the latest write to `key` acknowledged before `t` (by completion time).
    pub fn latest_acked_before(&self, key: u64, t: SimTime) -> Option<&WriteInfo> {
        self.writes_of(key).iter().filter(|w| w.acked && w.completed < t).max_by_key(|w| (w.completed, w.id))
    }

    /// Whether a read of `key` invoked at `invoked` that returned `returned` is fresh: there
    /// was no acknowledged write before it, or it returned that latest write P*, a write that
    /// supersedes P*, or a write begun after P* committed (in-flight newer writes count as
    /// fresh, as in PBS).
    pub fn is_fresh(&self, key: u64, invoked: SimTime, returned: &[WriteId]) -> bool {
        let Some(p) = self.latest_acked_before(key, invoked) else { return true };
        returned.iter().any(|&w| self.covers(w, p.id) || self.write(w).is_some_and(|x| x.invoked > p.completed))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::history::{OpKind, OpRecord};

    fn write(id: u64, key: u64, t: u64, context: &[u64]) -> OpRecord {
        OpRecord {
            client: 1,
            group: 0,
            kind: OpKind::RmwWrite,
            key,
            invoked: SimTime(t),
            completed: SimTime(t + 1),
            outcome: Outcome::Ok,
            write: Some(WriteId(id)),
            context: context.iter().map(|&c| WriteId(c)).collect(),
            context_versions: vec![],
            read: None,
            own_write: None,
            probe_of: None,
            fastest: None,
        }
    }

    #[test]
    fn ancestors_are_transitive_and_per_key() {
        // 1 <- 2 <- 3 ; 4 concurrent with 2 ; 5 merges 3 and 4. Key 9 is separate.
        let h = vec![
            write(1, 7, 10, &[]),
            write(2, 7, 20, &[1]),
            write(4, 7, 21, &[1]),
            write(3, 7, 30, &[2]),
            write(5, 7, 40, &[3, 4]),
            write(6, 9, 50, &[1]),
        ];
        let c = Causality::new(&h);
        assert!(c.descends(WriteId(3), WriteId(1)), "transitive");
        assert!(c.descends(WriteId(5), WriteId(2)));
        assert!(!c.descends(WriteId(4), WriteId(2)), "concurrent");
        assert!(!c.descends(WriteId(2), WriteId(4)), "concurrent");
        assert!(!c.descends(WriteId(1), WriteId(3)), "not backwards");
        assert!(!c.descends(WriteId(6), WriteId(1)), "other key's context is ignored");
        assert!(c.covers(WriteId(2), WriteId(2)));
        assert_eq!(c.writes_of(7).len(), 5);
    }

    #[test]
    fn freshness_follows_the_latest_acknowledged_write() {
        // Writes complete at invoked + 1: 1@11, 2@21, 4@22, 3@31, 5@41.
        let h = vec![write(1, 7, 10, &[]), write(2, 7, 20, &[1]), write(4, 7, 21, &[1]), write(3, 7, 30, &[2])];
        let c = Causality::new(&h);
        assert_eq!(c.latest_acked_before(7, SimTime(25)).map(|w| w.id), Some(WriteId(4)));
        assert!(c.is_fresh(7, SimTime(5), &[]), "nothing acknowledged yet");
        assert!(c.is_fresh(7, SimTime(25), &[WriteId(4)]), "returns P*");
        assert!(!c.is_fresh(7, SimTime(25), &[WriteId(2)]), "misses P* (write 4)");
        assert!(c.is_fresh(7, SimTime(32), &[WriteId(3)]), "3 supersedes 2 = P*... and is P*");
        assert!(!c.is_fresh(7, SimTime(32), &[WriteId(1)]), "an ancestor of P* is stale");
        assert!(c.is_fresh(7, SimTime(25), &[WriteId(2), WriteId(3)]), "write 3 began after P* committed");
    }
}
