//! Client commands (RFC 5321 4.1.1 and the extensions of the course), parsed from one line.
//!
//! The parser is ours rather than a general one because teaching needs three things: leniency that
//! depends on the server profile ([`Leniency`]), the column and the expected form of every syntax
//! error ([`SyntaxError`]), and a record of what a real server tolerated ([`Tolerance`]).

mod parse;

pub use parse::parse_command;

use crate::address::{AddressError, Path};
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
