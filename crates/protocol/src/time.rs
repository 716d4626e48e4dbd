//! Time as a value passed in by the host: the crate never reads a clock.

use serde::{Deserialize, Serialize};

/// Milliseconds since the Unix epoch, as given by the host (`Date.now()`, `SystemTime`, a test).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, Default)]
pub struct Timestamp(pub u64);

impl Timestamp {
    pub fn from_secs(secs: u64) -> Self {
        Timestamp(secs * 1000)
    }
    pub(crate) fn plus_secs(self, secs: u64) -> Self {
        Timestamp(self.0.saturating_add(secs.saturating_mul(1000)))
    }
    pub fn millis_since(self, earlier: Timestamp) -> u64 {
        self.0.saturating_sub(earlier.0)
    }

    /// RFC 5322 date-time in UTC, e.g. `Mon, 23 Nov 2026 00:47:46 +0000`.
    pub fn rfc5322(self) -> String {
        self.rfc5322_date().to_string()
    }

    /// The same, written where it is wanted (a header being built) without a string of its own.
    pub fn rfc5322_date(self) -> impl std::fmt::Display {
        Rfc5322Date(self)
    }
}

struct Rfc5322Date(Timestamp);

impl std::fmt::Display for Rfc5322Date {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let secs = self.0.0 / 1000;
        let (days, rem) = (secs / 86_400, secs % 86_400);
        let (y, m, d) = civil_from_days(days as i64);
        const WEEKDAYS: [&str; 7] = ["Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"];
        const MONTHS: [&str; 12] = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
        write!(f, "{}, {:02} {} {} {:02}:{:02}:{:02} +0000", WEEKDAYS[(days % 7) as usize], d, MONTHS[(m - 1) as usize], y, rem / 3600, rem % 3600 / 60, rem % 60)
    }
}

/// Days since 1970-01-01 to (year, month, day), after Howard Hinnant's `civil_from_days`.
fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (yoe + era * 400 + i64::from(m <= 2), m, d)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_known_dates() {
        assert_eq!(Timestamp(0).rfc5322(), "Thu, 01 Jan 1970 00:00:00 +0000");
        assert_eq!(Timestamp::from_secs(1_795_394_866).rfc5322(), "Mon, 23 Nov 2026 00:47:46 +0000");
        assert_eq!(Timestamp::from_secs(951_782_400).rfc5322(), "Tue, 29 Feb 2000 00:00:00 +0000");
    }
}
