//! A profile file: a teacher's own server, described as data — a built-in `base` profile, the
//! policy fields that differ from it, and the persona (words, EHLO list, habits) that differs.
//!
//! ```toml
//! base = "postfix"
//! title = "Exim 4.96, the school's relay"
//!
//! [policy]
//! hostname = "mx.school.example"
//! max_recipients = 20
//!
//! [persona]
//! ehlo_keywords = ["SIZE", "8BITMIME", "PIPELINING", "AUTH PLAIN LOGIN", "STARTTLS", "HELP"]
//! received_product = "Exim 4.96"
//!
//! [persona.replies]
//! Greeting = "220 {host} ESMTP Exim 4.96 {date}"
//! UserUnknown = "550 5.1.1 <{address}>: Unrouteable address"
//! ```
//!
//! The file is TOML for people (`smtp-bridge mock --profile-file`); this module reads it once
//! it is a JSON value (what every serde format converts to), so the protocol crate needs no
//! TOML parser. Errors name the field's path, as exercise files' do.

use crate::persona::{OwnPersona, Persona};
use crate::preset::ProfileName;
use crate::profile::{ServerConfig, ServerPolicy};
use serde::Deserialize;

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct ProfileFile {
    base: ProfileName,
    #[serde(default)]
    title: Option<String>,
    #[serde(default)]
    policy: serde_json::Map<String, serde_json::Value>,
    #[serde(default)]
    persona: Option<serde_json::Map<String, serde_json::Value>>,
}

/// A profile file, read: the server it describes and the title it gives itself.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoadedProfile {
    pub title: Option<String>,
    pub config: ServerConfig,
}

/// What is wrong with a profile file: the field's path (`policy.max_recipients`,
/// `persona.replies.UserUnknown`) and a sentence.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProfileFileError {
    pub field: String,
    pub message: String,
}

impl std::fmt::Display for ProfileFileError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.field, self.message)
    }
}

/// Reads a profile file's content (as a JSON value).
pub fn load(value: serde_json::Value) -> Result<LoadedProfile, ProfileFileError> {
    let error = |field: String, message: String| ProfileFileError { field, message };
    let file: ProfileFile = serde_path_to_error::deserialize(value).map_err(|e| {
        let path = e.path().to_string();
        error(if path == "." { "(file)".into() } else { path }, e.inner().to_string())
    })?;
    let policy = ServerPolicy::with_changes(file.base, &file.policy).map_err(|(field, message)| error(format!("policy.{field}"), message))?;
    let mut persona_of_file = None;
    if let Some(mut persona) = file.persona {
        if persona.contains_key("base") {
            return Err(error("persona.base".into(), "the persona's base is the file's `base`: leave it out here".into()));
        }
        persona.insert("base".into(), file.base.id().into());
        let mut persona = Persona::from_value(&serde_json::Value::Object(persona)).map_err(|e| error(format!("persona.{}", e.field), e.message))?;
        // The file's title is what explanations call the server.
        persona.name = persona.name.take().or_else(|| file.title.clone());
        persona_of_file = Some(std::sync::Arc::new(OwnPersona::new(persona)));
    }
    if let Some(title) = &file.title
        && (title.trim().is_empty() || title.chars().any(char::is_control))
    {
        return Err(error("title".into(), "a title is one line of text, e.g. \"Exim 4.96, the school's relay\"".into()));
    }
    Ok(LoadedProfile { title: file.title, config: ServerConfig { profile: file.base, persona: persona_of_file, policy, seed: 0x5eed } })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_file_changes_its_base_and_says_which_field_is_wrong() {
        let loaded = load(json!({
            "base": "postfix",
            "title": "Exim 4.96",
            "policy": { "hostname": "mx.school.example", "max_recipients": 20 },
            "persona": { "received_product": "Exim 4.96", "replies": { "Greeting": "220 {host} ESMTP Exim 4.96" } }
        }))
        .unwrap();
        assert_eq!(loaded.title.as_deref(), Some("Exim 4.96"));
        assert_eq!(loaded.config.profile, ProfileName::Postfix);
        assert_eq!(loaded.config.policy.max_recipients, 20);
        assert_eq!(loaded.config.policy.max_command_line, ServerPolicy::for_profile(ProfileName::Postfix).max_command_line, "the rest is the base's");
        let persona = loaded.config.persona.as_deref().unwrap().persona();
        assert_eq!(persona.received_product, "Exim 4.96");

        let field = |value: serde_json::Value| load(value).unwrap_err().field;
        assert_eq!(field(json!({ "base": "exim" })), "base");
        assert_eq!(field(json!({ "base": "mock", "polcy": {} })), "polcy");
        assert_eq!(field(json!({ "base": "mock", "policy": { "max_recipient": 3 } })), "policy.max_recipient");
        assert_eq!(field(json!({ "base": "mock", "policy": { "max_recipients": "many" } })), "policy.max_recipients");
        assert_eq!(field(json!({ "base": "mock", "policy": { "max_recipients": 0 } })), "policy.max_recipients");
        assert_eq!(field(json!({ "base": "mock", "persona": { "replies": { "UserUnknown": "55 x" } } })), "persona.replies.UserUnknown");
        assert_eq!(field(json!({ "base": "mock", "persona": { "replies": { "NoSuchThing": "250 x" } } })), "persona.replies.NoSuchThing");
        assert_eq!(field(json!({ "base": "mock", "persona": { "ehlo": [] } })), "persona.ehlo");
        assert_eq!(field(json!({ "base": "mock", "persona": { "ehlo_keywords": ["AUTH\r\nX"] } })), "persona.ehlo_keywords");
        assert!(load(json!({ "base": "mock", "policy": { "max_recipient": 3 } })).unwrap_err().message.contains("no such policy field"));
    }
}
