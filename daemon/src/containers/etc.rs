//! The container's `/etc/hosts`, `/etc/hostname` and `/etc/resolv.conf`: files in its
//! directory, bind-mounted over the image's at start (as dockerd does).

use std::io;
use std::net::{IpAddr, Ipv4Addr};
use std::path::{Path, PathBuf};

/// The three files, by their path in the container's directory.
pub(crate) struct EtcFiles {
    /// `<dir>/hosts`.
    pub(crate) hosts: PathBuf,
    /// `<dir>/hostname`.
    pub(crate) hostname: PathBuf,
    /// `<dir>/resolv.conf`.
    pub(crate) resolv_conf: PathBuf,
}

impl EtcFiles {
    /// The paths for the container in `dir`.
    pub(crate) fn of(dir: &Path) -> Self {
        EtcFiles {
            hosts: dir.join("hosts"),
            hostname: dir.join("hostname"),
            resolv_conf: dir.join("resolv.conf"),
        }
    }
}

/// What goes into the files.
pub(crate) struct EtcContent {
    /// The container's host name.
    pub(crate) hostname: String,
    /// Its domain name, if any.
    pub(crate) domainname: String,
    /// Its address on the bridge, if it has one.
    pub(crate) ip: Option<Ipv4Addr>,
    /// `--add-host` entries, `host:ip`.
    pub(crate) extra_hosts: Vec<String>,
    /// Legacy links: the target's address and its names (`alias id name`).
    pub(crate) links: Vec<(Ipv4Addr, String)>,
    /// Nameservers.
    pub(crate) dns: Vec<IpAddr>,
    /// Search domains.
    pub(crate) search: Vec<String>,
    /// Resolver options.
    pub(crate) options: Vec<String>,
    /// Host networking: the host's own `hosts` file is copied instead.
    pub(crate) host_network: bool,
}

/// Writes the three files.
pub(crate) fn write(dir: &Path, c: &EtcContent) -> io::Result<()> {
    let files = EtcFiles::of(dir);
    std::fs::write(&files.hostname, format!("{}\n", c.hostname))?;
    std::fs::write(&files.hosts, hosts(c))?;
    std::fs::write(&files.resolv_conf, resolv_conf(c))?;
    Ok(())
}

fn hosts(c: &EtcContent) -> String {
    let mut out = if c.host_network {
        std::fs::read_to_string("/etc/hosts").unwrap_or_default()
    } else {
        "127.0.0.1\tlocalhost\n\
         ::1\tlocalhost ip6-localhost ip6-loopback\n\
         fe00::0\tip6-localnet\n\
         ff00::0\tip6-mcastprefix\n\
         ff02::1\tip6-allnodes\n\
         ff02::2\tip6-allrouters\n"
            .to_owned()
    };
    if !out.is_empty() && !out.ends_with('\n') {
        out.push('\n');
    }
    for extra in &c.extra_hosts {
        if let Some((host, ip)) = extra.split_once(':') {
            out.push_str(&format!("{ip}\t{host}\n"));
        }
    }
    for (ip, names) in &c.links {
        out.push_str(&format!("{ip}\t{names}\n"));
    }
    if let Some(ip) = c.ip {
        let name = if c.domainname.is_empty() {
            c.hostname.clone()
        } else {
            format!("{}.{} {}", c.hostname, c.domainname, c.hostname)
        };
        out.push_str(&format!("{ip}\t{name}\n"));
    }
    out
}

fn resolv_conf(c: &EtcContent) -> String {
    let mut out = String::new();
    for ns in &c.dns {
        out.push_str(&format!("nameserver {ns}\n"));
    }
    if !c.search.is_empty() {
        out.push_str(&format!("search {}\n", c.search.join(" ")));
    }
    if !c.options.is_empty() {
        out.push_str(&format!("options {}\n", c.options.join(" ")));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn files_look_like_dockers() {
        let dir = tempfile::tempdir().expect("tempdir");
        let c = EtcContent {
            hostname: "e006d8254951".into(),
            domainname: String::new(),
            ip: Some(Ipv4Addr::new(172, 17, 0, 2)),
            extra_hosts: vec!["db:10.0.0.9".into()],
            links: vec![(
                Ipv4Addr::new(172, 17, 0, 3),
                "alias 0123456789ab web".into(),
            )],
            dns: vec![IpAddr::V4(Ipv4Addr::new(8, 8, 8, 8))],
            search: vec!["example.com".into()],
            options: vec!["ndots:2".into()],
            host_network: false,
        };
        write(dir.path(), &c).expect("write");
        let f = EtcFiles::of(dir.path());
        let hosts = std::fs::read_to_string(f.hosts).expect("hosts");
        assert!(hosts.starts_with("127.0.0.1\tlocalhost\n"), "{hosts}");
        assert!(
            hosts.ends_with(
                "10.0.0.9\tdb\n172.17.0.3\talias 0123456789ab web\n172.17.0.2\te006d8254951\n"
            ),
            "{hosts}"
        );
        assert_eq!(
            std::fs::read_to_string(f.hostname).expect("hostname"),
            "e006d8254951\n"
        );
        assert_eq!(
            std::fs::read_to_string(f.resolv_conf).expect("resolv"),
            "nameserver 8.8.8.8\nsearch example.com\noptions ndots:2\n"
        );
    }
}
