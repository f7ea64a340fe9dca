//! A minimal PDF 1.4 writer: the two standard Helvetica fonts and their
//! metrics, Windows-1252 text, pages of text runs, rules and fills,
//! uncompressed streams and a cross-reference table.

use std::fmt::Write as _;

/// A4, in PostScript points (origin bottom-left).
pub(super) const PAGE_W: f32 = 595.0;
pub(super) const PAGE_H: f32 = 842.0;

// ---------------------------------------------------------------------------
// Fonts and metrics.

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Font {
    Regular,
    Bold,
}

impl Font {
    pub(super) const ALL: [Font; 2] = [Font::Regular, Font::Bold];

    pub(super) fn resource(self) -> &'static str {
        match self {
            Font::Regular => "F1",
            Font::Bold => "F2",
        }
    }

    pub(super) fn base_font(self) -> &'static str {
        match self {
            Font::Regular => "Helvetica",
            Font::Bold => "Helvetica-Bold",
        }
    }

    /// Advance width of one WinAnsi byte, in 1/1000 em (Adobe AFM metrics).
    pub(super) fn glyph_width(self, byte: u8) -> u16 {
        if let 32..=126 = byte {
            let table = match self {
                Font::Regular => &HELVETICA_ASCII,
                Font::Bold => &HELVETICA_BOLD_ASCII,
            };
            return table[usize::from(byte - 32)];
        }
        // Upper half of Windows-1252, as (regular, bold) widths.
        let (regular, bold) = match byte {
            0x85 | 0x8C | 0x97 | 0xC6 => (1000, 1000),
            0x9C => (944, 944),
            0x91 | 0x92 => (222, 278),
            0x93 | 0x94 => (333, 500),
            0xA0 | 0xB7 => (278, 278),
            0xA9 => (737, 737),
            0xB0 => (400, 400),
            0xC0..=0xC5 => (667, 722),
            0xC7 | 0xD0 | 0xD1 | 0xD9..=0xDC => (722, 722),
            0xC8..=0xCB | 0xDD | 0xDE => (667, 667),
            0xCC..=0xCF | 0xEC..=0xEF => (278, 278),
            0xD2..=0xD6 | 0xD8 => (778, 778),
            0xDF | 0xF8 => (611, 611),
            0xE6 => (889, 889),
            0xE7 => (500, 556),
            0xF1..=0xF6 | 0xF9..=0xFC => (556, 611),
            0xFD | 0xFF => (500, 556),
            _ => (556, 556),
        };
        match self {
            Font::Regular => regular,
            Font::Bold => bold,
        }
    }
}

/// Helvetica widths for ASCII 32..=126 (WinAnsi: 39 is quotesingle, 96 grave).
#[rustfmt::skip]
const HELVETICA_ASCII: [u16; 95] = [
    278, 278, 355, 556, 556, 889, 667, 191, 333, 333, 389, 584, 278, 333, 278, 278, // space ../
    556, 556, 556, 556, 556, 556, 556, 556, 556, 556, 278, 278, 584, 584, 584, 556, // 0 .. ?
    1015, 667, 667, 722, 722, 667, 611, 778, 722, 278, 500, 667, 556, 833, 722, 778, // @ .. O
    667, 778, 722, 667, 611, 722, 667, 944, 667, 667, 611, 278, 278, 278, 469, 556, // P .. _
    333, 556, 556, 500, 556, 556, 278, 556, 556, 222, 222, 500, 222, 833, 556, 556, // ` .. o
    556, 556, 333, 500, 278, 556, 500, 722, 500, 500, 500, 334, 260, 334, 584,      // p .. ~
];

/// Helvetica-Bold widths for ASCII 32..=126.
#[rustfmt::skip]
const HELVETICA_BOLD_ASCII: [u16; 95] = [
    278, 333, 474, 556, 556, 889, 722, 238, 333, 333, 389, 584, 278, 333, 278, 278, // space ../
    556, 556, 556, 556, 556, 556, 556, 556, 556, 556, 333, 333, 584, 584, 584, 611, // 0 .. ?
    975, 722, 722, 722, 722, 667, 611, 778, 722, 278, 556, 722, 611, 833, 722, 778, // @ .. O
    667, 778, 722, 667, 611, 722, 667, 944, 667, 667, 611, 333, 278, 333, 584, 556, // P .. _
    333, 556, 611, 556, 611, 556, 333, 611, 611, 278, 278, 556, 278, 889, 611, 611, // ` .. o
    611, 611, 389, 556, 333, 611, 556, 778, 556, 556, 500, 389, 280, 389, 584,      // p .. ~
];

/// Font, size and gray level (0 = black) of a run of text.
#[derive(Clone, Copy, Debug)]
pub(super) struct Style {
    pub font: Font,
    pub size: f32,
    pub gray: f32,
}

impl Style {
    pub(super) fn char_width(self, byte: u8) -> f32 {
        f32::from(self.font.glyph_width(byte)) * self.size / 1000.0
    }

    pub(super) fn width(self, text: &[u8]) -> f32 {
        text.iter().map(|&b| self.char_width(b)).sum()
    }
}

// ---------------------------------------------------------------------------
// Text encoding.

/// Encodes text for a WinAnsiEncoding font: one byte per character, spaces of
/// every kind become 0x20, anything without a Windows-1252 glyph becomes '?'.
pub(super) fn win_ansi(text: &str) -> Vec<u8> {
    text.chars().map(win_ansi_byte).collect()
}

pub(super) fn win_ansi_byte(c: char) -> u8 {
    match c {
        ' '..='~' => c as u8,
        c if c.is_whitespace() => b' ',
        // Latin-1 and Windows-1252 agree from 0xA1 to 0xFF.
        '\u{a1}'..='\u{ff}' => c as u8,
        '€' => 0x80,
        '‚' => 0x82,
        'ƒ' => 0x83,
        '„' => 0x84,
        '…' => 0x85,
        '†' => 0x86,
        '‡' => 0x87,
        'ˆ' => 0x88,
        '‰' => 0x89,
        'Š' => 0x8A,
        '‹' => 0x8B,
        'Œ' => 0x8C,
        'Ž' => 0x8E,
        '‘' => 0x91,
        '’' => 0x92,
        '“' => 0x93,
        '”' => 0x94,
        '•' => 0x95,
        '–' => 0x96,
        '—' => 0x97,
        '˜' => 0x98,
        '™' => 0x99,
        'š' => 0x9A,
        '›' => 0x9B,
        'œ' => 0x9C,
        'ž' => 0x9E,
        'Ÿ' => 0x9F,
        _ => b'?',
    }
}

/// Shortens encoded text to `max_width`, ending it with "..." when cut.
pub(super) fn truncate(text: &[u8], style: Style, max_width: f32) -> Vec<u8> {
    if style.width(text) <= max_width {
        return text.to_vec();
    }
    let budget = max_width - style.width(b"...");
    let mut out = Vec::with_capacity(text.len());
    let mut width = 0.0;
    for &b in text {
        width += style.char_width(b);
        if width > budget {
            break;
        }
        out.push(b);
    }
    while out.last() == Some(&b' ') {
        out.pop();
    }
    out.extend_from_slice(b"...");
    out
}

/// Appends a PDF literal string, escaping the delimiters and the backslash.
pub(super) fn push_literal(out: &mut Vec<u8>, bytes: &[u8]) {
    out.push(b'(');
    for &b in bytes {
        if matches!(b, b'(' | b')' | b'\\') {
            out.push(b'\\');
        }
        out.push(b);
    }
    out.push(b')');
}

/// A PDF text string (document metadata): UTF-16BE with BOM, hex-encoded.
pub(super) fn text_string(text: &str) -> String {
    let mut hex = String::from("<FEFF");
    for unit in text.encode_utf16() {
        let _ = write!(hex, "{unit:04X}");
    }
    hex.push('>');
    hex
}

/// A coordinate or size with at most two decimals and no trailing zeros.
pub(super) fn num(v: f32) -> String {
    let s = format!("{v:.2}");
    let s = s.trim_end_matches('0').trim_end_matches('.');
    if s == "-0" {
        "0".to_string()
    } else {
        s.to_string()
    }
}

// ---------------------------------------------------------------------------
// Low-level writer.

/// Numbered objects, serialised with a cross-reference table by `finish`.
#[derive(Default)]
pub(super) struct PdfWriter {
    /// Object `n` is `objects[n - 1]`; empty while only reserved.
    objects: Vec<Vec<u8>>,
}

impl PdfWriter {
    /// Allocates an object number, to be filled later with `set`.
    pub(super) fn reserve(&mut self) -> usize {
        self.objects.push(Vec::new());
        self.objects.len()
    }

    pub(super) fn set(&mut self, id: usize, body: impl Into<Vec<u8>>) {
        self.objects[id - 1] = body.into();
    }

    pub(super) fn add(&mut self, body: impl Into<Vec<u8>>) -> usize {
        let id = self.reserve();
        self.set(id, body);
        id
    }

    /// An uncompressed stream object; `/Length` is the exact data length.
    pub(super) fn add_stream(&mut self, data: &[u8]) -> usize {
        let mut body = format!("<< /Length {} >>\nstream\n", data.len()).into_bytes();
        body.extend_from_slice(data);
        body.extend_from_slice(b"\nendstream");
        self.add(body)
    }

    pub(super) fn finish(self, root: usize, info: usize) -> Vec<u8> {
        // The comment's high bytes tell transfer tools the file is binary.
        let mut out = b"%PDF-1.4\n%\xE2\xE3\xCF\xD3\n".to_vec();
        let mut offsets = Vec::with_capacity(self.objects.len());
        for (index, body) in self.objects.iter().enumerate() {
            debug_assert!(!body.is_empty(), "object {} reserved but never set", index + 1);
            offsets.push(out.len());
            out.extend_from_slice(format!("{} 0 obj\n", index + 1).as_bytes());
            out.extend_from_slice(body);
            out.extend_from_slice(b"\nendobj\n");
        }
        let xref = out.len();
        let size = self.objects.len() + 1;
        // Each entry is exactly 20 bytes: 10 + 1 + 5 + 1 + 1 + "space LF".
        out.extend_from_slice(format!("xref\n0 {size}\n0000000000 65535 f \n").as_bytes());
        for offset in offsets {
            out.extend_from_slice(format!("{offset:010} 00000 n \n").as_bytes());
        }
        out.extend_from_slice(
            format!("trailer\n<< /Size {size} /Root {root} 0 R /Info {info} 0 R >>\nstartxref\n{xref}\n%%EOF\n")
                .as_bytes(),
        );
        out
    }
}

/// One page's content stream, built from text runs, rules and fills.
#[derive(Default)]
pub(super) struct Page {
    content: Vec<u8>,
}

impl Page {
    /// Left-aligned text, cut with "..." beyond `max_width`.
    pub(super) fn text(&mut self, x: f32, y: f32, style: Style, text: &str, max_width: f32) {
        let bytes = truncate(&win_ansi(text), style, max_width);
        self.show(x, y, style, &bytes);
    }

    /// Text whose right edge is at `right`, cut with "..." beyond `max_width`.
    pub(super) fn text_right(&mut self, right: f32, y: f32, style: Style, text: &str, max_width: f32) {
        let bytes = truncate(&win_ansi(text), style, max_width);
        self.show(right - style.width(&bytes), y, style, &bytes);
    }

    pub(super) fn show(&mut self, x: f32, y: f32, style: Style, bytes: &[u8]) {
        let setup = format!(
            "BT /{} {} Tf {} g {} {} Td ",
            style.font.resource(),
            num(style.size),
            num(style.gray),
            num(x),
            num(y)
        );
        self.content.extend_from_slice(setup.as_bytes());
        push_literal(&mut self.content, bytes);
        self.content.extend_from_slice(b" Tj ET\n");
    }

    pub(super) fn rule(&mut self, x1: f32, x2: f32, y: f32, width: f32, gray: f32) {
        let op = format!("{} G {} w {} {} m {} {} l S\n", num(gray), num(width), num(x1), num(y), num(x2), num(y));
        self.content.extend_from_slice(op.as_bytes());
    }

    pub(super) fn fill(&mut self, x: f32, y: f32, w: f32, h: f32, gray: f32) {
        let op = format!("{} g {} {} {} {} re f\n", num(gray), num(x), num(y), num(w), num(h));
        self.content.extend_from_slice(op.as_bytes());
    }
}

/// Assembles pages into a document: catalog, page tree, fonts, info.
pub(super) fn write_pdf(pages: &[Page], title: &str) -> Vec<u8> {
    let mut pdf = PdfWriter::default();
    let catalog = pdf.reserve();
    let tree = pdf.reserve();
    let fonts: Vec<String> = Font::ALL
        .iter()
        .map(|font| {
            let id = pdf.add(format!(
                "<< /Type /Font /Subtype /Type1 /BaseFont /{} /Encoding /WinAnsiEncoding >>",
                font.base_font()
            ));
            format!("/{} {id} 0 R", font.resource())
        })
        .collect();
    let resources = format!("<< /Font << {} >> >>", fonts.join(" "));
    let kids: Vec<String> = pages
        .iter()
        .map(|page| {
            let content = pdf.add_stream(&page.content);
            let id = pdf.add(format!(
                "<< /Type /Page /Parent {tree} 0 R /MediaBox [0 0 {} {}] /Resources {resources} /Contents {content} 0 R >>",
                num(PAGE_W),
                num(PAGE_H)
            ));
            format!("{id} 0 R")
        })
        .collect();
    pdf.set(tree, format!("<< /Type /Pages /Kids [{}] /Count {} >>", kids.join(" "), kids.len()));
    pdf.set(catalog, format!("<< /Type /Catalog /Pages {tree} 0 R >>"));
    let info = pdf.add(format!("<< /Title {} /Producer (Relance) >>", text_string(title)));
    pdf.finish(catalog, info)
}
