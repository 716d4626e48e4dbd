//! A teacher's grading script against the mock server's API, with two groups' lab programs
//! (smtplib) as the clients: filters and paging on the lists, who sent what (the HELO name, the
//! account, the forged From:), the findings by id, the sessions forgotten on request, and all
//! the mail taken away as one mbox, parsed back by Python's mailbox module.

mod common;

use common::{get, python, request, start_mock_with};
use smtp_bridge::mock::{Store, StoreLimits};
use smtp_protocol::profile::Account;
use smtp_protocol::{ProfileName, ServerConfig};

const LAB: &str = r#"
import smtplib, sys
port, helo, user, to = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4].split(",")
with smtplib.SMTP("127.0.0.1", port, timeout=10, local_hostname=helo) as s:
    s.login(user, "pw-" + user)
    s.sendmail("prank@" + helo, to, "From: The Dean <dean@university.example>\r\nSubject: from " + user + "\r\n\r\nFrom the lab.\r\nFrom here on, mboxrd quotes this line.\r\n")
print("sent")
"#;

#[tokio::test]
async fn a_grading_script_finds_each_groups_forged_mail() {
    let mut config = ServerConfig::new(ProfileName::Mock);
    config.policy.accounts = vec![Account { user: "group1".into(), password: "pw-group1".into() }, Account { user: "group2".into(), password: "pw-group2".into() }];
    let limits = StoreLimits { sessions: 2, ..StoreLimits::messages(100) };
    let (smtp, http) = start_mock_with(config, Store::new(limits, None).unwrap()).await;
    let started = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_millis() as u64 - 1000;
    let port = smtp.port().to_string();
    for (helo, user, to) in
        [("pc1.lab.example", "group1", "a@x.example,b@y.example,c@z.example"), ("pc2.lab.example", "group2", "a@x.example"), ("pc1.lab.example", "group1", "d@x.example")]
    {
        let args = [port.clone(), helo.to_string(), user.to_string(), to.to_string()];
        let out = tokio::task::spawn_blocking(move || std::process::Command::new(python()).arg("-c").arg(LAB).args(args).output().unwrap()).await.unwrap();
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    }
    let json = |body: String| serde_json::from_str::<serde_json::Value>(&body).unwrap();

    // Each group, by account: group1 sent two messages, one to three recipients, From: forged.
    let group1 = json(get(http, "/api/v1/messages?auth=group1").await.1);
    assert_eq!(group1["total"], 2, "{group1}");
    let biggest = group1["messages"].as_array().unwrap().iter().max_by_key(|m| m["to"].as_array().unwrap().len()).unwrap();
    assert_eq!(biggest["to"].as_array().unwrap().len(), 3);
    assert_eq!(biggest["header_from"], "dean@university.example");
    assert_eq!(biggest["from"], "prank@pc1.lab.example");
    assert_eq!((biggest["helo"].as_str(), biggest["client"].as_str()), (Some("pc1.lab.example"), Some("127.0.0.1")));
    let findings: Vec<&str> = biggest["findings"].as_array().unwrap().iter().map(|f| f["id"].as_str().unwrap()).collect();
    assert!(findings.contains(&"from_differs_from_envelope"), "{findings:?}");
    // The other filters.
    assert_eq!(json(get(http, "/api/v1/messages?helo=pc2.lab.example").await.1)["total"], 1);
    assert_eq!(json(get(http, "/api/v1/messages?from=university.example").await.1)["total"], 3, "the header From: counts");
    assert_eq!(json(get(http, "/api/v1/messages?to=d@x.example").await.1)["total"], 1);
    assert_eq!(json(get(http, "/api/v1/messages?client=127.0.0.").await.1)["total"], 3);
    assert_eq!(json(get(http, &format!("/api/v1/messages?since={started}")).await.1)["total"], 3);
    assert_eq!(json(get(http, "/api/v1/messages?since=99999999999999").await.1)["total"], 0);
    let page = json(get(http, "/api/v1/messages?limit=1&offset=1").await.1);
    assert_eq!((page["total"].as_u64(), page["messages"].as_array().unwrap().len()), (Some(3), 1));

    // Sessions: kept within --max-sessions-kept (here two), each with its account and HELO.
    let sessions = json(get(http, "/api/v1/sessions").await.1);
    assert_eq!(sessions["total"], 2, "{sessions}");
    assert_eq!(sessions["sessions"][0]["authenticated_as"], "group1");
    assert_eq!(sessions["sessions"][0]["helo"], "pc1.lab.example");
    assert_eq!(json(get(http, "/api/v1/sessions?auth=group2").await.1)["total"], 1);
    // A page of them, newest first: the older of the two, with its transcript.
    let page = json(get(http, "/api/v1/sessions?limit=1&offset=1").await.1);
    assert_eq!((page["total"].as_u64(), page["sessions"].as_array().unwrap().len()), (Some(2), 1), "{page}");
    assert_eq!(page["sessions"][0]["authenticated_as"], "group2");
    assert!(page["sessions"][0]["transcript"].as_str().unwrap().contains("C: AUTH PLAIN"), "{page}");
    assert_eq!(request(http, "DELETE", "/api/v1/sessions").await.0, 204);
    assert_eq!(json(get(http, "/api/v1/sessions").await.1)["total"], 0);
    assert_eq!(json(get(http, "/api/v1/messages").await.1)["total"], 3, "the mail stays");

    // All the mail, taken away as one mbox and read back.
    let (status, mbox) = get(http, "/api/v1/messages.mbox").await;
    assert_eq!(status, 200);
    let path = std::env::temp_dir().join(format!("grading-{}.mbox", std::process::id()));
    std::fs::write(&path, &mbox).unwrap();
    let read = "import mailbox, sys\nbox = mailbox.mbox(sys.argv[1])\nprint(len(box))\nfor m in box: print(m['Subject'], '|', m.get_payload().splitlines()[1])";
    let out = std::process::Command::new(python()).args(["-c", read]).arg(&path).output().unwrap();
    let _ = std::fs::remove_file(&path);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    // Three messages, not six: the body's "From " lines were quoted, so none starts a message
    // (Python's reader leaves the quote in place, as mbox readers do).
    assert!(text.starts_with("3\n"), "{text}");
    assert!(text.contains("from group2 | >From here on, mboxrd quotes this line."), "{text}");
}
