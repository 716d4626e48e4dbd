//! A teacher's exercise files served beside the built-in ones (`--exercises DIR`): the page
//! fetches `/exercises/index.json` at start and checks each file as the tests check the
//! built-in ones, so a new exercise needs no rebuild. The folder is read at each request: a
//! file added during the class shows at the next reload.

use axum::Router;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use std::path::PathBuf;
use std::sync::Arc;

/// Files served at most, and the largest served (a bigger one is reported by name, not sent).
const MAX_FILES: usize = 200;
const MAX_FILE_OCTETS: u64 = 256 * 1024;

async fn index(State(dir): State<Arc<Option<PathBuf>>>) -> Response {
    let Some(dir) = dir.as_ref() else { return axum::Json(Vec::<serde_json::Value>::new()).into_response() };
    let mut files: Vec<PathBuf> = match std::fs::read_dir(dir) {
        Ok(entries) => entries.filter_map(|e| e.ok()).map(|e| e.path()).filter(|p| p.extension().is_some_and(|x| x == "json")).collect(),
        Err(err) => {
            tracing::warn!(%err, dir = %dir.display(), "cannot read the exercises folder");
            Vec::new()
        }
    };
    files.sort();
    files.truncate(MAX_FILES);
    let served: Vec<serde_json::Value> = files
        .iter()
        .map(|path| {
            let file = path.file_name().map(|n| n.to_string_lossy().to_string()).unwrap_or_default();
            let size = std::fs::metadata(path).map(|m| m.len()).unwrap_or(0);
            // Unreadable or too big: sent as a text that fails to parse, so the page shows why.
            let text = if size > MAX_FILE_OCTETS {
                format!("(this file is {size} octets; exercise files are at most {MAX_FILE_OCTETS})")
            } else {
                std::fs::read_to_string(path).unwrap_or_else(|err| format!("(could not be read: {err})"))
            };
            serde_json::json!({ "file": file, "text": text })
        })
        .collect();
    axum::Json(served).into_response()
}

/// `/exercises/index.json`, from `dir` (an empty list without one).
pub fn router(dir: Option<PathBuf>) -> Router {
    Router::new().route("/exercises/index.json", get(index)).with_state(Arc::new(dir))
}
