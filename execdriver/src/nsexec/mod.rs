//! `docker exec` without `runc exec`: the exec's monitor starts the process in the running
//! container itself, doing what runc's `setns` path does (`nsexec.c`, `setns_init_linux.go`,
//! `finalizeNamespace`), in a fraction of the time (runc is two Go start-ups per exec).
//!
//! [`prepare`] gathers everything before any fork: runc's `state.json` (the init process,
//! checked against PID reuse, and the cgroup directories), the container's namespaces (opened
//! before any `setns`: those it does not share with the monitor), `cgroup.procs` of each
//! cgroup, the rlimits, `oom_score_adj`, the capability sets, the user and groups, `HOME` from
//! the container's `/etc/passwd` when the environment has none, the seccomp filter compiled to
//! BPF with libseccomp (see the `seccomp` module), the candidates of the `PATH` look-up, the
//! argument and environment strings, and the stdio (pipes, or a pty opened in the container's
//! own devpts). [`start`] then forks; see the `child` module for what the children do, in
//! runc's order, and the monitor reads their reports: the process's PID, or the step that
//! failed, which becomes runc's message for it (so the daemon maps it to dockerd's words and
//! exit codes as before). Nothing starts half way: a failure before `execve` ends the process.
//!
//! `runc exec` is used instead (the fallback) when any of these holds: the runtime is not
//! `runc` (`--add-runtime` with another binary name), the monitor is not root, the process has
//! an AppArmor profile, an SELinux label, an I/O priority or a scheduler, the container has a
//! user namespace (in its bundle or as seen from its init process), a personality or Intel
//! RDT, its seccomp profile has a listener, a notify action or filter flags, libseccomp.so.2
//! cannot be loaded, the environment has an entry runc would refuse, or runc's state of the
//! container cannot be read (runc then gives the exec its error).
//!
//! Known difference: runc prefixes its filter with a stub that answers `ENOSYS` for syscalls
//! newer than any the profile names; the native filter is libseccomp's own, which answers
//! those with the profile's default action.

mod child;
mod runc_state;
mod seccomp;

use std::ffi::CString;
use std::fs::File;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::path::{Path, PathBuf};

use nix::fcntl::OFlag;
use nix::libc;
use nix::sys::stat::Mode;
use nix::unistd::{ForkResult, Pid};
use oci_spec::runtime::{LinuxNamespaceType, Process, Spec};

use crate::error::{Context, Error, Result};
use crate::state::Runtime;
use child::{CapSets, ChildStdio, Plan, Record, Stage};

/// The container's compiled seccomp filter, in its bundle directory.
const SECCOMP_CACHE: &str = "seccomp.bpf";

/// runc's words around every error of an exec's start.
const PREFIX: &str = "exec failed: unable to start container process: ";

/// The monitor's ends of the process's stdio.
pub(crate) enum MonitorStdio {
    /// The pty's master side.
    Pty(File),
    /// The read ends of stdout and stderr, and the write end of stdin with `-i`.
    Pipes {
        /// The process's stdout.
        stdout: File,
        /// The process's stderr.
        stderr: File,
        /// The process's stdin, when it is open.
        stdin: Option<File>,
    },
}

/// An exec ready to fork, see [`start`].
pub(crate) struct Native {
    plan: Plan,
    monitor_stdio: MonitorStdio,
    /// For the messages: `args[0]`, the working directory, the cgroup directories and the
    /// namespace files, in the plan's order.
    arg0: String,
    cwd: String,
    cgroups: Vec<PathBuf>,
    namespaces: Vec<PathBuf>,
    candidates: Vec<String>,
}

/// The container `id`'s exec `process`, prepared for [`start`]; the reason to use `runc exec`
/// instead when the native path cannot do exactly what runc would.
pub(crate) fn prepare(
    runtime: &Runtime,
    id: &str,
    bundle: &Path,
    process: &Process,
    open_stdin: bool,
) -> std::result::Result<Native, String> {
    if runtime.binary.file_name() != Some(std::ffi::OsStr::new("runc")) {
        return Err(format!(
            "the runtime {} is not runc",
            runtime.binary.display()
        ));
    }
    if !nix::unistd::geteuid().is_root() {
        return Err("the monitor is not root".to_owned());
    }
    refuse_process(process)?;
    let spec = Spec::load(bundle.join("config.json"))
        .map_err(|e| format!("loading {}/config.json: {e}", bundle.display()))?;
    let linux = spec.linux().clone().unwrap_or_default();
    if linux
        .namespaces()
        .iter()
        .flatten()
        .any(|n| n.typ() == LinuxNamespaceType::User)
    {
        return Err("the container has a user namespace".to_owned());
    }
    if linux.personality().is_some() {
        return Err("the container has a personality".to_owned());
    }
    if linux.intel_rdt().is_some() {
        return Err("the container has Intel RDT settings".to_owned());
    }
    let seccomp = match linux.seccomp() {
        Some(s) => Some(
            seccomp::compile_cached(s, &bundle.join(SECCOMP_CACHE)).map_err(|e| match e {
                seccomp::NotNative::Fallback(why) | seccomp::NotNative::Failed(why) => why,
            })?,
        ),
        None => None,
    };
    let state = runc_state::read(runtime, id)?;
    let init = Path::new("/proc").join(state.init_pid.to_string());
    if !same_namespace(&init, "user") {
        return Err("the container's init is in another user namespace".to_owned());
    }
    let (namespaces, ns_paths) = open_namespaces(&init)?;
    let mut cgroup_procs = Vec::new();
    for dir in &state.cgroup_paths {
        let path = dir.join("cgroup.procs");
        let fd = nix::fcntl::open(&path, OFlag::O_WRONLY | OFlag::O_CLOEXEC, Mode::empty())
            .map_err(|e| format!("opening {}: {e}", path.display()))?;
        cgroup_procs.push(fd);
    }

    let args = process.args().clone().unwrap_or_default();
    let arg0 = args.first().cloned().ok_or("the exec has no command")?;
    let env = environment(process, &init)?;
    let cwd = process.cwd().to_string_lossy().into_owned();
    let user = process.user();
    let argv_owned = c_strings(&args)?;
    let env_owned = c_strings(&env)?;
    let candidates = candidates(&arg0, &env);
    let candidates_c = c_strings(&candidates)?;
    let (child_stdio, monitor_stdio) =
        stdio(&init, process, open_stdin).map_err(|e| e.to_string())?;
    let mut plan = Plan {
        cgroup_procs,
        rlimits: rlimits(process)?,
        oom_score_adj: process.oom_score_adj().map(|n| n.to_string().into_bytes()),
        namespaces,
        keyring: CString::new(format!("_ses.{id}")).map_err(|e| e.to_string())?,
        stdio: child_stdio,
        no_new_privs: process.no_new_privileges().unwrap_or(false),
        umask: user.umask(),
        seccomp,
        cwd: CString::new(cwd.as_bytes()).map_err(|e| e.to_string())?,
        caps: cap_sets(process),
        uid: user.uid(),
        gid: user.gid(),
        groups: user.additional_gids().clone().unwrap_or_default(),
        has_slash: arg0.contains('/'),
        candidates: candidates_c,
        argv: Vec::new(),
        envp: Vec::new(),
        argv_owned,
        env_owned,
    };
    plan.argv = null_terminated(&plan.argv_owned);
    plan.envp = null_terminated(&plan.env_owned);
    Ok(Native {
        plan,
        monitor_stdio,
        arg0,
        cwd,
        cgroups: state.cgroup_paths,
        namespaces: ns_paths,
        candidates,
    })
}

/// Starts the prepared process: its host PID (also written to `pid_file`, as runc's
/// `--pid-file`) and the monitor's ends of its stdio, or runc's message for the step that
/// failed.
pub(crate) fn start(
    native: Native,
    pid_file: &Path,
) -> Result<std::result::Result<(Pid, MonitorStdio), String>> {
    let Native {
        plan,
        monitor_stdio,
        arg0,
        cwd,
        cgroups,
        namespaces,
        candidates,
    } = native;
    let (status_r, status_w) =
        nix::unistd::pipe2(OFlag::O_CLOEXEC).context("creating the exec's status pipe")?;
    // SAFETY: the monitor is single-threaded (checked when it detached), and the child only
    // runs `child::intermediate`, which makes raw system calls on data prepared above.
    let first = match unsafe { nix::unistd::fork() }.context("forking the exec's process")? {
        // SAFETY: the child of a fork of a single-threaded process.
        ForkResult::Child => unsafe { child::intermediate(&plan, status_w.as_raw_fd()) },
        ForkResult::Parent { child } => child,
    };
    drop(status_w);
    // The children's ends of everything close here: only the process keeps them.
    drop(plan);
    let mut pid = None;
    let mut failure = None;
    let mut file = File::from(status_r);
    loop {
        let mut buf = [0u8; std::mem::size_of::<Record>()];
        match std::io::Read::read_exact(&mut file, &mut buf) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::UnexpectedEof => break,
            Err(e) => return Err(Error::io("reading the exec's status pipe", e)),
        }
        // SAFETY: `Record` is plain `repr(C)` integers, valid for any bytes.
        let record: Record = unsafe { std::ptr::read_unaligned(buf.as_ptr().cast()) };
        if record.stage == child::PID {
            pid = Some(Pid::from_raw(record.value));
        } else if failure.is_none() {
            failure = Some(record);
        }
    }
    let _ = nix::sys::wait::waitpid(first, None);
    if let Some(record) = failure {
        if let Some(pid) = pid {
            // The process reported and exits; it is the monitor's child by now.
            let _ = nix::sys::wait::waitpid(pid, None);
        }
        let what = Failed {
            first: first.as_raw(),
            arg0: &arg0,
            cwd: &cwd,
            cgroups: &cgroups,
            namespaces: &namespaces,
            candidates: &candidates,
        };
        return Ok(Err(format!("{PREFIX}{}", what.message(record))));
    }
    let Some(pid) = pid else {
        return Ok(Err(format!("{PREFIX}the exec's process reported no pid")));
    };
    crate::state::write_replacing(pid_file, pid.as_raw().to_string().as_bytes())?;
    Ok(Ok((pid, monitor_stdio)))
}

/// What a failure's message names.
struct Failed<'a> {
    first: i32,
    arg0: &'a str,
    cwd: &'a str,
    cgroups: &'a [PathBuf],
    namespaces: &'a [PathBuf],
    candidates: &'a [String],
}

impl Failed<'_> {
    /// runc's message for the failed step (after runc's common prefix).
    fn message(&self, r: Record) -> String {
        let err = seccomp::errno_text(r.errno);
        let nth = |paths: &[PathBuf]| {
            usize::try_from(r.value)
                .ok()
                .and_then(|i| paths.get(i))
                .map(|p| p.display().to_string())
                .unwrap_or_default()
        };
        let arg0 = self.arg0;
        match Stage::from_raw(r.stage) {
            Some(Stage::Cgroup) => format!(
                "error adding pid {} to cgroups: failed to write 0 to {}/cgroup.procs: {err}",
                self.first,
                nth(self.cgroups)
            ),
            Some(Stage::Rlimit) => {
                format!("error setting rlimits for process: error setting rlimit: {err}")
            }
            Some(Stage::OomScoreAdj) => format!("failed to update /proc/self/oom_score_adj: {err}"),
            Some(Stage::Setns) => {
                format!("failed to setns to {}: {err}", nth(self.namespaces))
            }
            Some(Stage::Fork) => format!("unable to fork: {err}"),
            Some(Stage::Setsid) => format!("setsid failed: {err}"),
            Some(Stage::Keyring) => format!("unable to join session keyring: {err}"),
            Some(Stage::Stdio) => format!("dup2: {err}"),
            Some(Stage::Ctty) => format!("ioctl(setctty): {err}"),
            Some(Stage::NoNewPrivs) => format!("prctl(SET_NO_NEW_PRIVS): {err}"),
            Some(Stage::Seccomp) => {
                format!("unable to init seccomp: error loading seccomp filter into kernel: {err}")
            }
            Some(Stage::Chdir) => {
                format!(
                    "chdir to cwd ({:?}) set in config.json failed: {err}",
                    self.cwd
                )
            }
            Some(Stage::Bounding) => format!("unable to apply bounding set: {err}"),
            Some(Stage::KeepCaps) => format!("unable to set keep caps: {err}"),
            Some(Stage::Setgroups) => format!("unable to setup user: setgroups: {err}"),
            Some(Stage::Setgid | Stage::Setuid) => format!("unable to setup user: {err}"),
            Some(Stage::Caps) => format!("unable to apply caps: {err}"),
            Some(Stage::NotFound) => {
                format!("exec: {arg0:?}: executable file not found in $PATH")
            }
            Some(Stage::Stat) => format!("exec: {arg0:?}: stat {arg0}: {err}"),
            Some(Stage::NotExecutable) => format!("exec: {arg0:?}: permission denied"),
            Some(Stage::Relative) => {
                format!("exec: {arg0:?}: cannot run executable found relative to current directory")
            }
            Some(Stage::Exec) => {
                let path = usize::try_from(r.value)
                    .ok()
                    .and_then(|i| self.candidates.get(i))
                    .map_or(arg0, String::as_str);
                format!("exec {path}: {err}")
            }
            None => format!("unknown failure {} ({err})", r.stage),
        }
    }
}

/// What only runc does for a process.
fn refuse_process(p: &Process) -> std::result::Result<(), String> {
    if p.apparmor_profile().as_ref().is_some_and(|s| !s.is_empty()) {
        return Err("the process has an AppArmor profile".to_owned());
    }
    if p.selinux_label().as_ref().is_some_and(|s| !s.is_empty()) {
        return Err("the process has an SELinux label".to_owned());
    }
    if p.io_priority().is_some() {
        return Err("the process has an I/O priority".to_owned());
    }
    if p.scheduler().is_some() {
        return Err("the process has a scheduler".to_owned());
    }
    Ok(())
}

/// Whether the process `proc_dir` (`/proc/<pid>`) is in the monitor's own namespace `name`.
fn same_namespace(proc_dir: &Path, name: &str) -> bool {
    let theirs = std::fs::metadata(proc_dir.join("ns").join(name));
    let ours = std::fs::metadata(Path::new("/proc/self/ns").join(name));
    match (theirs, ours) {
        (Ok(a), Ok(b)) => {
            use std::os::unix::fs::MetadataExt;
            a.dev() == b.dev() && a.ino() == b.ino()
        }
        // A namespace kind the kernel lacks is shared by everyone.
        (Err(_), Err(_)) => true,
        _ => false,
    }
}

/// The container's namespaces the monitor is not in, opened, in the order they are joined:
/// the mount namespace last (it changes the root the other paths resolve in).
#[allow(clippy::type_complexity)]
fn open_namespaces(
    init: &Path,
) -> std::result::Result<(Vec<(OwnedFd, libc::c_int)>, Vec<PathBuf>), String> {
    let kinds = [
        ("ipc", libc::CLONE_NEWIPC),
        ("uts", libc::CLONE_NEWUTS),
        ("net", libc::CLONE_NEWNET),
        ("pid", libc::CLONE_NEWPID),
        ("cgroup", libc::CLONE_NEWCGROUP),
        ("mnt", libc::CLONE_NEWNS),
    ];
    let mut fds = Vec::new();
    let mut paths = Vec::new();
    for (name, flag) in kinds {
        if same_namespace(init, name) {
            continue;
        }
        let path = init.join("ns").join(name);
        let fd = nix::fcntl::open(&path, OFlag::O_RDONLY | OFlag::O_CLOEXEC, Mode::empty())
            .map_err(|e| format!("opening {}: {e}", path.display()))?;
        fds.push((fd, flag));
        paths.push(path);
    }
    Ok((fds, paths))
}

/// The process's environment as runc's init sets it up: each `KEY=value` in order, a later
/// duplicate replacing the earlier value in place (Go's `os.Setenv`), then `HOME` from the
/// container's `/etc/passwd` (`/` when the user has no entry) if there is none.
fn environment(p: &Process, init: &Path) -> std::result::Result<Vec<String>, String> {
    let mut out: Vec<(String, String)> = Vec::new();
    for pair in p.env().iter().flatten() {
        let (k, v) = pair
            .split_once('=')
            .filter(|(k, _)| !k.is_empty() && !pair.contains('\0'))
            .ok_or_else(|| format!("the environment entry {pair:?} is for runc to refuse"))?;
        match out.iter_mut().find(|(key, _)| key == k) {
            Some(entry) => entry.1 = v.to_owned(),
            None => out.push((k.to_owned(), v.to_owned())),
        }
    }
    if !out.iter().any(|(k, _)| k == "HOME") {
        let passwd = std::fs::read_to_string(init.join("root/etc/passwd")).unwrap_or_default();
        out.push(("HOME".to_owned(), home_of(&passwd, p.user().uid())));
    }
    Ok(out.into_iter().map(|(k, v)| format!("{k}={v}")).collect())
}

/// The home directory of `uid` in a passwd file, `/` when it has no entry.
fn home_of(passwd: &str, uid: u32) -> String {
    passwd
        .lines()
        .map(|l| l.split(':').collect::<Vec<_>>())
        .find(|f| f.len() >= 7 && f[2].parse::<u32>() == Ok(uid))
        .map_or_else(|| "/".to_owned(), |f| f[5].to_owned())
}

/// Where `args[0]` may be: itself when it has a slash, else each `PATH` entry of the
/// environment joined with it (an empty entry is `.`), in order.
fn candidates(arg0: &str, env: &[String]) -> Vec<String> {
    if arg0.contains('/') {
        return vec![arg0.to_owned()];
    }
    let path = env
        .iter()
        .rev()
        .find_map(|e| e.strip_prefix("PATH="))
        .unwrap_or("");
    if path.is_empty() {
        return Vec::new();
    }
    path.split(':')
        .map(|dir| {
            let dir = if dir.is_empty() { "." } else { dir };
            if dir == "." {
                arg0.to_owned()
            } else {
                format!("{}/{arg0}", dir.trim_end_matches('/'))
            }
        })
        .collect()
}

fn c_strings(items: &[String]) -> std::result::Result<Vec<CString>, String> {
    items
        .iter()
        .map(|s| CString::new(s.as_bytes()).map_err(|_| format!("{s:?} holds a NUL byte")))
        .collect()
}

fn null_terminated(items: &[CString]) -> Vec<*const libc::c_char> {
    items
        .iter()
        .map(|c| c.as_ptr())
        .chain(std::iter::once(std::ptr::null()))
        .collect()
}

/// The process's rlimits as `(resource, limit)`.
fn rlimits(p: &Process) -> std::result::Result<Vec<(libc::c_int, libc::rlimit64)>, String> {
    const NAMES: [&str; 16] = [
        "RLIMIT_CPU",
        "RLIMIT_FSIZE",
        "RLIMIT_DATA",
        "RLIMIT_STACK",
        "RLIMIT_CORE",
        "RLIMIT_RSS",
        "RLIMIT_NPROC",
        "RLIMIT_NOFILE",
        "RLIMIT_MEMLOCK",
        "RLIMIT_AS",
        "RLIMIT_LOCKS",
        "RLIMIT_SIGPENDING",
        "RLIMIT_MSGQUEUE",
        "RLIMIT_NICE",
        "RLIMIT_RTPRIO",
        "RLIMIT_RTTIME",
    ];
    let mut out = Vec::new();
    for r in p.rlimits().iter().flatten() {
        let name = serde_json::to_value(r.typ())
            .ok()
            .and_then(|v| v.as_str().map(str::to_owned))
            .unwrap_or_default();
        let resource = NAMES
            .iter()
            .position(|n| *n == name)
            .ok_or_else(|| format!("unknown rlimit {name}"))?;
        out.push((
            resource as libc::c_int,
            libc::rlimit64 {
                rlim_cur: r.soft(),
                rlim_max: r.hard(),
            },
        ));
    }
    Ok(out)
}

/// The process's capability sets as masks; names this kernel does not know are ignored, as
/// runc ignores them.
fn cap_sets(p: &Process) -> CapSets {
    let last = std::fs::read_to_string("/proc/sys/kernel/cap_last_cap")
        .ok()
        .and_then(|s| s.trim().parse::<u32>().ok())
        .unwrap_or(40)
        .min(63);
    let Some(caps) = p.capabilities() else {
        return CapSets {
            last,
            ..CapSets::default()
        };
    };
    let mask = |set: &Option<oci_spec::runtime::Capabilities>| {
        set.iter().flatten().fold(0u64, |m, cap| {
            let name = serde_json::to_value(cap)
                .ok()
                .and_then(|v| v.as_str().map(str::to_owned))
                .unwrap_or_default();
            match crate::exec::CAPABILITIES.iter().position(|n| *n == name) {
                Some(n) if n as u32 <= last => m | (1 << n),
                _ => m,
            }
        })
    };
    CapSets {
        bounding: mask(caps.bounding()),
        effective: mask(caps.effective()),
        permitted: mask(caps.permitted()),
        inheritable: mask(caps.inheritable()),
        ambient: mask(caps.ambient()),
        last,
    }
}

/// The process's stdio: a pty whose master is opened in the container's own devpts (as runc
/// opens `/dev/ptmx` inside the container), sized as asked; or pipes, stdin from /dev/null
/// unless it is open.
fn stdio(init: &Path, p: &Process, open_stdin: bool) -> Result<(ChildStdio, MonitorStdio)> {
    if p.terminal().unwrap_or(false) {
        let ptmx = init.join("root/dev/pts/ptmx");
        let master = nix::fcntl::open(
            &ptmx,
            OFlag::O_RDWR | OFlag::O_NOCTTY | OFlag::O_CLOEXEC,
            Mode::empty(),
        )
        .map_err(|e| Error::path("opening", &ptmx, e))?;
        let unlock: libc::c_int = 0;
        // SAFETY: TIOCSPTLCK reads one int from the pointer, valid for the call.
        if unsafe { libc::ioctl(master.as_raw_fd(), libc::TIOCSPTLCK, &unlock) } < 0 {
            return Err(Error::io(
                "unlocking the exec's pty",
                std::io::Error::last_os_error(),
            ));
        }
        // SAFETY: TIOCGPTPEER opens the slave of this master and returns a new descriptor.
        let slave = unsafe {
            libc::ioctl(
                master.as_raw_fd(),
                libc::TIOCGPTPEER,
                libc::O_RDWR | libc::O_NOCTTY | libc::O_CLOEXEC,
            )
        };
        if slave < 0 {
            return Err(Error::io(
                "opening the exec's pty slave",
                std::io::Error::last_os_error(),
            ));
        }
        // SAFETY: a fresh descriptor nothing else owns.
        let slave = unsafe { OwnedFd::from_raw_fd(slave) };
        let master = File::from(master);
        if let Some(size) = p.console_size().filter(|b| b.height() > 0 && b.width() > 0) {
            let h = u16::try_from(size.height()).unwrap_or(u16::MAX);
            let w = u16::try_from(size.width()).unwrap_or(u16::MAX);
            resize(&master, h, w).context("sizing the exec's pty")?;
        }
        return Ok((ChildStdio::Tty(slave), MonitorStdio::Pty(master)));
    }
    let pipe = || nix::unistd::pipe2(OFlag::O_CLOEXEC).context("creating a pipe");
    let (out_r, out_w) = pipe()?;
    let (err_r, err_w) = pipe()?;
    let (stdin_child, stdin) = if open_stdin {
        let (in_r, in_w) = pipe()?;
        (in_r, Some(File::from(in_w)))
    } else {
        let null = File::open("/dev/null").context("opening /dev/null")?;
        (OwnedFd::from(null), None)
    };
    Ok((
        ChildStdio::Pipes([stdin_child, out_w, err_w]),
        MonitorStdio::Pipes {
            stdout: File::from(out_r),
            stderr: File::from(err_r),
            stdin,
        },
    ))
}

fn resize(master: &File, height: u16, width: u16) -> std::io::Result<()> {
    let ws = libc::winsize {
        ws_row: height,
        ws_col: width,
        ws_xpixel: 0,
        ws_ypixel: 0,
    };
    // SAFETY: TIOCSWINSZ reads one `winsize` from the pointer, valid for the call.
    if unsafe { libc::ioctl(master.as_raw_fd(), libc::TIOCSWINSZ, &ws) } < 0 {
        return Err(std::io::Error::last_os_error());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn path_candidates_as_go_looks_them_up() {
        let env = vec!["PATH=/a:/b/::.".to_owned(), "X=1".to_owned()];
        assert_eq!(candidates("ls", &env), ["/a/ls", "/b/ls", "ls", "ls"]);
        assert_eq!(candidates("./x", &env), ["./x"]);
        assert!(candidates("ls", &[]).is_empty());
    }

    #[test]
    fn home_from_passwd() {
        let passwd = "root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:n:/home:/bin/false\n";
        assert_eq!(home_of(passwd, 0), "/root");
        assert_eq!(home_of(passwd, 65534), "/home");
        assert_eq!(home_of(passwd, 7), "/");
    }

    #[test]
    fn messages_as_runc_words_them() {
        let f = Failed {
            first: 5,
            arg0: "nosuchcmd",
            cwd: "/nope",
            cgroups: &[],
            namespaces: &[],
            candidates: &[],
        };
        let rec = |stage: Stage, errno: i32| {
            let mut r = Record::default();
            r.stage = stage as i32;
            r.errno = errno;
            r
        };
        assert_eq!(
            format!("{PREFIX}{}", f.message(rec(Stage::NotFound, 0))),
            "exec failed: unable to start container process: exec: \"nosuchcmd\": executable \
             file not found in $PATH"
        );
        assert_eq!(
            f.message(rec(Stage::Chdir, libc::ENOENT)),
            "chdir to cwd (\"/nope\") set in config.json failed: no such file or directory"
        );
        let full = format!("{PREFIX}{}", f.message(rec(Stage::NotExecutable, 0)));
        assert_eq!(crate::runc::start_failure(&full).0, 126);
        let full = format!("{PREFIX}{}", f.message(rec(Stage::Chdir, libc::ENOENT)));
        assert_eq!(crate::runc::start_failure(&full).0, 127);
    }
}
