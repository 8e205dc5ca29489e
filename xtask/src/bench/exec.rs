//! The exec probe (issue 12): `docker exec c true` on a running busybox container, on a
//! cold-started daemon with busybox loaded and the container started (untimed); each exec must
//! print nothing and exit 0, and no exec may be left running (untimed inspect of `ExecIDs`).

use std::time::Duration;

use anyhow::{Result, ensure};

use super::assets::Assets;
use super::containers::with_busybox;
use super::engine::{Engine, Start};
use super::scenario::Metric;

/// Timed `docker exec`s per daemon.
pub const EXECS_PER_DAEMON: usize = 10;

/// `docker exec c true`, [`EXECS_PER_DAEMON`] times on one daemon, each a sample of
/// [`Metric::Exec`]; the container is removed at the end (untimed).
pub fn exec(engine: &dyn Engine, how: &Start, assets: &Assets) -> Result<Vec<(Metric, f64)>> {
    let daemon = with_busybox(engine, how, assets)?;
    let docker = assets.docker(daemon.socket());
    docker.run(&[
        "run",
        "-d",
        "--name",
        "bench-exec",
        "busybox",
        "sleep",
        "600",
    ])?;
    let mut figures = Vec::with_capacity(EXECS_PER_DAEMON);
    for _ in 0..EXECS_PER_DAEMON {
        let (took, out) = docker.timed(&["exec", "bench-exec", "true"])?;
        ensure!(
            out.is_empty(),
            "docker exec bench-exec true on {} printed {out:?}",
            engine.name()
        );
        figures.push((Metric::Exec, took.as_secs_f64() * 1000.0));
    }
    let left = docker.run(&["inspect", "-f", "{{json .ExecIDs}}", "bench-exec"])?;
    ensure!(
        left.trim() == "null",
        "{} still lists execs after they ended: {}",
        engine.name(),
        left.trim()
    );
    docker.run(&["rm", "-f", "bench-exec"])?;
    // Let the removal's background work finish before the daemon is stopped.
    std::thread::sleep(Duration::from_millis(10));
    Ok(figures)
}
