//! Meanings of reply classes, reply codes (RFC 5321 4.2) and enhanced status codes (RFC 3463
//! and the IANA registry of RFC 5248), as data.

use crate::reply::{EnhancedCode, ReplyClass};

pub fn class_name(class: ReplyClass) -> &'static str {
    match class {
        ReplyClass::Completed => "2xx: success",
        ReplyClass::Intermediate => "3xx: more input expected",
        ReplyClass::TransientFailure => "4xx: temporary failure",
        ReplyClass::PermanentFailure => "5xx: permanent failure",
        ReplyClass::Unknown => "not an SMTP reply class",
    }
}

pub fn class_meaning(class: ReplyClass) -> &'static str {
    match class {
        ReplyClass::Completed => "The server did what was asked. The client may send its next command.",
        ReplyClass::Intermediate => "The server accepted the command so far and waits for more: the message after 354, a base64 answer after 334.",
        ReplyClass::TransientFailure => "Not done now, but the same request may succeed later: a client queues the mail and retries.",
        ReplyClass::PermanentFailure => "Not done, and sending the same command again will not help: something in it must change.",
        ReplyClass::Unknown => "SMTP replies start with 2, 3, 4 or 5 (RFC 5321 4.2.1).",
    }
}

/// The meaning of a three-digit code (RFC 5321 4.2.2 and 4.2.3, RFC 4954, RFC 3207).
pub fn code_meaning(code: u16) -> &'static str {
    match code {
        211 => "System status, or system help reply",
        214 => "Help message, for a human reader",
        220 => "Service ready (or, after STARTTLS, ready to start TLS)",
        221 => "Service closing transmission channel",
        235 => "Authentication successful (RFC 4954)",
        250 => "Requested mail action okay, completed",
        251 => "User not local; will forward",
        252 => "Cannot verify the user, but will accept the message and attempt delivery",
        334 => "Server challenge in an AUTH exchange: base64 text, answered with one base64 line (RFC 4954)",
        354 => "Start mail input; end with <CRLF>.<CRLF>",
        421 => "Service not available, closing transmission channel",
        432 => "A password transition is needed (RFC 4954)",
        450 => "Requested mail action not taken: mailbox unavailable (e.g. busy or temporarily blocked)",
        451 => "Requested action aborted: local error in processing",
        452 => "Requested action not taken: insufficient system storage",
        454 => "Temporary authentication failure, or TLS not available now",
        455 => "Server unable to accommodate parameters",
        500 => "Syntax error, command unrecognized (or command line too long)",
        501 => "Syntax error in parameters or arguments",
        502 => "Command not implemented",
        503 => "Bad sequence of commands",
        504 => "Command parameter not implemented",
        530 => "Authentication required (RFC 4954)",
        534 => "Authentication mechanism is too weak (RFC 4954)",
        535 => "Authentication credentials invalid (RFC 4954)",
        538 => "Encryption required for requested authentication mechanism (RFC 4954)",
        550 => "Requested action not taken: mailbox unavailable (not found, no access, or refused by policy)",
        551 => "User not local; please try <forward-path>",
        552 => "Requested mail action aborted: exceeded storage allocation",
        553 => "Requested action not taken: mailbox name not allowed (e.g. address syntax)",
        554 => "Transaction failed (or, as a greeting, no SMTP service here)",
        555 => "MAIL FROM/RCPT TO parameters not recognized or not implemented",
        _ => match code / 10 % 10 {
            0 => "Not a code RFC 5321 lists; its second digit 0 means a syntax matter",
            1 => "Not a code RFC 5321 lists; its second digit 1 means information",
            2 => "Not a code RFC 5321 lists; its second digit 2 means the connection",
            5 => "Not a code RFC 5321 lists; its second digit 5 means the mail system",
            _ => "Not a code RFC 5321 lists; read it by its class",
        },
    }
}

pub fn enhanced_class(class: u8) -> &'static str {
    match class {
        2 => "Success",
        4 => "Persistent transient failure: may succeed if retried",
        5 => "Permanent failure: will not succeed as it is",
        _ => "Invalid class",
    }
}

pub fn enhanced_subject(subject: u16) -> &'static str {
    match subject {
        0 => "Other or undefined status",
        1 => "Addressing status (the addresses)",
        2 => "Mailbox status (the recipient's mailbox)",
        3 => "Mail system status (the receiving system)",
        4 => "Network and routing status",
        5 => "Mail delivery protocol status (the SMTP conversation itself)",
        6 => "Message content or media status",
        7 => "Security or policy status",
        _ => "Unregistered subject",
    }
}

/// The registered meaning of `subject.detail` (class-independent), or a vendor's known use.
pub fn enhanced_detail(code: EnhancedCode) -> &'static str {
    match (code.subject, code.detail) {
        (0, 0) => "Other undefined status",
        (1, 0) => "Other address status",
        (1, 1) => "Bad destination mailbox address: the user does not exist",
        (1, 2) => "Bad destination system address",
        (1, 3) => "Bad destination mailbox address syntax",
        (1, 4) => "Destination mailbox address ambiguous",
        (1, 5) => "Destination address valid",
        (1, 6) => "Destination mailbox has moved, no forwarding address",
        (1, 7) => "Bad sender's mailbox address syntax",
        (1, 8) => "Bad sender's system address",
        (1, 10) => "Recipient address has null MX (RFC 7505); Microsoft also uses it for 'recipient not found'",
        (2, 0) => "Other or undefined mailbox status",
        (2, 1) => "Mailbox disabled, not accepting messages",
        (2, 2) => "Mailbox full",
        (2, 3) => "Message length exceeds administrative limit",
        (2, 4) => "Mailing list expansion problem",
        (3, 0) => "Other or undefined mail system status",
        (3, 1) => "Mail system full",
        (3, 2) => "System not accepting network messages",
        (3, 3) => "System not capable of selected features",
        (3, 4) => "Message too big for system",
        (3, 5) => "System incorrectly configured",
        (4, 0) => "Other or undefined network or routing status",
        (4, 1) => "No answer from host",
        (4, 2) => "Bad connection",
        (4, 3) => "Directory server failure",
        (4, 4) => "Unable to route",
        (4, 5) => "Mail system congestion",
        (4, 6) => "Routing loop detected",
        (4, 7) => "Delivery time expired",
        (5, 0) => "Other or undefined protocol status",
        (5, 1) => "Invalid command",
        (5, 2) => "Syntax error",
        (5, 3) => "Too many recipients",
        (5, 4) => "Invalid command arguments",
        (5, 5) => "Wrong protocol version",
        (5, 6) => "Authentication exchange line is too long",
        (6, 0) => "Other or undefined media error",
        (6, 1) => "Media not supported",
        (6, 2) => "Conversion required and prohibited",
        (6, 3) => "Conversion required but not supported",
        (6, 4) => "Conversion with loss performed",
        (6, 5) => "Conversion failed",
        (6, 6) => "Message content not available",
        (6, 7) => "Non-ASCII addresses not permitted for that sender/recipient (RFC 6531)",
        (6, 8) => "UTF-8 string reply is required, but not permitted by the client",
        (6, 9) => "UTF-8 header message cannot be transferred to one or more recipients",
        (7, 0) => "Other or undefined security status",
        (7, 1) => "Delivery not authorized, message refused",
        (7, 2) => "Mailing list expansion prohibited",
        (7, 3) => "Security conversion required but not possible",
        (7, 4) => "Security features not supported",
        (7, 5) => "Cryptographic failure",
        (7, 6) => "Cryptographic algorithm not supported",
        (7, 7) => "Message integrity failure",
        (7, 8) => "Authentication credentials invalid",
        (7, 9) => "Authentication mechanism is too weak",
        (7, 10) => "Encryption needed",
        (7, 11) => "Encryption required for requested authentication mechanism",
        (7, 12) => "A password transition is needed",
        (7, 13) => "User account disabled",
        (7, 14) => "Trust relationship required",
        (7, 20) => "No passing DKIM signature found",
        (7, 23) => "SPF validation failed",
        (7, 25) => "Reverse DNS validation failed",
        (7, 26) => "Multiple authentication checks failed",
        (7, 27) => "Sender address has null MX",
        (7, 28) => "Mail flood detected",
        (7, 30) => "REQUIRETLS support required",
        (7, 54) => "Not registered; Microsoft uses it for 'unable to relay recipient in non-accepted domain'",
        (7, 57) => "Not registered; Microsoft uses it for 'client not authenticated to send mail'",
        _ => "Not in the IANA registry of enhanced status codes; read it by class and subject",
    }
}
