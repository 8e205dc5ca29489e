//! The pseudo-terminal of a `-t` container: runc sends its master side over the console socket.

use std::fs::File;
use std::io::IoSliceMut;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::os::unix::net::UnixListener;
use std::time::{Duration, Instant};

use nix::sys::socket::{ControlMessageOwned, MsgFlags, recvmsg};

use crate::error::{Context, Error, Result};

/// Accepts runc's connection on the console socket and receives the pty master (runc has
/// already sent it when `runc create` returns, so this waits only as a safeguard).
pub(super) fn receive_master(listener: &UnixListener, timeout: Duration) -> Result<File> {
    listener
        .set_nonblocking(true)
        .context("configuring the console socket")?;
    let deadline = Instant::now() + timeout;
    let (conn, _) = loop {
        match listener.accept() {
            Ok(c) => break c,
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock && Instant::now() < deadline => {
                std::thread::sleep(Duration::from_millis(5));
            }
            Err(e) => return Err(Error::io("accepting runc's console connection", e)),
        }
    };
    conn.set_nonblocking(false)
        .context("configuring runc's console connection")?;
    conn.set_read_timeout(Some(timeout))
        .context("configuring runc's console connection")?;
    let mut buf = [0u8; 4096];
    let mut iov = [IoSliceMut::new(&mut buf)];
    let mut cmsg = nix::cmsg_space!([std::os::fd::RawFd; 1]);
    let msg = recvmsg::<()>(
        conn.as_raw_fd(),
        &mut iov,
        Some(&mut cmsg),
        MsgFlags::MSG_CMSG_CLOEXEC,
    )
    .context("receiving the pty master from runc")?;
    let fds: Vec<_> = msg
        .cmsgs()
        .context("reading the console message from runc")?
        .filter_map(|c| match c {
            ControlMessageOwned::ScmRights(fds) => Some(fds),
            _ => None,
        })
        .flatten()
        .collect();
    // SAFETY: SCM_RIGHTS installed these descriptors in this process just now; nothing else
    // owns them, so each is wrapped exactly once.
    let mut owned: Vec<OwnedFd> = fds
        .into_iter()
        .map(|fd| unsafe { OwnedFd::from_raw_fd(fd) })
        .collect();
    if owned.is_empty() {
        return Err(Error::Runtime(
            "runc sent no pty master over the console socket".to_owned(),
        ));
    }
    Ok(File::from(owned.swap_remove(0)))
}

/// Sets the terminal size of the pty whose master is `master`.
pub(super) fn resize(master: &File, height: u16, width: u16) -> std::io::Result<()> {
    let ws = nix::libc::winsize {
        ws_row: height,
        ws_col: width,
        ws_xpixel: 0,
        ws_ypixel: 0,
    };
    // SAFETY: TIOCSWINSZ reads one `winsize` from the pointer, which is valid for the call; the
    // descriptor is open for the lifetime of `master`.
    let r = unsafe { nix::libc::ioctl(master.as_raw_fd(), nix::libc::TIOCSWINSZ, &ws) };
    if r < 0 {
        return Err(std::io::Error::last_os_error());
    }
    Ok(())
}
