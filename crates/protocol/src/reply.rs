//! Replies: `NNN text` lines, possibly multi-line, with an optional enhanced status code.
//!
//! The simulator builds [`Reply`] values and writes them with [`Reply::to_wire`]; the bridge reads a
//! real server's replies with [`ReplyParser`], which never fails on odd input: what does not fit
//! RFC 5321 4.2 is reported as a [`ReplyLineError`] with the line kept.

pub mod meaning;

use serde::{Deserialize, Serialize};
use std::fmt;

/// RFC 3463 `class.subject.detail`, e.g. `5.1.1`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct EnhancedCode {
    pub class: u8,
    pub subject: u16,
    pub detail: u16,
}

impl EnhancedCode {
    pub const fn new(class: u8, subject: u16, detail: u16) -> Self {
        EnhancedCode { class, subject, detail }
    }

    /// Parses `2.1.0` (class 2, 4 or 5; subject and detail up to three digits).
    pub fn parse(text: &str) -> Option<Self> {
        // By hand over the bytes: every simulated reply's wording goes through here.
        let bytes = text.as_bytes();
        let class = match bytes {
            [c @ (b'2' | b'4' | b'5'), b'.', ..] => c - b'0',
            _ => return None,
        };
        let mut numbers = [0u16; 2];
        let mut rest = &bytes[2..];
        for (i, number) in numbers.iter_mut().enumerate() {
            let len = rest.iter().take_while(|b| b.is_ascii_digit()).count();
            if !(1..=3).contains(&len) {
                return None;
            }
            *number = rest[..len].iter().fold(0, |n, b| n * 10 + u16::from(b - b'0'));
            rest = &rest[len..];
            match (i, rest.first()) {
                (0, Some(b'.')) => rest = &rest[1..],
                (1, None) => {}
                _ => return None,
            }
        }
        Some(EnhancedCode { class, subject: numbers[0], detail: numbers[1] })
    }

    /// `class.subject.detail` as bytes, without the formatting machinery.
    fn write_bytes(self, out: &mut Vec<u8>) {
        let mut digits = [0u8; 10];
        out.extend_from_slice(decimal(u32::from(self.class), &mut digits));
        out.push(b'.');
        out.extend_from_slice(decimal(u32::from(self.subject), &mut digits));
        out.push(b'.');
        out.extend_from_slice(decimal(u32::from(self.detail), &mut digits));
    }
}

/// `n` in decimal, written at the end of `digits`, without the formatting machinery.
fn decimal(mut n: u32, digits: &mut [u8; 10]) -> &[u8] {
    let mut i = digits.len();
    loop {
        i -= 1;
        digits[i] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    &digits[i..]
}

impl fmt::Display for EnhancedCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}.{}", self.class, self.subject, self.detail)
    }
}

/// The first digit of a reply code (RFC 5321 4.2.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum ReplyClass {
    /// 2yz: the requested action was completed.
    Completed,
    /// 3yz: accepted so far; the server waits for more input.
    Intermediate,
    /// 4yz: not done now; the same request may succeed later.
    TransientFailure,
    /// 5yz: not done, and repeating it unchanged will not help.
    PermanentFailure,
    /// 1yz is unused by SMTP; any other first digit is invalid.
    Unknown,
}

impl ReplyClass {
    pub fn of(code: u16) -> Self {
        match code / 100 {
            2 => ReplyClass::Completed,
            3 => ReplyClass::Intermediate,
            4 => ReplyClass::TransientFailure,
            5 => ReplyClass::PermanentFailure,
            _ => ReplyClass::Unknown,
        }
    }
}

/// One reply. `lines` hold the text after the code and after the enhanced code, if any.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Reply {
    pub code: u16,
    pub enhanced: Option<EnhancedCode>,
    pub lines: Vec<String>,
}

impl Reply {
    pub fn new(code: u16, enhanced: Option<EnhancedCode>, text: impl Into<String>) -> Self {
        Reply { code, enhanced, lines: vec![text.into()] }
    }

    pub fn class(&self) -> ReplyClass {
        ReplyClass::of(self.code)
    }

    /// The reply as sent: every line but the last has `-` after the code (RFC 5321 4.2.1).
    pub fn to_wire(&self) -> String {
        let mut bytes = Vec::with_capacity(self.lines.iter().map(|l| l.len() + 12).sum());
        self.write_wire_bytes(&mut bytes);
        // ASCII digits and punctuation around the lines' own text: always UTF-8.
        String::from_utf8(bytes).unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned())
    }

    /// Appends the reply as sent to `out`, as bytes (the server's transmit buffer). Written by
    /// hand, not with `format!`: every reply the simulator sends goes through here.
    pub(crate) fn write_wire_bytes(&self, out: &mut Vec<u8>) {
        let mut digits = [0u8; 10];
        let code = decimal(u32::from(self.code), &mut digits);
        // The enhanced code is the same on every line: written on the first, then copied.
        let mut enhanced: Option<std::ops::Range<usize>> = None;
        let last = self.lines.len().saturating_sub(1);
        for (i, line) in self.lines.iter().enumerate() {
            out.extend_from_slice(code);
            out.push(if i == last { b' ' } else { b'-' });
            if let Some(enhanced_code) = self.enhanced {
                match &enhanced {
                    Some(written) => out.extend_from_within(written.clone()),
                    None => {
                        let start = out.len();
                        enhanced_code.write_bytes(out);
                        enhanced = Some(start..out.len());
                    }
                }
                if !line.is_empty() {
                    out.push(b' ');
                }
            }
            out.extend_from_slice(line.as_bytes());
            out.extend_from_slice(b"\r\n");
        }
    }

    /// All lines joined with spaces, without codes: what a person reads.
    pub fn text(&self) -> String {
        self.lines.join(" ")
    }
}

impl fmt::Display for Reply {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.to_wire().trim_end())
    }
}

/// What did not fit RFC 5321 4.2 in a real server's reply line.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum ReplyLineError {
    /// The line does not start with three digits followed by space, `-` or the line end.
    NotAReplyLine { line: String },
    /// A continuation line carried another code than the first line.
    CodeChanged { expected: u16, found: u16 },
}

/// Reads replies line by line from a real server (the bridge feeds it lines without CRLF).
#[derive(Debug, Default)]
pub struct ReplyParser {
    pending: Option<Reply>,
}

impl ReplyParser {
    pub fn new() -> Self {
        Self::default()
    }

    /// Feeds one line. Returns the reply when this line was its last one.
    pub fn push_line(&mut self, line: &str) -> Result<Option<Reply>, ReplyLineError> {
        let bytes = line.as_bytes();
        let valid_code = bytes.len() >= 3 && bytes[..3].iter().all(u8::is_ascii_digit) && (b'2'..=b'5').contains(&bytes[0]);
        let sep = bytes.get(3).copied();
        if !valid_code || !matches!(sep, None | Some(b' ') | Some(b'-')) {
            self.pending = None;
            return Err(ReplyLineError::NotAReplyLine { line: line.to_string() });
        }
        let code: u16 = line[..3].parse().expect("three ASCII digits");
        let rest = line.get(4..).unwrap_or("");
        let (enhanced, text) = split_enhanced(code, rest);
        let reply = match self.pending.take() {
            Some(mut reply) => {
                if reply.code != code {
                    return Err(ReplyLineError::CodeChanged { expected: reply.code, found: code });
                }
                reply.lines.push(text.to_string());
                reply
            }
            None => Reply { code, enhanced, lines: vec![text.to_string()] },
        };
        if sep == Some(b'-') {
            self.pending = Some(reply);
            Ok(None)
        } else {
            Ok(Some(reply))
        }
    }
}

/// Splits a leading enhanced code whose class matches the reply code's first digit.
fn split_enhanced(code: u16, rest: &str) -> (Option<EnhancedCode>, &str) {
    let (first, after) = rest.split_once(' ').unwrap_or((rest, ""));
    match EnhancedCode::parse(first) {
        Some(e) if u16::from(e.class) == code / 100 => (Some(e), after),
        _ => (None, rest),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn enhanced_codes_parse_only_in_their_form() {
        assert_eq!(EnhancedCode::parse("2.1.0"), Some(EnhancedCode { class: 2, subject: 1, detail: 0 }));
        assert_eq!(EnhancedCode::parse("5.7.139"), Some(EnhancedCode { class: 5, subject: 7, detail: 139 }));
        assert_eq!(EnhancedCode::parse("4.10.100"), Some(EnhancedCode { class: 4, subject: 10, detail: 100 }));
        for bad in ["", "2", "2.1", "2.1.", "3.1.0", "22.1.0", "2.1.0.1", "2.1234.0", "2.1.0 ", "2..0", "2.a.0", "2.1.1000", "+2.1.0"] {
            assert_eq!(EnhancedCode::parse(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn writes_single_and_multi_line_replies() {
        let reply = Reply::new(250, Some(EnhancedCode::new(2, 1, 0)), "Ok");
        assert_eq!(reply.to_wire(), "250 2.1.0 Ok\r\n");
        let ehlo = Reply { code: 250, enhanced: None, lines: vec!["vm".into(), "PIPELINING".into(), "CHUNKING".into()] };
        assert_eq!(ehlo.to_wire(), "250-vm\r\n250-PIPELINING\r\n250 CHUNKING\r\n");
    }

    #[test]
    fn parses_a_real_multi_line_reply() {
        let mut parser = ReplyParser::new();
        assert_eq!(parser.push_line("530-5.7.0 Authentication Required. For more information, go to"), Ok(None));
        let reply = parser.push_line("530 5.7.0  https://support.google.com/mail/?p=WantAuthError x - gsmtp").unwrap().unwrap();
        assert_eq!(reply.code, 530);
        assert_eq!(reply.enhanced, Some(EnhancedCode::new(5, 7, 0)));
        assert_eq!(reply.lines.len(), 2);
    }

    #[test]
    fn odd_lines_are_reported_not_panicked_on() {
        let mut parser = ReplyParser::new();
        assert!(matches!(parser.push_line("hello"), Err(ReplyLineError::NotAReplyLine { .. })));
        assert!(matches!(parser.push_line("2"), Err(ReplyLineError::NotAReplyLine { .. })));
        assert_eq!(parser.push_line("250").unwrap().unwrap().lines, vec![String::new()]);
        parser.push_line("250-a").unwrap();
        assert_eq!(parser.push_line("251 b"), Err(ReplyLineError::CodeChanged { expected: 250, found: 251 }));
        // An enhanced code of another class is text, not a code.
        let reply = parser.push_line("250 5.1.1 odd").unwrap().unwrap();
        assert_eq!((reply.enhanced, reply.lines[0].as_str()), (None, "5.1.1 odd"));
    }
}
