//! What happened after the 250, in the Mailbox: a message's journey hop by hop
//! ([`smtp_protocol::delivery`]), and a delivery status notification's fields explained.

use leptos::prelude::*;
use smtp_protocol::delivery::dsn::{field_note, read_report};
use smtp_protocol::journey::AuthResults;
use smtp_protocol::journey::{Journey, NoticeKind, Outcome, RecipientJourney};

#[component]
pub(super) fn JourneyView(journey: Journey) -> impl IntoView {
    let start = journey.recipients.iter().filter_map(|r| r.hops.first().map(|h| h.at.0)).min().unwrap_or_default();
    view! {
        <section class="journey" aria-label="Journey">
            <h3>"Journey: what the server did after the 250"</h3>
            {journey.recipients.into_iter().map(|r| recipient(r, start)).collect_view()}
            {journey.silent.map(|text| view! { <p class="journey-silent">{text}</p> })}
            {journey.backscatter.map(|text| view! { <p class="warning backscatter" role="note">{text}</p> })}
            {(!journey.notices.is_empty()).then(|| view! {
                <h4>"Reports sent to the envelope sender"</h4>
                <ul class="notices">
                    {journey.notices.into_iter().map(|n| {
                        let kind = match n.kind {
                            NoticeKind::Failure => "Failure (bounce)",
                            NoticeKind::Delay => "Delay warning",
                            NoticeKind::Success => "Success report",
                        };
                        let place = if n.local { "delivered to this Mailbox" } else { "sent out to the sender's domain" };
                        let raw = n.raw.clone();
                        view! {
                            <li>
                                {format!("{kind} to <{}> about {}, {place}, at +{} s.", n.to, n.recipients.join(", "), n.at.0.saturating_sub(start) / 1000)}
                                <details>
                                    <summary>"Its delivery-status fields"</summary>
                                    <DsnFields raw=raw/>
                                </details>
                            </li>
                        }
                    }).collect_view()}
                </ul>
            })}
        </section>
    }
}

fn recipient(r: RecipientJourney, start: u64) -> impl IntoView {
    let (class, outcome) = match &r.outcome {
        Outcome::Delivered if r.delayed => ("good", "delivered after a delay".to_string()),
        Outcome::Delivered => ("good", "delivered".to_string()),
        Outcome::Junk => ("warn", "delivered to the junk folder".to_string()),
        Outcome::Failed { status, .. } => ("bad", format!("failed, status {status}")),
    };
    view! {
        <div class="journey-recipient">
            <h4>{format!("<{}>: ", r.recipient)}<span class=format!("outcome {class}")>{outcome}</span></h4>
            <ol class="hops">
                {r.hops.into_iter().map(|hop| {
                    let offset = hop.at.0.saturating_sub(start) / 1000;
                    let when = if offset < 120 { format!("+{offset} s") } else { format!("+{} min", offset / 60) };
                    view! {
                        <li class=format!("hop {:?}", hop.step).to_lowercase()>
                            <span class="when">{when}</span>
                            <span class="what">{hop.text}</span>
                            {hop.reply.map(|reply| view! { <pre class="remote-reply">{reply.to_wire().trim_end().to_string()}</pre> })}
                            {hop.checks.map(checks)}
                        </li>
                    }
                }).collect_view()}
            </ol>
            {(!r.headers_added.is_empty()).then(|| view! {
                <details>
                    <summary>"Headers the receiving side added"</summary>
                    <pre class="added-headers">{r.headers_added.join("\r\n").replace("\r\n", "\n")}</pre>
                </details>
            })}
        </div>
    }
}

fn checks(results: AuthResults) -> impl IntoView {
    let row = |name: &'static str, result: String, why: String| {
        view! { <tr><th scope="row">{name}</th><td class=format!("auth {result}")>{result.clone()}</td><td>{why}</td></tr> }
    };
    view! {
        <table class="auth-results">
            <caption>"What the receiving exchanger checked"</caption>
            <tbody>
                {row("SPF", results.spf.result, results.spf.why)}
                {row("DKIM", results.dkim.result, results.dkim.why)}
                {row("DMARC", results.dmarc.result, results.dmarc.why)}
            </tbody>
        </table>
    }
}

/// A DSN's machine-readable fields, each with what it means.
#[component]
pub(super) fn DsnFields(raw: Vec<u8>) -> impl IntoView {
    match read_report(&raw) {
        None => view! { <p class="help">"(no delivery-status part could be read)"</p> }.into_any(),
        Some(fields) => view! {
            <dl class="dsn-fields">
                {fields.into_iter().map(|(name, value)| {
                    if name.is_empty() {
                        return view! { <hr/> }.into_any();
                    }
                    let note = field_note(&name);
                    view! {
                        <dt><code>{name}</code></dt>
                        <dd><code>{value}</code>{note.map(|n| view! { <span class="field-note">{n}</span> })}</dd>
                    }
                    .into_any()
                }).collect_view()}
            </dl>
        }
        .into_any(),
    }
}
