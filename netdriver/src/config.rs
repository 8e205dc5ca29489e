//! What the daemon passes in from its flags.

use std::net::{IpAddr, Ipv4Addr};
use std::path::PathBuf;

use ipnet::Ipv4Net;

/// The bridge that container endpoints are attached to (`-b` / `--bridge`).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum Bridge {
    /// `docker0`: used if it exists, created otherwise.
    #[default]
    Default,
    /// A bridge the administrator created; it must exist.
    Named(String),
    /// `--bridge=none`: no container networking at all.
    None,
}

impl Bridge {
    /// Reads the flag's value as dockerd does: `none` disables networking, an empty value means
    /// the default bridge, anything else names an existing bridge.
    pub fn from_flag(value: &str) -> Self {
        match value {
            "" | DEFAULT_BRIDGE => Bridge::Default,
            "none" => Bridge::None,
            name => Bridge::Named(name.to_string()),
        }
    }
}

/// The name of the bridge wharf creates when none is named.
pub const DEFAULT_BRIDGE: &str = "docker0";

/// The driver's configuration, filled by the daemon from its flags and `daemon.json`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Config {
    /// `-b` / `--bridge`.
    pub bridge: Bridge,
    /// `--bip`: the bridge's own address with the subnet's prefix, such as `172.30.0.1/16`.
    pub bip: Option<Ipv4Net>,
    /// `--mtu`: for a bridge wharf creates and for every endpoint.
    pub mtu: u32,
    /// `--iptables`: whether wharf programs its nftables table (NAT, filtering, published ports).
    pub iptables: bool,
    /// `--icc`: whether containers on the bridge may talk to each other.
    pub icc: bool,
    /// `--ip-forward`: whether to enable IPv4 forwarding at start-up.
    pub ip_forward: bool,
    /// `--ip`: the default host address for published ports.
    pub ip: IpAddr,
    /// `--dns`: nameservers for containers, overriding the host's.
    pub dns: Vec<IpAddr>,
    /// The host resolver configuration to read nameservers, search domains and options from.
    pub resolv_conf: PathBuf,
    /// Where the driver keeps its state (address allocations, published ports, network IDs).
    pub state_dir: PathBuf,
    /// `--default-address-pool`: where `docker0` (without `--bip`) and networks without a
    /// `--subnet` get theirs; Docker's default pools when empty.
    pub address_pools: Vec<crate::subnet::AddressPool>,
}

impl Config {
    /// dockerd's defaults, with state kept under `state_dir`.
    pub fn new(state_dir: impl Into<PathBuf>) -> Self {
        Config {
            bridge: Bridge::Default,
            bip: None,
            mtu: 1500,
            iptables: true,
            icc: true,
            ip_forward: true,
            ip: IpAddr::V4(Ipv4Addr::UNSPECIFIED),
            dns: Vec::new(),
            resolv_conf: PathBuf::from("/etc/resolv.conf"),
            state_dir: state_dir.into(),
            address_pools: Vec::new(),
        }
    }

    /// The bridge's interface name, or `None` for `--bridge=none`.
    pub fn bridge_name(&self) -> Option<&str> {
        match &self.bridge {
            Bridge::Default => Some(DEFAULT_BRIDGE),
            Bridge::Named(n) => Some(n),
            Bridge::None => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bridge_flag_values() {
        assert_eq!(Bridge::from_flag(""), Bridge::Default);
        assert_eq!(Bridge::from_flag("docker0"), Bridge::Default);
        assert_eq!(Bridge::from_flag("none"), Bridge::None);
        assert_eq!(Bridge::from_flag("br0"), Bridge::Named("br0".into()));
    }

    #[test]
    fn defaults_match_dockerd() {
        let c = Config::new("/x");
        assert_eq!(c.bridge_name(), Some("docker0"));
        assert_eq!(c.mtu, 1500);
        assert!(c.iptables && c.icc && c.ip_forward);
        assert_eq!(c.ip, IpAddr::V4(Ipv4Addr::UNSPECIFIED));
    }
}
