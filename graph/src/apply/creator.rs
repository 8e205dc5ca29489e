//! What a new entry gets without being told: its owner and permission bits.
//!
//! Every file, directory and symlink of a layer is created, then given the tar's owner and
//! mode. For most entries of most layers that is what creating it already gave (root-owned,
//! 0644 or 0755): a new file then needs four calls (create, write, times, close) instead of
//! six. This is decided only where the outcome of creating is known for certain: in a layer
//! directory that was empty when extraction began (so every directory in it is one this tar
//! made), without a set-group-ID directory (whose new entries take its group) or a default
//! ACL (which replaces the umask) at the root or anywhere the tar put one, and where a file
//! made in a directory of another group is found to be the creator's (not so with `grpid`).
//! An entry with an access ACL has its mode set explicitly (setting the ACL changes it).

use std::fs;
use std::os::unix::fs::MetadataExt;
use std::path::Path;

use crate::fsutil::get_xattr;

const SET_GID: u32 = 0o2000;
/// The extended attribute holding a directory's default ACL.
pub(super) const DEFAULT_ACL: &[u8] = b"system.posix_acl_default";
/// The extended attribute holding an entry's access ACL: setting it rewrites the mode.
pub(super) const ACCESS_ACL: &[u8] = b"system.posix_acl_access";

/// The owner and umask of entries this process creates, when they are certain.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Creator {
    uid: u32,
    gid: u32,
    umask: u32,
}

impl Creator {
    /// The creator for extracting into `root`, or `None` when the outcome of creating an
    /// entry there is not certain (then every entry is given its owner and mode explicitly).
    pub(super) fn probe(root: &Path) -> Option<Creator> {
        let meta = fs::symlink_metadata(root).ok()?;
        if !meta.is_dir() || meta.mode() & SET_GID != 0 {
            return None;
        }
        if fs::read_dir(root).ok()?.next().is_some() {
            return None;
        }
        // An error reading it (no xattr support at all) means there is no ACL either.
        if let Ok(Some(_)) = get_xattr(root, DEFAULT_ACL) {
            return None;
        }
        let c = Creator {
            uid: nix::unistd::geteuid().as_raw(),
            gid: nix::unistd::getegid().as_raw(),
            umask: umask()?,
        };
        c.holds_in(root).then_some(c)
    }

    /// Tries it: a file made in a directory of another group must be the creator's. Mount
    /// options (`grpid`) or file systems (NFS squashing, some FUSE) may give it the
    /// directory's owner or group instead, and then nothing can be taken as given.
    fn holds_in(&self, root: &Path) -> bool {
        let dir = root.join(".wharf-creator-probe");
        let made = fs::create_dir(&dir)
            .and_then(|()| {
                let other = nix::unistd::Gid::from_raw(self.gid.wrapping_add(1));
                nix::unistd::chown(&dir, None, Some(other)).map_err(std::io::Error::from)
            })
            .and_then(|()| fs::File::create(dir.join("f")))
            .and_then(|f| f.metadata());
        let _ = fs::remove_dir_all(&dir);
        made.is_ok_and(|m| m.uid() == self.uid && m.gid() == self.gid)
    }

    /// True if a new entry is already owned by `uid:gid`.
    pub(super) fn owns_as(&self, uid: u32, gid: u32) -> bool {
        self.uid == uid && self.gid == gid
    }

    /// True if creating an entry with permission bits `mode` gives exactly `mode`: no
    /// set-ID or sticky bits (which creating may drop), none the umask takes away.
    pub(super) fn keeps_mode(&self, mode: u32) -> bool {
        mode & 0o7000 == 0 && mode & self.umask == 0
    }
}

/// The process's umask, read without changing it (`umask(2)` can only set it, and other
/// threads create files meanwhile).
fn umask() -> Option<u32> {
    let status = fs::read_to_string("/proc/self/status").ok()?;
    parse_umask(&status)
}

fn parse_umask(status: &str) -> Option<u32> {
    let line = status.lines().find_map(|l| l.strip_prefix("Umask:"))?;
    u32::from_str_radix(line.trim(), 8).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_umask_is_read_from_proc_status() {
        assert_eq!(
            parse_umask("Name:\tx\nUmask:\t0022\nState:\tR\n"),
            Some(0o022)
        );
        assert_eq!(parse_umask("Name:\tx\n"), None);
        assert!(umask().is_some(), "Linux since 4.7 shows Umask");
    }

    #[test]
    fn only_an_empty_plain_directory_is_certain() {
        let dir = tempfile::tempdir().expect("tempdir");
        if !nix::unistd::geteuid().is_root() {
            // The trial needs to give a directory another group: only root may.
            assert_eq!(Creator::probe(dir.path()), None);
            return;
        }
        let c = Creator::probe(dir.path()).expect("an empty directory is certain");
        assert!(tree_is_empty(dir.path()), "the trial leaves nothing behind");
        assert!(c.owns_as(
            nix::unistd::geteuid().as_raw(),
            nix::unistd::getegid().as_raw()
        ));
        assert!(c.keeps_mode(0o755 & !c.umask));
        assert!(
            !c.keeps_mode(0o4755),
            "set-ID bits are always set explicitly"
        );
        fs::write(dir.path().join("f"), b"").expect("write");
        assert_eq!(Creator::probe(dir.path()), None, "not empty");
        let sgid = tempfile::tempdir().expect("tempdir");
        fs::set_permissions(
            sgid.path(),
            std::os::unix::fs::PermissionsExt::from_mode(0o2755),
        )
        .expect("chmod");
        assert_eq!(Creator::probe(sgid.path()), None, "set-group-ID");
        // A directory that passes its group on (as any does under `grpid`) fails the trial.
        let sub = sgid.path().join("sub");
        fs::create_dir(&sub).expect("mkdir");
        assert!(!c.holds_in(&sub), "group passed on");
    }

    fn tree_is_empty(dir: &Path) -> bool {
        fs::read_dir(dir).expect("read").next().is_none()
    }
}
