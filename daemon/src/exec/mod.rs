//! Execs: `docker exec`'s processes in running containers (moby's `daemon/exec.go` and its
//! exec store).
//!
//! An exec is registered at create (`create`), started under a monitor of its own
//! (`execdriver::prepare_exec`: a re-exec of `wharfd`, never the daemon's child, so it
//! survives the daemon as its container does) and watched until it exits (`start`). The store
//! keeps ended execs for `GET /exec/{id}/json` as dockerd does: its clean-up, every five
//! minutes, first marks an ended exec `CanRemove`, then forgets it (and removes its state
//! directory); an exec whose container is gone is forgotten at once. `ExecIDs` in a container's
//! inspect lists its execs that have not ended (`ids_of`). After a daemon restart the execs
//! still running are found again from their directories (`restore`).

mod backend;
mod create;
mod inspect;
mod probe;
mod restore;
mod start;

pub(crate) use probe::ProbeResult;

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::containers::Containers;
use crate::error::{Error, Result};

impl ExecConfig {
    /// The command as moby's exec events name it: the entrypoint, a space, the arguments
    /// joined by spaces (so a trailing space when there are none).
    pub(crate) fn command_line(&self) -> String {
        format!("{} {}", self.entrypoint, self.args.join(" "))
    }
}

impl Execs {
    /// Tells `action` (`exec_create`, `exec_start`, `exec_die`) of `exec` as a container event,
    /// with its `execID` and `extra`.
    pub(crate) fn event(&self, exec: &ExecConfig, action: &str, extra: &[(&str, String)]) {
        let mut attrs = vec![("execID", exec.id.clone())];
        attrs.extend(extra.iter().cloned());
        self.inner
            .containers
            .event_by_id(&exec.container_id, action, &attrs);
    }
}

/// How often the store forgets ended execs (moby's `execCommandGC` tick).
const GC_INTERVAL: Duration = Duration::from_secs(5 * 60);

/// The exec store: cheap to clone.
#[derive(Clone)]
pub struct Execs {
    inner: Arc<Inner>,
}

impl std::fmt::Debug for Execs {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Execs").finish_non_exhaustive()
    }
}

struct Inner {
    containers: Containers,
    table: Mutex<HashMap<String, Arc<Exec>>>,
}

/// What an exec runs, fixed at create (moby's `ExecConfig`); kept in `exec.json` once it runs.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct ExecConfig {
    /// The exec's ID.
    pub(crate) id: String,
    /// Its container's full ID.
    pub(crate) container_id: String,
    /// `Cmd[0]`.
    pub(crate) entrypoint: String,
    /// `Cmd[1..]`.
    pub(crate) args: Vec<String>,
    /// `Tty`.
    pub(crate) tty: bool,
    /// `Privileged`.
    pub(crate) privileged: bool,
    /// `User` as given, else the container's.
    pub(crate) user: String,
    /// `WorkingDir`, else the container's.
    pub(crate) working_dir: String,
    /// `Env` as given (merged with the container's at start).
    pub(crate) env: Vec<String>,
    /// `AttachStdin`.
    pub(crate) open_stdin: bool,
    /// `AttachStdout`.
    pub(crate) open_stdout: bool,
    /// `AttachStderr`.
    pub(crate) open_stderr: bool,
    /// `DetachKeys` as given.
    pub(crate) detach_keys: String,
    /// `ConsoleSize` at create.
    pub(crate) console_size: Option<[u32; 2]>,
}

/// One exec.
pub(crate) struct Exec {
    pub(crate) config: ExecConfig,
    /// The exec's state directory (under its container's).
    pub(crate) dir: PathBuf,
    state: Mutex<ExecState>,
}

/// What changes about an exec.
#[derive(Debug, Clone, Default)]
pub(crate) struct ExecState {
    /// The process runs.
    pub(crate) running: bool,
    /// How it ended.
    pub(crate) exit_code: Option<i64>,
    /// Its host PID once started.
    pub(crate) pid: i64,
    /// Marked by the clean-up; forgotten at the next.
    pub(crate) can_remove: bool,
    /// Has ended (or failed to start): no longer in its container's `ExecIDs`.
    pub(crate) ended: bool,
    /// Its monitor's attach socket is up (for resizes).
    pub(crate) started: bool,
}

impl Exec {
    /// The state, locked; never hold it across an await.
    pub(crate) fn state(&self) -> MutexGuard<'_, ExecState> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The exec driver's view of the exec's directory.
    pub(crate) fn exec_dir(&self) -> execdriver::ContainerDir {
        execdriver::ContainerDir::new(&self.config.id, &self.dir)
    }

    /// Whether the watcher recorded the exec's end within `limit`.
    pub(crate) async fn ended_within(&self, limit: Duration) -> bool {
        let deadline = tokio::time::Instant::now() + limit;
        while !self.state().ended {
            if tokio::time::Instant::now() >= deadline {
                return false;
            }
            tokio::time::sleep(Duration::from_millis(2)).await;
        }
        true
    }

    /// Records the end of the process (or of its start).
    pub(crate) fn ended(&self, exit_code: i64) {
        let mut st = self.state();
        st.running = false;
        st.exit_code = Some(exit_code);
        st.ended = true;
    }
}

impl Execs {
    /// The store, empty; its clean-up runs in the background for as long as the runtime.
    pub fn new(containers: Containers) -> Self {
        let execs = Execs {
            inner: Arc::new(Inner {
                containers,
                table: Mutex::new(HashMap::new()),
            }),
        };
        let weak = Arc::downgrade(&execs.inner);
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(GC_INTERVAL);
            tick.tick().await;
            loop {
                tick.tick().await;
                let Some(inner) = weak.upgrade() else { return };
                Execs { inner }.collect_garbage().await;
            }
        });
        execs
    }

    fn table(&self) -> MutexGuard<'_, HashMap<String, Arc<Exec>>> {
        self.inner
            .table
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }

    /// The exec `id` names (its full ID), if its container still exists.
    pub(crate) fn get(&self, id: &str) -> Result<Arc<Exec>> {
        let exec = self.table().get(id).cloned();
        match exec {
            Some(e) if self.inner.containers.exists(&e.config.container_id) => Ok(e),
            _ => Err(Error::NotFound(format!("No such exec instance: {id}"))),
        }
    }

    fn insert(&self, exec: Arc<Exec>) {
        self.table().insert(exec.config.id.clone(), exec);
    }

    /// Forgets an ended exec at once, its directory with it (a health check's probe: dockerd
    /// keeps them until its clean-up, but nobody asks for them, and a check every few
    /// milliseconds would leave thousands of directories behind).
    pub(crate) async fn forget(&self, id: &str) {
        let Some(exec) = self.table().remove(id) else {
            return;
        };
        let dir = exec.dir.clone();
        let _ = crate::blocking::blocking(move || std::fs::remove_dir_all(dir)).await;
    }

    /// The container's execs that have not ended, for `ExecIDs` (`None` when there are none,
    /// as dockerd writes `null`).
    pub(crate) fn ids_of(&self, container_id: &str) -> Option<Vec<String>> {
        let mut ids: Vec<String> = self
            .table()
            .values()
            .filter(|e| e.config.container_id == container_id && !e.state().ended)
            .map(|e| e.config.id.clone())
            .collect();
        ids.sort();
        (!ids.is_empty()).then_some(ids)
    }

    /// moby's `execCommandGC`: ended execs are marked, then forgotten a round later; execs of
    /// removed containers at once. Their directories go with them.
    async fn collect_garbage(&self) {
        let gone: Vec<Arc<Exec>> = {
            let containers = &self.inner.containers;
            let mut table = self.table();
            let mut gone = Vec::new();
            table.retain(|_, e| {
                let mut st = e.state();
                let forget = !containers.exists(&e.config.container_id) || st.can_remove;
                if forget {
                    gone.push(Arc::clone(e));
                } else if st.ended {
                    st.can_remove = true;
                }
                !forget
            });
            gone
        };
        if gone.is_empty() {
            return;
        }
        tracing::debug!(count = gone.len(), "forgetting ended execs");
        let dirs: Vec<PathBuf> = gone.iter().map(|e| e.dir.clone()).collect();
        let _ = crate::blocking::blocking(move || {
            for d in dirs {
                let _ = std::fs::remove_dir_all(d);
            }
        })
        .await;
    }
}
