//! The components, named after what the user sees. They read [`crate::state::Playground`] from
//! context; none of them owns session state or matches on the mode to reach a session.

pub(crate) mod app;
mod banner;
mod compare;
mod console;
mod download;
mod exercise_panel;
mod fault_rules;
mod journey;
mod mailbox;
mod mode_switch;
mod parts;
mod real_server_form;
mod reference;
mod reply_note;
mod session_list;
mod settings;
mod share;
mod simulator_bar;
mod tabs;
mod timeline;
mod what_if;
mod wire;
