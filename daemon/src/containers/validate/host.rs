//! moby's `validateHostConfig` (auto-removal, `Mounts`, extra hosts, port bindings, the restart
//! policy, capabilities) and `verifyNetworkingConfig`.

use std::net::IpAddr;

use crate::error::Error;
use api::types::{HostConfig, NetworkingConfig};

use super::super::mounts;
use super::{HostFacts, quote, refuse, upper};

/// `--add-host`'s special address: the host's gateway, resolved at start.
const HOST_GATEWAY: &str = "host-gateway";

/// The checks, in moby's order.
pub(super) fn check(hc: &HostConfig, facts: &HostFacts) -> Result<(), Error> {
    let policy = &hc.restart_policy;
    if hc.auto_remove && !matches!(policy.name.as_str(), "" | "no") {
        return refuse("can't create 'AutoRemove' container with restart policy");
    }
    for m in hc.mounts.iter().flatten() {
        mounts::check(m)?;
    }
    for extra in hc.extra_hosts.iter().flatten() {
        extra_host(extra)?;
    }
    for (port, bindings) in hc.port_bindings.iter().flatten() {
        let (_, number) = split_proto_port(port);
        if !number.is_empty() && parse_u16(number).is_none() {
            return refuse(format!("invalid port specification: {}", quote(number)));
        }
        for b in bindings.iter().flatten() {
            if !host_port_ok(split_proto_port(&b.host_port).1) {
                return refuse(format!(
                    "invalid port specification: {}",
                    quote(&b.host_port)
                ));
            }
        }
    }
    match (policy.name.as_str(), policy.maximum_retry_count) {
        ("always" | "unless-stopped" | "no", n) if n != 0 => {
            return refuse(format!(
                "maximum retry count cannot be used with restart policy '{}'",
                policy.name
            ));
        }
        ("on-failure", n) if n < 0 => return refuse("maximum retry count cannot be negative"),
        ("always" | "unless-stopped" | "no" | "on-failure" | "", _) => {}
        (other, _) => return refuse(format!("invalid restart policy '{other}'")),
    }
    capabilities("CapAdd", &hc.cap_add, facts.cap_last_cap)?;
    capabilities("CapDrop", &hc.cap_drop, facts.cap_last_cap)
}

/// `opts.ValidateExtraHost`: `name:address`, the address an IP (spaces around it allowed) or
/// `host-gateway`.
fn extra_host(raw: &str) -> Result<(), Error> {
    match raw.split_once(':') {
        None | Some(("", _)) => refuse(format!("bad format for add-host: {}", quote(raw))),
        Some((_, HOST_GATEWAY)) => Ok(()),
        Some((_, ip)) if ip.trim().parse::<IpAddr>().is_ok() => Ok(()),
        Some((_, ip)) => refuse(format!("invalid IP address in add-host: {}", quote(ip))),
    }
}

/// go-connections' `nat.SplitProtoPort`: `80/udp` is (`udp`, `80`), `80` is (`tcp`, `80`).
fn split_proto_port(raw: &str) -> (&str, &str) {
    let mut parts = raw.split('/');
    let port = parts.next().unwrap_or_default();
    if port.is_empty() {
        return ("", "");
    }
    match parts.next() {
        None | Some("") => ("tcp", port),
        Some(proto) => (proto, port),
    }
}

/// Go's `strconv.ParseUint(s, 10, 16)`: decimal digits only, no sign.
fn parse_u16(s: &str) -> Option<u16> {
    let digits = !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    digits.then(|| s.parse().ok()).flatten()
}

/// A host port as `nat.NewPort` takes it: empty, a port, or a range `low-high`.
fn host_port_ok(port: &str) -> bool {
    if port.is_empty() {
        return true;
    }
    let mut parts = port.split('-');
    let start = parts.next().and_then(parse_u16);
    match (start, parts.next()) {
        (Some(_), None) => true,
        (Some(start), Some(end)) => parse_u16(end).is_some_and(|end| end >= start),
        (None, _) => false,
    }
}

/// `caps.NormalizeLegacyCapabilities`: each name, upper-cased and with `CAP_` added, must be
/// one the kernel (and dockerd 20.10) knows; `ALL` stands for all of them.
fn capabilities(field: &str, list: &Option<Vec<String>>, last: Option<u32>) -> Result<(), Error> {
    // 63 is what kernels without `cap_last_cap` seem to say (moby's RHEL 6 case).
    let last = match last {
        Some(63) => 36,
        Some(n) => n.min(37),
        None => 37,
    };
    for raw in list.iter().flatten() {
        let upper = upper(raw);
        if upper == "ALL" {
            continue;
        }
        let name = upper.strip_prefix("CAP_").unwrap_or(&upper);
        let known = execdriver::CAPABILITY_NAMES
            .iter()
            .position(|c| *c == name)
            .is_some_and(|n| n as u32 <= last);
        if !known {
            return refuse(format!(
                "invalid {field}: unknown capability: {}",
                quote(&format!("CAP_{name}"))
            ));
        }
    }
    Ok(())
}

/// `verifyNetworkingConfig`: one network at most, and its static addresses well formed.
pub(super) fn check_networking(net: &NetworkingConfig) -> Result<(), Error> {
    let Some(endpoints) = net.endpoints_config.as_ref() else {
        return Ok(());
    };
    if endpoints.len() > 1 {
        let names: Vec<&str> = endpoints.keys().map(String::as_str).collect();
        return refuse(format!(
            "Container cannot be connected to network endpoints: {}",
            names.join(", ")
        ));
    }
    for ipam in endpoints.values().filter_map(|e| e.ipam_config.as_ref()) {
        let v4 = &ipam.ipv4_address;
        let is_v4 = |ip: &IpAddr| match ip {
            IpAddr::V4(_) => true,
            IpAddr::V6(v6) => v6.to_ipv4_mapped().is_some(),
        };
        if !v4.is_empty() && !v4.parse::<IpAddr>().is_ok_and(|ip| is_v4(&ip)) {
            return refuse(format!("invalid IPv4 address: {v4}"));
        }
        let v6 = &ipam.ipv6_address;
        if !v6.is_empty() && !v6.parse::<IpAddr>().is_ok_and(|ip| !is_v4(&ip)) {
            return refuse(format!("invalid IPv6 address: {v6}"));
        }
    }
    Ok(())
}
