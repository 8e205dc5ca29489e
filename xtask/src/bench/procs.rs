//! Processes seen from `/proc`: stopping by PID, the memory of a process tree, what is left in a
//! network namespace or by the bench's bare `runc run`s, and the `/_ping` probe. What a stopped
//! wharfd leaves is ended by `testkit::cleanup`, shared with the tests.
//!
//! Daemons launched through the peer recipe are orphaned on purpose (`setsid … &`). This
//! machine kind's PID 1 reaps orphans only every few seconds; until then a stopped daemon is a
//! zombie that `kill -0` still finds, and the recipe's `stop_pid` keeps waiting (each dockerd
//! stop took ~3.8 s instead of ~2.3 s). The bench therefore makes itself their child subreaper
//! and reaps what it adopts.

use std::collections::HashMap;
use std::io::{Read, Write};
use std::os::unix::net::UnixStream;
use std::path::Path;
use std::process::{Child, Command, ExitStatus};
use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use nix::sys::signal::{Signal, kill};
use nix::unistd::Pid;
use testkit::cleanup::{has_exited, kill_and_wait, process_state, reap_adopted, runc_delete_all};

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
            kill_and_wait(pid);
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

/// CPU time (user + system, ms) that `root` and all its descendants have used so far, threads
/// that ended included (`/proc/<pid>/stat`'s utime and stime, in clock ticks).
pub fn cpu_tree_ms(root: Pid) -> f64 {
    let hz = nix::unistd::sysconf(nix::unistd::SysconfVar::CLK_TCK)
        .ok()
        .flatten()
        .map_or(100.0, |v| v.max(1) as f64);
    let ticks: u64 = tree(root).into_iter().map(cpu_ticks).sum();
    ticks as f64 * 1000.0 / hz
}

/// utime + stime of one process, in clock ticks (0 for one that went away).
fn cpu_ticks(pid: Pid) -> u64 {
    let Ok(stat) = std::fs::read_to_string(format!("/proc/{pid}/stat")) else {
        return 0;
    };
    // The command name may hold spaces and parentheses: the fields start after the last ')'.
    let Some((_, rest)) = stat.rsplit_once(')') else {
        return 0;
    };
    let fields: Vec<&str> = rest.split_whitespace().collect();
    // After the name: state is field 3, utime field 14 and stime field 15 (proc(5)).
    let field = |n: usize| {
        fields
            .get(n - 3)
            .and_then(|v| v.parse::<u64>().ok())
            .unwrap_or(0)
    };
    field(14) + field(15)
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
        matches!(process_state(root), Some(s) if s != 'Z'),
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
        kill_and_wait(pid);
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
    fn a_missing_socket_does_not_answer() {
        assert!(!ping(Path::new("/nonexistent/wharf.sock")));
    }
}
