//! Real mail clients against mock mode: swaks (Debian's package, installed by `cargo xtask test`)
//! with pipelining, AUTH LOGIN and PLAIN and STARTTLS, and lettre from Rust with STARTTLS and
//! AUTH. What they sent is checked through the JSON API, as a lab's checking script would.

mod common;

use common::{get, start_mock};
use std::net::SocketAddr;
use std::process::Output;

fn swaks(smtp: SocketAddr, args: &[&str]) -> Output {
    let server = smtp.to_string();

    std::process::Command::new("swaks")
        .args(["--server", &server, "--helo", "client.lab.test", "--timeout", "10"])
        .args(args)
        .output()
        .unwrap_or_else(|err| panic!("swaks could not be started ({err}): `cargo xtask test` installs it (apt-get install swaks libnet-ssleay-perl)"))
}

fn text(output: &Output) -> String {
    format!("{}{}", String::from_utf8_lossy(&output.stdout), String::from_utf8_lossy(&output.stderr))
}

async fn messages(http: SocketAddr) -> serde_json::Value {
    serde_json::from_str(&get(http, "/api/v1/messages").await.1).unwrap()
}

async fn detail(http: SocketAddr, id: &serde_json::Value) -> serde_json::Value {
    serde_json::from_str(&get(http, &format!("/api/v1/message/{id}")).await.1).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn swaks_pipelines_authenticates_and_starts_tls() {
    let (smtp, http) = start_mock().await;

    // --pipeline: MAIL, both RCPTs and DATA in one write; swaks fails if PIPELINING is not offered.
    let piped = tokio::task::spawn_blocking(move || swaks(smtp, &["--pipeline", "--from", "lab@a.example", "--to", "x@b.example,y@c.example", "--header", "Subject: piped"]))
        .await
        .unwrap();
    assert!(piped.status.success(), "{}", text(&piped));
    assert!(text(&piped).contains(" -> DATA\n<-  250 2.1.0 Sender <lab@a.example> OK"), "swaks sent MAIL, RCPT, RCPT and DATA before reading a reply: {}", text(&piped));

    for mechanism in ["LOGIN", "PLAIN"] {
        let out = tokio::task::spawn_blocking(move || {
            swaks(
                smtp,
                &[
                    "--tls",
                    "--auth",
                    mechanism,
                    "--auth-user",
                    "student",
                    "--auth-password",
                    "secret",
                    "--from",
                    "student@a.example",
                    "--to",
                    "z@d.example",
                    "--header",
                    &format!("Subject: auth {mechanism}"),
                ],
            )
        })
        .await
        .unwrap();
        assert!(out.status.success(), "{}", text(&out));
        assert!(text(&out).contains("235 2.7.0"), "{}", text(&out));
    }

    // A wrong password: swaks reports it, nothing is stored.
    let refused =
        tokio::task::spawn_blocking(move || swaks(smtp, &["--auth", "PLAIN", "--auth-user", "student", "--auth-password", "wrong", "--to", "z@d.example"])).await.unwrap();
    assert!(!refused.status.success());
    assert!(text(&refused).contains("535 5.7.8"), "{}", text(&refused));

    let list = messages(http).await;
    assert_eq!(list["total"], 3, "{list}");
    let subjects: Vec<&str> = list["messages"].as_array().unwrap().iter().map(|m| m["subject"].as_str().unwrap()).collect();
    assert_eq!(subjects, vec!["auth PLAIN", "auth LOGIN", "piped"]);
    assert_eq!(list["messages"][2]["to"], serde_json::json!(["x@b.example", "y@c.example"]));
    for newest in 0..2 {
        let one = detail(http, &list["messages"][newest]["id"]).await;
        assert_eq!(one["tls"], true, "{one}");
        assert_eq!(one["authenticated_as"], "student", "{one}");
    }

    let sessions: serde_json::Value = serde_json::from_str(&get(http, "/api/v1/sessions").await.1).unwrap();
    let failed = sessions["sessions"][0]["transcript"].as_str().unwrap();
    assert!(failed.contains("C: AUTH PLAIN") && failed.contains("S: 535 5.7.8"), "{failed}");
    let login = sessions["sessions"][2]["transcript"].as_str().unwrap();
    assert!(login.contains("S: 334 VXNlcm5hbWU6") && login.contains("-- TLS started"), "{login}");
}

#[tokio::test]
async fn lettre_sends_through_starttls_and_auth() {
    use lettre::message::header::ContentType;
    use lettre::transport::smtp::authentication::Credentials;
    use lettre::transport::smtp::client::{Tls, TlsParameters};
    use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};

    let (smtp, http) = start_mock().await;
    // The mock's certificate is made at start and self-signed.
    let tls = TlsParameters::builder("localhost".into()).dangerous_accept_invalid_certs(true).build_rustls().unwrap();
    let mailer = AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous("127.0.0.1")
        .port(smtp.port())
        .tls(Tls::Required(tls))
        .credentials(Credentials::new("student".into(), "secret".into()))
        .build();
    let email = Message::builder()
        .from("Lab <lab@a.example>".parse().unwrap())
        .to("Someone <someone@b.example>".parse().unwrap())
        .subject("from lettre")
        .header(ContentType::TEXT_PLAIN)
        .body("Hello from Rust.\n.a line with a dot\n".to_string())
        .unwrap();
    let response = mailer.send(email).await.unwrap();
    assert_eq!(response.code().to_string(), "250");

    let list = messages(http).await;
    assert_eq!(list["total"], 1, "{list}");
    assert_eq!(list["messages"][0]["subject"], "from lettre");
    assert_eq!(list["messages"][0]["from"], "lab@a.example");
    let one = detail(http, &list["messages"][0]["id"]).await;
    assert_eq!(one["tls"], true);
    assert_eq!(one["authenticated_as"], "student");
    let raw = get(http, &format!("/api/v1/message/{}/raw", list["messages"][0]["id"])).await.1;
    assert!(raw.contains("\r\n.a line with a dot\r\n"), "lettre dot-stuffed it and the mock undid it: {raw}");
}

#[tokio::test]
async fn a_certificate_given_by_path_is_the_one_starttls_presents() {
    use lettre::transport::smtp::client::{Certificate, Tls, TlsParameters};
    use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
    use smtp_bridge::mock::{Store, StoreLimits, acceptor_from_files};

    // A lab's own certificate, as PEM files (what --tls-cert and --tls-key read).
    let made = rcgen::generate_simple_self_signed(vec!["localhost".to_string()]).unwrap();
    let dir = std::env::temp_dir().join(format!("smtp-playground-cert-{}-{}", std::process::id(), made.cert.pem().len()));
    std::fs::create_dir_all(&dir).unwrap();
    let (cert, key) = (dir.join("cert.pem"), dir.join("key.pem"));
    std::fs::write(&cert, made.cert.pem()).unwrap();
    std::fs::write(&key, made.signing_key.serialize_pem()).unwrap();
    let acceptor = acceptor_from_files(&cert, &key).unwrap();
    let error = acceptor_from_files(&key, &cert).err().expect("a key is not a certificate chain");
    assert!(error.contains("key.pem"), "the error names the file: {error}");

    let (smtp, http) =
        common::start_mock_tls(smtp_protocol::ServerConfig::new(smtp_protocol::ProfileName::Mock), Store::new(StoreLimits::messages(10), None).unwrap(), acceptor).await;
    // The client trusts only that certificate and checks the name: verification succeeds only
    // if the mock presents it.
    let tls = TlsParameters::builder("localhost".into()).add_root_certificate(Certificate::from_pem(made.cert.pem().as_bytes()).unwrap()).build_rustls().unwrap();
    let mailer = AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous("127.0.0.1").port(smtp.port()).tls(Tls::Required(tls)).build();
    let email = Message::builder().from("lab@a.example".parse().unwrap()).to("b@c.example".parse().unwrap()).subject("verified").body("x\n".to_string()).unwrap();
    mailer.send(email).await.unwrap();
    let list = messages(http).await;
    assert_eq!(list["messages"][0]["subject"], "verified");
    std::fs::remove_dir_all(&dir).unwrap();
}
