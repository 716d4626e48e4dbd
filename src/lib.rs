//! SMTP Playground, the page: a Leptos (CSR) app over `smtp-protocol`.
//!
//! Layered, each layer using only those below it: [`model`] (plain Rust, tested natively: the
//! one console model and its three sources), `links` (the WebSockets to smtp-bridge, on
//! gloo-net), `state` (the signals, and the one place that chooses a source by mode), `ui` (the
//! components, named after what the user sees; `ui::app` only composes them).

pub mod model;

#[cfg(target_arch = "wasm32")]
mod later;
#[cfg(target_arch = "wasm32")]
mod links;
#[cfg(target_arch = "wasm32")]
mod state;
#[cfg(target_arch = "wasm32")]
// Leptos' #[component] writes each component's props builder as `pub`, whatever the function's
// own visibility: the lint would flag every component.
#[allow(unreachable_pub)]
mod ui;

/// Installs the panic banner and mounts the app.
#[cfg(target_arch = "wasm32")]
pub fn start() {
    std::panic::set_hook(Box::new(|info| {
        console_error_panic_hook::hook(info);
        show_stop("The playground stopped because of an internal error.", &info.to_string());
    }));
    wasm_bindgen_futures::spawn_local(async {
        match ui::app::opening().await {
            Ok(opening) => leptos::mount::mount_to_body(move || leptos::view! { <ui::app::App opening/> }),
            Err(missing) => show_stop("The page could not finish loading.", &format!("The part that reads your saved session: {missing}.")),
        }
    });
}

#[cfg(not(target_arch = "wasm32"))]
pub fn start() {
    eprintln!("smtp-playground runs in the browser: build it with `cargo xtask dist`.");
}

/// A panic kills the app, and a page whose saved session could not be read cannot start: say so
/// on the page, with the details and a reload button, using the DOM directly because the framework
/// may not run.
#[cfg(target_arch = "wasm32")]
fn show_stop(headline: &str, message: &str) {
    let Some(document) = web_sys::window().and_then(|w| w.document()) else { return };
    let Some(body) = document.body() else { return };
    let Ok(banner) = document.create_element("div") else { return };
    banner.set_class_name("crash");
    let _ = banner.set_attribute("role", "alert");
    let escaped = message.replace('&', "&amp;").replace('<', "&lt;");
    banner.set_inner_html(&format!(
        "<strong>{headline}</strong> \
         Your session is saved; reloading usually recovers it. \
         <button type=\"button\" onclick=\"location.reload()\">Reload</button>\
         <details><summary>Error details</summary><pre>{escaped}</pre></details>"
    ));
    let _ = body.prepend_with_node_1(&banner);
}
