//! The bridge relaying a WebSocket session to an SMTP server on loopback: plain, STARTTLS and
//! TLS from the first byte (rustls on both ends, a certificate made by rcgen at test time), and
//! each refusal: allow-list, private address, bad Origin, idle timeout, server hanging up,
//! oversize frame. The SMTP server is smtp-protocol's simulator served over real TCP.

mod common;

use common::{bridge, connect, control, open, reply, say};
use futures_util::{SinkExt, StreamExt};
use smtp_bridge::BridgeConfig;
use smtp_bridge::target::Allowed;
use smtp_bridge::wire::{ErrorKind, ToPage};
use smtp_protocol::server::Step;
use smtp_protocol::{Peer, ProfileName, Server, ServerConfig, StoredMessage, Timestamp};
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::TcpListener;
use tokio_tungstenite::tungstenite::Message;

struct Lab {
    cert: rustls::pki_types::CertificateDer<'static>,
    acceptor: tokio_rustls::TlsAcceptor,
}

fn lab_certificate() -> Lab {
    let made = rcgen::generate_simple_self_signed(vec!["localhost".to_string()]).unwrap();
    let cert = made.cert.der().clone();
    let key = rustls::pki_types::PrivateKeyDer::Pkcs8(made.signing_key.serialize_der().into());
    let config = rustls::ServerConfig::builder_with_provider(Arc::new(rustls::crypto::ring::default_provider()))
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(vec![cert.clone()], key)
        .unwrap();
    Lab { cert, acceptor: tokio_rustls::TlsAcceptor::from(Arc::new(config)) }
}

fn now() -> Timestamp {
    Timestamp(std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_millis() as u64)
}

/// Runs one simulated SMTP session over `stream`; returns the stream if STARTTLS was accepted.
async fn converse<S: AsyncRead + AsyncWrite + Unpin>(server: &mut Server, stream: &mut S) -> bool {
    let mut buf = [0u8; 4096];
    loop {
        if let Some(out) = server.poll_transmit()
            && stream.write_all(&out).await.is_err()
        {
            return false;
        }
        while server.poll_event().is_some() {}
        match server.next_step() {
            Step::Close => return false,
            Step::TlsHandshake => return true,
            Step::Read => {}
        }
        match stream.read(&mut buf).await {
            Ok(0) | Err(_) => return false,
            Ok(n) => server.handle_input(&buf[..n], now()),
        }
    }
}

/// A simulated SMTP server on loopback. `implicit_tls`: TLS from the first byte (port 465 style).
async fn smtp_server(lab: Option<tokio_rustls::TlsAcceptor>, implicit_tls: bool, profile: ProfileName) -> (SocketAddr, Arc<Mutex<Vec<StoredMessage>>>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    let store = Arc::new(Mutex::new(Vec::new()));
    let kept = store.clone();
    tokio::spawn(async move {
        loop {
            let Ok((mut tcp, peer)) = listener.accept().await else { return };
            let acceptor = lab.clone();
            let store = kept.clone();
            tokio::spawn(async move {
                let mut config = ServerConfig::new(profile);
                config.policy.starttls = acceptor.is_some();
                let mut server = Server::new(config, Peer { ip: peer.ip().to_string() }, now());
                let upgrade = if implicit_tls { true } else { converse(&mut server, &mut tcp).await };
                if let (true, Some(acceptor)) = (upgrade, acceptor) {
                    if implicit_tls {
                        // The greeting goes out inside TLS: discard the one queued in clear.
                        let _ = server.poll_transmit();
                    }
                    if let Ok(mut tls) = acceptor.accept(tcp).await {
                        server.handle_tls_established(now(), "TLSv1.3", "", false);
                        if implicit_tls {
                            server.reconnect(now());
                        }
                        converse(&mut server, &mut tls).await;
                    }
                }
                store.lock().unwrap().extend(server.take_messages());
            });
        }
    });
    (address, store)
}

fn allowing(port: u16) -> impl FnOnce(&mut BridgeConfig) {
    move |c| {
        c.allow = vec![format!("localhost:{port}").parse::<Allowed>().unwrap()];
        c.allow_private = true;
    }
}

#[tokio::test]
async fn a_plain_session_delivers_the_exact_bytes() {
    let (smtp, store) = smtp_server(None, false, ProfileName::Mock).await;
    let bridge = bridge(allowing(smtp.port())).await;
    let mut ws = open(bridge, Some(&format!("http://{bridge}"))).await.unwrap();
    connect(&mut ws, "localhost", smtp.port(), "plain").await;
    assert!(matches!(control(&mut ws).await, ToPage::Connected { ref resolved_from, .. } if resolved_from == "localhost"));
    assert!(reply(&mut ws, "220").await.contains("mock.playground.test"));
    say(&mut ws, "EHLO relay.example").await;
    assert!(reply(&mut ws, "250").await.contains("PIPELINING"));
    say(&mut ws, "AUTH LOGIN").await;
    reply(&mut ws, "334").await;
    say(&mut ws, "c3R1ZGVudA==").await;
    reply(&mut ws, "334").await;
    say(&mut ws, "c2VjcmV0").await;
    reply(&mut ws, "235").await;
    say(&mut ws, "MAIL FROM:<a@relay.example>").await;
    reply(&mut ws, "250").await;
    say(&mut ws, "RCPT TO:<b@elsewhere.example>").await;
    reply(&mut ws, "250").await;
    say(&mut ws, "DATA").await;
    reply(&mut ws, "354").await;
    ws.send(Message::Binary(b"Subject: relayed\r\n\r\n..dot\r\nbody\r\n.\r\n".to_vec().into())).await.unwrap();
    reply(&mut ws, "250").await;
    say(&mut ws, "QUIT").await;
    reply(&mut ws, "221").await;
    assert!(matches!(control(&mut ws).await, ToPage::Closed { .. }));
    tokio::time::sleep(Duration::from_millis(100)).await;
    let messages = store.lock().unwrap();
    assert_eq!(messages.len(), 1);
    assert!(messages[0].raw.ends_with(b"Subject: relayed\r\n\r\n.dot\r\nbody\r\n"), "{:?}", String::from_utf8_lossy(&messages[0].raw));
    assert_eq!(messages[0].authenticated_as.as_deref(), Some("student"));
}

#[tokio::test]
async fn starttls_is_upgraded_by_the_bridge_and_verified() {
    let lab = lab_certificate();
    let root = lab.cert.clone();
    let (smtp, _) = smtp_server(Some(lab.acceptor), false, ProfileName::Postfix).await;
    let bridge = bridge(move |c| {
        allowing(smtp.port())(c);
        c.extra_roots = vec![root];
    })
    .await;
    let mut ws = open(bridge, None).await.unwrap();
    connect(&mut ws, "localhost", smtp.port(), "starttls").await;
    control(&mut ws).await;
    reply(&mut ws, "220").await;
    say(&mut ws, "EHLO relay.example").await;
    assert!(reply(&mut ws, "250").await.contains("STARTTLS"));
    say(&mut ws, "STARTTLS").await;
    reply(&mut ws, "220").await;
    match control(&mut ws).await {
        ToPage::Tls { verified, protocol, subject, .. } => {
            assert!(verified, "the lab root was given");
            assert_eq!(protocol, "TLSv1.3");
            assert!(subject.contains("rcgen"), "the certificate subject is reported: {subject}");
        }
        other => panic!("expected tls, got {other:?}"),
    }
    say(&mut ws, "EHLO relay.example").await;
    let inside = reply(&mut ws, "250").await;
    assert!(!inside.contains("STARTTLS"), "STARTTLS is no longer offered inside TLS: {inside}");
}

#[tokio::test]
async fn tls_from_the_first_byte_and_lab_certificates() {
    let lab = lab_certificate();
    let (smtp, _) = smtp_server(Some(lab.acceptor), true, ProfileName::Mock).await;
    // Without the lab root, verification fails: refused, with the reason.
    let strict = bridge(allowing(smtp.port())).await;
    let mut ws = open(strict, None).await.unwrap();
    connect(&mut ws, "localhost", smtp.port(), "tls").await;
    control(&mut ws).await;
    match control(&mut ws).await {
        ToPage::Error { kind: ErrorKind::Tls, message } => assert!(message.contains("certificate"), "{message}"),
        other => panic!("expected a TLS error, got {other:?}"),
    }
    // --insecure-lab accepts it and says it was not verified.
    let lenient = bridge(move |c| {
        allowing(smtp.port())(c);
        c.insecure_lab = true;
    })
    .await;
    let mut ws = open(lenient, None).await.unwrap();
    connect(&mut ws, "localhost", smtp.port(), "tls").await;
    control(&mut ws).await;
    match control(&mut ws).await {
        ToPage::Tls { verified: false, problem: Some(problem), .. } => assert!(!problem.is_empty()),
        other => panic!("expected an unverified TLS report, got {other:?}"),
    }
    assert!(reply(&mut ws, "220").await.contains("mock.playground.test"));
}

#[tokio::test]
async fn targets_off_the_allow_list_are_refused() {
    let (smtp, _) = smtp_server(None, false, ProfileName::Mock).await;
    let bridge = bridge(|_| {}).await;
    let mut ws = open(bridge, None).await.unwrap();
    connect(&mut ws, "localhost", smtp.port(), "plain").await;
    match control(&mut ws).await {
        ToPage::Error { kind: ErrorKind::NotAllowed, message } => assert!(message.contains(&format!("--allow localhost:{}", smtp.port())), "{message}"),
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn private_addresses_are_refused_without_allow_private() {
    let (smtp, _) = smtp_server(None, false, ProfileName::Mock).await;
    let bridge = bridge(move |c| c.allow = vec![format!("localhost:{}", smtp.port()).parse().unwrap()]).await;
    let mut ws = open(bridge, None).await.unwrap();
    connect(&mut ws, "localhost", smtp.port(), "plain").await;
    match control(&mut ws).await {
        ToPage::Error { kind: ErrorKind::PrivateAddress, message } => assert!(message.contains("--allow-private"), "{message}"),
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn a_foreign_origin_is_refused() {
    let bridge = bridge(|_| {}).await;
    match open(bridge, Some("http://evil.example")).await {
        Err(tokio_tungstenite::tungstenite::Error::Http(response)) => assert_eq!(response.status(), 403),
        other => panic!("expected 403, got {:?}", other.map(|_| ())),
    }
    assert!(open(bridge, Some(&format!("http://{bridge}"))).await.is_ok(), "its own origin is fine");
}

#[tokio::test]
async fn an_idle_session_is_closed_by_the_bridge() {
    let (smtp, _) = smtp_server(None, false, ProfileName::Mock).await;
    let bridge = bridge(move |c| {
        allowing(smtp.port())(c);
        c.idle_timeout = Duration::from_millis(500);
    })
    .await;
    let mut ws = open(bridge, None).await.unwrap();
    connect(&mut ws, "localhost", smtp.port(), "plain").await;
    control(&mut ws).await;
    reply(&mut ws, "220").await;
    match control(&mut ws).await {
        ToPage::Closed { by: smtp_protocol::event::Closer::Bridge, reason } => assert!(reason.contains("idle"), "{reason}"),
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn the_server_hanging_up_is_reported() {
    let (smtp, _) = smtp_server(None, false, ProfileName::Postfix).await;
    let bridge = bridge(allowing(smtp.port())).await;
    let mut ws = open(bridge, None).await.unwrap();
    connect(&mut ws, "localhost", smtp.port(), "plain").await;
    control(&mut ws).await;
    reply(&mut ws, "220").await;
    // 21 errors: the server says 421 and closes mid-session.
    ws.send(Message::Binary(b"FOO\r\n".repeat(21).into())).await.unwrap();
    reply(&mut ws, "421").await;
    match control(&mut ws).await {
        ToPage::Closed { by: smtp_protocol::event::Closer::Server, .. } => {}
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn an_oversize_frame_ends_the_session() {
    let (smtp, _) = smtp_server(None, false, ProfileName::Mock).await;
    let bridge = bridge(move |c| {
        allowing(smtp.port())(c);
        c.max_frame = 1024;
    })
    .await;
    let mut ws = open(bridge, None).await.unwrap();
    connect(&mut ws, "localhost", smtp.port(), "plain").await;
    control(&mut ws).await;
    reply(&mut ws, "220").await;
    let _ = ws.send(Message::Binary(vec![b'x'; 4096].into())).await;
    // The bridge drops the session: no SMTP reply to the oversize frame arrives.
    let ended = tokio::time::timeout(Duration::from_secs(5), async {
        loop {
            match ws.next().await {
                Some(Ok(Message::Binary(bytes))) => panic!("the oversize frame reached the server: {:?}", String::from_utf8_lossy(&bytes)),
                Some(Ok(Message::Text(text))) => return Some(text.to_string()),
                Some(Ok(_)) => {}
                _ => return None,
            }
        }
    })
    .await
    .expect("the session ends");
    if let Some(text) = ended {
        assert!(text.contains("limit"), "{text}");
    }
}
