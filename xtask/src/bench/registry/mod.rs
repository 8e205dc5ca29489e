//! The pull and push rows (issue 11): `docker pull` of an image from a local registry, and
//! `docker push` of one to an empty registry, on a cold-started daemon, timed from the CLI's
//! start to its exit. The registry ([`server`]) runs on 127.0.0.1 inside the daemon's own
//! network namespace, started before the timed step and stopped by PID after it; the images
//! and the storage every pull serves are made once per bench ([`hosted`]). Each run is checked
//! untimed: a pull must give the fixture's image ID, a push a manifest `skopeo inspect` finds,
//! naming the fixture's config and all its layers.

pub mod hosted;
mod server;

use anyhow::{Context, Result, ensure};
use serde_json::Value;

use super::assets::Assets;
use super::engine::{Engine, Start};
use super::probe::{ms, settle};
use super::procs;
use super::scenario::{Hosted, Metric};
use super::scratch;
use hosted::skopeo;
use server::{Access, Server};

pub use hosted::HostedImages;

/// `docker pull` of `h` on a daemon with no images, from a registry serving the filled
/// storage read-only.
pub fn pull(
    engine: &dyn Engine,
    how: &Start,
    assets: &Assets,
    h: Hosted,
) -> Result<Vec<(Metric, f64)>> {
    let hosted = assets.hosted()?;
    let image = hosted.image(h);
    let daemon = engine.start(how, None)?;
    let docker = assets.docker(daemon.socket());
    // Declared after the daemon: stopped before it (dockerd's recipe would kill it as a
    // leftover in its namespace otherwise).
    let server = Server::start(daemon.netns(), &hosted.storage, Access::ReadOnly)?;
    let reference = h.reference();
    hosted.warm()?;
    settle()?;
    // The CPU the pull costs the daemon's process tree and the registry: on a loopback
    // registry a pull is bound by CPU, not by the network, and this says by how much.
    let cpu = || procs::cpu_tree_ms(daemon.pid()) + server.pid().map_or(0.0, procs::cpu_tree_ms);
    let cpu_before = cpu();
    let (took, out) = docker.timed(&["pull", reference.as_str()])?;
    let cpu_used = cpu() - cpu_before;
    ensure!(
        out.contains(&format!("Status: Downloaded newer image for {reference}")),
        "docker pull {reference} on {}: {out}",
        engine.name()
    );
    // Not timed: both engines must store the fixture's image, under its content-derived ID.
    let id = docker.run(&[
        "image",
        "inspect",
        "--format",
        "{{.Id}}",
        reference.as_str(),
    ])?;
    ensure!(
        id.trim() == image.id,
        "{} pulled {reference} as {}, expected {}",
        engine.name(),
        id.trim(),
        image.id
    );
    drop(server);
    Ok(vec![
        (Metric::Pull(h), ms(took)),
        (Metric::PullCpu(h), cpu_used),
    ])
}

/// `docker push` of `h`, loaded first (untimed), to an empty registry.
pub fn push(
    engine: &dyn Engine,
    how: &Start,
    assets: &Assets,
    h: Hosted,
) -> Result<Vec<(Metric, f64)>> {
    let image = assets.hosted()?.image(h);
    let daemon = engine.start(how, None)?;
    let docker = assets.docker(daemon.socket());
    let reference = h.reference();
    docker.run(&["load".as_ref(), "-i".as_ref(), image.path.as_os_str()])?;
    docker.run(&["tag", image.tag, reference.as_str()])?;
    let storage = scratch::tempdir("wharf-bench-push-")?;
    let server = Server::start(daemon.netns(), storage.path(), Access::ReadWrite)?;
    // What the load left dirty is written back now, not during the push.
    settle()?;
    let (took, out) = docker.timed(&["push", reference.as_str()])?;
    let pushed = out
        .lines()
        .find_map(|l| l.split_once(": digest: "))
        .and_then(|(_, rest)| rest.split_whitespace().next())
        .with_context(|| {
            format!(
                "docker push {reference} on {} printed no digest: {out}",
                engine.name()
            )
        })?;

    // Not timed: the registry has the manifest the CLI was told of, with the image's config
    // and every layer.
    let target = format!("docker://{reference}");
    let seen: Value = serde_json::from_str(&skopeo(
        daemon.netns(),
        &["inspect", "--tls-verify=false", &target],
    )?)
    .context("skopeo inspect prints JSON")?;
    let raw: Value = serde_json::from_str(&skopeo(
        daemon.netns(),
        &["inspect", "--raw", "--tls-verify=false", &target],
    )?)
    .context("skopeo inspect --raw prints the manifest")?;
    let layers = raw["layers"].as_array().map_or(0, Vec::len);
    ensure!(
        seen["Digest"] == pushed
            && raw["config"]["digest"] == image.id.as_str()
            && layers == h.layers(),
        "{} pushed {reference} as {pushed}, but the registry has {} with config {} and {layers} \
         layers (expected config {} and {} layers)",
        engine.name(),
        seen["Digest"],
        raw["config"]["digest"],
        image.id,
        h.layers()
    );
    drop(server);
    Ok(vec![(Metric::Push(h), ms(took))])
}
