//! The aging report: as of a past day, rebuilt from the ledger, it equals
//! an example worked by hand; today's reads the stored balances; cells
//! drill down to exactly their invoices; a collector sees only their
//! accounts; the exports open in a spreadsheet reader.

use crate::each_backend;
use crate::helpers::{now, today, write_invoice, HandInvoice, TestApp};
use app::with_db;
use calamine::{DataType, Reader};
use chrono::NaiveDate;
use reqwest::StatusCode;
use serde_json::{json, Value};

fn day(s: &str) -> NaiveDate {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
}

/// Account 3 (Charlie, no collector) gets invoices spread over every
/// bucket as of 31 October 2026 (number, issue, due, total, paid and when):
///
/// | invoice | due        | days past due on 31/10 | owed on 31/10 | bucket  |
/// |---------|------------|------------------------|---------------|---------|
/// | C-1     | 2026-06-30 | 123                    | 100.00        | 121+    |
/// | C-2     | 2026-07-31 | 92                     | 200.00        | 91–120  |
/// | C-3     | 2026-08-31 | 61                     | 300.00        | 61–90   |
/// | C-4     | 2026-10-01 | 30                     | 400.00        | 1–30    |
/// | C-5     | 2026-10-31 | 0                      | 500.00        | not due |
/// | C-6     | 2026-09-14 | 47                     | 600.00 (paid 5/11) | 31–60 |
/// | C-7     | issued 2026-11-05: not yet on 31/10                   |
///
/// Account 1's T-0002 (due 21/10, 300.00 left after a part payment on
/// 26/09) is 10 days past due; T-0001 and T-0004 are issued later.
async fn spread_invoices(app: &TestApp) {
    let account = app.fx.account3;
    // (number, issue, due, total, paid on and how much)
    type Spread<'a> = (&'a str, &'a str, &'a str, i64, Option<(&'a str, i64)>);
    let rows: [Spread; 7] = [
        ("C-1", "2026-05-31", "2026-06-30", 10_000, None),
        ("C-2", "2026-07-01", "2026-07-31", 20_000, None),
        ("C-3", "2026-08-01", "2026-08-31", 30_000, None),
        ("C-4", "2026-09-01", "2026-10-01", 40_000, None),
        ("C-5", "2026-10-01", "2026-10-31", 50_000, None),
        ("C-6", "2026-08-15", "2026-09-14", 60_000, Some(("2026-11-05", 60_000))),
        ("C-7", "2026-11-05", "2026-12-05", 70_000, None),
    ];
    for (number, issue, due, total, paid) in rows {
        let paid: Vec<(NaiveDate, i64)> = paid.map(|(on, amount)| (day(on), amount)).into_iter().collect();
        let inv = HandInvoice { number, issue: day(issue), due: day(due), total, paid: &paid };
        write_invoice(app, account, "EUR", inv).await;
    }
    app::ledger::balances::rebuild(&app.db, today()).await.expect("balances rebuilt");
}

async fn invoice_id(app: &TestApp, number: &str) -> i64 {
    app.count(&format!("SELECT id FROM invoices WHERE number = '{number}'")).await
}

fn filter(as_of: Option<&str>, group: &str) -> Value {
    json!({ "filter": { "as_of": as_of, "group": group, "segment": null, "collector_id": null, "currency": null, "page": 1 } })
}

async fn report(s: &crate::helpers::Session, as_of: Option<&str>, group: &str) -> Value {
    let res = s.post_json("/api/aging/report", filter(as_of, group)).await;
    let status = res.status();
    let body: Value = res.json().await.unwrap();
    assert_eq!(status, StatusCode::OK, "{body}");
    body
}

/// The buckets of the row whose key names `name` (an account's name, or
/// the key's JSON text), in minor units.
fn buckets(report: &Value, name: &str) -> Vec<i64> {
    let row = report["rows"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["key"].to_string().contains(name))
        .unwrap_or_else(|| panic!("no row {name} in {report}"));
    row["buckets"].as_array().unwrap().iter().map(|m| m["minor"].as_i64().unwrap()).collect()
}

/// The owner, for calling the report's functions directly.
fn owner_principal(app: &TestApp) -> app::auth::ssr::Principal {
    app::auth::ssr::Principal {
        user_id: app.fx.owner,
        session_id: String::new(),
        role: app::domain::Role::Owner,
        account_id: None,
        name: String::new(),
        email: String::new(),
        locale: None,
        page_version: Default::default(),
    }
}

fn names(report: &Value) -> Vec<String> {
    report["rows"].as_array().unwrap().iter().map(|r| r["key"].to_string()).collect()
}

#[tokio::test]
async fn aging_as_of_a_past_day_equals_the_example_worked_by_hand() {
    each_backend!(|app| {
        spread_invoices(&app).await;
        let owner = app.login("owner@test.example").await;

        let past = report(&owner, Some("2026-10-31"), "Account").await;
        assert_eq!(past["as_of"], "2026-10-31");
        assert_eq!(past["today"], false);
        // Not due, 1–30, 31–60, 61–90, 91–120, 121+.
        assert_eq!(buckets(&past, "Charlie Unassigned SA"), [50_000, 40_000, 60_000, 30_000, 20_000, 10_000]);
        assert_eq!(buckets(&past, "Alpha Boulangerie SARL"), [0, 30_000, 0, 0, 0, 0]);
        // Bravo's only invoice was issued after that day.
        assert_eq!(names(&past).len(), 2, "{past}");
        let total = &past["totals"][0];
        assert_eq!(total["total"]["minor"], 240_000);
        assert_eq!(total["invoices"], 7);

        // By currency: one row, the same figures as the total.
        let by_currency = report(&owner, Some("2026-10-31"), "Currency").await;
        assert_eq!(buckets(&by_currency, "Currency"), [50_000, 70_000, 60_000, 30_000, 20_000, 10_000]);

        // Today (20 November): the stored balances. C-6 is paid, C-7 not due.
        let now = report(&owner, None, "Account").await;
        assert_eq!(now["as_of"], today().to_string());
        assert_eq!(now["today"], true);
        assert_eq!(buckets(&now, "Charlie Unassigned SA"), [70_000, 50_000, 40_000, 30_000, 20_000, 10_000]);
        assert_eq!(buckets(&now, "Alpha Boulangerie SARL"), [120_000, 30_000, 0, 0, 0, 0]);
        assert_eq!(buckets(&now, "Bravo Shipping Ltd"), [99_900, 0, 0, 0, 0, 0]);

        // Asked for today by its date: the same stored figures.
        let dated = report(&owner, Some(&today().to_string()), "Account").await;
        assert_eq!(dated["today"], true);
        assert_eq!(dated["rows"], now["rows"]);
        // And the day before, from the entries: every figure as the
        // entries stood (nothing was posted on the 20th).
        let yesterday = report(&owner, Some(&(today() - chrono::Days::new(1)).to_string()), "Account").await;
        assert_eq!(yesterday["totals"][0]["total"], now["totals"][0]["total"]);
    });
}

#[tokio::test]
async fn promised_and_disputed_amounts_are_shown_apart_as_they_stood() {
    each_backend!(|app| {
        spread_invoices(&app).await;
        let c3 = invoice_id(&app, "C-3").await;
        let c4 = invoice_id(&app, "C-4").await;
        let account = app.fx.account3;
        let now = now();
        with_db!(&app.db, |pool| {
            async {
                // A dispute in progress on 100.00 of C-3, opened today.
                sqlx::query(
                    "INSERT INTO disputes (account_id, invoice_id, reason, scope, amount_minor, currency, status, created_at, updated_at)
                     VALUES ($1, $2, 'damaged', 'amount', 10000, 'EUR', 'open', $3, $3)",
                )
                .bind(account)
                .bind(c3)
                .bind(now)
                .execute(pool)
                .await?;
                // An active promise for C-4, made today.
                let promise: i64 = sqlx::query_scalar(
                    "INSERT INTO promises (account_id, promised_date, amount_minor, currency, balance_at_promise_minor, status,
                         source, created_at, updated_at)
                     VALUES ($1, $2, 40000, 'EUR', 40000, 'active', 'staff', $3, $3) RETURNING id",
                )
                .bind(account)
                .bind(today() + chrono::Days::new(7))
                .bind(now)
                .fetch_one(pool)
                .await?;
                sqlx::query("INSERT INTO promise_invoices (promise_id, invoice_id, balance_minor) VALUES ($1, $2, 40000)")
                    .bind(promise)
                    .bind(c4)
                    .execute(pool)
                    .await?;
                Ok::<_, sqlx::Error>(())
            }
            .await
        })
        .unwrap();
        app::ledger::balances::rebuild(&app.db, today()).await.unwrap();
        let owner = app.login("owner@test.example").await;
        let row = |r: &Value| {
            r["rows"].as_array().unwrap().iter().find(|r| r["key"].to_string().contains("Charlie")).unwrap().clone()
        };
        let now = row(&report(&owner, None, "Account").await);
        assert_eq!(now["promised"]["minor"], 40_000);
        assert_eq!(now["disputed"]["minor"], 10_000);
        // Still in their buckets: the hold is shown beside them, not instead.
        assert_eq!(now["total"]["minor"], 220_000);
        // On 31 October neither the dispute nor the promise existed yet.
        let then = row(&report(&owner, Some("2026-10-31"), "Account").await);
        assert_eq!(then["promised"]["minor"], 0);
        assert_eq!(then["disputed"]["minor"], 0);

        // The drill-down marks them too.
        let res = owner
            .post_json(
                "/api/aging/cell",
                json!({ "cell": { "filter": filter(None, "Account")["filter"], "key": account.to_string(),
                    "bucket": "Days61To90", "currency": "EUR", "page": 1 } }),
            )
            .await;
        let cell: Value = res.json().await.unwrap();
        assert_eq!(cell["items"][0]["number"], "C-3", "{cell}");
        assert_eq!(cell["items"][0]["disputed"]["minor"], 10_000);
    });
}

async fn cell(s: &crate::helpers::Session, as_of: &str, key: Option<String>, bucket: Option<&str>) -> Value {
    let res = s
        .post_json(
            "/api/aging/cell",
            json!({ "cell": { "filter": filter(Some(as_of), "Account")["filter"], "key": key, "bucket": bucket,
                "currency": "EUR", "page": 1 } }),
        )
        .await;
    let status = res.status();
    let body: Value = res.json().await.unwrap();
    assert_eq!(status, StatusCode::OK, "{body}");
    body
}

fn numbers(cell: &Value) -> Vec<String> {
    cell["items"].as_array().unwrap().iter().map(|i| i["number"].as_str().unwrap().to_string()).collect()
}

#[tokio::test]
async fn a_cell_lists_exactly_its_invoices() {
    each_backend!(|app| {
        spread_invoices(&app).await;
        let owner = app.login("owner@test.example").await;
        let d = "2026-10-31";
        let c = cell(&owner, d, None, Some("Days61To90")).await;
        assert_eq!(numbers(&c), ["C-3"]);
        assert_eq!(c["items"][0]["days_past_due"], 61);
        let c = cell(&owner, d, None, Some("Days1To30")).await;
        assert_eq!(numbers(&c), ["C-4", "T-0002"]);
        assert_eq!(c["total"]["minor"], 70_000);
        assert_eq!(c["count"], 2);
        // C-6 was paid after that day: it still owed 600.00 then.
        let c = cell(&owner, d, None, Some("Days31To60")).await;
        assert_eq!(numbers(&c), ["C-6"]);
        assert_eq!(c["items"][0]["balance"]["minor"], 60_000);
        // A row's cell: Alpha's 1–30 only.
        let c = cell(&owner, d, Some(app.fx.account1.to_string()), Some("Days1To30")).await;
        assert_eq!(numbers(&c), ["T-0002"]);
        // A row's total: every invoice of Charlie's owing on that day.
        let c = cell(&owner, d, Some(app.fx.account3.to_string()), None).await;
        assert_eq!(numbers(&c), ["C-1", "C-2", "C-3", "C-6", "C-4", "C-5"]);
        // Today: C-6 is paid.
        let c = cell(&owner, &today().to_string(), None, Some("Days31To60")).await;
        assert_eq!(numbers(&c), ["C-4"]);
    });
}

#[tokio::test]
async fn a_collector_s_aging_holds_only_their_accounts() {
    each_backend!(|app| {
        spread_invoices(&app).await;
        let collector = app.login("c1@test.example").await;
        let r = report(&collector, Some("2026-10-31"), "Account").await;
        assert_eq!(names(&r).len(), 1, "{r}");
        assert!(names(&r)[0].contains("Alpha Boulangerie SARL"));
        assert_eq!(r["totals"][0]["total"]["minor"], 30_000);
        assert!(r["collectors"].as_array().unwrap().is_empty());
        // By collector: only their own row, even asked for another's.
        let r = report(&collector, None, "Collector").await;
        assert_eq!(names(&r).len(), 1, "{r}");
        // A cell of an account outside their scope is empty.
        let c = cell(&collector, "2026-10-31", Some(app.fx.account3.to_string()), None).await;
        assert_eq!(c["count"], 0);
        assert!(numbers(&c).is_empty());
        // The export too.
        let csv = collector.get("/back/aging.csv?as_of=2026-10-31&group=account").await.text().await.unwrap();
        assert!(csv.contains("Alpha Boulangerie SARL"), "{csv}");
        assert!(!csv.contains("Charlie") && !csv.contains("Bravo"), "{csv}");
        // Clients have no aging; nor has anyone signed out.
        let client = app.login("client1@test.example").await;
        let res = client.post_json("/api/aging/report", filter(None, "Account")).await;
        assert_eq!(res.status(), StatusCode::FORBIDDEN);
        assert_eq!(client.get("/back/aging.csv").await.status(), StatusCode::FORBIDDEN);
        let res = app.anonymous().post_json("/api/aging/report", filter(None, "Account")).await;
        assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    });
}

#[tokio::test]
async fn a_future_day_is_refused_with_a_field_error() {
    each_backend!(|app| {
        let owner = app.login("owner@test.example").await;
        let tomorrow = (today() + chrono::Days::new(1)).to_string();
        let res = owner.post_json("/api/aging/report", filter(Some(&tomorrow), "Account")).await;
        assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
        let body = res.text().await.unwrap();
        assert!(body.contains("as_of"), "{body}");
        let res = owner.get("/back/aging.csv?as_of=31/10/2026").await;
        assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    });
}

#[tokio::test]
async fn the_exports_open_in_a_spreadsheet_reader() {
    each_backend!(|app| {
        spread_invoices(&app).await;
        let owner = app.login("owner@test.example").await;
        let res = owner.get("/back/aging.xlsx?as_of=2026-10-31&group=account").await;
        assert_eq!(res.status(), StatusCode::OK);
        assert!(res.headers()["content-disposition"].to_str().unwrap().contains("balance-agee-2026-10-31.xlsx"));
        let bytes = res.bytes().await.unwrap();
        let mut book: calamine::Xlsx<_> =
            calamine::open_workbook_from_rs(std::io::Cursor::new(bytes.to_vec())).unwrap();
        let sheet = book.worksheet_range_at(0).unwrap().unwrap();
        // The day is a date cell.
        let as_of = sheet.get_value((0, 1)).unwrap();
        assert_eq!(as_of.as_date(), Some(day("2026-10-31")), "{as_of:?}");
        // Charlie's row: code, name, currency, then numbers.
        let row = sheet.rows().find(|r| r[1] == "Charlie Unassigned SA").expect("Charlie's row");
        assert_eq!(row[2].to_string(), "EUR");
        let figures: Vec<f64> = row[3..9].iter().map(|c| c.get_float().expect("a number cell")).collect();
        assert_eq!(figures, [500.0, 400.0, 600.0, 300.0, 200.0, 100.0]);
        assert_eq!(row[9].get_float(), Some(2100.0));
        // The last row: the total.
        let last = sheet.rows().next_back().unwrap();
        assert_eq!(last[9].get_float(), Some(2400.0));

        // The CSV, in French: `;` and decimal commas.
        let csv = owner.get("/back/aging.csv?as_of=2026-10-31&group=account").await.text().await.unwrap();
        let charlie = csv.lines().find(|l| l.contains("Charlie")).unwrap();
        assert_eq!(
            charlie,
            "A0003;Charlie Unassigned SA;EUR;500,00;400,00;600,00;300,00;200,00;100,00;2100,00;0,00;0,00;0,00;6"
        );
    });
}

/// The page by account is cut in SQL; the export adds up every row in
/// Rust. Over more accounts than a page holds (ties in their totals, one
/// account holding only credit), each page is exactly its slice of the
/// export's rows, the totals are the same, and a page past the last shows
/// the last, today and as of a past day.
#[tokio::test]
async fn each_page_by_account_is_its_slice_of_the_whole_report() {
    each_backend!(|app| {
        spread_invoices(&app).await;
        let start = day("2026-07-01");
        for n in 0..57u64 {
            let code = format!("P{n:04}");
            let account: i64 = with_db!(&app.db, |pool| {
                sqlx::query_scalar(
                    "INSERT INTO accounts (code, legal_name, billing_email, language, segment, payment_terms_days,
                         credit_limit_minor, currency, created_at, search_text)
                     VALUES ($1, $2, 'p@example.com', 'fr', 'small', 30, 0, 'EUR', $3, $1) RETURNING id",
                )
                .bind(&code)
                .bind(format!("Page {n}"))
                .bind(now())
                .fetch_one(pool)
                .await
            })
            .unwrap();
            if n == 56 {
                break; // the last holds only credit
            }
            let issue = start + chrono::Days::new(n * 2);
            let number = format!("{code}-1");
            let inv = HandInvoice {
                number: &number,
                issue,
                due: issue + chrono::Days::new(30),
                total: 1_000 * (1 + (n % 5) as i64),
                paid: &[],
            };
            write_invoice(&app, account, "EUR", inv).await;
        }
        app::ledger::balances::rebuild(&app.db, today()).await.expect("balances rebuilt");
        // Credit, with no entries behind it (set back before the ledger
        // is checked): on an account with no invoice, and on Bravo, whose
        // only invoice is issued after the past day.
        let credit_only = app.count("SELECT id FROM accounts WHERE code = 'P0056'").await;
        app.exec(&format!("UPDATE accounts SET unapplied_minor = -2500 WHERE id = {credit_only}")).await.unwrap();
        app.exec(&format!("UPDATE accounts SET unapplied_minor = -700 WHERE id = {}", app.fx.account2)).await.unwrap();

        let state = app.state();
        let owner = owner_principal(&app);
        for as_of in [None, Some(day("2026-10-31"))] {
            let filter = app::aging::AgingFilter { as_of, ..Default::default() };
            let whole = app::aging::ssr::build(&state, &owner, &filter).await.unwrap();
            let per_page = app::aging::ssr::ROWS_PER_PAGE;
            let pages = whole.rows.len().div_ceil(per_page);
            assert!(pages >= 2, "{as_of:?}: {} rows", whole.rows.len());
            for page in 1..=pages + 1 {
                let f = app::aging::AgingFilter { page: page as i64, ..filter.clone() };
                let shown = app::aging::ssr::report(&state, &owner, &f).await.unwrap();
                let expected = page.min(pages);
                assert_eq!(shown.page, expected as i64, "{as_of:?} page {page}");
                assert_eq!(shown.page_count, pages as i64, "{as_of:?}");
                let slice: Vec<_> = whole.rows.iter().skip((expected - 1) * per_page).take(per_page).cloned().collect();
                assert_eq!(shown.rows, slice, "{as_of:?} page {page}");
                assert_eq!(shown.totals, whole.totals, "{as_of:?}");
            }
            // The account holding only credit is a row of its own, last of
            // its currency (it owes nothing).
            let last = whole.rows.last().unwrap();
            assert_eq!(last.key.param(), credit_only.to_string(), "{as_of:?}");
            assert_eq!((last.total.minor, last.credit.minor), (0, -2_500), "{as_of:?}");
            assert_eq!(whole.totals[0].credit.minor, -3_200, "{as_of:?}");
        }
        // Back as the ledger has it, for the closing check.
        app.exec(&format!("UPDATE accounts SET unapplied_minor = 0 WHERE id IN ({credit_only}, {})", app.fx.account2))
            .await
            .unwrap();
    });
}

/// Today's aging reads each account's stored buckets, which move as days
/// pass (an invoice falls due, or crosses from one bucket to the next)
/// with no posting: on each day around every boundary of the example's
/// invoices, the report equals the buckets worked out from each open
/// invoice's due date, and the stored figures pass the ledger's check.
#[tokio::test]
async fn today_s_stored_buckets_follow_the_days_as_they_pass() {
    each_backend!(|app| {
        spread_invoices(&app).await;
        let owner = owner_principal(&app);
        let open: Vec<(i64, NaiveDate, i64)> = with_db!(&app.db, |pool| {
            sqlx::query_as(
                "SELECT account_id, due_date, balance_minor FROM invoices WHERE status = 'issued' AND balance_minor > 0",
            )
            .fetch_all(pool)
            .await
        })
        .unwrap();
        // Each open invoice's boundaries, the day before and the day of
        // each move, and a day when nothing moves.
        let mut days: Vec<NaiveDate> = vec![today() + chrono::Days::new(1)];
        for &(_, due, _) in &open {
            for end in app::aging::Bucket::ENDS {
                let last = due + chrono::Days::new(end as u64);
                days.extend([last, last + chrono::Days::new(1)]);
            }
        }
        days.retain(|d| *d > today());
        days.sort();
        days.dedup();
        assert!(days.len() > 10, "{days:?}");
        let mut state = app.state();
        let mut moved = 0;
        for on in days {
            state.clock = app::db::Clock::Fixed(on.and_hms_opt(9, 0, 0).unwrap().and_utc());
            let report = app::aging::ssr::build(&state, &owner, &app::aging::AgingFilter::default()).await.unwrap();
            assert!(report.today, "{on}");
            let mut expected: std::collections::BTreeMap<i64, [i64; 6]> = Default::default();
            for &(account, due, balance) in &open {
                let bucket = app::aging::Bucket::of_days((on - due).num_days());
                expected.entry(account).or_default()[bucket.index()] += balance;
            }
            let shown: std::collections::BTreeMap<i64, [i64; 6]> = report
                .rows
                .iter()
                .map(|r| {
                    let id: i64 = r.key.param().parse().unwrap();
                    (id, std::array::from_fn(|k| r.buckets[k].minor))
                })
                .collect();
            assert_eq!(shown, expected, "on {on}");
            let stale = app.count(&format!("SELECT COUNT(*) FROM accounts WHERE figures_until < '{on}'")).await;
            assert_eq!(stale, 0, "on {on}: every account rolled");
            let report = app::ledger::verify::run(&app.db, on).await.unwrap();
            assert!(report.is_clean(), "on {on}: {:?}", report.problems);
            moved += 1;
        }
        assert!(moved > 10);
    });
}
