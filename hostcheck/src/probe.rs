//! What to probe: the host (or a fixture tree standing in for it) and the daemon's build.

use std::path::PathBuf;

use crate::{Facts, Report, fs_info, rules};

/// The inputs of a host check. [`Probe::live`] describes the running host; tests point `root` at a
/// fixture tree and set `os`, `arch` and `euid` to what they need.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Probe {
    /// Prefix of every `/proc`, `/sys`, `/etc` and `/usr/lib` path read (`/` on the live host).
    pub root: PathBuf,
    /// The OS `wharfd` was built for, as `std::env::consts::OS` names it.
    pub os: String,
    /// The architecture, as `std::env::consts::ARCH` (or Go) names it.
    pub arch: String,
    /// The effective user id of the daemon.
    pub euid: u32,
    /// The daemon's data root, probed with [`fs_info`] on the real filesystem (not under `root`).
    pub data_root: Option<PathBuf>,
}

impl Probe {
    /// The running host: root `/`, this build's OS and architecture, this process's euid, no data
    /// root.
    pub fn live() -> Self {
        Self::at("/")
    }

    /// Like [`Probe::live`], reading host files under `root` instead of `/`.
    pub fn at(root: impl Into<PathBuf>) -> Self {
        Self {
            root: root.into(),
            os: std::env::consts::OS.to_owned(),
            arch: std::env::consts::ARCH.to_owned(),
            euid: nix::unistd::geteuid().as_raw(),
            data_root: None,
        }
    }

    /// This probe, also checking the filesystem of the data root `dir`.
    pub fn with_data_root(mut self, dir: impl Into<PathBuf>) -> Self {
        self.data_root = Some(dir.into());
        self
    }

    /// Reads the host and applies every check. Never fails: what cannot be read is reported as
    /// unknown.
    pub fn run(&self) -> Report {
        let facts = Facts::gather(self);
        let fs = self.data_root.as_deref().map(fs_info);
        let findings = rules::findings(&facts, fs.as_ref());
        Report {
            facts,
            data_root: fs.and_then(Result::ok),
            findings,
        }
    }
}
