//! User-defined bridge networks (`docker network create`): the request, its checks with
//! dockerd's messages, what is recorded about each network, and its file.

use std::collections::BTreeMap;
use std::net::{IpAddr, Ipv4Addr};
use std::path::Path;

use ipnet::Ipv4Net;
use jiff::Timestamp;
use serde::{Deserialize, Serialize};

use crate::allocations::Segment;
use crate::endpoint::Endpoint;
use crate::error::{Error, Result};
use crate::ipam::Ipam;
use crate::state;

/// `com.docker.network.bridge.name`: the bridge's interface name.
pub const OPT_BRIDGE_NAME: &str = "com.docker.network.bridge.name";
/// `com.docker.network.bridge.enable_icc`.
pub const OPT_ICC: &str = "com.docker.network.bridge.enable_icc";
/// `com.docker.network.bridge.enable_ip_masquerade`.
pub const OPT_MASQUERADE: &str = "com.docker.network.bridge.enable_ip_masquerade";
/// `com.docker.network.bridge.host_binding_ipv4`.
pub const OPT_HOST_BINDING: &str = "com.docker.network.bridge.host_binding_ipv4";
/// `com.docker.network.driver.mtu`.
pub const OPT_MTU: &str = "com.docker.network.driver.mtu";

/// One `IPAM.Config` entry as the client sent it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct IpamRequest {
    /// `Subnet` (CIDR), may be empty.
    pub subnet: String,
    /// `IPRange` (CIDR), may be empty.
    pub ip_range: String,
    /// `Gateway`, may be empty.
    pub gateway: String,
    /// `AuxiliaryAddresses`: names → addresses the allocator must not hand out.
    pub aux_addresses: BTreeMap<String, String>,
}

/// What `POST /networks/create` asks the bridge driver for.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct NetworkSpec {
    /// The network's name.
    pub name: String,
    /// `IPAM.Config`: at most one IPv4 entry.
    pub ipam: Vec<IpamRequest>,
    /// No route out of the network.
    pub internal: bool,
    /// Containers may attach manually (recorded and shown).
    pub attachable: bool,
    /// User labels.
    pub labels: BTreeMap<String, String>,
    /// Driver options (`-o`), kept as given.
    pub options: BTreeMap<String, String>,
}

/// A user-defined network as recorded and shown.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NetworkConfig {
    /// 64 hex characters.
    pub id: String,
    /// The network's name.
    pub name: String,
    /// When it was created.
    pub created: Timestamp,
    /// The bridge interface (`br-<12 hex>` or `com.docker.network.bridge.name`).
    pub bridge: String,
    /// Whether wharf created the bridge (and so deletes it with the network).
    pub created_bridge: bool,
    /// The subnet.
    pub subnet: Ipv4Net,
    /// The bridge's address, the containers' gateway.
    pub gateway: Ipv4Addr,
    /// `--ip-range`.
    pub ip_range: Option<Ipv4Net>,
    /// `--aux-address`es.
    pub aux_addresses: BTreeMap<String, Ipv4Addr>,
    /// Whether the subnet was given (`IPAM.Config` shows only what was asked for then).
    pub subnet_given: bool,
    /// `--internal`.
    pub internal: bool,
    /// `--attachable`.
    pub attachable: bool,
    /// `--label`s.
    pub labels: BTreeMap<String, String>,
    /// `-o` options, as given.
    pub options: BTreeMap<String, String>,
    /// `enable_icc`.
    pub icc: bool,
    /// `enable_ip_masquerade`.
    pub masquerade: bool,
    /// `host_binding_ipv4`: the default host address of published ports.
    pub host_binding_ipv4: IpAddr,
    /// The MTU of the bridge and its endpoints.
    pub mtu: u32,
}

/// A user network's file.
#[derive(Debug, Serialize, Deserialize)]
struct Persisted {
    config: NetworkConfig,
    endpoints: Vec<Endpoint>,
    #[serde(default)]
    retiring: Vec<Endpoint>,
}

/// A user network in the driver: its configuration, bridge and allocations.
#[derive(Debug)]
pub(crate) struct UserNet {
    pub(crate) config: NetworkConfig,
    /// The bridge's interface index.
    pub(crate) index: u32,
    pub(crate) seg: Segment,
}

impl UserNet {
    /// A network with no endpoints on bridge `index`.
    pub(crate) fn new(config: NetworkConfig, index: u32) -> UserNet {
        let ipam = Ipam::new(config.subnet, config.gateway).with_range(config.ip_range);
        let mut seg = Segment::new(ipam);
        for ip in config.aux_addresses.values() {
            // An aux address outside the subnet was refused at create; one that is the gateway
            // is reserved already.
            let _ = seg.ipam.restore(*ip);
        }
        UserNet { config, index, seg }
    }

    /// Writes the network's file (atomically).
    pub(crate) fn save(&self, path: &Path) -> Result<()> {
        let p = Persisted {
            config: self.config.clone(),
            endpoints: self.seg.endpoints.values().cloned().collect(),
            retiring: self.seg.retiring.values().cloned().collect(),
        };
        state::write_json(path, &p)
    }
}

/// A network's file as read: its configuration, endpoints and retiring endpoints.
pub(crate) type Saved = (NetworkConfig, Vec<Endpoint>, Vec<Endpoint>);

/// Reads a network's file.
pub(crate) fn read(path: &Path) -> Result<Option<Saved>> {
    let p: Option<Persisted> = state::read_json(path)?;
    Ok(p.map(|p| (p.config, p.endpoints, p.retiring)))
}

/// Go's `strconv.ParseBool`.
fn parse_bool(key: &str, v: &str) -> Result<bool> {
    match v {
        "1" | "t" | "T" | "TRUE" | "true" | "True" => Ok(true),
        "0" | "f" | "F" | "FALSE" | "false" | "False" => Ok(false),
        _ => Err(Error::InvalidParameter(format!(
            "failed to parse {key} value: strconv.ParseBool: parsing {v:?}: invalid syntax"
        ))),
    }
}

/// The bridge options of `-o`, read as dockerd's bridge driver reads them; `mtu` and
/// `host_ip` are the daemon's defaults.
pub(crate) struct BridgeOptions {
    pub(crate) bridge: Option<String>,
    pub(crate) icc: bool,
    pub(crate) masquerade: bool,
    pub(crate) host_binding_ipv4: IpAddr,
    pub(crate) mtu: u32,
}

impl BridgeOptions {
    /// Reads `options`.
    pub(crate) fn parse(
        options: &BTreeMap<String, String>,
        mtu: u32,
        host_ip: IpAddr,
    ) -> Result<BridgeOptions> {
        let mut o = BridgeOptions {
            bridge: None,
            icc: true,
            masquerade: true,
            host_binding_ipv4: host_ip,
            mtu,
        };
        for (k, v) in options {
            match k.as_str() {
                OPT_BRIDGE_NAME => {
                    if v.is_empty() || v.len() > 15 || v.contains(['/', ' ', ':']) {
                        return Err(Error::InvalidParameter(format!(
                            "invalid bridge name {v:?} in {OPT_BRIDGE_NAME}"
                        )));
                    }
                    o.bridge = Some(v.clone());
                }
                OPT_ICC => o.icc = parse_bool(k, v)?,
                OPT_MASQUERADE => o.masquerade = parse_bool(k, v)?,
                OPT_HOST_BINDING => {
                    o.host_binding_ipv4 = v.parse().map_err(|_| {
                        Error::InvalidParameter(format!("failed to parse {k} value: {v:?}"))
                    })?;
                }
                OPT_MTU => {
                    o.mtu = v
                        .parse()
                        .ok()
                        .filter(|m| (68..=65535).contains(m))
                        .ok_or_else(|| {
                            Error::InvalidParameter(format!("invalid MTU number: {v}"))
                        })?;
                }
                _ => {}
            }
        }
        Ok(o)
    }
}

/// The addresses `IPAM.Config` asks for, checked as dockerd's IPAM checks them.
#[derive(Debug, Default)]
pub(crate) struct IpamChoice {
    pub(crate) subnet: Option<Ipv4Net>,
    pub(crate) ip_range: Option<Ipv4Net>,
    pub(crate) gateway: Option<Ipv4Addr>,
    pub(crate) aux: BTreeMap<String, Ipv4Addr>,
}

fn cidr(what: &str, s: &str) -> Result<Ipv4Net> {
    match s.parse::<ipnet::IpNet>() {
        Ok(ipnet::IpNet::V4(n)) => Ok(n),
        Ok(ipnet::IpNet::V6(_)) => Err(Error::InvalidParameter(format!(
            "{what} {s}: IPv6 is not supported by wharf's bridge networks"
        ))),
        Err(_) => Err(Error::InvalidParameter(format!(
            "Invalid {} {s} : invalid CIDR address: {s}",
            what.to_lowercase()
        ))),
    }
}

impl IpamChoice {
    /// Reads `ipam` (at most one entry).
    pub(crate) fn parse(ipam: &[IpamRequest]) -> Result<IpamChoice> {
        let Some(req) = ipam.first() else {
            return Ok(IpamChoice::default());
        };
        if ipam.len() > 1 {
            return Err(Error::InvalidParameter(
                "wharf's bridge networks take one IPv4 subnet".into(),
            ));
        }
        let mut c = IpamChoice::default();
        if req.subnet.is_empty() {
            if !req.ip_range.is_empty() || !req.gateway.is_empty() || !req.aux_addresses.is_empty()
            {
                return Err(Error::InvalidParameter(
                    "ip-range, gateway and aux-address need a subnet".into(),
                ));
            }
            return Ok(c);
        }
        let subnet = cidr("Subnet", &req.subnet)?;
        if subnet != subnet.trunc() {
            // dockerd takes 10.1.2.3/24 as 10.1.2.0/24.
            tracing::debug!(%subnet, "subnet with host bits");
        }
        let subnet = subnet.trunc();
        if subnet.prefix_len() > 30 {
            return Err(Error::InvalidParameter(format!(
                "subnet {subnet} has no room for containers"
            )));
        }
        c.subnet = Some(subnet);
        if !req.ip_range.is_empty() {
            let r = cidr("IPRange", &req.ip_range)?.trunc();
            if !subnet.contains(&r) {
                return Err(Error::InvalidParameter(format!(
                    "Invalid range {r} : it is not a sub-range of subnet {subnet}"
                )));
            }
            c.ip_range = Some(r);
        }
        let inside = |what: &str, s: &str| -> Result<Ipv4Addr> {
            let ip: Ipv4Addr = s
                .parse()
                .map_err(|_| Error::InvalidParameter(format!("invalid {what} address {s}")))?;
            if !subnet.contains(&ip) || ip == subnet.network() || ip == subnet.broadcast() {
                return Err(Error::InvalidParameter(format!(
                    "no matching subnet for {what} {s}"
                )));
            }
            Ok(ip)
        };
        if !req.gateway.is_empty() {
            c.gateway = Some(inside("gateway", &req.gateway)?);
        }
        for (name, addr) in &req.aux_addresses {
            c.aux.insert(name.clone(), inside("aux-address", addr)?);
        }
        Ok(c)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn req(subnet: &str, range: &str, gw: &str) -> Vec<IpamRequest> {
        vec![IpamRequest {
            subnet: subnet.into(),
            ip_range: range.into(),
            gateway: gw.into(),
            aux_addresses: BTreeMap::from([("a".into(), "10.50.0.5".into())]),
        }]
    }

    #[test]
    fn ipam_requests_are_checked_as_dockerd() {
        let c = IpamChoice::parse(&req("10.50.0.0/24", "10.50.0.128/25", "10.50.0.254"))
            .expect("valid");
        assert_eq!(c.subnet, Some("10.50.0.0/24".parse().expect("literal")));
        assert_eq!(c.gateway, Some(Ipv4Addr::new(10, 50, 0, 254)));
        assert_eq!(c.aux["a"], Ipv4Addr::new(10, 50, 0, 5));
        let e = IpamChoice::parse(&req("10.1.2.3", "", "")).expect_err("no prefix");
        assert_eq!(
            e.to_string(),
            "Invalid subnet 10.1.2.3 : invalid CIDR address: 10.1.2.3"
        );
        let e = IpamChoice::parse(&req("10.50.0.0/24", "", "10.61.0.1")).expect_err("outside");
        assert_eq!(e.to_string(), "no matching subnet for gateway 10.61.0.1");
        let e = IpamChoice::parse(&req("10.50.0.0/24", "10.51.0.0/25", "")).expect_err("range");
        assert!(matches!(e, Error::InvalidParameter(_)), "{e}");
        assert!(IpamChoice::parse(&[]).expect("none").subnet.is_none());
    }

    #[test]
    fn bridge_options_are_read_as_dockerd() {
        let any = IpAddr::V4(Ipv4Addr::UNSPECIFIED);
        let opts = BTreeMap::from([
            (OPT_ICC.to_string(), "false".to_string()),
            (OPT_MTU.to_string(), "1400".to_string()),
            (OPT_BRIDGE_NAME.to_string(), "brx".to_string()),
            ("com.example.other".to_string(), "kept".to_string()),
        ]);
        let o = BridgeOptions::parse(&opts, 1500, any).expect("valid");
        assert!(!o.icc && o.masquerade);
        assert_eq!((o.mtu, o.bridge.as_deref()), (1400, Some("brx")));
        let bad = BTreeMap::from([(OPT_MASQUERADE.to_string(), "maybe".to_string())]);
        assert!(BridgeOptions::parse(&bad, 1500, any).is_err());
    }
}
