//! Registry settings, as dockerd's `registry.ServiceOptions` takes and checks them:
//! `--insecure-registry` / `insecure-registries` (CIDRs and `host[:port]`, 127.0.0.0/8 always),
//! `--registry-mirror` / `registry-mirrors` (for Docker Hub names), `--max-concurrent-downloads`
//! and `--max-concurrent-uploads` (3 and 5 by default), and where per-registry certificates
//! are looked for (`certs.d/HOST:PORT/` beside `daemon.json`, as dockerd reads
//! `/etc/docker/certs.d`).

use std::path::{Path, PathBuf};

use ipnet::IpNet;

/// The loopback network every daemon treats as insecure.
const LOOPBACK: &str = "127.0.0.0/8";
/// dockerd's default for `--max-concurrent-downloads`.
const DEFAULT_DOWNLOADS: u32 = 3;
/// dockerd's default for `--max-concurrent-uploads`.
const DEFAULT_UPLOADS: u32 = 5;

/// The validated registry settings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Registries {
    /// Networks whose registries are reached without TLS verification (and over HTTP).
    pub insecure_cidrs: Vec<IpNet>,
    /// `host[:port]` registries reached without TLS verification (and over HTTP).
    pub insecure_hosts: Vec<String>,
    /// Mirrors of Docker Hub, each `scheme://host[:port]/`.
    pub mirrors: Vec<String>,
    /// Layers downloaded at once per pull.
    pub max_concurrent_downloads: u32,
    /// Layers uploaded at once per push.
    pub max_concurrent_uploads: u32,
    /// `<dir of daemon.json>/certs.d`: `HOST:PORT/ca.crt`, `client.cert`, `client.key`.
    pub certs_dir: PathBuf,
}

/// The raw settings, from flags or `daemon.json`.
#[derive(Debug, Default)]
pub struct RawRegistries {
    /// `--insecure-registry` / `insecure-registries`.
    pub insecure: Vec<String>,
    /// `--registry-mirror` / `registry-mirrors`.
    pub mirrors: Vec<String>,
    /// `--max-concurrent-downloads` / `max-concurrent-downloads`.
    pub downloads: Option<i64>,
    /// `--max-concurrent-uploads` / `max-concurrent-uploads`.
    pub uploads: Option<i64>,
}

impl Registries {
    /// Checks `raw` as dockerd does; the message names what is wrong in dockerd's words.
    pub fn load(raw: RawRegistries, config_file: &Path) -> Result<Registries, String> {
        let mut mirrors: Vec<String> = Vec::new();
        for m in &raw.mirrors {
            let m = validate_mirror(m)?;
            if !mirrors.contains(&m) {
                mirrors.push(m);
            }
        }
        let mut insecure_cidrs: Vec<IpNet> = Vec::new();
        let mut insecure_hosts: Vec<String> = Vec::new();
        for r in raw.insecure.iter().map(String::as_str).chain([LOOPBACK]) {
            let r = validate_index_name(r)?;
            let lower = r.to_ascii_lowercase();
            let r = if lower.starts_with("http://") {
                tracing::warn!(
                    "insecure registry {r} should not contain 'http://' and 'http://' has been removed from the insecure registry config"
                );
                &r[7..]
            } else if lower.starts_with("https://") {
                tracing::warn!(
                    "insecure registry {r} should not contain 'https://' and 'https://' has been removed from the insecure registry config"
                );
                &r[8..]
            } else if r.contains("://") {
                return Err(format!("insecure registry {r} should not contain '://'"));
            } else {
                r
            };
            match r.parse::<IpNet>() {
                Ok(net) => {
                    let net = net.trunc();
                    if !insecure_cidrs.contains(&net) {
                        insecure_cidrs.push(net);
                    }
                }
                Err(_) => {
                    validate_host_port(r)
                        .map_err(|e| format!("insecure registry {r} is not valid: {e}"))?;
                    if !insecure_hosts.iter().any(|h| h == r) {
                        insecure_hosts.push(r.to_owned());
                    }
                }
            }
        }
        let count = |what: &str, v: Option<i64>, default: u32| match v {
            None => Ok(default),
            Some(n) if n < 0 => Err(format!("invalid max concurrent {what}: {n}")),
            Some(n) => u32::try_from(n).map_err(|_| format!("invalid max concurrent {what}: {n}")),
        };
        Ok(Registries {
            insecure_cidrs,
            insecure_hosts,
            mirrors,
            max_concurrent_downloads: count("downloads", raw.downloads, DEFAULT_DOWNLOADS)?,
            max_concurrent_uploads: count("uploads", raw.uploads, DEFAULT_UPLOADS)?,
            certs_dir: config_file
                .parent()
                .unwrap_or_else(|| Path::new("/"))
                .join("certs.d"),
        })
    }
}

impl Default for Registries {
    fn default() -> Self {
        Registries::load(
            RawRegistries::default(),
            Path::new(super::DEFAULT_CONFIG_FILE),
        )
        .unwrap_or_else(|_| unreachable!("the defaults are valid"))
    }
}

/// moby's `ValidateIndexName`: `index.docker.io` is `docker.io`; no hyphen at either end.
fn validate_index_name(val: &str) -> Result<&str, String> {
    let val = if val == "index.docker.io" {
        "docker.io"
    } else {
        val
    };
    if val.starts_with('-') || val.ends_with('-') {
        return Err(format!(
            "invalid index name ({val}). Cannot begin or end with a hyphen"
        ));
    }
    Ok(val)
}

/// moby's `ValidateMirror` (dockerd 20.10): an `http` or `https` URL with nothing after the
/// host but `/`; returned with exactly one trailing `/`.
fn validate_mirror(val: &str) -> Result<String, String> {
    let scheme = go_scheme(val);
    if scheme != "http" && scheme != "https" {
        return Err(format!(
            "invalid mirror: unsupported scheme {scheme:?} in {val:?}"
        ));
    }
    let Some(rest) = val[scheme.len()..].strip_prefix("://") else {
        return Err(format!("invalid mirror: {val:?} is not a valid URI"));
    };
    let end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let (authority, tail) = rest.split_at(end);
    if !(tail.is_empty() || tail == "/") {
        return Err(format!(
            "invalid mirror: path, query, or fragment at end of the URI {val:?}"
        ));
    }
    if let Some((user, host)) = authority.rsplit_once('@') {
        let name = user.split(':').next().unwrap_or_default();
        return Err(format!(
            "invalid mirror: username/password not allowed in URI \"{scheme}://{name}:xxxxx@{host}{tail}\""
        ));
    }
    Ok(format!("{}/", val.trim_end_matches('/')))
}

/// The scheme Go's `url.Parse` reads: the text before the first `:` when it is a valid scheme
/// (a letter, then letters, digits, `+`, `-`, `.`), else none.
fn go_scheme(val: &str) -> &str {
    let Some((scheme, _)) = val.split_once(':') else {
        return "";
    };
    let valid = scheme.starts_with(|c: char| c.is_ascii_alphabetic())
        && scheme
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "+-.".contains(c));
    // `example.com:5000` has the scheme `example.com` to Go, which the caller then refuses.
    if valid { scheme } else { "" }
}

/// moby's `validateHostPort`: a domain (reference's domain grammar) or an IP, with an optional
/// port of at most 65535.
fn validate_host_port(s: &str) -> Result<(), String> {
    let (host, port) = match s.rsplit_once(':') {
        Some((h, p)) if !h.contains(':') || h.starts_with('[') => (h, Some(p)),
        _ => (s, None),
    };
    let bare = host.trim_start_matches('[').trim_end_matches(']');
    let is_ip = bare.parse::<std::net::IpAddr>().is_ok();
    if !(is_domain(host) || is_ip) {
        return Err(format!("invalid host {host:?}"));
    }
    if let Some(p) = port {
        let n: i64 = p
            .parse()
            .map_err(|_| format!("strconv.Atoi: parsing {p:?}: invalid syntax"))?;
        if !(0..=65535).contains(&n) {
            return Err(format!("invalid port {p:?}"));
        }
    }
    Ok(())
}

/// The reference grammar's domain: dot-separated components of letters and digits, with
/// hyphens inside.
fn is_domain(s: &str) -> bool {
    !s.is_empty()
        && s.split('.').all(|c| {
            !c.is_empty()
                && c.chars().all(|ch| ch.is_ascii_alphanumeric() || ch == '-')
                && !c.starts_with('-')
                && !c.ends_with('-')
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn load(insecure: &[&str], mirrors: &[&str]) -> Result<Registries, String> {
        Registries::load(
            RawRegistries {
                insecure: insecure.iter().map(|s| s.to_string()).collect(),
                mirrors: mirrors.iter().map(|s| s.to_string()).collect(),
                ..RawRegistries::default()
            },
            Path::new("/etc/wharf/daemon.json"),
        )
    }

    #[test]
    fn defaults_are_dockerds() {
        let r = Registries::default();
        assert_eq!(
            r.insecure_cidrs,
            vec![LOOPBACK.parse::<IpNet>().expect("net")]
        );
        assert!(r.insecure_hosts.is_empty() && r.mirrors.is_empty());
        assert_eq!(
            (r.max_concurrent_downloads, r.max_concurrent_uploads),
            (3, 5)
        );
        assert_eq!(r.certs_dir, Path::new("/etc/wharf/certs.d"));
    }

    #[test]
    fn insecure_registries_split_into_networks_and_hosts() {
        let r = load(
            &[
                "10.1.0.0/16",
                "myreg:5000",
                "http://other:5000",
                "127.0.0.0/8",
            ],
            &[],
        )
        .expect("valid");
        assert_eq!(r.insecure_cidrs.len(), 2);
        assert_eq!(r.insecure_hosts, ["myreg:5000", "other:5000"]);
        for (bad, message) in [
            (
                "ftp://x",
                "insecure registry ftp://x should not contain '://'",
            ),
            (
                "-bad",
                "invalid index name (-bad). Cannot begin or end with a hyphen",
            ),
            (
                "my_reg:5000",
                "insecure registry my_reg:5000 is not valid: invalid host \"my_reg\"",
            ),
            (
                "myreg:70000",
                "insecure registry myreg:70000 is not valid: invalid port \"70000\"",
            ),
        ] {
            assert_eq!(load(&[bad], &[]).expect_err(bad), message);
        }
    }

    #[test]
    fn mirrors_are_checked_as_dockerd_20_10_does() {
        let r = load(
            &[],
            &["https://mirror.example.com", "https://mirror.example.com/"],
        )
        .expect("valid");
        assert_eq!(r.mirrors, ["https://mirror.example.com/"]);
        for (bad, message) in [
            (
                "ftp://m.example.com",
                "invalid mirror: unsupported scheme \"ftp\" in \"ftp://m.example.com\"",
            ),
            (
                "m.example.com:5000",
                "invalid mirror: unsupported scheme \"m.example.com\" in \"m.example.com:5000\"",
            ),
            (
                "m.example.com",
                "invalid mirror: unsupported scheme \"\" in \"m.example.com\"",
            ),
            (
                "https://m.example.com/v1/",
                "invalid mirror: path, query, or fragment at end of the URI \"https://m.example.com/v1/\"",
            ),
            (
                "https://u:secret@m.example.com",
                "invalid mirror: username/password not allowed in URI \"https://u:xxxxx@m.example.com\"",
            ),
        ] {
            assert_eq!(load(&[], &[bad]).expect_err(bad), message);
        }
    }

    #[test]
    fn concurrency_limits_refuse_negatives() {
        let raw = RawRegistries {
            downloads: Some(-1),
            ..RawRegistries::default()
        };
        assert_eq!(
            Registries::load(raw, Path::new("/d.json")).expect_err("negative"),
            "invalid max concurrent downloads: -1"
        );
    }
}
