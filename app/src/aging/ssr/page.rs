//! The aging page by account: the page cut in SQL, so that tens of
//! thousands of account rows stay in the database (the exports and the
//! other groupings add every row up in `super::added_up`).

use super::*;

/// A page's row, or (`total_row` = 1) a currency's total over every row,
/// with its count of rows.
#[derive(sqlx::FromRow)]
struct PageRow {
    total_row: i64,
    #[sqlx(flatten)]
    buckets: BucketRow,
    row_count: i64,
}

/// The report by account, one page of it. One query adds up every
/// account's buckets once (a materialized CTE) and returns the page's rows
/// in the report's order with each currency's totals; the accounts that
/// hold only credit are rows too (owing nothing, last of their currency).
/// The holds and the credit, far fewer rows, are read beside it, on other
/// connections, and the names for the page's rows after.
#[tracing::instrument(skip(state, principal))]
pub(super) async fn account_page(state: &AppState, principal: &Principal, f: &AgingFilter) -> AppResult<AgingReport> {
    let plan = Plan::new(state, principal, f)?;
    fresh(state, plan.day).await?;
    let mut args = Args::default();
    let conditions = account_conditions(plan.scope, f, &mut args);
    let buckets = plan.buckets_sql(GroupBy::Account, &conditions, &mut args);
    let credit_in_page = plan.credit_sql(GroupBy::Account, &conditions, &mut args);
    let [(mut hold_args, hold_conditions), (mut credit_args, credit_conditions)] = [(); 2].map(|_| {
        let mut args = Args::default();
        let conditions = account_conditions(plan.scope, f, &mut args);
        (args, conditions)
    });
    let holds_sql = plan.holds_sql(GroupBy::Account, &hold_conditions, &mut hold_args);
    let credit_sql = plan.credit_sql(GroupBy::Account, &credit_conditions, &mut credit_args);

    let zero = "CAST(0 AS BIGINT)";
    let rows = format!(
        "(SELECT agg.k_id, agg.k_code, agg.currency, agg.b0, agg.b1, agg.b2, agg.b3, agg.b4, agg.b5, agg.amount, agg.invoices
          FROM agg
          UNION ALL
          SELECT c.k_id, c.k_code, c.currency, {zero}, {zero}, {zero}, {zero}, {zero}, {zero}, {zero}, {zero}
          FROM ({credit_in_page}) c WHERE NOT EXISTS (SELECT 1 FROM agg WHERE agg.k_id = c.k_id)) r"
    );
    let page_sql = |offset: usize| {
        format!(
            "WITH agg AS MATERIALIZED (SELECT g.*, g.b0 + g.b1 + g.b2 + g.b3 + g.b4 + g.b5 AS amount FROM ({buckets}) g)
             SELECT * FROM (
               SELECT {zero} AS total_row, r.k_id, r.k_code, r.currency, r.b0, r.b1, r.b2, r.b3, r.b4, r.b5,
                      r.invoices, {zero} AS row_count
               FROM {rows} ORDER BY r.currency, r.amount DESC, r.k_id LIMIT {ROWS_PER_PAGE} OFFSET {offset}) p
             UNION ALL
             SELECT CAST(1 AS BIGINT), {zero}, CAST('' AS TEXT), r.currency, CAST(SUM(r.b0) AS BIGINT),
                    CAST(SUM(r.b1) AS BIGINT), CAST(SUM(r.b2) AS BIGINT), CAST(SUM(r.b3) AS BIGINT),
                    CAST(SUM(r.b4) AS BIGINT), CAST(SUM(r.b5) AS BIGINT), CAST(SUM(r.invoices) AS BIGINT),
                    CAST(COUNT(*) AS BIGINT)
             FROM {rows} GROUP BY r.currency"
        )
    };

    let wanted = usize::try_from(f.page.max(1)).unwrap_or(1);
    let first_sql = page_sql((wanted - 1) * ROWS_PER_PAGE);
    type Read = (Vec<PageRow>, Vec<HoldRow>, Vec<CreditRow>, Vec<(i64, String)>);
    let collectors = matches!(plan.scope, Scope::All);
    let (mut fetched, holds, credits, collectors): Read = with_db!(&state.db, |pool| {
        async {
            let page = bind_args!(sqlx::query_as(&first_sql), args.clone()).fetch_all(pool);
            let holds = bind_args!(sqlx::query_as(&holds_sql), hold_args).fetch_all(pool);
            let credits = bind_args!(sqlx::query_as(&credit_sql), credit_args).fetch_all(pool);
            let names = async {
                if !collectors {
                    return Ok(Vec::new());
                }
                sqlx::query_as(crate::collection::COLLECTORS_SQL).fetch_all(pool).await
            };
            futures::try_join!(page, holds, credits, names)
        }
        .await
    })?;
    let count = fetched.iter().filter(|r| r.total_row == 1).map(|r| r.row_count).sum::<i64>() as usize;
    let pages = count.div_ceil(ROWS_PER_PAGE).max(1);
    let page = wanted.min(pages);
    if page != wanted {
        // A page past the last (a stale link): the last one.
        let last_sql = page_sql((page - 1) * ROWS_PER_PAGE);
        fetched = with_db!(&state.db, |pool| { bind_args!(sqlx::query_as(&last_sql), args).fetch_all(pool).await })?;
    }

    let mut rows = Vec::new();
    let mut totals = Vec::new();
    for r in &fetched {
        let currency = crate::ledger::parse_currency(&r.buckets.currency)?;
        let key = if r.total_row == 1 { RowKey::Currency } else { row_key(Key::Account(r.buckets.key.k_id)) };
        let mut row = empty_row(key, currency);
        row.add_buckets(&r.buckets);
        if r.total_row == 1 {
            totals.push(row);
        } else {
            rows.push(row);
        }
    }
    let shown = |rows: &[AgingRow], id: i64, currency: Currency| -> Option<usize> {
        rows.iter().position(|r| r.currency == currency && matches!(r.key, RowKey::Account { id: k, .. } if k == id))
    };
    for h in &holds {
        let currency = crate::ledger::parse_currency(&h.currency)?;
        if let Some(total) = totals.iter_mut().find(|t| t.currency == currency) {
            total.add_hold(h);
        }
        if let Some(k) = shown(&rows, h.key.k_id, currency) {
            rows[k].add_hold(h);
        }
    }
    for c in &credits {
        let currency = crate::ledger::parse_currency(&c.currency)?;
        if let Some(total) = totals.iter_mut().find(|t| t.currency == currency) {
            total.credit.minor += c.credit;
        }
        if let Some(k) = shown(&rows, c.key.k_id, currency) {
            rows[k].credit.minor += c.credit;
        }
    }
    totals.sort_by(|x, y| x.currency.code().cmp(y.currency.code()));
    rows.sort_by(|x, y| {
        x.currency.code().cmp(y.currency.code()).then(y.total.minor.cmp(&x.total.minor)).then_with(|| order(x, y))
    });
    name_accounts(state, &mut rows).await?;
    Ok(AgingReport {
        as_of: plan.day.on,
        today: plan.day.today,
        filter: f.clone(),
        rows,
        totals,
        collectors,
        page: page as i64,
        page_count: pages as i64,
    })
}
