//! Disputes: opening one, and the owner's decision issuing exactly one
//! credit note even when two owners decide at once (straight through the
//! server side); then over HTTP as each role: a client's dispute with files,
//! the thread, the owner's partial approval and its credit note, downloads
//! in scope only, files judged by their content, the accountant who reads
//! but never writes, a withdrawn dispute, and the multipart guard. Each on
//! both databases. Amounts come from the fixture: account 1 owes T-0001
//! (1 200,00 €, not due) and T-0002 (300,00 € left, overdue).

use crate::helpers::{spawn_app, Session, TestApp, BACKENDS};
use crate::money::{balance, overdue_numbers, text};
use app::disputes::attachments::{MAX_BYTES, MAX_PER_MESSAGE};
use app::disputes::ssr::{decide, open, DisputeScope, NewDispute};
use app::error::AppError;
use reqwest::StatusCode;
use serde_json::{json, Value};

const CLIENT1: &str = "client1@test.example";
const CLIENT2: &str = "client2@test.example";
const COLLECTOR1: &str = "c1@test.example";
const COLLECTOR2: &str = "c2@test.example";
const ACCOUNTANT: &str = "acc@test.example";
const OWNER: &str = "owner@test.example";
/// Every fixture account's billing address: e-mails to the client go there.
const BILLING: &str = "billing@example.com";

/// A small PDF, as a delivery note would be.
const PDF: &[u8] = b"%PDF-1.4\n1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n";
/// A 1×1 PNG, as a photo would be.
const PNG: &[u8] = &[
    0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0x00, 0x00, 0x00, 0x0D, 0x49, 0x48, 0x44, 0x52, 0x00, 0x00, 0x00,
    0x01, 0x00, 0x00, 0x00, 0x01, 0x08, 0x06, 0x00, 0x00, 0x00, 0x1F, 0x15, 0xC4, 0x89, 0x00, 0x00, 0x00, 0x0A, 0x49,
    0x44, 0x41, 0x54, 0x78, 0x9C, 0x63, 0x00, 0x01, 0x00, 0x00, 0x05, 0x00, 0x01, 0x0D, 0x0A, 0x2D, 0xB4, 0x00, 0x00,
    0x00, 0x00, 0x49, 0x45, 0x4E, 0x44, 0xAE, 0x42, 0x60, 0x82,
];
/// The start of a Windows executable.
const EXE: &[u8] = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00This program cannot be run in DOS mode.";

fn dispute(account_id: i64, invoice_id: i64, actor: i64, scope: DisputeScope) -> NewDispute {
    NewDispute {
        account_id,
        invoice_id,
        reason: "damaged".into(),
        scope,
        message: "Deux cartons abîmés à la livraison.".into(),
        actor,
    }
}

#[tokio::test]
async fn two_owners_approving_at_once_issue_one_credit_note() {
    for backend in BACKENDS {
        let Some(app) = spawn_app(backend).await else { continue };
        let state = app.state();
        let fx = app.fx.clone();
        let before = balance(&app, fx.inv1_overdue).await;
        let id =
            open(&state, &dispute(fx.account1, fx.inv1_overdue, fx.client1, DisputeScope::Amount("120".into())), &[])
                .await
                .expect("open")
                .id;
        // One dispute in progress per invoice.
        let again = open(&state, &dispute(fx.account1, fx.inv1_overdue, fx.client1, DisputeScope::Invoice), &[]).await;
        assert!(matches!(again, Err(AppError::Conflict(_))), "{backend:?}: {again:?}");
        // Another account's invoice: not found.
        let foreign = open(&state, &dispute(fx.account1, fx.inv2_open, fx.client1, DisputeScope::Invoice), &[]).await;
        assert_eq!(foreign.err(), Some(AppError::NotFound));

        let (a, b) = tokio::join!(
            decide(&state, id, 8_000, "Accord partiel", fx.owner),
            decide(&state, id, 8_000, "", fx.owner)
        );
        let oks = [&a, &b].iter().filter(|r| r.is_ok()).count();
        assert_eq!(oks, 1, "{backend:?}: exactly one decision wins: {a:?} {b:?}");
        assert!([&a, &b].iter().any(|r| matches!(r, Err(AppError::Conflict(_)))));
        assert_eq!(app.count(&format!("SELECT COUNT(*) FROM credit_notes WHERE dispute_id = {id}")).await, 1);
        assert_eq!(
            app.count(&format!(
                "SELECT COUNT(*) FROM ledger_entries WHERE invoice_id = {} AND kind = 'credit_note'",
                fx.inv1_overdue
            ))
            .await,
            1
        );
        assert_eq!(balance(&app, fx.inv1_overdue).await, before - 8_000);
        assert_eq!(
            app.count(&format!("SELECT COUNT(*) FROM disputes WHERE id = {id} AND status = 'partially_approved'"))
                .await,
            1
        );
        // Decided: no second decision.
        assert!(matches!(decide(&state, id, 0, "non", fx.owner).await, Err(AppError::Conflict(_))));
        app.finish().await;
    }
}

#[tokio::test]
async fn a_rejection_needs_a_reason_and_issues_nothing() {
    for backend in BACKENDS {
        let Some(app) = spawn_app(backend).await else { continue };
        let state = app.state();
        let fx = app.fx.clone();
        let before = balance(&app, fx.inv1_overdue).await;
        let id = open(&state, &dispute(fx.account1, fx.inv1_overdue, fx.client1, DisputeScope::Invoice), &[])
            .await
            .unwrap()
            .id;
        assert_eq!(
            app.count(&format!("SELECT amount_minor FROM disputes WHERE id = {id}")).await,
            before,
            "the whole invoice: its open balance"
        );
        assert!(matches!(decide(&state, id, 0, "  ", fx.owner).await, Err(AppError::Validation(_))));
        assert!(matches!(decide(&state, id, before + 1, "trop", fx.owner).await, Err(AppError::Validation(_))));
        let rejected = decide(&state, id, 0, "Livraison signée sans réserve.", fx.owner).await.unwrap();
        assert_eq!(rejected.status, app::disputes::DisputeStatus::Rejected);
        assert_eq!(app.count("SELECT COUNT(*) FROM credit_notes").await, 0);
        assert_eq!(balance(&app, fx.inv1_overdue).await, before);
        // A new dispute may be opened once this one is decided.
        assert!(open(&state, &dispute(fx.account1, fx.inv1_overdue, fx.client1, DisputeScope::Lines(vec![1])), &[])
            .await
            .is_ok());
        app.finish().await;
    }
}

// ------------------------------------------------------------ over HTTP

type File<'a> = (&'a str, &'a str, &'a [u8]);

/// The portal's form: `scope` is `invoice` or `amount` (with `amount`).
async fn open_dispute(s: &Session, invoice: i64, scope: &str, amount: &str, files: &[File<'_>]) -> reqwest::Response {
    let invoice = invoice.to_string();
    s.post_multipart(
        "/api/disputes/open",
        &[
            ("invoice_id", &invoice),
            ("reason", "damaged"),
            ("scope", scope),
            ("amount", amount),
            ("message", "Deux cartons abîmés à la livraison."),
        ],
        files,
    )
    .await
}

/// Opens a dispute as the client and returns its id, as the answer gives
/// it (open, and pointing to its page).
async fn open_ok(s: &Session, invoice: i64, scope: &str, amount: &str, files: &[File<'_>]) -> i64 {
    let res = open_dispute(s, invoice, scope, amount, files).await;
    let status = res.status();
    let body: Value = res.json().await.unwrap();
    assert_eq!(status, StatusCode::OK, "disputes/open {invoice} {scope} {amount:?}: {body}");
    let id = body["value"]["id"].as_i64().unwrap_or_else(|| panic!("disputes/open answered {body}"));
    assert_eq!(body["value"]["status"], "open", "{body}");
    assert_eq!(body["next"], format!("/portal/disputes/{id}"), "{body}");
    id
}

/// The thread's form: `kind` is `message`, `info_request` or `proposal` (with `amount`).
async fn post_message(
    s: &Session,
    id: i64,
    kind: &str,
    body: &str,
    amount: &str,
    files: &[File<'_>],
) -> reqwest::Response {
    let id = id.to_string();
    s.post_multipart("/api/disputes/post", &[("id", &id), ("kind", kind), ("body", body), ("amount", amount)], files)
        .await
}

async fn decide_dispute(s: &Session, id: i64, decision: &str, amount: &str, note: &str) -> reqwest::Response {
    let id = id.to_string();
    s.post_form("/api/disputes/decide", &[("id", &id), ("decision", decision), ("amount", amount), ("note", note)])
        .await
}

async fn close_dispute(s: &Session, id: i64) -> reqwest::Response {
    s.post_form("/api/disputes/close", &[("id", &id.to_string())]).await
}

/// `disputes/get` as its raw text (to look for what must not be there) and
/// parsed, asserting success.
async fn get_dispute(s: &Session, id: i64) -> (String, Value) {
    let res = s.post_form("/api/disputes/get", &[("id", &id.to_string())]).await;
    let status = res.status();
    let raw = res.text().await.unwrap();
    assert_eq!(status, StatusCode::OK, "disputes/get {id}: {raw}");
    let body = serde_json::from_str(&raw).unwrap();
    (raw, body)
}

/// The target page a successful server function answers with.
async fn target(res: reqwest::Response) -> String {
    crate::helpers::next_of(res).await
}

/// (field, message key) of a validation error (`{"Validation": [[field, msg], ..]}`).
async fn field_errors(res: reqwest::Response) -> Vec<(String, String)> {
    let status = res.status();
    let body: Value = res.json().await.unwrap();
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    body["Validation"]
        .as_array()
        .unwrap_or_else(|| panic!("not a validation error: {body}"))
        .iter()
        .map(|f| (f[0].as_str().unwrap_or_default().to_string(), f[1].as_str().unwrap_or_default().to_string()))
        .collect()
}

fn refused(field: &str, msg: &str) -> Vec<(String, String)> {
    vec![(field.to_string(), msg.to_string())]
}

async fn status(app: &TestApp, id: i64) -> String {
    text(app, &format!("SELECT status FROM disputes WHERE id = {id}")).await
}

async fn audit(app: &TestApp, action: &str, account: i64) -> i64 {
    app.count(&format!("SELECT COUNT(*) FROM audit_log WHERE action = '{action}' AND account_id = {account}")).await
}

async fn mails_to(app: &TestApp, address: &str, account: i64) -> i64 {
    app.count(&format!("SELECT COUNT(*) FROM outbox WHERE to_address = '{address}' AND account_id = {account}")).await
}

/// The client's overview: (overdue, disputed) in minor units.
async fn overview(s: &Session) -> (i64, i64) {
    let body: Value = s.post_form("/api/portal/overview", &[]).await.json().await.unwrap();
    let minor = |k: &str| body[k]["minor"].as_i64().unwrap_or_else(|| panic!("portal/overview {k}: {body}"));
    (minor("overdue"), minor("disputed"))
}

/// The back office's account page: (overdue, disputed) in minor units.
async fn back_account(s: &Session, account: i64) -> (i64, i64) {
    let body: Value = s.post_form("/api/back/account", &[("id", &account.to_string())]).await.json().await.unwrap();
    let minor = |k: &str| body[k]["minor"].as_i64().unwrap_or_else(|| panic!("back/account {k}: {body}"));
    (minor("overdue"), minor("disputed"))
}

/// An invoice as its reader sees it: (state, disputed in minor units).
async fn invoice_state(s: &Session, invoice: i64) -> (String, i64) {
    let body: Value = s.post_form("/api/invoices/detail", &[("id", &invoice.to_string())]).await.json().await.unwrap();
    let state = body["summary"]["state"].as_str().unwrap_or_else(|| panic!("invoices/detail: {body}")).to_string();
    (state, body["summary"]["disputed"]["minor"].as_i64().unwrap_or_else(|| panic!("invoices/detail: {body}")))
}

fn header(res: &reqwest::Response, name: &str) -> String {
    res.headers().get(name).map(|v| v.to_str().unwrap().to_string()).unwrap_or_default()
}

#[tokio::test]
async fn a_client_disputes_with_an_attachment_and_the_owner_approves_part() {
    for backend in BACKENDS {
        let Some(app) = spawn_app(backend).await else { continue };
        let fx = app.fx.clone();
        let client = app.login(CLIENT1).await;
        let c1 = app.login(COLLECTOR1).await;
        let owner = app.login(OWNER).await;
        assert_eq!(overview(&client).await, (30_000, 0));
        assert_eq!(back_account(&c1, fx.account1).await, (30_000, 0));

        // 120 € of T-0002, with a delivery note and a photo.
        let files = [("attachments", "bon-livraison.pdf", PDF), ("attachments", "photo.png", PNG)];
        let id = open_ok(&client, fx.inv1_overdue, "amount", "120", &files).await;
        assert_eq!(
            app.count(&format!(
                "SELECT COUNT(*) FROM disputes WHERE id = {id} AND account_id = {} AND invoice_id = {}
                 AND status = 'open' AND scope = 'amount' AND reason = 'damaged' AND amount_minor = 12000",
                fx.account1, fx.inv1_overdue
            ))
            .await,
            1,
            "{backend:?}"
        );
        assert_eq!(app.count(&format!("SELECT COUNT(*) FROM dispute_messages WHERE dispute_id = {id}")).await, 1);
        assert_eq!(
            app.count(&format!(
                "SELECT COUNT(*) FROM dispute_attachments WHERE dispute_id = {id}
                 AND content_type IN ('application/pdf', 'image/png')"
            ))
            .await,
            2
        );
        assert_eq!(app.count("SELECT COUNT(*) FROM dispute_files").await, 2);
        // The account's collector is told, and nobody else.
        assert_eq!(mails_to(&app, COLLECTOR1, fx.account1).await, 1, "{backend:?}");
        assert_eq!(app.count("SELECT COUNT(*) FROM outbox").await, 1);
        assert_eq!(audit(&app, "dispute.opened", fx.account1).await, 1);

        // The disputed 120 € leave the overdue figures and are shown apart;
        // partly disputed, T-0002 is still overdue.
        assert_eq!(overview(&client).await, (18_000, 12_000), "{backend:?}");
        assert_eq!(back_account(&c1, fx.account1).await, (18_000, 12_000), "{backend:?}");
        assert_eq!(invoice_state(&client, fx.inv1_overdue).await, ("overdue".to_string(), 12_000));

        let (_, d) = get_dispute(&client, id).await;
        assert_eq!(d["summary"]["status"], "open");
        assert_eq!(d["summary"]["amount"]["minor"], 12_000);
        assert_eq!(d["summary"]["invoice_number"], "T-0002");
        assert_eq!(d["scope"], "amount");
        assert_eq!(d["can_post"], true);
        assert_eq!(d["can_close"], true);
        assert_eq!(d["can_decide"], false);
        let messages = d["messages"].as_array().unwrap();
        assert_eq!(messages.len(), 1, "{d}");
        let attachment = |name: &str| {
            messages[0]["attachments"]
                .as_array()
                .unwrap()
                .iter()
                .find(|a| a["file_name"] == name)
                .and_then(|a| a["id"].as_i64())
                .unwrap_or_else(|| panic!("no attachment {name} in {d}"))
        };
        let (pdf, png) = (attachment("bon-livraison.pdf"), attachment("photo.png"));

        // The collector asks for information: under review, the client is told.
        let res = post_message(&c1, id, "info_request", "Pouvez-vous joindre une photo du carton ?", "", &[]).await;
        assert_eq!(target(res).await, format!("/back/disputes/{id}"));
        assert_eq!(status(&app, id).await, "under_review", "{backend:?}");
        assert_eq!(mails_to(&app, BILLING, fx.account1).await, 1);
        assert_eq!(audit(&app, "dispute.under_review", fx.account1).await, 1);
        assert_eq!(audit(&app, "dispute.info_requested", fx.account1).await, 1);

        // The client answers with the same photo: a third attachment, the same stored file.
        let photo = [("attachments", "carton.png", PNG)];
        let res = post_message(&client, id, "message", "Voici la photo.", "", &photo).await;
        assert_eq!(target(res).await, format!("/portal/disputes/{id}"));
        assert_eq!(app.count(&format!("SELECT COUNT(*) FROM dispute_attachments WHERE dispute_id = {id}")).await, 3);
        assert_eq!(app.count("SELECT COUNT(*) FROM dispute_files").await, 2, "{backend:?}: stored once per content");
        assert_eq!(mails_to(&app, COLLECTOR1, fx.account1).await, 2);
        assert_eq!(status(&app, id).await, "under_review");
        // A client only writes messages.
        let res = post_message(&client, id, "proposal", "", "120", &[]).await;
        assert_eq!(res.status(), StatusCode::FORBIDDEN);

        // The collector proposes 80 €: for the owners, never for the client.
        let res = post_message(&c1, id, "proposal", "Proposition : accorder 80 € sur 120 €.", "80", &[]).await;
        assert_eq!(target(res).await, format!("/back/disputes/{id}"));
        let proposed = app.count(&format!("SELECT COALESCE(proposed_minor, 0) FROM disputes WHERE id = {id}")).await;
        assert_eq!(proposed, 8_000, "{backend:?}");
        assert_eq!(mails_to(&app, OWNER, fx.account1).await, 1, "{backend:?}");
        assert_eq!(audit(&app, "dispute.proposed", fx.account1).await, 1);
        let (raw, d) = get_dispute(&client, id).await;
        assert!(!raw.contains("Proposition"), "{backend:?}: the client sees the proposal: {raw}");
        assert!(d["messages"].as_array().unwrap().iter().all(|m| m["kind"] != "proposal"), "{d}");
        assert!(d["summary"]["proposed"].is_null(), "{backend:?}: the client sees the proposed amount: {d}");
        let (raw, d) = get_dispute(&c1, id).await;
        assert!(raw.contains("Proposition"), "{raw}");
        assert_eq!(d["summary"]["proposed"]["minor"], 8_000);
        assert_eq!(d["can_review"], true);
        assert_eq!(d["can_decide"], false);

        // Only an owner decides.
        assert_eq!(decide_dispute(&c1, id, "approve", "80", "").await.status(), StatusCode::FORBIDDEN);
        assert_eq!(status(&app, id).await, "under_review");
        assert_eq!(app.count("SELECT COUNT(*) FROM credit_notes").await, 0);
        assert_eq!(app.count("SELECT COUNT(*) FROM ledger_entries WHERE kind = 'credit_note'").await, 0);
        assert_eq!(balance(&app, fx.inv1_overdue).await, 30_000);

        let res = decide_dispute(&owner, id, "approve", "80", "Accord pour deux cartons.").await;
        assert_eq!(target(res).await, format!("/back/disputes/{id}"), "{backend:?}");
        assert_eq!(status(&app, id).await, "partially_approved");
        assert_eq!(app.count(&format!("SELECT approved_minor FROM disputes WHERE id = {id}")).await, 8_000);
        assert_eq!(app.count(&format!("SELECT COUNT(*) FROM credit_notes WHERE dispute_id = {id}")).await, 1);
        let number = text(&app, &format!("SELECT number FROM credit_notes WHERE dispute_id = {id}")).await;
        assert!(number.starts_with("AV-"), "{number}");
        assert_eq!(app.count(&format!("SELECT amount_minor FROM credit_notes WHERE dispute_id = {id}")).await, 8_000);
        assert_eq!(
            app.count(&format!(
                "SELECT COUNT(*) FROM ledger_entries WHERE invoice_id = {} AND kind = 'credit_note'
                 AND amount_minor = -8000 AND reference = '{number}'",
                fx.inv1_overdue
            ))
            .await,
            1,
            "{backend:?}"
        );
        assert_eq!(balance(&app, fx.inv1_overdue).await, 22_000);
        assert_eq!(mails_to(&app, BILLING, fx.account1).await, 2, "{backend:?}: the client is told");
        assert_eq!(audit(&app, "dispute.partially_approved", fx.account1).await, 1);
        // Decided: nothing is disputed any more; the rest is overdue again.
        assert_eq!(overview(&client).await, (22_000, 0), "{backend:?}");
        assert_eq!(back_account(&c1, fx.account1).await, (22_000, 0));

        // No second decision.
        let res = decide_dispute(&owner, id, "approve", "80", "").await;
        assert_eq!(res.status(), StatusCode::CONFLICT, "{backend:?}");
        assert_eq!(app.count("SELECT COUNT(*) FROM credit_notes").await, 1);
        assert_eq!(balance(&app, fx.inv1_overdue).await, 22_000);

        // The client sees the decision and its credit note, and downloads it.
        let (_, d) = get_dispute(&client, id).await;
        assert_eq!(d["summary"]["status"], "partially_approved");
        assert_eq!(d["summary"]["approved"]["minor"], 8_000);
        assert_eq!(d["decision_note"], "Accord pour deux cartons.");
        assert_eq!(d["credit_note"]["number"], number.as_str());
        assert_eq!(d["credit_note"]["amount"]["minor"], 8_000);
        let credit_note = d["credit_note"]["id"].as_i64().unwrap();
        let res = client.get(&format!("/credit-notes/{credit_note}/pdf")).await;
        assert_eq!(res.status(), StatusCode::OK, "{backend:?}");
        assert_eq!(header(&res, "content-type"), "application/pdf");
        assert!(header(&res, "content-disposition").contains(&format!("{number}.pdf")));
        assert!(res.bytes().await.unwrap().starts_with(b"%PDF"));
        let other = app.login(CLIENT2).await;
        assert_eq!(other.get(&format!("/credit-notes/{credit_note}/pdf")).await.status(), StatusCode::NOT_FOUND);

        // The files come back as they were sent, as downloads only, to those in scope.
        for (attachment, bytes, content_type) in [(pdf, PDF, "application/pdf"), (png, PNG, "image/png")] {
            let path = format!("/disputes/attachments/{attachment}");
            let res = client.get(&path).await;
            assert_eq!(res.status(), StatusCode::OK, "{backend:?} {path}");
            assert_eq!(header(&res, "content-type"), content_type);
            assert!(header(&res, "content-disposition").starts_with("attachment"), "{path}");
            assert_eq!(header(&res, "x-content-type-options"), "nosniff");
            assert_eq!(&res.bytes().await.unwrap()[..], bytes);
            assert_eq!(c1.get(&path).await.status(), StatusCode::OK);
            assert_eq!(other.get(&path).await.status(), StatusCode::NOT_FOUND, "{path}");
            assert_eq!(app.login(COLLECTOR2).await.get(&path).await.status(), StatusCode::NOT_FOUND, "{path}");
            let res = app.anonymous().get(&path).await;
            assert_eq!(res.status(), StatusCode::SEE_OTHER, "{path}");
            assert!(header(&res, "location").starts_with("/login"), "{path}");
        }
        app.finish().await;
    }
}

#[tokio::test]
async fn an_executable_renamed_pdf_is_refused_and_nothing_is_written() {
    for backend in BACKENDS {
        let Some(app) = spawn_app(backend).await else { continue };
        let inv = app.fx.inv1_overdue;
        let s = app.login(CLIENT1).await;
        let res = open_dispute(&s, inv, "invoice", "", &[("attachments", "facture.pdf", EXE)]).await;
        assert_eq!(field_errors(res).await, refused("attachments", "AttachmentType"), "{backend:?}");
        // One bad file refuses the whole message, good files included.
        let files = [("attachments", "photo.png", PNG), ("attachments", "facture.pdf", EXE)];
        let res = open_dispute(&s, inv, "invoice", "", &files).await;
        assert_eq!(field_errors(res).await, refused("attachments", "AttachmentType"));

        // One file too many. Reading stops there, so the answer may close the
        // connection: a fresh session for each refused body.
        let png_names: Vec<String> = (0..=MAX_PER_MESSAGE).map(|i| format!("photo-{i}.png")).collect();
        let files: Vec<File<'_>> = png_names.iter().map(|n| ("attachments", n.as_str(), PNG)).collect();
        let res = open_dispute(&app.login(CLIENT1).await, inv, "invoice", "", &files).await;
        assert_eq!(field_errors(res).await, refused("attachments", "TooManyAttachments"), "{backend:?}");

        // One byte over the limit (the smallest file refused; a much larger body
        // would be cut off unread, and the client could see a reset instead of
        // the answer).
        let mut big = b"%PDF-1.4\n".to_vec();
        big.resize(MAX_BYTES + 1, b' ');
        let files = [("attachments", "gros.pdf", big.as_slice())];
        let res = open_dispute(&app.login(CLIENT1).await, inv, "invoice", "", &files).await;
        assert_eq!(field_errors(res).await, refused("attachments", "AttachmentTooLarge"), "{backend:?}");

        for table in ["disputes", "dispute_messages", "dispute_attachments", "dispute_files", "outbox"] {
            assert_eq!(app.count(&format!("SELECT COUNT(*) FROM {table}")).await, 0, "{backend:?}: {table}");
        }
        assert_eq!(app.count("SELECT COUNT(*) FROM audit_log WHERE action LIKE 'dispute.%'").await, 0);
        assert_eq!(overview(&s).await, (30_000, 0));
        app.finish().await;
    }
}

#[tokio::test]
async fn an_accountant_changes_nothing() {
    for backend in BACKENDS {
        let Some(app) = spawn_app(backend).await else { continue };
        let client = app.login(CLIENT1).await;
        let id = open_ok(&client, app.fx.inv1_overdue, "amount", "50", &[]).await;
        let mails = app.count("SELECT COUNT(*) FROM outbox").await;

        let acc = app.login(ACCOUNTANT).await;
        // Reads it, may do nothing with it.
        let (_, d) = get_dispute(&acc, id).await;
        for can in ["can_post", "can_review", "can_decide", "can_close"] {
            assert_eq!(d[can], false, "{backend:?} {can}: {d}");
        }
        let photo = [("attachments", "photo.png", PNG)];
        for (kind, amount) in [("message", ""), ("info_request", ""), ("proposal", "50")] {
            let res = post_message(&acc, id, kind, "Je regarde.", amount, &photo).await;
            assert_eq!(res.status(), StatusCode::FORBIDDEN, "{backend:?} {kind}");
        }
        assert_eq!(decide_dispute(&acc, id, "approve", "", "").await.status(), StatusCode::FORBIDDEN);
        assert_eq!(decide_dispute(&acc, id, "approve", "20", "").await.status(), StatusCode::FORBIDDEN);
        assert_eq!(decide_dispute(&acc, id, "reject", "", "Non.").await.status(), StatusCode::FORBIDDEN);
        assert_eq!(close_dispute(&acc, id).await.status(), StatusCode::FORBIDDEN);

        assert_eq!(status(&app, id).await, "open", "{backend:?}");
        let untouched = format!("SELECT COUNT(*) FROM disputes WHERE id = {id} AND proposed_minor IS NULL");
        assert_eq!(app.count(&untouched).await, 1);
        assert_eq!(app.count("SELECT COUNT(*) FROM dispute_messages").await, 1);
        assert_eq!(app.count("SELECT COUNT(*) FROM dispute_attachments").await, 0);
        assert_eq!(app.count("SELECT COUNT(*) FROM dispute_files").await, 0);
        assert_eq!(app.count("SELECT COUNT(*) FROM credit_notes").await, 0);
        assert_eq!(app.count("SELECT COUNT(*) FROM ledger_entries WHERE kind = 'credit_note'").await, 0);
        assert_eq!(app.count("SELECT COUNT(*) FROM outbox").await, mails);
        assert_eq!(app.count("SELECT COUNT(*) FROM audit_log WHERE action LIKE 'dispute.%'").await, 1);
        assert_eq!(balance(&app, app.fx.inv1_overdue).await, 30_000);
        app.finish().await;
    }
}

#[tokio::test]
async fn no_decision_on_a_closed_dispute() {
    for backend in BACKENDS {
        let Some(app) = spawn_app(backend).await else { continue };
        let fx = app.fx.clone();
        let client = app.login(CLIENT1).await;
        let owner = app.login(OWNER).await;
        let c1 = app.login(COLLECTOR1).await;
        // The whole of T-0002: out of collection altogether.
        let id = open_ok(&client, fx.inv1_overdue, "invoice", "", &[]).await;
        assert_eq!(app.count(&format!("SELECT amount_minor FROM disputes WHERE id = {id}")).await, 30_000);
        assert_eq!(overview(&client).await, (0, 30_000), "{backend:?}");
        assert_eq!(invoice_state(&client, fx.inv1_overdue).await, ("disputed".to_string(), 30_000));
        assert!(overdue_numbers(&client, None).await.is_empty(), "{backend:?}");

        // The client withdraws it: closed, and the amount is due again.
        assert_eq!(target(close_dispute(&client, id).await).await, format!("/portal/disputes/{id}"));
        assert_eq!(status(&app, id).await, "closed", "{backend:?}");
        let closed = format!("SELECT COUNT(*) FROM disputes WHERE id = {id} AND closed_at IS NOT NULL");
        assert_eq!(app.count(&closed).await, 1);
        assert_eq!(audit(&app, "dispute.withdrawn", fx.account1).await, 1);
        assert_eq!(mails_to(&app, COLLECTOR1, fx.account1).await, 2, "{backend:?}: opened, then withdrawn");
        assert_eq!(overview(&client).await, (30_000, 0), "{backend:?}");
        assert_eq!(invoice_state(&client, fx.inv1_overdue).await, ("overdue".to_string(), 0));
        assert_eq!(overdue_numbers(&client, None).await, ["T-0002"]);

        // Nothing more happens to it.
        assert_eq!(decide_dispute(&owner, id, "approve", "", "").await.status(), StatusCode::CONFLICT, "{backend:?}");
        assert_eq!(decide_dispute(&owner, id, "reject", "", "Trop tard.").await.status(), StatusCode::CONFLICT);
        let res = post_message(&client, id, "message", "Finalement…", "", &[]).await;
        assert_eq!(res.status(), StatusCode::CONFLICT, "{backend:?}");
        let res = post_message(&c1, id, "info_request", "Une photo ?", "", &[]).await;
        assert_eq!(res.status(), StatusCode::CONFLICT);
        assert_eq!(close_dispute(&client, id).await.status(), StatusCode::CONFLICT);
        assert_eq!(status(&app, id).await, "closed");
        assert_eq!(app.count(&format!("SELECT COUNT(*) FROM dispute_messages WHERE dispute_id = {id}")).await, 2);
        assert_eq!(app.count("SELECT COUNT(*) FROM credit_notes").await, 0);
        assert_eq!(app.count("SELECT COUNT(*) FROM ledger_entries WHERE kind = 'credit_note'").await, 0);
        assert_eq!(balance(&app, fx.inv1_overdue).await, 30_000);
        assert_eq!(
            app.count("SELECT COUNT(*) FROM audit_log WHERE action IN ('dispute.approved', 'dispute.rejected')").await,
            0
        );
        // A withdrawn dispute does not stand in the way of a new one.
        let again = open_ok(&client, fx.inv1_overdue, "amount", "10", &[]).await;
        assert_ne!(again, id);
        app.finish().await;
    }
}

#[tokio::test]
async fn multipart_endpoint_without_a_boundary_is_a_400() {
    for backend in BACKENDS {
        let Some(app) = spawn_app(backend).await else { continue };
        let s = app.login(CLIENT1).await;
        let inv = app.fx.inv1_overdue.to_string();
        let form = [("invoice_id", inv.as_str()), ("reason", "damaged"), ("scope", "invoice"), ("message", "x")];
        for path in ["/api/disputes/open", "/api/disputes/post"] {
            // What a url-encoded form (or a wasm client with the wrong codec) sends.
            let res = s.post_form(path, &form).await;
            assert_eq!(res.status(), StatusCode::BAD_REQUEST, "{backend:?} {path}");
            // Multipart, but no boundary to split it with.
            let res = s
                .client
                .post(s.url(path))
                .header("Accept", "application/json")
                .header("Content-Type", "multipart/form-data")
                .body("invoice_id=1")
                .send()
                .await
                .unwrap();
            assert_eq!(res.status(), StatusCode::BAD_REQUEST, "{backend:?} {path}");
        }
        assert_eq!(app.count("SELECT COUNT(*) FROM disputes").await, 0);
        // The server still answers, and a proper form goes through.
        assert_eq!(s.post_form("/api/portal/overview", &[]).await.status(), StatusCode::OK, "{backend:?}");
        assert_eq!(app.anonymous().get("/healthz").await.status(), StatusCode::OK);
        open_ok(&s, app.fx.inv1_overdue, "invoice", "", &[]).await;
        app.finish().await;
    }
}

#[tokio::test]
async fn a_message_past_its_limit_is_refused_not_cut_and_an_unknown_queue_is_not_all() {
    for backend in BACKENDS {
        let Some(app) = spawn_app(backend).await else { continue };
        let s = app.login(CLIENT1).await;
        let invoice = app.fx.inv1_overdue.to_string();
        let long = "é".repeat(5001);
        let res = s
            .post_multipart(
                "/api/disputes/open",
                &[("invoice_id", &invoice), ("reason", "damaged"), ("scope", "invoice"), ("message", &long)],
                &[],
            )
            .await;
        assert_eq!(field_errors(res).await, refused("message", "TooLong"), "{backend:?}");
        assert_eq!(app.count("SELECT COUNT(*) FROM disputes").await, 0);
        // Exactly at the limit is taken whole.
        let id = {
            let full = "é".repeat(5000);
            let res = s
                .post_multipart(
                    "/api/disputes/open",
                    &[("invoice_id", &invoice), ("reason", "damaged"), ("scope", "invoice"), ("message", &full)],
                    &[],
                )
                .await;
            crate::helpers::created(res).await.0
        };
        let stored =
            text(&app, &format!("SELECT body FROM dispute_messages WHERE dispute_id = {id} ORDER BY id LIMIT 1")).await;
        assert_eq!(stored.chars().count(), 5000);

        // A queue the back-office does not have is refused, not read as "all".
        let owner = app.login(OWNER).await;
        let res = owner.post_json("/api/disputes/list", json!({ "query": { "queue": "everything", "page": 1 } })).await;
        assert_eq!(res.status(), StatusCode::BAD_REQUEST, "{backend:?}");
        let res = owner.post_json("/api/disputes/list", json!({ "query": { "queue": "decided", "page": 1 } })).await;
        let body: Value = res.json().await.unwrap();
        assert_eq!(body["items"].as_array().map(Vec::len), Some(0), "{body}");
        assert_eq!(body["page_count"], 1, "{body}");
        let counts = body["counts"].as_array().unwrap();
        assert!(counts.contains(&json!(["in_progress", 1])), "{body}");
        app.finish().await;
    }
}
