//! Mock-server mode: smtp-protocol's simulated server on a real SMTP port, for real mail clients
//! (a lab program, Thunderbird, swaks), with the captured mail and the sessions behind a JSON API
//! in the manner of Mailpit's. STARTTLS works for real, with a self-signed certificate made at
//! start. Each connection is its own `Server`; a client that stalls or breaks affects no other.

use axum::Router;
use axum::extract::{Path, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde::Serialize;
use smtp_protocol::event::{Closer, Event};
use smtp_protocol::message::{compare_with_envelope, parse_message};
use smtp_protocol::session::Phase;
use smtp_protocol::{Peer, ProfileName, Server, ServerConfig, StoredMessage, Timestamp, Transcript};
use std::collections::VecDeque;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

#[derive(Debug, Clone, Serialize)]
pub struct Captured {
    pub id: u64,
    pub session: u64,
    #[serde(flatten)]
    pub message: StoredMessage,
}

#[derive(Debug, Clone, Serialize)]
pub struct SessionRecord {
    pub id: u64,
    pub client: String,
    pub started: u64,
    pub ended: Option<u64>,
    pub messages: usize,
    /// How it ended, once it has.
    pub result: Option<String>,
    /// The session as `C:`/`S:` lines.
    pub transcript: String,
}

pub struct Mock {
    pub config: ServerConfig,
    max_messages: usize,
    messages: Mutex<VecDeque<Captured>>,
    /// Messages dropped because the store was full (oldest first).
    dropped: AtomicU64,
    sessions: Mutex<VecDeque<SessionRecord>>,
    next_id: AtomicU64,
    tls: Option<tokio_rustls::TlsAcceptor>,
}

fn now() -> Timestamp {
    Timestamp(std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_millis() as u64).unwrap_or(0))
}

/// A self-signed certificate for STARTTLS, made at start.
pub fn self_signed_acceptor() -> Result<tokio_rustls::TlsAcceptor, String> {
    let made = rcgen::generate_simple_self_signed(vec!["localhost".to_string(), "mock.playground.test".to_string()]).map_err(|e| e.to_string())?;
    let key = rustls::pki_types::PrivateKeyDer::Pkcs8(made.signing_key.serialize_der().into());
    let config = rustls::ServerConfig::builder_with_provider(Arc::new(rustls::crypto::ring::default_provider()))
        .with_safe_default_protocol_versions()
        .map_err(|e| e.to_string())?
        .with_no_client_auth()
        .with_single_cert(vec![made.cert.der().clone()], key)
        .map_err(|e| e.to_string())?;
    Ok(tokio_rustls::TlsAcceptor::from(Arc::new(config)))
}

impl Mock {
    pub fn new(mut config: ServerConfig, max_messages: usize, tls: Option<tokio_rustls::TlsAcceptor>) -> Self {
        config.policy.starttls = tls.is_some();
        Mock { config, max_messages, messages: Mutex::new(VecDeque::new()), dropped: AtomicU64::new(0), sessions: Mutex::new(VecDeque::new()), next_id: AtomicU64::new(1), tls }
    }

    pub fn with_defaults(max_messages: usize) -> Result<Self, String> {
        Ok(Mock::new(ServerConfig::new(ProfileName::Mock), max_messages, Some(self_signed_acceptor()?)))
    }

    fn id(&self) -> u64 {
        self.next_id.fetch_add(1, Ordering::Relaxed)
    }

    fn store(&self, session: u64, message: StoredMessage) {
        let mut messages = self.messages.lock().expect("not poisoned");
        if messages.len() >= self.max_messages {
            messages.pop_front();
            self.dropped.fetch_add(1, Ordering::Relaxed);
        }
        messages.push_back(Captured { id: self.id(), session, message });
    }

    fn update_session(&self, id: u64, change: impl FnOnce(&mut SessionRecord)) {
        if let Some(record) = self.sessions.lock().expect("not poisoned").iter_mut().find(|s| s.id == id) {
            change(record);
        }
    }
}

/// Accepts SMTP clients until the listener fails.
pub async fn serve_smtp(listener: TcpListener, mock: Arc<Mock>) {
    loop {
        match listener.accept().await {
            Ok((tcp, peer)) => {
                let mock = mock.clone();
                tokio::spawn(async move { session(tcp, peer, mock).await });
            }
            Err(err) => {
                tracing::warn!(%err, "accept failed");
                tokio::time::sleep(std::time::Duration::from_millis(100)).await;
            }
        }
    }
}

/// Keeps the transcript and stores accepted messages as the session goes.
struct Recorder {
    id: u64,
    mock: Arc<Mock>,
    messages: usize,
}

impl Recorder {
    fn drain(&mut self, server: &mut Server) {
        let mut closed = None;
        let mut changed = false;
        // Only the new lines: the record's transcript grows, it is never rendered again.
        let mut appended = String::new();
        while let Some(event) = server.poll_event() {
            changed = true;
            Transcript::write_event(&event, &mut appended);
            match &event {
                Event::MessageAccepted { .. } => {
                    self.messages += 1;
                    for message in server.take_messages() {
                        self.mock.store(self.id, message);
                    }
                }
                Event::Closed { by, reason, .. } => closed = Some(format!("closed by the {}: {reason}", if *by == Closer::Server { "server" } else { "client" })),
                _ => {}
            }
        }
        if changed {
            let messages = self.messages;
            self.mock.update_session(self.id, |record| {
                record.transcript.push_str(&appended);
                record.messages = messages;
                if let Some(result) = closed {
                    record.result = Some(result);
                    record.ended = Some(now().0);
                }
            });
        }
    }
}

/// One conversation over `stream`; true when STARTTLS was accepted and TLS must start.
async fn converse<S: AsyncRead + AsyncWrite + Unpin>(server: &mut Server, stream: &mut S, recorder: &mut Recorder) -> bool {
    let mut buf = vec![0u8; 16 * 1024];
    loop {
        if let Some(out) = server.poll_transmit() {
            if stream.write_all(&out).await.is_err() {
                server.handle_client_close(now());
            }
        }
        recorder.drain(server);
        if server.is_closed() {
            return false;
        }
        if server.state().phase == Phase::TlsHandshake {
            return true;
        }
        let wait = server.poll_timeout().map(|d| d.0.saturating_sub(now().0)).unwrap_or(300_000);
        match tokio::time::timeout(std::time::Duration::from_millis(wait), stream.read(&mut buf)).await {
            Ok(Ok(0)) | Ok(Err(_)) => server.handle_client_close(now()),
            Ok(Ok(n)) => server.handle_input(&buf[..n], now()),
            Err(_) => server.handle_timeout(now()),
        }
    }
}

async fn session(mut tcp: TcpStream, peer: SocketAddr, mock: Arc<Mock>) {
    let id = mock.id();
    {
        let mut sessions = mock.sessions.lock().expect("not poisoned");
        if sessions.len() >= 1000 {
            sessions.pop_front();
        }
        sessions.push_back(SessionRecord { id, client: peer.to_string(), started: now().0, ended: None, messages: 0, result: None, transcript: String::new() });
    }
    // Each session its own seed: queue ids must not repeat across sessions.
    let mut config = mock.config.clone();
    config.seed ^= id.wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ now().0;
    let mut server = Server::new(config, Peer { ip: peer.ip().to_string() }, now());
    let mut recorder = Recorder { id, mock: mock.clone(), messages: 0 };
    if converse(&mut server, &mut tcp, &mut recorder).await {
        match mock.tls.as_ref().map(|acceptor| acceptor.accept(tcp)) {
            Some(handshake) => match handshake.await {
                Ok(mut tls) => {
                    let (protocol, cipher) = {
                        let connection = tls.get_ref().1;
                        (format!("{:?}", connection.protocol_version()), format!("{:?}", connection.negotiated_cipher_suite().map(|c| c.suite())))
                    };
                    server.handle_tls_established(now(), &protocol, &cipher, false);
                    converse(&mut server, &mut tls, &mut recorder).await;
                }
                Err(err) => server.handle_tls_failed(now(), &err.to_string()),
            },
            None => server.handle_tls_failed(now(), "TLS is not configured"),
        }
    }
    recorder.drain(&mut server);
}

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
    let messages = mock.messages.lock().expect("not poisoned");
    let summaries: Vec<Summary> = messages
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
        .collect();
    axum::Json(serde_json::json!({ "total": summaries.len(), "dropped": mock.dropped.load(Ordering::Relaxed), "messages": summaries })).into_response()
}

fn find(mock: &Mock, id: u64) -> Option<Captured> {
    mock.messages.lock().expect("not poisoned").iter().find(|c| c.id == id).cloned()
}

fn not_found(id: u64) -> Response {
    (StatusCode::NOT_FOUND, axum::Json(serde_json::json!({ "error": format!("no message {id}: it was deleted, or dropped when the store was full") }))).into_response()
}

async fn one(State(mock): State<Arc<Mock>>, Path(id): Path<u64>) -> Response {
    let Some(captured) = find(&mock, id) else { return not_found(id) };
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
    match find(&mock, id) {
        Some(captured) => ([(header::CONTENT_TYPE, "message/rfc822")], captured.message.raw).into_response(),
        None => not_found(id),
    }
}

async fn delete_one(State(mock): State<Arc<Mock>>, Path(id): Path<u64>) -> Response {
    let mut messages = mock.messages.lock().expect("not poisoned");
    let before = messages.len();
    messages.retain(|c| c.id != id);
    if messages.len() < before { StatusCode::NO_CONTENT.into_response() } else { not_found(id) }
}

async fn delete_all(State(mock): State<Arc<Mock>>) -> StatusCode {
    mock.messages.lock().expect("not poisoned").clear();
    StatusCode::NO_CONTENT
}

async fn sessions(State(mock): State<Arc<Mock>>) -> Response {
    let sessions: Vec<SessionRecord> = mock.sessions.lock().expect("not poisoned").iter().rev().cloned().collect();
    axum::Json(serde_json::json!({ "total": sessions.len(), "sessions": sessions })).into_response()
}

/// The JSON API: `/api/v1/messages`, `/api/v1/message/{id}` (and `/raw`), `/api/v1/sessions`.
pub fn api(mock: Arc<Mock>) -> Router {
    Router::new()
        .route("/api/v1/messages", get(list).delete(delete_all))
        .route("/api/v1/message/{id}", get(one).delete(delete_one))
        .route("/api/v1/message/{id}/raw", get(raw))
        .route("/api/v1/sessions", get(sessions))
        .with_state(mock)
}
