//! What each client command does, its syntax, and what may follow it.

use super::RfcRef;
use crate::command::Verb;
use serde::Serialize;

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CommandNote {
    pub verb: &'static str,
    pub syntax: &'static str,
    pub purpose: &'static str,
    pub next: &'static str,
    pub rfc: RfcRef,
}

pub fn command_note(verb: Verb) -> CommandNote {
    let (purpose, next, rfc, section) = match verb {
        Verb::Helo => ("Introduces the client by host name and opens a plain SMTP session (no extensions).", "MAIL FROM", 5321, "4.1.1.1"),
        Verb::Ehlo => ("Introduces the client and asks for the server's extensions (ESMTP): SIZE, PIPELINING, STARTTLS, AUTH ...", "MAIL FROM, STARTTLS or AUTH", 5321, "4.1.1.1"),
        Verb::Mail => ("Starts a mail transaction and gives the envelope sender, where bounces go. <> is the null sender of bounces.", "RCPT TO", 5321, "4.1.1.2"),
        Verb::Rcpt => ("Adds one envelope recipient; repeat for each. Only these addresses receive the mail, whatever the header says.", "more RCPT TO, or DATA", 5321, "4.1.1.3"),
        Verb::Data => (
            "Asks to send the message itself. After 354: header lines, an empty line, the body, and a line with a single dot.",
            "the message, then a line with \".\"",
            5321,
            "4.1.1.4",
        ),
        Verb::Bdat => ("Sends the message in chunks of an exact size (CHUNKING): no dot-stuffing, the last chunk marked LAST.", "the chunk's octets, then more BDAT", 3030, "2"),
        Verb::Rset => ("Abandons the current transaction; sender and recipients are forgotten.", "MAIL FROM", 5321, "4.1.1.5"),
        Verb::Noop => ("Does nothing; the server answers 250. Keeps a connection alive.", "anything", 5321, "4.1.1.9"),
        Verb::Quit => ("Ends the session; the server answers 221 and closes the connection.", "nothing: the connection closes", 5321, "4.1.1.10"),
        Verb::Etrn => (
            "Asks the server to start delivering the mail it holds for a domain (for sites that are online only now and then). Most servers refuse it or do not offer it.",
            "anything",
            1985,
            "3",
        ),
        Verb::Vrfy => ("Asks whether a user exists. Often disabled or answered with 252, since it lets anyone list accounts.", "anything", 5321, "4.1.1.6"),
        Verb::Expn => ("Asks for the members of a mailing list. Almost always disabled.", "anything", 5321, "4.1.1.7"),
        Verb::Help => ("Asks for human-readable help.", "anything", 5321, "4.1.1.8"),
        Verb::Auth => {
            ("Authenticates with a SASL mechanism: PLAIN sends base64 of \\0user\\0password, LOGIN answers two 334 prompts.", "base64 answers to 334, then MAIL FROM", 4954, "4")
        }
        Verb::StartTls => ("Upgrades the connection to TLS. Afterwards the session starts over and the client must send EHLO again.", "the TLS handshake, then EHLO", 3207, "4"),
        // Not in any RFC: the z/OS SMTP server's own (IBM, z/OS Communications Server: IP
        // User's Guide and Commands). RFC 5321 4.1.5 is where non-standard verbs stand.
        Verb::Queu => (
            "The z/OS SMTP server's own: lists the mail it holds for delivery (spool, active, queued, retry and undeliverable queues); QUEU DATE adds each piece's age. Not in RFC 5321: other servers do not know it.",
            "anything",
            5321,
            "4.1.5",
        ),
        Verb::Tick => (
            "The z/OS SMTP server's own, from batch SMTP: writes an identifier (a ticket) into the batch response data set, so that replies can be matched to the commands of one batch. Over TCP it is only acknowledged.",
            "anything",
            5321,
            "4.1.5",
        ),
        Verb::Verb => (
            "Verbose mode on or off (z/OS SMTP, and old sendmail). On z/OS, verbose batch SMTP mails the response data set back to its origin: VERB ON can cause spool problems when the reply-to user is not a valid NJE node.user.",
            "anything",
            5321,
            "4.1.5",
        ),
    };
    CommandNote { verb: verb.name(), syntax: verb.syntax(), purpose, next, rfc: RfcRef { rfc, section } }
}
