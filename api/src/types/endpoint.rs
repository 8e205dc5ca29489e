//! A container's attachment to networks: `NetworkingConfig` on create, `NetworkSettings` on
//! inspect, and the `EndpointSettings` both use.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::PortMap;

/// `NetworkingConfig`: the endpoints to create, by network name.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(test, derive(schemars::JsonSchema))]
#[serde(default)]
pub struct NetworkingConfig {
    /// Network name → endpoint settings.
    #[serde(rename = "EndpointsConfig")]
    pub endpoints_config: Option<BTreeMap<String, EndpointSettings>>,
}

/// `EndpointSettings`: one network attachment.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(test, derive(schemars::JsonSchema))]
#[serde(default)]
pub struct EndpointSettings {
    /// Requested static addresses.
    #[serde(rename = "IPAMConfig")]
    pub ipam_config: Option<EndpointIpamConfig>,
    /// Legacy links.
    #[serde(rename = "Links")]
    pub links: Option<Vec<String>>,
    /// The endpoint's MAC address.
    #[serde(rename = "MacAddress")]
    pub mac_address: String,
    /// DNS aliases on this network.
    #[serde(rename = "Aliases")]
    pub aliases: Option<Vec<String>>,
    /// Driver options.
    #[serde(rename = "DriverOpts")]
    pub driver_opts: Option<BTreeMap<String, String>>,
    /// The network's ID.
    #[serde(rename = "NetworkID")]
    pub network_id: String,
    /// The endpoint's ID.
    #[serde(rename = "EndpointID")]
    pub endpoint_id: String,
    /// The IPv4 gateway.
    #[serde(rename = "Gateway")]
    pub gateway: String,
    /// The IPv4 address.
    #[serde(rename = "IPAddress")]
    pub ip_address: String,
    /// The IPv4 prefix length.
    #[serde(rename = "IPPrefixLen")]
    pub ip_prefix_len: i64,
    /// The IPv6 gateway.
    #[serde(rename = "IPv6Gateway")]
    pub ipv6_gateway: String,
    /// The global IPv6 address.
    #[serde(rename = "GlobalIPv6Address")]
    pub global_ipv6_address: String,
    /// The global IPv6 prefix length.
    #[serde(rename = "GlobalIPv6PrefixLen")]
    pub global_ipv6_prefix_len: i64,
    /// Names the container resolves as on this network.
    #[serde(rename = "DNSNames")]
    pub dns_names: Option<Vec<String>>,
}

/// `EndpointIPAMConfig`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(test, derive(schemars::JsonSchema))]
#[serde(default)]
pub struct EndpointIpamConfig {
    /// A static IPv4 address.
    #[serde(rename = "IPv4Address", skip_serializing_if = "String::is_empty")]
    pub ipv4_address: String,
    /// A static IPv6 address.
    #[serde(rename = "IPv6Address", skip_serializing_if = "String::is_empty")]
    pub ipv6_address: String,
    /// Link-local addresses.
    #[serde(rename = "LinkLocalIPs", skip_serializing_if = "Option::is_none")]
    pub link_local_ips: Option<Vec<String>>,
}

/// `NetworkSettings`, as inspect shows it. The top-level address fields repeat the `bridge`
/// endpoint's, as Docker still fills them for the default network.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(test, derive(schemars::JsonSchema))]
#[serde(default)]
pub struct NetworkSettings {
    /// The bridge's name (empty).
    #[serde(rename = "Bridge")]
    pub bridge: String,
    /// The network sandbox's ID.
    #[serde(rename = "SandboxID")]
    pub sandbox_id: String,
    /// Deprecated, always false.
    #[serde(rename = "HairpinMode")]
    pub hairpin_mode: bool,
    /// Deprecated, empty.
    #[serde(rename = "LinkLocalIPv6Address")]
    pub link_local_ipv6_address: String,
    /// Deprecated, 0.
    #[serde(rename = "LinkLocalIPv6PrefixLen")]
    pub link_local_ipv6_prefix_len: i64,
    /// Exposed and published ports.
    #[serde(rename = "Ports")]
    pub ports: PortMap,
    /// The network namespace's path.
    #[serde(rename = "SandboxKey")]
    pub sandbox_key: String,
    /// Deprecated, null.
    #[serde(rename = "SecondaryIPAddresses")]
    pub secondary_ip_addresses: Option<Vec<Address>>,
    /// Deprecated, null.
    #[serde(rename = "SecondaryIPv6Addresses")]
    pub secondary_ipv6_addresses: Option<Vec<Address>>,
    /// The default network's endpoint ID.
    #[serde(rename = "EndpointID")]
    pub endpoint_id: String,
    /// The default network's gateway.
    #[serde(rename = "Gateway")]
    pub gateway: String,
    /// The default network's global IPv6 address.
    #[serde(rename = "GlobalIPv6Address")]
    pub global_ipv6_address: String,
    /// Its prefix length.
    #[serde(rename = "GlobalIPv6PrefixLen")]
    pub global_ipv6_prefix_len: i64,
    /// The default network's IPv4 address.
    #[serde(rename = "IPAddress")]
    pub ip_address: String,
    /// Its prefix length.
    #[serde(rename = "IPPrefixLen")]
    pub ip_prefix_len: i64,
    /// The default network's IPv6 gateway.
    #[serde(rename = "IPv6Gateway")]
    pub ipv6_gateway: String,
    /// The default network's MAC address.
    #[serde(rename = "MacAddress")]
    pub mac_address: String,
    /// Every attachment, by network name (`bridge`).
    #[serde(rename = "Networks")]
    pub networks: BTreeMap<String, EndpointSettings>,
}

/// `Address`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(test, derive(schemars::JsonSchema))]
#[serde(default)]
pub struct Address {
    /// The address.
    #[serde(rename = "Addr")]
    pub addr: String,
    /// Its prefix length.
    #[serde(rename = "PrefixLen")]
    pub prefix_len: i64,
}
