//! What the builder keeps between builds besides images: the checksum [`Memo`], opened on the
//! first build (a daemon that never builds never opens it), and what `builder prune` removes.

use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use api::filters::Filters;
use api::types::BuildPruneResponse;
use jiff::Timestamp;

use super::memo::{DEFAULT_LIMIT, Memo};
use crate::blocking::blocking;
use crate::error::{Error, Result};

/// The build cache of a data root.
#[derive(Debug)]
pub struct BuildCache {
    dir: PathBuf,
    memo: Mutex<Option<Arc<Memo>>>,
}

/// What a memo record answers to buildkit's cache-record fields (`field==value`): it is a
/// file's checksum taken from a local source, with no parent or description, never in use or
/// shared.
fn field_matches(field: &str, value: &str, id: &str) -> bool {
    match field {
        // buildkit's `id~=`: a match anywhere in the ID.
        "id" => id.contains(value),
        "type" => value == "source.local",
        "parent" | "description" => value.is_empty(),
        "inuse" | "shared" => value == "false",
        "private" => value == "true",
        _ => true,
    }
}

/// The fields buildkit compares (`label` and `label!` apart: a memo record has no labels).
const FIELDS: &[&str] = &[
    "id",
    "parent",
    "type",
    "description",
    "inuse",
    "shared",
    "private",
];

/// `until` (or its older name `unused-for`) as dockerd's `toBuildkitPruneInfo` reads it: the
/// time before which a record must have been made to go.
fn until(filters: &Filters) -> Result<Option<Timestamp>> {
    let (until, unused_for) = (filters.get("until"), filters.get("unused-for"));
    if !until.is_empty() && !unused_for.is_empty() {
        return Err(Error::Invalid(
            "conflicting filters: \"until\" and \"unused-for\"".into(),
        ));
    }
    let (key, values) = if unused_for.is_empty() {
        ("until", until)
    } else {
        ("unused-for", unused_for)
    };
    match values {
        [] => Ok(None),
        [v] => crate::prune::timestamp(v, Timestamp::now())
            .map(Some)
            .map_err(|e| {
                Error::Invalid(format!(
                    "{key:?} filter expects a duration (e.g., '24h') or a timestamp: {e}"
                ))
            }),
        _ => Err(Error::Invalid("filters expect only one value".into())),
    }
}

impl BuildCache {
    /// The cache kept in `<data root>/build-cache`.
    pub fn new(data_root: &std::path::Path) -> BuildCache {
        BuildCache {
            dir: data_root.join("build-cache"),
            memo: Mutex::new(None),
        }
    }

    /// The memo, opened on first use; `None` (and a warning) when it cannot be: a build
    /// then hashes every file.
    pub(super) fn memo(&self) -> Option<Arc<Memo>> {
        let mut slot = self.memo.lock().unwrap_or_else(|p| p.into_inner());
        if slot.is_none() {
            match Memo::open(&self.dir, DEFAULT_LIMIT) {
                Ok(m) => *slot = Some(Arc::new(m)),
                Err(e) => tracing::warn!(error = %e, "cannot open the build cache memo"),
            }
        }
        slot.clone()
    }

    /// `POST /build/prune`: the memo records `filters` select (all by default) removed — with
    /// `keep_storage`, only the oldest of them, until the memo holds at most that many bytes —
    /// listed by ID, their bytes reclaimed.
    pub async fn prune(
        self: &Arc<Self>,
        filters: &Filters,
        keep_storage: Option<u64>,
    ) -> Result<BuildPruneResponse> {
        let before = until(filters)?.map(|t| u64::try_from(t.as_second()).unwrap_or(0));
        // A record has no labels: `label=` selects none, `label!=` any.
        let labelled = !filters.get("label").is_empty();
        let mut fields = Vec::new();
        for f in FIELDS {
            match filters.get(f) {
                [] => {}
                [v] => fields.push((*f, v.clone())),
                _ => return Err(Error::Invalid("filters expect only one value".into())),
            }
        }
        let this = Arc::clone(self);
        let (ids, bytes) = blocking(move || match this.memo() {
            Some(m) => m.remove(
                |id, at| {
                    !labelled
                        && before.is_none_or(|b| at < b)
                        && fields.iter().all(|(f, v)| field_matches(f, v, id))
                },
                keep_storage,
            ),
            None => Ok((Vec::new(), 0)),
        })
        .await??;
        Ok(BuildPruneResponse {
            caches_deleted: (!ids.is_empty()).then_some(ids),
            space_reclaimed: bytes,
        })
    }
}
