//! HELO/EHLO with each profile's extension list, VRFY.

use super::Server;
use crate::profile::{ProfileName, VrfyPolicy};
use crate::reply::Reply;
use crate::session::Phase;
use crate::situation::Situation;
use crate::time::Timestamp;

impl Server {
    pub(super) fn helo(&mut self, now: Timestamp, domain: compact_str::CompactString, esmtp: bool) {
        // HELO/EHLO in a transaction ends it, as RSET would (RFC 5321 4.1.4).
        self.txn = super::Transaction::default();
        self.conn.client_name = Some(domain);
        self.conn.esmtp = esmtp;
        self.conn.phase = Phase::Greeted;
        if !esmtp {
            return self.reply(now, Situation::HeloAccepted, &[]);
        }
        let mut reply = self.render(now, Situation::EhloAccepted, &[]);
        reply.lines.truncate(1);
        reply.lines.extend(self.extensions());
        self.send(now, reply, Situation::EhloAccepted);
    }

    /// The EHLO keywords, in the order the real server sends them. They depend on the policy
    /// and on TLS: STARTTLS disappears inside TLS, AUTH may appear only there (RFC 3207 4.2).
    pub fn extensions(&self) -> Vec<String> {
        let p = &self.config.policy;
        let size = format!("SIZE {}", p.max_message_size);
        let auth_offered = p.auth_enabled && (self.conn.tls || !p.tls_required_for_auth);
        let starttls = p.starttls && !self.conn.tls;
        let mut out: Vec<String> = Vec::new();
        let mut add = |keep: bool, keyword: &str| {
            if keep {
                out.push(keyword.to_string());
            }
        };
        match self.config.profile {
            ProfileName::Postfix => {
                add(p.pipelining, "PIPELINING");
                add(true, &size);
                add(p.vrfy != VrfyPolicy::Disabled, "VRFY");
                add(true, "ETRN");
                add(starttls, "STARTTLS");
                add(auth_offered, "AUTH PLAIN LOGIN");
                add(true, "ENHANCEDSTATUSCODES");
                add(true, "8BITMIME");
                add(true, "DSN");
                add(p.smtputf8, "SMTPUTF8");
                add(p.chunking, "CHUNKING");
            }
            ProfileName::Exchange => {
                add(true, &size);
                add(p.pipelining, "PIPELINING");
                add(true, "DSN");
                add(true, "ENHANCEDSTATUSCODES");
                add(starttls, "STARTTLS");
                add(auth_offered, "AUTH LOGIN");
                add(true, "8BITMIME");
                add(true, "BINARYMIME");
                add(p.chunking, "CHUNKING");
                add(p.smtputf8, "SMTPUTF8");
            }
            ProfileName::Gmail => {
                add(true, &size);
                add(true, "8BITMIME");
                add(starttls, "STARTTLS");
                add(auth_offered, "AUTH LOGIN PLAIN XOAUTH2 PLAIN-CLIENTTOKEN OAUTHBEARER XOAUTH");
                add(true, "ENHANCEDSTATUSCODES");
                add(p.pipelining, "PIPELINING");
                add(p.chunking, "CHUNKING");
                add(p.smtputf8, "SMTPUTF8");
            }
            ProfileName::Mock => {
                add(p.pipelining, "PIPELINING");
                add(true, &size);
                add(true, "8BITMIME");
                add(p.smtputf8, "SMTPUTF8");
                add(true, "ENHANCEDSTATUSCODES");
                add(starttls, "STARTTLS");
                add(auth_offered, "AUTH PLAIN LOGIN");
                add(p.chunking, "CHUNKING");
                add(true, "DSN");
                add(true, "HELP");
            }
            // The z/OS SMTP server does not know EHLO: never asked.
            ProfileName::Zos => {}
            ProfileName::Cssmtp => {
                add(true, &size);
                add(true, "8BITMIME");
                add(p.pipelining, "PIPELINING");
                add(starttls, "STARTTLS");
                add(auth_offered, "AUTH PLAIN LOGIN");
                add(true, "ENHANCEDSTATUSCODES");
            }
        }
        out
    }

    /// Whether an EHLO keyword is currently advertised (e.g. `"CHUNKING"`).
    pub fn offers(&self, keyword: &str) -> bool {
        self.extensions().iter().any(|e| e.split(' ').next() == Some(keyword))
    }

    pub(super) fn vrfy(&mut self, now: Timestamp, argument: &str) {
        let address = argument.trim().trim_start_matches('<').trim_end_matches('>').to_string();
        let situation = match self.config.policy.vrfy {
            VrfyPolicy::Disabled => Situation::VrfyDisabled,
            VrfyPolicy::Ambiguous => Situation::VrfyAmbiguous,
            VrfyPolicy::Verify => {
                let (local, domain) = address.rsplit_once('@').unwrap_or((&address, ""));
                let local_domain = domain.is_empty() || self.config.policy.is_local_domain(domain);
                if local_domain && self.config.policy.mailbox_exists(local) { Situation::VrfyKnown } else { Situation::VrfyUnknown }
            }
        };
        self.reply(now, situation, &[("address", &address)]);
    }

    /// The EHLO reply as a real client would see it now (for the reference page).
    pub fn ehlo_preview(&self, now: Timestamp) -> Reply {
        let mut reply = self.render(now, Situation::EhloAccepted, &[]);
        reply.lines.truncate(1);
        reply.lines.extend(self.extensions());
        reply
    }
}
