//! What happened to an accepted message after the 250, as data: each recipient's hops, where
//! its copy ended, the receiving side's SPF/DKIM/DMARC results and the delivery status
//! notifications sent. [`crate::delivery`] computes a [`Journey`]; the event record, the
//! mailbox and the page read it.

use crate::command::Notify;
use crate::reply::Reply;
use crate::time::Timestamp;
use serde::{Deserialize, Serialize};

/// One step of a recipient's way.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Hop {
    pub at: Timestamp,
    #[serde(rename = "kind")]
    pub step: Step,
    /// What happened, in a sentence.
    pub text: String,
    /// The exchanger connected to (`mx.nouser.example[198.51.100.31]`), for an attempt.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub exchanger: Option<String>,
    /// The remote server's reply, when one was given.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reply: Option<Reply>,
    /// The receiving exchanger's SPF, DKIM and DMARC results.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub checks: Option<AuthResults>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Step {
    Local,
    Lookup,
    Attempt,
    Deferred,
    Delivered,
    Junk,
    Failed,
}

/// Where a recipient's message ended.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum Outcome {
    Delivered,
    /// Delivered, but to the junk folder (DMARC `p=quarantine`).
    Junk,
    Failed {
        /// The RFC 3463 status for the DSN.
        status: String,
        /// What the DSN's Diagnostic-Code says (`smtp; 550 5.1.1 ...`).
        diagnostic: String,
        /// The exchanger that refused, if one answered.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        remote: Option<String>,
    },
}

/// One recipient's way, hop by hop.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RecipientJourney {
    pub recipient: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub original_recipient: Option<String>,
    pub notify: Option<Notify>,
    pub hops: Vec<Hop>,
    pub outcome: Outcome,
    /// Deferred at least once before the outcome.
    pub delayed: bool,
    /// Headers the receiving side added (`Received:`, `Authentication-Results:`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub headers_added: Vec<String>,
}

/// Which report a notification is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum NoticeKind {
    Failure,
    Delay,
    Success,
}

/// A delivery status notification the server sent.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Notice {
    pub at: Timestamp,
    pub kind: NoticeKind,
    /// The envelope sender it goes to (never the From: header).
    pub to: String,
    /// The recipients it reports on.
    pub recipients: Vec<String>,
    /// The queue id of the DSN itself.
    pub queue_id: String,
    /// Delivered to this server's Mailbox (the sender is local); otherwise sent out.
    pub local: bool,
    /// The whole DSN (RFC 3464), as sent.
    #[serde(with = "crate::base64_bytes")]
    pub raw: Vec<u8>,
}

/// Everything that happened to one accepted message after the 250.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Journey {
    pub queue_id: String,
    pub recipients: Vec<RecipientJourney>,
    pub notices: Vec<Notice>,
    /// Why a failure produced no notification (a null sender, NOTIFY=NEVER).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub silent: Option<String>,
    /// The envelope sender looks forged: a bounce to it is backscatter.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub backscatter: Option<String>,
}

impl Journey {
    /// One line for a console: where each recipient's copy ended, and the reports sent.
    pub fn summary(&self) -> String {
        let each: Vec<String> = self
            .recipients
            .iter()
            .map(|r| {
                let how = match &r.outcome {
                    Outcome::Delivered if r.hops.iter().any(|h| h.step == Step::Local) => "delivered here".to_string(),
                    Outcome::Delivered if r.delayed => "delayed, then delivered".to_string(),
                    Outcome::Delivered => "delivered".to_string(),
                    Outcome::Junk => "delivered to junk".to_string(),
                    Outcome::Failed { status, .. } => format!("failed ({status})"),
                };
                format!("{} {how}", r.recipient)
            })
            .collect();
        let mut out = format!("After the 250: {}.", each.join("; "));
        for notice in &self.notices {
            let kind = match notice.kind {
                NoticeKind::Failure => "A bounce",
                NoticeKind::Delay => "A delay warning",
                NoticeKind::Success => "A success report",
            };
            let place = if notice.local { "in the Mailbox" } else { "sent out" };
            out.push_str(&format!(" {kind} went to <{}> ({place}).", notice.to));
        }
        if let Some(silent) = &self.silent {
            out.push_str(&format!(" {silent}"));
        }
        out
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Check {
    /// `pass`, `fail`, `softfail`, `neutral` or `none`.
    pub result: String,
    /// The domain checked.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub domain: Option<String>,
    /// Why, in a sentence.
    pub why: String,
}

/// What the receiver does with the message, from DMARC's policy.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Disposition {
    Deliver,
    Junk,
    Reject,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuthResults {
    pub spf: Check,
    pub dkim: Check,
    pub dmarc: Check,
    pub disposition: Disposition,
}
