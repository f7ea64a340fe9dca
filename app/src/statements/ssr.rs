//! An account's statement, read from its ledger entries, and its CSV.

use super::{Statement, StatementLine};
use crate::aging::Bucket;
use crate::auth::ssr::{Principal, Scope};
use crate::domain::{Locale, Money};
use crate::error::{AppError, AppResult};
use crate::exports::stream::plain;
use crate::exports::Period;
use crate::i18n::Msg;
use crate::state::AppState;
use crate::with_db;
use chrono::NaiveDate;

#[derive(sqlx::FromRow)]
struct AccountRow {
    id: i64,
    code: String,
    legal_name: String,
    address: String,
    postal_code: String,
    city: String,
    currency: String,
}

#[derive(sqlx::FromRow)]
struct LineRow {
    occurred_on: NaiveDate,
    kind: String,
    amount_minor: i64,
    reference: String,
    invoice_number: Option<String>,
    credit_note_number: Option<String>,
}

#[derive(sqlx::FromRow)]
struct OpenRow {
    due_date: NaiveDate,
    balance: i64,
}

/// The statement of an account the caller may see (a client, its own; a
/// collector, those assigned to them; another's is not found).
#[tracing::instrument(skip(state, principal))]
pub async fn statement(
    state: &AppState,
    principal: &Principal,
    account_id: i64,
    period: Period,
) -> AppResult<Statement> {
    statement_in(state, principal.scope(), account_id, period).await
}

/// The statement of an account within `scope` (`Scope::All` for the
/// mailer, attaching it to a reminder whose step asks for it).
pub async fn statement_in(state: &AppState, scope: Scope, account_id: i64, period: Period) -> AppResult<Statement> {
    let (all, collector, account) = scope.binds();
    let account_sql = format!(
        "SELECT a.id, a.code, a.legal_name, a.address, a.postal_code, a.city, a.currency FROM accounts a
         WHERE {} AND a.id = $4",
        scope.sql()
    );
    let (from, to) = (period.from, period.to);
    let (row, opening, lines, open): (Option<AccountRow>, i64, Vec<LineRow>, Vec<OpenRow>) =
        with_db!(&state.db, |pool| {
            async {
                let row: Option<AccountRow> = sqlx::query_as(&account_sql)
                    .bind(all)
                    .bind(collector)
                    .bind(account)
                    .bind(account_id)
                    .fetch_optional(pool)
                    .await?;
                if row.is_none() {
                    return Ok::<_, sqlx::Error>((None, 0, Vec::new(), Vec::new()));
                }
                let opening: i64 = sqlx::query_scalar(
                    "SELECT CAST(COALESCE(SUM(amount_minor), 0) AS BIGINT) FROM ledger_entries
                     WHERE account_id = $1 AND occurred_on < $2",
                )
                .bind(account_id)
                .bind(from)
                .fetch_one(pool)
                .await?;
                let lines = sqlx::query_as(
                    "SELECT e.occurred_on, e.kind, e.amount_minor, e.reference, i.number AS invoice_number,
                            cn.number AS credit_note_number
                     FROM ledger_entries e LEFT JOIN invoices i ON i.id = e.invoice_id
                     LEFT JOIN credit_notes cn ON cn.id = e.credit_note_id
                     WHERE e.account_id = $1 AND e.occurred_on >= $2 AND e.occurred_on <= $3
                       AND e.kind <> 'credit_applied'
                     ORDER BY e.occurred_on, e.id",
                )
                .bind(account_id)
                .bind(from)
                .bind(to)
                .fetch_all(pool)
                .await?;
                let open = sqlx::query_as(
                    "SELECT x.due_date, x.balance FROM (
                         SELECT i.due_date, COALESCE((SELECT CAST(SUM(e.amount_minor) AS BIGINT) FROM ledger_entries e
                                                      WHERE e.invoice_id = i.id AND e.occurred_on <= $2), 0) AS balance
                         FROM invoices i WHERE i.account_id = $1 AND i.status = 'issued' AND i.issue_date <= $2) x
                     WHERE x.balance > 0",
                )
                .bind(account_id)
                .bind(to)
                .fetch_all(pool)
                .await?;
                Ok((row, opening, lines, open))
            }
            .await
        })?;
    let row = row.ok_or(AppError::NotFound)?;
    let currency = crate::ledger::parse_currency(&row.currency)?;
    let mut balance = opening;
    let lines = lines
        .into_iter()
        .map(|l| {
            balance += l.amount_minor;
            let amount = Money::new(l.amount_minor.abs(), currency);
            let document = document(&l);
            StatementLine {
                date: l.occurred_on,
                kind: l.kind,
                document,
                debit: (l.amount_minor > 0).then_some(amount),
                credit: (l.amount_minor < 0).then_some(amount),
                balance: Money::new(balance, currency),
            }
        })
        .collect();
    let mut aging = vec![Money::zero(currency); Bucket::ALL.len()];
    for o in open {
        aging[Bucket::of_days((to - o.due_date).num_days()).index()].minor += o.balance;
    }
    let address = [row.address.trim(), &format!("{} {}", row.postal_code.trim(), row.city.trim())]
        .iter()
        .map(|l| l.trim().to_string())
        .filter(|l| !l.is_empty())
        .collect::<Vec<_>>()
        .join("\n");
    Ok(Statement {
        account_id: row.id,
        account_code: row.code,
        account_name: row.legal_name,
        address,
        currency,
        from,
        to,
        opening: Money::new(opening, currency),
        lines,
        closing: Money::new(balance, currency),
        aging,
    })
}

/// The document a line refers to: the credit note or the invoice; for
/// money moved, its reference and the invoice it went to.
fn document(l: &LineRow) -> String {
    let invoice = l.invoice_number.as_deref().unwrap_or("");
    let parts: Vec<&str> = match l.kind.as_str() {
        "credit_note" => vec![l.credit_note_number.as_deref().unwrap_or(""), invoice],
        "invoice" | "fee" | "write_off" => vec![invoice],
        _ => vec![l.reference.as_str(), invoice],
    };
    parts.into_iter().filter(|p| !p.is_empty()).collect::<Vec<_>>().join(" · ")
}

/// The statement as CSV: who and when, the lines between the balance
/// brought forward and the closing balance, then the aging at the end.
pub fn csv(s: &Statement, locale: Locale) -> AppResult<Vec<u8>> {
    let text = |m: Msg| m.text(locale).to_string();
    let money = |m: Option<Money>| m.map(|m| plain(m, locale)).unwrap_or_default();
    let delimiter = match locale {
        Locale::Fr => b';',
        Locale::En => b',',
    };
    let mut out = Vec::from("\u{feff}".as_bytes());
    {
        let mut w = csv::WriterBuilder::new().delimiter(delimiter).flexible(true).from_writer(&mut out);
        let mut put = |record: Vec<String>| w.write_record(record).map_err(AppError::internal);
        put(vec![text(Msg::StatementTitle), s.account_code.clone(), s.account_name.clone()])?;
        put(vec![
            text(Msg::PeriodFrom),
            s.from.to_string(),
            text(Msg::PeriodTo),
            s.to.to_string(),
            s.currency.code().into(),
        ])?;
        put(vec![
            text(Msg::Date),
            text(Msg::EntryKind),
            text(Msg::Number),
            text(Msg::Debit),
            text(Msg::Credit),
            text(Msg::Balance),
        ])?;
        put(vec![
            s.from.to_string(),
            text(Msg::StatementOpening),
            String::new(),
            String::new(),
            String::new(),
            money(Some(s.opening)),
        ])?;
        for l in &s.lines {
            put(vec![
                l.date.to_string(),
                crate::components::kind_text(&l.kind, locale),
                l.document.clone(),
                money(l.debit),
                money(l.credit),
                money(Some(l.balance)),
            ])?;
        }
        put(vec![
            s.to.to_string(),
            text(Msg::StatementClosing),
            String::new(),
            String::new(),
            String::new(),
            money(Some(s.closing)),
        ])?;
        put(Vec::new())?;
        let mut head = vec![text(Msg::AgingAsOf)];
        head.extend(super::aging_headings().map(text));
        head.push(text(Msg::UnappliedCredit));
        put(head)?;
        let mut row = vec![s.to.to_string()];
        row.extend(s.aging.iter().map(|m| money(Some(*m))));
        row.push(money(Some(s.unapplied())));
        put(row)?;
        w.flush().map_err(AppError::internal)?;
    }
    Ok(out)
}
