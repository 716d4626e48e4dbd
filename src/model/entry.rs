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
    /// An answer to a 334 challenge, with its base64 decoded; `secret` when it carries a
    /// password (the timeline and exports hide it).
    AuthAnswer {
        text: String,
        decoded: Option<String>,
        secret: bool,
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
    /// The end of a TLS handshake, in every mode: a new session inside TLS begins here, before
    /// any reply says so (the timeline moves its state band on it).
    TlsStarted {
        text: String,
        tone: Tone,
    },
}

/// How every mode's notice of a finished TLS handshake begins.
pub const TLS_STARTED: &str = "TLS started (";

impl EntryKind {
    /// A line that carries a password's base64 (an AUTH answer, or `AUTH PLAIN` with its
    /// credentials).
    pub fn carries_password(&self) -> bool {
        match self {
            EntryKind::AuthAnswer { secret, .. } => *secret,
            EntryKind::Command { text, .. } => plain_initial_decoded(text).is_some(),
            _ => false,
        }
    }

    /// A line that crossed the wire (not a notice of the page's).
    pub fn is_exchanged(&self) -> bool {
        !matches!(self, EntryKind::Notice { .. } | EntryKind::TlsStarted { .. })
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
            ClientLine::AuthResponse { decoded, secret } => EntryKind::AuthAnswer { text: raw.to_string(), decoded: decoded.clone(), secret: *secret },
        },
        Event::ReplySent { reply, state, .. } => match note {
            Some(Note::Reply(explanation)) => EntryKind::Reply { reply: reply.clone(), explanation, state: state.clone() },
            _ => return None,
        },
        Event::MessageAccepted { queue_id, envelope, size, .. } => {
            // A recipient given twice gets the message once.
            let mut recipients = envelope.recipient_addresses();
            let mut seen = std::collections::HashSet::new();
            recipients.retain(|r| seen.insert(r.to_ascii_lowercase()));
            EntryKind::Notice { text: format!("Message {queue_id} ({size} octets) accepted for {} — see the Mailbox tab", recipients.join(", ")), tone: Tone::Good }
        }
        Event::Delivery { journey, .. } => {
            let failed = journey.recipients.iter().any(|r| matches!(r.outcome, smtp_protocol::journey::Outcome::Failed { .. }));
            EntryKind::Notice { text: format!("{} See the Mailbox tab for the journey.", journey.summary()), tone: if failed { Tone::Warn } else { Tone::Good } }
        }
        Event::TlsStarted { protocol, cipher, simulated, .. } => {
            let how = if *simulated { "; simulated" } else { "" };
            EntryKind::TlsStarted { text: format!("{TLS_STARTED}{protocol}, {cipher}{how}). The client must send EHLO again."), tone: Tone::Good }
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

/// A note under a line of message content, for what a student easily misses: a leading dot
/// that the server removes, or a command typed while still inside the message.
pub fn data_note(text: &str) -> Option<String> {
    if let Some(kept) = text.strip_prefix('.').filter(|rest| rest.starts_with('.')) {
        return Some(format!("Dot-stuffed: the server removes the first dot, so the message holds \u{201c}{kept}\u{201d} (RFC 5321 4.5.2)."));
    }
    if text.starts_with('.') && text != "." {
        return Some(format!(
            "This line starts with a dot: the server removes it, so the message holds \u{201c}{}\u{201d}. To keep a leading dot, type it twice (RFC 5321 4.5.2).",
            &text[1..]
        ));
    }
    let word = text.split([' ', ':']).next().unwrap_or_default();
    let command = ["QUIT", "RSET", "HELO", "EHLO", "NOOP", "DATA"].iter().any(|c| word.eq_ignore_ascii_case(c))
        || text.to_ascii_uppercase().starts_with("MAIL FROM:")
        || text.to_ascii_uppercase().starts_with("RCPT TO:");
    command.then(|| {
        format!("Still in the message: \u{201c}{text}\u{201d} is message text here, not a command. A line with only a dot ends the message; then the server reads commands again.")
    })
}

/// The decoded initial response of an `AUTH PLAIN <base64>` line, password masked.
pub fn plain_initial_decoded(line: &str) -> Option<String> {
    use base64::Engine;
    let mut words = line.split_whitespace();
    let (verb, mechanism, initial) = (words.next()?, words.next()?, words.next()?);
    if !verb.eq_ignore_ascii_case("AUTH") || !mechanism.eq_ignore_ascii_case("PLAIN") {
        return None;
    }
    let bytes = base64::engine::general_purpose::STANDARD.decode(initial).ok()?;
    let text = String::from_utf8_lossy(&bytes);
    let mut parts = text.split('\0');
    let (authzid, user, password) = (parts.next()?, parts.next()?, parts.next()?);
    Some(format!("{}\\0{}\\0{}", smtp_protocol::server::visible(authzid), smtp_protocol::server::visible(user), smtp_protocol::server::masked(password)))
}

/// What stands for a password's base64 in the timeline and the exports.
pub const HIDDEN: &str = "(base64 credentials hidden)";

/// A line as the timeline and the exports show it: a password's base64 hidden (the console,
/// where the student typed it, shows it with its decoding masked).
pub fn shown_line<'a>(text: &'a str, secret: bool) -> std::borrow::Cow<'a, str> {
    if secret {
        return HIDDEN.into();
    }
    if plain_initial_decoded(text).is_some() {
        let mut words = text.split_whitespace();
        return format!("{} {} {HIDDEN}", words.next().unwrap_or_default(), words.next().unwrap_or_default()).into();
    }
    text.into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dot_notes_say_what_the_message_holds() {
        let note = data_note("...etc. etc. etc.").unwrap();
        assert!(note.contains("\u{201c}..etc. etc. etc.\u{201d}"), "{note}");
        assert!(data_note(".hidden").unwrap().contains("\u{201c}hidden\u{201d}"));
        assert_eq!(data_note("."), None);
        assert_eq!(data_note("plain text"), None);
    }

    #[test]
    fn a_command_typed_in_message_mode_is_pointed_out() {
        assert!(data_note("QUIT").unwrap().contains("Still in the message"));
        assert!(data_note("mail from:<a@b>").unwrap().contains("not a command"));
        assert_eq!(data_note("Quite a day"), None);
    }

    #[test]
    fn auth_plain_lines_are_decoded_with_the_password_masked() {
        assert_eq!(plain_initial_decoded("AUTH PLAIN AHN0dWRlbnQAc2VjcmV0").as_deref(), Some("\\0student\\0******"));
        assert_eq!(plain_initial_decoded("AUTH LOGIN"), None);
    }
}
