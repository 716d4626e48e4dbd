//! The reference: the tools first (a base64 encoder and decoder with an AUTH PLAIN builder, a
//! simulated `dig`, a MIME builder), then commands, reply codes and enhanced status codes from
//! the same catalog as the explanations, searchable.

use crate::model::mime::{Draft, build};
use leptos::prelude::*;
use smtp_protocol::command::Verb;
use smtp_protocol::explain::{command_note, headline};
use smtp_protocol::reply::EnhancedCode;
use smtp_protocol::reply::meaning::{code_meaning, enhanced_class, enhanced_detail, enhanced_subject};
use smtp_protocol::{ProfileName, ServerPolicy, Situation, dns};

const CODES: [u16; 31] =
    [211, 214, 220, 221, 235, 250, 251, 252, 334, 354, 421, 432, 450, 451, 452, 454, 455, 500, 501, 502, 503, 504, 530, 534, 535, 538, 550, 551, 552, 553, 554];

#[component]
pub(super) fn Reference() -> impl IntoView {
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
            <Base64Tool/>
            <DigTool/>
            <MimeTool/>
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
            <SupportTable/>
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
            <h2>"Enhanced status codes"</h2>
            <p class="help">"RFC 3463: class.subject.detail, after the reply code. Where the simulator uses one, the situations it means there."</p>
            <dl class="ref-list">
                {enhanced_codes()
                    .into_iter()
                    .map(|(code, situations)| {
                        let detail = enhanced_detail(code);
                        let meaning = format!("{} · {} · {detail}", enhanced_class(code.class), enhanced_subject(code.subject));
                        let seen = situations.join("; ");
                        let haystack = format!("{code} {meaning} {seen}");
                        let hidden = move || !matches(&haystack);
                        view! {
                            <div class="ref-item" hidden=hidden>
                                <dt><code>{code.to_string()}</code></dt>
                                <dd>{meaning} {(!seen.is_empty()).then(|| view! { <br/> <span class="seen">"Here: " {seen.clone()}</span> })}</dd>
                            </div>
                        }
                    })
                    .collect_view()}
            </dl>
        </div>
    }
}

/// Who supports which command, from each profile's policy: the course handout's mainframe
/// table (z/OS SMTP server and CSSMTP) beside the other servers.
#[component]
fn SupportTable() -> impl IntoView {
    // The handout's two servers first, as its table has them; then the others.
    let mut profiles = ProfileName::ALL.to_vec();
    profiles.sort_by_key(|p| !matches!(p, ProfileName::Zos | ProfileName::Cssmtp));
    let policies: Vec<(ProfileName, ServerPolicy)> = profiles.into_iter().map(|p| (p, ServerPolicy::for_profile(p))).collect();
    let header = policies.iter().map(|(p, _)| view! { <th scope="col" title=p.title()>{p.id()}</th> }).collect_view();
    let rows = Verb::ALL
        .into_iter()
        .map(|verb| {
            let cells = policies
                .iter()
                .map(|(_, policy)| {
                    let support = policy.support(verb);
                    view! { <td class=format!("support {support:?}").to_lowercase()>{support.label()}</td> }
                })
                .collect_view();
            view! { <tr><th scope="row"><code>{verb.name()}</code></th>{cells}</tr> }
        })
        .collect_view();
    view! {
        <h2>"Who supports what"</h2>
        <p class="help">
            "Each profile's default settings. zos and cssmtp are the two servers of the course handout's table (IBM z/OS Communications Server): QUEU, TICK and VERB are the z/OS SMTP server's own, not in RFC 5321. "
            "\u{201c}not implemented\u{201d} is a 502 reply; \u{201c}unknown\u{201d} is answered as any unknown word (500; Gmail says 502)."
        </p>
        <div class="table-scroll" tabindex="0" role="region" aria-label="Who supports what, scrollable">
            <table class="support-table">
                <caption>"Commands by server profile"</caption>
                <thead><tr><th scope="col">"command"</th>{header}</tr></thead>
                <tbody>{rows}</tbody>
            </table>
        </div>
    }
}

/// Every enhanced code the simulator's profiles use, with the headlines of the situations that
/// use it, in code order.
fn enhanced_codes() -> Vec<(EnhancedCode, Vec<&'static str>)> {
    let mut codes: Vec<(EnhancedCode, Vec<&'static str>)> = Vec::new();
    for situation in Situation::ALL {
        for profile in ProfileName::ALL {
            let (_, enhanced) = situation.codes(profile);
            let Some(code) = EnhancedCode::parse(enhanced) else { continue };
            match codes.iter_mut().find(|(c, _)| *c == code) {
                Some((_, seen)) if !seen.contains(&headline(*situation)) => seen.push(headline(*situation)),
                Some(_) => {}
                None => codes.push((code, vec![headline(*situation)])),
            }
        }
    }
    codes.sort_by_key(|(c, _)| (c.class, c.subject, c.detail));
    codes
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
        // Control characters shown as symbols: `echo student | base64` decodes to "student⏎".
        Ok(bytes) => String::from_utf8(bytes).map(|s| smtp_protocol::server::visible(&s.replace('\0', "\\0"))).unwrap_or_else(|_| "(decodes to bytes that are not text)".into()),
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
            <p class="help">"In a shell, " <code>"echo -n student | base64"</code> " (or " <code>"printf %s student | base64"</code> "): without -n, echo adds a newline and the server reads \u{201c}student\u{23ce}\u{201d}."</p>
        </section>
    }
}

#[component]
fn DigTool() -> impl IntoView {
    let domain = RwSignal::new("example.org".to_string());
    let kind = RwSignal::new("MX".to_string());
    let output = move || dns::dig(&kind.get(), &domain.get());
    let note = move || dns::note(&kind.get(), &domain.get());
    view! {
        <section class="tool" aria-label="dig">
            <h2>"dig (simulated DNS)"</h2>
            <label>"Domain " <input type="text" aria-label="Domain to look up" prop:value=move || domain.get() on:input=move |ev| domain.set(event_target_value(&ev))/></label>
            <label>
                "Type "
                <select aria-label="Record type" on:change=move |ev| kind.set(event_target_value(&ev))>
                    <option value="MX" selected=true>"MX"</option>
                    <option value="A">"A"</option>
                    <option value="TXT">"TXT"</option>
                </select>
            </label>
            <pre class="dig" aria-label="dig output">{output}</pre>
            <p class="help">{note}</p>
        </section>
    }
}

/// A message with an attachment in base64, to paste after DATA (the course's attachments).
#[component]
fn MimeTool() -> impl IntoView {
    let from = RwSignal::new("student@playground.test".to_string());
    let to = RwSignal::new("bob@playground.test".to_string());
    let subject = RwSignal::new("Lab report".to_string());
    let body = RwSignal::new("Hello Bob,\nthe report is attached.".to_string());
    let file_name = RwSignal::new("report.txt".to_string());
    let content = RwSignal::new("Results of the SMTP lab.".to_string());
    let message = move || {
        let (from, to, subject, body, file_name, content) = (from.get(), to.get(), subject.get(), body.get(), file_name.get(), content.get());
        build(&Draft { from: &from, to: &to, subject: &subject, body: &body, file_name: &file_name, attachment: content.as_bytes() }).replace("\r\n", "\n")
    };
    let field = move |label: &'static str, signal: RwSignal<String>| {
        view! { <label>{label} " " <input type="text" aria-label=format!("MIME builder: {label}") prop:value=move || signal.get() on:input=move |ev| signal.set(event_target_value(&ev))/></label> }
    };
    view! {
        <section class="tool" aria-label="MIME builder">
            <h2>"MIME builder: a message with an attachment"</h2>
            {field("From", from)}
            {field("To", to)}
            {field("Subject", subject)}
            {field("Attachment name", file_name)}
            <label>"Body " <textarea aria-label="MIME builder: Body" prop:value=move || body.get() on:input=move |ev| body.set(event_target_value(&ev))></textarea></label>
            <label>"Attachment content " <textarea aria-label="MIME builder: Attachment content" prop:value=move || content.get() on:input=move |ev| content.set(event_target_value(&ev))></textarea></label>
            <p class="help">"Paste the lines below after the 354 to DATA (pasting sends them in one write), then a line with only a dot. The attachment travels as base64 text (RFC 2045 6.8): 33% bigger, and any line of it safe for SMTP."</p>
            <pre class="mime" tabindex="0" aria-label="MIME message to paste">{message}</pre>
        </section>
    }
}
