//! The session as a sequence diagram: client and server lanes, one arrow per line exchanged,
//! the time between steps, the server state as a band, and markers for TLS, AUTH, accepted
//! messages and disconnects. Only the rows in view are rendered, so long sessions stay smooth.

use crate::app::{Mode, Playground};
use crate::download::download;
use crate::lab::{Entry, EntryKind, Tone};
use std::sync::Arc;
use leptos::html;
use leptos::prelude::*;
use smtp_protocol::Transcript;
use smtp_protocol::event::Event;
use smtp_protocol::reply::ReplyClass;

const ROW: f64 = 30.0;
const WIDTH: f64 = 540.0;
const CLIENT_X: f64 = 70.0;
const SERVER_X: f64 = 420.0;
const VIEW_HEIGHT: f64 = 540.0;

#[derive(Clone, PartialEq)]
pub enum RowKind {
    ToServer { label: String },
    ToClient { label: String, class: ReplyClass },
    Marker { label: String, tone: Tone },
}

#[derive(Clone, PartialEq)]
pub struct Row {
    pub entry: usize,
    pub kind: RowKind,
    /// Milliseconds since the previous row.
    pub delta: u64,
    pub state: String,
}

fn shorten(text: &str, max: usize) -> String {
    if text.chars().count() <= max { text.to_string() } else { format!("{}…", text.chars().take(max - 1).collect::<String>()) }
}

/// Rows for `entries[range]`: one per line, reply or marker. The state band at the start of the
/// range is found by looking back to the last reply that set it, so a window costs what it shows.
pub fn rows(entries: &[Arc<Entry>], range: std::ops::Range<usize>) -> Vec<Row> {
    let range = range.start.min(entries.len())..range.end.min(entries.len());
    let mut out = Vec::with_capacity(range.len());
    let mut previous = range.start.checked_sub(1).and_then(|i| entries.get(i)).or(entries.first()).map(|e| e.at.0).unwrap_or(0);
    let mut state = entries[..range.start]
        .iter()
        .rev()
        .find_map(|e| match &e.kind {
            EntryKind::Reply { explanation, .. } => explanation_phase(&explanation.id),
            _ => None,
        })
        .unwrap_or_else(|| "connected".to_string());
    for entry in &entries[range] {
        let kind = match &entry.kind {
            EntryKind::Command { text, .. } | EntryKind::AuthAnswer { text, .. } => RowKind::ToServer { label: shorten(text, 44) },
            EntryKind::Data { text, .. } => RowKind::ToServer { label: shorten(text, 44) },
            EntryKind::Reply { reply, explanation } => {
                if let Some(phase) = explanation_phase(&explanation.id) {
                    state = phase;
                }
                let first = reply.lines.first().cloned().unwrap_or_default();
                let enhanced = reply.enhanced.map(|e| format!("{e} ")).unwrap_or_default();
                RowKind::ToClient { label: shorten(&format!("{} {enhanced}{first}", reply.code), 44), class: explanation.class }
            }
            EntryKind::Notice { text, tone } => RowKind::Marker { label: shorten(text, 48), tone: *tone },
        };
        out.push(Row { entry: entry.id, kind, delta: entry.at.0.saturating_sub(previous), state: state.clone() });
        previous = entry.at.0;
    }
    out
}

/// The server state after a reply, for the band (from the situation the reply answers).
fn explanation_phase(situation: &str) -> Option<String> {
    Some(
        match situation {
            "Greeting" => "connected",
            "HeloAccepted" | "EhloAccepted" | "ResetDone" | "MessageQueued" | "LastChunkQueued" => "greeted",
            "SenderAccepted" => "mail",
            "RecipientAccepted" => "recipients",
            "StartMailInput" => "data",
            "ChunkAccepted" => "chunking",
            "TlsReady" => "tls",
            "AuthSucceeded" => "authenticated",
            "Closing" | "IdleTimeout" | "TooManyErrors" => "closed",
            // A real server's replies, by code.
            "code:354" => "data",
            "code:235" => "authenticated",
            "code:221" | "code:421" => "closed",
            _ => return None,
        }
        .to_string(),
    )
}

fn seconds(ms: u64) -> String {
    if ms == 0 { String::new() } else if ms < 10_000 { format!("+{:.1} s", ms as f64 / 1000.0) } else { format!("+{} s", ms / 1000) }
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

/// The whole diagram as a standalone SVG document (for export).
pub fn svg_document(rows: &[Row]) -> String {
    let height = ROW * (rows.len() as f64 + 2.0);
    let mut out = format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{WIDTH}\" height=\"{height}\" font-family=\"monospace\" font-size=\"11\">\
         <defs><marker id=\"a\" viewBox=\"0 0 10 10\" refX=\"9\" refY=\"5\" markerWidth=\"6\" markerHeight=\"6\" orient=\"auto-start-reverse\"><path d=\"M0 0L10 5L0 10z\"/></marker></defs>\
         <text x=\"{CLIENT_X}\" y=\"16\" text-anchor=\"middle\">client</text><text x=\"{SERVER_X}\" y=\"16\" text-anchor=\"middle\">server</text>\
         <line x1=\"{CLIENT_X}\" y1=\"22\" x2=\"{CLIENT_X}\" y2=\"{height}\" stroke=\"#999\"/><line x1=\"{SERVER_X}\" y1=\"22\" x2=\"{SERVER_X}\" y2=\"{height}\" stroke=\"#999\"/>"
    );
    for (i, row) in rows.iter().enumerate() {
        let y = ROW * (i as f64 + 1.5);
        out.push_str(&format!("<text x=\"4\" y=\"{}\" fill=\"#666\">{}</text>", y + 4.0, seconds(row.delta)));
        match &row.kind {
            RowKind::ToServer { label } => out.push_str(&format!(
                "<line x1=\"{CLIENT_X}\" y1=\"{y}\" x2=\"{SERVER_X}\" y2=\"{y}\" stroke=\"#245bdb\" marker-end=\"url(#a)\"/><text x=\"{}\" y=\"{}\">{}</text>",
                CLIENT_X + 6.0,
                y - 4.0,
                escape(label)
            )),
            RowKind::ToClient { label, .. } => out.push_str(&format!(
                "<line x1=\"{SERVER_X}\" y1=\"{y}\" x2=\"{CLIENT_X}\" y2=\"{y}\" stroke=\"#444\" marker-end=\"url(#a)\"/><text x=\"{}\" y=\"{}\">{}</text>",
                CLIENT_X + 6.0,
                y - 4.0,
                escape(label)
            )),
            RowKind::Marker { label, .. } => out.push_str(&format!("<text x=\"{CLIENT_X}\" y=\"{}\" font-style=\"italic\">{}</text>", y + 4.0, escape(label))),
        }
        out.push_str(&format!("<text x=\"{}\" y=\"{}\" fill=\"#666\">{}</text>", SERVER_X + 10.0, y + 4.0, escape(&row.state)));
    }
    out.push_str("</svg>");
    out
}

#[component]
pub fn Timeline() -> impl IntoView {
    let pg = expect_context::<Playground>();
    let scroll_top = RwSignal::new(0.0_f64);
    let container: NodeRef<html::Div> = NodeRef::new();
    let total = move || pg.with_entries(|entries| entries.len());

    // Keep the newest arrow in view as the session grows. Setting scrollTop forces a layout, so
    // it waits for the next frame (when the browser lays out anyway), and it waits for the tab
    // to be shown: a hidden timeline need not follow every command.
    Effect::new(move |_| {
        let n = total();
        if pg.tab.get() != crate::app::Tab::Timeline {
            return;
        }
        let bottom = (n as f64 * ROW - VIEW_HEIGHT).max(0.0);
        scroll_top.set(bottom);
        if let Some(el) = container.get() {
            request_animation_frame(move || el.set_scroll_top(bottom as i32));
        }
    });

    // A line selected in the transcript is brought into view here too (entry ids are row indices).
    Effect::new(move |_| {
        let Some(id) = pg.selected.get() else { return };
        let Some(el) = container.get_untracked() else { return };
        let y = id as f64 * ROW;
        let top = el.scroll_top() as f64;
        if y < top || y + ROW > top + VIEW_HEIGHT {
            let target = (y - VIEW_HEIGHT / 2.0).max(0.0);
            el.set_scroll_top(target as i32);
            scroll_top.set(target);
        }
    });

    let visible = move || {
        let first = ((scroll_top.get() / ROW) as usize).saturating_sub(5);
        let count = (VIEW_HEIGHT / ROW) as usize + 12;
        // The scope is part of each row's key: another session's row 3 is another row.
        let scope = pg.scope();
        pg.with_entries(|entries| rows(entries, first..first + count).into_iter().enumerate().map(|(i, r)| (scope, first + i, r)).collect::<Vec<_>>())
    };

    let mode = move || pg.mode.get();
    let real = move || mode() == Mode::Real;
    let export_text = move |_| {
        let text = match mode() {
            Mode::Real => pg.remote.with_untracked(|r| r.transcript()),
            Mode::Mock => pg.mock.with_untracked(|m| m.transcript()),
            Mode::Simulated => pg.lab.with_untracked(|lab| Transcript { events: lab.events.clone() }.to_text()),
        };
        download("smtp-session.txt", "text/plain", &text);
    };
    let export_json = move |_| {
        let json = match mode() {
            Mode::Mock => pg.mock.with_untracked(|m| serde_json::to_string_pretty(&m.shown().map(|s| s.events.clone()).unwrap_or_default())),
            _ => pg.lab.with_untracked(|lab| serde_json::to_string_pretty(&lab.events)),
        };
        download("smtp-session.json", "application/json", &json.unwrap_or_default());
    };
    let export_svg = move |_| {
        let svg = untrack(|| pg.with_entries(|entries| svg_document(&rows(entries, 0..entries.len()))));
        download("smtp-session.svg", "image/svg+xml", &svg);
    };
    let events = move || match mode() {
        Mode::Real => pg.remote.with(|r| r.entries.iter().filter(|e| !matches!(e.kind, EntryKind::Notice { .. })).count()),
        Mode::Mock => pg.mock.with(|m| m.shown().map(|s| s.events.iter().filter(|e| matches!(e, Event::LineReceived { .. } | Event::ReplySent { .. })).count()).unwrap_or(0)),
        Mode::Simulated => pg.lab.with(|lab| lab.events.iter().filter(|e| matches!(e, Event::LineReceived { .. } | Event::ReplySent { .. })).count()),
    };

    view! {
        <div class="timeline">
            <div class="timeline-bar">
                <span>{move || match events() { 1 => "1 line exchanged".to_string(), n => format!("{n} lines exchanged") }}</span>
                <button type="button" on:click=export_text>"Export text"</button>
                <button type="button" on:click=export_json disabled=real title=move || if real() { "The JSON event record is kept for the simulator; export text here" } else { "" }>"Export JSON"</button>
                <button type="button" on:click=export_svg>"Export SVG"</button>
            </div>
            <div class="lanes" aria-hidden="true"><span>"time"</span><span>"client"</span><span>"server · state"</span></div>
            <div
                class="timeline-scroll"
                node_ref=container
                on:scroll=move |_| {
                    // Following the newest row scrolls here too, to where `scroll_top` already
                    // is: setting it again would rebuild the visible rows for nothing.
                    if let Some(el) = container.get() {
                        let top = el.scroll_top() as f64;
                        if scroll_top.get_untracked() != top {
                            scroll_top.set(top);
                        }
                    }
                }
            >
                <div class="timeline-space" style:height=move || format!("{}px", total() as f64 * ROW)>
                    // One pair of handlers for every row (rows come and go as the view scrolls).
                    <svg
                        on:click=move |ev| {
                            select_row(pg, &ev);
                        }
                        on:keydown=move |ev: leptos::ev::KeyboardEvent| {
                            if ev.key() == "Enter" || ev.key() == " " {
                                if select_row(pg, &ev) {
                                    ev.prevent_default();
                                }
                            }
                        }
                        class="timeline-svg"
                        role="list"
                        aria-label="Sequence diagram"
                        width=WIDTH
                        height=move || total() as f64 * ROW
                    >
                        <defs>
                            <marker id="arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="6" markerHeight="6" orient="auto-start-reverse">
                                <path d="M0 0L10 5L0 10z" fill="context-stroke"></path>
                            </marker>
                        </defs>
                        <line class="lane" x1=CLIENT_X x2=CLIENT_X y1="0" y2=move || total() as f64 * ROW></line>
                        <line class="lane" x1=SERVER_X x2=SERVER_X y1="0" y2=move || total() as f64 * ROW></line>
                        <For each=visible key=|(scope, i, row)| (*scope, *i, row.entry) let:item>
                            <TimelineRow index=item.1 row=item.2/>
                        </For>
                    </svg>
                </div>
            </div>
        </div>
    }
}

/// Selects the row an event happened in (its `data-entry`); false when it was not on a row.
fn select_row(pg: Playground, event: &web_sys::Event) -> bool {
    use wasm_bindgen::JsCast;
    let row = event.target().and_then(|t| t.dyn_into::<web_sys::Element>().ok()).and_then(|el| el.closest("[data-entry]").ok().flatten());
    match row.and_then(|row| row.get_attribute("data-entry")).and_then(|id| id.parse().ok()) {
        Some(id) => {
            pg.selected.set(Some(id));
            true
        }
        None => false,
    }
}

#[component]
fn TimelineRow(index: usize, row: Row) -> impl IntoView {
    let pg = expect_context::<Playground>();
    let entry = row.entry;
    let selected = move || pg.selected.get() == Some(entry);
    let y = ROW * (index as f64 + 0.5);
    let (aria, css) = match &row.kind {
        RowKind::ToServer { label } => (format!("client to server: {label}"), "to-server".to_string()),
        RowKind::ToClient { label, class } => (format!("server to client: {label}"), format!("to-client {}", crate::reply_note::class_css(*class))),
        RowKind::Marker { label, tone } => (label.clone(), format!("marker {}", match tone { Tone::Good => "good", Tone::Warn => "warn", Tone::Info => "info" })),
    };
    let shapes = match row.kind {
        RowKind::ToServer { label } => view! {
            <line class="arrow" x1=CLIENT_X x2=SERVER_X y1=y y2=y marker-end="url(#arrow)"></line>
            <text class="label" x=CLIENT_X + 8.0 y=y - 5.0>{label}</text>
        }
        .into_any(),
        RowKind::ToClient { label, .. } => view! {
            <line class="arrow" x1=SERVER_X x2=CLIENT_X y1=y y2=y marker-end="url(#arrow)"></line>
            <text class="label" x=CLIENT_X + 8.0 y=y - 5.0>{label}</text>
        }
        .into_any(),
        RowKind::Marker { label, .. } => view! { <text class="label marker-text" x=CLIENT_X + 8.0 y=y + 4.0>{label}</text> }.into_any(),
    };
    view! {
        <g
            class=format!("row {css}")
            class:selected=selected
            role="listitem"
            tabindex="0"
            aria-label=aria
            data-entry=entry.to_string()
        >
            <rect class="hit" x="0" width=WIDTH height=ROW y=y - ROW / 2.0></rect>
            <text class="delta" x="4" y=y + 4.0>{seconds(row.delta)}</text>
            {shapes}
            <text class="state" x=SERVER_X + 10.0 y=y + 4.0>{row.state}</text>
        </g>
    }
}
