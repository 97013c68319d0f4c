//! Load: requests and keys per node, load-balance efficiency (mean / max, §6.2) and the share of
//! nodes more than 15% off the mean, overall and per time window.

use super::cost::node_counters;
use super::samples::Samples;
use crate::assemble::Assembly;
use dynamo_model::msg::StoreKey;
use dynamo_model::ring::{load_balance_efficiency, out_of_balance_fraction};
use reports::metrics::{Balance, LoadSection, LoadWindow, NodeLoad, round6};
use sim_core::{ProcId, SimDuration};
use std::collections::BTreeMap;

/// Nodes whose load is more than this fraction off the mean are out of balance (§6.2).
pub const OUT_OF_BALANCE: f64 = 0.15;

/// How evenly `loads` (one per node, in node order) spread.
pub fn balance(loads: &[u64]) -> Balance {
    let mean = if loads.is_empty() { 0.0 } else { loads.iter().sum::<u64>() as f64 / loads.len() as f64 };
    Balance {
        mean: round6(mean),
        max: loads.iter().copied().max().unwrap_or(0),
        min: loads.iter().copied().min().unwrap_or(0),
        efficiency: load_balance_efficiency(loads).map(round6),
        out_of_balance_share: out_of_balance_fraction(loads, OUT_OF_BALANCE).map(round6),
        out_of_balance_nodes: if mean > 0.0 {
            (0..loads.len() as u32)
                .filter(|&i| (loads[i as usize] as f64 - mean).abs() > OUT_OF_BALANCE * mean)
                .collect()
        } else {
            vec![]
        },
    }
}

/// Request balance per window of `width`, from the samples' cumulative per-node requests. The
/// requests between two samples count in the window holding the later sample's time (less
/// one nanosecond, so a sample on a window boundary closes the window before it).
pub fn over_time(samples: &Samples, width: SimDuration) -> Vec<LoadWindow> {
    let width_ns = width.as_nanos().max(1);
    let mut windows: BTreeMap<u64, Vec<u64>> = BTreeMap::new();
    let mut prev: Option<&[u64]> = None;
    for p in &samples.points {
        let idx = p.t.as_nanos().saturating_sub(1) / width_ns;
        let w = windows.entry(idx).or_insert_with(|| vec![0; p.requests.len()]);
        for (i, total) in p.requests.iter().enumerate() {
            let before = prev.and_then(|q| q.get(i)).copied().unwrap_or(0);
            if let Some(slot) = w.get_mut(i) {
                *slot += total.saturating_sub(before);
            }
        }
        prev = Some(&p.requests);
    }
    windows
        .into_iter()
        .filter(|(_, loads)| loads.iter().any(|&l| l > 0))
        .map(|(idx, loads)| LoadWindow {
            start_s: round6((idx * width_ns) as f64 / 1e9),
            requests: loads.iter().sum(),
            efficiency: load_balance_efficiency(&loads).map(round6),
            out_of_balance_share: out_of_balance_fraction(&loads, OUT_OF_BALANCE).map(round6),
        })
        .collect()
}

/// The load section.
pub fn section(asm: &Assembly, samples: Option<&Samples>, window: SimDuration) -> LoadSection {
    let counters = node_counters(asm);
    let nodes: Vec<NodeLoad> = counters
        .iter()
        .enumerate()
        .map(|(i, c)| NodeLoad {
            node: i as u32,
            requests: c.requests(),
            replica_reads: c.replica_reads,
            replica_writes: c.replica_writes,
            coordinated: c.coordinated,
            keys: asm.world.disk(ProcId(i as u32)).keys().filter(|k| matches!(k, StoreKey::Data(_))).count() as u64,
        })
        .collect();
    let requests: Vec<u64> = nodes.iter().map(|n| n.requests).collect();
    let keys: Vec<u64> = nodes.iter().map(|n| n.keys).collect();
    LoadSection {
        requests: balance(&requests),
        keys: balance(&keys),
        over_time: samples.map(|s| over_time(s, window)).unwrap_or_default(),
        node_counters: "cumulative".to_string(),
        nodes,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::metrics::samples::Sample;
    use sim_core::SimTime;

    #[test]
    fn balance_is_mean_over_max_with_the_15_percent_rule() {
        let b = balance(&[80, 110, 120, 90]);
        assert_eq!((b.mean, b.max, b.min), (100.0, 120, 80));
        assert_eq!(b.efficiency, Some(round6(100.0 / 120.0)));
        assert_eq!(b.out_of_balance_share, Some(0.5));
        assert_eq!(b.out_of_balance_nodes, vec![0, 2]);
        let idle = balance(&[0, 0]);
        assert_eq!((idle.efficiency, idle.out_of_balance_share), (None, None));
    }

    #[test]
    fn windows_take_the_requests_between_samples() {
        let at = |ms: u64, requests: Vec<u64>| Sample {
            t: SimTime(ms * 1_000_000),
            keys: 0,
            divergent: 0,
            requests,
            totals: Default::default(),
        };
        let s = Samples {
            points: vec![at(500, vec![5, 5]), at(1000, vec![10, 10]), at(1500, vec![10, 10]), at(2000, vec![10, 30])],
            ..Samples::default()
        };
        let w = over_time(&s, SimDuration::from_secs(1));
        assert_eq!(w.len(), 2);
        assert_eq!((w[0].start_s, w[0].requests, w[0].efficiency), (0.0, 20, Some(1.0)));
        assert_eq!((w[1].start_s, w[1].requests, w[1].efficiency), (1.0, 20, Some(0.5)));
    }
}
