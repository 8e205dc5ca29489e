//! The API's TLS settings (`--tlscacert`, `--tlscert`, `--tlskey`, `--tlsverify`) as a rustls
//! server configuration: with `--tlsverify`, a client must present a certificate the CA signed,
//! or the handshake fails (Go's `tls.RequireAndVerifyClientCert`).

use std::path::Path;
use std::sync::Arc;

use anyhow::{Context, Result, bail};
use rustls::RootCertStore;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use rustls::server::WebPkiClientVerifier;

use crate::config::TlsFiles;

/// The server configuration for `files`; errors name the file at fault, under dockerd's
/// "invalid TLS configuration".
pub fn server_config(files: &TlsFiles) -> Result<Arc<rustls::ServerConfig>> {
    load(files).context("invalid TLS configuration")
}

fn load(files: &TlsFiles) -> Result<Arc<rustls::ServerConfig>> {
    let provider = provider();
    let builder = rustls::ServerConfig::builder_with_provider(provider.clone())
        .with_safe_default_protocol_versions()
        .context("choosing TLS versions")?;
    let builder = if files.verify {
        let mut roots = RootCertStore::empty();
        for cert in certs(&files.ca, "CA certificate")? {
            roots
                .add(cert)
                .with_context(|| format!("adding CA certificate {}", files.ca.display()))?;
        }
        let verifier = WebPkiClientVerifier::builder_with_provider(Arc::new(roots), provider)
            .build()
            .context("building the client certificate verifier")?;
        builder.with_client_cert_verifier(verifier)
    } else {
        builder.with_no_client_auth()
    };
    let chain = certs(&files.cert, "certificate")?;
    let key = PrivateKeyDer::from_pem_file(&files.key)
        .with_context(|| format!("could not read key {}", files.key.display()))?;
    let mut config = builder
        .with_single_cert(chain, key)
        .context("could not load X509 key pair")?;
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(Arc::new(config))
}

/// ring's provider, as the registry client's TLS (`distribution/src/tls.rs` says why despite
/// the deprecation).
#[allow(deprecated)]
fn provider() -> Arc<rustls::crypto::CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

fn certs(path: &Path, what: &str) -> Result<Vec<CertificateDer<'static>>> {
    let certs = CertificateDer::pem_file_iter(path)
        .and_then(|it| it.collect::<Result<Vec<_>, _>>())
        .with_context(|| format!("could not read {what} {}", path.display()))?;
    if certs.is_empty() {
        bail!("no certificate in {what} {}", path.display());
    }
    Ok(certs)
}
