//! The settings of wharfd as a service: TLS on TCP hosts, shutdown, live-restore, metrics, the
//! daemon's own log and labels, read as dockerd reads them.

use std::net::SocketAddr;
use std::path::PathBuf;

use super::{ConfigError, flag_error};

/// `--shutdown-timeout`'s default (dockerd's).
const DEFAULT_SHUTDOWN_TIMEOUT: i64 = 15;

/// The certificate files and mode of the API's TLS.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TlsFiles {
    /// The CA client certificates must be signed by (`--tlscacert`).
    pub ca: PathBuf,
    /// The server's certificate chain (`--tlscert`).
    pub cert: PathBuf,
    /// The server's private key (`--tlskey`).
    pub key: PathBuf,
    /// Clients must present a certificate the CA signed (`--tlsverify`).
    pub verify: bool,
}

/// The daemon's log format (`--log-format`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum LogFormat {
    /// logrus-like text lines.
    #[default]
    Text,
    /// One JSON object a line.
    Json,
}

/// The merged flags and file values, before validation.
pub(super) struct RawService {
    pub tls: Option<bool>,
    pub tlsverify: Option<bool>,
    pub tlscacert: Option<PathBuf>,
    pub tlscert: Option<PathBuf>,
    pub tlskey: Option<PathBuf>,
    pub live_restore: Option<bool>,
    pub shutdown_timeout: Option<i64>,
    pub metrics_addr: Option<String>,
    pub log_format: Option<String>,
    pub labels: Vec<String>,
    pub authorization_plugins: Vec<String>,
}

/// The validated service settings.
#[derive(Debug)]
pub(super) struct Service {
    pub tls: Option<TlsFiles>,
    pub tcp_without_auth_allowed: bool,
    pub live_restore: bool,
    pub shutdown_timeout: i64,
    pub metrics_addr: Option<SocketAddr>,
    pub log_format: LogFormat,
    pub labels: Vec<String>,
}

impl RawService {
    pub(super) fn validate(self) -> Result<Service, ConfigError> {
        if let Some(p) = self.authorization_plugins.first() {
            return Err(flag_error(
                "authorization-plugin",
                p,
                "authorization plugins are not supported",
            ));
        }
        // dockerd: giving `--tlsverify` at all turns TLS on, and TLS without an explicit
        // `--tlsverify` verifies.
        let tls_on = self.tlsverify.is_some() || self.tls == Some(true);
        let verify = self.tlsverify.unwrap_or(tls_on);
        let tls = tls_on.then(|| {
            let dir = cert_dir();
            TlsFiles {
                ca: self.tlscacert.unwrap_or_else(|| dir.join("ca.pem")),
                cert: self.tlscert.unwrap_or_else(|| dir.join("cert.pem")),
                key: self.tlskey.unwrap_or_else(|| dir.join("key.pem")),
                verify,
            }
        });
        let shutdown_timeout = self.shutdown_timeout.unwrap_or(DEFAULT_SHUTDOWN_TIMEOUT);
        if shutdown_timeout < -1 {
            return Err(flag_error(
                "shutdown-timeout",
                &shutdown_timeout.to_string(),
                "must be -1 (no limit) or more",
            ));
        }
        let metrics_addr = match self.metrics_addr.filter(|a| !a.is_empty()) {
            None => None,
            Some(a) => Some(a.parse::<SocketAddr>().map_err(|_| {
                flag_error("metrics-addr", &a, "expected an IP address and a port")
            })?),
        };
        let log_format = match self.log_format.as_deref() {
            None | Some("") | Some("text") => LogFormat::Text,
            Some("json") => LogFormat::Json,
            Some(other) => {
                return Err(ConfigError::Conflict(format!(
                    "unknown log format: {other}"
                )));
            }
        };
        for l in &self.labels {
            if !l.contains('=') {
                return Err(flag_error("label", l, "expected KEY=VALUE"));
            }
        }
        Ok(Service {
            tls,
            // dockerd's `checkTLSAuthOK`: TLS set either way, or TLS verification set.
            tcp_without_auth_allowed: self.tls.is_some() || self.tlsverify.is_some(),
            live_restore: self.live_restore.unwrap_or(false),
            shutdown_timeout,
            metrics_addr,
            log_format,
            labels: self.labels,
        })
    }
}

/// dockerd's default certificate directory: `$DOCKER_CERT_PATH`, else `~/.docker`.
fn cert_dir() -> PathBuf {
    if let Some(p) = std::env::var_os("DOCKER_CERT_PATH").filter(|p| !p.is_empty()) {
        return PathBuf::from(p);
    }
    let home = std::env::var_os("HOME").unwrap_or_else(|| "/root".into());
    PathBuf::from(home).join(".docker")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn raw() -> RawService {
        RawService {
            tls: None,
            tlsverify: None,
            tlscacert: Some("/c/ca.pem".into()),
            tlscert: Some("/c/cert.pem".into()),
            tlskey: Some("/c/key.pem".into()),
            live_restore: None,
            shutdown_timeout: None,
            metrics_addr: None,
            log_format: None,
            labels: vec![],
            authorization_plugins: vec![],
        }
    }

    fn check(tls: Option<bool>, tlsverify: Option<bool>) -> (Option<bool>, bool) {
        let s = RawService {
            tls,
            tlsverify,
            ..raw()
        }
        .validate()
        .expect("valid");
        (s.tls.map(|t| t.verify), s.tcp_without_auth_allowed)
    }

    #[test]
    fn tls_flags_combine_as_dockerd_combines_them() {
        assert_eq!(check(None, None), (None, false));
        assert_eq!(check(Some(false), None), (None, true));
        assert_eq!(check(Some(true), None), (Some(true), true));
        assert_eq!(check(None, Some(true)), (Some(true), true));
        assert_eq!(check(None, Some(false)), (Some(false), true));
        assert_eq!(check(Some(true), Some(false)), (Some(false), true));
    }

    #[test]
    fn service_settings_default_and_refuse_as_dockerd() {
        let s = raw().validate().expect("valid");
        assert_eq!(s.shutdown_timeout, 15);
        assert!(!s.live_restore && s.metrics_addr.is_none());
        assert_eq!(s.log_format, LogFormat::Text);
        let bad = RawService {
            authorization_plugins: vec!["authz".into()],
            ..raw()
        };
        assert!(bad.validate().is_err());
        let bad = RawService {
            log_format: Some("xml".into()),
            ..raw()
        };
        let e = bad.validate().expect_err("refused").to_string();
        assert_eq!(e, "unknown log format: xml");
        let bad = RawService {
            metrics_addr: Some("nowhere".into()),
            ..raw()
        };
        assert!(bad.validate().is_err());
    }
}
