//! `cargo xtask`: the project's automation, in Rust, with no tool downloads.
//!
//! - `dist`  builds the wasm app and writes `dist/` (hashed names, .gz/.br copies).
//! - `serve` runs `dist`, then `smtp-bridge` serving it on 127.0.0.1:8080.
//! - `test`  runs every test: native `cargo test`, then the browser tests in Chromium.
//!
//! Everything missing on a fresh machine (wasm target, Chromium, npm and PyPI packages) is
//! installed from the package registries by the step that needs it.

mod bench;
mod dist;
mod env;
mod exercises;
mod fuzz;
mod layers;
mod test;

use std::process::ExitCode;

const USAGE: &str = "\
usage: cargo xtask <command> [options]

commands:
  dist [--dev]       build the playground into dist/ (release wasm, hashed, compressed;
                     --dev: a fast unoptimised build for working on the page)
  serve [--port N] [--dev] [--mock]
                     build, then serve the playground at http://127.0.0.1:N (default 8080);
                     --mock: also run the mock SMTP server on 127.0.0.1:2525 for real mail
                     clients, watched live by the page
  test [--stress]    run every test: native, protocol transcripts, and Chromium end-to-end;
                     --stress: the long load tests instead (4,000 sessions, 20,000 monkey lines)
  release            build the page and a release smtp-bridge that carries it inside:
                     release/smtp-bridge, one file to copy to a lab machine
  check-exercises [DIR]
                     check exercise files (default exercises/): each parses, its solution
                     completes it and its near misses do not, against the simulator
  layers             print each crate's modules by layer (what `test` checks: no import circle)
  bench [size]       measure speed and size against peers (criterion and browser timings);
                     `size`: only the page's size and its floors
  fuzz [--runs N] [--time SECONDS] [TARGET...]
                     fuzz every target (or those named) for N executions (default 10
                     million) or SECONDS; findings go to fuzz/regressions/, the minimised
                     corpus to fuzz/corpus/ (both replayed by `test`), figures to
                     docs/robustness.md
";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = match args.first().map(String::as_str) {
        Some("dist") => match args.get(1).map(String::as_str) {
            None => dist::run().map(|_| ()),
            Some("--dev") => dist::build(true).map(|_| ()),
            Some(other) => Err(anyhow::anyhow!("dist: unknown option `{other}` (usage: cargo xtask dist [--dev])")),
        },
        Some("serve") => serve(&args[1..]),
        Some("test") => match args.get(1).map(String::as_str) {
            None => test::run(),
            Some("--stress") => test::stress(),
            Some(other) => Err(anyhow::anyhow!("test: unknown option `{other}` (usage: cargo xtask test [--stress])")),
        },
        Some("release") => release(),
        Some("check-exercises") => {
            let dir = args.get(1).map(std::path::PathBuf::from).unwrap_or_else(|| env::root().join("exercises"));
            exercises::check(&dir).map(|count| println!("xtask: {count} exercise file(s) in {} check out", dir.display()))
        }
        Some("bench") => bench::run(&args[1..]),
        Some("layers") => layers::print(&env::root()),
        Some("fuzz") => fuzz::run(&args[1..]),
        Some("help" | "--help" | "-h") => {
            print!("{USAGE}");
            return ExitCode::SUCCESS;
        }
        Some(other) => {
            eprint!("xtask: unknown command `{other}`\n\n{USAGE}");
            return ExitCode::from(2);
        }
        None => {
            eprint!("{USAGE}");
            return ExitCode::from(2);
        }
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("xtask: error: {err:#}");
            ExitCode::FAILURE
        }
    }
}

/// `cargo xtask release`: the page, then a release `smtp-bridge` with it inside, copied to
/// `release/smtp-bridge` (a later plain build of the bridge would not carry it).
fn release() -> anyhow::Result<()> {
    let dist = dist::run()?;
    let built = env::build_bridge_with_page(&dist, "release")?;
    let out = env::root().join("release");
    std::fs::create_dir_all(&out)?;
    let binary = out.join("smtp-bridge");
    std::fs::copy(&built, &binary)?;
    let size = std::fs::metadata(&binary)?.len();
    println!("xtask: {} ({:.1} MB): the page is inside; run it anywhere, e.g.", binary.display(), size as f64 / 1e6);
    println!("  {} --listen 0.0.0.0:8080 --public mock --smtp 0.0.0.0:2525 --admin-token SECRET", binary.display());
    Ok(())
}

/// Where `cargo xtask serve --mock` takes mail (the port course notes use).
const MOCK_SMTP_PORT: u16 = 2525;

fn serve(args: &[String]) -> anyhow::Result<()> {
    let mut port: u16 = 8080;
    let mut dev = false;
    let mut mock = false;
    let mut faults: Vec<String> = Vec::new();
    let mut rest = args.iter();
    while let Some(arg) = rest.next() {
        match arg.as_str() {
            "--dev" => dev = true,
            "--mock" => mock = true,
            "--port" => {
                let value = rest.next().ok_or_else(|| anyhow::anyhow!("--port needs a number, e.g. --port 8081"))?;
                port = value.parse().map_err(|_| anyhow::anyhow!("--port takes a number from 1 to 65535, not `{value}`"))?;
            }
            "--fault" => faults.push(rest.next().ok_or_else(|| anyhow::anyhow!("--fault needs a rule, e.g. --fault 'rcpt#2 => 452 4.2.2 Mailbox full'"))?.clone()),
            other => anyhow::bail!("serve: unknown option `{other}` (usage: cargo xtask serve [--port N] [--dev] [--mock [--fault RULE]...])"),
        }
    }
    if !faults.is_empty() && !mock {
        anyhow::bail!("--fault is for the mock server: add --mock (the page's Server tab sets rules for the simulator)");
    }
    // Say it before a minute of building, and in terms of this command's own flag.
    if let Err(err) = std::net::TcpListener::bind(("127.0.0.1", port))
        && err.kind() == std::io::ErrorKind::AddrInUse
    {
        anyhow::bail!("port {port} is already in use on 127.0.0.1: stop the other program or choose another port with `cargo xtask serve --port N`");
    }
    if mock
        && let Err(err) = std::net::TcpListener::bind(("127.0.0.1", MOCK_SMTP_PORT))
        && err.kind() == std::io::ErrorKind::AddrInUse
    {
        anyhow::bail!(
            "port {MOCK_SMTP_PORT} (the mock's SMTP port) is already in use on 127.0.0.1: stop the other program, or run `smtp-bridge mock --smtp 127.0.0.1:PORT` yourself"
        );
    }
    let dist = dist::build(dev)?;
    let bridge = env::build_bridge(&dist)?;
    println!("xtask: serving {} — press Ctrl-C to stop", dist.display());
    let mut command = std::process::Command::new(bridge);
    if mock {
        println!("xtask: mail clients can send to 127.0.0.1:{MOCK_SMTP_PORT}; watch them at http://127.0.0.1:{port}/?mode=mock");
        command.args(["mock", "--smtp", &format!("127.0.0.1:{MOCK_SMTP_PORT}")]);
        for rule in &faults {
            command.args(["--fault", rule]);
        }
    }
    // Replace this process with the bridge so that Ctrl-C reaches it directly and it shuts
    // down cleanly, with no orphaned child.
    use std::os::unix::process::CommandExt;
    let err = command.arg("--listen").arg(format!("127.0.0.1:{port}")).arg("--dir").arg(&dist).exec();
    Err(anyhow::anyhow!("could not start smtp-bridge: {err}"))
}
