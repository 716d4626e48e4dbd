//! [`Persona`]: what a server is like beyond its policy knobs — the words of its replies and of
//! its bounces, the EHLO keywords it lists and their order, the product name in its `Received:`
//! header, and the few habits in which real servers differ (Postfix takes a UTF-8 address
//! without SMTPUTF8 and hangs up on a mail header typed at the prompt; Exchange and Gmail offer
//! AUTH to EHLO only).
//!
//! Every built-in profile has one ([`Persona::preset`]); a policy may carry its own
//! ([`crate::ServerPolicy::persona`]), written as a profile file is: a `base` profile and what
//! differs from it. The server reads only this, never the profile's name, so a teacher's server
//! (an Exim, a Sendmail, their school's Exchange) is described without Rust.

use crate::preset::ProfileName;
use crate::reply::EnhancedCode;
use crate::situation::Situation;
use crate::wording;
pub use crate::wording::Template;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::sync::OnceLock;

/// A server's character: see the module's documentation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Persona {
    /// What explanations call this server ("Exim 4.96, the school's relay"); `None`: its base
    /// profile's title.
    pub name: Option<String>,
    /// The profile whose words answer every situation `replies` does not name.
    pub base: ProfileName,
    /// Replies in this server's words, by situation (`"550 5.1.1 <{address}>: unknown user"`).
    pub replies: BTreeMap<Situation, OwnedTemplate>,
    /// The EHLO keywords in the order sent. A keyword whose knob is off is left out when the
    /// reply is made: PIPELINING, SMTPUTF8 and CHUNKING follow their policy fields, VRFY follows
    /// `vrfy`, STARTTLS shows before TLS only, AUTH (with its mechanisms) where AUTH is
    /// offered, and SIZE carries `max_message_size`. Others are listed as written.
    pub ehlo_keywords: Vec<String>,
    /// The product named in the `Received:` header's `by` clause (`Postfix`); empty for none.
    pub received_product: String,
    /// A UTF-8 address without the SMTPUTF8 parameter is refused (553 5.6.7, RFC 6531).
    /// Postfix 3.7 takes it.
    pub utf8_needs_smtputf8: bool,
    /// AUTH after HELO (not EHLO) is refused: AUTH is an extension, offered to EHLO only.
    /// Postfix checks only that the client greeted.
    pub auth_needs_ehlo: bool,
    /// A mail header (`Subject:`) or an HTTP request at the command prompt ends the session
    /// (Postfix's `smtpd_forbidden_commands`).
    pub hangs_up_on_header_lines: bool,
    /// DATA inside a transaction whose every RCPT was refused is "no valid recipients" (554,
    /// Postfix) rather than "need RCPT" (503).
    pub no_valid_recipients_at_data: bool,
    /// How its delivery status notifications are written.
    pub bounce: Bounce,
}

/// A reply template with its own text: `code`, enhanced code (`""` for none), and the text
/// with its placeholders (see [`crate::wording`]); `\n` separates a multi-line reply's lines.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OwnedTemplate {
    pub code: u16,
    pub enhanced: String,
    pub text: String,
}

impl OwnedTemplate {
    fn template(&self) -> Template<'_> {
        Template { code: self.code, enhanced: &self.enhanced, text: &self.text }
    }

    /// Reads `"550 5.1.1 <{address}>: no such user"` (the enhanced code is optional).
    pub fn parse(line: &str) -> Result<OwnedTemplate, String> {
        let code: u16 = line
            .get(..3)
            .and_then(|c| c.parse().ok())
            .filter(|c| (200..600).contains(c))
            .ok_or_else(|| format!("{line:?} must start with a reply code from 200 to 599, then a space and the text (e.g. \"550 5.1.1 <{{address}}>: no such user\")"))?;
        let rest = &line[3..];
        let rest = rest.strip_prefix(' ').or_else(|| rest.is_empty().then_some("")).ok_or_else(|| format!("{line:?}: a space must follow the code {code}"))?;
        let (enhanced, text) = match rest.split_once(' ').map_or((rest, ""), |(first, text)| (first, text)) {
            (first, text) if first.split('.').count() == 3 && first.bytes().all(|b| b.is_ascii_digit() || b == b'.') => {
                let parsed = EnhancedCode::parse(first).ok_or_else(|| format!("{line:?}: {first} is not an enhanced status code (class.subject.detail, RFC 3463)"))?;
                if u16::from(parsed.class) != code / 100 {
                    return Err(format!("{line:?}: the enhanced code {first} must begin with the reply's class, {}", code / 100));
                }
                (first.to_string(), text.to_string())
            }
            _ => (String::new(), rest.to_string()),
        };
        // `\n` separates lines; any other control character would forge lines on the wire.
        if text.chars().any(|c| c.is_control() && c != '\n') {
            return Err(format!("{line:?}: a reply's text cannot hold control characters (use \\n between the lines of a multi-line reply)"));
        }
        Ok(OwnedTemplate { code, enhanced, text })
    }

    fn write(&self) -> String {
        match (self.enhanced.is_empty(), self.text.is_empty()) {
            (true, true) => self.code.to_string(),
            (true, false) => format!("{} {}", self.code, self.text),
            (false, _) => format!("{} {} {}", self.code, self.enhanced, self.text).trim_end().to_string(),
        }
    }
}

/// The words of a delivery status notification (RFC 3464) this server sends.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Bounce {
    /// The `From:` header; `{host}` is the server's host name.
    pub from: String,
    /// The `Subject:` of each kind of report; `{subject}` is the returned message's.
    pub failure_subject: String,
    pub delay_subject: String,
    pub success_subject: String,
    /// The human-readable part of each kind: `{host}`, and `{recipients}` (a line each).
    pub failure_text: String,
    pub delay_text: String,
    pub success_text: String,
    /// Postfix's own `X-Postfix-Queue-ID:` and `X-Postfix-Sender:` fields in the report.
    pub postfix_fields: bool,
}

impl Persona {
    /// The template this server uses in a situation.
    pub fn template(&self, situation: Situation) -> Template<'_> {
        match self.replies.get(&situation) {
            Some(own) => own.template(),
            None => wording::template(self.base, situation),
        }
    }

    /// A built-in profile's persona.
    pub fn preset(profile: ProfileName) -> &'static Persona {
        static PRESETS: OnceLock<Vec<Persona>> = OnceLock::new();
        let all = PRESETS.get_or_init(|| ProfileName::ALL.into_iter().map(preset).collect());
        &all[ProfileName::ALL.iter().position(|p| *p == profile).expect("every profile is in ALL")]
    }

    /// Whether a server can speak with this persona; `Err` names the field, what is wrong and
    /// what to do.
    pub fn check(&self) -> Result<(), (&'static str, String)> {
        for keyword in &self.ehlo_keywords {
            if keyword.is_empty() || !keyword.bytes().all(|b| b.is_ascii_graphic() || b == b' ') {
                return Err(("ehlo_keywords", format!("{keyword:?}: a keyword is printable ASCII (words and spaces), e.g. \"AUTH PLAIN LOGIN\"")));
            }
        }
        if self.received_product.chars().any(char::is_control) {
            return Err(("received_product", "it cannot hold control characters".into()));
        }
        if self.name.as_deref().is_some_and(|name| name.trim().is_empty() || name.chars().any(char::is_control)) {
            return Err(("name", "one line of text, e.g. \"Exim 4.96, the school's relay\"".into()));
        }
        let bounce = &self.bounce;
        for (field, text) in [
            ("bounce.from", &bounce.from),
            ("bounce.failure_subject", &bounce.failure_subject),
            ("bounce.delay_subject", &bounce.delay_subject),
            ("bounce.success_subject", &bounce.success_subject),
        ] {
            if text.chars().any(char::is_control) {
                return Err((field, "a header: it cannot hold line breaks or other control characters".into()));
            }
        }
        Ok(())
    }
}

/// What is wrong with a persona as written: the field's path (`replies.UserUnknown`,
/// `bounce.from`) and a sentence.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PersonaError {
    pub field: String,
    pub message: String,
}

impl std::fmt::Display for PersonaError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.field, self.message)
    }
}

const FIELDS: [&str; 10] =
    ["name", "base", "replies", "ehlo_keywords", "received_product", "utf8_needs_smtputf8", "auth_needs_ehlo", "hangs_up_on_header_lines", "no_valid_recipients_at_data", "bounce"];
const BOUNCE_FIELDS: [&str; 8] = ["from", "failure_subject", "delay_subject", "success_subject", "failure_text", "delay_text", "success_text", "postfix_fields"];

/// Reading a persona from JSON: by hand rather than derived, so that the page's first download,
/// which reads and writes server configurations, carries no serde visitor for it (a derived
/// reader for it and its situations cost 6 KB gzip).
impl Persona {
    /// Reads a persona as a profile file writes it: a `base` profile and what differs from it
    /// (every field but `base` may be left out, and is then the base's).
    pub fn from_value(value: &serde_json::Value) -> Result<Persona, PersonaError> {
        let error = |field: &str, message: String| PersonaError { field: field.to_string(), message };
        let object = value.as_object().ok_or_else(|| error("(persona)", "a persona is a table of fields".into()))?;
        if let Some(unknown) = object.keys().find(|k| !FIELDS.contains(&k.as_str())) {
            return Err(error(unknown, format!("not a persona field; the fields are {}", FIELDS.join(", "))));
        }
        let base_id = object.get("base").and_then(|b| b.as_str()).ok_or_else(|| error("base", "the built-in profile this one starts from, e.g. \"postfix\"".into()))?;
        let profile =
            ProfileName::from_id(base_id).ok_or_else(|| error("base", format!("{base_id:?} is not a built-in profile; choose postfix, exchange, gmail, mock, zos or cssmtp")))?;
        let base = Persona::preset(profile);
        let text = |field: &str, value: &serde_json::Value| value.as_str().map(str::to_string).ok_or_else(|| error(field, "a string".into()));
        let flag = |field: &str, default: bool| match object.get(field) {
            None => Ok(default),
            Some(value) => value.as_bool().ok_or_else(|| error(field, "true or false".into())),
        };
        let mut replies = BTreeMap::new();
        if let Some(table) = object.get("replies") {
            let table = table.as_object().ok_or_else(|| error("replies", "a table of situation = \"code text\"".into()))?;
            for (key, line) in table {
                let field = format!("replies.{key}");
                let situation = Situation::ALL
                    .iter()
                    .copied()
                    .find(|s| s.id() == key)
                    .ok_or_else(|| error(&field, "not a situation; the Reference tab's tables list them (Greeting, UserUnknown, ...)".into()))?;
                let own = OwnedTemplate::parse(&text(&field, line)?).map_err(|message| error(&field, message))?;
                replies.insert(situation, own);
            }
        }
        let ehlo_keywords = match object.get("ehlo_keywords") {
            None => base.ehlo_keywords.clone(),
            Some(list) => {
                let list = list.as_array().ok_or_else(|| error("ehlo_keywords", "a list of keywords, e.g. [\"SIZE\", \"AUTH PLAIN LOGIN\"]".into()))?;
                list.iter().map(|k| text("ehlo_keywords", k)).collect::<Result<_, _>>()?
            }
        };
        let bounce = match object.get("bounce") {
            None => base.bounce.clone(),
            Some(table) => {
                let table = table.as_object().ok_or_else(|| error("bounce", "a table".into()))?;
                if let Some(unknown) = table.keys().find(|k| !BOUNCE_FIELDS.contains(&k.as_str())) {
                    return Err(error(&format!("bounce.{unknown}"), format!("not a bounce field; the fields are {}", BOUNCE_FIELDS.join(", "))));
                }
                let words = |name: &str, default: &String| match table.get(name) {
                    None => Ok(default.clone()),
                    Some(value) => text(&format!("bounce.{name}"), value),
                };
                let b = &base.bounce;
                Bounce {
                    from: words("from", &b.from)?,
                    failure_subject: words("failure_subject", &b.failure_subject)?,
                    delay_subject: words("delay_subject", &b.delay_subject)?,
                    success_subject: words("success_subject", &b.success_subject)?,
                    failure_text: words("failure_text", &b.failure_text)?,
                    delay_text: words("delay_text", &b.delay_text)?,
                    success_text: words("success_text", &b.success_text)?,
                    postfix_fields: match table.get("postfix_fields") {
                        None => b.postfix_fields,
                        Some(value) => value.as_bool().ok_or_else(|| error("bounce.postfix_fields", "true or false".into()))?,
                    },
                }
            }
        };
        let name = match object.get("name") {
            None => None,
            Some(value) => Some(text("name", value)?),
        };
        let persona = Persona {
            name,
            base: profile,
            replies,
            ehlo_keywords,
            received_product: match object.get("received_product") {
                None => base.received_product.clone(),
                Some(value) => text("received_product", value)?,
            },
            utf8_needs_smtputf8: flag("utf8_needs_smtputf8", base.utf8_needs_smtputf8)?,
            auth_needs_ehlo: flag("auth_needs_ehlo", base.auth_needs_ehlo)?,
            hangs_up_on_header_lines: flag("hangs_up_on_header_lines", base.hangs_up_on_header_lines)?,
            no_valid_recipients_at_data: flag("no_valid_recipients_at_data", base.no_valid_recipients_at_data)?,
            bounce,
        };
        persona.check().map_err(|(field, message)| error(field, message))?;
        Ok(persona)
    }

    /// The persona written whole, as [`Persona::from_value`] reads it: a saved session replays
    /// the same server even if a base changes.
    pub fn to_value(&self) -> serde_json::Value {
        let b = &self.bounce;
        let replies: serde_json::Map<String, serde_json::Value> = self.replies.iter().map(|(s, own)| (s.id().to_string(), own.write().into())).collect();
        let mut value = serde_json::json!({
            "base": self.base.id(),
            "replies": replies,
            "ehlo_keywords": self.ehlo_keywords,
            "received_product": self.received_product,
            "utf8_needs_smtputf8": self.utf8_needs_smtputf8,
            "auth_needs_ehlo": self.auth_needs_ehlo,
            "hangs_up_on_header_lines": self.hangs_up_on_header_lines,
            "no_valid_recipients_at_data": self.no_valid_recipients_at_data,
            "bounce": {
                "from": b.from, "failure_subject": b.failure_subject, "delay_subject": b.delay_subject, "success_subject": b.success_subject,
                "failure_text": b.failure_text, "delay_text": b.delay_text, "success_text": b.success_text, "postfix_fields": b.postfix_fields,
            },
        });
        if let Some(name) = &self.name {
            value["name"] = name.as_str().into();
        }
        value
    }
}

/// A server's own persona (not a preset's) as a configuration carries it: the persona, and the
/// JSON it is written as. A configuration is written on every change in the page, so it writes
/// this one string rather than a serializer for every field; it is read (and checked) only where
/// a persona comes in: a profile file, a share link or saved session, the mock's feed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OwnPersona {
    persona: Persona,
    written: Box<str>,
}

impl OwnPersona {
    pub fn new(persona: Persona) -> OwnPersona {
        let written = persona.to_value().to_string().into_boxed_str();
        OwnPersona { persona, written }
    }

    /// Reads a persona from the JSON [`OwnPersona::new`] writes.
    pub fn from_json(text: &str) -> Result<OwnPersona, PersonaError> {
        let value: serde_json::Value = serde_json::from_str(text).map_err(|e| PersonaError { field: "(persona)".into(), message: e.to_string() })?;
        Ok(OwnPersona::new(Persona::from_value(&value)?))
    }

    pub fn persona(&self) -> &Persona {
        &self.persona
    }
}

impl Serialize for OwnPersona {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.written)
    }
}

impl<'de> Deserialize<'de> for OwnPersona {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<OwnPersona, D::Error> {
        let text = String::deserialize(deserializer)?;
        OwnPersona::from_json(&text).map_err(serde::de::Error::custom)
    }
}

fn words(list: &[&str]) -> Vec<String> {
    list.iter().map(|w| w.to_string()).collect()
}

const POSTFIX_FAILURE: &str = "This is the mail system at host {host}.\n\nI'm sorry to have to inform you that your message could not\nbe delivered to one or more recipients. It's attached below.\n\nFor further assistance, please send mail to postmaster.\n\nIf you do so, please include this problem report. You can\ndelete your own text from the attached returned message.\n\n                   The mail system\n\n{recipients}\n";
const POSTFIX_DELAY: &str = "This is the mail system at host {host}.\n\n####################################################################\n# THIS IS A WARNING ONLY.  YOU DO NOT NEED TO RESEND YOUR MESSAGE. #\n####################################################################\n\nYour message could not be delivered for 0.1 hours.\nIt will be retried until it is 5.0 days old.\n\nFor further assistance, please send mail to postmaster.\n\nIf you do so, please include this problem report. You can\ndelete your own text from the attached returned message.\n\n                   The mail system\n\n{recipients}\n";
const POSTFIX_SUCCESS: &str = "This is the mail system at host {host}.\n\nYour message was successfully delivered to the destination(s)\nlisted below. If the message was delivered to mailbox you will\nreceive no further notifications. Otherwise you may still receive\nnotifications of mail delivery errors from other systems.\n\n                   The mail system\n\n{recipients}\n";
const PLAIN_FAILURE: &str = "Your message wasn't delivered to the recipients below: their server refused it, or could not be reached.\n\n{recipients}\n";
const PLAIN_DELAY: &str = "Your message hasn't been delivered yet to the recipients below. The server will keep trying; you need not send it again.\n\n{recipients}\n";
const PLAIN_SUCCESS: &str = "Your message was delivered to the recipients below.\n\n{recipients}\n";

/// The preset table: each built-in profile's persona.
fn preset(profile: ProfileName) -> Persona {
    let plain_bounce = |from: &str, failure: &str, delay: &str, success: &str| Bounce {
        from: from.into(),
        failure_subject: failure.into(),
        delay_subject: delay.into(),
        success_subject: success.into(),
        failure_text: PLAIN_FAILURE.into(),
        delay_text: PLAIN_DELAY.into(),
        success_text: PLAIN_SUCCESS.into(),
        postfix_fields: false,
    };
    let subsystem = plain_bounce(
        "Mail Delivery Subsystem <mailer-daemon@{host}>",
        "Delivery Status Notification (Failure)",
        "Delivery Status Notification (Delay)",
        "Delivery Status Notification (Success)",
    );
    let base = Persona {
        name: None,
        base: profile,
        replies: BTreeMap::new(),
        ehlo_keywords: Vec::new(),
        received_product: String::new(),
        utf8_needs_smtputf8: true,
        auth_needs_ehlo: false,
        hangs_up_on_header_lines: false,
        no_valid_recipients_at_data: false,
        bounce: subsystem,
    };
    match profile {
        ProfileName::Postfix => Persona {
            ehlo_keywords: words(&["PIPELINING", "SIZE", "VRFY", "ETRN", "STARTTLS", "AUTH PLAIN LOGIN", "ENHANCEDSTATUSCODES", "8BITMIME", "DSN", "SMTPUTF8", "CHUNKING"]),
            received_product: "Postfix".into(),
            // Postfix 3.7 takes a UTF-8 address without the SMTPUTF8 parameter (and answers 250).
            utf8_needs_smtputf8: false,
            hangs_up_on_header_lines: true,
            // smtpd.c data_cmd: DATA after MAIL whose every RCPT was refused.
            no_valid_recipients_at_data: true,
            bounce: Bounce {
                from: "MAILER-DAEMON@{host} (Mail Delivery System)".into(),
                failure_subject: "Undelivered Mail Returned to Sender".into(),
                delay_subject: "Delayed Mail (still being retried)".into(),
                success_subject: "Successful Mail Delivery Report".into(),
                failure_text: POSTFIX_FAILURE.into(),
                delay_text: POSTFIX_DELAY.into(),
                success_text: POSTFIX_SUCCESS.into(),
                postfix_fields: true,
            },
            ..base
        },
        ProfileName::Exchange => Persona {
            ehlo_keywords: words(&["SIZE", "PIPELINING", "DSN", "ENHANCEDSTATUSCODES", "STARTTLS", "AUTH LOGIN", "8BITMIME", "BINARYMIME", "CHUNKING", "SMTPUTF8"]),
            received_product: "Microsoft SMTP Server".into(),
            auth_needs_ehlo: true,
            bounce: plain_bounce("Microsoft Outlook <postmaster@{host}>", "Undeliverable: {subject}", "Delivery delayed: {subject}", "Delivered: {subject}"),
            ..base
        },
        ProfileName::Gmail => Persona {
            ehlo_keywords: words(&[
                "SIZE",
                "8BITMIME",
                "STARTTLS",
                "AUTH LOGIN PLAIN XOAUTH2 PLAIN-CLIENTTOKEN OAUTHBEARER XOAUTH",
                "ENHANCEDSTATUSCODES",
                "PIPELINING",
                "CHUNKING",
                "SMTPUTF8",
            ]),
            received_product: "Google Transport Security".into(),
            auth_needs_ehlo: true,
            ..base
        },
        ProfileName::Mock => Persona {
            ehlo_keywords: words(&["PIPELINING", "SIZE", "8BITMIME", "SMTPUTF8", "ENHANCEDSTATUSCODES", "STARTTLS", "AUTH PLAIN LOGIN", "CHUNKING", "DSN", "HELP"]),
            received_product: "SMTP Playground".into(),
            ..base
        },
        // The z/OS SMTP server does not know EHLO: it lists nothing.
        ProfileName::Zos => Persona { received_product: "IBM MVS SMTP CS V2R5".into(), ..base },
        ProfileName::Cssmtp => Persona {
            ehlo_keywords: words(&["SIZE", "8BITMIME", "PIPELINING", "STARTTLS", "AUTH PLAIN LOGIN", "ENHANCEDSTATUSCODES"]),
            received_product: "IBM CSSMTP".into(),
            ..base
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_reply_line_is_read_with_or_without_its_enhanced_code() {
        let own = OwnedTemplate::parse("550 5.1.1 <{address}>: unknown user").unwrap();
        assert_eq!((own.code, own.enhanced.as_str(), own.text.as_str()), (550, "5.1.1", "<{address}>: unknown user"));
        let own = OwnedTemplate::parse("220 {host} ESMTP Exim 4.96").unwrap();
        assert_eq!((own.code, own.enhanced.as_str(), own.text.as_str()), (220, "", "{host} ESMTP Exim 4.96"));
        assert_eq!(OwnedTemplate::parse("334").unwrap().write(), "334");
        assert!(OwnedTemplate::parse("25 ok").unwrap_err().contains("reply code from 200 to 599"));
        assert!(OwnedTemplate::parse("550 4.1.1 x").unwrap_err().contains("must begin with the reply's class, 5"));
        assert!(OwnedTemplate::parse("250 ok\r\n250 forged").unwrap_err().contains("control characters"));
        assert!(OwnedTemplate::parse("250ok").unwrap_err().contains("a space must follow"));
    }

    #[test]
    fn a_file_names_what_differs_and_takes_the_rest_from_its_base() {
        let value = serde_json::json!({"base": "postfix", "replies": {"Greeting": "220 {host} ESMTP Exim 4.96"}, "received_product": "Exim 4.96"});
        let persona = Persona::from_value(&value).unwrap();
        assert_eq!(persona.template(Situation::Greeting).text, "{host} ESMTP Exim 4.96");
        assert_eq!(persona.template(Situation::SenderAccepted), wording::template(ProfileName::Postfix, Situation::SenderAccepted));
        assert_eq!(persona.ehlo_keywords, Persona::preset(ProfileName::Postfix).ehlo_keywords);
        assert_eq!(persona.received_product, "Exim 4.96");
        // Written whole and read back the same, through serde too (as one JSON string), its
        // name included.
        assert_eq!(Persona::from_value(&persona.to_value()).unwrap(), persona);
        let named = Persona { name: Some("Exim 4.96".into()), ..persona.clone() };
        assert_eq!(Persona::from_value(&named.to_value()).unwrap(), named);
        let own = OwnPersona::new(persona.clone());
        let json = serde_json::to_string(&own).unwrap();
        assert!(json.starts_with("\"{"), "{json}");
        assert_eq!(serde_json::from_str::<OwnPersona>(&json).unwrap(), own);
        // Each wrong field is named.
        let field = |value: serde_json::Value| Persona::from_value(&value).unwrap_err().field;
        assert_eq!(field(serde_json::json!({"base": "mock", "replies": {"UserUnknown": "55 x"}})), "replies.UserUnknown");
        assert_eq!(field(serde_json::json!({"base": "mock", "replies": {"NoSuchThing": "250 x"}})), "replies.NoSuchThing");
        assert_eq!(field(serde_json::json!({"base": "mock", "ehlo": []})), "ehlo");
        assert_eq!(field(serde_json::json!({"base": "exim"})), "base");
        assert_eq!(field(serde_json::json!({"base": "mock", "ehlo_keywords": ["AUTH\r\nX"]})), "ehlo_keywords");
        assert_eq!(field(serde_json::json!({"base": "mock", "auth_needs_ehlo": "yes"})), "auth_needs_ehlo");
        assert_eq!(field(serde_json::json!({"base": "mock", "bounce": {"from": "a\r\nb"}})), "bounce.from");
        assert_eq!(field(serde_json::json!({"base": "mock", "bounce": {"frm": "x"}})), "bounce.frm");
        assert!(serde_json::from_str::<OwnPersona>(r#""{\"base\":\"mock\",\"ehlo\":[]}""#).unwrap_err().to_string().contains("ehlo: not a persona field"));
    }

    #[test]
    fn every_preset_passes_its_check() {
        for profile in ProfileName::ALL {
            assert_eq!(Persona::preset(profile).check(), Ok(()), "{profile:?}");
            let preset = Persona::preset(profile);
            assert_eq!(&Persona::from_value(&preset.to_value()).unwrap(), preset, "{profile:?} reads back as written");
            assert_eq!(Persona::preset(profile).base, profile);
        }
    }
}
