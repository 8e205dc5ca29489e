//! The `ps` filters moby's `includeContainerInList` applies beyond the basic ones: `expose`
//! and `publish` (against the summary's ports), `volume` (a mount's name, source or
//! destination), `isolation` and
//! `is-task` (no wharf container is a swarm task).

use std::collections::HashSet;

use api::filters::Filters;
use api::types::{MountPoint, Port};

use crate::error::Error;

/// The port sets of `publish` and `expose`, parsed once per list (moby's `portOp`).
#[derive(Debug, Default)]
pub(super) struct PortFilters {
    publish: HashSet<String>,
    expose: HashSet<String>,
}

impl PortFilters {
    /// Parses `publish` and `expose`: `port[/proto]` or `start-end[/proto]`, never with `:`.
    pub(super) fn parse(f: &Filters) -> Result<Self, Error> {
        Ok(PortFilters {
            publish: ports(f, "publish")?,
            expose: ports(f, "expose")?,
        })
    }

    /// A container passes when one of its ports is published on a `publish` port, or exposes
    /// an `expose` port (moby's loop over the summary's ports).
    fn matches(&self, ports: &[Port]) -> bool {
        if self.publish.is_empty() && self.expose.is_empty() {
            return true;
        }
        ports.iter().any(|p| {
            let published = format!("{}/{}", p.public_port.unwrap_or(0), p.kind);
            let exposed = format!("{}/{}", p.private_port, p.kind);
            self.publish.contains(&published) || self.expose.contains(&exposed)
        })
    }
}

/// What the extra filters look at, for one container.
pub(super) struct Candidate<'a> {
    /// The summary's ports.
    pub(super) ports: &'a [Port],
    /// The summary's mounts.
    pub(super) mounts: &'a [MountPoint],
    /// `HostConfig.Isolation`.
    pub(super) isolation: &'a str,
}

/// Whether the container passes `expose`, `publish`, `volume`, `health`, `isolation` and
/// `is-task` (the router has checked `health` and `is-task` values).
pub(super) fn matches(f: &Filters, ports: &PortFilters, c: &Candidate<'_>) -> bool {
    let volume = |v: &str| {
        c.mounts.iter().any(|m| {
            m.destination == v
                || if m.name.is_empty() {
                    m.source == v
                } else {
                    m.name == v
                }
        })
    };
    ports.matches(c.ports)
        && f.any("volume", volume)
        // moby's `Match`: equal, or the value as a regular expression found in the mode (the
        // values Linux allows, `default` and empty, hold no pattern characters).
        && f.any("isolation", |v| v == c.isolation || c.isolation.contains(v))
        && f.any("is-task", |v| v == "false")
}

/// The ports a `publish` or `expose` filter names, as `port/proto`.
fn ports(f: &Filters, key: &str) -> Result<HashSet<String>, Error> {
    let mut set = HashSet::new();
    for value in f.get(key) {
        if value.contains(':') {
            return Err(Error::System(format!(
                "filter for '{key}' should not contain ':': {value}"
            )));
        }
        let (port, proto) = match value.split_once('/') {
            Some((port, proto)) => (port, proto),
            None => (value.as_str(), "tcp"),
        };
        let bad = || {
            Error::System(format!(
                "error while looking up for {key} {port}: invalid port"
            ))
        };
        let (start, end) = match port.split_once('-') {
            Some((s, e)) => (s, e),
            None => (port, port),
        };
        let (start, end): (u16, u16) = (
            start.parse().map_err(|_| bad())?,
            end.parse().map_err(|_| bad())?,
        );
        if end < start {
            return Err(bad());
        }
        set.extend((start..=end).map(|p| format!("{p}/{proto}")));
    }
    Ok(set)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn filters(json: &str) -> Filters {
        Filters::parse(Some(json)).expect("filters")
    }

    fn port(private: u16, public: Option<u16>) -> Port {
        Port {
            ip: public.map(|_| "0.0.0.0".into()),
            private_port: private,
            public_port: public,
            kind: "tcp".into(),
        }
    }

    #[test]
    fn publish_and_expose_match_the_summary_ports() {
        let ports = [port(80, Some(8080)), port(99, None)];
        let c = Candidate {
            ports: &ports,
            mounts: &[],
            isolation: "",
        };
        let pass = |json: &str| {
            let f = filters(json);
            matches(&f, &PortFilters::parse(&f).expect("ports"), &c)
        };
        assert!(pass(r#"{"publish":["8080"]}"#));
        assert!(pass(r#"{"publish":["8000-8090/tcp"]}"#));
        assert!(!pass(r#"{"publish":["80"]}"#));
        assert!(pass(r#"{"expose":["80"]}"#));
        assert!(pass(r#"{"expose":["99/tcp"]}"#));
        assert!(!pass(r#"{"expose":["99/udp"]}"#));
        assert!(pass(r#"{"is-task":["false"]}"#));
        assert!(!pass(r#"{"is-task":["true"]}"#));
        assert!(!pass(r#"{"isolation":["hyperv"]}"#));
        let e = PortFilters::parse(&filters(r#"{"publish":["1:2"]}"#)).expect_err("colon");
        assert_eq!(
            e.to_string(),
            "filter for 'publish' should not contain ':': 1:2"
        );
    }

    #[test]
    fn volume_matches_a_name_a_source_or_a_destination() {
        let mounts = [
            MountPoint {
                name: "data".into(),
                source: "/var/lib/x/_data".into(),
                destination: "/data".into(),
                ..MountPoint::default()
            },
            MountPoint {
                source: "/srv".into(),
                destination: "/web".into(),
                ..MountPoint::default()
            },
        ];
        let c = Candidate {
            ports: &[],
            mounts: &mounts,
            isolation: "",
        };
        let pass = |v: &str| {
            let f = filters(&format!(r#"{{"volume":["{v}"]}}"#));
            matches(&f, &PortFilters::default(), &c)
        };
        assert!(pass("data") && pass("/data") && pass("/srv") && pass("/web"));
        assert!(!pass("/var/lib/x/_data") && !pass("other"));
    }
}
