//! `cargo xtask run`: a throwaway `wharfd` for trying things out.
//!
//! It builds the daemon, starts it in a network namespace of its own with all state in a temp
//! dir, prints the `DOCKER_HOST` line to use, and on Ctrl-C (or SIGTERM) stops it and removes
//! the namespace and the temp dir. The daemon runs in its own process group, so the terminal's
//! Ctrl-C reaches only xtask, which then stops the daemon once, cleanly.

use std::os::unix::process::CommandExt;
use std::path::Path;
use std::process::{Child, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use nix::sys::signal::{SigHandler, SigSet, Signal, kill, signal};
use nix::unistd::Pid;

use crate::ns::NetNs;
use crate::{cargo, packages, run_checked, workspace_root};

/// The daemon's log, in the temp dir.
const LOG: &str = "wharfd.log";
/// How much of the log a failed start shows.
const LOG_LINES: usize = 30;

pub fn main(args: &[String]) -> Result<()> {
    anyhow::ensure!(
        nix::unistd::geteuid().is_root(),
        "wharfd needs root (it creates a bridge and firewall rules in its namespace)"
    );
    packages::ensure(packages::RUNTIME_PACKAGES)?;
    run_checked(cargo().args(["build", "--release", "-p", "daemon", "--bin", "wharfd"]))?;
    let bin = workspace_root().join("target/release/wharfd");
    let dir = tempfile::Builder::new().prefix("wharf-run-").tempdir()?;
    let ns = NetNs::new("run")?;
    let sock = dir.path().join("wharf.sock");

    // Wait for these signals synchronously. They must not be ignored (a shell ignores SIGINT
    // for background jobs, and an ignored signal is discarded even when blocked), and are
    // blocked before the daemon starts so that none is lost (the daemon unblocks them itself).
    let mut set = SigSet::empty();
    for sig in [Signal::SIGINT, Signal::SIGTERM, Signal::SIGCHLD] {
        // SAFETY: restoring the default disposition installs no handler code.
        unsafe { signal(sig, SigHandler::SigDfl) }?;
        set.add(sig);
    }
    set.thread_block()?;

    let mut daemon = start(&ns, &bin, dir.path(), args)?;
    if let Err(e) = wait_ready(&mut daemon, &sock) {
        stop(&mut daemon);
        // The temp dir, and the log in it, are removed on return: show the log's end now.
        let log = std::fs::read_to_string(dir.path().join(LOG)).unwrap_or_default();
        return Err(start_failure(&e, &log));
    }
    println!(
        "wharfd is running (pid {}) in network namespace {}",
        daemon.id(),
        ns.name
    );
    println!("state and log: {}", dir.path().display());
    println!();
    println!("    export DOCKER_HOST=unix://{}", sock.display());
    println!();
    println!("Press Ctrl-C to stop it and clean up.");

    loop {
        let sig = set.wait()?;
        if sig != Signal::SIGCHLD || daemon.try_wait()?.is_some() {
            break;
        }
    }
    stop(&mut daemon);
    println!(
        "stopped; namespace {} and {} removed",
        ns.name,
        dir.path().display()
    );
    Ok(())
}

fn start(ns: &NetNs, bin: &Path, dir: &Path, extra: &[String]) -> Result<Child> {
    let log = std::fs::File::create(dir.join(LOG))?;
    let mut cmd = ns.command(bin.to_str().context("binary path is UTF-8")?);
    cmd.arg("--data-root")
        .arg(dir.join("data"))
        .arg("--exec-root")
        .arg(dir.join("exec"))
        .arg("--pidfile")
        .arg(dir.join("wharf.pid"))
        .arg("--config-file")
        .arg(dir.join("daemon.json"))
        .arg("-H")
        .arg(format!("unix://{}", dir.join("wharf.sock").display()))
        .args(extra)
        .stdin(Stdio::null())
        .stdout(log.try_clone()?)
        .stderr(log)
        .process_group(0);
    cmd.spawn().context("starting wharfd")
}

fn wait_ready(daemon: &mut Child, sock: &Path) -> Result<()> {
    let deadline = Instant::now() + Duration::from_secs(30);
    while !sock.exists() {
        if let Some(status) = daemon.try_wait()? {
            bail!("wharfd exited ({status})");
        }
        if Instant::now() > deadline {
            bail!("wharfd did not create its socket within 30 s");
        }
        std::thread::sleep(Duration::from_millis(5));
    }
    Ok(())
}

fn stop(daemon: &mut Child) {
    if let Ok(None) = daemon.try_wait() {
        let _ = kill(Pid::from_raw(daemon.id() as i32), Signal::SIGTERM);
        let deadline = Instant::now() + Duration::from_secs(15);
        while let Ok(None) = daemon.try_wait() {
            if Instant::now() > deadline {
                let _ = daemon.kill();
                break;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }
    let _ = daemon.wait();
}

/// A failed start as it must be reported: what happened, then the end of the daemon's log
/// (the log itself is about to be deleted with the temp dir).
fn start_failure(e: &anyhow::Error, log: &str) -> anyhow::Error {
    let lines: Vec<&str> = log.lines().collect();
    if lines.is_empty() {
        return anyhow::anyhow!("{e:#}; wharfd wrote nothing to its log");
    }
    let tail = &lines[lines.len().saturating_sub(LOG_LINES)..];
    anyhow::anyhow!("{e:#}; the last lines of its log:\n{}", tail.join("\n"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_failed_start_shows_the_end_of_the_log() {
        let log: String = (1..=40).map(|i| format!("line {i}\n")).collect();
        let exited = anyhow::anyhow!("wharfd exited (exit status: 1)");
        let shown = start_failure(&exited, &log).to_string();
        assert!(
            shown.starts_with(
                "wharfd exited (exit status: 1); the last lines of its log:\nline 11\n"
            ),
            "{shown}"
        );
        assert!(shown.ends_with("line 39\nline 40"), "{shown}");
        assert_eq!(
            start_failure(&exited, "").to_string(),
            "wharfd exited (exit status: 1); wharfd wrote nothing to its log"
        );
    }
}
