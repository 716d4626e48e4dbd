//! A teacher's profile file read in the page (the Server tab's "Load a profile file"): TOML in,
//! the server it describes out, or one sentence naming the file and the line or the field, as
//! `smtp-bridge mock --profile-file` says it.

use smtp_protocol::profile_file::{LoadedProfile, load};

/// Reads the file `name` holding `text`.
pub fn read(name: &str, text: &str) -> Result<LoadedProfile, String> {
    let value: serde_json::Value = toml::from_str(text).map_err(|e| format!("{name}: {}", e.to_string().trim_end()))?;
    load(value).map_err(|e| format!("{name}: {}: {}", e.field, e.message))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::simulated::SimulatedSession;

    const EXIM: &str = include_str!("../../profiles/exim-strict.toml");

    #[test]
    fn the_hand_written_exim_profile_answers_in_its_own_words() {
        let loaded = read("exim-strict.toml", EXIM).unwrap();
        assert_eq!(loaded.title.as_deref(), Some("Exim 4.96, strict (the school's relay)"));
        let mut session = SimulatedSession::new(loaded.config, 1_000);
        session.send("EHLO student.example\r\nRCPT TO:<nobody@school.example>\r\nMAIL FROM:<a@b.example>\r\nRCPT TO:<nobody@school.example>\r\n", 2_000);
        let json = session.console.json();
        assert!(json.contains("ESMTP Exim 4.96"), "the greeting: {json}");
        assert!(json.contains("sender not yet given"), "RCPT before MAIL: {json}");
        assert!(json.contains("Unrouteable address"), "an unknown user: {json}");
    }

    #[test]
    fn a_profile_file_applied_to_a_running_session_speaks_from_the_next_reply() {
        let loaded = read("exim-strict.toml", EXIM).unwrap();
        let mut session = SimulatedSession::new(smtp_protocol::ServerConfig::new(smtp_protocol::ProfileName::Postfix), 1_000);
        session.apply(crate::model::simulated::Input::Configure { config: loaded.config.clone() });
        assert_eq!(session.config(), &loaded.config, "the persona is kept with the policy");
        session.send("NOOP\r\nFOO\r\n", 2_000);
        let json = session.console.json();
        assert!(json.contains("\"unrecognized command\""), "its words at once: {json}");
    }

    #[test]
    fn a_loaded_profile_is_written_and_read_back_whole() {
        let loaded = read("exim-strict.toml", EXIM).unwrap();
        let json = serde_json::to_string(&loaded.config).unwrap();
        let back: smtp_protocol::ServerConfig = serde_json::from_str(&json).unwrap_or_else(|e| panic!("{e}: {json}"));
        assert_eq!(back, loaded.config);
    }

    #[test]
    fn explanations_call_the_server_by_its_files_title() {
        let loaded = read("exim-strict.toml", EXIM).unwrap();
        let mut session = SimulatedSession::new(loaded.config, 1_000);
        session.send("EHLO student.example\r\nMAIL FROM: <a@b.example>\r\n", 2_000);
        let why: Vec<String> = session
            .console
            .entries
            .iter()
            .filter_map(|e| match &e.kind {
                crate::model::entry::EntryKind::Reply { explanation, .. } => Some(explanation.why.clone()),
                _ => None,
            })
            .collect();
        let refused = why.last().expect("the 501 is explained");
        assert!(refused.contains("Exim 4.96, strict (the school's relay) does not"), "{refused}");
        assert!(!refused.contains("Postfix"), "{refused}");
    }

    #[test]
    fn a_broken_file_is_named_with_its_line_or_its_field() {
        let syntax = read("school.toml", "base = \"postfix\"\n[policy\n").unwrap_err();
        assert!(syntax.starts_with("school.toml: TOML parse error at line 2"), "{syntax}");
        let field = read("school.toml", "base = \"postfix\"\n[policy]\nmax_recipient = 3\n").unwrap_err();
        assert!(field.starts_with("school.toml: policy.max_recipient: no such policy field"), "{field}");
    }
}
