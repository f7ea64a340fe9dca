//! Imports: the merchant's books brought in from CSV or XLSX files —
//! accounts, invoices (with or without lines) and payments received.
//!
//! A file is uploaded and kept (`imports`), its columns mapped to Relance's
//! fields (the mapping is remembered per kind and header row), previewed
//! (every row checked, each problem named with its row and field in the
//! reader's language, nothing written), then imported: all rows in one
//! transaction, or none. Rows are matched to what exists (accounts by
//! external id, code or SIREN; invoices by number; payments by their
//! content), so importing the same file again changes nothing.
//!
//! - `table`: a file's bytes as a header row and text cells (ssr);
//! - `einvoices`: UBL, CII and Factur-X files read as an invoice table
//!   (ssr), their buyers matched by SIREN or VAT number;
//! - `rules`: the fields of each kind, guessing a mapping, and each row
//!   parsed to a domain type (pure, unit-tested);
//! - `ssr/`: storing, previewing and running an import;
//! - `pages`: the imports list, upload, mapping, preview and progress.

#[cfg(feature = "ssr")]
pub mod einvoices;
pub mod pages;
pub mod rules;
#[cfg(feature = "ssr")]
pub mod ssr;
#[cfg(feature = "ssr")]
pub mod table;

use crate::answer::{Created, Done};
use crate::error::AppError;
use crate::i18n::Msg;
use chrono::{DateTime, Utc};
use leptos::prelude::*;
use serde::{Deserialize, Serialize};
use server_fn::codec::{MultipartData, MultipartFormData};
use std::collections::BTreeMap;

pub use rules::ImportKind;

/// Where an import stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ImportStatus {
    /// Uploaded, waiting for its mapping and preview.
    Uploaded,
    Running,
    Done,
    /// Nothing was written; `problems` says why.
    Failed,
}

impl ImportStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            ImportStatus::Uploaded => "uploaded",
            ImportStatus::Running => "running",
            ImportStatus::Done => "done",
            ImportStatus::Failed => "failed",
        }
    }

    pub fn parse(s: &str) -> Option<ImportStatus> {
        [ImportStatus::Uploaded, ImportStatus::Running, ImportStatus::Done, ImportStatus::Failed]
            .into_iter()
            .find(|x| x.as_str() == s)
    }

    pub fn msg(self) -> Msg {
        match self {
            ImportStatus::Uploaded => Msg::ImportUploaded,
            ImportStatus::Running => Msg::ImportRunning,
            ImportStatus::Done => Msg::ImportDone,
            ImportStatus::Failed => Msg::ImportFailed,
        }
    }
}

/// One problem of one row: the file's row number (the header is row 1),
/// the field (its key), and what is wrong.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RowProblem {
    pub row: usize,
    pub field: String,
    pub msg: Msg,
    /// What the message is about when the field says too little (an
    /// e-invoice's file name and the EN 16931 rule it breaks).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub detail: String,
}

/// What a run would do, or did.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Outcome {
    pub rows: usize,
    pub created: usize,
    pub updated: usize,
    pub unchanged: usize,
    /// The first problems found (at most `MAX_PROBLEMS`); `problem_count`
    /// counts them all.
    pub problems: Vec<RowProblem>,
    pub problem_count: usize,
    /// E-invoices whose buyer matches no account: the account Relance
    /// proposes to create from the invoice.
    #[serde(default)]
    pub proposals: Vec<ProposedAccount>,
}

/// A buyer read from an e-invoice, to create as an account.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProposedAccount {
    pub name: String,
    pub siren: String,
    pub vat_number: String,
    /// The new-account form filled with the buyer's details.
    pub href: String,
}

/// At most this many problems are listed (all are counted).
pub const MAX_PROBLEMS: usize = 200;

/// A column mapping: field key → column index in the file.
pub type Mapping = BTreeMap<String, usize>;

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ImportSummary {
    pub id: i64,
    pub kind: ImportKind,
    pub file_name: String,
    pub status: ImportStatus,
    pub rows: usize,
    pub created_at: DateTime<Utc>,
    pub created_by: String,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ImportView {
    pub summary: ImportSummary,
    pub headers: Vec<String>,
    /// The first rows, to see what the columns hold.
    pub sample: Vec<Vec<String>>,
    pub mapping: Mapping,
    /// Rows done so far while it runs (this instance's count).
    pub progress: Option<usize>,
    /// After a run: what it did, or why it wrote nothing.
    pub outcome: Option<Outcome>,
}

crate::reads!(ImportView, Outcome);

/// The mapping form as posted: `map[field]` = column index, or empty.
#[cfg(feature = "ssr")]
fn parse_mapping(map: &BTreeMap<String, String>) -> Mapping {
    map.iter().filter_map(|(k, v)| v.trim().parse::<usize>().ok().map(|i| (k.clone(), i))).collect()
}

/// Owner or accountant: the latest imports.
#[server(endpoint = "imports/list")]
#[cfg_attr(feature = "ssr", tracing::instrument(skip_all, err(level = "info")))]
pub async fn list_imports() -> Result<Vec<ImportSummary>, AppError> {
    crate::answer::serve(async move {
        let (state, principal) = crate::auth::ssr_context().await?;
        principal.require_bookkeeper()?;
        ssr::list(&state).await
    })
    .await
}

/// Owner or accountant: uploads a file (`kind`, `file`).
#[server(endpoint = "imports/upload", input = MultipartFormData)]
#[cfg_attr(feature = "ssr", tracing::instrument(skip_all, err(level = "info")))]
pub async fn upload_import(data: MultipartData) -> Result<Done<Created<ImportStatus>>, AppError> {
    crate::answer::serve(async move {
        let (state, principal) = crate::auth::ssr_context().await?;
        principal.require_bookkeeper()?;
        let (upload, files) = ssr::read_upload(data).await?;
        let created = ssr::store_upload(&state, principal.user_id, upload, files).await?;
        Ok(Done::new(created, format!("/back/imports/{}", created.id)))
    })
    .await
}

#[server(endpoint = "imports/detail")]
#[cfg_attr(feature = "ssr", tracing::instrument(skip_all, err(level = "info"), fields(import = id)))]
pub async fn get_import(id: i64) -> Result<ImportView, AppError> {
    crate::answer::serve(async move {
        let (state, principal) = crate::auth::ssr_context().await?;
        principal.require_bookkeeper()?;
        ssr::view(&state, id).await
    })
    .await
}

/// Checks every row with this mapping; writes nothing (but remembers the
/// mapping for the next file of this kind).
#[server(endpoint = "imports/preview")]
#[cfg_attr(feature = "ssr", tracing::instrument(skip_all, err(level = "info"), fields(import = id)))]
pub async fn preview_import(id: i64, #[server(default)] map: BTreeMap<String, String>) -> Result<Outcome, AppError> {
    crate::answer::serve(async move {
        let (state, principal) = crate::auth::ssr_context().await?;
        principal.require_bookkeeper()?;
        ssr::preview(&state, id, &parse_mapping(&map)).await
    })
    .await
}

/// Imports every row in one transaction, in the background; the import's
/// page shows its progress, then what it did (or each row's problem, with
/// nothing written).
#[server(endpoint = "imports/run")]
#[cfg_attr(feature = "ssr", tracing::instrument(skip_all, err(level = "info"), fields(import = id)))]
pub async fn run_import(
    id: i64,
    #[server(default)] map: BTreeMap<String, String>,
) -> Result<Done<Created<ImportStatus>>, AppError> {
    crate::answer::serve(async move {
        let (state, principal) = crate::auth::ssr_context().await?;
        principal.require_bookkeeper()?;
        let status = ssr::start(&state, &principal, id, &parse_mapping(&map)).await?;
        Ok(Done::new(Created { id, status }, format!("/back/imports/{id}")))
    })
    .await
}
