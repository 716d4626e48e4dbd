//! Mock mode with a real mail client: Python's smtplib sends through STARTTLS and AUTH, one
//! recipient over the limit is refused, and the JSON API shows what arrived.

mod common;

use common::{get, python, request, start_mock};

const CLIENT: &str = r#"
import smtplib, ssl, sys
from email.message import EmailMessage
port = int(sys.argv[1])
context = ssl._create_unverified_context()  # the mock's certificate is self-signed
with smtplib.SMTP("127.0.0.1", port, timeout=10) as s:
    s.starttls(context=context)
    s.login("student", "secret")
    refused = s.sendmail("prank@a.example", ["v1@b.example", "v2@c.example", "v3@d.example"], "From: v1@b.example\r\nSubject: Free pizza\r\n\r\nRoom 101.\r\n")
    print("refused", sorted(refused))
m = EmailMessage()
m["From"] = "x@a.example"
m["To"] = "y@b.example"
m["Subject"] = "second"
m.set_content("hello\n.leading dot\n")
with smtplib.SMTP("127.0.0.1", port, timeout=10) as s:
    s.send_message(m)
print("done")
"#;

#[tokio::test]
async fn smtplib_sends_through_starttls_and_auth_and_the_api_shows_it() {
    let (smtp, http) = start_mock().await;
    let port = smtp.port();
    let output = tokio::task::spawn_blocking(move || std::process::Command::new(python()).args(["-c", CLIENT, &port.to_string()]).output().unwrap()).await.unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(output.status.success(), "smtplib failed: {stdout}\n{}", String::from_utf8_lossy(&output.stderr));
    assert!(stdout.contains("refused ['v3@d.example']"), "{stdout}");

    let (status, body) = get(http, "/api/v1/messages").await;
    assert_eq!(status, 200);
    let list: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(list["total"], 2, "{body}");
    let newest = &list["messages"][0];
    assert_eq!(newest["subject"], "second");
    let first = &list["messages"][1];
    assert_eq!(first["to"], serde_json::json!(["v1@b.example", "v2@c.example"]));
    assert_ne!(first["queue_id"], newest["queue_id"], "queue ids are unique across sessions");

    let id = first["id"].as_u64().unwrap();
    let (_, body) = get(http, &format!("/api/v1/message/{id}")).await;
    let detail: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(detail["tls"], true);
    assert_eq!(detail["authenticated_as"], "student");
    assert!(detail["findings"].as_array().unwrap().iter().any(|f| f.as_str().unwrap().contains("The From: header says v1@b.example")), "{body}");

    let second = newest["id"].as_u64().unwrap();
    let (_, raw) = get(http, &format!("/api/v1/message/{second}/raw")).await;
    assert!(raw.contains("Subject: second"), "{raw}");
    assert!(raw.contains("\r\n.leading dot\r\n"), "dot-stuffing undone: {raw}");
    assert!(raw.starts_with("Return-Path: <x@a.example>\r\nReceived: from "), "{raw}");

    let (_, body) = get(http, "/api/v1/sessions").await;
    let sessions: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(sessions["total"], 2);
    let transcript = sessions["sessions"][1]["transcript"].as_str().unwrap();
    assert!(transcript.contains("C: STARTTLS") && transcript.contains("-- TLS started"), "{transcript}");
    assert!(transcript.contains("S: 452 4.5.3 Too many recipients"), "{transcript}");

    assert_eq!(request(http, "DELETE", &format!("/api/v1/message/{id}")).await.0, 204);
    assert_eq!(get(http, &format!("/api/v1/message/{id}")).await.0, 404);
    assert_eq!(request(http, "DELETE", "/api/v1/messages").await.0, 204);
    let (_, body) = get(http, "/api/v1/messages").await;
    assert!(body.contains("\"total\":0"), "{body}");
}

#[tokio::test]
async fn a_client_that_breaks_off_mid_data_loses_nothing_already_accepted() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let (smtp, http) = start_mock().await;
    let mut tcp = tokio::net::TcpStream::connect(smtp).await.unwrap();
    let mut buf = vec![0u8; 4096];
    let greeting = tcp.read(&mut buf).await.unwrap();
    assert!(greeting > 0, "the mock greets");
    tcp.write_all(b"EHLO x\r\nMAIL FROM:<a@x.example>\r\nRCPT TO:<b@y.example>\r\nDATA\r\n").await.unwrap();
    let mut seen = String::new();
    while !seen.contains("354") {
        let n = tcp.read(&mut buf).await.unwrap();
        seen.push_str(&String::from_utf8_lossy(&buf[..n]));
    }
    tcp.write_all(b"Subject: one\r\n\r\nfirst\r\n.\r\nMAIL FROM:<a@x.example>\r\nRCPT TO:<b@y.example>\r\nDATA\r\n").await.unwrap();
    while seen.matches("354").count() < 2 {
        let n = tcp.read(&mut buf).await.unwrap();
        seen.push_str(&String::from_utf8_lossy(&buf[..n]));
    }
    tcp.write_all(b"Subject: two\r\n\r\nhalf a message").await.unwrap();
    drop(tcp);
    tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    let (_, body) = get(http, "/api/v1/messages").await;
    let list: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(list["total"], 1, "{body}");
    assert_eq!(list["messages"][0]["subject"], "one");
    let (_, body) = get(http, "/api/v1/sessions").await;
    assert!(body.contains("client disconnected during the message"), "{body}");
}

#[tokio::test]
async fn a_stalled_client_and_a_garbage_sending_one_do_not_hold_up_others() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let (smtp, http) = start_mock().await;
    // One connects and says half a line, then nothing.
    let mut stalled = tokio::net::TcpStream::connect(smtp).await.unwrap();
    stalled.write_all(b"MAIL FROM:<slow@").await.unwrap();
    // One sends binary garbage until the server hangs up on it (the mock profile allows 100 errors).
    let mut noisy = tokio::net::TcpStream::connect(smtp).await.unwrap();
    let mut garbage = Vec::new();
    for i in 0..120u8 {
        garbage.extend_from_slice(&[0xff, i, 0x00, 0xfe, b'\r', b'\n']);
    }
    noisy.write_all(&garbage).await.unwrap();
    let mut answer = Vec::new();
    tokio::time::timeout(std::time::Duration::from_secs(10), noisy.read_to_end(&mut answer)).await.expect("the server hangs up").unwrap();
    let answer = String::from_utf8_lossy(&answer);
    assert!(answer.contains("\r\n421 4.7.0"), "too many errors ends the session: {answer}");

    // Meanwhile an ordinary client is served at once.
    let mut good = tokio::net::TcpStream::connect(smtp).await.unwrap();
    good.write_all(b"EHLO ok\r\nMAIL FROM:<a@x.example>\r\nRCPT TO:<b@y.example>\r\nDATA\r\nSubject: fine\r\n\r\nok\r\n.\r\nQUIT\r\n").await.unwrap();
    let mut all = Vec::new();
    tokio::time::timeout(std::time::Duration::from_secs(5), good.read_to_end(&mut all)).await.expect("served while another stalls").unwrap();
    assert!(String::from_utf8_lossy(&all).contains("221 2.0.0"));
    let (_, body) = get(http, "/api/v1/messages").await;
    assert!(body.contains("\"total\":1") && body.contains("\"subject\":\"fine\""), "{body}");
    let (_, sessions) = get(http, "/api/v1/sessions").await;
    assert!(sessions.contains("too many errors"), "{sessions}");
    drop(stalled);
}

/// `smtp-bridge mock --max-store-mb 1`, the binary as a user runs it: three 400 KB messages do
/// not fit in a megabyte, so the oldest is dropped and the API says so.
#[tokio::test]
async fn the_mail_kept_in_memory_stays_within_max_store_mb() {
    let mock = common::MockBinary::start(["--max-store-mb", "1"]);
    let (smtp, http) = (mock.smtp, mock.http);
    let client = r#"
import smtplib, sys
with smtplib.SMTP("127.0.0.1", int(sys.argv[1]), timeout=20) as s:
    for i in range(3):
        body = ("x" * 76 + "\r\n") * 5200
        s.sendmail("a@x.example", ["b@y.example"], f"Subject: big {i}\r\n\r\n{body}")
print("sent")
"#;
    let port = smtp.port().to_string();
    let output = tokio::task::spawn_blocking(move || std::process::Command::new(python()).args(["-c", client, &port]).output().unwrap()).await.unwrap();
    let (_, body) = get(http, "/api/v1/messages").await;
    assert!(output.status.success(), "smtplib failed: {}", String::from_utf8_lossy(&output.stderr));
    let list: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!((list["total"].as_u64(), list["dropped"].as_u64()), (Some(2), Some(1)), "{body}");
    let subjects: Vec<&str> = list["messages"].as_array().unwrap().iter().map(|m| m["subject"].as_str().unwrap()).collect();
    assert_eq!(subjects, ["big 2", "big 1"]);
}

/// `smtp-bridge mock --events-per-session 6`: a session of two messages keeps its summary and
/// its latest six events, and its transcript says how many earlier ones it left out.
#[tokio::test]
async fn a_session_keeps_its_latest_events_per_events_per_session() {
    let mock = common::MockBinary::start(["--events-per-session", "6"]);
    let (smtp, http) = (mock.smtp, mock.http);
    let client = r#"
import smtplib, sys
with smtplib.SMTP("127.0.0.1", int(sys.argv[1]), timeout=20) as s:
    s.ehlo("lab.example")
    for i in range(2):
        s.sendmail("a@x.example", ["b@y.example"], f"Subject: n{i}\r\n\r\nhello\r\n")
print("sent")
"#;
    let port = smtp.port().to_string();
    let output = tokio::task::spawn_blocking(move || std::process::Command::new(python()).args(["-c", client, &port]).output().unwrap()).await.unwrap();
    assert!(output.status.success(), "smtplib failed: {}", String::from_utf8_lossy(&output.stderr));
    let (_, body) = get(http, "/api/v1/sessions").await;
    let list: serde_json::Value = serde_json::from_str(&body).unwrap();
    let session = &list["sessions"][0];
    assert_eq!((session["messages"].as_u64(), session["helo"].as_str()), (Some(2), Some("lab.example")), "{body}");
    let transcript = session["transcript"].as_str().unwrap();
    let lines: Vec<&str> = transcript.lines().collect();
    // What was left out, then six events: the second message's end, its acceptance (not a line)
    // and 250, QUIT, 221 and the close.
    assert!(lines[0].starts_with("-- ") && lines[0].ends_with(" earlier events not kept"), "{transcript}");
    assert_eq!(lines.len(), 6, "{transcript}");
    assert_eq!((lines[1], lines[3]), ("C: .", "C: QUIT"), "{transcript}");
    assert!(lines[2].starts_with("S: 250 2.0.0 Ok: queued as ") && lines[4].starts_with("S: 221 ") && lines[5].starts_with("-- connection closed"), "{transcript}");
}

/// Greylisting belongs to the mock server, not to one connection: smtplib's first attempt is
/// refused with 451, and its retry on a new connection after the delay is accepted.
#[tokio::test]
async fn a_greylisted_client_passes_when_it_retries_on_a_new_connection() {
    let mut config = smtp_protocol::ServerConfig::new(smtp_protocol::ProfileName::Mock);
    config.policy.greylisting = true;
    config.policy.greylist_delay_secs = 2;
    let (smtp, http) = common::start_mock_with(config, smtp_bridge::mock::Store::new(smtp_bridge::mock::StoreLimits::messages(10), None).unwrap()).await;
    let client = r#"
import smtplib, sys, time
def attempt():
    with smtplib.SMTP("127.0.0.1", int(sys.argv[1]), timeout=10) as s:
        try:
            s.sendmail("lab@a.example", ["x@b.example"], "Subject: greylisted\r\n\r\nhi\r\n")
            return "accepted"
        except smtplib.SMTPRecipientsRefused as e:
            return "refused %d" % list(e.recipients.values())[0][0]
print(attempt())
time.sleep(3)
print(attempt())
"#;
    let port = smtp.port().to_string();
    let output = tokio::task::spawn_blocking(move || std::process::Command::new(python()).args(["-c", client, &port]).output().unwrap()).await.unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(output.status.success(), "{stdout}{}", String::from_utf8_lossy(&output.stderr));
    assert_eq!(stdout.lines().collect::<Vec<_>>(), ["refused 451", "accepted"], "{stdout}");
    let (_, body) = get(http, "/api/v1/messages").await;
    assert!(body.contains("\"total\":1"), "{body}");
}

#[tokio::test]
async fn the_idle_timeout_fires_after_the_last_command_not_the_first() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut config = smtp_protocol::ServerConfig::new(smtp_protocol::ProfileName::Mock);
    config.policy.idle_timeout_secs = 2;
    let (smtp, _) = common::start_mock_with(config, smtp_bridge::mock::Store::new(smtp_bridge::mock::StoreLimits::messages(10), None).unwrap()).await;
    let mut client = tokio::net::TcpStream::connect(smtp).await.unwrap();
    let started = std::time::Instant::now();
    // A command every second for three seconds: each moves the deadline past the first one's.
    for _ in 0..3 {
        tokio::time::sleep(std::time::Duration::from_secs(1)).await;
        client.write_all(b"NOOP\r\n").await.unwrap();
    }
    let mut all = Vec::new();
    tokio::time::timeout(common::PATIENCE, client.read_to_end(&mut all)).await.expect("the server hangs up on an idle client").unwrap();
    let all = String::from_utf8_lossy(&all);
    assert_eq!(all.matches("250 2.0.0").count(), 3, "every NOOP was answered before the timeout: {all}");
    assert!(all.contains("\r\n421 4.4.2"), "the idle timeout's reply: {all}");
    assert!(started.elapsed() >= std::time::Duration::from_secs(4), "not before two seconds after the last command");
}
