//! Fault rules in mock mode, from the command line (`smtp-bridge mock --fault RULE`) and the API
//! (`/api/v1/faults`), with a real mail client: Python's smtplib.

mod common;

use common::{MockBinary, get, python, request_with_body};
use std::net::SocketAddr;
use std::process::Command;

fn start(faults: &[&str]) -> (MockBinary, SocketAddr, SocketAddr) {
    let mock = MockBinary::start(faults.iter().flat_map(|rule| ["--fault", rule]));
    let (smtp, http) = (mock.smtp, mock.http);
    (mock, smtp, http)
}

fn smtplib(smtp: SocketAddr, program: &str) -> String {
    let out = Command::new(python()).args(["-c", program, &smtp.port().to_string()]).output().unwrap();
    let text = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    assert!(out.status.success(), "smtplib failed: {text}");
    text
}

const PROGRAM: &str = r#"
import smtplib, sys, time
port = int(sys.argv[1])
with smtplib.SMTP('127.0.0.1', port, timeout=20) as s:
    refused = s.sendmail('lab@a.example', ['one@b.example', 'two@b.example'], 'Subject: two\r\n\r\nhello\r\n')
    print('refused', refused)
with smtplib.SMTP('127.0.0.1', port, timeout=20) as s:
    start = time.monotonic()
    s.noop()
    print('noop took %.3f' % (time.monotonic() - start))
try:
    with smtplib.SMTP('127.0.0.1', port, timeout=20) as s:
        s.sendmail('lab@a.example', ['three@b.example'], 'Subject: big\r\n\r\n' + ('x' * 70 + '\r\n') * 100)
    print('big sent')
except (smtplib.SMTPServerDisconnected, smtplib.SMTPDataError, ConnectionError) as e:
    print('big dropped', type(e).__name__)
"#;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fault_rules_from_the_command_line_shape_what_a_real_client_sees() {
    let (_bridge, smtp, http) = start(&["rcpt#2 => 452 4.2.2 Mailbox full", "noop => delay 1500", "data after 1000 octets => close"]);
    let out = tokio::task::spawn_blocking(move || smtplib(smtp, PROGRAM)).await.unwrap();
    assert!(out.contains("refused {'two@b.example': (452, b'4.2.2 Mailbox full')}"), "the second recipient refused, the first kept: {out}");
    let took: f64 = out.split("noop took ").nth(1).and_then(|t| t.split_whitespace().next()).and_then(|t| t.parse().ok()).expect(&out);
    assert!((1.4..4.0).contains(&took), "the delay rule held NOOP's reply 1.5 s (measured {took} s)");
    assert!(out.contains("big dropped"), "the connection closed in DATA: {out}");
    let messages: serde_json::Value = serde_json::from_str(&get(http, "/api/v1/messages").await.1).unwrap();
    let list = messages["messages"].as_array().expect("a list");
    assert_eq!(list.len(), 1, "only the first connection's message is stored, nothing of the dropped one: {messages}");
    assert_eq!(list[0]["to"], serde_json::json!(["one@b.example"]), "{messages}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_api_puts_and_gets_rules_and_refuses_a_malformed_one_with_its_column() {
    let (_bridge, smtp, http) = start(&[]);
    let (status, body) =
        request_with_body(http, "PUT", "/api/v1/faults", r#"["greeting => 421 4.3.2 Try again later", {"when":{"moment":{"command":"Mail"}},"then":{"delay":{"ms":2000}}}]"#).await;
    assert_eq!(status, 200, "{body}");
    let (status, body) = get(http, "/api/v1/faults").await;
    assert_eq!(status, 200);
    let rules: serde_json::Value = serde_json::from_str(&body).unwrap();
    let texts: Vec<&str> = rules.as_array().unwrap().iter().map(|r| r["rule"].as_str().unwrap()).collect();
    assert_eq!(texts, ["greeting => 421 4.3.2 Try again later", "mail => delay 2000"]);
    // It applies from the next connection.
    let greeting = tokio::task::spawn_blocking(move || {
        use std::io::Read;
        let mut tcp = std::net::TcpStream::connect(smtp).unwrap();
        let mut text = String::new();
        tcp.read_to_string(&mut text).unwrap();
        text
    })
    .await
    .unwrap();
    assert_eq!(greeting, "421 4.3.2 Try again later\r\n");
    let (status, body) = request_with_body(http, "PUT", "/api/v1/faults", r#"["rcpt#2 => 452 4.2.2 Mailbox full", "rcpt#2 -> 452 Mailbox full"]"#).await;
    assert_eq!(status, 422, "{body}");
    let error: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!((error["rule"].as_u64(), error["column"].as_u64()), (Some(2), Some(8)), "{body}");
    assert!(error["error"].as_str().unwrap().contains("expected `=>`"), "{body}");
    let (_, after) = get(http, "/api/v1/faults").await;
    assert_eq!(serde_json::from_str::<serde_json::Value>(&after).unwrap(), rules, "nothing changed");
}
