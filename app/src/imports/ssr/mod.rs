//! Imports on the server: the upload kept in `imports`, mappings
//! remembered in `import_mappings`, the plan (`plan`: every row checked and
//! matched, nothing written) and the run (`write`: the plan written in one
//! transaction, in a background task whose progress the page shows).

mod credits;
mod plan;
mod write;

use super::rules::{self, ImportKind};
use super::table::{self, Table};
use super::{ImportStatus, ImportSummary, ImportView, Mapping, Outcome, RowProblem, MAX_PROBLEMS};
use crate::answer::Created;
use crate::auth::ssr::Principal;
use crate::error::{AppError, AppResult};
use crate::i18n::Msg;
use crate::state::AppState;
use crate::with_db;
use chrono::{DateTime, Utc};
use server_fn::codec::MultipartData;
use std::collections::HashMap;
use std::sync::{Mutex, OnceLock};

/// Rows done by the imports running on this instance.
fn progress() -> &'static Mutex<HashMap<i64, usize>> {
    static P: OnceLock<Mutex<HashMap<i64, usize>>> = OnceLock::new();
    P.get_or_init(Default::default)
}

pub(crate) fn set_progress(id: i64, done: usize) {
    if let Ok(mut p) = progress().lock() {
        p.insert(id, done);
    }
}

fn take_progress(id: i64) -> Option<usize> {
    progress().lock().ok().and_then(|p| p.get(&id).copied())
}

fn bad_form(e: impl std::fmt::Display) -> AppError {
    AppError::Request(format!("malformed form: {e}"))
}

/// What the upload form asks for: a table of one kind, or e-invoice
/// files (read as an invoice table).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Upload {
    Table(ImportKind),
    EInvoices,
}

impl Upload {
    /// The form's `kind` value.
    pub fn parse(s: &str) -> Option<Upload> {
        match s {
            "einvoices" => Some(Upload::EInvoices),
            other => ImportKind::parse(other).map(Upload::Table),
        }
    }
}

/// Most e-invoice files one upload takes.
pub const MAX_FILES: usize = 500;

/// The upload form: `kind` and one `file` (a table) or several (e-invoices).
pub async fn read_upload(data: MultipartData) -> AppResult<(Upload, Vec<(String, Vec<u8>)>)> {
    let mut multipart = data.into_inner().ok_or_else(|| bad_form("not multipart"))?;
    let (mut kind, mut files, mut total) = (None, Vec::new(), 0usize);
    while let Some(mut field) = multipart.next_field().await.map_err(bad_form)? {
        let name = field.name().unwrap_or_default().to_string();
        let file_name = field.file_name().map(str::to_string);
        let limit = if file_name.is_some() { table::MAX_BYTES } else { 100 };
        let mut bytes = Vec::new();
        while let Some(chunk) = field.chunk().await.map_err(bad_form)? {
            total += chunk.len();
            if bytes.len() + chunk.len() > limit || total > 4 * table::MAX_BYTES {
                return Err(match file_name {
                    Some(_) => AppError::field("file", Msg::FileTooLarge),
                    None => bad_form("text field too long"),
                });
            }
            bytes.extend_from_slice(&chunk);
        }
        match (name.as_str(), file_name) {
            ("file", Some(file_name)) if !bytes.is_empty() => {
                if files.len() == MAX_FILES {
                    return Err(AppError::field("file", Msg::TooManyFiles));
                }
                files.push((file_name.chars().take(200).collect(), bytes));
            }
            ("kind", None) => kind = Upload::parse(&String::from_utf8_lossy(&bytes)),
            _ => {}
        }
    }
    let kind = kind.ok_or_else(|| AppError::field("kind", Msg::RequiredField))?;
    if files.is_empty() {
        return Err(AppError::field("file", Msg::FileEmpty));
    }
    Ok((kind, files))
}

/// Keeps an upload: a table as it came, e-invoices as the invoice table
/// they read as (named after their files).
pub async fn store_upload(
    state: &AppState,
    actor: i64,
    upload: Upload,
    mut files: Vec<(String, Vec<u8>)>,
) -> AppResult<Created<ImportStatus>> {
    match upload {
        Upload::Table(kind) => {
            let (name, bytes) = files.swap_remove(0);
            store(state, actor, kind, &name, bytes).await
        }
        Upload::EInvoices => {
            let names: Vec<&str> = files.iter().map(|(n, _)| n.as_str()).collect();
            let mut name = names.join(", ");
            if name.chars().count() > 200 {
                name = format!("{} e-invoices: {}…", names.len(), name.chars().take(160).collect::<String>());
            }
            let table = super::einvoices::to_csv(&files);
            store(state, actor, ImportKind::Invoices, &name, table).await
        }
    }
}

/// Keeps an upload whose content reads as a table; its mapping starts
/// from the one remembered for this header row, else a
/// guess from the headers.
pub async fn store(
    state: &AppState,
    actor: i64,
    kind: ImportKind,
    file_name: &str,
    bytes: Vec<u8>,
) -> AppResult<Created<ImportStatus>> {
    use sha2::Digest;
    let table = table::read(&bytes).map_err(|m| AppError::field("file", m))?;
    let mapping = remembered(state, kind, &table.headers).await?;
    let headers = serde_json::to_string(&table.headers).map_err(AppError::internal)?;
    let mapping = serde_json::to_string(&mapping).map_err(AppError::internal)?;
    let sha = hex::encode(sha2::Sha256::digest(&bytes));
    let id: i64 = with_db!(&state.db, |pool| {
        sqlx::query_scalar(
            "INSERT INTO imports (kind, file_name, sha256, content, headers, row_count, mapping, status, created_by,
                 created_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, 'uploaded', $8, $9) RETURNING id",
        )
        .bind(kind.as_str())
        .bind(file_name)
        .bind(&sha)
        .bind(&bytes)
        .bind(&headers)
        .bind(table.rows.len() as i64)
        .bind(&mapping)
        .bind(actor)
        .bind(state.clock.now())
        .fetch_one(pool)
        .await
    })?;
    Ok(Created { id, status: ImportStatus::Uploaded })
}

async fn remembered(state: &AppState, kind: ImportKind, headers: &[String]) -> AppResult<Mapping> {
    // E-invoices always read as the same columns: their own guess.
    if super::einvoices::is_einvoice_table(headers) {
        return Ok(rules::guess(kind, headers));
    }
    // A mapping is column positions: it holds for the same header row
    // only (another file's columns would land on the wrong fields).
    let found: Option<String> = with_db!(&state.db, |pool| {
        sqlx::query_scalar("SELECT mapping FROM import_mappings WHERE kind = $1 AND signature = $2")
            .bind(kind.as_str())
            .bind(rules::signature(headers))
            .fetch_optional(pool)
            .await
    })?;
    let remembered = found.and_then(|m| serde_json::from_str::<Mapping>(&m).ok());
    Ok(match remembered {
        Some(m) if !m.is_empty() => {
            let kept = rules::restrict(kind, &m, headers.len());
            if rules::missing(kind, &kept).is_empty() {
                kept
            } else {
                rules::guess(kind, headers)
            }
        }
        _ => rules::guess(kind, headers),
    })
}

/// Remembers a mapping for this header row.
async fn remember(state: &AppState, kind: ImportKind, headers: &[String], mapping: &Mapping) -> AppResult<()> {
    let text = serde_json::to_string(mapping).map_err(AppError::internal)?;
    with_db!(&state.db, |pool| {
        sqlx::query(
            "INSERT INTO import_mappings (kind, signature, mapping, updated_at) VALUES ($1, $2, $3, $4)
             ON CONFLICT (kind, signature) DO UPDATE SET mapping = excluded.mapping, updated_at = excluded.updated_at",
        )
        .bind(kind.as_str())
        .bind(rules::signature(headers))
        .bind(&text)
        .bind(state.clock.now())
        .execute(pool)
        .await
        .map(|r| r.rows_affected())
    })?;
    Ok(())
}

#[derive(sqlx::FromRow)]
struct ImportRow {
    id: i64,
    kind: String,
    file_name: String,
    status: String,
    row_count: i64,
    created_at: DateTime<Utc>,
    created_by: String,
    headers: String,
    mapping: String,
    outcome: String,
}

const IMPORT_SELECT: &str = "SELECT i.id, i.kind, i.file_name, i.status, i.row_count, i.created_at,
    u.name AS created_by, i.headers, i.mapping, i.outcome FROM imports i JOIN users u ON u.id = i.created_by";

impl ImportRow {
    fn summary(&self) -> AppResult<ImportSummary> {
        Ok(ImportSummary {
            id: self.id,
            kind: ImportKind::parse(&self.kind).ok_or(AppError::Internal)?,
            file_name: self.file_name.clone(),
            status: ImportStatus::parse(&self.status).ok_or(AppError::Internal)?,
            rows: self.row_count as usize,
            created_at: self.created_at,
            created_by: self.created_by.clone(),
        })
    }
}

pub async fn list(state: &AppState) -> AppResult<Vec<ImportSummary>> {
    let sql = format!("{IMPORT_SELECT} ORDER BY i.id DESC LIMIT 50");
    let rows: Vec<ImportRow> = with_db!(&state.db, |pool| sqlx::query_as(&sql).fetch_all(pool).await)?;
    rows.iter().map(ImportRow::summary).collect()
}

async fn row(state: &AppState, id: i64) -> AppResult<ImportRow> {
    let sql = format!("{IMPORT_SELECT} WHERE i.id = $1");
    let row: Option<ImportRow> = with_db!(&state.db, |pool| sqlx::query_as(&sql).bind(id).fetch_optional(pool).await)?;
    row.ok_or(AppError::NotFound)
}

/// The stored file's bytes.
async fn content_of(state: &AppState, id: i64) -> AppResult<Vec<u8>> {
    let bytes = with_db!(&state.db, |pool| {
        sqlx::query_scalar("SELECT content FROM imports WHERE id = $1").bind(id).fetch_one(pool).await
    })?;
    Ok(bytes)
}

/// The stored file read again (it read when it was uploaded).
pub async fn table_of(state: &AppState, id: i64) -> AppResult<Table> {
    table::read(&content_of(state, id).await?).map_err(|m| AppError::field("file", m))
}

pub async fn view(state: &AppState, id: i64) -> AppResult<ImportView> {
    let r = row(state, id).await?;
    let summary = r.summary()?;
    let headers: Vec<String> = serde_json::from_str(&r.headers).map_err(AppError::internal)?;
    let mapping: Mapping = serde_json::from_str(&r.mapping).unwrap_or_default();
    let sample = if summary.status == ImportStatus::Uploaded {
        table::head(&content_of(state, id).await?, 5).map_err(|m| AppError::field("file", m))?.rows
    } else {
        Vec::new()
    };
    let outcome = (!r.outcome.is_empty()).then(|| serde_json::from_str::<Outcome>(&r.outcome).ok()).flatten();
    let progress = (summary.status == ImportStatus::Running).then(|| take_progress(id).unwrap_or(0));
    Ok(ImportView { summary, headers, sample, mapping, progress, outcome })
}

/// A problem list capped for display.
pub(crate) fn outcome_of(rows: usize, mut problems: Vec<RowProblem>, counts: (usize, usize, usize)) -> Outcome {
    problems.sort_by_key(|p| p.row);
    let problem_count = problems.len();
    problems.truncate(MAX_PROBLEMS);
    Outcome {
        rows,
        created: counts.0,
        updated: counts.1,
        unchanged: counts.2,
        problems,
        problem_count,
        proposals: Vec::new(),
    }
}

/// An import, its file, and the mapping posted (kept to this kind's
/// fields and the file's columns, remembered, and as stored).
async fn prepare(
    state: &AppState,
    id: i64,
    mapping: &Mapping,
) -> AppResult<(ImportRow, ImportKind, Table, Mapping, String)> {
    let r = row(state, id).await?;
    let kind = ImportKind::parse(&r.kind).ok_or(AppError::Internal)?;
    let table = table_of(state, id).await?;
    let mapping = rules::restrict(kind, mapping, table.headers.len());
    remember(state, kind, &table.headers, &mapping).await?;
    let text = serde_json::to_string(&mapping).map_err(AppError::internal)?;
    Ok((r, kind, table, mapping, text))
}

/// Checks every row with `mapping`; writes nothing but the mapping.
pub async fn preview(state: &AppState, id: i64, mapping: &Mapping) -> AppResult<Outcome> {
    let (_, kind, table, mapping, text) = prepare(state, id, mapping).await?;
    with_db!(&state.db, |pool| {
        sqlx::query("UPDATE imports SET mapping = $2 WHERE id = $1 AND status IN ('uploaded', 'failed')")
            .bind(id)
            .bind(&text)
            .execute(pool)
            .await
            .map(|r| r.rows_affected())
    })?;
    let (outcome, _) = plan::plan(state, kind, &table, &mapping).await?;
    Ok(outcome)
}

/// Starts the run: the import moves to `running` once (a second click
/// finds it running), and a task writes it.
pub async fn start(state: &AppState, principal: &Principal, id: i64, mapping: &Mapping) -> AppResult<ImportStatus> {
    let (r, kind, table, mapping, text) = prepare(state, id, mapping).await?;
    let claimed = with_db!(&state.db, |pool| {
        sqlx::query(
            "UPDATE imports SET status = 'running', mapping = $2 WHERE id = $1 AND status IN ('uploaded', 'failed')",
        )
        .bind(id)
        .bind(&text)
        .execute(pool)
        .await
        .map(|r| r.rows_affected())
    })?;
    if claimed == 0 {
        return ImportStatus::parse(&r.status).ok_or(AppError::Internal);
    }
    set_progress(id, 0);
    let (state, actor) = (state.clone(), principal.user_id);
    tokio::spawn(async move {
        let outcome = match run(&state, actor, id, kind, &table, &mapping).await {
            Ok(o) => o,
            Err(e) => {
                tracing::error!(import = id, error = ?e, "import failed");
                outcome_of(
                    table.rows.len(),
                    vec![RowProblem { row: 0, field: String::new(), msg: e.message(), detail: String::new() }],
                    (0, 0, 0),
                )
            }
        };
        let status = if outcome.problem_count == 0 { "done" } else { "failed" };
        let text = serde_json::to_string(&outcome).unwrap_or_default();
        let saved = with_db!(&state.db, |pool| {
            sqlx::query("UPDATE imports SET status = $2, outcome = $3, finished_at = $4 WHERE id = $1")
                .bind(id)
                .bind(status)
                .bind(&text)
                .bind(state.clock.now())
                .execute(pool)
                .await
                .map(|r| r.rows_affected())
        });
        if let Err(e) = saved {
            tracing::error!(import = id, error = ?e, "import outcome not saved");
        }
        if let Ok(mut p) = progress().lock() {
            p.remove(&id);
        }
    });
    Ok(ImportStatus::Running)
}

/// Plans (every row checked again: the books may have moved since the
/// preview), then writes it all in one transaction, or nothing.
pub async fn run(
    state: &AppState,
    actor: i64,
    id: i64,
    kind: ImportKind,
    table: &Table,
    mapping: &Mapping,
) -> AppResult<Outcome> {
    let (outcome, plan) = plan::plan(state, kind, table, mapping).await?;
    if outcome.problem_count > 0 {
        return Ok(outcome);
    }
    match write::write(state, actor, id, plan).await? {
        Ok(()) => Ok(outcome),
        // A row the database refused (a duplicate made meanwhile): nothing
        // was written; the row says why.
        Err(problems) => Ok(outcome_of(table.rows.len(), problems, (0, 0, 0))),
    }
}
