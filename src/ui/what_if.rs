//! What-if branches: the button on a reply, the picker of another reply, the bar of branches
//! and the side-by-side comparison of a branch with the session it branched from.

use crate::model::branch::{compare, parse_reply, usual_replies};
use crate::model::entry::EntryKind;
use crate::state::{Mode, Playground};
use leptos::prelude::*;
use smtp_protocol::event::{ClientLine, Event};

/// The position among the session's replies of the console entry `id`, if it is a reply.
pub(super) fn reply_ordinal(pg: Playground, id: usize) -> Option<usize> {
    untrack(|| {
        pg.with_console(|console| {
            let entries = &console.entries;
            matches!(entries.get(id)?.kind, EntryKind::Reply { .. }).then(|| entries[..id].iter().filter(|e| matches!(e.kind, EntryKind::Reply { .. })).count())
        })
    })
}

/// "What if…" on one reply, in every mode (a real or watched session is replayed against the
/// simulator first).
#[component]
pub(super) fn WhatIfButton(entry: usize) -> impl IntoView {
    let pg = expect_context::<Playground>();
    view! {
            <button
                type="button"
                class="what-if"
                aria-label=format!("What if the server had answered otherwise? (reply on line {})", entry + 1)
                on:click=move |ev| {
                    ev.stop_propagation();
                    pg.what_if.set(reply_ordinal(pg, entry));
                }
            >
                "What if\u{2026}"
            </button>
    }
}

/// The command a reply answers (its first word), for the usual replies to offer.
fn answered_verb(pg: Playground, ordinal: usize) -> Option<String> {
    untrack(|| {
        pg.with_console(|console| {
            let index = crate::model::branch::reply_index(&console.events, ordinal)?;
            match console.events[..index].last()? {
                Event::LineReceived { line: ClientLine::Command { .. }, raw, .. } => raw.split(' ').next().map(str::to_string),
                Event::LineReceived { line: ClientLine::DataEnd, .. } => Some("(message)".into()),
                _ => None,
            }
        })
    })
}

/// The branches of the session and the choice of a reply for a what-if: a part of the page.
#[component]
pub(super) fn Branching() -> impl IntoView {
    view! {
        <BranchBar/>
        <WhatIfPicker/>
    }
}

/// Picks the reply a branch gets instead: one of the usual ones, or any code and text.
#[component]
fn WhatIfPicker() -> impl IntoView {
    let pg = expect_context::<Playground>();
    let typed = RwSignal::new(String::new());
    let error = RwSignal::new(None::<String>);
    let branch = move |text: String| {
        let Some(ordinal) = pg.what_if.get_untracked() else { return };
        let result = parse_reply(&text).and_then(|reply| pg.open_branch(ordinal, &reply));
        match result {
            Ok(()) => {
                pg.what_if.set(None);
                error.set(None);
                typed.set(String::new());
            }
            Err(why) => error.set(Some(why)),
        }
    };
    view! {
        {move || pg.what_if.get().map(|ordinal| {
            let verb = answered_verb(pg, ordinal);
            let original = untrack(|| pg.with_console(|console| {
                crate::model::branch::reply_index(&console.events, ordinal).and_then(|i| match &console.events[i] {
                    Event::ReplySent { reply, .. } => Some(reply.to_wire().trim_end().to_string()),
                    _ => None,
                })
            })).unwrap_or_default();
            let replayed = pg.mode.get_untracked() != Mode::Simulated;
            view! {
                <div class="what-if-picker" role="dialog" aria-label="What if the server had answered otherwise">
                    <p>
                        {format!("The server answered {}", verb.as_deref().map(|v| format!("{v} with")).unwrap_or_default())}
                        " " <code>{original}</code>
                        ". Pick another reply: a branch replays the session up to here with it, and you go on from there. The original stays as it is."
                        {replayed.then_some(" This session is replayed in the simulator first (the page switches to it): the branch shows what the simulated server would do next.")}
                    </p>
                    <ul class="usual-replies">
                        {usual_replies(verb.as_deref()).into_iter().map(|reply| view! {
                            <li><button type="button" on:click=move |_| branch(reply.to_string())>{format!("Answer {reply}")}</button></li>
                        }).collect_view()}
                    </ul>
                    <form on:submit=move |ev| { ev.prevent_default(); branch(typed.get_untracked()); }>
                        <label>
                            "Another reply (code, enhanced code, text) "
                            <input type="text" placeholder="452 4.2.2 Mailbox full" prop:value=move || typed.get() on:input=move |ev| typed.set(event_target_value(&ev))/>
                        </label>
                        <button type="submit">"Branch with this reply"</button>
                        <button type="button" on:click=move |_| { pg.what_if.set(None); error.set(None); }>"Cancel"</button>
                    </form>
                    {move || error.get().map(|e| view! { <p class="error" role="alert">{e}</p> })}
                </div>
            }
        })}
    }
}

/// The original and its branches: which is on show (typed into), and the comparison.
#[component]
fn BranchBar() -> impl IntoView {
    let pg = expect_context::<Playground>();
    let comparing = RwSignal::new(true);
    let tabs = move || {
        pg.branches.with(|b| {
            b.list
                .iter()
                .enumerate()
                .map(|(i, branch)| {
                    let name = match branch.parent {
                        None if i == 0 => "Original".to_string(),
                        None => format!("Replay {i}: {}", branch.label),
                        Some(parent) => {
                            let of = match (parent, b.list[parent].parent) {
                                (0, _) => "the original".to_string(),
                                (p, None) => format!("replay {p}"),
                                (p, Some(_)) => format!("branch {p}"),
                            };
                            format!("Branch {i} (of {of}): {}", branch.label)
                        }
                    };
                    (i, name, b.active == i)
                })
                .collect::<Vec<_>>()
        })
    };
    view! {
        <Show when=move || pg.mode.get() == Mode::Simulated && pg.branches.with(|b| b.is_branched())>
            <nav class="branch-bar" aria-label="What-if branches">
                {move || tabs().into_iter().map(|(i, name, active)| view! {
                    <button type="button" aria-pressed=if active { "true" } else { "false" } on:click=move |_| pg.show_branch(i)>{name}</button>
                }).collect_view()}
                <label class="compare-toggle">
                    <input type="checkbox" prop:checked=move || comparing.get() on:change=move |ev| comparing.set(event_target_checked(&ev))/>
                    " Compare side by side"
                </label>
            </nav>
            <Show when=move || comparing.get() && pg.branches.with(|b| b.list[b.active].parent.is_some())>
                <BranchCompare/>
            </Show>
        </Show>
    }
}

/// The branch on show beside the session it branched from, line by line.
#[component]
fn BranchCompare() -> impl IntoView {
    let pg = expect_context::<Playground>();
    let rows = move || {
        let mine = pg.simulated.with(|s| s.console.transcript());
        pg.branches.with(|b| {
            let parent = b.list[b.active].parent.unwrap_or(0);
            let theirs = b.list.get(parent).and_then(|p| p.session.as_ref()).map(|s| s.console.transcript()).unwrap_or_default();
            let parent_name = match (parent, b.list.get(parent).and_then(|p| p.parent)) {
                (0, _) => "Original".to_string(),
                (i, None) => format!("Replay {i}"),
                (i, Some(_)) => format!("Branch {i}"),
            };
            (parent_name, format!("Branch {}", b.active), compare(&theirs, &mine))
        })
    };
    view! {
        {move || {
            let (parent, branch, rows) = rows();
            let differing = rows.iter().filter(|r| r.2).count();
            view! {
                <div class="branch-compare-scroll" tabindex="0" role="region" aria-label="Branch comparison">
                <table class="branch-compare">
                    <caption>{format!("{parent} and {branch}, line by line: {differing} lines differ")}</caption>
                    <thead><tr><th scope="col">{parent}</th><th scope="col">{branch}</th></tr></thead>
                    <tbody>
                        {rows.into_iter().map(|(a, b, differs)| view! {
                            <tr class:differs=differs><td><code>{a}</code></td><td><code>{b}</code></td></tr>
                        }).collect_view()}
                    </tbody>
                </table>
                </div>
            }
        }}
    }
}
