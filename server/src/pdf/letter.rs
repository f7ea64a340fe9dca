//! A reminder as a letter: the merchant's letterhead, the account, the
//! day it went out, then the message's subject and text as the client
//! received it, flowing onto as many pages as it needs.

use super::{draw_footers, draw_letterhead, wrap, Layout, BODY, HEADING, MARGIN, RIGHT};
use super::{MerchantInfo, PdfError};
use app::domain::Locale;
use app::i18n::Msg;
use app::reminders::ssr::letter::ReminderLetter;

/// Characters per line of the letter's text at its size.
const LINE_CHARS: usize = 105;
const LINE_H: f32 = 12.0;

pub fn reminder_pdf(merchant: &MerchantInfo, letter: &ReminderLetter, locale: Locale) -> Result<Vec<u8>, PdfError> {
    let heading = format!("{} {}", Msg::ReminderTitle.text(locale), letter.id);
    let mut doc = Layout::new(heading.clone());
    let sent_on = letter.sent_at.date_naive();
    draw_letterhead(&mut doc, merchant, &heading, &[(Msg::SentOn, sent_on)], &letter.account_name, locale);
    let lines = wrap(&letter.subject, 90);
    for line in &lines {
        doc.ensure(LINE_H + 4.0);
        let y = doc.y;
        doc.page().text(MARGIN, y, HEADING, line, RIGHT - MARGIN);
        doc.y -= LINE_H + 4.0;
    }
    doc.y -= LINE_H;
    for line in wrap(&letter.body, LINE_CHARS) {
        doc.ensure(LINE_H);
        let y = doc.y;
        doc.page().text(MARGIN, y, BODY, &line, RIGHT - MARGIN);
        doc.y -= LINE_H;
    }
    draw_footers(&mut doc.pages, merchant);
    super::canvas::write_pdf(&doc.pages, &heading, None)
}
