//! The host's resolver configuration and the nameservers containers get (dockerd's
//! `checkLocaldns`). This only reads a file: no DNS traffic is ever sent.

use std::net::{IpAddr, Ipv4Addr};
use std::path::Path;

/// The public resolvers containers get when the host only has loopback nameservers.
pub const DEFAULT_DNS: [IpAddr; 2] = [
    IpAddr::V4(Ipv4Addr::new(8, 8, 8, 8)),
    IpAddr::V4(Ipv4Addr::new(8, 8, 4, 4)),
];

/// The parts of a `resolv.conf` that matter to containers.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ResolvConf {
    /// Every `nameserver` line, loopback ones included, in order.
    pub nameservers: Vec<IpAddr>,
    /// The domains of the last `search` (or `domain`) line.
    pub search: Vec<String>,
    /// The words of every `options` line.
    pub options: Vec<String>,
}

impl ResolvConf {
    /// Parses the text of a `resolv.conf`; unknown lines and unparsable addresses are ignored,
    /// as the C resolver does.
    pub fn parse(text: &str) -> Self {
        let mut rc = ResolvConf::default();
        for line in text.lines() {
            // A comment starts with `#` or `;` anywhere on the line.
            let line = line.split(['#', ';']).next().unwrap_or_default();
            let mut words = line.split_whitespace();
            match words.next() {
                Some("nameserver") => {
                    // A zone index (`fe80::1%eth0`) cannot be used inside a container.
                    if let Some(ip) = words.next().and_then(|w| w.parse().ok()) {
                        rc.nameservers.push(ip);
                    }
                }
                Some("search" | "domain") => rc.search = words.map(str::to_string).collect(),
                Some("options") => rc.options.extend(words.map(str::to_string)),
                _ => {}
            }
        }
        rc
    }

    /// Reads and parses `path`; a missing file is an empty configuration, as for the C resolver.
    pub fn read(path: &Path) -> std::io::Result<Self> {
        match std::fs::read_to_string(path) {
            Ok(text) => Ok(Self::parse(&text)),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Self::default()),
            Err(e) => Err(e),
        }
    }
}

/// The nameservers containers use: `--dns` if given; else the host's nameservers that are
/// reachable from a container (not loopback); else [`DEFAULT_DNS`].
pub fn container_dns(host: &ResolvConf, flag_dns: &[IpAddr]) -> Vec<IpAddr> {
    if !flag_dns.is_empty() {
        return flag_dns.to_vec();
    }
    let usable: Vec<IpAddr> = host
        .nameservers
        .iter()
        .copied()
        .filter(|ip| !ip.is_loopback())
        .collect();
    if usable.is_empty() {
        DEFAULT_DNS.to_vec()
    } else {
        usable
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_nameservers_search_and_options() {
        let rc = ResolvConf::parse(
            "# generated\nnameserver 10.0.0.2\nnameserver  ::1 # local\n\
             nameserver bogus\nsearch example.com corp.example\noptions ndots:2 edns0\n\
             options timeout:1\n; nameserver 1.1.1.1\n",
        );
        assert_eq!(
            rc.nameservers,
            vec![
                "10.0.0.2".parse::<IpAddr>().expect("literal"),
                "::1".parse().expect("literal")
            ]
        );
        assert_eq!(rc.search, ["example.com", "corp.example"]);
        assert_eq!(rc.options, ["ndots:2", "edns0", "timeout:1"]);
    }

    #[test]
    fn only_loopback_nameservers_fall_back_to_public_resolvers() {
        let rc = ResolvConf::parse("nameserver 127.0.0.53\nnameserver ::1\n");
        assert_eq!(container_dns(&rc, &[]), DEFAULT_DNS.to_vec());
        assert_eq!(
            container_dns(&ResolvConf::default(), &[]),
            DEFAULT_DNS.to_vec()
        );
    }

    #[test]
    fn loopback_nameservers_are_dropped_and_flag_wins() {
        let rc = ResolvConf::parse("nameserver 127.0.0.1\nnameserver 10.1.2.3\n");
        let ns: IpAddr = "10.1.2.3".parse().expect("literal");
        assert_eq!(container_dns(&rc, &[]), vec![ns]);
        let flag: IpAddr = "9.9.9.9".parse().expect("literal");
        assert_eq!(container_dns(&rc, &[flag]), vec![flag]);
    }

    #[test]
    fn missing_file_is_empty() {
        let rc = ResolvConf::read(Path::new("/nonexistent/resolv.conf")).expect("missing is ok");
        assert_eq!(rc, ResolvConf::default());
    }
}
