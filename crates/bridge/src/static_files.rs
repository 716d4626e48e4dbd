//! The built page: precompressed files, long cache for content-hashed names, no cache for index.html.

use axum::Router;
use axum::http::{HeaderValue, Request, header};
use axum::middleware::{self, Next};
use axum::response::Response;
use std::path::Path;
use tower_http::services::ServeDir;

pub fn router(dir: &Path) -> Router {
    let files = ServeDir::new(dir).precompressed_br().precompressed_gzip().append_index_html_on_directories(true);
    Router::new().fallback_service(files).layer(middleware::from_fn(cache_headers))
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
