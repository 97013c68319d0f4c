//! Choosing whom to ask: the first N healthy nodes of the extended preference list (§4.6).
//!
//! With a strict quorum only the top N are candidates; those believed down are simply not
//! asked. With a sloppy quorum each top-N node believed down is replaced, in order, by the next
//! healthy node further down the extended list, which stores the replica with a hint naming the
//! node it stands in for — unless that node has been down longer than the hint window, in
//! which case nobody stands in for it.

use crate::NodeId;
use crate::config::SloppyQuorum;
use crate::detector::Detector;
use sim_core::SimTime;

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

#[cfg(test)]
mod tests {
    use super::*;

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
