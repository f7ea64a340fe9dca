//! Reading money back in tests: balances and ledger entries straight from
//! the database, payments' status, and the payer's calls every payment test
//! makes. Shared by the payment test files.

use crate::helpers::{Session, TestApp};
use app::with_db;
use reqwest::StatusCode;
use serde_json::{json, Value};

pub(crate) async fn balance(app: &TestApp, invoice: i64) -> i64 {
    app.count(&format!(
        "SELECT CAST(COALESCE(SUM(amount_minor), 0) AS BIGINT) FROM ledger_entries WHERE invoice_id = {invoice}"
    ))
    .await
}

pub(crate) async fn account_balance(app: &TestApp, account: i64) -> i64 {
    app.count(&format!(
        "SELECT CAST(COALESCE(SUM(amount_minor), 0) AS BIGINT) FROM ledger_entries WHERE account_id = {account}"
    ))
    .await
}

/// Ledger entries of kind `payment` this payment posted.
pub(crate) async fn posted(app: &TestApp, payment: i64) -> i64 {
    app.count(&format!("SELECT COUNT(*) FROM ledger_entries WHERE payment_id = {payment} AND kind = 'payment'")).await
}

/// One text value (`app.count` for strings).
pub(crate) async fn text(app: &TestApp, sql: &str) -> String {
    with_db!(&app.db, |pool| sqlx::query_scalar::<_, String>(sql).fetch_one(pool).await).expect(sql)
}

pub(crate) async fn status_of(app: &TestApp, payment: i64) -> String {
    text(app, &format!("SELECT status FROM payments WHERE id = {payment}")).await
}

pub(crate) async fn payment_by_key(app: &TestApp, key: &str) -> i64 {
    app.count(&format!("SELECT id FROM payments WHERE idempotency_key = '{key}'")).await
}

pub(crate) async fn add_card(s: &Session, number: &str) -> reqwest::Response {
    s.post_form(
        "/api/payments/add_method",
        &[("kind", "card"), ("card_number", number), ("card_expiry", "12/30"), ("card_cvc", "123")],
    )
    .await
}

pub(crate) async fn detail(s: &Session, id: i64) -> Value {
    let res = s.post_form("/api/payments/detail", &[("id", &id.to_string())]).await;
    let status = res.status();
    let body: Value = res.json().await.unwrap();
    assert_eq!(status, StatusCode::OK, "payments/detail {id}: {body}");
    body
}

/// The numbers of the caller's overdue invoices (of one account, or all in scope).
pub async fn overdue_numbers(s: &Session, account: Option<i64>) -> Vec<String> {
    let body: Value = s
        .post_json(
            "/api/invoices/list",
            json!({ "query": { "filter": "overdue", "sort": "due_asc", "page": 1, "account_id": account, "search": null } }),
        )
        .await
        .json()
        .await
        .unwrap();
    body["items"]
        .as_array()
        .unwrap_or_else(|| panic!("invoices/list: {body}"))
        .iter()
        .map(|i| i["number"].as_str().unwrap().to_string())
        .collect()
}
