//! The daemon's own log: to stderr (journald captures it under systemd), as text or JSON
//! (`--log-format`), at a level SIGHUP can change (`debug`, `log-level`).

use std::io::IsTerminal;
use std::sync::OnceLock;

use tracing_subscriber::filter::LevelFilter;
use tracing_subscriber::prelude::*;
use tracing_subscriber::{Registry, reload};

use crate::config::LogFormat;

/// The level filter's handle, for SIGHUP.
static LEVEL: OnceLock<reload::Handle<LevelFilter, Registry>> = OnceLock::new();

/// Installs the daemon's log at `level`, in `format`, on stderr.
pub fn init(level: tracing::Level, format: LogFormat) {
    let (filter, handle) = reload::Layer::new(LevelFilter::from_level(level));
    let fmt = tracing_subscriber::fmt::layer()
        .with_writer(std::io::stderr)
        .with_target(false);
    let installed = match format {
        LogFormat::Text => tracing_subscriber::registry()
            .with(filter)
            .with(fmt.with_ansi(std::io::stderr().is_terminal()))
            .try_init(),
        LogFormat::Json => tracing_subscriber::registry()
            .with(filter)
            .with(fmt.json().with_ansi(false))
            .try_init(),
    };
    if installed.is_ok() {
        let _ = LEVEL.set(handle);
    }
}

/// Changes the level of the installed log.
pub fn set_level(level: tracing::Level) {
    if let Some(h) = LEVEL.get()
        && let Err(e) = h.reload(LevelFilter::from_level(level))
    {
        tracing::warn!(error = %e, "cannot change the log level");
    }
}
