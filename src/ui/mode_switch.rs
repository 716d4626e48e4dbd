//! The header's switch of what the console talks to.

use crate::state::{Mode, Playground};
use leptos::prelude::*;

/// What the console talks to: the simulator, a real server through the bridge, or the real
/// clients of a live mock server.
#[component]
pub(super) fn ModeSwitch() -> impl IntoView {
    let pg = expect_context::<Playground>();
    let choose = move |mode: Mode| pg.choose_mode(mode);
    let option = move |mode: Mode, value: &'static str, label: &'static str| {
        view! {
            <label>
                <input type="radio" name="mode" value=value prop:checked=move || pg.mode.get() == mode on:change=move |_| choose(mode)/>
                {label}
            </label>
        }
    };
    view! {
        <fieldset class="mode-switch">
            <legend>"Console talks to"</legend>
            {option(Mode::Simulated, "simulated", " Simulated server")}
            {option(Mode::Real, "real", " Real server (bridge)")}
            {option(Mode::Mock, "mock", " Live mock server")}
        </fieldset>
    }
}
