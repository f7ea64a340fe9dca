//! The client's documents kept once rendered (`server::page_cache`): served
//! again only while nothing they show has changed, never to anyone else,
//! each time with a new nonce. The test server verifies every page it
//! serves from memory against a fresh render (`page_cache_verify`), so a
//! kept page that went stale answers 500 in any test of the suite.

use crate::each_backend;
use crate::helpers::{spawn_app_tweaked, Session, TestApp, BACKENDS};
use app::with_db;
use reqwest::StatusCode;
use std::collections::BTreeSet;

const CLIENT1: &str = "client1@test.example";
const CLIENT2: &str = "client2@test.example";
const OWNER: &str = "owner@test.example";

/// A page as a browser asks for it: its status, whether it came from
/// memory (`x-relance-cache`), its body, and the nonce of its policy.
struct Seen {
    status: StatusCode,
    cache: Option<String>,
    body: String,
    nonce: Option<String>,
}

async fn open(s: &Session, path: &str) -> Seen {
    let res = s.client.get(s.url(path)).header("Accept", "text/html").send().await.unwrap();
    let header = |name: &str| res.headers().get(name).and_then(|v| v.to_str().ok()).map(str::to_string);
    let cache = header("x-relance-cache");
    let nonce = header("content-security-policy").and_then(|p| {
        let start = p.find("'nonce-")? + "'nonce-".len();
        let len = p[start..].find('\'')?;
        Some(p[start..start + len].to_string())
    });
    let status = res.status();
    Seen { status, cache, body: res.text().await.unwrap(), nonce }
}

fn is(seen: &Seen, expected: &str, path: &str) {
    assert_eq!(seen.status, StatusCode::OK, "{path}: {}", &seen.body[..seen.body.len().min(300)]);
    assert_eq!(seen.cache.as_deref(), Some(expected), "{path}");
}

async fn promise(s: &Session, invoice: i64) {
    let date = (crate::helpers::today() + chrono::Duration::days(10)).to_string();
    let res = s
        .post_form(
            "/api/promises/create",
            &[("invoices", &invoice.to_string()), ("promised_date", &date), ("amount", ""), ("note", "")],
        )
        .await;
    let status = res.status();
    assert_eq!(status, StatusCode::OK, "promise: {}", res.text().await.unwrap());
}

#[tokio::test]
async fn a_document_is_kept_until_what_it_shows_changes() {
    each_backend!(|app| {
        let c1 = app.login(CLIENT1).await;
        let first = open(&c1, "/portal").await;
        is(&first, "miss", "/portal");
        let again = open(&c1, "/portal").await;
        is(&again, "hit", "/portal");
        // A new nonce each time, in the policy and on the page's scripts.
        let (n1, n2) = (first.nonce.clone().expect("a nonce"), again.nonce.clone().expect("a nonce"));
        assert_ne!(n1, n2);
        assert!(again.body.contains(&format!("nonce=\"{n2}\"")), "the kept page carries the new nonce");
        assert!(!again.body.contains(&n1));
        assert_eq!(again.body.replace(&n2, "N"), first.body.replace(&n1, "N"));

        // Another client's write leaves this page kept; their own page is theirs.
        let c2 = app.login(CLIENT2).await;
        is(&open(&c2, "/portal").await, "miss", "/portal as client 2");
        promise(&c2, app.fx.inv2_open).await;
        is(&open(&c1, "/portal").await, "hit", "/portal after another account's promise");

        // The client's own promise changes the page: rendered again.
        promise(&c1, app.fx.inv1_overdue).await;
        is(&open(&c1, "/portal").await, "miss", "/portal after the promise");
        is(&open(&c1, "/portal").await, "hit", "/portal");

        // A write made outside this server (another instance, a script).
        assert!(!open(&c1, "/portal").await.body.contains("Alpha Renamed"));
        app.exec(&format!("UPDATE accounts SET legal_name = 'Alpha Renamed' WHERE id = {}", app.fx.account1))
            .await
            .unwrap();
        let renamed = open(&c1, "/portal").await;
        is(&renamed, "miss", "/portal after a rename in the database");
        assert!(renamed.body.contains("Alpha Renamed"));

        // A column no document reads (the staff's notes) leaves the page kept.
        app.exec(&format!("UPDATE accounts SET notes = 'call back' WHERE id = {}", app.fx.account1)).await.unwrap();
        is(&open(&c1, "/portal").await, "hit", "/portal after a note");

        // The late-charge rates apply to every account.
        let page = format!("/portal/invoices/{}", app.fx.inv1_overdue);
        is(&open(&c1, &page).await, "miss", &page);
        is(&open(&c1, &page).await, "hit", &page);
        app.exec(
            "INSERT INTO reference_rates (kind, valid_from, percent, source, created_at)
             VALUES ('ecb_mro', '2026-11-01', '9.15', 'test', '2026-11-20T10:00:00Z')",
        )
        .await
        .unwrap();
        is(&open(&c1, &page).await, "miss", "an invoice after a new reference rate");

        // The query is part of what is kept: another filter, another page.
        is(&open(&c1, "/portal/invoices?filter=all").await, "miss", "all invoices");
        is(&open(&c1, "/portal/invoices?filter=overdue").await, "miss", "overdue invoices");
        is(&open(&c1, "/portal/invoices?filter=all").await, "hit", "all invoices");

        // Signed out, the kept pages are out of reach at once.
        let res = c1.client.post(c1.url("/logout")).send().await.unwrap();
        assert_eq!(res.status(), StatusCode::SEE_OTHER);
        let after = open(&c1, "/portal").await;
        assert!(after.status.is_redirection(), "{}", after.status);
        assert!(after.cache.is_none());
    });
}

#[tokio::test]
async fn the_sign_in_page_is_kept_per_language_and_without_a_query() {
    each_backend!(|app| {
        let s = app.anonymous();
        is(&open(&s, "/login").await, "miss", "/login");
        is(&open(&s, "/login").await, "hit", "/login");
        // With a query (anyone could make them up), rendered each time.
        for _ in 0..2 {
            let seen = open(&s, "/login?next=%2Fportal%2Finvoices").await;
            assert_eq!(seen.status, StatusCode::OK);
            assert!(seen.cache.is_none());
            assert!(seen.body.contains("/portal/invoices"));
        }
        let english = s
            .client
            .get(s.url("/login"))
            .header("Accept", "text/html")
            .header("Accept-Language", "en-GB,en;q=0.9")
            .send()
            .await
            .unwrap();
        assert_eq!(english.headers().get("x-relance-cache").unwrap(), "miss");
        assert!(english.text().await.unwrap().contains("lang=\"en\""));
        is(&open(&s, "/login").await, "hit", "/login in French still");
    });
}

#[tokio::test]
async fn staff_failed_renders_and_other_pages_are_never_kept() {
    each_backend!(|app| {
        let owner = app.login(OWNER).await;
        let page = format!("/portal/invoices/{}", app.fx.inv1_open);
        for _ in 0..2 {
            let seen = open(&owner, &page).await;
            assert_eq!(seen.status, StatusCode::OK);
            assert!(seen.cache.is_none(), "staff's view of an invoice is rendered each time");
        }
        let c1 = app.login(CLIENT1).await;
        // Another account's invoice: refused, and the refusal is not kept.
        let theirs = format!("/portal/invoices/{}", app.fx.inv2_open);
        for _ in 0..2 {
            let seen = open(&c1, &theirs).await;
            assert_ne!(seen.cache.as_deref(), Some("hit"));
            assert!(!seen.body.contains("T-0004"), "another account's invoice is never shown");
        }
        // Pages that hydrate are not documents: rendered each time.
        for _ in 0..2 {
            let seen = open(&c1, "/portal/payments").await;
            assert_eq!(seen.status, StatusCode::OK);
            assert!(seen.cache.is_none());
        }
    });
}

#[tokio::test]
async fn within_the_recheck_window_only_others_changes_wait() {
    for backend in BACKENDS {
        // As in production (no verification), with a window no test outlasts.
        let Some(app) = spawn_app_tweaked(backend, false, |s| {
            s.page_cache_verify = false;
            s.session_recheck_ms = 600_000;
        })
        .await
        else {
            continue;
        };
        let c1 = app.login(CLIENT1).await;
        is(&open(&c1, "/portal").await, "miss", "/portal");
        is(&open(&c1, "/portal").await, "hit", "/portal");
        // Staff (or another instance) renames the account: within the
        // window the client's documents still show the page read before.
        app.exec(&format!("UPDATE accounts SET legal_name = 'Alpha Renamed' WHERE id = {}", app.fx.account1))
            .await
            .unwrap();
        let before = open(&c1, "/portal").await;
        is(&before, "hit", "/portal within the window");
        assert!(!before.body.contains("Alpha Renamed"));
        // A write of this browser answered by another instance (which could
        // not forget the session here) carries a later `relance_wrote`.
        let token = session_token(&app).await;
        let other = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
        let get = |wrote: Option<i64>| {
            let mut cookie = format!("relance_session={token}");
            if let Some(ms) = wrote {
                cookie.push_str(&format!("; relance_wrote={ms}"));
            }
            other.get(format!("{}/portal", app.address)).header("Accept", "text/html").header("Cookie", cookie).send()
        };
        let now_ms = || chrono::Utc::now().timestamp_millis();
        assert_eq!(get(None).await.unwrap().headers()["x-relance-cache"], "miss");
        app.exec(&format!("UPDATE accounts SET legal_name = 'Alpha Again' WHERE id = {}", app.fx.account1))
            .await
            .unwrap();
        let stale = get(Some(now_ms() - 60_000)).await.unwrap();
        assert_eq!(stale.headers()["x-relance-cache"], "hit", "a write older than the check changes nothing");
        let fresh = get(Some(now_ms())).await.unwrap();
        assert_eq!(fresh.headers()["x-relance-cache"], "miss");
        assert!(fresh.text().await.unwrap().contains("Alpha Again"));
        app.exec(&format!("UPDATE accounts SET legal_name = 'Alpha Renamed' WHERE id = {}", app.fx.account1))
            .await
            .unwrap();

        // The client's own write: the next document reads the database, and
        // the answer says when it wrote.
        let date = (crate::helpers::today() + chrono::Duration::days(10)).to_string();
        let res = c1
            .post_form(
                "/api/promises/create",
                &[
                    ("invoices", &app.fx.inv1_overdue.to_string()),
                    ("promised_date", &date),
                    ("amount", ""),
                    ("note", ""),
                ],
            )
            .await;
        assert_eq!(res.status(), StatusCode::OK);
        let wrote = res
            .headers()
            .get_all("set-cookie")
            .iter()
            .filter_map(|v| v.to_str().ok())
            .find(|v| v.starts_with("relance_wrote="))
            .expect("a write answers with relance_wrote")
            .to_string();
        assert!(wrote.contains("HttpOnly") && wrote.contains("Path=/"), "{wrote}");
        let after = open(&c1, "/portal").await;
        is(&after, "miss", "/portal after the client's promise");
        assert!(after.body.contains("Alpha Renamed"));
        // Signing out is a request of the session too: refused at once.
        let res = c1.client.post(c1.url("/logout")).send().await.unwrap();
        assert_eq!(res.status(), StatusCode::SEE_OTHER);
        let out = open(&c1, "/portal").await;
        assert!(out.status.is_redirection(), "{}", out.status);
        // A session revoked elsewhere: every request that is not a
        // document's GET reads the session, and is refused at once.
        let c2 = app.login(CLIENT2).await;
        is(&open(&c2, "/portal").await, "miss", "/portal as client 2");
        app.exec("UPDATE sessions SET revoked_at = '2026-11-20T10:00:00Z' WHERE revoked_at IS NULL").await.unwrap();
        assert_eq!(c2.post_form("/api/portal/overview", &[]).await.status(), StatusCode::UNAUTHORIZED);
        app.finish().await;
    }
}

/// A fresh session of client 1, as its cookie's value.
async fn session_token(app: &TestApp) -> String {
    let res = app.anonymous().login(CLIENT1, crate::helpers::PASSWORD).await;
    assert_eq!(res.status(), StatusCode::OK);
    let cookie = res.headers()["set-cookie"].to_str().unwrap().to_string();
    cookie.split(';').next().unwrap().trim_start_matches("relance_session=").to_string()
}

/// The tables of the schema (without sqlx's own).
async fn tables(app: &TestApp) -> BTreeSet<String> {
    let names: Vec<String> = with_db!(&app.db, |pool| {
        let sql = if app.db.backend() == "sqlite" {
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
        } else {
            "SELECT table_name::TEXT FROM information_schema.tables
             WHERE table_schema = 'public' AND table_type = 'BASE TABLE'"
        };
        sqlx::query_scalar(sql).fetch_all(pool).await
    })
    .unwrap();
    names.into_iter().filter(|n| n != "_sqlx_migrations").collect()
}

/// The tables with a trigger that moves a page version.
async fn watched(app: &TestApp) -> BTreeSet<String> {
    let names: Vec<String> = with_db!(&app.db, |pool| {
        let sql = if app.db.backend() == "sqlite" {
            "SELECT tbl_name FROM sqlite_master WHERE type = 'trigger' AND name LIKE '%page\\_%' ESCAPE '\\'"
        } else {
            "SELECT event_object_table::TEXT FROM information_schema.triggers WHERE trigger_name LIKE '%page\\_%'"
        };
        sqlx::query_scalar(sql).fetch_all(pool).await
    })
    .unwrap();
    names.into_iter().collect()
}

#[tokio::test]
async fn every_table_is_watched_or_said_not_to_be_shown() {
    for backend in BACKENDS {
        let Some(app) = crate::helpers::spawn_app(backend).await else { continue };
        let listed: BTreeSet<String> = server::page_cache::PAGE_SOURCES.iter().map(|(t, ..)| t.to_string()).collect();
        assert_eq!(listed.len(), server::page_cache::PAGE_SOURCES.len(), "a table listed twice");
        let schema = tables(&app).await;
        assert_eq!(
            listed,
            schema,
            "{}: page_cache::PAGE_SOURCES must name every table (missing: {:?}, gone: {:?})",
            app.db.backend(),
            schema.difference(&listed).collect::<Vec<_>>(),
            listed.difference(&schema).collect::<Vec<_>>()
        );
        let expected: BTreeSet<String> = server::page_cache::PAGE_SOURCES
            .iter()
            .filter(|(_, watched, _)| *watched)
            .map(|(t, ..)| t.to_string())
            .collect();
        assert_eq!(watched(&app).await, expected, "{}: the tables with page-version triggers", app.db.backend());
        app.finish().await;
    }
}
