//! Mock mode's bar over the console: whether the page is watching a live mock server, and the
//! real clients' sessions (client, start, messages, result), one of which the console and the
//! timeline show.

use crate::model::watched::FeedLink;
use crate::state::Playground;
use leptos::prelude::*;
use smtp_protocol::Timestamp;

fn clock(ms: u64) -> String {
    Timestamp(ms).rfc5322().split(' ').nth(4).unwrap_or_default().to_string()
}

#[component]
pub fn SessionList() -> impl IntoView {
    let pg = expect_context::<Playground>();
    let link = move || pg.watched.with(|m| m.link.clone());
    let status = move || match link() {
        FeedLink::Idle | FeedLink::Connecting => "Connecting to the live mock server…".to_string(),
        FeedLink::Open => pg.watched.with(|m| format!("Watching real mail clients at {} · {} session(s)", m.reachable_smtp(), m.sessions.len())),
        FeedLink::Down(_) => "Not watching a mock server".to_string(),
    };
    let following = move || pg.watched.with(|m| m.watched.is_none());
    // Newest first, as an inbox lists them.
    let rows = move || pg.watched.with(|m| m.sessions.iter().rev().map(|s| (s.id, s.client.clone(), s.started, s.messages, s.result(), s.account.clone())).collect::<Vec<_>>());
    let shown = move || pg.watched.with(|m| m.shown().map(|s| s.id));
    view! {
        <div class="console-bar mock-bar">
            <span class="status" role="status">{status}</span>
            <label class="follow">
                <input
                    type="checkbox"
                    prop:checked=following
                    on:change=move |ev| {
                        let follow = event_target_checked(&ev);
                        pg.watched.update(|m| m.watched = if follow { None } else { m.shown().map(|s| s.id) });
                        pg.selected.set(None);
                    }
                />
                " Follow the newest session"
            </label>
        </div>
        {move || match link() {
            FeedLink::Down(why) => Some(view! {
                <div class="notice warn mock-down" role="alert">
                    <span>{why}</span>
                    <button type="button" on:click=move |_| pg.watch()>"Retry"</button>
                </div>
            }),
            _ => None,
        }}
        <div class="sessions-scroll">
            <table class="sessions">
                <caption class="visually-hidden">"Client sessions"</caption>
                <thead>
                    <tr><th scope="col">"Client"</th><th scope="col">"Started"</th><th scope="col">"Messages"</th><th scope="col">"Result"</th><th scope="col">"Account"</th></tr>
                </thead>
                <tbody>
                    <For each=rows key=|row| (row.0, row.3, row.4.clone(), row.5.clone()) let:row>
                        {
                            let (id, client, started, messages, result, account) = row;
                            let is_shown = move || shown() == Some(id);
                            view! {
                                <tr class:open=is_shown>
                                    <td>
                                        <button
                                            type="button"
                                            class="link"
                                            aria-pressed=move || is_shown().to_string()
                                            on:click=move |_| {
                                                pg.watched.update(|m| m.watched = Some(id));
                                                pg.selected.set(None);
                                            }
                                        >
                                            {client}
                                        </button>
                                    </td>
                                    <td>{clock(started)}</td>
                                    <td>{messages}</td>
                                    <td>{result}</td>
                                    <td>{account.unwrap_or_default()}</td>
                                </tr>
                            }
                        }
                    </For>
                </tbody>
            </table>
            <Show when=move || pg.watched.with(|m| m.sessions.is_empty() && m.link == FeedLink::Open)>
                <p class="empty">
                    {move || pg.watched.with(|m| {
                        let smtp = m.reachable_smtp();
                        format!("No client has connected yet. Point a mail client at {smtp}, for example: swaks --server {smtp} --to you@lab.test")
                    })}
                </p>
            </Show>
        </div>
    }
}
