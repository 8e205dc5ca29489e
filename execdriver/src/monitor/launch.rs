//! The monitor's life: detach from the daemon, create and start the container, serve it, record
//! its end.

use std::fs::File;
use std::io::BufRead;
use std::os::fd::OwnedFd;
use std::os::unix::net::UnixListener;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;

use jiff::Timestamp;
use nix::fcntl::{Flock, FlockArg, OFlag};
use nix::sys::signal::{SigHandler, SigSet, Signal};
use nix::sys::signalfd::{SfdFlags, SignalFd};
use nix::unistd::{ForkResult, Pid};

use super::event_loop::{Client, Loop, Output, Stdin, accept_all, finish_clients};
use super::{MonitorArgs, Report, note, report, tty};
use crate::error::{Context, Error, Result};
use crate::logfile::{LogWriter, Stream};
use crate::logrotate::RotatingFile;
use crate::runc;
use crate::state::{ATTACH_SOCKET, CONSOLE_SOCKET, ContainerDir, ExitStatus, Started};

/// How long runc has to hand over the pty master after `runc create` returned.
const CONSOLE_TIMEOUT: Duration = Duration::from_secs(10);
/// How long attach clients get to take their last output after the container exited.
pub(super) const CLIENT_FLUSH: Duration = Duration::from_secs(1);

/// Leaves the daemon: closes inherited descriptors, forks (the parent exits at once, so the
/// daemon's wait returns) and starts a new session.
pub(super) fn detach() -> std::result::Result<(), String> {
    let threads = std::fs::read_dir("/proc/self/task").map_or(1, Iterator::count);
    if threads != 1 {
        return Err(format!(
            "the monitor must start single-threaded, but {threads} threads run"
        ));
    }
    // SAFETY: no Rust object of this process owns a descriptor above 2 that is used again:
    // `monitor_main` runs first thing in `main` and never returns.
    unsafe { nix::libc::close_range(3, u32::MAX, 0) };
    // SAFETY: the process is single-threaded (checked above), so the child may run any code.
    match unsafe { nix::unistd::fork() } {
        Ok(ForkResult::Parent { .. }) => std::process::exit(0),
        Ok(ForkResult::Child) => {}
        Err(e) => return Err(format!("forking the monitor: {e}")),
    }
    nix::unistd::setsid().map_err(|e| format!("starting the monitor's session: {e}"))?;
    Ok(())
}

/// Everything after [`detach`].
pub(super) fn run(args: &MonitorArgs) -> Result<()> {
    let dir = args.dir();
    let (_lock, sigfd) = setup(&dir)?;

    let spec = oci_spec::runtime::Spec::load(dir.config())
        .map_err(|e| Error::Runtime(format!("loading {}: {e}", dir.config().display())))?;
    let is_tty = spec
        .process()
        .as_ref()
        .and_then(|p| p.terminal())
        .unwrap_or(false);
    let cgroups_path = spec.linux().as_ref().and_then(|l| l.cgroups_path().clone());

    let listener = bind_attach(&dir)?;
    // Opened before anything runs, so that a failure here cannot leave a container unserved.
    let log = match args.log.format.path(&dir) {
        Some(path) => Some(RotatingFile::open(&path, args.log.clone()).on_path("opening", &path)?),
        None => None,
    };

    let (pid, stdio) = match create(args, &dir, is_tty) {
        Ok(Ok(created)) => created,
        Ok(Err(runtime_message)) => return start_failed(args, &dir, &runtime_message),
        Err(e) => {
            cleanup(args);
            return Err(e);
        }
    };
    report::send(&Report::Created {
        pid: pid.as_raw(),
        monitor_pid: std::process::id() as i32,
    });
    if !wait_for_start() {
        note("the daemon went away before starting the container; deleting it");
        cleanup(args);
        return Ok(());
    }
    // The daemon's attach connections made before `start` must see the very first output.
    let mut clients = Vec::new();
    accept_all(&listener, &mut clients);

    let mut start = runc::command(&args.runtime, Some(&dir.runc_log()));
    start.args(["start", &args.id]);
    if let Err(e) = runc::run(start, "runc start", Some(&dir.runc_log())) {
        return start_failed(args, &dir, &e.to_string());
    }
    record_start(&dir, pid, true);
    let log = log.map(|f| LogWriter::with_format(f, args.log.format, args.log.attrs.clone()));
    let (exit_code, signal, mut clients) = serve(&listener, clients, stdio, &sigfd, pid, log);

    let oom_killed = cgroups_path.as_deref().is_some_and(oom_killed);
    if let Err(e) = runc::delete(&args.runtime, &args.id, true) {
        note(&format!("deleting container {}: {e}", args.id));
    }
    let status = ExitStatus {
        exit_code,
        signal,
        oom_killed,
        finished_at: Timestamp::now(),
        error: None,
    };
    crate::state::write_json_atomic(&dir.exit_file(), &status)?;
    finish_clients(&mut clients, &status, CLIENT_FLUSH);
    Ok(())
}

/// What every monitor does first: enter the state directory, take the monitor lock (held until
/// the process exits), remove the records of an earlier run, become a child subreaper and read
/// `SIGCHLD` from a signalfd.
pub(super) fn setup(dir: &ContainerDir) -> Result<(Flock<File>, SignalFd)> {
    std::env::set_current_dir(dir.path()).on_path("entering", dir.path())?;
    let lock = lock(dir)?;
    for stale in [dir.exit_file(), dir.started_file(), dir.pid_file()] {
        remove_if_exists(&stale)?;
    }
    nix::sys::prctl::set_child_subreaper(true).context("becoming a child subreaper")?;
    // Block SIGCHLD before the first child exists, so that no exit is missed: the loop reads
    // them from a signalfd. Spawned programs get an empty mask from std::process.
    let mut mask = SigSet::empty();
    mask.add(Signal::SIGCHLD);
    mask.thread_block().context("blocking SIGCHLD")?;
    let sigfd = SignalFd::with_flags(&mask, SfdFlags::SFD_NONBLOCK | SfdFlags::SFD_CLOEXEC)
        .context("creating a signalfd")?;
    // SAFETY: setting a signal to SIG_IGN installs no handler code.
    unsafe { nix::sys::signal::signal(Signal::SIGPIPE, SigHandler::SigIgn) }
        .context("ignoring SIGPIPE")?;
    Ok((lock, sigfd))
}

/// Binds the attach socket, before the process exists, so the daemon can attach before it
/// starts. Relative names (the monitor's cwd is the state directory) dodge the 108-byte socket
/// path limit.
pub(super) fn bind_attach(dir: &ContainerDir) -> Result<UnixListener> {
    remove_if_exists(Path::new(ATTACH_SOCKET))?;
    let listener = UnixListener::bind(ATTACH_SOCKET).on_path("binding", &dir.attach_socket())?;
    listener
        .set_nonblocking(true)
        .context("configuring the attach socket")?;
    Ok(listener)
}

/// Records that the process runs (`started.json`), reports it and detaches from the daemon's
/// report pipe. From here on the process runs: no failure may make the monitor leave it
/// unserved, so problems are only noted.
pub(super) fn record_start(dir: &ContainerDir, pid: Pid, durable: bool) {
    let started = Started {
        pid: pid.as_raw(),
        monitor_pid: std::process::id() as i32,
        started_at: Timestamp::now(),
    };
    if let Err(e) = crate::state::write_json(&dir.started_file(), &started, durable) {
        note(&format!("recording the start: {e}"));
    }
    report::send(&Report::Started {
        started_at: started.started_at,
    });
    // The daemon may come and go from now on: nothing of the monitor refers to it.
    match File::options().write(true).open("/dev/null") {
        Ok(devnull) => {
            if let Err(e) = nix::unistd::dup2_stdout(&devnull) {
                note(&format!("detaching stdout: {e}"));
            }
        }
        Err(e) => note(&format!("opening /dev/null: {e}")),
    }
}

/// Runs the loop on the process `pid` and its stdio until it was reaped and its output drained;
/// returns how it ended and the clients still connected, every one that was waiting accepted.
pub(super) fn serve(
    listener: &UnixListener,
    clients: Vec<Client>,
    stdio: Stdio3,
    sigfd: &SignalFd,
    pid: Pid,
    log: Option<LogWriter<RotatingFile>>,
) -> (i32, Option<i32>, Vec<Client>) {
    let mut event_loop = Loop {
        listener,
        clients,
        outputs: stdio.outputs,
        stdin: stdio.stdin,
        pty: stdio.pty,
        sigfd,
        init: pid,
        log,
    };
    let (exit_code, signal) = event_loop.run();
    let mut clients = std::mem::take(&mut event_loop.clients);
    drop(event_loop);
    // Unlinked first, so that no connection can arrive after the last accept: connections
    // still waiting in the backlog would otherwise be reset instead of getting the exit frame.
    let _ = std::fs::remove_file(ATTACH_SOCKET);
    accept_all(listener, &mut clients);
    (exit_code, signal, clients)
}

/// The process's stdio as the monitor holds it.
pub(super) struct Stdio3 {
    pub(super) outputs: Vec<Output>,
    pub(super) stdin: Option<Stdin>,
    pub(super) pty: Option<File>,
}

/// How the runtime is to hand over the process's stdio: pipes the monitor already holds the
/// other ends of, or (under a tty) a console socket on which runc sends the pty master.
pub(super) enum StdioPlan {
    /// stdout, stderr and maybe stdin pipes.
    Pipes(Stdio3),
    /// The console socket, listening.
    Console(UnixListener),
}

impl StdioPlan {
    /// Sets up `cmd` (a runc command that starts the process) with the process's stdio.
    pub(super) fn new(
        cmd: &mut Command,
        dir: &ContainerDir,
        is_tty: bool,
        open_stdin: bool,
    ) -> Result<Self> {
        if is_tty {
            remove_if_exists(Path::new(CONSOLE_SOCKET))?;
            let path = dir.path().join(CONSOLE_SOCKET);
            let console = UnixListener::bind(CONSOLE_SOCKET).on_path("binding", &path)?;
            cmd.args(["--console-socket", CONSOLE_SOCKET]);
            cmd.stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(Stdio::null());
            return Ok(StdioPlan::Console(console));
        }
        let (out_r, out_w) = pipe()?;
        let (err_r, err_w) = pipe()?;
        let outputs = vec![
            Output::new(File::from(out_r), Stream::Stdout),
            Output::new(File::from(err_r), Stream::Stderr),
        ];
        cmd.stdout(Stdio::from(out_w)).stderr(Stdio::from(err_w));
        let mut stdin = None;
        if open_stdin {
            let (in_r, in_w) = pipe()?;
            stdin = Some(Stdin::new(File::from(in_w), false));
            cmd.stdin(Stdio::from(in_r));
        } else {
            cmd.stdin(Stdio::null());
        }
        Ok(StdioPlan::Pipes(Stdio3 {
            outputs,
            stdin,
            pty: None,
        }))
    }

    /// The stdio once the runtime started the process: the pipes, or the pty master runc sent.
    /// Everything is made non-blocking for the loop.
    pub(super) fn finish(self, open_stdin: bool) -> Result<Stdio3> {
        match self {
            StdioPlan::Pipes(stdio) => stdio.nonblocking(),
            StdioPlan::Console(listener) => {
                let master = tty::receive_master(&listener, CONSOLE_TIMEOUT);
                drop(listener);
                let _ = std::fs::remove_file(CONSOLE_SOCKET);
                Stdio3::pty(master?, open_stdin)
            }
        }
    }
}

impl Stdio3 {
    /// The stdio of a process on the pty whose master is `master`: its output, its input
    /// when `open_stdin`, and resizes all go through the master. Non-blocking.
    pub(super) fn pty(master: File, open_stdin: bool) -> Result<Stdio3> {
        let copy = master.try_clone().context("duplicating the pty master")?;
        let resize = master.try_clone().context("duplicating the pty master")?;
        Stdio3 {
            outputs: vec![Output::new(master, Stream::Stdout)],
            stdin: open_stdin.then(|| Stdin::new(copy, true)),
            pty: Some(resize),
        }
        .nonblocking()
    }

    /// The stdio of a process on pipes: the read ends of stdout and stderr, the write end of
    /// stdin. Non-blocking.
    pub(super) fn pipes(stdout: File, stderr: File, stdin: Option<File>) -> Result<Stdio3> {
        Stdio3 {
            outputs: vec![
                Output::new(stdout, Stream::Stdout),
                Output::new(stderr, Stream::Stderr),
            ],
            stdin: stdin.map(|f| Stdin::new(f, false)),
            pty: None,
        }
        .nonblocking()
    }

    fn nonblocking(self) -> Result<Stdio3> {
        for o in &self.outputs {
            set_nonblocking(&o.file)?;
        }
        if let Some(s) = &self.stdin {
            set_nonblocking(s.file())?;
        }
        if let Some(p) = &self.pty {
            set_nonblocking(p)?;
        }
        Ok(self)
    }
}

/// `runc create`, with pipes or a console socket: the init process's PID and the stdio, or
/// runc's message when it could not create the container's process.
fn create(
    args: &MonitorArgs,
    dir: &ContainerDir,
    is_tty: bool,
) -> Result<std::result::Result<(Pid, Stdio3), String>> {
    File::create(dir.runc_log()).on_path("creating", &dir.runc_log())?;
    let mut cmd = runc::command(&args.runtime, Some(&dir.runc_log()));
    cmd.args(["create", "--bundle"])
        .arg(dir.path())
        .arg("--pid-file")
        .arg(dir.pid_file());
    let plan = StdioPlan::new(&mut cmd, dir, is_tty, args.open_stdin)?;
    cmd.arg(&args.id);
    let pid = match run_for_pid(cmd, dir, "runc create")? {
        Ok(pid) => pid,
        Err(message) => return Ok(Err(message)),
    };
    Ok(Ok((pid, plan.finish(args.open_stdin)?)))
}

/// Runs `cmd` (a runc command with `--pid-file`) to its end: the PID runc wrote, or runc's
/// message when it failed.
pub(super) fn run_for_pid(
    mut cmd: Command,
    dir: &ContainerDir,
    what: &str,
) -> Result<std::result::Result<Pid, String>> {
    // `status` consumes nothing, so drop the command right after it: it holds the process's
    // ends of the pipes, which must not stay open in the monitor.
    let status = cmd.status().context(format!("running {what}"));
    drop(cmd);
    let status = status?;
    if !status.success() {
        let message = runc::last_error(&dir.runc_log())
            .unwrap_or_else(|| format!("{what} failed ({status})"));
        return Ok(Err(message));
    }
    let pid_text = std::fs::read_to_string(dir.pid_file()).on_path("reading", &dir.pid_file())?;
    let pid = pid_text.trim().parse::<i32>().map_err(|_| {
        Error::Runtime(format!(
            "runc wrote an invalid pid {pid_text:?} to {}",
            dir.pid_file().display()
        ))
    })?;
    Ok(Ok(Pid::from_raw(pid)))
}

fn pipe() -> Result<(OwnedFd, OwnedFd)> {
    nix::unistd::pipe2(OFlag::O_CLOEXEC).context("creating a pipe")
}

fn set_nonblocking(f: &File) -> Result<()> {
    use nix::fcntl::{FcntlArg, fcntl};
    let flags = fcntl(f, FcntlArg::F_GETFL).context("reading descriptor flags")?;
    let flags = OFlag::from_bits_truncate(flags) | OFlag::O_NONBLOCK;
    fcntl(f, FcntlArg::F_SETFL(flags)).context("setting O_NONBLOCK")?;
    Ok(())
}

/// Waits for the daemon's `start` line on stdin; false on EOF or anything else.
pub(super) fn wait_for_start() -> bool {
    let mut line = String::new();
    let go = std::io::stdin().lock().read_line(&mut line).is_ok() && line.trim() == "start";
    if let Ok(devnull) = File::open("/dev/null") {
        let _ = nix::unistd::dup2_stdin(&devnull);
    }
    go
}

/// Removes what runc left of a container that failed to start, then records the failure.
fn start_failed(args: &MonitorArgs, dir: &ContainerDir, runtime_message: &str) -> Result<()> {
    cleanup(args);
    record_failure(
        dir,
        &format!("container {}", args.id),
        runtime_message,
        true,
    )
}

/// Records a failed start in `exit.json` (with dockerd's exit code for runc's message) and
/// reports it; `what` names the process in the monitor's log.
pub(super) fn record_failure(
    dir: &ContainerDir,
    what: &str,
    runtime_message: &str,
    durable: bool,
) -> Result<()> {
    let (exit_code, message) = runc::start_failure(runtime_message);
    note(&format!("{what} failed to start: {message}"));
    let status = ExitStatus {
        exit_code,
        signal: None,
        oom_killed: false,
        finished_at: Timestamp::now(),
        error: Some(message.clone()),
    };
    crate::state::write_json(&dir.exit_file(), &status, durable)?;
    report::send(&Report::StartFailed { exit_code, message });
    Ok(())
}

/// Kills and deletes whatever runc has of the container, and removes the sockets.
fn cleanup(args: &MonitorArgs) {
    if let Err(e) = runc::delete(&args.runtime, &args.id, true) {
        note(&format!("deleting container {}: {e}", args.id));
    }
    let _ = std::fs::remove_file(ATTACH_SOCKET);
    let _ = std::fs::remove_file(CONSOLE_SOCKET);
}

/// Takes the monitor lock, held until the process exits.
fn lock(dir: &ContainerDir) -> Result<Flock<File>> {
    let path = dir.lock_file();
    let file = File::options()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&path)
        .on_path("opening", &path)?;
    Flock::lock(file, FlockArg::LockExclusiveNonblock).map_err(|(_, errno)| {
        if errno == nix::errno::Errno::EWOULDBLOCK {
            Error::Conflict(format!(
                "container {} already has a running monitor",
                dir.id()
            ))
        } else {
            Error::path("locking", &path, errno)
        }
    })
}

pub(super) fn remove_if_exists(path: &Path) -> Result<()> {
    match std::fs::remove_file(path) {
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(Error::path("removing", path, e)),
        _ => Ok(()),
    }
}

/// Whether the OOM killer killed a process in the container's cgroup (v1 `memory.oom_control`
/// or v2 `memory.events`, both with an `oom_kill` counter).
fn oom_killed(cgroups_path: &Path) -> bool {
    let rel = cgroups_path.strip_prefix("/").unwrap_or(cgroups_path);
    let candidates = [
        Path::new("/sys/fs/cgroup/memory")
            .join(rel)
            .join("memory.oom_control"),
        Path::new("/sys/fs/cgroup").join(rel).join("memory.events"),
    ];
    candidates.iter().any(|p| {
        std::fs::read_to_string(p).is_ok_and(|text| {
            text.lines().any(|l| {
                l.strip_prefix("oom_kill ")
                    .and_then(|n| n.trim().parse::<u64>().ok())
                    .is_some_and(|n| n > 0)
            })
        })
    })
}
