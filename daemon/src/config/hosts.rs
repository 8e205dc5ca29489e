//! `-H`/`hosts`: where the API listens, parsed as dockerd's `opts.ParseHost` parses them.

use std::path::PathBuf;

use super::{ConfigError, flag_error};

/// dockerd's default TCP ports (IANA's registered ones): plain and TLS.
const DEFAULT_HTTP_PORT: u16 = 2375;
const DEFAULT_TLS_PORT: u16 = 2376;
/// The host name dockerd fills in when `tcp://` names none.
const DEFAULT_HTTP_HOST: &str = "localhost";

/// One address the API listens on.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub enum Host {
    /// `unix:///path`.
    Unix(PathBuf),
    /// `tcp://host:port` (`host:port` here, IPv6 hosts in brackets).
    Tcp(String),
    /// `fd://` (every socket systemd passed) or `fd://N` (only descriptor N).
    Fd(Option<String>),
}

impl std::fmt::Display for Host {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Host::Unix(p) => write!(f, "unix://{}", p.display()),
            Host::Tcp(a) => write!(f, "tcp://{a}"),
            Host::Fd(None) => write!(f, "fd://"),
            Host::Fd(Some(n)) => write!(f, "fd://{n}"),
        }
    }
}

/// The `-H` values (or the file's `hosts`), defaulted, parsed and without duplicates, in
/// dockerd's order (sorted by their text). With none, the default Unix socket, or with TLS
/// on, dockerd's `tcp://localhost:2376`.
pub fn parse_hosts(
    hosts: Vec<String>,
    default_unix: &str,
    tls: bool,
) -> Result<Vec<Host>, ConfigError> {
    let hosts = if hosts.is_empty() {
        vec![String::new()]
    } else {
        hosts
    };
    let mut out: Vec<(String, Host)> = Vec::new();
    for h in &hosts {
        let host = parse_host(h.trim(), default_unix, tls).map_err(|r| flag_error("host", h, r))?;
        let text = host.to_string();
        if !out.iter().any(|(t, _)| *t == text) {
            out.push((text, host));
        }
    }
    out.sort_by(|a, b| a.0.cmp(&b.0));
    Ok(out.into_iter().map(|(_, h)| h).collect())
}

fn parse_host(h: &str, default_unix: &str, tls: bool) -> Result<Host, String> {
    if h.is_empty() {
        return Ok(if tls {
            Host::Tcp(format!("{DEFAULT_HTTP_HOST}:{DEFAULT_TLS_PORT}"))
        } else {
            Host::Unix(PathBuf::from(default_unix))
        });
    }
    let (proto, rest) = h.split_once("://").unwrap_or(("tcp", h));
    match proto {
        "tcp" => parse_tcp(rest, h).map(Host::Tcp),
        "unix" => {
            if rest.contains("://") {
                return Err(format!("Invalid proto, expected unix: {rest}"));
            }
            let path = if rest.is_empty() { default_unix } else { rest };
            if !path.starts_with('/') {
                return Err("the socket path must be absolute".into());
            }
            Ok(Host::Unix(PathBuf::from(path)))
        }
        "fd" => Ok(Host::Fd(
            Some(rest.to_owned()).filter(|r| !r.is_empty() && r != "*"),
        )),
        _ => Err(format!("Invalid bind address format: {h}")),
    }
}

/// `host:port` from what followed `tcp://`, with dockerd's defaults for a missing host or port.
fn parse_tcp(addr: &str, given: &str) -> Result<String, String> {
    if addr.is_empty() {
        return Ok(format!("{DEFAULT_HTTP_HOST}:{DEFAULT_HTTP_PORT}"));
    }
    if addr.contains("://") {
        return Err(format!("Invalid proto, expected tcp: {given}"));
    }
    let bad = || format!("Invalid bind address format: {given}");
    // A path after the address is kept by dockerd; a listener has no use for it.
    let hostport = addr.split('/').next().unwrap_or_default();
    let (host, port) = if let Some(v6) = hostport.strip_prefix('[') {
        let (ip, after) = v6.split_once(']').ok_or_else(bad)?;
        let port = match after.strip_prefix(':') {
            Some(p) => p,
            None if after.is_empty() => "",
            None => return Err(bad()),
        };
        (format!("[{ip}]"), port)
    } else {
        match hostport.rsplit_once(':') {
            Some((h, _)) if h.contains(':') => return Err(bad()),
            Some((h, p)) => (h.to_owned(), p),
            None => (hostport.to_owned(), ""),
        }
    };
    let host = if host.is_empty() {
        DEFAULT_HTTP_HOST.to_owned()
    } else {
        host
    };
    let port = if port.is_empty() {
        DEFAULT_HTTP_PORT
    } else {
        port.parse::<u16>().map_err(|_| bad())?
    };
    Ok(format!("{host}:{port}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn one(h: &str) -> Result<Host, String> {
        parse_host(h, "/var/run/wharf.sock", false)
    }

    #[test]
    fn hosts_parse_as_dockerd_parses_them() {
        assert_eq!(one("unix://"), Ok(Host::Unix("/var/run/wharf.sock".into())));
        assert_eq!(one("unix:///x.sock"), Ok(Host::Unix("/x.sock".into())));
        assert_eq!(one("tcp://"), Ok(Host::Tcp("localhost:2375".into())));
        assert_eq!(one("tcp://:2376"), Ok(Host::Tcp("localhost:2376".into())));
        assert_eq!(one("tcp://0.0.0.0"), Ok(Host::Tcp("0.0.0.0:2375".into())));
        assert_eq!(
            one("127.0.0.1:2376"),
            Ok(Host::Tcp("127.0.0.1:2376".into()))
        );
        assert_eq!(one("tcp://[::1]:2376"), Ok(Host::Tcp("[::1]:2376".into())));
        assert_eq!(one("fd://"), Ok(Host::Fd(None)));
        assert_eq!(one("fd://3"), Ok(Host::Fd(Some("3".into()))));
        assert_eq!(
            one("udp://1.2.3.4:5"),
            Err("Invalid bind address format: udp://1.2.3.4:5".into())
        );
        assert_eq!(
            one("tcp://h:port"),
            Err("Invalid bind address format: tcp://h:port".into())
        );
        assert_eq!(
            one("tcp://tcp://x"),
            Err("Invalid proto, expected tcp: tcp://tcp://x".into())
        );
    }

    #[test]
    fn no_host_is_the_default_socket_or_the_tls_port() {
        let d = parse_hosts(vec![], "/run/w.sock", false).expect("default");
        assert_eq!(d, vec![Host::Unix("/run/w.sock".into())]);
        let d = parse_hosts(vec![], "/run/w.sock", true).expect("default");
        assert_eq!(d, vec![Host::Tcp("localhost:2376".into())]);
        let many = vec!["unix:///a".into(), "fd://".into(), "unix:///a".into()];
        let d = parse_hosts(many, "/run/w.sock", false).expect("several");
        assert_eq!(d, vec![Host::Fd(None), Host::Unix("/a".into())]);
    }
}
