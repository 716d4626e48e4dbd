//! Profile diff: the session replayed against another server profile, reply by reply beside the
//! original, each with its explanation, so that what differs (and why) reads in one table.

use super::branch::log_from_events;
use super::console::ConsoleLog;
use super::entry::{EntryKind, shown_line};
use super::simulated::SimulatedSession;
use smtp_protocol::{ProfileName, ServerConfig};

/// One reply as the comparison shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReplyView {
    pub text: String,
    pub code: u16,
    pub headline: String,
    pub why: String,
}

/// The replies of both servers to one client line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DiffRow {
    /// The client line the reply answers (`(connection)` for a greeting).
    pub answers: String,
    pub left: Option<ReplyView>,
    pub right: Option<ReplyView>,
    /// The replies' words differ.
    pub differs: bool,
    /// Their codes differ: one server accepted what the other refused, or the reverse.
    pub code_differs: bool,
}

/// Each reply of a console, with the line it answers.
fn replies(console: &ConsoleLog) -> Vec<(String, ReplyView)> {
    let mut out = Vec::new();
    let mut last = "(connection)".to_string();
    for entry in &console.entries {
        match &entry.kind {
            EntryKind::Command { text, .. } => last = shown_line(text, false).into_owned(),
            EntryKind::AuthAnswer { text, secret, .. } => last = shown_line(text, *secret).into_owned(),
            EntryKind::Data { text, end: true } => last = format!("{text} (end of message)"),
            EntryKind::Notice { text, .. } if text.starts_with("Connected") => last = "(connection)".into(),
            EntryKind::Reply { reply, explanation, .. } => {
                let view =
                    ReplyView { text: reply.to_wire().trim_end().replace("\r\n", "\n"), code: reply.code, headline: explanation.headline.clone(), why: explanation.why.clone() };
                out.push((last.clone(), view));
            }
            _ => {}
        }
    }
    out
}

/// The session in `console` replayed against `other`'s default settings, reply by reply.
pub fn profile_diff(console: &ConsoleLog, other: ProfileName) -> Result<Vec<DiffRow>, String> {
    let log = log_from_events(&console.events, ServerConfig::new(other))?;
    let replayed = SimulatedSession::replay(&log).ok_or("The session has no start.")?;
    let (left, right) = (replies(console), replies(&replayed.console));
    let rows = (0..left.len().max(right.len()))
        .map(|i| {
            let (a, b) = (left.get(i), right.get(i));
            let answers = a.or(b).map(|(line, _)| line.clone()).unwrap_or_default();
            let (a, b) = (a.map(|(_, v)| v.clone()), b.map(|(_, v)| v.clone()));
            let differs = a.as_ref().map(|v| &v.text) != b.as_ref().map(|v| &v.text);
            let code_differs = a.as_ref().map(|v| v.code) != b.as_ref().map(|v| v.code);
            DiffRow { answers, left: a, right: b, differs, code_differs }
        })
        .collect();
    Ok(rows)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The course's first lab session, typed into the Postfix profile.
    fn course_session() -> SimulatedSession {
        let mut s = SimulatedSession::new(ServerConfig::new(ProfileName::Postfix), 1_000);
        let lines = ["HELO student.example", "MAIL FROM:<student@playground.test>", "RCPT TO:<bob@playground.test>", "DATA", "Subject: lab", "", "Hello Bob.", ".", "QUIT"];
        for (i, line) in lines.iter().enumerate() {
            s.send(&format!("{line}\r\n"), 2_000 + i as u64 * 1_000);
        }
        s
    }

    #[test]
    fn postfix_and_exchange_differ_in_words_and_each_reply_is_explained() {
        let rows = profile_diff(&course_session().console, ProfileName::Exchange).unwrap();
        assert_eq!(rows.len(), 7, "greeting, HELO, MAIL, RCPT, DATA, the message, QUIT: {rows:#?}");
        let data = rows.iter().find(|r| r.answers == "DATA").unwrap();
        assert!(data.differs && !data.code_differs, "{data:?}");
        assert_eq!(data.left.as_ref().unwrap().text, "354 End data with <CR><LF>.<CR><LF>");
        assert_eq!(data.right.as_ref().unwrap().text, "354 Start mail input; end with <CRLF>.<CRLF>");
        assert!(!data.left.as_ref().unwrap().why.is_empty() && !data.right.as_ref().unwrap().why.is_empty());
        let end = rows.iter().find(|r| r.answers == ". (end of message)").unwrap();
        assert!(end.right.as_ref().unwrap().text.starts_with("250 2.6.0 <"), "{end:?}");
    }

    #[test]
    fn the_mainframe_refuses_ehlo_where_postfix_lists_extensions() {
        let mut s = SimulatedSession::new(ServerConfig::new(ProfileName::Postfix), 1_000);
        s.send("EHLO student.example\r\nQUEU\r\n", 2_000);
        let rows = profile_diff(&s.console, ProfileName::Zos).unwrap();
        let ehlo = rows.iter().find(|r| r.answers == "EHLO student.example").unwrap();
        assert!(ehlo.code_differs);
        assert_eq!(ehlo.right.as_ref().unwrap().text, "500 Command unrecognized: \"EHLO\"");
        let queu = rows.iter().find(|r| r.answers == "QUEU").unwrap();
        assert!(queu.left.as_ref().unwrap().text.starts_with("500 5.5.2"), "Postfix does not know QUEU");
        assert!(queu.right.as_ref().unwrap().text.starts_with("250-Queues on"), "z/OS does");
    }

    #[test]
    fn the_smuggling_session_is_two_messages_for_postfix_and_one_for_exchange() {
        let mut s = SimulatedSession::new(ServerConfig::new(ProfileName::Postfix), 1_000);
        s.send("EHLO a.example\r\nMAIL FROM:<a@a.example>\r\nRCPT TO:<bob@playground.test>\r\nDATA\r\n", 2_000);
        s.send("hello\n.\r\nMAIL FROM:<ceo@playground.test>\r\n", 3_000);
        let rows = profile_diff(&s.console, ProfileName::Exchange).unwrap();
        assert!(rows.iter().any(|r| r.answers == "MAIL FROM:<ceo@playground.test>" && r.right.is_none()), "{rows:#?}");
        assert_eq!(s.messages().len(), 1, "Postfix ended the message at the bare LF");
    }
}
