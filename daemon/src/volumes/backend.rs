//! `api::backend::VolumeBackend` for the daemon: the store's operations, with the users of a
//! volume found in the container index (dockerd's references).

use api::backend::{ListedVolume, VolumeBackend};
use api::types::{Volume, VolumeCreateOptions};
use api::{Error, ErrorKind};

use crate::containers::errors_blocking as blocking;
use crate::daemon::Daemon;

impl VolumeBackend for Daemon {
    async fn volume_create(&self, opts: VolumeCreateOptions) -> Result<Volume, Error> {
        let name = opts.name;
        match opts.driver.as_str() {
            "" | "local" => {}
            // dockerd looks the driver up as a plugin; wharf has none.
            d => {
                return Err(Error::not_found(format!(
                    "create {name}: error looking up volume plugin {d}: plugin \"{d}\" not found"
                )));
            }
        }
        if let Some(opts) = opts.driver_opts.filter(|o| !o.is_empty()) {
            // The `local` driver's keys (mount a device or NFS) are not made yet; others are
            // refused as dockerd refuses them.
            let keys: Vec<&String> = opts.keys().collect();
            return Err(
                match keys
                    .iter()
                    .find(|k| !["type", "device", "o", "size"].contains(&k.as_str()))
                {
                    Some(k) => {
                        Error::invalid(format!("create {name}: invalid option key: \"{k}\""))
                    }
                    None => Error::new(
                        ErrorKind::NotImplemented,
                        format!(
                            "create {name}: volume options (type, device, o) are not supported by wharf yet"
                        ),
                    ),
                },
            );
        }
        let vols = self.volumes.clone();
        let labels = opts.labels.unwrap_or_default();
        blocking(move || vols.create(&name, labels)).await?
    }

    async fn volume_list(&self) -> Result<Vec<ListedVolume>, Error> {
        let used = self.containers.volume_users();
        Ok(self
            .volumes
            .list()
            .into_iter()
            .map(|v| ListedVolume {
                in_use: used.contains_key(&v.name),
                volume: v,
            })
            .collect())
    }

    async fn volume_inspect(&self, name: &str) -> Result<Volume, Error> {
        self.volumes.get(name)
    }

    async fn volume_delete(&self, name: &str, force: bool) -> Result<(), Error> {
        let _held = self.volumes.hold_for_remove().await;
        if let Some(ids) = self.containers.volume_users().remove(name) {
            return Err(Error::conflict(format!(
                "remove {name}: volume is in use - [{}]",
                ids.join(", ")
            )));
        }
        let (vols, owned) = (self.volumes.clone(), name.to_owned());
        match blocking(move || vols.remove(&owned)).await? {
            Err(e) if force && e.kind == ErrorKind::NotFound => Ok(()),
            other => other,
        }
    }
}
