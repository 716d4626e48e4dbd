//! Delivery status notifications (RFC 3464): `multipart/report; report-type=delivery-status`
//! with a human part, the `message/delivery-status` part (per-message, then per-recipient
//! fields) and the returned message or its headers. Sent to the envelope sender, never to the
//! From: header, and never for a null sender. NOTIFY, RET, ENVID and ORCPT (RFC 3461) are
//! honoured. The `postfix` profile uses Postfix's words (bounce.cf.default).

use super::{Accepted, fnv, returns_full, wants};
use crate::journey::{Journey, Notice, NoticeKind, Outcome, RecipientJourney, Step};
use crate::persona::Bounce;
use crate::time::Timestamp;

/// The fields of a DSN's `message/delivery-status` part, in order: the per-message group, then
/// one group per recipient (a group starts after an empty name). `None` when `raw` is no report.
pub fn read_report(raw: &[u8]) -> Option<Vec<(String, String)>> {
    use mail_parser::{MessageParser, MimeHeaders};
    let message = MessageParser::default().parse(raw)?;
    let part = message
        .parts
        .iter()
        .find(|p| p.content_type().is_some_and(|c| c.ctype().eq_ignore_ascii_case("message") && c.subtype().is_some_and(|s| s.eq_ignore_ascii_case("delivery-status"))))?;
    let text = String::from_utf8_lossy(part.contents()).into_owned();
    let mut fields: Vec<(String, String)> = Vec::new();
    for line in text.lines() {
        if line.trim().is_empty() {
            if fields.last().is_some_and(|(name, _)| !name.is_empty()) {
                fields.push((String::new(), String::new()));
            }
        } else if line.starts_with([' ', '\t']) {
            if let Some((_, value)) = fields.last_mut() {
                value.push(' ');
                value.push_str(line.trim());
            }
        } else if let Some((name, value)) = line.split_once(':') {
            fields.push((name.trim().to_string(), value.trim().to_string()));
        }
    }
    if fields.last().is_some_and(|(name, _)| name.is_empty()) {
        fields.pop();
    }
    Some(fields)
}

/// What each field of the `message/delivery-status` part means, for the page.
pub fn field_note(name: &str) -> Option<&'static str> {
    Some(match name.to_ascii_lowercase().as_str() {
        "reporting-mta" => "The server that wrote this report (RFC 3464 2.2.2).",
        "original-envelope-id" => "The ENVID the sender gave in MAIL FROM, returned so that its software can match the report to what it sent (RFC 3461 4.4).",
        "arrival-date" => "When the reporting server accepted the message.",
        "x-postfix-queue-id" => "Postfix's queue id of the original message: the key to its logs.",
        "x-postfix-sender" => "The envelope sender (MAIL FROM) this report goes back to.",
        "final-recipient" => "The recipient the report is about, as the reporting server last knew it (RFC 3464 2.3.2).",
        "original-recipient" => "The recipient as the sender first gave it, from ORCPT (RFC 3461 4.2): useful when forwarding changed the address.",
        "action" => {
            "What happened: failed (given up), delayed (still being retried), delivered (in the mailbox), relayed (handed to a server that sends no reports), expanded (RFC 3464 2.3.3)."
        }
        "status" => "The RFC 3463 enhanced status code: class.subject.detail (5.x.x permanent, 4.x.x temporary, 2.x.x success).",
        "remote-mta" => "The server that answered, when one did (RFC 3464 2.3.5).",
        "diagnostic-code" => "That server's own reply, word for word: the most useful line when asking its postmaster (RFC 3464 2.3.6).",
        "last-attempt-date" => "When delivery was last tried.",
        "will-retry-until" => "For a delay: when the server will give up (RFC 3464 2.3.9).",
        _ => return None,
    })
}

/// Adds the notifications this journey calls for, and says why there are none when there
/// would have been.
pub fn notify(message: &Accepted<'_>, subject: &str, journey: &mut Journey) {
    let sender = message.envelope.sender_address();
    let failed: Vec<&RecipientJourney> = journey.recipients.iter().filter(|r| matches!(r.outcome, Outcome::Failed { .. })).collect();
    if sender.is_empty() {
        if !failed.is_empty() {
            journey.silent = Some(
                "Not bounced: the envelope sender is <> (the null reverse-path of bounces and other automatic mail). A report about a report could loop forever, so RFC 5321 6.1 says never to send one."
                    .into(),
            );
        }
        return;
    }
    let local = sender.rsplit_once('@').is_some_and(|(_, d)| message.policy.is_local_domain(d));
    let mut notices = Vec::new();
    for kind in [NoticeKind::Delay, NoticeKind::Success, NoticeKind::Failure] {
        let chosen: Vec<&RecipientJourney> = journey
            .recipients
            .iter()
            .filter(|r| match kind {
                NoticeKind::Failure => matches!(r.outcome, Outcome::Failed { .. }),
                NoticeKind::Delay => r.delayed,
                NoticeKind::Success => !matches!(r.outcome, Outcome::Failed { .. }),
            })
            .filter(|r| wants(r.notify, kind))
            .collect();
        if chosen.is_empty() {
            continue;
        }
        let at = match kind {
            // Warned at the first deferral.
            NoticeKind::Delay => chosen.iter().filter_map(|r| r.hops.iter().find(|h| h.step == Step::Deferred).map(|h| h.at)).min(),
            _ => chosen.iter().filter_map(|r| r.hops.last().map(|h| h.at)).max(),
        }
        .unwrap_or(message.at)
        .plus_secs(1);
        let queue_id = format!("{:010X}", fnv(&format!("{}{kind:?}", message.queue_id)) & 0xFF_FFFF_FFFF);
        let raw = report(message, subject, kind, &chosen, at, &queue_id);
        notices.push(Notice { at, kind, to: sender.clone(), recipients: chosen.iter().map(|r| r.recipient.clone()).collect(), queue_id, local, raw });
    }
    if !failed.is_empty() && !notices.iter().any(|n| n.kind == NoticeKind::Failure) {
        journey.silent = Some("Not bounced: the sender asked for no failure report (NOTIFY=NEVER, or NOTIFY without FAILURE, on RCPT TO).".into());
    }
    if !local && notices.iter().any(|n| n.kind == NoticeKind::Failure) {
        let domain = sender.rsplit_once('@').map_or("", |(_, d)| d);
        let spf = match crate::dns::spf(domain, message.client_ip) {
            Some(crate::dns::SpfResult::Fail) => format!("and {domain}'s SPF record does not allow this client ({}) to send for it: the sender is forged", message.client_ip),
            Some(crate::dns::SpfResult::Pass) => format!("and {domain}'s SPF record does allow this client, so the sender is probably genuine"),
            _ => format!("and nothing here proves that this client may send for {domain}"),
        };
        journey.backscatter = Some(format!(
            "The bounce goes to <{sender}>, the envelope sender, {spf}. A forged MAIL FROM makes bounces land on someone who never sent the message: backscatter, which is abuse in its own right. A receiver that checks SPF at MAIL FROM refuses such mail before the 250, so it never has to bounce it; Postfix, for one, can reject unknown recipients at RCPT instead of bouncing later."
        ));
    }
    journey.notices = notices;
}

/// The DSN message, as the sending server writes it.
fn report(message: &Accepted<'_>, subject: &str, kind: NoticeKind, recipients: &[&RecipientJourney], at: Timestamp, queue_id: &str) -> Vec<u8> {
    let host = message.policy.hostname.as_str();
    let sender = message.envelope.sender_address();
    let boundary = format!("{}.{}/{host}", message.queue_id, at.0 / 1000);
    let words = &message.persona.bounce;
    let (from, title) = match kind {
        NoticeKind::Failure => (&words.from, &words.failure_subject),
        NoticeKind::Delay => (&words.from, &words.delay_subject),
        NoticeKind::Success => (&words.from, &words.success_subject),
    };
    let from = from.replace("{host}", host);
    let title = title.replace("{subject}", subject);

    let mut out = format!(
        "From: {from}\r\nSubject: {title}\r\nTo: {sender}\r\nAuto-Submitted: auto-replied\r\nMIME-Version: 1.0\r\nContent-Type: multipart/report; report-type=delivery-status;\r\n\tboundary=\"{boundary}\"\r\nContent-Transfer-Encoding: 8bit\r\nMessage-Id: <{}.{queue_id}@{host}>\r\nDate: {}\r\n\r\nThis is a MIME-encapsulated message.\r\n\r\n--{boundary}\r\nContent-Description: Notification\r\nContent-Type: text/plain; charset=us-ascii\r\n\r\n",
        at.0 / 1000,
        at.rfc5322_date()
    );
    out.push_str(&human(words, kind, host, recipients).replace('\n', "\r\n"));
    out.push_str(&format!("\r\n--{boundary}\r\nContent-Description: Delivery report\r\nContent-Type: message/delivery-status\r\n\r\n"));
    out.push_str(&format!("Reporting-MTA: dns; {host}\r\n"));
    if words.postfix_fields {
        out.push_str(&format!("X-Postfix-Queue-ID: {}\r\nX-Postfix-Sender: rfc822; {sender}\r\n", message.queue_id));
    }
    if let Some(envid) = &message.envelope.mail_params.envid {
        out.push_str(&format!("Original-Envelope-Id: {envid}\r\n"));
    }
    out.push_str(&format!("Arrival-Date: {}\r\n", message.at.rfc5322_date()));
    for r in recipients {
        out.push_str(&format!("\r\nFinal-Recipient: rfc822; {}\r\n", r.recipient));
        if let Some(original) = &r.original_recipient {
            out.push_str(&format!("Original-Recipient: rfc822;{original}\r\n"));
        }
        let remote_step = r.hops.iter().rev().find(|h| h.reply.is_some());
        let remote = match &r.outcome {
            Outcome::Failed { remote, .. } => remote.clone(),
            _ => remote_step.and_then(|h| h.exchanger.as_deref()).and_then(|e| e.split('[').next()).map(String::from),
        };
        let local = r.hops.iter().any(|h| h.step == Step::Local);
        let (action, status, diagnostic) = match (kind, &r.outcome) {
            (NoticeKind::Failure, Outcome::Failed { status, diagnostic, .. }) => ("failed", status.clone(), Some(diagnostic.clone())),
            (NoticeKind::Delay, _) => {
                let deferred = r.hops.iter().find(|h| h.step == Step::Deferred);
                let reply = deferred.and_then(|h| h.reply.as_ref());
                ("delayed", reply.and_then(|rp| rp.enhanced).map_or("4.0.0".into(), |e| e.to_string()), reply.map(|rp| format!("smtp; {}", rp.to_wire().trim_end())))
            }
            (_, _) if local => ("delivered", "2.0.0".to_string(), None),
            (_, _) => ("relayed", "2.0.0".to_string(), remote_step.and_then(|h| h.reply.as_ref()).map(|rp| format!("smtp; {}", rp.to_wire().trim_end()))),
        };
        out.push_str(&format!("Action: {action}\r\nStatus: {status}\r\n"));
        if let Some(remote) = remote.filter(|_| !local) {
            out.push_str(&format!("Remote-MTA: dns; {remote}\r\n"));
        }
        if let Some(diagnostic) = diagnostic {
            out.push_str(&format!("Diagnostic-Code: {diagnostic}\r\n"));
        }
        if let Some(last) = r.hops.last() {
            out.push_str(&format!("Last-Attempt-Date: {}\r\n", last.at.rfc5322_date()));
        }
        if kind == NoticeKind::Delay {
            out.push_str(&format!("Will-Retry-Until: {}\r\n", message.at.plus_secs(5 * 86_400).rfc5322_date()));
        }
    }
    // The returned message: whole for a failure unless RET=HDRS, headers only otherwise.
    let original = message.raw.strip_prefix(b"Return-Path: ").map_or(message.raw, |rest| rest.iter().position(|b| *b == b'\n').map_or(rest, |i| &rest[i + 1..]));
    let full = kind == NoticeKind::Failure && returns_full(message.envelope.mail_params.ret);
    if full {
        out.push_str(&format!("\r\n--{boundary}\r\nContent-Description: Undelivered Message\r\nContent-Type: message/rfc822\r\nContent-Transfer-Encoding: 8bit\r\n\r\n"));
        let mut bytes = out.into_bytes();
        bytes.extend_from_slice(original);
        if !original.ends_with(b"\r\n") {
            bytes.extend_from_slice(b"\r\n");
        }
        bytes.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
        return bytes;
    }
    let headers_end = original.windows(4).position(|w| w == b"\r\n\r\n").map_or(original.len(), |i| i + 2);
    let description = if kind == NoticeKind::Success { "Message Headers" } else { "Undelivered Message Headers" };
    out.push_str(&format!("\r\n--{boundary}\r\nContent-Description: {description}\r\nContent-Type: text/rfc822-headers\r\n\r\n"));
    let mut bytes = out.into_bytes();
    bytes.extend_from_slice(&original[..headers_end]);
    bytes.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    bytes
}

/// One recipient's line in the human part, Postfix style.
fn recipient_line(r: &RecipientJourney, kind: NoticeKind) -> String {
    let last = if kind == NoticeKind::Delay { r.hops.iter().find(|h| h.step == Step::Deferred) } else { r.hops.last() };
    let Some(hop) = last else { return format!("<{}>: no delivery attempt", r.recipient) };
    match &hop.reply {
        Some(reply) => {
            let host = hop.exchanger.as_deref().unwrap_or("the remote server");
            // The exchanger judges the message (SPF, DKIM, DMARC) once DATA has ended.
            let phase = if hop.checks.is_some() { "end of DATA command" } else { "RCPT TO command" };
            match kind {
                NoticeKind::Success => format!("<{}>: delivery via {host}:25: {}", r.recipient, reply.to_wire().trim_end()),
                _ => format!("<{}>: host {host} said: {} (in reply to {phase})", r.recipient, reply.to_wire().trim_end()),
            }
        }
        None if hop.step == Step::Local => format!("<{}>: delivered to mailbox", r.recipient),
        None => match &r.outcome {
            Outcome::Failed { diagnostic, .. } => format!("<{}>: {}", r.recipient, diagnostic.trim_start_matches("X-Postfix; ")),
            _ => format!("<{}>: {}", r.recipient, hop.text),
        },
    }
}

/// The human-readable part, in the persona's words with a line for each recipient.
fn human(words: &Bounce, kind: NoticeKind, host: &str, recipients: &[&RecipientJourney]) -> String {
    let lines: Vec<String> = recipients.iter().map(|r| recipient_line(r, kind)).collect();
    let text = match kind {
        NoticeKind::Failure => &words.failure_text,
        NoticeKind::Delay => &words.delay_text,
        NoticeKind::Success => &words.success_text,
    };
    text.replace("{host}", host).replace("{recipients}", &lines.join("\n"))
}
