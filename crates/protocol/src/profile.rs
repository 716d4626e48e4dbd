//! Server profiles (whose wording the simulator speaks) and [`ServerPolicy`], every knob of it.
//!
//! A profile supplies defaults; the page may change any policy field at run time. Fields marked
//! "next connection" in [`ServerPolicy::applies`] only take effect after a reconnect, as on a real
//! server whose configuration is reloaded.

use crate::command::{Leniency, Verb};
use crate::persona::{OwnPersona, Persona};
use crate::preset::ProfileName;
use serde::{Deserialize, Serialize};

/// How VRFY is answered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum VrfyPolicy {
    /// 502: the command is disabled (against account enumeration).
    Disabled,
    /// 252: "cannot verify, but will try delivery" for every argument.
    Ambiguous,
    /// 250/252 for known users, 550 for unknown ones: enumeration is possible.
    Verify,
}

/// What a bare LF (LF without CR before it) inside DATA is to the server.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum BareLineFeed {
    /// Content: only CRLF ends a line, so only CRLF "." CRLF ends the message (RFC 5321 2.3.8
    /// and 4.1.1.4; Postfix 3.9's `smtpd_forbid_bare_newline = normalize` keeps the same end).
    #[default]
    Content,
    /// A line end, as for Postfix before the 2023 fixes: `<LF>.<CR><LF>` ends the message, and
    /// what follows is read as commands (SMTP smuggling, CVE-2023-51764).
    LineEnd,
}

/// Whether an accepted message is delivered (simulated) or only kept (a capture server).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DeliveryMode {
    /// Deliver: local recipients to the Mailbox, remote ones through the simulated zone, with
    /// bounces to the envelope sender.
    #[default]
    Simulate,
    /// Keep every message in the Mailbox and stop there, as a capture server (Mailpit) does.
    Capture,
}

/// A user the server accepts for AUTH.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Account {
    pub user: String,
    pub password: String,
}

/// Every policy knob of the simulated server.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct ServerPolicy {
    /// The server's host name, in the banner, EHLO and Received header.
    pub hostname: String,
    /// Domains delivered here; mail to others is relaying.
    pub local_domains: Vec<String>,
    /// Known local users (local parts); empty means every local part exists.
    pub mailboxes: Vec<String>,
    /// Accounts for AUTH PLAIN and LOGIN.
    pub accounts: Vec<Account>,
    /// AUTH is offered at all.
    pub auth_enabled: bool,
    /// MAIL FROM is refused (530) until the client authenticates: a submission server on 587.
    pub auth_required: bool,
    /// STARTTLS is offered.
    pub starttls: bool,
    /// AUTH only inside TLS (538, or 530 "Must issue a STARTTLS command first").
    pub tls_required_for_auth: bool,
    /// Every recipient is accepted, local or not (an open relay: only for a mock server).
    pub open_relay: bool,
    /// Authenticated clients may relay to any domain.
    pub relay_when_authenticated: bool,
    /// SIZE limit in octets, advertised in EHLO and enforced; 0 is no fixed maximum, as
    /// RFC 1870 reads `SIZE 0` (and as Postfix's `message_size_limit = 0` means).
    pub max_message_size: u64,
    /// Recipients per transaction before 452 4.5.3.
    pub max_recipients: usize,
    /// A first attempt from an unknown client/sender/recipient triple gets 451 4.7.1.
    pub greylisting: bool,
    /// Seconds a greylisted triple must wait before a retry is accepted.
    pub greylist_delay_secs: u64,
    /// Idle seconds before 421 4.4.2 and disconnect (RFC 5321 4.5.3.2 suggests minutes).
    pub idle_timeout_secs: u64,
    /// Errors tolerated before 421 and disconnect (Postfix: smtpd_hard_error_limit = 20).
    pub bad_command_limit: u32,
    pub vrfy: VrfyPolicy,
    pub expn_enabled: bool,
    /// Messages without a Message-ID header are refused (as one large provider does).
    pub require_message_id: bool,
    /// HELO/EHLO must come before MAIL (Postfix smtpd_helo_required).
    pub helo_required: bool,
    /// Command line limit in octets, CRLF included (RFC 5321 4.5.3.1.4: 512).
    pub max_command_line: usize,
    /// Forms outside RFC 5321 that the server accepts.
    pub leniency: Leniency,
    /// PIPELINING, CHUNKING, SMTPUTF8 and 8BITMIME are advertised and honoured.
    pub pipelining: bool,
    pub chunking: bool,
    pub smtputf8: bool,
    /// Fault rules, first match wins ([`crate::fault`]): the server answers what they say.
    pub faults: Vec<crate::fault::FaultRule>,
    /// Commands this server does not know at all (it predates them, or they are another
    /// server's own): answered as any unknown command, whatever their arguments.
    pub unrecognized: Vec<Verb>,
    /// Commands this server knows but does not implement: 502 (RFC 5321 4.2.4).
    pub not_implemented: Vec<Verb>,
    /// Whether a bare LF in DATA ends a line (and so may end the message).
    pub bare_line_feed: BareLineFeed,
    /// Simulated delivery after the 250 (routing, remote answers, bounces), or capture only.
    pub delivery: DeliveryMode,
}

impl Default for ServerPolicy {
    fn default() -> Self {
        ServerPolicy::for_profile(ProfileName::Postfix)
    }
}

/// When a change to a policy field takes effect.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Applies {
    Now,
    NextConnection,
}

impl ServerPolicy {
    pub fn for_profile(profile: ProfileName) -> Self {
        let base = ServerPolicy {
            hostname: "mail.playground.test".into(),
            local_domains: vec!["playground.test".into(), "localhost".into()],
            mailboxes: vec!["alice".into(), "bob".into(), "carol".into(), "root".into(), "postmaster".into(), "student".into()],
            accounts: vec![Account { user: "student".into(), password: "secret".into() }],
            auth_enabled: true,
            auth_required: false,
            starttls: true,
            tls_required_for_auth: false,
            open_relay: false,
            relay_when_authenticated: true,
            max_message_size: 10_240_000,
            max_recipients: 50,
            greylisting: false,
            greylist_delay_secs: 60,
            idle_timeout_secs: 300,
            bad_command_limit: 20,
            vrfy: VrfyPolicy::Verify,
            expn_enabled: false,
            require_message_id: false,
            helo_required: true,
            max_command_line: 512,
            leniency: Leniency::STRICT,
            pipelining: true,
            chunking: true,
            smtputf8: true,
            faults: Vec::new(),
            // QUEU, TICK and VERB are the z/OS server's own; ETRN is Postfix's alone here.
            unrecognized: vec![Verb::Etrn, Verb::Queu, Verb::Tick, Verb::Verb],
            not_implemented: Vec::new(),
            bare_line_feed: BareLineFeed::Content,
            delivery: DeliveryMode::Simulate,
        };
        match profile {
            ProfileName::Postfix => ServerPolicy {
                hostname: "vm".into(),
                // Postfix reads lines up to line_length_limit (2048) and accepts bare addresses.
                max_command_line: 2048,
                leniency: Leniency::TOLERANT,
                max_recipients: 1000,
                // Postfix implements neither HELP nor EXPN: both are unknown commands to it.
                unrecognized: vec![Verb::Expn, Verb::Help, Verb::Queu, Verb::Tick, Verb::Verb],
                // 3.7 as Debian ships it: smtpd_forbid_bare_newline = no (the smuggling fix is
                // there, off by default), so LF alone ends a line in DATA too.
                bare_line_feed: BareLineFeed::LineEnd,
                ..base
            },
            ProfileName::Exchange => ServerPolicy {
                hostname: "mail.contoso.example".into(),
                local_domains: vec!["contoso.example".into(), "playground.test".into()],
                max_message_size: 37_748_736,
                max_recipients: 5000,
                vrfy: VrfyPolicy::Ambiguous,
                leniency: Leniency { bare_address: true, space_after_colon: true, long_addresses: false, quit_argument: false },
                helo_required: true,
                tls_required_for_auth: true,
                ..base
            },
            ProfileName::Gmail => ServerPolicy {
                hostname: "smtp.gmail.com".into(),
                local_domains: vec!["gmail.com".into(), "googlemail.com".into()],
                mailboxes: vec![],
                auth_required: true,
                tls_required_for_auth: true,
                max_message_size: 35_882_577,
                max_recipients: 100,
                vrfy: VrfyPolicy::Ambiguous,
                require_message_id: true,
                bad_command_limit: 10,
                leniency: Leniency { bare_address: false, space_after_colon: true, long_addresses: false, quit_argument: false },
                ..base
            },
            ProfileName::Mock => ServerPolicy {
                hostname: "mock.playground.test".into(),
                mailboxes: vec![],
                open_relay: true,
                vrfy: VrfyPolicy::Ambiguous,
                helo_required: false,
                max_recipients: 10_000,
                max_message_size: 26_214_400,
                leniency: Leniency::TOLERANT,
                bad_command_limit: 100,
                // A capture server keeps what it gets, as Mailpit does; delivery is a choice.
                delivery: DeliveryMode::Capture,
                ..base
            },
            // The SMTP server of z/OS Communications Server, as IBM's "SMTP commands" table
            // lists it: RFC 821 commands and its own, no ESMTP.
            ProfileName::Zos => ServerPolicy {
                hostname: "mvs1.playground.test".into(),
                accounts: vec![],
                auth_enabled: false,
                starttls: false,
                pipelining: false,
                chunking: false,
                smtputf8: false,
                expn_enabled: true,
                unrecognized: vec![Verb::Ehlo, Verb::StartTls, Verb::Auth, Verb::Bdat, Verb::Etrn],
                ..base
            },
            // CSSMTP: the ESMTP commands; the rest of the old server's list not implemented.
            ProfileName::Cssmtp => ServerPolicy {
                hostname: "cssmtp.playground.test".into(),
                accounts: vec![],
                auth_enabled: false,
                chunking: false,
                smtputf8: false,
                unrecognized: vec![Verb::Etrn],
                not_implemented: vec![Verb::Expn, Verb::Help, Verb::Noop, Verb::Queu, Verb::Tick, Verb::Verb, Verb::Vrfy],
                ..base
            },
        }
    }

    /// A profile's policy with `changes` (field name → JSON value) applied over it, checked.
    /// `Err` is the field's name and what is wrong: an unknown field, a value of the wrong
    /// kind, or a policy [`ServerPolicy::check`] refuses.
    pub(crate) fn with_changes(profile: ProfileName, changes: &serde_json::Map<String, serde_json::Value>) -> Result<ServerPolicy, (String, String)> {
        let mut policy = serde_json::to_value(ServerPolicy::for_profile(profile)).map_err(|e| ("(all)".to_string(), e.to_string()))?;
        for (key, value) in changes {
            if policy.get(key).is_none() {
                return Err((key.clone(), "no such policy field (the fields are those of GET /api/v1/config's policy, e.g. max_recipients)".to_string()));
            }
            policy[key] = value.clone();
        }
        let policy: ServerPolicy = match serde_json::from_value(policy) {
            Ok(policy) => policy,
            // Which field: each change alone over the profile's policy (no path tracking,
            // which would cost the page's download tens of kilobytes).
            Err(error) => {
                let base = serde_json::to_value(ServerPolicy::for_profile(profile)).map_err(|e| ("(all)".to_string(), e.to_string()))?;
                let field = changes.iter().find(|(key, value)| {
                    let mut one = base.clone();
                    one[key.as_str()] = (*value).clone();
                    serde_json::from_value::<ServerPolicy>(one).is_err()
                });
                return Err((field.map_or("(value)".to_string(), |(key, _)| key.clone()), error.to_string()));
            }
        };
        policy.check().map_err(|problem| (problem.field.to_string(), problem.message))?;
        Ok(policy)
    }

    /// When a change to the named field takes effect (for the settings page).
    pub fn applies(field: &str) -> Applies {
        match field {
            // The banner, the EHLO list and the timers are set when a client connects.
            "hostname" | "starttls" | "pipelining" | "chunking" | "smtputf8" | "max_message_size" | "idle_timeout_secs" | "auth_enabled" => Applies::NextConnection,
            _ => Applies::Now,
        }
    }

    /// Whether the server can run with this policy; `Err` names the field, what is wrong with it
    /// and what to use instead. A page, the mock server's API and exercise files all take
    /// policies from outside: each checks before it applies one.
    pub fn check(&self) -> Result<(), PolicyProblem> {
        let problem = |field: &'static str, message: String| Err(PolicyProblem { field, message });
        if self.max_command_line < 512 {
            return problem(
                "max_command_line",
                format!("max_command_line is {}: RFC 5321 (4.5.3.1.4) has servers accept command lines of 512 octets, CRLF included; use 512 or more", self.max_command_line),
            );
        }
        if self.idle_timeout_secs == 0 {
            return problem("idle_timeout_secs", "idle_timeout_secs is 0: every session would end at once; use 1 or more (Postfix waits 300)".into());
        }
        if self.max_recipients == 0 {
            return problem("max_recipients", "max_recipients is 0: no message could have a recipient; use 1 or more (RFC 5321 4.5.3.1.8 asks for 100)".into());
        }
        if self.hostname.is_empty() || !self.hostname.bytes().all(|b| b.is_ascii_graphic()) {
            return problem("hostname", format!("hostname {:?} must be a host name (printable ASCII, no spaces): it goes into the banner and EHLO", self.hostname));
        }
        // Names are written into replies: a line break in one would forge lines on the wire.
        let names = self.local_domains.iter().map(|d| ("local_domains", d)).chain(self.mailboxes.iter().map(|m| ("mailboxes", m)));
        for (field, name) in names {
            if name.chars().any(char::is_control) {
                return problem(field, format!("{field} holds {name:?}: names cannot hold control characters (line breaks, tabs)"));
            }
        }
        if self.auth_required && !self.auth_enabled {
            return problem(
                "auth_required",
                "auth_required is on but auth_enabled is off: every MAIL FROM would be refused while no client could log in; turn auth_enabled on, or auth_required off".into(),
            );
        }
        // (A password is not repeated in the message.)
        if self.accounts.iter().any(|a| a.user.is_empty() || a.user.chars().chain(a.password.chars()).any(char::is_control)) {
            return problem("accounts", "accounts: each needs a user name, and neither user nor password can hold control characters (line breaks, tabs)".into());
        }
        if self.faults.len() > crate::fault::MAX_RULES {
            return problem("faults", format!("faults holds {} rules: at most {}", self.faults.len(), crate::fault::MAX_RULES));
        }
        for (i, rule) in self.faults.iter().enumerate() {
            if let Err(error) = rule.check() {
                return problem("faults", format!("fault rule {} (`{}`): {error}", i + 1, rule));
            }
        }
        Ok(())
    }

    /// The largest message accepted, in octets: `max_message_size`; for 0 (no fixed maximum),
    /// what a simulated server holds in memory, [`ServerPolicy::MEMORY_CEILING`].
    pub(crate) fn message_size_limit(&self) -> u64 {
        match self.max_message_size {
            0 => Self::MEMORY_CEILING,
            limit => limit,
        }
    }

    /// The most of one message a simulated server keeps when no fixed maximum is set: a server
    /// without a size limit is still bounded by its storage (Postfix by its queue's free space).
    pub(crate) const MEMORY_CEILING: u64 = 64 << 20;

    pub(crate) fn is_local_domain(&self, domain: &str) -> bool {
        self.local_domains.iter().any(|d| d.eq_ignore_ascii_case(domain))
    }

    pub(crate) fn mailbox_exists(&self, local_part: &str) -> bool {
        self.mailboxes.is_empty() || self.mailboxes.iter().any(|m| m.eq_ignore_ascii_case(local_part))
    }

    /// How this server treats a command, for the Reference's "who supports what" table.
    pub fn support(&self, verb: Verb) -> Support {
        if self.unrecognized.contains(&verb) {
            return Support::Unknown;
        }
        if self.not_implemented.contains(&verb) {
            return Support::NotImplemented;
        }
        let off = match verb {
            Verb::Vrfy => self.vrfy == VrfyPolicy::Disabled,
            Verb::Expn => !self.expn_enabled,
            Verb::StartTls => !self.starttls,
            Verb::Auth => !self.auth_enabled,
            Verb::Bdat => !self.chunking,
            _ => false,
        };
        if off { Support::Disabled } else { Support::Yes }
    }

    pub(crate) fn check_account(&self, user: &str, password: &str) -> bool {
        self.accounts.iter().any(|a| a.user == user && a.password == password)
    }
}

/// How a server treats a command ([`ServerPolicy::support`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Support {
    Yes,
    /// Known, turned off by a policy knob (VRFY disabled, no STARTTLS offered ...).
    Disabled,
    /// Known, answered 502 "not implemented".
    NotImplemented,
    /// Not known at all: answered as an unknown command (500).
    Unknown,
}

impl Support {
    pub fn label(self) -> &'static str {
        match self {
            Support::Yes => "yes",
            Support::Disabled => "turned off",
            Support::NotImplemented => "no (not implemented)",
            Support::Unknown => "no (unknown)",
        }
    }
}

/// Why a server cannot run with a policy: the field, and a sentence naming it, what is wrong
/// and what to use instead.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PolicyProblem {
    pub field: &'static str,
    pub message: String,
}

impl std::fmt::Display for PolicyProblem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

/// A profile and its (possibly changed) policy: what a simulated server is configured with.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ServerConfig {
    /// The built-in profile: the policy's defaults, and the persona's when it has none of its own.
    pub profile: ProfileName,
    /// The server's words, EHLO list and habits when they are not its profile's own (a
    /// teacher's profile file): see [`Persona`]. Beside the policy rather than in it, so that a
    /// policy's knobs are read without the persona's reader (the page's first download).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub persona: Option<std::sync::Arc<OwnPersona>>,
    pub policy: ServerPolicy,
    /// Seeds queue ids and session tags, so that runs are reproducible.
    pub seed: u64,
}

impl ServerConfig {
    pub fn new(profile: ProfileName) -> Self {
        ServerConfig { profile, persona: None, policy: ServerPolicy::for_profile(profile), seed: 0x5eed }
    }

    /// The persona the server speaks with: its own, or its profile's preset.
    pub fn persona(&self) -> &Persona {
        self.persona.as_deref().map_or_else(|| Persona::preset(self.profile), OwnPersona::persona)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_mainframe_profiles_support_what_the_course_table_says() {
        // (verb, z/OS SMTP server, CSSMTP) from ../shared/COURSE.md.
        let table = [
            (Verb::Data, true, true),
            (Verb::Ehlo, false, true),
            (Verb::Expn, true, false),
            (Verb::Helo, true, true),
            (Verb::Help, true, false),
            (Verb::Mail, true, true),
            (Verb::Noop, true, false),
            (Verb::Queu, true, false),
            (Verb::Quit, true, true),
            (Verb::Rcpt, true, true),
            (Verb::Rset, true, true),
            (Verb::StartTls, false, true),
            (Verb::Tick, true, false),
            (Verb::Verb, true, false),
            (Verb::Vrfy, true, false),
        ];
        let zos = ServerPolicy::for_profile(ProfileName::Zos);
        let cssmtp = ServerPolicy::for_profile(ProfileName::Cssmtp);
        for (verb, on_zos, on_cssmtp) in table {
            assert_eq!(zos.support(verb) == Support::Yes, on_zos, "{verb:?} on zos");
            assert_eq!(cssmtp.support(verb) == Support::Yes, on_cssmtp, "{verb:?} on cssmtp");
            if !on_cssmtp {
                assert_eq!(cssmtp.support(verb), Support::NotImplemented, "{verb:?}: the table says not implemented");
            }
        }
        assert_eq!(ServerPolicy::for_profile(ProfileName::Postfix).support(Verb::Queu), Support::Unknown);
    }

    #[test]
    fn every_profile_passes_its_own_check() {
        for profile in [ProfileName::Postfix, ProfileName::Exchange, ProfileName::Gmail, ProfileName::Mock] {
            assert_eq!(ServerPolicy::for_profile(profile).check(), Ok(()), "{profile:?}");
        }
    }

    #[test]
    fn size_zero_is_no_fixed_limit_but_memory_still_bounds_a_message() {
        let mut policy = ServerPolicy::default();
        assert_eq!(policy.message_size_limit(), policy.max_message_size);
        policy.max_message_size = 0;
        assert_eq!(policy.message_size_limit(), ServerPolicy::MEMORY_CEILING);
    }

    #[test]
    fn a_policy_that_cannot_work_is_refused_with_what_to_use() {
        let refused = |change: fn(&mut ServerPolicy)| {
            let mut policy = ServerPolicy::default();
            change(&mut policy);
            policy.check().expect_err("refused").message
        };
        assert!(refused(|p| p.max_command_line = 0).contains("use 512 or more"));
        assert!(refused(|p| p.idle_timeout_secs = 0).contains("use 1 or more"));
        let policy = ServerPolicy { idle_timeout_secs: 0, ..ServerPolicy::default() };
        assert_eq!(policy.check().unwrap_err().field, "idle_timeout_secs", "the field, for an exercise file's error");
        assert!(refused(|p| p.max_recipients = 0).starts_with("max_recipients is 0"));
        assert!(refused(|p| p.hostname = "mx.example\r\n250 forged".into()).starts_with("hostname"));
        assert!(refused(|p| p.hostname = String::new()).starts_with("hostname"));
        assert!(refused(|p| p.mailboxes = vec!["bob\r\n".into()]).starts_with("mailboxes"));
        assert!(refused(|p| p.accounts = vec![Account { user: String::new(), password: "x".into() }]).starts_with("accounts"));
        let secret = refused(|p| p.accounts = vec![Account { user: "bob".into(), password: "s3cret\n".into() }]);
        assert!(secret.starts_with("accounts") && !secret.contains("s3cret"), "{secret}");
        // Empty passwords and list entries are odd but harmless: kept, as saved sessions may hold them.
        let contradictory = ServerPolicy { auth_required: true, auth_enabled: false, ..Default::default() };
        assert_eq!(contradictory.check().unwrap_err().field, "auth_required");
        let odd = ServerPolicy { accounts: vec![Account { user: "bob".into(), password: String::new() }], mailboxes: vec![String::new()], ..Default::default() };
        assert_eq!(odd.check(), Ok(()));
    }
}
