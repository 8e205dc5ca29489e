//! COPY and ADD: the sources from the context or another stage or image, put into a step
//! container's tree as `docker cp` puts files, the step cached by the sources' checksum.

use super::*;
use crate::build::chown::Chown;
use crate::build::context::Context;

impl Builder {
    /// COPY and ADD.
    pub(super) async fn copy(
        &mut self,
        s: &mut Stage,
        a: dockerfile::CopyArgs,
        add: bool,
    ) -> Result<(), Failure> {
        let name = if add { "ADD" } else { "COPY" };
        let env = self.expansion_env(s);
        let lex = *s.state.lex();
        let word = |w: &str| lex.process_word(w, &env).map_err(Failure::from);
        let mut sources = Vec::new();
        for src in &a.sources {
            sources.push(word(src)?);
        }
        let dest = word(&a.dest)?;
        let chown = word(&a.chown)?;
        let from = word(&a.from)?;
        let urls = sources.iter().filter(|s| is_http(s)).count();
        if !add && urls > 0 {
            return Err(Failure::from(format!("source can't be a URL for {name}")));
        }
        let downloads = urls > 0 && urls == sources.len() && from.is_empty();
        if add && !downloads && sources.iter().any(|s| is_url(s)) {
            return Err(Failure::from(format!(
                "{name} failed: fetching a URL together with other sources is not supported by this daemon: one ADD per URL"
            )));
        }
        let owner = Chown::parse(&chown).map_err(Failure::from)?;
        let mode = copy::parse_chmod(&a.chmod).map_err(Failure::from)?;
        // The sources: downloads, the context, or another stage's or image's tree.
        let (source, from_container) = if downloads {
            let (dir, names) = self.download(&sources, &dest).await?;
            sources = names;
            (CopySource::Context(Context::from_dir(dir).files()), None)
        } else if from.is_empty() {
            (CopySource::Context(self.ctx.files()), None)
        } else {
            let image = self.source_image(&from).await?;
            let mut cfg = ContainerConfig {
                cmd: Some(vec!["/bin/sh".into()]),
                image: Some(image),
                ..ContainerConfig::default()
            };
            cfg.entrypoint = None;
            let id = self.create(&cfg, None).await?;
            (
                CopySource::Container(self.containers.clone(), id.clone()),
                Some(id),
            )
        };
        let result = self
            .copy_from(
                s,
                &source,
                &sources,
                (add, add && !downloads),
                &a.dest,
                &dest,
                (&chown, &from, owner, mode),
            )
            .await;
        if let Some(id) = from_container {
            let opts = DeleteOptions {
                force: true,
                remove_volumes: true,
                link: false,
            };
            let _ = self.containers.clone().delete(id, opts).await;
        }
        result
    }

    /// COPY and ADD once the sources are known: the checksum, the cache, then the copy.
    #[allow(clippy::too_many_arguments)]
    pub(super) async fn copy_from(
        &mut self,
        s: &mut Stage,
        source: &CopySource,
        sources: &[String],
        (add, extract): (bool, bool),
        written: &str,
        dest: &str,
        (chown, from, owner, mode): (&str, &str, Option<Chown>, Option<u32>),
    ) -> Result<(), Failure> {
        let name = if add { "ADD" } else { "COPY" };
        let dir = self.ctx.dir.clone();
        let checked = copy::gather(source, sources, extract, name, &dir, false).await?;
        let dest = absolute_dest(dest, s.config.working_dir.as_deref().unwrap_or(""));
        let mut flags = String::new();
        if !chown.is_empty() {
            flags.push_str(&format!("--chown={chown}"));
        }
        if !from.is_empty() {
            flags.push_str(&format!("--from={from}"));
        }
        let comment = format!("{name} {flags}{} in {written} ", checked.hash);
        let mut probe = s.config.clone();
        let mut cmd = shell_of(&s.config);
        cmd.push(format!("#(nop) {comment}"));
        probe.cmd = Some(cmd);
        probe.image = Some(image_ref(s));
        let next = s.config.clone();
        if self.cached(s, &probe, &next).await? {
            return Ok(());
        }
        let gathered = copy::gather(source, sources, extract, name, &dir, true).await?;
        let mut spec = copy::Placement {
            dest: dest.clone(),
            owner: owner.as_ref().and_then(Chown::numeric),
            mode,
        };
        let by_name = owner.filter(|o| o.numeric().is_none());
        let cfg = s.config.clone();
        let new = match &s.image {
            None => {
                if let Some(o) = by_name {
                    // Scratch has no /etc/passwd.
                    let none = || Err(std::io::ErrorKind::NotFound.into());
                    spec.owner = Some(o.resolve(&none(), &none()).map_err(Failure::from)?);
                }
                let dir = self.empty_dir()?;
                copy::place_in_dir(&gathered, &spec, &dir).await?;
                self.commit(s, &WritableLayer::Overlay(dir), cfg.clone(), probe)
                    .await?
            }
            Some(_) => {
                let mut c = probe.clone();
                c.entrypoint = None;
                let id = self.create(&c, None).await?;
                let placed = match self.owner_in(&id, by_name, &mut spec).await {
                    Ok(()) => {
                        copy::place_in_container(&gathered, &spec, &self.containers, &id).await
                    }
                    Err(e) => Err(e),
                };
                let committed = match placed {
                    Ok(()) => {
                        let layer = self.containers.layer_of(&id)?;
                        self.commit(s, &layer, cfg.clone(), probe).await
                    }
                    Err(e) => Err(e),
                };
                // dockerd never shows COPY's container.
                let opts = DeleteOptions {
                    force: true,
                    remove_volumes: true,
                    link: false,
                };
                let _ = self.containers.clone().delete(id, opts).await;
                committed?
            }
        };
        self.advance(s, new, cfg);
        Ok(())
    }

    /// `--chown` by name: the IDs from the step container's `/etc/passwd` and `/etc/group`.
    async fn owner_in(
        &self,
        id: &str,
        by_name: Option<Chown>,
        spec: &mut copy::Placement,
    ) -> Result<(), Failure> {
        let Some(o) = by_name else {
            return Ok(());
        };
        let files = self
            .containers
            .read_root_files(id, &["/etc/passwd", "/etc/group"])
            .await?;
        spec.owner = Some(o.resolve(&files[0], &files[1]).map_err(Failure::from)?);
        Ok(())
    }

    /// The image `--from` names: a stage built before (by name or index), else an image.
    pub(super) async fn source_image(&self, from: &str) -> Result<String, Failure> {
        let lower = from.to_ascii_lowercase();
        let by_name = self
            .done
            .iter()
            .find(|(n, _)| n.as_deref() == Some(lower.as_str()));
        let by_index = from.parse::<usize>().ok().and_then(|i| self.done.get(i));
        if let Some((_, id)) = by_name.or(by_index) {
            return id
                .as_ref()
                .map(ToString::to_string)
                .ok_or_else(|| Failure::from("COPY --from of a stage with no files (scratch)"));
        }
        let name = from.to_owned();
        let d = self.images.blocking(move |s| s.inspect(&name)).await?;
        Ok(d.id.to_string())
    }
}
