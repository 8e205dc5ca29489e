//! The container probes (issue 5): `docker run --rm busybox true` on a cold-started daemon,
//! `runc run` of the same rootfs with no daemon at all, and 100 containers created, listed and
//! removed. Each daemon gets busybox by `docker load` first (untimed), and is checked at the
//! end (untimed) to hold no container: `--rm` and `docker rm` did their work.

use std::os::unix::process::CommandExt;
use std::path::Path;
use std::process::Stdio;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, ensure};

use super::assets::Assets;
use super::client::Docker;
use super::engine::{Engine, Running, Start};
use super::scenario::{Fixture, Metric};
use super::{interrupt, procs, scratch};
use crate::ns::NetNs;

/// Timed `docker run`s per daemon after its first (which is a figure of its own).
pub const RUNS_PER_DAEMON: usize = 10;
/// `runc run`s per run of the runc probe.
pub const RUNC_PER_RUN: usize = 10;
/// Containers created, listed and removed per daemon.
pub const CONTAINERS: usize = 100;

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

/// A cold-started daemon of `engine` with busybox loaded (untimed).
pub(super) fn with_busybox(
    engine: &dyn Engine,
    how: &Start,
    assets: &Assets,
) -> Result<Box<dyn Running>> {
    let busybox = assets.fixtures()?.image(Fixture::Busybox);
    let daemon = engine.start(how, None)?;
    assets.docker(daemon.socket()).run(&[
        "load".as_ref(),
        "-i".as_ref(),
        busybox.path.as_os_str(),
    ])?;
    Ok(daemon)
}

/// Fails unless the daemon holds no container (checked after the timed steps).
pub(super) fn none_left(docker: &Docker, engine: &dyn Engine, after: &str) -> Result<()> {
    let left = docker.run(&["ps", "-aq"])?;
    ensure!(
        left.trim().is_empty(),
        "{} still has containers after {after}: {}",
        engine.name(),
        left.split_whitespace().collect::<Vec<_>>().join(" ")
    );
    Ok(())
}

/// `docker run --rm busybox true`, 1 + [`RUNS_PER_DAEMON`] times on one cold daemon: the first
/// is [`Metric::RunFirst`], the others each a sample of [`Metric::Run`].
pub fn run(engine: &dyn Engine, how: &Start, assets: &Assets) -> Result<Vec<(Metric, f64)>> {
    let daemon = with_busybox(engine, how, assets)?;
    let docker = assets.docker(daemon.socket());
    let mut figures = Vec::with_capacity(RUNS_PER_DAEMON + 1);
    for i in 0..=RUNS_PER_DAEMON {
        let (took, out) = docker.timed(&["run", "--rm", "busybox", "true"])?;
        ensure!(
            out.is_empty(),
            "docker run --rm busybox true on {} printed {out:?}",
            engine.name()
        );
        let metric = if i == 0 {
            Metric::RunFirst
        } else {
            Metric::Run
        };
        figures.push((metric, ms(took)));
    }
    none_left(&docker, engine, "docker run --rm")?;
    Ok(figures)
}

/// `docker create busybox true` [`CONTAINERS`] times, one CLI call after the other (their
/// times summed), then `docker ps -a`, then `docker rm` of them all in one command.
pub fn create_ps_rm(
    engine: &dyn Engine,
    how: &Start,
    assets: &Assets,
) -> Result<Vec<(Metric, f64)>> {
    let daemon = with_busybox(engine, how, assets)?;
    let docker = assets.docker(daemon.socket());
    let mut ids = Vec::with_capacity(CONTAINERS);
    let mut create = Duration::ZERO;
    for _ in 0..CONTAINERS {
        let (took, out) = docker.timed(&["create", "busybox", "true"])?;
        create += took;
        let id = out.trim();
        ensure!(
            id.len() == 64 && id.bytes().all(|b| b.is_ascii_hexdigit()),
            "docker create on {} printed {out:?}, not a container ID",
            engine.name()
        );
        ids.push(id.to_string());
    }

    let (ps, out) = docker.timed(&["ps", "-a"])?;
    let lines = out.lines().count();
    ensure!(
        lines == CONTAINERS + 1,
        "docker ps -a on {} listed {lines} lines, expected {} (header and the containers)",
        engine.name(),
        CONTAINERS + 1
    );

    let mut args = vec!["rm".to_string()];
    args.extend(ids.iter().cloned());
    let (rm, out) = docker.timed(&args)?;
    let removed: Vec<&str> = out.lines().map(str::trim).collect();
    ensure!(
        removed.len() == CONTAINERS && removed.iter().all(|r| ids.iter().any(|id| id == r)),
        "docker rm on {} printed {} lines, expected the {CONTAINERS} IDs",
        engine.name(),
        removed.len()
    );
    none_left(&docker, engine, "docker rm")?;
    Ok(vec![
        (Metric::Create100, ms(create)),
        (Metric::PsAll, ms(ps)),
        (Metric::Rm100, ms(rm)),
    ])
}

/// `runc run` of the busybox bundle ([`Assets::runc_bundle`]) [`RUNC_PER_RUN`] times, each
/// timed, with runc's state in a temp dir and runc itself in a network namespace of the
/// bench's (the container gets a new, empty one of its own, as the spec says).
pub fn runc(assets: &Assets) -> Result<Vec<(Metric, f64)>> {
    let bundle = assets.runc_bundle()?;
    let ns = NetNs::new("bench-runc")?;
    let root = scratch::tempdir("wharf-bench-runc-")?;
    let result = runc_runs(&ns, root.path(), &bundle.dir);
    procs::release_runc(root.path(), &bundle.cgroup);
    procs::kill_leftovers(&ns.name);
    result
}

fn runc_runs(ns: &NetNs, root: &Path, bundle: &Path) -> Result<Vec<(Metric, f64)>> {
    let mut figures = Vec::with_capacity(RUNC_PER_RUN);
    for i in 0..RUNC_PER_RUN {
        let mut cmd = ns.command("runc");
        cmd.arg("--root")
            .arg(root)
            .arg("run")
            .arg("--bundle")
            .arg(bundle)
            .arg(format!("wharf-bench-{i}"))
            .stdin(Stdio::null())
            .process_group(0);
        let t0 = Instant::now();
        let out = cmd.output().context("running runc")?;
        let took = t0.elapsed();
        interrupt::check()?;
        ensure!(
            out.status.success(),
            "runc run of the busybox bundle failed ({}): {}",
            out.status,
            String::from_utf8_lossy(&out.stderr).trim()
        );
        figures.push((Metric::RuncRun, ms(took)));
    }
    Ok(figures)
}
