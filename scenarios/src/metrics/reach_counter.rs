//! [`ReachCounter`]: the reachability oracle ([`super::reachability`]) sampled over a run.
//!
//! At each sampling instant measurement hands it the nodes up, the links blocked, the ring and
//! the clients up; it judges the instant (reusing the last verdict when none of those changed)
//! and adds it to the instant's report window and, while the workload runs, to the overall
//! mean. Memory: O(windows + distinct preference lists).

use super::reachability::{Quorums, Routing, Shares, Snapshot, shares, weighted_lists};
use dynamo_model::NodeId;
use dynamo_model::ring::Ring;
use reports::reachability::{ReachWindow, ReachabilitySection, ReadWrite};
use sim_core::{SimDuration, SimTime};
use std::sync::Arc;

/// What the oracle judges an instant from.
#[derive(Clone, Debug, Default, PartialEq)]
struct Inputs {
    up: Vec<bool>,
    clients: Vec<u32>,
    blocked: Vec<(u32, u32)>,
}

/// Sums of shares over sampling instants.
#[derive(Clone, Copy, Debug, Default)]
struct Sum {
    read: f64,
    write: f64,
    samples: u64,
}

impl Sum {
    fn add(&mut self, s: Shares) {
        self.read += s.read;
        self.write += s.write;
        self.samples += 1;
    }

    /// The means, to 6 decimals (sums of weights can exceed 1 by a rounding error).
    fn mean(&self) -> ReadWrite {
        let n = self.samples.max(1) as f64;
        let round = |x: f64| ((x / n).min(1.0) * 1e6).round() / 1e6;
        ReadWrite { read: round(self.read), write: round(self.write) }
    }
}

/// The oracle over a run.
pub struct ReachCounter {
    quorums: Quorums,
    n: usize,
    window: SimDuration,
    workload_end: SimTime,
    ring: Option<Arc<Ring>>,
    lists: Vec<(f64, Vec<NodeId>)>,
    last: Option<(Inputs, Shares)>,
    /// Per report window index.
    windows: Vec<Sum>,
    overall: Sum,
}

impl ReachCounter {
    /// An oracle for (N, R, W) under `routing`, summed per `window` and overall until
    /// `workload_end`.
    pub fn new(n: usize, quorums: Quorums, window: SimDuration, workload_end: SimTime) -> Self {
        ReachCounter {
            quorums,
            n,
            window,
            workload_end,
            ring: None,
            lists: Vec::new(),
            last: None,
            windows: Vec::new(),
            overall: Sum::default(),
        }
    }

    /// Judges the instant `t`: `up` per storage node, the clients up, the blocked links, and the
    /// ring the cluster uses.
    pub fn sample(
        &mut self,
        t: SimTime,
        up: &[bool],
        clients: impl Iterator<Item = u32>,
        blocked: impl Iterator<Item = (u32, u32)>,
        ring: &Arc<Ring>,
    ) {
        if !self.ring.as_ref().is_some_and(|r| Arc::ptr_eq(r, ring)) {
            self.lists = weighted_lists(ring, self.n);
            self.ring = Some(ring.clone());
            self.last = None;
        }
        let inputs = Inputs { up: up.to_vec(), clients: clients.collect(), blocked: blocked.collect() };
        let judged = match &self.last {
            Some((before, s)) if *before == inputs => *s,
            _ => {
                let snap =
                    Snapshot { up: &inputs.up, clients: &inputs.clients, blocked: &inputs.blocked, lists: &self.lists };
                let s = shares(&snap, &self.quorums);
                self.last = Some((inputs, s));
                s
            }
        };
        let i = (t.as_nanos() / self.window.as_nanos().max(1)) as usize;
        if self.windows.len() <= i {
            self.windows.resize(i + 1, Sum::default());
        }
        self.windows[i].add(judged);
        if t <= self.workload_end {
            self.overall.add(judged);
        }
    }

    /// The report section; `measured`: the run's read and write success ratios.
    pub fn section(&self, measured: ReadWrite) -> ReachabilitySection {
        let width = self.window.as_secs_f64();
        ReachabilitySection {
            computed: self.overall.samples > 0,
            definition: DEFINITION.to_string(),
            routing: match self.quorums.routing {
                Routing::ClientDriven => "client_driven",
                Routing::ThroughCoordinator => "through_coordinator",
            }
            .to_string(),
            r: self.quorums.r,
            w: self.quorums.w,
            n: self.n,
            samples: self.overall.samples,
            strict: self.overall.mean(),
            measured,
            windows: (self.windows.iter().enumerate())
                .filter(|(_, s)| s.samples > 0)
                .map(|(i, s)| ReachWindow { start_s: i as f64 * width, samples: s.samples, strict: s.mean() })
                .collect(),
        }
    }
}

/// `reachability.definition` in the report.
pub const DEFINITION: &str = "share of (client, key) pairs whose client could reach a strict quorum (R, or W, of the \
key's top N replicas, up and linked both ways) directly or through one coordinator, given the links cut and nodes \
down at each sampling instant; keys weighted uniformly over the hash space";

#[cfg(test)]
mod tests {
    use super::*;
    use dynamo_model::ring::{PartitionStrategy, RingMember};

    fn ring() -> Arc<Ring> {
        let members: Vec<RingMember> = (0..4).map(|i| RingMember::new(NodeId(i)).in_datacenter(0, 0)).collect();
        let strategy = PartitionStrategy::EqualPartitions { partitions: 64 };
        Arc::new(Ring::new(&members, strategy, &mut sim_core::SimRng::stream(1, "ring")).expect("valid ring"))
    }

    #[test]
    fn windows_average_their_instants_and_overall_stops_at_the_workload_end() {
        let q = Quorums { r: 2, w: 2, routing: Routing::ThroughCoordinator };
        let s = SimDuration::from_secs_f64(1.0);
        let mut c = ReachCounter::new(3, q, s, SimTime::ZERO + s);
        let ring = ring();
        let at = |x: f64| SimTime::ZERO + SimDuration::from_secs_f64(x);
        c.sample(at(0.5), &[true; 4], [4].into_iter(), std::iter::empty(), &ring);
        // Every node down but one: no list has 2 of 3 up.
        c.sample(at(0.9), &[true, false, false, false], [4].into_iter(), std::iter::empty(), &ring);
        c.sample(at(1.5), &[false; 4], [4].into_iter(), std::iter::empty(), &ring);
        let sec = c.section(ReadWrite { read: 0.9, write: 0.8 });
        assert!(sec.computed);
        assert_eq!(sec.samples, 2, "the instant after the workload ended is not in the overall mean");
        assert_eq!(sec.strict, ReadWrite { read: 0.5, write: 0.5 });
        assert_eq!(sec.windows.len(), 2);
        assert_eq!((sec.windows[0].samples, sec.windows[0].strict.read), (2, 0.5));
        assert_eq!((sec.windows[1].start_s, sec.windows[1].strict.write), (1.0, 0.0));
    }
}
