//! Credit notes as EN 16931 e-invoices (type 381): the VAT they take back
//! per rate, written out in UBL, CII and Factur-X naming the invoice they
//! correct, and read back in from files onto that invoice.

use crate::einvoice_imports::{issued_with_identifiers, replaced};
use crate::helpers::{body_contains, created, spawn_app, Session, BACKENDS};
use crate::imports::{detail, mapping_of, preview, run};
use crate::money::stored_balance;
use app::einvoice::{self, DocKind, EInvoice};
use reqwest::StatusCode;
use serde_json::Value;

async fn credit(s: &Session, invoice: i64, amount: &str, reason: &str) -> i64 {
    let res = s
        .post_form(
            "/api/invoicing/credit",
            &[("invoice_id", &invoice.to_string()), ("amount", amount), ("reason", reason)],
        )
        .await;
    created(res).await.0
}

async fn download(s: &Session, path: &str) -> Vec<u8> {
    let res = s.get(path).await;
    assert_eq!(res.status(), StatusCode::OK, "{path}");
    res.bytes().await.unwrap().to_vec()
}

fn read(bytes: &[u8]) -> EInvoice {
    let text = if einvoice::facturx::is_pdf(bytes) {
        einvoice::facturx::embedded_xml(bytes).unwrap()
    } else {
        String::from_utf8(bytes.to_vec()).unwrap()
    };
    einvoice::read_any(&text).unwrap_or_else(|e| panic!("{e}\n{text}"))
}

/// (VAT category, base, VAT) of a document's breakdown.
fn groups(doc: &EInvoice) -> Vec<(String, i64, i64)> {
    doc.vat.iter().map(|g| (g.vat.as_str().to_string(), g.base_minor, g.tax_minor)).collect()
}

async fn import(s: &Session, files: &[(&str, &[u8])]) -> (i64, Value, Vec<(String, String)>) {
    let parts: Vec<(&str, &str, &[u8])> = files.iter().map(|(name, bytes)| ("file", *name, *bytes)).collect();
    let (id, _) = created(s.post_multipart("/api/imports/upload", &[("kind", "einvoices")], &parts).await).await;
    let map = mapping_of(&detail(s, id).await);
    let checked = preview(s, id, &map).await;
    (id, checked, map)
}

fn problem_msgs(outcome: &Value) -> Vec<String> {
    outcome["problems"].as_array().unwrap().iter().map(|p| p["msg"].as_str().unwrap().to_string()).collect()
}

#[tokio::test]
async fn credit_notes_travel_as_e_invoices_and_import_onto_their_invoice() {
    for backend in BACKENDS {
        let Some(app) = spawn_app(backend).await else { continue };
        let owner = app.login("owner@test.example").await;
        let (invoice, number) = issued_with_identifiers(&app, &owner).await;

        // 70.55 shared by what each rate may be credited (141.09 = 119.99 +
        // 21.10): 60.00 and 10.55, i.e. 50.00 + 10.00 VAT and 10.00 + 0.55.
        let first = credit(&owner, invoice, "70,55", "Remise commerciale").await;
        let first_number =
            crate::money::text(&app, &format!("SELECT number FROM credit_notes WHERE id = {first}")).await;
        let want = vec![("standard_20".to_string(), 5_000, 1_000), ("reduced_5_5".to_string(), 1_000, 55)];
        for syntax in ["ubl", "cii", "facturx"] {
            let doc = read(&download(&owner, &format!("/credit-notes/{first}/einvoice/{syntax}")).await);
            assert_eq!(doc.kind, DocKind::CreditNote, "{syntax}");
            assert_eq!(doc.number, first_number);
            assert_eq!(doc.preceding.as_ref().map(|p| p.number.as_str()), Some(number.as_str()), "BT-25");
            assert_eq!(groups(&doc), want, "{syntax}");
            assert_eq!((doc.tax_exclusive_minor, doc.tax_minor, doc.tax_inclusive_minor), (6_000, 1_055, 7_055));
            assert_eq!(doc.buyer.siren.as_deref(), Some("443061841"));
            assert!(doc.notes.iter().any(|n| n == "Remise commerciale"), "the reason travels");
        }
        let pdf = download(&owner, &format!("/credit-notes/{first}/pdf")).await;
        for figure in ["Total HT", "60,00", "10,55", "70,55", &number, "Remise commerciale"] {
            assert!(body_contains(&pdf, figure), "the credit note PDF shows {figure}");
        }
        // The rest: exactly what each rate still holds.
        let second = credit(&owner, invoice, "", "Annulation").await;
        let doc = read(&download(&owner, &format!("/credit-notes/{second}/einvoice/ubl")).await);
        assert_eq!(groups(&doc), vec![("standard_20".into(), 4_999, 1_000), ("reduced_5_5".into(), 1_000, 55)]);
        let sums = |table: &str, column: &str| {
            format!(
                "SELECT CAST(SUM({column}) AS BIGINT) FROM {table} WHERE {}",
                if table == "invoice_lines" {
                    format!("invoice_id = {invoice}")
                } else {
                    format!("credit_note_id IN (SELECT id FROM credit_notes WHERE invoice_id = {invoice})")
                }
            )
        };
        assert_eq!(
            app.count(&sums("credit_note_vat", "base_minor")).await,
            app.count(&sums("invoice_lines", "net_minor")).await
        );
        assert_eq!(
            app.count(&sums("credit_note_vat", "tax_minor")).await,
            app.count(&sums("invoice_lines", "tax_minor")).await
        );

        // Its client downloads it; another client and an unassigned collector do not.
        let client = app.login("client1@test.example").await;
        download(&client, &format!("/credit-notes/{first}/einvoice/facturx")).await;
        for who in ["client2@test.example", "c2@test.example"] {
            let s = app.login(who).await;
            let res = s.get(&format!("/credit-notes/{first}/einvoice/ubl")).await;
            assert_eq!(res.status(), StatusCode::NOT_FOUND, "{who}");
        }

        // In: the invoice and its first credit note as another system's
        // files, uploaded together; the credit note goes on that invoice.
        let invoice_ubl = download(&owner, &format!("/invoices/{invoice}/einvoice/ubl")).await;
        let first_cii = download(&owner, &format!("/credit-notes/{first}/einvoice/cii")).await;
        let second_ubl = download(&owner, &format!("/credit-notes/{second}/einvoice/ubl")).await;
        let ext_invoice = replaced(&invoice_ubl, &[(&number, "EXT-F-1")]);
        let ext_credit = replaced(&first_cii, &[(&first_number, "EXT-AV-1"), (&number, "EXT-F-1")]);
        let accountant = app.login("acc@test.example").await;

        // Refused, nothing written: a credit note of an unknown invoice, and
        // two whose sum is more than the invoice.
        let orphan = replaced(&first_cii, &[(&first_number, "EXT-AV-9"), (&number, "EXT-NOPE")]);
        let (id, checked, map) = import(&accountant, &[("f.xml", &ext_invoice), ("o.xml", &orphan)]).await;
        assert_eq!(problem_msgs(&checked), ["CreditedInvoiceUnknown"], "{checked}");
        assert_eq!(run(&accountant, id, &map).await["summary"]["status"], "failed");
        let whole = replaced(&second_ubl, &[(&doc.number, "EXT-AV-2"), (&number, "EXT-F-1")]);
        let files: [(&str, &[u8]); 3] = [("f.xml", &ext_invoice), ("a1.xml", &ext_credit), ("a2.xml", &whole)];
        let (_, checked, _) = import(&accountant, &files).await;
        assert!(problem_msgs(&checked).is_empty(), "70.55 + 70.54 = 141.09 fits: {checked}");
        let too_much = replaced(&second_ubl, &[(&doc.number, "EXT-AV-3"), (&number, "EXT-F-1")]);
        let files: [(&str, &[u8]); 4] =
            [("f.xml", &ext_invoice), ("a1.xml", &ext_credit), ("a2.xml", &whole), ("a3.xml", &too_much)];
        let (id, checked, map) = import(&accountant, &files).await;
        assert_eq!(problem_msgs(&checked), ["CreditTooLarge"], "{checked}");
        assert_eq!(run(&accountant, id, &map).await["summary"]["status"], "failed");
        assert_eq!(app.count("SELECT COUNT(*) FROM invoices WHERE number LIKE 'EXT-%'").await, 0);
        assert_eq!(app.count("SELECT COUNT(*) FROM credit_notes WHERE number LIKE 'EXT-%'").await, 0);

        // The invoice and one credit note: recorded with the file's figures.
        let (id, checked, map) = import(&accountant, &[("f.xml", &ext_invoice), ("a1.xml", &ext_credit)]).await;
        assert_eq!((checked["created"].as_u64(), checked["problem_count"].as_u64()), (Some(2), Some(0)), "{checked}");
        assert_eq!(run(&accountant, id, &map).await["summary"]["status"], "done");
        let imported = app.count("SELECT id FROM invoices WHERE number = 'EXT-F-1'").await;
        assert_eq!(stored_balance(&app, imported).await, 14_109 - 7_055);
        let note = app.count("SELECT id FROM credit_notes WHERE number = 'EXT-AV-1'").await;
        assert_eq!(app.count(&format!("SELECT invoice_id FROM credit_notes WHERE id = {note}")).await, imported);
        assert_eq!(app.count(&format!("SELECT import_id FROM credit_notes WHERE id = {note}")).await, id);
        let doc = read(&download(&owner, &format!("/credit-notes/{note}/einvoice/ubl")).await);
        assert_eq!(groups(&doc), want, "the figures read are the figures written");
        assert_eq!(doc.preceding.map(|p| p.number), Some("EXT-F-1".to_string()));
        // Again: nothing changes; a changed amount under the same number is refused.
        let (_, again, _) = import(&accountant, &[("f.xml", &ext_invoice), ("a1.xml", &ext_credit)]).await;
        assert_eq!((again["created"].as_u64(), again["unchanged"].as_u64()), (Some(0), Some(2)), "{again}");
        let changed = replaced(&whole, &[("EXT-AV-2", "EXT-AV-1")]);
        let (_, checked, _) = import(&accountant, &[("a1.xml", &changed)]).await;
        assert_eq!(problem_msgs(&checked), ["CreditNoteDiffers"], "{checked}");
        app.verify_ledger().await;
        app.finish().await;
    }
}
