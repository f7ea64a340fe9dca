//! Outgoing mail: messages are written to the `outbox` table in the same
//! flow as the change that caused them; the server's sender delivers them
//! over SMTP with retries, or leaves them for the owner to read.

use crate::db::Db;
use crate::domain::Locale;
use crate::error::AppResult;
use crate::with_db;
use chrono::{DateTime, Utc};

pub async fn enqueue(
    db: &Db,
    now: DateTime<Utc>,
    to: &str,
    subject: &str,
    body: &str,
    account_id: Option<i64>,
) -> AppResult<()> {
    with_db!(db, |pool| {
        sqlx::query(
            "INSERT INTO outbox (to_address, subject, body_text, status, attempts, next_attempt_at, account_id, created_at)
             VALUES ($1, $2, $3, 'pending', 0, $4, $5, $4)",
        )
        .bind(to)
        .bind(subject)
        .bind(body)
        .bind(now)
        .bind(account_id)
        .execute(pool)
        .await
        .map(|r| r.rows_affected())
    })?;
    Ok(())
}

pub fn reset_message(locale: Locale, name: &str, link: &str) -> (String, String) {
    match locale {
        Locale::Fr => (
            "Relance : réinitialisation de votre mot de passe".into(),
            format!("Bonjour {name},\n\nPour choisir un nouveau mot de passe, ouvrez ce lien (valable une heure, une seule fois) :\n{link}\n\nSi vous n'êtes pas à l'origine de cette demande, ignorez ce message.\n"),
        ),
        Locale::En => (
            "Relance: reset your password".into(),
            format!("Hello {name},\n\nTo choose a new password, open this link (valid for one hour, once):\n{link}\n\nIf you did not ask for this, you can ignore this message.\n"),
        ),
    }
}

pub fn invite_message(locale: Locale, name: &str, company: &str, link: &str) -> (String, String) {
    match locale {
        Locale::Fr => (
            format!("{company} vous invite sur Relance"),
            format!("Bonjour {name},\n\n{company} vous a ouvert un accès à Relance. Choisissez votre mot de passe avec ce lien (valable 7 jours) :\n{link}\n"),
        ),
        Locale::En => (
            format!("{company} invited you to Relance"),
            format!("Hello {name},\n\n{company} has given you access to Relance. Choose your password with this link (valid for 7 days):\n{link}\n"),
        ),
    }
}
