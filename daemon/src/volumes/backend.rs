//! `api::backend::VolumeBackend` for the daemon: the store's operations, with the users of a
//! volume found in the container index (dockerd's references).

use api::backend::{ListedVolume, VolumeBackend};
use api::types::{Volume, VolumeCreateOptions};

use crate::blocking::blocking;
use crate::daemon::Daemon;
use crate::error::{Error, Result};

impl VolumeBackend for Daemon {
    async fn volume_create(&self, opts: VolumeCreateOptions) -> Result<Volume, api::Error> {
        Ok(self.create_volume(opts).await?)
    }

    async fn volume_list(&self) -> Result<Vec<ListedVolume>, api::Error> {
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

    async fn volume_inspect(&self, name: &str) -> Result<Volume, api::Error> {
        Ok(self.volumes.get(name)?)
    }

    async fn volume_delete(&self, name: &str, force: bool) -> Result<(), api::Error> {
        Ok(self.remove_volume(name, force).await?)
    }
}

impl Daemon {
    /// `POST /volumes/create`: the `local` driver only, without options.
    async fn create_volume(&self, opts: VolumeCreateOptions) -> Result<Volume> {
        let name = opts.name;
        match opts.driver.as_str() {
            "" | "local" => {}
            // dockerd looks the driver up as a plugin; wharf has none.
            d => {
                return Err(Error::NotFound(format!(
                    "create {name}: error looking up volume plugin {d}: plugin \"{d}\" not found"
                )));
            }
        }
        if let Some(opts) = opts.driver_opts.filter(|o| !o.is_empty()) {
            // The `local` driver's keys (mount a device or NFS) are not made yet; others are
            // refused as dockerd refuses them.
            return Err(
                match opts
                    .keys()
                    .find(|k| !["type", "device", "o", "size"].contains(&k.as_str()))
                {
                    Some(k) => {
                        Error::Invalid(format!("create {name}: invalid option key: \"{k}\""))
                    }
                    None => Error::NotImplemented(format!(
                        "create {name}: volume options (type, device, o) are not supported by wharf yet"
                    )),
                },
            );
        }
        let vols = self.volumes.clone();
        let labels = opts.labels.unwrap_or_default();
        blocking(move || vols.create(&name, labels)).await?
    }

    /// `DELETE /volumes/{name}`: refused while a container mounts it.
    async fn remove_volume(&self, name: &str, force: bool) -> Result<()> {
        let _held = self.volumes.hold_for_remove().await;
        if let Some(ids) = self.containers.volume_users().remove(name) {
            return Err(Error::Conflict(format!(
                "remove {name}: volume is in use - [{}]",
                ids.join(", ")
            )));
        }
        let (vols, owned) = (self.volumes.clone(), name.to_owned());
        match blocking(move || vols.remove(&owned)).await? {
            Err(Error::NoSuchVolume(_)) if force => Ok(()),
            other => other,
        }
    }
}
