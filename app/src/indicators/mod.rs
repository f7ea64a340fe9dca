//! Collection indicators, per month over the last twelve: DSO (count-back
//! and simple), best possible DSO, average days delinquent, CEI, the share
//! of invoices paid on time, the promise-kept rate, the dispute rate and
//! the average time to resolve a dispute.
//!
//! Every amount behind them is one currency's (the accounts of that
//! currency), and every figure is as of the month's last day (today for
//! the current month), rebuilt from the ledger as the aging of a past day
//! is: last year's figures read the same next year. Staff see their own
//! scope. `formulas.rs` holds the arithmetic, `ssr.rs` the queries,
//! `pages.rs` the page and its charts (SVG drawn on the server).

use crate::domain::{Currency, Money, Segment};
use crate::error::AppError;
use crate::i18n::Msg;
use chrono::NaiveDate;
use leptos::prelude::*;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

pub mod chart;
#[cfg(feature = "ssr")]
pub mod formulas;
pub mod pages;
#[cfg(feature = "ssr")]
pub mod ssr;

/// How many months the indicators cover, the current one last.
pub const MONTHS: usize = 12;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Indicator {
    DsoCountBack,
    DsoSimple,
    BestPossibleDso,
    AverageDaysDelinquent,
    Cei,
    PaidOnTime,
    PromisesKept,
    DisputeRate,
    ResolutionDays,
}

/// What a figure counts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Unit {
    Days,
    Percent,
}

impl Indicator {
    pub const ALL: [Indicator; 9] = [
        Indicator::DsoCountBack,
        Indicator::DsoSimple,
        Indicator::BestPossibleDso,
        Indicator::AverageDaysDelinquent,
        Indicator::Cei,
        Indicator::PaidOnTime,
        Indicator::PromisesKept,
        Indicator::DisputeRate,
        Indicator::ResolutionDays,
    ];

    pub fn index(self) -> usize {
        self as usize
    }

    /// Its name in the page's anchors and test ids.
    pub fn slug(self) -> &'static str {
        match self {
            Indicator::DsoCountBack => "dso-count-back",
            Indicator::DsoSimple => "dso-simple",
            Indicator::BestPossibleDso => "best-possible-dso",
            Indicator::AverageDaysDelinquent => "average-days-delinquent",
            Indicator::Cei => "cei",
            Indicator::PaidOnTime => "paid-on-time",
            Indicator::PromisesKept => "promises-kept",
            Indicator::DisputeRate => "dispute-rate",
            Indicator::ResolutionDays => "resolution-days",
        }
    }

    pub fn msg(self) -> Msg {
        match self {
            Indicator::DsoCountBack => Msg::KpiDsoCountBack,
            Indicator::DsoSimple => Msg::KpiDsoSimple,
            Indicator::BestPossibleDso => Msg::KpiBestPossibleDso,
            Indicator::AverageDaysDelinquent => Msg::KpiAverageDaysDelinquent,
            Indicator::Cei => Msg::KpiCei,
            Indicator::PaidOnTime => Msg::KpiPaidOnTime,
            Indicator::PromisesKept => Msg::KpiPromisesKept,
            Indicator::DisputeRate => Msg::KpiDisputeRate,
            Indicator::ResolutionDays => Msg::KpiResolutionDays,
        }
    }

    /// How it is computed, in words (the tooltip).
    pub fn formula(self) -> Msg {
        match self {
            Indicator::DsoCountBack => Msg::KpiDsoCountBackFormula,
            Indicator::DsoSimple => Msg::KpiDsoSimpleFormula,
            Indicator::BestPossibleDso => Msg::KpiBestPossibleDsoFormula,
            Indicator::AverageDaysDelinquent => Msg::KpiAverageDaysDelinquentFormula,
            Indicator::Cei => Msg::KpiCeiFormula,
            Indicator::PaidOnTime => Msg::KpiPaidOnTimeFormula,
            Indicator::PromisesKept => Msg::KpiPromisesKeptFormula,
            Indicator::DisputeRate => Msg::KpiDisputeRateFormula,
            Indicator::ResolutionDays => Msg::KpiResolutionDaysFormula,
        }
    }

    pub fn unit(self) -> Unit {
        match self {
            Indicator::Cei | Indicator::PaidOnTime | Indicator::PromisesKept | Indicator::DisputeRate => Unit::Percent,
            _ => Unit::Days,
        }
    }
}

/// Which accounts the indicators cover.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct IndicatorsFilter {
    /// `None`: the merchant's currency if any account is in it, else the
    /// first one used.
    pub currency: Option<Currency>,
    pub segment: Option<Segment>,
    /// `Some(0)`: accounts with no collector.
    pub collector_id: Option<i64>,
}

impl IndicatorsFilter {
    pub fn from_query(get: impl Fn(&str) -> Option<String>) -> IndicatorsFilter {
        IndicatorsFilter {
            currency: get("currency").and_then(|c| Currency::parse(&c).ok()),
            segment: get("segment").and_then(|s| Segment::parse(&s)),
            collector_id: get("collector").and_then(|s| s.parse().ok()),
        }
    }
}

/// One month's figures.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct MonthFigures {
    /// Its first day.
    pub month: NaiveDate,
    /// The day its figures are as of: its last, or today.
    pub end: NaiveDate,
    pub sales: Money,
    /// Owed at `end`, and of that not yet due.
    pub receivable: Money,
    pub current: Money,
    /// In `Indicator::ALL`'s order; `None` when there is nothing to
    /// measure (no sales, no promise settled, …).
    pub values: Vec<Option<Decimal>>,
}

impl MonthFigures {
    pub fn value(&self, indicator: Indicator) -> Option<Decimal> {
        self.values.get(indicator.index()).copied().flatten()
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Indicators {
    pub today: NaiveDate,
    pub filter: IndicatorsFilter,
    /// The currency shown, and those of the accounts in scope.
    pub currency: Currency,
    pub currencies: Vec<Currency>,
    /// The oldest first; `MONTHS` of them.
    pub months: Vec<MonthFigures>,
    /// The collectors to filter by (empty for a collector).
    pub collectors: Vec<(i64, String)>,
}

crate::reads!(Indicators);

/// The indicators (staff, within their scope).
#[server(endpoint = "indicators/get", input = server_fn::codec::Json)]
#[cfg_attr(feature = "ssr", tracing::instrument(skip_all, err(level = "info")))]
pub async fn get_indicators(filter: IndicatorsFilter) -> Result<Indicators, AppError> {
    crate::answer::serve(async move {
        let (state, principal) = crate::auth::ssr_context().await?;
        principal.require_staff()?;
        ssr::indicators(&state, &principal, &filter).await
    })
    .await
}
