//! The WebSocket to a live mock server's feed, at `/api/v1/live` on the page's own origin (the
//! page `smtp-bridge mock` serves). Frames go to [`MockFeed`](crate::mock_feed::MockFeed);
//! a lost feed is retried while the page stays in mock mode.

use crate::app::{Mode, Playground};
use crate::mock_feed::FeedLink;
use leptos::prelude::{GetUntracked, Set, Update};
use smtp_protocol::watch::FromWatcher;
use wasm_bindgen::prelude::Closure;
use web_sys::{MessageEvent, WebSocket};

thread_local! {
    static SOCKET: std::cell::RefCell<Option<WebSocket>> = const { std::cell::RefCell::new(None) };
    /// Frames received since the last animation frame: a busy server sends thousands a second,
    /// and the page applies them together, once a frame, instead of re-rendering for each.
    static PENDING: std::cell::RefCell<Vec<String>> = const { std::cell::RefCell::new(Vec::new()) };
}

fn receive(pg: Playground, text: String) {
    let first = PENDING.with(|p| {
        let mut pending = p.borrow_mut();
        pending.push(text);
        pending.len() == 1
    });
    if first {
        leptos::prelude::request_animation_frame(move || {
            let batch = PENDING.with(|p| std::mem::take(&mut *p.borrow_mut()));
            pg.mock.update(|m| batch.iter().for_each(|text| m.receive_text(text)));
        });
    }
}

/// Seconds before a lost feed is tried again.
const RETRY_SECS: u64 = 3;

fn feed_url() -> String {
    let origin = web_sys::window().and_then(|w| w.location().origin().ok()).unwrap_or_default();
    format!("{}/api/v1/live", origin.replacen("http", "ws", 1))
}

const HOW_TO_START: &str = "Start it with `cargo xtask serve --mock` (or `smtp-bridge mock --smtp 127.0.0.1:2525 --dir dist`) and open the page it serves.";

pub fn connect(pg: Playground) {
    disconnect();
    let url = feed_url();
    PENDING.with(|p| p.borrow_mut().clear());
    pg.mock.update(|m| m.connecting());
    let socket = match WebSocket::new(&url) {
        Ok(socket) => socket,
        Err(_) => return pg.mock.update(|m| m.link = FeedLink::Down(format!("No live mock server at {url}. {HOW_TO_START}"))),
    };
    let opened = std::rc::Rc::new(std::cell::Cell::new(false));
    let on_open = {
        let opened = opened.clone();
        Closure::<dyn FnMut()>::new(move || opened.set(true))
    };
    let on_message = Closure::<dyn FnMut(MessageEvent)>::new(move |event: MessageEvent| {
        if let Some(text) = event.data().as_string() {
            receive(pg, text);
        }
    });
    let on_close = {
        let this = socket.clone();
        Closure::<dyn FnMut()>::new(move || {
            // Only the current socket's end matters (an older one may close late).
            let current = SOCKET.with(|s| s.borrow().as_ref().is_some_and(|s| s == &this));
            if !current {
                return;
            }
            SOCKET.with(|s| s.borrow_mut().take());
            if !opened.get() {
                pg.mock.update(|m| m.link = FeedLink::Down(format!("This page is not served by a live mock server (nothing answers at {url}). {HOW_TO_START}")));
                return;
            }
            pg.mock.update(|m| m.link = FeedLink::Down(format!("Lost the mock server's feed; trying again in {RETRY_SECS} s.")));
            leptos::prelude::set_timeout(
                move || {
                    if pg.mode.get_untracked() == Mode::Mock && SOCKET.with(|s| s.borrow().is_none()) {
                        connect(pg);
                    }
                },
                std::time::Duration::from_secs(RETRY_SECS),
            );
        })
    };
    crate::bridge_link::listen(&socket, on_open, on_message, on_close);
    SOCKET.with(|s| *s.borrow_mut() = Some(socket));
}

/// Sends a request to the mock server; says so on the page when the feed is not open.
pub fn request(pg: Playground, request: &FromWatcher) {
    let sent = SOCKET.with(|s| match s.borrow().as_ref() {
        Some(socket) if socket.ready_state() == WebSocket::OPEN => socket.send_with_str(&serde_json::to_string(request).unwrap_or_default()).is_ok(),
        _ => false,
    });
    if !sent {
        pg.banner.set(Some("Not connected to the mock server's feed, so nothing was changed there. Wait for it to reconnect, or reload the page.".into()));
    }
}

pub fn disconnect() {
    if let Some(socket) = SOCKET.with(|s| s.borrow_mut().take()) {
        let _ = socket.close();
    }
}
