//! Start-up step "restore": load the records, re-adopt containers whose monitor lives (their
//! watcher, logs, attach and wait work again), record the exits of those that ended while the
//! daemon was away (with their real exit code), apply restart policies as dockerd does at
//! start, and release what no running container holds: endpoints, namespaces, mounts, runc
//! state.

use std::collections::HashSet;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Result;
use api::types::ContainerStatus;
use execdriver::State;

use super::exit::{connect, should_restart};
use super::start::StartKind;
use super::{Container, Containers, Record, RunResources, netns, rootfs};
use crate::blocking::blocking;

/// How long a container whose monitor was launching may take to settle.
const SETTLE: Duration = Duration::from_secs(3);

/// What restore found, for the start-up log.
#[derive(Debug, Default)]
pub struct Restored {
    /// Containers loaded.
    pub containers: usize,
    /// Running containers re-adopted.
    pub adopted: usize,
    /// Containers that ended while the daemon was away.
    pub exited: usize,
}

impl Containers {
    /// Loads and reconciles every container; see the module documentation.
    pub async fn restore(&self) -> Result<Restored> {
        let dir = self.inner.dir.clone();
        let entries = blocking(move || load_all(&dir)).await??;
        let mut stats = Restored::default();
        let mut containers = Vec::new();
        for (path, record) in entries {
            match record {
                Some(rec) => {
                    let c = Container::new(rec, path);
                    let name = c.live().record.name.clone();
                    self.index().insert(Arc::clone(&c), name);
                    containers.push(c);
                }
                // A removal cut short: the record goes first, so this is garbage.
                None => {
                    let id = path
                        .file_name()
                        .map(|n| n.to_string_lossy().into_owned())
                        .unwrap_or_default();
                    if let Err(e) = self.remove_files(&id, &path).await {
                        tracing::warn!(path = %path.display(), error = %e, "cannot remove a half-removed container");
                    }
                }
            }
        }
        stats.containers = containers.len();

        let mut live = HashSet::new();
        let mut ended = Vec::new();
        let mut stopped = Vec::new();
        for c in containers {
            let status = c.live().record.state.status;
            if !matches!(
                status,
                ContainerStatus::Running
                    | ContainerStatus::Restarting
                    | ContainerStatus::Paused
                    | ContainerStatus::Removing
            ) {
                stopped.push(c);
                continue;
            }
            match self.settled_state(&c).await {
                Some(State::Running(started)) => {
                    {
                        let mut l = c.live();
                        l.accepting = true;
                        l.run = Some(self.leftovers(&c.id, &l.record));
                        let st = &mut l.record.state;
                        // A paused container's processes are still frozen: it stays paused.
                        if st.status != ContainerStatus::Paused {
                            st.status = ContainerStatus::Running;
                        }
                        st.pid = i64::from(started.pid);
                        st.started_at = Some(started.started_at);
                    }
                    c.publish();
                    live.insert(c.id.clone());
                    // The embedded DNS listens again in its namespace.
                    let (rec, run) = {
                        let l = c.live();
                        let run = l.run.as_ref();
                        let netns = run.and_then(|r| r.netns.clone());
                        let eps = run.map(|r| r.endpoints.clone()).unwrap_or_default();
                        (l.record.clone(), netns.map(|n| (n, eps)))
                    };
                    if let Some((netns, eps)) = run
                        && let Err(e) = self.dns_up(&rec, &netns, &eps).await
                    {
                        tracing::warn!(container = %c.id, error = %e, "cannot serve the embedded DNS");
                    }
                    let conn = connect(&c).await;
                    self.spawn_watcher(Arc::clone(&c), conn);
                    stats.adopted += 1;
                }
                Some(State::Exited(exit)) => ended.push((c, Some(exit))),
                _ => ended.push((c, None)),
            }
        }

        // Endpoints of containers that are gone or do not run.
        if let Some(driver) = &self.inner.net.driver {
            let ended_ids: HashSet<&str> = ended.iter().map(|(c, _)| c.id.as_str()).collect();
            for ep in driver.endpoints() {
                if !live.contains(&ep.container_id)
                    && !ended_ids.contains(ep.container_id.as_str())
                    && let Err(e) = driver.detach(&ep).await
                {
                    tracing::warn!(container = %ep.container_id, error = %e, "cannot detach a stale endpoint");
                }
            }
        }

        stats.exited = ended.len();
        for (c, exit) in ended {
            {
                let mut l = c.live();
                let run = self.leftovers(&c.id, &l.record);
                l.run = Some(run);
            }
            let exit = match exit {
                Some(e) => e,
                None => self.monitor_died(&c).await,
            };
            self.handle_exit(&c, exit, true).await;
            live.insert(c.id.clone());
        }

        self.release_stopped(&stopped, &live).await;

        // dockerd restarts stopped containers whose policy says so when it starts.
        for c in stopped {
            let restart = {
                let l = c.live();
                let rec = &l.record;
                rec.state.started_at.is_some()
                    && should_restart(rec, i32::try_from(rec.state.exit_code).unwrap_or(1), true)
            };
            if restart {
                let this = self.clone();
                self.spawn_task(async move {
                    let _op = c.op.lock().await;
                    if let Err(e) = this.start_locked(&c, StartKind::Manual).await {
                        tracing::warn!(container = %c.id, error = %e, "restart at daemon start failed");
                    }
                });
            }
        }
        Ok(stats)
    }

    /// The container's state, waiting a little for a monitor that is still launching (its
    /// daemon died between `runc create` and start: it deletes the container by itself).
    async fn settled_state(&self, c: &Container) -> Option<State> {
        let deadline = tokio::time::Instant::now() + SETTLE;
        loop {
            let dir = c.exec_dir();
            match blocking(move || execdriver::state(&dir)).await {
                Ok(Ok(State::Starting)) if tokio::time::Instant::now() < deadline => {
                    tokio::time::sleep(Duration::from_millis(50)).await;
                }
                Ok(Ok(s)) => return Some(s),
                Ok(Err(e)) => {
                    tracing::warn!(container = %c.id, error = %e, "cannot read the container's state");
                    return None;
                }
                Err(_) => return None,
            }
        }
    }

    /// The volumes a run found at start-up holds, counted again (a device mount the last
    /// daemon made is taken over, one that is missing is made).
    fn hold_volumes_again(&self, id: &str, rec: &Record) -> Vec<String> {
        let names = super::mounts::volume_names(rec);
        for name in &names {
            if let Err(e) = self.inner.volumes.acquire(name) {
                tracing::warn!(container = %id, volume = %name, error = %e, "cannot mount a volume again");
            }
        }
        names
    }

    /// What a run of this container may have left behind.
    fn leftovers(&self, id: &str, rec: &Record) -> RunResources {
        let netns = self.inner.netns_dir.join(id);
        RunResources {
            rootfs_mounted: rec.driver == "overlay2",
            netns: netns.exists().then_some(netns),
            endpoints: self
                .inner
                .net
                .driver
                .as_ref()
                .map(|d| d.container_endpoints(id))
                .unwrap_or_default(),
            // It ran, so it was connected and its volumes mounted: its exit tells
            // `disconnect` and `unmount`.
            connected: true,
            volumes_mounted: true,
            volumes_held: self.hold_volumes_again(id, rec),
        }
    }

    /// Unmounts the layers of stopped containers and removes namespaces and runc state nothing
    /// running owns.
    async fn release_stopped(&self, stopped: &[Arc<Container>], live: &HashSet<String>) {
        let dirs: Vec<PathBuf> = stopped.iter().map(|c| c.dir.clone()).collect();
        let netns_dir = self.inner.netns_dir.clone();
        let runtimes: Vec<execdriver::Runtime> = self.inner.runtimes.all();
        let live = live.clone();
        let _ = blocking(move || {
            for d in &dirs {
                if let Err(e) = rootfs::unmount(d) {
                    tracing::warn!(error = %e, "cannot unmount a stopped container's layer");
                }
            }
            let names = |dir: &std::path::Path| -> Vec<String> {
                std::fs::read_dir(dir)
                    .map(|it| {
                        it.flatten()
                            .map(|e| e.file_name().to_string_lossy().into_owned())
                            .collect()
                    })
                    .unwrap_or_default()
            };
            for n in names(&netns_dir) {
                if !live.contains(&n)
                    && let Err(e) = netns::remove(&netns_dir.join(&n))
                {
                    tracing::warn!(error = %e, "cannot remove a stale network namespace");
                }
            }
            for runtime in &runtimes {
                for n in names(&runtime.root) {
                    if !live.contains(&n)
                        && let Err(e) = execdriver::delete(runtime, &n, true)
                    {
                        tracing::warn!(container = %n, error = %e, "cannot delete stale runc state");
                    }
                }
            }
        })
        .await;
    }
}

/// Every container directory with its record (`None` when the record is missing).
fn load_all(dir: &std::path::Path) -> Result<Vec<(PathBuf, Option<Record>)>> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir)? {
        let entry = entry?;
        if !entry.file_type()?.is_dir() {
            continue;
        }
        let path = entry.path();
        if entry
            .file_name()
            .to_string_lossy()
            .starts_with(super::delete::REMOVING_PREFIX)
        {
            // A removal cut short after its directory was renamed: nothing left to release.
            super::delete::delete_dir(&path);
            continue;
        }
        match Record::load(&path) {
            Ok(rec) => out.push((path, rec)),
            Err(e) => {
                tracing::warn!(path = %path.display(), error = %e, "skipping an unreadable container")
            }
        }
    }
    Ok(out)
}
