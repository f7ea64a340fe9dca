//! Passwords, session tokens and the per-request `Principal`. Every server
//! function starts from `require_principal()` and checks what it needs.

use crate::db::{Db, Tx};
use crate::domain::{Locale, Role};
use crate::error::{AppError, AppResult};
use crate::i18n::Msg;
use crate::state::{AppState, AuthConfig};
use crate::{with_db, with_tx};
use actix_web::HttpMessage;
use argon2::password_hash::{rand_core::OsRng, PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};
use chrono::{DateTime, Duration, Utc};
use jsonwebtoken::{DecodingKey, EncodingKey, Header, Validation};
use rand::RngCore;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

pub const SESSION_COOKIE: &str = "relance_session";
pub const LOCALE_COOKIE: &str = "relance_lang";

/// OWASP's argon2id recommendation: 19 MiB, 2 iterations, 1 lane.
fn argon2() -> Argon2<'static> {
    let params = Params::new(19 * 1024, 2, 1, None).expect("valid argon2 params");
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
}

pub fn hash_password_blocking(password: &str) -> anyhow::Result<String> {
    let salt = SaltString::generate(&mut OsRng);
    Ok(argon2()
        .hash_password(password.as_bytes(), &salt)
        .map_err(|e| anyhow::anyhow!("hashing password: {e}"))?
        .to_string())
}

/// Argon2 takes 19 MiB and a core per hash: at most one hash per core runs at
/// a time, the rest wait, so a flood of sign-ins cannot exhaust memory.
async fn hashing_permit() -> AppResult<tokio::sync::SemaphorePermit<'static>> {
    static PERMITS: std::sync::OnceLock<tokio::sync::Semaphore> = std::sync::OnceLock::new();
    let permits = PERMITS.get_or_init(|| {
        tokio::sync::Semaphore::new(std::thread::available_parallelism().map(|n| n.get()).unwrap_or(2))
    });
    permits.acquire().await.map_err(AppError::internal)
}

pub async fn hash_password(password: String) -> AppResult<String> {
    let _permit = hashing_permit().await?;
    tokio::task::spawn_blocking(move || hash_password_blocking(&password))
        .await
        .map_err(AppError::internal)?
        .map_err(AppError::internal)
}

/// Verifies off the async threads. A missing hash is checked against a dummy
/// so that unknown e-mails take as long as wrong passwords.
pub async fn verify_password(password: String, hash: Option<String>) -> AppResult<bool> {
    let _permit = hashing_permit().await?;
    tokio::task::spawn_blocking(move || {
        static DUMMY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
        let dummy = DUMMY.get_or_init(|| hash_password_blocking("dummy password for timing").unwrap_or_default());
        let real = hash.is_some();
        let stored = hash.unwrap_or_else(|| dummy.clone());
        let parsed = PasswordHash::new(&stored).map_err(|e| anyhow::anyhow!("stored hash unreadable: {e}"))?;
        Ok::<bool, anyhow::Error>(real && argon2().verify_password(password.as_bytes(), &parsed).is_ok())
    })
    .await
    .map_err(AppError::internal)?
    .map_err(AppError::internal)
}

pub fn validate_new_password(password: &str, confirm: &str) -> AppResult<()> {
    if password.chars().count() < 10 {
        return Err(AppError::field("password", Msg::PasswordTooShort));
    }
    if password != confirm {
        return Err(AppError::field("confirm", Msg::PasswordsDiffer));
    }
    Ok(())
}

pub fn random_token() -> String {
    let mut bytes = [0u8; 32];
    rand::thread_rng().fill_bytes(&mut bytes);
    hex::encode(bytes)
}

pub fn token_hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

#[derive(Debug, Serialize, Deserialize)]
struct Claims {
    /// Session id; the session row decides whether the token is still good.
    sid: String,
    sub: i64,
    iat: i64,
    exp: i64,
}

pub fn encode_session_jwt(
    cfg: &AuthConfig,
    sid: &str,
    user_id: i64,
    now: DateTime<Utc>,
    expires: DateTime<Utc>,
) -> AppResult<String> {
    let claims = Claims { sid: sid.to_string(), sub: user_id, iat: now.timestamp(), exp: expires.timestamp() };
    jsonwebtoken::encode(&Header::default(), &claims, &EncodingKey::from_secret(&cfg.jwt_secret))
        .map_err(AppError::internal)
}

fn decode_session_jwt(cfg: &AuthConfig, token: &str, now: DateTime<Utc>) -> Option<Claims> {
    let mut validation = Validation::new(jsonwebtoken::Algorithm::HS256);
    // Expiry is checked against the application clock below.
    validation.validate_exp = false;
    validation.required_spec_claims.clear();
    let claims =
        jsonwebtoken::decode::<Claims>(token, &DecodingKey::from_secret(&cfg.jwt_secret), &validation).ok()?.claims;
    (claims.exp > now.timestamp()).then_some(claims)
}

pub fn session_cookie(cfg: &AuthConfig, value: &str, max_age_secs: i64) -> String {
    let secure = if cfg.cookie_secure { "; Secure" } else { "" };
    format!("{SESSION_COOKIE}={value}; Path=/; HttpOnly; SameSite=Lax; Max-Age={max_age_secs}{secure}")
}

pub fn locale_cookie(locale: Locale) -> String {
    format!("{LOCALE_COOKIE}={}; Path=/; SameSite=Lax; Max-Age=31536000", locale.code())
}

/// Where a caller may look.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Scope {
    All,
    Collector(i64),
    Account(i64),
}

impl Scope {
    /// SQL predicate restricting accounts aliased `a` to the scope; always
    /// bound as the first three parameters (`Scope::binds`). Each scope has
    /// its own text, so the planner sees `a.id = $3` (or `a.collector_id =
    /// $2`) and uses its index on a million rows; the other parameters are
    /// still checked, so binds that do not match the scope select nothing.
    pub fn sql(self) -> &'static str {
        match self {
            Scope::All => "($1 AND $2 IS NULL AND $3 IS NULL)",
            Scope::Collector(_) => "(a.collector_id = $2 AND NOT $1 AND $3 IS NULL)",
            Scope::Account(_) => "(a.id = $3 AND NOT $1 AND $2 IS NULL)",
        }
    }

    pub fn binds(self) -> (bool, Option<i64>, Option<i64>) {
        match self {
            Scope::All => (true, None, None),
            Scope::Collector(id) => (false, Some(id), None),
            Scope::Account(id) => (false, None, Some(id)),
        }
    }
}

#[derive(Clone, Debug)]
pub struct Principal {
    pub user_id: i64,
    pub session_id: String,
    pub role: Role,
    pub account_id: Option<i64>,
    pub name: String,
    pub email: String,
    pub locale: Option<Locale>,
    /// What the client's documents are rendered from, read with the session.
    pub page_version: PageVersion,
}

/// The account's `page_version` and the merchant-wide `page_epoch`, which
/// database triggers move on every write that changes what the client's
/// documents show, and the account's time zone (see `server::page_cache`).
/// Zero and empty for staff.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PageVersion {
    pub account: i64,
    pub epoch: i64,
    pub time_zone: String,
}

impl Principal {
    pub fn scope(&self) -> Scope {
        match (self.role, self.account_id) {
            (Role::Owner | Role::Accountant, _) => Scope::All,
            (Role::Collector, _) => Scope::Collector(self.user_id),
            (Role::Client, Some(account)) => Scope::Account(account),
            // A client row always has an account (schema CHECK); see nothing otherwise.
            (Role::Client, None) => Scope::Account(-1),
        }
    }

    pub fn require_staff(&self) -> AppResult<()> {
        if self.role.is_staff() {
            Ok(())
        } else {
            Err(AppError::Forbidden)
        }
    }

    /// The owner or the accountant: who keeps the books (accounts,
    /// invoices, payments received).
    pub fn require_bookkeeper(&self) -> AppResult<()> {
        if matches!(self.role, Role::Owner | Role::Accountant) {
            Ok(())
        } else {
            Err(AppError::Forbidden)
        }
    }

    pub fn require_owner(&self) -> AppResult<()> {
        if self.role == Role::Owner {
            Ok(())
        } else {
            Err(AppError::Forbidden)
        }
    }

    /// Clients only; staff use the back-office views.
    pub fn require_client(&self) -> AppResult<i64> {
        match (self.role, self.account_id) {
            (Role::Client, Some(account)) => Ok(account),
            _ => Err(AppError::Forbidden),
        }
    }
}

#[derive(sqlx::FromRow)]
struct SessionUserRow {
    user_id: i64,
    role: String,
    account_id: Option<i64>,
    name: String,
    email: String,
    locale: Option<String>,
    page_version: i64,
    page_epoch: i64,
    time_zone: String,
}

async fn load_principal(state: &AppState, token: &str) -> AppResult<Option<Principal>> {
    let now = state.clock.now();
    let Some(claims) = decode_session_jwt(&state.auth, token, now) else {
        return Ok(None);
    };
    let row: Option<SessionUserRow> = with_db!(&state.db, |pool| {
        sqlx::query_as(
            "SELECT u.id AS user_id, u.role, u.account_id, u.name, u.email, u.locale,
                    COALESCE(a.page_version, 0) AS page_version, COALESCE(a.time_zone, '') AS time_zone,
                    COALESCE((SELECT version FROM page_epoch WHERE id = 1), 0) AS page_epoch
             FROM sessions s JOIN users u ON u.id = s.user_id LEFT JOIN accounts a ON a.id = u.account_id
             WHERE s.id = $1 AND s.user_id = $2 AND s.revoked_at IS NULL
               AND s.expires_at > $3 AND u.active",
        )
        .bind(&claims.sid)
        .bind(claims.sub)
        .bind(now)
        .fetch_optional(pool)
        .await
    })?;
    Ok(row.and_then(|r| {
        Some(Principal {
            user_id: r.user_id,
            session_id: claims.sid,
            role: Role::parse(&r.role)?,
            account_id: r.account_id,
            name: r.name,
            email: r.email,
            locale: r.locale.as_deref().and_then(Locale::parse),
            page_version: PageVersion { account: r.page_version, epoch: r.page_epoch, time_zone: r.time_zone },
        })
    }))
}

/// Resolves the caller from the session cookie of an actix request.
pub async fn principal_from_request(state: &AppState, req: &actix_web::HttpRequest) -> AppResult<Option<Principal>> {
    match req.cookie(SESSION_COOKIE) {
        Some(cookie) => load_principal(state, cookie.value()).await,
        None => Ok(None),
    }
}

/// The caller of the current server function or page, if signed in. The
/// server's middleware resolves it once per request; this reads that.
pub async fn current_principal() -> AppResult<Option<Principal>> {
    let Some(req) = leptos::prelude::use_context::<leptos_actix::Request>() else {
        return Ok(None);
    };
    let cached = req.extensions().get::<CachedPrincipal>().map(|p| p.0.clone());
    if let Some(p) = cached {
        return Ok(p);
    }
    let state = crate::state::app_state()?;
    principal_from_request(&state, &req).await
}

/// The caller, or `Unauthorized`.
pub async fn require_principal() -> AppResult<Principal> {
    current_principal().await?.ok_or(AppError::Unauthorized)
}

/// Stored in the request's extensions by the middleware that resolved the caller.
#[derive(Clone)]
pub struct CachedPrincipal(pub Option<Principal>);

/// The client's address: the peer, or, behind `trusted_proxies` reverse
/// proxies, the address the outermost of them appended to
/// `X-Forwarded-For` (each proxy appends the address it received from).
pub fn client_ip(cfg: &AuthConfig, req: &actix_web::HttpRequest) -> String {
    let forwarded: Vec<&str> = req
        .headers()
        .get_all("x-forwarded-for")
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(str::trim)
        .filter(|v| !v.is_empty())
        .collect();
    match forwarded_client(&forwarded, cfg.trusted_proxies) {
        Some(ip) => ip.to_string(),
        None => req.peer_addr().map(|a| a.ip().to_string()).unwrap_or_default(),
    }
}

/// Which `X-Forwarded-For` entry is the client's, behind `hops` trusted
/// proxies: the `hops`-th from the right. Entries further left were sent by
/// the client and prove nothing; too few entries means the request did not
/// come through the proxies (the peer's address is used).
pub fn forwarded_client<'a>(forwarded: &[&'a str], hops: usize) -> Option<&'a str> {
    if hops == 0 {
        return None;
    }
    forwarded.len().checked_sub(hops).map(|i| forwarded[i])
}

// ---- throttling -----------------------------------------------------------

pub const THROTTLE_WINDOW_MINUTES: i64 = 15;

/// Attempts allowed per window, by what is being attempted.
#[derive(Clone, Copy, Debug)]
pub enum Limit {
    /// Wrong passwords for one e-mail address.
    LoginEmail,
    /// Sign-in attempts from one address.
    LoginIp,
    /// Reset requests for one e-mail address (no mail bombing).
    ResetEmail,
    /// Reset requests or link redemptions from one address.
    LinkIp,
}

impl Limit {
    fn max(self) -> i64 {
        match self {
            Limit::LoginEmail => 5,
            Limit::LoginIp => 20,
            Limit::ResetEmail => 3,
            Limit::LinkIp => 20,
        }
    }

    fn prefix(self) -> &'static str {
        match self {
            Limit::LoginEmail => "login-email",
            Limit::LoginIp => "login-ip",
            Limit::ResetEmail => "reset-email",
            Limit::LinkIp => "link-ip",
        }
    }
}

/// One recorded attempt, so a successful sign-in can take it back.
pub struct Attempt {
    id: i64,
    scope: String,
}

/// Records an attempt *before* doing the work and refuses it when the window
/// is already full, so parallel requests cannot all slip under the limit.
pub async fn attempt(db: &Db, limit: Limit, key: &str, now: DateTime<Utc>) -> AppResult<Attempt> {
    let scope = format!("{}:{key}", limit.prefix());
    let since = now - Duration::minutes(THROTTLE_WINDOW_MINUTES);
    let (id, count): (i64, i64) = with_db!(db, |pool| {
        let id: i64 = sqlx::query_scalar("INSERT INTO auth_attempts (scope, occurred_at) VALUES ($1, $2) RETURNING id")
            .bind(&scope)
            .bind(now)
            .fetch_one(pool)
            .await?;
        let count: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM auth_attempts WHERE scope = $1 AND occurred_at > $2")
            .bind(&scope)
            .bind(since)
            .fetch_one(pool)
            .await?;
        Ok::<_, sqlx::Error>((id, count))
    })?;
    if count > limit.max() {
        return Err(AppError::Refused(Msg::TooManyAttempts));
    }
    Ok(Attempt { id, scope })
}

/// Forgets an attempt that succeeded; with `all`, every attempt of its scope
/// (a correct password clears the account's failures).
pub async fn forgive(db: &Db, attempt: &Attempt, all: bool) -> AppResult<()> {
    with_db!(db, |pool| {
        sqlx::query("DELETE FROM auth_attempts WHERE id = $1 OR ($2 AND scope = $3)")
            .bind(attempt.id)
            .bind(all)
            .bind(&attempt.scope)
            .execute(pool)
            .await
            .map(|r| r.rows_affected())
    })?;
    Ok(())
}

// ---- sessions -------------------------------------------------------------

#[tracing::instrument(skip_all, fields(user = user_id))]
pub async fn create_session(state: &AppState, user_id: i64, ip: &str, user_agent: &str) -> AppResult<String> {
    let now = state.clock.now();
    let expires = now + state.auth.session_ttl;
    let sid = random_token();
    with_db!(&state.db, |pool| {
        sqlx::query("INSERT INTO sessions (id, user_id, created_at, expires_at, ip, user_agent) VALUES ($1, $2, $3, $4, $5, $6)")
            .bind(&sid)
            .bind(user_id)
            .bind(now)
            .bind(expires)
            .bind(ip)
            .bind(user_agent.chars().take(200).collect::<String>())
            .execute(pool)
            .await
            .map(|r| r.rows_affected())
    })?;
    encode_session_jwt(&state.auth, &sid, user_id, now, expires)
}

pub async fn revoke_session(state: &AppState, sid: &str) -> AppResult<()> {
    let now = state.clock.now();
    with_db!(&state.db, |pool| {
        sqlx::query("UPDATE sessions SET revoked_at = $1 WHERE id = $2 AND revoked_at IS NULL")
            .bind(now)
            .bind(sid)
            .execute(pool)
            .await
            .map(|r| r.rows_affected())
    })?;
    Ok(())
}

/// One line of the audit log: who did what to which entity.
pub struct Audit<'a> {
    actor: Option<i64>,
    action: crate::audit::AuditAction,
    entity: (&'a str, Option<i64>),
    account_id: Option<i64>,
    details: Option<crate::audit::AuditDetails>,
    ip: &'a str,
}

impl<'a> Audit<'a> {
    pub fn new(actor: Option<i64>, action: crate::audit::AuditAction, entity: (&'a str, Option<i64>)) -> Self {
        Audit { actor, action, entity, account_id: None, details: None, ip: "" }
    }

    /// The client account concerned, for its timeline.
    pub fn account(mut self, account_id: Option<i64>) -> Self {
        self.account_id = account_id;
        self
    }

    /// What it says beyond its action, as data.
    pub fn details(mut self, details: crate::audit::AuditDetails) -> Self {
        self.details = Some(details);
        self
    }

    pub fn ip(mut self, ip: &'a str) -> Self {
        self.ip = ip;
        self
    }
}

/// Appends to the audit log: inside the caller's transaction (it is kept
/// if and only if the change is), or on its own on the pool.
pub async fn audit(conn: crate::db::Conn<'_>, now: DateTime<Utc>, entry: Audit<'_>) -> AppResult<()> {
    let details = match &entry.details {
        Some(d) => serde_json::to_string(d).map_err(AppError::internal)?,
        None => String::new(),
    };
    crate::with_conn!(conn, |c| {
        sqlx::query(
            "INSERT INTO audit_log (actor_user_id, action, entity_type, entity_id, account_id, details, ip, occurred_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        )
        .bind(entry.actor)
        .bind(entry.action.as_str())
        .bind(entry.entity.0)
        .bind(entry.entity.1)
        .bind(entry.account_id)
        .bind(&details)
        .bind(entry.ip)
        .bind(now)
        .execute(&mut *c)
        .await
        .map(|r| r.rows_affected())
    })?;
    Ok(())
}

/// Ends a user's sessions (but `keep`, the caller's own) and voids their
/// unused links, inside the caller's transaction: after a password change,
/// a password set from a link, or a deactivation.
pub async fn end_sessions_and_links(
    tx: &mut Tx,
    now: DateTime<Utc>,
    user_id: i64,
    keep: Option<&str>,
) -> AppResult<()> {
    with_tx!(tx, |conn| {
        sqlx::query("UPDATE sessions SET revoked_at = $1 WHERE user_id = $2 AND revoked_at IS NULL AND id <> $3")
            .bind(now)
            .bind(user_id)
            .bind(keep.unwrap_or(""))
            .execute(&mut *conn)
            .await
            .map(|r| r.rows_affected())
    })?;
    void_links_tx(tx, now, user_id).await
}

/// Voids a user's unused single-use links.
async fn void_links_tx(tx: &mut Tx, now: DateTime<Utc>, user_id: i64) -> AppResult<()> {
    with_tx!(tx, |conn| {
        sqlx::query("UPDATE user_tokens SET used_at = $1 WHERE user_id = $2 AND used_at IS NULL")
            .bind(now)
            .bind(user_id)
            .execute(&mut *conn)
            .await
            .map(|r| r.rows_affected())
    })?;
    Ok(())
}

// ---- single-use links (invitation, reset) ---------------------------------

pub const INVITE_TTL_DAYS: i64 = 7;
pub const RESET_TTL_MINUTES: i64 = 60;

/// Creates a single-use token for `user_id` inside the caller's transaction
/// and returns the raw token (only its hash is stored).
pub async fn issue_token_tx(
    tx: &mut Tx,
    now: DateTime<Utc>,
    user_id: i64,
    purpose: &str,
    ttl: Duration,
) -> AppResult<String> {
    let token = random_token();
    with_tx!(tx, |conn| {
        sqlx::query("INSERT INTO user_tokens (user_id, purpose, token_hash, expires_at, created_at) VALUES ($1, $2, $3, $4, $5)")
            .bind(user_id)
            .bind(purpose)
            .bind(token_hash(&token))
            .bind(now + ttl)
            .bind(now)
            .execute(conn)
            .await
            .map(|r| r.rows_affected())
    })?;
    Ok(token)
}

/// A fresh single-use link for the server's administrator to hand over
/// when no mail server is configured (`relance link --email …`): an
/// invitation while the user has no password, else a password reset. The
/// user's earlier links are voided. Returns the path with its token.
#[tracing::instrument(skip_all)]
pub async fn admin_link(
    db: &crate::db::Db,
    now: DateTime<Utc>,
    email: &crate::domain::EmailAddress,
) -> AppResult<String> {
    let mut tx = db.begin().await?;
    let user: Option<(i64, bool, Option<i64>)> = with_tx!(&mut tx, |conn| {
        sqlx::query_as("SELECT id, password_hash IS NOT NULL, account_id FROM users WHERE email = $1 AND active")
            .bind(email.as_ref())
            .fetch_optional(&mut *conn)
            .await
    })?;
    let (user_id, has_password, account_id) = user.ok_or(AppError::NotFound)?;
    void_links_tx(&mut tx, now, user_id).await?;
    let (purpose, ttl, path) = if has_password {
        ("reset", Duration::minutes(RESET_TTL_MINUTES), "reset")
    } else {
        ("invite", Duration::days(INVITE_TTL_DAYS), "invite")
    };
    let token = issue_token_tx(&mut tx, now, user_id, purpose, ttl).await?;
    audit(
        crate::db::Conn::Tx(&mut tx),
        now,
        Audit::new(None, crate::audit::AuditAction::AuthAdminLink, ("user", Some(user_id)))
            .account(account_id)
            .details(crate::audit::AuditDetails::default().code(purpose)),
    )
    .await?;
    tx.commit().await?;
    Ok(format!("/{path}/{token}"))
}

/// The link, its e-mail and the audit entry are written together.
pub async fn start_reset_for(state: &AppState, user_id: i64, actor: Option<i64>) -> AppResult<()> {
    #[derive(sqlx::FromRow)]
    struct U {
        email: String,
        name: String,
        locale: Option<String>,
        account_id: Option<i64>,
        has_password: bool,
    }
    let user: U = with_db!(&state.db, |pool| {
        sqlx::query_as(
            "SELECT email, name, locale, account_id, (password_hash IS NOT NULL) AS has_password FROM users WHERE id = $1",
        )
        .bind(user_id)
        .fetch_optional(pool)
        .await
    })?
    .ok_or(AppError::NotFound)?;
    let now = state.clock.now();
    let locale = user.locale.as_deref().and_then(Locale::parse).unwrap_or_default();
    let base = state.auth.public_url.trim_end_matches('/').to_string();
    let mut tx = state.db.begin().await?;
    let (subject, body, action) = if user.has_password {
        let token = issue_token_tx(&mut tx, now, user_id, "reset", Duration::minutes(RESET_TTL_MINUTES)).await?;
        let link = format!("{base}/reset/{token}");
        let m = crate::mail::Message::PasswordReset { name: &user.name, link: &link }.render(locale);
        (m.subject, m.body, crate::audit::AuditAction::AuthResetLink)
    } else {
        // Never accepted an invitation: send a fresh one instead.
        let token = issue_token_tx(&mut tx, now, user_id, "invite", Duration::days(INVITE_TTL_DAYS)).await?;
        let company = crate::mail::company_name(crate::db::Conn::Tx(&mut tx)).await?;
        let link = format!("{base}/invite/{token}");
        let m = crate::mail::Message::Invitation { name: &user.name, company: &company, link: &link }.render(locale);
        (m.subject, m.body, crate::audit::AuditAction::AuthInviteLink)
    };
    crate::mail::enqueue_link_tx(&mut tx, now, state.mail_delivery, &user.email, &subject, &body, user.account_id)
        .await?;
    audit(
        crate::db::Conn::Tx(&mut tx),
        now,
        Audit::new(actor, action, ("user", Some(user_id))).account(user.account_id),
    )
    .await?;
    Ok(tx.commit().await?)
}

#[tracing::instrument(skip_all)]
pub async fn start_reset(state: &AppState, email: &crate::domain::EmailAddress) -> AppResult<()> {
    let user: Option<i64> = with_db!(&state.db, |pool| {
        sqlx::query_scalar("SELECT id FROM users WHERE email = $1 AND active")
            .bind(email.as_ref())
            .fetch_optional(pool)
            .await
    })?;
    match user {
        Some(id) => start_reset_for(state, id, Some(id)).await,
        None => Ok(()),
    }
}

/// Consumes an invitation or reset token and sets the password, all in one
/// transaction: the link works once even under concurrent clicks, the user's
/// other links and sessions die with it, and a deactivated user stays out.
#[tracing::instrument(skip_all)]
pub async fn complete_token(state: &AppState, token: &str, password: String) -> AppResult<()> {
    let now = state.clock.now();
    let th = token_hash(token);
    // Cheap check first: no argon2 work for a made-up token.
    let live: Option<i64> = with_db!(&state.db, |pool| {
        sqlx::query_scalar(
            "SELECT t.user_id FROM user_tokens t JOIN users u ON u.id = t.user_id
             WHERE t.token_hash = $1 AND t.used_at IS NULL AND t.expires_at > $2 AND u.active",
        )
        .bind(&th)
        .bind(now)
        .fetch_optional(pool)
        .await
    })?;
    if live.is_none() {
        return Err(AppError::Refused(Msg::LinkInvalid));
    }
    let hash = hash_password(password).await?;
    let mut tx = state.db.begin().await?;
    let user_id: Option<i64> = with_tx!(&mut tx, |conn| {
        sqlx::query_scalar(
            "UPDATE user_tokens SET used_at = $1 WHERE token_hash = $2 AND used_at IS NULL AND expires_at > $1 RETURNING user_id",
        )
        .bind(now)
        .bind(&th)
        .fetch_optional(&mut *conn)
        .await
    })?;
    let user_id = user_id.ok_or(AppError::Refused(Msg::LinkInvalid))?;
    let set = with_tx!(&mut tx, |conn| {
        sqlx::query("UPDATE users SET password_hash = $1 WHERE id = $2 AND active")
            .bind(&hash)
            .bind(user_id)
            .execute(&mut *conn)
            .await
            .map(|r| r.rows_affected())
    })?;
    if set == 0 {
        return Err(AppError::Refused(Msg::LinkInvalid));
    }
    end_sessions_and_links(&mut tx, now, user_id, None).await?;
    audit(
        crate::db::Conn::Tx(&mut tx),
        now,
        Audit::new(Some(user_id), crate::audit::AuditAction::AuthPasswordSet, ("user", Some(user_id))),
    )
    .await?;
    Ok(tx.commit().await?)
}

#[tracing::instrument(skip_all)]
pub async fn change_password(state: &AppState, principal: &Principal, current: String, new: String) -> AppResult<()> {
    let stored: Option<String> = with_db!(&state.db, |pool| {
        sqlx::query_scalar("SELECT password_hash FROM users WHERE id = $1")
            .bind(principal.user_id)
            .fetch_one(pool)
            .await
    })?;
    if !verify_password(current, stored).await? {
        return Err(AppError::field("current", Msg::WrongCurrentPassword));
    }
    let hash = hash_password(new).await?;
    let now = state.clock.now();
    // Password, other sessions and outstanding links change together.
    let mut tx = state.db.begin().await?;
    with_tx!(&mut tx, |conn| {
        sqlx::query("UPDATE users SET password_hash = $1 WHERE id = $2")
            .bind(&hash)
            .bind(principal.user_id)
            .execute(&mut *conn)
            .await
            .map(|r| r.rows_affected())
    })?;
    end_sessions_and_links(&mut tx, now, principal.user_id, Some(&principal.session_id)).await?;
    let user = ("user", Some(principal.user_id));
    audit(
        crate::db::Conn::Tx(&mut tx),
        now,
        Audit::new(Some(principal.user_id), crate::audit::AuditAction::AuthPasswordChanged, user),
    )
    .await?;
    Ok(tx.commit().await?)
}

#[cfg(test)]
mod tests {
    use super::forwarded_client;

    #[test]
    fn the_client_address_is_the_one_the_outermost_trusted_proxy_added() {
        // One proxy: it appended the peer it saw; what the client sent before is a claim.
        assert_eq!(forwarded_client(&["6.6.6.6", "203.0.113.9"], 1), Some("203.0.113.9"));
        assert_eq!(forwarded_client(&["203.0.113.9"], 1), Some("203.0.113.9"));
        // Two proxies: the outer one's entry is second from the right.
        assert_eq!(forwarded_client(&["6.6.6.6", "203.0.113.9", "10.0.0.2"], 2), Some("203.0.113.9"));
        // Not through the proxies, or no proxy trusted: the peer decides.
        assert_eq!(forwarded_client(&["203.0.113.9"], 2), None);
        assert_eq!(forwarded_client(&[], 1), None);
        assert_eq!(forwarded_client(&["6.6.6.6"], 0), None);
    }
}
