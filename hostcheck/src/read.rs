//! Reading small host files under the probe root. A missing or unreadable file is `None`
//! ("unknown"), never an error: a host check must not fail because `/sys` is not mounted.

use std::path::Path;

/// The contents of `rel` (written without a leading slash, e.g. `proc/meminfo`) under `root`.
pub(crate) fn read(root: &Path, rel: &str) -> Option<String> {
    std::fs::read_to_string(root.join(rel)).ok()
}

/// Like [`read`], trimmed; an empty file is `None` too.
pub(crate) fn read_trimmed(root: &Path, rel: &str) -> Option<String> {
    let text = read(root, rel)?;
    let text = text.trim();
    (!text.is_empty()).then(|| text.to_owned())
}

/// A sysctl-style boolean file (`0` or `1`); `None` when missing or holding anything else.
pub(crate) fn read_flag(root: &Path, rel: &str) -> Option<bool> {
    match read_trimmed(root, rel)?.as_str() {
        "0" => Some(false),
        "1" => Some(true),
        _ => None,
    }
}
