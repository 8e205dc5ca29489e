//! Network namespaces created (and always removed) by tests.

use std::path::PathBuf;
use std::process::Command;
use std::sync::atomic::{AtomicU32, Ordering};

use anyhow::{Context, Result, bail};

static NEXT: AtomicU32 = AtomicU32::new(0);

/// A named network namespace (`/run/netns/NAME`) with `lo` up; deleted on drop.
#[derive(Debug)]
pub struct NetNs {
    name: String,
}

impl NetNs {
    /// Creates a fresh namespace `wharf-RUN-TAG-PID-N`, unique to this process and call.
    pub fn new(tag: &str) -> Result<Self> {
        let n = NEXT.fetch_add(1, Ordering::Relaxed);
        // `cargo xtask test` tags its run so that it can find namespaces a test failed to remove.
        let tag_run = std::env::var("WHARF_TEST_RUN").unwrap_or_else(|_| "t".to_owned());
        let name = format!("wharf-{tag_run}-{tag}-{}-{n}", std::process::id());
        // Names are limited by the bind mount path only, but keep them short for `ip` output.
        run(Command::new("ip").args(["netns", "add", &name]))?;
        let ns = NetNs { name };
        run(&mut ns.command("ip", &["link", "set", "lo", "up"]))?;
        Ok(ns)
    }

    /// The namespace's name, as `ip netns` shows it.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The bind-mounted namespace file, usable with `nsenter --net=` and `setns`.
    pub fn path(&self) -> PathBuf {
        PathBuf::from("/run/netns").join(&self.name)
    }

    /// A command that runs `program` inside this namespace (via `nsenter`, which, unlike
    /// `ip netns exec`, leaves `/sys` and the cgroup hierarchies alone).
    pub fn command(&self, program: &str, args: &[&str]) -> Command {
        let mut cmd = Command::new("nsenter");
        cmd.arg(format!("--net={}", self.path().display()))
            .arg("--")
            .arg(program)
            .args(args);
        cmd
    }

    /// Runs `program` in the namespace and returns its standard output; fails on a non-zero exit.
    pub fn run(&self, program: &str, args: &[&str]) -> Result<String> {
        run(&mut self.command(program, args))
    }

    /// Runs `f` on a new thread that has entered this namespace (`setns` is per thread), so
    /// the sockets it opens, and those of the threads it starts, live in the namespace. A
    /// panic in `f` is the caller's.
    pub fn run_in<R: Send>(&self, f: impl FnOnce() -> R + Send) -> R {
        let path = self.path();
        std::thread::scope(|s| {
            let thread = s.spawn(move || {
                let file = std::fs::File::open(&path)
                    .unwrap_or_else(|e| panic!("opening {}: {e}", path.display()));
                nix::sched::setns(&file, nix::sched::CloneFlags::CLONE_NEWNET)
                    .unwrap_or_else(|e| panic!("entering {}: {e}", path.display()));
                f()
            });
            match thread.join() {
                Ok(r) => r,
                Err(panic) => std::panic::resume_unwind(panic),
            }
        })
    }

    /// Runs a future to its end on a single-threaded tokio runtime inside this namespace
    /// ([`NetNs::run_in`]): what an async client under test connects to is the namespace's.
    pub fn block_on<F>(&self, fut: F) -> F::Output
    where
        F: std::future::Future + Send,
        F::Output: Send,
    {
        self.run_in(|| {
            tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("a tokio runtime builds")
                .block_on(fut)
        })
    }
}

impl Drop for NetNs {
    fn drop(&mut self) {
        // Deleting the namespace also deletes every interface that lives only in it.
        let _ = Command::new("ip")
            .args(["netns", "del", &self.name])
            .status();
    }
}

fn run(cmd: &mut Command) -> Result<String> {
    let out = cmd.output().with_context(|| format!("running {cmd:?}"))?;
    if !out.status.success() {
        bail!(
            "{cmd:?} failed ({}): {}",
            out.status,
            String::from_utf8_lossy(&out.stderr).trim()
        );
    }
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}
