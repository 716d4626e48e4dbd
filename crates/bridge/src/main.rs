//! `smtp-bridge`: serves the built playground and (see ARCHITECTURE.md) relays its sessions.

mod static_files;

use clap::Parser;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;

/// Serves SMTP Playground from a built `dist/` folder.
#[derive(Parser, Debug)]
#[command(name = "smtp-bridge", version, about)]
struct Cli {
    /// Address to listen on for the page (and, later, its WebSocket). Port 0 picks a free port.
    #[arg(long, default_value = "127.0.0.1:8080")]
    listen: SocketAddr,
    /// The built playground (`cargo xtask dist` writes it to dist/).
    #[arg(long, default_value = "dist")]
    dir: PathBuf,
}

#[tokio::main]
async fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "smtp_bridge=info".into()))
        .with_writer(std::io::stderr)
        .init();
    let cli = Cli::parse();
    if !cli.dir.join("index.html").is_file() {
        eprintln!("smtp-bridge: {} has no index.html; build the page first with `cargo xtask dist`", cli.dir.display());
        return ExitCode::from(2);
    }
    let listener = match tokio::net::TcpListener::bind(cli.listen).await {
        Ok(listener) => listener,
        Err(err) if err.kind() == std::io::ErrorKind::AddrInUse => {
            eprintln!("smtp-bridge: port {} is already in use on {}; stop the other program or pick another port (--listen {}:PORT)", cli.listen.port(), cli.listen.ip(), cli.listen.ip());
            return ExitCode::from(1);
        }
        Err(err) => {
            eprintln!("smtp-bridge: cannot listen on {}: {err}", cli.listen);
            return ExitCode::from(1);
        }
    };
    let local = listener.local_addr().expect("a bound listener has an address");
    let app = static_files::router(&cli.dir);
    // Tests and scripts read this line to learn the port.
    println!("smtp-bridge: serving {} at http://{local}/", cli.dir.display());
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
