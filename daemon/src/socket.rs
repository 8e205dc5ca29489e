//! The API socket: it appears only when it can answer, already with its final permissions.
//!
//! It is bound and listening under a temporary name, given mode 0660 and its group, and only
//! then renamed into place (which also replaces a stale socket left by a killed daemon). A
//! client that sees the socket therefore always reaches a listening, ready daemon.

use std::os::unix::fs::PermissionsExt;
use std::os::unix::net::UnixListener;
use std::path::{Path, PathBuf};

use nix::unistd::{Gid, Group, chown};

/// A published socket file; removed on drop.
#[derive(Debug)]
pub struct ApiSocket {
    path: PathBuf,
}

impl ApiSocket {
    /// Binds and publishes the socket at `path`, owned by root and `group` (root only if none).
    pub fn bind(path: &Path, group: Option<&str>) -> std::io::Result<(UnixListener, ApiSocket)> {
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir)?;
        }
        let mut staged = path.as_os_str().to_owned();
        staged.push(".new");
        let staged = PathBuf::from(staged);
        let _ = std::fs::remove_file(&staged);
        let listener = UnixListener::bind(&staged)?;
        let gid = match group {
            Some(g) => Group::from_name(g)?
                .map(|g| g.gid)
                .ok_or_else(|| std::io::Error::other(format!("group {g} not found")))?,
            None => Gid::from_raw(0),
        };
        chown(&staged, None, Some(gid))?;
        std::fs::set_permissions(&staged, std::fs::Permissions::from_mode(0o660))?;
        std::fs::rename(&staged, path)?;
        listener.set_nonblocking(true)?;
        Ok((
            listener,
            ApiSocket {
                path: path.to_path_buf(),
            },
        ))
    }
}

impl Drop for ApiSocket {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.path);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_socket_replaces_a_stale_file_with_mode_0660() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("w.sock");
        std::fs::write(&path, b"stale").expect("write");
        let (_l, s) = ApiSocket::bind(&path, None).expect("bind");
        let meta = std::fs::metadata(&path).expect("stat");
        assert_eq!(meta.permissions().mode() & 0o777, 0o660);
        assert!(std::os::unix::net::UnixStream::connect(&path).is_ok());
        drop(s);
        assert!(!path.exists());
    }
}
