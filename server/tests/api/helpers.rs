//! `spawn_app` starts the real application (same `Application::build` as
//! `main`) on port 0 with a small, known fixture, and gives one helper per
//! action. PostgreSQL tests use a uniquely named database each.

use app::auth::ssr::hash_password_blocking;
use app::db::{Clock, Db};
use app::with_db;
use chrono::{DateTime, Duration, NaiveDate, TimeZone, Utc};
use reqwest::StatusCode;
use server::settings::Settings;
use server::startup::Application;
use std::sync::OnceLock;

pub const PASSWORD: &str = "correct horse battery";

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

pub const BACKENDS: [Backend; 2] = [Backend::Sqlite, Backend::Postgres];

/// "Today" for every test: fixed so that overdue figures are exact.
pub fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 20, 10, 0, 0).unwrap()
}

pub fn today() -> NaiveDate {
    now().date_naive()
}

/// Ids of the fixture rows.
#[derive(Clone, Debug, Default)]
pub struct Fixture {
    pub owner: i64,
    pub collector1: i64,
    pub collector2: i64,
    pub accountant: i64,
    pub client1: i64,
    pub client2: i64,
    pub account1: i64,
    pub account2: i64,
    pub account3: i64,
    /// account1: open (not due), overdue, paid.
    pub inv1_open: i64,
    pub inv1_overdue: i64,
    pub inv1_paid: i64,
    /// account2: open.
    pub inv2_open: i64,
    /// account2: a declined card payment (no ledger effect).
    pub pay2: i64,
    /// account2: a promise awaiting approval on T-0004. Not in the fixture:
    /// set by the tests that insert it (the authorization matrix).
    pub promise2: i64,
    /// account2: a dispute in progress on T-0004 with one message, an
    /// attachment of that message and a credit note. Not in the fixture
    /// either: set by the authorization matrix, which inserts them.
    pub dispute2: i64,
    pub attachment2: i64,
    pub credit_note2: i64,
    /// account2: a succeeded payment, a saved card and a SetupIntent of its
    /// own gateway customer. Set by the authorization matrix.
    pub paid2: i64,
    pub method2: i64,
    pub setup2: String,
    pub link2: i64,
    /// account3 (no collector): an open invoice, U-0001. Set by the
    /// authorization matrix.
    pub inv3: i64,
    /// account2: two drafts. Set by the authorization matrix.
    pub draft2: i64,
    pub draft2b: i64,
    /// account2: a recurring template (made by the matrix's rows).
    pub recurring2: i64,
    /// account2: a reminder e-mail that went out. Set by the matrix.
    pub reminder2: i64,
}

pub struct TestApp {
    pub address: String,
    database_url: String,
    pub db: Db,
    state: app::state::AppState,
    pub fx: Fixture,
    pg_database: Option<String>,
    _dir: tempfile::TempDir,
}

#[derive(Clone)]
pub struct Session {
    pub client: reqwest::Client,
    pub address: String,
}

fn pg_admin_url() -> String {
    std::env::var("RELANCE_TEST_DATABASE_URL").unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".into())
}

fn password_hash() -> &'static str {
    static HASH: OnceLock<String> = OnceLock::new();
    HASH.get_or_init(|| hash_password_blocking(PASSWORD).expect("hash"))
}

/// Creates a fresh PostgreSQL database, or `None` (with a loud message)
/// when no server is reachable outside CI. In CI a missing server fails.
async fn fresh_pg_database() -> Option<(String, String)> {
    let admin = pg_admin_url();
    let pool = match sqlx::PgPool::connect(&admin).await {
        Ok(p) => p,
        Err(e) => {
            if std::env::var("CI").is_ok() {
                panic!("PostgreSQL is required in CI but unreachable at {admin}: {e}");
            }
            eprintln!("\n!!! SKIPPING PostgreSQL test: no server at {admin} ({e}) !!!\n");
            return None;
        }
    };
    let name = format!("relance_test_{}", &app::auth::ssr::random_token()[..16]);
    sqlx::query(&format!("CREATE DATABASE {name}")).execute(&pool).await.expect("create database");
    pool.close().await;
    let base = admin.rsplit_once('/').map(|(b, _)| b.to_string()).unwrap_or(admin);
    Some((format!("{base}/{name}"), name))
}

pub async fn spawn_app(backend: Backend) -> Option<TestApp> {
    spawn_app_with(backend, false).await
}

/// `demo = true` seeds the full demo data set instead of the small fixture.
pub async fn spawn_app_with(backend: Backend, demo: bool) -> Option<TestApp> {
    spawn_app_configured(backend, demo, None).await
}

/// The app in Stripe mode, its API calls going to `api_base` (a
/// `mock_stripe::MockStripe`), with the mock's keys and webhook secret.
pub async fn spawn_app_stripe(backend: Backend, api_base: &str) -> Option<TestApp> {
    let stripe = server::settings::StripeSettings {
        secret_key: server::settings::Secret::new(crate::mock_stripe::SECRET.into()),
        publishable_key: crate::mock_stripe::PUBLISHABLE_KEY.into(),
        webhook_secret: server::settings::Secret::new(crate::mock_stripe::WEBHOOK_SECRET.into()),
        api_base: Some(api_base.to_string()),
    };
    spawn_app_configured(backend, false, Some(stripe)).await
}

async fn spawn_app_configured(
    backend: Backend,
    demo: bool,
    stripe: Option<server::settings::StripeSettings>,
) -> Option<TestApp> {
    spawn_app_tweaked(backend, demo, move |s| s.stripe = stripe).await
}

/// The fixture app with an SMTP server configured that is never reached
/// during the test (its sender waits an hour): messages wait in the outbox
/// with their links, as they do until delivered.
pub async fn spawn_app_with_mail_server(backend: Backend) -> Option<TestApp> {
    spawn_app_tweaked(backend, false, |s| {
        s.smtp = Some(server::settings::SmtpSettings {
            host: "127.0.0.1".into(),
            port: 9,
            username: None,
            password: None,
            from: "Relance <no-reply@test.example>".into(),
            security: "none".into(),
        });
        s.mail_poll_seconds = 3600;
    })
    .await
}

/// The fixture app with its settings changed first (a proxy in front, a
/// small pool…).
pub async fn spawn_app_tweaked(backend: Backend, demo: bool, tweak: impl FnOnce(&mut Settings)) -> Option<TestApp> {
    if std::env::var("RELANCE_TEST_LOG").is_ok() {
        server::startup::init_tracing(false);
    }
    let dir = tempfile::tempdir().expect("tempdir");
    let (database_url, pg_database) = match backend {
        Backend::Sqlite => (format!("sqlite://{}", dir.path().join("test.db").display()), None),
        Backend::Postgres => {
            let (url, name) = fresh_pg_database().await?;
            (url, Some(name))
        }
    };
    let mut settings = test_settings(dir.path(), database_url.clone(), demo);
    tweak(&mut settings);
    let application = Application::build(settings, Clock::Fixed(now())).await.expect("build app");
    let address = format!("http://127.0.0.1:{}", application.port());
    let db = application.state.db.clone();
    let state = application.state.clone();
    tokio::spawn(application.run_until_stopped());
    let fx = if demo { Fixture::default() } else { insert_fixture(&db).await.expect("fixture") };
    // The fixture writes entries directly: the stored balances follow.
    app::ledger::balances::rebuild(&db, today()).await.expect("rebuild balances");
    Some(TestApp { address, database_url, db, state, fx, pg_database, _dir: dir })
}

/// The settings every test app starts from (a fresh data directory).
pub fn test_settings(dir: &std::path::Path, database_url: String, demo: bool) -> Settings {
    Settings {
        db_pool_size: None,
        database_url,
        data_dir: dir.to_path_buf(),
        bind: "127.0.0.1:0".into(),
        site_root: dir.join("site").display().to_string(),
        public_url: "http://127.0.0.1".into(),
        jwt_secret: Some(server::settings::Secret::new("test-secret-test-secret-test-secret-0123".into())),
        session_ttl_hours: 12,
        cookie_secure: false,
        trusted_proxies: 0,
        seed_demo: Some(demo),
        smtp: None,
        mail_poll_seconds: 1,
        json_logs: false,
        metrics_token: None,
        stripe: None,
        sms: None,
        // Tests deliver texts themselves (`server::sms::deliver_due`).
        sms_poll_seconds: 0,
        payments_sandbox: None,
        // Tests drive the payments job themselves (`app::payments::jobs`).
        payments_poll_seconds: 0,
        // Every page served from memory is checked against a fresh render.
        page_cache_mb: 8,
        page_cache_verify: true,
        // Read on every request: a test's write is seen at once
        // (page_cache.rs tests the window).
        session_recheck_ms: 0,
    }
}

impl TestApp {
    /// Checks the ledger (every stored balance against the entries, every
    /// payment, refund and credit note posted as recorded), then drops the
    /// PostgreSQL database of this test.
    pub async fn finish(self) {
        self.verify_ledger().await;
        // The server keeps running in the background of the test process; a
        // connection it still holds must not hang the suite.
        let _ = tokio::time::timeout(std::time::Duration::from_secs(5), self.db.close()).await;
        if let Some(name) = &self.pg_database {
            if let Ok(pool) = sqlx::PgPool::connect(&pg_admin_url()).await {
                let _ = sqlx::query(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)")).execute(&pool).await;
            }
        }
    }

    /// `relance verify-ledger` on this test's database: panics naming each
    /// difference.
    pub async fn verify_ledger(&self) {
        let report = app::ledger::verify::run(&self.db, today()).await.expect("verify-ledger ran");
        assert!(report.is_clean(), "verify-ledger found differences:\n{}", report.problems.join("\n"));
    }

    /// The database this app runs on (for the `relance` command).
    pub fn database_url(&self) -> &str {
        &self.database_url
    }

    /// The server's own state, for driving background jobs directly.
    pub fn state(&self) -> app::state::AppState {
        self.state.clone()
    }

    pub fn anonymous(&self) -> Session {
        Session { client: client(&self.address), address: self.address.clone() }
    }

    /// Signs in through the real login server function.
    pub async fn login(&self, email: &str) -> Session {
        self.login_with(email, PASSWORD).await
    }

    pub async fn login_with(&self, email: &str, password: &str) -> Session {
        let s = self.anonymous();
        let res = s.login(email, password).await;
        assert_eq!(res.status(), StatusCode::OK, "login as {email} failed: {}", res.text().await.unwrap_or_default());
        s
    }

    pub async fn count(&self, sql: &str) -> i64 {
        with_db!(&self.db, |pool| sqlx::query_scalar::<_, i64>(sql).fetch_one(pool).await).expect(sql)
    }

    /// Runs one statement straight on the database; returns the rows it
    /// changed (or the database's refusal).
    pub async fn exec(&self, sql: &str) -> Result<u64, sqlx::Error> {
        with_db!(&self.db, |pool| sqlx::query(sql).execute(pool).await.map(|r| r.rows_affected()))
    }
}

pub fn client(address: &str) -> reqwest::Client {
    let mut headers = reqwest::header::HeaderMap::new();
    headers.insert("Origin", address.parse().unwrap());
    reqwest::Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .default_headers(headers)
        // A stuck request fails the test (and names its URL) instead of hanging CI.
        .timeout(std::time::Duration::from_secs(30))
        .build()
        .unwrap()
}

impl Session {
    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.address, path)
    }

    pub async fn login(&self, email: &str, password: &str) -> reqwest::Response {
        self.post_form("/api/auth/login", &[("email", email), ("password", password)]).await
    }

    /// Calls a server function the way the wasm client does (form body).
    pub async fn post_form(&self, path: &str, form: &[(&str, &str)]) -> reqwest::Response {
        self.client.post(self.url(path)).header("Accept", "application/json").form(form).send().await.unwrap()
    }

    /// Calls a JSON-input server function.
    pub async fn post_json(&self, path: &str, body: serde_json::Value) -> reqwest::Response {
        self.client.post(self.url(path)).header("Accept", "application/json").json(&body).send().await.unwrap()
    }

    /// Calls a multipart server function the way a browser form does: text
    /// fields, then files as (field, file name, content).
    pub async fn post_multipart(
        &self,
        path: &str,
        fields: &[(&str, &str)],
        files: &[(&str, &str, &[u8])],
    ) -> reqwest::Response {
        self.client
            .post(self.url(path))
            .header("Accept", "application/json")
            .header("Content-Type", format!("multipart/form-data; boundary={BOUNDARY}"))
            .body(multipart_body(fields, files))
            .send()
            .await
            .unwrap_or_else(|e| panic!("POST {path}: {e}"))
    }

    /// Posts a form the way a browser without JavaScript does, from the
    /// page `from`: the answer is a redirect (not followed).
    pub async fn post_plain_form(&self, path: &str, from: &str, form: &[(&str, &str)]) -> reqwest::Response {
        self.client
            .post(self.url(path))
            .header("Accept", "text/html,application/xhtml+xml")
            .header("Referer", self.url(from))
            .form(form)
            .send()
            .await
            .unwrap_or_else(|e| panic!("POST {path}: {e}"))
    }

    /// A multipart form posted without JavaScript, from the page `from`.
    pub async fn post_plain_multipart(
        &self,
        path: &str,
        from: &str,
        fields: &[(&str, &str)],
        files: &[(&str, &str, &[u8])],
    ) -> reqwest::Response {
        self.client
            .post(self.url(path))
            .header("Accept", "text/html,application/xhtml+xml")
            .header("Referer", self.url(from))
            .header("Content-Type", format!("multipart/form-data; boundary={BOUNDARY}"))
            .body(multipart_body(fields, files))
            .send()
            .await
            .unwrap_or_else(|e| panic!("POST {path}: {e}"))
    }

    pub async fn get(&self, path: &str) -> reqwest::Response {
        self.client.get(self.url(path)).send().await.unwrap()
    }

    pub async fn get_html(&self, path: &str) -> (StatusCode, String) {
        let res = self
            .client
            .get(self.url(path))
            .header("Accept", "text/html")
            .send()
            .await
            .unwrap_or_else(|e| panic!("GET {path}: {e}"));
        let status = res.status();
        (status, res.text().await.unwrap())
    }
}

/// The boundary of the multipart bodies the tests build by hand (reqwest is
/// built without its multipart feature). It appears in no test content.
pub const BOUNDARY: &str = "relance-test-boundary-9c41e7d2";

/// A `multipart/form-data` body: text fields, then files, each file with the
/// content type a browser would claim from its name (never trusted by the
/// server, which reads the content).
pub fn multipart_body(fields: &[(&str, &str)], files: &[(&str, &str, &[u8])]) -> Vec<u8> {
    let mut body = Vec::new();
    for (name, value) in fields {
        let head = format!("--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n");
        body.extend_from_slice(head.as_bytes());
        body.extend_from_slice(value.as_bytes());
        body.extend_from_slice(b"\r\n");
    }
    for (name, file_name, content) in files {
        let claimed = match file_name.rsplit_once('.').map(|(_, ext)| ext.to_ascii_lowercase()).as_deref() {
            Some("pdf") => "application/pdf",
            Some("png") => "image/png",
            Some("jpg" | "jpeg") => "image/jpeg",
            _ => "application/octet-stream",
        };
        let disposition = format!("form-data; name=\"{name}\"; filename=\"{file_name}\"");
        let head = format!("--{BOUNDARY}\r\nContent-Disposition: {disposition}\r\nContent-Type: {claimed}\r\n\r\n");
        body.extend_from_slice(head.as_bytes());
        body.extend_from_slice(content);
        body.extend_from_slice(b"\r\n");
    }
    body.extend_from_slice(format!("--{BOUNDARY}--\r\n").as_bytes());
    body
}

async fn insert_fixture(db: &Db) -> Result<Fixture, sqlx::Error> {
    let now = now();
    let today = today();
    let hash = password_hash().to_string();
    with_db!(db, |pool| {
        let mut tx = pool.begin().await?;
        sqlx::query(
            "INSERT INTO merchant (id, company_name, legal_id, address, email, phone, default_currency, default_locale, payment_terms_days, updated_at)
             VALUES (1, 'Test Merchant SAS', 'SIRET 1', '1 rue du Test', 'm@example.com', '', 'EUR', 'fr', 30, $1)",
        )
        .bind(now)
        .execute(&mut *tx)
        .await?;
        let mut fx = Fixture::default();
        let mut ins_user = Vec::new();
        for (email, name, role) in [
            ("owner@test.example", "Olivia Owner", "owner"),
            ("c1@test.example", "Colette Un", "collector"),
            ("c2@test.example", "Carl Two", "collector"),
            ("acc@test.example", "Anna Accountant", "accountant"),
        ] {
            let id: i64 = sqlx::query_scalar(
                "INSERT INTO users (email, name, password_hash, role, active, created_at) VALUES ($1, $2, $3, $4, TRUE, $5) RETURNING id",
            )
            .bind(email)
            .bind(name)
            .bind(&hash)
            .bind(role)
            .bind(now)
            .fetch_one(&mut *tx)
            .await?;
            ins_user.push(id);
        }
        fx.owner = ins_user[0];
        fx.collector1 = ins_user[1];
        fx.collector2 = ins_user[2];
        fx.accountant = ins_user[3];
        let mut accounts = Vec::new();
        for (code, name, collector) in [
            ("A0001", "Alpha Boulangerie SARL", Some(fx.collector1)),
            ("A0002", "Bravo Shipping Ltd", Some(fx.collector2)),
            ("A0003", "Charlie Unassigned SA", None),
        ] {
            let id: i64 = sqlx::query_scalar(
                "INSERT INTO accounts (code, legal_name, billing_email, language, segment, collector_id, payment_terms_days, credit_limit_minor, currency, created_at, search_text)
                 VALUES ($1, $2, 'billing@example.com', 'fr', 'standard', $3, 30, 1000000, 'EUR', $4, $5) RETURNING id",
            )
            .bind(code)
            .bind(name)
            .bind(collector)
            .bind(now)
            .bind(app::domain::search_key(code, name, "billing@example.com"))
            .fetch_one(&mut *tx)
            .await?;
            accounts.push(id);
        }
        fx.account1 = accounts[0];
        fx.account2 = accounts[1];
        fx.account3 = accounts[2];
        for (email, name, account) in [
            ("client1@test.example", "Clara Client", fx.account1),
            ("client2@test.example", "Chris Customer", fx.account2),
        ] {
            let id: i64 = sqlx::query_scalar(
                "INSERT INTO users (email, name, password_hash, role, account_id, active, created_at) VALUES ($1, $2, $3, 'client', $4, TRUE, $5) RETURNING id",
            )
            .bind(email)
            .bind(name)
            .bind(&hash)
            .bind(account)
            .bind(now)
            .fetch_one(&mut *tx)
            .await?;
            if account == fx.account1 {
                fx.client1 = id
            } else {
                fx.client2 = id
            }
        }
        // (account, number, issue offset days, due offset days, total, paid)
        let invoices = [
            (fx.account1, "T-0001", -10, 20, 120_000_i64, 0_i64),
            (fx.account1, "T-0002", -60, -30, 50_000, 20_000),
            (fx.account1, "T-0003", -90, -60, 30_000, 30_000),
            (fx.account2, "T-0004", -5, 25, 99_900, 0),
        ];
        let mut ids = Vec::new();
        for (account, number, issue, due, total, paid) in invoices {
            let issue_date = today + Duration::days(issue);
            let due_date = today + Duration::days(due);
            let (net, tax) = (total * 100 / 120, total - total * 100 / 120);
            let id: i64 = sqlx::query_scalar(
                "INSERT INTO invoices (account_id, number, issue_date, due_date, currency, subtotal_minor, tax_minor, total_minor, status, created_at)
                 VALUES ($1, $2, $3, $4, 'EUR', $5, $6, $7, 'issued', $8) RETURNING id",
            )
            .bind(account)
            .bind(number)
            .bind(issue_date)
            .bind(due_date)
            .bind(net)
            .bind(tax)
            .bind(total)
            .bind(now)
            .fetch_one(&mut *tx)
            .await?;
            sqlx::query(
                "INSERT INTO invoice_lines (invoice_id, position, description, quantity_milli, unit_price_minor, tax_rate_bp, net_minor, tax_minor)
                 VALUES ($1, 1, 'Prestation (test)', 1000, $2, 2000, $2, $3)",
            )
            .bind(id)
            .bind(net)
            .bind(tax)
            .execute(&mut *tx)
            .await?;
            sqlx::query(
                "INSERT INTO ledger_entries (account_id, invoice_id, kind, amount_minor, currency, occurred_on, reference, created_at)
                 VALUES ($1, $2, 'invoice', $3, 'EUR', $4, $5, $6)",
            )
            .bind(account)
            .bind(id)
            .bind(total)
            .bind(issue_date)
            .bind(number)
            .bind(now)
            .execute(&mut *tx)
            .await?;
            if paid > 0 {
                sqlx::query(
                    "INSERT INTO ledger_entries (account_id, invoice_id, kind, amount_minor, currency, occurred_on, reference, created_at)
                     VALUES ($1, $2, 'payment', $3, 'EUR', $4, 'VIR-TEST', $5)",
                )
                .bind(account)
                .bind(id)
                .bind(-paid)
                .bind(issue_date + Duration::days(5))
                .bind(now)
                .execute(&mut *tx)
                .await?;
            }
            ids.push(id);
        }
        fx.inv1_open = ids[0];
        fx.inv1_overdue = ids[1];
        fx.inv1_paid = ids[2];
        fx.inv2_open = ids[3];
        fx.pay2 = sqlx::query_scalar(
            "INSERT INTO payments (account_id, idempotency_key, gateway, method_label, amount_minor, currency, status,
                 failure_code, source, created_at, updated_at)
             VALUES ($1, 'fixture', 'sandbox', 'Visa •••• 0002', 99900, 'EUR', 'failed', 'card_declined', 'portal', $2, $2)
             RETURNING id",
        )
        .bind(fx.account2)
        .bind(now)
        .fetch_one(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(fx)
    })
}

/// Runs an async test body once per backend.
#[macro_export]
macro_rules! each_backend {
    (|$app:ident| $body:block) => {
        for backend in $crate::helpers::BACKENDS {
            let Some($app) = $crate::helpers::spawn_app(backend).await else { continue };
            $body
            $app.finish().await;
        }
    };
}

/// Where a write sends its caller next (the `next` of its `Done` answer),
/// asserting it succeeded.
pub async fn next_of(res: reqwest::Response) -> String {
    let status = res.status();
    let body: serde_json::Value = res.json().await.expect("a JSON answer");
    assert!(status.is_success(), "{status}: {body}");
    body["next"].as_str().unwrap_or_else(|| panic!("no next in {body}")).to_string()
}

/// The id and status a write created or moved (its `Done<Created<_>>`
/// answer), asserting it succeeded.
pub async fn created(res: reqwest::Response) -> (i64, String) {
    let status = res.status();
    let body: serde_json::Value = res.json().await.expect("a JSON answer");
    assert!(status.is_success(), "{status}: {body}");
    let id = body["value"]["id"].as_i64().unwrap_or_else(|| panic!("no id in {body}"));
    let st = body["value"]["status"].as_str().unwrap_or_else(|| panic!("no status in {body}"));
    (id, st.to_string())
}

/// Where a plain form's post sent the browser: asserts a redirect and
/// returns its `Location`, made relative to the server.
/// A response body as text can be searched: a PDF's text (its fonts map
/// glyphs back to Unicode), anything else as it is.
pub fn readable(body: &[u8]) -> Vec<u8> {
    if !body.starts_with(b"%PDF") {
        return body.to_vec();
    }
    // An uploaded attachment may only look like a PDF: kept as it is.
    let Ok(doc) = lopdf::Document::load_mem(body) else { return body.to_vec() };
    let pages: Vec<u32> = doc.get_pages().keys().copied().collect();
    doc.extract_text(&pages).expect("the PDF's text").into_bytes()
}

/// Whether a response body (a PDF's text) contains `needle`.
pub fn body_contains(body: &[u8], needle: &str) -> bool {
    readable(body).windows(needle.len()).any(|w| w == needle.as_bytes())
}

pub fn redirected_to(res: &reqwest::Response) -> String {
    assert!(res.status().is_redirection(), "not a redirect: {} {:?}", res.status(), res.headers());
    let location = res.headers().get("location").expect("a Location").to_str().unwrap().to_string();
    match location.find("://") {
        Some(scheme) => {
            let rest = &location[scheme + 3..];
            rest.find('/').map(|i| rest[i..].to_string()).unwrap_or_else(|| "/".into())
        }
        None => location,
    }
}

/// A French CSV's records (after the byte-order mark), split on `;`, each
/// field unquoted.
pub fn csv_records(csv: &str) -> Vec<Vec<String>> {
    csv.trim_start_matches('\u{feff}')
        .lines()
        .map(|l| l.split(';').map(|c| c.trim_matches('"').to_string()).collect())
        .collect()
}

/// One invoice of an example built by hand, written straight to the
/// database: issued on `issue` to `account` in `currency`, its invoice
/// entry that day, then a payment entry for each (day, amount) of `paid`.
/// The caller rebuilds the stored balances once every row is written.
pub struct HandInvoice<'a> {
    pub number: &'a str,
    pub issue: NaiveDate,
    pub due: NaiveDate,
    pub total: i64,
    pub paid: &'a [(NaiveDate, i64)],
}

pub async fn write_invoice(app: &TestApp, account: i64, currency: &str, inv: HandInvoice<'_>) -> i64 {
    let now = now();
    with_db!(&app.db, |pool| {
        async {
            let id: i64 = sqlx::query_scalar(
                "INSERT INTO invoices (account_id, number, issue_date, due_date, currency, subtotal_minor, tax_minor,
                     total_minor, status, created_at)
                 VALUES ($1, $2, $3, $4, $5, $6, 0, $6, 'issued', $7) RETURNING id",
            )
            .bind(account)
            .bind(inv.number)
            .bind(inv.issue)
            .bind(inv.due)
            .bind(currency)
            .bind(inv.total)
            .bind(now)
            .fetch_one(pool)
            .await?;
            let entries = std::iter::once(("invoice", inv.issue, inv.total))
                .chain(inv.paid.iter().map(|(on, amount)| ("payment", *on, -amount)));
            for (kind, on, amount) in entries {
                sqlx::query(
                    "INSERT INTO ledger_entries (account_id, invoice_id, kind, amount_minor, currency, occurred_on, reference, created_at)
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
                )
                .bind(account)
                .bind(id)
                .bind(kind)
                .bind(amount)
                .bind(currency)
                .bind(on)
                .bind(inv.number)
                .bind(now)
                .execute(pool)
                .await?;
            }
            Ok::<_, sqlx::Error>(id)
        }
        .await
    })
    .expect("invoice written")
}
