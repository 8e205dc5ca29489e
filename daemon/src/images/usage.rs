//! `POST /images/prune` (moby's `ImagesPrune`) and the images' part of `GET /system/df`.

use std::collections::HashMap;

use api::filters::Filters;
use api::types::{ImageDeleteResponseItem, ImagePruneResponse, ImageSummary};
use graph::{ImageStore, ImageUsers, Removed};
use jiff::Timestamp;

use super::{convert, events};
use crate::error::{Error, Result};
use crate::events::Events;

/// `dangling`: true (the default) prunes only untagged images, false every unused one.
fn dangling_only(filters: &Filters) -> Result<bool> {
    let values = filters.get("dangling");
    let has = |v: &str| values.iter().any(|x| x == v);
    if values.is_empty() {
        Ok(true)
    } else if has("false") || has("0") {
        Ok(false)
    } else if has("true") || has("1") {
        Ok(true)
    } else {
        Err(Error::Invalid(format!(
            "invalid filter 'dangling=[{}]'",
            values.join(" ")
        )))
    }
}

/// Removes the images a prune selects, as moby's `ImagesPrune`: the leaves without a tag
/// (with `dangling=false`, every image but untagged parents), created before `until`, whose
/// labels `filters` select; each through `docker rmi`'s rules (an image a container uses, or
/// one another image depends on, is skipped). `SpaceReclaimed` is the content of the layers
/// deleted. Tells the removals' and the `prune` event. Blocks.
pub(crate) fn prune(
    s: &ImageStore,
    users: &dyn ImageUsers,
    ev: &Events,
    filters: &Filters,
    until: Option<Timestamp>,
) -> Result<ImagePruneResponse> {
    let dangling = dangling_only(filters)?;
    let sizes = s.layer_sizes()?;
    let mut candidates = s.list(false)?;
    candidates.sort_by(|a, b| b.created.cmp(&a.created).then_with(|| a.id.cmp(&b.id)));
    let mut deleted: Vec<Removed> = Vec::new();
    for img in candidates {
        let untagged = img.repo_tags.is_empty();
        let unreferenced = untagged && img.repo_digests.is_empty();
        if (dangling || unreferenced) && img.has_children
            || until.is_some_and(|u| img.created.is_some_and(|c| c > u))
            || !filters.match_labels(img.labels.as_ref())
        {
            continue;
        }
        let names: Vec<String> = if unreferenced {
            vec![img.id.to_string()]
        } else if !dangling || untagged {
            img.repo_tags
                .iter()
                .chain(&img.repo_digests)
                .cloned()
                .collect()
        } else {
            continue;
        };
        for name in names {
            let before = events::Removal::before(s, &name);
            match s.remove(&name, false, false, users) {
                Ok(removed) => {
                    if let Some(b) = before {
                        b.tell(ev, &removed);
                    }
                    deleted.extend(removed);
                }
                // In use, depended on, or gone with an earlier removal: skipped, as dockerd.
                Err(e) => tracing::debug!(image = %name, error = %e, "prune: image kept"),
            }
        }
    }
    let reclaimed = deleted
        .iter()
        .filter_map(|r| match r {
            Removed::Deleted(x) => graph::Digest::parse(x).ok(),
            Removed::Untagged(_) => None,
        })
        .filter_map(|d| sizes.get(&d))
        .sum();
    ev.prune("image", reclaimed);
    let items: Vec<ImageDeleteResponseItem> = deleted.into_iter().map(convert::removed).collect();
    Ok(ImagePruneResponse {
        images_deleted: (!items.is_empty()).then_some(items),
        space_reclaimed: reclaimed,
    })
}

/// The images as `GET /system/df` lists them (with `SharedSize`, and `Containers` from
/// `using`: how many containers each image ID has), and the bytes of every stored layer
/// counted once (`LayersSize`). Blocks.
pub(crate) fn disk_usage(
    s: &ImageStore,
    using: &HashMap<String, i64>,
) -> Result<(i64, Vec<ImageSummary>)> {
    let layers: u64 = s.layer_sizes()?.values().sum();
    let images = s
        .list(true)?
        .into_iter()
        .map(convert::summary)
        .map(|mut i| {
            i.containers = using.get(&i.id).copied().unwrap_or(0);
            // dockerd still writes it below API 1.44, and the CLI's `df` shows it.
            i.virtual_size = Some(i.size);
            i
        })
        .collect();
    Ok((i64::try_from(layers).unwrap_or(i64::MAX), images))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dangling_reads_as_moby() {
        let f = |raw: &str| dangling_only(&Filters::parse(Some(raw)).unwrap());
        assert!(f("{}").unwrap());
        assert!(f(r#"{"dangling":["true"]}"#).unwrap());
        assert!(f(r#"{"dangling":["1"]}"#).unwrap());
        assert!(!f(r#"{"dangling":["false"]}"#).unwrap());
        assert!(!f(r#"{"dangling":["0","true"]}"#).unwrap());
        assert_eq!(
            f(r#"{"dangling":["maybe"]}"#).unwrap_err().to_string(),
            "invalid filter 'dangling=[maybe]'"
        );
    }
}
