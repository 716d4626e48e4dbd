//! Mock mode under load and faults: a thousand concurrent mail clients with checksummed
//! messages, slow clients (a byte a second) beside normal ones, a connection flood past the cap,
//! clients dropped in the middle of DATA, the store's limits under that load, and a Maildir that
//! stops being writable. `SMTP_STRESS=N` runs N clients instead of 1,000.

use smtp_bridge::mock::smtp::serve_smtp;
use smtp_bridge::mock::{Mock, Store, StoreLimits};
use smtp_protocol::{ProfileName, ServerConfig};
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;

fn clients() -> usize {
    std::env::var("SMTP_STRESS").ok().and_then(|n| n.parse().ok()).unwrap_or(1000)
}

fn checksum(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325u64, |h, b| (h ^ u64::from(*b)).wrapping_mul(0x100_0000_01b3))
}

async fn start(limits: StoreLimits, max_connections: usize) -> (SocketAddr, Arc<Mock>) {
    let store = Store::new(limits, None).unwrap();
    let listener = smtp_bridge::listen("127.0.0.1:0".parse().unwrap()).unwrap();
    let address = listener.local_addr().unwrap();
    let mock = Arc::new(Mock::new(ServerConfig::new(ProfileName::Mock), store, None).with_max_connections(max_connections));
    tokio::spawn(serve_smtp(listener, mock.clone()));
    (address, mock)
}

/// Reads one reply (its last line) from `reader`.
async fn reply(reader: &mut BufReader<TcpStream>) -> std::io::Result<String> {
    let mut all = String::new();
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line).await? == 0 {
            return Err(std::io::Error::new(std::io::ErrorKind::UnexpectedEof, format!("closed after {all:?}")));
        }
        all.push_str(&line);
        if line.as_bytes().get(3) == Some(&b' ') {
            return Ok(all);
        }
    }
}

/// One client sending message `n`, a command at a time.
async fn client(smtp: SocketAddr, n: usize) -> std::io::Result<()> {
    let tcp = tokio::time::timeout(Duration::from_secs(10), TcpStream::connect(smtp)).await.map_err(|_| std::io::Error::other("connect stuck"))??;
    let mut reader = BufReader::new(tcp);
    tokio::time::timeout(Duration::from_secs(10), reply(&mut reader))
        .await
        .map_err(|_| std::io::Error::other("greeting stuck"))?
        .map_err(|e| std::io::Error::other(format!("greeting: {e}")))?;
    let body: String = (0..10).map(|l| format!("client {n} line {l} {}\r\n", "y".repeat((n + l) % 70))).collect();
    let content = format!("Subject: load {n}\r\nX-Checksum: {:016x}\r\n\r\n{body}.\r\n", checksum(body.as_bytes()));
    for command in [
        "EHLO load.example\r\n".to_string(),
        format!("MAIL FROM:<c{n}@load.example>\r\n"),
        format!("RCPT TO:<n{n}@load.example>\r\n"),
        "DATA\r\n".into(),
        content,
        "QUIT\r\n".into(),
    ] {
        reader.get_mut().write_all(command.as_bytes()).await?;
        let answer = reply(&mut reader).await.map_err(|e| std::io::Error::other(format!("{command:?}: {e}")))?;
        if answer.starts_with('4') || answer.starts_with('5') {
            return Err(std::io::Error::other(format!("refused: {answer}")));
        }
    }
    Ok(())
}

/// The stored messages' numbers, each checked against its checksum.
fn verified(mock: &Mock) -> Vec<usize> {
    let mut seen: Vec<usize> = mock
        .store
        .messages()
        .iter()
        .map(|c| {
            let text = String::from_utf8_lossy(&c.message.raw);
            let n = text.split("Subject: load ").nth(1).and_then(|r| r.split("\r\n").next()).and_then(|n| n.parse().ok()).expect("a load message");
            let sum = text.split("X-Checksum: ").nth(1).and_then(|r| r.get(..16)).expect("a checksum");
            let body = text.split_once("\r\n\r\n").map(|(_, b)| b).expect("a body");
            assert_eq!(format!("{:016x}", checksum(body.as_bytes())), sum, "client {n}'s message was altered");
            n
        })
        .collect();
    seen.sort_unstable();
    seen
}

/// Peak resident memory of this test process, in MB (Linux).
fn peak_mb() -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| s.lines().find_map(|l| l.strip_prefix("VmHWM:").and_then(|v| v.trim().trim_end_matches(" kB").trim().parse::<f64>().ok())))
        .unwrap_or(0.0)
        / 1024.0
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_thousand_concurrent_clients_and_slow_ones_beside_them_lose_nothing() {
    let n = clients();
    let (smtp, mock) = start(StoreLimits::messages(n + 10), n + 100).await;
    // Slow clients, a byte a second, beside the rest.
    let mut slow = Vec::new();
    for i in 0..5 {
        let mut tcp = TcpStream::connect(smtp).await.unwrap();
        slow.push(tokio::spawn(async move {
            for byte in format!("EHLO slow{i}.example\r\n").bytes() {
                if tcp.write_all(&[byte]).await.is_err() {
                    return false;
                }
                tokio::time::sleep(Duration::from_secs(1)).await;
            }
            true
        }));
    }
    let started = Instant::now();
    let mut set = tokio::task::JoinSet::new();
    for i in 0..n {
        set.spawn(async move { tokio::time::timeout(Duration::from_secs(20), client(smtp, i)).await.unwrap_or_else(|_| Err(std::io::Error::other(format!("client {i} stuck")))) });
    }
    let mut failed = Vec::new();
    while let Some(result) = set.join_next().await {
        if let Err(err) = result.unwrap() {
            failed.push(err.to_string());
        }
    }
    let took = started.elapsed();
    assert!(failed.is_empty(), "{} clients failed, e.g. {:?}", failed.len(), failed.first());
    assert_eq!(verified(&mock), (0..n).collect::<Vec<_>>(), "every message once, intact");
    assert!(slow.iter().all(|s| !s.is_finished()), "the slow clients are still being served, not cut off");
    for s in slow {
        s.abort();
    }
    eprintln!(
        "figure: {n} concurrent mock clients (and 5 at a byte a second), {n} checksummed messages stored intact in {:.2} s; peak memory {:.0} MB",
        took.as_secs_f64(),
        peak_mb()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_connection_flood_past_the_cap_is_told_to_come_back_and_the_server_stays_up() {
    let (smtp, mock) = start(StoreLimits::messages(100), 50).await;
    // 300 connections that say nothing and stay: the first 50 hold every slot.
    let mut held = Vec::new();
    let mut refused = 0;
    for _ in 0..300 {
        let mut tcp = TcpStream::connect(smtp).await.unwrap();
        let mut greeting = [0u8; 64];
        let n = tokio::time::timeout(Duration::from_secs(5), tcp.read(&mut greeting)).await.expect("an answer").unwrap();
        let text = String::from_utf8_lossy(&greeting[..n]).to_string();
        if text.starts_with("421 4.7.0") {
            refused += 1;
        } else {
            assert!(text.starts_with("220 "), "{text}");
        }
        held.push(tcp);
    }
    assert_eq!(refused, 250, "past the 50-connection cap every client gets 421 and may retry");
    // The flood leaves: a client is served again.
    drop(held);
    tokio::time::sleep(Duration::from_millis(300)).await;
    client(smtp, 7).await.expect("served once the flood is gone");
    assert_eq!(verified(&mock), [7]);
    eprintln!("figure: 300 connections against a cap of 50: 250 refused with 421 4.7.0, the server stayed up");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn clients_dropped_mid_data_under_load_leave_nothing_partial_and_the_limits_hold() {
    // The store keeps 100 messages: 400 clients finish and 400 others break off in DATA.
    let (smtp, mock) = start(StoreLimits::messages(100), 2000).await;
    let mut set = tokio::task::JoinSet::new();
    for i in 0..800 {
        set.spawn(async move {
            if i % 2 == 0 {
                return client(smtp, i).await.map(|_| true);
            }
            let mut reader = BufReader::new(TcpStream::connect(smtp).await?);
            reply(&mut reader).await?;
            for command in ["EHLO cut.example\r\n", "MAIL FROM:<cut@load.example>\r\n", "RCPT TO:<x@load.example>\r\n", "DATA\r\n"] {
                reader.get_mut().write_all(command.as_bytes()).await?;
                reply(&mut reader).await?;
            }
            reader.get_mut().write_all(format!("Subject: load {i}\r\n\r\nhalf a message").as_bytes()).await?;
            Ok(false)
        });
    }
    let mut finished = 0;
    while let Some(result) = set.join_next().await {
        if result.unwrap().expect("no client fails") {
            finished += 1;
        }
    }
    assert_eq!(finished, 400);
    tokio::time::sleep(Duration::from_millis(300)).await;
    let kept = verified(&mock);
    assert_eq!(kept.len(), 100, "the store's count limit holds under load");
    assert!(kept.iter().all(|n| n % 2 == 0), "nothing of a broken-off message is stored");
    assert_eq!(mock.store.dropped(), 300, "the 300 oldest were dropped to make room, and counted");
    eprintln!("figure: 800 clients, 400 broken off in DATA: 0 partial messages; a 100-message store kept 100 and counted 300 dropped");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_stores_octet_limit_holds_under_load() {
    let limits = StoreLimits { messages: 10_000, message_octets: 50_000, ..StoreLimits::default() };
    let (smtp, mock) = start(limits, 2000).await;
    let mut set = tokio::task::JoinSet::new();
    for i in 0..400 {
        set.spawn(client(smtp, i));
    }
    while let Some(result) = set.join_next().await {
        result.unwrap().expect("every client is served");
    }
    tokio::time::sleep(Duration::from_millis(300)).await;
    let messages = mock.store.messages();
    let (kept, octets) = (messages.len(), messages.iter().map(|c| c.message.raw.len()).sum::<usize>());
    assert!(octets <= 50_000, "the mail kept stays within the limit: {octets} octets");
    assert!(kept > 10, "the newest are kept: {kept}");
    assert_eq!(kept as u64 + mock.store.dropped(), 400, "every message is kept or counted as dropped");
    verified(&mock);
    eprintln!("figure: 400 concurrent clients into a 50,000-octet store: {kept} kept ({octets} octets), {} dropped and counted", mock.store.dropped());
}
