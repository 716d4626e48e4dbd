//! Guided exercises: data (JSON files a teacher can write), and their checking, which reads only
//! the session's events — what the server did — never the text the student typed.
//!
//! A step is done when an event after the previous step's matches its [`Check`]. Several paths
//! are accepted because checks describe outcomes ("a 250 to HELO or EHLO"), not keystrokes. When
//! the student's last reply was a failure that did not advance the exercise, the hint explains that
//! reply (from the same catalog as the console).

use crate::command::{Command, ParsedCommand, Verb};
use crate::event::{ClientLine, Event};
use crate::message::{Finding, compare_with_envelope, parse_message};
use crate::narration::{Narration, Note};
use crate::preset::ProfileName;
use crate::profile::{ServerConfig, ServerPolicy};
use crate::reply::ReplyClass;
use crate::session::path_address;
use crate::situation::Situation;
use serde::{Deserialize, Serialize};

mod grading;
mod solution;

pub use grading::{Observation, Progress, answer_verdict, evaluate, evaluate_observed};
pub use solution::{play, solve};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Exercise {
    pub id: String,
    pub title: String,
    /// One sentence: what the student will be able to do.
    pub goal: String,
    pub background: String,
    /// RFC references, e.g. "RFC 5321 4.1.1.2".
    #[serde(default)]
    pub rfc: Vec<String>,
    pub profile: ProfileName,
    /// Policy fields that differ from the profile's defaults.
    #[serde(default)]
    pub policy: serde_json::Map<String, serde_json::Value>,
    pub steps: Vec<Step>,
    /// What a student would type. An entry with several lines is sent in one write (pipelining);
    /// `-- wait N` lets N seconds pass; `-- set FIELD=JSON` changes a policy field (Server tab).
    pub solution: Vec<String>,
    /// Sessions that do almost what the steps ask, in the form of `solution`: each must leave
    /// the exercise unfinished (tests check it, so a check that tests less than its step's
    /// text says is caught).
    #[serde(default)]
    pub near_misses: Vec<Vec<String>>,
    /// This exercise needs a real server through smtp-bridge (it cannot be solved in the simulator).
    #[serde(default)]
    pub needs_bridge: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Step {
    pub text: String,
    pub check: Check,
    /// Said when the student is stuck on this step.
    #[serde(default)]
    pub hint: Option<String>,
}

/// What the session must show for a step to be done.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum Check {
    /// A reply, optionally to given commands (`"HELO|EHLO"`), with a code, class (2..5),
    /// situation id, or text it contains.
    Reply {
        #[serde(default)]
        command: Option<String>,
        #[serde(default)]
        code: Option<u16>,
        #[serde(default)]
        class: Option<u8>,
        #[serde(default)]
        situation: Option<String>,
        #[serde(default)]
        contains: Option<String>,
        /// The address the answered MAIL FROM or RCPT TO gave (`alice@playground.test`).
        #[serde(default)]
        address: Option<String>,
    },
    /// A message accepted with at least this many recipients, these headers, these findings
    /// (`from_differs_from_envelope`, `blind_recipient`, `cc_without_recipient`, ...).
    MessageAccepted {
        #[serde(default)]
        min_recipients: usize,
        /// Exactly this many envelope recipients.
        #[serde(default)]
        recipients: Option<usize>,
        /// An envelope recipient with this address.
        #[serde(default)]
        recipient: Option<String>,
        /// At least this many addresses in the To: header.
        #[serde(default)]
        min_to_addresses: usize,
        /// At least this many addresses in the Cc: header.
        #[serde(default)]
        min_cc_addresses: usize,
        /// Envelope recipients in at least this many different domains.
        #[serde(default)]
        min_distinct_domains: usize,
        #[serde(default)]
        headers: Vec<String>,
        /// Headers that must not be there.
        #[serde(default)]
        without_headers: Vec<String>,
        #[serde(default)]
        findings: Vec<String>,
        /// Findings that must not be there (e.g. `missing_blank_line`).
        #[serde(default)]
        without_findings: Vec<String>,
        #[serde(default)]
        dot_stuffed: bool,
    },
    TlsStarted,
    AuthSucceeded,
    /// The server closed the connection (idle timeout, too many errors, after QUIT).
    Closed {
        #[serde(default)]
        reason: Option<String>,
    },
    /// At least this many commands arrived in one write.
    Pipelined {
        min_commands: usize,
    },
    /// What happened after the 250 (simulated delivery): a recipient's outcome (`delivered`,
    /// `junk`, `failed`), its status, its DMARC result, and the reports sent.
    Delivery {
        /// Text in the recipient's address (`nouser.example`); any recipient when absent.
        #[serde(default)]
        recipient: Option<String>,
        #[serde(default)]
        outcome: Option<String>,
        #[serde(default)]
        status: Option<String>,
        #[serde(default)]
        dmarc: Option<String>,
        /// Kinds of report that must have been sent: `failure`, `delay`, `success`.
        #[serde(default)]
        notices: Vec<String>,
        /// The address the reports went to.
        #[serde(default)]
        notice_to: Option<String>,
    },
    /// A message line ended by a bare LF, then another content line: `ended_message` says
    /// whether the server took the dot after it as the end of the message (SMTP smuggling).
    BareLineFeed {
        #[serde(default)]
        ended_message: Option<bool>,
    },
    /// A question answered in the exercise panel (e.g. reading `dig` output).
    Answer {
        question: String,
        accept: Vec<String>,
    },
}

/// A malformed exercise file: which file, which field, what is wrong.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExerciseError {
    pub file: String,
    pub field: String,
    pub message: String,
}

impl std::fmt::Display for ExerciseError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: field `{}`: {}", self.file, self.field, self.message)
    }
}

const FINDINGS: [&str; 10] = [
    "from_differs_from_envelope",
    "missing_from",
    "cc_without_recipient",
    "to_without_recipient",
    "blind_recipient",
    "missing_date",
    "missing_message_id",
    "bcc_header",
    "missing_blank_line",
    "sender_not_authorized",
];

impl Exercise {
    /// Parses and validates one exercise file; an error names the field by its path.
    pub fn parse(file: &str, text: &str) -> Result<Exercise, ExerciseError> {
        let deserializer = &mut serde_json::Deserializer::from_str(text);
        let exercise: Exercise = serde_path_to_error::deserialize(deserializer).map_err(|e| {
            let path = e.path().to_string();
            ExerciseError { file: file.to_string(), field: if path == "." { "(top level)".into() } else { path }, message: e.into_inner().to_string() }
        })?;
        exercise.validate(file)
    }

    /// [`Exercise::parse`] for files already checked by it (the page's embedded exercises,
    /// checked by tests/exercises.rs): an error gives serde_json's line and column instead of
    /// the field path, whose tracking would cost the page tens of kilobytes of code.
    pub fn parse_checked(file: &str, text: &str) -> Result<Exercise, ExerciseError> {
        let exercise: Exercise = serde_json::from_str(text).map_err(|e| ExerciseError { file: file.to_string(), field: "(see line and column)".into(), message: e.to_string() })?;
        exercise.validate(file)
    }

    fn validate(self, file: &str) -> Result<Exercise, ExerciseError> {
        let error = |field: String, message: String| ExerciseError { file: file.to_string(), field, message };
        if self.steps.is_empty() {
            return Err(error("steps".into(), "an exercise needs at least one step".into()));
        }
        let config = self.config().map_err(|(field, message)| error(format!("policy.{field}"), message))?;
        // Every solution entry is a script step, and each `-- set` a change the policy takes.
        let sessions = std::iter::once(("solution".to_string(), &self.solution)).chain(self.near_misses.iter().enumerate().map(|(i, s)| (format!("near_misses[{i}]"), s)));
        for (name, entries) in sessions {
            let mut policy = config.policy.clone();
            for (i, entry) in entries.iter().enumerate() {
                match crate::script::Directive::parse(entry) {
                    Err(message) => return Err(error(format!("{name}[{i}]"), message)),
                    Ok(crate::script::Directive::Set { field, value }) => {
                        policy = crate::script::set_field(&policy, &field, &value).map_err(|message| error(format!("{name}[{i}]"), message))?;
                    }
                    Ok(_) => {}
                }
            }
        }
        for (i, step) in self.steps.iter().enumerate() {
            let field = |name: &str| format!("steps[{i}].check.{name}");
            match &step.check {
                Check::Reply { command, situation, class, .. } => {
                    if let Some(commands) = command {
                        for verb in commands.split('|') {
                            if Verb::from_name(verb).is_none() {
                                return Err(error(field("command"), format!("`{verb}` is not a command (use e.g. \"HELO|EHLO\")")));
                            }
                        }
                    }
                    if let Some(s) = situation
                        && Situation::from_id(s).is_none()
                    {
                        return Err(error(field("situation"), format!("`{s}` is not a situation id (see smtp_protocol::Situation)")));
                    }
                    if class.is_some_and(|c| !(2..=5).contains(&c)) {
                        return Err(error(field("class"), "a reply class is 2, 3, 4 or 5".into()));
                    }
                }
                Check::MessageAccepted { findings, without_findings, .. } => {
                    for (name, list) in [("findings", findings), ("without_findings", without_findings)] {
                        if let Some(bad) = list.iter().find(|f| !FINDINGS.contains(&f.as_str())) {
                            return Err(error(field(name), format!("`{bad}` is not one of {}", FINDINGS.join(", "))));
                        }
                    }
                }
                Check::Answer { accept, .. } if accept.is_empty() => return Err(error(field("accept"), "list at least one accepted answer".into())),
                _ => {}
            }
            let seen_on_real_servers = matches!(&step.check, Check::Reply { situation: None, .. } | Check::TlsStarted | Check::Closed { .. } | Check::Answer { .. });
            if self.needs_bridge && !seen_on_real_servers {
                return Err(error(field("kind"), "an exercise that needs the bridge can only check replies (without `situation`), tls_started, closed and answers".into()));
            }
        }
        Ok(self)
    }

    /// The server this exercise runs against: its profile, with the policy changes applied.
    pub fn config(&self) -> Result<ServerConfig, (String, String)> {
        let policy = ServerPolicy::with_changes(self.profile, &self.policy)?;
        Ok(ServerConfig { profile: self.profile, persona: None, policy, seed: 0x5eed })
    }
}
