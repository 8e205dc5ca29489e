//! Named volumes with the `local` driver, laid out as dockerd's `volume/local`:
//! `<data-root>/volumes/<name>/_data` (what containers mount) and `volume.json` (created time,
//! labels), written atomically. Loaded at start-up with one directory read.

mod backend;
mod local_opts;

use std::collections::BTreeMap;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use api::types::Volume;
use jiff::Timestamp;
use serde::{Deserialize, Serialize};

use crate::error::{Error, IoContext, Result};

/// The directory under the data root.
const VOLUMES_DIR: &str = "volumes";
/// Our metadata file in a volume's directory.
const META_FILE: &str = "volume.json";
/// The directory containers mount.
const DATA_DIR: &str = "_data";

/// The volume store: cheap to clone.
#[derive(Clone)]
pub struct Volumes {
    inner: Arc<Inner>,
}

impl std::fmt::Debug for Volumes {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Volumes")
            .field("dir", &self.inner.dir)
            .finish_non_exhaustive()
    }
}

struct Inner {
    dir: PathBuf,
    map: Mutex<BTreeMap<String, Meta>>,
    /// Held shared by a container create from the moment it creates its volumes until its
    /// record is in the index, and exclusively by a volume removal while it checks for users
    /// and removes, so a volume is never removed under a container being created.
    users: tokio::sync::RwLock<()>,
    /// How many runs use each volume that has local driver options (its device is mounted on
    /// `_data` while there is at least one).
    mounted: Mutex<BTreeMap<String, usize>>,
}

/// What `volume.json` holds.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
struct Meta {
    /// Whole seconds, so the file holds what the API shows.
    #[serde(rename = "CreatedAt")]
    created_at: Timestamp,
    #[serde(rename = "Labels", default)]
    labels: BTreeMap<String, String>,
    /// The local driver's options (`type`, `device`, `o`).
    #[serde(
        rename = "Options",
        default,
        skip_serializing_if = "BTreeMap::is_empty"
    )]
    opts: BTreeMap<String, String>,
}

/// dockerd's `validateName` for local volumes, with its messages (the caller adds
/// `create NAME: `).
pub(crate) fn validate_name(name: &str) -> Result<(), String> {
    if name.len() == 1 {
        return Err(
            "volume name is too short, names should be at least two alphanumeric characters".into(),
        );
    }
    let mut bytes = name.bytes();
    let first_ok = bytes.next().is_some_and(|b| b.is_ascii_alphanumeric());
    if !first_ok || !bytes.all(|b| b.is_ascii_alphanumeric() || b"_.-".contains(&b)) {
        return Err(format!(
            "\"{name}\" includes invalid characters for a local volume name, only \
             \"[a-zA-Z0-9][a-zA-Z0-9_.-]\" are allowed. If you intended to pass a host \
             directory, use absolute path"
        ));
    }
    Ok(())
}

impl Volumes {
    /// Opens the store under `data_root`, loading every volume (a directory with `_data`; one
    /// without `volume.json`, as dockerd leaves them, gets its directory's time). Blocks.
    pub fn open(data_root: &Path) -> anyhow::Result<Self> {
        use anyhow::Context;
        let dir = data_root.join(VOLUMES_DIR);
        std::fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
        let mut map = BTreeMap::new();
        for entry in
            std::fs::read_dir(&dir).with_context(|| format!("reading {}", dir.display()))?
        {
            let entry = entry?;
            let Ok(name) = entry.file_name().into_string() else {
                continue;
            };
            let path = entry.path();
            if name.starts_with('.') {
                // A removal interrupted after its rename.
                let _ = std::fs::remove_dir_all(&path);
                continue;
            }
            if validate_name(&name).is_err() || !path.join(DATA_DIR).is_dir() {
                continue;
            }
            let meta = std::fs::read(path.join(META_FILE))
                .ok()
                .and_then(|b| serde_json::from_slice::<Meta>(&b).ok())
                .unwrap_or_else(|| Meta {
                    created_at: seconds(
                        entry
                            .metadata()
                            .and_then(|m| m.modified())
                            .ok()
                            .and_then(|t| Timestamp::try_from(t).ok())
                            .unwrap_or_else(Timestamp::now),
                    ),
                    labels: BTreeMap::new(),
                    opts: BTreeMap::new(),
                });
            map.insert(name, meta);
        }
        Ok(Volumes {
            inner: Arc::new(Inner {
                dir,
                map: Mutex::new(map),
                users: tokio::sync::RwLock::new(()),
                mounted: Mutex::new(BTreeMap::new()),
            }),
        })
    }

    /// The number of volumes.
    pub fn count(&self) -> usize {
        self.map().len()
    }

    fn map(&self) -> MutexGuard<'_, BTreeMap<String, Meta>> {
        self.inner
            .map
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }

    fn users_map(&self) -> MutexGuard<'_, BTreeMap<String, usize>> {
        self.inner
            .mounted
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }

    /// Volume `name`'s local driver options, if it has any.
    pub(crate) fn options(&self, name: &str) -> Option<BTreeMap<String, String>> {
        self.map()
            .get(name)
            .map(|m| m.opts.clone())
            .filter(|o| !o.is_empty())
    }

    /// The host path a container mounts for volume `name`.
    pub(crate) fn data_path(&self, name: &str) -> PathBuf {
        self.inner.dir.join(name).join(DATA_DIR)
    }

    /// See [`Inner::users`].
    pub(crate) async fn hold_for_create(&self) -> tokio::sync::RwLockReadGuard<'_, ()> {
        self.inner.users.read().await
    }

    /// See [`Inner::users`].
    pub(crate) async fn hold_for_remove(&self) -> tokio::sync::RwLockWriteGuard<'_, ()> {
        self.inner.users.write().await
    }

    fn to_api(&self, name: &str, meta: &Meta) -> Volume {
        Volume {
            name: name.to_owned(),
            driver: "local".into(),
            mountpoint: self.data_path(name).display().to_string(),
            created_at: format!("{:.0}", meta.created_at),
            labels: meta.labels.clone(),
            scope: "local".into(),
            options: (!meta.opts.is_empty()).then(|| meta.opts.clone()),
            usage_data: None,
        }
    }

    /// Volume `name`, as the API shows it.
    pub(crate) fn get(&self, name: &str) -> Result<Volume> {
        let map = self.map();
        let meta = map
            .get(name)
            .ok_or_else(|| Error::NoSuchVolume(name.to_owned()))?;
        Ok(self.to_api(name, meta))
    }

    /// Every volume, by name.
    pub(crate) fn list(&self) -> Vec<Volume> {
        self.map()
            .iter()
            .map(|(name, meta)| self.to_api(name, meta))
            .collect()
    }

    /// Creates volume `name` (a random 64-hex name when empty) with the local driver's
    /// options `opts`, or returns the existing one (dockerd keeps its labels and options); and
    /// whether it is new (dockerd tells a `create` event only then). Blocks.
    pub(crate) fn create(
        &self,
        name: &str,
        labels: BTreeMap<String, String>,
        opts: BTreeMap<String, String>,
    ) -> Result<(Volume, bool)> {
        let name = if name.is_empty() {
            crate::containers::random_hex_id()?
        } else {
            name.to_owned()
        };
        validate_name(&name).map_err(|e| Error::Invalid(format!("create {name}: {e}")))?;
        let mut map = self.map();
        if let Some(meta) = map.get(&name) {
            return Ok((self.to_api(&name, meta), false));
        }
        local_opts::validate(&opts).map_err(|e| Error::Invalid(format!("create {name}: {e}")))?;
        let meta = Meta {
            created_at: seconds(Timestamp::now()),
            labels,
            opts,
        };
        let dir = self.inner.dir.join(&name);
        if let Err(e) = make(&dir, &meta) {
            let _ = std::fs::remove_dir_all(&dir);
            return Err(e).ctx(format!("create {name}"));
        }
        let v = self.to_api(&name, &meta);
        map.insert(name, meta);
        Ok((v, true))
    }

    /// Removes volume `name` (its users checked by the caller, under
    /// [`Volumes::hold_for_remove`]). Blocks.
    pub(crate) fn remove(&self, name: &str) -> Result<()> {
        let mut map = self.map();
        if !map.contains_key(name) {
            return Err(Error::NoSuchVolume(name.to_owned()));
        }
        let dir = self.inner.dir.join(name);
        // Renamed aside first, so a crash never leaves half a volume that still loads.
        let aside = self.inner.dir.join(format!(".{name}-removing"));
        std::fs::rename(&dir, &aside)
            .and_then(|()| std::fs::remove_dir_all(&aside))
            .with_ctx(|| format!("remove {name}: removing {}", dir.display()))?;
        map.remove(name);
        Ok(())
    }
}

/// Creates `dir/_data` (0755) and `dir/volume.json` (written atomically), then syncs `dir`'s
/// parent so the new volume survives a crash.
fn make(dir: &Path, meta: &Meta) -> std::io::Result<()> {
    std::fs::create_dir(dir)?;
    std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o755))?;
    let data = dir.join(DATA_DIR);
    std::fs::create_dir(&data)?;
    std::fs::set_permissions(&data, std::fs::Permissions::from_mode(0o755))?;
    let bytes = serde_json::to_vec(meta).map_err(std::io::Error::other)?;
    execdriver::write_atomic(&dir.join(META_FILE), &bytes).map_err(std::io::Error::other)?;
    if let Some(parent) = dir.parent() {
        std::fs::File::open(parent)?.sync_all()?;
    }
    Ok(())
}

/// `t` without its fraction: dockerd formats `CreatedAt` as RFC 3339 in seconds.
fn seconds(t: Timestamp) -> Timestamp {
    Timestamp::from_second(t.as_second()).unwrap_or(t)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_follow_dockerd_rule() {
        for ok in ["v1", "my_vol.2-x", "0a"] {
            assert!(validate_name(ok).is_ok(), "{ok}");
        }
        assert_eq!(
            validate_name("a").expect_err("short"),
            "volume name is too short, names should be at least two alphanumeric characters"
        );
        for bad in ["_ab", "a/b", "a b", "./x", "é1"] {
            let e = validate_name(bad).expect_err(bad);
            assert!(
                e.starts_with(&format!("\"{bad}\" includes invalid characters")),
                "{e}"
            );
        }
    }

    #[test]
    fn volume_json_reads_and_shows_as_written() {
        let root = tempfile::tempdir().expect("tempdir");
        let dir = root.path().join("volumes/v1");
        std::fs::create_dir_all(dir.join(DATA_DIR)).expect("mkdir");
        let raw = r#"{"CreatedAt":"2026-11-28T05:00:00Z","Labels":{"a":"b"}}"#;
        std::fs::write(dir.join(META_FILE), raw).expect("write");
        let vols = Volumes::open(root.path()).expect("open");
        let meta = vols.map().get("v1").cloned().expect("loaded");
        assert_eq!(serde_json::to_string(&meta).expect("serialises"), raw);
        let v = vols.to_api("v1", &meta);
        assert_eq!(v.created_at, "2026-11-28T05:00:00Z");
        let meta = Meta {
            created_at: seconds(Timestamp::new(1_795_842_000, 999_999_999).expect("valid")),
            labels: BTreeMap::new(),
            opts: BTreeMap::new(),
        };
        assert_eq!(vols.to_api("v1", &meta).created_at, "2026-11-28T05:00:00Z");
    }

    #[test]
    fn store_creates_lists_reloads_and_removes() {
        let root = tempfile::tempdir().expect("tempdir");
        let vols = Volumes::open(root.path()).expect("open");
        let labels: BTreeMap<_, _> = [("a".to_owned(), "b".to_owned())].into();
        let (v, _) = vols
            .create("v1", labels.clone(), BTreeMap::new())
            .expect("create");
        assert_eq!(
            v.mountpoint,
            root.path().join("volumes/v1/_data").display().to_string()
        );
        assert_eq!((v.driver.as_str(), v.scope.as_str()), ("local", "local"));
        let created: Timestamp = v.created_at.parse().expect("RFC 3339");
        assert_eq!(v.created_at, format!("{created:.0}"));
        assert_eq!(
            v.created_at.len(),
            "2026-11-28T05:00:00Z".len(),
            "{}",
            v.created_at
        );
        let mode = std::fs::metadata(&v.mountpoint)
            .expect("_data")
            .permissions()
            .mode();
        assert_eq!(mode & 0o7777, 0o755);
        // Creating again returns the existing volume, labels unchanged.
        assert_eq!(
            vols.create("v1", BTreeMap::new(), BTreeMap::new())
                .expect("again"),
            (v.clone(), false)
        );
        let (random, new) = vols
            .create("", BTreeMap::new(), BTreeMap::new())
            .expect("random");
        assert!(new);
        assert_eq!(random.name.len(), 64);
        assert!(random.name.bytes().all(|b| b.is_ascii_hexdigit()));
        assert_eq!(
            vols.create("a b", BTreeMap::new(), BTreeMap::new())
                .expect_err("bad")
                .to_string(),
            "create a b: \"a b\" includes invalid characters for a local volume name, only \
             \"[a-zA-Z0-9][a-zA-Z0-9_.-]\" are allowed. If you intended to pass a host \
             directory, use absolute path"
        );

        let again = Volumes::open(root.path()).expect("reopen");
        assert_eq!(again.get("v1").expect("v1"), v);
        assert_eq!(again.count(), 2);
        again.remove("v1").expect("remove");
        assert!(!root.path().join("volumes/v1").exists());
        assert_eq!(
            again.get("v1").expect_err("gone").to_string(),
            "get v1: no such volume"
        );
        assert!(matches!(
            again.remove("v1").expect_err("gone"),
            Error::NoSuchVolume(_)
        ));
        assert_eq!(Volumes::open(root.path()).expect("reopen").count(), 1);
    }
}
