//! The form in which the mock's store keeps an event: a 40-byte slot with no heap memory of its
//! own, its text (and the state a reply leaves, in MessagePack) in its block's [`Contents`], and
//! what the text gives back when read (a command's parse) left out. A block of them is then freed
//! in one piece, and forgetting one touches nothing. A class's mock keeps hundreds of thousands of
//! events: kept whole, each with its strings, boxes and a share of an envelope, every one
//! forgotten was a walk through cold memory (the envelope's count alone a third of that). Events
//! that are rare (connections, TLS, AUTH, replies a fault rule shaped) are kept whole in the
//! block's contents.

use compact_str::CompactString;
use smtp_protocol::command::{Leniency, parse_command};
use smtp_protocol::event::{ClientLine, Event};
use smtp_protocol::session::{Envelope, Phase, SessionState};
use smtp_protocol::{EnhancedCode, Reply, Situation, Timestamp, Transcript};
use std::sync::Arc;

/// Where a piece of text lies in its block's buffer.
#[derive(Debug, Clone, Copy)]
pub(super) struct Span {
    start: u32,
    len: u32,
}

impl Span {
    /// No text (an absent name, an empty envelope): not a position any buffer reaches.
    const NONE: Span = Span { start: u32::MAX, len: 0 };

    fn push(text: &mut Vec<u8>, piece: &str) -> Span {
        let start = text.len() as u32;
        text.extend_from_slice(piece.as_bytes());
        Span { start, len: piece.len() as u32 }
    }

    fn bytes(self, text: &[u8]) -> &[u8] {
        text.get(self.start as usize..self.start as usize + self.len as usize).unwrap_or_default()
    }

    /// The text pushed there (always whole UTF-8 where a `str` was pushed).
    fn get(self, text: &[u8]) -> &str {
        std::str::from_utf8(self.bytes(text)).unwrap_or_default()
    }

    fn is_some(self) -> bool {
        self.start != Span::NONE.start
    }
}

/// What a block's kept events hold: their text, the events kept whole, and the session states
/// written most recently: a state (the client's name, the account, the envelope) is written once
/// and shared by every reply that leaves it while it is among them — the replies of one command
/// after another, and a session's states that come back (the empty envelope after each message,
/// the same sender and recipients message after message).
#[derive(Debug, Clone, Default)]
pub(super) struct Contents {
    pub(super) bytes: Vec<u8>,
    whole: Vec<Event>,
    /// Oldest first, at most [`RECENT_STATES`]; emptied when the block is full or the session ends.
    recent: Vec<(KeptState, Span)>,
    /// What `whole` holds, roughly.
    heap_octets: usize,
}

/// States a block remembers having written: a message's three (the sender, the recipients, the
/// empty envelope after it) and one more.
const RECENT_STATES: usize = 4;

/// A state a reply left beside its phase and flags, as written. The names are inline (as the
/// server's are: comparing them reads no cold heap memory); the envelope is a copy, compared by
/// value (known by its allocation instead, it needed a share of the server's, which makes the
/// server's next change to it copy or move it).
#[derive(Debug, Clone)]
struct KeptState {
    client_name: Option<CompactString>,
    authenticated_as: Option<CompactString>,
    envelope: Envelope,
}

/// How a state is encoded (MessagePack: a fifth of JSON's octets, and no escaping to scan for).
type StateForm<'a> = (Option<&'a str>, Option<&'a str>, &'a Envelope);
type ReadState = (Option<String>, Option<String>, Envelope);

impl Contents {
    pub(super) fn with_capacity(capacity: usize) -> Contents {
        Contents { bytes: Vec::with_capacity(capacity), ..Contents::default() }
    }

    /// The octets held: the text's room and what the events kept whole own.
    pub(super) fn octets(&self) -> usize {
        self.bytes.capacity() + self.heap_octets
    }

    /// Forgets the states written (the block is full, or its session ended: no reply will share
    /// them).
    pub(super) fn forget_states(&mut self) {
        self.recent = Vec::new();
    }

    #[cfg(test)]
    pub(super) fn remembered_states(&self) -> usize {
        self.recent.len()
    }

    /// Where a reply's state lies (written now unless it is among those written last); no name,
    /// no account and an empty envelope, as before a client says HELO, take no room. None if it
    /// could not be written (the event is then kept whole rather than with another state).
    fn state(&mut self, client_name: Option<&str>, authenticated_as: Option<&str>, envelope: &Envelope) -> Option<Span> {
        if client_name.is_none() && authenticated_as.is_none() && *envelope == Envelope::default() {
            return Some(Span::NONE);
        }
        let written = self
            .recent
            .iter()
            .rev()
            .find(|(state, _)| state.client_name.as_deref() == client_name && state.authenticated_as.as_deref() == authenticated_as && state.envelope == *envelope);
        if let Some((_, span)) = written {
            return Some(*span);
        }
        let start = self.bytes.len() as u32;
        let form: StateForm = (client_name, authenticated_as, envelope);
        if rmp_serde::encode::write(&mut self.bytes, &form).is_err() {
            self.bytes.truncate(start as usize);
            return None;
        }
        let span = Span { start, len: self.bytes.len() as u32 - start };
        if self.recent.len() == RECENT_STATES {
            self.recent.remove(0);
        }
        let state = KeptState { client_name: client_name.map(Into::into), authenticated_as: authenticated_as.map(Into::into), envelope: envelope.clone() };
        self.recent.push((state, span));
        Some(span)
    }

    /// Where an accepted message's envelope lies: in a state written with it (the names beside
    /// it are not read), else written now.
    fn envelope(&mut self, envelope: &Envelope) -> Option<Span> {
        match self.recent.iter().rev().find(|(state, _)| state.envelope == *envelope) {
            Some((_, span)) => Some(*span),
            None => self.state(None, None, envelope),
        }
    }

    fn read_state(&self, span: Span) -> ReadState {
        if !span.is_some() {
            return (None, None, Envelope::default());
        }
        rmp_serde::from_slice(span.bytes(&self.bytes)).unwrap_or_default()
    }

    fn keep_whole(&mut self, event: Event) -> Kept {
        self.heap_octets += whole_octets(&event);
        self.whole.push(event);
        Kept::Whole(self.whole.len() as u32 - 1)
    }
}

/// What a kept client line was.
#[derive(Debug, Clone, Copy)]
pub(super) enum LineKind {
    /// A command, parsed again from its text with the leniency the server parsed it with.
    Command(Leniency),
    Data,
    DataEnd,
    Chunk,
}

/// One kept event: plain data, nothing to drop.
#[derive(Debug, Clone, Copy)]
pub(super) enum Kept {
    Line {
        at: Timestamp,
        text: Span,
        kind: LineKind,
        bare_lf: bool,
    },
    Reply {
        at: Timestamp,
        code: u16,
        enhanced: Option<EnhancedCode>,
        /// The reply's lines, joined by LF (no line holds one).
        lines: Span,
        situation: Option<Situation>,
        phase: Phase,
        esmtp: bool,
        tls: bool,
        /// The client's name, the account and the envelope (see [`Contents::state`]).
        state: Span,
    },
    Accepted {
        at: Timestamp,
        queue_id: Span,
        /// A state whose envelope is this message's (its names are not read).
        envelope: Span,
        size: u64,
    },
    /// Lines of a message's content that came in at one time: one slot for the lot, their text
    /// one after the other (each line ends with its LF, and holds no other).
    DataLines {
        at: Timestamp,
        text: Span,
        count: u32,
    },
    /// Its index in the contents' events kept whole.
    Whole(u32),
}

/// A line of content that [`Kept::DataLines`] can hold: when it came, and its text.
fn data_line(event: &Event) -> Option<(Timestamp, &str)> {
    match event {
        Event::LineReceived { at, raw, line: ClientLine::Data, bare_lf: false } if ends_its_only_line(raw) => Some((*at, raw)),
        _ => None,
    }
}

/// Whether `raw` ends with its only LF. A byte search: `str::find` with a char searches for its
/// last byte and then compares the char's bytes with a call to `memcmp`, 2% of mock mode's CPU
/// for lines of content.
fn ends_its_only_line(raw: &str) -> bool {
    raw.as_bytes().split_last().is_some_and(|(last, before)| *last == b'\n' && !before.contains(&b'\n'))
}

// A block holds 256 of them: each octet here is a quarter of a kilobyte per block.
const _: () = assert!(std::mem::size_of::<Kept>() == 40);

/// The most text one block's buffer may hold (its spans are 32-bit; an envelope is not
/// counted before it is written, so this leaves it room).
const MAX_TEXT: usize = u32::MAX as usize / 2;

impl Kept {
    /// `event` in its kept form, its text appended to `contents`. `leniency` is what the session's
    /// server parsed commands with; without it (events read back from a file) commands are kept
    /// whole.
    pub(super) fn new(event: Event, contents: &mut Contents, leniency: Option<Leniency>) -> Kept {
        let room = MAX_TEXT.saturating_sub(contents.bytes.len());
        if let Some((at, raw)) = data_line(&event)
            && raw.len() <= room
        {
            return Kept::DataLines { at, text: Span::push(&mut contents.bytes, raw), count: 1 };
        }
        match event {
            Event::LineReceived { at, raw, line, bare_lf } => {
                let kind = match &line {
                    ClientLine::Data => Some(LineKind::Data),
                    ClientLine::DataEnd => Some(LineKind::DataEnd),
                    ClientLine::Chunk => Some(LineKind::Chunk),
                    // Kept as text only when its text parses to the same again. A line that was
                    // not UTF-8 shows U+FFFD where the server read other bytes; without one, the
                    // text is the bytes the server parsed, and parses to the same.
                    ClientLine::Command { parsed } => {
                        leniency.filter(|&l| raw.is_ascii() || !raw.contains('\u{FFFD}') || **parsed == parse_command(raw.as_bytes(), l)).map(LineKind::Command)
                    }
                    ClientLine::TooLong { .. } | ClientLine::AuthResponse { .. } => None,
                };
                match kind {
                    Some(kind) if raw.len() <= room => Kept::Line { at, text: Span::push(&mut contents.bytes, &raw), kind, bare_lf },
                    _ => contents.keep_whole(Event::LineReceived { at, raw, line, bare_lf }),
                }
            }
            // A reply a fault rule shaped is rare (an exercise's), and kept whole.
            Event::ReplySent { at, reply, situation, state, envelope, fault: None }
                if !reply.lines.is_empty()
                    && reply.lines.iter().all(|line| !line.contains('\n'))
                    && reply.lines.iter().map(|line| line.len() + 1).sum::<usize>()
                        + state.client_name.as_ref().map_or(0, |n| n.len())
                        + state.authenticated_as.as_ref().map_or(0, |n| n.len())
                        <= room =>
            {
                let Some(state_span) = contents.state(state.client_name.as_deref(), state.authenticated_as.as_deref(), &envelope) else {
                    return contents.keep_whole(Event::ReplySent { at, reply, situation, state, envelope, fault: None });
                };
                let start = contents.bytes.len() as u32;
                for (i, line) in reply.lines.iter().enumerate() {
                    if i > 0 {
                        contents.bytes.push(b'\n');
                    }
                    contents.bytes.extend_from_slice(line.as_bytes());
                }
                let lines = Span { start, len: contents.bytes.len() as u32 - start };
                Kept::Reply { at, code: reply.code, enhanced: reply.enhanced, lines, situation, phase: state.phase, esmtp: state.esmtp, tls: state.tls, state: state_span }
            }
            Event::MessageAccepted { at, queue_id, envelope, size } if queue_id.len() <= room => match contents.envelope(&envelope) {
                Some(envelope) => Kept::Accepted { at, queue_id: Span::push(&mut contents.bytes, &queue_id), envelope, size },
                None => contents.keep_whole(Event::MessageAccepted { at, queue_id, envelope, size }),
            },
            other => contents.keep_whole(other),
        }
    }

    /// Takes `event` into this slot if it is a line of content that came in with the lines this
    /// slot holds (their text is the last in `contents`: a slot's text is written when it is
    /// made, and this is the block's last slot); false if it did not.
    pub(super) fn absorb(&mut self, event: &Event, contents: &mut Contents) -> bool {
        // The slot first: the line is looked at only when it could join (else `Kept::new` does).
        let Kept::DataLines { at, text, count } = self else { return false };
        match data_line(event) {
            Some((line_at, raw))
                if *at == line_at && raw.len() <= MAX_TEXT.saturating_sub(contents.bytes.len()) && text.start as usize + text.len as usize == contents.bytes.len() =>
            {
                contents.bytes.extend_from_slice(raw.as_bytes());
                text.len += raw.len() as u32;
                *count += 1;
                true
            }
            _ => false,
        }
    }

    /// How many events the slot holds.
    pub(super) fn count(&self) -> usize {
        match self {
            Kept::DataLines { count, .. } => *count as usize,
            _ => 1,
        }
    }

    /// A slot of lines of content: the lines, each an event, but the first `skip`.
    fn content_lines<'a>(&self, contents: &'a Contents, skip: usize) -> Option<impl Iterator<Item = Event> + 'a> {
        match *self {
            Kept::DataLines { at, text, .. } => Some(text.get(&contents.bytes).split_inclusive('\n').skip(skip).map(move |raw| content_line(at, raw))),
            _ => None,
        }
    }

    /// The slot's events but its first `skip`, as they were given, appended to `out`.
    pub(super) fn events_into(&self, contents: &Contents, skip: usize, out: &mut Vec<Event>) {
        match self.content_lines(contents, skip) {
            Some(lines) => out.extend(lines),
            None if skip == 0 => out.push(self.event(contents)),
            None => {}
        }
    }

    /// The event of a slot that holds one (a slot of lines: its first), as it was given to
    /// [`Kept::new`].
    fn event(&self, contents: &Contents) -> Event {
        let bytes = &contents.bytes[..];
        match self {
            Kept::Line { at, text: span, kind, bare_lf } => {
                let raw = span.get(bytes);
                let line = match kind {
                    LineKind::Command(leniency) => ClientLine::Command { parsed: Box::new(parse_command(raw.as_bytes(), *leniency)) },
                    LineKind::Data => ClientLine::Data,
                    LineKind::DataEnd => ClientLine::DataEnd,
                    LineKind::Chunk => ClientLine::Chunk,
                };
                Event::LineReceived { at: *at, raw: raw.into(), line, bare_lf: *bare_lf }
            }
            Kept::Reply { at, code, enhanced, lines, situation, phase, esmtp, tls, state } => {
                let (client_name, authenticated_as, envelope) = contents.read_state(*state);
                Event::ReplySent {
                    at: *at,
                    reply: Reply { code: *code, enhanced: *enhanced, lines: lines.get(bytes).split('\n').map(String::from).collect() },
                    situation: *situation,
                    state: SessionState { phase: *phase, client_name: client_name.map(Into::into), esmtp: *esmtp, tls: *tls, authenticated_as: authenticated_as.map(Into::into) },
                    envelope: Arc::new(envelope),
                    fault: None,
                }
            }
            Kept::Accepted { at, queue_id, envelope, size } => {
                Event::MessageAccepted { at: *at, queue_id: queue_id.get(bytes).into(), envelope: Arc::new(contents.read_state(*envelope).2), size: *size }
            }
            Kept::DataLines { at, text, .. } => content_line(*at, text.get(bytes).split_inclusive('\n').next().unwrap_or_default()),
            Kept::Whole(index) => contents.whole.get(*index as usize).cloned().unwrap_or_else(|| Event::Closed {
                at: Timestamp(0),
                by: smtp_protocol::event::Closer::Server,
                reason: "an event the mock's store lost".into(),
            }),
        }
    }

    /// Appends the `C:`/`S:` lines of the slot's events but its first `skip` (see
    /// [`Transcript::write_event`]), without parsing a command again: the transcript shows only
    /// its text.
    pub(super) fn write_transcript(&self, contents: &Contents, skip: usize, out: &mut String) {
        if let Some(lines) = self.content_lines(contents, skip) {
            lines.for_each(|line| Transcript::write_event(&line, out));
            return;
        }
        match self {
            _ if skip > 0 => {}
            Kept::Line { at, text: span, bare_lf, .. } => {
                Transcript::write_event(&Event::LineReceived { at: *at, raw: span.get(&contents.bytes).into(), line: ClientLine::Data, bare_lf: *bare_lf }, out)
            }
            // Not a line of the conversation.
            Kept::Accepted { .. } => {}
            _ => Transcript::write_event(&self.event(contents), out),
        }
    }
}

/// A line of a message's content as the server saw it (its line ending included).
fn content_line(at: Timestamp, raw: &str) -> Event {
    Event::LineReceived { at, raw: raw.into(), line: ClientLine::Data, bare_lf: false }
}

/// The octets an event kept whole holds, roughly: its own size and the text it owns. Only the
/// order of magnitude matters: it bounds the events' memory, it is not an allocator's account.
fn whole_octets(event: &Event) -> usize {
    std::mem::size_of::<Event>()
        + match event {
            // The raw line, and about as much again for its parsed form.
            Event::LineReceived { raw, .. } => 2 * raw.len(),
            Event::ReplySent { reply, .. } => reply.lines.iter().map(|line| line.len() + 24).sum(),
            Event::MessageAccepted { envelope, queue_id, .. } => queue_id.len() + 96 * (1 + envelope.recipients.len()),
            Event::Closed { reason, .. } => reason.len(),
            _ => 64,
        }
}

#[cfg(test)]
mod tests {
    use super::*;
    use smtp_protocol::address::{Mailbox, Path};
    use smtp_protocol::command::{Body, MailParams, Notify, RcptParams, Ret};
    use smtp_protocol::session::Recipient;

    /// Every field an envelope can have comes back from its encoding, beside others.
    #[test]
    fn an_envelope_comes_back_whole() {
        let mailbox = |local: &str, domain: &str| Path::Mailbox(Mailbox { local_part: local.into(), domain: domain.into() });
        let full = Envelope {
            reverse_path: Some(Path::Null),
            mail_params: MailParams {
                size: Some(12_345),
                body: Some(Body::EightBitMime),
                smtputf8: true,
                ret: Some(Ret::Headers),
                envid: Some("QQ314159".into()),
                auth: Some("<>".into()),
            },
            recipients: vec![
                Recipient { path: Path::Postmaster, params: RcptParams::default() },
                Recipient {
                    path: mailbox("ünïcode", "[192.0.2.1]"),
                    params: RcptParams { notify: Some(Notify { success: true, failure: false, delay: true }), orcpt: Some("rfc822;a@b.example".into()) },
                },
            ],
        };
        let plain = Envelope { reverse_path: Some(mailbox("a", "b.example")), ..Envelope::default() };
        let mut contents = Contents::default();
        let spans: Vec<(Span, Envelope)> = [full, plain, Envelope::default()].into_iter().map(|e| (contents.envelope(&Arc::new(e.clone())).unwrap(), e)).collect();
        for (span, envelope) in spans {
            assert_eq!(contents.read_state(span).2, envelope);
        }
    }

    /// Message after message, a session's states come back: each is written once and every
    /// reply that leaves it reads it back, names and all; one that differs only in its account
    /// is another state, and one pushed out of the recent ones is written again.
    #[test]
    fn a_state_that_comes_back_is_written_once() {
        let mailbox = |local: &str| Path::Mailbox(Mailbox { local_part: local.into(), domain: "b.example".into() });
        let empty = Envelope::default();
        let sender = Envelope { reverse_path: Some(mailbox("a")), ..Envelope::default() };
        let both = Envelope { recipients: vec![Recipient { path: mailbox("c"), params: RcptParams::default() }], ..sender.clone() };
        let mut contents = Contents::default();
        let mut written = 0;
        for round in 0..3 {
            for envelope in [&empty, &sender, &both, &both] {
                let span = contents.state(Some("client.example"), None, envelope).unwrap();
                assert_eq!(contents.read_state(span), (Some("client.example".into()), None, envelope.clone()));
            }
            if round == 0 {
                written = contents.bytes.len();
            }
            assert_eq!(contents.bytes.len(), written, "round {round} wrote a state again");
            let at = |span: Option<Span>| span.map(|s| (s.start, s.len));
            assert_eq!(at(contents.envelope(&both)), at(contents.state(Some("client.example"), None, &both)));
        }
        let span = contents.state(Some("client.example"), Some("student"), &both).unwrap();
        assert_eq!(contents.read_state(span), (Some("client.example".into()), Some("student".into()), both.clone()));
        assert!(contents.bytes.len() > written);
        // Five states since the empty envelope's: it is written again.
        let other = contents.state(Some("other.example"), None, &both).unwrap();
        assert_eq!(contents.read_state(other).0.as_deref(), Some("other.example"));
        let before = contents.bytes.len();
        let again = contents.state(Some("client.example"), None, &empty).unwrap();
        assert!(contents.bytes.len() > before);
        assert_eq!(contents.read_state(again), (Some("client.example".into()), None, empty));
    }
}
