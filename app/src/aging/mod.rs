//! Aging: what is owed, by how long past due, as of today or any past day.
//!
//! Six buckets (not yet due, 1–30, 31–60, 61–90, 91–120, over 120 days past
//! due), grouped by account, segment, collector or currency, and always by
//! currency: amounts in two currencies are never added. Today's report
//! reads the stored invoice balances (`crate::ledger::balances`); a past
//! day's is rebuilt from the ledger, each invoice's entries dated up to
//! that day, so last quarter's report reads the same next year (entries are
//! immutable). Promised and disputed amounts are shown beside the buckets,
//! as is credit not yet applied. Every cell drills down to its invoices.
//! Staff see their own scope: a collector, only their accounts.

use crate::domain::{Currency, Money, Segment};
use crate::error::AppError;
use crate::i18n::Msg;
use chrono::NaiveDate;
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

#[cfg(feature = "ssr")]
pub mod export;
pub mod pages;
#[cfg(feature = "ssr")]
pub mod ssr;

/// How long past due an amount is, as of the report's day.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Bucket {
    /// Due on the report's day or later.
    NotDue,
    Days1To30,
    Days31To60,
    Days61To90,
    Days91To120,
    Over120,
}

impl Bucket {
    pub const ALL: [Bucket; 6] = [
        Bucket::NotDue,
        Bucket::Days1To30,
        Bucket::Days31To60,
        Bucket::Days61To90,
        Bucket::Days91To120,
        Bucket::Over120,
    ];

    /// The last day past due of each bucket but the last (each bucket's
    /// first due date is the report's day less these days): the cut that
    /// the report, its drill-down and the stored figures
    /// (`crate::ledger::balances`) share.
    pub const ENDS: [i64; 5] = [0, 30, 60, 90, 120];

    pub fn index(self) -> usize {
        self as usize
    }

    /// Its name in links (`?bucket=61-90`).
    pub fn as_str(self) -> &'static str {
        match self {
            Bucket::NotDue => "not-due",
            Bucket::Days1To30 => "1-30",
            Bucket::Days31To60 => "31-60",
            Bucket::Days61To90 => "61-90",
            Bucket::Days91To120 => "91-120",
            Bucket::Over120 => "121-",
        }
    }

    pub fn parse(s: &str) -> Option<Bucket> {
        Self::ALL.into_iter().find(|b| b.as_str() == s)
    }

    /// The bucket of an amount `days` past due (zero or less: not due).
    pub fn of_days(days: i64) -> Bucket {
        match days {
            i64::MIN..=0 => Bucket::NotDue,
            1..=30 => Bucket::Days1To30,
            31..=60 => Bucket::Days31To60,
            61..=90 => Bucket::Days61To90,
            91..=120 => Bucket::Days91To120,
            _ => Bucket::Over120,
        }
    }

    /// Days past due, first and last (`None`: no end).
    pub fn days(self) -> (i64, Option<i64>) {
        match self {
            Bucket::NotDue => (i64::MIN, Some(0)),
            Bucket::Days1To30 => (1, Some(30)),
            Bucket::Days31To60 => (31, Some(60)),
            Bucket::Days61To90 => (61, Some(90)),
            Bucket::Days91To120 => (91, Some(120)),
            Bucket::Over120 => (121, None),
        }
    }

    pub fn msg(self) -> Msg {
        match self {
            Bucket::NotDue => Msg::AgingNotDue,
            Bucket::Days1To30 => Msg::Aging1To30,
            Bucket::Days31To60 => Msg::Aging31To60,
            Bucket::Days61To90 => Msg::Aging61To90,
            Bucket::Days91To120 => Msg::Aging91To120,
            Bucket::Over120 => Msg::AgingOver120,
        }
    }
}

/// What the report's rows are.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum GroupBy {
    #[default]
    Account,
    Segment,
    Collector,
    Currency,
}

impl GroupBy {
    pub const ALL: [GroupBy; 4] = [GroupBy::Account, GroupBy::Segment, GroupBy::Collector, GroupBy::Currency];

    pub fn as_str(self) -> &'static str {
        match self {
            GroupBy::Account => "account",
            GroupBy::Segment => "segment",
            GroupBy::Collector => "collector",
            GroupBy::Currency => "currency",
        }
    }

    pub fn parse(s: &str) -> Option<GroupBy> {
        Self::ALL.into_iter().find(|g| g.as_str() == s)
    }

    pub fn msg(self) -> Msg {
        match self {
            GroupBy::Account => Msg::Account,
            GroupBy::Segment => Msg::Segment,
            GroupBy::Collector => Msg::Collector,
            GroupBy::Currency => Msg::Currency,
        }
    }
}

/// Which amounts a report covers: its day and the accounts it keeps.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AgingFilter {
    /// `None`: today.
    pub as_of: Option<NaiveDate>,
    #[serde(default)]
    pub group: GroupBy,
    pub segment: Option<Segment>,
    /// `Some(0)`: accounts with no collector.
    pub collector_id: Option<i64>,
    pub currency: Option<Currency>,
    /// The page of rows shown (the exports carry every row).
    #[serde(default)]
    pub page: i64,
}

impl AgingFilter {
    /// The report's query string (without `?`), also the drill-down's and
    /// the exports' base.
    pub fn query(&self) -> String {
        format!(
            "as_of={}&group={}&segment={}&collector={}&currency={}",
            self.as_of.map(|d| d.to_string()).unwrap_or_default(),
            self.group.as_str(),
            self.segment.map(|s| s.as_str()).unwrap_or(""),
            self.collector_id.map(|c| c.to_string()).unwrap_or_default(),
            self.currency.map(|c| c.code()).unwrap_or(""),
        )
    }

    /// Reads a filter from a page's or an export's query (unknown values
    /// are left out; a day that is not a date is an error).
    pub fn from_query(get: impl Fn(&str) -> Option<String>) -> Result<AgingFilter, AppError> {
        let as_of = match get("as_of").filter(|s| !s.trim().is_empty()) {
            None => None,
            Some(s) => Some(
                NaiveDate::parse_from_str(s.trim(), "%Y-%m-%d")
                    .map_err(|_| AppError::field("as_of", Msg::InvalidDate))?,
            ),
        };
        Ok(AgingFilter {
            as_of,
            group: get("group").and_then(|g| GroupBy::parse(&g)).unwrap_or_default(),
            segment: get("segment").and_then(|s| Segment::parse(&s)),
            collector_id: get("collector").and_then(|s| s.parse().ok()),
            currency: get("currency").and_then(|c| Currency::parse(&c).ok()),
            page: get("page").and_then(|p| p.parse().ok()).unwrap_or(1),
        })
    }
}

/// What a row of the report stands for.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum RowKey {
    Account {
        id: i64,
        code: String,
        name: String,
    },
    Segment(Segment),
    /// `None`: accounts with no collector.
    Collector(Option<(i64, String)>),
    Currency,
}

impl RowKey {
    /// The drill-down's `key` parameter.
    pub fn param(&self) -> String {
        match self {
            RowKey::Account { id, .. } => id.to_string(),
            RowKey::Segment(s) => s.as_str().to_string(),
            RowKey::Collector(c) => c.as_ref().map(|(id, _)| *id).unwrap_or(0).to_string(),
            RowKey::Currency => String::new(),
        }
    }
}

/// One row: its buckets, in one currency.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AgingRow {
    pub key: RowKey,
    pub currency: Currency,
    /// In `Bucket::ALL`'s order.
    pub buckets: Vec<Money>,
    /// The buckets' sum: what the invoices still owe.
    pub total: Money,
    /// Of the total, under an active promise to pay.
    pub promised: Money,
    /// Of the total, under disputes in progress.
    pub disputed: Money,
    /// Money received and not yet applied to an invoice (zero or negative).
    pub credit: Money,
    pub invoices: i64,
}

impl AgingRow {
    /// Past due: every bucket but the first.
    pub fn overdue(&self) -> Money {
        let minor = self.buckets.iter().skip(1).map(|m| m.minor).sum();
        Money::new(minor, self.currency)
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AgingReport {
    pub as_of: NaiveDate,
    /// The report is today's (stored balances), not rebuilt.
    pub today: bool,
    pub filter: AgingFilter,
    /// Largest total first, within each currency.
    pub rows: Vec<AgingRow>,
    /// One per currency, over every row.
    pub totals: Vec<AgingRow>,
    /// The collectors to filter by (empty for a collector).
    pub collectors: Vec<(i64, String)>,
    pub page: i64,
    pub page_count: i64,
}

crate::reads!(AgingReport);

/// One invoice of a drill-down.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AgingInvoice {
    pub id: i64,
    pub number: String,
    pub account_id: i64,
    pub account_name: String,
    pub issue_date: NaiveDate,
    pub due_date: NaiveDate,
    pub days_past_due: i64,
    /// What it owed on the report's day.
    pub balance: Money,
    pub promised: bool,
    pub disputed: Money,
}

/// The invoices behind a cell of the report.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AgingCell {
    pub filter: AgingFilter,
    /// The row's `RowKey::param` (`None`: every row, a total's cell).
    pub key: Option<String>,
    /// `None`: every bucket (the row's total).
    pub bucket: Option<Bucket>,
    pub currency: Currency,
    pub page: i64,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AgingInvoices {
    pub as_of: NaiveDate,
    /// Oldest due first.
    pub items: Vec<AgingInvoice>,
    pub count: i64,
    pub total: Money,
    pub page: i64,
    pub page_count: i64,
}

crate::reads!(AgingInvoices);

/// Today's aging, one total per currency, for other pages (the
/// dashboard) to show as the report does.
#[cfg(feature = "ssr")]
pub async fn totals_today(
    state: &crate::state::AppState,
    principal: &crate::auth::ssr::Principal,
) -> crate::error::AppResult<Vec<AgingRow>> {
    let filter = AgingFilter { group: GroupBy::Currency, ..Default::default() };
    Ok(ssr::build(state, principal, &filter).await?.totals)
}

/// The aging report (staff, within their scope).
#[server(endpoint = "aging/report", input = server_fn::codec::Json)]
#[cfg_attr(feature = "ssr", tracing::instrument(skip_all, err(level = "info")))]
pub async fn get_aging(filter: AgingFilter) -> Result<AgingReport, AppError> {
    crate::answer::serve(async move {
        let (state, principal) = crate::auth::ssr_context().await?;
        principal.require_staff()?;
        ssr::report(&state, &principal, &filter).await
    })
    .await
}

/// The invoices of one cell of the aging report (staff, within their scope).
#[server(endpoint = "aging/cell", input = server_fn::codec::Json)]
#[cfg_attr(feature = "ssr", tracing::instrument(skip_all, err(level = "info")))]
pub async fn get_aging_cell(cell: AgingCell) -> Result<AgingInvoices, AppError> {
    crate::answer::serve(async move {
        let (state, principal) = crate::auth::ssr_context().await?;
        principal.require_staff()?;
        ssr::cell(&state, &principal, &cell).await
    })
    .await
}

#[cfg(test)]
mod tests {
    use super::Bucket;

    #[test]
    fn the_shared_ends_are_the_buckets_last_days() {
        let lasts: Vec<i64> = Bucket::ALL.iter().filter_map(|b| b.days().1).collect();
        assert_eq!(lasts, Bucket::ENDS);
        for (k, end) in Bucket::ENDS.into_iter().enumerate() {
            assert_eq!(Bucket::of_days(end), Bucket::ALL[k]);
            assert_eq!(Bucket::of_days(end + 1), Bucket::ALL[k + 1]);
        }
    }
}
