//! The networks a container is attached to: its `NetworkMode`'s network and those `network
//! connect` added, each with the endpoint settings the client gave (`NetworkingConfig`), in
//! the order dockerd gives them interfaces (the `NetworkMode`'s first, `eth0`), and the one
//! that gives the container its default route (libnetwork's `Endpoint.Less`: not internal,
//! then the smallest name).

use std::collections::BTreeMap;

use api::types::{EndpointSettings, HostConfig};
use netdriver::{MacAddr, NetworkConfig};

use super::Net;
use super::plumbing::Mode;
use crate::error::Error;

/// A network as a container sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct NetRef {
    /// Its name (`bridge` for the default bridge).
    pub(crate) name: String,
    /// The driver's key: empty for the default bridge, else the user network's ID.
    pub(crate) driver_key: String,
    /// The API's `NetworkID`.
    pub(crate) id: String,
    /// `--internal`.
    pub(crate) internal: bool,
    /// A user-defined network (aliases, static addresses, the embedded DNS).
    pub(crate) user: bool,
    /// The subnet was given at create (a static address may be asked for).
    pub(crate) subnet_given: bool,
}

impl NetRef {
    fn user(cfg: &NetworkConfig) -> NetRef {
        NetRef {
            name: cfg.name.clone(),
            driver_key: cfg.id.clone(),
            id: cfg.id.clone(),
            internal: cfg.internal,
            user: true,
            subnet_given: cfg.subnet_given,
        }
    }
}

impl Net {
    /// The bridge network (default or user-defined) `term` names: a name, a full ID or a
    /// unique ID prefix. `host` and `none` are not bridge networks: `None`.
    pub(crate) fn lookup(&self, term: &str) -> Option<NetRef> {
        let driver = self.driver.as_ref()?;
        let bridge = &self.builtin.bridge.id;
        if term == "bridge" || term == bridge {
            return Some(NetRef {
                name: "bridge".into(),
                driver_key: String::new(),
                id: bridge.clone(),
                internal: false,
                user: false,
                subnet_given: false,
            });
        }
        let users: Vec<NetworkConfig> = driver.user_networks().into_iter().map(|n| n.0).collect();
        if let Some(n) = users.iter().find(|n| n.name == term || n.id == term) {
            return Some(NetRef::user(n));
        }
        let mut prefixed = users
            .iter()
            .filter(|n| !term.is_empty() && n.id.starts_with(term));
        match (prefixed.next(), prefixed.next()) {
            (Some(n), None) => Some(NetRef::user(n)),
            _ => None,
        }
    }
}

/// The name of the network `NetworkMode` puts the container on (`bridge` for `default`).
pub(crate) fn primary_name(hc: &HostConfig) -> &str {
    match hc.network_mode.as_str() {
        "" | "default" => "bridge",
        m => m,
    }
}

/// One network of a container, with the settings the client gave for it.
#[derive(Debug, Clone)]
pub(crate) struct Attachment {
    /// The name it is recorded under.
    pub(crate) name: String,
    /// The network, if it exists.
    pub(crate) net: Option<NetRef>,
    /// The client's settings (aliases, static address, links, MAC).
    pub(crate) settings: EndpointSettings,
}

/// The container's networks as recorded (a record from before `networks` existed: its
/// `NetworkMode`'s network alone), its `NetworkMode`'s first, then by name. Networks that
/// are gone have no `net`. Host and none containers have none.
pub(crate) fn of(
    hc: &HostConfig,
    networks: Option<&BTreeMap<String, EndpointSettings>>,
    net: &Net,
) -> Vec<Attachment> {
    if !matches!(Mode::of(hc, net), Ok(Mode::Bridge | Mode::User)) {
        return Vec::new();
    }
    let primary = primary_name(hc);
    let legacy;
    let map = match networks {
        Some(m) => m,
        None => {
            legacy = BTreeMap::from([(primary.to_owned(), EndpointSettings::default())]);
            &legacy
        }
    };
    let mut out: Vec<Attachment> = map
        .iter()
        .map(|(name, settings)| Attachment {
            name: name.clone(),
            net: net.lookup(name),
            settings: settings.clone(),
        })
        .collect();
    // Stable: the primary first, the rest keep the map's (name) order.
    out.sort_by_key(|a| a.name != primary);
    out
}

/// Which of `atts` gives the default route: the first not internal by name, as libnetwork
/// orders a sandbox's endpoints.
pub(crate) fn gateway(atts: &[Attachment]) -> Option<usize> {
    atts.iter()
        .enumerate()
        .filter(|(_, a)| a.net.as_ref().is_some_and(|n| !n.internal))
        .min_by(|(_, a), (_, b)| a.name.cmp(&b.name))
        .map(|(i, _)| i)
}

/// Refuses what an endpoint on `net` cannot have, with dockerd's words where it has them and
/// naming the field otherwise: nothing a client asks for is dropped silently.
pub(crate) fn check(settings: &EndpointSettings, net: Option<&NetRef>) -> Result<(), Error> {
    let not_supported = |field: &str| {
        Err(Error::Invalid(format!(
            "NetworkingConfig.EndpointsConfig {field} is not supported by wharf"
        )))
    };
    let ipam = settings.ipam_config.clone().unwrap_or_default();
    if !ipam.ipv6_address.is_empty() {
        return not_supported("IPAMConfig.IPv6Address");
    }
    if ipam.link_local_ips.as_ref().is_some_and(|l| !l.is_empty()) {
        return not_supported("IPAMConfig.LinkLocalIPs");
    }
    if settings.driver_opts.as_ref().is_some_and(|o| !o.is_empty()) {
        return not_supported("DriverOpts");
    }
    if !settings.mac_address.is_empty() && settings.mac_address.parse::<MacAddr>().is_err() {
        return Err(Error::Invalid(format!(
            "invalid MAC address: {}",
            settings.mac_address
        )));
    }
    let Some(net) = net else { return Ok(()) };
    let has_ip = !ipam.ipv4_address.is_empty();
    if !net.user {
        if has_ip {
            return Err(Error::Invalid(
                "user specified IP address is supported on user defined networks only".into(),
            ));
        }
        if settings.aliases.as_ref().is_some_and(|a| !a.is_empty()) {
            return Err(Error::Invalid(
                "network-scoped alias is supported only for containers in user defined networks"
                    .into(),
            ));
        }
        if settings.links.as_ref().is_some_and(|l| !l.is_empty()) {
            return not_supported("Links on the default bridge network");
        }
    } else if has_ip && !net.subnet_given {
        return Err(Error::Invalid(
            "user specified IP address is supported only when connecting to networks with user \
             configured subnets"
                .into(),
        ));
    }
    Ok(())
}

/// Drops what a client sends back of an earlier inspect (the live endpoint's fields): it is
/// not a request, and the record keeps only what was asked for.
pub(crate) fn clear_live(settings: &mut EndpointSettings) {
    settings.network_id.clear();
    settings.endpoint_id.clear();
    settings.gateway.clear();
    settings.ip_address.clear();
    settings.ip_prefix_len = 0;
    settings.dns_names = None;
}

/// The address asked for in `settings`, if any.
pub(crate) fn requested_ip(
    settings: &EndpointSettings,
) -> Result<Option<std::net::Ipv4Addr>, Error> {
    let ip = settings
        .ipam_config
        .as_ref()
        .map(|i| i.ipv4_address.as_str())
        .unwrap_or_default();
    if ip.is_empty() {
        return Ok(None);
    }
    match ip.parse::<std::net::IpAddr>() {
        Ok(std::net::IpAddr::V4(v4)) => Ok(Some(v4)),
        Ok(std::net::IpAddr::V6(v6)) => v6
            .to_ipv4_mapped()
            .map(Some)
            .ok_or_else(|| Error::Invalid(format!("invalid IPv4 address: {ip}"))),
        Err(_) => Err(Error::Invalid(format!("invalid IPv4 address: {ip}"))),
    }
}

/// The MAC asked for in `settings`, if any.
pub(crate) fn requested_mac(settings: &EndpointSettings) -> Option<MacAddr> {
    settings.mac_address.parse().ok()
}

/// The names the container answers to on a user network (`DNSNames`): its name, its
/// aliases, its short ID, and its host name when it is not the short ID.
pub(crate) fn dns_names(
    name: &str,
    short_id: &str,
    hostname: &str,
    settings: &EndpointSettings,
) -> Vec<String> {
    let mut names = vec![name.trim_start_matches('/').to_owned()];
    for a in settings.aliases.iter().flatten() {
        if !names.contains(a) {
            names.push(a.clone());
        }
    }
    for extra in [short_id, hostname] {
        if !extra.is_empty() && !names.iter().any(|n| n == extra) {
            names.push(extra.to_owned());
        }
    }
    names
}

#[cfg(test)]
mod tests {
    use super::*;

    fn att(name: &str, internal: bool) -> Attachment {
        Attachment {
            name: name.into(),
            net: Some(NetRef {
                name: name.into(),
                driver_key: name.into(),
                id: name.into(),
                internal,
                user: true,
                subnet_given: false,
            }),
            settings: EndpointSettings::default(),
        }
    }

    #[test]
    fn the_gateway_is_the_first_non_internal_network_by_name() {
        let atts = vec![att("zeta", false), att("alpha", true), att("beta", false)];
        assert_eq!(gateway(&atts), Some(2));
        assert_eq!(gateway(&[att("only", true)]), None);
    }

    #[test]
    fn what_cannot_be_applied_is_refused() {
        let bridge = NetRef {
            user: false,
            ..att("bridge", false).net.expect("net")
        };
        let mut s = EndpointSettings {
            aliases: Some(vec!["a".into()]),
            ..EndpointSettings::default()
        };
        assert!(check(&s, Some(&bridge)).is_err());
        assert!(check(&s, att("u", false).net.as_ref()).is_ok());
        s.driver_opts = Some([("k".to_owned(), "v".to_owned())].into());
        let e = check(&s, None).expect_err("driver opts");
        assert_eq!(
            e.to_string(),
            "NetworkingConfig.EndpointsConfig DriverOpts is not supported by wharf"
        );
        let ip = EndpointSettings {
            ipam_config: Some(api::types::EndpointIpamConfig {
                ipv4_address: "10.1.0.5".into(),
                ..Default::default()
            }),
            ..EndpointSettings::default()
        };
        assert!(check(&ip, Some(&bridge)).is_err());
        assert!(
            check(&ip, att("u", false).net.as_ref()).is_err(),
            "no --subnet"
        );
        assert_eq!(requested_ip(&ip).expect("ip"), Some([10, 1, 0, 5].into()));
    }

    #[test]
    fn dns_names_as_dockerd_lists_them() {
        let s = EndpointSettings {
            aliases: Some(vec!["db".into(), "web".into()]),
            ..EndpointSettings::default()
        };
        assert_eq!(
            dns_names("/web", "0123456789ab", "0123456789ab", &s),
            ["web", "db", "0123456789ab"]
        );
    }
}
