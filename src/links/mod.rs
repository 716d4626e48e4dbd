//! The page's two WebSockets to smtp-bridge, on **gloo-net**: `bridge` (a session relayed to a
//! real server) and `watch` (a mock server's live feed). Both follow one rule, kept here: a link
//! has one current connection, and an older socket's late frames or end are ignored, so a
//! reconnect can never be undone by the socket it replaced. Links know nothing of the page's
//! state: they call the handler they were given.

pub(crate) mod bridge;
pub(crate) mod watch;

use futures::channel::mpsc::{UnboundedReceiver, UnboundedSender};
use futures::stream::SplitSink;
use futures::{SinkExt, StreamExt};
use gloo_net::websocket::Message;
use gloo_net::websocket::futures::WebSocket;
use std::cell::{Cell, RefCell};

/// The WebSocket URL of `path` on the page's own origin (`http` becomes `ws`, `https` `wss`).
pub(crate) fn socket_url(path: &str) -> String {
    let origin = web_sys::window().and_then(|w| w.location().origin().ok()).unwrap_or_default();
    format!("{}{path}", origin.replacen("http", "ws", 1))
}

/// Sends the queued frames until the queue is dropped (a new connection, a disconnect), then
/// closes the socket.
async fn forward(mut write: SplitSink<WebSocket, Message>, mut queued: UnboundedReceiver<Message>) {
    while let Some(message) = queued.next().await {
        if write.send(message).await.is_err() {
            break;
        }
    }
    let _ = write.close().await;
}

/// One link's current connection: its number and the queue of frames to send on it.
#[derive(Default)]
pub(crate) struct Current {
    generation: Cell<u64>,
    outgoing: RefCell<Option<UnboundedSender<Message>>>,
}

impl Current {
    /// A new connection replaces the current one (whose queue is dropped, closing its socket).
    pub(crate) fn begin(&self, outgoing: UnboundedSender<Message>) -> u64 {
        let generation = self.generation.get() + 1;
        self.generation.set(generation);
        *self.outgoing.borrow_mut() = Some(outgoing);
        generation
    }

    /// Whether `generation` is still the current connection.
    pub(crate) fn is(&self, generation: u64) -> bool {
        self.generation.get() == generation
    }

    /// Whether a connection is current and still open for sending.
    pub(crate) fn is_open(&self) -> bool {
        self.outgoing.borrow().as_ref().is_some_and(|o| !o.is_closed())
    }

    /// Queues a frame on the current connection; false when there is none.
    pub(crate) fn send(&self, message: Message) -> bool {
        self.outgoing.borrow().as_ref().is_some_and(|o| o.unbounded_send(message).is_ok())
    }

    /// Sends `last` (if any), then closes the current connection's socket.
    pub(crate) fn close(&self, last: Option<Message>) {
        if let Some(outgoing) = self.outgoing.borrow_mut().take()
            && let Some(last) = last
        {
            let _ = outgoing.unbounded_send(last);
        }
    }

    /// Forgets the current connection without a new one: nothing of an older socket counts.
    pub(crate) fn forget(&self) {
        self.generation.set(self.generation.get() + 1);
        self.outgoing.borrow_mut().take();
    }

    /// The socket ended: it is no longer current (only if `generation` still was).
    pub(crate) fn ended(&self, generation: u64) {
        if self.is(generation) {
            self.outgoing.borrow_mut().take();
        }
    }
}
