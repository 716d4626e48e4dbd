//! The state of one SMTP session as the server sees it: phase, TLS, authentication, envelope.

use crate::address::Path;
use crate::command::{MailParams, RcptParams};
use compact_str::CompactString;
use serde::{Deserialize, Serialize};

/// Where the session stands (RFC 5321 3.3 and 4.1.4).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Phase {
    /// Connected, greeting sent, no HELO/EHLO yet.
    Connected,
    /// HELO/EHLO accepted; no transaction.
    Greeted,
    /// MAIL FROM accepted; waiting for RCPT TO.
    Mail,
    /// At least one RCPT TO accepted.
    Recipients,
    /// Receiving message content after 354.
    Data,
    /// Receiving BDAT chunks.
    Chunking,
    /// In an AUTH exchange, waiting for a 334 response line.
    Authenticating,
    /// STARTTLS accepted; the TLS handshake is under way.
    TlsHandshake,
    Closed,
}

impl Phase {
    pub fn label(self) -> &'static str {
        match self {
            Phase::Connected => "connected",
            Phase::Greeted => "greeted",
            Phase::Mail => "mail",
            Phase::Recipients => "recipients",
            Phase::Data => "data",
            Phase::Chunking => "chunking",
            Phase::Authenticating => "authenticating",
            Phase::TlsHandshake => "tls handshake",
            Phase::Closed => "closed",
        }
    }
}

/// A snapshot of the session after a reply.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SessionState {
    pub phase: Phase,
    /// The HELO/EHLO argument, and whether EHLO (ESMTP) was used.
    pub client_name: Option<CompactString>,
    pub esmtp: bool,
    pub tls: bool,
    pub authenticated_as: Option<CompactString>,
}

/// MAIL FROM and the accepted RCPT TOs of the transaction in progress.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Envelope {
    pub reverse_path: Option<Path>,
    pub mail_params: MailParams,
    pub recipients: Vec<Recipient>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Recipient {
    pub path: Path,
    pub params: RcptParams,
}

impl Envelope {
    pub fn is_empty(&self) -> bool {
        self.reverse_path.is_none() && self.recipients.is_empty()
    }
    /// The recipients as `user@domain` strings (`Postmaster` for the bare form).
    pub fn recipient_addresses(&self) -> Vec<String> {
        self.recipients.iter().map(|r| path_address(&r.path)).collect()
    }
    pub fn sender_address(&self) -> String {
        self.reverse_path.as_ref().map(path_address).unwrap_or_default()
    }
}

/// `user@domain`, `""` for the null path, `Postmaster` for the bare form.
pub fn path_address(path: &Path) -> String {
    match path {
        Path::Null => String::new(),
        Path::Postmaster => "Postmaster".into(),
        // Built directly: this runs for most replies, where the formatting machinery of
        // `to_string` costs more than the copy.
        Path::Mailbox(m) => {
            let mut out = String::with_capacity(m.local_part.len() + 1 + m.domain.len());
            out.push_str(&m.local_part);
            out.push('@');
            out.push_str(&m.domain);
            out
        }
    }
}
