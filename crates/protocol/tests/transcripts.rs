//! Transcript-driven tests: each file in `tests/transcripts/` is a session in the manner of
//! RFC 5321 Appendix D. `C:` lines are sent (consecutive ones in one write, as a pipelining
//! client would), `S:` lines are the exact replies expected. In `S:` lines, `{*}` matches any run
//! of non-space characters (queue ids, session tags, dates).
//!
//! `# profile: NAME` and `# policy: {json}` (merged over the profile's defaults) come at the top;
//! `C+ ` sends raw bytes with escapes (\r \n \0); a line beginning with `-- ` is a directive of
//! the session script (`smtp_protocol::script`: `-- tls`, `-- wait N`, `-- timeout`, `-- closed`,
//! `-- reconnect`, …), read and played by the same code as exercise solutions.
//!
//! Every reply is also checked against the RFC 5321 4.3.2 table of expected replies, and must
//! have a complete explanation. The last test asserts that the transcripts together make the
//! simulator produce every [`Situation`] it has.

use smtp_protocol::event::Event;
use smtp_protocol::expected::Expectation;
use smtp_protocol::narration::{Narration, Note};
use smtp_protocol::script::{Directive, Player};
use smtp_protocol::{ProfileName, ServerConfig, ServerPolicy, Situation, Timestamp};
use std::collections::HashSet;
use std::path::Path;

const START: Timestamp = Timestamp(1_795_394_866_000);

struct Run {
    player: Player,
    /// How many of the player's events the narration has read.
    read: usize,
    pending_client: Vec<u8>,
    expected: Vec<String>,
    output: String,
    narration: Narration,
    seen: HashSet<Situation>,
    name: String,
    line_no: usize,
}

fn matches_pattern(pattern: &str, actual: &str) -> bool {
    let mut rest = actual;
    let mut parts = pattern.split("{*}").peekable();
    let mut first = true;
    while let Some(part) = parts.next() {
        if first {
            if !rest.starts_with(part) {
                return false;
            }
            rest = &rest[part.len()..];
            first = false;
            continue;
        }
        // `{*}` consumed a non-empty run without spaces, then `part` must follow.
        let run_end = rest.find(' ').unwrap_or(rest.len());
        let candidates: Vec<usize> = (1..=run_end).collect();
        let found = candidates.into_iter().find(|&n| {
            let after = &rest[n..];
            if parts.peek().is_none() { after == part } else { after.starts_with(part) }
        });
        match found {
            Some(n) => rest = &rest[n + part.len()..],
            None => return false,
        }
    }
    rest.is_empty()
}

impl Run {
    fn new(name: &str, profile: ProfileName, policy: ServerPolicy) -> Self {
        let config = ServerConfig { profile, persona: None, policy, seed: 7 };
        Run {
            player: Player::new(config, START),
            read: 0,
            pending_client: vec![],
            expected: vec![],
            output: String::new(),
            narration: Narration::default(),
            seen: HashSet::new(),
            name: name.to_string(),
            line_no: 0,
        }
    }

    fn flush_client(&mut self) {
        if !self.pending_client.is_empty() {
            let bytes = std::mem::take(&mut self.pending_client);
            self.player.send(&bytes);
        }
        self.drain();
    }

    fn drain(&mut self) {
        self.output.push_str(&String::from_utf8(self.player.take_wire()).expect("replies are UTF-8"));
        while let Some(event) = self.player.events.get(self.read).cloned() {
            self.read += 1;
            let policy = self.player.server.policy().clone();
            let note = self.narration.read(&event, self.player.server.profile(), &policy);
            if let (Event::ReplySent { reply, situation, fault, .. }, Some(Note::Reply(explanation))) = (&event, note) {
                let Some(situation) = situation else {
                    // A fault rule's reply: no situation, but the rule is named in its explanation.
                    let fault = fault.as_ref().expect("a reply without a situation comes from a fault rule");
                    assert!(explanation.why.contains(&fault.text), "{}: the explanation names the rule: {}", self.name, explanation.why);
                    continue;
                };
                self.seen.insert(*situation);
                assert!(!explanation.why.is_empty(), "{}: {situation:?} has no explanation", self.name);
                assert!(
                    explanation.expectation != Expectation::Unexpected,
                    "{}:{}: the simulator sent {} ({situation:?}), which RFC 5321 4.3.2 does not list for what it answers",
                    self.name,
                    self.line_no,
                    reply.code,
                );
            }
        }
    }

    fn check(&mut self) {
        self.flush_client();
        let expected = std::mem::take(&mut self.expected);
        let actual: Vec<String> = self.output.lines().map(str::to_string).collect();
        self.output.clear();
        let ok = expected.len() == actual.len() && expected.iter().zip(&actual).all(|(e, a)| matches_pattern(e, a));
        if !ok {
            panic!(
                "{} (before line {}): replies differ\n--- expected\n{}\n--- actual\n{}\n",
                self.name,
                self.line_no,
                expected.join("\n"),
                actual.iter().map(|l| format!("{l:?}")).collect::<Vec<_>>().join("\n")
            );
        }
    }
}

fn run_file(path: &Path) -> HashSet<Situation> {
    let text = std::fs::read_to_string(path).unwrap();
    let name = path.file_name().unwrap().to_string_lossy().to_string();
    let mut profile = ProfileName::Mock;
    let mut overrides = serde_json::json!({});
    for line in text.lines() {
        if let Some(p) = line.strip_prefix("# profile: ") {
            profile = ProfileName::from_id(p.trim()).unwrap_or_else(|| panic!("{name}: unknown profile {p}"));
        }
        if let Some(p) = line.strip_prefix("# policy: ") {
            overrides = serde_json::from_str(p).unwrap_or_else(|e| panic!("{name}: bad policy json: {e}"));
        }
    }
    let mut policy = serde_json::to_value(ServerPolicy::for_profile(profile)).unwrap();
    for (k, v) in overrides.as_object().unwrap() {
        assert!(policy.get(k).is_some() || k == "faults", "{name}: no policy field {k}");
        policy[k] = v.clone();
    }
    let policy: ServerPolicy = serde_json::from_value(policy).unwrap();
    let mut run = Run::new(&name, profile, policy);
    let mut in_server = false;
    for (i, line) in text.lines().enumerate() {
        run.line_no = i + 1;
        if let Some(c) = line.strip_prefix("C: ").or_else(|| (line == "C:").then_some("")) {
            if in_server {
                run.check();
                in_server = false;
            }
            run.pending_client.extend_from_slice(c.as_bytes());
            run.pending_client.extend_from_slice(b"\r\n");
        } else if let Some(c) = line.strip_prefix("C+ ") {
            // Raw bytes with escapes (\r \n \0), no CRLF added.
            if in_server {
                run.check();
                in_server = false;
            }
            run.pending_client.extend_from_slice(c.replace("\\r", "\r").replace("\\n", "\n").replace("\\0", "\0").as_bytes());
        } else if let Some(s) = line.strip_prefix("S: ") {
            if !in_server {
                run.flush_client();
            }
            in_server = true;
            run.expected.push(s.to_string());
        } else if line.starts_with("-- ") {
            run.check();
            in_server = false;
            let directive = Directive::parse(line).unwrap_or_else(|e| panic!("{name}:{}: {e}", i + 1));
            if let Err(e) = run.player.play(&directive) {
                panic!("{name}:{}: {e}", i + 1);
            }
            run.drain();
        }
    }
    run.check();
    run.seen
}

fn transcript_files() -> Vec<std::path::PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/transcripts");
    let mut files: Vec<_> = std::fs::read_dir(dir).unwrap().map(|e| e.unwrap().path()).filter(|p| p.extension().is_some_and(|e| e == "txt")).collect();
    files.sort();
    files
}

#[test]
fn every_transcript_replays_exactly() {
    let mut failures = Vec::new();
    for file in transcript_files() {
        if let Err(panic) = std::panic::catch_unwind(|| run_file(&file)) {
            let message = panic.downcast_ref::<String>().cloned().or_else(|| panic.downcast_ref::<&str>().map(|s| s.to_string())).unwrap_or_default();
            failures.push(message);
        }
    }
    assert!(failures.is_empty(), "{} transcript(s) failed:\n\n{}", failures.len(), failures.join("\n\n"));
}

#[test]
fn transcripts_exercise_every_situation() {
    let mut seen = HashSet::new();
    for file in transcript_files() {
        if let Ok(s) = std::panic::catch_unwind(|| run_file(&file)) {
            seen.extend(s);
        }
    }
    let missing: Vec<_> = Situation::ALL.iter().filter(|s| !seen.contains(s)).collect();
    assert!(missing.is_empty(), "no transcript makes the simulator reply in these situations: {missing:?}");
}

#[test]
fn pattern_matching_of_expected_lines() {
    assert!(matches_pattern("250 2.0.0 Ok: queued as {*}", "250 2.0.0 Ok: queued as 80637EC088"));
    assert!(!matches_pattern("250 2.0.0 Ok: queued as {*}", "250 2.0.0 Ok: queued as "));
    assert!(matches_pattern("220 smtp.gmail.com ESMTP {*} - gsmtp", "220 smtp.gmail.com ESMTP abc-def - gsmtp"));
    assert!(!matches_pattern("221 Bye", "221 Bye!"));
}
