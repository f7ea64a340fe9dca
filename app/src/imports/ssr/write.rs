//! A plan written in one transaction: every row, or none. Invoices go in
//! multi-row statements and through `ledger::bulk`; accounts and payments
//! through the same functions as their forms.

use super::credits::NewCredit;
use super::plan::{AccountOp, NewInvoice, NewPayment, Plan};
use super::set_progress;
use crate::audit::{AuditAction, AuditDetails};
use crate::auth::ssr::{audit, Audit};
use crate::db::{Arg, Args, Conn, Tx};
use crate::error::{AppError, AppResult};
use crate::i18n::Msg;
use crate::imports::RowProblem;
use crate::ledger::{self, bulk::NewDebt, Allocation, Locked, Posting};
use crate::state::AppState;
use crate::with_tx;
use std::collections::HashMap;

/// Writes the plan; `Ok(Err(problems))` when the database refused a row
/// (nothing was written).
pub(crate) async fn write(
    state: &AppState,
    actor: i64,
    import_id: i64,
    plan: Plan,
) -> AppResult<Result<(), Vec<RowProblem>>> {
    // Read before the transaction: nothing reads the pool while it is held.
    let merchant = crate::settings::ssr::load(state).await?;
    let now = state.clock.now();
    let mut tx = state.db.begin().await?;
    let (kind, rows) = match plan {
        Plan::Accounts(ops) => {
            let n = ops.len();
            if let Err(problems) = accounts(&mut tx, now, actor, import_id, &ops).await? {
                return Ok(Err(problems));
            }
            ("accounts", n)
        }
        Plan::Invoices(list, credits) => {
            match invoices(&mut tx, state, actor, import_id, &merchant, &list, &credits).await {
                Ok(Ok(())) => {}
                Ok(Err(problems)) => return Ok(Err(problems)),
                // A number issued meanwhile: rolled back, then named.
                Err(AppError::Conflict(Msg::NumberTaken)) => {
                    drop(tx);
                    return Ok(Err(taken(state, &list).await?));
                }
                Err(e) => return Err(e),
            }
            ("invoices", list.len() + credits.len())
        }
        Plan::Payments(list) => {
            if let Err(problems) = payments(&mut tx, state, actor, import_id, &list).await? {
                return Ok(Err(problems));
            }
            ("payments", list.len())
        }
    };
    let details = AuditDetails::default().code(kind).data(serde_json::json!({ "import": import_id, "rows": rows }));
    let entry = Audit::new(Some(actor), AuditAction::ImportCompleted, ("import", Some(import_id)));
    audit(Conn::Tx(&mut tx), now, entry.details(details)).await?;
    tx.commit().await?;
    Ok(Ok(()))
}

async fn accounts(
    tx: &mut Tx,
    now: chrono::DateTime<chrono::Utc>,
    actor: i64,
    import_id: i64,
    ops: &[AccountOp],
) -> AppResult<Result<(), Vec<RowProblem>>> {
    for (n, op) in ops.iter().enumerate() {
        let done = match op {
            AccountOp::Create { data, .. } => crate::accounts::ssr::create_tx(tx, now, actor, data).await,
            AccountOp::Update { id, data, .. } => crate::accounts::ssr::update_tx(tx, now, actor, *id, data).await,
        };
        match done {
            Ok(_) => {}
            Err(AppError::Validation(fields)) => {
                let row = op.row();
                return Ok(Err(fields
                    .into_iter()
                    .map(|(field, msg)| RowProblem { row, field, msg, detail: String::new() })
                    .collect()));
            }
            Err(AppError::Conflict(msg)) => {
                return Ok(Err(vec![RowProblem { row: op.row(), field: String::new(), msg, detail: String::new() }]));
            }
            Err(e) => return Err(e),
        }
        if n % 100 == 0 {
            set_progress(import_id, n);
        }
    }
    Ok(Ok(()))
}

/// Rows per multi-row insert.
const CHUNK: usize = 250;

async fn invoices(
    tx: &mut Tx,
    state: &AppState,
    actor: i64,
    import_id: i64,
    merchant: &crate::settings::MerchantSettings,
    list: &[NewInvoice],
    credits: &[NewCredit],
) -> AppResult<Result<(), Vec<RowProblem>>> {
    let mut locks: HashMap<i64, Locked> = HashMap::new();
    let mut printed: HashMap<i64, String> = HashMap::new();
    let mut ids: Vec<i64> = list.iter().map(|i| i.account_id).chain(credits.iter().map(|c| c.account_id)).collect();
    ids.sort_unstable();
    ids.dedup();
    // In id order, as every writer locks: no deadlock with a payment.
    for id in ids {
        locks.insert(id, ledger::lock(tx, id).await?);
        printed.insert(id, crate::invoicing::ssr::issue::parties_json(tx, merchant, id).await?);
    }
    let now = state.clock.now();
    let mut debts = Vec::with_capacity(list.len());
    for (done, chunk) in list.chunks(CHUNK).enumerate() {
        let mut args = Args::default();
        let mut rows = Vec::with_capacity(chunk.len());
        for i in chunk {
            rows.push(args.row([
                Arg::Int(i.account_id),
                Arg::Text(i.number.clone()),
                Arg::Date(i.issue_date),
                Arg::Date(i.due_date),
                Arg::Text(i.currency.code().to_string()),
                Arg::Int(i.subtotal),
                Arg::Int(i.tax),
                Arg::Int(i.total),
                Arg::Time(now),
                Arg::Text(printed[&i.account_id].clone()),
                Arg::Int(actor),
                Arg::Int(import_id),
                Arg::Text("issued".into()),
            ]));
        }
        let sql = format!(
            "INSERT INTO invoices (account_id, number, issue_date, due_date, currency, subtotal_minor, tax_minor,
                 total_minor, created_at, parties, created_by, import_id, status)
             VALUES {} RETURNING id, number",
            rows.join(", ")
        );
        let inserted: Vec<(i64, String)> = with_tx!(tx, |c| crate::bind_args!(sqlx::query_as(&sql), args)
            .fetch_all(&mut *c)
            .await)
        .map_err(|e| match &e {
            sqlx::Error::Database(d) if d.is_unique_violation() => AppError::Conflict(Msg::NumberTaken),
            _ => AppError::from(e),
        })?;
        let id_of: HashMap<String, i64> = inserted.into_iter().map(|(id, n)| (n, id)).collect();
        let mut args = Args::default();
        let mut line_rows = Vec::new();
        for i in chunk {
            let invoice_id = *id_of
                .get(&i.number)
                .ok_or_else(|| AppError::internal(anyhow::anyhow!("invoice {} not returned", i.number)))?;
            debts.push(NewDebt {
                invoice_id,
                account_id: i.account_id,
                number: i.number.clone(),
                total: i.total,
                on: i.issue_date,
            });
            if i.lines.is_empty() {
                continue;
            }
            for (n, (line, t)) in i.lines.iter().enumerate() {
                line_rows.push(args.row([
                    Arg::Int(invoice_id),
                    Arg::Int(n as i64 + 1),
                    Arg::Text(line.description.clone()),
                    Arg::Int(line.quantity_milli),
                    Arg::Int(line.unit_price_minor),
                    Arg::Int(line.vat.rate_bp().into()),
                    Arg::Int(t.net_minor),
                    Arg::Int(t.tax_minor),
                    Arg::Text(line.vat.as_str().into()),
                ]));
            }
            if line_rows.len() >= CHUNK * 4 {
                insert_lines(tx, &line_rows, std::mem::take(&mut args)).await?;
                line_rows.clear();
            }
        }
        if !line_rows.is_empty() {
            insert_lines(tx, &line_rows, args).await?;
        }
        set_progress(import_id, ((done + 1) * CHUNK).min(list.len()));
    }
    let ctx = ledger::Ctx::new(state, Some(actor));
    ledger::bulk::post_invoices(tx, &locks, &debts, &ctx).await?;
    credit_notes(tx, &locks, actor, import_id, now, credits, &ctx).await
}

/// The credit notes, each on its invoice (written above or already in the
/// books), checked again under the lock: at most what it may still be
/// credited.
async fn credit_notes(
    tx: &mut Tx,
    locks: &HashMap<i64, Locked>,
    actor: i64,
    import_id: i64,
    now: chrono::DateTime<chrono::Utc>,
    credits: &[NewCredit],
    ctx: &ledger::Ctx,
) -> AppResult<Result<(), Vec<RowProblem>>> {
    use crate::invoicing::ssr::credit_notes::{record, NewCreditNote};
    for c in credits {
        let found: Option<(i64, i64, i64)> = with_tx!(tx, |conn| {
            sqlx::query_as(
                "SELECT i.id, i.total_minor,
                        CAST(COALESCE((SELECT SUM(n.amount_minor) FROM credit_notes n WHERE n.invoice_id = i.id), 0) AS BIGINT)
                 FROM invoices i WHERE i.number = $1 AND i.account_id = $2 AND i.status = 'issued'",
            )
            .bind(&c.invoice_number)
            .bind(c.account_id)
            .fetch_optional(&mut *conn)
            .await
        })?;
        let problem = |field: &str, msg| RowProblem { row: c.row, field: field.into(), msg, detail: c.number.clone() };
        let Some((invoice_id, total, credited)) = found else {
            return Ok(Err(vec![problem("credits", Msg::CreditedInvoiceUnknown)]));
        };
        // Recorded meanwhile (the same file imported twice at once).
        let taken: Option<i64> = with_tx!(tx, |conn| {
            sqlx::query_scalar("SELECT id FROM credit_notes WHERE number = $1")
                .bind(&c.number)
                .fetch_optional(&mut *conn)
                .await
        })?;
        if taken.is_some() {
            return Ok(Err(vec![problem("number", Msg::NumberTaken)]));
        }
        if c.total > total - credited {
            return Ok(Err(vec![problem("total", Msg::CreditTooLarge)]));
        }
        let note = NewCreditNote {
            number: &c.number,
            account_id: c.account_id,
            invoice_id,
            dispute_id: None,
            amount: c.total,
            currency: c.currency,
            issued_on: c.issue_date,
            reason: &c.reason,
            created_by: Some(actor),
            created_at: now,
            import_id: Some(import_id),
            vat: Some(c.vat.clone()),
        };
        let locked = locks
            .get(&c.account_id)
            .ok_or_else(|| AppError::internal(anyhow::anyhow!("account {} not locked", c.account_id)))?;
        record(tx, locked, note, ctx).await?;
    }
    Ok(Ok(()))
}

/// The rows whose number exists now.
async fn taken(state: &AppState, list: &[NewInvoice]) -> AppResult<Vec<RowProblem>> {
    let mut out = Vec::new();
    for chunk in list.chunks(CHUNK) {
        let marks: Vec<String> = (1..=chunk.len()).map(|i| format!("${i}")).collect();
        let sql = format!("SELECT number FROM invoices WHERE number IN ({})", marks.join(", "));
        let found: Vec<String> = crate::with_db!(&state.db, |pool| {
            let mut q = sqlx::query_scalar(&sql);
            for i in chunk {
                q = q.bind(&i.number);
            }
            q.fetch_all(pool).await
        })?;
        out.extend(chunk.iter().filter(|i| found.contains(&i.number)).map(|i| RowProblem {
            row: i.row,
            field: "number".into(),
            msg: Msg::NumberTaken,
            detail: String::new(),
        }));
    }
    Ok(out)
}

async fn insert_lines(tx: &mut Tx, rows: &[String], args: Args) -> AppResult<()> {
    let sql = format!(
        "INSERT INTO invoice_lines (invoice_id, position, description, quantity_milli, unit_price_minor, tax_rate_bp,
             net_minor, tax_minor, vat_category)
         VALUES {}",
        rows.join(", ")
    );
    with_tx!(tx, |c| crate::bind_args!(sqlx::query(&sql), args).execute(&mut *c).await.map(|r| r.rows_affected()))?;
    Ok(())
}

async fn payments(
    tx: &mut Tx,
    state: &AppState,
    actor: i64,
    import_id: i64,
    list: &[NewPayment],
) -> AppResult<Result<(), Vec<RowProblem>>> {
    let now = state.clock.now();
    let mut ids: Vec<i64> = list.iter().map(|p| p.account_id).collect();
    ids.sort_unstable();
    ids.dedup();
    let mut locks: HashMap<i64, Locked> = HashMap::new();
    for id in ids {
        locks.insert(id, ledger::lock(tx, id).await?);
    }
    for (n, p) in list.iter().enumerate() {
        let lock = &locks[&p.account_id];
        let id: i64 = with_tx!(tx, |c| {
            sqlx::query_scalar(
                "INSERT INTO payments (account_id, idempotency_key, gateway, amount_minor, currency, status, source,
                     created_by, created_at, updated_at, succeeded_at, channel, received_on, reference, import_id)
                 VALUES ($1, $2, 'manual', $3, $4, 'succeeded', 'staff', $5, $6, $6, $6, $7, $8, $9, $10) RETURNING id",
            )
            .bind(p.account_id)
            .bind(&p.key)
            .bind(p.payment.amount.minor)
            .bind(lock.currency().code())
            .bind(actor)
            .bind(now)
            .bind(p.payment.channel.as_str())
            .bind(p.payment.received_on)
            .bind(&p.payment.reference)
            .bind(import_id)
            .fetch_one(&mut *c)
            .await
        })?;
        let reference = crate::payments::payment_reference(id);
        let allocation = match p.invoice_id {
            Some(invoice) => Allocation::Planned(vec![(invoice, p.payment.amount.minor)]),
            None => Allocation::OldestFirst,
        };
        let posting =
            Posting::Payment { payment_id: id, amount: p.payment.amount.minor, allocation, reference: &reference };
        let ctx = ledger::Ctx::new(state, Some(actor)).dated(p.payment.received_on);
        let posted = match ledger::post(tx, lock, posting, &ctx).await {
            Ok(p) => p,
            Err(AppError::Validation(_) | AppError::Conflict(_) | AppError::NotFound) => {
                return Ok(Err(vec![RowProblem {
                    row: p.row,
                    field: "invoice".into(),
                    msg: Msg::InvoiceNotPayable,
                    detail: String::new(),
                }]));
            }
            Err(e) => return Err(e),
        };
        for (invoice_id, signed) in posted.invoices.iter().filter(|(_, a)| *a < 0) {
            with_tx!(tx, |c| {
                sqlx::query(
                    "INSERT INTO payment_allocations (payment_id, invoice_id, amount_minor) VALUES ($1, $2, $3)",
                )
                .bind(id)
                .bind(invoice_id)
                .bind(-signed)
                .execute(&mut *c)
                .await
                .map(|r| r.rows_affected())
            })?;
        }
        if n % 100 == 0 {
            set_progress(import_id, n);
        }
    }
    Ok(Ok(()))
}
