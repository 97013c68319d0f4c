//! Latency and availability charts: the latency CDF per operation kind, p50/p99/p99.9 over
//! time and the success ratio over time (with its Wilson interval), with the fault timeline
//! shaded. Time axes end with the last operation.

use super::canvas::FONT;
use super::{Chart, DrawResult, colour, legend, mesh, ops_end_s, render, shade_faults, span, tick};
use crate::interval::{Z95, wilson};
use crate::run_report::RunReport;
use plotters::coord::types::RangedCoordf64;
use plotters::prelude::*;

/// Latency CDF per operation kind (successful operations), log-scaled latency axis so the tail
/// shows.
pub fn cdf(r: &RunReport) -> Chart {
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
    render("latency_cdf", title, !series.is_empty(), |root| {
        let (lo, hi) = (lo * 0.8, hi * 1.25);
        let mut chart = ChartBuilder::on(root)
            .caption(title, (FONT, 20))
            .margin(12)
            .x_label_area_size(40)
            .y_label_area_size(56)
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
pub fn percentiles_over_time(r: &RunReport) -> Chart {
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
    render("latency_over_time", title, !series.is_empty(), |root| {
        let (lo, hi) = (lo * 0.8, hi * 2.0);
        let mut chart = ChartBuilder::on(root)
            .caption(title, (FONT, 20))
            .margin(12)
            .x_label_area_size(40)
            .y_label_area_size(56)
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

/// Windows with fewer completed operations than this are drawn as hollow markers, not joined
/// into the line: their ratio is too coarse to read as availability (one failure of three
/// reads is 0.67).
pub const SPARSE_WINDOW_OPS: u64 = 20;

/// Text anchored at its bottom-right corner (a label left of and above a point).
const BOTTOM_RIGHT: plotters::style::text_anchor::Pos = plotters::style::text_anchor::Pos {
    h_pos: plotters::style::text_anchor::HPos::Right,
    v_pos: plotters::style::text_anchor::VPos::Bottom,
};

/// One window's success ratio: (window midpoint, ratio, Wilson 95% low, high, completed).
type RatioPoint = (f64, f64, f64, f64, u64);

/// Availability (success ratio per window) of all reads and all writes, with a Wilson 95% band,
/// faults shaded. Windows with fewer than [`SPARSE_WINDOW_OPS`] operations are marked, not
/// joined; the time axis ends with the last operation (not the idle settle period).
pub fn availability_over_time(r: &RunReport) -> Chart {
    let title = "Availability over time";
    let half = r.windows.window_s / 2.0;
    let series: Vec<(&str, Vec<RatioPoint>)> = ["all_reads", "all_writes"]
        .into_iter()
        .map(|k| {
            let pts = r
                .windows
                .windows
                .iter()
                .filter_map(|w| w.ops.get(k).filter(|o| o.completed > 0).map(|o| (w.start_s + half, o)))
                .map(|(t, o)| {
                    let (lo, hi) = wilson(o.ok, o.completed, Z95);
                    (t, o.success_ratio, lo, hi, o.completed)
                })
                .collect::<Vec<_>>();
            (k, pts)
        })
        .filter(|(_, p)| !p.is_empty())
        .collect();
    // The axis spans the windows with enough operations; a sparse window below it is marked on
    // the bottom edge with its count (say "2/3 ok").
    let lo = series
        .iter()
        .flat_map(|(_, p)| p.iter().filter(|x| x.4 >= SPARSE_WINDOW_OPS).map(|x| x.1.min(x.2)))
        .fold(1.0_f64, f64::min);
    let end = ops_end_s(r);
    let sparse = series.iter().any(|(_, p)| p.iter().any(|x| x.4 < SPARSE_WINDOW_OPS));
    render("availability", title, !series.is_empty(), |root| {
        let (lo, hi) = span((lo - 0.05).max(0.0), 1.02);
        let mut chart = ChartBuilder::on(root)
            .caption(title, (FONT, 20))
            .margin(12)
            .x_label_area_size(40)
            .y_label_area_size(56)
            .build_cartesian_2d(0.0..end, lo..hi)?;
        mesh(&mut chart)
            .x_label_formatter(&tick)
            .y_label_formatter(&tick)
            .x_desc(format!("simulated time (s, windows of {} s)", r.windows.window_s))
            .y_desc("success ratio (ok / completed)")
            .draw()?;
        shade_faults(&mut chart, &r.faults, end, lo, hi)?;
        for (i, (kind, pts)) in series.iter().enumerate() {
            draw_ratio_series(&mut chart, kind, pts, colour(i), lo)?;
        }
        if sparse {
            let grey = RGBColor(90, 90, 90);
            chart
                .draw_series(std::iter::empty::<Circle<(f64, f64), i32>>())?
                .label(format!("window of < {SPARSE_WINDOW_OPS} ops (marker only)"))
                .legend(move |(x, y)| Circle::new((x + 8, y), 4, grey.stroke_width(2)));
        }
        legend(&mut chart, SeriesLabelPosition::LowerLeft)?;
        Ok(())
    })
}

/// One kind's availability: its Wilson band and line over each run of windows with enough
/// operations, and a hollow marker for each sparse window (on the bottom edge `floor`, with its
/// counts, when its ratio is below the axis).
fn draw_ratio_series<DB: DrawingBackend>(
    chart: &mut ChartContext<'_, DB, Cartesian2d<RangedCoordf64, RangedCoordf64>>,
    kind: &str,
    pts: &[RatioPoint],
    c: RGBColor,
    floor: f64,
) -> DrawResult
where
    DB::ErrorType: 'static,
{
    let runs: Vec<&[RatioPoint]> = pts.split(|p| p.4 < SPARSE_WINDOW_OPS).filter(|r| !r.is_empty()).collect();
    let bands = runs.iter().map(|run| {
        let edge: Vec<(f64, f64)> =
            run.iter().map(|p| (p.0, p.3)).chain(run.iter().rev().map(|p| (p.0, p.2))).collect();
        Polygon::new(edge, c.mix(0.18).filled())
    });
    chart
        .draw_series(bands)?
        .label(format!("{kind}: Wilson 95% interval"))
        .legend(move |(x, y)| Rectangle::new([(x, y - 5), (x + 16, y + 5)], c.mix(0.18).filled()));
    let style = c.stroke_width(2);
    let mut lines = runs.iter().map(|run| PathElement::new(run.iter().map(|p| (p.0, p.1)).collect::<Vec<_>>(), style));
    if let Some(first) = lines.next() {
        chart
            .draw_series(std::iter::once(first))?
            .label(kind.to_string())
            .legend(move |(x, y)| PathElement::new([(x, y), (x + 16, y)], style));
        chart.draw_series(lines)?;
    }
    let sparse = || pts.iter().filter(|p| p.4 < SPARSE_WINDOW_OPS);
    chart.draw_series(sparse().map(|p| Circle::new((p.0, p.1.max(floor)), 4, c.stroke_width(2))))?;
    let below = sparse().filter(|p| p.1 < floor).map(|p| {
        let ok = (p.1 * p.4 as f64).round();
        Text::new(format!("{ok}/{} ok", p.4), (p.0, floor), (FONT, 11).into_font().color(&c).pos(BOTTOM_RIGHT))
    });
    chart.draw_series(below)?;
    Ok(())
}

/// The points of one line, (x, y).
type Series = Vec<(f64, f64)>;
