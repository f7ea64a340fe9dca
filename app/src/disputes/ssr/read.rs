//! Dispute reads, scoped in SQL: summaries, queues, the thread, and the
//! documents (attachments, credit notes).
use super::*;

// ------------------------------------------------------------ reading

#[derive(sqlx::FromRow)]
pub(super) struct SummaryRow {
    pub(super) id: i64,
    pub(super) account_id: i64,
    pub(super) account_name: String,
    pub(super) invoice_id: i64,
    pub(super) invoice_number: String,
    pub(super) reason: String,
    pub(super) scope: String,
    pub(super) amount_minor: i64,
    pub(super) currency: String,
    pub(super) status: String,
    pub(super) approved_minor: i64,
    pub(super) proposed_minor: Option<i64>,
    pub(super) decision_note: String,
    pub(super) created_at: DateTime<Utc>,
    pub(super) updated_at: DateTime<Utc>,
}

pub(super) const SUMMARY_SELECT: &str =
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

pub(super) async fn summary_row(state: &AppState, scope: Scope, id: i64) -> AppResult<SummaryRow> {
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

/// `queue` as SQL on the status (alias `d`): the statuses' own names.
fn queue_sql(queue: DisputeQueue) -> String {
    if queue == DisputeQueue::All {
        return "1 = 1".into();
    }
    let names: Vec<String> =
        DisputeStatus::ALL.into_iter().filter(|s| queue.holds(*s)).map(|s| format!("'{}'", s.as_str())).collect();
    format!("d.status IN ({})", names.join(", "))
}

pub async fn list(state: &AppState, scope: Scope, staff: bool, q: &DisputeQuery) -> AppResult<DisputeListing> {
    let queue = q.queue.unwrap_or(if staff { DisputeQueue::InProgress } else { DisputeQueue::All });
    let filter = queue_sql(queue);
    let (all, collector, acc) = scope.binds();
    let scope_sql = scope.sql();
    let page = q.page.clamp(1, crate::invoices::MAX_PAGE);
    let order = if queue.waiting() { "d.created_at ASC, d.id ASC" } else { "d.updated_at DESC, d.id DESC" };
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
    let counts: Vec<(DisputeQueue, i64)> = DisputeQueue::ALL
        .into_iter()
        .map(|q| {
            let n = by_status
                .iter()
                .filter(|(s, _)| DisputeStatus::parse(s).is_some_and(|s| q.holds(s)))
                .map(|(_, n)| n)
                .sum();
            (q, n)
        })
        .collect();
    let shown = counts.iter().find(|(q, _)| *q == queue).map_or(0, |(_, n)| *n);
    let page_count = ((shown + DISPUTES_PAGE_SIZE - 1) / DISPUTES_PAGE_SIZE).max(1);
    Ok(DisputeListing { items, counts, page, page_count })
}

#[derive(sqlx::FromRow)]
pub(super) struct MessageRow {
    pub(super) id: i64,
    pub(super) kind: String,
    pub(super) author_name: Option<String>,
    pub(super) author_role: Option<String>,
    pub(super) body: String,
    pub(super) created_at: DateTime<Utc>,
}

#[derive(sqlx::FromRow)]
pub(super) struct AttachmentRow {
    pub(super) id: i64,
    pub(super) message_id: i64,
    pub(super) file_name: String,
    pub(super) size_bytes: i64,
}

/// Staff-only messages (proposals) are hidden from clients, with their files.
pub(super) const CLIENT_VISIBLE: &str = "m.kind <> 'proposal'";

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
