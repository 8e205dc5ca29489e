//! Ctrl-C (and SIGTERM) turned into a flag, so that an interrupted benchmark unwinds through its
//! guards and stops every daemon it started instead of dying with them still running.
//!
//! The signals are blocked in the calling thread before any other thread exists (threads
//! inherit the mask) and a dedicated thread takes them with `sigwait`: no handler, no `unsafe`.
//! Children get a clean mask from `std::process::Command`, so daemons still react to SIGTERM.

use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Result, bail};
use nix::sys::signal::{SigSet, Signal};

static INTERRUPTED: AtomicBool = AtomicBool::new(false);

/// Starts turning SIGINT and SIGTERM into the flag; call before spawning any thread.
pub fn install() -> Result<()> {
    let mut set = SigSet::empty();
    set.add(Signal::SIGINT);
    set.add(Signal::SIGTERM);
    set.thread_block()?;
    std::thread::Builder::new()
        .name("bench-signals".into())
        .spawn(move || {
            loop {
                if let Ok(sig) = set.wait()
                    && !INTERRUPTED.swap(true, Ordering::SeqCst)
                {
                    eprintln!("\nxtask bench: {sig}: stopping the daemons and cleaning up");
                }
            }
        })?;
    Ok(())
}

/// Fails once the user asked to stop.
pub fn check() -> Result<()> {
    if INTERRUPTED.load(Ordering::SeqCst) {
        bail!("interrupted");
    }
    Ok(())
}

/// Sleeps `d`, failing early when interrupted.
pub fn sleep(d: Duration) -> Result<()> {
    let end = Instant::now() + d;
    loop {
        check()?;
        let now = Instant::now();
        if now >= end {
            return Ok(());
        }
        std::thread::sleep((end - now).min(Duration::from_millis(50)));
    }
}
