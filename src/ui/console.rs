//! The telnet-like console: the transcript (role log) and the command input.

use super::parts::{self, Part};
use super::reply_note::{CommandNote, ReplyNote, class_css};
use super::simulator_bar::SimulatorBar;
use super::what_if::WhatIfButton;
use crate::model::completion::complete;
use crate::model::entry::{Entry, EntryKind, data_note, plain_initial_decoded};
use crate::state::{Mode, Playground};
use leptos::html;
use leptos::prelude::*;
use std::sync::Arc;

/// Entries rendered in the transcript; older ones stay in the timeline and the export.
const SHOWN: usize = 400;

#[component]
fn EntryView(entry: Arc<Entry>) -> impl IntoView {
    let pg = expect_context::<Playground>();
    let id = entry.id;
    let selected = move || pg.selected.get() == Some(id);
    let body = match entry.kind.clone() {
        EntryKind::Command { text, note } => {
            let decoded = plain_initial_decoded(&text);
            view! {
                <div class="line client"><span class="who" aria-hidden="true">"C:"</span><code>{text}</code></div>
                {decoded.map(|d| view! { <p class="command-note decoded">{format!("AUTH PLAIN's base64, decoded: \u{201c}{d}\u{201d} (authorisation id \\0 user \\0 password; the password shown as *). Base64 hides nothing: anyone can decode it.")}</p> })}
                {note.map(|note| view! { <CommandNote note=note/> })}
            }
            .into_any()
        }
        EntryKind::Data { text, end } => {
            let note = data_note(&text).filter(|_| !end);
            view! {
                <div class="line client data" class:data-end=end>
                    <span class="who" aria-hidden="true">"C:"</span><code>{text}</code>
                    {end.then(|| view! { <span class="hint">" end of message"</span> })}
                </div>
                {note.map(|n| view! { <p class="command-note">{n}</p> })}
            }
            .into_any()
        }
        EntryKind::AuthAnswer { text, decoded, .. } => view! {
            <div class="line client"><span class="who" aria-hidden="true">"C:"</span><code>{text}</code></div>
            <p class="command-note decoded">
                {match decoded {
                    Some(d) => format!("Base64 answer, decoded: \u{201c}{d}\u{201d} (passwords shown as *, a line break as \u{23ce}). Base64 hides nothing: anyone can decode it."),
                    None => "Not valid base64.".to_string(),
                }}
            </p>
        }
        .into_any(),
        EntryKind::Reply { reply, explanation, .. } => {
            let wire = reply.to_wire();
            let code = reply.code;
            // What the server let pass is said on the line, not only inside the folded note.
            let tolerated = (!explanation.tolerated.is_empty()).then(|| explanation.tolerated.join(" "));
            view! {
                <div class=format!("line server {}", class_css(explanation.class))>
                    <span class="who" aria-hidden="true">"S:"</span>
                    <pre>{wire.trim_end().to_string()}</pre>
                </div>
                {tolerated.map(|t| view! { <p class="command-note tolerated">{format!("Tolerated: {t}")}</p> })}
                <ReplyNote explanation=*explanation code=code/>
                <WhatIfButton entry=id/>
            }
            .into_any()
        }
        EntryKind::Notice { text, tone } | EntryKind::TlsStarted { text, tone } => view! { <p class=format!("notice {}", tone.css())>{text}</p> }.into_any(),
    };
    view! {
        <div class="entry" id=format!("entry-{id}") class:selected=selected on:click=move |_| pg.selected.set(Some(id))>
            {body}
        </div>
    }
}

#[component]
pub(super) fn Console() -> impl IntoView {
    let pg = expect_context::<Playground>();
    let input: NodeRef<html::Input> = NodeRef::new();
    let history = RwSignal::new(Vec::<String>::new());
    let position = RwSignal::new(None::<usize>);
    let mode = Memo::new(move |_| pg.mode.get());
    let watching = Memo::new(move |_| mode.get() == Mode::Mock);
    let in_data = Memo::new(move |_| pg.in_data());
    // Rows are keyed by session and entry number: another session's entry 3 is another row.
    let entries = move || {
        let scope = pg.scope();
        pg.with_console(|console| {
            let entries = &console.entries;
            entries[entries.len().saturating_sub(SHOWN)..].iter().map(|e| (scope, e.clone())).collect::<Vec<_>>()
        })
    };
    let transcript: NodeRef<html::Div> = NodeRef::new();

    // Follow the newest line. Reading scrollHeight forces a layout, so it waits for the next
    // frame, when the browser lays out anyway (it cost 3 ms a command when done at once).
    Effect::new(move |_| {
        pg.with_console(|console| console.entries.len());
        if let Some(el) = transcript.get() {
            request_animation_frame(move || el.set_scroll_top(el.scroll_height()));
        }
    });
    // A selection made in the timeline scrolls the transcript to that line.
    Effect::new(move |_| {
        if let Some(id) = pg.selected.get()
            && let Some(el) = document().get_element_by_id(&format!("entry-{id}"))
        {
            let options = web_sys::ScrollIntoViewOptions::new();
            options.set_block(web_sys::ScrollLogicalPosition::Nearest);
            el.scroll_into_view_with_scroll_into_view_options(&options);
        }
    });

    // The line end Send adds: CRLF, or a bare LF to see what a server makes of one.
    let bare_lf = RwSignal::new(false);
    let send_text = move |text: String| {
        let sent = pg.send(&text);
        pg.selected.set(None);
        sent
    };
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let Some(el) = input.get() else { return };
        let line = el.value();
        // Nothing sent (disconnected): the line stays in the box, and the banner says why.
        let ending = if bare_lf.get_untracked() { "\n" } else { "\r\n" };
        if !send_text(format!("{line}{ending}")) {
            return;
        }
        el.set_value("");
        if !line.is_empty() {
            history.update(|h| h.push(line.clone()));
        }
        position.set(None);
    };
    let keydown = move |ev: leptos::ev::KeyboardEvent| {
        let Some(el) = input.get() else { return };
        match ev.key().as_str() {
            "ArrowUp" | "ArrowDown" => {
                let len = history.with_untracked(Vec::len);
                if len == 0 {
                    return;
                }
                ev.prevent_default();
                let next = match (ev.key().as_str(), position.get_untracked()) {
                    ("ArrowUp", None) => Some(len - 1),
                    ("ArrowUp", Some(p)) => Some(p.saturating_sub(1)),
                    ("ArrowDown", Some(p)) if p + 1 < len => Some(p + 1),
                    _ => None,
                };
                position.set(next);
                el.set_value(&next.map(|p| history.with_untracked(|h| h[p].clone())).unwrap_or_default());
            }
            "Tab" if !ev.shift_key() => {
                let addresses = untrack(|| pg.with_console(|console| console.known_addresses()));
                if let Some(done) = complete(&el.value(), &addresses) {
                    ev.prevent_default();
                    el.set_value(&done);
                }
            }
            _ => {}
        }
    };
    // A pasted script is sent line by line in one write, as a pipelining client would.
    let paste = move |ev: web_sys::ClipboardEvent| {
        let Some(text) = ev.clipboard_data().and_then(|d| d.get_data("text").ok()) else { return };
        if !text.contains('\n') {
            return;
        }
        ev.prevent_default();
        let Some(el) = input.get() else { return };
        let whole = format!("{}{}", el.value(), text);
        let mut script = String::new();
        for line in whole.trim_end_matches(['\r', '\n']).split('\n') {
            script.push_str(line.trim_end_matches('\r'));
            script.push_str("\r\n");
        }
        if send_text(script) {
            el.set_value("");
        } else {
            el.set_value(&whole);
        }
    };

    // The what-if choices and the branches come with the first what-if asked for (or a session
    // restored with branches), then stay.
    let branching = Memo::new(move |before: Option<&bool>| before.copied().unwrap_or(false) || pg.what_if.with(Option::is_some) || pg.branches.with(|b| b.list.len() > 1));

    view! {
        <section class="console" aria-label="Console">
            {move || match mode.get() {
                Mode::Simulated => view! { <SimulatorBar/> }.into_any(),
                Mode::Real => view! { <Part name="The real-server form" load=parts::REAL_SERVER_FORM/> }.into_any(),
                Mode::Mock => view! { <Part name="The list of client sessions" load=parts::SESSION_LIST/> }.into_any(),
            }}
            {move || branching.get().then(|| view! { <Part name="The what-if choices" load=parts::WHAT_IF/> })}
            <div class="transcript" role="log" aria-label="Session transcript" node_ref=transcript>
                <For each=entries key=|(scope, entry)| (*scope, entry.id) let:item>
                    <EntryView entry=item.1/>
                </For>
            </div>
            <Show when=move || in_data.get()>
                <p class="data-mode" role="status">
                    "Message mode: header lines, an empty line, then the body. End the message with a line holding only "
                    <kbd>"."</kbd>
                </p>
            </Show>
            <form class="prompt" on:submit=submit>
                <span class="who" aria-hidden="true">{move || if in_data.get() { "DATA>" } else { "C:" }}</span>
                <input
                    type="text"
                    aria-label="SMTP command"
                    autocomplete="off"
                    autocapitalize="off"
                    spellcheck="false"
                    placeholder=move || {
                        if watching.get() {
                            "read-only: real mail clients are talking here"
                        } else if in_data.get() {
                            "message line (a lone . ends it)"
                        } else {
                            "type a command, e.g. EHLO student.example"
                        }
                    }
                    readonly=move || watching.get()
                    node_ref=input
                    on:keydown=keydown
                    on:paste=paste
                />
                <select
                    class="line-end"
                    aria-label="Line end"
                    title="What Send puts at the end of the line: CRLF, as RFC 5321 asks, or LF alone (a bare LF)"
                    disabled=move || watching.get()
                    on:change=move |ev| bare_lf.set(event_target_value(&ev) == "lf")
                >
                    <option value="crlf" selected=move || !bare_lf.get()>"CRLF"</option>
                    <option value="lf" selected=move || bare_lf.get()>"LF only"</option>
                </select>
                <button type="submit" disabled=move || watching.get()>"Send"</button>
            </form>
        </section>
    }
}
