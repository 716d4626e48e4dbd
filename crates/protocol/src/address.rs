//! Paths and mailboxes in MAIL FROM / RCPT TO (RFC 5321 4.1.2), with RFC 6531 UTF-8.

use compact_str::CompactString;
use serde::{Deserialize, Serialize};
use std::fmt;

/// `local-part@domain`; the domain may be an address literal such as `[192.0.2.1]`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Mailbox {
    pub local_part: CompactString,
    pub domain: CompactString,
}

impl Mailbox {
    pub fn is_ascii(&self) -> bool {
        self.local_part.is_ascii() && self.domain.is_ascii()
    }
}

impl fmt::Display for Mailbox {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}@{}", self.local_part, self.domain)
    }
}

/// A reverse-path (MAIL FROM) or forward-path (RCPT TO).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Path {
    /// `<>`: the null reverse-path of bounces (RFC 5321 4.5.5).
    Null,
    /// `<Postmaster>` without a domain, which every server must accept (RFC 5321 4.5.1).
    Postmaster,
    Mailbox(Mailbox),
}

impl Path {
    pub fn mailbox(&self) -> Option<&Mailbox> {
        match self {
            Path::Mailbox(m) => Some(m),
            _ => None,
        }
    }
    pub fn is_ascii(&self) -> bool {
        self.mailbox().is_none_or(Mailbox::is_ascii)
    }
}

impl fmt::Display for Path {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Path::Null => f.write_str("<>"),
            Path::Postmaster => f.write_str("<Postmaster>"),
            Path::Mailbox(m) => write!(f, "<{m}>"),
        }
    }
}

/// What is wrong with an address, and where (a byte offset into the text given to the parser).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum AddressError {
    Empty,
    MissingCloseBracket,
    MissingAt {
        at: usize,
    },
    EmptyLocalPart {
        at: usize,
    },
    BadLocalPart {
        at: usize,
    },
    UnterminatedQuote {
        at: usize,
    },
    EmptyDomain {
        at: usize,
    },
    BadDomain {
        at: usize,
    },
    BadAddressLiteral {
        at: usize,
    },
    /// Over the RFC 5321 4.5.3.1 limits (64 octets local part, 255 domain).
    TooLong {
        part: String,
        limit: usize,
    },
}

impl AddressError {
    pub fn offset(&self) -> usize {
        match self {
            AddressError::Empty | AddressError::MissingCloseBracket | AddressError::TooLong { .. } => 0,
            AddressError::MissingAt { at }
            | AddressError::EmptyLocalPart { at }
            | AddressError::BadLocalPart { at }
            | AddressError::UnterminatedQuote { at }
            | AddressError::EmptyDomain { at }
            | AddressError::BadDomain { at }
            | AddressError::BadAddressLiteral { at } => *at,
        }
    }

    pub fn describe(&self) -> String {
        match self {
            AddressError::Empty => "the address is empty".into(),
            AddressError::MissingCloseBracket => "the address opens with < but has no closing >".into(),
            AddressError::MissingAt { .. } => "the address has no @ between user and domain".into(),
            AddressError::EmptyLocalPart { .. } => "nothing stands before the @".into(),
            AddressError::BadLocalPart { .. } => "the part before the @ has a character that needs quoting, or a misplaced dot".into(),
            AddressError::UnterminatedQuote { .. } => "a quoted local part has no closing \"".into(),
            AddressError::EmptyDomain { .. } => "nothing stands after the @".into(),
            AddressError::BadDomain { .. } => "the domain is not a valid host name (letters, digits, hyphens, separated by dots)".into(),
            AddressError::BadAddressLiteral { .. } => "the address literal in [ ] is not an IPv4 or IPv6 address".into(),
            AddressError::TooLong { part, limit } => format!("the {part} is longer than {limit} octets (RFC 5321 4.5.3.1)"),
        }
    }
}

/// Parsed path, how it was written, and what follows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ParsedPath<'a> {
    pub path: Path,
    /// Written without the angle brackets RFC 5321 requires.
    pub bare: bool,
    pub rest: &'a str,
}

/// Parses a path at the start of `text`. `allow_null` for reverse-paths. A bare `user@domain`
/// (no brackets) is parsed too; the caller decides whether the profile tolerates it.
pub(crate) fn parse_path(text: &str, allow_null: bool, enforce_lengths: bool) -> Result<ParsedPath<'_>, AddressError> {
    if text.is_empty() {
        return Err(AddressError::Empty);
    }
    if let Some(inner_start) = text.strip_prefix('<') {
        if let Some((mailbox, close)) = plain_mailbox(inner_start, enforce_lengths) {
            return Ok(ParsedPath { path: Path::Mailbox(mailbox), bare: false, rest: &inner_start[close + 1..] });
        }
        return parse_bracketed(inner_start, allow_null, enforce_lengths);
    }
    let end = text.find(' ').unwrap_or(text.len());
    let word = &text[..end];
    let path = if word.eq_ignore_ascii_case("postmaster") { Path::Postmaster } else { Path::Mailbox(parse_mailbox(word, enforce_lengths)?) };
    Ok(ParsedPath { path, bare: true, rest: &text[end..] })
}

/// A path in angle brackets of any form, after its `<`.
fn parse_bracketed(inner_start: &str, allow_null: bool, enforce_lengths: bool) -> Result<ParsedPath<'_>, AddressError> {
    let close = find_close_bracket(inner_start).ok_or(AddressError::MissingCloseBracket)?;
    let inner = &inner_start[..close];
    let rest = &inner_start[close + 1..];
    let path = if inner.is_empty() {
        if !allow_null {
            return Err(AddressError::Empty);
        }
        Path::Null
    } else if inner.eq_ignore_ascii_case("postmaster") {
        Path::Postmaster
    } else {
        // A source route `@a,@b:` is accepted and ignored (RFC 5321 4.1.2, C.6).
        let (inner, skipped) = match inner.starts_with('@').then(|| inner.find(':')).flatten() {
            Some(colon) => (&inner[colon + 1..], colon + 1),
            None => (inner, 0),
        };
        Path::Mailbox(parse_mailbox(inner, enforce_lengths).map_err(|e| shift(e, 1 + skipped))?)
    };
    Ok(ParsedPath { path, bare: false, rest })
}

/// The usual path, `<dot-atom@host.name>`, in one pass up to the `>`: the mailbox and where the
/// `>` is. `None` for anything else (quotes, source routes, literals, errors), which the general
/// parser then reads, with its precise errors.
fn plain_mailbox(text: &str, enforce_lengths: bool) -> Option<(Mailbox, usize)> {
    let bytes = text.as_bytes();
    let n = bytes.len();
    // Atoms: runs of atext, each non-empty, joined by single dots, up to the '@'. The inner
    // loops are a table lookup a byte; dots and the end are handled once per atom.
    let mut i = 0;
    let at = loop {
        let start = i;
        while i < n && is_atext(bytes[i]) {
            i += 1;
        }
        if i == start {
            return None;
        }
        match bytes.get(i)? {
            b'.' => i += 1,
            b'@' => break i,
            _ => return None,
        }
    };
    // Labels: runs of letters, digits and hyphens, neither starting nor ending with a hyphen,
    // joined by single dots, up to the '>'.
    i += 1;
    let close = loop {
        let start = i;
        while i < n && matches!(DOMAIN_CLASS[bytes[i] as usize], LABEL | HYPHEN) {
            i += 1;
        }
        if i == start || bytes[start] == b'-' || bytes[i - 1] == b'-' {
            return None;
        }
        match bytes.get(i)? {
            b'.' => i += 1,
            b'>' => break i,
            _ => return None,
        }
    };
    if enforce_lengths && (at > 64 || close - at - 1 > 255) {
        return None;
    }
    // '@' and '>' are ASCII: both cuts are on character boundaries.
    Some((Mailbox { local_part: text[..at].into(), domain: text[at + 1..close].into() }, close))
}

fn find_close_bracket(text: &str) -> Option<usize> {
    let bytes = text.as_bytes();
    // Only a quoted local part (first, or after a source route) can hold a '>' that does not
    // end the path; otherwise the first '>' is the end (a plain loop: over a few dozen bytes,
    // memchr's dispatch costs more than the scan).
    if !matches!(bytes.first(), Some(b'"' | b'@')) {
        return bytes.iter().position(|b| *b == b'>');
    }
    let mut quoted = false;
    let mut escaped = false;
    // '>', '"' and '\\' are ASCII, so a byte scan is exact on UTF-8 too.
    for (i, &b) in bytes.iter().enumerate() {
        match b {
            _ if escaped => escaped = false,
            b'\\' if quoted => escaped = true,
            b'"' => quoted = !quoted,
            b'>' if !quoted => return Some(i),
            _ => {}
        }
    }
    None
}

fn shift(err: AddressError, by: usize) -> AddressError {
    match err {
        AddressError::MissingAt { at } => AddressError::MissingAt { at: at + by },
        AddressError::EmptyLocalPart { at } => AddressError::EmptyLocalPart { at: at + by },
        AddressError::BadLocalPart { at } => AddressError::BadLocalPart { at: at + by },
        AddressError::UnterminatedQuote { at } => AddressError::UnterminatedQuote { at: at + by },
        AddressError::EmptyDomain { at } => AddressError::EmptyDomain { at: at + by },
        AddressError::BadDomain { at } => AddressError::BadDomain { at: at + by },
        AddressError::BadAddressLiteral { at } => AddressError::BadAddressLiteral { at: at + by },
        other => other,
    }
}

/// `atext` of RFC 5322 3.2.3, plus any byte of a non-ASCII character (RFC 6531
/// `UTF8-non-ascii`; the text is valid UTF-8 already).
fn is_atext(b: u8) -> bool {
    ATEXT[b as usize]
}

/// [`is_atext`] as a table: it is asked for every byte of every local part.
static ATEXT: [bool; 256] = {
    let specials = b"!#$%&'*+-/=?^_`{|}~";
    let mut table = [false; 256];
    let mut b = 0;
    while b < 256 {
        let c = b as u8;
        table[b] = c.is_ascii_alphanumeric() || !c.is_ascii();
        b += 1;
    }
    let mut i = 0;
    while i < specials.len() {
        table[specials[i] as usize] = true;
        i += 1;
    }
    table
};

pub fn parse_mailbox(text: &str, enforce_lengths: bool) -> Result<Mailbox, AddressError> {
    let (local_part, at) = if text.starts_with('"') {
        let mut escaped = false;
        let mut end = None;
        for (i, c) in text.char_indices().skip(1) {
            match c {
                _ if escaped => escaped = false,
                '\\' => escaped = true,
                '"' => {
                    end = Some(i);
                    break;
                }
                c if c.is_ascii_control() => return Err(AddressError::BadLocalPart { at: i }),
                _ => {}
            }
        }
        let end = end.ok_or(AddressError::UnterminatedQuote { at: 0 })?;
        let local = &text[..=end];
        if !text[end + 1..].starts_with('@') {
            return Err(AddressError::MissingAt { at: end + 1 });
        }
        (local, end + 1)
    } else {
        let at = text.as_bytes().iter().rposition(|b| *b == b'@').ok_or(AddressError::MissingAt { at: text.len() })?;
        let local = &text[..at];
        if local.is_empty() {
            return Err(AddressError::EmptyLocalPart { at: 0 });
        }
        let mut previous_dot = true;
        for (i, &c) in local.as_bytes().iter().enumerate() {
            let dot = c == b'.';
            if (dot && previous_dot) || (!dot && !is_atext(c)) {
                return Err(AddressError::BadLocalPart { at: i });
            }
            previous_dot = dot;
        }
        if previous_dot {
            return Err(AddressError::BadLocalPart { at: local.len() - 1 });
        }
        (local, at)
    };
    let domain = &text[at + 1..];
    validate_domain(domain).map_err(|e| shift(e, at + 1))?;
    if enforce_lengths {
        if local_part.len() > 64 {
            return Err(AddressError::TooLong { part: "local part".into(), limit: 64 });
        }
        if domain.len() > 255 {
            return Err(AddressError::TooLong { part: "domain".into(), limit: 255 });
        }
    }
    Ok(Mailbox { local_part: local_part.into(), domain: domain.into() })
}

/// A host name (`sub-domain *("." sub-domain)`) or an address literal in brackets.
pub(crate) fn validate_domain(domain: &str) -> Result<(), AddressError> {
    if domain.is_empty() {
        return Err(AddressError::EmptyDomain { at: 0 });
    }
    if let Some(literal) = domain.strip_prefix('[') {
        let inner = literal.strip_suffix(']').ok_or(AddressError::BadAddressLiteral { at: 0 })?;
        let valid = match inner.get(..5) {
            Some(tag) if tag.eq_ignore_ascii_case("IPv6:") => inner[5..].parse::<std::net::Ipv6Addr>().is_ok(),
            _ => inner.parse::<std::net::Ipv4Addr>().is_ok(),
        };
        return if valid { Ok(()) } else { Err(AddressError::BadAddressLiteral { at: 1 }) };
    }
    // One pass over the bytes: labels of letters, digits, hyphens (or UTF-8), not empty, and
    // neither starting nor ending with a hyphen. `previous` is the class of the byte before
    // (a dot at the start, so that an empty first label is caught like any other).
    let mut label_start = 0;
    let mut previous = DOT;
    for (i, &b) in domain.as_bytes().iter().enumerate() {
        let class = DOMAIN_CLASS[b as usize];
        let bad = match class {
            DOT => previous != LABEL,
            HYPHEN => previous == DOT,
            LABEL => false,
            _ => true,
        };
        if bad {
            return Err(AddressError::BadDomain { at: label_start });
        }
        if class == DOT {
            label_start = i + 1;
        }
        previous = class;
    }
    if previous == LABEL { Ok(()) } else { Err(AddressError::BadDomain { at: label_start }) }
}

const INVALID: u8 = 0;
const LABEL: u8 = 1;
const HYPHEN: u8 = 2;
const DOT: u8 = 3;

/// What each byte is in a host name: letters, digits and the bytes of non-ASCII characters are
/// label characters; a hyphen may stand inside a label; a dot separates labels.
static DOMAIN_CLASS: [u8; 256] = {
    let mut table = [INVALID; 256];
    let mut b = 0;
    while b < 256 {
        let c = b as u8;
        table[b] = if c.is_ascii_alphanumeric() || !c.is_ascii() {
            LABEL
        } else if c == b'-' {
            HYPHEN
        } else if c == b'.' {
            DOT
        } else {
            INVALID
        };
        b += 1;
    }
    table
};

#[cfg(test)]
mod tests {
    use super::*;

    fn mailbox(text: &str) -> Mailbox {
        parse_path(text, true, true).unwrap().path.mailbox().unwrap().clone()
    }

    #[test]
    fn paths_of_every_form() {
        assert_eq!(parse_path("<>", true, true).unwrap().path, Path::Null);
        assert_eq!(parse_path("<>", false, true).unwrap_err(), AddressError::Empty);
        assert_eq!(parse_path("<POSTMASTER>", false, true).unwrap().path, Path::Postmaster);
        assert_eq!(mailbox("<a@b.example>").to_string(), "a@b.example");
        assert_eq!(mailbox("<\"john doe\"@b.example>").local_part, "\"john doe\"");
        assert_eq!(mailbox("<user@[192.0.2.1]>").domain, "[192.0.2.1]");
        assert_eq!(mailbox("<user@[IPv6:2001:db8::1]>").domain, "[IPv6:2001:db8::1]");
        assert_eq!(mailbox("<@relay.example:user@b.example>").to_string(), "user@b.example");
        assert!(!mailbox("<josé@exemple.fr>").is_ascii());
        let bare = parse_path("a@b.example SIZE=10", true, true).unwrap();
        assert!(bare.bare);
        assert_eq!(bare.rest, " SIZE=10");
    }

    proptest::proptest! {
        /// The one-pass reading of `<user@host>` agrees with the general parser wherever it
        /// answers (and leaves everything else to it).
        #[test]
        fn the_fast_path_agrees_with_the_general_parser(text in "[a.é\"@-]{0,6}@[a.1é\\[\\]@>-]{0,8}>[ a>]{0,3}|[a.@>\"é\\[1 -]{0,14}", enforce in proptest::bool::ANY) {
            if let Some((mailbox, close)) = plain_mailbox(&text, enforce) {
                let general = parse_bracketed(&text, true, enforce).unwrap();
                proptest::prop_assert_eq!(general.path, Path::Mailbox(mailbox));
                proptest::prop_assert_eq!(general.rest, &text[close + 1..]);
            }
        }
    }

    #[test]
    fn errors_say_where() {
        assert_eq!(parse_path("<a@b", true, true).unwrap_err(), AddressError::MissingCloseBracket);
        assert_eq!(parse_path("<ab.example>", true, true).unwrap_err(), AddressError::MissingAt { at: 11 });
        assert_eq!(parse_path("<a..b@c>", true, true).unwrap_err(), AddressError::BadLocalPart { at: 3 });
        assert_eq!(parse_path("<a@b..c>", true, true).unwrap_err(), AddressError::BadDomain { at: 5 });
        assert_eq!(parse_path("<a@[300.1.1.1]>", true, true).unwrap_err(), AddressError::BadAddressLiteral { at: 4 });
        let long = format!("<{}@b.example>", "a".repeat(65));
        assert!(matches!(parse_path(&long, true, true), Err(AddressError::TooLong { .. })));
        assert!(parse_path(&long, true, false).is_ok());
    }
}
