//! The session as a sequence diagram: client and server lanes, one arrow per line exchanged,
//! the time between steps, the server state as a band, and markers for TLS, AUTH, accepted
//! messages and disconnects. Only the rows in view are rendered, so long sessions stay smooth.
//! The rows and exports come from the console model, the same in every mode.

use super::download::download;
use super::reply_note::class_css;
use crate::model::export::{self, Plan};
use crate::model::timeline::{CLIENT_X, ROW, Row, RowKind, SERVER_X, WIDTH, seconds, svg_document};
use crate::state::{Playground, Tab};
use leptos::html;
use leptos::prelude::*;

const VIEW_HEIGHT: f64 = 540.0;

#[component]
pub(super) fn Timeline() -> impl IntoView {
    let pg = expect_context::<Playground>();
    let scroll_top = RwSignal::new(0.0_f64);
    let container: NodeRef<html::Div> = NodeRef::new();
    let total = move || pg.with_console(|console| console.entries.len());

    // Keep the newest arrow in view as the session grows. Setting scrollTop forces a layout, so
    // it waits for the next frame (when the browser lays out anyway), and it waits for the tab
    // to be shown: a hidden timeline need not follow every command.
    Effect::new(move |_| {
        let n = total();
        if pg.tab.get() != Tab::Timeline {
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
        pg.with_console(|console| console.rows(first..first + count).into_iter().enumerate().map(|(i, r)| (scope, first + i, r)).collect::<Vec<_>>())
    };

    let export_text = move |_| download("smtp-session.txt", "text/plain", &untrack(|| pg.with_console(|console| console.transcript())));
    let export_json = move |_| download("smtp-session.json", "application/json", &untrack(|| pg.with_console(|console| console.json())));
    let export_svg = move |_| {
        let svg = untrack(|| pg.with_console(|console| svg_document(&console.rows(0..console.entries.len()))));
        download("smtp-session.svg", "image/svg+xml", &svg);
    };
    let export_script = move |tool: &'static str| {
        move |_| {
            let destination = pg.export_destination();
            let plan = untrack(|| pg.with_console(|console| Plan::from_events(&console.events)));
            let script = if tool == "swaks" { export::swaks(&plan, &destination) } else { export::curl(&plan, &destination) };
            download(&format!("smtp-session-{tool}.sh"), "text/x-shellscript", &script);
        }
    };
    let export_mermaid = move |_| download("smtp-session.mmd", "text/vnd.mermaid", &untrack(|| pg.with_console(|console| export::mermaid(&console.events))));
    let lines = move || pg.with_console(|console| console.lines_exchanged());

    view! {
        <div class="timeline">
            <div class="timeline-bar">
                <span>{move || match lines() { 1 => "1 line exchanged".to_string(), n => format!("{n} lines exchanged") }}</span>
                <button type="button" on:click=export_text>"Export text"</button>
                <button type="button" on:click=export_json>"Export JSON"</button>
                <button type="button" on:click=export_svg>"Export SVG"</button>
                <button type="button" on:click=export_script("swaks") title="A shell script: the same envelope and message, sent with swaks">"Export swaks"</button>
                <button type="button" on:click=export_script("curl") title="A shell script: the same envelope and message, sent with curl">"Export curl"</button>
                <button type="button" on:click=export_mermaid title="A Mermaid sequence diagram (mermaid.js, GitHub, GitLab)">"Export Mermaid"</button>
                {move || {
                    let ordinal = pg.selected.get().and_then(|id| crate::ui::what_if::reply_ordinal(pg, id));
                    ordinal.map(|ordinal| view! {
                        <button type="button" class="what-if" on:click=move |_| pg.what_if.set(Some(ordinal))>"What if the selected reply had been another?"</button>
                    })
                }}
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
                            if (ev.key() == "Enter" || ev.key() == " ")
                                && select_row(pg, &ev) {
                                    ev.prevent_default();
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
        RowKind::ToClient { label, class } => (format!("server to client: {label}"), format!("to-client {}", class_css(*class))),
        RowKind::Marker { label, tone } => (label.clone(), format!("marker {}", tone.css())),
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
