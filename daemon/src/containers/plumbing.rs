//! A run's network: for `bridge`, a fresh namespace with a netdriver endpoint and the published
//! ports; for `none`, a namespace runc makes; for `host`, the daemon's own; for
//! `container:NAME`, that container's (`shared_net.rs`). Also how inspect and list show it.

use std::collections::BTreeMap;
use std::net::IpAddr;

use api::types::{
    ContainerConfig, EndpointSettings, HostConfig, NetworkSettings, Port, PortBinding, PortMap,
};
use netdriver::{AttachOptions, Protocol};

use super::{Containers, Net, Record, RunResources, attachments, netns};
use crate::blocking::blocking;
use crate::error::{Error, IoContext};

/// How a container is networked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Mode {
    /// An endpoint on the bridge, in a namespace of its own.
    Bridge,
    /// An endpoint on the user-defined network `NetworkMode` names, in a namespace of its
    /// own (whether the network exists is found at start, as dockerd does).
    User,
    /// The daemon's namespace.
    Host,
    /// A namespace with only `lo`.
    None,
    /// Another container's namespace (`container:NAME`), found at start.
    Container,
}

impl Mode {
    /// The mode `NetworkMode` asks for; `default` is `bridge` unless networking is disabled.
    pub(crate) fn of(hc: &HostConfig, net: &Net) -> Result<Mode, Error> {
        match hc.network_mode.as_str() {
            "" | "default" if net.driver.is_some() => Ok(Mode::Bridge),
            "" | "default" | "none" => Ok(Mode::None),
            "bridge" if net.driver.is_some() => Ok(Mode::Bridge),
            "host" => Ok(Mode::Host),
            m if m.starts_with("container:") => Ok(Mode::Container),
            _ if net.driver.is_some() => Ok(Mode::User),
            other => Err(Error::NoSuchNetwork(other.to_owned())),
        }
    }

    /// Whether the container gets a namespace of its own with endpoints in it.
    pub(crate) fn bridged(self) -> bool {
        matches!(self, Mode::Bridge | Mode::User)
    }
}

/// One requested binding: container port and protocol, host address and port (0: any).
pub(crate) struct Publish {
    /// The port inside the container.
    pub(crate) container_port: u16,
    /// TCP or UDP.
    pub(crate) proto: Protocol,
    /// The host address (`None`: `--ip`, by default all).
    pub(crate) host_ip: Option<IpAddr>,
    /// The host port (0: an ephemeral one).
    pub(crate) host_port: u16,
}

/// Parses `80/tcp` (`80` is TCP).
pub(crate) fn parse_port(key: &str) -> Result<(u16, Protocol), Error> {
    let (port, proto) = key.split_once('/').unwrap_or((key, "tcp"));
    let port = port
        .parse::<u16>()
        .ok()
        .filter(|&p| p > 0)
        .ok_or_else(|| Error::Invalid(format!("invalid port specification: \"{key}\"")))?;
    let proto = proto.parse::<Protocol>()?;
    Ok((port, proto))
}

/// The bindings `PortBindings` (and `-P`, for exposed ports without one) ask for.
pub(crate) fn requested(hc: &HostConfig, config: &ContainerConfig) -> Result<Vec<Publish>, Error> {
    let mut out = Vec::new();
    let bindings = hc.port_bindings.clone().unwrap_or_default();
    for (key, list) in &bindings {
        let (container_port, proto) = parse_port(key)?;
        for b in list.iter().flatten() {
            let host_ip = match b.host_ip.as_str() {
                "" => None,
                ip => Some(ip.parse::<IpAddr>().map_err(|_| {
                    Error::Invalid(format!("invalid IP address in port binding: {ip}"))
                })?),
            };
            let host_port = match b.host_port.as_str() {
                "" => 0,
                p => p.parse::<u16>().map_err(|_| {
                    Error::Invalid(format!("invalid host port in port binding: {p}"))
                })?,
            };
            out.push(Publish {
                container_port,
                proto,
                host_ip,
                host_port,
            });
        }
    }
    if hc.publish_all_ports {
        for key in config.exposed_ports.iter().flat_map(|m| m.keys()) {
            if bindings
                .get(key)
                .is_some_and(|l| l.as_ref().is_some_and(|l| !l.is_empty()))
            {
                continue;
            }
            let (container_port, proto) = parse_port(key)?;
            out.push(Publish {
                container_port,
                proto,
                host_ip: None,
                host_port: 0,
            });
        }
    }
    Ok(out)
}

impl Containers {
    /// Sets up the run's network: a namespace and one endpoint per network (`eth0` on the
    /// `NetworkMode`'s), then the published ports; what was made is recorded in `run` even on
    /// failure, so the caller's cleanup removes it.
    pub(crate) async fn net_up(&self, rec: &Record, run: &mut RunResources) -> Result<(), Error> {
        let net = &self.inner.net;
        if !Mode::of(&rec.host_config, net)?.bridged() {
            return Ok(());
        }
        let driver = net
            .driver
            .as_ref()
            .ok_or_else(|| Error::NoSuchNetwork("bridge".into()))?;
        let atts = attachments::of(&rec.host_config, rec.networks.as_ref(), net);
        for a in &atts {
            if a.net.is_none() {
                return Err(Error::NoSuchNetwork(a.name.clone()));
            }
        }
        let path = self.inner.netns_dir.join(&rec.id);
        netns::create(path.clone())
            .await
            .ctx("creating the network namespace")?;
        run.netns = Some(path.clone());
        let gateway = attachments::gateway(&atts);
        for (i, a) in atts.iter().enumerate() {
            let n = a.net.as_ref().expect("checked above");
            let opts = AttachOptions {
                ip: attachments::requested_ip(&a.settings)?,
                mac: attachments::requested_mac(&a.settings),
                ifname: format!("eth{i}"),
                default_route: gateway == Some(i),
            };
            // On a user network a container gets its last address again when it is free.
            let last = a.settings.ip_address.parse().ok().filter(|_| n.user);
            let ep = match (opts.ip, last) {
                (None, Some(last)) => {
                    let again = AttachOptions {
                        ip: Some(last),
                        ..opts.clone()
                    };
                    self.attach_again(driver, &n.driver_key, &rec.id, &path, &again, &opts)
                        .await?
                }
                _ => {
                    driver
                        .attach_to(&n.driver_key, &rec.id, &path, &opts)
                        .await?
                }
            };
            run.endpoints.push(ep);
        }
        let Some(first) = run.endpoints.first() else {
            return Ok(());
        };
        let endpoint_id = first.id.clone();
        for p in requested(&rec.host_config, &rec.config)? {
            driver
                .publish(&rec.id, p.host_ip, p.host_port, p.container_port, p.proto)
                .await
                .map_err(|source| Error::Publish {
                    name: rec.name.trim_start_matches('/').to_owned(),
                    endpoint: endpoint_id.clone(),
                    source,
                })?;
        }
        Ok(())
    }

    /// Attaches with the container's last address (`again`); if it is taken, waits for the
    /// endpoints being retired (its last run's may be one of them) and tries once more, then
    /// takes any free address (`opts`).
    async fn attach_again(
        &self,
        driver: &netdriver::NetDriver,
        network: &str,
        id: &str,
        netns: &std::path::Path,
        again: &AttachOptions,
        opts: &AttachOptions,
    ) -> Result<netdriver::Endpoint, Error> {
        match driver.attach_to(network, id, netns, again).await {
            Err(netdriver::Error::Conflict(_)) => {}
            other => return Ok(other?),
        }
        driver.settle().await;
        match driver.attach_to(network, id, netns, again).await {
            Err(netdriver::Error::Conflict(_)) => {
                Ok(driver.attach_to(network, id, netns, opts).await?)
            }
            other => Ok(other?),
        }
    }

    /// Releases what a run holds: endpoint and ports, namespace, overlay. Best effort: a
    /// failure is logged and the rest still goes.
    pub(crate) async fn release(&self, id: &str, dir: &std::path::Path, run: RunResources) {
        self.dns_down(id, &run.endpoints, true);
        if let Some(driver) = &self.inner.net.driver {
            for ep in &run.endpoints {
                if let Err(e) = driver.detach(ep).await {
                    tracing::warn!(container = %id, error = %e, "cannot detach the endpoint");
                }
            }
        }
        let dir = dir.to_path_buf();
        let id = id.to_owned();
        let vols = self.inner.volumes.clone();
        let _ = blocking(move || {
            for name in &run.volumes_held {
                vols.release(name);
            }
            if let Some(ns) = &run.netns
                && let Err(e) = netns::remove(ns)
            {
                tracing::warn!(container = %id, error = %e, "cannot remove the network namespace");
            }
            super::subpath::unstage(&dir);
            if let Err(e) = super::rootfs::lazy_unmount(&super::namespaces::shm_dir(&dir)) {
                tracing::warn!(container = %id, error = %e, "cannot unmount /dev/shm");
            }
            if run.rootfs_mounted
                && let Err(e) = super::rootfs::unmount(&dir)
            {
                tracing::warn!(container = %id, error = %e, "cannot unmount the root filesystem");
            }
        })
        .await;
    }

    /// `NetworkSettings` for inspect.
    pub(crate) fn network_settings(&self, rec: &Record, running: bool) -> NetworkSettings {
        let net = &self.inner.net;
        let mode = Mode::of(&rec.host_config, net).unwrap_or(Mode::None);
        let mut ns = NetworkSettings {
            ports: PortMap::new(),
            networks: self.summary_networks(rec, running),
            ..NetworkSettings::default()
        };
        if running {
            ns.ports = self.port_map(rec);
            if mode.bridged() {
                ns.sandbox_key = self.inner.netns_dir.join(&rec.id).display().to_string();
                ns.sandbox_id = rec.id.clone();
            }
            // The top-level fields repeat the default bridge's endpoint only, as dockerd's.
            if let Some(ep) = ns.networks.get("bridge").filter(|_| mode == Mode::Bridge) {
                ns.endpoint_id = ep.endpoint_id.clone();
                ns.gateway = ep.gateway.clone();
                ns.ip_address = ep.ip_address.clone();
                ns.ip_prefix_len = ep.ip_prefix_len;
                ns.mac_address = ep.mac_address.clone();
            }
        }
        ns
    }

    /// `NetworkSettings.Networks` (and the summary's networks for `GET /containers/json`):
    /// every network with the settings the client gave, and the live endpoint while running.
    pub(crate) fn summary_networks(
        &self,
        rec: &Record,
        running: bool,
    ) -> BTreeMap<String, EndpointSettings> {
        let net = &self.inner.net;
        let mode = Mode::of(&rec.host_config, net).unwrap_or(Mode::None);
        if !mode.bridged() {
            let (name, id) = match mode {
                Mode::Host => ("host", &net.builtin.host.id),
                // Another container's network: dockerd lists none.
                Mode::Container => return BTreeMap::new(),
                _ => ("none", &net.builtin.none.id),
            };
            let ep = EndpointSettings {
                network_id: id.clone(),
                ..EndpointSettings::default()
            };
            return BTreeMap::from([(name.to_owned(), ep)]);
        }
        let mut out = BTreeMap::new();
        for a in attachments::of(&rec.host_config, rec.networks.as_ref(), net) {
            let mut ep = a.settings.clone();
            // What the client sent back of an earlier inspect is not kept: these are live.
            ep.endpoint_id.clear();
            ep.gateway.clear();
            ep.ip_address.clear();
            ep.ip_prefix_len = 0;
            ep.network_id = a.net.as_ref().map(|n| n.id.clone()).unwrap_or_default();
            let user = a.net.as_ref().is_some_and(|n| n.user);
            ep.dns_names = user.then(|| {
                attachments::dns_names(&rec.name, rec.short_id(), &rec.config.hostname, &a.settings)
            });
            if running
                && let (Some(n), Some(d)) = (&a.net, &net.driver)
                && let Some(e) = d.endpoint_on(&n.driver_key, &rec.id)
            {
                ep.endpoint_id = e.id.clone();
                if e.default_route || !n.internal {
                    ep.gateway = e.gateway.to_string();
                }
                ep.ip_address = e.ip.to_string();
                ep.ip_prefix_len = i64::from(e.prefix_len);
                ep.mac_address = e.mac.to_string();
            }
            out.insert(a.name, ep);
        }
        out
    }

    /// `NetworkSettings.Ports`: every exposed port, with its bindings or `null`.
    fn port_map(&self, rec: &Record) -> PortMap {
        let mut map = PortMap::new();
        for key in rec.config.exposed_ports.iter().flat_map(|m| m.keys()) {
            let key = if key.contains('/') {
                key.clone()
            } else {
                format!("{key}/tcp")
            };
            map.insert(key, None);
        }
        if let Some(driver) = &self.inner.net.driver {
            for b in driver.ports(Some(&rec.id)) {
                let key = format!("{}/{}", b.container_port, b.proto);
                map.entry(key)
                    .or_insert(None)
                    .get_or_insert_with(Vec::new)
                    .push(PortBinding {
                        host_ip: b.host_ip.to_string(),
                        host_port: b.host_port.to_string(),
                    });
            }
        }
        map
    }

    /// The summary's `Ports` while running: published ports with their host side, exposed ones
    /// without (a stopped container has none, as in dockerd).
    pub(crate) fn summary_ports(&self, rec: &Record, running: bool) -> Vec<Port> {
        let mut out = Vec::new();
        if !running {
            return out;
        }
        let mut published = std::collections::HashSet::new();
        if let Some(driver) = &self.inner.net.driver {
            for b in driver.ports(Some(&rec.id)) {
                published.insert((b.container_port, b.proto.to_string()));
                out.push(Port {
                    ip: Some(b.host_ip.to_string()),
                    private_port: b.container_port,
                    public_port: Some(b.host_port),
                    kind: b.proto.to_string(),
                });
            }
        }
        for key in rec.config.exposed_ports.iter().flat_map(|m| m.keys()) {
            if let Ok((port, proto)) = parse_port(key)
                && !published.contains(&(port, proto.to_string()))
            {
                out.push(Port {
                    ip: None,
                    private_port: port,
                    public_port: None,
                    kind: proto.to_string(),
                });
            }
        }
        out
    }
}
