//! The indicators: DSO (count-back and simple), best possible DSO, average
//! days delinquent and CEI equal the example worked by hand; the rates
//! (paid on time, promises kept, disputes) and the resolution time count
//! what they say; a collector's cover only their accounts.

use crate::each_backend;
use crate::helpers::{now, today, write_invoice, HandInvoice, Session, TestApp};
use app::with_db;
use chrono::{DateTime, NaiveDate, Utc};
use reqwest::StatusCode;
use serde_json::{json, Value};

fn day(s: &str) -> NaiveDate {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
}

fn at(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
}

/// Account 3 (Charlie, no collector) is moved to pounds, so that its
/// figures are the only ones in GBP, and gets (amounts in pounds):
///
/// | invoice | issued | due   | total | paid                 |
/// |---------|--------|-------|-------|----------------------|
/// | G-1     | 10/08  | 09/09 | 600   | all on 05/10 (late)  |
/// | G-2     | 05/09  | 05/10 | 900   | 300 on 05/10         |
/// | G-3     | 20/09  | 20/10 | 1,200 | all on 20/10         |
/// | G-4     | 10/10  | 09/11 | 800   | —                    |
/// | G-5     | 25/10  | 24/11 | 400   | —                    |
///
/// Sales: August 600, September 2,100, October 1,200, November none.
/// Owed at the end of August 600 (all current); of September 2,700
/// (G-1 overdue, G-2 and G-3 current: 2,100); of October 1,800 (G-2 600
/// overdue, G-4 and G-5 current: 1,200); on 20 November 1,800 (only G-5's
/// 400 current).
///
/// October (31 days):
/// - count-back DSO: 1,800 − 1,200 = 600 left after October's 31 days;
///   September's 2,100 covers it in 30 × 600 / 2,100 = 8.57 days → 39.6;
/// - simple DSO 1,800 / 1,200 × 31 = 46.5; best possible 1,200 / 1,200 × 31
///   = 31.0; average days delinquent 46.5 − 31 = 15.5;
/// - CEI (2,700 + 1,200 − 1,800) / (2,700 + 1,200 − 1,200) = 77.8 %;
/// - paid on time: G-2 (600 left on its due date) and G-3 (settled that
///   day) fell due: 50.0 %.
///
/// September: count-back 2,700 − 2,100 = 600 after 30 days, August's 600
/// covers it whole: 30 + 31 = 61.0; simple 2,700 / 2,100 × 30 = 38.6;
/// CEI (600 + 2,100 − 2,700) / (600 + 2,100 − 2,100) = 0.0; G-1 was not
/// paid by its due date: 0.0 %; G-2, issued then, is disputed: 50.0 %.
///
/// November (20 days so far, no sales): count-back 20 + 31 (October) +
/// 8.57 (September) = 59.6; no simple DSO (nothing sold).
async fn worked_example(app: &TestApp) {
    let account = app.fx.account3;
    app.exec(&format!("UPDATE accounts SET currency = 'GBP' WHERE id = {account}")).await.unwrap();
    type Row<'a> = (&'a str, &'a str, &'a str, i64, &'a [(&'a str, i64)]);
    let rows: [Row; 5] = [
        ("G-1", "2026-08-10", "2026-09-09", 60_000, &[("2026-10-05", 60_000)]),
        ("G-2", "2026-09-05", "2026-10-05", 90_000, &[("2026-10-05", 30_000)]),
        ("G-3", "2026-09-20", "2026-10-20", 120_000, &[("2026-10-20", 120_000)]),
        ("G-4", "2026-10-10", "2026-11-09", 80_000, &[]),
        ("G-5", "2026-10-25", "2026-11-24", 40_000, &[]),
    ];
    for (number, issue, due, total, paid) in rows {
        let paid: Vec<(NaiveDate, i64)> = paid.iter().map(|(on, amount)| (day(on), *amount)).collect();
        let inv = HandInvoice { number, issue: day(issue), due: day(due), total, paid: &paid };
        write_invoice(app, account, "GBP", inv).await;
    }
    let now = now();
    with_db!(&app.db, |pool| {
        async {
            // Promises dated in October: two kept, one broken; one still
            // active and one cancelled count for nothing.
            for (on, status) in [
                ("2026-10-15", "kept"),
                ("2026-10-25", "broken"),
                ("2026-10-28", "kept"),
                ("2026-10-30", "active"),
                ("2026-10-12", "cancelled"),
            ] {
                sqlx::query(
                    "INSERT INTO promises (account_id, promised_date, amount_minor, currency, balance_at_promise_minor, status,
                         source, created_at, updated_at)
                     VALUES ($1, $2, 10000, 'GBP', 10000, $3, 'staff', $4, $4)",
                )
                .bind(account)
                .bind(day(on))
                .bind(status)
                .bind(now)
                .execute(pool)
                .await?;
            }
            // Disputes: G-4's decided in 10 days, G-1's closed after 30.5,
            // both in October; G-2's still open.
            let disputes: [(&str, &str, Option<&str>, Option<&str>); 3] = [
                ("G-4", "rejected", Some("2026-10-22T09:00:00Z"), None),
                ("G-1", "closed", None, Some("2026-10-01T12:00:00Z")),
                ("G-2", "open", None, None),
            ];
            let opened = ["2026-10-12T09:00:00Z", "2026-09-01T00:00:00Z", "2026-10-06T00:00:00Z"];
            for ((number, status, decided, closed), opened) in disputes.into_iter().zip(opened) {
                sqlx::query(
                    "INSERT INTO disputes (account_id, invoice_id, reason, scope, amount_minor, currency, status,
                         created_at, updated_at, decided_at, closed_at)
                     SELECT $1, id, 'other', 'invoice', total_minor, 'GBP', $2, $3, $3, $4, $5 FROM invoices WHERE number = $6",
                )
                .bind(account)
                .bind(status)
                .bind(at(opened))
                .bind(decided.map(at))
                .bind(closed.map(at))
                .bind(number)
                .execute(pool)
                .await?;
            }
            Ok::<_, sqlx::Error>(())
        }
        .await
    })
    .expect("the example written");
    app::ledger::balances::rebuild(&app.db, today()).await.expect("balances rebuilt");
}

async fn indicators(s: &Session, currency: Option<&str>) -> Value {
    let res = s
        .post_json(
            "/api/indicators/get",
            json!({ "filter": { "currency": currency, "segment": null, "collector_id": null } }),
        )
        .await;
    let status = res.status();
    let body: Value = res.json().await.unwrap();
    assert_eq!(status, StatusCode::OK, "{body}");
    body
}

/// A month's figures (`2026-10`).
fn month<'a>(report: &'a Value, ym: &str) -> &'a Value {
    report["months"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["month"] == format!("{ym}-01"))
        .unwrap_or_else(|| panic!("no month {ym} in {report}"))
}

/// The month's figures, in the page's order (`Indicator::ALL`): count-back
/// DSO, simple DSO, best possible DSO, average days delinquent, CEI, paid
/// on time, promises kept, dispute rate, resolution days.
fn values(report: &Value, ym: &str) -> Vec<Option<String>> {
    month(report, ym)["values"].as_array().unwrap().iter().map(|v| v.as_str().map(str::to_string)).collect()
}

fn some(figures: [&str; 9]) -> Vec<Option<String>> {
    figures.iter().map(|f| (*f != "-").then(|| f.to_string())).collect()
}

#[tokio::test]
async fn dso_and_cei_equal_the_example_worked_by_hand() {
    each_backend!(|app| {
        worked_example(&app).await;
        let owner = app.login("owner@test.example").await;
        let r = indicators(&owner, Some("GBP")).await;
        assert_eq!(r["currency"], "GBP");
        assert_eq!(r["months"].as_array().unwrap().len(), 12);
        assert_eq!(r["months"][0]["month"], "2025-12-01");
        assert_eq!(r["months"][11]["end"], "2026-11-20");

        let oct = month(&r, "2026-10");
        assert_eq!(oct["sales"]["minor"], 120_000);
        assert_eq!(oct["receivable"]["minor"], 180_000);
        assert_eq!(oct["current"]["minor"], 120_000);
        // Paid on time 1 of 2; promises 2 kept of 3 settled; one of the two
        // invoices issued in October disputed; resolutions (10 + 30.5) / 2.
        assert_eq!(
            values(&r, "2026-10"),
            some(["39.6", "46.5", "31.0", "15.5", "77.8", "50.0", "66.7", "50.0", "20.3"])
        );
        assert_eq!(values(&r, "2026-09"), some(["61.0", "38.6", "30.0", "8.6", "0.0", "0.0", "-", "50.0", "-"]));
        assert_eq!(values(&r, "2026-11"), some(["59.6", "-", "-", "-", "0.0", "0.0", "-", "-", "-"]));
        // August: G-1 issued and disputed since.
        assert_eq!(values(&r, "2026-08")[7].as_deref(), Some("100.0"));

        // What is owed at a month's end is the aging of that day.
        let aging = owner
            .post_json(
                "/api/aging/report",
                json!({ "filter": { "as_of": "2026-09-30", "group": "Currency", "segment": null, "collector_id": null,
                    "currency": "GBP", "page": 1 } }),
            )
            .await;
        let aging: Value = aging.json().await.unwrap();
        assert_eq!(aging["totals"][0]["total"]["minor"], 270_000, "{aging}");
        assert_eq!(month(&r, "2026-09")["receivable"]["minor"], 270_000);

        // Without a currency asked for: the merchant's (EUR), and GBP on offer.
        let default = indicators(&owner, None).await;
        assert_eq!(default["currency"], "EUR");
        assert_eq!(default["currencies"], json!(["EUR", "GBP"]));
        assert_ne!(month(&default, "2026-10")["receivable"], oct["receivable"]);
    });
}

#[tokio::test]
async fn a_collectors_indicators_cover_only_their_accounts() {
    each_backend!(|app| {
        worked_example(&app).await;
        let owner = app.login("owner@test.example").await;
        let c1 = app.login("c1@test.example").await;
        // Charlie is nobody's: collector 1 has no pounds, even asking.
        let mine = indicators(&c1, Some("GBP")).await;
        assert_eq!(mine["currencies"], json!(["EUR"]));
        assert_eq!(mine["collectors"], json!([]));
        assert_eq!(month(&mine, "2026-10")["receivable"]["minor"], 0);
        assert_eq!(values(&mine, "2026-10"), some(["0.0", "-", "-", "-", "-", "-", "-", "-", "-"]));

        // Assigned to collector 1, Charlie's figures are theirs, as the owner sees them.
        app.exec(&format!("UPDATE accounts SET collector_id = {} WHERE id = {}", app.fx.collector1, app.fx.account3))
            .await
            .unwrap();
        let mine = indicators(&c1, Some("GBP")).await;
        let all = indicators(&owner, Some("GBP")).await;
        assert_eq!(mine["months"], all["months"]);
        assert_eq!(values(&mine, "2026-10")[0].as_deref(), Some("39.6"));
        // Collector 2 still has none of it; the owner filtering on collector 2 neither.
        let c2 = app.login("c2@test.example").await;
        assert_eq!(month(&indicators(&c2, Some("GBP")).await, "2026-10")["receivable"]["minor"], 0);
        let res = owner
            .post_json(
                "/api/indicators/get",
                json!({ "filter": { "currency": "GBP", "segment": null, "collector_id": app.fx.collector2 } }),
            )
            .await;
        let filtered: Value = res.json().await.unwrap();
        assert_eq!(month(&filtered, "2026-10")["receivable"]["minor"], 0);
        // A client may not ask.
        let client = app.login("client1@test.example").await;
        let res = client
            .post_json(
                "/api/indicators/get",
                json!({ "filter": { "currency": null, "segment": null, "collector_id": null } }),
            )
            .await;
        assert_eq!(res.status(), StatusCode::FORBIDDEN);
    });
}
