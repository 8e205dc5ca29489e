//! The PID file: claimed before anything else is touched, released last.
//!
//! Two guards make it safe: an exclusive `flock` on the file (two daemons started in the same
//! instant cannot both win) and, for a file whose lock is free, a look at the PID it names (a
//! live `wharfd` there is refused; anything else is stale and taken over). The file is never
//! truncated before the lock is held, so a refused daemon leaves the running one's file alone.

use std::fs::File;
use std::io::{Read, Seek, Write};
use std::os::unix::fs::{MetadataExt, OpenOptionsExt};
use std::path::{Path, PathBuf};

use nix::fcntl::{Flock, FlockArg};

/// Why the PID file could not be claimed.
#[derive(Debug, thiserror::Error)]
pub enum PidfileError {
    /// Another daemon holds it.
    #[error(
        "pid file found, ensure wharfd is not running or delete {path}: process {pid} holds it"
    )]
    Running {
        /// The PID file.
        path: PathBuf,
        /// The PID the file names.
        pid: String,
    },
    /// The file or its directory cannot be created or written.
    #[error("cannot claim pid file {path}: {source}")]
    Io {
        /// The PID file.
        path: PathBuf,
        /// The underlying failure.
        source: std::io::Error,
    },
}

/// A claimed PID file; removed (then unlocked) on drop.
#[derive(Debug)]
pub struct Pidfile {
    path: PathBuf,
    lock: Flock<File>,
}

impl Pidfile {
    /// Claims `path` for this process.
    pub fn claim(path: &Path) -> Result<Pidfile, PidfileError> {
        let io = |source: std::io::Error| PidfileError::Io {
            path: path.to_path_buf(),
            source,
        };
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).map_err(io)?;
        }
        loop {
            let file = File::options()
                .read(true)
                .write(true)
                .create(true)
                .truncate(false)
                .mode(0o644)
                .open(path)
                .map_err(io)?;
            let mut lock = match Flock::lock(file, FlockArg::LockExclusiveNonblock) {
                Ok(l) => l,
                Err((mut file, nix::errno::Errno::EWOULDBLOCK)) => {
                    return Err(PidfileError::Running {
                        path: path.to_path_buf(),
                        pid: read_pid(&mut file).unwrap_or_else(|| "unknown".into()),
                    });
                }
                Err((_, e)) => return Err(io(e.into())),
            };
            // The previous owner may have unlinked the file between our open and our lock:
            // then we hold a lock on a file nobody else can see, so start over.
            let ours = lock.metadata().map_err(io)?;
            match std::fs::metadata(path) {
                Ok(m) if m.ino() == ours.ino() && m.dev() == ours.dev() => {}
                _ => continue,
            }
            if let Some(pid) = read_pid(&mut lock)
                && is_live_wharfd(&pid)
            {
                return Err(PidfileError::Running {
                    path: path.to_path_buf(),
                    pid,
                });
            }
            lock.set_len(0).map_err(io)?;
            lock.rewind().map_err(io)?;
            writeln!(lock, "{}", std::process::id()).map_err(io)?;
            return Ok(Pidfile {
                path: path.to_path_buf(),
                lock,
            });
        }
    }
}

impl Drop for Pidfile {
    fn drop(&mut self) {
        // Unlink while still holding the lock; the lock goes when the file is closed.
        if let (Ok(m), Ok(ours)) = (std::fs::metadata(&self.path), self.lock.metadata())
            && m.ino() == ours.ino()
        {
            let _ = std::fs::remove_file(&self.path);
        }
    }
}

fn read_pid(file: &mut File) -> Option<String> {
    let mut text = String::new();
    file.rewind().ok()?;
    file.read_to_string(&mut text).ok()?;
    let pid = text.trim();
    (!pid.is_empty()).then(|| pid.to_owned())
}

/// A process with this PID exists, is not us, and is a `wharfd` (a reused PID is stale).
fn is_live_wharfd(pid: &str) -> bool {
    let Ok(n) = pid.parse::<u32>() else {
        return false;
    };
    if n == std::process::id() {
        return false;
    }
    std::fs::read_to_string(format!("/proc/{n}/comm")).is_ok_and(|c| c.trim() == "wharfd")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn claim_writes_our_pid_and_release_removes_the_file() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("sub/wharf.pid");
        let p = Pidfile::claim(&path).expect("claim");
        let text = std::fs::read_to_string(&path).expect("read");
        assert_eq!(text.trim(), std::process::id().to_string());
        drop(p);
        assert!(!path.exists());
    }

    #[test]
    fn a_held_file_is_refused_and_left_alone() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("wharf.pid");
        let first = Pidfile::claim(&path).expect("claim");
        let err = Pidfile::claim(&path).unwrap_err();
        assert!(matches!(err, PidfileError::Running { .. }), "{err}");
        assert!(err.to_string().contains(&path.display().to_string()));
        assert_eq!(
            std::fs::read_to_string(&path).expect("read").trim(),
            std::process::id().to_string()
        );
        drop(first);
    }

    #[test]
    fn a_stale_file_is_taken_over() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("wharf.pid");
        // PID 1 is alive but is not a wharfd: a stale file left by a killed daemon.
        std::fs::write(&path, "1\n").expect("write");
        let p = Pidfile::claim(&path).expect("stale file taken over");
        assert_eq!(
            std::fs::read_to_string(&path).expect("read").trim(),
            std::process::id().to_string()
        );
        drop(p);
    }
}
