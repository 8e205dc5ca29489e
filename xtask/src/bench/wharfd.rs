//! `wharfd` as a benchmark engine: each start gets a network namespace of its own (xtask's
//! [`NetNs`]) and a temp dir holding its data root, exec root, pidfile, socket and log.
//!
//! Its containers outlive it (each has a monitor process, as with dockerd's live-restore), so
//! stopping one removes its containers first, through the API, and then ends whatever a
//! failure left in its temp dir (runc containers, monitors, mounts: `testkit::cleanup::release_dir`).

use std::fs::File;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use nix::unistd::Pid;
use tempfile::TempDir;
use testkit::cleanup::{Reaping, has_exited, release_dir};

use super::engine::{Engine, Launcher, Running, Start};
use super::{client, interrupt, procs, scratch};
use crate::ns::NetNs;

/// How often the direct launcher polls `/_ping`.
const POLL: Duration = Duration::from_micros(500);
/// How long a start may take before it counts as failed.
const START_TIMEOUT: Duration = Duration::from_secs(30);

/// The release `wharfd` binary, and the peer recipe (for [`Launcher::Recipe`]).
pub struct Wharfd {
    bin: PathBuf,
    recipe: Option<PathBuf>,
}

impl Wharfd {
    /// An engine running `bin`; `recipe` is the peer recipe's directory when present.
    pub fn new(bin: PathBuf, recipe: Option<PathBuf>) -> Self {
        Wharfd { bin, recipe }
    }
}

/// A running `wharfd`; fields drop after [`Drop::drop`] removed its containers and stopped
/// it: namespace, then state.
struct Instance {
    pid: Option<Pid>,
    ready: Duration,
    sock: PathBuf,
    ns: NetNs,
    dir: TempDir,
}

impl Engine for Wharfd {
    fn name(&self) -> &'static str {
        "wharfd"
    }

    fn start(&self, how: &Start, data_root: Option<&Path>) -> Result<Box<dyn Running>> {
        let dir = scratch::tempdir("wharf-bench-")?;
        let ns = NetNs::new("bench")?;
        let mut d = Instance {
            pid: None,
            ready: Duration::ZERO,
            sock: dir.path().join("wharf.sock"),
            ns,
            dir,
        };
        let args = daemon_args(d.dir.path(), data_root, how.args);
        match how.launcher {
            Launcher::Direct => d.start_direct(&self.bin, &args)?,
            Launcher::Recipe => {
                let recipe = self
                    .recipe
                    .as_deref()
                    .context("the peer recipe is needed for this scenario")?;
                d.start_recipe(recipe, &self.bin, &args)?;
            }
        }
        Ok(Box::new(d))
    }
}

/// wharfd's flags for a start whose state all lives in `dir` (the data root too, unless
/// `data_root` names one): its defaults otherwise (the config file named does not exist, so
/// `/etc/wharf/daemon.json` is never read).
fn daemon_args(dir: &Path, data_root: Option<&Path>, extra: &[&str]) -> Vec<String> {
    let p = |name: &str| dir.join(name).display().to_string();
    let mut args = vec![
        "--data-root".into(),
        data_root.map_or_else(|| p("data"), |d| d.display().to_string()),
        "--exec-root".into(),
        p("exec"),
        "--pidfile".into(),
        p("wharf.pid"),
        "--config-file".into(),
        p("daemon.json"),
        "-H".into(),
        format!("unix://{}", p("wharf.sock")),
    ];
    args.extend(extra.iter().map(|a| a.to_string()));
    args
}

impl Instance {
    fn start_direct(&mut self, bin: &Path, args: &[String]) -> Result<()> {
        let log = File::create(self.dir.path().join("wharfd.log"))?;
        let mut cmd = self
            .ns
            .command(bin.to_str().context("binary path is UTF-8")?);
        cmd.args(args)
            .stdin(Stdio::null())
            .stdout(log.try_clone()?)
            .stderr(log)
            // Its own process group: the terminal's Ctrl-C reaches xtask only, which then
            // stops the daemon through this guard.
            .process_group(0);
        let t0 = Instant::now();
        let child = cmd.spawn().context("starting wharfd")?;
        // nsenter execs wharfd: the child's PID is the daemon's. It is reaped by PID, through
        // `procs`, so the `Child` handle is not kept.
        let pid = Pid::from_raw(i32::try_from(child.id()).context("pid fits in i32")?);
        self.pid = Some(pid);
        loop {
            if procs::ping(&self.sock) {
                self.ready = t0.elapsed();
                return Ok(());
            }
            interrupt::check()?;
            if has_exited(pid) {
                self.pid = None;
                bail!("wharfd exited before answering /_ping{}", self.log_tail());
            }
            if t0.elapsed() > START_TIMEOUT {
                bail!(
                    "wharfd did not answer /_ping within {START_TIMEOUT:?}{}",
                    self.log_tail()
                );
            }
            std::thread::sleep(POLL);
        }
    }

    /// Launches and times wharfd exactly as `dockerd.sh start` does dockerd, with the
    /// recipe's own shell functions.
    fn start_recipe(&mut self, recipe: &Path, bin: &Path, args: &[String]) -> Result<()> {
        const SCRIPT: &str = r#"set -u
. "$ANCHOR_DIR/lib/common.sh"
sock=$1; shift
t0=$(now_ns)
pid=$(ns_spawn "$NETNS" "$STATE/wharfd.log" "$@")
echo "pid=$pid"
ms=$(wait_ping "$sock" "$t0" 30 "$pid") || exit 1
echo "ping_ms=$ms"
"#;
        let out = Command::new("bash")
            .args(["-c", SCRIPT, "bench-wharfd"])
            .arg(&self.sock)
            .arg(bin)
            .args(args)
            .env("ANCHOR_DIR", recipe)
            .env("STATE", self.dir.path())
            .env("NETNS", &self.ns.name)
            .stdin(Stdio::null())
            .process_group(0)
            .output()
            .context("running the recipe's launcher")?;
        let stdout = String::from_utf8_lossy(&out.stdout);
        self.pid = field(&stdout, "pid").map(|p| Pid::from_raw(p as i32));
        let ms = field(&stdout, "ping_ms");
        interrupt::check()?;
        match ms {
            Some(ms) if out.status.success() => {
                self.ready = Duration::from_millis(ms);
                Ok(())
            }
            _ => bail!(
                "wharfd via the recipe did not answer /_ping ({}): {}{}",
                out.status,
                String::from_utf8_lossy(&out.stderr).trim(),
                self.log_tail()
            ),
        }
    }

    fn log_tail(&self) -> String {
        let log = std::fs::read_to_string(self.dir.path().join("wharfd.log")).unwrap_or_default();
        let lines: Vec<&str> = log.lines().collect();
        let tail = lines[lines.len().saturating_sub(15)..].join("\n");
        format!("; its log ends:\n{tail}")
    }
}

/// The number in a `name=N` line of a recipe's output.
pub fn field(out: &str, name: &str) -> Option<u64> {
    out.lines()
        .find_map(|l| l.strip_prefix(name)?.strip_prefix('='))
        .and_then(|v| v.trim().parse().ok())
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
        &self.ns.name
    }
}

impl Drop for Instance {
    fn drop(&mut self) {
        if let Some(pid) = self.pid {
            // Its containers would outlive it (their monitors do): they go first. A probe that
            // ran to the end left none; one that failed half way may have.
            if !has_exited(pid) {
                match client::remove_all_containers(&self.sock) {
                    Ok(0) => {}
                    Ok(n) => eprintln!("xtask bench: wharfd still had {n} containers: removed"),
                    Err(e) => eprintln!("xtask bench: removing wharfd's containers: {e:#}"),
                }
            }
            procs::stop_pid(pid, "wharfd", Duration::from_secs(15));
        }
        // The bench runs one wharfd at a time, under the default parent.
        release_dir(self.dir.path(), "/wharf", Reaping::Adopted);
        procs::kill_leftovers(&self.ns.name);
    }
}

#[cfg(test)]
mod tests {
    use super::field;

    #[test]
    fn recipe_fields_are_read() {
        let out = "pid=4242\nping_ms=305\n";
        assert_eq!(field(out, "pid"), Some(4242));
        assert_eq!(field(out, "ping_ms"), Some(305));
        assert_eq!(field(out, "rss"), None);
    }
}
