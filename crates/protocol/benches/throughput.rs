//! Throughput of smtp-protocol beside stalwartlabs' smtp-proto, on the same input, in one run.
//! `cargo xtask bench` runs this and prints the comparison table.
//!
//! - `commands/*`: the command lines of realistic sessions (the course's lab sessions), parsed
//!   by each (`parse`), and parsed *and answered* by our simulated server (`answer`).
//! - `data/*`: DATA ingest of a 4 MiB message in 64 KiB reads (dot-unstuffing, end detection).

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use smtp_protocol::command::{Leniency, parse_command};
use smtp_protocol::framing::DataReader;
use smtp_protocol::{Peer, ProfileName, Server, ServerConfig, Timestamp};
use std::hint::black_box;

include!("common/corpus.rs");

fn commands(c: &mut Criterion) {
    let lines = corpus(200);
    let batch: Vec<u8> = lines.concat();
    let mut group = c.benchmark_group("commands");
    group.throughput(Throughput::Elements(lines.len() as u64));
    group.bench_function(BenchmarkId::new("parse", "smtp-protocol"), |b| {
        b.iter(|| {
            for line in &lines {
                let _ = black_box(parse_command(&line[..line.len() - 2], Leniency::TOLERANT));
            }
        })
    });
    group.bench_function(BenchmarkId::new("parse", "smtp-proto"), |b| {
        b.iter(|| {
            for line in &lines {
                let _ = black_box(smtp_proto::Request::parse(&mut line.iter()));
            }
        })
    });
    group.bench_function(BenchmarkId::new("answer", "smtp-protocol"), |b| {
        b.iter(|| {
            let mut config = ServerConfig::new(ProfileName::Mock);
            config.policy.bad_command_limit = u32::MAX;
            let mut server = Server::new(config, Peer::default(), Timestamp(0));
            server.handle_input(&batch, Timestamp(1));
            black_box(server.poll_transmit());
            while let Some(e) = server.poll_event() {
                black_box(e);
            }
        })
    });
    group.finish();
}

fn message(size: usize) -> Vec<u8> {
    let mut out = b"From: a@b.example\r\nTo: c@d.example\r\nSubject: bench\r\n\r\n".to_vec();
    let mut i = 0;
    while out.len() < size {
        if i % 50 == 0 {
            out.extend_from_slice(b"..a line that starts with a dot\r\n");
        } else {
            out.extend_from_slice(b"Lorem ipsum dolor sit amet, consectetur adipiscing elit, sed do eiusmod te\r\n");
        }
        i += 1;
    }
    out.extend_from_slice(b".\r\n");
    out
}

/// Both readers get the message in 64 KiB reads, as from a socket, and write into output
/// reserved to the message size. Ours reads them as the server does when nothing is buffered
/// before the text (`DataReader::read`, the caller's bytes); smtp-proto's from the same slices.
fn data(c: &mut Criterion) {
    const READ: usize = 64 * 1024;
    let input = message(4 << 20);
    let mut group = c.benchmark_group("data");
    group.throughput(Throughput::Bytes(input.len() as u64));
    group.bench_function(BenchmarkId::new("ingest", "smtp-protocol"), |b| {
        b.iter(|| {
            let mut reader = DataReader::with_capacity(u64::MAX, input.len() as u64);
            let mut done = false;
            // What a read leaves (an end marker cut by the read) goes before the next read.
            let mut left: Vec<u8> = Vec::new();
            for chunk in input.chunks(READ) {
                done = if left.is_empty() {
                    let (ended, used) = reader.read(chunk);
                    left.extend_from_slice(&chunk[used..]);
                    ended
                } else {
                    left.extend_from_slice(chunk);
                    let (ended, used) = reader.read(&left);
                    left.drain(..used);
                    ended
                };
            }
            assert!(done);
            black_box(reader.finish());
        })
    });
    group.bench_function(BenchmarkId::new("ingest", "smtp-proto"), |b| {
        b.iter(|| {
            let mut receiver = smtp_proto::request::receiver::DataReceiver::new();
            let mut out = Vec::with_capacity(input.len());
            let mut done = false;
            for chunk in input.chunks(READ) {
                done = receiver.ingest(&mut chunk.iter(), &mut out);
            }
            assert!(done);
            black_box(out);
        })
    });
    group.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(20).measurement_time(std::time::Duration::from_secs(3)).warm_up_time(std::time::Duration::from_secs(1));
    targets = commands, data
}
criterion_main!(benches);
