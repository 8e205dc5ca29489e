//! A container's log driver at start and when its log is read: the record's `LogConfig`
//! through [`crate::logdriver`].

use std::path::PathBuf;

use execdriver::{ContainerDir, LogFormat, LogSettings};

use super::Record;
use crate::error::Error;
use crate::logdriver::{self, Subject};

/// The settings the monitor logs with; dockerd's error (a 500) when the driver cannot start.
pub(crate) fn settings(rec: &Record) -> Result<LogSettings, Error> {
    init(rec).map_err(|e| Error::System(format!("failed to initialize logging driver: {e}")))
}

fn init(rec: &Record) -> Result<LogSettings, String> {
    let lc = &rec.host_config.log_config;
    let no_labels = Default::default();
    let subject = Subject {
        id: &rec.id,
        name: rec.name.trim_start_matches('/'),
        image_name: &rec.image,
        image_id: &rec.image_id,
        labels: rec.config.labels.as_ref().unwrap_or(&no_labels),
        env: rec.config.env.as_deref().unwrap_or_default(),
    };
    logdriver::settings(
        &lc.kind,
        lc.config.as_ref().unwrap_or(&Default::default()),
        &subject,
    )
}

/// The format and current file of a container's log, as `docker logs` and attach's `logs`
/// read it: `none` cannot be read (501, dockerd's `ErrReadLogsNotSupported`); a driver that
/// cannot start answers its start error, as dockerd's `getLogger` does.
pub(crate) fn readable(rec: &Record, dir: &ContainerDir) -> Result<(LogFormat, PathBuf), Error> {
    let format = init(rec).map_err(Error::System)?.format;
    match format.path(dir) {
        Some(path) => Ok((format, path)),
        None => Err(Error::NotImplemented(
            "configured logging driver does not support reading".into(),
        )),
    }
}

/// `docker inspect`'s `LogPath`: dockerd sets it for `json-file` only.
pub(crate) fn log_path(rec: &Record, dir: &ContainerDir) -> String {
    if rec.host_config.log_config.kind == "json-file" {
        dir.log().display().to_string()
    } else {
        String::new()
    }
}
