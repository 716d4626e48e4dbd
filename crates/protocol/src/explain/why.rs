//! "Why this reply here": one sentence per [`Situation`], tied to what the client just did, and
//! the RFC section that governs it. The match has no wildcard: a new situation does not compile
//! until it is explained.

use super::{RfcRef, WhyContext};
use crate::command::Verb;
use crate::profile::ServerPolicy;
use crate::situation::Situation;

const fn rfc(number: u16, section: &'static str) -> RfcRef {
    RfcRef { rfc: number, section }
}

pub(super) fn why(situation: Situation, ctx: &WhyContext<'_>) -> (String, RfcRef) {
    use Situation::*;
    let addr = ctx.address.unwrap_or("the address");
    let policy = ctx.policy;
    let profile = ctx.server;
    let error = ctx.error.map(|e| e.describe()).unwrap_or_default();
    let (text, reference) = match situation {
        Greeting => (
            "The server accepted the TCP connection and greets first; a client waits for this 220 before saying anything. Next: HELO or, better, EHLO with your host name.".to_string(),
            rfc(5321, "4.3.1"),
        ),
        HeloAccepted => ("HELO opened a plain SMTP session: the server named itself but lists no extensions. Use EHLO to see what it supports. Next: MAIL FROM.".into(), rfc(5321, "4.1.1.1")),
        EhloAccepted => (
            "EHLO opened an ESMTP session: the first line names the server, each further line is an extension it supports (SIZE, PIPELINING, STARTTLS, AUTH ...). Next: MAIL FROM, or STARTTLS/AUTH if you need them.".into(),
            rfc(5321, "4.1.1.1"),
        ),
        SenderAccepted => (
            "MAIL FROM started a new transaction with this envelope sender (where bounces go). It need not match the From: header. Next: one RCPT TO per recipient.".into(),
            rfc(5321, "4.1.1.2"),
        ),
        RecipientAccepted => (format!("The server will deliver to {addr}. Add more RCPT TO lines for more recipients, or send DATA to give the message."), rfc(5321, "4.1.1.3")),
        StartMailInput => (
            "The server now reads the message itself: header lines, an empty line, the body. End it with a line holding only a dot. A body line that starts with a dot must be sent with the dot doubled.".into(),
            rfc(5321, "4.1.1.4"),
        ),
        MessageQueued => (
            "The line with a single dot ended the message and the server took responsibility for delivering it: the id is its queue id, useful in the server's logs. The transaction is over; MAIL FROM starts another.".into(),
            rfc(5321, "4.1.1.4"),
        ),
        ChunkAccepted => ("BDAT sent a chunk of exactly the announced size; no dot-stuffing and no end marker are needed. Send more chunks, the final one with LAST.".into(), rfc(3030, "2")),
        LastChunkQueued => ("The chunk marked LAST completed the message and the server queued it. The transaction is over.".into(), rfc(3030, "2")),
        ResetDone => ("RSET abandoned the transaction: sender and recipients are forgotten, but you stay greeted (no new EHLO needed).".into(), rfc(5321, "4.1.1.5")),
        NoopDone => ("NOOP does nothing but get a 250: clients use it to keep a connection alive or to check that the server still answers.".into(), rfc(5321, "4.1.1.9")),
        Closing => ("QUIT ends the session politely: the server answers 221 and closes the connection.".into(), rfc(5321, "4.1.1.10")),
        HelpText => ("HELP returns text for humans (214). Its content is not standardised.".into(), rfc(5321, "4.1.1.8")),
        VrfyAmbiguous => (
            "This server will not say whether the user exists: 252 means 'cannot verify, but send mail and I will try'. Disclosing valid users would let spammers harvest addresses.".into(),
            rfc(5321, "3.5.3"),
        ),
        VrfyKnown => (format!("VRFY confirmed that {addr} is a local user. Answering truthfully lets anyone enumerate accounts, which is why many servers disable VRFY."), rfc(5321, "3.5.1")),
        VrfyUnknown => (format!("VRFY revealed that {addr} is not a local user: an attacker can list valid accounts this way (account enumeration)."), rfc(5321, "3.5.1")),
        VrfyDisabled => ("The administrator disabled VRFY so that nobody can check which accounts exist.".into(), rfc(5321, "7.3")),
        ExpnDisabled => ("EXPN would list the members of a mailing list; servers disable it for the same reason as VRFY: it discloses addresses.".into(), rfc(5321, "7.3")),
        TlsReady => (
            "The server is ready for the TLS handshake. From here the connection is encrypted, and the session starts over: the client must send EHLO again, and the extension list may change (AUTH often appears only now).".into(),
            rfc(3207, "4"),
        ),
        TlsUnavailable => ("This server is configured without TLS, so it cannot honour STARTTLS.".into(), rfc(3207, "4")),
        TlsAlreadyActive => ("The connection is already encrypted; STARTTLS may be given only once.".into(), rfc(3207, "4.2")),
        AuthUsernamePrompt => ("AUTH LOGIN started. The 334 text is base64 for 'Username:'. Answer with your user name in base64 (the Reference tab has an encoder), or * to cancel.".into(), rfc(4954, "4")),
        AuthPasswordPrompt => ("The 334 text is base64 for 'Password:'. Answer with your password in base64. Base64 is an encoding, not encryption: without TLS anyone on the path can read it.".into(), rfc(4954, "4")),
        AuthPlainPrompt => ("AUTH PLAIN without an initial response: the empty 334 asks for one base64 line of \\0user\\0password.".into(), rfc(4616, "2")),
        AuthSucceeded => ("The credentials were accepted: from now on the server knows who you are, and a submission server lets you send to any domain.".into(), rfc(4954, "6")),
        AuthFailed => (
            if ctx.auth_newline {
                "What you sent decodes with a line break at its end (shown as ⏎): `echo student | base64` encodes the newline echo adds, so the server read \"student\" plus a newline, which is no account. Encode without it: `echo -n student | base64` or `printf %s student | base64` (the Reference tab's encoder adds none).".into()
            } else {
                "The user name or password did not match an account on this server (check the Server tab). Decode what you sent to see what the server received.".into()
            },
            rfc(4954, "6"),
        ),
        AuthCancelled => ("A lone * (or an unusable answer) cancelled the AUTH exchange; you are not authenticated.".into(), rfc(4954, "4")),
        AuthBadBase64 => ("The answer to the 334 challenge was not valid base64, so the server could not read it. Encode the text with base64 first.".into(), rfc(4954, "4")),
        AuthMechanismUnsupported => ("The server does not offer this AUTH mechanism. The AUTH line of the EHLO reply lists the ones it does (the playground's simulator does PLAIN and LOGIN).".into(), rfc(4954, "4")),
        AuthAlreadyDone => ("You are already authenticated; AUTH may succeed only once per session.".into(), rfc(4954, "4")),
        AuthNotEnabled => (
            "AUTH is turned off on this server (no AUTH line in the EHLO reply): it takes no logins at all. Send mail without AUTH, or use a server that offers it.".into(),
            rfc(4954, "4"),
        ),
        AuthNeedsTls => (
            "This server accepts passwords only over an encrypted connection, so that they are not sent in clear text. Send STARTTLS, then EHLO again, then AUTH.".into(),
            rfc(4954, "6"),
        ),
        AuthDuringTransaction => ("AUTH is not allowed while a mail transaction is open; send RSET first, or authenticate before MAIL FROM.".into(), rfc(4954, "4")),
        AuthRequired => (
            "This is a submission server: it sends mail only for users who log in. Authenticate with AUTH (after STARTTLS if required), then give MAIL FROM again.".into(),
            rfc(4954, "6"),
        ),
        HeloRequired => (
            if ctx.tls_restarted {
                "STARTTLS reset the session: everything said before TLS is forgotten, so the client must send EHLO again (inside TLS) before anything else.".into()
            } else if ctx.verb == Some(crate::command::Verb::Auth) {
                format!("The client must introduce itself with HELO or EHLO before AUTH. ({profile} accepts AUTH after either; Exchange and Gmail want EHLO.)")
            } else {
                "The client must introduce itself with HELO or EHLO before a mail transaction.".into()
            },
            if ctx.tls_restarted { rfc(3207, "4.2") } else { rfc(5321, "4.1.4") },
        ),
        AuthNeedsEhlo => (
            format!("{profile} offers AUTH only in an ESMTP session: AUTH is an extension (RFC 4954), listed only in the reply to EHLO. The session began with HELO, so send EHLO, then AUTH. (Postfix accepts AUTH after HELO too.)"),
            rfc(4954, "3"),
        ),
        EtrnRefused => (
            format!("ETRN asks the server to deliver now the mail it holds for {addr}, for a site that is online only now and then. {profile} keeps no mail to release for that domain (Postfix's fast_flush_domains), so it refuses with 459, as RFC 1985 says a server does when it will not perform the request."),
            rfc(1985, "5"),
        ),
        EtrnDuringTransaction => ("ETRN is not allowed while a mail transaction is open; finish it with DATA or abandon it with RSET first.".into(), rfc(1985, "3")),
        NoValidRecipients => (
            "DATA came after MAIL FROM, but no RCPT TO was accepted (each was refused, or none was given): there is nobody to deliver to. Postfix says 554 \"no valid recipients\" inside a transaction (503 \"need RCPT command\" outside one). Give an RCPT TO that the server accepts first.".into(),
            rfc(5321, "4.1.1.4"),
        ),
        MailRequired => (
            format!("{} came before MAIL FROM: a transaction starts with MAIL FROM, then RCPT TO.", ctx.verb.map(|v| v.name()).unwrap_or("This command")),
            rfc(5321, "4.1.4"),
        ),
        RecipientRequired => ("The message was refused because no RCPT TO was accepted yet: without a recipient there is nobody to deliver to. Give RCPT TO first.".into(), rfc(5321, "4.1.4")),
        NestedMail => ("A transaction is already open (MAIL FROM was accepted). Finish it with DATA, or abandon it with RSET, before a new MAIL FROM.".into(), rfc(5321, "4.1.4")),
        BdatInProgress => ("A BDAT transfer is under way: only further BDAT chunks (the last with LAST), RSET, NOOP or QUIT may come now.".into(), rfc(3030, "2")),
        UnknownCommand => (
            match ctx.verb.filter(|v| policy.unrecognized.contains(v)) {
                Some(Verb::Ehlo) => format!(
                    "{profile} predates ESMTP (EHLO came with RFC 1869 in 1995): it does not know EHLO, so it has no extensions to list. A client that gets 500 or 502 to EHLO falls back to HELO, as RFC 5321 asks; send HELO with your host name."
                ),
                Some(verb @ (Verb::Queu | Verb::Tick | Verb::Verb)) => format!(
                    "{} is the z/OS SMTP server's own command, not in RFC 5321: {profile} does not know it. Try it with the zos profile (the Reference lists who supports what).",
                    verb.name()
                ),
                Some(verb) => format!("{profile} does not implement {} at all, so it answers as to any unknown word.", verb.name()),
                _ => format!("{} The server knows HELO, EHLO, MAIL, RCPT, DATA, RSET, NOOP, QUIT and the extensions it advertised.", if error.is_empty() { "The first word is not a command this server knows.".to_string() } else { format!("{}.", capitalize(&error)) }),
            },
            rfc(5321, "4.2.4"),
        ),
        NotImplemented => (
            format!(
                "{profile} knows {} but does not implement it: 502 says so (RFC 5321 4.2.4), where 500 would say the word is unknown. The session goes on; nothing changed.",
                ctx.verb.map(|v| v.name()).unwrap_or("this command")
            ),
            rfc(5321, "4.2.4"),
        ),
        QueueListed => (
            "QUEU lists the mail the z/OS SMTP server holds, queue by queue: spool (for local and NJE users), active, queued (batch SMTP), retry and undeliverable. The simulator delivers a message as soon as it is accepted, so every queue is empty. Not in RFC 5321: z/OS's own.".into(),
            rfc(5321, "4.1.5"),
        ),
        TicketNoted => (
            "TICK comes from batch SMTP: the identifier is written into the batch response data set so that replies can be matched to one batch. Over a TCP connection it is only acknowledged. Not in RFC 5321: z/OS's own.".into(),
            rfc(5321, "4.1.5"),
        ),
        VerboseOn => (
            "Verbose mode on: for a batch SMTP job, z/OS then mails the response data set back to where the job came from (VERB ON can cause spool problems when that reply-to user is not a valid NJE node.user). Over TCP nothing visible changes. Not in RFC 5321.".into(),
            rfc(5321, "4.1.5"),
        ),
        VerboseOff => ("Verbose mode off: batch responses are no longer mailed back to their origin. Not in RFC 5321: z/OS's own.".into(), rfc(5321, "4.1.5")),
        EmptyCommand => ("An empty line is not a command: the server expected a command word such as MAIL or QUIT. (Outside DATA an empty line has no meaning; inside DATA it separates the header from the body.)".into(), rfc(5321, "4.1.1")),
        NonSmtpCommand => (
            format!(
                "{} is a mail header (or a web request), not an SMTP command: it reached the command prompt, outside DATA, most often because DATA was refused and the client sent the message anyway. Postfix takes that for a broken client or an attack and hangs up (221 2.7.0). Headers belong after a 354 reply to DATA.",
                ctx.verb_text.unwrap_or("This line")
            ),
            rfc(5321, "4.1.1.4"),
        ),
        SyntaxError | GreetingSyntax => (format!("The command is known but its form is wrong: {error}."), rfc(5321, "4.1.1")),
        SenderSyntax | RecipientSyntax => {
            let strict = matches!(ctx.error.map(|e| &e.kind), Some(crate::command::SyntaxErrorKind::MissingAngleBrackets | crate::command::SyntaxErrorKind::SpaceAfterColon));
            let extra = if strict { format!(" Some servers tolerate this; {profile} does not.") } else { String::new() };
            let hint = ctx.error.and_then(|e| ctx.line.and_then(|line| e.hint(line))).map(|h| format!(" {h}")).unwrap_or_default();
            (format!("The address could not be read: {error}.{extra}{hint}"), rfc(5321, "4.1.2"))
        }
        ParameterUnknown => (format!("The parameter after the address is not one this server supports or accepts: {error}. The EHLO reply lists the extensions whose parameters it takes."), rfc(5321, "4.1.1.11")),
        ParameterNotOffered => ("ESMTP parameters are allowed only for extensions the server advertised in its EHLO reply (and never after a plain HELO).".into(), rfc(5321, "4.1.1.11")),
        CommandLineTooLong => (
            format!("The command line was longer than this server's limit of {} octets (RFC 5321 requires at least 512, CRLF included). It was dropped whole.", policy.max_command_line),
            rfc(5321, "4.5.3.1.4"),
        ),
        RelayDenied => (
            format!(
                "{addr} is not in a domain this server receives mail for, and you have not authenticated. Relaying to any domain for anyone would make it an open relay, abused by spammers. Authenticate, or send to an address in one of its local domains: {}.",
                policy.local_domains.join(", ")
            ),
            rfc(5321, "3.6.2"),
        ),
        UserUnknown => (format!("The domain of {addr} is local, but no such mailbox exists here (the Server tab lists them). A real server says so now, rather than accept and bounce later."), rfc(5321, "3.3")),
        Greylisted => (
            format!("Greylisting: the server refuses the first attempt from an unknown client/sender/recipient with a temporary 4xx. Real MTAs retry later (here after {} s); many spam tools never do.", policy.greylist_delay_secs),
            rfc(5321, "4.5.4.1"),
        ),
        TooManyRecipients => (
            format!("This transaction reached the server's limit of {} recipients. The rest must go in another transaction (4xx: try again later).", policy.max_recipients),
            rfc(5321, "4.5.3.1.8"),
        ),
        DeclaredSizeTooBig => (format!("The SIZE you declared is over {}, so it refuses at once instead of after the upload.", size_limit(policy)), rfc(1870, "6")),
        MessageTooBig => (format!("The message grew past {}; it was read to the end and then refused.", size_limit(policy)), rfc(1870, "6")),
        TextLineTooLong => ("A line of the message was longer than 1000 octets (CRLF included), the limit RFC 5321 sets for text lines. Wrap long lines or use an encoding such as quoted-printable.".into(), rfc(5321, "4.5.3.1.6")),
        Utf8NotDeclared => ("The address has non-ASCII characters; that needs the SMTPUTF8 parameter on MAIL FROM (and a server that advertises SMTPUTF8).".into(), rfc(6531, "3.5")),
        MessageIdMissing => ("This provider refuses messages without a Message-ID: header. Add a line such as Message-ID: <unique@your.domain> to the header.".into(), rfc(5322, "3.6.4")),
        IdleTimeout => (
            format!("Nothing arrived for {} seconds, so the server closed the connection. RFC 5321 suggests minutes; busy public servers cut idle clients much sooner.", policy.idle_timeout_secs),
            rfc(5321, "4.5.3.2"),
        ),
        TooManyErrors => (
            format!("After {} errors the server assumes a broken client or an attacker and hangs up. Reconnect and check your commands.", policy.bad_command_limit),
            rfc(5321, "4.3.2"),
        ),
    };
    (text, reference)
}

/// The catalog's sentences are ASCII: Unicode's case tables would weigh more than all of them.
fn capitalize(text: &str) -> String {
    let mut chars = text.chars();
    match chars.next() {
        Some(first) => std::iter::once(first.to_ascii_uppercase()).chain(chars).collect(),
        None => String::new(),
    }
}

/// The size limit in words: the configured one, or the simulator's memory when none is set.
fn size_limit(policy: &ServerPolicy) -> String {
    match policy.max_message_size {
        0 => format!("the {} octets this simulated server holds in memory (it advertises no fixed limit, SIZE 0)", ServerPolicy::MEMORY_CEILING),
        limit => format!("the server's limit of {limit} octets"),
    }
}
