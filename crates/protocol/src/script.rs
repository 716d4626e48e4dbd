//! The session script: what transcripts, exercise solutions and the page's "Show solution" are
//! written in, read in one place ([`Directive::parse`]), and the one driver that plays it
//! against a [`Server`] ([`Player`], in the manner of quinn-proto's `Pair`: input in, the
//! server's outputs drained after every step).
//!
//! A script entry is either text to send (lines, each ended by CRLF) or a directive, a line
//! that begins with `-- `:
//!
//! | directive | what happens |
//! | --- | --- |
//! | `-- wait N` | N seconds pass; the server's timers run (an idle timeout may fire) |
//! | `-- timeout` | the server's timers run now (a held reply that is due goes out; an idle session past its deadline is closed) |
//! | `-- lf TEXT` | TEXT is sent ended by LF alone (a bare LF), as the console's "LF only" |
//! | `-- set FIELD=JSON` | a policy field changes, as in the Server tab (checked first) |
//! | `-- tls` | the STARTTLS handshake the server asked for completes |
//! | `-- reconnect` | a new connection to the same server |
//! | `-- disconnect` | the client closes the connection |
//! | `-- closed`, `-- open` | the connection must be closed (open) now |
//! | `-- messages N` | the server must hold N accepted messages |

use crate::event::Event;
use crate::profile::{ServerConfig, ServerPolicy};
use crate::server::{Peer, Server, Step};
use crate::time::Timestamp;

/// One step of a session script.
#[derive(Debug, Clone, PartialEq)]
pub enum Directive {
    /// Text sent as lines, each ended by CRLF.
    Lines(String),
    /// Bytes sent as they are.
    Bytes(Vec<u8>),
    /// A line ended by LF alone.
    BareLineFeed(String),
    Wait(u64),
    Timeout,
    Set {
        field: String,
        value: serde_json::Value,
    },
    Tls,
    Reconnect,
    Disconnect,
    ExpectClosed,
    ExpectOpen,
    ExpectMessages(usize),
}

impl Directive {
    /// Reads one script entry: a directive when it begins with `-- `, else lines to send.
    /// `Err` says what is wrong and what the directives are.
    pub fn parse(entry: &str) -> Result<Directive, String> {
        let Some(directive) = entry.strip_prefix("-- ") else { return Ok(Directive::Lines(entry.to_string())) };
        let (word, rest) = directive.split_once(' ').map_or((directive, ""), |(w, r)| (w, r.trim()));
        let number = |what: &str| -> Result<u64, String> { rest.parse().map_err(|_| format!("`-- {word}` takes a whole number of {what}, e.g. `-- {word} 5`, not {rest:?}")) };
        let bare = |directive: Directive| if rest.is_empty() { Ok(directive) } else { Err(format!("`-- {word}` takes nothing after it (found {rest:?})")) };
        match word {
            "wait" => Ok(Directive::Wait(number("seconds")?)),
            "messages" => Ok(Directive::ExpectMessages(number("messages")? as usize)),
            "timeout" => bare(Directive::Timeout),
            "tls" => bare(Directive::Tls),
            "reconnect" => bare(Directive::Reconnect),
            "disconnect" => bare(Directive::Disconnect),
            "closed" => bare(Directive::ExpectClosed),
            "open" => bare(Directive::ExpectOpen),
            // The line as written after `-- lf `, spaces and all.
            "lf" => Ok(Directive::BareLineFeed(directive.strip_prefix("lf ").unwrap_or_default().to_string())),
            "set" => {
                let (field, value) = rest.split_once('=').ok_or_else(|| format!("`-- set` takes FIELD=JSON, e.g. `-- set max_recipients=2`, not {rest:?}"))?;
                let value = serde_json::from_str(value.trim())
                    .map_err(|e| format!("`-- set {}`: the value is not JSON ({e}); a string is quoted, e.g. `-- set hostname=\"mx.example\"`", field.trim()))?;
                Ok(Directive::Set { field: field.trim().to_string(), value })
            }
            _ => {
                Err(format!("`-- {word}` is not a directive; the directives are wait N, timeout, lf TEXT, set FIELD=JSON, tls, reconnect, disconnect, closed, open and messages N"))
            }
        }
    }

    /// How the page's "Show solution" writes this step for a student.
    pub fn for_student(&self) -> String {
        match self {
            Directive::Lines(text) => text.clone(),
            Directive::Bytes(bytes) => String::from_utf8_lossy(bytes).into_owned(),
            Directive::BareLineFeed(line) => format!("{line}    (Line end: LF only)"),
            Directive::Wait(secs) => format!("(wait {secs} seconds)"),
            Directive::Timeout => "(wait for the server)".into(),
            Directive::Set { field, value } => format!("(in the Server tab: {field}={value})"),
            Directive::Tls => "(the TLS handshake completes)".into(),
            Directive::Reconnect => "(press Reconnect)".into(),
            Directive::Disconnect => "(close the connection)".into(),
            Directive::ExpectClosed => "(the server has closed the connection)".into(),
            Directive::ExpectOpen => "(the connection is still open)".into(),
            Directive::ExpectMessages(n) => format!("(the server now holds {n} message(s))"),
        }
    }
}

/// A policy with one field changed, checked: what `-- set` and the Server tab do.
pub(crate) fn set_field(policy: &ServerPolicy, field: &str, value: &serde_json::Value) -> Result<ServerPolicy, String> {
    let mut json = serde_json::to_value(policy).map_err(|e| e.to_string())?;
    let Some(slot) = json.get_mut(field) else { return Err(format!("`-- set {field}`: no such policy field")) };
    *slot = value.clone();
    let changed: ServerPolicy = serde_json::from_value(json).map_err(|e| format!("`-- set {field}={value}`: {e}"))?;
    changed.check().map_err(|problem| format!("`-- set {field}={value}`: {}", problem.message))?;
    Ok(changed)
}

/// Plays a script against a simulated server: each step's input goes in and the server's
/// replies and events are drained after it. Time moves only when a step says so (or
/// [`Player::advance`] is called).
pub struct Player {
    pub server: Server,
    pub now: Timestamp,
    /// Every event, in order.
    pub events: Vec<Event>,
    /// The reply bytes not yet taken by [`Player::take_wire`].
    wire: Vec<u8>,
    /// Complete a STARTTLS handshake as soon as the server asks for one (exercise solutions),
    /// instead of waiting for `-- tls` (transcripts).
    pub auto_tls: bool,
}

impl Player {
    pub fn new(config: ServerConfig, now: Timestamp) -> Player {
        let mut player = Player { server: Server::new(config, Peer::default(), now), now, events: Vec::new(), wire: Vec::new(), auto_tls: false };
        player.drain();
        player
    }

    /// Moves the clock, without running the server's timers.
    pub fn advance(&mut self, secs: u64) {
        self.now = self.now.plus_secs(secs);
    }

    /// Sends bytes now.
    pub fn send(&mut self, bytes: &[u8]) {
        self.server.handle_input(bytes, self.now);
        self.drain();
    }

    /// Plays one step; an expectation that does not hold, or a `-- set` the policy refuses,
    /// is an `Err` saying so.
    pub fn play(&mut self, directive: &Directive) -> Result<(), String> {
        match directive {
            Directive::Lines(text) => {
                let bytes: String = text.lines().map(|l| format!("{l}\r\n")).collect();
                self.send(bytes.as_bytes());
            }
            Directive::Bytes(bytes) => self.send(bytes),
            Directive::BareLineFeed(line) => self.send(format!("{line}\n").as_bytes()),
            Directive::Wait(secs) => {
                self.advance(*secs);
                self.server.handle_timeout(self.now);
            }
            Directive::Timeout => self.server.handle_timeout(self.now),
            Directive::Set { field, value } => {
                let policy = set_field(self.server.policy(), field, value)?;
                self.server.set_policy(policy);
            }
            Directive::Tls => self.server.handle_tls_established(self.now, "TLSv1.3", "TLS_AES_128_GCM_SHA256", true),
            Directive::Reconnect => self.server.reconnect(self.now),
            Directive::Disconnect => self.server.handle_client_close(self.now),
            Directive::ExpectClosed if !self.server.is_closed() => return Err("expected the connection closed, and it is open".into()),
            Directive::ExpectOpen if self.server.is_closed() => return Err("expected the connection open, and it is closed".into()),
            Directive::ExpectMessages(n) if self.server.messages().len() != *n => {
                return Err(format!("expected {n} stored message(s), the server holds {}", self.server.messages().len()));
            }
            Directive::ExpectClosed | Directive::ExpectOpen | Directive::ExpectMessages(_) => {}
        }
        self.drain();
        Ok(())
    }

    /// The reply bytes sent since the last call.
    pub fn take_wire(&mut self) -> Vec<u8> {
        std::mem::take(&mut self.wire)
    }

    fn drain(&mut self) {
        loop {
            if self.auto_tls && self.server.next_step() == Step::TlsHandshake {
                self.server.handle_tls_established(self.now, "TLSv1.3", "TLS_AES_128_GCM_SHA256", true);
            }
            let mut progressed = false;
            while let Some(bytes) = self.server.poll_transmit() {
                self.wire.extend_from_slice(&bytes);
                progressed = true;
            }
            while let Some(event) = self.server.poll_event() {
                self.events.push(event);
                progressed = true;
            }
            if !progressed {
                break;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::preset::ProfileName;

    #[test]
    fn every_directive_reads_and_a_wrong_one_says_what_the_directives_are() {
        assert_eq!(Directive::parse("-- wait 31"), Ok(Directive::Wait(31)));
        assert_eq!(Directive::parse("-- messages 2"), Ok(Directive::ExpectMessages(2)));
        assert_eq!(Directive::parse("-- set max_recipients=2"), Ok(Directive::Set { field: "max_recipients".into(), value: serde_json::json!(2) }));
        assert_eq!(Directive::parse("-- lf MAIL FROM:<a@b>"), Ok(Directive::BareLineFeed("MAIL FROM:<a@b>".into())));
        assert_eq!(Directive::parse("-- lf . "), Ok(Directive::BareLineFeed(". ".into())), "kept as written");
        assert_eq!(Directive::parse("EHLO a\nNOOP"), Ok(Directive::Lines("EHLO a\nNOOP".into())));
        for bare in ["timeout", "tls", "reconnect", "disconnect", "closed", "open"] {
            assert!(Directive::parse(&format!("-- {bare}")).is_ok(), "{bare}");
            assert!(Directive::parse(&format!("-- {bare} now")).unwrap_err().contains("takes nothing after it"), "{bare}");
        }
        assert!(Directive::parse("-- wait soon").unwrap_err().contains("a whole number of seconds"));
        assert!(Directive::parse("-- set hostname=mx.example").unwrap_err().contains("a string is quoted"));
        assert!(Directive::parse("-- sleep 3").unwrap_err().contains("is not a directive; the directives are wait N"));
    }

    #[test]
    fn a_set_goes_through_the_policys_check() {
        let policy = ServerPolicy::for_profile(ProfileName::Postfix);
        assert_eq!(set_field(&policy, "max_recipients", &serde_json::json!(2)).unwrap().max_recipients, 2);
        assert!(set_field(&policy, "max_recipients", &serde_json::json!(0)).unwrap_err().contains("max_recipients is 0"));
        assert!(set_field(&policy, "max_recipent", &serde_json::json!(2)).unwrap_err().contains("no such policy field"));
        assert!(set_field(&policy, "max_recipients", &serde_json::json!("two")).unwrap_err().contains("invalid type"));
    }

    #[test]
    fn the_player_drains_after_every_step_and_checks_expectations() {
        let mut player = Player::new(crate::ServerConfig::new(ProfileName::Postfix), Timestamp(1_000));
        assert!(String::from_utf8(player.take_wire()).unwrap().starts_with("220 "));
        player.play(&Directive::parse("QUIT").unwrap()).unwrap();
        assert_eq!(String::from_utf8(player.take_wire()).unwrap(), "221 2.0.0 Bye\r\n");
        assert_eq!(player.play(&Directive::ExpectOpen), Err("expected the connection open, and it is closed".into()));
        assert_eq!(player.play(&Directive::ExpectClosed), Ok(()));
        player.play(&Directive::Reconnect).unwrap();
        assert_eq!(player.play(&Directive::ExpectMessages(1)), Err("expected 1 stored message(s), the server holds 0".into()));
        assert!(matches!(player.events.last(), Some(Event::ReplySent { .. })));
    }
}
