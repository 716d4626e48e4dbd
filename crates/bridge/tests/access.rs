//! Who may change a mock server, with the binary as a teacher runs it: on the network
//! (`--public`, listening on 0.0.0.0 and reached here at 127.0.0.1) the mail and settings are
//! read-only without the admin token, loopback clients included; with `--admin-token` they
//! change for whoever presents it; a loopback-only server keeps its open API; `--token` guards
//! writes too. `--public` and the tokens go before or after `mock`.

mod common;

use common::{get, request_as};
use std::net::SocketAddr;

/// Stopped however the test ends.
struct Bridge(std::process::Child);
impl Drop for Bridge {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// `smtp-bridge` listening on `ip` (a free port) with `args`, serving a stub page; the HTTP
/// address to use (loopback) once it answers. A port chosen free can be taken before the bridge
/// binds it (tests run in parallel): then the bridge exits, and it is tried again on others.
async fn start(ip: &str, args: &[&str]) -> (Bridge, SocketAddr) {
    let mut stderr = String::new();
    for attempt in 0..3 {
        let port = free_port(ip);
        let dir = std::env::temp_dir().join(format!("smtp-bridge-access-{}-{port}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join("index.html"), "<!doctype html><title>t</title>").unwrap();
        let smtp = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().to_string();
        let child = std::process::Command::new(env!("CARGO_BIN_EXE_smtp-bridge"))
            .args(["--listen", &format!("{ip}:{port}"), "--dir"])
            .arg(&dir)
            .args(["mock", "--smtp", &smtp])
            .args(args)
            .stdout(std::process::Stdio::null())
            .stderr(std::fs::File::create(dir.join("stderr")).unwrap())
            .spawn()
            .unwrap();
        let mut bridge = Bridge(child);
        let http: SocketAddr = format!("127.0.0.1:{port}").parse().unwrap();
        if answers(&mut bridge, http).await {
            return (bridge, http);
        }
        stderr = format!("attempt {}: {}", attempt + 1, std::fs::read_to_string(dir.join("stderr")).unwrap_or_default());
    }
    panic!("smtp-bridge did not start: {stderr}");
}

/// Waits (up to 30 s) until the bridge answers at `http`; false if it exited first.
async fn answers(bridge: &mut Bridge, http: SocketAddr) -> bool {
    for _ in 0..600 {
        if tokio::net::TcpStream::connect(http).await.is_ok() {
            return true;
        }
        if bridge.0.try_wait().is_ok_and(|status| status.is_some()) {
            return false;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    false
}

fn free_port(ip: &str) -> u16 {
    std::net::TcpListener::bind(format!("{ip}:0")).unwrap().local_addr().unwrap().port()
}

#[tokio::test]
async fn on_the_network_writes_need_the_admin_token() {
    // No admin token: read-only for everyone, the loopback client included.
    let (_bridge, http) = start("0.0.0.0", &["--public"]).await;
    assert_eq!(get(http, "/api/v1/messages").await.0, 200, "reading stays open");
    let (status, body) = request_as(http, "DELETE", "/api/v1/messages", "", None).await;
    assert_eq!(status, 403, "{body}");
    assert!(body.contains("--admin-token"), "the refusal says how to allow changes: {body}");
    assert_eq!(request_as(http, "PUT", "/api/v1/config", r#"{"policy":{"greylisting":true}}"#, None).await.0, 403);

    // With --admin-token (given after `mock`, as --public was): 401 without, 403 wrong, allowed right.
    let (_bridge, http) = start("0.0.0.0", &["--public", "--admin-token", "s3cret"]).await;
    let (status, body) = request_as(http, "DELETE", "/api/v1/messages", "", None).await;
    assert_eq!(status, 401, "{body}");
    assert!(body.contains("admin token"), "{body}");
    assert_eq!(request_as(http, "DELETE", "/api/v1/messages", "", Some("guess")).await.0, 403);
    assert_eq!(request_as(http, "DELETE", "/api/v1/messages", "", Some("s3cret")).await.0, 204);
    let (status, body) = request_as(http, "PUT", "/api/v1/config", r#"{"policy":{"greylisting":true}}"#, Some("s3cret")).await;
    assert_eq!(status, 200, "{body}");
}

#[tokio::test]
async fn on_loopback_the_api_stays_open_unless_a_token_is_set() {
    let (_bridge, http) = start("127.0.0.1", &[]).await;
    assert_eq!(request_as(http, "DELETE", "/api/v1/messages", "", None).await.0, 204);
    // --token, the page's shared secret, guards the mock's writes too (it used to guard /bridge only).
    let (_bridge, http) = start("127.0.0.1", &["--token", "s3cret"]).await;
    assert_eq!(request_as(http, "DELETE", "/api/v1/messages", "", None).await.0, 401);
    assert_eq!(request_as(http, "DELETE", "/api/v1/messages", "", Some("s3cret")).await.0, 204);
}

#[tokio::test]
async fn put_config_takes_part_of_a_configuration_and_refuses_a_contradiction() {
    let (_bridge, http) = start("127.0.0.1", &[]).await;
    let (status, body) = request_as(http, "PUT", "/api/v1/config", r#"{"policy":{"greylisting":true,"greylist_delay_secs":2}}"#, None).await;
    assert_eq!(status, 200, "{body}");
    let (_, config) = get(http, "/api/v1/config").await;
    let config: serde_json::Value = serde_json::from_str(&config).unwrap();
    assert_eq!((config["profile"].as_str(), config["policy"]["greylisting"].as_bool()), (Some("mock"), Some(true)));
    let (status, body) = request_as(http, "PUT", "/api/v1/config", r#"{"policy":{"auth_required":true,"auth_enabled":false}}"#, None).await;
    assert_eq!(status, 422, "{body}");
    assert!(body.contains("auth_enabled"), "{body}");
    let (status, body) = request_as(http, "PUT", "/api/v1/config", r#"{"policy":{"greylistng":true}}"#, None).await;
    assert_eq!(status, 422);
    assert!(body.contains("policy.greylistng: no such setting"), "{body}");
}

/// `--config FILE`: every flag and policy knob from TOML; the command line overrides it.
#[tokio::test]
async fn a_config_file_sets_flags_and_policy_and_the_command_line_overrides_it() {
    let dir = std::env::temp_dir().join(format!("smtp-bridge-config-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("index.html"), "<!doctype html><title>t</title>").unwrap();
    let port = free_port("127.0.0.1");
    let smtp = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap();
    let config = format!(
        "listen = \"127.0.0.1:1\"\ndir = {:?}\nadmin_token = \"s3cret\"\n\n[mock]\nsmtp = \"{smtp}\"\nprofile = \"postfix\"\nmax_messages = 50\n\n[mock.policy]\ngreylisting = true\nlocal_domains = [\"lab.test\"]\n",
        dir.display().to_string()
    );
    std::fs::write(dir.join("bridge.toml"), config).unwrap();
    let listen = format!("127.0.0.1:{port}");
    let child = std::process::Command::new(env!("CARGO_BIN_EXE_smtp-bridge"))
        .arg("--config")
        .arg(dir.join("bridge.toml"))
        .args(["--listen", &listen])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let mut bridge = Bridge(child);
    let http: SocketAddr = listen.parse().unwrap();
    assert!(answers(&mut bridge, http).await, "smtp-bridge did not start with the configuration file");
    let (status, body) = get(http, "/api/v1/config").await;
    assert_eq!(status, 200, "the --listen on the command line won over the file's");
    let config: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(config["profile"], "postfix");
    assert_eq!(config["policy"]["greylisting"], true);
    assert_eq!(config["policy"]["local_domains"], serde_json::json!(["lab.test"]));
    assert_eq!(request_as(http, "DELETE", "/api/v1/messages", "", None).await.0, 401, "the file's admin token applies");
    assert!(tokio::net::TcpStream::connect(smtp).await.is_ok(), "the mock listens where the file says");
    let _ = std::fs::remove_dir_all(&dir);
}
