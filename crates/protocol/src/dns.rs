//! A small simulated DNS zone for the MX lesson, with `dig`-style answers.
//!
//! The zone uses reserved names (example.org, RFC 2606) and documentation addresses (RFC 5737).

use serde::Serialize;

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct MxRecord {
    pub preference: u16,
    pub exchange: &'static str,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Domain {
    pub name: &'static str,
    pub mx: &'static [MxRecord],
    pub a: &'static [&'static str],
    /// TXT records: SPF policies (`v=spf1`) and, at `_dmarc.` names, DMARC policies.
    pub txt: &'static [&'static str],
    /// What the lesson points out about this domain (its MX records).
    pub note: &'static str,
}

const fn mx(preference: u16, exchange: &'static str) -> MxRecord {
    MxRecord { preference, exchange }
}

pub(crate) const ZONE: &[Domain] = &[
    Domain {
        name: "example.org",
        mx: &[mx(10, "mx1.example.org."), mx(20, "mx2.example.org."), mx(30, "backup-mx.example.net.")],
        a: &["192.0.2.25"],
        txt: &["v=spf1 mx ~all"],
        note: "Three exchangers: a sender tries preference 10 first, then 20, then 30.",
    },
    Domain { name: "mx1.example.org", mx: &[], a: &["192.0.2.26"], txt: &[], note: "The primary mail exchanger of example.org." },
    Domain { name: "mx2.example.org", mx: &[], a: &["192.0.2.27"], txt: &[], note: "The secondary mail exchanger of example.org." },
    Domain { name: "backup-mx.example.net", mx: &[], a: &["198.51.100.53"], txt: &[], note: "A backup exchanger in another domain." },
    Domain {
        name: "playground.test",
        mx: &[mx(10, "mail.playground.test.")],
        a: &["192.0.2.10"],
        txt: &["v=spf1 ip4:192.0.2.10 -all"],
        note: "The playground's own domain: its MX is the simulated server.",
    },
    Domain { name: "mail.playground.test", mx: &[], a: &["192.0.2.10"], txt: &[], note: "The simulated server." },
    Domain {
        name: "university.example",
        mx: &[mx(5, "mx-a.university.example."), mx(5, "mx-b.university.example.")],
        a: &["203.0.113.80"],
        txt: &["v=spf1 ip4:203.0.113.0/24 -all"],
        note: "Two exchangers with equal preference: senders pick between them at random to spread the load.",
    },
    Domain { name: "mx-a.university.example", mx: &[], a: &["203.0.113.25"], txt: &[], note: "" },
    Domain { name: "mx-b.university.example", mx: &[], a: &["203.0.113.26"], txt: &[], note: "" },
    Domain { name: "no-mx.example.com", mx: &[], a: &["198.51.100.7"], txt: &[], note: "No MX record: RFC 5321 5.1 says to use the A record as an implicit MX with preference 0." },
    Domain { name: "nullmx.example.net", mx: &[mx(0, ".")], a: &["198.51.100.9"], txt: &[], note: "A null MX (RFC 7505): this domain accepts no mail at all." },
    Domain {
        name: "_dmarc.university.example",
        mx: &[],
        a: &[],
        txt: &["v=DMARC1; p=reject; rua=mailto:dmarc@university.example"],
        note: "DMARC: mail whose From: claims university.example must pass SPF or DKIM aligned with it, or be rejected.",
    },
    Domain {
        name: "_dmarc.example.org",
        mx: &[],
        a: &[],
        txt: &["v=DMARC1; p=none; rua=mailto:reports@example.org"],
        note: "DMARC p=none: failures are only reported, the mail is still delivered.",
    },
    Domain { name: "_dmarc.playground.test", mx: &[], a: &[], txt: &["v=DMARC1; p=reject"], note: "The playground's own DMARC policy: reject what fails." },
    // Remote domains for the delivery lesson: one receiving server's behaviour each.
    Domain {
        name: "accepts.example",
        mx: &[mx(10, "mx.accepts.example.")],
        a: &["198.51.100.20"],
        txt: &["v=spf1 mx -all"],
        note: "Its exchanger accepts every user: mail to it is delivered.",
    },
    Domain { name: "mx.accepts.example", mx: &[], a: &["198.51.100.21"], txt: &[], note: "The exchanger of accepts.example." },
    Domain {
        name: "nouser.example",
        mx: &[mx(10, "mx.nouser.example.")],
        a: &["198.51.100.30"],
        txt: &["v=spf1 mx -all"],
        note: "Its exchanger knows no user: every RCPT TO gets 550 5.1.1, and the sender gets a bounce.",
    },
    Domain { name: "mx.nouser.example", mx: &[], a: &["198.51.100.31"], txt: &[], note: "The exchanger of nouser.example." },
    Domain {
        name: "full.example",
        mx: &[mx(10, "mx.full.example.")],
        a: &["198.51.100.40"],
        txt: &["v=spf1 mx -all"],
        note: "Its exchanger answers 452 4.2.2 (mailbox full): the sender's server retries, then gives up.",
    },
    Domain { name: "mx.full.example", mx: &[], a: &["198.51.100.41"], txt: &[], note: "The exchanger of full.example." },
    Domain {
        name: "greylist.example",
        mx: &[mx(10, "mx.greylist.example.")],
        a: &["198.51.100.50"],
        txt: &["v=spf1 mx -all"],
        note: "Its exchanger greylists: 451 4.7.1 at the first attempt, accepted when the sender retries.",
    },
    Domain { name: "mx.greylist.example", mx: &[], a: &["198.51.100.51"], txt: &[], note: "The exchanger of greylist.example." },
];

/// How a zone domain's exchanger answers a delivery (the delivery lesson's remote servers).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Receiving {
    /// Every user exists: 250.
    Accepts,
    /// No user exists: 550 5.1.1 at RCPT.
    NoUser,
    /// Every mailbox is full: 452 4.2.2 at RCPT, every time.
    Full,
    /// 451 4.7.1 at the first attempt, accepted at the next.
    Greylist,
}

/// The behaviour of the exchanger that receives mail for `domain`.
pub fn receiving(domain: &str) -> Receiving {
    match domain.trim_end_matches('.').to_ascii_lowercase().as_str() {
        "nouser.example" => Receiving::NoUser,
        "full.example" => Receiving::Full,
        "greylist.example" => Receiving::Greylist,
        _ => Receiving::Accepts,
    }
}

pub(crate) fn lookup(name: &str) -> Option<&'static Domain> {
    let name = name.trim().trim_end_matches('.');
    ZONE.iter().find(|d| d.name.eq_ignore_ascii_case(name))
}

/// The MX records sorted by preference, lowest (most preferred) first.
pub(crate) fn mx_sorted(domain: &Domain) -> Vec<&MxRecord> {
    let mut records: Vec<&MxRecord> = domain.mx.iter().collect();
    records.sort_by_key(|r| r.preference);
    records
}

/// Output in the form of `dig -t MX name` (or `-t A`), answer section and status.
pub fn dig(record_type: &str, name: &str) -> String {
    let name = name.trim().trim_end_matches('.');
    let record_type = record_type.to_ascii_uppercase();
    let domain = lookup(name);
    let status = if domain.is_some() { "NOERROR" } else { "NXDOMAIN" };
    let mut answers = Vec::new();
    if let Some(domain) = domain {
        match record_type.as_str() {
            "MX" => answers.extend(mx_sorted(domain).iter().map(|r| format!("{name}.\t\t3600\tIN\tMX\t{} {}", r.preference, r.exchange))),
            "A" => answers.extend(domain.a.iter().map(|a| format!("{name}.\t\t3600\tIN\tA\t{a}"))),
            "TXT" => answers.extend(domain.txt.iter().map(|t| format!("{name}.\t\t3600\tIN\tTXT\t\"{t}\""))),
            _ => {}
        }
    }
    let mut out = format!(
        "; <<>> DiG 9.18 (simulated) <<>> -t {record_type} {name}\n;; ->>HEADER<<- opcode: QUERY, status: {status}\n;; flags: qr rd ra; QUERY: 1, ANSWER: {}, AUTHORITY: 0, ADDITIONAL: 0\n\n;; QUESTION SECTION:\n;{name}.\t\t\tIN\t{record_type}\n",
        answers.len()
    );
    if !answers.is_empty() {
        out.push_str("\n;; ANSWER SECTION:\n");
        for answer in answers {
            out.push_str(&answer);
            out.push('\n');
        }
    }
    if domain.is_none() {
        out.push_str(&format!(
            "\n;; {name} is not in the playground's simulated zone. This does not mean it does not exist:\n;; the page has no network, so only the zone's own names answer (see the list below).\n"
        ));
    }
    out.push_str("\n;; SERVER: 192.0.2.53#53(192.0.2.53) (UDP)\n");
    out
}

/// What a domain's SPF record (RFC 7208) says of a sending address.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SpfResult {
    Pass,
    /// `-all`: the domain says this address may not send for it.
    Fail,
    /// `~all`: probably not, but do not reject on it alone.
    SoftFail,
    Neutral,
}

/// The domain's SPF record in the simulated zone, if it has one.
pub(crate) fn spf_record(domain: &str) -> Option<&'static str> {
    lookup(domain)?.txt.iter().copied().find(|t| t.starts_with("v=spf1"))
}

/// Evaluates the domain's SPF record for `ip` (IPv4; the mechanisms the zone uses: `ip4`, `a`,
/// `mx`, `all` with its qualifier). `None` when the domain has no SPF record here.
pub fn spf(domain: &str, ip: &str) -> Option<SpfResult> {
    let record = spf_record(domain)?;
    let ip: std::net::Ipv4Addr = ip.parse().ok()?;
    let in_net = |net: &str| {
        let (addr, bits) = net.split_once('/').unwrap_or((net, "32"));
        let (Ok(addr), Ok(bits)) = (addr.parse::<std::net::Ipv4Addr>(), bits.parse::<u32>()) else { return false };
        let mask = if bits == 0 { 0 } else { u32::MAX << (32 - bits.min(32)) };
        u32::from(addr) & mask == u32::from(ip) & mask
    };
    let hosts_of = |name: &str| lookup(name).map(|d| d.a.to_vec()).unwrap_or_default();
    for term in record.split_whitespace().skip(1) {
        let (qualifier, mechanism) = match term.as_bytes()[0] {
            b'-' | b'~' | b'?' | b'+' => (term.as_bytes()[0], &term[1..]),
            _ => (b'+', term),
        };
        let matched = match mechanism {
            "all" => true,
            "a" => hosts_of(domain).iter().any(|a| in_net(a)),
            "mx" => lookup(domain).is_some_and(|d| d.mx.iter().any(|m| hosts_of(m.exchange.trim_end_matches('.')).iter().any(|a| in_net(a)))),
            m => m.strip_prefix("ip4:").is_some_and(in_net),
        };
        if matched {
            return Some(match qualifier {
                b'-' => SpfResult::Fail,
                b'~' => SpfResult::SoftFail,
                b'?' => SpfResult::Neutral,
                _ => SpfResult::Pass,
            });
        }
    }
    Some(SpfResult::Neutral)
}

/// What to say under a `dig` answer: the domain's lesson for the record type asked.
pub fn note(record_type: &str, name: &str) -> String {
    let Some(domain) = lookup(name) else {
        let names: Vec<&str> = ZONE.iter().filter(|d| !d.mx.is_empty() || !d.txt.is_empty()).map(|d| d.name).collect();
        return format!("Not in the simulated zone (the page has no network). Names it knows: {}.", names.join(", "));
    };
    match record_type.to_ascii_uppercase().as_str() {
        "MX" if domain.mx.is_empty() && !domain.a.is_empty() => "No MX record: RFC 5321 5.1 says to use the A record as an implicit MX with preference 0.".to_string(),
        "MX" => domain.note.to_string(),
        "A" => match domain.a {
            [] => "No address: nothing to connect to under this name.".to_string(),
            [one] => format!("The address a client connects to for {}: {one}.", domain.name),
            many => format!("{} addresses: a client may try each.", many.len()),
        },
        "TXT" if domain.txt.iter().any(|t| t.starts_with("v=spf1")) => {
            "An SPF policy (RFC 7208): the addresses allowed to send mail with this domain in MAIL FROM; -all says every other address fails, ~all that it only softfails."
                .to_string()
        }
        "TXT" if domain.txt.iter().any(|t| t.starts_with("v=DMARC1")) => domain.note.to_string(),
        "TXT" => format!("No TXT record. SPF policies are TXT records at the domain, DMARC policies at _dmarc.{}.", domain.name),
        _ => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mx_answers_are_sorted_by_preference() {
        let out = dig("mx", "example.org");
        let first = out.find("MX\t10 mx1").unwrap();
        let second = out.find("MX\t20 mx2").unwrap();
        assert!(first < second);
        assert!(out.contains("status: NOERROR"));
        assert!(dig("MX", "nowhere.invalid").contains("NXDOMAIN"));
        assert!(dig("MX", "no-mx.example.com").contains("ANSWER: 0"));
    }

    #[test]
    fn a_name_outside_the_zone_is_not_said_to_be_missing_from_the_world() {
        let out = dig("MX", "gmail.com");
        assert!(out.contains("not in the playground's simulated zone"), "{out}");
        assert!(note("MX", "gmail.com").contains("Names it knows"));
    }

    #[test]
    fn spf_is_evaluated_from_the_zone() {
        assert_eq!(spf("university.example", "203.0.113.25"), Some(SpfResult::Pass));
        assert_eq!(spf("university.example", "127.0.0.1"), Some(SpfResult::Fail));
        assert_eq!(spf("example.org", "192.0.2.26"), Some(SpfResult::Pass), "mx");
        assert_eq!(spf("example.org", "127.0.0.1"), Some(SpfResult::SoftFail));
        assert_eq!(spf("bank.example", "127.0.0.1"), None, "no record here");
    }

    #[test]
    fn txt_records_hold_spf_and_dmarc_and_notes_follow_the_type() {
        assert!(dig("TXT", "university.example").contains("\"v=spf1 ip4:203.0.113.0/24 -all\""));
        assert!(dig("txt", "_dmarc.university.example").contains("p=reject"));
        assert!(dig("TXT", "_dmarc.example.org").contains("p=none"));
        assert!(note("TXT", "university.example").contains("SPF"));
        // An A query says nothing of MX records.
        assert!(!note("A", "example.org").contains("exchanger"), "{}", note("A", "example.org"));
    }
}
