//! The mock server's JSON API, in the manner of Mailpit's: scripts that check a lab program's
//! output list, read and delete messages, read the sessions' transcripts, and read or change
//! the configuration new connections get.

use super::Mock;
use axum::Router;
use axum::extract::{Path, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde::Serialize;
use smtp_protocol::ServerConfig;
use smtp_protocol::message::{compare_with_envelope, parse_message};
use std::sync::Arc;

#[derive(Serialize)]
struct Summary {
    id: u64,
    queue_id: String,
    received_at: u64,
    from: String,
    to: Vec<String>,
    subject: Option<String>,
    size: usize,
    session: u64,
}

async fn list(State(mock): State<Arc<Mock>>) -> Response {
    let summaries: Vec<Summary> = mock.store.with_messages(|messages| {
        messages
            .iter()
            .rev()
            .map(|c| Summary {
                id: c.id,
                queue_id: c.message.queue_id.clone(),
                received_at: c.message.received_at.0,
                from: c.message.envelope.sender_address(),
                to: c.message.envelope.recipient_addresses(),
                subject: parse_message(&c.message.raw).subject,
                size: c.message.raw.len(),
                session: c.session,
            })
            .collect()
    });
    axum::Json(serde_json::json!({ "total": summaries.len(), "dropped": mock.store.dropped(), "messages": summaries })).into_response()
}

fn not_found(id: u64) -> Response {
    (StatusCode::NOT_FOUND, axum::Json(serde_json::json!({ "error": format!("no message {id}: it was deleted, or dropped when the store was full") }))).into_response()
}

async fn one(State(mock): State<Arc<Mock>>, Path(id): Path<u64>) -> Response {
    let Some(captured) = mock.store.find(id) else { return not_found(id) };
    let view = parse_message(&captured.message.raw);
    let findings: Vec<String> = compare_with_envelope(&view, &captured.message.envelope).iter().map(|f| f.describe()).collect();
    axum::Json(serde_json::json!({
        "id": captured.id,
        "queue_id": captured.message.queue_id,
        "received_at": captured.message.received_at.0,
        "envelope": { "from": captured.message.envelope.sender_address(), "to": captured.message.envelope.recipient_addresses() },
        "tls": captured.message.tls,
        "authenticated_as": captured.message.authenticated_as,
        "message": view,
        "findings": findings,
    }))
    .into_response()
}

async fn raw(State(mock): State<Arc<Mock>>, Path(id): Path<u64>) -> Response {
    match mock.store.find(id) {
        Some(captured) => ([(header::CONTENT_TYPE, "message/rfc822")], captured.message.raw).into_response(),
        None => not_found(id),
    }
}

async fn delete_one(State(mock): State<Arc<Mock>>, Path(id): Path<u64>) -> Response {
    if mock.store.delete(|c| c.id == id).is_empty() { not_found(id) } else { StatusCode::NO_CONTENT.into_response() }
}

async fn delete_all(State(mock): State<Arc<Mock>>) -> StatusCode {
    mock.store.delete(|_| true);
    StatusCode::NO_CONTENT
}

async fn sessions(State(mock): State<Arc<Mock>>) -> Response {
    let sessions: Vec<serde_json::Value> = mock.store.with_sessions(|sessions| {
        sessions
            .iter()
            .rev()
            .map(|s| {
                serde_json::json!({
                    "id": s.id,
                    "client": s.client,
                    "started": s.started,
                    "ended": s.ended,
                    "messages": s.messages,
                    "result": s.result,
                    "transcript": s.transcript(),
                })
            })
            .collect()
    });
    axum::Json(serde_json::json!({ "total": sessions.len(), "sessions": sessions })).into_response()
}

async fn get_config(State(mock): State<Arc<Mock>>) -> Response {
    axum::Json(mock.config()).into_response()
}

/// Takes a whole `ServerConfig` (as GET returns it); a body that is not one is refused with
/// serde's reason, naming the field.
async fn put_config(State(mock): State<Arc<Mock>>, body: axum::body::Bytes) -> Response {
    match serde_json::from_slice::<ServerConfig>(&body) {
        Ok(config) => match mock.configure(config) {
            Ok(config) => axum::Json(config).into_response(),
            Err(problem) => (StatusCode::UNPROCESSABLE_ENTITY, axum::Json(serde_json::json!({ "error": format!("this configuration cannot work: {problem}") }))).into_response(),
        },
        Err(err) => (StatusCode::UNPROCESSABLE_ENTITY, axum::Json(serde_json::json!({ "error": format!("not a server configuration: {err}; GET /api/v1/config shows the form") })))
            .into_response(),
    }
}

/// The JSON API: `/api/v1/messages`, `/api/v1/message/{id}` (and `/raw`), `/api/v1/sessions`,
/// `/api/v1/config`.
pub fn router(mock: Arc<Mock>) -> Router {
    Router::new()
        .route("/api/v1/messages", get(list).delete(delete_all))
        .route("/api/v1/message/{id}", get(one).delete(delete_one))
        .route("/api/v1/message/{id}/raw", get(raw))
        .route("/api/v1/sessions", get(sessions))
        .route("/api/v1/config", get(get_config).put(put_config))
        .with_state(mock)
}
