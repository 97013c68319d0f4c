//! Charts of a sweep summary (plotters, through the run charts' canvas: SVG, PNG and, when
//! asked, PDF, at the [`Look`]'s size and base font size): heatmaps of a metric over (R, W),
//! the latency/staleness trade-off, and metrics against a fault-intensity axis (or per
//! combination when the grid has none). Every chart has a title, axis labels with units and a
//! legend or colour scale; every value drawn is a mean over seeds with its 95% interval where
//! the chart has room for one.
//!
//! Axes other than R and W: heatmaps are faceted, one per combination of the other axes (the
//! first [`MAX_FACETS`]); the trade-off plot colours points by that combination. The first
//! numeric axis other than N, R and W is the "intensity" axis the line charts use as x.

use super::summary::{SweepSummary, plain};
use crate::charts::canvas::{Area, Painted, paint};
use crate::charts::{Formats, Look};
use plotters::prelude::*;

/// Default chart width, pixels.
pub const WIDTH: u32 = 800;
/// Default chart height, pixels.
pub const HEIGHT: u32 = 480;
/// At most this many heatmap facets per metric.
pub const MAX_FACETS: usize = 6;

/// One rendered chart of a sweep.
#[derive(Clone, Debug, PartialEq)]
pub struct SweepChart {
    /// File stem: written to `charts/<name>.svg`, `.png` and `.pdf` (the look's formats).
    pub name: String,
    /// Its title.
    pub title: String,
    /// The SVG document.
    pub svg: String,
    /// The PNG image.
    pub png: Vec<u8>,
    /// The PDF page, when the look asks for PDF.
    pub pdf: Option<Vec<u8>>,
    /// The formats the chart is written in.
    pub formats: Formats,
}

impl SweepChart {
    fn new(look: &Look, name: String, title: String, p: Painted) -> Self {
        SweepChart { name, title, svg: p.svg, png: p.png, pdf: p.pdf, formats: look.formats }
    }

    /// The chart's files as (extension, bytes), in its formats, in the order svg, png, pdf.
    pub fn files(&self) -> Vec<(&'static str, Vec<u8>)> {
        crate::charts::files(&self.formats, &self.svg, &self.png, self.pdf.as_deref())
    }
}

/// A metric the charts show: its name in [`super::METRICS`], a label with unit, whether it is
/// a ratio (drawn on the fixed scale [0, 1]), and why a run may not measure it.
struct Shown {
    metric: &'static str,
    label: &'static str,
    ratio: bool,
    unmeasured: &'static str,
}

const AVAILABILITY: Shown = Shown {
    metric: "availability",
    label: "availability (share of ops that succeeded)",
    ratio: true,
    unmeasured: "no run completed an operation",
};
const STALE: Shown = Shown {
    metric: "stale_read_ratio",
    label: "stale reads (share of reads with a prior write)",
    ratio: true,
    unmeasured: "no run had a successful get or rmw read of a key written before it",
};
const READ_P999: Shown = Shown {
    metric: "read_p999_ms",
    label: "read latency p99.9 (ms)",
    ratio: false,
    unmeasured: "no run had a successful read",
};
const T_VISIBILITY: Shown = Shown {
    metric: "t_visibility_999_ms",
    label: "time to P(consistent) ≥ 0.999 (ms)",
    ratio: false,
    unmeasured: "in no run did the t-visibility curve stay at P(consistent) ≥ 0.999 (or no read was measured)",
};
const MULTI_VERSION: Shown = Shown {
    metric: "multi_version_reads",
    label: "reads returning > 1 version (share)",
    ratio: true,
    unmeasured: "no run had a successful read",
};
const DIVERGENT: Shown = Shown {
    metric: "divergent_fraction_mean",
    label: "keys with divergent replicas (mean share)",
    ratio: true,
    unmeasured: "no run sampled replica state",
};

const HEATMAPS: [Shown; 5] = [AVAILABILITY, STALE, READ_P999, T_VISIBILITY, MULTI_VERSION];

const LINES: [Shown; 4] = [AVAILABILITY, MULTI_VERSION, DIVERGENT, T_VISIBILITY];

type DrawResult = Result<(), Box<dyn std::error::Error>>;

/// Every chart of a sweep drawn in `look`, in a fixed order.
pub fn all(s: &SweepSummary, look: &Look) -> Vec<SweepChart> {
    let mut out = Vec::new();
    if let (Some(r), Some(w)) = (axis(s, "r"), axis(s, "w")) {
        for shown in &HEATMAPS {
            for (f, facet) in facets(s, &[r, w]).into_iter().take(MAX_FACETS).enumerate() {
                out.push(heatmap(look, s, shown, r, w, &facet, f));
            }
        }
    }
    out.push(tradeoff(look, s));
    for shown in &LINES {
        out.push(by_intensity(look, s, shown));
    }
    out
}

/// The index of the axis for Dynamo field `field` (`r` matches `R`, `r` and `dynamo.r`).
fn axis(s: &SweepSummary, field: &str) -> Option<usize> {
    let full = format!("dynamo.{field}");
    s.layout.axes.iter().position(|a| a.eq_ignore_ascii_case(field) || *a == full)
}

/// A facet: the combinations sharing one assignment of the axes not in `inner`.
struct Facet {
    label: String,
    combos: Vec<usize>,
}

fn facets(s: &SweepSummary, inner: &[usize]) -> Vec<Facet> {
    let mut out: Vec<Facet> = Vec::new();
    let varying = varying_axes(s);
    for (c, combo) in s.layout.combos.iter().enumerate() {
        let parts: Vec<String> = varying
            .iter()
            .copied()
            .filter(|a| !inner.contains(a))
            .map(|a| format!("{}={}", s.layout.axes[a], plain(&combo.values[a])))
            .collect();
        let label = parts.join(" ");
        match out.iter_mut().find(|f| f.label == label) {
            Some(f) => f.combos.push(c),
            None => out.push(Facet { label, combos: vec![c] }),
        }
    }
    out
}

/// The distinct values of axis `a` among `combos`, in first-seen order.
fn distinct(s: &SweepSummary, a: usize, combos: &[usize]) -> Vec<serde_json::Value> {
    let mut v: Vec<serde_json::Value> = Vec::new();
    for &c in combos {
        let x = &s.layout.combos[c].values[a];
        if !v.contains(x) {
            v.push(x.clone());
        }
    }
    v
}

/// Draws a chart at the look's size (default `WIDTH` × `HEIGHT`); a drawing error gives a
/// "no data" chart with the same title.
fn render(look: &Look, name: String, title: String, draw: impl Fn(&Area<'_>) -> DrawResult) -> SweepChart {
    let painted = paint(look, look.size((WIDTH, HEIGHT)), &draw);
    match painted {
        Some(p) => SweepChart::new(look, name, title, p),
        None => no_data(look, name, title, "the chart could not be drawn"),
    }
}

/// A chart with its title, "no data" and why.
fn no_data(look: &Look, name: String, title: String, reason: &str) -> SweepChart {
    let p = crate::charts::no_data(look, look.size((WIDTH, HEIGHT)), &title, reason);
    SweepChart::new(look, name, title, p)
}

/// A sequential colour scale (light yellow → dark blue), `t` in [0, 1].
fn scale(t: f64) -> RGBColor {
    let stops =
        [(255.0, 255.0, 204.0), (161.0, 218.0, 180.0), (65.0, 182.0, 196.0), (44.0, 127.0, 184.0), (37.0, 52.0, 148.0)];
    let x = t.clamp(0.0, 1.0) * (stops.len() - 1) as f64;
    let i = (x.floor() as usize).min(stops.len() - 2);
    let f = x - i as f64;
    let mix = |a: f64, b: f64| (a + (b - a) * f).round() as u8;
    RGBColor(mix(stops[i].0, stops[i + 1].0), mix(stops[i].1, stops[i + 1].1), mix(stops[i].2, stops[i + 1].2))
}

/// A value with 3 significant digits.
fn short(x: f64) -> String {
    if x == 0.0 {
        return "0".into();
    }
    let digits = (2 - x.abs().log10().floor() as i32).clamp(0, 6) as usize;
    format!("{x:.digits$}")
}

fn heatmap(look: &Look, s: &SweepSummary, shown: &Shown, r: usize, w: usize, facet: &Facet, f: usize) -> SweepChart {
    let suffix = if facet.label.is_empty() { String::new() } else { format!(" — {}", facet.label) };
    let title = format!("{} by R and W{suffix}", shown.label);
    let name = format!("heatmap-{}-{f}", shown.metric);
    let all: Vec<f64> =
        (0..s.layout.combos.len()).filter_map(|c| s.stat_of(c, shown.metric)).map(|st| st.mean).collect();
    if all.is_empty() {
        return no_data(look, name, title, shown.unmeasured);
    }
    let (lo, hi) = if shown.ratio {
        (0.0, 1.0)
    } else {
        all.iter().fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), &x| (a.min(x), b.max(x)))
    };
    let scale_note = if shown.ratio { "fixed 0 to 1" } else { "this sweep's range" };
    render(look, name, title.clone(), |root| {
        let rs = distinct(s, r, &facet.combos);
        let ws = distinct(s, w, &facet.combos);
        let (width, height) = root.dim_in_pixel();
        let (x0, y0, x1, y1) = (110i32, 60i32, width as i32 - 150, height as i32 - 70);
        let cw = (x1 - x0) / ws.len() as i32;
        let ch = (y1 - y0) / rs.len() as i32;
        root.draw(&Text::new(title.clone(), (20, 15), ("sans-serif", 18).into_font()))?;
        let label = ("sans-serif", 14).into_font();
        for &c in &facet.combos {
            let combo = &s.layout.combos[c];
            let (Some(i), Some(j)) =
                (rs.iter().position(|v| *v == combo.values[r]), ws.iter().position(|v| *v == combo.values[w]))
            else {
                continue;
            };
            let (cx, cy) = (x0 + j as i32 * cw, y1 - (i as i32 + 1) * ch);
            let stat = s.stat_of(c, shown.metric);
            let (fill, text) = match (&combo.skipped, stat) {
                (Some(_), _) => (RGBColor(215, 215, 215), "skipped".to_string()),
                (None, None) => (WHITE, "n/a".to_string()),
                (None, Some(st)) => (scale(if hi > lo { (st.mean - lo) / (hi - lo) } else { 0.5 }), short(st.mean)),
            };
            root.draw(&Rectangle::new([(cx, cy), (cx + cw, cy + ch)], fill.filled()))?;
            root.draw(&Rectangle::new([(cx, cy), (cx + cw, cy + ch)], WHITE.stroke_width(2)))?;
            let ink = if stat.is_some_and(|st| hi > lo && (st.mean - lo) / (hi - lo) > 0.6) { WHITE } else { BLACK };
            root.draw(&Text::new(text, (cx + cw / 2 - 24, cy + ch / 2 - 7), label.clone().color(&ink)))?;
        }
        for (j, v) in ws.iter().enumerate() {
            root.draw(&Text::new(plain(v), (x0 + j as i32 * cw + cw / 2 - 4, y1 + 8), label.clone()))?;
        }
        for (i, v) in rs.iter().enumerate() {
            root.draw(&Text::new(plain(v), (x0 - 24, y1 - i as i32 * ch - ch / 2 - 7), label.clone()))?;
        }
        root.draw(&Text::new("W (write quorum, replicas)", ((x0 + x1) / 2 - 90, y1 + 32), label.clone()))?;
        root.draw(&Text::new("R (read quorum, replicas)", (10, y0 - 24), label.clone()))?;
        colour_bar(root, (x1 + 30, y0), y1 - y0, (lo, hi), scale_note)
    })
}

/// A vertical colour scale from `lo` (bottom) to `hi` (top), labelled at both ends and the
/// middle, headed by what the range is (`note`: fixed, or the sweep's own).
fn colour_bar(root: &Area<'_>, (x, y): (i32, i32), height: i32, (lo, hi): (f64, f64), note: &str) -> DrawResult {
    let steps = 20;
    let h = height / steps;
    for k in 0..steps {
        let t = 1.0 - (k as f64 + 0.5) / steps as f64;
        root.draw(&Rectangle::new([(x, y + k * h), (x + 24, y + (k + 1) * h)], scale(t).filled()))?;
    }
    root.draw(&Rectangle::new([(x, y), (x + 24, y + steps * h)], BLACK.stroke_width(1)))?;
    let font = ("sans-serif", 13).into_font();
    let mid = (lo + hi) / 2.0;
    for (v, yy) in [(hi, y), (mid, y + steps * h / 2), (lo, y + steps * h)] {
        root.draw(&Text::new(short(v), (x + 30, yy - 6), font.clone()))?;
    }
    root.draw(&Text::new("mean", (x, y - 36), font.clone()))?;
    root.draw(&Text::new(format!("({note})"), (x - 20, y - 20), ("sans-serif", 11).into_font()))?;
    Ok(())
}

/// p99.9 read latency against the stale-read ratio, one point per combination, with 95%
/// intervals on both axes; colour by the combination of the axes other than R and W.
fn tradeoff(look: &Look, s: &SweepSummary) -> SweepChart {
    let title = "Trade-off: read latency p99.9 against stale reads (mean over seeds, 95% CI)".to_string();
    let inner: Vec<usize> = [axis(s, "r"), axis(s, "w")].into_iter().flatten().collect();
    let groups = facets(s, &inner);
    let points: Vec<TradeoffPoint> = groups
        .iter()
        .enumerate()
        .flat_map(|(g, f)| f.combos.iter().map(move |&c| (g, c)))
        .filter_map(|(g, c)| Some((g, c, s.stat_of(c, "stale_read_ratio")?, s.stat_of(c, "read_p999_ms")?)))
        .collect();
    if points.is_empty() {
        let why = "no combination measured both the stale-read ratio and the read p99.9";
        return no_data(look, "tradeoff-latency-staleness".into(), title, why);
    }
    let xs = fit(points.iter().flat_map(|p| [p.2.ci_low.unwrap_or(p.2.mean), p.2.ci_high.unwrap_or(p.2.mean)]));
    let ys = fit(points.iter().flat_map(|p| [p.3.ci_low.unwrap_or(p.3.mean), p.3.ci_high.unwrap_or(p.3.mean)]));
    render(look, "tradeoff-latency-staleness".into(), title.clone(), |root| {
        let mut chart = ChartBuilder::on(root)
            .caption(&title, ("sans-serif", 17))
            .margin(12)
            .x_label_area_size(crate::charts::text_room(root, 45))
            .y_label_area_size(crate::charts::text_room(root, 65))
            .build_cartesian_2d(xs.clone(), ys.clone())?;
        chart
            .configure_mesh()
            .x_label_formatter(&crate::charts::tick)
            .y_label_formatter(&crate::charts::tick)
            .x_desc("stale reads (share of reads with a prior write)")
            .y_desc("read latency p99.9 (ms)")
            .draw()?;
        for (g, f) in groups.iter().enumerate() {
            let mine: Vec<&TradeoffPoint> = points.iter().filter(|p| p.0 == g).collect();
            let label = if f.label.is_empty() { "combinations".to_string() } else { f.label.clone() };
            tradeoff_group(&mut chart, s, &inner, &mine, PALETTE[g % PALETTE.len()], label)?;
        }
        crate::charts::legend(&mut chart, SeriesLabelPosition::UpperRight)
    })
}

/// An axis range that fits `values` (the points and their intervals) with 8% room either side,
/// never below 0 (ratios and latencies are not negative) and never empty.
fn fit(values: impl Iterator<Item = f64>) -> std::ops::Range<f64> {
    let (lo, hi) = values.fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), x| (a.min(x), b.max(x)));
    let pad = ((hi - lo) * 0.08).max(hi.abs() * 0.02).max(1e-6);
    (lo - pad).max(0.0)..hi + pad
}

/// (group, combination, stale-read ratio, read p99.9) of one point of the trade-off chart.
type TradeoffPoint = (usize, usize, super::Stat, super::Stat);

type F64Chart<'a, DB> =
    ChartContext<'a, DB, Cartesian2d<plotters::coord::types::RangedCoordf64, plotters::coord::types::RangedCoordf64>>;

/// One group of the trade-off chart: whiskers both ways, points with a legend entry, labels.
fn tradeoff_group<DB: DrawingBackend>(
    chart: &mut F64Chart<'_, DB>,
    s: &SweepSummary,
    inner: &[usize],
    mine: &[&TradeoffPoint],
    colour: RGBColor,
    label: String,
) -> DrawResult
where
    DB::ErrorType: 'static,
{
    if mine.is_empty() {
        return Ok(());
    }
    let whiskers = mine.iter().flat_map(|p| {
        let (x, y) = (p.2, p.3);
        [
            PathElement::new(vec![(x.ci_low.unwrap_or(x.mean), y.mean), (x.ci_high.unwrap_or(x.mean), y.mean)], colour),
            PathElement::new(vec![(x.mean, y.ci_low.unwrap_or(y.mean)), (x.mean, y.ci_high.unwrap_or(y.mean))], colour),
        ]
    });
    chart.draw_series(whiskers)?;
    chart
        .draw_series(mine.iter().map(|p| Circle::new((p.2.mean, p.3.mean), 5, colour.filled())))?
        .label(label)
        .legend(move |(x, y)| Circle::new((x + 8, y), 5, colour.filled()));
    let names = mine
        .iter()
        .map(|p| Text::new(inner_label(s, p.1, inner), (p.2.mean, p.3.mean), ("sans-serif", 12).into_font()));
    chart.draw_series(names)?;
    Ok(())
}

/// `R2 W1` (the values of the axes in `inner`), or of every varying axis when `inner` is empty.
fn inner_label(s: &SweepSummary, c: usize, inner: &[usize]) -> String {
    if inner.is_empty() { short_label(s, c, &varying_axes(s)) } else { short_label(s, c, inner) }
}

/// The axes with more than one value.
fn varying_axes(s: &SweepSummary) -> Vec<usize> {
    let all: Vec<usize> = (0..s.layout.combos.len()).collect();
    (0..s.layout.axes.len()).filter(|&a| distinct(s, a, &all).len() > 1).collect()
}

/// A compact label of combination `c` over `axes`: `R2 W1`; long axis names as `name=value`.
fn short_label(s: &SweepSummary, c: usize, axes: &[usize]) -> String {
    let v = &s.layout.combos[c].values;
    let part = |a: usize| {
        let name = &s.layout.axes[a];
        if name.len() <= 2 { format!("{name}{}", plain(&v[a])) } else { format!("{name}={}", plain(&v[a])) }
    };
    axes.iter().map(|&a| part(a)).collect::<Vec<_>>().join(" ")
}

/// Series colours: Okabe–Ito, then black and brown (they repeat past ten series).
const PALETTE: [RGBColor; 10] = [
    RGBColor(0, 114, 178),
    RGBColor(213, 94, 0),
    RGBColor(0, 158, 115),
    RGBColor(204, 121, 167),
    RGBColor(230, 159, 0),
    RGBColor(86, 180, 233),
    RGBColor(120, 120, 120),
    RGBColor(240, 228, 66),
    RGBColor(0, 0, 0),
    RGBColor(140, 81, 10),
];

/// The first axis other than N, R and W whose values are all numbers, if any.
fn intensity_axis(s: &SweepSummary) -> Option<usize> {
    let nrw: Vec<usize> = ["n", "r", "w"].iter().filter_map(|f| axis(s, f)).collect();
    (0..s.layout.axes.len()).find(|a| {
        !nrw.contains(a)
            && s.layout.combos.iter().all(|c| c.values[*a].is_number())
            && distinct(s, *a, &(0..s.layout.combos.len()).collect::<Vec<_>>()).len() > 1
    })
}

/// A metric against the intensity axis, one line per combination of the other axes, with 95%
/// interval whiskers; without an intensity axis, against the combination number.
fn by_intensity(look: &Look, s: &SweepSummary, shown: &Shown) -> SweepChart {
    let lines = Lines::new(s, shown);
    let kind = if lines.x_axis.is_some() { "by-intensity" } else { "by-combination" };
    let name = format!("{kind}-{}", shown.metric);
    if lines.pts.is_empty() {
        return no_data(look, name, lines.title, shown.unmeasured);
    }
    render(look, name, lines.title.clone(), |root| lines.draw(root))
}

/// The data of a [`by_intensity`] chart.
struct Lines<'a> {
    s: &'a SweepSummary,
    shown: &'a Shown,
    x_axis: Option<usize>,
    groups: Vec<Facet>,
    /// (group, x, statistic) per combination with a value.
    pts: Vec<(usize, f64, super::Stat)>,
    title: String,
    x_desc: String,
}

impl<'a> Lines<'a> {
    fn new(s: &'a SweepSummary, shown: &'a Shown) -> Self {
        let x_axis = intensity_axis(s);
        let groups = match x_axis {
            Some(a) => facets(s, &[a]),
            None => vec![Facet { label: String::new(), combos: (0..s.layout.combos.len()).collect() }],
        };
        let x_of = |c: usize| x_axis.map_or(c as f64, |a| s.layout.combos[c].values[a].as_f64().unwrap_or(0.0));
        let pts = groups
            .iter()
            .enumerate()
            .flat_map(|(g, f)| f.combos.iter().map(move |&c| (g, c)))
            .filter_map(|(g, c)| s.stat_of(c, shown.metric).map(|st| (g, x_of(c), st)))
            .collect();
        let x_desc = x_axis.map_or_else(|| "combination".to_string(), |a| s.layout.axes[a].clone());
        let what = if x_axis.is_some() { format!("against {x_desc}") } else { "per combination".to_string() };
        let title = format!("{} {what} (mean over seeds, 95% CI)", shown.label);
        Lines { s, shown, x_axis, groups, pts, title, x_desc }
    }

    /// The x label at `x`: the value, or the combination's varying axes.
    fn tick(&self, x: f64, varying: &[usize]) -> String {
        let c = x.round();
        match self.x_axis {
            Some(_) => short(x),
            None if (x - c).abs() < 1e-6 && c >= 0.0 && (c as usize) < self.s.layout.combos.len() => {
                short_label(self.s, c as usize, varying)
            }
            None => String::new(),
        }
    }

    fn draw(&self, root: &Area<'_>) -> DrawResult {
        let (xlo, xhi) = self.pts.iter().fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), p| (a.min(p.1), b.max(p.1)));
        let pad = ((xhi - xlo) * 0.05).max(0.5);
        let (ylo, yhi) = self.pts.iter().fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), p| {
            (a.min(p.2.ci_low.unwrap_or(p.2.mean)), b.max(p.2.ci_high.unwrap_or(p.2.mean)))
        });
        let ypad = if yhi > ylo { (yhi - ylo) * 0.1 } else { yhi.abs().max(1.0) * 0.1 };
        let mut chart = ChartBuilder::on(root)
            .caption(&self.title, ("sans-serif", 16))
            .margin(12)
            .x_label_area_size(crate::charts::text_room(root, 45))
            .y_label_area_size(crate::charts::text_room(root, 65))
            .build_cartesian_2d((xlo - pad)..(xhi + pad), (ylo - ypad)..(yhi + ypad))?;
        let varying = varying_axes(self.s);
        let tick = |x: &f64| self.tick(*x, &varying);
        let ticks = if self.x_axis.is_some() { 10 } else { self.s.layout.combos.len() };
        let mut mesh = chart.configure_mesh();
        mesh.x_labels(ticks).x_label_formatter(&tick).x_desc(self.x_desc.as_str()).y_desc(self.shown.label).draw()?;
        // Whiskers of different series at one x are drawn side by side.
        let dodge = if self.x_axis.is_some() { (xhi - xlo + 2.0 * pad) * 0.004 } else { 0.0 };
        for (g, f) in self.groups.iter().enumerate() {
            let dx = (g as f64 - self.groups.len() as f64 / 2.0) * dodge;
            self.series(&mut chart, g, f, dx)?;
        }
        crate::charts::legend(&mut chart, SeriesLabelPosition::LowerRight)
    }

    /// Draws group `g`: whiskers shifted by `dx`, then its line (or points) with a legend entry.
    fn series<DB: DrawingBackend>(&self, chart: &mut F64Chart<'_, DB>, g: usize, f: &Facet, dx: f64) -> DrawResult
    where
        DB::ErrorType: 'static,
    {
        let colour = PALETTE[g % PALETTE.len()];
        let mine: Vec<_> = self.pts.iter().filter(|p| p.0 == g).collect();
        if mine.is_empty() {
            return Ok(());
        }
        let whiskers = mine.iter().map(|p| {
            let x = p.1 + dx;
            PathElement::new(vec![(x, p.2.ci_low.unwrap_or(p.2.mean)), (x, p.2.ci_high.unwrap_or(p.2.mean))], colour)
        });
        chart.draw_series(whiskers)?;
        let line = mine.iter().map(|p| (p.1, p.2.mean));
        let label = if f.label.is_empty() { self.shown.metric.to_string() } else { f.label.clone() };
        let series = if self.x_axis.is_some() {
            chart.draw_series(LineSeries::new(line, colour.stroke_width(2)))?
        } else {
            chart.draw_series(line.map(|(x, y)| Circle::new((x, y), 4, colour.filled())))?
        };
        series.label(label).legend(move |(x, y)| Rectangle::new([(x, y - 3), (x + 16, y + 3)], colour.filled()));
        Ok(())
    }
}
