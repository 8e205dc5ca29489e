//! User-defined networks as the API shows them, and `POST /networks/create` read into the
//! driver's request with dockerd's refusals.

use std::collections::BTreeMap;

use api::types::{Ipam, IpamConfig, Network as ApiNetwork, NetworkContainer, NetworkCreateRequest};
use netdriver::{Endpoint, IpamRequest, NetworkConfig, NetworkIdentity, NetworkSpec};

use crate::error::Error;

/// A user network as `GET /networks/{id}` shows it: `IPAM.Config` and `Options` as they
/// were asked for (a chosen pool shows its subnet and gateway).
pub(super) fn show(cfg: &NetworkConfig, endpoints: &[Endpoint]) -> ApiNetwork {
    let identity = NetworkIdentity {
        id: cfg.id.clone(),
        created: cfg.created,
    };
    let mut n = super::plain(&cfg.name, "bridge", &identity);
    n.ipam = Ipam {
        driver: "default".into(),
        options: Some(BTreeMap::new()),
        config: vec![IpamConfig {
            subnet: cfg.subnet.to_string(),
            ip_range: cfg.ip_range.map(|r| r.to_string()).unwrap_or_default(),
            gateway: cfg.gateway.to_string(),
            aux_addresses: (!cfg.aux_addresses.is_empty()).then(|| {
                cfg.aux_addresses
                    .iter()
                    .map(|(k, v)| (k.clone(), v.to_string()))
                    .collect()
            }),
        }],
    };
    n.internal = cfg.internal;
    n.attachable = cfg.attachable;
    n.labels = cfg.labels.clone();
    n.options = cfg.options.clone();
    n.containers = endpoints
        .iter()
        .map(|e| (e.container_id.clone(), container(e)))
        .collect();
    n
}

/// One endpoint in a network's `Containers` (the name is filled in by the caller).
pub(super) fn container(e: &Endpoint) -> NetworkContainer {
    NetworkContainer {
        name: String::new(),
        endpoint_id: e.id.clone(),
        mac_address: e.mac.to_string(),
        ipv4_address: e.ip_net().to_string(),
        ipv6_address: String::new(),
    }
}

/// The predefined networks, which cannot be created or removed.
pub(super) const PREDEFINED: [&str; 3] = ["bridge", "host", "none"];

/// Reads a create request into the bridge driver's, refusing what wharf cannot make with
/// dockerd's words where it has them.
pub(super) fn spec(req: NetworkCreateRequest) -> Result<NetworkSpec, Error> {
    let name = req.name;
    if name.is_empty() {
        return Err(Error::Invalid("network name must not be empty".into()));
    }
    if PREDEFINED.contains(&name.as_str()) {
        return Err(forbidden(format!(
            "{name} is a pre-defined network and cannot be created"
        )));
    }
    match req.driver.as_str() {
        "" | "bridge" => {}
        d @ ("host" | "null") => {
            return Err(forbidden(format!(
                "only one instance of \"{d}\" network is allowed"
            )));
        }
        d => return Err(Error::NotFound(format!("plugin \"{d}\" not found"))),
    }
    let refuse = |what: &str| Err(Error::Invalid(format!("{what} is not supported by wharf")));
    if req.ingress {
        return refuse("an ingress network (Ingress)");
    }
    if req.config_only || req.config_from.is_some_and(|c| !c.network.is_empty()) {
        return refuse("a config-only network (ConfigOnly, ConfigFrom)");
    }
    if !matches!(req.scope.as_str(), "" | "local") {
        return refuse(&format!("scope {}", req.scope));
    }
    if req.enable_ipv6 == Some(true) {
        return refuse("IPv6 (EnableIPv6)");
    }
    if req.enable_ipv4 == Some(false) {
        return refuse("a network without IPv4 (EnableIPv4=false)");
    }
    let ipam = req.ipam.unwrap_or_default();
    if !matches!(ipam.driver.as_str(), "" | "default") {
        return Err(Error::NotFound(format!(
            "plugin \"{}\" not found",
            ipam.driver
        )));
    }
    if ipam.options.as_ref().is_some_and(|o| !o.is_empty()) {
        return refuse("IPAM.Options");
    }
    let ipam = ipam
        .config
        .unwrap_or_default()
        .into_iter()
        .map(|c| IpamRequest {
            subnet: c.subnet,
            ip_range: c.ip_range,
            gateway: c.gateway,
            aux_addresses: c.aux_addresses.unwrap_or_default(),
        })
        .collect();
    Ok(NetworkSpec {
        name,
        ipam,
        internal: req.internal,
        attachable: req.attachable,
        labels: req.labels.unwrap_or_default(),
        options: req.options.unwrap_or_default(),
    })
}

/// A refusal the API answers with 403 (dockerd's `errdefs.Forbidden`).
pub(crate) fn forbidden(message: String) -> Error {
    Error::Network(netdriver::Error::Forbidden(message))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_clis_create_body_is_read_whole() {
        let body = r#"{"Driver":"bridge","Scope":"","IPAM":{"Driver":"default","Options":{},"Config":[{"Subnet":"10.50.0.0/24","IPRange":"10.50.0.128/25","Gateway":"10.50.0.254","AuxiliaryAddresses":{"a":"10.50.0.5"}}]},"Internal":true,"Attachable":true,"Ingress":false,"ConfigOnly":false,"ConfigFrom":null,"Options":{"com.docker.network.bridge.enable_icc":"false"},"Labels":{"x":"y"},"Name":"optnet","CheckDuplicate":true}"#;
        let s = spec(serde_json::from_str(body).expect("body")).expect("spec");
        assert_eq!(s.ipam[0].aux_addresses["a"], "10.50.0.5");
        assert_eq!(s.ipam[0].ip_range, "10.50.0.128/25");
        assert!(s.internal && s.attachable);
        let host = r#"{"Driver":"host","Name":"h"}"#;
        let e = spec(serde_json::from_str(host).expect("body")).expect_err("host");
        assert_eq!(
            e.to_string(),
            "only one instance of \"host\" network is allowed"
        );
    }
}
