//! `POST /containers/{id}/start`, and starts by the restart policy: mount the writable layer,
//! set up the network, write the `/etc` files, launch the monitor (runc creates the container),
//! connect the exit watcher and the attachments waiting for this run, then let the process run.

use std::sync::Arc;

use api::types::ContainerStatus;
use execdriver::{AttachConn, Frame, Network};
use tokio::io::AsyncWriteExt;

use crate::error::{Error, IoContext};

use super::etc::EtcContent;
use super::plumbing::Mode;
use super::{Container, Containers, Record, RunResources, etc, populate, rootfs, spec};
use crate::blocking::blocking;

/// Who starts the container.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum StartKind {
    /// A client: resets the restart count and the manual-stop mark.
    Manual,
    /// The restart policy, scheduled with this generation (a newer one cancels it).
    Policy(u64),
}

/// A failed launch: the error and the exit code to record.
struct Failed {
    error: Error,
    exit_code: i64,
}

impl From<Error> for Failed {
    fn from(error: Error) -> Self {
        // dockerd's `exitUnknown`.
        Failed {
            error,
            exit_code: 128,
        }
    }
}

impl From<execdriver::Error> for Failed {
    fn from(e: execdriver::Error) -> Self {
        let exit_code = match &e {
            execdriver::Error::Start { exit_code, .. } => i64::from(*exit_code),
            _ => 128,
        };
        Failed {
            error: e.into(),
            exit_code,
        }
    }
}

impl Containers {
    /// Starts the container `term` names.
    pub(crate) async fn start(self, term: String) -> Result<(), Error> {
        let c = self.get(&term)?;
        let _op = c.op.lock().await;
        self.start_locked(&c, StartKind::Manual).await
    }

    /// Starts `c`; the caller holds its lifecycle lock.
    pub(crate) async fn start_locked(
        &self,
        c: &Arc<Container>,
        kind: StartKind,
    ) -> Result<(), Error> {
        {
            let mut l = c.live();
            if l.removed {
                return Err(Error::NoSuchContainer(c.id.clone()));
            }
            let status = l.record.state.status;
            match kind {
                StartKind::Manual => match status {
                    ContainerStatus::Running => {
                        return Err(Error::NotModified(format!(
                            "container {} is already running",
                            c.id
                        )));
                    }
                    ContainerStatus::Paused => {
                        return Err(Error::Conflict(
                            "cannot start a paused container, try unpause instead".into(),
                        ));
                    }
                    ContainerStatus::Removing | ContainerStatus::Dead => {
                        return Err(Error::Conflict(format!(
                            "container is marked for removal and cannot be started: {}",
                            c.id
                        )));
                    }
                    _ => {
                        l.record.restart_count = 0;
                        l.record.manually_stopped = false;
                        l.restart_gen += 1;
                        l.backoff = std::time::Duration::ZERO;
                    }
                },
                StartKind::Policy(generation) => {
                    if status != ContainerStatus::Restarting
                        || l.restart_gen != generation
                        || l.record.manually_stopped
                    {
                        return Ok(());
                    }
                    l.record.restart_count += 1;
                }
            }
        }
        let rec = c.record();
        let mut run = RunResources::default();
        match self.launch(c, &rec, &mut run).await {
            Ok((pid, started_at, watcher)) => {
                {
                    let mut l = c.live();
                    let st = &mut l.record.state;
                    st.status = ContainerStatus::Running;
                    st.pid = i64::from(pid);
                    st.started_at = Some(started_at);
                    st.exit_code = 0;
                    st.error.clear();
                    st.oom_killed = false;
                    l.run = Some(run);
                }
                c.save_or_warn().await;
                c.publish();
                // Told before the watcher exists, so a quick exit's `die` comes after it.
                self.event(c, "start", &[]);
                self.spawn_watcher(Arc::clone(c), Some(watcher));
                tracing::debug!(container = %c.id, pid, "started");
                Ok(())
            }
            Err(failed) => {
                let pending = {
                    let mut l = c.live();
                    l.accepting = false;
                    std::mem::take(&mut l.pending)
                };
                // Attachments waiting for this run end with it.
                drop(pending);
                let (connected, mounted) = (run.connected, run.volumes_mounted);
                self.release(&c.id, &c.dir, run).await;
                self.released(c, connected, mounted).await;
                let auto_remove = {
                    let mut l = c.live();
                    let st = &mut l.record.state;
                    st.exit_code = failed.exit_code;
                    st.error = failed.error.to_string();
                    st.pid = 0;
                    if st.status == ContainerStatus::Restarting {
                        st.status = ContainerStatus::Exited;
                        st.finished_at = Some(jiff::Timestamp::now());
                    }
                    l.exits += 1;
                    l.record.host_config.auto_remove
                };
                c.save_or_warn().await;
                c.publish();
                if auto_remove && let Err(e) = self.remove_with_volumes(c).await {
                    tracing::warn!(container = %c.id, error = %e, "cannot remove a container whose start failed");
                }
                Err(failed.error)
            }
        }
    }

    /// Everything up to a running process; what it made is left in `run` for the caller to
    /// release on failure.
    async fn launch(
        &self,
        c: &Arc<Container>,
        rec: &Record,
        run: &mut RunResources,
    ) -> Result<(i32, jiff::Timestamp, tokio::net::UnixStream), Failed> {
        let mode = Mode::of(&rec.host_config, &self.inner.net)?;
        {
            let (driver, dir, layers) = (rec.driver.clone(), c.dir.clone(), rec.layer_dirs.clone());
            run.rootfs_mounted = blocking(move || rootfs::mount(&driver, &dir, &layers))
                .await?
                .ctx("mounting the root filesystem")?;
        }
        if !rec.volumes_populated {
            let (rec, dir, vols) = (rec.clone(), c.dir.clone(), self.inner.volumes.clone());
            blocking(move || populate::populate(&rec, &rootfs::merged(&dir), &vols)).await??;
            c.live().record.volumes_populated = true;
        }
        self.net_up(rec, run).await?;
        self.remember_addresses(c, run);
        if let Some(netns) = &run.netns {
            self.dns_up(rec, netns, &run.endpoints).await?;
        }
        // moby's `allocateNetwork` tells `connect` for whichever network the run is on.
        self.network_event(c, "connect");
        run.connected = true;

        // Another container's network: its namespace, name and `/etc` files.
        let donor = match mode {
            Mode::Container => Some(self.network_donor(rec)?),
            _ => None,
        };
        // The host's name with the host's network or UTS namespace, as dockerd names them.
        let hosts_name = mode == Mode::Host || rec.host_config.uts_mode == "host";
        let hostname = match &rec.config.hostname {
            _ if donor.is_some() => donor
                .as_ref()
                .map(|d| d.hostname.clone())
                .unwrap_or_default(),
            h if !h.is_empty() => h.clone(),
            _ if hosts_name => nix::unistd::gethostname()
                .map(|h| h.to_string_lossy().into_owned())
                .unwrap_or_default(),
            _ => rec.short_id().to_owned(),
        };
        let links = match mode {
            Mode::Bridge => self.legacy_links(rec)?,
            _ => Vec::new(),
        };
        let mut content = self.etc_content(rec, run, &hostname, mode == Mode::Host)?;
        content.links = links.iter().map(|l| (l.ip, l.names.clone())).collect();
        let network = match (mode, &run.netns, &donor) {
            (Mode::Bridge | Mode::User, Some(path), _) => Network::Join(path.clone()),
            (Mode::Container, _, Some(d)) => Network::Join(d.netns.clone()),
            (Mode::Host, _, _) => Network::Host,
            _ => Network::Isolated,
        };
        let donor_dir = donor.map(|d| d.dir);
        // Volumes with local driver options get their device mounted before the binds are
        // resolved (a subpath is looked up inside it).
        for name in super::mounts::volume_names(rec) {
            let vols = self.inner.volumes.clone();
            let held = name.clone();
            blocking(move || vols.acquire(&held)).await??;
            run.volumes_held.push(name);
        }
        let mut spec = {
            let (rec, dir, vols) = (rec.clone(), c.dir.clone(), self.inner.volumes.clone());
            blocking(move || {
                etc::write(&dir, &content).ctx("writing /etc files")?;
                if let Some(donor) = &donor_dir {
                    super::shared_net::copy_etc(donor, &dir)
                        .ctx("copying the /etc files of the container whose network it joins")?;
                }
                spec::build(&rec, &dir, rootfs::merged(&dir), network, &hostname, &vols)
            })
            .await??
        };
        let link_env: Vec<String> = links.into_iter().flat_map(|l| l.env).collect();
        if !link_env.is_empty() {
            let hostname = spec.hostname.clone();
            spec.env = spec::environment_with(rec, &hostname, rec.config.tty, &link_env);
        }
        let (shared, shm) = self.shared_namespaces(rec, &c.dir).await?;
        spec.shared = shared;
        spec.mounts.extend(shm);
        self.volume_events(c, true).await;
        run.volumes_mounted = true;
        // The container's own `--cgroup-parent`, else the daemon's.
        if spec.cgroup_parent.is_none() {
            spec.cgroup_parent.clone_from(&self.inner.cgroup_parent);
        }
        spec::add_default_ulimits(&mut spec, &self.inner.default_ulimits);
        spec.init = self.init_for(&rec.host_config)?;
        spec.log = super::logging::settings(rec)?;

        let (runtime, monitor, dir) = (
            self.runtime_of(c)?,
            self.inner.monitor.clone(),
            c.exec_dir(),
        );
        let (prepared, watcher) = blocking(move || {
            // Asked of the runtime binary once (`runc features`), then remembered.
            spec.rro_supported = runtime.supports_rro();
            let prepared = execdriver::prepare(&spec, &dir, &runtime, &monitor)?;
            let watcher = prepared.attach()?.into_stream();
            Ok::<_, execdriver::Error>((prepared, watcher))
        })
        .await??;

        // From here on attachments connect to this run's monitor themselves; those that were
        // waiting get their connection now, before the process starts.
        let pending = {
            let mut l = c.live();
            l.accepting = true;
            std::mem::take(&mut l.pending)
        };
        if !pending.is_empty() {
            let dir = c.exec_dir();
            blocking(move || {
                for tx in pending {
                    if let Ok(conn) = AttachConn::connect(&dir) {
                        let _ = tx.send(conn.into_stream());
                    }
                }
            })
            .await?;
        }

        let running = blocking(move || prepared.start()).await??;
        watcher
            .set_nonblocking(true)
            .ctx("configuring the monitor connection")?;
        let mut watcher =
            tokio::net::UnixStream::from_std(watcher).ctx("registering the monitor connection")?;
        let [height, width] = rec.host_config.console_size;
        if rec.config.tty && height > 0 && width > 0 {
            let frame = Frame::Resize {
                height: u16::try_from(height).unwrap_or(u16::MAX),
                width: u16::try_from(width).unwrap_or(u16::MAX),
            };
            let _ = watcher.write_all(&frame.encode()).await;
        }
        Ok((running.pid, running.started_at, watcher))
    }

    fn etc_content(
        &self,
        rec: &Record,
        run: &RunResources,
        hostname: &str,
        host_network: bool,
    ) -> Result<EtcContent, Error> {
        let hc = &rec.host_config;
        let driver = self.inner.net.driver.as_ref();
        let dns = match hc.dns.as_deref() {
            Some(list) if !list.is_empty() => list
                .iter()
                .map(|s| {
                    s.parse()
                        .map_err(|_| Error::Invalid(format!("{s} is not an ip address")))
                })
                .collect::<Result<Vec<_>, _>>()?,
            _ => driver.map_or_else(|| self.inner.net.fallback_dns.clone(), |d| d.dns().to_vec()),
        };
        let search = match hc.dns_search.as_deref() {
            Some(list) if !list.is_empty() => list.to_vec(),
            _ => driver.map(|d| d.dns_search().to_vec()).unwrap_or_default(),
        };
        let mut options = match hc.dns_options.as_deref() {
            Some(list) if !list.is_empty() => list.to_vec(),
            _ => driver.map(|d| d.dns_options().to_vec()).unwrap_or_default(),
        };
        // On a user network the embedded DNS answers (and forwards to `dns`), with dockerd's
        // `ndots:0` unless an ndots is given.
        let dns = if super::dns::on_user_network(&run.endpoints) {
            if !options.iter().any(|o| o.starts_with("ndots:")) {
                options.push("ndots:0".into());
            }
            vec![super::dns::EMBEDDED_DNS]
        } else {
            dns
        };
        Ok(EtcContent {
            hostname: hostname.to_owned(),
            domainname: rec.config.domainname.clone(),
            ip: run.endpoints.first().map(|e| e.ip),
            extra_hosts: hc.extra_hosts.clone().unwrap_or_default(),
            links: Vec::new(),
            dns,
            search,
            options,
            host_network,
        })
    }
}
