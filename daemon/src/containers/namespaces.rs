//! The namespaces a run shares (`--pid`, `--ipc`, `--uts`, `--cgroupns`): the host's, its own,
//! or another container's (`container:NAME`), as dockerd joins them. A `shareable` container's
//! `/dev/shm` is a tmpfs the daemon mounts on the host (`<dir>/shm`, moby's `mounts/shm`) and
//! binds into the container, so that a container joining its IPC namespace can bind the same
//! one; it is unmounted when the run is released.

use std::path::{Path, PathBuf};

use api::types::{ContainerStatus, HostConfig};
use execdriver::{BindMount, DEFAULT_SHM_SIZE, Ipc, Pid, SharedNamespaces};
use nix::mount::MsFlags;

use super::{Containers, Record};
use crate::blocking::blocking;
use crate::error::{Error, IoContext, Result};

/// Where a `shareable` container's `/dev/shm` is mounted on the host.
pub(crate) fn shm_dir(dir: &Path) -> PathBuf {
    dir.join("shm")
}

impl Containers {
    /// Create: a `container:NAME` PID or IPC mode names an existing container (else
    /// `No such container`, a 400), recorded by its full ID as dockerd records it.
    pub(crate) fn resolve_donors(&self, hc: &mut HostConfig) -> Result<()> {
        for mode in [&mut hc.pid_mode, &mut hc.ipc_mode] {
            if let Some(term) = mode.strip_prefix("container:") {
                // A 400, as dockerd answers (a 404 would make the CLI pull the image).
                let donor = self.get(term).map_err(|e| Error::Invalid(e.to_string()))?;
                *mode = format!("container:{}", donor.id);
            }
        }
        Ok(())
    }

    /// Start: the namespaces of `rec`'s run, and the bind of `/dev/shm` it needs (mounting a
    /// `shareable` container's own first).
    pub(crate) async fn shared_namespaces(
        &self,
        rec: &Record,
        dir: &Path,
    ) -> Result<(SharedNamespaces, Option<BindMount>)> {
        let hc = &rec.host_config;
        let pid = match hc.pid_mode.as_str() {
            "host" => Pid::Host,
            m => match m.strip_prefix("container:") {
                Some(id) => Pid::Join(self.donor_ns(id, "pid")?.0),
                None => Pid::Private,
            },
        };
        let mut shm = None;
        let ipc = match hc.ipc_mode.as_str() {
            "host" => Ipc::Host,
            "none" => Ipc::None,
            "shareable" => {
                let (target, size) = (shm_dir(dir), shm_size(hc));
                blocking(move || mount_shm(&target, size)).await??;
                shm = Some(shm_bind(shm_dir(dir)));
                Ipc::Private
            }
            m => match m.strip_prefix("container:") {
                Some(id) => {
                    let (path, donor_dir) = self.donor_ns(id, "ipc").map_err(|e| {
                        Error::Conflict(format!("can't join IPC of container {id}: {e}"))
                    })?;
                    let donor = self.get(id)?;
                    if donor.record().host_config.ipc_mode != "shareable" {
                        return Err(Error::Conflict(format!(
                            "can't join IPC of container {id}: non-shareable IPC (hint: use \
                             IpcMode:shareable for the donor container)"
                        )));
                    }
                    shm = Some(shm_bind(shm_dir(&donor_dir)));
                    Ipc::Join(path)
                }
                None => Ipc::Private,
            },
        };
        let shared = SharedNamespaces {
            pid,
            ipc,
            uts_host: hc.uts_mode == "host",
            cgroup_private: hc.cgroupns_mode == "private",
        };
        Ok((shared, shm))
    }

    /// The namespace `kind` of the running container `id` (`/proc/PID/ns/KIND` of its init),
    /// and its directory; dockerd's `container ID is not running` otherwise.
    fn donor_ns(&self, id: &str, kind: &str) -> Result<(PathBuf, PathBuf)> {
        let donor = self.get(id)?;
        let rec = donor.record();
        if let Some(path) = init_ns(&rec, kind) {
            return Ok((path, donor.dir.clone()));
        }
        Err(Error::Conflict(match rec.state.status {
            ContainerStatus::Restarting => format!(
                "Container {} is restarting, wait until the container is running",
                donor.id
            ),
            _ => format!("container {} is not running", donor.id),
        }))
    }
}

/// `--shm-size`, else Docker's 64 MiB.
fn shm_size(hc: &HostConfig) -> u64 {
    u64::try_from(hc.shm_size)
        .ok()
        .filter(|&s| s > 0)
        .unwrap_or(DEFAULT_SHM_SIZE)
}

/// A read-write bind of `source` at `/dev/shm`.
fn shm_bind(source: PathBuf) -> BindMount {
    BindMount::new(source, "/dev/shm")
}

/// Mounts a tmpfs of `size` bytes on `target` (as moby's `setupIpcDirs`: `nosuid`, `nodev`,
/// `noexec`, mode 1777); one left mounted by an earlier run is reused.
fn mount_shm(target: &Path, size: u64) -> Result<()> {
    std::fs::create_dir_all(target).ctx("creating the shm directory")?;
    if crate::mountinfo::is_mounted(target) {
        return Ok(());
    }
    let data = format!("mode=1777,size={size}");
    nix::mount::mount(
        Some("shm"),
        target,
        Some("tmpfs"),
        MsFlags::MS_NOSUID | MsFlags::MS_NODEV | MsFlags::MS_NOEXEC,
        Some(data.as_str()),
    )
    .ctx("mounting the shareable /dev/shm")
}

/// `/proc/PID/ns/KIND` of the init of `rec`'s run, if it runs (paused counts, as in moby).
pub(crate) fn init_ns(rec: &Record, kind: &str) -> Option<PathBuf> {
    let running = matches!(
        rec.state.status,
        ContainerStatus::Running | ContainerStatus::Paused
    );
    (running && rec.state.pid > 0)
        .then(|| PathBuf::from(format!("/proc/{}/ns/{kind}", rec.state.pid)))
}
