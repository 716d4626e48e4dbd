//! The WebSocket to a mock server's live feed, at `/api/v1/live` (the page `smtp-bridge mock`
//! serves). Frames are handed over together once per animation frame: a busy server sends
//! thousands a second, and the page applies them in one update instead of re-rendering for each.

use super::{Current, forward, socket_url};
use futures::StreamExt;
use gloo_net::websocket::Message;
use gloo_net::websocket::futures::WebSocket;
use leptos::task::spawn_local;
use smtp_protocol::watch::FromWatcher;
use std::cell::RefCell;
use std::rc::Rc;

pub(crate) enum WatchEvent {
    /// Frames received since the last animation frame, in order.
    Frames(Vec<String>),
    /// Nothing answers at the feed's URL.
    Unreachable { url: String },
    /// The feed was open and ended.
    Lost,
}

thread_local! {
    static CURRENT: Current = Current::default();
    static PENDING: RefCell<Vec<String>> = const { RefCell::new(Vec::new()) };
}

pub(crate) fn connect(on_event: impl Fn(WatchEvent) + 'static) {
    let on_event = Rc::new(on_event);
    let url = socket_url("/api/v1/live");
    PENDING.with(|p| p.borrow_mut().clear());
    let Ok(socket) = WebSocket::open(&url) else {
        CURRENT.with(Current::forget);
        return on_event(WatchEvent::Unreachable { url });
    };
    let (write, mut read) = socket.split();
    let (outgoing, queued) = futures::channel::mpsc::unbounded::<Message>();
    let generation = CURRENT.with(|c| c.begin(outgoing));
    spawn_local(forward(write, queued));
    spawn_local(async move {
        let mut opened = false;
        while let Some(frame) = read.next().await {
            if !CURRENT.with(|c| c.is(generation)) {
                return;
            }
            match frame {
                Ok(Message::Text(text)) => {
                    opened = true;
                    receive(generation, on_event.clone(), text);
                }
                Ok(Message::Bytes(_)) => opened = true,
                Err(_) => break,
            }
        }
        if CURRENT.with(|c| c.is(generation)) {
            CURRENT.with(|c| c.ended(generation));
            on_event(if opened { WatchEvent::Lost } else { WatchEvent::Unreachable { url } });
        }
    });
}

fn receive(generation: u64, on_event: Rc<dyn Fn(WatchEvent)>, text: String) {
    let first = PENDING.with(|p| {
        let mut pending = p.borrow_mut();
        pending.push(text);
        pending.len() == 1
    });
    if first {
        leptos::prelude::request_animation_frame(move || {
            let batch = PENDING.with(|p| std::mem::take(&mut *p.borrow_mut()));
            if CURRENT.with(|c| c.is(generation)) {
                on_event(WatchEvent::Frames(batch));
            }
        });
    }
}

/// Sends a request to the mock server; false when the feed is not open.
pub(crate) fn request(request: &FromWatcher) -> bool {
    let text = serde_json::to_string(request).unwrap_or_default();
    CURRENT.with(|c| c.send(Message::Text(text)))
}

/// Whether a feed is open (or opening).
pub(crate) fn is_open() -> bool {
    CURRENT.with(Current::is_open)
}

pub(crate) fn disconnect() {
    CURRENT.with(|c| {
        c.close(None);
        c.forget();
    });
}
