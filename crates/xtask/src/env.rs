//! The machine: where the project is, how to run tools, and how to install what is missing.
//!
//! Every install goes through a package registry's own client (rustup, apt-get, npm, pip);
//! nothing here downloads a prebuilt binary or a browser of its own.

use anyhow::{Context, Result, bail};
use std::path::{Path, PathBuf};
use std::process::Command;

pub(crate) const CHROMIUM: &str = "/usr/bin/chromium";

/// The workspace root (the folder holding the top `Cargo.toml`), found at run time: `cargo
/// xtask` sets CARGO_MANIFEST_DIR to crates/xtask of the checkout it runs in, so a checkout
/// copied or moved elsewhere builds where it is, not where it was compiled.
pub(crate) fn root() -> PathBuf {
    root_from(std::env::var_os("CARGO_MANIFEST_DIR").map(PathBuf::from), std::env::current_dir().unwrap_or_default())
}

fn root_from(manifest_dir: Option<PathBuf>, current: PathBuf) -> PathBuf {
    let is_root = |dir: &Path| dir.join("crates/xtask/Cargo.toml").is_file() && dir.join("Cargo.toml").is_file();
    if let Some(dir) = manifest_dir.and_then(|dir| dir.ancestors().nth(2).map(Path::to_path_buf)).filter(|d| is_root(d)) {
        return dir;
    }
    // Run directly (not through cargo): the nearest folder above the current one that holds it.
    current.ancestors().find(|d| is_root(d)).map(Path::to_path_buf).unwrap_or(current)
}

/// Where cargo builds: `CARGO_TARGET_DIR` when set (relative to the root), else `target/`.
/// Where `cargo install` puts programs.
pub(crate) fn cargo_home() -> PathBuf {
    std::env::var_os("CARGO_HOME").map(PathBuf::from).unwrap_or_else(|| PathBuf::from(std::env::var_os("HOME").unwrap_or_default()).join(".cargo"))
}

pub(crate) fn target_dir() -> PathBuf {
    match std::env::var_os("CARGO_TARGET_DIR") {
        Some(dir) => root().join(dir),
        None => root().join("target"),
    }
}

pub(crate) fn cargo() -> Command {
    let mut cmd = Command::new(std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into()));
    cmd.current_dir(root());
    cmd
}

/// Runs a command to completion, failing with its command line when it fails.
pub(crate) fn run(cmd: &mut Command) -> Result<()> {
    let shown = format!("{cmd:?}");
    let status = cmd.status().with_context(|| format!("could not start {shown}"))?;
    if !status.success() {
        bail!("{shown} failed ({status})");
    }
    Ok(())
}

fn on_path(program: &str) -> bool {
    std::env::var_os("PATH").map(|paths| std::env::split_paths(&paths).any(|dir| dir.join(program).is_file())).unwrap_or(false)
}

pub(crate) fn ensure_wasm_target() -> Result<()> {
    let out = Command::new("rustup").args(["target", "list", "--installed"]).output();
    match out {
        Ok(out) if String::from_utf8_lossy(&out.stdout).lines().any(|l| l.trim() == "wasm32-unknown-unknown") => Ok(()),
        Ok(_) => {
            println!("xtask: adding the wasm32-unknown-unknown target with rustup");
            run(Command::new("rustup").args(["target", "add", "wasm32-unknown-unknown"]))
        }
        Err(_) => bail!(
            "rustup was not found; install the wasm target yourself (`rustup target add wasm32-unknown-unknown`) \
             or install Rust with rustup"
        ),
    }
}

/// apt-get, as root directly or through sudo. `apt-get update` runs once first.
fn apt_install(packages: &[&str]) -> Result<()> {
    let is_root = Command::new("id").arg("-u").output().map(|o| o.stdout.starts_with(b"0")).unwrap_or(false);
    let prefix: Vec<&str> = if is_root {
        vec![]
    } else if on_path("sudo") {
        vec!["sudo"]
    } else {
        bail!("{} missing: install it with `apt-get install {}` as root", packages.join(" "), packages.join(" "));
    };
    println!("xtask: installing {} with apt-get", packages.join(" "));
    let apt = |args: &[&str]| {
        let mut cmd = Command::new(prefix.first().copied().unwrap_or("apt-get"));
        if !prefix.is_empty() {
            cmd.arg("apt-get");
        }
        cmd.args(args).env("DEBIAN_FRONTEND", "noninteractive");
        run(&mut cmd)
    };
    apt(&["update", "-qq"])?;
    let mut args = vec!["install", "-y", "-qq", "--no-install-recommends"];
    args.extend_from_slice(packages);
    apt(&args)
}

pub(crate) fn ensure_node() -> Result<()> {
    if on_path("node") && on_path("npm") {
        return Ok(());
    }
    apt_install(&["nodejs", "npm"])
}

pub(crate) fn ensure_chromium() -> Result<()> {
    if Path::new(CHROMIUM).exists() {
        return Ok(());
    }
    apt_install(&["chromium"])?;
    if !Path::new(CHROMIUM).exists() {
        bail!("apt-get installed chromium but {CHROMIUM} is still missing");
    }
    Ok(())
}

/// valgrind, whose callgrind counts the instructions of the parser benchmark (Debian's package).
pub(crate) fn ensure_valgrind() -> Result<()> {
    if on_path("valgrind") {
        return Ok(());
    }
    apt_install(&["valgrind"])
}

/// swaks, the SMTP swiss-army knife, that the mock server's tests drive as a real client
/// (Debian's package; Net::SSLeay for its --tls).
pub(crate) fn ensure_swaks() -> Result<()> {
    let has_tls = Command::new("perl").args(["-MNet::SSLeay", "-e", "1"]).output().map(|o| o.status.success()).unwrap_or(false);
    if on_path("swaks") && has_tls {
        return Ok(());
    }
    apt_install(&["swaks", "libnet-ssleay-perl"])
}

/// Postfix's `smtp-sink` and `smtp-source`, the bench's peer and load generator: the system's
/// when Postfix is installed, else Debian's postfix package unpacked under the target directory
/// (`apt-get download`, `dpkg-deb -x`: nothing is installed, no mail server starts). Returns
/// (smtp-sink, smtp-source, the folder of their libraries), or None with the reason printed.
pub(crate) fn postfix_tools() -> Option<(PathBuf, PathBuf, PathBuf)> {
    let system = (Path::new("/usr/sbin/smtp-sink"), Path::new("/usr/sbin/smtp-source"));
    if system.0.exists() && system.1.exists() {
        return Some((system.0.into(), system.1.into(), PathBuf::from("/usr/lib/postfix")));
    }
    let dir = target_dir().join("postfix");
    let unpacked = dir.join("root");
    let tools = (unpacked.join("usr/sbin/smtp-sink"), unpacked.join("usr/sbin/smtp-source"), unpacked.join("usr/lib/postfix"));
    if tools.0.exists() {
        return Some(tools);
    }
    let fetch = || -> Result<()> {
        std::fs::create_dir_all(&dir)?;
        println!("xtask: fetching Debian's postfix package for smtp-sink and smtp-source (unpacked, not installed)");
        let download = |dir: &Path| Command::new("apt-get").args(["download", "-qq", "postfix"]).current_dir(dir).status().map(|s| s.success()).unwrap_or(false);
        if !download(&dir) {
            run(Command::new("apt-get").args(["update", "-qq"]))?;
            if !download(&dir) {
                bail!("apt-get download postfix failed");
            }
        }
        let deb = std::fs::read_dir(&dir)?.filter_map(|e| e.ok()).map(|e| e.path()).find(|p| p.extension().is_some_and(|x| x == "deb")).context("no .deb was downloaded")?;
        run(Command::new("dpkg-deb").arg("-x").arg(&deb).arg(&unpacked))
    };
    match fetch() {
        Ok(()) if tools.0.exists() => Some(tools),
        Ok(()) => {
            println!("xtask: the postfix package has no smtp-sink; the bench runs without it");
            None
        }
        Err(err) => {
            println!("xtask: no smtp-sink for the bench ({err:#}); it runs without that peer");
            None
        }
    }
}

/// `npm ci` from the committed package-lock.json, when node_modules is missing or stale.
pub(crate) fn ensure_npm_packages() -> Result<()> {
    ensure_node()?;
    let root = root();
    let lock = root.join("package-lock.json");
    let installed = root.join("node_modules/.package-lock.json");
    let fresh = match (lock.metadata().and_then(|m| m.modified()), installed.metadata().and_then(|m| m.modified())) {
        (Ok(lock), Ok(installed)) => installed >= lock,
        _ => false,
    };
    if !fresh {
        println!("xtask: installing npm packages from package-lock.json");
        run(Command::new("npm").args(["ci", "--no-audit", "--no-fund", "--loglevel=error"]).current_dir(&root))?;
    }
    Ok(())
}

/// PyPI packages the tests drive (real SMTP software), in a venv under the target directory.
/// Returns the venv's python.
pub(crate) fn ensure_python_packages(packages: &[&str]) -> Result<PathBuf> {
    let venv = target_dir().join("pyenv");
    let python = venv.join("bin/python");
    if !python.exists() {
        if !on_path("python3") {
            bail!("python3 is missing: install it with `apt-get install python3 python3-venv`");
        }
        run(Command::new("python3").args(["-m", "venv"]).arg(&venv)).context("could not create a Python venv (on Debian: apt-get install python3-venv)")?;
    }
    let missing: Vec<&str> = packages
        .iter()
        .copied()
        .filter(|p| {
            let module = p.split(['=', '<', '>']).next().unwrap_or(p);
            !Command::new(&python).args(["-c", &format!("import {module}")]).output().map(|o| o.status.success()).unwrap_or(false)
        })
        .collect();
    if !missing.is_empty() {
        println!("xtask: installing {} from PyPI", missing.join(" "));
        run(Command::new(&python).args(["-m", "pip", "install", "--quiet", "--disable-pip-version-check"]).args(&missing))?;
    }
    Ok(python)
}

/// Builds `smtp-bridge` (debug profile: shares the artefacts of `cargo test`) and returns its path.
/// `smtp-bridge` (debug) with the built page `dist` inside it as well: it serves `--dir` when
/// given, and its own copy from any other folder (the test of the release binary runs it so).
pub(crate) fn build_bridge(dist: &Path) -> Result<PathBuf> {
    build_bridge_with_page(dist, "dev")
}

/// `smtp-bridge` with the built page `dist` inside (`profile`: `dev` or `release`); its path.
pub(crate) fn build_bridge_with_page(dist: &Path, profile: &str) -> Result<PathBuf> {
    let dist = dist.canonicalize().with_context(|| format!("{}", dist.display()))?;
    run(cargo().args(["build", "--quiet", "--package", "smtp-bridge", "--bin", "smtp-bridge", "--profile", profile]).env("PLAYGROUND_EMBED", &dist))?;
    let folder = if profile == "dev" { "debug" } else { profile };
    Ok(target_dir().join(folder).join("smtp-bridge"))
}

#[cfg(test)]
mod tests {
    use super::root_from;

    /// A checkout moved elsewhere is found where it is now.
    #[test]
    fn the_root_is_found_at_run_time() {
        let moved = std::env::temp_dir().join(format!("xtask-root-{}", std::process::id()));
        std::fs::create_dir_all(moved.join("crates/xtask/src")).unwrap();
        std::fs::write(moved.join("Cargo.toml"), "[workspace]\n").unwrap();
        std::fs::write(moved.join("crates/xtask/Cargo.toml"), "[package]\n").unwrap();
        assert_eq!(root_from(Some(moved.join("crates/xtask")), "/".into()), moved);
        assert_eq!(root_from(None, moved.join("crates/xtask/src")), moved);
        // A stale compile-time path that no longer holds a checkout is not taken.
        assert_eq!(root_from(Some("/nonexistent/crates/xtask".into()), moved.clone()), moved);
        std::fs::remove_dir_all(&moved).unwrap();
    }
}
