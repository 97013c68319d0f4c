//! Building the run report from a finished run.

use crate::run::RunOutcome;
use crate::spec::Admin;
use crate::spec::Scenario;
use dynamo_model::counters::Counter;
use dynamo_model::msg::Msg;
use reports::{CounterSummary, FaultInterval, NodeSummary, RunReport, SCHEMA_VERSION};
use sim_core::CounterSet;
use sim_core::fault::Fault;
use sim_core::{Message, ProcId};
use std::collections::BTreeMap;

/// The SLA latency of Dynamo's paper: 300 ms at the 99.9th percentile (the default of
/// `outputs.metrics.sla_ms`).
pub const SLA_MS: f64 = 300.0;

/// The report of a run of `scenario` from `source` with its message diagram (captured by a
/// second, shortened run with the same seed; see [`crate::diagram`]): what `dynsim run` writes.
pub fn build_with_diagram(
    scenario: &Scenario,
    source: &str,
    out: &RunOutcome,
) -> Result<RunReport, crate::error::SpecError> {
    let mut r = build(scenario, source, out);
    r.diagram = crate::diagram::build(scenario, out, &r)?;
    Ok(r)
}

/// The report of a run of `scenario` (as given, before the seed override) from `source`,
/// without the message diagram.
pub fn build(scenario: &Scenario, source: &str, out: &RunOutcome) -> RunReport {
    let mut effective = scenario.clone();
    effective.seed = out.seed;
    let world = &out.assembly.world;
    let sla_ms = scenario.outputs.metrics.sla_ms;
    let measured = out.measured();
    let m = measured.sections.clone();
    let mut report = RunReport {
        schema_version: SCHEMA_VERSION,
        dynsim_version: env!("CARGO_PKG_VERSION").to_string(),
        scenario_name: scenario.name.clone(),
        seed: out.seed,
        trace_hash: out.trace_hash.clone(),
        replay: format!("dynsim run {source} --seed {}", out.seed),
        sim_end_s: world.now().as_secs_f64(),
        events: world.stats().popped,
        sla_ms,
        ops: measured.ops.clone(),
        workload: BTreeMap::from([
            ("shed_arrivals".to_string(), out.counters.shed),
            ("resurrected_items".to_string(), out.counters.resurrected_items),
        ]),
        network: network(out),
        counters: counters(out),
        nodes: nodes(out),
        windows: m.windows,
        reachability: measured.reachability.clone(),
        phases: m.phases,
        divergence: m.divergence,
        staleness: m.staleness,
        visibility: m.visibility,
        durability: m.durability,
        convergence: m.convergence,
        cost: m.cost,
        load: m.load,
        activity: m.activity,
        latency_cdf: measured.latency_cdf.clone(),
        faults: fault_intervals(scenario, world.now().as_secs_f64()),
        wars: None,
        // Captured by a second run, when wanted: see `crate::diagram::build`.
        diagram: None,
        checks: measured.checks.clone(),
        scenario: serde_json::to_value(&effective).unwrap_or_default(),
    };
    report.wars = crate::wars::section(scenario, &report, out.seed);
    report
}

/// The scenario's fault timeline as intervals: a crash, wipe or pause until its delayed or
/// explicit restart or resume, a partition, clog or slowdown until the heal naming it (or
/// healing all); other actions are instants. Open intervals last to the end (`None`).
pub fn fault_intervals(s: &Scenario, end_s: f64) -> Vec<FaultInterval> {
    let mut timeline: Vec<_> = s.faults.iter().filter(|a| a.at_s <= end_s).collect();
    timeline.sort_by(|a, b| a.at_s.total_cmp(&b.at_s));
    let mut out = Vec::new();
    for (i, a) in timeline.iter().enumerate() {
        let later = &timeline[i + 1..];
        let end = |t: f64| Some(t).filter(|t| *t <= end_s);
        let (label, until_s) = match (&a.fault, &a.admin) {
            (Some(f @ (Fault::Crash { node, restart_after_ms: d } | Fault::Wipe { node, restart_after_ms: d })), _) => {
                let explicit = later.iter().find(|b| matches!(&b.fault, Some(Fault::Restart { node: n }) if n == node));
                let until = d.map(|d| a.at_s + d / 1e3).or(explicit.map(|b| b.at_s));
                (format!("{} n{}", f.label(), node.0), until.and_then(end))
            }
            (Some(Fault::Pause { node, resume_after_ms: d }), _) => {
                let explicit = later.iter().find(|b| matches!(&b.fault, Some(Fault::Resume { node: n }) if n == node));
                let until = d.map(|d| a.at_s + d / 1e3).or(explicit.map(|b| b.at_s));
                (format!("pause n{}", node.0), until.and_then(end))
            }
            (Some(f @ (Fault::Partition { name, .. } | Fault::Clog { name, .. } | Fault::Slow { name, .. })), _) => {
                let heal = later.iter().find(
                    |b| matches!(&b.fault, Some(Fault::Heal { name: h }) if h.as_ref().is_none_or(|h| h == name)),
                );
                (format!("{} {name}", f.label()), heal.map(|b| b.at_s))
            }
            (Some(Fault::Restart { .. } | Fault::Resume { .. } | Fault::Heal { .. }), _) => continue,
            (Some(f), _) => {
                let node = f.node().map(|n| format!(" n{}", n.0)).unwrap_or_default();
                (format!("{}{node}", f.label()), Some(a.at_s))
            }
            (None, Some(Admin::Replace { node, after_ms })) => {
                (format!("replace n{node}"), end(a.at_s + after_ms / 1e3))
            }
            (None, Some(Admin::Join { node })) => (format!("join n{node}"), Some(a.at_s)),
            (None, Some(Admin::Leave { node })) => (format!("leave n{node}"), Some(a.at_s)),
            (None, None) => continue,
        };
        out.push(FaultInterval { at_s: a.at_s, until_s, label });
    }
    out
}

fn network(out: &RunOutcome) -> BTreeMap<String, BTreeMap<String, u64>> {
    let counters = out.assembly.world.net().counters();
    Msg::KINDS
        .iter()
        .zip(counters)
        .filter(|(_, c)| c.sent > 0)
        .map(|(name, c)| {
            let fields = [
                ("sent", c.sent),
                ("bytes_sent", c.bytes_sent),
                ("delivered", c.delivered),
                ("duplicated", c.duplicated),
                ("dropped_loss", c.dropped_loss),
                ("dropped_partition", c.dropped_partition),
                ("dropped_crash", c.dropped_crash),
                ("held", c.held),
            ];
            (name.to_string(), fields.iter().map(|(k, v)| (k.to_string(), *v)).collect())
        })
        .collect()
}

fn nodes(out: &RunOutcome) -> Vec<NodeSummary> {
    let world = &out.assembly.world;
    (0..out.assembly.nodes as u32)
        .map(|i| {
            let id = ProcId(i);
            let counters =
                Counter::DEFS.iter().zip(world.counters(id)).map(|(d, v)| (d.name.to_string(), *v)).collect();
            let mut state = BTreeMap::new();
            if let Some(n) = world.process(id).and_then(|a| a.as_node()) {
                let on_ring = n.view().status(n.id()).is_some_and(|st| st.on_ring());
                state.insert("hints_held".to_string(), n.storage().hint_count() as u64);
                state.insert("on_ring_in_own_view".to_string(), u64::from(on_ring));
                state.insert("ring_members_in_view".to_string(), n.view().ring().node_count() as u64);
            }
            NodeSummary { node: i, up: world.is_up(id), counters, state }
        })
        .collect()
}

/// Every counter the model declares, with its totals over nodes and over clients.
fn counters(out: &RunOutcome) -> Vec<CounterSummary> {
    let asm = &out.assembly;
    let sum = |procs: &mut dyn Iterator<Item = ProcId>, i: usize| procs.map(|p| asm.world.counters(p)[i]).sum::<u64>();
    Counter::DEFS
        .iter()
        .enumerate()
        .map(|(i, d)| CounterSummary {
            name: d.name.to_string(),
            kind: d.kind.name().to_string(),
            doc: d.doc.to_string(),
            nodes: sum(&mut (0..asm.nodes as u32).map(ProcId), i),
            clients: sum(&mut asm.clients.iter().map(|(p, _)| *p), i),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fault_intervals_pair_faults_with_their_heals_and_restarts() {
        let faults = serde_json::json!([
            { "at_s": 1.0, "fault": { "crash": { "node": 2, "restart_after_ms": 500.0 } } },
            { "at_s": 2.0, "fault": { "partition": { "name": "split", "shape": { "isolate_one": { "node": 0 } } } } },
            { "at_s": 3.0, "fault": { "pause": { "node": 1 } } },
            { "at_s": 4.0, "fault": { "clock_jump": { "node": 0, "delta_ms": -10.0 } } },
            { "at_s": 5.0, "fault": { "heal": { "name": "split" } } },
            { "at_s": 6.0, "fault": { "resume": { "node": 1 } } },
            { "at_s": 7.0, "fault": { "crash": { "node": 3 } } },
            { "at_s": 99.0, "fault": { "crash": { "node": 4 } } }
        ]);
        let default = crate::library::find("default").expect("the default ships");
        let mut s: Scenario = serde_json::from_str(default).expect("the default parses");
        s.faults = serde_json::from_value(faults).expect("valid timeline");
        let got: Vec<(f64, Option<f64>, String)> =
            fault_intervals(&s, 10.0).into_iter().map(|f| (f.at_s, f.until_s, f.label)).collect();
        assert_eq!(
            got,
            vec![
                (1.0, Some(1.5), "crash n2".to_string()),
                (2.0, Some(5.0), "partition split".to_string()),
                (3.0, Some(6.0), "pause n1".to_string()),
                (4.0, Some(4.0), "clock_jump n0".to_string()),
                (7.0, None, "crash n3".to_string()),
            ]
        );
    }
}
