//! The store's tests: budgets, ordering for watchers, the Maildir copy.

use super::*;
use smtp_protocol::{Peer, ProfileName, Server, ServerConfig, Timestamp};

/// What the mock profile's server parses commands with.
fn leniency() -> Leniency {
    ServerConfig::new(ProfileName::Mock).policy.leniency
}

fn messages(n: usize) -> (Vec<Event>, Vec<StoredMessage>) {
    let mut server = Server::new(ServerConfig::new(ProfileName::Mock), Peer::default(), Timestamp(1_000));
    server.handle_input(b"EHLO a\r\n", Timestamp(1_001));
    for i in 0..n {
        server.handle_input(format!("MAIL FROM:<a@b.example>\r\nRCPT TO:<c@d.example>\r\nDATA\r\nSubject: {i}\r\n\r\nx\r\n.\r\n").as_bytes(), Timestamp(1_002));
    }
    let mut events = vec![];
    while let Some(e) = server.poll_event() {
        events.push(e);
    }
    (events, server.take_messages())
}

#[test]
fn the_oldest_message_makes_room_and_watchers_are_told() {
    let store = Store::new(StoreLimits::messages(2), None).unwrap();
    let session = store.open_session("127.0.0.1:1".into(), 1, leniency());
    let (_, mut feed) = store.watch(ToWatcher::Refused { reason: "hello".into() });
    let (events, stored) = messages(3);
    let first = stored[0].queue_id.clone();
    store.record(session, events, stored);
    assert_eq!(store.messages().len(), 2);
    assert_eq!(store.dropped(), 1);
    let mut frames = vec![];
    while let Ok(frame) = feed.try_recv() {
        frames.push(frame.to_string());
    }
    assert!(frames.iter().any(|f| f.contains("\"removed\"") && f.contains(&first) && f.contains("dropped")), "{frames:?}");
    assert_eq!(frames.iter().filter(|f| f.contains("\"type\":\"message\"")).count(), 3);
    assert_eq!(store.with_sessions(|s| s[0].messages), 3);
}

#[test]
fn mail_beyond_the_octet_budget_drops_the_oldest_but_never_the_newest() {
    let (events, stored) = messages(4);
    let size = message_octets(&stored[0]);
    // Room for two and a half messages: the third pushes the first out.
    let store = Store::new(StoreLimits { message_octets: size * 5 / 2, ..StoreLimits::messages(10) }, None).unwrap();
    let session = store.open_session("127.0.0.1:1".into(), 1, leniency());
    let (_, mut feed) = store.watch(ToWatcher::Refused { reason: "hello".into() });
    let first = stored[0].queue_id.clone();
    store.record(session, events, stored[..3].to_vec());
    assert_eq!(store.messages().iter().map(|c| c.message.queue_id.clone()).collect::<Vec<_>>(), vec![stored[1].queue_id.clone(), stored[2].queue_id.clone()]);
    assert_eq!((store.dropped(), store.octets().0), (1, 2 * size));
    let mut frames = vec![];
    while let Ok(frame) = feed.try_recv() {
        frames.push(frame.to_string());
    }
    assert!(frames.iter().any(|f| f.contains("\"removed\"") && f.contains(&first) && f.contains("dropped")), "{frames:?}");
    // A message larger than the whole budget is kept, alone.
    let mut big = stored[3].clone();
    big.raw = vec![b'x'; (size * 3) as usize];
    store.record(session, vec![], vec![big.clone()]);
    assert_eq!(store.messages().len(), 1);
    assert_eq!((store.dropped(), store.octets().0), (3, 3 * size));
    // Deleting gives the octets back.
    store.delete(|_| true);
    assert_eq!(store.octets().0, 0);
}

#[test]
fn events_beyond_their_budget_leave_the_oldest_sessions_first() {
    // Sessions of a few blocks each: the budget takes whole blocks.
    let (events, _) = messages(30);
    let mut log = EventLog::default();
    for event in &events {
        log.push_back(event.clone(), Some(leniency()));
    }
    let weight = log.octets();
    // Room for two and a half sessions' events.
    let store = Store::new(StoreLimits { event_octets: weight * 5 / 2, ..StoreLimits::messages(10) }, None).unwrap();
    let sessions: Vec<u64> = (0..3).map(|i| store.open_session(format!("127.0.0.1:{i}"), i, leniency())).collect();
    for &session in &sessions {
        store.record(session, events.clone(), vec![]);
    }
    let total = store.octets().1;
    assert!(total <= weight * 5 / 2);
    store.with_sessions(|s| {
        // The oldest lost some of its events, the newer two none; the totals agree.
        assert!(s[0].skipped > 0 && s[0].events.len() < events.len(), "{} kept", s[0].events.len());
        assert_eq!((s[1].skipped, s[2].skipped), (0, 0));
        assert_eq!(s[0].events.iter().last().as_ref(), events.last());
        assert_eq!(s.iter().map(SessionRecord::octets).sum::<usize>(), total);
        assert!(s[0].transcript().starts_with(&format!("-- {} earlier events not kept", s[0].skipped)));
    });
}

#[test]
fn a_long_session_keeps_its_latest_events() {
    let store = Store::new(StoreLimits::messages(10), None).unwrap();
    let session = store.open_session("127.0.0.1:1".into(), 1, leniency());
    let (events, _) = messages(1);
    let per_message = events.len();
    for _ in 0..(MAX_EVENTS_PER_SESSION / per_message + 5) {
        store.record(session, events.clone(), vec![]);
    }
    store.with_sessions(|s| {
        assert_eq!(s[0].events.len(), MAX_EVENTS_PER_SESSION);
        assert!(s[0].skipped > 0);
        assert!(s[0].transcript().starts_with(&format!("-- {} earlier events not kept", s[0].skipped)));
    });
    let (frames, _) = store.watch(ToWatcher::Refused { reason: "hello".into() });
    assert!(frames[2].contains("\"skipped\""), "{}", frames[2]);
}

/// `--events-per-session`: a few keeps the latest few; none keeps the session's summary, and
/// a page that watches still sees every event as it happens.
#[test]
fn events_per_session_bounds_what_each_session_keeps() {
    let (events, stored) = messages(2);
    for limit in [0, 7] {
        let store = Store::new(StoreLimits { events_per_session: limit, ..StoreLimits::messages(10) }, None).unwrap();
        let session = store.open_session("127.0.0.1:1".into(), 1, leniency());
        let (_, mut feed) = store.watch(ToWatcher::Refused { reason: "hello".into() });
        store.record(session, events.clone(), stored.clone());
        store.with_sessions(|s| {
            assert!(s[0].events.iter().eq(events[events.len() - limit..].iter().cloned()));
            assert_eq!(s[0].skipped as usize, events.len() - limit);
            assert_eq!((s[0].messages, s[0].helo.as_deref()), (2, Some("a")));
            assert_eq!(s[0].octets() == 0, limit == 0);
        });
        let live = std::iter::from_fn(|| feed.try_recv().ok()).filter(|f| f.contains("\"type\":\"event\"")).count();
        assert_eq!(live, events.len());
        assert_eq!(store.messages().len(), 2);
    }
}

/// A session's events go to its own record while older sessions are forgotten before it
/// (its index moves) and after every session is deleted (it has none): never to another's.
#[test]
fn a_session_is_found_where_it_moved_to() {
    let store = Store::new(StoreLimits { sessions: 3, ..StoreLimits::messages(10) }, None).unwrap();
    let (events, _) = messages(1);
    let open = |n: u16| store.open_session(format!("127.0.0.1:{n}"), 1, leniency());
    let (first, second) = (open(1), open(2));
    let mut hint = u64::MAX;
    store.record_at(second, &mut hint, events[..2].iter().cloned(), vec![]);
    let (third, fourth) = (open(3), open(4));
    store.record_at(second, &mut hint, events[2..].iter().cloned(), vec![]);
    store.with_sessions(|s| {
        let ids: Vec<u64> = s.iter().map(|r| r.id).collect();
        assert_eq!(ids, [second, third, fourth], "{first} is forgotten");
        assert!(s[0].events.iter().eq(events.iter().cloned()));
        assert!(s[1].events.is_empty() && s[2].events.is_empty());
    });
    store.delete_sessions();
    let fifth = open(5);
    store.record_at(second, &mut hint, events.iter().cloned(), vec![]);
    store.with_sessions(|s| assert!(s.len() == 1 && s[0].id == fifth && s[0].events.is_empty()));
}

/// Frames are built and sent while a page watches, and not once the last has gone.
#[test]
fn pages_are_counted_while_they_watch() {
    let store = Store::new(StoreLimits::messages(10), None).unwrap();
    assert!(!store.watched());
    let hello = || ToWatcher::Refused { reason: "hello".into() };
    let ((_, first), (_, second)) = (store.watch(hello()), store.watch(hello()));
    assert!(store.watched());
    drop(first);
    assert!(store.watched());
    drop(second);
    assert!(!store.watched());
}

#[test]
fn a_page_joining_a_busy_server_gets_the_latest_events_only() {
    let store = Store::new(StoreLimits::messages(10), None).unwrap();
    let (events, _) = messages(1);
    let sessions: Vec<u64> = (0..4).map(|i| store.open_session(format!("127.0.0.1:{i}"), i, leniency())).collect();
    for &session in &sessions {
        for _ in 0..(MAX_EVENTS_PER_SESSION / events.len()) {
            store.record(session, events.clone(), vec![]);
        }
    }
    let (frames, _) = store.watch(ToWatcher::Refused { reason: "hello".into() });
    let event_frames = frames.iter().filter(|f| f.contains("\"type\":\"event\"")).count();
    assert_eq!(event_frames, SNAPSHOT_EVENTS);
    // The two newest sessions fill the budget; the older ones are only in the API.
    let opened: Vec<&Arc<str>> = frames.iter().filter(|f| f.contains("\"type\":\"session\"")).collect();
    assert_eq!(opened.len(), 2, "{opened:?}");
    assert!(opened[0].contains("127.0.0.1:2") && opened[1].contains("127.0.0.1:3"));
}

/// A page that joins late sees every kept session in its list: the newest with their
/// events, the older by their summaries.
#[test]
fn a_late_watcher_gets_every_session_the_older_by_summary() {
    let store = Store::new(StoreLimits::messages(10), None).unwrap();
    for i in 0..(SNAPSHOT_SESSIONS + 10) {
        let id = store.open_session(format!("192.0.2.{}:4000", i % 200), i as u64, leniency());
        let (events, messages) = messages(1);
        store.record(id, events, messages);
    }
    let hello = ToWatcher::Hello { v: 1, smtp: String::new(), config: ServerConfig::new(ProfileName::Mock), max_messages: 10, access: Default::default() };
    let (frames, _) = store.watch(hello);
    let sessions: Vec<ToWatcher> = frames.iter().map(|f| serde_json::from_str(f).unwrap()).filter(|f| matches!(f, ToWatcher::Session { .. })).collect();
    assert_eq!(sessions.len(), SNAPSHOT_SESSIONS + 10);
    let summarised = sessions.iter().filter(|f| matches!(f, ToWatcher::Session { summary: Some(s), .. } if s.messages == 1)).count();
    assert_eq!(summarised, 10);
}
