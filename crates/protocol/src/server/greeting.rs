//! HELO/EHLO with each profile's extension list, VRFY.

use super::Server;
use crate::profile::VrfyPolicy;
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

    /// The EHLO keywords, in the order the persona lists them. They depend on the policy and on
    /// TLS: STARTTLS disappears inside TLS, AUTH may appear only there (RFC 3207 4.2).
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
        for keyword in &self.persona().ehlo_keywords {
            let shown = match keyword.split(' ').next().unwrap_or_default() {
                "PIPELINING" => p.pipelining,
                "VRFY" => p.vrfy != VrfyPolicy::Disabled,
                "STARTTLS" => starttls,
                "AUTH" => auth_offered,
                "SMTPUTF8" => p.smtputf8,
                "CHUNKING" => p.chunking,
                "SIZE" => {
                    add(true, &size);
                    continue;
                }
                _ => true,
            };
            add(shown, keyword);
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
}
