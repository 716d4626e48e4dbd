//! Every input kept under `fuzz/corpus/TARGET` (the minimised corpus) and
//! `fuzz/regressions/TARGET` (each input that once found a bug) goes through its target again,
//! on stable: a fix that regresses fails `cargo xtask test` without nightly or libFuzzer.

use std::path::Path;

#[test]
fn the_corpus_and_every_past_finding_pass_their_targets() {
    let fuzz = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fuzz");
    let mut replayed = 0;
    for (name, target) in smtp_fuzz_targets::TARGETS {
        for folder in ["corpus", "regressions"] {
            let Ok(entries) = std::fs::read_dir(fuzz.join(folder).join(name)) else { continue };
            for entry in entries {
                let path = entry.unwrap().path();
                let data = std::fs::read(&path).unwrap();
                let outcome = std::panic::catch_unwind(|| target(&data));
                assert!(outcome.is_ok(), "{name}: {} fails again", path.display());
                replayed += 1;
            }
        }
    }
    eprintln!("replayed {replayed} inputs");
    assert!(replayed > 0, "fuzz/corpus holds the minimised corpus of every target");
}

#[test]
fn every_target_takes_empty_and_odd_input() {
    for (_, target) in smtp_fuzz_targets::TARGETS {
        for data in [&b""[..], b"\x00", b"\xff\xff\xff", b"{}", b"[]", b"\"rcpt#2 => 452\"", b"EHLO x\r\n"] {
            target(data);
        }
    }
}
