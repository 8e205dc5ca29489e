//! The image events dockerd tells (moby's `LogImageEvent`): each carries the image's labels
//! while it exists. These run inside the store's blocking calls, right after the change.

use std::collections::{BTreeMap, HashMap};

use graph::{ImageId, ImageStore, Removed};

use super::Images;
use crate::events::Events;

impl Images {
    /// [`labels`], from the async side.
    pub(crate) async fn labels_of(&self, name: String) -> Option<BTreeMap<String, String>> {
        self.blocking(move |s| Ok(labels(s, &name)))
            .await
            .ok()
            .flatten()
    }
}

/// The labels of the image `name` names (none if it is gone). Blocks.
pub(crate) fn labels(s: &ImageStore, name: &str) -> Option<BTreeMap<String, String>> {
    s.inspect(name).ok()?.config.labels().cloned()
}

/// Tells `action` about the image `id`, named by its ID as dockerd does for load, save,
/// import and delete. Blocks.
pub(crate) fn by_id(events: &Events, s: &ImageStore, id: &ImageId, action: &str) {
    let id = id.to_string();
    events.image(&id, &id, action, labels(s, &id).as_ref());
}

/// What a removal will need to tell its events: the image `name` names and its recorded
/// ancestors (a removal may prune them), each with its labels, read before they go. Blocks.
pub(crate) struct Removal {
    first: String,
    labels: HashMap<String, Option<BTreeMap<String, String>>>,
}

impl Removal {
    /// Reads the image `name` names and its ancestors; `None` if there is no such image (the
    /// removal then fails and tells nothing). Blocks.
    pub(crate) fn before(s: &ImageStore, name: &str) -> Option<Removal> {
        let d = s.inspect(name).ok()?;
        let first = d.id.to_string();
        let mut labels = HashMap::from([(first.clone(), d.config.labels().cloned())]);
        let mut parent = d.parent;
        while let Some(p) = parent {
            let p = p.to_string();
            if labels.contains_key(&p) {
                break;
            }
            let Ok(pd) = s.inspect(&p) else { break };
            labels.insert(p, pd.config.labels().cloned());
            parent = pd.parent;
        }
        Some(Removal { first, labels })
    }

    /// Tells the removal's events as moby's `ImageDelete` does: `untag` for each reference
    /// removed (named by the image's ID, with its labels: the image still exists then), and
    /// `delete` for each image deleted (without them). A removal lists an image's untags
    /// before its deletion; untags not followed by one are the first image's. `Deleted`
    /// records that are not images are layers, which tell nothing.
    pub(crate) fn tell(&self, events: &Events, removed: &[Removed]) {
        let mut untags = 0;
        let untag = |id: &str, n: usize| {
            let labels = self.labels.get(id).cloned().flatten();
            for _ in 0..n {
                events.image(id, id, "untag", labels.as_ref());
            }
        };
        for r in removed {
            match r {
                Removed::Untagged(_) => untags += 1,
                Removed::Deleted(x) if self.labels.contains_key(x) => {
                    untag(x, std::mem::take(&mut untags));
                    events.image(x, x, "delete", None);
                }
                Removed::Deleted(_) => {}
            }
        }
        untag(&self.first, untags);
    }
}

#[cfg(test)]
mod tests {
    use jiff::Timestamp;

    use super::*;

    #[test]
    fn a_removal_tells_untag_and_delete_per_image() {
        let labels = BTreeMap::from([("a".to_owned(), "b".to_owned())]);
        let removal = Removal {
            first: "sha256:top".into(),
            labels: HashMap::from([
                ("sha256:top".to_owned(), Some(labels.clone())),
                ("sha256:parent".to_owned(), None),
            ]),
        };
        let events = Events::default();
        let untagged = |r: &str| Removed::Untagged(r.into());
        let deleted = |r: &str| Removed::Deleted(r.into());
        removal.tell(
            &events,
            &[
                untagged("busybox:latest"),
                untagged("busybox:1"),
                deleted("sha256:top"),
                deleted("sha256:layer"),
                untagged("old:1"),
                deleted("sha256:parent"),
            ],
        );
        // An untag alone (the image keeps other references) is the first image's.
        removal.tell(&events, &[untagged("busybox:2")]);
        let told = events.subscribe(Some(Timestamp::UNIX_EPOCH), None, |_| true);
        let got: Vec<(String, String, usize)> = told
            .replay
            .iter()
            .map(|e| {
                (
                    e.action.clone(),
                    e.actor.id.clone(),
                    e.actor.attributes.len(),
                )
            })
            .collect();
        let e = |a: &str, id: &str, n| (a.to_owned(), id.to_owned(), n);
        assert_eq!(
            got,
            [
                // The image's labels and its `name` (its ID) while it exists; only the name once
                // deleted.
                e("untag", "sha256:top", 2),
                e("untag", "sha256:top", 2),
                e("delete", "sha256:top", 1),
                e("untag", "sha256:parent", 1),
                e("delete", "sha256:parent", 1),
                e("untag", "sha256:top", 2),
            ]
        );
    }
}
