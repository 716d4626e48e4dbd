//! A client's reaction to an injected reply: the lesson of a fault in mock mode.

use crate::command::Verb;

/// What a client did right after a fault rule's reply: the lesson of an injected fault.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reaction {
    /// Sent QUIT.
    GaveUp,
    /// Closed the connection without QUIT.
    Dropped,
    /// The rule's reply closed the connection: whether the client comes back is the lesson.
    Disconnected,
    /// The same command again at once.
    RetriedAtOnce(Verb),
    /// Another RCPT, or DATA, after a refused RCPT: the other recipients still get the message.
    OtherRecipients,
    /// RSET: the transaction abandoned.
    StartedOver,
    /// Any other next command.
    WentOn(Verb),
}

impl Reaction {
    /// The client's next move after a reply to `answered` (the verb the faulted reply answered).
    pub fn after(event: &crate::event::Event, answered: Option<Verb>) -> Option<Reaction> {
        use crate::event::{ClientLine, Closer, Event};
        match event {
            Event::LineReceived { line: ClientLine::Command { parsed }, .. } => {
                let verb = match &**parsed {
                    Ok(p) => p.command.verb(),
                    Err(e) => e.verb?,
                };
                Some(match verb {
                    Verb::Quit => Reaction::GaveUp,
                    Verb::Rset => Reaction::StartedOver,
                    // Another recipient, or the message for those already accepted.
                    Verb::Rcpt | Verb::Data | Verb::Bdat if answered == Some(Verb::Rcpt) => Reaction::OtherRecipients,
                    v if Some(v) == answered => Reaction::RetriedAtOnce(v),
                    v => Reaction::WentOn(v),
                })
            }
            Event::Closed { by: Closer::Server, .. } => Some(Reaction::Disconnected),
            Event::Closed { .. } => Some(Reaction::Dropped),
            _ => None,
        }
    }

    pub fn describe(&self) -> String {
        match self {
            Reaction::GaveUp => "the client gave up with QUIT".into(),
            Reaction::Dropped => "the client dropped the connection without QUIT".into(),
            Reaction::Disconnected => "the server closed the connection; a well-behaved client queues the message and comes back later".into(),
            Reaction::RetriedAtOnce(verb) => format!("the client retried {} at once", verb.name()),
            Reaction::OtherRecipients => "the client went on with the other recipients".into(),
            Reaction::StartedOver => "the client abandoned the message with RSET".into(),
            Reaction::WentOn(verb) => format!("the client went on with {}", verb.name()),
        }
    }

    /// A few words for a list of sessions.
    pub fn short(&self) -> String {
        match self {
            Reaction::GaveUp => "gave up (QUIT)".into(),
            Reaction::Dropped => "dropped the connection".into(),
            Reaction::Disconnected => "was disconnected".into(),
            Reaction::RetriedAtOnce(verb) => format!("retried {} at once", verb.name()),
            Reaction::OtherRecipients => "went on with the other recipients".into(),
            Reaction::StartedOver => "abandoned the message (RSET)".into(),
            Reaction::WentOn(verb) => format!("went on with {}", verb.name()),
        }
    }

    /// The client left: a later connection from it is a retry.
    pub fn left(&self) -> bool {
        matches!(self, Reaction::GaveUp | Reaction::Dropped | Reaction::Disconnected)
    }
}
