//! Cluster activity charts: hinted handoff / read repair / anti-entropy totals and load per
//! node.

use super::{Chart, bars, render};
use crate::run_report::RunReport;

/// Hinted writes, hints stored, hinted handoffs, read repairs and anti-entropy repairs over the
/// run (totals: the report has no time series of these).
pub fn repair_activity(r: &RunReport) -> Chart {
    let title = "Hinted handoff and repair activity (run totals)";
    let c = &r.cost;
    let mut cats = vec!["hinted writes", "hints stored", "hinted handoffs", "read repairs"];
    let mut vals = vec![c.hinted_writes, c.hints_stored, c.hinted_handoffs, c.read_repairs];
    if let Some(ae) = c.anti_entropy_keys_repaired {
        cats.push("anti-entropy keys repaired");
        vals.push(ae);
    }
    let cats: Vec<String> = cats.into_iter().map(str::to_string).collect();
    let series = vec![("count".to_string(), vals.iter().map(|v| *v as f64).collect::<Vec<_>>())];
    render("repair_activity", title, c.client_ops > 0 || vals.iter().any(|v| *v > 0), |root| {
        bars(root, title, "mechanism", "count (whole run)", &cats, &series, false)
    })
}

/// Requests per node, stacked: coordinated, replica reads and replica writes.
pub fn load_per_node(r: &RunReport) -> Chart {
    let title = "Load per node";
    let nodes = &r.load.nodes;
    let cats: Vec<String> = nodes.iter().map(|n| format!("n{}", n.node)).collect();
    let series = vec![
        ("coordinated".to_string(), nodes.iter().map(|n| n.coordinated as f64).collect()),
        ("replica reads".to_string(), nodes.iter().map(|n| n.replica_reads as f64).collect()),
        ("replica writes".to_string(), nodes.iter().map(|n| n.replica_writes as f64).collect()),
    ];
    let note = if r.load.node_counters.is_empty() { String::new() } else { format!(", {}", r.load.node_counters) };
    render("load_per_node", title, !nodes.is_empty(), |root| {
        bars(root, title, "node", &format!("requests handled{note}"), &cats, &series, true)
    })
}
