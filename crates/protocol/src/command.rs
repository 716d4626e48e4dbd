//! Client commands (RFC 5321 4.1.1 and the extensions of the course), parsed from one line.
//!
//! The parser is ours rather than a general one because teaching needs three things: leniency that
//! depends on the server profile ([`Leniency`]), the column and the expected form of every syntax
//! error ([`SyntaxError`]), and a record of what a real server tolerated ([`Tolerance`]).

use crate::address::{AddressError, Path, parse_path};
use compact_str::CompactString;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Body {
    SevenBit,
    EightBitMime,
    BinaryMime,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Ret {
    Full,
    Headers,
}

/// When to send delivery status notifications (RFC 3461 4.1): `NOTIFY=NEVER` is all false.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Notify {
    pub success: bool,
    pub failure: bool,
    pub delay: bool,
}

/// ESMTP parameters of MAIL FROM (RFC 1870 SIZE, 6152 BODY, 6531 SMTPUTF8, 3461 RET/ENVID, 4954 AUTH).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct MailParams {
    pub size: Option<u64>,
    pub body: Option<Body>,
    pub smtputf8: bool,
    pub ret: Option<Ret>,
    // Rare, and often long: boxed, so that a parsed command stays small to move.
    pub envid: Option<Box<str>>,
    pub auth: Option<Box<str>>,
}

impl MailParams {
    pub fn is_empty(&self) -> bool {
        *self == MailParams::default()
    }
}

/// ESMTP parameters of RCPT TO (RFC 3461 NOTIFY, ORCPT).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RcptParams {
    pub notify: Option<Notify>,
    pub orcpt: Option<Box<str>>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "verb", rename_all = "UPPERCASE")]
pub enum Command {
    Helo {
        domain: CompactString,
    },
    Ehlo {
        domain: CompactString,
    },
    Mail {
        from: Path,
        params: MailParams,
    },
    Rcpt {
        to: Path,
        params: RcptParams,
    },
    Data,
    Bdat {
        size: u64,
        last: bool,
    },
    Rset,
    Noop,
    Quit,
    /// RFC 1985: asks the server to start delivering the mail it holds for a domain.
    Etrn {
        domain: CompactString,
    },
    Vrfy {
        argument: CompactString,
    },
    Expn {
        argument: CompactString,
    },
    Help {
        topic: Option<CompactString>,
    },
    Auth {
        mechanism: CompactString,
        initial_response: Option<CompactString>,
    },
    /// z/OS SMTP: information on mail queued for delivery, with its age after `DATE`.
    Queu {
        date: bool,
    },
    /// z/OS SMTP (batch SMTP): an identifier the server writes into its response data set.
    Tick {
        id: CompactString,
    },
    /// z/OS SMTP and old sendmail: verbose mode on (no argument or `ON`) or off.
    Verbose {
        on: bool,
    },
    #[serde(rename = "STARTTLS")]
    StartTls,
}

impl Command {
    pub fn verb(&self) -> Verb {
        match self {
            Command::Helo { .. } => Verb::Helo,
            Command::Ehlo { .. } => Verb::Ehlo,
            Command::Mail { .. } => Verb::Mail,
            Command::Rcpt { .. } => Verb::Rcpt,
            Command::Data => Verb::Data,
            Command::Bdat { .. } => Verb::Bdat,
            Command::Rset => Verb::Rset,
            Command::Noop => Verb::Noop,
            Command::Quit => Verb::Quit,
            Command::Etrn { .. } => Verb::Etrn,
            Command::Vrfy { .. } => Verb::Vrfy,
            Command::Expn { .. } => Verb::Expn,
            Command::Help { .. } => Verb::Help,
            Command::Auth { .. } => Verb::Auth,
            Command::StartTls => Verb::StartTls,
            Command::Queu { .. } => Verb::Queu,
            Command::Tick { .. } => Verb::Tick,
            Command::Verbose { .. } => Verb::Verb,
        }
    }
}

/// The verbs the playground knows, in the order the reference lists them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Verb {
    Helo,
    Ehlo,
    Mail,
    Rcpt,
    Data,
    Bdat,
    Rset,
    Noop,
    Quit,
    Etrn,
    Vrfy,
    Expn,
    Help,
    Auth,
    StartTls,
    /// The z/OS SMTP server's own subcommands (not in RFC 5321).
    Queu,
    Tick,
    Verb,
}

impl Verb {
    pub const ALL: [Verb; 18] = [
        Verb::Helo,
        Verb::Ehlo,
        Verb::Mail,
        Verb::Rcpt,
        Verb::Data,
        Verb::Bdat,
        Verb::Rset,
        Verb::Noop,
        Verb::Quit,
        Verb::Etrn,
        Verb::Vrfy,
        Verb::Expn,
        Verb::Help,
        Verb::Auth,
        Verb::StartTls,
        Verb::Queu,
        Verb::Tick,
        Verb::Verb,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Verb::Helo => "HELO",
            Verb::Ehlo => "EHLO",
            Verb::Mail => "MAIL",
            Verb::Rcpt => "RCPT",
            Verb::Data => "DATA",
            Verb::Bdat => "BDAT",
            Verb::Rset => "RSET",
            Verb::Noop => "NOOP",
            Verb::Quit => "QUIT",
            Verb::Etrn => "ETRN",
            Verb::Vrfy => "VRFY",
            Verb::Expn => "EXPN",
            Verb::Help => "HELP",
            Verb::Auth => "AUTH",
            Verb::StartTls => "STARTTLS",
            Verb::Queu => "QUEU",
            Verb::Tick => "TICK",
            Verb::Verb => "VERB",
        }
    }

    pub fn from_name(name: &str) -> Option<Verb> {
        let bytes = name.as_bytes();
        // Upper-case ASCII letters by clearing bit 5: only a letter (either case) becomes a
        // letter that way, and every verb is letters only, so nothing else can match.
        match bytes.len() {
            4 => {
                const fn word(verb: &[u8; 4]) -> u32 {
                    u32::from_be_bytes(*verb)
                }
                const HELO: u32 = word(b"HELO");
                const EHLO: u32 = word(b"EHLO");
                const MAIL: u32 = word(b"MAIL");
                const RCPT: u32 = word(b"RCPT");
                const DATA: u32 = word(b"DATA");
                const BDAT: u32 = word(b"BDAT");
                const RSET: u32 = word(b"RSET");
                const NOOP: u32 = word(b"NOOP");
                const QUIT: u32 = word(b"QUIT");
                const ETRN: u32 = word(b"ETRN");
                const VRFY: u32 = word(b"VRFY");
                const EXPN: u32 = word(b"EXPN");
                const HELP: u32 = word(b"HELP");
                const AUTH: u32 = word(b"AUTH");
                const QUEU: u32 = word(b"QUEU");
                const TICK: u32 = word(b"TICK");
                const VERB: u32 = word(b"VERB");
                // A match on integers: a few comparisons, not one array comparison per verb.
                Some(match u32::from_be_bytes([bytes[0], bytes[1], bytes[2], bytes[3]]) & 0xDFDF_DFDF {
                    HELO => Verb::Helo,
                    EHLO => Verb::Ehlo,
                    MAIL => Verb::Mail,
                    RCPT => Verb::Rcpt,
                    DATA => Verb::Data,
                    BDAT => Verb::Bdat,
                    RSET => Verb::Rset,
                    NOOP => Verb::Noop,
                    QUIT => Verb::Quit,
                    ETRN => Verb::Etrn,
                    VRFY => Verb::Vrfy,
                    EXPN => Verb::Expn,
                    HELP => Verb::Help,
                    AUTH => Verb::Auth,
                    QUEU => Verb::Queu,
                    TICK => Verb::Tick,
                    VERB => Verb::Verb,
                    _ => return None,
                })
            }
            8 if name.eq_ignore_ascii_case("STARTTLS") => Some(Verb::StartTls),
            _ => None,
        }
    }

    /// The form a command must take, as the syntax error replies quote it.
    pub fn syntax(self) -> &'static str {
        match self {
            Verb::Helo => "HELO hostname",
            Verb::Ehlo => "EHLO hostname",
            Verb::Mail => "MAIL FROM:<address> [SIZE=n] [BODY=7BIT|8BITMIME] [SMTPUTF8]",
            Verb::Rcpt => "RCPT TO:<address> [NOTIFY=...] [ORCPT=...]",
            Verb::Data => "DATA",
            Verb::Bdat => "BDAT size [LAST]",
            Verb::Rset => "RSET",
            Verb::Noop => "NOOP [text]",
            Verb::Quit => "QUIT",
            Verb::Etrn => "ETRN domain",
            Verb::Vrfy => "VRFY user",
            Verb::Expn => "EXPN list",
            Verb::Help => "HELP [topic]",
            Verb::Auth => "AUTH mechanism [initial-response]",
            Verb::StartTls => "STARTTLS",
            Verb::Queu => "QUEU [DATE]",
            Verb::Tick => "TICK identifier",
            Verb::Verb => "VERB [ON|OFF]",
        }
    }
}

/// Forms that RFC 5321 forbids but some real servers accept.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Leniency {
    /// `MAIL FROM:a@b.example` without angle brackets.
    pub bare_address: bool,
    /// `MAIL FROM: <a@b.example>` with a space after the colon.
    pub space_after_colon: bool,
    /// Local parts over 64 octets, domains over 255.
    pub long_addresses: bool,
    /// `QUIT` with an argument (Postfix does not check QUIT's syntax).
    #[serde(default)]
    pub quit_argument: bool,
}

impl Leniency {
    pub const STRICT: Leniency = Leniency { bare_address: false, space_after_colon: false, long_addresses: false, quit_argument: false };
    pub const TOLERANT: Leniency = Leniency { bare_address: true, space_after_colon: true, long_addresses: true, quit_argument: true };
}

/// A departure from RFC 5321 that the server let pass; the explanation mentions it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Tolerance {
    BareAddress,
    SpaceAfterColon,
    /// `QUIT now`: an argument QUIT does not take.
    QuitArgument,
    /// `HELO student@school.example`: an e-mail address where a host name belongs.
    HeloNotHostName,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ParsedCommand {
    pub command: Command,
    pub tolerated: Vec<Tolerance>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum SyntaxErrorKind {
    EmptyLine,
    UnknownVerb {
        verb: String,
    },
    InvalidUtf8,
    NulByte,
    MissingArgument,
    UnexpectedArgument,
    /// `FROM:` or `TO:` missing or misspelt.
    MissingKeyword {
        keyword: String,
    },
    SpaceAfterColon,
    MissingAngleBrackets,
    Address(AddressError),
    UnknownParameter {
        name: String,
    },
    BadParameterValue {
        name: String,
    },
    DuplicateParameter {
        name: String,
    },
    BadNumber,
}

/// A command line that could not be parsed: what, where (column, from 0) and the expected form.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SyntaxError {
    pub kind: SyntaxErrorKind,
    pub column: usize,
    pub verb: Option<Verb>,
}

impl SyntaxError {
    fn new(kind: SyntaxErrorKind, column: usize, verb: Option<Verb>) -> Self {
        SyntaxError { kind, column, verb }
    }

    pub fn expected(&self) -> Option<&'static str> {
        self.verb.map(Verb::syntax)
    }

    /// One sentence on what is wrong, for the explanation.
    /// What to type instead, for the address mistakes students make: a display name in the
    /// envelope, brackets of the wrong kind, a stray `>`. `line` is the command line as typed.
    pub fn hint(&self, line: &str) -> Option<&'static str> {
        let address_error = matches!(self.kind, SyntaxErrorKind::Address(_) | SyntaxErrorKind::MissingAngleBrackets | SyntaxErrorKind::SpaceAfterColon);
        if !address_error || !matches!(self.verb, Some(Verb::Mail | Verb::Rcpt)) {
            return None;
        }
        let argument = line.split_once(':').map_or("", |(_, rest)| rest).trim();
        Some(if argument.contains('<') && !argument.starts_with('<') {
            "A display name belongs in the From:/To: header after DATA, not in the envelope: type only the address, in angle brackets, e.g. RCPT TO:<alice@playground.test>."
        } else if argument.starts_with(['[', '(', '{', '"']) || (argument.contains('>') && !argument.starts_with('<')) {
            "Write the address between < and >, with nothing around it, e.g. MAIL FROM:<you@playground.test>."
        } else {
            "Type the address in angle brackets, right after the colon: MAIL FROM:<you@playground.test> or RCPT TO:<alice@playground.test>."
        })
    }

    pub fn describe(&self) -> String {
        match &self.kind {
            SyntaxErrorKind::EmptyLine => "the line is empty".into(),
            SyntaxErrorKind::UnknownVerb { verb } => format!("`{verb}` is not an SMTP command"),
            SyntaxErrorKind::InvalidUtf8 => "the line holds bytes that are not valid UTF-8".into(),
            SyntaxErrorKind::NulByte => "the line holds a NUL byte".into(),
            SyntaxErrorKind::MissingArgument => "the command needs an argument".into(),
            SyntaxErrorKind::UnexpectedArgument => "the command takes no argument".into(),
            SyntaxErrorKind::MissingKeyword { keyword } => format!("`{keyword}` must follow the verb, with the colon and no space before it"),
            SyntaxErrorKind::SpaceAfterColon => "RFC 5321 allows no space between the colon and the <".into(),
            SyntaxErrorKind::MissingAngleBrackets => "the address must be written in angle brackets, like <user@example.org>".into(),
            SyntaxErrorKind::Address(err) => err.describe(),
            SyntaxErrorKind::UnknownParameter { name } => format!("the parameter {name} is not one this server supports"),
            SyntaxErrorKind::BadParameterValue { name } => format!("the value of {name} is not valid"),
            SyntaxErrorKind::DuplicateParameter { name } => format!("{name} is given twice"),
            SyntaxErrorKind::BadNumber => "the size must be a decimal number of octets".into(),
        }
    }
}

/// Parses one command line (without its CRLF).
pub fn parse_command(line: &[u8], leniency: Leniency) -> Result<ParsedCommand, SyntaxError> {
    if has_nul(line) {
        let nul = line.iter().position(|b| *b == 0).unwrap_or(0);
        return Err(SyntaxError::new(SyntaxErrorKind::NulByte, nul, None));
    }
    let text = std::str::from_utf8(line).map_err(|e| SyntaxError::new(SyntaxErrorKind::InvalidUtf8, e.valid_up_to(), None))?;
    // Byte scans: these lines are short, where a generic char search or memchr's dispatch costs
    // more than the scan (`cargo xtask bench`, commands/parse).
    let bytes = text.as_bytes();
    let end = bytes.iter().rposition(|b| *b != b' ' && *b != b'\t').map_or(0, |i| i + 1);
    let text = &text[..end];
    if end == 0 || (!bytes[0].is_ascii_graphic() && text.trim_start().is_empty()) {
        return Err(SyntaxError::new(SyntaxErrorKind::EmptyLine, 0, None));
    }
    // Verbs are four letters (STARTTLS eight): look there first.
    let space = match text.as_bytes().get(4) {
        Some(b' ') => Some(4),
        None => None,
        Some(_) => text.as_bytes().iter().position(|b| *b == b' '),
    };
    let (word, rest) = match space {
        Some(space) => (&text[..space], &text[space + 1..]),
        None => (text, ""),
    };
    let verb = Verb::from_name(word).ok_or_else(|| SyntaxError::new(SyntaxErrorKind::UnknownVerb { verb: word.to_string() }, 0, None))?;
    let arg_column = (word.len() + 1).min(text.len());
    let arg = trim_start(rest);
    let arg_column = arg_column + (rest.len() - arg.len());
    let err = |kind, column| SyntaxError::new(kind, column, Some(verb));
    let none = |command: Command| {
        if arg.is_empty() { Ok(ParsedCommand { command, tolerated: vec![] }) } else { Err(err(SyntaxErrorKind::UnexpectedArgument, arg_column)) }
    };
    let required = || if arg.is_empty() { Err(err(SyntaxErrorKind::MissingArgument, text.len())) } else { Ok(CompactString::from(arg)) };
    // VRFY and EXPN need something to look up: `""` names nobody.
    let lookup = || if arg.bytes().all(|b| b == b'"' || b.is_ascii_whitespace()) { Err(err(SyntaxErrorKind::MissingArgument, arg_column)) } else { Ok(CompactString::from(arg)) };
    let plain = |command| Ok(ParsedCommand { command, tolerated: vec![] });
    match verb {
        Verb::Helo | Verb::Ehlo => {
            let domain = required()?;
            let tolerated = if domain.contains('@') { vec![Tolerance::HeloNotHostName] } else { vec![] };
            let command = if verb == Verb::Helo { Command::Helo { domain } } else { Command::Ehlo { domain } };
            Ok(ParsedCommand { command, tolerated })
        }
        Verb::Data => none(Command::Data),
        Verb::Rset => none(Command::Rset),
        // Postfix does not bother checking QUIT's syntax: it says goodbye whatever follows.
        Verb::Quit if !arg.is_empty() && leniency.quit_argument => Ok(ParsedCommand { command: Command::Quit, tolerated: vec![Tolerance::QuitArgument] }),
        Verb::Quit => none(Command::Quit),
        Verb::Etrn => plain(Command::Etrn { domain: required()? }),
        Verb::StartTls => none(Command::StartTls),
        Verb::Noop => plain(Command::Noop),
        Verb::Vrfy => plain(Command::Vrfy { argument: lookup()? }),
        Verb::Expn => plain(Command::Expn { argument: lookup()? }),
        Verb::Help => plain(Command::Help { topic: (!arg.is_empty()).then(|| CompactString::from(arg)) }),
        Verb::Queu if arg.is_empty() || arg.eq_ignore_ascii_case("DATE") => plain(Command::Queu { date: !arg.is_empty() }),
        Verb::Queu => Err(err(SyntaxErrorKind::UnexpectedArgument, arg_column)),
        Verb::Tick => plain(Command::Tick { id: required()? }),
        Verb::Verb if arg.is_empty() || arg.eq_ignore_ascii_case("ON") => plain(Command::Verbose { on: true }),
        Verb::Verb if arg.eq_ignore_ascii_case("OFF") => plain(Command::Verbose { on: false }),
        Verb::Verb => Err(err(SyntaxErrorKind::UnexpectedArgument, arg_column)),
        Verb::Auth => {
            let arg = required()?;
            let mut words = arg.split(' ').filter(|w| !w.is_empty());
            let mechanism = CompactString::from(words.next().unwrap_or_default()).to_ascii_uppercase();
            let initial_response = words.next().map(CompactString::from);
            if words.next().is_some() {
                return Err(err(SyntaxErrorKind::UnexpectedArgument, arg_column));
            }
            plain(Command::Auth { mechanism, initial_response })
        }
        Verb::Bdat => {
            let arg = required()?;
            let mut words = arg.split(' ').filter(|w| !w.is_empty());
            let size_text = words.next().unwrap_or_default();
            if size_text.is_empty() || size_text.len() > 19 || !size_text.bytes().all(|b| b.is_ascii_digit()) {
                return Err(err(SyntaxErrorKind::BadNumber, arg_column));
            }
            let size = size_text.parse().map_err(|_| err(SyntaxErrorKind::BadNumber, arg_column))?;
            let last = match words.next() {
                None => false,
                Some(w) if w.eq_ignore_ascii_case("LAST") => true,
                Some(_) => return Err(err(SyntaxErrorKind::UnexpectedArgument, arg_column + size_text.len() + 1)),
            };
            if words.next().is_some() {
                return Err(err(SyntaxErrorKind::UnexpectedArgument, arg_column));
            }
            plain(Command::Bdat { size, last })
        }
        Verb::Mail | Verb::Rcpt => {
            let keyword = if verb == Verb::Mail { "FROM:" } else { "TO:" };
            let head = arg.as_bytes().get(..keyword.len());
            if !head.is_some_and(|h| h.eq_ignore_ascii_case(keyword.as_bytes())) {
                return Err(err(SyntaxErrorKind::MissingKeyword { keyword: keyword.to_string() }, arg_column));
            }
            let mut tolerated = Vec::new();
            let mut column = arg_column + keyword.len();
            let after = &arg[keyword.len()..];
            let path_text = trim_start(after);
            if path_text.len() != after.len() {
                if !leniency.space_after_colon {
                    return Err(err(SyntaxErrorKind::SpaceAfterColon, column));
                }
                tolerated.push(Tolerance::SpaceAfterColon);
                column += after.len() - path_text.len();
            }
            if path_text.is_empty() {
                return Err(err(SyntaxErrorKind::MissingArgument, column));
            }
            let parsed = parse_path(path_text, verb == Verb::Mail, !leniency.long_addresses).map_err(|e| err(SyntaxErrorKind::Address(e.clone()), column + e.offset()))?;
            if parsed.bare {
                if !leniency.bare_address {
                    return Err(err(SyntaxErrorKind::MissingAngleBrackets, column));
                }
                tolerated.push(Tolerance::BareAddress);
            }
            let params_column = column + (path_text.len() - parsed.rest.len());
            if !parsed.rest.is_empty() && !parsed.rest.starts_with(' ') {
                return Err(err(SyntaxErrorKind::UnexpectedArgument, params_column));
            }
            let command = if verb == Verb::Mail {
                Command::Mail { from: parsed.path, params: parse_mail_params(parsed.rest).map_err(|k| err(k, params_column))? }
            } else {
                Command::Rcpt { to: parsed.path, params: parse_rcpt_params(parsed.rest).map_err(|k| err(k, params_column))? }
            };
            Ok(ParsedCommand { command, tolerated })
        }
    }
}

/// Whether a NUL byte is in the line, eight bytes at a time (memchr's dispatch costs more than
/// this on a command line's few dozen bytes).
fn has_nul(line: &[u8]) -> bool {
    const ONES: u64 = u64::from_ne_bytes([0x01; 8]);
    const HIGHS: u64 = u64::from_ne_bytes([0x80; 8]);
    let mut words = line.chunks_exact(8);
    for word in &mut words {
        let v = u64::from_ne_bytes(word.try_into().unwrap_or_default());
        // Non-zero exactly when some byte of v is zero.
        if v.wrapping_sub(ONES) & !v & HIGHS != 0 {
            return true;
        }
    }
    words.remainder().contains(&0)
}

/// Digits only (no sign, unlike `str::parse`), without overflow.
fn decimal_u64(text: &str) -> Option<u64> {
    if text.is_empty() {
        return None;
    }
    text.bytes().try_fold(0u64, |n, b| if b.is_ascii_digit() { n.checked_mul(10)?.checked_add(u64::from(b - b'0')) } else { None })
}

/// `str::trim_start`, with a fast answer for the usual case: nothing to trim.
fn trim_start(text: &str) -> &str {
    match text.as_bytes().first() {
        Some(b) if b.is_ascii() && !b.is_ascii_whitespace() => text,
        _ => text.trim_start(),
    }
}

/// `KEYWORD[=value]` words; keywords upper-cased in a small stack buffer (no allocation).
fn params(text: &str) -> impl Iterator<Item = (Keyword<'_>, Option<&str>)> {
    // ' ' and '=' are ASCII, so splitting the bytes keeps every piece on a char boundary.
    let mut rest = text;
    std::iter::from_fn(move || {
        let start = rest.bytes().position(|b| b != b' ')?;
        let word_len = rest.as_bytes()[start..].iter().position(|b| *b == b' ').unwrap_or(rest.len() - start);
        let word = &rest[start..start + word_len];
        rest = &rest[start + word_len..];
        Some(match word.bytes().position(|b| b == b'=') {
            Some(eq) => (Keyword::new(&word[..eq]), Some(&word[eq + 1..])),
            None => (Keyword::new(word), None),
        })
    })
}

/// An ESMTP keyword, upper-cased in a stack buffer; a longer one is no keyword we know, and
/// keeps its text for the error.
struct Keyword<'a> {
    upper: [u8; 12],
    len: usize,
    text: &'a str,
}

impl Keyword<'_> {
    fn new(text: &str) -> Keyword<'_> {
        let mut upper = [0u8; 12];
        let len = if text.len() <= upper.len() { text.len() } else { 0 };
        for (u, b) in upper.iter_mut().zip(text.as_bytes()[..len].iter()) {
            *u = b.to_ascii_uppercase();
        }
        Keyword { upper, len, text }
    }
    /// The upper-cased keyword, for matching (empty when too long to be one).
    fn bytes(&self) -> &[u8] {
        &self.upper[..self.len]
    }
    /// The keyword as the client wrote it, upper-cased, for error messages.
    fn name(&self) -> String {
        self.text.to_ascii_uppercase()
    }
}

fn parse_mail_params(text: &str) -> Result<MailParams, SyntaxErrorKind> {
    let mut out = MailParams::default();
    if text.is_empty() {
        return Ok(out);
    }
    for (keyword, value) in params(text) {
        let bad = || SyntaxErrorKind::BadParameterValue { name: keyword.name() };
        let dup = || SyntaxErrorKind::DuplicateParameter { name: keyword.name() };
        match (keyword.bytes(), value) {
            (b"SIZE", Some(v)) => {
                if out.size.is_some() {
                    return Err(dup());
                }
                out.size = Some(decimal_u64(v).ok_or_else(bad)?);
            }
            (b"BODY", Some(v)) => {
                if out.body.is_some() {
                    return Err(dup());
                }
                out.body = Some(match v {
                    _ if v.eq_ignore_ascii_case("7BIT") => Body::SevenBit,
                    _ if v.eq_ignore_ascii_case("8BITMIME") => Body::EightBitMime,
                    _ if v.eq_ignore_ascii_case("BINARYMIME") => Body::BinaryMime,
                    _ => return Err(bad()),
                });
            }
            (b"SMTPUTF8", None) => out.smtputf8 = true,
            (b"RET", Some(v)) => {
                out.ret = Some(match v.to_ascii_uppercase().as_str() {
                    "FULL" => Ret::Full,
                    "HDRS" => Ret::Headers,
                    _ => return Err(bad()),
                })
            }
            (b"ENVID", Some(v)) if !v.is_empty() => out.envid = Some(v.into()),
            (b"AUTH", Some(v)) if !v.is_empty() => out.auth = Some(v.into()),
            (b"SIZE" | b"BODY" | b"RET" | b"ENVID" | b"AUTH" | b"SMTPUTF8", _) => return Err(bad()),
            _ => return Err(SyntaxErrorKind::UnknownParameter { name: keyword.name() }),
        }
    }
    Ok(out)
}

fn parse_rcpt_params(text: &str) -> Result<RcptParams, SyntaxErrorKind> {
    let mut out = RcptParams::default();
    if text.is_empty() {
        return Ok(out);
    }
    for (keyword, value) in params(text) {
        let bad = || SyntaxErrorKind::BadParameterValue { name: keyword.name() };
        match (keyword.bytes(), value) {
            (b"NOTIFY", Some(v)) => {
                let mut notify = Notify::default();
                let mut never = false;
                for item in v.as_bytes().split(|b| *b == b',') {
                    let flag = match item {
                        _ if item.eq_ignore_ascii_case(b"NEVER") => &mut never,
                        _ if item.eq_ignore_ascii_case(b"SUCCESS") => &mut notify.success,
                        _ if item.eq_ignore_ascii_case(b"FAILURE") => &mut notify.failure,
                        _ if item.eq_ignore_ascii_case(b"DELAY") => &mut notify.delay,
                        _ => return Err(bad()),
                    };
                    *flag = true;
                }
                // NEVER stands alone.
                if never && notify != Notify::default() {
                    return Err(bad());
                }
                out.notify = Some(notify);
            }
            (b"ORCPT", Some(v)) if v.contains(';') => out.orcpt = Some(v.into()),
            (b"NOTIFY" | b"ORCPT", _) => return Err(bad()),
            _ => return Err(SyntaxErrorKind::UnknownParameter { name: keyword.name() }),
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::address::Mailbox;

    fn ok(line: &str) -> ParsedCommand {
        parse_command(line.as_bytes(), Leniency::STRICT).unwrap_or_else(|e| panic!("{line}: {e:?}"))
    }
    fn fail(line: &str, leniency: Leniency) -> SyntaxError {
        parse_command(line.as_bytes(), leniency).unwrap_err()
    }

    #[test]
    fn verbs_are_case_insensitive() {
        assert_eq!(ok("helo client.example").command, Command::Helo { domain: "client.example".into() });
        assert_eq!(ok("StartTLS").command, Command::StartTls);
        assert_eq!(ok("NOOP anything").command, Command::Noop);
        assert_eq!(ok("help mail").command, Command::Help { topic: Some("mail".into()) });
    }

    #[test]
    fn mail_with_parameters() {
        let parsed = ok("MAIL FROM:<a@b.example> SIZE=1000 BODY=8BITMIME SMTPUTF8 RET=HDRS ENVID=x");
        let Command::Mail { from, params } = parsed.command else { panic!() };
        assert_eq!(from, Path::Mailbox(Mailbox { local_part: "a".into(), domain: "b.example".into() }));
        assert_eq!(params.size, Some(1000));
        assert_eq!(params.body, Some(Body::EightBitMime));
        assert!(params.smtputf8);
        assert_eq!(ok("MAIL FROM:<>").command, Command::Mail { from: Path::Null, params: MailParams::default() });
        let rcpt = ok("rcpt to:<b@c.example> NOTIFY=SUCCESS,FAILURE ORCPT=rfc822;b@c.example");
        let Command::Rcpt { params, .. } = rcpt.command else { panic!() };
        assert_eq!(params.notify, Some(Notify { success: true, failure: true, delay: false }));
    }

    #[test]
    fn student_forms_depend_on_leniency() {
        let e = fail("MAIL FROM: <a@b.example>", Leniency::STRICT);
        assert_eq!((e.kind, e.column), (SyntaxErrorKind::SpaceAfterColon, 10));
        let e = fail("MAIL FROM:a@b.example", Leniency::STRICT);
        assert_eq!(e.kind, SyntaxErrorKind::MissingAngleBrackets);
        let parsed = parse_command(b"MAIL FROM: a@b.example", Leniency::TOLERANT).unwrap();
        assert_eq!(parsed.tolerated, vec![Tolerance::SpaceAfterColon, Tolerance::BareAddress]);
    }

    #[test]
    fn errors_name_position_and_expected_form() {
        let e = fail("MAIL TO:<a@b>", Leniency::STRICT);
        assert_eq!(e.kind, SyntaxErrorKind::MissingKeyword { keyword: "FROM:".into() });
        assert_eq!(e.expected(), Some(Verb::Mail.syntax()));
        assert_eq!(fail("HELO", Leniency::STRICT).kind, SyntaxErrorKind::MissingArgument);
        assert_eq!(fail("DATA now", Leniency::STRICT).column, 5);
        assert_eq!(fail("FOO", Leniency::STRICT).kind, SyntaxErrorKind::UnknownVerb { verb: "FOO".into() });
        assert_eq!(fail("", Leniency::STRICT).kind, SyntaxErrorKind::EmptyLine);
        assert_eq!(fail("MAIL FROM:<a@b> FOO=1", Leniency::STRICT).kind, SyntaxErrorKind::UnknownParameter { name: "FOO".into() });
        assert_eq!(fail("BDAT x", Leniency::STRICT).kind, SyntaxErrorKind::BadNumber);
        assert_eq!(fail("NO\0OP", Leniency::STRICT).kind, SyntaxErrorKind::NulByte);
        assert_eq!(parse_command(b"HELO \xff", Leniency::STRICT).unwrap_err().kind, SyntaxErrorKind::InvalidUtf8);
        let e = fail("RCPT TO:<a@b..c>", Leniency::STRICT);
        assert_eq!(e.column, 13);
    }

    #[test]
    fn bdat_and_auth() {
        assert_eq!(ok("BDAT 10 LAST").command, Command::Bdat { size: 10, last: true });
        assert_eq!(ok("bdat 0").command, Command::Bdat { size: 0, last: false });
        assert_eq!(ok("AUTH login").command, Command::Auth { mechanism: "LOGIN".into(), initial_response: None });
        assert_eq!(ok("AUTH PLAIN AGEAYg==").command, Command::Auth { mechanism: "PLAIN".into(), initial_response: Some("AGEAYg==".into()) });
    }
}
