//! A session with a real SMTP server through smtp-bridge (the WebSocket is `links::bridge`).
//! What the student sends and the bytes the server answers become the same [`Event`]s a
//! simulated session records, so the console, timeline and exports are those of every mode.
//! The server's state cannot be read, so it is followed from the replies: each reply answers the
//! oldest command still waiting (pipelining keeps order, RFC 2920), and moves the state as RFC
//! 5321 says a reply to that command does.
//!
//! Over 500 lines with its tests, and one concept: following a server that cannot be read from
//! its replies (the pairing, the state, the bridge's control messages that move it).

use super::console::ConsoleLog;
use super::entry::TLS_STARTED;
use super::entry::{EntryKind, Tone, Voice, plain_initial_decoded};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use compact_str::CompactString;
use smtp_protocol::Timestamp;
use smtp_protocol::command::{Command, Leniency, Verb, parse_command};
use smtp_protocol::event::{ClientLine, Closer, Event};
use smtp_protocol::exercise::Observation;
use smtp_protocol::expected::Answering;
use smtp_protocol::explain::{command_note, explain_real};
use smtp_protocol::narration::Note;
use smtp_protocol::relay::{ErrorKind, Security, ToPage};
use smtp_protocol::reply::{Reply, ReplyLineError, ReplyParser};
use smtp_protocol::server::{masked, visible};
use smtp_protocol::session::{Envelope, Phase, Recipient, SessionState, path_address};
use std::collections::VecDeque;
use std::sync::Arc;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Link {
    Idle,
    Connecting,
    Open,
    Closed,
}

/// What the client sent that a reply will answer.
#[derive(Debug, Clone)]
enum Awaiting {
    Command {
        verb: Option<Verb>,
        command: Option<Box<Command>>,
    },
    /// The end of the message content (the final dot, or BDAT LAST).
    Content,
    /// An answer to a 334 challenge.
    AuthAnswer,
}

pub struct RealSession {
    pub console: ConsoleLog,
    pub link: Link,
    parser: ReplyParser,
    partial: Vec<u8>,
    awaiting: VecDeque<Awaiting>,
    greeted: bool,
    state: SessionState,
    envelope: Arc<Envelope>,
    /// The phase to go back to after an AUTH exchange.
    before_auth: Phase,
    /// The user name of the AUTH exchange in progress, when it could be decoded.
    auth_user: Option<CompactString>,
    /// What exercises check in a real session.
    pub observed: Vec<Observation>,
    /// Where the session connects (`host:port`), for the exports.
    pub target: Option<String>,
}

fn fresh_state() -> SessionState {
    SessionState { phase: Phase::Connected, client_name: None, esmtp: false, tls: false, authenticated_as: None }
}

impl Default for RealSession {
    fn default() -> Self {
        RealSession {
            console: ConsoleLog::new(Voice::Typist),
            link: Link::Idle,
            parser: ReplyParser::new(),
            partial: vec![],
            awaiting: VecDeque::new(),
            greeted: false,
            state: fresh_state(),
            envelope: Arc::default(),
            before_auth: Phase::Connected,
            auth_user: None,
            observed: vec![],
            target: None,
        }
    }
}

pub fn security_label(security: Security) -> &'static str {
    match security {
        Security::Plain => "plain",
        Security::Starttls => "STARTTLS",
        Security::Tls => "TLS (port 465)",
    }
}

impl RealSession {
    /// After 354: the student's lines are message content until a lone ".".
    pub fn in_data(&self) -> bool {
        self.state.phase == Phase::Data
    }

    pub fn is_open(&self) -> bool {
        matches!(self.link, Link::Open | Link::Connecting)
    }

    pub fn state(&self) -> &SessionState {
        &self.state
    }

    /// A new connection: the console keeps what came before, the state starts over.
    pub fn connecting(&mut self, host: &str, port: u16, security: Security, at: u64) {
        self.link = Link::Connecting;
        self.parser = ReplyParser::new();
        self.partial.clear();
        self.awaiting.clear();
        self.greeted = false;
        self.state = fresh_state();
        self.envelope = Arc::default();
        self.target = Some(if host.contains(':') { format!("[{host}]:{port}") } else { format!("{host}:{port}") });
        self.console.notice(Timestamp(at), format!("Connecting to {host}:{port} ({}) through smtp-bridge…", security_label(security)), Tone::Info);
    }

    /// The bridge could not be reached at all.
    pub fn unreachable(&mut self, url: &str, at: u64) {
        self.link = Link::Closed;
        self.console.notice(
            Timestamp(at),
            format!(
                "The bridge is not reachable at {url}. Start it with `cargo xtask serve` (or `smtp-bridge --allow HOST:PORT --dir dist`) and open the page it serves; a bridge only relays to the servers its --allow flags name."
            ),
            Tone::Warn,
        );
    }

    /// Lines the student sent, each with its line end: CRLF, or LF alone (a bare LF, which
    /// servers take as a line end too). Message lines keep their ending in the event's `raw`,
    /// as the simulator records them.
    pub fn client_sent(&mut self, text: &str, at: u64) {
        let at = Timestamp(at);
        for piece in text.split_inclusive('\n') {
            let Some(without_lf) = piece.strip_suffix('\n') else { continue };
            let bare_lf = !without_lf.ends_with('\r');
            let line = without_lf.strip_suffix('\r').unwrap_or(without_lf);
            if self.state.phase == Phase::Data {
                let end = line == ".";
                let kind = if end { ClientLine::DataEnd } else { ClientLine::Data };
                if end {
                    self.awaiting.push_back(Awaiting::Content);
                }
                self.console.record_as(Event::LineReceived { at, raw: piece.into(), line: kind, bare_lf: false }, EntryKind::Data { text: line.to_string(), end });
                if end {
                    // What follows the dot is a command again, whatever the server answers.
                    self.state.phase = Phase::Greeted;
                }
                continue;
            }
            if self.state.phase == Phase::Authenticating {
                let (decoded, secret) = self.decode_auth_answer(line);
                self.awaiting.push_back(Awaiting::AuthAnswer);
                let event = Event::LineReceived { at, raw: line.into(), line: ClientLine::AuthResponse { decoded: decoded.clone(), secret }, bare_lf };
                self.console.record_as(event, EntryKind::AuthAnswer { text: line.to_string(), decoded, secret });
                continue;
            }
            let parsed = parse_command(line.as_bytes(), Leniency::TOLERANT);
            let (awaiting, note) = match &parsed {
                Ok(parsed) => {
                    let verb = parsed.command.verb();
                    (Awaiting::Command { verb: Some(verb), command: Some(Box::new(parsed.command.clone())) }, Note::Command(command_note(verb)))
                }
                Err(error) => {
                    (Awaiting::Command { verb: error.verb, command: None }, Note::Unparsed { problem: error.describe(), column: error.column, expected: error.expected() })
                }
            };
            if let Ok(parsed) = &parsed
                && let Command::Auth { initial_response: Some(initial), .. } = &parsed.command
            {
                self.auth_user = plain_user(initial);
            }
            self.awaiting.push_back(awaiting);
            let event = Event::LineReceived { at, raw: line.into(), line: ClientLine::Command { parsed: Box::new(parsed) }, bare_lf };
            self.console.record_as(event, EntryKind::Command { text: line.to_string(), note: Some(note) });
        }
    }

    /// An AUTH answer decoded for the note, and whether it carries a password: the first LOGIN
    /// answer is the user name; passwords are shown as asterisks, control characters as symbols.
    fn decode_auth_answer(&mut self, line: &str) -> (Option<String>, bool) {
        let Ok(bytes) = STANDARD.decode(line.trim()) else { return (None, false) };
        if let Some(user) = plain_user(line) {
            self.auth_user = Some(user.clone());
            return (plain_initial_decoded(&format!("AUTH PLAIN {}", line.trim())), true);
        }
        let text = String::from_utf8_lossy(&bytes).into_owned();
        if self.auth_user.is_none() {
            self.auth_user = Some(text.as_str().into());
            (Some(visible(&text)), false)
        } else {
            (Some(masked(&text)), true)
        }
    }

    /// Bytes from the server, as relayed.
    pub fn server_bytes(&mut self, bytes: &[u8], at: u64) {
        self.partial.extend_from_slice(bytes);
        while let Some(end) = self.partial.iter().position(|b| *b == b'\n') {
            let raw: Vec<u8> = self.partial.drain(..=end).collect();
            let line = String::from_utf8_lossy(&raw).trim_end_matches(['\r', '\n']).to_string();
            match self.parser.push_line(&line) {
                Ok(Some(reply)) => self.reply(reply, Timestamp(at)),
                Ok(None) => {}
                Err(ReplyLineError::NotAReplyLine { line }) => {
                    self.console.notice(Timestamp(at), format!("The server sent a line that is not an SMTP reply: {line:?}"), Tone::Warn)
                }
                Err(ReplyLineError::CodeChanged { expected, found }) => {
                    self.console.notice(Timestamp(at), format!("The server changed the reply code inside a multi-line reply ({expected} then {found})"), Tone::Warn)
                }
            }
        }
    }

    /// One whole reply: what it answers, the state after it, and its explanation.
    fn reply(&mut self, reply: Reply, at: Timestamp) {
        let answered = if self.greeted { self.awaiting.pop_front() } else { None };
        let answering = match &answered {
            None if !self.greeted => Answering::Connection,
            None => Answering::Unrecognized,
            Some(Awaiting::Command { verb: Some(verb), .. }) => Answering::Command(*verb),
            Some(Awaiting::Command { verb: None, .. }) => Answering::Unrecognized,
            Some(Awaiting::Content) => Answering::MessageContent,
            Some(Awaiting::AuthAnswer) => Answering::Command(Verb::Auth),
        };
        self.greeted = true;
        let address = match &answered {
            Some(Awaiting::Command { command: Some(command), .. }) => match command.as_ref() {
                Command::Mail { from, .. } => Some(path_address(from)),
                Command::Rcpt { to, .. } => Some(path_address(to)),
                _ => None,
            },
            _ => None,
        };
        self.follow(&reply, answered);
        let explanation = explain_real(&reply, answering, address.as_deref());
        // Exercises check the reply after the final dot as DATA's, as RFC 5321 4.3.2 lists it.
        let verb = match answering {
            Answering::Command(verb) => Some(verb),
            Answering::MessageContent => Some(Verb::Data),
            _ => None,
        };
        self.observed.push(Observation::Reply { verb, reply: reply.clone(), why: explanation.why.clone() });
        let state = self.state.clone();
        let event = Event::ReplySent { at, reply: reply.clone(), situation: None, state: state.clone(), envelope: self.envelope.clone(), fault: None };
        self.console.record_as(event, EntryKind::Reply { reply, explanation: Box::new(explanation), state });
    }

    /// Moves the state as the reply to `answered` does (RFC 5321 3.3, 4.1.4; RFC 3207, 4954).
    fn follow(&mut self, reply: &Reply, answered: Option<Awaiting>) {
        let ok = (200..300).contains(&reply.code);
        if reply.code == 421 {
            self.state.phase = Phase::Closed;
            return;
        }
        let greeted_phase = |s: &SessionState| if s.client_name.is_some() { Phase::Greeted } else { Phase::Connected };
        match answered {
            None => {
                if !ok {
                    self.state.phase = Phase::Closed;
                }
            }
            Some(Awaiting::Content) => {
                // Accepted or refused, the transaction is over (RFC 5321 4.1.1.4).
                self.envelope = Arc::default();
                self.state.phase = greeted_phase(&self.state);
            }
            Some(Awaiting::AuthAnswer) => self.after_auth_reply(reply),
            Some(Awaiting::Command { command: None, .. }) => {}
            Some(Awaiting::Command { command: Some(command), .. }) => match *command {
                Command::Helo { domain } if ok => self.greeted(domain, false),
                Command::Ehlo { domain } if ok => self.greeted(domain, true),
                Command::Mail { from, params } if ok => {
                    let envelope = Arc::make_mut(&mut self.envelope);
                    envelope.reverse_path = Some(from);
                    envelope.mail_params = params;
                    envelope.recipients.clear();
                    self.state.phase = Phase::Mail;
                }
                Command::Rcpt { to, params } if ok => {
                    Arc::make_mut(&mut self.envelope).recipients.push(Recipient { path: to, params });
                    self.state.phase = Phase::Recipients;
                }
                Command::Data if reply.code == 354 => self.state.phase = Phase::Data,
                Command::Bdat { last, .. } if ok => {
                    if last {
                        self.envelope = Arc::default();
                        self.state.phase = greeted_phase(&self.state);
                    } else {
                        self.state.phase = Phase::Chunking;
                    }
                }
                Command::Rset if ok => {
                    self.envelope = Arc::default();
                    self.state.phase = greeted_phase(&self.state);
                }
                Command::Quit if reply.code == 221 => self.state.phase = Phase::Closed,
                Command::StartTls if reply.code == 220 => self.state.phase = Phase::TlsHandshake,
                Command::Auth { .. } => {
                    if reply.code == 334 {
                        self.before_auth = self.state.phase;
                        self.state.phase = Phase::Authenticating;
                    } else {
                        self.before_auth = self.state.phase;
                        self.after_auth_reply(reply);
                    }
                }
                _ => {}
            },
        }
    }

    /// HELO/EHLO accepted: a new session state, any transaction ended (RFC 5321 4.1.4).
    fn greeted(&mut self, domain: CompactString, esmtp: bool) {
        self.state.client_name = Some(domain);
        self.state.esmtp = esmtp;
        self.state.phase = Phase::Greeted;
        self.envelope = Arc::default();
    }

    fn after_auth_reply(&mut self, reply: &Reply) {
        match reply.code {
            334 => self.state.phase = Phase::Authenticating,
            235 => {
                self.state.authenticated_as = Some(self.auth_user.take().unwrap_or_else(|| "(a user)".into()));
                self.state.phase = self.before_auth;
            }
            _ => {
                self.auth_user = None;
                self.state.phase = self.before_auth;
            }
        }
    }

    /// A control message from the bridge.
    pub fn control(&mut self, message: ToPage, at: u64) {
        let at = Timestamp(at);
        match message {
            ToPage::Connected { peer, resolved_from, .. } => {
                self.link = Link::Open;
                self.console.record(Event::Connected { at, client_ip: "smtp-bridge".into(), server: format!("{resolved_from} ({peer})") }, None);
            }
            ToPage::Tls { protocol, cipher, subject, issuer, not_after, verified, problem, .. } => {
                self.observed.push(Observation::TlsStarted);
                // A new session inside TLS: the client must greet again (RFC 3207 4.2).
                self.state = SessionState { tls: true, ..fresh_state() };
                self.envelope = Arc::default();
                let who = format!("{protocol}, {cipher}; certificate {subject}, issued by {issuer}, valid until {not_after}");
                let (text, tone) = if verified {
                    (format!("{TLS_STARTED}{who}); certificate verified. The client must send EHLO again."), Tone::Good)
                } else {
                    (
                        format!(
                            "{TLS_STARTED}{who}) — the certificate was NOT verified: {}. The bridge accepted it only because it runs with --insecure-lab.",
                            problem.unwrap_or_default()
                        ),
                        Tone::Warn,
                    )
                };
                self.console.record_as(Event::TlsStarted { at, protocol, cipher, simulated: false }, EntryKind::TlsStarted { text, tone });
            }
            ToPage::Closed { by, reason } => {
                self.link = Link::Closed;
                self.state.phase = Phase::Closed;
                self.observed.push(Observation::Closed { reason: reason.clone() });
                self.console.record(Event::Closed { at, by, reason }, None);
            }
            ToPage::Error { kind, message } => {
                self.link = Link::Closed;
                self.state.phase = Phase::Closed;
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
                self.console.notice(at, format!("{what}: {message}"), Tone::Warn);
            }
        }
    }

    /// The WebSocket to the bridge ended without the bridge saying why.
    pub fn link_lost(&mut self, at: u64) {
        if self.link != Link::Closed {
            self.control(ToPage::Closed { by: Closer::Bridge, reason: "the connection to the bridge ended".into() }, at);
        }
    }
}

/// The user of an `AUTH PLAIN` response (`\0user\0password` in base64), if it is one.
fn plain_user(base64: &str) -> Option<CompactString> {
    let bytes = STANDARD.decode(base64.trim()).ok()?;
    let mut parts = bytes.split(|b| *b == 0);
    let (_authzid, user, _password) = (parts.next()?, parts.next()?, parts.next()?);
    Some(String::from_utf8_lossy(user).as_ref().into())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::timeline::RowKind;
    use smtp_protocol::expected::Expectation;

    fn connected() -> RealSession {
        let mut session = RealSession::default();
        session.connecting("mx1.example.org", 25, Security::Plain, 0);
        session.control(ToPage::Connected { v: 1, peer: "192.0.2.25:25".into(), resolved_from: "mx1.example.org".into() }, 1);
        session.server_bytes(b"220 mx1.example.org ESMTP\r\n", 2);
        session
    }

    fn last_reply(session: &RealSession) -> (Reply, Box<smtp_protocol::explain::Explanation>) {
        session
            .console
            .entries
            .iter()
            .rev()
            .find_map(|e| match &e.kind {
                EntryKind::Reply { reply, explanation, .. } => Some((reply.clone(), explanation.clone())),
                _ => None,
            })
            .expect("a reply")
    }

    #[test]
    fn real_replies_are_explained_for_the_command_they_answer() {
        let mut session = connected();
        session.client_sent("RCPT TO:<a@b.example>\r\n", 3);
        session.server_bytes(b"503 5.5.1 Error: need MAIL", 4);
        session.server_bytes(b" command\r\n", 5);
        let (reply, explanation) = last_reply(&session);
        assert_eq!(reply.code, 503);
        assert!(explanation.why.contains("in answer to RCPT"), "{}", explanation.why);
        // The code, enhanced code and command name the situation: its own explanation follows.
        assert!(explanation.why.contains("RCPT came before MAIL FROM"), "{}", explanation.why);
        assert_eq!(explanation.headline, "MAIL FROM first");
        assert_eq!(explanation.expectation, Expectation::Error);
        assert_eq!(explanation.enhanced.as_ref().unwrap().detail, "Invalid command");
    }

    #[test]
    fn a_500_to_an_unknown_verb_is_what_rfc_5321_expects() {
        let mut session = connected();
        session.client_sent("HELLO there\r\n", 3);
        session.server_bytes(b"500 5.5.2 Error: command not recognized\r\n", 4);
        let (_, explanation) = last_reply(&session);
        assert_eq!(explanation.expectation, Expectation::NoCommand);
        assert!(explanation.why.contains("did not recognise"), "{}", explanation.why);
    }

    /// The state band follows the replies as the simulator's does, pipelined replies included.
    #[test]
    fn the_state_follows_mail_rcpt_data_and_the_end_of_data() {
        let mut session = connected();
        session.client_sent("EHLO student.example\r\n", 3);
        session.server_bytes(b"250-mx1.example.org\r\n250 PIPELINING\r\n", 4);
        // Pipelined: both replies arrive after both commands were sent.
        session.client_sent("MAIL FROM:<s@example.org>\r\nRCPT TO:<bob@example.org>\r\n", 5);
        session.server_bytes(b"250 2.1.0 Ok\r\n250 2.1.5 Ok\r\n", 6);
        session.client_sent("DATA\r\n", 7);
        session.server_bytes(b"354 End data with <CR><LF>.<CR><LF>\r\n", 8);
        assert!(session.in_data());
        session.client_sent("Subject: hi\r\n\r\nhello\r\n.\r\n", 9);
        session.server_bytes(b"250 2.0.0 Ok: queued as 1234\r\n", 10);
        // The 250 after the dot answers the message content, not the DATA command.
        let (_, queued) = last_reply(&session);
        assert!(queued.why.contains("to the message content"), "{}", queued.why);
        assert_eq!(queued.headline, "Message accepted and queued for delivery");
        session.client_sent("QUIT\r\n", 11);
        session.server_bytes(b"221 2.0.0 Bye\r\n", 12);
        let (_, bye) = last_reply(&session);
        assert!(bye.class_meaning.contains("closes the connection"), "{}", bye.class_meaning);
        let states: Vec<String> =
            session.console.rows(0..session.console.entries.len()).into_iter().filter(|row| matches!(row.kind, RowKind::ToClient { .. })).map(|row| row.state).collect();
        assert_eq!(states, ["connected", "greeted", "mail", "recipients", "data", "greeted", "closed"]);
        // The count of lines agrees with the arrows drawn.
        let arrows = session.console.rows(0..session.console.entries.len()).iter().filter(|r| !matches!(r.kind, RowKind::Marker { .. })).count();
        assert_eq!(session.console.lines_exchanged(), arrows);
        // The envelope is followed too, and kept in the events the JSON export writes.
        let Event::ReplySent { envelope, .. } = session.console.events.iter().filter(|e| matches!(e, Event::ReplySent { .. })).nth(3).unwrap() else { panic!() };
        assert_eq!(envelope.recipient_addresses(), ["bob@example.org"]);
    }

    #[test]
    fn starttls_and_auth_are_followed() {
        let mut session = connected();
        session.client_sent("EHLO a\r\nSTARTTLS\r\n", 3);
        session.server_bytes(b"250 mx1\r\n220 2.0.0 Ready to start TLS\r\n", 4);
        let tls = ToPage::Tls {
            protocol: "TLSv1.3".into(),
            cipher: "TLS13_AES_128_GCM_SHA256".into(),
            subject: "CN=mx1".into(),
            issuer: "CN=ca".into(),
            not_before: String::new(),
            not_after: "2030".into(),
            verified: true,
            problem: None,
        };
        session.control(tls, 5);
        session.client_sent("EHLO a\r\nAUTH LOGIN\r\n", 6);
        session.server_bytes(b"250 mx1\r\n334 VXNlcm5hbWU6\r\n", 7);
        session.client_sent("c3R1ZGVudA==\r\n", 8);
        session.server_bytes(b"334 UGFzc3dvcmQ6\r\n", 9);
        session.client_sent("c2VjcmV0\r\n", 10);
        session.server_bytes(b"235 2.7.0 Authentication successful\r\n", 11);
        let state = session.state();
        assert!(state.tls);
        assert_eq!(state.authenticated_as.as_deref(), Some("student"));
        assert_eq!(state.phase, Phase::Greeted);
        let decoded: Vec<_> = session
            .console
            .entries
            .iter()
            .filter_map(|e| match &e.kind {
                EntryKind::AuthAnswer { decoded, .. } => decoded.clone(),
                _ => None,
            })
            .collect();
        assert_eq!(decoded, ["student", "******"]);
        // The password's base64 is not in the export.
        assert!(!session.console.transcript().contains("c2VjcmV0"), "{}", session.console.transcript());
        assert!(!session.console.json().contains("c2VjcmV0"));
        assert!(session.console.rows(0..session.console.entries.len()).last().unwrap().state.ends_with("· TLS"));
    }

    #[test]
    fn the_json_export_is_the_simulators_event_schema() {
        let mut session = connected();
        session.client_sent("NOOP\r\n", 3);
        session.server_bytes(b"250 2.0.0 Ok\r\n", 4);
        session.control(ToPage::Closed { by: Closer::Server, reason: "the server closed the connection".into() }, 5);
        let events: Vec<Event> = serde_json::from_str(&session.console.json()).expect("the export reads back as events");
        assert_eq!(events, session.console.events);
        let kinds: Vec<&str> = events
            .iter()
            .map(|e| match e {
                Event::Connected { .. } => "connected",
                Event::LineReceived { .. } => "line",
                Event::ReplySent { .. } => "reply",
                Event::Closed { .. } => "closed",
                _ => "other",
            })
            .collect();
        assert_eq!(kinds, ["connected", "reply", "line", "reply", "closed"]);
        assert!(session.console.transcript().contains("C: NOOP\nS: 250 2.0.0 Ok\n"), "{}", session.console.transcript());
    }

    #[test]
    fn data_lines_after_354_are_content_until_the_dot() {
        let mut session = connected();
        session.client_sent("DATA\r\n", 3);
        session.server_bytes(b"354 go ahead\r\n", 4);
        session.client_sent("Subject: x\r\n\r\n.hidden\r\n.\r\n", 5);
        assert!(!session.in_data());
        let data = session.console.entries.iter().filter(|e| matches!(e.kind, EntryKind::Data { .. })).count();
        assert_eq!(data, 4);
        session.client_sent("QUIT\r\n", 6);
        assert!(matches!(session.console.entries.last().unwrap().kind, EntryKind::Command { .. }));
    }

    #[test]
    fn odd_lines_and_failures_are_said_plainly() {
        let mut session = RealSession::default();
        session.server_bytes(b"HTTP/1.1 400 Bad Request\r\n", 1);
        assert!(matches!(&session.console.entries[0].kind, EntryKind::Notice { text, .. } if text.contains("not an SMTP reply")));
        session.unreachable("ws://127.0.0.1:9/bridge", 2);
        assert!(matches!(&session.console.entries[1].kind, EntryKind::Notice { text, .. } if text.contains("cargo xtask serve")));
        session.control(ToPage::Error { kind: ErrorKind::NotAllowed, message: "x:25 is not on this bridge's allow-list".into() }, 3);
        assert_eq!(session.link, Link::Closed);
    }

    /// A reconnect starts the state over; the console keeps the earlier session above it.
    #[test]
    fn a_new_connection_starts_the_state_over() {
        let mut session = connected();
        session.client_sent("EHLO a\r\nMAIL FROM:<a@b>\r\n", 3);
        session.server_bytes(b"250 mx1\r\n250 Ok\r\n", 4);
        assert_eq!(session.state().phase, Phase::Mail);
        let before = session.console.entries.len();
        session.connecting("mx1.example.org", 25, Security::Plain, 5);
        session.control(ToPage::Connected { v: 1, peer: "192.0.2.25:25".into(), resolved_from: "mx1.example.org".into() }, 6);
        session.server_bytes(b"220 mx1.example.org ESMTP\r\n", 7);
        assert_eq!(session.state().phase, Phase::Connected);
        assert!(session.console.entries.len() > before);
        let (reply, explanation) = last_reply(&session);
        assert_eq!(reply.code, 220);
        assert_eq!(explanation.expectation, Expectation::Success);
    }
}
