//! Resolving `--user` (`name`, `uid`, `name:group`, `uid:gid`) against the container's own
//! `/etc/passwd` and `/etc/group`, with the rules of runc's `user.GetExecUser` that dockerd uses.

use std::path::{Component, Path, PathBuf};

use crate::error::{Error, Result};

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
    let path = resolve_in_root(rootfs, Path::new(rel))?;
    match std::fs::read(&path) {
        Ok(bytes) => Ok(String::from_utf8_lossy(&bytes)
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty() && !l.starts_with('#'))
            .map(str::to_owned)
            .collect()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Vec::new()),
        Err(e) => Err(Error::path("reading", &path, e)),
    }
}

/// Resolves `rel` inside `root` as if `root` were `/`: symbolic links (absolute ones included)
/// and `..` never leave it, so an image's `/etc/passwd -> /host/file` cannot read the host.
pub(crate) fn resolve_in_root(root: &Path, rel: &Path) -> Result<PathBuf> {
    let mut pending: Vec<PathBuf> = vec![rel.to_path_buf()];
    let mut resolved: Vec<std::ffi::OsString> = Vec::new();
    let mut links = 0;
    while let Some(next) = pending.pop() {
        let mut comps: Vec<Component<'_>> = next.components().collect();
        comps.reverse();
        while let Some(c) = comps.pop() {
            match c {
                Component::RootDir => resolved.clear(),
                Component::CurDir | Component::Prefix(_) => {}
                Component::ParentDir => {
                    resolved.pop();
                }
                Component::Normal(name) => {
                    let mut candidate = root.to_path_buf();
                    candidate.extend(&resolved);
                    candidate.push(name);
                    match std::fs::read_link(&candidate) {
                        Ok(target) => {
                            links += 1;
                            if links > 40 {
                                return Err(Error::InvalidParameter(format!(
                                    "too many levels of symbolic links under {}",
                                    candidate.display()
                                )));
                            }
                            // Resolve the target first, then what remains of this path.
                            let rest: PathBuf = comps.iter().rev().collect();
                            pending.push(rest);
                            pending.push(target);
                            comps.clear();
                        }
                        Err(_) => resolved.push(name.to_owned()),
                    }
                }
            }
        }
    }
    let mut out = root.to_path_buf();
    out.extend(&resolved);
    Ok(out)
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
        assert_eq!(
            resolve_in_root(dir.path(), Path::new("/etc/../etc/group")).unwrap(),
            dir.path().join("real/group")
        );
    }
}
