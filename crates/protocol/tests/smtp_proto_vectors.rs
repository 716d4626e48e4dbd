//! smtp-proto's own error tests, run through our parser: every line it rejects, we reject too,
//! and we say where and what was expected.

use smtp_protocol::command::{Leniency, parse_command};

#[test]
fn every_line_smtp_proto_rejects_is_rejected_with_a_position() {
    let vectors = include_str!("smtp-proto-error-vectors.txt");
    let mut accepted = Vec::new();
    let mut count = 0;
    for line in vectors.lines().filter(|l| !l.starts_with('#')) {
        count += 1;
        for leniency in [Leniency::STRICT, Leniency::TOLERANT] {
            match parse_command(line.as_bytes(), leniency) {
                Ok(parsed) => accepted.push(format!("{line:?} ({leniency:?}) -> {:?}", parsed.command)),
                Err(error) => {
                    assert!(error.column <= line.len(), "{line:?}: column {} past the end", error.column);
                    assert!(!error.describe().is_empty());
                }
            }
        }
    }
    assert!(count > 70, "only {count} vectors read");
    assert!(accepted.is_empty(), "accepted lines that smtp-proto rejects:\n{}", accepted.join("\n"));
}
