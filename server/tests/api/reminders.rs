//! The reminder engine on both backends: a due step goes once (run twice,
//! or by two instances at once), after downtime only the latest due step
//! goes, every hold stops it, and a broken promise is answered; plans,
//! an account's own plan, the status panel, approvals, the collector's
//! to-do and the client's history. When reminders go is in
//! reminder_timing.rs, what they say in reminder_messages.rs.

use crate::helpers::{spawn_app, TestApp, BACKENDS};
use app::db::Clock;
use app::reminders::ssr::engine;
use chrono::{DateTime, TimeZone, Utc};
use serde_json::json;

pub(crate) fn at(y: i32, m: u32, d: u32, h: u32, min: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(y, m, d, h, min, 0).unwrap()
}

/// Runs the job as an instance whose clock says `now`.
pub(crate) async fn run_at(app: &TestApp, now: DateTime<Utc>) -> usize {
    let mut state = app.state();
    state.clock = Clock::Fixed(now);
    engine::run(&state).await.expect("the job runs")
}

/// A plan for the `standard` segment (all three fixture accounts), steps
/// as (anchor, offset days, channel); answers the step ids.
pub(crate) async fn plan(app: &TestApp, min_amount: i64, steps: &[(&str, i32, &str)]) -> Vec<i64> {
    let now = at(2026, 11, 1, 8, 0);
    let plan: i64 = app::with_db!(&app.db, |pool| {
        sqlx::query_scalar(
            "INSERT INTO reminder_plans (name, customer_kind, min_amount_minor, created_at, updated_at)
             VALUES ('Standard', 'business', $1, $2, $2) RETURNING id",
        )
        .bind(min_amount)
        .bind(now)
        .fetch_one(pool)
        .await
    })
    .unwrap();
    let mut ids = Vec::new();
    for (i, (anchor, offset, channel)) in steps.iter().enumerate() {
        let id: i64 = app::with_db!(&app.db, |pool| {
            sqlx::query_scalar(
                "INSERT INTO reminder_steps (plan_id, position, anchor, offset_days, channel) VALUES ($1, $2, $3, $4, $5)
                 RETURNING id",
            )
            .bind(plan)
            .bind(i as i32 + 1)
            .bind(*anchor)
            .bind(*offset)
            .bind(*channel)
            .fetch_one(pool)
            .await
        })
        .unwrap();
        ids.push(id);
    }
    app.exec(&format!("INSERT INTO segment_reminder_plans (segment, plan_id) VALUES ('standard', {plan})"))
        .await
        .unwrap();
    ids
}

/// A promise on T-0002 (account 1, 300.00): `status` as given, made at
/// `made`, settled (kept or broken) at `settled` if any.
async fn promise_on_t2(app: &TestApp, status: &str, made: DateTime<Utc>, settled: Option<DateTime<Utc>>) -> i64 {
    let promise: i64 = app::with_db!(&app.db, |pool| {
        sqlx::query_scalar(
            "INSERT INTO promises (account_id, promised_date, amount_minor, currency, balance_at_promise_minor, status,
                 source, created_at, updated_at, settled_at)
             VALUES ($1, '2026-11-22', 30000, 'EUR', 30000, $2, 'portal', $3, $3, $4) RETURNING id",
        )
        .bind(app.fx.account1)
        .bind(status)
        .bind(made)
        .bind(settled)
        .fetch_one(pool)
        .await
    })
    .unwrap();
    let t2 = app.fx.inv1_overdue;
    app.exec(&format!(
        "INSERT INTO promise_invoices (promise_id, invoice_id, balance_minor) VALUES ({promise}, {t2}, 30000)"
    ))
    .await
    .unwrap();
    promise
}

async fn reminders(app: &TestApp) -> i64 {
    app.count("SELECT COUNT(*) FROM reminders").await
}

async fn outbox(app: &TestApp) -> i64 {
    app.count("SELECT COUNT(*) FROM outbox").await
}

/// The invoices (numbers) a step covered, in order.
async fn covered(app: &TestApp, step: i64) -> Vec<String> {
    let sql = format!(
        "SELECT i.number FROM reminder_invoices ri JOIN invoices i ON i.id = ri.invoice_id WHERE ri.step_id = {step}
         ORDER BY i.number"
    );
    app::with_db!(&app.db, |pool| sqlx::query_scalar(&sql).fetch_all(pool).await).unwrap()
}

#[tokio::test]
async fn a_due_step_goes_once_by_e_mail_then_the_call_lands_on_the_to_do() {
    for backend in BACKENDS {
        let Some(app) = spawn_app(backend).await else { continue };
        // T-0002 (account 1, 300.00 left) fell due on 21 October.
        let steps =
            plan(&app, 0, &[("due_date", 7, "email"), ("previous_step", 14, "email"), ("previous_step", 14, "call")])
                .await;
        let before = outbox(&app).await;
        // Friday 20 November, 11:00 in Paris: steps 1 (28 Oct) and 2 (11 Nov)
        // are both due; only the second goes, once.
        assert_eq!(run_at(&app, at(2026, 11, 20, 10, 0)).await, 1);
        assert_eq!(covered(&app, steps[0]).await, Vec::<String>::new());
        assert_eq!(covered(&app, steps[1]).await, ["T-0002"]);
        assert_eq!(outbox(&app).await, before + 1);
        let (to, subject, body): (String, String, String) = app::with_db!(&app.db, |pool| {
            sqlx::query_as("SELECT to_address, subject, body_text FROM outbox ORDER BY id DESC LIMIT 1")
                .fetch_one(pool)
                .await
        })
        .unwrap();
        assert_eq!(to, "billing@example.com");
        assert!(subject.contains("Alpha Boulangerie SARL") && subject.contains("300,00"), "{subject}");
        let t2 = app.fx.inv1_overdue;
        assert!(body.contains("T-0002") && !body.contains("T-0001"), "{body}");
        // Its links are signed (a_reminder_s_links_… follows them).
        assert_eq!(body.matches("/r/").count(), 3, "pay, promise, dispute: {body}");
        assert_ne!(t2, 0);
        // Again, the same hour, and on the next run: nothing more.
        assert_eq!(run_at(&app, at(2026, 11, 20, 10, 5)).await, 0);
        assert_eq!(run_at(&app, at(2026, 11, 23, 10, 0)).await, 0);
        assert_eq!(outbox(&app).await, before + 1);

        // The third step counts from the day the second was reached
        // (20 November): due on Friday 4 December. Two instances at once
        // record it once.
        assert_eq!(run_at(&app, at(2026, 12, 3, 10, 0)).await, 0);
        let (a, b) = tokio::join!(run_at(&app, at(2026, 12, 4, 10, 0)), run_at(&app, at(2026, 12, 4, 10, 0)));
        assert_eq!(a + b, 1, "two instances, one reminder");
        assert_eq!(covered(&app, steps[2]).await, ["T-0002"]);
        let tasks = app.count("SELECT COUNT(*) FROM collection_tasks WHERE kind = 'call' AND status = 'open'").await;
        assert_eq!(tasks, 1);
        assert_eq!(outbox(&app).await, before + 1, "a call is not an e-mail");
        assert_eq!(reminders(&app).await, 2);
        app.finish().await;
    }
}

#[tokio::test]
async fn after_a_week_of_downtime_each_account_gets_its_latest_step_once() {
    for backend in BACKENDS {
        let Some(app) = spawn_app(backend).await else { continue };
        let steps =
            plan(&app, 0, &[("due_date", 1, "email"), ("due_date", 3, "email"), ("due_date", 5, "email")]).await;
        // Wednesday 9 December: T-0002 long overdue (its latest step, once);
        // T-0001 falls due on the 10th.
        assert_eq!(run_at(&app, at(2026, 12, 9, 10, 0)).await, 1);
        assert_eq!(covered(&app, steps[2]).await, ["T-0002"]);
        // Down until Thursday 17 December: T-0001's three steps (11, 13, 15
        // December) were missed; account 1 gets the last one, once. Account
        // 2's T-0004 (due the 15th) reached its first step on the 16th: one
        // reminder each.
        let before = outbox(&app).await;
        assert_eq!(run_at(&app, at(2026, 12, 17, 10, 0)).await, 2);
        assert_eq!(covered(&app, steps[0]).await, ["T-0004"]);
        assert_eq!(covered(&app, steps[1]).await, Vec::<String>::new());
        assert_eq!(covered(&app, steps[2]).await, ["T-0001", "T-0002"]);
        assert_eq!(outbox(&app).await, before + 2);
        assert_eq!(run_at(&app, at(2026, 12, 17, 16, 0)).await, 0);
        // Friday 18th: T-0004's second step, on its day.
        assert_eq!(run_at(&app, at(2026, 12, 18, 10, 0)).await, 1);
        assert_eq!(covered(&app, steps[1]).await, ["T-0004"]);
        app.finish().await;
    }
}

#[tokio::test]
async fn every_hold_stops_the_step_until_it_lifts() {
    for backend in BACKENDS {
        let Some(app) = spawn_app(backend).await else { continue };
        let steps = plan(&app, 0, &[("due_date", 7, "email")]).await;
        let (account, t2) = (app.fx.account1, app.fx.inv1_overdue);
        let now = at(2026, 11, 20, 10, 0);
        let hold_and_lift = [
            (
                format!("UPDATE accounts SET reminders_paused_until = '2026-11-30', reminders_paused_reason = 'Appel en cours' WHERE id = {account}"),
                format!("UPDATE accounts SET reminders_paused_until = '2026-11-19' WHERE id = {account}"),
            ),
            (
                format!("UPDATE accounts SET insolvent_since = '2026-11-01' WHERE id = {account}"),
                format!("UPDATE accounts SET insolvent_since = NULL WHERE id = {account}"),
            ),
            (
                format!("UPDATE accounts SET reminders_excluded = TRUE WHERE id = {account}"),
                format!("UPDATE accounts SET reminders_excluded = FALSE WHERE id = {account}"),
            ),
            (
                "UPDATE reminder_plans SET min_amount_minor = 30001".to_string(),
                "UPDATE reminder_plans SET min_amount_minor = 30000".to_string(),
            ),
        ];
        for (hold, lift) in &hold_and_lift {
            app.exec(hold).await.unwrap();
            assert_eq!(run_at(&app, now).await, 0, "{hold}");
            app.exec(lift).await.unwrap();
        }
        // A promise in progress, a dispute in progress, a payment in flight.
        let stamp = at(2026, 11, 19, 9, 0);
        let promise = promise_on_t2(&app, "active", stamp, None).await;
        assert_eq!(run_at(&app, now).await, 0, "promised");
        app.exec(&format!("UPDATE promises SET status = 'cancelled' WHERE id = {promise}")).await.unwrap();
        let dispute: i64 = app::with_db!(&app.db, |pool| {
            sqlx::query_scalar(
                "INSERT INTO disputes (account_id, invoice_id, reason, scope, amount_minor, currency, status, created_at,
                     updated_at)
                 VALUES ($1, $2, 'wrong_amount', 'amount', 5000, 'EUR', 'open', $3, $3) RETURNING id",
            )
            .bind(account)
            .bind(t2)
            .bind(stamp)
            .fetch_one(pool)
            .await
        })
        .unwrap();
        assert_eq!(run_at(&app, now).await, 0, "disputed");
        app.exec(&format!("UPDATE disputes SET status = 'rejected' WHERE id = {dispute}")).await.unwrap();
        assert_eq!(reminders(&app).await, 0);

        // No address: the e-mail becomes a letter on the collector's to-do.
        app.exec(&format!("UPDATE accounts SET billing_email = '' WHERE id = {account}")).await.unwrap();
        let before = outbox(&app).await;
        assert_eq!(run_at(&app, now).await, 1);
        assert_eq!(covered(&app, steps[0]).await, ["T-0002"]);
        assert_eq!(outbox(&app).await, before);
        let (channel, reason): (String, String) = app::with_db!(&app.db, |pool| {
            sqlx::query_as("SELECT channel, reason FROM reminders").fetch_one(pool).await
        })
        .unwrap();
        assert_eq!((channel.as_str(), reason.as_str()), ("letter", "no_address"));
        assert_eq!(app.count("SELECT COUNT(*) FROM collection_tasks WHERE kind = 'letter'").await, 1);
        app.finish().await;
    }
}

#[tokio::test]
async fn a_broken_promise_is_answered_once() {
    for backend in BACKENDS {
        let Some(app) = spawn_app(backend).await else { continue };
        let steps = plan(&app, 0, &[("due_date", 7, "email"), ("broken_promise", 2, "call")]).await;
        assert_eq!(run_at(&app, at(2026, 11, 20, 10, 0)).await, 1);
        // A promise made, then broken on Monday 23 November.
        promise_on_t2(&app, "broken", at(2026, 11, 20, 12, 0), Some(at(2026, 11, 23, 6, 0))).await;
        assert_eq!(run_at(&app, at(2026, 11, 24, 10, 0)).await, 0);
        assert_eq!(run_at(&app, at(2026, 11, 25, 10, 0)).await, 1);
        assert_eq!(covered(&app, steps[1]).await, ["T-0002"]);
        assert_eq!(run_at(&app, at(2026, 11, 26, 10, 0)).await, 0);
        assert_eq!(app.count("SELECT COUNT(*) FROM collection_tasks WHERE kind = 'call'").await, 1);
        app.finish().await;
    }
}

async fn status(s: &crate::helpers::Session, account: i64) -> serde_json::Value {
    let res = s.post_form("/api/reminders/status", &[("account_id", &account.to_string())]).await;
    assert_eq!(res.status(), reqwest::StatusCode::OK);
    res.json().await.unwrap()
}

fn invoice<'a>(status: &'a serde_json::Value, number: &str) -> &'a serde_json::Value {
    status["invoices"].as_array().unwrap().iter().find(|i| i["number"] == number).expect(number)
}

#[tokio::test]
async fn each_account_shows_why_its_next_reminder_goes_or_not() {
    for backend in BACKENDS {
        let Some(app) = spawn_app(backend).await else { continue };
        plan(&app, 0, &[("due_date", 7, "email"), ("due_date", 40, "call")]).await;
        let account = app.fx.account1;
        let owner = app.login("owner@test.example").await;
        let s = status(&owner, account).await;
        assert_eq!(s["plan"], "Standard");
        assert!(s["hold"].is_null(), "{s}");
        let t2 = invoice(&s, "T-0002");
        assert_eq!((t2["next"]["position"].as_i64(), t2["next"]["due_now"].as_bool()), (Some(1), Some(true)), "{s}");
        let t1 = invoice(&s, "T-0001");
        assert_eq!(t1["next"]["day"], "2026-12-17", "T-0001 is due on 10 December: {s}");
        assert_eq!(run_at(&app, at(2026, 11, 20, 10, 0)).await, 1);
        let s = status(&owner, account).await;
        let t2 = invoice(&s, "T-0002");
        assert_eq!(t2["last_step"].as_i64(), Some(1));
        assert_eq!((t2["next"]["position"].as_i64(), t2["next"]["day"].as_str()), (Some(2), Some("2026-11-30")));
        assert_eq!(s["recorded"][0]["invoices"], serde_json::json!(["T-0002"]));
        assert_eq!(s["recorded"][0]["status"], "sent");

        // A dispute holds the invoice, and says so.
        app.exec(&format!(
            "INSERT INTO disputes (account_id, invoice_id, reason, scope, amount_minor, currency, status, created_at, updated_at)
             SELECT {account}, {}, 'other', 'amount', 1000, 'EUR', 'open', created_at, created_at FROM invoices WHERE id = {}",
            app.fx.inv1_overdue, app.fx.inv1_overdue
        ))
        .await
        .unwrap();
        assert_eq!(invoice(&status(&owner, account).await, "T-0002")["hold"], "disputed");

        // The account's collector pauses it, with a reason; the accountant
        // and the client may not; a date in the past is refused.
        let pause = |s: crate::helpers::Session, until: &'static str| async move {
            s.post_form(
                "/api/reminders/pause",
                &[("account_id", &account.to_string()), ("until", until), ("reason", "Appel en cours")],
            )
            .await
            .status()
        };
        for who in ["acc@test.example", "client1@test.example"] {
            assert_eq!(pause(app.login(who).await, "2026-11-30").await, reqwest::StatusCode::FORBIDDEN, "{who}");
        }
        assert_eq!(pause(app.login("c2@test.example").await, "2026-11-30").await, reqwest::StatusCode::NOT_FOUND);
        let c1 = app.login("c1@test.example").await;
        assert_eq!(pause(c1.clone(), "2026-11-19").await, reqwest::StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(pause(c1.clone(), "2026-11-30").await, reqwest::StatusCode::OK);
        let s = status(&c1, account).await;
        assert_eq!((s["hold"].as_str(), s["paused_reason"].as_str()), (Some("paused"), Some("Appel en cours")), "{s}");
        assert_eq!(s["paused_until"], "2026-11-30");
        assert_eq!(app.count("SELECT COUNT(*) FROM audit_log WHERE action = 'reminders.paused'").await, 1);
        // Resumed: no hold on the account any more.
        assert_eq!(pause(c1.clone(), "").await, reqwest::StatusCode::OK);
        assert!(status(&c1, account).await["hold"].is_null());
        // (Written straight to the table, the dispute never moved the stored
        // figures: closed, they agree with the ledger again.)
        app.exec("UPDATE disputes SET status = 'rejected'").await.unwrap();
        app.finish().await;
    }
}

#[tokio::test]
async fn the_owner_builds_a_plan_and_gives_it_to_a_segment() {
    for backend in BACKENDS {
        let Some(app) = spawn_app(backend).await else { continue };
        let owner = app.login("owner@test.example").await;
        let form = |name: &str, days: &str| {
            vec![
                ("form[name]".to_string(), name.to_string()),
                ("form[customer_kind]".into(), "business".into()),
                ("form[min_amount]".into(), "10".into()),
                ("form[steps][0][channel]".into(), "email".into()),
                ("form[steps][0][anchor]".into(), "due_date".into()),
                ("form[steps][0][offset_days]".into(), days.to_string()),
                ("form[steps][0][subject_fr]".into(), "Rappel : {total}".into()),
                ("form[steps][0][body_fr]".into(), "Bonjour,\n{invoices}\nPayer : {pay_link}".into()),
                ("form[steps][1][channel]".into(), "call".into()),
                ("form[steps][1][anchor]".into(), "previous_step".into()),
                ("form[steps][1][offset_days]".into(), "30".into()),
                ("form[steps][1][late_charges]".into(), "on".into()),
                ("form[steps][0][attach_statement]".into(), "on".into()),
            ]
        };
        let post = |fields: Vec<(String, String)>| {
            let owner = owner.clone();
            async move {
                let pairs: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
                owner.post_form("/api/reminders/create_plan", &pairs).await
            }
        };
        // A step counted from the previous one cannot be before it: refused, nothing written.
        let mut bad = form("Standard", "7");
        bad[10].1 = "-2".into();
        let res = post(bad).await;
        assert_eq!(res.status(), reqwest::StatusCode::UNPROCESSABLE_ENTITY);
        assert!(res.text().await.unwrap().contains("steps.1.offset_days"));
        assert_eq!(app.count("SELECT COUNT(*) FROM reminder_plans").await, 0);
        // A call cannot carry the statement: only an e-mail has attachments.
        let mut bad = form("Standard", "7");
        bad[12].0 = "form[steps][1][attach_statement]".into();
        let res = post(bad).await;
        assert_eq!(res.status(), reqwest::StatusCode::UNPROCESSABLE_ENTITY);
        assert!(res.text().await.unwrap().contains("steps.1.attach_statement"));
        assert_eq!(app.count("SELECT COUNT(*) FROM reminder_plans").await, 0);
        let res = post(form("Standard", "7")).await;
        assert_eq!(res.status(), reqwest::StatusCode::OK);
        let plan = res.json::<serde_json::Value>().await.unwrap()["value"]["id"].as_i64().unwrap();
        assert_eq!(post(form("Standard", "3")).await.status(), reqwest::StatusCode::UNPROCESSABLE_ENTITY, "name taken");
        assert_eq!(app.count("SELECT COUNT(*) FROM reminder_steps").await, 2);
        assert_eq!(app.count("SELECT min_amount_minor FROM reminder_plans").await, 1000);
        let res =
            owner.post_form("/api/reminders/assign", &[("segment", "standard"), ("plan_id", &plan.to_string())]).await;
        assert_eq!(res.status(), reqwest::StatusCode::OK);
        let page: serde_json::Value = owner.post_form("/api/reminders/plans", &[]).await.json().await.unwrap();
        assert_eq!(page["plans"][0]["steps"][0]["templates"], serde_json::json!(["fr"]), "{page}");
        // The call posts the late charges; the e-mail does not.
        let charging = |i: usize| page["plans"][0]["steps"][i]["late_charges"].as_bool();
        assert_eq!((charging(0), charging(1)), (Some(false), Some(true)), "{page}");
        // The e-mail carries the statement.
        let statement = |i: usize| page["plans"][0]["steps"][i]["attach_statement"].as_bool();
        assert_eq!((statement(0), statement(1)), (Some(true), Some(false)), "{page}");
        assert!(page["segments"].as_array().unwrap().iter().any(|s| s[0] == "standard" && s[1] == plan), "{page}");

        // The engine follows it, with the step's own message.
        assert_eq!(run_at(&app, at(2026, 11, 20, 10, 0)).await, 1);
        let (subject, body): (String, String) = app::with_db!(&app.db, |pool| {
            sqlx::query_as("SELECT subject, body_text FROM outbox ORDER BY id DESC LIMIT 1").fetch_one(pool).await
        })
        .unwrap();
        assert!(subject.starts_with("Rappel : 300,00"), "{subject}");
        assert!(body.contains("T-0002") && body.contains("/r/"), "{body}");

        // Archived, it chases no more and leaves the segment.
        let res = owner.post_form("/api/reminders/archive_plan", &[("id", &plan.to_string())]).await;
        assert_eq!(res.status(), reqwest::StatusCode::OK);
        assert_eq!(app.count("SELECT COUNT(*) FROM segment_reminder_plans").await, 0);
        assert_eq!(run_at(&app, at(2026, 12, 10, 10, 0)).await, 0);
        app.finish().await;
    }
}

#[tokio::test]
async fn the_collector_s_to_do_ranks_the_calls_of_their_accounts_and_records_an_outcome() {
    for backend in BACKENDS {
        let Some(app) = spawn_app(backend).await else { continue };
        plan(&app, 0, &[("due_date", 7, "call")]).await;
        assert_eq!(run_at(&app, at(2026, 11, 20, 10, 0)).await, 1);
        let todo = |who: &'static str| {
            let app = &app;
            async move { app.login(who).await.post_form("/api/reminders/todo", &[]).await }
        };
        for who in ["acc@test.example", "client1@test.example"] {
            assert_eq!(todo(who).await.status(), reqwest::StatusCode::FORBIDDEN, "{who}");
        }
        let other: serde_json::Value = todo("c2@test.example").await.json().await.unwrap();
        assert_eq!(other, serde_json::json!([]), "not c2's account");
        let list: serde_json::Value = todo("c1@test.example").await.json().await.unwrap();
        assert_eq!(list.as_array().unwrap().len(), 1, "{list}");
        let item = &list[0];
        assert_eq!(
            (item["kind"].as_str(), item["account_name"].as_str()),
            (Some("call"), Some("Alpha Boulangerie SARL"))
        );
        // T-0002 fell due on 21 October: 30 days late on 20 November.
        assert_eq!((item["days_late"].as_i64(), item["overdue"]["minor"].as_i64()), (Some(30), Some(30_000)), "{item}");
        let task = item["id"].as_i64().unwrap().to_string();

        let c1 = app.login("c1@test.example").await;
        let c2 = app.login("c2@test.example").await;
        let done = |s: &crate::helpers::Session, task: String, fields: &'static [(&'static str, &'static str)]| {
            let s = s.clone();
            async move {
                let mut form = vec![("id", task.as_str()), ("note", "Rappeler après 14 h")];
                form.extend_from_slice(fields);
                s.post_form("/api/reminders/task_done", &form).await.status()
            }
        };
        let unprocessable = reqwest::StatusCode::UNPROCESSABLE_ENTITY;
        assert_eq!(done(&c2, task.clone(), &[("outcome", "reached")]).await, reqwest::StatusCode::NOT_FOUND, "c2's?");
        for bad in [
            &[("outcome", "call_back")][..],
            &[("outcome", "call_back"), ("call_back_on", "2026-11-19")],
            &[("outcome", "reached"), ("promised_on", "2026-11-19")],
            &[("outcome", "shrugged")],
        ] {
            assert_eq!(done(&c1, task.clone(), bad).await, unprocessable, "{bad:?}");
        }
        let back = &[("outcome", "call_back"), ("call_back_on", "2026-11-25")];
        assert_eq!(done(&c1, task.clone(), back).await, reqwest::StatusCode::OK);
        assert_eq!(done(&c1, task.clone(), &[("outcome", "reached")]).await, reqwest::StatusCode::CONFLICT, "once");
        // The call back waits for its day; the outcome is on the timeline.
        let list: serde_json::Value = todo("c1@test.example").await.json().await.unwrap();
        assert_eq!(list, serde_json::json!([]));
        let again = "SELECT id FROM collection_tasks WHERE status = 'open' AND due_on = '2026-11-25'";
        let again = app.count(again).await.to_string();
        assert_eq!(app.count("SELECT COUNT(*) FROM audit_log WHERE action = 'collection_task.done'").await, 1);
        assert_eq!(app.count("SELECT COUNT(*) FROM promises").await, 0, "refused outcomes record nothing");

        // On that day the client answers and promises: a staff promise on the
        // overdue invoice (T-0002), which holds its reminders.
        app.exec(&format!("UPDATE collection_tasks SET due_on = '2026-11-20' WHERE id = {again}")).await.unwrap();
        let promised = &[("outcome", "reached"), ("promised_on", "2026-11-27")];
        assert_eq!(done(&c1, again.clone(), promised).await, reqwest::StatusCode::OK);
        let source = "SELECT COUNT(*) FROM promises p JOIN promise_invoices pi ON pi.promise_id = p.id
            JOIN invoices i ON i.id = pi.invoice_id WHERE p.source = 'staff' AND p.status = 'active' AND i.number = 'T-0002'";
        assert_eq!(app.count(source).await, 1);
        assert_eq!(app.count("SELECT COUNT(*) FROM promise_invoices").await, 1, "only the overdue invoice");
        assert_eq!(app.count("SELECT COUNT(*) FROM collection_tasks WHERE status = 'open'").await, 0);
        app.finish().await;
    }
}

#[tokio::test]
async fn the_client_s_history_shows_what_was_sent_with_its_pdf_and_nothing_of_staff() {
    for backend in BACKENDS {
        let Some(app) = spawn_app(backend).await else { continue };
        plan(&app, 0, &[("due_date", 7, "email"), ("due_date", 35, "call")]).await;
        assert_eq!(run_at(&app, at(2026, 11, 20, 10, 0)).await, 1, "the e-mail (the call waits for 25 November)");
        let sent: i64 = app.count("SELECT id FROM reminders WHERE channel = 'email' AND status = 'sent'").await;

        let client1 = app.login("client1@test.example").await;
        let history: serde_json::Value = client1.post_form("/api/portal/history", &[]).await.json().await.unwrap();
        let reminder = history
            .as_array()
            .unwrap()
            .iter()
            .find(|e| e["kind"]["action"] == "ReminderRecorded")
            .unwrap_or_else(|| panic!("no reminder in {history}"));
        assert_eq!(reminder["channel"], "email");
        assert_eq!(reminder["link"], format!("/reminders/{sent}/pdf"));
        assert_eq!(reminder["invoices"], serde_json::json!(["T-0002"]), "{reminder}");
        let pdf = client1.get(&format!("/reminders/{sent}/pdf")).await;
        assert_eq!(pdf.status(), reqwest::StatusCode::OK);
        let bytes = pdf.bytes().await.unwrap();
        for text in ["factures à régler", "restent à régler", "T-0002"] {
            assert!(crate::helpers::body_contains(&bytes, text), "the letter prints {text:?}");
        }

        // Another client, another collector: neither the event nor the PDF.
        let client2 = app.login("client2@test.example").await;
        let theirs: serde_json::Value = client2.post_form("/api/portal/history", &[]).await.json().await.unwrap();
        assert!(theirs.as_array().unwrap().iter().all(|e| e["kind"]["action"] != "ReminderRecorded"), "{theirs}");
        assert_eq!(client2.get(&format!("/reminders/{sent}/pdf")).await.status(), reqwest::StatusCode::NOT_FOUND);
        let c2 = app.login("c2@test.example").await;
        assert_eq!(c2.get(&format!("/reminders/{sent}/pdf")).await.status(), reqwest::StatusCode::NOT_FOUND);
        let c1 = app.login("c1@test.example").await;
        assert_eq!(c1.get(&format!("/reminders/{sent}/pdf")).await.status(), reqwest::StatusCode::OK);
        assert_eq!(c1.post_form("/api/portal/history", &[]).await.status(), reqwest::StatusCode::FORBIDDEN);

        // A call is staff's: not in the history, no letter.
        assert_eq!(run_at(&app, at(2026, 11, 25, 10, 0)).await, 1);
        let call: i64 = app.count("SELECT id FROM reminders WHERE channel = 'call'").await;
        assert_eq!(client1.get(&format!("/reminders/{call}/pdf")).await.status(), reqwest::StatusCode::NOT_FOUND);
        let history: serde_json::Value = client1.post_form("/api/portal/history", &[]).await.json().await.unwrap();
        let reminders =
            history.as_array().unwrap().iter().filter(|e| e["kind"]["action"] == "ReminderRecorded").count();
        assert_eq!(reminders, 1, "{history}");
        // The money, from the ledger: the invoices and what was paid on them.
        let entry = |kind: &str, reference: &str| {
            history.as_array().unwrap().iter().any(|e| e["kind"]["entry"] == kind && e["reference"] == reference)
        };
        assert!(entry("invoice", "T-0001") && entry("invoice", "T-0002"), "{history}");
        assert!(!entry("invoice", "T-0004"), "not another account's");
        app.finish().await;
    }
}

#[tokio::test]
async fn the_owner_gives_an_account_its_own_plan_or_leaves_it_out() {
    for backend in BACKENDS {
        let Some(app) = spawn_app(backend).await else { continue };
        plan(&app, 0, &[("due_date", 7, "email")]).await;
        // A second plan, given to no segment: calls only.
        let calls: i64 = app::with_db!(&app.db, |pool| {
            async {
                let id: i64 = sqlx::query_scalar(
                    "INSERT INTO reminder_plans (name, customer_kind, min_amount_minor, created_at, updated_at)
                     VALUES ('Appels', 'business', 0, $1, $1) RETURNING id",
                )
                .bind(at(2026, 11, 1, 8, 0))
                .fetch_one(pool)
                .await?;
                sqlx::query(
                    "INSERT INTO reminder_steps (plan_id, position, anchor, offset_days, channel)
                     VALUES ($1, 1, 'due_date', 7, 'call')",
                )
                .bind(id)
                .execute(pool)
                .await?;
                Ok::<i64, sqlx::Error>(id)
            }
            .await
        })
        .unwrap();
        let (one, two) = (app.fx.account1.to_string(), app.fx.account2.to_string());
        let set = |who: &'static str, account: String, plan: String, excluded: bool| {
            let app = &app;
            async move {
                let mut form = vec![("account_id", account.as_str()), ("plan_id", plan.as_str())];
                if excluded {
                    form.push(("excluded", "on"));
                }
                app.login(who).await.post_form("/api/reminders/account_plan", &form).await.status()
            }
        };
        for who in ["c1@test.example", "acc@test.example", "client1@test.example"] {
            assert_eq!(set(who, one.clone(), calls.to_string(), false).await, reqwest::StatusCode::FORBIDDEN, "{who}");
        }
        assert_eq!(
            set("owner@test.example", one.clone(), "999999".into(), false).await,
            reqwest::StatusCode::NOT_FOUND
        );
        assert_eq!(set("owner@test.example", "999999".into(), "".into(), false).await, reqwest::StatusCode::NOT_FOUND);
        assert_eq!(set("owner@test.example", one.clone(), calls.to_string(), false).await, reqwest::StatusCode::OK);
        assert_eq!(set("owner@test.example", two.clone(), "".into(), true).await, reqwest::StatusCode::OK);

        let owner = app.login("owner@test.example").await;
        let s = status(&owner, app.fx.account1).await;
        assert_eq!(
            (s["plan"].as_str(), s["own_plan_id"].as_i64(), &s["excluded"]),
            (Some("Appels"), Some(calls), &json!(false))
        );
        let s = status(&owner, app.fx.account2).await;
        assert_eq!((&s["hold"], &s["excluded"], &s["own_plan_id"]), (&json!("excluded"), &json!(true), &json!(null)));
        // The engine follows the account's own plan: a call, not the segment's e-mail.
        assert_eq!(run_at(&app, at(2026, 11, 20, 10, 0)).await, 1);
        let channel =
            format!("SELECT COUNT(*) FROM reminders WHERE account_id = {} AND channel = 'call'", app.fx.account1);
        assert_eq!(app.count(&channel).await, 1);
        assert_eq!(app.count("SELECT COUNT(*) FROM reminders WHERE channel = 'email'").await, 0);
        assert_eq!(app.count("SELECT COUNT(*) FROM audit_log WHERE action = 'reminder_plan.assigned'").await, 2);
        // Back to the segment's plan.
        assert_eq!(set("owner@test.example", one.clone(), "".into(), false).await, reqwest::StatusCode::OK);
        assert_eq!(status(&owner, app.fx.account1).await["plan"], "Standard");
        app.finish().await;
    }
}

#[tokio::test]
async fn a_step_needing_approval_waits_for_the_owner_or_collector_and_goes_once() {
    for backend in BACKENDS {
        let Some(app) = spawn_app(backend).await else { continue };
        plan(&app, 0, &[("due_date", 7, "email")]).await;
        app.exec("UPDATE reminder_steps SET needs_approval = TRUE").await.unwrap();
        let before = app.count("SELECT COUNT(*) FROM outbox").await;
        assert_eq!(run_at(&app, at(2026, 11, 20, 10, 0)).await, 1);
        assert_eq!(app.count("SELECT COUNT(*) FROM outbox").await, before, "nothing sent before approval");
        let list = |who: &'static str| {
            let app = &app;
            async move { app.login(who).await.post_form("/api/reminders/approvals", &[]).await }
        };
        assert_eq!(list("acc@test.example").await.status(), reqwest::StatusCode::FORBIDDEN);
        assert_eq!(list("client1@test.example").await.status(), reqwest::StatusCode::FORBIDDEN);
        let theirs: serde_json::Value = list("c2@test.example").await.json().await.unwrap();
        assert_eq!(theirs, json!([]));
        let mine: serde_json::Value = list("c1@test.example").await.json().await.unwrap();
        assert_eq!(mine.as_array().unwrap().len(), 1, "{mine}");
        assert_eq!(mine[0]["invoices"], json!(["T-0002"]));
        assert!(mine[0]["body"].as_str().unwrap().contains("T-0002"), "the message as it will go: {mine}");
        let id = mine[0]["id"].as_i64().unwrap().to_string();
        let decide = |who: &'static str, decision: &'static str| {
            let (app, id) = (&app, id.clone());
            async move {
                app.login(who)
                    .await
                    .post_form("/api/reminders/decide", &[("id", id.as_str()), ("decision", decision)])
                    .await
            }
        };
        assert_eq!(decide("c2@test.example", "approve").await.status(), reqwest::StatusCode::NOT_FOUND);
        assert_eq!(decide("acc@test.example", "approve").await.status(), reqwest::StatusCode::FORBIDDEN);
        assert_eq!(decide("c1@test.example", "maybe").await.status(), reqwest::StatusCode::UNPROCESSABLE_ENTITY);
        let res = decide("c1@test.example", "approve").await;
        assert_eq!(res.status(), reqwest::StatusCode::OK);
        let done: serde_json::Value = res.json().await.unwrap();
        assert_eq!(done["value"], "sent");
        assert_eq!(app.count("SELECT COUNT(*) FROM outbox").await, before + 1);
        assert_eq!(decide("owner@test.example", "approve").await.status(), reqwest::StatusCode::CONFLICT, "once");
        assert_eq!(app.count("SELECT COUNT(*) FROM outbox").await, before + 1);
        assert_eq!(app.count("SELECT COUNT(*) FROM audit_log WHERE action = 'reminder.approved'").await, 1);

        // Again, promised meanwhile: approving sets it aside, sends nothing.
        app.exec("UPDATE reminders SET status = 'awaiting_approval', outbox_id = NULL").await.unwrap();
        let day = chrono::NaiveDate::from_ymd_opt(2026, 11, 30).unwrap();
        crate::promises::insert_promise(&app, app.fx.account1, app.fx.inv1_overdue, "active", day, 30_000).await;
        app::ledger::balances::rebuild(&app.db, crate::helpers::today()).await.unwrap();
        let done: serde_json::Value = decide("owner@test.example", "approve").await.json().await.unwrap();
        assert_eq!(done["value"], "cancelled");
        assert_eq!(app.count("SELECT COUNT(*) FROM outbox").await, before + 1);
        app.finish().await;
    }
}

#[tokio::test]
async fn a_task_is_due_on_its_account_s_day_not_the_server_s() {
    // The clock says 20 November, 10:00 UTC: already 21 November, 00:00, in
    // Kiritimati (UTC+14). A call planned for the account's day, the 21st,
    // is on today's list; one for the 22nd is not yet.
    for backend in BACKENDS {
        let Some(app) = spawn_app(backend).await else { continue };
        app.exec("UPDATE accounts SET time_zone = 'Pacific/Kiritimati' WHERE code = 'A0001'").await.unwrap();
        for (day, note) in [("2026-11-21", "today there"), ("2026-11-22", "tomorrow there")] {
            app.exec(&format!(
                "INSERT INTO collection_tasks (account_id, kind, due_on, status, note, created_at)
                 SELECT id, 'call', '{day}', 'open', '{note}', '2026-11-20T10:00:00Z' FROM accounts WHERE code = 'A0001'"
            ))
            .await
            .unwrap();
        }
        let c1 = app.login("c1@test.example").await;
        let list: serde_json::Value = c1.post_form("/api/reminders/todo", &[]).await.json().await.unwrap();
        let notes: Vec<&str> = list.as_array().unwrap().iter().filter_map(|i| i["note"].as_str()).collect();
        assert_eq!(notes, ["today there"], "{list}");
        app.finish().await;
    }
}
