//! Command-line user management and first-start seeding.

use app::auth::ssr::hash_password_blocking;
use app::db::{Clock, Db};
use app::domain::{EmailAddress, Locale, Role};
use app::with_db;

/// Seeds the demo data on a fresh database (no merchant yet).
pub async fn seed_if_empty(db: &Db, clock: Clock) -> anyhow::Result<()> {
    let hash = tokio::task::spawn_blocking(|| hash_password_blocking(crate::seed::DEMO_PASSWORD)).await??;
    if let Some(report) = crate::seed::seed_demo(db, clock.now(), &hash).await? {
        crate::seed_plan::example(db, clock.now()).await?;
        tracing::warn!(
            accounts = report.accounts,
            invoices = report.invoices,
            ledger_entries = report.ledger_entries,
            users = report.users,
            "demo data seeded: demo logins with a public password exist (set RELANCE_SEED_DEMO=false for real use)"
        );
    }
    Ok(())
}

pub struct NewUser {
    pub email: EmailAddress,
    pub name: String,
    pub role: Role,
    pub account_code: Option<String>,
    pub locale: Option<Locale>,
}

/// Creates a user with a password; clients are attached to an account by code.
pub async fn create_user(db: &Db, clock: Clock, user: NewUser, password: &str) -> anyhow::Result<i64> {
    anyhow::ensure!(password.chars().count() >= 10, "the password must be at least 10 characters long");
    anyhow::ensure!(!user.name.trim().is_empty(), "the name must not be empty");
    let account_id = match (&user.role, &user.account_code) {
        (Role::Client, Some(code)) => {
            let id: Option<i64> = with_db!(db, |pool| {
                sqlx::query_scalar("SELECT id FROM accounts WHERE code = $1").bind(code).fetch_optional(pool).await
            })?;
            Some(id.ok_or_else(|| anyhow::anyhow!("no client account with code {code}"))?)
        }
        (Role::Client, None) => anyhow::bail!("a client contact needs --account <code>"),
        (_, Some(_)) => anyhow::bail!("--account only applies to --role client"),
        (_, None) => None,
    };
    let password = password.to_string();
    let hash = tokio::task::spawn_blocking(move || hash_password_blocking(&password)).await??;
    let id: i64 = with_db!(db, |pool| {
        sqlx::query_scalar(
            "INSERT INTO users (email, name, password_hash, role, account_id, locale, active, created_at)
             VALUES ($1, $2, $3, $4, $5, $6, TRUE, $7) RETURNING id",
        )
        .bind(user.email.as_ref())
        .bind(user.name.trim())
        .bind(&hash)
        .bind(user.role.as_str())
        .bind(account_id)
        .bind(user.locale.map(|l| l.code()))
        .bind(clock.now())
        .fetch_one(pool)
        .await
    })
    .map_err(|e| match e {
        sqlx::Error::Database(d) if d.is_unique_violation() => {
            anyhow::anyhow!("a user with this e-mail already exists")
        }
        other => anyhow::Error::new(other),
    })?;
    Ok(id)
}
