//! `docker load`: store the images of a docker-archive or OCI layout tar.

use std::collections::{HashMap, HashSet};
use std::fs::File;
use std::io::{Cursor, Read};
use std::path::PathBuf;

use super::archive::{Member, Members};
use super::commit::NewImage;
use super::manifest::{Plan, plans};
use super::types::{LoadProgress, Loaded};
use crate::compress::decompress;
use crate::config::ImageConfig;
use crate::digest::{ChainId, Digest, ImageId, chain_ids};
use crate::error::{Error, IoContext, Result};
use crate::layers::Staged;
use crate::store::ImageStore;

impl ImageStore {
    /// Loads every image of an archive (`docker save` output or an OCI image layout, possibly
    /// gzip or zstd compressed), reading it once. `progress` receives layer progress and tag
    /// moves. All images become visible together at the end, or none do.
    ///
    /// `input` is read in the calling thread; each layer is hashed and extracted beside it, on
    /// threads of its own (see `hashpipe`).
    pub fn load(
        &self,
        input: &mut dyn Read,
        progress: &mut dyn FnMut(LoadProgress),
    ) -> Result<Vec<Loaded>> {
        let (_, mut plain) = decompress(Box::new(input))?;
        let mut members = self.read_archive(&mut plain, progress)?;
        let plans = plans(&members)?;
        let mut pool: HashMap<ChainId, Staged> = HashMap::new();
        let mut used: HashMap<String, ChainId> = HashMap::new();
        let mut images = Vec::new();
        let mut ids_here: HashMap<ImageId, Vec<crate::digest::DiffId>> = HashMap::new();
        for plan in plans {
            let img = self.prepare(plan, &mut members, &mut pool, &mut used, &ids_here)?;
            ids_here.insert(img.id.clone(), img.diff_ids.clone());
            images.push(img);
        }
        self.commit_images(&images, &mut pool, progress)?;
        let mut seen = HashSet::new();
        Ok(images
            .into_iter()
            .filter(|i| seen.insert((i.id.clone(), i.tags.clone())))
            .map(|i| Loaded {
                id: i.id,
                tags: i.tags,
            })
            .collect())
    }

    /// Checks one image of the archive and makes sure every layer it lacks is staged.
    fn prepare(
        &self,
        plan: Plan,
        members: &mut Members,
        pool: &mut HashMap<ChainId, Staged>,
        used: &mut HashMap<String, ChainId>,
        ids_here: &HashMap<ImageId, Vec<crate::digest::DiffId>>,
    ) -> Result<NewImage> {
        let id = Digest::of(&plan.config);
        let config = ImageConfig::parse(&plan.config)?;
        let diff_ids = config.diff_ids().to_vec();
        if diff_ids.len() != plan.layers.len() {
            return Err(Error::bad(format!(
                "invalid manifest, layers length mismatch: expected {}, got {}",
                diff_ids.len(),
                plan.layers.len()
            )));
        }
        let chains = chain_ids(&diff_ids);
        for (i, (chain, layer)) in chains.iter().zip(&plan.layers).enumerate() {
            if pool.contains_key(chain) || self.catalog.layer(chain)?.is_some() {
                continue;
            }
            let member = members.resolve_path(&layer.member).ok_or_else(|| {
                Error::bad(format!("invalid archive: layer {} not found", layer.member))
            })?;
            let parent_dir = match i.checked_sub(1).map(|p| &chains[p]) {
                None => None,
                Some(p) => self.layer_dir_of(p, pool)?,
            };
            let staged = self.materialize(&member, members, pool, used, parent_dir)?;
            if staged.applied.diff_id != diff_ids[i] {
                return Err(Error::DiffIdMismatch {
                    index: i,
                    expected: diff_ids[i].to_string(),
                    actual: staged.applied.diff_id.to_string(),
                });
            }
            if let Some(want) = &layer.blob
                && &staged.applied.blob_digest != want
            {
                return Err(Error::bad(format!(
                    "invalid archive: layer blob {want} does not match its content ({})",
                    staged.applied.blob_digest
                )));
            }
            used.insert(member, chain.clone());
            pool.insert(chain.clone(), staged);
        }
        let parent = match plan.parent.as_deref().map(Digest::parse).transpose() {
            Ok(Some(p)) => self.valid_parent(&p, &diff_ids, ids_here)?.then_some(p),
            _ => None,
        };
        Ok(NewImage {
            id,
            config: plan.config,
            diff_ids,
            parent,
            tags: plan.tags,
            stamp_tags: false,
            weak_refs: Vec::new(),
            sources: Vec::new(),
        })
    }

    /// A parent link is kept only if the parent exists and its layers are a strict prefix of
    /// the child's, as Docker checks.
    fn valid_parent(
        &self,
        parent: &ImageId,
        diff_ids: &[crate::digest::DiffId],
        ids_here: &HashMap<ImageId, Vec<crate::digest::DiffId>>,
    ) -> Result<bool> {
        let parent_diffs = match ids_here.get(parent) {
            Some(d) => d.clone(),
            None => match self.catalog.config(parent)? {
                Some(c) => ImageConfig::parse(&c)?.diff_ids().to_vec(),
                None => return Ok(false),
            },
        };
        Ok(parent_diffs.len() < diff_ids.len() && diff_ids.starts_with(&parent_diffs))
    }

    /// The directory of a layer that is staged in this load or installed.
    fn layer_dir_of(
        &self,
        chain: &ChainId,
        pool: &HashMap<ChainId, Staged>,
    ) -> Result<Option<PathBuf>> {
        if let Some(s) = pool.get(chain) {
            return Ok(Some(s.dir().to_path_buf()));
        }
        Ok(self
            .catalog
            .layer(chain)?
            .map(|rec| self.layers.layer_dir(&rec.cache_id)))
    }

    /// Produces a staged layer from an archive member.
    fn materialize(
        &self,
        member: &str,
        members: &mut Members,
        pool: &HashMap<ChainId, Staged>,
        used: &HashMap<String, ChainId>,
        parent_dir: Option<PathBuf>,
    ) -> Result<Staged> {
        let entry = members
            .files
            .get_mut(member)
            .ok_or_else(|| Error::bad(format!("invalid archive: layer {member} not found")))?;
        match entry {
            Member::Staged(slot) => match slot.take() {
                Some(s) => Ok(s),
                None => {
                    // Already used for another chain: copy that one.
                    let first = used.get(member).and_then(|c| pool.get(c)).ok_or_else(|| {
                        Error::bad(format!("invalid archive: layer {member} used twice"))
                    })?;
                    self.layers.duplicate(first)
                }
            },
            Member::Spooled(spool) => {
                let mut f = File::open(&spool.0).at("open", &spool.0)?;
                self.layers.stage(&mut f, parent_dir.as_deref())
            }
            Member::Bytes(b) => self
                .layers
                .stage(&mut Cursor::new(b.as_slice()), parent_dir.as_deref()),
            Member::Failed(e) => Err(e.take().unwrap_or_else(|| {
                Error::bad(format!("invalid archive: layer {member} is invalid"))
            })),
            Member::Skipped => Err(Error::bad(format!(
                "invalid archive: {member} is not a layer"
            ))),
        }
    }
}
