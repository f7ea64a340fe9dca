//! The one writer of the ledger. A posting is computed and written under
//! the account's lock (`super::lock`), from what each invoice still owes at
//! that moment (its stored balance, which only this writer changes):
//!
//! - money received or credited is capped at what each invoice still owes;
//!   the surplus becomes unapplied credit, never a negative invoice;
//! - every posting with a source (a payment, a refund, a credit note…) is
//!   recorded once in `ledger_postings` under a unique key, so the same
//!   money cannot be posted twice whatever the callers do;
//! - the stored balances (invoice, account, unapplied credit) move by
//!   exactly the entries written, and the account's collection figures are
//!   recomputed, in the same transaction;
//! - waiting credit is then applied to the open invoices, oldest due first.

use super::{balances, Locked};
use crate::db::Tx;
use crate::domain::{ledger::allocate, EntryKind};
use crate::error::{AppError, AppResult};
use crate::i18n::Msg;
use crate::state::AppState;
use crate::with_tx;
use chrono::{DateTime, NaiveDate, Utc};

/// When and by whom a posting is made.
#[derive(Clone, Copy, Debug)]
pub struct Ctx {
    /// The accounting date of the entries (today by the application clock).
    pub on: NaiveDate,
    pub now: DateTime<Utc>,
    pub actor: Option<i64>,
    /// The date the entries carry when it is not `on`: money received by
    /// transfer or cheque is booked on the day it was received. Figures
    /// (what is overdue) are still computed as of `on`.
    pub value_date: Option<NaiveDate>,
}

impl Ctx {
    pub fn new(state: &AppState, actor: Option<i64>) -> Ctx {
        Ctx { on: state.clock.today(), now: state.clock.now(), actor, value_date: None }
    }

    /// The entries carry `date` (at most `on`: the ledger has no future).
    pub fn dated(mut self, date: NaiveDate) -> Ctx {
        self.value_date = Some(date.min(self.on));
        self
    }

    fn entry_date(&self) -> NaiveDate {
        self.value_date.unwrap_or(self.on)
    }
}

/// Where money received goes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Allocation {
    /// These invoices, in this order, each up to the amount given (and to
    /// what it still owes).
    Planned(Vec<(i64, i64)>),
    /// The open invoices, oldest due first.
    OldestFirst,
}

/// What to post. Amounts are positive magnitudes; the writer signs them.
#[derive(Clone, Debug)]
pub enum Posting<'a> {
    /// An issued invoice: its total becomes owed.
    Invoice { invoice_id: i64 },
    /// Money received for a payment.
    Payment { payment_id: i64, amount: i64, allocation: Allocation, reference: &'a str },
    /// A credit note on an invoice: at most what the invoice still owes,
    /// the rest as credit.
    CreditNote { credit_note_id: i64, invoice_id: i64, amount: i64, reference: &'a str },
    /// A bad debt written off (at most what the invoice still owes).
    WriteOff { key: &'a str, invoice_id: i64, amount: i64, reference: &'a str },
    /// A charge added to an invoice (late fee, recovery indemnity) or to
    /// the account.
    Fee { key: &'a str, invoice_id: Option<i64>, amount: i64, reference: &'a str },
    /// Money given back from a payment: first out of unapplied credit, then
    /// reopening what the payment settled (most recent invoice first), the
    /// rest owed on the account.
    Refund { refund_id: i64, payment_id: i64, amount: i64, reference: &'a str },
    /// A refund that failed after it was posted: the money is the
    /// merchant's again, and the client's debt goes back down. Each entry
    /// of the refund is reversed; a refund posted before postings existed
    /// (its entries name no refund) is reversed by its `legacy_amount`, as
    /// credit.
    RefundReversal { refund_id: i64, legacy_amount: Option<i64>, reference: &'a str },
    /// Money received outside the portal, then taken back (a bounced
    /// cheque, a recalled transfer): what it settled on each invoice is
    /// owed again; the credit it left is taken back from the credit still
    /// waiting, then from the invoices that credit paid since.
    PaymentReversal { payment_id: i64, reference: &'a str },
    /// Unapplied credit moved onto open invoices (done after every posting;
    /// the payments job retries accounts whose invoices were held).
    ApplyCredit,
}

impl Posting<'_> {
    fn kind(&self) -> &'static str {
        match self {
            Posting::Invoice { .. } => "invoice",
            Posting::Payment { .. } => "payment",
            Posting::CreditNote { .. } => "credit_note",
            Posting::WriteOff { .. } => "write_off",
            Posting::Fee { .. } => "fee",
            Posting::Refund { .. } => "refund",
            Posting::RefundReversal { .. } => "refund_reversal",
            Posting::PaymentReversal { .. } => "payment_reversal",
            Posting::ApplyCredit => "credit_application",
        }
    }

    /// The unique key of what is posted: the same source posts once.
    fn source_key(&self) -> Option<String> {
        match self {
            Posting::Invoice { invoice_id } => Some(format!("invoice:{invoice_id}")),
            Posting::Payment { payment_id, .. } => Some(format!("payment:{payment_id}")),
            Posting::CreditNote { credit_note_id, .. } => Some(format!("credit_note:{credit_note_id}")),
            Posting::WriteOff { key, .. } => Some(format!("write_off:{key}")),
            Posting::Fee { key, .. } => Some(format!("fee:{key}")),
            Posting::Refund { refund_id, .. } => Some(format!("refund:{refund_id}")),
            Posting::RefundReversal { refund_id, .. } => Some(format!("refund_reversal:{refund_id}")),
            Posting::PaymentReversal { payment_id, .. } => Some(format!("payment_reversal:{payment_id}")),
            Posting::ApplyCredit => None,
        }
    }
}

/// What a posting wrote.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Posted {
    /// False when this source had been posted before: nothing was written.
    pub new: bool,
    pub posting_id: Option<i64>,
    /// Signed amount posted on each invoice, in posting order.
    pub invoices: Vec<(i64, i64)>,
    /// Signed amount posted without an invoice (negative: credit).
    pub unapplied: i64,
}

/// One entry to write.
#[derive(Clone, Debug)]
struct Line {
    invoice_id: Option<i64>,
    kind: EntryKind,
    amount: i64,
    payment_id: Option<i64>,
    refund_id: Option<i64>,
    credit_note_id: Option<i64>,
}

impl Line {
    fn new(invoice_id: Option<i64>, kind: EntryKind, amount: i64) -> Line {
        Line { invoice_id, kind, amount, payment_id: None, refund_id: None, credit_note_id: None }
    }
    fn payment(mut self, id: Option<i64>) -> Line {
        self.payment_id = id;
        self
    }
    fn refund(mut self, id: i64) -> Line {
        self.refund_id = Some(id);
        self
    }
    fn credit_note(mut self, id: i64) -> Line {
        self.credit_note_id = Some(id);
        self
    }
}

/// What each invoice owes as lines accumulate, read once per invoice
/// under the lock.
struct Owed {
    account_id: i64,
    known: Vec<(i64, i64)>,
}

impl Owed {
    async fn of(&mut self, tx: &mut Tx, invoice_id: i64) -> AppResult<i64> {
        if let Some((_, b)) = self.known.iter().find(|(id, _)| *id == invoice_id) {
            return Ok(*b);
        }
        let row: Option<(i64, String)> = with_tx!(tx, |conn| {
            sqlx::query_as("SELECT balance_minor, status FROM invoices WHERE id = $1 AND account_id = $2")
                .bind(invoice_id)
                .bind(self.account_id)
                .fetch_optional(&mut *conn)
                .await
        })?;
        let (balance, status) = row.ok_or(AppError::NotFound)?;
        // A void invoice takes no money: what it "owes" is nothing.
        let owed = if status == "issued" { balance } else { 0 };
        self.known.push((invoice_id, owed));
        Ok(owed)
    }

    fn take(&mut self, invoice_id: i64, signed: i64) {
        if let Some(entry) = self.known.iter_mut().find(|(id, _)| *id == invoice_id) {
            entry.1 += signed;
        }
    }
}

/// Posts to the ledger under the account's lock. Returns what was written;
/// a source posted before writes nothing (`Posted::new == false`).
#[tracing::instrument(skip_all, fields(account = lock.account_id(), source = ?posting.source_key()))]
pub async fn post(tx: &mut Tx, lock: &Locked, posting: Posting<'_>, ctx: &Ctx) -> AppResult<Posted> {
    let posted = post_one(tx, lock, &posting, ctx).await?;
    if posted.new && !matches!(posting, Posting::ApplyCredit) {
        post_one(tx, lock, &Posting::ApplyCredit, ctx).await?;
    }
    Ok(posted)
}

async fn post_one(tx: &mut Tx, lock: &Locked, posting: &Posting<'_>, ctx: &Ctx) -> AppResult<Posted> {
    let key = posting.source_key();
    // A keyed posting claims its key first: a second one stops here.
    let mut posting_id = None;
    if key.is_some() {
        match insert_posting(tx, lock, posting.kind(), key.as_deref(), ctx).await? {
            Some(id) => posting_id = Some(id),
            None => return Ok(Posted::default()),
        }
    }
    let (lines, reference) = lines(tx, lock, posting).await?;
    if lines.is_empty() {
        return match posting_id {
            Some(_) => Err(AppError::internal(anyhow::anyhow!("posting {key:?} wrote no entry"))),
            None => Ok(Posted::default()),
        };
    }
    let posting_id = match posting_id {
        Some(id) => id,
        None => insert_posting(tx, lock, posting.kind(), None, ctx)
            .await?
            .ok_or_else(|| AppError::internal(anyhow::anyhow!("unkeyed posting not inserted")))?,
    };
    let mut posted = Posted { new: true, posting_id: Some(posting_id), ..Posted::default() };
    let mut balance_delta: i64 = 0;
    for line in &lines {
        insert_entry(tx, lock, posting_id, line, &reference, ctx).await?;
        balance_delta = balance_delta.checked_add(line.amount).ok_or_else(overflow)?;
        match line.invoice_id {
            Some(id) => match posted.invoices.iter_mut().find(|(i, _)| *i == id) {
                Some(entry) => entry.1 = entry.1.checked_add(line.amount).ok_or_else(overflow)?,
                None => posted.invoices.push((id, line.amount)),
            },
            None => posted.unapplied = posted.unapplied.checked_add(line.amount).ok_or_else(overflow)?,
        }
    }
    for (invoice_id, delta) in &posted.invoices {
        with_tx!(tx, |conn| {
            sqlx::query("UPDATE invoices SET balance_minor = balance_minor + $2 WHERE id = $1 AND account_id = $3")
                .bind(invoice_id)
                .bind(delta)
                .bind(lock.account_id)
                .execute(&mut *conn)
                .await
                .map(|r| r.rows_affected())
        })?;
    }
    with_tx!(tx, |conn| {
        sqlx::query(
            "UPDATE accounts SET balance_minor = balance_minor + $2, unapplied_minor = unapplied_minor + $3 WHERE id = $1",
        )
        .bind(lock.account_id)
        .bind(balance_delta)
        .bind(posted.unapplied)
        .execute(&mut *conn)
        .await
        .map(|r| r.rows_affected())
    })?;
    balances::refresh(tx, lock, ctx.on).await?;
    Ok(posted)
}

fn overflow() -> AppError {
    AppError::internal(anyhow::anyhow!("ledger amount overflow"))
}

fn positive(amount: i64) -> AppResult<i64> {
    if amount > 0 {
        Ok(amount)
    } else {
        Err(AppError::field("amount", Msg::InvalidAmount))
    }
}

/// The entries of a posting, from what is owed now (under the lock), and
/// the reference they carry.
async fn lines(tx: &mut Tx, lock: &Locked, posting: &Posting<'_>) -> AppResult<(Vec<Line>, String)> {
    let mut owed = Owed { account_id: lock.account_id, known: Vec::new() };
    let mut out = Vec::new();
    let reference = match *posting {
        Posting::Invoice { invoice_id } => {
            let row: Option<(i64, String, String)> = with_tx!(tx, |conn| {
                sqlx::query_as("SELECT total_minor, status, number FROM invoices WHERE id = $1 AND account_id = $2")
                    .bind(invoice_id)
                    .bind(lock.account_id)
                    .fetch_optional(&mut *conn)
                    .await
            })?;
            let (total, status, number) = row.ok_or(AppError::NotFound)?;
            if status != "issued" {
                return Err(AppError::Conflict(Msg::InvoiceNotPayable));
            }
            if total > 0 {
                out.push(Line::new(Some(invoice_id), EntryKind::Invoice, total));
            }
            number
        }
        Posting::Payment { payment_id, amount, ref allocation, reference } => {
            let mut left = positive(amount)?;
            let planned = match allocation {
                Allocation::Planned(parts) => parts.clone(),
                Allocation::OldestFirst => balances::open_invoices(crate::db::Conn::Tx(&mut *tx), lock.account_id)
                    .await?
                    .into_iter()
                    .map(|i| (i.id, i.balance))
                    .collect(),
            };
            for (invoice_id, at_most) in planned {
                let part = at_most.min(owed.of(tx, invoice_id).await?.max(0)).min(left);
                if part > 0 {
                    owed.take(invoice_id, -part);
                    out.push(Line::new(Some(invoice_id), EntryKind::Payment, -part).payment(Some(payment_id)));
                    left -= part;
                }
            }
            if left > 0 {
                out.push(Line::new(None, EntryKind::Payment, -left).payment(Some(payment_id)));
            }
            reference.to_string()
        }
        Posting::CreditNote { credit_note_id, invoice_id, amount, reference } => {
            let amount = positive(amount)?;
            let part = amount.min(owed.of(tx, invoice_id).await?.max(0));
            if part > 0 {
                out.push(Line::new(Some(invoice_id), EntryKind::CreditNote, -part).credit_note(credit_note_id));
            }
            if amount > part {
                out.push(Line::new(None, EntryKind::CreditNote, part - amount).credit_note(credit_note_id));
            }
            reference.to_string()
        }
        Posting::WriteOff { invoice_id, amount, reference, .. } => {
            let amount = positive(amount)?;
            if amount > owed.of(tx, invoice_id).await? {
                return Err(AppError::field("amount", Msg::InvalidAmount));
            }
            out.push(Line::new(Some(invoice_id), EntryKind::WriteOff, -amount));
            reference.to_string()
        }
        Posting::Fee { invoice_id, amount, reference, .. } => {
            let amount = positive(amount)?;
            if let Some(id) = invoice_id {
                owed.of(tx, id).await?;
            }
            out.push(Line::new(invoice_id, EntryKind::Fee, amount));
            reference.to_string()
        }
        Posting::Refund { refund_id, payment_id, amount, reference } => {
            let mut left = positive(amount)?;
            let unapplied = balances::unapplied(tx, lock).await?;
            let from_credit = (-unapplied).max(0).min(left);
            let line = |invoice, amount| {
                Line::new(invoice, EntryKind::Refund, amount).payment(Some(payment_id)).refund(refund_id)
            };
            if from_credit > 0 {
                out.push(line(None, from_credit));
                left -= from_credit;
            }
            if left > 0 {
                // What this payment still covers on each invoice, newest first.
                let covered: Vec<(i64, i64)> = with_tx!(tx, |conn| {
                    sqlx::query_as(
                        "SELECT e.invoice_id, CAST(-SUM(e.amount_minor) AS BIGINT) FROM ledger_entries e
                         WHERE e.payment_id = $1 AND e.account_id = $2 AND e.invoice_id IS NOT NULL
                         GROUP BY e.invoice_id ORDER BY e.invoice_id DESC",
                    )
                    .bind(payment_id)
                    .bind(lock.account_id)
                    .fetch_all(&mut *conn)
                    .await
                })?;
                for (invoice_id, cover) in covered {
                    let part = cover.min(left);
                    if part > 0 {
                        out.push(line(Some(invoice_id), part));
                        left -= part;
                    }
                }
            }
            if left > 0 {
                // The credit this payment left was spent elsewhere: owed on the account.
                out.push(line(None, left));
            }
            reference.to_string()
        }
        Posting::RefundReversal { refund_id, legacy_amount, reference } => {
            let posted: Vec<(Option<i64>, Option<i64>, i64)> = with_tx!(tx, |conn| {
                sqlx::query_as(
                    "SELECT invoice_id, MAX(payment_id), CAST(SUM(amount_minor) AS BIGINT) FROM ledger_entries
                     WHERE refund_id = $1 AND account_id = $2 GROUP BY invoice_id ORDER BY invoice_id",
                )
                .bind(refund_id)
                .bind(lock.account_id)
                .fetch_all(&mut *conn)
                .await
            })?;
            let mut to_credit = 0;
            let mut payment = None;
            for (invoice_id, payment_id, amount) in posted {
                payment = payment.or(payment_id);
                if amount <= 0 {
                    continue;
                }
                let part = match invoice_id {
                    Some(id) => amount.min(owed.of(tx, id).await?.max(0)),
                    None => 0,
                };
                if part > 0 {
                    owed.take(invoice_id.unwrap_or_default(), -part);
                    out.push(
                        Line::new(invoice_id, EntryKind::RefundReversal, -part).payment(payment_id).refund(refund_id),
                    );
                }
                to_credit += amount - part;
            }
            if out.is_empty() && to_credit == 0 {
                to_credit = legacy_amount.unwrap_or(0);
                if to_credit > 0 {
                    payment = with_tx!(tx, |conn| {
                        sqlx::query_scalar("SELECT payment_id FROM refunds WHERE id = $1")
                            .bind(refund_id)
                            .fetch_optional(&mut *conn)
                            .await
                    })?;
                }
            }
            if to_credit > 0 {
                out.push(Line::new(None, EntryKind::RefundReversal, -to_credit).payment(payment).refund(refund_id));
            }
            reference.to_string()
        }
        Posting::PaymentReversal { payment_id, reference } => {
            let posted: Vec<(Option<i64>, i64)> = with_tx!(tx, |conn| {
                sqlx::query_as(
                    "SELECT invoice_id, CAST(SUM(amount_minor) AS BIGINT) FROM ledger_entries
                     WHERE payment_id = $1 AND account_id = $2 AND kind = 'payment'
                     GROUP BY invoice_id ORDER BY invoice_id",
                )
                .bind(payment_id)
                .bind(lock.account_id)
                .fetch_all(&mut *conn)
                .await
            })?;
            let line =
                |invoice, amount| Line::new(invoice, EntryKind::PaymentReversal, amount).payment(Some(payment_id));
            let mut surplus = 0;
            for (invoice_id, amount) in posted {
                match invoice_id {
                    Some(_) if amount < 0 => out.push(line(invoice_id, -amount)),
                    None if amount < 0 => surplus = -amount,
                    _ => {}
                }
            }
            // The surplus it left as credit: taken back from the credit still
            // waiting, then from the invoices that credit has paid since (most
            // recent first, each up to what it has been paid); anything left
            // is owed on the account.
            let waiting = (-balances::unapplied(tx, lock).await?).max(0).min(surplus);
            let mut left = surplus - waiting;
            if left > 0 {
                let applied: Vec<(i64, i64)> = with_tx!(tx, |conn| {
                    sqlx::query_as(
                        "SELECT e.invoice_id, CAST(-SUM(e.amount_minor) AS BIGINT) FROM ledger_entries e
                         WHERE e.account_id = $1 AND e.kind = 'credit_applied' AND e.invoice_id IS NOT NULL
                           AND e.id > (SELECT MIN(p.id) FROM ledger_entries p WHERE p.payment_id = $2 AND p.kind = 'payment')
                         GROUP BY e.invoice_id ORDER BY MAX(e.id) DESC",
                    )
                    .bind(lock.account_id)
                    .bind(payment_id)
                    .fetch_all(&mut *conn)
                    .await
                })?;
                for (invoice_id, amount) in applied {
                    let paid: i64 = with_tx!(tx, |conn| {
                        sqlx::query_scalar(
                            "SELECT total_minor - balance_minor FROM invoices WHERE id = $1 AND account_id = $2",
                        )
                        .bind(invoice_id)
                        .bind(lock.account_id)
                        .fetch_one(&mut *conn)
                        .await
                    })?;
                    // Less what this reversal already reopens on it.
                    let reopened: i64 = out.iter().filter(|l| l.invoice_id == Some(invoice_id)).map(|l| l.amount).sum();
                    let part = amount.min(paid - reopened).min(left);
                    if part > 0 {
                        out.push(line(Some(invoice_id), part));
                        left -= part;
                    }
                }
            }
            if waiting + left > 0 {
                out.push(line(None, waiting + left));
            }
            reference.to_string()
        }
        Posting::ApplyCredit => {
            let credit = -balances::unapplied(tx, lock).await?;
            if credit > 0 {
                let targets: Vec<(i64, i64)> = balances::open_invoices(crate::db::Conn::Tx(&mut *tx), lock.account_id)
                    .await?
                    .into_iter()
                    .map(|i| (i.id, i.creditable()))
                    .collect();
                let (parts, _) = allocate(credit, &targets);
                for (invoice_id, part) in parts {
                    out.push(Line::new(None, EntryKind::CreditApplied, part));
                    out.push(Line::new(Some(invoice_id), EntryKind::CreditApplied, -part));
                }
            }
            String::new()
        }
    };
    Ok((out, reference))
}

async fn insert_posting(
    tx: &mut Tx,
    lock: &Locked,
    kind: &str,
    key: Option<&str>,
    ctx: &Ctx,
) -> AppResult<Option<i64>> {
    let id: Option<i64> = with_tx!(tx, |conn| {
        sqlx::query_scalar(
            "INSERT INTO ledger_postings (account_id, currency, kind, source_key, occurred_on, created_by, created_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (source_key) DO NOTHING RETURNING id",
        )
        .bind(lock.account_id)
        .bind(lock.currency.code())
        .bind(kind)
        .bind(key)
        .bind(ctx.entry_date())
        .bind(ctx.actor)
        .bind(ctx.now)
        .fetch_optional(&mut *conn)
        .await
    })?;
    Ok(id)
}

async fn insert_entry(
    tx: &mut Tx,
    lock: &Locked,
    posting_id: i64,
    line: &Line,
    reference: &str,
    ctx: &Ctx,
) -> AppResult<()> {
    with_tx!(tx, |conn| {
        sqlx::query(
            "INSERT INTO ledger_entries (account_id, invoice_id, kind, amount_minor, currency, occurred_on, reference,
                 payment_id, refund_id, credit_note_id, posting_id, created_by, created_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)",
        )
        .bind(lock.account_id)
        .bind(line.invoice_id)
        .bind(line.kind.as_str())
        .bind(line.amount)
        .bind(lock.currency.code())
        .bind(ctx.entry_date())
        .bind(reference)
        .bind(line.payment_id)
        .bind(line.refund_id)
        .bind(line.credit_note_id)
        .bind(posting_id)
        .bind(ctx.actor)
        .bind(ctx.now)
        .execute(&mut *conn)
        .await
        .map(|r| r.rows_affected())
    })?;
    Ok(())
}
