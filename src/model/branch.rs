//! What-if branches: the simulated session replayed up to one of its replies, that reply replaced
//! by one the learner picks, and the session going on from there. A branch is an ordinary
//! [`SimulatedSession`] whose configuration carries one more fault rule (marked `what_if`), so
//! its log replays it exactly like any session: reloads and share links included.

use super::simulated::{Input, SimulatedSession};
use smtp_protocol::Reply;
use smtp_protocol::event::{ClientLine, Event};
use smtp_protocol::fault::{Action, FaultRule, MAX_RULES, Moment, Trigger};

/// One session of the set: the original (no parent) or a branch of another.
pub struct Branch {
    pub parent: Option<usize>,
    /// What the branch changed, for its tab ("RCPT answered 452 4.2.2 Mailbox full").
    pub label: String,
    /// `None` while it is the session on show (the page holds that one).
    pub session: Option<SimulatedSession>,
}

/// The original session and its branches; `active` is the one on show and typed into.
pub struct Branches {
    pub list: Vec<Branch>,
    pub active: usize,
}

impl Default for Branches {
    fn default() -> Self {
        Branches { list: vec![Branch { parent: None, label: "Original".into(), session: None }], active: 0 }
    }
}

impl Branches {
    pub fn is_branched(&self) -> bool {
        self.list.len() > 1
    }
}

/// Reads a reply typed by the learner: `452 4.2.2 Mailbox full`, `250`, `421 Bye`.
pub fn parse_reply(text: &str) -> Result<Reply, String> {
    let text = text.trim();
    let rule = FaultRule::parse(&format!("line => {text}")).map_err(|e| {
        let column = e.column.saturating_sub(8).max(1);
        format!("column {column}: {}. Write a reply as CODE [ENHANCED] [TEXT], e.g. 452 4.2.2 Mailbox full", e.message)
    })?;
    match rule.then {
        Action::Reply { .. } => rule.reply().ok_or_else(|| "a reply is needed".to_string()),
        _ => Err("Write a reply as CODE [ENHANCED] [TEXT], e.g. 452 4.2.2 Mailbox full".into()),
    }
}

/// Which occurrence the reply at `index` of `events` answers, as a rule's trigger counts it
/// (over every connection of the session), and what it answers, for the label.
fn trigger_for(events: &[Event], index: usize) -> Result<(Trigger, String), String> {
    if !matches!(events.get(index), Some(Event::ReplySent { .. })) {
        return Err("That is not a server reply.".into());
    }
    let before = &events[..index];
    let is_message_end = |e: &Event| {
        matches!(e, Event::LineReceived { line: ClientLine::DataEnd, .. }) || matches!(e, Event::LineReceived { line: ClientLine::Chunk, raw, .. } if raw.contains("LAST"))
    };
    let (moment, count, what) = match before.last() {
        Some(Event::Connected { .. }) => (Moment::Greeting, before.iter().filter(|e| matches!(e, Event::Connected { .. })).count(), "the greeting".to_string()),
        Some(Event::LineReceived { line: ClientLine::Command { parsed }, .. }) => {
            let count = before.iter().filter(|e| matches!(e, Event::LineReceived { line: ClientLine::Command { .. }, .. })).count();
            let verb = match &**parsed {
                Ok(p) => Some(p.command.verb()),
                Err(e) => e.verb,
            };
            // A line that is no command is named by its place, not by its (maybe unprintable) text.
            let what = verb.map_or_else(|| format!("line {count}"), |v| v.name().to_string());
            (Moment::Line, count, what)
        }
        Some(e) if is_message_end(e) => (Moment::Message, before.iter().filter(|e| is_message_end(e)).count(), "the message".to_string()),
        _ => return Err("A what-if branch starts at the reply to a command, the greeting or a message's end; this reply answers something else.".into()),
    };
    let nth = u32::try_from(count).map_err(|_| "The session is too long to branch.".to_string())?;
    Ok((Trigger { moment, nth: Some(nth), across_sessions: true, address: None, after_messages: None }, what))
}

/// The branch of `session` at its event `index` (a reply), answered `reply` instead.
pub fn branch_at(session: &SimulatedSession, index: usize, reply: &Reply) -> Result<(SimulatedSession, String), String> {
    let (when, what) = trigger_for(&session.console.events, index)?;
    let text = reply.lines.first().cloned().unwrap_or_default();
    let then = Action::Reply { code: reply.code, enhanced: reply.enhanced, text, close: false };
    let rule = FaultRule::new(when, then, true);
    rule.check().map_err(|e| e.to_string())?;
    let label = format!("{what} answered {}", rule.then);
    let mut log = session.log.clone();
    for input in &mut log {
        if let Input::Start { config, .. } | Input::Configure { config } = input {
            if config.policy.faults.len() >= MAX_RULES {
                return Err(format!("A session holds at most {MAX_RULES} rules and what-ifs."));
            }
            config.policy.faults.insert(0, rule.clone());
        }
    }
    // Replayed until the chosen reply has been given: the branch goes on from there.
    let Some((first, rest)) = log.split_first() else { return Err("The session has no start.".into()) };
    let mut branch = SimulatedSession::replay(std::slice::from_ref(first)).ok_or("The session has no start.")?;
    for input in rest {
        if branch.console.events.len() > index {
            break;
        }
        branch.apply(input.clone());
    }
    Ok((branch, label))
}

/// The inputs that replay a session known only by its events (a real server's, a watched
/// client's) against the simulator configured as `config`: each line the client sent, at its
/// time; a new connection for each connection; the client's hanging up.
pub fn log_from_events(events: &[Event], config: smtp_protocol::ServerConfig) -> Result<Vec<Input>, String> {
    let start = events.first().map(|e| e.at().0).unwrap_or_default();
    let mut log = vec![Input::Start { at: start, config }];
    let mut connections = 0;
    for event in events {
        match event {
            Event::Connected { at, .. } => {
                connections += 1;
                if connections > 1 {
                    log.push(Input::Reconnect { at: at.0 });
                }
            }
            Event::LineReceived { line: ClientLine::Chunk, .. } => {
                return Err("This session sent BDAT chunks, whose content the record does not keep: it cannot be replayed.".into());
            }
            Event::LineReceived { line: ClientLine::TooLong { .. }, .. } => {
                return Err("This session sent a line longer than the server's limit, which the record does not keep: it cannot be replayed.".into());
            }
            // Content lines keep their line end in the record; commands are said with theirs.
            Event::LineReceived { at, raw, line: ClientLine::Data | ClientLine::DataEnd, .. } if raw.ends_with('\n') => log.push(Input::Send { at: at.0, text: raw.to_string() }),
            Event::LineReceived { at, raw, bare_lf, .. } => log.push(Input::Send { at: at.0, text: format!("{raw}{}", if *bare_lf { "\n" } else { "\r\n" }) }),
            Event::Closed { at, by: smtp_protocol::event::Closer::Client, .. } => log.push(Input::Disconnect { at: at.0 }),
            _ => {}
        }
    }
    Ok(log)
}

/// The event index of the `ordinal`th reply (0-based) in `events`.
pub fn reply_index(events: &[Event], ordinal: usize) -> Option<usize> {
    events.iter().enumerate().filter(|(_, e)| matches!(e, Event::ReplySent { .. })).nth(ordinal).map(|(i, _)| i)
}

/// The usual replies to offer for a reply: the codes RFC 5321 4.3.2 lists for what it answers.
pub fn usual_replies(verb: Option<&str>) -> Vec<&'static str> {
    match verb.map(str::to_ascii_uppercase).as_deref() {
        Some("RCPT") => vec![
            "250 2.1.5 Ok",
            "452 4.2.2 Mailbox full",
            "450 4.2.1 Mailbox busy, try again later",
            "451 4.3.0 Local error in processing",
            "550 5.1.1 User unknown",
            "552 5.2.2 Mailbox full",
            "554 5.7.1 Relay access denied",
            "421 4.3.2 Service shutting down",
        ],
        Some("MAIL") => vec![
            "250 2.1.0 Ok",
            "451 4.3.0 Local error in processing",
            "452 4.3.1 Insufficient system storage",
            "550 5.7.1 Sender rejected",
            "552 5.3.4 Message size exceeds fixed limit",
            "421 4.3.2 Service shutting down",
        ],
        Some("DATA") => vec!["354 End data with <CR><LF>.<CR><LF>", "451 4.3.0 Local error in processing", "554 5.5.1 No valid recipients", "421 4.3.2 Service shutting down"],
        Some("EHLO" | "HELO") => vec!["250 Hello", "421 4.3.2 Service shutting down", "550 5.7.1 Access denied", "501 5.5.2 Syntax error"],
        _ => vec![
            "250 2.0.0 Ok",
            "421 4.3.2 Service shutting down",
            "451 4.3.0 Local error in processing",
            "452 4.3.1 Insufficient system storage",
            "550 5.7.1 Refused",
            "554 5.7.1 Transaction failed",
        ],
    }
}

/// The parent's and the branch's transcripts line by line, with whether each pair differs.
pub fn compare(parent: &str, branch: &str) -> Vec<(String, String, bool)> {
    let (a, b): (Vec<&str>, Vec<&str>) = (parent.lines().collect(), branch.lines().collect());
    (0..a.len().max(b.len()))
        .map(|i| {
            let (x, y) = (a.get(i).copied().unwrap_or_default(), b.get(i).copied().unwrap_or_default());
            (x.to_string(), y.to_string(), x != y)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use smtp_protocol::{ProfileName, ServerConfig};

    fn session() -> SimulatedSession {
        let mut s = SimulatedSession::new(ServerConfig::new(ProfileName::Postfix), 1_000);
        for line in ["HELO c.example", "MAIL FROM:<a@b.example>", "RCPT TO:<bob@playground.test>", "RCPT TO:<carol@playground.test>"] {
            s.send(&format!("{line}\r\n"), 2_000);
        }
        s
    }

    #[test]
    fn a_branch_replaces_one_reply_and_goes_on_from_there() {
        let original = session();
        // Replies: greeting, HELO, MAIL, RCPT, RCPT: the fifth (index 4) is the second RCPT's.
        let index = reply_index(&original.console.events, 4).unwrap();
        let (mut branch, label) = branch_at(&original, index, &parse_reply("452 4.2.2 Mailbox full").unwrap()).unwrap();
        assert_eq!(label, "RCPT answered 452 4.2.2 Mailbox full");
        branch.send("DATA\r\n", 3_000);
        let text = branch.console.transcript();
        assert!(text.contains("S: 452 4.2.2 Mailbox full"), "{text}");
        assert!(text.contains("S: 354"), "DATA goes on: {text}");
        assert_eq!(branch.envelope().recipients.len(), 1, "one recipient in the branch");
        assert_eq!(original.envelope().recipients.len(), 2, "the original is unchanged");
        // A branch of the branch, and its log replays it exactly.
        let again = SimulatedSession::replay(&branch.log).unwrap();
        assert_eq!(again.console.transcript(), text);
        let rows = compare(&original.console.transcript(), &text);
        assert!(rows.iter().any(|(a, b, differs)| *differs && a.contains("250 2.1.5") && b.contains("452")), "{rows:?}");
        let index = reply_index(&branch.console.events, 5).unwrap();
        let (nested, _) = branch_at(&branch, index, &parse_reply("554 5.5.1 No valid recipients").unwrap()).unwrap();
        assert!(nested.console.transcript().ends_with("S: 554 5.5.1 No valid recipients\n"), "{}", nested.console.transcript());
    }

    #[test]
    fn a_session_known_by_its_events_replays_against_the_simulator() {
        let mut original = session();
        // Message lines and bare line feeds come back as they were sent.
        original.send("DATA\r\nSubject: x\r\n\r\nhello\n.\r\nNOOP\n", 3_000);
        let log = log_from_events(&original.console.events, original.config().clone()).unwrap();
        let replayed = SimulatedSession::replay(&log).unwrap();
        assert_eq!(replayed.console.transcript(), original.console.transcript());
    }

    #[test]
    fn a_typed_reply_is_read_or_refused_with_its_column() {
        assert_eq!(parse_reply("452 4.2.2 Mailbox full").unwrap().code, 452);
        let error = parse_reply("452 5.2.2 Full").unwrap_err();
        assert!(error.contains("column 5"), "{error}");
        assert!(parse_reply("hello").is_err());
    }
}
