//! [`ContainerSpec`] → OCI runtime spec.

use std::collections::HashMap;
use std::path::Path;
use std::str::FromStr;

use oci_spec::OciSpecError;
use oci_spec::runtime::{
    Capabilities, LinuxBuilder, LinuxCapabilitiesBuilder, LinuxCpuBuilder, LinuxDeviceCgroup,
    LinuxDeviceCgroupBuilder, LinuxMemoryBuilder, LinuxNamespace, LinuxNamespaceBuilder,
    LinuxNamespaceType, LinuxPidsBuilder, LinuxResourcesBuilder, Mount, MountBuilder, PosixRlimit,
    PosixRlimitBuilder, PosixRlimitType, ProcessBuilder, RootBuilder, Spec, SpecBuilder,
    UserBuilder,
};

use super::caps::{container_capabilities, own_bounding_set, to_oci};
use super::defaults::{MASKED_PATHS, OCI_VERSION, READONLY_PATHS, device_rules, system_mounts};
use super::devices::{cgroup_rules, host_devices, requested};
use super::seccomp::{Target, filter};
use super::{
    BindMount, ContainerSpec, INIT_PATH, Ipc, Network, Pid, Propagation, ReadonlyDepth, Resources,
    SharedNamespaces, Ulimit,
};
use crate::error::{Context, Error, Result};

pub(super) fn oci(e: OciSpecError) -> Error {
    Error::Runtime(format!("building the OCI runtime spec: {e}"))
}

/// Builds the OCI runtime spec for `spec`, with Docker's defaults for everything it does not
/// say: capabilities, seccomp, namespaces, system mounts, masked and read-only paths, device
/// rules.
pub fn build_spec(spec: &ContainerSpec) -> Result<Spec> {
    spec.validate()?;
    let sec = &spec.security;
    let bounding = own_bounding_set();
    let cap_names = container_capabilities(&sec.cap_add, &sec.cap_drop, sec.privileged, bounding)?;
    let caps: Capabilities = cap_names.iter().map(|c| to_oci(c)).collect::<Result<_>>()?;
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
        .args(process_args(spec))
        .env(spec.env.clone())
        .cwd(&spec.cwd)
        .capabilities(capabilities)
        // Docker sets no rlimits by default: the process inherits the daemon's.
        .rlimits(rlimits(&spec.ulimits)?)
        .no_new_privileges(sec.no_new_privileges);
    let process = match spec.oom_score_adj {
        Some(adj) => process.oom_score_adj(adj),
        None => process,
    }
    .build()
    .map_err(oci)?;

    // As moby's `setMounts`: a system mount the caller mounts over is left out.
    let mut mounts = system_mounts(sec.privileged, spec.shm_size)?;
    // moby's IPC modes: the host's `/dev/shm` with its namespace, none with `none`.
    match &spec.shared.ipc {
        Ipc::Private | Ipc::Join(_) => {}
        Ipc::None => mounts.retain(|m| m.destination() != Path::new("/dev/shm")),
        Ipc::Host => {
            let options = ["rbind", "rprivate"].map(str::to_owned);
            let host_shm = mount("/dev/shm", "bind", "/dev/shm", &options)?;
            for m in mounts.iter_mut() {
                if m.destination() == Path::new("/dev/shm") {
                    *m = host_shm.clone();
                }
            }
        }
    }
    mounts.retain(|sys| {
        !spec
            .mounts
            .iter()
            .any(|m| &m.destination == sys.destination())
    });
    let mut user_mounts = Vec::with_capacity(spec.mounts.len() + spec.tmpfs.len());
    for m in &spec.mounts {
        let bind = if m.non_recursive { "bind" } else { "rbind" };
        let mut options = vec![bind.to_owned(), m.propagation.as_str().to_owned()];
        if m.readonly {
            options.push(readonly_option(m, spec.rro_supported)?.to_owned());
        }
        user_mounts.push(mount(&m.destination, "bind", &m.source, &options)?);
    }
    if let Some(init) = &spec.init {
        let options = ["bind", "ro"].map(str::to_owned);
        user_mounts.push(mount(INIT_PATH, "bind", init, &options)?);
    }
    for t in &spec.tmpfs {
        let options = merge_tmpfs_options(&t.options);
        user_mounts.push(mount(&t.destination, "tmpfs", "tmpfs", &options)?);
    }
    // Parents before their children, as moby sorts them (stable: the caller's order otherwise).
    user_mounts.sort_by_key(|m| m.destination().components().count());
    mounts.extend(user_mounts);

    // moby's `WithMaskedPaths`/`WithReadonlyPaths`/`WithDevices`/`WithSeccomp`: a privileged
    // container has none of the hiding, every host device and no filter.
    let (added, mut device_rules) = requested(&spec.devices)?;
    device_rules.extend(cgroup_rules(&spec.device_cgroup_rules)?);
    let (masked, readonly, mut devices) = match sec.privileged {
        true => (Vec::new(), Vec::new(), host_devices()?),
        false => (
            sec.masked_paths
                .clone()
                .unwrap_or_else(|| MASKED_PATHS.map(str::to_owned).to_vec()),
            sec.readonly_paths
                .clone()
                .unwrap_or_else(|| READONLY_PATHS.map(str::to_owned).to_vec()),
            Vec::new(),
        ),
    };
    // A `--device` of a privileged container replaces the host's device at that path.
    devices.retain(|d| !added.iter().any(|a| a.path() == d.path()));
    devices.extend(added);
    let mut sysctl = sysctls(&spec.network);
    sysctl.extend(spec.sysctls.clone());
    let linux = LinuxBuilder::default()
        .namespaces(namespaces(&spec.network, &spec.shared)?)
        .resources(resources(&spec.resources, sec.privileged, device_rules)?)
        .cgroups_path(spec.cgroups_path())
        .devices(devices)
        .masked_paths(masked)
        .readonly_paths(readonly)
        .sysctl(sysctl);
    let linux = match sec.privileged {
        true => linux,
        false => match filter(&sec.seccomp, &Target::host(&cap_names))? {
            Some(seccomp) => linux.seccomp(seccomp),
            None => linux,
        },
    };
    let linux = match rootfs_propagation(&spec.mounts) {
        Some(p) => linux.rootfs_propagation(p),
        None => linux,
    };

    // Without a UTS namespace of its own the runtime may not set a hostname.
    let hostname = match spec.shared.uts_host {
        true => String::new(),
        false => spec.hostname.clone(),
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
        .hostname(hostname)
        .mounts(mounts)
        .annotations(
            spec.annotations
                .clone()
                .into_iter()
                .collect::<HashMap<_, _>>(),
        )
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

/// moby's `MergeTmpfsOptions` over Docker's defaults (`noexec,nosuid,nodev,rprivate`): of
/// two flags that undo each other (`exec`/`noexec`, ...) or two values of one key (`size=`),
/// the later wins; the rest keep their order.
fn merge_tmpfs_options(user: &[String]) -> Vec<String> {
    const OPPOSITES: [(&str, &str); 6] = [
        ("exec", "noexec"),
        ("suid", "nosuid"),
        ("dev", "nodev"),
        ("atime", "noatime"),
        ("diratime", "nodiratime"),
        ("rw", "ro"),
    ];
    let key = |o: &str| -> String {
        if let Some((k, _)) = o.split_once('=') {
            return format!("{k}=");
        }
        OPPOSITES
            .iter()
            .find(|(a, b)| *a == o || *b == o)
            .map_or_else(|| o.to_owned(), |(a, _)| (*a).to_owned())
    };
    let defaults = ["noexec", "nosuid", "nodev", "rprivate"].map(str::to_owned);
    let mut out: Vec<String> = Vec::new();
    for o in defaults.iter().chain(user).filter(|o| !o.is_empty()) {
        let k = key(o);
        out.retain(|x| key(x) != k);
        out.push(o.clone());
    }
    out
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

/// `ro` or `rro` for a read-only bind, as moby decides: recursive where the runtime and the
/// kernel can (a non-recursive bind has no mounts below it to protect).
fn readonly_option(m: &BindMount, rro_supported: bool) -> Result<&'static str> {
    match m.readonly_depth {
        ReadonlyDepth::NonRecursive => Ok("ro"),
        _ if m.non_recursive => Ok("ro"),
        _ if rro_supported => Ok("rro"),
        ReadonlyDepth::Recursive => Ok("ro"),
        ReadonlyDepth::ForceRecursive => Err(Error::InvalidParameter(format!(
            "recursive read-only bind mount of {} is not supported by the runtime or the kernel \
             (needs mount_setattr, Linux 5.12)",
            m.destination.display()
        ))),
    }
}

fn namespaces(network: &Network, shared: &SharedNamespaces) -> Result<Vec<LinuxNamespace>> {
    let ns = |typ: LinuxNamespaceType| LinuxNamespaceBuilder::default().typ(typ).build();
    let join = |typ: LinuxNamespaceType, path: &Path| {
        LinuxNamespaceBuilder::default().typ(typ).path(path).build()
    };
    let mut out = Vec::with_capacity(6);
    match &shared.pid {
        Pid::Private => out.push(ns(LinuxNamespaceType::Pid)),
        Pid::Host => {}
        Pid::Join(path) => out.push(join(LinuxNamespaceType::Pid, path)),
    }
    match &shared.ipc {
        Ipc::Host => {}
        Ipc::Join(path) => out.push(join(LinuxNamespaceType::Ipc, path)),
        Ipc::Private | Ipc::None => out.push(ns(LinuxNamespaceType::Ipc)),
    }
    if !shared.uts_host {
        out.push(ns(LinuxNamespaceType::Uts));
    }
    if shared.cgroup_private {
        out.push(ns(LinuxNamespaceType::Cgroup));
    }
    out.push(ns(LinuxNamespaceType::Mount));
    match network {
        Network::Join(path) => out.push(join(LinuxNamespaceType::Network, path)),
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

/// The process's arguments: behind Docker's init with `--init` (moby's `WithInit`).
fn process_args(spec: &ContainerSpec) -> Vec<String> {
    match spec.init {
        Some(_) => [INIT_PATH, "--"]
            .into_iter()
            .map(str::to_owned)
            .chain(spec.args.iter().cloned())
            .collect(),
        None => spec.args.clone(),
    }
}

/// `--ulimit`s as the process's rlimits: Docker's names are the kernel's without `RLIMIT_`.
fn rlimits(ulimits: &[Ulimit]) -> Result<Vec<PosixRlimit>> {
    ulimits
        .iter()
        .map(|u| {
            let name = format!("RLIMIT_{}", u.name.to_ascii_uppercase());
            let typ = PosixRlimitType::from_str(&name)
                .map_err(|_| Error::InvalidParameter(format!("invalid ulimit type: {}", u.name)))?;
            PosixRlimitBuilder::default()
                .typ(typ)
                .soft(u.soft)
                .hard(u.hard)
                .build()
                .map_err(oci)
        })
        .collect()
}

/// Every device, every access: a privileged container's device cgroup.
fn allow_all_devices() -> Result<Vec<LinuxDeviceCgroup>> {
    Ok(vec![
        LinuxDeviceCgroupBuilder::default()
            .allow(true)
            .access("rwm")
            .build()
            .map_err(oci)?,
    ])
}

/// The cgroup limits, and the device rules: Docker's (or all for a privileged container),
/// then `extra` (`--device`, `--device-cgroup-rule`).
fn resources(
    r: &Resources,
    privileged: bool,
    extra: Vec<LinuxDeviceCgroup>,
) -> Result<oci_spec::runtime::LinuxResources> {
    let mut rules = match privileged {
        true => allow_all_devices()?,
        false => device_rules()?,
    };
    rules.extend(extra);
    let mut out = LinuxResourcesBuilder::default().devices(rules);
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
        || r.cpu_realtime_period.is_some()
        || r.cpu_realtime_runtime.is_some()
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
        if let Some(period) = r.cpu_realtime_period {
            c = c.realtime_period(period);
        }
        if let Some(runtime) = r.cpu_realtime_runtime {
            c = c.realtime_runtime(runtime);
        }
        out = out.cpu(c.build().map_err(oci)?);
    }
    if let Some(io) = super::blkio::block_io(r)? {
        out = out.block_io(io);
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
