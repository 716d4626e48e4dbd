//! Session events: what happened, in order, with time. The page's console, timeline and JSON
//! export are built from these alone (the schema is serde's JSON of [`Event`]).

use crate::command::{ParsedCommand, SyntaxError};
use crate::reply::Reply;
use crate::session::{Envelope, SessionState};
use crate::situation::Situation;
use crate::time::Timestamp;
use compact_str::CompactString;
use serde::{Deserialize, Serialize};

/// How a line from the client was read.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum ClientLine {
    /// A command line, parsed or not. Boxed: events are moved and kept by the thousand (the
    /// mock's class view), and a parsed command is the largest thing a line holds.
    Command { parsed: Box<Result<ParsedCommand, SyntaxError>> },
    /// A line longer than the server's limit (it was dropped).
    TooLong { length: usize },
    /// A line of message content after 354 (as sent, dot-stuffing included).
    Data,
    /// The line that ended DATA.
    DataEnd,
    /// A BDAT chunk's content.
    Chunk,
    /// A response to a 334 challenge in an AUTH exchange.
    AuthResponse {
        /// The decoded base64, with a password shown as asterisks and control characters shown
        /// as symbols (a newline as ⏎).
        decoded: Option<String>,
        /// The line carries a password (exports and the timeline hide its base64).
        #[serde(default, skip_serializing_if = "std::ops::Not::not")]
        secret: bool,
    },
}

/// Who ended a connection: one name for the simulator's sessions, the mock server's and the
/// bridge's relayed ones.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Closer {
    /// The client: the student at the page, or a real mail client.
    #[serde(alias = "page")]
    Client,
    Server,
    /// smtp-bridge, relaying a page's session (its idle timeout or duration limit).
    Bridge,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum Event {
    Connected {
        at: Timestamp,
        client_ip: String,
        server: String,
    },
    /// One line (or BDAT chunk) from the client.
    LineReceived {
        at: Timestamp,
        raw: CompactString,
        line: ClientLine,
        /// A command or AUTH answer ended with LF alone, not CRLF (a content line keeps its
        /// ending in `raw`).
        #[serde(default, skip_serializing_if = "std::ops::Not::not")]
        bare_lf: bool,
    },
    /// One reply, why it was sent, and the session after it.
    ReplySent {
        at: Timestamp,
        reply: Reply,
        /// Why the simulator sent it; absent for a real server's reply, whose state is followed
        /// from the replies.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        situation: Option<Situation>,
        state: SessionState,
        /// Shared with the server until the envelope next changes: a snapshot per reply costs a
        /// pointer, not a copy (serialised as the envelope itself).
        envelope: std::sync::Arc<Envelope>,
        /// The fault rule (or what-if choice) that produced or shaped this reply (boxed: most
        /// replies have none, and every event would otherwise carry its room).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        fault: Option<Box<crate::fault::AppliedFault>>,
    },
    MessageAccepted {
        at: Timestamp,
        queue_id: String,
        /// The transaction's envelope, shared as the replies' (serialised as the envelope).
        envelope: std::sync::Arc<Envelope>,
        size: u64,
    },
    /// What the server did with an accepted message after the 250 (simulated delivery).
    Delivery {
        at: Timestamp,
        /// Shared with the stored message it is about (its reports carry whole messages).
        journey: std::sync::Arc<crate::journey::Journey>,
    },
    TlsStarted {
        at: Timestamp,
        protocol: String,
        cipher: String,
        simulated: bool,
    },
    AuthSucceeded {
        at: Timestamp,
        user: String,
        mechanism: String,
    },
    AuthFailed {
        at: Timestamp,
        user: Option<String>,
        mechanism: String,
    },
    Closed {
        at: Timestamp,
        by: Closer,
        reason: String,
    },
}

impl Event {
    pub fn at(&self) -> Timestamp {
        match self {
            Event::Connected { at, .. }
            | Event::LineReceived { at, .. }
            | Event::ReplySent { at, .. }
            | Event::MessageAccepted { at, .. }
            | Event::Delivery { at, .. }
            | Event::TlsStarted { at, .. }
            | Event::AuthSucceeded { at, .. }
            | Event::AuthFailed { at, .. }
            | Event::Closed { at, .. } => *at,
        }
    }
}

/// A whole session: the events in order.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Transcript {
    pub events: Vec<Event>,
}

impl Transcript {
    /// The session as `C:` / `S:` lines, as RFC 5321 Appendix D writes it.
    pub fn to_text(&self) -> String {
        let mut out = String::new();
        for event in &self.events {
            Transcript::write_event(event, &mut out);
        }
        out
    }

    /// Appends one event as `C:` / `S:` / `--` lines (events that are not lines add nothing), so
    /// that a live session's text grows without being rendered again.
    pub fn write_event(event: &Event, out: &mut String) {
        match event {
            Event::LineReceived { raw, .. } => {
                for line in raw.trim_end_matches(['\r', '\n']).split("\r\n") {
                    out.push_str("C: ");
                    out.push_str(line);
                    out.push('\n');
                }
            }
            Event::ReplySent { reply, .. } => {
                for line in reply.to_wire().lines() {
                    out.push_str("S: ");
                    out.push_str(line);
                    out.push('\n');
                }
            }
            Event::TlsStarted { protocol, .. } => out.push_str(&format!("-- TLS started ({protocol})\n")),
            Event::Closed { by, reason, .. } => out.push_str(&format!("-- connection closed by {by:?}: {reason}\n").to_ascii_lowercase()),
            _ => {}
        }
    }
}

#[cfg(test)]
mod size {
    /// ARCHITECTURE.md says an event is at most 128 bytes (a parsed command and an applied fault
    /// boxed, the envelope shared): the mock keeps them by the hundred thousand.
    #[test]
    fn an_event_is_at_most_128_bytes() {
        assert!(std::mem::size_of::<super::Event>() <= 128, "an Event is {} bytes", std::mem::size_of::<super::Event>());
    }
}
