//! Parses (or parses and answers) the bench corpus once, for `cargo xtask bench`, which runs it
//! under `valgrind --tool=callgrind`: instruction counts do not move with the machine's load, so
//! the comparison with smtp-proto holds in a noisy run.
//! `parse_corpus ours|theirs|answer|answer-kept|events|none`: `answer-kept` answers and keeps the
//! session's events; `events` does the same and then copies them once, so that the difference is
//! what the events alone cost as owned values (the floor of any answer that records them).

use smtp_protocol::command::{Leniency, parse_command};
use smtp_protocol::{Event, Peer, ProfileName, Server, ServerConfig, Timestamp};
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
        Some("answer") => answer(&lines, |e| drop(black_box(e))),
        Some(mode @ ("answer-kept" | "events")) => {
            let mut kept = Vec::with_capacity(lines.len() * 2 + 2);
            answer(&lines, |e| kept.push(e));
            if mode == "events" {
                drop(black_box(kept.clone()));
            }
            black_box(kept);
        }
        Some("none") => {
            black_box(&lines);
        }
        _ => eprintln!("usage: parse_corpus ours|theirs|answer|answer-kept|events|none"),
    }
}

/// The mock server answers the corpus a command at a time, each event handed to `event`.
fn answer(lines: &[Vec<u8>], mut event: impl FnMut(Event)) {
    let mut config = ServerConfig::new(ProfileName::Mock);
    config.policy.bad_command_limit = u32::MAX;
    let mut server = Server::new(config, Peer::default(), Timestamp(0));
    for line in lines {
        server.handle_input(line, Timestamp(1));
        black_box(server.poll_transmit());
        while let Some(e) = server.poll_event() {
            event(e);
        }
    }
}
