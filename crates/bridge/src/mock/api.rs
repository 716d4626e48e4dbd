//! The mock server's JSON API, in the manner of Mailpit's: scripts that check a lab program's
//! output list, read and delete messages, read the sessions' transcripts, and read or change
//! the configuration new connections get.

use super::Mock;
use super::access::Refusal;
use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde::Serialize;
use smtp_protocol::ServerConfig;
use smtp_protocol::message::{findings, parse_message};
use std::sync::Arc;

#[derive(Serialize)]
struct Finding {
    id: &'static str,
    text: String,
}

#[derive(Serialize)]
struct Summary {
    id: u64,
    queue_id: String,
    received_at: u64,
    /// The envelope sender (MAIL FROM).
    from: String,
    /// The From: header's address, which a lab program may forge.
    header_from: Option<String>,
    to: Vec<String>,
    subject: Option<String>,
    size: usize,
    session: u64,
    /// The client's address, the name it gave in HELO/EHLO, the account it logged in with.
    client: String,
    helo: Option<String>,
    authenticated_as: Option<String>,
    findings: Vec<Finding>,
    /// With simulated delivery on: where each recipient's copy ended, and the reports sent.
    #[serde(skip_serializing_if = "Option::is_none")]
    delivery: Option<String>,
    /// A delivery status notification: the queue id of the message it reports on.
    #[serde(skip_serializing_if = "Option::is_none")]
    report_of: Option<String>,
}

/// The filters a grading script uses on the lists (`?client=...&since=...&limit=...`).
#[derive(Debug, Default, serde::Deserialize)]
struct Filter {
    /// The client's address (or its start: `192.0.2.` for a subnet).
    client: Option<String>,
    helo: Option<String>,
    /// In the envelope sender or the From: header (case-insensitive, part of the address).
    from: Option<String>,
    /// In any envelope recipient.
    to: Option<String>,
    auth: Option<String>,
    /// Milliseconds since 1970: received (or started) at or after it.
    since: Option<u64>,
    limit: Option<usize>,
    offset: Option<usize>,
}

fn contains(haystack: &str, needle: &str) -> bool {
    haystack.to_ascii_lowercase().contains(&needle.to_ascii_lowercase())
}

impl Filter {
    /// What messages and sessions share: the client, its EHLO name, its account, and when.
    fn keeps_client(&self, client: &str, helo: Option<&str>, auth: Option<&str>, at: u64) -> bool {
        self.client.as_deref().is_none_or(|c| client.starts_with(c))
            && self.helo.as_deref().is_none_or(|h| helo.is_some_and(|x| x.eq_ignore_ascii_case(h)))
            && self.auth.as_deref().is_none_or(|a| auth == Some(a))
            && self.since.is_none_or(|t| at >= t)
    }

    /// Whether a message matches; its content is parsed only when the From: header must be read.
    fn keeps(&self, c: &super::Captured) -> bool {
        let m = &c.message;
        self.keeps_client(&m.client_ip, m.client_name.as_deref(), m.authenticated_as.as_deref(), m.received_at.0)
            && self.to.as_deref().is_none_or(|t| m.envelope.recipient_addresses().iter().any(|r| contains(r, t)))
            && self.from.as_deref().is_none_or(|f| contains(&m.envelope.sender_address(), f) || parse_message(&m.raw).from.first().is_some_and(|x| contains(x, f)))
    }

    /// One page of `items` (newest first), and how many matched in all.
    fn page<T>(&self, items: Vec<T>) -> (usize, Vec<T>) {
        let total = items.len();
        (total, items.into_iter().skip(self.offset.unwrap_or(0)).take(self.limit.unwrap_or(usize::MAX)).collect())
    }
}

fn summary(c: &super::Captured) -> Summary {
    let view = parse_message(&c.message.raw);
    let findings = findings(&view, &c.message).iter().map(|f| Finding { id: f.id(), text: f.describe() }).collect();
    Summary {
        id: c.id,
        queue_id: c.message.queue_id.clone(),
        received_at: c.message.received_at.0,
        from: c.message.envelope.sender_address(),
        header_from: view.from.first().cloned(),
        to: c.message.envelope.recipient_addresses(),
        subject: view.subject,
        size: c.message.raw.len(),
        session: c.session,
        client: c.message.client_ip.clone(),
        helo: c.message.client_name.clone(),
        authenticated_as: c.message.authenticated_as.clone(),
        findings,
        delivery: c.message.journey.as_ref().map(|j| j.summary()),
        report_of: c.message.report_of.clone(),
    }
}

async fn list(State(mock): State<Arc<Mock>>, Query(filter): Query<Filter>) -> Response {
    // Only the page's messages are parsed for their summaries, after the store's lock.
    let messages = mock.store.messages();
    let (total, page) = filter.page(messages.iter().rev().filter(|c| filter.keeps(c)).collect());
    let messages: Vec<Summary> = page.into_iter().map(summary).collect();
    axum::Json(serde_json::json!({ "total": total, "dropped": mock.store.dropped(), "messages": messages })).into_response()
}

/// Every message (or those the filter keeps) as one mbox file (mboxrd: `From ` lines quoted).
async fn mbox(State(mock): State<Arc<Mock>>, Query(filter): Query<Filter>) -> Response {
    let mut out = Vec::new();
    // Written from a copy of the list: the store's lock is not held meanwhile.
    for c in mock.store.messages().iter().filter(|c| filter.keeps(c)) {
        let sender = c.message.envelope.sender_address();
        let date = smtp_protocol::Timestamp(c.message.received_at.0).rfc5322_date();
        out.extend_from_slice(format!("From {} {date}\n", if sender.is_empty() { "MAILER-DAEMON".into() } else { sender }).as_bytes());
        for line in c.message.raw.split_inclusive(|b| *b == b'\n') {
            let line = line.strip_suffix(b"\r\n").map(|l| [l, b"\n"].concat()).unwrap_or_else(|| line.to_vec());
            if line.iter().skip_while(|b| **b == b'>').take(5).eq(b"From ".iter()) {
                out.push(b'>');
            }
            out.extend_from_slice(&line);
        }
        out.push(b'\n');
    }
    ([(header::CONTENT_TYPE, "application/mbox"), (header::CONTENT_DISPOSITION, "attachment; filename=\"mock-mail.mbox\"")], out).into_response()
}

fn not_found(id: u64) -> Response {
    (StatusCode::NOT_FOUND, axum::Json(serde_json::json!({ "error": format!("no message {id}: it was deleted, or dropped when the store was full") }))).into_response()
}

async fn one(State(mock): State<Arc<Mock>>, Path(id): Path<u64>) -> Response {
    let Some(captured) = mock.store.find(id) else { return not_found(id) };
    let view = parse_message(&captured.message.raw);
    let findings: Vec<String> = findings(&view, &captured.message).iter().map(|f| f.describe()).collect();
    axum::Json(serde_json::json!({
        "id": captured.id,
        "queue_id": captured.message.queue_id,
        "received_at": captured.message.received_at.0,
        "envelope": { "from": captured.message.envelope.sender_address(), "to": captured.message.envelope.recipient_addresses() },
        "tls": captured.message.tls,
        "authenticated_as": captured.message.authenticated_as,
        "message": view,
        "findings": findings,
        "journey": captured.message.journey,
        "report_of": captured.message.report_of,
    }))
    .into_response()
}

async fn raw(State(mock): State<Arc<Mock>>, Path(id): Path<u64>) -> Response {
    match mock.store.find(id) {
        Some(captured) => ([(header::CONTENT_TYPE, "message/rfc822")], captured.message.raw.clone()).into_response(),
        None => not_found(id),
    }
}

/// A write the caller may not make: the status (401 without a token, 403 otherwise) and why.
fn refused(refusal: Refusal) -> Response {
    (refusal.status, axum::Json(serde_json::json!({ "error": refusal.message }))).into_response()
}

async fn delete_one(State(mock): State<Arc<Mock>>, Path(id): Path<u64>, headers: HeaderMap) -> Response {
    if let Err(refusal) = mock.access.check_headers(&headers) {
        return refused(refusal);
    }
    if mock.store.delete(|c| c.id == id).is_empty() { not_found(id) } else { StatusCode::NO_CONTENT.into_response() }
}

async fn delete_all(State(mock): State<Arc<Mock>>, headers: HeaderMap) -> Response {
    if let Err(refusal) = mock.access.check_headers(&headers) {
        return refused(refusal);
    }
    mock.store.delete(|_| true);
    StatusCode::NO_CONTENT.into_response()
}

async fn sessions(State(mock): State<Arc<Mock>>, Query(filter): Query<Filter>) -> Response {
    // A copy of the page's sessions is taken under the store's lock (their events are shared
    // blocks), and only the page's transcripts are written, after the lock is let go: a class's
    // thousand sessions of ten thousand events each must not hold up every SMTP client.
    let (total, page) = mock.store.with_sessions(|sessions| {
        let (total, page) = filter.page(sessions.iter().rev().filter(|s| filter.keeps_client(&s.client, s.helo.as_deref(), s.authenticated_as.as_deref(), s.started)).collect());
        (total, page.into_iter().cloned().collect::<Vec<_>>())
    });
    let sessions: Vec<serde_json::Value> = page
        .into_iter()
        .map(|s| {
            serde_json::json!({
                "id": s.id,
                "client": s.client,
                "helo": s.helo,
                "authenticated_as": s.authenticated_as,
                "started": s.started,
                "ended": s.ended,
                "messages": s.messages,
                "result": s.result,
                "transcript": s.transcript(),
            })
        })
        .collect();
    axum::Json(serde_json::json!({ "total": total, "sessions": sessions })).into_response()
}

async fn delete_sessions(State(mock): State<Arc<Mock>>, headers: HeaderMap) -> Response {
    if let Err(refusal) = mock.access.check_headers(&headers) {
        return refused(refusal);
    }
    mock.store.delete_sessions();
    StatusCode::NO_CONTENT.into_response()
}

async fn get_config(State(mock): State<Arc<Mock>>) -> Response {
    axum::Json(mock.config()).into_response()
}

/// Takes a `ServerConfig` as GET returns it, whole or in part: what is given replaces the
/// configuration in force (`{"policy":{"greylisting":false}}` changes one knob; a new `profile`
/// without a `policy` takes that profile's defaults). A key that is no setting, a value of the
/// wrong type or a policy that cannot work is refused with the reason, and nothing changes.
async fn put_config(State(mock): State<Arc<Mock>>, headers: HeaderMap, body: axum::body::Bytes) -> Response {
    if let Err(refusal) = mock.access.check_headers(&headers) {
        return refused(refusal);
    }
    let unprocessable = |error: String| (StatusCode::UNPROCESSABLE_ENTITY, axum::Json(serde_json::json!({ "error": error }))).into_response();
    let config = match merged_config(&mock.config(), &body) {
        Ok(config) => config,
        Err(error) => return unprocessable(format!("not a server configuration: {error}; GET /api/v1/config shows the form")),
    };
    match mock.configure(config) {
        Ok(config) => axum::Json(config).into_response(),
        Err(problem) => unprocessable(format!("this configuration cannot work: {problem}")),
    }
}

/// The fault rules in force, as a JSON list (each with its text form as `rule`).
async fn get_faults(State(mock): State<Arc<Mock>>) -> Response {
    axum::Json(mock.config().policy.faults).into_response()
}

/// Replaces the fault rules from the next connection: a JSON list whose items are rules as GET
/// gives them or their text form (`["rcpt#2 => 452 4.2.2 Mailbox full"]`). A malformed rule is
/// refused with its position and column, and nothing changes.
async fn put_faults(State(mock): State<Arc<Mock>>, headers: HeaderMap, body: axum::body::Bytes) -> Response {
    if let Err(refusal) = mock.access.check_headers(&headers) {
        return refused(refusal);
    }
    let unprocessable = |body: serde_json::Value| (StatusCode::UNPROCESSABLE_ENTITY, axum::Json(body)).into_response();
    let items: Vec<serde_json::Value> = match serde_json::from_slice(&body) {
        Ok(items) => items,
        Err(error) => return unprocessable(serde_json::json!({ "error": format!("expected a JSON list of rules such as [\"rcpt#2 => 452 4.2.2 Mailbox full\"]: {error}") })),
    };
    let mut rules = Vec::with_capacity(items.len());
    for (i, item) in items.into_iter().enumerate() {
        let rule = match item {
            serde_json::Value::String(text) => smtp_protocol::fault::FaultRule::parse(&text),
            other => serde_json::from_value(other).map_err(|e| smtp_protocol::fault::FaultRuleError { column: 0, message: e.to_string() }),
        };
        match rule {
            Ok(rule) => rules.push(rule),
            Err(error) => return unprocessable(serde_json::json!({ "error": format!("rule {}: {error}", i + 1), "rule": i + 1, "column": error.column })),
        }
    }
    let mut config = mock.config();
    config.policy.faults = rules;
    match mock.configure(config) {
        Ok(config) => axum::Json(config.policy.faults).into_response(),
        Err(problem) => unprocessable(serde_json::json!({ "error": problem })),
    }
}

/// `body` (JSON, a whole or partial `ServerConfig`) over `current`.
pub fn merged_config(current: &ServerConfig, body: &[u8]) -> Result<ServerConfig, String> {
    let change: serde_json::Value = serde_json::from_slice(body).map_err(|e| e.to_string())?;
    let Some(change) = change.as_object() else { return Err("expected a JSON object such as {\"policy\":{\"greylisting\":false}}".into()) };
    let mut merged = serde_json::to_value(current).map_err(|e| e.to_string())?;
    if let Some(profile) = change.get("profile") {
        let name: smtp_protocol::ProfileName = serde_json::from_value(profile.clone()).map_err(|e| format!("profile: {e}"))?;
        if name != current.profile && !change.contains_key("policy") {
            merged["policy"] = serde_json::to_value(smtp_protocol::ServerPolicy::for_profile(name)).map_err(|e| e.to_string())?;
        }
        merged["profile"] = profile.clone();
    }
    for (key, value) in change {
        match key.as_str() {
            "profile" => {}
            "policy" => {
                let Some(fields) = value.as_object() else { return Err("policy: expected an object of settings".into()) };
                for (field, value) in fields {
                    let Some(slot) = merged["policy"].get_mut(field) else { return Err(format!("policy.{field}: no such setting")) };
                    *slot = value.clone();
                }
            }
            "seed" => merged["seed"] = value.clone(),
            other => return Err(format!("{other}: no such field (profile, policy, seed)")),
        }
    }
    serde_json::from_value(merged).map_err(|e| e.to_string())
}

/// The JSON API: `/api/v1/messages`, `/api/v1/message/{id}` (and `/raw`), `/api/v1/sessions`,
/// `/api/v1/config`, `/api/v1/faults`.
pub fn router(mock: Arc<Mock>) -> Router {
    Router::new()
        .route("/api/v1/messages", get(list).delete(delete_all))
        .route("/api/v1/messages.mbox", get(mbox))
        .route("/api/v1/message/{id}", get(one).delete(delete_one))
        .route("/api/v1/message/{id}/raw", get(raw))
        .route("/api/v1/sessions", get(sessions).delete(delete_sessions))
        .route("/api/v1/config", get(get_config).put(put_config))
        .route("/api/v1/faults", get(get_faults).put(put_faults))
        .with_state(mock)
}
