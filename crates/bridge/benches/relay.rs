//! The bridge's costs, for `cargo xtask bench` (which builds the release bridge and installs
//! websockify): round-trip latency added over direct TCP, message throughput against direct TCP
//! and websockify (PyPI), and memory per idle session. The SMTP server is smtp-protocol's
//! simulator on loopback, the same for every path. Prints a table; asserts nothing.

use futures_util::{SinkExt, StreamExt};
use smtp_protocol::{Peer, ProfileName, Server, ServerConfig, Timestamp};
mod common;

use common::start;
use std::net::SocketAddr;
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio_tungstenite::tungstenite::Message;

type Ws = tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<TcpStream>>;

async fn smtp_server() -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    tokio::spawn(async move {
        while let Ok((mut tcp, _)) = listener.accept().await {
            tokio::spawn(async move {
                let mut config = ServerConfig::new(ProfileName::Mock);
                config.policy.bad_command_limit = u32::MAX;
                let mut server = Server::new(config, Peer::default(), Timestamp(0));
                let mut buf = vec![0u8; 16 * 1024];
                loop {
                    if let Some(out) = server.poll_transmit() {
                        if tcp.write_all(&out).await.is_err() {
                            return;
                        }
                    }
                    while server.poll_event().is_some() {}
                    let _ = server.take_messages();
                    match tcp.read(&mut buf).await {
                        Ok(0) | Err(_) => return,
                        Ok(n) => server.handle_input(&buf[..n], Timestamp(1)),
                    }
                }
            });
        }
    });
    address
}

/// Reads until `count` replies (final lines) have arrived.
async fn replies_tcp(tcp: &mut TcpStream, count: usize, buf: &mut Vec<u8>) {
    let mut seen = 0;
    let mut chunk = [0u8; 16 * 1024];
    while seen < count {
        let n = tcp.read(&mut chunk).await.unwrap();
        assert!(n > 0, "server closed");
        buf.extend_from_slice(&chunk[..n]);
        while let Some(end) = buf.iter().position(|b| *b == b'\n') {
            let line: Vec<u8> = buf.drain(..=end).collect();
            if line.len() > 3 && line[3] == b' ' {
                seen += 1;
            }
        }
    }
}

async fn replies_ws(ws: &mut Ws, count: usize, buf: &mut Vec<u8>) {
    let mut seen = 0;
    while seen < count {
        match ws.next().await {
            Some(Ok(Message::Binary(bytes))) => buf.extend_from_slice(&bytes),
            Some(Ok(_)) => continue,
            other => panic!("websocket ended: {other:?}"),
        }
        while let Some(end) = buf.iter().position(|b| *b == b'\n') {
            let line: Vec<u8> = buf.drain(..=end).collect();
            if line.len() > 3 && line[3] == b' ' {
                seen += 1;
            }
        }
    }
}

/// One path to the SMTP server: its session's send and receive.
enum Path {
    Direct(TcpStream),
    Ws(Box<Ws>),
}

impl Path {
    async fn send(&mut self, bytes: &[u8]) {
        match self {
            Path::Direct(tcp) => tcp.write_all(bytes).await.unwrap(),
            Path::Ws(ws) => ws.send(Message::Binary(bytes.to_vec().into())).await.unwrap(),
        }
    }
    async fn replies(&mut self, count: usize, buf: &mut Vec<u8>) {
        match self {
            Path::Direct(tcp) => replies_tcp(tcp, count, buf).await,
            Path::Ws(ws) => replies_ws(ws, count, buf).await,
        }
    }
}

async fn via_bridge(bridge: &str, smtp: SocketAddr) -> Path {
    let (mut ws, _) = tokio_tungstenite::connect_async(format!("ws://{bridge}/bridge")).await.unwrap();
    let request = serde_json::json!({"type": "connect", "v": 1, "host": "localhost", "port": smtp.port(), "security": "plain"});
    ws.send(Message::Text(request.to_string().into())).await.unwrap();
    loop {
        if let Some(Ok(Message::Text(text))) = ws.next().await {
            assert!(text.contains("connected"), "{text}");
            break;
        }
    }
    Path::Ws(Box::new(ws))
}

async fn via_websockify(port: u16) -> Path {
    let (ws, _) = tokio_tungstenite::connect_async(format!("ws://127.0.0.1:{port}/")).await.unwrap();
    Path::Ws(Box::new(ws))
}

async fn latency(mut path: Path, rounds: usize) -> f64 {
    let mut buf = Vec::new();
    path.replies(1, &mut buf).await; // greeting
    let mut samples = Vec::with_capacity(rounds);
    for _ in 0..rounds {
        let started = Instant::now();
        path.send(b"NOOP\r\n").await;
        path.replies(1, &mut buf).await;
        samples.push(started.elapsed().as_secs_f64() * 1e6);
    }
    samples.sort_by(f64::total_cmp);
    samples[samples.len() / 2]
}

async fn throughput(mut path: Path, messages: usize) -> f64 {
    let mut buf = Vec::new();
    path.replies(1, &mut buf).await;
    path.send(b"EHLO bench.example\r\n").await;
    path.replies(1, &mut buf).await;
    let body = format!("Subject: bench\r\n\r\n{}.\r\n", "Lorem ipsum dolor sit amet, consectetur adipiscing elit, sed do eiusmod\r\n".repeat(14));
    let started = Instant::now();
    for _ in 0..messages {
        path.send(b"MAIL FROM:<a@bench.example>\r\nRCPT TO:<b@bench.example>\r\nDATA\r\n").await;
        path.replies(3, &mut buf).await;
        path.send(body.as_bytes()).await;
        path.replies(1, &mut buf).await;
    }
    messages as f64 / started.elapsed().as_secs_f64()
}

/// Messages per second over `sessions` concurrent sessions.
async fn throughput_concurrent<F, Fut>(open: F, sessions: usize, per_session: usize) -> f64
where
    F: Fn() -> Fut,
    Fut: std::future::Future<Output = Path> + Send + 'static,
{
    let mut paths = Vec::new();
    for _ in 0..sessions {
        paths.push(open().await);
    }
    let started = Instant::now();
    let tasks: Vec<_> = paths.into_iter().map(|path| tokio::spawn(throughput(path, per_session))).collect();
    for task in tasks {
        task.await.unwrap();
    }
    (sessions * per_session) as f64 / started.elapsed().as_secs_f64()
}

fn rss_kb(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    status.lines().find(|l| l.starts_with("VmRSS:")).and_then(|l| l.split_whitespace().nth(1)).and_then(|n| n.parse().ok()).unwrap_or(0)
}

async fn idle_memory(bridge: &str, pid: u32, smtp: SocketAddr, sessions: usize) -> f64 {
    let before = rss_kb(pid);
    let mut open = Vec::with_capacity(sessions);
    for chunk in 0..sessions.div_ceil(100) {
        let batch = (sessions - chunk * 100).min(100);
        let started: Vec<_> = (0..batch).map(|_| {
            let bridge = bridge.to_string();
            tokio::spawn(async move { via_bridge(&bridge, smtp).await })
        }).collect();
        for task in started {
            open.push(task.await.unwrap());
        }
    }
    tokio::time::sleep(Duration::from_millis(500)).await;
    let after = rss_kb(pid);
    drop(open);
    (after.saturating_sub(before)) as f64 * 1024.0 / sessions as f64
}

fn median(values: &mut [f64]) -> f64 {
    values.sort_by(f64::total_cmp);
    values[values.len() / 2]
}

fn row(name: &str, value: String, peer: String, goal: &str) {
    println!("{name:<38} {value:>14} {peer:>16}  {goal}");
}

#[tokio::main]
async fn main() {
    let Some((bridge_bin, dist)) = common::bench_inputs() else { return };
    let python = std::env::var("SMTP_TEST_PYTHON").ok();
    let smtp = smtp_server().await;
    let (bridge, lines) = start(
        &bridge_bin,
        &["--listen", "127.0.0.1:0", "--dir", &dist, "--allow", "localhost:*", "--allow-private", "--max-sessions", "20000", "--max-sessions-per-client", "20000"].map(String::from),
        "serving",
    );
    let address = lines.last().expect("the ready line").rsplit("http://").next().unwrap().trim_end_matches('/').to_string();
    let websockify = python.map(|python| {
        let port = common::free_port();
        let (process, _) = start(&python, &["-m".into(), "websockify".into(), format!("127.0.0.1:{port}"), smtp.to_string()], "proxying from");
        (process, port)
    });

    println!("\n{:<38} {:>14} {:>16}  goal", "bridge", "smtp-bridge", "peer");
    let direct = latency(Path::Direct(TcpStream::connect(smtp).await.unwrap()), 2000).await;
    let relayed = latency(via_bridge(&address, smtp).await, 2000).await;
    row("round trip, p50 (direct TCP as peer)", format!("{relayed:.0} µs"), format!("{direct:.0} µs"), "");
    row("latency added by the bridge, p50", format!("{:.0} µs", relayed - direct), "-".into(), "at most 150 µs");

    let direct = throughput(Path::Direct(TcpStream::connect(smtp).await.unwrap()), 2000).await;
    let relayed = throughput(via_bridge(&address, smtp).await, 2000).await;
    row("messages/s, one session (direct TCP)", format!("{relayed:.0}"), format!("{direct:.0}"), "");
    match &websockify {
        Some((_, port)) => {
            let peer = throughput(via_websockify(*port).await, 2000).await;
            row("messages/s, one session (websockify)", format!("{relayed:.0}"), format!("{peer:.0}"), &format!("at least 3x websockify: {:.1}x", relayed / peer));
        }
        None => row("messages/s (websockify)", "-".into(), "not installed".into(), "at least 3x websockify"),
    }
    // Twenty sessions at once: the two cores are shared by the clients, the SMTP server and
    // the relay, so one run swings with whatever else the machine does. Each path is measured
    // in turn, three rounds, and the ratio taken of the medians.
    let mut relayed = Vec::new();
    let mut direct = Vec::new();
    let mut peer = Vec::new();
    for _ in 0..3 {
        let bridge_address = address.clone();
        relayed.push(throughput_concurrent(move || { let a = bridge_address.clone(); async move { via_bridge(&a, smtp).await } }, 20, 300).await);
        direct.push(throughput_concurrent(move || async move { Path::Direct(TcpStream::connect(smtp).await.unwrap()) }, 20, 300).await);
        if let Some((_, port)) = &websockify {
            let port = *port;
            peer.push(throughput_concurrent(move || async move { via_websockify(port).await }, 20, 300).await);
        }
    }
    let (relayed, direct) = (median(&mut relayed), median(&mut direct));
    row("messages/s, 20 sessions (direct TCP)", format!("{relayed:.0}"), format!("{direct:.0}"), "median of 3 rounds");
    if !peer.is_empty() {
        let peer = median(&mut peer);
        row("messages/s, 20 sessions (websockify)", format!("{relayed:.0}"), format!("{peer:.0}"), &format!("at least 3x websockify: {:.1}x", relayed / peer));
    }

    let pid = bridge.0.id();
    for sessions in [1000, 9000] {
        let per = idle_memory(&address, pid, smtp, sessions).await;
        row(&format!("memory per idle session ({sessions})"), format!("{:.1} KB", per / 1024.0), "-".into(), "at most 32 KB");
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
    println!("(10,000 sessions would need over 20,000 descriptors in the bridge: the hard limit here is 20,000.)");
    drop(websockify);
}
