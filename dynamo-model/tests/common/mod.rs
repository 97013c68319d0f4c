//! A small Dynamo world for integration tests: storage nodes plus scripted clients.
#![allow(dead_code)]

use dynamo_model::NodeId;
use dynamo_model::actor::{Actor, App, ClientApi, ClusterBoot};
use dynamo_model::client::ClientConfig;
use dynamo_model::config::DynamoConfig;
use dynamo_model::coordinator::Completion;
use dynamo_model::membership::RingRecipe;
use dynamo_model::msg::{Host, Key, OpError};
use dynamo_model::ring::{PartitionStrategy, PlacementPolicy, RingMember};
use dynamo_model::version::{Context, Value, Versions, WriteId};
use sim_core::{Placement, ProcId, SimDuration, SimTime, World, WorldConfig};
use std::collections::BTreeMap;
use std::sync::Arc;

/// One scripted operation.
#[derive(Clone, Debug)]
pub enum Step {
    /// Read a key; remember its context.
    Get(Key),
    /// Write a key with the context of this client's last read of it.
    Put(Key),
    /// Write a key blind (empty context).
    BlindPut(Key),
}

/// A finished operation as the client saw it.
#[derive(Clone, Debug)]
pub struct Done {
    pub step: Step,
    pub invoked: SimTime,
    pub completed: SimTime,
    pub write: Option<WriteId>,
    pub get: Option<Result<Versions, OpError>>,
    pub put: Option<Result<(), OpError>>,
}

/// Runs its steps at fixed times, one at a time per step time.
#[derive(Clone, Debug, Default)]
pub struct Script {
    pub steps: Vec<(u64, Step)>,
    pub contexts: BTreeMap<Key, (Context, Option<NodeId>)>,
    pub inflight: BTreeMap<u64, (Step, SimTime, Option<WriteId>)>,
    pub done: Vec<Done>,
    pub write_base: u64,
    pub writes: u64,
}

impl Script {
    pub fn new(client: ProcId, steps: Vec<(u64, Step)>) -> Self {
        Script { steps, write_base: (client.0 as u64) << 32, ..Script::default() }
    }
}

impl App for Script {
    type Record = ();
    fn start<P: Host>(&mut self, api: &mut ClientApi<'_, '_, P, ()>) {
        for (i, (at_ms, _)) in self.steps.iter().enumerate() {
            api.set_timer(SimDuration::from_millis(*at_ms), i as u64);
        }
    }

    fn on_timer<P: Host>(&mut self, api: &mut ClientApi<'_, '_, P, ()>, id: u64) {
        let step = self.steps[id as usize].1.clone();
        let now = api.now();
        let (req, write) = match step {
            Step::Get(k) => (api.get(k), None),
            Step::Put(k) | Step::BlindPut(k) => {
                self.writes += 1;
                let w = WriteId(self.write_base + self.writes);
                let (ctx, pref) = match step {
                    Step::Put(_) => self.contexts.get(&k).cloned().unwrap_or_default(),
                    _ => Default::default(),
                };
                let v = Value::plain(w, 100, false);
                (api.put(k, ctx, v, pref), Some(w))
            }
        };
        self.inflight.insert(req, (step, now, write));
    }

    fn on_completion<P: Host>(&mut self, api: &mut ClientApi<'_, '_, P, ()>, done: Completion) {
        let now = api.now();
        match done {
            Completion::Get { req, result } => {
                let Some((step, invoked, write)) = self.inflight.remove(&req) else { return };
                if let (Step::Get(k), Ok(ok)) = (&step, &result) {
                    self.contexts.insert(*k, (ok.context.clone(), ok.fastest));
                }
                let get = Some(result.map(|ok| ok.versions));
                self.done.push(Done { step, invoked, completed: now, write, get, put: None });
            }
            Completion::Put { req, result } => {
                let Some((step, invoked, write)) = self.inflight.remove(&req) else { return };
                self.done.push(Done { step, invoked, completed: now, write, get: None, put: Some(result) });
            }
        }
    }
}

pub type DynWorld = World<Actor<Script>>;

/// A world of `nodes` storage nodes (ids 0..nodes) and one client per script after them.
pub fn world(
    cfg: DynamoConfig,
    ccfg: ClientConfig,
    wcfg: WorldConfig,
    nodes: usize,
    scripts: Vec<Vec<(u64, Step)>>,
) -> DynWorld {
    world_with_spares(cfg, ccfg, wcfg, (nodes, 0), scripts)
}

/// A world of `ring` storage nodes on the starting ring (ids 0..ring), `spares` storage nodes
/// off the ring after them, and one client per script after those.
pub fn world_with_spares(
    cfg: DynamoConfig,
    ccfg: ClientConfig,
    wcfg: WorldConfig,
    (ring, spares): (usize, usize),
    scripts: Vec<Vec<(u64, Step)>>,
) -> DynWorld {
    let nodes = ring + spares;
    let members: Vec<RingMember> = (0..ring as u32).map(|i| RingMember::new(NodeId(i))).collect();
    let recipe = recipe(wcfg.seed);
    let ring = recipe.build(&members).unwrap();
    let procs = nodes + scripts.len();
    let mut scripts = scripts.into_iter();
    let boot = ClusterBoot {
        cfg: Arc::new(cfg),
        client: ccfg,
        ring: Arc::new(ring),
        recipe,
        nodes,
        make_app: move |id: ProcId| Script::new(id, scripts.next().unwrap_or_default()),
    };
    World::new(&wcfg, vec![Placement::default(); procs], boot).unwrap()
}

/// How the test worlds build rings (16 random tokens per node, clockwise placement).
pub fn recipe(seed: u64) -> RingRecipe {
    RingRecipe {
        strategy: PartitionStrategy::RandomTokens { tokens_per_node: 16 },
        seed,
        placement: PlacementPolicy::Clockwise,
        list_cache: 6,
    }
}

/// The finished operations of client process `id`.
pub fn done(w: &DynWorld, id: usize) -> Vec<Done> {
    w.process(ProcId(id as u32)).unwrap().as_client().unwrap().app().done.clone()
}
