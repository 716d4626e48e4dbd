//! The one-line text form of a rule: read with the column of any error, so that a teacher
//! typing `rcpt#2 -> 452` learns where and what was expected.

use super::{Action, FaultRule, FaultRuleError, MAX_TEXT, Moment, Trigger};
use crate::command::Verb;
use crate::reply::EnhancedCode;

/// A recursive-descent reader of the text form, tracking the column for errors.
pub(super) struct Parser<'a> {
    text: &'a str,
    pos: usize,
}

impl<'a> Parser<'a> {
    pub(super) fn new(text: &'a str) -> Self {
        Parser { text, pos: 0 }
    }

    fn fail<T>(&self, message: impl Into<String>) -> Result<T, FaultRuleError> {
        Err(FaultRuleError { column: self.pos + 1, message: message.into() })
    }

    fn rest(&self) -> &str {
        &self.text[self.pos..]
    }

    fn skip_spaces(&mut self) {
        let rest = self.rest();
        self.pos += rest.len() - rest.trim_start_matches([' ', '\t']).len();
    }

    /// The next word (up to a space, `#` or the end), not consumed.
    fn peek_word(&self) -> &str {
        let rest = self.rest();
        let end = rest.find([' ', '\t', '#']).unwrap_or(rest.len());
        &rest[..end]
    }

    fn eat_keyword(&mut self, keyword: &str) -> bool {
        if self.peek_word().eq_ignore_ascii_case(keyword) {
            self.pos += keyword.len();
            self.skip_spaces();
            true
        } else {
            false
        }
    }

    fn number(&mut self, what: &str) -> Result<u64, FaultRuleError> {
        let word = self.peek_word();
        let digits = word.bytes().take_while(u8::is_ascii_digit).count();
        if digits == 0 || digits != word.len() {
            return self.fail(format!("expected {what} (a number), found `{}`", shown(word)));
        }
        match word.parse::<u64>() {
            Ok(n) => {
                self.pos += digits;
                self.skip_spaces();
                Ok(n)
            }
            Err(_) => self.fail(format!("{what} is too large")),
        }
    }

    pub(super) fn rule(mut self) -> Result<FaultRule, FaultRuleError> {
        if self.text.len() > 400 || self.text.contains(['\r', '\n']) {
            return Err(FaultRuleError { column: 1, message: "a rule is one line of at most 400 characters".into() });
        }
        self.skip_spaces();
        let when = self.trigger()?;
        if !self.rest().starts_with("=>") {
            return self.fail(format!("expected `=>` after the trigger, found `{}`", shown(self.peek_word())));
        }
        self.pos += 2;
        self.skip_spaces();
        let then = self.action()?;
        Ok(FaultRule::new(when, then, false))
    }

    fn trigger(&mut self) -> Result<Trigger, FaultRuleError> {
        let start = self.pos;
        let word = self.peek_word().to_ascii_uppercase();
        let moment = match word.as_str() {
            "GREETING" => Moment::Greeting,
            "LINE" => Moment::Line,
            "MESSAGE" => Moment::Message,
            "" => return self.fail("expected a trigger: a command such as rcpt, or greeting, line, message or `data after K octets`"),
            _ => match Verb::ALL.iter().find(|v| v.name() == word) {
                Some(verb) => Moment::Command(*verb),
                None => return self.fail(format!("`{}` is not a command or moment; use a verb such as mail or rcpt, or greeting, line, message", shown(self.peek_word()))),
            },
        };
        self.pos += word.len();
        let mut trigger = Trigger { moment, nth: None, across_sessions: false, address: None, after_messages: None };
        if self.rest().starts_with('#') {
            self.pos += 1;
            trigger.nth = Some(u32::try_from(self.number("an occurrence after #")?).unwrap_or(u32::MAX));
        } else {
            self.skip_spaces();
        }
        if self.eat_keyword("across") {
            if !self.eat_keyword("sessions") {
                return self.fail("expected `across sessions`");
            }
            trigger.across_sessions = true;
        }
        let pattern_word = self.peek_word();
        if pattern_word.contains(['@', '*']) {
            if !matches!(trigger.moment, Moment::Command(Verb::Mail | Verb::Rcpt | Verb::Vrfy)) {
                return self.fail("an address pattern applies to mail, rcpt or vrfy only");
            }
            let rest = self.rest();
            let end = rest.find([' ', '\t']).unwrap_or(rest.len());
            trigger.address = Some(rest[..end].to_ascii_lowercase());
            self.pos += end;
            self.skip_spaces();
        }
        if self.eat_keyword("after") {
            let n = self.number("a count")?;
            let unit = self.peek_word().to_ascii_lowercase();
            match unit.as_str() {
                "octets" | "octet" | "bytes" if trigger.moment == Moment::Command(Verb::Data) && trigger.nth.is_none() && trigger.address.is_none() => {
                    trigger.moment = Moment::ContentOctets(n);
                }
                "octets" | "octet" | "bytes" => return self.fail("only `data after K octets` counts octets"),
                "messages" | "message" => trigger.after_messages = Some(u32::try_from(n).unwrap_or(u32::MAX)),
                _ => return self.fail(format!("expected `messages` or `octets` after the count, found `{}`", shown(&unit))),
            }
            self.pos += unit.len();
            self.skip_spaces();
        }
        if self.pos == start {
            return self.fail("expected a trigger");
        }
        Ok(trigger)
    }

    fn action(&mut self) -> Result<Action, FaultRuleError> {
        let word = self.peek_word().to_ascii_lowercase();
        let action = match word.as_str() {
            "close" => {
                self.pos += word.len();
                self.skip_spaces();
                Action::Close
            }
            "delay" => {
                self.pos += word.len();
                self.skip_spaces();
                Action::Delay { ms: self.number("a delay in milliseconds")? }
            }
            "greylist" => {
                self.pos += word.len();
                self.skip_spaces();
                let secs = if self.rest().is_empty() { 60 } else { self.number("seconds before a retry passes")? };
                Action::Greylist { secs }
            }
            "" => return self.fail("expected an action: a reply such as 452 4.2.2 Mailbox full, close, delay MS or greylist SECONDS"),
            _ => return self.reply(),
        };
        if !self.rest().is_empty() {
            return self.fail(format!("unexpected `{}` after the action", shown(self.rest())));
        }
        Ok(action)
    }

    fn reply(&mut self) -> Result<Action, FaultRuleError> {
        let word = self.peek_word();
        let code = match word.parse::<u16>() {
            Ok(code) if word.len() == 3 && (200..=599).contains(&code) => code,
            _ => return self.fail(format!("expected a reply code (200 to 599), close, delay or greylist, found `{}`", shown(word))),
        };
        self.pos += 3;
        self.skip_spaces();
        let mut enhanced = None;
        let word = self.peek_word();
        if word.starts_with(|c: char| c.is_ascii_digit()) && word.contains('.') {
            match EnhancedCode::parse(word) {
                Some(e) if e.to_string() == word => {
                    if u16::from(e.class) != code / 100 {
                        return self.fail(format!("the enhanced code {word} must start with the reply's class, {}", code / 100));
                    }
                    enhanced = Some(e);
                    self.pos += word.len();
                    self.skip_spaces();
                }
                _ => return self.fail(format!("`{}` is not an enhanced code; use class.subject.detail such as 4.2.2", shown(word))),
            }
        }
        let mut text = self.rest().trim_end();
        let mut close = false;
        if let Some(before) = text.strip_suffix("+ close").or_else(|| (text == "+close").then_some("")) {
            close = true;
            text = before.trim_end();
        }
        if text.chars().count() > MAX_TEXT {
            return self.fail(format!("the reply text is longer than {MAX_TEXT} characters"));
        }
        if let Some(bad) = text.char_indices().find(|(_, c)| c.is_control()) {
            self.pos += bad.0;
            return self.fail("a control character in the reply text");
        }
        let action = Action::Reply { code, enhanced, text: text.to_string(), close };
        self.pos = self.text.len();
        Ok(action)
    }
}

fn shown(word: &str) -> String {
    let word: String = word.chars().take(30).collect();
    if word.is_empty() { "(nothing)".into() } else { word }
}
