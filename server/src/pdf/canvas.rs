//! Pages as display lists (text runs, rules, fills) measured with the
//! embedded DejaVu Sans, written as PDF/A-3b by krilla: the font embedded
//! and subset, every glyph mapped back to Unicode, XMP metadata. A
//! Factur-X document additionally carries its CII XML as an associated file
//! (`factur-x.xml`) and declares it in the XMP (`facturx`).

use app::einvoice::facturx;
use krilla::color::luma;
use krilla::configure::{Archival, ConfigurationBuilder, PdfVersion};
use krilla::embed::{AssociationKind, EmbeddedFile, MimeType};
use krilla::geom::{PathBuilder, Point, Rect};
use krilla::metadata::{DateTime, Metadata};
use krilla::num::NormalizedF32;
use krilla::page::PageSettings;
use krilla::paint::{Fill, Stroke};
use krilla::text::{Font as KrillaFont, TextDirection};
use krilla::{Document, SerializeSettings};
use skrifa::instance::{LocationRef, Size};
use skrifa::MetadataProvider;
use std::sync::LazyLock;

/// A4, in PostScript points (origin bottom-left, as the layouts think).
pub(super) const PAGE_W: f32 = 595.0;
pub(super) const PAGE_H: f32 = 842.0;

static REGULAR_TTF: &[u8] = include_bytes!("../../assets/fonts/DejaVuSans.ttf");
static BOLD_TTF: &[u8] = include_bytes!("../../assets/fonts/DejaVuSans-Bold.ttf");

static REGULAR: LazyLock<Option<KrillaFont>> = LazyLock::new(|| KrillaFont::new(REGULAR_TTF.into(), 0));
static BOLD: LazyLock<Option<KrillaFont>> = LazyLock::new(|| KrillaFont::new(BOLD_TTF.into(), 0));

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Font {
    Regular,
    Bold,
}

impl Font {
    fn bytes(self) -> &'static [u8] {
        match self {
            Font::Regular => REGULAR_TTF,
            Font::Bold => BOLD_TTF,
        }
    }

    fn krilla(self) -> Option<KrillaFont> {
        match self {
            Font::Regular => REGULAR.clone(),
            Font::Bold => BOLD.clone(),
        }
    }
}

/// The font's metrics for one text: advance of each printable character
/// in em, `None` for a character the font has no glyph for.
struct Metrics<'a> {
    font: skrifa::FontRef<'a>,
    upem: f32,
}

static REGULAR_METRICS: LazyLock<Option<Metrics<'static>>> = LazyLock::new(|| Metrics::parse(Font::Regular));
static BOLD_METRICS: LazyLock<Option<Metrics<'static>>> = LazyLock::new(|| Metrics::parse(Font::Bold));

impl Metrics<'static> {
    /// The font's metrics, parsed once per process.
    fn of(font: Font) -> Option<&'static Metrics<'static>> {
        match font {
            Font::Regular => REGULAR_METRICS.as_ref(),
            Font::Bold => BOLD_METRICS.as_ref(),
        }
    }

    fn parse(font: Font) -> Option<Metrics<'static>> {
        let font = skrifa::FontRef::new(font.bytes()).ok()?;
        let upem = f32::from(font.metrics(Size::unscaled(), LocationRef::default()).units_per_em);
        if upem == 0.0 {
            return None;
        }
        Some(Metrics { font, upem })
    }
}

impl Metrics<'_> {
    fn advance(&self, c: char) -> Option<f32> {
        let glyph = self.font.charmap().map(c)?;
        let width = self.font.glyph_metrics(Size::unscaled(), LocationRef::default()).advance_width(glyph)?;
        Some(width / self.upem)
    }
}

/// Font, size and gray level (0 = black) of a run of text.
#[derive(Clone, Copy, Debug)]
pub(super) struct Style {
    pub font: Font,
    pub size: f32,
    pub gray: f32,
}

impl Style {
    /// Width of text as drawn (after `printable`), in points.
    pub(super) fn width(self, text: &str) -> f32 {
        let Some(metrics) = Metrics::of(self.font) else { return 0.0 };
        text.chars().map(|c| metrics.advance(c).unwrap_or(0.0)).sum::<f32>() * self.size
    }
}

/// The text as the font can print it: every kind of space or control
/// character becomes a space, a character without a glyph becomes '?'
/// (PDF/A forbids drawing the font's empty "notdef" glyph).
pub(super) fn printable(text: &str, font: Font) -> String {
    let metrics = Metrics::of(font);
    text.chars()
        .map(|c| {
            if c.is_whitespace() || c.is_control() {
                ' '
            } else if metrics.is_some_and(|m| m.advance(c).is_some()) {
                c
            } else {
                '?'
            }
        })
        .collect()
}

/// Shortens text to `max_width`, ending it with "..." when cut.
pub(super) fn truncate(text: &str, style: Style, max_width: f32) -> String {
    if style.width(text) <= max_width {
        return text.to_string();
    }
    let budget = max_width - style.width("...");
    let mut out = String::with_capacity(text.len());
    let mut width = 0.0;
    for c in text.chars() {
        let mut one = [0u8; 4];
        width += style.width(c.encode_utf8(&mut one));
        if width > budget {
            break;
        }
        out.push(c);
    }
    let mut out = out.trim_end().to_string();
    out.push_str("...");
    out
}

/// What a page shows, in layout coordinates (origin bottom-left).
#[derive(Clone, Debug)]
pub(super) enum Op {
    Text { x: f32, y: f32, style: Style, text: String },
    Rule { x1: f32, x2: f32, y: f32, width: f32, gray: f32 },
    Fill { x: f32, y: f32, w: f32, h: f32, gray: f32 },
}

/// One page's display list.
#[derive(Default)]
pub(super) struct Page {
    pub(super) ops: Vec<Op>,
}

impl Page {
    /// Left-aligned text, cut with "..." beyond `max_width`.
    pub(super) fn text(&mut self, x: f32, y: f32, style: Style, text: &str, max_width: f32) {
        let text = truncate(&printable(text, style.font), style, max_width);
        self.ops.push(Op::Text { x, y, style, text });
    }

    /// Text whose right edge is at `right`, cut with "..." beyond `max_width`.
    pub(super) fn text_right(&mut self, right: f32, y: f32, style: Style, text: &str, max_width: f32) {
        let text = truncate(&printable(text, style.font), style, max_width);
        let x = right - style.width(&text);
        self.ops.push(Op::Text { x, y, style, text });
    }

    pub(super) fn rule(&mut self, x1: f32, x2: f32, y: f32, width: f32, gray: f32) {
        self.ops.push(Op::Rule { x1, x2, y, width, gray });
    }

    pub(super) fn fill(&mut self, x: f32, y: f32, w: f32, h: f32, gray: f32) {
        self.ops.push(Op::Fill { x, y, w, h, gray });
    }

    /// Every text run, in drawing order (for tests and checks).
    #[cfg(test)]
    pub(super) fn texts(&self) -> Vec<&str> {
        self.ops
            .iter()
            .filter_map(|op| match op {
                Op::Text { text, .. } => Some(text.as_str()),
                _ => None,
            })
            .collect()
    }
}

/// Why a document could not be written (a bug, never the user's input:
/// text is made printable before it is drawn).
#[derive(Debug, thiserror::Error)]
#[error("PDF: {0}")]
pub struct PdfError(pub(super) String);

fn gray(level: f32) -> luma::Color {
    luma::Color::new((level.clamp(0.0, 1.0) * 255.0).round() as u8)
}

fn now() -> DateTime {
    use chrono::{Datelike, Timelike};
    let t = chrono::Utc::now();
    DateTime::new(t.year() as u16)
        .month(t.month() as u8)
        .day(t.day() as u8)
        .hour(t.hour() as u8)
        .minute(t.minute() as u8)
        .second(t.second() as u8)
        .utc_offset_hour(0)
        .utc_offset_minute(0)
}

/// Writes the pages as a PDF/A-3b document; with `cii`, as a Factur-X
/// invoice carrying that XML.
pub(super) fn write_pdf(pages: &[Page], title: &str, cii: Option<&str>) -> Result<Vec<u8>, PdfError> {
    let configuration = ConfigurationBuilder::new()
        .with_version(PdfVersion::Pdf17)
        .with_archival_validator(Archival::A3_B)
        .finish()
        .map_err(|e| PdfError(format!("configuration: {e:?}")))?;
    let settings = SerializeSettings { configuration, enable_tagging: false, ..SerializeSettings::default() };
    let mut document = Document::new_with(settings);
    let created = now();
    document.set_metadata(
        Metadata::new()
            .title(title.to_string())
            .producer("Relance".to_string())
            .creator("Relance".to_string())
            .creation_date(created),
    );
    let regular = Font::Regular.krilla().ok_or_else(|| PdfError("regular font".into()))?;
    let bold = Font::Bold.krilla().ok_or_else(|| PdfError("bold font".into()))?;
    let size = PageSettings::from_wh(PAGE_W, PAGE_H).ok_or_else(|| PdfError("page size".into()))?;
    for page in pages {
        let mut out = document.start_page_with(size.clone());
        let mut surface = out.surface();
        for op in &page.ops {
            match op {
                Op::Text { x, y, style, text } => {
                    let font = match style.font {
                        Font::Regular => regular.clone(),
                        Font::Bold => bold.clone(),
                    };
                    surface.set_stroke(None);
                    surface.set_fill(Some(Fill { paint: gray(style.gray).into(), ..Fill::default() }));
                    surface.draw_text(
                        Point::from_xy(*x, PAGE_H - y),
                        font,
                        style.size,
                        text,
                        false,
                        TextDirection::Auto,
                    );
                }
                Op::Rule { x1, x2, y, width, gray: level } => {
                    let mut path = PathBuilder::new();
                    path.move_to(*x1, PAGE_H - y);
                    path.line_to(*x2, PAGE_H - y);
                    if let Some(path) = path.finish() {
                        surface.set_fill(None);
                        surface.set_stroke(Some(Stroke {
                            paint: gray(*level).into(),
                            width: *width,
                            opacity: NormalizedF32::ONE,
                            ..Stroke::default()
                        }));
                        surface.draw_path(&path);
                    }
                }
                Op::Fill { x, y, w, h, gray: level } => {
                    let mut path = PathBuilder::new();
                    if let Some(rect) = Rect::from_xywh(*x, PAGE_H - y - h, *w, *h) {
                        path.push_rect(rect);
                    }
                    if let Some(path) = path.finish() {
                        surface.set_stroke(None);
                        surface.set_fill(Some(Fill { paint: gray(*level).into(), ..Fill::default() }));
                        surface.draw_path(&path);
                    }
                }
            }
        }
        surface.finish();
        out.finish();
    }
    if let Some(xml) = cii {
        let file = EmbeddedFile {
            path: facturx::FILE_NAME.to_string(),
            mime_type: MimeType::new("text/xml"),
            description: Some("Factur-X (EN 16931) CII invoice".to_string()),
            association_kind: AssociationKind::Alternative,
            data: xml.as_bytes().to_vec().into(),
            modification_date: Some(created),
            compress: None,
            location: None,
        };
        document.embed_file(file).ok_or_else(|| PdfError("two files with the same name".into()))?;
    }
    let bytes = document.finish().map_err(|e| PdfError(format!("{e:?}")))?;
    match cii {
        Some(_) => facturx::declare(&bytes).map_err(|e| PdfError(format!("Factur-X: {e}"))),
        None => Ok(bytes),
    }
}
