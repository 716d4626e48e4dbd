//! A message across the page: what was refused, dropped or could not be read, dismissible.

use crate::state::Playground;
use leptos::prelude::*;

#[component]
pub(super) fn Banner() -> impl IntoView {
    let pg = expect_context::<Playground>();
    view! {
        <Show when=move || pg.banner.with(Option::is_some)>
            <div class="banner" role="status">
                <span>{move || pg.banner.get().unwrap_or_default()}</span>
                <button type="button" on:click=move |_| pg.banner.set(None)>"Dismiss"</button>
            </div>
        </Show>
    }
}
