//! `smtp-bridge mock --profile-file`: a teacher's own server, described in TOML, answers a real
//! mail client in its own words, and a broken file is refused naming the file and the field.

mod common;

use common::{MockBinary, get, python};
use std::path::Path;

fn exim() -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../profiles/exim-strict.toml")
}

/// smtplib as a student's script: EHLO, a refused recipient, a sent message, what it was told.
const CLIENT: &str = r#"
import smtplib, sys
with smtplib.SMTP("127.0.0.1", int(sys.argv[1]), timeout=10) as s:
    print("greeting", s.ehlo_resp.decode() if s.ehlo_resp else "")
    code, banner = s.ehlo("student.example")
    print("ehlo", code, banner.decode().replace("\n", "|"))
    refused = s.sendmail("a@student.example", ["alice@playground.test", "nobody@school.example"], "Subject: hi\r\n\r\nhello\r\n")
    print("refused", refused)
"#;

#[tokio::test]
async fn a_hand_written_profile_speaks_to_a_real_client_in_its_own_words() {
    let mock = MockBinary::start([std::ffi::OsStr::new("--profile-file"), exim().as_os_str()]);
    // The greeting, as a raw client reads it.
    let mut raw = std::net::TcpStream::connect(mock.smtp).unwrap();
    let mut greeting = [0u8; 256];
    let n = std::io::Read::read(&mut raw, &mut greeting).unwrap();
    let greeting = String::from_utf8_lossy(&greeting[..n]).to_string();
    assert!(greeting.starts_with("220 mx.school.example ESMTP Exim 4.96 "), "{greeting}");
    drop(raw);

    let port = mock.smtp.port();
    let output = tokio::task::spawn_blocking(move || std::process::Command::new(python()).args(["-c", CLIENT, &port.to_string()]).output().unwrap()).await.unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(output.status.success(), "smtplib failed: {stdout}\n{}", String::from_utf8_lossy(&output.stderr));
    // The persona's EHLO list, in its order, and without ENHANCEDSTATUSCODES (not listed).
    assert!(stdout.contains("ehlo 250 mx.school.example Hello student.example [127.0.0.1]|SIZE 52428800|8BITMIME|PIPELINING|AUTH PLAIN LOGIN|CHUNKING|STARTTLS|HELP"), "{stdout}");
    // Its own words for an unknown local user; the other recipient got the message.
    assert!(stdout.contains("refused {'nobody@school.example': (550, b'Unrouteable address')}"), "{stdout}");

    // The message carries the persona's product in its Received: header.
    let (status, body) = get(mock.http, "/api/v1/messages").await;
    assert_eq!(status, 200, "{body}");
    let list: serde_json::Value = serde_json::from_str(&body).unwrap();
    let id = list["messages"][0]["id"].as_u64().unwrap_or_else(|| panic!("{body}"));
    let (status, raw) = get(mock.http, &format!("/api/v1/message/{id}/raw")).await;
    assert_eq!(status, 200, "{raw}");
    assert!(raw.contains("by mx.school.example (Exim 4.96) with ESMTP id "), "{raw}");
}

fn refused(file: &str) -> String {
    let dir = std::env::temp_dir().join(format!("smtp-profile-file-{}-{}", std::process::id(), file.len()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("school.toml");
    std::fs::write(&path, file).unwrap();
    std::fs::write(dir.join("index.html"), "<!doctype html><title>stand-in</title>").unwrap();
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_smtp-bridge"))
        .arg("--dir")
        .arg(&dir)
        .args(["--listen", "127.0.0.1:0", "mock", "--smtp", "127.0.0.1:0", "--profile-file"])
        .arg(&path)
        .output()
        .unwrap();
    let _ = std::fs::remove_dir_all(&dir);
    assert_eq!(output.status.code(), Some(2), "refused with exit code 2");
    String::from_utf8_lossy(&output.stderr).replace(&path.display().to_string(), "school.toml")
}

#[test]
fn a_broken_profile_file_is_refused_naming_the_file_and_the_field() {
    // TOML's own error gives the line.
    let syntax = refused("base = \"postfix\"\n[policy\nhostname = 1\n");
    assert!(syntax.starts_with("smtp-bridge: --profile-file school.toml: TOML parse error at line 2"), "{syntax}");
    let unknown = refused("base = \"postfix\"\n[policy]\nmax_recipient = 3\n");
    assert!(unknown.contains("--profile-file school.toml: policy.max_recipient: no such policy field"), "{unknown}");
    let reply = refused("base = \"mock\"\n[persona.replies]\nUserUnknown = \"55 nobody\"\n");
    assert!(reply.contains("--profile-file school.toml: persona.replies.UserUnknown: \"55 nobody\" must start with a reply code"), "{reply}");
    let base = refused("base = \"exim\"\n");
    assert!(base.contains("--profile-file school.toml: base: unknown variant `exim`"), "{base}");
}
