//! What the benches share: other programs started for a measurement, and stopped with it.
#![allow(dead_code)]

use std::io::BufRead;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

/// A child process, killed when dropped.
pub(crate) struct Process(pub Child);

impl Drop for Process {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Starts `program` and waits until a line of its output (stdout or stderr) contains `ready`;
/// the lines up to that one.
pub(crate) fn start(program: &str, args: &[String], ready: &str) -> (Process, Vec<String>) {
    let mut command = Command::new(program);
    command.args(args);
    start_command(command, ready)
}

/// [`start`] for a command already set up (environment, arguments).
pub(crate) fn start_command(mut command: Command, ready: &str) -> (Process, Vec<String>) {
    let program = command.get_program().to_string_lossy().to_string();
    // Owned by `Process` from the start: a panic below still kills and reaps it.
    let mut process = Process(command.stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().unwrap_or_else(|e| panic!("{program}: {e}")));
    let stdout = process.0.stdout.take().unwrap();
    let stderr = process.0.stderr.take().unwrap();
    let (send, receive) = std::sync::mpsc::channel();
    for stream in [Box::new(stdout) as Box<dyn std::io::Read + Send>, Box::new(stderr)] {
        let send = send.clone();
        std::thread::spawn(move || {
            for line in std::io::BufReader::new(stream).lines().map_while(Result::ok) {
                let _ = send.send(line);
            }
        });
    }
    let mut lines = vec![];
    loop {
        let line = receive.recv_timeout(Duration::from_secs(30)).unwrap_or_else(|_| panic!("{program} did not start"));
        let done = line.contains(ready);
        lines.push(line);
        if done {
            return (process, lines);
        }
    }
}

/// A free loopback port (closed again before use).
pub(crate) fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

/// What `cargo xtask bench` passes a bridge bench: the release bridge and the built page.
/// `None` when cargo only listed the bench (it passes `--bench` to run one).
pub(crate) fn bench_inputs() -> Option<(String, String)> {
    if !std::env::args().any(|a| a == "--bench") {
        return None;
    }
    let bridge = std::env::var("SMTP_BRIDGE_BIN").expect("run through `cargo xtask bench`, which builds the release bridge");
    let dist = std::env::var("PLAYGROUND_DIST").expect("run through `cargo xtask bench`, which builds the page (PLAYGROUND_DIST)");
    Some((bridge, dist))
}
