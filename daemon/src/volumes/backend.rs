//! `api::backend::VolumeBackend` for the daemon: the store's operations, with the users of a
//! volume found in the container index (dockerd's references), and the list's filters.

use api::backend::VolumeBackend;
use api::filters::Filters;
use api::types::{Volume, VolumeCreateOptions};

use crate::blocking::blocking;
use crate::daemon::Daemon;
use crate::error::{Error, Result};

impl VolumeBackend for Daemon {
    async fn volume_create(&self, opts: VolumeCreateOptions) -> Result<Volume, api::Error> {
        Ok(self.create_volume(opts).await?)
    }

    async fn volume_list(&self, filters: Filters) -> Result<Vec<Volume>, api::Error> {
        let used = self.containers.volume_users();
        let in_use = |v: &Volume| used.contains_key(&v.name);
        Ok(select(self.volumes.list(), &filters, in_use)?)
    }

    async fn volume_inspect(&self, name: &str) -> Result<Volume, api::Error> {
        Ok(self.volumes.get(name)?)
    }

    async fn volume_delete(&self, name: &str, force: bool) -> Result<(), api::Error> {
        Ok(self.remove_volume(name, force).await?)
    }
}

impl Daemon {
    /// `POST /volumes/create`: the `local` driver only, with its options.
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
        let vols = self.volumes.clone();
        let labels = opts.labels.unwrap_or_default();
        let driver_opts = opts.driver_opts.unwrap_or_default();
        let (volume, new) = blocking(move || vols.create(&name, labels, driver_opts)).await??;
        if new {
            self.events
                .volume(&volume.name, "create", &[("driver", volume.driver.clone())]);
        }
        Ok(volume)
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
            Ok(()) => {
                self.events
                    .volume(name, "destroy", &[("driver", "local".into())]);
                Ok(())
            }
            Err(Error::NoSuchVolume(_)) if force => Ok(()),
            Err(e) => Err(e),
        }
    }
}

/// The volumes `f` selects, as moby's volume service filters them: `name` (a substring),
/// `driver`, `label` and `dangling` (no container mounts it).
fn select(list: Vec<Volume>, f: &Filters, in_use: impl Fn(&Volume) -> bool) -> Result<Vec<Volume>> {
    let mut dangling = None;
    for v in f.get("dangling") {
        dangling = Some(match v.to_ascii_lowercase().as_str() {
            "true" | "1" => true,
            "false" | "0" => false,
            _ => return Err(Error::Invalid(format!("invalid filter 'dangling={v}'"))),
        });
    }
    Ok(list
        .into_iter()
        .filter(|v| {
            f.any("name", |n| v.name.contains(n))
                && f.any("driver", |d| v.driver == d)
                && f.match_labels(Some(&v.labels))
                && dangling.is_none_or(|d| d != in_use(v))
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn volume(name: &str, labels: &[(&str, &str)]) -> Volume {
        Volume {
            name: name.into(),
            driver: "local".into(),
            labels: labels
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                .collect(),
            scope: "local".into(),
            ..Volume::default()
        }
    }

    /// `data` (labelled, in use) and `cache`, through `filters`.
    fn names(filters: &str) -> Result<Vec<String>> {
        let f = Filters::parse(Some(filters)).expect("filters");
        let list = vec![volume("data", &[("app", "web")]), volume("cache", &[])];
        let listed = select(list, &f, |v| v.name == "data")?;
        Ok(listed.into_iter().map(|v| v.name).collect())
    }

    #[test]
    fn volumes_filter_as_dockerd() {
        assert_eq!(names("{}").unwrap(), ["data", "cache"]);
        assert_eq!(names(r#"{"dangling":["true"]}"#).unwrap(), ["cache"]);
        assert_eq!(names(r#"{"dangling":["0"]}"#).unwrap(), ["data"]);
        assert_eq!(names(r#"{"label":["app=web"]}"#).unwrap(), ["data"]);
        assert_eq!(names(r#"{"label":["app"]}"#).unwrap(), ["data"]);
        assert_eq!(names(r#"{"name":["ach"]}"#).unwrap(), ["cache"]);
        assert_eq!(names(r#"{"driver":["local"]}"#).unwrap().len(), 2);
        assert!(names(r#"{"driver":["nfs"]}"#).unwrap().is_empty());
        let e = names(r#"{"dangling":["maybe"]}"#).unwrap_err();
        assert!(matches!(e, Error::Invalid(_)));
        assert_eq!(e.to_string(), "invalid filter 'dangling=maybe'");
    }
}
