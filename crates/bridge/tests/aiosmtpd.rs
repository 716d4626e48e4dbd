//! The bridge against real SMTP software: aiosmtpd from PyPI, with AUTH, and with STARTTLS or TLS
//! from the first byte, using a certificate rcgen makes for the test. aiosmtpd reports the bytes it
//! received; they must be exactly what the page sent (dot-unstuffed).
//!
//! aiosmtpd comes from the venv `cargo xtask test` prepares (SMTP_TEST_PYTHON); run alone, the
//! test makes that venv itself from PyPI.

mod common;

use common::{Ws, connect, control, open, python, reply};
use futures_util::SinkExt;
use smtp_bridge::wire::ToPage;
use std::io::BufRead;
use std::path::{Path, PathBuf};

use std::process::{Child, Command, Stdio};
use std::time::Duration;
use tokio_tungstenite::tungstenite::Message;

struct Aiosmtpd {
    child: Child,
    port: u16,
    lines: std::sync::mpsc::Receiver<String>,
    dir: PathBuf,
}

impl Drop for Aiosmtpd {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        // The certificate and key it was given: nothing of a test run stays behind in /tmp.
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// Starts aiosmtpd in `mode` ("starttls" or "smtps"); returns it and the certificate to trust.
fn aiosmtpd(mode: &str) -> (Aiosmtpd, rustls::pki_types::CertificateDer<'static>) {
    let made = rcgen::generate_simple_self_signed(vec!["localhost".to_string(), "127.0.0.1".to_string()]).unwrap();
    let dir = std::env::temp_dir().join(format!("smtp-bridge-aiosmtpd-{}-{mode}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("cert.pem"), made.cert.pem()).unwrap();
    std::fs::write(dir.join("key.pem"), made.signing_key.serialize_pem()).unwrap();
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/aiosmtpd_lab.py");
    let mut child = Command::new(python())
        .arg(script)
        .args([mode, &port.to_string()])
        .arg(dir.join("cert.pem"))
        .arg(dir.join("key.pem"))
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("python starts");
    let stdout = child.stdout.take().unwrap();
    let (send, lines) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in std::io::BufReader::new(stdout).lines().map_while(Result::ok) {
            let _ = send.send(line);
        }
    });
    let ready = lines.recv_timeout(Duration::from_secs(30)).expect("aiosmtpd prints READY");
    assert_eq!(ready, "READY");
    (Aiosmtpd { child, port, lines, dir }, made.cert.der().clone())
}

async fn bridge(port: u16, root: rustls::pki_types::CertificateDer<'static>) -> std::net::SocketAddr {
    common::bridge(move |config| {
        config.allow = vec![format!("localhost:{port}").parse().unwrap()];
        config.allow_private = true;
        config.extra_roots = vec![root];
    })
    .await
}

async fn session(bridge: std::net::SocketAddr, port: u16, security: &str) -> Ws {
    let mut ws = open(bridge, None).await.unwrap();
    connect(&mut ws, "localhost", port, security).await;
    ws
}

async fn say(ws: &mut Ws, bytes: &str) {
    ws.send(Message::Binary(bytes.as_bytes().to_vec().into())).await.unwrap();
}

#[tokio::test]
async fn starttls_auth_login_and_a_message_received_exactly() {
    let (server, root) = aiosmtpd("starttls");
    let bridge = bridge(server.port, root).await;
    let mut ws = session(bridge, server.port, "starttls").await;
    assert!(matches!(control(&mut ws).await, ToPage::Connected { .. }));
    reply(&mut ws, "220").await;
    say(&mut ws, "EHLO relay.example\r\n").await;
    assert!(reply(&mut ws, "250").await.contains("STARTTLS"));
    say(&mut ws, "STARTTLS\r\n").await;
    reply(&mut ws, "220").await;
    match control(&mut ws).await {
        ToPage::Tls { verified, .. } => assert!(verified),
        other => panic!("expected tls: {other:?}"),
    }
    say(&mut ws, "EHLO relay.example\r\n").await;
    assert!(reply(&mut ws, "250").await.contains("AUTH"));
    say(&mut ws, "AUTH LOGIN\r\n").await;
    reply(&mut ws, "334").await;
    say(&mut ws, "c3R1ZGVudA==\r\n").await;
    reply(&mut ws, "334").await;
    say(&mut ws, "c2VjcmV0\r\n").await;
    reply(&mut ws, "235").await;
    say(&mut ws, "MAIL FROM:<a@relay.example>\r\n").await;
    reply(&mut ws, "250").await;
    say(&mut ws, "RCPT TO:<b@example.org>\r\n").await;
    reply(&mut ws, "250").await;
    say(&mut ws, "DATA\r\n").await;
    reply(&mut ws, "354").await;
    say(&mut ws, "Subject: exact\r\n\r\n..leading dot\r\nlast line\r\n.\r\n").await;
    reply(&mut ws, "250").await;
    let record: serde_json::Value = serde_json::from_str(&server.lines.recv_timeout(Duration::from_secs(10)).unwrap()).unwrap();
    assert_eq!(record["from"], "a@relay.example");
    assert_eq!(record["to"], serde_json::json!(["b@example.org"]));
    assert_eq!(record["data"], "Subject: exact\r\n\r\n.leading dot\r\nlast line\r\n");
    say(&mut ws, "QUIT\r\n").await;
    reply(&mut ws, "221").await;
}

#[tokio::test]
async fn tls_from_the_first_byte_like_port_465() {
    let (server, root) = aiosmtpd("smtps");
    let bridge = bridge(server.port, root).await;
    let mut ws = session(bridge, server.port, "tls").await;
    assert!(matches!(control(&mut ws).await, ToPage::Connected { .. }));
    match control(&mut ws).await {
        ToPage::Tls { verified, protocol, .. } => {
            assert!(verified);
            assert!(protocol.starts_with("TLSv1."), "{protocol}");
        }
        other => panic!("expected tls first: {other:?}"),
    }
    reply(&mut ws, "220").await;
    say(&mut ws, "EHLO relay.example\r\n").await;
    reply(&mut ws, "250").await;
    say(&mut ws, "QUIT\r\n").await;
    reply(&mut ws, "221").await;
}
