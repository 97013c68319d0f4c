//! One drawing surface for every output: [`Canvas`] is a plotters backend that is the SVG
//! backend, the RGB bitmap backend or the PDF backend ([`super::pdf`]), so every chart is drawn
//! by the same code into an SVG document, a PNG image and a PDF page. [`paint`] draws a picture
//! each way it is wanted; text in the bitmap and the PDF comes from the DejaVu Sans font
//! embedded in this crate (`reports/fonts/`), never from the system. The canvas scales every
//! text size by the user's base font size.

use super::pdf::PdfBackend;
use plotters::coord::Shift;
use plotters::prelude::*;
use plotters_backend::{BackendColor, BackendCoord, BackendStyle, BackendTextStyle, DrawingErrorKind};
use std::sync::Once;

/// DejaVu Sans 2.37 (Debian's `fonts-dejavu-core`; licence in `reports/fonts/LICENSE-DejaVu`).
pub(super) static DEJAVU_SANS: &[u8] = include_bytes!("../../fonts/DejaVuSans.ttf");

/// The font family every chart names.
pub const FONT: &str = "sans-serif";

/// The same font, for text already sized for the canvas: the canvas does not scale it. Text
/// that plotters lays out itself from the font's size (legends: their box and line spacing)
/// uses it at the size the canvas would draw ([`super::text_scale`]). Every output names it
/// [`FONT`].
pub const FONT_EXACT: &str = "sans-serif-exact";

/// Registers the embedded font as [`FONT`] and [`FONT_EXACT`] with plotters, once per process.
/// Text layout (in the SVG too) and bitmap text both need it.
pub fn ensure_font() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        // The font is a valid TrueType file compiled into the binary: registering it cannot fail.
        let ok = [FONT, FONT_EXACT]
            .iter()
            .all(|f| plotters::style::register_font(f, FontStyle::Normal, DEJAVU_SANS).is_ok());
        debug_assert!(ok, "the embedded font parses");
    });
}

/// Whether the canvas leaves this text's size as it is (family [`FONT_EXACT`]).
fn exact<T: BackendTextStyle>(style: &T) -> bool {
    matches!(style.family(), plotters_backend::FontFamily::Name(FONT_EXACT))
}

/// A drawing error of any backend, as text.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct CanvasError(String);

/// A plotters backend drawing an SVG document, an RGB bitmap or a PDF page, with every text
/// size scaled by one factor (the user's base font size over [`super::BASE_FONT_PX`]).
pub struct Canvas<'a> {
    surface: Surface<'a>,
    font_scale: f64,
}

/// What a [`Canvas`] draws into.
pub enum Surface<'a> {
    /// SVG into a string.
    Svg(SVGBackend<'a>),
    /// 8-bit RGB pixels into a buffer.
    Bitmap(BitMapBackend<'a>),
    /// A PDF page into a byte buffer.
    Pdf(PdfBackend<'a>),
}

impl<'a> Canvas<'a> {
    /// A canvas on `surface` whose text sizes are multiplied by `font_scale`.
    pub fn new(surface: Surface<'a>, font_scale: f64) -> Self {
        Canvas { surface, font_scale }
    }

    /// The size `style`'s text is drawn at: scaled, unless it is [`FONT_EXACT`].
    fn size_of<T: BackendTextStyle>(&self, style: &T) -> f64 {
        if exact(style) { style.size() } else { style.size() * self.font_scale }
    }
}

fn conv<E: std::error::Error + Send + Sync>(e: DrawingErrorKind<E>) -> DrawingErrorKind<CanvasError> {
    match e {
        DrawingErrorKind::DrawingError(e) => DrawingErrorKind::DrawingError(CanvasError(e.to_string())),
        DrawingErrorKind::FontError(e) => DrawingErrorKind::FontError(e),
    }
}

/// Calls the same method on whichever backend this is.
macro_rules! each {
    ($self:expr, $b:ident => $call:expr) => {
        match &mut $self.surface {
            Surface::Svg($b) => $call.map_err(conv),
            Surface::Bitmap($b) => $call.map_err(conv),
            Surface::Pdf($b) => $call.map_err(conv),
        }
    };
}

type Res = Result<(), DrawingErrorKind<CanvasError>>;

impl DrawingBackend for Canvas<'_> {
    type ErrorType = CanvasError;

    fn get_size(&self) -> (u32, u32) {
        match &self.surface {
            Surface::Svg(b) => b.get_size(),
            Surface::Bitmap(b) => b.get_size(),
            Surface::Pdf(b) => b.get_size(),
        }
    }

    fn ensure_prepared(&mut self) -> Res {
        each!(self, b => b.ensure_prepared())
    }

    fn present(&mut self) -> Res {
        each!(self, b => b.present())
    }

    fn draw_pixel(&mut self, point: BackendCoord, color: BackendColor) -> Res {
        each!(self, b => b.draw_pixel(point, color))
    }

    fn draw_line<S: BackendStyle>(&mut self, from: BackendCoord, to: BackendCoord, style: &S) -> Res {
        each!(self, b => b.draw_line(from, to, style))
    }

    fn draw_rect<S: BackendStyle>(&mut self, ul: BackendCoord, br: BackendCoord, style: &S, fill: bool) -> Res {
        each!(self, b => b.draw_rect(ul, br, style, fill))
    }

    fn draw_path<S: BackendStyle, I: IntoIterator<Item = BackendCoord>>(&mut self, path: I, style: &S) -> Res {
        each!(self, b => b.draw_path(path, style))
    }

    fn draw_circle<S: BackendStyle>(&mut self, c: BackendCoord, r: u32, style: &S, fill: bool) -> Res {
        each!(self, b => b.draw_circle(c, r, style, fill))
    }

    fn fill_polygon<S: BackendStyle, I: IntoIterator<Item = BackendCoord>>(&mut self, vert: I, style: &S) -> Res {
        each!(self, b => b.fill_polygon(vert, style))
    }

    /// SVG text is set by the viewer; bitmap text by [`super::text`] (not plotters' glyph
    /// placement, which loses the baseline and the side bearings); PDF text by
    /// [`super::pdf`] with the same layout. Every size is scaled by the canvas's factor.
    fn draw_text<T: BackendTextStyle>(&mut self, text: &str, style: &T, pos: BackendCoord) -> Res {
        let size = self.size_of(style);
        match &mut self.surface {
            Surface::Svg(b) => b.draw_text(text, &Sized(style, super::text::css_font_size(size)), pos).map_err(conv),
            Surface::Pdf(b) => b.draw_text(text, &Sized(style, size), pos).map_err(conv),
            Surface::Bitmap(b) => {
                let color = style.color();
                if color.alpha == 0.0 {
                    return Ok(());
                }
                super::text::draw(text, &Sized(style, size), pos, |p, coverage| {
                    b.draw_pixel(p, BackendColor { alpha: color.alpha * coverage, rgb: color.rgb }).map_err(conv)
                })
            }
        }
    }

    /// Every output lays text out with the same metrics (the font's advances).
    fn estimate_text_size<T: BackendTextStyle>(
        &self,
        text: &str,
        style: &T,
    ) -> Result<(u32, u32), DrawingErrorKind<CanvasError>> {
        Ok(super::text::measure(text, self.size_of(style)))
    }

    fn blit_bitmap(&mut self, pos: BackendCoord, size: (u32, u32), src: &[u8]) -> Res {
        each!(self, b => b.blit_bitmap(pos, size, src))
    }
}

/// A text style with another size: the scaled size for the bitmap and the PDF, and for the
/// SVG the CSS `font-size` of the glyphs plotters lays out (the SVG's `font-size` is pixels per
/// em; plotters' size is the font's height).
struct Sized<'a, T>(&'a T, f64);

impl<T: BackendTextStyle> BackendTextStyle for Sized<'_, T> {
    type FontError = T::FontError;

    fn color(&self) -> BackendColor {
        self.0.color()
    }

    fn size(&self) -> f64 {
        self.1
    }

    fn transform(&self) -> plotters_backend::FontTransform {
        self.0.transform()
    }

    fn style(&self) -> plotters_backend::FontStyle {
        self.0.style()
    }

    fn anchor(&self) -> plotters_backend::text_anchor::Pos {
        self.0.anchor()
    }

    /// [`FONT_EXACT`] is [`FONT`] to every output.
    fn family(&self) -> plotters_backend::FontFamily<'_> {
        if exact(self.0) { plotters_backend::FontFamily::Name(FONT) } else { self.0.family() }
    }

    fn layout_box(&self, text: &str) -> Result<((i32, i32), (i32, i32)), Self::FontError> {
        self.0.layout_box(text)
    }

    fn draw<E, F: FnMut(i32, i32, BackendColor) -> Result<(), E>>(
        &self,
        text: &str,
        pos: BackendCoord,
        draw: F,
    ) -> Result<Result<(), E>, Self::FontError> {
        self.0.draw(text, pos, draw)
    }
}

/// The drawing area every chart draws on.
pub type Area<'a> = DrawingArea<Canvas<'a>, Shift>;

/// A picture drawn every way it is wanted.
#[derive(Clone, Debug, PartialEq)]
pub struct Painted {
    /// The SVG document (always drawn: the HTML pages inline it).
    pub svg: String,
    /// The PNG file.
    pub png: Vec<u8>,
    /// The PDF file, when the look asks for PDF.
    pub pdf: Option<Vec<u8>>,
}

/// Draws `draw` on a white canvas of `size` pixels as SVG, as PNG and, when `look` asks for
/// PDF, as PDF, with text scaled to the look's base font size; `None` if drawing failed.
pub fn paint(look: &super::Look, size: (u32, u32), draw: &dyn Fn(&Area<'_>) -> super::DrawResult) -> Option<Painted> {
    ensure_font();
    let scale = look.font_scale();
    let mut svg = String::new();
    let svg_ok = draw_on(Canvas::new(Surface::Svg(SVGBackend::with_string(&mut svg, size)), scale), draw);
    let mut rgb = vec![0u8; size.0 as usize * size.1 as usize * 3];
    let png_ok = draw_on(Canvas::new(Surface::Bitmap(BitMapBackend::with_buffer(&mut rgb, size)), scale), draw);
    let pdf = look.formats.pdf.then(|| {
        let mut pdf = Vec::new();
        draw_on(Canvas::new(Surface::Pdf(PdfBackend::new(&mut pdf, size)), scale), draw).then_some(pdf)
    });
    if !(svg_ok && png_ok) || pdf == Some(None) {
        return None;
    }
    encode_png(&rgb, size).ok().map(|png| Painted { svg, png, pdf: pdf.flatten() })
}

fn draw_on(canvas: Canvas<'_>, draw: &dyn Fn(&Area<'_>) -> super::DrawResult) -> bool {
    let root = canvas.into_drawing_area();
    root.fill(&WHITE).is_ok() && draw(&root).is_ok() && root.present().is_ok()
}

/// Encodes 8-bit RGB pixels as a PNG (fixed settings, no timestamps: same pixels, same bytes).
pub fn encode_png(rgb: &[u8], (w, h): (u32, u32)) -> Result<Vec<u8>, png::EncodingError> {
    let mut out = Vec::new();
    {
        let mut enc = png::Encoder::new(&mut out, w, h);
        enc.set_color(png::ColorType::Rgb);
        enc.set_depth(png::BitDepth::Eight);
        let mut writer = enc.write_header()?;
        writer.write_image_data(rgb)?;
        writer.finish()?;
    }
    Ok(out)
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// Decodes a PNG: (width, height, RGB pixels).
    pub(crate) fn decode(png_bytes: &[u8]) -> (u32, u32, Vec<u8>) {
        let mut reader = png::Decoder::new(std::io::Cursor::new(png_bytes)).read_info().expect("a PNG header");
        let mut buf = vec![0; reader.output_buffer_size().expect("a sane size")];
        let info = reader.next_frame(&mut buf).expect("PNG pixels");
        assert_eq!(info.color_type, png::ColorType::Rgb);
        buf.truncate(info.buffer_size());
        (info.width, info.height, buf)
    }

    /// Distinct colours and the share of non-white pixels of an RGB image.
    pub(crate) fn ink(rgb: &[u8]) -> (usize, f64) {
        let px: Vec<&[u8]> = rgb.chunks(3).collect();
        let mut colours: Vec<&[u8]> = px.clone();
        colours.sort_unstable();
        colours.dedup();
        let inked = px.iter().filter(|p| **p != [255, 255, 255]).count();
        (colours.len(), inked as f64 / px.len() as f64)
    }

    #[test]
    fn text_draws_pixels_with_the_embedded_font() {
        let p = paint(&Default::default(), (200, 60), &|root| {
            root.draw(&Text::new("Hello ≤ 42 ms", (10, 20), (FONT, 20).into_font().color(&BLACK)))?;
            Ok(())
        })
        .expect("drawn");
        let (w, h, rgb) = decode(&p.png);
        assert_eq!((w, h), (200, 60));
        let (colours, share) = ink(&rgb);
        assert!(colours > 2 && share > 0.02 && share < 0.5, "antialiased text: {colours} colours, {share} inked");
        assert!(p.svg.contains("Hello ≤ 42 ms"));
    }

    #[test]
    fn png_bytes_are_deterministic() {
        let draw = |root: &Area<'_>| -> super::super::DrawResult {
            root.draw(&Circle::new((50, 30), 20, RED.filled()))?;
            root.draw(&Text::new("x", (5, 5), (FONT, 12).into_font()))?;
            Ok(())
        };
        let look = Default::default();
        let (a, b) = (paint(&look, (100, 60), &draw).expect("drawn"), paint(&look, (100, 60), &draw).expect("drawn"));
        assert_eq!(a, b);
        assert_eq!(&a.png[..8], b"\x89PNG\r\n\x1a\n");
    }
}
