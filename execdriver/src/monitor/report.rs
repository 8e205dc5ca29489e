//! The monitor's reports to the daemon: JSON lines on the monitor's stdout, a pipe the daemon
//! reads until `started` or a failure.

use std::io::Write;

use serde::{Deserialize, Serialize};

/// One report line.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "event", rename_all = "snake_case")]
pub(crate) enum Report {
    /// `runc create` succeeded; the monitor waits for `start` on its stdin.
    Created {
        /// The container's init process.
        pid: i32,
        /// The monitor's PID.
        monitor_pid: i32,
    },
    /// An exec's monitor is ready (its attach socket listens); it waits for `start` on its
    /// stdin before running `runc exec`.
    Ready {
        /// The monitor's PID.
        monitor_pid: i32,
    },
    /// `runc start` (or `runc exec`) succeeded.
    Started {
        /// As in `started.json`.
        started_at: jiff::Timestamp,
    },
    /// The process could not be started; recorded in `exit.json` too.
    StartFailed {
        /// Docker's exit code for the failure.
        exit_code: i32,
        /// runc's message.
        message: String,
    },
    /// The monitor itself failed.
    Error {
        /// What went wrong.
        message: String,
        /// The container already has a live monitor.
        conflict: bool,
    },
}

/// Writes `report` to stdout; a daemon that stopped listening is not the monitor's problem.
pub(crate) fn send(report: &Report) {
    let mut line = serde_json::to_vec(report).expect("reports always serialise");
    line.push(b'\n');
    let mut out = std::io::stdout().lock();
    let _ = out.write_all(&line).and_then(|()| out.flush());
}
