//! The page-size floor of the simulator: what the console needs of `smtp-protocol` before it
//! answers (the server with every profile, policy, fault and delivery, the explanation of each
//! event, the transcript), exported to JS, with no user interface and no deserialisation. The
//! mailbox's MIME parsing and the DNS lesson are parts the page downloads later. `cargo xtask
//! bench` builds it for wasm32 exactly as the page is built and prints its gzip size beside the
//! first download's.
use smtp_protocol::narration::{Narration, Note};
use smtp_protocol::{Peer, ProfileName, Server, ServerConfig, Timestamp, Transcript};
use wasm_bindgen::prelude::*;

/// Runs `input` through a fresh server of `profile` and returns the transcript with every
/// explanation, and the queue ids of the messages accepted.
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
        out.push_str(&stored.queue_id);
    }
    out
}

fn main() {}
