//! The exec driver of wharf: runs containers with an OCI runtime binary (`runc`) under a small
//! per-container monitor process. It knows nothing about HTTP, images or networks; the daemon
//! hands it a resolved [`ContainerSpec`] and paths.
//!
//! # Design notes
//!
//! **Bundle.** [`write_bundle`] turns a [`ContainerSpec`] into `config.json` (oci-spec's
//! builders) with Docker's defaults: capabilities, namespaces, system mounts, masked and
//! read-only paths, device rules, cgroup `/wharf/<id>`. The state directory is the bundle; the
//! rootfs is referenced by absolute path.
//!
//! **Monitor.** One process per container ([`monitor_main`], see the [`monitor`] module) owns
//! the container's stdio, writes and rotates the log ([`LogSettings`]), serves the attach
//! socket ([`protocol`]), reaps the container as a child subreaper and records `exit.json`.
//! It survives the daemon.
//!
//! **Daemon side.** [`prepare`] / [`Prepared::start`] (or [`start`]) launch a monitor and wait
//! for its reports; [`state`] reads a container back from disk after a daemon restart;
//! [`kill`] goes through `runc kill`; [`wait_exit`] blocks on the attach socket until the exit
//! frame; [`read_log`] parses the json-file log, [`decode`], [`rotated_files`] and
//! [`read_file`] read either format across rotated files.
//!
//! **Execs.** [`prepare_exec`] / [`PreparedExec::start`] run another process in a running
//! container under a monitor of its own (`--exec`), with the same records in the exec's own
//! state directory (see the `exec` module).
//!
//! **State directory** (`ContainerDir`): `config.json`, `<id>-json.log` (and its rotated
//! `.N`/`.N.gz`) or `local-logs/container.log`, `monitor.lock` (flocked by the live monitor),
//! `attach.sock`, `started.json`, `exit.json`, `runc.log`, `monitor.log`, `init.pid`.

mod container;
mod control;
mod error;
mod exec;
mod features;
mod logconfig;
mod logfile;
mod logproto;
mod logrotate;
pub mod monitor;
mod nsexec;
pub mod protocol;
mod runc;
mod spec;
mod state;
mod user;

pub use container::{
    LAUNCH_TIMEOUT, MonitorCommand, Prepared, Running, State, delete, kill, monitor_alive, prepare,
    start, state, wait_exit,
};
pub use control::{pause, resume, update, update_args};
pub use error::{Error, Result};
pub use exec::{ExecSpec, PreparedExec, docker_exec_message, exec_process, prepare_exec};
pub use logconfig::{LogFormat, LogSettings};
pub use logfile::{
    LogEntry, LogFilter, LogWriter, MAX_ENTRY, Stream, decode, parse_line, read_log,
};
pub use logrotate::{LogSink, RotatingFile, read_file, rotated_files};
pub use monitor::{MonitorArgs, monitor_main};
pub use protocol::{AttachConn, Frame};
pub use runc::{docker_start_message, start_failure};
pub use spec::{
    BindMount, CAPABILITY_NAMES, ContainerSpec, DEFAULT_CAPABILITIES, DEFAULT_CGROUP_PARENT,
    DEFAULT_SHM_SIZE, DeviceRequest, INIT_PATH, Ipc, MASKED_PATHS, Network, OCI_VERSION, Pid,
    Propagation, READONLY_PATHS, ReadonlyDepth, Resources, Seccomp, Security, SharedNamespaces,
    TmpfsMount, Ulimit, build_spec, container_capabilities, normalize_capabilities, write_bundle,
};
pub use state::{
    ContainerDir, DEFAULT_RUNTIME, ExitStatus, Runtime, Started, write_atomic, write_replacing,
};
pub use user::{User, additional_groups, resolve_user};
