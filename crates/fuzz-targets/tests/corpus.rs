//! Every input kept under `fuzz/seeds/TARGET` (a few dozen small inputs per target, chosen from
//! the minimised corpus) and `fuzz/regressions/TARGET` (each input that once found a bug) goes
//! through its target again, on stable: a fix that regresses fails `cargo xtask test` without
//! nightly or libFuzzer. The whole minimised corpus lives under `target/fuzz-corpus/` where
//! `cargo xtask fuzz` left one; it is replayed too when present.

use std::path::{Path, PathBuf};

fn fuzz_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fuzz")
}

fn files(dir: &Path) -> Vec<PathBuf> {
    let Ok(entries) = std::fs::read_dir(dir) else { return Vec::new() };
    let mut out: Vec<PathBuf> = entries.map(|e| e.expect("a readable folder").path()).filter(|p| p.is_file()).collect();
    out.sort();
    out
}

fn replay(name: &str, target: fn(&[u8]), inputs: &[PathBuf]) {
    for path in inputs {
        let data = std::fs::read(path).expect("a readable input");
        let outcome = std::panic::catch_unwind(|| target(&data));
        assert!(outcome.is_ok(), "{name}: {} fails again", path.display());
    }
}

#[test]
fn every_target_has_seeds_and_they_pass() {
    let seeds = fuzz_dir().join("seeds");
    for (name, target) in smtp_fuzz_targets::TARGETS {
        let inputs = files(&seeds.join(name));
        // A target whose seed folder went missing would replay nothing and pass unnoticed.
        assert!(inputs.len() >= 10, "fuzz/seeds/{name} holds {} inputs: every target keeps its seeds in git", inputs.len());
        replay(name, target, &inputs);
    }
    let known: Vec<&str> = smtp_fuzz_targets::TARGETS.iter().map(|(name, _)| *name).collect();
    for folder in files_and_dirs(&seeds) {
        assert!(known.contains(&folder.as_str()), "fuzz/seeds/{folder} names no target (TARGETS: {known:?})");
    }
}

fn files_and_dirs(dir: &Path) -> Vec<String> {
    std::fs::read_dir(dir).expect("fuzz/seeds exists").map(|e| e.expect("an entry").file_name().to_string_lossy().into_owned()).collect()
}

#[test]
fn every_past_finding_passes_its_target() {
    let regressions = fuzz_dir().join("regressions");
    let mut replayed = 0;
    for (name, target) in smtp_fuzz_targets::TARGETS {
        let inputs = files(&regressions.join(name));
        replay(name, target, &inputs);
        replayed += inputs.len();
    }
    // Two findings are kept today (mock_api's timeout, the narration's cut character).
    assert!(replayed >= 2, "fuzz/regressions lost its findings: {replayed} replayed");
    for folder in files_and_dirs(&regressions) {
        assert!(smtp_fuzz_targets::TARGETS.iter().any(|(name, _)| *name == folder), "fuzz/regressions/{folder} names no target");
    }
}

#[test]
fn the_minimised_corpus_passes_where_one_was_built() {
    let corpus = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target/fuzz-corpus");
    for (name, target) in smtp_fuzz_targets::TARGETS {
        replay(name, target, &files(&corpus.join(name)));
    }
}

#[test]
fn every_target_takes_empty_and_odd_input() {
    for (_, target) in smtp_fuzz_targets::TARGETS {
        for data in [&b""[..], b"\x00", b"\xff\xff\xff", b"{}", b"[]", b"\"rcpt#2 => 452\"", b"EHLO x\r\n"] {
            target(data);
        }
    }
}
