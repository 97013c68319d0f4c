//! Turning a validated scenario into a world ready to run: placements, the ring, the client
//! applications, the fault timeline and the chaos generators.
//!
//! Process ids: storage nodes `0..cluster.nodes` (the starting ring), then the spares, then
//! each workload group's clients in order, then the probe client. Join and leave commands
//! reach their node as injected `Msg::Admin` messages. Node `i` sits in datacenter `i mod datacenters`, rack
//! `(i / datacenters) mod racks_per_datacenter`; clients sit in their group's datacenter on a
//! rack of their own.

use crate::app::ClientApp;
use crate::error::{JsonPath, SpecError};
use crate::spec::{Admin, Scenario};
use crate::validate::procs;
use crate::workload::arrival::Arrivals;
use crate::workload::client::{GroupPlan, WorkloadClient, secs};
use crate::workload::keys::KeyChooser;
use crate::workload::mix::MixSampler;
use crate::workload::probe::ProbeClient;
use crate::workload::provenance::KeySeqs;
use dynamo_model::NodeId;
use dynamo_model::actor::{Actor, ClusterBoot};
use dynamo_model::membership::{MembershipError, MembershipList, RingRecipe};
use dynamo_model::msg::{AdminCommand, Msg};
use dynamo_model::ring::{Ring, RingMember};
use sim_core::dist::{Dist, DistError};
use sim_core::fault::{Fault, FaultError};
use sim_core::partition::PartitionError;
use sim_core::{Placement, ProcId, SimTime, World, WorldConfig, WorldError};
use std::cell::RefCell;
use std::rc::Rc;
use std::sync::Arc;

/// The world type of a scenario run.
pub type DynamoWorld = World<Actor<ClientApp>>;

/// A world built from a scenario, with what the runner needs to know about it.
pub struct Assembly {
    /// The world, every process booted.
    pub world: DynamoWorld,
    /// Number of storage processes (ids `0..nodes`): the starting ring's nodes, then spares.
    pub nodes: usize,
    /// Every client process id with its group (probes use group `workloads.len()`).
    pub clients: Vec<(ProcId, u16)>,
    /// When the run ends: duration plus settle time.
    pub end: SimTime,
    /// When the workloads stop.
    pub workload_end: SimTime,
    /// The ring the cluster started with.
    pub ring: Arc<Ring>,
    /// How rings are built from membership views.
    pub recipe: RingRecipe,
    /// The ring of the nodes' merged views (see [`Assembly::ring_now`]).
    ring_cache: RefCell<RingNow>,
}

/// What [`Assembly::ring_now`] last computed.
struct RingNow {
    /// When it was last asked for.
    at: SimTime,
    /// A fingerprint of the views it merged: which nodes were up and their lists' hashes.
    views: u64,
    /// The ring members of the merged views, and the ring built from them.
    members: Vec<RingMember>,
    ring: Arc<Ring>,
}

impl Assembly {
    /// The ring as the cluster's merged membership views imply it now: the starting ring
    /// until a join or leave has spread, then the ring with it. Measurements use it to find a
    /// key's replicas while the ring changes. The same `Arc` comes back until the ring members
    /// change (compare with `Arc::ptr_eq`).
    pub fn ring_now(&self) -> Arc<Ring> {
        let now = self.world.now();
        let mut cache = self.ring_cache.borrow_mut();
        if cache.at == now {
            return cache.ring.clone();
        }
        cache.at = now;
        let views = self.views_fingerprint();
        if views == cache.views {
            return cache.ring.clone();
        }
        cache.views = views;
        let mut merged = MembershipList::new();
        for n in self.live_nodes() {
            merged.merge(n.view().membership().list());
        }
        let members: Vec<RingMember> = merged.iter().filter(|e| e.status.on_ring()).map(|e| e.member).collect();
        if members != cache.members
            && let Ok(ring) = self.recipe.build(&members)
        {
            cache.members = members;
            cache.ring = Arc::new(ring);
        }
        cache.ring.clone()
    }

    /// The storage nodes that are up.
    fn live_nodes(&self) -> impl Iterator<Item = &dynamo_model::node::Node> {
        (0..self.nodes as u32).filter_map(|i| self.world.process(ProcId(i)).and_then(|a| a.as_node()))
    }

    /// Which nodes are up and their views' hashes, folded into 64 bits: equal fingerprints
    /// mean the merged view is unchanged (O(nodes), against merging every list).
    fn views_fingerprint(&self) -> u64 {
        self.live_nodes().fold(0x9e37_79b9_7f4a_7c15, |h, n| {
            (h ^ u64::from(n.id().0)).rotate_left(17).wrapping_mul(0xff51_afd7_ed55_8ccd) ^ n.view().list_hash()
        })
    }
}

/// Builds the world for `s` with `seed`.
pub fn assemble(s: &Scenario, seed: u64) -> Result<Assembly, SpecError> {
    let nodes = s.cluster.storage_nodes();
    let mut places = node_placements(s);
    let list_cache = 2 * s.dynamo.n; // the extended list (`extended_len`)
    let (strategy, placement) = (s.cluster.partitioning.to_model(), s.dynamo.placement.to_model());
    let recipe = RingRecipe { strategy, seed, placement, list_cache };
    let ring = Arc::new(build_ring(s, &places, recipe)?);
    let seqs = Rc::new(RefCell::new(KeySeqs::default()));
    let apps = client_apps(s, nodes, &seqs)?;
    let clients: Vec<(ProcId, u16)> =
        apps.iter().enumerate().map(|(i, (g, _, _))| (ProcId((nodes + i) as u32), *g)).collect();
    places.extend(apps.iter().map(|(_, p, _)| *p));
    let templates: Vec<ClientApp> = apps.into_iter().map(|(_, _, a)| a).collect();
    let boot = ClusterBoot {
        cfg: Arc::new(s.dynamo.to_model()),
        client: s.client.to_model(),
        ring: ring.clone(),
        recipe,
        nodes,
        make_app: move |id: ProcId| templates[id.index() - nodes].clone(),
    };
    let wcfg = WorldConfig {
        seed,
        net: crate::wars::presets::network(s),
        disk: s.disk.clone(),
        cpu: s.cpu.clone(),
        clocks: s.clocks.clone(),
    };
    let members: Vec<RingMember> = places.iter().take(nodes).enumerate().map(|(i, p)| member(s, i, p)).collect();
    let starting_members = members[..s.cluster.nodes].to_vec();
    let ring_for_cache = ring.clone();
    let mut world = World::new(&wcfg, places, boot).map_err(|e| world_error(&e))?;
    schedule_timeline(s, &mut world, &members)?;
    check_chaos_nodes(s)?;
    // Chaos errors are under `chaos`, the scenario's name for the chaos settings too.
    world
        .set_chaos(&s.chaos)
        .map_err(|e| SpecError::new(e.path(), e.message(), "see `dynsim schema` for the chaos generators"))?;
    Ok(Assembly {
        world,
        nodes,
        clients,
        end: SimTime::ZERO + secs(s.duration_s + s.settle_s),
        workload_end: SimTime::ZERO + secs(s.duration_s),
        ring,
        recipe,
        ring_cache: RefCell::new(RingNow {
            at: SimTime::ZERO,
            views: 0,
            members: starting_members,
            ring: ring_for_cache,
        }),
    })
}

/// Where each storage node sits: node i in datacenter i mod D, rack (i / D) mod racks.
pub fn node_placements(s: &Scenario) -> Vec<Placement> {
    let (dcs, racks) = (s.cluster.datacenters, s.cluster.racks_per_datacenter);
    (0..s.cluster.storage_nodes())
        .map(|i| Placement { datacenter: (i % dcs) as u32, rack: ((i / dcs) % racks) as u32 })
        .collect()
}

/// Storage node `i`'s placement record (capacity, datacenter, rack).
fn member(s: &Scenario, i: usize, p: &Placement) -> RingMember {
    let cap = s.cluster.capacities.get(&(i as u32)).copied().unwrap_or(1.0);
    RingMember::new(NodeId(i as u32)).with_capacity(cap).in_datacenter(p.datacenter, p.rack)
}

/// The starting ring: the first `cluster.nodes` storage nodes (spares join later).
fn build_ring(s: &Scenario, places: &[Placement], recipe: RingRecipe) -> Result<Ring, SpecError> {
    let members: Vec<RingMember> =
        places.iter().take(s.cluster.nodes).enumerate().map(|(i, p)| member(s, i, p)).collect();
    recipe.build(&members).map_err(|e| {
        let fix = "check cluster.partitioning and cluster.capacities";
        match e {
            MembershipError::Ring(r) => SpecError::new(JsonPath::from("cluster").join(&r.path()), r.message(), fix),
            // No ring members: validation has made sure there is a node.
            other => SpecError::new("cluster", other.to_string(), fix),
        }
    })
}

type AppSlot = (u16, Placement, ClientApp);

/// How a scenario's processes are numbered, as the scenario reference states it (`docs.rs`
/// prints it under "Process numbers"). [`assemble`] numbers them so; a test below checks the
/// example against the shipped `datacenter-outage` scenario.
pub const PROCESS_NUMBERS: &str = r#"Faults, partition shapes, `dynsim replay --node` and reports name processes by number, from 0:

1. the storage nodes of the starting ring, `0..cluster.nodes`;
2. the spares, `cluster.nodes..cluster.nodes + cluster.spares`;
3. the clients, one workload group after another in the order of `workloads`, each group's `clients` in turn;
4. last, the probe client, when `probes` is set.

Storage node `i` sits in datacenter `i mod cluster.datacenters`; a group's clients sit in the group's `datacenter`.

A partition cuts only the links its shape names: a process that a `groups` shape does not list keeps every link, so a client left out reaches both sides (and, through a load balancer, writes on both). To cut a datacenter off together with its clients, list them in the same group. The shipped `datacenter-outage` scenario has 9 nodes in 3 datacenters, workload groups `dc0`, `dc1` and `dc2` of 3 clients each, and probes: nodes are 0 to 8 (datacenter 2 holds 2, 5 and 8), the clients of `dc0` are 9 to 11, of `dc1` 12 to 14, of `dc2` 15 to 17, and the probe client is 18. It cuts datacenter 2 and its clients off with `{"groups": {"groups": [[0, 1, 3, 4, 6, 7, 9, 10, 11, 12, 13, 14, 18], [2, 5, 8, 15, 16, 17]]}}`."#;

/// One application per client process, in process-id order.
fn client_apps(s: &Scenario, nodes: usize, seqs: &Rc<RefCell<KeySeqs>>) -> Result<Vec<AppSlot>, SpecError> {
    let mut out = Vec::new();
    for (g, w) in s.workloads.iter().enumerate() {
        let group = JsonPath::root().field("workloads").index(g);
        let under = |e: SpecError| e.under(&group);
        let value_bytes = Dist::new(&w.value_bytes).map_err(|e| under(dist_error("value_bytes", &e)))?;
        let plan = Rc::new(GroupPlan {
            group: g as u16,
            spec: w.clone(),
            value_bytes,
            start: SimTime::ZERO + secs(w.start_s),
            stop: SimTime::ZERO + secs(w.stop_s.unwrap_or(s.duration_s)),
        });
        let rack = u32::MAX - g as u32;
        for _ in 0..w.clients {
            let me = (nodes + out.len()) as u32;
            let arrivals = Arrivals::new(&w.arrival, w.clients).map_err(|e| under(e.under("arrival")))?;
            let keys = KeyChooser::new(&w.keys).map_err(|e| under(e.under("keys")))?;
            let mix = MixSampler::new(&w.mix).map_err(|e| under(e.under("mix")))?;
            let client = WorkloadClient::new(plan.clone(), me, arrivals, keys, mix, seqs.clone());
            let place = Placement { datacenter: w.datacenter, rack };
            out.push((g as u16, place, ClientApp::Workload(Box::new(client))));
        }
    }
    if let Some(p) = &s.probes {
        let me = (nodes + out.len()) as u32;
        let delay = Dist::new(&p.delay_ms).map_err(|e| dist_error("probes.delay_ms", &e))?;
        // Probe keys sit above every workload's (bounds.rs keeps room for them below u64::MAX).
        let key_base = s.workloads.iter().map(|w| w.keys.count).max().unwrap_or(0).saturating_add(1);
        let stop = SimTime::ZERO + secs(s.duration_s);
        let probe =
            ProbeClient::new(me, s.workloads.len() as u16, p.rate_per_s, delay, p.value_bytes as u32, key_base, stop);
        let place = Placement { datacenter: p.datacenter, rack: u32::MAX - s.workloads.len() as u32 };
        out.push((s.workloads.len() as u16, place, ClientApp::Probe(Box::new(probe))));
    }
    Ok(out)
}

/// Schedules the timeline: faults for the simulator, membership commands as messages to the
/// node they concern (`members` holds every storage node's placement record).
fn schedule_timeline(s: &Scenario, world: &mut DynamoWorld, members: &[RingMember]) -> Result<(), SpecError> {
    for (i, a) in s.faults.iter().enumerate() {
        let entry = JsonPath::root().field("faults").index(i);
        let at = SimTime::ZERO + secs(a.at_s);
        let command = match &a.admin {
            Some(Admin::Join { node }) => {
                let member = members.get(*node as usize).ok_or_else(|| {
                    let msg = format!("node {node} does not exist (nodes are {})", procs(0, members.len()));
                    SpecError::new("admin.join.node", msg, "join a spare (cluster.spares)").under(&entry)
                })?;
                Some((*node, AdminCommand::Join(*member)))
            }
            Some(Admin::Leave { node }) => Some((*node, AdminCommand::Leave)),
            _ => None,
        };
        if let Some((node, cmd)) = command {
            world.inject(at, ProcId(node), Msg::Admin(cmd)).map_err(|e| world_error(&e))?;
            continue;
        }
        let (fault, path) = match (&a.fault, &a.admin) {
            (Some(f), _) => (f.clone(), JsonPath::root().field("fault").field(f.label())),
            (None, Some(Admin::Replace { node, after_ms })) => (
                Fault::Wipe { node: ProcId(*node), restart_after_ms: Some(*after_ms) },
                JsonPath::from("admin.replace"),
            ),
            _ => continue, // refused by validation
        };
        world.schedule_fault(at, fault).map_err(|e| fault_error(&e, &path, s.cluster.storage_nodes()).under(&entry))?;
    }
    Ok(())
}

/// Maps a fault the world refused to the JSON path of the fault (`fault.<kind>...`).
fn fault_error(e: &WorldError, path: &JsonPath, nodes: usize) -> SpecError {
    let fix = match e {
        WorldError::Fault(FaultError::Shape(shape)) => shape_fix(shape, nodes),
        _ => "see `dynsim schema` for the fault parameters".to_string(),
    };
    SpecError::new(path.join(&e.path()), e.message(), fix)
}

/// What a shape may list: the storage nodes, and the clients when it named a process beyond them.
fn shape_fix(shape: &PartitionError, nodes: usize) -> String {
    let clients = match shape {
        PartitionError::UnknownProc(_, all) => format!(", then the clients {}", procs(nodes, *all)),
        _ => String::new(),
    };
    format!("a shape lists process numbers: the storage nodes {}{clients}", procs(0, nodes))
}

fn check_chaos_nodes(s: &Scenario) -> Result<(), SpecError> {
    let c = &s.chaos;
    let lists = [
        ("chaos.crashes.nodes", c.crashes.as_ref().map(|x| &x.nodes)),
        ("chaos.pauses.nodes", c.pauses.as_ref().map(|x| &x.nodes)),
        ("chaos.partitions.nodes", c.partitions.as_ref().map(|x| &x.nodes)),
    ];
    for (path, nodes) in lists {
        if let Some(bad) = nodes.into_iter().flatten().find(|n| n.index() >= s.cluster.storage_nodes()) {
            let msg = format!("node {} does not exist (nodes are {})", bad.0, procs(0, s.cluster.storage_nodes()));
            return Err(SpecError::new(path, msg, "chaos only acts on storage nodes"));
        }
    }
    Ok(())
}

/// Maps a world construction error to the scenario's paths: the world's `net` settings are
/// the scenario's `network`, the others have the same names.
fn world_error(e: &WorldError) -> SpecError {
    let path = e.path();
    let path = match path.strip_prefix(&JsonPath::root().field("net")) {
        Some(rest) => JsonPath::root().field("network").join(&rest),
        None => path,
    };
    SpecError::new(path, e.message(), "see `dynsim schema` for the allowed values")
}

/// A distribution error under `prefix` (no fix: validation has checked these already).
fn dist_error(prefix: &str, e: &DistError) -> SpecError {
    SpecError::new(JsonPath::from(prefix).join(&e.path), e.problem.to_string(), "")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::load::load_str;
    use std::path::Path;

    /// The example of [`PROCESS_NUMBERS`] is what assembling the shipped scenario gives, and
    /// the partition it quotes is the scenario's own.
    #[test]
    fn processes_are_numbered_as_the_reference_says() {
        let text = crate::library::find("datacenter-outage").expect("shipped");
        let s = load_str(text, Path::new("datacenter-outage")).expect("valid");
        let asm = assemble(&s, 1).expect("assembles");
        assert_eq!(asm.nodes, 9, "nodes first");
        let groups: Vec<(u32, u16)> = asm.clients.iter().map(|(p, g)| (p.0, *g)).collect();
        let want: Vec<(u32, u16)> = (9..=17).map(|p| (p, ((p - 9) / 3) as u16)).chain([(18, 3)]).collect();
        assert_eq!(groups, want, "clients group by group, then the probe client");
        assert_eq!(asm.world.len(), 19);
        let v: serde_json::Value = serde_json::from_str(text).expect("JSON");
        let shape = v["faults"][0]["fault"]["partition"]["shape"].to_string().replace(',', ", ").replace(':', ": ");
        assert!(PROCESS_NUMBERS.contains(&format!("`{shape}`")), "the quoted partition is the file's: {shape}");
    }
}
