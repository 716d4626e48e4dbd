//! The session kept across reloads (localStorage, versioned key) and in share links (the URL
//! fragment). Both hold the input log; replaying it rebuilds the session. Unreadable data is
//! reported, never trusted, and never a crash.

use super::simulated::{Input, SimulatedSession};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::{Deserialize, Serialize};

pub const STORAGE_KEY: &str = "smtp-playground/session/v1";
const FRAGMENT_PREFIX: &str = "#session=";

#[derive(Serialize, Deserialize)]
struct Saved {
    version: u32,
    log: Vec<Input>,
}

pub fn encode(log: &[Input]) -> String {
    serde_json::to_string(&Saved { version: 1, log: log.to_vec() }).unwrap_or_default()
}

/// Reads a saved log; `Err` says what was wrong, for the reset message.
pub fn decode(text: &str) -> Result<SimulatedSession, String> {
    let saved: Saved = serde_json::from_str(text).map_err(|e| format!("it is not a saved session ({e})"))?;
    if saved.version != 1 {
        return Err(format!("it was saved by another version ({})", saved.version));
    }
    for input in &saved.log {
        if let Input::Start { config, .. } | Input::Configure { config } = input {
            config.policy.check().map_err(|problem| format!("its server settings cannot work ({problem})"))?;
        }
    }
    SimulatedSession::replay(&saved.log).ok_or_else(|| "it holds no server configuration".to_string())
}

/// The URL fragment that reproduces the session.
pub fn share_fragment(log: &[Input]) -> String {
    format!("{FRAGMENT_PREFIX}{}", URL_SAFE_NO_PAD.encode(encode(log)))
}

/// `None` when the fragment is not a share link; `Some(Err)` when it is a broken one.
pub fn from_fragment(hash: &str) -> Option<Result<SimulatedSession, String>> {
    let data = hash.strip_prefix(FRAGMENT_PREFIX)?;
    let bytes = match URL_SAFE_NO_PAD.decode(data.trim_end_matches('=')) {
        Ok(bytes) => bytes,
        Err(_) => return Some(Err("the link is damaged (not base64url)".into())),
    };
    Some(String::from_utf8(bytes).map_err(|_| "the link is damaged (not UTF-8)".to_string()).and_then(|t| decode(&t)))
}

#[cfg(target_arch = "wasm32")]
pub mod browser {
    use super::*;

    fn storage() -> Option<web_sys::Storage> {
        web_sys::window()?.local_storage().ok().flatten()
    }

    pub fn save(log: &[Input]) {
        if let Some(storage) = storage() {
            let _ = storage.set_item(STORAGE_KEY, &encode(log));
        }
    }

    pub fn clear() {
        if let Some(storage) = storage() {
            let _ = storage.remove_item(STORAGE_KEY);
        }
    }

    /// The saved session: `Ok(None)` when there is none, `Err(message)` when it was unreadable
    /// (it is then removed).
    pub fn load() -> Result<Option<SimulatedSession>, String> {
        let Some(text) = storage().and_then(|s| s.get_item(STORAGE_KEY).ok().flatten()) else { return Ok(None) };
        match decode(&text) {
            Ok(lab) => Ok(Some(lab)),
            Err(why) => {
                clear();
                Err(format!("Your saved session could not be read, so a new one was started: {why}."))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use smtp_protocol::{ProfileName, ServerConfig};

    #[test]
    fn share_links_round_trip_and_broken_ones_say_so() {
        let mut lab = SimulatedSession::new(ServerConfig::new(ProfileName::Mock), 5_000);
        lab.send("EHLO x.example\r\n", 6_000);
        let fragment = share_fragment(&lab.log);
        let again = from_fragment(&fragment).unwrap().unwrap();
        assert_eq!(again.console.entries, lab.console.entries);
        assert!(from_fragment("#other").is_none());
        assert!(from_fragment("#session=%%%").unwrap().is_err());
        assert!(decode("{not json").is_err());
        assert!(matches!(decode(r#"{"version":9,"log":[]}"#), Err(why) if why.contains("another version")));
    }

    #[test]
    fn a_link_whose_server_settings_cannot_work_is_refused() {
        let mut config = ServerConfig::new(ProfileName::Mock);
        config.policy.hostname = "mx.example\r\n250 forged".into();
        let log = [Input::Start { at: 5_000, config }, Input::Send { at: 6_000, text: "EHLO x.example\r\n".into() }];
        let why = from_fragment(&share_fragment(&log)).unwrap().err().expect("refused");
        assert!(why.contains("server settings cannot work") && why.contains("hostname"), "{why}");
    }
}
