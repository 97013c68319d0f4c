//! Where processes sit: a petgraph containment graph of datacenters, racks and processes.
//!
//! The graph is the declarative picture (datacenter → rack → process edges). The network asks it
//! one question per message, "which class of link joins these two processes?", answered from a
//! flat placement table so the hot path never walks the graph.

use crate::id::ProcId;
use petgraph::graph::{DiGraph, NodeIndex};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// A process's place: its datacenter and its rack within that datacenter.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Placement {
    /// Datacenter number.
    pub datacenter: u32,
    /// Rack number within the datacenter.
    pub rack: u32,
}

/// The class of link between two processes, from nearest to farthest.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum LinkClass {
    /// A process sending to itself.
    Loopback,
    /// Two processes in the same rack.
    SameRack,
    /// Two processes in the same datacenter, different racks.
    SameDatacenter,
    /// Two processes in different datacenters.
    CrossDatacenter,
}

impl LinkClass {
    /// Every class, in order; `class as usize` indexes this.
    pub const ALL: [LinkClass; 4] =
        [LinkClass::Loopback, LinkClass::SameRack, LinkClass::SameDatacenter, LinkClass::CrossDatacenter];
}

/// A site in the containment graph.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Site {
    /// A datacenter.
    Datacenter(u32),
    /// A rack in a datacenter.
    Rack(u32, u32),
    /// A process.
    Proc(ProcId),
}

/// The placement of every process, as a graph and as a flat table.
#[derive(Clone, Debug)]
pub struct Topology {
    graph: DiGraph<Site, ()>,
    places: Vec<Placement>,
}

impl Topology {
    /// Builds the topology for processes `0..places.len()` placed as given.
    pub fn new(places: Vec<Placement>) -> Topology {
        let mut graph = DiGraph::new();
        let mut dcs: BTreeMap<u32, NodeIndex> = BTreeMap::new();
        let mut racks: BTreeMap<(u32, u32), NodeIndex> = BTreeMap::new();
        for (i, p) in places.iter().enumerate() {
            let dc = *dcs.entry(p.datacenter).or_insert_with(|| graph.add_node(Site::Datacenter(p.datacenter)));
            let rack = *racks.entry((p.datacenter, p.rack)).or_insert_with(|| {
                let r = graph.add_node(Site::Rack(p.datacenter, p.rack));
                graph.add_edge(dc, r, ());
                r
            });
            let node = graph.add_node(Site::Proc(ProcId(i as u32)));
            graph.add_edge(rack, node, ());
        }
        Topology { graph, places }
    }

    /// Number of processes.
    pub fn len(&self) -> usize {
        self.places.len()
    }

    /// True when there are no processes.
    pub fn is_empty(&self) -> bool {
        self.places.is_empty()
    }

    /// Where a process sits.
    pub fn placement(&self, p: ProcId) -> Placement {
        self.places[p.index()]
    }

    /// The containment graph (datacenter → rack → process).
    pub fn graph(&self) -> &DiGraph<Site, ()> {
        &self.graph
    }

    /// Distinct datacenters, ascending.
    pub fn datacenters(&self) -> Vec<u32> {
        let mut v: Vec<u32> = self.places.iter().map(|p| p.datacenter).collect();
        v.sort_unstable();
        v.dedup();
        v
    }

    /// Processes in a datacenter, ascending.
    pub fn procs_in_datacenter(&self, dc: u32) -> Vec<ProcId> {
        (0..self.places.len() as u32).map(ProcId).filter(|p| self.placement(*p).datacenter == dc).collect()
    }

    /// The class of link from `a` to `b`.
    #[inline]
    pub fn class(&self, a: ProcId, b: ProcId) -> LinkClass {
        if a == b {
            return LinkClass::Loopback;
        }
        let (pa, pb) = (self.places[a.index()], self.places[b.index()]);
        if pa.datacenter != pb.datacenter {
            LinkClass::CrossDatacenter
        } else if pa.rack != pb.rack {
            LinkClass::SameDatacenter
        } else {
            LinkClass::SameRack
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classes_follow_placement_and_graph_mirrors_it() {
        let t = Topology::new(vec![
            Placement { datacenter: 0, rack: 0 },
            Placement { datacenter: 0, rack: 0 },
            Placement { datacenter: 0, rack: 1 },
            Placement { datacenter: 1, rack: 0 },
        ]);
        assert_eq!(t.class(ProcId(0), ProcId(0)), LinkClass::Loopback);
        assert_eq!(t.class(ProcId(0), ProcId(1)), LinkClass::SameRack);
        assert_eq!(t.class(ProcId(0), ProcId(2)), LinkClass::SameDatacenter);
        assert_eq!(t.class(ProcId(2), ProcId(3)), LinkClass::CrossDatacenter);
        // 2 datacenters + 3 racks + 4 processes.
        assert_eq!(t.graph().node_count(), 9);
        assert_eq!(t.graph().edge_count(), 7);
        assert_eq!(t.datacenters(), vec![0, 1]);
        assert_eq!(t.procs_in_datacenter(0), vec![ProcId(0), ProcId(1), ProcId(2)]);
    }
}
