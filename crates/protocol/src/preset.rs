//! The built-in server profiles by name: which real server each imitates. What each one is
//! (its policy, its words, its EHLO list) is data in the preset tables of [`crate::profile`],
//! [`crate::persona`] and the wording; this is only the name they are keyed on.

use serde::{Deserialize, Serialize};

/// The real server a profile imitates.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ProfileName {
    /// Postfix 3.7 with Debian defaults (wording from captured transcripts).
    Postfix,
    /// Microsoft Exchange Server / Exchange Online.
    Exchange,
    /// Gmail's submission server: STARTTLS before AUTH, Message-ID required.
    Gmail,
    /// A course mock server: accepts every sender and recipient and captures the mail.
    Mock,
    /// IBM z/OS Communications Server's SMTP server: HELO only (no EHLO, no STARTTLS), and its
    /// own QUEU, TICK and VERB.
    Zos,
    /// IBM z/OS Communications Server's CSSMTP application: EHLO and STARTTLS; EXPN, HELP, NOOP,
    /// QUEU, TICK, VERB and VRFY not implemented.
    Cssmtp,
}

impl ProfileName {
    pub const ALL: [ProfileName; 6] = [ProfileName::Postfix, ProfileName::Exchange, ProfileName::Gmail, ProfileName::Mock, ProfileName::Zos, ProfileName::Cssmtp];

    pub fn id(self) -> &'static str {
        match self {
            ProfileName::Postfix => "postfix",
            ProfileName::Exchange => "exchange",
            ProfileName::Gmail => "gmail",
            ProfileName::Mock => "mock",
            ProfileName::Zos => "zos",
            ProfileName::Cssmtp => "cssmtp",
        }
    }

    pub fn from_id(id: &str) -> Option<Self> {
        ProfileName::ALL.into_iter().find(|p| p.id().eq_ignore_ascii_case(id))
    }

    pub fn title(self) -> &'static str {
        match self {
            ProfileName::Postfix => "Postfix 3.7 (Debian)",
            ProfileName::Exchange => "Microsoft Exchange",
            ProfileName::Gmail => "Gmail submission (smtp.gmail.com:587)",
            ProfileName::Mock => "Mock server (accepts everything)",
            ProfileName::Zos => "IBM z/OS SMTP server (mainframe, HELO only)",
            ProfileName::Cssmtp => "IBM z/OS CSSMTP application (mainframe)",
        }
    }
}
