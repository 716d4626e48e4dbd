//! Fault rules applied ([`crate::fault`]): at the greeting, at each command line, at the end
//! of a message and K octets into one, the first rule that matches decides the reply.
//!
//! A refusing reply (4xx, 5xx) replaces the command's handling: nothing changes, as when a real
//! server refuses. An accepting reply (2xx, 3xx) replaces the usual reply's words, and where the
//! server would have refused, the command takes effect anyway (MAIL sets the sender, RCPT adds
//! the recipient, DATA opens the content, HELO/EHLO greet): the what-if of "had it accepted".

use super::{Server, Transaction};
use crate::command::{Command, ParsedCommand, SyntaxError, Verb};
use crate::event::{Closer, Event};
use crate::fault::{Action, AppliedFault, FaultRule, Moment, Occurrence, matching};
use crate::framing::ContentReport;
use crate::reply::Reply;
use crate::session::{Phase, Recipient, path_address};
use crate::situation::Situation;
use crate::time::Timestamp;

/// Input the client sends while a reply is held is kept, up to this, for after it.
const HELD_INPUT_LIMIT: usize = 1 << 20;

/// A reply a delay rule holds back.
#[derive(Debug)]
pub(crate) struct Held {
    pub until: Timestamp,
    what: Holding,
    fault: AppliedFault,
}

#[derive(Debug)]
enum Holding {
    Greeting,
    Command(Result<ParsedCommand, SyntaxError>),
    Message { content: Vec<u8>, report: ContentReport, chunked: bool },
}

/// An accepting reply waiting for the command's usual one, which it replaces.
#[derive(Debug)]
pub(crate) struct Substitute {
    reply: Reply,
    fault: AppliedFault,
    /// Set once sent: the event's index, and whether the server would have refused.
    sent: Option<(usize, bool)>,
}

/// The rule found, numbered as the Server tab lists them: a teacher's rules count among
/// themselves, a branch's what-if choices apart.
fn rule_at(rules: &[FaultRule], found: Option<(usize, &FaultRule)>) -> Option<(AppliedFault, FaultRule)> {
    found.map(|(i, rule)| (AppliedFault::new(rules[..i].iter().filter(|r| r.what_if == rule.what_if).count(), rule), rule.clone()))
}

impl Server {
    /// The greeting, unless a rule says otherwise.
    pub(super) fn greet(&mut self, now: Timestamp) {
        if self.config.policy.faults.is_empty() {
            return self.reply(now, Situation::Greeting, &[]);
        }
        self.conn.counts.count(&Moment::Greeting);
        let occurrence = Occurrence { verb: None, address: None, messages: 0 };
        let rules = &self.config.policy.faults;
        let Some((fault, rule)) = rule_at(rules, matching(rules, &Moment::Greeting, &occurrence, &self.conn.counts)) else {
            return self.reply(now, Situation::Greeting, &[]);
        };
        match rule.then {
            Action::Delay { ms } => self.hold(now, ms, Holding::Greeting, fault),
            Action::Close => self.close(now, Closer::Server, &fault.closing_reason()),
            Action::Reply { .. } => self.inject(now, &rule, fault),
            Action::Greylist { .. } => self.reply(now, Situation::Greeting, &[]),
        }
    }

    /// A command line when the policy has rules: counted, matched, answered.
    pub(super) fn command_with_rules(&mut self, now: Timestamp, parsed: Result<ParsedCommand, SyntaxError>) {
        let verb = match &parsed {
            Ok(p) => Some(p.command.verb()),
            Err(error) => error.verb,
        };
        self.conn.counts.count(&Moment::Line);
        if let Some(verb) = verb {
            self.conn.counts.count(&Moment::Command(verb));
        }
        let address = match &parsed {
            Ok(ParsedCommand { command: Command::Mail { from: path, .. } | Command::Rcpt { to: path, .. }, .. }) => Some(path_address(path)),
            Ok(ParsedCommand { command: Command::Vrfy { argument }, .. }) => Some(argument.to_string()),
            _ => None,
        };
        let occurrence = Occurrence { verb, address: address.as_deref(), messages: self.conn.accepted };
        let moment = verb.map_or(Moment::Line, Moment::Command);
        let rules = &self.config.policy.faults;
        let Some((fault, rule)) = rule_at(rules, matching(rules, &moment, &occurrence, &self.conn.counts)) else {
            return self.answer(now, parsed);
        };
        match rule.then {
            Action::Close => self.close(now, Closer::Server, &fault.closing_reason()),
            Action::Delay { ms } => self.hold(now, ms, Holding::Command(parsed), fault),
            Action::Greylist { secs } => {
                let sender = if verb == Some(Verb::Mail) { address.clone().unwrap_or_default() } else { self.txn.envelope.sender_address() };
                let recipient = match verb {
                    Some(Verb::Rcpt) => address.clone().unwrap_or_default(),
                    _ => verb.map(Verb::name).unwrap_or_default().to_string(),
                };
                let first = *self.host.greylist.entry((self.peer.ip.clone(), sender, recipient.clone())).or_insert(now);
                let waited = now.millis_since(first) / 1000;
                if waited < secs || first == now {
                    let remaining = (secs - waited.min(secs)).max(1).to_string();
                    self.conn.fault = Some(fault);
                    self.reply(now, Situation::Greylisted, &[("address", &recipient), ("delay", &remaining)]);
                } else {
                    self.answer(now, parsed);
                }
            }
            Action::Reply { code, .. } if code >= 400 => self.inject(now, &rule, fault),
            Action::Reply { .. } => {
                let command = parsed.as_ref().ok().map(|p| p.command.clone());
                let reply = rule.reply().expect("a reply rule");
                self.conn.substitute = Some(Substitute { reply, fault, sent: None });
                self.answer(now, parsed);
                self.after_substitute(now, command, rule.closes());
            }
        }
    }

    /// The end of a message's content when the policy has rules. Gives the content back when
    /// no rule took it.
    pub(super) fn message_with_rules(&mut self, now: Timestamp, content: Vec<u8>, report: ContentReport, chunked: bool) -> Option<(Vec<u8>, ContentReport)> {
        self.conn.counts.count(&Moment::Message);
        let occurrence = Occurrence { verb: None, address: None, messages: self.conn.accepted };
        let rules = &self.config.policy.faults;
        let Some((fault, rule)) = rule_at(rules, matching(rules, &Moment::Message, &occurrence, &self.conn.counts)) else {
            return Some((content, report));
        };
        match rule.then {
            Action::Close => self.close(now, Closer::Server, &fault.closing_reason()),
            Action::Delay { ms } => self.hold(now, ms, Holding::Message { content, report, chunked }, fault),
            Action::Reply { code, .. } if code >= 400 => {
                self.txn = Transaction::default();
                self.conn.phase = Phase::Greeted;
                self.inject(now, &rule, fault);
            }
            Action::Reply { .. } => {
                self.conn.substitute = Some(Substitute { reply: rule.reply().expect("a reply rule"), fault, sent: None });
                self.conclude_message(now, content, report, chunked);
                self.after_substitute(now, None, rule.closes());
            }
            Action::Greylist { .. } => return Some((content, report)),
        }
        None
    }

    /// After a line of DATA content: a `data after K octets` rule fires once the content
    /// reaches K octets. True when it ended the connection.
    pub(super) fn content_fault(&mut self, now: Timestamp, octets: usize) -> bool {
        if self.config.policy.faults.is_empty() {
            return false;
        }
        self.txn.octets = self.txn.octets.saturating_add(octets as u64);
        let rules = &self.config.policy.faults;
        let found = rules.iter().enumerate().find(|(_, r)| matches!(r.when.moment, Moment::ContentOctets(k) if self.txn.octets >= k));
        let Some((fault, rule)) = rule_at(rules, found) else { return false };
        if rule.reply().is_some() {
            self.inject(now, &rule, fault.clone());
        }
        self.close(now, Closer::Server, &fault.closing_reason());
        true
    }

    /// Sends the rule's own reply (then closes when the rule says so, or for 421).
    fn inject(&mut self, now: Timestamp, rule: &FaultRule, fault: AppliedFault) {
        let Some(reply) = rule.reply() else { return };
        let reason = fault.closing_reason();
        self.conn.fault = Some(fault);
        self.emit(now, reply, None, rule.closes());
        if rule.closes() {
            self.close(now, Closer::Server, &reason);
        }
    }

    /// The usual reply was replaced; where the server would have refused, the command takes
    /// effect, and the reply's record shows the session after it.
    fn after_substitute(&mut self, now: Timestamp, command: Option<Command>, closes: bool) {
        let Some(Substitute { sent: Some((index, refused)), .. }) = self.conn.substitute else {
            // No reply yet (a BDAT chunk still arriving): it will be replaced when sent.
            return;
        };
        self.conn.substitute = None;
        if refused && let Some(command) = command {
            self.take_effect(command);
            let (state, envelope) = (self.state(), self.txn.envelope.clone());
            if let Some(Event::ReplySent { state: s, envelope: e, .. }) = self.events.get_mut(index) {
                (*s, *e) = (state, envelope);
            }
        }
        if closes {
            if let Some(Event::ReplySent { state, .. }) = self.events.get_mut(index) {
                state.phase = Phase::Closed;
            }
            self.close(now, Closer::Server, "a fault rule closed the connection after its reply");
        }
    }

    /// What accepting the command would have done, for a command the server refused.
    fn take_effect(&mut self, command: Command) {
        match command {
            Command::Helo { domain } | Command::Ehlo { domain } => {
                self.txn = Transaction::default();
                self.conn.client_name = Some(domain);
                self.conn.phase = Phase::Greeted;
            }
            Command::Mail { from, params } => {
                let envelope = std::sync::Arc::make_mut(&mut self.txn.envelope);
                envelope.reverse_path = Some(from);
                envelope.mail_params = params;
                self.conn.phase = Phase::Mail;
            }
            Command::Rcpt { to, params } => {
                std::sync::Arc::make_mut(&mut self.txn.envelope).recipients.push(Recipient { path: to, params });
                self.conn.phase = Phase::Recipients;
            }
            Command::Data if self.txn.data.is_none() => {
                self.conn.phase = Phase::Data;
                self.txn.data = Some(self.data_reader(0));
            }
            _ => {}
        }
    }

    /// The usual reply is about to go: the rule's accepting reply goes instead. EHLO keeps its
    /// extension lines when the server would have accepted it too.
    pub(super) fn substituted(&mut self, usual: Reply, situation: Situation, mut substitute: Substitute) -> Reply {
        let refused = usual.code >= 400;
        if situation.is_client_error() {
            self.conn.errors = self.conn.errors.saturating_sub(1);
        }
        let mut reply = substitute.reply.clone();
        if !refused && usual.lines.len() > 1 {
            reply.lines.extend(usual.lines.into_iter().skip(1));
        }
        self.conn.fault = Some(substitute.fault.clone());
        substitute.sent = Some((self.events.len(), refused));
        self.conn.substitute = Some(substitute);
        reply
    }

    /// The substitute waiting for its reply, if any (not once it was sent).
    pub(super) fn take_unsent_substitute(&mut self) -> Option<Substitute> {
        if self.conn.substitute.as_ref().is_some_and(|s| s.sent.is_none()) { self.conn.substitute.take() } else { None }
    }

    fn hold(&mut self, now: Timestamp, ms: u64, what: Holding, fault: AppliedFault) {
        self.conn.held = Some(Held { until: Timestamp(now.0.saturating_add(ms)), what, fault });
    }

    /// The held reply is due: the server answers now.
    pub(super) fn release(&mut self, now: Timestamp) {
        let Some(held) = self.conn.held.take() else { return };
        self.conn.fault = Some(held.fault);
        match held.what {
            Holding::Greeting => self.reply(now, Situation::Greeting, &[]),
            Holding::Command(parsed) => self.answer(now, parsed),
            Holding::Message { content, report, chunked } => self.conclude_message(now, content, report, chunked),
        }
        // A rule's mark goes on the first reply only.
        self.conn.fault = None;
    }

    /// While a reply is held, input waits; past a bound the client is flooding.
    pub(super) fn hold_input(&mut self, now: Timestamp) {
        if self.conn.input.len() > HELD_INPUT_LIMIT {
            self.close(now, Closer::Server, "the client sent more than 1 MiB while a reply was held");
        }
    }
}
