//! The built page: precompressed files, long cache for content-hashed names, no cache for
//! index.html. From `--dir`, or from the copy carried inside the binary (`cargo xtask release`).

use axum::Router;
use axum::http::{HeaderMap, HeaderValue, Request, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use std::path::Path;
use tower_http::services::ServeDir;

mod embedded {
    include!(concat!(env!("OUT_DIR"), "/embedded_page.rs"));
}

/// Whether this binary carries the built page inside.
pub fn has_embedded_page() -> bool {
    embedded::FILES.iter().any(|(name, _)| *name == "index.html")
}

/// Serves `dir` when it holds a built page, else the page inside the binary, if any.
pub fn router(dir: &Path) -> Router {
    if !dir.join("index.html").is_file() && has_embedded_page() {
        return Router::new().fallback(embedded_file).layer(middleware::from_fn(cache_headers));
    }
    let files = ServeDir::new(dir).precompressed_br().precompressed_gzip().append_index_html_on_directories(true);
    Router::new().fallback_service(files).layer(middleware::from_fn(cache_headers))
}

/// A file of the page inside the binary, brotli or gzip when the browser takes them.
async fn embedded_file(headers: HeaderMap, request: Request<axum::body::Body>) -> Response {
    let path = request.uri().path().trim_start_matches('/');
    let name = if path.is_empty() { "index.html" } else { path };
    let find = |name: &str| embedded::FILES.iter().find(|(n, _)| *n == name).map(|(_, bytes)| *bytes);
    let Some(plain) = find(name) else { return StatusCode::NOT_FOUND.into_response() };
    let accepts = headers.get(header::ACCEPT_ENCODING).and_then(|v| v.to_str().ok()).unwrap_or_default();
    let content_type = match name.rsplit('.').next() {
        Some("html") => "text/html; charset=utf-8",
        Some("js") => "text/javascript",
        Some("wasm") => "application/wasm",
        Some("css") => "text/css",
        Some("json") => "application/json",
        _ => "application/octet-stream",
    };
    let mut response_headers = vec![(header::CONTENT_TYPE, content_type), (header::VARY, "accept-encoding")];
    let body = match (accepts.contains("br"), find(&format!("{name}.br")), accepts.contains("gzip"), find(&format!("{name}.gz"))) {
        (true, Some(br), _, _) => {
            response_headers.push((header::CONTENT_ENCODING, "br"));
            br
        }
        (_, _, true, Some(gz)) => {
            response_headers.push((header::CONTENT_ENCODING, "gzip"));
            gz
        }
        _ => plain,
    };
    let mut response = body.into_response();
    for (name, value) in response_headers {
        response.headers_mut().insert(name, HeaderValue::from_static(value));
    }
    response
}

/// `name-0123456789.ext` is immutable: its name changes when its bytes do.
fn is_hashed(path: &str) -> bool {
    let file = path.rsplit('/').next().unwrap_or(path);
    let stem = file.split('.').next().unwrap_or(file);
    stem.rsplit_once('-').is_some_and(|(_, hash)| hash.len() == 10 && hash.bytes().all(|b| b.is_ascii_hexdigit()))
}

async fn cache_headers(request: Request<axum::body::Body>, next: Next) -> Response {
    let hashed = is_hashed(request.uri().path());
    let mut response = next.run(request).await;
    let value = if hashed { "public, max-age=31536000, immutable" } else { "no-cache" };
    response.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static(value));
    response
}

#[cfg(test)]
mod tests {
    use super::is_hashed;

    #[test]
    fn hashed_names_are_recognised() {
        assert!(is_hashed("/smtp_playground-0a1b2c3d4e.wasm"));
        assert!(is_hashed("/style-0a1b2c3d4e.css"));
        assert!(!is_hashed("/index.html"));
        assert!(!is_hashed("/smtp-playground.js"));
    }
}
