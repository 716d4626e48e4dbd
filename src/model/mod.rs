//! The page's model: plain Rust, no DOM, tested natively.
//!
//! [`console::ConsoleLog`] is the one console model; three sources feed it the same
//! [`smtp_protocol::Event`]s: [`simulated::SimulatedSession`] (the sans-IO server in the page),
//! [`real::RealSession`] (a real server through smtp-bridge, its state followed from the replies)
//! and [`watched::WatchedServer`] (a live mock server's clients). Entries, timeline rows, the
//! text, JSON, swaks, curl and Mermaid exports are written once, in [`console`], [`entry`],
//! [`timeline`] and [`export`]; the
//! page reads whichever source is shown through [`source::Source`].

pub mod branch;
pub mod class_view;
pub mod completion;
pub mod console;
pub mod course;
pub mod entry;
pub mod export;
pub mod mime;
pub mod profile_diff;
pub mod profile_file;
pub mod real;
pub mod saved;
pub mod simulated;
pub mod source;
pub mod timeline;
pub mod watched;
pub mod wire;
