//! The aging report as files for the bookkeeper: CSV (UTF-8 with a
//! byte-order mark; `;` and decimal commas in French, `,` and points in
//! English, as each locale's spreadsheets open it) and XLSX with real
//! number and date cells. Amounts are in major units, each row with its
//! currency in a column of its own: rows in two currencies are never added.

use super::{AgingReport, AgingRow, Bucket, RowKey};
use crate::backoffice::segment_msg;
use crate::domain::{Locale, Money};
use crate::error::{AppError, AppResult};
use crate::exports::stream::plain;
use crate::i18n::Msg;
use chrono::Datelike;
use rust_decimal::prelude::ToPrimitive;
use rust_xlsxwriter::{ExcelDateTime, Format, Workbook};

/// The columns after the row's name: currency, the six buckets, total,
/// promised, disputed, credit, invoices.
fn headings(report: &AgingReport, locale: Locale) -> Vec<String> {
    let text = |m: Msg| m.text(locale).to_string();
    let mut head = vec![text(report.filter.group.msg())];
    if report.filter.group == super::GroupBy::Account {
        head.insert(0, text(Msg::Code));
    }
    head.push(text(Msg::Currency));
    head.extend(Bucket::ALL.iter().map(|b| text(b.msg())));
    head.extend([Msg::AgingTotal, Msg::Promised, Msg::Disputed, Msg::UnappliedCredit, Msg::InvoiceCount].map(text));
    head
}

/// The row's name cells (code and name for an account).
fn names(row: &AgingRow, locale: Locale) -> Vec<String> {
    match &row.key {
        RowKey::Account { code, name, .. } => vec![code.clone(), name.clone()],
        RowKey::Segment(s) => vec![segment_msg(*s).text(locale).to_string()],
        RowKey::Collector(Some((_, name))) => vec![name.clone()],
        RowKey::Collector(None) => vec![Msg::Unassigned.text(locale).to_string()],
        RowKey::Currency => vec![Msg::AgingTotal.text(locale).to_string()],
    }
}

fn amounts(row: &AgingRow) -> Vec<Money> {
    let mut amounts = row.buckets.clone();
    amounts.extend([row.total, row.promised, row.disputed, row.credit]);
    amounts
}

/// Every row, then the totals (one per currency).
pub fn csv(report: &AgingReport, locale: Locale) -> AppResult<Vec<u8>> {
    let mut out = Vec::from("\u{feff}".as_bytes());
    {
        let delimiter = match locale {
            Locale::Fr => b';',
            Locale::En => b',',
        };
        let mut w = csv::WriterBuilder::new().delimiter(delimiter).flexible(true).from_writer(&mut out);
        w.write_record([Msg::AgingAsOf.text(locale).to_string(), report.as_of.to_string()])
            .map_err(AppError::internal)?;
        w.write_record(headings(report, locale)).map_err(AppError::internal)?;
        let account = report.filter.group == super::GroupBy::Account;
        for row in report.rows.iter().chain(&report.totals) {
            let mut record = names(row, locale);
            if account && record.len() == 1 {
                record.insert(0, String::new());
            }
            record.push(row.currency.code().to_string());
            record.extend(amounts(row).into_iter().map(|m| plain(m, locale)));
            record.push(row.invoices.to_string());
            w.write_record(record).map_err(AppError::internal)?;
        }
        w.flush().map_err(AppError::internal)?;
    }
    Ok(out)
}

/// The same as a workbook: a title with the day as a date cell, a header
/// row, the rows and the totals as numbers in each currency's format.
pub fn xlsx(report: &AgingReport, locale: Locale) -> AppResult<Vec<u8>> {
    let mut book = Workbook::new();
    let sheet = book.add_worksheet();
    let err = |e: rust_xlsxwriter::XlsxError| AppError::internal(anyhow::anyhow!(e));
    sheet.set_name(Msg::AgingTitle.text(locale).chars().take(31).collect::<String>()).map_err(err)?;
    let bold = Format::new().set_bold();
    let date = Format::new().set_num_format("yyyy-mm-dd");
    sheet.write_string_with_format(0, 0, Msg::AgingAsOf.text(locale), &bold).map_err(err)?;
    let year = u16::try_from(report.as_of.year()).map_err(AppError::internal)?;
    let day = ExcelDateTime::from_ymd(year, report.as_of.month() as u8, report.as_of.day() as u8).map_err(err)?;
    sheet.write_datetime_with_format(0, 1, &day, &date).map_err(err)?;
    for (col, head) in headings(report, locale).iter().enumerate() {
        sheet.write_string_with_format(2, col as u16, head, &bold).map_err(err)?;
    }
    let account = report.filter.group == super::GroupBy::Account;
    for (i, row) in report.rows.iter().chain(&report.totals).enumerate() {
        let r = 3 + i as u32;
        let is_total = matches!(row.key, RowKey::Currency) && report.filter.group != super::GroupBy::Currency;
        let mut names = names(row, locale);
        if account && names.len() == 1 {
            names.insert(0, String::new());
        }
        let mut col = 0u16;
        for name in names {
            if is_total {
                sheet.write_string_with_format(r, col, name, &bold).map_err(err)?;
            } else {
                sheet.write_string(r, col, name).map_err(err)?;
            }
            col += 1;
        }
        sheet.write_string(r, col, row.currency.code()).map_err(err)?;
        col += 1;
        let decimals = row.currency.exponent() as usize;
        let pattern = if decimals == 0 { "#,##0".to_string() } else { format!("#,##0.{}", "0".repeat(decimals)) };
        let number = if is_total {
            Format::new().set_num_format(&pattern).set_bold()
        } else {
            Format::new().set_num_format(&pattern)
        };
        for m in amounts(row) {
            let value = m.to_decimal().to_f64().ok_or_else(|| AppError::internal(anyhow::anyhow!("amount {m:?}")))?;
            sheet.write_number_with_format(r, col, value, &number).map_err(err)?;
            col += 1;
        }
        sheet.write_number(r, col, row.invoices as f64).map_err(err)?;
    }
    sheet.autofit();
    book.save_to_buffer().map_err(err)
}
