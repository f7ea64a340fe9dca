//! Invoices written in Relance: drafts, issuing under a gap-free yearly
//! series (also under concurrency), frozen documents, staff credit notes;
//! on both databases.

use crate::helpers::{created, spawn_app, today, Session, TestApp, BACKENDS};
use crate::money::{stored_balance, text};
use chrono::Datelike;
use reqwest::StatusCode;
use serde_json::Value;

/// A draft's form as a browser posts it: `(description, quantity,
/// unit price, VAT category)` per line.
pub(crate) fn draft_fields(id: Option<i64>, account: i64, lines: &[(&str, &str, &str, &str)]) -> Vec<(String, String)> {
    let mut f = vec![("account_id".to_string(), account.to_string())];
    if let Some(id) = id {
        f.push(("id".into(), id.to_string()));
    }
    f.push(("form[note]".into(), "Merci de votre confiance".into()));
    for (i, (description, quantity, price, vat)) in lines.iter().enumerate() {
        f.push((format!("form[lines][{i}][description]"), description.to_string()));
        f.push((format!("form[lines][{i}][quantity]"), quantity.to_string()));
        f.push((format!("form[lines][{i}][unit]"), "h".into()));
        f.push((format!("form[lines][{i}][unit_price]"), price.to_string()));
        f.push((format!("form[lines][{i}][discount]"), String::new()));
        f.push((format!("form[lines][{i}][vat]"), vat.to_string()));
    }
    f
}

pub(crate) async fn save_draft(s: &Session, fields: &[(String, String)]) -> reqwest::Response {
    let fields: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    s.post_form("/api/invoicing/save_draft", &fields).await
}

/// A saved draft of one 3 × 33.33 line at 20 % (119.99 in all).
pub(crate) async fn draft(s: &Session, account: i64) -> i64 {
    created(save_draft(s, &draft_fields(None, account, &[("Conseil", "3", "33,33", "standard_20")])).await).await.0
}

pub(crate) async fn issue(s: &Session, draft: i64) -> reqwest::Response {
    s.post_form("/api/invoicing/issue", &[("id", &draft.to_string())]).await
}

pub(crate) async fn number_of(app: &TestApp, invoice: i64) -> String {
    text(app, &format!("SELECT number FROM invoices WHERE id = {invoice}")).await
}

fn series(n: i64) -> String {
    format!("F-{}-{n:05}", today().year())
}

#[tokio::test]
async fn a_draft_is_issued_numbered_posted_and_frozen() {
    for backend in BACKENDS {
        let Some(app) = spawn_app(backend).await else { continue };
        let owner = app.login("owner@test.example").await;
        let account = app.fx.account3;
        let lines = [("Conseil", "3", "33,33", "standard_20"), ("Livre", "2", "10", "reduced_5_5")];
        let (id, status) = created(save_draft(&owner, &draft_fields(None, account, &lines)).await).await;
        assert_eq!(status, "draft");
        // A draft owes nothing and has no number.
        assert_eq!(app.count(&format!("SELECT COUNT(*) FROM invoices WHERE account_id = {account}")).await, 0);
        let editor: Value =
            owner.post_form("/api/invoicing/draft", &[("id", &id.to_string())]).await.json().await.unwrap();
        // 99.99 + 20.00 VAT; 20.00 + 1.10 VAT: 141.09.
        assert_eq!(editor["totals"]["subtotal_minor"], 11_999);
        assert_eq!(editor["totals"]["tax_minor"], 2_110);
        assert_eq!(editor["totals"]["total_minor"], 14_109);
        assert_eq!(editor["form"]["lines"][1]["quantity"], "2");

        let (invoice, status) = created(issue(&owner, id).await).await;
        assert_eq!(status, "issued");
        assert_eq!(number_of(&app, invoice).await, series(1));
        assert_eq!(stored_balance(&app, invoice).await, 14_109);
        assert_eq!(app.count(&format!("SELECT COUNT(*) FROM invoice_lines WHERE invoice_id = {invoice}")).await, 2);
        assert_eq!(
            app.count(&format!(
                "SELECT CAST(SUM(tax_minor) AS BIGINT) FROM invoice_lines WHERE invoice_id = {invoice}"
            ))
            .await,
            2_110
        );
        let due = text(&app, &format!("SELECT CAST(due_date AS TEXT) FROM invoices WHERE id = {invoice}")).await;
        assert_eq!(due, (today() + chrono::Duration::days(30)).to_string(), "the account's 30 days");
        assert_eq!(
            app.count(&format!(
                "SELECT COUNT(*) FROM audit_log WHERE action = 'invoice.issued' AND entity_id = {invoice}"
            ))
            .await,
            1
        );
        // Issued once: the draft is gone.
        assert_eq!(issue(&owner, id).await.status(), StatusCode::CONFLICT);
        assert_eq!(app.count(&format!("SELECT COUNT(*) FROM invoices WHERE account_id = {account}")).await, 1);
        // Frozen: the database itself refuses to change it.
        for sql in [
            format!("UPDATE invoices SET total_minor = 1 WHERE id = {invoice}"),
            format!("UPDATE invoices SET due_date = issue_date WHERE id = {invoice}"),
            format!("UPDATE invoice_lines SET description = 'x' WHERE invoice_id = {invoice}"),
            format!("DELETE FROM invoice_lines WHERE invoice_id = {invoice}"),
        ] {
            assert!(app.exec(&sql).await.is_err(), "{backend:?}: {sql} went through");
        }
        // Its PDF carries the mentions of a business invoice.
        let pdf = owner.get(&format!("/invoices/{invoice}/pdf")).await.bytes().await.unwrap().to_vec();
        let has = |needle: &str| crate::helpers::body_contains(&pdf, needle);
        assert!(has("L441-10") && has("Pas d'escompte") && has(&series(1)), "mentions missing from the PDF");
        // The client sees it in the portal with its number.
        let (status, html) = owner.get_html(&format!("/back/invoices/{invoice}")).await;
        assert_eq!(status, StatusCode::OK);
        assert!(html.contains(&series(1)));
        app.verify_ledger().await;
        app.finish().await;
    }
}

#[tokio::test]
async fn bad_lines_write_nothing_and_name_their_rows() {
    for backend in BACKENDS {
        let Some(app) = spawn_app(backend).await else { continue };
        let owner = app.login("owner@test.example").await;
        let lines = [("Conseil", "3", "33,33", "standard_20"), ("", "0", "-1", "standard_19")];
        let res = save_draft(&owner, &draft_fields(None, app.fx.account1, &lines)).await;
        assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
        let body: Value = res.json().await.unwrap();
        let fields: Vec<&str> = body["Validation"].as_array().unwrap().iter().map(|f| f[0].as_str().unwrap()).collect();
        assert_eq!(fields, ["lines.1.description", "lines.1.quantity", "lines.1.unit_price", "lines.1.vat"]);
        assert_eq!(app.count("SELECT COUNT(*) FROM invoice_drafts").await, 0);
        // A date in the future cannot be issued; the draft stays.
        let mut fields = draft_fields(None, app.fx.account1, &[("Conseil", "1", "10", "zero")]);
        fields.push(("form[issue_date]".into(), (today() + chrono::Duration::days(2)).to_string()));
        let (id, _) = created(save_draft(&owner, &fields).await).await;
        assert_eq!(issue(&owner, id).await.status(), StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(app.count("SELECT COUNT(*) FROM invoice_drafts").await, 1);
        assert_eq!(app.count("SELECT COUNT(*) FROM number_series").await, 0, "no number taken");
        app.finish().await;
    }
}

/// The owner and the accountant issue six drafts at once on two
/// accounts: numbers 1 to 6, no gap, no duplicate.
#[tokio::test]
async fn concurrent_issuing_gives_consecutive_numbers() {
    for backend in BACKENDS {
        let Some(app) = spawn_app(backend).await else { continue };
        let owner = app.login("owner@test.example").await;
        let acc = app.login("acc@test.example").await;
        let mut drafts = Vec::new();
        for account in [app.fx.account1, app.fx.account2, app.fx.account3] {
            drafts.push(draft(&owner, account).await);
            drafts.push(draft(&owner, account).await);
        }
        let calls = drafts.iter().enumerate().map(|(i, d)| {
            let s = if i % 2 == 0 { &owner } else { &acc };
            issue(s, *d)
        });
        let answers = futures::future::join_all(calls).await;
        let mut numbers = Vec::new();
        for res in answers {
            let (invoice, _) = created(res).await;
            numbers.push(number_of(&app, invoice).await);
        }
        numbers.sort();
        assert_eq!(numbers, (1..=6).map(series).collect::<Vec<_>>(), "{backend:?}");
        // The same draft issued twice at once: one invoice.
        let d = draft(&owner, app.fx.account1).await;
        let (a, b) = tokio::join!(issue(&owner, d), issue(&acc, d));
        let mut statuses = [a.status().as_u16(), b.status().as_u16()];
        statuses.sort();
        assert_eq!(statuses, [200, 409]);
        assert_eq!(app.count("SELECT COUNT(*) FROM invoices WHERE number LIKE 'F-%'").await, 7);
        app.verify_ledger().await;
        app.finish().await;
    }
}

#[tokio::test]
async fn credit_notes_correct_an_issued_invoice() {
    for backend in BACKENDS {
        let Some(app) = spawn_app(backend).await else { continue };
        let owner = app.login("owner@test.example").await;
        let d = draft(&owner, app.fx.account3).await;
        let (invoice, _) = created(issue(&owner, d).await).await;
        let credit = |s: &Session, amount: &str, reason: &str| {
            let (amount, reason) = (amount.to_string(), reason.to_string());
            let s = s.clone();
            async move {
                s.post_form(
                    "/api/invoicing/credit",
                    &[("invoice_id", &invoice.to_string()), ("amount", &amount), ("reason", &reason)],
                )
                .await
            }
        };
        // A collector cannot; a reason is needed; not more than the invoice.
        let c1 = app.login("c1@test.example").await;
        assert_eq!(credit(&c1, "10", "geste").await.status(), StatusCode::FORBIDDEN);
        assert_eq!(credit(&owner, "10", " ").await.status(), StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(credit(&owner, "120", "trop").await.status(), StatusCode::UNPROCESSABLE_ENTITY);
        // Part, then the rest.
        let (first, _) = created(credit(&owner, "19,99", "Remise commerciale").await).await;
        assert_eq!(stored_balance(&app, invoice).await, 10_000);
        let acc = app.login("acc@test.example").await;
        let (second, _) = created(credit(&acc, "", "Annulation").await).await;
        assert_eq!(stored_balance(&app, invoice).await, 0);
        let year = today().year();
        assert_eq!(
            text(&app, &format!("SELECT number FROM credit_notes WHERE id = {first}")).await,
            format!("AV-{year}-00001")
        );
        assert_eq!(
            text(&app, &format!("SELECT number FROM credit_notes WHERE id = {second}")).await,
            format!("AV-{year}-00002")
        );
        assert_eq!(app.count(&format!("SELECT amount_minor FROM credit_notes WHERE id = {second}")).await, 10_000);
        assert_eq!(credit(&owner, "", "Encore").await.status(), StatusCode::CONFLICT);
        app.verify_ledger().await;
        app.finish().await;
    }
}

/// The owner writes off a bad debt, part then the rest; nobody else may.
#[tokio::test]
async fn the_owner_writes_off_a_bad_debt() {
    for backend in BACKENDS {
        let Some(app) = spawn_app(backend).await else { continue };
        let owner = app.login("owner@test.example").await;
        let d = draft(&owner, app.fx.account1).await;
        let (invoice, _) = created(issue(&owner, d).await).await;
        let write_off = |s: &Session, amount: &str| {
            let (s, amount) = (s.clone(), amount.to_string());
            async move {
                s.post_form(
                    "/api/invoicing/write_off",
                    &[("invoice_id", &invoice.to_string()), ("amount", &amount), ("reason", "Liquidation judiciaire")],
                )
                .await
            }
        };
        for who in ["acc@test.example", "c1@test.example", "client1@test.example"] {
            let s = app.login(who).await;
            assert_eq!(write_off(&s, "10").await.status(), StatusCode::FORBIDDEN, "{who}");
        }
        assert_eq!(write_off(&owner, "120").await.status(), StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(stored_balance(&app, invoice).await, 11_999);
        created(write_off(&owner, "19,99").await).await;
        assert_eq!(stored_balance(&app, invoice).await, 10_000);
        created(write_off(&owner, "").await).await;
        assert_eq!(stored_balance(&app, invoice).await, 0);
        assert_eq!(write_off(&owner, "").await.status(), StatusCode::CONFLICT);
        assert_eq!(
            app.count(&format!(
                "SELECT COUNT(*) FROM ledger_entries WHERE invoice_id = {invoice} AND kind = 'write_off'"
            ))
            .await,
            2
        );
        assert_eq!(
            app.count(&format!(
                "SELECT COUNT(*) FROM audit_log WHERE action = 'invoice.written_off' AND account_id = {}",
                app.fx.account1
            ))
            .await,
            2
        );
        app.verify_ledger().await;
        app.finish().await;
    }
}

/// A collector invoices the accounts assigned to them only; a client
/// none; an archived account takes no new invoice.
#[tokio::test]
async fn who_may_invoice_which_account() {
    for backend in BACKENDS {
        let Some(app) = spawn_app(backend).await else { continue };
        let c1 = app.login("c1@test.example").await;
        let own = draft(&c1, app.fx.account1).await;
        let (invoice, _) = created(issue(&c1, own).await).await;
        assert_eq!(number_of(&app, invoice).await, series(1));
        let fields = draft_fields(None, app.fx.account2, &[("Conseil", "1", "10", "zero")]);
        assert_eq!(save_draft(&c1, &fields).await.status(), StatusCode::NOT_FOUND);
        let client = app.login("client1@test.example").await;
        let fields = draft_fields(None, app.fx.account1, &[("Conseil", "1", "10", "zero")]);
        assert_eq!(save_draft(&client, &fields).await.status(), StatusCode::FORBIDDEN);
        // Another collector's draft is not there for c1.
        let owner = app.login("owner@test.example").await;
        let foreign = draft(&owner, app.fx.account2).await;
        assert_eq!(issue(&c1, foreign).await.status(), StatusCode::NOT_FOUND);
        assert_eq!(
            c1.post_form("/api/invoicing/delete_draft", &[("id", &foreign.to_string())]).await.status(),
            StatusCode::NOT_FOUND
        );
        assert_eq!(app.count("SELECT COUNT(*) FROM invoice_drafts").await, 1);
        // Archived: no new draft.
        let (account, _) =
            created(crate::accounts::save(&owner, None, crate::accounts::account_form("Archivé SARL")).await).await;
        let res = owner.post_form("/api/accounts/archive", &[("id", &account.to_string()), ("archive", "true")]).await;
        assert_eq!(res.status(), StatusCode::OK);
        let fields = draft_fields(None, account, &[("Conseil", "1", "10", "zero")]);
        assert_eq!(save_draft(&owner, &fields).await.status(), StatusCode::CONFLICT);
        app.finish().await;
    }
}

/// The fields of a recurring invoice of one line (100 € at 20 %).
fn recurring_fields(account: i64, frequency: &str, start: &str) -> Vec<(String, String)> {
    let mut f = draft_fields(None, account, &[("Abonnement", "1", "100", "standard_20")]);
    f.push(("frequency".into(), frequency.into()));
    f.push(("start_date".into(), start.into()));
    f
}

async fn save_recurring(s: &Session, fields: &[(String, String)]) -> reqwest::Response {
    let fields: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    s.post_form("/api/invoicing/save_recurring", &fields).await
}

async fn recurring_invoices(app: &TestApp) -> i64 {
    app.count("SELECT COUNT(*) FROM invoices WHERE recurring_key IS NOT NULL").await
}

/// A monthly invoice starting today is issued at once, then once a month:
/// after two months of downtime the job catches up with both, and four
/// instances running at once issue each occurrence once.
#[tokio::test]
async fn recurring_invoices_are_issued_once_on_their_dates() {
    for backend in BACKENDS {
        let Some(app) = spawn_app(backend).await else { continue };
        let owner = app.login("owner@test.example").await;
        let today = today();
        let res = save_recurring(&owner, &recurring_fields(app.fx.account3, "monthly", "")).await;
        let (template, status) = created(res).await;
        assert_eq!(status, "active");
        assert_eq!(recurring_invoices(&app).await, 1, "the first occurrence, today");
        let state = app.state();
        assert_eq!(app::invoicing::ssr::recurring::run(&state).await.unwrap(), 0, "nothing more today");

        // Two months and a few days later, four instances at once.
        let mut later = app.state();
        later.clock = app::db::Clock::Fixed(crate::helpers::now() + chrono::Duration::days(65));
        let passes = (0..4).map(|_| app::invoicing::ssr::recurring::run(&later));
        let issued: usize = futures::future::join_all(passes).await.into_iter().map(Result::unwrap).sum();
        let expected = (1..=3)
            .filter(|n| today.checked_add_months(chrono::Months::new(*n)).unwrap() <= later.clock.today())
            .count();
        assert_eq!(issued, expected, "{backend:?}");
        assert_eq!(recurring_invoices(&app).await, 1 + expected as i64);
        // Each on its date, numbered in order.
        let dates = app
            .count(&format!(
                "SELECT COUNT(DISTINCT issue_date) FROM invoices WHERE recurring_key LIKE 'recurring:{template}:%'"
            ))
            .await;
        assert_eq!(dates, 1 + expected as i64);
        let numbers: Vec<String> = app::with_db!(&app.db, |pool| {
            sqlx::query_scalar("SELECT number FROM invoices WHERE recurring_key IS NOT NULL ORDER BY issue_date, id")
                .fetch_all(pool)
                .await
        })
        .unwrap();
        let mut sorted = numbers.clone();
        sorted.sort();
        assert_eq!(numbers, sorted, "numbers follow dates");

        // Stopped: nothing more, ever.
        let res = owner.post_form("/api/invoicing/stop_recurring", &[("id", &template.to_string())]).await;
        assert_eq!(created(res).await.1, "stopped");
        let mut much_later = app.state();
        much_later.clock = app::db::Clock::Fixed(crate::helpers::now() + chrono::Duration::days(400));
        assert_eq!(app::invoicing::ssr::recurring::run(&much_later).await.unwrap(), 0);
        app.verify_ledger().await;
        app.finish().await;
    }
}

#[tokio::test]
async fn recurring_invoices_check_their_schedule_and_their_account() {
    for backend in BACKENDS {
        let Some(app) = spawn_app(backend).await else { continue };
        let owner = app.login("owner@test.example").await;
        let yesterday = (today() - chrono::Duration::days(1)).to_string();
        let res = save_recurring(&owner, &recurring_fields(app.fx.account1, "monthly", &yesterday)).await;
        assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
        let res = save_recurring(&owner, &recurring_fields(app.fx.account1, "weekly", "")).await;
        assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
        // c1 collects account 1, not account 2; clients invoice nobody.
        let c1 = app.login("c1@test.example").await;
        let next_month = (today() + chrono::Duration::days(31)).to_string();
        let res = save_recurring(&c1, &recurring_fields(app.fx.account2, "yearly", &next_month)).await;
        assert_eq!(res.status(), StatusCode::NOT_FOUND);
        let client = app.login("client1@test.example").await;
        let res = save_recurring(&client, &recurring_fields(app.fx.account1, "yearly", &next_month)).await;
        assert_eq!(res.status(), StatusCode::FORBIDDEN);
        let (own, _) =
            created(save_recurring(&c1, &recurring_fields(app.fx.account1, "yearly", &next_month)).await).await;
        assert_eq!(recurring_invoices(&app).await, 0, "not due yet");
        let listed: Value = c1
            .post_form("/api/invoicing/recurring", &[("account_id", &app.fx.account1.to_string())])
            .await
            .json()
            .await
            .unwrap();
        assert_eq!(listed[0]["id"], own);
        assert_eq!(listed[0]["frequency"], "yearly");
        let foreign =
            created(save_recurring(&owner, &recurring_fields(app.fx.account2, "yearly", &next_month)).await).await.0;
        let res = c1.post_form("/api/invoicing/stop_recurring", &[("id", &foreign.to_string())]).await;
        assert_eq!(res.status(), StatusCode::NOT_FOUND);
        assert_eq!(app.count("SELECT COUNT(*) FROM recurring_invoices WHERE active").await, 2);
        app.finish().await;
    }
}

/// An issued invoice downloads as UBL, as CII and as Factur-X; what Relance writes,
/// Relance reads back (EN 16931's calculation rules checked) to the same
/// figures. The client of the account may, another account's may not.
#[tokio::test]
async fn an_issued_invoice_downloads_as_an_e_invoice_that_reads_back() {
    for backend in BACKENDS {
        let Some(app) = spawn_app(backend).await else { continue };
        let owner = app.login("owner@test.example").await;
        let lines = [("Conseil", "3", "33,33", "standard_20"), ("Livre", "2", "10", "reduced_5_5")];
        let (d, _) = created(save_draft(&owner, &draft_fields(None, app.fx.account1, &lines)).await).await;
        let (invoice, _) = created(issue(&owner, d).await).await;
        let client = app.login("client1@test.example").await;
        for syntax in ["ubl", "cii"] {
            let res = client.get(&format!("/invoices/{invoice}/einvoice/{syntax}")).await;
            assert_eq!(res.status(), StatusCode::OK, "{syntax}");
            let text = res.text().await.unwrap();
            let doc = app::einvoice::read_any(&text).unwrap_or_else(|e| panic!("{syntax}: {e}\n{text}"));
            assert_eq!(doc.number, number_of(&app, invoice).await);
            assert_eq!((doc.tax_exclusive_minor, doc.tax_minor, doc.tax_inclusive_minor), (11_999, 2_110, 14_109));
            assert_eq!(doc.lines.len(), 2);
            assert_eq!(doc.buyer.name, "Alpha Boulangerie SARL");
        }
        // Factur-X: a PDF carrying the same CII.
        let res = client.get(&format!("/invoices/{invoice}/einvoice/facturx")).await;
        assert_eq!(res.status(), StatusCode::OK);
        assert_eq!(res.headers()["content-type"], "application/pdf");
        let pdf = res.bytes().await.unwrap();
        let xml = app::einvoice::facturx::embedded_xml(&pdf).expect("factur-x.xml inside");
        let doc = app::einvoice::read_any(&xml).expect("valid CII");
        assert_eq!((doc.tax_exclusive_minor, doc.tax_minor, doc.tax_inclusive_minor), (11_999, 2_110, 14_109));
        assert_eq!(doc.number, number_of(&app, invoice).await);
        let other = app.login("client2@test.example").await;
        assert_eq!(other.get(&format!("/invoices/{invoice}/einvoice/facturx")).await.status(), StatusCode::NOT_FOUND);
        assert_eq!(other.get(&format!("/invoices/{invoice}/einvoice/ubl")).await.status(), StatusCode::NOT_FOUND);
        assert_eq!(owner.get(&format!("/invoices/{invoice}/einvoice/pdf")).await.status(), StatusCode::NOT_FOUND);
        app.finish().await;
    }
}
