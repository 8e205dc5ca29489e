//! RUN: the step's container created from the image so far, run with the build's settings
//! (network mode, extra hosts, limits), its output streamed as the step's lines, then removed
//! as `rm`/`forcerm` say.

use super::*;

impl Builder {
    /// Creates an intermediate container of `cfg` (its `Image` is the parent).
    pub(super) async fn create(
        &self,
        cfg: &ContainerConfig,
        host: Option<HostConfig>,
    ) -> Result<String, Failure> {
        let config: api::types::ContainerConfig = convert(cfg)?;
        let req = ContainerCreateRequest {
            config,
            host_config: host.unwrap_or_default(),
            networking_config: Default::default(),
        };
        Ok(self.containers.clone().create(None, req).await?.id)
    }

    /// Removes an intermediate container as `rm` and `forcerm` say.
    pub(super) async fn remove_container(&self, id: &str, succeeded: bool) {
        let wanted = if succeeded {
            self.opts.remove || self.opts.force_remove
        } else {
            self.opts.force_remove
        };
        if !wanted {
            return;
        }
        let opts = DeleteOptions {
            force: true,
            remove_volumes: true,
            link: false,
        };
        match self.containers.clone().delete(id.to_owned(), opts).await {
            Ok(()) => {
                if succeeded {
                    self.say(format!("Removing intermediate container {}\n", &id[..12]));
                }
            }
            Err(e) => {
                tracing::warn!(container = %id, error = %e, "cannot remove a build container")
            }
        }
    }

    /// RUN: the command in a container of the image so far, its output streamed.
    pub(super) async fn run_step(
        &mut self,
        s: &mut Stage,
        line: Vec<String>,
        shell: bool,
    ) -> Result<(), Failure> {
        let cmd = if shell {
            let mut c = shell_of(&s.config);
            c.extend(line);
            c
        } else {
            line
        };
        let args = self.args_env(s);
        let mut probe = s.config.clone();
        let mut history = Vec::new();
        if !args.is_empty() {
            history.push(format!("|{}", args.len()));
            history.extend(args.iter().cloned());
        }
        history.extend(cmd.iter().cloned());
        probe.cmd = Some(history);
        probe.image = Some(image_ref(s));
        let next = s.config.clone();
        if self.cached(s, &probe, &next).await? {
            return Ok(());
        }
        if s.image.is_none() {
            return Err(Failure::from(
                "Please provide a source image with `from` prior to run",
            ));
        }
        let mut run_cfg = s.config.clone();
        run_cfg.cmd = Some(cmd.clone());
        run_cfg.entrypoint = Some(vec![String::new()]);
        run_cfg.healthcheck = None;
        run_cfg.image = Some(image_ref(s));
        let mut env = s.config.env.clone().unwrap_or_default();
        env.extend(args);
        run_cfg.env = Some(env);
        let id = self.create(&run_cfg, Some(self.host_config())).await?;
        self.say(format!(" ---> Running in {}\n", &id[..12]));
        let code = self.run_container(&id).await;
        let code = match code {
            Ok(c) => c,
            Err(e) => {
                self.remove_container(&id, false).await;
                return Err(e);
            }
        };
        if code != 0 {
            self.remove_container(&id, false).await;
            return Err(Failure {
                message: format!(
                    "The command '{}' returned a non-zero code: {code}",
                    cmd.join(" ")
                ),
                code: Some(code),
            });
        }
        let layer = self.containers.layer_of(&id)?;
        let committed = self.commit(s, &layer, s.config.clone(), probe).await;
        self.remove_container(&id, committed.is_ok()).await;
        let new = committed?;
        let cfg = s.config.clone();
        self.advance(s, new, cfg);
        Ok(())
    }

    /// The host config of RUN containers: the request's network and limits.
    pub(super) fn host_config(&self) -> HostConfig {
        let o = &self.opts;
        HostConfig {
            network_mode: if o.network_mode.is_empty() {
                "default".into()
            } else {
                o.network_mode.clone()
            },
            extra_hosts: (!o.extra_hosts.is_empty()).then(|| o.extra_hosts.clone()),
            shm_size: o.shm_size,
            memory: o.memory,
            memory_swap: o.memory_swap,
            cpu_shares: o.cpu_shares,
            cpuset_cpus: o.cpuset_cpus.clone(),
            cpu_period: o.cpu_period,
            cpu_quota: o.cpu_quota,
            ..HostConfig::default()
        }
    }

    /// Starts the container `id`, streams its output, and gives its exit code.
    pub(super) async fn run_container(&self, id: &str) -> Result<i64, Failure> {
        let exited = self.containers.wait(id, WaitCondition::NextExit)?;
        self.containers.clone().start(id.to_owned()).await?;
        let opts = LogsOptions {
            follow: true,
            stdout: true,
            stderr: true,
            ..LogsOptions::default()
        };
        let mut logs = self.containers.logs(id, opts).await?;
        while let Some(entry) = logs.entries.next().await {
            if let Ok(e) = entry {
                self.say(String::from_utf8_lossy(&e.line).into_owned());
            }
        }
        Ok(exited.await.status_code)
    }
}
