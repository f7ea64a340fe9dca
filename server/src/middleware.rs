//! Per-request work done before any page or server function: refuse
//! cross-site writes (CSRF), resolve the caller once, pick the language.

use actix_web::body::{EitherBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::{header, Method};
use actix_web::middleware::{DefaultHeaders, Next};
use actix_web::{web, HttpMessage, HttpResponse};
use app::auth::ssr::{principal_from_request, CachedPrincipal, Principal, LOCALE_COOKIE};
use app::domain::Locale;
use app::state::AppState;
use app::{PageCtx, Viewer};
use tracing::Instrument;

pub fn security_headers() -> DefaultHeaders {
    DefaultHeaders::new()
        .add(("X-Content-Type-Options", "nosniff"))
        .add(("X-Frame-Options", "DENY"))
        .add(("Referrer-Policy", "same-origin"))
        .add(("Permissions-Policy", "camera=(), microphone=(), geolocation=()"))
}

fn origin_of(url: &str) -> Option<String> {
    let (scheme, rest) = url.split_once("://")?;
    let host = rest.split(['/', '?', '#']).next()?;
    (!host.is_empty()).then(|| format!("{}://{}", scheme.to_ascii_lowercase(), host.to_ascii_lowercase()))
}

/// A state-changing request must come from our own pages: its `Origin` (or,
/// failing that, `Referer`) must be the public URL or the host it was sent to.
pub fn same_origin(req: &ServiceRequest, public_url: &str) -> bool {
    let headers = req.headers();
    let claimed = headers
        .get(header::ORIGIN)
        .and_then(|v| v.to_str().ok())
        .filter(|v| *v != "null")
        .and_then(origin_of)
        .or_else(|| headers.get(header::REFERER).and_then(|v| v.to_str().ok()).and_then(origin_of));
    let Some(claimed) = claimed else { return false };
    let info = req.connection_info();
    let own = format!("{}://{}", info.scheme(), info.host()).to_ascii_lowercase();
    Some(claimed.clone()) == origin_of(public_url) || claimed == own
}

fn pick_locale(req: &ServiceRequest, principal: Option<&Principal>) -> Locale {
    principal
        .and_then(|p| p.locale)
        .or_else(|| req.cookie(LOCALE_COOKIE).and_then(|c| Locale::parse(c.value())))
        .or_else(|| {
            req.headers()
                .get(header::ACCEPT_LANGUAGE)
                .and_then(|v| v.to_str().ok())
                .and_then(Locale::from_accept_language)
        })
        .unwrap_or(Locale::Fr)
}

/// Single-use link tokens never reach the logs.
fn loggable_path(path: &str) -> String {
    for prefix in ["/invite/", "/reset/", "/pay/", "/r/"] {
        if path.starts_with(prefix) {
            return format!("{prefix}[redacted]");
        }
    }
    path.to_string()
}

fn viewer_present(req: &ServiceRequest) -> bool {
    req.extensions().get::<PageCtx>().is_some_and(|c| c.viewer.is_some())
}

pub async fn request_context(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<EitherBody<impl MessageBody>>, actix_web::Error> {
    let Some(state) = req.app_data::<web::Data<AppState>>().cloned() else {
        return Err(actix_web::error::ErrorInternalServerError("state missing"));
    };
    let safe_method = matches!(*req.method(), Method::GET | Method::HEAD | Method::OPTIONS);
    // Webhooks come from the provider's servers (no Origin, no Referer)
    // and carry no cookie: their signature is their authentication.
    let signed_webhook = req.path().starts_with("/webhooks/");
    if !safe_method && !signed_webhook && !same_origin(&req, &state.auth.public_url) {
        tracing::warn!(path = req.path(), "cross-site request refused");
        let res =
            HttpResponse::Forbidden().content_type("text/plain; charset=utf-8").body("Cross-site request refused.");
        return Ok(req.into_response(res).map_into_right_body());
    }
    // The multipart decoder of server functions panics on a body without a
    // multipart boundary: refuse those here, with a plain 400.
    if app::disputes::MULTIPART_ENDPOINTS.contains(&req.path()) && !has_multipart_boundary(&req) {
        let res =
            HttpResponse::BadRequest().content_type("text/plain; charset=utf-8").body("Expected multipart/form-data.");
        return Ok(req.into_response(res).map_into_right_body());
    }
    // Static files need no caller.
    let needs_caller = !req.path().starts_with("/pkg/") && !["/healthz", "/readyz", "/metrics"].contains(&req.path());
    let pages = req.app_data::<web::Data<crate::page_cache::PageCache>>().cloned();
    let recent = if needs_caller { pages.as_ref().and_then(|c| c.recent_caller(&req)) } else { None };
    let principal = if recent.is_some() {
        recent
    } else if needs_caller {
        let started = crate::page_cache::CheckStart::now();
        match principal_from_request(&state, req.request()).await {
            Ok(p) => {
                if let (Some(cache), Some(p)) = (&pages, &p) {
                    cache.checked(&req, p, started);
                }
                p
            }
            Err(_) => return Ok(req.into_response(HttpResponse::InternalServerError().finish()).map_into_right_body()),
        }
    } else {
        None
    };
    // A write (or signing out) of this session: its next document reads
    // the session and page version again (page_cache).
    let session_write =
        (!safe_method).then(|| req.cookie(app::auth::ssr::SESSION_COOKIE).map(|c| c.value().to_string())).flatten();
    let locale = pick_locale(&req, principal.as_ref());
    let viewer = principal.as_ref().map(|p| Viewer {
        name: p.name.clone(),
        email: p.email.clone(),
        role: p.role,
        account_id: p.account_id,
    });
    req.extensions_mut().insert(CachedPrincipal(principal));
    let test_mode = state.gateway.as_sandbox().is_some();
    req.extensions_mut().insert(PageCtx { locale, viewer, test_mode });
    // One id per request, on every log line of the request and in the answer.
    let request_id = app::auth::ssr::random_token()[..16].to_string();
    let span =
        tracing::info_span!("request", id = %request_id, method = %req.method(), path = %loggable_path(req.path()));
    let signed_in = viewer_present(&req);
    let res = next.call(req).instrument(span).await;
    if let (Some(cache), Some(token)) = (&pages, &session_write) {
        cache.forget(token);
    }
    let mut res = res?;
    if session_write.is_some() {
        let cookie = crate::page_cache::wrote_cookie(state.auth.cookie_secure);
        if let Ok(value) = header::HeaderValue::from_str(&cookie) {
            res.headers_mut().append(header::SET_COOKIE, value);
        }
    }
    if let Ok(value) = header::HeaderValue::from_str(&request_id) {
        res.headers_mut().insert(header::HeaderName::from_static("x-request-id"), value);
    }
    // Pages of a signed-in user are never stored (no balances left on disk
    // for the Back button after logout); others are revalidated.
    if !res.headers().contains_key(header::CACHE_CONTROL) {
        let value = if signed_in { "private, no-store" } else { "private, no-cache" };
        res.headers_mut().insert(header::CACHE_CONTROL, header::HeaderValue::from_static(value));
    }
    Ok(res.map_into_left_body())
}

/// A `multipart/form-data` content type that names its boundary.
fn has_multipart_boundary(req: &ServiceRequest) -> bool {
    req.headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|ct| ct.to_ascii_lowercase().starts_with("multipart/form-data") && ct.contains("boundary="))
}

#[cfg(test)]
mod tests {
    use super::*;
    use actix_web::test::TestRequest;

    #[test]
    fn origin_parsing() {
        assert_eq!(origin_of("https://Pay.Example.com/path?x"), Some("https://pay.example.com".into()));
        assert_eq!(origin_of("http://127.0.0.1:3000"), Some("http://127.0.0.1:3000".into()));
        assert_eq!(origin_of("nonsense"), None);
    }

    #[test]
    fn cross_site_posts_are_refused() {
        let public = "https://pay.example.com";
        let ok = TestRequest::post().insert_header(("Origin", "https://pay.example.com")).to_srv_request();
        assert!(same_origin(&ok, public));
        let evil = TestRequest::post().insert_header(("Origin", "https://evil.example")).to_srv_request();
        assert!(!same_origin(&evil, public));
        let none = TestRequest::post().to_srv_request();
        assert!(!same_origin(&none, public));
        let referer = TestRequest::post().insert_header(("Referer", "https://pay.example.com/login")).to_srv_request();
        assert!(same_origin(&referer, public));
        let null = TestRequest::post().insert_header(("Origin", "null")).to_srv_request();
        assert!(!same_origin(&null, public));
    }

    #[test]
    fn link_tokens_never_reach_the_logs() {
        assert_eq!(loggable_path("/pay/eyJhbGciOiJIUzI1NiJ9.x.y"), "/pay/[redacted]");
        assert_eq!(loggable_path("/r/eyJhbGciOiJIUzI1NiJ9.x.y"), "/r/[redacted]");
        assert_eq!(loggable_path("/reset/0a1b2c3d"), "/reset/[redacted]");
        assert_eq!(loggable_path("/invite/0a1b2c3d"), "/invite/[redacted]");
        assert_eq!(loggable_path("/portal/payments/12"), "/portal/payments/12");
    }
}
