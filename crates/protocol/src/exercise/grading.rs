//! Grading: how far a session's events (never the typed text) or a real server's observed
//! replies take a student through an exercise's steps, and the hint for the step they are on.

use super::*;

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
