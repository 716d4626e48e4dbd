//! The live feed to watching pages: a page's subscription to what happens next (counted while
//! it lives), the frames it is sent, and how much a page that opens is shown first. The store
//! takes a page's first frames and its subscription under its lock (`Store::watch`), so that a
//! page sees each event exactly once, in order.

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
