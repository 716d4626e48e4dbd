//! The watch feed: a WebSocket at `/api/v1/live` over which pages watch real clients' sessions
//! as they happen, and change the mock's configuration or delete mail (see
//! `smtp_protocol::watch` for the frames).

use super::Mock;
use axum::Router;
use axum::extract::State;
use axum::extract::ws::{Message, WebSocket, WebSocketUpgrade};
use axum::http::HeaderMap;
use axum::response::Response;
use axum::routing::get;
use smtp_protocol::watch::{Access, FromWatcher, ToWatcher, VERSION};
use std::sync::Arc;
use tokio::sync::broadcast::error::RecvError;

struct Feed {
    mock: Arc<Mock>,
    origins: Vec<String>,
}

async fn upgrade(ws: WebSocketUpgrade, State(feed): State<Arc<Feed>>, headers: HeaderMap) -> Response {
    // Captured mail is private: another site's page must not read it.
    if let Err(refused) = crate::check_origin(&headers, &feed.origins) {
        return *refused;
    }
    let mock = feed.mock.clone();
    ws.max_message_size(256 * 1024).on_upgrade(move |socket| watch(socket, mock))
}

fn text(frame: &ToWatcher) -> Message {
    Message::Text(serde_json::to_string(frame).unwrap_or_default().into())
}

async fn watch(mut socket: WebSocket, mock: Arc<Mock>) {
    let mut access = mock.access.for_page();
    let hello = ToWatcher::Hello { v: VERSION, smtp: mock.smtp_address.clone(), config: mock.config(), max_messages: mock.store.max_messages(), access: access.clone() };
    let (snapshot, mut feed) = mock.store.watch(hello);
    for frame in snapshot {
        if socket.send(Message::Text(frame.as_ref().into())).await.is_err() {
            return;
        }
    }
    loop {
        tokio::select! {
            next = feed.recv() => match next {
                Ok(frame) => {
                    if socket.send(Message::Text(frame.as_ref().into())).await.is_err() {
                        return;
                    }
                }
                Err(RecvError::Lagged(missed)) => {
                    // Too slow to follow: say so and close; the page reconnects and gets a fresh copy.
                    let reason = format!("this page fell {missed} events behind the mock server; it reconnects for a fresh copy");
                    let _ = socket.send(text(&ToWatcher::Refused { reason })).await;
                    let _ = socket.send(Message::Close(None)).await;
                    return;
                }
                Err(RecvError::Closed) => return,
            },
            incoming = socket.recv() => match incoming {
                Some(Ok(Message::Text(body))) => {
                    if let Some(answer) = request(&mock, &mut access, body.as_str())
                        && socket.send(text(&answer)).await.is_err() {
                            return;
                        }
                }
                Some(Ok(Message::Close(_))) | None | Some(Err(_)) => return,
                Some(Ok(_)) => {}
            },
        }
    }
}

/// Carries out a page's request; the answer to send back, if any (a refusal, or this page's new
/// access). The effects reach every page (this one included) through the feed. A page may
/// change things only when its `access` says so (it presented the admin token, or none is needed).
fn request(mock: &Mock, access: &mut Access, body: &str) -> Option<ToWatcher> {
    let request = serde_json::from_str::<FromWatcher>(body);
    if let Ok(FromWatcher::Unlock { token }) = &request {
        return Some(match mock.access.check(Some(token)) {
            Ok(()) => {
                *access = Access::ReadWrite;
                ToWatcher::Access { access: access.clone() }
            }
            Err(refusal) => ToWatcher::Refused { reason: refusal.message },
        });
    }
    if let (Ok(_), Access::ReadOnly { reason, unlockable }) = (&request, &*access) {
        let how = if *unlockable { " (enter it under Unlock, in the Server tab)" } else { "" };
        return Some(ToWatcher::Refused { reason: format!("nothing was changed: {}{how}", reason.trim_end_matches('.')) });
    }
    match request {
        Ok(FromWatcher::Unlock { .. }) => None,
        Ok(FromWatcher::Configure { v, config }) if v == VERSION => {
            mock.configure(*config).err().map(|problem| ToWatcher::Refused { reason: format!("the server settings were not changed: {problem}") })
        }
        Ok(FromWatcher::Configure { v, .. }) => {
            Some(ToWatcher::Refused { reason: format!("this mock server speaks version {VERSION} of the feed, the page sent {v}: reload the page") })
        }
        Ok(FromWatcher::Delete { queue_id }) => {
            if mock.store.delete(|c| c.message.queue_id == queue_id).is_empty() {
                Some(ToWatcher::Refused { reason: format!("no message {queue_id} here: it was deleted already, or dropped when the store was full") })
            } else {
                None
            }
        }
        Ok(FromWatcher::DeleteAll) => {
            mock.store.delete(|_| true);
            None
        }
        Err(err) => Some(ToWatcher::Refused { reason: format!("not a request this mock server understands ({err}): reload the page") }),
    }
}

/// `/api/v1/live`; `origins` are the page origins allowed besides the bridge's own.
pub fn router(mock: Arc<Mock>, origins: Vec<String>) -> Router {
    Router::new().route("/api/v1/live", get(upgrade)).with_state(Arc::new(Feed { mock, origins }))
}
