//! `smtp-bridge` as a library: the HTTP server for the built page, and the WebSocket endpoint
//! `/bridge` that relays a page's session to an allowed SMTP server (see ARCHITECTURE.md).

pub mod exercises;
pub mod maildir;
pub mod mock;
pub mod relay;
pub mod static_files;
pub mod target;
pub mod tls;
pub mod wire;

use axum::Router;
use axum::extract::ws::WebSocketUpgrade;
use axum::extract::{ConnectInfo, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// Everything the bridge is told at start.
pub struct BridgeConfig {
    pub dir: PathBuf,
    pub allow: Vec<target::Allowed>,
    pub allow_private: bool,
    pub insecure_lab: bool,
    /// Origins allowed besides the bridge's own.
    pub origins: Vec<String>,
    pub token: Option<String>,
    pub max_sessions: usize,
    pub max_sessions_per_client: usize,
    pub idle_timeout: Duration,
    pub max_duration: Duration,
    pub max_frame: usize,
    /// Extra trusted roots (tests use a self-signed lab root).
    pub extra_roots: Vec<rustls::pki_types::CertificateDer<'static>>,
    /// A teacher's exercise files, served beside the built-in ones (`--exercises DIR`).
    pub exercises: Option<PathBuf>,
}

impl BridgeConfig {
    pub fn new(dir: PathBuf) -> Self {
        BridgeConfig {
            dir,
            allow: vec![],
            allow_private: false,
            insecure_lab: false,
            origins: vec![],
            token: None,
            max_sessions: 256,
            max_sessions_per_client: 8,
            idle_timeout: Duration::from_secs(300),
            max_duration: Duration::from_secs(3600),
            max_frame: 64 * 1024,
            extra_roots: vec![],
            exercises: None,
        }
    }
}

pub struct Bridge {
    pub config: BridgeConfig,
    pub tls: tls::TlsPolicy,
    sessions: Mutex<HashMap<IpAddr, usize>>,
}

/// Counts a session while it lives.
struct SessionSlot {
    bridge: Arc<Bridge>,
    client: IpAddr,
}

impl Drop for SessionSlot {
    fn drop(&mut self) {
        let mut sessions = self.bridge.sessions.lock().expect("not poisoned");
        if let Some(n) = sessions.get_mut(&self.client) {
            *n -= 1;
            if *n == 0 {
                sessions.remove(&self.client);
            }
        }
    }
}

pub fn app(config: BridgeConfig) -> Router {
    let tls = tls::TlsPolicy::new(config.insecure_lab, config.extra_roots.clone());
    let dir = config.dir.clone();
    let teacher = config.exercises.clone();
    let bridge = Arc::new(Bridge { config, tls, sessions: Mutex::new(HashMap::new()) });
    // Always answered (an empty list without --exercises): the page asks at every start.
    Router::new().route("/bridge", get(upgrade)).with_state(bridge).merge(exercises::router(teacher)).merge(static_files::router(&dir))
}

/// A page from another site must not drive this bridge nor read its captured mail (cross-site
/// WebSocket hijacking): a WebSocket's Origin must be the bridge's own or one of `extra`.
pub fn check_origin(headers: &HeaderMap, extra: &[String]) -> Result<(), Box<Response>> {
    if let Some(origin) = headers.get(header::ORIGIN).and_then(|o| o.to_str().ok()) {
        let own = headers.get(header::HOST).and_then(|h| h.to_str().ok()).map(|h| format!("http://{h}"));
        if own.as_deref() != Some(origin) && !extra.iter().any(|o| o == origin) {
            return Err(Box::new(refusal(StatusCode::FORBIDDEN, format!("origin {origin} is not allowed: open the page from this bridge, or start it with --origin {origin}"))));
        }
    }
    Ok(())
}

fn refusal(status: StatusCode, message: String) -> Response {
    tracing::info!(%status, %message, "websocket refused");
    (status, message).into_response()
}

async fn upgrade(ws: WebSocketUpgrade, State(bridge): State<Arc<Bridge>>, ConnectInfo(client): ConnectInfo<SocketAddr>, headers: HeaderMap) -> Response {
    if let Err(refused) = check_origin(&headers, &bridge.config.origins) {
        return *refused;
    }
    let slot = {
        let mut sessions = bridge.sessions.lock().expect("not poisoned");
        let total: usize = sessions.values().sum();
        let mine = sessions.get(&client.ip()).copied().unwrap_or(0);
        if total >= bridge.config.max_sessions || mine >= bridge.config.max_sessions_per_client {
            return refusal(StatusCode::TOO_MANY_REQUESTS, format!("too many sessions ({mine} from {}, {total} in all): close one and retry", client.ip()));
        }
        *sessions.entry(client.ip()).or_insert(0) += 1;
        SessionSlot { bridge: bridge.clone(), client: client.ip() }
    };
    let max = bridge.config.max_frame;
    ws.read_buffer_size(4096).write_buffer_size(0).max_message_size(max).max_frame_size(max).on_upgrade(move |socket| async move {
        let _slot = slot;
        relay::run(socket, bridge, client).await;
    })
}

/// Listens on `address` with a long accept queue. A burst of clients (a class starting its lab
/// at once, a flood) that outruns the accept loop for a moment otherwise overflows the default
/// queue of 1024: the kernel then completes their handshakes with SYN cookies but drops them,
/// and they wait for a greeting that never comes.
pub fn listen(address: std::net::SocketAddr) -> std::io::Result<tokio::net::TcpListener> {
    let socket = if address.is_ipv4() { tokio::net::TcpSocket::new_v4()? } else { tokio::net::TcpSocket::new_v6()? };
    socket.set_reuseaddr(true)?;
    socket.bind(address)?;
    socket.listen(4096)
}
