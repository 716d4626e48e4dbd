//! The course: the exercises embedded from `exercises/*.json`, and the student's progress
//! (kept in localStorage beside the session).

use serde::{Deserialize, Serialize};
use smtp_protocol::exercise::{Exercise, ExerciseError};
use std::collections::BTreeMap;

mod files {
    include!(concat!(env!("OUT_DIR"), "/exercises.rs"));
}

/// Every exercise, or the error that keeps one from loading (shown in the panel). Parsed once.
pub fn exercises() -> &'static [Result<Exercise, ExerciseError>] {
    static PARSED: std::sync::OnceLock<Vec<Result<Exercise, ExerciseError>>> = std::sync::OnceLock::new();
    PARSED.get_or_init(|| files::FILES.iter().map(|(name, text)| Exercise::parse_checked(name, text)).collect())
}

/// One file of a teacher's folder, as `smtp-bridge --exercises DIR` serves them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ExerciseFile {
    pub file: String,
    pub text: String,
}

/// A teacher's exercises, loaded at run time: checked as the tests check the built-in ones, an
/// error naming the file and the field (a broken file is shown broken, and not counted).
pub fn teacher_exercises(files: &[ExerciseFile]) -> Vec<Result<Exercise, ExerciseError>> {
    files.iter().map(|f| Exercise::parse(&format!("teacher's {}", f.file), &f.text)).collect()
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum State {
    NotStarted,
    InProgress,
    Done,
}

impl State {
    pub fn label(self) -> &'static str {
        match self {
            State::NotStarted => "Not started",
            State::InProgress => "In progress",
            State::Done => "Done",
        }
    }
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct CourseProgress {
    /// The exercise being worked on.
    pub active: Option<String>,
    pub states: BTreeMap<String, State>,
    /// Answers to question steps: exercise id → step index → answer.
    pub answers: BTreeMap<String, BTreeMap<usize, String>>,
}

impl CourseProgress {
    pub fn state(&self, id: &str) -> State {
        self.states.get(id).copied().unwrap_or(State::NotStarted)
    }

    pub fn start(&mut self, id: &str) {
        self.active = Some(id.to_string());
        if self.state(id) != State::Done {
            self.states.insert(id.to_string(), State::InProgress);
        }
        self.answers.remove(id);
    }

    pub fn finish(&mut self, id: &str) {
        self.states.insert(id.to_string(), State::Done);
    }

    /// The first exercise not done, in course order.
    pub fn next<'a>(&self, ids: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
        ids.into_iter().find(|id| self.state(id) != State::Done)
    }

    pub fn answer(&self, id: &str, step: usize) -> Option<String> {
        self.answers.get(id).and_then(|a| a.get(&step)).cloned()
    }
}

pub const STORAGE_KEY: &str = "smtp-playground/course/v1";

#[cfg(target_arch = "wasm32")]
pub mod browser {
    use super::*;

    fn storage() -> Option<web_sys::Storage> {
        web_sys::window()?.local_storage().ok().flatten()
    }

    pub fn save(progress: &CourseProgress) {
        if let (Some(storage), Ok(text)) = (storage(), serde_json::to_string(progress)) {
            let _ = storage.set_item(STORAGE_KEY, &text);
        }
    }

    /// Whether this browser holds saved progress, without reading it.
    pub fn exists() -> bool {
        storage().and_then(|s| s.get_item(STORAGE_KEY).ok().flatten()).is_some()
    }

    /// Saved progress; unreadable progress is dropped with a message.
    pub fn load() -> Result<CourseProgress, String> {
        let Some(text) = storage().and_then(|s| s.get_item(STORAGE_KEY).ok().flatten()) else { return Ok(CourseProgress::default()) };
        serde_json::from_str(&text).map_err(|_| {
            if let Some(s) = storage() {
                let _ = s.remove_item(STORAGE_KEY);
            }
            "Your saved exercise progress could not be read, so it was reset.".to_string()
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_embedded_exercise_loads() {
        let all = exercises();
        assert!(all.len() >= 15);
        for exercise in all {
            assert!(exercise.is_ok(), "{}", exercise.as_ref().unwrap_err());
        }
    }

    #[test]
    fn a_teachers_broken_file_names_its_field() {
        let good = ExerciseFile { file: "lab.json".into(), text: include_str!("../../exercises/01-by-hand.json").replace("\"id\": \"by-hand\"", "\"id\": \"teacher-lab\"") };
        let broken = ExerciseFile {
            file: "oops.json".into(),
            text: r#"{"id":"x","title":"t","goal":"g","background":"b","profile":"postfix","steps":[{"text":"s","check":{"kind":"replyy"}}],"solution":[]}"#.into(),
        };
        let loaded = teacher_exercises(&[good, broken]);
        assert!(loaded[0].is_ok(), "{:?}", loaded[0]);
        let error = loaded[1].as_ref().unwrap_err().to_string();
        assert!(error.starts_with("teacher's oops.json: field `steps[0].check.kind`"), "{error}");
    }

    #[test]
    fn progress_tracks_states_and_the_next_exercise() {
        let mut progress = CourseProgress::default();
        let ids = ["a", "b", "c"];
        assert_eq!(progress.next(ids), Some("a"));
        progress.start("a");
        assert_eq!(progress.state("a"), State::InProgress);
        progress.finish("a");
        assert_eq!(progress.next(ids), Some("b"));
        progress.start("a");
        assert_eq!(progress.state("a"), State::Done, "restarting keeps it done");
    }
}
