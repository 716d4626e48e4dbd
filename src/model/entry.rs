//! A console entry: one line or reply as the console shows it, with its explanation, or a notice
//! in the page's own words. Entries are made from [`Event`]s the same way in every mode.

use smtp_protocol::ProfileName;
use smtp_protocol::Timestamp;
use smtp_protocol::event::{ClientLine, Closer, Event};
use smtp_protocol::explain::Explanation;
use smtp_protocol::narration::Note;
use smtp_protocol::reply::Reply;
use smtp_protocol::session::SessionState;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tone {
    Info,
    Good,
    Warn,
}

impl Tone {
    pub fn css(self) -> &'static str {
        match self {
            Tone::Info => "info",
            Tone::Good => "good",
            Tone::Warn => "warn",
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub enum EntryKind {
    /// A command line and what it does (or what is wrong with it).
    Command {
        text: String,
        note: Option<Note>,
    },
    /// A line of message content after 354.
    Data {
        text: String,
        end: bool,
    },
    /// An answer to a 334 challenge, with its base64 decoded.
    AuthAnswer {
        text: String,
        decoded: Option<String>,
    },
    /// A reply, its explanation, and the session as it stands after it (the timeline's state).
    Reply {
        reply: Reply,
        explanation: Box<Explanation>,
        state: SessionState,
    },
    Notice {
        text: String,
        tone: Tone,
    },
}

impl EntryKind {
    /// A line that crossed the wire (not a notice of the page's).
    pub fn is_exchanged(&self) -> bool {
        !matches!(self, EntryKind::Notice { .. })
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Entry {
    pub id: usize,
    pub at: Timestamp,
    pub kind: EntryKind,
}

/// Who the console speaks to: someone at the keyboard, or a teacher watching a real client.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Voice {
    Typist,
    Watcher,
}

/// The console entry for one event (its explanation from `note`), or `None` for events the
/// console does not show.
pub fn entry_for(event: &Event, note: Option<Note>, profile: Option<ProfileName>, voice: Voice) -> Option<EntryKind> {
    Some(match event {
        Event::Connected { server, client_ip, .. } => {
            let text = match profile {
                Some(profile) => format!("Connected to {server} ({}) from {client_ip}", profile.title()),
                None => format!("Connected to {server}"),
            };
            EntryKind::Notice { text, tone: Tone::Info }
        }
        Event::LineReceived { raw, line, .. } => match line {
            ClientLine::Command { .. } | ClientLine::TooLong { .. } => EntryKind::Command { text: raw.to_string(), note },
            ClientLine::Data => EntryKind::Data { text: raw.trim_end_matches(['\r', '\n']).to_string(), end: false },
            ClientLine::DataEnd => EntryKind::Data { text: ".".into(), end: true },
            ClientLine::Chunk => EntryKind::Data { text: raw.to_string(), end: false },
            ClientLine::AuthResponse { decoded } => EntryKind::AuthAnswer { text: raw.to_string(), decoded: decoded.clone() },
        },
        Event::ReplySent { reply, state, .. } => match note {
            Some(Note::Reply(explanation)) => EntryKind::Reply { reply: reply.clone(), explanation, state: state.clone() },
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
            let next = match voice {
                Voice::Typist => " Press Connect to start again.",
                Voice::Watcher => "",
            };
            EntryKind::Notice { text: format!("Connection closed by {}: {reason}.{next}", closer_words(*by)), tone: Tone::Warn }
        }
    })
}

/// Who closed, said to the reader.
pub fn closer_words(by: Closer) -> &'static str {
    match by {
        Closer::Server => "the server",
        Closer::Client => "the client",
        Closer::Bridge => "the bridge",
    }
}
