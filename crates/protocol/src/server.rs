//! The simulated server: one SMTP session as a sans-IO state machine.
//!
//! Call order, as in quinn-proto: feed inputs with the `handle_*` methods (client bytes, the
//! end of a TLS handshake, a timer expiry, the client closing), then drain outputs with
//! [`Server::poll_transmit`] (bytes to send), [`Server::poll_event`] (what happened) and
//! [`Server::poll_timeout`] (when to call [`Server::handle_timeout`] next). Time is always passed
//! in; nothing here reads a clock, opens a socket or touches JS.
//!
//! One `Server` is one connection. [`Server::reconnect`] starts a new connection to the same
//! server, keeping its mail store and greylist, as a real server keeps them across clients.

mod auth;
mod faults;
mod greeting;
mod host;
mod replies;
mod transaction;

use crate::command::{ParsedCommand, SyntaxError, SyntaxErrorKind, Verb, parse_command};
use crate::event::{ClientLine, Closer, Event};
use crate::fault::{AppliedFault, Counts, HostCounts};
use crate::framing::{ChunkReader, ContentReport, DataReader, Frame, InputBuffer, LineReader};
use crate::preset::ProfileName;
use crate::profile::{ServerConfig, ServerPolicy};
use crate::session::{Envelope, Phase, SessionState};
use crate::situation::Situation;
use crate::time::Timestamp;
use compact_str::CompactString;
use serde::{Deserialize, Serialize};
use std::collections::{HashMap, VecDeque};

pub use auth::{AuthMechanism, masked, visible};

/// Who is connecting: the client's address as the server sees it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Peer {
    pub ip: String,
}

impl Default for Peer {
    fn default() -> Self {
        Peer { ip: "192.0.2.10".into() }
    }
}

/// AUTH exchange in progress.
#[derive(Debug, Clone)]
struct AuthExchange {
    mechanism: AuthMechanism,
    user: Option<String>,
    resume: Phase,
}

/// A BDAT chunk being read; `refusal` is replied once its octets are consumed.
#[derive(Debug)]
struct ChunkInProgress {
    reader: ChunkReader,
    last: bool,
    size: u64,
    refusal: Option<Situation>,
}

/// What the host does next for this connection ([`Server::next_step`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    /// Read the client's bytes and pass them to [`Server::handle_input`].
    Read,
    /// STARTTLS was accepted: do the TLS handshake, then call
    /// [`Server::handle_tls_established`] (or [`Server::handle_tls_failed`]). Bytes that arrive
    /// before it are not commands (RFC 3207 4.2: pipelined commands after STARTTLS are dropped).
    TlsHandshake,
    /// The connection is over: send what [`Server::poll_transmit`] still has, then close.
    Close,
}

/// What lives as long as one connection: a reconnect replaces it whole.
#[derive(Debug)]
struct Connection {
    phase: Phase,
    client_name: Option<CompactString>,
    esmtp: bool,
    tls: bool,
    authenticated_as: Option<CompactString>,
    input: InputBuffer,
    lines: LineReader,
    /// The command line being handled, in an allocation kept from line to line.
    line: Vec<u8>,
    auth: Option<AuthExchange>,
    errors: u32,
    last_activity: Timestamp,
    /// Gmail's per-session tag in its replies.
    tag: String,
    /// Occurrences the fault rules count.
    counts: Counts,
    /// Messages accepted on this connection.
    accepted: u32,
    /// A reply a delay rule holds back, and until when; input waits behind it.
    held: Option<faults::Held>,
    /// The rule behind the next reply (the explanation names it).
    fault: Option<AppliedFault>,
    /// A rule's accepting reply, sent in place of the usual one.
    substitute: Option<faults::Substitute>,
}

impl Connection {
    fn new(now: Timestamp, counts: Counts) -> Self {
        Connection {
            phase: Phase::Connected,
            client_name: None,
            esmtp: false,
            tls: false,
            authenticated_as: None,
            input: InputBuffer::default(),
            lines: LineReader::default(),
            line: Vec::new(),
            auth: None,
            errors: 0,
            last_activity: now,
            tag: String::new(),
            counts,
            accepted: 0,
            held: None,
            fault: None,
            substitute: None,
        }
    }
}

/// One mail transaction, from MAIL FROM to the end of its content: RSET, HELO/EHLO, STARTTLS,
/// the end of a message and a reconnect each replace it whole, so nothing of an abandoned
/// transfer (a BDAT chunk without LAST) reaches the next message.
#[derive(Debug, Default)]
struct Transaction {
    envelope: std::sync::Arc<Envelope>,
    data: Option<DataReader>,
    chunk: Option<ChunkInProgress>,
    /// BDAT content so far, and what was measured of it.
    chunk_content: Vec<u8>,
    chunk_report: ContentReport,
    /// DATA content octets so far (for `data after K octets` rules).
    octets: u64,
}

use host::Host;

pub struct Server {
    config: ServerConfig,
    peer: Peer,
    conn: Connection,
    txn: Transaction,
    host: Host,
    // Outputs.
    transmit: Vec<u8>,
    events: VecDeque<Event>,
}

impl Server {
    /// A client connects: the greeting is queued.
    pub fn new(config: ServerConfig, peer: Peer, now: Timestamp) -> Self {
        let rng = config.seed ^ 0x9E37_79B9_7F4A_7C15;
        let host = Host { messages: Vec::new(), greylist: HashMap::new(), rng };
        let mut server = Server { config, peer, conn: Connection::new(now, Counts::default()), txn: Transaction::default(), host, transmit: Vec::new(), events: VecDeque::new() };
        server.connect(now);
        server
    }

    /// A new connection to the same server: the connection and the transaction start afresh,
    /// the mail and the greylist are kept.
    pub fn reconnect(&mut self, now: Timestamp) {
        if self.conn.phase != Phase::Closed {
            self.close(now, Closer::Client, "client reconnected");
        }
        self.conn = Connection::new(now, self.conn.counts.next_connection());
        self.txn = Transaction::default();
        self.connect(now);
    }

    /// A new server whose fault rules count `across sessions` together with other `Server`s
    /// sharing `counts` (a host running one `Server` per connection passes the same counts to
    /// each). Call it before any input: the greeting is counted when it is sent.
    pub fn with_shared_counts(config: ServerConfig, peer: Peer, now: Timestamp, counts: std::sync::Arc<HostCounts>) -> Self {
        let rng = config.seed ^ 0x9E37_79B9_7F4A_7C15;
        let host = Host { messages: Vec::new(), greylist: HashMap::new(), rng };
        let counts = Counts::shared(counts);
        let mut server = Server { config, peer, conn: Connection::new(now, counts), txn: Transaction::default(), host, transmit: Vec::new(), events: VecDeque::new() };
        server.connect(now);
        server
    }

    /// What the host does next: read, do the TLS handshake, or close.
    pub fn next_step(&self) -> Step {
        match self.conn.phase {
            Phase::Closed => Step::Close,
            Phase::TlsHandshake => Step::TlsHandshake,
            _ => Step::Read,
        }
    }

    fn connect(&mut self, now: Timestamp) {
        self.conn.last_activity = now;
        self.conn.tag = self.session_tag();
        self.events.push_back(Event::Connected { at: now, client_ip: self.peer.ip.clone(), server: self.config.policy.hostname.clone() });
        self.greet(now);
    }

    pub fn config(&self) -> &ServerConfig {
        &self.config
    }
    pub fn policy(&self) -> &ServerPolicy {
        &self.config.policy
    }
    pub fn profile(&self) -> ProfileName {
        self.config.profile
    }

    /// What this server is like beyond its knobs: its words, EHLO list and habits.
    pub fn persona(&self) -> &crate::persona::Persona {
        self.config.persona()
    }

    /// Changes the policy; what is read at connection time applies from the next connection.
    pub fn set_policy(&mut self, policy: ServerPolicy) {
        self.config.policy = policy;
    }

    /// Changes the server's own persona (`None`: its profile's): its words apply to the next
    /// reply, its banner and EHLO list from the next connection.
    pub fn set_persona(&mut self, persona: Option<std::sync::Arc<crate::persona::OwnPersona>>) {
        self.config.persona = persona;
    }

    /// Changes the profile (its wording applies to the next reply) and its default policy.
    pub fn set_profile(&mut self, profile: ProfileName) {
        self.config.profile = profile;
        self.config.persona = None;
        self.config.policy = ServerPolicy::for_profile(profile);
    }

    pub fn state(&self) -> SessionState {
        SessionState {
            phase: self.conn.phase,
            client_name: self.conn.client_name.clone(),
            esmtp: self.conn.esmtp,
            tls: self.conn.tls,
            authenticated_as: self.conn.authenticated_as.clone(),
        }
    }

    pub fn envelope(&self) -> &Envelope {
        &self.txn.envelope
    }

    pub fn is_closed(&self) -> bool {
        self.conn.phase == Phase::Closed
    }

    /// Octets received but not yet consumed (bounded by the line limits; for tests and metrics).
    pub fn buffered_input(&self) -> usize {
        self.conn.input.len()
    }

    /// Bytes from the client. Complete commands are answered in order (PIPELINING).
    pub fn handle_input(&mut self, bytes: &[u8], now: Timestamp) {
        if self.conn.phase == Phase::Closed {
            return;
        }
        self.conn.last_activity = now;
        let mut bytes = bytes;
        // Message text is read straight from the caller's bytes when nothing waits before it:
        // one copy of a message, not two.
        if self.conn.phase == Phase::Data
            && self.conn.held.is_none()
            && self.conn.input.is_empty()
            && let Some(reader) = self.txn.data.as_mut()
        {
            let (done, used) = reader.read(bytes);
            bytes = &bytes[used..];
            if !self.data_read(now, done) {
                self.conn.input.push(bytes);
                return;
            }
        }
        self.conn.input.push(bytes);
        self.process(now);
    }

    /// After a read of message text: its lines to the transcript, and the message concluded once
    /// it ended. False while input must wait (more text to come, or a rule holds it).
    fn data_read(&mut self, now: Timestamp, done: bool) -> bool {
        let Some(reader) = self.txn.data.as_mut() else { return false };
        let lines = reader.take_lines();
        let count = lines.count();
        for (i, line) in lines.iter().enumerate() {
            let kind = if done && i + 1 == count && line == b".\r\n" { ClientLine::DataEnd } else { ClientLine::Data };
            self.events.push_back(Event::LineReceived { at: now, raw: lossy(line), line: kind.clone(), bare_lf: false });
            if kind == ClientLine::Data && self.content_fault(now, line.len()) {
                return false;
            }
        }
        if !done {
            return false;
        }
        let (content, report) = self.txn.data.take().expect("reader present").finish();
        self.finish_message(now, content, report, false);
        true
    }

    /// The client closed its side of the connection.
    pub fn handle_client_close(&mut self, now: Timestamp) {
        if self.conn.phase != Phase::Closed {
            let reason = if matches!(self.conn.phase, Phase::Data | Phase::Chunking) {
                "client disconnected during the message; nothing was queued"
            } else {
                "client disconnected without QUIT"
            };
            self.close(now, Closer::Client, reason);
        }
    }

    /// The host finished the TLS handshake (or simulated it): the session starts over inside
    /// TLS, and the client must send EHLO again (RFC 3207 4.2).
    pub fn handle_tls_established(&mut self, now: Timestamp, protocol: &str, cipher: &str, simulated: bool) {
        if self.conn.phase != Phase::TlsHandshake {
            return;
        }
        let (errors, tag) = (self.conn.errors, std::mem::take(&mut self.conn.tag));
        let (counts, accepted) = (self.conn.counts.clone(), self.conn.accepted);
        self.conn = Connection { tls: true, errors, tag, accepted, ..Connection::new(now, counts) };
        self.txn = Transaction::default();
        self.events.push_back(Event::TlsStarted { at: now, protocol: protocol.into(), cipher: cipher.into(), simulated });
    }

    /// The host's TLS handshake failed: the connection is over.
    pub fn handle_tls_failed(&mut self, now: Timestamp, reason: &str) {
        if self.conn.phase == Phase::TlsHandshake {
            self.close(now, Closer::Server, &format!("TLS handshake failed: {reason}"));
        }
    }

    /// When to call [`Server::handle_timeout`]: a reply held by a delay rule is due, or the
    /// idle deadline.
    pub fn poll_timeout(&self) -> Option<Timestamp> {
        match &self.conn.held {
            Some(held) if self.conn.phase != Phase::Closed => Some(held.until),
            _ => self.idle_deadline(),
        }
    }

    /// When the reply a delay rule holds is due, if one is held.
    pub fn held_until(&self) -> Option<Timestamp> {
        self.conn.held.as_ref().map(|held| held.until)
    }

    /// The deadline after which [`Server::handle_timeout`] closes an idle session.
    pub fn idle_deadline(&self) -> Option<Timestamp> {
        (self.conn.phase != Phase::Closed).then(|| self.conn.last_activity.plus_secs(self.config.policy.idle_timeout_secs))
    }

    pub fn handle_timeout(&mut self, now: Timestamp) {
        if self.conn.held.as_ref().is_some_and(|held| now >= held.until) {
            self.release(now);
            self.process(now);
            return;
        }
        match self.idle_deadline() {
            Some(deadline) if now >= deadline => {
                self.reply(now, Situation::IdleTimeout, &[]);
                self.close(now, Closer::Server, "idle timeout");
            }
            _ => {}
        }
    }

    /// Bytes to send to the client, if any.
    pub fn poll_transmit(&mut self) -> Option<Vec<u8>> {
        (!self.transmit.is_empty()).then(|| std::mem::take(&mut self.transmit))
    }

    /// As [`Server::poll_transmit`] into the caller's buffer, which trades places with the
    /// server's: a host that writes every reply keeps two buffers instead of allocating one a
    /// reply. `out` is cleared first; false when there is nothing to send.
    pub fn poll_transmit_into(&mut self, out: &mut Vec<u8>) -> bool {
        out.clear();
        std::mem::swap(out, &mut self.transmit);
        !out.is_empty()
    }

    pub fn poll_event(&mut self) -> Option<Event> {
        self.events.pop_front()
    }

    fn process(&mut self, now: Timestamp) {
        loop {
            if self.conn.held.is_some() {
                return self.hold_input(now);
            }
            match self.conn.phase {
                Phase::Closed => {
                    self.conn.input.clear();
                    return;
                }
                Phase::TlsHandshake => return,
                Phase::Data => {
                    let Some(reader) = self.txn.data.as_mut() else { return };
                    let done = reader.feed(&mut self.conn.input);
                    if !self.data_read(now, done) {
                        return;
                    }
                }
                _ if self.txn.chunk.is_some() => {
                    let limit = self.config.policy.message_size_limit();
                    let chunk = self.txn.chunk.as_mut().expect("checked");
                    let complete = if chunk.refusal.is_some() {
                        // A refused chunk's octets still follow on the wire: read and drop them.
                        chunk.reader.feed(&mut self.conn.input, &mut Vec::new(), &mut ContentReport::default(), 0)
                    } else {
                        chunk.reader.feed(&mut self.conn.input, &mut self.txn.chunk_content, &mut self.txn.chunk_report, limit)
                    };
                    if !complete {
                        return;
                    }
                    self.finish_chunk(now);
                }
                _ => {
                    let max = if self.conn.phase == Phase::Authenticating { 12_288 } else { self.config.policy.max_command_line.saturating_sub(2) };
                    match self.conn.lines.next_frame(&mut self.conn.input, max, &mut self.conn.line) {
                        None => return,
                        Some(Frame::Line) => {
                            // Lent out while the line is handled (the handlers take `&mut self`).
                            let line = std::mem::take(&mut self.conn.line);
                            if self.conn.phase == Phase::Authenticating {
                                self.auth_response(now, &line);
                            } else {
                                self.command_line(now, &line);
                            }
                            self.conn.line = line;
                        }
                        Some(Frame::LineTooLong { length }) => {
                            self.events.push_back(Event::LineReceived {
                                at: now,
                                raw: compact_str::format_compact!("({length} octets)"),
                                line: ClientLine::TooLong { length },
                                bare_lf: false,
                            });
                            if self.conn.phase == Phase::Authenticating {
                                self.finish_auth(now, Situation::AuthCancelled);
                            } else {
                                self.reply(now, Situation::CommandLineTooLong, &[]);
                            }
                        }
                    }
                }
            }
        }
    }

    fn command_line(&mut self, now: Timestamp, line: &[u8]) {
        let parsed = parse_command(line, self.config.policy.leniency);
        self.events.push_back(Event::LineReceived { at: now, raw: lossy(line), line: ClientLine::Command { parsed: Box::new(parsed.clone()) }, bare_lf: self.conn.lines.bare_lf });
        if !self.config.policy.faults.is_empty() {
            return self.command_with_rules(now, parsed);
        }
        self.answer(now, parsed);
    }

    /// The server's own answer to a command line.
    fn answer(&mut self, now: Timestamp, parsed: Result<ParsedCommand, SyntaxError>) {
        // A command the server does not know is unknown whatever its arguments.
        let verb = match &parsed {
            Ok(p) => Some(p.command.verb()),
            Err(e) => e.verb,
        };
        if let Some(verb) = verb {
            if self.config.policy.unrecognized.contains(&verb) {
                return self.reply(now, Situation::UnknownCommand, &[("verb", verb.name())]);
            }
            if self.config.policy.not_implemented.contains(&verb) {
                return self.reply(now, Situation::NotImplemented, &[("verb", verb.name())]);
            }
        }
        match parsed {
            Ok(ParsedCommand { command, .. }) => self.dispatch(now, command),
            Err(error) => self.syntax_error(now, &error),
        }
    }

    fn syntax_error(&mut self, now: Timestamp, error: &SyntaxError) {
        let syntax = error.expected().unwrap_or("a command in ASCII text");
        // Postfix answers a malformed MAIL/RCPT/DATA/BDAT out of order with the order error.
        let out_of_order = error.verb.and_then(|verb| matches!(verb, Verb::Mail | Verb::Rcpt | Verb::Data | Verb::Bdat).then(|| self.sequence_error(verb)).flatten());
        match (&error.kind, error.verb) {
            (SyntaxErrorKind::EmptyLine, _) => self.reply(now, Situation::EmptyCommand, &[]),
            (SyntaxErrorKind::UnknownVerb { verb }, _) if self.persona().hangs_up_on_header_lines && is_non_smtp(verb) => {
                // smtpd.c: a header or an HTTP request at the command prompt ends the session.
                self.reply(now, Situation::NonSmtpCommand, &[]);
                self.close(now, Closer::Server, "a mail header or web request sent as a command");
            }
            (SyntaxErrorKind::UnknownVerb { verb }, _) => {
                let verb = verb.clone();
                self.reply(now, Situation::UnknownCommand, &[("verb", &verb)])
            }
            _ if out_of_order.is_some() => self.reply(now, out_of_order.expect("checked"), &[]),
            (SyntaxErrorKind::UnknownParameter { name } | SyntaxErrorKind::BadParameterValue { name } | SyntaxErrorKind::DuplicateParameter { name }, _) => {
                let name = name.clone();
                self.reply(now, Situation::ParameterUnknown, &[("detail", &name), ("syntax", syntax)])
            }
            (SyntaxErrorKind::Address(_) | SyntaxErrorKind::MissingAngleBrackets | SyntaxErrorKind::SpaceAfterColon, Some(Verb::Mail)) => {
                self.reply(now, Situation::SenderSyntax, &[("syntax", syntax)])
            }
            (SyntaxErrorKind::Address(_) | SyntaxErrorKind::MissingAngleBrackets | SyntaxErrorKind::SpaceAfterColon, Some(Verb::Rcpt)) => {
                self.reply(now, Situation::RecipientSyntax, &[("syntax", syntax)])
            }
            (_, Some(Verb::Helo | Verb::Ehlo)) => self.reply(now, Situation::GreetingSyntax, &[("syntax", syntax)]),
            _ => self.reply(now, Situation::SyntaxError, &[("syntax", syntax)]),
        }
    }

    /// Postfix checks the order of MAIL, RCPT and DATA before their arguments.
    fn sequence_error(&self, verb: Verb) -> Option<Situation> {
        let no_helo = self.conn.phase == Phase::Connected && self.config.policy.helo_required;
        match (verb, self.conn.phase) {
            (Verb::Mail, Phase::Connected) if no_helo => Some(Situation::HeloRequired),
            (Verb::Mail, Phase::Mail | Phase::Recipients) => Some(Situation::NestedMail),
            (Verb::Mail | Verb::Rcpt | Verb::Data, Phase::Chunking) => Some(Situation::BdatInProgress),
            (Verb::Rcpt, Phase::Connected | Phase::Greeted) => Some(Situation::MailRequired),
            // Postfix: no accepted recipient inside a transaction is "no valid recipients".
            (Verb::Data, Phase::Mail) if self.persona().no_valid_recipients_at_data => Some(Situation::NoValidRecipients),
            (Verb::Data, Phase::Connected | Phase::Greeted | Phase::Mail) => Some(Situation::RecipientRequired),
            (Verb::Bdat, Phase::Connected | Phase::Greeted) => Some(Situation::MailRequired),
            (Verb::Bdat, Phase::Mail) => Some(Situation::RecipientRequired),
            _ => None,
        }
    }

    fn dispatch(&mut self, now: Timestamp, command: crate::command::Command) {
        use crate::command::Command::*;
        match command {
            Helo { domain } => self.helo(now, domain, false),
            Ehlo { domain } => self.helo(now, domain, true),
            Mail { from, params } => self.mail(now, from, params),
            Rcpt { to, params } => self.rcpt(now, to, params),
            Data => self.data_command(now),
            Bdat { size, last } => self.bdat(now, size, last),
            Rset => {
                self.reset_transaction();
                self.reply(now, Situation::ResetDone, &[]);
            }
            Noop => self.reply(now, Situation::NoopDone, &[]),
            Quit => {
                self.reply(now, Situation::Closing, &[]);
                self.close(now, Closer::Client, "QUIT");
            }
            Vrfy { argument } => self.vrfy(now, &argument),
            Etrn { domain } => self.etrn(now, &domain),
            Expn { argument } => {
                if self.config.policy.expn_enabled {
                    self.vrfy(now, &argument)
                } else {
                    self.reply(now, Situation::ExpnDisabled, &[])
                }
            }
            Help { .. } => self.reply(now, Situation::HelpText, &[]),
            Auth { mechanism, initial_response } => self.auth_command(now, &mechanism, initial_response),
            StartTls => self.starttls(now),
            // The z/OS server's queues: the simulator delivers at once, so they are empty.
            Queu { date } => self.reply(now, Situation::QueueListed, &[("detail", if date { " (with ages)" } else { "" })]),
            Tick { id } => self.reply(now, Situation::TicketNoted, &[("detail", &id)]),
            Verbose { on } => self.reply(now, if on { Situation::VerboseOn } else { Situation::VerboseOff }, &[]),
        }
    }

    /// ETRN (RFC 1985): Postfix advertises and answers it (refusing, with no mail held for
    /// the domain); the other profiles do not know it (`unrecognized`).
    fn etrn(&mut self, now: Timestamp, domain: &str) {
        if self.conn.client_name.is_none() && self.config.policy.helo_required {
            return self.reply(now, Situation::HeloRequired, &[]);
        }
        if matches!(self.conn.phase, Phase::Mail | Phase::Recipients | Phase::Chunking) {
            return self.reply(now, Situation::EtrnDuringTransaction, &[]);
        }
        let domain = domain.trim_start_matches(['@', '#']);
        self.reply(now, Situation::EtrnRefused, &[("address", domain)]);
    }

    /// Ends the transaction in progress (RSET, HELO/EHLO, after a message) and returns it, for
    /// what it leaves behind (a message's envelope).
    fn reset_transaction(&mut self) -> Transaction {
        let ended = std::mem::take(&mut self.txn);
        if matches!(self.conn.phase, Phase::Mail | Phase::Recipients | Phase::Chunking | Phase::Data) {
            self.conn.phase = Phase::Greeted;
        }
        if self.conn.phase == Phase::Connected && self.conn.client_name.is_some() {
            self.conn.phase = Phase::Greeted;
        }
        ended
    }

    fn close(&mut self, now: Timestamp, by: Closer, reason: &str) {
        self.conn.phase = Phase::Closed;
        self.conn.held = None;
        self.txn = Transaction::default();
        self.conn.auth = None;
        self.conn.input.clear();
        self.events.push_back(Event::Closed { at: now, by, reason: reason.to_string() });
    }
}

/// Postfix's test for a line that is no SMTP command at all: a header name with its colon
/// (`Subject:`), or an HTTP method (its default `smtpd_forbidden_commands`).
fn is_non_smtp(word: &str) -> bool {
    let header = word.len() > 1 && word.ends_with(':') && word[..word.len() - 1].bytes().all(|b| b.is_ascii_graphic() && b != b':');
    header || ["CONNECT", "GET", "POST"].iter().any(|m| word.eq_ignore_ascii_case(m))
}

/// A line as text for the record (kept inline up to 24 bytes, as most commands are).
pub(crate) fn lossy(bytes: &[u8]) -> CompactString {
    // Valid UTF-8, the usual case, is checked in one pass; the lossy decoder walks it in chunks.
    match std::str::from_utf8(bytes) {
        Ok(text) => CompactString::from(text),
        Err(_) => CompactString::from(String::from_utf8_lossy(bytes)),
    }
}
