//! Delivers the outbox over SMTP. Each message is claimed with a lease so
//! two server instances never send the same one; failures back off
//! exponentially and give up after `MAX_ATTEMPTS`.

use crate::settings::SmtpSettings;
use app::state::AppState;
use app::with_db;
use chrono::{DateTime, Datelike, Duration, NaiveDate, Utc};
use lettre::message::header::ContentType;
use lettre::message::{Attachment, MultiPart, SinglePart};
use lettre::transport::smtp::authentication::Credentials;
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};

pub const MAX_ATTEMPTS: i32 = 8;

#[derive(sqlx::FromRow)]
struct Pending {
    id: i64,
    to_address: String,
    subject: String,
    body_text: String,
    attempts: i32,
    next_attempt_at: DateTime<Utc>,
    /// The invoice whose PDF goes with the message.
    invoice_id: Option<i64>,
}

pub fn transport(smtp: &SmtpSettings) -> anyhow::Result<AsyncSmtpTransport<Tokio1Executor>> {
    let builder = match smtp.security.as_str() {
        "none" => AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(&smtp.host),
        "tls" => AsyncSmtpTransport::<Tokio1Executor>::relay(&smtp.host)?,
        _ => AsyncSmtpTransport::<Tokio1Executor>::starttls_relay(&smtp.host)?,
    };
    let mut builder = builder.port(smtp.port);
    if let (Some(user), Some(pass)) = (&smtp.username, &smtp.password) {
        builder = builder.credentials(Credentials::new(user.clone(), pass.expose().to_string()));
    }
    Ok(builder.build())
}

pub fn spawn(
    jobs: &crate::ops::jobs::Jobs,
    state: AppState,
    smtp: SmtpSettings,
    poll_seconds: u64,
) -> anyhow::Result<()> {
    let mailer = transport(&smtp)?;
    jobs.every(std::time::Duration::from_secs(poll_seconds.max(1)), move || {
        let (state, mailer, from) = (state.clone(), mailer.clone(), smtp.from.clone());
        async move { crate::ops::jobs::step("mail delivery", deliver_due(&state, &mailer, &from)).await }
    });
    Ok(())
}

/// The PDF of an invoice as it stands when the message leaves, in its
/// account's language, and its file name.
async fn invoice_attachment(state: &AppState, invoice: i64) -> anyhow::Result<(String, Vec<u8>)> {
    let language: String = with_db!(&state.db, |pool| {
        sqlx::query_scalar("SELECT a.language FROM invoices i JOIN accounts a ON a.id = i.account_id WHERE i.id = $1")
            .bind(invoice)
            .fetch_one(pool)
            .await
    })?;
    let locale = app::domain::Locale::parse(&language).unwrap_or_default();
    let detail = app::invoices::ssr::detail(state, app::auth::ssr::Scope::All, invoice)
        .await
        .map_err(|e| anyhow::anyhow!("invoice {invoice} for an e-mail: {e}"))?;
    let merchant = crate::routes::merchant_info(state).await.map_err(|e| anyhow::anyhow!("merchant: {e}"))?;
    // The invoice as issued, with its e-invoice inside when it has one.
    let pdf = match crate::pdf::facturx_pdf(&merchant, &detail, locale)? {
        Some(pdf) => pdf,
        None => crate::pdf::invoice_pdf(&merchant, &detail, locale)?,
    };
    Ok((format!("{}.pdf", detail.summary.number), pdf))
}

/// The account's statement, when the message is a reminder whose step
/// asks for one: from 1 January, or from the oldest invoice the reminder
/// covers if that is earlier, to the day it leaves; in the account's
/// language. `None` for any other message.
async fn statement_attachment(state: &AppState, outbox_id: i64) -> anyhow::Result<Option<(String, Vec<u8>)>> {
    let asked: Option<(i64, String, Option<NaiveDate>)> = with_db!(&state.db, |pool| {
        sqlx::query_as(
            "SELECT r.account_id, a.language,
                    (SELECT MIN(i.issue_date) FROM reminder_invoices ri JOIN invoices i ON i.id = ri.invoice_id
                     WHERE ri.reminder_id = r.id) AS oldest
             FROM reminders r JOIN reminder_steps s ON s.id = r.step_id JOIN accounts a ON a.id = r.account_id
             WHERE r.outbox_id = $1 AND s.attach_statement",
        )
        .bind(outbox_id)
        .fetch_optional(pool)
        .await
    })?;
    let Some((account, language, oldest)) = asked else { return Ok(None) };
    let today = state.clock.today();
    let january = NaiveDate::from_ymd_opt(today.year(), 1, 1).unwrap_or(today);
    let period = app::exports::Period { from: oldest.map_or(january, |d| d.min(january)), to: today };
    let locale = app::domain::Locale::parse(&language).unwrap_or_default();
    let s = app::statements::ssr::statement_in(state, app::auth::ssr::Scope::All, account, period)
        .await
        .map_err(|e| anyhow::anyhow!("statement of account {account} for a reminder: {e}"))?;
    let merchant = crate::routes::merchant_info(state).await.map_err(|e| anyhow::anyhow!("merchant: {e}"))?;
    let pdf = crate::pdf::statement_pdf(&merchant, &s, locale)?;
    Ok(Some((format!("releve-{}-{}-{}.pdf", s.account_code, s.from, s.to), pdf)))
}

/// The outboxes delivered with a lease.
#[derive(Clone, Copy)]
pub(crate) enum Queue {
    Mail,
    Sms,
}

/// Claims a pending message: pushes its next attempt out; only the
/// instance whose update matched the old value goes on. The lease counts
/// from the claim, not from the start of a round that may have waited on
/// slow servers.
pub(crate) async fn claim(
    state: &AppState,
    queue: Queue,
    id: i64,
    next_attempt_at: DateTime<Utc>,
) -> anyhow::Result<bool> {
    let table = match queue {
        Queue::Mail => "outbox",
        Queue::Sms => "sms_outbox",
    };
    let sql = format!(
        "UPDATE {table} SET next_attempt_at = $1 WHERE id = $2 AND status = 'pending' AND next_attempt_at = $3"
    );
    let lease = state.clock.now() + Duration::minutes(5);
    let claimed = with_db!(&state.db, |pool| {
        sqlx::query(&sql).bind(lease).bind(id).bind(next_attempt_at).execute(pool).await.map(|r| r.rows_affected())
    })?;
    Ok(claimed == 1)
}

/// One delivery round; returns how many messages were sent.
pub async fn deliver_due(
    state: &AppState,
    mailer: &AsyncSmtpTransport<Tokio1Executor>,
    from: &str,
) -> anyhow::Result<usize> {
    let now = state.clock.now();
    let due: Vec<Pending> = with_db!(&state.db, |pool| {
        sqlx::query_as(
            "SELECT id, to_address, subject, body_text, attempts, next_attempt_at, invoice_id FROM outbox
             WHERE status = 'pending' AND next_attempt_at <= $1 ORDER BY id LIMIT 20",
        )
        .bind(now)
        .fetch_all(pool)
        .await
    })?;
    let mut sent = 0;
    for msg in due {
        if !claim(state, Queue::Mail, msg.id, msg.next_attempt_at).await? {
            continue;
        }
        let result = async {
            let builder =
                Message::builder().from(from.parse()?).to(msg.to_address.parse()?).subject(msg.subject.clone());
            // The invoice it names, and those a reminder covers.
            let mut invoices: Vec<i64> = with_db!(&state.db, |pool| {
                sqlx::query_scalar(
                    "SELECT ri.invoice_id FROM reminders r JOIN reminder_invoices ri ON ri.reminder_id = r.id
                     WHERE r.outbox_id = $1 ORDER BY ri.invoice_id",
                )
                .bind(msg.id)
                .fetch_all(pool)
                .await
            })?;
            invoices.extend(msg.invoice_id.filter(|id| !invoices.contains(id)));
            let statement = statement_attachment(state, msg.id).await?;
            let email = if invoices.is_empty() && statement.is_none() {
                builder.header(ContentType::TEXT_PLAIN).body(msg.body_text.clone())?
            } else {
                let mut parts = MultiPart::mixed().singlepart(SinglePart::plain(msg.body_text.clone()));
                for invoice in invoices {
                    let (name, pdf) = invoice_attachment(state, invoice).await?;
                    parts = parts.singlepart(Attachment::new(name).body(pdf, ContentType::parse("application/pdf")?));
                }
                if let Some((name, pdf)) = statement {
                    parts = parts.singlepart(Attachment::new(name).body(pdf, ContentType::parse("application/pdf")?));
                }
                builder.multipart(parts)?
            };
            mailer.send(email).await?;
            Ok::<(), anyhow::Error>(())
        }
        .await;
        let attempts = msg.attempts + 1;
        match result {
            Ok(()) => {
                sent += 1;
                with_db!(&state.db, |pool| {
                    // The stored copy loses its usable links once delivered.
                    sqlx::query(
                        "UPDATE outbox SET status = 'sent', attempts = $1, sent_at = $2, last_error = '', body_text = $3
                         WHERE id = $4",
                    )
                    .bind(attempts)
                    .bind(state.clock.now())
                    .bind(app::mail::redact_links(&msg.body_text))
                    .bind(msg.id)
                    .execute(pool)
                    .await
                    .map(|r| r.rows_affected())
                })?;
            }
            Err(e) => {
                tracing::warn!(outbox_id = msg.id, attempts, error = %e, "mail delivery failed");
                let status = if attempts >= MAX_ATTEMPTS { "failed" } else { "pending" };
                let next = state.clock.now() + Duration::minutes(1_i64 << attempts.min(10));
                let error_text: String = e.to_string().chars().take(500).collect();
                // Given up: its link will never be delivered; do not keep it.
                let body =
                    if status == "failed" { app::mail::redact_links(&msg.body_text) } else { msg.body_text.clone() };
                with_db!(&state.db, |pool| {
                    sqlx::query(
                        "UPDATE outbox SET status = $1, attempts = $2, next_attempt_at = $3, last_error = $4, body_text = $5
                         WHERE id = $6",
                    )
                        .bind(status)
                        .bind(attempts)
                        .bind(next)
                        .bind(&error_text)
                        .bind(&body)
                        .bind(msg.id)
                        .execute(pool)
                        .await
                        .map(|r| r.rows_affected())
                })?;
            }
        }
    }
    Ok(sent)
}
