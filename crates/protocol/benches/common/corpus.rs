// The command lines of a realistic session (the course's lab sessions), shared by
// `benches/throughput.rs` (criterion) and `examples/parse_corpus.rs` (instruction counts).

const SESSION: &[&str] = &[
    "EHLO student.example",
    "MAIL FROM:<student@playground.test> SIZE=1200 BODY=8BITMIME",
    "RCPT TO:<alice@playground.test>",
    "RCPT TO:<bob@playground.test> NOTIFY=SUCCESS,FAILURE",
    "RCPT TO:<carol@playground.test>",
    "RSET",
    "MAIL FROM:<>",
    "RCPT TO:<postmaster@playground.test>",
    "NOOP",
    "VRFY root",
    "HELP",
    "RSET",
];

/// The session `repeats` times, each line with its CRLF.
fn corpus(repeats: usize) -> Vec<Vec<u8>> {
    (0..repeats).flat_map(|_| SESSION.iter().map(|l| format!("{l}\r\n").into_bytes())).collect()
}
