//! [`ConsoleLog`], the one console model every mode feeds: the session's events (the JSON
//! export's schema) and the entries the console, the timeline and the text export show. A
//! feature written here exists in the simulator, with a real server and with a watched client.

use super::entry::{Entry, EntryKind, HIDDEN, Tone, Voice, entry_for, shown_line};
use super::timeline::{Row, rows};
use smtp_protocol::command::{Command, ParsedCommand, Verb};
use smtp_protocol::event::ClientLine;
use smtp_protocol::event::Event;
use smtp_protocol::narration::Narration;
use smtp_protocol::narration::Reaction;
use smtp_protocol::session::SessionState;
use smtp_protocol::{ServerConfig, Timestamp, Transcript};
use std::borrow::Cow;
use std::sync::Arc;

pub struct ConsoleLog {
    /// Shared, so that views clone pointers, not explanations.
    pub entries: Vec<Arc<Entry>>,
    pub events: Vec<Event>,
    narration: Narration,
    voice: Voice,
    /// How a watched client reacted to each fault rule's reply, in order.
    pub reactions: Vec<Reaction>,
    /// A fault rule's reply waits for the client's next move (the verb it answered).
    awaiting_reaction: Option<Option<Verb>>,
    last_verb: Option<Verb>,
}

impl ConsoleLog {
    pub fn new(voice: Voice) -> Self {
        ConsoleLog { entries: Vec::new(), events: Vec::new(), narration: Narration::default(), voice, reactions: Vec::new(), awaiting_reaction: None, last_verb: None }
    }

    /// One event, explained with the simulated server's configuration (`None` for an event of
    /// a real server's session that needs no explanation: connected, closed).
    pub fn record(&mut self, event: Event, server: Option<&ServerConfig>) {
        if let Some(config) = server {
            self.narration.server_name = config.persona.as_ref().and_then(|own| own.persona().name.clone());
        }
        let note = server.and_then(|config| self.narration.read(&event, config.profile, &config.policy));
        if let Some(kind) = entry_for(&event, note, server.map(|c| c.profile), self.voice) {
            self.push(event.at(), kind);
        }
        self.follow_reaction(&event);
        self.events.push(event);
    }

    /// After a fault rule's reply, the client's next move is the lesson: a watcher is told it.
    fn follow_reaction(&mut self, event: &Event) {
        if let Some(answered) = self.awaiting_reaction
            && let Some(reaction) = Reaction::after(event, answered)
        {
            self.awaiting_reaction = None;
            if self.voice == Voice::Watcher {
                self.notice(event.at(), format!("After the injected fault, {}.", reaction.describe()), Tone::Info);
            }
            self.reactions.push(reaction);
        }
        match event {
            Event::LineReceived { line: ClientLine::Command { parsed }, .. } => {
                self.last_verb = match &**parsed {
                    Ok(p) => Some(p.command.verb()),
                    Err(e) => e.verb,
                }
            }
            Event::ReplySent { fault: Some(fault), .. } if !fault.what_if => self.awaiting_reaction = Some(self.last_verb),
            _ => {}
        }
    }

    /// One event said in the source's own words (the bridge's account of a TLS handshake).
    pub fn record_as(&mut self, event: Event, kind: EntryKind) {
        self.push(event.at(), kind);
        self.events.push(event);
    }

    /// A note of the page's that is not part of the session (connecting, a refused target).
    pub fn notice(&mut self, at: Timestamp, text: String, tone: Tone) {
        self.push(at, EntryKind::Notice { text, tone });
    }

    fn push(&mut self, at: Timestamp, kind: EntryKind) {
        let id = self.entries.len();
        self.entries.push(Arc::new(Entry { id, at, kind }));
    }

    /// Lines that crossed the wire: one arrow each in the timeline.
    pub fn lines_exchanged(&self) -> usize {
        self.entries.iter().filter(|e| e.kind.is_exchanged()).count()
    }

    /// The session after the newest reply (`None` before the first).
    pub fn state(&self) -> Option<&SessionState> {
        self.events.iter().rev().find_map(|e| match e {
            Event::ReplySent { state, .. } => Some(state),
            _ => None,
        })
    }

    /// The session as `C:`/`S:` text, as RFC 5321 Appendix D writes it (passwords hidden).
    pub fn transcript(&self) -> String {
        let mut text = String::new();
        for event in &self.events {
            Transcript::write_event(&without_secrets(event), &mut text);
        }
        text
    }

    /// The session's events as JSON: the same schema in every mode (passwords hidden).
    pub fn json(&self) -> String {
        let events: Vec<Cow<'_, Event>> = self.events.iter().map(without_secrets).collect();
        serde_json::to_string_pretty(&events).unwrap_or_else(|_| "[]".into())
    }

    /// Timeline rows for `range` of the entries.
    pub fn rows(&self, range: std::ops::Range<usize>) -> Vec<Row> {
        rows(&self.entries, range)
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
}

/// An event as exports write it: an AUTH answer that carries a password, or an `AUTH PLAIN`
/// line with its credentials, has its base64 replaced (base64 is no encryption).
fn without_secrets(event: &Event) -> Cow<'_, Event> {
    match event {
        Event::LineReceived { at, raw, line: ClientLine::AuthResponse { decoded, secret: true }, bare_lf } => {
            let _ = raw;
            Cow::Owned(Event::LineReceived { at: *at, raw: HIDDEN.into(), line: ClientLine::AuthResponse { decoded: decoded.clone(), secret: true }, bare_lf: *bare_lf })
        }
        Event::LineReceived { at, raw, line: ClientLine::Command { parsed }, bare_lf } if shown_line(raw, false) != raw.as_str() => match &**parsed {
            Ok(ParsedCommand { command: Command::Auth { mechanism, initial_response: Some(_) }, tolerated }) => {
                let command = Command::Auth { mechanism: mechanism.clone(), initial_response: Some(HIDDEN.into()) };
                let parsed = Box::new(Ok(ParsedCommand { command, tolerated: tolerated.clone() }));
                Cow::Owned(Event::LineReceived { at: *at, raw: shown_line(raw, false).as_ref().into(), line: ClientLine::Command { parsed }, bare_lf: *bare_lf })
            }
            _ => Cow::Borrowed(event),
        },
        _ => Cow::Borrowed(event),
    }
}
