//! `relance backup` and `relance restore` for the SQLite database.
//!
//! A backup is `VACUUM INTO`: one read transaction, so the copy is the
//! database as it stood at one instant, taken while the portal serves
//! (writers are not blocked). The copy is checked (`integrity_check`)
//! before the command says it is done.
//!
//! A restore puts a backup in place of the configured database. It refuses
//! while anything else has the database open (a running server), a file
//! that is not a sound Relance database, and a backup made by a newer
//! version. The database it replaces is kept beside it
//! (`relance.db.replaced-<time>`), never deleted; migrations then bring an
//! older backup up to date.
//!
//! On PostgreSQL both say to use `pg_dump` and `pg_restore`.

use anyhow::{bail, ensure, Context};
use app::db::Db;
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode};
use sqlx::{ConnectOptions, Connection};
use std::path::{Path, PathBuf};
use std::str::FromStr;

const POSTGRES: &str =
    "on PostgreSQL, back up with pg_dump (pg_dump --format=custom --file=relance.dump \"$DATABASE_URL\") \
     and restore with pg_restore (pg_restore --clean --if-exists --dbname=\"$DATABASE_URL\" relance.dump); \
     see the README, \"Backups\"";

/// What a backup or a restore wrote.
#[derive(Debug)]
pub struct Copied {
    pub path: PathBuf,
    pub bytes: u64,
    /// Where the database that was replaced now is (restore only).
    pub replaced: Option<PathBuf>,
}

/// Copies the live database to `to` (a new file) while it serves.
pub async fn backup(db: &Db, to: &Path) -> anyhow::Result<Copied> {
    let Db::Sqlite(pool) = db else { bail!("{POSTGRES}") };
    ensure!(!to.exists(), "{} already exists: a backup never overwrites a file", to.display());
    let target = to.to_str().context("the backup path must be valid UTF-8")?;
    sqlx::query("VACUUM INTO $1").bind(target).execute(pool).await.context("VACUUM INTO")?;
    check(to).await.context("checking the backup")?;
    Ok(Copied { path: to.to_path_buf(), bytes: std::fs::metadata(to)?.len(), replaced: None })
}

/// Opens `path` read-only and checks it is a sound Relance database, made
/// by this version or an older one; answers its newest migration.
async fn check(path: &Path) -> anyhow::Result<i64> {
    let mut conn = SqliteConnectOptions::new().filename(path).read_only(true).connect().await?;
    let integrity: String = sqlx::query_scalar("PRAGMA integrity_check").fetch_one(&mut conn).await?;
    ensure!(integrity == "ok", "{} is damaged: {integrity}", path.display());
    let newest: Option<i64> = sqlx::query_scalar("SELECT MAX(version) FROM _sqlx_migrations WHERE success")
        .fetch_one(&mut conn)
        .await
        .with_context(|| format!("{} is not a Relance database", path.display()))?;
    let newest = newest.with_context(|| format!("{} is not a Relance database (no migration)", path.display()))?;
    let known = sqlx::migrate!("../migrations/sqlite").iter().map(|m| m.version).max().unwrap_or(0);
    ensure!(
        newest <= known,
        "{} was made by a newer version of Relance (migration {newest}; this one knows up to {known})",
        path.display()
    );
    conn.close().await?;
    Ok(newest)
}

/// The file an `sqlite:` URL names.
fn sqlite_file(database_url: &str) -> anyhow::Result<PathBuf> {
    if !database_url.starts_with("sqlite:") {
        bail!("{POSTGRES}");
    }
    let opts = SqliteConnectOptions::from_str(database_url)?;
    Ok(opts.get_filename().to_path_buf())
}

/// Puts the backup `from` in place of the database `database_url` names.
pub async fn restore(from: &Path, database_url: &str) -> anyhow::Result<Copied> {
    let target = sqlite_file(database_url)?;
    ensure!(from.exists(), "{} does not exist", from.display());
    check(from).await.context("checking the backup")?;
    let mut replaced = None;
    if target.exists() {
        // Nobody else may have it open: take it exclusively, without
        // waiting, and fold its write-ahead log into it before moving it.
        let mut conn = SqliteConnectOptions::new()
            .filename(&target)
            .journal_mode(SqliteJournalMode::Wal)
            .busy_timeout(std::time::Duration::ZERO)
            .connect()
            .await?;
        sqlx::query("PRAGMA locking_mode = EXCLUSIVE").execute(&mut conn).await?;
        let exclusive = sqlx::query("BEGIN EXCLUSIVE").execute(&mut conn).await;
        if let Err(e) = exclusive {
            bail!("{} is in use ({e}): stop the server (every instance) before restoring", target.display());
        }
        sqlx::query("COMMIT").execute(&mut conn).await?;
        sqlx::query("PRAGMA wal_checkpoint(TRUNCATE)").execute(&mut conn).await?;
        conn.close().await?;
        let aside =
            PathBuf::from(format!("{}.replaced-{}", target.display(), chrono::Utc::now().format("%Y%m%dT%H%M%SZ")));
        std::fs::rename(&target, &aside).with_context(|| format!("moving {} aside", target.display()))?;
        replaced = Some(aside);
    }
    for suffix in ["-wal", "-shm"] {
        let side = PathBuf::from(format!("{}{suffix}", target.display()));
        if side.exists() {
            std::fs::remove_file(&side).with_context(|| format!("removing {}", side.display()))?;
        }
    }
    // Copied next to the target, then renamed: never half a database.
    let partial = PathBuf::from(format!("{}.restoring", target.display()));
    std::fs::copy(from, &partial).with_context(|| format!("copying {}", from.display()))?;
    std::fs::File::open(&partial)?.sync_all()?;
    std::fs::rename(&partial, &target)?;
    let db = Db::connect(database_url).await?;
    db.migrate().await.context("bringing the backup up to date")?;
    db.close().await;
    Ok(Copied { bytes: std::fs::metadata(&target)?.len(), path: target, replaced })
}
