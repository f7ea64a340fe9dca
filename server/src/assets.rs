//! The site's bundle (`/pkg/…`): each file the browser accepts gzipped is
//! compressed once per version (size and modification time) and kept in
//! memory, instead of by the compression middleware on every request: the
//! debug build's wasm is tens of megabytes, seconds of CPU per download.
//! Anything else is served by `actix_files` as before.

use actix_files::NamedFile;
use actix_web::http::header;
use actix_web::web::Bytes;
use actix_web::{web, HttpRequest, HttpResponse};
use flate2::write::GzEncoder;
use flate2::Compression;
use std::collections::HashMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, OnceLock};
use std::time::{SystemTime, UNIX_EPOCH};

/// Where the bundle is (`{site_root}/pkg`).
#[derive(Clone)]
pub struct PkgDir(pub PathBuf);

/// A file's version: its size and modification time.
type Version = (u64, SystemTime);

fn cache() -> &'static Mutex<HashMap<PathBuf, (Version, Bytes)>> {
    static CACHE: OnceLock<Mutex<HashMap<PathBuf, (Version, Bytes)>>> = OnceLock::new();
    CACHE.get_or_init(Default::default)
}

fn content_type(name: &str) -> Option<&'static str> {
    match Path::new(name).extension()?.to_str()? {
        "wasm" => Some("application/wasm"),
        "js" => Some("text/javascript; charset=utf-8"),
        "css" => Some("text/css; charset=utf-8"),
        _ => None,
    }
}

fn accepts_gzip(req: &HttpRequest) -> bool {
    req.headers()
        .get(header::ACCEPT_ENCODING)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.split(',').any(|e| e.split(';').next().map(str::trim) == Some("gzip")))
}

pub async fn pkg(req: HttpRequest, dir: web::Data<PkgDir>, name: web::Path<String>) -> actix_web::Result<HttpResponse> {
    let name = name.into_inner();
    if name.is_empty() || name.starts_with('.') || name.contains(['/', '\\']) {
        return Ok(HttpResponse::NotFound().finish());
    }
    let path = dir.0.join(&name);
    let Some(kind) = content_type(&name).filter(|_| accepts_gzip(&req)) else {
        return Ok(NamedFile::open_async(&path).await?.into_response(&req));
    };
    let meta = match tokio::fs::metadata(&path).await {
        Ok(meta) if meta.is_file() => meta,
        _ => return Ok(HttpResponse::NotFound().finish()),
    };
    let version: Version = (meta.len(), meta.modified().unwrap_or(UNIX_EPOCH));
    let stamp = version.1.duration_since(UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(0);
    let etag = format!("\"{:x}-{stamp:x}-gz\"", version.0);
    if req.headers().get(header::IF_NONE_MATCH).and_then(|v| v.to_str().ok()) == Some(etag.as_str()) {
        return Ok(HttpResponse::NotModified().insert_header((header::ETAG, etag)).finish());
    }
    let cached = cache().lock().ok().and_then(|c| c.get(&path).filter(|(v, _)| *v == version).map(|(_, b)| b.clone()));
    let body = match cached {
        Some(body) => body,
        None => {
            let source = path.clone();
            let body = web::block(move || -> std::io::Result<Bytes> {
                let raw = std::fs::read(&source)?;
                let mut gz = GzEncoder::new(Vec::with_capacity(raw.len() / 4), Compression::default());
                gz.write_all(&raw)?;
                Ok(Bytes::from(gz.finish()?))
            })
            .await??;
            if let Ok(mut c) = cache().lock() {
                c.insert(path, (version, body.clone()));
            }
            body
        }
    };
    Ok(HttpResponse::Ok()
        .content_type(kind)
        .insert_header((header::CONTENT_ENCODING, "gzip"))
        .insert_header((header::VARY, "Accept-Encoding"))
        .insert_header((header::ETAG, etag))
        .insert_header((header::CACHE_CONTROL, "no-cache"))
        .body(body))
}

#[cfg(test)]
mod tests {
    use super::*;
    use actix_web::test::TestRequest;

    #[test]
    fn gzip_is_accepted_only_when_named() {
        let with = |v: &str| {
            accepts_gzip(&TestRequest::default().insert_header((header::ACCEPT_ENCODING, v)).to_http_request())
        };
        assert!(with("gzip, deflate, br, zstd"));
        assert!(with("br;q=1.0, gzip;q=0.8"));
        assert!(!with("br, zstd"));
        assert!(!accepts_gzip(&TestRequest::default().to_http_request()));
        assert_eq!(content_type("relance.wasm"), Some("application/wasm"));
        assert_eq!(content_type("relance.d.ts"), None);
    }
}
