//! Charts of a run report, each drawn once into an SVG document, a PNG image and, when asked,
//! a PDF page (plotters, through [`canvas::Canvas`]; text in the PNG and the PDF comes from the
//! embedded DejaVu Sans font, so no system font is needed). A [`Look`] sets their size, base
//! font size and the formats written.
//!
//! Every chart has a title, axis labels with units and a legend; a chart whose data is empty
//! renders a valid picture saying "no data" instead. Output is a function of the report alone.
//!
//! - [`latency`]: latency CDF, percentiles over time, availability over time.
//! - [`consistency`]: versions per read, divergent replicas over time, t-visibility.
//! - [`staleness`]: stale reads over time ([`ratio`] draws per-window shares with their
//!   Wilson interval).
//! - [`cluster`]: hinted handoff / read repair / anti-entropy activity over time, load per node.
//! - [`diagram`]: the message diagram of one key over a time window.
//! - [`canvas`]: the drawing surface of every format and PNG encoding; [`pdf`]: the PDF
//!   backend; [`text`]: text layout with the embedded font.

pub mod canvas;
pub mod cluster;
pub mod consistency;
pub mod diagram;
pub mod latency;
pub mod pdf;
#[cfg(test)]
pub(crate) mod pdf_read;
pub mod ratio;
pub mod reachability;
pub mod staleness;
pub mod text;

use crate::run_report::{FaultInterval, RunReport};
use canvas::{Area, FONT, Painted, paint};
use plotters::prelude::*;

/// Default width of a run report's charts, in pixels.
pub const WIDTH: u32 = 800;
/// Default height of a run report's charts, in pixels.
pub const HEIGHT: u32 = 440;
/// The base font size the charts are drawn for, in pixels (axis tick labels); a [`Look`]'s
/// base font size scales every text of a chart by `font_px / BASE_FONT_PX`.
pub const BASE_FONT_PX: f64 = 13.0;

/// The chart file formats written.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Formats {
    /// `charts/<name>.svg`.
    pub svg: bool,
    /// `charts/<name>.png`.
    pub png: bool,
    /// `charts/<name>.pdf`.
    pub pdf: bool,
}

impl Default for Formats {
    /// SVG and PNG, what a run has always written.
    fn default() -> Self {
        Formats { svg: true, png: true, pdf: false }
    }
}

impl Formats {
    /// The file extensions written, in the fixed order svg, png, pdf.
    pub fn extensions(&self) -> Vec<&'static str> {
        [(self.svg, "svg"), (self.png, "png"), (self.pdf, "pdf")].into_iter().filter(|f| f.0).map(|f| f.1).collect()
    }

    /// The formats in words: "SVG and PNG", "SVG, PNG and PDF", "PDF".
    pub fn describe(&self) -> String {
        let names: Vec<String> = self.extensions().iter().map(|e| e.to_uppercase()).collect();
        match names.split_last() {
            None => "no files".to_string(),
            Some((last, [])) => last.clone(),
            Some((last, rest)) => format!("{} and {last}", rest.join(", ")),
        }
    }
}

/// How charts are drawn and written: their size, base font size and formats.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Look {
    /// Chart width in pixels; `None` keeps each page's default (800 for both pages).
    pub width: Option<u32>,
    /// Chart height in pixels; `None` keeps each page's default (440 for a run, 480 for a sweep).
    pub height: Option<u32>,
    /// The axis tick labels' size in pixels; every other text scales with it. Default
    /// [`BASE_FONT_PX`].
    pub font_px: f64,
    /// The formats written.
    pub formats: Formats,
}

impl Default for Look {
    fn default() -> Self {
        Look { width: None, height: None, font_px: BASE_FONT_PX, formats: Formats::default() }
    }
}

impl Look {
    /// The chart size: the look's width and height, else `default`'s.
    pub fn size(&self, default: (u32, u32)) -> (u32, u32) {
        (self.width.unwrap_or(default.0), self.height.unwrap_or(default.1))
    }

    /// The factor every text size is multiplied by (1 at the default base font size).
    pub fn font_scale(&self) -> f64 {
        self.font_px / BASE_FONT_PX
    }
}

/// One rendered chart.
#[derive(Clone, Debug, PartialEq)]
pub struct Chart {
    /// File stem: the chart is written to `charts/<name>.svg`, `.png` and `.pdf` (the formats
    /// the [`Look`] asks for).
    pub name: &'static str,
    /// Its title.
    pub title: String,
    /// The SVG document.
    pub svg: String,
    /// The PNG image (the chart's size, 8-bit RGB).
    pub png: Vec<u8>,
    /// The PDF page, when the look asks for PDF.
    pub pdf: Option<Vec<u8>>,
    /// The formats the chart is written in (the look's).
    pub formats: Formats,
}

impl Chart {
    /// A chart from a picture drawn in `look`.
    pub fn new(look: &Look, name: &'static str, title: String, painted: Painted) -> Self {
        Chart { name, title, svg: painted.svg, png: painted.png, pdf: painted.pdf, formats: look.formats }
    }

    /// The chart's files as (extension, bytes), in its formats, in the order svg, png, pdf.
    pub fn files(&self) -> Vec<(&'static str, Vec<u8>)> {
        files(&self.formats, &self.svg, &self.png, self.pdf.as_deref())
    }
}

/// A picture's files as (extension, bytes) in the formats `f` asks for, in the order svg, png,
/// pdf (a PDF is listed only when it was drawn).
pub fn files(f: &Formats, svg: &str, png: &[u8], pdf: Option<&[u8]>) -> Vec<(&'static str, Vec<u8>)> {
    let mut out = Vec::new();
    if f.svg {
        out.push(("svg", svg.as_bytes().to_vec()));
    }
    if f.png {
        out.push(("png", png.to_vec()));
    }
    if let (true, Some(pdf)) = (f.pdf, pdf) {
        out.push(("pdf", pdf.to_vec()));
    }
    out
}

/// The result of drawing into a chart; errors fall back to a "no data" chart.
pub(crate) type DrawResult = Result<(), Box<dyn std::error::Error>>;

/// Every chart of a report drawn in `look`, in a fixed order, the message diagram last when the
/// report has one.
pub fn all(r: &RunReport, look: &Look) -> Vec<Chart> {
    let mut charts = vec![
        latency::cdf(r, look),
        latency::percentiles_over_time(r, look),
        latency::availability_over_time(r, look),
        reachability::strict_quorum_reachability(r, look),
        staleness::stale_reads_over_time(r, look),
        consistency::versions_per_read(r, look),
        consistency::divergence_over_time(r, look),
        consistency::visibility(r, look),
        cluster::repair_activity(r, look),
        cluster::load_per_node(r, look),
    ];
    charts.extend(diagram::message_diagram(r, look));
    charts
}

/// Renders a chart with `draw` at the look's size (default `WIDTH` × `HEIGHT`); an empty data
/// set (`has_data` false) or a drawing error gives a "no data" chart with the same title.
pub(crate) fn render(
    look: &Look,
    name: &'static str,
    title: &str,
    has_data: bool,
    draw: impl Fn(&Area<'_>) -> DrawResult,
) -> Chart {
    let size = look.size((WIDTH, HEIGHT));
    let painted =
        has_data.then(|| paint(look, size, &draw)).flatten().unwrap_or_else(|| no_data(look, size, title, ""));
    Chart::new(look, name, title.to_string(), painted)
}

/// A picture of `size` pixels with the title, "no data" and, when given, the reason under it.
pub fn no_data(look: &Look, size: (u32, u32), title: &str, reason: &str) -> Painted {
    let draw = |root: &Area<'_>| -> DrawResult {
        root.draw(&Text::new(title.to_string(), (20, 20), (FONT, 22).into_font().color(&BLACK)))?;
        let centre = ((size.0 / 2) as i32 - 40, (size.1 / 2) as i32);
        let grey = RGBColor(120, 120, 120);
        root.draw(&Text::new("no data", centre, (FONT, 20).into_font().color(&grey)))?;
        if !reason.is_empty() {
            root.draw(&Text::new(reason.to_string(), (40, centre.1 + 34), (FONT, 15).into_font().color(&grey)))?;
        }
        Ok(())
    };
    paint(look, size, &draw).unwrap_or_else(|| Painted { svg: String::new(), png: Vec::new(), pdf: None })
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

/// An axis tick label: a whole number without a decimal part ("10000", not "10000.0"), other
/// values with up to three significant digits and no trailing zeros ("0.25", "2.5", "0.001").
pub(crate) fn tick(v: &f64) -> String {
    let v = *v;
    if !v.is_finite() {
        return String::new();
    }
    if v == v.round() && v.abs() < 1e15 {
        return format!("{v:.0}");
    }
    let digits = (2 - v.abs().log10().floor() as i32).clamp(0, 12) as usize;
    let s = format!("{v:.digits$}");
    let s = if s.contains('.') { s.trim_end_matches('0').trim_end_matches('.') } else { &s };
    if s == "-0" { "0".to_string() } else { s.to_string() }
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

/// How much larger than its nominal size the canvas of `area` draws text (the look's base
/// font size over [`BASE_FONT_PX`]; 1 by default), as the canvas measures it.
pub(crate) fn text_scale<DB: DrawingBackend, CT: plotters::coord::CoordTranslate>(area: &DrawingArea<DB, CT>) -> f64 {
    const PROBE: f64 = 1000.0;
    let nominal = f64::from(text::measure("M", PROBE).0);
    match area.estimate_text_size("M", &TextStyle::from((FONT, PROBE))) {
        Ok((w, _)) if nominal > 0.0 => f64::from(w) / nominal,
        _ => 1.0,
    }
}

/// `px` pixels of room for text (a label area beside an axis), grown with the canvas's text
/// scale so larger fonts still fit; `px` itself at the default base font size.
pub(crate) fn text_room<DB: DrawingBackend, CT: plotters::coord::CoordTranslate>(
    area: &DrawingArea<DB, CT>,
    px: u32,
) -> u32 {
    (f64::from(px) * text_scale(area)).round() as u32
}

/// Draws the legend the charts share: at `at`, framed, on a translucent white background. Its
/// text is sized for the canvas ([`canvas::FONT_EXACT`]): plotters sizes the legend's box from
/// the font size it is given.
pub(crate) fn legend<'a, DB: DrawingBackend + 'a, CT: plotters::coord::CoordTranslate>(
    chart: &mut ChartContext<'a, DB, CT>,
    at: SeriesLabelPosition,
) -> DrawResult
where
    DB::ErrorType: 'static,
{
    let size = 13.0 * text_scale(chart.plotting_area());
    chart
        .configure_series_labels()
        .position(at)
        .label_font((canvas::FONT_EXACT, size))
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

/// The end of a time axis of per-window operations: the end of the last window in which an
/// operation completed, or of the last fault if later, so the idle settle period after the
/// workload is not drawn as if it were measured; the run's end when no operation completed.
pub(crate) fn ops_end_s(r: &RunReport) -> f64 {
    let w = r.windows.window_s;
    let last_op = r.windows.windows.iter().rev().find(|x| x.ops.values().any(|o| o.completed > 0));
    let Some(last) = last_op else { return end_s(r) };
    let faults = r.faults.iter().map(|f| f.until_s.unwrap_or(f.at_s)).fold(0.0_f64, f64::max);
    (last.start_s + w).max(faults).min(end_s(r))
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
        .x_label_area_size(text_room(root, 40))
        .y_label_area_size(text_room(root, 64))
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
    #[test]
    fn tick_labels_drop_a_pointless_decimal_part() {
        let cases = [(10000.0, "10000"), (0.0, "0"), (10.0, "10"), (2.5, "2.5"), (0.25, "0.25"), (0.001, "0.001")];
        for (v, want) in cases {
            assert_eq!(super::tick(&v), want, "{v}");
        }
        assert_eq!(super::tick(&0.98765), "0.988");
        assert_eq!(super::tick(&123.456), "123");
        assert_eq!(super::tick(&-1.5), "-1.5");
    }

    use super::*;
    use crate::testdata;

    fn is_svg(s: &str) -> bool {
        let s = s.trim();
        s.starts_with("<svg") && s.ends_with("</svg>") && s.matches("<svg").count() == 1
    }

    #[test]
    fn every_chart_of_a_full_report_has_a_title_axes_and_a_legend() {
        let r = testdata::sample_with_read_kinds();
        let charts = all(&r, &Look::default());
        assert_eq!(charts.len(), 11, "ten charts and the message diagram");
        assert_eq!(charts[10].name, "message_diagram");
        let mut names: Vec<_> = charts.iter().map(|c| c.name).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), 11, "chart names are unique");
        for c in &charts[..9] {
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
        for c in all(&testdata::sample(), &Look::default()).iter().chain(&all(&testdata::empty(), &Look::default())) {
            let (w, h, rgb) = canvas::tests::decode(&c.png);
            if c.name == "message_diagram" {
                assert!(w == diagram::WIDTH && h >= diagram::MIN_HEIGHT, "{}: {w}x{h}", c.name);
            } else {
                assert_eq!((w, h), (WIDTH, HEIGHT), "{}", c.name);
            }
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
        for c in all(&r, &Look::default()) {
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
        for c in all(&r, &Look::default()) {
            assert!(is_svg(&c.svg), "{}", c.name);
        }
    }

    /// The `font-size` of the SVG `<text>` holding `what`.
    fn svg_font_size(svg: &str, what: &str) -> f64 {
        let at = svg.find(what).expect("the text is in the SVG");
        let from = svg[..at].rfind("font-size=\"").expect("a font size") + 11;
        svg[from..].split('"').next().and_then(|v| v.parse().ok()).expect("a number")
    }

    #[test]
    fn a_look_sets_the_size_and_the_base_font_of_every_chart() {
        let r = testdata::sample();
        let big = Look {
            width: Some(1000),
            height: Some(500),
            font_px: 26.0,
            formats: Formats { pdf: true, ..Formats::default() },
        };
        let (plain, sized) = (all(&r, &Look::default()), all(&r, &big));
        for (p, c) in plain.iter().zip(&sized).filter(|(p, _)| p.name != "message_diagram") {
            let (w, h, _) = canvas::tests::decode(&c.png);
            assert_eq!((w, h), (1000, 500), "{}: PNG size", c.name);
            assert!(c.svg.starts_with("<svg width=\"1000\" height=\"500\""), "{}: SVG size", c.name);
            let doc = pdf_read::Doc::parse(c.pdf.as_deref().expect("asked for"));
            assert_eq!(doc.page_size(), (750.0, 375.0), "{}: PDF page", c.name);
            let (a, b) = (svg_font_size(&p.svg, &p.title), svg_font_size(&c.svg, &c.title));
            assert!((b / a - 2.0).abs() < 1e-9, "{}: a base font of 26 px doubles the title ({a} -> {b})", c.name);
        }
        let diagram = sized.iter().find(|c| c.name == "message_diagram").expect("present");
        assert_eq!(canvas::tests::decode(&diagram.png).0, diagram::WIDTH, "the diagram keeps its own size");
    }

    #[test]
    fn legends_grow_with_the_base_font() {
        // plotters sizes a legend's box from the font size it is given: the box must hold the
        // scaled text, so its frame is wider at a larger base font.
        let r = testdata::sample();
        let frame_width = |look: &Look| {
            let c = latency::percentiles_over_time(&r, look);
            let at = c.svg.find("opacity=\"0.85\"").expect("the legend's background");
            let rect = &c.svg[c.svg[..at].rfind("<rect").expect("a rect")..at];
            let w = &rect[rect.find("width=\"").expect("a width") + 7..];
            w.split('"').next().and_then(|v| v.parse::<f64>().ok()).expect("a number")
        };
        let (a, b) = (frame_width(&Look::default()), frame_width(&Look { font_px: 26.0, ..Look::default() }));
        assert!(b > 1.4 * a, "legend frame {a} px at 13 px text, {b} px at 26 px (the swatch and margins stay)");
    }

    #[test]
    fn label_areas_grow_with_the_base_font() {
        let room = |font_px: f64| {
            let got = std::cell::Cell::new(0);
            let look = Look { font_px, ..Look::default() };
            canvas::paint(&look, (100, 100), &|root| {
                got.set(text_room(root, 40));
                Ok(())
            })
            .expect("drawn");
            got.get()
        };
        assert_eq!((room(13.0), room(26.0), room(6.5)), (40, 80, 20));
    }

    #[test]
    fn a_grid_draws_the_t_visibility_chart_on_a_linear_axis_with_its_targets() {
        let mut r = testdata::sample();
        let log = all(&r, &Look::default()).into_iter().find(|c| c.name == "t_visibility").unwrap();
        r.visibility.grid = Some(testdata::visibility_grid());
        let grid = all(&r, &Look::default()).into_iter().find(|c| c.name == "t_visibility").unwrap();
        assert!(is_svg(&grid.svg));
        assert!(log.svg.contains("log scale") && !grid.svg.contains("log scale"), "{}", grid.svg);
        assert!(grid.svg.contains("Wilson 95% interval"), "the band is drawn: {}", grid.svg);
        let dashes = |svg: &str| svg.matches(r##"<polyline fill="none" opacity="0.5" stroke="#000000""##).count();
        assert!(dashes(&grid.svg) > 10 && dashes(&log.svg) == 0, "the target line is drawn dashed: {}", grid.svg);
        assert!(!grid.svg.contains("WARS prediction"), "no prediction, no line");
        r.wars = Some(testdata::wars());
        let with = all(&r, &Look::default()).into_iter().find(|c| c.name == "t_visibility").unwrap();
        assert!(with.svg.contains("WARS prediction (assumptions broken)"), "drawn and labelled: {}", with.svg);
        // One point per curve is still a chart.
        r.visibility.grid.as_mut().unwrap().reads.points.truncate(1);
        assert!(is_svg(&all(&r, &Look::default()).into_iter().find(|c| c.name == "t_visibility").unwrap().svg));
    }

    #[test]
    fn charts_are_deterministic() {
        assert_eq!(all(&testdata::sample(), &Look::default()), all(&testdata::sample(), &Look::default()));
        assert_eq!(all(&testdata::empty(), &Look::default()), all(&testdata::empty(), &Look::default()));
    }
}
