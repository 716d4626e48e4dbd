//! The mail transaction: MAIL FROM, RCPT TO, DATA or BDAT, and queuing the message.

use super::{ChunkInProgress, Server};
use crate::address::Path;
use crate::command::{Body, MailParams, RcptParams, Verb};
use crate::event::{ClientLine, Event};
use crate::framing::{ChunkReader, ContentReport};
use crate::mailbox::StoredMessage;
use crate::message::header_value;
use crate::session::{Phase, Recipient, path_address};
use crate::situation::Situation;
use crate::time::Timestamp;
use std::fmt::Write;

impl Server {
    pub(super) fn mail(&mut self, now: Timestamp, from: Path, params: MailParams) {
        if let Some(situation) = self.sequence_error(Verb::Mail) {
            return self.reply(now, situation, &[]);
        }
        let policy = &self.config.policy;
        if policy.auth_required && self.conn.authenticated_as.is_none() {
            return self.reply(now, Situation::AuthRequired, &[]);
        }
        if !params.is_empty() && !self.conn.esmtp {
            // ESMTP parameters need EHLO: after HELO the server offered no extensions.
            return self.reply(now, Situation::ParameterNotOffered, &[("detail", "ESMTP parameters (the session began with HELO, not EHLO)")]);
        }
        if params.smtputf8 && !self.offers("SMTPUTF8") {
            return self.reply(now, Situation::ParameterNotOffered, &[("detail", "SMTPUTF8")]);
        }
        if params.body == Some(Body::BinaryMime) && !self.offers("BINARYMIME") {
            return self.reply(now, Situation::ParameterNotOffered, &[("detail", "BODY=BINARYMIME")]);
        }
        // Postfix 3.7 takes a UTF-8 address without the SMTPUTF8 parameter (and answers 250).
        if !from.is_ascii() && !params.smtputf8 && self.persona().utf8_needs_smtputf8 {
            return self.reply(now, Situation::Utf8NotDeclared, &[]);
        }
        if params.size.is_some_and(|size| size > policy.message_size_limit()) {
            return self.reply(now, Situation::DeclaredSizeTooBig, &[]);
        }
        let address = path_address(&from);
        let envelope = std::sync::Arc::make_mut(&mut self.txn.envelope);
        envelope.reverse_path = Some(from);
        envelope.mail_params = params;
        self.conn.phase = Phase::Mail;
        self.reply(now, Situation::SenderAccepted, &[("address", &address)]);
    }

    pub(super) fn rcpt(&mut self, now: Timestamp, to: Path, params: RcptParams) {
        if let Some(situation) = self.sequence_error(Verb::Rcpt) {
            return self.reply(now, situation, &[]);
        }
        let address = path_address(&to);
        let values = [("address", address.as_str())];
        if (params.notify.is_some() || params.orcpt.is_some()) && !self.conn.esmtp {
            return self.reply(now, Situation::ParameterNotOffered, &[("detail", "ESMTP parameters (the session began with HELO, not EHLO)")]);
        }
        let policy = &self.config.policy;
        if self.txn.envelope.recipients.len() >= policy.max_recipients {
            return self.reply(now, Situation::TooManyRecipients, &values);
        }
        if !to.is_ascii() && !self.txn.envelope.mail_params.smtputf8 && self.persona().utf8_needs_smtputf8 {
            return self.reply(now, Situation::Utf8NotDeclared, &values);
        }
        if let Path::Mailbox(mailbox) = &to {
            let local = policy.is_local_domain(&mailbox.domain);
            let may_relay = policy.open_relay || (policy.relay_when_authenticated && self.conn.authenticated_as.is_some());
            if local && !policy.mailbox_exists(&mailbox.local_part) && !policy.open_relay {
                return self.reply(now, Situation::UserUnknown, &values);
            }
            if !local && !may_relay {
                return self.reply(now, Situation::RelayDenied, &values);
            }
        }
        // Greylisting is a policy for unknown inbound mail: a logged-in user is not greylisted.
        if policy.greylisting && self.conn.authenticated_as.is_none() {
            let key = (self.peer.ip.clone(), self.txn.envelope.sender_address(), address.clone());
            let delay = policy.greylist_delay_secs;
            let first = *self.host.greylist.entry(key).or_insert(now);
            let waited = now.millis_since(first) / 1000;
            if waited < delay || first == now {
                let remaining = (delay - waited.min(delay)).max(1).to_string();
                return self.reply(now, Situation::Greylisted, &[("address", &address), ("delay", &remaining)]);
            }
        }
        std::sync::Arc::make_mut(&mut self.txn.envelope).recipients.push(Recipient { path: to, params });
        self.conn.phase = Phase::Recipients;
        self.reply(now, Situation::RecipientAccepted, &values);
    }

    pub(super) fn data_command(&mut self, now: Timestamp) {
        if let Some(situation) = self.sequence_error(Verb::Data) {
            return self.reply(now, situation, &[]);
        }
        self.conn.phase = Phase::Data;
        let expected = self.txn.envelope.mail_params.size.unwrap_or(0).min(1 << 20);
        self.txn.data = Some(self.data_reader(expected));
        self.reply(now, Situation::StartMailInput, &[]);
    }

    pub(super) fn bdat(&mut self, now: Timestamp, size: u64, last: bool) {
        let refusal = if !self.offers("CHUNKING") { Some(Situation::UnknownCommand) } else { self.sequence_error(Verb::Bdat) };
        if refusal.is_none() {
            self.conn.phase = Phase::Chunking;
        }
        self.txn.chunk = Some(ChunkInProgress { reader: ChunkReader { remaining: size }, last, size, refusal });
        if size == 0 {
            self.finish_chunk(now);
        }
    }

    pub(super) fn finish_chunk(&mut self, now: Timestamp) {
        let Some(chunk) = self.txn.chunk.take() else { return };
        let shown = format!("({} octets of BDAT chunk{})", chunk.size, if chunk.last { ", LAST" } else { "" });
        self.events.push_back(Event::LineReceived { at: now, raw: shown.into(), line: ClientLine::Chunk, bare_lf: false });
        if let Some(situation) = chunk.refusal {
            return self.reply(now, situation, &[("verb", "BDAT")]);
        }
        if !chunk.last {
            let bytes = chunk.size.to_string();
            return self.reply(now, Situation::ChunkAccepted, &[("bytes", &bytes)]);
        }
        let mut content = std::mem::take(&mut self.txn.chunk_content);
        let report = std::mem::take(&mut self.txn.chunk_report);
        // Postfix ends a message that lacks a final CRLF with one.
        if !content.is_empty() && !content.ends_with(b"\r\n") {
            content.extend_from_slice(b"\r\n");
        }
        self.finish_message(now, content, report, true);
    }

    /// After DATA's end or the last BDAT chunk: refuse or queue, then end the transaction.
    pub(super) fn finish_message(&mut self, now: Timestamp, content: Vec<u8>, report: ContentReport, chunked: bool) {
        if self.config.policy.faults.is_empty() {
            return self.conclude_message(now, content, report, chunked);
        }
        if let Some((content, report)) = self.message_with_rules(now, content, report, chunked) {
            self.conclude_message(now, content, report, chunked);
        }
    }

    /// The server's own verdict on a message: refused, or queued.
    pub(super) fn conclude_message(&mut self, now: Timestamp, content: Vec<u8>, report: ContentReport, chunked: bool) {
        let refusal = if report.too_big {
            Some(Situation::MessageTooBig)
        } else if report.overlong_line.is_some() {
            Some(Situation::TextLineTooLong)
        } else if self.config.policy.require_message_id && header_value(&content, "Message-ID").is_none() {
            Some(Situation::MessageIdMissing)
        } else {
            None
        };
        if let Some(situation) = refusal {
            self.reset_transaction();
            self.conn.phase = Phase::Greeted;
            return self.reply(now, situation, &[]);
        }
        let queue_id = self.queue_id();
        let raw = self.with_trace_headers(now, &queue_id, &content);
        let size = content.len() as u64;
        // The transaction ends here: its envelope goes to the message and the event, and the
        // next transaction starts with a new one (one allocation, not a default taken and
        // another made).
        let envelope = self.reset_transaction().envelope;
        self.host.messages.push(StoredMessage {
            queue_id: queue_id.clone(),
            received_at: now,
            envelope: crate::session::Envelope::clone(&envelope),
            client_name: self.conn.client_name.as_deref().map(String::from),
            client_ip: self.peer.ip.clone(),
            tls: self.conn.tls,
            authenticated_as: self.conn.authenticated_as.as_deref().map(String::from),
            raw,
            journey: None,
            report_of: None,
        });
        self.events.push_back(Event::MessageAccepted { at: now, queue_id: queue_id.clone(), envelope, size });
        self.conn.accepted = self.conn.accepted.saturating_add(1);
        self.conn.phase = Phase::Greeted;
        let situation = if chunked { Situation::LastChunkQueued } else { Situation::MessageQueued };
        // Only the values the profile's words name are made (Exchange's name the Message-ID,
        // found by reading the headers again).
        let wording = self.persona().template(situation).text;
        let bytes = if wording.contains("{bytes}") { size.to_string() } else { String::new() };
        let message_id = if !wording.contains("{msgid}") {
            String::new()
        } else if let Some(id) = header_value(&content, "Message-ID") {
            id.trim().trim_start_matches('<').trim_end_matches('>').to_string()
        } else {
            format!("{queue_id}@{}", self.config.policy.hostname)
        };
        self.reply(now, situation, &[("id", &queue_id), ("bytes", &bytes), ("msgid", &message_id)]);
        if self.config.policy.delivery == crate::profile::DeliveryMode::Simulate {
            self.deliver(now);
        }
    }

    /// The newest message's journey after the 250: recorded on it and as an event, with each
    /// report to a local sender put in the Mailbox.
    fn deliver(&mut self, now: Timestamp) {
        let Some(stored) = self.host.messages.last() else { return };
        let accepted = crate::delivery::Accepted {
            queue_id: &stored.queue_id,
            at: now,
            envelope: &stored.envelope,
            raw: &stored.raw,
            persona: self.persona(),
            policy: &self.config.policy,
            authenticated: stored.authenticated_as.is_some(),
            client_ip: &stored.client_ip,
        };
        let journey = std::sync::Arc::new(crate::delivery::deliver(&accepted));
        let reports: Vec<StoredMessage> = journey
            .notices
            .iter()
            .filter(|n| n.local)
            .map(|n| {
                let mut envelope = crate::session::Envelope { reverse_path: Some(crate::address::Path::Null), ..Default::default() };
                if let Ok(to) = crate::address::parse_mailbox(&n.to, false) {
                    envelope.recipients.push(crate::session::Recipient { path: crate::address::Path::Mailbox(to), params: Default::default() });
                }
                let mut raw = format!("Return-Path: <>\r\nReceived: by {} (mail system) id {}; {}\r\n", self.config.policy.hostname, n.queue_id, n.at.rfc5322_date()).into_bytes();
                raw.extend_from_slice(&n.raw);
                StoredMessage {
                    queue_id: n.queue_id.clone(),
                    received_at: n.at,
                    envelope,
                    client_name: None,
                    client_ip: "127.0.0.1".into(),
                    tls: false,
                    authenticated_as: None,
                    raw,
                    journey: None,
                    report_of: Some(journey.queue_id.clone()),
                }
            })
            .collect();
        if let Some(stored) = self.host.messages.last_mut() {
            stored.journey = Some(std::sync::Arc::clone(&journey));
        }
        self.host.messages.extend(reports);
        self.events.push_back(Event::Delivery { at: now, journey });
    }

    /// The reader for a message after 354, as this server reads content.
    pub(super) fn data_reader(&self, expected: u64) -> crate::framing::DataReader {
        let lf_ends_lines = self.config.policy.bare_line_feed == crate::profile::BareLineFeed::LineEnd;
        crate::framing::DataReader::with_capacity(self.config.policy.message_size_limit(), expected).lf_ends_lines(lf_ends_lines)
    }

    /// `Return-Path:` and `Received:` as RFC 5321 4.4 has the receiving server prepend them.
    fn with_trace_headers(&self, now: Timestamp, queue_id: &str, content: &[u8]) -> Vec<u8> {
        let helo = self.conn.client_name.as_deref().unwrap_or("unknown");
        let protocol = match (self.conn.esmtp, self.conn.tls, self.conn.authenticated_as.is_some()) {
            (false, _, _) => "SMTP",
            (true, false, false) => "ESMTP",
            (true, true, false) => "ESMTPS",
            (true, false, true) => "ESMTPA",
            (true, true, true) => "ESMTPSA",
        };
        let product = &self.persona().received_product;
        let (open, close) = if product.is_empty() { ("", "") } else { (" (", ")") };
        // One buffer sized for the header and the content: no growing, and no string per piece.
        let mut header = String::with_capacity(320 + content.len());
        let _ = write!(
            header,
            "Return-Path: <{}>\r\nReceived: from {helo} (unknown [{ip}])\r\n\tby {host}{open}{product}{close} with {protocol} id {queue_id}",
            self.txn.envelope.sender_address(),
            ip = self.peer.ip,
            host = self.config.policy.hostname,
        );
        if let [one] = self.txn.envelope.recipients.as_slice() {
            let _ = write!(header, "\r\n\tfor <{}>", path_address(&one.path));
        }
        let _ = write!(header, ";\r\n\t{}\r\n", now.rfc5322_date());
        let mut raw = header.into_bytes();
        raw.extend_from_slice(content);
        raw
    }
}
