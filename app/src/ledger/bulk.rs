//! Many issued invoices posted at once (an import of 100,000 rows): the
//! same entries `writer::post` writes for `Posting::Invoice`, keyed the
//! same way (`invoice:{id}`), but in multi-row statements, and each
//! account's balance, figures and waiting credit brought up to date once
//! rather than once per invoice. Every account must be locked by the
//! caller's transaction (`super::lock`).

use super::{balances, post, Ctx, Locked, Posting};
use crate::db::{Arg, Args, Tx};
use crate::error::{AppError, AppResult};
use crate::with_tx;
use chrono::NaiveDate;
use std::collections::{BTreeMap, HashMap};

/// An issued invoice to post: its total becomes owed on `on` (its issue
/// date).
#[derive(Clone, Debug)]
pub struct NewDebt {
    pub invoice_id: i64,
    pub account_id: i64,
    pub number: String,
    pub total: i64,
    pub on: NaiveDate,
}

/// Rows per statement: well under both backends' limits on bound values.
const CHUNK: usize = 400;

/// Posts the invoices; answers how many were posted (a zero total posts
/// nothing, as with `Posting::Invoice`).
#[tracing::instrument(skip_all, fields(invoices = debts.len()))]
pub async fn post_invoices(
    tx: &mut Tx,
    locks: &HashMap<i64, Locked>,
    debts: &[NewDebt],
    ctx: &Ctx,
) -> AppResult<usize> {
    let debts: Vec<&NewDebt> = debts.iter().filter(|d| d.total > 0).collect();
    let mut per_account: BTreeMap<i64, i64> = BTreeMap::new();
    for chunk in debts.chunks(CHUNK) {
        let mut args = Args::default();
        let mut rows = Vec::with_capacity(chunk.len());
        for d in chunk {
            let lock = locks.get(&d.account_id).ok_or_else(|| unlocked(d.account_id))?;
            rows.push(args.row([
                Arg::Int(d.account_id),
                Arg::Text(lock.currency().code().to_string()),
                Arg::Text("invoice".into()),
                Arg::Text(format!("invoice:{}", d.invoice_id)),
                Arg::Date(d.on),
                Arg::OptInt(ctx.actor),
                Arg::Time(ctx.now),
            ]));
        }
        let sql = format!(
            "INSERT INTO ledger_postings (account_id, currency, kind, source_key, occurred_on, created_by, created_at)
             VALUES {} RETURNING id, source_key",
            rows.join(", ")
        );
        let keyed: Vec<(i64, String)> =
            with_tx!(tx, |c| crate::bind_args!(sqlx::query_as(&sql), args).fetch_all(&mut *c).await)?;
        let postings: HashMap<String, i64> = keyed.into_iter().map(|(id, key)| (key, id)).collect();
        let mut args = Args::default();
        let mut rows = Vec::with_capacity(chunk.len());
        for d in chunk {
            let lock = &locks[&d.account_id];
            let posting = postings.get(&format!("invoice:{}", d.invoice_id)).ok_or_else(|| {
                AppError::internal(anyhow::anyhow!("invoice {} posted without its posting", d.invoice_id))
            })?;
            rows.push(args.row([
                Arg::Int(d.account_id),
                Arg::Int(d.invoice_id),
                Arg::Text("invoice".into()),
                Arg::Int(d.total),
                Arg::Text(lock.currency().code().to_string()),
                Arg::Date(d.on),
                Arg::Text(d.number.clone()),
                Arg::Int(*posting),
                Arg::OptInt(ctx.actor),
                Arg::Time(ctx.now),
            ]));
            let sum = per_account.entry(d.account_id).or_default();
            *sum = sum
                .checked_add(d.total)
                .ok_or_else(|| AppError::internal(anyhow::anyhow!("ledger amount overflow")))?;
        }
        let sql = format!(
            "INSERT INTO ledger_entries (account_id, invoice_id, kind, amount_minor, currency, occurred_on, reference,
                 posting_id, created_by, created_at)
             VALUES {}",
            rows.join(", ")
        );
        with_tx!(tx, |c| crate::bind_args!(sqlx::query(&sql), args).execute(&mut *c).await.map(|r| r.rows_affected()))?;
        let ids: Vec<String> = chunk.iter().map(|d| d.invoice_id.to_string()).collect();
        // Their entries are their only ones: the balance is the total.
        let sql = format!("UPDATE invoices SET balance_minor = total_minor WHERE id IN ({})", ids.join(", "));
        with_tx!(tx, |c| sqlx::query(&sql).execute(&mut *c).await.map(|r| r.rows_affected()))?;
    }
    for (account_id, delta) in &per_account {
        with_tx!(tx, |c| {
            sqlx::query("UPDATE accounts SET balance_minor = balance_minor + $2 WHERE id = $1")
                .bind(account_id)
                .bind(delta)
                .execute(&mut *c)
                .await
                .map(|r| r.rows_affected())
        })?;
        let lock = &locks[account_id];
        balances::refresh(tx, lock, ctx.on).await?;
        post(tx, lock, Posting::ApplyCredit, ctx).await?;
    }
    Ok(debts.len())
}

fn unlocked(account_id: i64) -> AppError {
    AppError::internal(anyhow::anyhow!("account {account_id} posted to without its lock"))
}
