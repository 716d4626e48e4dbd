//! The Compare tab: the session on show replayed against another server profile, reply by reply
//! beside the original, both explained ([`crate::model::profile_diff`]).

use crate::model::profile_diff::{DiffRow, ReplyView, profile_diff};
use crate::state::{Mode, Playground, Tab};
use leptos::prelude::*;
use smtp_protocol::ProfileName;

#[component]
pub(super) fn ProfileDiff() -> impl IntoView {
    let pg = expect_context::<Playground>();
    // The profile to compare with: Exchange beside Postfix, Postfix beside the others.
    let chosen = RwSignal::new(None::<ProfileName>);
    let own = move || match pg.mode.get() {
        Mode::Real => None,
        _ => Some(pg.with_config(|c| c.profile)),
    };
    // A server from a profile file is compared with the profile it is based on.
    let own_file = move || pg.mode.get() != Mode::Real && pg.with_config(|c| c.persona.is_some());
    let other = move || {
        chosen.get().unwrap_or(match own() {
            Some(base) if own_file() => base,
            Some(ProfileName::Postfix) => ProfileName::Exchange,
            _ => ProfileName::Postfix,
        })
    };
    let own_name = move || match own() {
        None => "the real server".to_string(),
        Some(base) if own_file() => format!("this session (your profile file, based on {})", base.id()),
        Some(profile) => format!("this session ({})", profile.id()),
    };
    // Replayed only while the tab is open: a replay costs a whole session.
    let diff = move || (pg.tab.get() == Tab::Compare).then(|| pg.with_console(|console| profile_diff(console, other())));
    view! {
        <div class="profile-diff">
            <p class="help">"The same lines, sent to another server: each reply beside this session's, with both explanations. Rows where the replies differ are marked; a different code means one server refused what the other took."</p>
            <label>
                "Replay against "
                <select aria-label="Profile to compare with" on:change=move |ev| chosen.set(ProfileName::from_id(&event_target_value(&ev)))>
                    {ProfileName::ALL.into_iter().map(|p| view! { <option value=p.id() selected=move || other() == p>{format!("{} ({})", p.id(), p.title())}</option> }).collect_view()}
                </select>
            </label>
            {move || diff().map(|result| match result {
                Err(problem) => view! { <p class="help" role="status">{problem}</p> }.into_any(),
                Ok(rows) => {
                    let differing = rows.iter().filter(|r| r.differs).count();
                    let (left, right) = (own_name(), other().id().to_string());
                    view! {
                        <div class="diff-scroll" tabindex="0" role="region" aria-label="Profile comparison">
                            <table class="profile-diff-table">
                                <caption>{format!("{left} and {right}, reply by reply: {differing} of {} differ", rows.len())}</caption>
                                <thead><tr><th scope="col">"Answers"</th><th scope="col">{left.clone()}</th><th scope="col">{right}</th></tr></thead>
                                <tbody>{rows.into_iter().map(row).collect_view()}</tbody>
                            </table>
                        </div>
                    }
                    .into_any()
                }
            })}
        </div>
    }
}

fn row(row: DiffRow) -> impl IntoView {
    let DiffRow { answers, left, right, differs, code_differs } = row;
    view! {
        <tr class:differs=differs class:code-differs=code_differs>
            <th scope="row"><code>{answers}</code></th>
            <td>{cell(left)}</td>
            <td>{cell(right)}</td>
        </tr>
    }
}

fn cell(reply: Option<ReplyView>) -> AnyView {
    match reply {
        None => view! { <span class="none">"(no reply: the line was read as message text, or the session had ended)"</span> }.into_any(),
        Some(ReplyView { text, headline, why, .. }) => view! {
            <pre>{text}</pre>
            <p class="headline">{headline}</p>
            <p class="why">{why}</p>
        }
        .into_any(),
    }
}
