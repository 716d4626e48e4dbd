//! The tabs beside the console (Exercises, Timeline, Wire, Compare, Mailbox, Server, Reference), keyboard-operable
//! as the ARIA tabs pattern has it, and the line saying which server the console talks to.

use super::parts::{self, Part};
use crate::state::{Playground, Tab};
use leptos::prelude::*;

#[component]
pub(super) fn Tabs() -> impl IntoView {
    let pg = expect_context::<Playground>();
    let on_key = move |ev: leptos::ev::KeyboardEvent| {
        let index = Tab::ALL.iter().position(|t| *t == pg.tab.get_untracked()).unwrap_or(0);
        let next = match ev.key().as_str() {
            "ArrowRight" => (index + 1) % Tab::ALL.len(),
            "ArrowLeft" => (index + Tab::ALL.len() - 1) % Tab::ALL.len(),
            "Home" => 0,
            "End" => Tab::ALL.len() - 1,
            _ => return,
        };
        ev.prevent_default();
        pg.tab.set(Tab::ALL[next]);
        if let Some(el) = document().get_element_by_id(&format!("tab-{}", Tab::ALL[next].id())) {
            use wasm_bindgen::JsCast;
            if let Ok(el) = el.dyn_into::<web_sys::HtmlElement>() {
                let _ = el.focus();
            }
        }
    };
    view! {
        <section class="side" aria-label="Session views">
            <div class="tablist" role="tablist" aria-label="Views" on:keydown=on_key>
                {Tab::ALL
                    .into_iter()
                    .map(|tab| {
                        let selected = move || pg.tab.get() == tab;
                        view! {
                            <button
                                type="button"
                                role="tab"
                                id=format!("tab-{}", tab.id())
                                aria-controls=format!("panel-{}", tab.id())
                                aria-selected=move || selected().to_string()
                                tabindex=move || if selected() { "0" } else { "-1" }
                                on:click=move |_| {
                                    pg.tab.set(tab);
                                    reveal(tab);
                                }
                            >
                                {tab.label()}
                                {(tab == Tab::Mailbox).then(|| view! { <span class="count">{move || pg.with_messages(|m| m.len())}</span> })}
                            </button>
                        }
                    })
                    .collect_view()}
            </div>
            {Tab::ALL
                .into_iter()
                .map(|tab| {
                    view! {
                        <div
                            class="tabpanel"
                            role="tabpanel"
                            id=format!("panel-{}", tab.id())
                            aria-labelledby=format!("tab-{}", tab.id())
                            hidden=move || pg.tab.get() != tab
                        >
                            {
                                // A tab's part is downloaded when the tab is first shown, then kept.
                                let opened = Memo::new(move |before: Option<&bool>| before.copied().unwrap_or(false) || pg.tab.get() == tab);
                                move || opened.get().then(|| view! { <Part name=format!("The {} view", tab.label()) load=parts::tab(tab)/> })
                            }
                        </div>
                    }
                })
                .collect_view()}
            <p class="profile-line">
                {move || pg.server_line()}
            </p>
        </section>
    }
}

/// At phone width the panels sit below the console: bring the chosen one into view.
fn reveal(tab: Tab) {
    let narrow = window().inner_width().ok().and_then(|w| w.as_f64()).is_some_and(|w| w < 760.0);
    if !narrow {
        return;
    }
    // Once the panel is shown (a hidden element cannot be scrolled to).
    request_animation_frame(move || {
        if let Some(panel) = document().get_element_by_id(&format!("panel-{}", tab.id())) {
            let options = web_sys::ScrollIntoViewOptions::new();
            options.set_block(web_sys::ScrollLogicalPosition::Start);
            panel.scroll_into_view_with_scroll_into_view_options(&options);
        }
    });
}
