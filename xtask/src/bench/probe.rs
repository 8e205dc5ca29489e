//! What one run of a scenario does, and the figures it gives. Most probes cold-start a daemon
//! of the engine and drive it; a few run a workspace example (or runc) instead and take part
//! in the wharfd column only. One run may give several figures: the big load also times a
//! plain `tar -x` of its layer right before, in the same conditions; the ~1 GB load gives
//! wharfd's memory growth and peak during it; the tags probe times
//! `docker images` and then `docker rmi` on the same daemon; the endpoints probe gives the
//! bridge set-up and the attach and detach latencies; the container probes ([`containers`])
//! give several samples of `docker run` per daemon, and create, list and remove 100
//! containers on one; the registry probes ([`registry`]) pull or push one image.

use std::os::unix::process::CommandExt;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, ensure};

use super::assets::{self, Assets, SEEDED_IMAGES};
use super::engine::{Data, Engine, Start};
use super::scenario::{Fixture, Hosted, Metric};
use super::{
    build, client, container_stats, containers, exec, interrupt, networks, procs, registry,
    scratch, storm,
};
use crate::ns::NetNs;

/// How long a daemon sits idle before its memory is read.
const IDLE: Duration = Duration::from_secs(1);
/// Cold starts behind each idle-memory figure (each costs [`IDLE`]).
const RSS_RUNS: usize = 3;
/// Cold starts behind each load figure.
const LOAD_RUNS: usize = 5;
/// Cold starts behind the ~1 GB load's memory figures (each loads 1 GiB).
const LOAD_RSS_RUNS: usize = 2;
/// Runs of the heavier probes (the 1 000 tags, the 100k-ID store, the container probes).
const HEAVY_RUNS: usize = 3;
/// Cold starts behind each pull and push figure.
const REGISTRY_RUNS: usize = 5;
/// Runs of the endpoint example, each in a fresh namespace with a new bridge.
const ENDPOINT_RUNS: usize = 5;
/// Attach/detach rounds per endpoint run, for each pace.
pub const ENDPOINT_ROUNDS: usize = 20;
/// Tags set on busybox for `docker images` and `docker rmi`.
pub const TAGS: usize = 1_000;

/// One kind of run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Probe {
    /// A cold start, timed to the first `/_ping`.
    Ready,
    /// A cold start, then a second idle, then the memory of the daemon's process tree.
    IdleRss,
    /// A cold start, then `docker load -i` of a fixture, timed. For the big fixture, a plain
    /// `tar -x` of its `/usr` layer into an empty directory is timed first.
    Load(Fixture),
    /// A cold start, then `docker load -i` of the ~1 GB fixture, with the daemon's resident
    /// memory read right before and its peak (`VmHWM`, reset right before) right after.
    LoadRss,
    /// A cold start, busybox loaded and tagged [`TAGS`] times through the API (not timed),
    /// then `docker images` and `docker rmi` of every tag, each timed.
    Tags,
    /// `graph`'s `prefix-bench` example: 100 000 IDs in a sled store, 10 000 lookups.
    Prefix,
    /// `netdriver`'s `endpoint-bench` example in a fresh network namespace.
    Endpoints,
    /// A cold start, busybox loaded (not timed), then `docker run --rm busybox true` 1 +
    /// [`containers::RUNS_PER_DAEMON`] times, each timed.
    Run,
    /// `runc run` of busybox's rootfs [`containers::RUNC_PER_RUN`] times, no daemon.
    Runc,
    /// A cold start, busybox loaded (not timed), then [`containers::CONTAINERS`] `docker
    /// create`s, `docker ps -a` and one `docker rm` of them all, each timed.
    Containers,
    /// A cold start, busybox loaded, a burst of large creates removed again, then the memory
    /// of the daemon's process tree ([`storm::burst`]).
    Burst,
    /// A cold start, busybox loaded, then `docker run`s under a storm of busy connections
    /// ([`storm::storm`]).
    Storm,
    /// A cold start, a registry started in the daemon's namespace, then `docker pull` of an
    /// image from it, timed ([`registry::pull`]).
    Pull(Hosted),
    /// A cold start, an image loaded (not timed), an empty registry started in the daemon's
    /// namespace, then `docker push` of the image to it, timed ([`registry::push`]).
    Push(Hosted),
    /// A cold start, busybox loaded and 20 containers running (not timed), then `docker stats
    /// --no-stream`, timed ([`container_stats::no_stream`]).
    Stats,
    /// A cold start, busybox loaded and a container started (not timed), then `docker exec c
    /// true` [`exec::EXECS_PER_DAEMON`] times, each timed ([`exec::exec`]).
    Exec,
    /// A cold start, busybox loaded (not timed), then `docker build` three times: nothing
    /// cached, fully cached, one COPY source changed ([`build::build`]).
    Build,
    /// A cold start and busybox loaded (not timed), then user networks created and removed and
    /// containers run on one, each timed ([`networks::user_networks`]).
    UserNetworks,
}

impl Probe {
    /// How many runs make one figure, given the requested number of cold starts.
    pub fn runs(self, cold_starts: usize) -> usize {
        let n = match self {
            Probe::Ready => cold_starts,
            Probe::IdleRss => RSS_RUNS,
            Probe::Tags
            | Probe::Prefix
            | Probe::Containers
            | Probe::Run
            | Probe::Runc
            | Probe::Burst
            | Probe::Storm
            | Probe::Stats
            | Probe::Build => HEAVY_RUNS,
            Probe::Exec | Probe::UserNetworks => HEAVY_RUNS,
            Probe::Load(_) => LOAD_RUNS,
            Probe::LoadRss => LOAD_RSS_RUNS,
            Probe::Endpoints => ENDPOINT_RUNS,
            Probe::Pull(_) | Probe::Push(_) => REGISTRY_RUNS,
        };
        n.min(cold_starts)
    }

    /// Whether each run starts a daemon of the engine (else it is a tool run by xtask).
    pub fn starts_daemon(self) -> bool {
        !matches!(self, Probe::Prefix | Probe::Endpoints | Probe::Runc)
    }

    /// Makes what its runs need that is made once per bench (fixtures, the seeded store), so
    /// that it is not in the first run.
    pub fn prepare(self, how: &Start, assets: &Assets) -> Result<()> {
        match self {
            Probe::Load(_)
            | Probe::Tags
            | Probe::Run
            | Probe::Containers
            | Probe::Burst
            | Probe::Storm
            | Probe::Stats
            | Probe::Build => assets.fixtures().map(drop),
            Probe::Exec | Probe::UserNetworks => assets.fixtures().map(drop),
            Probe::LoadRss => assets.huge().map(drop),
            Probe::Pull(_) | Probe::Push(_) => assets.hosted().map(drop),
            Probe::Runc => assets.runc_bundle().map(drop),
            Probe::Ready if how.data == Data::Images10k => assets.seeded_root().map(drop),
            _ => Ok(()),
        }
    }

    /// One run: starts a daemon of `engine` as `how` says when the probe needs one, measures,
    /// stops it.
    pub fn sample(
        self,
        engine: &dyn Engine,
        how: &Start,
        assets: &Assets,
    ) -> Result<Vec<(Metric, f64)>> {
        interrupt::check()?;
        match self {
            Probe::Ready => ready(engine, how, assets),
            Probe::IdleRss => {
                let daemon = engine.start(how, None)?;
                interrupt::sleep(IDLE)?;
                let (kb, _) = procs::rss_tree_kb(daemon.pid())?;
                Ok(vec![(Metric::IdleRss, kb as f64 / 1024.0)])
            }
            Probe::Load(f) => load(engine, how, assets, f),
            Probe::LoadRss => load_rss(engine, how, assets),
            Probe::Tags => tags(engine, how, assets),
            Probe::Prefix => prefix(assets),
            Probe::Endpoints => endpoints(assets),
            Probe::Run => containers::run(engine, how, assets),
            Probe::Runc => containers::runc(assets),
            Probe::Containers => containers::create_ps_rm(engine, how, assets),
            Probe::Burst => storm::burst(engine, how, assets),
            Probe::Storm => storm::storm(engine, how, assets),
            Probe::Pull(h) => registry::pull(engine, how, assets, h),
            Probe::Push(h) => registry::push(engine, how, assets, h),
            Probe::Stats => container_stats::no_stream(engine, how, assets),
            Probe::Exec => exec::exec(engine, how, assets),
            Probe::Build => build::build(engine, how, assets),
            Probe::UserNetworks => networks::user_networks(engine, how, assets),
        }
    }
}

/// `d` in milliseconds.
pub(super) fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

fn ready(engine: &dyn Engine, how: &Start, assets: &Assets) -> Result<Vec<(Metric, f64)>> {
    let data_root = match how.data {
        Data::Fresh => None,
        Data::Images10k => Some(assets.seeded_root()?),
    };
    let daemon = engine.start(how, data_root)?;
    let took = ms(daemon.ready());
    if how.data == Data::Images10k {
        // Not timed: the figure counts only if the daemon really opened the full store.
        let (status, body) = client::request(daemon.socket(), "GET", "/info")?;
        let images = client::json_number(&body, "Images");
        ensure!(
            status == 200 && images == Some(SEEDED_IMAGES),
            "{} on the seeded data root reports {images:?} images (status {status}), \
             not {SEEDED_IMAGES}",
            engine.name()
        );
    }
    Ok(vec![(Metric::Ready, took)])
}

fn load(
    engine: &dyn Engine,
    how: &Start,
    assets: &Assets,
    f: Fixture,
) -> Result<Vec<(Metric, f64)>> {
    let fixtures = assets.fixtures()?;
    let fx = fixtures.image(f);
    let mut figures = Vec::new();
    if f == Fixture::Big {
        // Dirty pages of earlier runs are written back first, not during the timed step.
        settle()?;
        figures.push((Metric::TarExtract, tar_extract(&fixtures.big_layer)?));
    }
    let daemon = engine.start(how, None)?;
    let docker = assets.docker(daemon.socket());
    assets::warm(&fx.path)?;
    settle()?;
    let (took, out) = docker.timed(&["load".as_ref(), "-i".as_ref(), fx.path.as_os_str()])?;
    ensure!(
        out.contains(&format!("Loaded image: {}", fx.tag)),
        "docker load of {} on {}: {out}",
        fx.tag,
        engine.name()
    );
    // Not timed: both engines must give the image the same, content-derived ID.
    let id = docker.run(&["image", "inspect", "--format", "{{.Id}}", fx.tag])?;
    ensure!(
        id.trim() == fx.id,
        "{} loaded {} as {}, expected {}",
        engine.name(),
        fx.tag,
        id.trim(),
        fx.id
    );
    figures.push((Metric::Load(f), ms(took)));
    Ok(figures)
}

/// `docker load -i` of the ~1 GB fixture: how far the daemon's resident memory rises above
/// what it was right before (MB), and that peak. The fixture is read into the page cache
/// first, so the CLI sends as fast as it can: the case where a daemon that buffers would.
fn load_rss(engine: &dyn Engine, how: &Start, assets: &Assets) -> Result<Vec<(Metric, f64)>> {
    let huge = &assets.huge()?.image;
    assets::warm(&huge.path)?;
    let daemon = engine.start(how, None)?;
    let pid = daemon.pid();
    // The PID must be the daemon's own (nsenter execs it), not a launcher's.
    let comm = std::fs::read_to_string(format!("/proc/{pid}/comm")).unwrap_or_default();
    ensure!(
        comm.trim() == engine.name(),
        "pid {pid} is {:?}, not {}",
        comm.trim(),
        engine.name()
    );
    let docker = assets.docker(daemon.socket());
    let before = procs::status_kb(pid, "VmRSS")?;
    // From here VmHWM is the peak of this load alone, not of start-up.
    procs::reset_peak_rss(pid)?;
    let out = docker.run(&["load".as_ref(), "-i".as_ref(), huge.path.as_os_str()])?;
    let peak = procs::status_kb(pid, "VmHWM")?;
    ensure!(
        out.contains(&format!("Loaded image: {}", huge.tag)),
        "docker load of {} on {}: {out}",
        huge.tag,
        engine.name()
    );
    // Not measured: the image must be the fixture's, by its content-derived ID.
    let id = docker.run(&["image", "inspect", "--format", "{{.Id}}", huge.tag])?;
    ensure!(
        id.trim() == huge.id,
        "{} loaded {} as {}, expected {}",
        engine.name(),
        huge.tag,
        id.trim(),
        huge.id
    );
    let mb = |kb: u64| kb as f64 / 1024.0;
    Ok(vec![
        (Metric::LoadRssGrowth, mb(peak.saturating_sub(before))),
        (Metric::LoadRssPeak, mb(peak)),
    ])
}

/// Writes back every dirty page (`sync`), so that the kernel's writeback of what earlier
/// runs wrote (a load or `tar -x` leaves ~100 MB dirty) does not land in a timed step.
pub(super) fn settle() -> Result<()> {
    crate::run_checked(&mut Command::new("sync"))
}

/// A plain `tar -x` of `layer`, timed in ms.
fn tar_extract(layer: &Path) -> Result<f64> {
    // Beside the daemons' temp dirs, so on the same file system as their data roots.
    let dir = scratch::tempdir("wharf-bench-tar-")?;
    let mut cmd = Command::new("tar");
    cmd.arg("-x")
        .arg("-f")
        .arg(layer)
        .arg("-C")
        .arg(dir.path())
        .stdin(Stdio::null())
        .process_group(0);
    assets::warm(layer)?;
    let t0 = Instant::now();
    let out = cmd.output().context("running tar")?;
    let took = t0.elapsed();
    interrupt::check()?;
    ensure!(
        out.status.success(),
        "tar -x of {} failed ({}): {}",
        layer.display(),
        out.status,
        String::from_utf8_lossy(&out.stderr).trim()
    );
    Ok(ms(took))
}

fn tags(engine: &dyn Engine, how: &Start, assets: &Assets) -> Result<Vec<(Metric, f64)>> {
    let busybox = assets.fixtures()?.image(Fixture::Busybox);
    let daemon = engine.start(how, None)?;
    let sock = daemon.socket();
    let docker = assets.docker(sock);
    docker.run(&["load".as_ref(), "-i".as_ref(), busybox.path.as_os_str()])?;
    let names: Vec<String> = (1..=TAGS).map(|i| format!("bench:t{i:04}")).collect();
    for (i, name) in names.iter().enumerate() {
        if i % 100 == 0 {
            interrupt::check()?;
        }
        let tag = name.rsplit_once(':').map_or("latest", |(_, t)| t);
        let path = format!("/images/{}/tag?repo=bench&tag={tag}", busybox.tag);
        let (status, body) = client::request(sock, "POST", &path)?;
        ensure!(
            status == 201,
            "POST {path} on {}: {status} {body}",
            engine.name()
        );
    }

    let (list, out) = docker.timed(&["images"])?;
    let rows = out.lines().count();
    ensure!(
        rows == TAGS + 2,
        "docker images on {} listed {rows} lines, expected {} (header, busybox and the tags)",
        engine.name(),
        TAGS + 2
    );
    let mut args = vec!["rmi".to_string()];
    args.extend(names);
    let (rmi, out) = docker.timed(&args)?;
    let untagged = out.lines().filter(|l| l.starts_with("Untagged:")).count();
    ensure!(
        untagged == TAGS,
        "docker rmi on {} untagged {untagged} tags, expected {TAGS}",
        engine.name()
    );
    Ok(vec![
        (Metric::ImagesList, ms(list)),
        (Metric::RmiTags, ms(rmi)),
    ])
}

fn prefix(assets: &Assets) -> Result<Vec<(Metric, f64)>> {
    let out = assets::output(&mut Command::new(&assets.prefix_bench), "prefix-bench")?;
    Ok(vec![
        (
            Metric::PrefixLookup,
            assets::number(&out, "prefix_lookup_us")?,
        ),
        (Metric::PrefixResolve, assets::number(&out, "resolve_us")?),
    ])
}

fn endpoints(assets: &Assets) -> Result<Vec<(Metric, f64)>> {
    // The bridge, the veths and the nftables table all live in this namespace and go with it.
    let ns = NetNs::new("bench-ep")?;
    let program = assets
        .endpoint_bench
        .to_str()
        .context("the example's path is UTF-8")?;
    let mut cmd = ns.command(program);
    cmd.arg("--netns")
        .arg(ns.path())
        .arg(ENDPOINT_ROUNDS.to_string());
    let out = assets::output(&mut cmd, "endpoint-bench");
    procs::kill_leftovers(&ns.name);
    let out = out?;
    Ok(vec![
        (
            Metric::BridgeSetup,
            assets::number(&out, "bridge_setup_ms")?,
        ),
        (Metric::Attach, assets::number(&out, "attach_ms")?),
        (Metric::Detach, assets::number(&out, "detach_ms")?),
        (Metric::AttachBusy, assets::number(&out, "attach_busy_ms")?),
    ])
}
