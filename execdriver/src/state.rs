//! The files of a container's state directory, the records the monitor keeps there, and the
//! runtime (`runc` and its state root) that runs the container.

use jiff::Timestamp;
use std::io::Write;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::error::{Context, Error, Result};

/// The default OCI runtime: Debian's `runc`.
pub const DEFAULT_RUNTIME: &str = "/usr/sbin/runc";

/// An OCI runtime binary with its private state root (`runc --root`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Runtime {
    /// The runtime binary, e.g. `/usr/sbin/runc`.
    pub binary: PathBuf,
    /// Its state root (never the default `/run/runc`, so wharf sees only its own containers).
    pub root: PathBuf,
}

impl Runtime {
    /// Debian's `runc` with state under `root`.
    pub fn runc(root: impl Into<PathBuf>) -> Self {
        Runtime {
            binary: DEFAULT_RUNTIME.into(),
            root: root.into(),
        }
    }
}

/// A container's state directory: the bundle (`config.json`), the json-file log and the files
/// the monitor keeps. The rootfs lives elsewhere (`config.json` names it).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContainerDir {
    id: String,
    dir: PathBuf,
}

impl ContainerDir {
    /// The state directory `dir` of container `id`; `dir` should be absolute.
    pub fn new(id: impl Into<String>, dir: impl Into<PathBuf>) -> Self {
        ContainerDir {
            id: id.into(),
            dir: dir.into(),
        }
    }

    /// The container ID.
    pub fn id(&self) -> &str {
        &self.id
    }

    /// The directory itself (also the OCI bundle directory).
    pub fn path(&self) -> &Path {
        &self.dir
    }

    /// `config.json`, the OCI runtime spec.
    pub fn config(&self) -> PathBuf {
        self.dir.join("config.json")
    }

    /// The Docker `json-file` log, `<id>-json.log`.
    pub fn log(&self) -> PathBuf {
        self.dir.join(format!("{}-json.log", self.id))
    }

    /// `exit.json`: the [`ExitStatus`], written once the container is gone.
    pub fn exit_file(&self) -> PathBuf {
        self.dir.join("exit.json")
    }

    /// `started.json`: the [`Started`] record, written once the process runs.
    pub fn started_file(&self) -> PathBuf {
        self.dir.join("started.json")
    }

    /// `monitor.lock`: locked by the monitor for as long as it lives.
    pub fn lock_file(&self) -> PathBuf {
        self.dir.join("monitor.lock")
    }

    /// `monitor.log`: the monitor's own diagnostics (its stderr).
    pub fn monitor_log(&self) -> PathBuf {
        self.dir.join("monitor.log")
    }

    /// `attach.sock`: the monitor's socket for live output, stdin and resizes.
    pub fn attach_socket(&self) -> PathBuf {
        self.dir.join(ATTACH_SOCKET)
    }

    /// `runc.log`: runc's JSON log, where its error messages are read from.
    pub fn runc_log(&self) -> PathBuf {
        self.dir.join("runc.log")
    }

    /// `process.json`: an exec's OCI process, for `runc exec --process`.
    pub fn process_file(&self) -> PathBuf {
        self.dir.join("process.json")
    }

    /// `init.pid`: written by `runc create --pid-file` (`runc exec --pid-file` for an exec).
    pub fn pid_file(&self) -> PathBuf {
        self.dir.join("init.pid")
    }

    /// Reads `exit.json`, `None` when there is none yet.
    pub fn read_exit(&self) -> Result<Option<ExitStatus>> {
        read_json(&self.exit_file())
    }

    /// Reads `started.json`, `None` when there is none yet.
    pub fn read_started(&self) -> Result<Option<Started>> {
        read_json(&self.started_file())
    }
}

/// The attach socket's file name inside the state directory.
pub(crate) const ATTACH_SOCKET: &str = "attach.sock";
/// The console socket's file name inside the state directory (runc sends the pty master there).
pub(crate) const CONSOLE_SOCKET: &str = "console.sock";

/// How the container ended, as recorded by the monitor in `exit.json`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExitStatus {
    /// Docker's exit code: the process's status, 128 + N when killed by signal N, 127/126 when
    /// the command could not be found or executed, 128 when the start failed otherwise.
    pub exit_code: i32,
    /// The signal that killed the process, if one did.
    pub signal: Option<i32>,
    /// Whether the kernel's OOM killer killed a process of the container's cgroup.
    pub oom_killed: bool,
    /// When the process was reaped (or the start failed).
    pub finished_at: Timestamp,
    /// Why the container failed to start (the runtime's message), if it did.
    pub error: Option<String>,
}

/// The running container, as recorded by the monitor in `started.json`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Started {
    /// The container's init process, in the host's PID namespace.
    pub pid: i32,
    /// The monitor's PID.
    pub monitor_pid: i32,
    /// When `runc start` returned.
    pub started_at: Timestamp,
}

fn read_json<T: for<'de> Deserialize<'de>>(path: &Path) -> Result<Option<T>> {
    match std::fs::read(path) {
        Ok(bytes) => serde_json::from_slice(&bytes)
            .map(Some)
            .map_err(|e| Error::Runtime(format!("reading {}: {e}", path.display()))),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(Error::path("reading", path, e)),
    }
}

/// Writes `bytes` to `path` so that readers see the old file or the whole new one, also after a
/// crash: a temporary file in the same directory, fsync, rename (`persist`), fsync of the
/// directory. The temporary file is removed if any step fails.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<()> {
    replace(path, bytes, true)
}

/// Like [`write_atomic`] (readers see the old file or the whole new one), without the fsyncs:
/// for an exec's records, which a host crash makes moot anyway (its process is gone with it),
/// and which `docker exec`'s latency would otherwise pay for several times.
pub fn write_replacing(path: &Path, bytes: &[u8]) -> Result<()> {
    replace(path, bytes, false)
}

fn replace(path: &Path, bytes: &[u8], durable: bool) -> Result<()> {
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    let mut prefix = std::ffi::OsString::from(".");
    prefix.push(path.file_name().unwrap_or_default());
    prefix.push(".");
    let mut tmp = tempfile::Builder::new()
        .prefix(&prefix)
        .suffix(".tmp")
        // As `File::create`: the umask decides, not tempfile's private 0600.
        .permissions(std::fs::Permissions::from_mode(0o666))
        .tempfile_in(dir)
        .on_path("creating a temporary file in", dir)?;
    tmp.write_all(bytes)
        .and_then(|()| {
            if durable {
                tmp.as_file().sync_all()
            } else {
                Ok(())
            }
        })
        .on_path("writing", tmp.path())?;
    tmp.persist(path)
        .map_err(|e| e.error)
        .on_path("renaming into place", path)?;
    if !durable {
        return Ok(());
    }
    std::fs::File::open(dir)
        .and_then(|d| d.sync_all())
        .on_path("syncing", dir)
}

/// Writes `value` as JSON with [`write_atomic`].
pub(crate) fn write_json_atomic<T: Serialize>(path: &Path, value: &T) -> Result<()> {
    write_json(path, value, true)
}

/// Writes `value` as JSON with [`write_atomic`], or [`write_replacing`] when not `durable`.
pub(crate) fn write_json<T: Serialize>(path: &Path, value: &T, durable: bool) -> Result<()> {
    let bytes = serde_json::to_vec(value)
        .map_err(|e| Error::Runtime(format!("serialising {}: {e}", path.display())))?;
    replace(path, &bytes, durable)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exit_status_round_trips_through_json() {
        let dir = tempfile::tempdir().unwrap();
        let c = ContainerDir::new("abc", dir.path());
        assert_eq!(c.read_exit().unwrap(), None);
        let status = ExitStatus {
            exit_code: 137,
            signal: Some(9),
            oom_killed: false,
            finished_at: Timestamp::new(1_795_842_000, 5).unwrap(),
            error: None,
        };
        write_json_atomic(&c.exit_file(), &status).unwrap();
        let raw = std::fs::read_to_string(c.exit_file()).unwrap();
        assert!(
            raw.contains(r#""finished_at":"2026-11-28T05:00:00.000000005Z""#),
            "{raw}"
        );
        assert_eq!(c.read_exit().unwrap(), Some(status));
        // Records written before jiff, with all nine fraction digits, still read.
        let old = r#"{"exit_code":0,"signal":null,"oom_killed":false,"finished_at":"2026-11-28T05:00:00.120000000Z","error":null}"#;
        let old: ExitStatus = serde_json::from_str(old).unwrap();
        assert_eq!(
            old.finished_at,
            Timestamp::new(1_795_842_000, 120_000_000).unwrap()
        );
        assert_eq!(c.log(), dir.path().join("abc-json.log"));
        // Only the final file is left behind.
        let names: Vec<_> = std::fs::read_dir(dir.path()).unwrap().collect();
        assert_eq!(names.len(), 1);
    }

    #[test]
    fn atomic_writes_replace_and_keep_the_usual_mode() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("record.json");
        write_atomic(&p, b"old").unwrap();
        write_atomic(&p, b"new").unwrap();
        assert_eq!(std::fs::read(&p).unwrap(), b"new");
        // The mode `File::create` gives (0666 less the umask), not tempfile's 0600.
        let plain = dir.path().join("plain");
        std::fs::File::create(&plain).unwrap();
        let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode();
        assert_eq!(mode(&p), mode(&plain));
        assert!(write_atomic(&dir.path().join("missing/x.json"), b"x").is_err());
        let mut names: Vec<_> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        names.sort();
        assert_eq!(names, ["plain", "record.json"]);
    }
}
