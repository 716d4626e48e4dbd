//! The explanation under a server reply, and the note under a client command.

use leptos::prelude::*;
use smtp_protocol::expected::Expectation;
use smtp_protocol::explain::Explanation;
use smtp_protocol::narration::Note;
use smtp_protocol::reply::ReplyClass;

pub(super) fn class_css(class: ReplyClass) -> &'static str {
    match class {
        ReplyClass::Completed => "c2",
        ReplyClass::Intermediate => "c3",
        ReplyClass::TransientFailure => "c4",
        ReplyClass::PermanentFailure => "c5",
        ReplyClass::Unknown => "cx",
    }
}

fn expectation_text(expectation: &Expectation) -> Option<String> {
    match expectation {
        Expectation::KnownDeviation { note } => Some(format!("Outside RFC 5321 4.3.2: {note}.")),
        Expectation::Unexpected => Some("RFC 5321 4.3.2 does not list this code for this command.".into()),
        _ => None,
    }
}

/// Class badge (with text, not colour alone), meanings, why, decoded base64 and the RFC link.
/// Open by default for 4xx and 5xx.
#[component]
pub(super) fn ReplyNote(explanation: Explanation, code: u16) -> impl IntoView {
    let failure = matches!(explanation.class, ReplyClass::TransientFailure | ReplyClass::PermanentFailure);
    let enhanced = explanation.enhanced.clone().map(|e| {
        view! {
            <dt>"Enhanced code " {e.code.clone()}</dt>
            <dd>{e.class} " · " {e.subject} " · " <strong>{e.detail}</strong></dd>
        }
    });
    let decoded = explanation.decoded.clone().map(|d| view! { <dt>"Base64 decoded"</dt><dd class="decoded">{format!("\u{201c}{d}\u{201d}")}</dd> });
    let tolerated = (!explanation.tolerated.is_empty()).then(|| view! { <dt>"Tolerated"</dt><dd>{explanation.tolerated.join(" ")}</dd> });
    let deviation = expectation_text(&explanation.expectation).map(|t| view! { <dt>"Expected?"</dt><dd>{t}</dd> });
    view! {
        <details class="reply-note" open=failure>
            <summary>
                <span class=format!("badge {}", class_css(explanation.class))>{explanation.class_name}</span>
                " "
                <span class="summary-text">{format!("{code}: {}", explanation.headline)}</span>
                {explanation.decoded.clone().map(|d| view! { <span class="decoded">{format!(" — base64 for \u{201c}{d}\u{201d}")}</span> })}
            </summary>
            <dl>
                <dt>"Why here"</dt>
                <dd class="why">{explanation.why.clone()}</dd>
                {decoded}
                {enhanced}
                <dt>"Code"</dt>
                <dd>{format!("{code}: {}", explanation.code_meaning)}</dd>
                <dt>"Class"</dt>
                <dd>{explanation.class_meaning}</dd>
                {tolerated}
                {deviation}
                <dt>"Reference"</dt>
                <dd>
                    <a href=explanation.rfc.url() target="_blank" rel="noopener">{explanation.rfc.label()}</a>
                </dd>
            </dl>
        </details>
    }
}

/// What a client command does, or what is wrong with it.
#[component]
pub(super) fn CommandNote(note: Note) -> impl IntoView {
    match note {
        Note::Command(note) => view! {
            <details class="command-note">
                <summary>{format!("{}: what it does", note.verb)}</summary>
                <p>{note.purpose}</p>
                <p>"Syntax: " <code>{note.syntax}</code> " · Next: " {note.next}</p>
                <a href=note.rfc.url() target="_blank" rel="noopener">{note.rfc.label()}</a>
            </details>
        }
        .into_any(),
        Note::Unparsed { problem, column, expected } => view! {
            <p class="command-note problem">
                {format!("Column {}: {problem}.", column + 1)}
                {expected.map(|e| view! { " Expected: " <code>{e}</code> })}
            </p>
        }
        .into_any(),
        Note::Reply(_) => ().into_any(),
    }
}
