//! "Share session": a link whose fragment replays the simulated session.

use crate::state::{Mode, Playground};
use leptos::prelude::*;

#[component]
pub fn ShareButton() -> impl IntoView {
    let pg = expect_context::<Playground>();
    let link = RwSignal::new(String::new());
    let share = move |_| {
        if pg.mode.get_untracked() != Mode::Simulated {
            // A link replays inputs against the simulator; a real server's session cannot be.
            pg.banner.set(Some("Share links replay a simulated session. To keep this session, export it from the Timeline tab (text, JSON or SVG).".into()));
            return;
        }
        let fragment = pg.simulated.with_untracked(|s| crate::model::saved::share_fragment(&s.log));
        let Some(window) = web_sys::window() else { return };
        let location = window.location();
        let base = format!("{}{}", location.origin().unwrap_or_default(), location.pathname().unwrap_or_default());
        let url = format!("{base}{fragment}");
        let _ = window.navigator().clipboard().write_text(&url);
        link.set(url);
    };
    view! {
        <div class="share">
            <button type="button" on:click=share>"Share session"</button>
            <Show when=move || !link.with(String::is_empty)>
                <label class="share-link">
                    "Link (copied): "
                    <input type="text" readonly=true aria-label="Share link" prop:value=move || link.get()/>
                </label>
            </Show>
        </div>
    }
}
