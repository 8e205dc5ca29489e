//! Published ports: each binding reserves its host port (a bound socket) and becomes DNAT
//! rules in the next table.

use std::net::IpAddr;

use super::NetDriver;
use crate::error::{Error, Result};
use crate::ports::{self, PortBinding, Protocol};

impl NetDriver {
    /// Publishes `container_port/proto` of the container's endpoint on `host_ip:host_port`
    /// (`host_ip` defaults to `--ip`; port 0 picks a free one in 32768–60999). The port is
    /// reachable from other hosts and from this namespace's loopback through DNAT.
    pub async fn publish(
        &self,
        container_id: &str,
        host_ip: Option<IpAddr>,
        host_port: u16,
        container_port: u16,
        proto: Protocol,
    ) -> Result<PortBinding> {
        if !self.config.iptables {
            return Err(Error::InvalidParameter(
                "cannot publish ports with --iptables=false: wharf has no userland proxy".into(),
            ));
        }
        if container_port == 0 {
            return Err(Error::InvalidParameter("invalid container port 0".into()));
        }
        let binding = {
            let mut inner = self.lock();
            // The default bridge's endpoint, else the one that gives the container its way out
            // (dockerd publishes on the gateway endpoint), else any.
            let user = |first: bool| {
                inner.users.values().find_map(|u| {
                    let ep = u.seg.endpoints.get(container_id)?;
                    (!first || ep.default_route).then_some((ep, u.config.host_binding_ipv4))
                })
            };
            let (ep, default_ip) = inner
                .bridge
                .endpoints
                .get(container_id)
                .map(|ep| (ep, self.config.ip))
                .or_else(|| user(true))
                .or_else(|| user(false))
                .ok_or_else(|| {
                    Error::NotFound(format!(
                        "container {container_id} has no endpoint on a bridge network"
                    ))
                })?;
            let wanted = PortBinding {
                container_id: container_id.to_string(),
                host_ip: host_ip.unwrap_or(default_ip),
                host_port,
                container_ip: ep.ip,
                container_port,
                proto,
            };
            let binding = inner.ports.add(wanted, ports::reserve)?;
            if let Err(e) = inner.save_bridge(&self.state_dir) {
                inner.ports.remove(&binding);
                return Err(e);
            }
            binding
        };
        if let Err(e) = self.apply_firewall().await {
            self.lock().ports.remove(&binding);
            return Err(e);
        }
        Ok(binding)
    }

    /// Withdraws one published port; unknown bindings are ignored.
    pub async fn unpublish(&self, binding: &PortBinding) -> Result<()> {
        let removed = {
            let mut inner = self.lock();
            let removed = inner.ports.remove(binding);
            if removed {
                inner.save_bridge(&self.state_dir)?;
            }
            removed
        };
        if removed {
            self.apply_firewall().await?;
        }
        Ok(())
    }
}
