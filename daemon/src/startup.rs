//! Start-up in order, shutdown in reverse (moby's `NewDaemon` and `daemon/command` `start`).
//!
//! Each guard (pidfile, roots, stores, network, sockets) is a local created in start-up order,
//! so Rust drops them in reverse — also when start-up fails half way — and the PID file, created
//! first, is released last.

use std::future::Future;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use tokio::signal::unix::{SignalKind, signal};
use tracing::{info, warn};

use crate::config::Config;
use crate::containers::Containers;
use crate::daemon::Daemon;
use crate::dataroot::DataRoot;
use crate::images::Images;
use crate::network::Network;
use crate::pidfile::Pidfile;
use crate::service::listeners::{self, Activated};
use crate::volumes::Volumes;

/// How long in-flight requests may run on after SIGTERM.
const DRAIN_TIMEOUT: Duration = Duration::from_secs(10);

/// Runs one start-up step, logging how long it took.
fn step<T>(name: &str, f: impl FnOnce() -> Result<T>) -> Result<T> {
    let t = Instant::now();
    let out = f().with_context(|| format!("start-up step \"{name}\" failed"))?;
    info!(step = name, elapsed_ms = ms(t), "start-up step done");
    Ok(out)
}

/// The async twin of [`step`].
async fn step_async<T>(name: &str, f: impl Future<Output = Result<T>>) -> Result<T> {
    let t = Instant::now();
    let out = f
        .await
        .with_context(|| format!("start-up step \"{name}\" failed"))?;
    info!(step = name, elapsed_ms = ms(t), "start-up step done");
    Ok(out)
}

fn ms(t: Instant) -> f64 {
    t.elapsed().as_secs_f64() * 1000.0
}

/// Starts the daemon with a validated `config` (parsed since `launched`), serves until SIGTERM
/// or SIGINT, and shuts down in reverse order.
pub fn run(config: Config, flags: crate::cli::Flags, launched: Instant) -> Result<()> {
    info!(step = "config", elapsed_ms = ms(launched), file = %config.config_file.display(), "start-up step done");
    // First, while this is the only thread: taking systemd's sockets changes the environment.
    let activated = Activated::take(&config.hosts)?;
    let tls = config
        .tls
        .as_ref()
        .map(crate::service::tls::server_config)
        .transpose()?;
    let pidfile = step("pidfile", || Ok(Pidfile::claim(&config.pidfile)?))?;
    let mut host = step("host checks", || Ok(hostcheck::Probe::live().run()))?;
    if host.is_fatal() {
        let why: Vec<_> = host.fatal().iter().map(|f| f.message.clone()).collect();
        bail!("host checks failed: {}", why.join("; "));
    }
    for w in host.warnings() {
        warn!(check = %w.check, "{}", w.message);
    }
    let root = step("data root", || {
        let root = DataRoot::prepare(&config.data_root, &config.exec_root)
            .with_context(|| format!("preparing {}", config.data_root.display()))?;
        host.data_root = hostcheck::fs_info(&root.root).ok();
        Ok(root)
    })?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        // Idle blocking threads go after a few seconds (tokio's default is ten), so what they
        // hold goes back soon after a burst.
        .thread_keep_alive(Duration::from_secs(3))
        .enable_all()
        .build()
        .context("starting the async runtime")?;
    let listen = Listen {
        activated,
        tls,
        flags,
    };
    let result = runtime.block_on(serve(config, host, root, listen, launched));
    // Background tasks still running (e.g. a connection past the drain deadline) are dropped.
    runtime.shutdown_timeout(Duration::from_millis(100));
    drop(pidfile);
    result
}

/// What the API listens with: systemd's sockets and the TLS configuration.
struct Listen {
    activated: Activated,
    tls: Option<Arc<rustls::ServerConfig>>,
    /// The flags, merged again with `daemon.json` at SIGHUP.
    flags: crate::cli::Flags,
}

async fn serve(
    config: Config,
    host: hostcheck::Report,
    root: DataRoot,
    mut listen: Listen,
    launched: Instant,
) -> Result<()> {
    let mut signals = Signals::new()?;
    let images = step("image store", || {
        Images::open(&root, config.storage_driver.as_deref(), &host)
    })?;
    let network_config = netdriver::Config {
        // The canonical data root, now that it exists.
        state_dir: root.root.join("network"),
        ..config.network.clone()
    };
    let network = step_async("network", Network::init(network_config)).await?;
    let volumes = step("volumes", || {
        let v = Volumes::open(&root.root)?;
        info!(volumes = v.count(), "volumes loaded");
        Ok(v)
    })?;
    let events = crate::events::Events::default();
    let containers = Containers::open(
        &root,
        &images,
        &volumes,
        &network,
        &config,
        &host.facts,
        &events,
    )?;
    step_async("restore", async {
        let r = containers.restore().await?;
        info!(
            containers = r.containers,
            adopted = r.adopted,
            exited = r.exited,
            "containers restored"
        );
        Ok(())
    })
    .await?;
    let sockets = step("api socket", || {
        listeners::bind_all(&config, &mut listen.activated)
    })?;
    let registry = crate::distribution::Registry::new(&config.registries)?;
    let execs = crate::exec::Execs::new(containers.clone());
    execs.restore().await;
    let health = crate::health::Health::new(containers.clone(), execs.clone());
    let live = crate::service::reload::Live::new(&config, registry);
    let build_cache = Arc::new(crate::build::BuildCache::new(&root.root));
    let daemon = Arc::new(Daemon {
        build_cache,
        health,
        execs,
        live,
        config,
        root,
        host,
        images,
        network,
        containers,
        volumes,
        events,
    });
    info!(elapsed_ms = ms(launched), "daemon ready: API listening");

    let trimmer = tokio::spawn(crate::memory::return_freed());
    let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
    let observer = match daemon.config.metrics_addr {
        Some(addr) => {
            let mut stop = stop_rx.clone();
            let shutdown = async move {
                let _ = stop.wait_for(|s| *s).await;
            };
            crate::service::metrics_server(&daemon, addr, shutdown)
                .await
                .context("failed to start metrics server")?;
            let obs: Arc<dyn api::metrics::ApiObserver> = Arc::new(crate::metrics::ApiMetrics);
            Some(obs)
        }
        None => None,
    };
    let mut servers = tokio::task::JoinSet::new();
    let mut guards = Vec::new();
    for bound in sockets {
        info!(host = %bound.host, "API listen");
        let (listener, guard) = bound.into_api(listen.tls.as_ref())?;
        let mut stop = stop_rx.clone();
        let shutdown = async move {
            let _ = stop.wait_for(|s| *s).await;
        };
        let opts = api::ServeOptions {
            drain_timeout: DRAIN_TIMEOUT,
            observer: observer.clone(),
        };
        servers.spawn(api::serve(listener, daemon.clone(), shutdown, opts));
        guards.push(guard);
    }
    let reloader = tokio::spawn(crate::service::reload::on_sighup(
        daemon.clone(),
        listen.flags.clone(),
    ));
    crate::service::notify::ready();

    let name = signals.first().await;
    crate::service::notify::stopping();
    info!(
        signal = name,
        "shutting down: no new connections, draining requests"
    );
    let _ = stop_tx.send(true);
    // `docker events` readers never end by themselves: they end now, not at the deadline.
    daemon.events.close();
    tokio::spawn(async move { signals.force_on_next().await });
    while let Some(res) = servers.join_next().await {
        match res {
            Ok(Ok(true)) => {}
            Ok(Ok(false)) => warn!("drain deadline passed; cutting remaining requests short"),
            Ok(Err(e)) => warn!(error = %e, "API server failed"),
            Err(e) => warn!(error = %e, "API server task failed"),
        }
    }
    drop(guards);
    trimmer.abort();
    reloader.abort();
    let settings = daemon.settings();
    if settings.live_restore {
        info!("live-restore: containers keep running");
    } else {
        daemon
            .containers
            .stop_for_shutdown(settings.shutdown_timeout)
            .await;
    }
    let Some(daemon) = sole_owner(daemon).await else {
        // Every change was made durable when it was reported done; what still runs is dropped
        // with the runtime.
        warn!("requests still running after the drain; leaving them");
        return Ok(());
    };
    let Daemon {
        images,
        network,
        containers,
        ..
    } = daemon;
    // What still runs (live-restore) keeps running under its monitor; the daemon only stops
    // watching.
    containers.shutdown().await;
    network.shutdown().await;
    drop(images);
    info!("shutdown complete");
    Ok(())
}

/// Takes the daemon back from the API: connection tasks drop their clones of the router (and
/// so of the daemon) a moment after the server reports them closed, so wait for that briefly.
async fn sole_owner(mut daemon: Arc<Daemon>) -> Option<Daemon> {
    for _ in 0..200 {
        match Arc::try_unwrap(daemon) {
            Ok(d) => return Some(d),
            Err(shared) => daemon = shared,
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    None
}

/// SIGTERM and SIGINT: the first starts a graceful shutdown, the next one forces the exit.
struct Signals {
    term: tokio::signal::unix::Signal,
    int: tokio::signal::unix::Signal,
}

impl Signals {
    fn new() -> Result<Self> {
        Ok(Signals {
            term: signal(SignalKind::terminate()).context("handling SIGTERM")?,
            int: signal(SignalKind::interrupt()).context("handling SIGINT")?,
        })
    }

    async fn first(&mut self) -> &'static str {
        tokio::select! {
            _ = self.term.recv() => "SIGTERM",
            _ = self.int.recv() => "SIGINT",
        }
    }

    async fn force_on_next(mut self) {
        let name = self.first().await;
        warn!(signal = name, "second signal: forcing exit");
        std::process::exit(if name == "SIGTERM" { 143 } else { 130 });
    }
}
