//! Fault rules in the simulator: determinism and what the record says about them. (Each rule
//! kind's replies are pinned by the `faults-*.txt` transcripts.)

use smtp_protocol::event::Event;
use smtp_protocol::fault::FaultRule;
use smtp_protocol::narration::{Narration, Note};
use smtp_protocol::script::{Directive, Player};
use smtp_protocol::{Peer, ProfileName, Server, ServerConfig, ServerPolicy, Timestamp};

fn config(rules: &[&str]) -> ServerConfig {
    let mut config = ServerConfig::new(ProfileName::Postfix);
    config.policy.faults = rules.iter().map(|r| FaultRule::parse(r).unwrap()).collect();
    config.policy.check().unwrap();
    config
}

const RULES: [&str; 5] = ["greeting => delay 1500", "rcpt#2 => 452 4.2.2 Mailbox full", "rcpt => greylist 5", "message => 250 2.0.0 Taken", "data after 40 octets => close"];

/// The session's bytes and its record as JSON, for input sent at fixed times.
fn run(rules: &[&str]) -> (Vec<u8>, String) {
    let mut player = Player::new(config(rules), Timestamp(1_000));
    // The held greeting (1.5 s) is due: the server's timers run.
    player.play(&Directive::Wait(2)).unwrap();
    let input = [
        "EHLO c.example\r\n",
        "MAIL FROM:<a@b.example>\r\n",
        "RCPT TO:<bob@playground.test>\r\n",
        "RCPT TO:<carol@playground.test>\r\n",
        "DATA\r\n",
        "Subject: x\r\n\r\nhi\r\n.\r\n",
    ];
    for line in input {
        player.advance(10);
        player.send(line.as_bytes());
    }
    player.advance(20);
    player.send(b"RCPT TO:<bob@playground.test>\r\n");
    (player.take_wire(), serde_json::to_string(&player.events).unwrap())
}

#[test]
fn the_same_rules_and_input_give_the_same_session_byte_for_byte() {
    let (wire, events) = run(&RULES);
    assert_eq!(run(&RULES), (wire.clone(), events.clone()));
    let text = String::from_utf8(wire).unwrap();
    assert!(text.starts_with("220 vm ESMTP Postfix\r\n"), "the held greeting came: {text}");
    assert!(text.contains("451 4.7.1 <bob@playground.test>"), "greylisted first: {text}");
    assert!(text.contains("452 4.2.2 Mailbox full"), "the second RCPT: {text}");
    assert!(events.contains("\"fault\""), "the record names the rules");
    // Without rules the same input is another session.
    assert_ne!(run(&[]).0, text.into_bytes());
}

#[test]
fn an_injected_reply_is_explained_and_names_its_rule() {
    let mut player = Player::new(config(&["rcpt#2 => 452 4.2.2 Mailbox full"]), Timestamp(0));
    player.send(b"HELO c\r\nMAIL FROM:<a@b.example>\r\nRCPT TO:<bob@playground.test>\r\nRCPT TO:<carol@playground.test>\r\nDATA\r\n");
    let mut narration = Narration::default();
    let policy = ServerPolicy::for_profile(ProfileName::Postfix);
    let mut explained = Vec::new();
    for event in player.events.clone() {
        if let (Event::ReplySent { reply, fault, envelope, .. }, Some(Note::Reply(explanation))) = (&event, narration.read(&event, ProfileName::Postfix, &policy)) {
            explained.push((reply.code, fault.is_some(), explanation.fault.clone(), explanation.why.clone(), envelope.recipients.len()));
        }
    }
    let (code, marked, fault, why, _) = &explained[4];
    assert_eq!((*code, *marked), (452, true));
    assert!(fault.as_deref().unwrap().contains("fault rule 1 (`rcpt#2 => 452 4.2.2 Mailbox full`)"), "{fault:?}");
    assert!(why.contains("Insufficient system storage") || why.contains("452"), "explained like any reply: {why}");
    let (code, _, _, _, recipients) = &explained[5];
    assert_eq!((*code, *recipients), (354, 1), "DATA goes on with the one accepted recipient");
}

#[test]
fn rules_across_sessions_count_every_connection_of_a_shared_server() {
    let counts = std::sync::Arc::new(smtp_protocol::fault::HostCounts::default());
    let config = config(&["greeting#2 across sessions => 421 4.3.2 Try again later"]);
    let greet = |counts| {
        let mut s = Server::with_shared_counts(config.clone(), Peer::default(), Timestamp(0), counts);
        String::from_utf8(s.poll_transmit().unwrap()).unwrap()
    };
    assert!(greet(counts.clone()).starts_with("220 "));
    assert!(greet(counts.clone()).starts_with("421 4.3.2 Try again later"));
    assert!(greet(counts).starts_with("220 "));
}

/// Found by the page's monkey test: a command line whose fifth byte falls inside a character
/// made the narration slice a string in the middle of it.
#[test]
fn a_line_whose_fifth_byte_is_inside_a_character_is_explained() {
    let mut player = Player::new(ServerConfig::new(ProfileName::Postfix), Timestamp(0));
    player.send("ȥçǋǝƶ\r\n日本語 x\r\n".as_bytes());
    let mut narration = Narration::default();
    let policy = ServerPolicy::for_profile(ProfileName::Postfix);
    let mut notes = 0;
    for event in player.events.clone() {
        notes += usize::from(narration.read(&event, ProfileName::Postfix, &policy).is_some());
    }
    assert!(notes >= 4, "both lines and their replies are explained");
}
