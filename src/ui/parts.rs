//! The views that are parts of the page (see [`crate::later`]): the tabs' views and the what-if
//! choices are one part, downloaded when the first is shown (few large downloads are faster than
//! many small ones: a browser fetches six at a time from one server); the mock mode's session
//! list and the real-server form come with their mode's part. Once the page is idle, every part
//! is fetched in the background, so that a page opened once keeps working without the network.

use crate::later::Missing;
use crate::state::Tab;
use futures::FutureExt;
use futures::future::LocalBoxFuture;
use leptos::prelude::*;
use wasm_split_helpers::wasm_split;

/// What a part gives back: the function that draws its view, called from here once loaded.
pub type Draw = fn() -> AnyView;

/// Downloads a part (the first time) and gives the function that draws it.
pub type Load = fn() -> LocalBoxFuture<'static, Result<Draw, Missing>>;

#[wasm_split(views, fallible, preload(preload_exercises))]
fn exercises() -> Result<Draw, Missing> {
    Ok(|| view! { <super::exercise_panel::ExercisePanel/> }.into_any())
}

#[wasm_split(views, fallible)]
fn timeline() -> Result<Draw, Missing> {
    Ok(|| view! { <super::timeline::Timeline/> }.into_any())
}

#[wasm_split(views, fallible)]
fn wire() -> Result<Draw, Missing> {
    Ok(|| view! { <super::wire::WireView/> }.into_any())
}

#[wasm_split(views, fallible)]
fn compare() -> Result<Draw, Missing> {
    Ok(|| view! { <super::compare::ProfileDiff/> }.into_any())
}

#[wasm_split(views, fallible)]
fn mailbox() -> Result<Draw, Missing> {
    Ok(|| view! { <super::mailbox::Mailbox/> }.into_any())
}

#[wasm_split(views, fallible)]
fn server() -> Result<Draw, Missing> {
    Ok(|| view! { <super::settings::ServerSettings/> }.into_any())
}

#[wasm_split(views, fallible)]
fn reference() -> Result<Draw, Missing> {
    Ok(|| view! { <super::reference::Reference/> }.into_any())
}

#[wasm_split(views, fallible)]
fn what_if() -> Result<Draw, Missing> {
    Ok(|| view! { <super::what_if::Branching/> }.into_any())
}

#[wasm_split(mock_mode, fallible, preload(preload_session_list))]
fn session_list() -> Result<Draw, Missing> {
    Ok(|| view! { <super::session_list::SessionList/> }.into_any())
}

#[wasm_split(real_mode, fallible, preload(preload_real_server_form))]
fn real_server_form() -> Result<Draw, Missing> {
    Ok(|| view! { <super::real_server_form::RealServerForm/> }.into_any())
}

/// The part drawing `tab`'s view.
pub fn tab(tab: Tab) -> Load {
    match tab {
        Tab::Exercises => || exercises().boxed_local(),
        Tab::Timeline => || timeline().boxed_local(),
        Tab::Wire => || wire().boxed_local(),
        Tab::Compare => || compare().boxed_local(),
        Tab::Mailbox => || mailbox().boxed_local(),
        Tab::Server => || server().boxed_local(),
        Tab::Reference => || reference().boxed_local(),
    }
}

/// The part drawing the what-if choices.
pub const WHAT_IF: Load = || what_if().boxed_local();

/// The part drawing the list of client sessions.
pub const SESSION_LIST: Load = || session_list().boxed_local();

/// The part drawing the real-server form.
pub const REAL_SERVER_FORM: Load = || real_server_form().boxed_local();

/// Fetches every part in the background, so that none waits for the network later.
pub fn prefetch() {
    leptos::task::spawn_local(async {
        // (One of each module is enough: the views are one part, and each mode is one.)
        let _ = preload_exercises().await;
        let _ = preload_session_list().await;
        let _ = preload_real_server_form().await;
    });
}

/// A part's view: "Loading" while it is downloaded, then the view; if the download fails, says so
/// with a button to try again. `name` says what is missing ("The Timeline view").
#[component]
pub fn Part(#[prop(into)] name: String, load: Load) -> impl IntoView {
    let loaded = RwSignal::new(None::<Result<Draw, Missing>>);
    let attempt = move || {
        loaded.set(None);
        leptos::task::spawn_local(async move { loaded.set(Some(load().await)) });
    };
    // After the frame that shows what is already here (the console first, at the page's start).
    request_animation_frame(move || set_timeout(attempt, std::time::Duration::ZERO));
    move || match loaded.get() {
        None => view! { <p class="part-loading" role="status">"Loading…"</p> }.into_any(),
        Some(Ok(draw)) => draw(),
        Some(Err(missing)) => view! {
            <div class="part-missing" role="alert">
                <p>{format!("{name} could not be downloaded: {missing}.")}</p>
                <p>"Your session is kept. The network may be down: check it, then try again. If the playground was updated since you opened this page, reload the page instead."</p>
                <button type="button" on:click=move |_| attempt()>"Try again"</button>
            </div>
        }
        .into_any(),
    }
}
