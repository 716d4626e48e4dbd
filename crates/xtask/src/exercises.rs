//! `cargo xtask check-exercises [DIR]`: a teacher's exercise files checked as the page and the
//! tests check them, without a browser: each parses (errors name the file and the field), its
//! own solution completes it against the simulator, and none of its near misses does.

use anyhow::{Result, bail};
use smtp_protocol::exercise::{Check, Exercise, play, solve};
use std::path::Path;

/// The problems of every `*.json` in `dir`, one line each; `Ok` with the count when none.
pub(crate) fn check(dir: &Path) -> Result<usize> {
    let mut files: Vec<_> = std::fs::read_dir(dir)
        .map_err(|e| anyhow::anyhow!("{}: {e}", dir.display()))?
        .filter_map(|e| e.ok())
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .collect();
    files.sort();
    let mut problems = Vec::new();
    for file in &files {
        let name = file.file_name().map(|n| n.to_string_lossy().to_string()).unwrap_or_default();
        match std::fs::read_to_string(file).map_err(|e| e.to_string()).and_then(|text| Exercise::parse(&name, &text).map_err(|e| e.to_string())) {
            Err(problem) => problems.push(problem),
            Ok(exercise) => problems.extend(played(&name, &exercise)),
        }
    }
    if !problems.is_empty() {
        for problem in &problems {
            eprintln!("xtask: {problem}");
        }
        bail!("{} problem(s) in the exercises of {}", problems.len(), dir.display());
    }
    Ok(files.len())
}

/// What playing the exercise shows: its solution must complete it, its near misses must not.
fn played(name: &str, exercise: &Exercise) -> Vec<String> {
    if exercise.needs_bridge {
        return Vec::new();
    }
    let mut problems = Vec::new();
    let progress = solve(exercise);
    if !progress.complete {
        let step = exercise.steps.get(progress.done).map(|s| s.text.as_str()).unwrap_or_default();
        problems.push(format!("{name}: its solution stops at step {} (\u{201c}{step}\u{201d}){}", progress.done + 1, progress.hint.map(|h| format!(": {h}")).unwrap_or_default()));
    }
    let answered = |i: usize| match &exercise.steps[i].check {
        Check::Answer { accept, .. } => accept.first().cloned(),
        _ => None,
    };
    for (i, miss) in exercise.near_misses.iter().enumerate() {
        if play(exercise, miss, &answered).complete {
            problems.push(format!("{name}: near_misses[{i}] completes the exercise: a check tests less than its step says"));
        }
    }
    problems
}
