//! The site's static files: the bundle (`/pkg/relance.<hash>.js|wasm|css`)
//! and the public files (`/favicon.svg`, `/stripe-pay.js`, …).
//!
//! They come from the folder `scripts/build-site.sh` writes (`site_root`),
//! or, in a binary built with the `embed-site` feature (the release build),
//! from the binary itself: a release is one file.
//!
//! A file compressed at build time (`FILE.br`, `FILE.gz`) is sent as it is
//! to a browser that accepts it, brotli first. A bundle file without them
//! (a debug build) is gzipped once per version and kept in memory rather
//! than by the compression middleware on every request: the debug wasm is
//! tens of megabytes, seconds of CPU per download. The bundle's names carry
//! a hash of its content, so they are cached for a year (`immutable`);
//! other files are revalidated (`no-cache`, with an `ETag`).

use actix_web::http::header;
use actix_web::web::Bytes;
use actix_web::{web, HttpRequest, HttpResponse};
use flate2::write::GzEncoder;
use flate2::Compression;
use std::collections::HashMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, OnceLock};
use std::time::UNIX_EPOCH;

/// The bundle's name before build-site.sh wrote one (tests without a site).
const UNBUILT_NAME: &str = "relance";

#[cfg(feature = "embed-site")]
#[derive(rust_embed::Embed)]
#[folder = "../target/site"]
struct Embedded;

/// Where the site's files are.
#[derive(Clone, Debug)]
pub struct Site {
    /// `None`: embedded in the binary.
    root: Option<PathBuf>,
    /// `relance.<hash>`: the bundle's file name, without its extension.
    name: String,
}

/// One file, in one encoding.
struct Found {
    body: Bytes,
    /// `gzip`, `br`, or `None` for the file as it is.
    encoding: Option<&'static str>,
    etag: String,
}

impl Site {
    /// The embedded site in a binary built with `embed-site`, else the
    /// folder `root`.
    pub fn open(root: &str) -> Site {
        let root = (!cfg!(feature = "embed-site")).then(|| PathBuf::from(root));
        let mut site = Site { root, name: UNBUILT_NAME.to_string() };
        match site.read("pkg/NAME").map(|b| String::from_utf8_lossy(&b).trim().to_string()) {
            Some(name) if !name.is_empty() && !name.contains(['/', '\\']) => site.name = name,
            _ => tracing::warn!(root = ?site.root, "no built site (pkg/NAME): run scripts/build-site.sh"),
        }
        site
    }

    /// The bundle's name: the server's pages ask for `/pkg/{name}.js`,
    /// `.wasm` and `.css`.
    pub fn bundle_name(&self) -> &str {
        &self.name
    }

    /// The split bundle's loader and, for each lazy page, the files it
    /// loads (`pkg/<name>.parts.json`, written by build-site.sh).
    pub fn parts(&self) -> Option<(String, HashMap<String, Vec<String>>)> {
        let json = self.read(&format!("pkg/{}.parts.json", self.name))?;
        match serde_json::from_slice(&json) {
            Ok(parts) => Some((format!("{}.split.js", self.name), parts)),
            Err(e) => {
                tracing::warn!(error = %e, "unreadable pkg/{}.parts.json: pages will not preload their parts", self.name);
                None
            }
        }
    }

    /// Whether the site is inside the binary.
    pub fn embedded(&self) -> bool {
        self.root.is_none()
    }

    fn read(&self, path: &str) -> Option<Bytes> {
        match &self.root {
            Some(root) => std::fs::read(root.join(path)).ok().map(Bytes::from),
            None => embedded(path).map(|(body, _)| body),
        }
    }

    /// The file in the best encoding `accepts` allows.
    async fn find(&self, path: &str, accepts: Accepts) -> Option<Found> {
        for (ext, encoding, ok) in [(".br", "br", accepts.br), (".gz", "gzip", accepts.gzip)] {
            if ok {
                if let Some(found) = self.exact(&format!("{path}{ext}"), Some(encoding)).await {
                    return Some(found);
                }
            }
        }
        match &self.root {
            Some(root) if accepts.gzip && path.starts_with("pkg/") && compressible(path) => {
                gzipped(&root.join(path)).await
            }
            _ => self.exact(path, None).await,
        }
    }

    async fn exact(&self, path: &str, encoding: Option<&'static str>) -> Option<Found> {
        let suffix = encoding.map(|e| format!("-{e}")).unwrap_or_default();
        match &self.root {
            None => {
                let (body, hash) = embedded(path)?;
                Some(Found { body, encoding, etag: format!("\"{}{suffix}\"", &hash[..16]) })
            }
            Some(root) => {
                let file = root.join(path);
                let version = version(&file).await?;
                let body = Bytes::from(tokio::fs::read(&file).await.ok()?);
                Some(Found { body, encoding, etag: format!("\"{version}{suffix}\"") })
            }
        }
    }
}

/// A file's version on disk: its size and modification time.
async fn version(file: &Path) -> Option<String> {
    let meta = tokio::fs::metadata(file).await.ok().filter(|m| m.is_file())?;
    let stamp = meta.modified().ok()?.duration_since(UNIX_EPOCH).map(|d| d.as_nanos()).unwrap_or(0);
    Some(format!("{:x}-{stamp:x}", meta.len()))
}

#[cfg(feature = "embed-site")]
fn embedded(path: &str) -> Option<(Bytes, String)> {
    let file = <Embedded as rust_embed::RustEmbed>::get(path)?;
    let hash: String = file.metadata.sha256_hash().iter().map(|b| format!("{b:02x}")).collect();
    let body = match file.data {
        std::borrow::Cow::Borrowed(b) => Bytes::from_static(b),
        std::borrow::Cow::Owned(v) => Bytes::from(v),
    };
    Some((body, hash))
}

#[cfg(not(feature = "embed-site"))]
fn embedded(_path: &str) -> Option<(Bytes, String)> {
    None
}

/// A bundle file on disk gzipped, from memory when this version was
/// already (a few files are kept: a rebuild names its bundle anew).
async fn gzipped(file: &Path) -> Option<Found> {
    type Cache = Mutex<HashMap<PathBuf, (String, Bytes)>>;
    static CACHE: OnceLock<Cache> = OnceLock::new();
    let cache = CACHE.get_or_init(Default::default);
    let etag = format!("\"{}-gzip\"", version(file).await?);
    let hit = cache.lock().ok().and_then(|c| c.get(file).filter(|(e, _)| *e == etag).map(|(_, b)| b.clone()));
    let body = match hit {
        Some(body) => body,
        None => {
            let source = file.to_path_buf();
            let body = web::block(move || -> std::io::Result<Bytes> {
                let raw = std::fs::read(&source)?;
                let mut gz = GzEncoder::new(Vec::with_capacity(raw.len() / 4), Compression::default());
                gz.write_all(&raw)?;
                Ok(Bytes::from(gz.finish()?))
            })
            .await
            .ok()?
            .ok()?;
            if let Ok(mut c) = cache.lock() {
                if c.len() >= 8 {
                    c.clear();
                }
                c.insert(file.to_path_buf(), (etag.clone(), body.clone()));
            }
            body
        }
    };
    Some(Found { body, encoding: Some("gzip"), etag })
}

fn compressible(name: &str) -> bool {
    matches!(Path::new(name).extension().and_then(|e| e.to_str()), Some("wasm" | "js" | "css" | "svg"))
}

fn content_type(name: &str) -> &'static str {
    match Path::new(name).extension().and_then(|e| e.to_str()).unwrap_or("") {
        "wasm" => "application/wasm",
        "js" => "text/javascript; charset=utf-8",
        "css" => "text/css; charset=utf-8",
        "svg" => "image/svg+xml",
        "png" => "image/png",
        "ico" => "image/x-icon",
        "txt" => "text/plain; charset=utf-8",
        "json" | "webmanifest" => "application/json",
        _ => "application/octet-stream",
    }
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
struct Accepts {
    gzip: bool,
    br: bool,
}

/// The encodings the request accepts (named, not refused with `q=0`).
fn accepts(req: &HttpRequest) -> Accepts {
    let mut out = Accepts::default();
    let Some(value) = req.headers().get(header::ACCEPT_ENCODING).and_then(|v| v.to_str().ok()) else { return out };
    for part in value.split(',') {
        let mut bits = part.split(';').map(str::trim);
        let name = bits.next().unwrap_or("");
        let refused = bits.any(|p| p.replace(' ', "").trim_start_matches("q=").parse::<f32>() == Ok(0.0));
        match name {
            "gzip" => out.gzip = !refused,
            "br" => out.br = !refused,
            _ => {}
        }
    }
    out
}

/// A file name of the site: one path segment, no hidden or parent names.
fn valid(name: &str) -> bool {
    !name.is_empty() && !name.starts_with('.') && !name.contains(['/', '\\']) && !name.contains("..")
}

async fn serve(req: &HttpRequest, site: &Site, path: &str, immutable: bool) -> HttpResponse {
    let Some(found) = site.find(path, accepts(req)).await else {
        return HttpResponse::NotFound().finish();
    };
    let cache = if immutable { "public, max-age=31536000, immutable" } else { "no-cache" };
    if req.headers().get(header::IF_NONE_MATCH).and_then(|v| v.to_str().ok()) == Some(found.etag.as_str()) {
        return HttpResponse::NotModified()
            .insert_header((header::ETAG, found.etag))
            .insert_header((header::CACHE_CONTROL, cache))
            .finish();
    }
    let mut res = HttpResponse::Ok();
    res.content_type(content_type(path))
        .insert_header((header::VARY, "Accept-Encoding"))
        .insert_header((header::ETAG, found.etag))
        .insert_header((header::CACHE_CONTROL, cache));
    if let Some(encoding) = found.encoding {
        res.insert_header((header::CONTENT_ENCODING, encoding));
    }
    res.body(found.body)
}

/// `/pkg/{name}`: the bundle.
pub async fn pkg(req: HttpRequest, site: web::Data<Site>, name: web::Path<String>) -> HttpResponse {
    let name = name.into_inner();
    if !valid(&name) || name == "NAME" {
        return HttpResponse::NotFound().finish();
    }
    let immutable = name.strip_prefix(site.bundle_name()).is_some_and(|rest| rest.starts_with('.'))
        && site.bundle_name() != UNBUILT_NAME;
    serve(&req, &site, &format!("pkg/{name}"), immutable).await
}

/// `/{file}`: the public files, after every page route.
pub async fn public(req: HttpRequest, site: web::Data<Site>, name: web::Path<String>) -> HttpResponse {
    let name = name.into_inner();
    if !valid(&name) {
        return HttpResponse::NotFound().finish();
    }
    serve(&req, &site, &name, false).await
}

#[cfg(test)]
mod tests {
    use super::*;
    use actix_web::test::TestRequest;

    #[test]
    fn encodings_are_accepted_only_when_named_and_not_refused() {
        let with =
            |v: &str| accepts(&TestRequest::default().insert_header((header::ACCEPT_ENCODING, v)).to_http_request());
        assert_eq!(with("gzip, deflate, br, zstd"), Accepts { gzip: true, br: true });
        assert_eq!(with("br;q=1.0, gzip;q=0.8"), Accepts { gzip: true, br: true });
        assert_eq!(with("br, zstd"), Accepts { gzip: false, br: true });
        assert_eq!(with("gzip;q=0, br;q=0.5"), Accepts { gzip: false, br: true });
        assert_eq!(accepts(&TestRequest::default().to_http_request()), Accepts::default());
        assert_eq!(content_type("relance.0123456789abcdef.wasm"), "application/wasm");
        assert_eq!(content_type("favicon.svg"), "image/svg+xml");
        assert!(valid("relance.1234.js") && !valid("../etc") && !valid(".env") && !valid("a/b") && !valid(""));
    }

    #[actix_web::test]
    async fn a_built_site_is_served_precompressed_and_cached_by_its_hashed_name() {
        let dir = std::env::temp_dir().join(format!("relance-assets-{}", std::process::id()));
        let bundle = dir.join("pkg");
        std::fs::create_dir_all(&bundle).unwrap();
        std::fs::write(bundle.join("NAME"), "relance.abc\n").unwrap();
        std::fs::write(bundle.join("relance.abc.js"), "export default 1;").unwrap();
        std::fs::write(bundle.join("relance.abc.js.br"), "BR").unwrap();
        std::fs::write(bundle.join("relance.abc.js.gz"), "GZ").unwrap();
        std::fs::write(dir.join("favicon.svg"), "<svg/>").unwrap();
        let site = Site::open(dir.to_str().unwrap());
        assert_eq!(site.bundle_name(), "relance.abc");
        assert!(!site.embedded());
        let site = web::Data::new(site);
        let get = |enc: &str| {
            TestRequest::default().insert_header((header::ACCEPT_ENCODING, enc.to_string())).to_http_request()
        };
        let body = |res: HttpResponse| async { actix_web::body::to_bytes(res.into_body()).await.unwrap() };

        let res = pkg(get("gzip, br"), site.clone(), web::Path::from("relance.abc.js".to_string())).await;
        assert_eq!(res.headers().get(header::CONTENT_ENCODING).unwrap(), "br");
        assert_eq!(res.headers().get(header::CACHE_CONTROL).unwrap(), "public, max-age=31536000, immutable");
        assert_eq!(res.headers().get(header::CONTENT_TYPE).unwrap(), "text/javascript; charset=utf-8");
        assert_eq!(body(res).await, "BR");
        let res = pkg(get("gzip"), site.clone(), web::Path::from("relance.abc.js".to_string())).await;
        assert_eq!(res.headers().get(header::CONTENT_ENCODING).unwrap(), "gzip");
        assert_eq!(body(res).await, "GZ");
        let res = pkg(get("identity"), site.clone(), web::Path::from("relance.abc.js".to_string())).await;
        assert!(res.headers().get(header::CONTENT_ENCODING).is_none());
        let etag = res.headers().get(header::ETAG).unwrap().to_str().unwrap().to_string();
        assert_eq!(body(res).await, "export default 1;");
        // Revalidated: not modified.
        let again = TestRequest::default().insert_header((header::IF_NONE_MATCH, etag)).to_http_request();
        let res = pkg(again, site.clone(), web::Path::from("relance.abc.js".to_string())).await;
        assert_eq!(res.status(), actix_web::http::StatusCode::NOT_MODIFIED);
        // The name file and missing files are not found; public files are revalidated.
        let res = pkg(get("gzip"), site.clone(), web::Path::from("NAME".to_string())).await;
        assert_eq!(res.status(), actix_web::http::StatusCode::NOT_FOUND);
        let res = public(get("gzip"), site.clone(), web::Path::from("favicon.svg".to_string())).await;
        assert_eq!(res.headers().get(header::CACHE_CONTROL).unwrap(), "no-cache");
        assert_eq!(res.headers().get(header::CONTENT_TYPE).unwrap(), "image/svg+xml");
        let res = public(get("gzip"), site, web::Path::from("missing.js".to_string())).await;
        assert_eq!(res.status(), actix_web::http::StatusCode::NOT_FOUND);
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
