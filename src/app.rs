//! The page: header with the mode switch, the console always in view, and the tabs beside it.
//! State lives in a few signals owned here ([`Playground`]) and shared through context.

use crate::console::Console;
use crate::exercise_panel::ExercisePanel;
use crate::lab::{Input, LabSession};
use crate::mailbox::Mailbox;
use crate::reference::Reference;
use crate::settings::ServerSettings;
use crate::timeline::Timeline;
use leptos::prelude::*;
use smtp_protocol::ServerConfig;

/// The tabs beside the console.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tab {
    Exercises,
    Timeline,
    Mailbox,
    Server,
    Reference,
}

impl Tab {
    const ALL: [Tab; 5] = [Tab::Exercises, Tab::Timeline, Tab::Mailbox, Tab::Server, Tab::Reference];
    fn label(self) -> &'static str {
        match self {
            Tab::Exercises => "Exercises",
            Tab::Timeline => "Timeline",
            Tab::Mailbox => "Mailbox",
            Tab::Server => "Server",
            Tab::Reference => "Reference",
        }
    }
    fn id(self) -> &'static str {
        match self {
            Tab::Exercises => "exercises",
            Tab::Timeline => "timeline",
            Tab::Mailbox => "mailbox",
            Tab::Server => "server",
            Tab::Reference => "reference",
        }
    }
}

/// What the console talks to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    Simulated,
    Real,
    /// Watching real mail clients' sessions with a live mock server (`smtp-bridge mock`).
    Mock,
}

/// The page's state: the lab session, what is selected, the open tab, a banner message.
#[derive(Clone, Copy)]
pub struct Playground {
    pub lab: RwSignal<LabSession>,
    pub mode: RwSignal<Mode>,
    /// The session with a real server through smtp-bridge.
    pub remote: RwSignal<crate::remote::RemoteSession>,
    /// What a live mock server's feed said.
    pub mock: RwSignal<crate::mock_feed::MockFeed>,
    /// The console entry selected in the transcript or the timeline.
    pub selected: RwSignal<Option<usize>>,
    pub tab: RwSignal<Tab>,
    pub banner: RwSignal<Option<String>>,
    /// Exercise progress (saved beside the session).
    pub course: RwSignal<crate::course::CourseProgress>,
    /// Wall-clock milliseconds, refreshed every second (idle countdown).
    pub now: RwSignal<u64>,
}

pub fn now_ms() -> u64 {
    js_sys::Date::now() as u64
}

impl Playground {
    /// Sends what the student typed to the simulator or, in real mode, through the bridge.
    pub fn send(&self, text: &str) {
        match self.mode.get_untracked() {
            Mode::Simulated => self.lab.update(|lab| lab.send(text, now_ms())),
            Mode::Real => {
                if crate::bridge_link::send(text) {
                    self.remote.update(|r| r.client_sent(text, now_ms()));
                } else {
                    self.banner.set(Some("Not connected to a real server: fill in host and port above the console and press Connect.".into()));
                }
            }
            Mode::Mock => self.banner.set(Some("This console only shows what real mail clients send to the mock server; to type commands yourself, switch to Simulated server.".into())),
        }
    }

    /// The console entries of the session the console shows (tracked).
    pub fn with_entries<R>(&self, f: impl FnOnce(&[std::sync::Arc<crate::lab::Entry>]) -> R) -> R {
        match self.mode.get() {
            Mode::Simulated => self.lab.with(|lab| f(&lab.entries)),
            Mode::Real => self.remote.with(|remote| f(&remote.entries)),
            Mode::Mock => self.mock.with(|mock| f(mock.entries())),
        }
    }
    /// Which session the console and timeline show: rows are keyed by entry number, so a view
    /// starts afresh when this changes (another mode, a reset, another watched client).
    pub fn scope(&self) -> (u8, u64) {
        match self.mode.get() {
            Mode::Simulated => (0, self.lab.with(|lab| match lab.log.first() {
                Some(Input::Start { at, .. }) => *at,
                _ => 0,
            })),
            Mode::Real => (1, 0),
            Mode::Mock => (2, self.mock.with(|m| m.shown().map(|s| s.id).unwrap_or(0))),
        }
    }
    /// The accepted mail the Mailbox shows (tracked).
    pub fn with_messages<R>(&self, f: impl FnOnce(&[smtp_protocol::StoredMessage]) -> R) -> R {
        match self.mode.get() {
            Mode::Mock => self.mock.with(|mock| f(&mock.messages)),
            _ => self.lab.with(|lab| f(lab.messages())),
        }
    }
    pub fn delete_message(&self, queue_id: &str) {
        match self.mode.get_untracked() {
            Mode::Mock => crate::mock_link::request(*self, &smtp_protocol::watch::FromWatcher::Delete { queue_id: queue_id.to_string() }),
            _ => self.lab.update(|lab| lab.delete_message(queue_id)),
        }
    }
    pub fn clear_messages(&self) {
        match self.mode.get_untracked() {
            Mode::Mock => crate::mock_link::request(*self, &smtp_protocol::watch::FromWatcher::DeleteAll),
            _ => self.lab.update(|lab| lab.clear_messages()),
        }
    }
    /// The configuration the Server tab shows and changes: the simulator's, or in mock mode the
    /// live mock server's (tracked).
    pub fn with_config<R>(&self, f: impl FnOnce(&ServerConfig) -> R) -> R {
        if self.mode.get() == Mode::Mock {
            // Until the feed's first frame, the mock profile's defaults.
            return self.mock.with(|mock| match &mock.config {
                Some(config) => f(config),
                None => f(&ServerConfig::new(smtp_protocol::ProfileName::Mock)),
            });
        }
        self.lab.with(|lab| f(lab.config()))
    }
    pub fn apply(&self, input: Input) {
        self.lab.update(|lab| lab.apply(input));
    }
    pub fn configure(&self, config: ServerConfig) {
        match self.mode.get_untracked() {
            Mode::Mock => crate::mock_link::request(*self, &smtp_protocol::watch::FromWatcher::Configure { v: smtp_protocol::watch::VERSION, config }),
            _ => self.apply(Input::Configure { config }),
        }
    }
    /// A fresh session with the current configuration (the mailbox starts empty).
    pub fn reset(&self) {
        let config = self.lab.with_untracked(|lab| lab.config().clone());
        self.lab.set(LabSession::new(config, now_ms()));
        self.selected.set(None);
    }
}

fn initial_session() -> (LabSession, Option<String>) {
    let fresh = || LabSession::new(ServerConfig::new(crate::lab::DEFAULT_PROFILE), now_ms());
    let hash = web_sys::window().and_then(|w| w.location().hash().ok()).unwrap_or_default();
    if let Some(shared) = crate::saved::from_fragment(&hash) {
        return match shared {
            Ok(lab) => (lab, Some("Opened a shared session: its commands were replayed against the same server settings.".into())),
            Err(why) => (fresh(), Some(format!("This share link could not be opened: {why}. A new session was started instead."))),
        };
    }
    match crate::saved::browser::load() {
        Ok(Some(lab)) => (lab, None),
        Ok(None) => (fresh(), None),
        Err(message) => (fresh(), Some(message)),
    }
}

/// `?mode=mock` opens the page watching the live mock server (`cargo xtask serve --mock` prints
/// that link).
fn initial_mode() -> Mode {
    let search = web_sys::window().and_then(|w| w.location().search().ok()).unwrap_or_default();
    if search.trim_start_matches('?').split('&').any(|pair| pair == "mode=mock") { Mode::Mock } else { Mode::Simulated }
}

#[component]
pub fn App() -> impl IntoView {
    let (lab, message) = initial_session();
    let (course, course_message) = match crate::course::browser::load() {
        Ok(course) => (course, None),
        Err(message) => (Default::default(), Some(message)),
    };
    let playground = Playground {
        lab: RwSignal::new(lab),
        mode: RwSignal::new(initial_mode()),
        remote: RwSignal::new(Default::default()),
        mock: RwSignal::new(Default::default()),
        selected: RwSignal::new(None),
        tab: RwSignal::new(Tab::Timeline),
        banner: RwSignal::new(message.or(course_message)),
        course: RwSignal::new(course),
        now: RwSignal::new(now_ms()),
    };
    provide_context(playground);
    if playground.mode.get_untracked() == Mode::Mock {
        crate::mock_link::connect(playground);
    }
    // What the mock server refused or dropped is said in the banner.
    Effect::new(move |_| {
        if let Some(notice) = playground.mock.with(|m| m.notice.clone()) {
            playground.banner.set(Some(notice));
            playground.mock.update_untracked(|m| m.notice = None);
        }
    });
    Effect::new(move |_| playground.course.with(crate::course::browser::save));

    // Keep the session across reloads.
    Effect::new(move |_| playground.lab.with(|lab| crate::saved::browser::save(&lab.log)));
    // The idle timer of the profile really fires; `now` drives the countdown.
    let _ = set_interval_with_handle(
        move || {
            let now = now_ms();
            playground.now.set(now);
            let due = playground.lab.with_untracked(|lab| lab.deadline().is_some_and(|d| now >= d));
            if due {
                playground.lab.update(|lab| {
                    lab.tick(now);
                });
            }
        },
        std::time::Duration::from_secs(1),
    );

    view! {
        <header class="topbar">
            <h1>"SMTP Playground"</h1>
            <ModeSwitch/>
            <ShareButton/>
        </header>
        <Banner/>
        <main class="workspace">
            <Console/>
            <Tabs/>
        </main>
    }
}

#[component]
fn Banner() -> impl IntoView {
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

/// What the console talks to: the simulator, a real server through the bridge, or the real
/// clients of a live mock server.
#[component]
fn ModeSwitch() -> impl IntoView {
    let pg = expect_context::<Playground>();
    let choose = move |mode: Mode| {
        if mode != Mode::Real {
            crate::bridge_link::disconnect();
        }
        if mode == Mode::Mock {
            crate::mock_link::connect(pg);
        } else {
            crate::mock_link::disconnect();
        }
        pg.mode.set(mode);
        pg.selected.set(None);
    };
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

#[component]
fn ShareButton() -> impl IntoView {
    let pg = expect_context::<Playground>();
    let link = RwSignal::new(String::new());
    let share = move |_| {
        if pg.mode.get_untracked() != Mode::Simulated {
            // A link replays inputs against the simulator; a real server's session cannot be.
            pg.banner.set(Some("Share links replay a simulated session. To keep this session, export it from the Timeline tab (text, JSON or SVG).".into()));
            return;
        }
        let fragment = pg.lab.with_untracked(|lab| crate::saved::share_fragment(&lab.log));
        let Some(window) = web_sys::window() else { return };
        let location = window.location();
        let base = format!("{}{}", location.origin().unwrap_or_default(), location.pathname().unwrap_or_default());
        let url = format!("{base}{fragment}");
        let _ = window.navigator().clipboard().write_text(&url);
        link.set(url);
    };
    view! {
        <div class="share">
            <button type="button" on:click=share>"Share session"</button>
            <Show when=move || !link.with(String::is_empty)>
                <label class="share-link">
                    "Link (copied): "
                    <input type="text" readonly=true aria-label="Share link" prop:value=move || link.get()/>
                </label>
            </Show>
        </div>
    }
}

#[component]
fn Tabs() -> impl IntoView {
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
    let profile = Memo::new(move |_| pg.lab.with(|lab| lab.config().profile));
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
                                on:click=move |_| pg.tab.set(tab)
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
                            {match tab {
                                Tab::Exercises => view! { <ExercisePanel/> }.into_any(),
                                Tab::Timeline => view! { <Timeline/> }.into_any(),
                                Tab::Mailbox => view! { <Mailbox/> }.into_any(),
                                Tab::Server => view! { <ServerSettings/> }.into_any(),
                                Tab::Reference => view! { <Reference/> }.into_any(),
                            }}
                        </div>
                    }
                })
                .collect_view()}
            <p class="profile-line">
                {move || match pg.mode.get() {
                    Mode::Simulated => format!("Server: {} (simulated)", profile.get().title()),
                    Mode::Real => "Server: a real SMTP server, through smtp-bridge".to_string(),
                    Mode::Mock => pg.mock.with(|m| match &m.config {
                        Some(config) => format!("Server: live mock server at {} for real mail clients · profile: {}", m.smtp, config.profile.title()),
                        None => "Server: live mock server (not connected)".to_string(),
                    }),
                }}
            </p>
        </section>
    }
}
