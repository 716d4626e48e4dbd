//! The bridge's costs, for `cargo xtask bench` (which builds the release bridge and installs
//! websockify): round-trip latency added over direct TCP, message throughput against direct TCP
//! and websockify (PyPI), the relay's CPU time per message, and memory per idle session. A bare
//! blocking TCP relay is measured beside them: for one session, the most any relay reaches on the
//! machine. The SMTP server is smtp-protocol's simulator on loopback in a process of its own, the
//! same for every path. Prints a table; asserts nothing.

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
                    if let Some(out) = server.poll_transmit()
                        && tcp.write_all(&out).await.is_err()
                    {
                        return;
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
        let started: Vec<_> = (0..batch)
            .map(|_| {
                let bridge = bridge.to_string();
                tokio::spawn(async move { via_bridge(&bridge, smtp).await })
            })
            .collect();
        for task in started {
            open.push(task.await.unwrap());
        }
    }
    tokio::time::sleep(Duration::from_millis(500)).await;
    let after = rss_kb(pid);
    drop(open);
    (after.saturating_sub(before)) as f64 * 1024.0 / sessions as f64
}

/// Rounds of one path under load: messages per second, and the relay process's CPU time per message.
#[derive(Default)]
struct Rounds {
    rates: Vec<f64>,
    cpu_per_message: Vec<f64>,
}

impl Rounds {
    async fn measure(&mut self, pid: u32, messages: f64, run: impl std::future::Future<Output = f64>) {
        let before = cpu_seconds(pid);
        self.rates.push(run.await);
        self.cpu_per_message.push((cpu_seconds(pid) - before) / messages * 1e6);
    }
    fn rate(&mut self) -> f64 {
        median(&mut self.rates)
    }
    fn cpu(&mut self) -> f64 {
        median(&mut self.cpu_per_message)
    }
}

/// User and system time of a process and of its children that have ended, in seconds.
fn cpu_seconds(pid: u32) -> f64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    // Fields after the command name's `)`: utime, stime, cutime and cstime are the 12th to 15th,
    // in clock ticks (USER_HZ, 100 on Linux).
    let fields: Vec<&str> = stat.rsplit(')').next().unwrap_or_default().split_whitespace().collect();
    fields.get(11..15).map_or(0.0, |ticks| ticks.iter().filter_map(|t| t.parse::<f64>().ok()).sum::<f64>() / 100.0)
}

fn median(values: &mut [f64]) -> f64 {
    values.sort_by(f64::total_cmp);
    values[values.len() / 2]
}

fn row(name: &str, value: String, peer: String, goal: &str) {
    println!("{name:<44} {value:>12} {peer:>14}  {goal}");
}

/// The simplest relay: a blocking copy loop, one thread per direction, no framing. It runs as a
/// child process (this same binary, asked by environment) so that, as with the bridge and
/// websockify, each hop wakes another process. With one session nothing relays faster (a blocked
/// thread wakes straight into its read); with many, a thread per direction costs more CPU than an
/// event loop, and it is only a reference.
const BARE_RELAY: &str = "RELAY_BENCH_BARE_RELAY_TO";

fn bare_relay(target: &str) {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    println!("bare relay on {}", listener.local_addr().unwrap());
    for client in listener.incoming().map_while(Result::ok) {
        let server = std::net::TcpStream::connect(target).unwrap();
        for (mut from, mut to) in [(client.try_clone().unwrap(), server.try_clone().unwrap()), (server, client)] {
            let _ = from.set_nodelay(true);
            std::thread::spawn(move || {
                let _ = std::io::copy(&mut from, &mut to);
                let _ = to.shutdown(std::net::Shutdown::Write);
            });
        }
    }
}

/// The event loop's relay: the bare relay's copy on tokio (one thread, as the bridge runs), with
/// no framing and no checks. What any relay on an event loop reaches here: the floor under the
/// bridge's goal, since the bridge is a tokio program.
const TOKIO_RELAY: &str = "RELAY_BENCH_TOKIO_RELAY_TO";

fn tokio_relay(target: &str) {
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    runtime.block_on(async {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        println!("tokio relay on {}", listener.local_addr().unwrap());
        while let Ok((mut client, _)) = listener.accept().await {
            let mut server = tokio::net::TcpStream::connect(target).await.unwrap();
            let _ = (client.set_nodelay(true), server.set_nodelay(true));
            tokio::spawn(async move {
                let _ = tokio::io::copy_bidirectional(&mut client, &mut server).await;
            });
        }
    });
}

/// The SMTP server every path reaches, in a process of its own (this same binary, asked by
/// environment): a local server is another program, so that direct TCP, like every relayed path,
/// crosses processes. (Run inside the measuring process, its "direct" round trip would skip the
/// two process wake-ups every real client pays, and charge them to the bridge.)
const SMTP_SERVER: &str = "RELAY_BENCH_SMTP_SERVER";

/// Raises this process's open-file limit (which the bridge and the helpers inherit) to 65,536
/// where allowed (root may raise the hard limit), else to the hard limit; the limit in force.
#[allow(unsafe_code)]
fn raise_descriptor_limit() -> u64 {
    let mut limit = libc::rlimit { rlim_cur: 0, rlim_max: 0 };
    // SAFETY: getrlimit/setrlimit only read and write the struct passed.
    unsafe {
        if libc::getrlimit(libc::RLIMIT_NOFILE, &mut limit) != 0 {
            return 1024;
        }
        let wanted = libc::rlimit { rlim_cur: limit.rlim_max.max(65_536), rlim_max: limit.rlim_max.max(65_536) };
        if libc::setrlimit(libc::RLIMIT_NOFILE, &wanted) == 0 {
            return wanted.rlim_cur;
        }
        let soft = libc::rlimit { rlim_cur: limit.rlim_max, rlim_max: limit.rlim_max };
        if libc::setrlimit(libc::RLIMIT_NOFILE, &soft) == 0 {
            return soft.rlim_cur;
        }
    }
    limit.rlim_cur
}

fn main() {
    if let Ok(target) = std::env::var(BARE_RELAY) {
        return bare_relay(&target);
    }
    if let Ok(target) = std::env::var(TOKIO_RELAY) {
        return tokio_relay(&target);
    }
    if std::env::var_os(SMTP_SERVER).is_some() {
        let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build().unwrap();
        return runtime.block_on(async {
            println!("smtp server on {}", smtp_server().await);
            std::future::pending::<()>().await
        });
    }
    measure();
}

/// Starts this binary in one of its helper roles; the address it printed on its ready line.
fn helper(role: &str, value: &str, ready: &str) -> (common::Process, SocketAddr) {
    let mut command = std::process::Command::new(std::env::current_exe().unwrap());
    command.env(role, value);
    let (process, lines) = common::start_command(command, ready);
    let address = lines.last().unwrap().rsplit(' ').next().unwrap().parse().unwrap();
    (process, address)
}

#[tokio::main]
async fn measure() {
    let Some((bridge_bin, dist)) = common::bench_inputs() else { return };
    let descriptors = raise_descriptor_limit();
    let python = std::env::var("SMTP_TEST_PYTHON").ok();
    let (_smtp_process, smtp) = helper(SMTP_SERVER, "1", "smtp server on");
    let (bridge, lines) = start(
        &bridge_bin,
        &["--listen", "127.0.0.1:0", "--dir", &dist, "--allow", "localhost:*", "--allow-private", "--max-sessions", "20000", "--max-sessions-per-client", "20000"]
            .map(String::from),
        "serving",
    );
    let address = lines.last().expect("the ready line").rsplit("http://").next().unwrap().trim_end_matches('/').to_string();
    let websockify = python.map(|python| {
        let port = common::free_port();
        let (process, _) = start(&python, &["-m".into(), "websockify".into(), format!("127.0.0.1:{port}"), smtp.to_string()], "proxying from");
        (process, port)
    });

    let (bare_process, bare) = helper(BARE_RELAY, &smtp.to_string(), "bare relay on");
    let (_tokio_process, tokio_relay) = helper(TOKIO_RELAY, &smtp.to_string(), "tokio relay on");

    println!("\n{:<44} {:>12} {:>14}  goal", "bridge", "smtp-bridge", "peer");
    let direct = latency(Path::Direct(TcpStream::connect(smtp).await.unwrap()), 2000).await;
    let relayed = latency(via_bridge(&address, smtp).await, 2000).await;
    row("round trip, p50 (direct TCP as peer)", format!("{relayed:.0} µs"), format!("{direct:.0} µs"), "");
    let floor = latency(Path::Direct(TcpStream::connect(bare).await.unwrap()), 2000).await;
    row("latency added, p50 (bare relay as peer)", format!("{:.0} µs", relayed - direct), format!("{:.0} µs", floor - direct), "the least a relay adds here");
    match &websockify {
        Some((_, port)) => {
            let peer = latency(via_websockify(*port).await, 2000).await;
            row("latency added, p50 (websockify as peer)", format!("{:.0} µs", relayed - direct), format!("{:.0} µs", peer - direct), "at most 150 µs");
        }
        None => row("latency added, p50", format!("{:.0} µs", relayed - direct), "-".into(), "at most 150 µs"),
    }

    // One session: the bridge, the bare relay and the tokio relay in turn, five rounds, each rate
    // the median of its rounds (a single round of each moved the ratio by a tenth on this VM).
    let direct = throughput(Path::Direct(TcpStream::connect(smtp).await.unwrap()), 2000).await;
    let (mut bridged, mut bare_rates, mut tokio_rates) = (vec![], vec![], vec![]);
    for _ in 0..5 {
        bridged.push(throughput(via_bridge(&address, smtp).await, 600).await);
        bare_rates.push(throughput(Path::Direct(TcpStream::connect(bare).await.unwrap()), 600).await);
        tokio_rates.push(throughput(Path::Direct(TcpStream::connect(tokio_relay).await.unwrap()), 600).await);
    }
    let (relayed, floor, event_loop) = (median(&mut bridged), median(&mut bare_rates), median(&mut tokio_rates));
    row("messages/s, one session (direct TCP)", format!("{relayed:.0}"), format!("{direct:.0}"), "");
    row(
        "messages/s, one session (bare relay)",
        format!("{relayed:.0}"),
        format!("{floor:.0}"),
        &format!("at least 0.9x the bare relay (the most a relay reaches here): {:.2}x", relayed / floor),
    );
    row(
        "floor: a tokio relay, one session",
        format!("{event_loop:.0}"),
        format!("{floor:.0}"),
        &format!("no framing, no checks: {:.2}x the bare relay, what an event loop reaches here", event_loop / floor),
    );
    match &websockify {
        Some((_, port)) => {
            let peer = throughput(via_websockify(*port).await, 2000).await;
            row("messages/s, one session (websockify)", format!("{relayed:.0}"), format!("{peer:.0}"), &format!("at least 3x websockify: {:.1}x", relayed / peer));
        }
        None => row("messages/s, one session (websockify)", "-".into(), "not installed".into(), "at least 3x websockify"),
    }

    // Twenty sessions at once: the two cores are shared by the clients, the SMTP server and
    // the relay, so one run swings with whatever else the machine does. Each path is measured
    // in turn, three rounds, and the ratio taken of the medians. The CPU time each relay
    // process spent (children included: websockify forks one per connection) says whether the
    // bridge or the machine is the limit.
    const SESSIONS: usize = 20;
    const PER_SESSION: usize = 300;
    let messages = (SESSIONS * PER_SESSION) as f64;
    let (bridge_pid, bare_pid) = (bridge.0.id(), bare_process.0.id());
    let websockify_pid = websockify.as_ref().map(|(process, _)| process.0.id());
    let mut relayed = Rounds::default();
    let mut direct = Rounds::default();
    let mut bare_rounds = Rounds::default();
    let mut peer = Rounds::default();
    for _ in 0..3 {
        let bridge_address = address.clone();
        relayed
            .measure(
                bridge_pid,
                messages,
                throughput_concurrent(
                    move || {
                        let a = bridge_address.clone();
                        async move { via_bridge(&a, smtp).await }
                    },
                    SESSIONS,
                    PER_SESSION,
                ),
            )
            .await;
        direct.rates.push(throughput_concurrent(move || async move { Path::Direct(TcpStream::connect(smtp).await.unwrap()) }, SESSIONS, PER_SESSION).await);
        bare_rounds.measure(bare_pid, messages, throughput_concurrent(move || async move { Path::Direct(TcpStream::connect(bare).await.unwrap()) }, SESSIONS, PER_SESSION)).await;
        if let (Some((_, port)), Some(pid)) = (&websockify, websockify_pid) {
            let port = *port;
            peer.measure(pid, messages, throughput_concurrent(move || async move { via_websockify(port).await }, SESSIONS, PER_SESSION)).await;
        }
    }
    let rate = relayed.rate();
    row("messages/s, 20 sessions (direct TCP)", format!("{rate:.0}"), format!("{:.0}", direct.rate()), "median of 3 rounds");
    row("messages/s, 20 sessions (bare relay)", format!("{rate:.0}"), format!("{:.0}", bare_rounds.rate()), "for reference: a thread per direction");
    row("relay CPU per message, 20 sessions (bare)", format!("{:.0} µs", relayed.cpu()), format!("{:.0} µs", bare_rounds.cpu()), "");
    if websockify.is_some() {
        row("messages/s, 20 sessions (websockify)", format!("{rate:.0}"), format!("{:.0}", peer.rate()), &format!("at least 3x websockify: {:.1}x", rate / peer.rate()));
        row("relay CPU per message, 20 sessions (websockify)", format!("{:.0} µs", relayed.cpu()), format!("{:.0} µs", peer.cpu()), "");
    }

    let pid = bridge.0.id();
    // Each idle session holds two descriptors in the bridge (its WebSocket and its SMTP
    // connection); main() raised the limit that the bridge inherited, as far as it could.
    let most = (descriptors - 100) / 2;
    for wanted in [1000, 10_000] {
        let sessions = wanted.min(most);
        let per = idle_memory(&address, pid, smtp, sessions as usize).await;
        row(&format!("memory per idle session ({sessions})"), format!("{:.1} KB", per / 1024.0), "-".into(), "at most 32 KB");
        if sessions < wanted {
            println!("({wanted} sessions need {} descriptors in the bridge; the limit here is {descriptors})", wanted * 2 + 100);
        }
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
    drop(websockify);
}
