//! The student's session with the simulated server: it hosts the sans-IO [`Server`], feeds its
//! events to the [`ConsoleLog`], and keeps the [`Input`] log from which a reload or a share link
//! rebuilds the same session.

use super::console::ConsoleLog;
use super::entry::Voice;
use serde::{Deserialize, Serialize};
use smtp_protocol::server::Step;
use smtp_protocol::session::{Envelope, SessionState};
use smtp_protocol::{Peer, ProfileName, Server, ServerConfig, StoredMessage, Timestamp};

/// Something the student did; replaying the log rebuilds the session exactly.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "input", rename_all = "snake_case")]
pub enum Input {
    /// The session opened (always the first input).
    Start {
        at: u64,
        config: ServerConfig,
    },
    /// Bytes typed or pasted (lines with their CRLF).
    Send {
        at: u64,
        text: String,
    },
    Reconnect {
        at: u64,
    },
    Disconnect {
        at: u64,
    },
    /// The idle timer fired.
    Timeout {
        at: u64,
    },
    Configure {
        config: ServerConfig,
    },
}

pub struct SimulatedSession {
    server: Server,
    pub console: ConsoleLog,
    pub log: Vec<Input>,
}

pub const DEFAULT_PROFILE: ProfileName = ProfileName::Postfix;

impl SimulatedSession {
    pub fn new(config: ServerConfig, now: u64) -> Self {
        let server = Server::new(config.clone(), Peer::default(), Timestamp(now));
        let mut session = SimulatedSession { server, console: ConsoleLog::new(Voice::Typist), log: vec![Input::Start { at: now, config }] };
        session.drain();
        session
    }

    /// Rebuilds a session from its log. Inputs are replayed at their original times.
    pub fn replay(log: &[Input]) -> Option<Self> {
        let Some(Input::Start { at, config }) = log.first() else { return None };
        let mut session = SimulatedSession::new(config.clone(), *at);
        for input in &log[1..] {
            if matches!(input, Input::Start { .. }) {
                return None;
            }
            session.apply(input.clone());
        }
        Some(session)
    }

    /// When the session began: it names the session for the views' keys.
    pub fn started(&self) -> u64 {
        match self.log.first() {
            Some(Input::Start { at, .. }) => *at,
            _ => 0,
        }
    }

    pub fn apply(&mut self, input: Input) {
        match &input {
            Input::Send { at, text } => {
                self.server.handle_input(text.as_bytes(), Timestamp(*at));
                self.drain();
                // The simulator has no real TLS: the handshake completes at once.
                if self.server.next_step() == Step::TlsHandshake {
                    self.server.handle_tls_established(Timestamp(*at), "TLSv1.3", "TLS_AES_128_GCM_SHA256", true);
                }
            }
            Input::Reconnect { at } => self.server.reconnect(Timestamp(*at)),
            Input::Disconnect { at } => self.server.handle_client_close(Timestamp(*at)),
            Input::Timeout { at } => self.server.handle_timeout(Timestamp(*at)),
            Input::Start { .. } => {}
            Input::Configure { config } => {
                if config.profile != self.server.profile() {
                    self.server.set_profile(config.profile);
                }
                self.server.set_policy(config.policy.clone());
                self.server.set_persona(config.persona.clone());
            }
        }
        self.log.push(input);
        self.drain();
    }

    pub fn send(&mut self, text: &str, now: u64) {
        self.apply(Input::Send { at: now, text: text.to_string() });
    }

    /// Fires the idle timer when its deadline has passed; true when it did.
    pub fn tick(&mut self, now: u64) -> bool {
        match self.server.poll_timeout() {
            Some(deadline) if now >= deadline.0 => {
                self.apply(Input::Timeout { at: now });
                true
            }
            _ => false,
        }
    }

    /// When [`SimulatedSession::tick`] has something to do: a held reply is due, or the idle
    /// timer.
    pub fn deadline(&self) -> Option<u64> {
        self.server.poll_timeout().map(|t| t.0)
    }

    /// When the idle timer fires.
    pub fn idle_deadline(&self) -> Option<u64> {
        self.server.idle_deadline().map(|t| t.0)
    }

    /// When a reply a delay rule holds is due.
    pub fn held_until(&self) -> Option<u64> {
        self.server.held_until().map(|t| t.0)
    }

    pub fn state(&self) -> SessionState {
        self.server.state()
    }
    pub fn envelope(&self) -> Envelope {
        self.server.envelope().clone()
    }
    pub fn config(&self) -> &ServerConfig {
        self.server.config()
    }
    pub fn messages(&self) -> &[StoredMessage] {
        self.server.messages()
    }
    pub fn extensions(&self) -> Vec<String> {
        self.server.extensions()
    }
    pub fn is_closed(&self) -> bool {
        self.server.is_closed()
    }

    pub fn delete_message(&mut self, queue_id: &str) {
        self.server.delete_message(queue_id);
    }
    pub fn clear_messages(&mut self) {
        self.server.clear_messages();
    }

    fn drain(&mut self) {
        let _ = self.server.poll_transmit();
        while let Some(event) = self.server.poll_event() {
            self.console.record(event, Some(self.server.config()));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::entry::EntryKind;

    fn session() -> SimulatedSession {
        SimulatedSession::new(ServerConfig::new(ProfileName::Postfix), 1_000_000)
    }

    #[test]
    fn greeting_then_explained_replies() {
        let mut session = session();
        assert!(matches!(&session.console.entries[1].kind, EntryKind::Reply { reply, .. } if reply.code == 220));
        session.send("RCPT TO:<bob@playground.test>\r\n", 1_001_000);
        let EntryKind::Reply { reply, explanation, .. } = &session.console.entries.last().unwrap().kind else { panic!() };
        assert_eq!(reply.code, 503);
        assert!(explanation.why.contains("before MAIL FROM"), "{}", explanation.why);
    }

    #[test]
    fn replaying_the_log_rebuilds_the_session() {
        let mut session = session();
        session.send("EHLO a.example\r\nMAIL FROM:<a@a.example>\r\nRCPT TO:<bob@playground.test>\r\nDATA\r\n", 1_002_000);
        session.send("Subject: x\r\n\r\nhi\r\n.\r\n", 1_003_000);
        session.apply(Input::Reconnect { at: 1_004_000 });
        let again = SimulatedSession::replay(&session.log).unwrap();
        assert_eq!(again.console.entries, session.console.entries);
        assert_eq!(again.messages(), session.messages());
        assert_eq!(again.messages().len(), 1);
    }

    #[test]
    fn starttls_completes_at_once_and_auth_answers_are_decoded() {
        let mut session = session();
        session.send("EHLO a.example\r\nSTARTTLS\r\n", 1_001_000);
        assert!(session.state().tls);
        session.send("EHLO a.example\r\nAUTH LOGIN\r\nc3R1ZGVudA==\r\n", 1_002_000);
        let decoded = session.console.entries.iter().find_map(|e| match &e.kind {
            EntryKind::AuthAnswer { decoded, .. } => decoded.clone(),
            _ => None,
        });
        assert_eq!(decoded.as_deref(), Some("student"));
    }

    #[test]
    fn a_recipient_given_twice_is_named_once_in_the_delivery_notice() {
        let mut session = session();
        session.send("EHLO a\r\nMAIL FROM:<a@a.example>\r\nRCPT TO:<alice@playground.test>\r\nRCPT TO:<alice@playground.test>\r\nDATA\r\n", 1_001_000);
        session.send("Subject: x\r\n\r\nx\r\n.\r\n", 1_002_000);
        let notices: Vec<String> = session
            .console
            .entries
            .iter()
            .filter_map(|e| match &e.kind {
                EntryKind::Notice { text, .. } if text.contains("accepted for") || text.starts_with("After the 250") => Some(text.clone()),
                _ => None,
            })
            .collect();
        assert_eq!(notices.len(), 2, "the acceptance and the delivery: {notices:?}");
        for notice in notices {
            assert_eq!(notice.matches("alice@playground.test").count(), 1, "{notice}");
        }
    }

    #[test]
    fn idle_timer_closes_the_session() {
        let mut session = session();
        let deadline = session.deadline().unwrap();
        assert!(!session.tick(deadline - 1));
        assert!(session.tick(deadline));
        assert!(session.is_closed());
    }
}
