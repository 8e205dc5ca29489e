//! The OCI runtimes containers run with: `runc` (Debian's) and any `--add-runtime NAME=PATH`
//! (or `daemon.json` `runtimes`), each keeping its state under a root of its own in the exec
//! root, and the default one a container gets when it names none.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::{PoisonError, RwLock};

use crate::error::{Error, Result};

/// runc's state root under the exec root.
const RUNC_DIR: &str = "runc";

/// The OCI runtimes containers may use (`--add-runtime`), by name, and the default one; SIGHUP
/// may replace them (`reload`).
pub(crate) struct Runtimes {
    exec_root: PathBuf,
    now: RwLock<Known>,
}

/// The runtimes as configured now.
struct Known {
    default: String,
    by_name: BTreeMap<String, execdriver::Runtime>,
}

impl Runtimes {
    /// Each runtime keeps its state under its own root (runc's under `<exec-root>/runc`).
    pub(crate) fn new(exec_root: &Path, config: &BTreeMap<String, PathBuf>, default: &str) -> Self {
        Runtimes {
            exec_root: exec_root.to_path_buf(),
            now: RwLock::new(Known::new(exec_root, config, default)),
        }
    }

    /// Replaces the runtimes with a reloaded configuration's; containers already created keep
    /// the name they were given.
    pub(crate) fn reload(&self, config: &BTreeMap<String, PathBuf>, default: &str) {
        let known = Known::new(&self.exec_root, config, default);
        *self.now.write().unwrap_or_else(PoisonError::into_inner) = known;
    }

    fn known(&self) -> std::sync::RwLockReadGuard<'_, Known> {
        self.now.read().unwrap_or_else(PoisonError::into_inner)
    }

    /// The default runtime's name.
    pub(crate) fn default_name(&self) -> String {
        self.known().default.clone()
    }

    /// Whether there is a runtime called `name`.
    pub(crate) fn contains(&self, name: &str) -> bool {
        self.known().by_name.contains_key(name)
    }

    /// The runtime called `name`; Docker's 400 when there is none.
    pub(crate) fn get(&self, name: &str) -> Result<execdriver::Runtime> {
        self.known()
            .by_name
            .get(name)
            .cloned()
            .ok_or_else(|| Error::Invalid(format!("Unknown runtime specified {name}")))
    }

    /// The runtime whose state root holds container `id` (the default one if none does), for
    /// cleaning up a container whatever it ran with.
    pub(crate) fn holding(&self, id: &str) -> execdriver::Runtime {
        let known = self.known();
        known
            .by_name
            .values()
            .find(|rt| rt.root.join(id).exists())
            .or_else(|| known.by_name.get(&known.default))
            .cloned()
            .unwrap_or_else(|| execdriver::Runtime::runc(PathBuf::from("/nonexistent")))
    }

    /// Every runtime.
    pub(crate) fn all(&self) -> Vec<execdriver::Runtime> {
        self.known().by_name.values().cloned().collect()
    }
}

impl Known {
    fn new(exec_root: &Path, config: &BTreeMap<String, PathBuf>, default: &str) -> Self {
        let by_name = config
            .iter()
            .map(|(name, binary)| {
                let rt = if name == crate::config::RUNC {
                    execdriver::Runtime::runc(exec_root.join(RUNC_DIR))
                } else {
                    execdriver::Runtime {
                        binary: on_path(binary),
                        root: exec_root.join("runtimes").join(name),
                    }
                };
                (name.clone(), rt)
            })
            .collect();
        Known {
            default: default.to_owned(),
            by_name,
        }
    }
}

impl super::Containers {
    /// Takes the runtimes of a reloaded configuration (SIGHUP).
    pub fn reload_runtimes(&self, runtimes: &BTreeMap<String, PathBuf>, default: &str) {
        self.inner.runtimes.reload(runtimes, default);
    }
}

/// A runtime named without a slash is looked up on `PATH`, as dockerd does.
fn on_path(binary: &Path) -> PathBuf {
    if binary.components().count() > 1 {
        return binary.to_path_buf();
    }
    std::env::var_os("PATH")
        .map(|p| {
            std::env::split_paths(&p)
                .map(|d| d.join(binary))
                .find(|c| c.is_file())
        })
        .and_then(|found| found)
        .unwrap_or_else(|| binary.to_path_buf())
}
