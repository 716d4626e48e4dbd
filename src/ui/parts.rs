//! The views that are parts of the page (see [`crate::later`]): the tabs' views and the what-if
//! choices are one part, downloaded when the first is shown (few large downloads are faster than
//! many small ones: a browser fetches six at a time from one server); the mock mode's session
//! list and the real-server form come with their mode's part. Once the page is idle, every part
//! is fetched in the background, so that a page opened once keeps working without the network.

use super::compare::ProfileDiff;
use super::exercise_panel::ExercisePanel;
use super::mailbox::Mailbox;
use super::real_server_form::RealServerForm;
use super::reference::Reference;
use super::session_list::SessionList;
use super::settings::ServerSettings;
use super::timeline::Timeline;
use super::what_if::Branching;
use super::wire::WireView;
use crate::later::Missing;
use crate::state::Tab;
use futures::FutureExt;
use futures::future::LocalBoxFuture;
use leptos::prelude::*;
use wasm_split_helpers::wasm_split;

/// What a part gives back: the function that draws its view, called from here once loaded.
pub(super) type Draw = fn() -> AnyView;

/// Downloads a part (the first time) and gives the function that draws it.
pub(super) type Load = fn() -> LocalBoxFuture<'static, Result<Draw, Missing>>;

/// A split function in `$module`'s part, giving the function that draws `$view` (with a named
/// preload where `prefetch` asks for that part).
macro_rules! part {
    ($name:ident in $module:ident draws $view:ident $(, preload $preload:ident)?) => {
        #[wasm_split($module, fallible $(, preload($preload))?)]
        fn $name() -> Result<Draw, Missing> {
            Ok(|| view! { <$view/> }.into_any())
        }
    };
}

part!(exercises in views draws ExercisePanel, preload preload_exercises);
part!(timeline in views draws Timeline);
part!(wire in views draws WireView);
part!(compare in views draws ProfileDiff);
part!(mailbox in views draws Mailbox);
part!(server in views draws ServerSettings);
part!(reference in views draws Reference);
part!(what_if in views draws Branching);
part!(session_list in mock_mode draws SessionList, preload preload_session_list);
part!(real_server_form in real_mode draws RealServerForm, preload preload_real_server_form);

/// The part drawing `tab`'s view.
pub(super) fn tab(tab: Tab) -> Load {
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
pub(super) const WHAT_IF: Load = || what_if().boxed_local();

/// The part drawing the list of client sessions.
pub(super) const SESSION_LIST: Load = || session_list().boxed_local();

/// The part drawing the real-server form.
pub(super) const REAL_SERVER_FORM: Load = || real_server_form().boxed_local();

/// Fetches every part in the background, so that none waits for the network later.
pub(super) fn prefetch() {
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
pub(super) fn Part(#[prop(into)] name: String, load: Load) -> impl IntoView {
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
