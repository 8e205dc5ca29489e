//! `POST /volumes/prune`: the volumes no container uses, as moby's volume service `Prune`.

use api::filters::Filters;
use api::types::VolumePruneResponse;

use crate::blocking::blocking;
use crate::daemon::Daemon;
use crate::error::{Error, Result};
use crate::usage::dir_size;

/// The label dockerd puts on the volumes it makes for a container's anonymous mounts.
const ANONYMOUS: &str = "com.docker.volume.anonymous";

/// `all`: prune named volumes too.
fn all(filters: &Filters) -> Result<bool> {
    let mut all = false;
    for v in filters.get("all") {
        all = match v.as_str() {
            "true" | "1" => true,
            "false" | "0" => false,
            _ => return Err(Error::Invalid(format!("invalid filter 'all={v}'"))),
        };
    }
    Ok(all)
}

impl Daemon {
    /// Removes the unused volumes `filters` selects (`label`, `label!`): anonymous ones, or
    /// every one with `all` or `every` (an API below 1.42). Each removal tells `destroy`,
    /// then the prune tells `prune` with the bytes their contents took.
    pub(super) async fn prune_volumes(
        &self,
        filters: &Filters,
        every: bool,
    ) -> Result<VolumePruneResponse> {
        let every = every || all(filters)?;
        // No container may take a volume while the prune looks at who uses them.
        let _held = self.volumes.hold_for_remove().await;
        let used = self.containers.volume_users();
        let doomed: Vec<String> = self
            .volumes
            .list()
            .into_iter()
            .filter(|v| !used.contains_key(&v.name))
            .filter(|v| every || v.labels.contains_key(ANONYMOUS))
            .filter(|v| filters.match_labels(Some(&v.labels)))
            .map(|v| v.name)
            .collect();
        let (vols, events) = (self.volumes.clone(), self.events.clone());
        let (deleted, reclaimed) = blocking(move || {
            let mut deleted = Vec::new();
            let mut reclaimed = 0;
            for name in doomed {
                let size = dir_size(&vols.data_path(&name));
                match vols.remove(&name) {
                    Ok(()) => {
                        events.volume(&name, "destroy", &[("driver", "local".into())]);
                        reclaimed += size;
                        deleted.push(name);
                    }
                    Err(e) => tracing::warn!(volume = %name, error = %e, "prune: cannot remove the volume"),
                }
            }
            (deleted, reclaimed)
        })
        .await?;
        self.events.prune("volume", reclaimed);
        Ok(VolumePruneResponse {
            volumes_deleted: (!deleted.is_empty()).then_some(deleted),
            space_reclaimed: reclaimed,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn all_reads_as_a_boolean() {
        let f = |raw: &str| all(&Filters::parse(Some(raw)).unwrap());
        assert!(!f("{}").unwrap());
        assert!(f(r#"{"all":["true"]}"#).unwrap());
        assert!(!f(r#"{"all":["0"]}"#).unwrap());
        assert_eq!(
            f(r#"{"all":["yes"]}"#).unwrap_err().to_string(),
            "invalid filter 'all=yes'"
        );
    }
}
