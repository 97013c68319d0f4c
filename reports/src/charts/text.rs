//! Text in the bitmap: lays a string out with the embedded font's advances, kerning and
//! baseline, and rasterises it with coverage blending.
//!
//! plotters' own bitmap text (its `ab_glyph` font backend) drops each glyph's side bearing and
//! places glyphs by their ink box, so decimal points sat at mid-height, underscores floated and
//! letters drifted apart. Here every glyph sits on one baseline at its advance position, as a
//! browser sets the SVG. A size is the font's height in pixels, as plotters lays text out;
//! [`measure`] is the size estimate both backends use, and the SVG states the matching CSS
//! `font-size` ([`css_font_size`]).

use super::canvas::DEJAVU_SANS;
use ab_glyph::{Font, FontRef, GlyphId, PxScale, ScaleFont, point};
use plotters_backend::text_anchor::{HPos, VPos};
use plotters_backend::{BackendCoord, BackendTextStyle};
use std::sync::OnceLock;

/// The embedded font, parsed once.
pub(super) fn font() -> &'static FontRef<'static> {
    static FONT: OnceLock<FontRef<'static>> = OnceLock::new();
    // The font is a valid TrueType file compiled into the binary (tested: `the_font_parses`).
    FONT.get_or_init(|| FontRef::try_from_slice(DEJAVU_SANS).expect("the embedded font parses"))
}

/// The ab_glyph scale for a plotters font size: plotters (and its layout of legends and labels)
/// takes `size` as the font's height, ascent to descent, in pixels.
fn scale(size: f64) -> PxScale {
    PxScale::from(size as f32)
}

/// The CSS `font-size` (pixels per em) whose glyphs match a plotters font size: the SVG sets
/// text at this size so both outputs show the same glyphs in the same layout.
pub fn css_font_size(size: f64) -> f64 {
    let f = font();
    size * f64::from(f.units_per_em().unwrap_or(2048.0)) / f64::from(f.height_unscaled())
}

/// A laid-out line: each glyph with its caret position, the advance width and the line's
/// ascent and descent (descent negative), all in pixels.
pub(super) struct Line {
    pub(super) glyphs: Vec<(GlyphId, f32)>,
    width: f32,
    pub(super) ascent: f32,
    descent: f32,
}

/// Lays `text` out at `size` (the font's height in pixels): one glyph per character.
pub(super) fn lay_out(text: &str, size: f64) -> Line {
    let scaled = font().as_scaled(scale(size));
    let mut glyphs = Vec::with_capacity(text.len());
    let mut caret = 0.0f32;
    let mut prev: Option<GlyphId> = None;
    for c in text.chars() {
        let id = scaled.glyph_id(c);
        if let Some(p) = prev {
            caret += scaled.kern(p, id);
        }
        glyphs.push((id, caret));
        caret += scaled.h_advance(id);
        prev = Some(id);
    }
    Line { glyphs, width: caret, ascent: scaled.ascent(), descent: scaled.descent() }
}

/// The width and height in pixels of `text` set at `size` (before any rotation): the advance
/// width, and the font's ascent plus descent.
pub fn measure(text: &str, size: f64) -> (u32, u32) {
    let line = lay_out(text, size);
    (line.width.ceil() as u32, (line.ascent - line.descent).ceil() as u32)
}

/// Draws `text` in `style` anchored at `pos`, one pixel at a time through `put` (which receives
/// the pixel and the style's colour with the glyph's coverage as alpha). Anchors and rotations
/// mean what they mean to plotters: the anchor names a point of the unrotated layout box
/// (`measure`'s width and height), and the box turns about it.
pub fn draw<S, E>(
    text: &str,
    style: &S,
    pos: BackendCoord,
    mut put: impl FnMut(BackendCoord, f64) -> Result<(), E>,
) -> Result<(), E>
where
    S: BackendTextStyle,
{
    let size = style.size();
    let line = lay_out(text, size);
    let (w, h) = measure(text, size);
    let (w, h) = (w as i32, h as i32);
    let anchor = style.anchor();
    let dx = match anchor.h_pos {
        HPos::Left => 0,
        HPos::Center => -w / 2,
        HPos::Right => -w,
    };
    let dy = match anchor.v_pos {
        VPos::Top => 0,
        VPos::Center => -h / 2,
        VPos::Bottom => -h,
    };
    let turn = style.transform();
    let s = scale(size);
    for &(id, caret) in &line.glyphs {
        let glyph = id.with_scale_and_position(s, point(caret, line.ascent));
        let Some(outline) = font().outline_glyph(glyph) else { continue };
        let ink = outline.px_bounds();
        let mut result = Ok(());
        outline.draw(|gx, gy, coverage| {
            if result.is_err() || coverage <= 0.0 {
                return;
            }
            let (x, y) = (ink.min.x as i32 + gx as i32 + dx, ink.min.y as i32 + gy as i32 + dy);
            let (x, y) = turn.transform(x, y);
            result = put((pos.0 + x, pos.1 + y), f64::from(coverage.min(1.0)));
        });
        result?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use plotters::prelude::*;

    #[test]
    fn the_font_parses() {
        assert!(font().glyph_id('A').0 != 0);
    }

    /// Renders `text` at `size` px through the chart canvas (top-left anchored at (4, 4)) and
    /// decodes the PNG; returns (width, height, ink coverage per pixel).
    fn render(text: &str, size: f64) -> (usize, usize, Vec<f64>) {
        let (w, h) = measure(text, size);
        let (w, h) = (w + 8, h + 8);
        let painted = super::super::canvas::paint(&Default::default(), (w, h), &|root| {
            let font = (super::super::canvas::FONT, size).into_font().color(&BLACK);
            root.draw(&Text::new(text, (4, 4), font))?;
            Ok(())
        })
        .expect("drawn");
        let (_, _, rgb) = super::super::canvas::tests::decode(&painted.png);
        let cov = rgb.chunks(3).map(|p| 1.0 - f64::from(p[0]) / 255.0).collect();
        (w as usize, h as usize, cov)
    }

    /// The ink rows (first, last) of the columns `x0..x1`.
    fn rows(w: usize, h: usize, cov: &[f64], x0: usize, x1: usize) -> (usize, usize) {
        let inked: Vec<usize> = (0..h).filter(|&y| (x0..x1).any(|x| cov[y * w + x] > 0.3)).collect();
        (*inked.first().expect("ink"), *inked.last().expect("ink"))
    }

    /// Runs of columns without ink, as (start, length), between the first and last inked column.
    fn gaps(w: usize, h: usize, cov: &[f64]) -> Vec<(usize, usize)> {
        let inked: Vec<bool> = (0..w).map(|x| (0..h).any(|y| cov[y * w + x] > 0.1)).collect();
        let first = inked.iter().position(|&i| i).expect("ink");
        let last = inked.iter().rposition(|&i| i).expect("ink");
        let mut out = Vec::new();
        let mut x = first;
        while x <= last {
            if inked[x] {
                x += 1;
                continue;
            }
            let start = x;
            while !inked[x] {
                x += 1;
            }
            out.push((start, x - start));
        }
        out
    }

    #[test]
    fn a_decimal_point_and_an_underscore_sit_on_and_below_the_baseline() {
        let size = 24.0;
        let (w, h, cov) = render("0.0_0", size);
        let line = lay_out("0.0_0", size);
        let col = |i: usize| 4 + line.glyphs[i].1.round() as usize;
        let (_, zero_bottom) = rows(w, h, &cov, col(0), col(1));
        let (dot_top, dot_bottom) = rows(w, h, &cov, col(1) + 1, col(2));
        let (_, under_bottom) = rows(w, h, &cov, col(3), col(4));
        assert!(dot_bottom.abs_diff(zero_bottom) <= 1, "the point ends at {dot_bottom}, the digit at {zero_bottom}");
        assert!(
            dot_top + 1 >= zero_bottom - (size as usize) / 4,
            "the point is a dot near the baseline, from {dot_top}"
        );
        assert!(under_bottom > zero_bottom, "the underscore ({under_bottom}) hangs below the baseline ({zero_bottom})");
    }

    #[test]
    fn letters_of_a_word_are_not_spread_apart() {
        let size = 13.0;
        let (w, h, cov) = render("latency p99.9 read repairs", size);
        let space = measure(" ", size).0 as usize;
        // Between letters of a word the ink gap is under half a space (DejaVu's side bearings
        // at 13 px leave at most 2 px); plotters' placement opened 3 px gaps inside words.
        let wide: Vec<(usize, usize)> = gaps(w, h, &cov).into_iter().filter(|&(_, n)| 2 * n > space).collect();
        assert_eq!(wide.len(), 3, "only the three spaces leave a gap of half a space or more: {wide:?}");
    }

    #[test]
    fn the_estimate_is_the_drawn_width() {
        let (w, h, cov) = render("all_reads p99.9", 13.0);
        let inked: Vec<usize> = (0..w).filter(|&x| (0..h).any(|y| cov[y * w + x] > 0.1)).collect();
        let drawn = inked.last().expect("ink") - inked.first().expect("ink") + 1;
        let estimate = measure("all_reads p99.9", 13.0).0 as usize;
        assert!(drawn.abs_diff(estimate) <= 2, "drawn {drawn} px, estimated {estimate} px");
    }
}
