//! `smtp-bridge mock --maildir DIR`: captured mail written as a Maildir that other tools read,
//! loaded again at the next start with its envelope, deleted and dropped in step with the store.

mod common;

use common::{get, request, start_mock_with};
use smtp_bridge::maildir::Maildir;
use smtp_bridge::mock::{Store, StoreLimits};
use smtp_protocol::{ProfileName, ServerConfig};
use std::path::{Path, PathBuf};

fn fresh_dir(name: &str) -> PathBuf {
    let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_nanos();
    let dir = std::env::temp_dir().join(format!("smtp-playground-{name}-{}-{nanos}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn files(dir: &Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir.join("new")).unwrap().map(|e| e.unwrap().path()).collect();
    files.sort();
    files
}

async fn send(smtp: std::net::SocketAddr, subject: &str) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut tcp = tokio::net::TcpStream::connect(smtp).await.unwrap();
    tcp.write_all(
        format!("EHLO lab.test\r\nMAIL FROM:<sender@lab.test>\r\nRCPT TO:<one@x.example>\r\nRCPT TO:<two@y.example>\r\nDATA\r\nSubject: {subject}\r\n\r\nbody\r\n.\r\nQUIT\r\n")
            .as_bytes(),
    )
    .await
    .unwrap();
    let mut all = Vec::new();
    tcp.read_to_end(&mut all).await.unwrap();
    assert!(String::from_utf8_lossy(&all).contains("221 2.0.0"), "{}", String::from_utf8_lossy(&all));
}

#[tokio::test]
async fn mail_survives_a_restart_in_the_maildir() {
    let dir = fresh_dir("maildir");
    let (smtp, _) = start_mock_with(ServerConfig::new(ProfileName::Mock), Store::new(StoreLimits::messages(2), Some(Maildir::open(&dir).unwrap())).unwrap()).await;
    for subject in ["first", "second", "third"] {
        send(smtp, subject).await;
    }
    // Bounded at two: the first was dropped from the store and from the folder.
    let written = files(&dir);
    assert_eq!(written.len(), 2, "{written:?}");
    assert!(std::fs::read_dir(dir.join("tmp")).unwrap().next().is_none(), "nothing left half-written in tmp/");
    let content = std::fs::read_to_string(&written[0]).unwrap();
    assert!(content.starts_with("X-Original-To: one@x.example\r\nX-Original-To: two@y.example\r\nX-Playground-Id: "), "{content}");
    assert!(content.contains("\r\nX-Playground-Session: ") && content.contains("\r\nReturn-Path: <sender@lab.test>\r\nReceived: from lab.test"), "{content}");
    assert!(content.contains("Subject: second"), "{content}");

    // Started again on the same folder: the mail is back, with its envelope.
    let (_, http_again) = start_mock_with(ServerConfig::new(ProfileName::Mock), Store::new(StoreLimits::messages(10), Some(Maildir::open(&dir).unwrap())).unwrap()).await;
    let list: serde_json::Value = serde_json::from_str(&get(http_again, "/api/v1/messages").await.1).unwrap();
    assert_eq!(list["total"], 2, "{list}");
    assert_eq!(list["messages"][0]["subject"], "third");
    assert_eq!(list["messages"][0]["from"], "sender@lab.test");
    assert_eq!(list["messages"][0]["to"], serde_json::json!(["one@x.example", "two@y.example"]));
    let id = list["messages"][0]["id"].as_u64().unwrap();
    let raw = get(http_again, &format!("/api/v1/message/{id}/raw")).await.1;
    assert!(raw.starts_with("Return-Path: <sender@lab.test>\r\n"), "the envelope lines are not part of the message: {raw}");

    // Deleting through the API removes the file.
    assert_eq!(request(http_again, "DELETE", &format!("/api/v1/message/{id}")).await.0, 204);
    assert_eq!(files(&dir).len(), 1);
    std::fs::remove_dir_all(&dir).unwrap();
}

#[tokio::test]
async fn a_restart_loads_only_the_newest_mail_that_fits_and_leaves_the_rest_on_disk() {
    let dir = fresh_dir("maildir-limits");
    let (smtp, _) = start_mock_with(ServerConfig::new(ProfileName::Mock), Store::new(StoreLimits::messages(20), Some(Maildir::open(&dir).unwrap())).unwrap()).await;
    for i in 0..12 {
        send(smtp, &format!("message {i}")).await;
    }
    let written = files(&dir);
    assert_eq!(written.len(), 12);
    let size = std::fs::metadata(&written[0]).unwrap().len();
    let subjects = |list: &serde_json::Value| list["messages"].as_array().unwrap().iter().map(|m| m["subject"].as_str().unwrap().to_string()).collect::<Vec<_>>();

    // Room for two and a half files: the newest two are loaded, in delivery order.
    let limits = StoreLimits { message_octets: size * 5 / 2, ..StoreLimits::messages(20) };
    let (_, http) = start_mock_with(ServerConfig::new(ProfileName::Mock), Store::new(limits, Some(Maildir::open(&dir).unwrap())).unwrap()).await;
    let list: serde_json::Value = serde_json::from_str(&get(http, "/api/v1/messages").await.1).unwrap();
    assert_eq!(subjects(&list), ["message 11", "message 10"], "{list}");

    // Three by count.
    let (_, http) = start_mock_with(ServerConfig::new(ProfileName::Mock), Store::new(StoreLimits::messages(3), Some(Maildir::open(&dir).unwrap())).unwrap()).await;
    let list: serde_json::Value = serde_json::from_str(&get(http, "/api/v1/messages").await.1).unwrap();
    assert_eq!(subjects(&list), ["message 11", "message 10", "message 9"], "{list}");

    // Nothing left out was deleted.
    assert_eq!(files(&dir).len(), 12);
    std::fs::remove_dir_all(&dir).unwrap();
}

/// A restart on the same Maildir keeps what a grading script relies on: message ids, the
/// sessions with their transcripts, and which session each message came in.
#[tokio::test]
async fn ids_and_sessions_survive_a_restart() {
    let dir = fresh_dir("maildir-ids");
    let (smtp, http) = start_mock_with(ServerConfig::new(ProfileName::Mock), Store::new(StoreLimits::messages(20), Some(Maildir::open(&dir).unwrap())).unwrap()).await;
    for subject in ["one", "two", "three"] {
        send(smtp, subject).await;
    }
    // The last session's end is recorded as the connection closes: wait for it.
    let mut before: serde_json::Value = serde_json::Value::Null;
    for _ in 0..50 {
        before = serde_json::from_str(&get(http, "/api/v1/sessions").await.1).unwrap();
        if before["sessions"].as_array().unwrap().iter().all(|s| !s["ended"].is_null()) && before["total"] == 3 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    let messages_before: serde_json::Value = serde_json::from_str(&get(http, "/api/v1/messages").await.1).unwrap();

    let (smtp_again, http_again) = start_mock_with(ServerConfig::new(ProfileName::Mock), Store::new(StoreLimits::messages(20), Some(Maildir::open(&dir).unwrap())).unwrap()).await;
    let messages_after: serde_json::Value = serde_json::from_str(&get(http_again, "/api/v1/messages").await.1).unwrap();
    let pick = |list: &serde_json::Value| list["messages"].as_array().unwrap().iter().map(|m| (m["id"].clone(), m["session"].clone(), m["subject"].clone())).collect::<Vec<_>>();
    assert_eq!(pick(&messages_after), pick(&messages_before), "ids and sessions kept");
    let after: serde_json::Value = serde_json::from_str(&get(http_again, "/api/v1/sessions").await.1).unwrap();
    assert_eq!(after["total"], 3, "{after}");
    let transcripts = |list: &serde_json::Value| list["sessions"].as_array().unwrap().iter().map(|s| (s["id"].clone(), s["transcript"].clone())).collect::<Vec<_>>();
    assert_eq!(transcripts(&after), transcripts(&before));
    // New ids continue after the kept ones.
    send(smtp_again, "four").await;
    let newest: serde_json::Value = serde_json::from_str(&get(http_again, "/api/v1/messages").await.1).unwrap();
    let highest_before = messages_before["messages"].as_array().unwrap().iter().map(|m| m["id"].as_u64().unwrap()).max().unwrap();
    assert!(newest["messages"][0]["id"].as_u64().unwrap() > highest_before, "{newest}");
    std::fs::remove_dir_all(&dir).unwrap();
}

/// The Maildir stops being writable while the server runs (its `tmp/` replaced by a file, which
/// fails for root too, as a full disk would): `smtp-bridge` says so on stderr, keeps the mail in
/// memory, and goes on serving.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unwritable_maildir_is_reported_and_the_server_stays_up() {
    let dir = fresh_dir("unwritable");
    let mock = common::MockBinary::start([std::ffi::OsStr::new("--maildir"), dir.as_os_str()]);
    let (smtp, http) = (mock.smtp, mock.http);
    send(smtp, "written").await;
    std::fs::remove_dir_all(dir.join("tmp")).unwrap();
    std::fs::write(dir.join("tmp"), "not a folder").unwrap();
    send(smtp, "kept in memory").await;
    send(smtp, "still served").await;
    let (_, body) = get(http, "/api/v1/messages").await;
    assert!(body.contains("\"total\":3") && body.contains("kept in memory") && body.contains("still served"), "{body}");
    let stderr = mock.stderr();
    assert!(stderr.contains("could not write the message to the Maildir; it is kept in memory only"), "{stderr}");
    assert_eq!(files(&dir).len(), 1, "only the first reached the disk");
}
