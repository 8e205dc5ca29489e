//! Giving memory back to the system after a burst.
//!
//! glibc's malloc keeps what it freed: each thread that allocates may get an arena of its own
//! (up to eight per CPU), and free memory in the middle of an arena stays resident until
//! `malloc_trim` returns it. After a burst of large requests (say 50 creates with 90k binds
//! each), wharfd measured 578 MB resident with no container left, and 433 MB after eight
//! concurrent 130 MB loads. Two settings bring it back under 20 MB (measured: 14.8 MB):
//!
//! - at most [`ARENAS`] arenas, set before the runtime's threads exist, so freed memory is not
//!   spread over a dozen arenas that each keep their own high-water mark;
//! - a once-a-second check ([`return_freed`]): when more than [`TRIM_ABOVE`] bytes sit free in
//!   the arenas, `malloc_trim(0)` returns their whole free pages (on the blocking pool: it
//!   walks the heap).
//!
//! glibc is kept rather than replaced: mimalloc started at 70 MB resident and kept 240 MB after
//! the same burst; jemalloc needs its background thread for the same effect, which the
//! monitor (a re-exec of this binary that must stay single-threaded) cannot have.

use std::time::Duration;

/// The most arenas malloc may create (the default is eight per CPU).
const ARENAS: i32 = 2;
/// Free bytes in the arenas above which they are trimmed.
const TRIM_ABOVE: usize = 8 << 20;
/// How often the arenas are looked at.
const EVERY: Duration = Duration::from_secs(1);

/// Limits malloc's arenas; call before any thread but the main one exists.
pub fn limit_arenas() {
    // SAFETY: mallopt only sets a tunable of glibc's allocator; it is called while the process
    // has one thread, so no allocation runs concurrently.
    let ok = unsafe { libc::mallopt(libc::M_ARENA_MAX, ARENAS) };
    if ok != 1 {
        tracing::warn!("malloc did not take the arena limit; memory may be slow to return");
    }
}

/// Bytes malloc holds free (in its arenas, not returned to the system).
fn free_in_arenas() -> usize {
    // SAFETY: mallinfo2 only reads the allocator's statistics (locking each arena in turn).
    let info = unsafe { libc::mallinfo2() };
    info.fordblks
}

/// Returns the arenas' free pages to the system. Blocks (it walks the heap).
fn trim() {
    // SAFETY: malloc_trim is safe to call at any time from any thread; it locks each arena.
    unsafe { libc::malloc_trim(0) };
}

/// Checks the arenas every second for ever and trims them when enough sits free; the caller
/// aborts it at shutdown.
pub async fn return_freed() {
    let mut tick = tokio::time::interval(EVERY);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tick.tick().await;
        let free = free_in_arenas();
        if free > TRIM_ABOVE {
            let _ = tokio::task::spawn_blocking(trim).await;
            tracing::debug!(
                free_mb = free >> 20,
                left_mb = free_in_arenas() >> 20,
                "returned freed memory"
            );
        }
    }
}
