//! Containers: the daemon's container store and lifecycle, on top of `execdriver` (runc under a
//! per-container monitor), `netdriver` (endpoints and published ports) and `graph` (the image
//! layers a container's root filesystem is made of).
//!
//! One operation per file: `create`, `start`, `exit` (the watcher and what happens after an
//! exit), `stop` (stop, kill, restart, resize), `delete`, `attach`, `logs`, `wait`, `list`,
//! `inspect`, `restore`. The pieces they share: the persisted [`record`], the in-memory
//! [`index`], the writable layer ([`rootfs`]), network namespaces ([`netns`]) and endpoints
//! ([`plumbing`]), the `/etc` files ([`etc`]), the OCI spec ([`spec`]) and what create checks
//! first ([`validate`]).
//!
//! **Concurrency.** Each container has a lifecycle lock (`op`, async) that start, stop,
//! restart, delete and policy restarts take, a state lock (`live`, sync, never held across an
//! await) and a `watch` channel that carries a [`Snapshot`] to waiters. Exit handling does not
//! take the lifecycle lock (a stop holds it while it waits for the exit); it owns the run's
//! resources instead. Mutating requests run in spawned tasks, so a client that goes away cannot
//! cut an operation in half.

mod attach;
mod attachments;
mod backend;
mod connect;
mod counts;
mod create;
mod create_networks;
mod delete;
mod dns;
mod etc;
mod events;
mod exec_target;
mod exit;
mod files;
mod index;
mod inspect;
mod links;
mod list;
mod logging;
mod logs;
mod mount_extra;
mod mounts;
mod names;
mod namespaces;
mod netns;
mod plumbing;
mod populate;
mod prune;
mod record;
mod restore;
mod rootfs;
mod runtimes;
mod security;
mod shared_net;
mod shutdown;
mod size;
mod spec;
mod start;
mod stop;
mod subpath;
mod validate;
mod volumes_from;
mod wait;

mod cgroup;
mod list_filters;
mod ops_backend;
mod pause;
mod rename;
mod stats;
mod top;
mod update;

use std::net::IpAddr;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use api::types::ContainerStatus;
use netdriver::{BuiltinNetworks, Endpoint, NetDriver};
use tokio::sync::{oneshot, watch};
use tokio::task::JoinSet;

use crate::blocking::blocking;
use crate::error::{Error, Result};
use crate::images::Images;
pub(crate) use attach::{Mode as AttachMode, wire as wire_attachment};
pub(crate) use exec_target::ExecTarget;
pub(crate) use exit::read_until_exit;
use index::Index;
pub(crate) use names::random_id as random_hex_id;
pub(crate) use record::Record;
pub(crate) use runtimes::Runtimes;

/// The directory under the data root that holds one directory per container.
const CONTAINERS_DIR: &str = "containers";
/// The directory under the exec root where containers' network namespaces are bind-mounted.
const NETNS_DIR: &str = "netns";

/// The container store: cheap to clone (one `Arc`), shared by request handlers and the
/// background tasks (exit watchers, restarts) that outlive them.
#[derive(Clone)]
pub struct Containers {
    inner: Arc<Inner>,
}

impl std::fmt::Debug for Containers {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Containers")
            .field("dir", &self.inner.dir)
            .finish_non_exhaustive()
    }
}

/// What every operation needs.
struct Inner {
    /// `<data-root>/containers`.
    dir: PathBuf,
    /// `<exec-root>/netns`.
    netns_dir: PathBuf,
    /// The OCI runtimes, each with its state root under the exec root.
    runtimes: Runtimes,
    /// `wharfd monitor ...`.
    monitor: execdriver::MonitorCommand,
    /// The image store (for create, `ancestor` and image removal).
    images: Images,
    /// Networking as the containers see it.
    net: Net,
    /// The named volumes containers mount.
    volumes: crate::volumes::Volumes,
    /// What create's checks need to know about the host.
    facts: validate::HostFacts,
    /// Every container, by ID and by name.
    index: Mutex<Index>,
    /// The daemon's `--cgroup-parent`: containers that name none get their cgroup under it
    /// (`None`: the exec driver's `/wharf`).
    cgroup_parent: Option<String>,
    /// The daemon's `--init`: containers that do not say get an init.
    init: bool,
    /// The init binary found at start-up (`--init-path`, `docker-init` on `PATH` or Debian's
    /// `tini-static`), if any.
    init_binary: Option<PathBuf>,
    /// Exit watchers and scheduled restarts; aborted at shutdown.
    tasks: Mutex<JoinSet<()>>,
    /// Where container, network and volume events go.
    events: crate::events::Events,
    /// The daemon's `--log-driver` and `--log-opt`s, for containers that name no driver.
    log_default: api::types::LogConfig,
    /// The daemon's `--default-ulimit`s.
    default_ulimits: Vec<api::types::Ulimit>,
    /// The daemon is stopping its containers to shut down: no restart policy applies.
    shutting_down: std::sync::atomic::AtomicBool,
}

/// The network facts and driver containers use.
pub(crate) struct Net {
    /// The bridge driver (`None` with `--bridge=none`).
    pub(crate) driver: Option<Arc<NetDriver>>,
    /// The IDs of `bridge`, `host` and `none`.
    pub(crate) builtin: BuiltinNetworks,
    /// Nameservers when there is no driver to ask (`--dns`, else the host's).
    pub(crate) fallback_dns: Vec<IpAddr>,
    /// The embedded DNS of user-defined networks (with the driver).
    pub(crate) dns: Option<netdriver::dns::Dns>,
}

/// One container: its record and what is live about it.
pub(crate) struct Container {
    /// The full ID.
    pub(crate) id: String,
    /// `<data-root>/containers/<id>`: the record, the OCI bundle, the log, the `/etc` files,
    /// the writable layer.
    pub(crate) dir: PathBuf,
    /// Serialises start, stop, restart, delete and policy restarts.
    pub(crate) op: tokio::sync::Mutex<()>,
    /// Serialises writes of the record, so the newest state is always the last written.
    disk: tokio::sync::Mutex<()>,
    live: Mutex<Live>,
    /// The state waiters watch.
    pub(crate) events: watch::Sender<Snapshot>,
}

/// The mutable part of a container.
pub(crate) struct Live {
    /// The persisted record (state included).
    pub(crate) record: Record,
    /// Attachments waiting for the next run: each gets a connection to the monitor before the
    /// process starts.
    pub(crate) pending: Vec<oneshot::Sender<std::os::unix::net::UnixStream>>,
    /// The monitor's attach socket is up: attachments connect at once.
    pub(crate) accepting: bool,
    /// What the current run holds (network, mounts); taken by exit handling.
    pub(crate) run: Option<RunResources>,
    /// The container has been removed.
    pub(crate) removed: bool,
    /// Exits seen so far (for `next-exit` waiters).
    pub(crate) exits: u64,
    /// Bumped to cancel a scheduled policy restart.
    pub(crate) restart_gen: u64,
    /// The restart policy's current delay.
    pub(crate) backoff: std::time::Duration,
}

/// What a run holds until its exit is handled.
#[derive(Debug, Default)]
pub(crate) struct RunResources {
    /// The overlay is mounted.
    pub(crate) rootfs_mounted: bool,
    /// The bind-mounted network namespace.
    pub(crate) netns: Option<PathBuf>,
    /// Its endpoints, one per network, by interface (their published ports go with them).
    pub(crate) endpoints: Vec<Endpoint>,
    /// The container was connected to its network (a `connect` event was told): its
    /// release tells `disconnect`.
    pub(crate) connected: bool,
    /// Its named volumes were mounted (`mount` events were told): its release tells
    /// `unmount`.
    pub(crate) volumes_mounted: bool,
    /// The volumes this run holds (a volume with local driver options stays mounted while
    /// one is held); its release lets go of them.
    pub(crate) volumes_held: Vec<String>,
}

/// A container's state as waiters see it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Snapshot {
    /// The status.
    pub(crate) status: ContainerStatus,
    /// The last exit code.
    pub(crate) exit_code: i64,
    /// Exits seen so far.
    pub(crate) exits: u64,
    /// Removed.
    pub(crate) removed: bool,
}

impl Snapshot {
    /// Running in moby's sense: also while paused or restarting.
    pub(crate) fn running(&self) -> bool {
        matches!(
            self.status,
            ContainerStatus::Running | ContainerStatus::Paused | ContainerStatus::Restarting
        )
    }
}

impl Containers {
    /// The runtime container `c` runs with (its `HostConfig.Runtime`).
    pub(crate) fn runtime_of(&self, c: &Container) -> Result<execdriver::Runtime> {
        let name = c.live().record.host_config.runtime.clone();
        self.inner.runtimes.get(&name)
    }

    /// The runtimes, for create's validation and `/info`.
    pub(crate) fn runtimes(&self) -> &Runtimes {
        &self.inner.runtimes
    }
}

impl Container {
    fn new(record: Record, dir: PathBuf) -> Arc<Self> {
        let live = Live {
            record,
            pending: Vec::new(),
            accepting: false,
            run: None,
            removed: false,
            exits: 0,
            restart_gen: 0,
            backoff: std::time::Duration::ZERO,
        };
        let (events, _) = watch::channel(live.snapshot());
        Arc::new(Container {
            id: live.record.id.clone(),
            dir,
            op: tokio::sync::Mutex::new(()),
            disk: tokio::sync::Mutex::new(()),
            live: Mutex::new(live),
            events,
        })
    }

    /// The live state, locked; never hold it across an await.
    pub(crate) fn live(&self) -> MutexGuard<'_, Live> {
        self.live.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// A copy of the record.
    pub(crate) fn record(&self) -> Record {
        self.live().record.clone()
    }

    /// Tells waiters about the current state.
    pub(crate) fn publish(&self) {
        let snap = self.live().snapshot();
        self.events.send_replace(snap);
    }

    /// The execdriver's view of the container's directory.
    pub(crate) fn exec_dir(&self) -> execdriver::ContainerDir {
        execdriver::ContainerDir::new(&self.id, &self.dir)
    }

    /// Writes the current record to disk (atomically; the newest state wins).
    pub(crate) async fn save(&self) -> Result<()> {
        let _disk = self.disk.lock().await;
        let record = {
            let l = self.live();
            if l.removed {
                // Its directory is gone (or going); nothing to keep.
                return Ok(());
            }
            l.record.clone()
        };
        let dir = self.dir.clone();
        blocking(move || record.save(&dir)).await?
    }

    /// [`Container::save`], logging a failure instead of returning it (for background work).
    pub(crate) async fn save_or_warn(&self) {
        if let Err(e) = self.save().await {
            tracing::warn!(container = %self.id, error = %e, "cannot save the container's state");
        }
    }
}

impl Live {
    /// What waiters see of this state.
    pub(crate) fn snapshot(&self) -> Snapshot {
        Snapshot {
            status: self.record.state.status,
            exit_code: self.record.state.exit_code,
            exits: self.exits,
            removed: self.removed,
        }
    }
}

impl Containers {
    /// Opens the store under the data root (`containers/`) and exec root (`netns/`, `runc/`);
    /// the containers themselves are loaded by [`Containers::restore`].
    /// `host` is the start-up host report's facts; forwarding is read again, as the network
    /// step left it.
    pub fn open(
        root: &crate::dataroot::DataRoot,
        images: &Images,
        volumes: &crate::volumes::Volumes,
        network: &crate::network::Network,
        config: &crate::config::Config,
        host: &hostcheck::Facts,
        events: &crate::events::Events,
    ) -> anyhow::Result<Self> {
        use anyhow::Context;
        let dir = root.root.join(CONTAINERS_DIR);
        let netns_dir = root.exec_root.join(NETNS_DIR);
        for d in [&dir, &netns_dir] {
            std::fs::create_dir_all(d).with_context(|| format!("creating {}", d.display()))?;
        }
        let resolv = netdriver::ResolvConf::read(std::path::Path::new("/etc/resolv.conf"))
            .unwrap_or_default();
        let forwarding =
            std::fs::read_to_string("/proc/sys/net/ipv4/ip_forward").is_ok_and(|v| v.trim() == "1");
        let facts = validate::HostFacts::new(host, forwarding, network.driver().is_some());
        Ok(Containers {
            inner: Arc::new(Inner {
                dir,
                netns_dir,
                runtimes: Runtimes::new(&root.exec_root, &config.runtimes, &config.default_runtime),
                cgroup_parent: config.cgroup_parent.clone(),
                init: config.init,
                init_binary: init_binary(config.init_path.as_deref()),
                monitor: execdriver::MonitorCommand::current_exe(),
                images: images.clone(),
                volumes: volumes.clone(),
                net: Net {
                    driver: network.driver(),
                    builtin: network.builtin().clone(),
                    fallback_dns: netdriver::container_dns(&resolv, &config.network.dns),
                    dns: network
                        .driver()
                        .map(|d| netdriver::dns::Dns::new(dns::upstreams(d.dns()))),
                },
                facts,
                index: Mutex::new(Index::default()),
                tasks: Mutex::new(JoinSet::new()),
                events: events.clone(),
                log_default: config.log_config.clone(),
                default_ulimits: config.default_ulimits.clone(),
                shutting_down: std::sync::atomic::AtomicBool::new(false),
            }),
        })
    }

    fn index(&self) -> MutexGuard<'_, Index> {
        self.inner
            .index
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }

    /// The container `term` names: a full ID, a name (with or without `/`) or a unique ID
    /// prefix.
    pub(crate) fn get(&self, term: &str) -> Result<Arc<Container>> {
        self.index().get(term)
    }

    /// Every container.
    pub(crate) fn all(&self) -> Vec<Arc<Container>> {
        self.index().all()
    }

    /// Runs `fut` in its own task and waits for it: the work finishes even if the request
    /// that started it is dropped.
    pub(crate) async fn detached<T, F>(fut: F) -> Result<T>
    where
        T: Send + 'static,
        F: Future<Output = Result<T>> + Send + 'static,
    {
        tokio::spawn(fut).await.map_err(|source| Error::Task {
            what: "container task",
            source,
        })?
    }

    /// Spawns background work that shutdown aborts.
    pub(crate) fn spawn_task(&self, fut: impl Future<Output = ()> + Send + 'static) {
        let mut tasks = self
            .inner
            .tasks
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        while tasks.try_join_next().is_some() {}
        tasks.spawn(fut);
    }

    /// Counts by state for `/info`: (all, running, paused, stopped).
    pub fn counts(&self) -> (u64, u64, u64, u64) {
        let mut c = (0, 0, 0, 0);
        for ctr in self.all() {
            c.0 += 1;
            match ctr.live().record.state.status {
                ContainerStatus::Running | ContainerStatus::Restarting => c.1 += 1,
                ContainerStatus::Paused => c.2 += 1,
                _ => c.3 += 1,
            }
        }
        c
    }

    /// The names of the containers, by ID (for the networks' container lists).
    pub fn names(&self) -> std::collections::BTreeMap<String, String> {
        self.all()
            .into_iter()
            .map(|c| {
                let name = c.live().record.name.trim_start_matches('/').to_owned();
                (c.id.clone(), name)
            })
            .collect()
    }

    /// Stops watching: exit watchers and scheduled restarts end, containers keep running
    /// (their monitors outlive the daemon) and are re-adopted at the next start.
    pub async fn shutdown(self) {
        let mut tasks = {
            let mut t = self
                .inner
                .tasks
                .lock()
                .unwrap_or_else(PoisonError::into_inner);
            std::mem::take(&mut *t)
        };
        tasks.abort_all();
        while tasks.join_next().await.is_some() {}
    }
}

/// Debian's static tini: dockerd's `docker-init` is tini too, and a static binary runs in any
/// image.
const TINI_STATIC: &str = "/usr/bin/tini-static";

/// The init binary: `configured` (`--init-path`) if given, else `docker-init` on `PATH`, else
/// Debian's `tini-static`; `None` if there is none (a container asking for one is refused).
fn init_binary(configured: Option<&Path>) -> Option<PathBuf> {
    if let Some(path) = configured {
        return Some(path.to_path_buf());
    }
    let on_path = std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .map(|dir| dir.join("docker-init"))
            .find(|p| p.is_file())
    });
    on_path.or_else(|| Some(PathBuf::from(TINI_STATIC)).filter(|p| p.is_file()))
}

impl Containers {
    /// The init a container started now gets, if it gets one (`HostConfig.Init`, else the
    /// daemon's `--init`).
    pub(crate) fn init_for(&self, hc: &api::types::HostConfig) -> Result<Option<PathBuf>> {
        if !hc.init.unwrap_or(self.inner.init) {
            return Ok(None);
        }
        match &self.inner.init_binary {
            Some(path) => Ok(Some(path.clone())),
            None => Err(Error::System(format!(
                "no init binary found: install Debian's tini ({TINI_STATIC}) or set --init-path"
            ))),
        }
    }

    /// Whether an init binary was found (`/info`'s `InitBinary`).
    pub(crate) fn has_init(&self) -> bool {
        self.inner.init_binary.is_some()
    }
}
