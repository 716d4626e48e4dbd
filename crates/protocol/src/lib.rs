//! # smtp-protocol
//!
//! The sans-IO heart of SMTP Playground, shared by the browser app, `smtp-bridge` and the tests.
//!
//! - `framing` (private) cuts bytes into command lines, DATA content and BDAT chunks;
//! - [`command`] and [`address`] parse commands; [`reply`] writes and reads replies;
//! - [`Server`] is a simulated server: a state machine configured by a [`ServerConfig`]
//!   (a [`ProfileName`] for its wording, a [`ServerPolicy`] for its behaviour);
//! - [`explain`] explains every reply and command; [`expected`] says which replies a command may get;
//! - [`event`] is the session record the page's console, timeline and export are built from;
//! - [`message`] parses accepted mail for the mailbox view; [`dns`] is the MX lesson's zone;
//! - [`delivery`] is what happens after the 250: routing, remote answers, SPF/DKIM/DMARC, DSNs;
//! - [`relay`] and [`watch`] are the bridge's WebSocket protocols, as data.
//!
//! The contract, as in quinn-proto: deterministic, no networking, no clock (time comes in as a
//! [`Timestamp`]), no JS, no `unsafe`. The same inputs give the same outputs, in wasm and native.

#![forbid(unsafe_code)]

pub mod address;
mod base64_bytes;
pub mod command;
pub mod delivery;
pub mod dns;
pub mod event;
pub mod exercise;
pub mod expected;
pub mod explain;
pub mod fault;
#[cfg(feature = "internals")]
pub mod framing;
#[cfg(not(feature = "internals"))]
#[allow(unreachable_pub)]
mod framing;
pub mod journey;
pub mod mailbox;
pub mod message;
pub mod narration;
pub mod persona;
mod preset;
pub mod profile;
pub mod profile_file;
pub mod relay;
pub mod reply;
pub mod script;
pub mod server;
pub mod session;
pub mod situation;
pub mod time;
pub mod watch;
mod wording;

pub use event::{Event, Transcript};
pub use mailbox::StoredMessage;
pub use preset::ProfileName;
pub use profile::{ServerConfig, ServerPolicy};
pub use reply::{EnhancedCode, Reply, ReplyClass};
pub use server::{Peer, Server};
pub use situation::Situation;
pub use time::Timestamp;
