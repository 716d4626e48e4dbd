//! The mailbox: accepted messages like a mock server's inbox, and one message in detail with the
//! envelope compared to its header.

use super::download::{download, download_bytes};
use super::journey::{DsnFields, JourneyView};
use crate::state::Playground;
use leptos::prelude::*;
use smtp_protocol::StoredMessage;
use smtp_protocol::message::{findings, parse_message, part_contents};

#[component]
pub(super) fn Mailbox() -> impl IntoView {
    let pg = expect_context::<Playground>();
    let open = RwSignal::new(None::<String>);
    let messages = move || pg.with_messages(|m| m.to_vec());
    let current = move || {
        let id = open.get()?;
        pg.with_messages(|m| m.iter().find(|m| m.queue_id == id).cloned())
    };
    view! {
        <div class="mailbox">
            <div class="mailbox-bar">
                <span>{move || format!("{} message(s) accepted", pg.with_messages(|m| m.len()))}</span>
                <button
                    type="button"
                    disabled=move || pg.with_messages(|m| m.is_empty()) || pg.read_only().is_some()
                    title=move || pg.read_only().map(|(reason, _)| reason).unwrap_or_default()
                    on:click=move |_| {
                        pg.clear_messages();
                        open.set(None);
                    }
                >
                    "Delete all"
                </button>
            </div>
            <Show
                when=move || !messages().is_empty()
                fallback=|| view! { <p class="empty">"No mail yet. Send one with MAIL FROM, RCPT TO and DATA: it appears here."</p> }
            >
                <table class="inbox">
                    <caption class="visually-hidden">"Accepted messages"</caption>
                    <thead>
                        <tr><th scope="col">"Time"</th><th scope="col">"From"</th><th scope="col">"To"</th><th scope="col">"Subject"</th></tr>
                    </thead>
                    <tbody>
                        <For each=messages key=|m| m.queue_id.clone() let:message>
                            <InboxRow message=message open=open/>
                        </For>
                    </tbody>
                </table>
            </Show>
            {move || current().map(|m| view! { <MessageView message=m open=open/> })}
        </div>
    }
}

#[component]
fn InboxRow(message: StoredMessage, open: RwSignal<Option<String>>) -> impl IntoView {
    let view_ = parse_message(&message.raw);
    let id = message.queue_id.clone();
    let time = message.received_at.rfc5322().split(' ').nth(4).unwrap_or_default().to_string();
    let from = view_.from.first().cloned().unwrap_or_else(|| message.envelope.sender_address());
    let to = message.envelope.recipient_addresses().join(", ");
    let subject = view_.subject.clone().unwrap_or_else(|| "(no subject)".into());
    let is_open = {
        let id = id.clone();
        move || open.get().as_deref() == Some(id.as_str())
    };
    view! {
        <tr class:open=is_open>
            <td>{time}</td>
            <td>{from}</td>
            <td>{to}</td>
            <td><button type="button" class="link" on:click=move |_| open.set(Some(id.clone()))>{subject}</button></td>
        </tr>
    }
}

#[component]
fn MessageView(message: StoredMessage, open: RwSignal<Option<String>>) -> impl IntoView {
    let pg = expect_context::<Playground>();
    let parsed = parse_message(&message.raw);
    // The server's own reports are not the student's mail: nothing to warn about in them.
    let findings = if message.report_of.is_some() { Vec::new() } else { findings(&parsed, &message) };
    let raw = String::from_utf8_lossy(&message.raw).into_owned();
    let id = message.queue_id.clone();
    let delete_id = id.clone();
    let raw_for_download = message.raw.clone();
    let subject = parsed.subject.clone().unwrap_or_else(|| "(no subject)".into());
    let parts = parsed.parts.clone();
    view! {
        <article class="message" aria-label=format!("Message {id}")>
            <header>
                <h2>{subject}</h2>
                <button type="button" on:click=move |_| open.set(None)>"Close"</button>
                <button type="button" on:click=move |_| download_bytes(&format!("{}.eml", delete_id.clone()), "message/rfc822", &raw_for_download)>"Download .eml"</button>
                <button
                    type="button"
                    disabled=move || pg.read_only().is_some()
                    title=move || pg.read_only().map(|(reason, _)| reason).unwrap_or_default()
                    on:click={
                        let id = id.clone();
                        move |_| {
                            pg.delete_message(&id);
                            open.set(None);
                        }
                    }
                >
                    "Delete"
                </button>
            </header>
            <section aria-label="Envelope and header">
                <h3>"Envelope versus header"</h3>
                <dl class="envelope">
                    <dt>"Sent by"</dt><dd>{sent_by(&message)}</dd>
                    <dt>"MAIL FROM"</dt><dd>{format!("<{}>", message.envelope.sender_address())}</dd>
                    <dt>"RCPT TO"</dt><dd>{message.envelope.recipient_addresses().join(", ")}</dd>
                    <dt>"From:"</dt><dd>{parsed.from.join(", ")}</dd>
                    <dt>"To:"</dt><dd>{parsed.to.join(", ")}</dd>
                    <dt>"Cc:"</dt><dd>{parsed.cc.join(", ")}</dd>
                    {(!parsed.bcc.is_empty()).then(|| view! { <dt>"Bcc:"</dt><dd>{format!("{} (in the message: every recipient sees it)", parsed.bcc.join(", "))}</dd> })}
                </dl>
                {(!findings.is_empty()).then(|| view! {
                    <ul class="findings" aria-label="Warnings">
                        {findings.iter().map(|f| view! { <li class="warning">{f.describe()}</li> }).collect_view()}
                    </ul>
                })}
            </section>
            {message.journey.clone().map(|journey| view! { <JourneyView journey=std::sync::Arc::unwrap_or_clone(journey)/> })}
            {message.report_of.clone().map(|original| {
                let raw = message.raw.clone();
                view! {
                    <section class="dsn" aria-label="Delivery status notification">
                        <h3>"A delivery status notification"</h3>
                        <p class="help">{format!("The server's report on message {original}, sent to the envelope sender (MAIL FROM) with the null sender <>: a bounce is never bounced. Its machine-readable part (RFC 3464), field by field:")}</p>
                        <DsnFields raw=raw/>
                    </section>
                }
            })}
            <section aria-label="Headers">
                <h3>"Headers"</h3>
                <table class="headers">
                    <tbody>
                        {parsed.headers.iter().map(|h| view! { <tr><th scope="row">{h.name.clone()}</th><td>{h.value.clone()}</td></tr> }).collect_view()}
                    </tbody>
                </table>
            </section>
            <section aria-label="Body">
                <h3>"Body"</h3>
                <pre class="body">{parsed.text.clone().unwrap_or_default().replace("\r\n", "\n")}</pre>
            </section>
            {(parts.len() > 1).then(|| {
                let raw_bytes = message.raw.clone();
                view! {
                    <section aria-label="MIME parts">
                        <h3>"MIME parts"</h3>
                        <ul>
                            {parts.into_iter().map(|part| {
                                let raw_bytes = raw_bytes.clone();
                                let name = part.file_name.clone().unwrap_or_else(|| format!("part-{}", part.index));
                                let mime = part.content_type.clone();
                                view! {
                                    <li>
                                        {format!("{} · {} octets{} ", part.content_type, part.size, if part.attachment { " · attachment" } else { "" })}
                                        <button type="button" on:click=move |_| {
                                            if let Some(bytes) = part_contents(&raw_bytes, part.index) {
                                                download_bytes(&name, &mime, &bytes);
                                            }
                                        }>{format!("Download {}", part.file_name.clone().unwrap_or_else(|| format!("part {}", part.index)))}</button>
                                    </li>
                                }
                            }).collect_view()}
                        </ul>
                    </section>
                }
            })}
            <details class="raw">
                <summary>"Raw source (with the Return-Path and Received lines the server added)"</summary>
                <pre>{raw.clone()}</pre>
                <button type="button" on:click=move |_| download("message.txt", "text/plain", &raw)>"Save as text"</button>
            </details>
        </article>
    }
}

/// Who sent a message: the client's address, the name it gave in HELO/EHLO, the account it
/// logged in with (how a class's groups are told apart).
fn sent_by(message: &StoredMessage) -> String {
    if message.report_of.is_some() {
        return "this server's mail system (a report it wrote itself)".into();
    }
    let mut out = if message.client_ip.is_empty() { "(unknown client)".to_string() } else { message.client_ip.clone() };
    if let Some(helo) = &message.client_name {
        out.push_str(&format!(", as {helo}"));
    }
    match &message.authenticated_as {
        Some(user) => out.push_str(&format!(", logged in as {user}")),
        None => out.push_str(", not logged in"),
    }
    out
}
