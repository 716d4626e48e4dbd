//! The class's view of a watched mock server: which sessions the list shows (a filter on the
//! client, its EHLO name, a sender, the account), how they are grouped (by client address or by
//! account, as a teacher checks group by group), and which mail the Mailbox shows (all, or the
//! chosen session's or group's).

use super::watched::{WatchedServer, WatchedSession};
use smtp_protocol::StoredMessage;

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum GroupBy {
    #[default]
    Nothing,
    /// The client's address without its port: one lab machine.
    Client,
    /// The AUTH account: one group, whatever machine it used.
    Account,
}

/// What the teacher chose in the session list.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ClassView {
    pub filter: String,
    pub group_by: GroupBy,
    /// The Mailbox shows only the chosen session's mail (or its group's, when grouped).
    pub narrow_mailbox: bool,
}

/// A line of the session list: a group's heading, or a session.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ListItem {
    Group { name: String, sessions: usize },
    Session { id: u64, client: String, started: u64, messages: usize, result: String, account: Option<String> },
}

fn host_of(client: &str) -> &str {
    client.rsplit_once(':').map_or(client, |(host, _)| host)
}

impl ClassView {
    fn group_of(&self, session: &WatchedSession) -> String {
        match self.group_by {
            GroupBy::Nothing => String::new(),
            GroupBy::Client => host_of(&session.client).to_string(),
            GroupBy::Account => session.account.clone().unwrap_or_else(|| "(not logged in)".into()),
        }
    }

    fn keeps(&self, session: &WatchedSession) -> bool {
        let needle = self.filter.trim().to_ascii_lowercase();
        if needle.is_empty() {
            return true;
        }
        let has = |text: &str| text.to_ascii_lowercase().contains(&needle);
        has(&session.client) || session.helo.as_deref().is_some_and(has) || session.account.as_deref().is_some_and(has) || session.senders.iter().any(|s| has(s))
    }

    /// The list's lines, newest first (within each group, groups in the order of their newest).
    pub fn items(&self, server: &WatchedServer) -> Vec<ListItem> {
        let kept: Vec<&WatchedSession> = server.sessions.iter().rev().filter(|s| self.keeps(s)).collect();
        let item =
            |s: &WatchedSession| ListItem::Session { id: s.id, client: s.client.clone(), started: s.started, messages: s.messages, result: s.result(), account: s.account.clone() };
        if self.group_by == GroupBy::Nothing {
            return kept.into_iter().map(item).collect();
        }
        let mut groups: Vec<(String, Vec<&WatchedSession>)> = Vec::new();
        for session in kept {
            let name = self.group_of(session);
            match groups.iter_mut().find(|(n, _)| *n == name) {
                Some((_, members)) => members.push(session),
                None => groups.push((name, vec![session])),
            }
        }
        groups.into_iter().flat_map(|(name, members)| std::iter::once(ListItem::Group { name, sessions: members.len() }).chain(members.into_iter().map(item))).collect()
    }

    /// The mail the Mailbox shows.
    pub fn mailbox(&self, server: &WatchedServer) -> Vec<StoredMessage> {
        let Some(shown) = server.shown().filter(|_| self.narrow_mailbox) else { return server.messages.clone() };
        let in_view = |session: u64| match self.group_by {
            GroupBy::Nothing => session == shown.id,
            _ => server.sessions.iter().find(|s| s.id == session).is_some_and(|s| self.group_of(s) == self.group_of(shown)),
        };
        server.messages.iter().filter(|m| server.message_sessions.get(&m.queue_id).is_some_and(|s| in_view(*s))).cloned().collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use smtp_protocol::watch::{Access, SessionSummary, ToWatcher, VERSION};
    use smtp_protocol::{Peer, ProfileName, Server, ServerConfig, Timestamp};

    /// A class: two groups on two machines, group1 twice; and one session older than the
    /// snapshot's detail, known by its summary alone.
    fn class() -> WatchedServer {
        let mut server = WatchedServer::default();
        server.receive(ToWatcher::Hello { v: VERSION, smtp: "127.0.0.1:2525".into(), config: ServerConfig::new(ProfileName::Mock), max_messages: 100, access: Access::ReadWrite });
        let summary = SessionSummary { messages: 0, result: Some("closed by the client: QUIT".into()), helo: Some("old.lab".into()), account: None };
        server.receive(ToWatcher::Session { session: 1, client: "192.0.2.9:4000".into(), started: 10, summary: Some(summary) });
        for (id, client, user) in [(2, "192.0.2.1:5000", "group1"), (3, "192.0.2.2:5001", "group2"), (4, "192.0.2.1:5002", "group1")] {
            let mut config = ServerConfig::new(ProfileName::Mock);
            config.policy.accounts.push(smtp_protocol::profile::Account { user: user.into(), password: "pw".into() });
            config.seed = id; // distinct queue ids, as the mock server gives each session
            let mut simulated = Server::new(config, Peer { ip: client.split(':').next().unwrap().into() }, Timestamp(1_000));
            let plain = base64_plain(user);
            simulated.handle_input(
                format!("EHLO pc{id}.lab\r\nAUTH PLAIN {plain}\r\nMAIL FROM:<{user}@lab.example>\r\nRCPT TO:<x@y.example>\r\nDATA\r\nSubject: {id}\r\n\r\nx\r\n.\r\n").as_bytes(),
                Timestamp(2_000),
            );
            server.receive(ToWatcher::Session { session: id, client: client.into(), started: id * 100, summary: None });
            while let Some(event) = simulated.poll_event() {
                server.receive(ToWatcher::Event { session: id, event, skipped: 0 });
            }
            for message in simulated.take_messages() {
                server.receive(ToWatcher::Message { id, session: id, message });
            }
        }
        server
    }

    fn base64_plain(user: &str) -> String {
        use base64::Engine;
        base64::engine::general_purpose::STANDARD.encode(format!("\0{user}\0pw"))
    }

    fn ids(items: &[ListItem]) -> Vec<String> {
        items
            .iter()
            .map(|i| match i {
                ListItem::Group { name, sessions } => format!("[{name} {sessions}]"),
                ListItem::Session { id, .. } => id.to_string(),
            })
            .collect()
    }

    #[test]
    fn every_session_is_listed_filtered_and_grouped() {
        let server = class();
        let mut view = ClassView::default();
        assert_eq!(ids(&view.items(&server)), ["4", "3", "2", "1"], "the summarised session too");
        view.filter = "GROUP1".into();
        assert_eq!(ids(&view.items(&server)), ["4", "2"], "by account");
        view.filter = "pc3.lab".into();
        assert_eq!(ids(&view.items(&server)), ["3"], "by EHLO name");
        view.filter = "group2@lab".into();
        assert_eq!(ids(&view.items(&server)), ["3"], "by sender");
        view.filter.clear();
        view.group_by = GroupBy::Account;
        assert_eq!(ids(&view.items(&server)), ["[group1 2]", "4", "2", "[group2 1]", "3", "[(not logged in) 1]", "1"]);
        view.group_by = GroupBy::Client;
        assert_eq!(ids(&view.items(&server)), ["[192.0.2.1 2]", "4", "2", "[192.0.2.2 1]", "3", "[192.0.2.9 1]", "1"]);
    }

    #[test]
    fn the_mailbox_narrows_to_the_chosen_session_or_its_group() {
        let mut server = class();
        let mut view = ClassView::default();
        assert_eq!(view.mailbox(&server).len(), 3);
        view.narrow_mailbox = true;
        server.watched = Some(2);
        assert_eq!(view.mailbox(&server).len(), 1);
        view.group_by = GroupBy::Account;
        assert_eq!(view.mailbox(&server).len(), 2, "group1's two messages");
    }
}
