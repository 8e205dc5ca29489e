//! Read-only probes of the host `wharfd` runs on.
//!
//! [`Probe::run`] reads a handful of small files under `/proc`, `/sys` and `/etc` (all relative to
//! a root, so tests can point it at a fixture tree) and returns a [`Report`]: the [`Facts`] that
//! `/info` and `/version` show, and one [`Finding`] per check, each `ok`, `warning` or `fatal`.
//! [`fs_info`] is the one probe that touches a real filesystem: it finds the backing filesystem of
//! the data root and whether it supports `d_type`, as overlay2 needs.
//!
//! Architecture invariant: this crate never changes the host. The only write is the `d_type`
//! probe's temporary file, which is removed at once. No subprocesses, no walks of big trees: the
//! daemon calls this on its start-up path.

mod arch;
mod cgroup;
mod error;
mod facts;
mod finding;
mod fsinfo;
mod kernel;
mod limits;
mod probe;
mod read;
mod report;
mod rules;

pub use cgroup::{CgroupVersion, Cgroups, v1_mount_points};
pub use error::{Error, Result};
pub use facts::Facts;
pub use finding::{Finding, Section, Severity};
pub use fsinfo::{FsInfo, fs_info};
pub use kernel::KernelVersion;
pub use limits::Limits;
pub use probe::Probe;
pub use report::Report;
