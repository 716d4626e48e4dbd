//! The mock server's live feed (data only; smtp-bridge does the I/O): what a page watching
//! `smtp-bridge mock` receives over its WebSocket (`/api/v1/live`), and what it may ask.
//!
//! A watcher first gets [`ToWatcher::Hello`], then the recent sessions and the stored messages
//! as they are (the same messages as later, so a page needs one code path), then each new event
//! as it happens. Every frame is one JSON text message, versioned by `Hello::v`.

use crate::event::Event;
use crate::mailbox::StoredMessage;
use crate::profile::ServerConfig;
use serde::{Deserialize, Serialize};

pub const VERSION: u32 = 1;

/// From the mock server to a watching page.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ToWatcher {
    /// Sent first: where real clients connect, the configuration new connections get, and
    /// whether this page may change anything (delete mail, change the configuration).
    Hello {
        v: u32,
        smtp: String,
        config: ServerConfig,
        max_messages: usize,
        #[serde(default)]
        access: Access,
    },
    /// This page's right to change things changed (it presented the admin token).
    Access { access: Access },
    /// A client connected (or, in the first frames, a session that had already started; an
    /// older one comes with its summary instead of its events).
    Session {
        session: u64,
        client: String,
        started: u64,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        summary: Option<SessionSummary>,
    },
    /// One event of a session, in order. Older events of a very long session may be left out
    /// of the first frames; `skipped` says how many.
    Event {
        session: u64,
        event: Event,
        #[serde(default, skip_serializing_if = "is_zero")]
        skipped: u64,
    },
    /// A message was stored (its raw bytes travel as base64: 8-bit mail is not UTF-8).
    Message { id: u64, session: u64, message: StoredMessage },
    /// Messages removed: deleted from a page or the API, or the oldest dropped when the store
    /// was full.
    Removed { queue_ids: Vec<String>, why: Removal },
    /// The configuration changed (from a page); it applies to the next connection.
    Config { config: ServerConfig },
    /// A request this page sent was refused.
    Refused { reason: String },
}

fn is_zero(n: &u64) -> bool {
    *n == 0
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Removal {
    Deleted,
    /// The store was full (`--max-messages`): the oldest message made room.
    Dropped,
}

/// What the session list shows of a session whose events are not sent.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SessionSummary {
    pub messages: usize,
    /// How it ended, once it has.
    pub result: Option<String>,
    /// The name it gave in HELO/EHLO.
    pub helo: Option<String>,
    /// The account it logged in with.
    pub account: Option<String>,
}

/// What a watching page may do: everything, or read only (and why, and how to unlock).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Access {
    #[default]
    ReadWrite,
    ReadOnly {
        /// Why, in words for the page (e.g. the server listens on the network).
        reason: String,
        /// An admin token would unlock writes.
        unlockable: bool,
    },
}

impl Access {
    pub fn writable(&self) -> bool {
        *self == Access::ReadWrite
    }
}

/// From a watching page to the mock server.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum FromWatcher {
    /// Use this profile and policy for the next connections.
    Configure {
        v: u32,
        /// Boxed: a policy is large beside the other requests.
        config: Box<ServerConfig>,
    },
    Delete {
        queue_id: String,
    },
    DeleteAll,
    /// The admin token (`smtp-bridge --admin-token`): this page may then change things.
    Unlock {
        token: String,
    },
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Peer, ProfileName, Server, Timestamp};

    #[test]
    fn eight_bit_mail_survives_the_feed() {
        let mut server = Server::new(ServerConfig::new(ProfileName::Mock), Peer::default(), Timestamp(1_000));
        server.handle_input(b"EHLO a\r\nMAIL FROM:<a@b.example> BODY=8BITMIME\r\nRCPT TO:<c@d.example>\r\nDATA\r\nSubject: caf\xe9\r\n\r\n\xff\xfe\r\n.\r\n", Timestamp(2_000));
        let stored = server.take_messages().pop().expect("accepted");
        let frame = serde_json::to_string(&ToWatcher::Message { id: 1, session: 1, message: stored.clone() }).unwrap();
        let ToWatcher::Message { message, .. } = serde_json::from_str(&frame).unwrap() else { panic!("{frame}") };
        assert_eq!(message, stored);
    }

    #[test]
    fn requests_are_tagged_json() {
        let json = r#"{"type":"delete","queue_id":"4XyZ"}"#;
        assert_eq!(serde_json::from_str::<FromWatcher>(json).unwrap(), FromWatcher::Delete { queue_id: "4XyZ".into() });
        assert!(serde_json::from_str::<FromWatcher>(r#"{"type":"explode"}"#).is_err());
    }
}
