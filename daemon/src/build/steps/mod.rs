//! The steps of a build, one instruction after the other, with dockerd 20.10's classic
//! builder's lines: `Step n/N : ...`, ` ---> Running in ...`, `Removing intermediate
//! container ...`, ` ---> <id>`, ` ---> Using cache`, then `Successfully built ...` and
//! `Successfully tagged ...`. A failure after the first step is the stream's last message.
//! RUN's containers are in `run`, COPY and ADD in `copying`, the history's words in `comments`,
//! FROM's pulls in `pull`, ADD's downloads in `add_url`.

use std::collections::{BTreeMap, BTreeSet};

use api::backend::{BuildOptions, DeleteOptions, LogsOptions, PullOptions, WaitCondition};
use api::types::{ContainerCreateRequest, HostConfig, JsonMessage};
use dockerfile::{Instruction, Settings};
use futures::StreamExt;
use graph::config::ContainerConfig;
use graph::{ImageId, WritableLayer};

use super::cache_from::CacheFrom;
use super::context::Context;
use super::copy::{self, CopySource};
use super::{cache, describe};
use crate::containers::Containers;
use crate::daemon::Daemon;
use crate::error::{Error, Result};
use crate::events::Events;
use crate::images::bridge::Messages;
use crate::images::dockerfile::{set_settings, settings};
use crate::images::{Images, events as image_events};
use crate::version::VERSION;

mod add_url;
mod comments;
mod copying;
mod pull;
mod run;

use comments::comment_of;

/// One instruction to run, with the text `Step n/N :` shows.
#[derive(Debug)]
struct Step {
    text: String,
    instruction: Instruction,
}

/// The checked Dockerfile: the steps up to the end of the target stage.
#[derive(Debug)]
pub(super) struct Plan {
    steps: Vec<Step>,
    escape: char,
}

impl Plan {
    /// Parses and checks `text` (a refusal is the request's answer, before any output).
    pub(super) fn new(text: &str, opts: &BuildOptions) -> Result<Plan> {
        let parsed = dockerfile::parse(text).map_err(Error::Invalid)?;
        let instructions = dockerfile::parse_all(&parsed.nodes).map_err(Error::Invalid)?;
        let mut steps = Vec::new();
        let mut in_stage = false;
        let mut reached = opts.target.is_empty();
        let mut end = None;
        for (node, instruction) in parsed.nodes.iter().zip(instructions) {
            if let Instruction::From { name, .. } = &instruction {
                if in_stage && !opts.target.is_empty() && reached && end.is_none() {
                    end = Some(steps.len());
                }
                in_stage = true;
                if name.as_deref() == Some(opts.target.to_ascii_lowercase().as_str()) {
                    reached = true;
                }
            } else if !in_stage && !matches!(instruction, Instruction::Arg(_)) {
                return Err(Error::Invalid(format!(
                    "dockerfile parse error line {}: no build stage in current context",
                    node.start_line
                )));
            }
            steps.push(Step {
                text: node.original.trim().to_owned(),
                instruction,
            });
        }
        if !reached {
            return Err(Error::Invalid(format!(
                "failed to reach build target {} in Dockerfile",
                opts.target
            )));
        }
        if !in_stage {
            return Err(Error::Invalid(
                "No image was generated. Is your Dockerfile empty?".into(),
            ));
        }
        if let Some(end) = end {
            steps.truncate(end);
        }
        Ok(Plan {
            steps,
            escape: parsed.escape,
        })
    }
}

/// A stage being built.
struct Stage {
    /// Its name (`AS name`), lower case.
    name: Option<String>,
    /// The image so far (`None`: scratch, nothing committed yet).
    image: Option<ImageId>,
    /// The image's config so far.
    config: ContainerConfig,
    /// The ARGs this stage declared, with their values.
    args: BTreeMap<String, Option<String>>,
    /// The metadata dispatcher (expansion, CMD/ENTRYPOINT state).
    state: dockerfile::State,
}

/// A build in progress.
pub(super) struct Builder {
    containers: Containers,
    images: Images,
    events: Events,
    registry: crate::distribution::Registry,
    opts: BuildOptions,
    ctx: Context,
    out: Messages,
    /// Build args a step used (the rest are reported unused at the end).
    used: BTreeSet<String>,
    /// The ARGs before the first FROM, with their values.
    meta_args: BTreeMap<String, Option<String>>,
    /// The stages built so far, in order.
    done: Vec<(Option<String>, Option<ImageId>)>,
    /// Layer directories made for steps on scratch, removed at the end.
    scratch: Vec<std::path::PathBuf>,
    /// The `--cache-from` images, if any (else the local cache).
    cache_from: Option<CacheFrom>,
    /// An ONBUILD trigger is running (its steps print no ` ---> ID`).
    in_trigger: bool,
}

impl Builder {
    /// A builder of `opts` over the received context.
    pub(super) fn new(d: &Daemon, opts: BuildOptions, ctx: Context, out: Messages) -> Builder {
        Builder {
            containers: d.containers.clone(),
            images: d.images.clone(),
            events: d.events.clone(),
            registry: d.registry(),
            cache_from: CacheFrom::new(&opts.cache_from),
            in_trigger: false,
            opts,
            ctx,
            out,
            used: BTreeSet::new(),
            meta_args: BTreeMap::new(),
            done: Vec::new(),
            scratch: Vec::new(),
        }
    }

    /// Sends a line of the build's output (none with `q`).
    fn say(&self, text: impl Into<String>) {
        if !self.opts.quiet {
            self.out.send(JsonMessage::stream(text));
        }
    }

    /// Runs every step, then tags; a failure is the stream's last message.
    pub(super) async fn run(mut self, plan: Plan) {
        match self.steps(plan).await {
            Ok(id) => self.finish(id).await,
            Err(Failure { message, code }) => {
                let mut m = JsonMessage::error(message);
                if let (Some(code), Some(d)) = (code, m.error_detail.as_mut()) {
                    d.code = Some(code);
                }
                self.out.send(m);
            }
        }
        let scratch = std::mem::take(&mut self.scratch);
        let _ = crate::blocking::blocking(move || {
            for d in scratch {
                let _ = std::fs::remove_dir_all(d);
            }
            drop(self.ctx);
        })
        .await;
    }

    async fn finish(&mut self, id: ImageId) {
        let unused: Vec<&String> = self
            .opts
            .build_args
            .keys()
            .filter(|k| !self.used.contains(*k) && !is_proxy_arg(k))
            .collect();
        let short = short_id(&id);
        if self.opts.quiet {
            self.out.send(JsonMessage::stream(format!("{id}\n")));
        } else {
            self.out.send(JsonMessage {
                aux: Some(serde_json::json!({ "ID": id.to_string() })),
                ..JsonMessage::default()
            });
        }
        if !unused.is_empty() {
            let names: Vec<&str> = unused.iter().map(|s| s.as_str()).collect();
            self.say(format!(
                "[Warning] One or more build-args [{}] were not consumed\n",
                names.join(" ")
            ));
        }
        tracing::debug!("build steps done");
        self.say(format!("Successfully built {short}\n"));
        for t in self.opts.tags.clone() {
            let (id_s, tag) = (id.to_string(), t.clone());
            let tagged = self
                .images
                .blocking(move |s| {
                    let r = s.tag(&id_s, &tag)?;
                    Ok((r.familiar(), image_events::labels(s, &id_s)))
                })
                .await;
            match tagged {
                Ok((name, labels)) => {
                    self.events
                        .image(&id.to_string(), &name, "tag", labels.as_ref());
                    self.say(format!("Successfully tagged {name}\n"));
                }
                Err(e) => {
                    self.out.send(JsonMessage::error(e.to_string()));
                    return;
                }
            }
        }
    }

    async fn steps(&mut self, plan: Plan) -> Result<ImageId, Failure> {
        let total = plan.steps.len();
        let mut stage: Option<Stage> = None;
        for (n, step) in plan.steps.into_iter().enumerate() {
            tracing::debug!(step = n + 1, "build step");
            self.say(format!("Step {}/{} : {}", n + 1, total, step.text));
            self.say("\n");
            match step.instruction {
                Instruction::From {
                    image,
                    name,
                    platform: _,
                } => {
                    if let Some(s) = stage.take() {
                        self.done.push((s.name, s.image));
                    }
                    stage = Some(self.from(&image, name, plan.escape).await?);
                }
                Instruction::Arg(args) if stage.is_none() => {
                    for (k, v) in args {
                        let v = self.opts.build_args.get(&k).cloned().unwrap_or(v);
                        if self.opts.build_args.contains_key(&k) {
                            self.used.insert(k.clone());
                        }
                        self.meta_args.insert(k, v);
                    }
                }
                other => {
                    let s = stage
                        .as_mut()
                        .ok_or_else(|| Failure::from("no build stage in current context"))?;
                    self.dispatch(s, other).await?;
                }
            }
        }
        let s = stage
            .ok_or_else(|| Failure::from("No image was generated. Is your Dockerfile empty?"))?;
        let s = self.final_labels(s).await?;
        s.image
            .ok_or_else(|| Failure::from("No image was generated. Is your Dockerfile empty?"))
    }

    /// `labels=` of the request: a last config-only commit, as dockerd adds them.
    async fn final_labels(&mut self, mut s: Stage) -> Result<Stage, Failure> {
        if self.opts.labels.is_empty() {
            return Ok(s);
        }
        let mut cfg = s.config.clone();
        let labels = cfg.labels.get_or_insert_with(BTreeMap::new);
        for (k, v) in &self.opts.labels {
            labels.insert(k.clone(), v.clone());
        }
        let list: Vec<String> = self
            .opts
            .labels
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect();
        let comment = format!("LABEL {}", list.join(" "));
        self.commit_metadata(&mut s, cfg, &comment, true, false)
            .await?;
        Ok(s)
    }

    /// FROM: a stage name, `scratch`, or an image in the store.
    async fn from(
        &mut self,
        image: &str,
        name: Option<String>,
        escape: char,
    ) -> Result<Stage, Failure> {
        let lex = dockerfile::Lex::new(escape);
        let meta: Vec<String> = self
            .meta_args
            .iter()
            .filter_map(|(k, v)| v.as_ref().map(|v| format!("{k}={v}")))
            .collect();
        let image = lex
            .process_word(image, &dockerfile::Env::from_list(&meta))
            .map_err(Failure::from)?;
        let mut stage = Stage {
            name,
            image: None,
            config: ContainerConfig::default(),
            args: BTreeMap::new(),
            state: dockerfile::State::new(escape),
        };
        let found = self
            .done
            .iter()
            .find(|(n, _)| n.as_deref() == Some(image.to_ascii_lowercase().as_str()))
            .map(|(_, id)| id.clone());
        let id = match found {
            Some(id) => id,
            None if image.eq_ignore_ascii_case("scratch") => None,
            None => Some(self.local_or_pulled(&image).await?),
        };
        if let Some(id) = &id {
            let id_s = id.to_string();
            let d = self.images.blocking(move |s| s.inspect(&id_s)).await?;
            stage.config = d.config.config.unwrap_or_default();
        }
        stage.image = id;
        self.reset_cache_from().await?;
        // ONBUILD triggers of the base image run now, then are dropped from the config.
        let triggers = stage.config.on_build.take().unwrap_or_default();
        self.triggers(&mut stage, triggers).await?;
        // As dockerd: one ` ---> ID` for the FROM, after its triggers.
        let shown = stage.image.as_ref().map(short_id).unwrap_or_default();
        self.say(format!(" ---> {shown}\n"));
        Ok(stage)
    }

    /// The base image's ONBUILD triggers (moby's `dispatchTriggeredOnBuild`): announced, then
    /// each dispatched as a step of the FROM, without a ` ---> ID` line of its own.
    async fn triggers(&mut self, stage: &mut Stage, triggers: Vec<String>) -> Result<(), Failure> {
        if triggers.is_empty() {
            return Ok(());
        }
        let s = if triggers.len() > 1 { "s" } else { "" };
        self.say(format!("# Executing {} build trigger{s}\n", triggers.len()));
        self.in_trigger = true;
        let mut result = Ok(());
        for t in triggers {
            result = self.trigger(stage, &t).await;
            if result.is_err() {
                break;
            }
        }
        self.in_trigger = false;
        result
    }

    /// One ONBUILD trigger.
    async fn trigger(&mut self, stage: &mut Stage, t: &str) -> Result<(), Failure> {
        let parsed = dockerfile::parse(t).map_err(Failure::from)?;
        if parsed.nodes.len() != 1 {
            return Err(Failure::from(
                "onbuild trigger should be a single expression",
            ));
        }
        for i in dockerfile::parse_all(&parsed.nodes).map_err(Failure::from)? {
            self.dispatch(stage, i).await?;
        }
        Ok(())
    }

    /// The build args in effect in `s` (declared, with a value), as `KEY=value`, sorted.
    fn args_env(&self, s: &Stage) -> Vec<String> {
        let env_keys: BTreeSet<&str> = s
            .config
            .env
            .iter()
            .flatten()
            .map(|e| e.split('=').next().unwrap_or_default())
            .collect();
        s.args
            .iter()
            .filter(|(k, _)| !env_keys.contains(k.as_str()))
            .filter_map(|(k, v)| v.as_ref().map(|v| format!("{k}={v}")))
            .collect()
    }

    async fn dispatch(&mut self, s: &mut Stage, i: Instruction) -> Result<(), Failure> {
        match i {
            Instruction::Arg(args) => {
                let mut parts = Vec::new();
                for (k, default) in args {
                    // History shows the ARG as written (its default), not the value given.
                    parts.push(match &default {
                        Some(d) => format!("{k}={d}"),
                        None => k.clone(),
                    });
                    let value = match self.opts.build_args.get(&k) {
                        Some(v) => {
                            self.used.insert(k.clone());
                            v.clone()
                        }
                        None => match default {
                            Some(d) => Some(
                                s.state
                                    .lex()
                                    .process_word(&d, &self.expansion_env(s))
                                    .map_err(Failure::from)?,
                            ),
                            None => self.meta_args.get(&k).cloned().flatten(),
                        },
                    };

                    s.args.insert(k, value);
                }
                let comment = format!("ARG {}", parts.join(" "));
                let cfg = s.config.clone();
                self.commit_metadata(s, cfg, &comment, true, true).await
            }
            Instruction::Run(line, shell) => self.run_step(s, line, shell).await,
            Instruction::Copy(a) => self.copy(s, a, false).await,
            Instruction::Add(a) => self.copy(s, a, true).await,
            Instruction::Maintainer(_) => {
                // The author is not part of the config; dockerd commits it with the image.
                let cfg = s.config.clone();
                self.commit_metadata(s, cfg, "MAINTAINER", true, true).await
            }
            other => self.metadata(s, other).await,
        }
    }

    /// The environment `$VAR`s expand from: the config's, then the build args.
    fn expansion_env(&self, s: &Stage) -> dockerfile::Env {
        let mut list = self.args_env(s);
        list.extend(s.config.env.iter().flatten().cloned());
        dockerfile::Env::from_list(&list)
    }

    /// A metadata instruction: the config changes, a config-only commit.
    async fn metadata(&mut self, s: &mut Stage, i: Instruction) -> Result<(), Failure> {
        let mut set: Settings = settings(&s.config);
        let before = set.clone();
        let args = self.args_env(s);
        let kind = i.clone();
        s.state.apply(&mut set, i, &args).map_err(Failure::from)?;
        let comment = comment_of(&kind, &before, &set);
        let mut cfg = s.config.clone();
        set_settings(&mut cfg, set);
        let two = !matches!(kind, Instruction::Workdir(_));
        self.commit_metadata(s, cfg, &comment, two, true).await
    }

    /// Commits `cfg` as the next image of `s`, described by `comment` (after `#(nop) `, as a
    /// separate word when `two`), reusing a cached step when allowed.
    async fn commit_metadata(
        &mut self,
        s: &mut Stage,
        cfg: ContainerConfig,
        comment: &str,
        two: bool,
        use_cache: bool,
    ) -> Result<(), Failure> {
        let mut probe = cfg.clone();
        let mut cmd = shell_of(&cfg);
        if two {
            cmd.extend(["#(nop) ".to_owned(), comment.to_owned()]);
        } else {
            cmd.push(format!("#(nop) {comment}"));
        }
        probe.cmd = Some(cmd);
        probe.image = Some(image_ref(s));
        if use_cache && self.cached(s, &probe, &cfg).await? {
            return Ok(());
        }
        let container = match &s.image {
            None => None,
            Some(_) => Some(self.create(&probe, None).await?),
        };
        let layer = match &container {
            Some(id) => {
                self.say(format!(" ---> Running in {}\n", &id[..12]));
                self.containers.layer_of(id)?
            }
            None => WritableLayer::Overlay(self.empty_dir()?),
        };
        let committed = self.commit(s, &layer, cfg.clone(), probe).await;
        if let Some(id) = &container {
            self.remove_container(id, committed.is_ok()).await;
        }
        let id = committed?;
        self.advance(s, id, cfg);
        Ok(())
    }

    /// An empty directory for a config-only commit without a container (on scratch).
    fn empty_dir(&mut self) -> Result<std::path::PathBuf, Failure> {
        let dir = self.ctx.dir.with_extension(format!(
            "empty-{}",
            &crate::containers::random_hex_id()?[..8]
        ));
        std::fs::create_dir_all(&dir).map_err(|e| Failure::from(e.to_string()))?;
        self.scratch.push(dir.clone());
        Ok(dir)
    }

    /// Looks for a step built before on the same parent with the same config (or in the
    /// `--cache-from` images); on a hit, `next` is the config after the step.
    async fn cached(
        &mut self,
        s: &mut Stage,
        probe: &ContainerConfig,
        next: &ContainerConfig,
    ) -> Result<bool, Failure> {
        if self.opts.no_cache {
            return Ok(false);
        }
        let parent = s.image.clone();
        let probe = probe.clone();
        let hit = match self.cache_from.take() {
            Some(mut cf) => {
                let (hit, cf) = self
                    .images
                    .blocking(move |st| {
                        let hit = cf.get(st, parent.as_ref(), &probe, VERSION);
                        hit.map(|h| (h, cf))
                    })
                    .await?;
                self.cache_from = Some(cf);
                hit.map(|id| (id, next.clone()))
            }
            None => match parent {
                None => None,
                Some(parent) => {
                    self.images
                        .blocking(move |st| cache::lookup(st, &parent, &probe))
                        .await?
                }
            },
        };
        let Some((id, cfg)) = hit else {
            return Ok(false);
        };
        self.say(" ---> Using cache\n");
        self.advance(s, id, cfg);
        Ok(true)
    }

    /// Looks the `--cache-from` images up again (dockerd does at every FROM).
    async fn reset_cache_from(&mut self) -> Result<(), Failure> {
        if let Some(mut cf) = self.cache_from.take() {
            self.cache_from = Some(
                self.images
                    .blocking(move |st| {
                        cf.reset(st);
                        Ok(cf)
                    })
                    .await?,
            );
        }
        Ok(())
    }

    fn advance(&mut self, s: &mut Stage, id: ImageId, cfg: ContainerConfig) {
        if !self.in_trigger {
            self.say(format!(" ---> {}\n", short_id(&id)));
        }
        s.image = Some(id);
        s.config = cfg;
    }

    /// Commits `layer` as the child of `s`'s image (dockerd's `CommitBuildStep`).
    async fn commit(
        &self,
        s: &Stage,
        layer: &WritableLayer,
        config: ContainerConfig,
        probe: ContainerConfig,
    ) -> Result<ImageId, Failure> {
        let options = graph::CommitOptions {
            parent: s.image.clone(),
            reference: None,
            author: String::new(),
            comment: String::new(),
            config: Some(config),
            container_config: probe,
            container_id: String::new(),
            engine_version: VERSION.into(),
            build_step: true,
        };
        let layer = layer.clone();
        Ok(self
            .images
            .blocking(move |st| st.commit_container(&layer, &options))
            .await?)
    }
}

/// The parent image as a container's `Image`.
fn image_ref(s: &Stage) -> String {
    s.image
        .as_ref()
        .map(ToString::to_string)
        .unwrap_or_default()
}

/// The shell of the config (`SHELL`), `/bin/sh -c` by default.
fn shell_of(cfg: &ContainerConfig) -> Vec<String> {
    match cfg.shell.as_ref().filter(|s| !s.is_empty()) {
        Some(s) => s.clone(),
        None => vec!["/bin/sh".into(), "-c".into()],
    }
}

/// The destination as an absolute path (relative to WORKDIR), a trailing `/` kept.
fn absolute_dest(dest: &str, workdir: &str) -> String {
    if dest.starts_with('/') {
        return dest.to_owned();
    }
    let base = if workdir.is_empty() { "/" } else { workdir };
    let joined = format!("{}/{dest}", base.trim_end_matches('/'));
    let keep_slash = dest.ends_with('/') || dest == "." || dest.ends_with("/.");
    let mut clean = mobyport::path::clean(&joined);
    if keep_slash && !clean.ends_with('/') {
        clean.push('/');
    }
    clean
}

/// An HTTP(S) URL (moby's `urlutil.IsURL`): what ADD downloads.
fn is_http(s: &str) -> bool {
    s.starts_with("http://") || s.starts_with("https://")
}

fn is_url(s: &str) -> bool {
    s.starts_with("http://") || s.starts_with("https://") || s.starts_with("git@")
}

/// The predefined proxy args (never reported unused).
fn is_proxy_arg(k: &str) -> bool {
    matches!(
        k.to_ascii_uppercase().as_str(),
        "HTTP_PROXY" | "HTTPS_PROXY" | "FTP_PROXY" | "NO_PROXY" | "ALL_PROXY"
    )
}

/// The first 12 hex digits of an image ID.
fn short_id(id: &ImageId) -> String {
    let s = id.to_string();
    let hex = s.strip_prefix("sha256:").unwrap_or(&s);
    hex[..12.min(hex.len())].to_owned()
}

/// The image store's config as the API's (the same JSON).
fn convert(c: &ContainerConfig) -> Result<api::types::ContainerConfig, Failure> {
    let v = serde_json::to_value(c).map_err(|e| Failure::from(e.to_string()))?;
    serde_json::from_value(v).map_err(|e| Failure::from(e.to_string()))
}

/// A failed step: dockerd's message, and the exit code of a failed RUN.
#[derive(Debug)]
pub(super) struct Failure {
    message: String,
    code: Option<i64>,
}

impl From<&str> for Failure {
    fn from(m: &str) -> Self {
        Failure {
            message: m.to_owned(),
            code: None,
        }
    }
}

impl From<String> for Failure {
    fn from(message: String) -> Self {
        Failure {
            message,
            code: None,
        }
    }
}

impl From<Error> for Failure {
    fn from(e: Error) -> Self {
        Failure::from(e.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn destinations_relative_to_workdir() {
        assert_eq!(absolute_dest("./", "/app"), "/app/");
        assert_eq!(absolute_dest(".", "/app"), "/app/");
        assert_eq!(absolute_dest("x", ""), "/x");
        assert_eq!(absolute_dest("/a/b/", "/app"), "/a/b/");
        assert_eq!(absolute_dest("sub/", "/app"), "/app/sub/");
    }

    #[test]
    fn plans_stop_after_the_target() {
        let text = "ARG B=busybox\nFROM $B AS base\nRUN x\nFROM base AS second\nCMD y\n";
        let opts = BuildOptions {
            target: "base".into(),
            ..BuildOptions::default()
        };
        assert_eq!(Plan::new(text, &opts).expect("plan").steps.len(), 3);
        let all = Plan::new(text, &BuildOptions::default()).expect("plan");
        assert_eq!(all.steps.len(), 5);
        let missing = BuildOptions {
            target: "nope".into(),
            ..BuildOptions::default()
        };
        let err = Plan::new(text, &missing).expect_err("no such stage");
        assert_eq!(
            err.to_string(),
            "failed to reach build target nope in Dockerfile"
        );
        let err = Plan::new("FROM x\nFROBNICATE y\n", &BuildOptions::default()).expect_err("bad");
        assert_eq!(
            err.to_string(),
            "dockerfile parse error line 2: unknown instruction: FROBNICATE"
        );
    }
}
