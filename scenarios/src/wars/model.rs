//! The WARS model (PBS §4–5) of a scenario, and its seeded Monte Carlo.
//!
//! A write is sent to replicas that receive it after `W` and acknowledge after `A`; it commits
//! at its W-th acknowledgement (`wt`). A read that starts `t` later asks replicas that receive
//! the request after `R` and answer after `S`; it returns the first R answers. Replica i's
//! answer holds the write iff the write reached it before the read request did:
//! `W[i] ≤ wt + t + R[i]`. So each trial gives one threshold `t* = min over the read's
//! responders of W[i] − wt − R[i]` (∞ for a responder the write was never sent to), and the
//! read is consistent exactly when `t ≥ t*`: p(t) is the distribution function of `t*`, and one
//! set of trials serves every t of the grid.
//!
//! Quorum shapes: `expanding` sends both to all N (commit at the W-th fastest W+A, return at
//! the R-th fastest R+S); `static` sends a write to W of the N and a read to R, chosen
//! uniformly, and waits for all of them; `read_fan_out` writes to all N and reads from R.
//!
//! Legs: each leg's distribution is the one the network would draw for its message kind
//! between two storage nodes. When no leg differs by link class, the trials draw legs only.
//! When one does (link-class defaults, PBS's WAN), each trial also places the write's and the
//! read's coordinators and the N replicas on the cluster's nodes (replicas: N distinct nodes
//! drawn uniformly; a coordinator: a uniformly random node behind a load balancer, else the
//! first replica), and draws each leg from its link's class. That placement is exact when every
//! key lives on every node and close for random tokens.
//!
//! Cost: about 4N draws and a sort of N values per trial, 24 bytes kept per trial; nothing
//! allocates per trial. The trials draw from their own stream `wars`, derived from the run's
//! seed, after the run: the simulation's streams and trace hash never see them.

use crate::spec::dynamo::QuorumShape;
use sim_core::SimRng;
use sim_core::dist::{Dist, DistError, DistSpec};
use sim_core::topology::{LinkClass, Placement};

/// The name of the predictor's random stream.
pub const STREAM: &str = "wars";

/// One leg's distribution on each link class (indexed by `LinkClass as usize`).
#[derive(Clone, Debug, PartialEq)]
pub struct ClassLeg {
    /// As configured, per class.
    pub specs: [DistSpec; 4],
    dists: [Dist; 4],
}

impl ClassLeg {
    /// The leg with these per-class distributions.
    pub fn new(specs: [DistSpec; 4]) -> Result<ClassLeg, DistError> {
        let [a, b, c, d] = &specs;
        let dists = [Dist::new(a)?, Dist::new(b)?, Dist::new(c)?, Dist::new(d)?];
        Ok(ClassLeg { specs, dists })
    }

    /// The same distribution on every class.
    pub fn uniform(spec: DistSpec) -> Result<ClassLeg, DistError> {
        ClassLeg::new([spec.clone(), spec.clone(), spec.clone(), spec])
    }

    /// Whether the distribution is the same on every class in `classes`.
    pub fn same_on(&self, classes: &[LinkClass]) -> bool {
        classes.iter().all(|c| self.specs[*c as usize] == self.specs[classes[0] as usize])
    }

    fn sample(&self, class: LinkClass, rng: &mut SimRng) -> f64 {
        self.dists[class as usize].sample(rng).max(0.0)
    }
}

/// How a request's coordinator is chosen.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CoordinatorChoice {
    /// A load balancer: any node, uniformly.
    AnyNode,
    /// A partition-aware client: the key's first replica.
    FirstReplica,
}

/// Everything the WARS model needs.
#[derive(Clone, Debug, PartialEq)]
pub struct WarsModel {
    /// Replicas per key.
    pub n: usize,
    /// Read quorum.
    pub r: usize,
    /// Write quorum.
    pub w: usize,
    /// Which replicas a read and a write are sent to.
    pub shape: QuorumShape,
    /// W, A, R, S.
    pub legs: [ClassLeg; 4],
    /// The storage nodes' places (used only when `per_class`).
    pub nodes: Vec<Placement>,
    /// How coordinators are chosen (used only when `per_class`).
    pub coordinator: CoordinatorChoice,
    /// Whether some leg differs between the link classes that join storage nodes.
    pub per_class: bool,
}

/// The raw outcome of the trials: per trial, `t*`, the read latency and the write latency
/// (ms), each sorted ascending.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Trials {
    /// Thresholds: the read is consistent for every t ≥ t*. `+∞` when no responder was sent
    /// the write.
    pub t_star: Vec<f64>,
    /// Read latencies.
    pub read_ms: Vec<f64>,
    /// Write latencies.
    pub write_ms: Vec<f64>,
}

/// Per-trial scratch space, allocated once.
struct Scratch {
    w: Vec<f64>,
    a: Vec<f64>,
    r: Vec<f64>,
    s: Vec<f64>,
    order: Vec<usize>,
    written: Vec<bool>,
    nodes: Vec<usize>,
}

impl WarsModel {
    /// The link classes that join storage nodes (a node to itself included).
    pub fn classes_between(nodes: &[Placement]) -> Vec<LinkClass> {
        let mut seen = [false; 4];
        for (i, a) in nodes.iter().enumerate() {
            for b in &nodes[i..] {
                seen[class_of(a, b, std::ptr::eq(a, b)) as usize] = true;
            }
        }
        LinkClass::ALL.into_iter().filter(|c| seen[*c as usize]).collect()
    }

    /// Runs `trials` trials on the stream [`STREAM`] of `seed`.
    pub fn run(&self, seed: u64, trials: u64) -> Trials {
        debug_assert!(self.r >= 1 && self.w >= 1 && self.r <= self.n && self.w <= self.n);
        debug_assert!(!self.per_class || self.nodes.len() >= self.n);
        let mut rng = SimRng::stream(seed, STREAM);
        let n = self.n;
        let mut x = Scratch {
            w: vec![0.0; n],
            a: vec![0.0; n],
            r: vec![0.0; n],
            s: vec![0.0; n],
            order: (0..n).collect(),
            written: vec![true; n],
            nodes: (0..self.nodes.len()).collect(),
        };
        let cap = usize::try_from(trials).unwrap_or(usize::MAX);
        let mut out = Trials {
            t_star: Vec::with_capacity(cap),
            read_ms: Vec::with_capacity(cap),
            write_ms: Vec::with_capacity(cap),
        };
        for _ in 0..trials {
            let (t_star, read, write) = self.trial(&mut rng, &mut x);
            out.t_star.push(t_star);
            out.read_ms.push(read);
            out.write_ms.push(write);
        }
        for v in [&mut out.t_star, &mut out.read_ms, &mut out.write_ms] {
            v.sort_unstable_by(f64::total_cmp);
        }
        out
    }

    /// One trial: (t*, read latency, write latency).
    fn trial(&self, rng: &mut SimRng, x: &mut Scratch) -> (f64, f64, f64) {
        self.draw_legs(rng, x);
        let n = self.n;
        // The write.
        let write = match self.shape {
            QuorumShape::Static => {
                choose(rng, &mut x.order, self.w);
                x.written.iter_mut().for_each(|b| *b = false);
                x.order[..self.w].iter().for_each(|&i| x.written[i] = true);
                x.order[..self.w].iter().map(|&i| x.w[i] + x.a[i]).fold(0.0, f64::max)
            }
            QuorumShape::Expanding | QuorumShape::ReadFanOut => {
                x.written.iter_mut().for_each(|b| *b = true);
                kth_smallest(&mut x.order, |i| x.w[i] + x.a[i], self.w)
            }
        };
        // The read: its responders are x.order[..r].
        let read = match self.shape {
            QuorumShape::Expanding => kth_smallest(&mut x.order, |i| x.r[i] + x.s[i], self.r),
            QuorumShape::Static | QuorumShape::ReadFanOut => {
                choose(rng, &mut x.order, self.r);
                x.order[..self.r].iter().map(|&i| x.r[i] + x.s[i]).fold(0.0, f64::max)
            }
        };
        debug_assert!(x.order.len() == n);
        let t_star = x.order[..self.r]
            .iter()
            .map(|&i| if x.written[i] { x.w[i] - write - x.r[i] } else { f64::INFINITY })
            .fold(f64::INFINITY, f64::min);
        (t_star, read, write)
    }

    /// Draws W[i], A[i], R[i], S[i] for the N replicas, placing coordinators and replicas on
    /// nodes first when legs differ by class.
    fn draw_legs(&self, rng: &mut SimRng, x: &mut Scratch) {
        let [lw, la, lr, ls] = &self.legs;
        if !self.per_class {
            let c = LinkClass::SameRack;
            for i in 0..self.n {
                (x.w[i], x.a[i]) = (lw.sample(c, rng), la.sample(c, rng));
                (x.r[i], x.s[i]) = (lr.sample(c, rng), ls.sample(c, rng));
            }
            return;
        }
        choose(rng, &mut x.nodes, self.n);
        let coordinator = |rng: &mut SimRng| match self.coordinator {
            CoordinatorChoice::AnyNode => rng.index(self.nodes.len()),
            CoordinatorChoice::FirstReplica => x.nodes[0],
        };
        let (cw, cr) = (coordinator(rng), coordinator(rng));
        for i in 0..self.n {
            let node = x.nodes[i];
            let (to_w, to_r) = (self.class(cw, node), self.class(cr, node));
            (x.w[i], x.a[i]) = (lw.sample(to_w, rng), la.sample(to_w, rng));
            (x.r[i], x.s[i]) = (lr.sample(to_r, rng), ls.sample(to_r, rng));
        }
    }

    fn class(&self, a: usize, b: usize) -> LinkClass {
        class_of(&self.nodes[a], &self.nodes[b], a == b)
    }
}

/// The class of the link between two places (`same`: the same process).
fn class_of(a: &Placement, b: &Placement, same: bool) -> LinkClass {
    match (same, a.datacenter == b.datacenter, a.rack == b.rack) {
        (true, _, _) => LinkClass::Loopback,
        (false, true, true) => LinkClass::SameRack,
        (false, true, false) => LinkClass::SameDatacenter,
        (false, false, _) => LinkClass::CrossDatacenter,
    }
}

/// Moves `k` uniformly chosen items to the front of `items` (a partial Fisher–Yates shuffle;
/// k draws).
fn choose(rng: &mut SimRng, items: &mut [usize], k: usize) {
    for i in 0..k {
        let j = i + rng.index(items.len() - i);
        items.swap(i, j);
    }
}

/// Orders `order` by `key` and returns the k-th smallest key (k ≥ 1).
fn kth_smallest(order: &mut [usize], key: impl Fn(usize) -> f64, k: usize) -> f64 {
    order.sort_unstable_by(|&i, &j| key(i).total_cmp(&key(j)).then(i.cmp(&j)));
    key(order[k - 1])
}

#[cfg(test)]
mod tests {
    use super::*;

    fn model(shape: QuorumShape, r: usize, w: usize) -> WarsModel {
        let leg = |mean| ClassLeg::uniform(DistSpec::Exponential { mean }).unwrap();
        WarsModel {
            n: 3,
            r,
            w,
            shape,
            legs: [leg(5.0), leg(1.0), leg(1.0), leg(1.0)],
            nodes: vec![Placement::default(); 3],
            coordinator: CoordinatorChoice::AnyNode,
            per_class: false,
        }
    }

    #[test]
    fn overlapping_quorums_are_never_stale_at_or_after_commit() {
        for shape in [QuorumShape::Expanding, QuorumShape::Static, QuorumShape::ReadFanOut] {
            for (r, w) in [(1, 3), (2, 2), (3, 1)] {
                let t = model(shape, r, w).run(1, 20_000);
                assert_eq!(t.p_at(0.0), 1.0, "{shape:?} R={r} W={w}");
            }
            let partial = model(shape, 1, 1).run(1, 20_000);
            assert!(partial.p_at(0.0) < 0.9, "{shape:?} R=W=1 is stale sometimes");
        }
    }

    #[test]
    fn latencies_are_the_quorums_order_statistics() {
        // One replica answering: R=N waits for the slowest of three round trips.
        let [fast, slow] = [1, 3].map(|r| model(QuorumShape::Expanding, r, 1).run(2, 50_000));
        let mean = |v: &[f64]| v.iter().sum::<f64>() / v.len() as f64;
        // Round trip R+S ~ Gamma(2, 1): the minimum and maximum of three have means 0.963 and 3.213 (∫S³ and 3·2 − 3·∫S² + ∫S³, S(x) = e^−x (1 + x)).
        assert!((mean(&fast.read_ms) - 0.963).abs() < 0.02, "{}", mean(&fast.read_ms));
        assert!((mean(&slow.read_ms) - 3.213).abs() < 0.04, "{}", mean(&slow.read_ms));
        assert!(fast.read_ms.windows(2).all(|w| w[0] <= w[1]), "sorted");
    }

    #[test]
    fn trials_are_a_function_of_the_seed() {
        let m = model(QuorumShape::Expanding, 1, 1);
        assert_eq!(m.run(9, 5_000), m.run(9, 5_000));
        assert_ne!(m.run(9, 5_000), m.run(10, 5_000));
    }

    #[test]
    fn per_class_legs_place_coordinators_and_replicas_on_nodes() {
        // Three datacenters, one node each, cross-datacenter legs 100 ms longer: a write
        // commits at its local replica's ack (W=1), and a read is consistent at t = 0 only when
        // its coordinator is the write's (1/3).
        let far = |mean| {
            let near = DistSpec::Exponential { mean };
            let far = DistSpec::Shift { by: 100.0, dist: Box::new(near.clone()) };
            ClassLeg::new([near.clone(), near.clone(), near, far]).unwrap()
        };
        let mut m = model(QuorumShape::Expanding, 1, 1);
        m.legs = [far(0.1), far(0.1), far(0.1), far(0.1)];
        m.nodes = (0..3).map(|dc| Placement { datacenter: dc, rack: 0 }).collect();
        m.per_class = true;
        assert_eq!(WarsModel::classes_between(&m.nodes), [LinkClass::Loopback, LinkClass::CrossDatacenter]);
        let t = m.run(3, 30_000);
        assert!((t.p_at(0.0) - 1.0 / 3.0).abs() < 0.02, "{}", t.p_at(0.0));
        assert!(t.p_at(150.0) > 0.999);
    }
}
