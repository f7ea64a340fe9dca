//! Pay-by-link: a signed, expiring token for one invoice (HS256 with the
//! server's key, audience `relance-pay`, so it is worth nothing as a session
//! and a session token is worth nothing here). The page it opens shows that
//! invoice and pays it; nothing else of the account is reachable. Each
//! token names its `pay_links` row (claim `jti`): staff see the links of an
//! invoice and revoke them, and a token whose row is revoked opens nothing.
//! Tokens never reach the logs (`/pay/…` paths are redacted).

use super::*;
use crate::auth::ssr::Scope;
use crate::error::{AppError, AppResult};
use crate::state::AppState;
use crate::{with_db, with_tx};
use jsonwebtoken::{decode, encode, Algorithm, DecodingKey, EncodingKey, Header, Validation};

pub const AUDIENCE: &str = "relance-pay";
pub const VALID_DAYS: i64 = 30;

#[derive(Debug, Serialize, Deserialize)]
struct Claims {
    aud: String,
    /// The `pay_links` row.
    jti: String,
    /// Invoice id.
    inv: i64,
    /// Account id (checked against the invoice).
    acc: i64,
    exp: i64,
    iat: i64,
}

pub fn sign(
    secret: &[u8],
    link_id: i64,
    invoice_id: i64,
    account_id: i64,
    now: DateTime<Utc>,
    days: i64,
) -> AppResult<String> {
    let claims = Claims {
        aud: AUDIENCE.into(),
        jti: link_id.to_string(),
        inv: invoice_id,
        acc: account_id,
        iat: now.timestamp(),
        exp: (now + chrono::Duration::days(days)).timestamp(),
    };
    encode(&Header::new(Algorithm::HS256), &claims, &EncodingKey::from_secret(secret)).map_err(AppError::internal)
}

/// How a link token (HS256 with the server's key) is checked: its audience
/// and presence of an expiry; the expiry itself is compared with the
/// application clock by the caller.
pub fn validation(audience: &str) -> Validation {
    let mut v = Validation::new(Algorithm::HS256);
    v.set_audience(&[audience]);
    v.set_required_spec_claims(&["exp", "aud"]);
    v.validate_exp = false;
    v.leeway = 0;
    v
}

/// The link, invoice and account a token names, if it is genuine and
/// unexpired (its row is checked by `verify_live`).
pub fn verify(secret: &[u8], token: &str, now: DateTime<Utc>) -> AppResult<(i64, i64, i64)> {
    let data = decode::<Claims>(token, &DecodingKey::from_secret(secret), &validation(AUDIENCE))
        .map_err(|_| AppError::Refused(Msg::LinkInvalid))?;
    if data.claims.exp <= now.timestamp() {
        return Err(AppError::Refused(Msg::LinkExpired));
    }
    let link = data.claims.jti.parse().map_err(|_| AppError::Refused(Msg::LinkInvalid))?;
    Ok((link, data.claims.inv, data.claims.acc))
}

/// The invoice and account a token opens: genuine, unexpired, and its link
/// neither revoked nor unknown.
pub async fn verify_live(state: &AppState, token: &str) -> AppResult<(i64, i64)> {
    let now = state.clock.now();
    let (link, invoice_id, account_id) = verify(&state.auth.jwt_secret, token, now)?;
    let row: Option<Option<DateTime<Utc>>> = with_db!(&state.db, |pool| {
        sqlx::query_scalar("SELECT revoked_at FROM pay_links WHERE id = $1 AND invoice_id = $2 AND account_id = $3")
            .bind(link)
            .bind(invoice_id)
            .bind(account_id)
            .fetch_optional(pool)
            .await
    })?;
    match row {
        Some(None) => Ok((invoice_id, account_id)),
        Some(Some(_)) => Err(AppError::Refused(Msg::LinkRevoked)),
        None => Err(AppError::Refused(Msg::LinkInvalid)),
    }
}

/// Returns the link's id and its URL (shown once: only its holder pays).
#[tracing::instrument(skip(state))]
pub async fn create(state: &AppState, scope: Scope, actor: i64, invoice_id: i64) -> AppResult<(i64, String)> {
    let (all, collector, acc) = scope.binds();
    let scope_sql = scope.sql();
    let sql = format!(
        "SELECT i.account_id FROM invoices i JOIN accounts a ON a.id = i.account_id WHERE {scope_sql} AND i.id = $4 AND i.status = 'issued'"
    );
    let account_id: Option<i64> = with_db!(&state.db, |pool| {
        sqlx::query_scalar(&sql).bind(all).bind(collector).bind(acc).bind(invoice_id).fetch_optional(pool).await
    })?;
    let account_id = account_id.ok_or(AppError::NotFound)?;
    let now = state.clock.now();
    let mut tx = state.db.begin().await?;
    let link: i64 = with_tx!(&mut tx, |conn| {
        sqlx::query_scalar(
            "INSERT INTO pay_links (invoice_id, account_id, created_by, created_at, expires_at) VALUES ($1, $2, $3, $4, $5)
             RETURNING id",
        )
        .bind(invoice_id)
        .bind(account_id)
        .bind(actor)
        .bind(now)
        .bind(now + chrono::Duration::days(VALID_DAYS))
        .fetch_one(&mut *conn)
        .await
    })?;
    let token = sign(&state.auth.jwt_secret, link, invoice_id, account_id, now, VALID_DAYS)?;
    let entry = crate::auth::ssr::Audit::new(
        Some(actor),
        crate::audit::AuditAction::PayLinkCreated,
        ("invoice", Some(invoice_id)),
    )
    .account(Some(account_id));
    crate::auth::ssr::audit(crate::db::Conn::Tx(&mut tx), now, entry).await?;
    tx.commit().await?;
    Ok((link, format!("{}/pay/{token}", state.auth.public_url)))
}

/// The links of an invoice in scope, newest first (never their tokens).
pub async fn links(state: &AppState, scope: Scope, invoice_id: i64) -> AppResult<Vec<PayLinkView>> {
    let (all, collector, acc) = scope.binds();
    let scope_sql = scope.sql();
    let sql = format!(
        "SELECT l.id, u.name AS created_by, l.created_at, l.expires_at, l.revoked_at
         FROM pay_links l JOIN accounts a ON a.id = l.account_id LEFT JOIN users u ON u.id = l.created_by
         WHERE {scope_sql} AND l.invoice_id = $4 ORDER BY l.id DESC"
    );
    #[derive(sqlx::FromRow)]
    struct Row {
        id: i64,
        created_by: Option<String>,
        created_at: DateTime<Utc>,
        expires_at: DateTime<Utc>,
        revoked_at: Option<DateTime<Utc>>,
    }
    let rows: Vec<Row> = with_db!(&state.db, |pool| {
        sqlx::query_as(&sql).bind(all).bind(collector).bind(acc).bind(invoice_id).fetch_all(pool).await
    })?;
    let now = state.clock.now();
    Ok(rows
        .into_iter()
        .map(|r| PayLinkView {
            id: r.id,
            created_by: r.created_by.unwrap_or_default(),
            created_at: r.created_at,
            expires_at: r.expires_at,
            live: r.revoked_at.is_none() && r.expires_at > now,
            revoked: r.revoked_at.is_some(),
        })
        .collect())
}

/// Revokes a link of an invoice in the caller's scope: it opens nothing
/// from now on.
#[tracing::instrument(skip(state))]
pub async fn revoke(state: &AppState, scope: Scope, actor: i64, link_id: i64) -> AppResult<()> {
    let (all, collector, acc) = scope.binds();
    let scope_sql = scope.sql();
    let sql = format!(
        "SELECT l.invoice_id, l.account_id FROM pay_links l JOIN accounts a ON a.id = l.account_id
         WHERE {scope_sql} AND l.id = $4"
    );
    let found: Option<(i64, i64)> = with_db!(&state.db, |pool| {
        sqlx::query_as(&sql).bind(all).bind(collector).bind(acc).bind(link_id).fetch_optional(pool).await
    })?;
    let (invoice_id, account_id) = found.ok_or(AppError::NotFound)?;
    let now = state.clock.now();
    let mut tx = state.db.begin().await?;
    let n = with_tx!(&mut tx, |conn| {
        sqlx::query("UPDATE pay_links SET revoked_at = $2, revoked_by = $3 WHERE id = $1 AND revoked_at IS NULL")
            .bind(link_id)
            .bind(now)
            .bind(actor)
            .execute(&mut *conn)
            .await
            .map(|r| r.rows_affected())
    })?;
    if n == 1 {
        let entry = crate::auth::ssr::Audit::new(
            Some(actor),
            crate::audit::AuditAction::PayLinkRevoked,
            ("invoice", Some(invoice_id)),
        )
        .account(Some(account_id));
        crate::auth::ssr::audit(crate::db::Conn::Tx(&mut tx), now, entry).await?;
    }
    tx.commit().await?;
    Ok(())
}

#[derive(sqlx::FromRow)]
struct InvoiceRow {
    number: String,
    account_name: String,
    due_date: NaiveDate,
    currency: String,
    total_minor: i64,
    balance_minor: i64,
}

/// The page, and the client secret when its payment waits for the browser
/// (Stripe's Payment Element).
pub async fn view(state: &AppState, token: &str, payment: Option<i64>) -> AppResult<(PayLinkPage, Option<String>)> {
    let (invoice_id, account_id) = verify_live(state, token).await?;
    // Only a payment made from a link for this very invoice is shown; one
    // still in flight is brought up to date first (the payer is back from
    // the bank's page), so the balance below includes it.
    let (payment, secret) = match payment {
        Some(pid) => {
            let ok: Option<i64> = with_db!(&state.db, |pool| {
                sqlx::query_scalar(
                    "SELECT p.id FROM payments p JOIN payment_allocations pa ON pa.payment_id = p.id
                     WHERE p.id = $1 AND p.account_id = $2 AND pa.invoice_id = $3 AND p.source = 'link'",
                )
                .bind(pid)
                .bind(account_id)
                .bind(invoice_id)
                .fetch_optional(pool)
                .await
            })?;
            match ok {
                Some(_) => {
                    let p = ssr::detail(state, Scope::Account(account_id), pid, false).await?.summary;
                    let (changed, secret) = ssr::refresh_in_flight(state, &p).await;
                    let p = if changed {
                        ssr::detail(state, Scope::Account(account_id), pid, false).await?.summary
                    } else {
                        p
                    };
                    (Some(p), secret)
                }
                None => (None, None),
            }
        }
        None => (None, None),
    };
    let row: Option<InvoiceRow> = with_db!(&state.db, |pool| {
        sqlx::query_as(
            "SELECT i.number, a.legal_name AS account_name, i.due_date, i.currency, i.total_minor,
                i.balance_minor
             FROM invoices i JOIN accounts a ON a.id = i.account_id WHERE i.id = $1 AND i.account_id = $2 AND i.status = 'issued'",
        )
        .bind(invoice_id)
        .bind(account_id)
        .fetch_optional(pool)
        .await
    })?;
    let row = row.ok_or(AppError::Refused(Msg::LinkInvalid))?;
    let currency = crate::invoices::ssr::parse_currency(&row.currency)?;
    // The pay flow's own figure (the early-payment discount included); one
    // being paid already keeps the amount due, and paying it is refused.
    let planned = if row.balance_minor > 0 {
        match ssr::plan(state, account_id, &Selection::Invoices(vec![invoice_id])).await {
            Ok(plan) => Some(plan),
            Err(AppError::Internal) => return Err(AppError::Internal),
            Err(_) => None,
        }
    } else {
        None
    };
    let page = PayLinkPage {
        company: crate::mail::company_name((&state.db).into()).await?,
        invoice_number: row.number,
        account_name: row.account_name,
        due_date: row.due_date,
        total: Money::new(row.total_minor, currency),
        amount_due: Money::new(row.balance_minor.max(0), currency),
        pay_now: planned.as_ref().map(|p| p.total),
        discount: planned.as_ref().and_then(|p| p.lines.first()).and_then(|l| l.discount),
        sandbox: state.gateway.as_sandbox().is_some(),
        idempotency_key: crate::auth::ssr::random_token(),
        payment,
        confirm: None,
    };
    Ok((page, secret))
}

#[tracing::instrument(skip_all)]
pub async fn pay(
    state: &AppState,
    token: &str,
    key: &str,
    expected_total: i64,
    number: &str,
    expiry: &str,
    cvc: &str,
) -> AppResult<String> {
    let now = state.clock.now();
    let (invoice_id, account_id) = verify_live(state, token).await?;
    // Card testing through an open page: throttle by address.
    let ip = leptos::prelude::use_context::<leptos_actix::Request>()
        .map(|r| crate::auth::ssr::client_ip(&state.auth, &r))
        .unwrap_or_default();
    crate::auth::ssr::attempt(&state.db, crate::auth::ssr::Limit::LinkIp, &ip, now).await?;
    // Sandbox: the card typed into its form. Stripe: none here; the page
    // then shows Stripe's Payment Element for this payment.
    let details = match state.gateway.as_sandbox() {
        Some(_) => Some(pages::ssr_new_card(state, number, expiry, cvc).await?),
        None => None,
    };
    let one_off_ref = details.as_ref().map(|d| d.gateway_ref.clone());
    let new = ssr::NewPayment {
        account_id,
        selection: Selection::Invoices(vec![invoice_id]),
        expected_total: Some(expected_total),
        idempotency_key: key,
        method_id: None,
        one_off: details,
        source: "link",
        actor: None,
    };
    let (payment_id, _) = ssr::create_payment(state, &new).await?;
    let page = format!("/pay/{token}?payment={payment_id}");
    let return_url = format!("{}{page}", state.auth.public_url);
    ssr::charge(state, payment_id, one_off_ref.as_deref(), &return_url).await?;
    Ok(next_step(state, payment_id, &page).await?.1)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn links_are_signed_single_purpose_and_expire() {
        let now = Utc.with_ymd_and_hms(2026, 11, 20, 10, 0, 0).unwrap();
        let key = b"0123456789abcdef0123456789abcdef";
        let token = sign(key, 11, 7, 3, now, 30).unwrap();
        assert_eq!(verify(key, &token, now).unwrap(), (11, 7, 3));
        assert_eq!(verify(key, &token, now + chrono::Duration::days(31)), Err(AppError::Refused(Msg::LinkExpired)));
        assert_eq!(verify(b"another key another key another k", &token, now), Err(AppError::Refused(Msg::LinkInvalid)));
        let mut tampered = token.clone();
        tampered.pop();
        assert!(verify(key, &tampered, now).is_err());
    }
}
