//! One page session relayed to a real SMTP server: WebSocket on one side, TCP (then TLS) on the
//! other. SMTP bytes pass through unchanged; the bridge only watches for a `220` answer to
//! `STARTTLS`, at which point it performs the TLS handshake itself (rustls) and reports it.

use crate::target;
use crate::wire::{ErrorKind, FromPage, Security, ToPage, VERSION};
use crate::{Bridge, tls};
use axum::extract::ws::{Message, WebSocket};
use smtp_protocol::event::Closer;
use std::io;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::time::{Instant, sleep_until, timeout};

/// The connection to the SMTP server, before or after TLS.
enum Upstream {
    Plain(TcpStream),
    Tls(Box<tokio_rustls::client::TlsStream<TcpStream>>),
}

impl Upstream {
    async fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        match self {
            Upstream::Plain(s) => s.read(buf).await,
            Upstream::Tls(s) => s.read(buf).await,
        }
    }
    async fn write_all(&mut self, bytes: &[u8]) -> io::Result<()> {
        match self {
            Upstream::Plain(s) => s.write_all(bytes).await,
            Upstream::Tls(s) => {
                s.write_all(bytes).await?;
                s.flush().await
            }
        }
    }
    async fn shutdown(&mut self) {
        let _ = match self {
            Upstream::Plain(s) => s.shutdown().await,
            Upstream::Tls(s) => s.shutdown().await,
        };
    }
}

async fn send(socket: &mut WebSocket, message: &ToPage) -> bool {
    let text = serde_json::to_string(message).unwrap_or_default();
    socket.send(Message::Text(text.into())).await.is_ok()
}

async fn refuse(socket: &mut WebSocket, kind: ErrorKind, message: String) {
    tracing::info!(?kind, %message, "session refused");
    let _ = send(socket, &ToPage::Error { kind, message }).await;
    let _ = socket.send(Message::Close(None)).await;
}

/// Watches the server's replies after the client sent STARTTLS, for the `220` that starts TLS.
#[derive(Default)]
struct StarttlsWatch {
    armed: bool,
    pending: Vec<u8>,
}

impl StarttlsWatch {
    fn client_sent(&mut self, bytes: &[u8]) {
        // Only short lines can be the command: message content passes without a second look.
        for line in bytes.split(|b| *b == b'\n').filter(|line| line.len() <= 16) {
            if line.trim_ascii().eq_ignore_ascii_case(b"STARTTLS") {
                self.armed = true;
                self.pending.clear();
            }
        }
    }
    /// True when the server's bytes complete a `220` reply to STARTTLS.
    fn server_sent(&mut self, bytes: &[u8]) -> bool {
        if !self.armed {
            return false;
        }
        self.pending.extend_from_slice(bytes);
        while let Some(end) = self.pending.iter().position(|b| *b == b'\n') {
            let line: Vec<u8> = self.pending.drain(..=end).collect();
            if line.len() >= 4 && line[3] == b' ' {
                self.armed = false;
                return line.starts_with(b"220");
            }
        }
        false
    }
}

pub async fn run(mut socket: WebSocket, bridge: Arc<Bridge>, client: SocketAddr) {
    let limits = &bridge.config;
    // The first message says where to connect.
    let first = match timeout(Duration::from_secs(30), socket.recv()).await {
        Ok(Some(Ok(Message::Text(text)))) => serde_json::from_str::<FromPage>(&text),
        _ => return refuse(&mut socket, ErrorKind::Protocol, "the first message must be a connect request".into()).await,
    };
    let (host, port, security, token) = match first {
        Ok(FromPage::Connect { v, host, port, security, token }) if v == VERSION => (host, port, security, token),
        Ok(FromPage::Connect { v, .. }) => {
            return refuse(&mut socket, ErrorKind::Protocol, format!("this bridge speaks protocol version {VERSION}, not {v}: reload the page")).await;
        }
        _ => return refuse(&mut socket, ErrorKind::Protocol, "the first message must be a connect request".into()).await,
    };
    if let Some(expected) = &limits.token
        && token.as_deref() != Some(expected.as_str())
    {
        return refuse(&mut socket, ErrorKind::Token, "this bridge requires a token (--token): enter the one it was started with".into()).await;
    }
    if !target::valid_host(&host) {
        return refuse(
            &mut socket,
            ErrorKind::NotAllowed,
            format!("{:?} is not a host name or address; enter one such as mail.example.org or 192.0.2.25", host.chars().take(80).collect::<String>()),
        )
        .await;
    }
    if !limits.allow.iter().any(|a| a.permits(&host, port)) {
        return refuse(
            &mut socket,
            ErrorKind::NotAllowed,
            format!("{host}:{port} is not on this bridge's allow-list. Start it with `smtp-bridge --allow {host}:{port}` to permit it."),
        )
        .await;
    }
    let addresses: Vec<SocketAddr> = match timeout(Duration::from_secs(10), tokio::net::lookup_host((host.as_str(), port))).await {
        Ok(Ok(found)) => found.collect(),
        Ok(Err(err)) => return refuse(&mut socket, ErrorKind::Dns, format!("could not resolve {host}: {err}")).await,
        Err(_) => return refuse(&mut socket, ErrorKind::Timeout, format!("resolving {host} took longer than 10 seconds")).await,
    };
    let address = match target::choose(&addresses, limits.allow_private) {
        Ok(address) => address,
        Err(why) => return refuse(&mut socket, ErrorKind::PrivateAddress, format!("{host} resolves to a refused address: {why}")).await,
    };
    let tcp = match timeout(Duration::from_secs(10), TcpStream::connect(address)).await {
        Ok(Ok(tcp)) => tcp,
        Ok(Err(err)) => return refuse(&mut socket, ErrorKind::Refused, format!("could not connect to {address}: {err}")).await,
        Err(_) => return refuse(&mut socket, ErrorKind::Timeout, format!("{address} did not accept the connection within 10 seconds")).await,
    };
    // SMTP is lockstep: each write is a whole command, to go out at once (no Nagle delay).
    let _ = tcp.set_nodelay(true);
    tracing::info!(%client, %host, %address, "session relayed");
    if !send(&mut socket, &ToPage::Connected { v: VERSION, peer: address.to_string(), resolved_from: host.clone() }).await {
        return;
    }
    let mut upstream = Upstream::Plain(tcp);
    if security == Security::Tls {
        match upgrade(&mut socket, &bridge, &host, upstream).await {
            Some(tls) => upstream = tls,
            None => return,
        }
    }
    relay(socket, upstream, bridge, host).await;
}

/// The TLS handshake, reported to the page; `None` when it failed (reported too).
async fn upgrade(socket: &mut WebSocket, bridge: &Bridge, host: &str, upstream: Upstream) -> Option<Upstream> {
    let Upstream::Plain(tcp) = upstream else { return Some(upstream) };
    match timeout(Duration::from_secs(15), tls::connect(&bridge.tls, host, tcp)).await {
        Ok(Ok((stream, report))) => send(socket, &report).await.then_some(Upstream::Tls(Box::new(stream))),
        Ok(Err(err)) => {
            refuse(socket, ErrorKind::Tls, format!("the TLS handshake with {host} failed: {err}")).await;
            None
        }
        Err(_) => {
            refuse(socket, ErrorKind::Timeout, format!("the TLS handshake with {host} took longer than 15 seconds")).await;
            None
        }
    }
}

async fn relay(mut socket: WebSocket, mut upstream: Upstream, bridge: Arc<Bridge>, host: String) {
    let limits = &bridge.config;
    let started = Instant::now();
    // Traffic only moves `last_traffic`; the idle timer is reset when it fires early, not on
    // every message (a timer re-armed per message costs more than relaying it).
    let mut last_traffic = started;
    let idle = sleep_until(started + limits.idle_timeout);
    let ends = sleep_until(started + limits.max_duration);
    tokio::pin!(idle, ends);
    let mut watch = StarttlsWatch::default();
    let mut buf = vec![0u8; 16 * 1024];
    let closed = loop {
        tokio::select! {
            message = socket.recv() => match message {
                Some(Ok(Message::Binary(bytes))) => {
                    last_traffic = Instant::now();
                    watch.client_sent(&bytes);
                    if let Err(err) = upstream.write_all(&bytes).await {
                        break ToPage::Closed { by: Closer::Server, reason: format!("the connection broke while sending: {err}") };
                    }
                }
                Some(Ok(Message::Text(text))) => match serde_json::from_str::<FromPage>(&text) {
                    Ok(FromPage::Close) => break ToPage::Closed { by: Closer::Client, reason: "closed from the page".into() },
                    _ => break ToPage::Error { kind: ErrorKind::Protocol, message: "unexpected control message during a session".into() },
                },
                Some(Ok(Message::Ping(_) | Message::Pong(_))) => {}
                Some(Ok(Message::Close(_))) | None => {
                    upstream.shutdown().await;
                    return;
                }
                Some(Err(err)) => {
                    tracing::debug!(%err, "websocket ended");
                    upstream.shutdown().await;
                    let message = if err.to_string().contains("too long") || err.to_string().contains("Space limit") {
                        ToPage::Error { kind: ErrorKind::Limit, message: format!("a message from the page was larger than {} octets", limits.max_frame) }
                    } else {
                        return;
                    };
                    let _ = send(&mut socket, &message).await;
                    return;
                }
            },
            read = upstream.read(&mut buf) => match read {
                Ok(0) => break ToPage::Closed { by: Closer::Server, reason: "the server closed the connection".into() },
                Ok(n) => {
                    last_traffic = Instant::now();
                    if socket.send(Message::Binary(buf[..n].to_vec().into())).await.is_err() {
                        upstream.shutdown().await;
                        return;
                    }
                    if watch.server_sent(&buf[..n]) {
                        match upgrade(&mut socket, &bridge, &host, upstream).await {
                            Some(tls) => upstream = tls,
                            None => return,
                        }
                    }
                }
                Err(err) => break ToPage::Closed { by: Closer::Server, reason: format!("the connection broke: {err}") },
            },
            _ = &mut idle => {
                let due = last_traffic + limits.idle_timeout;
                if due > Instant::now() {
                    idle.as_mut().reset(due);
                    continue;
                }
                break ToPage::Closed { by: Closer::Bridge, reason: format!("nothing was sent for {} seconds (the bridge's idle timeout)", limits.idle_timeout.as_secs()) }
            },
            _ = &mut ends => break ToPage::Closed { by: Closer::Bridge, reason: format!("the session reached the bridge's maximum of {} seconds", limits.max_duration.as_secs()) },
        }
    };
    upstream.shutdown().await;
    let _ = send(&mut socket, &closed).await;
    let _ = socket.send(Message::Close(None)).await;
}

#[cfg(test)]
mod tests {
    use super::StarttlsWatch;

    #[test]
    fn starttls_is_seen_only_when_the_server_says_220() {
        let mut watch = StarttlsWatch::default();
        assert!(!watch.server_sent(b"220 ready\r\n"), "not armed before STARTTLS");
        watch.client_sent(b"starttls\r\n");
        assert!(!watch.server_sent(b"220 2.0.0 Ready"));
        assert!(watch.server_sent(b" to start TLS\r\n"));
        watch.client_sent(b"STARTTLS\r\n");
        assert!(!watch.server_sent(b"454 4.7.0 TLS not available\r\n"));
        assert!(!watch.server_sent(b"220 again\r\n"), "disarmed after a refusal");
    }
}
