//! The Reference's MIME builder: a message with a text part and a base64 attachment, as lines
//! to paste after `DATA` (RFC 2045-2049), with any line that starts with a dot already doubled.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;

pub struct Draft<'a> {
    pub from: &'a str,
    pub to: &'a str,
    pub subject: &'a str,
    pub body: &'a str,
    pub file_name: &'a str,
    pub attachment: &'a [u8],
}

/// The boundary between parts: it must not occur in any part (base64 text never holds `=_`).
const BOUNDARY: &str = "=_playground_part_1";

/// The message, CRLF line ends, ready to send after a 354 (without the final dot line).
pub fn build(draft: &Draft<'_>) -> String {
    let mut out = String::new();
    let mut line = |text: &str| {
        // Transparency (RFC 5321 4.5.2): a leading dot is doubled on the wire.
        if text.starts_with('.') {
            out.push('.');
        }
        out.push_str(text);
        out.push_str("\r\n");
    };
    line(&format!("From: {}", draft.from));
    line(&format!("To: {}", draft.to));
    line(&format!("Subject: {}", draft.subject));
    line("MIME-Version: 1.0");
    line(&format!("Content-Type: multipart/mixed; boundary=\"{BOUNDARY}\""));
    line("");
    line("This is a message in MIME format (RFC 2045).");
    line("");
    line(&format!("--{BOUNDARY}"));
    line("Content-Type: text/plain; charset=utf-8");
    line("Content-Transfer-Encoding: 8bit");
    line("");
    for body_line in draft.body.lines() {
        line(body_line);
    }
    line("");
    line(&format!("--{BOUNDARY}"));
    let name = draft.file_name.replace(['"', '\r', '\n'], "");
    line(&format!("Content-Type: application/octet-stream; name=\"{name}\""));
    line("Content-Transfer-Encoding: base64");
    line(&format!("Content-Disposition: attachment; filename=\"{name}\""));
    line("");
    // Base64 in lines of 76 characters (RFC 2045 6.8).
    let encoded = STANDARD.encode(draft.attachment);
    for chunk in encoded.as_bytes().chunks(76) {
        line(std::str::from_utf8(chunk).unwrap_or_default());
    }
    line(&format!("--{BOUNDARY}--"));
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use smtp_protocol::message::parse_message;

    #[test]
    fn the_built_message_parses_back_with_its_attachment() {
        let attachment = "a,b\n1,2\n".repeat(20);
        let draft = Draft {
            from: "student@playground.test",
            to: "bob@playground.test",
            subject: "Report",
            body: "Hello Bob,\n.see the file",
            file_name: "report.csv",
            attachment: attachment.as_bytes(),
        };
        let text = build(&draft);
        assert!(text.lines().all(|l| l.len() <= 78), "lines stay short");
        assert!(text.contains("\r\n..see the file\r\n"), "a leading dot is doubled");
        // As the server stores it: the doubled dot removed again.
        let stored = text.replace("\r\n..", "\r\n.");
        let view = parse_message(stored.as_bytes());
        assert_eq!(view.subject.as_deref(), Some("Report"));
        let file = view.parts.iter().find(|p| p.attachment).expect("an attachment part");
        assert_eq!(file.file_name.as_deref(), Some("report.csv"));
        assert_eq!(smtp_protocol::message::part_contents(stored.as_bytes(), file.index).unwrap(), attachment.as_bytes());
    }
}
