//! The daemon's registry settings (`--insecure-registry`, `--registry-mirror`, the certs
//! directory), checked and worded as moby's `registry/config.go` checks them.

use std::collections::BTreeSet;
use std::net::IpAddr;
use std::path::{Path, PathBuf};

use ipnet::IpNet;

use crate::Error;
use crate::reference::{DOCKER_HUB, DOCKER_HUB_INDEX};

/// Loopback registries are insecure by default, as in dockerd ("a stop-gap for people who are
/// running a private registry on localhost").
const DEFAULT_INSECURE: &[&str] = &["::1/128", "127.0.0.0/8"];

/// Registry settings: which registries may be spoken to without verified TLS, Docker Hub's
/// mirrors, and where per-registry certificates live.
#[derive(Debug, Clone)]
pub struct RegistryConfig {
    insecure_cidrs: Vec<IpNet>,
    insecure_hosts: BTreeSet<String>,
    mirrors: Vec<String>,
    certs_dir: Option<PathBuf>,
}

impl Default for RegistryConfig {
    /// No mirrors, no certs directory, only loopback insecure.
    fn default() -> Self {
        RegistryConfig::new(&[], &[], None).expect("the default insecure CIDRs are valid")
    }
}

impl RegistryConfig {
    /// Checks and takes the settings: `insecure` entries are CIDRs or `host[:port]`
    /// (`http://`/`https://` prefixes dropped, as dockerd does with a warning), `mirrors` are
    /// `http(s)://host[:port][/path]` URLs, and `certs_dir` holds one `HOST[:PORT]` directory
    /// per registry with `*.crt` CAs and `*.cert`/`*.key` client pairs.
    pub fn new(
        insecure: &[String],
        mirrors: &[String],
        certs_dir: Option<PathBuf>,
    ) -> Result<Self, Error> {
        let mut unique_mirrors = Vec::new();
        for m in mirrors {
            let m = validate_mirror(m)?;
            if !unique_mirrors.contains(&m) {
                unique_mirrors.push(m);
            }
        }
        let mut insecure_cidrs: Vec<IpNet> = Vec::new();
        let mut insecure_hosts = BTreeSet::new();
        let defaults = DEFAULT_INSECURE.iter().map(|s| s.to_string());
        for entry in insecure.iter().cloned().chain(defaults) {
            let entry = normalize_index_name(&entry).to_owned();
            if entry.starts_with('-') || entry.ends_with('-') {
                return Err(Error::Config(format!(
                    "invalid index name ({entry}). Cannot begin or end with a hyphen"
                )));
            }
            let lower = entry.to_ascii_lowercase();
            let r = if lower.starts_with("http://") {
                tracing::warn!(
                    "insecure registry {entry} should not contain 'http://' and 'http://' has been removed from the insecure registry config"
                );
                &entry[7..]
            } else if lower.starts_with("https://") {
                tracing::warn!(
                    "insecure registry {entry} should not contain 'https://' and 'https://' has been removed from the insecure registry config"
                );
                &entry[8..]
            } else if entry.contains("://") {
                return Err(Error::Config(format!(
                    "insecure registry {entry} should not contain '://'"
                )));
            } else {
                &entry
            };
            if let Ok(net) = r.parse::<IpNet>() {
                let net = net.trunc();
                if !insecure_cidrs.contains(&net) {
                    insecure_cidrs.push(net);
                }
            } else {
                validate_host_port(r).map_err(|e| {
                    Error::Config(format!("insecure registry {r} is not valid: {e}"))
                })?;
                insecure_hosts.insert(r.to_owned());
            }
        }
        Ok(RegistryConfig {
            insecure_cidrs,
            insecure_hosts,
            mirrors: unique_mirrors,
            certs_dir,
        })
    }

    /// Docker Hub's mirrors, normalised (`https://mirror.example/`), in the order given.
    pub fn mirrors(&self) -> &[String] {
        &self.mirrors
    }

    /// The certs directory (`<config dir>/certs.d`), if any.
    pub fn certs_dir(&self) -> Option<&Path> {
        self.certs_dir.as_deref()
    }

    /// The insecure CIDRs, the loopback defaults included (for `/info`'s
    /// `RegistryConfig.InsecureRegistryCIDRs`).
    pub fn insecure_cidrs(&self) -> &[IpNet] {
        &self.insecure_cidrs
    }

    /// The registries named insecure by `host[:port]` (for `/info`'s `IndexConfigs`).
    pub fn insecure_hosts(&self) -> impl Iterator<Item = &str> {
        self.insecure_hosts.iter().map(String::as_str)
    }

    /// Whether `index_name` (`host[:port]`) must be spoken to with verified TLS: Docker Hub
    /// always; a registry named insecure never; otherwise unless one of its addresses (an IP,
    /// or what the name resolves to) falls in an insecure CIDR (moby's `isSecureIndex`).
    pub async fn is_secure(&self, index_name: &str) -> bool {
        let index_name = normalize_index_name(index_name);
        if index_name == DOCKER_HUB {
            return true;
        }
        if self.insecure_hosts.contains(index_name) {
            return false;
        }
        let host = split_host(index_name);
        let addresses: Vec<IpAddr> = match host.parse::<IpAddr>() {
            Ok(ip) => vec![ip],
            // A name is resolved (port 0: only the addresses matter); a name that does not
            // resolve matches no CIDR.
            Err(_) => tokio::net::lookup_host((host, 0))
                .await
                .map(|addrs| addrs.map(|a| a.ip()).collect())
                .unwrap_or_default(),
        };
        !addresses
            .iter()
            .any(|a| self.insecure_cidrs.iter().any(|n| n.contains(a)))
    }
}

/// `index.docker.io` is `docker.io`.
fn normalize_index_name(name: &str) -> &str {
    if name == DOCKER_HUB_INDEX {
        DOCKER_HUB
    } else {
        name
    }
}

/// The host of `host[:port]` or `[v6]:port`, without brackets.
pub(crate) fn split_host(host_port: &str) -> &str {
    if let Some(rest) = host_port.strip_prefix('[') {
        return rest.split_once(']').map_or(rest, |(h, _)| h);
    }
    match host_port.rsplit_once(':') {
        Some((h, p)) if !h.contains(':') && p.bytes().all(|b| b.is_ascii_digit()) => h,
        _ => host_port,
    }
}

/// moby's `ValidateMirror`: an `http(s)://` URL without query, fragment or user; returned
/// with one trailing slash.
fn validate_mirror(mirror: &str) -> Result<String, Error> {
    let Some((scheme, rest)) = mirror.split_once("://").filter(|(s, _)| !s.is_empty()) else {
        return Err(Error::Config(format!(
            "invalid mirror: no scheme specified for {mirror:?}: must use either 'https://' or 'http://'"
        )));
    };
    if scheme != "http" && scheme != "https" {
        return Err(Error::Config(format!(
            "invalid mirror: unsupported scheme {scheme:?} in {mirror:?}: must use either 'https://' or 'http://'"
        )));
    }
    if rest.contains(['?', '#']) {
        return Err(Error::Config(format!(
            "invalid mirror: query or fragment at end of the URI {mirror:?}"
        )));
    }
    let authority = rest.split('/').next().unwrap_or_default();
    if let Some((user, host)) = authority.rsplit_once('@') {
        let name = user.split(':').next().unwrap_or_default();
        let shown = mirror.replacen(authority, &format!("{name}:xxxxx@{host}"), 1);
        return Err(Error::Config(format!(
            "invalid mirror: username/password not allowed in URI {shown:?}"
        )));
    }
    if authority.is_empty() {
        return Err(Error::Config(format!(
            "invalid mirror: {mirror:?} is not a valid URI"
        )));
    }
    Ok(format!("{}/", mirror.trim_end_matches('/')))
}

/// moby's `validateHostPort`: a domain (`reference.DomainRegexp`) or IP, and a port in range.
fn validate_host_port(s: &str) -> Result<(), String> {
    let (host, port) = match s.strip_prefix('[') {
        Some(rest) => match rest.split_once(']') {
            Some((h, p)) => (h, p.strip_prefix(':')),
            None => (s, None),
        },
        None => match s.rsplit_once(':') {
            Some((h, p)) if !h.contains(':') => (h, Some(p)),
            _ => (s, None),
        },
    };
    let domain_ok = !host.is_empty()
        && host.split('.').all(|label| {
            !label.is_empty()
                && label
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-')
                && !label.starts_with('-')
                && !label.ends_with('-')
        });
    if !domain_ok && host.parse::<IpAddr>().is_err() {
        return Err(format!("invalid host {host:?}"));
    }
    if let Some(port) = port {
        let n: i64 = port
            .parse()
            .map_err(|_| format!("strconv.Atoi: parsing {port:?}: invalid syntax"))?;
        if !(0..=65535).contains(&n) {
            return Err(format!("invalid port {port:?}"));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn strings(v: &[&str]) -> Vec<String> {
        v.iter().map(|s| s.to_string()).collect()
    }

    #[tokio::test]
    async fn loopback_is_insecure_by_default_and_docker_hub_never() {
        let c = RegistryConfig::default();
        assert!(!c.is_secure("127.0.0.1:5000").await);
        assert!(!c.is_secure("127.3.4.5").await);
        assert!(!c.is_secure("[::1]:5000").await);
        assert!(!c.is_secure("localhost:5000").await, "resolved");
        assert!(c.is_secure("192.0.2.1:5000").await);
        assert!(c.is_secure("docker.io").await);
        assert!(c.is_secure("index.docker.io").await);
    }

    #[tokio::test]
    async fn insecure_registries_by_cidr_and_by_name() {
        let c = RegistryConfig::new(
            &strings(&["10.1.0.0/16", "reg.example:5000", "http://other.example"]),
            &[],
            None,
        )
        .unwrap();
        assert!(!c.is_secure("10.1.2.3:443").await);
        assert!(c.is_secure("10.2.0.1").await);
        assert!(!c.is_secure("reg.example:5000").await);
        assert!(c.is_secure("reg.example:5001").await);
        assert!(!c.is_secure("other.example").await);
        assert_eq!(c.insecure_cidrs().len(), 3);
    }

    #[test]
    fn bad_settings_are_refused_with_dockerds_words() {
        let err = |insecure: &[&str], mirrors: &[&str]| {
            RegistryConfig::new(&strings(insecure), &strings(mirrors), None)
                .unwrap_err()
                .to_string()
        };
        assert_eq!(
            err(&["ftp://x"], &[]),
            "insecure registry ftp://x should not contain '://'"
        );
        assert_eq!(
            err(&["-x"], &[]),
            "invalid index name (-x). Cannot begin or end with a hyphen"
        );
        assert_eq!(
            err(&["a_b:5000"], &[]),
            "insecure registry a_b:5000 is not valid: invalid host \"a_b\""
        );
        assert_eq!(
            err(&["a:70000"], &[]),
            "insecure registry a:70000 is not valid: invalid port \"70000\""
        );
        assert_eq!(
            err(&[], &["mirror.example"]),
            "invalid mirror: no scheme specified for \"mirror.example\": must use either 'https://' or 'http://'"
        );
        assert_eq!(
            err(&[], &["ftp://m"]),
            "invalid mirror: unsupported scheme \"ftp\" in \"ftp://m\": must use either 'https://' or 'http://'"
        );
        assert_eq!(
            err(&[], &["https://u:p@m"]),
            "invalid mirror: username/password not allowed in URI \"https://u:xxxxx@m\""
        );
        let c = RegistryConfig::new(
            &[],
            &strings(&["https://m.example", "https://m.example/"]),
            None,
        )
        .unwrap();
        assert_eq!(c.mirrors(), ["https://m.example/"]);
    }

    #[test]
    fn hosts_split_from_ports() {
        assert_eq!(split_host("127.0.0.1:5000"), "127.0.0.1");
        assert_eq!(split_host("[::1]:5000"), "::1");
        assert_eq!(split_host("::1"), "::1");
        assert_eq!(split_host("reg"), "reg");
    }
}
