//! World inspection: what each replica holds for a key, read without side effects (no random
//! draws, no counters), so measurement never changes the simulation.

use crate::assemble::Assembly;
use dynamo_model::NodeId;
use dynamo_model::msg::{StoreKey, StoreRecord};
use dynamo_model::node::extended_len;
use dynamo_model::ring::key_position;
use dynamo_model::version::Versions;
use sim_core::ProcId;

/// What one node holds for a key: its object buffer over its disk. `None` when the record is
/// corrupt (it reads as missing).
pub fn replica(asm: &Assembly, node: NodeId, key: u64) -> Option<Versions> {
    let node_ref = asm.world.process(node).and_then(|a| a.as_node());
    if let Some(v) = node_ref.and_then(|n| n.storage().buffered(key)) {
        return Some(v.clone());
    }
    match asm.world.disk(node).peek(&StoreKey::Data(key)) {
        Ok(Some(StoreRecord::Versions(v))) => Some(v.clone()),
        Ok(None | Some(StoreRecord::Epochs { .. } | StoreRecord::KeyActors(_) | StoreRecord::Member(_))) => {
            Some(Versions::new())
        }
        Err(_) => None,
    }
}

/// Every hinted version any node holds for `key`, merged.
pub fn hinted(asm: &Assembly, key: u64) -> Versions {
    let mut all = Versions::new();
    for i in 0..asm.nodes as u32 {
        let Some(n) = asm.world.process(ProcId(i)).and_then(|a| a.as_node()) else { continue };
        for (intended, k) in n.storage().hints().filter(|(_, k)| *k == key) {
            if let Ok(Some(StoreRecord::Versions(v))) =
                asm.world.disk(ProcId(i)).peek(&StoreKey::Hint { key: k, intended })
            {
                all.merge(v);
            }
        }
    }
    all
}

/// The key's top-N replicas by the ring the cluster's views imply now.
pub fn replicas_of(asm: &Assembly, key: u64, n: usize) -> Vec<NodeId> {
    let mut list = Vec::new();
    asm.ring_now().preference_list(key_position(key), n, &mut list);
    list
}

/// The key's extended preference list (where sloppy replicas may sit).
pub fn extended_of(asm: &Assembly, key: u64, cfg: &dynamo_model::config::DynamoConfig) -> Vec<NodeId> {
    let mut list = Vec::new();
    let ring = asm.ring_now();
    ring.preference_list(key_position(key), extended_len(cfg, ring.node_count()), &mut list);
    list
}

/// Whether the key's live top-N replicas all hold the same versions (a corrupt record counts
/// as different from an intact one).
pub fn replicas_agree(asm: &Assembly, key: u64, n: usize) -> bool {
    let states: Vec<Option<u64>> = replicas_of(asm, key, n)
        .into_iter()
        .filter(|r| asm.world.is_up(*r))
        .map(|r| replica(asm, r, key).map(|v| v.digest()))
        .collect();
    states.windows(2).all(|w| w[0] == w[1])
}

/// Everything the cluster still holds for `key`: every replica's versions (any node) and
/// every hint, merged: the converged state after repairs.
pub fn surviving(asm: &Assembly, key: u64) -> Versions {
    let mut all = hinted(asm, key);
    for i in 0..asm.nodes as u32 {
        if let Some(v) = replica(asm, ProcId(i), key) {
            all.merge(&v);
        }
    }
    all
}
