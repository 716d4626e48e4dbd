//! Which replies each command may get: RFC 5321 4.3.2, with the extension RFCs (AUTH 4954,
//! STARTTLS 3207, BDAT 3030). The simulator's replies must be in it (a test checks); replies of a
//! real server through the bridge are marked expected or unexpected with it.

use crate::command::Verb;
use serde::Serialize;

/// Codes RFC 5321 4.3.2 allows for any command "if the corresponding unusual circumstances are
/// encountered" (plus 530/538 which RFC 4954 allows for any command AUTH guards).
const ANY_COMMAND: &[u16] = &[421, 500, 501, 502, 503, 530, 538];

/// (command, success codes, error codes). `None` is the connection greeting.
const TABLE: &[(Option<Verb>, &[u16], &[u16])] = &[
    (None, &[220], &[554]),
    (Some(Verb::Helo), &[250], &[504, 550, 502]),
    (Some(Verb::Ehlo), &[250], &[504, 550, 502]),
    (Some(Verb::Mail), &[250], &[552, 451, 452, 550, 553, 503, 455, 555]),
    (Some(Verb::Rcpt), &[250, 251], &[550, 551, 552, 553, 450, 451, 452, 503, 455, 555]),
    // DATA: 354, then after the content 250 or 552, 554, 451, 452, 450, 550.
    (Some(Verb::Data), &[354, 250], &[552, 554, 451, 452, 450, 550, 503]),
    (Some(Verb::Bdat), &[250], &[552, 554, 451, 452, 450, 550, 503]),
    (Some(Verb::Rset), &[250], &[]),
    (Some(Verb::Vrfy), &[250, 251, 252], &[550, 551, 553, 502, 504]),
    (Some(Verb::Expn), &[250, 252], &[550, 500, 502, 504]),
    (Some(Verb::Help), &[211, 214], &[502, 504]),
    (Some(Verb::Noop), &[250], &[]),
    (Some(Verb::Quit), &[221], &[]),
    // RFC 1985 3: 250 to 253 when delivery starts or nothing waits, 458 and 459 when refused.
    (Some(Verb::Etrn), &[250, 251, 252, 253], &[458, 459, 500, 501]),
    (Some(Verb::Auth), &[235, 334], &[432, 454, 500, 501, 503, 504, 534, 535, 538]),
    (Some(Verb::StartTls), &[220], &[454, 501, 554]),
    // The z/OS SMTP server's own commands: IBM documents 250 for each.
    (Some(Verb::Queu), &[250], &[]),
    (Some(Verb::Tick), &[250], &[]),
    (Some(Verb::Verb), &[250], &[]),
];

/// Replies real servers send that the table does not list, known and named.
const KNOWN_DEVIATIONS: &[(Verb, u16, &str)] =
    &[(Verb::Rcpt, 554, "RFC 5321 4.3.2 does not list 554 for RCPT, but Postfix answers 554 5.7.1 to a relay attempt; clients treat it as a permanent failure")];

/// Postfix's answer to a mail header or a web request typed as a command.
const NON_SMTP_HANGUP: &str = "RFC 5321 lists no 221 for a line that is not a command, but Postfix answers 221 2.7.0 and hangs up when a header line (Subject:, From: ...) or an HTTP request reaches its command prompt: a broken client or an attack";

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "expectation", rename_all = "snake_case")]
pub enum Expectation {
    /// Listed for the command as a success or intermediate reply.
    Success,
    /// Listed for the command as an error reply.
    Error,
    /// Allowed for any command in unusual circumstances (RFC 5321 4.3.2).
    AnyCommand,
    /// Not in the table, but a known habit of a real server.
    KnownDeviation { note: &'static str },
    /// Not in the table for this command.
    Unexpected,
    /// The command is unknown, so there is nothing to compare with.
    NoCommand,
}

/// What a reply answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum Answering {
    /// The connection itself: the greeting, or a reply without a command (a timeout).
    Connection,
    Command(Verb),
    /// The message content, after its final dot (RFC 5321 lists these replies under DATA).
    MessageContent,
    /// A line that is not a known command.
    Unrecognized,
}

/// How `code` fits the replies RFC 5321 4.3.2 lists for what it answers.
pub fn expectation(answering: Answering, code: u16) -> Expectation {
    let verb = match answering {
        Answering::Unrecognized => {
            return match code {
                421 | 500 | 501 | 502 | 503 | 530 => Expectation::NoCommand,
                221 => Expectation::KnownDeviation { note: NON_SMTP_HANGUP },
                _ => Expectation::Unexpected,
            };
        }
        Answering::Connection => None,
        Answering::Command(verb) => Some(verb),
        Answering::MessageContent => Some(Verb::Data),
    };
    if let Some((_, success, error)) = TABLE.iter().find(|(v, _, _)| *v == verb) {
        if success.contains(&code) {
            return Expectation::Success;
        }
        if error.contains(&code) {
            return Expectation::Error;
        }
    }
    if let Some(verb) = verb
        && let Some((_, _, note)) = KNOWN_DEVIATIONS.iter().find(|(v, c, _)| *v == verb && *c == code)
    {
        return Expectation::KnownDeviation { note };
    }
    if verb.is_some() && ANY_COMMAND.contains(&code) {
        return Expectation::AnyCommand;
    }
    if verb.is_none() && code == 421 {
        return Expectation::AnyCommand;
    }
    Expectation::Unexpected
}

/// The table itself, for the reference page: (command name, success codes, error codes).
pub fn table() -> Vec<(&'static str, &'static [u16], &'static [u16])> {
    TABLE.iter().map(|(verb, s, e)| (verb.map(Verb::name).unwrap_or("(connection)"), *s, *e)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_lookups() {
        let command = Answering::Command;
        assert_eq!(expectation(command(Verb::Rcpt), 250), Expectation::Success);
        assert_eq!(expectation(command(Verb::Rcpt), 550), Expectation::Error);
        assert_eq!(expectation(command(Verb::Rset), 503), Expectation::AnyCommand);
        assert!(matches!(expectation(command(Verb::Rcpt), 554), Expectation::KnownDeviation { .. }));
        assert_eq!(expectation(command(Verb::Quit), 354), Expectation::Unexpected);
        assert_eq!(expectation(Answering::Connection, 220), Expectation::Success);
        assert_eq!(expectation(Answering::Connection, 421), Expectation::AnyCommand);
        assert_eq!(expectation(Answering::Unrecognized, 500), Expectation::NoCommand);
        assert_eq!(expectation(Answering::Unrecognized, 250), Expectation::Unexpected);
    }
}
