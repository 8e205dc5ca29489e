//! A container's health kept in `<container dir>/health.json` (temp file and rename, no
//! fsync: a host crash ends the run it describes anyway), so a daemon restart — or a SIGKILL —
//! finds the status, failing streak and log of the run it re-adopts, as dockerd keeps
//! `State.Health` in its container record.

use std::collections::VecDeque;
use std::path::Path;

use jiff::Timestamp;
use serde::{Deserialize, Serialize};

use super::{State, Status};
use crate::exec::ProbeResult;

const FILE: &str = "health.json";

#[derive(Serialize, Deserialize)]
struct Saved {
    run: Option<Timestamp>,
    status: String,
    failing_streak: i64,
    log: Vec<SavedResult>,
}

#[derive(Serialize, Deserialize)]
struct SavedResult {
    start: Timestamp,
    end: Timestamp,
    exit_code: i64,
    output: String,
}

/// Writes `state` for the container in `dir`; a failure is logged (the health goes on).
pub(super) fn save(dir: &Path, state: &State) {
    let saved = Saved {
        run: state.run,
        status: state.status.as_str().to_owned(),
        failing_streak: state.failing_streak,
        log: state
            .log
            .iter()
            .map(|r| SavedResult {
                start: r.start,
                end: r.end,
                exit_code: r.exit_code,
                output: r.output.clone(),
            })
            .collect(),
    };
    let result = serde_json::to_vec(&saved)
        .map_err(|e| e.to_string())
        .and_then(|bytes| {
            execdriver::write_replacing(&dir.join(FILE), &bytes).map_err(|e| e.to_string())
        });
    if let Err(e) = result {
        tracing::warn!(dir = %dir.display(), error = %e, "cannot keep a container's health");
    }
}

/// The health kept for the container in `dir`, if any.
pub(super) fn load(dir: &Path) -> Option<State> {
    let saved: Saved = serde_json::from_slice(&std::fs::read(dir.join(FILE)).ok()?).ok()?;
    let status = match saved.status.as_str() {
        "healthy" => Status::Healthy,
        "unhealthy" => Status::Unhealthy,
        _ => Status::Starting,
    };
    Some(State {
        run: saved.run,
        status,
        failing_streak: saved.failing_streak,
        log: saved
            .log
            .into_iter()
            .map(|r| ProbeResult {
                start: r.start,
                end: r.end,
                exit_code: r.exit_code,
                output: r.output,
            })
            .collect::<VecDeque<_>>(),
        monitored: false,
        dir: dir.to_path_buf(),
    })
}
