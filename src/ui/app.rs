//! The page: header with the mode switch, the console always in view, and the tabs beside it.
//! This module only composes; the state is [`Playground`], the parts are their own components.

use super::banner::Banner;
use super::console::Console;
use super::mode_switch::ModeSwitch;
use super::share::ShareButton;
use super::tabs::Tabs;
use crate::later::Missing;
use crate::model::branch::Branches;
use crate::model::course::CourseProgress;
use crate::model::saved::Lab;
use crate::model::simulated::{DEFAULT_PROFILE, SimulatedSession};
use crate::state::{Mode, Playground, Tab, now_ms};
use leptos::prelude::*;
use smtp_protocol::ServerConfig;
use wasm_split_helpers::wasm_split;

/// What the page opens with: the session, the exercises' progress, a message for the banner, and
/// whether this is a first visit (no session saved in this browser, no share link).
pub(crate) struct Opening {
    lab: Lab,
    course: CourseProgress,
    message: Option<String>,
    first_visit: bool,
}

fn fresh_lab() -> Lab {
    Lab { session: SimulatedSession::new(ServerConfig::new(DEFAULT_PROFILE), now_ms()), branches: Branches::default() }
}

/// A share link, or a session or progress saved in this browser, is read by a part of the page
/// downloaded only then; a first visit does without it. `Err` when that part could not be
/// downloaded: the saved session must then not be overwritten by a fresh one.
pub(crate) async fn opening() -> Result<Opening, Missing> {
    let hash = web_sys::window().and_then(|w| w.location().hash().ok()).unwrap_or_default();
    if crate::model::saved::is_share_fragment(&hash) || crate::model::saved::browser::exists() || crate::model::course::browser::exists() {
        return restore(hash).await;
    }
    Ok(Opening { lab: fresh_lab(), course: CourseProgress::default(), message: None, first_visit: true })
}

#[wasm_split(restore, fallible)]
fn restore(hash: String) -> Result<Opening, Missing> {
    let (lab, message, first_visit) = match crate::model::saved::from_fragment(&hash) {
        Some(Ok(lab)) => (lab, Some("Opened a shared session: its commands were replayed against the same server settings.".to_string()), false),
        Some(Err(why)) => (fresh_lab(), Some(format!("This share link could not be opened: {why}. A new session was started instead.")), false),
        None => match crate::model::saved::browser::load() {
            Ok(Some(lab)) => (lab, None, false),
            Ok(None) => (fresh_lab(), None, true),
            Err(message) => (fresh_lab(), Some(message), false),
        },
    };
    let (course, course_message) = match crate::model::course::browser::load() {
        Ok(course) => (course, None),
        Err(message) => (CourseProgress::default(), Some(message)),
    };
    Ok(Opening { lab, course, message: message.or(course_message), first_visit })
}

/// `?mode=mock` opens the page watching the live mock server (`cargo xtask serve --mock` prints
/// that link).
fn initial_mode() -> Mode {
    let search = web_sys::window().and_then(|w| w.location().search().ok()).unwrap_or_default();
    if search.trim_start_matches('?').split('&').any(|pair| pair == "mode=mock") { Mode::Mock } else { Mode::Simulated }
}

#[component]
pub(crate) fn App(opening: Opening) -> impl IntoView {
    let Opening { lab, course, message, first_visit } = opening;
    let started_course = course.active.is_some() || !course.states.is_empty();
    let playground = Playground::new(lab, initial_mode(), course, message);
    // A first visit starts where a student should: the exercises, the first one marked next.
    if first_visit && !started_course && playground.mode.get_untracked() == Mode::Simulated {
        playground.tab.set(Tab::Exercises);
    }
    provide_context(playground);
    if playground.mode.get_untracked() == Mode::Mock {
        playground.watch();
    }
    // What the mock server refused or dropped is said in the banner.
    Effect::new(move |_| {
        if let Some(notice) = playground.watched.with(|m| m.notice.clone()) {
            playground.banner.set(Some(notice));
            playground.watched.update_untracked(|m| m.notice = None);
        }
    });
    Effect::new(move |_| playground.course.with(crate::model::course::browser::save));

    // Keep the session across reloads.
    Effect::new(move |_| playground.simulated.with(|s| playground.branches.with(|b| crate::model::saved::browser::save(&s.log, b))));
    // A reply held by a delay rule comes when it is due, not at the next second's tick.
    Effect::new(move |_| {
        if let Some(until) = playground.simulated.with(|s| s.held_until()) {
            let wait = until.saturating_sub(now_ms()) + 5;
            set_timeout(
                move || {
                    playground.simulated.update(|s| {
                        s.tick(now_ms());
                    })
                },
                std::time::Duration::from_millis(wait),
            );
        }
    });
    // The idle timer of the profile really fires; `now` drives the countdown.
    let _ = set_interval_with_handle(
        move || {
            let now = now_ms();
            playground.now.set(now);
            let due = playground.simulated.with_untracked(|s| s.deadline().is_some_and(|d| now >= d));
            if due {
                playground.simulated.update(|s| {
                    s.tick(now);
                });
            }
        },
        std::time::Duration::from_secs(1),
    );

    // Once the console answers, the rest of the page comes down in the background.
    set_timeout(super::parts::prefetch, std::time::Duration::from_millis(1500));

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
