//! Promises to pay: the policy (dates, amounts, approval of repeated
//! promises), scoping, the pause of collection on promised invoices, the
//! settling job (kept, broken, exactly once) and staff-recorded promises.
//! Amounts come from the fixture: account 1 owes T-0001 (1 200,00 €, not
//! due) and T-0002 (300,00 € left, overdue); account 2 owes T-0004.

use crate::helpers::{created, now, redirected_to, spawn_app, today, Session, TestApp, BACKENDS};
use crate::money::{add_card, balance, overdue_numbers, text};
use app::promises::ssr::settle_due;
use app::with_db;
use chrono::{Duration, NaiveDate};
use reqwest::StatusCode;
use serde_json::{json, Value};

const CLIENT1: &str = "client1@test.example";
const CLIENT2: &str = "client2@test.example";
const COLLECTOR1: &str = "c1@test.example";
const COLLECTOR2: &str = "c2@test.example";
const ACCOUNTANT: &str = "acc@test.example";
const OWNER: &str = "owner@test.example";
const CARD_OK: &str = "4242424242424242";

/// `today + days` as the form sends it (YYYY-MM-DD).
fn day(days: i64) -> String {
    (today() + Duration::days(days)).to_string()
}

async fn quote(s: &Session, invoices: &str) -> reqwest::Response {
    s.post_form("/api/promises/quote", &[("invoices", invoices)]).await
}

async fn create(s: &Session, invoices: &str, date: &str, amount: &str) -> reqwest::Response {
    s.post_form(
        "/api/promises/create",
        &[("invoices", invoices), ("promised_date", date), ("amount", amount), ("note", "")],
    )
    .await
}

/// Creates a promise as the client and returns its id, as the answer
/// gives it.
async fn create_ok(s: &Session, invoices: &str, date: &str, amount: &str) -> i64 {
    let res = create(s, invoices, date, amount).await;
    let status = res.status();
    let body: Value = res.json().await.unwrap();
    assert_eq!(status, StatusCode::OK, "promises/create {invoices} {date} {amount:?}: {body}");
    assert_eq!(body["next"], "/portal/promises", "{body}");
    body["value"]["id"].as_i64().unwrap_or_else(|| panic!("no id in {body}"))
}

async fn record(s: &Session, account: i64, invoices: &str, date: &str, amount: &str, note: &str) -> reqwest::Response {
    let account = account.to_string();
    s.post_form(
        "/api/promises/record",
        &[
            ("account_id", &account),
            ("invoices", invoices),
            ("promised_date", date),
            ("amount", amount),
            ("note", note),
        ],
    )
    .await
}

async fn decide(s: &Session, id: i64, approve: bool, reason: &str) -> reqwest::Response {
    let id = id.to_string();
    let approve = if approve { "true" } else { "false" };
    s.post_form("/api/promises/decide", &[("id", &id), ("approve", approve), ("reason", reason)]).await
}

async fn cancel(s: &Session, id: i64) -> reqwest::Response {
    s.post_form("/api/promises/cancel", &[("id", &id.to_string())]).await
}

/// `promises/list` items, asserting success.
async fn list(s: &Session, queue: Option<&str>, account: Option<i64>) -> Vec<Value> {
    let res = s
        .post_json(
            "/api/promises/list",
            json!({ "query": { "status": null, "queue": queue, "account_id": account, "page": 1 } }),
        )
        .await;
    let status = res.status();
    let body: Value = res.json().await.unwrap();
    assert_eq!(status, StatusCode::OK, "promises/list {queue:?}: {body}");
    body["items"].as_array().unwrap_or_else(|| panic!("no items in {body}")).clone()
}

fn ids(items: &[Value]) -> Vec<i64> {
    let mut ids: Vec<i64> = items.iter().map(|p| p["id"].as_i64().expect("promise id")).collect();
    ids.sort_unstable();
    ids
}

async fn status(app: &TestApp, id: i64) -> String {
    text(app, &format!("SELECT status FROM promises WHERE id = {id}")).await
}

async fn audit(app: &TestApp, action: &str, account: i64) -> i64 {
    app.count(&format!("SELECT COUNT(*) FROM audit_log WHERE action = '{action}' AND account_id = {account}")).await
}

async fn mails_to(app: &TestApp, address: &str) -> i64 {
    app.count(&format!("SELECT COUNT(*) FROM outbox WHERE to_address = '{address}'")).await
}

async fn exec(app: &TestApp, sql: &str) {
    app.exec(sql).await.expect(sql);
}

/// Moves a promise's date (the clock is fixed: this is how time passes).
async fn set_date(app: &TestApp, id: i64, date: NaiveDate) {
    let n = with_db!(&app.db, |pool| {
        sqlx::query("UPDATE promises SET promised_date = $1 WHERE id = $2")
            .bind(date)
            .bind(id)
            .execute(pool)
            .await
            .map(|r| r.rows_affected())
    })
    .unwrap();
    assert_eq!(n, 1, "promise {id}");
}

/// Money received onto one invoice (a payment reported succeeded).
async fn post_payment(app: &TestApp, account: i64, invoice: i64, minor: i64) {
    crate::money::receive(app, account, &[(invoice, minor)], minor).await;
}

/// A promise written straight into the database (the authorization matrix
/// needs one on account 2 before any call is made).
pub(crate) async fn insert_promise(
    app: &TestApp,
    account: i64,
    invoice: i64,
    status: &str,
    date: NaiveDate,
    amount_minor: i64,
) -> i64 {
    let open = balance(app, invoice).await;
    with_db!(&app.db, |pool| async {
        let mut tx = pool.begin().await?;
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO promises (account_id, promised_date, amount_minor, currency, balance_at_promise_minor, status,
                 source, note, created_at, updated_at)
             VALUES ($1, $2, $3, 'EUR', $4, $5, 'portal', '', $6, $6) RETURNING id",
        )
        .bind(account)
        .bind(date)
        .bind(amount_minor)
        .bind(open)
        .bind(status)
        .bind(now())
        .fetch_one(&mut *tx)
        .await?;
        sqlx::query("INSERT INTO promise_invoices (promise_id, invoice_id, balance_minor) VALUES ($1, $2, $3)")
            .bind(id)
            .bind(invoice)
            .bind(open)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok::<_, sqlx::Error>(id)
    }
    .await)
    .expect("insert promise")
}

/// The fields named in a validation error (`{"Validation": [[field, msg], ..]}`).
async fn field_errors(res: reqwest::Response) -> Vec<String> {
    let status = res.status();
    let body: Value = res.json().await.unwrap();
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    body["Validation"]
        .as_array()
        .unwrap_or_else(|| panic!("not a validation error: {body}"))
        .iter()
        .map(|f| f[0].as_str().unwrap_or_default().to_string())
        .collect()
}

async fn invoice_state(s: &Session, invoice: i64) -> String {
    let body: Value = s.post_form("/api/invoices/detail", &[("id", &invoice.to_string())]).await.json().await.unwrap();
    body["summary"]["state"].as_str().unwrap_or_else(|| panic!("invoices/detail: {body}")).to_string()
}

async fn overview_overdue(s: &Session) -> i64 {
    let body: Value = s.post_form("/api/portal/overview", &[]).await.json().await.unwrap();
    body["overdue"]["minor"].as_i64().unwrap_or_else(|| panic!("portal/overview: {body}"))
}

async fn settle(app: &TestApp) -> (usize, usize) {
    settle_due(&app.state()).await.expect("settle_due")
}

#[tokio::test]
async fn a_client_quotes_and_promises_the_open_balance() {
    for backend in BACKENDS {
        let Some(app) = spawn_app(backend).await else { continue };
        let s = app.login(CLIENT1).await;
        let invoices = format!("{},{}", app.fx.inv1_open, app.fx.inv1_overdue);

        let res = quote(&s, &invoices).await;
        assert_eq!(res.status(), StatusCode::OK, "{backend:?}");
        let q: Value = res.json().await.unwrap();
        assert_eq!(q["total"]["minor"], 150_000, "{q}");
        assert_eq!(q["today"], "2026-11-20", "{q}");
        assert_eq!(q["latest_date"], "2026-12-20", "today + 30 days by default: {q}");
        let mut quoted: Vec<(String, i64)> = q["invoices"]
            .as_array()
            .unwrap()
            .iter()
            .map(|i| (i["number"].as_str().unwrap().to_string(), i["balance"]["minor"].as_i64().unwrap()))
            .collect();
        quoted.sort();
        assert_eq!(quoted, vec![("T-0001".to_string(), 120_000), ("T-0002".to_string(), 30_000)]);
        // A paid invoice cannot be promised.
        let paid = quote(&s, &app.fx.inv1_paid.to_string()).await.status();
        assert_eq!(paid, StatusCode::CONFLICT, "{backend:?}: quoting a paid invoice");

        // An empty amount promises the whole open balance.
        let res = s
            .post_form(
                "/api/promises/create",
                &[("invoices", &invoices), ("promised_date", &day(10)), ("amount", ""), ("note", "Virement le 30")],
            )
            .await;
        assert_eq!(res.status(), StatusCode::OK, "{backend:?}");
        let target = crate::helpers::next_of(res).await;
        assert_eq!(target, "/portal/promises");

        let items = list(&s, None, None).await;
        assert_eq!(items.len(), 1, "{items:?}");
        let p = &items[0];
        assert_eq!(p["account_id"], app.fx.account1);
        assert_eq!(p["account_name"], "Alpha Boulangerie SARL");
        assert_eq!(p["promised_date"], day(10));
        assert_eq!(p["amount"]["minor"], 150_000);
        assert_eq!(p["status"], "active");
        assert_eq!(p["source"], "portal");
        assert_eq!(p["note"], "Virement le 30");
        let mut numbers: Vec<&str> =
            p["invoices"].as_array().unwrap().iter().map(|i| i["number"].as_str().unwrap()).collect();
        numbers.sort_unstable();
        assert_eq!(numbers, ["T-0001", "T-0002"]);
        let id = p["id"].as_i64().unwrap();
        assert_eq!(app.count(&format!("SELECT COUNT(*) FROM promise_invoices WHERE promise_id = {id}")).await, 2);
        assert_eq!(app.count(&format!("SELECT balance_at_promise_minor FROM promises WHERE id = {id}")).await, 150_000);
        assert_eq!(audit(&app, "promise.created", app.fx.account1).await, 1);

        // Staff see it too; the other client does not.
        let owner = app.login(OWNER).await;
        assert_eq!(ids(&list(&owner, None, None).await), vec![id]);
        let c1 = app.login(COLLECTOR1).await;
        assert_eq!(ids(&list(&c1, None, Some(app.fx.account1)).await), vec![id]);
        let c2 = app.login(COLLECTOR2).await;
        assert!(list(&c2, None, None).await.is_empty(), "collector 2 does not follow account 1");
        let other = app.login(CLIENT2).await;
        assert!(list(&other, None, None).await.is_empty());
        app.finish().await;
    }
}

#[tokio::test]
async fn the_policy_refuses_far_past_and_wrong_amounts_and_writes_nothing() {
    for backend in BACKENDS {
        let Some(app) = spawn_app(backend).await else { continue };
        let s = app.login(CLIENT1).await;
        let inv = app.fx.inv1_overdue.to_string();

        let too_far = field_errors(create(&s, &inv, &day(31), "").await).await;
        assert!(too_far.contains(&"promised_date".to_string()), "{backend:?} {too_far:?}");
        let past = field_errors(create(&s, &inv, &day(-1), "").await).await;
        assert!(past.contains(&"promised_date".to_string()), "{backend:?} {past:?}");
        // T-0002 has 300,00 € left.
        for amount in ["300,01", "301", "0", "0,00", "-5"] {
            let fields = field_errors(create(&s, &inv, &day(5), amount).await).await;
            assert!(fields.contains(&"amount".to_string()), "{backend:?} amount {amount:?}: {fields:?}");
        }
        assert_eq!(app.count("SELECT COUNT(*) FROM promises").await, 0);
        assert_eq!(app.count("SELECT COUNT(*) FROM promise_invoices").await, 0);
        assert_eq!(app.count("SELECT COUNT(*) FROM audit_log WHERE action LIKE 'promise.%'").await, 0);

        // The bounds themselves are accepted: the last allowed day, the whole balance.
        let id = create_ok(&s, &inv, &day(30), "300,00").await;
        assert_eq!(app.count(&format!("SELECT amount_minor FROM promises WHERE id = {id}")).await, 30_000);
        assert_eq!(status(&app, id).await, "active");
        assert_eq!(cancel(&s, id).await.status(), StatusCode::OK);
        let id = create_ok(&s, &inv, &day(0), "300").await;
        assert_eq!(app.count(&format!("SELECT amount_minor FROM promises WHERE id = {id}")).await, 30_000);
        assert_eq!(status(&app, id).await, "active");
        app.finish().await;
    }
}

#[tokio::test]
async fn a_third_promise_on_an_invoice_waits_for_approval() {
    for backend in BACKENDS {
        let Some(app) = spawn_app(backend).await else { continue };
        let s = app.login(CLIENT1).await;
        let c1 = app.login(COLLECTOR1).await;
        let inv = app.fx.inv1_overdue.to_string();
        // Two earlier promises on T-0002, both broken (default policy: 2 per invoice).
        for _ in 0..2 {
            let id = create_ok(&s, &inv, &day(3), "").await;
            assert_eq!(status(&app, id).await, "active");
            exec(&app, &format!("UPDATE promises SET status = 'broken' WHERE id = {id}")).await;
        }

        let third = create_ok(&s, &inv, &day(3), "").await;
        assert_eq!(status(&app, third).await, "pending_approval", "{backend:?}");
        // Only an active promise pauses collection.
        assert_eq!(invoice_state(&s, app.fx.inv1_overdue).await, "overdue");
        // Pending blocks another promise on the same invoice.
        assert_eq!(create(&s, &inv, &day(4), "").await.status(), StatusCode::CONFLICT);
        assert_eq!(ids(&list(&c1, Some("pending"), None).await), vec![third]);

        // Who may decide: the account's collector and the owner only.
        assert_eq!(decide(&s, third, true, "").await.status(), StatusCode::FORBIDDEN);
        assert_eq!(decide(&app.login(ACCOUNTANT).await, third, true, "").await.status(), StatusCode::FORBIDDEN);
        assert_eq!(decide(&app.login(COLLECTOR2).await, third, true, "").await.status(), StatusCode::NOT_FOUND);
        assert_eq!(decide(&app.anonymous(), third, true, "").await.status(), StatusCode::UNAUTHORIZED);
        assert_eq!(status(&app, third).await, "pending_approval");

        assert_eq!(decide(&c1, third, true, "").await.status(), StatusCode::OK, "{backend:?}");
        assert_eq!(status(&app, third).await, "active");
        assert_eq!(app.count(&format!("SELECT decided_by FROM promises WHERE id = {third}")).await, app.fx.collector1);
        assert_eq!(audit(&app, "promise.approved", app.fx.account1).await, 1);
        assert_eq!(invoice_state(&s, app.fx.inv1_overdue).await, "promised");
        assert!(list(&c1, Some("pending"), None).await.is_empty());
        // Deciding twice: the promise is no longer waiting.
        assert_eq!(decide(&c1, third, false, "too late").await.status(), StatusCode::CONFLICT);
        assert_eq!(status(&app, third).await, "active");

        // Cancelled promises do not count: the next one still waits (two broken).
        assert_eq!(cancel(&s, third).await.status(), StatusCode::OK);
        let fourth = create_ok(&s, &inv, &day(7), "100").await;
        assert_eq!(status(&app, fourth).await, "pending_approval");

        // Rejecting needs a reason.
        let owner = app.login(OWNER).await;
        let fields = field_errors(decide(&owner, fourth, false, "").await).await;
        assert!(fields.contains(&"reason".to_string()), "{backend:?} {fields:?}");
        assert_eq!(status(&app, fourth).await, "pending_approval");
        assert_eq!(audit(&app, "promise.rejected", app.fx.account1).await, 0);
        let res = decide(&owner, fourth, false, "Two promises already broken").await;
        assert_eq!(res.status(), StatusCode::OK, "{backend:?}");
        assert_eq!(status(&app, fourth).await, "rejected");
        assert_eq!(audit(&app, "promise.rejected", app.fx.account1).await, 1);
        let mine = list(&s, None, None).await;
        let rejected = mine.iter().find(|p| p["id"] == fourth).expect("the rejected promise is listed");
        assert_eq!(rejected["status"], "rejected");
        assert_eq!(rejected["decision_note"], "Two promises already broken");
        assert_eq!(decide(&owner, fourth, true, "").await.status(), StatusCode::CONFLICT);
        assert_eq!(invoice_state(&s, app.fx.inv1_overdue).await, "overdue");
        app.finish().await;
    }
}

#[tokio::test]
async fn another_accounts_invoice_is_not_found_and_nothing_is_written() {
    for backend in BACKENDS {
        let Some(app) = spawn_app(backend).await else { continue };
        let s = app.login(CLIENT1).await;
        let foreign = app.fx.inv2_open.to_string();
        let mixed = format!("{},{}", app.fx.inv1_overdue, app.fx.inv2_open);
        let res = quote(&s, &foreign).await;
        assert_eq!(res.status(), StatusCode::NOT_FOUND, "{backend:?}");
        let body = res.text().await.unwrap();
        assert!(!body.contains("T-0004") && !body.contains("Bravo"), "{body}");
        assert_eq!(quote(&s, &mixed).await.status(), StatusCode::NOT_FOUND);
        for invoices in [&foreign, &mixed] {
            let res = create(&s, invoices, &day(5), "").await;
            assert_eq!(res.status(), StatusCode::NOT_FOUND, "{backend:?} {invoices}");
            let res = create(&s, invoices, &day(5), "100").await;
            assert_eq!(res.status(), StatusCode::NOT_FOUND, "{backend:?} {invoices}");
        }
        // An id that does not exist looks the same.
        assert_eq!(create(&s, "999999", &day(5), "").await.status(), StatusCode::NOT_FOUND);
        assert_eq!(app.count("SELECT COUNT(*) FROM promises").await, 0);
        assert_eq!(app.count("SELECT COUNT(*) FROM promise_invoices").await, 0);
        assert_eq!(app.count("SELECT COUNT(*) FROM audit_log WHERE action LIKE 'promise.%'").await, 0);
        // T-0002 was not left half-promised.
        assert_eq!(invoice_state(&s, app.fx.inv1_overdue).await, "overdue");
        app.finish().await;
    }
}

#[tokio::test]
async fn a_promise_pauses_collection_until_it_is_broken() {
    for backend in BACKENDS {
        let Some(app) = spawn_app(backend).await else { continue };
        let s = app.login(CLIENT1).await;
        let c1 = app.login(COLLECTOR1).await;
        assert_eq!(overdue_numbers(&s, None).await, ["T-0002"]);
        assert_eq!(overdue_numbers(&c1, Some(app.fx.account1)).await, ["T-0002"]);
        assert_eq!(overview_overdue(&s).await, 30_000);

        let id = create_ok(&s, &app.fx.inv1_overdue.to_string(), &day(7), "").await;
        assert_eq!(status(&app, id).await, "active");
        // Promised: out of the overdue lists and figures, for the client and for staff.
        assert!(overdue_numbers(&s, None).await.is_empty(), "{backend:?}");
        assert!(overdue_numbers(&c1, Some(app.fx.account1)).await.is_empty(), "{backend:?}");
        assert_eq!(overview_overdue(&s).await, 0, "{backend:?}");
        assert_eq!(invoice_state(&s, app.fx.inv1_overdue).await, "promised");
        assert_eq!(invoice_state(&c1, app.fx.inv1_overdue).await, "promised");
        assert_eq!(invoice_state(&s, app.fx.inv1_open).await, "open", "invoices outside the promise are unchanged");
        // Still owed, and still listed among all invoices.
        let all: Value = s
            .post_json(
                "/api/invoices/list",
                json!({ "query": { "filter": "all", "sort": "due_asc", "page": 1, "account_id": null, "search": null } }),
            )
            .await
            .json()
            .await
            .unwrap();
        let t2 = all["items"].as_array().unwrap().iter().find(|i| i["number"] == "T-0002").expect("T-0002 listed");
        assert_eq!(t2["state"], "promised");
        assert_eq!(t2["balance"]["minor"], 30_000);

        // The promised day passes without payment: broken, and overdue again.
        assert_eq!(settle(&app).await, (0, 0));
        set_date(&app, id, today() - Duration::days(1)).await;
        assert_eq!(settle(&app).await, (0, 1), "{backend:?}");
        assert_eq!(status(&app, id).await, "broken");
        assert_eq!(overdue_numbers(&s, None).await, ["T-0002"]);
        assert_eq!(overdue_numbers(&c1, Some(app.fx.account1)).await, ["T-0002"]);
        assert_eq!(overview_overdue(&s).await, 30_000);
        assert_eq!(invoice_state(&s, app.fx.inv1_overdue).await, "overdue");
        app.finish().await;
    }
}

#[tokio::test]
async fn settling_twice_breaks_a_partly_paid_promise_once_and_mails_the_collector_once() {
    for backend in BACKENDS {
        let Some(app) = spawn_app(backend).await else { continue };
        let s = app.login(CLIENT1).await;
        let owner = app.login(OWNER).await;
        // 100 € promised for today on T-0002; only 50 € arrive.
        let id = create_ok(&s, &app.fx.inv1_overdue.to_string(), &day(0), "100").await;
        post_payment(&app, app.fx.account1, app.fx.inv1_overdue, 5_000).await;
        assert_eq!(ids(&list(&owner, Some("due_today"), None).await), vec![id]);

        // On its day the promise still runs.
        assert_eq!(settle(&app).await, (0, 0), "{backend:?}");
        assert_eq!(status(&app, id).await, "active");

        let mails_before = mails_to(&app, COLLECTOR1).await;
        set_date(&app, id, today() - Duration::days(1)).await;
        assert_eq!(settle(&app).await, (0, 1), "{backend:?}: partly paid is still broken");
        assert_eq!(settle(&app).await, (0, 0), "{backend:?}: settled once");
        assert_eq!(status(&app, id).await, "broken");
        assert_eq!(
            app.count(&format!("SELECT COUNT(*) FROM promises WHERE id = {id} AND settled_at IS NOT NULL")).await,
            1
        );
        assert_eq!(mails_to(&app, COLLECTOR1).await, mails_before + 1, "{backend:?}: one mail to collector 1");
        assert_eq!(mails_to(&app, COLLECTOR2).await, 0);
        assert_eq!(audit(&app, "promise.broken", app.fx.account1).await, 1);
        assert_eq!(app.count("SELECT COUNT(*) FROM audit_log WHERE action = 'promise.broken'").await, 1);
        assert_eq!(app.count("SELECT COUNT(*) FROM audit_log WHERE action = 'promise.kept'").await, 0);

        assert_eq!(ids(&list(&owner, Some("broken"), None).await), vec![id]);
        assert!(list(&owner, Some("due_today"), None).await.is_empty());
        // A broken promise is over: the client can no longer cancel it.
        assert_eq!(cancel(&s, id).await.status(), StatusCode::CONFLICT);
        app.finish().await;
    }
}

#[tokio::test]
async fn concurrent_settling_settles_each_promise_once() {
    for backend in BACKENDS {
        let Some(app) = spawn_app(backend).await else { continue };
        let s = app.login(CLIENT1).await;
        // One to break (T-0002, unpaid, yesterday) and one to keep (200 € of T-0001, paid).
        let broken = create_ok(&s, &app.fx.inv1_overdue.to_string(), &day(0), "").await;
        set_date(&app, broken, today() - Duration::days(1)).await;
        let kept = create_ok(&s, &app.fx.inv1_open.to_string(), &day(10), "200").await;
        post_payment(&app, app.fx.account1, app.fx.inv1_open, 20_000).await;
        let mails_before = mails_to(&app, COLLECTOR1).await;

        let state = app.state();
        let (a, b, c) = tokio::join!(settle_due(&state), settle_due(&state), settle_due(&state));
        let runs = [a.expect("run a"), b.expect("run b"), c.expect("run c")];
        let kept_total: usize = runs.iter().map(|r| r.0).sum();
        let broken_total: usize = runs.iter().map(|r| r.1).sum();
        assert_eq!((kept_total, broken_total), (1, 1), "{backend:?}: {runs:?}");
        assert_eq!(settle(&app).await, (0, 0));

        assert_eq!(status(&app, broken).await, "broken");
        assert_eq!(status(&app, kept).await, "kept");
        assert_eq!(mails_to(&app, COLLECTOR1).await, mails_before + 1, "{backend:?}");
        assert_eq!(audit(&app, "promise.broken", app.fx.account1).await, 1);
        assert_eq!(audit(&app, "promise.kept", app.fx.account1).await, 1);
        app.finish().await;
    }
}

#[tokio::test]
async fn a_promise_paid_online_is_kept_before_its_date() {
    for backend in BACKENDS {
        let Some(app) = spawn_app(backend).await else { continue };
        let s = app.login(CLIENT1).await;
        let inv = app.fx.inv1_open.to_string();
        let id = create_ok(&s, &inv, &day(20), "").await;
        assert_eq!(app.count(&format!("SELECT amount_minor FROM promises WHERE id = {id}")).await, 120_000);
        assert_eq!(settle(&app).await, (0, 0));

        // Paid in full through the sandbox, long before the promised day.
        assert_eq!(add_card(&s, CARD_OK).await.status(), StatusCode::OK);
        let methods: Value = s.post_form("/api/payments/methods", &[]).await.json().await.unwrap();
        let method = methods["methods"][0]["id"].as_i64().expect("a saved method").to_string();
        let res = s
            .post_form(
                "/api/payments/pay",
                &[
                    ("invoices", &inv),
                    ("amount", ""),
                    ("expected_total", "120000"),
                    ("idempotency_key", "promise-kept"),
                    ("method", &method),
                ],
            )
            .await;
        assert_eq!(res.status(), StatusCode::OK, "{backend:?}: a promised invoice can be paid");
        assert_eq!(balance(&app, app.fx.inv1_open).await, 0);

        assert_eq!(settle(&app).await, (1, 0), "{backend:?}");
        assert_eq!(settle(&app).await, (0, 0));
        assert_eq!(status(&app, id).await, "kept");
        assert_eq!(audit(&app, "promise.kept", app.fx.account1).await, 1);
        assert_eq!(app.count("SELECT COUNT(*) FROM audit_log WHERE action = 'promise.broken'").await, 0);

        // Kept is final: moving its date back breaks nothing.
        set_date(&app, id, today() - Duration::days(1)).await;
        assert_eq!(settle(&app).await, (0, 0));
        assert_eq!(status(&app, id).await, "kept");
        assert_eq!(cancel(&s, id).await.status(), StatusCode::CONFLICT);
        app.finish().await;
    }
}

#[tokio::test]
async fn a_client_cancels_its_own_promises_only() {
    for backend in BACKENDS {
        let Some(app) = spawn_app(backend).await else { continue };
        let s1 = app.login(CLIENT1).await;
        let s2 = app.login(CLIENT2).await;
        let mine = create_ok(&s1, &app.fx.inv1_overdue.to_string(), &day(5), "").await;
        let theirs = create_ok(&s2, &app.fx.inv2_open.to_string(), &day(5), "").await;
        assert_eq!(ids(&list(&s1, None, None).await), vec![mine]);
        assert_eq!(ids(&list(&s2, None, None).await), vec![theirs]);
        // A client asking for another account's promises gets none.
        assert!(list(&s1, None, Some(app.fx.account2)).await.is_empty());

        let res = cancel(&s2, mine).await;
        assert_eq!(res.status(), StatusCode::NOT_FOUND, "{backend:?}");
        assert!(!res.text().await.unwrap().contains("Alpha"));
        assert_eq!(cancel(&s1, theirs).await.status(), StatusCode::NOT_FOUND);
        // Staff outside the account see nothing; an accountant changes nothing.
        assert_eq!(cancel(&app.login(COLLECTOR2).await, mine).await.status(), StatusCode::NOT_FOUND);
        assert_eq!(cancel(&app.login(ACCOUNTANT).await, mine).await.status(), StatusCode::FORBIDDEN);
        // The account's collector may withdraw theirs: not account 2's.
        assert_eq!(cancel(&app.login(COLLECTOR1).await, theirs).await.status(), StatusCode::NOT_FOUND);
        assert_eq!(cancel(&app.anonymous(), mine).await.status(), StatusCode::UNAUTHORIZED);
        assert_eq!(cancel(&s1, 999_999).await.status(), StatusCode::NOT_FOUND);
        assert_eq!(status(&app, mine).await, "active");
        assert_eq!(status(&app, theirs).await, "active");
        assert_eq!(app.count("SELECT COUNT(*) FROM audit_log WHERE action = 'promise.cancelled'").await, 0);

        assert_eq!(cancel(&s1, mine).await.status(), StatusCode::OK, "{backend:?}");
        assert_eq!(status(&app, mine).await, "cancelled");
        assert_eq!(status(&app, theirs).await, "active");
        assert_eq!(audit(&app, "promise.cancelled", app.fx.account1).await, 1);
        assert_eq!(cancel(&s1, mine).await.status(), StatusCode::CONFLICT, "already cancelled");
        assert_eq!(audit(&app, "promise.cancelled", app.fx.account1).await, 1);
        // Collection resumes, and the invoice may be promised again.
        assert_eq!(overdue_numbers(&s1, None).await, ["T-0002"]);
        let again = create_ok(&s1, &app.fx.inv1_overdue.to_string(), &day(6), "").await;
        assert_eq!(status(&app, again).await, "active");
        // A cancelled promise is never settled.
        set_date(&app, mine, today() - Duration::days(1)).await;
        assert_eq!(settle(&app).await, (0, 0));
        assert_eq!(status(&app, mine).await, "cancelled");
        // Staff withdraw a promise of their account (a call, a mistake).
        let res = cancel(&app.login(COLLECTOR1).await, again).await;
        assert_eq!(res.status(), StatusCode::OK, "{backend:?}");
        assert_eq!(status(&app, again).await, "cancelled");
        assert_eq!(cancel(&app.login(OWNER).await, theirs).await.status(), StatusCode::OK);
        assert_eq!(status(&app, theirs).await, "cancelled");
        assert_eq!(audit(&app, "promise.cancelled", app.fx.account1).await, 2);
        app.finish().await;
    }
}

#[tokio::test]
async fn staff_record_a_promise_made_by_phone() {
    for backend in BACKENDS {
        let Some(app) = spawn_app(backend).await else { continue };
        let client = app.login(CLIENT1).await;
        let owner = app.login(OWNER).await;
        let c1 = app.login(COLLECTOR1).await;
        let (t1, t2) = (app.fx.inv1_open.to_string(), app.fx.inv1_overdue.to_string());
        let account1 = app.fx.account1;
        // Two earlier promises on T-0002 were broken: a client would now need approval.
        for _ in 0..2 {
            let id = create_ok(&client, &t2, &day(3), "").await;
            exec(&app, &format!("UPDATE promises SET status = 'broken' WHERE id = {id}")).await;
        }
        let before = app.count("SELECT COUNT(*) FROM promises").await;

        // Who may record: the owner and the account's own collector.
        let res = record(&app.login(COLLECTOR2).await, account1, &t1, &day(5), "", "").await;
        assert_eq!(res.status(), StatusCode::NOT_FOUND, "{backend:?}");
        let res = record(&app.login(ACCOUNTANT).await, account1, &t1, &day(5), "", "").await;
        assert_eq!(res.status(), StatusCode::FORBIDDEN);
        assert_eq!(record(&client, account1, &t1, &day(5), "", "").await.status(), StatusCode::FORBIDDEN);
        assert_eq!(record(&app.anonymous(), account1, &t1, &day(5), "", "").await.status(), StatusCode::UNAUTHORIZED);
        // The same policy on dates and amounts.
        let fields = field_errors(record(&owner, account1, &t2, &day(31), "", "").await).await;
        assert!(fields.contains(&"promised_date".to_string()), "{fields:?}");
        let fields = field_errors(record(&owner, account1, &t2, &day(5), "300,01", "").await).await;
        assert!(fields.contains(&"amount".to_string()), "{fields:?}");
        assert_eq!(app.count("SELECT COUNT(*) FROM promises").await, before);

        // The owner, by phone, on T-0002: active at once, no approval for staff.
        let res = record(&owner, account1, &t2, &day(5), "150", "Phoned: half on Friday").await;
        let (by_owner, answered) = created(res).await;
        assert_eq!(answered, "active", "{backend:?}");
        assert_eq!(status(&app, by_owner).await, "active", "{backend:?}");
        assert_eq!(text(&app, &format!("SELECT source FROM promises WHERE id = {by_owner}")).await, "staff");
        assert_eq!(app.count(&format!("SELECT amount_minor FROM promises WHERE id = {by_owner}")).await, 15_000);
        assert_eq!(app.count(&format!("SELECT created_by FROM promises WHERE id = {by_owner}")).await, app.fx.owner);
        assert_eq!(invoice_state(&client, app.fx.inv1_overdue).await, "promised");

        // Collector 1, on its own account's T-0001.
        let res = record(&c1, account1, &t1, &day(10), "", "Called the CFO").await;
        let (by_collector, _) = created(res).await;
        assert_ne!(by_collector, by_owner);
        assert_eq!(status(&app, by_collector).await, "active");
        assert_eq!(app.count(&format!("SELECT amount_minor FROM promises WHERE id = {by_collector}")).await, 120_000);
        assert_eq!(
            app.count(&format!("SELECT created_by FROM promises WHERE id = {by_collector}")).await,
            app.fx.collector1
        );
        // The invoice is now under a running promise.
        assert_eq!(record(&c1, account1, &t1, &day(12), "", "").await.status(), StatusCode::CONFLICT);
        assert_eq!(create(&client, &t1, &day(12), "").await.status(), StatusCode::CONFLICT);

        assert_eq!(app.count("SELECT COUNT(*) FROM promises WHERE source = 'staff'").await, 2);
        assert_eq!(audit(&app, "promise.created", account1).await, 4, "two by the client, two by staff");
        // The client sees what staff recorded for it.
        let items = list(&client, None, None).await;
        let staff: Vec<&Value> = items.iter().filter(|p| p["source"] == "staff").collect();
        assert_eq!(staff.len(), 2, "{items:?}");
        assert!(staff.iter().any(|p| p["note"] == "Phoned: half on Friday"));
        app.finish().await;
    }
}

async fn save_policy(owner: &Session, max_days: &str, max_per_invoice: &str) -> reqwest::Response {
    owner
        .post_form(
            "/api/back/save_settings",
            &[
                ("form[company_name]", "Test Merchant SAS"),
                ("form[legal_id]", "SIRET 1"),
                ("form[address]", "1 rue du Test"),
                ("form[email]", "m@example.com"),
                ("form[phone]", ""),
                ("form[default_currency]", "EUR"),
                ("form[default_locale]", "fr"),
                ("form[payment_terms_days]", "30"),
                ("form[promise_max_days]", max_days),
                ("form[promise_max_per_invoice]", max_per_invoice),
            ],
        )
        .await
}

#[tokio::test]
async fn the_owners_policy_settings_apply_at_once() {
    for backend in BACKENDS {
        let Some(app) = spawn_app(backend).await else { continue };
        let owner = app.login(OWNER).await;
        let s = app.login(CLIENT1).await;
        let inv = app.fx.inv1_overdue.to_string();
        // Out of bounds: refused with the fields named, nothing changes.
        let res = save_policy(&owner, "0", "21").await;
        assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY, "{backend:?}");
        let body = res.text().await.unwrap();
        assert!(body.contains("promise_max_days") && body.contains("promise_max_per_invoice"), "{body}");
        assert_eq!(app.count("SELECT CAST(promise_max_days AS BIGINT) FROM merchant WHERE id = 1").await, 30);

        assert_eq!(save_policy(&owner, "10", "1").await.status(), StatusCode::OK, "{backend:?}");
        let q: Value = quote(&s, &inv).await.json().await.unwrap();
        assert_eq!(q["latest_date"], day(10), "{q}");
        let fields = field_errors(create(&s, &inv, &day(11), "").await).await;
        assert!(fields.contains(&"promised_date".to_string()), "{fields:?}");
        let first = create_ok(&s, &inv, &day(10), "").await;
        assert_eq!(status(&app, first).await, "active");
        exec(&app, &format!("UPDATE promises SET status = 'broken' WHERE id = {first}")).await;
        // One promise per invoice now: the second waits for approval...
        let second = create_ok(&s, &inv, &day(10), "").await;
        assert_eq!(status(&app, second).await, "pending_approval", "{backend:?}");
        // ...and the collector is asked (the account's collector, not the others).
        assert!(mails_to(&app, COLLECTOR1).await >= 1);
        assert_eq!(mails_to(&app, COLLECTOR2).await, 0);
        app.finish().await;
    }
}

/// The newest message to `address`: subject and body.
async fn last_mail(app: &TestApp, address: &str) -> (String, String) {
    let sql = format!("SELECT subject, body_text FROM outbox WHERE to_address = '{address}' ORDER BY id DESC LIMIT 1");
    let row: Option<(String, String)> =
        with_db!(&app.db, |pool| sqlx::query_as(&sql).fetch_optional(pool).await).expect(&sql);
    row.unwrap_or_else(|| panic!("no mail to {address}"))
}

/// The path of the first link to our server in a message's body.
fn link_in(app: &TestApp, body: &str) -> String {
    let base = app.state().auth.public_url.clone();
    let start = body.find(&base).unwrap_or_else(|| panic!("no link to {base} in:\n{body}"));
    let link = body[start + base.len()..].split_whitespace().next().unwrap_or_default();
    assert!(link.starts_with('/'), "{link}");
    link.to_string()
}

#[tokio::test]
async fn a_clients_own_promise_confirms_to_the_client_and_tells_the_collector_in_their_language() {
    for backend in BACKENDS {
        let Some(app) = spawn_app(backend).await else { continue };
        exec(&app, "UPDATE users SET locale = 'en' WHERE email = 'c1@test.example'").await;
        let s = app.login(CLIENT1).await;
        let id = create_ok(&s, &app.fx.inv1_overdue.to_string(), &day(10), "120").await;

        // To the account's billing address, in the account's language (fr).
        let (subject, body) = last_mail(&app, "billing@example.com").await;
        assert_eq!(subject, "Test Merchant SAS : votre promesse de paiement", "{backend:?}");
        assert!(body.contains("Vous avez promis de payer 120,00\u{a0}€"), "{body}");
        assert!(body.contains("(factures T-0002)"), "{body}");
        let link = link_in(&app, &body);
        assert_eq!(link, "/portal/promises");
        let (code, html) = s.get_html(&link).await;
        assert_eq!(code, StatusCode::OK);
        assert!(html.contains("data-testid=\"promise-row\""), "the link shows the promise");

        // To the account's collector, in the collector's language (en).
        let (subject, body) = last_mail(&app, COLLECTOR1).await;
        assert_eq!(subject, "Promise to pay: Alpha Boulangerie SARL", "{backend:?}");
        assert!(body.contains("promises to pay €120.00"), "{body}");
        let link = link_in(&app, &body);
        assert_eq!(link, format!("/back/accounts/{}", app.fx.account1));
        let (code, html) = app.login(COLLECTOR1).await.get_html(&link).await;
        assert_eq!(code, StatusCode::OK);
        assert!(html.contains("account-promises"), "the link shows the account's promises");
        assert_eq!(mails_to(&app, COLLECTOR2).await, 0, "only the account's own collector");
        assert_eq!(status(&app, id).await, "active");
        app.finish().await;
    }
}

#[tokio::test]
async fn two_tabs_promising_the_same_invoice_make_one_promise() {
    for backend in BACKENDS {
        let Some(app) = spawn_app(backend).await else { continue };
        let s = app.login(CLIENT1).await;
        let invoice = app.fx.inv1_overdue.to_string();
        // Six tabs at once; without the account's lock, PostgreSQL lets
        // several read "no open promise" before any commits.
        let days: Vec<String> = (5..11).map(day).collect();
        let (a, b, c, d, e, f) = tokio::join!(
            create(&s, &invoice, &days[0], ""),
            create(&s, &invoice, &days[1], ""),
            create(&s, &invoice, &days[2], ""),
            create(&s, &invoice, &days[3], ""),
            create(&s, &invoice, &days[4], ""),
            create(&s, &invoice, &days[5], ""),
        );
        let mut codes: Vec<u16> = [a, b, c, d, e, f].iter().map(|r| r.status().as_u16()).collect();
        codes.sort_unstable();
        assert_eq!(codes, vec![200, 409, 409, 409, 409, 409], "{backend:?}");
        let n = app.count(&format!("SELECT COUNT(*) FROM promise_invoices WHERE invoice_id = {invoice}")).await;
        assert_eq!(n, 1, "{backend:?}: one promise on the invoice");
        assert_eq!(app.count("SELECT COUNT(*) FROM promises").await, 1);
        app.finish().await;
    }
}

#[tokio::test]
async fn every_promise_form_works_without_javascript() {
    for backend in BACKENDS {
        let Some(app) = spawn_app(backend).await else { continue };
        let client = app.login(CLIENT1).await;
        let owner = app.login(OWNER).await;
        let (t1, t2) = (app.fx.inv1_open.to_string(), app.fx.inv1_overdue.to_string());
        let from = format!("/portal/promise?inv={t2}");

        // The client's form: a bad date goes back to the form, writing nothing.
        let res = client
            .post_plain_form(
                "/api/promises/create",
                &from,
                &[("invoices", &t2), ("promised_date", "someday"), ("amount", ""), ("note", "")],
            )
            .await;
        assert!(redirected_to(&res).starts_with(&from), "{backend:?}: {}", redirected_to(&res));
        assert_eq!(app.count("SELECT COUNT(*) FROM promises").await, 0);
        // A good one lands on the client's promises.
        let res = client
            .post_plain_form(
                "/api/promises/create",
                &from,
                &[("invoices", &t2), ("promised_date", &day(5)), ("amount", ""), ("note", "")],
            )
            .await;
        assert_eq!(redirected_to(&res), "/portal/promises", "{backend:?}");
        let id = app.count("SELECT id FROM promises").await;
        assert_eq!(status(&app, id).await, "active");

        // Cancelling it, from the list.
        let res = client.post_plain_form("/api/promises/cancel", "/portal/promises", &[("id", &id.to_string())]).await;
        assert_eq!(redirected_to(&res), "/portal/promises");
        assert_eq!(status(&app, id).await, "cancelled");

        // Staff record one by phone on the account page.
        let account = format!("/back/accounts/{}", app.fx.account1);
        let account1 = app.fx.account1.to_string();
        let res = owner
            .post_plain_form(
                "/api/promises/record",
                &account,
                &[
                    ("account_id", &account1),
                    ("invoices", &t1),
                    ("promised_date", &day(7)),
                    ("amount", "100"),
                    ("note", ""),
                ],
            )
            .await;
        assert_eq!(redirected_to(&res), account);
        let recorded = app.count("SELECT id FROM promises WHERE source = 'staff'").await;
        assert_eq!(status(&app, recorded).await, "active");

        // And decide a pending one: after two broken promises on T-0002,
        // the client's third waits for staff.
        for _ in 0..2 {
            insert_promise(&app, app.fx.account1, app.fx.inv1_overdue, "broken", today(), 10_000).await;
        }
        let made = create_ok(&client, &t2, &day(9), "").await;
        assert_eq!(status(&app, made).await, "pending_approval", "{backend:?}");
        let pending = "/back/promises?queue=pending";
        let refuse = |reason: &'static str| {
            let id = made.to_string();
            let owner = &owner;
            async move {
                owner
                    .post_plain_form(
                        "/api/promises/decide",
                        pending,
                        &[("id", &id), ("approve", "false"), ("reason", reason)],
                    )
                    .await
            }
        };
        let res = refuse("").await;
        assert!(redirected_to(&res).starts_with(pending), "a rejection needs its reason");
        assert_eq!(status(&app, made).await, "pending_approval");
        let res = refuse("Too many promises").await;
        assert_eq!(redirected_to(&res), pending);
        assert_eq!(status(&app, made).await, "rejected");
        app.finish().await;
    }
}
