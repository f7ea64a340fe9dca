//! Plain HTTP routes beside the Leptos pages. Each checks its caller itself.

use crate::pdf::{
    credit_note_facturx_pdf, credit_note_pdf, facturx_pdf, invoice_pdf, receipt_pdf, MerchantInfo, PdfError,
};
use actix_web::http::header;
use actix_web::{web, HttpMessage, HttpRequest, HttpResponse};
use app::auth::safe_next;
use app::auth::ssr::{locale_cookie, revoke_session, session_cookie, CachedPrincipal, Principal};
use app::domain::Locale;
use app::error::AppError;
use app::state::AppState;
use app::{with_db, PageCtx};
use serde::Deserialize;

use crate::exports::{account_statement, aging_csv, aging_xlsx, book_export, invoices_export, portal_statement};
use crate::ops::health::{healthz, readyz};
use crate::ops::metrics::scrape as metrics;
use crate::sms::inbound as sms_inbound;

/// Declares the routes once: `configure` registers them and `ROUTES` lists
/// them, so the authorization matrix (tests/api/authz_matrix.rs) fails for a
/// route that has no row.
macro_rules! routes {
    ($($method:ident $path:literal => $handler:ident),* $(,)?) => {
        /// Every plain route: (method, path pattern).
        pub const ROUTES: &[(&str, &str)] = &[$((stringify!($method), $path)),*];

        pub fn configure(cfg: &mut web::ServiceConfig) {
            $(cfg.route($path, web::$method().to($handler));)*
        }
    };
}

routes! {
    get "/healthz" => healthz,
    get "/readyz" => readyz,
    get "/metrics" => metrics,
    post "/lang" => switch_language,
    post "/logout" => logout,
    get "/invoices/{id}/pdf" => invoice_pdf_route,
    get "/invoices/{id}/einvoice/{syntax}" => einvoice_route,
    get "/payments/{id}/receipt.pdf" => receipt_pdf_route,
    get "/credit-notes/{id}/pdf" => credit_note_pdf_route,
    get "/credit-notes/{id}/einvoice/{syntax}" => credit_note_einvoice_route,
    get "/disputes/attachments/{id}" => attachment_route,
    get "/reminders/{id}/pdf" => reminder_pdf_route,
    get "/back/accounts/{id}/claim.csv" => claim_csv_route,
    get "/back/letters.pdf" => letters_pdf_route,
    get "/back/aging.csv" => aging_csv,
    get "/back/aging.xlsx" => aging_xlsx,
    get "/back/invoices.{ext}" => invoices_export,
    get "/back/exports/{file}" => book_export,
    get "/portal/statement.{ext}" => portal_statement,
    get "/back/accounts/{id}/statement.{ext}" => account_statement,
    get "/r/{token}" => reminder_link,
    post "/webhooks/stripe" => stripe_webhook,
    post "/webhooks/sms/{provider}" => sms_inbound,
}

fn principal(req: &HttpRequest) -> Option<Principal> {
    req.extensions().get::<CachedPrincipal>().and_then(|p| p.0.clone())
}

fn see_other(location: &str) -> HttpResponse {
    HttpResponse::SeeOther().insert_header((header::LOCATION, location.to_string())).finish()
}

#[derive(Deserialize)]
struct LangForm {
    locale: String,
    back: Option<String>,
}

/// Remembers the language: on the user when signed in, in a cookie always.
async fn switch_language(
    req: HttpRequest,
    state: web::Data<AppState>,
    form: web::Form<LangForm>,
) -> Result<HttpResponse, AppError> {
    let locale = Locale::parse(&form.locale).ok_or(AppError::field("locale", app::i18n::Msg::InvalidInput))?;
    if let Some(p) = principal(&req) {
        with_db!(&state.db, |pool| {
            sqlx::query("UPDATE users SET locale = $1 WHERE id = $2")
                .bind(locale.code())
                .bind(p.user_id)
                .execute(pool)
                .await
                .map(|r| r.rows_affected())
        })?;
    }
    let back = safe_next(form.back.as_deref()).unwrap_or_else(|| "/".into());
    let mut res = see_other(&back);
    res.headers_mut()
        .append(header::SET_COOKIE, header::HeaderValue::from_str(&locale_cookie(locale)).map_err(AppError::internal)?);
    Ok(res)
}

async fn logout(req: HttpRequest, state: web::Data<AppState>) -> Result<HttpResponse, AppError> {
    if let Some(p) = principal(&req) {
        revoke_session(&state, &p.session_id).await?;
        let entry =
            app::auth::ssr::Audit::new(Some(p.user_id), app::audit::AuditAction::AuthLogout, ("user", Some(p.user_id)));
        app::auth::ssr::audit((&state.db).into(), state.clock.now(), entry).await?;
    }
    let mut res = see_other("/login");
    res.headers_mut().append(
        header::SET_COOKIE,
        header::HeaderValue::from_str(&session_cookie(&state.auth, "", 0)).map_err(AppError::internal)?,
    );
    Ok(res)
}

#[derive(sqlx::FromRow)]
struct MerchantRow {
    company_name: String,
    legal_id: String,
    siren: String,
    vat_number: String,
    address: String,
    email: String,
    phone: String,
}

pub async fn merchant_info(state: &AppState) -> Result<MerchantInfo, AppError> {
    let row: Option<MerchantRow> = with_db!(&state.db, |pool| {
        sqlx::query_as(
            "SELECT company_name, legal_id, address, email, phone, siren, vat_number FROM merchant WHERE id = 1",
        )
        .fetch_optional(pool)
        .await
    })?;
    Ok(row
        .map(|m| MerchantInfo {
            company_name: m.company_name,
            legal_id: m.legal_id,
            siren: m.siren,
            vat_number: m.vat_number,
            address: m.address,
            email: m.email,
            phone: m.phone,
        })
        .unwrap_or_else(|| MerchantInfo {
            company_name: "Relance".into(),
            legal_id: String::new(),
            siren: String::new(),
            vat_number: String::new(),
            address: String::new(),
            email: String::new(),
            phone: String::new(),
        }))
}

/// A document that could not be rendered: logged with its cause, a
/// generic error for the user.
pub(crate) fn pdf_failed(e: PdfError) -> AppError {
    tracing::error!(error = %e, "rendering a PDF");
    AppError::Internal
}

/// A PDF sent as a download that no cache keeps.
pub(crate) fn pdf_attachment(name: &str, bytes: Vec<u8>) -> HttpResponse {
    let name: String = name.chars().filter(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '_').collect();
    HttpResponse::Ok()
        .content_type("application/pdf")
        .insert_header((header::CONTENT_DISPOSITION, format!("attachment; filename=\"{name}.pdf\"")))
        .insert_header((header::CACHE_CONTROL, "private, no-store"))
        .body(bytes)
}

/// The signed-in caller of a document route, the id in its path and the
/// language to print in; anonymous callers are sent to the login page.
fn document_caller(req: &HttpRequest, id: &str) -> Result<Result<(Principal, i64, Locale), HttpResponse>, AppError> {
    let Some(p) = principal(req) else {
        return Ok(Err(see_other(&format!("/login?next={}", app::components::urlencode(req.path())))));
    };
    let id: i64 = id.parse().map_err(|_| AppError::NotFound)?;
    let locale = req.extensions().get::<PageCtx>().map(|c| c.locale).unwrap_or_default();
    Ok(Ok((p, id, locale)))
}

/// A document route's caller, the id, the language and the syntax asked.
type EInvoiceCaller = (Principal, i64, Locale, String);

/// As `document_caller`, for a document's e-invoice in one of its syntaxes
/// (`ubl`, `cii`, `facturx`; anything else is not found).
fn einvoice_caller(
    req: &HttpRequest,
    (id, syntax): (String, String),
) -> Result<Result<EInvoiceCaller, HttpResponse>, AppError> {
    if !matches!(syntax.as_str(), "ubl" | "cii" | "facturx") {
        return Err(AppError::NotFound);
    }
    Ok(document_caller(req, &id)?.map(|(p, id, locale)| (p, id, locale, syntax)))
}

async fn invoice_pdf_route(
    req: HttpRequest,
    state: web::Data<AppState>,
    path: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let (p, id, locale) = match document_caller(&req, &path)? {
        Ok(caller) => caller,
        Err(to_login) => return Ok(to_login),
    };
    let detail = app::invoices::ssr::detail(&state, p.scope(), id).await?;
    let merchant = merchant_info(&state).await?;
    let bytes = invoice_pdf(&merchant, &detail, locale).map_err(pdf_failed)?;
    Ok(pdf_attachment(&detail.summary.number, bytes))
}

/// An invoice as an EN 16931 e-invoice: `ubl` (UBL 2.1), `cii` (the CII
/// XML alone) or `facturx` (the PDF as issued, carrying that CII); same
/// scope as its PDF.
async fn einvoice_route(
    req: HttpRequest,
    state: web::Data<AppState>,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, AppError> {
    let (p, id, locale, syntax) = match einvoice_caller(&req, path.into_inner())? {
        Ok(caller) => caller,
        Err(to_login) => return Ok(to_login),
    };
    let detail = app::invoices::ssr::detail(&state, p.scope(), id).await?;
    let no_einvoice = || AppError::Conflict(app::i18n::Msg::NoEInvoice);
    if syntax == "facturx" {
        let merchant = merchant_info(&state).await?;
        let bytes = facturx_pdf(&merchant, &detail, locale).map_err(pdf_failed)?.ok_or_else(no_einvoice)?;
        return Ok(pdf_attachment(&format!("{}-facturx", detail.summary.number), bytes));
    }
    let doc = app::einvoice::from_invoice(&detail).ok_or_else(no_einvoice)?;
    Ok(xml_attachment(&doc, &syntax))
}

/// An e-invoice's XML in the syntax asked (`ubl`, else CII), as a download.
fn xml_attachment(doc: &app::einvoice::EInvoice, syntax: &str) -> HttpResponse {
    let xml = if syntax == "ubl" { app::einvoice::ubl::write(doc) } else { app::einvoice::cii::write(doc) };
    let name: String = doc.number.chars().filter(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '_').collect();
    HttpResponse::Ok()
        .content_type("application/xml; charset=utf-8")
        .insert_header((header::CONTENT_DISPOSITION, format!("attachment; filename=\"{name}-{syntax}.xml\"")))
        .insert_header((header::CACHE_CONTROL, "private, no-store"))
        .body(xml)
}

/// The PDF receipt of a succeeded payment: its client, or staff whose
/// scope holds the account (anyone else gets the same 404 as a missing
/// payment).
async fn receipt_pdf_route(
    req: HttpRequest,
    state: web::Data<AppState>,
    path: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let (p, id, locale) = match document_caller(&req, &path)? {
        Ok(caller) => caller,
        Err(to_login) => return Ok(to_login),
    };
    // As on the receipt page: no gateway reference nor event history.
    let detail = app::payments::ssr::detail(&state, p.scope(), id, false).await?;
    if detail.summary.status != app::payments::PaymentStatus::Succeeded {
        return Err(AppError::NotFound);
    }
    let merchant = merchant_info(&state).await?;
    let bytes = receipt_pdf(&merchant, &detail, locale).map_err(pdf_failed)?;
    Ok(pdf_attachment(&detail.summary.reference, bytes))
}

/// A reminder that went out, as a PDF letter: its client, or staff whose
/// scope holds the account.
async fn reminder_pdf_route(
    req: HttpRequest,
    state: web::Data<AppState>,
    path: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let (p, id, locale) = match document_caller(&req, &path)? {
        Ok(caller) => caller,
        Err(to_login) => return Ok(to_login),
    };
    let letter = app::reminders::ssr::letter::letter(&state, &p, id).await?;
    let merchant = merchant_info(&state).await?;
    let bytes = crate::pdf::reminder_pdf(&merchant, &letter, locale).map_err(pdf_failed)?;
    Ok(pdf_attachment(&format!("relance-{id}"), bytes))
}

/// A reminder e-mail's one-click link: to the portal page of its invoices
/// (through the sign-in page when needed). The signed token is the
/// credential for where it goes, not for the account.
async fn reminder_link(
    req: HttpRequest,
    state: web::Data<AppState>,
    path: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let p = principal(&req);
    let to = app::reminders::ssr::links::landing(&state, p.as_ref(), &path).await?;
    Ok(HttpResponse::SeeOther()
        .insert_header((header::LOCATION, to))
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .insert_header((header::REFERRER_POLICY, "no-referrer"))
        .finish())
}

/// The letters and formal demands to post today, in one PDF: staff, each
/// within their scope.
async fn letters_pdf_route(req: HttpRequest, state: web::Data<AppState>) -> Result<HttpResponse, AppError> {
    let Some(p) = principal(&req) else {
        return Ok(see_other(&format!("/login?next={}", app::components::urlencode(req.path()))));
    };
    let locale = req.extensions().get::<PageCtx>().map(|c| c.locale).unwrap_or_default();
    let letters = app::reminders::ssr::letter::to_post(&state, &p).await?;
    if letters.is_empty() {
        return Err(AppError::NotFound);
    }
    let merchant = merchant_info(&state).await?;
    let bytes = crate::pdf::letters_pdf(&merchant, &letters, locale).map_err(pdf_failed)?;
    Ok(pdf_attachment(&format!("courriers-{}", state.clock.today()), bytes))
}

/// An overdue account's claim as CSV, for an injonction de payer petition:
/// staff whose scope holds the account.
async fn claim_csv_route(
    req: HttpRequest,
    state: web::Data<AppState>,
    path: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let (p, id, locale) = match document_caller(&req, &path)? {
        Ok(caller) => caller,
        Err(to_login) => return Ok(to_login),
    };
    let claim = app::legal::ssr::claim::claim(&state, &p, id).await?;
    let bytes = app::legal::ssr::claim::csv(&claim, locale)?;
    Ok(HttpResponse::Ok()
        .content_type("text/csv; charset=utf-8")
        .insert_header((
            header::CONTENT_DISPOSITION,
            format!("attachment; filename=\"creance-{id}-{}.csv\"", claim.as_of),
        ))
        .insert_header((header::CACHE_CONTROL, "private, no-store"))
        .body(bytes))
}

/// A credit note's PDF: its client, or staff whose scope holds the account.
async fn credit_note_pdf_route(
    req: HttpRequest,
    state: web::Data<AppState>,
    path: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let (p, id, locale) = match document_caller(&req, &path)? {
        Ok(caller) => caller,
        Err(to_login) => return Ok(to_login),
    };
    let doc = app::invoicing::ssr::credit_notes::document(&state, p.scope(), id).await?;
    let merchant = merchant_info(&state).await?;
    let bytes = credit_note_pdf(&merchant, &doc, locale).map_err(pdf_failed)?;
    Ok(pdf_attachment(&doc.number, bytes))
}

/// A credit note as an EN 16931 e-invoice (type 381, naming the invoice it
/// corrects): `ubl`, `cii` or `facturx`; same scope as its PDF.
async fn credit_note_einvoice_route(
    req: HttpRequest,
    state: web::Data<AppState>,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, AppError> {
    let (p, id, locale, syntax) = match einvoice_caller(&req, path.into_inner())? {
        Ok(caller) => caller,
        Err(to_login) => return Ok(to_login),
    };
    let credit = app::invoicing::ssr::credit_notes::document(&state, p.scope(), id).await?;
    let no_einvoice = || AppError::Conflict(app::i18n::Msg::NoCreditNoteEInvoice);
    if syntax == "facturx" {
        let merchant = merchant_info(&state).await?;
        let bytes = credit_note_facturx_pdf(&merchant, &credit, locale).map_err(pdf_failed)?.ok_or_else(no_einvoice)?;
        return Ok(pdf_attachment(&format!("{}-facturx", credit.number), bytes));
    }
    let doc = app::einvoice::from_credit_note(&credit).ok_or_else(no_einvoice)?;
    Ok(xml_attachment(&doc, &syntax))
}

/// A dispute attachment, to the dispute's client or staff in scope (a
/// client never gets the files of staff-only messages). Always a download
/// with the type its content was recognised as, never rendered inline.
async fn attachment_route(
    req: HttpRequest,
    state: web::Data<AppState>,
    path: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let (p, id, _) = match document_caller(&req, &path)? {
        Ok(caller) => caller,
        Err(to_login) => return Ok(to_login),
    };
    let (file_name, content_type, bytes) = app::disputes::ssr::attachment(&state, &p, id).await?;
    let ascii: String = file_name
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.') { c } else { '_' })
        .collect();
    Ok(HttpResponse::Ok()
        .content_type(content_type)
        .insert_header((
            header::CONTENT_DISPOSITION,
            format!("attachment; filename=\"{ascii}\"; filename*=UTF-8''{}", app::components::urlencode(&file_name)),
        ))
        .insert_header((header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
        .insert_header(("Content-Security-Policy", "default-src 'none'; sandbox"))
        .insert_header((header::CACHE_CONTROL, "private, no-store"))
        .body(bytes))
}

/// Stripe's webhook endpoint: the signature is checked before anything is
/// read; each event is applied once (see `app::payments::events`). Answers
/// 400 to a bad signature (Stripe does not retry those) and 500 when
/// processing failed (Stripe retries).
async fn stripe_webhook(state: web::Data<AppState>, req: HttpRequest, body: web::Bytes) -> HttpResponse {
    use app::payments::events::{handle_webhook, WebhookError};
    if state.gateway.name() != "stripe" {
        return HttpResponse::NotFound().finish();
    }
    let signature = req.headers().get("stripe-signature").and_then(|v| v.to_str().ok()).unwrap_or("");
    match handle_webhook(&state, &body, signature).await {
        Ok(outcome) => {
            HttpResponse::Ok().json(serde_json::json!({ "received": true, "outcome": format!("{outcome:?}") }))
        }
        Err(WebhookError::Signature(e)) => {
            tracing::warn!(error = %e, "webhook refused");
            HttpResponse::BadRequest().body("invalid signature")
        }
        Err(WebhookError::Payload) => HttpResponse::BadRequest().body("malformed event"),
        Err(WebhookError::App(e)) => {
            tracing::error!(error = ?e, "webhook processing failed");
            HttpResponse::InternalServerError().finish()
        }
    }
}
