//! Files for the bookkeeper: the aging report and the invoice list as CSV
//! and XLSX, with the filters of the screen they are exported from (its
//! query string), for staff within their scope as on the screen; and the
//! period's books (`/back/exports/{file}`: ledger entries, invoices issued,
//! payments received, credit notes, the FEC) for the owner and the
//! accountant. Lists and books are streamed as they are read. And the
//! account statement, as PDF or CSV, for its client or staff in scope.

use actix_web::http::header;
use actix_web::{web, HttpMessage, HttpRequest, HttpResponse};
use app::aging::AgingFilter;
use app::auth::ssr::{CachedPrincipal, Principal};
use app::domain::Locale;
use app::error::AppError;
use app::exports::stream::{FileStream, Format};
use app::exports::{Book, Period};
use app::state::AppState;
use app::PageCtx;
use std::collections::HashMap;

/// The signed-in caller and their language.
fn caller(req: &HttpRequest) -> Option<(Principal, Locale)> {
    let principal = req.extensions().get::<CachedPrincipal>().and_then(|p| p.0.clone())?;
    let locale = req.extensions().get::<PageCtx>().map(|c| c.locale).unwrap_or_default();
    Some((principal, locale))
}

/// Someone signed out: to the sign-in page, and back here after.
fn to_login(req: &HttpRequest) -> HttpResponse {
    let back = format!("{}?{}", req.path(), req.query_string());
    HttpResponse::SeeOther()
        .insert_header((header::LOCATION, format!("/login?next={}", app::components::urlencode(&back))))
        .finish()
}

fn attachment(bytes: Vec<u8>, content_type: &str, name: &str) -> HttpResponse {
    HttpResponse::Ok()
        .content_type(content_type)
        .insert_header((header::CONTENT_DISPOSITION, format!("attachment; filename=\"{name}\"")))
        .insert_header((header::CACHE_CONTROL, "private, no-store"))
        .body(bytes)
}

/// The report the query asks for, or `None` for someone signed out.
async fn aging_report(
    req: &HttpRequest,
    state: &AppState,
    query: &HashMap<String, String>,
) -> Result<Option<(app::aging::AgingReport, Locale)>, AppError> {
    let Some((p, locale)) = caller(req) else { return Ok(None) };
    let filter = AgingFilter::from_query(|k| query.get(k).cloned())?;
    let report = app::aging::ssr::build(state, &p, &filter).await?;
    Ok(Some((report, locale)))
}

/// `GET /back/aging.csv?…`: every row of the report and its totals.
pub async fn aging_csv(
    req: HttpRequest,
    state: web::Data<AppState>,
    query: web::Query<HashMap<String, String>>,
) -> Result<HttpResponse, AppError> {
    let Some((report, locale)) = aging_report(&req, &state, &query).await? else { return Ok(to_login(&req)) };
    let bytes = app::aging::export::csv(&report, locale)?;
    Ok(attachment(bytes, "text/csv; charset=utf-8", &format!("balance-agee-{}.csv", report.as_of)))
}

/// `GET /back/aging.xlsx?…`: the same as a workbook.
pub async fn aging_xlsx(
    req: HttpRequest,
    state: web::Data<AppState>,
    query: web::Query<HashMap<String, String>>,
) -> Result<HttpResponse, AppError> {
    let Some((report, locale)) = aging_report(&req, &state, &query).await? else { return Ok(to_login(&req)) };
    let bytes = app::aging::export::xlsx(&report, locale)?;
    Ok(attachment(
        bytes,
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        &format!("balance-agee-{}.xlsx", report.as_of),
    ))
}

fn streamed(stream: FileStream, format: Format, name: &str) -> HttpResponse {
    HttpResponse::Ok()
        .content_type(format.content_type())
        .insert_header((header::CONTENT_DISPOSITION, format!("attachment; filename=\"{name}\"")))
        .insert_header((header::CACHE_CONTROL, "private, no-store"))
        .streaming(stream)
}

/// `GET /back/invoices.{csv,xlsx}?…`: every invoice of the list as the
/// screen filters and orders it (staff, within their scope).
pub async fn invoices_export(
    req: HttpRequest,
    state: web::Data<AppState>,
    path: web::Path<String>,
    query: web::Query<HashMap<String, String>>,
) -> Result<HttpResponse, AppError> {
    let format = Format::parse(&path).filter(|f| *f != Format::Fec).ok_or(AppError::NotFound)?;
    let Some((p, locale)) = caller(&req) else { return Ok(to_login(&req)) };
    p.require_staff()?;
    let q = app::invoices::InvoiceQuery {
        filter: query.get("filter").and_then(|f| app::invoices::InvoiceFilter::parse(f)).unwrap_or_default(),
        sort: query.get("sort").and_then(|s| app::invoices::InvoiceSort::parse(s)).unwrap_or_default(),
        page: 1,
        account_id: query.get("account").and_then(|a| a.parse().ok()),
        search: query.get("q").filter(|s| !s.trim().is_empty()).cloned(),
    };
    let stream = app::invoices::ssr::export(&state, p.scope(), &q, format, locale)?;
    Ok(streamed(stream, format, &format!("factures-{}.{}", state.clock.today(), format.extension())))
}

/// `GET /back/exports/{file}?from=…&to=…`: one of the period's books
/// (`ledger.csv`, `invoices.xlsx`, …, `fec.txt`), for the owner and the
/// accountant.
pub async fn book_export(
    req: HttpRequest,
    state: web::Data<AppState>,
    path: web::Path<String>,
    query: web::Query<HashMap<String, String>>,
) -> Result<HttpResponse, AppError> {
    let (stem, ext) = path.rsplit_once('.').ok_or(AppError::NotFound)?;
    let Some((p, locale)) = caller(&req) else { return Ok(to_login(&req)) };
    p.require_bookkeeper()?;
    let period = Period::from_query(|k| query.get(k).cloned(), state.clock.today())?;
    if (stem, ext) == ("fec", "txt") {
        let siren: String = app::with_db!(&state.db, |pool| {
            sqlx::query_scalar("SELECT siren FROM merchant LIMIT 1").fetch_optional(pool).await
        })?
        .unwrap_or_default();
        let stream = app::exports::fec::export(&state, &p, period)?;
        return Ok(streamed(stream, Format::Fec, &app::exports::fec::file_name(&siren, period)));
    }
    let book = Book::parse(stem).ok_or(AppError::NotFound)?;
    let format = Format::parse(ext).filter(|f| *f != Format::Fec).ok_or(AppError::NotFound)?;
    let stream = app::exports::books::export(&state, &p, book, period, format, locale)?;
    let name = format!("{}-{}-{}.{}", book.file_stem(), period.from, period.to, format.extension());
    Ok(streamed(stream, format, &name))
}

/// A statement as the extension asks (`pdf`, `csv`).
async fn statement_file(
    state: &AppState,
    p: &Principal,
    account_id: i64,
    ext: &str,
    query: &HashMap<String, String>,
    locale: Locale,
) -> Result<HttpResponse, AppError> {
    if !matches!(ext, "pdf" | "csv") {
        return Err(AppError::NotFound);
    }
    let period = Period::from_query(|k| query.get(k).cloned(), state.clock.today())?;
    let s = app::statements::ssr::statement(state, p, account_id, period).await?;
    let name = format!("releve-{}-{}-{}", s.account_code, s.from, s.to);
    if ext == "csv" {
        let bytes = app::statements::ssr::csv(&s, locale)?;
        return Ok(attachment(bytes, "text/csv; charset=utf-8", &format!("{name}.csv")));
    }
    let merchant = crate::routes::merchant_info(state).await?;
    let bytes = crate::pdf::statement_pdf(&merchant, &s, locale).map_err(crate::routes::pdf_failed)?;
    Ok(crate::routes::pdf_attachment(&name, bytes))
}

/// `GET /portal/statement.{pdf,csv}?from=…&to=…`: the client's own account.
pub async fn portal_statement(
    req: HttpRequest,
    state: web::Data<AppState>,
    path: web::Path<String>,
    query: web::Query<HashMap<String, String>>,
) -> Result<HttpResponse, AppError> {
    let Some((p, locale)) = caller(&req) else { return Ok(to_login(&req)) };
    let account = p.require_client()?;
    statement_file(&state, &p, account, &path, &query, locale).await
}

/// `GET /back/accounts/{id}/statement.{pdf,csv}?from=…&to=…`: staff whose
/// scope holds the account.
pub async fn account_statement(
    req: HttpRequest,
    state: web::Data<AppState>,
    path: web::Path<(String, String)>,
    query: web::Query<HashMap<String, String>>,
) -> Result<HttpResponse, AppError> {
    let Some((p, locale)) = caller(&req) else { return Ok(to_login(&req)) };
    p.require_staff()?;
    let (id, ext) = path.into_inner();
    let id: i64 = id.parse().map_err(|_| AppError::NotFound)?;
    statement_file(&state, &p, id, &ext, &query, locale).await
}
