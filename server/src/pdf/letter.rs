//! Reminders as letters: the merchant's letterhead, the account, the day,
//! then the message's subject and text, flowing onto as many pages as it
//! needs. A formal demand (*mise en demeure*) is marked for registered mail
//! and ends with the sum claimed broken down per invoice into principal,
//! late-payment penalties and fixed indemnity. Several letters print as one
//! document for the day's post.

use super::{draw_footers, draw_letterhead, labelled, wrap, Layout, BODY, BODY_BOLD, HEADING, MARGIN, RIGHT};
use super::{MerchantInfo, PdfError};
use crate::pdf::canvas::{write_pdf, Page};
use app::domain::{Locale, Money};
use app::i18n::Msg;
use app::legal::claim::Claim;
use app::reminders::rules::Channel;
use app::reminders::ssr::letter::ReminderLetter;

/// Characters per line of the letter's text at its size.
const LINE_CHARS: usize = 105;
const LINE_H: f32 = 12.0;

/// The breakdown's columns: the invoice and its due date (left), then the
/// amounts, right-aligned on these edges.
const DUE_X: f32 = 170.0;
const PRINCIPAL_R: f32 = 345.0;
const PENALTIES_R: f32 = 440.0;

pub fn reminder_pdf(merchant: &MerchantInfo, letter: &ReminderLetter, locale: Locale) -> Result<Vec<u8>, PdfError> {
    let (heading, pages) = render(merchant, letter, locale);
    write_pdf(&pages, &heading, None)
}

/// Several letters in one document (each with its own page numbers).
pub fn letters_pdf(merchant: &MerchantInfo, letters: &[ReminderLetter], locale: Locale) -> Result<Vec<u8>, PdfError> {
    let pages: Vec<Page> = letters.iter().flat_map(|l| render(merchant, l, locale).1).collect();
    write_pdf(&pages, Msg::LettersToPost.text(locale), None)
}

fn render(merchant: &MerchantInfo, letter: &ReminderLetter, locale: Locale) -> (String, Vec<Page>) {
    let demand = letter.channel == Channel::FormalDemand;
    let title = if demand { Msg::FormalDemandTitle } else { Msg::ReminderTitle };
    let heading = format!("{} {}", title.text(locale), letter.id);
    let mut doc = Layout::new(heading.clone());
    let day = letter.posted_on.unwrap_or_else(|| letter.sent_at.date_naive());
    draw_letterhead(&mut doc, merchant, &heading, &[(Msg::SentOn, day)], &letter.account_name, locale);
    if demand {
        line(&mut doc, BODY_BOLD, Msg::RegisteredMail.text(locale));
        doc.y -= LINE_H;
    }
    for text in wrap(&letter.subject, 90) {
        line(&mut doc, HEADING, &text);
    }
    doc.y -= LINE_H;
    for text in wrap(&letter.body, LINE_CHARS) {
        line(&mut doc, BODY, &text);
    }
    if let Some(claim) = &letter.demand {
        breakdown(&mut doc, claim, locale);
    }
    draw_footers(&mut doc.pages, merchant);
    (heading, doc.pages)
}

fn line(doc: &mut Layout, style: super::Style, text: &str) {
    doc.ensure(LINE_H + 2.0);
    let y = doc.y;
    doc.page().text(MARGIN, y, style, text, RIGHT - MARGIN);
    doc.y -= LINE_H + if style.size > BODY.size { 4.0 } else { 0.0 };
}

fn row(doc: &mut Layout, style: super::Style, cells: [&str; 5]) {
    doc.ensure(LINE_H + 2.0);
    let y = doc.y;
    let page = doc.page();
    page.text(MARGIN, y, style, cells[0], DUE_X - MARGIN - 5.0);
    page.text(DUE_X, y, style, cells[1], 90.0);
    page.text_right(PRINCIPAL_R, y, style, cells[2], 80.0);
    page.text_right(PENALTIES_R, y, style, cells[3], 90.0);
    page.text_right(RIGHT, y, style, cells[4], 90.0);
    doc.y -= LINE_H + 2.0;
}

/// The sum claimed: a row per invoice, the totals, and what the penalties'
/// rates were.
fn breakdown(doc: &mut Layout, claim: &Claim, locale: Locale) {
    doc.y -= LINE_H;
    line(doc, HEADING, Msg::DemandBreakdown.text(locale));
    let text = |m: Msg| m.text(locale);
    row(
        doc,
        BODY_BOLD,
        [
            text(Msg::Invoice),
            text(Msg::DueDate),
            text(Msg::ClaimPrincipal),
            text(Msg::ClaimPenalties),
            text(Msg::ClaimIndemnity),
        ],
    );
    let money = |m: Option<Money>| m.map(|m| m.format(locale)).unwrap_or_else(|| "—".into());
    for l in &claim.lines {
        let due = locale.format_date(l.due_date);
        let (principal, penalties, indemnity) = (money(Some(l.principal)), money(l.penalties), money(l.indemnity));
        row(doc, BODY, [&l.number, &due, &principal, &penalties, &indemnity]);
    }
    let (principal, penalties, indemnity) =
        (money(Some(claim.principal)), money(Some(claim.penalties)), money(claim.indemnities));
    row(doc, BODY_BOLD, [text(Msg::Total), "", &principal, &penalties, &indemnity]);
    // One figure to pay when every part is in the debt's currency.
    let same = claim.indemnities.is_none_or(|i| i.currency == claim.principal.currency);
    if same {
        let all = claim.principal.minor + claim.penalties.minor + claim.indemnities.map_or(0, |i| i.minor);
        let total = Money::new(all, claim.principal.currency).format(locale);
        doc.y -= 4.0;
        line(doc, BODY_BOLD, &labelled(locale, text(Msg::ClaimTotal), &total));
    }
    let rates: Vec<String> = claim
        .lines
        .iter()
        .flat_map(|l| l.periods.iter().map(move |p| format!("{} : {} → {}, {} %", l.number, p.from, p.to, p.percent)))
        .collect();
    if !rates.is_empty() {
        doc.y -= 4.0;
        line(doc, super::MUTED, &labelled(locale, text(Msg::ClaimRates), &rates.join(" ; ")));
    }
}
