//! Mock mode's throughput, for `cargo xtask bench`: small messages per second with 20 concurrent
//! sessions into the release `smtp-bridge mock`, side by side with Postfix's `smtp-sink` (which
//! accepts and discards, the field's yardstick) in the same run. The load comes from a Rust
//! generator always, and from Postfix's `smtp-source` too where it is installed
//! (SMTP_SOURCE_BIN / SMTP_SINK_BIN, set by xtask). Prints a table; asserts nothing.

mod common;

use common::{Process, free_port, start};
use std::net::SocketAddr;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

const SESSIONS: usize = 20;
const MESSAGES: usize = 20_000;

/// Reads until `count` final reply lines have arrived.
async fn replies(tcp: &mut TcpStream, count: usize, buf: &mut Vec<u8>) -> bool {
    let mut seen = 0;
    let mut chunk = [0u8; 8192];
    while seen < count {
        match tcp.read(&mut chunk).await {
            Ok(0) | Err(_) => return false,
            Ok(n) => buf.extend_from_slice(&chunk[..n]),
        }
        while let Some(end) = buf.iter().position(|b| *b == b'\n') {
            let line: Vec<u8> = buf.drain(..=end).collect();
            if line.len() > 3 && line[3] == b' ' {
                seen += 1;
            }
        }
    }
    true
}

/// One client: `messages` small messages, a new connection each time when `reconnect`, else all
/// in one session, each command waiting for its reply (as most lab programs do).
async fn client(server: SocketAddr, messages: usize, reconnect: bool) -> usize {
    let body = format!("From: load@bench.example\r\nTo: sink@bench.example\r\nSubject: load\r\n\r\n{}.\r\n", "A small message for the load test.\r\n".repeat(8));
    let mut sent = 0;
    let mut buf = Vec::new();
    let mut session: Option<TcpStream> = None;
    while sent < messages {
        let tcp = match session.as_mut() {
            Some(tcp) => tcp,
            None => {
                let mut tcp = TcpStream::connect(server).await.unwrap();
                tcp.set_nodelay(true).unwrap();
                buf.clear();
                replies(&mut tcp, 1, &mut buf).await;
                tcp.write_all(b"EHLO load.bench.example\r\n").await.unwrap();
                replies(&mut tcp, 1, &mut buf).await;
                session.insert(tcp)
            }
        };
        for command in [&b"MAIL FROM:<load@bench.example>\r\n"[..], b"RCPT TO:<sink@bench.example>\r\n", b"DATA\r\n", body.as_bytes()] {
            tcp.write_all(command).await.unwrap();
            if !replies(tcp, 1, &mut buf).await {
                panic!("the server closed the connection");
            }
        }
        sent += 1;
        if reconnect {
            let mut tcp = session.take().unwrap();
            let _ = tcp.write_all(b"QUIT\r\n").await;
            replies(&mut tcp, 1, &mut buf).await;
        }
    }
    if let Some(mut tcp) = session {
        let _ = tcp.write_all(b"QUIT\r\n").await;
    }
    sent
}

/// Messages per second from the Rust generator: `SESSIONS` clients at once.
async fn generate(server: SocketAddr, reconnect: bool) -> f64 {
    let total = if reconnect { MESSAGES / 4 } else { MESSAGES };
    let started = Instant::now();
    let tasks: Vec<_> = (0..SESSIONS).map(|_| tokio::spawn(client(server, total / SESSIONS, reconnect))).collect();
    let mut sent = 0;
    for task in tasks {
        sent += task.await.unwrap();
    }
    sent as f64 / started.elapsed().as_secs_f64()
}

/// Messages per second from Postfix's smtp-source with `SESSIONS` parallel sessions.
fn smtp_source(bin: &str, server: SocketAddr, reconnect: bool) -> Option<f64> {
    let total = if reconnect { MESSAGES / 4 } else { MESSAGES };
    let mut args = vec![
        "-s".to_string(),
        SESSIONS.to_string(),
        "-m".into(),
        total.to_string(),
        "-l".into(),
        "300".into(),
        "-f".into(),
        "load@bench.example".into(),
        "-t".into(),
        "sink@bench.example".into(),
    ];
    if !reconnect {
        args.push("-d".into());
    }
    args.push(server.to_string());
    let started = Instant::now();
    let status = Command::new(bin).args(&args).stdout(Stdio::null()).stderr(Stdio::null()).status().ok()?;
    status.success().then(|| total as f64 / started.elapsed().as_secs_f64())
}

/// What the second floor keeps, as the mock's store must: every line each way, the latest
/// 200,000 (20 sessions of the store's 10,000 events each), and the latest 1,000 messages.
#[derive(Default)]
struct Copies {
    lines: std::collections::VecDeque<Box<[u8]>>,
    messages: std::collections::VecDeque<Vec<u8>>,
}

impl Copies {
    fn line(&mut self, line: &[u8]) {
        if self.lines.len() >= 200_000 {
            self.lines.pop_front();
        }
        self.lines.push_back(line.into());
    }
}

/// The floors under the mock's goal: a server on the same runtime as the bridge (tokio, one
/// thread) that answers each line with a canned reply and reads DATA to its end. With `keep`
/// it also keeps every line and reply and each message (the least any server with a class
/// view must do: copy what it saw); without, it records nothing. What any tokio server costs
/// here before it does any SMTP.
fn canned_server(keep: bool) -> SocketAddr {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("a free port");
    let address = listener.local_addr().unwrap();
    listener.set_nonblocking(true).unwrap();
    let kept = std::sync::Arc::new(std::sync::Mutex::new(Copies::default()));
    std::thread::spawn(move || {
        let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        runtime.block_on(async move {
            let listener = tokio::net::TcpListener::from_std(listener).unwrap();
            loop {
                let Ok((mut tcp, _)) = listener.accept().await else { continue };
                let _ = tcp.set_nodelay(true);
                let kept = kept.clone();
                tokio::spawn(async move {
                    let _ = tcp.write_all(b"220 canned ESMTP\r\n").await;
                    let (mut buf, mut pending, mut data, mut message) = (vec![0u8; 16 * 1024], Vec::new(), false, Vec::new());
                    loop {
                        let n = match tcp.read(&mut buf).await {
                            Ok(0) | Err(_) => return,
                            Ok(n) => n,
                        };
                        pending.extend_from_slice(&buf[..n]);
                        let (mut out, mut start, mut quit) = (Vec::new(), 0, false);
                        {
                            let mut kept = keep.then(|| kept.lock().unwrap());
                            while let Some(end) = pending[start..].iter().position(|b| *b == b'\n') {
                                let line = &pending[start..start + end + 1];
                                start += end + 1;
                                if let Some(kept) = kept.as_mut() {
                                    kept.line(line);
                                }
                                if data {
                                    if line == b".\r\n" {
                                        data = false;
                                        out.extend_from_slice(b"250 2.0.0 Ok: queued\r\n");
                                        if let Some(kept) = kept.as_mut() {
                                            if kept.messages.len() >= 1000 {
                                                kept.messages.pop_front();
                                            }
                                            kept.messages.push_back(std::mem::take(&mut message));
                                        }
                                    } else if keep {
                                        message.extend_from_slice(line);
                                    }
                                    continue;
                                }
                                let verb = line.get(..4).map(|v| v.to_ascii_uppercase());
                                let reply: &[u8] = match verb.as_deref() {
                                    Some(b"EHLO") => b"250-canned\r\n250 PIPELINING\r\n",
                                    Some(b"DATA") => {
                                        data = true;
                                        b"354 End data with <CR><LF>.<CR><LF>\r\n"
                                    }
                                    Some(b"QUIT") => {
                                        quit = true;
                                        b"221 2.0.0 Bye\r\n"
                                    }
                                    _ => b"250 2.0.0 Ok\r\n",
                                };
                                if let Some(kept) = kept.as_mut() {
                                    kept.line(reply);
                                }
                                out.extend_from_slice(reply);
                            }
                        }
                        pending.drain(..start);
                        if !out.is_empty() && tcp.write_all(&out).await.is_err() || quit {
                            return;
                        }
                    }
                });
            }
        });
    });
    address
}

fn is_root() -> bool {
    std::fs::read_to_string("/proc/self/status").unwrap_or_default().lines().any(|l| l.starts_with("Uid:") && l.split_whitespace().nth(1) == Some("0"))
}

/// Rounds of each row: ours and the peer in turn, each rate the median of its rounds (one round of
/// each, one after the other, moved a ratio by a tenth as this VM's speed moved).
const ROUNDS: usize = 3;

/// A load: the generator, and whether each message has a connection of its own.
#[derive(Clone, Copy)]
enum Load<'a> {
    Rust { reconnect: bool },
    Source { bin: &'a str, reconnect: bool },
}

impl Load<'_> {
    async fn rate(self, server: SocketAddr) -> Option<f64> {
        match self {
            Load::Rust { reconnect } => Some(generate(server, reconnect).await),
            Load::Source { bin, reconnect } => smtp_source(bin, server, reconnect),
        }
    }
}

/// The median rate of `ours` and of `peer` under `load`, over [`ROUNDS`] rounds in turn; None
/// for ours if a round failed.
async fn side_by_side(load: Load<'_>, ours: SocketAddr, peer: Option<SocketAddr>) -> (Option<f64>, Option<f64>) {
    let (mut our_rates, mut peer_rates) = (vec![], vec![]);
    for _ in 0..ROUNDS {
        match load.rate(ours).await {
            Some(rate) => our_rates.push(rate),
            None => return (None, None),
        }
        if let Some(peer) = peer {
            peer_rates.extend(load.rate(peer).await);
        }
    }
    (median(&mut our_rates), median(&mut peer_rates))
}

fn median(rates: &mut [f64]) -> Option<f64> {
    rates.sort_by(f64::total_cmp);
    rates.get(rates.len() / 2).copied()
}

fn row(name: &str, ours: f64, peer: Option<f64>, goal: &str) {
    let peer_text = peer.map(|p| format!("{p:.0}")).unwrap_or_else(|| "-".into());
    let ratio = peer.map(|p| format!("{:.2}x", ours / p)).unwrap_or_default();
    println!("{name:<84} {:>12} {peer_text:>14} {ratio:>7}  {goal}", format!("{ours:.0}"));
}

#[tokio::main]
async fn main() {
    let Some((bridge_bin, dist)) = common::bench_inputs() else { return };
    let mock_server = |extra: &[&str]| {
        let mut args: Vec<String> = ["--listen", "127.0.0.1:0", "--dir", &dist, "mock", "--smtp", "127.0.0.1:0", "--max-messages", "1000"].map(String::from).into();
        args.extend(extra.iter().map(|a| a.to_string()));
        let (process, lines) = start(&bridge_bin, &args, "serving");
        let smtp: SocketAddr = lines.iter().find_map(|l| l.split("mock SMTP server on ").nth(1)).expect("the mock says its SMTP address").trim().parse().unwrap();
        let page = lines.iter().find_map(|l| l.split("at http://").nth(1)).expect("the bridge says its address").trim().trim_end_matches('/').to_string();
        (process, smtp, page)
    };
    let (_mock, mock, page) = mock_server(&[]);
    let sink = std::env::var("SMTP_SINK_BIN").ok().map(|bin| {
        let port = free_port();
        // 256: the listen backlog. As root it must be told whom to run as.
        let mut args: Vec<String> = if is_root() { vec!["-u".into(), "nobody".into()] } else { vec![] };
        args.extend([format!("127.0.0.1:{port}"), "256".into()]);
        let child = Command::new(&bin).args(&args).stdout(Stdio::null()).stderr(Stdio::null()).spawn().expect("smtp-sink starts");
        std::thread::sleep(Duration::from_millis(300));
        (Process(child), SocketAddr::from(([127, 0, 0, 1], port)))
    });
    let source = std::env::var("SMTP_SOURCE_BIN").ok();

    println!("\n{:<84} {:>12} {:>14} {:>7}  goal", format!("mock server (messages/s, 20 sessions; medians of {ROUNDS} rounds in turn)"), "smtp-bridge", "smtp-sink", "ratio");
    let sink_address = sink.as_ref().map(|(_, address)| *address);
    // Each row under the Rust generator, and under smtp-source where it is installed.
    let loads = |reconnect: bool| {
        let mut loads = vec![("Rust generator", Load::Rust { reconnect })];
        if let Some(bin) = &source {
            loads.push(("smtp-source", Load::Source { bin, reconnect }));
        }
        loads
    };
    for (reconnect, what) in [(false, "many messages per session"), (true, "a connection per message")] {
        for (generator, load) in loads(reconnect) {
            match side_by_side(load, mock, sink_address).await {
                (Some(ours), peer) => row(&format!("{generator}, {what}"), ours, peer, "at least smtp-sink's (1.0x)"),
                (None, _) => println!("{generator}, {what}: failed against the mock"),
            }
        }
    }
    // The floors: the same mock keeping no session events (what keeping them costs), and what a
    // tokio server answering with canned replies reaches, recording nothing and keeping what it
    // saw.
    let (_bare, bare, _) = mock_server(&["--events-per-session", "0"]);
    for (server, floor_name, why) in [
        (bare, "floor: the mock keeping no session events", "--events-per-session 0: the simulator alone"),
        (canned_server(false), "floor: canned replies", "no SMTP, nothing recorded: the runtime's ceiling"),
        (canned_server(true), "floor: canned replies, every line kept", "no SMTP; a copy of each line and message"),
    ] {
        for (reconnect, what) in [(false, "many messages per session"), (true, "a connection per message")] {
            for (generator, load) in loads(reconnect) {
                if let (Some(floor), peer) = side_by_side(load, server, sink_address).await {
                    row(&format!("{floor_name}, {generator}, {what}"), floor, peer, why);
                }
            }
        }
    }
    // A class watching: one page on the live feed, reading every frame.
    let (watcher, _) = tokio_tungstenite::connect_async(format!("ws://{page}/api/v1/live")).await.expect("the live feed");
    let frames = std::sync::Arc::new(std::sync::atomic::AtomicU64::new(0));
    let counted = frames.clone();
    let reader = tokio::spawn(async move {
        use futures_util::StreamExt;
        let mut watcher = watcher;
        while let Some(Ok(_)) = watcher.next().await {
            counted.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        }
    });
    let ours = generate(mock, false).await;
    row("Rust generator, many per session, a page watching", ours, None, "at least 5,000/s");
    let cut_off = reader.is_finished();
    println!(
        "(the watching page read {} frames{})",
        frames.load(std::sync::atomic::Ordering::Relaxed),
        if cut_off { ", fell more than 8,192 behind and was told to reconnect, as a page then does" } else { ", all of them" }
    );
    reader.abort();
    if sink.is_none() {
        println!("(Postfix's smtp-sink and smtp-source were not found: `cargo xtask bench` installs Debian's postfix for them when it can.)");
    }
}
