//! Network namespaces made by xtask itself (for `run` and `bench`), removed on drop.

use std::path::PathBuf;
use std::process::Command;

use anyhow::Result;

use crate::run_checked;

/// A named network namespace with `lo` up.
#[derive(Debug)]
pub struct NetNs {
    /// Its name under `/run/netns`.
    pub name: String,
}

impl NetNs {
    /// Creates `wharf-<tag>-<pid>`.
    pub fn new(tag: &str) -> Result<Self> {
        let name = format!("wharf-{tag}-{}", std::process::id());
        run_checked(Command::new("ip").args(["netns", "add", &name]))?;
        let ns = NetNs { name };
        run_checked(Command::new("ip").args(["-n", &ns.name, "link", "set", "lo", "up"]))?;
        Ok(ns)
    }

    /// `/run/netns/<name>`.
    pub fn path(&self) -> PathBuf {
        path_of(&self.name)
    }

    /// `program` run inside the namespace (by `nsenter`, which leaves `/sys` alone).
    pub fn command(&self, program: &str) -> Command {
        command_in(&self.name, program)
    }
}

/// `/run/netns/<name>`, for a namespace named `name`.
pub fn path_of(name: &str) -> PathBuf {
    PathBuf::from("/run/netns").join(name)
}

/// `program` run inside the namespace named `name` (by `nsenter`, which leaves `/sys` alone;
/// with `--net` alone it execs `program`, so the child's PID is the program's).
pub fn command_in(name: &str, program: &str) -> Command {
    let mut cmd = Command::new("nsenter");
    cmd.arg(format!("--net={}", path_of(name).display()))
        .arg("--")
        .arg(program);
    cmd
}

impl Drop for NetNs {
    fn drop(&mut self) {
        let _ = Command::new("ip")
            .args(["netns", "del", &self.name])
            .status();
    }
}
