//! How much disk a directory uses, as moby's `directory.Size` counts it: the sizes of the
//! files and symlinks under it (not of directories), each hard-linked inode once.

use std::collections::HashSet;
use std::os::unix::fs::MetadataExt;
use std::path::Path;

/// The bytes under `dir`; what cannot be read counts nothing. Blocks.
pub(crate) fn dir_size(dir: &Path) -> u64 {
    let mut seen = HashSet::new();
    let mut total = 0;
    let mut pending = vec![dir.to_path_buf()];
    while let Some(d) = pending.pop() {
        let Ok(entries) = std::fs::read_dir(&d) else {
            continue;
        };
        for e in entries.flatten() {
            let Ok(meta) = e.metadata() else { continue };
            if meta.is_dir() {
                pending.push(e.path());
            } else if meta.len() > 0 && seen.insert((meta.dev(), meta.ino())) {
                total += meta.len();
            }
        }
    }
    total
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_count_files_and_links_once_and_no_directories() {
        let d = tempfile::tempdir().expect("tempdir");
        std::fs::create_dir_all(d.path().join("a/b")).expect("dirs");
        std::fs::write(d.path().join("a/b/f"), [0u8; 100]).expect("file");
        std::fs::hard_link(d.path().join("a/b/f"), d.path().join("a/g")).expect("link");
        std::os::unix::fs::symlink("a/b/f", d.path().join("s")).expect("symlink");
        std::fs::write(d.path().join("empty"), []).expect("empty");
        // 100 once, and the symlink's own length (5).
        assert_eq!(dir_size(d.path()), 105);
        assert_eq!(dir_size(&d.path().join("missing")), 0);
    }
}
