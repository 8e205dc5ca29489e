//! [`ContainerSpec`] → OCI runtime spec.

use std::collections::HashMap;
use std::path::Path;

use oci_spec::OciSpecError;
use oci_spec::runtime::{
    Capabilities, LinuxBlockIoBuilder, LinuxBuilder, LinuxCapabilitiesBuilder, LinuxCpuBuilder,
    LinuxMemoryBuilder, LinuxNamespace, LinuxNamespaceBuilder, LinuxNamespaceType,
    LinuxPidsBuilder, LinuxResourcesBuilder, Mount, MountBuilder, ProcessBuilder, RootBuilder,
    Spec, SpecBuilder, UserBuilder,
};

use super::defaults::{
    DEFAULT_CAPABILITIES, MASKED_PATHS, OCI_VERSION, READONLY_PATHS, device_rules, system_mounts,
};
use super::{BindMount, ContainerSpec, Network, Propagation, Resources};
use crate::error::{Context, Error, Result};

pub(super) fn oci(e: OciSpecError) -> Error {
    Error::Runtime(format!("building the OCI runtime spec: {e}"))
}

/// Builds the OCI runtime spec for `spec`, with Docker's defaults for everything it does not
/// say: capabilities, namespaces, system mounts, masked and read-only paths, device rules.
pub fn build_spec(spec: &ContainerSpec) -> Result<Spec> {
    spec.validate()?;
    let caps: Capabilities = DEFAULT_CAPABILITIES.into_iter().collect();
    // Like moby's `oci.SetCapabilities`: a non-root process gets the bounding set only, which is
    // what execve would leave it with anyway.
    let capabilities = if spec.user.uid == 0 {
        LinuxCapabilitiesBuilder::default()
            .bounding(caps.clone())
            .effective(caps.clone())
            .permitted(caps)
            .inheritable(Capabilities::new())
            .ambient(Capabilities::new())
    } else {
        LinuxCapabilitiesBuilder::default()
            .bounding(caps)
            .effective(Capabilities::new())
            .permitted(Capabilities::new())
            .inheritable(Capabilities::new())
            .ambient(Capabilities::new())
    }
    .build()
    .map_err(oci)?;

    let mut user = UserBuilder::default().uid(spec.user.uid).gid(spec.user.gid);
    if !spec.user.additional_gids.is_empty() {
        user = user.additional_gids(spec.user.additional_gids.clone());
    }
    let process = ProcessBuilder::default()
        .terminal(spec.tty)
        .user(user.build().map_err(oci)?)
        .args(spec.args.clone())
        .env(spec.env.clone())
        .cwd(&spec.cwd)
        .capabilities(capabilities)
        // Docker sets no rlimits by default: the process inherits the daemon's.
        .rlimits(Vec::new())
        .no_new_privileges(false)
        .build()
        .map_err(oci)?;

    // As moby's `setMounts`: a system mount the caller mounts over is left out.
    let mut mounts = system_mounts()?;
    mounts.retain(|sys| {
        !spec
            .mounts
            .iter()
            .any(|m| &m.destination == sys.destination())
    });
    for m in &spec.mounts {
        let mut options = vec!["rbind".to_owned(), m.propagation.as_str().to_owned()];
        if m.readonly {
            options.push("ro".to_owned());
        }
        mounts.push(mount(&m.destination, "bind", &m.source, &options)?);
    }

    let linux = LinuxBuilder::default()
        .namespaces(namespaces(&spec.network)?)
        .resources(resources(&spec.resources)?)
        .cgroups_path(spec.cgroups_path())
        .devices(Vec::new())
        .masked_paths(MASKED_PATHS.map(str::to_owned).to_vec())
        .readonly_paths(READONLY_PATHS.map(str::to_owned).to_vec())
        .sysctl(sysctls(&spec.network));
    let linux = match rootfs_propagation(&spec.mounts) {
        Some(p) => linux.rootfs_propagation(p),
        None => linux,
    };

    SpecBuilder::default()
        .version(OCI_VERSION)
        .root(
            RootBuilder::default()
                .path(&spec.rootfs)
                .readonly(spec.readonly_rootfs)
                .build()
                .map_err(oci)?,
        )
        .process(process)
        .hostname(&spec.hostname)
        .mounts(mounts)
        .annotations(HashMap::new())
        .linux(linux.build().map_err(oci)?)
        .build()
        .map_err(oci)
}

/// Writes `config.json` for `spec` into `bundle` (created if needed), atomically.
pub fn write_bundle(spec: &ContainerSpec, bundle: &Path) -> Result<()> {
    let oci_spec = build_spec(spec)?;
    std::fs::create_dir_all(bundle).on_path("creating", bundle)?;
    let json = serde_json::to_vec_pretty(&oci_spec)
        .map_err(|e| Error::Runtime(format!("serialising the OCI runtime spec: {e}")))?;
    crate::state::write_atomic(&bundle.join("config.json"), &json)
}

pub(super) fn mount(
    dest: impl AsRef<Path>,
    typ: &str,
    source: impl AsRef<Path>,
    options: &[String],
) -> Result<Mount> {
    MountBuilder::default()
        .destination(dest.as_ref())
        .typ(typ)
        .source(source.as_ref())
        .options(options.to_vec())
        .build()
        .map_err(oci)
}

/// moby's rule: a shared bind needs a shared root (`rshared`), a slave bind at least a slave
/// one (`rslave`); otherwise the runtime's default applies.
fn rootfs_propagation(mounts: &[BindMount]) -> Option<&'static str> {
    let any = |modes: &[Propagation]| mounts.iter().any(|m| modes.contains(&m.propagation));
    if any(&[Propagation::Shared, Propagation::RShared]) {
        Some("rshared")
    } else if any(&[Propagation::Slave, Propagation::RSlave]) {
        Some("rslave")
    } else {
        None
    }
}

fn namespaces(network: &Network) -> Result<Vec<LinuxNamespace>> {
    let ns = |typ: LinuxNamespaceType| LinuxNamespaceBuilder::default().typ(typ).build();
    let mut out = vec![
        ns(LinuxNamespaceType::Pid),
        ns(LinuxNamespaceType::Ipc),
        ns(LinuxNamespaceType::Uts),
        ns(LinuxNamespaceType::Mount),
    ];
    match network {
        Network::Join(path) => out.push(
            LinuxNamespaceBuilder::default()
                .typ(LinuxNamespaceType::Network)
                .path(path)
                .build(),
        ),
        Network::Isolated => out.push(ns(LinuxNamespaceType::Network)),
        Network::Host => {}
    }
    out.into_iter().collect::<Result<_, _>>().map_err(oci)
}

/// Docker's namespaced sysctls for containers with their own network namespace: unprivileged
/// processes may bind low ports and send pings.
fn sysctls(network: &Network) -> HashMap<String, String> {
    match network {
        Network::Host => HashMap::new(),
        Network::Join(_) | Network::Isolated => HashMap::from([
            (
                "net.ipv4.ip_unprivileged_port_start".to_owned(),
                "0".to_owned(),
            ),
            (
                "net.ipv4.ping_group_range".to_owned(),
                "0 2147483647".to_owned(),
            ),
        ]),
    }
}

fn resources(r: &Resources) -> Result<oci_spec::runtime::LinuxResources> {
    let mut out = LinuxResourcesBuilder::default().devices(device_rules()?);
    let memory = r.memory.is_some()
        || r.memory_swap.is_some()
        || r.memory_reservation.is_some()
        || r.memory_swappiness.is_some()
        || r.oom_kill_disable;
    if memory {
        let mut m = LinuxMemoryBuilder::default();
        if let Some(limit) = r.memory {
            m = m.limit(limit);
        }
        if let Some(swap) = r.memory_swap {
            m = m.swap(swap);
        }
        if let Some(reservation) = r.memory_reservation {
            m = m.reservation(reservation);
        }
        if let Some(swappiness) = r.memory_swappiness {
            m = m.swappiness(swappiness);
        }
        if r.oom_kill_disable {
            m = m.disable_oom_killer(true);
        }
        out = out.memory(m.build().map_err(oci)?);
    }
    let cpu = r.cpu_shares.is_some()
        || r.cpu_quota.is_some()
        || r.cpu_period.is_some()
        || r.cpuset_cpus.is_some()
        || r.cpuset_mems.is_some();
    if cpu {
        let mut c = LinuxCpuBuilder::default();
        if let Some(cpus) = &r.cpuset_cpus {
            c = c.cpus(cpus.clone());
        }
        if let Some(mems) = &r.cpuset_mems {
            c = c.mems(mems.clone());
        }
        if let Some(shares) = r.cpu_shares {
            c = c.shares(shares);
        }
        if let Some(quota) = r.cpu_quota {
            c = c.quota(quota);
        }
        if let Some(period) = r.cpu_period {
            c = c.period(period);
        }
        out = out.cpu(c.build().map_err(oci)?);
    }
    if let Some(weight) = r.blkio_weight {
        out = out.block_io(
            LinuxBlockIoBuilder::default()
                .weight(weight)
                .build()
                .map_err(oci)?,
        );
    }
    if let Some(limit) = r.pids_limit.filter(|&l| l > 0) {
        out = out.pids(
            LinuxPidsBuilder::default()
                .limit(limit)
                .build()
                .map_err(oci)?,
        );
    }
    out.build().map_err(oci)
}
