//! Legacy links on the default bridge (`--link NAME[:ALIAS]`), as dockerd makes them: the
//! target must exist and run, the link is recorded as `/NAME:/OWN/ALIAS`, and each run gets a
//! `/etc/hosts` line for the target (`IP\tALIAS ID NAME`) and its `ALIAS_*` variables (ports,
//! name, the target's environment). On user-defined networks a link is a DNS alias instead.

use std::net::Ipv4Addr;

use api::types::{ContainerStatus, HostConfig};

use super::plumbing::parse_port;
use super::{Containers, Record};
use crate::error::{Error, Result};

/// A link's target and alias, from `NAME[:ALIAS]` as the client sends it or
/// `/NAME:/OWN/ALIAS` as it is recorded.
pub(crate) fn parse(link: &str) -> Result<(String, String)> {
    let (target, alias) = link.split_once(':').unwrap_or((link, link));
    let target = target.trim_start_matches('/');
    let alias = alias.rsplit('/').next().unwrap_or(alias);
    if target.is_empty() || alias.is_empty() {
        return Err(Error::Invalid(format!(
            "invalid link specification: {link}"
        )));
    }
    Ok((target.to_owned(), alias.to_owned()))
}

/// What a run gets from one link.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Linked {
    /// The target's address on the bridge.
    pub(crate) ip: Ipv4Addr,
    /// The names `/etc/hosts` gives it: the alias, its short ID, its name.
    pub(crate) names: String,
    /// The `ALIAS_*` variables.
    pub(crate) env: Vec<String>,
}

impl Containers {
    /// Create: every link names a running container (dockerd's `registerLinks`); the links
    /// are recorded as `/NAME:/OWN/ALIAS`, `own` being the new container's name.
    pub(crate) fn resolve_links(&self, hc: &mut HostConfig, own: &str) -> Result<()> {
        let Some(links) = hc.links.as_mut() else {
            return Ok(());
        };
        for link in links.iter_mut() {
            let (target, alias) = parse(link)?;
            let c = self.get(&target).map_err(|e| {
                Error::Invalid(format!("could not get container for {target}: {e}"))
            })?;
            let name = c.record().name;
            if !running(&c.record()) {
                return Err(Error::Invalid(format!(
                    "Cannot link to a non running container: {name} AS {own}/{alias}"
                )));
            }
            *link = format!("{name}:{own}/{alias}");
        }
        Ok(())
    }

    /// Start, on the default bridge: each link's hosts line and variables.
    pub(crate) fn legacy_links(&self, rec: &Record) -> Result<Vec<Linked>> {
        let mut out = Vec::new();
        for link in rec.host_config.links.iter().flatten() {
            let (target, alias) = parse(link)?;
            let refuse = || {
                Error::Invalid(format!(
                    "Cannot link to a non running container: /{target} AS {}/{alias}",
                    rec.name
                ))
            };
            let c = self.get(&target).map_err(|_| refuse())?;
            let theirs = c.record();
            let ip = self
                .inner
                .net
                .driver
                .as_ref()
                .and_then(|d| d.endpoint(&theirs.id))
                .map(|e| e.ip);
            let Some(ip) = ip.filter(|_| running(&theirs)) else {
                return Err(refuse());
            };
            let name = theirs.name.trim_start_matches('/');
            let mut names = vec![alias.clone()];
            for n in [theirs.short_id(), name] {
                if !names.iter().any(|x| x == n) {
                    names.push(n.to_owned());
                }
            }
            out.push(Linked {
                ip,
                names: names.join(" "),
                env: variables(&alias, &format!("{}/{alias}", rec.name), ip, &theirs),
            });
        }
        Ok(out)
    }
}

fn running(rec: &Record) -> bool {
    matches!(
        rec.state.status,
        ContainerStatus::Running | ContainerStatus::Paused | ContainerStatus::Restarting
    )
}

/// moby's `Link.ToEnv`: `ALIAS_NAME`, `ALIAS_PORT` (the lowest exposed port), for each port
/// `ALIAS_PORT_80_TCP` and its `_ADDR`, `_PORT`, `_PROTO`, and the target's variables as
/// `ALIAS_ENV_*` (but `HOME` and `PATH`).
fn variables(alias: &str, full_name: &str, ip: Ipv4Addr, target: &Record) -> Vec<String> {
    let prefix = alias.to_uppercase().replace('-', "_");
    let mut env = vec![format!("{prefix}_NAME={full_name}")];
    let mut ports: Vec<(u16, String)> = target
        .config
        .exposed_ports
        .iter()
        .flat_map(|m| m.keys())
        .filter_map(|k| parse_port(k).ok())
        .map(|(port, proto)| (port, proto.to_string()))
        .collect();
    ports.sort();
    if let Some((port, proto)) = ports.first() {
        env.push(format!("{prefix}_PORT={proto}://{ip}:{port}"));
    }
    for (port, proto) in &ports {
        let key = format!("{prefix}_PORT_{port}_{}", proto.to_uppercase());
        env.push(format!("{key}={proto}://{ip}:{port}"));
        env.push(format!("{key}_ADDR={ip}"));
        env.push(format!("{key}_PORT={port}"));
        env.push(format!("{key}_PROTO={proto}"));
    }
    for e in target.config.env.iter().flatten() {
        if let Some((k, v)) = e.split_once('=')
            && k != "HOME"
            && k != "PATH"
        {
            env.push(format!("{prefix}_ENV_{k}={v}"));
        }
    }
    env
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn links_parse_as_sent_and_as_recorded() {
        let p = |s: &str| parse(s).expect("valid");
        assert_eq!(p("web:alias"), ("web".into(), "alias".into()));
        assert_eq!(p("web"), ("web".into(), "web".into()));
        assert_eq!(p("/web:/me/alias"), ("web".into(), "alias".into()));
        assert!(parse(":x").is_err());
    }

    #[test]
    fn variables_as_moby_writes_them() {
        let mut target = Record::sample(&"c".repeat(64), "/web");
        target.config.exposed_ports = Some(
            [("80/tcp", ()), ("53/udp", ())]
                .into_iter()
                .map(|(k, _)| (k.to_owned(), serde_json::json!({})))
                .collect(),
        );
        target.config.env = Some(vec![
            "PATH=/bin".into(),
            "SECRET=x".into(),
            "HOME=/root".into(),
        ]);
        let env = variables("my-db", "/me/my-db", Ipv4Addr::new(172, 17, 0, 2), &target);
        assert_eq!(
            env,
            [
                "MY_DB_NAME=/me/my-db",
                "MY_DB_PORT=udp://172.17.0.2:53",
                "MY_DB_PORT_53_UDP=udp://172.17.0.2:53",
                "MY_DB_PORT_53_UDP_ADDR=172.17.0.2",
                "MY_DB_PORT_53_UDP_PORT=53",
                "MY_DB_PORT_53_UDP_PROTO=udp",
                "MY_DB_PORT_80_TCP=tcp://172.17.0.2:80",
                "MY_DB_PORT_80_TCP_ADDR=172.17.0.2",
                "MY_DB_PORT_80_TCP_PORT=80",
                "MY_DB_PORT_80_TCP_PROTO=tcp",
                "MY_DB_ENV_SECRET=x",
            ]
        );
    }
}
