//! Parses (or parses and answers) the bench corpus once, for `cargo xtask bench`, which runs it
//! under `valgrind --tool=callgrind`: instruction counts do not move with the machine's load, so
//! the comparison with smtp-proto holds in a noisy run. `parse_corpus ours|theirs|answer|none`.

use smtp_protocol::command::{Leniency, parse_command};
use smtp_protocol::{Peer, ProfileName, Server, ServerConfig, Timestamp};
use std::hint::black_box;

include!("../benches/common/corpus.rs");

fn main() {
    let lines = corpus(2000);
    // The count the instruction totals are divided by.
    println!("{}", lines.len());
    match std::env::args().nth(1).as_deref() {
        Some("ours") => {
            for line in &lines {
                let _ = black_box(parse_command(&line[..line.len() - 2], Leniency::TOLERANT));
            }
        }
        Some("theirs") => {
            for line in &lines {
                let _ = black_box(smtp_proto::Request::parse(&mut line.iter()));
            }
        }
        Some("answer") => {
            let mut config = ServerConfig::new(ProfileName::Mock);
            config.policy.bad_command_limit = u32::MAX;
            let mut server = Server::new(config, Peer::default(), Timestamp(0));
            for line in &lines {
                server.handle_input(line, Timestamp(1));
                black_box(server.poll_transmit());
                while let Some(e) = server.poll_event() {
                    black_box(e);
                }
            }
        }
        Some("none") => {
            black_box(&lines);
        }
        _ => eprintln!("usage: parse_corpus ours|theirs|answer|none"),
    }
}
