//! The SMTP side of mock mode: one simulated `Server` per TCP connection, driven by the socket
//! and the clock, with real STARTTLS. What each session does goes to the [`Store`](super::Store).

use super::Mock;
use smtp_protocol::server::Step;
use smtp_protocol::{Peer, Server, Timestamp};
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

pub(crate) fn now() -> Timestamp {
    Timestamp(std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_millis() as u64).unwrap_or(0))
}

/// How long a conversation waits for a server that sets no deadline of its own.
const IDLE: u64 = 300_000;

/// Accepts SMTP clients until the listener fails.
pub async fn serve_smtp(listener: TcpListener, mock: Arc<Mock>) {
    loop {
        match listener.accept().await {
            Ok((mut tcp, peer)) => {
                let _ = tcp.set_nodelay(true);
                let open = mock.connections.fetch_add(1, Ordering::AcqRel);
                let mock = mock.clone();
                if open >= mock.max_connections {
                    // Past the cap: a temporary refusal any client retries (RFC 5321 3.8), and
                    // no session, no task held beyond saying so.
                    tokio::spawn(async move {
                        let host = mock.config().policy.hostname;
                        let refusal = format!("421 4.7.0 {host} Too many connections, try again later\r\n");
                        let _ = tokio::time::timeout(std::time::Duration::from_secs(5), tcp.write_all(refusal.as_bytes())).await;
                        mock.connections.fetch_sub(1, Ordering::AcqRel);
                    });
                    continue;
                }
                tokio::spawn(async move {
                    session(tcp, peer, mock.clone()).await;
                    mock.connections.fetch_sub(1, Ordering::AcqRel);
                });
            }
            Err(err) => {
                tracing::warn!(%err, "accept failed");
                tokio::time::sleep(std::time::Duration::from_millis(100)).await;
            }
        }
    }
}

/// Hands a session's events and accepted messages to the store as they come.
struct Recorder {
    id: u64,
    /// Where the store found the session's record last (see [`Store::record_at`](super::Store::record_at)).
    hint: u64,
    mock: Arc<Mock>,
}

impl Recorder {
    fn drain(&mut self, server: &mut Server) {
        if let Some(first) = server.poll_event() {
            let messages = server.take_messages();
            self.mock.store.record_at(self.id, &mut self.hint, std::iter::once(first).chain(std::iter::from_fn(|| server.poll_event())), messages);
        }
    }
}

/// One conversation over `stream`; true when STARTTLS was accepted and TLS must start.
async fn converse<S: AsyncRead + AsyncWrite + Unpin>(server: &mut Server, stream: &mut S, recorder: &mut Recorder) -> bool {
    let mut buf = vec![0u8; 16 * 1024];
    // One timer for the conversation, set again only when the server's deadline comes sooner
    // than it is set for: a deadline that moved later (every command moves it) is found when the
    // timer fires, and the timer set for it then. A timer made and dropped around every read was
    // 2.4% of mock mode's CPU.
    let timer = tokio::time::sleep(Duration::ZERO);
    tokio::pin!(timer);
    let mut set_for: Option<u64> = None;
    // Trades places with the server's reply buffer: no allocation a reply.
    let mut out = Vec::new();
    loop {
        if server.poll_transmit_into(&mut out) && (stream.write_all(&out).await.is_err() || stream.flush().await.is_err()) {
            server.handle_client_close(now());
        }
        recorder.drain(server);
        match server.next_step() {
            Step::Close => return false,
            Step::TlsHandshake => return true,
            Step::Read => {}
        }
        let at = now().0;
        let deadline = server.poll_timeout().map_or(at.saturating_add(IDLE), |d| d.0);
        if set_for.is_none_or(|set| deadline < set) {
            timer.as_mut().reset(tokio::time::Instant::now() + Duration::from_millis(deadline.saturating_sub(at)));
            set_for = Some(deadline);
        }
        tokio::select! {
            biased;
            read = stream.read(&mut buf) => match read {
                Ok(0) | Err(_) => server.handle_client_close(now()),
                Ok(n) => server.handle_input(&buf[..n], now()),
            },
            () = &mut timer => {
                set_for = None;
                let at = now();
                if at.0 >= deadline {
                    server.handle_timeout(at);
                }
            }
        }
    }
}

async fn session(mut tcp: TcpStream, peer: SocketAddr, mock: Arc<Mock>) {
    let mut config = mock.config();
    let id = mock.store.open_session(peer.to_string(), now().0, config.policy.leniency);
    // Each session its own seed: queue ids must not repeat across sessions.
    config.seed ^= id.wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ now().0;
    let mut server = Server::with_shared_counts(config, Peer { ip: peer.ip().to_string() }, now(), mock.fault_counts());
    server.remember_greylist(mock.greylist());
    let mut recorder = Recorder { id, hint: u64::MAX, mock: mock.clone() };
    if converse(&mut server, &mut tcp, &mut recorder).await {
        match mock.tls.as_ref().map(|acceptor| acceptor.accept(tcp)) {
            Some(handshake) => match handshake.await {
                Ok(mut tls) => {
                    let (protocol, cipher) = crate::tls::names(tls.get_ref().1);
                    server.handle_tls_established(now(), &protocol, &cipher, false);
                    converse(&mut server, &mut tls, &mut recorder).await;
                }
                Err(err) => server.handle_tls_failed(now(), &err.to_string()),
            },
            None => server.handle_tls_failed(now(), "TLS is not configured"),
        }
    }
    recorder.drain(&mut server);
    mock.remember_greylist(server.greylist(), now());
}
