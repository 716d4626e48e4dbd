//! The session kept across reloads (localStorage, versioned key) and in share links (the URL
//! fragment). Both hold the input log; replaying it rebuilds the session. Unreadable data is
//! reported, never trusted, and never a crash.

use super::branch::{Branch, Branches};
use super::simulated::{Input, SimulatedSession};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::{Deserialize, Serialize};

pub const STORAGE_KEY: &str = "smtp-playground/session/v1";
const FRAGMENT_PREFIX: &str = "#session=";

#[derive(Serialize, Deserialize)]
struct Saved {
    version: u32,
    /// The original session's log.
    log: Vec<Input>,
    /// What-if branches (the list's entries after the original), and which one is on show.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    branches: Vec<SavedBranch>,
    #[serde(default, skip_serializing_if = "is_zero")]
    active: usize,
}

fn is_zero(n: &usize) -> bool {
    *n == 0
}

#[derive(Serialize, Deserialize)]
struct SavedBranch {
    /// The session it branched from (`None`: a replay of a real or watched session).
    parent: Option<usize>,
    label: String,
    log: Vec<Input>,
}

/// The session on show and its what-if branches: what a reload or a share link restores.
pub struct Lab {
    pub session: SimulatedSession,
    pub branches: Branches,
}

/// A session without branches.
pub fn encode(log: &[Input]) -> String {
    serde_json::to_string(&Saved { version: 1, log: log.to_vec(), branches: Vec::new(), active: 0 }).unwrap_or_default()
}

/// The session on show (`active`'s log) with every branch.
pub fn encode_lab(active: &[Input], branches: &Branches) -> String {
    let log_of = |i: usize| -> Vec<Input> {
        match branches.list.get(i).and_then(|b| b.session.as_ref()) {
            Some(session) => session.log.clone(),
            None => active.to_vec(),
        }
    };
    let saved = Saved {
        version: 1,
        log: log_of(0),
        branches: (1..branches.list.len()).map(|i| SavedBranch { parent: branches.list[i].parent, label: branches.list[i].label.clone(), log: log_of(i) }).collect(),
        active: branches.active,
    };
    serde_json::to_string(&saved).unwrap_or_default()
}

fn replay_checked(log: &[Input]) -> Result<SimulatedSession, String> {
    for input in log {
        if let Input::Start { config, .. } | Input::Configure { config } = input {
            config.policy.check().map_err(|problem| format!("its server settings cannot work ({problem})"))?;
        }
    }
    SimulatedSession::replay(log).ok_or_else(|| "it holds no server configuration".to_string())
}

/// Reads a saved session and its branches; `Err` says what was wrong, for the reset message.
pub fn decode(text: &str) -> Result<Lab, String> {
    let saved: Saved = serde_json::from_str(text).map_err(|e| format!("it is not a saved session ({e})"))?;
    if saved.version != 1 {
        return Err(format!("it was saved by another version ({})", saved.version));
    }
    if saved.branches.len() > 64 {
        return Err("it holds more than 64 branches".into());
    }
    let mut list = vec![Branch { parent: None, label: "Original".into(), session: Some(replay_checked(&saved.log)?) }];
    for (i, branch) in saved.branches.into_iter().enumerate() {
        if branch.parent.is_some_and(|p| p > i) {
            return Err(format!("branch {} names a parent that comes after it", i + 1));
        }
        list.push(Branch { parent: branch.parent, label: branch.label.chars().take(120).collect(), session: Some(replay_checked(&branch.log)?) });
    }
    let active = if saved.active < list.len() { saved.active } else { 0 };
    let session = list[active].session.take().expect("replayed above");
    Ok(Lab { session, branches: Branches { list, active } })
}

/// The URL fragment that reproduces the session and its branches.
pub fn share_fragment(active: &[Input], branches: &Branches) -> String {
    format!("{FRAGMENT_PREFIX}{}", URL_SAFE_NO_PAD.encode(encode_lab(active, branches)))
}

/// Whether the URL fragment is a share link (read or not).
pub fn is_share_fragment(hash: &str) -> bool {
    hash.starts_with(FRAGMENT_PREFIX)
}

/// `None` when the fragment is not a share link; `Some(Err)` when it is a broken one.
pub fn from_fragment(hash: &str) -> Option<Result<Lab, String>> {
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

    pub fn save(active: &[Input], branches: &Branches) {
        if let Some(storage) = storage() {
            let _ = storage.set_item(STORAGE_KEY, &encode_lab(active, branches));
        }
    }

    /// Whether this browser holds a saved session, without reading it.
    pub fn exists() -> bool {
        storage().and_then(|s| s.get_item(STORAGE_KEY).ok().flatten()).is_some()
    }

    pub fn clear() {
        if let Some(storage) = storage() {
            let _ = storage.remove_item(STORAGE_KEY);
        }
    }

    /// The saved session: `Ok(None)` when there is none, `Err(message)` when it was unreadable
    /// (it is then removed).
    pub fn load() -> Result<Option<Lab>, String> {
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
        let fragment = share_fragment(&lab.log, &Branches::default());
        let again = from_fragment(&fragment).unwrap().unwrap().session;
        assert_eq!(again.console.entries, lab.console.entries);
        assert!(from_fragment("#other").is_none());
        assert!(from_fragment("#session=%%%").unwrap().is_err());
        assert!(decode("{not json").is_err());
        assert!(matches!(decode(r#"{"version":9,"log":[]}"#), Err(why) if why.contains("another version")));
    }

    #[test]
    fn branches_travel_in_the_link_and_the_one_on_show_comes_back_on_show() {
        let mut original = SimulatedSession::new(ServerConfig::new(ProfileName::Postfix), 5_000);
        original.send("HELO x.example\r\nMAIL FROM:<a@b.example>\r\n", 6_000);
        let index = crate::model::branch::reply_index(&original.console.events, 2).unwrap();
        let (branch, label) = crate::model::branch::branch_at(&original, index, &crate::model::branch::parse_reply("451 4.3.0 Try later").unwrap()).unwrap();
        let branch_transcript = branch.console.transcript();
        let mut branches = Branches::default();
        branches.list[0].session = Some(original);
        branches.list.push(Branch { parent: Some(0), label: label.clone(), session: None });
        branches.active = 1;
        let lab = from_fragment(&share_fragment(&branch.log, &branches)).unwrap().unwrap();
        assert_eq!(lab.branches.active, 1);
        assert_eq!(lab.session.console.transcript(), branch_transcript);
        assert_eq!(lab.branches.list[1].label, label);
        assert!(lab.branches.list[0].session.as_ref().unwrap().console.transcript().contains("S: 250 2.1.0 Ok"));
    }

    #[test]
    fn a_link_whose_server_settings_cannot_work_is_refused() {
        let mut config = ServerConfig::new(ProfileName::Mock);
        config.policy.hostname = "mx.example\r\n250 forged".into();
        let log = [Input::Start { at: 5_000, config }, Input::Send { at: 6_000, text: "EHLO x.example\r\n".into() }];
        let why = from_fragment(&share_fragment(&log, &Branches::default())).unwrap().err().expect("refused");
        assert!(why.contains("server settings cannot work") && why.contains("hostname"), "{why}");
    }
}
