//! Money received outside the portal (transfer, cheque, cash, card
//! terminal), recorded by the bookkeeper, and its reversal; on both
//! databases.

use crate::helpers::{created, spawn_app, today, Session, TestApp, BACKENDS};
use crate::invoicing::{draft, issue};
use crate::money::{stored_balance, text};
use app::with_db;
use reqwest::StatusCode;
use serde_json::Value;

/// The record form as a browser posts it; `parts`: (invoice id, amount).
pub(crate) async fn record(
    s: &Session,
    account: i64,
    channel: &str,
    amount: &str,
    parts: &[(i64, &str)],
    key: &str,
) -> reqwest::Response {
    let yesterday = (today() - chrono::Duration::days(1)).to_string();
    let mut f: Vec<(String, String)> = vec![
        ("form[account_id]".into(), account.to_string()),
        ("form[channel]".into(), channel.into()),
        ("form[received_on]".into(), yesterday),
        ("form[amount]".into(), amount.into()),
        ("form[reference]".into(), "VIR SEPA DUPONT 4471".into()),
        ("form[idempotency_key]".into(), key.into()),
    ];
    for (i, (invoice, amount)) in parts.iter().enumerate() {
        f.push((format!("form[parts][{i}][invoice_id]"), invoice.to_string()));
        f.push((format!("form[parts][{i}][amount]"), amount.to_string()));
    }
    let f: Vec<(&str, &str)> = f.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    s.post_form("/api/payments/record", &f).await
}

pub(crate) async fn reverse(s: &Session, payment: i64, reason: &str) -> reqwest::Response {
    s.post_form("/api/payments/reverse", &[("payment_id", &payment.to_string()), ("reason", reason)]).await
}

/// Every stored figure of an account: its invoices' balances, then its
/// balance, unapplied credit, open and overdue amounts.
async fn figures(app: &TestApp, account: i64) -> Vec<(i64, i64)> {
    let mut rows: Vec<(i64, i64)> = with_db!(&app.db, |pool| {
        sqlx::query_as("SELECT id, balance_minor FROM invoices WHERE account_id = $1 ORDER BY id")
            .bind(account)
            .fetch_all(pool)
            .await
    })
    .unwrap();
    let (b, u, o, d): (i64, i64, i64, i64) = with_db!(&app.db, |pool| {
        sqlx::query_as("SELECT balance_minor, unapplied_minor, open_minor, overdue_minor FROM accounts WHERE id = $1")
            .bind(account)
            .fetch_one(pool)
            .await
    })
    .unwrap();
    rows.extend([(-1, b), (-2, u), (-3, o), (-4, d)]);
    rows
}

/// An issued invoice of 119.99 on the account.
async fn invoice(owner: &Session, account: i64) -> i64 {
    let d = draft(owner, account).await;
    created(issue(owner, d).await).await.0
}

/// The accountant records a transfer for the oldest invoices; posting the
/// form twice records it once; reversing it (a recalled transfer) leaves
/// every figure as before, once.
#[tokio::test]
async fn a_transfer_oldest_first_then_reversed_leaves_the_ledger_as_before() {
    for backend in BACKENDS {
        let Some(app) = spawn_app(backend).await else { continue };
        let owner = app.login("owner@test.example").await;
        let acc = app.login("acc@test.example").await;
        let account = app.fx.account3;
        let (first, second) = (invoice(&owner, account).await, invoice(&owner, account).await);
        let before = figures(&app, account).await;

        let (payment, status) = created(record(&acc, account, "transfer", "150", &[], "k-1").await).await;
        assert_eq!(status, "succeeded");
        // 119.99 on the oldest, 30.01 on the next.
        assert_eq!(stored_balance(&app, first).await, 0);
        assert_eq!(stored_balance(&app, second).await, 11_999 - 3_001);
        let again = created(record(&acc, account, "transfer", "150", &[], "k-1").await).await;
        assert_eq!(again.0, payment, "the same form posted twice is one payment");
        assert_eq!(app.count(&format!("SELECT COUNT(*) FROM payments WHERE account_id = {account}")).await, 1);
        assert_eq!(
            app.count(&format!("SELECT COUNT(*) FROM payment_allocations WHERE payment_id = {payment}")).await,
            2
        );
        // Booked on the day the money arrived, traceable to the payment.
        let yesterday = (today() - chrono::Duration::days(1)).to_string();
        assert_eq!(
            text(
                &app,
                &format!("SELECT CAST(MIN(occurred_on) AS TEXT) FROM ledger_entries WHERE payment_id = {payment}")
            )
            .await,
            yesterday
        );
        let detail: Value =
            acc.post_form("/api/payments/detail", &[("id", &payment.to_string())]).await.json().await.unwrap();
        assert_eq!(detail["summary"]["channel"], "transfer");
        assert_eq!(detail["summary"]["payer_reference"], "VIR SEPA DUPONT 4471");
        assert_eq!(detail["allocations"].as_array().unwrap().len(), 2);
        assert_eq!(
            app.count(&format!(
                "SELECT COUNT(*) FROM audit_log WHERE action = 'payment.recorded' AND account_id = {account}"
            ))
            .await,
            1
        );

        // Reversing: a reason is required; collectors and clients may not.
        assert_eq!(reverse(&acc, payment, " ").await.status(), StatusCode::UNPROCESSABLE_ENTITY);
        for who in ["c1@test.example", "client1@test.example"] {
            let s = app.login(who).await;
            assert_eq!(reverse(&s, payment, "Rappel de fonds").await.status(), StatusCode::FORBIDDEN, "{who}");
        }
        let (_, status) = created(reverse(&acc, payment, "Rappel de fonds par la banque").await).await;
        assert_eq!(status, "reversed");
        assert_eq!(figures(&app, account).await, before, "every figure as before the transfer");
        assert_eq!(reverse(&acc, payment, "Encore").await.status(), StatusCode::CONFLICT);
        assert_eq!(
            app.count(&format!(
                "SELECT COUNT(*) FROM ledger_entries WHERE payment_id = {payment} AND kind = 'payment_reversal'"
            ))
            .await,
            2
        );
        let detail: Value =
            owner.post_form("/api/payments/detail", &[("id", &payment.to_string())]).await.json().await.unwrap();
        assert_eq!(detail["summary"]["status"], "reversed");
        assert_eq!(detail["summary"]["reversal_reason"], "Rappel de fonds par la banque");
        app.verify_ledger().await;
        app.finish().await;
    }
}

/// Amounts typed against chosen invoices; the surplus is credit (applied
/// to what else is open); reversing takes the credit back from the invoice
/// it paid. Bad parts are named and write nothing.
#[tokio::test]
async fn chosen_invoices_and_a_surplus() {
    for backend in BACKENDS {
        let Some(app) = spawn_app(backend).await else { continue };
        let owner = app.login("owner@test.example").await;
        let account = app.fx.account3;
        let (first, second) = (invoice(&owner, account).await, invoice(&owner, account).await);
        let before = figures(&app, account).await;
        let count_payments = format!("SELECT COUNT(*) FROM payments WHERE account_id = {account}");

        // Another account's invoice, more than it owes, more than received.
        let foreign = app.fx.inv1_open;
        let res = record(&owner, account, "cheque", "300", &[(foreign, "10"), (second, "120")], "k-2").await;
        assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
        let body: Value = res.json().await.unwrap();
        let text = body.to_string();
        assert!(text.contains(&format!("part.{foreign}")) && text.contains(&format!("part.{second}")), "{text}");
        let res = record(&owner, account, "cheque", "100", &[(second, "119,99")], "k-2").await;
        assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY, "parts above the amount received");
        assert_eq!(app.count(&count_payments).await, 0);

        let (payment, _) = created(record(&owner, account, "cheque", "300", &[(second, "119,99")], "k-2").await).await;
        assert_eq!(stored_balance(&app, second).await, 0);
        // 180.01 left: 119.99 pays the other invoice, 60.02 waits as credit.
        assert_eq!(stored_balance(&app, first).await, 0);
        assert_eq!(app.count(&format!("SELECT unapplied_minor FROM accounts WHERE id = {account}")).await, -6_002);

        let (_, status) = created(reverse(&owner, payment, "Chèque sans provision").await).await;
        assert_eq!(status, "reversed");
        assert_eq!(figures(&app, account).await, before, "both invoices owed again, no credit left");
        // The client is told, in their language, with the reason.
        assert_eq!(
            app.count(&format!(
                "SELECT COUNT(*) FROM outbox WHERE account_id = {account} AND body_text LIKE '%Chèque sans provision%'"
            ))
            .await,
            1
        );
        app.verify_ledger().await;
        app.finish().await;
    }
}

/// Recording is the bookkeeper's (owner, accountant); the client sees the
/// payment and downloads its receipt; cash cannot bounce.
#[tokio::test]
async fn who_records_and_what_the_client_sees() {
    for backend in BACKENDS {
        let Some(app) = spawn_app(backend).await else { continue };
        let account = app.fx.account1;
        for who in ["c1@test.example", "client1@test.example"] {
            let s = app.login(who).await;
            let res = record(&s, account, "transfer", "10", &[], "k-3").await;
            assert_eq!(res.status(), StatusCode::FORBIDDEN, "{who}");
            let res = s.post_form("/api/payments/receive_sheet", &[("account_id", &account.to_string())]).await;
            assert_eq!(res.status(), StatusCode::FORBIDDEN, "{who}");
        }
        let acc = app.login("acc@test.example").await;
        let sheet: Value = acc
            .post_form("/api/payments/receive_sheet", &[("account_id", &account.to_string())])
            .await
            .json()
            .await
            .unwrap();
        assert!(!sheet["open"].as_array().unwrap().is_empty(), "{sheet}");
        assert!(!sheet["idempotency_key"].as_str().unwrap().is_empty());
        let res = record(&acc, account, "teleport", "-3", &[], "k-3").await;
        assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
        let (payment, _) = created(record(&acc, account, "cash", "25", &[], "k-3").await).await;
        assert_eq!(reverse(&acc, payment, "Erreur").await.status(), StatusCode::CONFLICT, "cash cannot bounce");

        let client = app.login("client1@test.example").await;
        let list: Value = client
            .post_json("/api/payments/list", serde_json::json!({ "query": { "page": 1 } }))
            .await
            .json()
            .await
            .unwrap();
        let mine = list["items"].as_array().unwrap();
        assert!(mine.iter().any(|p| p["id"] == payment && p["channel"] == "cash"), "{list}");
        let res = client.get(&format!("/payments/{payment}/receipt.pdf")).await;
        assert_eq!(res.status(), StatusCode::OK);
        assert!(res.bytes().await.unwrap().starts_with(b"%PDF"));
        // Another account's client reaches none of it.
        let other = app.login("client2@test.example").await;
        assert_eq!(other.get(&format!("/payments/{payment}/receipt.pdf")).await.status(), StatusCode::NOT_FOUND);
        app.verify_ledger().await;
        app.finish().await;
    }
}
