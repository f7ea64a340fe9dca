//! Exports for the bookkeeper: the period's books as CSV and XLSX (read
//! back with a spreadsheet reader), the FEC (balanced entries, its 18
//! columns, ISO 8859-15), the invoice list with its screen's filter, who
//! may download what, and a file of several thousand rows streamed whole.

use crate::each_backend;
use crate::helpers::{csv_records as records, now, today, Session, TestApp};
use app::with_db;
use calamine::{DataType, Reader};
use reqwest::StatusCode;
use std::collections::HashMap;

async fn text(s: &Session, path: &str) -> String {
    let res = s.get(path).await;
    assert_eq!(res.status(), StatusCode::OK, "{path}");
    res.text().await.unwrap()
}

#[tokio::test]
async fn the_ledger_of_a_period_lists_its_entries_with_debit_and_credit() {
    each_backend!(|app| {
        let owner = app.login("owner@test.example").await;
        let from = today() - chrono::Days::new(60);
        let csv = text(&owner, &format!("/back/exports/ledger.csv?from={from}&to={}", today())).await;
        let rows = records(&csv);
        assert_eq!(rows[0][0], "N° d'écriture");
        let expected = app
            .count(&format!(
                "SELECT COUNT(*) FROM ledger_entries WHERE occurred_on >= '{from}' AND occurred_on <= '{}'",
                today()
            ))
            .await;
        assert_eq!(rows.len() as i64 - 1, expected, "{csv}");
        // T-0002: invoiced 500.00 sixty days ago, 200.00 paid five days later.
        let invoice = rows.iter().find(|r| r[4] == "T-0002" && r[6] == "500,00").expect("the invoice's entry");
        assert_eq!(invoice[7], "");
        let paid = rows.iter().find(|r| r[4] == "T-0002" && r[7] == "200,00").expect("the payment's entry");
        assert_eq!(paid[6], "");
        assert_eq!(paid[8], "EUR");
        // A period with nothing in it: the header alone.
        let empty = text(&owner, "/back/exports/ledger.csv?from=2020-01-01&to=2020-12-31").await;
        assert_eq!(records(&empty).len(), 1);
    });
}

#[tokio::test]
async fn the_invoices_issued_open_in_a_spreadsheet_reader_with_numbers_and_dates() {
    each_backend!(|app| {
        let owner = app.login("owner@test.example").await;
        let res = owner.get(&format!("/back/exports/invoices.xlsx?from=2026-01-01&to={}", today())).await;
        assert_eq!(res.status(), StatusCode::OK);
        let disposition = res.headers()["content-disposition"].to_str().unwrap().to_string();
        assert!(disposition.contains(&format!("factures-2026-01-01-{}.xlsx", today())), "{disposition}");
        let bytes = res.bytes().await.unwrap();
        let mut book: calamine::Xlsx<_> =
            calamine::open_workbook_from_rs(std::io::Cursor::new(bytes.to_vec())).unwrap();
        let sheet = book.worksheet_range_at(0).unwrap().unwrap();
        let rows: Vec<_> = sheet.rows().collect();
        assert_eq!(rows.len(), 1 + 4, "a header and the fixture's four invoices");
        let t2 = rows.iter().find(|r| r[0] == "T-0002").expect("T-0002");
        assert_eq!(t2[3].as_date(), Some(today() - chrono::Days::new(60)));
        assert_eq!(t2[8].get_float(), Some(500.0), "total");
        assert_eq!(t2[9].get_float(), Some(300.0), "still owed");
    });
}

/// A FEC line's fields.
fn fec_lines(bytes: &[u8]) -> Vec<Vec<String>> {
    let (text, _, bad) = encoding_rs::ISO_8859_15.decode(bytes);
    assert!(!bad);
    text.split("\r\n").filter(|l| !l.is_empty()).map(|l| l.split('\t').map(str::to_string).collect()).collect()
}

fn cents(s: &str) -> i64 {
    let (units, cents) = s.split_once(',').expect("a decimal comma");
    units.parse::<i64>().unwrap() * 100 + cents.parse::<i64>().unwrap()
}

#[tokio::test]
async fn the_fec_has_balanced_entries_in_its_eighteen_columns() {
    each_backend!(|app| {
        app.exec("UPDATE merchant SET siren = '732829320'").await.unwrap();
        let owner = app.login("owner@test.example").await;
        let res = owner.get(&format!("/back/exports/fec.txt?from=2026-01-01&to={}", today())).await;
        assert_eq!(res.status(), StatusCode::OK);
        let disposition = res.headers()["content-disposition"].to_str().unwrap().to_string();
        assert!(disposition.contains(&format!("732829320FEC{}.txt", today().format("%Y%m%d"))), "{disposition}");
        let bytes = res.bytes().await.unwrap();
        // ISO 8859-15: "é" is one byte.
        assert!(bytes.windows(2).any(|w| w == [b'V', b'E']));
        assert!(bytes.contains(&0xE9), "an é in ISO 8859-15");
        let lines = fec_lines(&bytes);
        assert_eq!(lines[0][0], "JournalCode");
        assert!(lines.iter().all(|l| l.len() == 18), "{lines:?}");
        // Every entry balances.
        let mut sums: HashMap<String, (i64, i64)> = HashMap::new();
        for l in &lines[1..] {
            let e = sums.entry(l[2].clone()).or_default();
            e.0 += cents(&l[11]);
            e.1 += cents(&l[12]);
            assert_eq!(l[3].len(), 8, "AAAAMMJJ: {l:?}");
        }
        assert!(!sums.is_empty());
        for (number, (debit, credit)) in &sums {
            assert_eq!(debit, credit, "entry {number}");
        }
        // T-0002: 411 debited 500.00 against sales and VAT collected.
        let piece: Vec<_> = lines.iter().filter(|l| l[8] == "T-0002").collect();
        let customer = piece.iter().find(|l| l[4] == "411000").expect("the customer's line");
        assert_eq!((customer[6].as_str(), customer[11].as_str()), ("A0001", "500,00"));
        assert_eq!(customer[0], "VE");
        let sales = piece.iter().find(|l| l[4] == "706000").expect("the sales line");
        let vat = piece.iter().find(|l| l[4] == "445710").expect("the VAT line");
        assert_eq!(cents(&sales[12]) + cents(&vat[12]), 50_000);
        // The payment on it: the bank.
        assert!(lines.iter().any(|l| l[0] == "BQ" && l[4] == "512000" && l[11] == "200,00"));
    });
}

#[tokio::test]
async fn the_invoice_list_exports_as_its_screen_filters_it() {
    each_backend!(|app| {
        let owner = app.login("owner@test.example").await;
        let rows = records(&text(&owner, "/back/invoices.csv?filter=overdue").await);
        let numbers: Vec<_> = rows[1..].iter().map(|r| r[0].clone()).collect();
        assert_eq!(numbers, ["T-0002"]);
        let rows = records(&text(&owner, "/back/invoices.csv?filter=all&sort=number").await);
        assert_eq!(rows.len(), 1 + 4);
        // A collector's list is theirs: account 1's invoices only.
        let collector = app.login("c1@test.example").await;
        let csv = text(&collector, "/back/invoices.csv?filter=all").await;
        assert!(csv.contains("T-0001") && !csv.contains("T-0004"), "{csv}");
        // The same list in Excel.
        let bytes = collector.get("/back/invoices.xlsx?filter=all").await.bytes().await.unwrap();
        let mut book: calamine::Xlsx<_> =
            calamine::open_workbook_from_rs(std::io::Cursor::new(bytes.to_vec())).unwrap();
        assert_eq!(book.worksheet_range_at(0).unwrap().unwrap().rows().count(), 1 + 3);
    });
}

#[tokio::test]
async fn only_the_bookkeepers_download_the_books_and_a_bad_period_is_refused() {
    each_backend!(|app| {
        let collector = app.login("c1@test.example").await;
        assert_eq!(collector.get("/back/exports/ledger.csv").await.status(), StatusCode::FORBIDDEN);
        assert_eq!(collector.get("/back/exports/fec.txt").await.status(), StatusCode::FORBIDDEN);
        let client = app.login("client1@test.example").await;
        assert_eq!(client.get("/back/exports/ledger.csv").await.status(), StatusCode::FORBIDDEN);
        assert_eq!(client.get("/back/invoices.csv").await.status(), StatusCode::FORBIDDEN);
        let accountant = app.login("acc@test.example").await;
        assert_eq!(accountant.get("/back/exports/credit-notes.csv").await.status(), StatusCode::OK);
        let res = accountant.get("/back/exports/ledger.csv?from=2026-11-01&to=2026-10-01").await;
        assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
        let res = accountant.get("/back/exports/ledger.csv?from=01/11/2026").await;
        assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(accountant.get("/back/exports/ledger.pdf").await.status(), StatusCode::NOT_FOUND);
        assert_eq!(accountant.get("/back/exports/secrets.csv").await.status(), StatusCode::NOT_FOUND);
    });
}

/// Thousands of entries for account 3, to cross the writer's batches.
async fn many_entries(app: &TestApp, n: i64) {
    let account = app.fx.account3;
    let now = now();
    with_db!(&app.db, |pool| {
        async {
            for i in 0..n {
                let id: i64 = sqlx::query_scalar(
                    "INSERT INTO invoices (account_id, number, issue_date, due_date, currency, subtotal_minor, tax_minor,
                         total_minor, status, created_at)
                     VALUES ($1, $2, $3, $3, 'EUR', 1000, 200, 1200, 'issued', $4) RETURNING id",
                )
                .bind(account)
                .bind(format!("M-{i:05}"))
                .bind(today() - chrono::Days::new((i % 30) as u64))
                .bind(now)
                .fetch_one(pool)
                .await?;
                sqlx::query(
                    "INSERT INTO ledger_entries (account_id, invoice_id, kind, amount_minor, currency, occurred_on, reference, created_at)
                     VALUES ($1, $2, 'invoice', 1200, 'EUR', $3, $4, $5)",
                )
                .bind(account)
                .bind(id)
                .bind(today() - chrono::Days::new((i % 30) as u64))
                .bind(format!("M-{i:05}"))
                .bind(now)
                .execute(pool)
                .await?;
            }
            Ok::<_, sqlx::Error>(())
        }
        .await
    })
    .unwrap();
    app::ledger::balances::rebuild(&app.db, today()).await.unwrap();
}

#[tokio::test]
async fn thousands_of_rows_stream_whole() {
    each_backend!(|app| {
        many_entries(&app, 2_500).await;
        let owner = app.login("owner@test.example").await;
        let period = format!("from={}&to={}", today() - chrono::Days::new(40), today());
        let rows = records(&text(&owner, &format!("/back/exports/invoices.csv?{period}")).await);
        assert_eq!(rows.len(), 1 + 2_500 + 2, "every M- invoice, and T-0001 and T-0004, within 40 days");
        let bytes = owner.get(&format!("/back/exports/invoices.xlsx?{period}")).await.bytes().await.unwrap();
        let mut book: calamine::Xlsx<_> =
            calamine::open_workbook_from_rs(std::io::Cursor::new(bytes.to_vec())).unwrap();
        let sheet = book.worksheet_range_at(0).unwrap().unwrap();
        assert_eq!(sheet.rows().count(), rows.len());
        let fec = owner.get(&format!("/back/exports/fec.txt?{period}")).await.bytes().await.unwrap();
        let lines = fec_lines(&fec);
        let m = lines.iter().filter(|l| l[8].starts_with("M-")).count();
        assert_eq!(m, 2_500 * 3, "a customer, a sales and a VAT line each");
    });
}
