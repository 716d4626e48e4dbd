//! Taking a session away: the same session as a `swaks` or `curl` command line (a shell script
//! that writes each message beside the command that sends it) and as a Mermaid sequence
//! diagram. Made from the session's events, so every mode exports the same way.

use super::entry::shown_line;
use smtp_protocol::command::{Command, ParsedCommand};
use smtp_protocol::event::{ClientLine, Event};
use smtp_protocol::session::path_address;

/// Where the exported commands send: `host:port`, and why that default.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Destination {
    pub server: String,
    /// A sentence for the script's comment: what this server is.
    pub about: String,
}

/// One message the session got accepted: its envelope and its content as the client meant it
/// (dot-stuffing removed).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outgoing {
    pub from: String,
    pub to: Vec<String>,
    pub content: String,
}

/// What a command-line client must do to repeat the session.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Plan {
    /// The name given with HELO or EHLO, and whether it was EHLO.
    pub greeting: Option<(String, bool)>,
    pub starttls: bool,
    /// TLS from the first byte (port 465).
    pub implicit_tls: bool,
    /// The AUTH mechanism and the user that logged in.
    pub auth: Option<(String, String)>,
    pub messages: Vec<Outgoing>,
    /// Messages the server refused (not repeated).
    pub refused: usize,
    /// The last envelope given, for a session that sent no message.
    pub last_from: Option<String>,
    pub last_to: Vec<String>,
}

impl Plan {
    pub fn from_events(events: &[Event]) -> Plan {
        let mut plan = Plan::default();
        let mut commands = 0;
        let mut content: Option<String> = None;
        let mut envelope: Option<(String, Vec<String>)> = None;
        let mut ended = false;
        for event in events {
            match event {
                Event::LineReceived { line: ClientLine::Command { parsed }, .. } => {
                    commands += 1;
                    if let Ok(ParsedCommand { command, .. }) = &**parsed {
                        match command {
                            Command::Helo { domain } if plan.greeting.is_none() => plan.greeting = Some((domain.to_string(), false)),
                            Command::Ehlo { domain } if plan.greeting.as_ref().is_none_or(|(_, esmtp)| !esmtp) => plan.greeting = Some((domain.to_string(), true)),
                            Command::Mail { from, .. } => plan.last_from = Some(path_address(from)),
                            Command::Rcpt { to, .. } => plan.last_to.push(path_address(to)),
                            _ => {}
                        }
                    }
                }
                Event::TlsStarted { .. } if commands == 0 => plan.implicit_tls = true,
                Event::TlsStarted { .. } => plan.starttls = true,
                Event::AuthSucceeded { user, mechanism, .. } => plan.auth = Some((mechanism.clone(), user.clone())),
                Event::LineReceived { raw, line: ClientLine::Data, .. } => {
                    if let Some(text) = content.as_mut() {
                        // Transparency undone: the message holds the line without its first dot.
                        let line = raw.strip_prefix('.').unwrap_or(raw);
                        text.push_str(line.trim_end_matches(['\r', '\n']));
                        text.push('\n');
                    }
                }
                Event::LineReceived { line: ClientLine::DataEnd, .. } => ended = true,
                Event::ReplySent { reply, envelope: snapshot, .. } => {
                    if reply.code == 354 {
                        content = Some(String::new());
                        envelope = Some((snapshot.sender_address(), snapshot.recipient_addresses()));
                    } else if ended {
                        ended = false;
                        if let (Some(text), Some((from, to))) = (content.take(), envelope.take()) {
                            if reply.class() == smtp_protocol::ReplyClass::Completed {
                                plan.messages.push(Outgoing { from, to, content: text });
                            } else {
                                plan.refused += 1;
                            }
                        }
                        plan.last_to.clear();
                    }
                }
                _ => {}
            }
        }
        plan
    }
}

/// `text` in single quotes for a POSIX shell.
fn quote(text: &str) -> String {
    format!("'{}'", text.replace('\'', "'\\''"))
}

/// A here-document delimiter that no line of `content` equals.
fn delimiter(content: &str) -> String {
    let mut name = "SMTP_PLAYGROUND_MESSAGE".to_string();
    while content.lines().any(|line| line == name) {
        name.push('_');
    }
    name
}

fn script_head(tool: &str, about_tool: &str, destination: &Destination, plan: &Plan) -> String {
    let mut out = format!(
        "#!/bin/sh\n# This SMTP Playground session as {tool} commands ({about_tool}).\n# {}\n# Send elsewhere with: SMTP_SERVER=host:port sh {}\nset -e\nserver=\"${{SMTP_SERVER:-{}}}\"\n",
        destination.about,
        if tool == "swaks" { "smtp-session-swaks.sh" } else { "smtp-session-curl.sh" },
        destination.server
    );
    if plan.auth.is_some() {
        out.push_str("# The password is not exported: set it first, e.g. SMTP_PASSWORD=... sh this-script\n: \"${SMTP_PASSWORD:?set SMTP_PASSWORD to the account's password}\"\n");
    }
    if plan.refused > 0 {
        out.push_str(&format!("# {} message(s) the server refused are left out.\n", plan.refused));
    }
    out
}

/// Writes the here-document that creates `message-N.eml`; `closing_dot` ends it with a lone
/// dot (swaks takes that as the end of DATA, where it would otherwise add a line break).
fn write_message(out: &mut String, index: usize, message: &Outgoing, closing_dot: bool) -> String {
    let file = format!("message-{index}.eml");
    let end = delimiter(&message.content);
    let to = message.to.iter().map(|t| format!("<{t}>")).collect::<Vec<_>>().join(", ");
    let dot = if closing_dot { ".\n" } else { "" };
    out.push_str(&format!("\n# Message {index}: from <{}> to {to}\ncat > {file} <<'{end}'\n{}{dot}{end}\n", message.from, message.content));
    file
}

/// The session as `swaks` commands: one per accepted message, each after the here-document
/// that writes its message.
pub fn swaks(plan: &Plan, destination: &Destination) -> String {
    let mut out = script_head("swaks", "https://jetmore.org/john/code/swaks/", destination, plan);
    let mut options = vec!["swaks".to_string(), "--server \"$server\"".into()];
    match &plan.greeting {
        Some((name, true)) => options.push(format!("--ehlo {}", quote(name))),
        Some((name, false)) => options.push(format!("--protocol SMTP --helo {}", quote(name))),
        None => {}
    }
    if plan.implicit_tls {
        options.push("--tls-on-connect".into());
    } else if plan.starttls {
        options.push("--tls".into());
    }
    if let Some((mechanism, user)) = &plan.auth {
        options.push(format!("--auth {} --auth-user {} --auth-password \"$SMTP_PASSWORD\"", quote(mechanism), quote(user)));
    }
    let common = options.join(" ");
    if plan.messages.is_empty() {
        let from = plan.last_from.clone().unwrap_or_default();
        let to = plan.last_to.first().cloned().unwrap_or_else(|| "postmaster@localhost".into());
        let quit_after = if plan.last_to.is_empty() { if plan.last_from.is_some() { "MAIL" } else { "HELO" } } else { "RCPT" };
        out.push_str(&format!(
            "\n# The session sent no message: this repeats it up to {quit_after}.\n{common} --from {} --to {} --quit-after {quit_after}\n",
            quote(&from),
            quote(&to)
        ));
        return out;
    }
    for (i, message) in plan.messages.iter().enumerate() {
        let file = write_message(&mut out, i + 1, message, true);
        out.push_str(&format!("{common} --from {} --to {} --data @{file}\n", quote(&message.from), quote(&message.to.join(","))));
    }
    out
}

/// The session as `curl` commands (`--mail-from`, `--mail-rcpt`, `--upload-file`). curl turns
/// the here-document's line ends into CRLF (`--crlf`) and doubles leading dots itself.
pub fn curl(plan: &Plan, destination: &Destination) -> String {
    let mut out = script_head("curl", "https://curl.se/docs/manpage.html", destination, plan);
    let scheme = if plan.implicit_tls { "smtps" } else { "smtp" };
    // curl says EHLO (HELO if refused) with the URL's path as its name.
    let name = plan.greeting.as_ref().map(|(name, _)| format!("/{name}")).unwrap_or_default();
    let mut options = vec!["curl --silent --show-error".to_string(), format!("--url \"{scheme}://$server{name}\"")];
    if plan.starttls {
        options.push("--ssl-reqd".into());
    }
    if let Some((mechanism, user)) = &plan.auth {
        options.push(format!("--user \"{}:$SMTP_PASSWORD\" --login-options {}", user.replace(['"', '$', '`', '\\'], ""), quote(&format!("AUTH={mechanism}"))));
    }
    let common = options.join(" ");
    if plan.messages.is_empty() {
        out.push_str("\n# The session sent no message: curl has nothing to upload. With swaks, --quit-after repeats such a session.\n");
        return out;
    }
    for (i, message) in plan.messages.iter().enumerate() {
        let file = write_message(&mut out, i + 1, message, false);
        let recipients: String = message.to.iter().map(|to| format!(" --mail-rcpt {}", quote(to))).collect();
        out.push_str(&format!("{common} --mail-from {}{recipients} --upload-file {file} --crlf\n", quote(&message.from)));
    }
    out
}

/// Text for a Mermaid message: characters its grammar reads (`;`, `#`, `<`, `>`) as entity
/// codes, which Mermaid shows as the characters.
fn mermaid_text(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '#' => out.push_str("#35;"),
            ';' => out.push_str("#59;"),
            '<' => out.push_str("#60;"),
            '>' => out.push_str("#62;"),
            '\r' | '\n' => {}
            c if c.is_control() => out.push(' '),
            c => out.push(c),
        }
    }
    if out.trim().is_empty() { "(empty line)".into() } else { out }
}

/// The session as a Mermaid sequence diagram: one arrow per command and reply, the message as
/// one arrow with its size, TLS and the end of the connection as notes.
pub fn mermaid(events: &[Event]) -> String {
    let server = events
        .iter()
        .find_map(|e| match e {
            Event::Connected { server, .. } => Some(server.as_str()),
            _ => None,
        })
        .unwrap_or("server");
    let mut out = format!("sequenceDiagram\n    participant C as Client\n    participant S as {}\n", mermaid_text(server));
    let (mut lines, mut octets) = (0usize, 0usize);
    for event in events {
        match event {
            Event::LineReceived { raw, line: ClientLine::Data | ClientLine::Chunk, .. } => {
                lines += 1;
                octets += raw.len();
            }
            Event::LineReceived { raw, line, .. } => {
                if lines > 0 {
                    out.push_str(&format!("    C->>S: (message: {lines} lines, {octets} octets)\n"));
                    (lines, octets) = (0, 0);
                }
                let secret = matches!(line, ClientLine::AuthResponse { secret: true, .. });
                out.push_str(&format!("    C->>S: {}\n", mermaid_text(&shown_line(raw, secret))));
            }
            Event::ReplySent { reply, .. } => {
                if lines > 0 {
                    out.push_str(&format!("    C->>S: (message: {lines} lines, {octets} octets)\n"));
                    (lines, octets) = (0, 0);
                }
                let text: Vec<String> = reply.to_wire().lines().map(mermaid_text).collect();
                out.push_str(&format!("    S->>C: {}\n", text.join("<br/>")));
            }
            Event::TlsStarted { protocol, .. } => out.push_str(&format!("    Note over C,S: TLS started ({})\n", mermaid_text(protocol))),
            Event::AuthSucceeded { user, .. } => out.push_str(&format!("    Note over C,S: logged in as {}\n", mermaid_text(user))),
            Event::Closed { by, reason, .. } => {
                out.push_str(&format!("    Note over C,S: connection closed by {}: {}\n", super::entry::closer_words(*by), mermaid_text(reason)));
            }
            _ => {}
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::simulated::SimulatedSession;
    use smtp_protocol::{ProfileName, ServerConfig};

    fn session(profile: ProfileName, lines: &str) -> SimulatedSession {
        let mut session = SimulatedSession::new(ServerConfig::new(profile), 1_000);
        session.send(lines, 2_000);
        session
    }

    const COURSE: &str = "EHLO student.example\r\nMAIL FROM:<student@playground.test>\r\nRCPT TO:<alice@playground.test>\r\nRCPT TO:<nobody@playground.test>\r\nRCPT TO:<bob@playground.test>\r\nDATA\r\nSubject: it's a test\r\n\r\n..hidden\r\nbody\r\n.\r\nQUIT\r\n";

    fn here() -> Destination {
        Destination { server: "127.0.0.1:2525".into(), about: "test".into() }
    }

    #[test]
    fn the_plan_holds_the_accepted_envelope_and_the_unstuffed_message() {
        let s = session(ProfileName::Postfix, COURSE);
        let plan = Plan::from_events(&s.console.events);
        assert_eq!(plan.greeting, Some(("student.example".into(), true)));
        assert_eq!(plan.messages.len(), 1);
        let m = &plan.messages[0];
        assert_eq!(m.from, "student@playground.test");
        assert_eq!(m.to, ["alice@playground.test", "bob@playground.test"], "the refused recipient is not in the envelope");
        assert_eq!(m.content, "Subject: it's a test\n\n.hidden\nbody\n");
    }

    #[test]
    fn swaks_and_curl_scripts_send_that_envelope_and_write_the_message_beside() {
        let s = session(ProfileName::Postfix, COURSE);
        let plan = Plan::from_events(&s.console.events);
        let swaks = swaks(&plan, &here());
        assert!(swaks.starts_with("#!/bin/sh\n"), "{swaks}");
        assert!(swaks.contains("server=\"${SMTP_SERVER:-127.0.0.1:2525}\""), "{swaks}");
        assert!(swaks.contains("cat > message-1.eml <<'SMTP_PLAYGROUND_MESSAGE'\nSubject: it's a test\n\n.hidden\nbody\n.\nSMTP_PLAYGROUND_MESSAGE\n"), "{swaks}");
        assert!(
            swaks.contains(
                "swaks --server \"$server\" --ehlo 'student.example' --from 'student@playground.test' --to 'alice@playground.test,bob@playground.test' --data @message-1.eml"
            ),
            "{swaks}"
        );
        let curl = curl(&plan, &here());
        assert!(
            curl.contains("curl --silent --show-error --url \"smtp://$server/student.example\" --mail-from 'student@playground.test' --mail-rcpt 'alice@playground.test' --mail-rcpt 'bob@playground.test' --upload-file message-1.eml --crlf"),
            "{curl}"
        );
    }

    #[test]
    fn tls_and_auth_become_options_and_the_password_stays_out() {
        let s = session(ProfileName::Postfix, "EHLO a.example\r\nSTARTTLS\r\n");
        let mut s = s;
        s.send(
            "EHLO a.example\r\nAUTH PLAIN AHN0dWRlbnQAc2VjcmV0\r\nMAIL FROM:<student@playground.test>\r\nRCPT TO:<x@far.example>\r\nDATA\r\nSubject: x\r\n\r\nx\r\n.\r\n",
            3_000,
        );
        let plan = Plan::from_events(&s.console.events);
        assert!(plan.starttls && !plan.implicit_tls);
        let swaks = swaks(&plan, &here());
        assert!(swaks.contains("--tls --auth 'PLAIN' --auth-user 'student' --auth-password \"$SMTP_PASSWORD\""), "{swaks}");
        assert!(!swaks.contains("secret") && !swaks.contains("AHN0dWRlbnQAc2VjcmV0"), "{swaks}");
        let curl = curl(&plan, &here());
        assert!(curl.contains("--ssl-reqd --user \"student:$SMTP_PASSWORD\" --login-options 'AUTH=PLAIN'"), "{curl}");
    }

    #[test]
    fn a_line_that_looks_like_the_delimiter_gets_another() {
        let s = session(ProfileName::Mock, "EHLO a\r\nMAIL FROM:<a@b.example>\r\nRCPT TO:<c@d.example>\r\nDATA\r\nSMTP_PLAYGROUND_MESSAGE\r\n.\r\n");
        let swaks = swaks(&Plan::from_events(&s.console.events), &here());
        assert!(swaks.contains("<<'SMTP_PLAYGROUND_MESSAGE_'\nSMTP_PLAYGROUND_MESSAGE\n.\nSMTP_PLAYGROUND_MESSAGE_\n"), "{swaks}");
    }

    #[test]
    fn a_session_without_a_message_quits_where_it_stopped() {
        let s = session(ProfileName::Postfix, "EHLO a\r\nMAIL FROM:<a@b.example>\r\nRCPT TO:<bob@playground.test>\r\nQUIT\r\n");
        let plan = Plan::from_events(&s.console.events);
        assert!(swaks(&plan, &here()).contains("--from 'a@b.example' --to 'bob@playground.test' --quit-after RCPT"));
        assert!(curl(&plan, &here()).contains("nothing to upload"));
    }

    #[test]
    fn quotes_in_addresses_cannot_break_out_of_the_shell_words() {
        assert_eq!(quote("it's"), "'it'\\''s'");
    }

    #[test]
    fn mermaid_has_one_arrow_per_line_and_escapes_its_grammar() {
        let s = session(ProfileName::Postfix, COURSE);
        let text = mermaid(&s.console.events);
        assert!(text.starts_with("sequenceDiagram\n    participant C as Client\n    participant S as vm\n"), "{text}");
        assert!(text.contains("    S->>C: 220 vm ESMTP Postfix\n"), "{text}");
        assert!(text.contains("    C->>S: MAIL FROM:#60;student@playground.test#62;\n"), "{text}");
        assert!(text.contains("    C->>S: (message: 4 lines, "), "{text}");
        assert!(text.contains("    S->>C: 250-vm<br/>250-PIPELINING<br/>"), "{text}");
        assert!(text.contains("    Note over C,S: connection closed by the client: QUIT\n"), "{text}");
        assert_eq!(mermaid_text("a;b#c"), "a#59;b#35;c");
    }
}
