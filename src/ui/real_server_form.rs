//! Where the real-server mode connects: host, port and security, through smtp-bridge.

use super::simulator_bar::status_line;
use crate::model::real::Link;
use crate::state::Playground;
use leptos::prelude::*;
use smtp_protocol::relay::Security;

/// Where the "Real server" mode connects: host, port and security, through smtp-bridge.
#[component]
pub(super) fn RealServerForm() -> impl IntoView {
    let pg = expect_context::<Playground>();
    let host = RwSignal::new("localhost".to_string());
    let port = RwSignal::new("25".to_string());
    let security = RwSignal::new(Security::Starttls);
    let token = RwSignal::new(String::new());
    let error = RwSignal::new(None::<String>);
    let connect = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let Ok(number) = port.get_untracked().trim().parse::<u16>() else {
            error.set(Some("The port is a number from 1 to 65535 (25, 587 or 465 for SMTP).".into()));
            return;
        };
        let name = host.get_untracked().trim().to_string();
        if name.is_empty() {
            error.set(Some("Enter the server's host name, e.g. the MX you found with dig.".into()));
            return;
        }
        error.set(None);
        let token = Some(token.get_untracked().trim().to_string()).filter(|t| !t.is_empty());
        pg.connect_real(name, number, security.get_untracked(), token);
    };
    let link = move || pg.real.with(|r| r.link);
    let open = move || matches!(link(), Link::Open | Link::Connecting);
    view! {
        <form class="console-bar real-server" on:submit=connect aria-label="Real server">
            <label>"Host " <input type="text" aria-label="Server host" prop:value=move || host.get() on:input=move |ev| host.set(event_target_value(&ev))/></label>
            <label>"Port " <input type="number" min="1" max="65535" class="port" aria-label="Server port" prop:value=move || port.get() on:input=move |ev| port.set(event_target_value(&ev))/></label>
            <label>
                "Security "
                <select aria-label="Security" on:change=move |ev| security.set(match event_target_value(&ev).as_str() { "plain" => Security::Plain, "tls" => Security::Tls, _ => Security::Starttls })>
                    <option value="starttls" selected=true>"STARTTLS (25, 587)"</option>
                    <option value="tls">"TLS (465)"</option>
                    <option value="plain">"Plain"</option>
                </select>
            </label>
            <label title="Only if the bridge was started with --token">
                "Token " <input type="password" class="token" aria-label="Bridge token (optional)" autocomplete="off" on:input=move |ev| token.set(event_target_value(&ev))/>
            </label>
            // While connected it opens a new connection, as in the simulator.
            <button type="submit" title=move || if open() { "Close this connection and open a new one" } else { "Open a connection to this server through smtp-bridge" }>
                {move || if open() { "Reconnect" } else { "Connect" }}
            </button>
            <button type="button" disabled=move || !open() on:click=move |_| pg.disconnect_real()>"Disconnect"</button>
            <span class="status" role="status">
                {move || match link() {
                    Link::Idle => "Not connected".to_string(),
                    Link::Connecting => "Connecting…".to_string(),
                    Link::Open => status_line(&pg.connection()),
                    Link::Closed => "Disconnected".to_string(),
                }}
            </span>
            {move || error.get().map(|e| view! { <p class="error" role="alert">{e}</p> })}
        </form>
    }
}
