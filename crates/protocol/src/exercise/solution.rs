//! Playing an exercise's own solution (and its near misses) against the simulator, through the
//! session script's player.

use super::{Check, Exercise, Progress, evaluate};

/// Plays an exercise's own solution against the simulator and returns its progress.
pub fn solve(exercise: &Exercise) -> Progress {
    let accepted = |i: usize| match &exercise.steps[i].check {
        Check::Answer { accept, .. } => accept.first().cloned(),
        _ => None,
    };
    play(exercise, &exercise.solution, &accepted)
}

/// Plays `entries` (as in an exercise's `solution`: lines, `-- wait N`, `-- set FIELD=JSON`,
/// `-- lf TEXT` for a line ended by a bare LF, `-- reconnect`) against the simulator and returns the exercise's progress.
pub fn play(exercise: &Exercise, entries: &[String], answers: &dyn Fn(usize) -> Option<String>) -> Progress {
    use crate::script::{Directive, Player};
    use crate::time::Timestamp;
    let config = exercise.config().expect("validated");
    let mut player = Player::new(config, Timestamp(1_795_394_866_000));
    // A solution does not write `-- tls`: the handshake completes when the server asks for it.
    player.auto_tls = true;
    for entry in entries {
        let Ok(directive) = Directive::parse(entry) else { continue };
        // A student takes a second to type each line, or to press Reconnect.
        if matches!(directive, Directive::Lines(_) | Directive::BareLineFeed(_) | Directive::Reconnect) {
            player.advance(1);
        }
        // Validated: a refused `-- set` or an expectation that fails changes nothing here.
        let _ = player.play(&directive);
    }
    let server = &player.server;
    let events = &player.events;
    let messages: Vec<(String, Vec<u8>)> = server.messages().iter().map(|m| (m.queue_id.clone(), m.raw.clone())).collect();
    let lookup = |id: &str| messages.iter().find(|(q, _)| q == id).map(|(_, raw)| raw.clone());
    evaluate(exercise, events, &lookup, answers)
}
