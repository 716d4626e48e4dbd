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
use crate::profile::{ProfileName, ServerConfig, ServerPolicy};
use crate::reply::ReplyClass;
use crate::session::path_address;
use crate::situation::Situation;
use serde::{Deserialize, Serialize};

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
        Ok(ServerConfig { profile: self.profile, policy, seed: 0x5eed })
    }
}

/// How far the student is, and what to say.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Progress {
    /// Steps done, in order.
    pub done: usize,
    pub complete: bool,
    /// Explains the failure the student just met, when it did not advance the exercise (and
    /// nothing has succeeded since).
    pub hint: Option<String>,
    /// The next step can no longer happen in this session (steps done in another order): why,
    /// and what to do (restart the exercise, or reconnect).
    pub stuck: Option<String>,
}

/// What the session has done that some steps cannot be undone from.
#[derive(Default)]
struct Reached {
    authenticated: bool,
    tls: bool,
}

/// Why the step cannot happen any more in this session, if it cannot.
fn stuck_on(check: &Check, reached: &Reached) -> Option<String> {
    match check {
        Check::Reply { code: Some(530), .. } if reached.authenticated => Some(
            "You are already logged in, so the server can no longer refuse MAIL FROM for want of it. Restart the exercise to see the refusal first, then log in.".into(),
        ),
        Check::Reply { contains: Some(text), .. } if reached.tls && text.eq_ignore_ascii_case("STARTTLS") => Some(
            "TLS is already on, and inside TLS the server no longer offers STARTTLS (RFC 3207 4.2): this step needs a connection in clear text. Press Reconnect (or restart the exercise) and send EHLO before STARTTLS.".into(),
        ),
        Check::TlsStarted if reached.tls => Some("TLS is already on in this connection. Press Reconnect (or restart the exercise) to do this step in order.".into()),
        _ => None,
    }
}

/// Whether an answer is accepted: `None` before one is given.
pub fn answer_verdict(accept: &[String], answer: Option<&str>) -> Option<bool> {
    let answer = answer.filter(|a| !a.trim().is_empty())?;
    Some(answer_matches(accept, Some(answer.to_string())))
}

/// Reads the session's events against the exercise. `messages` are the raw messages the server
/// accepted, by queue id; `answers` the student's answers to `Answer` steps, by step index.
pub fn evaluate(exercise: &Exercise, events: &[Event], messages: &dyn Fn(&str) -> Option<Vec<u8>>, answers: &dyn Fn(usize) -> Option<String>) -> Progress {
    let config = exercise.config().unwrap_or_else(|_| ServerConfig::new(exercise.profile));
    let mut narration = Narration::default();
    let mut done = 0;
    let mut last_verb: Option<Verb> = None;
    let mut last_address: Option<String> = None;
    let mut batch: (u64, usize) = (u64::MAX, 0);
    let mut hint = None;
    let mut reached = Reached::default();
    let mut after_bare_lf = false;
    for event in events {
        let note = narration.read(event, config.profile, &config.policy);
        // After a content line ended by a bare LF: whether the next line ended the message.
        let after_bare = match event {
            Event::LineReceived { raw, line: line @ (ClientLine::Data | ClientLine::DataEnd), .. } => {
                let was = std::mem::replace(&mut after_bare_lf, raw.ends_with('\n') && !raw.ends_with("\r\n"));
                was.then_some(matches!(line, ClientLine::DataEnd))
            }
            _ => None,
        };
        if let Event::LineReceived { at, line: ClientLine::Command { parsed }, .. } = event {
            last_verb = (**parsed).as_ref().ok().map(|p| p.command.verb()).or_else(|| (**parsed).as_ref().err().and_then(|e| e.verb));
            last_address = match &**parsed {
                Ok(ParsedCommand { command: Command::Mail { from: path, .. } | Command::Rcpt { to: path, .. }, .. }) => Some(path_address(path)),
                _ => None,
            };
            batch = if batch.0 == at.0 { (at.0, batch.1 + 1) } else { (at.0, 1) };
        }
        // Answer steps are satisfied wherever they stand.
        while let Some(Step { check: Check::Answer { accept, .. }, .. }) = exercise.steps.get(done) {
            if answer_matches(accept, answers(done)) {
                done += 1;
            } else {
                break;
            }
        }
        let Some(step) = exercise.steps.get(done) else { break };
        if matches(&step.check, event, last_verb, last_address.as_deref(), batch.1, after_bare, messages) {
            done += 1;
            hint = None;
        } else if let (Event::ReplySent { reply, .. }, Some(Note::Reply(explanation))) = (event, note) {
            // A failure explains itself until something succeeds: a fixed mistake's hint goes.
            hint = matches!(reply.class(), ReplyClass::TransientFailure | ReplyClass::PermanentFailure)
                .then(|| format!("The server answered {} because: {}", reply.code, explanation.why));
        }
        match event {
            Event::AuthSucceeded { .. } => reached.authenticated = true,
            Event::TlsStarted { .. } => reached.tls = true,
            Event::Connected { .. } => reached = Reached::default(),
            _ => {}
        }
    }
    while let Some(Step { check: Check::Answer { accept, .. }, .. }) = exercise.steps.get(done) {
        if !answer_matches(accept, answers(done)) {
            break;
        }
        done += 1;
    }
    let complete = done == exercise.steps.len();
    let stuck = exercise.steps.get(done).and_then(|step| stuck_on(&step.check, &reached));
    Progress { done, complete, hint: if complete { None } else { hint }, stuck }
}

fn answer_matches(accept: &[String], answer: Option<String>) -> bool {
    let Some(answer) = answer else { return false };
    let normal = |s: &str| s.trim().trim_end_matches('.').to_ascii_lowercase();
    accept.iter().any(|a| normal(a) == normal(&answer))
}

/// The one rule for a `reply` check, for the simulator's replies and a real server's alike.
/// `situation` is `None` for a real server, whose replies never match a check naming one.
fn reply_matches(check: &Check, verb: Option<Verb>, address: Option<&str>, reply: &crate::reply::Reply, situation: Option<Situation>) -> bool {
    let Check::Reply { command, code, class, situation: wanted, contains, address: wanted_address } = check else { return false };
    // The greeting comes before the student does anything: it counts only when a step asks for it.
    let greeting = situation == Some(Situation::Greeting) || (situation.is_none() && verb.is_none() && reply.code == 220);
    if greeting && *code != Some(220) && wanted.as_deref() != Some("Greeting") {
        return false;
    }
    let answers_command = |list: &String| verb.is_some_and(|v| list.split('|').any(|c| Verb::from_name(c) == Some(v))) && !greeting;
    command.as_ref().is_none_or(answers_command)
        && wanted_address.as_deref().is_none_or(|w| address.is_some_and(|a| a.eq_ignore_ascii_case(w)))
        && code.is_none_or(|c| c == reply.code)
        && class.is_none_or(|c| u16::from(c) == reply.code / 100)
        && wanted.as_deref().is_none_or(|w| situation.is_some_and(|s| s.id() == w))
        && contains.as_deref().is_none_or(|t| reply.lines.iter().any(|l| l.contains(t)))
}

#[allow(clippy::too_many_arguments)]
fn matches(check: &Check, event: &Event, verb: Option<Verb>, address: Option<&str>, batch: usize, after_bare: Option<bool>, messages: &dyn Fn(&str) -> Option<Vec<u8>>) -> bool {
    match (check, event) {
        (Check::Reply { .. }, Event::ReplySent { reply, situation, .. }) => reply_matches(check, verb, address, reply, *situation),
        (
            Check::MessageAccepted {
                min_recipients,
                recipients,
                recipient,
                min_to_addresses,
                min_cc_addresses,
                min_distinct_domains,
                headers,
                without_headers,
                findings,
                without_findings,
                dot_stuffed,
            },
            Event::MessageAccepted { queue_id, envelope, .. },
        ) => {
            let addresses = envelope.recipient_addresses();
            let mut domains: Vec<String> = addresses.iter().filter_map(|a| a.rsplit_once('@')).map(|(_, d)| d.to_ascii_lowercase()).collect();
            domains.sort();
            domains.dedup();
            if addresses.len() < *min_recipients
                || recipients.is_some_and(|n| n != addresses.len())
                || recipient.as_deref().is_some_and(|r| !addresses.iter().any(|a| a.eq_ignore_ascii_case(r)))
                || domains.len() < *min_distinct_domains
            {
                return false;
            }
            let needs_message = !headers.is_empty() || !findings.is_empty() || *dot_stuffed || *min_to_addresses > 0 || *min_cc_addresses > 0;
            let Some(raw) = messages(queue_id) else { return !needs_message };
            let view = parse_message(&raw);
            let found: Vec<&str> = compare_with_envelope(&view, envelope).iter().map(Finding::id).collect();
            let body_has_dot = view.text.as_deref().is_some_and(|t| t.lines().any(|l| l.starts_with('.')));
            let has_header = |h: &String| view.headers.iter().any(|f| f.name.eq_ignore_ascii_case(h));
            headers.iter().all(has_header)
                && !without_headers.iter().any(has_header)
                && findings.iter().all(|f| found.contains(&f.as_str()))
                && !without_findings.iter().any(|f| found.contains(&f.as_str()))
                && view.to.len() >= *min_to_addresses
                && view.cc.len() >= *min_cc_addresses
                && (!dot_stuffed || body_has_dot)
        }
        (Check::TlsStarted, Event::TlsStarted { .. }) => true,
        (Check::AuthSucceeded, Event::AuthSucceeded { .. }) => true,
        (Check::Closed { reason }, Event::Closed { reason: actual, .. }) => reason.as_deref().is_none_or(|r| actual.contains(r)),
        (Check::Pipelined { min_commands }, Event::LineReceived { line: ClientLine::Command { .. }, .. }) => batch >= *min_commands,
        (Check::Delivery { recipient, outcome, status, dmarc, notices, notice_to }, Event::Delivery { journey, .. }) => {
            use crate::journey::{NoticeKind, Outcome};
            let recipient_matches = |r: &crate::journey::RecipientJourney| {
                let (name, code) = match &r.outcome {
                    Outcome::Delivered => ("delivered", None),
                    Outcome::Junk => ("junk", None),
                    Outcome::Failed { status, .. } => ("failed", Some(status.as_str())),
                };
                let dmarc_result = r.hops.iter().rev().find_map(|h| h.checks.as_ref()).map(|c| c.dmarc.result.as_str());
                recipient.as_deref().is_none_or(|want| r.recipient.to_ascii_lowercase().contains(&want.to_ascii_lowercase()))
                    && outcome.as_deref().is_none_or(|want| want == name)
                    && status.as_deref().is_none_or(|want| code == Some(want))
                    && dmarc.as_deref().is_none_or(|want| dmarc_result == Some(want))
            };
            let kind_name = |k: NoticeKind| match k {
                NoticeKind::Failure => "failure",
                NoticeKind::Delay => "delay",
                NoticeKind::Success => "success",
            };
            journey.recipients.iter().any(recipient_matches)
                && notices.iter().all(|want| journey.notices.iter().any(|n| kind_name(n.kind) == want))
                && notice_to.as_deref().is_none_or(|want| journey.notices.iter().any(|n| n.to.eq_ignore_ascii_case(want)))
        }
        (Check::BareLineFeed { ended_message }, Event::LineReceived { .. }) => after_bare.is_some_and(|ended| ended_message.is_none_or(|wanted| wanted == ended)),
        _ => false,
    }
}

/// What a session with a real server shows (through smtp-bridge): no simulator events, only
/// replies with the command they answered, TLS, and the end.
#[derive(Debug, Clone, PartialEq)]
pub enum Observation {
    Reply { verb: Option<Verb>, reply: crate::reply::Reply, why: String },
    TlsStarted,
    Closed { reason: String },
}

/// As [`evaluate`], for a real server's session. `message_accepted` and `situation` checks cannot
/// be seen there; [`Exercise::parse`] refuses them in exercises that need the bridge.
pub fn evaluate_observed(exercise: &Exercise, observed: &[Observation], answers: &dyn Fn(usize) -> Option<String>) -> Progress {
    let mut done = 0;
    let mut hint = None;
    let skip_answers = |done: &mut usize| {
        while let Some(Step { check: Check::Answer { accept, .. }, .. }) = exercise.steps.get(*done) {
            if !answer_matches(accept, answers(*done)) {
                break;
            }
            *done += 1;
        }
    };
    for observation in observed {
        skip_answers(&mut done);
        let Some(step) = exercise.steps.get(done) else { break };
        let matched = match (&step.check, observation) {
            (Check::Reply { .. }, Observation::Reply { verb, reply, .. }) => reply_matches(&step.check, *verb, None, reply, None),
            (Check::TlsStarted, Observation::TlsStarted) => true,
            (Check::Closed { reason }, Observation::Closed { reason: actual }) => reason.as_deref().is_none_or(|r| actual.contains(r)),
            _ => false,
        };
        if matched {
            done += 1;
            hint = None;
        } else if let Observation::Reply { reply, why, .. } = observation
            && matches!(reply.class(), ReplyClass::TransientFailure | ReplyClass::PermanentFailure)
        {
            hint = Some(format!("The server answered {}: {why}", reply.code));
        }
    }
    skip_answers(&mut done);
    let complete = done == exercise.steps.len();
    Progress { done, complete, hint: if complete { None } else { hint }, stuck: None }
}

/// Plays an exercise's own solution against the simulator and returns its progress.
pub fn solve(exercise: &Exercise) -> Progress {
    let accepted = |i: usize| match &exercise.steps[i].check {
        Check::Answer { accept, .. } => accept.first().cloned(),
        _ => None,
    };
    play(exercise, &exercise.solution, &accepted)
}

/// Plays `entries` (as in an exercise's `solution`: lines, `-- wait N`, `-- set FIELD=JSON`,
/// `-- lf TEXT` for a line ended by a bare LF, `-- reconnect`) against the simulator and returns the exercise's progress.
pub fn play(exercise: &Exercise, entries: &[String], answers: &dyn Fn(usize) -> Option<String>) -> Progress {
    use crate::script::{Directive, Player};
    use crate::time::Timestamp;
    let config = exercise.config().expect("validated");
    let mut player = Player::new(config, Timestamp(1_795_394_866_000));
    // A solution does not write `-- tls`: the handshake completes when the server asks for it.
    player.auto_tls = true;
    for entry in entries {
        let Ok(directive) = Directive::parse(entry) else { continue };
        // A student takes a second to type each line, or to press Reconnect.
        if matches!(directive, Directive::Lines(_) | Directive::BareLineFeed(_) | Directive::Reconnect) {
            player.advance(1);
        }
        // Validated: a refused `-- set` or an expectation that fails changes nothing here.
        let _ = player.play(&directive);
    }
    let server = &player.server;
    let events = &player.events;
    let messages: Vec<(String, Vec<u8>)> = server.messages().iter().map(|m| (m.queue_id.clone(), m.raw.clone())).collect();
    let lookup = |id: &str| messages.iter().find(|(q, _)| q == id).map(|(_, raw)| raw.clone());
    evaluate(exercise, events, &lookup, answers)
}
