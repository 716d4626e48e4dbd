//! What rules count (each command, line, greeting and message end, per connection and across
//! the server's connections) and which rule matches an occurrence.

use super::{FaultRule, Moment, Trigger};
use crate::command::Verb;
use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};

/// The moments rules count, per connection and across connections.
const COUNTED: usize = 3 + Verb::ALL.len();

fn slot(moment: &Moment) -> Option<usize> {
    Some(match moment {
        Moment::Greeting => 0,
        Moment::Line => 1,
        Moment::Message => 2,
        Moment::Command(verb) => 3 + Verb::ALL.iter().position(|v| v == verb)?,
        Moment::ContentOctets(_) => return None,
    })
}

/// Counts over every connection to one server. A host running one `Server` per connection
/// (the mock) shares one `HostCounts` between them, so `rcpt#3 across sessions` means the third
/// RCPT the server received, whichever client sent it.
#[derive(Debug, Default)]
pub struct HostCounts([AtomicU32; COUNTED]);

/// Occurrences counted so far, in this connection and across the server's connections.
#[derive(Debug, Clone, Default)]
pub(crate) struct Counts {
    connection: [u32; COUNTED],
    pub(crate) host: Arc<HostCounts>,
}

impl Counts {
    pub(crate) fn shared(host: Arc<HostCounts>) -> Counts {
        Counts { connection: [0; COUNTED], host }
    }

    /// A new connection: its own counts start afresh, the server's go on.
    pub(crate) fn next_connection(&self) -> Counts {
        Counts { connection: [0; COUNTED], host: self.host.clone() }
    }

    /// Counts one occurrence of `moment`.
    pub(crate) fn count(&mut self, moment: &Moment) {
        if let Some(i) = slot(moment) {
            self.connection[i] = self.connection[i].saturating_add(1);
            self.host.0[i].fetch_add(1, Ordering::Relaxed);
        }
    }

    fn nth_matches(&self, trigger: &Trigger) -> bool {
        let Some(n) = trigger.nth else { return true };
        let Some(i) = slot(&trigger.moment) else { return false };
        let seen = if trigger.across_sessions { self.host.0[i].load(Ordering::Relaxed) } else { self.connection[i] };
        seen == n
    }
}

/// What a command or moment is, for matching.
pub(crate) struct Occurrence<'a> {
    pub verb: Option<Verb>,
    pub address: Option<&'a str>,
    pub messages: u32,
}

/// The first rule that applies at a command line or the end of a message (counted beforehand).
pub(crate) fn matching<'r>(rules: &'r [FaultRule], moment: &Moment, occurrence: &Occurrence<'_>, counts: &Counts) -> Option<(usize, &'r FaultRule)> {
    rules.iter().enumerate().find(|(_, rule)| {
        let t = &rule.when;
        let moment_matches = match (&t.moment, moment) {
            (Moment::Line, Moment::Command(_) | Moment::Line) => true,
            (Moment::Command(verb), _) => occurrence.verb == Some(*verb) && !matches!(moment, Moment::Message),
            (a, b) => a == b,
        };
        moment_matches
            && counts.nth_matches(t)
            && t.after_messages.is_none_or(|n| occurrence.messages >= n)
            && t.address.as_deref().is_none_or(|pattern| occurrence.address.is_some_and(|a| glob(pattern, &a.to_ascii_lowercase())))
    })
}

/// `*` matches any run of characters; everything else itself. Iterative, going back only to the
/// last `*`: time grows with the pattern times the address, never exponentially (the recursive
/// version the fuzzer caught took minutes on `rcpt ****...*l*e`).
pub(super) fn glob(pattern: &str, text: &str) -> bool {
    let (p, t) = (pattern.as_bytes(), text.as_bytes());
    let (mut pi, mut ti) = (0, 0);
    // The last `*` seen, and where in the text its run would end next.
    let mut star: Option<(usize, usize)> = None;
    while ti < t.len() {
        if p.get(pi) == Some(&b'*') {
            star = Some((pi, ti));
            pi += 1;
        } else if p.get(pi) == Some(&t[ti]) {
            pi += 1;
            ti += 1;
        } else if let Some((sp, st)) = star {
            pi = sp + 1;
            ti = st + 1;
            star = Some((sp, st + 1));
        } else {
            return false;
        }
    }
    p[pi..].iter().all(|&b| b == b'*')
}
