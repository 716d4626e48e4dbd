//! `cargo xtask bench`: speed and size, each against its goal and, where there is one, a peer
//! measured in the same run. Nothing here asserts: it prints a table.

use crate::{dist, env};
use anyhow::{Context, Result};
use std::process::Command;

/// (group/function, ours, peer, unit of throughput, goal text)
const PAIRS: &[(&str, &str, Option<&str>, &str)] = &[
    ("commands/parse", "smtp-protocol", Some("smtp-proto"), "at least as fast as smtp-proto"),
    ("commands/answer", "smtp-protocol", Some("smtp-proto"), "parse + answer at least as fast as smtp-proto's parse alone"),
    ("data/ingest", "smtp-protocol", Some("smtp-proto"), "at least smtp-proto's (1.0x), keeping what the transcript needs"),
];

/// What the browser downloads before the console answers (the main wasm, its glue, the loader
/// of the parts, the stylesheet), and what it fetches later, part by part.
fn page_size() -> Result<std::path::PathBuf> {
    println!("\nxtask: [2/4] page size (dist)");
    let dist = dist::run()?;
    let (mut first, mut later, mut parts, mut largest) = (0u64, 0u64, 0, (0u64, String::new()));
    for entry in std::fs::read_dir(&dist)? {
        let path = entry?.path();
        let name = path.file_name().unwrap().to_string_lossy().to_string();
        let Some(served) = name.strip_suffix(".gz") else { continue };
        let size = path.metadata()?.len();
        if dist::is_later_part(served) {
            later += size;
            parts += 1;
            if size > largest.0 {
                largest = (size, served.to_string());
            }
        } else if [".wasm", ".js", ".css"].iter().any(|ext| served.ends_with(ext)) {
            first += size;
        }
    }
    let kb = |n: u64| format!("{:.1} KB gzip", n as f64 / 1000.0);
    println!("{:<18} {:>16} {:>16} {:>8}  goal: at most 250 KB gzip before the console answers (wasm + js + css)", "first download", kb(first), "-", "");
    println!(
        "{:<18} {:>16} {:>16} {:>8}  {parts} files (the parts and the chunks they share) fetched when first needed or once the page is idle; the largest: {} ({})",
        "later",
        kb(later),
        "-",
        "",
        largest.1,
        kb(largest.0)
    );
    size_floors()?;
    Ok(dist)
}

/// What the first download cannot weigh less than, built exactly as the page is: Leptos with
/// nothing of SMTP (`examples/floor_leptos.rs`), and what the console needs of the simulator to
/// answer, with no user interface and no deserialisation (`examples/floor_simulator.rs`). Their
/// sum, without any of the page's own code, set against the size goal says whether the goal is
/// reachable with these parts.
fn size_floors() -> Result<()> {
    let root = env::root();
    let mut sum = 0;
    for (example, what) in [("floor_leptos", "floor: Leptos"), ("floor_simulator", "floor: simulator")] {
        let built = dist::wasm_and_glue(&root, dist::Artifact::Example(example), false)?;
        let size = dist::gzip(&std::fs::read(built.wasm)?)?.len() + dist::gzip(&std::fs::read(built.glue)?)?.len();
        sum += size;
        println!("{:<18} {:>16} {:>16} {:>8}  wasm + js, no page code", what, format!("{:.1} KB gzip", size as f64 / 1000.0), "-", "");
    }
    println!("{:<18} {:>16} {:>16} {:>8}  what the first download cannot go below with these parts", "floor: together", format!("{:.1} KB gzip", sum as f64 / 1000.0), "-", "");
    Ok(())
}

/// `cargo xtask bench size`: the page's size and its floors alone (a minute, not twenty).
pub(crate) fn run(args: &[String]) -> Result<()> {
    if args.first().map(String::as_str) == Some("size") {
        return page_size().map(|_| ());
    }
    println!("xtask: [1/4] protocol throughput (criterion)");
    env::run(env::cargo().args(["bench", "--quiet", "--package", "smtp-protocol", "--features", "internals", "--bench", "throughput"]))?;
    println!("\n{:<18} {:>16} {:>16} {:>8}  goal", "benchmark", "smtp-protocol", "peer", "ratio");
    for (bench, ours, peer, goal) in PAIRS {
        let ours_rate = rate(bench, ours)?;
        // `answer` is compared with the peer's parse of the same lines.
        let peer_bench = if *bench == "commands/answer" { "commands/parse" } else { bench };
        let peer_rate = match peer {
            Some(peer) => Some(rate(peer_bench, peer)?),
            None => None,
        };
        let ratio = peer_rate.map(|p| format!("{:.2}x", ours_rate.0 / p.0)).unwrap_or_default();
        println!("{:<18} {:>16} {:>16} {:>8}  {goal}", bench, human(ours_rate), peer_rate.map(human).unwrap_or_else(|| "-".into()), ratio);
    }

    instruction_counts()?;

    let dist = page_size()?;

    println!("\nxtask: [3/4] the bridge (release build) against direct TCP and websockify, and mock mode against smtp-sink");
    let python = env::ensure_python_packages(&["aiosmtpd==1.4.6", "websockify==0.13.0"])?;
    env::run(env::cargo().args(["build", "--quiet", "--release", "--package", "smtp-bridge", "--bin", "smtp-bridge"]))?;
    env::run(
        env::cargo()
            .args(["bench", "--quiet", "--package", "smtp-bridge", "--bench", "relay"])
            .env("SMTP_BRIDGE_BIN", env::target_dir().join("release/smtp-bridge"))
            .env("PLAYGROUND_DIST", &dist)
            .env("SMTP_TEST_PYTHON", &python),
    )?;

    println!("\nxtask: mock mode against Postfix's smtp-sink");
    let mut mock_bench = env::cargo();
    mock_bench
        .args(["bench", "--quiet", "--package", "smtp-bridge", "--bench", "mock"])
        .env("SMTP_BRIDGE_BIN", env::target_dir().join("release/smtp-bridge"))
        .env("PLAYGROUND_DIST", &dist);
    if let Some((sink, source, libs)) = env::postfix_tools() {
        mock_bench.env("SMTP_SINK_BIN", sink).env("SMTP_SOURCE_BIN", source).env("LD_LIBRARY_PATH", libs);
    }
    env::run(&mut mock_bench)?;

    println!("\nxtask: [4/4] browser timings (Chromium)");
    env::ensure_chromium()?;
    env::ensure_npm_packages()?;
    let bridge = env::build_bridge(&dist)?;
    env::run(
        Command::new("node")
            .arg("tests/bench/page.bench.mjs")
            .current_dir(env::root())
            .env("SMTP_BRIDGE_BIN", &bridge)
            .env("PLAYGROUND_DIST", &dist)
            .env("CHROMIUM_PATH", env::CHROMIUM),
    )
}

/// The same corpus under callgrind: instructions per command, which do not move with whatever
/// else the machine is doing (criterion's times above do, by 10% and more on a shared VM).
fn instruction_counts() -> Result<()> {
    env::ensure_valgrind()?;
    env::run(env::cargo().args(["build", "--quiet", "--release", "--package", "smtp-protocol", "--example", "parse_corpus"]))?;
    let program = env::target_dir().join("release/examples/parse_corpus");
    // (instructions, commands in the corpus)
    let count = |mode: &str| -> Result<(f64, f64)> {
        let output = Command::new("valgrind").args(["--tool=callgrind", "--callgrind-out-file=/dev/null"]).arg(&program).arg(mode).output()?;
        let text = String::from_utf8_lossy(&output.stderr);
        let refs =
            text.lines().find_map(|l| l.split_once("refs:").map(|(_, n)| n.trim().replace(',', ""))).with_context(|| format!("no instruction count from callgrind: {text}"))?;
        let commands = String::from_utf8_lossy(&output.stdout).trim().parse::<f64>().context("parse_corpus prints its number of commands")?;
        Ok((refs.parse()?, commands))
    };
    // The corpus is built the same way in every mode: its cost is measured alone and taken off.
    let (setup, _) = count("none")?;
    let per = |mode: &str| -> Result<f64> {
        let (total, commands) = count(mode)?;
        Ok((total - setup) / commands)
    };
    let (ours, theirs, answer) = (per("ours")?, per("theirs")?, per("answer")?);
    println!("\n{:<18} {:>16} {:>16} {:>8}  goal (callgrind: instructions per command, the same corpus)", "benchmark", "smtp-protocol", "smtp-proto", "ratio");
    println!("{:<18} {:>16.0} {:>16.0} {:>7.2}x  at least as fast as smtp-proto", "commands/parse", ours, theirs, theirs / ours);
    println!("{:<18} {:>16.0} {:>16.0} {:>7.2}x  parse + answer at least as fast as smtp-proto's parse alone", "commands/answer", answer, theirs, theirs / answer);
    // The floor under that goal: the session events every answer records (issue #3, item 6),
    // copied once as the owned values they are, with no parsing, state machine or reply.
    let events = per("events")? - per("answer-kept")?;
    println!("{:<18} {:>16.0} {:>16.0} {:>7.2}x  floor: a copy of the events answering records, alone", "commands/events", events, theirs, theirs / events);
    Ok(())
}

/// (amount per second, unit) from criterion's estimates for one benchmark.
fn rate(bench: &str, name: &str) -> Result<(f64, &'static str)> {
    let dir = env::target_dir().join("criterion").join(bench).join(name).join("new");
    let read = |file: &str| -> Result<serde_json::Value> {
        let text = std::fs::read_to_string(dir.join(file)).with_context(|| format!("no criterion result in {}", dir.display()))?;
        Ok(serde_json::from_str(&text)?)
    };
    let estimates = read("estimates.json")?;
    let benchmark = read("benchmark.json")?;
    let nanos = estimates["mean"]["point_estimate"].as_f64().context("estimates.json has no mean")?;
    let (amount, unit) = match benchmark["throughput"]["Bytes"].as_f64() {
        Some(n) => (n, "B"),
        None => (benchmark["throughput"]["Elements"].as_f64().unwrap_or(1.0), "cmd"),
    };
    Ok((amount / (nanos / 1e9), unit))
}

fn human((rate, unit): (f64, &str)) -> String {
    match unit {
        "B" => format!("{:.2} GB/s", rate / 1e9),
        _ => format!("{:.2} M{unit}/s", rate / 1e6),
    }
}
