//! Every exercise file is valid, and its own solution completes it against the simulator.

use smtp_protocol::exercise::{Exercise, solve};
use std::path::Path;

fn exercise_files() -> Vec<std::path::PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../exercises");
    let mut files: Vec<_> = std::fs::read_dir(&dir).unwrap().map(|e| e.unwrap().path()).filter(|p| p.extension().is_some_and(|e| e == "json")).collect();
    files.sort();
    files
}

#[test]
fn every_exercise_is_solved_by_its_own_solution() {
    let files = exercise_files();
    assert!(files.len() >= 15, "only {} exercises", files.len());
    let mut failures = Vec::new();
    for file in files {
        let name = format!("exercises/{}", file.file_name().unwrap().to_string_lossy());
        let exercise = Exercise::parse(&name, &std::fs::read_to_string(&file).unwrap()).unwrap_or_else(|e| panic!("{e}"));
        if exercise.needs_bridge {
            continue;
        }
        let progress = solve(&exercise);
        if !progress.complete {
            failures.push(format!(
                "{name}: solution stops at step {} of {} ({:?}); hint: {:?}",
                progress.done + 1,
                exercise.steps.len(),
                exercise.steps.get(progress.done).map(|s| &s.text),
                progress.hint
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn a_malformed_exercise_names_the_file_and_the_field() {
    let cases = [
        (r#"{"id":"x","title":"t","goal":"g","background":"b","profile":"postfix","steps":[{"text":"s","check":{"kind":"replyy"}}],"solution":[]}"#, "steps[0].check.kind"),
        (r#"{"id":"x","title":"t","goal":"g","background":"b","profile":"sendmail","steps":[],"solution":[]}"#, "profile"),
        (
            r#"{"id":"x","title":"t","goal":"g","background":"b","profile":"postfix","policy":{"colour":1},"steps":[{"text":"s","check":{"kind":"tls_started"}}],"solution":[]}"#,
            "policy.colour",
        ),
        (
            r#"{"id":"x","title":"t","goal":"g","background":"b","profile":"postfix","steps":[{"text":"s","check":{"kind":"reply","command":"SEND"}}],"solution":[]}"#,
            "steps[0].check.command",
        ),
        (
            r#"{"id":"x","title":"t","goal":"g","background":"b","profile":"postfix","steps":[{"text":"s","check":{"kind":"reply","situation":"Nope"}}],"solution":[]}"#,
            "steps[0].check.situation",
        ),
        (r#"{"id":"x","title":"t"}"#, "(top level)"),
        // The solution is a session script: a directive that is none, or a `-- set` the policy
        // refuses, is named where it stands (it was sent to the server as SMTP, or dropped).
        (
            r#"{"id":"x","title":"t","goal":"g","background":"b","profile":"postfix","steps":[{"text":"s","check":{"kind":"tls_started"}}],"solution":["EHLO a","-- sleep 3"]}"#,
            "solution[1]",
        ),
        (
            r#"{"id":"x","title":"t","goal":"g","background":"b","profile":"postfix","steps":[{"text":"s","check":{"kind":"tls_started"}}],"solution":["-- set max_recipients=0"]}"#,
            "solution[0]",
        ),
        (
            r#"{"id":"x","title":"t","goal":"g","background":"b","profile":"postfix","steps":[{"text":"s","check":{"kind":"tls_started"}}],"solution":[],"near_misses":[["-- set max_recipients=\"two\""]]}"#,
            "near_misses[0][0]",
        ),
    ];
    for (text, field) in cases {
        let error = Exercise::parse("exercises/broken.json", text).unwrap_err();
        assert_eq!(error.file, "exercises/broken.json");
        assert_eq!(error.field, field, "{error}");
        assert!(error.to_string().starts_with("exercises/broken.json: field `"), "{error}");
    }
}

#[test]
fn a_wrong_step_gets_a_hint_that_explains_the_reply() {
    use smtp_protocol::Timestamp;
    use smtp_protocol::exercise::evaluate;
    use smtp_protocol::script::Player;
    let text = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("../../exercises/01-by-hand.json")).unwrap();
    let exercise = Exercise::parse("01", &text).unwrap();
    let mut player = Player::new(exercise.config().unwrap(), Timestamp(0));
    player.send(b"HELO student.example\r\nDATA\r\n");
    let events: Vec<_> = player.events.clone().into_iter().collect();
    let progress = evaluate(&exercise, &events, &|_| None, &|_| None);
    assert_eq!(progress.done, 1);
    let hint = progress.hint.expect("a hint");
    assert!(hint.starts_with("The server answered 503 because"), "{hint}");
    assert!(hint.contains("no RCPT TO was accepted"), "{hint}");
}

#[test]
fn the_real_server_exercise_is_checked_from_observed_replies() {
    use smtp_protocol::command::Verb;
    use smtp_protocol::exercise::{Observation, evaluate_observed};
    use smtp_protocol::{EnhancedCode, Reply};
    let text = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("../../exercises/19-real-server.json")).unwrap();
    let exercise = Exercise::parse("19", &text).unwrap();
    assert!(exercise.needs_bridge);
    let reply = |verb: Verb, code: u16, text: &str| Observation::Reply { verb: Some(verb), reply: Reply::new(code, None, text), why: format!("why {code}") };
    let refused = Observation::Reply { verb: Some(Verb::Rcpt), reply: Reply::new(550, Some(EnhancedCode::new(5, 1, 1)), "No such user"), why: "the mailbox does not exist".into() };
    let mut observed = vec![reply(Verb::Ehlo, 250, "mx"), reply(Verb::Mail, 250, "ok"), refused];
    let progress = evaluate_observed(&exercise, &observed, &|_| None);
    assert_eq!(progress.done, 2);
    assert_eq!(progress.hint.as_deref(), Some("The server answered 550: the mailbox does not exist"));
    observed.extend([reply(Verb::Rcpt, 250, "ok"), reply(Verb::Data, 354, "go"), reply(Verb::Data, 250, "queued"), reply(Verb::Quit, 221, "bye")]);
    assert!(evaluate_observed(&exercise, &observed, &|_| None).complete);
}

#[test]
fn an_exercise_for_the_bridge_cannot_use_simulator_only_checks() {
    let text =
        r#"{"id":"x","title":"t","goal":"g","background":"b","profile":"postfix","needs_bridge":true,"steps":[{"text":"s","check":{"kind":"message_accepted"}}],"solution":[]}"#;
    let error = Exercise::parse("exercises/x.json", text).unwrap_err();
    assert_eq!(error.field, "steps[0].check.kind");
}

fn exercise(name: &str) -> Exercise {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../exercises").join(format!("{name}.json"));
    Exercise::parse(name, &std::fs::read_to_string(path).unwrap()).unwrap()
}

fn lines(entries: &[&str]) -> Vec<String> {
    entries.iter().map(|e| e.to_string()).collect()
}

/// A session that does almost what a step says must not pass it: each check tests what its
/// step's text asks.
#[test]
fn a_near_miss_does_not_pass() {
    use smtp_protocol::exercise::play;
    let none = |_: usize| None;
    // Exercise 1 names alice as the recipient: bob does not do.
    let progress = play(&exercise("01-by-hand"), &lines(&["HELO s.example", "MAIL FROM:<s@s.example>", "RCPT TO:<bob@playground.test>"]), &none);
    assert_eq!(progress.done, 2, "RCPT TO bob is not the step");
    // Exercise 3: To: must hold both addresses.
    let one_to = lines(&[
        "EHLO s.example",
        "MAIL FROM:<student@playground.test>",
        "AUTH PLAIN AHN0dWRlbnQAc2VjcmV0",
        "MAIL FROM:<student@playground.test>",
        "RCPT TO:<alice@playground.test>",
        "RCPT TO:<bob@playground.test>",
        "DATA",
        "From: s@playground.test\nTo: alice@playground.test\nMessage-ID: <x@playground.test>\nSubject: x\n\nx\n.",
    ]);
    let progress = play(&exercise("03-auth-login"), &one_to, &none);
    assert_eq!((progress.done, progress.complete), (2, false), "one address in To: is not both");
    // Exercise 7: three recipients in one domain are not three domains.
    let one_domain = lines(&["EHLO p.example", "MAIL FROM:<a@a.example>", "RCPT TO:<x@b.example>", "RCPT TO:<y@b.example>", "RCPT TO:<z@b.example>", "DATA", "Subject: x\n\nx\n."]);
    assert_eq!(play(&exercise("07-mock-server"), &one_domain, &none).done, 0);
    // Exercise 8: the greeting is not the student's 2xx.
    assert_eq!(play(&exercise("08-reply-classes"), &[], &none).done, 0);
    assert_eq!(play(&exercise("08-reply-classes"), &lines(&["NOOP"]), &none).done, 1);
}

#[test]
fn steps_done_in_another_order_say_how_to_get_unstuck() {
    use smtp_protocol::exercise::play;
    let none = |_: usize| None;
    // Exercise 3: logging in first makes "MAIL FROM without logging in" impossible.
    let progress = play(&exercise("03-auth-login"), &lines(&["EHLO s.example", "AUTH PLAIN AHN0dWRlbnQAc2VjcmV0"]), &none);
    assert_eq!(progress.done, 0);
    assert!(progress.stuck.as_deref().is_some_and(|s| s.contains("Restart the exercise")), "{progress:?}");
    // Exercise 6: STARTTLS before the EHLO that should show it; a reconnect clears it.
    let answered = |i: usize| (i == 0).then(|| "mx1.example.org".to_string());
    let tls_first = lines(&["STARTTLS"]);
    let progress = play(&exercise("06-mx-and-starttls"), &tls_first, &answered);
    assert!(progress.stuck.as_deref().is_some_and(|s| s.contains("Reconnect")), "{progress:?}");
    let again = lines(&["STARTTLS", "-- reconnect", "EHLO s.example"]);
    let progress = play(&exercise("06-mx-and-starttls"), &again, &answered);
    assert_eq!((progress.done, progress.stuck), (2, None));
}

#[test]
fn a_hint_goes_once_the_mistake_is_fixed() {
    use smtp_protocol::exercise::play;
    let none = |_: usize| None;
    let mistake = lines(&["HELO s.example", "MAIL FROM:s@s.example x"]);
    assert!(play(&exercise("01-by-hand"), &mistake, &none).hint.is_some());
    let fixed = lines(&["HELO s.example", "MAIL FROM:s@s.example x", "NOOP"]);
    assert_eq!(play(&exercise("01-by-hand"), &fixed, &none).hint, None);
}

#[test]
fn a_wrong_answer_is_told_apart_from_no_answer() {
    use smtp_protocol::exercise::{Check, answer_verdict};
    let ex = exercise("02-ehlo-extensions");
    let Check::Answer { accept, .. } = &ex.steps[1].check else { panic!() };
    assert_eq!(answer_verdict(accept, None), None);
    assert_eq!(answer_verdict(accept, Some("10 MB")), Some(false));
    assert_eq!(answer_verdict(accept, Some("10240000")), Some(true));
    assert!(ex.steps[1].hint.is_some(), "a wrong answer gets a hint");
}

/// Every exercise names near misses, and none of them finishes it: each check tests what its
/// step's text asks, not less.
#[test]
fn every_exercise_refuses_its_near_misses() {
    use smtp_protocol::exercise::{Check, play};
    let mut failures = Vec::new();
    for file in exercise_files() {
        let name = format!("exercises/{}", file.file_name().unwrap().to_string_lossy());
        let exercise = Exercise::parse(&name, &std::fs::read_to_string(&file).unwrap()).unwrap();
        if exercise.needs_bridge {
            continue;
        }
        if exercise.near_misses.is_empty() {
            failures.push(format!("{name}: no near_misses"));
        }
        // Questions answered right: only the session can fall short.
        let answered = |i: usize| match &exercise.steps[i].check {
            Check::Answer { accept, .. } => accept.first().cloned(),
            _ => None,
        };
        for (i, miss) in exercise.near_misses.iter().enumerate() {
            if play(&exercise, miss, &answered).complete {
                failures.push(format!("{name}: near miss {i} completes the exercise"));
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
