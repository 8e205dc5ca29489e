//! Ending what a stopped `wharfd`'s containers left under its directory (runc containers,
//! monitors, mounts), and the process helpers that takes. One copy for the tests' guards
//! ([`crate::Wharfd`]'s drop) and for `xtask bench`, which depends on `testkit` for it.

use std::ffi::OsStr;
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use nix::errno::Errno;
use nix::mount::{MntFlags, umount2};
use nix::sys::signal::{Signal, kill};
use nix::sys::wait::{Id, WaitPidFlag, WaitStatus, waitid, waitpid};
use nix::unistd::Pid;

/// The OCI runtime `wharfd` runs by default (Debian's `runc`), and the tests and bench with it.
pub const RUNC: &str = "/usr/sbin/runc";

/// Whether [`release_dir`] may reap exited children while it waits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reaping {
    /// Never: in a test binary every child belongs to some test, which waits for it itself.
    Never,
    /// The children this process adopted as their subreaper (xtask's bench), which nobody
    /// else reaps.
    Adopted,
}

/// Ends what a stopped wharfd's containers may have left in `dir` (its data and exec roots), so
/// the directory can go: containers still known to runc (its own root `exec/runc` and those of
/// runtimes added with `--add-runtime`, `exec/runtimes/*`) are deleted with `runc delete
/// --force`, monitors (processes whose `--state-dir` is under `dir`) get 3 s to exit and are
/// then killed by PID, every mount under `dir` (overlays, container network namespaces) is
/// detached lazily, deepest first, and the daemon's empty parent cgroups (`cgroup_parent`,
/// e.g. `/wharf`) go. What had to be cleaned is said on stderr: a run that removed its
/// containers leaves nothing.
pub fn release_dir(dir: &Path, cgroup_parent: &str, reaping: Reaping) {
    let dir = dir.canonicalize().unwrap_or_else(|_| dir.to_path_buf());
    let reap = || {
        if reaping == Reaping::Adopted {
            reap_adopted(None);
        }
    };
    let exec = dir.join("exec");
    runc_delete_all(&exec.join("runc"));
    if let Ok(added) = std::fs::read_dir(exec.join("runtimes")) {
        for runtime in added.flatten() {
            runc_delete_all(&runtime.path());
        }
    }
    let deadline = Instant::now() + Duration::from_secs(3);
    loop {
        let monitors = monitors_under(&dir);
        if monitors.is_empty() {
            break;
        }
        if Instant::now() > deadline {
            for pid in monitors {
                eprintln!("cleanup: leftover monitor pid {pid}: SIGKILL");
                kill_and_wait(pid);
            }
            break;
        }
        reap();
        std::thread::sleep(Duration::from_millis(20));
    }
    for m in mounts_under(&dir) {
        eprintln!("cleanup: leftover mount {}: lazy unmount", m.display());
        let _ = umount2(&m, MntFlags::MNT_DETACH);
    }
    reap();
    // runc leaves the (empty) parent cgroup of the containers. Only this daemon's: removing
    // a parent another daemon shares would race its runc creating a container under it.
    let parent = cgroup_parent.trim_start_matches('/');
    if let Ok(hierarchies) = std::fs::read_dir("/sys/fs/cgroup") {
        for h in hierarchies.flatten() {
            let _ = std::fs::remove_dir(h.path().join(parent));
        }
    }
}

/// `runc delete --force` of every container runc still knows under its state root `root`.
pub fn runc_delete_all(root: &Path) {
    let Ok(entries) = std::fs::read_dir(root) else {
        return;
    };
    for e in entries.flatten().filter(|e| e.path().is_dir()) {
        eprintln!(
            "cleanup: leftover container {}: runc delete --force",
            e.file_name().to_string_lossy()
        );
        let _ = Command::new(RUNC)
            .arg("--root")
            .arg(root)
            .args(["delete", "--force"])
            .arg(e.file_name())
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status();
    }
}

/// The one-letter state of `pid` (`R`, `S`, `Z`...), `None` when it does not exist.
pub fn process_state(pid: Pid) -> Option<char> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // "pid (comm) S ppid ...": comm may hold spaces and parentheses, the last ')' ends it.
    stat.rsplit_once(')')?
        .1
        .split_whitespace()
        .next()?
        .chars()
        .next()
}

/// Whether `pid` has exited; reaps it when it is our child (or was adopted by us).
pub fn has_exited(pid: Pid) -> bool {
    match waitpid(pid, Some(WaitPidFlag::WNOHANG)) {
        Ok(WaitStatus::StillAlive) => false,
        Ok(_) => true,
        // Not our child: a zombie someone else must reap counts as exited.
        Err(_) => !matches!(process_state(pid), Some(s) if s != 'Z' && s != 'X'),
    }
}

/// SIGKILL to `pid`, then up to 5 s for it to be gone.
pub fn kill_and_wait(pid: Pid) {
    let _ = kill(pid, Signal::SIGKILL);
    let deadline = Instant::now() + Duration::from_secs(5);
    while !has_exited(pid) && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(10));
    }
}

/// Reaps every exited child except `keep`: for a subreaper, whose adopted orphans nobody else
/// waits for. Never call it where other code waits for its own children.
pub fn reap_adopted(keep: Option<Pid>) {
    let peek = WaitPidFlag::WEXITED | WaitPidFlag::WNOHANG | WaitPidFlag::WNOWAIT;
    while let Ok(status) = waitid(Id::All, peek) {
        let Some(pid) = status.pid() else { return };
        if Some(pid) == keep {
            return;
        }
        if matches!(waitpid(pid, Some(WaitPidFlag::WNOHANG)), Err(Errno::ECHILD)) {
            return;
        }
    }
}

/// Live monitor processes (`wharfd monitor ... --state-dir D`) whose state directory is under
/// `dir`.
fn monitors_under(dir: &Path) -> Vec<Pid> {
    let Ok(procs) = std::fs::read_dir("/proc") else {
        return Vec::new();
    };
    procs
        .flatten()
        .filter_map(|p| {
            let pid: i32 = p.file_name().to_str()?.parse().ok()?;
            let cmdline = std::fs::read(p.path().join("cmdline")).ok()?;
            let args: Vec<&[u8]> = cmdline.split(|&b| b == 0).collect();
            let is_monitor = args.get(1) == Some(&&b"monitor"[..])
                && args.windows(2).any(|w| {
                    w[0] == b"--state-dir" && Path::new(OsStr::from_bytes(w[1])).starts_with(dir)
                });
            let pid = Pid::from_raw(pid);
            (is_monitor && !matches!(process_state(pid), Some('Z' | 'X') | None)).then_some(pid)
        })
        .collect()
}

/// Mount points under `dir` (not `dir` itself), deepest first.
fn mounts_under(dir: &Path) -> Vec<PathBuf> {
    let text = std::fs::read_to_string("/proc/self/mountinfo").unwrap_or_default();
    let mut out: Vec<PathBuf> = text
        .lines()
        .filter_map(|l| l.split(' ').nth(4))
        .map(|m| PathBuf::from(unescape_mount(m)))
        .filter(|m| m.starts_with(dir) && m != dir)
        .collect();
    out.sort_by_key(|m| std::cmp::Reverse(m.components().count()));
    out.dedup();
    out
}

/// `/proc/self/mountinfo` escapes space, tab, newline and backslash as octal (`\040`).
fn unescape_mount(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        // Bytes, not `&s[..]`: a path may hold multi-byte characters right after a backslash.
        if b[i] == b'\\'
            && let Some(v) = b
                .get(i + 1..i + 4)
                .and_then(|d| std::str::from_utf8(d).ok())
                .and_then(|d| u8::from_str_radix(d, 8).ok())
        {
            out.push(v);
            i += 4;
            continue;
        }
        out.push(b[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mountinfo_escapes_are_decoded_and_non_ascii_is_kept() {
        assert_eq!(unescape_mount(r"/tmp/a\040b"), "/tmp/a b");
        assert_eq!(unescape_mount(r"/tmp/x\134y\011z"), "/tmp/x\\y\tz");
        assert_eq!(unescape_mount(r"/tmp/\éé"), r"/tmp/\éé");
        assert_eq!(unescape_mount("/tmp/plain"), "/tmp/plain");
    }

    #[test]
    fn this_process_is_alive_and_a_missing_one_has_exited() {
        let me = nix::unistd::getpid();
        assert!(matches!(process_state(me), Some('R' | 'S')));
        assert!(!has_exited(me));
        // PIDs are at most 2^22 on Linux.
        assert!(has_exited(Pid::from_raw(i32::MAX)));
    }
}
