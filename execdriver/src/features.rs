//! What a runtime binary can do, from its `features` subcommand (runc 1.1+): asked once per
//! binary and remembered.

use std::collections::HashMap;
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::sync::{Mutex, OnceLock};

use crate::state::Runtime;

/// The first kernel with `mount_setattr(2)`, which recursive read-only binds need.
const MOUNT_SETATTR_KERNEL: (u32, u32) = (5, 12);

impl Runtime {
    /// Whether a read-only bind can be made read-only with the mounts below it (`rro`): the
    /// runtime lists the option and the kernel has `mount_setattr`. Blocks the first time.
    pub fn supports_rro(&self) -> bool {
        static SEEN: OnceLock<Mutex<HashMap<PathBuf, bool>>> = OnceLock::new();
        let seen = SEEN.get_or_init(Mutex::default);
        if let Some(&known) = seen
            .lock()
            .ok()
            .and_then(|m| m.get(&self.binary).copied())
            .as_ref()
        {
            return known;
        }
        let supported = kernel_at_least(MOUNT_SETATTR_KERNEL) && lists_mount_option(self, "rro");
        if let Ok(mut m) = seen.lock() {
            m.insert(self.binary.clone(), supported);
        }
        supported
    }
}

/// Whether `<runtime> features` names `option` among its mount options.
fn lists_mount_option(runtime: &Runtime, option: &str) -> bool {
    let Ok(out) = Command::new(&runtime.binary)
        .arg("features")
        .stdin(Stdio::null())
        .stderr(Stdio::null())
        .output()
    else {
        return false;
    };
    let Ok(doc) = serde_json::from_slice::<serde_json::Value>(&out.stdout) else {
        return false;
    };
    doc["mountOptions"]
        .as_array()
        .is_some_and(|opts| opts.iter().any(|o| o == option))
}

/// Whether the running kernel's release is at least `major.minor`.
fn kernel_at_least((major, minor): (u32, u32)) -> bool {
    let Ok(release) = std::fs::read_to_string("/proc/sys/kernel/osrelease") else {
        return false;
    };
    let mut parts = release
        .split(|c: char| !c.is_ascii_digit())
        .filter_map(|p| p.parse::<u32>().ok());
    let (Some(a), Some(b)) = (parts.next(), parts.next()) else {
        return false;
    };
    (a, b) >= (major, minor)
}
