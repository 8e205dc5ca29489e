//! The rest of moby's `verifyPlatformContainerSettings` (after the resources) and the defaults
//! `adaptContainerSettings` records.

use crate::error::Error;
use api::types::HostConfig;

use super::{HostFacts, refuse};

/// `/dev/shm` size, OOM score, runtime, tmpfs destinations and cgroup namespace mode, in
/// moby's order, with its warnings about forwarding, cgroup namespaces and published ports;
/// and what needs a plugin or storage quota wharf does not have (device requests, storage
/// options, volume drivers), refused instead of dropped.
pub(super) fn check(
    hc: &HostConfig,
    facts: &HostFacts,
    runtime_known: &dyn Fn(&str) -> bool,
    warnings: &mut Vec<String>,
) -> Result<(), Error> {
    if hc.shm_size < 0 {
        return refuse("SHM size can not be less than 0");
    }
    if !(-1000..=1000).contains(&hc.oom_score_adj) {
        return refuse(format!(
            "Invalid value {}, range for oom score adj is [-1000, 1000]",
            hc.oom_score_adj
        ));
    }
    if !facts.ipv4_forwarding && gets_endpoint(hc, facts) {
        warnings.push("IPv4 forwarding is disabled. Networking will not work.".into());
    }
    // No device plugin (GPU) drivers: dockerd fails the start in these words; wharf at create.
    if let Some(req) = hc.device_requests.iter().flatten().next() {
        let caps = req["Capabilities"]
            .as_array()
            .map(|sets| {
                let sets: Vec<String> = sets
                    .iter()
                    .map(|set| {
                        let words: Vec<&str> = set
                            .as_array()
                            .map(|w| w.iter().filter_map(|c| c.as_str()).collect())
                            .unwrap_or_default();
                        format!("[{}]", words.join(" "))
                    })
                    .collect();
                format!("[{}]", sets.join(" "))
            })
            .unwrap_or_else(|| "[]".into());
        return refuse(format!(
            "could not select device driver {:?} with capabilities: {caps}",
            req["Driver"].as_str().unwrap_or_default()
        ));
    }
    if hc.storage_opt.as_ref().is_some_and(|o| !o.is_empty()) {
        return refuse(
            "--storage-opt is supported only for overlay over xfs with 'pquota' mount option",
        );
    }
    if !matches!(hc.volume_driver.as_str(), "" | "local") {
        let d = &hc.volume_driver;
        return refuse(format!(
            "error looking up volume plugin {d}: plugin {d:?} not found"
        ));
    }
    if !runtime_known(&hc.runtime) {
        return refuse(format!("Unknown runtime specified {}", hc.runtime));
    }
    for dest in hc.tmpfs.iter().flat_map(|t| t.keys()) {
        let dest = dest.replace('\\', "/");
        if mobyport::path::clean(&dest) == "/" {
            return refuse("invalid specification: destination can't be '/'");
        }
        if !dest.starts_with('/') {
            return refuse(format!(
                "invalid mount path: '{dest}' mount path must be absolute"
            ));
        }
    }
    match hc.cgroupns_mode.as_str() {
        "" | "host" => {}
        "private" if !facts.limits.cgroup_namespaces => warnings.push(
            "Your kernel does not support cgroup namespaces.  Cgroup namespace setting discarded."
                .into(),
        ),
        "private" => {}
        other => return refuse(format!("invalid cgroup namespace mode: {other}")),
    }
    if hc.network_mode == "host" && hc.port_bindings.as_ref().is_some_and(|p| !p.is_empty()) {
        warnings.push("Published ports are discarded when using host network mode".into());
    }
    Ok(())
}

/// Whether the container's network needs forwarding: moby warns for every mode but `host` and
/// `none`; here `default` is `none` when there is no bridge.
fn gets_endpoint(hc: &HostConfig, facts: &HostFacts) -> bool {
    match hc.network_mode.as_str() {
        "host" | "none" => false,
        "" | "default" => facts.default_is_bridge,
        _ => true,
    }
}

/// `adaptContainerSettings`' recorded defaults: swap twice the memory limit, the OOM killer
/// enabled.
pub(super) fn adapt(hc: &mut HostConfig) {
    if hc.memory > 0 && hc.memory_swap == 0 {
        hc.memory_swap = hc.memory.wrapping_mul(2);
    }
    if hc.oom_kill_disable.is_none() {
        hc.oom_kill_disable = Some(false);
    }
}
