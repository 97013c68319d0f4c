//! Test support: replicas of one key, clients, and in-flight replication messages, driven by a
//! script of random steps, with the ground-truth causal order of every write to check against.

use std::collections::{BTreeMap, BTreeSet};

use proptest::prelude::*;

use super::{Context, Sibling, Value, VersioningMode, Versions, WriteId};
use crate::NodeId;

/// One event of a scripted run. Indices wrap around the cluster's sizes.
#[derive(Clone, Copy, Debug)]
pub(super) enum Step {
    /// The client reads its home replica, merged with replica `also` if it exists.
    Read { client: usize, also: usize },
    /// The client writes through its home replica, whose clock first advances by `tick_ns`.
    Write { client: usize, tick_ns: u64 },
    /// One in-flight replication message arrives.
    Deliver { pick: usize },
    /// One in-flight replication message is lost.
    Drop { pick: usize },
    /// Anti-entropy: replica `to` merges replica `from`'s set.
    Sync { from: usize, to: usize },
}

/// Random scripts of up to `max_len` steps.
pub(super) fn arb_steps(max_len: usize) -> impl Strategy<Value = Vec<Step>> {
    let step = prop_oneof![
        2 => (0usize..8, 0usize..8).prop_map(|(client, also)| Step::Read { client, also }),
        3 => (0usize..8, 0u64..3_000).prop_map(|(client, tick_ns)| Step::Write { client, tick_ns }),
        2 => (0usize..64).prop_map(|pick| Step::Deliver { pick }),
        1 => (0usize..64).prop_map(|pick| Step::Drop { pick }),
        1 => (0usize..8, 0usize..8).prop_map(|(from, to)| Step::Sync { from, to }),
    ];
    prop::collection::vec(step, 0..max_len)
}

struct Client {
    home: usize,
    ctx: Context,
    /// The true causal past of the client's next write: what its last read returned, and
    /// everything those writes had seen.
    seen: BTreeSet<WriteId>,
    read_since_write: bool,
}

/// Replicas of one key, with clients sticky to a home replica (so each reads its own writes).
pub(super) struct Cluster {
    mode: VersioningMode,
    replicas: Vec<Versions>,
    node_now_ns: Vec<u64>,
    in_flight: Vec<(usize, Versions)>,
    clients: Vec<Client>,
    read_modify_write: bool,
    causal_past: BTreeMap<WriteId, BTreeSet<WriteId>>,
    writes: Vec<Sibling>,
}

impl Cluster {
    /// A cluster with skewed node clocks. With `read_modify_write`, a client always reads
    /// before writing; otherwise it may write again with the context of an older read.
    pub(super) fn new(mode: VersioningMode, replicas: usize, clients: usize, read_modify_write: bool) -> Self {
        let client = |i: usize| Client {
            home: i % replicas,
            ctx: Context::empty(),
            seen: BTreeSet::new(),
            read_since_write: true,
        };
        Cluster {
            mode,
            replicas: vec![Versions::new(); replicas],
            node_now_ns: (0..replicas as u64).map(|i| (replicas as u64 - i) * 5_000).collect(),
            in_flight: Vec::new(),
            clients: (0..clients).map(client).collect(),
            read_modify_write,
            causal_past: BTreeMap::new(),
            writes: Vec::new(),
        }
    }

    /// Runs one step.
    pub(super) fn apply(&mut self, step: Step) {
        let (clients, replicas) = (self.clients.len(), self.replicas.len());
        match step {
            Step::Read { client, also } => self.read(client % clients, also),
            Step::Write { client, tick_ns } => self.write(client % clients, tick_ns),
            Step::Deliver { pick } => {
                if let Some((to, set)) = self.take_message(pick) {
                    self.replicas[to].merge(&set);
                }
            }
            Step::Drop { pick } => drop(self.take_message(pick)),
            Step::Sync { from, to } => {
                let set = self.replicas[from % replicas].clone();
                self.replicas[to % replicas].merge(&set);
            }
        }
    }

    fn read(&mut self, c: usize, also: usize) {
        let mut got = self.replicas[self.clients[c].home].clone();
        if let Some(other) = self.replicas.get(also) {
            got.merge(other);
        }
        let seen = self.closure(&got.write_ids());
        let client = &mut self.clients[c];
        client.ctx = got.context();
        client.seen = seen;
        client.read_since_write = true;
    }

    fn write(&mut self, c: usize, tick_ns: u64) {
        if self.read_modify_write && !self.clients[c].read_since_write {
            self.read(c, usize::MAX);
        }
        let id = WriteId(self.writes.len() as u64 + 1);
        let value = Value::plain(id, 64, false);
        let client = &mut self.clients[c];
        let home = client.home;
        self.node_now_ns[home] += tick_ns;
        let now = self.node_now_ns[home];
        let update = self.replicas[home].coordinate_put(self.mode, &client.ctx, NodeId(home as u32), now, value);
        client.read_since_write = false;
        self.causal_past.insert(id, client.seen.clone());
        let created = update.siblings().iter().find(|s| s.write_id() == id);
        self.writes.push(created.expect("the update carries the new version").clone());
        for to in (0..self.replicas.len()).filter(|&to| to != home) {
            self.in_flight.push((to, update.clone()));
        }
    }

    fn take_message(&mut self, pick: usize) -> Option<(usize, Versions)> {
        let len = self.in_flight.len();
        (len > 0).then(|| self.in_flight.remove(pick % len))
    }

    fn closure(&self, ids: &[WriteId]) -> BTreeSet<WriteId> {
        let mut seen: BTreeSet<WriteId> = ids.iter().copied().collect();
        for id in ids {
            seen.extend(self.causal_past[id].iter().copied());
        }
        seen
    }

    /// The most siblings any replica or in-flight message holds.
    pub(super) fn max_siblings(&self) -> usize {
        self.all_sets().iter().map(Versions::len).max().unwrap_or(0)
    }

    /// Every replica's set and every in-flight message.
    pub(super) fn all_sets(&self) -> Vec<Versions> {
        let messages = self.in_flight.iter().map(|(_, set)| set.clone());
        self.replicas.iter().cloned().chain(messages).collect()
    }

    /// All replicas' sets and in-flight messages merged: the state after full anti-entropy.
    pub(super) fn everything_merged(&self) -> Versions {
        let mut all = Versions::new();
        for set in self.all_sets() {
            all.merge(&set);
        }
        all
    }

    /// Each write's version as its coordinator created it.
    pub(super) fn all_writes(&self) -> &[Sibling] {
        &self.writes
    }

    /// The writes no other write had seen (the maximal elements of the true causal order),
    /// ascending: what a perfect versioning scheme keeps as siblings.
    pub(super) fn true_frontier(&self) -> Vec<WriteId> {
        let seen: BTreeSet<WriteId> = self.causal_past.values().flatten().copied().collect();
        self.causal_past.keys().filter(|id| !seen.contains(id)).copied().collect()
    }
}
