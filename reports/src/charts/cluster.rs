//! Cluster activity charts: hinted handoff / read repair / anti-entropy / key-transfer work per
//! time window, and load per node.

use super::canvas::FONT;
use super::{Chart, Look, bars, colour, end_s, legend, mesh, render, shade_faults, text_room, tick};
use crate::metrics::ActivityWindow;
use crate::run_report::RunReport;
use plotters::prelude::*;

/// Hinted writes, hints stored, hints delivered (handed off), read repairs and, with
/// anti-entropy on, its exchanges and keys transferred, and with joins or leaves the keys their
/// transfers moved, per time window, with faults and membership changes shaded.
pub fn repair_activity(r: &RunReport, look: &Look) -> Chart {
    let a = &r.activity;
    let title = if a.membership_changes {
        "Hinted handoff, read repair, anti-entropy and key transfer over time"
    } else {
        "Hinted handoff, read repair and anti-entropy over time"
    };
    type Pick = fn(&ActivityWindow) -> Option<u64>;
    let mut lines: Vec<(&str, Pick)> = vec![
        ("hinted writes", |w| Some(w.hinted_writes)),
        ("hints stored", |w| Some(w.hints_stored)),
        ("hints delivered", |w| Some(w.hints_delivered)),
        ("read repairs", |w| Some(w.read_repairs)),
    ];
    if a.anti_entropy {
        lines.push(("anti-entropy exchanges", |w| w.ae_exchanges));
        lines.push(("anti-entropy keys transferred", |w| w.ae_keys_transferred));
    }
    if a.membership_changes {
        lines.push(("join/leave keys transferred", |w| w.transfer_keys));
    }
    let series: Vec<(&str, Vec<(f64, f64)>)> = lines
        .iter()
        .map(|(name, pick)| (*name, a.windows.iter().map(|w| (w.start_s, pick(w).unwrap_or(0) as f64)).collect()))
        .collect();
    let top = series.iter().flat_map(|(_, p)| p.iter().map(|x| x.1)).fold(0.0_f64, f64::max);
    let end = end_s(r);
    render(look, "repair_activity", title, !a.windows.is_empty(), |root| {
        let hi = if top > 0.0 { top * 1.25 } else { 1.0 };
        let mut chart = ChartBuilder::on(root)
            .caption(title, (FONT, 20))
            .margin(12)
            .x_label_area_size(text_room(root, 40))
            .y_label_area_size(text_room(root, 64))
            .build_cartesian_2d(0.0..end, 0.0..hi)?;
        mesh(&mut chart)
            .x_label_formatter(&tick)
            .x_desc(format!("simulated time (s, windows of {} s)", a.window_s))
            .y_desc(format!("count per {} s window", a.window_s))
            .y_label_formatter(&|y: &f64| if hi > 10.0 { format!("{y:.0}") } else { format!("{y:.1}") })
            .draw()?;
        shade_faults(&mut chart, &r.faults, end, 0.0, hi)?;
        for (i, (name, pts)) in series.iter().enumerate() {
            let style = colour(i).stroke_width(2);
            chart
                .draw_series(LineSeries::new(pts.iter().copied(), style))?
                .label(*name)
                .legend(move |(x, y)| PathElement::new([(x, y), (x + 16, y)], style));
        }
        legend(&mut chart, SeriesLabelPosition::UpperRight)?;
        Ok(())
    })
}

/// Requests per node, stacked: coordinated, replica reads and replica writes.
pub fn load_per_node(r: &RunReport, look: &Look) -> Chart {
    let title = "Load per node";
    let nodes = &r.load.nodes;
    let cats: Vec<String> = nodes.iter().map(|n| format!("n{}", n.node)).collect();
    let series = vec![
        ("coordinated".to_string(), nodes.iter().map(|n| n.coordinated as f64).collect()),
        ("replica reads".to_string(), nodes.iter().map(|n| n.replica_reads as f64).collect()),
        ("replica writes".to_string(), nodes.iter().map(|n| n.replica_writes as f64).collect()),
    ];
    let note = if r.load.node_counters.is_empty() { String::new() } else { format!(", {}", r.load.node_counters) };
    render(look, "load_per_node", title, !nodes.is_empty(), |root| {
        bars(root, title, "node", &format!("requests handled{note}"), &cats, &series, true)
    })
}
