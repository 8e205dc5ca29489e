//! [`NetDriver`]: the bridge network's state and the operations the daemon calls (published
//! ports in `publish`).

mod publish;
#[cfg(test)]
mod tests;

use std::fs::File;
use std::net::{IpAddr, Ipv4Addr};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use ipnet::Ipv4Net;

use crate::allocations::{Allocations, BRIDGE_STATE_FILE};
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
    state_file: PathBuf,
    inner: Arc<Mutex<Allocations>>,
    /// Background deletions of detached veths (see [`NetDriver::detach`]).
    retiring: Mutex<tokio::task::JoinSet<()>>,
    /// Serialises rule generation and `nft` runs, so the last run always reflects the newest
    /// state.
    firewall: tokio::sync::Mutex<()>,
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
        let driver = NetDriver::start(config, net, bridge, resolv).await?;
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
        let state_file = config.state_dir.join(BRIDGE_STATE_FILE);
        let inner = Allocations::restore(&state_file, &bridge)?;
        let driver = NetDriver {
            config,
            bridge,
            resolv,
            dns,
            identity,
            net,
            state_file,
            inner: Arc::new(Mutex::new(inner)),
            retiring: Mutex::new(tokio::task::JoinSet::new()),
            firewall: tokio::sync::Mutex::new(()),
        };
        driver.finish_retired().await?;
        driver.save(&driver.lock())?;
        Ok(driver)
    }

    /// Ends the driver. The bridge, its address, the nftables table, the sysctls and the state
    /// files stay, as dockerd leaves `docker0` and its rules: the next start reuses them and
    /// replaces the table. Endpoints the container layer did not detach stay recorded; their
    /// ports' reserving sockets close with the driver.
    pub async fn shutdown(self) -> Result<()> {
        self.settle().await;
        let inner = self.lock();
        self.save(&inner)
    }

    fn lock(&self) -> MutexGuard<'_, Allocations> {
        lock(&self.inner)
    }

    fn save(&self, inner: &Allocations) -> Result<()> {
        inner.save(&self.state_file)
    }

    /// Deletes the veths that a crash left retiring, and frees their addresses.
    async fn finish_retired(&self) -> Result<()> {
        let left: Vec<Endpoint> = self.lock().retiring.values().cloned().collect();
        for ep in left {
            self.net.delete_link(&ep.host_veth).await?;
            let mut inner = self.lock();
            inner.retiring.remove(&ep.id);
            inner.ipam.release(ep.ip);
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
        let _serialised = self.firewall.lock().await;
        if !self.config.iptables {
            // Stale rules from an earlier `--iptables` run must go; without nft there are none.
            if let Err(e) = firewall::apply(&firewall::removal()).await {
                tracing::warn!(error = %e, "cannot remove table ip {}", firewall::TABLE);
            }
            return Ok(());
        }
        let spec = FirewallSpec {
            bridge: self.bridge.name.clone(),
            subnet: self.subnet(),
            icc: self.config.icc,
            ports: self.lock().ports.bindings().cloned().collect(),
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
            endpoints: self.endpoints(),
        }
    }

    /// Every endpoint, including those restored at start-up whose containers may be gone (the
    /// daemon detaches those).
    pub fn endpoints(&self) -> Vec<Endpoint> {
        self.lock().endpoints.values().cloned().collect()
    }

    /// The endpoint of `container_id`, if it has one.
    pub fn endpoint(&self, container_id: &str) -> Option<Endpoint> {
        self.lock().endpoints.get(container_id).cloned()
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
    /// to the bridge: allocates an address (`requested_ip` or the next free one), creates a
    /// veth pair, and configures `eth0`, `lo` and the default route inside.
    pub async fn attach(
        &self,
        container_id: &str,
        netns: &Path,
        requested_ip: Option<Ipv4Addr>,
    ) -> Result<Endpoint> {
        let ns = File::open(netns).map_err(|e| match e.kind() {
            std::io::ErrorKind::NotFound => {
                Error::NotFound(format!("network namespace {} not found", netns.display()))
            }
            _ => Error::system(format!("opening network namespace {}", netns.display()), e),
        })?;
        let ep = self.reserve_endpoint(container_id, netns, requested_ip)?;
        // A link with this name is left from a crash: no live endpoint owns it.
        self.net.delete_link(&ep.host_veth).await?;
        if let Err(e) = endpoint::plumb(&*self.net, self.bridge.index, &ep, ns).await {
            let mut inner = self.lock();
            inner.endpoints.remove(container_id);
            inner.ipam.release(ep.ip);
            if let Err(save) = self.save(&inner) {
                tracing::warn!(error = %save, "cannot record a failed attach");
            }
            return Err(e);
        }
        Ok(ep)
    }

    /// Allocates the address and records the endpoint before any link exists, so a crash
    /// half-way never lets the address be handed out twice.
    fn reserve_endpoint(
        &self,
        container_id: &str,
        netns: &Path,
        requested_ip: Option<Ipv4Addr>,
    ) -> Result<Endpoint> {
        let mut inner = self.lock();
        if inner.endpoints.contains_key(container_id) {
            return Err(Error::Conflict(format!(
                "container {container_id} is already attached to network bridge"
            )));
        }
        let id = state::random_id()?;
        let ip = inner.ipam.allocate(requested_ip)?;
        let host_veth = (0u32..)
            .map(|salt| endpoint::host_veth_name(container_id, salt))
            .find(|n| inner.endpoints.values().all(|e| &e.host_veth != n))
            .expect("an unbounded range always finds an unused name");
        let ep = Endpoint {
            id,
            container_id: container_id.to_string(),
            ip,
            prefix_len: self.bridge.address.prefix_len(),
            gateway: self.gateway(),
            mac: MacAddr::from_ipv4(ip),
            host_veth,
            mtu: self.config.mtu,
            netns: netns.to_path_buf(),
        };
        inner.endpoints.insert(container_id.to_string(), ep.clone());
        if let Err(e) = self.save(&inner) {
            inner.endpoints.remove(container_id);
            inner.ipam.release(ip);
            return Err(e);
        }
        Ok(ep)
    }

    /// Removes the endpoint's veth pair (if its namespace still holds it), releases its address
    /// and its published ports. Detaching an endpoint that is already gone succeeds.
    pub async fn detach(&self, endpoint: &Endpoint) -> Result<()> {
        let (known, owned) = {
            let inner = self.lock();
            let known = inner
                .endpoints
                .get(&endpoint.container_id)
                .is_some_and(|e| e.id == endpoint.id);
            // A stale copy must not delete a veth that a newer endpoint now uses.
            let used_by_other = inner
                .endpoints
                .values()
                .any(|e| e.host_veth == endpoint.host_veth && e.id != endpoint.id);
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
            let Some(ep) = inner.endpoints.remove(&endpoint.container_id) else {
                // A concurrent detach of the same endpoint got here first.
                return Ok(());
            };
            let gone = inner.ports.remove_container(&endpoint.container_id);
            inner.retiring.insert(ep.id.clone(), ep);
            self.save(&inner)?;
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
        let state_file = self.state_file.clone();
        let task = async move {
            if let Err(e) = net.delete_link(&ep.host_veth).await {
                tracing::warn!(veth = %ep.host_veth, error = %e, "cannot delete a detached veth");
                return;
            }
            let mut inner = lock(&inner);
            inner.retiring.remove(&ep.id);
            inner.ipam.release(ep.ip);
            if let Err(e) = inner.save(&state_file) {
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
