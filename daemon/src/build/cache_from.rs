//! `cachefrom` (`docker build --cache-from IMG`): moby's `image/cache` `ImageCache`. A step is
//! reused from a cache-from image whose history and layers match the image built so far and
//! whose next history entry was written by the same command (`isValidParent`,
//! `isValidConfig`); a step in the middle of it becomes an image of its own over the layers
//! the store has (`restoreCachedImage`), the last one is the cache-from image itself, given
//! the parent it was found on. So an image from `docker load` (no parents) serves as a cache.
//! A local cache hit counts only when it is an ancestor of a cache-from image.

use graph::config::{ContainerConfig, ImageConfig};
use graph::{ImageId, ImageStore};

use super::cache;

/// A cache-from image.
#[derive(Debug, Clone)]
struct Source {
    id: ImageId,
    config: ImageConfig,
}

/// The cache-from images of a build.
#[derive(Debug, Clone, Default)]
pub(super) struct CacheFrom {
    /// The names the request gave.
    names: Vec<String>,
    /// The images they name (narrowed to one once a step matched in it).
    sources: Vec<Source>,
}

impl CacheFrom {
    /// The cache of the images `names` name; `None` when there are none (the local cache).
    pub(super) fn new(names: &[String]) -> Option<CacheFrom> {
        let names: Vec<String> = names.iter().filter(|n| !n.is_empty()).cloned().collect();
        (!names.is_empty()).then(|| CacheFrom {
            names,
            sources: Vec::new(),
        })
    }

    /// Looks the images up again, as dockerd does at every FROM; a name that names nothing is
    /// skipped.
    pub(super) fn reset(&mut self, store: &ImageStore) {
        self.sources = self
            .names
            .iter()
            .filter_map(|n| match store.inspect(n) {
                Ok(d) => Some(Source {
                    id: d.id,
                    config: d.config,
                }),
                Err(e) => {
                    tracing::warn!(image = %n, error = %e, "could not look up a cache-from image, skipping");
                    None
                }
            })
            .collect();
    }

    /// The image a step of `probe` on `parent` can reuse, if any (moby's `GetCache`).
    pub(super) fn get(
        &mut self,
        store: &ImageStore,
        parent: Option<&ImageId>,
        probe: &ContainerConfig,
        engine_version: &str,
    ) -> graph::Result<Option<ImageId>> {
        if let Some(p) = parent
            && let Some((local, _)) = cache::lookup(store, p, probe)?
            && self
                .sources
                .iter()
                .any(|s| is_ancestor(store, &s.id, &local))
        {
            return Ok(Some(local));
        }
        let parent_cfg = match parent {
            Some(p) => Some(store.details(p)?.config),
            None => None,
        };
        let index = parent_cfg
            .as_ref()
            .map_or(0, |c| c.history.as_ref().map_or(0, Vec::len));
        let created_by = probe.cmd.clone().unwrap_or_default().join(" ");
        for target in self.sources.clone() {
            let history = target.config.history.clone().unwrap_or_default();
            if !is_valid_parent(&target.config, parent_cfg.as_ref())
                || history
                    .get(index)
                    .and_then(|h| h.created_by.as_deref())
                    .unwrap_or("")
                    != created_by
            {
                continue;
            }
            if history.len() - 1 == index {
                if let Some(p) = parent {
                    store.set_parent(&target.id, p)?;
                }
                return Ok(Some(target.id));
            }
            let id = store.restore_cached(parent, &target.id, probe, engine_version)?;
            // As dockerd: the next steps look in this image only.
            self.sources = vec![target];
            return Ok(Some(id));
        }
        Ok(None)
    }
}

/// Whether `ancestor` is a strict ancestor of `id` through the recorded parents.
fn is_ancestor(store: &ImageStore, id: &ImageId, ancestor: &ImageId) -> bool {
    let mut next = id.clone();
    // The chain is finite; the bound only guards against a corrupt loop.
    for _ in 0..10_000 {
        match store.details(&next).ok().and_then(|d| d.parent) {
            Some(p) if &p == ancestor => return true,
            Some(p) => next = p,
            None => return false,
        }
    }
    false
}

/// moby's `isValidParent`: `img` starts with `parent`'s history and layers.
fn is_valid_parent(img: &ImageConfig, parent: Option<&ImageConfig>) -> bool {
    let img_history = img.history.as_deref().unwrap_or_default();
    if img_history.is_empty() {
        return false;
    }
    let Some(parent) = parent else {
        return true;
    };
    let history = parent.history.as_deref().unwrap_or_default();
    if history.is_empty() && parent.diff_ids().is_empty() {
        return true;
    }
    history.len() < img_history.len()
        && parent.diff_ids().len() <= img.diff_ids().len()
        && history.iter().zip(img_history).all(|(a, b)| a == b)
        && parent
            .diff_ids()
            .iter()
            .zip(img.diff_ids())
            .all(|(a, b)| a == b)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(history: &[&str], layers: usize) -> ImageConfig {
        let h: Vec<String> = history
            .iter()
            .map(|c| format!(r#"{{"created":"2026-01-01T00:00:00Z","created_by":"{c}"}}"#))
            .collect();
        let d: Vec<String> = (0..layers)
            .map(|i| {
                format!(
                    "\"sha256:{}\"",
                    format!("{i:x}").repeat(64)[..64].to_owned()
                )
            })
            .collect();
        ImageConfig::parse(
            format!(
                r#"{{"rootfs":{{"type":"layers","diff_ids":[{}]}},"history":[{}]}}"#,
                d.join(","),
                h.join(",")
            )
            .as_bytes(),
        )
        .expect("config")
    }

    #[test]
    fn a_parent_is_a_prefix_of_history_and_layers() {
        let target = config(&["a", "b", "c"], 2);
        assert!(is_valid_parent(&target, None));
        assert!(is_valid_parent(&target, Some(&config(&["a"], 1))));
        assert!(is_valid_parent(&target, Some(&config(&["a", "b"], 2))));
        assert!(!is_valid_parent(&target, Some(&config(&["x"], 1))));
        assert!(!is_valid_parent(
            &target,
            Some(&config(&["a", "b", "c"], 2))
        ));
        assert!(!is_valid_parent(&target, Some(&config(&["a"], 3))));
        assert!(!is_valid_parent(&config(&[], 0), None));
    }
}
