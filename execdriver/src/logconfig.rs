//! How the monitor keeps a container's output: the log driver's format and moby's rotation
//! options (`loggerutils.LogFile`), resolved and validated by the daemon.

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::PathBuf;

use crate::state::ContainerDir;

/// The on-disk format of a container's log (the log driver).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum LogFormat {
    /// Docker's `json-file`: one JSON object per line in `<id>-json.log`.
    #[default]
    JsonFile,
    /// Docker's `local`: protobuf `LogEntry` messages framed by their length, in
    /// `local-logs/container.log`.
    Local,
    /// `none`: nothing is kept.
    None,
}

/// A container's log settings as the monitor applies them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LogSettings {
    /// The format, or none.
    pub format: LogFormat,
    /// `max-size`: the current file is rotated once it holds this many bytes; `None` never.
    pub max_size: Option<u64>,
    /// `max-file`: how many files are kept, the current one included (at least 1; with 1 the
    /// file is truncated instead of rotated, as moby does).
    pub max_file: u32,
    /// `compress`: rotated files are gzipped (`<name>.1.gz`).
    pub compress: bool,
    /// `labels`/`env` (json-file's `attrs`): extra attributes written with every entry.
    pub attrs: BTreeMap<String, String>,
}

impl Default for LogSettings {
    fn default() -> Self {
        LogSettings {
            format: LogFormat::JsonFile,
            max_size: None,
            max_file: 1,
            compress: false,
            attrs: BTreeMap::new(),
        }
    }
}

impl LogFormat {
    /// The current log file of the container in `dir`, or `None` when nothing is kept.
    pub fn path(self, dir: &ContainerDir) -> Option<PathBuf> {
        match self {
            LogFormat::JsonFile => Some(dir.log()),
            LogFormat::Local => Some(dir.path().join("local-logs").join("container.log")),
            LogFormat::None => None,
        }
    }
}
