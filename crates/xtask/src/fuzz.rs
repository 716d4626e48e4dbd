//! `cargo xtask fuzz [--runs N] [--time SECONDS] [TARGET...]`: installs cargo-fuzz from
//! crates.io, runs each target (all by default) for N executions (10 million by default) or
//! SECONDS, keeps what it finds in `fuzz/regressions/TARGET/`, minimises the corpus into
//! `target/fuzz-corpus/TARGET/` (started from the committed seeds, `fuzz/seeds/TARGET/`), and
//! writes the figures into docs/robustness.md.
//!
//! libFuzzer's instrumentation needs a nightly compiler. With a nightly toolchain installed
//! (`rustup toolchain install nightly`) it is used; where none can be fetched (this project's
//! machines reach only package registries), the stable compiler is told to accept the nightly
//! flags (`RUSTC_BOOTSTRAP=1`), which builds the same instrumented binary.

use crate::env;
use anyhow::{Context, Result, bail};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

const TARGETS: [&str; 9] = ["server", "auth", "message", "from_page", "from_watcher", "mock_api", "exercise", "saved", "real_reply"];
const DEFAULT_RUNS: u64 = 10_000_000;
/// Inputs longer than this are not tried: every limit in the code under test is smaller or is
/// tested by the native tests with exact sizes.
const MAX_LEN: u32 = 4096;

struct Outcome {
    target: &'static str,
    runs: u64,
    seconds: f64,
    corpus: usize,
    found: Option<String>,
}

pub(crate) fn run(args: &[String]) -> Result<()> {
    let mut runs = DEFAULT_RUNS;
    let mut time: Option<u64> = None;
    let mut chosen: Vec<&'static str> = Vec::new();
    let mut rest = args.iter();
    while let Some(arg) = rest.next() {
        match arg.as_str() {
            "--runs" => runs = rest.next().and_then(|n| n.parse().ok()).context("--runs takes a number of executions, e.g. --runs 10000000")?,
            "--time" => time = Some(rest.next().and_then(|n| n.parse().ok()).context("--time takes seconds, e.g. --time 600")?),
            name => match TARGETS.iter().find(|t| **t == name) {
                Some(target) => chosen.push(target),
                None => bail!("fuzz: `{name}` is no target; the targets are {}", TARGETS.join(", ")),
            },
        }
    }
    if chosen.is_empty() {
        chosen = TARGETS.to_vec();
    }
    let cargo_fuzz = ensure_cargo_fuzz()?;
    let nightly = has_nightly();
    if !nightly {
        println!("xtask: no nightly toolchain here; building the instrumented targets with the stable compiler (RUSTC_BOOTSTRAP=1)");
    }
    let root = env::root();
    let mut outcomes = Vec::new();
    for target in chosen {
        let outcome = fuzz_one(&cargo_fuzz, nightly, &root, target, runs, time)?;
        println!(
            "xtask: {target}: {} executions in {:.0} s, {} corpus inputs, {}",
            outcome.runs,
            outcome.seconds,
            outcome.corpus,
            outcome.found.as_deref().unwrap_or("nothing found")
        );
        outcomes.push(outcome);
    }
    report(&root, &outcomes)?;
    if let Some(found) = outcomes.iter().find(|o| o.found.is_some()) {
        bail!("{}: {} (the input is kept in fuzz/regressions/{0}/)", found.target, found.found.as_deref().unwrap_or_default());
    }
    Ok(())
}

fn ensure_cargo_fuzz() -> Result<PathBuf> {
    let installed = Command::new(env::cargo_home().join("bin/cargo-fuzz")).arg("--version").output().is_ok_and(|o| o.status.success());
    if !installed {
        println!("xtask: installing cargo-fuzz from crates.io");
        env::run(env::cargo().args(["install", "cargo-fuzz", "--locked"]))?;
    }
    Ok(env::cargo_home().join("bin/cargo-fuzz"))
}

fn has_nightly() -> bool {
    Command::new("rustup").args(["toolchain", "list"]).output().is_ok_and(|o| String::from_utf8_lossy(&o.stdout).lines().any(|l| l.starts_with("nightly")))
}

fn fuzz_command(cargo_fuzz: &Path, nightly: bool, root: &Path) -> Command {
    let mut command = if nightly {
        let mut c = Command::new("cargo");
        c.args(["+nightly", "fuzz"]);
        c
    } else {
        let mut c = Command::new(cargo_fuzz);
        c.arg("fuzz");
        c.env("RUSTC_BOOTSTRAP", "1");
        c
    };
    command.current_dir(root);
    command
}

fn count_files(dir: &Path) -> usize {
    std::fs::read_dir(dir).map(|entries| entries.filter(|e| e.as_ref().is_ok_and(|e| e.path().is_file())).count()).unwrap_or(0)
}

fn fuzz_one(cargo_fuzz: &Path, nightly: bool, root: &Path, target: &'static str, runs: u64, time: Option<u64>) -> Result<Outcome> {
    let corpus = env::target_dir().join("fuzz-corpus").join(target);
    let regressions = root.join("fuzz/regressions").join(target);
    let artifacts = root.join("fuzz/artifacts").join(target);
    for dir in [&corpus, &regressions, &artifacts] {
        std::fs::create_dir_all(dir)?;
    }
    seed(root, target, &corpus)?;
    // The run's working corpus: the kept one plus what this run finds, minimised at the end.
    let work = env::target_dir().join("fuzz-work").join(target);
    let _ = std::fs::remove_dir_all(&work);
    std::fs::create_dir_all(&work)?;
    let mut limits = vec![format!("-max_len={MAX_LEN}"), "-rss_limit_mb=2048".into(), "-timeout=10".into(), "-print_final_stats=1".into()];
    limits.push(format!("-artifact_prefix={}/", artifacts.display()));
    match time {
        Some(seconds) => limits.push(format!("-max_total_time={seconds}")),
        None => limits.push(format!("-runs={runs}")),
    }
    println!("xtask: fuzzing {target} ({})", time.map(|s| format!("{s} s")).unwrap_or_else(|| format!("{runs} executions")));
    let started = Instant::now();
    // libFuzzer reports on stderr as it goes: into a file, to follow with `tail -f`.
    let log_path = env::target_dir().join(format!("fuzz-{target}.log"));
    println!("xtask: follow it with: tail -f {}", log_path.display());
    let status = fuzz_command(cargo_fuzz, nightly, root)
        .args(["run", "--release", "--debug-assertions", "--sanitizer", "none", target])
        .arg(&work)
        .arg(&corpus)
        .arg("--")
        .args(&limits)
        .stdout(std::process::Stdio::null())
        .stderr(std::fs::File::create(&log_path)?)
        .status()
        .context("cargo fuzz could not be started")?;
    let log = std::fs::read_to_string(&log_path).unwrap_or_default();
    // libFuzzer's own time ("Done N runs in S second(s)"), without the build before it.
    let seconds = log
        .lines()
        .find_map(|l| l.strip_prefix("Done ").and_then(|rest| rest.split(" in ").nth(1)).and_then(|t| t.split_whitespace().next()).and_then(|t| t.parse::<f64>().ok()))
        .unwrap_or_else(|| started.elapsed().as_secs_f64());
    let executed = log.lines().find_map(|l| l.strip_prefix("stat::number_of_executed_units: ")).and_then(|n| n.trim().parse().ok()).unwrap_or(0);
    let found = if status.success() {
        None
    } else {
        // Keep every input that found something, as a regression test.
        for entry in std::fs::read_dir(&artifacts)? {
            let path = entry?.path();
            if let Some(name) = path.file_name() {
                std::fs::copy(&path, regressions.join(name))?;
            }
        }
        let what = log
            .lines()
            .find(|l| l.contains("panicked at") || l.contains("ERROR: libFuzzer") || l.contains("ERROR: AddressSanitizer"))
            .unwrap_or("the run failed")
            .trim()
            .to_string();
        Some(what)
    };
    if found.is_none() {
        // Minimise what this run and the kept corpus cover into the kept corpus.
        let merged = env::target_dir().join("fuzz-merged").join(target);
        let _ = std::fs::remove_dir_all(&merged);
        std::fs::create_dir_all(&merged)?;
        let status = fuzz_command(cargo_fuzz, nightly, root)
            .args(["run", "--release", "--debug-assertions", "--sanitizer", "none", target])
            .arg(&merged)
            .arg(&corpus)
            .arg(&work)
            .args(["--", "-merge=1", &format!("-max_len={MAX_LEN}")])
            .output()?;
        if status.status.success() && count_files(&merged) > 0 {
            std::fs::remove_dir_all(&corpus)?;
            std::fs::create_dir_all(&corpus)?;
            for entry in std::fs::read_dir(&merged)? {
                let path = entry?.path();
                std::fs::copy(&path, corpus.join(path.file_name().expect("a file")))?;
            }
        }
    }
    Ok(Outcome { target, runs: executed, seconds, corpus: count_files(&corpus), found })
}

/// Starting inputs for a target whose corpus is empty: the committed seeds, and inputs from the
/// project's own data.
fn seed(root: &Path, target: &str, corpus: &Path) -> Result<()> {
    if count_files(corpus) > 0 {
        return Ok(());
    }
    if let Ok(entries) = std::fs::read_dir(root.join("fuzz/seeds").join(target)) {
        for entry in entries {
            let path = entry?.path();
            std::fs::copy(&path, corpus.join(path.file_name().expect("a file")))?;
        }
    }
    let mut seeds: Vec<Vec<u8>> = Vec::new();
    let transcripts = root.join("crates/protocol/tests/transcripts");
    let read = |prefix: &str| -> Result<Vec<Vec<u8>>> {
        let mut out = Vec::new();
        for entry in std::fs::read_dir(&transcripts)? {
            let text = std::fs::read_to_string(entry?.path())?;
            let lines: Vec<&str> = text.lines().filter_map(|l| l.strip_prefix(prefix)).collect();
            out.push(lines.join("\r\n").into_bytes());
        }
        Ok(out)
    };
    match target {
        "server" => seeds.extend(read("C: ")?.into_iter().map(|s| [&[0x41u8][..], &s, b"\r\n"].concat())),
        "auth" => seeds.extend([b"\x40student\x00student\x00secret".to_vec(), b"\x00student\xffsecret\xff*".to_vec(), b"\x70\x00\x00\xff\xff=\r\n".to_vec()]),
        "message" => seeds.extend([
            b"From: a@b.example\r\nTo: c@d.example\r\nSubject: x\r\n\r\nbody\r\n".to_vec(),
            b"MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: base64\r\n\r\naGk=\r\n--b--\r\n".to_vec(),
        ]),
        "from_page" => seeds.extend([br#"{"type":"connect","v":1,"host":"localhost","port":25,"security":"plain"}"#.to_vec(), br#"{"type":"close"}"#.to_vec()]),
        "from_watcher" => seeds.extend([br#"{"type":"delete","queue_id":"4XyZ"}"#.to_vec(), br#"{"type":"unlock","token":"t"}"#.to_vec(), br#"{"type":"configure","v":1,"config":{"profile":"postfix","policy":{},"seed":1}}"#.to_vec()]),
        "mock_api" => seeds.extend([
            br#"{"policy":{"greylisting":true,"faults":["rcpt#2 => 452 4.2.2 Mailbox full"]}}"#.to_vec(),
            br#"["greeting => 421 4.3.2 Try again later","mail => delay 2000"]"#.to_vec(),
            b"data after 10 octets => close".to_vec(),
            b"rcpt *@full.example => 552 5.2.2 Mailbox full".to_vec(),
        ]),
        "exercise" => {
            for entry in std::fs::read_dir(root.join("exercises"))? {
                seeds.push(std::fs::read(entry?.path())?);
            }
        }
        "saved" => seeds.extend([br#"{"version":1,"log":[]}"#.to_vec(), b"#session=eyJ2ZXJzaW9uIjoxLCJsb2ciOltdfQ".to_vec()]),
        "real_reply" => seeds.extend(read("S: ")?),
        _ => {}
    }
    for (i, seed) in seeds.iter().enumerate() {
        std::fs::write(corpus.join(format!("seed-{i}")), seed)?;
    }
    Ok(())
}

const BEGIN: &str = "<!-- fuzz:begin (written by cargo xtask fuzz) -->";
const END: &str = "<!-- fuzz:end -->";

/// The figures, in docs/robustness.md between the markers (a row per target, newest run).
fn report(root: &Path, outcomes: &[Outcome]) -> Result<()> {
    let path = root.join("docs/robustness.md");
    let text = std::fs::read_to_string(&path).unwrap_or_default();
    let (Some(begin), Some(end)) = (text.find(BEGIN), text.find(END)) else {
        println!("xtask: docs/robustness.md has no fuzz markers; the figures are above");
        return Ok(());
    };
    let old = &text[begin + BEGIN.len()..end];
    let date = Command::new("date").arg("+%Y-%m-%d").output().map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string()).unwrap_or_default();
    let mut rows: Vec<(String, String)> = old.lines().filter(|l| l.starts_with("| `")).map(|l| (l.split('`').nth(1).unwrap_or_default().to_string(), l.to_string())).collect();
    for o in outcomes {
        let row = format!(
            "| `{}` | {} | {:.0} s | {:.0}/s | {} | {} | {} |",
            o.target,
            o.runs,
            o.seconds,
            o.runs as f64 / o.seconds.max(0.001),
            o.corpus,
            date,
            o.found.as_deref().map(|f| format!("found: {f}")).unwrap_or_else(|| "nothing found".into())
        );
        match rows.iter_mut().find(|(name, _)| name == o.target) {
            Some(slot) => slot.1 = row,
            None => rows.push((o.target.to_string(), row)),
        }
    }
    rows.sort_by_key(|(name, _)| TARGETS.iter().position(|t| t == name).unwrap_or(usize::MAX));
    let table = format!(
        "\n| target | executions | time | rate | corpus kept | date | result |\n| --- | --- | --- | --- | --- | --- | --- |\n{}\n",
        rows.into_iter().map(|(_, row)| row).collect::<Vec<_>>().join("\n")
    );
    std::fs::write(&path, format!("{}{BEGIN}{table}{}", &text[..begin], &text[end..]))?;
    println!("xtask: docs/robustness.md updated");
    Ok(())
}
