//! The WebSocket to smtp-bridge for the real-server mode, at `/bridge`: control messages are
//! JSON text frames, SMTP bytes binary frames (`smtp_protocol::relay`).

use super::{Current, forward, socket_url};
use futures::future::Either;
use futures::{SinkExt, StreamExt};
use gloo_net::websocket::Message;
use gloo_net::websocket::futures::WebSocket;
use leptos::task::spawn_local;
use smtp_protocol::relay::{FromPage, ToPage};
use std::rc::Rc;

/// What the bridge said, for the page's handler.
pub(crate) enum BridgeEvent {
    Control(ToPage),
    Bytes(Vec<u8>),
    /// Nothing answers at the bridge's URL (the page is not served by smtp-bridge).
    Unreachable {
        url: String,
    },
    /// A frame this page does not understand.
    Garbled,
    /// The WebSocket ended.
    Ended,
}

thread_local! {
    static CURRENT: Current = Current::default();
}

/// Opens a new session (closing the current one): `request` is the first frame.
pub(crate) fn connect(request: FromPage, on_event: impl Fn(BridgeEvent) + 'static) {
    let on_event = Rc::new(on_event);
    let url = socket_url("/bridge");
    let Ok(socket) = WebSocket::open(&url) else {
        CURRENT.with(Current::forget);
        return on_event(BridgeEvent::Unreachable { url });
    };
    let (mut write, mut read) = socket.split();
    let (outgoing, queued) = futures::channel::mpsc::unbounded::<Message>();
    let generation = CURRENT.with(|c| c.begin(outgoing));
    let request = serde_json::to_string(&request).unwrap_or_default();
    // The reader says when the socket ended, so that a writer still waiting for it to open
    // (it never will) gives up instead of holding the socket for good.
    let (ended, reader_ended) = futures::channel::oneshot::channel::<()>();
    spawn_local(async move {
        // The first send waits for the socket to open.
        let first = Box::pin(write.send(Message::Text(request)));
        if !matches!(futures::future::select(first, reader_ended).await, Either::Left((Ok(()), _))) {
            return;
        }
        forward(write, queued).await;
    });
    spawn_local(async move {
        let mut heard = false;
        while let Some(frame) = read.next().await {
            if !CURRENT.with(|c| c.is(generation)) {
                return;
            }
            match frame {
                Ok(Message::Text(text)) => match serde_json::from_str::<ToPage>(&text) {
                    Ok(message) => on_event(BridgeEvent::Control(message)),
                    Err(_) => on_event(BridgeEvent::Garbled),
                },
                Ok(Message::Bytes(bytes)) => on_event(BridgeEvent::Bytes(bytes)),
                Err(_) => break,
            }
            heard = true;
        }
        drop(ended);
        if CURRENT.with(|c| c.is(generation)) {
            CURRENT.with(|c| c.ended(generation));
            // A bridge always answers a request, even to refuse it: silence means no bridge.
            on_event(if heard { BridgeEvent::Ended } else { BridgeEvent::Unreachable { url } });
        }
    });
}

/// Sends what the student typed; false when no session is open.
pub(crate) fn send(text: &str) -> bool {
    CURRENT.with(|c| c.send(Message::Bytes(text.as_bytes().to_vec())))
}

/// Asks the bridge to close the session, then closes the socket.
pub(crate) fn disconnect() {
    let close = serde_json::to_string(&FromPage::Close).unwrap_or_default();
    CURRENT.with(|c| c.close(Some(Message::Text(close))));
}
