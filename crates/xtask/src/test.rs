//! `cargo xtask test`: every test, native then in Chromium.

use crate::{dist, env};
use anyhow::{Result, bail};
use std::process::Command;
use std::time::Instant;

/// `cargo fmt --check`, then clippy over every target natively and over the page for wasm32
/// (its components compile only there).
fn style() -> Result<()> {
    crate::layers::check(&env::root())?;
    env::run(env::cargo().args(["fmt", "--all", "--", "--check"])).map_err(|e| e.context("the code is not formatted as rustfmt.toml says: run `cargo fmt --all`"))?;
    env::run(env::cargo().args(["clippy", "--quiet", "--workspace", "--all-targets", "--", "-D", "warnings"]))?;
    env::run(env::cargo().args(["clippy", "--quiet", "--package", "smtp-protocol", "--features", "internals", "--all-targets", "--", "-D", "warnings"]))?;
    env::ensure_wasm_target()?;
    env::run(env::cargo().args(["clippy", "--quiet", "--package", "smtp-playground", "--lib", "--target", "wasm32-unknown-unknown", "--", "-D", "warnings"]))
}

/// `cargo xtask test --stress`: the long versions of the load tests (4,000 concurrent sessions
/// through the bridge and the mock instead of 1,000, 20,000 monkey lines in the page), with
/// their figures printed. Not part of the default run: it takes minutes.
pub(crate) fn stress() -> Result<()> {
    let python = env::ensure_python_packages(&["aiosmtpd==1.4.6"])?;
    env::run(
        env::cargo()
            .args(["test", "--release", "--package", "smtp-bridge", "--test", "load", "--test", "mock_load", "--", "--nocapture", "--test-threads=1"])
            .env("SMTP_STRESS", "4000")
            .env("SMTP_TEST_PYTHON", &python),
    )?;
    let dist = dist::run()?;
    env::ensure_chromium()?;
    env::ensure_npm_packages()?;
    let bridge = env::build_bridge(&dist)?;
    let root = env::root();
    env::run(
        Command::new("node")
            .args(["--test", "--test-reporter=spec", "tests/e2e/chaos.test.mjs"])
            .current_dir(&root)
            .env("SMTP_BRIDGE_BIN", &bridge)
            .env("PLAYGROUND_DIST", &dist)
            .env("CHROMIUM_PATH", env::CHROMIUM)
            .env("SMTP_TEST_PYTHON", &python)
            .env("SMTP_CHAOS_LINES", "20000")
            .env("ARTIFACTS_DIR", root.join("artifacts")),
    )
}

pub(crate) fn run() -> Result<()> {
    let started = Instant::now();
    println!("xtask: [0/3] layers (no import circle) and house style (rustfmt.toml, clippy with warnings denied, native and wasm32)");
    style()?;
    // The bridge's tests drive aiosmtpd (real SMTP software, from PyPI).
    let python = env::ensure_python_packages(&["aiosmtpd==1.4.6"])?;
    // The mock server's tests drive swaks too (Debian).
    env::ensure_swaks()?;
    println!("xtask: [1/3] native tests (cargo test --workspace)");
    env::run(env::cargo().args(["test", "--workspace", "--quiet"]).env("SMTP_TEST_PYTHON", &python))?;

    println!("xtask: [2/3] building the page (dist)");
    let dist = dist::run()?;

    println!("xtask: [3/3] end-to-end tests in headless Chromium");
    env::ensure_chromium()?;
    env::ensure_npm_packages()?;
    let bridge = env::build_bridge(&dist)?;
    let root = env::root();
    let mut files: Vec<String> = std::fs::read_dir(root.join("tests/e2e"))?
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().to_string())
        .filter(|name| name.ends_with(".test.mjs"))
        .map(|name| format!("tests/e2e/{name}"))
        .collect();
    files.sort();
    if files.is_empty() {
        bail!("no browser tests found in tests/e2e/*.test.mjs");
    }
    env::run(
        Command::new("node")
            .args(["--test", "--test-concurrency=1", "--test-reporter=spec"])
            .args(&files)
            .current_dir(&root)
            .env("SMTP_BRIDGE_BIN", &bridge)
            .env("PLAYGROUND_DIST", &dist)
            .env("CHROMIUM_PATH", env::CHROMIUM)
            .env("SMTP_TEST_PYTHON", &python)
            .env("ARTIFACTS_DIR", root.join("artifacts")),
    )?;
    println!("xtask: every test passed in {:.0} s", started.elapsed().as_secs_f64());
    Ok(())
}
