//! The stats probe (issue 12): `docker stats --no-stream` of [`CONTAINERS`] running busybox
//! containers, as the CLI asks for it (one `stream=false` request per container, at once).
//! dockerd answers each after two samples of its once-a-second collector (about two seconds);
//! wharfd reads the cgroup twice, a moment apart. The CLI adds 500 ms of its own (a ticker
//! before its first print).

use anyhow::{Result, ensure};

use super::assets::Assets;
use super::containers::{none_left, with_busybox};
use super::engine::{Engine, Start};
use super::probe::ms;
use super::report::Row;
use super::scenario::Metric;

/// Running containers whose stats are asked for.
pub const CONTAINERS: usize = 20;
/// Timed `docker stats --no-stream` per daemon.
pub const SAMPLES_PER_DAEMON: usize = 3;

/// A cold daemon with [`CONTAINERS`] `sleep` containers (untimed), then `docker stats
/// --no-stream` [`SAMPLES_PER_DAEMON`] times, each a sample; the containers are removed
/// (untimed) at the end.
pub fn no_stream(engine: &dyn Engine, how: &Start, assets: &Assets) -> Result<Vec<(Metric, f64)>> {
    let daemon = with_busybox(engine, how, assets)?;
    let docker = assets.docker(daemon.socket());
    let mut ids = Vec::with_capacity(CONTAINERS);
    for _ in 0..CONTAINERS {
        ids.push(
            docker
                .run(&["run", "-d", "busybox", "sleep", "600"])?
                .trim()
                .to_owned(),
        );
    }
    let mut figures = Vec::with_capacity(SAMPLES_PER_DAEMON);
    for _ in 0..SAMPLES_PER_DAEMON {
        let (took, out) = docker.timed(&["stats", "--no-stream"])?;
        let rows = out.lines().count();
        ensure!(
            rows == CONTAINERS + 1,
            "docker stats --no-stream on {} printed {rows} lines, expected {} (header and the \
             containers)",
            engine.name(),
            CONTAINERS + 1
        );
        figures.push((Metric::StatsNoStream, ms(took)));
    }
    let mut rm = vec!["rm".to_owned(), "-f".to_owned()];
    rm.extend(ids);
    docker.run(&rm)?;
    none_left(&docker, engine, "docker rm -f")?;
    Ok(figures)
}

/// The note of the stats row.
pub fn notes(rows: &[Row]) {
    if rows
        .iter()
        .any(|r| r.scenario.metric == Metric::StatsNoStream)
    {
        println!(
            "- docker stats --no-stream: on each cold daemon with busybox loaded, {CONTAINERS} \
             `docker run -d busybox sleep 600` (untimed), then `docker stats --no-stream` \
             {SAMPLES_PER_DAEMON} times, each timed from spawn to exit and checked to print a \
             row per container. The CLI sends one `stream=false` request per container at once; \
             dockerd waits for two samples of its 1 s collector, wharfd takes two reads of the \
             cgroup 100 ms apart, or one when the container was read less than a second before \
             (the CPU % is over that interval). The CLI waits 500 ms of its own before printing."
        );
    }
}
