//! Vector charts as PDF: [`PdfBackend`] is a plotters backend that writes one PDF page (with
//! pdf-writer) of lines, rectangles, paths, circles, polygons and text.
//!
//! Text is set with the DejaVu Sans embedded in this crate, laid out exactly as the bitmap sets
//! it ([`super::text`]: the font's advances, kerning and baseline), and embedded as a subset
//! (subsetter) TrueType CID font with Identity-H encoding and a ToUnicode map, so every
//! character the charts use ("≤", "·", "×") prints and can be searched and copied.
//!
//! A pixel of the chart is a CSS pixel, 0.75 pt, as the SVG is sized: an 800 × 440 chart is a
//! 600 × 330 pt page. The file is deterministic: no dates, no random file id, objects in a fixed
//! order, glyphs numbered in order of first use, streams compressed at a fixed level.

use super::text;
use ab_glyph::{Font, GlyphId, ScaleFont};
use pdf_writer::types::{CidFontType, FontFlags, SystemInfo};
use pdf_writer::{Content, Filter, Finish, Name, Pdf, Rect, Ref, Str};
use plotters_backend::text_anchor::{HPos, VPos};
use plotters_backend::{
    BackendColor, BackendCoord, BackendStyle, BackendTextStyle, DrawingBackend, DrawingErrorKind, FontTransform,
};
use std::collections::{BTreeMap, BTreeSet};
use subsetter::GlyphRemapper;

/// Points per chart pixel (a CSS pixel is 0.75 pt).
pub const PT_PER_PX: f32 = 0.75;

/// The PostScript name of the embedded font; the subset's name adds a tag made from its glyphs.
const FONT_NAME: &str = "DejaVuSans";

/// The font resource name in the page's content stream.
const FONT_RESOURCE: Name<'static> = Name(b"F0");

/// A failure to write the PDF (the font could not be subset).
#[derive(Debug, thiserror::Error)]
#[error("writing the PDF: {0}")]
pub struct PdfError(String);

/// A plotters backend that draws one PDF page into `out`, written when the drawing is presented.
pub struct PdfBackend<'a> {
    out: &'a mut Vec<u8>,
    size: (u32, u32),
    content: Content,
    /// Glyphs used, renumbered in order of first use (the subset's glyph ids are the CIDs).
    glyphs: GlyphRemapper,
    /// The text each used glyph stands for (the ToUnicode map), by new glyph id.
    unicode: BTreeMap<u16, char>,
    /// Opacities used, in thousandths (each becomes a graphics state `/A<n>`).
    alphas: BTreeSet<u16>,
    /// The current fill and stroke colours and opacity and the line width, to skip repeats.
    state: State,
}

#[derive(Clone, Copy, PartialEq)]
struct State {
    fill: Option<(u8, u8, u8)>,
    stroke: Option<(u8, u8, u8)>,
    alpha: u16,
    width: Option<u32>,
}

impl<'a> PdfBackend<'a> {
    /// A backend drawing a `size` pixel page that is written to `out` on `present`.
    pub fn new(out: &'a mut Vec<u8>, size: (u32, u32)) -> Self {
        let mut content = Content::new();
        // Chart pixels to points, with the origin at the top left and y growing down, as in
        // plotters; text flips back (see `draw_text`).
        content.transform([PT_PER_PX, 0.0, 0.0, -PT_PER_PX, 0.0, size.1 as f32 * PT_PER_PX]);
        let state = State { fill: None, stroke: None, alpha: 1000, width: None };
        PdfBackend {
            out,
            size,
            content,
            glyphs: GlyphRemapper::new(),
            unicode: BTreeMap::new(),
            alphas: BTreeSet::new(),
            state,
        }
    }

    /// Sets the opacity (a graphics state per distinct value) and the fill or stroke colour.
    fn paint(&mut self, color: BackendColor, fill: bool) {
        let alpha = (color.alpha.clamp(0.0, 1.0) * 1000.0).round() as u16;
        if alpha != self.state.alpha {
            self.alphas.insert(alpha);
            self.content.set_parameters(Name(alpha_name(alpha).as_bytes()));
            self.state.alpha = alpha;
        }
        let (r, g, b) = color.rgb;
        let f = |c: u8| f32::from(c) / 255.0;
        if fill && self.state.fill != Some(color.rgb) {
            self.content.set_fill_rgb(f(r), f(g), f(b));
            self.state.fill = Some(color.rgb);
        } else if !fill && self.state.stroke != Some(color.rgb) {
            self.content.set_stroke_rgb(f(r), f(g), f(b));
            self.state.stroke = Some(color.rgb);
        }
    }

    fn stroke_style<S: BackendStyle>(&mut self, style: &S, width: u32) {
        self.paint(style.color(), false);
        if self.state.width != Some(width) {
            self.content.set_line_width(width as f32);
            self.state.width = Some(width);
        }
    }

    /// The page's bytes: catalog, page, content, graphics states and the font subset.
    fn write(&mut self) -> Result<Vec<u8>, PdfError> {
        let mut pdf = Pdf::new();
        let mut ids = (1..).map(Ref::new);
        let mut next = || ids.next().unwrap_or(Ref::new(1));
        let (catalog, pages, page, content) = (next(), next(), next(), next());
        let alphas: Vec<(String, Ref)> = self.alphas.iter().map(|a| (alpha_name(*a), next())).collect();
        let font = (!self.unicode.is_empty()).then(|| FontRefs::new(&mut next));
        pdf.catalog(catalog).pages(pages);
        pdf.pages(pages).kids([page]).count(1);
        {
            let mut p = pdf.page(page);
            let (w, h) = (self.size.0 as f32 * PT_PER_PX, self.size.1 as f32 * PT_PER_PX);
            p.media_box(Rect::new(0.0, 0.0, w, h)).parent(pages).contents(content);
            let mut res = p.resources();
            {
                let mut states = res.ext_g_states();
                for (name, id) in &alphas {
                    states.pair(Name(name.as_bytes()), *id);
                }
            }
            if let Some(f) = &font {
                res.fonts().pair(FONT_RESOURCE, f.type0);
            }
        }
        let stream = std::mem::replace(&mut self.content, Content::new()).finish();
        pdf.stream(content, &deflate(&stream)).filter(Filter::FlateDecode);
        for ((_, id), a) in alphas.iter().zip(&self.alphas) {
            let a = f32::from(*a) / 1000.0;
            pdf.ext_graphics(*id).non_stroking_alpha(a).stroking_alpha(a);
        }
        if let Some(f) = font {
            f.write(&mut pdf, &self.glyphs, &self.unicode)?;
        }
        Ok(pdf.finish())
    }
}

/// The graphics state name of opacity `alpha` (thousandths).
fn alpha_name(alpha: u16) -> String {
    format!("A{alpha}")
}

/// zlib-compresses a stream (fixed level: same input, same bytes).
fn deflate(data: &[u8]) -> Vec<u8> {
    use std::io::Write;
    let mut z = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::new(6));
    // Writing to a Vec cannot fail.
    let _ = z.write_all(data);
    z.finish().unwrap_or_default()
}

/// The objects of the embedded font.
struct FontRefs {
    type0: Ref,
    cid: Ref,
    descriptor: Ref,
    file: Ref,
    to_unicode: Ref,
}

impl FontRefs {
    fn new(next: &mut impl FnMut() -> Ref) -> Self {
        FontRefs { type0: next(), cid: next(), descriptor: next(), file: next(), to_unicode: next() }
    }

    /// Writes the Type 0 font, its CID font (widths from the font's advances), its descriptor,
    /// the subset font file and the ToUnicode map.
    fn write(&self, pdf: &mut Pdf, glyphs: &GlyphRemapper, unicode: &BTreeMap<u16, char>) -> Result<(), PdfError> {
        let font = text::font();
        let per_unit = 1000.0 / font.units_per_em().unwrap_or(2048.0);
        let name = format!("{}+{FONT_NAME}", subset_tag(glyphs));
        let base = Name(name.as_bytes());
        let system = SystemInfo { registry: Str(b"Adobe"), ordering: Str(b"Identity"), supplement: 0 };
        pdf.type0_font(self.type0)
            .base_font(base)
            .encoding_predefined(Name(b"Identity-H"))
            .descendant_font(self.cid)
            .to_unicode(self.to_unicode);
        let widths: Vec<f32> = glyphs.remapped_gids().map(|g| font.h_advance_unscaled(GlyphId(g)) * per_unit).collect();
        let mut cid = pdf.cid_font(self.cid);
        cid.subtype(CidFontType::Type2).base_font(base).system_info(system).font_descriptor(self.descriptor);
        cid.cid_to_gid_map_predefined(Name(b"Identity"));
        cid.widths().consecutive(0, widths);
        cid.finish();
        let scaled = |v: f32| v * per_unit;
        let bbox =
            font_bbox(super::canvas::DEJAVU_SANS).ok_or_else(|| PdfError("the font has no head table".into()))?;
        pdf.font_descriptor(self.descriptor)
            .name(base)
            .flags(FontFlags::SYMBOLIC)
            .bbox(Rect::new(scaled(bbox[0]), scaled(bbox[1]), scaled(bbox[2]), scaled(bbox[3])))
            .italic_angle(0.0)
            .ascent(scaled(font.ascent_unscaled()))
            .descent(scaled(font.descent_unscaled()))
            .cap_height(scaled(font.outline(font.glyph_id('H')).map_or(0.0, |o| o.bounds.max.y)))
            .stem_v(80.0)
            .font_file2(self.file);
        let subset = subsetter::subset(super::canvas::DEJAVU_SANS, 0, glyphs).map_err(|e| PdfError(e.to_string()))?;
        let len = i32::try_from(subset.len()).map_err(|e| PdfError(e.to_string()))?;
        pdf.stream(self.file, &deflate(&subset)).filter(Filter::FlateDecode).pair(Name(b"Length1"), len);
        let mut cmap = pdf_writer::types::UnicodeCmap::new(Name(b"Custom"), system);
        for (g, c) in unicode {
            cmap.pair(*g, *c);
        }
        pdf.cmap(self.to_unicode, &deflate(&cmap.finish())).filter(Filter::FlateDecode);
        Ok(())
    }
}

/// The font's bounding box (`head` table: xMin, yMin, xMax, yMax in font units).
fn font_bbox(ttf: &[u8]) -> Option<[f32; 4]> {
    let be16 = |at: usize| ttf.get(at..at + 2).map(|b| u16::from_be_bytes([b[0], b[1]]));
    let be32 = |at: usize| ttf.get(at..at + 4).map(|b| u32::from_be_bytes([b[0], b[1], b[2], b[3]]));
    let tables = usize::from(be16(4)?);
    let head = (0..tables).map(|i| 12 + 16 * i).find(|&e| ttf.get(e..e + 4) == Some(b"head"))?;
    let at = usize::try_from(be32(head + 8)?).ok()?;
    let v = |k: usize| be16(at + 36 + 2 * k).map(|u| f32::from(u as i16));
    Some([v(0)?, v(1)?, v(2)?, v(3)?])
}

/// The six capital letters that name a font subset, from the glyphs it holds (the same
/// glyphs give the same tag).
fn subset_tag(glyphs: &GlyphRemapper) -> String {
    // FNV-1a over the old glyph ids in their new order.
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for g in glyphs.remapped_gids() {
        for b in g.to_be_bytes() {
            h = (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3);
        }
    }
    (0..6).map(|i| char::from(b'A' + ((h >> (i * 5)) % 26) as u8)).collect()
}

/// A point of the page, in chart pixels.
fn at(p: BackendCoord) -> (f32, f32) {
    (p.0 as f32, p.1 as f32)
}

/// The unit vector of `turn` applied to the direction (x, y): what plotters' rotations do.
fn rotate(turn: &FontTransform, (x, y): (f32, f32)) -> (f32, f32) {
    match turn {
        FontTransform::None => (x, y),
        FontTransform::Rotate90 => (-y, x),
        FontTransform::Rotate180 => (-x, -y),
        FontTransform::Rotate270 => (y, -x),
    }
}

type Res = Result<(), DrawingErrorKind<PdfError>>;

impl DrawingBackend for PdfBackend<'_> {
    type ErrorType = PdfError;

    fn get_size(&self) -> (u32, u32) {
        self.size
    }

    fn ensure_prepared(&mut self) -> Res {
        Ok(())
    }

    fn present(&mut self) -> Res {
        let bytes = self.write().map_err(DrawingErrorKind::DrawingError)?;
        *self.out = bytes;
        Ok(())
    }

    fn draw_pixel(&mut self, point: BackendCoord, color: BackendColor) -> Res {
        if color.alpha == 0.0 {
            return Ok(());
        }
        self.paint(color, true);
        let (x, y) = at(point);
        self.content.rect(x, y, 1.0, 1.0).fill_nonzero();
        Ok(())
    }

    fn draw_line<S: BackendStyle>(&mut self, from: BackendCoord, to: BackendCoord, style: &S) -> Res {
        self.draw_path([from, to], style)
    }

    /// A filled rectangle, or an outline as wide as the style's stroke (as in the PNG; plotters'
    /// SVG leaves outlines at the default 1 px).
    fn draw_rect<S: BackendStyle>(&mut self, ul: BackendCoord, br: BackendCoord, style: &S, fill: bool) -> Res {
        if style.color().alpha == 0.0 {
            return Ok(());
        }
        let ((x0, y0), (x1, y1)) = (at(ul), at(br));
        if fill {
            self.paint(style.color(), true);
            self.content.rect(x0, y0, x1 - x0, y1 - y0).fill_nonzero();
        } else {
            self.stroke_style(style, style.stroke_width());
            self.content.rect(x0, y0, x1 - x0, y1 - y0).stroke();
        }
        Ok(())
    }

    fn draw_path<S: BackendStyle, I: IntoIterator<Item = BackendCoord>>(&mut self, path: I, style: &S) -> Res {
        if style.color().alpha == 0.0 {
            return Ok(());
        }
        let mut points = path.into_iter().map(at);
        let Some((x, y)) = points.next() else { return Ok(()) };
        self.stroke_style(style, style.stroke_width());
        self.content.move_to(x, y);
        for (x, y) in points {
            self.content.line_to(x, y);
        }
        self.content.stroke();
        Ok(())
    }

    /// A circle as four cubic Béziers (the usual 0.5523 control-point ratio).
    fn draw_circle<S: BackendStyle>(&mut self, c: BackendCoord, r: u32, style: &S, fill: bool) -> Res {
        if style.color().alpha == 0.0 {
            return Ok(());
        }
        let ((cx, cy), r) = (at(c), r as f32);
        let k = 0.552_284_8 * r;
        let out = &mut self.content;
        out.move_to(cx + r, cy);
        out.cubic_to(cx + r, cy + k, cx + k, cy + r, cx, cy + r);
        out.cubic_to(cx - k, cy + r, cx - r, cy + k, cx - r, cy);
        out.cubic_to(cx - r, cy - k, cx - k, cy - r, cx, cy - r);
        out.cubic_to(cx + k, cy - r, cx + r, cy - k, cx + r, cy);
        out.close_path();
        if fill {
            self.paint(style.color(), true);
            self.content.fill_nonzero();
        } else {
            self.stroke_style(style, style.stroke_width());
            self.content.stroke();
        }
        Ok(())
    }

    fn fill_polygon<S: BackendStyle, I: IntoIterator<Item = BackendCoord>>(&mut self, vert: I, style: &S) -> Res {
        if style.color().alpha == 0.0 {
            return Ok(());
        }
        let mut points = vert.into_iter().map(at);
        let Some((x, y)) = points.next() else { return Ok(()) };
        self.paint(style.color(), true);
        self.content.move_to(x, y);
        for (x, y) in points {
            self.content.line_to(x, y);
        }
        self.content.close_path().fill_nonzero();
        Ok(())
    }

    /// Text laid out as the bitmap lays it out ([`text::lay_out`]): the same box, anchor and
    /// rotation, each glyph at its caret position (kerning as a `TJ` adjustment).
    fn draw_text<T: BackendTextStyle>(&mut self, s: &str, style: &T, pos: BackendCoord) -> Res {
        let color = style.color();
        if color.alpha == 0.0 || s.is_empty() {
            return Ok(());
        }
        let size = style.size();
        let line = text::lay_out(s, size);
        let (w, h) = text::measure(s, size);
        let anchor = style.anchor();
        let dx = match anchor.h_pos {
            HPos::Left => 0,
            HPos::Center => -(w as i32) / 2,
            HPos::Right => -(w as i32),
        };
        let dy = match anchor.v_pos {
            VPos::Top => 0,
            VPos::Center => -(h as i32) / 2,
            VPos::Bottom => -(h as i32),
        };
        let turn = style.transform();
        let (ox, oy) = rotate(&turn, (dx as f32, dy as f32 + line.ascent));
        let (ax, ay) = rotate(&turn, (1.0, 0.0));
        // The page's y axis points down (see `new`), so the glyphs' "up" is (0, -1) unrotated.
        let (ux, uy) = rotate(&turn, (0.0, -1.0));
        let em = text::css_font_size(size) as f32;
        let mut codes = Vec::with_capacity(2 * line.glyphs.len());
        let mut adjust = Vec::new();
        let font = text::font().as_scaled(ab_glyph::PxScale::from(size as f32));
        let mut natural = 0.0f32;
        // `lay_out` gives one glyph per character.
        for (&(id, caret), c) in line.glyphs.iter().zip(s.chars()) {
            let cid = self.glyphs.remap(id.0);
            self.unicode.entry(cid).or_insert(c);
            // Kerning moves a glyph from where the previous advance put it.
            let shift = caret - natural;
            if shift.abs() > 1e-4 {
                adjust.push((codes.len(), -shift / em * 1000.0));
            }
            codes.extend_from_slice(&cid.to_be_bytes());
            natural = caret + font.h_advance(id);
        }
        self.paint(color, true);
        let (x, y) = (pos.0 as f32 + ox, pos.1 as f32 + oy);
        let out = &mut self.content;
        out.begin_text();
        out.set_font(FONT_RESOURCE, em);
        out.set_text_matrix([ax, ay, ux, uy, x, y]);
        let mut shown = out.show_positioned();
        let mut items = shown.items();
        let mut from = 0;
        for (at, amount) in adjust {
            items.show(Str(&codes[from..at]));
            items.adjust(amount);
            from = at;
        }
        items.show(Str(&codes[from..]));
        items.finish();
        shown.finish();
        out.end_text();
        Ok(())
    }

    fn estimate_text_size<T: BackendTextStyle>(
        &self,
        s: &str,
        style: &T,
    ) -> Result<(u32, u32), DrawingErrorKind<PdfError>> {
        Ok(text::measure(s, style.size()))
    }
}

#[cfg(test)]
mod tests {
    use super::super::pdf_read::Doc;
    use super::super::{Formats, Look, all, canvas};
    use crate::testdata;
    use plotters::prelude::*;

    fn with_pdf() -> Look {
        Look { formats: Formats { pdf: true, ..Formats::default() }, ..Look::default() }
    }

    #[test]
    fn every_chart_pdf_parses_with_the_font_embedded_and_its_title_as_text() {
        let charts = all(&testdata::sample(), &with_pdf());
        for c in &charts {
            let pdf = c.pdf.as_deref().unwrap_or_else(|| panic!("{}: a PDF was asked for", c.name));
            let doc = Doc::parse(pdf);
            // The diagram is as tall as its rows need: its PDF page matches its PNG's pixels.
            let (w, h, _) = canvas::tests::decode(&c.png);
            let size = (f64::from(w) * 0.75, f64::from(h) * 0.75);
            assert!(c.name == "message_diagram" || size == (600.0, 330.0), "{}: {size:?}", c.name);
            assert_eq!(doc.page_size(), size, "{}: 0.75 pt per pixel", c.name);
            let fonts = doc.with("/Subtype /Type0");
            assert_eq!(fonts.len(), 1, "{}: one font", c.name);
            assert!(doc.dict(fonts[0]).contains("+DejaVuSans") && doc.dict(fonts[0]).contains("/Identity-H"));
            let file = doc.with("/Length1");
            assert_eq!(file.len(), 1, "{}: the font file is embedded", c.name);
            let ttf = doc.stream(file[0]);
            assert_eq!(ttf.len() as f64, doc.number(file[0], "/Length1"));
            assert!(ttf.len() < canvas::DEJAVU_SANS.len() / 10, "{}: a subset, {} bytes", c.name, ttf.len());
            let lines = doc.lines();
            assert!(lines.contains(&c.title), "{}: the title is text on the page: {lines:?}", c.name);
        }
        let cdf = charts.iter().find(|c| c.name == "latency_cdf").expect("present");
        let lines = Doc::parse(cdf.pdf.as_deref().expect("drawn")).lines();
        assert!(lines.iter().any(|l| l.contains('≤')), "a character outside Latin-1 prints: {lines:?}");
    }

    #[test]
    fn the_same_report_gives_the_same_pdf_bytes() {
        let (a, b) = (all(&testdata::sample(), &with_pdf()), all(&testdata::sample(), &with_pdf()));
        for (a, b) in a.iter().zip(&b) {
            assert_eq!(a.pdf, b.pdf, "{}", a.name);
            let text = String::from_utf8_lossy(a.pdf.as_deref().expect("drawn")).to_string();
            assert!(!text.contains("/CreationDate") && !text.contains("/ID ["), "{}: no date, no file id", a.name);
        }
    }

    #[test]
    fn a_pdf_is_drawn_only_when_asked_for() {
        assert!(all(&testdata::sample(), &Look::default()).iter().all(|c| c.pdf.is_none()));
    }

    #[test]
    fn shapes_and_opacity_reach_the_content_stream() {
        let look = with_pdf();
        let p = canvas::paint(&look, (100, 80), &|root| {
            root.draw(&Circle::new((50, 40), 20, RED.mix(0.5).filled()))?;
            root.draw(&PathElement::new(vec![(0, 0), (99, 79)], BLUE.stroke_width(3)))?;
            root.draw(&Rectangle::new([(10, 10), (30, 30)], BLACK))?;
            Ok(())
        })
        .expect("drawn");
        let pdf = p.pdf.expect("asked for");
        let doc = Doc::parse(&pdf);
        assert!(doc.with("/Subtype /Type0").is_empty(), "no text, no font");
        assert_eq!(doc.page_size(), (75.0, 60.0));
        let page = doc.with("/Type /Page\n")[0];
        let content = String::from_utf8(doc.stream(doc.reference(page, "/Contents"))).expect("ASCII");
        assert!(content.contains(" c\n"), "the circle is Bézier curves: {content}");
        assert!(content.contains("3 w\n") && content.contains("0 0 1 RG\n"), "the line's width and colour");
        assert!(content.contains("10 10 20 20 re\nS"), "the outlined rectangle");
        let states = doc.with("/ca 0.5");
        assert_eq!(states.len(), 1, "one graphics state for 50% opacity");
    }
}
