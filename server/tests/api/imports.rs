//! Imports of accounts, invoices and payments from CSV and XLSX files: a
//! file with a bad row writes nothing and names the row; a good one writes
//! all; the same file again changes nothing; on both databases.

use crate::helpers::{created, spawn_app, Session, TestApp, BACKENDS};
use crate::money::stored_balance;
use reqwest::StatusCode;
use serde_json::{json, Value};
use std::time::Duration;

pub(crate) async fn upload(s: &Session, kind: &str, name: &str, content: &[u8]) -> reqwest::Response {
    s.post_multipart("/api/imports/upload", &[("kind", kind)], &[("file", name, content)]).await
}

pub(crate) async fn detail(s: &Session, id: i64) -> Value {
    let res = s.post_form("/api/imports/detail", &[("id", &id.to_string())]).await;
    assert_eq!(res.status(), StatusCode::OK);
    res.json().await.unwrap()
}

/// The mapping the page shows (remembered or guessed), as the form posts it.
pub(crate) fn mapping_of(view: &Value) -> Vec<(String, String)> {
    view["mapping"]
        .as_object()
        .unwrap()
        .iter()
        .map(|(k, v)| (format!("map[{k}]"), v.as_u64().unwrap().to_string()))
        .collect()
}

async fn call(s: &Session, path: &str, id: i64, map: &[(String, String)]) -> reqwest::Response {
    let mut form: Vec<(&str, &str)> = map.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let id = id.to_string();
    form.push(("id", &id));
    s.post_form(path, &form).await
}

pub(crate) async fn preview(s: &Session, id: i64, map: &[(String, String)]) -> Value {
    let res = call(s, "/api/imports/preview", id, map).await;
    assert_eq!(res.status(), StatusCode::OK);
    res.json().await.unwrap()
}

/// Runs an import and waits for it to end; answers its final view.
pub(crate) async fn run(s: &Session, id: i64, map: &[(String, String)]) -> Value {
    created(call(s, "/api/imports/run", id, map).await).await;
    for _ in 0..300 {
        let v = detail(s, id).await;
        if v["summary"]["status"] != "running" {
            return v;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("import {id} still running");
}

/// Uploads, previews with the page's mapping, runs: the final view.
pub(crate) async fn import(s: &Session, kind: &str, name: &str, content: &[u8]) -> (Value, Value) {
    let (id, _) = created(upload(s, kind, name, content).await).await;
    let map = mapping_of(&detail(s, id).await);
    let checked = preview(s, id, &map).await;
    (checked, run(s, id, &map).await)
}

async fn count(app: &TestApp, sql: &str) -> i64 {
    app.count(sql).await
}

const INVOICES: &str = "N° facture;Code client;Date;Échéance;Total HT;TVA;Total TTC
2025-0101;A0003;15/10/2026;14/11/2026;1 000,00;200,00;1 200,00
2025-0102;A0003;20/10/2026;;500;100;600
2025-0103;A0001;01/11/2026;01/12/2026;100;20;120
";

/// A file with bad rows: each named, nothing written; fixed, all written
/// and posted; the same file again: nothing changes.
#[tokio::test]
async fn an_invoice_file_all_or_nothing_then_again() {
    for backend in BACKENDS {
        let Some(app) = spawn_app(backend).await else { continue };
        let acc = app.login("acc@test.example").await;
        let invoices_before = count(&app, "SELECT COUNT(*) FROM invoices").await;
        let bad = format!("{INVOICES}2025-0104;NOPE;31/02/2026;;10;2;12\n2025-0101;A0003;15/10/2026;;1;1;3\n");
        let (id, _) = created(upload(&acc, "invoices", "factures.csv", bad.as_bytes()).await).await;
        let view = detail(&acc, id).await;
        assert_eq!(view["headers"][0], "N° facture");
        let map = mapping_of(&view);
        let checked = preview(&acc, id, &map).await;
        let problems: Vec<(u64, String, String)> = checked["problems"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| {
                (p["row"].as_u64().unwrap(), p["field"].as_str().unwrap().into(), p["msg"].as_str().unwrap().into())
            })
            .collect();
        assert_eq!(
            problems,
            [
                (5, "account".into(), "UnknownAccount".into()),
                (5, "issue_date".into(), "InvalidDate".into()),
                (6, "total".into(), "TotalsDisagree".into()),
            ],
            "{checked}"
        );
        let done = run(&acc, id, &map).await;
        assert_eq!(done["summary"]["status"], "failed");
        assert_eq!(done["outcome"]["problem_count"], 3);
        assert_eq!(count(&app, "SELECT COUNT(*) FROM invoices").await, invoices_before, "nothing written");

        let (checked, done) = import(&acc, "invoices", "factures.csv", INVOICES.as_bytes()).await;
        assert_eq!((checked["created"].as_u64(), checked["problem_count"].as_u64()), (Some(3), Some(0)), "{checked}");
        assert_eq!(done["summary"]["status"], "done", "{done}");
        let id_of = |n: &str| format!("SELECT id FROM invoices WHERE number = '{n}'");
        let first = count(&app, &id_of("2025-0101")).await;
        assert_eq!(stored_balance(&app, first).await, 120_000);
        // Without a due date: the account's terms from the issue date.
        let second = count(&app, &id_of("2025-0102")).await;
        assert_eq!(
            crate::money::text(&app, &format!("SELECT CAST(due_date AS TEXT) FROM invoices WHERE id = {second}")).await,
            "2026-11-19"
        );
        // Posted on the day each was issued, traced to its import.
        assert_eq!(
            crate::money::text(
                &app,
                &format!("SELECT CAST(occurred_on AS TEXT) FROM ledger_entries WHERE invoice_id = {first} AND kind = 'invoice'")
            )
            .await,
            "2026-10-15"
        );
        assert_eq!(count(&app, "SELECT COUNT(*) FROM invoices WHERE import_id IS NOT NULL").await, 3);

        // Again: nothing new, nothing changed.
        let entries = count(&app, "SELECT COUNT(*) FROM ledger_entries").await;
        let (checked, done) = import(&acc, "invoices", "factures.csv", INVOICES.as_bytes()).await;
        assert_eq!((checked["created"].as_u64(), checked["unchanged"].as_u64()), (Some(0), Some(3)), "{checked}");
        assert_eq!(done["summary"]["status"], "done");
        assert_eq!(count(&app, "SELECT COUNT(*) FROM ledger_entries").await, entries);
        // The same number with another total is refused: issued invoices do not change.
        let changed = INVOICES.replace("500;100;600", "500;101;601").replace("100;20;120", "101;20;121");
        let (id, _) = created(upload(&acc, "invoices", "factures.csv", changed.as_bytes()).await).await;
        let checked = preview(&acc, id, &map).await;
        assert_eq!(checked["problem_count"], 2, "{checked}");
        assert_eq!(checked["problems"][0]["msg"], "InvoiceDiffers");
        app.verify_ledger().await;
        app.finish().await;
    }
}

/// Line files (one row per line, XLSX), and the totals they must add up to.
#[tokio::test]
async fn an_xlsx_file_of_invoice_lines() {
    for backend in BACKENDS {
        let Some(app) = spawn_app(backend).await else { continue };
        let owner = app.login("owner@test.example").await;
        let mut book = rust_xlsxwriter::Workbook::new();
        let sheet = book.add_worksheet();
        let rows: [[&str; 6]; 4] = [
            ["Numéro", "Client", "Date", "Désignation", "Quantité", "Prix unitaire"],
            ["L-1", "A0003", "", "Conseil", "", ""],
            ["L-1", "A0003", "", "Déplacement", "", ""],
            ["L-2", "A0003", "", "Formation", "", ""],
        ];
        for (r, row) in rows.iter().enumerate() {
            for (c, v) in row.iter().enumerate() {
                sheet.write_string(r as u32, c as u16, *v).unwrap();
            }
        }
        sheet.write_string(0, 6, "Taux TVA").unwrap();
        let date = rust_xlsxwriter::ExcelDateTime::from_ymd(2026, 11, 3).unwrap();
        let format = rust_xlsxwriter::Format::new().set_num_format("dd/mm/yyyy");
        for (r, (qty, price, vat)) in [(2.5, 80.0, 20.0), (1.0, 45.9, 10.0), (1.0, 300.0, 5.5)].iter().enumerate() {
            let r = r as u32 + 1;
            sheet.write_datetime_with_format(r, 2, &date, &format).unwrap();
            sheet.write_number(r, 4, *qty).unwrap();
            sheet.write_number(r, 5, *price).unwrap();
            sheet.write_number(r, 6, *vat).unwrap();
        }
        let bytes = book.save_to_buffer().unwrap();
        let (checked, done) = import(&owner, "invoices", "lignes.xlsx", &bytes).await;
        assert_eq!(checked["created"], 2, "{checked}");
        assert_eq!(done["summary"]["status"], "done", "{done}");
        // L-1: 200.00 + 20 % and 45.90 + 10 %: 240.00 + 50.49 = 290.49.
        let l1 = app.count("SELECT id FROM invoices WHERE number = 'L-1'").await;
        assert_eq!(stored_balance(&app, l1).await, 29_049);
        assert_eq!(app.count(&format!("SELECT COUNT(*) FROM invoice_lines WHERE invoice_id = {l1}")).await, 2);
        let l2 = app.count("SELECT id FROM invoices WHERE number = 'L-2'").await;
        assert_eq!(stored_balance(&app, l2).await, 31_650);
        app.verify_ledger().await;
        app.finish().await;
    }
}

/// Accounts: created, then a newer file updates what changed and adds
/// what is new; the mapping chosen is remembered for the next file.
#[tokio::test]
async fn an_account_file_then_a_newer_one() {
    for backend in BACKENDS {
        let Some(app) = spawn_app(backend).await else { continue };
        let acc = app.login("acc@test.example").await;
        let file = "Identifiant;Raison sociale;SIREN;E-mail;Ville;Divers
EXT-1;Delta Logistique SAS;732 829 320;compta@delta.example;Lyon;x
EXT-2;Echo Bâtiment SARL;;factures@echo.example;Nantes;y
";
        let (id, _) = created(upload(&acc, "accounts", "clients.csv", file.as_bytes()).await).await;
        let mut map = mapping_of(&detail(&acc, id).await);
        assert!(map.contains(&("map[external_id]".into(), "0".into())), "{map:?}");
        // The user maps "Divers" to the notes.
        map.push(("map[notes]".into(), "5".into()));
        let checked = preview(&acc, id, &map).await;
        assert_eq!(checked["created"], 2, "{checked}");
        let done = run(&acc, id, &map).await;
        assert_eq!(done["summary"]["status"], "done", "{done}");
        assert_eq!(app.count("SELECT COUNT(*) FROM accounts WHERE external_id IN ('EXT-1', 'EXT-2')").await, 2);
        assert_eq!(crate::money::text(&app, "SELECT notes FROM accounts WHERE external_id = 'EXT-1'").await, "x");

        let newer = format!("{}EXT-3;Fox Conseil;;hello@fox.example;Paris;z\n", file.replace("Lyon", "Villeurbanne"));
        let (id, _) = created(upload(&acc, "accounts", "clients.csv", newer.as_bytes()).await).await;
        let view = detail(&acc, id).await;
        assert_eq!(view["mapping"]["notes"], 5, "the mapping is remembered: {view}");
        let map = mapping_of(&view);
        let checked = preview(&acc, id, &map).await;
        assert_eq!(
            (checked["created"].as_u64(), checked["updated"].as_u64(), checked["unchanged"].as_u64()),
            (Some(1), Some(1), Some(1)),
            "{checked}"
        );
        run(&acc, id, &map).await;
        assert_eq!(
            crate::money::text(&app, "SELECT city FROM accounts WHERE external_id = 'EXT-1'").await,
            "Villeurbanne"
        );
        assert_eq!(app.count("SELECT COUNT(*) FROM accounts WHERE external_id LIKE 'EXT-%'").await, 3);
        // A bad SIREN is named on its row, in the reader's language (the message key).
        let bad = "Identifiant;Raison sociale;SIREN;E-mail\nEXT-9;Golf SA;123456788;a@golf.example\n";
        let (id, _) = created(upload(&acc, "accounts", "bad.csv", bad.as_bytes()).await).await;
        let checked = preview(&acc, id, &mapping_of(&detail(&acc, id).await)).await;
        assert_eq!(checked["problems"][0], json!({ "row": 2, "field": "siren", "msg": "SirenInvalid" }), "{checked}");
        app.finish().await;
    }
}

/// Payments: allocated to the invoice named or oldest first; the same file
/// again records nothing.
#[tokio::test]
async fn a_payment_file_then_again() {
    for backend in BACKENDS {
        let Some(app) = spawn_app(backend).await else { continue };
        let acc = app.login("acc@test.example").await;
        import(&acc, "invoices", "factures.csv", INVOICES.as_bytes()).await;
        let day = |n: i64| (crate::helpers::today() - chrono::Duration::days(n)).format("%d/%m/%Y").to_string();
        let file = format!(
            "Client;Date;Montant;Mode;Référence;Facture\nA0003;{};600,00;Virement;VIR 88;2025-0102\nA0003;{};200,00;Chèque;CHQ 12;\n",
            day(2),
            day(1)
        );
        let (checked, done) = import(&acc, "payments", "releve.csv", file.as_bytes()).await;
        assert_eq!(checked["created"], 2, "{checked}");
        assert_eq!(done["summary"]["status"], "done", "{done}");
        let second = app.count("SELECT id FROM invoices WHERE number = '2025-0102'").await;
        let first = app.count("SELECT id FROM invoices WHERE number = '2025-0101'").await;
        assert_eq!(stored_balance(&app, second).await, 0);
        assert_eq!(stored_balance(&app, first).await, 100_000, "the cheque went to the oldest");
        let payments = app.count("SELECT COUNT(*) FROM payments").await;
        let (checked, _) = import(&acc, "payments", "releve.csv", file.as_bytes()).await;
        assert_eq!((checked["created"].as_u64(), checked["unchanged"].as_u64()), (Some(0), Some(2)), "{checked}");
        assert_eq!(app.count("SELECT COUNT(*) FROM payments").await, payments);
        app.verify_ledger().await;
        app.finish().await;
    }
}

/// Imports are the bookkeepers': collectors and clients reach none of it;
/// unreadable files are refused on their field.
#[tokio::test]
async fn who_imports_and_what_files() {
    for backend in BACKENDS {
        let Some(app) = spawn_app(backend).await else { continue };
        for who in ["c1@test.example", "client1@test.example"] {
            let s = app.login(who).await;
            assert_eq!(
                upload(&s, "invoices", "f.csv", INVOICES.as_bytes()).await.status(),
                StatusCode::FORBIDDEN,
                "{who}"
            );
            assert_eq!(s.post_form("/api/imports/list", &[]).await.status(), StatusCode::FORBIDDEN, "{who}");
        }
        let owner = app.login("owner@test.example").await;
        for content in [&b""[..], b"number;total\n", b"PK\x03\x04nope"] {
            let res = upload(&owner, "invoices", "f.csv", content).await;
            assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
        }
        assert_eq!(app.count("SELECT COUNT(*) FROM imports").await, 0);
        app.finish().await;
    }
}
