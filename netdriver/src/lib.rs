//! The bridge network driver of wharf: `docker0` and user-defined bridge networks, address
//! allocation, veth endpoints, the nftables table and published ports. It knows nothing about HTTP or images; the daemon calls
//! [`NetDriver`] at start-up step "network" and for each container.
//!
//! # Design notes
//!
//! **Namespaces and threads.** [`NetDriver::init`] and every later call act on the network
//! namespace of the calling thread (the daemon's): its netlink socket is opened there (and driven
//! by a small thread of its own, so the driver works from any tokio runtime), and `nft`, the
//! sysctls and the port-reserving sockets run or open from the calling thread. Work inside a
//! container's namespace runs on a short-lived OS thread that `setns`es into it with its own
//! netlink socket and current-thread runtime; no tokio worker ever changes namespace. Calls need
//! a tokio runtime with I/O and process support (`nft` is a child process). Links, addresses and
//! routes are made through rtnetlink, behind the small `netlink::Netlink` trait (an in-memory
//! fake stands in for it in unit tests); the only external program is `nft` (Debian package
//! `nftables`), fed JSON on stdin.
//!
//! **Start-up.** `-b NAME` must exist and be a bridge. Otherwise `docker0` is used if present
//! (its address wins; a different `--bip` is an error) or created on `--bip` or on the first of
//! Docker's default pools (172.17–31.0.0/16, then 192.168.0–240.0/20) that overlaps no
//! main-table route and no nameserver of the host's `resolv.conf`. The bridge gets the subnet's
//! first address, `--mtu`, a MAC derived from its address (`02:42:…`, so it does not follow its
//! ports), and is set up. `--ip-forward` sets `net.ipv4.ip_forward=1` (a warning if it cannot).
//!
//! **Endpoints.** One netlink request creates the veth pair: the host side (`veth` + 7 hex
//! digits) up on the bridge with hairpin mode, the peer directly inside the container's namespace
//! as `eth0` with its MAC (`02:42:` + the IPv4 address) and MTU. Creating the peer there costs
//! about 1 ms; moving a device between namespaces costs 20–30 ms of kernel time. The namespace
//! thread then adds the address, sets `eth0` and `lo` up and adds the default route. Detach
//! releases the endpoint's published ports at once and deletes the host side (the kernel removes
//! the peer with it) in a background task: that takes 15–25 ms of kernel time (as `ip link del`:
//! unregistering a device waits for an RCU grace period), which the caller need not wait for.
//! Until the veth is gone the endpoint is recorded as retiring and its address stays reserved,
//! so it is never handed out while in use; a crash in between is finished at the next start.
//! [`NetDriver::settle`] waits for pending deletions (shutdown does).
//!
//! **Firewall.** One table, `ip wharf`, replaced as a whole in one `nft` transaction whenever
//! the state changes (see the `firewall` module for the rules). Restarting gives the same table;
//! no other table is ever touched. `--iptables=false` removes the table if an earlier run left
//! it. `--icc=false` relies on `br_netfilter` (`bridge-nf-call-iptables=1`), as dockerd does; a
//! warning is logged when it is off.
//!
//! **Published ports and loopback.** No userland proxy: DNAT in `prerouting` (other hosts and
//! namespaces) and in `output` (this namespace, `127.0.0.1` included). A connection to
//! `127.0.0.1:PORT` is DNATed to the container; `route_localnet=1` on the bridge lets the kernel
//! route a packet with a loopback source out of it, and a masquerade rule gives it the gateway's
//! address so the reply comes back. A container reaches its own published port through hairpin
//! mode and a per-binding masquerade. Each binding also holds a bound, non-listening socket on
//! its host port: a port some process uses is refused ("Bind for 0.0.0.0:8080 failed: port is
//! already allocated"), and no process can take it while published. With `--iptables=false`
//! publishing is refused.
//!
//! **What stays after [`NetDriver::shutdown`].** As with dockerd: the bridge and its address,
//! the `ip wharf` table, `ip_forward` and `route_localnet`, and the state files. The next start
//! reuses the bridge and replaces the table. The container layer detaches endpoints before
//! shutdown; any it did not stay recorded (with their published ports, whose reserving sockets
//! close with the driver and are re-bound at the next start) and their veths live on with their
//! namespaces.
//!
//! **User-defined networks.** [`NetDriver::create_network`] gives each its own bridge, subnet
//! (asked for, or the next free default pool), gateway, range and reserved addresses, and
//! options (icc, masquerade, host binding address, MTU); [`NetDriver::attach_to`] makes an
//! endpoint on any network, with the interface name and default route the caller decides. The
//! table isolates every bridge from every other, and closes internal networks.
//!
//! **Files in `state_dir`.** `networks.json`: the IDs and creation times of the `bridge`,
//! `host` and `none` networks (stable across restarts). `networks/<id>.json`: a user network's
//! configuration and endpoints. `bridge.json`: the subnet, every endpoint of the default bridge
//! (address, MAC, veth, namespace) and every published port, rewritten atomically (temp
//! file, fsync, rename, fsync of the directory) on each change, so a restart never hands out an
//! address or port still in use. Restored endpoints whose containers are gone are for the daemon
//! to detach ([`NetDriver::endpoints`]); entries that no longer fit the bridge's subnet are
//! dropped with a warning.
//!
//! **DNS.** [`NetDriver::dns`] is `--dns`, else the host's non-loopback nameservers, else
//! 8.8.8.8 and 8.8.4.4 (dockerd's `checkLocaldns`); [`NetDriver::dns_search`] and
//! [`NetDriver::dns_options`] carry the host's `search` and `options`. It is only configuration:
//! the driver never sends DNS traffic. User-defined networks have the embedded DNS server,
//! [`dns::Dns`], a separate object the daemon makes once (see the module).
//!
//! **Errors.** One [`Error`] enum: `NotFound`, `Conflict`, `InvalidParameter` and `Exhausted`
//! are for the API's 404, 409, 400 and 503; `System` is the host refusing (500).

mod allocations;
mod bridge;
mod config;
pub mod dns;
mod driver;
mod endpoint;
mod error;
mod firewall;
mod info;
mod ipam;
mod mac;
mod netlink;
mod nsexec;
mod ports;
mod resolv;
mod state;
mod subnet;
mod sysctl;
mod usernet;

pub use allocations::BRIDGE_STATE_FILE;
pub use config::{Bridge, Config, DEFAULT_BRIDGE};
pub use driver::{AttachOptions, NetDriver};
pub use endpoint::{CONTAINER_IFNAME, Endpoint};
pub use error::{Error, Result};
pub use firewall::TABLE as NFT_TABLE;
pub use info::{BuiltinNetworks, NETWORKS_FILE, NetworkIdentity, NetworkInfo, builtin_networks};
pub use mac::MacAddr;
pub use ports::{EPHEMERAL_PORTS, PortBinding, Protocol};
pub use resolv::{DEFAULT_DNS, ResolvConf, container_dns};
pub use subnet::{AddressPool, candidates as default_pools, default_address_pools};
pub use usernet::{
    IpamRequest, NetworkConfig, NetworkSpec, OPT_BRIDGE_NAME, OPT_HOST_BINDING, OPT_ICC,
    OPT_MASQUERADE, OPT_MTU,
};
