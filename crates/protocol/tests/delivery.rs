//! After the 250: each delivery outcome of the simulated zone, the retry schedule, NOTIFY, RET,
//! ENVID and ORCPT, the null sender, SPF/DKIM/DMARC at the receiver, and every DSN read back
//! with mail-parser.

use mail_parser::{MessageParser, MimeHeaders};
use smtp_protocol::event::Event;
use smtp_protocol::journey::{Journey, NoticeKind, Outcome, Step};
use smtp_protocol::script::Player;
use smtp_protocol::{ProfileName, ServerConfig, StoredMessage, Timestamp};

const START: Timestamp = Timestamp(1_795_394_866_000);

struct Sent {
    journey: Journey,
    messages: Vec<StoredMessage>,
    wire: String,
}

/// A logged-in student sends one message (`mail` and `rcpts` as typed after the colon).
fn send_as(profile: ProfileName, login: bool, mail: &str, rcpts: &[&str], content: &str) -> Sent {
    send_with(ServerConfig::new(profile), login, mail, rcpts, content)
}

fn send_with(config: ServerConfig, login: bool, mail: &str, rcpts: &[&str], content: &str) -> Sent {
    let mut player = Player::new(config, START);
    let mut input = String::from("EHLO student.example\r\n");
    if login {
        input.push_str("AUTH PLAIN AHN0dWRlbnQAc2VjcmV0\r\n");
    }
    input.push_str(&format!("MAIL FROM:{mail}\r\n"));
    for rcpt in rcpts {
        input.push_str(&format!("RCPT TO:{rcpt}\r\n"));
    }
    input.push_str(&format!("DATA\r\n{content}.\r\n"));
    player.advance(1);
    player.send(input.as_bytes());
    let wire = String::from_utf8(player.take_wire()).unwrap();
    let journey = player
        .events
        .iter()
        .find_map(|e| match e {
            Event::Delivery { journey, .. } => Some(Journey::clone(journey)),
            _ => None,
        })
        .unwrap_or_else(|| panic!("no delivery event: {wire}"));
    Sent { journey, messages: player.server.messages().to_vec(), wire }
}

const MESSAGE: &str = "From: student@playground.test\r\nTo: someone\r\nSubject: lab\r\nMessage-ID: <1@playground.test>\r\n\r\nHello.\r\n";

fn send(mail: &str, rcpts: &[&str]) -> Sent {
    send_as(ProfileName::Postfix, true, mail, rcpts, MESSAGE)
}

/// The parts of a DSN, as mail-parser reads them: (content type, bytes).
fn parts(raw: &[u8]) -> (String, Vec<(String, Vec<u8>)>) {
    let message = MessageParser::default().parse(raw).expect("the DSN parses");
    let top = message.content_type().expect("a content type");
    let top_type = format!("{}/{}; report-type={}", top.ctype(), top.subtype().unwrap_or(""), top.attribute("report-type").unwrap_or(""));
    let parts = message.parts.iter().skip(1).filter_map(|p| p.content_type().map(|c| (format!("{}/{}", c.ctype(), c.subtype().unwrap_or("")), p.contents().to_vec()))).collect();
    (top_type, parts)
}

/// The per-recipient fields of the DSN's delivery-status part.
fn status_fields(raw: &[u8]) -> Vec<(String, String)> {
    let (_, parts) = parts(raw);
    let (_, body) = parts.iter().find(|(t, _)| t == "message/delivery-status").expect("a delivery-status part");
    String::from_utf8_lossy(body).lines().filter_map(|l| l.split_once(": ").map(|(k, v)| (k.to_string(), v.to_string()))).collect()
}

fn field<'a>(fields: &'a [(String, String)], name: &str) -> Option<&'a str> {
    fields.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
}

#[test]
fn a_user_unknown_at_a_remote_domain_bounces_to_the_envelope_sender_with_postfix_words() {
    let sent = send("<student@playground.test>", &["<nobody@nouser.example>"]);
    assert!(sent.wire.contains("250 2.0.0 Ok: queued as"), "{}", sent.wire);
    let r = &sent.journey.recipients[0];
    assert_eq!(r.hops[0].step, Step::Lookup);
    assert!(r.hops[0].text.contains("10 mx.nouser.example"), "{:?}", r.hops[0]);
    assert!(matches!(&r.outcome, Outcome::Failed { status, remote: Some(remote), .. } if status == "5.1.1" && remote == "mx.nouser.example"));
    let notice = &sent.journey.notices[0];
    assert_eq!((notice.kind, notice.to.as_str(), notice.local), (NoticeKind::Failure, "student@playground.test", true));
    // The bounce is in the Mailbox, addressed to MAIL FROM's address, from the null sender.
    let bounce = sent.messages.iter().find(|m| m.report_of.is_some()).expect("the bounce is stored");
    assert_eq!(bounce.envelope.recipient_addresses(), ["student@playground.test"]);
    assert_eq!(bounce.envelope.sender_address(), "");
    let text = String::from_utf8_lossy(&notice.raw);
    assert!(text.contains("Subject: Undelivered Mail Returned to Sender\r\n"), "{text}");
    assert!(text.contains("This is the mail system at host vm."), "{text}");
    let (top, parts) = parts(&notice.raw);
    assert_eq!(top, "multipart/report; report-type=delivery-status");
    let types: Vec<&str> = parts.iter().map(|(t, _)| t.as_str()).collect();
    assert_eq!(types, ["text/plain", "message/delivery-status", "message/rfc822"]);
    let fields = status_fields(&notice.raw);
    assert_eq!(field(&fields, "Final-Recipient"), Some("rfc822; nobody@nouser.example"));
    assert_eq!(field(&fields, "Action"), Some("failed"));
    assert_eq!(field(&fields, "Status"), Some("5.1.1"));
    assert_eq!(field(&fields, "Remote-MTA"), Some("dns; mx.nouser.example"));
    assert!(field(&fields, "Diagnostic-Code").is_some_and(|d| d.starts_with("smtp; 550 5.1.1 <nobody@nouser.example>")), "{fields:?}");
    assert_eq!(field(&fields, "X-Postfix-Sender"), Some("rfc822; student@playground.test"));
}

#[test]
fn each_domain_of_the_zone_ends_its_own_way() {
    let cases: [(&str, &str); 5] = [
        ("<a@accepts.example>", "delivered"),
        ("<a@nowhere.example>", "5.4.4"),
        ("<a@nullmx.example.net>", "5.1.10"),
        ("<a@full.example>", "4.2.2"),
        ("<a@greylist.example>", "delivered"),
    ];
    for (rcpt, expected) in cases {
        let sent = send("<student@playground.test>", &[rcpt]);
        let r = &sent.journey.recipients[0];
        let got = match &r.outcome {
            Outcome::Delivered => "delivered".to_string(),
            Outcome::Junk => "junk".into(),
            Outcome::Failed { status, .. } => status.clone(),
        };
        assert_eq!(got, expected, "{rcpt}: {:#?}", r.hops);
    }
    // The implicit MX: no MX record, the A record stands in.
    let sent = send("<student@playground.test>", &["<a@no-mx.example.com>"]);
    assert!(sent.journey.recipients[0].hops[0].text.contains("implicit MX"));
    // Delivered remotely: the exchanger adds its Received: and Authentication-Results: headers.
    let sent = send("<student@playground.test>", &["<a@accepts.example>"]);
    let added = &sent.journey.recipients[0].headers_added;
    assert!(added[0].starts_with("Received: from vm (vm [192.0.2.10])\r\n\tby mx.accepts.example (Postfix) with ESMTPS id "), "{added:?}");
    assert!(added[1].contains("spf=pass smtp.mailfrom=playground.test") && added[1].contains("dkim=pass header.d=playground.test") && added[1].contains("dmarc=pass"), "{added:?}");
}

#[test]
fn a_full_mailbox_is_retried_on_the_backoff_schedule_then_given_up() {
    let sent = send("<student@playground.test>", &["<a@full.example>"]);
    let r = &sent.journey.recipients[0];
    let attempts: Vec<u64> = r.hops.iter().filter(|h| matches!(h.step, Step::Deferred | Step::Failed)).map(|h| (h.at.0 - START.0) / 1000).collect();
    // Accepted one second in; first attempt a second later; then 5, 10, 20 and 40 minutes apart.
    assert_eq!(attempts, [2, 302, 902, 2102, 4502]);
    assert!(r.delayed);
    assert!(r.hops.last().unwrap().text.contains("gives up"));
    let fields = status_fields(&sent.journey.notices[0].raw);
    assert_eq!(field(&fields, "Status"), Some("4.2.2"));
    assert_eq!(field(&fields, "Action"), Some("failed"));
}

#[test]
fn notify_decides_which_reports_go_out() {
    // Greylisted, then delivered: a delay warning and a success report when both are asked.
    let sent = send("<student@playground.test>", &["<a@greylist.example> NOTIFY=SUCCESS,DELAY"]);
    let kinds: Vec<NoticeKind> = sent.journey.notices.iter().map(|n| n.kind).collect();
    assert_eq!(kinds, [NoticeKind::Delay, NoticeKind::Success]);
    let delay = status_fields(&sent.journey.notices[0].raw);
    assert_eq!((field(&delay, "Action"), field(&delay, "Status")), (Some("delayed"), Some("4.7.1")));
    assert!(field(&delay, "Will-Retry-Until").is_some());
    assert!(String::from_utf8_lossy(&sent.journey.notices[0].raw).contains("Subject: Delayed Mail (still being retried)"));
    let success = status_fields(&sent.journey.notices[1].raw);
    assert_eq!(field(&success, "Action"), Some("relayed"));
    assert!(String::from_utf8_lossy(&sent.journey.notices[1].raw).contains("Subject: Successful Mail Delivery Report"));
    // Without NOTIFY: failures only; a delay is not reported.
    assert!(send("<student@playground.test>", &["<a@greylist.example>"]).journey.notices.is_empty());
    // NOTIFY=NEVER: not even a failure, and the journey says why.
    let never = send("<student@playground.test>", &["<a@nouser.example> NOTIFY=NEVER"]);
    assert!(never.journey.notices.is_empty());
    assert!(never.journey.silent.as_deref().is_some_and(|s| s.contains("NOTIFY=NEVER")));
    // NOTIFY=SUCCESS alone: a failure is not reported; NOTIFY=FAILURE: a success is not.
    assert!(send("<student@playground.test>", &["<a@nouser.example> NOTIFY=SUCCESS"]).journey.notices.is_empty());
    assert!(send("<student@playground.test>", &["<a@accepts.example> NOTIFY=FAILURE"]).journey.notices.is_empty());
    // A local recipient with NOTIFY=SUCCESS: "delivered", not "relayed".
    let local = send("<student@playground.test>", &["<bob@playground.test> NOTIFY=SUCCESS"]);
    assert_eq!(field(&status_fields(&local.journey.notices[0].raw), "Action"), Some("delivered"));
}

#[test]
fn ret_envid_and_orcpt_shape_the_report() {
    let headers = send("<student@playground.test> RET=HDRS ENVID=lab-42", &["<a@nouser.example> ORCPT=rfc822;first@nouser.example"]);
    let raw = &headers.journey.notices[0].raw;
    let (_, returned) = parts(raw);
    assert_eq!(returned[2].0, "text/rfc822-headers", "RET=HDRS returns the headers only");
    assert!(!String::from_utf8_lossy(&returned[2].1).contains("Hello."));
    let fields = status_fields(raw);
    assert_eq!(field(&fields, "Original-Envelope-Id"), Some("lab-42"));
    assert_eq!(field(&fields, "Original-Recipient"), Some("rfc822;first@nouser.example"));
    let full = send("<student@playground.test> RET=FULL", &["<a@nouser.example>"]);
    let (_, whole) = parts(&full.journey.notices[0].raw);
    assert_eq!(whole[2].0, "message/rfc822");
    let returned = String::from_utf8_lossy(&full.journey.notices[0].raw).into_owned();
    assert!(returned.contains("Subject: lab\r\n") && returned.contains("Hello.\r\n"), "RET=FULL returns the message");
}

#[test]
fn the_null_sender_is_never_bounced() {
    let sent = send("<>", &["<a@nouser.example>"]);
    assert!(sent.journey.notices.is_empty());
    assert!(sent.journey.silent.as_deref().is_some_and(|s| s.contains("null reverse-path")));
    assert!(sent.messages.iter().all(|m| m.report_of.is_none()));
}

#[test]
fn dmarc_rejects_a_forged_from_under_p_reject_and_delivers_it_under_p_none() {
    let forged =
        |from: &str| send_as(ProfileName::Postfix, true, "<student@playground.test>", &["<friend@accepts.example>"], &format!("From: {from}\r\nSubject: forged\r\n\r\nHi.\r\n"));
    let rejected = forged("dean@university.example");
    let r = &rejected.journey.recipients[0];
    assert!(
        matches!(&r.outcome, Outcome::Failed { status, diagnostic, .. } if status == "5.7.1" && diagnostic.contains("550 5.7.1 rejected by DMARC policy for university.example")),
        "{r:#?}"
    );
    let checks = r.hops.last().unwrap().checks.as_ref().unwrap();
    assert_eq!((checks.spf.result.as_str(), checks.dkim.result.as_str(), checks.dmarc.result.as_str()), ("pass", "pass", "fail"));
    assert!(String::from_utf8_lossy(&rejected.journey.notices[0].raw).contains("(in reply to end of DATA command)"));
    let delivered = forged("news@example.org");
    assert_eq!(delivered.journey.recipients[0].outcome, Outcome::Delivered);
    assert!(delivered.journey.recipients[0].headers_added[1].contains("dmarc=fail (p=none) header.from=example.org"));
}

#[test]
fn a_bounce_to_a_forged_remote_sender_is_backscatter() {
    let sent = send("<dean@university.example>", &["<a@nouser.example>"]);
    let notice = &sent.journey.notices[0];
    assert_eq!((notice.to.as_str(), notice.local), ("dean@university.example", false));
    assert!(sent.messages.iter().all(|m| m.report_of.is_none()), "not in this Mailbox: it went out");
    let why = sent.journey.backscatter.as_deref().unwrap();
    assert!(why.contains("forged") && why.contains("backscatter") && why.contains("SPF"), "{why}");
}

#[test]
fn other_profiles_write_their_own_reports_and_the_mock_only_captures() {
    // (Exchange offers AUTH inside TLS only: allowed in plain text here, for brevity.)
    let mut config = ServerConfig::new(ProfileName::Exchange);
    config.policy.tls_required_for_auth = false;
    let exchange = send_with(config, true, "<student@contoso.example>", &["<a@nouser.example>"], MESSAGE);
    assert!(exchange.wire.contains("250 2.6.0"), "{}", exchange.wire);
    let text = String::from_utf8_lossy(&exchange.journey.notices[0].raw);
    assert!(text.contains("Subject: Undeliverable: lab\r\n"), "{text}");
    assert!(text.contains("From: Microsoft Outlook <postmaster@mail.contoso.example>"), "{text}");
    // The mock keeps what it gets and delivers nothing.
    let mut player = Player::new(ServerConfig::new(ProfileName::Mock), START);
    player.send(b"EHLO a\r\nMAIL FROM:<a@b.example>\r\nRCPT TO:<c@nouser.example>\r\nDATA\r\nSubject: x\r\n\r\nx\r\n.\r\n");
    assert!(player.events.clone().into_iter().all(|e| !matches!(e, Event::Delivery { .. })));
    assert!(player.server.messages()[0].journey.is_none());
}

#[test]
fn every_notify_and_ret_combination_gives_the_reports_asked_and_each_parses() {
    let notifies: [(&str, [bool; 3]); 6] = [
        // (NOTIFY, [failure, delay, success] reported)
        ("", [true, false, false]),
        (" NOTIFY=NEVER", [false, false, false]),
        (" NOTIFY=SUCCESS", [false, false, true]),
        (" NOTIFY=FAILURE", [true, false, false]),
        (" NOTIFY=DELAY", [false, true, false]),
        (" NOTIFY=SUCCESS,FAILURE,DELAY", [true, true, true]),
    ];
    for ret in ["", " RET=FULL", " RET=HDRS"] {
        for (notify, [failure, delay, success]) in notifies {
            // One recipient refused for good, one greylisted then delivered.
            let sent = send(&format!("<student@playground.test>{ret}"), &[&format!("<a@nouser.example>{notify}"), &format!("<b@greylist.example>{notify}")]);
            let kinds: Vec<NoticeKind> = sent.journey.notices.iter().map(|n| n.kind).collect();
            let expected: Vec<NoticeKind> =
                [(delay, NoticeKind::Delay), (success, NoticeKind::Success), (failure, NoticeKind::Failure)].into_iter().filter(|(on, _)| *on).map(|(_, k)| k).collect();
            assert_eq!(kinds, expected, "MAIL{ret} RCPT{notify}");
            for notice in &sent.journey.notices {
                let (top, returned) = parts(&notice.raw);
                assert_eq!(top, "multipart/report; report-type=delivery-status", "MAIL{ret} RCPT{notify} {:?}", notice.kind);
                let third = returned.get(2).map(|(t, _)| t.as_str());
                let whole = notice.kind == NoticeKind::Failure && ret != " RET=HDRS";
                assert_eq!(third, Some(if whole { "message/rfc822" } else { "text/rfc822-headers" }), "MAIL{ret} RCPT{notify} {:?}", notice.kind);
                let fields = status_fields(&notice.raw);
                let action = match notice.kind {
                    NoticeKind::Failure => "failed",
                    NoticeKind::Delay => "delayed",
                    NoticeKind::Success => "relayed",
                };
                assert_eq!(field(&fields, "Action"), Some(action));
                assert_eq!(notice.to, "student@playground.test");
            }
        }
    }
}
