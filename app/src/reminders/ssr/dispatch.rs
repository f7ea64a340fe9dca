//! How a reminder reaches its account, written in the caller's
//! transaction: the e-mail outbox, with the PDF of each invoice it covers
//! (the mailer renders them as the message leaves), or the SMS outbox (the
//! server's SMS provider delivers it). A number that replied STOP is not
//! texted: the step falls back to a letter.

use super::super::Hold;
use crate::db::Tx;
use crate::domain::phone;
use crate::error::AppResult;
use crate::with_tx;
use chrono::{DateTime, Utc};

/// Where an account can be reached.
pub(crate) struct Reach {
    pub email: String,
    /// Its number as E.164, if it has one that can be texted.
    pub mobile: Result<String, Hold>,
}

/// The account's addresses as they stand in `tx`.
pub(crate) async fn reach(tx: &mut Tx, account_id: i64) -> AppResult<Reach> {
    let (email, raw_phone, country): (String, String, String) = with_tx!(tx, |c| {
        sqlx::query_as("SELECT billing_email, billing_phone, country FROM accounts WHERE id = $1")
            .bind(account_id)
            .fetch_one(&mut *c)
            .await
    })?;
    let mobile = match phone::e164(&raw_phone, &country) {
        None => Err(Hold::NoAddress),
        Some(number) => {
            let stopped: Option<String> = with_tx!(tx, |c| {
                sqlx::query_scalar("SELECT source FROM sms_opt_outs WHERE phone = $1")
                    .bind(&number)
                    .fetch_optional(&mut *c)
                    .await
            })?;
            if stopped.is_some() {
                Err(Hold::SmsStopped)
            } else {
                Ok(number)
            }
        }
    };
    Ok(Reach { email, mobile })
}

/// Queues the reminder's e-mail with its invoices' PDFs and links it to
/// the reminder.
pub(crate) async fn email(
    tx: &mut Tx,
    now: DateTime<Utc>,
    reminder_id: i64,
    account_id: i64,
    to: &str,
    (subject, body): (&str, &str),
) -> AppResult<i64> {
    let outbox = crate::mail::enqueue_id_tx(tx, now, to, subject, body, Some(account_id)).await?;
    // The mailer attaches the invoices the reminder covers, found through it.
    with_tx!(tx, |c| {
        sqlx::query("UPDATE reminders SET outbox_id = $2 WHERE id = $1")
            .bind(reminder_id)
            .bind(outbox)
            .execute(&mut *c)
            .await
            .map(|r| r.rows_affected())
    })?;
    Ok(outbox)
}

/// Queues the reminder's text message.
pub(crate) async fn sms(
    tx: &mut Tx,
    now: DateTime<Utc>,
    reminder_id: i64,
    account_id: i64,
    to: &str,
    body: &str,
) -> AppResult<i64> {
    let id = with_tx!(tx, |c| {
        sqlx::query_scalar(
            "INSERT INTO sms_outbox (account_id, reminder_id, to_phone, body, status, next_attempt_at, created_at)
             VALUES ($1, $2, $3, $4, 'pending', $5, $5) RETURNING id",
        )
        .bind(account_id)
        .bind(reminder_id)
        .bind(to)
        .bind(body)
        .bind(now)
        .fetch_one(&mut *c)
        .await
    })?;
    Ok(id)
}

/// Records that `phone` (E.164) asked for no more texts (`source`:
/// `reply` or `provider`); answers whether it was new.
pub async fn opt_out(tx: &mut Tx, now: DateTime<Utc>, phone: &str, source: &str) -> AppResult<bool> {
    let added = with_tx!(tx, |c| {
        sqlx::query(
            "INSERT INTO sms_opt_outs (phone, source, opted_out_at) VALUES ($1, $2, $3) ON CONFLICT (phone) DO NOTHING",
        )
        .bind(phone)
        .bind(source)
        .bind(now)
        .execute(&mut *c)
        .await
        .map(|r| r.rows_affected())
    })?;
    // Texts still waiting for the number stay unsent.
    with_tx!(tx, |c| {
        sqlx::query(
            "UPDATE sms_outbox SET status = 'blocked', last_error = 'opted out' WHERE to_phone = $1 AND status = 'pending'",
        )
        .bind(phone)
        .execute(&mut *c)
        .await
        .map(|r| r.rows_affected())
    })?;
    Ok(added == 1)
}

/// `phone` texted START (or UNSTOP): texts may go again.
pub async fn opt_in(tx: &mut Tx, phone: &str) -> AppResult<bool> {
    let removed = with_tx!(tx, |c| {
        sqlx::query("DELETE FROM sms_opt_outs WHERE phone = $1")
            .bind(phone)
            .execute(&mut *c)
            .await
            .map(|r| r.rows_affected())
    })?;
    Ok(removed == 1)
}
