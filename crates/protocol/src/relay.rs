//! The page-to-bridge relay protocol (data only; smtp-bridge does the I/O): JSON control messages
//! in text frames (versioned), SMTP bytes in
//! binary frames, passed through unchanged in both directions.

use crate::event::Closer;
use serde::{Deserialize, Serialize};

pub const VERSION: u32 = 1;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Security {
    /// Plain TCP (STARTTLS still works when the student sends it).
    Plain,
    /// Plain TCP, expecting STARTTLS (port 25, 587).
    Starttls,
    /// TLS from the first byte (port 465).
    Tls,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum FromPage {
    Connect {
        v: u32,
        host: String,
        port: u16,
        security: Security,
        #[serde(default)]
        token: Option<String>,
    },
    /// Close the SMTP connection.
    Close,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ErrorKind {
    Protocol,
    Origin,
    Token,
    NotAllowed,
    PrivateAddress,
    Dns,
    Refused,
    Timeout,
    Tls,
    Limit,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ToPage {
    Connected { v: u32, peer: String, resolved_from: String },
    Tls { protocol: String, cipher: String, subject: String, issuer: String, not_before: String, not_after: String, verified: bool, problem: Option<String> },
    Closed { by: Closer, reason: String },
    Error { kind: ErrorKind, message: String },
}
