//! The command parser: one line in, a [`ParsedCommand`] or a [`SyntaxError`] with its column
//! and expected form out. A usual command is parsed without allocating.

use super::*;
use crate::address::parse_path;
use compact_str::CompactString;

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
