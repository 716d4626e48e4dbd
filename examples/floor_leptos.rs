//! The page-size floor of the framework: Leptos (CSR) with a console-like input, a keyed list and
//! a conditional, and nothing of SMTP. `cargo xtask bench` builds it for wasm32 exactly as the
//! page is built and prints its gzip size beside the page's (see `floor_simulator.rs`).
use leptos::prelude::*;

#[component]
fn Floor() -> impl IntoView {
    let (lines, set_lines) = signal(Vec::<String>::new());
    let (text, set_text) = signal(String::new());
    view! {
        <main>
            <label>"Command " <input on:input=move |ev| set_text.set(event_target_value(&ev)) prop:value=text/></label>
            <button on:click=move |_| set_lines.update(|l| l.push(text.get_untracked()))>"Send"</button>
            <ol>
                <For each={move || lines.get().into_iter().enumerate()} key={|(i, _)| *i} let:line>
                    <li>{line.1}</li>
                </For>
            </ol>
            <Show when={move || lines.get().len() > 2}>"many"</Show>
        </main>
    }
}

fn main() {
    console_error_panic_hook::set_once();
    leptos::mount::mount_to_body(Floor)
}
