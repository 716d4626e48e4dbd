//! The student's session with the simulated server, as plain Rust (no DOM): it hosts the
//! sans-IO [`Server`], turns its events into console [`Entry`]s with their explanations, and keeps
//! the [`Input`] log from which a reload or a share link rebuilds the same session.

use serde::{Deserialize, Serialize};
use smtp_protocol::event::{ClientLine, Event};
use smtp_protocol::explain::Explanation;
use smtp_protocol::narration::{Narration, Note};
use smtp_protocol::session::{Envelope, Phase, SessionState};
use smtp_protocol::{Peer, ProfileName, Reply, Server, ServerConfig, StoredMessage, Timestamp};
use std::sync::Arc;

/// Something the student did; replaying the log rebuilds the session exactly.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "input", rename_all = "snake_case")]
pub enum Input {
    /// The session opened (always the first input).
    Start { at: u64, config: ServerConfig },
    /// Bytes typed or pasted (lines with their CRLF).
    Send { at: u64, text: String },
    Reconnect { at: u64 },
    Disconnect { at: u64 },
    /// The idle timer fired.
    Timeout { at: u64 },
    Configure { config: ServerConfig },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tone {
    Info,
    Good,
    Warn,
}

#[derive(Debug, Clone, PartialEq)]
pub enum EntryKind {
    /// A command line and what it does (or what is wrong with it).
    Command { text: String, note: Option<Note> },
    /// A line of message content after 354.
    Data { text: String, end: bool },
    /// An answer to a 334 challenge, with its base64 decoded.
    AuthAnswer { text: String, decoded: Option<String> },
    Reply { reply: Reply, explanation: Box<Explanation> },
    Notice { text: String, tone: Tone },
}

#[derive(Debug, Clone, PartialEq)]
pub struct Entry {
    pub id: usize,
    pub at: Timestamp,
    pub kind: EntryKind,
}

pub struct LabSession {
    server: Server,
    narration: Narration,
    /// Shared, so that views clone pointers, not explanations.
    pub entries: Vec<Arc<Entry>>,
    pub events: Vec<Event>,
    pub log: Vec<Input>,
}

pub const DEFAULT_PROFILE: ProfileName = ProfileName::Postfix;

impl LabSession {
    pub fn new(config: ServerConfig, now: u64) -> Self {
        let server = Server::new(config.clone(), Peer::default(), Timestamp(now));
        let mut lab = LabSession { server, narration: Narration::default(), entries: vec![], events: vec![], log: vec![Input::Start { at: now, config }] };
        lab.drain();
        lab
    }

    /// Rebuilds a session from its log. Inputs are replayed at their original times.
    pub fn replay(log: &[Input]) -> Option<Self> {
        let Some(Input::Start { at, config }) = log.first() else { return None };
        let mut lab = LabSession::new(config.clone(), *at);
        for input in &log[1..] {
            if matches!(input, Input::Start { .. }) {
                return None;
            }
            lab.apply(input.clone());
        }
        Some(lab)
    }

    pub fn apply(&mut self, input: Input) {
        match &input {
            Input::Send { at, text } => {
                self.server.handle_input(text.as_bytes(), Timestamp(*at));
                self.drain();
                // The simulator has no real TLS: the handshake completes at once.
                if self.server.state().phase == Phase::TlsHandshake {
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

    pub fn deadline(&self) -> Option<u64> {
        self.server.poll_timeout().map(|t| t.0)
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

    /// Addresses used so far, for Tab completion.
    pub fn known_addresses(&self) -> Vec<String> {
        let mut out: Vec<String> = Vec::new();
        for event in &self.events {
            if let Event::ReplySent { envelope, .. } = event {
                for a in std::iter::once(envelope.sender_address()).chain(envelope.recipient_addresses()) {
                    if !a.is_empty() && !out.contains(&a) {
                        out.push(a);
                    }
                }
            }
        }
        out
    }

    fn push(&mut self, at: Timestamp, kind: EntryKind) {
        let id = self.entries.len();
        self.entries.push(Arc::new(Entry { id, at, kind }));
    }

    fn drain(&mut self) {
        let _ = self.server.poll_transmit();
        while let Some(event) = self.server.poll_event() {
            let profile = self.server.profile();
            let note = self.narration.read(&event, profile, self.server.policy());
            if let Some(kind) = entry_for(&event, note, profile, Voice::Student) {
                self.push(event.at(), kind);
            }
            self.events.push(event);
        }
    }
}

/// Who the console speaks to: the student at the keyboard, or a teacher watching a real client.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Voice {
    Student,
    Watcher,
}

/// The console entry for one event of a simulated server (its explanation from `note`), or
/// `None` for events the console does not show.
pub fn entry_for(event: &Event, note: Option<Note>, profile: ProfileName, voice: Voice) -> Option<EntryKind> {
    Some(match event {
        Event::Connected { server, client_ip, .. } => EntryKind::Notice { text: format!("Connected to {server} ({}) from {client_ip}", profile.title()), tone: Tone::Info },
        Event::LineReceived { raw, line, .. } => match line {
            ClientLine::Command { .. } | ClientLine::TooLong { .. } => EntryKind::Command { text: raw.to_string(), note },
            ClientLine::Data => EntryKind::Data { text: raw.trim_end_matches(['\r', '\n']).to_string(), end: false },
            ClientLine::DataEnd => EntryKind::Data { text: ".".into(), end: true },
            ClientLine::Chunk => EntryKind::Data { text: raw.to_string(), end: false },
            ClientLine::AuthResponse { decoded } => EntryKind::AuthAnswer { text: raw.to_string(), decoded: decoded.clone() },
        },
        Event::ReplySent { reply, .. } => match note {
            Some(Note::Reply(explanation)) => EntryKind::Reply { reply: reply.clone(), explanation },
            _ => return None,
        },
        Event::MessageAccepted { queue_id, envelope, size, .. } => EntryKind::Notice {
            text: format!("Message {queue_id} ({size} octets) delivered to {} — see the Mailbox tab", envelope.recipient_addresses().join(", ")),
            tone: Tone::Good,
        },
        Event::TlsStarted { protocol, cipher, simulated, .. } => {
            let how = if *simulated { "; simulated" } else { "" };
            EntryKind::Notice { text: format!("TLS started ({protocol}, {cipher}{how}). The client must send EHLO again."), tone: Tone::Good }
        }
        Event::AuthSucceeded { user, mechanism, .. } => EntryKind::Notice { text: format!("Authenticated as {user} ({mechanism})"), tone: Tone::Good },
        Event::AuthFailed { .. } => return None,
        Event::Closed { by, reason, .. } => {
            let who = if *by == smtp_protocol::event::Closer::Server { "server" } else { "client" };
            let next = match voice {
                Voice::Student => " Press Connect to start again.",
                Voice::Watcher => "",
            };
            EntryKind::Notice { text: format!("Connection closed by the {who}: {reason}.{next}"), tone: Tone::Warn }
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lab() -> LabSession {
        LabSession::new(ServerConfig::new(ProfileName::Postfix), 1_000_000)
    }

    #[test]
    fn greeting_then_explained_replies() {
        let mut lab = lab();
        assert!(matches!(&lab.entries[1].kind, EntryKind::Reply { reply, .. } if reply.code == 220));
        lab.send("RCPT TO:<bob@playground.test>\r\n", 1_001_000);
        let EntryKind::Reply { reply, explanation } = &lab.entries.last().unwrap().kind else { panic!() };
        assert_eq!(reply.code, 503);
        assert!(explanation.why.contains("before MAIL FROM"), "{}", explanation.why);
    }

    #[test]
    fn replaying_the_log_rebuilds_the_session() {
        let mut lab = lab();
        lab.send("EHLO a.example\r\nMAIL FROM:<a@a.example>\r\nRCPT TO:<bob@playground.test>\r\nDATA\r\n", 1_002_000);
        lab.send("Subject: x\r\n\r\nhi\r\n.\r\n", 1_003_000);
        lab.apply(Input::Reconnect { at: 1_004_000 });
        let again = LabSession::replay(&lab.log).unwrap();
        assert_eq!(again.entries, lab.entries);
        assert_eq!(again.messages(), lab.messages());
        assert_eq!(again.messages().len(), 1);
    }

    #[test]
    fn starttls_completes_at_once_and_auth_answers_are_decoded() {
        let mut lab = lab();
        lab.send("EHLO a.example\r\nSTARTTLS\r\n", 1_001_000);
        assert!(lab.state().tls);
        lab.send("EHLO a.example\r\nAUTH LOGIN\r\nc3R1ZGVudA==\r\n", 1_002_000);
        let decoded = lab.entries.iter().find_map(|e| match &e.kind {
            EntryKind::AuthAnswer { decoded, .. } => decoded.clone(),
            _ => None,
        });
        assert_eq!(decoded.as_deref(), Some("student"));
    }

    #[test]
    fn idle_timer_closes_the_session() {
        let mut lab = lab();
        let deadline = lab.deadline().unwrap();
        assert!(!lab.tick(deadline - 1));
        assert!(lab.tick(deadline));
        assert!(lab.is_closed());
    }
}
