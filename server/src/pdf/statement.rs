//! The account statement (*relevé de compte*) as a PDF: the letterhead,
//! the period, the balance brought forward, one row per entry with the
//! running balance (flowing onto as many pages as needed), the closing
//! balance, and what it holds by age at the period's end.

use super::{
    draw_footers, draw_letterhead, Layout, MerchantInfo, PdfError, BODY, BODY_BOLD, HEADING, MARGIN, RIGHT, ROW_H,
};
use crate::pdf::canvas::write_pdf;
use app::components::kind_text;
use app::domain::{Locale, Money};
use app::i18n::Msg;
use app::statements::Statement;

/// Right edges of the amount columns, and where the description starts.
const DOC_X: f32 = 120.0;
const DEBIT_R: f32 = 385.0;
const CREDIT_R: f32 = 465.0;
const AMOUNT_W: f32 = 75.0;

pub fn statement_pdf(merchant: &MerchantInfo, s: &Statement, locale: Locale) -> Result<Vec<u8>, PdfError> {
    let (heading, pages) = render(merchant, s, locale);
    write_pdf(&pages, &heading, None)
}

fn render(merchant: &MerchantInfo, s: &Statement, locale: Locale) -> (String, Vec<crate::pdf::canvas::Page>) {
    let heading = format!("{} {}", Msg::StatementTitle.text(locale), s.account_code);
    let mut doc = Layout::new(heading.clone());
    let dates = [(Msg::PeriodFrom, s.from), (Msg::PeriodTo, s.to)];
    draw_letterhead(&mut doc, merchant, &heading, &dates, &s.account_name, locale);
    let money = |m: Option<Money>| m.map(|m| m.format(locale)).unwrap_or_default();
    let text = |m: Msg| m.text(locale);

    header(&mut doc, locale);
    let opening = money(Some(s.opening));
    row(&mut doc, BODY_BOLD, [&locale.format_date(s.from), text(Msg::StatementOpening), "", "", &opening], locale);
    for l in &s.lines {
        let what = format!("{} {}", kind_text(&l.kind, locale), l.document);
        let (debit, credit, balance) = (money(l.debit), money(l.credit), money(Some(l.balance)));
        row(&mut doc, BODY, [&locale.format_date(l.date), &what, &debit, &credit, &balance], locale);
    }
    let closing = money(Some(s.closing));
    doc.ensure(ROW_H);
    let y = doc.y;
    doc.page().rule(MARGIN, RIGHT, y + 11.0, 0.8, 0.0);
    row(&mut doc, BODY_BOLD, [&locale.format_date(s.to), text(Msg::StatementClosing), "", "", &closing], locale);

    // What the closing balance holds, by age: a row per bucket.
    doc.y -= 14.0;
    doc.ensure(18.0 + 7.0 * ROW_H);
    let y = doc.y;
    doc.page().text(
        MARGIN,
        y,
        HEADING,
        &format!("{} {}", text(Msg::AgingAsOf), locale.format_date(s.to)),
        RIGHT - MARGIN,
    );
    doc.y -= 18.0;
    let buckets = app::statements::aging_headings().into_iter().map(|m| m.text(locale)).zip(s.aging.iter().copied());
    for (label, amount) in buckets.chain([(text(Msg::UnappliedCredit), s.unapplied())]) {
        let y = doc.y;
        let page = doc.page();
        page.text(MARGIN, y, BODY, label, DEBIT_R - AMOUNT_W - MARGIN);
        page.text_right(DEBIT_R, y, BODY, &amount.format(locale), AMOUNT_W);
        doc.y -= ROW_H;
    }
    draw_footers(&mut doc.pages, merchant);
    (heading, doc.pages)
}

fn header(doc: &mut Layout, locale: Locale) {
    doc.ensure(2.0 * ROW_H);
    let y = doc.y;
    let page = doc.page();
    page.fill(MARGIN, y - 5.0, RIGHT - MARGIN, 16.0, 0.92);
    page.text(MARGIN, y, BODY_BOLD, Msg::Date.text(locale), DOC_X - MARGIN);
    page.text(DOC_X, y, BODY_BOLD, Msg::EntryKind.text(locale), DEBIT_R - AMOUNT_W - DOC_X);
    page.text_right(DEBIT_R, y, BODY_BOLD, Msg::Debit.text(locale), AMOUNT_W);
    page.text_right(CREDIT_R, y, BODY_BOLD, Msg::Credit.text(locale), AMOUNT_W);
    page.text_right(RIGHT, y, BODY_BOLD, Msg::Balance.text(locale), AMOUNT_W);
    doc.y -= ROW_H + 3.0;
}

/// One row, under the header again at the top of a new page.
fn row(doc: &mut Layout, style: super::Style, cells: [&str; 5], locale: Locale) {
    if doc.ensure(ROW_H) {
        header(doc, locale);
    }
    let y = doc.y;
    let page = doc.page();
    page.text(MARGIN, y, style, cells[0], DOC_X - MARGIN - 4.0);
    page.text(DOC_X, y, style, cells[1], DEBIT_R - AMOUNT_W - DOC_X - 4.0);
    page.text_right(DEBIT_R, y, style, cells[2], AMOUNT_W);
    page.text_right(CREDIT_R, y, style, cells[3], AMOUNT_W);
    page.text_right(RIGHT, y, style, cells[4], AMOUNT_W);
    page.rule(MARGIN, RIGHT, y - 5.0, 0.5, 0.85);
    doc.y -= ROW_H;
}

#[cfg(test)]
mod tests {
    use super::*;
    use app::domain::Currency;
    use app::statements::StatementLine;
    use chrono::NaiveDate;

    fn eur(minor: i64) -> Money {
        Money::new(minor, Currency::Eur)
    }

    /// A year of monthly invoices and payments: more rows than one page holds.
    fn statement() -> Statement {
        let day = |d: u32| NaiveDate::from_ymd_opt(2026, 1, 1).unwrap() + chrono::Days::new(u64::from(d));
        let mut balance = 50_000;
        let lines = (0..120)
            .map(|i| {
                let (debit, credit) = if i % 2 == 0 { (Some(eur(12_000)), None) } else { (None, Some(eur(10_000))) };
                balance += debit.map_or(0, |m| m.minor) - credit.map_or(0, |m| m.minor);
                StatementLine {
                    date: day(i * 3),
                    kind: if i % 2 == 0 { "invoice".into() } else { "payment".into() },
                    document: format!("F-2026-{i:05}"),
                    debit,
                    credit,
                    balance: eur(balance),
                }
            })
            .collect();
        Statement {
            account_id: 1,
            account_code: "C0001".into(),
            account_name: "Boulangerie Dupré SARL".into(),
            address: String::new(),
            currency: Currency::Eur,
            from: day(0),
            to: day(360),
            opening: eur(50_000),
            lines,
            closing: eur(balance),
            aging: vec![eur(12_000), eur(2_000), eur(0), eur(0), eur(0), eur(0)],
        }
    }

    #[test]
    fn a_long_statement_runs_over_pages_each_with_its_header_and_ends_with_its_balance_and_age() {
        let s = statement();
        let (heading, pages) = render(&MerchantInfo::default(), &s, Locale::Fr);
        assert_eq!(heading, "Relevé de compte C0001");
        assert!(pages.len() >= 3, "{} pages", pages.len());
        for (i, page) in pages.iter().enumerate() {
            let rows = page.texts().iter().any(|t| t.contains("F-2026-"));
            assert!(!rows || page.texts().contains(&"Débit"), "page {} has the table's header over its rows", i + 1);
        }
        let all: Vec<&str> = pages.iter().flat_map(|p| p.texts()).collect();
        assert!(all.contains(&"Solde reporté"));
        assert!(all.iter().any(|t| t.contains("F-2026-00119")), "the last line is printed");
        assert!(all.contains(&"Solde à la fin de la période"));
        let digits = |t: &str| t.chars().filter(char::is_ascii_digit).collect::<String>();
        assert!(all.iter().any(|t| digits(t) == "170000"), "the closing balance, 1 700,00 €");
        // The age comes last, whole on its page.
        let last: Vec<&str> = pages.last().unwrap().texts();
        assert!(last.contains(&"Non échu") && last.contains(&"Crédit non affecté"), "{last:?}");
        assert!(write_pdf(&pages, &heading, None).unwrap().starts_with(b"%PDF"));
    }
}
