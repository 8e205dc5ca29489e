//! SIGHUP: `daemon.json` read again and merged with the flags the daemon started with, as
//! dockerd's `reloadConfig`; what dockerd reloads is applied and each change logged. A file
//! that does not load is refused with a log line, and nothing changes.
//!
//! Applied: `debug`, `log-level`, `labels`, `live-restore`, `shutdown-timeout`,
//! `max-concurrent-downloads`, `max-concurrent-uploads`, `insecure-registries`,
//! `registry-mirrors` (a new registry client; transfers under way finish with the old one),
//! `default-runtime` and `runtimes` (for containers created from then on).

use std::sync::{Arc, PoisonError, RwLock};

use tokio::signal::unix::{SignalKind, signal};
use tracing::{error, info, warn};

use crate::cli::Flags;
use crate::config::Config;
use crate::daemon::Daemon;
use crate::distribution::Registry;

/// The settings SIGHUP changes, as they are now.
#[derive(Debug, Clone, PartialEq)]
pub struct Reloadable {
    /// `debug`.
    pub debug: bool,
    /// `log-level` (with `debug`, at least debug).
    pub log_level: tracing::Level,
    /// `labels`.
    pub labels: Vec<String>,
    /// `live-restore`.
    pub live_restore: bool,
    /// `shutdown-timeout`.
    pub shutdown_timeout: i64,
    /// `max-concurrent-downloads`.
    pub max_concurrent_downloads: u32,
    /// `max-concurrent-uploads`.
    pub max_concurrent_uploads: u32,
    /// `insecure-registries`, as hosts and CIDRs.
    pub insecure_registries: Vec<String>,
    /// `registry-mirrors`.
    pub registry_mirrors: Vec<String>,
    /// `default-runtime`.
    pub default_runtime: String,
    /// `runtimes` (with `runc`), by name.
    pub runtimes: std::collections::BTreeMap<String, std::path::PathBuf>,
}

impl Reloadable {
    /// The reloadable part of `c`.
    pub fn of(c: &Config) -> Reloadable {
        let r = &c.registries;
        let mut insecure: Vec<String> = r.client.insecure_hosts().map(str::to_owned).collect();
        insecure.extend(r.client.insecure_cidrs().iter().map(ToString::to_string));
        Reloadable {
            debug: c.debug,
            log_level: c.log_level,
            labels: c.labels.clone(),
            live_restore: c.live_restore,
            shutdown_timeout: c.shutdown_timeout,
            max_concurrent_downloads: r.max_concurrent_downloads,
            max_concurrent_uploads: r.max_concurrent_uploads,
            insecure_registries: insecure,
            registry_mirrors: r.client.mirrors().to_vec(),
            default_runtime: c.default_runtime.clone(),
            runtimes: c.runtimes.clone(),
        }
    }

    /// Each setting by its `daemon.json` key, as the log shows it.
    fn fields(&self) -> [(&'static str, String); 11] {
        [
            ("debug", self.debug.to_string()),
            ("log-level", self.log_level.to_string()),
            ("labels", format!("{:?}", self.labels)),
            ("live-restore", self.live_restore.to_string()),
            ("shutdown-timeout", self.shutdown_timeout.to_string()),
            (
                "max-concurrent-downloads",
                self.max_concurrent_downloads.to_string(),
            ),
            (
                "max-concurrent-uploads",
                self.max_concurrent_uploads.to_string(),
            ),
            (
                "insecure-registries",
                format!("{:?}", self.insecure_registries),
            ),
            ("registry-mirrors", format!("{:?}", self.registry_mirrors)),
            ("default-runtime", self.default_runtime.clone()),
            ("runtimes", format!("{:?}", self.runtimes)),
        ]
    }

    /// What differs from `new`: key, old value, new value.
    fn changes(&self, new: &Reloadable) -> Vec<(&'static str, String, String)> {
        self.fields()
            .into_iter()
            .zip(new.fields())
            .filter(|((_, a), (_, b))| a != b)
            .map(|((key, a), (_, b))| (key, a, b))
            .collect()
    }
}

/// What SIGHUP may replace while the daemon runs.
#[derive(Debug)]
pub struct Live {
    settings: RwLock<Reloadable>,
    registry: RwLock<Registry>,
}

impl Live {
    /// The settings `config` starts with, and its registry client.
    pub fn new(config: &Config, registry: Registry) -> Live {
        Live {
            settings: RwLock::new(Reloadable::of(config)),
            registry: RwLock::new(registry),
        }
    }

    /// The settings now.
    pub fn settings(&self) -> Reloadable {
        self.settings
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }
}

impl Daemon {
    /// The registry client now (a pull or push keeps the one it started with).
    pub fn registry(&self) -> Registry {
        self.live
            .registry
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    /// The reloadable settings now.
    pub fn settings(&self) -> Reloadable {
        self.live.settings()
    }
}

/// Reloads on every SIGHUP until aborted.
pub async fn on_sighup(daemon: Arc<Daemon>, flags: Flags) {
    let mut hup = match signal(SignalKind::hangup()) {
        Ok(s) => s,
        Err(e) => {
            warn!(error = %e, "cannot handle SIGHUP: no configuration reload");
            return;
        }
    };
    while hup.recv().await.is_some() {
        info!("SIGHUP: reloading the configuration");
        let flags = flags.clone();
        match crate::blocking::blocking(move || Config::load(&flags)).await {
            Ok(Ok(new)) => reload(&daemon, &new),
            Ok(Err(e)) => error!("{e}"),
            Err(e) => error!(error = %e, "reloading the configuration failed"),
        }
    }
}

fn reload(daemon: &Daemon, new: &Config) {
    let next = Reloadable::of(new);
    let registry = if registries_changed(&daemon.settings(), &next) {
        match Registry::new(&new.registries) {
            Ok(r) => Some(r),
            Err(e) => {
                error!("Error reconfiguring the daemon: {e}");
                return;
            }
        }
    } else {
        None
    };
    let mut settings = daemon
        .live
        .settings
        .write()
        .unwrap_or_else(PoisonError::into_inner);
    let changes = settings.changes(&next);
    if let Some(r) = registry {
        *daemon
            .live
            .registry
            .write()
            .unwrap_or_else(PoisonError::into_inner) = r;
    }
    if next.log_level != settings.log_level {
        super::log::set_level(next.log_level);
    }
    if next.runtimes != settings.runtimes || next.default_runtime != settings.default_runtime {
        daemon
            .containers
            .reload_runtimes(&next.runtimes, &next.default_runtime);
    }
    for (key, old, new) in &changes {
        info!(key, old, new, "configuration reloaded");
    }
    if changes.is_empty() {
        info!("configuration reloaded: nothing changed");
    }
    *settings = next;
}

fn registries_changed(a: &Reloadable, b: &Reloadable) -> bool {
    a.max_concurrent_downloads != b.max_concurrent_downloads
        || a.max_concurrent_uploads != b.max_concurrent_uploads
        || a.insecure_registries != b.insecure_registries
        || a.registry_mirrors != b.registry_mirrors
}
