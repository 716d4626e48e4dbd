//! Fault rules: the server answers what a teacher or a learner chooses, deterministically.
//!
//! A rule is a trigger (a command, its nth occurrence, an address pattern, a moment such as the
//! greeting or K octets into a message) and an action (a chosen reply, a reply then closing,
//! closing without a reply, a delay, greylisting). Rules live in [`crate::ServerPolicy::faults`],
//! so they travel wherever a policy does: the Server tab, exercise files, share links, the mock
//! server's command line and API. The same rules and input give the same session, byte for byte.
//!
//! The text form, one rule per line (see the README):
//!
//! ```text
//! rcpt#2 => 452 4.2.2 Mailbox full
//! rcpt *@full.example => 552 5.2.2 Mailbox full
//! data after 1000 octets => close
//! greeting => 421 4.3.2 Try again later
//! mail => delay 2000
//! rcpt => greylist 60
//! mail#1 across sessions => 451 4.3.0 Try again + close
//! ```

mod counts;
mod text;

pub use counts::HostCounts;
pub(crate) use counts::{Counts, Occurrence, matching};

use crate::command::Verb;
use crate::reply::{EnhancedCode, Reply};
use serde::{Deserialize, Serialize};
use std::fmt;

/// The form quoted in every error message.
pub(crate) const FORM: &str =
    "TRIGGER => ACTION, e.g. `rcpt#2 => 452 4.2.2 Mailbox full`, `greeting => 421 4.3.2 Try again later`, `mail => delay 2000`, `data after 1000 octets => close`";

/// The version of the rules' data form (`v` in JSON). A rule of a newer version is refused with
/// the reason, never half-read.
pub(crate) const FORMAT_VERSION: u32 = 1;

/// How many rules a policy may hold, and how long a reply text may be.
pub const MAX_RULES: usize = 32;
pub const MAX_TEXT: usize = 200;
const MAX_DELAY_MS: u64 = 600_000;

/// When a rule applies.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Moment {
    /// The server's greeting, when a client connects.
    Greeting,
    /// A command line with this verb (its reply).
    Command(Verb),
    /// Any command line, whatever its verb (`line#5`: the fifth command line).
    Line,
    /// The end of a message's content: the reply after DATA's final dot or BDAT LAST.
    Message,
    /// K octets into a message's content (DATA), before its end.
    ContentOctets(u64),
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Trigger {
    pub moment: Moment,
    /// Only the nth occurrence (1 is the first) of the moment.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nth: Option<u32>,
    /// `nth` counts over every connection to the server, not only this one.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub across_sessions: bool,
    /// An address pattern for MAIL, RCPT and VRFY (`*@full.example`, `bob@*`); case-insensitive.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub address: Option<String>,
    /// Only once this many messages were accepted on the connection.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub after_messages: Option<u32>,
}

/// What the server does instead of its usual reply.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    /// Replies this, then closes when `close` is set or the code is 421 (RFC 5321 3.8). A
    /// refusal (4xx, 5xx) leaves the session as it was; an acceptance makes the command take
    /// effect, as a server that accepted it would.
    Reply {
        code: u16,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        enhanced: Option<EnhancedCode>,
        #[serde(default)]
        text: String,
        #[serde(default, skip_serializing_if = "std::ops::Not::not")]
        close: bool,
    },
    /// Closes the connection without a reply.
    Close,
    /// The usual reply, `ms` milliseconds late.
    Delay { ms: u64 },
    /// The first attempt of a client/sender/recipient triple is refused with the profile's
    /// greylisting reply; a retry after `secs` passes.
    Greylist { secs: u64 },
}

/// One rule. Serialised as data (`when`, `then`, and the text form as `rule` for people);
/// read from that data or from the text form alone.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "RuleData")]
pub struct FaultRule {
    /// The data form's version, [`FORMAT_VERSION`].
    pub v: u32,
    /// The text form, as printed (ignored when reading: `when` and `then` are the data).
    #[serde(default)]
    pub rule: String,
    pub when: Trigger,
    pub then: Action,
    /// Not a teacher's rule but a learner's "what if" choice in a branch.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub what_if: bool,
}

/// What a rule is read from: its text form, or the data.
#[derive(Deserialize)]
#[serde(untagged)]
enum RuleData {
    Text(String),
    Data {
        #[serde(default = "first_version")]
        v: u32,
        when: Trigger,
        then: Action,
        #[serde(default)]
        what_if: bool,
    },
}

fn first_version() -> u32 {
    1
}

impl TryFrom<RuleData> for FaultRule {
    type Error = String;
    fn try_from(data: RuleData) -> Result<Self, String> {
        let rule = match data {
            RuleData::Text(text) => FaultRule::parse(&text).map_err(|e| e.to_string())?,
            RuleData::Data { v, .. } if v != FORMAT_VERSION => {
                return Err(format!(
                    "this rule is in version {v} of the data form; this program reads version {FORMAT_VERSION}: write it in the text form, e.g. \"rcpt#2 => 452 4.2.2 Mailbox full\""
                ));
            }
            RuleData::Data { when, then, what_if, .. } => FaultRule::new(when, then, what_if),
        };
        rule.check().map_err(|e| e.to_string())?;
        Ok(rule)
    }
}

/// A rule that cannot be read: where, what was expected, and the form.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FaultRuleError {
    /// 1-based column in the rule's text (0 for a rule given as data).
    pub column: usize,
    pub message: String,
}

impl fmt::Display for FaultRuleError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.column > 0 { write!(f, "column {}: {}. A rule reads {FORM}", self.column, self.message) } else { write!(f, "{}. A rule reads {FORM}", self.message) }
    }
}

impl std::error::Error for FaultRuleError {}

/// Which rule produced a reply: the explanation names it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AppliedFault {
    /// 1-based position in the policy's list.
    pub rule: usize,
    /// The rule's text form.
    pub text: String,
    pub then: Action,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub what_if: bool,
}

impl AppliedFault {
    pub fn new(index: usize, rule: &FaultRule) -> Self {
        AppliedFault { rule: index + 1, text: rule.rule.clone(), then: rule.then.clone(), what_if: rule.what_if }
    }

    /// One sentence for the explanation: which rule, and what it did.
    pub fn describe(&self) -> String {
        let (rule, text) = (self.rule, &self.text);
        if self.what_if {
            return format!("What if: you chose this reply ({}) in a branch; the session went on from it as with a server that said it.", self.then);
        }
        match &self.then {
            Action::Delay { ms } => format!(
                "Held back {ms} ms by fault rule {rule} (`{text}`); the reply itself is the server's usual one. A client waits minutes before giving up (RFC 5321 4.5.3.2)."
            ),
            Action::Greylist { secs } => format!("Greylisted by fault rule {rule} (`{text}`): the same client, sender and recipient pass once they retry after {secs} s."),
            _ => format!("Injected by fault rule {rule} (`{text}`): the server answered what the rule says, not what it would have said."),
        }
    }

    /// The reason recorded when the rule ends the connection.
    pub(crate) fn closing_reason(&self) -> String {
        if self.what_if {
            return format!("the reply chosen in this branch ({}) closes the connection", self.then);
        }
        format!("fault rule {} (`{}`) closed the connection", self.rule, self.text)
    }
}

impl FaultRule {
    pub fn new(when: Trigger, then: Action, what_if: bool) -> Self {
        let mut rule = FaultRule { v: FORMAT_VERSION, rule: String::new(), when, then, what_if };
        rule.rule = rule.to_string();
        rule
    }

    /// Reads the text form; a malformed rule is refused with its column and the expected form.
    pub fn parse(text: &str) -> Result<FaultRule, FaultRuleError> {
        let rule = text::Parser::new(text).rule()?;
        rule.check()?;
        Ok(rule)
    }

    /// What no text form can say wrongly but data can: the rule must make sense.
    pub fn check(&self) -> Result<(), FaultRuleError> {
        let fail = |message: String| Err(FaultRuleError { column: 0, message });
        let t = &self.when;
        if t.nth == Some(0) {
            return fail("occurrences count from 1 (`rcpt#1` is the first RCPT)".into());
        }
        if t.address.is_some() && !matches!(t.moment, Moment::Command(Verb::Mail | Verb::Rcpt | Verb::Vrfy)) {
            return fail("an address pattern applies to MAIL, RCPT or VRFY only".into());
        }
        if let Some(pattern) = &t.address
            && (pattern.is_empty() || pattern.len() > 200 || pattern.chars().any(|c| c.is_whitespace() || c.is_control()))
        {
            return fail(format!("`{pattern}` is not an address pattern; use one such as *@full.example"));
        }
        if matches!(t.moment, Moment::ContentOctets(_)) && (t.nth.is_some() || t.after_messages.is_some()) {
            return fail("`data after K octets` takes no count".into());
        }
        match &self.then {
            Action::Reply { code, enhanced, text, .. } => {
                if !(200..=599).contains(code) {
                    return fail(format!("{code} is not a reply code; use 200 to 599"));
                }
                if let Some(e) = enhanced
                    && (u16::from(e.class) != code / 100 || e.subject > 999 || e.detail > 999)
                {
                    return fail(format!("the enhanced code {e} does not match the reply's class {}", code / 100));
                }
                if text.len() > MAX_TEXT || text.chars().any(char::is_control) {
                    return fail(format!("a reply text is one line of at most {MAX_TEXT} characters"));
                }
                if matches!(t.moment, Moment::ContentOctets(_)) && code / 100 != 4 && code / 100 != 5 {
                    return fail("in the middle of a message the server can only refuse and close: use a 4xx or 5xx code, or `close`".into());
                }
            }
            Action::Delay { ms } => {
                if *ms > MAX_DELAY_MS {
                    return fail(format!("a delay is at most {MAX_DELAY_MS} ms"));
                }
                if matches!(t.moment, Moment::ContentOctets(_)) {
                    return fail("in the middle of a message the server can only refuse and close: `close` or a 4xx/5xx reply".into());
                }
            }
            Action::Greylist { .. } => {
                if !matches!(t.moment, Moment::Command(Verb::Mail | Verb::Rcpt | Verb::Data)) {
                    return fail("greylisting applies to MAIL, RCPT or DATA".into());
                }
            }
            Action::Close => {}
        }
        Ok(())
    }

    /// The reply this rule sends, if it sends one of its own.
    pub fn reply(&self) -> Option<Reply> {
        match &self.then {
            Action::Reply { code, enhanced, text, .. } => {
                let text = if text.is_empty() { crate::reply::meaning::code_meaning(*code).to_string() } else { text.clone() };
                Some(Reply::new(*code, *enhanced, text))
            }
            _ => None,
        }
    }

    /// The rule replies and then closes the connection.
    pub fn closes(&self) -> bool {
        match &self.then {
            Action::Reply { code, close, .. } => *close || *code == 421,
            Action::Close => true,
            _ => false,
        }
    }
}

impl fmt::Display for Trigger {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.moment {
            Moment::Greeting => f.write_str("greeting")?,
            Moment::Command(verb) => f.write_str(&verb.name().to_ascii_lowercase())?,
            Moment::Line => f.write_str("line")?,
            Moment::Message => f.write_str("message")?,
            Moment::ContentOctets(k) => return write!(f, "data after {k} octets"),
        }
        if let Some(n) = self.nth {
            write!(f, "#{n}")?;
        }
        if self.across_sessions {
            f.write_str(" across sessions")?;
        }
        if let Some(pattern) = &self.address {
            write!(f, " {pattern}")?;
        }
        if let Some(n) = self.after_messages {
            write!(f, " after {n} {}", if n == 1 { "message" } else { "messages" })?;
        }
        Ok(())
    }
}

impl fmt::Display for Action {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Action::Reply { code, enhanced, text, close } => {
                write!(f, "{code}")?;
                if let Some(e) = enhanced {
                    write!(f, " {e}")?;
                }
                if !text.is_empty() {
                    write!(f, " {text}")?;
                }
                if *close {
                    f.write_str(" + close")?;
                }
                Ok(())
            }
            Action::Close => f.write_str("close"),
            Action::Delay { ms } => write!(f, "delay {ms}"),
            Action::Greylist { secs } => write!(f, "greylist {secs}"),
        }
    }
}

impl fmt::Display for FaultRule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} => {}", self.when, self.then)
    }
}

#[cfg(test)]
mod tests {
    use super::counts::glob;
    use super::*;

    #[test]
    fn the_quoted_rules_read_and_print_back_exactly() {
        for text in [
            "rcpt#2 => 452 4.2.2 Mailbox full",
            "greeting => 421 4.3.2 Try again later",
            "mail => delay 2000",
            "rcpt *@full.example => 552 5.2.2 Mailbox full",
            "data after 1000 octets => close",
            "mail => delay 5000",
            "rcpt => greylist 60",
            "mail#1 across sessions => 451 4.3.0 Try again + close",
            "line#3 => 250 2.0.0 Fine",
            "message#2 => 554 5.7.1 Spam",
            "mail after 2 messages => 421 4.7.0 Too many messages",
            "data after 5 octets => 421 4.4.2 Gone",
            "rcpt => 550",
        ] {
            let rule = FaultRule::parse(text).unwrap_or_else(|e| panic!("{text}: {e}"));
            assert_eq!(rule.to_string(), text);
            assert_eq!(rule.rule, text);
            let json = serde_json::to_string(&rule).unwrap();
            let back: FaultRule = serde_json::from_str(&json).unwrap();
            assert_eq!(back, rule, "{json}");
            let from_text: FaultRule = serde_json::from_value(serde_json::Value::String(text.into())).unwrap();
            assert_eq!(from_text, rule);
        }
        let rule = FaultRule::parse("RCPT#2   =>  452 4.2.2 Mailbox full").unwrap();
        assert_eq!(rule.to_string(), "rcpt#2 => 452 4.2.2 Mailbox full");
        assert_eq!(rule.when, Trigger { moment: Moment::Command(Verb::Rcpt), nth: Some(2), across_sessions: false, address: None, after_messages: None });
        assert_eq!(rule.then, Action::Reply { code: 452, enhanced: Some(EnhancedCode::new(4, 2, 2)), text: "Mailbox full".into(), close: false });
    }

    #[test]
    fn a_malformed_rule_names_its_column_and_the_form() {
        for (text, column, words) in [
            ("rcpt#2 -> 452 Mailbox full", 8, "expected `=>`"),
            ("rcpt#x => 452", 6, "an occurrence"),
            ("frob => 452", 1, "not a command"),
            ("rcpt => 999 Nope", 9, "reply code"),
            ("rcpt => 452 5.2.2 Full", 13, "class, 4"),
            ("rcpt => 452 4.2 Full", 13, "not an enhanced code"),
            ("mail => delay soon", 15, "a delay in milliseconds"),
            ("greeting *@x => 421", 10, "mail, rcpt or vrfy only"),
            ("rcpt after 3 weeks => close", 14, "`messages` or `octets`"),
            ("", 1, "expected a trigger"),
            ("rcpt =>", 8, "expected an action"),
        ] {
            let error = FaultRule::parse(text).expect_err(text);
            assert_eq!(error.column, column, "{text}: {error}");
            assert!(error.message.contains(words), "{text}: {error}");
            assert!(error.to_string().contains("rcpt#2 => 452 4.2.2 Mailbox full"), "the form is quoted: {error}");
        }
        for text in ["greeting => greylist", "data after 10 octets => delay 5", "data after 10 octets => 250 Ok", "rcpt#0 => 452"] {
            assert!(FaultRule::parse(text).is_err(), "{text}");
        }
    }

    #[test]
    fn data_is_checked_as_the_text_is() {
        let json = r#"{"when":{"moment":"greeting"},"then":{"greylist":{"secs":5}}}"#;
        let error = serde_json::from_str::<FaultRule>(json).expect_err("greylisting the greeting");
        assert!(error.to_string().contains("greylisting applies"), "{error}");
        let json = r#"{"when":{"moment":{"command":"Rcpt"},"nth":2},"then":{"reply":{"code":452,"enhanced":{"class":4,"subject":2,"detail":2},"text":"Mailbox full"}}}"#;
        let rule: FaultRule = serde_json::from_str(json).unwrap();
        assert_eq!(rule.to_string(), "rcpt#2 => 452 4.2.2 Mailbox full");
        assert_eq!(serde_json::to_value(&rule).unwrap()["v"], 1, "the data form says its version");
        let newer = json.replacen('{', r#"{"v":2,"#, 1);
        let error = serde_json::from_str::<FaultRule>(&newer).expect_err("a newer version");
        assert!(error.to_string().contains("version 2"), "{error}");
    }

    #[test]
    fn patterns_match_case_insensitively() {
        assert!(glob("*@full.example", "bob@full.example"));
        assert!(!glob("*@full.example", "bob@notfull.example.org"));
        assert!(glob("bob@*", "bob@x"));
        assert!(glob("*", ""));
        assert!(glob("a*b*c", "axxbyyc") && !glob("a*b*c", "axxbyy") && glob("**", "x") && !glob("a", "ab"));
        // Found by the fuzzer: many stars against a long address took exponential time.
        let stars = format!("{}l*e", "*".repeat(60));
        assert!(!glob(&stars, &"x".repeat(200)));
        assert!(glob(&stars, "table") && glob(&stars, "le"));
        let rule = FaultRule::parse("rcpt *@Full.Example => 552 5.2.2 Mailbox full").unwrap();
        let occurrence = Occurrence { verb: Some(Verb::Rcpt), address: Some("Bob@FULL.example"), messages: 0 };
        let mut counts = Counts::default();
        counts.count(&Moment::Command(Verb::Rcpt));
        assert!(matching(std::slice::from_ref(&rule), &Moment::Command(Verb::Rcpt), &occurrence, &counts).is_some());
    }
}
