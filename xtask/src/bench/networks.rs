//! The user-network probe (issue 14): on a cold-started daemon with busybox loaded (untimed),
//! `docker network create` + `docker network rm` of a fresh network, and `docker run --rm
//! --network NET busybox true` on a user network, each [`ROUNDS`] times, then a peer's name
//! looked up from inside a container ([`super::dns_lookup`]). Each create must print an ID and
//! each run nothing; no network or container may be left (untimed).

use anyhow::{Context, Result, ensure};

use super::assets::Assets;
use super::containers::{none_left, with_busybox};
use super::engine::{Engine, Start};
use super::probe::ms;
use super::scenario::Metric;

/// Timed create+rm pairs, and timed runs, per daemon.
pub const ROUNDS: usize = 10;

/// [`Metric::NetworkCreateRm`] and [`Metric::RunUserNet`], [`ROUNDS`] samples each.
pub fn user_networks(
    engine: &dyn Engine,
    how: &Start,
    assets: &Assets,
) -> Result<Vec<(Metric, f64)>> {
    let daemon = with_busybox(engine, how, assets)?;
    let docker = assets.docker(daemon.socket());
    let mut figures = Vec::with_capacity(2 * ROUNDS);
    for i in 0..ROUNDS {
        let name = format!("bench-net-{i}");
        let (create, id) = docker.timed(&["network", "create", &name])?;
        ensure!(
            id.trim().len() == 64,
            "docker network create on {} printed {id:?}, not a network ID",
            engine.name()
        );
        let (rm, out) = docker.timed(&["network", "rm", &name])?;
        ensure!(
            out.trim() == name,
            "docker network rm on {} printed {out:?}",
            engine.name()
        );
        figures.push((Metric::NetworkCreateRm, ms(create + rm)));
    }
    docker.run(&["network", "create", "bench-net"])?;
    for _ in 0..ROUNDS {
        let run = ["run", "--rm", "--network", "bench-net", "busybox", "true"];
        let (took, out) = docker.timed(&run)?;
        ensure!(
            out.is_empty(),
            "docker run --rm --network bench-net on {} printed {out:?}",
            engine.name()
        );
        figures.push((Metric::RunUserNet, ms(took)));
    }
    none_left(&docker, engine, "docker run --rm --network")?;
    // A peer's name looked up from inside a container on the network (untimed set-up).
    for name in ["peer", "client"] {
        docker.run(&[
            "run",
            "-d",
            "--name",
            name,
            "--network",
            "bench-net",
            "busybox",
            "sleep",
            "300",
        ])?;
    }
    let pid = docker.run(&["inspect", "-f", "{{.State.Pid}}", "client"])?;
    let pid: u32 = pid.trim().parse().context("the client container's PID")?;
    let dns = super::dns_lookup::figures(pid);
    docker.run(&["rm", "-f", "peer", "client"])?;
    figures.extend(dns?);
    none_left(&docker, engine, "the DNS lookups")?;
    docker.run(&["network", "rm", "bench-net"])?;
    let left = docker.run(&["network", "ls", "-q", "--filter", "type=custom"])?;
    ensure!(
        left.trim().is_empty(),
        "{} still has user networks: {left}",
        engine.name()
    );
    Ok(figures)
}
