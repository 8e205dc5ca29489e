//! `POST /containers/{id}/exec`: registers an exec in a running container.

use std::sync::{Arc, Mutex};

use api::types::ExecCreateRequest;

use super::{Exec, ExecConfig, ExecState, Execs};
use crate::blocking::blocking;
use crate::error::{Error, Result};

impl Execs {
    /// Registers the exec `req` describes in the running container `term` names; its ID.
    pub(crate) async fn create(&self, term: &str, req: ExecCreateRequest) -> Result<String> {
        let containers = self.inner.containers.clone();
        let (term_owned, user) = (term.to_owned(), req.user.clone());
        let target = blocking(move || {
            let target = containers.exec_target(&term_owned, true)?;
            // As moby 25+: a user that does not resolve is refused now, not at start.
            if !user.is_empty() {
                execdriver::resolve_user(&target.rootfs, &user)
                    .map_err(|e| Error::Invalid(e.to_string()))?;
            }
            Ok::<_, Error>(target)
        })
        .await??;
        let mut cmd = req.cmd.unwrap_or_default().into_iter();
        let entrypoint = cmd
            .next()
            .ok_or_else(|| Error::Invalid("No exec command specified".into()))?;
        let id = crate::containers::random_hex_id()?;
        let config = ExecConfig {
            id: id.clone(),
            container_id: target.id.clone(),
            entrypoint,
            args: cmd.collect(),
            tty: req.tty,
            privileged: req.privileged,
            // moby fills in the container's user at create; inspect shows it.
            user: if req.user.is_empty() {
                target.record.config.user.clone()
            } else {
                req.user
            },
            working_dir: if req.working_dir.is_empty() {
                target.record.config.working_dir.clone()
            } else {
                req.working_dir
            },
            env: req.env.unwrap_or_default(),
            open_stdin: req.attach_stdin,
            open_stdout: req.attach_stdout,
            open_stderr: req.attach_stderr,
            detach_keys: req.detach_keys,
            console_size: req.console_size,
        };
        let dir = target.exec_dir(&id).path().to_path_buf();
        let action = format!("exec_create: {}", config.command_line());
        self.event(&config, &action, &[]);
        self.insert(Arc::new(Exec {
            config,
            dir,
            state: Mutex::new(ExecState::default()),
        }));
        tracing::debug!(container = %target.id, exec = %id, "exec created");
        Ok(id)
    }
}
