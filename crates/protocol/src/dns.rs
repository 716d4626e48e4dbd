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
    /// What the lesson points out about this domain.
    pub note: &'static str,
}

const fn mx(preference: u16, exchange: &'static str) -> MxRecord {
    MxRecord { preference, exchange }
}

pub const ZONE: &[Domain] = &[
    Domain {
        name: "example.org",
        mx: &[mx(10, "mx1.example.org."), mx(20, "mx2.example.org."), mx(30, "backup-mx.example.net.")],
        a: &["192.0.2.25"],
        note: "Three exchangers: a sender tries preference 10 first, then 20, then 30.",
    },
    Domain { name: "mx1.example.org", mx: &[], a: &["192.0.2.26"], note: "The primary mail exchanger of example.org." },
    Domain { name: "mx2.example.org", mx: &[], a: &["192.0.2.27"], note: "The secondary mail exchanger of example.org." },
    Domain { name: "backup-mx.example.net", mx: &[], a: &["198.51.100.53"], note: "A backup exchanger in another domain." },
    Domain { name: "playground.test", mx: &[mx(10, "mail.playground.test.")], a: &["192.0.2.10"], note: "The playground's own domain: its MX is the simulated server." },
    Domain { name: "mail.playground.test", mx: &[], a: &["192.0.2.10"], note: "The simulated server." },
    Domain {
        name: "university.example",
        mx: &[mx(5, "mx-a.university.example."), mx(5, "mx-b.university.example.")],
        a: &["203.0.113.80"],
        note: "Two exchangers with equal preference: senders pick between them at random to spread the load.",
    },
    Domain { name: "mx-a.university.example", mx: &[], a: &["203.0.113.25"], note: "" },
    Domain { name: "mx-b.university.example", mx: &[], a: &["203.0.113.26"], note: "" },
    Domain { name: "no-mx.example.com", mx: &[], a: &["198.51.100.7"], note: "No MX record: RFC 5321 5.1 says to use the A record as an implicit MX with preference 0." },
    Domain { name: "nullmx.example.net", mx: &[mx(0, ".")], a: &["198.51.100.9"], note: "A null MX (RFC 7505): this domain accepts no mail at all." },
];

pub fn lookup(name: &str) -> Option<&'static Domain> {
    let name = name.trim().trim_end_matches('.');
    ZONE.iter().find(|d| d.name.eq_ignore_ascii_case(name))
}

/// The MX records sorted by preference, lowest (most preferred) first.
pub fn mx_sorted(domain: &Domain) -> Vec<&MxRecord> {
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
    out.push_str("\n;; SERVER: 192.0.2.53#53(192.0.2.53) (UDP)\n");
    out
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
}
