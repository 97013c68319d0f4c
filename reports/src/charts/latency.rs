//! Latency and availability charts: the latency CDF per operation kind, p50/p99/p99.9 over
//! time and the success ratio over time (with its Wilson interval), with the fault timeline
//! shaded. Time axes end with the last operation.

use super::canvas::FONT;
use super::ratio::{RatioPoint, draw_ratio_series, share_axes, sparse_legend, success_per_window};
use super::{Chart, Look, colour, legend, mesh, ops_end_s, render, shade_faults, span, text_room, tick};
use crate::run_report::RunReport;
use plotters::prelude::*;

/// Latency CDF per operation kind (successful operations), log-scaled latency axis so the tail
/// shows.
pub fn cdf(r: &RunReport, look: &Look) -> Chart {
    let title = "Latency CDF per operation kind";
    let q = &r.latency_cdf.quantiles;
    let series: Vec<(&String, Vec<(f64, f64)>)> = r
        .latency_cdf
        .ms
        .iter()
        .map(|(k, ms)| (k, ms.iter().zip(q).filter(|(m, _)| **m > 0.0).map(|(m, q)| (*m, *q)).collect::<Vec<_>>()))
        .filter(|(_, pts)| !pts.is_empty())
        .collect();
    let (lo, hi) = series
        .iter()
        .flat_map(|(_, p)| p.iter().map(|x| x.0))
        .fold((f64::INFINITY, 0.0_f64), |(lo, hi), x| (lo.min(x), hi.max(x)));
    render(look, "latency_cdf", title, !series.is_empty(), |root| {
        let (lo, hi) = (lo * 0.8, hi * 1.25);
        let mut chart = ChartBuilder::on(root)
            .caption(title, (FONT, 20))
            .margin(12)
            .x_label_area_size(text_room(root, 40))
            .y_label_area_size(text_room(root, 56))
            .build_cartesian_2d((lo..hi).log_scale(), 0.0..1.0)?;
        mesh(&mut chart)
            .x_label_formatter(&tick)
            .y_label_formatter(&tick)
            .x_desc("latency (ms, log scale)")
            .y_desc("fraction of operations ≤ latency")
            .draw()?;
        for (i, (kind, pts)) in series.iter().enumerate() {
            let c = colour(i);
            chart
                .draw_series(LineSeries::new(pts.iter().copied(), c.stroke_width(2)))?
                .label(kind.as_str())
                .legend(move |(x, y)| PathElement::new([(x, y), (x + 16, y)], c.stroke_width(2)));
        }
        legend(&mut chart, SeriesLabelPosition::LowerRight)?;
        Ok(())
    })
}

/// Latency percentiles (p50, p99, p99.9) of all reads and all writes per window, log-scaled,
/// with faults shaded and labelled.
pub fn percentiles_over_time(r: &RunReport, look: &Look) -> Chart {
    let title = "Latency percentiles over time";
    let mut series: Vec<(String, usize, Series)> = Vec::new();
    for (i, kind) in ["all_reads", "all_writes"].into_iter().enumerate() {
        for (j, (p, needs, pick)) in [
            ("p50", 2, (|o: &crate::metrics::WindowOps| o.p50_ms) as fn(&_) -> f64),
            ("p99", 100, |o| o.p99_ms),
            ("p99.9", 1000, |o| o.p999_ms),
        ]
        .into_iter()
        .enumerate()
        {
            let ok: Vec<(f64, u64, f64)> = r
                .windows
                .windows
                .iter()
                .filter_map(|w| w.ops.get(kind).filter(|o| o.ok > 0).map(|o| (w.start_s, o.ok, pick(o))))
                .filter(|(_, _, v)| *v > 0.0)
                .collect();
            if ok.is_empty() {
                continue;
            }
            // A window of fewer than `needs` successful operations has no such percentile of its
            // own: HDR returns its maximum. Say so in the series' name.
            let name = if ok.iter().any(|&(_, n, _)| n < needs) {
                format!("{kind} {p} (max if < {needs} ops)")
            } else {
                format!("{kind} {p}")
            };
            series.push((name, [0, 2, 4, 1, 3, 6][i * 3 + j], ok.iter().map(|&(t, _, v)| (t, v)).collect()));
        }
    }
    let (lo, hi) = series
        .iter()
        .flat_map(|(_, _, p)| p.iter().map(|x| x.1))
        .fold((f64::INFINITY, 0.0_f64), |(lo, hi), x| (lo.min(x), hi.max(x)));
    let end = ops_end_s(r);
    render(look, "latency_over_time", title, !series.is_empty(), |root| {
        let (lo, hi) = (lo * 0.8, hi * 2.0);
        let mut chart = ChartBuilder::on(root)
            .caption(title, (FONT, 20))
            .margin(12)
            .x_label_area_size(text_room(root, 40))
            .y_label_area_size(text_room(root, 56))
            .build_cartesian_2d(0.0..end, (lo..hi).log_scale())?;
        mesh(&mut chart)
            .x_label_formatter(&tick)
            .y_label_formatter(&tick)
            .x_desc(format!("simulated time (s, windows of {} s)", r.windows.window_s))
            .y_desc("latency (ms, log scale)")
            .draw()?;
        shade_faults(&mut chart, &r.faults, end, lo, hi)?;
        for (name, ci, pts) in &series {
            let c = colour(*ci);
            let style = c.stroke_width(2);
            chart
                .draw_series(LineSeries::new(pts.iter().copied(), style))?
                .label(name.as_str())
                .legend(move |(x, y)| PathElement::new([(x, y), (x + 16, y)], style));
        }
        legend(&mut chart, SeriesLabelPosition::UpperRight)?;
        Ok(())
    })
}

/// Availability (success ratio per window) of all reads and all writes, with a Wilson 95% band,
/// faults shaded. Windows with fewer than [`super::ratio::SPARSE_WINDOW_OPS`] operations are
/// marked, not joined; the time axis ends with the last operation (not the idle settle period).
pub fn availability_over_time(r: &RunReport, look: &Look) -> Chart {
    let title = "Availability over time";
    let series: Vec<(&str, Vec<RatioPoint>)> = ["all_reads", "all_writes"]
        .into_iter()
        .map(|k| (k, success_per_window(r, k)))
        .filter(|(_, p)| !p.is_empty())
        .collect();
    // The axis spans the windows with enough operations; a sparse window below it is marked on
    // the bottom edge with its count (say "2/3 ok").
    let lo = series
        .iter()
        .flat_map(|(_, p)| p.iter().filter(|x| !x.sparse()).map(|x| x.ratio.min(x.low)))
        .fold(1.0, f64::min);
    let end = ops_end_s(r);
    let sparse = series.iter().any(|(_, p)| p.iter().any(RatioPoint::sparse));
    render(look, "availability", title, !series.is_empty(), |root| {
        let (lo, hi) = span((lo - 0.05).max(0.0), 1.02);
        let mut chart = share_axes(root, r, title, (end, lo, hi), "success ratio (ok / completed)")?;
        for (i, (kind, pts)) in series.iter().enumerate() {
            draw_ratio_series(&mut chart, kind, pts, colour(i), (lo, hi), "ok")?;
        }
        if sparse {
            sparse_legend(&mut chart)?;
        }
        legend(&mut chart, SeriesLabelPosition::LowerLeft)?;
        Ok(())
    })
}

/// The points of one line, (x, y).
type Series = Vec<(f64, f64)>;
