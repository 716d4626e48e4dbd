//! Tried as an attacker would: loopback in disguise and allow-list tricks (every target here is a
//! loopback form or a name under `.invalid`, which never resolves; a canary listener counts any
//! connection that gets through), the token, the session caps, malformed frames, commands
//! smuggled after STARTTLS in mock mode, AUTH in clear text where TLS is required, and the mock
//! API's oversize and malformed bodies.

mod common;

use common::{bridge, connect, control, get, open, request_with_body, start_mock_tls};
use futures_util::{SinkExt, StreamExt};
use smtp_bridge::mock::{Store, StoreLimits};
use smtp_bridge::target::{Allowed, valid_host};
use smtp_bridge::wire::{ErrorKind, ToPage};
use smtp_protocol::{ProfileName, ServerConfig};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio_tungstenite::tungstenite::Message;

/// A listener on loopback that counts who reaches it.
async fn canary() -> (u16, Arc<AtomicUsize>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let hits = Arc::new(AtomicUsize::new(0));
    let counted = hits.clone();
    tokio::spawn(async move {
        // Kept open: a session through it lasts until the test ends.
        let mut kept = Vec::new();
        while let Ok((tcp, _)) = listener.accept().await {
            counted.fetch_add(1, Ordering::SeqCst);
            kept.push(tcp);
        }
    });
    (port, hits)
}

/// What the bridge answers a connect request to `host:port`.
async fn attempt(bridge: std::net::SocketAddr, host: &str, port: u16) -> ToPage {
    let mut ws = open(bridge, None).await.unwrap();
    connect(&mut ws, host, port, "plain").await;
    control(&mut ws).await
}

const DISGUISED_LOOPBACK: [&str; 14] = [
    "127.0.0.1",
    "127.1",
    "2130706433",
    "0x7f000001",
    "0x7f.0.0.1",
    "0177.0.0.1",
    "017700000001",
    "127.000.000.001",
    "::1",
    "::ffff:127.0.0.1",
    "::ffff:7f00:1",
    "localhost",
    "LOCALHOST.",
    "0.0.0.0",
];

#[tokio::test]
async fn loopback_in_any_disguise_is_refused_without_allow_private() {
    let (port, hits) = canary().await;
    // Every form is on the allow-list: only the address check stands between it and the canary.
    let allow: Vec<Allowed> = DISGUISED_LOOPBACK.iter().map(|h| format!("{}:{port}", h.trim_end_matches('.')).parse().unwrap()).collect();
    let bridge = bridge(move |c| c.allow = allow).await;
    for host in DISGUISED_LOOPBACK {
        match attempt(bridge, host, port).await {
            ToPage::Error { kind: ErrorKind::PrivateAddress | ErrorKind::Dns | ErrorKind::NotAllowed, .. } => {}
            other => panic!("{host}: {other:?}"),
        }
    }
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert_eq!(hits.load(Ordering::SeqCst), 0, "nothing reached the loopback listener");
}

#[test]
fn allow_list_patterns_match_names_not_tricks() {
    let allow: Vec<Allowed> = ["mx.example.invalid:25", "*.lab.invalid:587"].iter().map(|a| a.parse().unwrap()).collect();
    let permits = |host: &str, port| allow.iter().any(|a| a.permits(host, port));
    assert!(permits("mx.example.invalid", 25));
    assert!(permits("MX.Example.INVALID.", 25), "letter case and a trailing dot are the same name");
    assert!(permits("smtp.lab.invalid", 587));
    for (host, port) in [
        ("mx.example.invalid", 26),
        ("mx.example.invalid.evil.invalid", 25),
        ("evilmx.example.invalid", 25),
        ("mx.example.invalid@evil.invalid", 25),
        ("lab.invalid", 587),
        ("evil-lab.invalid", 587),
        ("x.lab.invalid.evil.invalid", 587),
        ("smtp.lab.invalid", 25),
        ("127.0.0.1", 25),
    ] {
        assert!(!permits(host, port), "{host}:{port} must not match");
    }
    for host in ["mx.example.invalid\0.lab.invalid", "a b.lab.invalid", "x/.lab.invalid", "user@mx.example.invalid", "", &"a".repeat(300)] {
        assert!(!valid_host(host), "{host:?} is no host name");
    }
    for host in ["mx.example.invalid", "192.0.2.1", "::1", "[2001:db8::1]"] {
        assert!(valid_host(host), "{host}");
    }
}

#[tokio::test]
async fn a_host_with_odd_characters_is_refused_before_any_lookup() {
    let bridge = bridge(|c| c.allow = vec!["*.lab.invalid:25".parse().unwrap()]).await;
    for host in ["evil\0.lab.invalid", "a b.lab.invalid", "x/y.lab.invalid"] {
        match attempt(bridge, host, 25).await {
            ToPage::Error { kind: ErrorKind::NotAllowed, message } => assert!(message.contains("not a host name"), "{message}"),
            other => panic!("{host:?}: {other:?}"),
        }
    }
}

#[tokio::test]
async fn the_token_is_required_when_set() {
    let (port, hits) = canary().await;
    let bridge = bridge(move |c| {
        c.allow = vec![format!("localhost:{port}").parse().unwrap()];
        c.token = Some("sekrit".into());
    })
    .await;
    for token in [None, Some("wrong")] {
        let mut ws = open(bridge, None).await.unwrap();
        let request = serde_json::json!({"type": "connect", "v": 1, "host": "localhost", "port": port, "security": "plain", "token": token});
        ws.send(Message::Text(request.to_string().into())).await.unwrap();
        assert!(matches!(control(&mut ws).await, ToPage::Error { kind: ErrorKind::Token, .. }), "{token:?}");
    }
    assert_eq!(hits.load(Ordering::SeqCst), 0);
}

#[tokio::test]
async fn sessions_past_the_per_client_cap_are_refused() {
    let (port, _) = canary().await;
    let bridge = bridge(move |c| {
        c.allow = vec![format!("localhost:{port}").parse().unwrap()];
        c.allow_private = true;
        c.max_sessions_per_client = 2;
    })
    .await;
    let mut held = Vec::new();
    for _ in 0..2 {
        let mut ws = open(bridge, None).await.unwrap();
        connect(&mut ws, "localhost", port, "plain").await;
        assert!(matches!(control(&mut ws).await, ToPage::Connected { .. }));
        held.push(ws);
    }
    let refused = match open(bridge, None).await {
        Err(tokio_tungstenite::tungstenite::Error::Http(response)) => response.status().as_u16() == 429 || response.status().as_u16() == 503,
        Ok(mut ws) => {
            connect(&mut ws, "localhost", port, "plain").await;
            matches!(control(&mut ws).await, ToPage::Error { kind: ErrorKind::Limit, .. })
        }
        Err(other) => panic!("{other}"),
    };
    assert!(refused, "a third session from the same client is refused");
}

#[tokio::test]
async fn malformed_frames_are_refused_with_a_protocol_error() {
    let bridge = bridge(|_| {}).await;
    for frame in [
        Message::Text("not json".into()),
        Message::Text(r#"{"type":"connect"}"#.into()),
        Message::Text(r#"{"type":"connect","v":99,"host":"x","port":25,"security":"plain"}"#.into()),
        Message::Binary(b"MAIL FROM:<a@b>\r\n".to_vec().into()),
    ] {
        let mut ws = open(bridge, None).await.unwrap();
        ws.send(frame.clone()).await.unwrap();
        match tokio::time::timeout(Duration::from_secs(5), ws.next()).await.expect("an answer") {
            Some(Ok(Message::Text(text))) => {
                let answer: ToPage = serde_json::from_str(&text).unwrap();
                assert!(matches!(answer, ToPage::Error { kind: ErrorKind::Protocol, .. }), "{frame:?}: {answer:?}");
            }
            other => panic!("{frame:?}: {other:?}"),
        }
    }
}

/// A mock server with a lab certificate, and a client connector that trusts it.
async fn tls_mock(config: ServerConfig) -> (std::net::SocketAddr, std::net::SocketAddr, tokio_rustls::TlsConnector) {
    let made = rcgen::generate_simple_self_signed(vec!["localhost".to_string()]).unwrap();
    let cert = made.cert.der().clone();
    let key = rustls::pki_types::PrivateKeyDer::Pkcs8(made.signing_key.serialize_der().into());
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let server = rustls::ServerConfig::builder_with_provider(provider.clone())
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(vec![cert.clone()], key)
        .unwrap();
    let mut roots = rustls::RootCertStore::empty();
    roots.add(cert).unwrap();
    let client = rustls::ClientConfig::builder_with_provider(provider).with_safe_default_protocol_versions().unwrap().with_root_certificates(roots).with_no_client_auth();
    let (smtp, http) = start_mock_tls(config, Store::new(StoreLimits::messages(10), None).unwrap(), tokio_rustls::TlsAcceptor::from(Arc::new(server))).await;
    (smtp, http, tokio_rustls::TlsConnector::from(Arc::new(client)))
}

async fn read_until<S: tokio::io::AsyncRead + Unpin>(stream: &mut S, code: &str) -> String {
    let mut text = String::new();
    let mut buf = [0u8; 4096];
    while !text.lines().any(|l| l.starts_with(&format!("{code} "))) {
        let n = tokio::time::timeout(Duration::from_secs(5), stream.read(&mut buf)).await.expect("a reply").unwrap();
        assert!(n > 0, "closed while waiting for {code}: {text}");
        text.push_str(&String::from_utf8_lossy(&buf[..n]));
    }
    text
}

#[tokio::test]
async fn commands_smuggled_after_starttls_are_discarded_in_mock_mode() {
    let (smtp, http, connector) = tls_mock(ServerConfig::new(ProfileName::Mock)).await;
    let mut tcp = tokio::net::TcpStream::connect(smtp).await.unwrap();
    read_until(&mut tcp, "220").await;
    tcp.write_all(b"EHLO inject.example\r\n").await.unwrap();
    read_until(&mut tcp, "250").await;
    // STARTTLS with a command after it in the same write: a man in the middle's injection.
    tcp.write_all(b"STARTTLS\r\nMAIL FROM:<injected@evil.example>\r\n").await.unwrap();
    let ready = read_until(&mut tcp, "220").await;
    assert!(!ready.contains("250"), "nothing answered the smuggled command: {ready}");
    let mut tls = connector.connect(rustls::pki_types::ServerName::try_from("localhost").unwrap(), tcp).await.unwrap();
    tls.write_all(b"EHLO inject.example\r\n").await.unwrap();
    read_until(&mut tls, "250").await;
    tls.write_all(b"RCPT TO:<a@b.example>\r\n").await.unwrap();
    let answer = read_until(&mut tls, "503").await;
    assert!(answer.starts_with("503"), "no sender inside TLS: the injected MAIL was dropped: {answer}");
    tls.write_all(b"QUIT\r\n").await.unwrap();
    read_until(&mut tls, "221").await;
    tokio::time::sleep(Duration::from_millis(100)).await;
    let (_, sessions) = get(http, "/api/v1/sessions").await;
    assert!(!sessions.contains("injected@evil.example") || sessions.contains("\"tls\""), "{sessions}");
}

#[tokio::test]
async fn auth_in_clear_text_is_refused_where_tls_is_required() {
    let mut config = ServerConfig::new(ProfileName::Mock);
    config.policy.auth_enabled = true;
    config.policy.tls_required_for_auth = true;
    let (smtp, _, connector) = tls_mock(config).await;
    let mut tcp = tokio::net::TcpStream::connect(smtp).await.unwrap();
    read_until(&mut tcp, "220").await;
    tcp.write_all(b"EHLO clear.example\r\n").await.unwrap();
    let offered = read_until(&mut tcp, "250").await;
    assert!(!offered.contains("AUTH"), "AUTH is not even offered in clear: {offered}");
    tcp.write_all(b"AUTH PLAIN AHN0dWRlbnQAc2VjcmV0\r\n").await.unwrap();
    let mut buf = [0u8; 512];
    let n = tcp.read(&mut buf).await.unwrap();
    let answer = String::from_utf8_lossy(&buf[..n]).to_string();
    assert!(answer.starts_with("538") || answer.starts_with("530") || answer.starts_with("503") || answer.starts_with("502"), "refused in clear: {answer}");
    assert!(!answer.starts_with("235"));
    // Inside TLS the same credentials work.
    tcp.write_all(b"STARTTLS\r\n").await.unwrap();
    read_until(&mut tcp, "220").await;
    let mut tls = connector.connect(rustls::pki_types::ServerName::try_from("localhost").unwrap(), tcp).await.unwrap();
    tls.write_all(b"EHLO clear.example\r\nAUTH PLAIN AHN0dWRlbnQAc2VjcmV0\r\n").await.unwrap();
    read_until(&mut tls, "235").await;
}

#[tokio::test]
async fn the_mock_api_refuses_oversize_and_malformed_bodies() {
    let (_, http, _) = tls_mock(ServerConfig::new(ProfileName::Mock)).await;
    let huge = format!("{{\"policy\":{{\"hostname\":\"{}\"}}}}", "a".repeat(3_000_000));
    let (status, _) = request_with_body(http, "PUT", "/api/v1/config", &huge).await;
    assert_eq!(status, 413, "a body past the limit is refused whole");
    for (path, body) in [
        ("/api/v1/config", "{not json"),
        ("/api/v1/config", "[1,2]"),
        ("/api/v1/config", r#"{"policy":{"max_command_line":"x"}}"#),
        ("/api/v1/faults", r#"{"rule":1}"#),
        ("/api/v1/faults", "[\"\\u0000 => close\"]"),
    ] {
        let (status, answer) = request_with_body(http, "PUT", path, body).await;
        assert_eq!(status, 422, "{path} {body}: {answer}");
        assert!(answer.contains("error"), "{answer}");
    }
    let (_, config) = get(http, "/api/v1/config").await;
    assert!(config.contains("\"hostname\":\"mock.playground.test\""), "nothing changed: {config}");
}
