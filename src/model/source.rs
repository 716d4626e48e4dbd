//! [`Source`]: what every mode's session offers the views, so that the page reads the one the
//! console shows through one interface and never matches on the mode to reach it.

use super::console::ConsoleLog;
use super::real::{Link, RealSession};
use super::simulated::SimulatedSession;
use super::watched::{FeedLink, WatchedServer};
use smtp_protocol::session::{Phase, SessionState};

/// The connection the console shows, as its bar says it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Connection {
    /// Open (or opening): the connect button reads "Reconnect".
    pub open: bool,
    /// The session after the newest reply.
    pub state: Option<SessionState>,
}

pub trait Source {
    fn console(&self) -> &ConsoleLog;
    /// Names the session shown: views key their rows by it, so another session starts afresh.
    fn session_id(&self) -> u64;
    fn connection(&self) -> Connection;
    /// The student's lines are message content now (after 354).
    fn in_data(&self) -> bool;
    /// "Server: ...": what the console talks to, in a line.
    fn server_line(&self) -> String;
}

impl Source for SimulatedSession {
    fn console(&self) -> &ConsoleLog {
        &self.console
    }
    fn session_id(&self) -> u64 {
        self.started()
    }
    fn connection(&self) -> Connection {
        Connection { open: !self.is_closed(), state: Some(self.state()) }
    }
    fn in_data(&self) -> bool {
        self.state().phase == Phase::Data
    }
    fn server_line(&self) -> String {
        format!("Server: {} (simulated)", self.config().profile.title())
    }
}

impl Source for RealSession {
    fn console(&self) -> &ConsoleLog {
        &self.console
    }
    fn session_id(&self) -> u64 {
        0
    }
    fn connection(&self) -> Connection {
        Connection { open: matches!(self.link, Link::Open | Link::Connecting), state: self.console.state().map(|_| self.state().clone()) }
    }
    fn in_data(&self) -> bool {
        self.state().phase == Phase::Data
    }
    fn server_line(&self) -> String {
        "Server: a real SMTP server, through smtp-bridge".to_string()
    }
}

impl Source for WatchedServer {
    fn console(&self) -> &ConsoleLog {
        WatchedServer::console(self)
    }
    fn session_id(&self) -> u64 {
        self.shown().map(|s| s.id).unwrap_or(0)
    }
    fn connection(&self) -> Connection {
        Connection { open: self.link == FeedLink::Open, state: WatchedServer::console(self).state().cloned() }
    }
    fn in_data(&self) -> bool {
        false
    }
    fn server_line(&self) -> String {
        match &self.config {
            Some(config) => format!("Server: live mock server at {} for real mail clients · profile: {}", self.reachable_smtp(), config.profile.title()),
            None => "Server: live mock server (not connected)".to_string(),
        }
    }
}
