//! What the builder keeps between builds besides images: the checksum [`Memo`], opened on the
//! first build (a daemon that never builds never opens it), and what `builder prune` removes.

use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use api::types::BuildPruneResponse;

use super::memo::{DEFAULT_LIMIT, Memo};
use crate::blocking::blocking;
use crate::error::Result;

/// The build cache of a data root.
#[derive(Debug)]
pub struct BuildCache {
    dir: PathBuf,
    memo: Mutex<Option<Arc<Memo>>>,
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

    /// `POST /build/prune`: every memo record removed, listed by ID, their bytes reclaimed.
    pub async fn prune(self: &Arc<Self>) -> Result<BuildPruneResponse> {
        let this = Arc::clone(self);
        let (ids, bytes) = blocking(move || match this.memo() {
            Some(m) => m.clear(),
            None => Ok((Vec::new(), 0)),
        })
        .await??;
        Ok(BuildPruneResponse {
            caches_deleted: (!ids.is_empty()).then_some(ids),
            space_reclaimed: bytes,
        })
    }
}
