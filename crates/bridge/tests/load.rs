//! The relay under load and faults: a thousand concurrent page sessions through one bridge to a
//! local SMTP server, each message checksummed; the upstream server dying in the middle of one
//! session's DATA; a page's WebSocket dropped mid-session. `SMTP_STRESS=N` runs N sessions
//! instead of 1,000 (the long version; `cargo xtask bench` reports the figures).

mod common;

use common::{bridge, connect, control, open, reply, say};
use futures_util::SinkExt;
use smtp_bridge::target::Allowed;
use smtp_bridge::wire::ToPage;
use smtp_protocol::server::Step;
use smtp_protocol::{Peer, ProfileName, Server, ServerConfig, StoredMessage, Timestamp};
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio_tungstenite::tungstenite::Message;

fn now() -> Timestamp {
    Timestamp(std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_millis() as u64)
}

fn sessions() -> usize {
    std::env::var("SMTP_STRESS").ok().and_then(|n| n.parse().ok()).unwrap_or(1000)
}

/// FNV-1a, 64 bits: enough to tell an altered body from the one sent.
fn checksum(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325u64, |h, b| (h ^ u64::from(*b)).wrapping_mul(0x100_0000_01b3))
}

/// A body unique to `n`, with its checksum in a header.
fn message(n: usize) -> (String, String) {
    let body: String = (0..20).map(|line| format!("session {n} line {line} {}\r\n", "x".repeat((n * 7 + line) % 60))).collect();
    let content = format!("Subject: load {n}\r\nX-Checksum: {:016x}\r\n\r\n{body}", checksum(body.as_bytes()));
    (content, body)
}

/// Checks every stored message against its checksum; returns the session numbers seen.
fn verify(messages: &[StoredMessage]) -> Vec<usize> {
    let mut seen = Vec::new();
    for m in messages {
        let text = String::from_utf8_lossy(&m.raw);
        let n: usize = text.split("Subject: load ").nth(1).and_then(|r| r.split("\r\n").next()).and_then(|n| n.parse().ok()).expect("a load message");
        let sum = text.split("X-Checksum: ").nth(1).and_then(|r| r.get(..16)).expect("a checksum");
        let body = text.split_once("\r\n\r\n").map(|(_, b)| b).expect("a body");
        assert_eq!(format!("{:016x}", checksum(body.as_bytes())), sum, "session {n}'s message arrived altered");
        seen.push(n);
    }
    seen.sort_unstable();
    seen
}

/// A simulated SMTP server on loopback keeping what it accepts. A client whose MAIL FROM names
/// `victim` has its connection cut after 100 octets of DATA, as if the server died.
async fn smtp_server() -> (SocketAddr, Arc<Mutex<Vec<StoredMessage>>>, Arc<Mutex<Vec<Instant>>>) {
    // The bridge's own 4,096-long accept queue: with tokio's default (1,024) a thousand connects
    // at once can overflow it while the runtime is busy, and a connection then waits in the
    // handshake's retries (a clean-clone run once waited past 60 s for a greeting).
    let listener = smtp_bridge::listen("127.0.0.1:0".parse().unwrap()).unwrap();
    let address = listener.local_addr().unwrap();
    let store = Arc::new(Mutex::new(Vec::new()));
    let closings = Arc::new(Mutex::new(Vec::new()));
    let (kept, ends) = (store.clone(), closings.clone());
    tokio::spawn(async move {
        loop {
            let Ok((mut tcp, peer)) = listener.accept().await else { return };
            let (store, ends) = (kept.clone(), ends.clone());
            tokio::spawn(async move {
                let mut server = Server::new(ServerConfig::new(ProfileName::Mock), Peer { ip: peer.ip().to_string() }, now());
                let mut buf = [0u8; 4096];
                let mut seen = Vec::new();
                loop {
                    if let Some(out) = server.poll_transmit()
                        && tcp.write_all(&out).await.is_err()
                    {
                        break;
                    }
                    while server.poll_event().is_some() {}
                    if server.next_step() != Step::Read {
                        break;
                    }
                    match tcp.read(&mut buf).await {
                        Ok(0) | Err(_) => {
                            ends.lock().unwrap().push(Instant::now());
                            break;
                        }
                        Ok(n) => {
                            seen.extend_from_slice(&buf[..n]);
                            let victim = seen.windows(6).any(|w| w == b"victim");
                            if victim && seen.len() > 100 + seen.windows(6).position(|w| w == b"DATA\r\n").unwrap_or(usize::MAX - 200) {
                                // Dies mid-DATA: no reply, the connection simply goes.
                                return;
                            }
                            server.handle_input(&buf[..n], now());
                        }
                    }
                }
                store.lock().unwrap().extend(server.take_messages());
            });
        }
    });
    (address, store, closings)
}

fn allowing(port: u16, sessions: usize) -> impl FnOnce(&mut smtp_bridge::BridgeConfig) {
    move |c| {
        c.allow = vec![format!("localhost:{port}").parse::<Allowed>().unwrap()];
        c.allow_private = true;
        c.max_sessions = sessions + 10;
        c.max_sessions_per_client = sessions + 10;
    }
}

/// One page session: connect through the bridge, send message `n`, quit. `Err` says where it
/// broke off.
async fn page_session(bridge: SocketAddr, smtp: u16, n: usize, sender: &str) -> Result<(), String> {
    let mut ws = open(bridge, Some(&format!("http://{bridge}"))).await.map_err(|e| e.to_string())?;
    connect(&mut ws, "localhost", smtp, "plain").await;
    match control(&mut ws).await {
        ToPage::Connected { .. } => {}
        other => return Err(format!("not connected: {other:?}")),
    }
    reply(&mut ws, "220").await;
    say(&mut ws, "EHLO load.example").await;
    reply(&mut ws, "250").await;
    say(&mut ws, &format!("MAIL FROM:<{sender}@load.example>")).await;
    reply(&mut ws, "250").await;
    say(&mut ws, &format!("RCPT TO:<n{n}@load.example>")).await;
    reply(&mut ws, "250").await;
    say(&mut ws, "DATA").await;
    reply(&mut ws, "354").await;
    let (content, _) = message(n);
    ws.send(Message::Binary(format!("{content}.\r\n").into_bytes().into())).await.map_err(|e| e.to_string())?;
    reply(&mut ws, "250").await;
    say(&mut ws, "QUIT").await;
    reply(&mut ws, "221").await;
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_thousand_concurrent_relayed_sessions_deliver_every_message_once_and_intact() {
    let n = sessions();
    let (smtp, store, _) = smtp_server().await;
    let bridge = bridge(allowing(smtp.port(), n)).await;
    let started = Instant::now();
    let mut set = tokio::task::JoinSet::new();
    for i in 0..n {
        set.spawn(async move { page_session(bridge, smtp.port(), i, "load").await });
    }
    let mut failed = Vec::new();
    while let Some(result) = set.join_next().await {
        if let Err(why) = result.unwrap() {
            failed.push(why);
        }
    }
    assert!(failed.is_empty(), "{} sessions failed, e.g. {:?}", failed.len(), failed.first());
    // The server stores a message when its connection ends: wait for the last few.
    let deadline = Instant::now() + Duration::from_secs(20);
    while store.lock().unwrap().len() < n && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let seen = verify(&store.lock().unwrap());
    assert_eq!(seen, (0..n).collect::<Vec<_>>(), "every message exactly once");
    eprintln!("figure: {n} concurrent relayed sessions, {n} checksummed messages, none lost, duplicated or altered, in {:.2} s", started.elapsed().as_secs_f64());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_upstream_dying_mid_data_fails_that_session_alone() {
    let (smtp, store, _) = smtp_server().await;
    let bridge = bridge(allowing(smtp.port(), 100)).await;
    let mut set = tokio::task::JoinSet::new();
    for i in 0..50 {
        set.spawn(async move { page_session(bridge, smtp.port(), i, "load").await });
    }
    // The victim: its server goes away in the middle of the message.
    let mut ws = open(bridge, Some(&format!("http://{bridge}"))).await.unwrap();
    connect(&mut ws, "localhost", smtp.port(), "plain").await;
    assert!(matches!(control(&mut ws).await, ToPage::Connected { .. }));
    reply(&mut ws, "220").await;
    for (line, code) in [("EHLO victim.example", "250"), ("MAIL FROM:<victim@load.example>", "250"), ("RCPT TO:<x@load.example>", "250"), ("DATA", "354")] {
        say(&mut ws, line).await;
        reply(&mut ws, code).await;
    }
    let (content, _) = message(999);
    ws.send(Message::Binary(content.into_bytes().into())).await.unwrap();
    match control(&mut ws).await {
        ToPage::Closed { .. } | ToPage::Error { .. } => {}
        other => panic!("the page is told its server went away, not {other:?}"),
    }
    while let Some(result) = set.join_next().await {
        result.unwrap().expect("the other sessions finish");
    }
    tokio::time::sleep(Duration::from_millis(200)).await;
    let seen = verify(&store.lock().unwrap());
    assert_eq!(seen, (0..50).collect::<Vec<_>>(), "the others' messages all arrived; nothing of the victim's");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_websocket_dropped_mid_session_closes_its_smtp_connection_at_once() {
    let (smtp, _, closings) = smtp_server().await;
    // An idle timeout of five minutes: the close below cannot be the bridge's timer.
    let bridge = bridge(allowing(smtp.port(), 10)).await;
    let mut ws = open(bridge, Some(&format!("http://{bridge}"))).await.unwrap();
    connect(&mut ws, "localhost", smtp.port(), "plain").await;
    assert!(matches!(control(&mut ws).await, ToPage::Connected { .. }));
    reply(&mut ws, "220").await;
    say(&mut ws, "EHLO gone.example").await;
    reply(&mut ws, "250").await;
    say(&mut ws, "MAIL FROM:<a@gone.example>").await;
    reply(&mut ws, "250").await;
    // The tab is closed: the TCP connection under the WebSocket goes without a close frame.
    let dropped = Instant::now();
    drop(ws);
    let deadline = Instant::now() + Duration::from_secs(10);
    while closings.lock().unwrap().is_empty() && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let closed = closings.lock().unwrap().first().copied().expect("the SMTP connection was closed, long before the bridge's 300 s idle timeout");
    eprintln!("figure: the SMTP connection closed {} ms after the page's WebSocket dropped", closed.duration_since(dropped).as_millis());
}
