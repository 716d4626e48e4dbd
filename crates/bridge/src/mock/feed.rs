//! The live feed to watching pages: a page's first frames (the recent sessions and the stored
//! messages) and its subscription to what happens next, both taken under the store's lock so
//! that a page sees each event exactly once, in order.

use super::store::Store;
use smtp_protocol::StoredMessage;
use smtp_protocol::watch::ToWatcher;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use tokio::sync::broadcast;

/// Sessions shown whole to a page that opens (older ones by their summary), and the events
/// shown of them at most.
pub(super) const SNAPSHOT_SESSIONS: usize = 50;
pub(super) const SNAPSHOT_EVENTS: usize = 20_000;
/// What happens next, for one watching page: the channel's receiver, counted while it lives.
pub struct Feed {
    receiver: broadcast::Receiver<Arc<str>>,
    watchers: Arc<AtomicUsize>,
}

impl Feed {
    pub(super) fn new(receiver: broadcast::Receiver<Arc<str>>, watchers: &Arc<AtomicUsize>) -> Feed {
        watchers.fetch_add(1, Ordering::Relaxed);
        Feed { receiver, watchers: watchers.clone() }
    }
}

impl Drop for Feed {
    fn drop(&mut self) {
        self.watchers.fetch_sub(1, Ordering::Relaxed);
    }
}

impl std::ops::Deref for Feed {
    type Target = broadcast::Receiver<Arc<str>>;
    fn deref(&self) -> &Self::Target {
        &self.receiver
    }
}

impl std::ops::DerefMut for Feed {
    fn deref_mut(&mut self) -> &mut Self::Target {
        &mut self.receiver
    }
}

/// A frame as sent to pages: one `ToWatcher` message in JSON.
pub(super) fn frame(message: &ToWatcher) -> Arc<str> {
    serde_json::to_string(message).unwrap_or_default().into()
}

impl Store {
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
