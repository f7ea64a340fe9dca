//! Sign-in, sessions, throttling, CSRF and the single-use links.

use crate::each_backend;
use crate::helpers::PASSWORD;
use app::with_db;
use reqwest::StatusCode;

#[tokio::test]
async fn login_sets_an_httponly_cookie_and_wrong_password_is_refused() {
    each_backend!(|app| {
        let s = app.anonymous();
        let res = s.login("client1@test.example", "wrong password!").await;
        assert_eq!(res.status(), StatusCode::BAD_REQUEST);
        let body = res.text().await.unwrap();
        assert!(body.contains("BadCredentials"), "{body}");
        // Unknown e-mail: same answer, nothing learned.
        let res = s.login("nobody@test.example", "wrong password!").await;
        assert_eq!(res.status(), StatusCode::BAD_REQUEST);
        assert!(res.text().await.unwrap().contains("BadCredentials"));

        let res = s.login("Client1@Test.example ", PASSWORD).await;
        assert_eq!(res.status(), StatusCode::OK);
        let cookie = res.headers().get("set-cookie").unwrap().to_str().unwrap().to_string();
        assert!(cookie.contains("HttpOnly") && cookie.contains("SameSite=Lax"), "{cookie}");
        assert!(!res.text().await.unwrap().contains(PASSWORD));
        assert_eq!(app.count("SELECT COUNT(*) FROM sessions").await, 1);
    });
}

#[tokio::test]
async fn repeated_failures_lock_the_account_for_a_while() {
    each_backend!(|app| {
        let s = app.anonymous();
        for _ in 0..5 {
            let res = s.login("client1@test.example", "not the password").await;
            assert_eq!(res.status(), StatusCode::BAD_REQUEST);
        }
        // Even the right password is refused now, with a clear message.
        let res = s.login("client1@test.example", PASSWORD).await;
        assert_eq!(res.status(), StatusCode::TOO_MANY_REQUESTS);
        assert!(res.text().await.unwrap().contains("TooManyAttempts"));
        // Another account from the same address still works (IP limit is higher).
        let res = s.login("client2@test.example", PASSWORD).await;
        assert_eq!(res.status(), StatusCode::OK);
    });
}

#[tokio::test]
async fn logout_revokes_the_session_at_once() {
    each_backend!(|app| {
        let s = app.login("client1@test.example").await;
        assert_eq!(s.post_form("/api/portal/overview", &[]).await.status(), StatusCode::OK);
        let res = s.client.post(s.url("/logout")).send().await.unwrap();
        assert_eq!(res.status(), StatusCode::SEE_OTHER);
        assert_eq!(app.count("SELECT COUNT(*) FROM sessions WHERE revoked_at IS NOT NULL").await, 1);
        assert_eq!(s.post_form("/api/portal/overview", &[]).await.status(), StatusCode::UNAUTHORIZED);
    });
}

#[tokio::test]
async fn a_stolen_token_stops_working_after_logout() {
    each_backend!(|app| {
        let s = app.anonymous();
        let res = s.login("client1@test.example", PASSWORD).await;
        let set_cookie = res.headers().get("set-cookie").unwrap().to_str().unwrap().to_string();
        let token = set_cookie.split(';').next().unwrap().to_string();
        s.client.post(s.url("/logout")).send().await.unwrap();
        let thief = reqwest::Client::new();
        let res = thief
            .post(s.url("/api/portal/overview"))
            .header("Cookie", &token)
            .header("Origin", &app.address)
            .header("Accept", "application/json")
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    });
}

#[tokio::test]
async fn password_change_signs_out_other_sessions_and_checks_the_current_one() {
    each_backend!(|app| {
        let laptop = app.login("client1@test.example").await;
        let phone = app.login("client1@test.example").await;
        let res = laptop
            .post_form(
                "/api/auth/change_password",
                &[("current", "wrong"), ("password", "new password 123"), ("confirm", "new password 123")],
            )
            .await;
        assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
        assert!(res.text().await.unwrap().contains("WrongCurrentPassword"));
        let res = laptop
            .post_form(
                "/api/auth/change_password",
                &[("current", PASSWORD), ("password", "short"), ("confirm", "short")],
            )
            .await;
        assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
        assert!(res.text().await.unwrap().contains("PasswordTooShort"));
        let res = laptop
            .post_form(
                "/api/auth/change_password",
                &[("current", PASSWORD), ("password", "new password 123"), ("confirm", "new password 123")],
            )
            .await;
        assert_eq!(res.status(), StatusCode::OK);
        assert_eq!(laptop.post_form("/api/portal/overview", &[]).await.status(), StatusCode::OK);
        assert_eq!(phone.post_form("/api/portal/overview", &[]).await.status(), StatusCode::UNAUTHORIZED);
        app.login_with("client1@test.example", "new password 123").await;
    });
}

#[tokio::test]
async fn cross_site_posts_are_refused_before_anything_runs() {
    each_backend!(|app| {
        let evil = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
        let res = evil
            .post(format!("{}/api/auth/login", app.address))
            .header("Origin", "https://evil.example")
            .form(&[("email", "client1@test.example"), ("password", PASSWORD)])
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::FORBIDDEN);
        let res = evil.post(format!("{}/logout", app.address)).send().await.unwrap();
        assert_eq!(res.status(), StatusCode::FORBIDDEN);
        assert_eq!(app.count("SELECT COUNT(*) FROM sessions").await, 0);
    });
}

#[tokio::test]
async fn invitation_link_sets_a_password_once() {
    for backend in crate::helpers::BACKENDS {
        let Some(app) = crate::helpers::spawn_app_with_mail_server(backend).await else { continue };
        let owner = app.login("owner@test.example").await;
        let account = app.fx.account1.to_string();
        let res = owner
            .post_form(
                "/api/back/invite",
                &[
                    ("name", "Nina New"),
                    ("email", "nina@test.example"),
                    ("role", "client"),
                    ("account_id", &account),
                    ("locale", "en"),
                ],
            )
            .await;
        assert_eq!(res.status(), StatusCode::OK, "{}", res.text().await.unwrap());
        // Duplicate e-mail is a clear field error and creates nothing.
        let res = owner
            .post_form(
                "/api/back/invite",
                &[
                    ("name", "Nina Again"),
                    ("email", "NINA@test.example"),
                    ("role", "client"),
                    ("account_id", &account),
                    ("locale", "en"),
                ],
            )
            .await;
        assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
        assert!(res.text().await.unwrap().contains("EmailTaken"));
        assert_eq!(app.count("SELECT COUNT(*) FROM users WHERE email = 'nina@test.example'").await, 1);

        let body: String = with_db!(&app.db, |pool| {
            sqlx::query_scalar("SELECT body_text FROM outbox WHERE to_address = 'nina@test.example'")
                .fetch_one(pool)
                .await
        })
        .unwrap();
        assert!(body.contains("Hello Nina New"), "{body}");
        let token = body.split("/invite/").nth(1).unwrap().split_whitespace().next().unwrap().to_string();

        let anon = app.anonymous();
        let res = anon
            .post_form(
                "/api/auth/complete_token",
                &[("token", &token), ("password", "nina password 1"), ("confirm", "nina password 2")],
            )
            .await;
        assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY, "mismatch must be refused");
        let res = anon
            .post_form(
                "/api/auth/complete_token",
                &[("token", &token), ("password", "nina password 1"), ("confirm", "nina password 1")],
            )
            .await;
        assert_eq!(res.status(), StatusCode::OK);
        let res = anon
            .post_form(
                "/api/auth/complete_token",
                &[("token", &token), ("password", "other password 1"), ("confirm", "other password 1")],
            )
            .await;
        assert_eq!(res.status(), StatusCode::BAD_REQUEST, "a link works once");
        let nina = app.login_with("nina@test.example", "nina password 1").await;
        let res = nina.post_form("/api/portal/overview", &[]).await;
        assert!(res.text().await.unwrap().contains("Alpha Boulangerie SARL"));
        app.finish().await;
    }
}

#[tokio::test]
async fn password_reset_answers_the_same_for_unknown_addresses() {
    each_backend!(|app| {
        let anon = app.anonymous();
        let res = anon.post_form("/api/auth/request_reset", &[("email", "nobody@test.example")]).await;
        assert_eq!(res.status(), StatusCode::OK);
        assert_eq!(app.count("SELECT COUNT(*) FROM outbox").await, 0);
        let res = anon.post_form("/api/auth/request_reset", &[("email", "client2@test.example")]).await;
        assert_eq!(res.status(), StatusCode::OK);
        assert_eq!(app.count("SELECT COUNT(*) FROM outbox WHERE to_address = 'client2@test.example'").await, 1);
        let res = anon.post_form("/api/auth/request_reset", &[("email", "not an email")]).await;
        assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
        assert!(res.text().await.unwrap().contains("InvalidEmail"));
    });
}

#[tokio::test]
async fn purge_removes_only_what_can_no_longer_be_used() {
    each_backend!(|app| {
        let s = app.login("client1@test.example").await;
        app.anonymous().login("client1@test.example", "wrong password!").await;
        let state = app.state();
        // Fresh rows stay: the live session, the recent failure.
        assert_eq!(server::maintenance::purge(&state).await.unwrap(), 0);
        assert_eq!(s.post_form("/api/portal/overview", &[]).await.status(), StatusCode::OK);
        // Rows from long ago go.
        let long_ago = crate::helpers::now() - chrono::Duration::days(90);
        with_db!(&app.db, |pool| {
            sqlx::query("UPDATE auth_attempts SET occurred_at = $1").bind(long_ago).execute(pool).await.unwrap();
            sqlx::query(
                "INSERT INTO sessions (id, user_id, created_at, expires_at, ip, user_agent) VALUES ('old', $1, $2, $2, '', '')",
            )
            .bind(app.fx.client1)
            .bind(long_ago)
            .execute(pool)
            .await
            .map(|_| ())
        })
        .unwrap();
        // Two failure rows (per e-mail and per address) and the old session.
        assert_eq!(server::maintenance::purge(&state).await.unwrap(), 3);
        assert_eq!(app.count("SELECT COUNT(*) FROM sessions").await, 1);
        assert_eq!(s.post_form("/api/portal/overview", &[]).await.status(), StatusCode::OK);
    });
}

#[tokio::test]
async fn parallel_guesses_cannot_slip_under_the_limit() {
    each_backend!(|app| {
        let s = app.anonymous();
        let guesses = (0..12).map(|i| {
            let s = &s;
            async move { s.login("client1@test.example", &format!("guess number {i}")).await.status() }
        });
        let statuses = futures::future::join_all(guesses).await;
        let evaluated = statuses.iter().filter(|s| **s == StatusCode::BAD_REQUEST).count();
        let refused = statuses.iter().filter(|s| **s == StatusCode::TOO_MANY_REQUESTS).count();
        assert!(evaluated <= 5, "{evaluated} passwords were checked");
        assert_eq!(evaluated + refused, 12);
    });
}

#[tokio::test]
async fn reset_requests_are_limited_per_address() {
    each_backend!(|app| {
        let s = app.anonymous();
        for _ in 0..3 {
            let res = s.post_form("/api/auth/request_reset", &[("email", "client2@test.example")]).await;
            assert_eq!(res.status(), StatusCode::OK);
        }
        let res = s.post_form("/api/auth/request_reset", &[("email", "client2@test.example")]).await;
        assert_eq!(res.status(), StatusCode::TOO_MANY_REQUESTS);
        assert_eq!(app.count("SELECT COUNT(*) FROM outbox").await, 3);
    });
}

#[tokio::test]
async fn a_password_change_kills_outstanding_links_and_deactivation_blocks_them() {
    each_backend!(|app| {
        let anon = app.anonymous();
        anon.post_form("/api/auth/request_reset", &[("email", "client1@test.example")]).await;
        let body: String = with_db!(&app.db, |pool| {
            sqlx::query_scalar("SELECT body_text FROM outbox ORDER BY id DESC").fetch_one(pool).await
        })
        .unwrap();
        let token = body.split("/reset/").nth(1).unwrap().split_whitespace().next().unwrap().to_string();
        let s = app.login("client1@test.example").await;
        let res = s
            .post_form(
                "/api/auth/change_password",
                &[("current", PASSWORD), ("password", "changed pass 1"), ("confirm", "changed pass 1")],
            )
            .await;
        assert_eq!(res.status(), StatusCode::OK);
        let res = anon
            .post_form(
                "/api/auth/complete_token",
                &[("token", &token), ("password", "attacker pass 1"), ("confirm", "attacker pass 1")],
            )
            .await;
        assert_eq!(res.status(), StatusCode::BAD_REQUEST, "old link still worked");

        // A deactivated user's fresh link is refused too.
        anon.post_form("/api/auth/request_reset", &[("email", "client2@test.example")]).await;
        let body: String = with_db!(&app.db, |pool| {
            sqlx::query_scalar("SELECT body_text FROM outbox ORDER BY id DESC").fetch_one(pool).await
        })
        .unwrap();
        let token = body.split("/reset/").nth(1).unwrap().split_whitespace().next().unwrap().to_string();
        let owner = app.login("owner@test.example").await;
        let id = app.fx.client2.to_string();
        owner.post_form("/api/back/user_action", &[("user_id", &id), ("action", "deactivate")]).await;
        let res = anon
            .post_form(
                "/api/auth/complete_token",
                &[("token", &token), ("password", "sneaky pass 12"), ("confirm", "sneaky pass 12")],
            )
            .await;
        assert_eq!(res.status(), StatusCode::BAD_REQUEST);
        assert!(res.text().await.unwrap().contains("LinkInvalid"));
    });
}

#[tokio::test]
async fn login_never_redirects_off_site() {
    each_backend!(|app| {
        for next in ["//evil.example", "https://evil.example/x", "/\t/evil.example", "/portal/invoices?filter=all"] {
            let s = app.anonymous();
            let res = s
                .post_form(
                    "/api/auth/login",
                    &[("email", "client1@test.example"), ("password", PASSWORD), ("next", next)],
                )
                .await;
            assert_eq!(res.status(), StatusCode::OK);
            let target = crate::helpers::next_of(res).await;
            let expected = if next.starts_with("/portal") { next } else { "/portal" };
            assert_eq!(target, expected);
        }
    });
}

#[tokio::test]
async fn behind_a_proxy_the_throttle_counts_the_address_the_proxy_saw_not_the_clients_claim() {
    for backend in crate::helpers::BACKENDS {
        let Some(app) = crate::helpers::spawn_app_tweaked(backend, false, |s| s.trusted_proxies = 1).await else {
            continue;
        };
        let s = app.anonymous();
        let attempt = |i: usize, forwarded: String| {
            let s = &s;
            async move {
                s.client
                    .post(s.url("/api/auth/login"))
                    .header("Accept", "application/json")
                    .header("X-Forwarded-For", forwarded)
                    .form(&[("email", format!("nobody{i}@test.example")), ("password", "wrong password".into())])
                    .send()
                    .await
                    .unwrap()
                    .status()
            }
        };
        // Each request claims another address first; the proxy appended the real one.
        for i in 0..20 {
            assert_eq!(attempt(i, format!("192.0.2.{i}, 198.51.100.7")).await, StatusCode::BAD_REQUEST, "{backend:?}");
        }
        assert_eq!(attempt(20, "192.0.2.99, 198.51.100.7".into()).await, StatusCode::TOO_MANY_REQUESTS, "{backend:?}");
        // Another client behind the same proxy is not affected.
        assert_eq!(attempt(21, "198.51.100.8".into()).await, StatusCode::BAD_REQUEST, "{backend:?}");
        assert_eq!(app.count("SELECT COUNT(*) FROM auth_attempts WHERE scope LIKE '%192.0.2.%'").await, 0);
        app.finish().await;
    }
}
