//! Mock mode's bar over the console: whether the page is watching a live mock server, and the
//! real clients' sessions (client, start, messages, result), one of which the console and the
//! timeline show.

use crate::model::class_view::{GroupBy, ListItem};
use crate::model::watched::FeedLink;
use crate::state::Playground;
use leptos::prelude::*;
use smtp_protocol::Timestamp;

/// A row's height in pixels (as www/style.css draws it), and the rows drawn at once.
const ROW: f64 = 26.0;
const WINDOW: usize = 24;

fn clock(ms: u64) -> String {
    Timestamp(ms).rfc5322().split(' ').nth(4).unwrap_or_default().to_string()
}

#[component]
pub(super) fn SessionList() -> impl IntoView {
    let pg = expect_context::<Playground>();
    let link = move || pg.watched.with(|m| m.link.clone());
    let status = move || match link() {
        FeedLink::Idle | FeedLink::Connecting => "Connecting to the live mock server…".to_string(),
        FeedLink::Open => pg.watched.with(|m| format!("Watching real mail clients at {} · {} session(s)", m.reachable_smtp(), m.sessions.len())),
        FeedLink::Down(_) => "Not watching a mock server".to_string(),
    };
    let following = move || pg.watched.with(|m| m.watched.is_none());
    // The list's lines (newest first, filtered, grouped), and the window of them drawn: a class
    // has thousands of sessions, and only the rows in view are in the page.
    let items = Memo::new(move |_| pg.watched.with(|m| pg.class_view.with(|v| v.items(m))));
    let scroll_top = RwSignal::new(0.0_f64);
    let visible = move || {
        let first = ((scroll_top.get() / ROW) as usize).saturating_sub(4);
        items.with(|all| {
            let last = (first + WINDOW).min(all.len());
            let first = first.min(last);
            (first, all[first..last].to_vec(), all.len())
        })
    };
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
        <div class="class-tools">
            <label>
                "Filter "
                <input
                    type="search"
                    aria-label="Filter sessions (client, EHLO name, sender, account)"
                    placeholder="client, EHLO name, sender, account"
                    on:input=move |ev| pg.class_view.update(|v| v.filter = event_target_value(&ev))
                />
            </label>
            <label>
                "Group by "
                <select
                    aria-label="Group sessions by"
                    on:change=move |ev| {
                        let by = match event_target_value(&ev).as_str() {
                            "client" => GroupBy::Client,
                            "account" => GroupBy::Account,
                            _ => GroupBy::Nothing,
                        };
                        pg.class_view.update(|v| v.group_by = by);
                    }
                >
                    <option value="nothing" selected=true>"nothing"</option>
                    <option value="client">"client address"</option>
                    <option value="account">"account"</option>
                </select>
            </label>
            <label>
                <input type="checkbox" on:change=move |ev| pg.class_view.update(|v| v.narrow_mailbox = event_target_checked(&ev))/>
                " Mailbox: only the chosen session (or its group)"
            </label>
        </div>
        <div class="sessions-scroll" on:scroll=move |ev| scroll_top.set(event_target::<web_sys::Element>(&ev).scroll_top() as f64)>
            <table class="sessions">
                <caption class="visually-hidden">"Client sessions"</caption>
                <thead>
                    <tr><th scope="col">"Client"</th><th scope="col">"Started"</th><th scope="col">"Messages"</th><th scope="col">"Result"</th><th scope="col">"Account"</th></tr>
                </thead>
                <tbody>
                    {move || {
                        let (first, rows, total) = visible();
                        let below = total - first - rows.len();
                        view! {
                            <tr class="spacer" aria-hidden="true" style:height=format!("{}px", first as f64 * ROW)></tr>
                            {rows.into_iter().map(|item| match item {
                                ListItem::Group { name, sessions } => view! {
                                    <tr class="group"><th scope="rowgroup" colspan="5">{format!("{name} · {sessions} session(s)")}</th></tr>
                                }.into_any(),
                                ListItem::Session { id, client, started, messages, result, account } => {
                                    let is_shown = move || shown() == Some(id);
                                    let full_result = result.clone();
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
                                            <td title=full_result>{result}</td>
                                            <td>{account.unwrap_or_default()}</td>
                                        </tr>
                                    }.into_any()
                                }
                            }).collect_view()}
                            <tr class="spacer" aria-hidden="true" style:height=format!("{}px", below as f64 * ROW)></tr>
                        }
                    }}
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
