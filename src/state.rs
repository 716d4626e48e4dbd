//! The page's state: a few signals owned by [`Playground`], shared through context. It sits
//! below the components (which read it) and above the model and the links (which it drives):
//! the one place that chooses, by [`Mode`], which source the console shows and where an action
//! goes. Components never match on the mode to reach a session.

use crate::later::Missing;
use crate::links::bridge::{self, BridgeEvent};
use crate::links::watch::{self, WatchEvent};
use crate::model::branch::Branches;
use crate::model::class_view::ClassView;
use crate::model::console::ConsoleLog;
use crate::model::course::{CourseProgress, ExerciseFile, exercises, teacher_exercises};
use crate::model::real::RealSession;
use crate::model::saved::Lab;
use crate::model::simulated::{Input, SimulatedSession};
use crate::model::source::{Connection, Source};
use crate::model::watched::{FeedLink, WatchedServer};
use leptos::prelude::*;
use smtp_protocol::relay::{FromPage, Security, VERSION};
use smtp_protocol::watch::{Access, FromWatcher};
use wasm_split_helpers::wasm_split;

/// Where the admin token is kept for the tab (sessionStorage: gone when the tab closes).
const ADMIN_TOKEN_KEY: &str = "smtp-playground/admin-token";
use smtp_protocol::exercise::{Exercise, ExerciseError};
use smtp_protocol::{ProfileName, ServerConfig, StoredMessage};

/// The tabs beside the console.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Tab {
    Exercises,
    Timeline,
    Wire,
    Compare,
    Mailbox,
    Server,
    Reference,
}

impl Tab {
    pub(crate) const ALL: [Tab; 7] = [Tab::Exercises, Tab::Timeline, Tab::Wire, Tab::Compare, Tab::Mailbox, Tab::Server, Tab::Reference];
    pub(crate) fn label(self) -> &'static str {
        match self {
            Tab::Exercises => "Exercises",
            Tab::Timeline => "Timeline",
            Tab::Wire => "Wire",
            Tab::Compare => "Compare",
            Tab::Mailbox => "Mailbox",
            Tab::Server => "Server",
            Tab::Reference => "Reference",
        }
    }
    pub(crate) fn id(self) -> &'static str {
        match self {
            Tab::Exercises => "exercises",
            Tab::Timeline => "timeline",
            Tab::Wire => "wire",
            Tab::Compare => "compare",
            Tab::Mailbox => "mailbox",
            Tab::Server => "server",
            Tab::Reference => "reference",
        }
    }
}

/// What the console talks to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum Mode {
    Simulated,
    /// A real server, through smtp-bridge.
    Real,
    /// Watching real mail clients' sessions with a live mock server (`smtp-bridge mock`).
    Mock,
}

#[derive(Clone, Copy)]
pub(crate) struct Playground {
    /// The simulated session on show: the original, or the what-if branch chosen.
    pub simulated: RwSignal<SimulatedSession>,
    /// The original session and its what-if branches (the one on show is in `simulated`).
    pub branches: RwSignal<Branches>,
    /// The reply (its position among the session's replies) a what-if is being picked for.
    pub what_if: RwSignal<Option<usize>>,
    pub real: RwSignal<RealSession>,
    pub watched: RwSignal<WatchedServer>,
    pub mode: RwSignal<Mode>,
    /// The console entry selected in the transcript or the timeline.
    pub selected: RwSignal<Option<usize>>,
    pub tab: RwSignal<Tab>,
    pub banner: RwSignal<Option<String>>,
    /// Exercise progress (saved beside the session).
    pub course: RwSignal<CourseProgress>,
    /// Wall-clock milliseconds, refreshed every second (idle countdown).
    pub now: RwSignal<u64>,
    /// A teacher's exercises, loaded at run time from the bridge (`--exercises DIR`).
    pub teacher_exercises: RwSignal<Vec<Result<Exercise, ExerciseError>>>,
    /// In mock mode: the session list's filter and grouping, and what the Mailbox shows.
    pub class_view: RwSignal<ClassView>,
}

pub(crate) fn now_ms() -> u64 {
    js_sys::Date::now() as u64
}

impl Playground {
    pub(crate) fn new(lab: Lab, mode: Mode, course: CourseProgress, banner: Option<String>) -> Self {
        Playground {
            simulated: RwSignal::new(lab.session),
            branches: RwSignal::new(lab.branches),
            what_if: RwSignal::new(None),
            real: RwSignal::new(RealSession::default()),
            watched: RwSignal::new(WatchedServer::default()),
            mode: RwSignal::new(mode),
            selected: RwSignal::new(None),
            tab: RwSignal::new(Tab::Timeline),
            banner: RwSignal::new(banner),
            course: RwSignal::new(course),
            now: RwSignal::new(now_ms()),
            teacher_exercises: RwSignal::new(Vec::new()),
            class_view: RwSignal::new(ClassView::default()),
        }
    }

    /// The built-in exercises, then the teacher's (tracked).
    pub(crate) fn all_exercises(&self) -> Vec<Result<Exercise, ExerciseError>> {
        let mut all = exercises().to_vec();
        self.teacher_exercises.with(|teacher| all.extend(teacher.iter().cloned()));
        all
    }

    /// Asks the page's server for a teacher's exercises; a server without any (a static server,
    /// a bridge without --exercises) answers 404 and nothing changes.
    pub(crate) fn load_teacher_exercises(&self) {
        let pg = *self;
        leptos::task::spawn_local(async move {
            let Ok(response) = gloo_net::http::Request::get("exercises/index.json").send().await else { return };
            if !response.ok() {
                return;
            }
            match response.json::<Vec<ExerciseFile>>().await {
                Ok(files) => pg.teacher_exercises.set(teacher_exercises(&files)),
                Err(err) => pg.banner.set(Some(format!("The teacher's exercises could not be read ({err}); the built-in ones are all here."))),
            }
        });
    }

    /// The session the console shows, whatever the mode (tracked): the one place that chooses.
    pub(crate) fn with_source<R>(&self, f: impl FnOnce(&dyn Source) -> R) -> R {
        match self.mode.get() {
            Mode::Simulated => self.simulated.with(|s| f(s)),
            Mode::Real => self.real.with(|r| f(r)),
            Mode::Mock => self.watched.with(|w| f(w)),
        }
    }

    /// The console of the session shown (tracked): every view of the session reads it here.
    pub(crate) fn with_console<R>(&self, f: impl FnOnce(&ConsoleLog) -> R) -> R {
        self.with_source(|source| f(source.console()))
    }

    /// Which session the console and timeline show: rows are keyed by it, so a view starts
    /// afresh when it changes (another mode, a reset, another watched client).
    pub(crate) fn scope(&self) -> (Mode, u64, usize) {
        let branch = if self.mode.get() == Mode::Simulated { self.branches.with(|b| b.active) } else { 0 };
        (self.mode.get(), self.with_source(|source| source.session_id()), branch)
    }

    /// The connection the console bar shows (tracked).
    pub(crate) fn connection(&self) -> Connection {
        self.with_source(|source| source.connection())
    }

    /// "Server: …": what the console talks to, in a line (tracked).
    pub(crate) fn server_line(&self) -> String {
        self.with_source(|source| source.server_line())
    }

    /// Whether the student's lines are message content now (tracked).
    pub(crate) fn in_data(&self) -> bool {
        self.with_source(|source| source.in_data())
    }

    /// Sends what the student typed to the simulator or through the bridge; false (and the
    /// banner says why) when nothing was sent.
    pub(crate) fn send(&self, text: &str) -> bool {
        let refusal = match self.mode.get_untracked() {
            Mode::Simulated if self.simulated.with_untracked(SimulatedSession::is_closed) => {
                "Not connected: this connection is closed. Press Connect to open a new one; your line is still in the box."
            }
            Mode::Simulated => {
                self.simulated.update(|s| s.send(text, now_ms()));
                return true;
            }
            Mode::Real if bridge::send(text) => {
                self.real.update(|r| r.client_sent(text, now_ms()));
                return true;
            }
            Mode::Real => "Not connected to a real server: fill in host and port above the console and press Connect; your line is still in the box.",
            Mode::Mock => "This console only shows what real mail clients send to the mock server; to type commands yourself, switch to Simulated server.",
        };
        self.banner.set(Some(refusal.into()));
        false
    }

    /// Where the swaks and curl exports send by default, and what that server is (untracked).
    pub(crate) fn export_destination(&self) -> crate::model::export::Destination {
        use crate::model::export::Destination;
        let mock = || Destination {
            server: "127.0.0.1:2525".into(),
            about: "The simulator is not on the network: by default this sends to a mock server on this machine (cargo xtask serve --mock, port 2525).".into(),
        };
        match self.mode.get_untracked() {
            Mode::Simulated => mock(),
            Mode::Real => {
                self.real.with_untracked(|r| r.target.clone()).map_or_else(mock, |server| Destination { server, about: "The real server this session talked to.".into() })
            }
            Mode::Mock => Destination { server: self.watched.with_untracked(|w| w.reachable_smtp()), about: "The mock server that captured this session.".into() },
        }
    }

    /// The accepted mail the Mailbox shows (tracked).
    pub(crate) fn with_messages<R>(&self, f: impl FnOnce(&[StoredMessage]) -> R) -> R {
        match self.mode.get() {
            Mode::Mock => self.watched.with(|w| self.class_view.with(|v| f(&v.mailbox(w)))),
            _ => self.simulated.with(|s| f(s.messages())),
        }
    }

    pub(crate) fn delete_message(&self, queue_id: &str) {
        match self.mode.get_untracked() {
            Mode::Mock => self.request(&FromWatcher::Delete { queue_id: queue_id.to_string() }),
            _ => self.simulated.update(|s| s.delete_message(queue_id)),
        }
    }

    pub(crate) fn clear_messages(&self) {
        match self.mode.get_untracked() {
            Mode::Mock => self.request(&FromWatcher::DeleteAll),
            _ => self.simulated.update(|s| s.clear_messages()),
        }
    }

    /// The configuration the Server tab shows and changes: the simulator's, or in mock mode the
    /// live mock server's (tracked).
    pub(crate) fn with_config<R>(&self, f: impl FnOnce(&ServerConfig) -> R) -> R {
        if self.mode.get() == Mode::Mock {
            // Until the feed's first frame, the mock profile's defaults.
            return self.watched.with(|w| match &w.config {
                Some(config) => f(config),
                None => f(&ServerConfig::new(ProfileName::Mock)),
            });
        }
        self.simulated.with(|s| f(s.config()))
    }

    pub(crate) fn configure(&self, config: ServerConfig) {
        match self.mode.get_untracked() {
            Mode::Mock => self.request(&FromWatcher::Configure { v: smtp_protocol::watch::VERSION, config: Box::new(config) }),
            _ => self.apply(Input::Configure { config }),
        }
    }

    /// Why the mail and settings shown cannot be changed from this page, and whether an admin
    /// token would unlock them (tracked): `None` in the simulator and on a writable mock server.
    pub(crate) fn read_only(&self) -> Option<(String, bool)> {
        if self.mode.get() != Mode::Mock {
            return None;
        }
        self.watched.with(|w| match &w.access {
            Access::ReadWrite => None,
            Access::ReadOnly { reason, unlockable } => Some((reason.clone(), *unlockable)),
        })
    }

    /// Presents the teacher's admin token to the mock server (kept for this tab, and presented
    /// again when the feed reconnects).
    pub(crate) fn unlock(&self, token: String) {
        if let Some(storage) = web_sys::window().and_then(|w| w.session_storage().ok().flatten()) {
            let _ = storage.set_item(ADMIN_TOKEN_KEY, &token);
        }
        self.request(&FromWatcher::Unlock { token });
    }

    /// An input to the simulated session (connect, disconnect, configure).
    pub(crate) fn apply(&self, input: Input) {
        self.simulated.update(|s| s.apply(input));
    }

    /// A fresh simulated session with the current configuration (the mailbox starts empty);
    /// what-if branches go with the session they branched from.
    pub(crate) fn reset(&self) {
        let mut config = self.simulated.with_untracked(|s| s.config().clone());
        // A branch's what-if choices belong to it, not to the server.
        config.policy.faults.retain(|rule| !rule.what_if);
        self.simulated.set(SimulatedSession::new(config, now_ms()));
        self.branches.set(Branches::default());
        self.selected.set(None);
    }

    /// Opens a what-if branch at the `ordinal`th reply (0-based) of the session on show,
    /// answered `reply`, and shows it. A real server's or a watched client's session is first
    /// replayed against the simulator (the mock's own settings, or the simulator's profile),
    /// and that replay joins the branches beside the student's own session. `Err` says why
    /// not, and nothing changes.
    pub(crate) fn open_branch(&self, ordinal: usize, reply: &smtp_protocol::Reply) -> Result<(), String> {
        use crate::model::branch::{Branch, branch_at, log_from_events, reply_index};
        if self.branches.with_untracked(|b| b.list.len()) >= 63 {
            return Err("At most 64 branches: reset the session to start again.".into());
        }
        let mode = self.mode.get_untracked();
        if mode == Mode::Simulated {
            let (branch, label) = self.simulated.with_untracked(|s| {
                let index = reply_index(&s.console.events, ordinal).ok_or("That reply is no longer in the session.")?;
                branch_at(s, index, reply)
            })?;
            let parent = self.branches.with_untracked(|b| b.active);
            self.branches.update(|b| b.list.push(Branch { parent: Some(parent), label, session: Some(branch) }));
        } else {
            let (config, root_label) = match mode {
                Mode::Mock => {
                    let config = self.watched.with_untracked(|w| w.config.clone()).ok_or("The mock server's settings have not arrived yet.")?;
                    let id = self.watched.with_untracked(|w| w.shown().map(|s| s.id)).unwrap_or_default();
                    (config, format!("Mock session {id}, replayed with the mock's settings"))
                }
                _ => {
                    let config = self.simulated.with_untracked(|s| s.config().clone());
                    let label = format!("Real session, replayed on the simulated {}", config.profile.title());
                    (config, label)
                }
            };
            let log = untrack(|| self.with_console(|c| log_from_events(&c.events, config)))?;
            let replay = SimulatedSession::replay(&log).ok_or("The session could not be replayed.")?;
            let index =
                reply_index(&replay.console.events, ordinal).ok_or("The simulator's replay of this session ends before that reply: its server answered differently earlier.")?;
            let (branch, label) = branch_at(&replay, index, reply)?;
            self.branches.update(|b| {
                b.list.push(Branch { parent: None, label: root_label, session: Some(replay) });
                let root = b.list.len() - 1;
                b.list.push(Branch { parent: Some(root), label, session: Some(branch) });
            });
            self.choose_mode(Mode::Simulated);
        }
        let newest = self.branches.with_untracked(|b| b.list.len() - 1);
        self.show_branch(newest);
        Ok(())
    }

    /// Shows (and types into) branch `i`; the one shown before is kept as it was.
    pub(crate) fn show_branch(&self, i: usize) {
        let current = self.branches.with_untracked(|b| b.active);
        if i == current || self.branches.with_untracked(|b| b.list.get(i).is_none_or(|x| x.session.is_none())) {
            return;
        }
        self.branches.update(|b| {
            let Some(incoming) = b.list[i].session.take() else { return };
            let outgoing = self.simulated.try_update_untracked(|s| std::mem::replace(s, incoming));
            b.list[current].session = outgoing;
            b.active = i;
        });
        self.simulated.notify();
        self.selected.set(None);
    }

    /// Switches what the console talks to, opening or closing the links that mode needs.
    pub(crate) fn choose_mode(&self, mode: Mode) {
        if mode != Mode::Real {
            bridge::disconnect();
        }
        if mode == Mode::Mock {
            self.watch();
        } else {
            watch::disconnect();
        }
        self.mode.set(mode);
        self.selected.set(None);
    }

    /// Opens a session with a real server through the bridge (closing the current one).
    pub(crate) fn connect_real(&self, host: String, port: u16, security: Security, token: Option<String>) {
        self.real.update(|r| r.connecting(&host, port, security, now_ms()));
        let pg = *self;
        leptos::task::spawn_local(async move {
            if let Err(missing) = open_bridge(pg, host, port, security, token).await {
                pg.real.update(|r| r.link_lost(now_ms()));
                pg.banner.set(Some(format!("Could not connect: {missing}. Check the network and connect again.")));
            }
        });
    }

    pub(crate) fn disconnect_real(&self) {
        bridge::disconnect();
    }

    /// A fresh real-server console (an exercise that needs the bridge starts one).
    pub(crate) fn reset_real(&self) {
        bridge::disconnect();
        self.real.set(RealSession::default());
    }

    /// Watches the live mock server's feed; a lost feed is tried again while in mock mode.
    pub(crate) fn watch(&self) {
        let pg = *self;
        leptos::task::spawn_local(async move {
            if let Err(missing) = open_feed(pg).await {
                pg.watched.update(|w| w.link = FeedLink::Down(format!("Not watching the mock server: {missing}. Reload the page once the network is back.")));
            }
        });
    }

    /// Sends a request to the mock server; says so on the page when the feed is not open.
    fn request(&self, request: &FromWatcher) {
        if !watch::request(request) {
            self.banner.set(Some("Not connected to the mock server's feed, so nothing was changed there. Wait for it to reconnect, or reload the page.".into()));
        }
    }
}

/// Mock mode's link and the reading of its feed: a part of the page (see [`crate::later`]).
#[wasm_split(mock_mode, fallible)]
fn open_feed(pg: Playground) -> Result<(), Missing> {
    const RETRY_SECS: u64 = 3;
    const HOW_TO_START: &str = "Start it with `cargo xtask serve --mock` (or `smtp-bridge mock --smtp 127.0.0.1:2525 --dir dist`) and open the page it serves.";
    let page_host = web_sys::window().and_then(|w| w.location().hostname().ok()).unwrap_or_default();
    pg.watched.update(|w| {
        w.page_host = page_host;
        w.connecting();
    });
    let token = web_sys::window().and_then(|w| w.session_storage().ok().flatten()).and_then(|s| s.get_item(ADMIN_TOKEN_KEY).ok().flatten());
    watch::connect(move |event| match event {
        WatchEvent::Frames(batch) => pg.watched.update(|w| batch.iter().for_each(|text| w.receive_text(text))),
        WatchEvent::Unreachable { url } => {
            pg.watched.update(|w| w.link = FeedLink::Down(format!("This page is not served by a live mock server (nothing answers at {url}). {HOW_TO_START}")))
        }
        WatchEvent::Lost => {
            pg.watched.update(|w| w.link = FeedLink::Down(format!("Lost the mock server's feed; trying again in {RETRY_SECS} s.")));
            set_timeout(
                move || {
                    if pg.mode.get_untracked() == Mode::Mock && !watch::is_open() {
                        pg.watch();
                    }
                },
                std::time::Duration::from_secs(RETRY_SECS),
            );
        }
    });
    // A token given earlier in this tab: present it before anything else is asked.
    if let Some(token) = token {
        watch::request(&FromWatcher::Unlock { token });
    }
    Ok(())
}

/// Real-server mode's link to the bridge: a part of the page (see [`crate::later`]).
#[wasm_split(real_mode, fallible)]
fn open_bridge(pg: Playground, host: String, port: u16, security: Security, token: Option<String>) -> Result<(), Missing> {
    bridge::connect(FromPage::Connect { v: VERSION, host, port, security, token }, move |event| match event {
        BridgeEvent::Control(message) => pg.real.update(|r| r.control(message, now_ms())),
        BridgeEvent::Bytes(bytes) => pg.real.update(|r| r.server_bytes(&bytes, now_ms())),
        BridgeEvent::Unreachable { url } => pg.real.update(|r| r.unreachable(&url, now_ms())),
        BridgeEvent::Garbled => pg.banner.set(Some("The bridge sent a message this page does not understand: reload the page, or update smtp-bridge.".into())),
        BridgeEvent::Ended => pg.real.update(|r| r.link_lost(now_ms())),
    });
    Ok(())
}
