//! Cost: messages and bytes by kind per client operation, hinted handoffs, read repairs and
//! anti-entropy repairs.

use super::samples::NodeCounters;
use crate::assemble::Assembly;
use dynamo_model::msg::Msg;
use reports::metrics::{CostSection, KindCost, round6};
use sim_core::{Message, ProcId};

/// Each node's counters, summed over its incarnations (the world keeps them across restarts).
pub fn node_counters(asm: &Assembly) -> Vec<NodeCounters> {
    (0..asm.nodes as u32).map(|i| NodeCounters::of(asm.world.counters(ProcId(i)))).collect()
}

/// The cost section of a run with `client_ops` completed client operations.
pub fn section(asm: &Assembly, client_ops: u64, anti_entropy: bool) -> CostSection {
    let per_op = |x: u64| (client_ops > 0).then(|| round6(x as f64 / client_ops as f64));
    let counters = asm.world.net().counters();
    let by_kind = Msg::KINDS
        .iter()
        .zip(counters)
        .filter(|(_, c)| c.sent > 0)
        .map(|(name, c)| {
            let k = KindCost {
                messages: c.sent,
                bytes: c.bytes_sent,
                messages_per_op: per_op(c.sent),
                bytes_per_op: per_op(c.bytes_sent),
            };
            (name.to_string(), k)
        })
        .collect::<std::collections::BTreeMap<_, _>>();
    let messages = by_kind.values().map(|k| k.messages).sum();
    let bytes = by_kind.values().map(|k| k.bytes).sum();
    let nodes = node_counters(asm);
    let sum = |f: fn(&NodeCounters) -> u64| nodes.iter().map(f).sum::<u64>();
    CostSection {
        client_ops,
        messages,
        bytes,
        messages_per_op: per_op(messages),
        bytes_per_op: per_op(bytes),
        by_kind,
        hinted_writes: sum(|c| c.hinted_writes),
        hints_stored: sum(|c| c.hints_stored),
        hinted_handoffs: sum(|c| c.handoffs_completed),
        read_repairs: sum(|c| c.read_repairs),
        anti_entropy_keys_repaired: anti_entropy.then(|| sum(|c| c.ae_keys_repaired)),
        node_counters: "cumulative".to_string(),
    }
}
