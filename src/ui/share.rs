//! "Share session": a link whose fragment replays the simulated session.

use crate::state::{Mode, Playground};
use leptos::prelude::*;

#[component]
pub(super) fn ShareButton() -> impl IntoView {
    let pg = expect_context::<Playground>();
    let link = RwSignal::new(String::new());
    // A link replays what was typed, AUTH's base64 too: ask before handing a password around.
    let confirming = RwSignal::new(false);
    let has_password = move || pg.simulated.with_untracked(|s| s.console.entries.iter().any(|e| e.kind.carries_password()));
    let make_link = move || {
        if pg.mode.get_untracked() != Mode::Simulated {
            // A link replays inputs against the simulator; a real server's session cannot be.
            return pg.banner.set(Some("Share links replay a simulated session. To keep this session, export it from the Timeline tab (text, JSON or SVG).".into()));
        }
        let fragment = pg.simulated.with_untracked(|s| pg.branches.with_untracked(|b| crate::model::saved::share_fragment(&s.log, b)));
        let Some(window) = web_sys::window() else { return };
        let location = window.location();
        let base = format!("{}{}", location.origin().unwrap_or_default(), location.pathname().unwrap_or_default());
        let url = format!("{base}{fragment}");
        let _ = window.navigator().clipboard().write_text(&url);
        link.set(url);
        confirming.set(false);
    };
    let share = move |_| {
        if pg.mode.get_untracked() == Mode::Simulated && has_password() {
            link.set(String::new());
            confirming.set(true);
        } else {
            make_link();
        }
    };
    view! {
        <div class="share">
            <button type="button" on:click=share>"Share session"</button>
            <Show when=move || confirming.get()>
                <div class="share-confirm" role="alertdialog" aria-label="Share a session with a password">
                    <p>"This link replays everything you typed, including your AUTH password's base64 (base64 is no encryption: anyone with the link can decode it)."</p>
                    <button type="button" on:click=move |_| make_link()>"Share with the password"</button>
                    <button type="button" on:click=move |_| confirming.set(false)>"Cancel"</button>
                </div>
            </Show>
            <Show when=move || !link.with(String::is_empty)>
                <label class="share-link">
                    "Link (copied): "
                    <input type="text" readonly=true aria-label="Share link" prop:value=move || link.get()/>
                </label>
            </Show>
        </div>
    }
}
