//! The monitor's life: detach from the daemon, create and start the container, serve it, record
//! its end.

use std::fs::File;
use std::io::BufRead;
use std::os::fd::OwnedFd;
use std::os::unix::net::UnixListener;
use std::path::Path;
use std::process::Stdio;
use std::time::Duration;

use jiff::Timestamp;
use nix::fcntl::{Flock, FlockArg, OFlag};
use nix::sys::signal::{SigHandler, SigSet, Signal};
use nix::sys::signalfd::{SfdFlags, SignalFd};
use nix::unistd::{ForkResult, Pid};

use super::event_loop::{Loop, Output, Stdin, accept_all, finish_clients};
use super::{MonitorArgs, Report, note, report, tty};
use crate::error::{Context, Error, Result};
use crate::logfile::{LogWriter, Stream};
use crate::logrotate::RotatingFile;
use crate::runc;
use crate::state::{ATTACH_SOCKET, CONSOLE_SOCKET, ContainerDir, ExitStatus, Started};

/// How long runc has to hand over the pty master after `runc create` returned.
const CONSOLE_TIMEOUT: Duration = Duration::from_secs(10);
/// How long attach clients get to take their last output after the container exited.
const CLIENT_FLUSH: Duration = Duration::from_secs(1);

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
    std::env::set_current_dir(dir.path()).on_path("entering", dir.path())?;
    let _lock = lock(&dir)?;
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

    let spec = oci_spec::runtime::Spec::load(dir.config())
        .map_err(|e| Error::Runtime(format!("loading {}: {e}", dir.config().display())))?;
    let is_tty = spec
        .process()
        .as_ref()
        .and_then(|p| p.terminal())
        .unwrap_or(false);
    let cgroups_path = spec.linux().as_ref().and_then(|l| l.cgroups_path().clone());

    // Bound before the container exists, so the daemon can attach before it starts. Relative
    // names (the monitor's cwd is the state directory) dodge the 108-byte socket path limit.
    remove_if_exists(Path::new(ATTACH_SOCKET))?;
    let listener = UnixListener::bind(ATTACH_SOCKET).on_path("binding", &dir.attach_socket())?;
    listener
        .set_nonblocking(true)
        .context("configuring the attach socket")?;

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
    let started = Started {
        pid: pid.as_raw(),
        monitor_pid: std::process::id() as i32,
        started_at: Timestamp::now(),
    };
    // From here on the process runs: no failure may make the monitor leave it unserved, so
    // problems are only noted.
    if let Err(e) = crate::state::write_json_atomic(&dir.started_file(), &started) {
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
    let mut event_loop = Loop {
        listener: &listener,
        clients,
        outputs: stdio.outputs,
        stdin: stdio.stdin,
        pty: stdio.pty,
        sigfd: &sigfd,
        init: pid,
        log: log.map(|f| LogWriter::with_format(f, args.log.format, args.log.attrs.clone())),
    };
    let (exit_code, signal) = event_loop.run();
    let mut clients = std::mem::take(&mut event_loop.clients);
    drop(event_loop);
    // Unlinked first, so that no connection can arrive after the last accept: connections
    // still waiting in the backlog would otherwise be reset instead of getting the exit frame.
    let _ = std::fs::remove_file(ATTACH_SOCKET);
    accept_all(&listener, &mut clients);

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

/// The container's stdio as the monitor holds it.
struct Stdio3 {
    outputs: Vec<Output>,
    stdin: Option<Stdin>,
    pty: Option<File>,
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
    let mut outputs = Vec::new();
    let mut stdin = None;
    let mut console = None;
    if is_tty {
        remove_if_exists(Path::new(CONSOLE_SOCKET))?;
        let path = dir.path().join(CONSOLE_SOCKET);
        console = Some(UnixListener::bind(CONSOLE_SOCKET).on_path("binding", &path)?);
        cmd.args(["--console-socket", CONSOLE_SOCKET]);
        cmd.stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null());
    } else {
        let (out_r, out_w) = pipe()?;
        let (err_r, err_w) = pipe()?;
        outputs.push(Output::new(File::from(out_r), Stream::Stdout));
        outputs.push(Output::new(File::from(err_r), Stream::Stderr));
        cmd.stdout(Stdio::from(out_w)).stderr(Stdio::from(err_w));
        if args.open_stdin {
            let (in_r, in_w) = pipe()?;
            stdin = Some(Stdin::new(File::from(in_w), false));
            cmd.stdin(Stdio::from(in_r));
        } else {
            cmd.stdin(Stdio::null());
        }
    }
    cmd.arg(&args.id);
    // `status` consumes nothing, so drop the command right after it: it holds the container's
    // ends of the pipes, which must not stay open in the monitor.
    let status = cmd.status().context("running runc create");
    drop(cmd);
    let status = status?;
    if !status.success() {
        let message = runc::last_error(&dir.runc_log())
            .unwrap_or_else(|| format!("runc create failed ({status})"));
        return Ok(Err(message));
    }
    let pid_text = std::fs::read_to_string(dir.pid_file()).on_path("reading", &dir.pid_file())?;
    let pid = pid_text.trim().parse::<i32>().map_err(|_| {
        Error::Runtime(format!(
            "runc wrote an invalid pid {pid_text:?} to {}",
            dir.pid_file().display()
        ))
    })?;
    let mut pty = None;
    if let Some(listener) = console {
        let master = tty::receive_master(&listener, CONSOLE_TIMEOUT);
        drop(listener);
        let _ = std::fs::remove_file(CONSOLE_SOCKET);
        let master = master?;
        set_nonblocking(&master)?;
        let copy = master.try_clone().context("duplicating the pty master")?;
        let resize = master.try_clone().context("duplicating the pty master")?;
        outputs.push(Output::new(master, Stream::Stdout));
        if args.open_stdin {
            stdin = Some(Stdin::new(copy, true));
        }
        pty = Some(resize);
    }
    for o in &outputs {
        set_nonblocking(&o.file)?;
    }
    if let Some(s) = &stdin {
        set_nonblocking(s.file())?;
    }
    Ok(Ok((
        Pid::from_raw(pid),
        Stdio3 {
            outputs,
            stdin,
            pty,
        },
    )))
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
fn wait_for_start() -> bool {
    let mut line = String::new();
    let go = std::io::stdin().lock().read_line(&mut line).is_ok() && line.trim() == "start";
    if let Ok(devnull) = File::open("/dev/null") {
        let _ = nix::unistd::dup2_stdin(&devnull);
    }
    go
}

/// Records a failed start in `exit.json`, reports it and removes what runc left.
fn start_failed(args: &MonitorArgs, dir: &ContainerDir, runtime_message: &str) -> Result<()> {
    let (exit_code, message) = runc::start_failure(runtime_message);
    note(&format!("container {} failed to start: {message}", args.id));
    cleanup(args);
    let status = ExitStatus {
        exit_code,
        signal: None,
        oom_killed: false,
        finished_at: Timestamp::now(),
        error: Some(message.clone()),
    };
    crate::state::write_json_atomic(&dir.exit_file(), &status)?;
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

fn remove_if_exists(path: &Path) -> Result<()> {
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
