//! Charts of a run report, each drawn once into an SVG document and a PNG image (plotters,
//! through [`canvas::Canvas`]; text in the PNG comes from the embedded DejaVu Sans font, so no
//! system font is needed).
//!
//! Every chart has a title, axis labels with units and a legend; a chart whose data is empty
//! renders a valid picture saying "no data" instead. Output is a function of the report alone.
//!
//! - [`latency`]: latency CDF, percentiles over time, availability over time.
//! - [`consistency`]: versions per read, divergent replicas over time, t-visibility.
//! - [`cluster`]: hinted handoff / read repair / anti-entropy activity over time, load per node.
//! - [`diagram`]: the message diagram of one key over a time window.
//! - [`canvas`]: the two-way drawing surface and PNG encoding.

pub mod canvas;
pub mod cluster;
pub mod consistency;
pub mod diagram;
pub mod latency;

use crate::run_report::{FaultInterval, RunReport};
use canvas::{Area, FONT, Painted, paint};
use plotters::prelude::*;

/// Width of every chart, in pixels.
pub const WIDTH: u32 = 800;
/// Height of every chart, in pixels.
pub const HEIGHT: u32 = 440;

/// One rendered chart.
#[derive(Clone, Debug, PartialEq)]
pub struct Chart {
    /// File stem: the chart is written to `charts/<name>.svg` and `charts/<name>.png`.
    pub name: &'static str,
    /// Its title.
    pub title: String,
    /// The SVG document.
    pub svg: String,
    /// The PNG image (`WIDTH` × `HEIGHT`, 8-bit RGB).
    pub png: Vec<u8>,
}

/// The result of drawing into a chart; errors fall back to a "no data" chart.
pub(crate) type DrawResult = Result<(), Box<dyn std::error::Error>>;

/// Every chart of a report, in a fixed order, the message diagram last when the report has one.
pub fn all(r: &RunReport) -> Vec<Chart> {
    let mut charts = vec![
        latency::cdf(r),
        latency::percentiles_over_time(r),
        latency::availability_over_time(r),
        consistency::versions_per_read(r),
        consistency::divergence_over_time(r),
        consistency::visibility(r),
        cluster::repair_activity(r),
        cluster::load_per_node(r),
    ];
    charts.extend(diagram::message_diagram(r));
    charts
}

/// Renders a chart with `draw`; an empty data set (`has_data` false) or a drawing error gives a
/// "no data" chart with the same title.
pub(crate) fn render(name: &'static str, title: &str, has_data: bool, draw: impl Fn(&Area<'_>) -> DrawResult) -> Chart {
    let painted = has_data.then(|| paint((WIDTH, HEIGHT), &draw)).flatten().unwrap_or_else(|| no_data(title));
    Chart { name, title: title.to_string(), svg: painted.svg, png: painted.png }
}

/// A `WIDTH` × `HEIGHT` picture with the title and "no data".
pub fn no_data(title: &str) -> Painted {
    let draw = |root: &Area<'_>| -> DrawResult {
        root.draw(&Text::new(title.to_string(), (20, 20), (FONT, 22).into_font().color(&BLACK)))?;
        let centre = ((WIDTH / 2) as i32 - 40, (HEIGHT / 2) as i32);
        root.draw(&Text::new("no data", centre, (FONT, 20).into_font().color(&RGBColor(120, 120, 120))))?;
        Ok(())
    };
    paint((WIDTH, HEIGHT), &draw).unwrap_or_else(|| Painted { svg: String::new(), png: Vec::new() })
}

/// The palette of series colours (colour-blind friendly, Okabe–Ito).
pub(crate) const PALETTE: [RGBColor; 8] = [
    RGBColor(0, 114, 178),
    RGBColor(213, 94, 0),
    RGBColor(0, 158, 115),
    RGBColor(204, 121, 167),
    RGBColor(230, 159, 0),
    RGBColor(86, 180, 233),
    RGBColor(120, 120, 120),
    RGBColor(240, 228, 66),
];

/// The colour of series `i`.
pub(crate) fn colour(i: usize) -> RGBColor {
    PALETTE[i % PALETTE.len()]
}

/// The minor grid lines: faint, so the data stands out.
pub(crate) const LIGHT_MESH: RGBColor = RGBColor(242, 242, 242);

/// Fault shading colour.
pub(crate) const FAULT: RGBColor = RGBColor(220, 50, 47);

/// The house mesh of a chart: label and axis-description text sizes and a faint minor grid.
/// Callers add their axis descriptions and formatters, then `draw()`.
pub(crate) fn mesh<'a, 'b, DB, XT, YT, X, Y>(
    chart: &'b mut ChartContext<'a, DB, Cartesian2d<X, Y>>,
) -> plotters::chart::MeshStyle<'a, 'b, X, Y, DB>
where
    DB: DrawingBackend,
    X: plotters::coord::ranged1d::Ranged<ValueType = XT> + plotters::coord::ranged1d::ValueFormatter<XT>,
    Y: plotters::coord::ranged1d::Ranged<ValueType = YT> + plotters::coord::ranged1d::ValueFormatter<YT>,
{
    let mut m = chart.configure_mesh();
    m.label_style((FONT, 13)).axis_desc_style((FONT, 14)).light_line_style(LIGHT_MESH);
    m
}

/// Shades every fault interval of the report over `[y0, y1]` and labels it at the top; an
/// instantaneous fault is a thin band. Adds one legend entry, "faults".
pub(crate) fn shade_faults<DB: DrawingBackend, Y: plotters::coord::ranged1d::Ranged<ValueType = f64>>(
    chart: &mut ChartContext<'_, DB, Cartesian2d<plotters::coord::types::RangedCoordf64, Y>>,
    faults: &[FaultInterval],
    end_s: f64,
    y0: f64,
    y1: f64,
) -> DrawResult
where
    DB::ErrorType: 'static,
{
    if faults.is_empty() {
        return Ok(());
    }
    let min_w = (end_s / 400.0).max(1e-3);
    let rects: Vec<_> = faults
        .iter()
        .map(|f| {
            let until = f.until_s.unwrap_or(end_s).max(f.at_s + min_w);
            Rectangle::new([(f.at_s, y0), (until, y1)], FAULT.mix(0.12).filled())
        })
        .collect();
    chart
        .draw_series(rects)?
        .label("faults")
        .legend(|(x, y)| Rectangle::new([(x, y - 5), (x + 16, y + 5)], FAULT.mix(0.3).filled()));
    let labels = faults.iter().map(|f| Text::new(f.label.clone(), (f.at_s, y1), (FONT, 11).into_font().color(&FAULT)));
    chart.draw_series(labels)?;
    Ok(())
}

/// Draws the legend the charts share: at `at`, framed, on a translucent white background.
pub(crate) fn legend<'a, DB: DrawingBackend + 'a, CT: plotters::coord::CoordTranslate>(
    chart: &mut ChartContext<'a, DB, CT>,
    at: SeriesLabelPosition,
) -> DrawResult
where
    DB::ErrorType: 'static,
{
    chart
        .configure_series_labels()
        .position(at)
        .label_font((FONT, 13))
        .border_style(BLACK)
        .background_style(WHITE.mix(0.85))
        .draw()?;
    Ok(())
}

/// A `[lo, hi]` range that is never empty (plotters needs `lo < hi`).
pub(crate) fn span(lo: f64, hi: f64) -> (f64, f64) {
    let (lo, hi) = if lo.is_finite() && hi.is_finite() { (lo.min(hi), lo.max(hi)) } else { (0.0, 1.0) };
    if hi - lo > 1e-12 { (lo, hi) } else { (lo - 0.5_f64.max(lo.abs() * 0.1), hi + 0.5_f64.max(hi.abs() * 0.1)) }
}

/// The end of the time axis: the run's end, or 1 s.
pub(crate) fn end_s(r: &RunReport) -> f64 {
    if r.sim_end_s > 0.0 { r.sim_end_s } else { 1.0 }
}

/// A bar chart over categories: one bar per series within each category (side by side, or
/// stacked when `stacked`).
pub(crate) fn bars(
    root: &Area<'_>,
    title: &str,
    x_desc: &str,
    y_desc: &str,
    cats: &[String],
    series: &[(String, Vec<f64>)],
    stacked: bool,
) -> DrawResult {
    let n = cats.len().max(1);
    let height = |i: usize| -> f64 {
        let vals = series.iter().map(|(_, v)| v.get(i).copied().unwrap_or(0.0));
        if stacked { vals.sum() } else { vals.fold(0.0, f64::max) }
    };
    let top = (0..n).map(height).fold(0.0_f64, f64::max);
    let top = if top > 0.0 { top * 1.15 } else { 1.0 };
    let mut chart = ChartBuilder::on(root)
        .caption(title, (FONT, 20))
        .margin(12)
        .x_label_area_size(40)
        .y_label_area_size(64)
        .build_cartesian_2d(-0.5..(n as f64 - 0.5), 0.0..top)?;
    let label = |x: &f64| {
        let i = x.round();
        if (x - i).abs() < 1e-6 && i >= 0.0 { cats.get(i as usize).cloned().unwrap_or_default() } else { String::new() }
    };
    mesh(&mut chart)
        .disable_x_mesh()
        .x_labels(n + 1)
        .x_label_formatter(&label)
        .y_label_formatter(&|y: &f64| if top > 10.0 { format!("{y:.0}") } else { format!("{y:.2}") })
        .x_desc(x_desc)
        .y_desc(y_desc)
        .draw()?;
    let k = series.len().max(1) as f64;
    let mut base = vec![0.0; n];
    for (s, (name, vals)) in series.iter().enumerate() {
        let c = colour(s);
        let rects: Vec<_> = vals
            .iter()
            .enumerate()
            .map(|(i, v)| {
                let x = i as f64;
                let (x0, x1, y0) = if stacked {
                    (x - 0.35, x + 0.35, base[i])
                } else {
                    let w = 0.8 / k;
                    (x - 0.4 + w * s as f64, x - 0.4 + w * (s as f64 + 1.0), 0.0)
                };
                let r = Rectangle::new([(x0, y0), (x1, y0 + v)], c.filled());
                if stacked {
                    base[i] += v;
                }
                r
            })
            .collect();
        chart
            .draw_series(rects)?
            .label(name.as_str())
            .legend(move |(x, y)| Rectangle::new([(x, y - 5), (x + 16, y + 5)], c.filled()));
    }
    legend(&mut chart, SeriesLabelPosition::UpperRight)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testdata;

    fn is_svg(s: &str) -> bool {
        let s = s.trim();
        s.starts_with("<svg") && s.ends_with("</svg>") && s.matches("<svg").count() == 1
    }

    #[test]
    fn every_chart_of_a_full_report_has_a_title_axes_and_a_legend() {
        let r = testdata::sample();
        let charts = all(&r);
        assert_eq!(charts.len(), 9, "eight charts and the message diagram");
        assert_eq!(charts[8].name, "message_diagram");
        let mut names: Vec<_> = charts.iter().map(|c| c.name).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), 9, "chart names are unique");
        for c in &charts[..8] {
            assert!(is_svg(&c.svg), "{}: {}", c.name, c.svg);
            assert!(!c.svg.contains("no data"), "{} has data", c.name);
            assert!(c.svg.contains(&c.title), "{}: title", c.name);
            // The legend draws its box with the background colour at 0.85 opacity.
            assert!(c.svg.contains("opacity=\"0.85\""), "{}: legend", c.name);
        }
        let over_time = charts.iter().find(|c| c.name == "latency_over_time").expect("present");
        assert!(over_time.svg.contains("partition split") && over_time.svg.contains("crash n2"), "faults labelled");
        assert!(over_time.svg.contains("latency (ms, log scale)"), "y axis with units");
        let activity = charts.iter().find(|c| c.name == "repair_activity").expect("present");
        for s in ["hints delivered", "read repairs", "count per 1 s window", "simulated time (s"] {
            assert!(activity.svg.contains(s), "repair activity over time: {s}");
        }
    }

    #[test]
    fn every_png_decodes_to_the_chart_size_and_is_not_blank() {
        for c in all(&testdata::sample()).iter().chain(&all(&testdata::empty())) {
            let (w, h, rgb) = canvas::tests::decode(&c.png);
            let size = if c.name == "message_diagram" { (diagram::WIDTH, diagram::HEIGHT) } else { (WIDTH, HEIGHT) };
            assert_eq!((w, h), size, "{}", c.name);
            let (colours, inked) = canvas::tests::ink(&rgb);
            // Antialiased text alone gives dozens of grey levels; a blank image has one colour.
            assert!(colours > 8 && inked > 0.002, "{}: {colours} colours, {inked} of pixels inked", c.name);
        }
    }

    #[test]
    fn charts_of_empty_sections_say_no_data() {
        let mut r = testdata::empty();
        r.windows.window_s = 1.0;
        r.windows.windows = vec![crate::metrics::Window { start_s: 0.0, ops: Default::default() }];
        r.load.nodes = Vec::new();
        for c in all(&r) {
            assert!(is_svg(&c.svg), "{}: {}", c.name, c.svg);
            assert!(c.svg.contains("no data"), "{}: {}", c.name, c.svg);
            assert!(c.svg.contains(&c.title), "{}", c.name);
        }
    }

    #[test]
    fn a_degenerate_section_renders_without_panicking() {
        // One point, all-equal values, zero latencies: ranges must never be empty.
        let mut r = testdata::sample();
        r.latency_cdf.ms.insert("put".into(), vec![0.0; r.latency_cdf.quantiles.len()]);
        r.divergence.over_time.truncate(1);
        r.visibility.reads.bins.truncate(1);
        r.faults.push(FaultInterval { at_s: 9.0, until_s: Some(9.0), label: "clock_jump n0".into() });
        r.load.nodes.iter_mut().for_each(|n| *n = Default::default());
        for c in all(&r) {
            assert!(is_svg(&c.svg), "{}", c.name);
        }
    }

    #[test]
    fn a_grid_draws_the_t_visibility_chart_on_a_linear_axis_with_its_targets() {
        let mut r = testdata::sample();
        let log = all(&r).into_iter().find(|c| c.name == "t_visibility").unwrap();
        r.visibility.grid = Some(testdata::visibility_grid());
        let grid = all(&r).into_iter().find(|c| c.name == "t_visibility").unwrap();
        assert!(is_svg(&grid.svg));
        assert!(log.svg.contains("log scale") && !grid.svg.contains("log scale"), "{}", grid.svg);
        assert!(grid.svg.contains("Wilson 95% interval"), "the band is drawn: {}", grid.svg);
        let dashes = |svg: &str| svg.matches(r##"<polyline fill="none" opacity="0.5" stroke="#000000""##).count();
        assert!(dashes(&grid.svg) > 10 && dashes(&log.svg) == 0, "the target line is drawn dashed: {}", grid.svg);
        // One point per curve is still a chart.
        r.visibility.grid.as_mut().unwrap().reads.points.truncate(1);
        assert!(is_svg(&all(&r).into_iter().find(|c| c.name == "t_visibility").unwrap().svg));
    }

    #[test]
    fn charts_are_deterministic() {
        assert_eq!(all(&testdata::sample()), all(&testdata::sample()));
        assert_eq!(all(&testdata::empty()), all(&testdata::empty()));
    }
}
