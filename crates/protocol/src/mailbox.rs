//! A message the simulated server accepted and keeps, as the Mailbox, the exports and the mock's
//! store hold it.

use crate::journey::Journey;
use crate::session::Envelope;
use crate::time::Timestamp;
use serde::{Deserialize, Serialize};

/// A message the server accepted, with the trace headers it prepended (RFC 5321 4.4).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoredMessage {
    pub queue_id: String,
    pub received_at: Timestamp,
    pub envelope: Envelope,
    pub client_name: Option<String>,
    pub client_ip: String,
    pub tls: bool,
    pub authenticated_as: Option<String>,
    /// `Return-Path:` and `Received:` followed by the content as received (unstuffed). In JSON,
    /// base64: 8-bit mail is not UTF-8.
    #[serde(with = "crate::base64_bytes")]
    pub raw: Vec<u8>,
    /// What happened after the 250, when the server simulates delivery.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub journey: Option<std::sync::Arc<Journey>>,
    /// For a delivery status notification: the queue id of the message it reports on.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub report_of: Option<String>,
}
