//! Dispute changes: opening, the thread, decisions and closing. Each runs in
//! one transaction that locks the account first and refreshes its figures.
use super::*;
use crate::answer::Created;
use crate::audit::AuditAction;

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
#[tracing::instrument(skip_all, fields(account = d.account_id, invoice = d.invoice_id))]
pub async fn open(state: &AppState, d: &NewDispute, files: &[Upload]) -> AppResult<Created<DisputeStatus>> {
    let mut errors = Vec::new();
    if DisputeReason::parse(&d.reason).is_none() {
        errors.push(("reason".to_string(), Msg::DisputeReasonRequired));
    }
    let message = crate::domain::Note::parse_max("message", &d.message, MAX_MESSAGE)?.into_string();
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
    let details = crate::audit::AuditDetails::default()
        .amount(Money::new(amount, currency))
        .invoices([number.clone()])
        .code(d.reason.clone());
    audit(
        crate::db::Conn::Tx(&mut tx),
        now,
        Audit::new(Some(d.actor), AuditAction::DisputeOpened, ("dispute", Some(id)))
            .account(Some(d.account_id))
            .details(details),
    )
    .await?;
    let n = Facts {
        id,
        account_id: d.account_id,
        dispute: crate::mail::DisputeFacts { invoice: number, amount: Money::new(amount, currency) },
    };
    notify_staff(&mut tx, state, &n, Notice::Opened, &message).await?;
    balances::refresh(&mut tx, &lock, state.clock.today()).await?;
    tx.commit().await?;
    Ok(Created { id, status: DisputeStatus::Open })
}

/// Gross amount (net + tax) of the chosen lines of an invoice.
pub(super) async fn lines_gross(tx: &mut Tx, invoice_id: i64, lines: &[i64]) -> AppResult<i64> {
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

pub(super) async fn post_tx(
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
pub(super) async fn store_files(
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

// ------------------------------------------------------------ thread

/// Adds a message to the thread. A client writes messages; the owner or
/// the account's collector also asks for information or proposes a
/// resolution (staff only). The first staff message puts an open dispute
/// under review. Returns the dispute's id.
#[tracing::instrument(skip_all)]
pub async fn post(state: &AppState, principal: &Principal, form: &Form) -> AppResult<Created<DisputeStatus>> {
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
        crate::collection::require_collector((&state.db).into(), principal, row.account_id).await?;
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
    let body = crate::domain::Note::parse_max("body", form.get("body"), MAX_MESSAGE)?.into_string();
    if body.is_empty() && (kind != MessageKind::Message || form.files.is_empty()) && kind != MessageKind::Proposal {
        return Err(AppError::field("body", Msg::RequiredField));
    }
    let files = check_files(&form.files)?;
    let now = state.clock.now();
    let (mut tx, _lock, status) = begin_unclosed(state, row.account_id, id).await?;
    if kind != MessageKind::Message && !status.in_progress() {
        return Err(AppError::Conflict(Msg::DisputeDecided));
    }
    let now_status = if staff && status == DisputeStatus::Open { DisputeStatus::UnderReview } else { status };
    if now_status != status {
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
        audit(
            crate::db::Conn::Tx(&mut tx),
            now,
            Audit::new(Some(principal.user_id), AuditAction::DisputeUnderReview, ("dispute", Some(id)))
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
        MessageKind::InfoRequest => AuditAction::DisputeInfoRequested,
        MessageKind::Proposal => AuditAction::DisputeProposed,
        _ => AuditAction::DisputeMessage,
    };
    let details = crate::audit::AuditDetails {
        amount: proposed.map(|p| Money::new(p, currency)),
        invoices: vec![row.invoice_number.clone()],
        ..Default::default()
    };
    audit(
        crate::db::Conn::Tx(&mut tx),
        now,
        Audit::new(Some(principal.user_id), action, ("dispute", Some(id)))
            .account(Some(row.account_id))
            .details(details),
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
    Ok(Created { id, status: now_status })
}

/// Begins a write on a dispute: locks its account, then reads its status as
/// of the lock (what the caller's checks rely on); a closed one is refused.
pub(super) async fn begin_unclosed(
    state: &AppState,
    account_id: i64,
    id: i64,
) -> AppResult<(Tx, Locked, DisputeStatus)> {
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
#[tracing::instrument(skip(state, note))]
pub async fn decide(
    state: &AppState,
    id: i64,
    approved_minor: i64,
    note: &str,
    actor: i64,
) -> AppResult<Created<DisputeStatus>> {
    let note = crate::domain::Note::parse_max("note", note, 2000)?.into_string();
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
        // The credit note series is the staff's: gap-free per year.
        let n = crate::invoicing::ssr::numbering::next(
            &mut tx,
            crate::invoicing::rules::Series::CreditNote,
            chrono::Datelike::year(&today),
        )
        .await?;
        // At most what the invoice still owes goes on it; the rest (the
        // client paid the disputed amount meanwhile) becomes credit.
        let credit = crate::invoicing::ssr::credit_notes::NewCreditNote {
            number: &n,
            account_id,
            invoice_id,
            dispute_id: Some(id),
            amount: approved_minor,
            currency,
            issued_on: today,
            reason: "",
            created_by: Some(actor),
            created_at: now,
            import_id: None,
            vat: None,
        };
        crate::invoicing::ssr::credit_notes::record(&mut tx, &lock, credit, &ledger::Ctx::new(state, Some(actor)))
            .await?;
        number = Some(n);
    }
    let body = if note.is_empty() { status.as_str().to_string() } else { note.clone() };
    post_tx(&mut tx, id, Some(actor), MessageKind::Decision, &body, now).await?;
    let mut details = crate::audit::AuditDetails::default().invoices([row.invoice_number.clone()]).note(note.clone());
    if let Some(n) = &number {
        details = details.reference(n.clone()).amount(Money::new(approved_minor, currency));
    }
    audit(
        crate::db::Conn::Tx(&mut tx),
        now,
        Audit::new(Some(actor), status.audit_action(), ("dispute", Some(id)))
            .account(Some(account_id))
            .details(details),
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
    Ok(Created { id, status })
}

/// Closes a dispute. The client may close its own at any time (withdrawing
/// it while in progress: the amount returns to collection); the owner or
/// the account's collector closes it once decided.
#[tracing::instrument(skip(state, principal))]
pub async fn close(state: &AppState, principal: &Principal, id: i64) -> AppResult<Created<DisputeStatus>> {
    let row = summary_row(state, principal.scope(), id).await?;
    let staff = principal.role.is_staff();
    if staff {
        crate::collection::require_collector((&state.db).into(), principal, row.account_id).await?;
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
    audit(
        crate::db::Conn::Tx(&mut tx),
        now,
        Audit::new(
            Some(principal.user_id),
            if withdrawn { AuditAction::DisputeWithdrawn } else { AuditAction::DisputeClosed },
            ("dispute", Some(id)),
        )
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
    Ok(Created { id, status: DisputeStatus::Closed })
}
