//! What the store keeps of each message and each session, as the API and the feed show them.

use super::event_log::EventLog;
use smtp_protocol::StoredMessage;
use smtp_protocol::command::Leniency;
use smtp_protocol::event::Event;
use std::path::Path;
use std::sync::Arc;

#[derive(Debug, Clone)]
pub struct Captured {
    pub id: u64,
    /// The session it came in (0: loaded from the Maildir at start).
    pub session: u64,
    /// Shared: copying the list under the store's lock copies no mail.
    pub message: Arc<StoredMessage>,
    /// Its file in the Maildir, if there is one.
    pub(super) file: Option<Arc<Path>>,
}

#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct SessionRecord {
    pub id: u64,
    pub client: String,
    pub started: u64,
    pub ended: Option<u64>,
    pub messages: usize,
    /// How it ended, once it has.
    pub result: Option<String>,
    /// The name the client gave in HELO/EHLO (the last one).
    #[serde(default)]
    pub helo: Option<compact_str::CompactString>,
    /// The account it logged in with: how groups sharing one machine are told apart.
    #[serde(default)]
    pub authenticated_as: Option<String>,
    pub events: EventLog,
    /// Older events left out (see [`StoreLimits::events_per_session`] and [`StoreLimits::event_octets`]).
    pub skipped: u64,
    /// The leniency this session's server parses commands with (so that the log can keep a
    /// command as its text and parse it again when read); unknown for sessions read back.
    #[serde(skip)]
    pub(super) leniency: Option<Leniency>,
}

impl SessionRecord {
    /// Keeps `event` as the newest, the oldest making room beyond `limit` events.
    pub(super) fn push_event(&mut self, event: Event, limit: usize) {
        if limit == 0 {
            self.skipped += 1;
            return;
        }
        while self.events.len() >= limit {
            self.pop_event();
        }
        self.events.push_back(event, self.leniency);
    }

    /// Forgets the oldest event.
    pub(super) fn pop_event(&mut self) {
        self.skipped += u64::from(self.events.pop_front());
    }

    /// What `events` hold, by [`EventLog::octets`].
    pub(super) fn octets(&self) -> usize {
        self.events.octets()
    }

    /// The session as `C:`/`S:` lines.
    pub fn transcript(&self) -> String {
        let mut out = String::new();
        if self.skipped > 0 {
            out.push_str(&format!("-- {} earlier events not kept\n", self.skipped));
        }
        self.events.write_transcript(&mut out);
        out
    }
}
