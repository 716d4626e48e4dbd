//! After the 250: what the simulated server does with a message it accepted. Local recipients
//! go to the Mailbox; remote ones are routed through the simulated zone ([`crate::dns`]): MX by
//! preference (the A record when there is none, nothing for a null MX), then the receiving
//! exchanger's answer ([`crate::dns::receiving`]) and its SPF, DKIM and DMARC checks
//! ([`checks`]). Deferrals are retried on Postfix's backoff, compressed to a few attempts;
//! failures, delays and (when asked) successes are reported to the envelope sender in an
//! RFC 3464 delivery status notification ([`dsn`]).
//!
//! Sans-IO like the rest: the whole journey is computed at once from the time it is given; its
//! hops carry the simulated times at which they would happen.

pub mod checks;
pub mod dsn;

use crate::command::{Notify, Ret};
use crate::dns::{self, Receiving};
use crate::journey::{AuthResults, Disposition, Hop, Journey, NoticeKind, Outcome, RecipientJourney, Step};
use crate::persona::Persona;
use crate::profile::ServerPolicy;
use crate::reply::Reply;
use crate::session::{Envelope, path_address};
use crate::time::Timestamp;

/// The address the simulated server sends from (its A record in the zone).
pub(crate) const OUTBOUND_IP: &str = "192.0.2.10";

/// Retries of a deferred recipient before the simulator gives up: Postfix keeps trying for
/// `maximal_queue_lifetime` (5 days); the simulator compresses that to these attempts.
pub(crate) const ATTEMPTS: usize = 5;

/// Seconds before each retry: Postfix's backoff from `minimal_backoff_time` (300 s), doubling.
const BACKOFF: [u64; ATTEMPTS - 1] = [300, 600, 1200, 2400];

impl RecipientJourney {
    /// The exchanger refused for good, or for the last time: the hop, and the DSN's status and
    /// diagnostic from its reply.
    fn refused(&mut self, at: Timestamp, text: String, refusal: Reply, checks: Option<AuthResults>, (exchanger, ip): (&str, &str)) {
        let status = refusal.enhanced.map_or_else(|| format!("{}.0.0", refusal.code / 100), |e| e.to_string());
        let diagnostic = format!("smtp; {}", refusal.to_wire().trim_end());
        self.hops.push(Hop { at, step: Step::Failed, text, exchanger: Some(format!("{exchanger}[{ip}]")), reply: Some(refusal), checks });
        self.outcome = Outcome::Failed { status, diagnostic, remote: Some(exchanger.to_string()) };
    }
}

/// What the server knows of the accepted message, for its journey.
pub struct Accepted<'a> {
    pub queue_id: &'a str,
    pub at: Timestamp,
    pub envelope: &'a Envelope,
    /// The message as stored (trace headers and content).
    pub raw: &'a [u8],
    /// Whose words the reports are written in.
    pub persona: &'a Persona,
    pub policy: &'a ServerPolicy,
    /// The client logged in (a submission server signs its users' mail with DKIM).
    pub authenticated: bool,
    pub client_ip: &'a str,
}

/// The route to one domain: the exchangers to try, or why there is none.
enum Route {
    Exchangers(Vec<(String, String)>),
    Unroutable { status: &'static str, diagnostic: String, text: String },
}

fn route(domain: &str) -> (Route, String) {
    let Some(zone) = dns::lookup(domain) else {
        let text = format!("MX lookup for {domain}: NXDOMAIN (no such domain).");
        let diagnostic = format!("X-Postfix; Host or domain name not found. Name service error for name={domain} type=MX: Host not found");
        return (Route::Unroutable { status: "5.4.4", diagnostic, text: "No such domain: nowhere to deliver.".into() }, text);
    };
    if zone.mx.iter().any(|m| m.exchange == ".") {
        let text = format!("MX lookup for {domain}: 0 . (a null MX, RFC 7505).");
        return (
            Route::Unroutable {
                status: "5.1.10",
                diagnostic: format!("X-Postfix; Domain {domain} does not accept mail (nullMX)"),
                text: "The domain says it accepts no mail at all.".into(),
            },
            text,
        );
    }
    let records = dns::mx_sorted(zone);
    let (names, lookup): (Vec<String>, String) = if records.is_empty() {
        (vec![domain.to_string()], format!("MX lookup for {domain}: none; its A record is the implicit MX (RFC 5321 5.1)."))
    } else {
        let list: Vec<String> = records.iter().map(|r| format!("{} {}", r.preference, r.exchange.trim_end_matches('.'))).collect();
        (records.iter().map(|r| r.exchange.trim_end_matches('.').to_string()).collect(), format!("MX lookup for {domain}: {} (lowest preference first).", list.join(", ")))
    };
    let exchangers: Vec<(String, String)> = names.into_iter().filter_map(|name| dns::lookup(&name).and_then(|d| d.a.first()).map(|ip| (name, ip.to_string()))).collect();
    if exchangers.is_empty() {
        let diagnostic = format!("X-Postfix; Host or domain name not found. Name service error for name={domain} type=A: Host not found");
        return (Route::Unroutable { status: "5.4.4", diagnostic, text: "No exchanger has an address.".into() }, lookup);
    }
    (Route::Exchangers(exchangers), lookup)
}

fn domain_of(address: &str) -> &str {
    address.rsplit_once('@').map_or("", |(_, d)| d)
}

/// The message's journey, and the bounce messages for the Mailbox (those to a local sender).
pub fn deliver(message: &Accepted<'_>) -> Journey {
    let sender = message.envelope.sender_address();
    // Read once, from the header alone: the From: domain for DMARC here, the subject (as written,
    // encoded words kept, which a header may carry) for the reports.
    let from_domain = crate::message::from_domain(message.raw);
    let subject = crate::message::header_value(message.raw, "Subject");
    let helo = message.policy.hostname.as_str();
    let mut recipients: Vec<RecipientJourney> = Vec::new();
    for recipient in &message.envelope.recipients {
        let address = path_address(&recipient.path);
        // A recipient given twice gets one copy (as Postfix's cleanup merges duplicates).
        if recipients.iter().any(|r| r.recipient.eq_ignore_ascii_case(&address)) {
            continue;
        }
        let domain = domain_of(&address).to_string();
        let original_recipient = recipient.params.orcpt.as_deref().map(|o| o.split_once(';').map_or(o, |(_, a)| a).to_string());
        let mut journey = RecipientJourney {
            recipient: address.clone(),
            original_recipient,
            notify: recipient.params.notify,
            hops: Vec::new(),
            outcome: Outcome::Delivered,
            delayed: false,
            headers_added: Vec::new(),
        };
        let start = message.at;
        if domain.is_empty() || message.policy.is_local_domain(&domain) {
            let user = address.split('@').next().unwrap_or_default();
            journey.hops.push(Hop {
                at: start,
                step: Step::Local,
                text: format!("Local recipient: delivered to the mailbox of {user} on this server."),
                exchanger: None,
                reply: None,
                checks: None,
            });
            recipients.push(journey);
            continue;
        }
        let (route, lookup) = route(&domain);
        journey.hops.push(Hop { at: start, step: Step::Lookup, text: lookup, exchanger: None, reply: None, checks: None });
        let (exchanger, ip) = match route {
            Route::Unroutable { status, diagnostic, text } => {
                journey.hops.push(Hop { at: start, step: Step::Failed, text, exchanger: None, reply: None, checks: None });
                journey.outcome = Outcome::Failed { status: status.into(), diagnostic, remote: None };
                recipients.push(journey);
                continue;
            }
            // The most preferred exchanger answers in this zone; the others are never needed.
            Route::Exchangers(list) => list.into_iter().next().expect("at least one"),
        };
        let behaviour = dns::receiving(&domain);
        let mut at = start.plus_secs(1);
        for attempt in 0..ATTEMPTS {
            let rcpt = match behaviour {
                Receiving::NoUser => reply(550, "5.1.1", format!("<{address}>: Recipient address rejected: User unknown in virtual mailbox table")),
                Receiving::Full => reply(452, "4.2.2", format!("<{address}>: Recipient address rejected: Mailbox full")),
                Receiving::Greylist if attempt == 0 => reply(451, "4.7.1", format!("<{address}>: Recipient address rejected: Greylisted, try again in 300 seconds")),
                _ => reply(250, "2.1.5", "Ok".into()),
            };
            let tried = format!("Attempt {}: connected to {exchanger}[{ip}]:25, RCPT TO:<{address}>.", attempt + 1);
            if rcpt.code >= 500 {
                journey.refused(at, format!("{tried} Refused for good: the message comes back to the sender."), rcpt, None, (&exchanger, &ip));
                break;
            }
            if rcpt.code >= 400 {
                journey.delayed = true;
                if attempt + 1 == ATTEMPTS {
                    let text = format!(
                        "{tried} Still refused after {ATTEMPTS} attempts: the server gives up (Postfix would keep trying for 5 days, maximal_queue_lifetime; the simulator compresses that)."
                    );
                    journey.refused(at, text, rcpt, None, (&exchanger, &ip));
                    break;
                }
                let wait = BACKOFF.get(attempt).copied().unwrap_or(4000);
                journey.hops.push(Hop {
                    at,
                    step: Step::Deferred,
                    text: format!("{tried} Deferred: a temporary refusal, retried in {} minutes.", wait / 60),
                    exchanger: Some(format!("{exchanger}[{ip}]")),
                    reply: Some(rcpt),
                    checks: None,
                });
                at = at.plus_secs(wait);
                continue;
            }
            // RCPT accepted: the message goes over; the exchanger judges it at the end of DATA.
            let results =
                checks::evaluate(&checks::Sent { envelope_sender: &sender, helo, sending_ip: OUTBOUND_IP, from_domain: from_domain.as_deref(), signed_by: signer(message) });
            let remote_id = format!("{:010X}", fnv(&format!("{}{address}", message.queue_id)) & 0xFF_FFFF_FFFF);
            journey.headers_added.push(format!(
                "Received: from {helo} ({helo} [{OUTBOUND_IP}])\r\n\tby {exchanger} (Postfix) with ESMTPS id {remote_id}\r\n\tfor <{address}>; {}",
                at.rfc5322_date()
            ));
            journey.headers_added.push(results.header(&exchanger));
            match results.disposition {
                Disposition::Reject => {
                    let refusal = reply(550, "5.7.1", format!("rejected by DMARC policy for {}", results.dmarc.domain.clone().unwrap_or_default()));
                    journey.refused(
                        at,
                        format!("{tried} The message was sent; at the end of DATA the exchanger checked it and refused it."),
                        refusal,
                        Some(results),
                        (&exchanger, &ip),
                    );
                }
                disposition => {
                    let junk = disposition == Disposition::Junk;
                    let accepted = reply(250, "2.0.0", format!("Ok: queued as {remote_id}"));
                    let text = if junk {
                        format!("{tried} Accepted, and filed in the junk folder (DMARC quarantine).")
                    } else {
                        format!("{tried} Accepted and delivered to the recipient's mailbox.")
                    };
                    let step = if junk { Step::Junk } else { Step::Delivered };
                    journey.hops.push(Hop { at, step, text, exchanger: Some(format!("{exchanger}[{ip}]")), reply: Some(accepted), checks: Some(results) });
                    journey.outcome = if junk { Outcome::Junk } else { Outcome::Delivered };
                }
            }
            break;
        }
        recipients.push(journey);
    }
    let mut journey = Journey { queue_id: message.queue_id.to_string(), recipients, notices: Vec::new(), silent: None, backscatter: None };
    dsn::notify(message, subject.as_deref().unwrap_or_default(), &mut journey);
    journey
}

/// The domain a submission server signs its users' mail for (DKIM), if it signs this one.
fn signer<'a>(message: &'a Accepted<'_>) -> Option<&'a str> {
    if !message.authenticated {
        return None;
    }
    message.policy.local_domains.iter().map(String::as_str).find(|d| d.contains('.'))
}

fn reply(code: u16, enhanced: &str, text: String) -> Reply {
    Reply::new(code, crate::reply::EnhancedCode::parse(enhanced), text)
}

/// A stable hash, for the remote servers' queue ids.
pub(crate) fn fnv(text: &str) -> u64 {
    text.bytes().fold(0xcbf2_9ce4_8422_2325, |h, b| (h ^ u64::from(b)).wrapping_mul(0x100_0000_01b3))
}

/// What NOTIFY asks for a recipient: RFC 3461's default is failures (delays at the MTA's choice;
/// Postfix sends none by default).
pub(crate) fn wants(notify: Option<Notify>, kind: NoticeKind) -> bool {
    let notify = notify.unwrap_or(Notify { success: false, failure: true, delay: false });
    match kind {
        NoticeKind::Failure => notify.failure,
        NoticeKind::Delay => notify.delay,
        NoticeKind::Success => notify.success,
    }
}

/// RET=HDRS returns only the headers; RET=FULL (Postfix's default) the whole message.
pub(crate) fn returns_full(ret: Option<Ret>) -> bool {
    ret != Some(Ret::Headers)
}
