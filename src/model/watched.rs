//! What the page knows of a watched mock server (`smtp-bridge mock`): the frames of its feed
//! (`smtp_protocol::watch`) become the real clients' sessions, each a [`ConsoleLog`] fed as a
//! simulated session's is, and the mail they sent.

use super::console::ConsoleLog;
use super::entry::{Tone, Voice, closer_words};
use smtp_protocol::event::Event;
use smtp_protocol::narration::Reaction;
use smtp_protocol::watch::{Access, Removal, ToWatcher, VERSION};
use smtp_protocol::{ServerConfig, StoredMessage};

/// Sessions the page keeps (the oldest is forgotten first). The list is virtualised, and only
/// the newest sessions come with their events, so a class's sessions all fit.
pub const KEPT_SESSIONS: usize = 10_000;

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum FeedLink {
    #[default]
    Idle,
    Connecting,
    Open,
    /// The feed could not be reached or was lost; what to do about it.
    Down(String),
}

/// One real client's session, as the console shows it.
pub struct WatchedSession {
    pub id: u64,
    pub client: String,
    pub started: u64,
    pub messages: usize,
    /// How it ended, once it has.
    pub ended: Option<String>,
    /// The account the client logged in with: how a class's groups are told apart.
    pub account: Option<String>,
    /// The name it gave in HELO/EHLO.
    pub helo: Option<String>,
    /// The envelope senders of the messages it sent.
    pub senders: Vec<String>,
    pub console: ConsoleLog,
    /// The same client came back after a fault rule sent it away: when, in which session.
    pub retried: Option<String>,
}

impl WatchedSession {
    /// A line for the session list: who, when, how many messages, how it ended.
    pub fn result(&self) -> String {
        let how = match &self.ended {
            Some(how) => how.clone(),
            None => "in progress".into(),
        };
        // The client's reaction to an injected fault is the lesson: it comes first.
        let mut said = String::new();
        if let Some(reaction) = self.console.reactions.last() {
            said.push_str("fault → ");
            said.push_str(&reaction.short());
            if let Some(retry) = &self.retried {
                said.push_str(", ");
                said.push_str(retry);
            }
            said.push_str(" · ");
        }
        said.push_str(&how);
        said
    }

    /// The address part of `client` (`192.0.2.1:40000` → `192.0.2.1`).
    fn client_ip(&self) -> &str {
        self.client.rsplit_once(':').map_or(self.client.as_str(), |(ip, _)| ip)
    }
}

#[derive(Default)]
pub struct WatchedServer {
    pub link: FeedLink,
    /// Where real clients connect.
    pub smtp: String,
    /// The configuration new connections get.
    pub config: Option<ServerConfig>,
    pub sessions: Vec<WatchedSession>,
    /// The stored mail, with the session each message came in.
    pub messages: Vec<StoredMessage>,
    pub message_sessions: std::collections::HashMap<String, u64>,
    /// The session the console shows; `None` follows the newest.
    pub watched: Option<u64>,
    /// The last thing the server refused or dropped, for the page to say.
    pub notice: Option<String>,
    /// Whether this page may delete mail and change the server (the teacher's admin token).
    pub access: Access,
    /// The host this page was loaded from: a server on every address is reached there.
    pub page_host: String,
}

impl WatchedServer {
    /// A new session from a client that a fault rule sent away earlier is its retry: the
    /// earlier session says so, and the new one says what it retries.
    fn note_retry(&mut self) {
        let Some((new, earlier)) = self.sessions.split_last_mut() else { return };
        let Some(left) = earlier.iter_mut().rev().find(|s| s.client_ip() == new.client_ip() && s.retried.is_none() && s.console.reactions.last().is_some_and(Reaction::left))
        else {
            return;
        };
        let after = new.started.saturating_sub(left.started) / 1000;
        left.retried = Some(format!("retried later (session {}, {after} s after)", new.id));
        new.console.notice(smtp_protocol::Timestamp(new.started), format!("This client is retrying: a fault rule sent it away in session {}.", left.id), Tone::Info);
    }

    /// Forgets what an earlier connection of the feed said: the snapshot repeats it.
    pub fn connecting(&mut self) {
        let (watched, page_host) = (self.watched, std::mem::take(&mut self.page_host));
        *self = WatchedServer { link: FeedLink::Connecting, watched, page_host, ..Default::default() };
    }

    /// Where a mail client reaches the server: a server listening on every address (0.0.0.0
    /// or [::]) is reached at the host this page came from, on the same port.
    pub fn reachable_smtp(&self) -> String {
        let page_host = self.page_host.as_str();
        match self.smtp.rsplit_once(':') {
            Some((host, port)) if matches!(host, "0.0.0.0" | "[::]" | "::") && !page_host.is_empty() => {
                let host = if page_host.contains(':') && !page_host.starts_with('[') { format!("[{page_host}]") } else { page_host.to_string() };
                format!("{host}:{port}")
            }
            _ => self.smtp.clone(),
        }
    }

    /// The session the console shows.
    pub fn shown(&self) -> Option<&WatchedSession> {
        match self.watched {
            Some(id) => self.sessions.iter().find(|s| s.id == id),
            None => self.sessions.last(),
        }
    }

    /// The console of the session shown (an empty one before any client came).
    pub fn console(&self) -> &ConsoleLog {
        static EMPTY: std::sync::OnceLock<ConsoleLog> = std::sync::OnceLock::new();
        match self.shown() {
            Some(session) => &session.console,
            None => EMPTY.get_or_init(|| ConsoleLog::new(Voice::Watcher)),
        }
    }

    /// One frame from the feed, as text; a frame that is not one is said, never trusted.
    pub fn receive_text(&mut self, text: &str) {
        match serde_json::from_str::<ToWatcher>(text) {
            Ok(frame) => self.receive(frame),
            Err(_) => self.notice = Some("The mock server sent a message this page does not understand: reload the page, or use the same version of smtp-bridge and page.".into()),
        }
    }

    pub fn receive(&mut self, frame: ToWatcher) {
        match frame {
            ToWatcher::Hello { v, smtp, config, access, .. } => {
                self.access = access;
                if v != VERSION {
                    self.notice = Some(format!(
                        "This mock server speaks version {v} of the live feed and this page version {VERSION}: some of it may not show. Reload the page the server serves."
                    ));
                }
                self.link = FeedLink::Open;
                self.smtp = smtp;
                self.config = Some(config);
            }
            ToWatcher::Session { session, client, started, summary } => {
                if self.sessions.len() >= KEPT_SESSIONS {
                    let gone = self.sessions.remove(0);
                    if self.watched == Some(gone.id) {
                        self.watched = None;
                    }
                }
                let summary = summary.unwrap_or_default();
                self.sessions.push(WatchedSession {
                    id: session,
                    client,
                    started,
                    messages: summary.messages,
                    ended: summary.result,
                    account: summary.account,
                    helo: summary.helo,
                    senders: Vec::new(),
                    console: ConsoleLog::new(Voice::Watcher),
                    retried: None,
                });
                self.note_retry();
            }
            ToWatcher::Event { session, event, skipped } => {
                let Some(config) = &self.config else { return };
                let Some(watched) = self.sessions.iter_mut().find(|s| s.id == session) else { return };
                if skipped > 0 {
                    watched.console.notice(event.at(), format!("{skipped} earlier events of this long session are not kept."), Tone::Info);
                }
                match &event {
                    Event::MessageAccepted { envelope, .. } => {
                        watched.messages += 1;
                        let sender = envelope.sender_address();
                        if !watched.senders.contains(&sender) {
                            watched.senders.push(sender);
                        }
                    }
                    Event::ReplySent { state, .. } if state.client_name.is_some() => watched.helo = state.client_name.as_deref().map(String::from),
                    Event::AuthSucceeded { user, .. } => watched.account = Some(user.clone()),
                    Event::Closed { by, reason, .. } => watched.ended = Some(format!("closed by {}: {reason}", closer_words(*by))),
                    _ => {}
                }
                watched.console.record(event, Some(config));
            }
            ToWatcher::Message { message, session, .. } => {
                self.message_sessions.insert(message.queue_id.clone(), session);
                if let Some(watched) = self.sessions.iter_mut().find(|s| s.id == session) {
                    let sender = message.envelope.sender_address();
                    if !watched.senders.contains(&sender) {
                        watched.senders.push(sender);
                    }
                }
                self.messages.push(message);
            }
            ToWatcher::Removed { queue_ids, why } => {
                self.messages.retain(|m| !queue_ids.contains(&m.queue_id));
                if why == Removal::Dropped {
                    self.notice = Some(format!("The mock server's store is full: its oldest message ({}) was dropped to make room.", queue_ids.join(", ")));
                }
            }
            ToWatcher::Config { config } => self.config = Some(config),
            ToWatcher::Access { access } => {
                if access.writable() {
                    self.notice = Some("Unlocked: this page may now delete mail and change the mock server's settings (until the tab is closed).".into());
                }
                self.access = access;
            }
            ToWatcher::Refused { reason } => self.notice = Some(format!("The mock server refused: {reason}")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::entry::EntryKind;
    use smtp_protocol::{Peer, ProfileName, Server, Timestamp};

    /// The frames a mock server sends for one client session.
    fn frames(id: u64, lines: &str) -> Vec<ToWatcher> {
        let mut server = Server::new(ServerConfig::new(ProfileName::Mock), Peer { ip: "127.0.0.1".into() }, Timestamp(1_000));
        server.handle_input(lines.as_bytes(), Timestamp(2_000));
        let mut out = vec![ToWatcher::Session { session: id, client: "127.0.0.1:40000".into(), started: 1_000, summary: None }];
        while let Some(event) = server.poll_event() {
            out.push(ToWatcher::Event { session: id, event, skipped: 0 });
        }
        for message in server.take_messages() {
            out.push(ToWatcher::Message { id: 9, session: id, message });
        }
        out
    }

    fn hello() -> ToWatcher {
        ToWatcher::Hello { v: VERSION, smtp: "127.0.0.1:2525".into(), config: ServerConfig::new(ProfileName::Mock), max_messages: 1000, access: Access::ReadWrite }
    }

    #[test]
    fn a_real_clients_session_is_explained_like_a_simulated_one() {
        let mut feed = WatchedServer::default();
        feed.receive(hello());
        for frame in frames(1, "EHLO a\r\nRCPT TO:<x@y.example>\r\nMAIL FROM:<a@b.example>\r\nRCPT TO:<x@y.example>\r\nDATA\r\nSubject: s\r\n\r\nhi\r\n.\r\nQUIT\r\n") {
            feed.receive(frame);
        }
        let shown = feed.shown().unwrap();
        assert_eq!((shown.messages, feed.messages.len()), (1, 1));
        assert!(shown.result().contains("closed by the client"), "{}", shown.result());
        let why = shown.console.entries.iter().find_map(|e| match &e.kind {
            EntryKind::Reply { reply, explanation, .. } if reply.code == 503 => Some(explanation.why.clone()),
            _ => None,
        });
        assert!(why.unwrap().contains("before MAIL FROM"));
        assert!(feed.console().transcript().contains("C: RCPT TO:<x@y.example>\nS: 503"), "{}", feed.console().transcript());
    }

    /// Frames of one session against a mock with `rules`, started at `started` ms.
    fn faulted(id: u64, rules: &[&str], started: u64, lines: &str) -> Vec<ToWatcher> {
        let mut config = ServerConfig::new(ProfileName::Mock);
        config.policy.faults = rules.iter().map(|r| smtp_protocol::fault::FaultRule::parse(r).unwrap()).collect();
        let mut server = Server::new(config, Peer { ip: "127.0.0.1".into() }, Timestamp(started));
        server.handle_input(lines.as_bytes(), Timestamp(started + 1_000));
        server.handle_client_close(Timestamp(started + 2_000));
        let mut out = vec![ToWatcher::Session { session: id, client: format!("127.0.0.1:{}", 40_000 + id), started, summary: None }];
        while let Some(event) = server.poll_event() {
            out.push(ToWatcher::Event { session: id, event, skipped: 0 });
        }
        out
    }

    #[test]
    fn a_clients_reaction_to_each_injected_fault_is_said_and_a_later_retry_noted() {
        let mut feed = WatchedServer::default();
        feed.receive(hello());
        let rules = ["rcpt#2 => 452 4.2.2 Mailbox full", "mail#2 => 451 4.3.0 Try later"];
        let first = "EHLO a\r\nMAIL FROM:<a@b.example>\r\nRCPT TO:<x@y.example>\r\nRCPT TO:<z@y.example>\r\nRCPT TO:<w@y.example>\r\nDATA\r\nSubject: s\r\n\r\nhi\r\n.\r\nMAIL FROM:<a@b.example>\r\nQUIT\r\n";
        faulted(1, &rules, 1_000, first).into_iter().chain(faulted(2, &[], 301_000, "EHLO a\r\nQUIT\r\n")).for_each(|f| feed.receive(f));
        let one = feed.sessions.iter().find(|s| s.id == 1).unwrap();
        assert_eq!(one.console.reactions, [Reaction::OtherRecipients, Reaction::GaveUp]);
        let said: Vec<String> = one
            .console
            .entries
            .iter()
            .filter_map(|e| match &e.kind {
                EntryKind::Notice { text, .. } => Some(text.clone()),
                _ => None,
            })
            .collect();
        assert!(said.iter().any(|t| t == "After the injected fault, the client went on with the other recipients."), "{said:?}");
        assert_eq!(one.result(), "fault → gave up (QUIT), retried later (session 2, 300 s after) · closed by the client: QUIT");
    }

    #[test]
    fn the_console_follows_the_newest_session_unless_one_is_chosen() {
        let mut feed = WatchedServer::default();
        feed.receive(hello());
        frames(1, "EHLO a\r\n").into_iter().chain(frames(2, "HELO b\r\n")).for_each(|f| feed.receive(f));
        assert_eq!(feed.shown().unwrap().id, 2);
        feed.watched = Some(1);
        assert_eq!(feed.shown().unwrap().id, 1);
        // A reconnect of the feed starts over from the snapshot but keeps the choice.
        feed.connecting();
        assert!(feed.sessions.is_empty());
        assert_eq!(feed.watched, Some(1));
    }

    #[test]
    fn an_unspecified_address_is_shown_as_the_host_the_page_came_from() {
        let mut feed = WatchedServer { smtp: "0.0.0.0:12525".into(), page_host: "lab-pc.school.example".into(), ..Default::default() };
        assert_eq!(feed.reachable_smtp(), "lab-pc.school.example:12525");
        feed.connecting();
        feed.smtp = "127.0.0.1:2525".into();
        assert_eq!(feed.reachable_smtp(), "127.0.0.1:2525");
    }

    #[test]
    fn a_read_only_server_says_so_and_unlocks() {
        let mut feed = WatchedServer::default();
        let reason = "needs the admin token".to_string();
        feed.receive(ToWatcher::Hello {
            v: VERSION,
            smtp: "127.0.0.1:2525".into(),
            config: ServerConfig::new(ProfileName::Mock),
            max_messages: 10,
            access: Access::ReadOnly { reason, unlockable: true },
        });
        assert!(!feed.access.writable());
        feed.receive(ToWatcher::Access { access: Access::ReadWrite });
        assert!(feed.access.writable());
    }

    #[test]
    fn removed_and_refused_and_garbage_are_said() {
        let mut feed = WatchedServer::default();
        feed.receive(hello());
        frames(1, "EHLO a\r\nMAIL FROM:<a@b.example>\r\nRCPT TO:<x@y.example>\r\nDATA\r\n\r\nhi\r\n.\r\n").into_iter().for_each(|f| feed.receive(f));
        let queue_id = feed.messages[0].queue_id.clone();
        feed.receive(ToWatcher::Removed { queue_ids: vec![queue_id], why: Removal::Dropped });
        assert!(feed.messages.is_empty());
        assert!(feed.notice.take().unwrap().contains("dropped"));
        feed.receive_text("{\"type\":\"surprise\"}");
        assert!(feed.notice.take().unwrap().contains("does not understand"));
        feed.receive(ToWatcher::Refused { reason: "no".into() });
        assert!(feed.notice.is_some());
    }
}
