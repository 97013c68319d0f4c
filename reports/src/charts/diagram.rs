//! The Lamport-style message diagram: one vertical lifeline per process, time flowing down,
//! one arrow per message from its send time on the sender's lifeline to its handling time on
//! the receiver's, labelled with the message kind; lost messages are dashed red and end in a
//! cross; faults in the window are shaded. Drawn like every chart, as SVG and PNG.

use super::canvas::{Area, FONT, paint};
use super::{Chart, DrawResult, FAULT, Look, PALETTE, no_data};
use crate::diagram::{Arrow, MessageDiagram};
use crate::run_report::{FaultInterval, RunReport};
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

/// Width of the diagram, in pixels.
pub const WIDTH: u32 = 960;
/// Height of the diagram, in pixels.
pub const HEIGHT: u32 = 760;

/// Pixel space reserved above the plot for the title and the lifeline names.
const TOP: u32 = 118;
/// Pixel space reserved below the plot for the legend.
const BOTTOM: u32 = 56;

/// The diagram of the report, or `None` when the report has none.
pub fn message_diagram(r: &RunReport, look: &Look) -> Option<Chart> {
    let d = r.diagram.as_ref()?;
    let title = format!("Messages about key {} from {} s to {} s", d.key, secs(d.from_s), secs(d.until_s));
    let painted = paint(look, (WIDTH, HEIGHT), &|root| draw(root, d, &r.faults, &title))
        .unwrap_or_else(|| no_data(look, (WIDTH, HEIGHT), &title));
    Some(Chart::new(look, "message_diagram", title, painted))
}

/// Seconds with up to 6 decimals, trailing zeros dropped.
fn secs(s: f64) -> String {
    let t = format!("{s:.6}");
    t.trim_end_matches('0').trim_end_matches('.').to_string()
}

/// The colour of a message kind: client traffic, replica reads, replica writes, hinted
/// handoff, anything else.
fn kind_colour(kind: &str) -> RGBColor {
    match kind {
        "request" | "get_reply" | "put_reply" => PALETTE[0],
        "replica_read" | "replica_read_reply" => PALETTE[2],
        "replica_write" | "replica_write_ack" => PALETTE[1],
        "handoff" | "handoff_ack" => PALETTE[3],
        _ => PALETTE[6],
    }
}

/// Legend groups: label and a kind of the group.
const GROUPS: [(&str, &str); 5] = [
    ("client request / reply", "request"),
    ("replica read / reply", "replica_read"),
    ("replica write / ack", "replica_write"),
    ("hinted handoff / ack", "handoff"),
    ("other", ""),
];

fn draw(root: &Area<'_>, d: &MessageDiagram, faults: &[FaultInterval], title: &str) -> DrawResult {
    let n = d.lifelines.len().max(1) as f64;
    let span = (d.until_s - d.from_s).max(1e-9);
    let digits = (2.0 - span.log10().floor()).clamp(1.0, 6.0) as usize;
    let mut chart = ChartBuilder::on(root)
        .margin(12)
        .margin_top(TOP)
        .margin_bottom(BOTTOM)
        .y_label_area_size(90)
        .build_cartesian_2d(-0.5..(n - 0.5), -d.until_s..-d.from_s)?;
    chart
        .configure_mesh()
        .label_style((FONT, 13))
        .axis_desc_style((FONT, 14))
        .disable_x_mesh()
        .disable_x_axis()
        .y_labels(12)
        .y_label_formatter(&|y: &f64| format!("{:.digits$}", -y))
        .y_desc("simulated time (s), flowing down")
        .light_line_style(TRANSPARENT)
        .draw()?;
    root.draw(&Text::new(title.to_string(), (16, 10), (FONT, 20).into_font().color(&BLACK)))?;
    root.draw(&Text::new(subtitle(d), (16, 38), (FONT, 13).into_font().color(&RGBColor(80, 80, 80))))?;
    let shown = shade(&mut chart, d, faults)?;
    lifelines(root, &mut chart, d)?;
    fault_labels(root, &chart, &shown)?;
    if d.arrows.is_empty() {
        let at = chart.backend_coord(&((n - 1.0) / 2.0, -(d.from_s + d.until_s) / 2.0));
        let style = (FONT, 16).into_font().color(&RGBColor(120, 120, 120)).pos(Pos::new(HPos::Center, VPos::Center));
        root.draw(&Text::new(format!("no messages about key {} in this window", d.key), at, style))?;
    }
    // Arrows first, then their labels, placed clear of arrowheads, crosses and each other.
    let mut placed = Vec::new();
    let paths: Vec<Vec<(i32, i32)>> = d.arrows.iter().map(|a| path(&chart, a)).collect();
    for (a, p) in d.arrows.iter().zip(&paths) {
        arrow(root, a, p)?;
        let end = p[p.len() - 1];
        placed.push((end.0 - 7, end.1 - 7, end.0 + 7, end.1 + 7));
    }
    for (a, p) in d.arrows.iter().zip(&paths) {
        label(root, d, a, p, &mut placed)?;
    }
    legend(root, d)
}

/// How the key and window were chosen, and whether arrows were capped.
fn subtitle(d: &MessageDiagram) -> String {
    let shown = if d.capped() {
        format!("showing the first {} of {} messages (cap {})", d.arrows.len(), d.messages, d.max_arrows)
    } else {
        format!("{} messages", d.messages)
    };
    format!("{}; {shown}", d.chosen_by)
}

type Ctx<'a, 'b> = ChartContext<
    'a,
    super::canvas::Canvas<'b>,
    Cartesian2d<plotters::coord::types::RangedCoordf64, plotters::coord::types::RangedCoordf64>,
>;

/// Shades the faults that overlap the window across every lifeline; returns the labels to put
/// at the top of each shaded band, as (label, band start in seconds).
fn shade(
    chart: &mut Ctx<'_, '_>,
    d: &MessageDiagram,
    faults: &[FaultInterval],
) -> Result<Vec<(String, f64)>, Box<dyn std::error::Error>> {
    let right = d.lifelines.len().max(1) as f64 - 0.5;
    let min_h = (d.until_s - d.from_s) / 300.0;
    let mut labels = Vec::new();
    for f in faults {
        let until = f.until_s.unwrap_or(f64::INFINITY).max(f.at_s + min_h);
        if until < d.from_s || f.at_s > d.until_s {
            continue;
        }
        let (a, b) = (f.at_s.max(d.from_s), until.min(d.until_s));
        chart.draw_series([Rectangle::new([(-0.5, -a), (right, -b)], FAULT.mix(0.10).filled())])?;
        let label = if f.at_s < d.from_s { format!("{} (since {} s)", f.label, secs(f.at_s)) } else { f.label.clone() };
        labels.push((label, a));
    }
    Ok(labels)
}

/// Each fault's label at the top left of its band, on a white box so lifelines do not cross it.
fn fault_labels(root: &Area<'_>, chart: &Ctx<'_, '_>, labels: &[(String, f64)]) -> DrawResult {
    let font = (FONT, 12).into_font().color(&FAULT);
    for (label, at) in labels {
        let (x, y) = chart.backend_coord(&(-0.5, -at));
        let (w, h) = root.estimate_text_size(label, &font)?;
        let (x, y, w, h) = (x + 4, y + 3, w as i32, h as i32);
        root.draw(&Rectangle::new([(x - 2, y - 1), (x + w + 2, y + h + 1)], WHITE.mix(0.9).filled()))?;
        root.draw(&Text::new(label.clone(), (x, y), font.clone()))?;
    }
    Ok(())
}

/// Vertical lifelines, with each process's name and role above its line.
fn lifelines(root: &Area<'_>, chart: &mut Ctx<'_, '_>, d: &MessageDiagram) -> DrawResult {
    for (i, l) in d.lifelines.iter().enumerate() {
        let x = i as f64;
        chart
            .draw_series([PathElement::new([(x, -d.from_s), (x, -d.until_s)], RGBColor(90, 90, 90).stroke_width(2))])?;
        let (px, py) = chart.backend_coord(&(x, -d.from_s));
        let centre = Pos::new(HPos::Center, VPos::Bottom);
        root.draw(&Text::new(l.name.clone(), (px, py - 22), (FONT, 15).into_font().color(&BLACK).pos(centre)))?;
        let role = (FONT, 12).into_font().color(&RGBColor(90, 90, 90)).pos(centre);
        root.draw(&Text::new(l.role.clone(), (px, py - 6), role))?;
    }
    Ok(())
}

/// The pixels an arrow runs through: from its send on the sender's lifeline to its handling on
/// the receiver's (a short stub towards the receiver when the network dropped it as it left; a
/// loop out and back for a message to oneself).
fn path(chart: &Ctx<'_, '_>, a: &Arrow) -> Vec<(i32, i32)> {
    let p0 = chart.backend_coord(&(a.from as f64, -a.sent_s));
    let mut p1 = chart.backend_coord(&(a.to as f64, -a.at_s));
    if a.lost.is_some() && a.at_s <= a.sent_s {
        let dx = (p1.0 - p0.0).clamp(-70, 70);
        p1 = (p0.0 + dx, p0.1 + 8);
    }
    if a.from == a.to { vec![p0, (p0.0 + 28, p0.1), (p0.0 + 28, p1.1), p1] } else { vec![p0, p1] }
}

/// The colour of an arrow: red when lost, else its kind's.
fn arrow_colour(a: &Arrow) -> RGBColor {
    if a.lost.is_some() { FAULT } else { kind_colour(&a.kind) }
}

/// One message along `path`: a solid arrow when delivered, a dashed red line ending in a
/// cross when lost.
fn arrow(root: &Area<'_>, a: &Arrow, path: &[(i32, i32)]) -> DrawResult {
    let colour = arrow_colour(a);
    let end = path[path.len() - 1];
    if a.lost.is_some() {
        dashed(root, path, colour)?;
        cross(root, end, colour)?;
    } else {
        root.draw(&PathElement::new(path.to_vec(), colour.stroke_width(2)))?;
        head(root, path[path.len() - 2], end, colour)?;
    }
    Ok(())
}

/// The kind of an arrow (and for a lost one, its receiver and why), next to the arrow.
fn label(root: &Area<'_>, d: &MessageDiagram, a: &Arrow, path: &[(i32, i32)], placed: &mut Vec<Rect>) -> DrawResult {
    let text = match &a.lost {
        Some(why) => {
            let to = d.lifelines.get(a.to).map_or("?", |l| l.name.as_str());
            format!("{} to {to} ✗ {why}", a.kind)
        }
        None => a.kind.clone(),
    };
    let font = (FONT, 11).into_font().color(&arrow_colour(a));
    let (w, h) = root.estimate_text_size(&text, &font)?;
    let at = place(path, (w as i32, h as i32), placed);
    root.draw(&Text::new(text, at, font.pos(Pos::new(HPos::Left, VPos::Top))))?;
    Ok(())
}

/// A label's box in pixels: left, top, right, bottom.
type Rect = (i32, i32, i32, i32);

/// Where to put a label of `size` for the arrow along `path`: just above a point at 50%, 30%,
/// 70%, 15% or 85% of the way, the first whose box overlaps no label placed so far (else the
/// midpoint, pushed down until free, at most 6 lines); the box is added to `placed`.
fn place(path: &[(i32, i32)], (w, h): (i32, i32), placed: &mut Vec<Rect>) -> (i32, i32) {
    let (a0, a1) = (path[0], path[path.len() - 1]);
    let at =
        |t: f64| (a0.0 + ((a1.0 - a0.0) as f64 * t) as i32 - w / 2, a0.1 + ((a1.1 - a0.1) as f64 * t) as i32 - h - 3);
    let free = |(x, y): (i32, i32)| placed.iter().all(|r| x + w < r.0 || x > r.2 || y + h < r.1 || y > r.3);
    let candidates = [0.5, 0.3, 0.7, 0.15, 0.85].map(at);
    let pushed = (1..=6).map(|k| (candidates[0].0, candidates[0].1 + k * (h + 2)));
    let chosen = candidates.into_iter().chain(pushed).find(|p| free(*p)).unwrap_or(candidates[0]);
    placed.push((chosen.0, chosen.1, chosen.0 + w, chosen.1 + h));
    chosen
}

/// A dashed polyline (6 px on, 4 px off).
fn dashed(root: &Area<'_>, path: &[(i32, i32)], colour: RGBColor) -> DrawResult {
    for w in path.windows(2) {
        let (a, b) = (w[0], w[1]);
        let len = (((b.0 - a.0) as f64).powi(2) + ((b.1 - a.1) as f64).powi(2)).sqrt();
        let mut s = 0.0;
        while s < len {
            let e = (s + 6.0).min(len);
            let at =
                |t: f64| (a.0 + ((b.0 - a.0) as f64 * t / len) as i32, a.1 + ((b.1 - a.1) as f64 * t / len) as i32);
            root.draw(&PathElement::new([at(s), at(e)], colour.stroke_width(2)))?;
            s += 10.0;
        }
    }
    Ok(())
}

/// A filled arrowhead at `tip`, pointing away from `from`.
fn head(root: &Area<'_>, from: (i32, i32), tip: (i32, i32), colour: RGBColor) -> DrawResult {
    let (dx, dy) = ((tip.0 - from.0) as f64, (tip.1 - from.1) as f64);
    let len = (dx * dx + dy * dy).sqrt().max(1.0);
    let (ux, uy) = (dx / len, dy / len);
    let base = (tip.0 as f64 - 10.0 * ux, tip.1 as f64 - 10.0 * uy);
    let left = ((base.0 - 4.0 * uy) as i32, (base.1 + 4.0 * ux) as i32);
    let right = ((base.0 + 4.0 * uy) as i32, (base.1 - 4.0 * ux) as i32);
    root.draw(&Polygon::new(vec![tip, left, right], colour.filled()))?;
    Ok(())
}

/// A cross marking where a message was lost.
fn cross(root: &Area<'_>, at: (i32, i32), colour: RGBColor) -> DrawResult {
    let s = colour.stroke_width(2);
    root.draw(&PathElement::new([(at.0 - 5, at.1 - 5), (at.0 + 5, at.1 + 5)], s))?;
    root.draw(&PathElement::new([(at.0 - 5, at.1 + 5), (at.0 + 5, at.1 - 5)], s))?;
    Ok(())
}

/// The legend, in one framed row under the plot: the kinds present and lost messages.
fn legend(root: &Area<'_>, d: &MessageDiagram) -> DrawResult {
    let present = |k: &str| d.arrows.iter().any(|a| a.lost.is_none() && kind_colour(&a.kind) == kind_colour(k));
    let mut items: Vec<(String, RGBColor, bool)> = GROUPS
        .iter()
        .filter(|(_, k)| present(k))
        .map(|(label, k)| (label.to_string(), kind_colour(k), false))
        .collect();
    items.push(("lost (✗ where; loss, partition or crash)".to_string(), FAULT, true));
    let y = (HEIGHT - BOTTOM / 2) as i32;
    let mut x = 110;
    let font = (FONT, 12).into_font().color(&BLACK);
    let widths: Vec<i32> = items
        .iter()
        .map(|(label, ..)| root.estimate_text_size(label, &font).map(|(w, _)| w as i32 + 44).unwrap_or(160))
        .collect();
    let total: i32 = widths.iter().sum();
    root.draw(&Rectangle::new([(x - 8, y - 14), (x + total, y + 14)], BLACK.stroke_width(1)))?;
    for ((label, colour, lost), w) in items.iter().zip(widths) {
        if *lost {
            dashed(root, &[(x, y), (x + 24, y)], *colour)?;
            cross(root, (x + 26, y), *colour)?;
        } else {
            root.draw(&PathElement::new([(x, y), (x + 24, y)], colour.stroke_width(2)))?;
            head(root, (x, y), (x + 30, y), *colour)?;
        }
        let style = font.pos(Pos::new(HPos::Left, VPos::Center));
        root.draw(&Text::new(label.clone(), (x + 36, y), style))?;
        x += w;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::charts::canvas::tests::{decode, ink};
    use crate::testdata;

    #[test]
    fn the_diagram_has_lifelines_arrows_a_time_axis_and_a_legend() {
        let r = testdata::sample();
        let c = message_diagram(&r, &Look::default()).expect("the sample has a diagram");
        for text in ["Messages about key 42", "client 0", "n1", "coordinator", "replica", "request", "replica_write"] {
            assert!(c.svg.contains(text), "{text}");
        }
        assert!(c.svg.contains("simulated time (s)"), "time axis with units");
        assert!(c.svg.contains("replica_write to n2 ✗ partition"), "a lost message is labelled");
        assert!(c.svg.contains("lost (✗ where"), "legend");
        assert!(c.svg.contains("partition split"), "the fault in the window is shaded and named");
        assert!(c.svg.contains("showing the first 5 of 9 messages (cap 5)"), "the cap is stated");
        let (w, h, rgb) = decode(&c.png);
        assert_eq!((w, h), (WIDTH, HEIGHT));
        let (colours, share) = ink(&rgb);
        assert!(colours > 10 && share > 0.03, "{colours} colours, {share} inked");
    }

    #[test]
    fn an_empty_window_says_so_and_no_diagram_means_no_chart() {
        let mut r = testdata::sample();
        if let Some(d) = r.diagram.as_mut() {
            d.arrows.clear();
            d.messages = 0;
        }
        let c = message_diagram(&r, &Look::default()).expect("drawn");
        assert!(c.svg.contains("no messages about key 42 in this window"));
        r.diagram = None;
        assert!(message_diagram(&r, &Look::default()).is_none());
    }

    #[test]
    fn the_diagram_is_deterministic() {
        let r = testdata::sample();
        assert_eq!(message_diagram(&r, &Look::default()), message_diagram(&r, &Look::default()));
    }
}
