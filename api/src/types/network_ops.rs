//! The bodies of `POST /networks/create`, `/networks/{id}/connect` and `/disconnect`.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::{ConfigReference, EndpointSettings, IpamConfig};

/// `NetworkCreateRequest`. Unknown fields are ignored (`CheckDuplicate` among them: a duplicate
/// name is always refused, as since API 1.44); `null` sections are empty.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[cfg_attr(test, derive(schemars::JsonSchema))]
#[serde(default)]
pub struct NetworkCreateRequest {
    /// The network's name.
    #[serde(
        rename = "Name",
        deserialize_with = "super::container::null_as_default"
    )]
    pub name: String,
    /// The driver (`bridge` when empty).
    #[serde(
        rename = "Driver",
        deserialize_with = "super::container::null_as_default"
    )]
    pub driver: String,
    /// `local` or `swarm` (empty: the driver's).
    #[serde(
        rename = "Scope",
        deserialize_with = "super::container::null_as_default"
    )]
    pub scope: String,
    /// No route out of the network.
    #[serde(
        rename = "Internal",
        deserialize_with = "super::container::null_as_default"
    )]
    pub internal: bool,
    /// Containers may attach manually.
    #[serde(
        rename = "Attachable",
        deserialize_with = "super::container::null_as_default"
    )]
    pub attachable: bool,
    /// A swarm routing-mesh network.
    #[serde(
        rename = "Ingress",
        deserialize_with = "super::container::null_as_default"
    )]
    pub ingress: bool,
    /// A configuration-only network.
    #[serde(
        rename = "ConfigOnly",
        deserialize_with = "super::container::null_as_default"
    )]
    pub config_only: bool,
    /// The config-only network to take the configuration from.
    #[serde(rename = "ConfigFrom")]
    pub config_from: Option<ConfigReference>,
    /// Address management.
    #[serde(rename = "IPAM")]
    pub ipam: Option<IpamRequest>,
    /// IPv6 on the network.
    #[serde(rename = "EnableIPv6")]
    pub enable_ipv6: Option<bool>,
    /// IPv4 on the network (API 1.47: may only be true).
    #[serde(rename = "EnableIPv4")]
    pub enable_ipv4: Option<bool>,
    /// Driver options.
    #[serde(rename = "Options")]
    pub options: Option<BTreeMap<String, String>>,
    /// User labels.
    #[serde(rename = "Labels")]
    pub labels: Option<BTreeMap<String, String>>,
}

/// `IPAM` as a create request brings it.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[cfg_attr(test, derive(schemars::JsonSchema))]
#[serde(default)]
pub struct IpamRequest {
    /// The IPAM driver (`default` when empty).
    #[serde(
        rename = "Driver",
        deserialize_with = "super::container::null_as_default"
    )]
    pub driver: String,
    /// The subnets.
    #[serde(rename = "Config")]
    pub config: Option<Vec<IpamConfig>>,
    /// IPAM driver options.
    #[serde(rename = "Options")]
    pub options: Option<BTreeMap<String, String>>,
}

/// `NetworkCreateResponse`.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[cfg_attr(test, derive(schemars::JsonSchema))]
pub struct NetworkCreateResponse {
    /// The new network's ID.
    #[serde(rename = "Id")]
    pub id: String,
    /// Warnings (empty).
    #[serde(rename = "Warning")]
    pub warning: String,
}

/// `NetworkConnectRequest`.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[cfg_attr(test, derive(schemars::JsonSchema))]
#[serde(default)]
pub struct NetworkConnectRequest {
    /// The container's ID or name.
    #[serde(
        rename = "Container",
        deserialize_with = "super::container::null_as_default"
    )]
    pub container: String,
    /// The endpoint to make.
    #[serde(rename = "EndpointConfig")]
    pub endpoint_config: Option<EndpointSettings>,
}

/// `NetworkDisconnectRequest`.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[cfg_attr(test, derive(schemars::JsonSchema))]
#[serde(default)]
pub struct NetworkDisconnectRequest {
    /// The container's ID or name.
    #[serde(
        rename = "Container",
        deserialize_with = "super::container::null_as_default"
    )]
    pub container: String,
    /// Disconnect even if the network or endpoint is gone.
    #[serde(
        rename = "Force",
        deserialize_with = "super::container::null_as_default"
    )]
    pub force: bool,
}
