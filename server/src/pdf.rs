//! Invoice and receipt PDFs without dependencies: a minimal PDF 1.4 writer
//! (standard Helvetica fonts, Windows-1252 text, uncompressed streams), the
//! invoice layout on A4, whose line table flows onto as many pages as it
//! needs, and the payment receipt.

use app::components::kind_msg;
use app::disputes::ssr::CreditNoteDoc;
use app::domain::Locale;
use app::i18n::Msg;
use app::invoices::{InvoiceDetail, InvoiceLine, LedgerLine};
use app::payments::PaymentDetail;
use rust_decimal::Decimal;
use std::fmt::Write as _;

/// The issuing company, as printed in the letterhead and footer.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct MerchantInfo {
    pub company_name: String,
    pub legal_id: String,
    pub address: String,
    pub email: String,
    pub phone: String,
}

/// Renders one invoice as a complete PDF document.
pub fn invoice_pdf(merchant: &MerchantInfo, detail: &InvoiceDetail, locale: Locale) -> Vec<u8> {
    render(merchant, Msg::InvoiceTitle.text(locale), detail, locale)
}

/// Renders the receipt of a succeeded payment: what was paid, when, how,
/// and which invoices it settled (refunds listed when there are any).
pub fn receipt_pdf(merchant: &MerchantInfo, detail: &PaymentDetail, locale: Locale) -> Vec<u8> {
    let s = &detail.summary;
    let heading = format!("{} {}", Msg::ReceiptTitle.text(locale), s.reference);
    let mut doc = Layout::new(heading.clone());
    let paid_on = s.succeeded_at.unwrap_or(s.created_at).date_naive();
    draw_letterhead(&mut doc, merchant, &heading, &[(Msg::PaidOn, paid_on)], &s.account_name, locale);
    let mut y = doc.y;
    let page = doc.page();

    // The facts, then the invoices settled.
    let mut facts = vec![(Msg::AmountPaid, s.amount.format(locale))];
    if !s.method_label.is_empty() {
        facts.push((Msg::PaymentMethod, s.method_label.clone()));
    }
    facts.push((Msg::Reference, s.reference.clone()));
    if s.refunded.is_positive() {
        facts.push((Msg::Refunded, s.refunded.format(locale)));
    }
    for (label, value) in facts {
        page.text(MARGIN, y, MUTED, label.text(locale), 150.0);
        page.text(MARGIN + 150.0, y, BODY_BOLD, &value, RIGHT - MARGIN - 150.0);
        y -= ROW_H;
    }
    doc.y = y - 14.0;

    const AMOUNT_W: f32 = 120.0;
    let y = doc.y;
    doc.page().text(MARGIN, y, HEADING, Msg::Settles.text(locale), RIGHT - MARGIN);
    doc.y -= 18.0;
    let y = doc.y;
    let page = doc.page();
    page.fill(MARGIN, y - 5.0, RIGHT - MARGIN, 16.0, 0.92);
    page.text(MARGIN, y, BODY_BOLD, Msg::Number.text(locale), RIGHT - MARGIN - AMOUNT_W);
    page.text_right(RIGHT, y, BODY_BOLD, Msg::Amount.text(locale), AMOUNT_W);
    doc.y -= ROW_H + 3.0;
    let credit = detail.credit.is_positive().then(|| (Msg::KeptAsCredit.text(locale).to_string(), detail.credit));
    let rows = detail.allocations.iter().map(|a| (a.number.clone(), a.amount)).chain(credit);
    for (label, amount) in rows {
        doc.ensure(ROW_H);
        let y = doc.y;
        let page = doc.page();
        page.text(MARGIN, y, BODY, &label, RIGHT - MARGIN - AMOUNT_W);
        page.text_right(RIGHT, y, BODY, &amount.format(locale), AMOUNT_W);
        page.rule(MARGIN, RIGHT, y - 5.0, 0.5, 0.85);
        doc.y -= ROW_H;
    }
    doc.ensure(ROW_H);
    let y = doc.y;
    let page = doc.page();
    page.rule(MARGIN, RIGHT, y + 11.0, 0.8, 0.0);
    page.text(MARGIN, y, BODY_BOLD, Msg::Total.text(locale), RIGHT - MARGIN - AMOUNT_W);
    page.text_right(RIGHT, y, BODY_BOLD, &s.amount.format(locale), AMOUNT_W);
    doc.y -= ROW_H + 14.0;

    if !detail.refunds.is_empty() {
        doc.ensure(18.0 + ROW_H);
        let y = doc.y;
        doc.page().text(MARGIN, y, HEADING, Msg::Refunds.text(locale), RIGHT - MARGIN);
        doc.y -= 18.0;
        for r in &detail.refunds {
            doc.ensure(ROW_H);
            let y = doc.y;
            let page = doc.page();
            let when = locale.format_date(r.created_at.date_naive());
            page.text(MARGIN, y, BODY, &format!("{when}  {}", r.reason), RIGHT - MARGIN - AMOUNT_W);
            page.text_right(RIGHT, y, BODY, &r.amount.format(locale), AMOUNT_W);
            doc.y -= ROW_H;
        }
    }
    draw_footers(&mut doc.pages, merchant);
    write_pdf(&doc.pages, &heading)
}

/// Renders a credit note: its number and date, the invoice it credits,
/// why, and the amount deducted from the client's balance.
pub fn credit_note_pdf(merchant: &MerchantInfo, c: &CreditNoteDoc, locale: Locale) -> Vec<u8> {
    let heading = format!("{} {}", Msg::CreditNote.text(locale), c.number);
    let mut doc = Layout::new(heading.clone());
    draw_letterhead(&mut doc, merchant, &heading, &[(Msg::IssueDate, c.issued_on)], &c.account_name, locale);
    let mut y = doc.y;
    let page = doc.page();
    if !c.account_address.is_empty() {
        for line in c.account_address.lines().take(4) {
            page.text(CLIENT_X, y + 4.0, MUTED, line, RIGHT - CLIENT_X);
            y -= 11.0;
        }
        y -= 6.0;
    }
    let facts = [
        (Msg::Invoice, format!("{} ({})", c.invoice_number, c.invoice_total.format(locale))),
        (Msg::DisputeReason, c.reason.msg().text(locale).to_string()),
    ];
    for (label, value) in facts {
        page.text(MARGIN, y, MUTED, label.text(locale), 150.0);
        page.text(MARGIN + 150.0, y, BODY_BOLD, &value, RIGHT - MARGIN - 150.0);
        y -= ROW_H;
    }
    if !c.note.is_empty() {
        page.text(MARGIN, y, MUTED, Msg::DecisionNote.text(locale), 150.0);
        for chunk in wrap(&c.note, 85).into_iter().take(8) {
            page.text(MARGIN + 150.0, y, BODY, &chunk, RIGHT - MARGIN - 150.0);
            y -= ROW_H;
        }
    }
    y -= 14.0;
    const AMOUNT_W: f32 = 120.0;
    page.rule(MARGIN, RIGHT, y + 11.0, 0.8, 0.0);
    page.text(MARGIN, y, BODY_BOLD, Msg::CreditNoteTotal.text(locale), RIGHT - MARGIN - AMOUNT_W);
    page.text_right(RIGHT, y, BODY_BOLD, &c.amount.format(locale), AMOUNT_W);
    y -= ROW_H + 10.0;
    page.text(MARGIN, y, MUTED, Msg::CreditNoteExplained.text(locale), RIGHT - MARGIN);
    doc.y = y - ROW_H;
    draw_footers(&mut doc.pages, merchant);
    write_pdf(&doc.pages, &heading)
}

/// Splits text into lines of at most `width` characters, at spaces.
fn wrap(text: &str, width: usize) -> Vec<String> {
    let mut lines = Vec::new();
    for para in text.lines() {
        let mut line = String::new();
        for word in para.split_whitespace() {
            if !line.is_empty() && line.chars().count() + 1 + word.chars().count() > width {
                lines.push(std::mem::take(&mut line));
            }
            if !line.is_empty() {
                line.push(' ');
            }
            line.push_str(word);
        }
        lines.push(line);
    }
    lines
}

// ---------------------------------------------------------------------------
// Page geometry (PostScript points, origin bottom-left).

const PAGE_W: f32 = 595.0;
const PAGE_H: f32 = 842.0;
const MARGIN: f32 = 50.0;
const RIGHT: f32 = PAGE_W - MARGIN;
const TOP: f32 = PAGE_H - MARGIN;
/// Lowest baseline for content; the footer lives below it.
const BOTTOM: f32 = 80.0;
const ROW_H: f32 = 15.0;
/// Width of the merchant block, so it never runs into the title block.
const BLOCK_W: f32 = 250.0;
const CLIENT_X: f32 = 320.0;
const TOTALS_X: f32 = 335.0;

/// Line table columns: label, left edge, right edge. The description is
/// left-aligned, every other column right-aligned.
const COLUMNS: [(Msg, f32, f32); 5] = [
    (Msg::Description, MARGIN, 270.0),
    (Msg::Quantity, 275.0, 330.0),
    (Msg::UnitPrice, 335.0, 415.0),
    (Msg::TaxRate, 420.0, 465.0),
    (Msg::NetAmount, 470.0, RIGHT),
];

// ---------------------------------------------------------------------------
// Fonts and metrics.

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Font {
    Regular,
    Bold,
}

impl Font {
    const ALL: [Font; 2] = [Font::Regular, Font::Bold];

    fn resource(self) -> &'static str {
        match self {
            Font::Regular => "F1",
            Font::Bold => "F2",
        }
    }

    fn base_font(self) -> &'static str {
        match self {
            Font::Regular => "Helvetica",
            Font::Bold => "Helvetica-Bold",
        }
    }

    /// Advance width of one WinAnsi byte, in 1/1000 em (Adobe AFM metrics).
    fn glyph_width(self, byte: u8) -> u16 {
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
struct Style {
    font: Font,
    size: f32,
    gray: f32,
}

const BODY: Style = Style { font: Font::Regular, size: 9.0, gray: 0.0 };
const BODY_BOLD: Style = Style { font: Font::Bold, size: 9.0, gray: 0.0 };
const MUTED: Style = Style { font: Font::Regular, size: 8.0, gray: 0.4 };
const HEADING: Style = Style { font: Font::Bold, size: 10.0, gray: 0.0 };
const CLIENT_NAME: Style = Style { font: Font::Bold, size: 11.0, gray: 0.0 };
const COMPANY: Style = Style { font: Font::Bold, size: 13.0, gray: 0.0 };
const TITLE: Style = Style { font: Font::Bold, size: 18.0, gray: 0.0 };

impl Style {
    fn char_width(self, byte: u8) -> f32 {
        f32::from(self.font.glyph_width(byte)) * self.size / 1000.0
    }

    fn width(self, text: &[u8]) -> f32 {
        text.iter().map(|&b| self.char_width(b)).sum()
    }
}

// ---------------------------------------------------------------------------
// Text encoding.

/// Encodes text for a WinAnsiEncoding font: one byte per character, spaces of
/// every kind become 0x20, anything without a Windows-1252 glyph becomes '?'.
fn win_ansi(text: &str) -> Vec<u8> {
    text.chars().map(win_ansi_byte).collect()
}

fn win_ansi_byte(c: char) -> u8 {
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
fn truncate(text: &[u8], style: Style, max_width: f32) -> Vec<u8> {
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
fn push_literal(out: &mut Vec<u8>, bytes: &[u8]) {
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
fn text_string(text: &str) -> String {
    let mut hex = String::from("<FEFF");
    for unit in text.encode_utf16() {
        let _ = write!(hex, "{unit:04X}");
    }
    hex.push('>');
    hex
}

/// A coordinate or size with at most two decimals and no trailing zeros.
fn num(v: f32) -> String {
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
struct PdfWriter {
    /// Object `n` is `objects[n - 1]`; empty while only reserved.
    objects: Vec<Vec<u8>>,
}

impl PdfWriter {
    /// Allocates an object number, to be filled later with `set`.
    fn reserve(&mut self) -> usize {
        self.objects.push(Vec::new());
        self.objects.len()
    }

    fn set(&mut self, id: usize, body: impl Into<Vec<u8>>) {
        self.objects[id - 1] = body.into();
    }

    fn add(&mut self, body: impl Into<Vec<u8>>) -> usize {
        let id = self.reserve();
        self.set(id, body);
        id
    }

    /// An uncompressed stream object; `/Length` is the exact data length.
    fn add_stream(&mut self, data: &[u8]) -> usize {
        let mut body = format!("<< /Length {} >>\nstream\n", data.len()).into_bytes();
        body.extend_from_slice(data);
        body.extend_from_slice(b"\nendstream");
        self.add(body)
    }

    fn finish(self, root: usize, info: usize) -> Vec<u8> {
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
struct Page {
    content: Vec<u8>,
}

impl Page {
    /// Left-aligned text, cut with "..." beyond `max_width`.
    fn text(&mut self, x: f32, y: f32, style: Style, text: &str, max_width: f32) {
        let bytes = truncate(&win_ansi(text), style, max_width);
        self.show(x, y, style, &bytes);
    }

    /// Text whose right edge is at `right`, cut with "..." beyond `max_width`.
    fn text_right(&mut self, right: f32, y: f32, style: Style, text: &str, max_width: f32) {
        let bytes = truncate(&win_ansi(text), style, max_width);
        self.show(right - style.width(&bytes), y, style, &bytes);
    }

    fn show(&mut self, x: f32, y: f32, style: Style, bytes: &[u8]) {
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

    fn rule(&mut self, x1: f32, x2: f32, y: f32, width: f32, gray: f32) {
        let op = format!("{} G {} w {} {} m {} {} l S\n", num(gray), num(width), num(x1), num(y), num(x2), num(y));
        self.content.extend_from_slice(op.as_bytes());
    }

    fn fill(&mut self, x: f32, y: f32, w: f32, h: f32, gray: f32) {
        let op = format!("{} g {} {} {} {} re f\n", num(gray), num(x), num(y), num(w), num(h));
        self.content.extend_from_slice(op.as_bytes());
    }
}

/// Assembles pages into a document: catalog, page tree, fonts, info.
fn write_pdf(pages: &[Page], title: &str) -> Vec<u8> {
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

// ---------------------------------------------------------------------------
// Invoice layout.

/// Pages being filled top to bottom; `y` is the next free baseline.
struct Layout {
    pages: Vec<Page>,
    y: f32,
    /// Reminder printed at the top of continuation pages.
    running_head: String,
}

impl Layout {
    fn new(running_head: String) -> Self {
        Layout { pages: vec![Page::default()], y: TOP, running_head }
    }

    fn page(&mut self) -> &mut Page {
        self.pages.last_mut().expect("a layout always has a page")
    }

    fn new_page(&mut self) {
        let mut page = Page::default();
        page.text(MARGIN, TOP, MUTED, &self.running_head, RIGHT - MARGIN);
        self.pages.push(page);
        self.y = TOP - 24.0;
    }

    /// Starts a new page unless `height` fits above the bottom margin;
    /// returns whether it did.
    fn ensure(&mut self, height: f32) -> bool {
        let overflow = self.y - height < BOTTOM;
        if overflow {
            self.new_page();
        }
        overflow
    }
}

fn render(merchant: &MerchantInfo, title: &str, detail: &InvoiceDetail, locale: Locale) -> Vec<u8> {
    let heading = format!("{title} {}", detail.summary.number);
    let mut doc = Layout::new(heading.clone());
    let dates = [(Msg::IssueDate, detail.summary.issue_date), (Msg::DueDate, detail.summary.due_date)];
    draw_letterhead(&mut doc, merchant, &heading, &dates, &detail.summary.account_name, locale);
    draw_lines(&mut doc, &detail.lines, locale);
    draw_totals(&mut doc, detail, locale);
    draw_applied(&mut doc, &detail.applied, locale);
    draw_footers(&mut doc.pages, merchant);
    write_pdf(&doc.pages, &heading)
}

/// Merchant top left, title and dates top right, client block below them.
fn draw_letterhead(
    doc: &mut Layout,
    merchant: &MerchantInfo,
    heading: &str,
    dates: &[(Msg, chrono::NaiveDate)],
    account_name: &str,
    locale: Locale,
) {
    let page = doc.page();

    let mut left_y = TOP;
    page.text(MARGIN, left_y, COMPANY, &merchant.company_name, BLOCK_W);
    left_y -= 16.0;
    let contact = [merchant.email.as_str(), merchant.phone.as_str()];
    for line in merchant.address.lines().chain(contact).map(str::trim).filter(|l| !l.is_empty()) {
        page.text(MARGIN, left_y, BODY, line, BLOCK_W);
        left_y -= 12.0;
    }

    let mut right_y = TOP;
    page.text_right(RIGHT, right_y, TITLE, heading, RIGHT - MARGIN - BLOCK_W - 10.0);
    right_y -= 22.0;
    for (label, date) in dates {
        let text = labelled(locale, label.text(locale), &locale.format_date(*date));
        page.text_right(RIGHT, right_y, BODY, &text, RIGHT - CLIENT_X);
        right_y -= 12.0;
    }

    let mut y = left_y.min(right_y) - 18.0;
    page.text(CLIENT_X, y, MUTED, Msg::Account.text(locale), RIGHT - CLIENT_X);
    y -= 14.0;
    page.text(CLIENT_X, y, CLIENT_NAME, account_name, RIGHT - CLIENT_X);
    doc.y = y - 36.0;
}

fn draw_table_header(doc: &mut Layout, locale: Locale) {
    let y = doc.y;
    let page = doc.page();
    page.fill(MARGIN, y - 5.0, RIGHT - MARGIN, 16.0, 0.92);
    draw_row(page, y, BODY_BOLD, COLUMNS.map(|(msg, _, _)| msg.text(locale)));
    doc.y -= ROW_H + 3.0;
}

/// One table row: the first cell left-aligned, the others right-aligned.
fn draw_row(page: &mut Page, y: f32, style: Style, cells: [&str; 5]) {
    for (index, (&(_, left, right), cell)) in COLUMNS.iter().zip(cells).enumerate() {
        if index == 0 {
            page.text(left, y, style, cell, right - left);
        } else {
            page.text_right(right, y, style, cell, right - left);
        }
    }
}

fn draw_lines(doc: &mut Layout, lines: &[InvoiceLine], locale: Locale) {
    doc.ensure(2.0 * ROW_H + 3.0);
    draw_table_header(doc, locale);
    for line in lines {
        if doc.ensure(ROW_H) {
            draw_table_header(doc, locale);
        }
        let (quantity, unit_price) = (format_decimal(line.quantity, locale), line.unit_price.format(locale));
        let (rate, net) = (format_percent(line.tax_rate_percent, locale), line.net.format(locale));
        let y = doc.y;
        let page = doc.page();
        draw_row(page, y, BODY, [&line.description, &quantity, &unit_price, &rate, &net]);
        page.rule(MARGIN, RIGHT, y - 5.0, 0.5, 0.85);
        doc.y -= ROW_H;
    }
}

fn draw_totals(doc: &mut Layout, detail: &InvoiceDetail, locale: Locale) {
    let summary = &detail.summary;
    let rows = [
        (Msg::Subtotal, detail.subtotal, BODY),
        (Msg::TaxTotal, detail.tax, BODY),
        (Msg::Total, summary.total, BODY_BOLD),
        (Msg::AmountDue, summary.balance, BODY_BOLD),
    ];
    doc.y -= 8.0;
    doc.ensure(rows.len() as f32 * ROW_H);
    for (msg, amount, style) in rows {
        let y = doc.y;
        let page = doc.page();
        if msg == Msg::Total {
            page.rule(TOTALS_X, RIGHT, y + 11.0, 0.8, 0.0);
        }
        if msg == Msg::AmountDue {
            page.fill(TOTALS_X - 5.0, y - 5.0, RIGHT - TOTALS_X + 5.0, 16.0, 0.92);
        }
        page.text(TOTALS_X, y, style, msg.text(locale), 120.0);
        page.text_right(RIGHT, y, style, &amount.format(locale), RIGHT - TOTALS_X - 120.0);
        doc.y -= ROW_H;
    }
    doc.y -= 20.0;
}

/// Payments, credit notes and other entries already set against the invoice.
fn draw_applied(doc: &mut Layout, applied: &[LedgerLine], locale: Locale) {
    const DATE_X: f32 = MARGIN;
    const KIND_X: f32 = 140.0;
    const REF_X: f32 = 240.0;
    const AMOUNT_W: f32 = 90.0;

    doc.ensure(18.0 + 2.0 * ROW_H);
    let y = doc.y;
    doc.page().text(MARGIN, y, HEADING, Msg::AmountsApplied.text(locale), RIGHT - MARGIN);
    doc.y -= 18.0;
    if applied.is_empty() {
        let y = doc.y;
        doc.page().text(MARGIN, y, MUTED, Msg::NothingApplied.text(locale), RIGHT - MARGIN);
        doc.y -= ROW_H;
        return;
    }
    let y = doc.y;
    let page = doc.page();
    page.text(DATE_X, y, MUTED, Msg::Date.text(locale), KIND_X - DATE_X - 5.0);
    page.text(REF_X, y, MUTED, Msg::Reference.text(locale), RIGHT - AMOUNT_W - REF_X - 5.0);
    page.text_right(RIGHT, y, MUTED, Msg::Amount.text(locale), AMOUNT_W);
    doc.y -= ROW_H;
    for entry in applied {
        doc.ensure(ROW_H);
        let y = doc.y;
        let page = doc.page();
        page.text(DATE_X, y, BODY, &locale.format_date(entry.occurred_on), KIND_X - DATE_X - 5.0);
        page.text(KIND_X, y, BODY, kind_msg(entry.kind).text(locale), REF_X - KIND_X - 5.0);
        page.text(REF_X, y, BODY, &entry.reference, RIGHT - AMOUNT_W - REF_X - 5.0);
        page.text_right(RIGHT, y, BODY, &entry.amount.format(locale), AMOUNT_W);
        page.rule(MARGIN, RIGHT, y - 5.0, 0.5, 0.85);
        doc.y -= ROW_H;
    }
}

/// Merchant identity and "n / N" at the foot of every page.
fn draw_footers(pages: &mut [Page], merchant: &MerchantInfo) {
    let identity = match merchant.legal_id.trim() {
        "" => merchant.company_name.clone(),
        legal_id => format!("{} · {legal_id}", merchant.company_name),
    };
    let count = pages.len();
    for (index, page) in pages.iter_mut().enumerate() {
        page.rule(MARGIN, RIGHT, 58.0, 0.5, 0.8);
        page.text(MARGIN, 45.0, MUTED, &identity, RIGHT - MARGIN - 60.0);
        page.text_right(RIGHT, 45.0, MUTED, &format!("{} / {count}", index + 1), 55.0);
    }
}

/// "Label : value" with the French space before the colon, "Label: value" in English.
fn labelled(locale: Locale, label: &str, value: &str) -> String {
    match locale {
        Locale::Fr => format!("{label}\u{a0}: {value}"),
        Locale::En => format!("{label}: {value}"),
    }
}

/// A quantity without trailing zeros, with the locale's decimal separator.
fn format_decimal(value: Decimal, locale: Locale) -> String {
    let text = value.normalize().to_string();
    match locale {
        Locale::Fr => text.replace('.', ","),
        Locale::En => text,
    }
}

fn format_percent(value: Decimal, locale: Locale) -> String {
    let number = format_decimal(value, locale);
    match locale {
        Locale::Fr => format!("{number}\u{a0}%"),
        Locale::En => format!("{number}%"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use app::domain::{Currency, EntryKind, InvoiceState, Money};
    use app::invoices::InvoiceSummary;
    use chrono::NaiveDate;

    const NUMBER: &str = "F-2026-0042";

    fn eur(minor: i64) -> Money {
        Money::new(minor, Currency::Eur)
    }

    fn date(month: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, month, day).expect("valid date")
    }

    fn line(description: &str, quantity: i64, unit_minor: i64) -> InvoiceLine {
        let net = quantity * unit_minor;
        InvoiceLine {
            description: description.to_string(),
            quantity: Decimal::from(quantity),
            unit_price: eur(unit_minor),
            tax_rate_percent: Decimal::new(200, 1),
            net: eur(net),
            tax: eur(net / 5),
        }
    }

    fn detail(lines: Vec<InvoiceLine>) -> InvoiceDetail {
        let subtotal: i64 = lines.iter().map(|l| l.net.minor).sum();
        let tax: i64 = lines.iter().map(|l| l.tax.minor).sum();
        let paid = 10_000;
        InvoiceDetail {
            summary: InvoiceSummary {
                id: 42,
                account_id: 7,
                account_name: "Boulangerie Dupré SARL".to_string(),
                number: NUMBER.to_string(),
                issue_date: date(2, 3),
                due_date: date(3, 5),
                total: eur(subtotal + tax),
                balance: eur(subtotal + tax - paid),
                disputed: eur(0),
                state: InvoiceState::PartiallyPaid,
            },
            lines,
            subtotal: eur(subtotal),
            tax: eur(tax),
            applied: vec![LedgerLine {
                id: 9,
                kind: EntryKind::Payment,
                amount: eur(paid),
                occurred_on: date(2, 20),
                reference: "VIR-0001".to_string(),
                invoice_number: Some(NUMBER.to_string()),
                memo: String::new(),
            }],
            history: Vec::new(),
        }
    }

    fn merchant() -> MerchantInfo {
        MerchantInfo {
            company_name: "Atelier Lumière".to_string(),
            legal_id: "SIREN 123 456 789".to_string(),
            address: "12 rue de la Paix\n75002 Paris".to_string(),
            email: "compta@atelier.example".to_string(),
            phone: "+33 1 23 45 67 89".to_string(),
        }
    }

    fn two_lines() -> InvoiceDetail {
        detail(vec![line("Création du site", 1, 250_000), line("Hébergement annuel", 12, 2_500)])
    }

    fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
        haystack.windows(needle.len()).position(|w| w == needle)
    }

    fn count(haystack: &[u8], needle: &[u8]) -> usize {
        haystack.windows(needle.len()).filter(|w| *w == needle).count()
    }

    fn number_at(bytes: &[u8], at: usize) -> usize {
        let digits: String = bytes[at..].iter().take_while(|b| b.is_ascii_digit()).map(|&b| char::from(b)).collect();
        digits.parse().expect("a number")
    }

    /// Checks startxref, the xref table and the trailer; returns the object count.
    fn check_structure(pdf: &[u8]) -> usize {
        assert!(pdf.starts_with(b"%PDF-1.4\n%"), "header");
        assert!(pdf[10..14].iter().all(|&b| b >= 0x80), "binary comment line");
        assert!(pdf.trim_ascii_end().ends_with(b"%%EOF"), "trailer ends with %%EOF");

        let startxref = pdf.windows(10).rposition(|w| w == b"startxref\n").expect("startxref");
        let xref = number_at(pdf, startxref + 10);
        assert!(pdf[xref..].starts_with(b"xref\n0 "), "startxref points at the xref table");
        let size = number_at(pdf, xref + 7);
        let first_entry = xref + 7 + size.to_string().len() + 1;
        assert_eq!(&pdf[first_entry..first_entry + 20], b"0000000000 65535 f \n");
        for object in 1..size {
            let entry = &pdf[first_entry + 20 * object..first_entry + 20 * (object + 1)];
            assert!(entry.ends_with(b" 00000 n \n"), "entry {object} is in use and 20 bytes long");
            let offset = number_at(entry, 0);
            assert_eq!(entry[10], b' ', "10-digit offset");
            let expected = format!("{object} 0 obj\n");
            assert!(pdf[offset..].starts_with(expected.as_bytes()), "xref entry {object} points at its object");
        }
        let trailer = &pdf[first_entry + 20 * size..];
        assert!(trailer.starts_with(b"trailer\n<<"), "trailer follows the table");
        assert!(find(trailer, format!("/Size {size} ").as_bytes()).is_some());
        assert!(find(trailer, b"/Root 1 0 R").is_some());
        assert!(find(trailer, b"/Info ").is_some());
        size - 1
    }

    /// The data of every stream, checking each `/Length` against `endstream`.
    fn streams(pdf: &[u8]) -> Vec<&[u8]> {
        let mut found = Vec::new();
        let mut rest = pdf;
        while let Some(at) = find(rest, b"<< /Length ") {
            let length = number_at(rest, at + 11);
            let start = at + find(&rest[at..], b"stream\n").expect("stream keyword") + 7;
            let data = &rest[start..start + length];
            assert!(rest[start + length..].starts_with(b"\nendstream"), "/Length is exact");
            found.push(data);
            rest = &rest[start + length..];
        }
        found
    }

    fn page_count(pdf: &[u8]) -> usize {
        count(pdf, b"/Type /Page ")
    }

    #[test]
    fn renders_a_well_formed_document() {
        let pdf = invoice_pdf(&merchant(), &two_lines(), Locale::Fr);
        let objects = check_structure(&pdf);
        // Catalog, page tree, two fonts, info, plus content and page per page.
        assert_eq!(objects, 5 + 2 * page_count(&pdf));
        assert_eq!(page_count(&pdf), 1);
        assert!(find(&pdf, b"/Count 1 ").is_some());
        assert!(find(&pdf, b"/BaseFont /Helvetica-Bold /Encoding /WinAnsiEncoding").is_some());
        assert!(find(&pdf, b"/Producer (Relance)").is_some());
        assert_eq!(streams(&pdf).len(), 1);
    }

    #[test]
    fn content_carries_number_and_win_ansi_text() {
        let pdf = invoice_pdf(&merchant(), &two_lines(), Locale::Fr);
        let content = streams(&pdf).concat();
        assert!(find(&content, b"(Facture F-2026-0042)").is_some());
        assert!(content.contains(&0xE9), "é is encoded as a single WinAnsi byte");
        assert!(find(&content, "é".as_bytes()).is_none(), "no UTF-8 leaks into the content");
        // 1 234,56 € style amounts: narrow no-break spaces become spaces, € is 0x80.
        assert!(find(&content, b"(2\x20500,00\x20\x80)").is_some());
        assert!(find(&content, b"(Paiement)").is_some());
        assert!(find(&content, b"(VIR-0001)").is_some());
        assert!(find(&content, b"(20\x20%)").is_some());
        assert!(find(&content, b"(1 / 1)").is_some());

        let english = invoice_pdf(&merchant(), &two_lines(), Locale::En);
        let content = streams(&english).concat();
        assert!(find(&content, b"(Invoice F-2026-0042)").is_some());
        assert!(find(&content, b"(\x802,500.00)").is_some());
        assert!(find(&content, b"(Issue date: Feb 3, 2026)").is_some());
    }

    #[test]
    fn many_lines_flow_onto_more_pages() {
        let lines = (1..=80).map(|i| line(&format!("Prestation {i}"), i, 1_000)).collect();
        let pdf = invoice_pdf(&merchant(), &detail(lines), Locale::Fr);
        check_structure(&pdf);
        let pages = page_count(&pdf);
        assert!(pages >= 2, "80 lines need more than one page, got {pages}");
        assert!(find(&pdf, format!("/Count {pages} ").as_bytes()).is_some());
        let contents = streams(&pdf);
        assert_eq!(contents.len(), pages);
        let with_header = contents.iter().filter(|c| find(c, b"(Description)").is_some()).count();
        assert!(with_header >= 2, "the table header repeats on continuation pages");
        let all = contents.concat();
        assert!(find(&all, b"(Prestation 1)").is_some());
        assert!(find(&all, b"(Prestation 80)").is_some());
        assert!(find(&all, format!("(1 / {pages})").as_bytes()).is_some());
        assert!(find(&all, format!("({pages} / {pages})").as_bytes()).is_some());
    }

    #[test]
    fn parentheses_and_backslashes_are_escaped() {
        let invoice = detail(vec![line(r"Support (niveau 2) \ urgent", 1, 100)]);
        let pdf = invoice_pdf(&merchant(), &invoice, Locale::Fr);
        check_structure(&pdf);
        let content = streams(&pdf).concat();
        assert!(find(&content, br"(Support \(niveau 2\) \\ urgent)").is_some());
    }

    #[test]
    fn long_descriptions_are_cut_to_the_column() {
        let long = "Accompagnement ".repeat(20);
        let pdf = invoice_pdf(&merchant(), &detail(vec![line(&long, 1, 100)]), Locale::Fr);
        let content = streams(&pdf).concat();
        let start = find(&content, b"(Accompagnement").expect("description shown");
        let end = start + find(&content[start..], b") Tj").expect("end of string");
        let shown = &content[start + 1..end];
        assert!(shown.ends_with(b"..."));
        let (_, left, right) = COLUMNS[0];
        assert!(BODY.width(shown) <= right - left);

        let cut = truncate(b"abcdefghijklmnopqrstuvwxyz", BODY, 40.0);
        assert!(cut.ends_with(b"...") && BODY.width(&cut) <= 40.0);
        assert_eq!(truncate(b"short", BODY, 40.0), b"short");
    }

    #[test]
    fn encodes_windows_1252() {
        assert_eq!(win_ansi("1\u{202f}234,56\u{a0}€"), b"1 234,56 \x80");
        assert_eq!(win_ansi("éèàçôûêëïîù"), b"\xE9\xE8\xE0\xE7\xF4\xFB\xEA\xEB\xEF\xEE\xF9");
        assert_eq!(win_ansi("œŒ«»’…"), b"\x9C\x8C\xAB\xBB\x92\x85");
        assert_eq!(win_ansi("→ 日本"), b"? ??");
        let mut out = Vec::new();
        push_literal(&mut out, br"a(b)c\d");
        assert_eq!(out, br"(a\(b\)c\\d)");
    }

    #[test]
    fn widths_follow_helvetica_metrics() {
        assert_eq!(Font::Regular.glyph_width(b' '), 278);
        assert_eq!(Font::Regular.glyph_width(b'W'), 944);
        assert_eq!(Font::Regular.glyph_width(b'i'), 222);
        assert_eq!(Font::Bold.glyph_width(b'i'), 278);
        assert_eq!(Font::Regular.glyph_width(0xE9), 556);
        assert!((BODY.width(b"0000") - 4.0 * 556.0 * 9.0 / 1000.0).abs() < 1e-3);
        assert_eq!(num(595.0), "595");
        assert_eq!(num(0.92), "0.92");
        assert_eq!(num(12.5), "12.5");
        assert_eq!(text_string("Fé"), "<FEFF004600E9>");
    }
}
