//! `docker exec` without `runc exec`: the exec's monitor starts the process in the running
//! container itself, doing what runc's `setns` path does (`nsexec.c`, `setns_init_linux.go`,
//! `finalizeNamespace`), in a fraction of the time (runc is two Go start-ups per exec).
//!
//! [`prepare`] gathers everything before any fork: runc's `state.json` (the init process,
//! checked against PID reuse, and the cgroup directories), the container's namespaces (opened
//! before any `setns`: those it does not share with the monitor), `tasks` of each v1 and the directory of the v2
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
mod messages;
mod process;
mod runc_state;
mod seccomp;
mod stdio;

use std::ffi::CString;
use std::fs::File;
use std::os::fd::{AsRawFd, OwnedFd};
use std::path::{Path, PathBuf};

use nix::fcntl::OFlag;
use nix::libc;
use nix::sys::stat::Mode;
use nix::unistd::{ForkResult, Pid};
use oci_spec::runtime::{LinuxNamespaceType, Process, Spec};

use crate::error::{Context, Error, Result};
use crate::state::Runtime;
use child::{Plan, Record};
use messages::{Failed, PREFIX};
use process::{
    c_strings, candidates, cap_sets, environment, null_terminated, refuse_process, rlimits,
};
pub(crate) use stdio::MonitorStdio;

/// The container's compiled seccomp filter, in its bundle directory.
const SECCOMP_CACHE: &str = "seccomp.bpf";

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
    // v1: the writing thread alone (`tasks`), which spares the kernel's RCU wait of a
    // thread-group move; the first child has one thread. v2 (one hierarchy) has no `tasks`:
    // the process is cloned straight into it (see `child::fork_process`).
    let mut cgroup_procs = Vec::new();
    let mut cgroup_dirs = Vec::new();
    let mut unified: Option<(child::Unified, PathBuf)> = None;
    let open = |path: &Path, flags: OFlag| {
        nix::fcntl::open(path, flags | OFlag::O_CLOEXEC, Mode::empty())
            .map_err(|e| format!("opening {}: {e}", path.display()))
    };
    for dir in &state.cgroup_paths {
        let tasks = dir.join("tasks");
        if tasks.exists() {
            cgroup_procs.push(open(&tasks, OFlag::O_WRONLY)?);
            cgroup_dirs.push(dir.clone());
        } else if unified.is_none() {
            let u = child::Unified {
                dir: open(dir, OFlag::O_RDONLY | OFlag::O_DIRECTORY)?,
                procs: open(&dir.join("cgroup.procs"), OFlag::O_WRONLY)?,
                index: 0,
            };
            unified = Some((u, dir.clone()));
        } else {
            cgroup_procs.push(open(&dir.join("cgroup.procs"), OFlag::O_WRONLY)?);
            cgroup_dirs.push(dir.clone());
        }
    }
    let unified = unified.map(|(mut u, dir)| {
        u.index = cgroup_dirs.len();
        cgroup_dirs.push(dir);
        u
    });

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
        stdio::stdio(&init, process, open_stdin).map_err(|e| e.to_string())?;
    let mut plan = Plan {
        cgroup_procs,
        unified,
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
        cgroups: cgroup_dirs,
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
