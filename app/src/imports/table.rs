//! A file's bytes as a header row and rows of text cells: CSV (`;`, `,`
//! or tab separated, UTF-8 with or without BOM, or Windows-1252 as older
//! French exports are) through the `csv` crate, XLSX (first sheet) through
//! `calamine`.

use crate::i18n::Msg;
use rust_decimal::prelude::FromPrimitive;
use rust_decimal::Decimal;

/// At most this many rows per file.
pub const MAX_ROWS: usize = 200_000;
/// At most this many bytes per file.
pub const MAX_BYTES: usize = 50 * 1024 * 1024;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Table {
    pub headers: Vec<String>,
    pub rows: Vec<Vec<String>>,
}

/// Reads a file; a refusal is the message to show.
pub fn read(bytes: &[u8]) -> Result<Table, Msg> {
    if bytes.len() > MAX_BYTES {
        return Err(Msg::FileTooLarge);
    }
    let mut all = if bytes.starts_with(b"PK\x03\x04") { read_xlsx(bytes)? } else { read_csv(bytes)? };
    // Trailing blank rows (a spreadsheet's formatting) are not rows.
    while all.last().is_some_and(|r| r.iter().all(|c| c.trim().is_empty())) {
        all.pop();
    }
    if all.is_empty() {
        return Err(Msg::FileEmpty);
    }
    let headers: Vec<String> = all.remove(0).into_iter().map(|h| h.trim().to_string()).collect();
    if headers.iter().all(|h| h.is_empty()) {
        return Err(Msg::FileUnreadable);
    }
    if all.is_empty() {
        return Err(Msg::FileEmpty);
    }
    if all.len() > MAX_ROWS {
        return Err(Msg::TooManyRows);
    }
    Ok(Table { headers, rows: all })
}

/// The header and the first `n` rows, for showing a file: a CSV is read
/// only that far (a spreadsheet is read whole: its cells are zipped XML).
pub fn head(bytes: &[u8], n: usize) -> Result<Table, Msg> {
    if bytes.starts_with(b"PK\x03\x04") {
        let mut t = read(bytes)?;
        t.rows.truncate(n);
        return Ok(t);
    }
    let mut rows = csv_rows(bytes, n + 1)?;
    if rows.is_empty() {
        return Err(Msg::FileEmpty);
    }
    let headers = rows.remove(0).into_iter().map(|h| h.trim().to_string()).collect();
    Ok(Table { headers, rows })
}

fn decode(bytes: &[u8]) -> String {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    match std::str::from_utf8(bytes) {
        Ok(s) => s.to_string(),
        Err(_) => encoding_rs::WINDOWS_1252.decode(bytes).0.into_owned(),
    }
}

/// The separator the header line uses most (outside quotes).
fn delimiter(text: &str) -> u8 {
    let first = text.lines().next().unwrap_or("");
    let mut quoted = false;
    let mut counts = [0usize; 3];
    for c in first.chars() {
        match c {
            '"' => quoted = !quoted,
            ';' if !quoted => counts[0] += 1,
            ',' if !quoted => counts[1] += 1,
            '\t' if !quoted => counts[2] += 1,
            _ => {}
        }
    }
    let best = (0..3).max_by_key(|&i| (counts[i], 3 - i)).unwrap_or(0);
    [b';', b',', b'\t'][best]
}

fn read_csv(bytes: &[u8]) -> Result<Vec<Vec<String>>, Msg> {
    csv_rows(bytes, MAX_ROWS + 2)
}

/// At most `limit` records (one past the row cap tells a file too long).
fn csv_rows(bytes: &[u8], limit: usize) -> Result<Vec<Vec<String>>, Msg> {
    let text = decode(bytes);
    if text.contains('\0') {
        return Err(Msg::FileUnreadable);
    }
    let mut reader = csv::ReaderBuilder::new()
        .delimiter(delimiter(&text))
        .has_headers(false)
        .flexible(true)
        .from_reader(text.as_bytes());
    let mut rows = Vec::new();
    for record in reader.records() {
        let record = record.map_err(|_| Msg::FileUnreadable)?;
        rows.push(record.iter().map(str::to_string).collect());
        if rows.len() == limit {
            break;
        }
    }
    if rows.len() > MAX_ROWS + 1 {
        return Err(Msg::TooManyRows);
    }
    Ok(rows)
}

fn read_xlsx(bytes: &[u8]) -> Result<Vec<Vec<String>>, Msg> {
    use calamine::{Data, Reader};
    let mut book = calamine::Xlsx::new(std::io::Cursor::new(bytes)).map_err(|_| Msg::FileUnreadable)?;
    let range = book.worksheet_range_at(0).ok_or(Msg::FileEmpty)?.map_err(|_| Msg::FileUnreadable)?;
    if range.height() > MAX_ROWS + 1 {
        return Err(Msg::TooManyRows);
    }
    Ok(range
        .rows()
        .map(|row| {
            row.iter()
                .map(|cell| match cell {
                    Data::Empty | Data::Error(_) => String::new(),
                    Data::String(s) | Data::DateTimeIso(s) | Data::DurationIso(s) => s.clone(),
                    Data::Int(i) => i.to_string(),
                    Data::Float(f) => number(*f),
                    Data::Bool(b) => b.to_string(),
                    Data::DateTime(d) => d.as_datetime().map(|t| t.date().to_string()).unwrap_or_default(),
                })
                .collect()
        })
        .collect())
}

/// A spreadsheet number as the text it shows: Excel keeps binary floats,
/// so `0.1` is read back to six decimals (more than any amount or
/// quantity has) and written without trailing zeros. The float stops here.
fn number(f: f64) -> String {
    Decimal::from_f64(f).map(|d| d.round_dp(6).normalize().to_string()).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn semicolon_csv_in_windows_1252_with_quotes() {
        let bytes = b"Num\xe9ro;Client;Montant\r\n\"A;1\";Soci\xe9t\xe9 G\xe9n\xe9rale;\"1 200,50\"\r\n;;\r\n";
        let t = read(bytes).unwrap();
        assert_eq!(t.headers, ["Numéro", "Client", "Montant"]);
        assert_eq!(t.rows, [vec!["A;1", "Société Générale", "1 200,50"]]);
    }

    #[test]
    fn comma_csv_with_bom_and_ragged_rows() {
        let t = read("\u{feff}number,total\nF1,10\nF2\n".as_bytes()).unwrap();
        assert_eq!(t.headers, ["number", "total"]);
        assert_eq!(t.rows, [vec!["F1".to_string(), "10".into()], vec!["F2".to_string()]]);
    }

    #[test]
    fn the_head_of_a_file_is_its_first_rows() {
        let t = head(b"a;b\n1;2\n3;4\n5;6\n", 2).unwrap();
        assert_eq!(t.headers, ["a", "b"]);
        assert_eq!(t.rows, [vec!["1", "2"], vec!["3", "4"]]);
    }

    #[test]
    fn empty_and_binary_files_are_refused() {
        assert_eq!(read(b""), Err(Msg::FileEmpty));
        assert_eq!(read(b"number;total\n"), Err(Msg::FileEmpty));
        assert_eq!(read(b"PK\x03\x04garbage"), Err(Msg::FileUnreadable));
        assert_eq!(read(b"\0\0\0"), Err(Msg::FileUnreadable));
    }

    #[test]
    fn spreadsheet_numbers_lose_their_float_noise() {
        assert_eq!(number(0.1 + 0.2), "0.3");
        assert_eq!(number(1200.5), "1200.5");
        assert_eq!(number(42.0), "42");
    }

    #[test]
    fn an_xlsx_file_is_read() {
        let mut book = rust_xlsxwriter::Workbook::new();
        let sheet = book.add_worksheet();
        sheet.write_string(0, 0, "Numéro").unwrap();
        sheet.write_string(0, 1, "Total").unwrap();
        sheet.write_string(0, 2, "Date").unwrap();
        sheet.write_string(1, 0, "A-1").unwrap();
        sheet.write_number(1, 1, 1200.5).unwrap();
        let date = rust_xlsxwriter::ExcelDateTime::from_ymd(2026, 11, 30).unwrap();
        let format = rust_xlsxwriter::Format::new().set_num_format("dd/mm/yyyy");
        sheet.write_datetime_with_format(1, 2, &date, &format).unwrap();
        let bytes = book.save_to_buffer().unwrap();
        let t = read(&bytes).unwrap();
        assert_eq!(t.headers, ["Numéro", "Total", "Date"]);
        assert_eq!(t.rows, [vec!["A-1", "1200.5", "2026-11-30"]]);
    }
}
