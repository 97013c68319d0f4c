//! Choosing whom to ask: the first N healthy nodes of the extended preference list (§4.6).
//!
//! With a strict quorum only the top N are candidates; those believed down are simply not
//! asked. With a sloppy quorum each top-N node believed down is replaced, in order, by the next
//! healthy node further down the extended list, which stores the replica with a hint naming the
//! node it stands in for — unless that node has been down longer than the hint window, in
//! which case nobody stands in for it.
//!
//! A non-expanding quorum shape ([`QuorumShape`]) then narrows those N targets to the R (or W)
//! an operation is actually sent to, chosen uniformly by a [`QuorumChooser`]: a stream of its
//! own per coordinator, so the choice never shifts any other draw.

use crate::NodeId;
use crate::config::{QuorumShape, SloppyQuorum};
use crate::detector::Detector;
use sim_core::{SimRng, SimTime};

/// A replica to ask, and whom it stands in for when it is a substitute.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Target {
    /// The node to ask.
    pub node: NodeId,
    /// The top-N node it replaces (the hint), if any.
    pub hint: Option<NodeId>,
}

/// Fills `out` with the targets for a key whose extended preference list is `list`.
pub fn choose_targets(
    list: &[NodeId],
    n: usize,
    sloppy: &SloppyQuorum,
    detector: &Detector,
    now: SimTime,
    out: &mut Vec<Target>,
) {
    out.clear();
    let top = n.min(list.len());
    let mut missing: Vec<NodeId> = Vec::new();
    for &node in &list[..top] {
        if detector.is_suspected(node) {
            missing.push(node);
        } else {
            out.push(Target { node, hint: None });
        }
    }
    if !sloppy.enabled || missing.is_empty() {
        return;
    }
    missing.retain(|&m| detector.down_for(m, now).is_none_or(|down| down <= sloppy.hint_window));
    let mut missing = missing.into_iter();
    for &node in &list[top..] {
        if detector.is_suspected(node) {
            continue;
        }
        match missing.next() {
            Some(intended) => out.push(Target { node, hint: Some(intended) }),
            None => break,
        }
    }
}

/// Narrows `targets` in place to `keep` of them chosen uniformly at random (a partial
/// Fisher–Yates shuffle: `keep` draws, no allocation). Keeps them all when there are no more
/// than `keep`.
pub fn narrow(targets: &mut Vec<Target>, keep: usize, rng: &mut SimRng) {
    if targets.len() <= keep {
        return;
    }
    for i in 0..keep {
        let j = i + rng.index(targets.len() - i);
        targets.swap(i, j);
    }
    targets.truncate(keep);
}

/// Chooses the replicas of a non-expanding quorum shape for one coordinator (a storage node or
/// a client-driven client library).
#[derive(Clone, Debug)]
pub struct QuorumChooser {
    shape: QuorumShape,
    /// The coordinator's own stream; `None` for expanding quorums, which draw nothing.
    rng: Option<SimRng>,
}

impl QuorumChooser {
    /// The chooser of process `me` in its incarnation `incarnation`, for a run seeded `seed`:
    /// it draws from the stream `quorum/<me>/<incarnation>`, so a restarted coordinator does
    /// not repeat its earlier choices and no other consumer's draws move.
    pub fn new(shape: QuorumShape, seed: u64, me: NodeId, incarnation: u32) -> Self {
        let rng =
            (shape != QuorumShape::Expanding).then(|| SimRng::stream(seed, &format!("quorum/{}/{incarnation}", me.0)));
        QuorumChooser { shape, rng }
    }

    /// Narrows a get's (`is_get`) or put's N `targets` to those the shape sends it to.
    pub fn choose(&mut self, targets: &mut Vec<Target>, is_get: bool, r: usize, w: usize) {
        if let (Some(keep), Some(rng)) = (self.shape.fan_out(is_get, r, w), self.rng.as_mut()) {
            narrow(targets, keep, rng);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn targets(nodes: &[u32]) -> Vec<Target> {
        nodes.iter().map(|&i| Target { node: NodeId(i), hint: None }).collect()
    }

    #[test]
    fn narrowing_keeps_distinct_targets_chosen_uniformly() {
        let mut rng = SimRng::stream(3, "narrow-test");
        let mut hits = [0u32; 3];
        let trials = 30_000;
        for _ in 0..trials {
            let mut t = targets(&[0, 1, 2]);
            narrow(&mut t, 2, &mut rng);
            assert_eq!(t.len(), 2);
            assert_ne!(t[0].node, t[1].node, "a replica is never chosen twice");
            t.iter().for_each(|x| hits[x.node.0 as usize] += 1);
        }
        // Each node is in a 2-of-3 subset with probability 2/3: 20,000 ± 3σ (σ ≈ 82).
        for h in hits {
            assert!((h as f64 - 20_000.0).abs() < 250.0, "{hits:?}");
        }
        let mut few = targets(&[4]);
        narrow(&mut few, 2, &mut rng);
        assert_eq!(few, targets(&[4]), "fewer targets than the quorum: all are kept");
    }

    #[test]
    fn each_shape_narrows_what_it_should() {
        let narrowed = |shape, is_get| {
            let mut c = QuorumChooser::new(shape, 1, NodeId(0), 0);
            let mut t = targets(&[1, 2, 3]);
            c.choose(&mut t, is_get, 1, 2);
            t.len()
        };
        assert_eq!((narrowed(QuorumShape::Expanding, true), narrowed(QuorumShape::Expanding, false)), (3, 3));
        assert_eq!((narrowed(QuorumShape::Static, true), narrowed(QuorumShape::Static, false)), (1, 2));
        assert_eq!((narrowed(QuorumShape::ReadFanOut, true), narrowed(QuorumShape::ReadFanOut, false)), (1, 3));
        assert!(QuorumChooser::new(QuorumShape::Expanding, 1, NodeId(0), 0).rng.is_none(), "draws nothing");
    }

    fn ids(v: &[u32]) -> Vec<NodeId> {
        v.iter().map(|&i| NodeId(i)).collect()
    }

    #[test]
    fn healthy_top_n_is_used_as_is() {
        let mut out = Vec::new();
        choose_targets(&ids(&[1, 2, 3, 4, 5]), 3, &SloppyQuorum::default(), &Detector::new(), SimTime(0), &mut out);
        assert_eq!(out.iter().map(|t| t.node.0).collect::<Vec<_>>(), vec![1, 2, 3]);
        assert!(out.iter().all(|t| t.hint.is_none()));
    }

    #[test]
    fn sloppy_quorum_substitutes_in_order_with_hints() {
        let mut d = Detector::new();
        d.suspect(NodeId(2), SimTime(0));
        d.suspect(NodeId(4), SimTime(0));
        let mut out = Vec::new();
        choose_targets(&ids(&[1, 2, 3, 4, 5]), 3, &SloppyQuorum::default(), &d, SimTime(0), &mut out);
        assert_eq!(
            out,
            vec![
                Target { node: NodeId(1), hint: None },
                Target { node: NodeId(3), hint: None },
                Target { node: NodeId(5), hint: Some(NodeId(2)) },
            ]
        );
    }

    #[test]
    fn strict_quorum_never_substitutes() {
        let mut d = Detector::new();
        d.suspect(NodeId(1), SimTime(0));
        let strict = SloppyQuorum { enabled: false, ..SloppyQuorum::default() };
        let mut out = Vec::new();
        choose_targets(&ids(&[1, 2, 3, 4]), 3, &strict, &d, SimTime(0), &mut out);
        assert_eq!(out.iter().map(|t| t.node.0).collect::<Vec<_>>(), vec![2, 3]);
    }

    #[test]
    fn no_substitute_beyond_the_hint_window() {
        let mut d = Detector::new();
        d.suspect(NodeId(1), SimTime(0));
        let sloppy = SloppyQuorum { hint_window: sim_core::SimDuration::from_millis(1000), ..SloppyQuorum::default() };
        let mut out = Vec::new();
        choose_targets(&ids(&[1, 2, 3, 4]), 3, &sloppy, &d, SimTime(500_000_000), &mut out);
        assert_eq!(out.len(), 3, "inside the window: substituted");
        choose_targets(&ids(&[1, 2, 3, 4]), 3, &sloppy, &d, SimTime(2_000_000_000), &mut out);
        assert_eq!(out.iter().map(|t| t.node.0).collect::<Vec<_>>(), vec![2, 3], "beyond: no hint");
    }
}
