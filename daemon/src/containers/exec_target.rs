//! What an exec needs of its container: the checks dockerd makes before it creates or starts
//! an exec (moby's `getActiveContainer`), and the container's pieces an exec's process is made
//! of (its bundle, rootfs, environment, runtime).

use std::path::PathBuf;

use api::types::ContainerStatus;

use super::etc::EtcFiles;
use super::{Containers, Record, rootfs, spec};
use crate::error::{Error, Result};

/// A running container, as an exec sees it.
pub(crate) struct ExecTarget {
    /// The container's full ID.
    pub(crate) id: String,
    /// Its record, as it was when looked up.
    pub(crate) record: Record,
    /// Its directory (execs keep theirs under it, in `execs/`).
    pub(crate) dir: PathBuf,
    /// Its state directory (the bundle whose process an exec's is based on).
    pub(crate) bundle: execdriver::ContainerDir,
    /// The root filesystem (for the user lookup).
    pub(crate) rootfs: PathBuf,
    /// The runtime that runs it.
    pub(crate) runtime: execdriver::Runtime,
    /// How to run a monitor.
    pub(crate) monitor: execdriver::MonitorCommand,
}

impl ExecTarget {
    /// `<container dir>/execs/<exec id>`: an exec's state directory.
    pub(crate) fn exec_dir(&self, exec_id: &str) -> execdriver::ContainerDir {
        execdriver::ContainerDir::new(exec_id, self.dir.join("execs").join(exec_id))
    }

    /// The environment of an exec (moby's `CreateDaemonEnvironment` with the exec's tty, then
    /// the exec's own entries replacing or appending).
    pub(crate) fn environment(&self, tty: bool, extra: &[String]) -> Vec<String> {
        // The host name the run got, as start wrote it into `/etc/hostname`.
        let hostname = std::fs::read_to_string(EtcFiles::of(&self.dir).hostname)
            .map(|h| h.trim_end().to_owned())
            .unwrap_or_else(|_| self.record.short_id().to_owned());
        let mut env = spec::environment_with_tty(&self.record, &hostname, tty);
        spec::replace_or_append(&mut env, extra);
        env
    }
}

impl Containers {
    /// The container `term` names, if it runs: 404 for an unknown term, 409 when it does not
    /// run, is paused (`paused_name` in the message: the term at create, the ID at start, as
    /// moby words them) or is restarting.
    pub(crate) fn exec_target(&self, term: &str, at_create: bool) -> Result<ExecTarget> {
        let c = self.get(term)?;
        let record = c.record();
        match record.state.status {
            ContainerStatus::Running => {}
            ContainerStatus::Paused => {
                let who = if at_create { term } else { c.id.as_str() };
                return Err(Error::Conflict(format!(
                    "Container {who} is paused, unpause the container before exec"
                )));
            }
            ContainerStatus::Restarting => {
                return Err(Error::Conflict(format!(
                    "Container {} is restarting, wait until the container is running",
                    c.id
                )));
            }
            _ => return Err(Error::NotRunning(c.id.clone())),
        }
        Ok(ExecTarget {
            id: c.id.clone(),
            bundle: c.exec_dir(),
            rootfs: rootfs::merged(&c.dir),
            dir: c.dir.clone(),
            runtime: self.runtime_of(&c)?,
            monitor: self.inner.monitor.clone(),
            record,
        })
    }

    /// Whether the container with this full ID still exists.
    pub(crate) fn exists(&self, id: &str) -> bool {
        self.get(id).is_ok_and(|c| c.id == id && !c.live().removed)
    }
}

impl Containers {
    /// The `execs/` directories of the running containers (for restoring their execs).
    pub(crate) fn exec_dirs(&self) -> Vec<PathBuf> {
        self.all()
            .into_iter()
            .filter(|c| c.live().record.state.status == ContainerStatus::Running)
            .map(|c| c.dir.join("execs"))
            .collect()
    }
}

/// What the health checks need to know of a running container, taken without copying its
/// record (which can be large: the supervisor looks at every container several times a second).
pub(crate) struct HealthView {
    /// The container's full ID.
    pub(crate) id: String,
    /// When its run started.
    pub(crate) started_at: Option<jiff::Timestamp>,
    /// Its merged `Healthcheck`.
    pub(crate) healthcheck: Option<serde_json::Value>,
    /// Its `Shell`.
    pub(crate) shell: Option<Vec<String>>,
    /// Its directory (where its health is kept across daemon restarts).
    pub(crate) dir: std::path::PathBuf,
}

impl Containers {
    /// The running containers that have a `Healthcheck`, and the IDs of all containers.
    pub(crate) fn health_views(&self) -> (Vec<HealthView>, Vec<String>) {
        let mut views = Vec::new();
        let mut ids = Vec::new();
        for c in self.all() {
            ids.push(c.id.clone());
            let l = c.live();
            let rec = &l.record;
            if rec.state.status == ContainerStatus::Running && rec.config.healthcheck.is_some() {
                views.push(HealthView {
                    id: c.id.clone(),
                    started_at: rec.state.started_at,
                    healthcheck: rec.config.healthcheck.clone(),
                    shell: rec.config.shell.clone(),
                    dir: c.dir.clone(),
                });
            }
        }
        (views, ids)
    }

    /// The container's status and the start of its run, if it exists.
    pub(crate) fn run_of(&self, id: &str) -> Option<(ContainerStatus, Option<jiff::Timestamp>)> {
        let c = self.get(id).ok()?;
        let l = c.live();
        Some((l.record.state.status, l.record.state.started_at))
    }
}
