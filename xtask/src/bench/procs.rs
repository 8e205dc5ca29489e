//! Processes seen from `/proc`: liveness, stopping by PID, the memory of a process tree, what
//! is left in a network namespace or by a stopped wharfd's containers, and the `/_ping` probe.
//!
//! Daemons launched through the peer recipe are orphaned on purpose (`setsid … &`). This
//! machine kind's PID 1 reaps orphans only every few seconds; until then a stopped daemon is a
//! zombie that `kill -0` still finds, and the recipe's `stop_pid` keeps waiting (each dockerd
//! stop took ~3.8 s instead of ~2.3 s). The bench therefore makes itself their child subreaper
//! and reaps what it adopts.

use std::collections::HashMap;
use std::ffi::OsStr;
use std::io::{Read, Write};
use std::os::unix::ffi::OsStrExt;
use std::os::unix::net::UnixStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use nix::errno::Errno;
use nix::mount::{MntFlags, umount2};
use nix::sys::signal::{Signal, kill};
use nix::sys::wait::{Id, WaitPidFlag, WaitStatus, waitid, waitpid};
use nix::unistd::Pid;

/// Makes this process the reaper of its orphaned descendants (see the module comment).
pub fn become_subreaper() -> Result<()> {
    nix::sys::prctl::set_child_subreaper(true).context("prctl(PR_SET_CHILD_SUBREAPER)")
}

/// One `GET /_ping` over the Unix socket `sock`: true when the answer is 200 with body `OK`.
pub fn ping(sock: &Path) -> bool {
    let Ok(mut s) = UnixStream::connect(sock) else {
        return false;
    };
    let _ = s.set_read_timeout(Some(Duration::from_secs(2)));
    if s.write_all(b"GET /_ping HTTP/1.0\r\n\r\n").is_err() {
        return false;
    }
    let mut answer = Vec::with_capacity(512);
    if s.read_to_end(&mut answer).is_err() {
        return false;
    }
    let text = String::from_utf8_lossy(&answer);
    text.split_whitespace().nth(1) == Some("200") && text.ends_with("\r\n\r\nOK")
}

/// The one-letter state of `pid` (`R`, `S`, `Z`...), `None` when it does not exist.
fn state(pid: Pid) -> Option<char> {
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
        Err(_) => !matches!(state(pid), Some(s) if s != 'Z' && s != 'X'),
    }
}

/// Stops `pid` (a process we started): SIGTERM, up to `grace` to exit, then SIGKILL.
pub fn stop_pid(pid: Pid, name: &str, grace: Duration) {
    if has_exited(pid) {
        return;
    }
    let _ = kill(pid, Signal::SIGTERM);
    let deadline = Instant::now() + grace;
    while !has_exited(pid) {
        if Instant::now() > deadline {
            eprintln!("xtask bench: {name} (pid {pid}) ignored SIGTERM for {grace:?}, SIGKILL");
            let _ = kill(pid, Signal::SIGKILL);
            let deadline = Instant::now() + Duration::from_secs(5);
            while !has_exited(pid) && Instant::now() < deadline {
                std::thread::sleep(Duration::from_millis(10));
            }
            return;
        }
        std::thread::sleep(Duration::from_millis(2));
    }
}

/// Every live process with its parent, from `/proc`.
fn parents() -> HashMap<Pid, Pid> {
    let mut map = HashMap::new();
    let Ok(dir) = std::fs::read_dir("/proc") else {
        return map;
    };
    for entry in dir.flatten() {
        let Some(pid) = entry.file_name().to_str().and_then(|s| s.parse().ok()) else {
            continue;
        };
        let Ok(stat) = std::fs::read_to_string(entry.path().join("stat")) else {
            continue;
        };
        let ppid = stat
            .rsplit_once(')')
            .and_then(|(_, rest)| rest.split_whitespace().nth(1))
            .and_then(|p| p.parse().ok());
        if let Some(ppid) = ppid {
            map.insert(Pid::from_raw(pid), Pid::from_raw(ppid));
        }
    }
    map
}

/// `root` and all its descendants.
pub fn tree(root: Pid) -> Vec<Pid> {
    let parents = parents();
    let mut out = vec![root];
    let mut i = 0;
    while let Some(&p) = out.get(i) {
        out.extend(parents.iter().filter(|(_, pp)| **pp == p).map(|(c, _)| *c));
        i += 1;
    }
    out
}

/// `VmRSS` of one process in kB (0 for a zombie or a process that just went away).
fn rss_kb(pid: Pid) -> u64 {
    status_kb(pid, "VmRSS").unwrap_or(0)
}

/// A `kB` field of `/proc/<pid>/status` (`VmRSS`, `VmHWM`...).
pub fn status_kb(pid: Pid, field: &str) -> Result<u64> {
    let path = format!("/proc/{pid}/status");
    let status = std::fs::read_to_string(&path).with_context(|| format!("reading {path}"))?;
    status
        .lines()
        .find_map(|l| l.strip_prefix(field)?.strip_prefix(':'))
        .and_then(|v| v.split_whitespace().next())
        .and_then(|v| v.parse().ok())
        .with_context(|| format!("no {field} in {path}"))
}

/// Resets the peak resident memory (`VmHWM`) of `pid` to its current resident memory, so that
/// the next reading is the peak since now (`clear_refs`' "5", Linux 4.0 and later).
pub fn reset_peak_rss(pid: Pid) -> Result<()> {
    let path = format!("/proc/{pid}/clear_refs");
    std::fs::write(&path, "5").with_context(|| format!("writing 5 to {path}"))
}

/// Resident memory (kB) of `root` and all its descendants, and how many processes that is.
pub fn rss_tree_kb(root: Pid) -> Result<(u64, usize)> {
    anyhow::ensure!(
        matches!(state(root), Some(s) if s != 'Z'),
        "pid {root} is not running"
    );
    let pids = tree(root);
    Ok((pids.iter().map(|&p| rss_kb(p)).sum(), pids.len()))
}

/// The processes inside network namespace `ns` (`ip netns pids`).
pub fn netns_pids(ns: &str) -> Vec<Pid> {
    Command::new("ip")
        .args(["netns", "pids", ns])
        .output()
        .map(|o| {
            String::from_utf8_lossy(&o.stdout)
                .split_whitespace()
                .filter_map(|p| p.parse().ok())
                .map(Pid::from_raw)
                .collect()
        })
        .unwrap_or_default()
}

/// Kills whatever still runs in `ns`, a namespace this bench created (so everything in it is
/// ours), saying so: a daemon that exits must not leave processes behind.
pub fn kill_leftovers(ns: &str) {
    for pid in netns_pids(ns) {
        let cmdline = std::fs::read_to_string(format!("/proc/{pid}/cmdline"))
            .unwrap_or_default()
            .replace('\0', " ");
        eprintln!(
            "xtask bench: left behind in {ns}: pid {pid} ({})",
            cmdline.trim()
        );
        let _ = kill(pid, Signal::SIGKILL);
        let deadline = Instant::now() + Duration::from_secs(5);
        while !has_exited(pid) && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(10));
        }
    }
}

/// Ends what a stopped wharfd's containers may have left in `dir`, its temp dir (data and exec
/// roots), so the dir can go: containers still known to runc (under `<dir>/exec/runc`) are
/// deleted with `runc delete --force`, monitors (processes whose `--state-dir` is under `dir`)
/// get 3 s to exit and are then killed by PID, and every mount under `dir` (overlays, container
/// network namespaces) is detached lazily, deepest first, and the empty `wharf` parent
/// cgroups go. What had to be cleaned is said: a
/// run that removed its containers leaves nothing. The same steps as `testkit::release_dir`
/// (xtask depends on no workspace crate).
pub fn release_dir(dir: &Path) {
    let dir = dir.canonicalize().unwrap_or_else(|_| dir.to_path_buf());
    runc_delete_all(&dir.join("exec").join("runc"));
    let deadline = Instant::now() + Duration::from_secs(3);
    loop {
        let monitors = monitors_under(&dir);
        if monitors.is_empty() {
            break;
        }
        if Instant::now() > deadline {
            for pid in monitors {
                eprintln!("xtask bench: leftover monitor pid {pid}: SIGKILL");
                let _ = kill(pid, Signal::SIGKILL);
                let deadline = Instant::now() + Duration::from_secs(5);
                while !has_exited(pid) && Instant::now() < deadline {
                    std::thread::sleep(Duration::from_millis(10));
                }
            }
            break;
        }
        // They are our adopted children (we are their subreaper): reap the ones that ended.
        reap_adopted(None);
        std::thread::sleep(Duration::from_millis(20));
    }
    for m in mounts_under(&dir) {
        eprintln!("xtask bench: leftover mount {}: lazy unmount", m.display());
        let _ = umount2(&m, MntFlags::MNT_DETACH);
    }
    reap_adopted(None);
    // runc leaves the (empty) `wharf` parent cgroup of the containers; `rmdir` refuses it
    // while another daemon's container still uses it.
    if let Ok(hierarchies) = std::fs::read_dir("/sys/fs/cgroup") {
        for h in hierarchies.flatten() {
            let _ = std::fs::remove_dir(h.path().join("wharf"));
        }
    }
}

/// `runc delete --force` of every container runc still knows under its state root `root`.
fn runc_delete_all(root: &Path) {
    let Ok(entries) = std::fs::read_dir(root) else {
        return;
    };
    for e in entries.flatten().filter(|e| e.path().is_dir()) {
        eprintln!(
            "xtask bench: leftover container {}: runc delete --force",
            e.file_name().to_string_lossy()
        );
        let _ = Command::new("runc")
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

/// Ends what `runc run`s with state root `root` left (nothing, when each ran to its end): the
/// containers still known to runc, then the cgroup `cgroup` (a path relative to each
/// hierarchy's root, only the bench's) in every hierarchy where it is still there.
pub fn release_runc(root: &Path, cgroup: &str) {
    runc_delete_all(root);
    let rel = cgroup.trim_start_matches('/');
    if rel.is_empty() {
        return;
    }
    let base = Path::new("/sys/fs/cgroup");
    let hierarchies = std::fs::read_dir(base)
        .map(|d| d.flatten().map(|e| e.path()).collect::<Vec<_>>())
        .unwrap_or_default();
    for dir in std::iter::once(base.to_path_buf())
        .chain(hierarchies)
        .map(|h| h.join(rel))
        .filter(|d| d.is_dir())
    {
        eprintln!("xtask bench: leftover cgroup {}: rmdir", dir.display());
        let _ = std::fs::remove_dir(&dir);
    }
}

/// Monitor processes (`wharfd monitor ... --state-dir D`) whose state directory is under `dir`.
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
            (is_monitor && !matches!(state(Pid::from_raw(pid)), Some('Z' | 'X') | None))
                .then(|| Pid::from_raw(pid))
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

/// Reaps every exited child except `keep` (children adopted as subreaper).
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

/// Waits for `child` (a recipe script) up to `timeout`, reaping the daemons it orphans
/// meanwhile; kills it when it takes longer.
pub fn wait_reaping(child: &mut Child, timeout: Duration) -> Result<ExitStatus> {
    let pid = Pid::from_raw(i32::try_from(child.id()).context("pid fits in i32")?);
    let deadline = Instant::now() + timeout;
    loop {
        reap_adopted(Some(pid));
        if let Some(status) = child.try_wait()? {
            reap_adopted(None);
            return Ok(status);
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            anyhow::bail!("{child:?} did not finish within {timeout:?}");
        }
        std::thread::sleep(Duration::from_millis(10));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn own_tree_and_rss_are_found() {
        let me = Pid::this();
        assert_eq!(tree(me).first(), Some(&me));
        let (kb, n) = rss_tree_kb(me).expect("this process runs");
        assert!(kb > 0 && n >= 1);
    }

    #[test]
    fn peak_rss_is_read_and_reset() {
        let me = Pid::this();
        let ballast = vec![1u8; 32 << 20];
        std::hint::black_box(&ballast);
        drop(ballast);
        reset_peak_rss(me).expect("a process may reset its own peak");
        let peak = status_kb(me, "VmHWM").expect("VmHWM");
        let rss = status_kb(me, "VmRSS").expect("VmRSS");
        assert!(peak > 0 && rss > 0);
        assert!(status_kb(me, "VmNope").is_err());
    }

    #[test]
    fn mount_points_are_unescaped() {
        assert_eq!(unescape_mount("/tmp/a\\040b"), "/tmp/a b");
        assert_eq!(unescape_mount("/plain"), "/plain");
        assert_eq!(unescape_mount("/end\\04"), "/end\\04");
        assert_eq!(unescape_mount("/x\\é"), "/x\\é");
    }

    #[test]
    fn a_missing_socket_does_not_answer() {
        assert!(!ping(Path::new("/nonexistent/wharf.sock")));
    }
}
