//! moby's `validateContainerConfig`: the working directory, the stop signal, the environment
//! and the health check of the request's `Config` (the image's are not checked).

use crate::error::Error;
use api::types::ContainerConfig;
use serde_json::Value;

use super::refuse;

/// `time.Millisecond` in nanoseconds: the shortest health check interval, timeout and start
/// period (`containertypes.MinimumDuration`).
const MINIMUM_DURATION_NS: i64 = 1_000_000;

/// The checks, in moby's order.
pub(super) fn check(c: &ContainerConfig) -> Result<(), Error> {
    if !c.working_dir.is_empty() && !c.working_dir.starts_with('/') {
        return refuse(format!(
            "the working directory '{}' is invalid, it needs to be an absolute path",
            c.working_dir
        ));
    }
    if let Some(signal) = c.stop_signal.as_deref().filter(|s| !s.is_empty()) {
        mobyport::signal::parse_signal(signal)?;
    }
    // Only an empty name is refused (`=x`, or an empty entry); `A` alone is kept as it is.
    for env in c.env.iter().flatten() {
        if env.split('=').next().is_none_or(str::is_empty) {
            return refuse(format!("invalid environment variable: {env}"));
        }
    }
    c.healthcheck.as_ref().map_or(Ok(()), health_check)
}

/// `validateHealthCheck`; fields of the wrong type count as unset.
fn health_check(h: &Value) -> Result<(), Error> {
    let int = |key: &str| h.get(key).and_then(Value::as_i64).unwrap_or(0);
    let too_short = |key: &str| {
        let d = int(key);
        d != 0 && d < MINIMUM_DURATION_NS
    };
    if too_short("Interval") {
        return refuse("Interval in Healthcheck cannot be less than 1ms");
    }
    if too_short("Timeout") {
        return refuse("Timeout in Healthcheck cannot be less than 1ms");
    }
    if int("Retries") < 0 {
        return refuse("Retries in Healthcheck cannot be negative");
    }
    if too_short("StartPeriod") {
        return refuse("StartPeriod in Healthcheck cannot be less than 1ms");
    }
    Ok(())
}
