//! Running the real `wharfd` binary inside a test's network namespace.

use std::fs::File;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Output, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use nix::sys::signal::{Signal, kill};
use nix::unistd::Pid;
use tempfile::TempDir;

use crate::cleanup::{Reaping, release_dir};
use crate::netns::NetNs;
use crate::{DOCKER_CLI, DOCKER_PY_VAR, HttpResponse, request};

/// Where the `wharfd` binary is: `$WHARFD` if set, else next to the running test's target dir.
pub fn wharfd_binary() -> PathBuf {
    if let Some(p) = std::env::var_os("WHARFD") {
        return PathBuf::from(p);
    }
    // Test binaries live in target/<profile>/deps; the daemon binary in target/<profile>.
    let exe = std::env::current_exe().expect("the test binary has a path");
    let profile_dir = exe
        .parent()
        .and_then(Path::parent)
        .expect("test binaries live two levels below the target dir");
    profile_dir.join("wharfd")
}

/// Options for one `wharfd` run; every path defaults to a fresh temp dir.
#[derive(Debug)]
pub struct WharfdBuilder {
    bin: PathBuf,
    dir: Option<PathBuf>,
    args: Vec<String>,
    envs: Vec<(String, String)>,
    listen_fd: Option<std::os::fd::OwnedFd>,
}

impl WharfdBuilder {
    /// Runs `wharfd` with its state under `dir` (kept across restarts) instead of a new temp dir.
    pub fn dir(mut self, dir: &Path) -> Self {
        self.dir = Some(dir.to_path_buf());
        self
    }

    /// Adds command-line arguments after the test's own path flags.
    pub fn args<I, S>(mut self, args: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.args.extend(args.into_iter().map(Into::into));
        self
    }

    /// Sets an environment variable of the daemon (e.g. `NOTIFY_SOCKET`).
    pub fn env(mut self, key: &str, value: &str) -> Self {
        self.envs.push((key.to_owned(), value.to_owned()));
        self
    }

    /// Passes `fd` as descriptor 3 with `LISTEN_FDS=1` and `LISTEN_PID` the daemon's PID, as
    /// systemd passes a `.socket` unit's socket to its service.
    pub fn listen_fd(mut self, fd: std::os::fd::OwnedFd) -> Self {
        self.listen_fd = Some(fd);
        self
    }

    /// Starts the daemon in `ns` and waits until `/_ping` answers; fails (with the daemon's log)
    /// if it exits first or is not ready within 20 s.
    pub fn start(self, ns: &NetNs) -> Result<Wharfd> {
        let mut d = self.spawn(ns)?;
        d.wait_ready(Duration::from_secs(20))?;
        Ok(d)
    }

    /// Starts the daemon in `ns` without waiting for it.
    pub fn spawn(self, ns: &NetNs) -> Result<Wharfd> {
        let (tmp, dir) = match self.dir {
            Some(d) => (None, d),
            None => {
                let t = tempfile::Builder::new().prefix("wharf-test-").tempdir()?;
                let d = t.path().to_path_buf();
                (Some(t), d)
            }
        };
        let paths = Paths::under(&dir);
        let log = File::options()
            .create(true)
            .append(true)
            .open(&paths.log)
            .with_context(|| format!("opening {}", paths.log.display()))?;
        let bin = self.bin.to_str().context("binary path is UTF-8")?;
        let mut cmd = match &self.listen_fd {
            // The shell's PID is the daemon's after `exec`: LISTEN_PID must name the daemon.
            Some(_) => ns.command(
                "sh",
                &["-c", "LISTEN_PID=$$ LISTEN_FDS=1 exec \"$0\" \"$@\"", bin],
            ),
            None => ns.command(bin, &[]),
        };
        if let Some(fd) = &self.listen_fd {
            pass_as_fd3(&mut cmd, std::os::fd::AsRawFd::as_raw_fd(fd));
        }
        cmd.envs(self.envs.iter().map(|(k, v)| (k, v)));
        cmd.args(paths.flags())
            .args(&self.args)
            .stdin(Stdio::null())
            .stdout(log.try_clone()?)
            .stderr(log);
        let child = cmd.spawn().with_context(|| format!("starting {cmd:?}"))?;
        Ok(Wharfd {
            child: Some(child),
            paths,
            _tmp: tmp,
            dir,
        })
    }
}

/// Makes `fd` the child's descriptor 3, without close-on-exec.
fn pass_as_fd3(cmd: &mut Command, fd: std::os::fd::RawFd) {
    use std::os::unix::process::CommandExt;
    // SAFETY: the closure runs in the forked child before exec and calls only dup2 and fcntl,
    // which are async-signal-safe; `fd` stays open in the parent until the spawn returns.
    unsafe {
        cmd.pre_exec(move || {
            if fd == 3 {
                let flags = libc::fcntl(3, libc::F_GETFD);
                if flags < 0 || libc::fcntl(3, libc::F_SETFD, flags & !libc::FD_CLOEXEC) < 0 {
                    return Err(std::io::Error::last_os_error());
                }
            } else if libc::dup2(fd, 3) < 0 {
                return Err(std::io::Error::last_os_error());
            }
            Ok(())
        });
    }
}

/// The paths one test daemon uses, all under one directory.
#[derive(Debug, Clone)]
pub struct Paths {
    /// `--data-root`.
    pub data_root: PathBuf,
    /// `--exec-root`.
    pub exec_root: PathBuf,
    /// `--pidfile`.
    pub pidfile: PathBuf,
    /// The API socket (`-H unix://...`).
    pub sock: PathBuf,
    /// `--config-file` (absent unless a test writes it).
    pub config: PathBuf,
    /// Where the daemon's stdout and stderr go.
    pub log: PathBuf,
    /// `--cgroup-parent`: each test daemon's containers under a parent of its own, so that
    /// cleaning one up never races another test's containers.
    pub cgroup_parent: String,
}

impl Paths {
    fn under(dir: &Path) -> Self {
        Paths {
            data_root: dir.join("data"),
            exec_root: dir.join("exec"),
            pidfile: dir.join("wharf.pid"),
            sock: dir.join("wharf.sock"),
            config: dir.join("daemon.json"),
            log: dir.join("wharfd.log"),
            cgroup_parent: format!(
                "/wharf-test-{}",
                dir.file_name().map_or_else(
                    || std::process::id().to_string(),
                    |n| n.to_string_lossy().into_owned()
                )
            ),
        }
    }

    fn flags(&self) -> Vec<String> {
        vec![
            "--data-root".into(),
            self.data_root.display().to_string(),
            "--exec-root".into(),
            self.exec_root.display().to_string(),
            "--pidfile".into(),
            self.pidfile.display().to_string(),
            "-H".into(),
            format!("unix://{}", self.sock.display()),
            "--config-file".into(),
            self.config.display().to_string(),
            "--cgroup-parent".into(),
            self.cgroup_parent.clone(),
        ]
    }
}

/// A running (or exited) `wharfd`; killed with SIGKILL on drop if still running.
#[derive(Debug)]
pub struct Wharfd {
    child: Option<Child>,
    /// Every path this daemon uses.
    pub paths: Paths,
    dir: PathBuf,
    _tmp: Option<TempDir>,
}

impl Wharfd {
    /// A builder for the binary at `bin` (in the daemon's tests: `env!("CARGO_BIN_EXE_wharfd")`).
    pub fn builder(bin: impl Into<PathBuf>) -> WharfdBuilder {
        WharfdBuilder {
            bin: bin.into(),
            dir: None,
            args: Vec::new(),
            envs: Vec::new(),
            listen_fd: None,
        }
    }

    /// The directory that holds all of this daemon's state (reuse it to restart).
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The daemon's process ID.
    pub fn pid(&self) -> Option<u32> {
        self.child.as_ref().map(Child::id)
    }

    /// What the daemon has written to stdout and stderr so far.
    pub fn log(&self) -> String {
        std::fs::read_to_string(&self.paths.log).unwrap_or_default()
    }

    /// Waits until the socket answers `GET /_ping` with `OK`.
    pub fn wait_ready(&mut self, timeout: Duration) -> Result<()> {
        let deadline = Instant::now() + timeout;
        loop {
            if let Some(status) = self.try_wait()? {
                bail!(
                    "wharfd exited ({status}) before it was ready:\n{}",
                    self.log()
                );
            }
            if self.paths.sock.exists()
                && let Ok(r) = self.request("GET", "/_ping", None)
                && r.status == 200
            {
                return Ok(());
            }
            if Instant::now() > deadline {
                bail!("wharfd not ready after {timeout:?}:\n{}", self.log());
            }
            std::thread::sleep(Duration::from_millis(5));
        }
    }

    /// Sends one HTTP request to the daemon's socket.
    pub fn request(&self, method: &str, path: &str, body: Option<&[u8]>) -> Result<HttpResponse> {
        request(&self.paths.sock, method, path, body)
    }

    /// Runs the real Docker CLI against this daemon.
    pub fn docker(&self, args: &[&str]) -> Result<Output> {
        self.docker_command(args)
            .output()
            .context("running the docker CLI")
    }

    /// Runs the real Docker CLI against this daemon and returns its stdout; panics (a test
    /// failure) with its output and the daemon's log if it fails.
    pub fn docker_ok(&self, args: &[&str]) -> String {
        let text = |b: &[u8]| String::from_utf8_lossy(b).into_owned();
        let out = self.docker(args).expect("docker runs");
        assert!(
            out.status.success(),
            "docker {args:?} failed ({}): {}{}\n--- wharfd log:\n{}",
            out.status,
            text(&out.stdout),
            text(&out.stderr),
            self.log()
        );
        text(&out.stdout)
    }

    /// A Docker CLI command pointed at this daemon, to add environment or stdin to.
    pub fn docker_command(&self, args: &[&str]) -> Command {
        let mut cmd = Command::new(DOCKER_CLI);
        cmd.args(args)
            .env(
                "DOCKER_HOST",
                format!("unix://{}", self.paths.sock.display()),
            )
            .env("DOCKER_CONFIG", self.dir.join("docker-cli"))
            .env_remove("DOCKER_API_VERSION")
            .env_remove("DOCKER_CONTEXT");
        cmd
    }

    /// Runs a Python script with docker-py (the venv `cargo xtask test` makes, named by
    /// `WHARF_DOCKER_PY`) against this daemon: `DOCKER_HOST` points at its socket, so the
    /// script's `docker.from_env()` talks to it. A run without the variable fails, never skips.
    pub fn docker_py(&self, script: &str) -> Result<Output> {
        let python = std::env::var_os(DOCKER_PY_VAR).with_context(|| {
            format!("{DOCKER_PY_VAR} is not set: run the privileged tests with `cargo xtask test`")
        })?;
        Command::new(python)
            .args(["-c", script])
            .env(
                "DOCKER_HOST",
                format!("unix://{}", self.paths.sock.display()),
            )
            .env_remove("DOCKER_API_VERSION")
            .env_remove("DOCKER_TLS_VERIFY")
            .output()
            .context("running docker-py")
    }

    /// [`Wharfd::docker_py`] that must succeed: its stdout, or a test failure showing the
    /// script's output and the daemon's log.
    pub fn docker_py_ok(&self, script: &str) -> String {
        let text = |b: &[u8]| String::from_utf8_lossy(b).into_owned();
        let out = self.docker_py(script).expect("docker-py runs");
        assert!(
            out.status.success(),
            "docker-py script failed ({}):\n{script}\n--- stdout:\n{}--- stderr:\n{}\n--- wharfd log:\n{}",
            out.status,
            text(&out.stdout),
            text(&out.stderr),
            self.log()
        );
        text(&out.stdout)
    }

    /// Sends `signal` to the daemon.
    pub fn signal(&self, signal: Signal) -> Result<()> {
        let pid = self.pid().context("daemon already reaped")?;
        kill(Pid::from_raw(pid as i32), signal).context("signalling wharfd")?;
        Ok(())
    }

    /// Reaps the daemon if it has exited.
    pub fn try_wait(&mut self) -> Result<Option<ExitStatus>> {
        match self.child.as_mut() {
            Some(c) => Ok(c.try_wait()?),
            None => bail!("daemon already reaped"),
        }
    }

    /// Waits up to `timeout` for the daemon to exit and returns how it exited.
    pub fn wait_exit(&mut self, timeout: Duration) -> Result<ExitStatus> {
        let deadline = Instant::now() + timeout;
        loop {
            if let Some(status) = self.try_wait()? {
                self.child = None;
                return Ok(status);
            }
            if Instant::now() > deadline {
                bail!("wharfd still running after {timeout:?}:\n{}", self.log());
            }
            std::thread::sleep(Duration::from_millis(5));
        }
    }

    /// SIGTERM, then waits up to `timeout` for the exit.
    pub fn terminate(&mut self, timeout: Duration) -> Result<ExitStatus> {
        self.signal(Signal::SIGTERM)?;
        self.wait_exit(timeout)
    }

    /// SIGKILL and reap, as a crash would.
    pub fn kill(&mut self) -> Result<()> {
        self.signal(Signal::SIGKILL)?;
        self.wait_exit(Duration::from_secs(10))?;
        Ok(())
    }
}

impl Drop for Wharfd {
    fn drop(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
        // Only the daemon that made the directory cleans it: a restarted daemon shares it.
        if self._tmp.is_some() {
            // Test binaries wait for their own children: no reaping here.
            release_dir(&self.dir, &self.paths.cgroup_parent, Reaping::Never);
        }
    }
}
