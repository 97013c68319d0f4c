//! Per-window shares drawn honestly (availability, stale reads): each window's share with its
//! Wilson 95% interval as a band, joined into a line only over windows with enough operations;
//! a sparse window is a hollow marker, pinned to the axis edge with its counts when its share
//! falls outside the axis.

use super::DrawResult;
use super::canvas::FONT;
use crate::interval::{Z95, wilson};
use plotters::coord::types::RangedCoordf64;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

/// Windows with fewer operations than this are drawn as hollow markers, not joined into the
/// line: their share is too coarse to read (one failure of three reads is 0.67).
pub const SPARSE_WINDOW_OPS: u64 = 20;

/// One window's share: `hits` of `n` operations.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) struct RatioPoint {
    /// The window's midpoint, seconds.
    pub t: f64,
    /// `hits / n`.
    pub ratio: f64,
    /// Wilson 95% interval.
    pub low: f64,
    /// Wilson 95% interval.
    pub high: f64,
    /// Operations counted.
    pub n: u64,
    /// Of those, the ones the share counts.
    pub hits: u64,
}

impl RatioPoint {
    /// The share of `hits` in `n` (> 0) operations at time `t`.
    pub fn new(t: f64, hits: u64, n: u64) -> Self {
        debug_assert!(n > 0 && hits <= n);
        let (low, high) = wilson(hits, n, Z95);
        RatioPoint { t, ratio: hits as f64 / n as f64, low, high, n, hits }
    }

    /// Too few operations to join into the line.
    pub fn sparse(&self) -> bool {
        self.n < SPARSE_WINDOW_OPS
    }
}

/// One series: its Wilson band and line over each run of windows with enough operations, and a
/// hollow marker for each sparse window (pinned to the edge of `(floor, ceiling)` with its
/// counts, "2/3 ok", when its share falls outside the axis; `hits` names what is counted).
pub(crate) fn draw_ratio_series<DB: DrawingBackend>(
    chart: &mut ChartContext<'_, DB, Cartesian2d<RangedCoordf64, RangedCoordf64>>,
    kind: &str,
    pts: &[RatioPoint],
    c: RGBColor,
    (floor, ceiling): (f64, f64),
    hits: &str,
) -> DrawResult
where
    DB::ErrorType: 'static,
{
    let runs: Vec<&[RatioPoint]> = pts.split(RatioPoint::sparse).filter(|r| !r.is_empty()).collect();
    let bands = runs.iter().map(|run| {
        let edge: Vec<(f64, f64)> =
            run.iter().map(|p| (p.t, p.high)).chain(run.iter().rev().map(|p| (p.t, p.low))).collect();
        Polygon::new(edge, c.mix(0.18).filled())
    });
    chart
        .draw_series(bands)?
        .label(format!("{kind}: Wilson 95% interval"))
        .legend(move |(x, y)| Rectangle::new([(x, y - 5), (x + 16, y + 5)], c.mix(0.18).filled()));
    let style = c.stroke_width(2);
    let mut lines =
        runs.iter().map(|run| PathElement::new(run.iter().map(|p| (p.t, p.ratio)).collect::<Vec<_>>(), style));
    if let Some(first) = lines.next() {
        chart
            .draw_series(std::iter::once(first))?
            .label(kind.to_string())
            .legend(move |(x, y)| PathElement::new([(x, y), (x + 16, y)], style));
        chart.draw_series(lines)?;
    }
    let sparse = || pts.iter().filter(|p| p.sparse());
    chart.draw_series(sparse().map(|p| Circle::new((p.t, p.ratio.clamp(floor, ceiling)), 4, c.stroke_width(2))))?;
    let outside = sparse().filter(|p| p.ratio < floor || p.ratio > ceiling).map(|p| {
        let (y, v) = if p.ratio < floor { (floor, VPos::Bottom) } else { (ceiling, VPos::Top) };
        let font = (FONT, 11).into_font().color(&c).pos(Pos::new(HPos::Right, v));
        Text::new(format!("{}/{} {hits}", p.hits, p.n), (p.t, y), font)
    });
    chart.draw_series(outside)?;
    Ok(())
}

/// The legend entry for sparse-window markers.
pub(crate) fn sparse_legend<DB: DrawingBackend>(
    chart: &mut ChartContext<'_, DB, Cartesian2d<RangedCoordf64, RangedCoordf64>>,
) -> DrawResult
where
    DB::ErrorType: 'static,
{
    let grey = RGBColor(90, 90, 90);
    chart
        .draw_series(std::iter::empty::<Circle<(f64, f64), i32>>())?
        .label(format!("window of < {SPARSE_WINDOW_OPS} ops (marker only)"))
        .legend(move |(x, y)| Circle::new((x + 8, y), 4, grey.stroke_width(2)));
    Ok(())
}

/// Per window in which an operation of `kind` completed: its success share (ok / completed).
pub(crate) fn success_per_window(r: &crate::run_report::RunReport, kind: &str) -> Vec<RatioPoint> {
    let half = r.windows.window_s / 2.0;
    (r.windows.windows.iter())
        .filter_map(|w| w.ops.get(kind).filter(|o| o.completed > 0).map(|o| (w.start_s + half, o)))
        .map(|(t, o)| RatioPoint::new(t, o.ok.min(o.completed), o.completed))
        .collect()
}

/// The axes every share-over-time chart draws on: simulated time (to `end`) against a share
/// in `(lo, hi)` labelled `y_desc`, titled, with the fault timeline shaded.
pub(crate) fn share_axes<'a, 'b, DB: DrawingBackend>(
    root: &'a DrawingArea<DB, plotters::coord::Shift>,
    r: &crate::run_report::RunReport,
    title: &str,
    (end, lo, hi): (f64, f64, f64),
    y_desc: &str,
) -> Result<ChartContext<'a, DB, Cartesian2d<RangedCoordf64, RangedCoordf64>>, Box<dyn std::error::Error + 'b>>
where
    DB::ErrorType: 'static,
{
    let mut chart = ChartBuilder::on(root)
        .caption(title, (FONT, 20))
        .margin(12)
        .x_label_area_size(super::text_room(root, 40))
        .y_label_area_size(super::text_room(root, 56))
        .build_cartesian_2d(0.0..end, lo..hi)?;
    super::mesh(&mut chart)
        .x_label_formatter(&super::tick)
        .y_label_formatter(&super::tick)
        .x_desc(format!("simulated time (s, windows of {} s)", r.windows.window_s))
        .y_desc(y_desc)
        .draw()?;
    super::shade_faults(&mut chart, &r.faults, end, lo, hi)?;
    Ok(chart)
}
