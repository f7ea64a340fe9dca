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

pub(crate) async fn methods(s: &Session) -> Value {
    let res = s.post_form("/api/payments/methods", &[]).await;
    assert_eq!(res.status(), StatusCode::OK);
    res.json().await.unwrap()
}

/// The id of the first saved method, as a form sends it.
pub(crate) async fn first_method(s: &Session) -> String {
    let v = methods(s).await;
    v["methods"][0]["id"].as_i64().unwrap_or_else(|| panic!("a saved method: {v}")).to_string()
}

/// Pays with a saved method (its id) — `invoices` as comma-separated ids.
pub(crate) async fn pay(s: &Session, invoices: &str, total: i64, key: &str, method: &str) -> reqwest::Response {
    let total = total.to_string();
    s.post_form(
        "/api/payments/pay",
        &[
            ("invoices", invoices),
            ("amount", ""),
            ("expected_total", &total),
            ("idempotency_key", key),
            ("method", method),
        ],
    )
    .await
}

/// Pays a pay link's invoice with a sandbox card, as its page posts it.
pub(crate) async fn pay_by_link(anon: &Session, token: &str, key: &str, total: i64) -> reqwest::Response {
    let total = total.to_string();
    anon.post_form(
        "/api/paylink/pay",
        &[
            ("token", token),
            ("idempotency_key", key),
            ("expected_total", &total),
            ("card_number", "4242424242424242"),
            ("card_expiry", "12/30"),
            ("card_cvc", "123"),
        ],
    )
    .await
}

/// Pays with a card typed into the sandbox's form, not saved.
pub(crate) async fn pay_new_card(
    s: &Session,
    invoices: &str,
    total: i64,
    key: &str,
    number: &str,
) -> reqwest::Response {
    let total = total.to_string();
    s.post_form(
        "/api/payments/pay",
        &[
            ("invoices", invoices),
            ("amount", ""),
            ("expected_total", &total),
            ("idempotency_key", key),
            ("method", "new"),
            ("card_number", number),
            ("card_expiry", "12/30"),
            ("card_cvc", "123"),
        ],
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

/// Money received for an account through the payment path the gateways
/// use: a payment row allocated to `parts` (invoice, amount), reported
/// succeeded. Returns the payment's id.
pub(crate) async fn receive(app: &TestApp, account: i64, parts: &[(i64, i64)], total: i64) -> i64 {
    let now = crate::helpers::now();
    let key = format!("test-{}", app::auth::ssr::random_token());
    let id: i64 = with_db!(&app.db, |pool| {
        sqlx::query_scalar(
            "INSERT INTO payments (account_id, idempotency_key, gateway, amount_minor, currency, status, source, created_at, updated_at)
             VALUES ($1, $2, 'sandbox', $3, 'EUR', 'pending', 'portal', $4, $4) RETURNING id",
        )
        .bind(account)
        .bind(&key)
        .bind(total)
        .bind(now)
        .fetch_one(pool)
        .await
    })
    .unwrap();
    allocate(app, id, parts).await;
    let moved = app::payments::ssr::transition(&app.state(), id, "succeeded", Some(&format!("pi_test_{id}")), "", "")
        .await
        .unwrap();
    assert!(moved, "payment {id} reported succeeded");
    id
}

/// Allocations of a payment row (what it is meant to settle).
pub(crate) async fn allocate(app: &TestApp, payment: i64, parts: &[(i64, i64)]) {
    for (invoice, amount) in parts {
        with_db!(&app.db, |pool| {
            sqlx::query("INSERT INTO payment_allocations (payment_id, invoice_id, amount_minor) VALUES ($1, $2, $3)")
                .bind(payment)
                .bind(invoice)
                .bind(amount)
                .execute(pool)
                .await
                .map(|r| r.rows_affected())
        })
        .unwrap();
    }
}

/// An invoice issued to an account (one line, 20 % VAT), due `due_in` days
/// from today, posted through the ledger's writer. Returns its id.
pub(crate) async fn issue_invoice(app: &TestApp, account: i64, number: &str, due_in: i64, total: i64) -> i64 {
    let today = crate::helpers::today();
    let now = crate::helpers::now();
    let id: i64 = with_db!(&app.db, |pool| async {
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO invoices (account_id, number, issue_date, due_date, currency, subtotal_minor, tax_minor, total_minor, status, created_at)
             VALUES ($1, $2, $3, $4, 'EUR', $5, $6, $7, 'issued', $8) RETURNING id",
        )
        .bind(account)
        .bind(number)
        .bind(today + chrono::Duration::days(due_in.min(0) - 30))
        .bind(today + chrono::Duration::days(due_in))
        .bind(total * 100 / 120)
        .bind(total - total * 100 / 120)
        .bind(total)
        .bind(now)
        .fetch_one(pool)
        .await?;
        sqlx::query(
            "INSERT INTO invoice_lines (invoice_id, position, description, quantity_milli, unit_price_minor, tax_rate_bp, net_minor, tax_minor)
             VALUES ($1, 1, 'Prestation (test)', 1000, $2, 2000, $2, $3)",
        )
        .bind(id)
        .bind(total * 100 / 120)
        .bind(total - total * 100 / 120)
        .execute(pool)
        .await?;
        Ok::<_, sqlx::Error>(id)
    }
    .await)
    .unwrap();
    let state = app.state();
    let mut tx = state.db.begin().await.unwrap();
    let lock = app::ledger::lock(&mut tx, account).await.unwrap();
    let ctx = app::ledger::Ctx::new(&state, None);
    app::ledger::post(&mut tx, &lock, app::ledger::Posting::Invoice { invoice_id: id }, &ctx).await.unwrap();
    tx.commit().await.unwrap();
    id
}

/// The stored balance of an invoice (what pages show).
pub(crate) async fn stored_balance(app: &TestApp, invoice: i64) -> i64 {
    app.count(&format!("SELECT balance_minor FROM invoices WHERE id = {invoice}")).await
}

/// The account's unapplied balance (negative: credit).
pub(crate) async fn unapplied(app: &TestApp, account: i64) -> i64 {
    app.count(&format!("SELECT unapplied_minor FROM accounts WHERE id = {account}")).await
}
