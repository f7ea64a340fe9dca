//! The database handle: one enum over the two native sqlx pools. Queries are
//! written once and compiled for both backends through `with_db!`.

use chrono::{DateTime, Utc};
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions};
use sqlx::{PgPool, SqlitePool};
use std::str::FromStr;
use std::time::Duration;

#[derive(Clone, Debug)]
pub enum Db {
    Sqlite(SqlitePool),
    Postgres(PgPool),
}

/// Runs the same block against whichever pool `db` holds. The block is
/// compiled once per backend, so the SQL text exists once.
#[macro_export]
macro_rules! with_db {
    ($db:expr, |$pool:ident| $body:expr) => {
        match $db {
            $crate::db::Db::Sqlite($pool) => $body,
            $crate::db::Db::Postgres($pool) => $body,
        }
    };
}

impl Db {
    /// Connects by URL scheme (`sqlite:` or `postgres:`), creating a missing
    /// SQLite file, with the default pool size.
    pub async fn connect(url: &str) -> anyhow::Result<Db> {
        Db::connect_with(url, None).await
    }

    /// Connects with at most `pool_size` connections (default: 8 for
    /// SQLite, 16 for PostgreSQL). No code path takes a second connection
    /// while it holds a transaction, so any size ≥ 1 makes progress.
    pub async fn connect_with(url: &str, pool_size: Option<u32>) -> anyhow::Result<Db> {
        if url.starts_with("sqlite:") {
            let opts = SqliteConnectOptions::from_str(url)?
                .create_if_missing(true)
                .journal_mode(SqliteJournalMode::Wal)
                .foreign_keys(true)
                .busy_timeout(Duration::from_secs(10))
                // Pages read through a shared memory map rather than a
                // `pread` per page missing from each connection's small
                // cache: the reminder job reads ~3 times faster at 100,000
                // invoices. Address space only; the OS shares the pages.
                .pragma("mmap_size", "268435456");
            let pool = SqlitePoolOptions::new()
                .max_connections(pool_size.unwrap_or(8))
                .acquire_timeout(Duration::from_secs(10))
                .connect_with(opts)
                .await?;
            Ok(Db::Sqlite(pool))
        } else if url.starts_with("postgres:") || url.starts_with("postgresql:") {
            // Every SQL text is built for its case (filters, scope, sort are
            // in the text; only values are parameters), so the generic plan
            // of a prepared statement is the right one: no re-planning of
            // the same query on each of a connection's first executions.
            let opts = PgConnectOptions::from_str(url)?.options([("plan_cache_mode", "force_generic_plan")]);
            let pool = PgPoolOptions::new()
                .max_connections(pool_size.unwrap_or(16))
                .acquire_timeout(Duration::from_secs(10))
                .connect_with(opts)
                .await?;
            Ok(Db::Postgres(pool))
        } else {
            anyhow::bail!("DATABASE_URL must start with sqlite: or postgres:")
        }
    }

    pub async fn migrate(&self) -> anyhow::Result<()> {
        match self {
            Db::Sqlite(pool) => sqlx::migrate!("../migrations/sqlite").run(pool).await?,
            Db::Postgres(pool) => sqlx::migrate!("../migrations/postgres").run(pool).await?,
        }
        Ok(())
    }

    pub fn backend(&self) -> &'static str {
        match self {
            Db::Sqlite(_) => "sqlite",
            Db::Postgres(_) => "postgres",
        }
    }

    pub async fn close(&self) {
        with_db!(self, |pool| pool.close().await)
    }
}

/// The application clock. Dates and times come from here, never from SQL's
/// `now()`, so tests can pin "today".
#[derive(Clone, Copy, Debug)]
pub enum Clock {
    System,
    Fixed(DateTime<Utc>),
}

impl Clock {
    pub fn now(&self) -> DateTime<Utc> {
        match self {
            Clock::System => Utc::now(),
            Clock::Fixed(t) => *t,
        }
    }

    pub fn today(&self) -> chrono::NaiveDate {
        self.now().date_naive()
    }
}

/// A transaction on either backend. Helpers that write several rows take a
/// `&mut Tx` so callers can put them in one transaction with their own
/// statements.
pub enum Tx {
    Sqlite(sqlx::Transaction<'static, sqlx::Sqlite>),
    Postgres(sqlx::Transaction<'static, sqlx::Postgres>),
}

/// Runs the same block on the transaction's connection, once per backend.
#[macro_export]
macro_rules! with_tx {
    ($tx:expr, |$conn:ident| $body:expr) => {
        match $tx {
            $crate::db::Tx::Sqlite(t) => {
                let $conn = &mut **t;
                $body
            }
            $crate::db::Tx::Postgres(t) => {
                let $conn = &mut **t;
                $body
            }
        }
    };
}

impl Db {
    pub async fn begin(&self) -> Result<Tx, sqlx::Error> {
        Ok(match self {
            // Writers take the lock up front: a deferred transaction that
            // reads then writes can fail with SQLITE_BUSY under concurrency.
            Db::Sqlite(pool) => Tx::Sqlite(pool.begin_with("BEGIN IMMEDIATE").await?),
            Db::Postgres(pool) => Tx::Postgres(pool.begin().await?),
        })
    }
}

impl Tx {
    pub async fn commit(self) -> Result<(), sqlx::Error> {
        match self {
            Tx::Sqlite(t) => t.commit().await,
            Tx::Postgres(t) => t.commit().await,
        }
    }

    /// Undoes the transaction now (dropping it also does, later).
    pub async fn rollback(self) -> Result<(), sqlx::Error> {
        match self {
            Tx::Sqlite(t) => t.rollback().await,
            Tx::Postgres(t) => t.rollback().await,
        }
    }

    pub fn backend(&self) -> &'static str {
        match self {
            Tx::Sqlite(_) => "sqlite",
            Tx::Postgres(_) => "postgres",
        }
    }
}

/// A value to bind to a query whose text is built from the request (which
/// filters apply): `Args::push` returns its placeholder, `bind_args!` binds
/// them all in order, so the text only holds the conditions that apply and
/// the planner sees plain, indexable predicates.
#[derive(Clone, Debug)]
pub enum Arg {
    Bool(bool),
    Int(i64),
    OptInt(Option<i64>),
    Text(String),
    OptText(Option<String>),
    Date(chrono::NaiveDate),
    OptDate(Option<chrono::NaiveDate>),
    Time(chrono::DateTime<chrono::Utc>),
}

#[derive(Clone, Debug, Default)]
pub struct Args(pub Vec<Arg>);

impl Args {
    /// `n` placeholders in parentheses, `($4, $5, $6)`, for the values
    /// pushed next (a row of a multi-row insert).
    pub fn row(&mut self, values: impl IntoIterator<Item = Arg>) -> String {
        let marks: Vec<String> = values.into_iter().map(|v| self.push(v)).collect();
        format!("({})", marks.join(", "))
    }

    /// Adds a value; returns its placeholder (`$n`).
    pub fn push(&mut self, arg: Arg) -> String {
        self.0.push(arg);
        format!("${}", self.0.len())
    }
}

/// Binds every `Args` value to a query, in order.
#[macro_export]
macro_rules! bind_args {
    ($query:expr, $args:expr) => {{
        let mut query = $query;
        for arg in &$args.0 {
            query = match arg {
                $crate::db::Arg::Bool(v) => query.bind(*v),
                $crate::db::Arg::Int(v) => query.bind(*v),
                $crate::db::Arg::OptInt(v) => query.bind(*v),
                $crate::db::Arg::Text(v) => query.bind(v.clone()),
                $crate::db::Arg::OptText(v) => query.bind(v.clone()),
                $crate::db::Arg::Date(v) => query.bind(*v),
                $crate::db::Arg::OptDate(v) => query.bind(*v),
                $crate::db::Arg::Time(v) => query.bind(*v),
            };
        }
        query
    }};
}

/// Where a read helper runs: on the pool (one connection, taken for the
/// helper's queries) or inside the caller's transaction. Helpers that read
/// take a `Conn`, so there is no `x`/`x_tx` pair, no write transaction is
/// opened just to read, and nothing reads from the pool while the caller
/// holds a transaction (which, under load, waits on itself).
pub enum Conn<'a> {
    Pool(&'a Db),
    Tx(&'a mut Tx),
}

impl Conn<'_> {
    /// The same connection for one more call, keeping this one usable.
    pub fn reborrow(&mut self) -> Conn<'_> {
        match self {
            Conn::Pool(db) => Conn::Pool(db),
            Conn::Tx(tx) => Conn::Tx(tx),
        }
    }
}

impl<'a> From<&'a Db> for Conn<'a> {
    fn from(db: &'a Db) -> Self {
        Conn::Pool(db)
    }
}

impl<'a> From<&'a mut Tx> for Conn<'a> {
    fn from(tx: &'a mut Tx) -> Self {
        Conn::Tx(tx)
    }
}

/// Runs the same block on a `Conn`'s connection (`&mut` of the backend's
/// connection type), once per backend. A pool connection is taken for the
/// block and returned after it.
#[macro_export]
macro_rules! with_conn {
    ($conn:expr, |$c:ident| $body:expr) => {
        match $conn {
            $crate::db::Conn::Pool($crate::db::Db::Sqlite(pool)) => {
                let mut pooled = pool.acquire().await?;
                let $c = &mut *pooled;
                $body
            }
            $crate::db::Conn::Pool($crate::db::Db::Postgres(pool)) => {
                let mut pooled = pool.acquire().await?;
                let $c = &mut *pooled;
                $body
            }
            $crate::db::Conn::Tx($crate::db::Tx::Sqlite(t)) => {
                let $c = &mut **t;
                $body
            }
            $crate::db::Conn::Tx($crate::db::Tx::Postgres(t)) => {
                let $c = &mut **t;
                $body
            }
        }
    };
}

/// Pages counted ahead of the current one: enough for the pager, without
/// counting a million rows on every request.
pub const PAGES_AHEAD: i64 = 4;

/// How many rows a paged list's filter matches, counted up to `PAGES_AHEAD`
/// pages after the current one.
#[derive(Clone, Debug)]
pub struct CappedCount {
    /// `SELECT COUNT(*)` of the filter, one row past the cap at most.
    pub sql: String,
    cap: i64,
    page_size: i64,
}

impl CappedCount {
    /// The count of `SELECT 1 {from_where}` seen from `page`.
    pub fn new(from_where: &str, page: i64, page_size: i64) -> Self {
        let cap = (page + PAGES_AHEAD) * page_size;
        CappedCount { sql: format!("SELECT COUNT(*) FROM (SELECT 1 {from_where} LIMIT {}) x", cap + 1), cap, page_size }
    }

    /// What `sql` returned, as the pager sees it.
    pub fn counted(&self, rows: i64) -> Counted {
        Counted { rows: rows.min(self.cap), page_size: self.page_size, more: rows > self.cap }
    }
}

/// How many rows match, counted up to a cap.
#[derive(Clone, Copy, Debug)]
pub struct Counted {
    pub rows: i64,
    pub page_size: i64,
    /// More rows than the cap.
    pub more: bool,
}

impl Counted {
    pub fn pages(self) -> i64 {
        ((self.rows + self.page_size - 1) / self.page_size).max(1)
    }
}
