//! When reminders go, on both backends: inside the merchant's send window
//! in each account's time zone (weekends and public holidays skipped), as
//! the owner sets it, and the 30-day calendar of what will go, computed as
//! the engine then sends it.

use crate::helpers::{spawn_app, BACKENDS};
use crate::reminders::{at, plan, run_at};
use serde_json::json;

#[tokio::test]
async fn the_send_window_is_the_account_s_and_skips_weekends_and_holidays() {
    for backend in BACKENDS {
        let Some(app) = spawn_app(backend).await else { continue };
        plan(&app, 0, &[("due_date", 7, "email")]).await;
        let account = app.fx.account1;
        // 17:30 UTC is 18:30 in Paris: closed.
        assert_eq!(run_at(&app, at(2026, 11, 20, 17, 30)).await, 0);
        // In London it is 17:30: open.
        app.exec(&format!("UPDATE accounts SET time_zone = 'Europe/London' WHERE id = {account}")).await.unwrap();
        assert_eq!(run_at(&app, at(2026, 11, 20, 17, 30)).await, 1);

        // Account 2's T-0004 falls due on 15 December; ten days after is
        // Christmas, a Friday (account 1 left out from here).
        app.exec(&format!("UPDATE accounts SET reminders_excluded = TRUE WHERE id = {account}")).await.unwrap();
        app.exec("UPDATE reminder_steps SET offset_days = 10").await.unwrap();
        assert_eq!(run_at(&app, at(2026, 12, 24, 10, 0)).await, 0, "not due yet");
        // Christmas, then the weekend: closed; Monday 28th: it goes.
        for day in [25, 26, 27] {
            assert_eq!(run_at(&app, at(2026, 12, day, 10, 0)).await, 0, "closed on the {day}th");
        }
        assert_eq!(run_at(&app, at(2026, 12, 28, 10, 0)).await, 1);
        // Whit Monday 2027 (17 May, Easter-based) is closed too.
        assert!(app::domain::calendar::is_holiday(
            app::domain::calendar::HolidayCalendar::France,
            chrono::NaiveDate::from_ymd_opt(2027, 5, 17).unwrap()
        ));
        app.finish().await;
    }
}

#[tokio::test]
async fn the_calendar_shows_what_will_go_in_the_next_30_days_as_the_engine_sends_it() {
    for backend in BACKENDS {
        let Some(app) = spawn_app(backend).await else { continue };
        plan(&app, 0, &[("due_date", 7, "email"), ("previous_step", 10, "call")]).await;
        let account = app.fx.account1;
        let calendar = |who: &'static str, account: Option<i64>| {
            let app = &app;
            async move {
                let form: Vec<(&str, String)> = account.map(|a| ("account_id", a.to_string())).into_iter().collect();
                let form: Vec<(&str, &str)> = form.iter().map(|(k, v)| (*k, v.as_str())).collect();
                app.login(who).await.post_form("/api/reminders/calendar", &form).await
            }
        };
        let days = |list: &serde_json::Value| -> Vec<(String, String, String)> {
            list.as_array()
                .unwrap_or_else(|| panic!("{list}"))
                .iter()
                .map(|p| {
                    let invoices =
                        p["invoices"].as_array().unwrap().iter().map(|n| n.as_str().unwrap()).collect::<Vec<_>>();
                    (p["day"].as_str().unwrap().into(), p["channel"].as_str().unwrap().into(), invoices.join(","))
                })
                .collect()
        };
        let owned = |a: &str, b: &str, c: &str| (a.to_string(), b.to_string(), c.to_string());
        // Friday 20 November: T-0002 (due 21 October) is past both steps'
        // days, so the latest, the call, goes today; T-0001 (due
        // 10 December) gets its e-mail on 17 December; its call (27th) is
        // beyond 30 days.
        let expected = vec![owned("2026-11-20", "call", "T-0002"), owned("2026-12-17", "email", "T-0001")];
        let mine: serde_json::Value = calendar("c1@test.example", Some(account)).await.json().await.unwrap();
        assert_eq!(days(&mine), expected, "{mine}");
        let all: serde_json::Value = calendar("owner@test.example", None).await.json().await.unwrap();
        assert_eq!(days(&all), expected, "account 2's first step (22 December) is beyond 30 days: {all}");
        assert_eq!(all[0]["amount"]["minor"], 30_000);
        let theirs: serde_json::Value = calendar("c2@test.example", None).await.json().await.unwrap();
        assert_eq!(theirs, serde_json::json!([]), "c2's portfolio plans nothing");
        assert_eq!(calendar("c2@test.example", Some(account)).await.status(), reqwest::StatusCode::NOT_FOUND);
        assert_eq!(calendar("client1@test.example", Some(account)).await.status(), reqwest::StatusCode::FORBIDDEN);

        // Paused until Monday 30 November, the call waits for Tuesday.
        let c1 = app.login("c1@test.example").await;
        let form = [("account_id", account.to_string()), ("until", "2026-11-30".into()), ("reason", "Vacances".into())];
        let form: Vec<(&str, &str)> = form.iter().map(|(k, v)| (*k, v.as_str())).collect();
        assert_eq!(c1.post_form("/api/reminders/pause", &form).await.status(), reqwest::StatusCode::OK);
        let paused: serde_json::Value = calendar("c1@test.example", Some(account)).await.json().await.unwrap();
        assert_eq!(days(&paused), [owned("2026-12-01", "call", "T-0002"), owned("2026-12-17", "email", "T-0001")]);
        let resume = [("account_id", account.to_string())];
        let resume: Vec<(&str, &str)> = resume.iter().map(|(k, v)| (*k, v.as_str())).collect();
        assert_eq!(c1.post_form("/api/reminders/pause", &resume).await.status(), reqwest::StatusCode::OK);

        // The engine does what the calendar said; the call is then behind.
        assert_eq!(run_at(&app, at(2026, 11, 20, 10, 0)).await, 1);
        assert_eq!(app.count("SELECT COUNT(*) FROM reminders WHERE channel = 'call'").await, 1);
        let after: serde_json::Value = calendar("c1@test.example", Some(account)).await.json().await.unwrap();
        assert_eq!(days(&after), [owned("2026-12-17", "email", "T-0001")]);
        app.finish().await;
    }
}

#[tokio::test]
async fn the_owner_sets_the_send_window_and_the_engine_follows_it() {
    for backend in BACKENDS {
        let Some(app) = spawn_app(backend).await else { continue };
        plan(&app, 0, &[("due_date", 7, "email")]).await;
        // Saturday 21 November, 23:00 in Paris: outside the default window.
        assert_eq!(run_at(&app, at(2026, 11, 21, 22, 0)).await, 0);

        let every_day: Vec<(String, String)> = (0..7).map(|i| (format!("form[days][{i}]"), i.to_string())).collect();
        let form = |start: &str, end: &str, calendar: &str| {
            let mut f = every_day.clone();
            f.extend([
                ("form[start]".to_string(), start.to_string()),
                ("form[end]".to_string(), end.to_string()),
                ("form[calendar]".to_string(), calendar.to_string()),
            ]);
            f
        };
        let post = |s: crate::helpers::Session, f: Vec<(String, String)>| async move {
            let pairs: Vec<(&str, &str)> = f.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
            s.post_form("/api/reminders/save_window", &pairs).await
        };
        let c1 = app.login("c1@test.example").await;
        assert_eq!(post(c1.clone(), form("00:00", "23:59", "none")).await.status(), 403);
        let owner = app.login("owner@test.example").await;
        let res = post(owner.clone(), form("18:00", "09:00", "none")).await;
        assert_eq!(res.status(), 422);
        assert!(res.text().await.unwrap().contains("form.end"));
        assert_eq!(app.count("SELECT COUNT(*) FROM reminder_settings").await, 0);

        assert_eq!(post(owner.clone(), form("00:00", "23:59", "none")).await.status(), 200);
        let window: serde_json::Value = c1.post_form("/api/reminders/window", &[]).await.json().await.unwrap();
        assert_eq!(window["days"], json!([true, true, true, true, true, true, true]));
        assert_eq!((window["start"].as_str(), window["end"].as_str()), (Some("00:00"), Some("23:59")));
        assert_eq!((window["calendar"].as_str(), window["can_edit"].as_bool()), (Some("none"), Some(false)));
        assert_eq!(run_at(&app, at(2026, 11, 21, 22, 0)).await, 1, "the weekend evening is now open");
        assert_eq!(app.count("SELECT COUNT(*) FROM audit_log WHERE action = 'reminder_settings.window'").await, 1);
        app.finish().await;
    }
}
