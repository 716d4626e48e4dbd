//! The reference: commands and reply codes from the same catalog as the explanations, a base64
//! encoder and decoder with an AUTH PLAIN builder, and a simulated `dig`.

use leptos::prelude::*;
use smtp_protocol::command::Verb;
use smtp_protocol::dns;
use smtp_protocol::explain::{code_meaning, command_note};

const CODES: [u16; 31] =
    [211, 214, 220, 221, 235, 250, 251, 252, 334, 354, 421, 432, 450, 451, 452, 454, 455, 500, 501, 502, 503, 504, 530, 534, 535, 538, 550, 551, 552, 553, 554];

#[component]
pub fn Reference() -> impl IntoView {
    let query = RwSignal::new(String::new());
    let matches = move |text: &str| {
        let q = query.get().to_ascii_lowercase();
        q.is_empty() || text.to_ascii_lowercase().contains(&q)
    };
    view! {
        <div class="reference">
            <label class="search">
                "Search commands and codes "
                <input type="search" aria-label="Search the reference" placeholder="e.g. 503, RCPT, auth" on:input=move |ev| query.set(event_target_value(&ev))/>
            </label>
            <h2>"Commands"</h2>
            <dl class="ref-list">
                {Verb::ALL
                    .into_iter()
                    .map(|verb| {
                        let note = command_note(verb);
                        let haystack = format!("{} {} {}", note.syntax, note.purpose, note.next);
                        let hidden = move || !matches(&haystack);
                        view! {
                            <div class="ref-item" hidden=hidden>
                                <dt><code>{note.syntax}</code></dt>
                                <dd>{note.purpose} " Next: " {note.next} ". " <a href=note.rfc.url() target="_blank" rel="noopener">{note.rfc.label()}</a></dd>
                            </div>
                        }
                    })
                    .collect_view()}
            </dl>
            <h2>"Reply codes"</h2>
            <dl class="ref-list">
                {CODES
                    .into_iter()
                    .map(|code| {
                        let meaning = code_meaning(code);
                        let haystack = format!("{code} {meaning}");
                        let hidden = move || !matches(&haystack);
                        view! {
                            <div class="ref-item" hidden=hidden>
                                <dt><code>{code}</code></dt>
                                <dd>{meaning}</dd>
                            </div>
                        }
                    })
                    .collect_view()}
            </dl>
            <Base64Tool/>
            <DigTool/>
        </div>
    }
}

#[component]
fn Base64Tool() -> impl IntoView {
    use base64::Engine;
    use base64::engine::general_purpose::STANDARD;
    let text = RwSignal::new(String::new());
    let user = RwSignal::new("student".to_string());
    let password = RwSignal::new("secret".to_string());
    let encoded = move || STANDARD.encode(text.get());
    let decoded = move || match STANDARD.decode(text.get().trim()) {
        Ok(bytes) => String::from_utf8(bytes).map(|s| s.replace('\0', "\\0")).unwrap_or_else(|_| "(decodes to bytes that are not text)".into()),
        Err(_) => "(not valid base64)".into(),
    };
    let plain = move || STANDARD.encode(format!("\0{}\0{}", user.get(), password.get()));
    view! {
        <section class="tool" aria-label="Base64">
            <h2>"Base64"</h2>
            <label>"Text " <input type="text" aria-label="Text to encode or decode" on:input=move |ev| text.set(event_target_value(&ev))/></label>
            <p>"Encoded: " <output aria-label="Base64 encoded">{encoded}</output></p>
            <p>"Decoded: " <output aria-label="Base64 decoded">{decoded}</output></p>
            <h3>"AUTH PLAIN builder"</h3>
            <label>"User " <input type="text" aria-label="AUTH PLAIN user" prop:value=move || user.get() on:input=move |ev| user.set(event_target_value(&ev))/></label>
            <label>"Password " <input type="text" aria-label="AUTH PLAIN password" prop:value=move || password.get() on:input=move |ev| password.set(event_target_value(&ev))/></label>
            <p>"Send: " <code class="copyable">{move || format!("AUTH PLAIN {}", plain())}</code></p>
            <p class="help">"This is base64 of \\0user\\0password: an encoding anyone can reverse, not encryption. Use it only inside TLS."</p>
        </section>
    }
}

#[component]
fn DigTool() -> impl IntoView {
    let domain = RwSignal::new("example.org".to_string());
    let kind = RwSignal::new("MX".to_string());
    let output = move || dns::dig(&kind.get(), &domain.get());
    let note = move || dns::lookup(&domain.get()).map(|d| d.note).unwrap_or("Try example.org, university.example, no-mx.example.com or nullmx.example.net.");
    view! {
        <section class="tool" aria-label="dig">
            <h2>"dig (simulated DNS)"</h2>
            <label>"Domain " <input type="text" aria-label="Domain to look up" prop:value=move || domain.get() on:input=move |ev| domain.set(event_target_value(&ev))/></label>
            <label>
                "Type "
                <select aria-label="Record type" on:change=move |ev| kind.set(event_target_value(&ev))>
                    <option value="MX" selected=true>"MX"</option>
                    <option value="A">"A"</option>
                </select>
            </label>
            <pre class="dig" aria-label="dig output">{output}</pre>
            <p class="help">{note}</p>
        </section>
    }
}
