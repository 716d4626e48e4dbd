//! Accepted messages as the mailbox shows them: headers, MIME parts (parsed by the maintained
//! `mail-parser` crate), and how the header compares with the envelope.

use crate::session::Envelope;
use mail_parser::{MessageParser, MimeHeaders};
use serde::{Deserialize, Serialize};

/// The unfolded value of the first header field `name` in the header block of `content`.
/// Cheap enough for the server to check Message-ID on every message.
pub fn header_value(content: &[u8], name: &str) -> Option<String> {
    let mut value: Option<String> = None;
    for line in content.split(|b| *b == b'\n') {
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        if line.is_empty() {
            break;
        }
        if line[0] == b' ' || line[0] == b'\t' {
            if let Some(v) = value.as_mut() {
                v.push(' ');
                v.push_str(String::from_utf8_lossy(line).trim());
            }
            continue;
        }
        if value.is_some() {
            break;
        }
        if let Some(colon) = line.iter().position(|b| *b == b':')
            && line[..colon].eq_ignore_ascii_case(name.as_bytes())
        {
            value = Some(String::from_utf8_lossy(&line[colon + 1..]).trim().to_string());
        }
    }
    value
}

/// The domain of the first address in the From: field, lowercased, read without the MIME parser:
/// all that delivery needs of the message (DMARC's alignment), so the page can answer without
/// downloading the parser first. Display names, quoted strings and comments are skipped.
pub(crate) fn from_domain(content: &[u8]) -> Option<String> {
    let value = header_value(content, "From")?;
    let (mut plain, mut quoted, mut depth, mut escaped) = (String::new(), false, 0usize, false);
    for c in value.chars() {
        match c {
            _ if escaped => escaped = false,
            '\\' if quoted || depth > 0 => escaped = true,
            '"' if depth == 0 => quoted = !quoted,
            '(' if !quoted => depth += 1,
            ')' if !quoted && depth > 0 => depth -= 1,
            _ if quoted || depth > 0 => {}
            _ => plain.push(c),
        }
    }
    let first = plain.split(',').next()?;
    let address = match first.split_once('<') {
        Some((_, rest)) => rest.split('>').next()?,
        None => first,
    };
    let domain = address.trim().rsplit_once('@')?.1.trim();
    (!domain.is_empty()).then(|| domain.to_ascii_lowercase())
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HeaderField {
    pub name: String,
    pub value: String,
}

/// One leaf MIME part: a body or an attachment.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Part {
    /// Index among the message's parts, for [`part_contents`].
    pub index: usize,
    pub content_type: String,
    pub file_name: Option<String>,
    pub size: usize,
    pub attachment: bool,
}

/// What a careful reader notices when comparing header and envelope.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "finding", rename_all = "snake_case")]
pub enum Finding {
    /// From: names another address than MAIL FROM (how From: is spoofed).
    FromDiffersFromEnvelope {
        header: String,
        envelope: String,
    },
    /// No From: header at all.
    MissingFrom,
    /// Cc: names an address that no RCPT TO delivered to.
    CcWithoutRecipient {
        address: String,
    },
    /// To: names an address that no RCPT TO delivered to.
    ToWithoutRecipient {
        address: String,
    },
    /// A RCPT TO that no To: or Cc: names: a blind copy (Bcc).
    BlindRecipient {
        address: String,
    },
    MissingDate,
    MissingMessageId,
    /// A Bcc: header in the message itself: every recipient can read it.
    BccHeader {
        addresses: Vec<String>,
    },
    /// A line in the header block that is no header: the blank line before the body is missing.
    MissingBlankLine {
        line: String,
    },
    /// The envelope sender's domain does not allow the client's address to send for it (its SPF
    /// record in the simulated zone fails), and the client did not log in: MAIL FROM is forged too.
    SenderNotAuthorized {
        sender: String,
        client: String,
        record: String,
    },
}

impl Finding {
    /// A stable id, as exercise files and the mock server's API name it.
    pub fn id(&self) -> &'static str {
        match self {
            Finding::FromDiffersFromEnvelope { .. } => "from_differs_from_envelope",
            Finding::MissingFrom => "missing_from",
            Finding::CcWithoutRecipient { .. } => "cc_without_recipient",
            Finding::ToWithoutRecipient { .. } => "to_without_recipient",
            Finding::BlindRecipient { .. } => "blind_recipient",
            Finding::MissingDate => "missing_date",
            Finding::MissingMessageId => "missing_message_id",
            Finding::BccHeader { .. } => "bcc_header",
            Finding::MissingBlankLine { .. } => "missing_blank_line",
            Finding::SenderNotAuthorized { .. } => "sender_not_authorized",
        }
    }

    /// A sentence for the mailbox view.
    pub fn describe(&self) -> String {
        match self {
            Finding::FromDiffersFromEnvelope { header, envelope } => format!(
                "The From: header says {header}, but the envelope sender (MAIL FROM) was {}. Nothing in SMTP checks that they match — this is how From: is spoofed; SPF, DKIM and DMARC exist to catch it.",
                if envelope.is_empty() { "<> (a bounce)".to_string() } else { format!("<{envelope}>") }
            ),
            Finding::MissingFrom => "The message has no From: header; RFC 5322 3.6 requires one.".into(),
            Finding::CcWithoutRecipient { address } => format!("Cc: names {address}, but no RCPT TO was given for it: the header alone delivers nothing."),
            Finding::ToWithoutRecipient { address } => format!("To: names {address}, but no RCPT TO was given for it: this copy was never delivered."),
            Finding::BlindRecipient { address } => format!("{address} received the message (RCPT TO) without appearing in To: or Cc: — a blind copy, which is how Bcc works."),
            Finding::MissingDate => "No Date: header; RFC 5322 3.6 requires one (servers may add it, some refuse the message).".into(),
            Finding::MissingMessageId => "No Message-ID: header; RFC 5322 3.6.4 says it SHOULD be present, and some large providers refuse mail without it.".into(),
            Finding::BccHeader { addresses } => format!(
                "The message carries a Bcc: header ({}): it travels with the message, so every recipient can read who got a blind copy. Blind copies are made with RCPT TO alone; a client removes Bcc: before sending.",
                addresses.join(", ")
            ),
            Finding::SenderNotAuthorized { sender, client, record } => format!(
                "MAIL FROM <{sender}> came from {client} without logging in, and the SPF record of its domain ({record}) does not allow that address: a receiver checking SPF would refuse it. The envelope sender is forged too, not only the From: header."
            ),
            Finding::MissingBlankLine { line } => format!(
                "The header block has no blank line before the body: \u{201c}{line}\u{201d} is not a header (no \u{201c}Name:\u{201d}), so it is shown as the start of the body here. RFC 5322 2.1 separates header and body with an empty line; without it, mail software may drop or mangle that line."
            ),
        }
    }
}

/// A message as the mailbox view shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MessageView {
    pub headers: Vec<HeaderField>,
    pub subject: Option<String>,
    pub from: Vec<String>,
    pub to: Vec<String>,
    pub cc: Vec<String>,
    /// A Bcc: header in the message (it should not be there).
    #[serde(default)]
    pub bcc: Vec<String>,
    pub date: Option<String>,
    pub message_id: Option<String>,
    pub text: Option<String>,
    pub html: Option<String>,
    pub parts: Vec<Part>,
    /// The first line of the header block that is no header (the blank line was missing).
    #[serde(default)]
    pub missing_blank_line: Option<String>,
}

fn addresses(address: Option<&mail_parser::Address<'_>>) -> Vec<String> {
    address.map(|a| a.iter().filter_map(|addr| addr.address().map(str::to_string)).collect()).unwrap_or_default()
}

/// Where the header block ends without its blank line: the offset of the first line that is
/// neither a header (`Name: value`) nor the continuation of one, before any empty line.
fn header_block_break(raw: &[u8]) -> Option<usize> {
    let mut offset = 0;
    for line in raw.split_inclusive(|b| *b == b'\n') {
        let text = line.strip_suffix(b"\n").unwrap_or(line);
        let text = text.strip_suffix(b"\r").unwrap_or(text);
        if text.is_empty() {
            return None;
        }
        let continuation = matches!(text[0], b' ' | b'\t');
        let header = text.iter().position(|b| *b == b':').is_some_and(|colon| colon > 0 && text[..colon].iter().all(|b| b.is_ascii_graphic()));
        if !continuation && !header {
            return Some(offset);
        }
        offset += line.len();
    }
    None
}

/// Parses a stored message. Never fails: unparseable input gives a view with what could be read.
/// A header block that runs into the body without a blank line is read as real mail software
/// reads it: the body starts at the first line that is no header (and the view says so).
pub fn parse_message(raw: &[u8]) -> MessageView {
    if let Some(at) = header_block_break(raw) {
        let line_end = raw[at..].iter().position(|b| *b == b'\n').map_or(raw.len(), |i| at + i);
        let line = String::from_utf8_lossy(&raw[at..line_end]).trim_end().to_string();
        let mut fixed = raw[..at].to_vec();
        fixed.extend_from_slice(b"\r\n");
        fixed.extend_from_slice(&raw[at..]);
        let mut view = parse_whole(&fixed);
        view.missing_blank_line = Some(line);
        return view;
    }
    parse_whole(raw)
}

fn parse_whole(raw: &[u8]) -> MessageView {
    let Some(message) = MessageParser::default().parse(raw) else {
        return MessageView {
            headers: vec![],
            subject: None,
            from: vec![],
            to: vec![],
            cc: vec![],
            bcc: vec![],
            date: None,
            message_id: None,
            text: Some(String::from_utf8_lossy(raw).into_owned()),
            html: None,
            parts: vec![],
            missing_blank_line: None,
        };
    };
    let raw_message = message.raw_message();
    let headers = message
        .headers()
        .iter()
        .map(|h| {
            let value = raw_message.get(h.offset_start as usize..h.offset_end as usize).map(String::from_utf8_lossy).unwrap_or_default();
            HeaderField { name: h.name.as_str().to_string(), value: value.split_whitespace().collect::<Vec<_>>().join(" ") }
        })
        .collect();
    let parts = message
        .parts
        .iter()
        .enumerate()
        .filter(|(_, p)| !p.is_multipart())
        .map(|(index, part)| {
            let content_type = part.content_type().map(|ct| format!("{}/{}", ct.ctype(), ct.subtype().unwrap_or("plain"))).unwrap_or_else(|| "text/plain".to_string());
            let attachment = part.content_disposition().is_some_and(|d| d.is_attachment()) || part.attachment_name().is_some();
            Part { index, content_type, file_name: part.attachment_name().map(str::to_string), size: part.len(), attachment }
        })
        .collect();
    MessageView {
        headers,
        subject: message.subject().map(str::to_string),
        from: addresses(message.from()),
        to: addresses(message.to()),
        cc: addresses(message.cc()),
        bcc: addresses(message.bcc()),
        date: message.date().map(|d| d.to_rfc822()),
        message_id: message.message_id().map(str::to_string),
        text: message.body_text(0).map(|t| t.into_owned()),
        html: message.body_html(0).map(|t| t.into_owned()),
        parts,
        missing_blank_line: None,
    }
}

/// The decoded contents of part `index` (for downloading an attachment).
pub fn part_contents(raw: &[u8], index: usize) -> Option<Vec<u8>> {
    let message = MessageParser::default().parse(raw)?;
    message.parts.get(index).map(|p| p.contents().to_vec())
}

/// Every finding about a stored message: the header against the envelope, and the envelope
/// sender against its domain's SPF record (for a client that did not log in).
pub fn findings(view: &MessageView, message: &crate::mailbox::StoredMessage) -> Vec<Finding> {
    let mut found = compare_with_envelope(view, &message.envelope);
    let sender = message.envelope.sender_address();
    if message.authenticated_as.is_none()
        && let Some((_, domain)) = sender.rsplit_once('@')
        && crate::dns::spf(domain, &message.client_ip) == Some(crate::dns::SpfResult::Fail)
    {
        let record = crate::dns::spf_record(domain).unwrap_or_default().to_string();
        found.push(Finding::SenderNotAuthorized { sender: sender.clone(), client: message.client_ip.clone(), record });
    }
    found
}

/// Compares the header of a message with the envelope it came in.
pub(crate) fn compare_with_envelope(view: &MessageView, envelope: &Envelope) -> Vec<Finding> {
    let mut findings = Vec::new();
    let sender = envelope.sender_address();
    match view.from.first() {
        None => findings.push(Finding::MissingFrom),
        Some(from) if !from.eq_ignore_ascii_case(&sender) => findings.push(Finding::FromDiffersFromEnvelope { header: from.clone(), envelope: sender }),
        Some(_) => {}
    }
    let recipients: Vec<String> = envelope.recipient_addresses().iter().map(|r| r.to_ascii_lowercase()).collect();
    let named = |list: &[String], a: &str| list.iter().any(|x| x.eq_ignore_ascii_case(a));
    for to in &view.to {
        if !recipients.contains(&to.to_ascii_lowercase()) {
            findings.push(Finding::ToWithoutRecipient { address: to.clone() });
        }
    }
    for cc in &view.cc {
        if !recipients.contains(&cc.to_ascii_lowercase()) {
            findings.push(Finding::CcWithoutRecipient { address: cc.clone() });
        }
    }
    for rcpt in envelope.recipient_addresses() {
        if !named(&view.to, &rcpt) && !named(&view.cc, &rcpt) {
            findings.push(Finding::BlindRecipient { address: rcpt });
        }
    }
    if view.date.is_none() {
        findings.push(Finding::MissingDate);
    }
    if view.message_id.is_none() {
        findings.push(Finding::MissingMessageId);
    }
    if !view.bcc.is_empty() {
        findings.push(Finding::BccHeader { addresses: view.bcc.clone() });
    }
    if let Some(line) = &view.missing_blank_line {
        findings.push(Finding::MissingBlankLine { line: line.clone() });
    }
    findings
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::address::{Mailbox, Path};
    use crate::session::Recipient;

    fn envelope(from: &str, to: &[&str]) -> Envelope {
        let path = |a: &str| {
            let (l, d) = a.split_once('@').unwrap();
            Path::Mailbox(Mailbox { local_part: l.into(), domain: d.into() })
        };
        Envelope {
            reverse_path: Some(path(from)),
            mail_params: Default::default(),
            recipients: to.iter().map(|a| Recipient { path: path(a), params: Default::default() }).collect(),
        }
    }

    #[test]
    fn from_domain_reads_what_the_parser_reads() {
        let cases: [(&str, Option<&str>); 8] = [
            ("From: alice@University.Example\r\n", Some("university.example")),
            ("From: Alice <alice@mail.example>\r\n", Some("mail.example")),
            ("From: \"Doe, <Jane>\" <jane@quoted.example>, bob@second.example\r\n", Some("quoted.example")),
            ("From: alice@a.example (Alice <x@comment.example>)\r\n", Some("a.example")),
            ("From: Alice\r\n <alice@folded.example>\r\n", Some("folded.example")),
            ("Subject: no from\r\n", None),
            ("From: undisclosed\r\n", None),
            ("From: broken@\r\n", None),
        ];
        for (header, expected) in cases {
            let raw = format!("{header}\r\nbody\r\n");
            assert_eq!(from_domain(raw.as_bytes()).as_deref(), expected, "{header:?}");
            // The MIME parser agrees wherever it finds an address.
            if let Some(parsed) = parse_message(raw.as_bytes()).from.first().and_then(|a| a.rsplit_once('@')).map(|(_, d)| d.to_ascii_lowercase()).filter(|d| !d.is_empty()) {
                assert_eq!(expected, Some(parsed.as_str()), "{header:?}");
            }
        }
    }

    #[test]
    fn header_value_unfolds_and_stops_at_body() {
        let raw = b"Subject: a\r\n b\r\nMessage-ID: <x@y>\r\n\r\nMessage-ID: body\r\n";
        assert_eq!(header_value(raw, "subject").as_deref(), Some("a b"));
        assert_eq!(header_value(raw, "Message-Id").as_deref(), Some("<x@y>"));
        assert_eq!(header_value(b"\r\nMessage-ID: <b>\r\n", "Message-ID"), None);
    }

    /// The course handout's message: no blank line between the header block and the body.
    #[test]
    fn a_header_block_without_its_blank_line_keeps_the_body_and_says_so() {
        let raw = b"Return-Path: <z@s.example>\r\nReceived: from x\r\n\tby vm;\r\n\tMon, 1 Jan 2026\r\nMessage-ID: <a@b>\r\nFrom: Zotrim <z@s.example>\r\nSUBJECT: 63-11 Async\r\nTest mail SMTP\r\n";
        let view = parse_message(raw);
        assert_eq!(view.subject.as_deref(), Some("63-11 Async"));
        assert_eq!(view.text.as_deref().map(str::trim), Some("Test mail SMTP"));
        assert_eq!(view.missing_blank_line.as_deref(), Some("Test mail SMTP"));
        let findings = compare_with_envelope(&view, &envelope("z@s.example", &["a@b.example"]));
        assert!(findings.contains(&Finding::MissingBlankLine { line: "Test mail SMTP".into() }));
        // A well-formed message says nothing of it.
        assert_eq!(parse_message(b"Subject: x\r\n\r\nbody\r\n").missing_blank_line, None);
    }

    /// The lab's forged envelope: MAIL FROM a domain whose SPF does not allow the client.
    #[test]
    fn a_forged_envelope_sender_is_a_finding_too() {
        let raw = b"From: dean@university.example\r\nSubject: x\r\n\r\nx\r\n".to_vec();
        let stored = |sender: &str, client: &str, auth: Option<&str>| crate::mailbox::StoredMessage {
            queue_id: "Q".into(),
            received_at: crate::time::Timestamp(0),
            envelope: envelope(sender, &["a@b.example"]),
            client_name: None,
            client_ip: client.into(),
            tls: false,
            authenticated_as: auth.map(String::from),
            raw: raw.clone(),
            journey: None,
            report_of: None,
        };
        let view = parse_message(&raw);
        let forged = findings(&view, &stored("dean@university.example", "127.0.0.1", None));
        assert!(forged.iter().any(|f| f.id() == "sender_not_authorized"), "{forged:?}");
        // Sent from the domain's own network, after logging in, or for a domain without SPF here: no.
        assert!(!findings(&view, &stored("dean@university.example", "203.0.113.25", None)).iter().any(|f| f.id() == "sender_not_authorized"));
        assert!(!findings(&view, &stored("dean@university.example", "127.0.0.1", Some("dean"))).iter().any(|f| f.id() == "sender_not_authorized"));
        assert!(!findings(&view, &stored("x@bank.example", "127.0.0.1", None)).iter().any(|f| f.id() == "sender_not_authorized"));
    }

    #[test]
    fn an_explicit_bcc_header_is_flagged() {
        let view = parse_message(b"From: a@b.example\r\nTo: c@d.example\r\nBcc: secret@d.example\r\n\r\nx\r\n");
        assert_eq!(view.bcc, vec!["secret@d.example".to_string()]);
        let findings = compare_with_envelope(&view, &envelope("a@b.example", &["c@d.example", "secret@d.example"]));
        assert!(findings.contains(&Finding::BccHeader { addresses: vec!["secret@d.example".into()] }));
    }

    #[test]
    fn findings_spoofed_from_cc_and_bcc() {
        let raw = b"From: Boss <boss@bank.example>\r\nTo: alice@playground.test\r\nCc: carol@playground.test\r\nSubject: hi\r\n\r\nbody\r\n";
        let view = parse_message(raw);
        assert_eq!(view.subject.as_deref(), Some("hi"));
        let findings = compare_with_envelope(&view, &envelope("student@playground.test", &["alice@playground.test", "bob@playground.test"]));
        assert!(findings.contains(&Finding::FromDiffersFromEnvelope { header: "boss@bank.example".into(), envelope: "student@playground.test".into() }));
        assert!(findings.contains(&Finding::CcWithoutRecipient { address: "carol@playground.test".into() }));
        assert!(findings.contains(&Finding::BlindRecipient { address: "bob@playground.test".into() }));
        assert!(findings.contains(&Finding::MissingDate));
        assert!(findings.contains(&Finding::MissingMessageId));
    }

    #[test]
    fn mime_parts_and_attachments() {
        let raw = b"From: a@b.example\r\nSubject: files\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"XX\"\r\n\r\n--XX\r\nContent-Type: text/plain\r\n\r\nsee attached\r\n--XX\r\nContent-Type: application/octet-stream\r\nContent-Disposition: attachment; filename=\"notes.bin\"\r\nContent-Transfer-Encoding: base64\r\n\r\nAAECAw==\r\n--XX--\r\n";
        let view = parse_message(raw);
        assert_eq!(view.text.as_deref().map(str::trim), Some("see attached"));
        let attachment = view.parts.iter().find(|p| p.attachment).expect("an attachment");
        assert_eq!(attachment.file_name.as_deref(), Some("notes.bin"));
        assert_eq!(part_contents(raw, attachment.index), Some(vec![0, 1, 2, 3]));
    }

    #[test]
    fn garbage_is_read_as_what_it_is() {
        // Nothing at all: no header, no text.
        let empty = parse_message(b"");
        assert!(empty.headers.is_empty() && empty.subject.is_none() && empty.from.is_empty(), "{empty:?}");
        // Bytes that are not UTF-8 and a line that is no header: no header read from either,
        // and the break in the header block is named where there is one.
        let binary = parse_message(b"\xff\xfe");
        assert!(binary.headers.is_empty() && binary.subject.is_none(), "{binary:?}");
        let no_header = parse_message(b"no header at all");
        assert!(no_header.headers.is_empty() && no_header.subject.is_none(), "{no_header:?}");
        assert_eq!(no_header.missing_blank_line.as_deref(), Some("no header at all"));
        // A multipart with an empty boundary: its one header is still read, and no part is invented.
        let multipart = parse_message(b"Content-Type: multipart/mixed; boundary=\r\n\r\n--\r\n");
        assert_eq!(multipart.headers.len(), 1, "{multipart:?}");
        assert!(multipart.parts.iter().all(|p| !p.attachment), "{multipart:?}");
    }
}
