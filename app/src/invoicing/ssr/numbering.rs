//! Gap-free numbering: the next number of a series and year, taken in the
//! issuing transaction. The `number_series` row is incremented in place,
//! so a concurrent issuer waits for it (PostgreSQL's row lock, SQLite's
//! single writer) and a rolled-back issue gives its number back.

use crate::db::Tx;
use crate::error::AppResult;
use crate::invoicing::rules::Series;
use crate::with_tx;

/// The table whose numbers a series gives.
fn table(series: Series) -> &'static str {
    match series {
        Series::Invoice => "invoices",
        Series::CreditNote => "credit_notes",
    }
}

/// The next number of `series` in `year` (`F-2026-00043`). The first
/// time a year is used, it starts after the highest number of that form
/// already written (seeded or imported documents).
pub async fn next(tx: &mut Tx, series: Series, year: i32) -> AppResult<String> {
    let known: Option<i64> = with_tx!(tx, |c| {
        sqlx::query_scalar("SELECT last_number FROM number_series WHERE series = $1 AND year = $2")
            .bind(series.as_str())
            .bind(year)
            .fetch_optional(&mut *c)
            .await
    })?;
    if known.is_none() {
        let sql = format!(
            "SELECT number FROM {} WHERE number LIKE $1 ORDER BY LENGTH(number) DESC, number DESC LIMIT 1",
            table(series)
        );
        let highest: Option<String> = with_tx!(tx, |c| {
            sqlx::query_scalar(&sql).bind(format!("{}%", series.prefix(year))).fetch_optional(&mut *c).await
        })?;
        let start = highest.and_then(|n| series.sequence_of(year, &n)).unwrap_or(0);
        with_tx!(tx, |c| {
            sqlx::query(
                "INSERT INTO number_series (series, year, last_number) VALUES ($1, $2, $3)
                 ON CONFLICT (series, year) DO NOTHING",
            )
            .bind(series.as_str())
            .bind(year)
            .bind(start)
            .execute(&mut *c)
            .await
            .map(|r| r.rows_affected())
        })?;
    }
    let n: i64 = with_tx!(tx, |c| {
        sqlx::query_scalar(
            "UPDATE number_series SET last_number = last_number + 1 WHERE series = $1 AND year = $2
             RETURNING last_number",
        )
        .bind(series.as_str())
        .bind(year)
        .fetch_one(&mut *c)
        .await
    })?;
    Ok(series.number(year, n))
}
