//! Network partition shapes, each turned into the exact set of directed links it cuts.
//!
//! Shapes: arbitrary groups (symmetric), one-way cuts, isolating one process, Jepsen's bridge
//! (two halves joined only through one node) and majorities-ring (every node sees a majority,
//! no two the same). Processes a shape does not mention keep all their links.

use crate::id::ProcId;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// A partition shape.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum PartitionShape {
    /// Processes in different groups cannot talk, in either direction.
    Groups {
        /// Disjoint groups of process numbers (storage nodes, then clients: see the scenario
        /// reference's Process numbers). Only links between two groups are cut: a process in
        /// no group keeps every link and reaches every group.
        groups: Vec<Vec<ProcId>>,
    },
    /// Messages from any of `from` to any of `to` are cut; the reverse direction still works.
    OneWay {
        /// Senders whose messages are cut.
        from: Vec<ProcId>,
        /// Receivers that stop hearing from `from`.
        to: Vec<ProcId>,
    },
    /// One process is cut off from every other process, both ways.
    IsolateOne {
        /// The isolated process.
        node: ProcId,
    },
    /// The listed nodes split into two halves that both still reach the middle node.
    Bridge {
        /// Nodes in ring order; the middle one is the bridge.
        nodes: Vec<ProcId>,
    },
    /// Each listed node keeps links only to its ring neighbours, enough to see a majority.
    MajoritiesRing {
        /// Nodes in ring order.
        nodes: Vec<ProcId>,
    },
}

/// Why a shape cannot be applied.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum PartitionError {
    /// A shape names a process that does not exist.
    #[error("process {0} does not exist (there are {1} processes)")]
    UnknownProc(ProcId, usize),
    /// A process appears twice.
    #[error("process {0} is listed more than once")]
    Duplicate(ProcId),
    /// The shape needs more nodes.
    #[error("this shape needs at least {0} nodes")]
    TooFew(usize),
}

impl PartitionShape {
    /// The directed links `(from, to)` this shape cuts, among `procs` processes.
    pub fn cut_links(&self, procs: usize) -> Result<Vec<(ProcId, ProcId)>, PartitionError> {
        self.check(procs)?;
        let mut cuts = Vec::new();
        match self {
            PartitionShape::Groups { groups } => {
                for (i, a) in groups.iter().enumerate() {
                    for b in groups.iter().skip(i + 1) {
                        both_ways(a, b, &mut cuts);
                    }
                }
            }
            PartitionShape::OneWay { from, to } => {
                for &f in from {
                    cuts.extend(to.iter().filter(|&&t| t != f).map(|&t| (f, t)));
                }
            }
            PartitionShape::IsolateOne { node } => {
                let others: Vec<ProcId> = (0..procs as u32).map(ProcId).filter(|p| p != node).collect();
                both_ways(&[*node], &others, &mut cuts);
            }
            PartitionShape::Bridge { nodes } => {
                let mid = nodes.len() / 2;
                both_ways(&nodes[..mid], &nodes[mid + 1..], &mut cuts);
            }
            PartitionShape::MajoritiesRing { nodes } => majorities_ring(nodes, &mut cuts),
        }
        cuts.sort_unstable();
        cuts.dedup();
        Ok(cuts)
    }

    fn members(&self) -> Vec<ProcId> {
        match self {
            PartitionShape::Groups { groups } => groups.concat(),
            PartitionShape::OneWay { from, to } => {
                let mut v = from.clone();
                v.extend(to.iter().filter(|t| !from.contains(t)));
                v
            }
            PartitionShape::IsolateOne { node } => vec![*node],
            PartitionShape::Bridge { nodes } | PartitionShape::MajoritiesRing { nodes } => nodes.clone(),
        }
    }

    fn check(&self, procs: usize) -> Result<(), PartitionError> {
        let mut seen = self.members();
        if let Some(p) = seen.iter().find(|p| p.index() >= procs) {
            return Err(PartitionError::UnknownProc(*p, procs));
        }
        let is_one_way = matches!(self, PartitionShape::OneWay { .. });
        seen.sort_unstable();
        if !is_one_way && let Some(w) = seen.windows(2).find(|w| w[0] == w[1]) {
            return Err(PartitionError::Duplicate(w[0]));
        }
        match self {
            PartitionShape::Bridge { nodes } if nodes.len() < 3 => Err(PartitionError::TooFew(3)),
            PartitionShape::MajoritiesRing { nodes } if nodes.len() < 3 => Err(PartitionError::TooFew(3)),
            _ => Ok(()),
        }
    }
}

fn both_ways(a: &[ProcId], b: &[ProcId], cuts: &mut Vec<(ProcId, ProcId)>) {
    for &x in a {
        for &y in b {
            cuts.push((x, y));
            cuts.push((y, x));
        }
    }
}

/// Node `i` keeps links to ring neighbours within distance `ceil((m-1)/2)`, where `m` is a
/// majority; so it sees at least a majority (itself included) and, for five or more nodes, no
/// two nodes see the same set.
fn majorities_ring(nodes: &[ProcId], cuts: &mut Vec<(ProcId, ProcId)>) {
    let n = nodes.len();
    let majority = n / 2 + 1;
    let reach = majority.saturating_sub(1).div_ceil(2);
    for i in 0..n {
        for j in 0..n {
            let d = (i + n - j) % n;
            let ring_distance = d.min(n - d);
            if i != j && ring_distance > reach {
                cuts.push((nodes[i], nodes[j]));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ids(v: &[u32]) -> Vec<ProcId> {
        v.iter().map(|&i| ProcId(i)).collect()
    }

    #[test]
    fn groups_cut_both_directions_between_groups_only() {
        let s = PartitionShape::Groups { groups: vec![ids(&[0, 1]), ids(&[2])] };
        let cuts = s.cut_links(4).unwrap();
        assert_eq!(cuts, ids_pairs(&[(0, 2), (1, 2), (2, 0), (2, 1)]));
    }

    #[test]
    fn one_way_cuts_one_direction() {
        let s = PartitionShape::OneWay { from: ids(&[0]), to: ids(&[1, 2]) };
        assert_eq!(s.cut_links(3).unwrap(), ids_pairs(&[(0, 1), (0, 2)]));
    }

    #[test]
    fn bridge_keeps_the_middle_connected() {
        let s = PartitionShape::Bridge { nodes: ids(&[0, 1, 2, 3, 4]) };
        let cuts = s.cut_links(5).unwrap();
        assert!(cuts.iter().all(|(a, b)| *a != ProcId(2) && *b != ProcId(2)));
        assert!(cuts.contains(&(ProcId(0), ProcId(4))));
        assert!(cuts.contains(&(ProcId(3), ProcId(1))));
        assert_eq!(cuts.len(), 8);
    }

    #[test]
    fn majorities_ring_gives_every_node_a_distinct_majority() {
        for n in [5usize, 6, 7, 9] {
            let nodes: Vec<ProcId> = (0..n as u32).map(ProcId).collect();
            let cuts = PartitionShape::MajoritiesRing { nodes: nodes.clone() }.cut_links(n).unwrap();
            let mut views = Vec::new();
            for &a in &nodes {
                let view: Vec<ProcId> = nodes.iter().copied().filter(|&b| !cuts.contains(&(a, b))).collect();
                assert!(view.len() > n / 2, "node {a} sees only {view:?}");
                views.push(view);
            }
            views.sort();
            views.dedup();
            assert_eq!(views.len(), n, "views must differ");
        }
    }

    #[test]
    fn bad_shapes_are_typed_errors() {
        let s = PartitionShape::IsolateOne { node: ProcId(9) };
        assert_eq!(s.cut_links(3), Err(PartitionError::UnknownProc(ProcId(9), 3)));
        let s = PartitionShape::Groups { groups: vec![ids(&[0, 1]), ids(&[1])] };
        assert_eq!(s.cut_links(3), Err(PartitionError::Duplicate(ProcId(1))));
        let s = PartitionShape::Bridge { nodes: ids(&[0, 1]) };
        assert_eq!(s.cut_links(3), Err(PartitionError::TooFew(3)));
    }

    fn ids_pairs(v: &[(u32, u32)]) -> Vec<(ProcId, ProcId)> {
        v.iter().map(|&(a, b)| (ProcId(a), ProcId(b))).collect()
    }
}
