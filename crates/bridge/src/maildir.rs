//! The mock server's optional persistence: captured mail as a Maildir (`tmp/`, `new/`, `cur/`),
//! which mutt, Thunderbird's import, `mu` or a shell script can read.
//!
//! Each message is written to `tmp/` and renamed into `new/` (the Maildir delivery protocol, so
//! a reader never sees half a file). The file is the message as stored, `Return-Path:` and
//! `Received:` included, with one `X-Original-To:` header per envelope recipient in front (as
//! Postfix's local delivery writes it): so the envelope survives a restart. The queue id is in
//! the file name. Files are not fsync'ed: this is a lab's mailbox, not a mail queue.

use smtp_protocol::address::{Path as SmtpPath, parse_mailbox};
use smtp_protocol::message::header_value;
use smtp_protocol::session::{Envelope, Recipient};
use smtp_protocol::{StoredMessage, Timestamp};
use std::io;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

pub struct Maildir {
    root: PathBuf,
    host: String,
    counter: AtomicU64,
}

impl Maildir {
    /// Opens (creating if needed) the Maildir at `root`.
    pub fn open(root: &Path) -> io::Result<Self> {
        for sub in ["tmp", "new", "cur"] {
            std::fs::create_dir_all(root.join(sub)).map_err(|e| io::Error::new(e.kind(), format!("{}: {e}", root.join(sub).display())))?;
        }
        let host = std::fs::read_to_string("/etc/hostname").ok().map(|h| h.trim().replace(['/', ':'], "_")).filter(|h| !h.is_empty()).unwrap_or_else(|| "smtp-bridge".into());
        Ok(Maildir { root: root.to_path_buf(), host, counter: AtomicU64::new(0) })
    }

    /// Writes one message into `new/`, with the store's id for it and the session it came in
    /// (so that both are the same after a restart); its path.
    pub fn deliver(&self, message: &StoredMessage, id: u64, session: u64) -> io::Result<PathBuf> {
        let n = self.counter.fetch_add(1, Ordering::Relaxed);
        let secs = message.received_at.0 / 1000;
        // time.unique.host; the queue id is letters and digits only, safe in a file name.
        let queue_id: String = message.queue_id.chars().filter(char::is_ascii_alphanumeric).collect();
        // The counter is zero-padded so that names sort in delivery order within a second.
        let name = format!("{secs}.P{}Q{n:08}_{queue_id}.{}", std::process::id(), self.host);
        let mut content = Vec::with_capacity(message.raw.len() + 64);
        for recipient in message.envelope.recipient_addresses() {
            content.extend_from_slice(format!("X-Original-To: {recipient}\r\n").as_bytes());
        }
        content.extend_from_slice(format!("{ID_HEADER}{id}\r\n{SESSION_HEADER}{session}\r\n").as_bytes());
        // Who sent it (line breaks cannot occur: the values come from one command line each).
        let clean = |v: &str| v.replace(['\r', '\n'], " ");
        content.extend_from_slice(format!("{CLIENT_HEADER}{}\r\n", clean(&message.client_ip)).as_bytes());
        if let Some(helo) = &message.client_name {
            content.extend_from_slice(format!("{HELO_HEADER}{}\r\n", clean(helo)).as_bytes());
        }
        if let Some(user) = &message.authenticated_as {
            content.extend_from_slice(format!("{AUTH_HEADER}{}\r\n", clean(user)).as_bytes());
        }
        content.extend_from_slice(&message.raw);
        let tmp = self.root.join("tmp").join(&name);
        let new = self.root.join("new").join(&name);
        std::fs::write(&tmp, &content)?;
        std::fs::rename(&tmp, &new)?;
        Ok(new)
    }

    /// Removes a delivered message (deleted from the page or the API, or dropped).
    pub fn remove(&self, path: &Path) {
        if let Err(err) = std::fs::remove_file(path)
            && err.kind() != io::ErrorKind::NotFound
        {
            tracing::warn!(%err, path = %path.display(), "could not remove a message from the Maildir");
        }
    }

    /// The files in `new/` and `cur/`, oldest first, with their sizes: from names and metadata
    /// alone, so that a caller can choose what to [`read`](Maildir::read) before reading any.
    pub fn list(&self) -> io::Result<Vec<(PathBuf, u64)>> {
        let mut files = Vec::new();
        for sub in ["new", "cur"] {
            for entry in std::fs::read_dir(self.root.join(sub))? {
                let entry = entry?;
                match entry.metadata() {
                    Ok(meta) if meta.is_file() => files.push((delivered_secs(&entry.path()), entry.path(), meta.len())),
                    Ok(_) => {}
                    Err(err) => tracing::warn!(%err, path = %entry.path().display(), "skipped an unreadable file in the Maildir"),
                }
            }
        }
        files.sort();
        Ok(files.into_iter().map(|(_, path, size)| (path, size)).collect())
    }

    /// One listed message, with its envelope rebuilt from `Return-Path:` and `X-Original-To:`,
    /// and the id and session it had (absent in files written by others).
    pub fn read(&self, path: &Path) -> io::Result<MaildirMessage> {
        Ok(read_message(path, std::fs::read(path)?))
    }

    /// Keeps a finished session (its record as JSON in `sessions/`, beside the mail).
    pub fn save_session<T: serde::Serialize>(&self, id: u64, record: &T) -> io::Result<()> {
        let dir = self.root.join("sessions");
        std::fs::create_dir_all(&dir)?;
        let json = serde_json::to_vec(record).map_err(io::Error::other)?;
        let tmp = dir.join(format!(".{id:012}.json.tmp"));
        std::fs::write(&tmp, json)?;
        std::fs::rename(&tmp, dir.join(format!("{id:012}.json")))
    }

    /// Forgets the kept sessions.
    pub fn remove_sessions(&self) {
        if let Err(err) = std::fs::remove_dir_all(self.root.join("sessions"))
            && err.kind() != io::ErrorKind::NotFound
        {
            tracing::warn!(%err, "could not remove the kept sessions from the Maildir");
        }
    }

    /// The kept sessions, newest `limit` of them, oldest first; unreadable ones are skipped.
    pub fn sessions<T: serde::de::DeserializeOwned>(&self, limit: usize) -> Vec<T> {
        let Ok(entries) = std::fs::read_dir(self.root.join("sessions")) else { return Vec::new() };
        let mut files: Vec<PathBuf> = entries.filter_map(|e| e.ok()).map(|e| e.path()).filter(|p| p.extension().is_some_and(|x| x == "json")).collect();
        files.sort();
        let skip = files.len().saturating_sub(limit);
        files
            .into_iter()
            .skip(skip)
            .filter_map(|path| match std::fs::read(&path).map_err(|e| e.to_string()).and_then(|b| serde_json::from_slice(&b).map_err(|e| e.to_string())) {
                Ok(record) => Some(record),
                Err(err) => {
                    tracing::warn!(%err, path = %path.display(), "skipped an unreadable session in the Maildir");
                    None
                }
            })
            .collect()
    }
}

/// The delivery time in a Maildir file name (`secs.unique.host`), 0 when it has none.
fn delivered_secs(file: &Path) -> u64 {
    let name = file.file_name().and_then(|n| n.to_str()).unwrap_or_default();
    name.split('.').next().and_then(|s| s.parse().ok()).unwrap_or(0)
}

const ID_HEADER: &str = "X-Playground-Id: ";
const SESSION_HEADER: &str = "X-Playground-Session: ";
const CLIENT_HEADER: &str = "X-Playground-Client: ";
const HELO_HEADER: &str = "X-Playground-Helo: ";
const AUTH_HEADER: &str = "X-Playground-Authenticated-As: ";

/// A message read back from the Maildir, with the store's id and session when the file has them.
pub struct MaildirMessage {
    pub message: StoredMessage,
    pub id: Option<u64>,
    pub session: Option<u64>,
}

/// A Maildir file as a stored message: the `X-Original-To:` (and `X-Playground-*`) lines in
/// front become the envelope's recipients (and the id and session) again and are taken off; the
/// rest is the message as it was stored.
fn read_message(file: &Path, bytes: Vec<u8>) -> MaildirMessage {
    let name = file.file_name().and_then(|n| n.to_str()).unwrap_or_default();
    let secs = delivered_secs(file);
    let queue_id = name.split('.').nth(1).and_then(|u| u.split_once('_')).map(|(_, q)| q.to_string()).unwrap_or_else(|| name.to_string());
    let mut recipients = Vec::new();
    let (mut id, mut session) = (None, None);
    let (mut client_ip, mut client_name, mut authenticated_as) = (String::new(), None, None);
    let text = |value: &[u8]| String::from_utf8_lossy(value).trim().to_string();
    let mut rest = &bytes[..];
    let number = |value: &[u8]| std::str::from_utf8(value).ok().and_then(|v| v.trim().parse::<u64>().ok());
    while let Some(line_end) = rest.windows(2).position(|w| w == b"\r\n") {
        let line = &rest[..line_end];
        if let Some(value) = line.strip_prefix(b"X-Original-To: ") {
            recipients.push(String::from_utf8_lossy(value).trim().to_string());
        } else if let Some(value) = line.strip_prefix(ID_HEADER.as_bytes()) {
            id = number(value);
        } else if let Some(value) = line.strip_prefix(SESSION_HEADER.as_bytes()) {
            session = number(value);
        } else if let Some(value) = line.strip_prefix(CLIENT_HEADER.as_bytes()) {
            client_ip = text(value);
        } else if let Some(value) = line.strip_prefix(HELO_HEADER.as_bytes()) {
            client_name = Some(text(value));
        } else if let Some(value) = line.strip_prefix(AUTH_HEADER.as_bytes()) {
            authenticated_as = Some(text(value));
        } else {
            break;
        }
        rest = &rest[line_end + 2..];
    }
    let raw = rest.to_vec();
    let sender = header_value(&raw, "Return-Path").map(|v| v.trim().trim_start_matches('<').trim_end_matches('>').to_string()).unwrap_or_default();
    let envelope = Envelope {
        reverse_path: Some(smtp_path(&sender)),
        recipients: recipients.iter().map(|r| Recipient { path: smtp_path(r), params: Default::default() }).collect(),
        ..Default::default()
    };
    let message =
        StoredMessage { queue_id, received_at: Timestamp(secs * 1000), envelope, client_name, client_ip, tls: false, authenticated_as, raw, journey: None, report_of: None };
    MaildirMessage { message, id, session }
}

fn smtp_path(address: &str) -> SmtpPath {
    match address {
        "" => SmtpPath::Null,
        a if a.eq_ignore_ascii_case("postmaster") => SmtpPath::Postmaster,
        a => parse_mailbox(a, false).map(SmtpPath::Mailbox).unwrap_or_else(|_| {
            let (local_part, domain) = a.rsplit_once('@').unwrap_or((a, ""));
            SmtpPath::Mailbox(smtp_protocol::address::Mailbox { local_part: local_part.into(), domain: domain.into() })
        }),
    }
}
