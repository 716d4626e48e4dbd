//! Simulated delivery in mock mode: turned on with `--set delivery="simulate"`, a real client's
//! message to a refusing domain comes with its journey, and the bounce to a local sender is in
//! the store, through the API.

mod common;

use common::{MockBinary, get, python};
use std::process::Command;

const PROGRAM: &str = r#"
import smtplib, sys
with smtplib.SMTP('127.0.0.1', int(sys.argv[1]), timeout=20) as s:
    s.sendmail('lab@playground.test', ['someone@nouser.example'], 'From: lab@playground.test\r\nSubject: lost\r\n\r\nhello\r\n')
print('sent')
"#;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_mock_reports_the_journey_and_the_bounce_through_its_api() {
    let mock = MockBinary::start(["--set", "delivery=\"simulate\""]);
    let (smtp, http) = (mock.smtp, mock.http);
    let out = tokio::task::spawn_blocking(move || Command::new(python()).args(["-c", PROGRAM, &smtp.port().to_string()]).output().unwrap()).await.unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let list: serde_json::Value = serde_json::from_str(&get(http, "/api/v1/messages").await.1).unwrap();
    let messages = list["messages"].as_array().expect("a list");
    assert_eq!(messages.len(), 2, "the message and its bounce: {list}");
    let original = messages.iter().find(|m| m["report_of"].is_null()).unwrap();
    assert!(original["delivery"].as_str().unwrap().starts_with("After the 250: someone@nouser.example failed (5.1.1). A bounce went to <lab@playground.test>"), "{original}");
    let bounce = messages.iter().find(|m| m["report_of"] == original["queue_id"]).expect("the bounce names the message it reports on");
    assert_eq!(bounce["from"], "", "from the null sender");
    assert_eq!(bounce["to"], serde_json::json!(["lab@playground.test"]), "to the envelope sender");
    let one: serde_json::Value = serde_json::from_str(&get(http, &format!("/api/v1/message/{}", original["id"])).await.1).unwrap();
    let hops = one["journey"]["recipients"][0]["hops"].as_array().expect("hops");
    assert_eq!(hops.last().unwrap()["reply"]["code"], 550, "{one}");
}
