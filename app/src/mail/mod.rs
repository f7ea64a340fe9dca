//! Outgoing mail: messages are written to the `outbox` table in the same
//! flow as the change that caused them; the server's sender delivers them
//! over SMTP with retries, or leaves them for the owner to read.

use crate::db::Tx;
use crate::domain::Locale;
use crate::error::AppResult;
use crate::with_tx;
use chrono::{DateTime, Utc};

pub mod messages;
pub use messages::{DisputeFacts, DisputeNotice, Message, PromiseFacts, PromiseNotice, Rendered};

/// Renders `message` in the recipient's language and queues it inside the
/// caller's transaction.
pub async fn send(
    tx: &mut Tx,
    now: DateTime<Utc>,
    to: &str,
    locale: Locale,
    message: &Message<'_>,
    account_id: Option<i64>,
) -> AppResult<()> {
    let Rendered { subject, body } = message.render(locale);
    enqueue_tx(tx, now, to, &subject, &body, account_id).await
}

/// `send`, with the PDF of an invoice attached (the mailer renders it when
/// the message leaves).
pub async fn send_with_invoice(
    tx: &mut Tx,
    now: DateTime<Utc>,
    to: &str,
    locale: Locale,
    message: &Message<'_>,
    account_id: i64,
    invoice_id: i64,
) -> AppResult<()> {
    let Rendered { subject, body } = message.render(locale);
    with_tx!(tx, |conn| {
        sqlx::query(
            "INSERT INTO outbox (to_address, subject, body_text, status, attempts, next_attempt_at, account_id,
                 created_at, invoice_id)
             VALUES ($1, $2, $3, 'pending', 0, $4, $5, $4, $6)",
        )
        .bind(to)
        .bind(&subject)
        .bind(&body)
        .bind(now)
        .bind(account_id)
        .bind(invoice_id)
        .execute(conn)
        .await
        .map(|r| r.rows_affected())
    })?;
    Ok(())
}

/// Queues a message inside the caller's transaction: it leaves if and only
/// if the change that caused it is committed.
pub async fn enqueue_tx(
    tx: &mut Tx,
    now: DateTime<Utc>,
    to: &str,
    subject: &str,
    body: &str,
    account_id: Option<i64>,
) -> AppResult<()> {
    enqueue_id_tx(tx, now, to, subject, body, account_id).await.map(|_| ())
}

/// `enqueue_tx`, answering the outbox row's id (for whatever names it).
pub async fn enqueue_id_tx(
    tx: &mut Tx,
    now: DateTime<Utc>,
    to: &str,
    subject: &str,
    body: &str,
    account_id: Option<i64>,
) -> AppResult<i64> {
    let id = with_tx!(tx, |conn| {
        sqlx::query_scalar(
            "INSERT INTO outbox (to_address, subject, body_text, status, attempts, next_attempt_at, account_id, created_at)
             VALUES ($1, $2, $3, 'pending', 0, $4, $5, $4) RETURNING id",
        )
        .bind(to)
        .bind(subject)
        .bind(body)
        .bind(now)
        .bind(account_id)
        .fetch_one(conn)
        .await
    })?;
    Ok(id)
}

/// Queues a message carrying a single-use link (invitation, password
/// reset). The link lives in the outbox only while an SMTP server is there
/// to deliver it (the sender redacts it once sent, or given up); without
/// one the message is kept with its link redacted, since nobody but its
/// recipient may ever read it — the server's administrator hands out a
/// fresh link with `relance link --email …`.
pub async fn enqueue_link_tx(
    tx: &mut Tx,
    now: DateTime<Utc>,
    delivery: bool,
    to: &str,
    subject: &str,
    body: &str,
    account_id: Option<i64>,
) -> AppResult<()> {
    let stored = if delivery { body.to_string() } else { redact_links(body) };
    enqueue_tx(tx, now, to, subject, &stored, account_id).await
}

/// Staff to tell about an account: its collector, or the owners when it has
/// none (or an inactive one). E-mail address and language.
pub async fn collector_or_owners(tx: &mut Tx, account_id: i64) -> AppResult<Vec<(String, Locale)>> {
    let rows: Vec<(String, Option<String>)> = with_tx!(tx, |conn| {
        sqlx::query_as(
            "SELECT u.email, u.locale FROM users u JOIN accounts a ON a.collector_id = u.id WHERE a.id = $1 AND u.active
             UNION
             SELECT u.email, u.locale FROM users u
             WHERE u.role = 'owner' AND u.active AND NOT EXISTS (
                 SELECT 1 FROM accounts a JOIN users c ON c.id = a.collector_id WHERE a.id = $1 AND c.active)",
        )
        .bind(account_id)
        .fetch_all(&mut *conn)
        .await
    })?;
    Ok(rows.into_iter().map(|(e, l)| (e, l.as_deref().and_then(Locale::parse).unwrap_or_default())).collect())
}

/// The active owners: they decide disputes.
pub async fn owners(tx: &mut Tx) -> AppResult<Vec<(String, Locale)>> {
    let rows: Vec<(String, Option<String>)> = with_tx!(tx, |conn| {
        sqlx::query_as("SELECT email, locale FROM users WHERE role = 'owner' AND active ORDER BY id")
            .fetch_all(&mut *conn)
            .await
    })?;
    Ok(rows.into_iter().map(|(e, l)| (e, l.as_deref().and_then(Locale::parse).unwrap_or_default())).collect())
}

/// The merchant's name for e-mails, "Relance" until one is set.
pub async fn company_name(conn: crate::db::Conn<'_>) -> AppResult<String> {
    let name: Option<String> = crate::with_conn!(conn, |c| {
        sqlx::query_scalar("SELECT company_name FROM merchant WHERE id = 1").fetch_optional(&mut *c).await
    })?;
    Ok(name.filter(|n| !n.is_empty()).unwrap_or_else(|| "Relance".to_string()))
}

/// Replaces the tokens of single-use links by `[sent]`: once a message has
/// left (or cannot), nobody reading the outbox (or a backup) can use its
/// link. The outbox page shows every message through it.
pub fn redact_links(body: &str) -> String {
    let mut out = String::with_capacity(body.len());
    let mut rest = body;
    while let Some(pos) = ["/reset/", "/invite/"].iter().filter_map(|m| rest.find(m).map(|p| (p, m.len()))).min() {
        let (at, len) = pos;
        out.push_str(&rest[..at + len]);
        rest = &rest[at + len..];
        let token_len = rest.find(|c: char| !c.is_ascii_hexdigit()).unwrap_or(rest.len());
        if token_len > 0 {
            out.push_str("[sent]");
        }
        rest = &rest[token_len..];
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::redact_links;

    #[test]
    fn links_are_redacted_but_text_kept() {
        let body = "Hello,\nhttps://x.example/reset/0a1b2c\nand https://x.example/invite/ffee then /reset/ alone.\n";
        assert_eq!(
            redact_links(body),
            "Hello,\nhttps://x.example/reset/[sent]\nand https://x.example/invite/[sent] then /reset/ alone.\n"
        );
        assert_eq!(redact_links("no links"), "no links");
    }
}
