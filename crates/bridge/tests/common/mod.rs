//! Helpers shared by the bridge's integration tests: a bridge in-process, and a WebSocket client
//! speaking the relay protocol.
#![allow(dead_code)]

use futures_util::{SinkExt, StreamExt};
use smtp_bridge::wire::ToPage;
use smtp_bridge::{BridgeConfig, app};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;
use tokio::net::TcpListener;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;

pub(crate) type Ws = tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

/// A bridge on a free loopback port, configured by `configure`.
pub(crate) async fn bridge(configure: impl FnOnce(&mut BridgeConfig)) -> SocketAddr {
    let mut config = BridgeConfig::new(std::env::temp_dir());
    configure(&mut config);
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    tokio::spawn(async move {
        axum::serve(listener, app(config).into_make_service_with_connect_info::<SocketAddr>()).await.unwrap();
    });
    address
}

pub(crate) async fn open(bridge: SocketAddr, origin: Option<&str>) -> Result<Ws, tokio_tungstenite::tungstenite::Error> {
    let mut request = format!("ws://{bridge}/bridge").into_client_request().unwrap();
    if let Some(origin) = origin {
        request.headers_mut().insert("origin", origin.parse().unwrap());
    }
    tokio_tungstenite::connect_async(request).await.map(|(ws, _)| ws)
}

pub(crate) async fn connect(ws: &mut Ws, host: &str, port: u16, security: &str) {
    let request = serde_json::json!({"type": "connect", "v": 1, "host": host, "port": port, "security": security});
    ws.send(Message::Text(request.to_string().into())).await.unwrap();
}

/// How long a test waits for the bridge's next frame before calling it hung. Generous: the load
/// tests run a thousand sessions at once on two cores in a debug build, and a wait is no timing
/// assertion (`cargo xtask bench` measures latency).
pub(crate) const PATIENCE: Duration = Duration::from_secs(60);

/// The next control message (skipping SMTP bytes).
pub(crate) async fn control(ws: &mut Ws) -> ToPage {
    loop {
        match tokio::time::timeout(PATIENCE, ws.next()).await.expect("the bridge answers") {
            Some(Ok(Message::Text(text))) => return serde_json::from_str(&text).unwrap(),
            Some(Ok(_)) => {}
            other => panic!("the websocket ended: {other:?}"),
        }
    }
}

/// SMTP bytes until a reply whose last line starts with `code ` arrives (a `tls` report may come
/// in between).
pub(crate) async fn reply(ws: &mut Ws, code: &str) -> String {
    let mut text = String::new();
    loop {
        match tokio::time::timeout(PATIENCE, ws.next()).await.expect("a reply") {
            Some(Ok(Message::Binary(bytes))) => {
                text.push_str(&String::from_utf8_lossy(&bytes));
                if text.lines().any(|l| l.starts_with(&format!("{code} "))) {
                    return text;
                }
            }
            Some(Ok(Message::Text(control))) if !control.contains("\"tls\"") => panic!("expected {code}, got control {control} after {text:?}"),
            Some(Ok(_)) => {}
            other => panic!("expected {code}, the websocket ended: {other:?} after {text:?}"),
        }
    }
}

/// Sends one line with its CRLF.
pub(crate) async fn say(ws: &mut Ws, line: &str) {
    ws.send(Message::Binary(format!("{line}\r\n").into_bytes().into())).await.unwrap();
}

/// The venv python with aiosmtpd: SMTP_TEST_PYTHON (set by `cargo xtask test`), or one made
/// here from PyPI.
pub(crate) fn python() -> PathBuf {
    if let Some(python) = std::env::var_os("SMTP_TEST_PYTHON") {
        return python.into();
    }
    let target = std::env::var_os("CARGO_TARGET_DIR").map(PathBuf::from).unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target"));
    let venv = target.join("pyenv");
    let python = venv.join("bin/python");
    if !python.exists() {
        assert!(Command::new("python3").args(["-m", "venv"]).arg(&venv).status().unwrap().success(), "python3 -m venv failed");
    }
    let has = Command::new(&python).args(["-c", "import aiosmtpd"]).status().map(|s| s.success()).unwrap_or(false);
    if !has {
        let ok = Command::new(&python).args(["-m", "pip", "install", "--quiet", "aiosmtpd==1.4.6"]).status().unwrap().success();
        assert!(ok, "could not install aiosmtpd from PyPI");
    }
    python
}

// Mock mode: the simulator on a free SMTP port and its API and live feed on a free HTTP port.

use smtp_bridge::mock::access::WriteAccess;
use smtp_bridge::mock::smtp::serve_smtp;
use smtp_bridge::mock::{Mock, Store, StoreLimits, router, self_signed_acceptor};
use smtp_protocol::{ProfileName, ServerConfig};
use std::sync::Arc;

pub(crate) async fn start_mock() -> (SocketAddr, SocketAddr) {
    let mut config = ServerConfig::new(ProfileName::Mock);
    config.policy.max_recipients = 2;
    start_mock_with(config, Store::new(StoreLimits::messages(100), None).unwrap()).await
}

pub(crate) async fn start_mock_with(config: ServerConfig, store: Store) -> (SocketAddr, SocketAddr) {
    start_mock_tls(config, store, self_signed_acceptor().unwrap()).await
}

/// Mock mode with the given STARTTLS certificate.
pub(crate) async fn start_mock_tls(config: ServerConfig, store: Store, tls: tokio_rustls::TlsAcceptor) -> (SocketAddr, SocketAddr) {
    start_mock_guarded(config, store, tls, WriteAccess::Open).await
}

/// Mock mode whose writes are guarded as `access` says (`--token`, `--admin-token`, `--public`).
pub(crate) async fn start_mock_guarded(config: ServerConfig, store: Store, tls: tokio_rustls::TlsAcceptor, access: WriteAccess) -> (SocketAddr, SocketAddr) {
    let smtp = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let smtp_address = smtp.local_addr().unwrap();
    let mock = Arc::new(Mock::new(config, store, Some(tls)).with_smtp_address(smtp_address.to_string()).with_access(access));
    tokio::spawn(serve_smtp(smtp, mock.clone()));
    let http = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let http_address = http.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(http, router(mock, vec![])).await.unwrap() });
    (smtp_address, http_address)
}

pub(crate) async fn get(http: SocketAddr, path: &str) -> (u16, String) {
    request(http, "GET", path).await
}

/// A minimal HTTP/1.1 client (the tests need no HTTP client crate for three requests).
pub(crate) async fn request(http: SocketAddr, method: &str, path: &str) -> (u16, String) {
    request_with_body(http, method, path, "").await
}

/// [`request`] with a JSON body.
pub(crate) async fn request_with_body(http: SocketAddr, method: &str, path: &str, body: &str) -> (u16, String) {
    request_as(http, method, path, body, None).await
}

/// [`request_with_body`] presenting `token` as `Authorization: Bearer`.
pub(crate) async fn request_as(http: SocketAddr, method: &str, path: &str, body: &str, token: Option<&str>) -> (u16, String) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut tcp = tokio::net::TcpStream::connect(http).await.unwrap();
    let authorization = token.map(|t| format!("Authorization: Bearer {t}\r\n")).unwrap_or_default();
    let head = format!("{method} {path} HTTP/1.1\r\nHost: test\r\nConnection: close\r\n{authorization}Content-Type: application/json\r\nContent-Length: {}\r\n\r\n", body.len());
    tcp.write_all(format!("{head}{body}").as_bytes()).await.unwrap();
    let mut response = Vec::new();
    tcp.read_to_end(&mut response).await.unwrap();
    let text = String::from_utf8_lossy(&response).to_string();
    let status = text[9..12].parse().unwrap();
    let body = text.split_once("\r\n\r\n").map(|(_, b)| b.to_string()).unwrap_or_default();
    (status, body)
}

/// `smtp-bridge mock` as a user runs it (the binary, with a stand-in page), on free loopback
/// ports; `args` follow `mock --smtp ADDRESS`. Its stderr goes to a file, read by `stderr`.
/// Stopped when dropped.
pub(crate) struct MockBinary {
    child: std::process::Child,
    pub smtp: SocketAddr,
    pub http: SocketAddr,
    dir: PathBuf,
}

impl MockBinary {
    pub(crate) fn start<S: AsRef<std::ffi::OsStr>>(args: impl IntoIterator<Item = S>) -> Self {
        let args: Vec<std::ffi::OsString> = args.into_iter().map(|a| a.as_ref().to_owned()).collect();
        // Ports chosen free can be taken before the binary binds them (tests run in parallel):
        // then it exits at once, and it is started again on others.
        let mut last = String::new();
        for _ in 0..3 {
            let free = || std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap();
            let (smtp, http) = (free(), free());
            let dir = std::env::temp_dir().join(format!("smtp-bridge-binary-{}-{}", std::process::id(), smtp.port()));
            std::fs::create_dir_all(&dir).unwrap();
            std::fs::write(dir.join("index.html"), "<!doctype html><title>stand-in</title>").unwrap();
            let child = Command::new(env!("CARGO_BIN_EXE_smtp-bridge"))
                .arg("--dir")
                .arg(&dir)
                .args(["--listen", &http.to_string(), "mock", "--smtp", &smtp.to_string()])
                .args(&args)
                .stdout(std::process::Stdio::null())
                .stderr(std::fs::File::create(dir.join("stderr")).unwrap())
                .spawn()
                .unwrap();
            let mut mock = MockBinary { child, smtp, http, dir };
            let deadline = std::time::Instant::now() + Duration::from_secs(30);
            loop {
                if std::net::TcpStream::connect(smtp).is_ok() && std::net::TcpStream::connect(http).is_ok() {
                    return mock;
                }
                if mock.child.try_wait().is_ok_and(|status| status.is_some()) || std::time::Instant::now() > deadline {
                    last = mock.stderr();
                    break;
                }
                std::thread::sleep(Duration::from_millis(50));
            }
        }
        panic!("smtp-bridge mock did not start: {last}");
    }

    /// What it wrote to stderr so far.
    pub(crate) fn stderr(&self) -> String {
        std::fs::read_to_string(self.dir.join("stderr")).unwrap_or_default()
    }
}

impl Drop for MockBinary {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}
