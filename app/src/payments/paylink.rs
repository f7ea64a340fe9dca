//! Pay-by-link: a signed, expiring token for one invoice (HS256 with the
//! server's key, audience `relance-pay`, so it is worth nothing as a session
//! and a session token is worth nothing here). The page it opens shows that
//! invoice and pays it; nothing else of the account is reachable.

use super::*;
use crate::auth::ssr::{Scope, SCOPE_SQL};
use crate::error::{AppError, AppResult};
use crate::state::AppState;
use crate::with_db;
use jsonwebtoken::{decode, encode, Algorithm, DecodingKey, EncodingKey, Header, Validation};

pub const AUDIENCE: &str = "relance-pay";
pub const VALID_DAYS: i64 = 30;

#[derive(Debug, Serialize, Deserialize)]
struct Claims {
    aud: String,
    /// Invoice id.
    inv: i64,
    /// Account id (checked against the invoice).
    acc: i64,
    exp: i64,
    iat: i64,
}

pub fn sign(secret: &[u8], invoice_id: i64, account_id: i64, now: DateTime<Utc>, days: i64) -> AppResult<String> {
    let claims = Claims {
        aud: AUDIENCE.into(),
        inv: invoice_id,
        acc: account_id,
        iat: now.timestamp(),
        exp: (now + chrono::Duration::days(days)).timestamp(),
    };
    encode(&Header::new(Algorithm::HS256), &claims, &EncodingKey::from_secret(secret)).map_err(AppError::internal)
}

/// The invoice and account a token opens, if it is genuine and unexpired.
pub fn verify(secret: &[u8], token: &str, now: DateTime<Utc>) -> AppResult<(i64, i64)> {
    let mut v = Validation::new(Algorithm::HS256);
    v.set_audience(&[AUDIENCE]);
    v.set_required_spec_claims(&["exp", "aud"]);
    // Expiry is checked against the application clock below.
    v.validate_exp = false;
    v.leeway = 0;
    let data = decode::<Claims>(token, &DecodingKey::from_secret(secret), &v)
        .map_err(|_| AppError::Refused(Msg::LinkInvalid))?;
    if data.claims.exp <= now.timestamp() {
        return Err(AppError::Refused(Msg::LinkExpired));
    }
    Ok((data.claims.inv, data.claims.acc))
}

pub async fn create(state: &AppState, scope: Scope, actor: i64, invoice_id: i64) -> AppResult<String> {
    let (all, collector, acc) = scope.binds();
    let sql = format!(
        "SELECT i.account_id FROM invoices i JOIN accounts a ON a.id = i.account_id WHERE {SCOPE_SQL} AND i.id = $4 AND i.status = 'issued'"
    );
    let account_id: Option<i64> = with_db!(&state.db, |pool| {
        sqlx::query_scalar(&sql).bind(all).bind(collector).bind(acc).bind(invoice_id).fetch_optional(pool).await
    })?;
    let account_id = account_id.ok_or(AppError::NotFound)?;
    let now = state.clock.now();
    let token = sign(&state.auth.jwt_secret, invoice_id, account_id, now, VALID_DAYS)?;
    let entry = crate::auth::ssr::Audit::new(Some(actor), "paylink.created", ("invoice", Some(invoice_id)))
        .account(Some(account_id));
    crate::auth::ssr::audit(state, entry).await?;
    Ok(format!("{}/pay/{token}", state.auth.public_url))
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
    let (invoice_id, account_id) = verify(&state.auth.jwt_secret, token, state.clock.now())?;
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
    let page = PayLinkPage {
        company: crate::mail::company_name((&state.db).into()).await?,
        invoice_number: row.number,
        account_name: row.account_name,
        due_date: row.due_date,
        total: Money::new(row.total_minor, currency),
        amount_due: Money::new(row.balance_minor.max(0), currency),
        sandbox: state.gateway.as_sandbox().is_some(),
        idempotency_key: crate::auth::ssr::random_token(),
        payment,
        confirm: None,
    };
    Ok((page, secret))
}

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
    let (invoice_id, account_id) = verify(&state.auth.jwt_secret, token, now)?;
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
    next_step(state, payment_id, &page).await
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn links_are_signed_single_purpose_and_expire() {
        let now = Utc.with_ymd_and_hms(2026, 11, 20, 10, 0, 0).unwrap();
        let key = b"0123456789abcdef0123456789abcdef";
        let token = sign(key, 7, 3, now, 30).unwrap();
        assert_eq!(verify(key, &token, now).unwrap(), (7, 3));
        assert_eq!(verify(key, &token, now + chrono::Duration::days(31)), Err(AppError::Refused(Msg::LinkExpired)));
        assert_eq!(verify(b"another key another key another k", &token, now), Err(AppError::Refused(Msg::LinkInvalid)));
        let mut tampered = token.clone();
        tampered.pop();
        assert!(verify(key, &tampered, now).is_err());
    }
}
