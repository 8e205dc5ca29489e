//! The user-network probe (issue 14): on a cold-started daemon with busybox loaded (untimed),
//! `docker network create` + `docker network rm` of a fresh network, and `docker run --rm
//! --network NET busybox true` on a user network, each [`ROUNDS`] times. Each create must print
//! an ID and each run nothing; no network or container may be left (untimed).

use anyhow::{Result, ensure};

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
    docker.run(&["network", "rm", "bench-net"])?;
    let left = docker.run(&["network", "ls", "-q", "--filter", "type=custom"])?;
    ensure!(
        left.trim().is_empty(),
        "{} still has user networks: {left}",
        engine.name()
    );
    Ok(figures)
}
