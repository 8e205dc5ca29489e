//! After a daemon restart: execs whose monitor still lives are registered again from their
//! records (`exec.json` in `<container dir>/execs/<id>/`), with a watcher, so `GET
//! /exec/{id}/json` and `ExecIDs` see them; directories of execs that ended meanwhile are
//! removed (dockerd forgets every exec when it restarts).

use std::sync::{Arc, Mutex};

use super::start::RECORD_FILE;
use super::{Exec, ExecConfig, ExecState, Execs};
use crate::blocking::blocking;

impl Execs {
    /// Finds the execs of the running containers again (start-up, after the containers).
    pub async fn restore(&self) {
        let dirs = self.inner.containers.exec_dirs();
        let found = blocking(move || {
            let mut found = Vec::new();
            for dir in dirs {
                let Ok(entries) = std::fs::read_dir(&dir) else {
                    continue;
                };
                for entry in entries.flatten() {
                    let path = entry.path();
                    let record = std::fs::read(path.join(RECORD_FILE))
                        .ok()
                        .and_then(|b| serde_json::from_slice::<ExecConfig>(&b).ok());
                    let alive = record.as_ref().is_some_and(|cfg| {
                        let d = execdriver::ContainerDir::new(&cfg.id, &path);
                        matches!(execdriver::state(&d), Ok(execdriver::State::Running(_)))
                    });
                    match record {
                        Some(cfg) if alive => {
                            let pid = execdriver::ContainerDir::new(&cfg.id, &path)
                                .read_started()
                                .ok()
                                .flatten()
                                .map_or(0, |s| i64::from(s.pid));
                            found.push((cfg, path, pid));
                        }
                        _ => {
                            let _ = std::fs::remove_dir_all(&path);
                        }
                    }
                }
            }
            found
        })
        .await
        .unwrap_or_default();
        for (config, dir, pid) in found {
            tracing::info!(exec = %config.id, container = %config.container_id, "exec re-adopted");
            let exec = Arc::new(Exec {
                config,
                dir,
                state: Mutex::new(ExecState {
                    running: true,
                    pid,
                    started: true,
                    ..ExecState::default()
                }),
            });
            self.insert(Arc::clone(&exec));
            self.watch(exec, None);
        }
    }
}
