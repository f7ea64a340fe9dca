//! E-invoices in: UBL, CII and Factur-X files uploaded together, read with
//! the XML parser, checked against EN 16931's rules and matched to their
//! buyer's account; what Relance exports, it imports back to the same
//! figures; a bad file names its rule and nothing is written.

use crate::helpers::{created, spawn_app, Session, TestApp, BACKENDS};
use crate::imports::{detail, mapping_of, preview, run};
use crate::invoicing::{draft_fields, issue, number_of, save_draft};
use reqwest::StatusCode;
use serde_json::Value;

async fn upload_files(s: &Session, files: &[(&str, &[u8])]) -> reqwest::Response {
    let parts: Vec<(&str, &str, &[u8])> = files.iter().map(|(name, bytes)| ("file", *name, *bytes)).collect();
    s.post_multipart("/api/imports/upload", &[("kind", "einvoices")], &parts).await
}

async fn download(s: &Session, invoice: i64, syntax: &str) -> Vec<u8> {
    let res = s.get(&format!("/invoices/{invoice}/einvoice/{syntax}")).await;
    assert_eq!(res.status(), StatusCode::OK, "{syntax}");
    res.bytes().await.unwrap().to_vec()
}

pub(crate) fn replaced(bytes: &[u8], pairs: &[(&str, &str)]) -> Vec<u8> {
    let mut text = String::from_utf8(bytes.to_vec()).unwrap();
    for (from, to) in pairs {
        assert!(text.contains(from), "{from} in the file");
        text = text.replace(from, to);
    }
    text.into_bytes()
}

fn problems(outcome: &Value) -> Vec<(String, String)> {
    outcome["problems"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| (p["msg"].as_str().unwrap().to_string(), p["detail"].as_str().unwrap_or("").to_string()))
        .collect()
}

/// An invoice of account 1, given a SIREN and VAT number first (frozen on
/// the invoice when it is issued): 3 × 33.33 at 20 % and 2 × 10.00 at
/// 5.5 %, i.e. 99.99 + 20.00 net, VAT 20.00 + 1.10, total 141.09.
pub(crate) async fn issued_with_identifiers(app: &TestApp, owner: &Session) -> (i64, String) {
    app.exec(&format!(
        "UPDATE accounts SET siren = '443061841', vat_number = 'FR04443061841' WHERE id = {}",
        app.fx.account1
    ))
    .await
    .unwrap();
    let lines = [("Conseil", "3", "33,33", "standard_20"), ("Livre", "2", "10", "reduced_5_5")];
    let (d, _) = created(save_draft(owner, &draft_fields(None, app.fx.account1, &lines)).await).await;
    let (invoice, _) = created(issue(owner, d).await).await;
    (invoice, number_of(app, invoice).await)
}

#[tokio::test]
async fn e_invoices_import_back_to_the_same_figures_or_name_their_problem() {
    for backend in BACKENDS {
        let Some(app) = spawn_app(backend).await else { continue };
        let owner = app.login("owner@test.example").await;
        let (invoice, number) = issued_with_identifiers(&app, &owner).await;
        let (ubl, cii, pdf) = (
            download(&owner, invoice, "ubl").await,
            download(&owner, invoice, "cii").await,
            download(&owner, invoice, "facturx").await,
        );
        let ubl_in = replaced(&ubl, &[(&number, "EXT-UBL-1")]);
        let cii_in = replaced(&cii, &[(&number, "EXT-CII-1")]);
        // Grand total and amount due raised by 0.10: BR-CO-15 breaks.
        let broken = replaced(&cii, &[(&number, "EXT-BAD-1"), ("141.09", "141.19")]);
        let stranger = replaced(
            &ubl,
            &[(&number, "EXT-NEW-1"), ("443061841", "732829320"), ("Alpha Boulangerie SARL", "Zeta SAS")],
        );

        // All five at once: three problems, so nothing is written.
        let accountant = app.login("acc@test.example").await;
        let files: [(&str, &[u8]); 5] = [
            ("a-ubl.xml", &ubl_in),
            ("b-cii.xml", &cii_in),
            ("c-facturx.pdf", &pdf),
            ("d-broken.xml", &broken),
            ("e-stranger.xml", &stranger),
        ];
        let (id, _) = created(upload_files(&accountant, &files).await).await;
        let view = detail(&accountant, id).await;
        assert_eq!(view["summary"]["kind"], "invoices");
        assert!(view["summary"]["file_name"].as_str().unwrap().contains("c-facturx.pdf"));
        let map = mapping_of(&view);
        let checked = preview(&accountant, id, &map).await;
        let found = problems(&checked);
        // The Factur-X PDF was read (its XML inside): its number is Relance's own series.
        assert!(found.iter().any(|(m, _)| m == "NumberInOwnSeries"), "{checked}");
        let refused = found.iter().find(|(m, _)| m == "EInvoiceRefused").expect("the broken file refused");
        assert!(refused.1.starts_with("d-broken.xml: BR-CO-"), "the rule is named: {}", refused.1);
        let unknown = found.iter().find(|(m, _)| m == "BuyerUnknown").expect("the stranger's buyer unknown");
        assert_eq!(unknown.1, "e-stranger.xml: Zeta SAS");
        assert_eq!(checked["proposals"][0]["siren"], "732829320", "{checked}");
        let href = checked["proposals"][0]["href"].as_str().unwrap();
        assert!(href.starts_with("/back/accounts/new?legal_name=Zeta%20SAS&siren=732829320"), "{href}");
        let done = run(&accountant, id, &map).await;
        assert_eq!(done["summary"]["status"], "failed");
        assert_eq!(app.count("SELECT COUNT(*) FROM invoices WHERE number LIKE 'EXT-%'").await, 0);

        // The proposed account's form starts from the buyer.
        let (status, html) = owner.get_html(href).await;
        assert_eq!(status, StatusCode::OK);
        assert!(html.contains("Zeta SAS") && html.contains("732829320"), "prefilled form");

        // The two good files: imported with the figures Relance exported.
        let good: [(&str, &[u8]); 2] = [("a-ubl.xml", &ubl_in), ("b-cii.xml", &cii_in)];
        let (id, _) = created(upload_files(&accountant, &good).await).await;
        let map = mapping_of(&detail(&accountant, id).await);
        let checked = preview(&accountant, id, &map).await;
        assert_eq!((checked["created"].as_u64(), checked["problem_count"].as_u64()), (Some(2), Some(0)), "{checked}");
        let done = run(&accountant, id, &map).await;
        assert_eq!(done["summary"]["status"], "done", "{done}");
        for n in ["EXT-UBL-1", "EXT-CII-1"] {
            let figure = |column: &str| format!("SELECT {column} FROM invoices WHERE number = '{n}'");
            let row = (
                app.count(&figure("account_id")).await,
                app.count(&figure("subtotal_minor")).await,
                app.count(&figure("tax_minor")).await,
                app.count(&figure("total_minor")).await,
            );
            assert_eq!(row, (app.fx.account1, 11_999, 2_110, 14_109), "{n}");
            let lines = app
                .count(&format!(
                    "SELECT COUNT(*) FROM invoice_lines l JOIN invoices i ON i.id = l.invoice_id WHERE i.number = '{n}'"
                ))
                .await;
            assert_eq!(lines, 2, "{n}");
        }
        // The same files again change nothing.
        let (id, _) = created(upload_files(&accountant, &good).await).await;
        let map = mapping_of(&detail(&accountant, id).await);
        let again = preview(&accountant, id, &map).await;
        assert_eq!((again["created"].as_u64(), again["unchanged"].as_u64()), (Some(0), Some(2)), "{again}");

        // A file that is no e-invoice at all, and a collector: refused.
        let (id, _) = created(upload_files(&accountant, &[("notes.xml", b"<notes/>")]).await).await;
        let map = mapping_of(&detail(&accountant, id).await);
        let checked = preview(&accountant, id, &map).await;
        assert_eq!(problems(&checked)[0].0, "EInvoiceRefused", "{checked}");
        let collector = app.login("c1@test.example").await;
        assert_eq!(upload_files(&collector, &good).await.status(), StatusCode::FORBIDDEN);
        app.finish().await;
    }
}
