//! A run's network: for `bridge`, a fresh namespace with a netdriver endpoint and the published
//! ports; for `none`, a namespace runc makes; for `host`, the daemon's own. Also how inspect and
//! list show it.

use std::collections::BTreeMap;
use std::net::IpAddr;

use api::types::{
    ContainerConfig, EndpointSettings, HostConfig, NetworkSettings, Port, PortBinding, PortMap,
};
use netdriver::Protocol;

use super::{Containers, Net, Record, RunResources, netns};
use crate::blocking::blocking;
use crate::error::{Error, IoContext};

/// How a container is networked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Mode {
    /// An endpoint on the bridge, in a namespace of its own.
    Bridge,
    /// The daemon's namespace.
    Host,
    /// A namespace with only `lo`.
    None,
}

impl Mode {
    /// The mode `NetworkMode` asks for; `default` is `bridge` unless networking is disabled.
    pub(crate) fn of(hc: &HostConfig, net: &Net) -> Result<Mode, Error> {
        match hc.network_mode.as_str() {
            "" | "default" if net.driver.is_some() => Ok(Mode::Bridge),
            "" | "default" | "none" => Ok(Mode::None),
            "bridge" if net.driver.is_some() => Ok(Mode::Bridge),
            "host" => Ok(Mode::Host),
            m if m.starts_with("container:") => Err(Error::Invalid(
                "sharing another container's network namespace is not supported".into(),
            )),
            other => Err(Error::NoSuchNetwork(other.to_owned())),
        }
    }

    /// The network's name as `NetworkSettings.Networks` keys it.
    pub(crate) fn name(self) -> &'static str {
        match self {
            Mode::Bridge => "bridge",
            Mode::Host => "host",
            Mode::None => "none",
        }
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
    /// Sets up the run's network; what was made is recorded in `run` even on failure, so the
    /// caller's cleanup removes it.
    pub(crate) async fn net_up(&self, rec: &Record, run: &mut RunResources) -> Result<(), Error> {
        let net = &self.inner.net;
        if Mode::of(&rec.host_config, net)? != Mode::Bridge {
            return Ok(());
        }
        let driver = net
            .driver
            .as_ref()
            .ok_or_else(|| Error::NoSuchNetwork("bridge".into()))?;
        let path = self.inner.netns_dir.join(&rec.id);
        netns::create(path.clone())
            .await
            .ctx("creating the network namespace")?;
        run.netns = Some(path.clone());
        let ep = driver.attach(&rec.id, &path, None).await?;
        let endpoint_id = ep.id.clone();
        run.endpoint = Some(ep);
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

    /// Releases what a run holds: endpoint and ports, namespace, overlay. Best effort: a
    /// failure is logged and the rest still goes.
    pub(crate) async fn release(&self, id: &str, dir: &std::path::Path, run: RunResources) {
        if let (Some(ep), Some(driver)) = (&run.endpoint, &self.inner.net.driver)
            && let Err(e) = driver.detach(ep).await
        {
            tracing::warn!(container = %id, error = %e, "cannot detach the endpoint");
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
            ..NetworkSettings::default()
        };
        let mut ep = self.endpoint_settings(rec, mode, running);
        if running {
            ns.ports = self.port_map(rec);
            if mode == Mode::Bridge {
                ns.sandbox_key = self.inner.netns_dir.join(&rec.id).display().to_string();
                ns.sandbox_id = rec.id.clone();
                ns.endpoint_id = ep.endpoint_id.clone();
                ns.gateway = ep.gateway.clone();
                ns.ip_address = ep.ip_address.clone();
                ns.ip_prefix_len = ep.ip_prefix_len;
                ns.mac_address = ep.mac_address.clone();
            }
        }
        ep.dns_names = None;
        ns.networks.insert(mode.name().to_owned(), ep);
        ns
    }

    /// The summary's networks for `GET /containers/json`.
    pub(crate) fn summary_networks(
        &self,
        rec: &Record,
        running: bool,
    ) -> BTreeMap<String, EndpointSettings> {
        let mode = Mode::of(&rec.host_config, &self.inner.net).unwrap_or(Mode::None);
        BTreeMap::from([(
            mode.name().to_owned(),
            self.endpoint_settings(rec, mode, running),
        )])
    }

    fn endpoint_settings(&self, rec: &Record, mode: Mode, running: bool) -> EndpointSettings {
        let net = &self.inner.net;
        let network_id = match mode {
            Mode::Bridge => net.builtin.bridge.id.clone(),
            Mode::Host => net.builtin.host.id.clone(),
            Mode::None => net.builtin.none.id.clone(),
        };
        let mut ep = EndpointSettings {
            network_id,
            ..EndpointSettings::default()
        };
        if running
            && mode == Mode::Bridge
            && let Some(e) = net.driver.as_ref().and_then(|d| d.endpoint(&rec.id))
        {
            ep.endpoint_id = e.id.clone();
            ep.gateway = e.gateway.to_string();
            ep.ip_address = e.ip.to_string();
            ep.ip_prefix_len = i64::from(e.prefix_len);
            ep.mac_address = e.mac.to_string();
        }
        ep
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
