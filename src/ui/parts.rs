//! Each tab's view is a part of the page (see [`crate::later`]), downloaded when the tab is first
//! shown. Once the page is idle, every part is fetched in the background, so that a page opened
//! once keeps working without the network.

use crate::later::Missing;
use crate::state::Tab;
use leptos::prelude::*;
use wasm_split_helpers::wasm_split;

/// What a part gives back: the function that draws its view, called from here once loaded.
pub type Draw = fn() -> AnyView;

#[wasm_split(exercises, fallible, preload(preload_exercises))]
fn exercises() -> Result<Draw, Missing> {
    Ok(|| view! { <super::exercise_panel::ExercisePanel/> }.into_any())
}

#[wasm_split(timeline, fallible, preload(preload_timeline))]
fn timeline() -> Result<Draw, Missing> {
    Ok(|| view! { <super::timeline::Timeline/> }.into_any())
}

#[wasm_split(wire, fallible, preload(preload_wire))]
fn wire() -> Result<Draw, Missing> {
    Ok(|| view! { <super::wire::WireView/> }.into_any())
}

#[wasm_split(compare, fallible, preload(preload_compare))]
fn compare() -> Result<Draw, Missing> {
    Ok(|| view! { <super::compare::ProfileDiff/> }.into_any())
}

#[wasm_split(mailbox, fallible, preload(preload_mailbox))]
fn mailbox() -> Result<Draw, Missing> {
    Ok(|| view! { <super::mailbox::Mailbox/> }.into_any())
}

#[wasm_split(server, fallible, preload(preload_server))]
fn server() -> Result<Draw, Missing> {
    Ok(|| view! { <super::settings::ServerSettings/> }.into_any())
}

#[wasm_split(reference, fallible, preload(preload_reference))]
fn reference() -> Result<Draw, Missing> {
    Ok(|| view! { <super::reference::Reference/> }.into_any())
}

/// The view of `tab`, downloaded the first time it is shown.
async fn load(tab: Tab) -> Result<Draw, Missing> {
    match tab {
        Tab::Exercises => exercises().await,
        Tab::Timeline => timeline().await,
        Tab::Wire => wire().await,
        Tab::Compare => compare().await,
        Tab::Mailbox => mailbox().await,
        Tab::Server => server().await,
        Tab::Reference => reference().await,
    }
}

/// Fetches every part in the background, so that none waits for the network later.
pub fn prefetch() {
    leptos::task::spawn_local(async {
        let _ = preload_exercises().await;
        let _ = preload_timeline().await;
        let _ = preload_wire().await;
        let _ = preload_compare().await;
        let _ = preload_mailbox().await;
        let _ = preload_server().await;
        let _ = preload_reference().await;
    });
}

/// `tab`'s view: "Loading" while its part is downloaded, then the view; if the download fails,
/// says so with a button to try again.
#[component]
pub fn TabPart(tab: Tab) -> impl IntoView {
    let loaded = RwSignal::new(None::<Result<Draw, Missing>>);
    let attempt = move || {
        loaded.set(None);
        leptos::task::spawn_local(async move { loaded.set(Some(load(tab).await)) });
    };
    attempt();
    move || match loaded.get() {
        None => view! { <p class="part-loading" role="status">"Loading…"</p> }.into_any(),
        Some(Ok(draw)) => draw(),
        Some(Err(Missing)) => view! {
            <div class="part-missing" role="alert">
                <p>{format!("The {} view could not be downloaded: the page lost its connection to the server it came from.", tab.label())}</p>
                <p>"Your session is kept. Check the network, then try again."</p>
                <button type="button" on:click=move |_| attempt()>"Try again"</button>
            </div>
        }
        .into_any(),
    }
}
