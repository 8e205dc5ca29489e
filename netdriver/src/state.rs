//! Files in the driver's state directory, written atomically (temporary file, fsync, rename,
//! fsync of the directory), so a crash leaves either the old or the new version.

use std::fs::{File, Permissions};
use std::io::Write;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;

use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::error::{Context, Error, Result};

/// Reads JSON file `path`, or `None` if it does not exist.
pub(crate) fn read_json<T: DeserializeOwned>(path: &Path) -> Result<Option<T>> {
    let bytes = match std::fs::read(path) {
        Ok(b) => b,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(Error::system(format!("reading {}", path.display()), e)),
    };
    serde_json::from_slice(&bytes)
        .map(Some)
        .with_context(|| format!("parsing {}", path.display()))
}

/// Replaces `path` with `value` as JSON, atomically and durably: a temporary file beside it,
/// fsync, rename (`persist`), fsync of the directory; the temporary file goes if a step fails.
pub(crate) fn write_json<T: Serialize>(path: &Path, value: &T) -> Result<()> {
    let bytes = serde_json::to_vec_pretty(value)
        .with_context(|| format!("serialising {}", path.display()))?;
    let dir = path
        .parent()
        .ok_or_else(|| Error::InvalidParameter(format!("{} has no directory", path.display())))?;
    std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    let mut tmp = tempfile::Builder::new()
        // As `File::create`: the umask decides, not tempfile's private 0600.
        .permissions(Permissions::from_mode(0o666))
        .tempfile_in(dir)
        .with_context(|| format!("creating a temporary file in {}", dir.display()))?;
    tmp.write_all(&bytes)
        .and_then(|()| tmp.as_file().sync_all())
        .with_context(|| format!("writing {}", tmp.path().display()))?;
    tmp.persist(path)
        .map_err(|e| e.error)
        .with_context(|| format!("renaming into {}", path.display()))?;
    File::open(dir)
        .and_then(|d| d.sync_all())
        .with_context(|| format!("syncing {}", dir.display()))
}

/// 32 random bytes as 64 lowercase hex characters, the shape of a Docker object ID.
pub(crate) fn random_id() -> Result<String> {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes).context("getting random bytes from the kernel")?;
    Ok(bytes.iter().map(|b| format!("{b:02x}")).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_64_hex() {
        let a = random_id().expect("random bytes");
        assert_eq!(a.len(), 64);
        assert!(
            a.bytes()
                .all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase())
        );
        assert_ne!(a, random_id().expect("random bytes"));
    }

    #[test]
    fn json_round_trip_replaces_atomically() {
        let dir = tempfile::tempdir().expect("tempdir");
        let p = dir.path().join("sub/state.json");
        assert_eq!(read_json::<Vec<u32>>(&p).expect("missing is ok"), None);
        write_json(&p, &vec![1u32, 2]).expect("written");
        write_json(&p, &vec![3u32]).expect("rewritten");
        assert_eq!(read_json::<Vec<u32>>(&p).expect("read"), Some(vec![3]));
        let names: Vec<_> = std::fs::read_dir(p.parent().expect("dir"))
            .expect("listable")
            .map(|e| e.expect("entry").file_name())
            .collect();
        assert_eq!(names, ["state.json"], "no temporary file left");
        std::fs::write(&p, b"{").expect("corrupt");
        assert!(read_json::<Vec<u32>>(&p).is_err());
    }
}
