//! The page-size floor of the simulator: what the page needs of `smtp-protocol` at the least (the
//! server with every profile and policy, the explanation of each event, the transcript, the MIME
//! parsing and envelope checks of the mailbox, the DNS lesson), exported to JS, with no user
//! interface and no deserialisation. `cargo xtask bench` builds it for wasm32 exactly as the page
//! is built and prints its gzip size beside the page's.
use smtp_protocol::narration::{Narration, Note};
use smtp_protocol::{Peer, ProfileName, Server, ServerConfig, Timestamp, Transcript, dns, message};
use wasm_bindgen::prelude::*;

/// Runs `input` through a fresh server of `profile` and returns the transcript with every
/// explanation, and what the mailbox would show.
#[wasm_bindgen]
pub fn run(profile: &str, input: &str) -> String {
    let profile = ProfileName::from_id(profile).unwrap_or(ProfileName::Postfix);
    let mut server = Server::new(ServerConfig::new(profile), Peer::default(), Timestamp::from_secs(1));
    server.handle_input(input.as_bytes(), Timestamp::from_secs(2));
    let mut out = String::new();
    let mut narration = Narration::default();
    while let Some(event) = server.poll_event() {
        Transcript::write_event(&event, &mut out);
        match narration.read(&event, profile, server.policy()) {
            Some(Note::Reply(explanation)) => {
                for text in [explanation.class_meaning, explanation.code_meaning, &explanation.why] {
                    out.push_str(text);
                }
                if let Some(enhanced) = &explanation.enhanced {
                    out.push_str(enhanced.detail);
                }
            }
            Some(Note::Unparsed { problem, .. }) => out.push_str(&problem),
            Some(Note::Command(note)) => {
                for text in [note.purpose, note.syntax, note.next] {
                    out.push_str(text);
                }
            }
            None => {}
        }
    }
    for stored in server.messages() {
        let view = message::parse_message(&stored.raw);
        out.push_str(view.subject.as_deref().unwrap_or_default());
        for finding in message::compare_with_envelope(&view, server.envelope()) {
            out.push_str(&finding.describe());
        }
    }
    out.push_str(&dns::dig("MX", input));
    out
}

fn main() {}
