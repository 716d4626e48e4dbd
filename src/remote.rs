//! A session with a real SMTP server through smtp-bridge, as plain Rust (the WebSocket is in
//! `bridge_link`): what the student sends and the bytes the server answers become the same
//! console entries as with the simulator, each reply explained by its code and enhanced code.

use crate::lab::{Entry, EntryKind, Tone};
use smtp_protocol::command::{Leniency, Verb, parse_command};
use smtp_protocol::exercise::Observation;
use smtp_protocol::explain::{command_note, explain_real};
use smtp_protocol::narration::Note;
use smtp_protocol::relay::{Closer, ErrorKind, Security, ToPage};
use smtp_protocol::reply::{ReplyLineError, ReplyParser};
use smtp_protocol::Timestamp;
use std::sync::Arc;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Link {
    Idle,
    Connecting,
    Open { tls: bool },
    Closed,
}

pub struct RemoteSession {
    pub entries: Vec<Arc<Entry>>,
    pub link: Link,
    parser: ReplyParser,
    partial: Vec<u8>,
    last_verb: Option<Verb>,
    /// After 354: the student's lines are message content until a lone ".".
    pub in_data: bool,
    /// What exercises check in a real session.
    pub observed: Vec<Observation>,
}

impl Default for RemoteSession {
    fn default() -> Self {
        RemoteSession { entries: vec![], link: Link::Idle, parser: ReplyParser::new(), partial: vec![], last_verb: None, in_data: false, observed: vec![] }
    }
}

pub fn security_label(security: Security) -> &'static str {
    match security {
        Security::Plain => "plain",
        Security::Starttls => "STARTTLS",
        Security::Tls => "TLS (port 465)",
    }
}

impl RemoteSession {
    fn push(&mut self, at: u64, kind: EntryKind) {
        let id = self.entries.len();
        self.entries.push(Arc::new(Entry { id, at: Timestamp(at), kind }));
    }

    fn notice(&mut self, at: u64, text: String, tone: Tone) {
        self.push(at, EntryKind::Notice { text, tone });
    }

    pub fn connecting(&mut self, host: &str, port: u16, security: Security, at: u64) {
        self.link = Link::Connecting;
        self.parser = ReplyParser::new();
        self.partial.clear();
        self.in_data = false;
        self.last_verb = None;
        self.notice(at, format!("Connecting to {host}:{port} ({}) through smtp-bridge…", security_label(security)), Tone::Info);
    }

    /// The bridge could not be reached at all.
    pub fn unreachable(&mut self, url: &str, at: u64) {
        self.link = Link::Closed;
        self.notice(
            at,
            format!(
                "The bridge is not reachable at {url}. Start it with `cargo xtask serve` (or `smtp-bridge --allow HOST:PORT --dir dist`) and open the page it serves; a bridge only relays to the servers its --allow flags name."
            ),
            Tone::Warn,
        );
    }

    /// Lines the student sent (with their CRLFs).
    pub fn client_sent(&mut self, text: &str, at: u64) {
        let mut lines: Vec<&str> = text.split("\r\n").collect();
        if text.ends_with("\r\n") {
            lines.pop();
        }
        for line in lines {
            if self.in_data {
                let end = line == ".";
                self.push(at, EntryKind::Data { text: line.to_string(), end });
                if end {
                    self.in_data = false;
                }
                continue;
            }
            let note = match parse_command(line.as_bytes(), Leniency::TOLERANT) {
                Ok(parsed) => {
                    self.last_verb = Some(parsed.command.verb());
                    Some(Note::Command(command_note(parsed.command.verb())))
                }
                Err(error) => {
                    self.last_verb = error.verb;
                    Some(Note::Unparsed { problem: error.describe(), column: error.column, expected: error.expected() })
                }
            };
            self.push(at, EntryKind::Command { text: line.to_string(), note });
        }
    }

    /// Bytes from the server, as relayed.
    pub fn server_bytes(&mut self, bytes: &[u8], at: u64) {
        self.partial.extend_from_slice(bytes);
        while let Some(end) = self.partial.iter().position(|b| *b == b'\n') {
            let raw: Vec<u8> = self.partial.drain(..=end).collect();
            let line = String::from_utf8_lossy(&raw).trim_end_matches(['\r', '\n']).to_string();
            match self.parser.push_line(&line) {
                Ok(Some(reply)) => {
                    let explanation = explain_real(&reply, self.last_verb);
                    if reply.code == 354 {
                        self.in_data = true;
                    }
                    self.observed.push(Observation::Reply { verb: self.last_verb, reply: reply.clone(), why: explanation.why.clone() });
                    self.push(at, EntryKind::Reply { reply, explanation: Box::new(explanation) });
                }
                Ok(None) => {}
                Err(ReplyLineError::NotAReplyLine { line }) => self.notice(at, format!("The server sent a line that is not an SMTP reply: {line:?}"), Tone::Warn),
                Err(ReplyLineError::CodeChanged { expected, found }) => {
                    self.notice(at, format!("The server changed the reply code inside a multi-line reply ({expected} then {found})"), Tone::Warn)
                }
            }
        }
    }

    /// A control message from the bridge.
    pub fn control(&mut self, message: ToPage, at: u64) {
        match message {
            ToPage::Connected { peer, resolved_from, .. } => {
                self.link = Link::Open { tls: false };
                self.notice(at, format!("Connected to {resolved_from} ({peer})"), Tone::Info);
            }
            ToPage::Tls { protocol, cipher, subject, issuer, not_after, verified, problem, .. } => {
                self.link = Link::Open { tls: true };
                self.observed.push(Observation::TlsStarted);
                let who = format!("{protocol}, {cipher}; certificate {subject}, issued by {issuer}, valid until {not_after}");
                if verified {
                    self.notice(at, format!("TLS started ({who}); certificate verified."), Tone::Good);
                } else {
                    self.notice(
                        at,
                        format!("TLS started ({who}) — the certificate was NOT verified: {}. The bridge accepted it only because it runs with --insecure-lab.", problem.unwrap_or_default()),
                        Tone::Warn,
                    );
                }
            }
            ToPage::Closed { by, reason } => {
                self.link = Link::Closed;
                self.observed.push(Observation::Closed { reason: reason.clone() });
                let who = match by {
                    Closer::Server => "the server",
                    Closer::Page => "you",
                    Closer::Bridge => "the bridge",
                };
                self.notice(at, format!("Connection closed by {who}: {reason}."), Tone::Warn);
            }
            ToPage::Error { kind, message } => {
                self.link = Link::Closed;
                let what = match kind {
                    ErrorKind::NotAllowed => "Target not allowed",
                    ErrorKind::PrivateAddress => "Private address refused",
                    ErrorKind::Dns => "DNS failure",
                    ErrorKind::Refused => "Connection refused",
                    ErrorKind::Timeout => "Timeout",
                    ErrorKind::Tls => "TLS failure",
                    ErrorKind::Origin | ErrorKind::Token => "Refused by the bridge",
                    ErrorKind::Limit => "Limit reached",
                    ErrorKind::Protocol => "Bridge protocol error",
                };
                self.notice(at, format!("{what}: {message}"), Tone::Warn);
            }
        }
    }

    /// The session as `C:`/`S:` text (for export).
    pub fn transcript(&self) -> String {
        let mut out = String::new();
        for entry in &self.entries {
            match &entry.kind {
                EntryKind::Command { text, .. } | EntryKind::Data { text, .. } | EntryKind::AuthAnswer { text, .. } => out.push_str(&format!("C: {text}\n")),
                EntryKind::Reply { reply, .. } => reply.to_wire().lines().for_each(|l| out.push_str(&format!("S: {l}\n"))),
                EntryKind::Notice { text, .. } => out.push_str(&format!("-- {text}\n")),
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use smtp_protocol::expected::Expectation;

    #[test]
    fn real_replies_are_explained_for_the_command_they_answer() {
        let mut session = RemoteSession::default();
        session.control(ToPage::Connected { v: 1, peer: "192.0.2.25:25".into(), resolved_from: "mx1.example.org".into() }, 1);
        session.server_bytes(b"220 mx1.example.org ESMTP\r\n", 2);
        session.client_sent("RCPT TO:<a@b.example>\r\n", 3);
        session.server_bytes(b"503 5.5.1 Error: need MAIL", 4);
        session.server_bytes(b" command\r\n", 5);
        let EntryKind::Reply { reply, explanation } = &session.entries.last().unwrap().kind else { panic!() };
        assert_eq!(reply.code, 503);
        assert!(explanation.why.contains("in answer to RCPT"), "{}", explanation.why);
        assert_eq!(explanation.expectation, Expectation::Error);
        assert_eq!(explanation.enhanced.as_ref().unwrap().detail, "Invalid command");
    }

    #[test]
    fn data_lines_after_354_are_content_until_the_dot() {
        let mut session = RemoteSession::default();
        session.client_sent("DATA\r\n", 1);
        session.server_bytes(b"354 go ahead\r\n", 2);
        session.client_sent("Subject: x\r\n\r\n.hidden\r\n.\r\n", 3);
        let kinds: Vec<_> = session.entries.iter().map(|e| matches!(e.kind, EntryKind::Data { .. })).collect();
        assert_eq!(kinds, vec![false, false, true, true, true, true]);
        assert!(!session.in_data);
        session.client_sent("QUIT\r\n", 4);
        assert!(matches!(session.entries.last().unwrap().kind, EntryKind::Command { .. }));
    }

    #[test]
    fn odd_lines_and_failures_are_said_plainly() {
        let mut session = RemoteSession::default();
        session.server_bytes(b"HTTP/1.1 400 Bad Request\r\n", 1);
        assert!(matches!(&session.entries[0].kind, EntryKind::Notice { text, .. } if text.contains("not an SMTP reply")));
        session.unreachable("ws://127.0.0.1:9/bridge", 2);
        assert!(matches!(&session.entries[1].kind, EntryKind::Notice { text, .. } if text.contains("cargo xtask serve")));
        session.control(ToPage::Error { kind: ErrorKind::NotAllowed, message: "x:25 is not on this bridge's allow-list".into() }, 3);
        assert_eq!(session.link, Link::Closed);
    }
}
