//! Properties of the simulated server under arbitrary input: it never panics, answers the same
//! however the bytes are split (and whichever call takes the replies), and holds a bounded
//! amount of input.

use proptest::prelude::*;
use smtp_protocol::{Peer, ProfileName, Server, ServerConfig, Timestamp};

fn run(profile: ProfileName, chunks: &[Vec<u8>]) -> (Vec<u8>, usize) {
    let mut config = ServerConfig::new(profile);
    config.policy.max_message_size = 4096;
    let mut server = Server::new(config, Peer::default(), Timestamp(1_000));
    let mut out = Vec::new();
    let mut peak = 0;
    // Every other read's replies come through the buffer-trading call, with one buffer kept
    // throughout (as the mock's SMTP loop does): the bytes must be the same either way.
    let mut traded = Vec::new();
    for (i, chunk) in chunks.iter().enumerate() {
        server.handle_input(chunk, Timestamp(1_000 + i as u64));
        peak = peak.max(server.buffered_input());
        if i % 2 == 1 {
            while server.poll_transmit_into(&mut traded) {
                out.extend_from_slice(&traded);
            }
        }
        while let Some(bytes) = server.poll_transmit() {
            out.extend_from_slice(&bytes);
        }
        while server.poll_event().is_some() {}
    }
    (out, peak)
}

/// Input that reaches deep states: real commands mixed with noise.
fn session_bytes() -> impl Strategy<Value = Vec<u8>> {
    let pieces = prop_oneof![
        Just(b"EHLO a.example\r\n".to_vec()),
        Just(b"HELO a.example\r\n".to_vec()),
        Just(b"MAIL FROM:<a@b.example>\r\n".to_vec()),
        Just(b"RCPT TO:<bob@playground.test>\r\n".to_vec()),
        Just(b"RCPT TO:<x@elsewhere.example>\r\n".to_vec()),
        Just(b"DATA\r\n".to_vec()),
        Just(b"BDAT 7\r\n".to_vec()),
        Just(b"BDAT 3 LAST\r\n".to_vec()),
        Just(b"AUTH LOGIN\r\n".to_vec()),
        Just(b"AUTH PLAIN\r\n".to_vec()),
        Just(b"STARTTLS\r\n".to_vec()),
        Just(b"RSET\r\n".to_vec()),
        Just(b".\r\n".to_vec()),
        Just(b"..x\r\n".to_vec()),
        Just(b"\r\n".to_vec()),
        Just(b"\n.\n".to_vec()),
        Just(b"c3R1ZGVudA==\r\n".to_vec()),
        proptest::collection::vec(any::<u8>(), 0..64),
        proptest::collection::vec(prop_oneof![Just(b'A'), Just(b'\r'), Just(b'\n'), Just(b'.'), Just(0u8), Just(0xffu8)], 0..700),
    ];
    proptest::collection::vec(pieces, 0..40).prop_map(|v| v.concat())
}

fn split(bytes: &[u8], cuts: &[usize]) -> Vec<Vec<u8>> {
    let mut points: Vec<usize> = cuts.iter().map(|c| c % (bytes.len() + 1)).collect();
    points.sort_unstable();
    let mut out = Vec::new();
    let mut last = 0;
    for p in points {
        out.push(bytes[last..p].to_vec());
        last = p;
    }
    out.push(bytes[last..].to_vec());
    out
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 400, ..ProptestConfig::default() })]

    #[test]
    fn chunking_never_changes_the_replies(bytes in session_bytes(), cuts in proptest::collection::vec(any::<usize>(), 0..12)) {
        for profile in ProfileName::ALL {
            let (whole, _) = run(profile, std::slice::from_ref(&bytes));
            let (pieces, peak) = run(profile, &split(&bytes, &cuts));
            prop_assert_eq!(&whole, &pieces, "{:?}", profile);
            // At most one command line (Postfix: 2048) or AUTH line (12288) is ever held.
            prop_assert!(peak <= 12_300 + 2048, "held {} octets", peak);
        }
    }

    #[test]
    fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..4096)) {
        for profile in ProfileName::ALL {
            let (replies, peak) = run(profile, std::slice::from_ref(&bytes));
            // At most one command line (Postfix: 2048) or AUTH line (12288) is ever held.
            prop_assert!(peak <= 12_300 + 2048, "{:?} held {} octets", profile, peak);
            // Every session opens with a greeting, whatever follows it.
            prop_assert!(replies.starts_with(b"220 "), "{:?}: {:?}", profile, String::from_utf8_lossy(&replies[..replies.len().min(80)]));
            // Whatever the bytes, what goes out is whole reply lines (RFC 5321 4.2: code, then
            // a space or a hyphen, each line ended by CRLF).
            prop_assert!(replies.ends_with(b"\r\n"), "{:?}: replies end with CRLF", profile);
            for line in replies.split(|b| *b == b'\n').filter(|l| !l.is_empty()) {
                let ok = line.len() >= 5 && line[..3].iter().all(u8::is_ascii_digit) && matches!(line[3], b' ' | b'-') && line.ends_with(b"\r");
                prop_assert!(ok, "{:?}: not a reply line: {:?}", profile, String::from_utf8_lossy(line));
            }
        }
    }
}

#[test]
fn a_pipelined_batch_of_ten_thousand_commands_is_answered_in_order() {
    let mut config = ServerConfig::new(ProfileName::Mock);
    config.policy.bad_command_limit = u32::MAX;
    let mut server = Server::new(config, Peer::default(), Timestamp(0));
    let mut batch = b"EHLO a.example\r\n".to_vec();
    for i in 0..10_000 {
        batch.extend_from_slice(if i % 2 == 0 { b"NOOP\r\n" } else { b"RSET\r\n" });
    }
    server.handle_input(&batch, Timestamp(1));
    let out = String::from_utf8(server.poll_transmit().unwrap()).unwrap();
    let replies: Vec<&str> = out.lines().filter(|l| l.starts_with("250 ")).collect();
    assert_eq!(replies.len(), 10_001);
    assert_eq!(replies[1], "250 2.0.0 OK");
    assert_eq!(replies[2], "250 2.0.0 Reset OK");
    assert_eq!(server.buffered_input(), 0);
}

#[test]
fn a_flood_of_long_garbage_is_held_in_bounded_memory() {
    let mut server = Server::new(ServerConfig::new(ProfileName::Postfix), Peer::default(), Timestamp(0));
    for _ in 0..1000 {
        server.handle_input(&[b'x'; 10_000], Timestamp(1));
        assert!(server.buffered_input() <= 2048, "held {}", server.buffered_input());
    }
    server.handle_input(b"\r\nNOOP\r\n", Timestamp(2));
    let out = String::from_utf8(server.poll_transmit().unwrap()).unwrap();
    assert!(out.ends_with("500 5.5.2 Error: line too long\r\n250 2.0.0 Ok\r\n"), "{out}");
}

#[test]
fn replies_taken_into_a_kept_buffer_are_each_read_once() {
    let mut server = Server::new(ServerConfig::new(ProfileName::Mock), Peer::default(), Timestamp(0));
    let mut out = b"left over from before".to_vec();
    assert!(server.poll_transmit_into(&mut out));
    assert!(out.starts_with(b"220 "), "{}", String::from_utf8_lossy(&out));
    assert!(!server.poll_transmit_into(&mut out), "the greeting came twice");
    assert!(out.is_empty());
    server.handle_input(b"NOOP\r\nNOOP\r\n", Timestamp(1));
    assert!(server.poll_transmit_into(&mut out));
    assert_eq!(out, b"250 2.0.0 OK\r\n250 2.0.0 OK\r\n");
    assert_eq!(server.poll_transmit(), None);
}

/// The 250 after DATA names what the profile's words name: Exchange the message's Message-ID
/// (or one made from the queue id when it has none), BDAT's last chunk the octets.
#[test]
fn the_queued_reply_names_what_its_words_name() {
    let queued = |profile: ProfileName, content: &str| {
        let mut server = Server::new(ServerConfig::new(profile), Peer::default(), Timestamp(0));
        let input = format!("EHLO a.example\r\nMAIL FROM:<a@b.example>\r\nRCPT TO:<bob@playground.test>\r\nDATA\r\n{content}.\r\n");
        server.handle_input(input.as_bytes(), Timestamp(1));
        let wire = String::from_utf8(server.poll_transmit().unwrap()).unwrap();
        wire.lines().last().unwrap().to_string()
    };
    let with_id = queued(ProfileName::Exchange, "Message-ID: <abc.123@b.example>\r\nSubject: hi\r\n\r\nhi\r\n");
    assert!(with_id.starts_with("250 2.6.0 <abc.123@b.example> [InternalId="), "{with_id}");
    let without = queued(ProfileName::Exchange, "Subject: hi\r\n\r\nhi\r\n");
    let made = without.strip_prefix("250 2.6.0 <").and_then(|rest| rest.split_once('>')).map(|(id, _)| id.to_string()).unwrap();
    assert!(made.ends_with("@mail.contoso.example") && made.len() > "@mail.contoso.example".len(), "{without}");

    let mut server = Server::new(ServerConfig::new(ProfileName::Postfix), Peer::default(), Timestamp(0));
    server.handle_input(b"EHLO a.example\r\nMAIL FROM:<a@b.example>\r\nRCPT TO:<bob@playground.test>\r\nBDAT 4 LAST\r\nhi\r\n", Timestamp(1));
    let wire = String::from_utf8(server.poll_transmit().unwrap()).unwrap();
    assert!(wire.lines().last().unwrap().starts_with("250 2.0.0 Ok: 4 bytes queued as "), "{wire}");
}
