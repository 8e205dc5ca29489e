//! `docker rmi`: untag and delete, with Docker's rules.
//!
//! - Removing by reference removes that reference; the image goes too only if it was the
//!   last one (and nothing else prevents it).
//! - Removing by ID (or ID prefix) deletes the image with all its references if they are in
//!   one repository; several repositories need `force`.
//! - A container using the image blocks removal (running: even with `force`); the daemon
//!   answers through [`ImageUsers`].
//! - Layers no other image uses are deleted with the image (their chain IDs are reported).

use std::collections::{HashMap, HashSet};

use super::types::{ContainerState, ImageUsers, Removed};
use crate::catalog::{LayerRecord, Txn};
use crate::digest::{ChainId, ImageId};
use crate::error::{Error, Result};
use crate::reference::Reference;
use crate::store::ImageStore;

const HARD_CHILD: u8 = 1;
const HARD_RUNNING: u8 = 2;
const SOFT_REFERENCE: u8 = 4;
const SOFT_STOPPED: u8 = 8;
const HARD: u8 = HARD_CHILD | HARD_RUNNING;
const SOFT: u8 = SOFT_REFERENCE | SOFT_STOPPED;

struct Conflict {
    hard: bool,
    used: bool,
    message: String,
}

impl Conflict {
    fn into_error(self, id: &ImageId) -> Error {
        let how = if self.hard {
            "cannot be forced"
        } else {
            "must be forced"
        };
        Error::Conflict(format!(
            "conflict: unable to delete {} ({how}) - {}",
            id.short(),
            self.message
        ))
    }
}

/// The state of one removal: pending writes and what they change.
struct Removal<'a> {
    store: &'a ImageStore,
    users: &'a dyn ImageUsers,
    txn: Txn,
    records: Vec<Removed>,
    /// References of images, read when a check needs all of them, without those removed.
    refs: HashMap<ImageId, Vec<Reference>>,
    /// References removed so far (the catalog still has them until the commit).
    untagged: HashMap<ImageId, HashSet<Reference>>,
    deleted: HashSet<ImageId>,
    layers: HashMap<ChainId, LayerRecord>,
    doomed_dirs: Vec<String>,
}

fn short(id: &str) -> &str {
    let hex = id.strip_prefix("sha256:").unwrap_or(id);
    &hex[..hex.len().min(12)]
}

/// Docker's `isSingleReference`: at most one tag, and all references in one repository.
fn is_single_reference(refs: &[Reference]) -> bool {
    if refs.len() <= 1 {
        return refs.len() == 1;
    }
    let mut single: Option<&Reference> = None;
    let mut canonical = HashSet::new();
    for r in refs {
        if r.digest().is_some() {
            canonical.insert(r.name());
        } else if single.is_none() {
            single = Some(r);
        } else {
            return false;
        }
    }
    let single = single.unwrap_or(&refs[0]);
    canonical.len() == 1 && canonical.contains(&single.name())
}

impl ImageStore {
    /// Removes the image or reference `name`. `force` removes an image with references in
    /// several repositories or used by stopped containers; `noprune` keeps untagged parents.
    pub fn remove(
        &self,
        name: &str,
        force: bool,
        noprune: bool,
        users: &dyn ImageUsers,
    ) -> Result<Vec<Removed>> {
        let _guard = self.write_lock();
        let id = self.resolve(name)?;
        let mut r = Removal {
            store: self,
            users,
            txn: self.catalog.txn(),
            records: Vec::new(),
            refs: HashMap::new(),
            untagged: HashMap::new(),
            deleted: HashSet::new(),
            layers: HashMap::new(),
            doomed_dirs: Vec::new(),
        };
        let by_id = id.as_str().starts_with(name) || id.hex().starts_with(name);
        let mut quiet = false;
        if !by_id {
            // Untagging reads only the references it needs, never all the image's: removing
            // each of an image's n tags in turn must not cost O(n²).
            if !force {
                let user = users
                    .container_using(&id, ContainerState::Running)
                    .or_else(|| users.container_using(&id, ContainerState::Stopped));
                if let Some(c) = user
                    && r.is_single_reference(&id)?
                {
                    return Err(Error::Conflict(format!(
                        "conflict: unable to remove repository reference {name:?} (must force) - container {} is using its referenced image {}",
                        short(&c),
                        id.short()
                    )));
                }
            }
            let parsed = Reference::parse_normalized(name)?.with_default_tag();
            r.untag(&id, &parsed);
            if parsed.digest().is_none() {
                let repo = parsed.name();
                let is_tag = |x: &Reference| x.digest().is_none();
                if r.kept_refs(&id, Some(&repo), 1, is_tag)?.is_empty() {
                    // The repository's last tag: its digests go too.
                    let is_digest = |x: &Reference| x.digest().is_some();
                    for x in r.kept_refs(&id, Some(&repo), usize::MAX, is_digest)? {
                        r.untag(&id, &x);
                    }
                }
            }
            if !r.kept_refs(&id, None, 1, |_| true)?.is_empty() {
                return r.finish();
            }
            quiet = true;
        } else {
            let repo_refs = r.refs_of(&id)?.clone();
            if is_single_reference(&repo_refs) {
                let mask = if force {
                    HARD
                } else {
                    HARD | (SOFT & !SOFT_REFERENCE)
                };
                if let Some(c) = r.conflict(&id, mask)? {
                    return Err(c.into_error(&id));
                }
                for x in &repo_refs {
                    r.untag(&id, x);
                }
            }
        }
        r.delete(&id, force, !noprune, quiet)?;
        r.finish()
    }
}

impl Removal<'_> {
    /// All the references of `id` this removal has not removed (read once, then kept).
    fn refs_of(&mut self, id: &ImageId) -> Result<&Vec<Reference>> {
        if !self.refs.contains_key(id) {
            let mut refs = self.store.catalog.references_of(id)?;
            refs.retain(|r| !self.is_untagged(id, r));
            self.refs.insert(id.clone(), refs);
        }
        Ok(&self.refs[id])
    }

    /// Up to `limit` references that `id` keeps (not removed by this removal), in repository
    /// `repo` or any, that `want` accepts, in key order. Reads only until it has `limit`.
    fn kept_refs(
        &self,
        id: &ImageId,
        repo: Option<&str>,
        limit: usize,
        want: impl Fn(&Reference) -> bool,
    ) -> Result<Vec<Reference>> {
        // A repository's references all start with `<name>:` (tags) or `<name>@` (digests).
        let starts = match repo {
            Some(name) => vec![format!("{name}:"), format!("{name}@")],
            None => vec![String::new()],
        };
        let mut out = Vec::new();
        for start in &starts {
            for x in self.store.catalog.iter_references_of(id, start) {
                let x = x?;
                if repo.is_some_and(|name| x.name() != name)
                    || !want(&x)
                    || self.is_untagged(id, &x)
                {
                    continue;
                }
                out.push(x);
                if out.len() >= limit {
                    return Ok(out);
                }
            }
        }
        Ok(out)
    }

    fn is_untagged(&self, id: &ImageId, r: &Reference) -> bool {
        self.untagged.get(id).is_some_and(|set| set.contains(r))
    }

    /// Docker's `isSingleReference` for the references `id` keeps, reading only until the
    /// answer is known (a second tag, or a second repository, settles it).
    fn is_single_reference(&self, id: &ImageId) -> Result<bool> {
        if let Some(refs) = self.refs.get(id) {
            return Ok(is_single_reference(refs));
        }
        let mut seen: Vec<Reference> = Vec::new();
        let (mut tags, mut repos) = (0, HashSet::new());
        for r in self.store.catalog.iter_references_of(id, "") {
            let r = r?;
            if self.is_untagged(id, &r) {
                continue;
            }
            tags += usize::from(r.digest().is_none());
            repos.insert(r.name());
            seen.push(r);
            if tags > 1 || repos.len() > 1 {
                // Not single whatever follows; `seen` holds enough to say so.
                break;
            }
        }
        Ok(is_single_reference(&seen))
    }

    fn untag(&mut self, id: &ImageId, r: &Reference) {
        self.txn.delete_ref(r, id);
        if let Some(list) = self.refs.get_mut(id) {
            list.retain(|x| x != r);
        }
        self.untagged
            .entry(id.clone())
            .or_default()
            .insert(r.clone());
        self.records.push(Removed::Untagged(r.familiar()));
    }

    fn has_children(&self, id: &ImageId) -> Result<bool> {
        Ok(self
            .store
            .catalog
            .children(id)?
            .iter()
            .any(|c| !self.deleted.contains(c)))
    }

    fn conflict(&mut self, id: &ImageId, mask: u8) -> Result<Option<Conflict>> {
        if mask & HARD_CHILD != 0 && self.has_children(id)? {
            return Ok(Some(Conflict {
                hard: true,
                used: false,
                message: "image has dependent child images".to_string(),
            }));
        }
        if mask & HARD_RUNNING != 0
            && let Some(c) = self.users.container_using(id, ContainerState::Running)
        {
            return Ok(Some(Conflict {
                hard: true,
                used: true,
                message: format!("image is being used by running container {}", short(&c)),
            }));
        }
        if mask & SOFT_REFERENCE != 0 && !self.refs_of(id)?.is_empty() {
            return Ok(Some(Conflict {
                hard: false,
                used: false,
                message: "image is referenced in multiple repositories".to_string(),
            }));
        }
        if mask & SOFT_STOPPED != 0
            && let Some(c) = self.users.container_using(id, ContainerState::Stopped)
        {
            return Ok(Some(Conflict {
                hard: false,
                used: true,
                message: format!("image is being used by stopped container {}", short(&c)),
            }));
        }
        Ok(None)
    }

    /// Docker's `imageDeleteHelper`.
    fn delete(&mut self, id: &ImageId, force: bool, prune: bool, quiet: bool) -> Result<()> {
        let mask = if force { HARD } else { HARD | SOFT };
        if let Some(c) = self.conflict(id, mask)? {
            let dangling = self.refs_of(id)?.is_empty() && !self.has_children(id)?;
            if quiet && (!dangling || c.used) {
                return Ok(());
            }
            return Err(c.into_error(id));
        }
        let rec = self
            .store
            .catalog
            .image(id)?
            .ok_or_else(|| Error::NotFound(id.to_string()))?;
        for r in self.refs_of(id)?.clone() {
            self.untag(id, &r);
        }
        self.txn.delete_image(id);
        if let Some(p) = &rec.parent {
            self.txn.remove_child(p, id);
        }
        self.deleted.insert(id.clone());
        self.records.push(Removed::Deleted(id.to_string()));
        if let Some(top) = &rec.top_layer {
            self.release(top)?;
        }
        match rec.parent {
            Some(p)
                if prune
                    && !self.deleted.contains(&p)
                    && self.store.catalog.image(&p)?.is_some() =>
            {
                self.delete(&p, false, true, true)
            }
            _ => Ok(()),
        }
    }

    /// Drops one reference to a layer; deletes it (and releases its parent) at zero.
    fn release(&mut self, top: &ChainId) -> Result<()> {
        let mut cur = Some(top.clone());
        while let Some(c) = cur {
            let mut rec = match self.layers.remove(&c) {
                Some(r) => r,
                None => self
                    .store
                    .catalog
                    .layer(&c)?
                    .ok_or_else(|| Error::Store(format!("layer {c} is missing")))?,
            };
            rec.refcount = rec.refcount.saturating_sub(1);
            if rec.refcount > 0 {
                self.layers.insert(c, rec);
                return Ok(());
            }
            self.txn.delete_layer(&c);
            self.txn.gc_add(&rec.cache_id, &c);
            self.doomed_dirs.push(rec.cache_id.clone());
            self.records.push(Removed::Deleted(c.to_string()));
            cur = rec.parent;
        }
        Ok(())
    }

    /// Commits, then deletes the freed layer directories.
    fn finish(mut self) -> Result<Vec<Removed>> {
        for (chain, rec) in &self.layers {
            self.txn.put_layer(chain, rec)?;
        }
        self.txn.commit()?;
        self.store.fault("after-remove-commit");
        if !self.doomed_dirs.is_empty() {
            let mut clear = self.store.catalog.txn();
            for cache_id in &self.doomed_dirs {
                self.store.layers.remove(cache_id)?;
                clear.gc_remove(cache_id);
            }
            clear.commit()?;
        }
        Ok(self.records)
    }
}
