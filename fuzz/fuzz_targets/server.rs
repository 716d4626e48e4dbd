//! Framing + parsing + state machine under arbitrary input, for every profile: the first byte
//! picks the profile and where the input is split, the rest is what the client sends.
#![no_main]

use libfuzzer_sys::fuzz_target;
use smtp_protocol::{Peer, ProfileName, Server, ServerConfig, Timestamp};

fuzz_target!(|data: &[u8]| {
    let Some((&selector, input)) = data.split_first() else { return };
    let profile = ProfileName::ALL[usize::from(selector) % ProfileName::ALL.len()];
    let mut server = Server::new(ServerConfig::new(profile), Peer::default(), Timestamp(0));
    let step = usize::from(selector >> 2).max(1);
    for (i, chunk) in input.chunks(step).enumerate() {
        server.handle_input(chunk, Timestamp(i as u64 * 1000));
        if server.next_step() == smtp_protocol::server::Step::TlsHandshake {
            server.handle_tls_established(Timestamp(i as u64 * 1000), "TLSv1.3", "fuzz", true);
        }
        while server.poll_transmit().is_some() {}
        while server.poll_event().is_some() {}
        assert!(server.buffered_input() <= 12_290 + 2048);
    }
    server.handle_timeout(Timestamp(u64::MAX / 2));
});
