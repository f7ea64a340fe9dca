//! Invoice, receipt and credit note PDFs: the layouts on A4 (the
//! invoice's line table flows onto as many pages as it needs) drawn as
//! display lists (`canvas`) and written as PDF/A-3b by krilla, with
//! DejaVu Sans embedded so every European name prints. An issued invoice
//! also exists as Factur-X: the same document as issued, carrying its
//! EN 16931 CII XML.

mod canvas;
mod letter;
mod statement;

pub use letter::{letters_pdf, reminder_pdf};
pub use statement::statement_pdf;

use app::components::kind_msg;
use app::domain::Locale;
use app::i18n::Msg;
use app::invoices::{InvoiceDetail, InvoiceLine, LedgerLine};
use app::invoicing::CreditNoteDoc;
use app::payments::PaymentDetail;
pub use canvas::PdfError;
use canvas::{write_pdf, Font, Page, Style, PAGE_H, PAGE_W};
use rust_decimal::Decimal;

/// The issuing company, as printed in the letterhead and footer.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct MerchantInfo {
    pub company_name: String,
    pub legal_id: String,
    /// Printed with the company's identity when set.
    pub siren: String,
    pub vat_number: String,
    pub address: String,
    pub email: String,
    pub phone: String,
}

/// Renders one invoice as a complete PDF document.
pub fn invoice_pdf(merchant: &MerchantInfo, detail: &InvoiceDetail, locale: Locale) -> Result<Vec<u8>, PdfError> {
    let (heading, pages) = render(merchant, Msg::InvoiceTitle.text(locale), detail, true, locale);
    write_pdf(&pages, &heading, None)
}

/// The invoice as issued (no payments since) as a Factur-X PDF carrying
/// its EN 16931 CII XML; `None` for an invoice that has no e-invoice (no
/// lines or parties: one imported from totals only).
pub fn facturx_pdf(
    merchant: &MerchantInfo,
    detail: &InvoiceDetail,
    locale: Locale,
) -> Result<Option<Vec<u8>>, PdfError> {
    let Some(doc) = app::einvoice::from_invoice(detail) else { return Ok(None) };
    let xml = app::einvoice::cii::write(&doc);
    let (heading, pages) = render(merchant, Msg::InvoiceTitle.text(locale), detail, false, locale);
    write_pdf(&pages, &heading, Some(&xml)).map(Some)
}

/// Renders the receipt of a succeeded payment: what was paid, when, how,
/// and which invoices it settled (refunds listed when there are any).
pub fn receipt_pdf(merchant: &MerchantInfo, detail: &PaymentDetail, locale: Locale) -> Result<Vec<u8>, PdfError> {
    let s = &detail.summary;
    let heading = format!("{} {}", Msg::ReceiptTitle.text(locale), s.reference);
    let mut doc = Layout::new(heading.clone());
    let paid_on = s.paid_on();
    draw_letterhead(&mut doc, merchant, &heading, &[(Msg::PaidOn, paid_on)], &s.account_name, locale);
    let mut y = doc.y;
    let page = doc.page();

    // The facts, then the invoices settled.
    let mut facts = vec![(Msg::AmountPaid, s.amount.format(locale))];
    let method = s.method(locale);
    if !method.is_empty() {
        facts.push((Msg::PaymentMethod, method));
    }
    facts.push((Msg::Reference, s.reference.clone()));
    if !s.payer_reference.is_empty() {
        facts.push((Msg::PayerReference, s.payer_reference.clone()));
    }
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
    write_pdf(&doc.pages, &heading, None)
}

/// Renders a credit note: its number and date, the invoice it credits,
/// why, the taxable amount and VAT it takes back per rate, and the amount
/// deducted from the client's balance.
pub fn credit_note_pdf(merchant: &MerchantInfo, c: &CreditNoteDoc, locale: Locale) -> Result<Vec<u8>, PdfError> {
    let (heading, pages) = render_credit_note(merchant, c, locale);
    write_pdf(&pages, &heading, None)
}

/// The credit note as Factur-X, carrying its EN 16931 CII XML (type 381,
/// naming the invoice it corrects); `None` for one without an e-invoice
/// (on an invoice without lines or parties).
pub fn credit_note_facturx_pdf(
    merchant: &MerchantInfo,
    c: &CreditNoteDoc,
    locale: Locale,
) -> Result<Option<Vec<u8>>, PdfError> {
    let Some(doc) = app::einvoice::from_credit_note(c) else { return Ok(None) };
    let xml = app::einvoice::cii::write(&doc);
    let (heading, pages) = render_credit_note(merchant, c, locale);
    write_pdf(&pages, &heading, Some(&xml)).map(Some)
}

fn render_credit_note(merchant: &MerchantInfo, c: &CreditNoteDoc, locale: Locale) -> (String, Vec<Page>) {
    let heading = format!("{} {}", Msg::CreditNote.text(locale), c.number);
    let mut doc = Layout::new(heading.clone());
    draw_letterhead(&mut doc, merchant, &heading, &[(Msg::IssueDate, c.issued_on)], &c.account_name, locale);
    match &c.parties {
        Some(parties) => draw_buyer(&mut doc, &parties.buyer),
        None => {
            let mut y = doc.y;
            for line in c.account_address.lines().take(4) {
                doc.page().text(CLIENT_X, y + 4.0, MUTED, line, RIGHT - CLIENT_X);
                y -= 11.0;
            }
            doc.y = y - 6.0;
        }
    }
    let mut y = doc.y;
    let page = doc.page();
    let invoice = format!(
        "{} ({}, {})",
        c.invoice_number,
        locale.format_date(c.invoice_issue_date),
        c.invoice_total.format(locale)
    );
    let mut facts = vec![(Msg::Invoice, invoice)];
    match c.dispute_reason {
        Some(reason) => facts.push((Msg::DisputeReason, reason.msg().text(locale).to_string())),
        None if !c.note.is_empty() => facts.push((Msg::Reason, c.note.clone())),
        None => {}
    }
    for (label, value) in facts {
        page.text(MARGIN, y, MUTED, label.text(locale), 150.0);
        page.text(MARGIN + 150.0, y, BODY_BOLD, &value, RIGHT - MARGIN - 150.0);
        y -= ROW_H;
    }
    if c.dispute_reason.is_some() && !c.note.is_empty() {
        page.text(MARGIN, y, MUTED, Msg::DecisionNote.text(locale), 150.0);
        for chunk in wrap(&c.note, 85).into_iter().take(8) {
            page.text(MARGIN + 150.0, y, BODY, &chunk, RIGHT - MARGIN - 150.0);
            y -= ROW_H;
        }
    }
    y -= 14.0;
    const AMOUNT_W: f32 = 120.0;
    let currency = c.amount.currency;
    let money = |minor: i64| app::domain::Money::new(minor, currency).format(locale);
    if !c.vat.is_empty() {
        // Per rate: the taxable amount and the VAT taken back.
        const RATE_W: f32 = 200.0;
        page.fill(MARGIN, y - 5.0, RIGHT - MARGIN, 16.0, 0.92);
        page.text(MARGIN, y, BODY_BOLD, Msg::TaxRate.text(locale), RATE_W);
        page.text_right(RIGHT - AMOUNT_W, y, BODY_BOLD, Msg::Subtotal.text(locale), AMOUNT_W);
        page.text_right(RIGHT, y, BODY_BOLD, Msg::TaxTotal.text(locale), AMOUNT_W);
        y -= ROW_H;
        for g in &c.vat {
            let label = app::invoicing::pages::vat_msg(g.category).text(locale);
            page.text(MARGIN, y, BODY, label, RATE_W);
            page.text_right(RIGHT - AMOUNT_W, y, BODY, &money(g.base_minor), AMOUNT_W);
            page.text_right(RIGHT, y, BODY, &money(g.tax_minor), AMOUNT_W);
            page.rule(MARGIN, RIGHT, y - 5.0, 0.5, 0.85);
            y -= ROW_H;
        }
        y -= 8.0;
        let base: i64 = c.vat.iter().map(|g| g.base_minor).sum();
        let tax: i64 = c.vat.iter().map(|g| g.tax_minor).sum();
        for (msg, minor) in [(Msg::Subtotal, base), (Msg::TaxTotal, tax)] {
            page.text(TOTALS_X, y, BODY, msg.text(locale), 120.0);
            page.text_right(RIGHT, y, BODY, &money(minor), RIGHT - TOTALS_X - 120.0);
            y -= ROW_H;
        }
    }
    page.rule(MARGIN, RIGHT, y + 11.0, 0.8, 0.0);
    page.text(MARGIN, y, BODY_BOLD, Msg::CreditNoteTotal.text(locale), RIGHT - MARGIN - AMOUNT_W);
    page.text_right(RIGHT, y, BODY_BOLD, &c.amount.format(locale), AMOUNT_W);
    y -= ROW_H + 10.0;
    let mut mentions: Vec<String> =
        c.vat.iter().filter_map(|g| g.category.mention(locale)).map(str::to_string).collect();
    mentions.push(Msg::CreditNoteExplained.text(locale).to_string());
    for text in mentions {
        for line in wrap(&text, 120) {
            page.text(MARGIN, y, MUTED, &line, RIGHT - MARGIN);
            y -= 11.0;
        }
    }
    doc.y = y - ROW_H;
    draw_footers(&mut doc.pages, merchant);
    (heading, doc.pages)
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

/// Text styles of the layouts.
const BODY: Style = Style { font: Font::Regular, size: 9.0, gray: 0.0 };
const BODY_BOLD: Style = Style { font: Font::Bold, size: 9.0, gray: 0.0 };
const MUTED: Style = Style { font: Font::Regular, size: 8.0, gray: 0.4 };
const HEADING: Style = Style { font: Font::Bold, size: 10.0, gray: 0.0 };
const CLIENT_NAME: Style = Style { font: Font::Bold, size: 11.0, gray: 0.0 };
const COMPANY: Style = Style { font: Font::Bold, size: 13.0, gray: 0.0 };
const TITLE: Style = Style { font: Font::Bold, size: 18.0, gray: 0.0 };

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

/// The invoice's pages and running head; `with_payments` adds what has
/// been applied to it since it was issued.
fn render(
    merchant: &MerchantInfo,
    title: &str,
    detail: &InvoiceDetail,
    with_payments: bool,
    locale: Locale,
) -> (String, Vec<Page>) {
    let heading = format!("{title} {}", detail.summary.number);
    let mut doc = Layout::new(heading.clone());
    let dates = [(Msg::IssueDate, detail.summary.issue_date), (Msg::DueDate, detail.summary.due_date)];
    draw_letterhead(&mut doc, merchant, &heading, &dates, &detail.summary.account_name, locale);
    if let Some(facts) = &detail.document {
        draw_buyer(&mut doc, &facts.parties.buyer);
    }
    draw_lines(&mut doc, &detail.lines, locale);
    draw_totals(&mut doc, detail, with_payments, locale);
    if let Some(facts) = &detail.document {
        draw_mentions(&mut doc, detail, facts, locale);
    }
    if with_payments {
        draw_applied(&mut doc, &detail.applied, locale);
    }
    draw_footers(&mut doc.pages, merchant);
    (heading, doc.pages)
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

/// Totals; the amount due is what remains today with the payments shown,
/// the whole total on the invoice as issued.
fn draw_totals(doc: &mut Layout, detail: &InvoiceDetail, with_payments: bool, locale: Locale) {
    let summary = &detail.summary;
    let due = if with_payments { summary.balance } else { summary.total };
    let rows = [
        (Msg::Subtotal, detail.subtotal, BODY),
        (Msg::TaxTotal, detail.tax, BODY),
        (Msg::Total, summary.total, BODY_BOLD),
        (Msg::AmountDue, due, BODY_BOLD),
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

/// Under the client's name: its address and legal identifiers, as frozen
/// on the invoice.
fn draw_buyer(doc: &mut Layout, buyer: &app::invoicing::Party) {
    let mut y = doc.y + 24.0;
    let place = [buyer.postal_code.as_str(), buyer.city.as_str()].join(" ");
    let ids: Vec<String> = [
        buyer.siren.as_ref().map(|s| format!("SIREN {s}")),
        buyer.siret.as_ref().map(|s| format!("SIRET {s}")),
        buyer.vat_number.as_ref().map(|v| format!("TVA / VAT {v}")),
    ]
    .into_iter()
    .flatten()
    .collect();
    let page = doc.page();
    for line in buyer.address.lines().map(str::to_string).chain([place, buyer.country.clone(), ids.join(" · ")]) {
        let line = line.trim().to_string();
        if line.is_empty() {
            continue;
        }
        page.text(CLIENT_X, y, MUTED, &line, RIGHT - CLIENT_X);
        y -= 11.0;
    }
    doc.y = doc.y.min(y - 12.0);
}

/// The mentions French law asks of an invoice: VAT exemptions, payment
/// terms and early-payment discount, and between businesses the
/// late-payment penalties and the €40 recovery indemnity.
fn draw_mentions(doc: &mut Layout, detail: &InvoiceDetail, facts: &app::invoices::DocumentFacts, locale: Locale) {
    let mut texts: Vec<String> = Vec::new();
    let mut exemptions: Vec<app::domain::document::VatCategory> = detail.lines.iter().filter_map(|l| l.vat).collect();
    exemptions.sort();
    exemptions.dedup();
    texts.extend(exemptions.into_iter().filter_map(|v| v.mention(locale)).map(str::to_string));
    texts.push(labelled(locale, Msg::DueDate.text(locale), &locale.format_date(detail.summary.due_date)));
    texts.push(match facts.early_discount {
        Some(d) => d.mention(locale),
        None => app::domain::document::no_discount_mention(locale).to_string(),
    });
    if facts.parties.buyer_kind == app::domain::CustomerKind::Business {
        texts.push(Msg::LatePenaltiesMention.text(locale).to_string());
    }
    if !facts.note.is_empty() {
        texts.push(facts.note.clone());
    }
    for text in texts {
        for line in wrap(&text, 120) {
            doc.ensure(11.0);
            let y = doc.y;
            doc.page().text(MARGIN, y, MUTED, &line, RIGHT - MARGIN);
            doc.y -= 11.0;
        }
    }
    doc.y -= 14.0;
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
    let parts = [
        merchant.company_name.clone(),
        merchant.legal_id.trim().to_string(),
        if merchant.siren.is_empty() { String::new() } else { format!("SIREN {}", merchant.siren) },
        if merchant.vat_number.is_empty() { String::new() } else { format!("TVA / VAT {}", merchant.vat_number) },
    ];
    let identity = parts.into_iter().filter(|p| !p.is_empty()).collect::<Vec<_>>().join(" · ");
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
mod tests;
