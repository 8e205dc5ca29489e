//! The exec driver's [`ContainerSpec`] for a run, from the record: command, environment, user,
//! working directory, `/etc` and user bind mounts, network namespace and resource limits.

use std::path::{Path, PathBuf};

use crate::error::Error;
use api::types::HostConfig;
use execdriver::{BindMount, ContainerSpec, DeviceRequest, Network, Resources, Security, Ulimit};

use super::etc::EtcFiles;
use super::{Record, mounts, security};
use crate::volumes::Volumes;

/// The `PATH` a container gets when its config has none (moby's `DefaultPathEnv`).
pub(crate) const DEFAULT_PATH: &str =
    "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

/// Builds the spec; reads the container's `/etc/passwd` and `/etc/group` under `rootfs` (so it
/// blocks).
pub(crate) fn build(
    rec: &Record,
    dir: &Path,
    rootfs: PathBuf,
    network: Network,
    hostname: &str,
    vols: &Volumes,
) -> Result<ContainerSpec, Error> {
    let mut args = vec![rec.path.clone()];
    args.extend(rec.args.iter().cloned());
    let mut spec = ContainerSpec::new(&rec.id, &rootfs, args);
    spec.hostname = hostname.to_owned();
    spec.env = environment(rec, hostname);
    spec.cwd = match rec.config.working_dir.as_str() {
        "" => "/".to_owned(),
        wd => wd.to_owned(),
    };
    spec.user = execdriver::resolve_user(&rootfs, &rec.config.user)?;
    let group_add = rec.host_config.group_add.clone().unwrap_or_default();
    spec.user
        .additional_gids
        .extend(execdriver::additional_groups(&rootfs, &group_add)?);
    spec.tty = rec.config.tty;
    spec.open_stdin = rec.config.open_stdin;
    spec.readonly_rootfs = rec.host_config.readonly_rootfs;
    spec.annotations = rec.host_config.annotations.clone().unwrap_or_default();
    spec.network = network;
    spec.mounts = bind_mounts(rec, dir, vols)?;
    spec.tmpfs = mounts::tmpfs(&rec.host_config)?
        .iter()
        .map(mounts::Tmpfs::tmpfs_mount)
        .collect();
    spec.resources = resources(&rec.host_config);
    if !rec.host_config.cgroup_parent.is_empty() {
        spec.cgroup_parent = Some(rec.host_config.cgroup_parent.clone());
    }
    confinement(&mut spec, &rec.host_config)?;
    Ok(spec)
}

/// Privileges, confinement and process limits: `--privileged`, `--cap-add/--cap-drop`,
/// `--security-opt`, `HostConfig.MaskedPaths/ReadonlyPaths`, `--shm-size`, `--ulimit`,
/// `--oom-score-adj`, `--sysctl`, `--device`, `--device-cgroup-rule`.
fn confinement(spec: &mut ContainerSpec, hc: &HostConfig) -> Result<(), Error> {
    let opts = security::parse(hc.security_opt.as_deref().unwrap_or_default())?;
    spec.security = Security {
        privileged: hc.privileged,
        cap_add: hc.cap_add.clone().unwrap_or_default(),
        cap_drop: hc.cap_drop.clone().unwrap_or_default(),
        no_new_privileges: opts.no_new_privileges,
        seccomp: opts.seccomp,
        masked_paths: hc.masked_paths.clone(),
        readonly_paths: hc.readonly_paths.clone(),
    };
    if let Ok(size) = u64::try_from(hc.shm_size)
        && size > 0
    {
        spec.shm_size = size;
    }
    spec.ulimits = hc.ulimits.iter().flatten().map(ulimit).collect();
    spec.oom_score_adj = (hc.oom_score_adj != 0).then_some(hc.oom_score_adj as i32);
    spec.sysctls = hc.sysctls.clone().unwrap_or_default();
    spec.devices = hc
        .devices
        .iter()
        .flatten()
        .map(|d| DeviceRequest {
            host_path: d.path_on_host.clone().into(),
            container_path: d.path_in_container.clone().into(),
            permissions: match d.cgroup_permissions.as_str() {
                "" => "rwm".to_owned(),
                p => p.to_owned(),
            },
        })
        .collect();
    spec.device_cgroup_rules = hc.device_cgroup_rules.clone().unwrap_or_default();
    Ok(())
}

/// The `/etc` files, then the user's binds (their missing sources created), as moby's
/// `setMounts`: an `/etc` file the user mounts over is left out, and parents are mounted before
/// their children (a stable sort by depth).
fn bind_mounts(rec: &Record, dir: &Path, vols: &Volumes) -> Result<Vec<BindMount>, Error> {
    let mut binds = mounts::of_record(rec)?;
    mounts::resolve(&mut binds, vols);
    mounts::prepare_sources(&binds)?;
    super::subpath::stage(dir, &mut binds)?;
    let etc = EtcFiles::of(dir);
    let mut out: Vec<BindMount> = [
        (etc.resolv_conf, "/etc/resolv.conf"),
        (etc.hostname, "/etc/hostname"),
        (etc.hosts, "/etc/hosts"),
    ]
    .into_iter()
    .filter(|(_, dest)| !binds.iter().any(|b| b.destination == *dest))
    .map(|(source, dest)| BindMount::new(source, dest))
    .chain(binds.iter().map(mounts::Bind::bind_mount))
    .collect();
    out.sort_by_key(|m| m.destination.components().count());
    Ok(out)
}

/// moby's `CreateDaemonEnvironment`: `PATH` (if the config has none), `HOSTNAME`, `TERM` under
/// a TTY, then the config's entries replacing or appending; an entry without `=` unsets the
/// variable it names (moby's `ReplaceOrAppendEnvValues`: create accepts it, runc would not).
pub(crate) fn environment(rec: &Record, hostname: &str) -> Vec<String> {
    environment_with_tty(rec, hostname, rec.config.tty)
}

/// [`environment`] with `TERM` decided by `tty` (an exec's own), as moby's
/// `CreateDaemonEnvironment` takes it.
pub(crate) fn environment_with_tty(rec: &Record, hostname: &str, tty: bool) -> Vec<String> {
    environment_with(rec, hostname, tty, &[])
}

/// [`environment_with_tty`] with the variables of legacy links, before the config's own (which
/// may override them), as moby's `CreateDaemonEnvironment` puts them.
pub(crate) fn environment_with(
    rec: &Record,
    hostname: &str,
    tty: bool,
    linked: &[String],
) -> Vec<String> {
    let config_env = rec.config.env.clone().unwrap_or_default();
    let mut env = Vec::new();
    if !config_env.iter().any(|e| key(e) == "PATH") {
        env.push(DEFAULT_PATH.to_owned());
    }
    env.push(format!("HOSTNAME={hostname}"));
    if tty {
        env.push("TERM=xterm".to_owned());
    }
    env.extend(linked.iter().cloned());
    replace_or_append(&mut env, &config_env);
    env
}

/// moby's `ReplaceOrAppendEnvValues`: each entry replaces the one of the same name or is
/// appended; an entry without `=` removes the variable it names.
pub(crate) fn replace_or_append(env: &mut Vec<String>, entries: &[String]) {
    for e in entries {
        if !e.contains('=') {
            env.retain(|x| key(x) != e);
            continue;
        }
        match env.iter_mut().find(|x| key(x) == key(e)) {
            Some(slot) => slot.clone_from(e),
            None => env.push(e.clone()),
        }
    }
}

/// Each of the daemon's `--default-ulimit`s the container does not set itself (moby's
/// `mergeUlimits`).
pub(crate) fn add_default_ulimits(spec: &mut ContainerSpec, defaults: &[api::types::Ulimit]) {
    for d in defaults {
        if !spec.ulimits.iter().any(|u| u.name == d.name) {
            spec.ulimits.push(ulimit(d));
        }
    }
}

/// A `--ulimit` for the exec driver.
fn ulimit(u: &api::types::Ulimit) -> Ulimit {
    Ulimit {
        name: u.name.clone(),
        // A negative limit is unlimited, as Go's uint64 conversion makes it.
        soft: u.soft as u64,
        hard: u.hard as u64,
    }
}

/// A `HostConfig` list of `{"Path": ..., FIELD: n}` entries (`BlkioWeightDevice`,
/// `BlkioDeviceReadBps`, ...) as (path, n); create checked them.
fn devices(list: &Option<Vec<serde_json::Value>>, field: &str) -> Vec<(PathBuf, u64)> {
    list.iter()
        .flatten()
        .filter_map(|d| Some((PathBuf::from(d["Path"].as_str()?), d[field].as_u64()?)))
        .collect()
}

fn key(entry: &str) -> &str {
    entry.split_once('=').map_or(entry, |(k, _)| k)
}

/// Cgroup limits from `HostConfig`; `--cpus` becomes a quota over a 100 ms period.
pub(crate) fn resources(hc: &HostConfig) -> Resources {
    let positive = |v: i64| (v > 0).then_some(v);
    let mut r = Resources {
        memory: positive(hc.memory),
        memory_swap: (hc.memory > 0 && hc.memory_swap != 0).then_some(hc.memory_swap),
        cpu_shares: u64::try_from(hc.cpu_shares).ok().filter(|&s| s > 0),
        cpu_quota: positive(hc.cpu_quota),
        cpu_period: u64::try_from(hc.cpu_period).ok().filter(|&p| p > 0),
        pids_limit: hc.pids_limit.filter(|&l| l > 0),
        memory_reservation: positive(hc.memory_reservation),
        memory_swappiness: hc.memory_swappiness.and_then(|s| u64::try_from(s).ok()),
        oom_kill_disable: hc.oom_kill_disable == Some(true),
        cpuset_cpus: Some(hc.cpuset_cpus.clone()).filter(|c| !c.is_empty()),
        cpuset_mems: Some(hc.cpuset_mems.clone()).filter(|m| !m.is_empty()),
        blkio_weight: Some(hc.blkio_weight).filter(|&w| w > 0),
        blkio_weight_device: devices(&hc.blkio_weight_device, "Weight")
            .into_iter()
            .map(|(p, w)| (p, u16::try_from(w).unwrap_or(u16::MAX)))
            .collect(),
        blkio_throttle: [
            devices(&hc.blkio_device_read_bps, "Rate"),
            devices(&hc.blkio_device_write_bps, "Rate"),
            devices(&hc.blkio_device_read_iops, "Rate"),
            devices(&hc.blkio_device_write_iops, "Rate"),
        ],
        cpu_realtime_period: u64::try_from(hc.cpu_realtime_period)
            .ok()
            .filter(|&p| p > 0),
        cpu_realtime_runtime: positive(hc.cpu_realtime_runtime),
    };
    if hc.nano_cpus > 0 {
        let period: u64 = 100_000;
        r.cpu_period = Some(period);
        r.cpu_quota = Some(hc.nano_cpus.saturating_mul(period as i64) / 1_000_000_000);
    }
    r
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record() -> Record {
        Record::sample(&"c".repeat(64), "/x")
    }

    #[test]
    fn environment_as_dockerd_builds_it() {
        let mut rec = record();
        rec.config.tty = true;
        rec.config.env = Some(vec![
            "PATH=/bin".into(),
            "A=1".into(),
            "HOSTNAME=mine".into(),
        ]);
        assert_eq!(
            environment(&rec, "abc"),
            ["HOSTNAME=mine", "TERM=xterm", "PATH=/bin", "A=1"]
        );
        rec.config.tty = false;
        rec.config.env = None;
        assert_eq!(environment(&rec, "abc"), [DEFAULT_PATH, "HOSTNAME=abc"]);
        rec.config.env = Some(vec![
            "A=1".into(),
            "B".into(),
            "A".into(),
            "HOSTNAME".into(),
        ]);
        assert_eq!(environment(&rec, "abc"), [DEFAULT_PATH]);
    }

    #[test]
    fn limits() {
        let hc = HostConfig {
            memory: 64 << 20,
            cpu_shares: 512,
            nano_cpus: 1_500_000_000,
            pids_limit: Some(50),
            ..HostConfig::default()
        };
        let r = resources(&hc);
        assert_eq!(r.memory, Some(64 << 20));
        assert_eq!(r.memory_swap, None);
        assert_eq!(r.cpu_shares, Some(512));
        assert_eq!((r.cpu_quota, r.cpu_period), (Some(150_000), Some(100_000)));
        assert_eq!(r.pids_limit, Some(50));
        assert_eq!(resources(&HostConfig::default()), Resources::default());
    }
}
