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
use super::feed::{Feed, SNAPSHOT_EVENTS, SNAPSHOT_SESSIONS, frame};
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

    /// A new watcher: `hello`, then the recent sessions and every stored message as frames, and
    /// the feed of what happens next (nothing missed, nothing twice).
    pub fn watch(&self, hello: ToWatcher) -> (Vec<Arc<str>>, Feed) {
        let mut frames = vec![frame(&hello)];
        // Under the lock: the subscription, and a copy of what the page is to be shown.
        let (receiver, shown, messages) = {
            let inner = self.lock();
            // Counted under the lock that batches of events are recorded under: a batch sees the
            // page (and sends to it) or was recorded before the snapshot below is taken.
            let receiver = Feed::new(self.feed.subscribe(), &self.watchers);
            // Every kept session is listed; the older ones by their summary alone.
            let detailed = inner.sessions.len().saturating_sub(SNAPSHOT_SESSIONS);
            for record in inner.sessions.iter().take(detailed) {
                let summary = smtp_protocol::watch::SessionSummary {
                    messages: record.messages,
                    result: record.result.clone(),
                    helo: record.helo.as_deref().map(String::from),
                    account: record.authenticated_as.clone(),
                };
                frames.push(frame(&ToWatcher::Session { session: record.id, client: record.client.clone(), started: record.started, summary: Some(summary) }));
            }
            // The newest sessions, and of the one that exhausts the budget only its latest events.
            let mut budget = SNAPSHOT_EVENTS;
            let mut shown = Vec::new();
            for record in inner.sessions.iter().rev().take(SNAPSHOT_SESSIONS) {
                if budget == 0 {
                    break;
                }
                let take = record.events.len().min(budget);
                budget -= take;
                shown.push((record.clone(), take));
            }
            (receiver, shown, inner.messages.iter().cloned().collect::<Vec<_>>())
        };
        for (record, take) in shown.into_iter().rev() {
            frames.push(frame(&ToWatcher::Session { session: record.id, client: record.client.clone(), started: record.started, summary: None }));
            let left_out = record.events.len() - take;
            for (i, event) in record.events.iter().skip(left_out).enumerate() {
                let skipped = if i == 0 { record.skipped + left_out as u64 } else { 0 };
                frames.push(frame(&ToWatcher::Event { session: record.id, event, skipped }));
            }
        }
        for captured in messages {
            frames.push(frame(&ToWatcher::Message { id: captured.id, session: captured.session, message: StoredMessage::clone(&captured.message) }));
        }
        (frames, receiver)
    }
}

#[cfg(test)]
mod tests;
