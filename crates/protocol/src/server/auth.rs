//! AUTH PLAIN and LOGIN (RFC 4954, 4616) and STARTTLS (RFC 3207).

use super::{AuthExchange, Server};
use crate::event::{ClientLine, Event};
use crate::session::Phase;
use crate::situation::Situation;
use crate::time::Timestamp;
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum AuthMechanism {
    Plain,
    Login,
}

/// How a PLAIN response (`authzid NUL authcid NUL password`) reads, password hidden.
fn describe_plain(decoded: &[u8]) -> Option<(String, String, String)> {
    let mut parts = decoded.split(|b| *b == 0);
    let authzid = String::from_utf8(parts.next()?.to_vec()).ok()?;
    let user = String::from_utf8(parts.next()?.to_vec()).ok()?;
    let password = String::from_utf8(parts.next()?.to_vec()).ok()?;
    if parts.next().is_some() {
        return None;
    }
    Some((authzid, user, password))
}

/// Text with its control characters drawn as symbols: `student⏎` shows the newline that
/// `echo student | base64` encodes.
pub fn visible(text: &str) -> String {
    text.chars()
        .map(|c| match c {
            '\n' => '⏎',
            '\r' => '␍',
            '\t' => '⇥',
            c if (c as u32) < 0x20 => char::from_u32(0x2400 + c as u32).unwrap_or('?'),
            '\u{7f}' => '␡',
            c => c,
        })
        .collect()
}

/// A password as asterisks, its control characters still shown (a trailing newline is a mistake
/// worth seeing).
pub fn masked(password: &str) -> String {
    visible(password).chars().map(|c| if matches!(c, '⏎' | '␍' | '⇥') || ('\u{2400}'..='\u{2421}').contains(&c) { c } else { '*' }).collect()
}

impl Server {
    pub(super) fn auth_command(&mut self, now: Timestamp, mechanism: &str, initial: Option<compact_str::CompactString>) {
        let policy = &self.config.policy;
        let situation = if !policy.auth_enabled {
            Some(Situation::AuthNotEnabled)
        } else if self.conn.client_name.is_none() {
            Some(Situation::HeloRequired)
        } else if !self.conn.esmtp && self.persona().auth_needs_ehlo {
            // Postfix checks only that the client greeted (the course's handout: HELO, then
            // AUTH LOGIN answered 334); Exchange and Gmail offer AUTH to EHLO only.
            Some(Situation::AuthNeedsEhlo)
        } else if self.conn.authenticated_as.is_some() {
            Some(Situation::AuthAlreadyDone)
        } else if matches!(self.conn.phase, Phase::Mail | Phase::Recipients | Phase::Chunking) {
            Some(Situation::AuthDuringTransaction)
        } else if !self.conn.tls && policy.tls_required_for_auth {
            Some(Situation::AuthNeedsTls)
        } else {
            None
        };
        if let Some(situation) = situation {
            return self.reply(now, situation, &[]);
        }
        let mechanism = match mechanism {
            "PLAIN" => AuthMechanism::Plain,
            "LOGIN" => AuthMechanism::Login,
            _ => return self.reply(now, Situation::AuthMechanismUnsupported, &[]),
        };
        self.conn.auth = Some(AuthExchange { mechanism, user: None, resume: self.conn.phase });
        self.conn.phase = Phase::Authenticating;
        match (mechanism, initial) {
            (AuthMechanism::Plain, None) => self.reply(now, Situation::AuthPlainPrompt, &[]),
            (AuthMechanism::Login, None) => self.reply(now, Situation::AuthUsernamePrompt, &[]),
            // An initial response is handled as if it had answered the first 334 (RFC 4954 4).
            (_, Some(initial)) => self.auth_step(now, initial.as_bytes(), false),
        }
    }

    /// A line answering a 334 challenge.
    pub(super) fn auth_response(&mut self, now: Timestamp, line: &[u8]) {
        self.auth_step(now, line, true);
    }

    fn auth_step(&mut self, now: Timestamp, line: &[u8], own_line: bool) {
        let Some(exchange) = self.conn.auth.clone() else { return };
        let text = String::from_utf8_lossy(line).trim().to_string();
        let decoded = if text == "=" { Some(Vec::new()) } else { STANDARD.decode(&text).ok() };
        let shown = match (&decoded, exchange.mechanism, exchange.user.is_some()) {
            (None, _, _) => None,
            (Some(bytes), AuthMechanism::Plain, _) => {
                Some(describe_plain(bytes).map_or_else(|| "(not authzid\\0user\\0password)".to_string(), |(z, u, p)| format!("{}\\0{}\\0{}", visible(&z), visible(&u), masked(&p))))
            }
            (Some(bytes), AuthMechanism::Login, false) => Some(visible(&String::from_utf8_lossy(bytes))),
            (Some(bytes), AuthMechanism::Login, true) => Some(masked(&String::from_utf8_lossy(bytes))),
        };
        let secret = matches!((exchange.mechanism, exchange.user.is_some()), (AuthMechanism::Plain, _) | (AuthMechanism::Login, true));
        if own_line {
            self.events.push_back(Event::LineReceived {
                at: now,
                raw: text.as_str().into(),
                line: ClientLine::AuthResponse { decoded: shown, secret },
                bare_lf: self.conn.lines.bare_lf,
            });
        }
        if text == "*" {
            return self.finish_auth(now, Situation::AuthCancelled);
        }
        let Some(decoded) = decoded else {
            return self.finish_auth(now, Situation::AuthBadBase64);
        };
        match exchange.mechanism {
            AuthMechanism::Plain => match describe_plain(&decoded) {
                Some((_, user, password)) => self.check_credentials(now, "PLAIN", user, &password),
                None => self.fail_auth(now, "PLAIN", None),
            },
            AuthMechanism::Login => match exchange.user {
                None => {
                    let user = String::from_utf8_lossy(&decoded).into_owned();
                    if let Some(auth) = self.conn.auth.as_mut() {
                        auth.user = Some(user);
                    }
                    self.reply(now, Situation::AuthPasswordPrompt, &[]);
                }
                Some(user) => {
                    let password = String::from_utf8_lossy(&decoded).into_owned();
                    self.check_credentials(now, "LOGIN", user, &password);
                }
            },
        }
    }

    fn check_credentials(&mut self, now: Timestamp, mechanism: &str, user: String, password: &str) {
        if self.config.policy.check_account(&user, password) {
            self.events.push_back(Event::AuthSucceeded { at: now, user: user.clone(), mechanism: mechanism.into() });
            self.conn.authenticated_as = Some(user.into());
            self.finish_auth(now, Situation::AuthSucceeded);
        } else {
            self.fail_auth(now, mechanism, Some(user));
        }
    }

    fn fail_auth(&mut self, now: Timestamp, mechanism: &str, user: Option<String>) {
        self.events.push_back(Event::AuthFailed { at: now, user, mechanism: mechanism.into() });
        self.finish_auth(now, Situation::AuthFailed);
    }

    /// Ends the exchange: back to the phase AUTH was given in, then the reply.
    pub(super) fn finish_auth(&mut self, now: Timestamp, situation: Situation) {
        if let Some(exchange) = self.conn.auth.take() {
            self.conn.phase = exchange.resume;
        }
        self.reply(now, situation, &[]);
    }

    pub(super) fn starttls(&mut self, now: Timestamp) {
        if self.conn.tls {
            return self.reply(now, Situation::TlsAlreadyActive, &[]);
        }
        if !self.config.policy.starttls {
            return self.reply(now, Situation::TlsUnavailable, &[]);
        }
        // The 220's state says the handshake is next, as the host reads it.
        self.conn.phase = Phase::TlsHandshake;
        self.reply(now, Situation::TlsReady, &[]);
        // Anything the client pipelined after STARTTLS arrived in clear text and must not be
        // taken as a command inside TLS (the STARTTLS command injection flaw, CVE-2011-0411).
        self.conn.input.clear();
    }
}
