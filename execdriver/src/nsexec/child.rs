//! The two forked processes of a native exec. Everything here runs after `fork` in a copy of
//! the (single-threaded) monitor, so it only makes raw system calls on data prepared before the
//! fork: no allocation, no locks, no Rust I/O.
//!
//! The first child sets the rlimits and `oom_score_adj`, joins the namespaces but the cgroup
//! one (mount last) and
//! forks the second, which is inside the container's PID namespace (and, through `clone3`,
//! already in its v2 cgroup when there is one); the first reports the second's PID and exits,
//! so the monitor (a child subreaper) becomes the process's parent. The second joins the
//! container's v1 cgroups itself — after its fork, as runc moves a process already made: a
//! move is not held to `pids.max`, a fork is, so an exec still starts in a container at its
//! PIDs limit — and its cgroup namespace, then does what runc's `setns` init does and execs the
//! command. A failure is one [`Record`] on the status pipe; success closes it (close-on-exec).

use std::ffi::{CString, c_char, c_int};
use std::os::fd::{AsRawFd, OwnedFd};

use nix::libc;

/// One report on the status pipe (16 bytes: written atomically).
#[repr(C)]
#[derive(Debug, Clone, Copy, Default)]
pub(super) struct Record {
    /// A [`Stage`], or [`PID`] when `value` is the process's PID.
    pub(super) stage: i32,
    /// The errno of the failed call (0 when there is none).
    pub(super) errno: i32,
    /// The PID, or the index of the thing that failed (a cgroup, a namespace, a candidate).
    pub(super) value: i32,
    pad: i32,
}

/// The stage of a [`Record`] that carries the process's PID.
pub(super) const PID: i32 = 0;

/// What failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(i32)]
pub(super) enum Stage {
    // The discriminants run from 1 without a gap: `from_raw` relies on it.
    Cgroup = 1,
    Rlimit,
    OomScoreAdj,
    Setns,
    Fork,
    Setsid,
    Keyring,
    Stdio,
    Ctty,
    NoNewPrivs,
    Seccomp,
    Chdir,
    Bounding,
    KeepCaps,
    Setgroups,
    Setgid,
    Setuid,
    Caps,
    NotFound,
    Stat,
    NotExecutable,
    Relative,
    Exec,
}

impl Stage {
    /// The stage a record names.
    pub(super) fn from_raw(n: i32) -> Option<Stage> {
        // SAFETY: `Stage` is `repr(i32)` with the discriminants 1 to `Exec` and no gap, and
        // `n` is one of them.
        (Stage::Cgroup as i32..=Stage::Exec as i32)
            .contains(&n)
            .then(|| unsafe { std::mem::transmute::<i32, Stage>(n) })
    }
}

/// The process's stdio, the child's ends.
pub(super) enum ChildStdio {
    /// The pty's slave side: stdin, stdout and stderr, and the controlling terminal.
    Tty(OwnedFd),
    /// stdin (a pipe or /dev/null), stdout and stderr pipes.
    Pipes([OwnedFd; 3]),
}

/// The capability sets, as bit masks in the kernel's numbering.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(super) struct CapSets {
    /// The bounding set.
    pub(super) bounding: u64,
    /// The effective set.
    pub(super) effective: u64,
    /// The permitted set.
    pub(super) permitted: u64,
    /// The inheritable set.
    pub(super) inheritable: u64,
    /// The ambient set.
    pub(super) ambient: u64,
    /// `/proc/sys/kernel/cap_last_cap`.
    pub(super) last: u32,
}

/// The container's v2 cgroup (the unified hierarchy, alone or beside v1 ones).
pub(super) struct Unified {
    /// The directory, for `clone3`'s `CLONE_INTO_CGROUP`.
    pub(super) dir: OwnedFd,
    /// Its `cgroup.procs`, open for writing, where `clone3` cannot place the process.
    pub(super) procs: OwnedFd,
    /// Its place among the cgroup directories of the messages.
    pub(super) index: usize,
}

/// `CLONE_INTO_CGROUP` (linux/sched.h), a 64-bit flag the `libc` crate's `c_int` cannot hold.
const CLONE_INTO_CGROUP: u64 = 0x2_0000_0000;

/// The kernel's `struct clone_args` (`CLONE_ARGS_SIZE_VER2`), which glibc's `libc` crate does
/// not define.
#[repr(C)]
#[derive(Default)]
struct CloneArgs {
    flags: u64,
    pidfd: u64,
    child_tid: u64,
    parent_tid: u64,
    exit_signal: u64,
    stack: u64,
    stack_size: u64,
    tls: u64,
    set_tid: u64,
    set_tid_size: u64,
    cgroup: u64,
}

/// Everything the children need, prepared before the fork.
pub(super) struct Plan {
    /// `tasks` of every v1 cgroup directory (`cgroup.procs` of any v2 one but the first),
    /// open for writing.
    pub(super) cgroup_procs: Vec<OwnedFd>,
    /// The v2 cgroup, which the process is cloned into.
    pub(super) unified: Option<Unified>,
    /// `(resource, limit)` pairs.
    pub(super) rlimits: Vec<(c_int, libc::rlimit64)>,
    /// The `oom_score_adj` to write, as text.
    pub(super) oom_score_adj: Option<Vec<u8>>,
    /// The container's namespaces to join, in order (mount last).
    pub(super) namespaces: Vec<(OwnedFd, c_int)>,
    /// The session keyring runc's processes of this container join (`_ses.<id>`).
    pub(super) keyring: CString,
    /// The process's ends of its stdio.
    pub(super) stdio: ChildStdio,
    /// `process.noNewPrivileges`.
    pub(super) no_new_privs: bool,
    /// `process.user.umask`.
    pub(super) umask: Option<u32>,
    /// The compiled filter of the bundle's `linux.seccomp`.
    pub(super) seccomp: Option<Vec<libc::sock_filter>>,
    /// The working directory.
    pub(super) cwd: CString,
    /// The capability sets.
    pub(super) caps: CapSets,
    /// The user.
    pub(super) uid: u32,
    /// The primary group.
    pub(super) gid: u32,
    /// The supplementary groups (`process.user.additionalGids`).
    pub(super) groups: Vec<libc::gid_t>,
    /// Where `args[0]` may be, in `PATH` order (just `args[0]` when it has a slash).
    pub(super) candidates: Vec<CString>,
    /// Whether `args[0]` has a slash (then it is stat'ed, not looked up).
    pub(super) has_slash: bool,
    /// NULL-terminated `argv` and `envp`, pointing into `argv_owned` / `env_owned`.
    pub(super) argv: Vec<*const c_char>,
    pub(super) envp: Vec<*const c_char>,
    /// The strings `argv` points into.
    pub(super) argv_owned: Vec<CString>,
    /// The strings `envp` points into.
    pub(super) env_owned: Vec<CString>,
}

fn errno() -> i32 {
    std::io::Error::last_os_error().raw_os_error().unwrap_or(0)
}

fn send(pipe: c_int, stage: i32, errno: i32, value: i32) {
    let r = Record {
        stage,
        errno,
        value,
        pad: 0,
    };
    // SAFETY: writes the bytes of a plain `repr(C)` value that lives for the call.
    unsafe { libc::write(pipe, (&raw const r).cast(), std::mem::size_of::<Record>()) };
}

fn fail(pipe: c_int, stage: Stage, errno: i32, value: i32) -> ! {
    send(pipe, stage as i32, errno, value);
    // SAFETY: ends this forked copy without running the monitor's exit handlers.
    unsafe { libc::_exit(1) }
}

/// The first child: rlimits, `oom_score_adj`, namespaces, then the second child.
///
/// # Safety
///
/// Call only in the child of a `fork` of a single-threaded process; it never returns.
pub(super) unsafe fn intermediate(plan: &Plan, pipe: c_int) -> ! {
    for (i, (resource, limit)) in plan.rlimits.iter().enumerate() {
        // SAFETY: the limit is a valid struct for the call; the old value is not asked for.
        let r = unsafe {
            libc::syscall(
                libc::SYS_prlimit64,
                0,
                *resource,
                limit as *const libc::rlimit64,
                std::ptr::null_mut::<libc::rlimit64>(),
            )
        };
        if r < 0 {
            fail(pipe, Stage::Rlimit, errno(), i as i32);
        }
    }
    if let Some(adj) = &plan.oom_score_adj {
        // SAFETY: a static path; the descriptor is closed right after the write.
        unsafe {
            let fd = libc::open(c"/proc/self/oom_score_adj".as_ptr(), libc::O_WRONLY);
            if fd < 0 || libc::write(fd, adj.as_ptr().cast(), adj.len()) < 0 {
                fail(pipe, Stage::OomScoreAdj, errno(), 0);
            }
            libc::close(fd);
        }
    }
    // The cgroup namespace waits for the process (see `join_cgroups`).
    for (i, (fd, nstype)) in plan.namespaces.iter().enumerate() {
        if *nstype == libc::CLONE_NEWCGROUP {
            continue;
        }
        // SAFETY: a namespace descriptor opened before the fork.
        if unsafe { libc::setns(fd.as_raw_fd(), *nstype) } < 0 {
            fail(pipe, Stage::Setns, errno(), i as i32);
        }
    }
    // SAFETY: this process is single-threaded (a fork of the single-threaded monitor).
    let (pid, v2_done) = unsafe { fork_process(plan) };
    match pid {
        -1 => fail(pipe, Stage::Fork, errno(), 0),
        // SAFETY: the new child of a single-threaded process.
        0 => unsafe { process(plan, pipe, v2_done) },
        pid => {
            send(pipe, PID, 0, pid);
            // SAFETY: ends this forked copy without running the monitor's exit handlers.
            unsafe { libc::_exit(0) }
        }
    }
}

/// Forks the process, straight into the v2 cgroup when there is one: `clone3` with
/// `CLONE_INTO_CGROUP` places it without a migration, so without the RCU grace period a move
/// into a v2 cgroup waits for (several milliseconds). Where that fails (a kernel before 5.7,
/// or the cgroup at its `pids.max`, which a fork counts against) a plain fork, and the process
/// moves itself (see [`join_cgroups`]). Like `fork`: 0 in the child; with it, whether the
/// process has nothing left to do for a v2 cgroup (none, or cloned into it).
///
/// # Safety
///
/// Only in the single-threaded first child (see [`intermediate`]); the child it makes may
/// only make raw system calls, as after `fork`.
unsafe fn fork_process(plan: &Plan) -> (libc::pid_t, bool) {
    if let Some(u) = &plan.unified {
        let args = CloneArgs {
            flags: CLONE_INTO_CGROUP,
            exit_signal: libc::SIGCHLD as u64,
            cgroup: u.dir.as_raw_fd() as u64,
            ..CloneArgs::default()
        };
        // SAFETY: `args` is a valid `clone_args` of the size given; without CLONE_VM and a
        // stack the child runs on a copy of this one, as after `fork`.
        let r = unsafe {
            libc::syscall(
                libc::SYS_clone3,
                &args as *const CloneArgs,
                std::mem::size_of::<CloneArgs>(),
            )
        };
        if r >= 0 {
            return (r as libc::pid_t, true);
        }
    }
    // SAFETY: see above.
    (unsafe { libc::fork() }, plan.unified.is_none())
}

/// The process moves itself into the container's cgroups, then joins its cgroup namespace:
/// "0" (the writer) to every v1
/// hierarchy's `tasks` — its one thread, which spares the kernel's RCU wait of a thread-group
/// move — and to the v2 `cgroup.procs` unless it was cloned into it.
///
/// # Safety
///
/// Only in the forked process (see [`process`]).
unsafe fn join_cgroups(plan: &Plan, pipe: c_int, v2_done: bool) {
    for (i, fd) in plan.cgroup_procs.iter().enumerate() {
        // SAFETY: writes one byte from a static buffer to a descriptor opened before the fork.
        if unsafe { libc::write(fd.as_raw_fd(), b"0".as_ptr().cast(), 1) } < 0 {
            fail(pipe, Stage::Cgroup, errno(), i as i32);
        }
    }
    if let Some(u) = plan.unified.as_ref().filter(|_| !v2_done) {
        // SAFETY: as above.
        if unsafe { libc::write(u.procs.as_raw_fd(), b"0".as_ptr().cast(), 1) } < 0 {
            fail(pipe, Stage::Cgroup, errno(), u.index as i32);
        }
    }
    // Only now the container's cgroup namespace: a v2 move (and `CLONE_INTO_CGROUP`) from
    // inside it would be refused under `nsdelegate`, the monitor's cgroup being outside it.
    for (i, (fd, nstype)) in plan.namespaces.iter().enumerate() {
        if *nstype == libc::CLONE_NEWCGROUP {
            // SAFETY: a namespace descriptor opened before the fork.
            if unsafe { libc::setns(fd.as_raw_fd(), *nstype) } < 0 {
                fail(pipe, Stage::Setns, errno(), i as i32);
            }
        }
    }
}

/// The exec's process, inside the container's namespaces: runc's `setns` init, then `execve`.
///
/// # Safety
///
/// Call only in the child of a `fork` of a single-threaded process; it never returns.
unsafe fn process(plan: &Plan, pipe: c_int, v2_done: bool) -> ! {
    // SAFETY (whole block): raw system calls on descriptors and buffers prepared before the
    // fork, which stay valid: this process never frees anything.
    unsafe {
        join_cgroups(plan, pipe, v2_done);
        if libc::setsid() < 0 {
            fail(pipe, Stage::Setsid, errno(), 0);
        }
        // Not the monitor's session keyring: the container's, as for runc's processes.
        if libc::syscall(
            libc::SYS_keyctl,
            libc::KEYCTL_JOIN_SESSION_KEYRING,
            plan.keyring.as_ptr(),
        ) < 0
            && errno() != libc::ENOSYS
        {
            fail(pipe, Stage::Keyring, errno(), 0);
        }
        match &plan.stdio {
            ChildStdio::Tty(slave) => {
                for target in 0..3 {
                    if libc::dup2(slave.as_raw_fd(), target) < 0 {
                        fail(pipe, Stage::Stdio, errno(), target);
                    }
                }
                if libc::ioctl(0, libc::TIOCSCTTY, 0) < 0 {
                    fail(pipe, Stage::Ctty, errno(), 0);
                }
            }
            ChildStdio::Pipes(fds) => {
                for (target, fd) in fds.iter().enumerate() {
                    if libc::dup2(fd.as_raw_fd(), target as c_int) < 0 {
                        fail(pipe, Stage::Stdio, errno(), target as i32);
                    }
                }
            }
        }
        if plan.no_new_privs && libc::prctl(libc::PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0 {
            fail(pipe, Stage::NoNewPrivs, errno(), 0);
        }
        if let Some(mask) = plan.umask {
            libc::umask(mask as libc::mode_t);
        }
        // Without no-new-privileges, loading a filter needs CAP_SYS_ADMIN: before the drop.
        if !plan.no_new_privs {
            load_seccomp(plan, pipe);
        }
        libc::syscall(
            libc::SYS_close_range,
            3,
            u32::MAX,
            libc::CLOSE_RANGE_CLOEXEC,
        );
        // The first chdir as root: a directory only root may enter still works; one the user
        // alone may enter is tried again after the switch.
        let mut chdir_again = false;
        if libc::chdir(plan.cwd.as_ptr()) < 0 {
            let e = errno();
            if e == libc::EACCES || e == libc::EPERM {
                chdir_again = true;
            } else {
                fail(pipe, Stage::Chdir, e, 0);
            }
        }
        for cap in 0..=plan.caps.last {
            if plan.caps.bounding & (1 << cap) == 0
                && libc::prctl(libc::PR_CAPBSET_DROP, cap, 0, 0, 0) < 0
                && errno() != libc::EINVAL
            {
                fail(pipe, Stage::Bounding, errno(), cap as i32);
            }
        }
        if libc::prctl(libc::PR_SET_KEEPCAPS, 1, 0, 0, 0) < 0 {
            fail(pipe, Stage::KeepCaps, errno(), 0);
        }
        fix_stdio_owner(plan.uid);
        if libc::syscall(libc::SYS_setgroups, plan.groups.len(), plan.groups.as_ptr()) < 0 {
            fail(pipe, Stage::Setgroups, errno(), 0);
        }
        if libc::syscall(libc::SYS_setresgid, plan.gid, plan.gid, plan.gid) < 0 {
            fail(pipe, Stage::Setgid, errno(), 0);
        }
        if libc::syscall(libc::SYS_setresuid, plan.uid, plan.uid, plan.uid) < 0 {
            fail(pipe, Stage::Setuid, errno(), 0);
        }
        if chdir_again && libc::chdir(plan.cwd.as_ptr()) < 0 {
            fail(pipe, Stage::Chdir, errno(), 0);
        }
        if libc::prctl(libc::PR_SET_KEEPCAPS, 0, 0, 0, 0) < 0 {
            fail(pipe, Stage::KeepCaps, errno(), 0);
        }
        apply_caps(&plan.caps, pipe);
        let Some(path) = look_up(plan, pipe) else {
            // `look_up` reported why.
            libc::_exit(1)
        };
        if plan.no_new_privs {
            load_seccomp(plan, pipe);
        }
        // The monitor blocks SIGCHLD and ignores SIGPIPE; the command starts with neither.
        let mut empty: libc::sigset_t = std::mem::zeroed();
        libc::sigemptyset(&mut empty);
        libc::sigprocmask(libc::SIG_SETMASK, &empty, std::ptr::null_mut());
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
        loop {
            libc::execve(
                plan.candidates[path].as_ptr(),
                plan.argv.as_ptr(),
                plan.envp.as_ptr(),
            );
            if errno() != libc::EINTR {
                break;
            }
        }
        fail(pipe, Stage::Exec, errno(), path as i32)
    }
}

/// Loads the filter prepared before the fork, if any.
///
/// # Safety
///
/// Only in the forked process (see [`process`]).
unsafe fn load_seccomp(plan: &Plan, pipe: c_int) {
    let Some(filter) = &plan.seccomp else { return };
    let prog = libc::sock_fprog {
        len: filter.len() as u16,
        filter: filter.as_ptr().cast_mut(),
    };
    // SAFETY: `prog` points at the filter, valid for the call.
    let r = unsafe {
        libc::syscall(
            libc::SYS_seccomp,
            libc::SECCOMP_SET_MODE_FILTER,
            0,
            &raw const prog,
        )
    };
    if r < 0 {
        fail(pipe, Stage::Seccomp, errno(), 0);
    }
}

/// runc's `fixStdioPermissions`: stdio not owned by the user (and not /dev/null) is given to it,
/// keeping its group; refusals are ignored, as runc ignores them.
///
/// # Safety
///
/// Only in the forked process (see [`process`]).
unsafe fn fix_stdio_owner(uid: u32) {
    // SAFETY: stat buffers on this stack; static path.
    unsafe {
        let mut null: libc::stat64 = std::mem::zeroed();
        if libc::stat64(c"/dev/null".as_ptr(), &mut null) < 0 {
            return;
        }
        for fd in 0..3 {
            let mut st: libc::stat64 = std::mem::zeroed();
            if libc::fstat64(fd, &mut st) < 0 {
                continue;
            }
            if st.st_rdev == null.st_rdev || st.st_uid == uid {
                continue;
            }
            libc::fchown(fd, uid, st.st_gid);
        }
    }
}

#[repr(C)]
struct CapHeader {
    version: u32,
    pid: c_int,
}

#[repr(C)]
#[derive(Clone, Copy)]
struct CapData {
    effective: u32,
    permitted: u32,
    inheritable: u32,
}

/// `capset` of the effective, permitted and inheritable sets, then the ambient set (raised
/// where the kernel lets it; runc only warns when it does not).
///
/// # Safety
///
/// Only in the forked process (see [`process`]).
unsafe fn apply_caps(caps: &CapSets, pipe: c_int) {
    let header = CapHeader {
        version: 0x2008_0522, // _LINUX_CAPABILITY_VERSION_3
        pid: 0,
    };
    let split = |m: u64| [m as u32, (m >> 32) as u32];
    let (e, p, i) = (
        split(caps.effective),
        split(caps.permitted),
        split(caps.inheritable),
    );
    let data = [0, 1].map(|n| CapData {
        effective: e[n],
        permitted: p[n],
        inheritable: i[n],
    });
    // SAFETY: the header and the two data structs live for the call.
    unsafe {
        if libc::syscall(libc::SYS_capset, &raw const header, data.as_ptr()) < 0 {
            fail(pipe, Stage::Caps, errno(), 0);
        }
        libc::prctl(
            libc::PR_CAP_AMBIENT,
            libc::PR_CAP_AMBIENT_CLEAR_ALL,
            0,
            0,
            0,
        );
        for cap in 0..=caps.last {
            if caps.ambient & (1 << cap) != 0 {
                libc::prctl(libc::PR_CAP_AMBIENT, libc::PR_CAP_AMBIENT_RAISE, cap, 0, 0);
            }
        }
    }
}

/// Go's `exec.LookPath` in the container, as runc runs it: the index of the candidate to exec,
/// or a report of why there is none.
///
/// # Safety
///
/// Only in the forked process (see [`process`]).
unsafe fn look_up(plan: &Plan, pipe: c_int) -> Option<usize> {
    for (i, path) in plan.candidates.iter().enumerate() {
        // SAFETY: a stat buffer on this stack and a path prepared before the fork.
        let mut st: libc::stat64 = unsafe { std::mem::zeroed() };
        if unsafe { libc::stat64(path.as_ptr(), &mut st) } < 0 {
            if plan.has_slash {
                send(pipe, Stage::Stat as i32, errno(), 0);
                return None;
            }
            continue;
        }
        let is_dir = st.st_mode & libc::S_IFMT == libc::S_IFDIR;
        if !is_dir && st.st_mode & 0o111 != 0 {
            if !plan.has_slash && path.as_bytes().first() != Some(&b'/') {
                send(pipe, Stage::Relative as i32, 0, i as i32);
                return None;
            }
            return Some(i);
        }
        if plan.has_slash {
            send(pipe, Stage::NotExecutable as i32, libc::EACCES, 0);
            return None;
        }
    }
    send(pipe, Stage::NotFound as i32, 0, 0);
    None
}
