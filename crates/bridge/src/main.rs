//! `smtp-bridge`: serves the built playground and relays its sessions to allowed SMTP servers.

use clap::Parser;
use smtp_bridge::target::Allowed;
use smtp_bridge::{BridgeConfig, app};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;

/// mimalloc rather than glibc's malloc: see Cargo.toml (mock mode frees old events all the time).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// Serves SMTP Playground from a built `dist/` folder, and relays its "Real server" sessions over
/// WebSocket (/bridge) to the SMTP servers the allow-list names. It is never an open proxy: no
/// target is allowed unless named, and private addresses are refused unless --allow-private.
#[derive(Parser, Debug)]
#[command(name = "smtp-bridge", version, about, args_override_self = true)]
struct Cli {
    #[command(subcommand)]
    command: Option<Mode>,
    /// A TOML file of these same settings (keys as the flags without `--`; `[mock]` and
    /// `[mock.policy]` tables for mock mode); flags on the command line override it.
    #[arg(long, value_name = "FILE", global = true)]
    config: Option<PathBuf>,
    /// Address for the page and its WebSocket (and, in mock mode, the JSON API). Port 0 picks a
    /// free port.
    #[arg(long, default_value = "127.0.0.1:8080", global = true)]
    listen: SocketAddr,
    /// The built playground (`cargo xtask dist` writes it to dist/).
    #[arg(long, default_value = "dist", global = true)]
    dir: PathBuf,
    /// An SMTP server sessions may reach, as host:port; `*.example.org:587` for subdomains,
    /// `host:*` for any port. Repeatable. None by default.
    #[arg(long = "allow", value_name = "HOST:PORT")]
    allow: Vec<Allowed>,
    /// A file of allowed servers: one HOST:PORT pattern a line, `#` for comments.
    #[arg(long, value_name = "FILE")]
    allow_file: Option<PathBuf>,
    /// Also allow targets that resolve to private, loopback or link-local addresses (a lab LAN).
    #[arg(long)]
    allow_private: bool,
    /// Accept TLS certificates that fail verification (self-signed lab servers); the page says so.
    #[arg(long)]
    insecure_lab: bool,
    /// A page origin allowed besides the bridge's own (e.g. http://localhost:3000). Repeatable.
    #[arg(long = "origin", value_name = "ORIGIN")]
    origins: Vec<String>,
    /// A shared secret the page must present (for the relay; in mock mode, for changes too).
    #[arg(long, global = true)]
    token: Option<String>,
    /// In mock mode, the secret that allows changes (deleting mail, the server's settings) from
    /// the API (Authorization: Bearer) and the page (Unlock). Without it a --public mock server
    /// is read-only.
    #[arg(long, global = true, value_name = "SECRET")]
    admin_token: Option<String>,
    /// A folder of exercise files (JSON, as in exercises/) that the page offers beside its own,
    /// read at each page load: no rebuild. `cargo xtask check-exercises DIR` checks them.
    #[arg(long, global = true, value_name = "DIR")]
    exercises: Option<PathBuf>,
    /// Concurrent relayed sessions in all.
    #[arg(long, default_value_t = 256)]
    max_sessions: usize,
    /// Concurrent relayed sessions per client address.
    #[arg(long, default_value_t = 8)]
    max_sessions_per_client: usize,
    /// Seconds without traffic before a relayed session is closed.
    #[arg(long, default_value_t = 300)]
    idle_timeout: u64,
    /// Longest a relayed session may last, in seconds.
    #[arg(long, default_value_t = 3600)]
    max_duration: u64,
    /// Listen on an address other than loopback (anyone who can reach it can use the allow-list,
    /// and in mock mode read the captured mail). Before or after `mock`.
    #[arg(long, global = true)]
    public: bool,
}

#[derive(clap::Subcommand, Debug)]
enum Mode {
    /// Run the simulated server (mock profile: accepts every sender and recipient) on an SMTP
    /// port for real mail clients; the page on --listen watches their sessions live, and the
    /// captured mail and sessions are at /api/v1 there.
    Mock {
        /// The SMTP address clients send to.
        #[arg(long, default_value = "127.0.0.1:2525")]
        smtp: SocketAddr,
        /// The server to imitate: mock, postfix, exchange, gmail, zos or cssmtp.
        #[arg(long, default_value = "mock", conflicts_with = "profile_file")]
        profile: String,
        /// A profile file (TOML): your own server, as a built-in `base` profile, the policy
        /// fields that differ and its persona (reply words, EHLO list, habits). See
        /// docs/profiles.md.
        #[arg(long, value_name = "FILE")]
        profile_file: Option<PathBuf>,
        /// Change one policy setting, as KEY=VALUE (e.g. auth_required=true, max_recipients=50,
        /// local_domains=["lab.test"]). Repeatable. The page's Server tab changes them too.
        #[arg(long = "set", value_name = "KEY=VALUE")]
        settings: Vec<String>,
        /// A fault rule: the server answers what it says, e.g. 'rcpt#2 => 452 4.2.2 Mailbox
        /// full', 'greeting => 421 4.3.2 Try again later', 'mail => delay 2000' (the README has
        /// the form). Repeatable; the first rule that matches applies. PUT /api/v1/faults
        /// changes them while the server runs.
        #[arg(long = "fault", value_name = "RULE")]
        faults: Vec<String>,
        /// SMTP connections held at once; past it a client gets 421 4.7.0 and may retry.
        #[arg(long, default_value_t = smtp_bridge::mock::MAX_CONNECTIONS as u64, value_parser = clap::value_parser!(u64).range(1..=100_000))]
        max_connections: u64,
        /// Messages kept in memory; the oldest is dropped beyond this.
        #[arg(long, default_value_t = 1000)]
        max_messages: usize,
        /// Client sessions kept (the oldest is forgotten first).
        #[arg(long, default_value_t = 1000, value_parser = clap::value_parser!(u64).range(1..=1_000_000))]
        max_sessions_kept: u64,
        /// Events kept per session for the API and for pages that open later (its latest; 0
        /// keeps none: watching pages still see every event live).
        #[arg(long, value_name = "N", default_value_t = smtp_bridge::mock::MAX_EVENTS_PER_SESSION as u64, value_parser = clap::value_parser!(u64).range(0..=1_000_000))]
        events_per_session: u64,
        /// Megabytes (10^6 octets) of mail kept in memory, as received; the oldest is dropped
        /// beyond this (the newest is kept even when it alone is larger).
        #[arg(long, value_name = "MB", default_value_t = 512, value_parser = clap::value_parser!(u64).range(1..=1_000_000))]
        max_store_mb: u64,
        /// Also keep the messages in this Maildir (created if missing); those already in it are
        /// loaded at start.
        #[arg(long, value_name = "DIR")]
        maildir: Option<PathBuf>,
        /// The STARTTLS certificate chain (PEM); without it a self-signed one is made at start.
        #[arg(long, value_name = "FILE", requires = "tls_key")]
        tls_cert: Option<PathBuf>,
        /// The STARTTLS certificate's private key (PEM).
        #[arg(long, value_name = "FILE", requires = "tls_cert")]
        tls_key: Option<PathBuf>,
    },
}

/// No transparent huge pages for this process. Where the kernel backs every aligned 2 MB with a
/// huge page ("always", Debian's default), mimalloc's regions make a thousand idle relayed
/// sessions weigh 40 KB each instead of 26 (the bench's idle-memory row), and mock mode under
/// load spent a tenth of its CPU zeroing huge pages it had barely begun to use.
#[allow(unsafe_code)]
fn without_huge_pages() {
    #[cfg(target_os = "linux")]
    // SAFETY: PR_SET_THP_DISABLE takes integer arguments only and changes nothing but this
    // process's paging policy; a failure (an old kernel) leaves the default, which is harmless.
    unsafe {
        libc::prctl(libc::PR_SET_THP_DISABLE, 1, 0, 0, 0);
    }
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> ExitCode {
    without_huge_pages();
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "smtp_bridge=info".into()))
        .with_writer(std::io::stderr)
        .init();
    let args = match with_config_file(std::env::args_os().collect()) {
        Ok(args) => args,
        Err(err) => {
            eprintln!("smtp-bridge: {err}");
            return ExitCode::from(2);
        }
    };
    let cli = Cli::parse_from(args);
    let public = !cli.listen.ip().is_loopback();
    if public {
        if !cli.public {
            eprintln!(
                "smtp-bridge: {} is not a loopback address; add --public to listen there on purpose (e.g. smtp-bridge --listen {} --public mock ...)",
                cli.listen.ip(),
                cli.listen
            );
            return ExitCode::from(2);
        }
        let mock = matches!(cli.command, Some(Mode::Mock { .. }));
        let writes = match (&cli.admin_token, mock) {
            (_, false) => String::new(),
            (Some(_), true) => "; its mail, sessions and settings are readable by all, and changes need the admin token".into(),
            (None, true) => "; its mail, sessions and settings are readable by all and read-only (add --admin-token SECRET to allow changes)".into(),
        };
        eprintln!("smtp-bridge: warning: listening on {}: anyone who reaches it can relay to the allowed servers{writes}", cli.listen);
    }
    let embedded = !cli.dir.join("index.html").is_file() && smtp_bridge::static_files::has_embedded_page();
    if !cli.dir.join("index.html").is_file() && !embedded {
        eprintln!(
            "smtp-bridge: {} has no index.html; build the page first with `cargo xtask dist` (or use the binary `cargo xtask release` makes, which carries it)",
            cli.dir.display()
        );
        return ExitCode::from(2);
    }
    let listener = match smtp_bridge::listen(cli.listen) {
        Ok(listener) => listener,
        Err(err) if err.kind() == std::io::ErrorKind::AddrInUse => {
            eprintln!(
                "smtp-bridge: port {} is already in use on {}; stop the other program or pick another port (--listen {}:PORT)",
                cli.listen.port(),
                cli.listen.ip(),
                cli.listen.ip()
            );
            return ExitCode::from(1);
        }
        Err(err) => {
            eprintln!("smtp-bridge: cannot listen on {}: {err}", cli.listen);
            return ExitCode::from(1);
        }
    };
    let local = listener.local_addr().expect("a bound listener has an address");
    let mut config = BridgeConfig::new(cli.dir.clone());
    config.allow = cli.allow;
    if let Some(file) = &cli.allow_file {
        match smtp_bridge::target::read_allow_file(file) {
            Ok(list) => config.allow.extend(list),
            Err(err) => {
                eprintln!("smtp-bridge: --allow-file {err}");
                return ExitCode::from(2);
            }
        }
    }
    config.allow_private = cli.allow_private;
    config.insecure_lab = cli.insecure_lab;
    config.origins = cli.origins.clone();
    config.token = cli.token.clone();
    if let Some(dir) = &cli.exercises
        && !dir.is_dir()
    {
        eprintln!("smtp-bridge: --exercises {}: not a folder", dir.display());
        return ExitCode::from(2);
    }
    config.exercises = cli.exercises.clone();
    config.max_sessions = cli.max_sessions;
    config.max_sessions_per_client = cli.max_sessions_per_client;
    config.idle_timeout = std::time::Duration::from_secs(cli.idle_timeout);
    config.max_duration = std::time::Duration::from_secs(cli.max_duration);
    let mut router = app(config);
    if let Some(Mode::Mock {
        smtp,
        profile,
        profile_file,
        settings,
        faults,
        max_connections,
        max_messages,
        max_sessions_kept,
        events_per_session,
        max_store_mb,
        maildir,
        tls_cert,
        tls_key,
    }) = cli.command
    {
        let limits = smtp_bridge::mock::StoreLimits {
            messages: max_messages,
            message_octets: max_store_mb * 1_000_000,
            sessions: max_sessions_kept as usize,
            events_per_session: events_per_session as usize,
            ..Default::default()
        };
        let mock = match mock_server(&profile, profile_file.as_deref(), &settings, &faults, limits, maildir.as_deref(), tls_cert.as_deref().zip(tls_key.as_deref())) {
            Ok(mock) => mock.with_max_connections(max_connections as usize),
            Err(err) => {
                eprintln!("smtp-bridge: {err}");
                return ExitCode::from(2);
            }
        };
        let smtp_listener = match smtp_bridge::listen(smtp) {
            Ok(listener) => listener,
            Err(err) => {
                eprintln!("smtp-bridge: cannot listen for SMTP on {smtp}: {err}; pick another address with --smtp");
                return ExitCode::from(1);
            }
        };
        let smtp_address = smtp_listener.local_addr().map(|a| a.to_string()).unwrap_or_default();
        println!("smtp-bridge: mock SMTP server on {smtp_address}");
        let access = smtp_bridge::mock::access::WriteAccess::new(public, cli.admin_token.clone(), cli.token.clone());
        let mock = std::sync::Arc::new(mock.with_smtp_address(smtp_address).with_access(access));
        router = router.merge(smtp_bridge::mock::router(mock.clone(), cli.origins.clone()));
        tokio::spawn(smtp_bridge::mock::smtp::serve_smtp(smtp_listener, mock));
    }
    let app = router.into_make_service_with_connect_info::<SocketAddr>();
    // Tests and scripts read this line to learn the port.
    let served = if embedded { "the page inside this binary".to_string() } else { cli.dir.display().to_string() };
    println!("smtp-bridge: serving {served} at http://{local}/");
    // Relayed SMTP is lockstep and small: no Nagle delay on the page's side either.
    use axum::serve::ListenerExt;
    let listener = listener.tap_io(|tcp| {
        let _ = tcp.set_nodelay(true);
    });
    let served = axum::serve(listener, app).with_graceful_shutdown(shutdown_signal()).await;
    match served {
        Ok(()) => {
            println!("smtp-bridge: stopped");
            ExitCode::SUCCESS
        }
        Err(err) => {
            eprintln!("smtp-bridge: server error: {err}");
            ExitCode::FAILURE
        }
    }
}

/// `--config FILE`: a TOML file of the same settings as the flags (`listen = "0.0.0.0:8080"`,
/// `public = true`, `allow = ["mail.example.org:25"]`; a `[mock]` table for mock mode, with its
/// policy knobs in `[mock.policy]`), read as if typed before the command line's own flags,
/// which override it.
fn with_config_file(args: Vec<std::ffi::OsString>) -> Result<Vec<std::ffi::OsString>, String> {
    let position = args.iter().position(|a| a == "--config" || a.to_string_lossy().starts_with("--config="));
    let Some(position) = position else { return Ok(args) };
    let mut args = args;
    let flag = args.remove(position).to_string_lossy().to_string();
    let file = match flag.strip_prefix("--config=") {
        Some(file) => file.to_string(),
        None if position < args.len() => args.remove(position).to_string_lossy().to_string(),
        None => return Err("--config needs a file, e.g. --config /etc/smtp-bridge.toml".into()),
    };
    let text = std::fs::read_to_string(&file).map_err(|e| format!("--config {file}: {e}"))?;
    let table: toml::Table = toml::from_str(&text).map_err(|e| format!("--config {file}: {e}"))?;
    let as_flags = |table: &toml::Table, out: &mut Vec<std::ffi::OsString>| -> Result<(), String> {
        for (key, value) in table {
            if key == "mock" || key == "policy" {
                continue;
            }
            let flag = format!("--{}", key.replace('_', "-"));
            let mut one = |value: &toml::Value| -> Result<(), String> {
                match value {
                    toml::Value::Boolean(true) => out.push(flag.clone().into()),
                    toml::Value::Boolean(false) => {}
                    toml::Value::String(text) => out.extend([flag.clone().into(), text.clone().into()]),
                    toml::Value::Integer(n) => out.extend([flag.clone().into(), n.to_string().into()]),
                    other => return Err(format!("--config {file}: `{key}` takes a string, a number or true, not {other}")),
                }
                Ok(())
            };
            match value {
                toml::Value::Array(items) => items.iter().try_for_each(&mut one)?,
                value => one(value)?,
            }
        }
        Ok(())
    };
    let program = args.remove(0);
    let mock_at = args.iter().position(|a| a == "mock");
    let (user_globals, user_mock) = match mock_at {
        Some(at) => (args[..at].to_vec(), Some(args[at + 1..].to_vec())),
        None => (args.clone(), None),
    };
    let mut out = vec![program];
    as_flags(&table, &mut out)?;
    out.extend(user_globals);
    let file_mock = match table.get("mock") {
        Some(toml::Value::Table(mock)) => Some(mock),
        Some(_) => return Err(format!("--config {file}: `mock` is a table: [mock]")),
        None => None,
    };
    if file_mock.is_some() || user_mock.is_some() {
        out.push("mock".into());
        if let Some(mock) = file_mock {
            as_flags(mock, &mut out)?;
            if let Some(policy) = mock.get("policy") {
                let toml::Value::Table(policy) = policy else { return Err(format!("--config {file}: `policy` is a table: [mock.policy]")) };
                for (knob, value) in policy {
                    let json = serde_json::to_string(value).map_err(|e| format!("--config {file}: mock.policy.{knob}: {e}"))?;
                    out.extend(["--set".into(), format!("{knob}={json}").into()]);
                }
            }
        }
        out.extend(user_mock.unwrap_or_default());
    }
    Ok(out)
}

/// `--profile-file FILE`: a TOML profile file, read; errors name the file, and the line or the
/// field.
fn read_profile_file(path: &std::path::Path) -> Result<smtp_protocol::ServerConfig, String> {
    let shown = path.display();
    let text = std::fs::read_to_string(path).map_err(|e| format!("--profile-file {shown}: {e}"))?;
    // TOML's own errors give the line and column; then the fields are checked by name.
    let value: serde_json::Value = toml::from_str(&text).map_err(|e| format!("--profile-file {shown}: {}", e.to_string().trim_end()))?;
    let loaded = smtp_protocol::profile_file::load(value).map_err(|e| format!("--profile-file {shown}: {}: {}", e.field, e.message))?;
    if let Some(title) = &loaded.title {
        println!("smtp-bridge: profile {title} (from {shown}, based on {})", loaded.config.profile.id());
    }
    Ok(loaded.config)
}

/// The mock server the flags describe; errors say which flag is wrong.
fn mock_server(
    profile: &str,
    profile_file: Option<&std::path::Path>,
    settings: &[String],
    faults: &[String],
    limits: smtp_bridge::mock::StoreLimits,
    maildir: Option<&std::path::Path>,
    tls: Option<(&std::path::Path, &std::path::Path)>,
) -> Result<smtp_bridge::mock::Mock, String> {
    use smtp_bridge::mock;
    let mut config = match profile_file {
        Some(path) => read_profile_file(path)?,
        None => {
            let name = smtp_protocol::ProfileName::from_id(profile)
                .ok_or_else(|| format!("--profile {profile}: not a profile; choose mock, postfix, exchange, gmail, zos or cssmtp (or describe your own with --profile-file)"))?;
            smtp_protocol::ServerConfig::new(name)
        }
    };
    mock::apply_settings(&mut config, settings)?;
    for rule in faults {
        let rule = smtp_protocol::fault::FaultRule::parse(rule).map_err(|e| format!("--fault '{rule}': {e}"))?;
        config.policy.faults.push(rule);
    }
    config.policy.check().map_err(|problem| format!("--fault: {}", problem.message))?;
    let acceptor = match tls {
        Some((cert, key)) => mock::acceptor_from_files(cert, key).map_err(|e| format!("--tls-cert/--tls-key: {e}"))?,
        None => mock::self_signed_acceptor().map_err(|e| format!("could not make the STARTTLS certificate: {e}"))?,
    };
    let maildir = match maildir {
        Some(dir) => Some(smtp_bridge::maildir::Maildir::open(dir).map_err(|e| format!("--maildir: {e}"))?),
        None => None,
    };
    let store = mock::Store::new(limits, maildir).map_err(|e| format!("--maildir: could not read it: {e}"))?;
    Ok(mock::Mock::new(config, store, Some(acceptor)))
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    let term = async {
        if let Ok(mut term) = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            term.recv().await;
        }
    };
    tokio::select! { _ = ctrl_c => {}, _ = term => {} }
}
