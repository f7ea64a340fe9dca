//! Disputes, server side. Every write runs in one transaction that locks
//! the account row first; state changes are compare-and-set on the status,
//! and the credit note is unique per dispute, so two owners approving at
//! once issue one. Every read is scoped in SQL.

use super::attachments::{self, Refusal};
use super::*;
use crate::auth::ssr::{audit_tx, Audit, Principal, Scope};
use crate::collection::account;
use crate::db::Conn;
use crate::db::Tx;
use crate::domain::{Currency, Locale, Role};
use crate::error::AppResult;
use crate::invoices::ssr::parse_currency;
use crate::ledger::{self, balances, Locked, Posting};
use crate::state::AppState;
use crate::{with_db, with_tx};

/// Longest message kept, in characters.
const MAX_MESSAGE: usize = 5000;
/// Largest text field of a multipart form, in bytes.
const MAX_TEXT_FIELD: usize = 20_000;
const MAX_FIELDS: usize = 64;

// ------------------------------------------------------------ forms

/// An uploaded file, before its content is checked.
#[derive(Clone, Debug)]
pub struct Upload {
    pub file_name: String,
    pub bytes: Vec<u8>,
}

/// A decoded multipart form: text fields, then files.
#[derive(Clone, Debug, Default)]
pub struct Form {
    pub fields: Vec<(String, String)>,
    pub files: Vec<Upload>,
}

impl Form {
    pub fn get(&self, name: &str) -> &str {
        self.fields.iter().find(|(n, _)| n == name).map(|(_, v)| v.as_str()).unwrap_or("")
    }

    pub fn all(&self, name: &str) -> Vec<&str> {
        self.fields.iter().filter(|(n, _)| n == name).map(|(_, v)| v.as_str()).collect()
    }
}

fn bad_form(e: impl std::fmt::Display) -> AppError {
    AppError::Request(format!("malformed form: {e}"))
}

/// Reads a multipart body with limits: at most `MAX_PER_MESSAGE` files of
/// `MAX_BYTES` each (reading stops as soon as one is too large), small text
/// fields. An empty file input (no file chosen) is skipped.
pub async fn read_form(data: MultipartData) -> AppResult<Form> {
    let mut multipart = data.into_inner().ok_or_else(|| bad_form("not multipart"))?;
    let mut form = Form::default();
    let mut count = 0;
    while let Some(mut field) = multipart.next_field().await.map_err(bad_form)? {
        count += 1;
        if count > MAX_FIELDS {
            return Err(bad_form("too many fields"));
        }
        let name = field.name().unwrap_or_default().to_string();
        let file_name = field.file_name().map(str::to_string);
        let limit = if file_name.is_some() { attachments::MAX_BYTES } else { MAX_TEXT_FIELD };
        let mut bytes = Vec::new();
        while let Some(chunk) = field.chunk().await.map_err(bad_form)? {
            if bytes.len() + chunk.len() > limit {
                return Err(match file_name {
                    Some(_) => AppError::field("attachments", Msg::AttachmentTooLarge),
                    None => bad_form("text field too long"),
                });
            }
            bytes.extend_from_slice(&chunk);
        }
        match file_name {
            Some(file_name) => {
                if file_name.is_empty() && bytes.is_empty() {
                    continue;
                }
                if form.files.len() == attachments::MAX_PER_MESSAGE {
                    return Err(AppError::field("attachments", Msg::TooManyAttachments));
                }
                form.files.push(Upload { file_name, bytes });
            }
            None => form.fields.push((name, String::from_utf8(bytes).map_err(bad_form)?)),
        }
    }
    Ok(form)
}

/// A checked attachment, ready to store.
struct Checked {
    file_name: String,
    content_type: &'static str,
    sha256: String,
    bytes: Vec<u8>,
}

/// Every file is judged by its content; one refusal refuses the message.
fn check_files(files: &[Upload]) -> AppResult<Vec<Checked>> {
    use sha2::Digest;
    if files.len() > attachments::MAX_PER_MESSAGE {
        return Err(AppError::field("attachments", Msg::TooManyAttachments));
    }
    files
        .iter()
        .map(|f| {
            let kind = attachments::check(&f.bytes).map_err(|r| {
                AppError::field(
                    "attachments",
                    match r {
                        Refusal::Empty => Msg::AttachmentEmpty,
                        Refusal::TooLarge => Msg::AttachmentTooLarge,
                        Refusal::UnsupportedType => Msg::AttachmentType,
                    },
                )
            })?;
            Ok(Checked {
                file_name: attachments::display_name(&f.file_name, kind),
                content_type: kind.content_type(),
                sha256: hex::encode(sha2::Sha256::digest(&f.bytes)),
                bytes: f.bytes.clone(),
            })
        })
        .collect()
}

// ------------------------------------------------------------ opening

#[derive(Clone, Debug)]
pub enum DisputeScope {
    Invoice,
    /// Line numbers (1-based, in invoice order).
    Lines(Vec<i64>),
    /// Major units as typed.
    Amount(String),
}

#[derive(Clone, Debug)]
pub struct NewDispute {
    pub account_id: i64,
    pub invoice_id: i64,
    pub reason: String,
    pub scope: DisputeScope,
    pub message: String,
    pub actor: i64,
}

impl NewDispute {
    pub fn from_form(account_id: i64, actor: i64, form: &Form) -> AppResult<Self> {
        let invoice_id: i64 = form.get("invoice_id").trim().parse().map_err(|_| AppError::NotFound)?;
        let scope = match form.get("scope") {
            "" | "invoice" => DisputeScope::Invoice,
            "lines" => DisputeScope::Lines(
                form.all("line")
                    .into_iter()
                    .map(|l| l.trim().parse::<i64>().map_err(|_| AppError::field("lines", Msg::InvalidInput)))
                    .collect::<AppResult<Vec<_>>>()?,
            ),
            "amount" => DisputeScope::Amount(form.get("amount").to_string()),
            _ => return Err(AppError::field("scope", Msg::InvalidInput)),
        };
        Ok(NewDispute {
            account_id,
            invoice_id,
            reason: form.get("reason").to_string(),
            scope,
            message: form.get("message").to_string(),
            actor,
        })
    }
}

/// Opens a dispute on one of the client's invoices, with its first message
/// and attachments. Returns its id.
pub async fn open(state: &AppState, d: &NewDispute, files: &[Upload]) -> AppResult<i64> {
    let mut errors = Vec::new();
    if DisputeReason::parse(&d.reason).is_none() {
        errors.push(("reason".to_string(), Msg::DisputeReasonRequired));
    }
    let message: String = d.message.trim().chars().take(MAX_MESSAGE).collect();
    if message.is_empty() {
        errors.push(("message".to_string(), Msg::RequiredField));
    }
    if !errors.is_empty() {
        return Err(AppError::Validation(errors));
    }
    let files = check_files(files)?;
    let now = state.clock.now();
    let mut tx = state.db.begin().await?;
    let lock = ledger::lock(&mut tx, d.account_id).await?;
    let row: Option<(String, String, i64)> = with_tx!(&mut tx, |conn| {
        sqlx::query_as(
            "SELECT i.number, i.currency, i.balance_minor
             FROM invoices i WHERE i.id = $1 AND i.account_id = $2 AND i.status = 'issued'",
        )
        .bind(d.invoice_id)
        .bind(d.account_id)
        .fetch_optional(&mut *conn)
        .await
    })?;
    let (number, code, balance) = row.ok_or(AppError::NotFound)?;
    let currency = parse_currency(&code)?;
    if balance <= 0 {
        return Err(AppError::Conflict(Msg::PromiseInvoiceSettled));
    }
    let (scope, amount, lines) = match &d.scope {
        DisputeScope::Invoice => ("invoice", balance, Vec::new()),
        DisputeScope::Lines(lines) => {
            let mut lines = lines.clone();
            lines.sort_unstable();
            lines.dedup();
            let gross = lines_gross(&mut tx, d.invoice_id, &lines).await?;
            ("lines", gross.min(balance), lines)
        }
        DisputeScope::Amount(text) => {
            let m = Money::parse_major(text, currency).map_err(|_| AppError::field("amount", Msg::InvalidAmount))?;
            if m.minor <= 0 || m.minor > balance {
                return Err(AppError::field("amount", Msg::DisputeAmountInvalid));
            }
            ("amount", m.minor, Vec::new())
        }
    };
    let id: Option<i64> = with_tx!(&mut tx, |conn| {
        sqlx::query_scalar(
            "INSERT INTO disputes (account_id, invoice_id, reason, scope, amount_minor, currency, status, created_by, created_at, updated_at)
             VALUES ($1, $2, $3, $4, $5, $6, 'open', $7, $8, $8)
             ON CONFLICT DO NOTHING RETURNING id",
        )
        .bind(d.account_id)
        .bind(d.invoice_id)
        .bind(&d.reason)
        .bind(scope)
        .bind(amount)
        .bind(currency.code())
        .bind(d.actor)
        .bind(now)
        .fetch_optional(&mut *conn)
        .await
    })?;
    // The partial unique index: one dispute in progress per invoice.
    let id = id.ok_or(AppError::Conflict(Msg::DisputeAlreadyOpen))?;
    for line in &lines {
        with_tx!(&mut tx, |conn| {
            sqlx::query("INSERT INTO dispute_lines (dispute_id, line_no) VALUES ($1, $2)")
                .bind(id)
                .bind(line)
                .execute(&mut *conn)
                .await
                .map(|r| r.rows_affected())
        })?;
    }
    let message_id = post_tx(&mut tx, id, Some(d.actor), MessageKind::Message, &message, now).await?;
    store_files(&mut tx, id, message_id, &files, now).await?;
    let details = format!("{} {}", d.reason, Money::new(amount, currency).format(Locale::En));
    audit_tx(
        &mut tx,
        now,
        Audit::new(Some(d.actor), "dispute.opened", ("dispute", Some(id)))
            .account(Some(d.account_id))
            .details(&details),
    )
    .await?;
    let n = Facts { id, account_id: d.account_id, invoice: number, amount: Money::new(amount, currency) };
    notify_staff(&mut tx, state, &n, Notice::Opened, &message).await?;
    balances::refresh(&mut tx, &lock, state.clock.today()).await?;
    tx.commit().await?;
    Ok(id)
}

/// Gross amount (net + tax) of the chosen lines of an invoice.
async fn lines_gross(tx: &mut Tx, invoice_id: i64, lines: &[i64]) -> AppResult<i64> {
    if lines.is_empty() {
        return Err(AppError::field("lines", Msg::DisputeLinesRequired));
    }
    let all: Vec<(i64, i64)> = with_tx!(tx, |conn| {
        sqlx::query_as("SELECT net_minor, tax_minor FROM invoice_lines WHERE invoice_id = $1 ORDER BY position, id")
            .bind(invoice_id)
            .fetch_all(&mut *conn)
            .await
    })?;
    let mut gross: i64 = 0;
    for line in lines {
        // Line numbers come from the form: any i64, checked before use.
        let index = line.checked_sub(1).and_then(|i| usize::try_from(i).ok());
        let Some((net, tax)) = index.and_then(|i| all.get(i)) else {
            return Err(AppError::field("lines", Msg::InvalidInput));
        };
        gross = net
            .checked_add(*tax)
            .and_then(|g| gross.checked_add(g))
            .ok_or_else(|| AppError::field("lines", Msg::InvalidInput))?;
    }
    if gross <= 0 {
        return Err(AppError::field("lines", Msg::InvalidInput));
    }
    Ok(gross)
}

async fn post_tx(
    tx: &mut Tx,
    dispute_id: i64,
    author: Option<i64>,
    kind: MessageKind,
    body: &str,
    now: chrono::DateTime<chrono::Utc>,
) -> AppResult<i64> {
    let id: i64 = with_tx!(tx, |conn| {
        sqlx::query_scalar(
            "INSERT INTO dispute_messages (dispute_id, author_id, kind, body, created_at) VALUES ($1, $2, $3, $4, $5) RETURNING id",
        )
        .bind(dispute_id)
        .bind(author)
        .bind(kind.as_str())
        .bind(body)
        .bind(now)
        .fetch_one(&mut *conn)
        .await
    })?;
    Ok(id)
}

/// Keeps the files' content (once per SHA-256) and links them to a message.
async fn store_files(
    tx: &mut Tx,
    dispute_id: i64,
    message_id: i64,
    files: &[Checked],
    now: chrono::DateTime<chrono::Utc>,
) -> AppResult<()> {
    for f in files {
        let size = i64::try_from(f.bytes.len()).unwrap_or(i64::MAX);
        with_tx!(tx, |conn| {
            sqlx::query(
                "INSERT INTO dispute_files (sha256, size_bytes, content, created_at) VALUES ($1, $2, $3, $4)
                 ON CONFLICT (sha256) DO NOTHING",
            )
            .bind(&f.sha256)
            .bind(size)
            .bind(&f.bytes)
            .bind(now)
            .execute(&mut *conn)
            .await
            .map(|r| r.rows_affected())
        })?;
        with_tx!(tx, |conn| {
            sqlx::query(
                "INSERT INTO dispute_attachments (dispute_id, message_id, file_name, content_type, size_bytes, sha256, created_at)
                 VALUES ($1, $2, $3, $4, $5, $6, $7)",
            )
            .bind(dispute_id)
            .bind(message_id)
            .bind(&f.file_name)
            .bind(f.content_type)
            .bind(size)
            .bind(&f.sha256)
            .bind(now)
            .execute(&mut *conn)
            .await
            .map(|r| r.rows_affected())
        })?;
    }
    Ok(())
}

// ------------------------------------------------------------ reading

#[derive(sqlx::FromRow)]
struct SummaryRow {
    id: i64,
    account_id: i64,
    account_name: String,
    invoice_id: i64,
    invoice_number: String,
    reason: String,
    scope: String,
    amount_minor: i64,
    currency: String,
    status: String,
    approved_minor: i64,
    proposed_minor: Option<i64>,
    decision_note: String,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
}

const SUMMARY_SELECT: &str =
    "SELECT d.id, d.account_id, a.legal_name AS account_name, d.invoice_id, i.number AS invoice_number,
        d.reason, d.scope, d.amount_minor, d.currency, d.status, d.approved_minor, d.proposed_minor, d.decision_note,
        d.created_at, d.updated_at
    FROM disputes d JOIN accounts a ON a.id = d.account_id JOIN invoices i ON i.id = d.invoice_id";

impl SummaryRow {
    fn into_summary(self, today: NaiveDate) -> AppResult<DisputeSummary> {
        let currency = parse_currency(&self.currency)?;
        let bad = |what: &str, v: &str| AppError::internal(anyhow::anyhow!("unknown dispute {what} {v:?}"));
        Ok(DisputeSummary {
            id: self.id,
            account_id: self.account_id,
            account_name: self.account_name,
            invoice_id: self.invoice_id,
            invoice_number: self.invoice_number,
            reason: DisputeReason::parse(&self.reason).ok_or_else(|| bad("reason", &self.reason))?,
            amount: Money::new(self.amount_minor, currency),
            status: DisputeStatus::parse(&self.status).ok_or_else(|| bad("status", &self.status))?,
            approved: Money::new(self.approved_minor, currency),
            proposed: self.proposed_minor.map(|m| Money::new(m, currency)),
            age_days: (today - self.created_at.date_naive()).num_days().max(0),
            created_at: self.created_at,
            updated_at: self.updated_at,
        })
    }
}

async fn summary_row(state: &AppState, scope: Scope, id: i64) -> AppResult<SummaryRow> {
    let (all, collector, acc) = scope.binds();
    let scope_sql = scope.sql();
    let sql = format!("{SUMMARY_SELECT} WHERE {scope_sql} AND d.id = $4");
    let row: Option<SummaryRow> = with_db!(&state.db, |pool| {
        sqlx::query_as(&sql).bind(all).bind(collector).bind(acc).bind(id).fetch_optional(pool).await
    })?;
    // Out of scope and missing look the same.
    row.ok_or(AppError::NotFound)
}

pub async fn summary(state: &AppState, scope: Scope, id: i64) -> AppResult<DisputeSummary> {
    summary_row(state, scope, id).await?.into_summary(state.clock.today())
}

/// `queue` as SQL on the status (alias `d`).
fn queue_sql(queue: &str) -> AppResult<&'static str> {
    Ok(match queue {
        "" | "in_progress" => "d.status IN ('open', 'under_review')",
        "open" => "d.status = 'open'",
        "under_review" => "d.status = 'under_review'",
        "decided" => "d.status IN ('approved', 'partially_approved', 'rejected')",
        "closed" => "d.status = 'closed'",
        "all" => "1 = 1",
        _ => return Err(AppError::field("queue", Msg::InvalidInput)),
    })
}

pub async fn list(state: &AppState, scope: Scope, staff: bool, q: &DisputeQuery) -> AppResult<DisputeListing> {
    let queue = q.queue.as_deref().unwrap_or(if staff { "in_progress" } else { "all" });
    let filter = queue_sql(queue)?;
    let (all, collector, acc) = scope.binds();
    let scope_sql = scope.sql();
    let page = q.page.clamp(1, crate::invoices::MAX_PAGE);
    // Waiting ones oldest first (their age is the point); the rest newest first.
    let order = if matches!(queue, "" | "in_progress" | "open" | "under_review") {
        "d.created_at ASC, d.id ASC"
    } else {
        "d.updated_at DESC, d.id DESC"
    };
    let sql = format!(
        "{SUMMARY_SELECT} WHERE {scope_sql} AND ($4 = 0 OR d.account_id = $4) AND ($5 = 0 OR d.invoice_id = $5) AND {filter}
         ORDER BY {order} LIMIT $6 OFFSET $7"
    );
    let count_sql = "SELECT d.status, COUNT(*) FROM disputes d JOIN accounts a ON a.id = d.account_id
         WHERE SCOPE AND ($4 = 0 OR d.account_id = $4) AND ($5 = 0 OR d.invoice_id = $5) GROUP BY d.status"
        .replace("SCOPE", scope_sql);
    let account_filter = q.account_id.unwrap_or(0);
    let invoice_filter = q.invoice_id.unwrap_or(0);
    let (rows, by_status): (Vec<SummaryRow>, Vec<(String, i64)>) = with_db!(&state.db, |pool| {
        let rows = sqlx::query_as(&sql)
            .bind(all)
            .bind(collector)
            .bind(acc)
            .bind(account_filter)
            .bind(invoice_filter)
            .bind(DISPUTES_PAGE_SIZE)
            .bind((page - 1) * DISPUTES_PAGE_SIZE)
            .fetch_all(pool)
            .await?;
        let counts = sqlx::query_as(&count_sql)
            .bind(all)
            .bind(collector)
            .bind(acc)
            .bind(account_filter)
            .bind(invoice_filter)
            .fetch_all(pool)
            .await?;
        Ok::<_, sqlx::Error>((rows, counts))
    })?;
    let today = state.clock.today();
    let items = rows
        .into_iter()
        .map(|r| {
            // A collector's proposal is for the owner, not the client.
            r.into_summary(today).map(|s| DisputeSummary { proposed: s.proposed.filter(|_| staff), ..s })
        })
        .collect::<AppResult<Vec<_>>>()?;
    let count =
        |statuses: &[&str]| by_status.iter().filter(|(s, _)| statuses.contains(&s.as_str())).map(|(_, n)| n).sum();
    let counts = QUEUES
        .iter()
        .map(|q| {
            let n = match *q {
                "in_progress" => count(&["open", "under_review"]),
                "open" => count(&["open"]),
                "under_review" => count(&["under_review"]),
                "decided" => count(&["approved", "partially_approved", "rejected"]),
                "closed" => count(&["closed"]),
                _ => by_status.iter().map(|(_, n)| n).sum(),
            };
            (q.to_string(), n)
        })
        .collect();
    Ok(DisputeListing { items, counts })
}

#[derive(sqlx::FromRow)]
struct MessageRow {
    id: i64,
    kind: String,
    author_name: Option<String>,
    author_role: Option<String>,
    body: String,
    created_at: DateTime<Utc>,
}

#[derive(sqlx::FromRow)]
struct AttachmentRow {
    id: i64,
    message_id: i64,
    file_name: String,
    size_bytes: i64,
}

/// Staff-only messages (proposals) are hidden from clients, with their files.
const CLIENT_VISIBLE: &str = "m.kind <> 'proposal'";

pub async fn detail(state: &AppState, principal: &Principal, id: i64) -> AppResult<DisputeDetail> {
    let row = summary_row(state, principal.scope(), id).await?;
    let staff = principal.role.is_staff();
    let visible = if staff { "1 = 1" } else { CLIENT_VISIBLE };
    let scope_kind = row.scope.clone();
    let decision_note = row.decision_note.clone();
    let invoice_id = row.invoice_id;
    let mut summary = row.into_summary(state.clock.today())?;
    if !staff {
        summary.proposed = None;
    }
    let currency = summary.amount.currency;
    let messages_sql = format!(
        "SELECT m.id, m.kind, u.name AS author_name, u.role AS author_role, m.body, m.created_at
         FROM dispute_messages m LEFT JOIN users u ON u.id = m.author_id
         WHERE m.dispute_id = $1 AND {visible} ORDER BY m.id"
    );
    let attachments_sql = format!(
        "SELECT t.id, t.message_id, t.file_name, t.size_bytes FROM dispute_attachments t
         JOIN dispute_messages m ON m.id = t.message_id WHERE t.dispute_id = $1 AND {visible} ORDER BY t.id"
    );
    #[allow(clippy::type_complexity)]
    let (messages, files, lines, credit): (
        Vec<MessageRow>,
        Vec<AttachmentRow>,
        Vec<(i64, String, i64)>,
        Option<(i64, String, i64, NaiveDate)>,
    ) = with_db!(&state.db, |pool| {
        let messages = sqlx::query_as(&messages_sql).bind(id).fetch_all(pool).await?;
        let files = sqlx::query_as(&attachments_sql).bind(id).fetch_all(pool).await?;
        let all_lines: Vec<(String, i64)> = sqlx::query_as(
            "SELECT description, net_minor + tax_minor FROM invoice_lines WHERE invoice_id = $1 ORDER BY position, id",
        )
        .bind(invoice_id)
        .fetch_all(pool)
        .await?;
        let chosen: Vec<i64> =
            sqlx::query_scalar("SELECT line_no FROM dispute_lines WHERE dispute_id = $1 ORDER BY line_no")
                .bind(id)
                .fetch_all(pool)
                .await?;
        let lines = chosen
            .into_iter()
            .filter_map(|n| usize::try_from(n - 1).ok().and_then(|i| all_lines.get(i)).map(|(d, g)| (n, d.clone(), *g)))
            .collect();
        let credit =
            sqlx::query_as("SELECT id, number, amount_minor, issued_on FROM credit_notes WHERE dispute_id = $1")
                .bind(id)
                .fetch_optional(pool)
                .await?;
        Ok::<_, sqlx::Error>((messages, files, lines, credit))
    })?;
    let messages = messages
        .into_iter()
        .map(|m| {
            Ok(ThreadMessage {
                id: m.id,
                kind: MessageKind::parse(&m.kind)
                    .ok_or_else(|| AppError::internal(anyhow::anyhow!("unknown message kind {}", m.kind)))?,
                author_name: m.author_name.unwrap_or_default(),
                author_is_staff: m.author_role.as_deref().is_some_and(|r| r != "client"),
                body: m.body,
                created_at: m.created_at,
                attachments: files
                    .iter()
                    .filter(|f| f.message_id == m.id)
                    .map(|f| AttachmentRef { id: f.id, file_name: f.file_name.clone(), size_bytes: f.size_bytes })
                    .collect(),
            })
        })
        .collect::<AppResult<Vec<_>>>()?;
    let collecting = matches!(principal.role, Role::Owner | Role::Collector);
    let status = summary.status;
    Ok(DisputeDetail {
        scope: scope_kind,
        lines: lines
            .into_iter()
            .map(|(line_no, description, gross)| DisputedLine {
                line_no,
                description,
                gross: Money::new(gross, currency),
            })
            .collect(),
        decision_note,
        credit_note: credit.map(|(id, number, amount, issued_on)| CreditNoteRef {
            id,
            number,
            amount: Money::new(amount, currency),
            issued_on,
        }),
        messages,
        can_post: status != DisputeStatus::Closed && (principal.role == Role::Client || collecting),
        can_review: collecting && status.in_progress(),
        can_decide: principal.role == Role::Owner && status.in_progress(),
        can_close: match principal.role {
            Role::Client => status != DisputeStatus::Closed,
            Role::Owner | Role::Collector => status.decided(),
            Role::Accountant => false,
        },
        summary,
    })
}

/// Where the caller follows a dispute.
pub fn page_of(principal: &Principal, id: i64) -> String {
    if principal.role.is_staff() {
        format!("/back/disputes/{id}")
    } else {
        format!("/portal/disputes/{id}")
    }
}

// ------------------------------------------------------------ thread

/// Adds a message to the thread. A client writes messages; the owner or
/// the account's collector also asks for information or proposes a
/// resolution (staff only). The first staff message puts an open dispute
/// under review. Returns the dispute's id.
pub async fn post(state: &AppState, principal: &Principal, form: &Form) -> AppResult<i64> {
    let id: i64 = form.get("id").trim().parse().map_err(|_| AppError::NotFound)?;
    let row = summary_row(state, principal.scope(), id).await?;
    let kind = match form.get("kind") {
        "" | "message" => MessageKind::Message,
        "info_request" => MessageKind::InfoRequest,
        "proposal" => MessageKind::Proposal,
        _ => return Err(AppError::field("kind", Msg::InvalidInput)),
    };
    let staff = principal.role.is_staff();
    if staff {
        crate::promises::ssr::require_collecting_staff(state, principal, row.account_id).await?;
    } else if kind != MessageKind::Message {
        return Err(AppError::Forbidden);
    }
    let currency = parse_currency(&row.currency)?;
    let proposed = if kind == MessageKind::Proposal {
        let m = Money::parse_major(form.get("amount"), currency)
            .map_err(|_| AppError::field("amount", Msg::InvalidAmount))?;
        if m.minor < 0 || m.minor > row.amount_minor {
            return Err(AppError::field("amount", Msg::DisputeAmountInvalid));
        }
        Some(m.minor)
    } else {
        None
    };
    let body: String = form.get("body").trim().chars().take(MAX_MESSAGE).collect();
    if body.is_empty() && (kind != MessageKind::Message || form.files.is_empty()) && kind != MessageKind::Proposal {
        return Err(AppError::field("body", Msg::RequiredField));
    }
    let files = check_files(&form.files)?;
    let now = state.clock.now();
    let (mut tx, _lock, status) = begin_unclosed(state, row.account_id, id).await?;
    if kind != MessageKind::Message && !status.in_progress() {
        return Err(AppError::Conflict(Msg::DisputeDecided));
    }
    if staff && status == DisputeStatus::Open {
        with_tx!(&mut tx, |conn| {
            sqlx::query(
                "UPDATE disputes SET status = 'under_review', updated_at = $2 WHERE id = $1 AND status = 'open'",
            )
            .bind(id)
            .bind(now)
            .execute(&mut *conn)
            .await
            .map(|r| r.rows_affected())
        })?;
        post_tx(&mut tx, id, Some(principal.user_id), MessageKind::Status, "under_review", now).await?;
        audit_tx(
            &mut tx,
            now,
            Audit::new(Some(principal.user_id), "dispute.under_review", ("dispute", Some(id)))
                .account(Some(row.account_id)),
        )
        .await?;
    }
    let text = match proposed {
        Some(p) if body.is_empty() => Money::new(p, currency).format(Locale::Fr),
        _ => body.clone(),
    };
    let message_id = post_tx(&mut tx, id, Some(principal.user_id), kind, &text, now).await?;
    store_files(&mut tx, id, message_id, &files, now).await?;
    with_tx!(&mut tx, |conn| {
        sqlx::query("UPDATE disputes SET updated_at = $2, proposed_minor = COALESCE($3, proposed_minor) WHERE id = $1")
            .bind(id)
            .bind(now)
            .bind(proposed)
            .execute(&mut *conn)
            .await
            .map(|r| r.rows_affected())
    })?;
    let action = match kind {
        MessageKind::InfoRequest => "dispute.info_requested",
        MessageKind::Proposal => "dispute.proposed",
        _ => "dispute.message",
    };
    let details = proposed.map(|p| Money::new(p, currency).format(Locale::En)).unwrap_or_default();
    audit_tx(
        &mut tx,
        now,
        Audit::new(Some(principal.user_id), action, ("dispute", Some(id)))
            .account(Some(row.account_id))
            .details(&details),
    )
    .await?;
    let n = Facts::of(&row)?;
    match (staff, kind) {
        (false, _) => notify_staff(&mut tx, state, &n, Notice::ClientWrote, &body).await?,
        (true, MessageKind::Proposal) => notify_owners(&mut tx, state, &n, proposed.unwrap_or(0), &body).await?,
        (true, MessageKind::InfoRequest) => notify_client(&mut tx, state, &n, Notice::InfoRequested, &body).await?,
        (true, _) => notify_client(&mut tx, state, &n, Notice::StaffWrote, &body).await?,
    }
    tx.commit().await?;
    Ok(id)
}

/// Begins a write on a dispute: locks its account, then reads its status as
/// of the lock (what the caller's checks rely on); a closed one is refused.
async fn begin_unclosed(state: &AppState, account_id: i64, id: i64) -> AppResult<(Tx, Locked, DisputeStatus)> {
    let mut tx = state.db.begin().await?;
    let lock = ledger::lock(&mut tx, account_id).await?;
    let status: String = with_tx!(&mut tx, |conn| {
        sqlx::query_scalar("SELECT status FROM disputes WHERE id = $1").bind(id).fetch_one(&mut *conn).await
    })?;
    match DisputeStatus::parse(&status) {
        Some(DisputeStatus::Closed) | None => Err(AppError::Conflict(Msg::DisputeIsClosed)),
        Some(status) => Ok((tx, lock, status)),
    }
}

// ------------------------------------------------------------ decisions

/// The approved amount the owner's form means: `approve` with no amount is
/// the whole disputed amount, `approve` with one is a part, `reject` is 0.
pub async fn parse_decision(state: &AppState, id: i64, decision: &str, amount: &str) -> AppResult<i64> {
    let row = summary_row(state, Scope::All, id).await?;
    match decision {
        "reject" => Ok(0),
        "approve" if amount.trim().is_empty() => Ok(row.amount_minor),
        "approve" => {
            let currency = parse_currency(&row.currency)?;
            let m = Money::parse_major(amount, currency).map_err(|_| AppError::field("amount", Msg::InvalidAmount))?;
            if m.minor <= 0 || m.minor > row.amount_minor {
                return Err(AppError::field("amount", Msg::DisputeAmountInvalid));
            }
            Ok(m.minor)
        }
        _ => Err(AppError::field("decision", Msg::InvalidInput)),
    }
}

/// The owner's decision: `approved_minor` of the disputed amount (0 is a
/// rejection, which needs a reason). An approval issues a credit note on
/// the invoice in the same transaction; the status compare-and-set and the
/// unique credit note per dispute make a second, concurrent decision fail
/// with a conflict and issue nothing. Returns the credit note's number.
pub async fn decide(
    state: &AppState,
    id: i64,
    approved_minor: i64,
    note: &str,
    actor: i64,
) -> AppResult<Option<String>> {
    let note: String = note.trim().chars().take(2000).collect();
    let row = summary_row(state, Scope::All, id).await?;
    let (account_id, invoice_id, disputed) = (row.account_id, row.invoice_id, row.amount_minor);
    let currency: Currency = parse_currency(&row.currency)?;
    if approved_minor < 0 || approved_minor > disputed {
        return Err(AppError::field("amount", Msg::DisputeAmountInvalid));
    }
    if approved_minor == 0 && note.is_empty() {
        return Err(AppError::field("note", Msg::DisputeRejectReason));
    }
    let status = match approved_minor {
        0 => DisputeStatus::Rejected,
        a if a == disputed => DisputeStatus::Approved,
        _ => DisputeStatus::PartiallyApproved,
    };
    let now = state.clock.now();
    let mut tx = state.db.begin().await?;
    let lock = ledger::lock(&mut tx, account_id).await?;
    let moved = with_tx!(&mut tx, |conn| {
        sqlx::query(
            "UPDATE disputes SET status = $2, approved_minor = $3, decision_note = $4, decided_by = $5, decided_at = $6, updated_at = $6
             WHERE id = $1 AND status IN ('open', 'under_review')",
        )
        .bind(id)
        .bind(status.as_str())
        .bind(approved_minor)
        .bind(&note)
        .bind(actor)
        .bind(now)
        .execute(&mut *conn)
        .await
        .map(|r| r.rows_affected())
    })?;
    if moved == 0 {
        return Err(AppError::Conflict(Msg::DisputeDecided));
    }
    let mut number = None;
    if approved_minor > 0 {
        let today = state.clock.today();
        let credit_id: i64 = with_tx!(&mut tx, |conn| {
            sqlx::query_scalar(
                "INSERT INTO credit_notes (number, account_id, invoice_id, dispute_id, amount_minor, currency, issued_on, created_by, created_at)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id",
            )
            .bind(format!("pending-{id}"))
            .bind(account_id)
            .bind(invoice_id)
            .bind(id)
            .bind(approved_minor)
            .bind(currency.code())
            .bind(today)
            .bind(actor)
            .bind(now)
            .fetch_one(&mut *conn)
            .await
        })?;
        let n = format!("AV-{credit_id:06}");
        with_tx!(&mut tx, |conn| {
            sqlx::query("UPDATE credit_notes SET number = $2 WHERE id = $1")
                .bind(credit_id)
                .bind(&n)
                .execute(&mut *conn)
                .await
                .map(|r| r.rows_affected())
        })?;
        // At most what the invoice still owes goes on it; the rest (the
        // client paid the disputed amount meanwhile) becomes credit.
        let posting =
            Posting::CreditNote { credit_note_id: credit_id, invoice_id, amount: approved_minor, reference: &n };
        ledger::post(&mut tx, &lock, posting, &ledger::Ctx::new(state, Some(actor))).await?;
        number = Some(n);
    }
    let body = if note.is_empty() { status.as_str().to_string() } else { note.clone() };
    post_tx(&mut tx, id, Some(actor), MessageKind::Decision, &body, now).await?;
    let details = match &number {
        Some(n) => format!("{n} {}", Money::new(approved_minor, currency).format(Locale::En)),
        None => note.clone(),
    };
    audit_tx(
        &mut tx,
        now,
        Audit::new(Some(actor), &format!("dispute.{}", status.as_str()), ("dispute", Some(id)))
            .account(Some(account_id))
            .details(&details),
    )
    .await?;
    let n = Facts::of(&row)?;
    let kind = match status {
        DisputeStatus::Rejected => Notice::Rejected,
        _ => Notice::Approved(Money::new(approved_minor, currency), number.clone().unwrap_or_default()),
    };
    notify_client(&mut tx, state, &n, kind, &note).await?;
    // Decided: no longer disputed (an approval's posting refreshed them
    // already; a rejection returns the amount to collection).
    balances::refresh(&mut tx, &lock, state.clock.today()).await?;
    tx.commit().await?;
    Ok(number)
}

/// Closes a dispute. The client may close its own at any time (withdrawing
/// it while in progress: the amount returns to collection); the owner or
/// the account's collector closes it once decided.
pub async fn close(state: &AppState, principal: &Principal, id: i64) -> AppResult<()> {
    let row = summary_row(state, principal.scope(), id).await?;
    let staff = principal.role.is_staff();
    if staff {
        crate::promises::ssr::require_collecting_staff(state, principal, row.account_id).await?;
    }
    let now = state.clock.now();
    let (mut tx, lock, status) = begin_unclosed(state, row.account_id, id).await?;
    if staff && !status.decided() {
        return Err(AppError::Conflict(Msg::DisputeNotDecided));
    }
    let moved = with_tx!(&mut tx, |conn| {
        sqlx::query(
            "UPDATE disputes SET status = 'closed', closed_at = $3, updated_at = $3 WHERE id = $1 AND status = $2",
        )
        .bind(id)
        .bind(status.as_str())
        .bind(now)
        .execute(&mut *conn)
        .await
        .map(|r| r.rows_affected())
    })?;
    if moved == 0 {
        return Err(AppError::Conflict(Msg::DisputeIsClosed));
    }
    let withdrawn = status.in_progress();
    let what = if withdrawn { "withdrawn" } else { "closed" };
    post_tx(&mut tx, id, Some(principal.user_id), MessageKind::Status, what, now).await?;
    audit_tx(
        &mut tx,
        now,
        Audit::new(Some(principal.user_id), &format!("dispute.{what}"), ("dispute", Some(id)))
            .account(Some(row.account_id)),
    )
    .await?;
    let n = Facts::of(&row)?;
    let kind = if withdrawn { Notice::Withdrawn } else { Notice::Closed };
    if staff {
        notify_client(&mut tx, state, &n, kind, "").await?;
    } else {
        notify_staff(&mut tx, state, &n, kind, "").await?;
    }
    // A withdrawn dispute's amount returns to collection.
    balances::refresh(&mut tx, &lock, state.clock.today()).await?;
    tx.commit().await?;
    Ok(())
}

// ------------------------------------------------------------ documents

/// An attachment for download, if the caller may see its dispute (and, for
/// a client, its message).
pub async fn attachment(state: &AppState, principal: &Principal, id: i64) -> AppResult<(String, String, Vec<u8>)> {
    let (all, collector, acc) = principal.scope().binds();
    let scope_sql = principal.scope().sql();
    let visible = if principal.role.is_staff() { "1 = 1" } else { CLIENT_VISIBLE };
    let sql = format!(
        "SELECT t.file_name, t.content_type, f.content
         FROM dispute_attachments t
         JOIN dispute_files f ON f.sha256 = t.sha256
         JOIN dispute_messages m ON m.id = t.message_id
         JOIN disputes d ON d.id = t.dispute_id
         JOIN accounts a ON a.id = d.account_id
         WHERE {scope_sql} AND t.id = $4 AND {visible}"
    );
    let row: Option<(String, String, Vec<u8>)> = with_db!(&state.db, |pool| {
        sqlx::query_as(&sql).bind(all).bind(collector).bind(acc).bind(id).fetch_optional(pool).await
    })?;
    row.ok_or(AppError::NotFound)
}

/// What a credit note's PDF prints.
#[derive(Clone, Debug)]
pub struct CreditNoteDoc {
    pub number: String,
    pub issued_on: NaiveDate,
    pub amount: Money,
    pub account_name: String,
    pub account_address: String,
    pub invoice_number: String,
    pub invoice_total: Money,
    pub reason: DisputeReason,
    pub note: String,
}

#[derive(sqlx::FromRow)]
struct CreditRow {
    number: String,
    issued_on: NaiveDate,
    amount_minor: i64,
    currency: String,
    legal_name: String,
    address: String,
    invoice_number: String,
    invoice_total: i64,
    reason: Option<String>,
    decision_note: Option<String>,
}

pub async fn credit_note(state: &AppState, scope: Scope, id: i64) -> AppResult<CreditNoteDoc> {
    let (all, collector, acc) = scope.binds();
    let scope_sql = scope.sql();
    let sql = format!(
        "SELECT c.number, c.issued_on, c.amount_minor, c.currency, a.legal_name, a.address, i.number AS invoice_number,
                i.total_minor AS invoice_total, d.reason, d.decision_note
         FROM credit_notes c JOIN accounts a ON a.id = c.account_id JOIN invoices i ON i.id = c.invoice_id
         LEFT JOIN disputes d ON d.id = c.dispute_id
         WHERE {scope_sql} AND c.id = $4"
    );
    let row: Option<CreditRow> = with_db!(&state.db, |pool| {
        sqlx::query_as(&sql).bind(all).bind(collector).bind(acc).bind(id).fetch_optional(pool).await
    })?;
    let r = row.ok_or(AppError::NotFound)?;
    let currency = parse_currency(&r.currency)?;
    Ok(CreditNoteDoc {
        number: r.number,
        issued_on: r.issued_on,
        amount: Money::new(r.amount_minor, currency),
        account_name: r.legal_name,
        account_address: r.address,
        invoice_number: r.invoice_number,
        invoice_total: Money::new(r.invoice_total, currency),
        reason: r.reason.as_deref().and_then(DisputeReason::parse).unwrap_or(DisputeReason::Other),
        note: r.decision_note.unwrap_or_default(),
    })
}

// ------------------------------------------------------------ notices

enum Notice {
    Opened,
    ClientWrote,
    StaffWrote,
    InfoRequested,
    Approved(Money, String),
    Rejected,
    Withdrawn,
    Closed,
}

/// What every e-mail about a dispute names.
struct Facts {
    id: i64,
    account_id: i64,
    invoice: String,
    amount: Money,
}

impl Facts {
    fn of(row: &SummaryRow) -> AppResult<Facts> {
        Ok(Facts {
            id: row.id,
            account_id: row.account_id,
            invoice: row.invoice_number.clone(),
            amount: Money::new(row.amount_minor, parse_currency(&row.currency)?),
        })
    }
}

fn quote(text: &str) -> String {
    if text.is_empty() {
        String::new()
    } else {
        let t: String = text.chars().take(1500).collect();
        format!("\n« {t} »\n")
    }
}

/// Subject and body of an e-mail about a dispute.
fn message(
    locale: Locale,
    kind: &Notice,
    company: &str,
    account: &str,
    f: &Facts,
    text: &str,
    link: &str,
) -> (String, String) {
    let (inv, amount, q) = (&f.invoice, f.amount.format(locale), quote(text));
    match (locale, kind) {
        (Locale::Fr, Notice::Opened) => (
            format!("Nouveau litige : {account}, facture {inv}"),
            format!("{account} conteste {amount} sur la facture {inv}.\n{q}\nCe montant est suspendu du recouvrement pendant l'examen.\n{link}\n"),
        ),
        (Locale::En, Notice::Opened) => (
            format!("New dispute: {account}, invoice {inv}"),
            format!("{account} disputes {amount} of invoice {inv}.\n{q}\nThis amount is out of collection while it is reviewed.\n{link}\n"),
        ),
        (Locale::Fr, Notice::ClientWrote) => (
            format!("Litige {inv} : nouveau message de {account}"),
            format!("{account} a écrit au sujet du litige sur la facture {inv}.\n{q}\n{link}\n"),
        ),
        (Locale::En, Notice::ClientWrote) => (
            format!("Dispute {inv}: new message from {account}"),
            format!("{account} wrote about the dispute on invoice {inv}.\n{q}\n{link}\n"),
        ),
        (Locale::Fr, Notice::StaffWrote) => (
            format!("{company} : réponse à votre litige (facture {inv})"),
            format!("Bonjour,\n\nNous avons répondu à votre contestation de la facture {inv}.\n{q}\nSuivre le litige : {link}\n"),
        ),
        (Locale::En, Notice::StaffWrote) => (
            format!("{company}: reply to your dispute (invoice {inv})"),
            format!("Hello,\n\nWe replied about your dispute of invoice {inv}.\n{q}\nFollow the dispute: {link}\n"),
        ),
        (Locale::Fr, Notice::InfoRequested) => (
            format!("{company} : informations demandées (litige facture {inv})"),
            format!("Bonjour,\n\nPour examiner votre contestation de la facture {inv}, nous avons besoin d'informations complémentaires.\n{q}\nRépondre : {link}\n"),
        ),
        (Locale::En, Notice::InfoRequested) => (
            format!("{company}: information requested (dispute, invoice {inv})"),
            format!("Hello,\n\nTo review your dispute of invoice {inv}, we need more information.\n{q}\nReply: {link}\n"),
        ),
        (Locale::Fr, Notice::Approved(credited, number)) => (
            format!("{company} : litige accepté (facture {inv})"),
            format!("Bonjour,\n\nVotre contestation de {amount} sur la facture {inv} est acceptée pour {}. L'avoir {number} est déduit de votre solde.\n{q}\n{link}\n", credited.format(locale)),
        ),
        (Locale::En, Notice::Approved(credited, number)) => (
            format!("{company}: dispute accepted (invoice {inv})"),
            format!("Hello,\n\nYour dispute of {amount} on invoice {inv} is accepted for {}. Credit note {number} is deducted from your balance.\n{q}\n{link}\n", credited.format(locale)),
        ),
        (Locale::Fr, Notice::Rejected) => (
            format!("{company} : litige refusé (facture {inv})"),
            format!("Bonjour,\n\nVotre contestation de {amount} sur la facture {inv} n'a pas été acceptée.\nMotif : {text}\n\nCe montant reste dû. {link}\n"),
        ),
        (Locale::En, Notice::Rejected) => (
            format!("{company}: dispute not accepted (invoice {inv})"),
            format!("Hello,\n\nYour dispute of {amount} on invoice {inv} was not accepted.\nReason: {text}\n\nThis amount remains due. {link}\n"),
        ),
        (Locale::Fr, Notice::Withdrawn) => (
            format!("Litige retiré : {account}, facture {inv}"),
            format!("{account} a retiré sa contestation de la facture {inv} : le montant revient dans le recouvrement.\n{link}\n"),
        ),
        (Locale::En, Notice::Withdrawn) => (
            format!("Dispute withdrawn: {account}, invoice {inv}"),
            format!("{account} withdrew its dispute of invoice {inv}: the amount is back in collection.\n{link}\n"),
        ),
        (Locale::Fr, Notice::Closed) => (
            format!("Litige clos : facture {inv}"),
            format!("Le litige sur la facture {inv} est clos.\n{link}\n"),
        ),
        (Locale::En, Notice::Closed) => (
            format!("Dispute closed: invoice {inv}"),
            format!("The dispute on invoice {inv} is closed.\n{link}\n"),
        ),
    }
}

/// The account's collector, or the owners when it has none.
async fn notify_staff(tx: &mut Tx, state: &AppState, f: &Facts, kind: Notice, text: &str) -> AppResult<()> {
    let recipients = crate::mail::collector_or_owners(tx, f.account_id).await?;
    send(tx, state, f, &kind, text, recipients, &format!("/back/disputes/{}", f.id)).await
}

/// A collector's proposal: the owners decide.
async fn notify_owners(tx: &mut Tx, state: &AppState, f: &Facts, proposed: i64, text: &str) -> AppResult<()> {
    let recipients = crate::mail::owners(tx).await?;
    let acc = account(Conn::Tx(tx), f.account_id).await?;
    let link = format!("{}/back/disputes/{}", state.auth.public_url, f.id);
    let proposed = Money::new(proposed, f.amount.currency);
    for (email, locale) in recipients {
        let (p, a, q) = (proposed.format(locale), f.amount.format(locale), quote(text));
        let (inv, name) = (&f.invoice, &acc.legal_name);
        let (subject, body) = match locale {
            Locale::Fr => (
                format!("Litige à trancher : {name}, facture {inv}"),
                format!("Une résolution est proposée pour le litige de {name} sur la facture {inv} ({a} contestés) : accorder {p}.\n{q}\nDécider : {link}\n"),
            ),
            Locale::En => (
                format!("Dispute to decide: {name}, invoice {inv}"),
                format!("A resolution is proposed for {name}'s dispute on invoice {inv} ({a} disputed): grant {p}.\n{q}\nDecide: {link}\n"),
            ),
        };
        crate::mail::enqueue_tx(tx, state.clock.now(), &email, &subject, &body, Some(f.account_id)).await?;
    }
    Ok(())
}

/// The account's billing address, in its language.
async fn notify_client(tx: &mut Tx, state: &AppState, f: &Facts, kind: Notice, text: &str) -> AppResult<()> {
    let acc = account(Conn::Tx(tx), f.account_id).await?;
    if acc.billing_email.is_empty() {
        return Ok(());
    }
    let locale = Locale::parse(&acc.language).unwrap_or_default();
    send(tx, state, f, &kind, text, vec![(acc.billing_email, locale)], &format!("/portal/disputes/{}", f.id)).await
}

async fn send(
    tx: &mut Tx,
    state: &AppState,
    f: &Facts,
    kind: &Notice,
    text: &str,
    recipients: Vec<(String, Locale)>,
    path: &str,
) -> AppResult<()> {
    let acc = account(Conn::Tx(tx), f.account_id).await?;
    let company = crate::mail::company_name(crate::db::Conn::Tx(tx)).await?;
    let link = format!("{}{path}", state.auth.public_url);
    for (email, locale) in recipients {
        let (subject, body) = message(locale, kind, &company, &acc.legal_name, f, text, &link);
        crate::mail::enqueue_tx(tx, state.clock.now(), &email, &subject, &body, Some(f.account_id)).await?;
    }
    Ok(())
}
