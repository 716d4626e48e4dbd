//! The Wire view's rows: every line as the bytes that crossed, CR and LF drawn, a bare LF or CR
//! flagged, dot-stuffing shown as sent and as kept, base64 decoded beside it, each line's length
//! against its RFC 5321 limit, 8-bit and NUL bytes named, and where TLS starts. Made from the
//! session's events, so every mode has it.

use super::entry::plain_initial_decoded;
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use smtp_protocol::event::{ClientLine, Event};

/// A run of one line's bytes as the view draws it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Piece {
    Text(String),
    /// CR then LF: the line end RFC 5321 2.3.8 asks for.
    CrLf,
    /// LF without a CR before it.
    BareLf,
    /// CR without an LF after it.
    BareCr,
    Nul,
    /// Another control character (its byte).
    Control(u8),
    /// A character outside ASCII, and its UTF-8 bytes in hex.
    EightBit {
        text: String,
        bytes: String,
    },
    /// Bytes that were not UTF-8: the record kept U+FFFD in their place.
    Invalid,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Side {
    Client,
    Server,
}

/// One line that crossed, with what the view says about it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WireLine {
    pub side: Side,
    pub pieces: Vec<Piece>,
    /// Octets, line end included.
    pub octets: usize,
    /// The RFC 5321 limit for this kind of line, line end included, and where it is set.
    pub limit: Option<(usize, &'static str)>,
    /// What the reader should know about this line (a bare LF, the dot removed, base64 ...).
    pub notes: Vec<String>,
    /// Something about it breaks the rules (a bare CR or LF, a NUL, over its limit).
    pub flagged: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WireRow {
    Line(WireLine),
    Marker(String),
}

const COMMAND_LINE: (usize, &str) = (512, "RFC 5321 4.5.3.1.4: a command line");
const REPLY_LINE: (usize, &str) = (512, "RFC 5321 4.5.3.1.5: a reply line");
const TEXT_LINE: (usize, &str) = (1000, "RFC 5321 4.5.3.1.6: a line of message text");

/// Cuts `text` (a line with or without its ending) into pieces.
pub fn pieces(text: &str) -> Vec<Piece> {
    let mut out: Vec<Piece> = Vec::new();
    let mut run = String::new();
    let mut chars = text.chars().peekable();
    let flush = |run: &mut String, out: &mut Vec<Piece>| {
        if !run.is_empty() {
            out.push(Piece::Text(std::mem::take(run)));
        }
    };
    while let Some(c) = chars.next() {
        let piece = match c {
            '\r' if chars.peek() == Some(&'\n') => {
                chars.next();
                Some(Piece::CrLf)
            }
            '\r' => Some(Piece::BareCr),
            '\n' => Some(Piece::BareLf),
            '\0' => Some(Piece::Nul),
            '\u{fffd}' => Some(Piece::Invalid),
            c if (c as u32) < 0x20 || c == '\u{7f}' => Some(Piece::Control(c as u8)),
            c if !c.is_ascii() => {
                let mut buffer = [0u8; 4];
                let bytes = c.encode_utf8(&mut buffer).bytes().map(|b| format!("{b:02X}")).collect::<Vec<_>>().join(" ");
                Some(Piece::EightBit { text: c.to_string(), bytes })
            }
            c => {
                run.push(c);
                None
            }
        };
        if let Some(piece) = piece {
            flush(&mut run, &mut out);
            out.push(piece);
        }
    }
    flush(&mut run, &mut out);
    out
}

/// Notes and the flag every line gets from its pieces.
fn judge(line: &mut WireLine) {
    let seen = |piece: &Piece| line.pieces.iter().any(|p| std::mem::discriminant(p) == std::mem::discriminant(piece));
    let mut notes = Vec::new();
    if seen(&Piece::BareLf) {
        notes.push("Bare LF: a line end without CR. RFC 5321 2.3.8 allows only CRLF; servers differ on what a bare LF is (the SMTP smuggling lesson).".to_string());
    }
    if seen(&Piece::BareCr) {
        notes.push("Bare CR: a CR not followed by LF. RFC 5321 2.3.8 forbids it in SMTP.".to_string());
    }
    if seen(&Piece::Nul) {
        notes.push("NUL byte: not allowed in SMTP text (RFC 5321 2.3.8, RFC 5322 2.2).".to_string());
    }
    if seen(&Piece::EightBit { text: String::new(), bytes: String::new() }) {
        notes.push("8-bit bytes: outside 7-bit ASCII. In a message they need 8BITMIME (BODY=8BITMIME); in an address, SMTPUTF8.".to_string());
    }
    if seen(&Piece::Invalid) {
        notes.push("Bytes that are not UTF-8: the record shows \u{fffd} in their place.".to_string());
    }
    let over = line.limit.is_some_and(|(limit, _)| line.octets > limit);
    if let Some((limit, rule)) = line.limit.filter(|_| over) {
        notes.push(format!("{} octets: over the {limit} that {rule} may hold.", line.octets));
    }
    line.flagged = over || seen(&Piece::BareLf) || seen(&Piece::BareCr) || seen(&Piece::Nul);
    notes.append(&mut line.notes);
    line.notes = notes;
}

fn decoded_base64(text: &str) -> Option<String> {
    let bytes = STANDARD.decode(text.trim()).ok()?;
    let text = String::from_utf8(bytes.clone()).ok().filter(|t| !t.chars().any(|c| c.is_control() && c != '\n' && c != '\r' && c != '\t'));
    Some(match text {
        Some(text) => format!("base64 of \u{201c}{}\u{201d}", text.replace("\r\n", "\u{23ce}").replace('\n', "\u{23ce}")),
        None => format!("base64 of {} bytes of binary data", bytes.len()),
    })
}

/// Tracks a message's MIME parts well enough to know which lines are base64.
#[derive(Default)]
struct Content {
    in_header: bool,
    base64_part: bool,
    /// The previous content line ended with a bare LF.
    after_bare_lf: bool,
}

impl Content {
    fn start() -> Self {
        Content { in_header: true, base64_part: false, after_bare_lf: false }
    }

    /// The decoding of a base64 body line, if this line is one.
    fn line(&mut self, text: &str) -> Option<String> {
        let bare = text.trim_end_matches(['\r', '\n']);
        if bare.starts_with("--") {
            // A MIME boundary: a new part's header follows.
            self.in_header = true;
            self.base64_part = false;
            return None;
        }
        if self.in_header {
            if bare.is_empty() {
                self.in_header = false;
            } else if bare.to_ascii_lowercase().starts_with("content-transfer-encoding:") && bare.to_ascii_lowercase().contains("base64") {
                self.base64_part = true;
            }
            return None;
        }
        (self.base64_part && !bare.is_empty()).then(|| decoded_base64(bare)).flatten()
    }
}

/// The rows for a whole session.
pub fn rows(events: &[Event]) -> Vec<WireRow> {
    let mut out = Vec::new();
    let mut content = Content::default();
    for event in events {
        match event {
            Event::LineReceived { raw, line, bare_lf, .. } => {
                let mut notes = Vec::new();
                let (text, limit) = match line {
                    ClientLine::Data | ClientLine::DataEnd => {
                        let sent = raw.trim_end_matches(['\r', '\n']);
                        let after_bare_lf = std::mem::replace(&mut content.after_bare_lf, raw.ends_with('\n') && !raw.ends_with("\r\n"));
                        if matches!(line, ClientLine::Data) && after_bare_lf && sent.starts_with('.') {
                            notes.push("Not a line start for this server: it kept the bare LF before it as text, so this dot is message text, not the end of the message.".into());
                        } else if matches!(line, ClientLine::Data) {
                            if let Some(kept) = sent.strip_prefix('.') {
                                notes.push(format!(
                                    "Dot-stuffed: sent as \u{201c}{sent}\u{201d}, the message holds \u{201c}{kept}\u{201d} (RFC 5321 4.5.2: the server removes the first dot)."
                                ));
                            }
                            notes.extend(content.line(raw));
                        } else if after_bare_lf {
                            notes.push("The end of the message for this server: it took the bare LF before the dot as a line end. A server that does not would read on: this is how SMTP smuggling (CVE-2023-51764) hides a second message.".into());
                        } else {
                            notes.push("The end of the message: a line holding only a dot (RFC 5321 4.1.1.4).".into());
                        }
                        // Content lines keep their ending in the record (the real-server mode
                        // adds CRLF to a line typed without one).
                        let text = if raw.ends_with('\n') { raw.to_string() } else { format!("{raw}\r\n") };
                        (text, Some(TEXT_LINE))
                    }
                    ClientLine::Chunk => (raw.to_string(), None),
                    ClientLine::TooLong { length } => {
                        notes.push(format!("{length} octets before the line end: longer than this server reads, so it dropped the line."));
                        (format!("{raw}\r\n"), None)
                    }
                    ClientLine::AuthResponse { decoded, .. } => {
                        if let Some(decoded) = decoded {
                            notes.push(format!("base64 of \u{201c}{decoded}\u{201d}"));
                        }
                        (format!("{raw}{}", if *bare_lf { "\n" } else { "\r\n" }), None)
                    }
                    ClientLine::Command { parsed } => {
                        if let Some(decoded) = plain_initial_decoded(raw) {
                            notes.push(format!("base64 of \u{201c}{decoded}\u{201d} (authorization id, user, password)"));
                        }
                        if matches!(&**parsed, Ok(p) if p.command.verb() == smtp_protocol::command::Verb::Data) {
                            content = Content::start();
                        }
                        (format!("{raw}{}", if *bare_lf { "\n" } else { "\r\n" }), Some(COMMAND_LINE))
                    }
                };
                let mut line = WireLine { side: Side::Client, octets: text.len(), pieces: pieces(&text), limit, notes, flagged: false };
                judge(&mut line);
                out.push(WireRow::Line(line));
            }
            Event::ReplySent { reply, .. } => {
                let wire = reply.to_wire();
                for text in wire.split_inclusive('\n') {
                    let mut notes = Vec::new();
                    if reply.code == 334 {
                        let challenge = text.get(4..).unwrap_or_default().trim_end();
                        if !challenge.is_empty() {
                            notes.extend(decoded_base64(challenge));
                        }
                    }
                    let mut line = WireLine { side: Side::Server, octets: text.len(), pieces: pieces(text), limit: Some(REPLY_LINE), notes, flagged: false };
                    judge(&mut line);
                    out.push(WireRow::Line(line));
                }
            }
            Event::TlsStarted { protocol, cipher, simulated, .. } => out.push(WireRow::Marker(format!(
                "TLS starts here ({protocol}, {cipher}{}): below this line the real wire carries TLS records; what is shown is what they carry.",
                if *simulated { "; simulated" } else { "" }
            ))),
            Event::Connected { server, .. } => out.push(WireRow::Marker(format!("TCP connection to {server}"))),
            Event::Closed { reason, .. } => out.push(WireRow::Marker(format!("Connection closed: {reason}"))),
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

    fn lines(profile: ProfileName, input: &str) -> Vec<WireLine> {
        let mut session = SimulatedSession::new(ServerConfig::new(profile), 1_000);
        session.send(input, 2_000);
        rows(&session.console.events)
            .into_iter()
            .filter_map(|r| match r {
                WireRow::Line(l) => Some(l),
                WireRow::Marker(_) => None,
            })
            .collect()
    }

    fn client<'a>(lines: &'a [WireLine], starts: &str) -> &'a WireLine {
        lines
            .iter()
            .find(|l| l.side == Side::Client && matches!(l.pieces.first(), Some(Piece::Text(t)) if t.starts_with(starts)))
            .unwrap_or_else(|| panic!("a line starting {starts:?}"))
    }

    #[test]
    fn line_ends_are_drawn_and_a_bare_lf_is_flagged() {
        let all = lines(ProfileName::Exchange, "EHLO a.example\nMAIL FROM:<a@b.example>\r\nRCPT TO:<bob@playground.test>\r\nDATA\r\nSubject: x\r\n\r\nhello\n.\r\n..dots\r\n.\r\n");
        let ehlo = client(&all, "EHLO");
        assert_eq!(ehlo.pieces, [Piece::Text("EHLO a.example".into()), Piece::BareLf]);
        assert!(ehlo.flagged && ehlo.notes[0].starts_with("Bare LF"));
        assert_eq!(ehlo.octets, 15);
        let mail = client(&all, "MAIL");
        assert_eq!(mail.pieces.last(), Some(&Piece::CrLf));
        assert!(!mail.flagged);
        let hello = client(&all, "hello");
        assert_eq!(hello.pieces, [Piece::Text("hello".into()), Piece::BareLf], "the smuggling line, as sent");
        assert!(hello.flagged);
        // Exchange keeps the bare LF as content: the dot after it is message text.
        let dot = all.iter().find(|l| l.pieces.first() == Some(&Piece::Text(".".into())) && l.side == Side::Client).unwrap();
        assert!(dot.notes[0].starts_with("Not a line start for this server"), "{:?}", dot.notes);
        let dots = client(&all, "..dots");
        assert!(dots.notes.iter().any(|n| n.contains("the message holds \u{201c}.dots\u{201d}")), "{:?}", dots.notes);
    }

    #[test]
    fn postfix_ends_the_message_at_the_dot_after_a_bare_lf_and_says_so() {
        let all = lines(ProfileName::Postfix, "EHLO a\r\nMAIL FROM:<a@b.example>\r\nRCPT TO:<bob@playground.test>\r\nDATA\r\nhello\n.\r\n");
        let dot = all.iter().rfind(|l| l.side == Side::Client).unwrap();
        assert!(dot.notes[0].contains("SMTP smuggling"), "{:?}", dot.notes);
    }

    #[test]
    fn base64_is_decoded_beside_the_line_and_tls_is_marked() {
        let mut session = SimulatedSession::new(ServerConfig::new(ProfileName::Postfix), 1_000);
        session.send("EHLO a\r\nSTARTTLS\r\n", 2_000);
        session.send("EHLO a\r\nAUTH LOGIN\r\nc3R1ZGVudA==\r\nc2VjcmV0\r\n", 3_000);
        let all = rows(&session.console.events);
        assert!(all.iter().any(|r| matches!(r, WireRow::Marker(m) if m.starts_with("TLS starts here"))));
        let notes: Vec<&String> = all.iter().filter_map(|r| if let WireRow::Line(l) = r { Some(&l.notes) } else { None }).flatten().collect();
        assert!(notes.iter().any(|n| n.as_str() == "base64 of \u{201c}Username:\u{201d}"), "{notes:?}");
        assert!(notes.iter().any(|n| n.as_str() == "base64 of \u{201c}student\u{201d}"), "{notes:?}");
        assert!(notes.iter().any(|n| n.as_str() == "base64 of \u{201c}******\u{201d}"), "the password stays masked: {notes:?}");
    }

    #[test]
    fn lengths_are_held_against_their_limits() {
        let long = "x".repeat(1200);
        let all = lines(ProfileName::Mock, &format!("EHLO a\r\nMAIL FROM:<a@b.example>\r\nRCPT TO:<c@d.example>\r\nDATA\r\n{long}\r\n.\r\n"));
        let text = client(&all, "xxxx");
        assert_eq!(text.limit, Some(TEXT_LINE));
        assert!(text.flagged, "over 1000 octets");
        let reply = all.iter().find(|l| l.side == Side::Server).unwrap();
        assert_eq!(reply.limit, Some(REPLY_LINE));
    }

    #[test]
    fn base64_body_parts_are_decoded_and_8bit_and_nul_are_named() {
        let all = lines(
            ProfileName::Mock,
            "EHLO a\r\nMAIL FROM:<a@b.example>\r\nRCPT TO:<c@d.example>\r\nDATA\r\nContent-Type: text/plain\r\nContent-Transfer-Encoding: base64\r\n\r\naGVsbG8=\r\ncaf\u{e9} \0\r\n.\r\n",
        );
        let body = client(&all, "aGVsbG8=");
        assert!(body.notes.contains(&"base64 of \u{201c}hello\u{201d}".to_string()), "{:?}", body.notes);
        let cafe = client(&all, "caf");
        assert!(cafe.pieces.contains(&Piece::EightBit { text: "\u{e9}".into(), bytes: "C3 A9".into() }));
        assert!(cafe.pieces.contains(&Piece::Nul) && cafe.flagged);
    }

    #[test]
    fn a_bare_cr_inside_a_line_is_its_own_piece() {
        assert_eq!(pieces("a\rb\r\n"), [Piece::Text("a".into()), Piece::BareCr, Piece::Text("b".into()), Piece::CrLf]);
    }
}
