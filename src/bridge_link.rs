//! The WebSocket to smtp-bridge for the "Real server" mode: at `/bridge` on the page's own
//! origin. Control messages are JSON text frames, SMTP bytes binary frames (see
//! `smtp_protocol::relay`).

use crate::app::{Playground, now_ms};
use leptos::prelude::{Set, Update};
use smtp_protocol::relay::{FromPage, Security, ToPage, VERSION};
use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::Closure;
use web_sys::{BinaryType, MessageEvent, WebSocket};

thread_local! {
    static SOCKET: std::cell::RefCell<Option<WebSocket>> = const { std::cell::RefCell::new(None) };
}

fn bridge_url() -> String {
    let location = web_sys::window().map(|w| w.location());
    let origin = location.and_then(|l| l.origin().ok()).unwrap_or_default();
    format!("{}/bridge", origin.replacen("http", "ws", 1))
}

pub fn connect(pg: Playground, host: String, port: u16, security: Security, token: Option<String>) {
    disconnect();
    let url = bridge_url();
    pg.remote.update(|r| r.connecting(&host, port, security, now_ms()));
    let socket = match WebSocket::new(&url) {
        Ok(socket) => socket,
        Err(_) => return pg.remote.update(|r| r.unreachable(&url, now_ms())),
    };
    socket.set_binary_type(BinaryType::Arraybuffer);
    let opened = std::rc::Rc::new(std::cell::Cell::new(false));

    let request = serde_json::to_string(&FromPage::Connect { v: VERSION, host, port, security, token }).unwrap_or_default();
    let on_open = {
        let opened = opened.clone();
        let socket = socket.clone();
        Closure::<dyn FnMut()>::new(move || {
            opened.set(true);
            let _ = socket.send_with_str(&request);
        })
    };
    let on_message = Closure::<dyn FnMut(MessageEvent)>::new(move |event: MessageEvent| {
        let data = event.data();
        if let Some(text) = data.as_string() {
            match serde_json::from_str::<ToPage>(&text) {
                Ok(message) => pg.remote.update(|r| r.control(message, now_ms())),
                Err(_) => pg.banner.set(Some("The bridge sent a message this page does not understand: reload the page, or update smtp-bridge.".into())),
            }
        } else if let Ok(buffer) = data.dyn_into::<js_sys::ArrayBuffer>() {
            let bytes = js_sys::Uint8Array::new(&buffer).to_vec();
            pg.remote.update(|r| r.server_bytes(&bytes, now_ms()));
        }
    });
    let on_close = {
        let url = url.clone();
        Closure::<dyn FnMut()>::new(move || {
            if !opened.get() {
                pg.remote.update(|r| r.unreachable(&url, now_ms()));
            } else {
                pg.remote.update(|r| {
                    if r.link != crate::remote::Link::Closed {
                        r.control(ToPage::Closed { by: smtp_protocol::relay::Closer::Bridge, reason: "the connection to the bridge ended".into() }, now_ms());
                    }
                });
            }
            SOCKET.with(|s| s.borrow_mut().take());
        })
    };
    listen(&socket, on_open, on_message, on_close);
    SOCKET.with(|s| *s.borrow_mut() = Some(socket));
}

/// Hands a socket its handlers for good (one set per connection, kept as long as the page):
/// the WebSockets to smtp-bridge, here and in `mock_link`.
pub(crate) fn listen(socket: &WebSocket, on_open: Closure<dyn FnMut()>, on_message: Closure<dyn FnMut(MessageEvent)>, on_close: Closure<dyn FnMut()>) {
    socket.set_onopen(Some(on_open.as_ref().unchecked_ref()));
    socket.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
    socket.set_onclose(Some(on_close.as_ref().unchecked_ref()));
    on_open.forget();
    on_message.forget();
    on_close.forget();
}

/// Sends what the student typed; false when no session is open.
pub fn send(text: &str) -> bool {
    SOCKET.with(|s| match s.borrow().as_ref() {
        Some(socket) if socket.ready_state() == WebSocket::OPEN => socket.send_with_u8_array(text.as_bytes()).is_ok(),
        _ => false,
    })
}

pub fn disconnect() {
    SOCKET.with(|s| {
        if let Some(socket) = s.borrow_mut().take() {
            let _ = socket.send_with_str(&serde_json::to_string(&FromPage::Close).unwrap_or_default());
            let _ = socket.close();
        }
    });
}
