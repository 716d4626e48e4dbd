//! What a folded explanation says: the headline comes from what the reply means here, and a
//! closing reply says the connection is gone.

use smtp_protocol::event::Event;
use smtp_protocol::explain::Explanation;
use smtp_protocol::narration::{Narration, Note};
use smtp_protocol::script::{Directive, Player};
use smtp_protocol::{ProfileName, ServerConfig, Timestamp};

/// Every reply's explanation for `input`, in order.
fn explanations(profile: ProfileName, change: impl FnOnce(&mut ServerConfig), input: &str) -> Vec<Explanation> {
    notes(profile, change, input)
        .into_iter()
        .filter_map(|(event, note)| match (event, note) {
            (Event::ReplySent { .. }, Some(Note::Reply(explanation))) => Some(*explanation),
            _ => None,
        })
        .collect()
}

#[test]
fn headlines_say_what_the_reply_means_here() {
    let greylisted = explanations(ProfileName::Postfix, |c| c.policy.greylisting = true, "EHLO a\r\nMAIL FROM:<a@b.example>\r\nRCPT TO:<bob@playground.test>\r\n");
    let last = greylisted.last().unwrap();
    assert_eq!(last.enhanced.as_ref().map(|e| e.code.as_str()), Some("4.7.1"));
    assert_eq!(last.headline, "Greylisted: try again later");
    assert!(!last.headline.contains("local error"));

    let full = explanations(
        ProfileName::Postfix,
        |c| c.policy.max_recipients = 1,
        "EHLO a\r\nMAIL FROM:<a@b.example>\r\nRCPT TO:<bob@playground.test>\r\nRCPT TO:<alice@playground.test>\r\n",
    );
    let last = full.last().unwrap();
    assert_eq!(last.enhanced.as_ref().map(|e| e.code.as_str()), Some("4.5.3"));
    assert_eq!(last.headline, "Too many recipients for one message");

    // Gmail's 530 before STARTTLS is RFC 3207's reply.
    let gmail = explanations(ProfileName::Gmail, |_| {}, "EHLO a\r\nAUTH LOGIN\r\n");
    let last = gmail.last().unwrap();
    assert_eq!(last.rfc.rfc, 3207, "{last:?}");
    assert!(last.headline.contains("STARTTLS"), "{}", last.headline);
}

#[test]
fn a_closing_reply_says_the_connection_is_gone() {
    for input in ["QUIT\r\n", "HELO a\r\nMAIL FROM:<a@b.example>\r\nRCPT TO:<x@elsewhere.example>\r\nDATA\r\nSubject: hi\r\n"] {
        let last = explanations(ProfileName::Postfix, |_| {}, input).pop().unwrap();
        assert_eq!(last.rfc.rfc, 5321);
        assert!(last.class_meaning.contains("closes the connection"), "{input}: {}", last.class_meaning);
        assert!(!last.class_meaning.contains("next command"));
    }
}

#[test]
fn mail_after_starttls_without_ehlo_says_the_session_was_reset() {
    let mut config = ServerConfig::new(ProfileName::Postfix);
    config.policy.helo_required = true;
    let mut player = Player::new(config.clone(), Timestamp(1_000_000));
    player.advance(1);
    player.send(b"EHLO a\r\nSTARTTLS\r\n");
    player.play(&Directive::Tls).unwrap();
    player.advance(1);
    player.send(b"MAIL FROM:<a@b.example>\r\n");
    let mut narration = Narration::default();
    let mut last = None;
    for event in &player.events {
        if let Some(Note::Reply(explanation)) = narration.read(event, config.profile, &config.policy) {
            last = Some(explanation);
        }
    }
    let last = last.unwrap();
    assert!(last.why.contains("STARTTLS reset the session"), "{}", last.why);
    assert_eq!((last.rfc.rfc, last.rfc.section), (3207, "4.2"));
}

/// Every note for `input`: command notes and reply explanations, as the console shows them.
fn notes(profile: ProfileName, change: impl FnOnce(&mut ServerConfig), input: &str) -> Vec<(Event, Option<Note>)> {
    let mut config = ServerConfig::new(profile);
    change(&mut config);
    let mut player = Player::new(config.clone(), Timestamp(1_000_000));
    player.advance(1);
    player.send(input.as_bytes());
    let mut narration = Narration::default();
    player
        .events
        .into_iter()
        .map(|event| {
            let note = narration.read(&event, config.profile, &config.policy);
            (event, note)
        })
        .collect()
}

#[test]
fn a_newline_inside_base64_is_shown_and_explained() {
    // `echo student | base64` is c3R1ZGVudAo=: the newline is part of the user name.
    let notes = notes(ProfileName::Postfix, |_| {}, "EHLO a\r\nAUTH LOGIN\r\nc3R1ZGVudAo=\r\nc2VjcmV0Cg==\r\n");
    let decoded: Vec<String> = notes
        .iter()
        .filter_map(|(event, _)| match event {
            Event::LineReceived { line: smtp_protocol::event::ClientLine::AuthResponse { decoded, .. }, .. } => decoded.clone(),
            _ => None,
        })
        .collect();
    assert_eq!(decoded, ["student⏎", "******⏎"]);
    let Some((_, Some(Note::Reply(failed)))) = notes.last() else { panic!() };
    assert!(failed.why.contains("echo -n student | base64"), "{}", failed.why);
}

#[test]
fn address_mistakes_say_what_to_type() {
    for (line, wanted) in [
        ("RCPT TO:Alice <alice@playground.test>", "A display name belongs in the From:/To: header"),
        ("MAIL FROM:[x@y.example]", "between < and >"),
        ("RCPT TO: alice@x.example>", "between < and >"),
    ] {
        let notes = notes(ProfileName::Mock, |_| {}, &format!("EHLO a\r\nMAIL FROM:<a@b.example>\r\n{line}\r\n"));
        let problem = notes.iter().rev().find_map(|(_, note)| match note {
            Some(Note::Unparsed { problem, .. }) => Some(problem.clone()),
            _ => None,
        });
        let problem = problem.unwrap_or_else(|| panic!("{line} is refused"));
        assert!(problem.contains(wanted), "{line}: {problem}");
    }
}

#[test]
fn an_e_mail_address_as_helo_name_is_tolerated_and_said() {
    let last = explanations(ProfileName::Postfix, |_| {}, "HELO zotrim.uka@students.example\r\n").pop().unwrap();
    assert!(last.tolerated.iter().any(|t| t.contains("not an e-mail address")), "{:?}", last.tolerated);
}

#[test]
fn greylisting_lets_a_logged_in_user_through() {
    let last = explanations(
        ProfileName::Postfix,
        |c| c.policy.greylisting = true,
        "EHLO a\r\nAUTH PLAIN AHN0dWRlbnQAc2VjcmV0\r\nMAIL FROM:<student@playground.test>\r\nRCPT TO:<bob@playground.test>\r\n",
    )
    .pop()
    .unwrap();
    assert_eq!(last.headline, "Recipient accepted");
}

#[test]
fn an_empty_line_is_explained_without_bdat() {
    let last = explanations(ProfileName::Postfix, |_| {}, "\r\n").pop().unwrap();
    assert_eq!(last.headline, "An empty line is not a command");
    assert!(!last.why.contains("BDAT"), "{}", last.why);
}

/// What a profile advertises in EHLO, it answers: DSN's parameters (Postfix, Exchange and the
/// mock advertise DSN), ETRN (Postfix), HELP (the mock).
#[test]
fn advertised_extensions_are_answered() {
    for profile in [ProfileName::Postfix, ProfileName::Exchange, ProfileName::Mock] {
        let replies = explanations(
            profile,
            |c| c.policy.open_relay = true,
            "EHLO a.example\r\nMAIL FROM:<a@b.example> RET=HDRS ENVID=lab-1\r\nRCPT TO:<bob@playground.test> NOTIFY=SUCCESS,DELAY ORCPT=rfc822;bob@playground.test\r\n",
        );
        let codes: Vec<&str> = replies.iter().map(|e| e.headline.as_str()).collect();
        assert_eq!(codes[2..], ["Sender accepted: the transaction has begun", "Recipient accepted"], "{profile:?}");
    }
    let etrn = explanations(ProfileName::Postfix, |_| {}, "EHLO a\r\nETRN playground.test\r\n").pop().unwrap();
    assert_ne!(etrn.headline, "Not a command this server knows");
    let help = explanations(ProfileName::Mock, |_| {}, "EHLO a\r\nHELP\r\n").pop().unwrap();
    assert_eq!(help.headline, "Help text for humans");
}
