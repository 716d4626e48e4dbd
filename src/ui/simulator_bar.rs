//! The simulated connection's bar: its state, the idle countdown, and connect/disconnect/reset.

use crate::model::simulated::Input;
use crate::model::source::Connection;
use crate::state::{Playground, now_ms};
use leptos::prelude::*;
use smtp_protocol::session::Phase;

/// "Connected · greeted · TLS · authenticated as student", or "Disconnected".
pub(super) fn status_line(connection: &Connection) -> String {
    let Some(state) = connection.state.as_ref().filter(|_| connection.open) else {
        return if connection.open { "Connected".to_string() } else { "Disconnected".to_string() };
    };
    if state.phase == Phase::Closed {
        return "Disconnected".to_string();
    }
    let phase = match state.phase {
        Phase::Connected => "waiting for HELO/EHLO",
        phase => phase.label(),
    };
    let mut parts = vec![format!("Connected · {phase}")];
    if state.tls {
        parts.push("TLS".into());
    }
    if let Some(user) = &state.authenticated_as {
        parts.push(format!("authenticated as {user}"));
    }
    parts.join(" · ")
}

/// The simulated connection: its state, the idle countdown, and connect/disconnect/reset.
#[component]
pub(super) fn SimulatorBar() -> impl IntoView {
    let pg = expect_context::<Playground>();
    let closed = Memo::new(move |_| pg.simulated.with(|s| s.is_closed()));
    let countdown = move || {
        let now = pg.now.get();
        if let Some(until) = pg.simulated.with(|s| s.held_until()) {
            let left = until.saturating_sub(now).div_ceil(1000);
            return Some(format!("A delay rule holds the server's reply: {left} s"));
        }
        let deadline = pg.simulated.with(|s| s.idle_deadline())?;
        let left = deadline.saturating_sub(now) / 1000;
        (left <= 30).then(|| format!("Idle: the server hangs up in {left} s"))
    };
    let status = move || status_line(&pg.connection());
    view! {
        <div class="console-bar">
            <span class="status" role="status">{status}</span>
            <span class="countdown" aria-live="polite">{countdown}</span>
            // While connected it opens a new connection, as quitting telnet and starting it again.
            <button
                type="button"
                title=move || if closed.get() { "Open a new connection to the server" } else { "Close this connection and open a new one (the mailbox is kept)" }
                on:click=move |_| pg.apply(Input::Reconnect { at: now_ms() })
            >
                {move || if closed.get() { "Connect" } else { "Reconnect" }}
            </button>
            <button type="button" disabled=move || closed.get() on:click=move |_| pg.apply(Input::Disconnect { at: now_ms() })>"Disconnect"</button>
            <button type="button" on:click=move |_| pg.reset()>"Reset session"</button>
        </div>
    }
}
