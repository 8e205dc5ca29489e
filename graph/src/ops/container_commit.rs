//! `docker commit`: a container's writable layer becomes a new image above the container's
//! image, through the same commit path as `load` (staged, then one batch: nothing partial is
//! ever visible). The config is the one dockerd's `CreateImageFromContainer` makes: the
//! request's config (or the container's), `--change`s applied as `BuildFromConfig` does, then
//! completed from the container's config (moby's `merge`); `NewChildImage`'s history entry.

use std::collections::HashMap;
use std::io::Read;
use std::path::{Path, PathBuf};

use super::commit::NewImage;
use super::platform::go_arch;
use crate::config::{ContainerConfig, History, ImageConfig};
use crate::digest::{Digest, ImageId, chain_id, chain_ids};
use crate::error::{Error, Result};
use crate::gojson::{self, Obj};
use crate::reference::Reference;
use crate::store::ImageStore;
use crate::tree::layer_tar;
use jiff::Timestamp;

/// The digest of an empty layer tar (1024 zero bytes): a commit without changes adds no layer.
const EMPTY_LAYER: &str = "sha256:5f70bf18a086007016e948b04aed3b82103a36bea41755b6cddfaf10ace3c6ef";

/// Where a container's writable layer is.
#[derive(Debug, Clone)]
pub enum WritableLayer {
    /// overlay2: the upper directory.
    Overlay(PathBuf),
    /// vfs: the container's full tree (compared with the image's top layer).
    Tree(PathBuf),
}

/// What `POST /commit` asked for.
#[derive(Debug, Clone, Default)]
pub struct CommitOptions {
    /// The container's image (`None`: a container of `scratch`).
    pub parent: Option<ImageId>,
    /// `repo[:tag]` to tag the new image with.
    pub reference: Option<String>,
    /// `--author`.
    pub author: String,
    /// `--message`.
    pub comment: String,
    /// The request's config (`None`: the container's), `--change` instructions already
    /// applied by the caller.
    pub config: Option<ContainerConfig>,
    /// The container's own config.
    pub container_config: ContainerConfig,
    /// The container's ID.
    pub container_id: String,
    /// The engine version recorded in the config.
    pub engine_version: String,
    /// A build step (dockerd's `CommitBuildStep`): `config` is the image's as given, not
    /// merged with the container's.
    pub build_step: bool,
}

impl ImageStore {
    /// Commits `layer` as a new image; returns its ID.
    pub fn commit_container(&self, layer: &WritableLayer, opts: &CommitOptions) -> Result<ImageId> {
        let tag = match &opts.reference {
            None => None,
            Some(r) => Some(Reference::parse_normalized(r)?.with_default_tag()),
        };
        let mut config = opts
            .config
            .clone()
            .unwrap_or_else(|| opts.container_config.clone());
        if !opts.build_step {
            merge(&mut config, &opts.container_config);
        }

        let (parent_cfg, parent_dir) = match &opts.parent {
            None => (ImageConfig::default(), None),
            Some(id) => {
                let d = self.details(id)?;
                // The top layer's directory (its `diff` is what vfs copies).
                let dir = d
                    .layer_dirs
                    .first()
                    .and_then(|diff| diff.parent())
                    .map(Path::to_path_buf);
                (d.config, dir)
            }
        };
        let staged = self.stage_writable(layer, parent_dir.as_deref())?;
        let diff_id = staged.applied.diff_id.clone();
        let empty = diff_id.to_string() == EMPTY_LAYER;
        let mut diff_ids = parent_cfg.diff_ids().to_vec();
        let mut pool = HashMap::new();
        if !empty {
            let parent_chain = chain_ids(&diff_ids).last().cloned();
            pool.insert(chain_id(parent_chain.as_ref(), &diff_id), staged);
            diff_ids.push(diff_id);
        }
        let bytes = child_config(
            &parent_cfg,
            &config,
            &diff_ids,
            empty,
            opts,
            Timestamp::now(),
        );
        let id = Digest::of(bytes.as_bytes());
        let image = NewImage::local(id.clone(), bytes, diff_ids, opts.parent.clone(), tag);
        self.commit_images(&[image], &mut pool, &mut |_| {})?;
        Ok(id)
    }

    /// Stages the tar of `layer`, written by a thread of its own as it is read.
    fn stage_writable(
        &self,
        layer: &WritableLayer,
        parent_dir: Option<&Path>,
    ) -> Result<crate::layers::Staged> {
        let (mut reader, mut writer) =
            std::io::pipe().map_err(|e| Error::io("create a pipe", e))?;
        let layer = layer.clone();
        let parent_diff = parent_dir.map(|d| d.join("diff"));
        let producer = std::thread::Builder::new()
            .name("commit-tar".into())
            .spawn(move || {
                // Batched: the walk writes headers and 8 KiB pieces, the pipe is read in MiBs.
                let mut out = std::io::BufWriter::with_capacity(1 << 20, &mut writer);
                match &layer {
                    WritableLayer::Overlay(upper) => layer_tar::overlay(upper, &mut out),
                    WritableLayer::Tree(tree) => {
                        layer_tar::naive(parent_diff.as_deref(), tree, &mut out)
                    }
                }
            })
            .map_err(|e| Error::io("start the commit's tar thread", e))?;
        let staged = self.layers.stage(&mut reader as &mut dyn Read, parent_dir);
        // The reader goes first, so a producer still writing sees a broken pipe and ends.
        drop(reader);
        let produced = producer
            .join()
            .map_err(|_| Error::Store("the commit's tar thread panicked".into()))?;
        // A failed stage is the cause; the producer's broken pipe only follows from it.
        let staged = staged?;
        produced?;
        Ok(staged)
    }
}

/// moby's `merge`: what the new config leaves unset comes from the container's.
fn merge(user: &mut ContainerConfig, image: &ContainerConfig) {
    if user.user.as_deref().unwrap_or("").is_empty() {
        user.user.clone_from(&image.user);
    }
    match (&mut user.exposed_ports, &image.exposed_ports) {
        (Some(u), Some(i)) if !u.is_empty() => {
            for (k, v) in i {
                u.entry(k.clone()).or_insert_with(|| v.clone());
            }
        }
        (u, i) => {
            if u.as_ref().is_none_or(|m| m.is_empty()) {
                u.clone_from(i);
            }
        }
    }
    if user.env.as_ref().is_none_or(Vec::is_empty) {
        user.env.clone_from(&image.env);
    } else if let (Some(u), Some(i)) = (&mut user.env, &image.env) {
        for e in i {
            let key = e.split('=').next().unwrap_or("");
            if !u.iter().any(|x| x.split('=').next().unwrap_or("") == key) {
                u.push(e.clone());
            }
        }
    }
    let labels = user.labels.get_or_insert_with(Default::default);
    for (k, v) in image.labels.iter().flatten() {
        labels.entry(k.clone()).or_insert_with(|| v.clone());
    }
    if user.entrypoint.as_ref().is_none_or(Vec::is_empty) {
        if user.cmd.as_ref().is_none_or(Vec::is_empty) {
            user.cmd.clone_from(&image.cmd);
            user.args_escaped = image.args_escaped;
        }
        if user.entrypoint.is_none() {
            user.entrypoint.clone_from(&image.entrypoint);
        }
    }
    if let Some(ih) = &image.healthcheck {
        match &mut user.healthcheck {
            None => user.healthcheck = Some(ih.clone()),
            Some(uh) => {
                if uh.test.as_ref().is_none_or(Vec::is_empty) {
                    uh.test.clone_from(&ih.test);
                }
                for (u, i) in [
                    (&mut uh.interval, ih.interval),
                    (&mut uh.timeout, ih.timeout),
                    (&mut uh.start_period, ih.start_period),
                    (&mut uh.start_interval, ih.start_interval),
                    (&mut uh.retries, ih.retries),
                ] {
                    if u.unwrap_or(0) == 0 {
                        *u = i;
                    }
                }
            }
        }
    }
    if user.working_dir.as_deref().unwrap_or("").is_empty() {
        user.working_dir.clone_from(&image.working_dir);
    }
    if user.volumes.as_ref().is_none_or(|v| v.is_empty()) {
        user.volumes.clone_from(&image.volumes);
    } else if let (Some(u), Some(i)) = (&mut user.volumes, &image.volumes) {
        for (k, v) in i {
            u.insert(k.clone(), v.clone());
        }
    }
    if user.stop_signal.as_deref().unwrap_or("").is_empty() {
        user.stop_signal.clone_from(&image.stop_signal);
    }
}

/// One history entry as Go's `image.History` marshals it.
pub(crate) fn history_entry(h: &History) -> String {
    let mut o = Obj::default();
    if h.created.is_some() {
        o.raw("created", gojson::time(h.created.as_deref()));
    }
    o.str_omit("author", h.author.as_deref().filter(|s| !s.is_empty()))
        .str_omit(
            "created_by",
            h.created_by.as_deref().filter(|s| !s.is_empty()),
        )
        .str_omit("comment", h.comment.as_deref().filter(|s| !s.is_empty()));
    if h.empty_layer == Some(true) {
        o.raw("empty_layer", "true".into());
    }
    o.render()
}

/// moby's `NewChildImage`, marshalled as Go does.
fn child_config(
    parent: &ImageConfig,
    config: &ContainerConfig,
    diff_ids: &[Digest],
    empty: bool,
    opts: &CommitOptions,
    now: Timestamp,
) -> String {
    let created = now.to_string();
    let created_by = opts
        .container_config
        .cmd
        .as_ref()
        .map(|c| c.join(" "))
        .unwrap_or_default();
    let child = ImageConfig {
        comment: Some(opts.comment.clone()).filter(|c| !c.is_empty()),
        created: Some(created.clone()),
        container: Some(opts.container_id.clone()),
        container_config: Some(opts.container_config.clone()),
        docker_version: Some(opts.engine_version.clone()),
        author: Some(opts.author.clone()).filter(|a| !a.is_empty()),
        config: Some(config.clone()),
        architecture: Some(
            parent
                .architecture
                .clone()
                .filter(|a| !a.is_empty())
                .unwrap_or_else(|| go_arch().to_owned()),
        ),
        variant: parent.variant.clone(),
        os: Some("linux".into()),
        ..ImageConfig::default()
    };
    let mut o = gojson::v1_image(&child);
    let mut rootfs = Obj::default();
    let ids: Vec<String> = diff_ids.iter().map(ToString::to_string).collect();
    rootfs
        .str("type", "layers")
        .raw("diff_ids", gojson::str_list(Some(&ids)));
    o.raw("rootfs", rootfs.render());
    let mut history: Vec<String> = parent.history.iter().flatten().map(history_entry).collect();
    history.push(history_entry(&History {
        created: Some(created),
        created_by: Some(created_by),
        author: Some(opts.author.clone()),
        comment: Some(opts.comment.clone()),
        empty_layer: empty.then_some(true),
    }));
    o.raw("history", format!("[{}]", history.join(",")));
    if let Some(v) = parent.os_version.as_deref().filter(|v| !v.is_empty()) {
        o.str("os.version", v);
    }
    if let Some(f) = parent.os_features.as_ref().filter(|f| !f.is_empty()) {
        o.raw("os.features", gojson::str_list(Some(f)));
    }
    o.render()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn merge_fills_what_the_new_config_leaves_unset() {
        let image = ContainerConfig {
            env: Some(vec!["PATH=/bin".into(), "A=1".into()]),
            cmd: Some(vec!["sh".into()]),
            working_dir: Some("/srv".into()),
            user: Some("app".into()),
            ..ContainerConfig::default()
        };
        let mut new = ContainerConfig {
            env: Some(vec!["A=2".into()]),
            ..ContainerConfig::default()
        };
        merge(&mut new, &image);
        assert_eq!(new.env, Some(vec!["A=2".into(), "PATH=/bin".into()]));
        assert_eq!(new.cmd, Some(vec!["sh".into()]));
        assert_eq!(new.working_dir.as_deref(), Some("/srv"));
        assert_eq!(new.user.as_deref(), Some("app"));
        let mut with_entrypoint = ContainerConfig {
            entrypoint: Some(vec!["/app".into()]),
            ..ContainerConfig::default()
        };
        merge(&mut with_entrypoint, &image);
        assert_eq!(with_entrypoint.cmd, None, "an entrypoint keeps its own cmd");
    }

    #[test]
    fn child_config_is_new_child_image_as_go_marshals_it() {
        let parent = ImageConfig::parse(
            br#"{"architecture":"amd64","os":"linux","rootfs":{"type":"layers","diff_ids":[]},
                "history":[{"created":"2020-01-01T00:00:00Z","created_by":"/bin/sh -c #(nop) ADD file:x in / "}]}"#,
        )
        .expect("parent");
        let opts = CommitOptions {
            comment: "msg".into(),
            author: "me".into(),
            container_id: "c0ffee".into(),
            container_config: ContainerConfig {
                cmd: Some(vec!["sh".into(), "-c".into(), "echo hi".into()]),
                ..ContainerConfig::default()
            },
            engine_version: "1.0".into(),
            ..CommitOptions::default()
        };
        let config = ContainerConfig {
            cmd: Some(vec!["sh".into()]),
            ..ContainerConfig::default()
        };
        let diff = Digest::parse(EMPTY_LAYER).expect("digest");
        let at = Timestamp::from_second(1_700_000_000).expect("time");
        let json = child_config(&parent, &config, &[diff], false, &opts, at);
        let empty = r#""Hostname":"","Domainname":"","User":"","AttachStdin":false,"AttachStdout":false,"AttachStderr":false,"Tty":false,"OpenStdin":false,"StdinOnce":false,"Env":null"#;
        let tail = r#""Image":"","Volumes":null,"WorkingDir":"","Entrypoint":null,"OnBuild":null,"Labels":null"#;
        assert_eq!(
            json,
            format!(
                concat!(
                    r#"{{"comment":"msg","created":"2023-11-14T22:13:20Z","container":"c0ffee","#,
                    r#""container_config":{{{empty},"Cmd":["sh","-c","echo hi"],{tail}}},"#,
                    r#""docker_version":"1.0","author":"me","#,
                    r#""config":{{{empty},"Cmd":["sh"],{tail}}},"#,
                    r#""architecture":"amd64","os":"linux","#,
                    r#""rootfs":{{"type":"layers","diff_ids":["{diff}"]}},"#,
                    r#""history":[{{"created":"2020-01-01T00:00:00Z","created_by":"/bin/sh -c #(nop) ADD file:x in / "}},"#,
                    r#"{{"created":"2023-11-14T22:13:20Z","author":"me","created_by":"sh -c echo hi","comment":"msg"}}]}}"#
                ),
                empty = empty,
                tail = tail,
                diff = EMPTY_LAYER
            )
        );
    }

    #[test]
    fn history_entries_as_go_writes_them() {
        let h = History {
            created: Some("2026-01-02T03:04:05Z".into()),
            created_by: Some("sh".into()),
            author: Some(String::new()),
            comment: Some("c".into()),
            empty_layer: Some(true),
        };
        assert_eq!(
            history_entry(&h),
            r#"{"created":"2026-01-02T03:04:05Z","created_by":"sh","comment":"c","empty_layer":true}"#
        );
    }
}
