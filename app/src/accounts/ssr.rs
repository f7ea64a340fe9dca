//! Debtor accounts in the database: the form's current values, creation,
//! changes and archiving, each in one transaction with its audit entry.
//! Duplicates (code, SIREN, external id) are refused by unique keys and
//! reported on their field.

use super::rules::AccountData;
use super::{AccountEditor, AccountForm, AccountStatus};
use crate::answer::Created;
use crate::audit::{AuditAction, AuditDetails};
use crate::auth::ssr::{audit, Audit, Principal};
use crate::backoffice::StaffRef;
use crate::db::Tx;
use crate::domain::Money;
use crate::error::{AppError, AppResult};
use crate::i18n::Msg;
use crate::state::AppState;
use crate::{with_db, with_tx};
use chrono::{DateTime, Utc};

#[derive(sqlx::FromRow)]
struct Row {
    code: String,
    legal_name: String,
    kind: String,
    siren: Option<String>,
    siret: Option<String>,
    vat_number: Option<String>,
    billing_email: String,
    billing_cc: String,
    billing_phone: String,
    address: String,
    postal_code: String,
    city: String,
    country: String,
    language: String,
    currency: String,
    segment: String,
    payment_terms_days: i32,
    terms_end_of_month: bool,
    credit_limit_minor: i64,
    collector_id: Option<i64>,
    external_id: Option<String>,
    notes: String,
    archived_at: Option<DateTime<Utc>>,
    has_entries: bool,
}

/// Whether the account `a` has invoices or entries (its currency is then
/// fixed).
const HAS_ENTRIES: &str = "(EXISTS (SELECT 1 FROM invoices i WHERE i.account_id = a.id)
    OR EXISTS (SELECT 1 FROM ledger_entries e WHERE e.account_id = a.id))";

fn row_sql() -> String {
    format!(
        "SELECT code, legal_name, kind, siren, siret, vat_number, billing_email, billing_cc, billing_phone,
            address, postal_code, city, country, language, currency, segment, payment_terms_days, terms_end_of_month,
            credit_limit_minor, collector_id, external_id, notes, archived_at, {HAS_ENTRIES} AS has_entries
         FROM accounts a WHERE a.id = $1"
    )
}

/// Active collectors, for the form's choice.
async fn collectors(state: &AppState) -> AppResult<Vec<StaffRef>> {
    let rows = crate::collection::collectors(&state.db).await?;
    Ok(rows.into_iter().map(|(id, name)| StaffRef { id, name }).collect())
}

/// The account's identity, for the account page (the caller checked the
/// scope).
pub async fn identity(state: &AppState, id: i64) -> AppResult<super::AccountIdentity> {
    let sql = row_sql();
    let row: Option<Row> = with_db!(&state.db, |pool| sqlx::query_as(&sql).bind(id).fetch_optional(pool).await)?;
    let r = row.ok_or(AppError::NotFound)?;
    Ok(super::AccountIdentity {
        kind: crate::domain::CustomerKind::parse(&r.kind).unwrap_or_default(),
        siren: r.siren,
        siret: r.siret,
        vat_number: r.vat_number,
        billing_cc: r.billing_cc,
        postal_code: r.postal_code,
        city: r.city,
        country: r.country,
        terms_end_of_month: r.terms_end_of_month,
        external_id: r.external_id,
        notes: r.notes,
        archived: r.archived_at.is_some(),
    })
}

pub async fn editor(state: &AppState, id: Option<i64>) -> AppResult<AccountEditor> {
    let collectors = collectors(state).await?;
    let Some(id) = id else {
        let form = new_form(state).await?;
        return Ok(AccountEditor { id: None, form, status: AccountStatus::Active, currency_locked: false, collectors });
    };
    let (form, status, currency_locked) = stored_form(state, id).await?;
    Ok(AccountEditor { id: Some(id), form, status, currency_locked, collectors })
}

/// A new account's form: the merchant's defaults.
pub async fn new_form(state: &AppState) -> AppResult<AccountForm> {
    let m = crate::settings::ssr::load(state).await?;
    Ok(AccountForm {
        kind: "business".into(),
        country: "FR".into(),
        language: m.default_locale.code().into(),
        currency: m.default_currency.code().into(),
        segment: "standard".into(),
        terms_days: m.payment_terms_days.to_string(),
        terms_basis: "net".into(),
        ..Default::default()
    })
}

/// A stored account's form, its status, and whether its currency is
/// locked (it has entries).
pub async fn stored_form(state: &AppState, id: i64) -> AppResult<(AccountForm, AccountStatus, bool)> {
    let sql = row_sql();
    let row: Option<Row> = with_db!(&state.db, |pool| sqlx::query_as(&sql).bind(id).fetch_optional(pool).await)?;
    let r = row.ok_or(AppError::NotFound)?;
    let currency = crate::ledger::parse_currency(&r.currency)?;
    let mut emails = r.billing_email.clone();
    if !r.billing_cc.is_empty() {
        emails.push_str(", ");
        emails.push_str(&r.billing_cc);
    }
    let form = AccountForm {
        code: r.code,
        legal_name: r.legal_name,
        kind: r.kind,
        siren: r.siren.unwrap_or_default(),
        siret: r.siret.unwrap_or_default(),
        vat_number: r.vat_number.unwrap_or_default(),
        billing_emails: emails,
        phone: r.billing_phone,
        address: r.address,
        postal_code: r.postal_code,
        city: r.city,
        country: r.country,
        language: r.language,
        currency: r.currency,
        segment: r.segment,
        terms_days: r.payment_terms_days.to_string(),
        terms_basis: if r.terms_end_of_month { "end_of_month" } else { "net" }.into(),
        credit_limit: if r.credit_limit_minor == 0 {
            String::new()
        } else {
            Money::new(r.credit_limit_minor, currency).to_decimal().to_string()
        },
        collector_id: r.collector_id.map(|c| c.to_string()).unwrap_or_default(),
        external_id: r.external_id.unwrap_or_default(),
        notes: r.notes,
    };
    let status = if r.archived_at.is_some() { AccountStatus::Archived } else { AccountStatus::Active };
    Ok((form, status, r.has_entries))
}

/// A duplicate code, SIREN or external id, on its field; anything else
/// is internal.
fn duplicate(err: sqlx::Error) -> AppError {
    if let sqlx::Error::Database(e) = &err {
        if e.is_unique_violation() {
            // PostgreSQL names the index, SQLite the column.
            let text = format!("{} {}", e.constraint().unwrap_or_default(), e.message());
            for (needle, field, msg) in [
                ("siren", "siren", Msg::DuplicateSiren),
                ("external_id", "external_id", Msg::DuplicateExternalId),
                ("code", "code", Msg::DuplicateAccountCode),
            ] {
                if text.contains(needle) {
                    return AppError::field(field, msg);
                }
            }
        }
    }
    AppError::from(err)
}

/// The same SIREN, external id or code on another account, reported on
/// every field at once (the unique keys still decide under a race).
async fn check_duplicates(tx: &mut Tx, id: Option<i64>, data: &AccountData) -> AppResult<()> {
    let other = id.unwrap_or(0);
    let mut problems = Vec::new();
    let checks = [
        ("siren", data.siren.as_ref().map(|s| s.as_str().to_string()), Msg::DuplicateSiren),
        ("external_id", data.external_id.clone(), Msg::DuplicateExternalId),
        ("code", data.code.clone(), Msg::DuplicateAccountCode),
    ];
    for (column, value, msg) in checks {
        let Some(value) = value else { continue };
        let sql = format!("SELECT legal_name FROM accounts WHERE {column} = $1 AND id <> $2");
        let taken: Option<String> =
            with_tx!(tx, |c| sqlx::query_scalar(&sql).bind(&value).bind(other).fetch_optional(&mut *c).await)?;
        if taken.is_some() {
            problems.push((column.to_string(), msg));
        }
    }
    if problems.is_empty() {
        Ok(())
    } else {
        Err(AppError::Validation(problems))
    }
}

/// The collector chosen must be an active collector.
async fn check_collector(tx: &mut Tx, collector: Option<i64>) -> AppResult<()> {
    let Some(id) = collector else { return Ok(()) };
    let found: Option<i64> = with_tx!(tx, |c| {
        sqlx::query_scalar("SELECT id FROM users WHERE id = $1 AND role = 'collector' AND active")
            .bind(id)
            .fetch_optional(&mut *c)
            .await
    })?;
    found.map(|_| ()).ok_or_else(|| AppError::field("collector_id", Msg::InvalidInput))
}

fn snapshot(data: &AccountData) -> AuditDetails {
    AuditDetails::default().reference(data.legal_name.clone()).data(serde_json::json!({
        "code": data.code,
        "kind": data.kind.as_str(),
        "siren": data.siren.as_ref().map(|s| s.as_str()),
        "siret": data.siret.as_ref().map(|s| s.as_str()),
        "vat_number": data.vat_number.as_ref().map(|s| s.as_str()),
        "billing_email": data.billing_email.as_ref(),
        "currency": data.currency.code(),
        "terms_days": data.terms.days,
        "terms_end_of_month": data.terms.end_of_month,
        "credit_limit_minor": data.credit_limit.minor,
        "collector_id": data.collector_id,
        "external_id": data.external_id,
    }))
}

/// The columns every write sets, `$1..$21`, in this order.
const FIELDS: &str = "legal_name, kind, siren, siret, vat_number, billing_email, billing_cc, billing_phone, address,
    postal_code, city, country, language, currency, segment, payment_terms_days, terms_end_of_month,
    credit_limit_minor, collector_id, external_id, notes";

macro_rules! bind_fields {
    ($q:expr, $d:expr) => {
        $q.bind(&$d.legal_name)
            .bind($d.kind.as_str())
            .bind($d.siren.as_ref().map(|s| s.as_str()))
            .bind($d.siret.as_ref().map(|s| s.as_str()))
            .bind($d.vat_number.as_ref().map(|s| s.as_str()))
            .bind($d.billing_email.as_ref())
            .bind($d.billing_cc_text())
            .bind(&$d.phone)
            .bind(&$d.address)
            .bind(&$d.postal_code)
            .bind(&$d.city)
            .bind($d.country.as_str())
            .bind($d.language.code())
            .bind($d.currency.code())
            .bind($d.segment.as_str())
            .bind($d.terms.days)
            .bind($d.terms.end_of_month)
            .bind($d.credit_limit.minor)
            .bind($d.collector_id)
            .bind($d.external_id.as_deref())
            .bind($d.notes.as_ref())
    };
}

pub async fn create(state: &AppState, principal: &Principal, data: &AccountData) -> AppResult<Created<AccountStatus>> {
    let mut tx = state.db.begin().await?;
    let created = create_tx(&mut tx, state.clock.now(), principal.user_id, data).await?;
    tx.commit().await?;
    Ok(created)
}

/// `create` inside the caller's transaction (an import writes many).
pub async fn create_tx(
    tx: &mut Tx,
    now: DateTime<Utc>,
    actor: i64,
    data: &AccountData,
) -> AppResult<Created<AccountStatus>> {
    check_duplicates(&mut *tx, None, data).await?;
    check_collector(&mut *tx, data.collector_id).await?;
    // Without a code, a unique placeholder until the id gives `C-00042`.
    let code = data.code.clone().unwrap_or_else(|| format!("new-{}", crate::auth::ssr::random_token()));
    let sql = format!(
        "INSERT INTO accounts ({FIELDS}, code, search_text, created_at, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21,
                 $22, $23, $24, $24) RETURNING id"
    );
    let search = data.search_text();
    let id: i64 = with_tx!(&mut *tx, |c| {
        bind_fields!(sqlx::query_scalar(&sql), data).bind(&code).bind(&search).bind(now).fetch_one(&mut *c).await
    })
    .map_err(duplicate)?;
    if data.code.is_none() {
        let code = free_code(&mut *tx, id).await?;
        let search = AccountData { code: Some(code.clone()), ..data.clone() }.search_text();
        with_tx!(&mut *tx, |c| {
            sqlx::query("UPDATE accounts SET code = $1, search_text = $2 WHERE id = $3")
                .bind(&code)
                .bind(&search)
                .bind(id)
                .execute(&mut *c)
                .await
                .map(|r| r.rows_affected())
        })
        .map_err(duplicate)?;
    }
    let entry = Audit::new(Some(actor), AuditAction::AccountCreated, ("account", Some(id)));
    audit((&mut *tx).into(), now, entry.account(Some(id)).details(snapshot(data))).await?;
    Ok(Created { id, status: AccountStatus::Active })
}

/// `C-00042` from the account's id, or the next suffix if an imported
/// account already took it.
async fn free_code(tx: &mut Tx, id: i64) -> AppResult<String> {
    for n in 0..100 {
        let code = if n == 0 { format!("C-{id:05}") } else { format!("C-{id:05}-{n}") };
        let taken: Option<i64> = with_tx!(tx, |c| {
            sqlx::query_scalar("SELECT id FROM accounts WHERE code = $1").bind(&code).fetch_optional(&mut *c).await
        })?;
        if taken.is_none() {
            return Ok(code);
        }
    }
    Err(AppError::internal(anyhow::anyhow!("no free account code for account {id}")))
}

pub async fn update(
    state: &AppState,
    principal: &Principal,
    id: i64,
    data: &AccountData,
) -> AppResult<Created<AccountStatus>> {
    let mut tx = state.db.begin().await?;
    let saved = update_tx(&mut tx, state.clock.now(), principal.user_id, id, data).await?;
    tx.commit().await?;
    Ok(saved)
}

/// `update` inside the caller's transaction (an import writes many).
pub async fn update_tx(
    tx: &mut Tx,
    now: DateTime<Utc>,
    actor: i64,
    id: i64,
    data: &AccountData,
) -> AppResult<Created<AccountStatus>> {
    // Under the ledger's lock: the currency check below and a posting
    // cannot interleave.
    let locked = crate::ledger::lock(&mut *tx, id).await?;
    let sql = format!("SELECT code, archived_at, {HAS_ENTRIES} FROM accounts a WHERE a.id = $1");
    let (code, archived, has_entries): (String, Option<DateTime<Utc>>, bool) =
        with_tx!(&mut *tx, |c| sqlx::query_as(&sql).bind(id).fetch_one(&mut *c).await)?;
    if data.currency != locked.currency() && has_entries {
        return Err(AppError::field("currency", Msg::CurrencyLocked));
    }
    // An empty code keeps the one the account has.
    let data = AccountData { code: Some(data.code.clone().unwrap_or(code)), ..data.clone() };
    check_duplicates(&mut *tx, Some(id), &data).await?;
    check_collector(&mut *tx, data.collector_id).await?;
    let sets: Vec<String> = FIELDS.split(',').enumerate().map(|(i, f)| format!("{} = ${}", f.trim(), i + 1)).collect();
    let sql = format!(
        "UPDATE accounts SET {}, code = $22, search_text = $23, updated_at = $24 WHERE id = $25",
        sets.join(", ")
    );
    let search = data.search_text();
    with_tx!(&mut *tx, |c| {
        bind_fields!(sqlx::query(&sql), data)
            .bind(data.code.as_deref())
            .bind(&search)
            .bind(now)
            .bind(id)
            .execute(&mut *c)
            .await
            .map(|r| r.rows_affected())
    })
    .map_err(duplicate)?;
    let entry = Audit::new(Some(actor), AuditAction::AccountUpdated, ("account", Some(id)));
    audit((&mut *tx).into(), now, entry.account(Some(id)).details(snapshot(&data))).await?;
    let status = if archived.is_some() { AccountStatus::Archived } else { AccountStatus::Active };
    Ok(Created { id, status })
}

/// Archives an account that owes nothing and holds no credit, or brings
/// one back. Doing what is already done changes nothing.
pub async fn set_status(
    state: &AppState,
    principal: &Principal,
    id: i64,
    status: AccountStatus,
) -> AppResult<Created<AccountStatus>> {
    let now = state.clock.now();
    let mut tx = state.db.begin().await?;
    crate::ledger::lock(&mut tx, id).await?;
    let (balance, unapplied, archived): (i64, i64, Option<DateTime<Utc>>) = with_tx!(&mut tx, |c| {
        sqlx::query_as("SELECT balance_minor, unapplied_minor, archived_at FROM accounts WHERE id = $1")
            .bind(id)
            .fetch_one(&mut *c)
            .await
    })?;
    let now_archived = archived.is_some();
    let archive = status == AccountStatus::Archived;
    if now_archived == archive {
        return Ok(Created { id, status });
    }
    if archive && (balance != 0 || unapplied != 0) {
        return Err(AppError::Conflict(Msg::ArchiveWithBalance));
    }
    with_tx!(&mut tx, |c| {
        sqlx::query("UPDATE accounts SET archived_at = $1, updated_at = $2 WHERE id = $3")
            .bind(archive.then_some(now))
            .bind(now)
            .bind(id)
            .execute(&mut *c)
            .await
            .map(|r| r.rows_affected())
    })?;
    let action = if archive { AuditAction::AccountArchived } else { AuditAction::AccountRestored };
    audit((&mut tx).into(), now, Audit::new(Some(principal.user_id), action, ("account", Some(id))).account(Some(id)))
        .await?;
    tx.commit().await?;
    Ok(Created { id, status })
}
