//! Text messages: the provider seam, Twilio's Messages API behind it, the
//! job that delivers the SMS outbox, and the inbound webhook that honours
//! STOP (and START) replies.
//!
//! Delivery works like the mailer's: each message is claimed with a lease
//! so two instances never send it twice; a transient failure backs off and
//! is retried up to `MAX_ATTEMPTS`; a number the provider reports as
//! unsubscribed is recorded as opted out and its texts are blocked.

use crate::settings::Secret;
use actix_web::{web, HttpRequest, HttpResponse};
use app::reminders::ssr::dispatch;
use app::state::AppState;
use app::with_db;
use base64::Engine as _;
use chrono::{DateTime, Duration, Utc};
use hmac::{Hmac, Mac};
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

pub const MAX_ATTEMPTS: i32 = 6;

/// Why a text did not leave.
#[derive(Debug, thiserror::Error)]
pub enum SmsError {
    /// The recipient opted out with the provider (Twilio 21610).
    #[error("the recipient opted out of text messages")]
    OptedOut,
    /// The provider refuses this message for good (invalid number…).
    #[error("refused: {0}")]
    Refused(String),
    /// Try again later (network, rate limit, provider down).
    #[error("temporary failure: {0}")]
    Transient(String),
}

pub type SmsFuture<'a, T> = Pin<Box<dyn Future<Output = Result<T, SmsError>> + Send + 'a>>;

/// An SMS provider: sends a text, and authenticates what it posts back.
pub trait SmsProvider: Send + Sync + 'static {
    fn name(&self) -> &'static str;
    /// Sends `body` to `to` (E.164); answers the provider's message id.
    fn send<'a>(&'a self, to: &'a str, body: &'a str) -> SmsFuture<'a, String>;
    /// Whether an inbound request to `url` with these form fields carries
    /// the provider's signature.
    fn verify(&self, url: &str, fields: &[(String, String)], signature: &str) -> bool;
}

/// Twilio's Programmable Messaging (REST API 2010-04-01).
pub struct Twilio {
    api_base: String,
    account_sid: String,
    auth_token: Secret,
    /// A sender number (E.164), an alphanumeric sender, or a Messaging
    /// Service (`MG…`).
    from: String,
    http: reqwest::Client,
}

impl Twilio {
    pub fn new(account_sid: &str, auth_token: Secret, from: &str, api_base: Option<&str>) -> anyhow::Result<Twilio> {
        anyhow::ensure!(account_sid.starts_with("AC"), "RELANCE_TWILIO_ACCOUNT_SID must start with AC");
        anyhow::ensure!(!from.trim().is_empty(), "RELANCE_TWILIO_FROM is required");
        let http = reqwest::Client::builder()
            .timeout(std::time::Duration::from_secs(20))
            .build()
            .map_err(|e| anyhow::anyhow!("SMS client: {e}"))?;
        Ok(Twilio {
            api_base: api_base.unwrap_or("https://api.twilio.com").trim_end_matches('/').to_string(),
            account_sid: account_sid.to_string(),
            auth_token,
            from: from.trim().to_string(),
            http,
        })
    }
}

#[derive(serde::Deserialize)]
struct TwilioMessage {
    sid: String,
}

#[derive(serde::Deserialize)]
struct TwilioError {
    code: Option<i64>,
    message: Option<String>,
}

/// Twilio error codes that no retry will change.
const TWILIO_UNSUBSCRIBED: i64 = 21610;
const TWILIO_PERMANENT: [i64; 6] = [21211, 21212, 21408, 21612, 21614, 21617];

impl SmsProvider for Twilio {
    fn name(&self) -> &'static str {
        "twilio"
    }

    fn send<'a>(&'a self, to: &'a str, body: &'a str) -> SmsFuture<'a, String> {
        Box::pin(async move {
            let url = format!("{}/2010-04-01/Accounts/{}/Messages.json", self.api_base, self.account_sid);
            let sender = if self.from.starts_with("MG") { "MessagingServiceSid" } else { "From" };
            let response = self
                .http
                .post(&url)
                .basic_auth(&self.account_sid, Some(self.auth_token.expose()))
                .form(&[("To", to), (sender, self.from.as_str()), ("Body", body)])
                .send()
                .await
                .map_err(|e| SmsError::Transient(format!("twilio: {e}")))?;
            let status = response.status();
            let text = response.text().await.map_err(|e| SmsError::Transient(format!("twilio: {e}")))?;
            if status.is_success() {
                let message: TwilioMessage = serde_json::from_str(&text)
                    .map_err(|e| SmsError::Transient(format!("twilio: unreadable answer ({e})")))?;
                return Ok(message.sid);
            }
            let error: TwilioError = serde_json::from_str(&text).unwrap_or(TwilioError { code: None, message: None });
            let described = format!(
                "twilio {}: {} {}",
                status.as_u16(),
                error.code.map(|c| c.to_string()).unwrap_or_default(),
                error.message.unwrap_or_default()
            );
            match error.code {
                Some(TWILIO_UNSUBSCRIBED) => Err(SmsError::OptedOut),
                Some(code) if TWILIO_PERMANENT.contains(&code) => Err(SmsError::Refused(described)),
                // 401 (credentials), 429, 5xx: the operator or time fixes it.
                _ => Err(SmsError::Transient(described)),
            }
        })
    }

    /// `X-Twilio-Signature`: base64 of HMAC-SHA1, keyed by the auth token,
    /// over the URL followed by each field's name and value, sorted by name.
    fn verify(&self, url: &str, fields: &[(String, String)], signature: &str) -> bool {
        let Ok(expected) = base64::engine::general_purpose::STANDARD.decode(signature.trim()) else { return false };
        signing_mac(self.auth_token.expose(), url, fields).verify_slice(&expected).is_ok()
    }
}

/// The signature Twilio would put on a request (for tests and tools).
pub fn twilio_signature(auth_token: &str, url: &str, fields: &[(String, String)]) -> String {
    base64::engine::general_purpose::STANDARD.encode(signing_mac(auth_token, url, fields).finalize().into_bytes())
}

fn signing_mac(auth_token: &str, url: &str, fields: &[(String, String)]) -> Hmac<sha1::Sha1> {
    let mut sorted: Vec<&(String, String)> = fields.iter().collect();
    sorted.sort();
    let mut mac = Hmac::<sha1::Sha1>::new_from_slice(auth_token.as_bytes()).expect("any key length");
    mac.update(url.as_bytes());
    for (name, value) in sorted {
        mac.update(name.as_bytes());
        mac.update(value.as_bytes());
    }
    mac
}

pub fn spawn(jobs: &crate::ops::jobs::Jobs, state: AppState, provider: Arc<dyn SmsProvider>, poll_seconds: u64) {
    jobs.every(std::time::Duration::from_secs(poll_seconds.max(1)), move || {
        let (state, provider) = (state.clone(), provider.clone());
        async move { crate::ops::jobs::step("text delivery", deliver_due(&state, provider.as_ref())).await }
    });
}

#[derive(sqlx::FromRow)]
struct Pending {
    id: i64,
    to_phone: String,
    body: String,
    attempts: i32,
    next_attempt_at: DateTime<Utc>,
}

/// One delivery round; answers how many texts left.
pub async fn deliver_due(state: &AppState, provider: &dyn SmsProvider) -> anyhow::Result<usize> {
    let now = state.clock.now();
    let due: Vec<Pending> = with_db!(&state.db, |pool| {
        sqlx::query_as(
            "SELECT id, to_phone, body, attempts, next_attempt_at FROM sms_outbox
             WHERE status = 'pending' AND next_attempt_at <= $1 ORDER BY id LIMIT 20",
        )
        .bind(now)
        .fetch_all(pool)
        .await
    })?;
    let mut sent = 0;
    for msg in due {
        if !crate::mailer::claim(state, crate::mailer::Queue::Sms, msg.id, msg.next_attempt_at).await? {
            continue;
        }
        // A STOP that arrived since it was queued wins.
        let stopped: Option<String> = with_db!(&state.db, |pool| {
            sqlx::query_scalar("SELECT source FROM sms_opt_outs WHERE phone = $1")
                .bind(&msg.to_phone)
                .fetch_optional(pool)
                .await
        })?;
        let result = match stopped {
            Some(_) => Err(SmsError::OptedOut),
            None => provider.send(&msg.to_phone, &msg.body).await,
        };
        let attempts = msg.attempts + 1;
        let now = state.clock.now();
        match result {
            Ok(reference) => {
                sent += 1;
                finish(state, msg.id, "sent", attempts, &reference, "", Some(now), now).await?;
            }
            Err(SmsError::OptedOut) => {
                let mut tx = state.db.begin().await?;
                dispatch::opt_out(&mut tx, now, &msg.to_phone, "provider").await?;
                tx.commit().await?;
                finish(state, msg.id, "blocked", attempts, "", "opted out", None, now).await?;
            }
            Err(SmsError::Refused(e)) => {
                tracing::warn!(sms_id = msg.id, error = %e, "text refused by the provider");
                finish(state, msg.id, "failed", attempts, "", &e, None, now).await?;
            }
            Err(SmsError::Transient(e)) => {
                tracing::warn!(sms_id = msg.id, attempts, error = %e, "text delivery failed");
                let status = if attempts >= MAX_ATTEMPTS { "failed" } else { "pending" };
                let next = now + Duration::minutes(1_i64 << attempts.min(10));
                finish(state, msg.id, status, attempts, "", &e, None, next).await?;
            }
        }
    }
    Ok(sent)
}

#[allow(clippy::too_many_arguments)]
async fn finish(
    state: &AppState,
    id: i64,
    status: &str,
    attempts: i32,
    reference: &str,
    error: &str,
    sent_at: Option<DateTime<Utc>>,
    next: DateTime<Utc>,
) -> anyhow::Result<()> {
    let error: String = error.chars().take(500).collect();
    with_db!(&state.db, |pool| {
        sqlx::query(
            "UPDATE sms_outbox SET status = $2, attempts = $3, provider_ref = $4, last_error = $5, sent_at = $6,
                 next_attempt_at = $7
             WHERE id = $1",
        )
        .bind(id)
        .bind(status)
        .bind(attempts)
        .bind(reference)
        .bind(&error)
        .bind(sent_at)
        .bind(next)
        .execute(pool)
        .await
        .map(|r| r.rows_affected())
    })?;
    Ok(())
}

/// What a reply asks for.
#[derive(Debug, PartialEq, Eq)]
pub enum Reply {
    Stop,
    Start,
    Other,
}

/// Reads a reply's keyword as carriers do (the whole message, case and
/// accents aside), French and English.
pub fn reply(body: &str) -> Reply {
    let word = body.trim().trim_end_matches(['.', '!']).to_uppercase().replace('Ê', "E");
    match word.as_str() {
        "STOP" | "STOPALL" | "STOP SMS" | "ARRET" | "UNSUBSCRIBE" | "CANCEL" | "END" | "QUIT" | "REVOKE" | "OPTOUT" => {
            Reply::Stop
        }
        "START" | "UNSTOP" | "YES" | "OUI" => Reply::Start,
        _ => Reply::Other,
    }
}

/// The provider's inbound webhook (`POST /webhooks/sms/{provider}`): a
/// signed reply from a number; STOP records the opt-out, START lifts it.
pub async fn inbound(
    req: HttpRequest,
    state: web::Data<AppState>,
    provider: Option<web::Data<Arc<dyn SmsProvider>>>,
    path: web::Path<String>,
    body: web::Bytes,
) -> HttpResponse {
    let Some(provider) = provider.filter(|p| p.name() == path.as_str()) else {
        return HttpResponse::NotFound().finish();
    };
    let fields: Vec<(String, String)> = match serde_urlencoded::from_bytes(&body) {
        Ok(f) => f,
        Err(_) => return HttpResponse::BadRequest().body("malformed form"),
    };
    let signature = req.headers().get("x-twilio-signature").and_then(|v| v.to_str().ok()).unwrap_or("");
    let url = format!("{}{}", state.auth.public_url.trim_end_matches('/'), req.uri());
    if !provider.verify(&url, &fields, signature) {
        tracing::warn!("SMS webhook refused: bad signature");
        return HttpResponse::Forbidden().body("invalid signature");
    }
    let field = |name: &str| fields.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str()).unwrap_or("");
    // Twilio's own opt-out handling names the keyword's kind.
    let kind = match field("OptOutType").to_ascii_uppercase().as_str() {
        "STOP" => Reply::Stop,
        "START" => Reply::Start,
        _ => reply(field("Body")),
    };
    let Some(from) = app::domain::phone::e164(field("From"), "") else {
        return twiml();
    };
    let now = state.clock.now();
    let result = async {
        let mut tx = state.db.begin().await?;
        let changed = match kind {
            Reply::Stop => dispatch::opt_out(&mut tx, now, &from, "reply").await?,
            Reply::Start => dispatch::opt_in(&mut tx, &from).await?,
            Reply::Other => false,
        };
        tx.commit().await?;
        Ok::<bool, app::error::AppError>(changed)
    }
    .await;
    match result {
        Ok(changed) => {
            if changed {
                tracing::info!(reply = ?kind, "SMS opt-out changed by a reply");
            }
            twiml()
        }
        Err(e) => {
            tracing::error!(error = ?e, "SMS webhook processing failed");
            HttpResponse::InternalServerError().finish()
        }
    }
}

/// An empty TwiML answer: no automatic reply from us.
fn twiml() -> HttpResponse {
    HttpResponse::Ok().content_type("text/xml").body(r#"<?xml version="1.0" encoding="UTF-8"?><Response></Response>"#)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keywords_read_as_carriers_do() {
        for stop in ["STOP", "stop", " Stop. ", "ARRÊT", "arret", "Unsubscribe", "STOP SMS"] {
            assert_eq!(reply(stop), Reply::Stop, "{stop}");
        }
        for start in ["START", "unstop", "Oui"] {
            assert_eq!(reply(start), Reply::Start, "{start}");
        }
        for other in ["stop sending me these please", "Je paie demain", ""] {
            assert_eq!(reply(other), Reply::Other, "{other}");
        }
    }

    /// The inbound-SMS vector of Twilio's own libraries' tests: this URL,
    /// these fields and this auth token give this signature.
    #[test]
    fn signature_matches_twilio_s_vector() {
        let fields: Vec<(String, String)> = [
            ("ToState", "CA"),
            ("FromState", "CA"),
            ("AccountSid", "ACba8bc05eacf94afdae398e642c9cc32d"),
            ("SmsMessageSid", "SM2003cbd5e6a3701999aa3e5f20ff2787"),
            ("Body", "Orly"),
            ("From", "+14159354345"),
            ("FromCity", "SAN FRANCISCO"),
            ("SmsStatus", "received"),
            ("FromZip", "94107"),
            ("FromCountry", "US"),
            ("To", "+14158141819"),
            ("ToCity", "SAN FRANCISCO"),
            ("ToZip", "94105"),
            ("ToCountry", "US"),
            ("ApiVersion", "2010-04-01"),
            ("SmsSid", "SM2003cbd5e6a3701999aa3e5f20ff2787"),
        ]
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
        let (token, url, expected) = (
            "2bd9e9638872de601313dc77410d3b23",
            "http://twiliotests.heroku.com/validate/sms",
            "mxeiv65lEe0b8L6LdVw2jgJi8yw=",
        );
        assert_eq!(twilio_signature(token, url, &fields), expected);
        let twilio = Twilio::new("AC123", Secret::new(token.into()), "+33600000000", None).unwrap();
        assert!(twilio.verify(url, &fields, expected));
        assert!(!twilio.verify(url, &fields[1..], expected));
        assert!(!twilio.verify("http://twiliotests.heroku.com/validate/voice", &fields, expected));
        assert!(!twilio.verify(url, &fields, "not base64!"));
    }
}
