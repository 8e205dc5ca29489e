//! A throwaway PKI for registry tests: a CA, a server certificate for the loopback addresses,
//! and a client certificate, written as PEM files (the layout dockerd's `certs.d` expects:
//! `ca.crt`, `client.cert`, `client.key`).

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use rcgen::{
    BasicConstraints, CertificateParams, DnType, ExtendedKeyUsagePurpose, IsCa, Issuer, KeyPair,
    KeyUsagePurpose, SanType,
};

/// An address outside loopback (which daemons always treat as insecure) for a registry that
/// must be spoken to with verified TLS; a test gives it to an interface of its namespace.
pub const SECURE_IP: Ipv4Addr = Ipv4Addr::new(10, 253, 0, 1);

/// The PEM files of a test CA and the certificates it signed.
#[derive(Debug, Clone)]
pub struct TestPki {
    /// The CA certificate.
    pub ca_cert: PathBuf,
    /// The server certificate (127.0.0.1, ::1, localhost and [`SECURE_IP`]).
    pub server_cert: PathBuf,
    /// The server key.
    pub server_key: PathBuf,
    /// A client certificate (for `clientcas`).
    pub client_cert: PathBuf,
    /// Its key.
    pub client_key: PathBuf,
}

impl TestPki {
    /// Makes a CA and its certificates under `dir`.
    pub fn create(dir: &Path) -> Result<TestPki> {
        let mut ca_params = CertificateParams::new(Vec::<String>::new())?;
        ca_params
            .distinguished_name
            .push(DnType::CommonName, "wharf test CA");
        ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        ca_params.key_usages = vec![
            KeyUsagePurpose::KeyCertSign,
            KeyUsagePurpose::CrlSign,
            KeyUsagePurpose::DigitalSignature,
        ];
        let ca_key = KeyPair::generate()?;
        let ca_cert = ca_params.self_signed(&ca_key)?;
        let issuer = Issuer::new(ca_params, ca_key);

        let mut server = CertificateParams::new(vec!["localhost".to_owned()])?;
        server
            .distinguished_name
            .push(DnType::CommonName, "wharf test registry");
        server.subject_alt_names.extend([
            SanType::IpAddress(IpAddr::V4(Ipv4Addr::LOCALHOST)),
            SanType::IpAddress(IpAddr::V6(Ipv6Addr::LOCALHOST)),
            SanType::IpAddress(IpAddr::V4(SECURE_IP)),
        ]);
        server.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
        let server_key = KeyPair::generate()?;
        let server_cert = server.signed_by(&server_key, &issuer)?;

        let mut client = CertificateParams::new(Vec::<String>::new())?;
        client
            .distinguished_name
            .push(DnType::CommonName, "wharf test client");
        client.extended_key_usages = vec![ExtendedKeyUsagePurpose::ClientAuth];
        let client_key = KeyPair::generate()?;
        let client_cert = client.signed_by(&client_key, &issuer)?;

        let write = |name: &str, pem: String| -> Result<PathBuf> {
            let p = dir.join(name);
            std::fs::write(&p, pem).with_context(|| format!("writing {}", p.display()))?;
            Ok(p)
        };
        Ok(TestPki {
            ca_cert: write("ca.crt", ca_cert.pem())?,
            server_cert: write("server.crt", server_cert.pem())?,
            server_key: write("server.key", server_key.serialize_pem())?,
            client_cert: write("client.cert", client_cert.pem())?,
            client_key: write("client.key", client_key.serialize_pem())?,
        })
    }

    /// Fills `certs.d/<host>/` for a client: the CA, and with `client` the client pair.
    pub fn install(&self, certs_d: &Path, host: &str, client: bool) -> Result<PathBuf> {
        let dir = certs_d.join(host);
        std::fs::create_dir_all(&dir)?;
        std::fs::copy(&self.ca_cert, dir.join("ca.crt"))?;
        if client {
            std::fs::copy(&self.client_cert, dir.join("client.cert"))?;
            std::fs::copy(&self.client_key, dir.join("client.key"))?;
        }
        Ok(dir)
    }
}
