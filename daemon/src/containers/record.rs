//! The persisted container: `<data-root>/containers/<id>/container.json`, our own JSON with the
//! merged `Config` and `HostConfig` in Docker's wire shape, written atomically (temp file, fsync,
//! rename, fsync of the directory) on every state change.

use api::types::{ContainerConfig, ContainerStatus, HostConfig};
use jiff::Timestamp;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use crate::error::{IoContext, Result};

/// The record's file name inside the container's directory.
pub(crate) const RECORD_FILE: &str = "container.json";

/// Everything the daemon keeps about a container across restarts.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct Record {
    /// 64 hex characters.
    pub(crate) id: String,
    /// With its leading `/`.
    pub(crate) name: String,
    /// When it was created.
    pub(crate) created: Timestamp,
    /// The image as the user named it (`busybox`).
    pub(crate) image: String,
    /// `sha256:<hex>`.
    pub(crate) image_id: String,
    /// The executable (first word of entrypoint + command).
    pub(crate) path: String,
    /// Its arguments.
    pub(crate) args: Vec<String>,
    /// The request's config merged with the image's.
    pub(crate) config: ContainerConfig,
    /// The request's host config with the daemon's defaults filled in.
    pub(crate) host_config: HostConfig,
    /// The storage driver (`overlay2`, `vfs`).
    pub(crate) driver: String,
    /// The image's layer directories, top first (overlay `lowerdir` order).
    pub(crate) layer_dirs: Vec<PathBuf>,
    /// Running state.
    pub(crate) state: RunState,
    /// Restarts by the restart policy since the last manual start.
    pub(crate) restart_count: i64,
    /// Stopped by `stop`, `kill` or `rm -f`: the restart policy leaves it alone (except
    /// `always` at daemon start).
    pub(crate) manually_stopped: bool,
    /// The names create gave its anonymous volumes, by destination.
    #[serde(default)]
    pub(crate) anonymous_volumes: BTreeMap<String, String>,
    /// The image's content was copied into its empty volumes (at the first start).
    #[serde(default)]
    pub(crate) volumes_populated: bool,
    /// The mounts `--volumes-from` brought, as they were at create.
    #[serde(default)]
    pub(crate) volumes_from: Vec<super::volumes_from::Inherited>,
    /// The networks it is connected to (by name) with their endpoint settings, as
    /// `NetworkSettings.Networks` keeps them; `None` in a record written before networks could
    /// be connected: its `NetworkMode`'s network alone.
    #[serde(default)]
    pub(crate) networks: Option<BTreeMap<String, api::types::EndpointSettings>>,
}

/// `State` as persisted.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub(crate) struct RunState {
    /// `created`, `running`, `exited`, ...
    pub(crate) status: ContainerStatus,
    /// The init process's host PID while running.
    pub(crate) pid: i64,
    /// The last exit code.
    pub(crate) exit_code: i64,
    /// Why the last start failed.
    pub(crate) error: String,
    /// The last run was OOM-killed.
    pub(crate) oom_killed: bool,
    /// When the last run started.
    #[serde(default)]
    pub(crate) started_at: Option<Timestamp>,
    /// When the last run ended.
    #[serde(default)]
    pub(crate) finished_at: Option<Timestamp>,
}

impl Record {
    /// A minimal record for unit tests.
    #[cfg(test)]
    pub fn sample(id: &str, name: &str) -> Record {
        Record {
            id: id.into(),
            name: name.into(),
            created: Timestamp::now(),
            image: "busybox".into(),
            image_id: String::new(),
            path: "sh".into(),
            args: vec![],
            config: Default::default(),
            host_config: Default::default(),
            driver: "vfs".into(),
            layer_dirs: vec![],
            state: RunState::default(),
            restart_count: 0,
            manually_stopped: false,
            anonymous_volumes: BTreeMap::new(),
            volumes_populated: false,
            volumes_from: Vec::new(),
            networks: None,
        }
    }

    /// Reads `dir/container.json`; `Ok(None)` if there is none.
    pub(crate) fn load(dir: &Path) -> Result<Option<Record>> {
        let path = dir.join(RECORD_FILE);
        let reading = || format!("reading {}", path.display());
        match std::fs::read(&path) {
            Ok(bytes) => serde_json::from_slice(&bytes).map(Some).with_ctx(reading),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(e).with_ctx(reading),
        }
    }

    /// Writes `dir/container.json` atomically.
    pub(crate) fn save(&self, dir: &Path) -> Result<()> {
        let bytes =
            serde_json::to_vec(self).with_ctx(|| format!("serialising container {}", self.id))?;
        Ok(execdriver::write_atomic(&dir.join(RECORD_FILE), &bytes)?)
    }

    /// The first 12 characters of the ID.
    pub(crate) fn short_id(&self) -> &str {
        &self.id[..12.min(self.id.len())]
    }
}

/// An optional time as Docker prints it (Go's `RFC3339Nano`, which is jiff's `Display`): Go's
/// zero time when unset.
pub(crate) fn go_time_opt(t: Option<Timestamp>) -> String {
    t.map_or_else(|| mobyport::time::ZERO.to_owned(), |t| t.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn go_times_drop_trailing_zeros() {
        let t = Timestamp::new(1_795_841_119, 462_964_800).unwrap();
        assert_eq!(go_time_opt(Some(t)), "2026-11-28T04:45:19.4629648Z");
        let t = Timestamp::new(1_795_841_119, 0).unwrap();
        assert_eq!(go_time_opt(Some(t)), "2026-11-28T04:45:19Z");
        assert_eq!(go_time_opt(None), "0001-01-01T00:00:00Z");
    }

    #[test]
    fn records_written_with_nine_digits_still_read() {
        let mut v = serde_json::to_value(Record::sample("abc", "/web")).expect("serialises");
        v["created"] = "2026-11-28T04:45:19.462964800Z".into();
        v["state"]["finished_at"] = "2026-11-28T04:45:20.000000000Z".into();
        let r: Record = serde_json::from_value(v).expect("reads");
        assert_eq!(
            r.created,
            Timestamp::new(1_795_841_119, 462_964_800).unwrap()
        );
        assert_eq!(r.state.started_at, None);
        assert_eq!(go_time_opt(r.state.finished_at), "2026-11-28T04:45:20Z");
    }

    #[test]
    fn records_round_trip() {
        let dir = tempfile::tempdir().expect("tempdir");
        let rec = Record {
            id: "a".repeat(64),
            name: "/web".into(),
            created: Timestamp::new(1_795_841_119, 5).unwrap(),
            image: "busybox".into(),
            image_id: format!("sha256:{}", "b".repeat(64)),
            path: "sh".into(),
            args: vec!["-c".into(), "exit 3".into()],
            config: ContainerConfig::default(),
            host_config: HostConfig::default(),
            driver: "overlay2".into(),
            layer_dirs: vec!["/x/diff".into()],
            state: RunState {
                status: ContainerStatus::Exited,
                exit_code: 3,
                finished_at: Some(Timestamp::from_second(9).unwrap()),
                ..RunState::default()
            },
            restart_count: 0,
            manually_stopped: false,
            anonymous_volumes: [("/data".to_owned(), "c".repeat(64))].into(),
            volumes_populated: true,
            volumes_from: vec![super::super::volumes_from::Inherited {
                destination: "/shared".into(),
                source: String::new(),
                volume: Some("v".into()),
                rw: false,
                mode: "z".into(),
                propagation: "rprivate".into(),
                subpath: "sub".into(),
            }],
            networks: None,
        };
        rec.save(dir.path()).expect("save");
        let back = Record::load(dir.path()).expect("load").expect("present");
        assert_eq!(back.created, rec.created);
        assert_eq!(back.state.status, ContainerStatus::Exited);
        assert_eq!(back.state.started_at, None);
        assert_eq!(back.state.finished_at, rec.state.finished_at);
        assert_eq!(back.volumes_from, rec.volumes_from);
        assert!(
            Record::load(&dir.path().join("none"))
                .expect("ok")
                .is_none()
        );
    }
}
