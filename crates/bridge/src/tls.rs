//! TLS to the SMTP server with rustls (ring provider). Certificates are verified against the
//! webpki roots; with `--insecure-lab`, a certificate that fails verification is still accepted,
//! and the page is told it was not verified, and why.

use crate::wire::ToPage;
use rustls::client::WebPkiServerVerifier;
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{DigitallySignedStruct, SignatureScheme};
use std::sync::{Arc, Mutex};
use tokio::net::TcpStream;

/// What a session's TLS needs: roots, and whether lab certificates are accepted.
pub struct TlsPolicy {
    roots: Arc<rustls::RootCertStore>,
    provider: Arc<rustls::crypto::CryptoProvider>,
    pub insecure_lab: bool,
}

impl TlsPolicy {
    pub fn new(insecure_lab: bool, extra_roots: Vec<CertificateDer<'static>>) -> Self {
        let mut roots = rustls::RootCertStore { roots: webpki_roots::TLS_SERVER_ROOTS.to_vec() };
        for root in extra_roots {
            let _ = roots.add(root);
        }
        TlsPolicy { roots: Arc::new(roots), provider: Arc::new(rustls::crypto::ring::default_provider()), insecure_lab }
    }
}

/// Verifies with webpki; in lab mode records the failure instead of refusing.
#[derive(Debug)]
struct LabVerifier {
    inner: Arc<WebPkiServerVerifier>,
    insecure_lab: bool,
    problem: Arc<Mutex<Option<String>>>,
}

impl ServerCertVerifier for LabVerifier {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        match self.inner.verify_server_cert(end_entity, intermediates, server_name, ocsp, now) {
            Ok(ok) => Ok(ok),
            Err(err) if self.insecure_lab => {
                *self.problem.lock().expect("not poisoned") = Some(err.to_string());
                Ok(ServerCertVerified::assertion())
            }
            Err(err) => Err(err),
        }
    }
    fn verify_tls12_signature(&self, message: &[u8], cert: &CertificateDer<'_>, dss: &DigitallySignedStruct) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.inner.verify_tls12_signature(message, cert, dss)
    }
    fn verify_tls13_signature(&self, message: &[u8], cert: &CertificateDer<'_>, dss: &DigitallySignedStruct) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.inner.verify_tls13_signature(message, cert, dss)
    }
    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.inner.supported_verify_schemes()
    }
}

/// Performs the handshake over `tcp` and describes it for the page.
pub async fn connect(policy: &TlsPolicy, host: &str, tcp: TcpStream) -> Result<(tokio_rustls::client::TlsStream<TcpStream>, ToPage), String> {
    let inner = WebPkiServerVerifier::builder_with_provider(policy.roots.clone(), policy.provider.clone()).build().map_err(|e| e.to_string())?;
    let problem = Arc::new(Mutex::new(None));
    let verifier = Arc::new(LabVerifier { inner, insecure_lab: policy.insecure_lab, problem: problem.clone() });
    let config = rustls::ClientConfig::builder_with_provider(policy.provider.clone())
        .with_safe_default_protocol_versions()
        .map_err(|e| e.to_string())?
        .dangerous()
        .with_custom_certificate_verifier(verifier)
        .with_no_client_auth();
    let name = ServerName::try_from(host.to_string()).map_err(|e| format!("`{host}` is not a valid TLS server name: {e}"))?;
    let stream = tokio_rustls::TlsConnector::from(Arc::new(config)).connect(name, tcp).await.map_err(|e| e.to_string())?;
    let connection = stream.get_ref().1;
    let (protocol, cipher) = names(connection);
    let (subject, issuer, not_before, not_after) = connection
        .peer_certificates()
        .and_then(|certs| certs.first())
        .and_then(|cert| x509_parser::parse_x509_certificate(cert.as_ref()).ok())
        .map(|(_, cert)| (cert.subject().to_string(), cert.issuer().to_string(), cert.validity().not_before.to_string(), cert.validity().not_after.to_string()))
        .unwrap_or_default();
    let problem = problem.lock().expect("not poisoned").clone();
    let report = ToPage::Tls { protocol, cipher, subject, issuer, not_before, not_after, verified: problem.is_none(), problem };
    Ok((stream, report))
}

/// The protocol and cipher suite of a TLS connection, written as the simulator and OpenSSL
/// write them (`TLSv1.3`, `TLS_AES_256_GCM_SHA384`: IANA's names), whichever side it is on.
pub fn names(connection: &rustls::CommonState) -> (String, String) {
    let protocol = connection.protocol_version().map(|v| format!("{v:?}").replace('_', ".")).unwrap_or_else(|| "TLS".into());
    let cipher = connection.negotiated_cipher_suite().map(|c| format!("{:?}", c.suite()).replacen("TLS13_", "TLS_", 1)).unwrap_or_else(|| "unknown".into());
    (protocol, cipher)
}

#[cfg(test)]
mod tests {
    #[test]
    fn names_are_written_as_openssl_and_iana_write_them() {
        assert_eq!(format!("{:?}", rustls::ProtocolVersion::TLSv1_3).replace('_', "."), "TLSv1.3");
        assert_eq!(format!("{:?}", rustls::CipherSuite::TLS13_AES_256_GCM_SHA384).replacen("TLS13_", "TLS_", 1), "TLS_AES_256_GCM_SHA384");
    }
}
