//! The fuzz targets' bodies, one function per target. Each takes arbitrary bytes and runs them
//! through what the programs do with outside input; none may panic, loop or grow without bound.
//! `fuzz/` (cargo-fuzz, libFuzzer) calls them by the million; `tests/corpus.rs` replays the
//! minimised corpus and every input that once found a bug, on stable, in `cargo xtask test`.

use smtp_protocol::command::Verb;
use smtp_protocol::exercise::Exercise;
use smtp_protocol::fault::FaultRule;
use smtp_protocol::message::{findings, parse_message};
use smtp_protocol::narration::Narration;
use smtp_protocol::reply::ReplyParser;
use smtp_protocol::server::Step;
use smtp_protocol::{Peer, ProfileName, Server, ServerConfig, Timestamp};

/// A target: what it does with one input.
pub type Target = fn(&[u8]);

/// The targets, by name, for `cargo xtask fuzz` and the corpus replay.
pub const TARGETS: [(&str, Target); 9] = [
    ("server", server),
    ("auth", auth),
    ("message", message),
    ("from_page", from_page),
    ("from_watcher", from_watcher),
    ("mock_api", mock_api),
    ("exercise", exercise),
    ("saved", saved),
    ("real_reply", real_reply),
];

/// Runs `server` over `input`, split where `selector` says, and explains every event.
fn converse(config: ServerConfig, selector: u8, input: &[u8]) -> Server {
    let mut server = Server::new(config, Peer::default(), Timestamp(0));
    let mut narration = Narration::default();
    // Where the input is split is the selector's; at most 16 pieces, so that a long input is
    // not fed a byte at a time (the native property tests cover every split of short ones).
    let step = usize::from(selector >> 2).max(1).max(input.len() / 16 + 1);
    let (profile, policy) = (server.profile(), server.policy().clone());
    for (i, chunk) in input.chunks(step).enumerate() {
        let now = Timestamp(i as u64 * 1000);
        server.handle_input(chunk, now);
        if server.next_step() == Step::TlsHandshake {
            server.handle_tls_established(now, "TLSv1.3", "fuzz", true);
        }
        while server.poll_transmit().is_some() {}
        while let Some(event) = server.poll_event() {
            let _ = narration.read(&event, profile, &policy);
        }
        assert!(server.buffered_input() <= (1 << 20) + 12_290 + 2048, "input held without bound");
    }
    server.handle_timeout(Timestamp(u64::MAX / 2));
    server
}

/// Framing, parsing and the state machine, for every profile; the first byte picks the profile
/// and where the input is split.
pub fn server(data: &[u8]) {
    let Some((&selector, input)) = data.split_first() else { return };
    let profile = ProfileName::ALL[usize::from(selector) % ProfileName::ALL.len()];
    let server = converse(ServerConfig::new(profile), selector, input);
    for message in server.messages() {
        let view = parse_message(&message.raw);
        let _ = findings(&view, message);
    }
}

/// The AUTH path: PLAIN with an initial response, LOGIN's two answers, base64 of anything,
/// inside and outside TLS, with the accounts and TLS policy of each profile.
pub fn auth(data: &[u8]) {
    use base64::Engine;
    let Some((&selector, rest)) = data.split_first() else { return };
    let profile = ProfileName::ALL[usize::from(selector) % ProfileName::ALL.len()];
    let mut config = ServerConfig::new(profile);
    config.policy.auth_enabled = true;
    config.policy.tls_required_for_auth = selector & 0x10 != 0;
    let b64 = base64::engine::general_purpose::STANDARD;
    let mut input = b"EHLO fuzz.example\r\n".to_vec();
    if selector & 0x20 != 0 {
        input.extend_from_slice(b"STARTTLS\r\nEHLO fuzz.example\r\n");
    }
    let mut parts = rest.splitn(3, |&b| b == 0xff);
    let (first, second, third) = (parts.next().unwrap_or_default(), parts.next().unwrap_or_default(), parts.next().unwrap_or_default());
    if selector & 0x40 != 0 {
        input.extend_from_slice(b"AUTH PLAIN ");
        input.extend_from_slice(b64.encode(first).as_bytes());
        input.extend_from_slice(b"\r\n");
    } else {
        input.extend_from_slice(b"AUTH LOGIN\r\n");
        input.extend_from_slice(b64.encode(first).as_bytes());
        input.extend_from_slice(b"\r\n");
        input.extend_from_slice(b64.encode(second).as_bytes());
        input.extend_from_slice(b"\r\n");
    }
    // Raw bytes too: what is not base64 at all.
    input.extend_from_slice(third);
    input.extend_from_slice(b"\r\nMAIL FROM:<a@b.example>\r\n");
    let _ = converse(config, selector | 0xfc, &input);
    let _ = smtp_protocol::server::visible(&String::from_utf8_lossy(first));
    let _ = smtp_protocol::server::masked(&String::from_utf8_lossy(second));
}

/// The Mailbox's MIME parser and the envelope-versus-header findings, on any content.
pub fn message(data: &[u8]) {
    // One accepted message's envelope and trace, made once: the content is what varies.
    static STORED: std::sync::OnceLock<smtp_protocol::StoredMessage> = std::sync::OnceLock::new();
    let stored = STORED.get_or_init(|| {
        let mut server = Server::new(ServerConfig::new(ProfileName::Mock), Peer::default(), Timestamp(0));
        server.handle_input(b"EHLO f\r\nMAIL FROM:<a@b.example>\r\nRCPT TO:<c@d.example>\r\nRCPT TO:<e@f.example>\r\nDATA\r\nx\r\n.\r\n", Timestamp(0));
        server.messages().first().cloned().expect("the mock accepts this message")
    });
    let message = smtp_protocol::StoredMessage { raw: data.to_vec(), ..stored.clone() };
    let view = parse_message(data);
    let _ = findings(&view, &message);
    for index in 0..view.parts.len().min(8) {
        let _ = smtp_protocol::message::part_contents(data, index);
    }
}

/// What the page sends the bridge on `/bridge`: the JSON, then the target's host and port
/// against an allow-list.
pub fn from_page(data: &[u8]) {
    use smtp_protocol::relay::FromPage;
    let Ok(FromPage::Connect { host, port, .. }) = serde_json::from_slice::<FromPage>(data) else { return };
    let allowed = smtp_bridge::target::parse_allow_list("localhost:25\n*.example.org:587\nmx.example:*\n").expect("a valid list");
    for pattern in &allowed {
        let _ = pattern.permits(&host, port);
    }
    if let Ok(ip) = host.trim_matches(['[', ']']).parse::<std::net::IpAddr>() {
        let _ = smtp_bridge::target::restricted(ip);
    }
    let _ = smtp_bridge::target::parse_allow_list(&host);
}

/// What a watching page sends the mock's feed: the JSON, and a configuration it carries is
/// checked, then run.
pub fn from_watcher(data: &[u8]) {
    use smtp_protocol::watch::FromWatcher;
    if let Ok(FromWatcher::Configure { config, .. }) = serde_json::from_slice::<FromWatcher>(data)
        && config.policy.check().is_ok()
    {
        let _ = converse(*config, 0xff, b"EHLO f\r\nMAIL FROM:<a@b.example>\r\nRCPT TO:<c@d.example>\r\nDATA\r\nSubject: x\r\n\r\nx\r\n.\r\nQUIT\r\n");
    }
}

/// The mock API's bodies: a partial configuration merged over the current one (`PUT
/// /api/v1/config`), a list of fault rules (`PUT /api/v1/faults`), and a rule's text form.
pub fn mock_api(data: &[u8]) {
    let current = ServerConfig::new(ProfileName::Mock);
    if let Ok(config) = smtp_bridge::mock::api::merged_config(&current, data)
        && config.policy.check().is_ok()
    {
        let _ = converse(config, 0x40, b"EHLO f\r\nMAIL FROM:<a@b.example>\r\nRCPT TO:<c@d.example>\r\nRCPT TO:<c@d.example>\r\nDATA\r\nx\r\n.\r\nNOOP\r\n");
    }
    if let Ok(rules) = serde_json::from_slice::<Vec<FaultRule>>(data) {
        for rule in &rules {
            // What is printed reads back as the same rule.
            let text = rule.to_string();
            let again = FaultRule::parse(&text).unwrap_or_else(|e| panic!("{text:?} printed from a valid rule does not read back: {e}"));
            assert_eq!((&again.when, &again.then), (&rule.when, &rule.then), "{text}");
        }
    }
    if let Ok(text) = std::str::from_utf8(data)
        && let Ok(rule) = FaultRule::parse(text)
    {
        let mut config = ServerConfig::new(ProfileName::Postfix);
        config.policy.faults = vec![rule];
        let _ = converse(config, 0x20, b"EHLO f\r\nMAIL FROM:<a@b.example>\r\nRCPT TO:<root@playground.test>\r\nRCPT TO:<x@full.example>\r\nDATA\r\nSubject: x\r\n\r\nxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\r\n.\r\nNOOP\r\nVRFY root\r\nQUIT\r\n");
    }
}

/// An exercise file (a teacher's folder is read at run time): parsed, checked, and played with
/// its own solution.
pub fn exercise(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else { return };
    if let Ok(exercise) = Exercise::parse_checked("fuzz.json", text) {
        let _ = smtp_protocol::exercise::solve(&exercise);
    }
}

/// A saved session (localStorage) and a share link's fragment: read, checked, replayed.
pub fn saved(data: &[u8]) {
    use smtp_playground::model::saved;
    if let Ok(text) = std::str::from_utf8(data) {
        let _ = saved::decode(text);
        let _ = saved::from_fragment(text);
        let _ = saved::from_fragment(&format!("#session={text}"));
    }
}

/// A real server's replies, line by line, as the real-server mode reads them; each complete
/// reply is explained for a command.
pub fn real_reply(data: &[u8]) {
    let mut parser = ReplyParser::new();
    for (i, line) in data.split(|&b| b == b'\n').enumerate() {
        let line = String::from_utf8_lossy(line);
        if let Ok(Some(reply)) = parser.push_line(line.trim_end_matches('\r')) {
            let verb = Verb::ALL[i % Verb::ALL.len()];
            let _ = smtp_protocol::explain::explain_real(&reply, smtp_protocol::expected::Answering::Command(verb), Some("a@b.example"));
        }
    }
}
