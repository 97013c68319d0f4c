//! The Lamport-style message diagram: one vertical lifeline per process, time flowing down,
//! one arrow per message from its send on the sender's lifeline to its handling on the
//! receiver's, labelled with the message kind; lost messages are dashed red and end in a
//! cross; faults in the window are shaded; the operation the window was chosen around is
//! marked on its client's lifeline with what it returned. Drawn like every chart, as SVG and
//! PNG.
//!
//! Time runs down by event, not to scale: each distinct send or handling time is a row of its
//! own (labelled with its time), so a burst of messages after a long quiet spell does not
//! crowd into a corner. A quiet spell much longer than the usual step between events is
//! marked on the time axis with its length. The picture grows with the rows.

use super::canvas::{Area, FONT, paint};
use super::{Chart, DrawResult, FAULT, Look, PALETTE, no_data};
use crate::diagram::{Arrow, Focus, MessageDiagram};
use crate::run_report::{FaultInterval, RunReport};
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

/// Width of the diagram, in pixels.
pub const WIDTH: u32 = 960;
/// Height of a diagram with no rows; each row of events adds [`ROW`].
pub const MIN_HEIGHT: u32 = TOP + 2 * PAD + BOTTOM;

/// Pixels between rows of events.
const ROW: u32 = 28;
/// Pixel space above the plot: title, subtitle, the focus line, lifeline names and roles.
const TOP: u32 = 168;
/// Pixels of plot above the first row and below the last.
const PAD: u32 = 24;
/// Pixel space below the plot for the legend.
const BOTTOM: u32 = 60;
/// Left edge of the first lifeline's lane: room for the time labels.
const LEFT: i32 = 150;
/// A quiet spell between two rows longer than this many times the median step is marked.
const QUIET: f64 = 5.0;

/// The diagram of the report, or `None` when the report has none.
pub fn message_diagram(r: &RunReport, look: &Look) -> Option<Chart> {
    let d = r.diagram.as_ref()?;
    let title = format!("Messages about key {} from {} s to {} s", d.key, secs(d.from_s), secs(d.until_s));
    let rows = Rows::of(d);
    let size = (WIDTH, rows.height());
    let painted = paint(look, size, &|root| draw(root, d, &rows, &r.faults, &title))
        .unwrap_or_else(|| no_data(look, size, &title, ""));
    Some(Chart::new(look, "message_diagram", title, painted))
}

/// Seconds with up to 6 decimals, trailing zeros dropped.
fn secs(s: f64) -> String {
    let t = format!("{s:.6}");
    t.trim_end_matches('0').trim_end_matches('.').to_string()
}

/// A duration in the unit that reads best ("95 ms", "1.2 s", "250 µs").
fn duration(s: f64) -> String {
    if s >= 1.0 {
        format!("{s:.1} s")
    } else if s >= 1e-3 {
        format!("{:.0} ms", s * 1e3)
    } else {
        format!("{:.0} µs", s * 1e6)
    }
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

/// The focus marker's colour (amber).
const FOCUS: RGBColor = RGBColor(230, 159, 0);

/// The event rows: every distinct send, handling and focus time in the window, ascending.
struct Rows {
    times: Vec<f64>,
}

impl Rows {
    fn of(d: &MessageDiagram) -> Rows {
        let arrows = d.arrows.iter().flat_map(|a| [a.sent_s, a.at_s]);
        let focus = d.focus.iter().flat_map(|f| [f.invoked_s, f.completed_s]);
        let mut times: Vec<f64> = arrows.chain(focus).filter(|t| t.is_finite()).collect();
        times.sort_by(f64::total_cmp);
        times.dedup_by(|a, b| (*a - *b).abs() < 1e-9);
        Rows { times }
    }

    /// The picture's height for these rows.
    fn height(&self) -> u32 {
        MIN_HEIGHT + ROW * self.times.len().saturating_sub(1) as u32
    }

    fn top() -> i32 {
        (TOP + PAD) as i32
    }

    /// The pixel row of a time: a row's own, or between the rows around it in proportion to
    /// time; clamped to the plot.
    fn y(&self, t: f64) -> i32 {
        let row = |i: usize| Self::top() + (ROW as usize * i) as i32;
        let i = self.times.partition_point(|&x| x < t - 1e-9);
        if i == 0 || self.times.is_empty() {
            return row(0);
        }
        if i == self.times.len() {
            return row(i - 1);
        }
        let (a, b) = (self.times[i - 1], self.times[i]);
        let f = if b > a { ((t - a) / (b - a)).clamp(0.0, 1.0) } else { 0.0 };
        row(i - 1) + (f * f64::from(ROW)) as i32
    }

    fn bottom(&self) -> i32 {
        Self::top() + (ROW as usize * self.times.len().saturating_sub(1)) as i32 + PAD as i32
    }

    /// The quiet spells to mark: (index of the row before, length in seconds).
    fn quiet(&self) -> Vec<(usize, f64)> {
        let mut steps: Vec<f64> = self.times.windows(2).map(|w| w[1] - w[0]).collect();
        if steps.len() < 3 {
            return Vec::new();
        }
        let gaps = steps.clone();
        steps.sort_by(f64::total_cmp);
        let median = steps[steps.len() / 2].max(1e-6);
        gaps.into_iter().enumerate().filter(|&(_, g)| g > QUIET * median).collect()
    }
}

/// The x of lifeline `i` of `n`, evenly spread across the lanes.
fn lane_x(i: usize, n: usize) -> i32 {
    let lane = (WIDTH as i32 - LEFT - 20) / n.max(1) as i32;
    LEFT + lane * i as i32 + lane / 2
}

fn draw(root: &Area<'_>, d: &MessageDiagram, rows: &Rows, faults: &[FaultInterval], title: &str) -> DrawResult {
    root.draw(&Text::new(title.to_string(), (16, 10), (FONT, 20).into_font().color(&BLACK)))?;
    root.draw(&Text::new(subtitle(d), (16, 38), (FONT, 13).into_font().color(&RGBColor(80, 80, 80))))?;
    if let Some(f) = &d.focus {
        focus_line(root, d, f)?;
    }
    let shown = shade(root, d, rows, faults)?;
    time_axis(root, rows)?;
    lifelines(root, d, rows)?;
    fault_labels(root, &shown)?;
    if let Some(f) = &d.focus {
        focus_bar(root, d, rows, f)?;
    }
    if d.arrows.is_empty() {
        let at = (WIDTH as i32 / 2, (Rows::top() + rows.bottom()) / 2);
        let style = (FONT, 16).into_font().color(&RGBColor(120, 120, 120)).pos(Pos::new(HPos::Center, VPos::Center));
        root.draw(&Text::new(format!("no messages about key {} in this window", d.key), at, style))?;
    }
    // Arrows first, then their labels, placed clear of arrowheads, crosses and each other.
    let mut placed = Vec::new();
    let paths: Vec<Vec<(i32, i32)>> = d.arrows.iter().map(|a| path(d, rows, a)).collect();
    for (a, p) in d.arrows.iter().zip(&paths) {
        arrow(root, a, p, is_focus_reply(d, a))?;
        let end = p[p.len() - 1];
        placed.push((end.0 - 7, end.1 - 7, end.0 + 7, end.1 + 7));
    }
    for (a, p) in d.arrows.iter().zip(&paths) {
        label(root, d, a, p, &mut placed)?;
    }
    legend(root, d, rows.bottom() + BOTTOM as i32 / 2)
}

/// How the key and window were chosen, and whether arrows were capped.
fn subtitle(d: &MessageDiagram) -> String {
    let shown = if d.capped() {
        format!("showing the first {} of {} messages (cap {})", d.arrows.len(), d.messages, d.max_arrows)
    } else {
        format!("{} messages", d.messages)
    };
    format!("{}; {shown}; rows are events, not to scale", d.chosen_by)
}

/// The focus operation in words, under the subtitle.
fn focus_line(root: &Area<'_>, d: &MessageDiagram, f: &Focus) -> DrawResult {
    let who = d.lifelines.get(f.client).map_or("a client", |l| l.name.as_str());
    let text =
        format!("marked: the {} of {who}, {} s to {} s: {}", f.kind, secs(f.invoked_s), secs(f.completed_s), f.note);
    root.draw(&Rectangle::new([(16, 62), (26, 72)], FOCUS.filled()))?;
    let font = (FONT, 13).into_font().color(&BLACK);
    // Too wide for one line: break after the operation's times.
    let fits = root.estimate_text_size(&text, &font)?.0 as i32 <= WIDTH as i32 - 48;
    match text.split_once(" s: ").filter(|_| !fits) {
        Some((what, note)) => {
            root.draw(&Text::new(format!("{what} s:"), (32, 60), font.clone()))?;
            root.draw(&Text::new(note.to_string(), (32, 78), font))?;
        }
        None => root.draw(&Text::new(text, (32, 60), font))?,
    }
    Ok(())
}

/// The focus operation's span on its client's lifeline: a wide amber bar.
fn focus_bar(root: &Area<'_>, d: &MessageDiagram, rows: &Rows, f: &Focus) -> DrawResult {
    let x = lane_x(f.client, d.lifelines.len());
    let (y0, y1) = (rows.y(f.invoked_s), rows.y(f.completed_s));
    root.draw(&Rectangle::new([(x - 5, y0), (x + 5, y1.max(y0 + 2))], FOCUS.mix(0.85).filled()))?;
    Ok(())
}

/// Whether `a` is the reply that completed the focus operation.
fn is_focus_reply(d: &MessageDiagram, a: &Arrow) -> bool {
    d.focus.as_ref().is_some_and(|f| a.to == f.client && a.lost.is_none() && (a.at_s - f.completed_s).abs() < 1e-9)
}

/// A fault's label and the pixel at its band's top left.
type FaultLabel = (String, (i32, i32));

/// Shades the faults that overlap the window across every lane; returns the labels to put at
/// the top of each shaded band, as (label, pixel at the band's top left).
fn shade(
    root: &Area<'_>,
    d: &MessageDiagram,
    rows: &Rows,
    faults: &[FaultInterval],
) -> Result<Vec<FaultLabel>, Box<dyn std::error::Error>> {
    let mut labels = Vec::new();
    for f in faults {
        let until = f.until_s.unwrap_or(f64::INFINITY);
        if until < d.from_s || f.at_s > d.until_s {
            continue;
        }
        let y0 = if f.at_s <= d.from_s { Rows::top() - PAD as i32 } else { rows.y(f.at_s) };
        let y1 = if until >= d.until_s { rows.bottom() } else { rows.y(until).max(y0 + 2) };
        root.draw(&Rectangle::new([(LEFT, y0), (WIDTH as i32 - 20, y1)], FAULT.mix(0.10).filled()))?;
        let label = if f.at_s < d.from_s { format!("{} (since {} s)", f.label, secs(f.at_s)) } else { f.label.clone() };
        labels.push((label, (LEFT, y0)));
    }
    Ok(labels)
}

/// Each fault's label at the top left of its band, on a white box so lifelines do not cross it.
fn fault_labels(root: &Area<'_>, labels: &[FaultLabel]) -> DrawResult {
    let font = (FONT, 12).into_font().color(&FAULT);
    for (label, (x, y)) in labels {
        let (w, h) = root.estimate_text_size(label, &font)?;
        let (x, y, w, h) = (x + 4, y + 3, w as i32, h as i32);
        root.draw(&Rectangle::new([(x - 2, y - 1), (x + w + 2, y + h + 1)], WHITE.mix(0.9).filled()))?;
        root.draw(&Text::new(label.clone(), (x, y), font.clone()))?;
    }
    Ok(())
}

/// The time axis: a line on the left, each row's time, the quiet spells marked with their
/// length, and the axis description.
fn time_axis(root: &Area<'_>, rows: &Rows) -> DrawResult {
    let x = LEFT - 6;
    let grey = RGBColor(90, 90, 90);
    root.draw(&PathElement::new([(x, Rows::top() - PAD as i32), (x, rows.bottom())], grey.stroke_width(1)))?;
    let font = (FONT, 11).into_font().color(&BLACK).pos(Pos::new(HPos::Right, VPos::Center));
    for &t in &rows.times {
        let y = rows.y(t);
        root.draw(&PathElement::new([(x - 4, y), (x, y)], grey.stroke_width(1)))?;
        root.draw(&Text::new(secs(t), (x - 7, y), font.clone()))?;
    }
    let quiet = (FONT, 10).into_font().color(&grey).pos(Pos::new(HPos::Right, VPos::Center));
    for (i, gap) in rows.quiet() {
        let y = rows.y(rows.times[i]) + ROW as i32 / 2;
        root.draw(&Rectangle::new([(x - 3, y - 4), (x + 3, y + 4)], WHITE.filled()))?;
        root.draw(&PathElement::new([(x - 5, y - 1), (x + 5, y - 5)], grey.stroke_width(1)))?;
        root.draw(&PathElement::new([(x - 5, y + 5), (x + 5, y + 1)], grey.stroke_width(1)))?;
        root.draw(&Text::new(format!("{} quiet", duration(gap)), (x - 9, y), quiet.clone()))?;
    }
    let desc = (FONT, 13).into_font().color(&BLACK).transform(FontTransform::Rotate270);
    let mid = (Rows::top() + rows.bottom()) / 2;
    root.draw(&Text::new("simulated time (s), flowing down", (14, mid + 100), desc))?;
    Ok(())
}

/// Vertical lifelines, with each process's name and, one per line, its roles above it.
fn lifelines(root: &Area<'_>, d: &MessageDiagram, rows: &Rows) -> DrawResult {
    let n = d.lifelines.len();
    let top = Rows::top() - PAD as i32;
    let centre = Pos::new(HPos::Center, VPos::Bottom);
    let most_roles = d.lifelines.iter().map(|l| l.role.split(", ").count()).max().unwrap_or(1) as i32;
    let name_y = top - 8 - 13 * most_roles;
    for (i, l) in d.lifelines.iter().enumerate() {
        let x = lane_x(i, n);
        root.draw(&PathElement::new([(x, top), (x, rows.bottom())], RGBColor(90, 90, 90).stroke_width(2)))?;
        root.draw(&Text::new(l.name.clone(), (x, name_y), (FONT, 15).into_font().color(&BLACK).pos(centre)))?;
        let role = (FONT, 11).into_font().color(&RGBColor(90, 90, 90)).pos(Pos::new(HPos::Center, VPos::Top));
        for (k, r) in l.role.split(", ").enumerate() {
            root.draw(&Text::new(r.to_string(), (x, name_y + 2 + 13 * k as i32), role.clone()))?;
        }
    }
    Ok(())
}

/// The pixels an arrow runs through: from its send on the sender's lifeline to its handling on
/// the receiver's (a short stub towards the receiver when the network dropped it as it left; a
/// loop out and back for a message to oneself).
fn path(d: &MessageDiagram, rows: &Rows, a: &Arrow) -> Vec<(i32, i32)> {
    let n = d.lifelines.len();
    let p0 = (lane_x(a.from, n), rows.y(a.sent_s));
    let mut p1 = (lane_x(a.to, n), rows.y(a.at_s));
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

/// One message along `path`: a solid arrow when delivered (under an amber halo when it is the
/// reply that completed the marked operation), a dashed red line ending in a cross when lost.
fn arrow(root: &Area<'_>, a: &Arrow, path: &[(i32, i32)], marked: bool) -> DrawResult {
    let colour = arrow_colour(a);
    let end = path[path.len() - 1];
    if a.lost.is_some() {
        dashed(root, path, colour)?;
        cross(root, end, colour)?;
    } else {
        if marked {
            root.draw(&PathElement::new(path.to_vec(), FOCUS.mix(0.6).stroke_width(8)))?;
        }
        root.draw(&PathElement::new(path.to_vec(), colour.stroke_width(2)))?;
        head(root, path[path.len() - 2], end, colour)?;
    }
    Ok(())
}

/// An arrow's label: its kind, for a lost one its receiver and why, for a reply that carried
/// versions what it carried.
fn label_text(d: &MessageDiagram, a: &Arrow) -> String {
    match (&a.lost, &a.carried) {
        (Some(why), _) => {
            let to = d.lifelines.get(a.to).map_or("?", |l| l.name.as_str());
            format!("{} to {to} ✗ {why}", a.kind)
        }
        (None, Some(carried)) => format!("{}: {carried}", a.kind),
        (None, None) => a.kind.clone(),
    }
}

/// The label of an arrow ([`label_text`]), next to the arrow, clear of the labels placed so far.
fn label(root: &Area<'_>, d: &MessageDiagram, a: &Arrow, path: &[(i32, i32)], placed: &mut Vec<Rect>) -> DrawResult {
    let text = label_text(d, a);
    let font = (FONT, 11).into_font().color(&arrow_colour(a));
    let (w, h) = root.estimate_text_size(&text, &font)?;
    let end = path[path.len() - 1];
    // A lost message's label reads best right after its cross.
    let beside = a.lost.is_some().then_some((end.0 + 12, end.1 - h as i32 / 2));
    let at = place(path, (w as i32, h as i32), beside, placed);
    // On a light box, so lifelines and shading do not run through the letters.
    root.draw(&Rectangle::new([(at.0 - 1, at.1), (at.0 + w as i32 + 1, at.1 + h as i32)], WHITE.mix(0.75).filled()))?;
    root.draw(&Text::new(text, at, font.pos(Pos::new(HPos::Left, VPos::Top))))?;
    Ok(())
}

/// A label's box in pixels: left, top, right, bottom.
type Rect = (i32, i32, i32, i32);

/// Where to put a label of `size` for the arrow along `path`: at `first` when given and free,
/// else just above a point at 50%, 30%, 70%, 15% or 85% of the way, the first whose box
/// overlaps no label placed so far (else the midpoint, pushed down a line at a time until free:
/// each placed box blocks at most two steps of a label as tall, so 2 × placed + 2 steps always
/// find room); the box is added to `placed`.
fn place(path: &[(i32, i32)], (w, h): (i32, i32), first: Option<(i32, i32)>, placed: &mut Vec<Rect>) -> (i32, i32) {
    let (a0, a1) = (path[0], path[path.len() - 1]);
    let at =
        |t: f64| (a0.0 + ((a1.0 - a0.0) as f64 * t) as i32 - w / 2, a0.1 + ((a1.1 - a0.1) as f64 * t) as i32 - h - 3);
    let free =
        |(x, y): (i32, i32)| placed.iter().all(|r| x + w + 2 < r.0 || x > r.2 + 2 || y + h + 2 < r.1 || y > r.3 + 2);
    let candidates = [0.5, 0.3, 0.7, 0.15, 0.85].map(at);
    let steps = 2 * placed.len() as i32 + 2;
    let pushed = (1..=steps).map(|k| (candidates[0].0, candidates[0].1 + k * (h + 2)));
    let chosen = first.into_iter().chain(candidates).chain(pushed).find(|p| free(*p)).unwrap_or(candidates[0]);
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

/// The legend, in one framed row at height `y` under the plot: the kinds present and lost
/// messages.
fn legend(root: &Area<'_>, d: &MessageDiagram, y: i32) -> DrawResult {
    let present = |k: &str| d.arrows.iter().any(|a| a.lost.is_none() && kind_colour(&a.kind) == kind_colour(k));
    let mut items: Vec<(String, RGBColor, bool)> = GROUPS
        .iter()
        .filter(|(_, k)| present(k))
        .map(|(label, k)| (label.to_string(), kind_colour(k), false))
        .collect();
    items.push(("lost (✗ where; loss, partition or crash)".to_string(), FAULT, true));
    let mut x = LEFT;
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
        assert!(c.svg.contains("marked: the put of client 0, 0.91 s to 1 s: wrote w7"), "the focus is named");
        let (w, h, rgb) = decode(&c.png);
        let rows = Rows::of(r.diagram.as_ref().expect("a diagram")).times.len() as u32;
        assert_eq!(rows, 8, "distinct event times of the sample");
        assert_eq!((w, h), (WIDTH, MIN_HEIGHT + ROW * (rows - 1)), "the picture grows with its rows");
        let (colours, share) = ink(&rgb);
        assert!(colours > 10 && share > 0.03, "{colours} colours, {share} inked");
    }

    #[test]
    fn each_reply_says_what_it_carried_and_labels_do_not_overlap() {
        let mut r = testdata::sample();
        let d = r.diagram.as_mut().expect("a diagram");
        d.arrows[3].kind = "replica_read_reply".into();
        d.arrows[3].carried = Some("w3@c0, †w4@c1 · clock 2".into());
        d.arrows[4].kind = "get_reply".into();
        d.arrows[4].carried = Some("nothing".into());
        let c = message_diagram(&r, &Look::default()).expect("drawn");
        for want in ["replica_read_reply: w3@c0, †w4@c1 · clock 2", "get_reply: nothing"] {
            assert!(c.svg.contains(want), "{want}");
        }
        // Eight long labels on one arrow: each finds a box clear of the others.
        let mut placed = Vec::new();
        let path = [(100, 100), (400, 160)];
        for _ in 0..8 {
            place(&path, (220, 12), None, &mut placed);
        }
        for (i, a) in placed.iter().enumerate() {
            for b in &placed[i + 1..] {
                let apart = a.2 < b.0 || b.2 < a.0 || a.3 < b.1 || b.3 < a.1;
                assert!(apart, "{a:?} overlaps {b:?}");
            }
        }
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
