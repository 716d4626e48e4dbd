//! SMTP Playground, the page: a Leptos (CSR) app over `smtp-protocol`.
//!
//! [`lab`] and [`saved`] are plain Rust (tested natively); the components are named after what
//! the user sees: [`console::Console`], [`timeline::Timeline`], [`mailbox::Mailbox`],
//! [`settings::ServerSettings`], [`reference::Reference`].

pub mod completion;
pub mod course;
pub mod lab;
pub mod mock_feed;
pub mod remote;
pub mod saved;

#[cfg(target_arch = "wasm32")]
mod app;
#[cfg(target_arch = "wasm32")]
mod bridge_link;
#[cfg(target_arch = "wasm32")]
mod console;
#[cfg(target_arch = "wasm32")]
mod download;
#[cfg(target_arch = "wasm32")]
mod exercise_panel;
#[cfg(target_arch = "wasm32")]
mod mailbox;
#[cfg(target_arch = "wasm32")]
mod mock_link;
#[cfg(target_arch = "wasm32")]
mod reference;
#[cfg(target_arch = "wasm32")]
mod reply_note;
#[cfg(target_arch = "wasm32")]
mod session_list;
#[cfg(target_arch = "wasm32")]
mod settings;
#[cfg(target_arch = "wasm32")]
mod timeline;

/// Installs the panic banner and mounts the app.
#[cfg(target_arch = "wasm32")]
pub fn start() {
    std::panic::set_hook(Box::new(|info| {
        console_error_panic_hook::hook(info);
        show_crash(&info.to_string());
    }));
    leptos::mount::mount_to_body(app::App);
}

#[cfg(not(target_arch = "wasm32"))]
pub fn start() {
    eprintln!("smtp-playground runs in the browser: build it with `cargo xtask dist`.");
}

/// A panic kills the app: say so on the page, with the message and a reload button, using the
/// DOM directly because the framework may no longer run.
#[cfg(target_arch = "wasm32")]
fn show_crash(message: &str) {
    let Some(document) = web_sys::window().and_then(|w| w.document()) else { return };
    let Some(body) = document.body() else { return };
    let Ok(banner) = document.create_element("div") else { return };
    banner.set_class_name("crash");
    let _ = banner.set_attribute("role", "alert");
    let escaped = message.replace('&', "&amp;").replace('<', "&lt;");
    banner.set_inner_html(&format!(
        "<strong>The playground stopped because of an internal error.</strong> \
         Your session is saved; reloading usually recovers it. \
         <button type=\"button\" onclick=\"location.reload()\">Reload</button>\
         <details><summary>Error details</summary><pre>{escaped}</pre></details>"
    ));
    let _ = body.prepend_with_node_1(&banner);
}
