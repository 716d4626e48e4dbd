//! What the mock server captured: the mail (bounded in count and in octets: the oldest is
//! dropped) and the recent sessions with their events (bounded too, in count and in octets),
//! mirrored to a Maildir when one is given, and fed live to watching pages. What is kept of a
//! message or a session is in `record`; what a watching page is sent, in `feed`.
//!
//! Ordering: every change is broadcast while the store's lock is held, and a watcher subscribes
//! and takes its snapshot under the same lock, so a page sees each event exactly once, in order.
//!
//! Readers copy, then work: a message's content and a session's full blocks of events are
//! shared, so the API and a page that opens take a copy under the lock for the price of a count
//! each (and of a copy of each session's block being filled), and write their JSON, transcripts
//! and mbox after letting it go. Sixty students' clients must not wait on a grading script
//! reading a thousand sessions.

use super::event_log::EventLog;
use super::feed::frame;
use super::record::{Captured, SessionRecord};
use crate::maildir::Maildir;
use smtp_protocol::StoredMessage;
use smtp_protocol::command::Leniency;
use smtp_protocol::event::{Closer, Event};
use smtp_protocol::watch::{Removal, ToWatcher};
use std::collections::VecDeque;
use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use tokio::sync::broadcast;

/// Sessions remembered (the oldest is forgotten first).
pub const MAX_SESSIONS: usize = 1000;
/// Events remembered per session by default (`--events-per-session`): a client sending
/// thousands of messages in one connection keeps only its latest events (the page's timeline
/// shows at most this many).
pub const MAX_EVENTS_PER_SESSION: usize = 10_000;
/// Sessions whose events a new watcher receives (the others are listed only through the API),
/// and how many events at most, so that a page joining a busy server is not buried.
/// Frames a watcher may fall behind before it is told to start again.
const FEED_CAPACITY: usize = 8192;

/// What the store may hold in memory. Counts alone do not bound it: a thousand messages at the
/// mock profile's 10 MB limit are 10 GB, and every line of their content is an event.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StoreLimits {
    /// Messages kept (`--max-messages`).
    pub messages: usize,
    /// Octets of mail kept, as received (`--max-store-mb`). The newest message is kept even
    /// when it alone is larger.
    pub message_octets: u64,
    /// Octets of session events kept, across all sessions (estimated from the lines and replies
    /// they hold); beyond it the oldest sessions lose their oldest events first.
    pub event_octets: usize,
    /// Client sessions kept (`--max-sessions-kept`); the oldest is forgotten first.
    pub sessions: usize,
    /// Events kept per session (`--events-per-session`), its latest; 0 keeps none (pages that
    /// watch still see every event live, and the session's summary is kept).
    pub events_per_session: usize,
}

impl Default for StoreLimits {
    fn default() -> Self {
        StoreLimits { messages: 1000, message_octets: 512_000_000, event_octets: 64 << 20, sessions: MAX_SESSIONS, events_per_session: MAX_EVENTS_PER_SESSION }
    }
}

impl StoreLimits {
    /// The defaults, with `messages` messages.
    pub fn messages(messages: usize) -> Self {
        StoreLimits { messages, ..StoreLimits::default() }
    }

    /// Whether `count` messages holding `octets` leave room for one more of `size` octets (an
    /// empty store always has room: the newest message is kept whatever its size).
    fn has_room(&self, count: usize, octets: u64, size: u64) -> bool {
        count == 0 || (count < self.messages && octets + size <= self.message_octets)
    }
}

/// The octets a message holds in the store.
fn message_octets(message: &StoredMessage) -> u64 {
    message.raw.len() as u64
}

pub(super) struct Inner {
    pub(super) sessions: VecDeque<SessionRecord>,
    pub(super) messages: VecDeque<Captured>,
    dropped: u64,
    next_id: u64,
    /// What `messages` hold, by [`message_octets`].
    message_octets: u64,
    /// What the sessions' events hold, by [`EventLog::octets`].
    event_octets: usize,
    /// Sessions at the front that [`Inner::trim_events`] has emptied: it starts after them, not
    /// at the oldest of up to a thousand on every batch.
    trimmed: usize,
    /// Sessions ever forgotten from the front: a session's position counted from the first ever
    /// kept, less this, is its index (see [`Inner::find`]).
    removed: u64,
}

impl Inner {
    /// `count` new ids, the first returned.
    fn take_ids(&mut self, count: usize) -> u64 {
        let first = self.next_id;
        self.next_id += count as u64;
        first
    }

    /// The index of `session`'s record: where `hint` (its position, as this last returned it)
    /// says if it is there, else by a search (sessions are kept in the order they opened, so by
    /// id), which updates `hint`. The search reads a record's id at every step, a cold line in
    /// each of up to a thousand records, on every command.
    fn find(&self, session: u64, hint: &mut u64) -> Option<usize> {
        if let Some(i) = hint.checked_sub(self.removed).and_then(|i| usize::try_from(i).ok())
            && self.sessions.get(i).is_some_and(|record| record.id == session)
        {
            return Some(i);
        }
        let i = self.sessions.binary_search_by_key(&session, |s| s.id).ok()?;
        *hint = self.removed + i as u64;
        Some(i)
    }

    /// Forgets the oldest events of the oldest sessions, a block at a time, until the events fit
    /// in `limit`.
    fn trim_events(&mut self, limit: usize) {
        while self.event_octets > limit {
            let Some(record) = self.sessions.get_mut(self.trimmed) else { return };
            match record.events.pop_front_block() {
                Some((events, freed)) => {
                    record.skipped += events as u64;
                    self.event_octets -= freed;
                }
                None => self.trimmed += 1,
            }
        }
    }
}

/// A message about to be kept, with its file in the Maildir if it has one.
type Delivered = (StoredMessage, Option<Arc<Path>>);

pub struct Store {
    pub(super) inner: Mutex<Inner>,
    pub(super) feed: broadcast::Sender<Arc<str>>,
    /// Pages watching: the [`Feed`]s alive. The channel's own count takes its lock, and this is
    /// asked on every batch of events.
    pub(super) watchers: Arc<AtomicUsize>,
    maildir: Option<Maildir>,
    limits: StoreLimits,
}

impl Store {
    /// A store within `limits`; with a Maildir, the messages already in it are loaded (the
    /// newest that fit the limits) and every change is written through.
    pub fn new(limits: StoreLimits, maildir: Option<Maildir>) -> std::io::Result<Self> {
        let limits = StoreLimits { messages: limits.messages.max(1), ..limits };
        let mut inner = Inner { sessions: VecDeque::new(), messages: VecDeque::new(), dropped: 0, next_id: 1, message_octets: 0, event_octets: 0, trimmed: 0, removed: 0 };
        if let Some(dir) = &maildir {
            // The newest files that fit, chosen by their sizes before any is read.
            let files = dir.list()?;
            let (mut count, mut octets) = (0, 0);
            let fitting = files
                .iter()
                .rev()
                .take_while(|(_, size)| {
                    let room = limits.has_room(count, octets, *size);
                    count += 1;
                    octets += size;
                    room
                })
                .count();
            let left = files.len() - fitting;
            if left > 0 {
                tracing::warn!(left, "the Maildir holds more than --max-messages or --max-store-mb allow: the oldest stay on disk, not loaded");
            }
            let mut read = Vec::new();
            for (path, _) in files.into_iter().skip(left) {
                match dir.read(&path) {
                    Ok(message) => read.push((message, path)),
                    Err(err) => tracing::warn!(%err, path = %path.display(), "skipped an unreadable file in the Maildir"),
                }
            }
            // Ids and sessions as they were: new ones continue after the highest kept.
            let sessions: Vec<SessionRecord> = dir.sessions(limits.sessions.max(1));
            let highest = read.iter().filter_map(|(m, _)| m.id.max(m.session)).chain(sessions.iter().map(|s| s.id)).max().unwrap_or(0);
            inner.next_id = highest + 1;
            for (read, path) in read {
                let id = read.id.unwrap_or_else(|| inner.take_ids(1));
                inner.message_octets += message_octets(&read.message);
                inner.messages.push_back(Captured { id, session: read.session.unwrap_or(0), message: Arc::new(read.message), file: Some(path.into()) });
            }
            for mut record in sessions {
                while record.events.len() > limits.events_per_session {
                    record.pop_event();
                }
                inner.event_octets += record.octets();
                inner.sessions.push_back(record);
            }
            inner.trim_events(limits.event_octets);
        }
        Ok(Store { inner: Mutex::new(inner), feed: broadcast::channel(FEED_CAPACITY).0, watchers: Arc::default(), maildir, limits })
    }

    pub fn max_messages(&self) -> usize {
        self.limits.messages
    }

    /// Octets the kept messages hold, and octets the kept events hold (estimated).
    #[cfg(test)]
    fn octets(&self) -> (u64, usize) {
        let inner = self.lock();
        (inner.message_octets, inner.event_octets)
    }

    pub(super) fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.inner.lock().expect("not poisoned")
    }

    /// Whether any page watches.
    fn watched(&self) -> bool {
        self.watchers.load(Ordering::Relaxed) > 0
    }

    /// Sends a frame to every watching page.
    pub(super) fn send(&self, message: &ToWatcher) {
        let _ = self.feed.send(frame(message));
    }

    /// Sends a frame to every watching page; builds it only when somebody watches.
    pub fn broadcast(&self, message: impl FnOnce() -> ToWatcher) {
        if self.watched() {
            self.send(&message());
        }
    }

    /// A new client session; `leniency` is what its server parses commands with.
    pub fn open_session(&self, client: String, started: u64, leniency: Leniency) -> u64 {
        let mut inner = self.lock();
        let id = inner.take_ids(1);
        if inner.sessions.len() >= self.limits.sessions.max(1)
            && let Some(old) = inner.sessions.pop_front()
        {
            inner.event_octets -= old.octets();
            inner.trimmed = inner.trimmed.saturating_sub(1);
            inner.removed += 1;
        }
        inner.sessions.push_back(SessionRecord {
            id,
            client: client.clone(),
            started,
            ended: None,
            messages: 0,
            result: None,
            helo: None,
            authenticated_as: None,
            events: EventLog::default(),
            skipped: 0,
            leniency: Some(leniency),
        });
        self.broadcast(|| ToWatcher::Session { session: id, client, started, summary: None });
        id
    }

    /// [`Store::record_at`] with no hint.
    #[cfg(test)]
    pub fn record(&self, session: u64, events: impl IntoIterator<Item = Event>, messages: Vec<StoredMessage>) {
        let mut hint = u64::MAX;
        self.record_at(session, &mut hint, events, messages)
    }

    /// A session's new events and the messages it had accepted with them. The events are moved
    /// in one by one (a server's queue drained straight into the store, no list between).
    /// `hint` is where the session's record was found the last time (`u64::MAX` at first), kept
    /// up to date.
    pub fn record_at(&self, session: u64, hint: &mut u64, events: impl IntoIterator<Item = Event>, messages: Vec<StoredMessage>) {
        // With a Maildir, ids first (they go into the files), then the disk outside the lock: one
        // slow write must not stall other sessions. Without one, ids are given under the lock
        // below (one lock a batch, not two). Most batches (a command and its reply) bring none.
        let (first_id, delivered): (Option<u64>, Vec<Delivered>) = match &self.maildir {
            Some(dir) if !messages.is_empty() => {
                let first = self.lock().take_ids(messages.len());
                let delivered = messages
                    .into_iter()
                    .zip(first..)
                    .map(|(message, id)| {
                        let file = match dir.deliver(&message, id, session) {
                            Ok(path) => Some(Arc::from(path)),
                            Err(err) => {
                                tracing::warn!(%err, queue_id = %message.queue_id, "could not write the message to the Maildir; it is kept in memory only");
                                None
                            }
                        };
                        (message, file)
                    })
                    .collect();
                (Some(first), delivered)
            }
            _ => (None, messages.into_iter().map(|message| (message, None)).collect()),
        };
        let mut evicted = Vec::new();
        let mut ended = None;
        {
            let mut guard = self.lock();
            // One borrow of the fields, not one per access through the guard.
            let inner = &mut *guard;
            let at = inner.find(session, hint);
            // A session the trimming had emptied may have more to say.
            if let Some(i) = at {
                inner.trimmed = inner.trimmed.min(i);
            }
            let watched = self.watched();
            for event in events {
                if let Some(record) = at.map(|i| &mut inner.sessions[i]) {
                    match &event {
                        Event::MessageAccepted { .. } => record.messages += 1,
                        Event::ReplySent { state, .. } if state.client_name.is_some() && record.helo.as_deref() != state.client_name.as_deref() => {
                            record.helo = state.client_name.clone()
                        }
                        Event::AuthSucceeded { user, .. } => record.authenticated_as = Some(user.clone()),
                        Event::Closed { at, by, reason } => {
                            record.events.forget_states();
                            record.ended = Some(at.0);
                            let who = if *by == Closer::Server { "server" } else { "client" };
                            record.result = Some(format!("closed by the {who}: {reason}"));
                        }
                        _ => {}
                    }
                    if watched {
                        self.send(&ToWatcher::Event { session, event: event.clone(), skipped: 0 });
                    }
                    inner.event_octets -= record.octets();
                    record.push_event(event, self.limits.events_per_session);
                    inner.event_octets += record.octets();
                }
            }
            inner.trim_events(self.limits.event_octets);
            // Copied (events and all) only when there is a Maildir to keep it in.
            if let Some(record) = at.map(|i| &inner.sessions[i]).filter(|r| r.ended.is_some() && self.maildir.is_some()) {
                ended = Some(record.clone());
            }
            let first_id = first_id.unwrap_or_else(|| inner.take_ids(delivered.len()));
            for ((message, file), id) in delivered.into_iter().zip(first_id..) {
                let octets = message_octets(&message);
                while !self.limits.has_room(inner.messages.len(), inner.message_octets, octets) {
                    let Some(old) = inner.messages.pop_front() else { break };
                    if inner.dropped == 0 {
                        tracing::warn!(
                            max_messages = self.limits.messages,
                            max_octets = self.limits.message_octets,
                            "the message store is full (--max-messages or --max-store-mb): from now on the oldest messages are dropped to make room"
                        );
                    }
                    inner.dropped += 1;
                    inner.message_octets -= message_octets(&old.message);
                    self.broadcast(|| ToWatcher::Removed { queue_ids: vec![old.message.queue_id.clone()], why: Removal::Dropped });
                    evicted.push(old);
                }
                inner.message_octets += octets;
                self.broadcast(|| ToWatcher::Message { id, session, message: message.clone() });
                inner.messages.push_back(Captured { id, session, message: Arc::new(message), file });
            }
        }
        self.unlink(evicted);
        // A finished session is kept beside the mail, for the next start.
        if let (Some(dir), Some(record)) = (&self.maildir, ended)
            && let Err(err) = dir.save_session(record.id, &record)
        {
            tracing::warn!(%err, session = record.id, "could not keep the session in the Maildir");
        }
    }

    fn unlink(&self, gone: Vec<Captured>) {
        if let Some(dir) = &self.maildir {
            for captured in gone {
                if let Some(file) = &captured.file {
                    dir.remove(file);
                }
            }
        }
    }

    /// Deletes the messages `which` picks; the queue ids of those deleted.
    pub fn delete(&self, which: impl Fn(&Captured) -> bool) -> Vec<String> {
        let gone: Vec<Captured> = {
            let mut inner = self.lock();
            let (gone, kept): (Vec<Captured>, Vec<Captured>) = std::mem::take(&mut inner.messages).into_iter().partition(|c| which(c));
            inner.messages = kept.into();
            inner.message_octets -= gone.iter().map(|c| message_octets(&c.message)).sum::<u64>();
            if !gone.is_empty() {
                let queue_ids = gone.iter().map(|c| c.message.queue_id.clone()).collect();
                self.broadcast(|| ToWatcher::Removed { queue_ids, why: Removal::Deleted });
            }
            gone
        };
        let ids = gone.iter().map(|c| c.message.queue_id.clone()).collect();
        self.unlink(gone);
        ids
    }

    /// Forgets every session (kept ones in the Maildir too); the mail stays.
    pub fn delete_sessions(&self) -> usize {
        let count = {
            let mut inner = self.lock();
            let count = inner.sessions.len();
            inner.sessions.clear();
            inner.removed += count as u64;
            inner.event_octets = 0;
            inner.trimmed = 0;
            count
        };
        if let Some(dir) = &self.maildir {
            dir.remove_sessions();
        }
        count
    }

    /// The messages, oldest first: a copy (the mail itself is shared), taken under the lock.
    pub fn messages(&self) -> Vec<Captured> {
        self.lock().messages.iter().cloned().collect()
    }

    pub fn find(&self, id: u64) -> Option<Captured> {
        self.lock().messages.iter().find(|c| c.id == id).cloned()
    }

    /// Messages dropped because the store was full.
    pub fn dropped(&self) -> u64 {
        self.lock().dropped
    }

    /// The sessions, oldest first, read under the lock: copy what is needed (a session's events
    /// are shared blocks) and write it out after.
    pub fn with_sessions<R>(&self, f: impl FnOnce(&VecDeque<SessionRecord>) -> R) -> R {
        f(&self.lock().sessions)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mock::feed::{SNAPSHOT_EVENTS, SNAPSHOT_SESSIONS};
    use smtp_protocol::{Peer, ProfileName, Server, ServerConfig, Timestamp};

    /// What the mock profile's server parses commands with.
    fn leniency() -> Leniency {
        ServerConfig::new(ProfileName::Mock).policy.leniency
    }

    fn messages(n: usize) -> (Vec<Event>, Vec<StoredMessage>) {
        let mut server = Server::new(ServerConfig::new(ProfileName::Mock), Peer::default(), Timestamp(1_000));
        server.handle_input(b"EHLO a\r\n", Timestamp(1_001));
        for i in 0..n {
            server.handle_input(format!("MAIL FROM:<a@b.example>\r\nRCPT TO:<c@d.example>\r\nDATA\r\nSubject: {i}\r\n\r\nx\r\n.\r\n").as_bytes(), Timestamp(1_002));
        }
        let mut events = vec![];
        while let Some(e) = server.poll_event() {
            events.push(e);
        }
        (events, server.take_messages())
    }

    #[test]
    fn the_oldest_message_makes_room_and_watchers_are_told() {
        let store = Store::new(StoreLimits::messages(2), None).unwrap();
        let session = store.open_session("127.0.0.1:1".into(), 1, leniency());
        let (_, mut feed) = store.watch(ToWatcher::Refused { reason: "hello".into() });
        let (events, stored) = messages(3);
        let first = stored[0].queue_id.clone();
        store.record(session, events, stored);
        assert_eq!(store.messages().len(), 2);
        assert_eq!(store.dropped(), 1);
        let mut frames = vec![];
        while let Ok(frame) = feed.try_recv() {
            frames.push(frame.to_string());
        }
        assert!(frames.iter().any(|f| f.contains("\"removed\"") && f.contains(&first) && f.contains("dropped")), "{frames:?}");
        assert_eq!(frames.iter().filter(|f| f.contains("\"type\":\"message\"")).count(), 3);
        assert_eq!(store.with_sessions(|s| s[0].messages), 3);
    }

    #[test]
    fn mail_beyond_the_octet_budget_drops_the_oldest_but_never_the_newest() {
        let (events, stored) = messages(4);
        let size = message_octets(&stored[0]);
        // Room for two and a half messages: the third pushes the first out.
        let store = Store::new(StoreLimits { message_octets: size * 5 / 2, ..StoreLimits::messages(10) }, None).unwrap();
        let session = store.open_session("127.0.0.1:1".into(), 1, leniency());
        let (_, mut feed) = store.watch(ToWatcher::Refused { reason: "hello".into() });
        let first = stored[0].queue_id.clone();
        store.record(session, events, stored[..3].to_vec());
        assert_eq!(store.messages().iter().map(|c| c.message.queue_id.clone()).collect::<Vec<_>>(), vec![stored[1].queue_id.clone(), stored[2].queue_id.clone()]);
        assert_eq!((store.dropped(), store.octets().0), (1, 2 * size));
        let mut frames = vec![];
        while let Ok(frame) = feed.try_recv() {
            frames.push(frame.to_string());
        }
        assert!(frames.iter().any(|f| f.contains("\"removed\"") && f.contains(&first) && f.contains("dropped")), "{frames:?}");
        // A message larger than the whole budget is kept, alone.
        let mut big = stored[3].clone();
        big.raw = vec![b'x'; (size * 3) as usize];
        store.record(session, vec![], vec![big.clone()]);
        assert_eq!(store.messages().len(), 1);
        assert_eq!((store.dropped(), store.octets().0), (3, 3 * size));
        // Deleting gives the octets back.
        store.delete(|_| true);
        assert_eq!(store.octets().0, 0);
    }

    #[test]
    fn events_beyond_their_budget_leave_the_oldest_sessions_first() {
        // Sessions of a few blocks each: the budget takes whole blocks.
        let (events, _) = messages(30);
        let mut log = EventLog::default();
        for event in &events {
            log.push_back(event.clone(), Some(leniency()));
        }
        let weight = log.octets();
        // Room for two and a half sessions' events.
        let store = Store::new(StoreLimits { event_octets: weight * 5 / 2, ..StoreLimits::messages(10) }, None).unwrap();
        let sessions: Vec<u64> = (0..3).map(|i| store.open_session(format!("127.0.0.1:{i}"), i, leniency())).collect();
        for &session in &sessions {
            store.record(session, events.clone(), vec![]);
        }
        let total = store.octets().1;
        assert!(total <= weight * 5 / 2);
        store.with_sessions(|s| {
            // The oldest lost some of its events, the newer two none; the totals agree.
            assert!(s[0].skipped > 0 && s[0].events.len() < events.len(), "{} kept", s[0].events.len());
            assert_eq!((s[1].skipped, s[2].skipped), (0, 0));
            assert_eq!(s[0].events.iter().last().as_ref(), events.last());
            assert_eq!(s.iter().map(SessionRecord::octets).sum::<usize>(), total);
            assert!(s[0].transcript().starts_with(&format!("-- {} earlier events not kept", s[0].skipped)));
        });
    }

    #[test]
    fn a_long_session_keeps_its_latest_events() {
        let store = Store::new(StoreLimits::messages(10), None).unwrap();
        let session = store.open_session("127.0.0.1:1".into(), 1, leniency());
        let (events, _) = messages(1);
        let per_message = events.len();
        for _ in 0..(MAX_EVENTS_PER_SESSION / per_message + 5) {
            store.record(session, events.clone(), vec![]);
        }
        store.with_sessions(|s| {
            assert_eq!(s[0].events.len(), MAX_EVENTS_PER_SESSION);
            assert!(s[0].skipped > 0);
            assert!(s[0].transcript().starts_with(&format!("-- {} earlier events not kept", s[0].skipped)));
        });
        let (frames, _) = store.watch(ToWatcher::Refused { reason: "hello".into() });
        assert!(frames[2].contains("\"skipped\""), "{}", frames[2]);
    }

    /// `--events-per-session`: a few keeps the latest few; none keeps the session's summary, and
    /// a page that watches still sees every event as it happens.
    #[test]
    fn events_per_session_bounds_what_each_session_keeps() {
        let (events, stored) = messages(2);
        for limit in [0, 7] {
            let store = Store::new(StoreLimits { events_per_session: limit, ..StoreLimits::messages(10) }, None).unwrap();
            let session = store.open_session("127.0.0.1:1".into(), 1, leniency());
            let (_, mut feed) = store.watch(ToWatcher::Refused { reason: "hello".into() });
            store.record(session, events.clone(), stored.clone());
            store.with_sessions(|s| {
                assert!(s[0].events.iter().eq(events[events.len() - limit..].iter().cloned()));
                assert_eq!(s[0].skipped as usize, events.len() - limit);
                assert_eq!((s[0].messages, s[0].helo.as_deref()), (2, Some("a")));
                assert_eq!(s[0].octets() == 0, limit == 0);
            });
            let live = std::iter::from_fn(|| feed.try_recv().ok()).filter(|f| f.contains("\"type\":\"event\"")).count();
            assert_eq!(live, events.len());
            assert_eq!(store.messages().len(), 2);
        }
    }

    /// A session's events go to its own record while older sessions are forgotten before it
    /// (its index moves) and after every session is deleted (it has none): never to another's.
    #[test]
    fn a_session_is_found_where_it_moved_to() {
        let store = Store::new(StoreLimits { sessions: 3, ..StoreLimits::messages(10) }, None).unwrap();
        let (events, _) = messages(1);
        let open = |n: u16| store.open_session(format!("127.0.0.1:{n}"), 1, leniency());
        let (first, second) = (open(1), open(2));
        let mut hint = u64::MAX;
        store.record_at(second, &mut hint, events[..2].iter().cloned(), vec![]);
        let (third, fourth) = (open(3), open(4));
        store.record_at(second, &mut hint, events[2..].iter().cloned(), vec![]);
        store.with_sessions(|s| {
            let ids: Vec<u64> = s.iter().map(|r| r.id).collect();
            assert_eq!(ids, [second, third, fourth], "{first} is forgotten");
            assert!(s[0].events.iter().eq(events.iter().cloned()));
            assert!(s[1].events.is_empty() && s[2].events.is_empty());
        });
        store.delete_sessions();
        let fifth = open(5);
        store.record_at(second, &mut hint, events.iter().cloned(), vec![]);
        store.with_sessions(|s| assert!(s.len() == 1 && s[0].id == fifth && s[0].events.is_empty()));
    }

    /// Frames are built and sent while a page watches, and not once the last has gone.
    #[test]
    fn pages_are_counted_while_they_watch() {
        let store = Store::new(StoreLimits::messages(10), None).unwrap();
        assert!(!store.watched());
        let hello = || ToWatcher::Refused { reason: "hello".into() };
        let ((_, first), (_, second)) = (store.watch(hello()), store.watch(hello()));
        assert!(store.watched());
        drop(first);
        assert!(store.watched());
        drop(second);
        assert!(!store.watched());
    }

    #[test]
    fn a_page_joining_a_busy_server_gets_the_latest_events_only() {
        let store = Store::new(StoreLimits::messages(10), None).unwrap();
        let (events, _) = messages(1);
        let sessions: Vec<u64> = (0..4).map(|i| store.open_session(format!("127.0.0.1:{i}"), i, leniency())).collect();
        for &session in &sessions {
            for _ in 0..(MAX_EVENTS_PER_SESSION / events.len()) {
                store.record(session, events.clone(), vec![]);
            }
        }
        let (frames, _) = store.watch(ToWatcher::Refused { reason: "hello".into() });
        let event_frames = frames.iter().filter(|f| f.contains("\"type\":\"event\"")).count();
        assert_eq!(event_frames, SNAPSHOT_EVENTS);
        // The two newest sessions fill the budget; the older ones are only in the API.
        let opened: Vec<&Arc<str>> = frames.iter().filter(|f| f.contains("\"type\":\"session\"")).collect();
        assert_eq!(opened.len(), 2, "{opened:?}");
        assert!(opened[0].contains("127.0.0.1:2") && opened[1].contains("127.0.0.1:3"));
    }

    /// A page that joins late sees every kept session in its list: the newest with their
    /// events, the older by their summaries.
    #[test]
    fn a_late_watcher_gets_every_session_the_older_by_summary() {
        let store = Store::new(StoreLimits::messages(10), None).unwrap();
        for i in 0..(SNAPSHOT_SESSIONS + 10) {
            let id = store.open_session(format!("192.0.2.{}:4000", i % 200), i as u64, leniency());
            let (events, messages) = messages(1);
            store.record(id, events, messages);
        }
        let hello = ToWatcher::Hello { v: 1, smtp: String::new(), config: ServerConfig::new(ProfileName::Mock), max_messages: 10, access: Default::default() };
        let (frames, _) = store.watch(hello);
        let sessions: Vec<ToWatcher> = frames.iter().map(|f| serde_json::from_str(f).unwrap()).filter(|f| matches!(f, ToWatcher::Session { .. })).collect();
        assert_eq!(sessions.len(), SNAPSHOT_SESSIONS + 10);
        let summarised = sessions.iter().filter(|f| matches!(f, ToWatcher::Session { summary: Some(s), .. } if s.messages == 1)).count();
        assert_eq!(summarised, 10);
    }
}
