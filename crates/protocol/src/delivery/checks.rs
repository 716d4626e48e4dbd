//! What a receiving exchanger checks before it takes a message: SPF (RFC 7208) of the envelope
//! sender's domain against the sending address, DKIM (RFC 6376) signatures, and DMARC (RFC 7489):
//! whether either is aligned with the From: header's domain, and what that domain's policy asks.

use crate::dns::{self, SpfResult};
use crate::journey::{AuthResults, Check, Disposition};

/// What the sending side gives the receiver to judge.
pub struct Sent<'a> {
    /// MAIL FROM's address (empty for the null sender).
    pub envelope_sender: &'a str,
    pub helo: &'a str,
    pub sending_ip: &'a str,
    /// The From: header's domain.
    pub from_domain: Option<&'a str>,
    /// The domain of a valid DKIM signature (`d=`), if the message is signed.
    pub signed_by: Option<&'a str>,
}

/// The organizational domain, as DMARC's relaxed alignment compares them (the last two labels:
/// enough for the simulated zone, which has no public-suffix subtleties).
fn organizational(domain: &str) -> String {
    let labels: Vec<&str> = domain.trim_end_matches('.').split('.').collect();
    labels[labels.len().saturating_sub(2)..].join(".").to_ascii_lowercase()
}

fn dmarc_record(domain: &str) -> Option<(&'static str, String)> {
    let at = |name: &str| dns::lookup(&format!("_dmarc.{name}")).and_then(|d| d.txt.iter().copied().find(|t| t.starts_with("v=DMARC1")));
    at(domain).map(|r| (r, domain.to_string())).or_else(|| {
        let org = organizational(domain);
        at(&org).map(|r| (r, org))
    })
}

fn policy_of(record: &str) -> &str {
    record.split(';').map(str::trim).find_map(|t| t.strip_prefix("p=")).unwrap_or("none")
}

pub fn evaluate(sent: &Sent<'_>) -> AuthResults {
    // SPF checks MAIL FROM's domain, or the HELO name for the null sender (RFC 7208 2.4).
    let spf_domain = sent.envelope_sender.rsplit_once('@').map_or(sent.helo, |(_, d)| d).to_string();
    let spf = match dns::spf(&spf_domain, sent.sending_ip) {
        None => Check { result: "none".into(), domain: Some(spf_domain.clone()), why: format!("{spf_domain} publishes no SPF record: nothing says who may send for it.") },
        Some(result) => {
            let record = dns::spf_record(&spf_domain).unwrap_or_default();
            let (word, why) = match result {
                SpfResult::Pass => ("pass", format!("{} is allowed to send for {spf_domain} by its record \u{201c}{record}\u{201d}.", sent.sending_ip)),
                SpfResult::Fail => ("fail", format!("{spf_domain}'s record \u{201c}{record}\u{201d} does not list {}, and -all says every other address fails.", sent.sending_ip)),
                SpfResult::SoftFail => {
                    ("softfail", format!("{spf_domain}'s record \u{201c}{record}\u{201d} does not list {}; ~all says probably not, without rejecting.", sent.sending_ip))
                }
                SpfResult::Neutral => ("neutral", format!("{spf_domain}'s record says nothing either way about {}.", sent.sending_ip)),
            };
            Check { result: word.into(), domain: Some(spf_domain.clone()), why }
        }
    };
    let dkim = match sent.signed_by {
        Some(d) => Check {
            result: "pass".into(),
            domain: Some(d.to_string()),
            why: format!("The sending server signed the message for {d} (it signs its logged-in users' mail); the signature verifies."),
        },
        None => Check {
            result: "none".into(),
            domain: None,
            why: "No DKIM signature: the sending server signs only mail from its logged-in users, and this sender did not log in.".into(),
        },
    };
    let Some(from) = sent.from_domain.map(str::to_ascii_lowercase) else {
        let dmarc = Check { result: "none".into(), domain: None, why: "The message has no From: domain to check.".into() };
        return AuthResults { spf, dkim, dmarc, disposition: Disposition::Deliver };
    };
    let aligned = |check: &Check| check.result == "pass" && check.domain.as_deref().is_some_and(|d| organizational(d) == organizational(&from));
    let (spf_aligned, dkim_aligned) = (aligned(&spf), aligned(&dkim));
    let (dmarc, disposition) = match dmarc_record(&from) {
        None => (
            Check {
                result: "none".into(),
                domain: Some(from.clone()),
                why: format!("{from} publishes no DMARC policy (_dmarc.{from}): the receiver decides alone, and delivers."),
            },
            Disposition::Deliver,
        ),
        Some((_, _)) if spf_aligned || dkim_aligned => {
            let how = if dkim_aligned { "DKIM" } else { "SPF" };
            (Check { result: "pass".into(), domain: Some(from.clone()), why: format!("{how} passed for a domain aligned with the From: header's {from}.") }, Disposition::Deliver)
        }
        Some((record, at)) => {
            let policy = policy_of(record);
            let disposition = match policy {
                "reject" => Disposition::Reject,
                "quarantine" => Disposition::Junk,
                _ => Disposition::Deliver,
            };
            let what = match disposition {
                Disposition::Reject => "so the receiver rejects the message",
                Disposition::Junk => "so the receiver files it as junk",
                Disposition::Deliver => "but p=none only asks for reports: the message is delivered",
            };
            let why = format!(
                "From: says {from}, but neither SPF ({} for {}) nor DKIM ({}) passed for a domain aligned with it. _dmarc.{at} says \u{201c}{record}\u{201d}: p={policy}, {what}.",
                spf.result,
                spf.domain.as_deref().unwrap_or("?"),
                dkim.domain.as_deref().map_or("no signature".to_string(), |d| format!("d={d}"))
            );
            (Check { result: "fail".into(), domain: Some(from.clone()), why }, disposition)
        }
    };
    AuthResults { spf, dkim, dmarc, disposition }
}

impl AuthResults {
    /// The `Authentication-Results:` header (RFC 8601) the exchanger adds.
    pub fn header(&self, exchanger: &str) -> String {
        let mut out = format!("Authentication-Results: {exchanger};\r\n\tspf={} smtp.mailfrom={}", self.spf.result, self.spf.domain.as_deref().unwrap_or(""));
        match &self.dkim.domain {
            Some(d) => out.push_str(&format!(";\r\n\tdkim={} header.d={d}", self.dkim.result)),
            None => out.push_str(&format!(";\r\n\tdkim={}", self.dkim.result)),
        }
        let policy = match self.disposition {
            Disposition::Reject => " (p=reject)",
            Disposition::Junk => " (p=quarantine)",
            Disposition::Deliver if self.dmarc.result == "fail" => " (p=none)",
            Disposition::Deliver => "",
        };
        out.push_str(&format!(";\r\n\tdmarc={}{policy} header.from={}", self.dmarc.result, self.dmarc.domain.as_deref().unwrap_or("")));
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sent<'a>(sender: &'a str, from: &'a str, signed: Option<&'a str>) -> AuthResults {
        evaluate(&Sent { envelope_sender: sender, helo: "vm", sending_ip: "192.0.2.10", from_domain: Some(from), signed_by: signed })
    }

    #[test]
    fn the_playgrounds_own_mail_passes_everything() {
        let r = sent("student@playground.test", "playground.test", Some("playground.test"));
        assert_eq!((r.spf.result.as_str(), r.dkim.result.as_str(), r.dmarc.result.as_str()), ("pass", "pass", "pass"));
        assert_eq!(r.disposition, Disposition::Deliver);
    }

    #[test]
    fn a_forged_from_is_rejected_by_p_reject_and_delivered_under_p_none() {
        let reject = sent("student@playground.test", "university.example", Some("playground.test"));
        assert_eq!(reject.dmarc.result, "fail");
        assert_eq!(reject.disposition, Disposition::Reject);
        assert!(reject.dmarc.why.contains("p=reject"), "{}", reject.dmarc.why);
        assert!(reject.header("mx.accepts.example").contains("dmarc=fail (p=reject) header.from=university.example"));
        let none = sent("student@playground.test", "example.org", Some("playground.test"));
        assert_eq!(none.disposition, Disposition::Deliver);
        assert_eq!(none.dmarc.result, "fail");
    }

    #[test]
    fn spf_fails_for_a_forged_envelope_sender_and_a_domain_without_dmarc_is_delivered() {
        let r = sent("dean@university.example", "bank.example", None);
        assert_eq!(r.spf.result, "fail");
        assert_eq!(r.dkim.result, "none");
        assert_eq!(r.dmarc.result, "none");
        assert_eq!(r.disposition, Disposition::Deliver);
    }

    #[test]
    fn the_null_sender_is_checked_by_its_helo_name() {
        let r = evaluate(&Sent { envelope_sender: "", helo: "mail.playground.test", sending_ip: "192.0.2.10", from_domain: None, signed_by: None });
        assert_eq!(r.spf.domain.as_deref(), Some("mail.playground.test"));
    }
}
