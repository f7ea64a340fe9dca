//! Back-office queries, each scoped in SQL by the caller.

use super::*;
use crate::auth::ssr::{
    audit, end_sessions_and_links, issue_token_tx, start_reset_for, Audit, Principal, Scope, INVITE_TTL_DAYS,
};
use crate::db::{Arg, Args};
use crate::domain::{Currency, EmailAddress};
use crate::error::AppResult;
use crate::invoices::ssr::{account_ledger, parse_currency};
use crate::state::AppState;
use crate::{bind_args, with_db, with_tx};

pub const ACCOUNTS_PAGE_SIZE: i64 = 30;

/// Accounts in scope ($1..$3) with their stored balance, overdue and
/// disputed figures (kept by `crate::ledger`; overdue leaves out promised
/// invoices and disputed amounts).
const ACCOUNT_ROWS: &str = "WITH rows AS (
        SELECT a.id, a.code, a.legal_name, a.segment, a.currency, a.collector_id, u.name AS collector_name,
               a.billing_email, a.search_text, a.balance_minor, a.overdue_minor, a.disputed_minor
        FROM accounts a
        LEFT JOIN users u ON u.id = a.collector_id
        WHERE SCOPE
    )";

/// The `FROM … WHERE …` of the accounts list: the scope ($1..$3), then
/// only the filters asked for, each a plain predicate.
fn accounts_from_where(scope: Scope, f: &AccountFilter) -> (String, Args) {
    let mut args = Args::default();
    let mut conditions = crate::collection::account_conditions(scope, f.segment, f.collector_id, &mut args);
    let pattern = crate::domain::like_pattern(f.search.as_deref());
    if !pattern.is_empty() {
        conditions.push(format!("a.search_text LIKE {} ESCAPE '\\'", args.push(Arg::Text(pattern))));
    }
    if f.overdue_only {
        conditions.push("a.overdue_minor > 0".into());
    }
    conditions.push(if f.archived { "a.archived_at IS NOT NULL" } else { "a.archived_at IS NULL" }.into());
    (format!("FROM accounts a WHERE {}", conditions.join(" AND ")), args)
}

/// The totals of a list filtered by collector only (or not at all), read
/// from `balance_totals` (kept by triggers on `accounts`) instead of
/// summing every account: `Some(None)` for the whole portfolio,
/// `Some(Some(key))` for one collector's (0: unassigned), `None` when other
/// filters apply and the accounts must be summed.
fn totals_key(scope: Scope, f: &AccountFilter) -> Option<Option<i64>> {
    if f.search.as_deref().is_some_and(|s| !s.trim().is_empty()) || f.segment.is_some() || f.overdue_only || f.archived
    {
        return None;
    }
    match (scope, f.collector_id) {
        (Scope::All, None) => Some(None),
        (Scope::All, Some(key)) => Some(Some(key)),
        (Scope::Collector(c), None) => Some(Some(c)),
        (Scope::Collector(c), Some(key)) if key == c => Some(Some(c)),
        _ => None,
    }
}

#[derive(sqlx::FromRow)]
struct AccountRowDb {
    id: i64,
    code: String,
    legal_name: String,
    segment: String,
    currency: String,
    collector_name: Option<String>,
    balance_minor: i64,
    overdue_minor: i64,
    disputed_minor: i64,
}

#[derive(sqlx::FromRow)]
struct TotalsRow {
    currency: String,
    balance_minor: i64,
    overdue_minor: i64,
}

fn parse_segment(s: &str) -> AppResult<Segment> {
    Segment::parse(s).ok_or_else(|| AppError::internal(anyhow::anyhow!("unknown segment {s:?}")))
}

#[tracing::instrument(skip(state, principal))]
pub async fn list_accounts(state: &AppState, principal: &Principal, f: &AccountFilter) -> AppResult<AccountsPage> {
    let scope = principal.scope();
    // Figures made stale by the days passing are recomputed first (usually
    // nothing to do: one index probe).
    crate::ledger::balances::roll(&state.db, state.clock.today()).await?;
    let (from, args) = accounts_from_where(scope, f);
    let page = f.page.clamp(1, crate::invoices::MAX_PAGE);
    let capped = crate::db::CappedCount::new(&from, page, ACCOUNTS_PAGE_SIZE);
    // Most overdue first: the order of the (overdue, name) indexes.
    let list_sql = format!(
        "SELECT a.id, a.code, a.legal_name, a.segment, a.currency,
                (SELECT u.name FROM users u WHERE u.id = a.collector_id) AS collector_name, a.balance_minor,
                a.overdue_minor, a.disputed_minor
         {from} ORDER BY a.overdue_minor DESC, a.legal_name ASC, a.id ASC LIMIT {ACCOUNTS_PAGE_SIZE} OFFSET {}",
        (page - 1) * ACCOUNTS_PAGE_SIZE
    );
    let (totals_sql, totals_args) = match totals_key(scope, f) {
        Some(key) => {
            let mut targs = Args::default();
            let filter = match key {
                Some(k) => format!("WHERE collector_key = {}", targs.push(Arg::Int(k))),
                None => String::new(),
            };
            let sql = format!(
                "SELECT currency, CAST(SUM(balance_minor) AS BIGINT) AS balance_minor,
                        CAST(SUM(overdue_minor) AS BIGINT) AS overdue_minor
                 FROM balance_totals {filter} GROUP BY currency HAVING SUM(accounts) > 0 ORDER BY currency"
            );
            (sql, targs)
        }
        None => (
            format!(
                "SELECT a.currency, CAST(SUM(a.balance_minor) AS BIGINT) AS balance_minor,
                        CAST(SUM(a.overdue_minor) AS BIGINT) AS overdue_minor
                 {from} GROUP BY a.currency ORDER BY a.currency"
            ),
            args.clone(),
        ),
    };
    let (count, rows, totals): (i64, Vec<AccountRowDb>, Vec<TotalsRow>) = with_db!(&state.db, |pool| {
        let count: i64 = bind_args!(sqlx::query_scalar(&capped.sql), args).fetch_one(pool).await?;
        let rows = bind_args!(sqlx::query_as(&list_sql), args).fetch_all(pool).await?;
        let totals = bind_args!(sqlx::query_as(&totals_sql), totals_args).fetch_all(pool).await?;
        Ok::<_, sqlx::Error>((count, rows, totals))
    })?;
    let items = rows
        .into_iter()
        .map(|r| {
            let c = parse_currency(&r.currency)?;
            Ok(AccountRow {
                id: r.id,
                code: r.code,
                legal_name: r.legal_name,
                segment: parse_segment(&r.segment)?,
                collector_name: r.collector_name,
                balance: Money::new(r.balance_minor, c),
                overdue: Money::new(r.overdue_minor, c),
                disputed: Money::new(r.disputed_minor, c),
            })
        })
        .collect::<AppResult<Vec<_>>>()?;
    let totals = totals
        .into_iter()
        .map(|t| {
            let c = parse_currency(&t.currency)?;
            Ok((Money::new(t.balance_minor, c), Money::new(t.overdue_minor, c)))
        })
        .collect::<AppResult<Vec<_>>>()?;
    // Collectors only see their own portfolio: no point filtering by collector.
    let collectors = if matches!(scope, Scope::All) { collectors(state).await? } else { Vec::new() };
    let counted = capped.counted(count);
    Ok(AccountsPage { items, page, page_count: counted.pages(), more: counted.more, totals, collectors })
}

async fn collectors(state: &AppState) -> AppResult<Vec<StaffRef>> {
    let rows = crate::collection::collectors(&state.db).await?;
    Ok(rows.into_iter().map(|(id, name)| StaffRef { id, name }).collect())
}

#[derive(sqlx::FromRow)]
struct DetailRow {
    id: i64,
    code: String,
    legal_name: String,
    billing_email: String,
    billing_phone: String,
    address: String,
    language: String,
    segment: String,
    collector_id: Option<i64>,
    collector_name: Option<String>,
    payment_terms_days: i32,
    credit_limit_minor: i64,
    currency: String,
}

#[derive(sqlx::FromRow)]
struct ContactDb {
    id: i64,
    name: String,
    email: String,
    phone: String,
    has_password: bool,
    active: bool,
}

#[tracing::instrument(skip(state, principal))]
pub async fn account_detail(state: &AppState, principal: &Principal, id: i64) -> AppResult<AccountDetail> {
    let scope = principal.scope();
    let (all, collector, account) = scope.binds();
    let scope_sql = scope.sql();
    let sql = format!(
        "{} SELECT r.id, r.code, r.legal_name, r.billing_email, a.billing_phone, a.address, a.language, r.segment,
                r.collector_id, r.collector_name, a.payment_terms_days, a.credit_limit_minor, r.currency
         FROM rows r JOIN accounts a ON a.id = r.id WHERE r.id = $4",
        ACCOUNT_ROWS.replace("SCOPE", scope_sql)
    );
    let row: Option<DetailRow> = with_db!(&state.db, |pool| {
        sqlx::query_as(&sql).bind(all).bind(collector).bind(account).bind(id).fetch_optional(pool).await
    })?;
    // Missing and out of scope look the same.
    let row = row.ok_or(AppError::NotFound)?;
    // Exact as of today even before the job rolls the stored figures.
    let figures = crate::ledger::balances::figures((&state.db).into(), id, state.clock.today())
        .await?
        .ok_or(AppError::NotFound)?;
    let contacts: Vec<ContactDb> = with_db!(&state.db, |pool| {
        sqlx::query_as(
            "SELECT id, name, email, phone, (password_hash IS NOT NULL) AS has_password, active
             FROM users WHERE account_id = $1 AND role = 'client' ORDER BY active DESC, name",
        )
        .bind(id)
        .fetch_all(pool)
        .await
    })?;
    let currency: Currency = parse_currency(&row.currency)?;
    let ledger = account_ledger(state, scope, id, 200).await?;
    let can_manage = principal.role == Role::Owner;
    let can_edit = matches!(principal.role, Role::Owner | Role::Accountant);
    let assignable = if can_edit { collectors(state).await? } else { Vec::new() };
    let identity = crate::accounts::ssr::identity(state, id).await?;
    Ok(AccountDetail {
        id: row.id,
        code: row.code,
        legal_name: row.legal_name,
        billing_email: row.billing_email,
        billing_phone: row.billing_phone,
        address: row.address,
        language: Locale::parse(&row.language).unwrap_or_default(),
        segment: parse_segment(&row.segment)?,
        collector: row.collector_id.zip(row.collector_name).map(|(id, name)| StaffRef { id, name }),
        payment_terms_days: row.payment_terms_days,
        credit_limit: Money::new(row.credit_limit_minor, currency),
        balance: Money::new(figures.balance, currency),
        overdue: Money::new(figures.overdue, currency),
        disputed: Money::new(figures.disputed, currency),
        contacts: contacts
            .into_iter()
            .map(|c| ContactRow {
                id: c.id,
                name: c.name,
                email: c.email,
                phone: c.phone,
                invitation_pending: !c.has_password,
                active: c.active,
            })
            .collect(),
        ledger,
        identity,
        can_manage,
        can_edit,
        assignable,
    })
}

#[tracing::instrument(skip(state, principal))]
pub async fn assign_collector(
    state: &AppState,
    principal: &Principal,
    account_id: i64,
    collector: Option<i64>,
) -> AppResult<()> {
    // One statement: the collector is checked as the account is updated.
    let changed = with_db!(&state.db, |pool| {
        sqlx::query(
            "UPDATE accounts SET collector_id = $1 WHERE id = $2
               AND ($1 IS NULL OR EXISTS (SELECT 1 FROM users WHERE id = $1 AND role = 'collector' AND active))",
        )
        .bind(collector)
        .bind(account_id)
        .execute(pool)
        .await
        .map(|r| r.rows_affected())
    })?;
    if changed == 0 {
        let exists: Option<i64> = with_db!(&state.db, |pool| {
            sqlx::query_scalar("SELECT id FROM accounts WHERE id = $1").bind(account_id).fetch_optional(pool).await
        })?;
        return Err(match exists {
            Some(_) => AppError::field("collector_id", Msg::InvalidInput),
            None => AppError::NotFound,
        });
    }
    let details = crate::audit::AuditDetails::default().data(serde_json::json!({ "collector_id": collector }));
    let entry = Audit::new(
        Some(principal.user_id),
        crate::audit::AuditAction::AccountAssignCollector,
        ("account", Some(account_id)),
    );
    audit((&state.db).into(), state.clock.now(), entry.account(Some(account_id)).details(details)).await
}

#[derive(sqlx::FromRow)]
struct TeamRow {
    id: i64,
    name: String,
    email: String,
    role: String,
    account_name: Option<String>,
    has_password: bool,
    active: bool,
}

pub async fn list_team(state: &AppState) -> AppResult<Vec<TeamMember>> {
    let rows: Vec<TeamRow> = with_db!(&state.db, |pool| {
        sqlx::query_as(
            "SELECT u.id, u.name, u.email, u.role, a.legal_name AS account_name,
                    (u.password_hash IS NOT NULL) AS has_password, u.active
             FROM users u LEFT JOIN accounts a ON a.id = u.account_id
             WHERE u.role <> 'client' OR u.password_hash IS NULL
             ORDER BY CASE u.role WHEN 'owner' THEN 0 WHEN 'collector' THEN 1 WHEN 'accountant' THEN 2 ELSE 3 END, u.name",
        )
        .fetch_all(pool)
        .await
    })?;
    rows.into_iter()
        .map(|r| {
            Ok(TeamMember {
                role: Role::parse(&r.role).ok_or_else(|| AppError::internal(anyhow::anyhow!("bad role {}", r.role)))?,
                id: r.id,
                name: r.name,
                email: r.email,
                account_name: r.account_name,
                invitation_pending: !r.has_password,
                active: r.active,
            })
        })
        .collect()
}

pub struct InviteInput {
    pub name: String,
    pub email: EmailAddress,
    pub role: Role,
    pub account_id: Option<i64>,
    pub locale: Locale,
}

impl InviteInput {
    /// Validates every field and reports all problems at once.
    pub fn parse(
        name: &str,
        email: &str,
        role: &str,
        account_id: Option<&str>,
        locale: &str,
    ) -> AppResult<InviteInput> {
        let mut errors = Vec::new();
        let name = name.trim().to_string();
        if name.is_empty() || name.chars().count() > 120 {
            errors.push(("name".to_string(), Msg::RequiredField));
        }
        let email = EmailAddress::parse(email);
        if email.is_none() {
            errors.push(("email".to_string(), Msg::InvalidEmail));
        }
        let role = Role::parse(role);
        if role.is_none() {
            errors.push(("role".to_string(), Msg::InvalidInput));
        }
        let account_id = match account_id.map(str::trim) {
            None | Some("") => None,
            Some(s) => match s.parse::<i64>() {
                Ok(id) => Some(id),
                Err(_) => {
                    errors.push(("account_id".to_string(), Msg::InvalidInput));
                    None
                }
            },
        };
        if role == Some(Role::Client) && account_id.is_none() {
            errors.push(("account_id".to_string(), Msg::RequiredField));
        }
        match (errors.is_empty(), email, role) {
            (true, Some(email), Some(role)) => Ok(InviteInput {
                name,
                email,
                role,
                account_id: if role == Role::Client { account_id } else { None },
                locale: Locale::parse(locale).unwrap_or_default(),
            }),
            _ => Err(AppError::Validation(errors)),
        }
    }
}

/// Invites a user. Returns what the owner is told: sent, or (without a mail
/// server) how the person gets the link.
#[tracing::instrument(skip_all)]
pub async fn invite(state: &AppState, principal: &Principal, input: InviteInput) -> AppResult<Msg> {
    let now = state.clock.now();
    if let Some(account_id) = input.account_id {
        let exists: Option<i64> = with_db!(&state.db, |pool| {
            sqlx::query_scalar("SELECT id FROM accounts WHERE id = $1").bind(account_id).fetch_optional(pool).await
        })?;
        if exists.is_none() {
            return Err(AppError::field("account_id", Msg::InvalidInput));
        }
    }
    let company = crate::mail::company_name((&state.db).into()).await?;
    // The user, the link, its e-mail and the audit entry: all or nothing.
    let mut tx = state.db.begin().await?;
    let inserted: Result<i64, sqlx::Error> = with_tx!(&mut tx, |conn| {
        sqlx::query_scalar(
            "INSERT INTO users (email, name, role, account_id, locale, active, created_at)
             VALUES ($1, $2, $3, $4, $5, TRUE, $6) RETURNING id",
        )
        .bind(input.email.as_ref())
        .bind(&input.name)
        .bind(input.role.as_str())
        .bind(input.account_id)
        .bind(input.locale.code())
        .bind(now)
        .fetch_one(conn)
        .await
    });
    let user_id = match inserted {
        Ok(id) => id,
        Err(sqlx::Error::Database(e)) if e.is_unique_violation() => {
            return Err(AppError::field("email", Msg::EmailTaken))
        }
        Err(e) => return Err(e.into()),
    };
    let token = issue_token_tx(&mut tx, now, user_id, "invite", chrono::Duration::days(INVITE_TTL_DAYS)).await?;
    let link = format!("{}/invite/{token}", state.auth.public_url.trim_end_matches('/'));
    let crate::mail::Rendered { subject, body } =
        crate::mail::Message::Invitation { name: &input.name, company: &company, link: &link }.render(input.locale);
    crate::mail::enqueue_link_tx(
        &mut tx,
        now,
        state.mail_delivery,
        input.email.as_ref(),
        &subject,
        &body,
        input.account_id,
    )
    .await?;
    let details = crate::audit::AuditDetails::default()
        .code(input.role.as_str())
        .reference(input.email.as_ref())
        .data(serde_json::json!({ "role": input.role.as_str(), "email": input.email.as_ref() }));
    let entry = Audit::new(Some(principal.user_id), crate::audit::AuditAction::UserInvite, ("user", Some(user_id)));
    audit(crate::db::Conn::Tx(&mut tx), now, entry.account(input.account_id).details(details)).await?;
    tx.commit().await?;
    Ok(if state.mail_delivery { Msg::InvitationSent } else { Msg::InvitationNoMail })
}

#[derive(sqlx::FromRow)]
struct OutboxRow {
    id: i64,
    to_address: String,
    subject: String,
    body_text: String,
    status: String,
    attempts: i32,
    last_error: String,
    created_at: DateTime<Utc>,
}

pub async fn list_outbox(state: &AppState, page: i64) -> AppResult<OutboxListing> {
    const PAGE_SIZE: i64 = 50;
    let page = page.clamp(1, crate::invoices::MAX_PAGE);
    let count = crate::db::CappedCount::new("FROM outbox", page, PAGE_SIZE);
    let (rows, counted): (Vec<OutboxRow>, i64) = with_db!(&state.db, |pool| {
        let rows = sqlx::query_as(
            "SELECT id, to_address, subject, body_text, status, attempts, last_error, created_at
             FROM outbox ORDER BY id DESC LIMIT $1 OFFSET $2",
        )
        .bind(PAGE_SIZE)
        .bind((page - 1) * PAGE_SIZE)
        .fetch_all(pool)
        .await?;
        let counted = sqlx::query_scalar(&count.sql).fetch_one(pool).await?;
        Ok::<_, sqlx::Error>((rows, counted))
    })?;
    let counted = count.counted(counted);
    let items = rows
        .into_iter()
        .map(|r| OutboxMessage {
            id: r.id,
            to_address: r.to_address,
            subject: r.subject,
            // Never a live link, whoever reads the outbox: a reset link for
            // a co-owner would let the reader become them.
            body_text: crate::mail::redact_links(&r.body_text),
            status: r.status,
            attempts: r.attempts,
            last_error: r.last_error,
            created_at: r.created_at,
        })
        .collect();
    Ok(OutboxListing { items, page, page_count: counted.pages(), more: counted.more })
}

#[derive(sqlx::FromRow)]
struct ChoiceRow {
    id: i64,
    code: String,
    legal_name: String,
}

pub async fn account_choices(state: &AppState) -> AppResult<Vec<AccountChoice>> {
    let rows: Vec<ChoiceRow> = with_db!(&state.db, |pool| {
        sqlx::query_as("SELECT id, code, legal_name FROM accounts WHERE archived_at IS NULL ORDER BY legal_name")
            .fetch_all(pool)
            .await
    })?;
    Ok(rows.into_iter().map(|r| AccountChoice { id: r.id, code: r.code, legal_name: r.legal_name }).collect())
}

#[tracing::instrument(skip(state, principal))]
pub async fn user_action(state: &AppState, principal: &Principal, user_id: i64, op: UserOp) -> AppResult<Msg> {
    let account_id: Option<Option<i64>> = with_db!(&state.db, |pool| {
        sqlx::query_scalar("SELECT account_id FROM users WHERE id = $1").bind(user_id).fetch_optional(pool).await
    })?;
    let account_id = account_id.ok_or(AppError::NotFound)?;
    if op == UserOp::SendLink {
        start_reset_for(state, user_id, Some(principal.user_id)).await?;
        return Ok(if state.mail_delivery { Msg::LinkSent } else { Msg::LinkNoMail });
    }
    let active = op == UserOp::Reactivate;
    if !active && user_id == principal.user_id {
        return Err(AppError::Refused(Msg::CannotChangeSelf));
    }
    let now = state.clock.now();
    let mut tx = state.db.begin().await?;
    with_tx!(&mut tx, |conn| {
        sqlx::query("UPDATE users SET active = $1 WHERE id = $2")
            .bind(active)
            .bind(user_id)
            .execute(&mut *conn)
            .await
            .map(|r| r.rows_affected())
    })?;
    if !active {
        // Signed out everywhere at once, and no link lets them back in.
        end_sessions_and_links(&mut tx, now, user_id, None).await?;
    }
    let action =
        if active { crate::audit::AuditAction::UserReactivate } else { crate::audit::AuditAction::UserDeactivate };
    audit(
        crate::db::Conn::Tx(&mut tx),
        now,
        Audit::new(Some(principal.user_id), action, ("user", Some(user_id))).account(account_id),
    )
    .await?;
    tx.commit().await?;
    Ok(Msg::UserUpdated)
}

/// An account's audit entries, newest first, if the account is in scope.
#[tracing::instrument(skip(state))]
pub async fn timeline(state: &AppState, scope: Scope, account_id: i64, limit: i64) -> AppResult<Vec<TimelineEvent>> {
    let (all, collector, account) = scope.binds();
    let scope_sql = scope.sql();
    let sql = format!("SELECT a.id FROM accounts a WHERE {scope_sql} AND a.id = $4");
    let found: Option<i64> = with_db!(&state.db, |pool| {
        sqlx::query_scalar(&sql).bind(all).bind(collector).bind(account).bind(account_id).fetch_optional(pool).await
    })?;
    found.ok_or(AppError::NotFound)?;
    let rows: Vec<(chrono::DateTime<chrono::Utc>, Option<String>, String, String)> = with_db!(&state.db, |pool| {
        sqlx::query_as(
            "SELECT l.occurred_at, u.name, l.action, l.details FROM audit_log l LEFT JOIN users u ON u.id = l.actor_user_id
             WHERE l.account_id = $1 ORDER BY l.occurred_at DESC, l.id DESC LIMIT $2",
        )
        .bind(account_id)
        .bind(limit)
        .fetch_all(pool)
        .await
    })?;
    Ok(rows
        .into_iter()
        .map(|(at, actor, action, details): (_, Option<String>, _, String)| TimelineEvent {
            at,
            actor: actor.unwrap_or_default(),
            action,
            details: crate::audit::AuditDetails::from_stored(&details),
        })
        .collect())
}
