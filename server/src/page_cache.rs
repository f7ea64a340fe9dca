//! The client's documents (`app::pages::is_document`: the sign-in page, the
//! overview, the invoices, an invoice, the history), kept once rendered.
//!
//! Rendering a page with Leptos costs far more than everything else a
//! request does, while a client mostly reopens the same few pages between
//! two changes of their account. A kept page is served again only while
//! what it was rendered from is unchanged ([`Stamp`]):
//! - the account's `page_version` and the merchant-wide `page_epoch`, read
//!   with the session on every request (`app::auth::ssr`, before the
//!   render), which database triggers move on every write that changes what
//!   a document shows (migration `page_versions`; [`PAGE_SOURCES`] says
//!   which tables they watch and why the others are not, and a test holds
//!   that list to the schema). Being in the database, they hold across
//!   several instances, and for writes made outside the server;
//! - the day, in UTC and in the account's time zone (overdue states, late
//!   charges and the early-payment offer change with it);
//! - who is looking and how: the user, their name, e-mail address and
//!   role, the language, the payment mode, the exact path and query.
//!
//! The session, and with it the page version, is read from the database on
//! every request but one: a document asked for again within
//! `RELANCE_SESSION_RECHECK_MS` (default 1,000 ms) of that session's last
//! check uses what that check read. So what another party changed (staff,
//! a payment confirmed by the gateway, another instance, a revoked session)
//! reaches a client's documents within that window, as a one-second
//! micro-cache would; the client's own writes at once, since any request
//! other than a document's GET (a server function, signing out, the
//! language) makes the next one read the database again. Every other page
//! and every server function reads the session each time. Only complete,
//! successful pages
//! are kept: a status other than 200, a cookie set, or a server function
//! that failed during the render (`app::answer::RenderFailed`) leaves the
//! page out. Staff never get a kept page (their views read more).
//!
//! Each response still gets its own CSP nonce: a page is kept cut where its
//! nonce was, and joined with a new one.
//!
//! `RELANCE_PAGE_CACHE_MB` sets the memory kept (default 32; 0 turns it
//! off). With `RELANCE_PAGE_CACHE_VERIFY=true` (the tests') every page
//! served from memory is rendered again and compared: a difference is
//! logged and answered with a 500, so a write the triggers miss fails a
//! test instead of showing a client yesterday's balance.

use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{self, HeaderName, HeaderValue};
use actix_web::http::{Method, StatusCode};
use actix_web::middleware::Next;
use actix_web::web::Bytes;
use actix_web::{web, HttpMessage, HttpResponse};
use app::auth::ssr::{CachedPrincipal, PageVersion, Principal, SESSION_COOKIE};
use app::domain::Role;
use app::state::AppState;
use app::PageCtx;
use chrono::{DateTime, NaiveDate, Utc};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Every table of the schema and whether its writes move a page version:
/// `true` for the tables the client's documents show (the triggers of
/// migration `page_versions`), `false` with the reason for the others. A new table must be added here (a test compares the list with
/// the schema); one a document starts reading needs its triggers.
pub const PAGE_SOURCES: &[(&str, bool, &str)] = &[
    ("accounts", true, "names, balances (only the columns documents read)"),
    ("audit_log", true, "the history"),
    ("disputes", true, "amounts disputed, the invoice's disputes"),
    ("invoice_lines", true, "an invoice's lines"),
    ("invoices", true, "every document"),
    ("ledger_entries", true, "an invoice's entries, the history"),
    ("payment_allocations", true, "payments in flight, the early-payment offer"),
    ("payments", true, "payments in flight (their status only)"),
    ("promise_invoices", true, "promised invoices"),
    ("promises", true, "promised invoices"),
    ("reference_rates", true, "late charges (moves page_epoch)"),
    ("reminders", true, "the history"),
    ("page_epoch", false, "the merchant-wide page version itself"),
    ("sessions", false, "read with the session on every request"),
    ("users", false, "read with the session on every request, part of the key"),
    ("auth_attempts", false, "sign-in throttling"),
    ("balance_totals", false, "back-office figures"),
    ("collection_tasks", false, "back-office to-do"),
    ("credit_note_vat", false, "credit notes' PDFs"),
    ("credit_notes", false, "shown through ledger entries"),
    ("dispute_attachments", false, "the dispute's page, not a document"),
    ("dispute_files", false, "the dispute's page, not a document"),
    ("dispute_lines", false, "the dispute's page, not a document"),
    ("dispute_messages", false, "the dispute's page, not a document"),
    ("gateway_customers", false, "payment methods page"),
    ("import_mappings", false, "back-office imports"),
    ("imports", false, "back-office imports"),
    ("invoice_drafts", false, "back-office drafts"),
    ("job_runs", false, "background jobs"),
    ("late_charges", false, "shown through ledger entries"),
    ("ledger_postings", false, "posting idempotency"),
    ("merchant", false, "documents name no merchant field"),
    ("number_series", false, "invoice numbering"),
    ("outbox", false, "e-mail queue; the history reads reminders"),
    ("pay_links", false, "staff's view of an invoice only"),
    ("payment_events", false, "webhook log"),
    ("payment_methods", false, "payment methods page"),
    ("prescription_interruptions", false, "staff's view of an invoice only"),
    ("recurring_invoices", false, "back-office"),
    ("refunds", false, "payments pages"),
    ("reminder_invoices", false, "back-office reminders"),
    ("reminder_plans", false, "back-office reminders"),
    ("reminder_settings", false, "back-office reminders"),
    ("reminder_steps", false, "back-office reminders"),
    ("reminder_templates", false, "back-office reminders"),
    ("sandbox_events", false, "the offline gateway"),
    ("sandbox_objects", false, "the offline gateway"),
    ("segment_reminder_plans", false, "back-office reminders"),
    ("sms_opt_outs", false, "text messages"),
    ("sms_outbox", false, "text-message queue"),
    ("user_tokens", false, "invitation and reset links"),
];

const CACHE_HEADER: HeaderName = HeaderName::from_static("x-relance-cache");

/// What a kept page was rendered from.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Stamp {
    account: i64,
    epoch: i64,
    utc_day: NaiveDate,
    local_day: NaiveDate,
}

/// A rendered page, cut where its nonce was.
struct Page {
    stamp: Stamp,
    content_type: HeaderValue,
    body: Vec<Bytes>,
    policy: Option<Vec<String>>,
    size: usize,
}

impl Page {
    fn body(&self, nonce: &str) -> Bytes {
        join(&self.body, nonce.as_bytes())
    }

    fn response(&self, nonce: &str) -> HttpResponse {
        let mut res = HttpResponse::Ok();
        res.insert_header((header::CONTENT_TYPE, self.content_type.clone()));
        if let Some(policy) = &self.policy {
            if let Ok(value) = HeaderValue::from_str(&policy.join(nonce)) {
                res.insert_header((header::CONTENT_SECURITY_POLICY, value));
            }
        }
        res.insert_header((CACHE_HEADER, HeaderValue::from_static("hit")));
        res.body(self.body(nonce))
    }
}

fn join(parts: &[Bytes], sep: &[u8]) -> Bytes {
    let len = parts.iter().map(Bytes::len).sum::<usize>() + sep.len() * parts.len().saturating_sub(1);
    let mut out = Vec::with_capacity(len);
    for (i, part) in parts.iter().enumerate() {
        if i > 0 {
            out.extend_from_slice(sep);
        }
        out.extend_from_slice(part);
    }
    Bytes::from(out)
}

/// Cuts `body` at every occurrence of `nonce`.
fn cut(body: &Bytes, nonce: &[u8]) -> Vec<Bytes> {
    let mut parts = Vec::new();
    let mut start = 0;
    let mut i = 0;
    while !nonce.is_empty() && i + nonce.len() <= body.len() {
        if &body[i..i + nonce.len()] == nonce {
            parts.push(body.slice(start..i));
            i += nonce.len();
            start = i;
        } else {
            i += 1;
        }
    }
    parts.push(body.slice(start..));
    parts
}

/// The nonce named by a Content-Security-Policy (`'nonce-…'`).
fn policy_nonce(policy: &str) -> Option<&str> {
    let start = policy.find("'nonce-")? + "'nonce-".len();
    let len = policy[start..].find('\'')?;
    Some(&policy[start..start + len]).filter(|n| !n.is_empty())
}

#[derive(Clone)]
struct Weight;

impl quick_cache::Weighter<String, Arc<Page>> for Weight {
    fn weight(&self, key: &String, page: &Arc<Page>) -> u64 {
        (key.len() + page.size + 256) as u64
    }
}

/// The kept pages, shared by the server's workers, and the sessions
/// recently checked for them.
pub struct PageCache {
    pages: Option<quick_cache::sync::Cache<String, Arc<Page>, Weight>>,
    verify: bool,
    /// Session cookie → the caller and page version read with it, and when
    /// that read began.
    sessions: Option<quick_cache::sync::Cache<String, (CheckStart, Principal)>>,
    recheck: Duration,
}

impl PageCache {
    /// `megabytes` of pages at most (0: none are kept); `verify` renders
    /// every kept page again and compares (tests); a session checked less
    /// than `recheck` ago is not read again for a document (zero: always).
    pub fn new(megabytes: u64, verify: bool, recheck: Duration) -> PageCache {
        let bytes = megabytes.saturating_mul(1024 * 1024);
        let pages = (bytes > 0).then(|| {
            // quick_cache wants an estimate of the entries: pages of ~10 KB.
            let estimate = usize::try_from(bytes / 10_240).unwrap_or(usize::MAX).max(16);
            quick_cache::sync::Cache::with_weighter(estimate, bytes, Weight)
        });
        let sessions = (pages.is_some() && !recheck.is_zero()).then(|| quick_cache::sync::Cache::new(SESSIONS_KEPT));
        PageCache { pages, verify, sessions, recheck }
    }

    /// The caller of a document request whose session was checked less than
    /// the recheck window ago (`middleware::request_context`).
    pub fn recent_caller(&self, req: &ServiceRequest) -> Option<Principal> {
        let sessions = self.sessions.as_ref()?;
        if !document_get(req) {
            return None;
        }
        let token = req.cookie(SESSION_COOKIE)?;
        let (checked, principal) = sessions.get(token.value())?;
        // This browser wrote since (on any instance): read it again.
        let wrote = req.cookie(WROTE_COOKIE).and_then(|c| c.value().parse::<i64>().ok()).unwrap_or(i64::MIN);
        (checked.at.elapsed() < self.recheck && wrote < checked.unix_ms).then_some(principal)
    }

    /// Notes the caller of a document request, read from the database by a
    /// check that began at `started`.
    pub fn checked(&self, req: &ServiceRequest, principal: &Principal, started: CheckStart) {
        let Some(sessions) = &self.sessions else { return };
        if !document_get(req) {
            return;
        }
        if let Some(token) = req.cookie(SESSION_COOKIE) {
            sessions.insert(token.value().to_string(), (started, principal.clone()));
        }
    }

    /// After any other request of the session (a write, signing out, the
    /// language), its next document reads the database again.
    pub fn forget(&self, token: &str) {
        if let Some(sessions) = &self.sessions {
            sessions.remove(token);
        }
    }
}

/// Sessions remembered at most (each a few hundred bytes: 20,000 are
/// about 8 MB, beside the pages).
const SESSIONS_KEPT: usize = 20_000;

/// When a session check began: for the window, and, in milliseconds since
/// the epoch, to compare with the [`WROTE_COOKIE`] of a write made since.
#[derive(Clone, Copy, Debug)]
pub struct CheckStart {
    at: Instant,
    unix_ms: i64,
}

impl CheckStart {
    pub fn now() -> CheckStart {
        CheckStart { at: Instant::now(), unix_ms: chrono::Utc::now().timestamp_millis() }
    }
}

/// Set on the answer to any request of a session other than a document's
/// GET (a write, the language, signing out): when it was answered, in
/// milliseconds since the epoch. A document asked for with a later value
/// than its session's last check reads the session again, whichever
/// instance answered the write (behind a proxy that spreads requests, the
/// instance that checked the session may not be the one that wrote).
pub const WROTE_COOKIE: &str = "relance_wrote";

/// The `Set-Cookie` value of [`WROTE_COOKIE`] for now.
pub fn wrote_cookie(secure: bool) -> String {
    let secure = if secure { "; Secure" } else { "" };
    format!("{WROTE_COOKIE}={}; Path=/; HttpOnly; SameSite=Lax{secure}", chrono::Utc::now().timestamp_millis())
}

/// A document's GET: what may be kept, and what may use a recent check.
fn document_get(req: &ServiceRequest) -> bool {
    req.method() == Method::GET && app::pages::is_document(req.path())
}

impl Stamp {
    /// The sign-in page's: only the day.
    fn anonymous(now: DateTime<Utc>) -> Stamp {
        let day = now.date_naive();
        Stamp { account: 0, epoch: 0, utc_day: day, local_day: day }
    }

    /// A client's, from the versions read with their session.
    fn client(version: &PageVersion, now: DateTime<Utc>) -> Stamp {
        let zone = app::reminders::ssr::engine::time_zone(&version.time_zone);
        Stamp {
            account: version.account,
            epoch: version.epoch,
            utc_day: now.date_naive(),
            local_day: now.with_timezone(&zone).date_naive(),
        }
    }
}

/// The key and stamp of a request whose page may be kept, if it may.
fn page_of(req: &ServiceRequest, state: &AppState) -> Option<(String, Stamp)> {
    if !document_get(req) {
        return None;
    }
    let ext = req.extensions();
    let ctx = ext.get::<PageCtx>()?;
    let principal = ext.get::<CachedPrincipal>()?.0.as_ref();
    let now = state.clock.now();
    let (user, stamp) = match principal {
        // The sign-in page as everyone opens it; with a query (the page to
        // go back to, an error) it is rendered: anyone could fill the
        // memory with made-up queries.
        None if req.path().trim_end_matches('/') == "/login" && req.query_string().is_empty() => {
            (0, Stamp::anonymous(now))
        }
        Some(p) if p.role == Role::Client && p.account_id.is_some() => (p.user_id, Stamp::client(&p.page_version, now)),
        _ => return None,
    };
    let ctx = serde_json::to_string(ctx).ok()?;
    let target = req.uri().path_and_query().map_or(req.path(), |pq| pq.as_str());
    Some((format!("{user}\n{ctx}\n{target}"), stamp))
}

/// A fresh render, whole, and whether it may be kept.
async fn rendered<B: MessageBody + 'static>(
    res: ServiceResponse<B>,
) -> Result<(ServiceResponse<BoxBody>, Option<(Bytes, HeaderValue, Option<String>)>), actix_web::Error> {
    let keep = res.status() == StatusCode::OK
        && !res.headers().contains_key(header::SET_COOKIE)
        && !res.headers().contains_key(header::CONTENT_ENCODING)
        && res.request().extensions().get::<app::answer::RenderFailed>().is_none()
        && res
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.starts_with("text/html"));
    if !keep {
        return Ok((res.map_into_boxed_body(), None));
    }
    let content_type = res
        .headers()
        .get(header::CONTENT_TYPE)
        .cloned()
        .unwrap_or(HeaderValue::from_static("text/html; charset=utf-8"));
    let policy = res.headers().get(header::CONTENT_SECURITY_POLICY).and_then(|v| v.to_str().ok()).map(str::to_string);
    let (req, res) = res.into_parts();
    let (res, body) = res.into_parts();
    let bytes = actix_web::body::to_bytes(body).await.map_err(|e| {
        let e: Box<dyn std::error::Error> = e.into();
        actix_web::error::ErrorInternalServerError(e.to_string())
    })?;
    let mut res = res.set_body(bytes.clone());
    res.headers_mut().insert(CACHE_HEADER, HeaderValue::from_static("miss"));
    Ok((ServiceResponse::new(req, res.map_into_boxed_body()), Some((bytes, content_type, policy))))
}

/// The middleware (inside `middleware::request_context`, which resolves the
/// caller and the page version first).
pub async fn serve(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    let (Some(cache), Some(state)) =
        (req.app_data::<web::Data<PageCache>>().cloned(), req.app_data::<web::Data<AppState>>().cloned())
    else {
        return Ok(next.call(req).await?.map_into_boxed_body());
    };
    let Some(pages) = &cache.pages else {
        return Ok(next.call(req).await?.map_into_boxed_body());
    };
    let Some((key, stamp)) = page_of(&req, &state) else {
        return Ok(next.call(req).await?.map_into_boxed_body());
    };
    let kept = pages.get(&key).filter(|page| page.stamp == stamp);
    let metrics = req.app_data::<web::Data<crate::ops::metrics::Metrics>>().cloned();
    let count = |result| {
        if let Some(m) = &metrics {
            m.page(result);
        }
    };
    if let Some(page) = &kept {
        if !cache.verify {
            count("hit");
            let nonce = new_nonce();
            return Ok(req.into_response(page.response(&nonce)));
        }
    }
    let path = req.path().to_string();
    let (res, fresh) = rendered(next.call(req).await?).await?;
    let Some((body, content_type, policy)) = fresh else {
        return Ok(res);
    };
    let nonce = policy.as_deref().and_then(policy_nonce).map(str::to_string);
    let parts = match &nonce {
        Some(n) => cut(&body, n.as_bytes()),
        None => vec![body.clone()],
    };
    if let Some(page) = kept {
        // Verifying: what was kept must be what was just rendered.
        if page.body.len() != parts.len() || page.body.iter().zip(&parts).any(|(a, b)| a != b) {
            pages.remove(&key);
            // A write that landed while this page rendered explains it.
            if moved_since(&state, &res, &stamp).await {
                return Ok(res);
            }
            tracing::error!(path, "page cache: a kept page differs from a fresh render of the same version");
            let (req, _) = res.into_parts();
            let res = HttpResponse::InternalServerError()
                .content_type("text/plain; charset=utf-8")
                .body("page cache: a kept page differs from a fresh render");
            return Ok(ServiceResponse::new(req, res));
        }
        count("hit");
        let mut res = res;
        res.headers_mut().insert(CACHE_HEADER, HeaderValue::from_static("hit"));
        return Ok(res);
    }
    let policy = policy.map(|p| match &nonce {
        Some(n) => p.split(n.as_str()).map(str::to_string).collect(),
        None => vec![p],
    });
    let size = body.len() + policy.as_ref().map_or(0, |p| p.iter().map(String::len).sum());
    count("miss");
    pages.insert(key, Arc::new(Page { stamp, content_type, body: parts, policy, size }));
    Ok(res)
}

/// Whether the stamp of the caller of `res`, read again now, is no longer
/// `stamp`: a write, or midnight, came during the render.
async fn moved_since(state: &AppState, res: &ServiceResponse<BoxBody>, stamp: &Stamp) -> bool {
    let now = state.clock.now();
    match app::auth::ssr::principal_from_request(state, res.request()).await {
        Ok(Some(p)) => Stamp::client(&p.page_version, now) != *stamp,
        // The sign-in page's stamp is the day; a client's session that
        // ended meanwhile is a change too.
        Ok(None) => Stamp::anonymous(now) != *stamp,
        Err(_) => true,
    }
}

/// A nonce for one response (128 random bits, hex: valid in a CSP).
fn new_nonce() -> String {
    app::auth::ssr::random_token()[..32].to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_page_is_cut_where_its_nonce_was_and_joined_with_another() {
        let body = Bytes::from_static(b"<script nonce=\"abc\">x</script><p>abc</p>abc");
        let parts = cut(&body, b"abc");
        assert_eq!(parts.len(), 4);
        assert_eq!(join(&parts, b"XYZ"), Bytes::from_static(b"<script nonce=\"XYZ\">x</script><p>XYZ</p>XYZ"));
        assert_eq!(cut(&Bytes::from_static(b"none here"), b"abc"), vec![Bytes::from_static(b"none here")]);
        assert_eq!(join(&cut(&Bytes::from_static(b"abcabc"), b"abc"), b"-"), Bytes::from_static(b"--"));
    }

    #[test]
    fn the_nonce_is_read_from_the_policy() {
        assert_eq!(policy_nonce("default-src 'self'; script-src 'self' 'nonce-Zm9v' 'wasm-unsafe-eval'"), Some("Zm9v"));
        assert_eq!(policy_nonce("default-src 'self'"), None);
        assert_eq!(policy_nonce("script-src 'nonce-'"), None);
    }
}
