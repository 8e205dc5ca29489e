//! The part of an image's config a Dockerfile sets: what `import --change`, `commit --change`
//! and the builder's metadata instructions change. The daemon copies it to and from the image
//! store's config field by field, so this crate knows nothing of `graph`.

use std::collections::{BTreeMap, BTreeSet};

/// Docker's `HealthConfig` as HEALTHCHECK makes it (durations in nanoseconds; `None` is
/// unset, as Go's zero value omitted).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Health {
    /// `["NONE"]`, `["CMD", ...]` or `["CMD-SHELL", line]`.
    pub test: Option<Vec<String>>,
    /// `--interval`.
    pub interval: Option<i64>,
    /// `--timeout`.
    pub timeout: Option<i64>,
    /// `--start-period`.
    pub start_period: Option<i64>,
    /// `--start-interval`.
    pub start_interval: Option<i64>,
    /// `--retries`.
    pub retries: Option<i64>,
}

/// The config fields Dockerfile instructions set, each `None` when unset.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Settings {
    /// `USER`.
    pub user: Option<String>,
    /// `EXPOSE`: `80/tcp`, ...
    pub exposed_ports: Option<BTreeSet<String>>,
    /// `ENV`: `KEY=value` in order of first definition.
    pub env: Option<Vec<String>>,
    /// `CMD`.
    pub cmd: Option<Vec<String>>,
    /// `HEALTHCHECK`.
    pub healthcheck: Option<Health>,
    /// Cleared by CMD and ENTRYPOINT (a Windows-only flag on Linux).
    pub args_escaped: Option<bool>,
    /// `VOLUME`.
    pub volumes: Option<BTreeSet<String>>,
    /// `WORKDIR`.
    pub working_dir: Option<String>,
    /// `ENTRYPOINT`.
    pub entrypoint: Option<Vec<String>>,
    /// `ONBUILD` triggers as written.
    pub on_build: Option<Vec<String>>,
    /// `LABEL`.
    pub labels: Option<BTreeMap<String, String>>,
    /// `STOPSIGNAL`.
    pub stop_signal: Option<String>,
    /// `SHELL`.
    pub shell: Option<Vec<String>>,
}
