//! [`NetDriver`]: the bridge networks' state and the operations the daemon calls (published
//! ports in `publish`, user-defined networks in `networks`).

mod networks;
mod publish;
#[cfg(test)]
mod tests;

use std::fs::File;
use std::net::{IpAddr, Ipv4Addr};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use ipnet::Ipv4Net;

use crate::allocations::{self, Allocations};
use crate::bridge::{self, BridgeState};
use crate::config::{Bridge, Config};
use crate::endpoint::{self, Endpoint};
use crate::error::{Error, Result};
use crate::firewall::{self, FirewallSpec};
use crate::info::{self, NetworkIdentity, NetworkInfo};
use crate::mac::MacAddr;
use crate::netlink::{Netlink, RtNetlink};
use crate::ports::PortBinding;
use crate::resolv::{self, ResolvConf};
use crate::state;
use crate::sysctl;
use crate::usernet::UserNet;

/// How a container's endpoint is made (see [`NetDriver::attach_to`]).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AttachOptions {
    /// The address asked for (`--ip`), else the next free one.
    pub ip: Option<Ipv4Addr>,
    /// The MAC asked for (`--mac-address`), else one derived from the address.
    pub mac: Option<MacAddr>,
    /// The interface's name inside the container (`eth0` when empty).
    pub ifname: String,
    /// Whether the container's default route goes through this network's gateway.
    pub default_route: bool,
}

/// The bridge network driver: owns the bridge, its addresses, its nftables table, container
/// endpoints and published ports. Methods take `&self`; share it in an `Arc`.
#[derive(Debug)]
pub struct NetDriver {
    config: Config,
    bridge: BridgeState,
    resolv: ResolvConf,
    dns: Vec<IpAddr>,
    identity: NetworkIdentity,
    net: Arc<dyn Netlink>,
    state_dir: PathBuf,
    inner: Arc<Mutex<Allocations>>,
    /// Whether the driver touches the host beyond netlink (sysctls, `nft`): not in unit tests.
    host_effects: bool,
    /// Background deletions of detached veths (see [`NetDriver::detach`]).
    retiring: Mutex<tokio::task::JoinSet<()>>,
    /// Serialises rule generation and `nft` runs, so the last run always reflects the newest
    /// state.
    firewall: tokio::sync::Mutex<()>,
    /// Serialises creating and removing user networks.
    networks_op: tokio::sync::Mutex<()>,
}

impl NetDriver {
    /// Start-up step "network", in the calling thread's network namespace: finds or creates the
    /// bridge, enables forwarding, restores allocations and published ports from `state_dir`, and
    /// replaces wharf's nftables table. `Ok(None)` for `--bridge=none`.
    pub async fn init(config: Config) -> Result<Option<NetDriver>> {
        if config.bridge == Bridge::None {
            return Ok(None);
        }
        let resolv = ResolvConf::read(&config.resolv_conf).unwrap_or_else(|e| {
            tracing::warn!(path = %config.resolv_conf.display(), error = %e,
                "cannot read the host's resolver configuration");
            ResolvConf::default()
        });
        let net = Arc::new(RtNetlink::connect_pinned().await?);
        let bridge = bridge::ensure(&*net, &config, &resolv.nameservers).await?;
        tracing::info!(bridge = %bridge.name, address = %bridge.address, created = bridge.created,
            "bridge ready");
        sysctl::apply(&config, &bridge.name);
        let mut driver = NetDriver::start(config, net, bridge, resolv).await?;
        driver.host_effects = true;
        for name in driver.user_bridges() {
            driver.bridge_sysctls(&name);
        }
        driver.apply_firewall().await?;
        Ok(Some(driver))
    }

    /// The part of [`NetDriver::init`] that only needs `net`, once the bridge is there: the
    /// network's identity, the allocations restored from `state_dir` and the veths a crash left
    /// retiring deleted. Unit tests start here with a fake `net` (no sysctls, no `nft`).
    pub(crate) async fn start(
        config: Config,
        net: Arc<dyn Netlink>,
        bridge: BridgeState,
        resolv: ResolvConf,
    ) -> Result<NetDriver> {
        let dns = resolv::container_dns(&resolv, &config.dns);
        let identity = info::builtin_networks(&config.state_dir)?.bridge;
        let state_dir = config.state_dir.clone();
        let mut users = std::collections::BTreeMap::new();
        for (cfg, endpoints, retiring) in allocations::load_networks(&state_dir)? {
            // After a reboot the bridge is gone: it is made again as it was.
            let (index, _) = networks::ensure_bridge(&*net, &cfg).await?;
            let mut u = UserNet::new(cfg, index);
            u.seg.restore(endpoints, retiring);
            users.insert(u.config.id.clone(), u);
        }
        let inner = Allocations::restore(&state_dir, &bridge, users)?;
        let driver = NetDriver {
            config,
            bridge,
            resolv,
            dns,
            identity,
            net,
            state_dir,
            inner: Arc::new(Mutex::new(inner)),
            host_effects: false,
            retiring: Mutex::new(tokio::task::JoinSet::new()),
            firewall: tokio::sync::Mutex::new(()),
            networks_op: tokio::sync::Mutex::new(()),
        };
        driver.finish_retired().await?;
        {
            let inner = driver.lock();
            inner.save_bridge(&driver.state_dir)?;
            for id in inner.users.keys() {
                inner.save(&driver.state_dir, id)?;
            }
        }
        Ok(driver)
    }

    /// Ends the driver. The bridge, its address, the nftables table, the sysctls and the state
    /// files stay, as dockerd leaves `docker0` and its rules: the next start reuses them and
    /// replaces the table. Endpoints the container layer did not detach stay recorded; their
    /// ports' reserving sockets close with the driver.
    pub async fn shutdown(self) -> Result<()> {
        self.settle().await;
        let inner = self.lock();
        inner.save_bridge(&self.state_dir)
    }

    fn lock(&self) -> MutexGuard<'_, Allocations> {
        lock(&self.inner)
    }

    /// Records what changed on `network` (empty: the default bridge and the ports).
    fn save(&self, inner: &Allocations, network: &str) -> Result<()> {
        inner.save(&self.state_dir, network)
    }

    /// Deletes the veths that a crash left retiring, and frees their addresses.
    async fn finish_retired(&self) -> Result<()> {
        let left: Vec<Endpoint> = self
            .lock()
            .segments()
            .flat_map(|s| s.retiring.values().cloned())
            .collect();
        for ep in left {
            self.net.delete_link(&ep.host_veth).await?;
            let mut inner = self.lock();
            if let Ok(seg) = inner.segment(&ep.network) {
                seg.retiring.remove(&ep.id);
                seg.ipam.release(ep.ip);
            }
        }
        Ok(())
    }

    /// Waits until every detached endpoint's veth is gone (shutdown and tests).
    pub async fn settle(&self) {
        let mut tasks =
            std::mem::take(&mut *self.retiring.lock().unwrap_or_else(PoisonError::into_inner));
        while tasks.join_next().await.is_some() {}
    }

    /// Regenerates the table from the current state (or removes it with `--iptables=false`).
    async fn apply_firewall(&self) -> Result<()> {
        if !self.host_effects {
            return Ok(());
        }
        let _serialised = self.firewall.lock().await;
        if !self.config.iptables {
            // Stale rules from an earlier `--iptables` run must go; without nft there are none.
            if let Err(e) = firewall::apply(&firewall::removal()).await {
                tracing::warn!(error = %e, "cannot remove table ip {}", firewall::TABLE);
            }
            return Ok(());
        }
        let spec = {
            let inner = self.lock();
            let mut networks = vec![firewall::BridgeRules {
                bridge: self.bridge.name.clone(),
                subnet: self.subnet(),
                icc: self.config.icc,
                masquerade: true,
                internal: false,
            }];
            networks.extend(inner.users.values().map(|u| firewall::BridgeRules {
                bridge: u.config.bridge.clone(),
                subnet: u.config.subnet,
                icc: u.config.icc,
                masquerade: u.config.masquerade,
                internal: u.config.internal,
            }));
            FirewallSpec {
                networks,
                ports: inner.ports.bindings().cloned().collect(),
            }
        };
        firewall::apply(&firewall::ruleset(&spec)).await
    }

    /// The nameservers containers get (`--dns`, else the host's non-loopback ones, else
    /// 8.8.8.8 and 8.8.4.4).
    pub fn dns(&self) -> &[IpAddr] {
        &self.dns
    }

    /// The host's search domains, for containers' `resolv.conf`.
    pub fn dns_search(&self) -> &[String] {
        &self.resolv.search
    }

    /// The host's resolver options, for containers' `resolv.conf`.
    pub fn dns_options(&self) -> &[String] {
        &self.resolv.options
    }

    /// The bridge's interface name.
    pub fn bridge_name(&self) -> &str {
        &self.bridge.name
    }

    /// The bridge's subnet.
    pub fn subnet(&self) -> Ipv4Net {
        self.bridge.address.trunc()
    }

    /// The bridge's address, the containers' default gateway.
    pub fn gateway(&self) -> Ipv4Addr {
        self.bridge.address.addr()
    }

    /// The bridge network as the API shows it.
    pub fn info(&self) -> NetworkInfo {
        NetworkInfo {
            name: "bridge".into(),
            identity: self.identity.clone(),
            bridge: self.bridge.name.clone(),
            default_bridge: true,
            subnet: self.subnet(),
            gateway: self.gateway(),
            mtu: self.config.mtu,
            icc: self.config.icc,
            ip_masquerade: self.config.iptables,
            host_binding_ipv4: self.config.ip,
            endpoints: self.lock().bridge.endpoints.values().cloned().collect(),
        }
    }

    /// Every endpoint on every network, including those restored at start-up whose containers
    /// may be gone (the daemon detaches those).
    pub fn endpoints(&self) -> Vec<Endpoint> {
        self.lock()
            .segments()
            .flat_map(|s| s.endpoints.values().cloned())
            .collect()
    }

    /// The endpoint of `container_id` on the default bridge, if it has one.
    pub fn endpoint(&self, container_id: &str) -> Option<Endpoint> {
        self.lock().bridge.endpoints.get(container_id).cloned()
    }

    /// The endpoint of `container_id` on `network` (empty: the default bridge), if any.
    pub fn endpoint_on(&self, network: &str, container_id: &str) -> Option<Endpoint> {
        let mut inner = self.lock();
        let seg = inner.segment(network).ok()?;
        seg.endpoints.get(container_id).cloned()
    }

    /// Every endpoint of `container_id`, on any network, by interface name.
    pub fn container_endpoints(&self, container_id: &str) -> Vec<Endpoint> {
        let mut eps: Vec<Endpoint> = self
            .lock()
            .segments()
            .filter_map(|s| s.endpoints.get(container_id).cloned())
            .collect();
        eps.sort_by_key(|e| ifname_order(&e.ifname));
        eps
    }

    /// Published ports, of one container or of all.
    pub fn ports(&self, container_id: Option<&str>) -> Vec<PortBinding> {
        self.lock()
            .ports
            .bindings()
            .filter(|b| container_id.is_none_or(|c| b.container_id == c))
            .cloned()
            .collect()
    }

    /// Connects the network namespace `netns` (such as `/proc/PID/ns/net` or `/run/netns/x`)
    /// to the default bridge: allocates an address (`requested_ip` or the next free one),
    /// creates a veth pair, and configures `eth0`, `lo` and the default route inside.
    pub async fn attach(
        &self,
        container_id: &str,
        netns: &Path,
        requested_ip: Option<Ipv4Addr>,
    ) -> Result<Endpoint> {
        let opts = AttachOptions {
            ip: requested_ip,
            default_route: true,
            ..AttachOptions::default()
        };
        self.attach_to("", container_id, netns, &opts).await
    }

    /// Connects the network namespace `netns` to `network` (a user network's ID; empty: the
    /// default bridge) as `opts` says: an address, a veth pair whose inside end is
    /// `opts.ifname`, and the default route through the network's gateway if asked (never for
    /// an internal network, which has no way out).
    pub async fn attach_to(
        &self,
        network: &str,
        container_id: &str,
        netns: &Path,
        opts: &AttachOptions,
    ) -> Result<Endpoint> {
        let ns = File::open(netns).map_err(|e| match e.kind() {
            std::io::ErrorKind::NotFound => {
                Error::NotFound(format!("network namespace {} not found", netns.display()))
            }
            _ => Error::system(format!("opening network namespace {}", netns.display()), e),
        })?;
        let (ep, bridge_index) = self.reserve_endpoint(network, container_id, netns, opts)?;
        // A link with this name is left from a crash: no live endpoint owns it.
        self.net.delete_link(&ep.host_veth).await?;
        if let Err(e) = endpoint::plumb(&*self.net, bridge_index, &ep, ns).await {
            let mut inner = self.lock();
            if let Ok(seg) = inner.segment(network) {
                seg.endpoints.remove(container_id);
                seg.ipam.release(ep.ip);
            }
            if let Err(save) = self.save(&inner, network) {
                tracing::warn!(error = %save, "cannot record a failed attach");
            }
            return Err(e);
        }
        Ok(ep)
    }

    /// Points the default route of the endpoint's namespace at its network's gateway (when the
    /// network that gives the container its way out changes).
    pub async fn set_default_route(&self, ep: &Endpoint) -> Result<()> {
        let ns = File::open(&ep.netns).map_err(|e| {
            Error::system(
                format!("opening network namespace {}", ep.netns.display()),
                e,
            )
        })?;
        self.net.set_default_route(ns, ep).await
    }

    /// Allocates the address and records the endpoint before any link exists, so a crash
    /// half-way never lets the address be handed out twice. Returns the bridge's index too.
    fn reserve_endpoint(
        &self,
        network: &str,
        container_id: &str,
        netns: &Path,
        opts: &AttachOptions,
    ) -> Result<(Endpoint, u32)> {
        let mut guard = self.lock();
        let inner = &mut *guard;
        let (bridge_index, mtu, internal, name) = if network.is_empty() {
            (
                self.bridge.index,
                self.config.mtu,
                false,
                "bridge".to_string(),
            )
        } else {
            let u = inner
                .users
                .get(network)
                .ok_or_else(|| Error::NotFound(format!("network {network} not found")))?;
            (
                u.index,
                u.config.mtu,
                u.config.internal,
                u.config.name.clone(),
            )
        };
        let taken: Vec<String> = inner
            .segments()
            .flat_map(|s| s.endpoints.values().chain(s.retiring.values()))
            .map(|e| e.host_veth.clone())
            .collect();
        let seg = inner.segment(network)?;
        if seg.endpoints.contains_key(container_id) {
            return Err(Error::Conflict(format!(
                "endpoint with name {container_id} already exists in network {name}"
            )));
        }
        let id = state::random_id()?;
        let ip = seg.ipam.allocate(opts.ip)?;
        // The default bridge's names are those of earlier versions: the container's ID alone.
        let key = format!("{network}{container_id}");
        let host_veth = (0u32..)
            .map(|salt| endpoint::host_veth_name(&key, salt))
            .find(|n| !taken.contains(n))
            .expect("an unbounded range always finds an unused name");
        let ep = Endpoint {
            id,
            network: network.to_string(),
            ifname: if opts.ifname.is_empty() {
                endpoint::CONTAINER_IFNAME.to_string()
            } else {
                opts.ifname.clone()
            },
            default_route: opts.default_route && !internal,
            container_id: container_id.to_string(),
            ip,
            prefix_len: seg.ipam.subnet().prefix_len(),
            gateway: seg.ipam.gateway(),
            mac: opts.mac.unwrap_or_else(|| MacAddr::from_ipv4(ip)),
            host_veth,
            mtu,
            netns: netns.to_path_buf(),
        };
        seg.endpoints.insert(container_id.to_string(), ep.clone());
        if let Err(e) = inner.save(&self.state_dir, network) {
            if let Ok(seg) = inner.segment(network) {
                seg.endpoints.remove(container_id);
                seg.ipam.release(ip);
            }
            return Err(e);
        }
        Ok((ep, bridge_index))
    }

    /// Removes the endpoint's veth pair (if its namespace still holds it), releases its address
    /// and its published ports. Detaching an endpoint that is already gone succeeds.
    pub async fn detach(&self, endpoint: &Endpoint) -> Result<()> {
        let network = endpoint.network.as_str();
        let (known, owned) = {
            let mut inner = self.lock();
            // A stale copy must not delete a veth that a newer endpoint now uses.
            let used_by_other = inner
                .segments()
                .flat_map(|s| s.endpoints.values())
                .any(|e| e.host_veth == endpoint.host_veth && e.id != endpoint.id);
            let known = inner.segment(network).is_ok_and(|s| {
                s.endpoints
                    .get(&endpoint.container_id)
                    .is_some_and(|e| e.id == endpoint.id)
            });
            (known, !used_by_other)
        };
        if !known {
            if owned {
                self.net.delete_link(&endpoint.host_veth).await?;
            }
            return Ok(());
        }
        let had_ports = {
            let mut inner = self.lock();
            let seg = inner.segment(network)?;
            let Some(ep) = seg.endpoints.remove(&endpoint.container_id) else {
                // A concurrent detach of the same endpoint got here first.
                return Ok(());
            };
            seg.retiring.insert(ep.id.clone(), ep);
            // Published ports go with the endpoint whose address they forward to.
            let gone = inner.ports.remove_matching(|b| {
                b.container_id == endpoint.container_id && b.container_ip == endpoint.ip
            });
            self.save(&inner, network)?;
            if !gone.is_empty() && !network.is_empty() {
                inner.save_bridge(&self.state_dir)?;
            }
            !gone.is_empty()
        };
        if had_ports {
            self.apply_firewall().await?;
        }
        self.retire(endpoint.clone());
        Ok(())
    }

    /// Deletes a detached endpoint's veth in the background: the kernel takes 15–25 ms to
    /// unregister a device (an RCU grace period), which detach need not wait for. The address
    /// stays reserved, and the endpoint recorded as retiring, until the veth is gone, so it is
    /// never handed out while in use; a crash in between is finished at the next start.
    fn retire(&self, ep: Endpoint) {
        let net = Arc::clone(&self.net);
        let inner = Arc::clone(&self.inner);
        let state_dir = self.state_dir.clone();
        let task = async move {
            if let Err(e) = net.delete_link(&ep.host_veth).await {
                tracing::warn!(veth = %ep.host_veth, error = %e, "cannot delete a detached veth");
                return;
            }
            let mut inner = lock(&inner);
            if let Ok(seg) = inner.segment(&ep.network) {
                seg.retiring.remove(&ep.id);
                seg.ipam.release(ep.ip);
            }
            if let Err(e) = inner.save(&state_dir, &ep.network) {
                tracing::warn!(error = %e, "cannot record a retired endpoint");
            }
        };
        self.retiring
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .spawn(task);
    }
}

fn lock(inner: &Mutex<Allocations>) -> MutexGuard<'_, Allocations> {
    // A panic while holding the lock leaves plain data behind; keep using it.
    inner.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Sorts `eth2` before `eth10`.
fn ifname_order(name: &str) -> (usize, String) {
    let digits = name.trim_start_matches(|c: char| !c.is_ascii_digit());
    (digits.parse().unwrap_or(usize::MAX), name.to_string())
}
