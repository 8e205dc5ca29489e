//! A local registry for the pull and push rows: Debian's `docker-registry` (distribution 2.8)
//! serving one storage directory on [`ADDR`] inside a network namespace of the bench's (a
//! daemon's own, or one made to fill the storage), never the host's. It is stopped by its PID
//! when the guard drops, before the daemon whose namespace it shares.

use std::fs::File;
use std::net::TcpStream;
use std::os::unix::process::CommandExt;
use std::path::Path;
use std::process::{Child, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use nix::sys::signal::{Signal, kill};
use nix::unistd::Pid;
use tempfile::TempDir;

use super::super::{interrupt, scratch};
use crate::ns;

/// Debian's registry binary (package `docker-registry`).
pub const REGISTRY: &str = "/usr/bin/docker-registry";
/// Where it listens, on the loopback of the namespace it runs in. Both daemons treat
/// 127.0.0.0/8 as an insecure registry by default, so they speak plain HTTP to it.
pub const ADDR: &str = "127.0.0.1:5000";
/// How long it may take to listen.
const START_TIMEOUT: Duration = Duration::from_secs(15);
/// How long it has to exit after SIGTERM before SIGKILL.
const STOP_GRACE: Duration = Duration::from_secs(5);

/// What the registry may do to its storage.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// Serve what is there and refuse uploads (distribution's read-only maintenance mode):
    /// one filled storage serves every pull of the bench, unchanged.
    ReadOnly,
    /// Accept pushes.
    ReadWrite,
}

/// A running registry; stopped by PID on drop.
pub struct Server {
    child: Option<Child>,
    netns: String,
    /// Its config and log.
    dir: TempDir,
}

impl Server {
    /// Starts a registry on `storage` in the namespace named `netns` and waits until it
    /// accepts connections there.
    pub fn start(netns: &str, storage: &Path, access: Access) -> Result<Server> {
        let dir = scratch::tempdir("wharf-bench-registry-")?;
        let config = dir.path().join("config.yml");
        std::fs::write(&config, config_yaml(storage, access))
            .with_context(|| format!("writing {}", config.display()))?;
        let log = File::create(dir.path().join("registry.log"))?;
        let child = ns::command_in(netns, REGISTRY)
            .arg("serve")
            .arg(&config)
            .stdin(Stdio::null())
            .stdout(log.try_clone()?)
            .stderr(log)
            // Its own process group: Ctrl-C reaches xtask only, which stops it by PID.
            .process_group(0)
            .spawn()
            .with_context(|| format!("starting {REGISTRY} in {netns}"))?;
        let mut server = Server {
            child: Some(child),
            netns: netns.to_string(),
            dir,
        };
        server.wait_ready()?;
        Ok(server)
    }

    fn wait_ready(&mut self) -> Result<()> {
        let t0 = Instant::now();
        loop {
            if let Some(child) = self.child.as_mut()
                && let Some(status) = child.try_wait()?
            {
                self.child = None;
                bail!("docker-registry exited ({status}):\n{}", self.log());
            }
            if listening(&self.netns)? {
                return Ok(());
            }
            interrupt::check()?;
            if t0.elapsed() > START_TIMEOUT {
                bail!(
                    "docker-registry not listening on {ADDR} in {} after {START_TIMEOUT:?}:\n{}",
                    self.netns,
                    self.log()
                );
            }
            std::thread::sleep(Duration::from_millis(10));
        }
    }

    /// The registry's PID (nsenter execs it), while it runs.
    pub fn pid(&self) -> Option<Pid> {
        let id = self.child.as_ref()?.id();
        Some(Pid::from_raw(i32::try_from(id).ok()?))
    }

    /// Its log so far (warnings and errors only).
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("registry.log")).unwrap_or_default()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let Some(mut child) = self.child.take() else {
            return;
        };
        // nsenter with `--net` alone execs the registry: this PID is the registry's.
        if let Ok(pid) = i32::try_from(child.id()) {
            let _ = kill(Pid::from_raw(pid), Signal::SIGTERM);
        }
        let deadline = Instant::now() + STOP_GRACE;
        while Instant::now() < deadline {
            if let Ok(Some(_)) = child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(10));
        }
        eprintln!("xtask bench: docker-registry ignored SIGTERM for {STOP_GRACE:?}, SIGKILL");
        let _ = child.kill();
        let _ = child.wait();
    }
}

/// The registry's configuration: the filesystem driver on `storage`, no access log (so the
/// log costs nothing per request), no background upload purging.
fn config_yaml(storage: &Path, access: Access) -> String {
    format!(
        "version: 0.1\n\
         log:\n  level: warn\n  accesslog:\n    disabled: true\n\
         storage:\n  filesystem:\n    rootdirectory: {}\n  \
         maintenance:\n    uploadpurging:\n      enabled: false\n    readonly:\n      enabled: {}\n\
         http:\n  addr: {ADDR}\n  secret: wharf-bench-secret\n",
        storage.display(),
        access == Access::ReadOnly
    )
}

/// Whether something accepts connections on [`ADDR`] in the namespace named `netns`, tried
/// from a thread that entered it (`setns` acts on the calling thread only).
fn listening(netns: &str) -> Result<bool> {
    let path = ns::path_of(netns);
    std::thread::scope(|s| {
        s.spawn(|| -> Result<bool> {
            let file = File::open(&path).with_context(|| format!("opening {}", path.display()))?;
            nix::sched::setns(&file, nix::sched::CloneFlags::CLONE_NEWNET)
                .with_context(|| format!("entering {}", path.display()))?;
            Ok(TcpStream::connect(ADDR).is_ok())
        })
        .join()
        .map_err(|_| anyhow::anyhow!("the thread probing {ADDR} in {netns} panicked"))?
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn read_only_storage_is_said_in_the_config() {
        let ro = config_yaml(Path::new("/s"), Access::ReadOnly);
        assert!(ro.contains("rootdirectory: /s\n"), "{ro}");
        assert!(ro.contains("readonly:\n      enabled: true\n"), "{ro}");
        assert!(ro.contains("addr: 127.0.0.1:5000\n"), "{ro}");
        let rw = config_yaml(Path::new("/s"), Access::ReadWrite);
        assert!(rw.contains("readonly:\n      enabled: false\n"), "{rw}");
    }
}
