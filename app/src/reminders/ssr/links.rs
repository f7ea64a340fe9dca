//! The one-click links of a reminder e-mail: to pay, to promise a date and
//! to dispute, each a signed, expiring token (HS256 with the server's key,
//! audience `relance-reminder`, so it is worth nothing as a session or a
//! pay link) naming the account, the invoices and the action. `/r/{token}`
//! lands on the portal page for those invoices (still open ones only):
//! directly for a contact of the account who is signed in, through the
//! sign-in page otherwise. The token opens nothing by itself; it keeps the
//! link from being altered or reused for ever. Tokens never reach the logs
//! (`/r/…` paths are redacted).

use crate::auth::ssr::Principal;
use crate::domain::Role;
use crate::error::{AppError, AppResult};
use crate::i18n::Msg;
use crate::state::AppState;
use crate::with_db;
use chrono::{DateTime, Duration, Utc};
use jsonwebtoken::{decode, encode, Algorithm, DecodingKey, EncodingKey, Header};
use serde::{Deserialize, Serialize};

pub const AUDIENCE: &str = "relance-reminder";
/// How long a reminder's links work.
pub const VALID_DAYS: i64 = 45;

/// What a link does.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LinkAction {
    Pay,
    Promise,
    Dispute,
}

#[derive(Debug, Serialize, Deserialize)]
struct Claims {
    aud: String,
    acc: i64,
    inv: Vec<i64>,
    act: LinkAction,
    iat: i64,
    exp: i64,
}

/// The link for `action` on `invoices` of `account_id`.
pub fn url(
    state: &AppState,
    account_id: i64,
    invoices: &[i64],
    action: LinkAction,
    now: DateTime<Utc>,
) -> AppResult<String> {
    let claims = Claims {
        aud: AUDIENCE.into(),
        acc: account_id,
        inv: invoices.to_vec(),
        act: action,
        iat: now.timestamp(),
        exp: (now + Duration::days(VALID_DAYS)).timestamp(),
    };
    let key = EncodingKey::from_secret(&state.auth.jwt_secret);
    let token = encode(&Header::new(Algorithm::HS256), &claims, &key).map_err(AppError::internal)?;
    Ok(format!("{}/r/{token}", state.auth.public_url))
}

/// The account, invoices and action of a genuine, unexpired token.
pub fn verify(secret: &[u8], token: &str, now: DateTime<Utc>) -> AppResult<(i64, Vec<i64>, LinkAction)> {
    let v = crate::payments::paylink::validation(AUDIENCE);
    let data = decode::<Claims>(token, &DecodingKey::from_secret(secret), &v)
        .map_err(|_| AppError::Refused(Msg::LinkInvalid))?;
    if data.claims.exp <= now.timestamp() {
        return Err(AppError::Refused(Msg::LinkInvalid));
    }
    Ok((data.claims.acc, data.claims.inv, data.claims.act))
}

/// Where a link takes `principal` (`None`: not signed in): the portal page
/// for the invoices still open, through the sign-in page unless the caller
/// is a contact of the account. A bad or expired link lands on the portal
/// (its overview, after signing in).
pub async fn landing(state: &AppState, principal: Option<&Principal>, token: &str) -> AppResult<String> {
    let Ok((account_id, invoices, action)) = verify(&state.auth.jwt_secret, token, state.clock.now()) else {
        return Ok("/portal".into());
    };
    let mut open = Vec::new();
    for id in invoices {
        let still: Option<i64> = with_db!(&state.db, |pool| {
            sqlx::query_scalar(
                "SELECT id FROM invoices WHERE id = $1 AND account_id = $2 AND status = 'issued' AND balance_minor > 0",
            )
            .bind(id)
            .bind(account_id)
            .fetch_optional(pool)
            .await
        })?;
        open.extend(still);
    }
    let ids = open.iter().map(i64::to_string).collect::<Vec<_>>().join(",");
    let page = match (action, open.first()) {
        (_, None) => "/portal/invoices".to_string(),
        (LinkAction::Pay, _) => format!("/portal/pay?invoices={ids}"),
        (LinkAction::Promise, _) => format!("/portal/promise?invoices={ids}"),
        (LinkAction::Dispute, Some(first)) => format!("/portal/dispute?inv={first}"),
    };
    match principal {
        Some(p) if p.role == Role::Client && p.account_id == Some(account_id) => Ok(page),
        // Someone else's session: their own portal, not this account's page.
        Some(_) => Ok("/portal".into()),
        None => Ok(format!("/login?next={}", crate::components::urlencode(&page))),
    }
}
