//! TLS settings per endpoint: the system roots plus a registry's own CAs and client
//! certificate from the certs directory (moby's `ReadCertsDirectory`), or no verification at
//! all for an insecure registry (Go's `InsecureSkipVerify`: the handshake's signatures are
//! still checked, the certificate chain is not).

use std::path::Path;
use std::sync::{Arc, OnceLock};

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::CryptoProvider;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName, UnixTime};
use rustls::{ClientConfig, DigitallySignedStruct, RootCertStore, SignatureScheme};

use crate::Error;
use crate::endpoint::Tls;

/// The host's trusted roots (Debian's `ca-certificates`), read once per process.
fn system_roots() -> &'static RootCertStore {
    static ROOTS: OnceLock<RootCertStore> = OnceLock::new();
    ROOTS.get_or_init(|| {
        let found = rustls_native_certs::load_native_certs();
        for e in &found.errors {
            tracing::warn!("reading the system's root certificates: {e}");
        }
        let mut roots = RootCertStore::empty();
        let (_, ignored) = roots.add_parsable_certificates(found.certs);
        if ignored > 0 {
            tracing::debug!("{ignored} system root certificates could not be parsed");
        }
        roots
    })
}

/// ring's provider. rustls 0.23.48 deprecates it because it has no post-quantum key
/// exchange; registries do not need one, and the alternative (aws-lc-rs) needs cmake and a
/// long C build on every machine (see ARCHITECTURE.md, Dependencies).
#[allow(deprecated)]
fn provider() -> Arc<CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

/// The rustls configuration for an endpoint with `tls`, reading `certs_dir/<host>/` when the
/// endpoint names one.
pub(crate) fn client_config(tls: &Tls, certs_dir: Option<&Path>) -> Result<ClientConfig, Error> {
    let builder = ClientConfig::builder_with_provider(provider())
        .with_safe_default_protocol_versions()
        .map_err(|e| Error::Config(format!("tls: {e}")))?;
    let certs_host = match tls {
        Tls::SkipVerify => {
            return Ok(builder
                .dangerous()
                .with_custom_certificate_verifier(Arc::new(SkipVerify(provider())))
                .with_no_client_auth());
        }
        Tls::Verify { certs_host } => certs_host,
    };
    let mut roots = system_roots().clone();
    let dir = match (certs_dir, certs_host) {
        (Some(d), Some(h)) => Some(d.join(h)),
        _ => None,
    };
    let mut client_pair = None;
    if let Some(dir) = &dir {
        let found = read_certs_dir(dir)?;
        for ca in found.cas {
            // A CA the parser refuses is skipped, as Go's `AppendCertsFromPEM` skips it.
            let _ = roots.add(ca);
        }
        client_pair = found.client;
    }
    let builder = builder.with_root_certificates(roots);
    match client_pair {
        Some((chain, key, path)) => {
            builder
                .with_client_auth_cert(chain, key)
                .map_err(|e| Error::Certs {
                    message: format!("tls: {e}: {}", path.display()),
                    path,
                })
        }
        None => Ok(builder.with_no_client_auth()),
    }
}

struct CertsDir {
    cas: Vec<CertificateDer<'static>>,
    client: Option<ClientPair>,
}

type ClientPair = (
    Vec<CertificateDer<'static>>,
    PrivateKeyDer<'static>,
    std::path::PathBuf,
);

/// Reads `dir` as dockerd does: `*.crt` are CAs, `*.cert` a client certificate whose key is
/// the `*.key` of the same name (each needs the other); a missing directory is no error.
fn read_certs_dir(dir: &Path) -> Result<CertsDir, Error> {
    let mut found = CertsDir {
        cas: Vec::new(),
        client: None,
    };
    let io_err = |path: &Path, e: std::io::Error| Error::Certs {
        message: format!("open {}: {e}", path.display()),
        path: path.to_path_buf(),
    };
    let mut names: Vec<String> = match std::fs::read_dir(dir) {
        Ok(entries) => entries
            .filter_map(|e| e.ok())
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .collect(),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(found),
        Err(e) => return Err(io_err(dir, e)),
    };
    // Go's `os.ReadDir` sorts by name; the first client pair wins.
    names.sort();
    for name in &names {
        let path = dir.join(name);
        if name.ends_with(".crt") {
            let data = std::fs::read(&path).map_err(|e| io_err(&path, e))?;
            found
                .cas
                .extend(CertificateDer::pem_slice_iter(&data).filter_map(Result::ok));
        } else if let Some(stem) = name.strip_suffix(".cert") {
            let key_name = format!("{stem}.key");
            if !names.contains(&key_name) {
                return Err(Error::Certs {
                    message: format!(
                        "missing key {key_name} for client certificate {name}. CA certificates must use the extension .crt"
                    ),
                    path,
                });
            }
            if found.client.is_none() {
                let key_path = dir.join(&key_name);
                let data = std::fs::read(&path).map_err(|e| io_err(&path, e))?;
                let chain: Vec<CertificateDer<'static>> = CertificateDer::pem_slice_iter(&data)
                    .filter_map(Result::ok)
                    .collect();
                if chain.is_empty() {
                    return Err(Error::Certs {
                        message: format!(
                            "tls: failed to find any PEM data in certificate input: {}",
                            path.display()
                        ),
                        path,
                    });
                }
                let key_data = std::fs::read(&key_path).map_err(|e| io_err(&key_path, e))?;
                let key = PrivateKeyDer::from_pem_slice(&key_data).map_err(|_| Error::Certs {
                    message: format!(
                        "tls: failed to find any PEM data in key input: {}",
                        key_path.display()
                    ),
                    path: key_path.clone(),
                })?;
                found.client = Some((chain, key, path));
            }
        } else if let Some(stem) = name.strip_suffix(".key") {
            let cert_name = format!("{stem}.cert");
            if !names.contains(&cert_name) {
                return Err(Error::Certs {
                    message: format!("missing client certificate {cert_name} for key {name}"),
                    path,
                });
            }
        }
    }
    Ok(found)
}

/// Accepts any certificate chain (an insecure registry), but still checks that the server
/// holds the key of the certificate it sent.
#[derive(Debug)]
struct SkipVerify(Arc<CryptoProvider>);

impl ServerCertVerifier for SkipVerify {
    fn verify_server_cert(
        &self,
        _end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.0.signature_verification_algorithms.supported_schemes()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn certs_dir_pairs_are_checked_as_dockerd_checks_them() {
        let dir = tempfile::tempdir().unwrap();
        let host = dir.path().join("reg:5000");
        std::fs::create_dir(&host).unwrap();
        assert!(read_certs_dir(&dir.path().join("absent")).is_ok());
        std::fs::write(host.join("client.cert"), "x").unwrap();
        let e = read_certs_dir(&host).err().unwrap().to_string();
        assert_eq!(
            e,
            "missing key client.key for client certificate client.cert. CA certificates must use the extension .crt"
        );
        std::fs::remove_file(host.join("client.cert")).unwrap();
        std::fs::write(host.join("client.key"), "x").unwrap();
        let e = read_certs_dir(&host).err().unwrap().to_string();
        assert_eq!(
            e,
            "missing client certificate client.cert for key client.key"
        );
        std::fs::remove_file(host.join("client.key")).unwrap();
        std::fs::write(host.join("ca.crt"), "not pem").unwrap();
        assert!(read_certs_dir(&host).unwrap().cas.is_empty());
        let tls = Tls::Verify {
            certs_host: Some("reg:5000".into()),
        };
        assert!(client_config(&tls, Some(dir.path())).is_ok());
        assert!(client_config(&Tls::SkipVerify, None).is_ok());
    }
}
