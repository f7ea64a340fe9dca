//! A query's rows as a file, written while they are read: CSV, or XLSX in
//! rust_xlsxwriter's constant-memory mode. A million rows export without
//! being held in memory: the reader sends rows through a bounded channel,
//! so a slow download slows the query rather than filling the heap.
//!
//! CSV is UTF-8 with a byte-order mark; French files use `;` and decimal
//! commas, English ones `,` and points, as each locale's spreadsheets open
//! them. XLSX cells are real numbers (amounts in major units, formatted to
//! their currency's decimals) and real dates.
//!
//! An error once the download has started can only cut it short: the
//! stream then ends with an error (the browser reports a failed download)
//! and the cause is logged.

use crate::db::{Args, Db};
use crate::domain::{Currency, Locale, Money};
use crate::error::AppError;
use crate::{bind_args, with_db};
use actix_web::web::Bytes;
use chrono::{Datelike, NaiveDate};
use futures::{Stream, TryStreamExt};
use rust_decimal::prelude::ToPrimitive;
use tokio::sync::mpsc;

/// Bytes sent to the client at a time.
const CHUNK: usize = 64 * 1024;
/// Rows handed to the workbook's writer at a time.
const BATCH: usize = 1_000;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    Csv,
    Xlsx,
    /// The French *fichier des écritures comptables*: tab-separated text in
    /// ISO 8859-15, a header line, decimal commas, dates as `AAAAMMJJ`.
    Fec,
}

impl Format {
    /// From a path's extension (`csv`, `xlsx`).
    pub fn parse(ext: &str) -> Option<Format> {
        match ext {
            "csv" => Some(Format::Csv),
            "xlsx" => Some(Format::Xlsx),
            _ => None,
        }
    }

    pub fn extension(self) -> &'static str {
        match self {
            Format::Csv => "csv",
            Format::Xlsx => "xlsx",
            Format::Fec => "txt",
        }
    }

    pub fn content_type(self) -> &'static str {
        match self {
            Format::Csv => "text/csv; charset=utf-8",
            Format::Xlsx => "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            Format::Fec => "text/plain; charset=iso-8859-15",
        }
    }
}

/// One cell of a row.
#[derive(Clone, Debug, PartialEq)]
pub enum Cell {
    Text(String),
    Date(NaiveDate),
    Money(Money),
    Int(i64),
    Empty,
}

impl Cell {
    pub fn opt_text(s: Option<String>) -> Cell {
        s.map(Cell::Text).unwrap_or(Cell::Empty)
    }

    fn csv(&self, locale: Locale, fec: bool) -> String {
        match self {
            // The FEC's fields hold no tab or line break.
            Cell::Text(s) if fec => s.replace(['\t', '\n', '\r'], " "),
            Cell::Text(s) => s.clone(),
            Cell::Date(d) if fec => d.format("%Y%m%d").to_string(),
            Cell::Date(d) => d.to_string(),
            Cell::Money(m) => plain(*m, locale),
            Cell::Int(n) => n.to_string(),
            Cell::Empty => String::new(),
        }
    }
}

/// An amount as a spreadsheet reads a number: no symbol, no grouping.
pub fn plain(m: Money, locale: Locale) -> String {
    let text = m.to_decimal().to_string();
    match locale {
        Locale::Fr => text.replace('.', ","),
        Locale::En => text,
    }
}

/// What a file holds besides its rows.
#[derive(Clone, Debug)]
pub struct Sheet {
    /// The worksheet's name (at most 31 characters are kept).
    pub name: String,
    pub headings: Vec<String>,
    pub format: Format,
    pub locale: Locale,
}

/// The file's bytes, as they are written.
pub type FileStream = std::pin::Pin<Box<dyn Stream<Item = Result<Bytes, std::io::Error>> + Send>>;

fn failed(what: &str, e: impl std::fmt::Debug) -> std::io::Error {
    tracing::error!(error = ?e, "export failed while {what}");
    std::io::Error::other("the export failed")
}

/// A row a query reads on either backend and sends to the writer.
pub trait ExportRow:
    for<'r> sqlx::FromRow<'r, sqlx::sqlite::SqliteRow>
    + for<'r> sqlx::FromRow<'r, sqlx::postgres::PgRow>
    + Send
    + Unpin
    + 'static
{
}

impl<R> ExportRow for R where
    R: for<'r> sqlx::FromRow<'r, sqlx::sqlite::SqliteRow>
        + for<'r> sqlx::FromRow<'r, sqlx::postgres::PgRow>
        + Send
        + Unpin
        + 'static
{
}

/// Runs `sql` and streams its rows, each turned into one line of cells by
/// `cells`, as the sheet's format.
pub fn rows<R, F>(db: Db, sql: String, args: Args, sheet: Sheet, cells: F) -> FileStream
where
    R: ExportRow,
    F: Fn(R) -> Result<Vec<Cell>, AppError> + Send + Sync + 'static,
{
    lines(db, sql, args, sheet, move |row: Option<R>| Ok(row.map(&cells).transpose()?.into_iter().collect()))
}

/// As `rows`, for a file whose lines are not one per row: `lines` gets
/// each row in turn, then `None` once they are all read, and returns the
/// lines to write so far (the FEC writes an entry's lines once it has read
/// all of its rows).
pub fn lines<R, F>(db: Db, sql: String, args: Args, sheet: Sheet, mut lines: F) -> FileStream
where
    R: ExportRow,
    F: FnMut(Option<R>) -> Result<Vec<Vec<Cell>>, AppError> + Send + 'static,
{
    let (rows_tx, rows_rx) = mpsc::channel::<Result<Vec<Vec<Cell>>, std::io::Error>>(4);
    tokio::spawn(async move {
        let read = with_db!(&db, |pool| {
            async {
                let mut stream = bind_args!(sqlx::query_as::<_, R>(&sql), args).fetch(pool);
                let mut batch = Vec::with_capacity(BATCH);
                while let Some(row) = stream.try_next().await.map_err(|e| failed("reading", e))? {
                    batch.extend(lines(Some(row)).map_err(|e| failed("converting", e))?);
                    if batch.len() >= BATCH && rows_tx.send(Ok(std::mem::take(&mut batch))).await.is_err() {
                        // The download was abandoned: stop reading.
                        return Ok(());
                    }
                }
                batch.extend(lines(None).map_err(|e| failed("converting", e))?);
                if !batch.is_empty() {
                    let _ = rows_tx.send(Ok(batch)).await;
                }
                Ok::<_, std::io::Error>(())
            }
            .await
        });
        if let Err(e) = read {
            let _ = rows_tx.send(Err(e)).await;
        }
    });
    match sheet.format {
        Format::Csv | Format::Fec => csv(sheet, rows_rx),
        Format::Xlsx => xlsx(sheet, rows_rx),
    }
}

fn receiver_stream<T: Send + 'static>(
    rx: mpsc::Receiver<Result<T, std::io::Error>>,
) -> impl Stream<Item = Result<T, std::io::Error>> {
    futures::stream::unfold(rx, |mut rx| async move { rx.recv().await.map(|item| (item, rx)) })
}

/// CSV (or the FEC's text), written in the reader's stream as batches
/// arrive.
fn csv(sheet: Sheet, rows: mpsc::Receiver<Result<Vec<Vec<Cell>>, std::io::Error>>) -> FileStream {
    let fec = sheet.format == Format::Fec;
    let locale = if fec { Locale::Fr } else { sheet.locale };
    let delimiter = match (fec, locale) {
        (true, _) => b'\t',
        (false, Locale::Fr) => b';',
        (false, Locale::En) => b',',
    };
    let writer = move || {
        let mut b = ::csv::WriterBuilder::new();
        b.delimiter(delimiter).has_headers(false);
        if fec {
            b.quote_style(::csv::QuoteStyle::Never).terminator(::csv::Terminator::CRLF);
        }
        b.from_writer(Vec::with_capacity(CHUNK))
    };
    // FEC: ISO 8859-15, as the tax administration reads it.
    let encode = move |bytes: Vec<u8>| -> Bytes {
        if fec {
            let text = String::from_utf8_lossy(&bytes);
            Bytes::from(encoding_rs::ISO_8859_15.encode(&text).0.into_owned())
        } else {
            Bytes::from(bytes)
        }
    };
    let mut w = writer();
    let _ = w.write_record(&sheet.headings);
    let mut head = if fec { Vec::new() } else { Vec::from("\u{feff}".as_bytes()) };
    head.extend(w.into_inner().unwrap_or_default());
    let head = encode(head);
    let body = futures::StreamExt::map(receiver_stream(rows), move |batch| {
        let batch = batch?;
        let mut w = writer();
        for row in batch {
            w.write_record(row.iter().map(|c| c.csv(locale, fec))).map_err(|e| failed("writing CSV", e))?;
        }
        let bytes = w.into_inner().map_err(|e| failed("writing CSV", e.to_string()))?;
        Ok(encode(bytes))
    });
    Box::pin(futures::StreamExt::chain(futures::stream::once(async move { Ok(head) }), body))
}

/// XLSX: a worker thread writes the rows into a constant-memory worksheet
/// (its rows go to a temporary file as they are completed), saves the
/// workbook to a temporary file and sends it in chunks.
fn xlsx(sheet: Sheet, mut rows: mpsc::Receiver<Result<Vec<Vec<Cell>>, std::io::Error>>) -> FileStream {
    let (tx, rx) = mpsc::channel::<Result<Bytes, std::io::Error>>(4);
    tokio::task::spawn_blocking(move || {
        let result = (|| -> Result<(), std::io::Error> {
            use rust_xlsxwriter::{ExcelDateTime, Format as CellFormat, Workbook};
            let err = |e: rust_xlsxwriter::XlsxError| failed("writing XLSX", e);
            let mut book = Workbook::new();
            book.set_tempdir(std::env::temp_dir()).map_err(err)?;
            let ws = book.add_worksheet_with_constant_memory().map_err(err)?;
            ws.set_name(sheet.name.chars().take(31).collect::<String>()).map_err(err)?;
            let bold = CellFormat::new().set_bold();
            let date = CellFormat::new().set_num_format("yyyy-mm-dd");
            let amounts = [0, 1, 2, 3].map(|decimals| {
                let pattern =
                    if decimals == 0 { "#,##0".to_string() } else { format!("#,##0.{}", "0".repeat(decimals)) };
                CellFormat::new().set_num_format(pattern)
            });
            for (col, head) in sheet.headings.iter().enumerate() {
                ws.write_string_with_format(0, col as u16, head, &bold).map_err(err)?;
            }
            let mut r: u32 = 1;
            while let Some(batch) = rows.blocking_recv() {
                for row in batch? {
                    for (col, cell) in row.into_iter().enumerate() {
                        let col = col as u16;
                        match cell {
                            Cell::Text(s) => {
                                ws.write_string(r, col, s).map_err(err)?;
                            }
                            Cell::Date(d) => {
                                let year = u16::try_from(d.year()).map_err(|e| failed("writing a date", e))?;
                                let day = ExcelDateTime::from_ymd(year, d.month() as u8, d.day() as u8).map_err(err)?;
                                ws.write_datetime_with_format(r, col, &day, &date).map_err(err)?;
                            }
                            Cell::Money(m) => {
                                let value = m.to_decimal().to_f64().ok_or_else(|| failed("converting", m))?;
                                let decimals = (m.currency.exponent() as usize).min(3);
                                ws.write_number_with_format(r, col, value, &amounts[decimals]).map_err(err)?;
                            }
                            Cell::Int(n) => {
                                ws.write_number(r, col, n as f64).map_err(err)?;
                            }
                            Cell::Empty => {}
                        }
                    }
                    r += 1;
                }
            }
            let file = tempfile::NamedTempFile::new().map_err(|e| failed("creating the file", e))?;
            book.save(file.path()).map_err(err)?;
            let mut reader = std::io::BufReader::new(file.reopen().map_err(|e| failed("reading the file", e))?);
            loop {
                let mut chunk = vec![0u8; CHUNK];
                let n = std::io::Read::read(&mut reader, &mut chunk).map_err(|e| failed("reading the file", e))?;
                if n == 0 {
                    return Ok(());
                }
                chunk.truncate(n);
                if tx.blocking_send(Ok(Bytes::from(chunk))).is_err() {
                    return Ok(());
                }
            }
        })();
        if let Err(e) = result {
            let _ = tx.blocking_send(Err(e));
        }
    });
    Box::pin(receiver_stream(rx))
}

/// A currency's amount, from a row's minor units and ISO code.
pub fn money(minor: i64, currency: &str) -> Result<Money, AppError> {
    let currency =
        Currency::parse(currency).map_err(|_| AppError::internal(anyhow::anyhow!("currency {currency:?}")))?;
    Ok(Money::new(minor, currency))
}
