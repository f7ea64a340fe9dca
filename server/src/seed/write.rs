//! Writing the plan: one transaction, into an empty database only.

use super::*;

pub(super) const INSERT_USER: &str =
    "INSERT INTO users (email, name, password_hash, role, account_id, locale, phone, active, created_at) \
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id";

/// Seeds the demo data into an empty database (no merchant, user or
/// account); otherwise returns Ok(None) and writes nothing. One transaction.
pub async fn seed_demo(db: &Db, now: DateTime<Utc>, password_hash: &str) -> anyhow::Result<Option<SeedReport>> {
    let plan = plan_demo(now.date_naive())?;
    let currency = CURRENCY.code();
    let report = with_db!(db, |pool| {
        let mut tx = pool.begin().await?;
        let existing: i64 = sqlx::query_scalar(
            "SELECT (SELECT COUNT(*) FROM merchant) + (SELECT COUNT(*) FROM users) + (SELECT COUNT(*) FROM accounts)",
        )
        .fetch_one(&mut *tx)
        .await?;
        if existing > 0 {
            tx.rollback().await?;
            Ok::<_, sqlx::Error>(None)
        } else {
            sqlx::query(
                "INSERT INTO merchant (id, company_name, legal_id, address, email, phone, default_currency, \
                 default_locale, payment_terms_days, updated_at, siren, vat_number) \
                 VALUES (1, $1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
            )
            .bind(MERCHANT_NAME)
            .bind(MERCHANT_LEGAL_ID)
            .bind(MERCHANT_ADDRESS)
            .bind(MERCHANT_EMAIL)
            .bind(MERCHANT_PHONE)
            .bind(currency)
            .bind(Locale::Fr.code())
            .bind(MERCHANT_TERMS_DAYS)
            .bind(now)
            .bind(MERCHANT_SIREN)
            .bind(MERCHANT_VAT)
            .execute(&mut *tx)
            .await?;

            let mut staff_ids: Vec<i64> = Vec::with_capacity(plan.staff.len());
            for user in &plan.staff {
                let id: i64 = sqlx::query_scalar(INSERT_USER)
                    .bind(&user.email)
                    .bind(&user.name)
                    .bind(user.has_password.then_some(password_hash))
                    .bind(user.role.as_str())
                    .bind(None::<i64>)
                    .bind(user.locale.code())
                    .bind(&user.phone)
                    .bind(true)
                    .bind(now)
                    .fetch_one(&mut *tx)
                    .await?;
                staff_ids.push(id);
            }

            let mut account_ids: Vec<i64> = Vec::with_capacity(plan.accounts.len());
            for account in &plan.accounts {
                let id: i64 = sqlx::query_scalar(
                    "INSERT INTO accounts (code, legal_name, billing_email, billing_phone, address, language, segment, \
                     collector_id, payment_terms_days, credit_limit_minor, currency, created_at, search_text) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13) RETURNING id",
                )
                .bind(&account.code)
                .bind(&account.legal_name)
                .bind(&account.billing_email)
                .bind(&account.billing_phone)
                .bind(&account.address)
                .bind(account.language.code())
                .bind(account.segment.as_str())
                .bind(account.collector.map(|i| staff_ids[i]))
                .bind(account.payment_terms_days)
                .bind(account.credit_limit_minor)
                .bind(currency)
                .bind(now)
                .bind(app::domain::search_key(&account.code, &account.legal_name, &account.billing_email))
                .fetch_one(&mut *tx)
                .await?;
                account_ids.push(id);
            }

            for contact in &plan.contacts {
                sqlx::query(INSERT_USER)
                    .bind(&contact.email)
                    .bind(&contact.name)
                    .bind(contact.has_password.then_some(password_hash))
                    .bind(contact.role.as_str())
                    .bind(contact.account.map(|i| account_ids[i]))
                    .bind(contact.locale.code())
                    .bind(&contact.phone)
                    .bind(true)
                    .bind(now)
                    .execute(&mut *tx)
                    .await?;
            }

            let mut invoice_ids: Vec<i64> = Vec::with_capacity(plan.invoices.len());
            for invoice in &plan.invoices {
                let id: i64 = sqlx::query_scalar(
                    "INSERT INTO invoices (account_id, number, issue_date, due_date, currency, subtotal_minor, \
                     tax_minor, total_minor, status, created_at) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING id",
                )
                .bind(account_ids[invoice.account])
                .bind(&invoice.number)
                .bind(invoice.issue_date)
                .bind(invoice.due_date)
                .bind(currency)
                .bind(invoice.subtotal_minor)
                .bind(invoice.tax_minor)
                .bind(invoice.total_minor)
                .bind(if invoice.void { "void" } else { "issued" })
                .bind(now)
                .fetch_one(&mut *tx)
                .await?;
                for (position, line) in (1_i32..).zip(&invoice.lines) {
                    sqlx::query(
                        "INSERT INTO invoice_lines (invoice_id, position, description, quantity_milli, \
                         unit_price_minor, tax_rate_bp, net_minor, tax_minor) \
                         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
                    )
                    .bind(id)
                    .bind(position)
                    .bind(&line.description)
                    .bind(line.quantity_milli)
                    .bind(line.unit_price_minor)
                    .bind(line.tax_rate_bp)
                    .bind(line.net_minor)
                    .bind(line.tax_minor)
                    .execute(&mut *tx)
                    .await?;
                }
                invoice_ids.push(id);
            }

            for e in &plan.entries {
                sqlx::query(
                    "INSERT INTO ledger_entries (account_id, invoice_id, kind, amount_minor, currency, occurred_on, \
                     reference, memo, created_by, created_at) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, NULL, $9)",
                )
                .bind(account_ids[e.account])
                .bind(e.invoice.map(|i| invoice_ids[i]))
                .bind(e.kind.as_str())
                .bind(e.amount_minor)
                .bind(currency)
                .bind(e.occurred_on)
                .bind(&e.reference)
                .bind(&e.memo)
                .bind(now)
                .execute(&mut *tx)
                .await?;
            }
            // The credit notes above were numbered in the staff's series:
            // the next one issued follows them.
            for (year, last) in credit_note_series(&plan.entries) {
                sqlx::query("INSERT INTO number_series (series, year, last_number) VALUES ('credit_note', $1, $2)")
                    .bind(year)
                    .bind(last)
                    .execute(&mut *tx)
                    .await?;
            }

            tx.commit().await?;
            Ok::<_, sqlx::Error>(Some(SeedReport {
                accounts: plan.accounts.len(),
                invoices: plan.invoices.len(),
                ledger_entries: plan.entries.len(),
                users: plan.staff.len() + plan.contacts.len(),
            }))
        }
    })?;
    if report.is_some() {
        // The entries were written directly: the stored balances follow.
        app::ledger::balances::rebuild(db, now.date_naive()).await.map_err(|e| anyhow::anyhow!("{e}"))?;
    }
    Ok(report)
}
