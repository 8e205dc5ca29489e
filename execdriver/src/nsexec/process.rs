//! The exec's process as runc's init would set it up, computed before the fork: environment,
//! `PATH` candidates, rlimits, capability masks, and what only runc does.

use std::ffi::CString;
use std::path::Path;

use nix::libc;
use oci_spec::runtime::Process;

use super::child::CapSets;

/// What only runc does for a process.
pub(super) fn refuse_process(p: &Process) -> std::result::Result<(), String> {
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

/// The process's environment as runc's init sets it up: each `KEY=value` in order, a later
/// duplicate replacing the earlier value in place (Go's `os.Setenv`), then `HOME` from the
/// container's `/etc/passwd` (`/` when the user has no entry) if there is none.
pub(super) fn environment(p: &Process, init: &Path) -> std::result::Result<Vec<String>, String> {
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
pub(super) fn candidates(arg0: &str, env: &[String]) -> Vec<String> {
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

pub(super) fn c_strings(items: &[String]) -> std::result::Result<Vec<CString>, String> {
    items
        .iter()
        .map(|s| CString::new(s.as_bytes()).map_err(|_| format!("{s:?} holds a NUL byte")))
        .collect()
}

pub(super) fn null_terminated(items: &[CString]) -> Vec<*const libc::c_char> {
    items
        .iter()
        .map(|c| c.as_ptr())
        .chain(std::iter::once(std::ptr::null()))
        .collect()
}

/// The process's rlimits as `(resource, limit)`.
pub(super) fn rlimits(
    p: &Process,
) -> std::result::Result<Vec<(libc::c_int, libc::rlimit64)>, String> {
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
pub(super) fn cap_sets(p: &Process) -> CapSets {
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
}
