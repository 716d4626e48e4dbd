//! What each profile says in each [`Situation`]: code, enhanced code and text, as data.
//!
//! Postfix's wording is taken from transcripts of a real Postfix 3.7 (../shared/fixtures); the
//! others from what Exchange and Gmail send. Placeholders in braces are filled by [`render`]:
//! `{host} {ip} {client} {address} {id} {tag} {bytes} {verb} {syntax} {detail} {delay} {date}
//! {msgid} {epoch}`. A `\n` separates the lines of a multi-line reply.

use crate::preset::ProfileName;
use crate::reply::{EnhancedCode, Reply};
use crate::situation::Situation;

/// A reply before its placeholders are filled.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Template<'a> {
    pub code: u16,
    /// `"2.1.0"`, or `""` for none.
    pub enhanced: &'a str,
    pub text: &'a str,
}

const fn t(code: u16, enhanced: &'static str, text: &'static str) -> Template<'static> {
    Template { code, enhanced, text }
}

impl Situation {
    /// The reply code and enhanced code (`""` for none) a profile gives in this situation (for
    /// the Reference's tables).
    pub fn codes(self, profile: ProfileName) -> (u16, &'static str) {
        let template = template(profile, self);
        (template.code, template.enhanced)
    }
}

/// The template a built-in profile uses in a situation (the preset table of words; a server
/// speaks through its [`crate::persona::Persona`], which may word some situations its own way).
pub(crate) fn template(profile: ProfileName, situation: Situation) -> Template<'static> {
    let specific = match profile {
        ProfileName::Postfix => postfix(situation),
        ProfileName::Exchange => exchange(situation),
        ProfileName::Gmail => gmail(situation),
        ProfileName::Mock => None,
        ProfileName::Zos => zos(situation),
        ProfileName::Cssmtp => cssmtp(situation),
    };
    specific.unwrap_or_else(|| standard(situation))
}

/// Fills the placeholders from `values` (name, value) and builds the reply.
#[cfg(test)]
pub(crate) fn render(template: Template<'_>, values: &[(&str, &str)]) -> Reply {
    render_with(template, |name, out| match values.iter().find(|(n, _)| *n == name) {
        Some((_, value)) => {
            out.push_str(value);
            true
        }
        None => false,
    })
}

/// Fills the placeholders in one pass: `fill(name, out)` appends the value of `name` to `out`
/// and returns false for an unknown name (which is then kept as written).
pub(crate) fn render_with(template: Template<'_>, mut fill: impl FnMut(&str, &mut String) -> bool) -> Reply {
    let mut lines = Vec::with_capacity(1);
    let mut line = String::with_capacity(template.text.len() + 24);
    let mut rest = template.text;
    // Byte scans: templates are short, and a char-set search costs more than the scan.
    while let Some(at) = rest.bytes().position(|b| b == b'{' || b == b'\n') {
        line.push_str(&rest[..at]);
        let after = &rest[at..];
        if let Some(next) = after.strip_prefix('\n') {
            lines.push(std::mem::take(&mut line));
            rest = next;
            continue;
        }
        match after.bytes().position(|b| b == b'}') {
            Some(close) => {
                if !fill(&after[1..close], &mut line) {
                    line.push_str(&after[..=close]);
                }
                rest = &after[close + 1..];
            }
            None => {
                line.push_str(after);
                rest = "";
            }
        }
    }
    line.push_str(rest);
    lines.push(line);
    let enhanced = if template.enhanced.is_empty() { None } else { EnhancedCode::parse(template.enhanced) };
    Reply { code: template.code, enhanced, lines }
}

/// Plain RFC-style wording: the mock server's, and everyone's fallback.
fn standard(s: Situation) -> Template<'static> {
    use Situation::*;
    match s {
        Greeting => t(220, "", "{host} ESMTP SMTP Playground mock server ready"),
        HeloAccepted => t(250, "", "{host} Hello {client}"),
        EhloAccepted => t(250, "", "{host} Hello {client}"),
        SenderAccepted => t(250, "2.1.0", "Sender <{address}> OK"),
        RecipientAccepted => t(250, "2.1.5", "Recipient <{address}> OK"),
        StartMailInput => t(354, "", "End data with <CR><LF>.<CR><LF>"),
        MessageQueued => t(250, "2.0.0", "Ok: queued as {id}"),
        ChunkAccepted => t(250, "2.0.0", "Ok: {bytes} octets received"),
        LastChunkQueued => t(250, "2.0.0", "Ok: {bytes} octets queued as {id}"),
        ResetDone => t(250, "2.0.0", "Reset OK"),
        NoopDone => t(250, "2.0.0", "OK"),
        Closing => t(221, "2.0.0", "{host} closing connection"),
        HelpText => t(214, "2.0.0", "Commands: HELO EHLO MAIL RCPT DATA BDAT RSET NOOP QUIT HELP VRFY EXPN AUTH STARTTLS\nSee RFC 5321 section 4.1 for their syntax"),
        VrfyAmbiguous => t(252, "2.1.5", "Cannot VRFY user, but will accept message and attempt delivery"),
        VrfyKnown => t(250, "2.1.5", "<{address}>"),
        VrfyUnknown => t(550, "5.1.1", "<{address}>: no such user here"),
        VrfyDisabled => t(502, "5.5.1", "VRFY command is disabled"),
        ExpnDisabled => t(502, "5.5.1", "EXPN command is disabled"),
        TlsReady => t(220, "2.0.0", "Ready to start TLS"),
        TlsUnavailable => t(454, "4.7.0", "TLS not available"),
        TlsAlreadyActive => t(503, "5.5.1", "TLS already active"),
        AuthUsernamePrompt => t(334, "", "VXNlcm5hbWU6"),
        AuthPasswordPrompt => t(334, "", "UGFzc3dvcmQ6"),
        AuthPlainPrompt => t(334, "", ""),
        AuthSucceeded => t(235, "2.7.0", "Authentication successful"),
        AuthFailed => t(535, "5.7.8", "Authentication credentials invalid"),
        AuthCancelled => t(501, "5.7.0", "Authentication cancelled"),
        AuthBadBase64 => t(501, "5.5.2", "Cannot decode base64 response"),
        AuthMechanismUnsupported => t(504, "5.5.4", "Unrecognized authentication type"),
        AuthAlreadyDone => t(503, "5.5.1", "Already authenticated"),
        AuthNotEnabled => t(502, "5.5.1", "AUTH not available"),
        AuthNeedsTls => t(538, "5.7.11", "Encryption required for requested authentication mechanism"),
        AuthDuringTransaction => t(503, "5.5.1", "AUTH not allowed during a mail transaction"),
        AuthRequired => t(530, "5.7.0", "Authentication required"),
        HeloRequired => t(503, "5.5.1", "Send HELO/EHLO first"),
        AuthNeedsEhlo => t(503, "5.5.1", "Send EHLO first"),
        EtrnRefused => t(459, "", "<{address}>: service unavailable"),
        EtrnDuringTransaction => t(503, "5.5.1", "MAIL transaction in progress"),
        MailRequired => t(503, "5.5.1", "Need MAIL command"),
        RecipientRequired => t(503, "5.5.1", "Need RCPT command"),
        NoValidRecipients => t(503, "5.5.1", "Need RCPT command"),
        NestedMail => t(503, "5.5.1", "Nested MAIL command"),
        BdatInProgress => t(503, "5.5.1", "Command not allowed during BDAT transfer; finish with BDAT n LAST or RSET"),
        UnknownCommand => t(500, "5.5.1", "Command unrecognized: \"{verb}\""),
        NotImplemented => t(502, "5.5.1", "{verb} command not implemented"),
        QueueListed => t(250, "", "Queues on {host}{detail}:\nSpool Queue: Empty\nActive: Empty\nQueued: Empty\nRetry Queue: Empty\nUndeliverable Queue: Empty"),
        TicketNoted => t(250, "", "OK, ticket {detail}"),
        VerboseOn => t(250, "", "Verbose mode on"),
        VerboseOff => t(250, "", "Verbose mode off"),
        NonSmtpCommand => t(221, "2.7.0", "Error: I can break rules, too. Goodbye."),
        EmptyCommand => t(500, "5.5.2", "Empty command"),
        SyntaxError => t(501, "5.5.4", "Syntax: {syntax}"),
        GreetingSyntax => t(501, "5.5.4", "Syntax: {syntax}"),
        SenderSyntax => t(501, "5.1.7", "Bad sender address syntax"),
        RecipientSyntax => t(501, "5.1.3", "Bad recipient address syntax"),
        ParameterUnknown => t(555, "5.5.4", "Unsupported parameter: {detail}"),
        ParameterNotOffered => t(555, "5.5.4", "{detail} not available in this session"),
        CommandLineTooLong => t(500, "5.5.2", "Line too long"),
        RelayDenied => t(554, "5.7.1", "<{address}>: Relay access denied"),
        UserUnknown => t(550, "5.1.1", "<{address}>: Recipient address rejected: User unknown"),
        Greylisted => t(451, "4.7.1", "<{address}>: Recipient address rejected: Greylisted, try again in {delay} seconds"),
        TooManyRecipients => t(452, "4.5.3", "Too many recipients"),
        DeclaredSizeTooBig => t(552, "5.3.4", "Message size exceeds fixed limit"),
        MessageTooBig => t(552, "5.3.4", "Message size exceeds fixed limit"),
        TextLineTooLong => t(554, "5.6.0", "Message has a line longer than 1000 octets"),
        Utf8NotDeclared => t(553, "5.6.7", "Must declare SMTPUTF8 to send unicode address"),
        MessageIdMissing => t(550, "5.7.1", "Message-ID header required"),
        IdleTimeout => t(421, "4.4.2", "{host} Error: timeout exceeded"),
        TooManyErrors => t(421, "4.7.0", "{host} Error: too many errors"),
    }
}

/// Postfix 3.7, as captured (see ../shared/fixtures/postfix-3.7-transcripts.txt).
fn postfix(s: Situation) -> Option<Template<'static>> {
    use Situation::*;
    Some(match s {
        Greeting => t(220, "", "{host} ESMTP Postfix"),
        HeloAccepted | EhloAccepted => t(250, "", "{host}"),
        SenderAccepted => t(250, "2.1.0", "Ok"),
        RecipientAccepted => t(250, "2.1.5", "Ok"),
        MessageQueued => t(250, "2.0.0", "Ok: queued as {id}"),
        ChunkAccepted => t(250, "2.0.0", "Ok: {bytes} bytes"),
        LastChunkQueued => t(250, "2.0.0", "Ok: {bytes} bytes queued as {id}"),
        ResetDone | NoopDone => t(250, "2.0.0", "Ok"),
        Closing => t(221, "2.0.0", "Bye"),
        // Postfix has neither HELP nor EXPN: both are unknown commands to it.
        VrfyAmbiguous | VrfyKnown => t(252, "2.0.0", "{address}"),
        VrfyUnknown => t(550, "5.1.1", "<{address}>: Recipient address rejected: User unknown in local recipient table"),
        VrfyDisabled => t(502, "5.5.1", "VRFY command is disabled"),
        TlsUnavailable => t(502, "5.5.1", "Error: command not implemented"),
        TlsAlreadyActive => t(554, "5.5.1", "Error: TLS already active"),
        AuthFailed => t(535, "5.7.8", "Error: authentication failed: authentication failure"),
        AuthCancelled => t(501, "5.7.0", "Authentication aborted"),
        AuthBadBase64 => t(501, "5.5.2", "Cannot decode response"),
        AuthMechanismUnsupported => t(535, "5.7.8", "Error: authentication failed: Invalid authentication mechanism"),
        AuthAlreadyDone => t(503, "5.5.1", "Error: already authenticated"),
        AuthNotEnabled => t(503, "5.5.1", "Error: authentication not enabled"),
        AuthDuringTransaction => t(503, "5.5.1", "Error: MAIL transaction in progress"),
        AuthRequired => t(530, "5.7.0", "Error: authentication required"),
        HeloRequired => t(503, "5.5.1", "Error: send HELO/EHLO first"),
        MailRequired => t(503, "5.5.1", "Error: need MAIL command"),
        RecipientRequired => t(503, "5.5.1", "Error: need RCPT command"),
        // DATA after MAIL whose every RCPT was refused (smtpd.c data_cmd).
        NoValidRecipients => t(554, "5.5.1", "Error: no valid recipients"),
        NestedMail => t(503, "5.5.1", "Error: nested MAIL command"),
        // smtpd.c etrn_cmd, with no fast_flush_domains entry for the domain.
        EtrnRefused => t(459, "", "<{address}>: service unavailable"),
        EtrnDuringTransaction => t(503, "5.5.1", "Error: MAIL transaction in progress"),
        BdatInProgress => t(503, "5.5.1", "Error: command not allowed during BDAT transfer"),
        UnknownCommand => t(500, "5.5.2", "Error: command not recognized"),
        EmptyCommand => t(500, "5.5.2", "Error: bad syntax"),
        SyntaxError => t(501, "5.5.4", "Syntax: {syntax}"),
        GreetingSyntax => t(501, "", "Syntax: {syntax}"),
        ParameterUnknown | ParameterNotOffered => t(555, "5.5.4", "Unsupported option: {detail}"),
        CommandLineTooLong => t(500, "5.5.2", "Error: line too long"),
        UserUnknown => t(550, "5.1.1", "<{address}>: Recipient address rejected: User unknown in local recipient table"),
        TooManyRecipients => t(452, "4.5.3", "Error: too many recipients"),
        MessageTooBig => t(552, "5.3.4", "Message size exceeds fixed limit"),
        MessageIdMissing => t(550, "5.7.1", "Error: message has no Message-ID header"),
        _ => return None,
    })
}

/// The z/OS SMTP server. IBM documents the commands and their syntax, not every reply's words:
/// the banner, HELO and DATA texts follow the form IBM's SMTP servers are known to send; the
/// rest is RFC 821's plain wording, without enhanced codes (the server predates RFC 2034).
fn zos(s: Situation) -> Option<Template<'static>> {
    use Situation::*;
    Some(match s {
        Greeting => t(220, "", "{host} is running IBM MVS SMTP CS V2R5 on {date}"),
        HeloAccepted => t(250, "", "{host} is my domain name."),
        SenderAccepted | RecipientAccepted | ResetDone | NoopDone => t(250, "", "OK"),
        StartMailInput => t(354, "", "Enter mail body.  End by new line with just a '.'"),
        MessageQueued => t(250, "", "Mail Delivered"),
        Closing => t(221, "", "{host} running IBM MVS SMTP CS V2R5 closing connection"),
        HelpText => t(
            214,
            "",
            "The following commands are recognized:\n   DATA   EXPN   HELO   HELP   MAIL   NOOP   QUEU   QUIT\n   RCPT   RSET   TICK   VERB   VRFY\nFor more information on a command, use HELP <command>",
        ),
        VrfyKnown => t(250, "", "<{address}>"),
        VrfyUnknown => t(550, "", "Unknown local user <{address}>"),
        VrfyAmbiguous => t(252, "", "Cannot VRFY user"),
        VrfyDisabled | ExpnDisabled => t(502, "", "Command not implemented"),
        UnknownCommand => t(500, "", "Command unrecognized: \"{verb}\""),
        NotImplemented => t(502, "", "Command not implemented"),
        HeloRequired => t(503, "", "Send HELO first"),
        MailRequired => t(503, "", "Need MAIL FROM: first"),
        RecipientRequired => t(503, "", "Need RCPT TO: first"),
        NestedMail => t(503, "", "Sender already specified"),
        SyntaxError | GreetingSyntax => t(501, "", "Syntax: {syntax}"),
        SenderSyntax | RecipientSyntax => t(501, "", "Invalid address syntax"),
        ParameterUnknown | ParameterNotOffered => t(501, "", "Unexpected parameter {detail}"),
        RelayDenied => t(550, "", "<{address}> relaying not allowed"),
        UserUnknown => t(550, "", "Unknown local user <{address}>"),
        TooManyRecipients => t(452, "", "Too many recipients"),
        DeclaredSizeTooBig | MessageTooBig => t(552, "", "Message exceeds maximum size"),
        TicketNoted => t(250, "", "OK"),
        VerboseOn => t(250, "", "Verbose Mode On"),
        VerboseOff => t(250, "", "Verbose Mode Off"),
        IdleTimeout => t(421, "", "{host} connection timed out, closing"),
        TooManyErrors => t(421, "", "{host} too many errors, closing connection"),
        _ => return None,
    })
}

/// CSSMTP (z/OS Communications Server's SMTP application). It forwards mail from the JES spool
/// to a target server; its command set is what the course's table lists. Its wording is not
/// published reply by reply: plain RFC 5321 texts with enhanced codes.
fn cssmtp(s: Situation) -> Option<Template<'static>> {
    use Situation::*;
    Some(match s {
        Greeting => t(220, "", "{host} ESMTP CSSMTP ready"),
        HeloAccepted | EhloAccepted => t(250, "", "{host} Hello {client}"),
        SenderAccepted | RecipientAccepted => t(250, "2.1.0", "OK"),
        StartMailInput => t(354, "", "Start mail input; end with <CRLF>.<CRLF>"),
        MessageQueued => t(250, "2.0.0", "OK, mail {id} queued"),
        Closing => t(221, "2.0.0", "{host} closing connection"),
        NotImplemented => t(502, "5.5.1", "Command not implemented"),
        _ => return None,
    })
}

fn exchange(s: Situation) -> Option<Template<'static>> {
    use Situation::*;
    Some(match s {
        Greeting => t(220, "", "{host} Microsoft ESMTP MAIL Service ready at {date}"),
        HeloAccepted | EhloAccepted => t(250, "", "{host} Hello [{ip}]"),
        SenderAccepted => t(250, "2.1.0", "Sender OK"),
        RecipientAccepted => t(250, "2.1.5", "Recipient OK"),
        StartMailInput => t(354, "", "Start mail input; end with <CRLF>.<CRLF>"),
        MessageQueued | LastChunkQueued => t(250, "2.6.0", "<{msgid}> [InternalId={epoch}, Hostname={host}] Queued mail for delivery"),
        ChunkAccepted => t(250, "2.0.0", "CHUNK received OK, {bytes} octets"),
        ResetDone => t(250, "2.0.0", "Resetting"),
        NoopDone => t(250, "2.0.0", "OK"),
        Closing => t(221, "2.0.0", "Service closing transmission channel"),
        HelpText => t(214, "", "This server supports the following commands:\nHELO EHLO STARTTLS RCPT DATA RSET MAIL QUIT HELP AUTH BDAT"),
        VrfyAmbiguous | VrfyKnown => t(252, "2.1.5", "Cannot VRFY user"),
        VrfyDisabled | ExpnDisabled => t(502, "5.3.3", "Command not implemented"),
        TlsReady => t(220, "2.0.0", "SMTP server ready"),
        TlsAlreadyActive => t(503, "5.5.2", "Send hello first"),
        AuthFailed => t(535, "5.7.3", "Authentication unsuccessful"),
        AuthCancelled => t(501, "5.0.0", "Authentication canceled"),
        AuthBadBase64 => t(501, "5.5.4", "Invalid base64 data"),
        // Before TLS, Exchange does not offer AUTH LOGIN, and says so this way.
        AuthMechanismUnsupported | AuthNeedsTls | AuthNotEnabled => t(504, "5.7.4", "Unrecognized authentication type"),
        AuthAlreadyDone => t(503, "5.5.2", "Already authenticated"),
        AuthRequired => t(530, "5.7.57", "Client not authenticated to send mail"),
        HeloRequired | AuthNeedsEhlo => t(503, "5.5.1", "Send hello first"),
        MailRequired => t(503, "5.5.2", "Need mail command"),
        RecipientRequired => t(503, "5.5.2", "Need rcpt command"),
        NestedMail => t(503, "5.5.2", "Sender already specified"),
        UnknownCommand => t(500, "5.3.3", "Unrecognized command '{verb}'"),
        SyntaxError => t(501, "5.5.4", "Invalid arguments"),
        GreetingSyntax => t(501, "5.5.4", "Invalid domain name"),
        SenderSyntax => t(501, "5.1.7", "Invalid address"),
        RecipientSyntax => t(501, "5.1.3", "Invalid address"),
        ParameterUnknown | ParameterNotOffered => t(555, "5.5.4", "Unrecognized parameter {detail}"),
        RelayDenied => t(550, "5.7.54", "SMTP; Unable to relay recipient in non-accepted domain"),
        UserUnknown => t(550, "5.1.10", "RESOLVER.ADR.RecipientNotFound; Recipient {address} not found by SMTP address lookup"),
        TooManyRecipients => t(452, "4.5.3", "Too many recipients"),
        DeclaredSizeTooBig | MessageTooBig => t(552, "5.3.4", "Message size exceeds fixed maximum message size"),
        IdleTimeout => t(421, "4.4.2", "{host} Timeout waiting for client input"),
        TooManyErrors => t(421, "4.7.0", "Too many errors on this connection, closing transmission channel"),
        _ => return None,
    })
}

fn gmail(s: Situation) -> Option<Template<'static>> {
    use Situation::*;
    Some(match s {
        Greeting => t(220, "", "{host} ESMTP {tag} - gsmtp"),
        HeloAccepted => t(250, "", "{host} at your service"),
        EhloAccepted => t(250, "", "{host} at your service, [{ip}]"),
        SenderAccepted => t(250, "2.1.0", "OK {tag} - gsmtp"),
        RecipientAccepted => t(250, "2.1.5", "OK {tag} - gsmtp"),
        StartMailInput => t(354, "", "Go ahead {tag} - gsmtp"),
        MessageQueued | LastChunkQueued => t(250, "2.0.0", "OK  {epoch} {tag} - gsmtp"),
        ChunkAccepted => t(250, "2.0.0", "OK {tag} - gsmtp"),
        ResetDone => t(250, "2.1.5", "Flushed {tag} - gsmtp"),
        NoopDone => t(250, "2.0.0", "OK {tag} - gsmtp"),
        Closing => t(221, "2.0.0", "closing connection {tag} - gsmtp"),
        HelpText => t(214, "2.0.0", "https://www.google.com/search?btnI&q=RFC+5321 {tag} - gsmtp"),
        VrfyAmbiguous | VrfyKnown => t(252, "2.1.5", "Send some mail, I'll try my best {tag} - gsmtp"),
        ExpnDisabled => t(502, "5.5.1", "Unimplemented command. {tag} - gsmtp"),
        AuthSucceeded => t(235, "2.7.0", "Accepted"),
        AuthFailed => t(535, "5.7.8", "Username and Password not accepted. For more information, go to\n https://support.google.com/mail/?p=BadCredentials {tag} - gsmtp"),
        AuthNeedsTls => t(530, "5.7.0", "Must issue a STARTTLS command first. {tag} - gsmtp"),
        AuthRequired => t(530, "5.7.0", "Authentication Required. For more information, go to\n https://support.google.com/mail/?p=WantAuthError {tag} - gsmtp"),
        HeloRequired | AuthNeedsEhlo => t(503, "5.5.1", "EHLO/HELO first. {tag} - gsmtp"),
        MailRequired => t(503, "5.5.1", "MAIL first. {tag} - gsmtp"),
        RecipientRequired => t(503, "5.5.1", "RCPT first. {tag} - gsmtp"),
        NestedMail => t(503, "5.5.1", "Nested MAIL command. {tag} - gsmtp"),
        UnknownCommand => t(502, "5.5.1", "Unrecognized command. {tag} - gsmtp"),
        SyntaxError | GreetingSyntax => t(501, "5.5.4", "Syntax error. {tag} - gsmtp"),
        SenderSyntax | RecipientSyntax => t(555, "5.5.2", "Syntax error. {tag} - gsmtp"),
        ParameterUnknown | ParameterNotOffered => t(555, "5.5.4", "Unsupported parameter. {tag} - gsmtp"),
        UserUnknown => t(
            550,
            "5.1.1",
            "The email account that you tried to reach does not exist. Please try\n double-checking the recipient's email address for typos or\n unnecessary spaces. For more information, go to\n https://support.google.com/mail/?p=NoSuchUser {tag} - gsmtp",
        ),
        TooManyRecipients => t(
            452,
            "4.5.3",
            "Your message has too many recipients. For more information regarding\n Google's sending limits, go to\n https://support.google.com/mail/?p=TooManyRecipientsError {tag} - gsmtp",
        ),
        DeclaredSizeTooBig | MessageTooBig => {
            t(552, "5.3.4", "Your message exceeded Google's message size limits. For more information, go to\n https://support.google.com/mail/?p=MaxSizeError {tag} - gsmtp")
        }
        MessageIdMissing => t(
            550,
            "5.7.1",
            "[{ip}] Messages missing a valid Message-ID header are not\n accepted. For more information, go to\n https://support.google.com/mail/?p=RfcMessageNonCompliant {tag} - gsmtp",
        ),
        IdleTimeout => t(421, "4.4.2", "Timeout - closing connection. {tag} - gsmtp"),
        TooManyErrors => t(421, "4.7.0", "Too many errors, closing connection. {tag} - gsmtp"),
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn templates_render_single_and_multi_line() {
        let reply = render(template(ProfileName::Postfix, Situation::MessageQueued), &[("id", "80637EC088")]);
        assert_eq!(reply.to_wire(), "250 2.0.0 Ok: queued as 80637EC088\r\n");
        let reply = render(template(ProfileName::Gmail, Situation::AuthRequired), &[("tag", "x1")]);
        assert_eq!(reply.lines.len(), 2);
        assert!(reply.to_wire().starts_with("530-5.7.0 Authentication Required."));
        let reply = render(template(ProfileName::Postfix, Situation::GreetingSyntax), &[("syntax", "HELO hostname")]);
        assert_eq!(reply.to_wire(), "501 Syntax: HELO hostname\r\n");
    }

    #[test]
    fn every_template_is_well_formed() {
        for profile in ProfileName::ALL {
            for &situation in Situation::ALL {
                let tpl = template(profile, situation);
                assert!((200..600).contains(&tpl.code), "{profile:?} {situation:?}");
                if !tpl.enhanced.is_empty() {
                    let enhanced = EnhancedCode::parse(tpl.enhanced).unwrap_or_else(|| panic!("{profile:?} {situation:?}"));
                    assert_eq!(u16::from(enhanced.class), tpl.code / 100, "{profile:?} {situation:?}");
                }
            }
        }
    }
}
