//! The claim in the database: the account's overdue invoices and, for
//! each, how much was unpaid on which day since it fell due (its ledger
//! entries), charged with the domain's formulas and the shipped rate
//! table. Also its CSV, for the petition.

use crate::auth::ssr::Principal;
use crate::db::Conn;
use crate::domain::late_charges::{self, Exposure, Penalty};
use crate::domain::EntryKind;
use crate::domain::{Currency, CustomerKind, Jurisdiction, Locale, Money, RateTable};
use crate::error::{AppError, AppResult};
use crate::i18n::Msg;
use crate::legal::claim::{Claim, ClaimLine, ClaimPeriod, ClaimRule};
use crate::state::AppState;
use crate::{with_conn, with_db};
use chrono::NaiveDate;
use std::collections::HashMap;

#[derive(sqlx::FromRow)]
struct AccountRow {
    legal_name: String,
    siren: String,
    kind: String,
    country: String,
}

#[derive(sqlx::FromRow)]
struct InvoiceRow {
    id: i64,
    number: String,
    issue_date: NaiveDate,
    due_date: NaiveDate,
    total_minor: i64,
    balance_minor: i64,
    currency: String,
}

pub async fn claim(state: &AppState, principal: &Principal, account_id: i64) -> AppResult<Claim> {
    principal.require_staff()?;
    let scope = principal.scope();
    let (all, collector, acc) = scope.binds();
    let sql = format!("SELECT a.id FROM accounts a WHERE {} AND a.id = $4", scope.sql());
    let found: Option<i64> = with_db!(&state.db, |pool| {
        sqlx::query_scalar(&sql).bind(all).bind(collector).bind(acc).bind(account_id).fetch_optional(pool).await
    })?;
    found.ok_or(AppError::NotFound)?;
    overdue((&state.db).into(), account_id, state.clock.today()).await
}

/// The claim of `account_id` (whose caller was authorized) as of `today`:
/// its invoices past due, read through `conn` (the ledger writer's
/// transaction when charges are applied).
pub async fn overdue(mut conn: Conn<'_>, account_id: i64, today: NaiveDate) -> AppResult<Claim> {
    let account: AccountRow =
        with_conn!(conn.reborrow(), |c| sqlx::query_as(ACCOUNT_SQL).bind(account_id).fetch_one(&mut *c).await)?;
    let invoices: Vec<InvoiceRow> = with_conn!(conn.reborrow(), |c| {
        sqlx::query_as(
            "SELECT i.id, i.number, i.issue_date, i.due_date, i.total_minor, i.balance_minor, i.currency FROM invoices i
             WHERE i.account_id = $1 AND i.status = 'issued' AND i.balance_minor > 0 AND i.due_date < $2
             ORDER BY i.due_date, i.id",
        )
        .bind(account_id)
        .bind(today)
        .fetch_all(&mut *c)
        .await
    })?;
    // Every entry on those invoices: how the unpaid amount moved.
    let entries: Vec<(i64, NaiveDate, i64, String)> = with_conn!(conn.reborrow(), |c| {
        sqlx::query_as(
            "SELECT e.invoice_id, e.occurred_on, e.amount_minor, e.kind FROM ledger_entries e
             JOIN invoices i ON i.id = e.invoice_id
             WHERE i.account_id = $1 AND i.status = 'issued' AND i.balance_minor > 0 AND i.due_date < $2
             ORDER BY e.occurred_on, e.id",
        )
        .bind(account_id)
        .bind(today)
        .fetch_all(&mut *c)
        .await
    })?;
    let table = super::rates::table(conn).await?;
    let lines = charge(&account, invoices, group(entries), today, &table)?;
    Ok(assemble(account_id, account, today, lines))
}

const ACCOUNT_SQL: &str =
    "SELECT a.legal_name, COALESCE(a.siren, '') AS siren, a.kind, a.country FROM accounts a WHERE a.id = $1";

/// The breakdown of what a formal demand (`reminder_id`, of `account_id`,
/// whose caller was authorized) claims, as of `as_of`: its invoices at the
/// amount they owed when it was recorded, charged up to that day.
pub async fn for_reminder(state: &AppState, account_id: i64, reminder_id: i64, as_of: NaiveDate) -> AppResult<Claim> {
    let account: AccountRow =
        with_db!(&state.db, |pool| sqlx::query_as(ACCOUNT_SQL).bind(account_id).fetch_one(pool).await)?;
    let invoices: Vec<InvoiceRow> = with_db!(&state.db, |pool| {
        sqlx::query_as(
            "SELECT i.id, i.number, i.issue_date, i.due_date, i.total_minor, ri.amount_minor AS balance_minor, i.currency
             FROM reminder_invoices ri JOIN invoices i ON i.id = ri.invoice_id
             WHERE ri.reminder_id = $1 ORDER BY i.due_date, i.id",
        )
        .bind(reminder_id)
        .fetch_all(pool)
        .await
    })?;
    let entries: Vec<(i64, NaiveDate, i64, String)> = with_db!(&state.db, |pool| {
        sqlx::query_as(
            "SELECT e.invoice_id, e.occurred_on, e.amount_minor, e.kind FROM ledger_entries e
             JOIN reminder_invoices ri ON ri.invoice_id = e.invoice_id
             WHERE ri.reminder_id = $1 AND e.occurred_on <= $2 ORDER BY e.occurred_on, e.id",
        )
        .bind(reminder_id)
        .bind(as_of)
        .fetch_all(pool)
        .await
    })?;
    let table = super::rates::table((&state.db).into()).await?;
    let lines = charge(&account, invoices, group(entries), as_of, &table)?;
    Ok(assemble(account_id, account, as_of, lines))
}

/// Each invoice's entries: the debt's own movements (late charges apart:
/// no interest on interest), and the charges already posted.
#[derive(Default)]
struct Movements {
    debt: Vec<(NaiveDate, i64)>,
    charged_minor: i64,
}

fn group(entries: Vec<(i64, NaiveDate, i64, String)>) -> HashMap<i64, Movements> {
    let mut by_invoice: HashMap<i64, Movements> = HashMap::new();
    for (invoice, day, amount, kind) in entries {
        let m = by_invoice.entry(invoice).or_default();
        if kind == EntryKind::Fee.as_str() {
            m.charged_minor += amount;
        } else {
            m.debt.push((day, amount));
        }
    }
    by_invoice
}

/// The account's law.
fn rule_of(account: &AccountRow) -> (ClaimRule, Jurisdiction, CustomerKind) {
    let customer = CustomerKind::parse(&account.kind).unwrap_or_default();
    let jurisdiction = if account.country == "GB" { Jurisdiction::UnitedKingdom } else { Jurisdiction::France };
    let rule = match (customer, jurisdiction) {
        (CustomerKind::Consumer, _) => ClaimRule::Consumer,
        (_, Jurisdiction::UnitedKingdom) => ClaimRule::UkBusiness,
        _ => ClaimRule::FranceBusiness,
    };
    (rule, jurisdiction, customer)
}

/// Each invoice charged as of `as_of` by the account's law.
fn charge(
    account: &AccountRow,
    invoices: Vec<InvoiceRow>,
    by_invoice: HashMap<i64, Movements>,
    today: NaiveDate,
    table: &RateTable,
) -> AppResult<Vec<ClaimLine>> {
    let (rule, jurisdiction, customer) = rule_of(account);
    let none = Movements::default();
    let mut lines = Vec::with_capacity(invoices.len());
    for i in invoices {
        let currency = crate::ledger::parse_currency(&i.currency)?;
        let moves = by_invoice.get(&i.id).unwrap_or(&none);
        let exposure = exposure(i.due_date, &moves.debt);
        // Charges posted on the invoice are owed beside its principal.
        let principal_minor = (i.balance_minor - moves.charged_minor).max(0);
        let penalty: Result<Penalty, _> = match rule {
            ClaimRule::Consumer => Ok(Penalty::default()),
            ClaimRule::FranceBusiness => late_charges::french_penalties(table, &exposure, today, None),
            ClaimRule::UkBusiness => late_charges::uk_interest(table, &exposure, today),
        };
        let penalty = penalty.map_err(|e| tracing::warn!(invoice = i.id, error = %e, "late charges not computed")).ok();
        let indemnity = late_charges::recovery_indemnity(jurisdiction, customer, principal_minor, currency)
            .map_err(|e| tracing::warn!(invoice = i.id, error = %e, "recovery indemnity not computed"))
            .ok()
            .flatten();
        lines.push(ClaimLine {
            invoice_id: i.id,
            number: i.number,
            issue_date: i.issue_date,
            due_date: i.due_date,
            total: Money::new(i.total_minor, currency),
            principal: Money::new(principal_minor, currency),
            charged: Money::new(moves.charged_minor, currency),
            days_late: (today - i.due_date).num_days(),
            penalties: penalty.as_ref().map(|p| Money::new(p.total_minor, currency)),
            periods: penalty
                .map(|p| {
                    p.periods
                        .into_iter()
                        .map(|x| ClaimPeriod {
                            from: x.from,
                            to: x.to,
                            days: x.days,
                            unpaid: Money::new(x.unpaid_minor, currency),
                            percent: x.percent.normalize().to_string(),
                            amount: Money::new(x.amount_minor, currency),
                        })
                        .collect()
                })
                .unwrap_or_default(),
            indemnity,
        });
    }
    Ok(lines)
}

/// The claim with its totals (each in the first line's currency).
fn assemble(account_id: i64, account: AccountRow, as_of: NaiveDate, lines: Vec<ClaimLine>) -> Claim {
    let (rule, _, _) = rule_of(&account);
    let currency = lines.first().map(|l| l.principal.currency).unwrap_or(Currency::Eur);
    let sum = |f: &dyn Fn(&ClaimLine) -> Option<Money>| -> Money {
        Money::new(lines.iter().filter_map(f).filter(|m| m.currency == currency).map(|m| m.minor).sum(), currency)
    };
    let principal = sum(&|l| Some(l.principal));
    let penalties = sum(&|l| l.penalties);
    let indemnities = lines.iter().filter_map(|l| l.indemnity).reduce(|a, b| Money::new(a.minor + b.minor, a.currency));
    Claim {
        account_id,
        account_name: account.legal_name,
        siren: account.siren,
        as_of,
        rule,
        lines,
        principal,
        penalties,
        indemnities,
    }
}

/// How much was unpaid from the day after `due_date`: the entries up to
/// the due date make the first amount, each later day's entries a change.
fn exposure(due_date: NaiveDate, entries: &[(NaiveDate, i64)]) -> Exposure {
    let first_late = due_date.succ_opt().unwrap_or(due_date);
    let mut unpaid: i64 = entries.iter().filter(|(day, _)| *day <= due_date).map(|(_, m)| m).sum();
    let mut changes = vec![(first_late, unpaid)];
    for (day, amount) in entries.iter().filter(|(day, _)| *day > due_date) {
        unpaid += amount;
        changes.push((*day, unpaid));
    }
    Exposure { due_date, changes }
}

/// The claim as CSV (`;`-separated, UTF-8 with a byte-order mark, as French
/// spreadsheets open it): the debtor, then one row per invoice, then the
/// totals.
pub fn csv(claim: &Claim, locale: Locale) -> AppResult<Vec<u8>> {
    let mut out = Vec::from("\u{feff}".as_bytes());
    {
        let mut w = csv::WriterBuilder::new().delimiter(b';').flexible(true).from_writer(&mut out);
        let text = |m: Msg| m.text(locale);
        let amount = |m: Option<Money>| m.map(|m| m.format(locale)).unwrap_or_default();
        // Who owes it, and as of when.
        let who = [
            text(Msg::Account).to_string(),
            claim.account_name.clone(),
            "SIREN".to_string(),
            claim.siren.clone(),
            text(Msg::ClaimAsOf).to_string(),
            claim.as_of.to_string(),
        ];
        w.write_record(who).map_err(AppError::internal)?;
        let head = [
            text(Msg::Invoice),
            text(Msg::IssueDate),
            text(Msg::DueDate),
            text(Msg::Total),
            text(Msg::ClaimPrincipal),
            text(Msg::DaysLate),
            text(Msg::ClaimPenalties),
            text(Msg::ClaimIndemnity),
            text(Msg::ClaimRates),
        ];
        w.write_record(head).map_err(AppError::internal)?;
        for l in &claim.lines {
            let rates = l.periods.iter().map(|p| format!("{}→{} {} %", p.from, p.to, p.percent)).collect::<Vec<_>>();
            w.write_record([
                l.number.clone(),
                l.issue_date.to_string(),
                l.due_date.to_string(),
                l.total.format(locale),
                l.principal.format(locale),
                l.days_late.to_string(),
                amount(l.penalties),
                amount(l.indemnity),
                rates.join(", "),
            ])
            .map_err(AppError::internal)?;
        }
        w.write_record([
            text(Msg::Total).to_string(),
            String::new(),
            String::new(),
            String::new(),
            claim.principal.format(locale),
            String::new(),
            claim.penalties.format(locale),
            amount(claim.indemnities),
            String::new(),
        ])
        .map_err(AppError::internal)?;
        w.flush().map_err(AppError::internal)?;
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    #[test]
    fn the_exposure_follows_the_payments_after_the_due_date() {
        // 1,000.00 invoiced on 1 March, 200.00 paid before it fell due
        // (31 March), 300.00 on 15 April.
        let entries = [(d("2026-03-01"), 100_000), (d("2026-03-20"), -20_000), (d("2026-04-15"), -30_000)];
        let e = exposure(d("2026-03-31"), &entries);
        assert_eq!(e.changes, [(d("2026-04-01"), 80_000), (d("2026-04-15"), 50_000)]);
    }
}
