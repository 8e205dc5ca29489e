//! User-defined bridge networks: create (a bridge of their own, a subnet from the request or
//! the first free default pool), remove, list; and what the host needs for each (the bridge,
//! `route_localnet`).

use std::net::Ipv4Addr;

use ipnet::Ipv4Net;
use jiff::Timestamp;

use super::NetDriver;
use crate::allocations::network_file;
use crate::endpoint::Endpoint;
use crate::error::{Error, Result};
use crate::mac::MacAddr;
use crate::netlink::Netlink;
use crate::usernet::{BridgeOptions, IpamChoice, NetworkConfig, NetworkSpec, UserNet};
use crate::{state, subnet, sysctl};

/// Finds or creates the network's bridge, gives it the gateway's address and sets it up;
/// returns its index and whether it was created.
pub(super) async fn ensure_bridge(net: &dyn Netlink, cfg: &NetworkConfig) -> Result<(u32, bool)> {
    let name = &cfg.bridge;
    let (index, created) = match net.link_index(name).await? {
        Some(index) if !net.is_bridge(index).await? => {
            return Err(Error::InvalidParameter(format!(
                "link {name} is not a bridge"
            )));
        }
        Some(index) => (index, false),
        None => {
            let mac = MacAddr::from_ipv4(cfg.gateway);
            (net.create_bridge(name, cfg.mtu, mac).await?, true)
        }
    };
    let what = format!("bridge {name}");
    let address = Ipv4Net::new(cfg.gateway, cfg.subnet.prefix_len())
        .map_err(|e| Error::InvalidParameter(format!("gateway {}: {e}", cfg.gateway)))?;
    let made = async {
        net.add_ipv4(index, address, &what).await?;
        net.set_up(index, &what).await
    };
    if let Err(e) = made.await {
        if created && let Err(del) = net.delete_link(name).await {
            tracing::warn!(bridge = %name, error = %del, "cannot remove a half-made bridge");
        }
        return Err(e);
    }
    Ok((index, created))
}

/// The message dockerd gives when no default pool is free.
const NO_POOL: &str = "could not find an available, non-overlapping IPv4 address pool among \
                       the defaults to assign to the network";

impl NetDriver {
    /// `docker network create` for driver `bridge`: checks `spec` as dockerd does, chooses the
    /// subnet (the one asked for, which must overlap no other network's, or the first default
    /// pool that overlaps no route, nameserver or network), creates the bridge, records the
    /// network and regenerates the firewall.
    pub async fn create_network(&self, spec: NetworkSpec) -> Result<NetworkConfig> {
        let opts = BridgeOptions::parse(&spec.options, self.config.mtu, self.config.ip)?;
        let ipam = IpamChoice::parse(&spec.ipam)?;
        // One create (or remove) at a time: two creates must not choose the same pool.
        let _one = self.networks_op.lock().await;
        let routes = match ipam.subnet {
            None => self.net.ipv4_route_destinations().await?,
            Some(_) => Vec::new(),
        };
        let id = state::random_id()?;
        let cfg = {
            let inner = self.lock();
            if inner.users.values().any(|u| u.config.name == spec.name) {
                return Err(Error::Conflict(format!(
                    "network with name {} already exists",
                    spec.name
                )));
            }
            let mut taken: Vec<Ipv4Net> = vec![self.subnet()];
            taken.extend(inner.users.values().map(|u| u.config.subnet));
            let subnet = match ipam.subnet {
                Some(s) if taken.iter().any(|t| subnet::overlaps(t, &s)) => {
                    return Err(Error::Forbidden(
                        "Pool overlaps with other one on this address space".into(),
                    ));
                }
                Some(s) => s,
                None => {
                    let mut avoid = routes;
                    avoid.extend(taken);
                    subnet::first_free(&self.config.address_pools, &avoid, &self.resolv.nameservers)
                        .ok_or_else(|| Error::Forbidden(NO_POOL.into()))?
                }
            };
            let bridge = opts.bridge.unwrap_or_else(|| format!("br-{}", &id[..12]));
            if bridge == self.bridge.name || inner.users.values().any(|u| u.config.bridge == bridge)
            {
                return Err(Error::Conflict(format!(
                    "bridge name {bridge} is already used by another network"
                )));
            }
            let first = |n: Ipv4Net| Ipv4Addr::from(u32::from(n.network()).saturating_add(1));
            let gateway = ipam
                .gateway
                .unwrap_or_else(|| first(ipam.ip_range.unwrap_or(subnet)));
            NetworkConfig {
                id,
                name: spec.name,
                created: Timestamp::now(),
                bridge,
                created_bridge: false,
                subnet,
                gateway,
                ip_range: ipam.ip_range,
                aux_addresses: ipam.aux,
                subnet_given: ipam.subnet.is_some(),
                internal: spec.internal,
                attachable: spec.attachable,
                labels: spec.labels,
                options: spec.options,
                icc: opts.icc,
                masquerade: opts.masquerade,
                host_binding_ipv4: opts.host_binding_ipv4,
                mtu: opts.mtu,
            }
        };
        let (index, created) = ensure_bridge(&*self.net, &cfg).await?;
        let cfg = NetworkConfig {
            created_bridge: created,
            ..cfg
        };
        let user = UserNet::new(cfg.clone(), index);
        if let Err(e) = user.save(&network_file(&self.state_dir, &cfg.id)) {
            if created && let Err(del) = self.net.delete_link(&cfg.bridge).await {
                tracing::warn!(bridge = %cfg.bridge, error = %del, "cannot remove a bridge");
            }
            return Err(e);
        }
        self.lock().users.insert(cfg.id.clone(), user);
        self.bridge_sysctls(&cfg.bridge);
        self.apply_firewall().await?;
        Ok(cfg)
    }

    /// `docker network rm`: refused while endpoints exist (dockerd's message); deletes the
    /// bridge wharf created, the network's file and its rules.
    pub async fn remove_network(&self, id: &str) -> Result<()> {
        let _one = self.networks_op.lock().await;
        // Endpoints being retired go first: their veths are ports of the bridge.
        self.settle().await;
        let user = {
            let mut inner = self.lock();
            let u = inner
                .users
                .get(id)
                .ok_or_else(|| Error::NotFound(format!("network {id} not found")))?;
            if !u.seg.endpoints.is_empty() {
                return Err(Error::Forbidden(format!(
                    "error while removing network: network {} id {} has active endpoints",
                    u.config.name, u.config.id
                )));
            }
            let path = network_file(&self.state_dir, id);
            match std::fs::remove_file(&path) {
                Ok(()) => {}
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                Err(e) => return Err(Error::system(format!("removing {}", path.display()), e)),
            }
            inner
                .users
                .remove(id)
                .expect("the network was found under the lock")
        };
        if user.config.created_bridge
            && let Err(e) = self.net.delete_link(&user.config.bridge).await
        {
            tracing::warn!(bridge = %user.config.bridge, error = %e, "cannot delete a network's bridge");
        }
        self.apply_firewall().await
    }

    /// Every user-defined network with its endpoints, oldest first.
    pub fn user_networks(&self) -> Vec<(NetworkConfig, Vec<Endpoint>)> {
        let inner = self.lock();
        let mut out: Vec<(NetworkConfig, Vec<Endpoint>)> = inner
            .users
            .values()
            .map(|u| {
                (
                    u.config.clone(),
                    u.seg.endpoints.values().cloned().collect(),
                )
            })
            .collect();
        out.sort_by(|a, b| a.0.created.cmp(&b.0.created).then(a.0.id.cmp(&b.0.id)));
        out
    }

    /// The user network with this ID.
    pub fn user_network(&self, id: &str) -> Option<NetworkConfig> {
        self.lock().users.get(id).map(|u| u.config.clone())
    }

    /// The user networks' bridge names.
    pub(super) fn user_bridges(&self) -> Vec<String> {
        let inner = self.lock();
        inner
            .users
            .values()
            .map(|u| u.config.bridge.clone())
            .collect()
    }

    /// `route_localnet` on a network's bridge, so published ports answer on `127.0.0.1`.
    pub(super) fn bridge_sysctls(&self, bridge: &str) {
        if !self.host_effects || !self.config.iptables {
            return;
        }
        if let Err(e) = sysctl::write(&sysctl::route_localnet_key(bridge), "1") {
            tracing::warn!(bridge, error = %e, "published ports will not answer on 127.0.0.1");
        }
    }
}
