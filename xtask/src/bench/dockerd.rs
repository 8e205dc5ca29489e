//! dockerd (Debian's `docker.io`) as a benchmark engine, run by the peer recipe
//! (`../shared/reference/peer-dockerd/dockerd.sh`): its own network namespace, all state in a
//! fresh temp dir, containerd managed by dockerd. The recipe measures launch-to-ping itself.

use std::fs::File;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

use anyhow::{Context, Result, bail, ensure};
use nix::unistd::Pid;
use tempfile::TempDir;

use super::engine::{Engine, Launcher, Running, Start};
use super::wharfd::field;
use super::{interrupt, procs, scratch};

/// The recipe at `recipe` (the `peer-dockerd` directory).
pub struct Dockerd {
    recipe: PathBuf,
}

impl Dockerd {
    /// An engine driven by the recipe in `recipe`.
    pub fn new(recipe: PathBuf) -> Self {
        Dockerd { recipe }
    }
}

/// A running dockerd; [`Drop::drop`] runs `dockerd.sh stop`, then the state dir goes.
struct Instance {
    script: PathBuf,
    netns: String,
    pid: Option<Pid>,
    ready: Duration,
    sock: PathBuf,
    state: TempDir,
}

impl Engine for Dockerd {
    fn name(&self) -> &'static str {
        "dockerd"
    }

    fn start(&self, how: &Start, data_root: Option<&Path>) -> Result<Box<dyn Running>> {
        ensure!(
            how.launcher == Launcher::Recipe,
            "dockerd is only launched by its recipe"
        );
        ensure!(
            data_root.is_none(),
            "dockerd starts on a fresh data root only (the recipe's FRESH=1)"
        );
        let state = scratch::tempdir("wharf-bench-dockerd-")?;
        // The guard exists before the recipe runs: whatever `start` leaves, `stop` removes.
        let mut d = Instance {
            script: self.recipe.join("dockerd.sh"),
            netns: format!("wharf-bench-d-{}", std::process::id()),
            pid: None,
            ready: Duration::ZERO,
            // dockerd.sh's SOCK.
            sock: state.path().join("docker.sock"),
            state,
        };
        let out = d
            .recipe("start")
            .env("FRESH", "1")
            .env("DOCKERD_EXTRA", how.args.join(" "))
            .stdin(Stdio::null())
            // Its own process group: Ctrl-C reaches xtask only, which lets the start finish
            // and then stops dockerd through this guard.
            .process_group(0)
            .output()
            .context("running dockerd.sh start")?;
        let stdout = String::from_utf8_lossy(&out.stdout);
        d.pid = field(&stdout, "pid").map(|p| Pid::from_raw(p as i32));
        interrupt::check()?;
        match field(&stdout, "ping_ms") {
            Some(ms) if out.status.success() && d.pid.is_some() => {
                d.ready = Duration::from_millis(ms);
                Ok(Box::new(d))
            }
            _ => bail!(
                "dockerd.sh start failed ({}):\n{}",
                out.status,
                String::from_utf8_lossy(&out.stderr).trim()
            ),
        }
    }
}

impl Instance {
    /// `dockerd.sh <action>` with this instance's environment.
    fn recipe(&self, action: &str) -> Command {
        let mut cmd = Command::new("bash");
        cmd.arg(&self.script)
            .arg(action)
            .env("STATE", self.state.path())
            .env("NETNS", &self.netns);
        cmd
    }

    fn stop(&mut self) -> Result<()> {
        let log_path = self.state.path().join("stop.log");
        let log = File::create(&log_path)?;
        let mut child = self
            .recipe("stop")
            .stdin(Stdio::null())
            .stdout(log.try_clone()?)
            .stderr(log)
            .process_group(0)
            .spawn()
            .context("running dockerd.sh stop")?;
        let status = procs::wait_reaping(&mut child, Duration::from_secs(180))?;
        let log = std::fs::read_to_string(&log_path).unwrap_or_default();
        // The recipe reports what it had to clean up by force; say so, it is worth knowing.
        for line in log.lines().filter(|l| {
            [
                "leftover",
                "and its child",
                "did not exit",
                "could not",
                "still has",
            ]
            .iter()
            .any(|w| l.contains(w))
        }) {
            eprintln!("xtask bench: dockerd.sh stop: {line}");
        }
        ensure!(
            status.success(),
            "dockerd.sh stop failed ({status}):\n{log}"
        );
        ensure!(
            !Path::new("/run/netns").join(&self.netns).exists(),
            "dockerd.sh stop left network namespace {} behind:\n{log}",
            self.netns
        );
        Ok(())
    }
}

impl Running for Instance {
    fn ready(&self) -> Duration {
        self.ready
    }

    fn pid(&self) -> Pid {
        self.pid.expect("a started instance has a pid")
    }

    fn socket(&self) -> &Path {
        &self.sock
    }

    fn netns(&self) -> &str {
        &self.netns
    }
}

impl Drop for Instance {
    fn drop(&mut self) {
        if let Err(e) = self.stop() {
            eprintln!("xtask bench: stopping dockerd: {e:#}");
        }
    }
}
