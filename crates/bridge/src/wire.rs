//! The relay protocol, shared with the page: see `smtp_protocol::relay`.

pub use smtp_protocol::relay::*;
