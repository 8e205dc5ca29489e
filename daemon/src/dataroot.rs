//! The data root and the exec root: canonical, private (0700), with a tmp dir of their own.

use std::fs::DirBuilder;
use std::io::Write;
use std::os::unix::fs::{DirBuilderExt, PermissionsExt};
use std::path::{Path, PathBuf};

/// The prepared state directories.
#[derive(Debug, Clone)]
pub struct DataRoot {
    /// The data root, canonical (symlinks resolved).
    pub root: PathBuf,
    /// `<root>/tmp`, emptied at every start.
    pub tmp: PathBuf,
    /// The exec root, canonical.
    pub exec_root: PathBuf,
    /// This engine's persistent identifier (`<root>/engine-id`).
    pub engine_id: String,
}

impl DataRoot {
    /// Creates (0700) and canonicalises both roots, resets the tmp dir and loads the engine ID.
    pub fn prepare(data_root: &Path, exec_root: &Path) -> std::io::Result<DataRoot> {
        let root = private_dir(data_root)?;
        let exec_root = private_dir(exec_root)?;
        let tmp = root.join("tmp");
        reset_tmp(&root, &tmp)?;
        let engine_id = engine_id(&root)?;
        Ok(DataRoot {
            root,
            tmp,
            exec_root,
            engine_id,
        })
    }
}

/// Creates `path` and its parents, then makes the directory itself 0700, canonical.
fn private_dir(path: &Path) -> std::io::Result<PathBuf> {
    DirBuilder::new().recursive(true).mode(0o700).create(path)?;
    let canonical = std::fs::canonicalize(path)?;
    std::fs::set_permissions(&canonical, std::fs::Permissions::from_mode(0o700))?;
    Ok(canonical)
}

/// Leftovers of an earlier run are moved aside at once and deleted in the background, so a big
/// tmp dir does not delay start-up.
fn reset_tmp(root: &Path, tmp: &Path) -> std::io::Result<()> {
    if tmp.exists() {
        let old = root.join(format!("tmp-old-{}", std::process::id()));
        std::fs::rename(tmp, &old)?;
        std::thread::spawn(move || std::fs::remove_dir_all(old));
    }
    // Old dirs whose deletion was cut short by a crash.
    if let Ok(entries) = std::fs::read_dir(root) {
        for e in entries.flatten() {
            let name = e.file_name();
            if name.to_string_lossy().starts_with("tmp-old-") && e.path() != tmp {
                let p = e.path();
                std::thread::spawn(move || std::fs::remove_dir_all(p));
            }
        }
    }
    DirBuilder::new().mode(0o700).create(tmp)
}

/// Reads `<root>/engine-id`, or creates it (random, written atomically).
fn engine_id(root: &Path) -> std::io::Result<String> {
    let path = root.join("engine-id");
    match std::fs::read_to_string(&path) {
        Ok(id) if !id.trim().is_empty() => return Ok(id.trim().to_owned()),
        Ok(_) => {}
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => return Err(e),
    }
    let mut raw = [0u8; 16];
    getrandom::fill(&mut raw).map_err(std::io::Error::other)?;
    // A version-4 UUID, as newer dockerd uses for its engine ID.
    raw[6] = (raw[6] & 0x0f) | 0x40;
    raw[8] = (raw[8] & 0x3f) | 0x80;
    let h: String = raw.iter().map(|b| format!("{b:02x}")).collect();
    let id = format!(
        "{}-{}-{}-{}-{}",
        &h[..8],
        &h[8..12],
        &h[12..16],
        &h[16..20],
        &h[20..]
    );
    let tmp = root.join("engine-id.tmp");
    let mut f = std::fs::File::create(&tmp)?;
    f.write_all(id.as_bytes())?;
    f.sync_all()?;
    std::fs::rename(&tmp, &path)?;
    Ok(id)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roots_are_private_canonical_and_keep_their_id() {
        let dir = tempfile::tempdir().expect("tempdir");
        let real = dir.path().join("real");
        std::fs::create_dir(&real).expect("mkdir");
        let link = dir.path().join("link");
        std::os::unix::fs::symlink(&real, &link).expect("symlink");
        let d = DataRoot::prepare(&link.join("data"), &dir.path().join("exec")).expect("prepare");
        assert_eq!(
            d.root,
            std::fs::canonicalize(real.join("data")).expect("canon")
        );
        let mode = std::fs::metadata(&d.root)
            .expect("stat")
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o700);
        assert!(d.tmp.is_dir());
        std::fs::write(d.tmp.join("leftover"), b"x").expect("write");
        let again = DataRoot::prepare(&link.join("data"), &dir.path().join("exec")).expect("again");
        assert_eq!(again.engine_id, d.engine_id);
        assert_eq!(d.engine_id.len(), 36);
        assert!(!again.tmp.join("leftover").exists());
    }
}
