//! `POST /containers/create`: name, image, the merged configuration, the writable layer, the
//! record.

use std::collections::BTreeMap;

use crate::error::{Error, IoContext};
use api::types::{ContainerConfig, ContainerCreateRequest, ContainerCreateResponse, HostConfig};
use jiff::Timestamp;

use super::plumbing::{self, Mode};
use super::record::RunState;
use super::{Container, Containers, Record, mounts, names, rootfs, security, validate};
use crate::blocking::blocking;

/// The label moby gives anonymous volumes.
const ANONYMOUS_LABEL: &str = "com.docker.volume.anonymous";

impl Containers {
    /// Creates a container from `req`, named `name` or a random name.
    pub(crate) async fn create(
        self,
        name: Option<String>,
        req: ContainerCreateRequest,
    ) -> Result<ContainerCreateResponse, Error> {
        let ContainerCreateRequest {
            config,
            mut host_config,
            networking_config,
        } = req;
        if host_config.runtime.is_empty() {
            host_config.runtime = self.runtimes().default_name();
        }
        // dockerd's checks come before the name, the image and the command are looked at. A
        // request may bring many mounts, hosts or variables: they run on the blocking pool.
        let (mut config, mut host_config, networking_config, checked) = {
            let containers = self.clone();
            blocking(move || {
                let known = |rt: &str| containers.runtimes().contains(rt);
                let checked = validate::verify(
                    &config,
                    &mut host_config,
                    &networking_config,
                    &containers.inner.facts,
                    &known,
                );
                (config, host_config, networking_config, checked)
            })
            .await?
        };
        let mut warnings = checked?;
        let name = name.map(|n| names::validate(&n)).transpose()?;
        if config.image.is_empty() {
            return Err(Error::Invalid(
                "Config cannot be empty in order to create a container".into(),
            ));
        }
        let image = self.inner.images.details(&config.image).await?;
        if let Some(ic) = &image.config.config {
            merge(&mut config, ic);
        }
        let (path, args) = command(&config)?;
        // moby's `mergeAndVerifyLogConfig`: after the image and the command, before the
        // security options.
        crate::logdriver::merge_and_verify(&mut host_config.log_config, &self.inner.log_default)
            .map_err(Error::Invalid)?;
        // moby's `parseSecurityOpt`, in `newContainer`: after the image, before the mounts.
        let security = security::parse(host_config.security_opt.as_deref().unwrap_or_default())?;
        warnings.extend(security.warnings());
        fill_defaults(&mut host_config, self.inner.facts.cgroup_v2);
        // An unknown network is found at start, as dockerd does (a 404 here would make the
        // CLI try to pull the image).
        if host_config.network_mode.starts_with("container:") {
            Mode::of(&host_config, &self.inner.net)?;
        }
        plumbing::requested(&host_config, &config)?;
        self.resolve_donors(&mut host_config)?;
        let networks = self.networks_at_create(&host_config, networking_config)?;
        let volumes_from = self.volumes_from(&host_config)?;
        // Parsing the mounts is linear in their number, but a request may bring many: it runs
        // on the blocking pool, never on the async side.
        let (host_config, mut config, parsed) = blocking(move || {
            let parsed = mounts::parse(&host_config, &config);
            (host_config, config, parsed)
        })
        .await?;
        let binds = parsed?;
        // Named volumes that do not exist yet are created, as dockerd does, and anonymous ones
        // with random names; none of them can be removed until this container is in the
        // index (or creating it failed).
        let _volumes_held = self.inner.volumes.hold_for_create().await;
        let mut anonymous_volumes = BTreeMap::new();
        for b in binds {
            // An image `VOLUME` a donor provides is the donor's, as in dockerd.
            if b.anonymous && volumes_from.iter().any(|m| m.destination == b.destination) {
                continue;
            }
            let Some(name) = b.volume else { continue };
            let vols = self.inner.volumes.clone();
            // moby (API 1.42+) labels anonymous volumes; `volume prune` removes only those.
            let mut labels = b.extra.volume_labels.clone();
            if b.anonymous {
                labels.insert(ANONYMOUS_LABEL.to_owned(), String::new());
            }
            let opts = b.extra.volume_driver_opts.clone();
            let (v, new) = blocking(move || vols.create(&name, labels, opts)).await??;
            if new {
                let driver = [("driver", v.driver.clone())];
                self.inner.events.volume(&v.name, "create", &driver);
            }
            if b.anonymous {
                anonymous_volumes.insert(b.destination, v.name);
            }
        }

        let id = loop {
            let id = names::random_id()?;
            if !self.index().contains(&id) {
                break id;
            }
        };
        // The name is taken now, atomically, so two creates never both get it; a failure
        // below gives it back.
        let reservation = self.reserve_name(name, &id)?;
        let name = reservation.name.clone();
        let mut host_config = host_config;
        self.resolve_links(&mut host_config, &name)?;
        // The host's network or UTS namespace: the host's name, taken at start.
        let hosts_name = host_config.network_mode == "host"
            || host_config.uts_mode == "host"
            || host_config.network_mode.starts_with("container:");
        if config.hostname.is_empty() && !hosts_name {
            config.hostname = id[..12].to_owned();
        }
        let record = Record {
            id: id.clone(),
            name: name.clone(),
            created: Timestamp::now(),
            image: config.image.clone(),
            image_id: image.id.to_string(),
            path,
            args,
            config,
            host_config,
            driver: image.driver.clone(),
            layer_dirs: image.layer_dirs.clone(),
            state: RunState::default(),
            restart_count: 0,
            manually_stopped: false,
            anonymous_volumes,
            volumes_populated: false,
            volumes_from,
            networks,
        };
        let dir = self.inner.dir.join(&id);
        {
            let (dir, record) = (dir.clone(), record.clone());
            blocking(move || {
                let made = std::fs::create_dir(&dir)
                    .with_ctx(|| format!("creating {}", dir.display()))
                    .and_then(|()| {
                        rootfs::prepare(&record.driver, &dir, &record.layer_dirs)
                            .ctx("preparing the writable layer")
                    })
                    .and_then(|()| record.save(&dir));
                if made.is_err() {
                    let _ = std::fs::remove_dir_all(&dir);
                }
                made
            })
            .await??;
        }
        let c = Container::new(record, dir);
        self.index().insert(std::sync::Arc::clone(&c), name);
        reservation.commit();
        self.event(&c, "create", &[]);
        tracing::debug!(container = %id, "created");
        Ok(ContainerCreateResponse { id, warnings })
    }

    /// Reserves `name`, or a random `adjective_surname` that is free, for the container `id`
    /// (moby's `generateAndReserveName`: six random tries, then the short ID).
    fn reserve_name(&self, name: Option<String>, id: &str) -> Result<NameReservation, Error> {
        let reserve = |name: String| -> Result<NameReservation, Error> {
            self.index().reserve(&name, id)?;
            Ok(NameReservation {
                containers: self.clone(),
                name,
                id: id.to_owned(),
                committed: false,
            })
        };
        if let Some(name) = name {
            return reserve(name);
        }
        for retry in 0..6 {
            match reserve(names::random_name(retry)?) {
                Err(Error::Conflict(_)) => continue,
                other => return other,
            }
        }
        reserve(format!("/{}", &id[..12]))
    }
}

/// A container name held for a create in progress; given back on drop unless the container
/// made it into the index.
struct NameReservation {
    containers: Containers,
    name: String,
    id: String,
    committed: bool,
}

impl NameReservation {
    /// The container is in the index under the name: nothing to give back.
    fn commit(mut self) {
        self.committed = true;
    }
}

impl Drop for NameReservation {
    fn drop(&mut self) {
        if !self.committed {
            self.containers.index().release(&self.name, &self.id);
        }
    }
}

/// moby's `merge`: what the request leaves empty comes from the image.
pub(crate) fn merge(user: &mut ContainerConfig, image: &graph::config::ContainerConfig) {
    if user.user.is_empty()
        && let Some(u) = &image.user
    {
        user.user.clone_from(u);
    }
    if let Some(ports) = &image.exposed_ports {
        let mine = user.exposed_ports.get_or_insert_with(Default::default);
        for (k, v) in ports {
            mine.entry(k.clone()).or_insert_with(|| v.clone());
        }
    }
    match (&mut user.env, &image.env) {
        (None, Some(ie)) => user.env = Some(ie.clone()),
        (Some(ue), Some(ie)) if ue.is_empty() => ue.clone_from(ie),
        (Some(ue), Some(ie)) => {
            let key = |e: &str| e.split('=').next().unwrap_or_default().to_owned();
            for e in ie {
                if !ue.iter().any(|u| key(u) == key(e)) {
                    ue.push(e.clone());
                }
            }
        }
        _ => {}
    }
    if let Some(labels) = &image.labels {
        let mine = user.labels.get_or_insert_with(Default::default);
        for (k, v) in labels {
            mine.entry(k.clone()).or_insert_with(|| v.clone());
        }
    }
    if user.entrypoint.as_ref().is_none_or(Vec::is_empty) {
        if user.cmd.as_ref().is_none_or(Vec::is_empty) {
            user.cmd.clone_from(&image.cmd);
        }
        if user.entrypoint.is_none() {
            user.entrypoint.clone_from(&image.entrypoint);
        }
    }
    if user.working_dir.is_empty()
        && let Some(wd) = &image.working_dir
    {
        user.working_dir.clone_from(wd);
    }
    if let Some(vols) = &image.volumes {
        let mine = user.volumes.get_or_insert_with(Default::default);
        for (k, v) in vols {
            mine.entry(k.clone()).or_insert_with(|| v.clone());
        }
    }
    if user.stop_signal.is_none() {
        user.stop_signal.clone_from(&image.stop_signal);
    }
    if user.on_build.is_none() {
        user.on_build.clone_from(&image.on_build);
    }
    crate::health::merge_config(&mut user.healthcheck, image.healthcheck.as_ref());
}

/// `Path` and `Args`: the entrypoint followed by the command.
pub(crate) fn command(config: &ContainerConfig) -> Result<(String, Vec<String>), Error> {
    // `--entrypoint ""` arrives as `[""]`: no entrypoint.
    let mut words: Vec<String> = match config.entrypoint.as_deref() {
        Some([only]) if only.is_empty() => Vec::new(),
        Some(e) => e.to_vec(),
        None => Vec::new(),
    };
    words.extend(config.cmd.clone().unwrap_or_default());
    let mut it = words.into_iter();
    match it.next() {
        Some(path) if !path.is_empty() => Ok((path, it.collect())),
        _ => Err(Error::Invalid("No command specified".into())),
    }
}

/// What dockerd fills in when the request leaves it empty, as inspect shows it (the cgroup
/// namespace is private by default on cgroup v2).
pub(crate) fn fill_defaults(hc: &mut HostConfig, cgroup_v2: bool) {
    if hc.log_config.kind.is_empty() {
        hc.log_config.kind = "json-file".to_owned();
    }
    if hc.log_config.config.is_none() {
        hc.log_config.config = Some(Default::default());
    }
    if hc.network_mode.is_empty() {
        hc.network_mode = "default".to_owned();
    }
    if hc.restart_policy.name.is_empty() {
        hc.restart_policy.name = "no".to_owned();
    }
    if hc.shm_size == 0 {
        hc.shm_size = execdriver::DEFAULT_SHM_SIZE as i64;
    }
    if hc.ipc_mode.is_empty() {
        hc.ipc_mode = "private".to_owned();
    }
    if hc.cgroupns_mode.is_empty() {
        hc.cgroupns_mode = if cgroup_v2 { "private" } else { "host" }.to_owned();
    }
    if hc.runtime.is_empty() {
        hc.runtime = "runc".to_owned();
    }
    if hc.port_bindings.is_none() {
        hc.port_bindings = Some(Default::default());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn image(json: &str) -> graph::config::ContainerConfig {
        serde_json::from_str(json).expect("image config")
    }

    #[test]
    fn cmd_and_entrypoint_merge_as_in_moby() {
        let img = image(
            r#"{"Entrypoint":["/bin/sh","-c"],"Cmd":["echo hi"],"Env":["PATH=/bin","A=img"],"WorkingDir":"/app","Labels":{"l":"img","m":"img"}}"#,
        );
        // Nothing given: all from the image.
        let mut c = ContainerConfig::default();
        merge(&mut c, &img);
        assert_eq!(
            command(&c).expect("cmd"),
            ("/bin/sh".into(), vec!["-c".into(), "echo hi".into()])
        );
        assert_eq!(c.working_dir, "/app");
        // A command replaces the image's.
        let mut c = ContainerConfig {
            cmd: Some(vec!["echo bye".into()]),
            env: Some(vec!["A=user".into()]),
            labels: Some([("l".to_owned(), "user".to_owned())].into()),
            ..ContainerConfig::default()
        };
        merge(&mut c, &img);
        assert_eq!(command(&c).expect("cmd").1, ["-c", "echo bye"]);
        assert_eq!(c.env.as_deref().expect("env"), ["A=user", "PATH=/bin"]);
        let labels = c.labels.expect("labels");
        assert_eq!(
            (labels["l"].as_str(), labels["m"].as_str()),
            ("user", "img")
        );
        // An entrypoint resets the image's command.
        let mut c = ContainerConfig {
            entrypoint: Some(vec!["env".into()]),
            ..ContainerConfig::default()
        };
        merge(&mut c, &img);
        assert_eq!(command(&c).expect("cmd"), ("env".into(), vec![]));
        // No command anywhere.
        let mut c = ContainerConfig::default();
        merge(&mut c, &image("{}"));
        assert_eq!(
            command(&c).expect_err("none").to_string(),
            "No command specified"
        );
    }

    #[test]
    fn defaults() {
        let mut hc = HostConfig::default();
        fill_defaults(&mut hc, false);
        assert_eq!(hc.log_config.kind, "json-file");
        assert_eq!(hc.network_mode, "default");
        assert_eq!(hc.restart_policy.name, "no");
        assert_eq!(hc.shm_size, 67_108_864);
        assert_eq!(hc.cgroupns_mode, "host");
        let mut hc = HostConfig::default();
        fill_defaults(&mut hc, true);
        assert_eq!(hc.cgroupns_mode, "private");
    }
}
