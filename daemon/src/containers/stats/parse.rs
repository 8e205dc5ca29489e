//! The shapes of cgroup and `/proc` files: one number, `key value` lines.

use std::collections::BTreeMap;
use std::path::Path;

use api::stats::PidsStats;

/// `dir/name`, or empty when it cannot be read (a controller or file the kernel lacks).
pub(super) fn file(dir: &Path, name: &str) -> String {
    std::fs::read_to_string(dir.join(name)).unwrap_or_default()
}

/// The number a file holds (0 when it holds none).
pub(super) fn number(text: &str) -> u64 {
    text.trim().parse().unwrap_or(0)
}

/// `key value` lines.
pub(super) fn key_values(text: &str) -> BTreeMap<String, u64> {
    text.lines()
        .filter_map(|l| {
            let (k, v) = l.split_once(' ')?;
            Some((k.to_owned(), v.trim().parse().ok()?))
        })
        .collect()
}

/// `pids.current` and `pids.max` (`max`: no limit), the same on v1 and v2.
pub(super) fn pids_stats(dir: &Path) -> PidsStats {
    PidsStats {
        current: number(&file(dir, "pids.current")),
        limit: number(&file(dir, "pids.max")),
    }
}
