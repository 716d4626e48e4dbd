//! SMTP Playground, the page: a Leptos (CSR) app over `smtp-protocol`.
use leptos::prelude::*;

pub fn start() {
    console_error_panic_hook::set_once();
    leptos::mount::mount_to_body(App);
}

#[component]
pub fn App() -> impl IntoView {
    view! { <main><h1>"SMTP Playground"</h1></main> }
}
