//! What `POST /containers/create` refuses before it looks at anything else, as dockerd does:
//! its router's decode checks (`runconfig`), `verifyContainerSettings` (`validateContainerConfig`,
//! `validateHostConfig`, `verifyPlatformContainerSettings` with its resources), then
//! `verifyNetworkingConfig` and the defaults of `adaptContainerSettings`, in dockerd 20.10's
//! order and words, so the first failing check is the one dockerd reports. Every refusal is a
//! 400 (dockerd 20.10 answers the decode checks with a 500; moby answers 400 since).
//!
//! A limit the host cannot apply is discarded with dockerd's create warning, and the request's
//! `HostConfig` is adjusted as dockerd records it. The checks are pure functions of the request
//! and [`HostFacts`] (read once at start-up), but for the `stat` of a `Mounts` bind source that
//! dockerd makes here too.

mod config;
mod cpuset;
mod host;
mod netmode;
mod platform;
mod resources;
#[cfg(test)]
mod tests;

use crate::error::Error;
use api::types::{ContainerConfig, HostConfig, NetworkingConfig};

/// What the checks need to know about the host, gathered at start-up.
#[derive(Debug, Clone)]
pub(crate) struct HostFacts {
    /// The limits the cgroups support, and the CPUs and memory nodes there are.
    pub(crate) limits: hostcheck::Limits,
    /// Online CPUs (the bound of `NanoCpus`).
    pub(crate) ncpu: usize,
    /// The highest capability the kernel knows.
    pub(crate) cap_last_cap: Option<u32>,
    /// The host has cgroup v2 (containers get a private cgroup namespace by default).
    pub(crate) cgroup_v2: bool,
    /// `/proc/sys/net/ipv4/ip_forward` once the network was set up.
    pub(crate) ipv4_forwarding: bool,
    /// `NetworkMode` `default` means the bridge (there is one).
    pub(crate) default_is_bridge: bool,
}

impl HostFacts {
    /// The facts of a host report's `facts`, with forwarding and the bridge as the network
    /// step left them.
    pub(crate) fn new(
        facts: &hostcheck::Facts,
        ipv4_forwarding: bool,
        default_is_bridge: bool,
    ) -> Self {
        HostFacts {
            limits: facts.limits.clone(),
            ncpu: facts.ncpu,
            cap_last_cap: facts.cap_last_cap,
            cgroup_v2: facts.cgroups.version == hostcheck::CgroupVersion::V2,
            ipv4_forwarding,
            default_is_bridge,
        }
    }
}

/// Checks a create request as dockerd does before anything else and adjusts `hc` as dockerd
/// records it (limits the host cannot apply discarded, `MemorySwap` and `OomKillDisable`
/// defaulted); the create warnings, or the first refusal. `runtime_known` says whether a
/// runtime name exists (`hc.runtime` is already the default one when the request named none).
pub(crate) fn verify(
    config: &ContainerConfig,
    hc: &mut HostConfig,
    net: &NetworkingConfig,
    facts: &HostFacts,
    runtime_known: &dyn Fn(&str) -> bool,
) -> Result<Vec<String>, Error> {
    netmode::check(config, hc, &facts.limits)?;
    config::check(config)?;
    host::check(hc, facts)?;
    let mut warnings = Vec::new();
    resources::check(hc, facts, &mut warnings)?;
    platform::check(hc, facts, runtime_known, &mut warnings)?;
    host::check_networking(net)?;
    platform::adapt(hc);
    unsupported_modes(hc)?;
    Ok(warnings)
}

/// The checks of `POST /containers/{id}/update` (dockerd's `verifyContainerSettings` with
/// `update`): the restart policy and the resource limits of `hc` (the update's, not the
/// container's), adjusted as for create; the warnings, or the first refusal.
pub(crate) fn verify_update(hc: &mut HostConfig, facts: &HostFacts) -> Result<Vec<String>, Error> {
    host::check(hc, facts)?;
    let mut warnings = Vec::new();
    // An update may change the swap limit alone: only create requires the memory limit with
    // it ("You should always set the Memory limit ..." is not checked when updating).
    let swap_alone = (hc.memory == 0 && hc.memory_swap > 0).then_some(hc.memory_swap);
    if swap_alone.is_some() {
        hc.memory_swap = 0;
    }
    resources::check(hc, facts, &mut warnings)?;
    if let Some(swap) = swap_alone {
        hc.memory_swap = swap;
    }
    Ok(warnings)
}

/// Namespace modes: moby's valid ones (`invalid IPC mode: x`); a `container:` mode must name
/// one (create then finds it).
fn unsupported_modes(hc: &HostConfig) -> Result<(), Error> {
    let joins = |mode: &str| {
        mode.strip_prefix("container:")
            .is_some_and(|c| !c.is_empty())
    };
    let ipc = hc.ipc_mode.as_str();
    if !matches!(ipc, "" | "private" | "shareable" | "host" | "none") && !joins(ipc) {
        return Err(Error::Invalid(format!("invalid IPC mode: {ipc}")));
    }
    let pid = hc.pid_mode.as_str();
    if !matches!(pid, "" | "host") && !joins(pid) {
        return Err(Error::Invalid(format!("invalid PID mode: {pid}")));
    }
    // Without `--userns-remap` (which wharf does not have) a container runs in the host's user
    // namespace: `host` says so; dockerd takes any other word without effect, wharf refuses it.
    let userns = hc.userns_mode.as_str();
    if !matches!(userns, "" | "host") {
        return Err(Error::Invalid(format!(
            "invalid user namespace mode: {userns} (only \"host\" is supported: the daemon has no --userns-remap)"
        )));
    }
    // dockerd 20.10 takes any other UTS mode for a private namespace, and so does wharf.
    Ok(())
}

/// A refusal in dockerd's words.
fn refuse<T>(message: impl Into<String>) -> Result<T, Error> {
    Err(Error::Invalid(message.into()))
}

/// Go's `%q` of a string as dockerd's messages print it: in double quotes, with `"`, `\` and
/// control characters escaped (other characters print as they are).
fn quote(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' | '\\' => {
                out.push('\\');
                out.push(c);
            }
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if c.is_ascii_control() => out.push_str(&format!("\\x{:02x}", u32::from(c))),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// Go's `strings.ToUpper`: rune by rune, so a character whose upper case is several
/// characters (`ß`) stays as it is.
fn upper(s: &str) -> String {
    s.chars()
        .map(|c| {
            let mut up = c.to_uppercase();
            match (up.next(), up.next()) {
                (Some(u), None) => u,
                _ => c,
            }
        })
        .collect()
}

/// Go's `strconv.Atoi`: an optional sign and decimal digits that fit 64 bits.
fn atoi(s: &str) -> Option<i64> {
    let digits = s.strip_prefix(['+', '-']).unwrap_or(s);
    let decimal = !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit());
    decimal.then(|| s.parse().ok()).flatten()
}
