//! Resolving `--user` (`name`, `uid`, `name:group`, `uid:gid`) against the container's own
//! `/etc/passwd` and `/etc/group`, with the rules of runc's `user.GetExecUser` that dockerd uses.

use std::fs::File;
use std::io::Read;
use std::path::Path;

use nix::errno::Errno;
use nix::fcntl::{OFlag, OpenHow, ResolveFlag, open, openat2};
use nix::sys::stat::Mode;

use crate::error::{Context, Error, Result};

/// The numeric identity the container process runs as.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct User {
    /// The user id.
    pub uid: u32,
    /// The primary group id.
    pub gid: u32,
    /// Supplementary groups: the groups of `/etc/group` that list the user by name, unless a
    /// group was given explicitly.
    pub additional_gids: Vec<u32>,
    /// The home directory from `/etc/passwd` (`/` when the user has no entry).
    pub home: String,
}

/// Resolves `spec` (Docker's `Config.User`; empty means root) inside `rootfs`.
///
/// A numeric user or group without an entry is used as is (primary group 0 for a bare uid); a
/// name without an entry is an [`Error::InvalidParameter`] worded as dockerd's ("unable to find
/// user x: no matching entries in passwd file").
pub fn resolve_user(rootfs: &Path, spec: &str) -> Result<User> {
    let (user_arg, group_arg) = match spec.split_once(':') {
        Some((u, g)) => (u, Some(g)),
        None => (spec, None),
    };
    let user_arg = if user_arg.is_empty() { "0" } else { user_arg };
    let passwd = read_db(rootfs, "etc/passwd")?;
    let group = read_db(rootfs, "etc/group")?;

    let mut user = User {
        home: "/".to_owned(),
        ..User::default()
    };
    let numeric_user = parse_id(user_arg, "user")?;
    let entry = passwd.iter().map(|l| fields(l)).find(|f| {
        f.len() >= 4 && (f[0] == user_arg || (numeric_user.is_some() && f[2] == user_arg))
    });
    let user_name = match (entry, numeric_user) {
        (Some(f), _) => {
            user.uid = parse_field(f[2], "uid", user_arg)?;
            user.gid = parse_field(f[3], "gid", user_arg)?;
            if let Some(home) = f.get(5).filter(|h| !h.is_empty()) {
                (*home).clone_into(&mut user.home);
            }
            Some(f[0])
        }
        (None, Some(uid)) => {
            user.uid = uid;
            None
        }
        (None, None) => {
            return Err(Error::InvalidParameter(format!(
                "unable to find user {user_arg}: no matching entries in passwd file"
            )));
        }
    };

    match group_arg {
        Some(g) if !g.is_empty() => {
            let numeric_group = parse_id(g, "group")?;
            let entry = group
                .iter()
                .map(|l| fields(l))
                .find(|f| f.len() >= 3 && (f[0] == g || (numeric_group.is_some() && f[2] == g)));
            user.gid = match (entry, numeric_group) {
                (Some(f), _) => parse_field(f[2], "gid", g)?,
                (None, Some(gid)) => gid,
                (None, None) => {
                    return Err(Error::InvalidParameter(format!(
                        "unable to find group {g}: no matching entries in group file"
                    )));
                }
            };
        }
        _ => {
            if let Some(name) = user_name {
                for f in group.iter().map(|l| fields(l)) {
                    let member = f.get(3).is_some_and(|m| m.split(',').any(|m| m == name));
                    if member && let Ok(gid) = f[2].parse::<u32>() {
                        user.additional_gids.push(gid);
                    }
                }
            }
        }
    }
    Ok(user)
}

/// The gids of `--group-add` groups (names or numbers) inside `rootfs`, as runc's
/// `GetAdditionalGroups`: a name is looked up in the container's `/etc/group`, a number
/// without an entry is used as is, an unknown name is refused.
pub fn additional_groups(rootfs: &Path, groups: &[String]) -> Result<Vec<u32>> {
    if groups.is_empty() {
        return Ok(Vec::new());
    }
    let db = read_db(rootfs, "etc/group")?;
    groups
        .iter()
        .map(|g| {
            let entry = db
                .iter()
                .map(|l| fields(l))
                .find(|f| f.len() >= 3 && (f[0] == g || f[2] == g));
            match (entry, parse_id(g, "group")?) {
                (Some(f), _) => parse_field(f[2], "gid", g),
                (None, Some(gid)) => Ok(gid),
                (None, None) => Err(Error::InvalidParameter(format!(
                    "unable to find group {g}: no matching entries in group file"
                ))),
            }
        })
        .collect()
}

/// `Some(id)` for a numeric argument, `None` for a name; an error for a number out of range.
fn parse_id(arg: &str, what: &str) -> Result<Option<u32>> {
    if !arg.bytes().all(|b| b.is_ascii_digit()) {
        return Ok(None);
    }
    arg.parse::<u32>()
        .ok()
        .filter(|&id| id < (1 << 31))
        .map(Some)
        .ok_or_else(|| Error::InvalidParameter(format!("{what} id {arg} is out of range")))
}

fn parse_field(value: &str, what: &str, arg: &str) -> Result<u32> {
    value.parse().map_err(|_| {
        Error::InvalidParameter(format!("invalid {what} {value:?} in the entry for {arg}"))
    })
}

fn fields(line: &str) -> Vec<&str> {
    line.split(':').collect()
}

/// The non-comment lines of a colon database inside the rootfs; a missing file is empty.
fn read_db(rootfs: &Path, rel: &str) -> Result<Vec<String>> {
    let Some(mut file) = open_in_root(rootfs, rel)? else {
        return Ok(Vec::new());
    };
    let mut bytes = Vec::new();
    file.read_to_end(&mut bytes)
        .on_path("reading", &rootfs.join(rel))?;
    Ok(String::from_utf8_lossy(&bytes)
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .map(str::to_owned)
        .collect())
}

/// Opens `rel` for reading inside `root` as if `root` were `/`, `None` if it does not exist.
///
/// One `openat2(RESOLVE_IN_ROOT)` resolves the whole path in the kernel: symbolic links
/// (absolute ones included) and `..` never leave `root`, also while the container changes its
/// tree, so an image's `/etc/passwd -> /host/file` cannot read the host. It needs Linux 5.6.
fn open_in_root(root: &Path, rel: &str) -> Result<Option<File>> {
    let dir = match open(
        root,
        OFlag::O_PATH | OFlag::O_DIRECTORY | OFlag::O_CLOEXEC,
        Mode::empty(),
    ) {
        Ok(dir) => dir,
        Err(Errno::ENOENT) => return Ok(None),
        Err(e) => return Err(Error::path("opening", root, e)),
    };
    let how = OpenHow::new()
        .flags(OFlag::O_RDONLY | OFlag::O_CLOEXEC | OFlag::O_NOCTTY)
        .resolve(ResolveFlag::RESOLVE_IN_ROOT | ResolveFlag::RESOLVE_NO_MAGICLINKS);
    let path = root.join(rel);
    // EAGAIN: a rename raced the resolution of a `..`; the kernel asks to try again.
    let mut attempts = 0;
    loop {
        attempts += 1;
        return match openat2(&dir, rel, how) {
            Ok(fd) => Ok(Some(File::from(fd))),
            Err(Errno::EAGAIN) if attempts < 16 => continue,
            Err(Errno::ENOENT) => Ok(None),
            Err(Errno::ELOOP) => Err(Error::InvalidParameter(format!(
                "too many levels of symbolic links under {}",
                path.display()
            ))),
            Err(Errno::ENOSYS) => Err(Error::io(
                format!(
                    "opening {} inside the container's root needs openat2 (Linux 5.6)",
                    path.display()
                ),
                Errno::ENOSYS,
            )),
            Err(e) => Err(Error::path("opening", &path, e)),
        };
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rootfs() -> tempfile::TempDir {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir(dir.path().join("etc")).unwrap();
        std::fs::write(
            dir.path().join("etc/passwd"),
            "root:x:0:0:root:/root:/bin/sh\n# comment\nnobody:x:65534:65534:nobody:/home:/bin/false\n\
             app:x:1000:1000::/srv/app:/bin/sh\n",
        )
        .unwrap();
        std::fs::write(
            dir.path().join("etc/group"),
            "root:x:0:\nwheel:x:10:root,app\nnogroup:x:65534:\napp:x:1000:\nvideo:x:44:app\n",
        )
        .unwrap();
        dir
    }

    #[test]
    fn empty_means_root_with_its_groups() {
        let dir = rootfs();
        let u = resolve_user(dir.path(), "").unwrap();
        assert_eq!((u.uid, u.gid, u.home.as_str()), (0, 0, "/root"));
        assert_eq!(u.additional_gids, vec![10]);
    }

    #[test]
    fn names_and_numbers() {
        let dir = rootfs();
        let u = resolve_user(dir.path(), "app").unwrap();
        assert_eq!((u.uid, u.gid), (1000, 1000));
        assert_eq!(u.additional_gids, vec![10, 44]);
        let u = resolve_user(dir.path(), "65534").unwrap();
        assert_eq!((u.uid, u.gid, u.home.as_str()), (65534, 65534, "/home"));
        // A uid without an entry runs with gid 0 and home /.
        let u = resolve_user(dir.path(), "4242").unwrap();
        assert_eq!((u.uid, u.gid, u.home.as_str()), (4242, 0, "/"));
        assert!(u.additional_gids.is_empty());
    }

    #[test]
    fn explicit_group_replaces_supplementary_groups() {
        let dir = rootfs();
        let u = resolve_user(dir.path(), "app:video").unwrap();
        assert_eq!((u.uid, u.gid), (1000, 44));
        assert!(u.additional_gids.is_empty());
        let u = resolve_user(dir.path(), "1:2").unwrap();
        assert_eq!((u.uid, u.gid), (1, 2));
        let u = resolve_user(dir.path(), "nobody:0").unwrap();
        assert_eq!((u.uid, u.gid), (65534, 0));
    }

    #[test]
    fn unknown_names_are_invalid_parameters_in_docker_words() {
        let dir = rootfs();
        let e = resolve_user(dir.path(), "ghost").unwrap_err();
        assert!(matches!(e, Error::InvalidParameter(_)));
        assert_eq!(
            e.to_string(),
            "unable to find user ghost: no matching entries in passwd file"
        );
        let e = resolve_user(dir.path(), "app:ghosts").unwrap_err();
        assert_eq!(
            e.to_string(),
            "unable to find group ghosts: no matching entries in group file"
        );
        assert!(resolve_user(dir.path(), "99999999999").is_err());
    }

    #[test]
    fn missing_files_allow_numbers_only() {
        let dir = tempfile::tempdir().unwrap();
        assert_eq!(resolve_user(dir.path(), "5:6").unwrap().uid, 5);
        assert_eq!(resolve_user(dir.path(), "").unwrap().uid, 0);
        assert!(resolve_user(dir.path(), "root").is_err());
    }

    #[test]
    fn symlinks_stay_inside_the_rootfs() {
        let outside = rootfs();
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir(dir.path().join("etc")).unwrap();
        // An absolute link that would read the other tree if followed on the host.
        let target = outside.path().join("etc/passwd");
        std::os::unix::fs::symlink(&target, dir.path().join("etc/passwd")).unwrap();
        assert!(resolve_user(dir.path(), "app").is_err());
        // A relative link climbing out with `..` is clamped at the root too.
        std::fs::create_dir(dir.path().join("real")).unwrap();
        std::fs::write(dir.path().join("real/group"), "grp:x:77:\n").unwrap();
        std::os::unix::fs::symlink("../../../../real/group", dir.path().join("etc/group")).unwrap();
        assert_eq!(resolve_user(dir.path(), "0:grp").unwrap().gid, 77);
    }

    #[test]
    fn hostile_links_resolve_inside_the_rootfs() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        std::fs::create_dir(root.join("etc")).unwrap();
        // The host's shadow file would parse as an entry for root (uid = its third field):
        // inside the rootfs there is no /etc/shadow, so there is no root either.
        std::os::unix::fs::symlink("/etc/shadow", root.join("etc/passwd")).unwrap();
        let e = resolve_user(root, "root").unwrap_err();
        assert_eq!(
            e.to_string(),
            "unable to find user root: no matching entries in passwd file"
        );
        // A relative link climbing out of the rootfs to another tree's passwd stops at the
        // rootfs' `/`: it reads the same path inside the rootfs.
        std::fs::remove_file(root.join("etc/passwd")).unwrap();
        let outside = rootfs();
        let outside_rel = outside.path().strip_prefix("/").unwrap();
        let climb = Path::new(&"../".repeat(root.components().count() + 2))
            .join(outside_rel)
            .join("etc/passwd");
        std::os::unix::fs::symlink(&climb, root.join("etc/passwd")).unwrap();
        assert!(resolve_user(root, "app").is_err());
        let mirror = root.join(outside_rel).join("etc");
        std::fs::create_dir_all(&mirror).unwrap();
        std::fs::write(mirror.join("passwd"), "mirror:x:33:34::/m:/bin/sh\n").unwrap();
        assert_eq!(resolve_user(root, "mirror").unwrap().uid, 33);
        assert!(resolve_user(root, "app").is_err());
        // A directory link to `/` is the rootfs' `/`: /etc/passwd is the rootfs' /passwd.
        std::fs::remove_file(root.join("etc/passwd")).unwrap();
        std::fs::remove_dir(root.join("etc")).unwrap();
        std::os::unix::fs::symlink("/", root.join("etc")).unwrap();
        std::fs::write(root.join("passwd"), "inside:x:4711:4712::/in:/bin/sh\n").unwrap();
        let u = resolve_user(root, "inside").unwrap();
        assert_eq!((u.uid, u.gid, u.home.as_str()), (4711, 4712, "/in"));
        assert!(resolve_user(root, "root").is_err());
    }
}
