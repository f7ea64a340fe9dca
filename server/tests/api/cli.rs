//! The `create-user` command's logic, on both backends.

use crate::helpers::{spawn_app, BACKENDS};
use app::db::Clock;
use app::domain::{EmailAddress, Locale, Role};
use reqwest::StatusCode;
use server::users::{create_user, NewUser};

fn new_user(email: &str, role: Role, account: Option<&str>) -> NewUser {
    NewUser {
        email: EmailAddress::parse(email).unwrap(),
        name: "Created User".into(),
        role,
        account_code: account.map(str::to_string),
        locale: Some(Locale::En),
    }
}

#[tokio::test]
async fn create_user_makes_working_logins_and_refuses_bad_input() {
    for backend in BACKENDS {
        let Some(app) = spawn_app(backend).await else { continue };
        let clock = Clock::Fixed(crate::helpers::now());
        create_user(&app.db, clock, new_user("boss@test.example", Role::Owner, None), "a long password").await.unwrap();
        create_user(&app.db, clock, new_user("buyer@test.example", Role::Client, Some("A0002")), "a long password")
            .await
            .unwrap();
        let s = app.login_with("buyer@test.example", "a long password").await;
        let res = s.post_form("/api/portal/overview", &[]).await;
        assert_eq!(res.status(), StatusCode::OK);
        assert!(res.text().await.unwrap().contains("Bravo Shipping Ltd"));

        let before = app.count("SELECT COUNT(*) FROM users").await;
        for (user, password) in [
            (new_user("x1@test.example", Role::Client, None), "a long password"),
            (new_user("x2@test.example", Role::Client, Some("NOPE")), "a long password"),
            (new_user("x3@test.example", Role::Owner, Some("A0001")), "a long password"),
            (new_user("x4@test.example", Role::Owner, None), "short"),
            (new_user("boss@test.example", Role::Owner, None), "a long password"),
        ] {
            assert!(create_user(&app.db, clock, user, password).await.is_err());
        }
        assert_eq!(app.count("SELECT COUNT(*) FROM users").await, before);
        app.finish().await;
    }
}

#[tokio::test]
async fn verify_ledger_exits_non_zero_and_names_the_rows_that_differ() {
    for backend in BACKENDS {
        let Some(app) = spawn_app(backend).await else { continue };
        let run = || {
            std::process::Command::new(env!("CARGO_BIN_EXE_relance"))
                .arg("verify-ledger")
                .env("DATABASE_URL", app.database_url())
                .env("RELANCE_DATA_DIR", std::env::temp_dir())
                .env("RUST_LOG", "error")
                .output()
                .expect("run relance verify-ledger")
        };
        let clean = run();
        let out = String::from_utf8_lossy(&clean.stdout).to_string();
        assert!(clean.status.success(), "{backend:?}: {out}{}", String::from_utf8_lossy(&clean.stderr));
        assert!(out.contains("0 difference(s)"), "{out}");

        let inv = app.fx.inv1_open;
        let set = |delta: i64| format!("UPDATE invoices SET balance_minor = balance_minor + {delta} WHERE id = {inv}");
        app::with_db!(&app.db, |pool| sqlx::query(&set(5)).execute(pool).await.map(|r| r.rows_affected())).unwrap();
        let dirty = run();
        let out = String::from_utf8_lossy(&dirty.stdout).to_string();
        assert_eq!(dirty.status.code(), Some(1), "{backend:?}: {out}");
        assert!(out.contains(&format!("invoice {inv} (T-0001): stored 120005, from the entries 120000")), "{out}");
        app::with_db!(&app.db, |pool| sqlx::query(&set(-5)).execute(pool).await.map(|r| r.rows_affected())).unwrap();
        app.finish().await;
    }
}
