//! The checks dockerd's router makes while it decodes a create body (moby's `runconfig`
//! `validateNetMode`, `validateIsolation`, `validateQoS`, `validateResources`), before the
//! daemon sees the request.

use crate::error::Error;
use api::types::{ContainerConfig, HostConfig};

use super::{quote, refuse};

/// Network mode conflicts, isolation, IO QoS and real-time CPU, in runconfig's order.
pub(super) fn check(
    c: &ContainerConfig,
    hc: &HostConfig,
    limits: &hostcheck::Limits,
) -> Result<(), Error> {
    net_mode(c, hc)?;
    let isolation = hc.isolation.as_str();
    if !isolation.is_empty() && !isolation.eq_ignore_ascii_case("default") {
        return refuse(format!(
            "Invalid isolation: {} - linux only supports 'default'",
            quote(isolation)
        ));
    }
    if hc.io_maximum_bandwidth != 0 {
        return refuse(
            "Invalid QoS settings: linux does not support configuration of maximum bandwidth",
        );
    }
    if hc.io_maximum_iops != 0 {
        return refuse(
            "Invalid QoS settings: linux does not support configuration of maximum IOPs",
        );
    }
    let (period, runtime) = (hc.cpu_realtime_period, hc.cpu_realtime_runtime);
    if (period != 0 || runtime != 0) && !limits.cpu_realtime {
        return refuse("Your kernel does not support CPU real-time scheduler");
    }
    if period != 0 && runtime != 0 && runtime > period {
        return refuse("cpu real-time runtime cannot be higher than cpu real-time period");
    }
    Ok(())
}

/// `validateNetMode`: what cannot go with sharing another container's network (or the host's
/// network or UTS namespace).
fn net_mode(c: &ContainerConfig, hc: &HostConfig) -> Result<(), Error> {
    let mode = hc.network_mode.as_str();
    let mut parts = mode.split(':');
    if parts.next() == Some("container") && parts.next().is_none_or(str::is_empty) {
        return refuse("Invalid network mode: invalid container format container:<name|id>");
    }
    let container = mode.split_once(':').is_some_and(|(k, _)| k == "container");
    let host = mode == "host";
    let some = |list: &Option<Vec<String>>| list.as_ref().is_some_and(|l| !l.is_empty());
    let conflict = |what: &str| refuse(format!("conflicting options: {what}"));
    if container && !c.hostname.is_empty() {
        return conflict("hostname and the network mode");
    }
    if container && some(&hc.links) {
        return conflict(
            "container type network can't be used with links. This would result in undefined \
             behavior",
        );
    }
    if container && some(&hc.dns) {
        return conflict("dns and the network mode");
    }
    if container && some(&hc.extra_hosts) {
        return conflict("custom host-to-IP mapping and the network mode");
    }
    if (container || host) && c.mac_address.as_ref().is_some_and(|m| !m.is_empty()) {
        return conflict("mac-address and the network mode");
    }
    let publishes = hc.port_bindings.as_ref().is_some_and(|p| !p.is_empty());
    if container && (publishes || hc.publish_all_ports) {
        return conflict("port publishing and the container type network mode");
    }
    if container && c.exposed_ports.as_ref().is_some_and(|p| !p.is_empty()) {
        return conflict("port exposing and the container type network mode");
    }
    if hc.uts_mode == "host" && !c.hostname.is_empty() {
        return conflict("hostname and the UTS mode");
    }
    if host && some(&hc.links) {
        return conflict(
            "host type networking can't be used with links. This would result in undefined \
             behavior",
        );
    }
    Ok(())
}
