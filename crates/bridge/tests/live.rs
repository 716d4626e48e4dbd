//! The mock server's live feed (`/api/v1/live`) as a watching page sees it: the snapshot, then
//! each session's events as a real client's bytes arrive, stored mail, a configuration changed
//! from the page applying to the next connection, deletes, and the Origin check.

mod common;

use common::{get, request_with_body, start_mock};
use futures_util::{SinkExt, StreamExt};
use smtp_protocol::event::Event;
use smtp_protocol::watch::{ToWatcher, VERSION};
use std::net::SocketAddr;
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;

type Ws = common::Ws;

async fn watch(http: SocketAddr, origin: &str) -> Result<Ws, tokio_tungstenite::tungstenite::Error> {
    let mut request = format!("ws://{http}/api/v1/live").into_client_request().unwrap();
    request.headers_mut().insert("origin", origin.parse().unwrap());
    tokio_tungstenite::connect_async(request).await.map(|(ws, _)| ws)
}

async fn next(ws: &mut Ws) -> ToWatcher {
    loop {
        match tokio::time::timeout(Duration::from_secs(10), ws.next()).await.expect("the feed speaks") {
            Some(Ok(Message::Text(text))) => return serde_json::from_str(&text).unwrap_or_else(|e| panic!("{e}: {text}")),
            Some(Ok(_)) => {}
            other => panic!("the feed ended: {other:?}"),
        }
    }
}

/// Frames until one matches; the ones before it.
async fn until(ws: &mut Ws, want: impl Fn(&ToWatcher) -> bool) -> (ToWatcher, Vec<ToWatcher>) {
    let mut seen = vec![];
    loop {
        let frame = next(ws).await;
        if want(&frame) {
            return (frame, seen);
        }
        seen.push(frame);
    }
}

/// A client session over raw TCP: each line is sent, and its reply read, in turn.
async fn client(smtp: SocketAddr, lines: &[&str]) -> String {
    let mut tcp = tokio::net::TcpStream::connect(smtp).await.unwrap();
    let mut all = String::new();
    let mut buf = vec![0u8; 8192];
    let mut read_reply = async |tcp: &mut tokio::net::TcpStream, all: &mut String| loop {
        let n = tcp.read(&mut buf).await.unwrap();
        all.push_str(&String::from_utf8_lossy(&buf[..n]));
        if n == 0 || all.ends_with("\r\n") && all.lines().last().is_some_and(|l| l.as_bytes().get(3) == Some(&b' ')) {
            return;
        }
    };
    read_reply(&mut tcp, &mut all).await;
    for line in lines {
        tcp.write_all(format!("{line}\r\n").as_bytes()).await.unwrap();
        read_reply(&mut tcp, &mut all).await;
    }
    all
}

const SESSION: &[&str] = &["EHLO lab.test", "MAIL FROM:<a@lab.test>", "RCPT TO:<b@elsewhere.example>", "DATA", "Subject: watched\r\n\r\nhi\r\n.", "QUIT"];

#[tokio::test]
async fn a_page_watches_a_real_client_session_as_it_happens() {
    let (smtp, http) = start_mock().await;
    let mut ws = watch(http, &format!("http://{http}")).await.unwrap();
    let ToWatcher::Hello { v, smtp: address, config, .. } = next(&mut ws).await else { panic!("hello first") };
    assert_eq!((v, address, config.profile.id()), (VERSION, smtp.to_string(), "mock"));

    let transcript = client(smtp, SESSION).await;
    assert!(transcript.contains("250 2.0.0 Ok: queued as"), "{transcript}");

    let (ToWatcher::Session { session, client, .. }, _) = until(&mut ws, |f| matches!(f, ToWatcher::Session { .. })).await else { unreachable!() };
    assert!(client.starts_with("127.0.0.1:"), "{client}");
    let (message, before) = until(&mut ws, |f| matches!(f, ToWatcher::Message { .. })).await;
    let replies: Vec<u16> = before
        .iter()
        .filter_map(|f| match f {
            ToWatcher::Event { event: Event::ReplySent { reply, .. }, session: s, .. } if *s == session => Some(reply.code),
            _ => None,
        })
        .collect();
    assert_eq!(replies, vec![220, 250, 250, 250, 354, 250], "every reply, in order, before the message");
    let ToWatcher::Message { message, session: from, .. } = message else { unreachable!() };
    assert_eq!(from, session);
    let stored = message;
    assert!(String::from_utf8_lossy(&stored.raw).contains("Subject: watched"));
    let (ToWatcher::Event { event: Event::Closed { .. }, .. }, _) = until(&mut ws, |f| matches!(f, ToWatcher::Event { event: Event::Closed { .. }, .. })).await else {
        unreachable!()
    };

    // A page opened later gets the same session and mail from the snapshot.
    let mut late = watch(http, &format!("http://{http}")).await.unwrap();
    let mut snapshot = vec![];
    loop {
        let frame = next(&mut late).await;
        let done = matches!(frame, ToWatcher::Message { .. });
        snapshot.push(frame);
        if done {
            break;
        }
    }
    assert!(matches!(snapshot[0], ToWatcher::Hello { .. }));
    assert!(snapshot.iter().any(|f| matches!(f, ToWatcher::Session { session: s, .. } if *s == session)));
    assert_eq!(snapshot.iter().filter(|f| matches!(f, ToWatcher::Event { event: Event::ReplySent { .. }, .. })).count(), 7, "the whole session, QUIT's 221 included");
}

#[tokio::test]
async fn the_page_changes_the_next_connection_and_deletes_mail() {
    let (smtp, http) = start_mock().await;
    let mut ws = watch(http, &format!("http://{http}")).await.unwrap();
    let ToWatcher::Hello { mut config, .. } = next(&mut ws).await else { panic!() };
    client(smtp, SESSION).await;
    let (ToWatcher::Message { message, .. }, _) = until(&mut ws, |f| matches!(f, ToWatcher::Message { .. })).await else { unreachable!() };

    config.policy.auth_required = true;
    let request = serde_json::json!({"type": "configure", "v": VERSION, "config": config});
    ws.send(Message::Text(request.to_string().into())).await.unwrap();
    let (ToWatcher::Config { config: now }, _) = until(&mut ws, |f| matches!(f, ToWatcher::Config { .. })).await else { unreachable!() };
    assert!(now.policy.auth_required);
    let (status, body) = get(http, "/api/v1/config").await;
    assert_eq!(status, 200);
    assert!(body.contains("\"auth_required\":true"), "{body}");
    let refused = client(smtp, &["EHLO lab.test", "MAIL FROM:<a@lab.test>", "QUIT"]).await;
    assert!(refused.contains("\r\n530 5.7.0"), "{refused}");

    // A configuration the server cannot run with is refused, from the page and from the API,
    // with what to change; the one in force stays.
    let mut forged = now.clone();
    forged.policy.hostname = "mx.lab.test\r\n250 forged".into();
    let request = serde_json::json!({"type": "configure", "v": VERSION, "config": forged});
    ws.send(Message::Text(request.to_string().into())).await.unwrap();
    let (ToWatcher::Refused { reason }, _) = until(&mut ws, |f| matches!(f, ToWatcher::Refused { .. })).await else { unreachable!() };
    assert!(reason.contains("hostname") && reason.contains("not changed"), "{reason}");
    let mut unusable = now.clone();
    unusable.policy.max_command_line = 0;
    let (status, body) = request_with_body(http, "PUT", "/api/v1/config", &serde_json::to_string(&unusable).unwrap()).await;
    assert_eq!(status, 422, "{body}");
    assert!(body.contains("use 512 or more"), "{body}");
    let (_, body) = get(http, "/api/v1/config").await;
    let in_force: smtp_protocol::ServerConfig = serde_json::from_str(&body).unwrap();
    assert_eq!(in_force, now);

    let queue_id = message.queue_id.clone();
    ws.send(Message::Text(serde_json::json!({"type": "delete", "queue_id": queue_id}).to_string().into())).await.unwrap();
    let (ToWatcher::Removed { queue_ids, .. }, _) = until(&mut ws, |f| matches!(f, ToWatcher::Removed { .. })).await else { unreachable!() };
    assert_eq!(queue_ids, vec![queue_id.clone()]);
    assert!(get(http, "/api/v1/messages").await.1.contains("\"total\":0"));

    // Deleting it again, or a request that is not one, is refused with a reason, not a dropped feed.
    ws.send(Message::Text(serde_json::json!({"type": "delete", "queue_id": queue_id}).to_string().into())).await.unwrap();
    let (ToWatcher::Refused { reason }, _) = until(&mut ws, |f| matches!(f, ToWatcher::Refused { .. })).await else { unreachable!() };
    assert!(reason.contains("deleted already"), "{reason}");
    ws.send(Message::Text("{\"type\":\"explode\"}".into())).await.unwrap();
    let (ToWatcher::Refused { reason }, _) = until(&mut ws, |f| matches!(f, ToWatcher::Refused { .. })).await else { unreachable!() };
    assert!(reason.contains("not a request"), "{reason}");
}

#[tokio::test]
async fn another_sites_page_cannot_read_the_mail() {
    let (_, http) = start_mock().await;
    let refused = watch(http, "http://evil.example").await;
    match refused {
        Err(tokio_tungstenite::tungstenite::Error::Http(response)) => assert_eq!(response.status(), 403),
        other => panic!("expected 403, got {other:?}"),
    }
}

#[tokio::test]
async fn a_guarded_mock_refuses_the_pages_writes_until_it_unlocks() {
    use common::start_mock_guarded;
    use smtp_bridge::mock::access::WriteAccess;
    use smtp_bridge::mock::{Store, StoreLimits};
    use smtp_protocol::watch::Access;
    let config = smtp_protocol::ServerConfig::new(smtp_protocol::ProfileName::Mock);
    let tls = smtp_bridge::mock::self_signed_acceptor().unwrap();
    let (smtp, http) = start_mock_guarded(config, Store::new(StoreLimits::messages(100), None).unwrap(), tls, WriteAccess::Token("s3cret".into())).await;
    client(smtp, SESSION).await;
    let mut ws = watch(http, &format!("http://{http}")).await.unwrap();
    let ToWatcher::Hello { access, .. } = next(&mut ws).await else { panic!("the feed opens with Hello") };
    assert!(matches!(access, Access::ReadOnly { unlockable: true, .. }), "{access:?}");

    // Locked: a delete is refused with what to do, and nothing is deleted.
    ws.send(Message::Text(serde_json::json!({"type": "delete_all"}).to_string().into())).await.unwrap();
    let (ToWatcher::Refused { reason }, _) = until(&mut ws, |f| matches!(f, ToWatcher::Refused { .. })).await else { unreachable!() };
    assert!(reason.contains("admin token") && reason.contains("Unlock"), "{reason}");
    assert!(get(http, "/api/v1/messages").await.1.contains("\"total\":1"));

    // A wrong token stays locked; the right one unlocks this page, and its delete then happens.
    ws.send(Message::Text(serde_json::json!({"type": "unlock", "token": "guess"}).to_string().into())).await.unwrap();
    let (ToWatcher::Refused { reason }, _) = until(&mut ws, |f| matches!(f, ToWatcher::Refused { .. })).await else { unreachable!() };
    assert!(reason.contains("not the admin token"), "{reason}");
    ws.send(Message::Text(serde_json::json!({"type": "unlock", "token": "s3cret"}).to_string().into())).await.unwrap();
    let (ToWatcher::Access { access }, _) = until(&mut ws, |f| matches!(f, ToWatcher::Access { .. })).await else { unreachable!() };
    assert_eq!(access, Access::ReadWrite);
    ws.send(Message::Text(serde_json::json!({"type": "delete_all"}).to_string().into())).await.unwrap();
    until(&mut ws, |f| matches!(f, ToWatcher::Removed { .. })).await;
    assert!(get(http, "/api/v1/messages").await.1.contains("\"total\":0"));
}
