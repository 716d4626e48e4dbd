//! Mock-server mode: smtp-protocol's simulated server on a real SMTP port, for real mail clients
//! (a lab program, Thunderbird, swaks), in the manner of Mailpit. Each connection is its own
//! `Server`; a client that stalls or breaks affects no other.
//!
//! - `smtp` accepts clients and runs the conversations (real STARTTLS);
//! - `store` keeps the captured mail and the sessions, bounded, and feeds watchers;
//! - `access` decides who may change it (delete mail, change its settings);
//! - `api` is the JSON API (`/api/v1/...`); `watch` the WebSocket feed pages watch (`/api/v1/live`).

pub mod access;
pub mod api;
pub mod event_log;
mod feed;
mod kept;
mod record;
pub mod smtp;
pub mod store;
pub mod watch;

pub use feed::Feed;
pub use record::{Captured, SessionRecord};
use smtp_protocol::ServerConfig;
use std::path::Path;
use std::sync::{Arc, RwLock};
pub use store::{MAX_EVENTS_PER_SESSION, Store, StoreLimits};

/// The mock server: its configuration for new connections, TLS, and what it captured.
pub struct Mock {
    config: RwLock<ServerConfig>,
    tls: Option<tokio_rustls::TlsAcceptor>,
    pub store: Store,
    /// Where clients connect (shown on the page).
    pub smtp_address: String,
    /// Who may delete mail and change the configuration.
    pub access: access::WriteAccess,
    /// The greylist, shared by every connection: a retry on a new connection after the delay
    /// passes, as with a real greylisting server.
    greylist: std::sync::Mutex<Greylist>,
    /// What fault rules count `across sessions`: every connection since the rules were set.
    fault_counts: std::sync::Mutex<std::sync::Arc<smtp_protocol::fault::HostCounts>>,
    /// SMTP connections open now, and how many may be (`--max-connections`).
    pub(crate) connections: std::sync::atomic::AtomicUsize,
    pub max_connections: usize,
}

/// SMTP connections a mock server holds at once unless told otherwise: a class of sixty with
/// room to spare; past it a client gets 421 and may retry.
pub const MAX_CONNECTIONS: usize = 1000;

type Greylist = std::collections::HashMap<(String, String, String), smtp_protocol::Timestamp>;

/// Triples remembered at most: beyond it, those older than a day are forgotten (a client that
/// retries does so within minutes), then the oldest.
const GREYLIST_KEPT: usize = 100_000;

impl Mock {
    /// `config` as checked by [`apply_settings`]; STARTTLS is offered only with TLS set up.
    pub fn new(mut config: ServerConfig, store: Store, tls: Option<tokio_rustls::TlsAcceptor>) -> Self {
        config.policy.starttls &= tls.is_some();
        Mock {
            config: RwLock::new(config),
            tls,
            store,
            smtp_address: String::new(),
            access: access::WriteAccess::Open,
            greylist: Default::default(),
            fault_counts: Default::default(),
            connections: Default::default(),
            max_connections: MAX_CONNECTIONS,
        }
    }

    pub fn with_smtp_address(mut self, address: String) -> Self {
        self.smtp_address = address;
        self
    }

    pub fn with_max_connections(mut self, max: usize) -> Self {
        self.max_connections = max;
        self
    }

    pub fn with_access(mut self, access: access::WriteAccess) -> Self {
        self.access = access;
        self
    }

    /// The counts a new connection's fault rules share with every other connection.
    pub fn fault_counts(&self) -> std::sync::Arc<smtp_protocol::fault::HostCounts> {
        self.fault_counts.lock().expect("not poisoned").clone()
    }

    /// The greylist as it stands, for a new connection.
    pub fn greylist(&self) -> Greylist {
        self.greylist.lock().expect("not poisoned").clone()
    }

    /// A finished connection's greylist sightings, kept for the next ones.
    pub fn remember_greylist(&self, seen: &Greylist, now: smtp_protocol::Timestamp) {
        let mut greylist = self.greylist.lock().expect("not poisoned");
        for (key, first) in seen {
            let kept = greylist.entry(key.clone()).or_insert(*first);
            *kept = (*kept).min(*first);
        }
        if greylist.len() > GREYLIST_KEPT {
            greylist.retain(|_, first| now.millis_since(*first) < 86_400_000);
        }
        if greylist.len() > GREYLIST_KEPT {
            // A flood of new triples within a day: the oldest go, down to nine tenths (so that
            // the sort is not paid again at the next connection), and memory stays bounded.
            let mut by_age: Vec<_> = greylist.iter().map(|(key, first)| (*first, key.clone())).collect();
            by_age.sort_unstable();
            for (_, key) in &by_age[..by_age.len() - GREYLIST_KEPT * 9 / 10] {
                greylist.remove(key);
            }
        }
    }

    /// The configuration the next connection gets.
    pub fn config(&self) -> ServerConfig {
        self.config.read().expect("not poisoned").clone()
    }

    /// Changes the configuration of the next connections (sessions under way keep theirs) and
    /// tells every watching page. STARTTLS can only be offered when TLS is set up. A policy the
    /// server cannot run with is refused (`ServerPolicy::check`'s reason) and changes nothing.
    pub fn configure(&self, mut config: ServerConfig) -> Result<ServerConfig, String> {
        config.policy.check().map_err(|problem| problem.message)?;
        config.policy.starttls &= self.tls.is_some();
        let mut current = self.config.write().expect("not poisoned");
        if current.policy.faults != config.policy.faults {
            // New rules count from now: `rcpt#2 across sessions` is the second RCPT after them.
            *self.fault_counts.lock().expect("not poisoned") = Default::default();
        }
        *current = config.clone();
        drop(current);
        self.store.broadcast(|| smtp_protocol::watch::ToWatcher::Config { config: config.clone() });
        Ok(config)
    }
}

/// The JSON API and the live feed, for the bridge's router.
pub fn router(mock: Arc<Mock>, origins: Vec<String>) -> axum::Router {
    api::router(mock.clone()).merge(watch::router(mock, origins))
}

/// `KEY=VALUE` settings (`--set max_recipients=50`) applied to a policy: VALUE is read as JSON
/// when it is JSON (`true`, `50`, `["a.example"]`) and as a string otherwise. Errors name the key.
pub fn apply_settings(config: &mut ServerConfig, settings: &[String]) -> Result<(), String> {
    let mut policy = serde_json::to_value(&config.policy).map_err(|e| e.to_string())?;
    for setting in settings {
        let Some((key, value)) = setting.split_once('=') else {
            return Err(format!("--set {setting}: expected KEY=VALUE, for example --set auth_required=true"));
        };
        let key = key.trim();
        let Some(slot) = policy.get_mut(key) else {
            let known: Vec<&str> = policy.as_object().map(|o| o.keys().map(String::as_str).collect()).unwrap_or_default();
            return Err(format!("--set {key}: no such setting; the settings are {}", known.join(", ")));
        };
        *slot = serde_json::from_str(value).unwrap_or_else(|_| serde_json::Value::String(value.to_string()));
        config.policy = serde_json::from_value(policy.clone()).map_err(|e| format!("--set {key}={value}: {e}"))?;
    }
    config.policy.check().map_err(|problem| format!("--set: {problem}"))
}

fn server_config(cert: Vec<rustls::pki_types::CertificateDer<'static>>, key: rustls::pki_types::PrivateKeyDer<'static>) -> Result<tokio_rustls::TlsAcceptor, String> {
    let config = rustls::ServerConfig::builder_with_provider(Arc::new(rustls::crypto::ring::default_provider()))
        .with_safe_default_protocol_versions()
        .map_err(|e| e.to_string())?
        .with_no_client_auth()
        .with_single_cert(cert, key)
        .map_err(|e| e.to_string())?;
    Ok(tokio_rustls::TlsAcceptor::from(Arc::new(config)))
}

/// A self-signed certificate for STARTTLS, made at start.
pub fn self_signed_acceptor() -> Result<tokio_rustls::TlsAcceptor, String> {
    let made = rcgen::generate_simple_self_signed(vec!["localhost".to_string(), "mock.playground.test".to_string()]).map_err(|e| e.to_string())?;
    let key = rustls::pki_types::PrivateKeyDer::Pkcs8(made.signing_key.serialize_der().into());
    server_config(vec![made.cert.der().clone()], key)
}

/// A certificate chain and its key from PEM files (`--tls-cert`, `--tls-key`); errors name the file.
pub fn acceptor_from_files(cert: &Path, key: &Path) -> Result<tokio_rustls::TlsAcceptor, String> {
    use rustls::pki_types::pem::PemObject;
    let chain = rustls::pki_types::CertificateDer::pem_file_iter(cert).and_then(|certs| certs.collect::<Result<Vec<_>, _>>()).map_err(|e| format!("{}: {e}", cert.display()))?;
    if chain.is_empty() {
        return Err(format!("{}: no PEM certificate in it", cert.display()));
    }
    let key_der = rustls::pki_types::PrivateKeyDer::from_pem_file(key).map_err(|e| format!("{}: {e}", key.display()))?;
    server_config(chain, key_der).map_err(|e| format!("{} and {}: {e}", cert.display(), key.display()))
}

#[cfg(test)]
mod tests {
    use super::{GREYLIST_KEPT, Greylist, Mock, Store, StoreLimits, apply_settings};
    use smtp_protocol::{ProfileName, ServerConfig, Timestamp};

    #[test]
    fn a_flood_of_new_triples_keeps_the_greylist_bounded_and_the_newest_kept() {
        let mock = Mock::new(ServerConfig::new(ProfileName::Mock), Store::new(StoreLimits::messages(10), None).unwrap(), None);
        let now = Timestamp(10_000_000);
        let flood: Greylist = (0..GREYLIST_KEPT as u64 + 1).map(|i| ((format!("10.0.0.{i}"), "a@x.example".into(), "b@y.example".into()), Timestamp(i))).collect();
        mock.remember_greylist(&flood, now);
        let kept = mock.greylist();
        assert!(kept.len() <= GREYLIST_KEPT, "{} kept", kept.len());
        assert!(kept.contains_key(&(format!("10.0.0.{GREYLIST_KEPT}"), "a@x.example".into(), "b@y.example".into())), "the newest stays");
        assert!(!kept.contains_key(&("10.0.0.0".into(), "a@x.example".into(), "b@y.example".into())), "the oldest goes");
    }

    #[test]
    fn settings_name_the_key_and_refuse_a_policy_that_cannot_work() {
        let mut config = ServerConfig::new(ProfileName::Mock);
        apply_settings(&mut config, &["max_recipients=50".into(), "local_domains=[\"lab.test\"]".into()]).unwrap();
        assert_eq!((config.policy.max_recipients, config.policy.local_domains.clone()), (50, vec!["lab.test".to_string()]));
        assert!(apply_settings(&mut config, &["max_recpients=5".into()]).unwrap_err().contains("no such setting"));
        assert!(apply_settings(&mut config, &["idle_timeout_secs=0".into()]).unwrap_err().contains("use 1 or more"));
    }
}
