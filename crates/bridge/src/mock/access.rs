//! Who may change the mock server: delete mail, change its configuration. Reading stays open
//! (a class watches its sessions); writing is for the teacher.
//!
//! - `--admin-token SECRET`: writes need it (`Authorization: Bearer SECRET`, or the page's
//!   Unlock request), from every address, loopback included;
//! - else a server listening on the network (`--public`) is read-only for everyone;
//! - else `--token SECRET` (the page's shared secret) is needed for writes too;
//! - else (loopback, no token) anyone on this machine may write, as before.

use axum::http::{HeaderMap, StatusCode, header};
use smtp_protocol::watch::Access;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WriteAccess {
    Open,
    Token(String),
    /// Read-only for everyone: the server listens on the network with no admin token.
    Closed,
}

/// A refused write: the status and what to do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    pub status: StatusCode,
    pub message: String,
}

const PUBLIC_READ_ONLY: &str =
    "this mock server listens on the network, so its mail and settings are read-only; the teacher can start it with --admin-token SECRET to allow changes";

impl WriteAccess {
    pub fn new(public: bool, admin_token: Option<String>, token: Option<String>) -> Self {
        match (admin_token, public, token) {
            (Some(admin), _, _) => WriteAccess::Token(admin),
            (None, true, _) => WriteAccess::Closed,
            (None, false, Some(token)) => WriteAccess::Token(token),
            (None, false, None) => WriteAccess::Open,
        }
    }

    /// Whether `presented` (a token, if any) may write.
    pub fn check(&self, presented: Option<&str>) -> Result<(), Refusal> {
        match (self, presented) {
            (WriteAccess::Open, _) => Ok(()),
            (WriteAccess::Closed, _) => Err(Refusal { status: StatusCode::FORBIDDEN, message: PUBLIC_READ_ONLY.into() }),
            (WriteAccess::Token(expected), Some(given)) if constant_time_eq(expected.as_bytes(), given.as_bytes()) => Ok(()),
            (WriteAccess::Token(_), Some(_)) => Err(Refusal { status: StatusCode::FORBIDDEN, message: "that token is not the admin token: nothing was changed".into() }),
            (WriteAccess::Token(_), None) => Err(Refusal {
                status: StatusCode::UNAUTHORIZED,
                message: "changing the mock server needs the admin token: send Authorization: Bearer TOKEN (in the page: Unlock, in the Server tab)".into(),
            }),
        }
    }

    /// A request's bearer token, checked.
    pub fn check_headers(&self, headers: &HeaderMap) -> Result<(), Refusal> {
        let bearer = headers.get(header::AUTHORIZATION).and_then(|v| v.to_str().ok()).and_then(|v| v.strip_prefix("Bearer ")).map(str::trim);
        self.check(bearer)
    }

    /// What a page that has shown no token may do.
    pub fn for_page(&self) -> Access {
        match self {
            WriteAccess::Open => Access::ReadWrite,
            WriteAccess::Closed => Access::ReadOnly { reason: PUBLIC_READ_ONLY.into(), unlockable: false },
            WriteAccess::Token(_) => Access::ReadOnly { reason: "Changing this mock server (deleting mail, its settings) needs the admin token.".into(), unlockable: true },
        }
    }
}

/// Compares without stopping at the first difference (no timing hint about the token).
fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_rules() {
        assert_eq!(WriteAccess::new(false, None, None), WriteAccess::Open);
        assert!(WriteAccess::new(false, None, None).check(None).is_ok());
        let public = WriteAccess::new(true, None, Some("page".into()));
        assert_eq!(public.check(Some("page")).unwrap_err().status, StatusCode::FORBIDDEN);
        let admin = WriteAccess::new(true, Some("s3cret".into()), None);
        assert_eq!(admin.check(None).unwrap_err().status, StatusCode::UNAUTHORIZED);
        assert_eq!(admin.check(Some("guess")).unwrap_err().status, StatusCode::FORBIDDEN);
        assert!(admin.check(Some("s3cret")).is_ok());
        // On loopback the page's shared secret guards writes too.
        assert!(WriteAccess::new(false, None, Some("t".into())).check(None).is_err());
        assert!(!admin.for_page().writable());
    }
}
