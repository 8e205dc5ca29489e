//! Extended attributes on paths, never following a final symlink (the `xattr` crate's
//! non-`_deref` calls are `lsetxattr`, `lgetxattr` and `llistxattr`).

use std::ffi::OsStr;
use std::io;
use std::os::unix::ffi::{OsStrExt, OsStringExt};
use std::path::Path;

use nix::libc;

/// Sets an extended attribute (`lsetxattr`).
pub(crate) fn set_xattr(path: &Path, name: &[u8], value: &[u8]) -> io::Result<()> {
    xattr::set(path, OsStr::from_bytes(name), value)
}

/// Reads an extended attribute (`lgetxattr`); `None` if it is not set (`ENODATA`).
pub(crate) fn get_xattr(path: &Path, name: &[u8]) -> io::Result<Option<Vec<u8>>> {
    xattr::get(path, OsStr::from_bytes(name))
}

/// Lists the names of a path's extended attributes (`llistxattr`); none on a filesystem
/// without extended attributes (`ENOTSUP`), so a copy from there carries none.
pub(crate) fn list_xattrs(path: &Path) -> io::Result<Vec<Vec<u8>>> {
    match xattr::list(path) {
        Ok(names) => Ok(names
            .map(|n| n.into_vec())
            .filter(|n| !n.is_empty())
            .collect()),
        Err(e) if e.raw_os_error() == Some(libc::ENOTSUP) => Ok(Vec::new()),
        Err(e) => Err(e),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn user_xattrs_round_trip_and_symlinks_are_not_followed() {
        let dir = tempfile::tempdir().expect("tempdir");
        let file = dir.path().join("f");
        std::fs::write(&file, b"x").expect("write");
        if let Err(e) = set_xattr(&file, b"user.wharf", b"v") {
            // tmpfs before 6.6 and some overlay set-ups refuse user.* attributes.
            assert_eq!(e.raw_os_error(), Some(libc::EOPNOTSUPP), "{e}");
            return;
        }
        assert_eq!(
            get_xattr(&file, b"user.wharf").expect("get"),
            Some(b"v".to_vec())
        );
        assert_eq!(get_xattr(&file, b"user.none").expect("get"), None);
        assert!(
            list_xattrs(&file)
                .expect("list")
                .contains(&b"user.wharf".to_vec())
        );
        let link = dir.path().join("l");
        std::os::unix::fs::symlink(&file, &link).expect("symlink");
        assert_eq!(get_xattr(&link, b"user.wharf").expect("get"), None);
        assert!(
            !list_xattrs(&link)
                .expect("list")
                .contains(&b"user.wharf".to_vec())
        );
        // user.* attributes are not allowed on symlinks: refused, not set on the target.
        assert!(set_xattr(&link, b"user.other", b"v").is_err());
        assert_eq!(get_xattr(&file, b"user.other").expect("get"), None);
    }
}
