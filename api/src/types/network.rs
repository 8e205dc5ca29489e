//! `GET /networks` and `GET /networks/{id}`.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// `Network`.
#[derive(Debug, Clone, Default, Serialize)]
#[cfg_attr(test, derive(schemars::JsonSchema))]
pub struct Network {
    /// The network's name (`bridge`, `host`, `none`).
    #[serde(rename = "Name")]
    pub name: String,
    /// Its 64-hex-digit ID.
    #[serde(rename = "Id")]
    pub id: String,
    /// When it was created (RFC 3339 with nanoseconds).
    #[serde(rename = "Created")]
    pub created: String,
    /// `local`.
    #[serde(rename = "Scope")]
    pub scope: String,
    /// `bridge`, `host` or `null`.
    #[serde(rename = "Driver")]
    pub driver: String,
    /// IPv6 is enabled.
    #[serde(rename = "EnableIPv6")]
    pub enable_ipv6: bool,
    /// Address management.
    #[serde(rename = "IPAM")]
    pub ipam: Ipam,
    /// No route to the outside.
    #[serde(rename = "Internal")]
    pub internal: bool,
    /// Containers may attach manually.
    #[serde(rename = "Attachable")]
    pub attachable: bool,
    /// A swarm routing-mesh network.
    #[serde(rename = "Ingress")]
    pub ingress: bool,
    /// Where its configuration comes from.
    #[serde(rename = "ConfigFrom")]
    pub config_from: ConfigReference,
    /// A configuration-only network.
    #[serde(rename = "ConfigOnly")]
    pub config_only: bool,
    /// Attached containers by container ID.
    #[serde(rename = "Containers")]
    pub containers: BTreeMap<String, NetworkContainer>,
    /// Driver options.
    #[serde(rename = "Options")]
    pub options: BTreeMap<String, String>,
    /// User labels.
    #[serde(rename = "Labels")]
    pub labels: BTreeMap<String, String>,
}

/// `IPAM`.
#[derive(Debug, Clone, Default, Serialize)]
#[cfg_attr(test, derive(schemars::JsonSchema))]
pub struct Ipam {
    /// `default`.
    #[serde(rename = "Driver")]
    pub driver: String,
    /// Driver options (null).
    #[serde(rename = "Options")]
    pub options: Option<BTreeMap<String, String>>,
    /// Subnets.
    #[serde(rename = "Config")]
    pub config: Vec<IpamConfig>,
}

/// `IPAMConfig`: what a network shows, and what a create asks for (only what is given).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(test, derive(schemars::JsonSchema))]
#[serde(default)]
pub struct IpamConfig {
    /// The subnet in CIDR form.
    #[serde(
        rename = "Subnet",
        skip_serializing_if = "String::is_empty",
        deserialize_with = "super::container::null_as_default"
    )]
    pub subnet: String,
    /// The range addresses are handed out from.
    #[serde(
        rename = "IPRange",
        skip_serializing_if = "String::is_empty",
        deserialize_with = "super::container::null_as_default"
    )]
    pub ip_range: String,
    /// The gateway address.
    #[serde(
        rename = "Gateway",
        skip_serializing_if = "String::is_empty",
        deserialize_with = "super::container::null_as_default"
    )]
    pub gateway: String,
    /// Addresses the allocator must not hand out, by name.
    #[serde(rename = "AuxiliaryAddresses", skip_serializing_if = "Option::is_none")]
    pub aux_addresses: Option<BTreeMap<String, String>>,
}

/// `ConfigReference`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(test, derive(schemars::JsonSchema))]
pub struct ConfigReference {
    /// The config-only network it takes its configuration from (empty).
    #[serde(rename = "Network", default)]
    pub network: String,
}

/// `NetworkContainer`: one attached container.
#[derive(Debug, Clone, Default, Serialize)]
#[cfg_attr(test, derive(schemars::JsonSchema))]
pub struct NetworkContainer {
    /// The container's name.
    #[serde(rename = "Name")]
    pub name: String,
    /// The endpoint's ID.
    #[serde(rename = "EndpointID")]
    pub endpoint_id: String,
    /// The endpoint's MAC address.
    #[serde(rename = "MacAddress")]
    pub mac_address: String,
    /// The IPv4 address in CIDR form.
    #[serde(rename = "IPv4Address")]
    pub ipv4_address: String,
    /// The IPv6 address in CIDR form (empty).
    #[serde(rename = "IPv6Address")]
    pub ipv6_address: String,
}
